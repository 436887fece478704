"""Every differentiable op: forward and its vector-Jacobian product side by side.

Notation in the docstrings: ``g`` is dL/d(output), ``y`` the output. Each docstring's second line
is the VJP. Gradients of broadcast inputs are summed back to shape by the engine (tensor.py), so
the rules below are written for equal shapes.
"""
import builtins
import collections
import functools
import inspect
import math
import numbers
import warnings

import numpy as np

from . import backend, random
from .backend import jit, unsigned
from .tensor import (Function, Tensor, _is_int, _is_real, _memory_owner, _sum_to_shape, as_dtype, as_tensor, cast,
                     changed_in_place, check_flags, check_numbers, check_unrecorded_change, is_grad_enabled,
                     result_type)


def _check_same_shape_or_broadcast(op, a, b):
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast") from None


def _check_integer_divisor(op, b):
    """Integers // 0 and % 0 have no value: NumPy's is 0 (its warning silenced here), PyTorch and
    Python raise. Booleans have neither op in PyTorch (NumPy's result is int8)."""
    _refuse_booleans(op, b, hint="cast them to an integer or floating dtype")
    if b.dtype.kind in "iu" and not b.all():
        zeros = np.argwhere(b == 0)
        where = f", the first at index {tuple(int(i) for i in zeros[0])}" if b.ndim else ""
        raise ZeroDivisionError(f"{op}: integer division by zero ({len(zeros)} of the divisor's {b.size} "
                                f"elements are 0{where})")


class Add(Function):
    """y = a + b
    da = g, db = g"""
    def forward(self, a, b):
        _check_same_shape_or_broadcast("add", a, b)
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    """y = a - b
    da = g, db = -g"""
    def forward(self, a, b):
        _check_same_shape_or_broadcast("sub", a, b)
        return a - b

    def backward(self, g):
        return g, -g


class Mul(Function):
    """y = a * b
    da = g b, db = g a"""
    def forward(self, a, b):
        _check_same_shape_or_broadcast("mul", a, b)
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return g * self.b, g * self.a


class Div(Function):
    """y = a / b
    da = g / b, db = -g a / b^2 = -g (a / b) / b   (b^2 overflows where the gradient does not)"""
    def forward(self, a, b):
        _check_same_shape_or_broadcast("div", a, b)
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        gb = -g * (self.a / self.b / self.b) if self.needs_input_grad[1] else None
        return g / self.b, gb


class Remainder(Function):
    """y = a - b floor(a / b)   (the sign of b, as Python's % and torch.remainder; a zero the sign of a,
    as PyTorch's)
    da = g, db = -g floor(a / b)"""
    def forward(self, a, b):
        _check_same_shape_or_broadcast("remainder", a, b)
        _check_integer_divisor("remainder", b)
        self.a, self.b = a, b
        y = np.mod(a, b)
        if y.dtype.kind == "f":  # NumPy gives a zero the sign of b; PyTorch keeps fmod's, that of a
            y = np.where(y == 0, np.copysign(y, a), y)  # copysign(0, a) was float64 for a 0-d a on NumPy 1.x
        return y

    def backward(self, g):
        return g, -g * np.floor_divide(self.a, self.b) if self.needs_input_grad[1] else None


class Neg(Function):
    """y = -x
    dx = -g"""
    def forward(self, x):
        return -x

    def backward(self, g):
        return -g


class Pow(Function):
    """y = a ** b
    da = g b a^(b-1) (0 where b == 0), db = g y ln(a) (y ln(a) taken as 0 where a == 0 and b >= 0), as PyTorch"""
    def forward(self, a, b):
        _check_same_shape_or_broadcast("pow", a, b)
        if a.dtype.kind in "iub" and b.dtype.kind in "iub" and (b < 0).any():  # NumPy's message named no op
            raise ValueError(f"pow: integers to negative integer powers are not allowed (exponent {b.min()}), as in "
                             "NumPy and PyTorch; make the base or the exponent a float")
        self.a, self.b = a, b
        self.y = a | ~b if a.dtype == bool else a ** b  # booleans stay booleans, as in PyTorch (NumPy's int8)
        return self.y

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:  # a = 0: 0^(b-1) and ln 0 are infinite, and where() drops them
            ga = np.where(b == 0, 0, g * b * a ** (b - 1))
        if self.needs_input_grad[1]:
            gb = g * np.where((a == 0) & (b >= 0), 0, self.y * np.log(a))  # PyTorch's: an inf g there is NaN
        return ga, gb


class MatMul(Function):
    """y = a @ b  (NumPy semantics: 1-D operands, batched and broadcast leading axes)
    da = g @ b^T, db = a^T @ g   (transposes over the last two axes)"""
    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape}")
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a2.shape[-1] != b2.shape[-2]:
            raise ValueError(f"matmul: inner dimensions differ: {a.shape} @ {b.shape}")
        try:
            np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: the batch dimensions of {a.shape} @ {b.shape} do not broadcast") from None
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        # 1-D operands as NumPy promotes them: a to (1, k), b to (k, 1); then plain batched rules
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
        ga = _sum_to_shape(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape) if self.needs_input_grad[0] else None
        gb = _sum_to_shape(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape) if self.needs_input_grad[1] else None
        return ga, gb


def _as_float(x):
    """Integers and booleans in float64 before a float-valued function (as conv's result_dtype):
    NumPy's exp of uint8 is float16, three digits, and sigmoid's -|x| wraps around in unsigned ints."""
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _in_dtype_of(x, y):
    """y in x's dtype: NumPy 1.x made a 0-D float32 array with a Python number float64 (NumPy 2's NEP 50 does not)."""
    return y.astype(x.dtype, copy=False)


class Exp(Function):
    """y = exp(x)
    dx = g y"""
    def forward(self, x):
        self.y = np.exp(_as_float(x))
        return self.y

    def backward(self, g):
        return g * self.y


class Log(Function):
    """y = ln(x)
    dx = g / x"""
    def forward(self, x):
        self.x = _as_float(x)
        return np.log(self.x)

    def backward(self, g):
        return g / self.x


class Sqrt(Function):
    """y = sqrt(x)
    dx = g / (2 y)"""
    def forward(self, x):
        self.y = np.sqrt(_as_float(x))
        return self.y

    def backward(self, g):
        return g / (2 * self.y)


class Abs(Function):
    """y = |x|
    dx = g sign(x)   (sign 0 at x == 0 and at NaN, as PyTorch's, whose inf * 0 is NaN too)"""
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, g):
        return g * ((self.x > 0).astype(g.dtype) - (self.x < 0))


class Sign(Function):
    """y = sign(x)
    dx = 0"""
    def forward(self, x):
        return x.copy() if x.dtype == bool else np.sign(x)  # NumPy's sign has no bool loop; PyTorch's gives x

    def backward(self, g):
        return np.zeros_like(g)


def _split(g, tie, a_loses, b_loses):
    """g shared as PyTorch's maximum and minimum share it: halved at a tie, selected away from the
    loser (so an inf or NaN g reaches the winner only), whole to both where a NaN makes neither lose."""
    g = np.where(tie, g / 2, g)
    return np.where(a_loses, 0, g), np.where(b_loses, 0, g)


class Maximum(Function):
    """y = max(a, b) elementwise
    da = g [not a < b], db = g [not b < a], each g/2 where a == b   (see _split)"""
    def forward(self, a, b):
        _check_same_shape_or_broadcast("maximum", a, b)
        self.tie, self.a_loses, self.b_loses = a == b, a < b, b < a
        return np.maximum(a, b)

    def backward(self, g):
        return _split(g, self.tie, self.a_loses, self.b_loses)


class Minimum(Function):
    """y = min(a, b) elementwise
    da = g [not a > b], db = g [not b > a], each g/2 where a == b   (see _split)"""
    def forward(self, a, b):
        _check_same_shape_or_broadcast("minimum", a, b)
        self.tie, self.a_loses, self.b_loses = a == b, a > b, b > a
        return np.minimum(a, b)

    def backward(self, g):
        return _split(g, self.tie, self.a_loses, self.b_loses)


class Where(Function):
    """y = a where condition else b
    da = g [condition], db = g [not condition]"""
    def forward(self, a, b, condition):
        self.condition = np.asarray(condition)
        if self.condition.dtype != bool:  # truth values of anything were taken: where("a", a, b) was a
            raise TypeError(f"where: condition must be a boolean mask, as in PyTorch (x > 0), got dtype "
                            f"{self.condition.dtype}")
        try:
            np.broadcast_shapes(self.condition.shape, a.shape, b.shape)
        except ValueError:
            raise ValueError(f"where: condition {self.condition.shape}, a {a.shape} and b {b.shape} do not broadcast") from None
        return np.where(self.condition, a, b)

    def backward(self, g):
        return np.where(self.condition, g, 0), np.where(self.condition, 0, g)


class Clip(Function):
    """y = min(max(x, low), high)   (PyTorch's, see _clamp: high everywhere if low > high, a NaN x or bound
    gives NaN, and x is kept at a bound: clamp(-0.0, min=0) is -0.0)
    dx = g [low <= x <= high]   (selected, as PyTorch's clamp: the boundary passes g, an inf g outside gives 0)"""
    def forward(self, x, low, high, op):
        # the bounds in x's dtype, as NEP 50 takes them (NumPy 1.x made a 0-d float32 x float64); asarray,
        # not np.float64(b): NumPy 1.x makes a number of a one-element array, of shape (1, 1) too
        if x.dtype.kind == "f":
            low, high = (None if b is None else np.asarray(b, dtype=x.dtype) for b in (low, high))
        else:  # a one-value bound as a Python number, as PyTorch weighs it: np.int64(1) made an int32 x int64
            low, high = (b.item() if np.ndim(b) == 0 and isinstance(b, (np.ndarray, np.generic)) else b
                         for b in (low, high))
            for b in (low, high):
                if isinstance(b, int):  # a float bound makes the result float, as in PyTorch
                    _number_for(op, b, x.dtype)
        _check_bounds_broadcast(op, x, low, high)
        self.inside = np.True_
        if low is not None:
            self.inside = self.inside & (x >= low)
        if high is not None:
            self.inside = self.inside & (x <= high)
        return _clamp(x, low, high)

    def backward(self, g):
        return np.where(self.inside, g, 0)


class ClipByTensors(Function):
    """y = min(max(x, low), high) as Clip's, the bounds inputs too (low = -inf or high = inf for a missing one)
    dx = g [low <= x <= high]
    dlow = g [x < low], dhigh = g [x > high]   (one bound given)
    dlow = g [x < low < high], dhigh = g [x > high or high < low]   (both: PyTorch's, where x < low == high
    no input gets g)"""
    def forward(self, x, low, high, both, op):
        _check_bounds_broadcast(op, x, low, high)
        self.inside = (x >= low) & (x <= high)
        self.to_low = (x < low) & (low < high) if both else x < low
        self.to_high = (x > high) | (high < low) if both else x > high
        return _clamp(x, low, high)

    def backward(self, g):
        masks = (self.inside, self.to_low, self.to_high)
        return tuple(np.where(mask, g, 0) if needed else None for mask, needed in zip(masks, self.needs_input_grad))


def _clamp(x, low, high):
    """PyTorch's clamp: low where x < low, then high where that is > high; a NaN x or bound gives NaN.
    np.clip returns the bound where x equals it, +0.0 for a -0.0 x, which PyTorch keeps."""
    y = x
    if low is not None:
        y = np.where((x < low) | np.isnan(low), low, x)
    if high is not None:
        y = np.where((y > high) | np.isnan(high), high, y)
    return y


def _check_bounds_broadcast(op, x, *bounds):
    """Tensor bounds may broadcast x larger, as in PyTorch."""
    shapes = [np.shape(b) for b in bounds if b is not None]
    try:
        np.broadcast_shapes(x.shape, *shapes)
    except ValueError:
        raise ValueError(f"{op}: x {x.shape} and bounds {' and '.join(map(str, shapes))} do not broadcast") from None


@jit()
def _relu_numba(x, y):
    """np.where(x < 0, 0, x) in one pass, without the mask array (NumPy's float32 maximum, the reference
    before, ran 3x slower than a copy on these machines)."""
    xf, yf = x.reshape(-1), y.reshape(-1)
    for i in range(xf.size):
        v = xf[unsigned(i)]
        if v < 0:  # an if statement: numba 0.60 compiled float32's `0 if v < 0 else v` to +0.0 for -0.0
            yf[unsigned(i)] = 0
        else:
            yf[unsigned(i)] = v
    return y


@jit()
def _relu_backward_numba(g, y, dx):
    """np.where(y <= 0, 0, g) in one pass, without the mask array."""
    gf, yf, df = g.reshape(-1), y.reshape(-1), dx.reshape(-1)
    for i in range(gf.size):
        df[unsigned(i)] = 0 if yf[unsigned(i)] <= 0 else gf[unsigned(i)]
    return dx


