"""Rewrite the golden files: python -m tests.golden.regenerate

Run it only when a numerical change is intended, and say so in the commit: test_golden_files
fails whenever today's reference no longer reproduces these files.
"""
from pathlib import Path

from minigrad import crosscheck

GOLDEN = {
    "conv2d.npz": ("conv2d", {}, None),
    "conv2d-strided-grouped.npz": ("conv2d", dict(c_in=4, c_out=6, h=9, w=8, stride=2, padding=2, dilation=2, groups=2), None),
    "conv_transpose2d.npz": ("conv_transpose2d", {}, None),
    "conv_transpose2d-dilated-grouped.npz": ("conv_transpose2d", dict(c_in=4, c_out=6, h=4, w=3, stride=3, padding=2,
                                                                       output_padding=2, dilation=2, groups=2), None),
    "maxabspool2d.npz": ("maxabspool2d", dict(kernel=3, stride=2, padding=1, h=7, w=8), None),
    "scs-rohrer.npz": ("scs", dict(stride=2, h=7), "rohrer"),
    "scs-pisoni.npz": ("scs", {}, "pisoni"),
    "scs-rohrer_jax.npz": ("scs", dict(c_in=2, c_out=4, groups=2), "rohrer_jax"),
    "twist.npz": ("twist", {}, None),
    "twist-stride2.npz": ("twist", dict(stride=2, h=9, w=6), None),
}


def main():
    cases = crosscheck.cases()
    for name, (layer, geometry, variant) in GOLDEN.items():
        arrays, manifest = crosscheck.export(cases[layer], geometry, variant, seed=20261122)
        crosscheck.save(Path(__file__).parent / name, arrays, manifest)
        print(f"wrote tests/golden/{name}")


if __name__ == "__main__":
    main()
