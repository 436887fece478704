"""The layers' reference cases for minigrad.crosscheck (registered as an entry point in pyproject.toml)."""
import numpy as np

import minigrad as mg
from minigrad.crosscheck import Case

from . import functional as F
from .twist import antisymmetrize


def _run(fn, arrays, names, grad_output):
    """fn(*tensors) -> output; with grad_output, also the gradient of every named input."""
    tensors = {k: mg.tensor(arrays[k], requires_grad=grad_output is not None) for k in names}
    out = fn(*tensors.values())
    if grad_output is None:
        return out.data, {}
    out.backward(grad_output)
    return out.data, {k: t.grad for k, t in tensors.items()}


def _conv_operands(rng, g, weight_shape):
    """x, a weight scaled by PyTorch's fan_in (the product of its dims after the first) and a bias."""
    return {"x": rng.standard_normal((g["n"], g["c_in"], g["h"], g["w"])),
            "weight": rng.standard_normal(weight_shape) / np.sqrt(np.prod(weight_shape[1:])),
            "bias": rng.standard_normal(g["c_out"])}


def _conv_draw(rng, g, variant):
    return _conv_operands(rng, g, (g["c_out"], g["c_in"] // g["groups"], g["kernel"], g["kernel"]))


def _conv_compute(arrays, g, variant, grad_output=None):
    fn = lambda x, w, b: F.conv2d(x, w, b, g["stride"], g["padding"], g["dilation"], g["groups"])  # noqa: E731
    return _run(fn, arrays, ("x", "weight", "bias"), grad_output)


def _transposed_draw(rng, g, variant):
    return _conv_operands(rng, g, (g["c_in"], g["c_out"] // g["groups"], g["kernel"], g["kernel"]))


def _transposed_compute(arrays, g, variant, grad_output=None):
    fn = lambda x, w, b: F.conv_transpose2d(x, w, b, g["stride"], g["padding"], g["output_padding"],  # noqa: E731
                                            g["groups"], g["dilation"])
    return _run(fn, arrays, ("x", "weight", "bias"), grad_output)


def _pool_draw(rng, g, variant):
    """Tie-free: magnitudes a shuffled ladder, random signs, so every implementation keeps the same element."""
    shape = (g["n"], g["c"], g["h"], g["w"])
    size = int(np.prod(shape))
    return {"x": (rng.permutation(size) + 1.0).reshape(shape) / size * rng.choice([-1.0, 1.0], shape)}


def _pool_compute(arrays, g, variant, grad_output=None):
    # exports written before the pools took ceil_mode and dilation have none in their geometry
    fn = lambda x: F.max_abs_pool2d(x, g["kernel"], g["stride"], g["padding"], g.get("dilation", 1),  # noqa: E731
                                    bool(g.get("ceil_mode", 0)))
    return _run(fn, arrays, ("x",), grad_output)


def _scs_draw(rng, g, variant):
    return {"x": rng.standard_normal((g["n"], g["c_in"], g["h"], g["w"])),
            "weight": rng.uniform(-1, 1, (g["c_out"], g["c_in"] // g["groups"], g["kernel"], g["kernel"])),
            "p": rng.uniform(0.5, 3.0, g["c_out"]), "q": rng.uniform(0.01, 0.3, 1)}


def _scs_compute(arrays, g, variant, grad_output=None):
    # exports written before SCS took groups have none in their geometry
    fn = lambda x, w, p, q: F.sharpened_cosine_similarity(x, w, p, q, g["stride"], g["padding"], variant,  # noqa: E731
                                                          g.get("groups", 1))
    return _run(fn, arrays, ("x", "weight", "p", "q"), grad_output)


TWIST_PARAMS = ("conv.weight", "conv_x.weight", "conv_y.weight", "center_x", "center_y")


def _twist_draw(rng, g, variant):
    shape = (g["c_out"], g["c_in"], 3, 3)
    # generator kernels antisymmetric already, so the seed's in-place symmetrisation changes nothing
    return {"x": rng.standard_normal((g["n"], g["c_in"], g["h"], g["w"])),
            "conv.weight": rng.uniform(-0.3, 0.3, shape),
            "conv_x.weight": antisymmetrize(rng.uniform(-0.3, 0.3, shape)),
            "conv_y.weight": antisymmetrize(rng.uniform(-0.3, 0.3, shape)),
            "center_x": rng.uniform(-1.5, 1.5, g["c_out"]), "center_y": rng.uniform(-1.5, 1.5, g["c_out"])}


def _twist_compute(arrays, g, variant, grad_output=None):
    fn = lambda x, w, wx, wy, cx, cy: F.conv_twist(x, w, wx, wy, cx, cy, g["stride"])  # noqa: E731
    return _run(fn, arrays, ("x",) + TWIST_PARAMS, grad_output)


def cases():
    return [
        Case("conv2d", dict(n=2, c_in=3, c_out=4, h=7, w=6, kernel=3, stride=1, padding=1, dilation=1, groups=1), (),
             "NCHW; weight (out, in/groups, kh, kw); PyTorch conv2d (cross-correlation)",
             "y[n,o] = sum_{c,i,j} x_pad[n, c, oh*s + i*d, ow*s + j*d] w[o, c, i, j] + b[o]",
             _conv_draw, _conv_compute),
        Case("conv_transpose2d", dict(n=2, c_in=3, c_out=4, h=5, w=4, kernel=3, stride=2, padding=1, output_padding=1,
                                      dilation=1, groups=1), (),
             "NCHW; weight (in, out/groups, kh, kw); PyTorch conv_transpose2d (conv2d's input gradient)",
             "y[n, o, oh, ow] = sum_{c, ih, iw, i, j: ih*s - p + i*d = oh, iw*s - p + j*d = ow} "
             "x[n, c, ih, iw] w[c, o, i, j] + b[o]; OH = (H - 1) s - 2p + d (k - 1) + output_padding + 1",
             _transposed_draw, _transposed_compute),
        Case("maxabspool2d", dict(n=2, c=3, h=6, w=6, kernel=2, stride=2, padding=0, dilation=1, ceil_mode=0), (),
             "NCHW; dilation and ceil_mode (0 or 1) as PyTorch's max_pool2d takes them",
             "y = the window element of largest |x|, with its sign (ties: positive, then first)",
             _pool_draw, _pool_compute),
        Case("scs", dict(n=2, c_in=2, c_out=3, h=6, w=6, kernel=3, stride=1, padding=1, groups=1),
             ("rohrer", "pisoni", "rohrer_jax"),
             "NCHW; weight (out, in/groups, k, k); p effective per output channel (out,); q effective (1,); "
             "groups as conv2d's, patch norms per group",
             "rohrer: c = x.w / ((sqrt(S + 1e-6) + q) |w|), y = sign(c) (|c| + 1e-6)^p; "
             "rohrer_jax: as rohrer with sqrt(|w|^2 + 1e-6) for |w|; "
             "pisoni: c = x.w / ((sqrt(max(S, 1e-12)) + q)(sqrt(max(|w|^2, 1e-12)) + q)), y = sign(c) (|c| + 1e-12)^p",
             _scs_draw, _scs_compute),
        Case("twist", dict(n=2, c_in=2, c_out=3, h=7, w=6, stride=1), (),
             "NCHW; PyTorch ConvTwist state_dict names; 3x3 kernels, padding 1",
             "y = (conv(x) + XX conv_x(x)) + YY conv_y(x), XX = (dtype(2j/w) - 1) + center_x[o], "
             "YY = (dtype(2i/h) - 1) + center_y[o]",
             _twist_draw, _twist_compute),
    ]