class ReLU(Function):
    """y = 0 where x < 0, else x   (NaN and -0.0 kept, as PyTorch's relu keeps them)
    dx = g [not y <= 0]   (selected, as PyTorch's threshold_backward: an inf g at x <= 0 gives 0, a NaN x passes g)"""
    def forward(self, x):
        if backend.use_numba(x) and x.flags.c_contiguous:
            self.y = _relu_numba(x, np.empty_like(x))
        else:
            self.y = np.where(x < 0, x.dtype.type(0), x)
        return self.y

    def backward(self, g):
        if backend.use_numba(g, self.y) and g.flags.c_contiguous and self.y.flags.c_contiguous:
            return _relu_backward_numba(g, self.y, np.empty_like(g))
        return np.where(self.y <= 0, 0, g)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x))
    dx = g y (1 - y)"""
    def forward(self, x):
        # exp of a negative argument only, so large |x| neither overflows nor warns
        x = _as_float(x)
        e = np.exp(-np.abs(x))
        self.y = _in_dtype_of(x, np.where(x >= 0, 1 / (1 + e), e / (1 + e)))
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)


class Tanh(Function):
    """y = tanh(x)
    dx = g (1 - y^2)"""
    def forward(self, x):
        self.y = np.tanh(_as_float(x))
        return self.y

    def backward(self, g):
        return g * (1 - self.y * self.y)


class Log1p(Function):
    """y = ln(1 + x), exact where x is small
    dx = g / (1 + x)"""
    def forward(self, x):
        self.x = _as_float(x)
        return np.log1p(self.x)

    def backward(self, g):
        return g / (1 + self.x)


class Expm1(Function):
    """y = exp(x) - 1, exact where x is small
    dx = g (y + 1)"""
    def forward(self, x):
        self.y = np.expm1(_as_float(x))
        return self.y

    def backward(self, g):
        return g * (self.y + 1)


@jit()
def _erf_numba(x, y):
    """_erf's map compiled: the same C erf in float64, rounded once to y's dtype."""
    xf, yf = x.reshape(-1), y.reshape(-1)
    for i in range(xf.size):
        yf[unsigned(i)] = math.erf(np.float64(xf[unsigned(i)]))
    return y


def _erf(x):
    """erf of a float array. NumPy has no erf: the reference maps Python's math.erf (C's, in float64) over x."""
    x = np.asarray(x)  # arithmetic on a 0-D array gives a NumPy scalar, which the kernel does not take
    if backend.use_numba(x):
        x = x if x.flags.c_contiguous else x.copy()  # the map is 100x slower than the kernel; ascontiguousarray
        return _erf_numba(x, np.empty_like(x))         # would make a 0-D array 1-D
    return np.vectorize(math.erf, otypes=[x.dtype])(x)


class Erf(Function):
    """y = erf(x) = 2/√π ∫₀ˣ exp(-t²) dt
    dx = g 2/√π exp(-x²)"""
    def forward(self, x):
        self.x = _as_float(x)
        return _erf(self.x)

    def backward(self, g):
        return g * (2 / math.sqrt(math.pi)) * np.exp(-self.x * self.x)


class Softplus(Function):
    """y = ln(1 + exp(βx)) / β, or x itself where βx > threshold (PyTorch's cut-off)
    dx = g exp(βx) / (exp(βx) + 1), or g where βx > threshold"""
    def forward(self, x, beta, threshold):
        self.bx = x * beta
        self.linear = self.bx > threshold
        with np.errstate(over="ignore"):  # exp(βx) is inf only past the cut-off, unless threshold is set past it
            y = np.where(self.linear, x, np.log1p(np.exp(self.bx)) / beta)
        return _in_dtype_of(x, y)

    def backward(self, g):
        with np.errstate(over="ignore", invalid="ignore"):  # inf / inf past the cut-off, where g is taken instead
            z = np.exp(self.bx)
            return np.where(self.linear, g, g * z / (z + 1))


class ELU(Function):
    """PyTorch's one kernel for elu (scale = input_scale = 1), selu (its two constants) and celu (input_scale = 1/α):
    y = scale x where x > 0, else scale α (exp(input_scale x) - 1)
    dx = g scale where x > 0, else g scale α input_scale exp(input_scale x)   (the left one at x = 0, as PyTorch's)"""
    def forward(self, x, alpha, scale, input_scale):
        self.x, self.negative = x, x <= 0
        self.scale, self.negative_scale, self.input_scale = scale, scale * alpha, input_scale
        with np.errstate(over="ignore"):  # exp overflows only where x > 0, whose branch is taken
            y = np.where(self.negative, np.expm1(x * input_scale) * self.negative_scale, x * scale)
        return _in_dtype_of(x, y)

    def backward(self, g):
        with np.errstate(over="ignore", invalid="ignore"):
            slope = self.negative_scale * self.input_scale * np.exp(self.x * self.input_scale)
            return np.where(self.negative, g * slope, g * self.scale)


_GELU_TANH_K = math.sqrt(2 / math.pi)  # x + 0.044715 x³ scaled by it is PyTorch's tanh approximation's argument


class GELU(Function):
    """y = x Φ(x), Φ(x) = (1 + erf(x/√2)) / 2 the standard normal CDF;
    approximate="tanh": Φ(x) ≈ (1 + tanh(u)) / 2, u = √(2/π) (x + 0.044715 x³)
    dx = g (Φ(x) + x φ(x)), φ(x) = exp(-x²/2) / √(2π) the normal density;
    tanh: g (Φ + x/2 (1 - tanh²(u)) √(2/π) (1 + 3 · 0.044715 x²))"""
    def forward(self, x, approximate):
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.t = np.tanh(_GELU_TANH_K * (x + 0.044715 * x * x * x))
            self.cdf = 0.5 * (1 + self.t)
        else:
            self.cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
        return _in_dtype_of(x, x * self.cdf)

    def backward(self, g):
        x = self.x
        if self.approximate == "tanh":
            du = _GELU_TANH_K * (1 + 3 * 0.044715 * x * x)
            return g * (self.cdf + 0.5 * x * (1 - self.t * self.t) * du)
        return g * (self.cdf + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))


class Hardtanh(Function):
    """y = clamp(x, low, high)   (_clamp's: -0.0 kept at low = 0, NaN kept)
    dx = g where low < x < high, else 0   (PyTorch's: 0 at a bound, where clamp's passes g; a NaN x passes g)"""
    def forward(self, x, low, high):
        self.flat = (x <= low) | (x >= high)
        return _clamp(x, x.dtype.type(low), x.dtype.type(high))

    def backward(self, g):
        return np.where(self.flat, 0, g)


class Hardsigmoid(Function):
    """y = clamp(x + 3, 0, 6) / 6
    dx = g / 6 where -3 < x < 3, else 0   (PyTorch's: 0 at -3 and 3, and at a NaN x)"""
    def forward(self, x):
        self.sloped = (x > -3) & (x < 3)
        return _in_dtype_of(x, _clamp(x + 3, 0, 6) / 6)

    def backward(self, g):
        return np.where(self.sloped, g / 6, 0)


class Hardswish(Function):
    """y = x clamp(x + 3, 0, 6) / 6
    dx = 0 where x <= -3, g (x/3 + 1/2) where -3 < x < 3, else g   (PyTorch's: a NaN x passes g)"""
    def forward(self, x):
        self.x = x
        return _in_dtype_of(x, x * _clamp(x + 3, 0, 6) / 6)

    def backward(self, g):
        x = self.x
        return np.where(x <= -3, 0, np.where(x < 3, g * (x / 3 + 0.5), g))


class LogSigmoid(Function):
    """y = ln σ(x) = min(x, 0) - ln(1 + exp(-|x|))   (exp of a negative argument only)
    dx = g σ(-x) = g / (1 + z) where x < 0, else g z / (1 + z), z = exp(-|x|)"""
    def forward(self, x):
        self.x, self.z = x, np.exp(-np.abs(x))
        return _in_dtype_of(x, np.minimum(x, 0) - np.log1p(self.z))

    def backward(self, g):
        z = self.z
        return np.where(self.x < 0, g * (1 - z / (1 + z)), g * (z / (1 + z)))


class Mish(Function):
    """y = x tanh(s), s = ln(1 + exp(x)) the softplus (PyTorch's: no cut-off; exp's inf gives s = inf, tanh 1)
    dx = g (tanh(s) + x σ(x) (1 - tanh²(s)))"""
    def forward(self, x):
        with np.errstate(over="ignore"):
            self.x, self.t = x, np.tanh(np.log1p(np.exp(x)))
        return x * self.t

    def backward(self, g):
        x, t = self.x, self.t
        with np.errstate(over="ignore"):
            sigmoid = 1 / (1 + np.exp(-x))
        return g * (t + x * sigmoid * (1 - t * t))


def _normalize_axis(axis, ndim, op):
    """The axes dim names, sorted and non-negative. A 0-D tensor takes dim 0 or -1, as in PyTorch,
    and reduces over no axis."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if not builtins.all(map(_is_int, axes)):
        raise TypeError(f"{op}: dim must be an int or a tuple of ints, got {axis!r}")
    for a in axes:
        if not -builtins.max(ndim, 1) <= a < builtins.max(ndim, 1):
            raise ValueError(f"{op}: dim {a} out of range for a {ndim}-D tensor")
    normalized = tuple(sorted(a % builtins.max(ndim, 1) for a in axes))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: dim {axis} names an axis more than once")
    return normalized if ndim else ()


def _reduced_axes(axis, ndim, op):
    """The axes a reduction reduces: as in PyTorch, an empty dim (() or []) is every axis, as None is."""
    return _normalize_axis(None if isinstance(axis, (tuple, list)) and not axis else axis, ndim, op)


def _one_axis(dim, ndim, op, name="dim"):
    """The one axis an int dim names among ndim (as torch, a tuple or None is not a dim here)."""
    if not _is_int(dim):
        raise TypeError(f"{op}: {name} must be an int, got {dim!r}")
    return _normalize_axis(dim, ndim, op)[0]


def _check_axes_not_empty(op, shape, axes, dim):
    """max, min, argmax and norms of negative or infinite order have no value over nothing: an empty axis among
    the reduced ones is refused, as PyTorch refuses it."""
    if builtins.any(shape[a] == 0 for a in axes):
        raise ValueError(f"{op}: reducing an empty axis of shape {shape}, dim {dim}")


def _restore_axes(g, axes, keepdims):
    return g if keepdims else np.expand_dims(g, axes)


class Sum(Function):
    """y = sum of x over axes
    dx = g broadcast back over the summed axes"""
    def forward(self, x, axis=None, keepdims=False):
        self.shape = x.shape
        self.axes, self.keepdims = _reduced_axes(axis, x.ndim, "sum"), keepdims
        integers = np.int64 if x.dtype.kind in "biu" else None  # as PyTorch's sum; NumPy's of uint8 is uint64
        return np.sum(x, axis=self.axes, keepdims=keepdims, dtype=integers)

    def backward(self, g):
        return np.broadcast_to(_restore_axes(g, self.axes, self.keepdims), self.shape)


class Mean(Function):
    """y = mean of x over axes (n elements each)
    dx = g / n broadcast back"""
    def forward(self, x, axis=None, keepdims=False):
        self.shape = x.shape
        self.axes, self.keepdims = _reduced_axes(axis, x.ndim, "mean"), keepdims
        self.n = int(np.prod([x.shape[a] for a in self.axes]))
        if self.n == 0:  # NaN, as in PyTorch, where NumPy's mean also warns "Mean of empty slice"
            dtype = x.dtype if x.dtype.kind == "f" else np.float64  # np.mean's
            return np.full(np.sum(x, axis=self.axes, keepdims=keepdims).shape, np.nan, dtype)
        return np.mean(x, axis=self.axes, keepdims=keepdims)

    def backward(self, g):
        return np.broadcast_to(_restore_axes(g, self.axes, self.keepdims) / self.n, self.shape)


class Prod(Function):
    """y = Π x over axis (every element when axis is None)
    dx = g Π(the others): the products before and after each x, multiplied, so exact at zeros (no y / x)"""
    def forward(self, x, axis=None, keepdims=False):
        axis = None if axis is None else _softmax_axis(axis, x.ndim, "prod")
        self.axis = None if axis == () else axis  # a 0-D x's one dim is all of it
        self.x, self.keepdims = x, keepdims
        integers = np.int64 if x.dtype.kind in "biu" else None  # as PyTorch's prod
        return np.prod(x, axis=self.axis, keepdims=keepdims, dtype=integers)

    def backward(self, g):
        x = self.x.reshape(-1) if self.axis is None else np.moveaxis(self.x, self.axis, -1)  # reduced along the last
        before, after = np.ones_like(x), np.ones_like(x)  # Π of the elements before and after each
        before[..., 1:] = np.cumprod(x[..., :-1], -1)
        after[..., :-1] = np.cumprod(x[..., :0:-1], -1)[..., ::-1]
        if self.axis is None:
            return (before * after).reshape(self.x.shape) * g
        return np.moveaxis(before * after, -1, self.axis) * _restore_axes(g, self.axis, self.keepdims)


class Cumsum(Function):
    """yᵢ = Σ_{j ≤ i} xⱼ along axis
    dxⱼ = Σ_{i ≥ j} gᵢ: g summed from the end (flipped, cumsum, flipped back)"""
    def forward(self, x, axis):
        self.axis = _softmax_axis(axis, x.ndim, "cumsum")
        integers = np.int64 if x.dtype.kind in "biu" else x.dtype  # as PyTorch's cumsum
        return np.cumsum(x, self.axis, dtype=integers) if x.ndim else x.astype(integers)

    def backward(self, g):
        return np.flip(np.cumsum(np.flip(g, self.axis), self.axis), self.axis) if g.ndim else g


class Amax(Function):
    """y = max of x over axes
    dx = g [x == y] / (number of ties)   (ties share the gradient, as PyTorch's amax, which multiplies
    by the mask; max(x) and min(x) select by it, as PyTorch's max() does, so an inf g gives 0, not
    NaN, off the maximum, and a NaN y counts the NaNs of x as its ties)"""
    reduce = staticmethod(np.max)

    def forward(self, x, axis=None, keepdims=False, op=None):
        op = op or type(self).__name__.lower()  # max(x) and min(x) reduce with these too
        self.axes, self.keepdims = _reduced_axes(axis, x.ndim, op), keepdims
        _check_axes_not_empty(op, x.shape, self.axes, axis)
        y = self.reduce(x, axis=self.axes, keepdims=True)
        self.hit, self.selects = x == y, op in ("max", "min")
        if self.selects and x.dtype.kind == "f":  # torch.max(x) shares it among the NaNs it returns
            self.hit |= np.isnan(x) & np.isnan(y)  # (amax's gradient is NaN there, as PyTorch's)
        self.ties = self.hit.sum(axis=self.axes, keepdims=True).astype(x.dtype)
        return y if keepdims else np.squeeze(y, self.axes)

    def backward(self, g):
        share = _restore_axes(g, self.axes, self.keepdims) / self.ties
        return np.where(self.hit, share, 0) if self.selects else share * self.hit


class Amin(Amax):
    """y = min of x over axes
    dx = g [x == y] / (number of ties)"""
    reduce = staticmethod(np.min)


class Expand(Function):
    """y = x broadcast to shape (new dims first, dims of size 1 stretched), a copy
    dx = g summed over the new dims and over the stretched ones"""
    def forward(self, x, shape):
        self.shape = x.shape
        return np.broadcast_to(x, shape).copy()

    def backward(self, g):
        return _sum_to_shape(g, self.shape)


class Repeat(Function):
    """y = x tiled reps times along each dim (x given leading dims of size 1 to match reps first)
    dx = g summed over its tiles: g seen as (r₀, s₀, r₁, s₁, ...), summed over the r axes"""
    def forward(self, x, reps):
        self.x_shape, self.padded = x.shape, (1,) * (len(reps) - x.ndim) + x.shape
        self.reps = reps
        return np.tile(x.reshape(self.padded), reps)

    def backward(self, g):
        tiles = g.reshape([n for r, s in zip(self.reps, self.padded) for n in (r, s)])
        return tiles.sum(axis=tuple(range(0, tiles.ndim, 2))).reshape(self.x_shape)


class Reshape(Function):
    """y = x reshaped
    dx = g reshaped back"""
    def forward(self, x, shape):
        self.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape {x.shape} into {shape}") from None

    def backward(self, g):
        return g.reshape(self.shape)


class Clone(Function):
    """y = a copy of x, still in the graph
    dx = g"""
    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


class Cast(Function):
    """y = x rounded to another floating-point dtype
    dx = g in x's dtype"""
    def forward(self, x, dtype):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, g):
        return g.astype(self.dtype)


