"""The BLAS products of a minigrad computation, recorded once and replayed alone.

The layers make their contractions with ``np.matmul`` (minigrad/windows.py). Replayed on their own,
on the same operands and into the same output arrays, those calls take the part of a step's time
that no code making the same products goes below; timed beside PyTorch, they say which speed
targets such a design can meet on this machine. Products written with ``@`` (conv's bias sum, the
engine's MatMul in Linear) are not recorded: they are matrix-vector or 10-column products.
"""
import math
from unittest import mock

import numpy as np


def matmul_flops(a, b):
    """2 m k n per product, times the broadcast batch: a (..., m, k) @ b (..., k, n), 1-D as NumPy promotes."""
    a_shape = (1,) + np.shape(a) if np.ndim(a) == 1 else np.shape(a)
    b_shape = np.shape(b) + (1,) if np.ndim(b) == 1 else np.shape(b)
    batch = math.prod(np.broadcast_shapes(a_shape[:-2], b_shape[:-2]))
    return 2 * batch * a_shape[-2] * a_shape[-1] * b_shape[-1]


def record(fn):
    """Run fn once; return (replay, flops): replay() repeats every np.matmul call fn made, with the
    same arguments (shapes, memory layouts, out= arrays), and flops is their total."""
    calls, matmul = [], np.matmul

    def recording(*args, **kwargs):
        calls.append((args, kwargs))
        return matmul(*args, **kwargs)

    with mock.patch.object(np, "matmul", recording):
        fn()

    def replay():
        for args, kwargs in calls:
            matmul(*args, **kwargs)

    return replay, sum(matmul_flops(*args[:2]) for args, _ in calls)
