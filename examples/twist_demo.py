"""What 3x3 kernels and ConvTwist do to a whole image when applied many times (docs/convtwist.md).

    python -m examples.twist_demo --out twist-demo/

Reproduces the seed's experiments on a bundled MNIST digit placed on a 64x64 canvas and writes one
PNG per experiment: a Gaussian kernel blurs; I + 0.01 Sobel translates (x, y, diagonal); ConvTwist
with conv = I and Sobel generators rotates and scales about the centre.
"""
import argparse
import os
import sys

import numpy as np

import layers
import minigrad as mg
from layers import functional as F
from minigrad.io import atomic_write

from . import mnist_data
from .mnist import file_path

CANVAS = 64
IDENTITY = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64)
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)  # A ~ 8 d/dx
SOBEL_Y = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float64)  # B ~ -8 d/dy (rows point down)
GAUSSIAN = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64) / 16


def digit_on_canvas(offset=(0, 0), index=0):
    """A bundled test digit (float64 in [0, 1]) centred on a CANVAS x CANVAS image, shifted by offset."""
    digit = mnist_data.load_dir(mnist_data.BUNDLED)[2][index] / 255.0
    image = np.zeros((CANVAS, CANVAS))
    top, left = (CANVAS - 28) // 2 + offset[0], (CANVAS - 28) // 2 + offset[1]
    image[top:top + 28, left:left + 28] = digit
    return image


def repeat_conv(image, kernel, steps):
    t = mg.tensor(image[None, None])
    weight = kernel[None, None]
    with mg.no_grad():
        for _ in range(steps):
            t = F.conv2d(t, weight, padding=1)
    return t.data[0, 0]


def repeat_twist(image, kernel_x, kernel_y, steps):
    """The seed's ConvTwist experiment: conv = I, centres 0, the given generator kernels."""
    twist = layers.ConvTwist2d(1, 1, rng=np.random.default_rng(0), dtype=np.float64)
    twist.load_state_dict({"conv.weight": IDENTITY[None, None], "conv_x.weight": kernel_x[None, None],
                           "conv_y.weight": kernel_y[None, None], "center_x": np.zeros(1), "center_y": np.zeros(1)})
    t = mg.tensor(image[None, None])
    with mg.no_grad():
        for _ in range(steps):
            t = twist(t)
    return t.data[0, 0]


def experiments():
    """name -> (caption, original, result)."""
    centred, off_centre = digit_on_canvas(), digit_on_canvas(offset=(0, 14))
    return {
        "blur": ("Gaussian kernel x 10", centred, repeat_conv(centred, GAUSSIAN, 10)),
        "translate-x": ("I + 0.01 A x 200 (moves left 16 px)", centred,
                        repeat_conv(centred, IDENTITY + 0.01 * SOBEL_X, 200)),
        "translate-y": ("I + 0.01 B x 200 (moves down 16 px)", centred,
                        repeat_conv(centred, IDENTITY + 0.01 * SOBEL_Y, 200)),
        "translate-diagonal": ("I + 0.01 (A + B) x 200", centred,
                               repeat_conv(centred, IDENTITY + 0.01 * (SOBEL_X + SOBEL_Y), 200)),
        "rotate": ("ConvTwist conv_x = 0.01 B, conv_y = 0.01 A x 300", off_centre,
                   repeat_twist(off_centre, 0.01 * SOBEL_Y, 0.01 * SOBEL_X, 300)),
        "scale": ("ConvTwist conv_x = -0.01 A, conv_y = 0.01 B x 300", centred,
                  repeat_twist(centred, -0.01 * SOBEL_X, 0.01 * SOBEL_Y, 300)),
    }


def save_png(path, caption, original, result):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(6, 3.3))
    low, high = min(original.min(), result.min()), max(original.max(), result.max())  # one scale for both
    for ax, image, title in zip(axes, (original, result), ("original", caption)):
        ax.imshow(image, cmap="gray_r", vmin=low, vmax=high)
        ax.set_title(title, fontsize=8)
        ax.axis("off")
    with atomic_write(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m examples.twist_demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="twist-demo", type=file_path, help="directory for the PNGs (created)")
    args = parser.parse_args(argv)
    try:
        os.makedirs(args.out, exist_ok=True)
        for name, (caption, original, result) in experiments().items():
            path = os.path.join(args.out, f"{name}.png")
            save_png(path, caption, original, result)
            print(f"{path}: {caption}")
    except OSError as e:
        print(f"twist_demo: cannot write to {args.out}: {e.strerror or e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