class Flip(Function):
    """y = x reversed along axes (a copy, as PyTorch's: a change to y leaves x alone)
    dx = g reversed along the same axes"""
    def forward(self, x, axes):
        self.axes = axes
        return np.flip(x, axes).copy()

    def backward(self, g):
        return np.flip(g, self.axes)


class Permute(Function):
    """y = x with axes permuted by p
    dx = g permuted by the inverse of p"""
    def forward(self, x, axes):
        ndim = builtins.max(x.ndim, 1)  # a 0-D tensor takes dim 0 or -1, as in torch
        out_of_range = [a for a in axes if not -ndim <= a < ndim]
        if out_of_range and len(axes) == x.ndim:  # the modulo alone took dim 3 of a 2-D tensor as dim 1
            raise ValueError(f"permute: dim {out_of_range[0]} out of range for a {x.ndim}-D tensor "
                             f"(from {-ndim} to {ndim - 1})")
        axes = tuple(a % ndim for a in axes)
        if sorted(axes) != list(range(x.ndim)):
            raise ValueError(f"permute: {axes} is not a permutation of the axes of a {x.ndim}-D tensor")
        self.inverse = tuple(np.argsort(axes))
        return np.transpose(x, axes)

    def backward(self, g):
        return np.transpose(g, self.inverse)


class GetItem(Function):
    """y = x[basic][advanced]   (split as PyTorch indexes: see _torch_index_order)
    dx = zeros with g added into dx[basic] at advanced, repeated indices accumulating (np.add.at)"""
    def forward(self, x, index):
        self.shape, self.dtype = x.shape, x.dtype
        self.basic, self.advanced = _torch_index_order(index, x.ndim)
        try:
            return x[self.basic][self.advanced]
        except IndexError as e:
            raise IndexError(f"getitem: {e} (shape {x.shape}, index {index!r})") from None

    def backward(self, g):
        dx = np.zeros(self.shape, dtype=self.dtype)
        if self.advanced:
            np.add.at(dx[self.basic], self.advanced, g)  # with an array, dx[basic] is a view: the sums land in dx
        else:
            dx[self.basic] = g  # basic indexing reaches each element once
        return dx


def _torch_index_order(index, ndim):
    """(basic, advanced) with x[index] in PyTorch equal to x[basic][advanced] in NumPy, x of ndim axes.

    PyTorch selects integers (and 0-D integer arrays) first and applies arrays, lists and bools
    after, on the axes that remain: x[0, :, [1, 2]] of a (3, 4, 5) x is (4, 2). NumPy counts the 0
    as an array too, and arrays apart put their axes first: (2, 4). So basic keeps ints, slices,
    None and Ellipsis, and holds each array's axes with slices (a bool, an axis of its own, is a
    None); advanced is basic's result's axes, the arrays in their places and Ellipsis spelled out
    (arrays on either side of an empty one are adjacent in PyTorch, apart in NumPy)."""
    entries = index if isinstance(index, tuple) else (index,)
    basic, advanced, any_advanced = [], [], False
    for entry in entries:
        if isinstance(entry, (list, np.ndarray)):
            entry = np.asarray(entry)
            if entry.size == 0 and entry.dtype.kind not in "bi":
                entry = entry.astype(np.intp)  # x[[]], as in PyTorch: nothing picked, not a float index
            if entry.ndim == 0:
                entry = entry[()]
        if isinstance(entry, (bool, np.bool_)):
            basic.append(None)
            advanced.append(np.arange(int(entry)))
            any_advanced = True
        elif isinstance(entry, np.ndarray):
            basic.extend([slice(None)] * (entry.ndim if entry.dtype == bool else 1))
            advanced.append(entry)
            any_advanced = True
        else:  # an int, slice, None or Ellipsis; NumPy refuses anything else in basic
            basic.append(entry)
            if not isinstance(entry, (int, np.integer)):
                advanced.append(Ellipsis if entry is Ellipsis else slice(None))
    if not any_advanced:
        return tuple(basic), ()
    spanned = builtins.max(ndim - builtins.sum(e is not None and e is not Ellipsis for e in basic), 0)
    advanced = [a for e in advanced for a in ([slice(None)] * spanned if e is Ellipsis else [e])]
    return tuple(basic), tuple(advanced)


class Gather(Function):
    """y = x picked along dim by index (torch.gather: y[i, j] = x[i, index[i, j]] for dim 1; index
    no larger than x in the other dims, which start at 0)
    dx = zeros with g added where each y came from, repeated indices accumulating"""
    def forward(self, x, index, dim):
        larger = builtins.any(n > m for d, (n, m) in enumerate(zip(index.shape, x.shape)) if d != dim)
        if index.ndim != x.ndim or larger:
            raise ValueError(f"gather: index of shape {index.shape} must have x's {x.ndim} dims and be no larger "
                             f"than x {x.shape} except in dim {dim}")
        size = x.shape[dim] if x.ndim else 1
        if index.size and (index.min() < 0 or index.max() >= size):
            raise IndexError(f"gather: index values must be in [0, {size}) for dim {dim} of shape {x.shape}, "
                             f"got {index.min()} to {index.max()}")
        self.shape = x.shape
        # the positions read, one integer array per axis: index along dim, each element's own place elsewhere
        self.where = tuple(index if d == dim else np.arange(n).reshape((-1,) + (1,) * (index.ndim - d - 1))
                           for d, n in enumerate(index.shape))
        return x[self.where]

    def backward(self, g):
        dx = np.zeros(self.shape, dtype=g.dtype)
        np.add.at(dx, self.where, g)
        return dx


class Pad(Function):
    """y = x padded with a constant; pad_width as np.pad's ((before, after), ...), one pair per axis
    dx = g with the padding sliced off"""
    def forward(self, x, pad_width, value):
        self.inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, x.shape))
        return np.pad(x, pad_width, constant_values=value)

    def backward(self, g):
        return g[self.inner]


class EdgePad(Function):
    """y = x read along each padded axis at the positions reads[axis] (_edge_reads: PyTorch's reflect,
    replicate and circular padding)
    dx = g added back, axis by axis, to the positions each read (np.add.at: a position read twice gets both)"""
    def forward(self, x, reads):
        self.shape, self.reads = x.shape, reads
        for axis, positions in reads.items():
            x = np.take(x, positions, axis=axis)
        return x

    def backward(self, g):
        for axis, positions in reversed(self.reads.items()):
            dx = np.zeros(g.shape[:axis] + (self.shape[axis],) + g.shape[axis + 1:], g.dtype)
            np.add.at(dx, (slice(None),) * axis + (positions,), g)
            g = dx
        return g


def _edge_reads(mode, n, before, after):
    """The positions of an axis of size n that reflect, replicate or circular padding reads, before to
    after: reflect mirrors about the edge without repeating it ([2, 1 | 0, 1, 2 | 1, 0]), replicate repeats
    the edge element, circular wraps around."""
    i = np.arange(-before, n + after)
    if mode == "reflect":
        return np.abs(n - 1 - np.abs(n - 1 - np.abs(i)))
    return np.clip(i, 0, n - 1) if mode == "replicate" else i % n


class Concatenate(Function):
    """y = concatenate(xs, axis)
    dx_i = the slice of g that x_i occupies"""
    def forward(self, *xs, axis=0):
        if not xs:
            raise ValueError("concatenate: needs at least one tensor")
        if xs[0].ndim == 0:
            raise ValueError("concatenate: 0-D tensors cannot be concatenated (stack them)")
        self.axis = _one_axis(axis, xs[0].ndim, "concatenate")
        try:
            y = np.concatenate(xs, axis=self.axis)
        except ValueError as e:
            raise ValueError(f"concatenate: {e} (shapes {[x.shape for x in xs]})") from None
        self.splits = np.cumsum([x.shape[self.axis] for x in xs])[:-1]
        return y

    def backward(self, g):
        return tuple(np.split(g, self.splits, axis=self.axis))


class Stack(Function):
    """y = stack(xs, axis)
    dx_i = g taken at position i along axis"""
    def forward(self, *xs, axis=0):
        if not xs or len({x.shape for x in xs}) != 1:
            raise ValueError(f"stack: needs tensors of one shape, got {[x.shape for x in xs]}")
        self.axis = _one_axis(axis, xs[0].ndim + 1, "stack")
        return np.stack(xs, axis=self.axis)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.axis, 0))


def _softmax_axis(dim, ndim, op):
    """The one axis softmax, log_softmax, cumsum and prod run along; none for a 0-D tensor, which takes
    dim 0 or -1, as in torch."""
    axis = _one_axis(dim, builtins.max(ndim, 1), op)
    return axis if ndim else ()


def _check_floating(x, op):
    """softmax and its kin refuse integers, as PyTorch does (their max's -inf start overflowed them)."""
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: needs floating-point input, got dtype {x.dtype}; convert it with .float() or .double()")


class Softmax(Function):
    """y = exp(x - max x) / sum exp(x - max x) along axis
    dx = y (g - sum(g y))"""
    def forward(self, x, axis=-1):
        _check_floating(x, "softmax")
        self.axis = axis = _softmax_axis(axis, x.ndim, "softmax")
        e = np.exp(x - x.max(axis=axis, keepdims=True, initial=-np.inf))  # initial: an empty axis, as PyTorch
        self.y = e / e.sum(axis=axis, keepdims=True)
        return self.y

    def backward(self, g):
        return self.y * (g - (g * self.y).sum(axis=self.axis, keepdims=True))


class Normalize(Function):
    """x̂ = (x - μ) / σ, σ = √(v + eps), with μ and v the mean and biased variance of x over axes, n values each
    (batch norm in training, layer norm, group norm), or constants (axes None: batch norm's running statistics).
    dx = (g - mean(g) - x̂ mean(g x̂)) / σ, means over the axes, whose two terms are μ's and v's dependence on x
    (derived in docs/autograd.md); dx = g / σ for constants"""
    def forward(self, x, mean, var, eps, axes):
        self.axes, self.sigma = axes, np.sqrt(var + x.dtype.type(eps))
        self.x_hat = (x - mean) / self.sigma
        return self.x_hat

    def backward(self, g):
        if self.axes is None:
            return g / self.sigma
        n = math.prod(g.shape[a] for a in self.axes)  # 0: an empty dx, whatever 0 / 0 is
        mean_g = np.sum(g, self.axes, keepdims=True) / n
        return (g - mean_g - self.x_hat * (np.sum(g * self.x_hat, self.axes, keepdims=True) / n)) / self.sigma


def _moments(x, axes):
    """The mean and biased variance of array x over axes (kept, to broadcast), as Normalize takes them. An
    empty slice's are 0 / 0, NaN, as PyTorch's (np.mean would warn)."""
    n = math.prod(x.shape[a] for a in axes)
    with np.errstate(all="ignore"):
        mean = np.sum(x, axes, keepdims=True) / n
        return mean, np.sum(np.square(x - mean), axes, keepdims=True) / n


class LogSoftmax(Function):
    """y = x - max x - ln sum exp(x - max x) along axis
    dx = g - softmax(x) sum(g)"""
    def forward(self, x, axis=-1):
        _check_floating(x, "log_softmax")
        self.axis = axis = _softmax_axis(axis, x.ndim, "log_softmax")
        shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
        y = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))  # log 0 only on an empty axis
        self.softmax = np.exp(y)
        return y

    def backward(self, g):
        return g - self.softmax * g.sum(axis=self.axis, keepdims=True)


class _ClassLabelLoss(Function):
    """What nll_loss and cross_entropy share: x's classes (C of them, along the class dim) read as rows x[n, :],
    one for every position of the other dims, the labels flattened to match; m_n = 0 where label_n is
    ignore_index, else 1; class weights w (ones unless given) and W = sum_n m_n w[label_n]."""
    def _rows(self, op, x, labels, weight, ignore_index, reduction, other_form=""):
        labels = np.asarray(labels)
        self.class_dim = _class_dim(x)
        c = x.shape[self.class_dim]
        if labels.shape != _label_shape(x) or labels.dtype.kind not in "iu":
            raise ValueError(f"{op}: needs integer labels of shape {_label_shape(x)} (the input's {x.shape} without "
                             f"the class dim){other_form}, got {labels.shape} {labels.dtype}")
        kept = labels != ignore_index
        if kept.any() and (labels[kept].min() < 0 or labels[kept].max() >= c):
            raise ValueError(f"{op}: labels must lie in [0, {c}) or equal ignore_index ({ignore_index}), "
                             f"got min {labels[kept].min()} max {labels[kept].max()}")
        rows = np.moveaxis(x, self.class_dim, -1)
        self.labels_shape, self.rows_shape = labels.shape, rows.shape
        self.kept, self.reduction = kept.reshape(-1), reduction
        # the kept rows' entries at their labels: an ignored label may lie outside the classes, or there are none
        self.at_labels = (np.flatnonzero(self.kept), labels.reshape(-1)[self.kept])
        self.w = np.ones(c, x.dtype) if weight is None else cast(weight, x.dtype)
        self.w_label = np.zeros(labels.size, x.dtype)
        self.w_label[self.kept] = self.w[self.at_labels[1]]
        self.total = self.w_label.sum()  # N when no weight is given and no label ignored
        return rows.reshape(labels.size, c)

    def _picked(self, rows):
        """-m_n w[label_n] rows[n, label_n] for every row."""
        terms = np.zeros(len(rows), rows.dtype)
        terms[self.kept] = -(self.w_label[self.kept] * rows[self.at_labels])
        return terms

    def _reduced(self, terms):
        """Per-row terms summed, over W for the mean (no labels, or none kept: 0 / 0 = nan, as PyTorch's), or
        in the labels' shape."""
        if self.reduction == "none":
            return terms.reshape(self.labels_shape)
        return terms.sum() / self.total if self.reduction == "mean" else terms.sum()

    def _g_n(self, g):
        """g_n, a scalar or a column (N, 1): g over W for the mean, g for the sum, g[n] for none."""
        g = g.reshape(-1, 1) if self.reduction == "none" else g
        return g / self.total if self.reduction == "mean" else g

    def _set_picked_grads(self, grad, g):
        """grad[n, label_n] = -w[label_n] g_n, the gradient of the kept rows' picked terms."""
        g_n = np.broadcast_to(self._g_n(g), (len(self.kept), 1))[self.kept, 0]
        grad[self.at_labels] = -(self.w_label[self.kept] * g_n)

    def _as_input(self, grad):
        """The rows' gradient (N, C) in the input's shape."""
        return np.moveaxis(grad.reshape(self.rows_shape), -1, self.class_dim)


