"""PyTorch's creation functions: zeros, ones, full and their _like forms, rand, randn and arange. Each makes a
new array; a float result is float32 unless dtype says otherwise, as under PyTorch's default dtype."""
import math

import numpy as np

from . import random
from .tensor import Tensor, _is_int, _is_real, as_dtype, cast

_DEFAULT_FLOAT = np.dtype(np.float32)


def _size(op, size):
    """zeros(2, 3) and zeros((2, 3)), PyTorch's two ways to give a size: ints >= 0."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(_is_int(n) and n >= 0 for n in size):
        raise ValueError(f"{op}: size must be ints >= 0, given as zeros(2, 3) or zeros((2, 3)); got {size}")
    return tuple(int(n) for n in size)


def _dtype(op, dtype, default):
    return default if dtype is None else as_dtype(dtype, op)


def _check_fill_value(op, value):
    if not (_is_real(value) or isinstance(value, (bool, np.bool_))):
        raise TypeError(f"{op}: fill_value must be a number, got {value!r}")


def full(size, fill_value, *, dtype=None, requires_grad=False):
    """torch.full: an array of size filled with fill_value, of its kind by default: a bool is bool, an int
    int64, a float float32."""
    _check_fill_value("full", fill_value)
    kind = (np.dtype(bool) if isinstance(fill_value, (bool, np.bool_)) else
            np.dtype(np.int64) if _is_int(fill_value) else _DEFAULT_FLOAT)
    size = _size("full", (size,))
    return Tensor(cast(np.full(size, fill_value), _dtype("full", dtype, kind)), requires_grad=requires_grad)


def zeros(*size, dtype=None, requires_grad=False):
    """torch.zeros: float32 zeros unless dtype says otherwise."""
    dtype = _dtype("zeros", dtype, _DEFAULT_FLOAT)
    return Tensor(np.zeros(_size("zeros", size), dtype), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    """torch.ones: float32 ones unless dtype says otherwise."""
    dtype = _dtype("ones", dtype, _DEFAULT_FLOAT)
    return Tensor(np.ones(_size("ones", size), dtype), requires_grad=requires_grad)


def _like(op, x, dtype):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: needs a tensor, got {type(x).__name__}")
    return x.shape, _dtype(op, dtype, x.dtype)


def zeros_like(input, *, dtype=None, requires_grad=False):  # noqa: A002  torch's names
    """torch.zeros_like: zeros of input's shape and dtype."""
    shape, dtype = _like("zeros_like", input, dtype)
    return Tensor(np.zeros(shape, dtype), requires_grad=requires_grad)


def ones_like(input, *, dtype=None, requires_grad=False):  # noqa: A002  torch's names
    """torch.ones_like: ones of input's shape and dtype."""
    shape, dtype = _like("ones_like", input, dtype)
    return Tensor(np.ones(shape, dtype), requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, requires_grad=False):  # noqa: A002  torch's names
    """torch.full_like: fill_value in input's shape and dtype (2.7 in an integer tensor is 2, as PyTorch)."""
    shape, dtype = _like("full_like", input, dtype)
    _check_fill_value("full_like", fill_value)
    return Tensor(cast(np.full(shape, fill_value), dtype), requires_grad=requires_grad)


def _random(op, draw, size, generator, dtype, requires_grad):
    dtype = _dtype(op, dtype, _DEFAULT_FLOAT)
    if dtype.kind != "f":
        raise TypeError(f"{op}: draws floating-point numbers, got dtype {dtype}")
    values = draw(random.generator(generator, op), _size(op, size))
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False):
    """torch.rand: uniform on [0, 1), drawn from generator (None: minigrad.random's, which manual_seed seeds;
    an int seeds a new one). NumPy's draws: the same distribution as PyTorch's, other numbers."""
    return _random("rand", lambda rng, shape: rng.random(shape), size, generator, dtype, requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad=False):
    """torch.randn: standard normal, drawn as rand draws."""
    return _random("randn", lambda rng, shape: rng.standard_normal(shape), size, generator, dtype, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, requires_grad=False):
    """torch.arange: start, start + step, ... before end (arange(n) is 0 to n - 1); int64 when every bound is
    an int, else float32, each value start + i step computed in float64 and then rounded once: PyTorch's bits
    in int64 and float64. PyTorch's float32 kernel adds the steps in float32 within its SIMD blocks, a few
    ulps away from these on a long range."""
    start, end = (0, start) if end is None else (start, end)
    if not all(map(_is_real, (start, end, step))) or not all(map(math.isfinite, (start, end, step))):
        raise ValueError(f"arange: start, end and step must be finite numbers, got {start!r}, {end!r}, {step!r}")
    if step == 0 or (end - start) * step < 0:
        raise ValueError(f"arange: step {step!r} must be nonzero and lead from start {start!r} toward end {end!r}")
    default = np.dtype(np.int64) if all(map(_is_int, (start, end, step))) else _DEFAULT_FLOAT
    count = math.ceil((end - start) / step)
    values = start + np.arange(count, dtype=np.int64 if default.kind == "i" else np.float64) * step
    return Tensor(cast(values, _dtype("arange", dtype, default)), requires_grad=requires_grad)
