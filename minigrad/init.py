"""PyTorch's nn.init, as mg.nn.init: fill a tensor in place with constants or random draws scaled by its fans.

Each function writes into the tensor's own array and returns it, as PyTorch's do under no_grad, so they
initialise parameters that require gradients; the change is counted, so a graph that kept the old values
refuses its backward. The random ones draw from `generator`: None is minigrad.random's (manual_seed's), an
int seeds a new one, a np.random.Generator is used as is. The draws are NumPy's, not torch's: the same
distributions, other numbers.
"""
import math

import numpy as np

from .random import generator as _generator
from .tensor import Tensor, _is_int, _is_real, changed_in_place

# the gain that keeps the variance of activations through a layer followed by each nonlinearity
_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
          "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
          "selu": 3.0 / 4}


def calculate_gain(nonlinearity, param=None):
    """PyTorch's recommended gain for a nonlinearity: 1 for linear layers and sigmoid, 5/3 for tanh, √2 for
    relu, √(2 / (1 + slope²)) for leaky_relu (param the slope, 0.01 by default), 3/4 for selu."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if not _is_real(slope):  # not a bool either
            raise ValueError(f"calculate_gain: leaky_relu's param is its negative slope, a number; got {param!r}")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; one of "
                         f"{sorted([*_GAINS, 'leaky_relu'])}")
    return _GAINS[nonlinearity]


def _calculate_fan_in_and_fan_out(tensor):
    """A weight's fans, PyTorch's: dim 1's size (dim 0's for fan_out) times the size of the dims after it,
    a conv kernel's receptive field; a weight needs 2 dims or more."""
    shape = _checked(tensor, "_calculate_fan_in_and_fan_out").shape
    if len(shape) < 2:
        raise ValueError(f"init: fans need a tensor of 2 dims or more, got shape {shape}")
    field = math.prod(shape[2:])
    return shape[1] * field, shape[0] * field


def _checked(tensor, op):
    if not isinstance(tensor, Tensor) or tensor.dtype.kind != "f":
        raise TypeError(f"{op}: needs a floating-point minigrad tensor to fill, got {type(tensor).__name__}"
                        + (f" of {tensor.dtype}" if isinstance(tensor, Tensor) else ""))
    return tensor


def _write(tensor, values, op):
    """values into tensor's own array, counted as an in-place change; the tensor itself returned."""
    _checked(tensor, op).data[...] = values
    changed_in_place(tensor.data)
    return tensor


def _fan(tensor, mode, op):
    """The fan kaiming's functions scale by; 1 for an empty tensor, which they leave as it is."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return max(fan_in if mode == "fan_in" else fan_out, 1)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """U(a, b) in place."""
    shape = _checked(tensor, "uniform_").shape
    return _write(tensor, _generator(generator, "uniform_").uniform(a, b, shape), "uniform_")


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """N(mean, std²) in place."""
    shape = _checked(tensor, "normal_").shape
    return _write(tensor, _generator(generator, "normal_").normal(mean, std, shape), "normal_")


def constant_(tensor, val):
    """val everywhere, in place."""
    return _write(tensor, val, "constant_")


def ones_(tensor):
    return _write(tensor, 1, "ones_")


def zeros_(tensor):
    return _write(tensor, 0, "zeros_")


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot's U(-b, b), b = gain √(6 / (fan_in + fan_out)), in place."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / max(fan_in + fan_out, 1))  # 1: an empty tensor, left as it is
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot's N(0, σ²), σ = gain √(2 / (fan_in + fan_out)), in place."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / max(fan_in + fan_out, 1)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He's U(-b, b), b = gain √(3 / fan), gain = calculate_gain(nonlinearity, a), in place. nn.Linear's and
    Conv2d's default is a = √5: b = 1 / √fan_in."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode, "kaiming_uniform_"))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He's N(0, σ²), σ = gain / √fan, gain = calculate_gain(nonlinearity, a), in place."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode, "kaiming_normal_"))
    return normal_(tensor, 0.0, std, generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std²) cut to [a, b] (bounds in the tensor's units, not in stds), in place. Drawn by rejection, so
    exactly that distribution; an interval holding under 1% of N's mass is refused, where PyTorch's inverse-CDF
    draws warn that they may be wrong (a mean over 2 std outside [a, b])."""
    _checked(tensor, "trunc_normal_")
    if not (all(map(_is_real, (mean, std, a, b))) and math.isfinite(mean) and 0 < std < math.inf and a < b):
        raise ValueError(f"trunc_normal_: needs a finite mean, std > 0 and a < b, got mean={mean!r}, std={std!r}, "
                         f"a={a!r}, b={b!r}")
    mass = _normal_mass((a - mean) / std, (b - mean) / std)
    if mass < 0.01:
        raise ValueError(f"trunc_normal_: [{a}, {b}] holds {mass:.2g} of N({mean}, {std}²), under 1%: too few "
                         f"draws fall in it")
    rng, kept = _generator(generator, "trunc_normal_"), np.empty(0)
    while kept.size < tensor.data.size:
        needed = tensor.data.size - kept.size
        draws = rng.normal(mean, std, min(math.ceil(needed / mass * 1.1) + 16, 1 << 22))
        kept = np.concatenate([kept, draws[(draws >= a) & (draws <= b)][:needed]])
    return _write(tensor, kept.reshape(tensor.shape), "trunc_normal_")