class NLLLoss(_ClassLabelLoss):
    """For rows x[n, :] (log-probabilities, as log_softmax gives them): y = -sum_n m_n w[label_n] x[n, label_n] / W
    ("mean"), the same without / W ("sum"), or each row's term in the labels' shape ("none")
    dx[n, label_n] = -m_n w[label_n] g_n, 0 elsewhere, with g_n = g / W, g or g[n] by the reduction"""
    def forward(self, x, labels, weight, ignore_index, reduction):
        return self._reduced(self._picked(self._rows("nll_loss", x, labels, weight, ignore_index, reduction)))

    def backward(self, g):
        grad = np.zeros((len(self.kept), len(self.w)), self.w.dtype)
        self._set_picked_grads(grad, g)
        return self._as_input(grad)


class CrossEntropy(_ClassLabelLoss):
    """For logits' rows x[n, :], label smoothing s and the rest as _ClassLabelLoss, PyTorch's two terms:
    nll_n = -m_n w[label_n] log_softmax(x)[n, label_n] and smooth_n = -m_n sum_c w_c log_softmax(x)[n, c];
    y is (1 - s) sum_n nll_n / W + (s / C) sum_n smooth_n / W ("mean"), the same without / W ("sum"), or
    (1 - s) nll + (s / C) smooth in the labels' shape ("none")
    dx = G - softmax(x) sum_c G[n, c], G = d y / d log_softmax(x): -m_n ((1 - s) w[label_n] [c = label_n] +
    (s / C) w_c) g_n, with g_n = g / W, g or g[n] by the reduction"""
    def forward(self, logits, labels, weight, ignore_index, reduction, label_smoothing):
        logits = self._rows("cross_entropy", logits, labels, weight, ignore_index, reduction,
                            other_form=" or class probabilities of its shape")
        c, dtype = logits.shape[1], logits.dtype.type
        s = float(label_smoothing)  # the shares in double, cast to the logits' dtype, as PyTorch computes them
        self.nll_share = dtype(1 - s)
        # PyTorch skips the smoothing term for s = 0; s / 0 classes is inf there (then inf 0 = nan)
        self.smooth_share = dtype(s / c if c else np.inf) if s else None
        shifted = logits - logits.max(axis=1, keepdims=True, initial=-np.inf)  # initial: no classes
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.softmax = np.exp(log_p)
        y = self.nll_share * self._reduced(self._picked(log_p))
        if self.smooth_share is None:
            return y
        # selected, not multiplied by m_n: an ignored row's log p of -inf times 0 would be NaN
        return y + self.smooth_share * self._reduced(np.where(self.kept, -(log_p * self.w).sum(axis=1), 0))

    def backward(self, g):
        grad = np.zeros_like(self.softmax)  # G
        self._set_picked_grads(grad, self.nll_share * g)
        if self.smooth_share is not None:
            grad -= np.where(self.kept[:, None], self.w * self._g_n(self.smooth_share * g), 0)
        grad -= self.softmax * grad.sum(axis=1, keepdims=True)
        return self._as_input(grad)


# ----------------------------------------------------------------------------------- public API

def _binary(fn):
    """The function of a binary Function, named for it (add for Add): an error names the op, and
    help() shows its forward and VJP."""
    def op(input, other):  # noqa: A002  torch's names
        return fn.apply(*_pair(input, other, op.__name__))
    op.__name__ = op.__qualname__ = fn.__name__.lower()
    op.__doc__ = fn.__doc__
    return op


def _pair(a, b, op):
    if isinstance(a, Tensor):
        return _promoted(a, as_tensor(b, like=a, op=op))
    b = as_tensor(b, op=op)
    return _promoted(as_tensor(a, like=b, op=op), b)


def _promoted(*tensors):
    """The tensors cast to PyTorch's dtype for them (result_type), inside the graph."""
    if not tensors:
        return ()
    dtype = result_type(*tensors)
    return tuple(_to(t, dtype) for t in tensors)


mul, div, remainder = (_binary(f) for f in (Mul, Div, Remainder))
maximum, minimum = _binary(Maximum), _binary(Minimum)


def _is_boolean(v):
    return np.asarray(v.data if isinstance(v, Tensor) else v).dtype == bool


def _refuse_booleans(op, *operands, hint="cast them first"):
    """Ops PyTorch refuses booleans for, where NumPy gives a result: 1 - mask, where ~mask was meant,
    gave int64; relu, abs and @ of masks gave masks."""
    if builtins.any(map(_is_boolean, operands)):
        raise TypeError(f"{op}: not defined for booleans, as in PyTorch; {hint}")


def pow(input, exponent):  # noqa: A001, A002  torch's names
    # PyTorch has pow of two booleans only for a number exponent (mask ** True is the mask)
    if not isinstance(exponent, (bool, np.bool_)) and _is_boolean(input) and _is_boolean(exponent):
        raise TypeError("pow: not defined for a boolean base and exponent, as in PyTorch, but for a number "
                        "exponent (mask ** True is the mask); cast them first")
    return Pow.apply(*_pair(input, exponent, "pow"))


pow.__doc__ = Pow.__doc__


def matmul(input, other):  # noqa: A002  torch's names
    _refuse_booleans("matmul", input, other)
    return MatMul.apply(*_pair(input, other, "matmul"))


matmul.__doc__ = MatMul.__doc__


def linear(input, weight, bias=None):  # noqa: A002  torch's names
    """torch.nn.functional.linear: x @ weightᵀ + bias over x's last dim, weight (out_features, in_features)
    (or (in_features,), one output without its dim), bias broadcast. Composed of matmul and add."""
    x, w = as_tensor(input, op="linear"), as_tensor(weight, op="linear")
    if w.ndim not in (1, 2) or x.ndim == 0 or x.shape[-1] != w.shape[-1]:
        raise ValueError(f"linear: weight must be (out_features, in_features) or (in_features,), in_features the "
                         f"input's last dim; got input {x.shape} and weight {w.shape}")
    y = x @ w.T  # a 1-D weight's T is itself
    return y if bias is None else y + bias


def _times_alpha(op, input, other, alpha):
    """add's and sub's operands, other times alpha: in the dtype input and other give, where alpha has no say,
    so it must fit that dtype, as in PyTorch (no fraction for integers, True or False for bools only)."""
    a, b = _pair(input, other, op)
    is_bool = isinstance(alpha, (bool, np.bool_))
    if not (is_bool or _is_real(alpha)):
        raise TypeError(f"{op}: alpha must be a number, got {alpha!r}")
    if is_bool and a.dtype != bool or a.dtype.kind in "iub" and not (is_bool or _is_int(alpha)):
        raise TypeError(f"{op}: alpha {alpha!r} does not fit the {a.dtype} result, as in PyTorch (no float for "
                        f"integers or bools, no bool for numbers)")
    # astype, not asarray(alpha, dtype): -1 wraps to 255 in uint8 as PyTorch's does (NumPy 2's asarray refuses it)
    return (a, b) if alpha == 1 and not is_bool else (a, b * np.asarray(alpha).astype(a.dtype))


def add(input, other, *, alpha=1):  # noqa: A002  torch's names
    return Add.apply(*_times_alpha("add", input, other, alpha))


add.__doc__ = Add.__doc__ + "; with alpha: y = a + alpha b, db = alpha g"


def sub(input, other, *, alpha=1):  # noqa: A002  torch's names
    _refuse_booleans("sub", input, other, hint="~mask inverts a mask, or cast it first")
    return Sub.apply(*_times_alpha("sub", input, other, alpha))


sub.__doc__ = Sub.__doc__ + "; with alpha: y = a - alpha b, db = -alpha g"


def floor_divide(input, other):  # noqa: A002  torch's names
    """torch.floor_divide (a // b, rounded down): a constant, outside the graph, as integer positions
    are (pool indices // W are rows). PyTorch has no gradient for it either: refused for an input
    that requires one."""
    a, b = _pair(input, other, "floor_divide")
    if is_grad_enabled() and (a.requires_grad or b.requires_grad):
        raise RuntimeError("floor_divide: has no gradient (as in PyTorch); detach() the inputs or use no_grad()")
    _check_same_shape_or_broadcast("floor_divide", a.data, b.data)
    _check_integer_divisor("floor_divide", b.data)
    with np.errstate(all="ignore"):  # x // 0 is inf or nan, as in PyTorch
        return Tensor(np.floor_divide(a.data, b.data))


def neg(x):
    _refuse_booleans("neg", x, hint="~mask inverts a mask, or cast it first")
    return Neg.apply(x)


def exp(x): return Exp.apply(x)
def log(x): return Log.apply(x)
def log1p(x): return Log1p.apply(x)
def expm1(x): return Expm1.apply(x)
def erf(x): return Erf.apply(x)
def sqrt(x): return Sqrt.apply(x)
def sign(x): return Sign.apply(x)


def abs(x):  # noqa: A001 - mirrors numpy/torch naming
    _refuse_booleans("abs", x)
    return Abs.apply(x)


def relu(x):
    _refuse_booleans("relu", x)
    return ReLU.apply(x)


def _activation_input(op, input, inplace=False):  # noqa: A002  torch's names
    """The activations' input as a tensor: floating-point, as PyTorch's kernels take it, and inplace taken as
    ReLU's (True or False; the result a new tensor all the same)."""
    x = as_tensor(input, op=op)
    _check_floating(x, op)
    check_flags(op, inplace=inplace)
    return x


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002  torch's names
    """torch.nn.functional.leaky_relu: x where x > 0, negative_slope · x elsewhere. Composed of where and mul, so
    dx = g where x > 0, negative_slope · g elsewhere (at 0 too, as PyTorch's). inplace=True is taken, as
    ReLU's: the result is a new tensor."""
    x = _activation_input("leaky_relu", input, inplace)
    check_numbers("leaky_relu", negative_slope=negative_slope)
    return where(x > 0, x, x * negative_slope)


def silu(input, inplace=False):  # noqa: A002  torch's names
    """torch.nn.functional.silu (swish): x σ(x). Composed of sigmoid and mul, so dx = g (σ + x σ (1 - σ)).
    inplace=True is taken, as ReLU's."""
    x = _activation_input("silu", input, inplace)
    return x * sigmoid(x)


def _activation(op, function, input, inplace=False, **settings):  # noqa: A002  torch's names
    """function applied to input after the activations' common checks (_activation_input)."""
    return function.apply(_activation_input(op, input, inplace), **settings)


def _check_beta(op, beta, threshold):
    """softplus's settings, checked by the function and by nn.Softplus when it is made: numbers, beta not 0."""
    check_numbers(op, beta=beta, threshold=threshold)
    if beta == 0:  # PyTorch's result is inf everywhere
        raise ValueError(f"{op}: beta must not be 0: ln(1 + exp(βx)) / β divides by it")


def softplus(input, beta=1.0, threshold=20.0):  # noqa: A002  torch's names
    """torch.nn.functional.softplus: ln(1 + exp(βx)) / β, a smooth relu; x itself where βx > threshold, where the
    two agree to float precision and exp would overflow."""
    _check_beta("softplus", beta, threshold)
    return _activation("softplus", Softplus, input, beta=beta, threshold=threshold)


def _check_alpha(op, alpha, divisor=False):
    """elu's and celu's alpha, checked by the function and by the module when it is made: a number, and not 0 for
    celu, which divides x by it (PyTorch refuses it too)."""
    check_numbers(op, alpha=alpha)
    if divisor and alpha == 0:
        raise ValueError(f"{op}: alpha must not be 0: celu divides x by it")


def elu(input, alpha=1.0, inplace=False):  # noqa: A002  torch's names
    """torch.nn.functional.elu: x where x > 0, α (exp(x) - 1) elsewhere. inplace=True is taken, as ReLU's."""
    _check_alpha("elu", alpha)
    return _activation("elu", ELU, input, inplace, alpha=alpha, scale=1.0, input_scale=1.0)


# selu's constants, PyTorch's (Klambauer et al. 2017): the fixed point of mean 0 and variance 1
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input, inplace=False):  # noqa: A002  torch's names
    """torch.nn.functional.selu: scale · elu(x, α) with PyTorch's two constants. inplace=True is taken."""
    return _activation("selu", ELU, input, inplace, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def celu(input, alpha=1.0, inplace=False):  # noqa: A002  torch's names
    """torch.nn.functional.celu: x where x > 0, α (exp(x/α) - 1) elsewhere. inplace=True is taken."""
    _check_alpha("celu", alpha, divisor=True)
    return _activation("celu", ELU, input, inplace, alpha=alpha, scale=1.0, input_scale=1 / alpha)


def _check_approximate(op, approximate):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"{op}: approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu(input, approximate="none"):  # noqa: A002  torch's names
    """torch.nn.functional.gelu: x Φ(x), Φ the standard normal CDF; approximate="tanh" its tanh form."""
    _check_approximate("gelu", approximate)
    return _activation("gelu", GELU, input, approximate=approximate)


def _check_bounds(op, min_val, max_val):
    """hardtanh's bounds, checked by the function and by nn.Hardtanh when it is made: numbers, in order."""
    check_numbers(op, min_val=min_val, max_val=max_val)
    if min_val > max_val:
        raise ValueError(f"{op}: min_val must not be greater than max_val, got {min_val!r} and {max_val!r}")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002  torch's names
    """torch.nn.functional.hardtanh: x clamped to [min_val, max_val], whose gradient is 0 at the bounds, as
    PyTorch's (clamp's passes it). Floating-point input only: PyTorch's also clamps integers."""
    _check_bounds("hardtanh", min_val, max_val)
    return _activation("hardtanh", Hardtanh, input, inplace, low=min_val, high=max_val)


def relu6(input, inplace=False):  # noqa: A002  torch's names
    """torch.nn.functional.relu6: hardtanh(x, 0, 6)."""
    return _activation("relu6", Hardtanh, input, inplace, low=0.0, high=6.0)


def hardsigmoid(input, inplace=False):  # noqa: A002  torch's names
    """torch.nn.functional.hardsigmoid: clamp(x + 3, 0, 6) / 6, a piecewise-linear sigmoid."""
    return _activation("hardsigmoid", Hardsigmoid, input, inplace)


def hardswish(input, inplace=False):  # noqa: A002  torch's names
    """torch.nn.functional.hardswish: x · hardsigmoid(x), with PyTorch's gradient at the kinks."""
    return _activation("hardswish", Hardswish, input, inplace)


def logsigmoid(input):  # noqa: A002  torch's names
    """torch.nn.functional.logsigmoid: ln σ(x), without exp's overflow."""
    return _activation("logsigmoid", LogSigmoid, input)


def mish(input, inplace=False):  # noqa: A002  torch's names
    """torch.nn.functional.mish: x tanh(ln(1 + exp(x)))."""
    return _activation("mish", Mish, input, inplace)


def softsign(input):  # noqa: A002  torch's names
    """torch.nn.functional.softsign: x / (1 + |x|), composed as PyTorch's, so dx = g / (1 + |x|)² (abs's sign 0
    at x = 0)."""
    x = _activation_input("softsign", input)
    return x / (abs(x) + 1)


def tanhshrink(input):  # noqa: A002  torch's names
    """torch.nn.functional.tanhshrink: x - tanh(x), composed as PyTorch's, so dx = g tanh²(x)."""
    x = _activation_input("tanhshrink", input)
    return x - tanh(x)


def sigmoid(x): return Sigmoid.apply(x)
def tanh(x): return Tanh.apply(x)


def where(condition, a, b):
    a, b = _pair(a, b, "where")
    return Where.apply(a, b, condition=condition.data if isinstance(condition, Tensor) else condition)


def masked_fill(x, mask, value):
    """torch.masked_fill: value where the boolean mask is True, x elsewhere: where(mask, value, x), in x's dtype
    (value cast to it, as PyTorch); value a number or a 0-D tensor, which gets g summed where the mask is."""
    x = as_tensor(x, op="masked_fill")
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype != bool:
        raise TypeError(f"masked_fill: mask must be boolean, as in PyTorch (x > 0), got dtype {mask.dtype}")
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"masked_fill: value must be a number or a 0-D tensor, got shape {value.shape}")
        value = _to(value, x.dtype)
    elif not _is_real(value) and not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"masked_fill: value must be a number or a 0-D tensor, got {value!r}")
    else:
        value = cast(value, x.dtype)  # 2.5 into integers is 2, as PyTorch
    return Where.apply(value, x, condition=mask)


def clamp(x, min=None, max=None):  # noqa: A002  torch's names
    """torch.clamp. Tensor or array bounds promote with x as PyTorch's do (a float32 x clamped by a
    float64 tensor is float64); numbers take x's dtype. Bounds that require a gradient get one, as in
    PyTorch (ClipByTensors); other bounds are constants (Clip)."""
    return _clip("clamp", x, min, max)


def clip(x, min=None, max=None):  # noqa: A002  torch's and NumPy 2's names
    """torch.clip, clamp under its other name."""
    return _clip("clip", x, min, max)


def _clip(op, x, min, max):  # noqa: A002
    if min is None and max is None:  # PyTorch refuses it too: a missing bound is usually a typo
        raise ValueError(f"{op}: at least one of min and max must be given")
    for name, b in (("min", min), ("max", max)):  # NumPy's error for "0.5" named no op
        if b is not None and not isinstance(b, Tensor) and np.asarray(b).dtype.kind not in "biuf":
            raise TypeError(f"{op}: {name} must be a number, an array or a tensor, got {b!r}")
    x = as_tensor(x, op=op)
    arrays = [b for b in (min, max) if isinstance(b, (Tensor, np.ndarray))]
    if arrays:
        x = _to(x, result_type(x, *arrays))
    if is_grad_enabled() and builtins.any(isinstance(b, Tensor) and b.requires_grad for b in arrays):
        # checked here too, before a missing bound becomes an inf, so the error names only the bounds given
        _check_bounds_broadcast(op, x, *(b.data if isinstance(b, Tensor) else b for b in (min, max)))
        low, high = (_to(as_tensor(missing if b is None else b), x.dtype)
                     for b, missing in ((min, -np.inf), (max, np.inf)))
        return ClipByTensors.apply(x, low, high, both=min is not None and max is not None, op=op)
    low, high = (b.data if isinstance(b, Tensor) else b for b in (min, max))
    return Clip.apply(x, low=low, high=high, op=op)


def _numpy_names(fn):
    """Let fn take NumPy's axis= and keepdims= for dim= and keepdim=, as PyTorch's functions do. keepdim,
    where fn has one, must be True or False, as in PyTorch: x.sum(0, 1) kept dim 0."""
    names = list(inspect.signature(fn).parameters)
    at = names.index("keepdim") if "keepdim" in names else None  # var and std take unbiased before it

    @functools.wraps(fn)
    def accepting_numpy_names(*args, **kwargs):
        for numpy_name, torch_name in (("axis", "dim"), ("keepdims", "keepdim")):
            if numpy_name in kwargs:
                if torch_name in kwargs:
                    raise TypeError(f"{fn.__name__}: got both {torch_name}= and its NumPy name {numpy_name}=")
                kwargs[torch_name] = kwargs.pop(numpy_name)
        keepdim = False if at is None else kwargs.get("keepdim", args[at] if len(args) > at else False)
        if not isinstance(keepdim, bool):
            raise TypeError(f"{fn.__name__}: keepdim must be True or False, got {keepdim!r} (several dims go in one "
                            f"tuple: dim=(0, 1))")
        return fn(*args, **kwargs)
    return accepting_numpy_names


@_numpy_names
def sum(x, dim=None, keepdim=False): return Sum.apply(x, axis=dim, keepdims=keepdim)  # noqa: A001
@_numpy_names
def mean(x, dim=None, keepdim=False): return Mean.apply(x, axis=dim, keepdims=keepdim)
@_numpy_names
def amax(x, dim=None, keepdim=False): return Amax.apply(x, axis=dim, keepdims=keepdim)
@_numpy_names
def amin(x, dim=None, keepdim=False): return Amin.apply(x, axis=dim, keepdims=keepdim)


def _truth_reduction(op, reduce, x, dim, keepdim):
    """any's and all's: whether some or every element over dims is nonzero (NaN is), a bool tensor outside the
    graph (uint8 for uint8, as PyTorch's). dim None is every dim; dim () none, as PyTorch's any and all."""
    x = as_tensor(x, op=op)
    axes = _normalize_axis(dim, x.ndim, op)  # None: every dim; (): none
    y = reduce(x.data != 0, axis=axes, keepdims=keepdim)
    return Tensor(y.astype(np.uint8) if x.dtype == np.uint8 else y)


@_numpy_names
def any(x, dim=None, keepdim=False):  # noqa: A001  torch's name
    """torch.any: whether some element over dims is nonzero; no gradient."""
    return _truth_reduction("any", np.any, x, dim, keepdim)


@_numpy_names
def all(x, dim=None, keepdim=False):  # noqa: A001  torch's name
    """torch.all: whether every element over dims is nonzero (True over none); no gradient."""
    return _truth_reduction("all", np.all, x, dim, keepdim)


@_numpy_names
def prod(x, dim=None, keepdim=False):
    """torch.prod: the product of the elements, over one dim (an int) or all of them; integers and bools in
    int64, as PyTorch's."""
    return Prod.apply(x, axis=dim, keepdims=keepdim)


def cumsum(x, dim):
    """torch.cumsum: the running sum along dim; integers and bools in int64, as PyTorch's."""
    return Cumsum.apply(x, axis=dim)


def _power_with_zero_gradient_at_zero(s, power):
    """s ** power for s >= 0 and power != 0, with gradient 0 where s is 0, PyTorch's choice there for std and
    norms: for a power below 1 the gradient is infinite there, and 0 · ∞ would make NaN (NaN kept, so NaN
    stays). 0 ** power is a constant there: 0, or ∞ for a negative power."""
    kept = s.data != 0
    return where(kept, where(kept, s, 1.0) ** power, 0.0 if power > 0 else np.inf)


def _var(op, x, dim, unbiased, keepdim, correction):
    """var and std's variance: Σ (x - mean)² / max(0, n - correction) over dims, n the count reduced.
    PyTorch's two ways to give the correction: unbiased (True 1, False 0) or correction (a number, 1
    when neither is given)."""
    x = as_tensor(x, op=op)
    _check_floating(x, op)  # PyTorch's var and std refuse integers
    if isinstance(dim, (bool, np.bool_)):  # PyTorch's var(x, unbiased), its one form without dim
        if (unbiased, keepdim, correction) != (None, False, None):
            raise TypeError(f"{op}: {op}(x, {dim}) is PyTorch's {op}(x, unbiased={dim}), which takes no other "
                            "setting; give dim, unbiased and keepdim by name")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give unbiased or correction, not both, as in PyTorch")
    if unbiased is not None:
        check_flags(op, unbiased=unbiased)
    elif correction is not None:
        check_numbers(op, correction=correction)
    c = int(unbiased) if unbiased is not None else 1 if correction is None else correction
    n = math.prod(x.shape[a] for a in _reduced_axes(dim, x.ndim, op))
    d = x - mean(x, dim, keepdim=True)
    return sum(d * d, dim, keepdim) / builtins.max(0, n - c)


@_numpy_names
def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """torch.var: Σ (x - mean)² / (n - correction) over dims, n the number of elements reduced; correction
    1 (Bessel's) unless given, unbiased=False for 0. Composed of mean, sub, mul, sum and div."""
    return _var("var", x, dim, unbiased, keepdim, correction)


@_numpy_names
def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """torch.std: √var, composed as var is. Where it is 0 the gradient is 0, PyTorch's choice at the kink
    (√'s is infinite there, which 0 · ∞ would make NaN)."""
    return _power_with_zero_gradient_at_zero(_var("std", x, dim, unbiased, keepdim, correction), 0.5)


@_numpy_names
def logsumexp(x, dim, keepdim=False):
    """torch.logsumexp: m + ln Σ e^(x - m) over dims, m the largest value there (0 where it is infinite)
    as a constant: the result does not depend on it. Composed of exp, sum and log, so dx = g softmax(x).
    Integers in float64, as exp's."""
    x = as_tensor(x, op="logsumexp")
    x = x if x.dtype.kind == "f" else _to(x, np.float64)
    axes = _reduced_axes(dim, x.ndim, "logsumexp")
    m = np.max(x.data, axis=axes, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
    return log(sum(exp(x - m), dim, keepdim)) + (m if keepdim else np.squeeze(m, axes))


@_numpy_names
def norm(x, p="fro", dim=None, keepdim=False):
    """torch.norm (Tensor.norm) of a vector, over dims: (Σ |x|^p)^(1/p), "fro" or 2 the Euclidean, 1 Σ |x|,
    inf and -inf the largest and smallest |x|, 0 the count of nonzero x (NaN counts), any other real p,
    negative too (0 where a slice holds a 0, whose |x|^p is infinite). Composed of abs, pow, sum, amax and amin,
    so dx = g sign(x) |x|^(p-1) / y^(p-1), 0 where y is 0 or infinite, as PyTorch's (inf: g sign(x) shared
    among the ties; 0: dx = 0). PyTorch's matrix orders are refused."""
    x = as_tensor(x, op="norm")
    _check_floating(x, "norm")  # PyTorch's vector norms refuse integers
    if p == "fro" or p == 2 and not isinstance(p, bool):
        return _power_with_zero_gradient_at_zero(sum(x * x, dim, keepdim), 0.5)
    if not _is_real(p) or np.isnan(p):
        raise ValueError(f"norm: p must be 'fro' or a real number, inf and -inf included, got {p!r} (PyTorch's "
                         "matrix orders are not here)")
    if p == 0:  # x ** 0 is 1 with gradient 0, NaN ** 0 too
        return sum(where(x.data != 0, x ** 0, 0.0), dim, keepdim)
    if p in (np.inf, -np.inf):  # named norm in amax's refusal of an empty dim
        return (Amax if p > 0 else Amin).apply(abs(x), axis=dim, keepdims=keepdim, op="norm")
    if p == 1:
        return sum(abs(x), dim, keepdim)
    if p < 0:  # |0|^p is infinite: Σ is, y = Σ^(1/p) = 0, and y's gradient 0 reaches no x of the slice
        _check_axes_not_empty("norm", x.shape, _reduced_axes(dim, x.ndim, "norm"), dim)  # as -inf
        return sum(_power_with_zero_gradient_at_zero(abs(x), p), dim, keepdim) ** (1 / p)
    powers = _power_with_zero_gradient_at_zero(abs(x), p)
    return _power_with_zero_gradient_at_zero(sum(powers, dim, keepdim), 1 / p)


def normalize(x, p=2.0, dim=1, eps=1e-12):
    """torch.nn.functional.normalize: x / max(‖x‖_p, eps) along dim (dim 1, the channels, by default), so
    each slice has norm 1, and a slice of norm below eps is divided by eps. Composed of norm, clamp and div."""
    _check_non_negative("normalize", eps=eps)
    x = as_tensor(x, op="normalize")
    _one_axis(dim, builtins.max(x.ndim, 1), "normalize")  # one dim, as PyTorch's
    return x / clamp(norm(x, p, dim, keepdim=True), min=eps)


def square(x):
    """torch.square: x * x, so dx = 2 g x; a bool x as int64, as PyTorch's."""
    x = as_tensor(x, op="square")
    x = _to(x, np.int64) if x.dtype == bool else x
    return x * x


def gather(x, dim, index):
    """torch.gather: x's values picked along dim at the integer positions in index."""
    x = as_tensor(x, op="gather")
    index = np.asarray(index.data if isinstance(index, Tensor) else index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"gather: index must hold integers, got dtype {index.dtype}")
    return Gather.apply(x, index=index, dim=_one_axis(dim, builtins.max(x.ndim, 1), "gather"))


Extremum = collections.namedtuple("Extremum", "values indices")  # torch.return_types.max / min


def _extremum(op, x, dim, keepdim):
    """torch.max and torch.min: over everything, the extremum (as amax, amin); along an int dim,
    (values, indices) of the first extremum (a NaN counts, as in PyTorch), which alone receives the
    gradient; with a tensor for dim, elementwise (torch.max(a, b) is maximum(a, b))."""
    elementwise, reduce, arg = {"max": (maximum, Amax, np.argmax), "min": (minimum, Amin, np.argmin)}[op]
    if isinstance(dim, Tensor):
        return elementwise(x, dim)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}: keepdim needs a dim")
        return reduce.apply(x, op=op)
    x = as_tensor(x, op=op)
    if not _is_int(dim):
        raise TypeError(f"{op}: dim must be an int, got {dim!r} (amax and amin reduce several dims)")
    index = _positions(op, arg, x, dim, keepdim=True)
    values = gather(x, dim, index) if x.ndim else clone(x)  # a new tensor, as torch's: never x itself
    if not keepdim and x.ndim:
        values, index = squeeze(values, dim), squeeze(index, dim)
    return Extremum(values, index)