def _normal_mass(lo, hi):
    """P(lo <= Z <= hi) for a standard normal Z, from the side of 0 where erfc keeps its digits."""
    if lo > 0:
        return 0.5 * (math.erfc(lo / math.sqrt(2)) - math.erfc(hi / math.sqrt(2)))
    if hi < 0:
        return 0.5 * (math.erfc(-hi / math.sqrt(2)) - math.erfc(-lo / math.sqrt(2)))
    return 0.5 * (math.erf(hi / math.sqrt(2)) - math.erf(lo / math.sqrt(2)))


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix times gain, in place, PyTorch's way: dims after the first flattened, Q of the QR
    of a normal (rows, cols) matrix (its transpose when wider than tall), each column's sign made that of R's
    diagonal, so Q is Haar-distributed. Rows orthonormal when rows <= cols, else columns."""
    if _checked(tensor, "orthogonal_").ndim < 2:
        raise ValueError(f"orthogonal_: needs a tensor of 2 dims or more, as PyTorch's, got shape {tensor.shape}")
    if tensor.data.size == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.data.size // rows
    flat = _generator(generator, "orthogonal_").normal(0.0, 1.0, (rows, cols))
    q, r = np.linalg.qr(flat.T if rows < cols else flat)
    q *= np.sign(np.diag(r))
    return _write(tensor, gain * (q.T if rows < cols else q).reshape(tensor.shape), "orthogonal_")


def eye_(tensor):
    """The identity matrix (ones on the diagonal of a 2-D tensor of any shape), in place."""
    if _checked(tensor, "eye_").ndim != 2:
        raise ValueError(f"eye_: needs a 2-D tensor, as PyTorch's, got shape {tensor.shape}")
    return _write(tensor, np.eye(*tensor.shape), "eye_")


def dirac_(tensor, groups=1):
    """A conv weight (out, in/groups, k...) of 3 to 5 dims that passes its input through: in each group, output
    channel d takes input channel d at the kernel's centre (index k // 2), for d below min(out/groups, in/groups);
    the other output channels are 0. With padding k // 2 at stride 1 the conv is the identity where out = in."""
    if _checked(tensor, "dirac_").ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: needs a conv weight of 3, 4 or 5 dims, as PyTorch's, got shape {tensor.shape}")
    if not (_is_int(groups) and groups >= 1) or tensor.shape[0] % groups:
        raise ValueError(f"dirac_: groups must be an int >= 1 that divides dim 0, got {groups!r} for shape "
                         f"{tensor.shape}")
    per_group = tensor.shape[0] // groups
    weight = np.zeros(tensor.shape)
    channels = np.arange(min(per_group, tensor.shape[1]))
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        weight[(g * per_group + channels, channels) + centre] = 1
    return _write(tensor, weight, "dirac_")