def _positions(op, arg, x, dim, keepdim):
    """arg (np.argmax or np.argmin) of x along an int dim, or over the flattened x when dim is None
    (keepdim then keeps every axis at size 1): an int64 constant, outside the graph."""
    if dim is None:
        if x.numel() == 0:
            raise ValueError(f"{op}: an empty tensor of shape {x.shape} has no extremum; give a dim")
        return Tensor(np.full((1,) * x.ndim if keepdim else (), arg(x.data), np.int64))
    dim = _one_axis(dim, builtins.max(x.ndim, 1), op)  # a 0-D tensor takes dim 0 or -1, as in torch
    if not x.ndim:
        return Tensor(np.zeros((), np.int64))
    _check_axes_not_empty(op, x.shape, (dim,), dim)
    return Tensor(arg(x.data, axis=dim, keepdims=keepdim).astype(np.int64))


@_numpy_names
def max(x, dim=None, keepdim=False): return _extremum("max", x, dim, keepdim)  # noqa: A001
@_numpy_names
def min(x, dim=None, keepdim=False): return _extremum("min", x, dim, keepdim)  # noqa: A001


@_numpy_names
def argmax(x, dim=None, keepdim=False):
    """torch.argmax: the position of the first maximum (a NaN counts as one, as in PyTorch) along dim,
    or in the flattened tensor; int64, outside the graph."""
    _refuse_booleans("argmax", x)
    return _positions("argmax", np.argmax, as_tensor(x, op="argmax"), dim, keepdim)


@_numpy_names
def argmin(x, dim=None, keepdim=False):
    """torch.argmin: as argmax, for the first minimum."""
    _refuse_booleans("argmin", x)
    return _positions("argmin", np.argmin, as_tensor(x, op="argmin"), dim, keepdim)


Sorted = collections.namedtuple("Sorted", "values indices")  # torch.return_types.sort / topk


def _sort_order(op, x, dim, descending):
    """The stable sorting permutation of x along dim (an int64 constant): ascending with NaN last, as PyTorch's, or
    descending with NaN first and ties still in their order, which is the ascending sort of x reversed, read
    backwards (no negation, so integers and -0.0 sort as they are)."""
    x = as_tensor(x, op=op)
    dim = _one_axis(dim, builtins.max(x.ndim, 1), op)  # a 0-D tensor takes dim 0 or -1, as in torch
    check_flags(op, descending=descending)
    if not x.ndim:
        return x, dim, np.zeros((), np.int64)
    if not descending:
        return x, dim, np.argsort(x.data, axis=dim, kind="stable")
    n = x.shape[dim]
    backwards = np.argsort(np.flip(x.data, dim), axis=dim, kind="stable")
    return x, dim, n - 1 - np.flip(backwards, dim)


def _pick(x, dim, index):
    """x's values at index along dim, gather's gradient flowing back to them; a 0-D x a new tensor, as max's."""
    return gather(x, dim, index) if x.ndim else clone(x)


def sort(x, dim=-1, descending=False, *, stable=False):
    """torch.sort: (values, indices) along dim, NaN as the largest value. Ties keep their order whether stable or
    not (PyTorch's stable=True, which stable=False permits). The values are x gathered at indices:
    dx = g put back where each value came from."""
    check_flags("sort", stable=stable)
    x, dim, index = _sort_order("sort", x, dim, descending)
    return Sorted(_pick(x, dim, index), Tensor(index))


def argsort(x, dim=-1, descending=False, stable=False):
    """torch.argsort: sort's indices alone; int64, outside the graph."""
    check_flags("argsort", stable=stable)
    return Tensor(_sort_order("argsort", x, dim, descending)[2])


def topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002 (PyTorch's name)
    """torch.topk: (values, indices) of the k largest (smallest if not largest) along dim, NaN the largest; always
    in sorted order (which sorted=False permits). As sort's first k: dx = g put back at those k positions."""
    check_flags("topk", largest=largest, sorted=sorted)
    x, dim, index = _sort_order("topk", x, dim, largest)
    size = x.shape[dim] if x.ndim else 1
    if not _is_int(k) or not 0 <= k <= size:
        raise ValueError(f"topk: k must be an int from 0 to {size}, the size of dim {dim} of shape {x.shape}, "
                         f"got {k!r}")
    index = np.take(index, np.arange(k), axis=dim) if x.ndim else index
    return Sorted(_pick(x, dim, index), Tensor(index))


def _sizes(op, sizes, name):
    """A shape given as PyTorch takes it, ints one by one or in one tuple or list: x.reshape(2, 3) or
    x.reshape((2, 3))."""
    sizes = sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    if not builtins.all(map(_is_int, sizes)):  # NumPy's "an integer is required" named no op; it took True as 1
        raise TypeError(f"{op}: {name} must be ints, got {tuple(sizes)!r}")
    return tuple(sizes)


def expand(x, *sizes):
    """torch's Tensor.expand: x broadcast to sizes, -1 keeping a dim's size; new dims go first, and only a
    dim of size 1 stretches. A copy here, where PyTorch's is a view."""
    x = as_tensor(x, op="expand")
    sizes = _sizes("expand", sizes, "sizes")
    new = len(sizes) - x.ndim
    if new < 0:
        raise ValueError(f"expand: {len(sizes)} sizes for a {x.ndim}-D tensor: give one per dim at least")
    shape = tuple(x.shape[i - new] if s == -1 and i >= new else s for i, s in enumerate(sizes))
    for i, s in enumerate(shape):
        if s < 0:
            raise ValueError(f"expand: size {s} at dim {i} of {sizes}: -1 keeps an existing dim's size, and new "
                             "dims need sizes >= 0")
        if i >= new and x.shape[i - new] not in (1, s):
            raise ValueError(f"expand: dim {i} of size {x.shape[i - new]} cannot become {s} (only a dim of size 1 "
                             f"stretches), sizes {sizes} for shape {x.shape}")
    return Expand.apply(x, shape=shape)


def _expand_as(x, other):
    """x.expand_as(other), PyTorch's method: x expanded to other's shape."""
    return expand(x, as_tensor(other, op="expand_as").shape)


def repeat(x, *sizes):
    """torch's Tensor.repeat: x tiled sizes[i] times along dim i, x first given leading dims of size 1 when
    there are more sizes than dims (np.tile's rule, but fewer sizes than dims are refused, as PyTorch)."""
    x = as_tensor(x, op="repeat")
    sizes = _sizes("repeat", sizes, "sizes")
    if len(sizes) < x.ndim or builtins.min(sizes, default=0) < 0:
        raise ValueError(f"repeat: sizes must be one count >= 0 per dim at least, got {sizes} for shape {x.shape}")
    return Repeat.apply(x, reps=sizes)


def reshape(x, *shape):
    shape = _sizes("reshape", shape, "shape")
    if builtins.min(shape, default=0) < -1:  # NumPy takes any negative size for -1
        raise ValueError(f"reshape: size {builtins.min(shape)} in shape {tuple(shape)}: "
                         "only -1 stands for a size inferred")
    return Reshape.apply(x, shape=shape)


def _view(x, *shape):
    """Tensor.view, PyTorch's: x reshaped in its own memory, so a change of one shows in the other.
    Where that would need a copy (x transposed, say) it is refused, as in PyTorch: reshape copies."""
    y = reshape(x, *shape)
    if y.data.size and _memory_owner(y.data) is not _memory_owner(x.data):
        raise RuntimeError(f"view: a tensor of shape {x.shape} and strides {x.data.strides} cannot be viewed as "
                           f"{y.shape} without a copy; use reshape(), as in PyTorch")
    return y


def _view_as(x, other):
    """x.view_as(other), PyTorch's: x.view(other.size()) (its MNIST example counts pred.eq(target.view_as(pred)))."""
    return _view(x, as_tensor(other, op="view_as").shape)


def _reshape_as(x, other):
    """x.reshape_as(other), PyTorch's: x.reshape(other.size())."""
    return reshape(x, as_tensor(other, op="reshape_as").shape)


def permute(x, *dims):
    """torch.permute: axis i of the result is axis dims[i] of x (NumPy's transpose with axes)."""
    dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    if not builtins.all(map(_is_int, dims)):
        raise TypeError(f"permute: dims must be ints, got {tuple(dims)!r}")
    return Permute.apply(x, axes=tuple(dims))


def t(x):
    """torch.t: a matrix transposed (W.t(), as x @ W.t() in a linear layer); 0-D and 1-D tensors as they are."""
    x = as_tensor(x, op="t")
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dims, got shape {x.shape} (transpose or permute it)")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def flip(x, *dims):
    """torch.flip: x reversed along dims, given as a tuple or list (x.flip(2, 3) takes them one by one);
    rot180 of kernels (out, in, kh, kw) is flip(w, (2, 3))."""
    if not dims:
        raise TypeError("flip: dims missing (a tuple of ints; () flips nothing)")
    dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    x = as_tensor(x, op="flip")
    return Flip.apply(x, axes=_normalize_axis(tuple(dims), x.ndim, "flip"))


def transpose(x, dim0, dim1):
    """torch.transpose: axes dim0 and dim1 swapped (NumPy's swapaxes); a permute."""
    x = as_tensor(x, op="transpose")
    ndim = builtins.max(x.ndim, 1)  # a 0-D tensor takes dims 0 and -1, as in torch
    for d in (dim0, dim1):
        if not _is_int(d) or not -ndim <= d < ndim:
            raise ValueError(f"transpose: dim {d!r} out of range for a {x.ndim}-D tensor (from {-ndim} to {ndim - 1})")
    dims = list(range(x.ndim))
    if x.ndim:
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
    return permute(x, dims)


def flatten(x, start_dim=0, end_dim=-1):
    """torch.flatten: axes start_dim to end_dim merged into one (a 0-D tensor becomes 1-D); a reshape."""
    x = as_tensor(x, op="flatten")
    shape = x.shape or (1,)
    start = _one_axis(start_dim, len(shape), "flatten", "start_dim")
    end = _one_axis(end_dim, len(shape), "flatten", "end_dim")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a {x.ndim}-D tensor")
    return reshape(x, shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:])


def unsqueeze(x, dim):
    """torch.unsqueeze: a new axis of size 1 at dim, -ndim-1 <= dim <= ndim; a reshape."""
    x = as_tensor(x, op="unsqueeze")
    if not _is_int(dim) or not -x.ndim - 1 <= dim <= x.ndim:
        raise ValueError(f"unsqueeze: dim {dim!r} out of range for a {x.ndim}-D tensor (from {-x.ndim - 1} to {x.ndim})")
    dim %= x.ndim + 1
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x, dim=None):
    """torch.squeeze: the axes of size 1 removed (of those in dim, an int or a tuple, when given; the
    others in dim stay); a reshape."""
    x = as_tensor(x, op="squeeze")
    axes = _normalize_axis(dim, builtins.max(x.ndim, 1), "squeeze")  # a 0-D tensor takes dim 0 or -1, as in torch
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))


def clone(x): return Clone.apply(x)


def contiguous(x):
    """PyTorch's: x itself if its memory is in C order, else a C-ordered copy in the graph (conv2d's
    output is channel-major in memory: docs/windows.md)."""
    return x if x.data.flags.c_contiguous else Clone.apply(x)


def _index_arrays(index):
    if isinstance(index, Tensor):
        return index.data
    return tuple(i.data if isinstance(i, Tensor) else i for i in index) if isinstance(index, tuple) else index


def getitem(x, index):
    return GetItem.apply(x, index=_index_arrays(index))


def split(x, split_size_or_sections, dim=0):
    """torch.split: x cut along dim into pieces of split_size_or_sections each (an int; the last piece
    shorter), or of the sizes in a list, which must add up to the dim's size. A tuple of slices of x."""
    x = as_tensor(x, op="split")
    if x.ndim == 0:
        raise ValueError("split: a 0-D tensor has no dim to split, as in PyTorch")
    axis, sizes = _one_axis(dim, x.ndim, "split"), split_size_or_sections
    n = x.shape[axis]
    if _is_int(sizes):
        if sizes < 0 or sizes == 0 and n:
            raise ValueError(f"split: split_size must be >= 1 (0 only for a dim of size 0), got {sizes}")
        sizes = [builtins.min(sizes, n - start) for start in range(0, n, sizes)] if n else [0]
    elif not (isinstance(sizes, (list, tuple)) and builtins.all(_is_int(s) and s >= 0 for s in sizes)):
        raise TypeError(f"split: split_size_or_sections must be an int or a list of ints >= 0, got {sizes!r}")
    elif builtins.sum(sizes) != n:
        raise ValueError(f"split: sizes {list(sizes)} add up to {builtins.sum(sizes)}, not dim {axis}'s size {n}")
    ends = np.cumsum([0, *sizes])
    return tuple(getitem(x, (slice(None),) * axis + (slice(int(start), int(end)),))
                 for start, end in zip(ends[:-1], ends[1:]))


def chunk(x, chunks, dim=0):
    """torch.chunk: x cut along dim into at most chunks pieces of ⌈size / chunks⌉ (fewer when they run out;
    a dim of size 0 gives chunks empty pieces, as PyTorch)."""
    x = as_tensor(x, op="chunk")
    if not (_is_int(chunks) and chunks > 0):
        raise ValueError(f"chunk: chunks must be an int > 0, got {chunks!r}")
    if x.ndim == 0:
        raise ValueError("chunk: a 0-D tensor has no dim to cut, as in PyTorch")
    n = x.shape[_one_axis(dim, x.ndim, "chunk")]
    return split(x, -(-n // chunks), dim) if n else split(x, [0] * chunks, dim)


def _setitem(x, index, value):
    """x[index] = value, as PyTorch's: x's own array changes, indexed in PyTorch's order. Refused,
    as the in-place operators are, where the graph would have to record it (check_unrecorded_change)."""
    check_unrecorded_change(x, value, "setitem")
    basic, advanced = _torch_index_order(_index_arrays(index), x.ndim)
    if isinstance(value, (numbers.Number, np.generic)):  # a tensor's or array's values are cast, as PyTorch's
        value = _number_for("setitem", value, x.dtype)
    value = value.data if isinstance(value, Tensor) else value
    try:
        with np.errstate(all="ignore"):  # see cast
            if advanced:
                x.data[basic][advanced] = value  # with an array, x.data[basic] is a view
            else:
                x.data[basic] = value
    except (IndexError, ValueError) as e:
        raise type(e)(f"setitem: {e} (shape {x.shape}, index {index!r})") from None
    changed_in_place(x.data)


PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(x, pad, mode="constant", value=None):  # noqa: A002 - torch's name
    """torch.nn.functional.pad: pad = (before, after) for the last axis, then for the one before it,
    and so on for as many axes as it has pairs. mode "constant" pads with value (None: 0); "reflect",
    "replicate" and "circular" with x's own elements (_edge_reads), under PyTorch's rules for them."""
    x = as_tensor(x, op="pad")
    if not (isinstance(mode, str) and mode in PAD_MODES):  # pad(x, p, 0) took 0 as the value
        raise ValueError(f"pad: mode must be one of {PAD_MODES}, got {mode!r}")
    widths = np.asarray(pad)
    # as np.pad: a cast to int would truncate 1.5 to 1; np.asarray((True, 0)) is an int array
    ints = (widths.dtype.kind in "iu" or widths.size == 0) and not (
        isinstance(pad, (tuple, list)) and builtins.any(isinstance(v, bool) for v in pad))
    if widths.ndim != 1 or widths.size % 2 or widths.size > 2 * x.ndim or not ints:
        raise ValueError(f"pad: pad must be (before, after) pairs of ints, last axis first, at most one pair per "
                         f"axis of a {x.ndim}-D tensor; got {pad!r}")
    if (widths < 0).any():
        raise ValueError(f"pad: negative padding {widths.tolist()} (cropping is not supported; slice instead)")
    pairs = [(0, 0)] * (x.ndim - widths.size // 2) + widths.reshape(-1, 2)[::-1].tolist()
    if mode == "constant":
        return Pad.apply(x, pad_width=pairs, value=_number_for("pad", 0 if value is None else value, x.dtype))
    return EdgePad.apply(x, reads=_edge_reads_checked(mode, x.shape, pairs, widths.size // 2, value))


def _edge_reads_checked(mode, shape, pairs, padded, value):
    """{axis: positions} for the padded axes, refusing what PyTorch refuses for these modes."""
    if value is not None and value != 0:
        raise ValueError(f"pad: mode {mode!r} takes no value (PyTorch's rule), got value={value!r}")
    if not (1 <= padded <= 3 and len(shape) in (padded + 1, padded + 2)):
        raise ValueError(f"pad: mode {mode!r} pads the last 1, 2 or 3 axes of a tensor with 1 or 2 axes more, as "
                         f"PyTorch's does; got {2 * padded} pad values for a {len(shape)}-D tensor")
    if mode != "circular" and 0 in shape[len(shape) - padded - 1:]:  # a batch axis may be empty
        raise ValueError(f"pad: mode {mode!r} needs every axis but a batch axis nonempty (PyTorch's rule), got "
                         f"shape {tuple(shape)}")
    reads = {}
    for axis in range(len(shape) - padded, len(shape)):
        (before, after), n = pairs[axis], shape[axis]
        widest = builtins.max(before, after)
        if mode == "reflect" and widest >= n or mode == "circular" and widest > n:
            raise ValueError(f"pad: mode {mode!r} pads axis {axis} of size {n} by {(before, after)}; its padding must "
                             f"be {'less than' if mode == 'reflect' else 'at most'} the axis size (PyTorch's rule)")
        reads[axis] = _edge_reads(mode, n, before, after)
    return reads


def _number_for(op, value, dtype):
    """value if it is a number that dtype holds, as PyTorch requires of pad's value, of a number
    assigned by setitem and of clamp's integer bounds: NumPy casts unsafely (np.pad put -1 into uint8
    as 255 and 1e40 into float32 as inf, silently). A float into integers truncates."""
    value = value.data if isinstance(value, Tensor) else value
    value = value.item() if isinstance(value, (np.ndarray, np.generic)) and value.size == 1 else value
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: value must be a real number, got {type(value).__name__} {value!r}")
    finite = isinstance(value, numbers.Integral) or math.isfinite(value)
    if dtype.kind in "iu":
        fits = finite and np.iinfo(dtype).min <= value <= np.iinfo(dtype).max
    else:
        fits = dtype.kind == "b" or not finite or builtins.abs(value) <= float(np.finfo(dtype).max)
    if not fits:
        raise ValueError(f"{op}: value {value!r} cannot be converted to {dtype} without overflow, as in PyTorch")
    return value


def _promoted_list(xs, op):
    return _promoted(*(as_tensor(x, op=op) for x in xs))


@_numpy_names
def concatenate(xs, dim=0): return Concatenate.apply(*_promoted_list(xs, "concatenate"), axis=dim)
@_numpy_names
def stack(xs, dim=0): return Stack.apply(*_promoted_list(xs, "stack"), axis=dim)
@_numpy_names
def softmax(x, dim=-1): return Softmax.apply(x, axis=dim)
@_numpy_names
def log_softmax(x, dim=-1): return LogSoftmax.apply(x, axis=dim)


cat = concatenate  # PyTorch's name


def _to(x, dtype):
    """Tensor.to(dtype), as PyTorch's: x itself if it has the dtype already; a floating-point dtype
    stays in the graph (Cast); any other (x.to(np.int64)) is a constant, outside the graph."""
    if dtype is None:  # as PyTorch's t.to(None)
        return x
    dtype = as_dtype(dtype, "to")
    if dtype == x.dtype:
        return x
    return Cast.apply(x, dtype=dtype) if dtype.kind == "f" else Tensor(cast(x.data, dtype, copy=True))


def _class_dim(x):
    """PyTorch's class dim of a loss's input (cross_entropy's logits, nll_loss's log-probabilities): dim 1,
    or dim 0 of an unbatched input (C,)."""
    return 0 if x.ndim == 1 else 1


def _label_shape(x):
    """The class labels' shape for a loss's input: its shape without the class dim, (N, d1, ...) for
    (N, C, d1, ...)."""
    return x.shape[:_class_dim(x)] + x.shape[_class_dim(x) + 1:]


def _check_reduction(op, reduction):
    """A loss's reduction, checked by the function and by its module when it is made."""
    if not (isinstance(reduction, str) and reduction in ("mean", "sum", "none")):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _check_loss_settings(op, ignore_index, reduction, label_smoothing=0.0):
    """nll_loss's and cross_entropy's checks of their settings, which their modules make when they are made."""
    _check_reduction(op, reduction)
    if not _is_int(ignore_index):
        raise TypeError(f"{op}: ignore_index must be an int, got {ignore_index!r}")
    if not (_is_real(label_smoothing) and 0 <= label_smoothing <= 1):
        raise ValueError(f"{op}: label_smoothing must be a number from 0 to 1, got {label_smoothing!r}")


def _loss_inputs(op, x, labels, weight, ignore_index, reduction, label_smoothing=0.0):
    """x, labels and weight as tensors, checked with the settings: x floating-point with a class dim, the
    weight one number per class."""
    x, labels = as_tensor(x, op=op), as_tensor(labels, op=op)
    weight = None if weight is None else as_tensor(weight, op=op)  # a tensor passes through
    _check_loss_settings(op, ignore_index, reduction, label_smoothing)
    if x.ndim == 0:
        raise ValueError(f"{op}: needs an input with a class dim, (C,), (N, C) or (N, C, d1, ...), got shape ()")
    _check_floating(x, op)
    if x.ndim == 1 and labels.shape == (1,) and labels.dtype.kind in "iu":  # PyTorch's: one label in a list
        labels = reshape(labels, ())
    c = x.shape[_class_dim(x)]
    if weight is not None and (weight.shape != (c,) or weight.dtype.kind not in "iuf"):
        raise ValueError(f"{op}: weight must hold one number per class, shape ({c},), got "
                         f"{weight.shape} {weight.dtype} (pass reduction and the rest by name, as in PyTorch)")
    return x, labels, weight


def _constant_weight(op, weight):
    """A class-label loss's weight as an array: a constant, as PyTorch's (whose backward refuses one that
    requires a gradient: here the call does)."""
    if weight is not None and weight.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{op}: weight has no gradient with class labels (as in PyTorch); pass weight.detach()")
    return None if weight is None else weight.data


def nll_loss(log_probs, labels, weight=None, *, ignore_index=-100, reduction="mean"):
    """torch.nn.functional.nll_loss: minus the log-probabilities at the labels, weighted (the loss after
    log_softmax, as in PyTorch's MNIST example); the shapes and settings as cross_entropy's with labels."""
    log_probs, labels, weight = _loss_inputs("nll_loss", log_probs, labels, weight, ignore_index, reduction)
    return NLLLoss.apply(log_probs, labels=labels.data, weight=_constant_weight("nll_loss", weight),
                         ignore_index=ignore_index, reduction=reduction)


def _cross_entropy_of_probabilities(logits, target, weight, reduction, label_smoothing):
    """PyTorch's loss for class probabilities t, composed as PyTorch composes it, so that t and the weight
    get gradients too: l = -sum_c w_c t_c log_softmax(x)_c along the class dim, t smoothed to
    (1 - s) t + s / C; the mean divides by the number of rows (N d1 ...), not by the weights."""
    if target.dtype.kind != "f":
        raise TypeError(f"cross_entropy: class probabilities (labels of the logits' shape) must be floating-point, "
                        f"as in PyTorch, got {target.dtype}")
    class_dim, c = _class_dim(logits), logits.shape[_class_dim(logits)]
    if label_smoothing > 0:  # no classes: an empty target, which any number leaves empty
        target = target * (1 - label_smoothing) + (label_smoothing / c if c else 0.0)
    terms = log_softmax(logits, class_dim) * target
    if weight is not None:
        terms = terms * weight.reshape([c if d == class_dim else 1 for d in range(logits.ndim)])
    if reduction == "none":
        return -terms.sum(class_dim)
    if reduction == "sum":
        return -terms.sum()
    rows = math.prod(_label_shape(logits))
    return -terms.sum() / rows if c and rows else -terms.sum() * np.nan  # no elements: nan, as PyTorch's


def cross_entropy(logits, labels, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """torch.nn.functional.cross_entropy: logits (C,), (N, C) or (N, C, d1, ...), the classes along dim 1
    (dim 0 when unbatched), and class labels of the logits' shape without the class dim, or (PyTorch's rule:
    the same shape) class probabilities. With labels, weight is a constant, as nll_loss's; probabilities
    and weight get gradients."""
    logits, labels, weight = _loss_inputs("cross_entropy", logits, labels, weight, ignore_index, reduction,
                                          label_smoothing)
    if labels.shape == logits.shape:
        if ignore_index >= 0:
            raise ValueError(f"cross_entropy: ignore_index is for class labels, not probabilities, as in PyTorch, "
                             f"got {ignore_index}")
        return _cross_entropy_of_probabilities(logits, labels, weight, reduction, label_smoothing)
    return CrossEntropy.apply(logits, labels=labels.data, weight=_constant_weight("cross_entropy", weight),
                              ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)


def _elementwise_loss(op, input, target, reduction, loss):  # noqa: A002  torch's names
    """mse_loss's and l1_loss's: loss(input - target) elementwise, then its mean, its sum or itself. A target
    of another shape is broadcast with a warning, as PyTorch's."""
    x, t = as_tensor(input, op=op), as_tensor(target, op=op)
    _check_reduction(op, reduction)
    _check_floating(x, op)
    if x.shape != t.shape:
        _check_same_shape_or_broadcast(op, x.data, t.data)
        warnings.warn(f"{op}: a target of shape {t.shape} for an input of shape {x.shape} is broadcast, as PyTorch "
                      "does (and warns), which is seldom what is meant", UserWarning, stacklevel=3)
    terms = loss(x - t)
    return {"mean": mean, "sum": sum, "none": lambda terms: terms}[reduction](terms)


def mse_loss(input, target, reduction="mean"):  # noqa: A002  torch's names
    """torch.nn.functional.mse_loss: (x - t)² elementwise, its mean (NaN for no elements, as PyTorch's), sum
    or none. Composed of sub, square and the reduction, so dx = 2 g (x - t) / n for the mean."""
    return _elementwise_loss("mse_loss", input, target, reduction, square)


def l1_loss(input, target, reduction="mean"):  # noqa: A002  torch's names
    """torch.nn.functional.l1_loss: |x - t| elementwise, its mean, sum or none. Composed of sub, abs and the
    reduction, so dx = g sign(x - t) / n for the mean (0 where x = t, as PyTorch's)."""
    return _elementwise_loss("l1_loss", input, target, reduction, abs)


def _check_dropout_probability(op, p):
    """dropout's p, checked by the function and by nn.Dropout when it is made: a number from 0 to 1."""
    if not (_is_real(p) and 0 <= p <= 1):
        raise ValueError(f"{op}: p must be a probability from 0 to 1, got {p!r}")


def dropout(x, p=0.5, training=True, inplace=False):
    """torch.nn.functional.dropout, as PyTorch computes it on the CPU: in training, x * (mask / (1 - p)) with
    mask 1 with probability 1 - p (drawn from minigrad.random, which manual_seed resets), x * 0 for p = 1,
    x itself for p = 0 or out of training. inplace=True is taken; the result is a new tensor (as ReLU's)."""
    x = as_tensor(x, op="dropout")
    return _dropout("dropout", x, p, training, inplace, x.shape)


def dropout2d(x, p=0.5, training=True, inplace=False):
    """torch.nn.functional.dropout2d: dropout of whole channels, one draw per (n, c) plane of an (N, C, H, W)
    input, broadcast over the plane; a 3-D input is (N, C, L), as PyTorch takes it today (with a warning, not
    repeated here, that it will one day read it as (C, H, W))."""
    x = as_tensor(x, op="dropout2d")
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: needs an (N, C, H, W) or (N, C, L) input, got shape {x.shape}; PyTorch "
                         f"deprecates other ranks, use dropout")
    return _dropout("dropout2d", x, p, training, inplace, x.shape[:2] + (1,) * (x.ndim - 2))


def _dropout(op, x, p, training, inplace, mask_shape):
    """x (a tensor) * (mask / (1 - p)), the mask of mask_shape broadcast over x."""
    _check_dropout_probability(op, p)
    check_flags(op, training=training, inplace=inplace)  # PyTorch refuses training="yes"
    _check_floating(x, op)
    if not training or p == 0 or x.numel() == 0:
        return x
    if p == 1:
        return x * 0
    keep = random.generator(None, op).random(mask_shape) < 1 - p
    return x * (keep.astype(x.dtype) / x.dtype.type(1 - p))


def _check_non_negative(op, **numbers):
    """Settings such as batch_norm's momentum and eps: real numbers >= 0 (NaN is not one)."""
    for name, value in numbers.items():
        if not (_is_real(value) and value >= 0):
            raise ValueError(f"{op}: {name} must be a number >= 0, got {value!r}")


def _running_statistic(name, value, channels):
    """batch_norm's running_mean or running_var: None, or a floating-point tensor or array of one value per
    channel, which training updates in place (a list could not be)."""
    if value is None:
        return None
    if not isinstance(value, (Tensor, np.ndarray)):
        raise TypeError(f"batch_norm: {name} must be a tensor, an array or None, got {type(value).__name__}")
    array = value.data if isinstance(value, Tensor) else value
    if array.dtype.kind != "f" or array.shape != (channels,):
        raise ValueError(f"batch_norm: {name} must hold {channels} floating-point values, one per channel, got "
                         f"shape {array.shape} and dtype {array.dtype}")
    return array


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,  # noqa: A002
               eps=1e-5):
    """torch.nn.functional.batch_norm, channels along dim 1 of an (N, C, ...) input. In training, each channel
    is normalized by the batch's mean and biased variance, and the running statistics given are moved toward
    the batch's by momentum (the variance's unbiased: n / (n - 1) times); else by the running statistics.
    weight (γ) and bias (β), one per channel, default to 1 and 0."""
    x = as_tensor(input, op="batch_norm")
    _check_floating(x, "batch_norm")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C, ...), channels along dim 1, got shape {x.shape}")
    check_flags("batch_norm", training=training)
    _check_non_negative("batch_norm", momentum=momentum, eps=eps)
    channels, n = x.shape[1], math.prod(x.shape[:1] + x.shape[2:])  # n values per channel
    stats = [_running_statistic(k, v, channels) for k, v in (("running_mean", running_mean), ("running_var",
                                                                                             running_var))]
    if (stats[0] is None) != (stats[1] is None):
        raise ValueError("batch_norm: give running_mean and running_var both, or neither, as PyTorch requires")
    if not training and stats[0] is None:
        raise ValueError("batch_norm: out of training it normalizes by running_mean and running_var; got None")
    if training and n == 1:
        raise ValueError(f"batch_norm: training needs more than 1 value per channel, got input shape {x.shape}")
    weight, bias, dtype = _affine("batch_norm", x, weight, bias, (channels,), "one value per channel, shape")
    x, channel = _to(x, dtype), (1, -1) + (1,) * (x.ndim - 2)  # a (C,) array as (1, C, 1, ...), to broadcast
    if not training:
        mean, var = (cast(s, dtype).reshape(channel) for s in stats)
        return _scale_shift(Normalize.apply(x, mean=mean, var=var, eps=eps, axes=None), weight, bias, channel)
    others = (0, *range(2, x.ndim))
    mean, var = _moments(x.data, others)
    y = _scale_shift(Normalize.apply(x, mean=mean, var=var, eps=eps, axes=others), weight, bias, channel)
    if stats[0] is not None and n:  # written last, so an error above leaves them; an empty batch too, as PyTorch
        stats[0][...] = (1 - momentum) * stats[0] + momentum * mean.reshape(-1)
        stats[1][...] = (1 - momentum) * stats[1] + momentum * var.reshape(-1) * (n / (n - 1))
    return y


def _affine(op, x, weight, bias, shape, what):
    """A normalization's weight (γ) and bias (β), None or of the shape given, and the dtype x, γ and β promote
    to (PyTorch's promotion, as conv2d's), the two cast to it."""
    affine = [None if t is None else as_tensor(t, op=op) for t in (weight, bias)]
    for name, t in zip(("weight", "bias"), affine):
        if t is not None and t.shape != shape:
            raise ValueError(f"{op}: {name} must have {what} {shape}, got {t.shape}")
    dtype = result_type(x, *(t for t in affine if t is not None))
    return *(None if t is None else _to(t, dtype) for t in affine), dtype


def _scale_shift(x_hat, weight, bias, shape):
    """γ x̂ + β, γ and β reshaped to broadcast over x̂ (either None: left out)."""
    y = x_hat if weight is None else x_hat * weight.reshape(shape)
    return y if bias is None else y + bias.reshape(shape)


def _normalized_shape(op, normalized_shape):
    """layer_norm's normalized_shape, checked by the function and by nn.LayerNorm when it is made: an int, or
    a non-empty tuple or list of ints >= 0, as a tuple."""
    shape = (normalized_shape,) if _is_int(normalized_shape) else normalized_shape
    if not (isinstance(shape, (tuple, list)) and shape and builtins.all(_is_int(n) and n >= 0 for n in shape)):
        raise ValueError(f"{op}: normalized_shape must be an int or a non-empty tuple or list of ints >= 0, got "
                         f"{normalized_shape!r}")
    return tuple(shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002  torch's names
    """torch.nn.functional.layer_norm: each sample normalized over its last dims, normalized_shape, by their
    mean and biased variance, y = γ x̂ + β with γ and β of normalized_shape (default 1 and 0)."""
    x = as_tensor(input, op="layer_norm")
    _check_floating(x, "layer_norm")
    shape = _normalized_shape("layer_norm", normalized_shape)
    if x.shape[x.ndim - len(shape):] != shape or len(shape) > x.ndim:
        raise ValueError(f"layer_norm: normalized_shape {shape} must be the input's last dims, got input shape "
                         f"{x.shape}")
    _check_non_negative("layer_norm", eps=eps)
    weight, bias, dtype = _affine("layer_norm", x, weight, bias, shape, "normalized_shape,")
    x, axes = _to(x, dtype), tuple(range(x.ndim - len(shape), x.ndim))
    mean, var = _moments(x.data, axes)
    return _scale_shift(Normalize.apply(x, mean=mean, var=var, eps=eps, axes=axes), weight, bias, shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002  torch's names
    """torch.nn.functional.group_norm: the channels (dim 1) of each sample in num_groups groups of C / num_groups,
    each group normalized by the mean and biased variance of its values, y = γ x̂ + β with one γ and β per
    channel (default 1 and 0)."""
    x = as_tensor(input, op="group_norm")
    _check_floating(x, "group_norm")
    if x.ndim < 2:
        raise ValueError(f"group_norm: input must be (N, C, ...), channels along dim 1, got shape {x.shape}")
    if not _is_int(num_groups) or num_groups < 1 or x.shape[1] % num_groups:
        raise ValueError(f"group_norm: num_groups must be an int >= 1 dividing the {x.shape[1]} channels, got "
                         f"{num_groups!r}")
    _check_non_negative("group_norm", eps=eps)
    weight, bias, dtype = _affine("group_norm", x, weight, bias, (x.shape[1],), "one value per channel, shape")
    x, axes = _to(x, dtype), tuple(range(2, x.ndim + 1))
    grouped = reshape(x, (x.shape[0], num_groups, x.shape[1] // num_groups, *x.shape[2:]))
    mean, var = _moments(grouped.data, axes)
    x_hat = reshape(Normalize.apply(grouped, mean=mean, var=var, eps=eps, axes=axes), x.shape)
    return _scale_shift(x_hat, weight, bias, (1, -1) + (1,) * (x.ndim - 2))


def _assign(_, value, out, casting):
    """The ufunc that Tensor._in_place runs for fill_, copy_ and zero_: out's values become value's."""
    np.copyto(out, value, casting=casting)


def _add_(x, other, *, alpha=1):
    """x.add_(other, alpha=1), PyTorch's: x's values become x + alpha · other, in place (see Tensor._in_place,
    as x += other)."""
    return x._in_place(np.add, _times_alpha("add_", x, other, alpha)[1], "add_")


def _sub_(x, other, *, alpha=1):
    """x.sub_(other, alpha=1), PyTorch's: x - alpha · other, in place."""
    return x._in_place(np.subtract, _times_alpha("sub_", x, other, alpha)[1], "sub_")


def _fill_(x, value):
    """x.fill_(value), PyTorch's: every value of x becomes value (a number or a 0-D tensor), in place."""
    shape = np.shape(value.data if isinstance(value, Tensor) else value)
    if shape != ():
        raise ValueError(f"fill_: value must be a number or a 0-D tensor, got shape {shape}")
    return x._in_place(_assign, value, "fill_", casting="unsafe")  # 2.5 fills an integer tensor with 2, as PyTorch


def _clamp_(x, min=None, max=None):  # noqa: A002  torch's names
    """x.clamp_(min, max), PyTorch's: x's values become clamp(x, min, max), in place."""
    return x._in_place(_assign, _clip("clamp_", Tensor(x.data), min, max), "clamp_")


def _positive(x):
    """+x, PyTorch's: x itself; a bool tensor refused, as PyTorch refuses it."""
    if x.dtype == bool:
        raise TypeError("+: not defined for a bool tensor, as in PyTorch")
    return x


def _reversed(x):
    """reversed(x), PyTorch's: x flipped along dim 0 (a 0-d x itself), one tensor in the graph."""
    return x if x.ndim == 0 else flip(x, 0)


def _where_method(x, condition, other):
    """x.where(condition, other), PyTorch's method: where(condition, x, other)."""
    return where(condition, x, other)


def _attach_operators():
    rev = lambda fn: lambda self, other: fn(other, self)  # noqa: E731
    methods = {
        "__add__": add, "__radd__": rev(add), "__sub__": sub, "__rsub__": rev(sub),
        "__mul__": mul, "__rmul__": rev(mul), "__truediv__": div, "__rtruediv__": rev(div),
        "__pow__": pow, "__rpow__": rev(pow), "__matmul__": matmul, "__rmatmul__": rev(matmul),
        "__mod__": remainder, "__rmod__": rev(remainder), "__floordiv__": floor_divide,
        "__rfloordiv__": rev(floor_divide), "remainder": remainder,
        # PyTorch's method forms of the functions (x.add(y), x.maximum(y), x.where(mask, y); x.eq(y) is Tensor's)
        "add": add, "sub": sub, "mul": mul, "div": div, "matmul": matmul, "floor_divide": floor_divide, "neg": neg,
        # PyTorch's in-place methods, as x += y (Tensor._in_place)
        "add_": _add_, "sub_": _sub_, "mul_": lambda x, other: x._in_place(np.multiply, other, "mul_"),
        "div_": lambda x, other: x._in_place(np.true_divide, other, "div_"), "fill_": _fill_, "clamp_": _clamp_,
        "copy_": lambda x, src: x._in_place(_assign, src, "copy_", casting="unsafe"),  # casts, as fill_
        "zero_": lambda x: x._in_place(_assign, 0, "zero_"),
        "maximum": maximum, "minimum": minimum, "where": _where_method,
        "__neg__": neg, "__pos__": _positive, "__reversed__": _reversed, "__getitem__": getitem,
        "__setitem__": _setitem, "exp": exp, "log": log, "sqrt": sqrt, "log1p": log1p, "expm1": expm1, "erf": erf,
        "abs": abs, "__abs__": abs, "sign": sign, "relu": relu, "sigmoid": sigmoid, "tanh": tanh,
        "clip": clip, "clamp": clamp, "pow": pow, "sum": sum, "mean": mean, "max": max, "min": min, "amax": amax,
        "amin": amin, "argmax": argmax, "argmin": argmin, "sort": sort, "argsort": argsort, "topk": topk, "var": var,
        "std": std, "logsumexp": logsumexp, "norm": norm,
        "square": square, "prod": prod, "cumsum": cumsum, "any": any, "all": all,
        "gather": gather, "expand": expand, "expand_as": _expand_as, "repeat": repeat, "split": split, "chunk": chunk,
        "masked_fill": masked_fill, "reshape": reshape, "view": _view, "reshape_as": _reshape_as, "view_as": _view_as,
        "transpose": transpose, "permute": permute,
        "clone": clone, "contiguous": contiguous, "is_contiguous": lambda x: x.data.flags.c_contiguous,
        "flatten": flatten, "unsqueeze": unsqueeze, "squeeze": squeeze, "flip": flip, "t": t,
        "softmax": softmax, "log_softmax": log_softmax,
        "to": _to, "double": lambda x: _to(x, np.float64), "float": lambda x: _to(x, np.float32),
        "half": lambda x: _to(x, np.float16), "long": lambda x: _to(x, np.int64), "int": lambda x: _to(x, np.int32),
        "bool": lambda x: _to(x, np.bool_),
    }
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
    # lambdas named for errors and help(): x.eq() was "<lambda>() missing 1 required positional argument"
    for name in dir(Tensor):
        fn = getattr(Tensor, name)
        if getattr(fn, "__name__", None) == "<lambda>":
            fn.__name__, fn.__qualname__ = name, f"Tensor.{name}"


_attach_operators()
