"""Hypothesis strategies and assertions for testing gradient code, this project's or anyone's.

The strategies keep points off kinks (|x| near 0, ties of max) instead of asking for loosened
tolerances, and draw only valid sliding-window geometries. Requires ``hypothesis``.
"""
import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .crosscheck import _as_array, compare


def floats(low=-3.0, high=3.0, away_from=(), margin=1e-2, width=64):
    """Finite floats in [low, high] at least ``margin`` away from every value in ``away_from``;
    ``width`` 32 or 16 draws values that float32 or float16 hold exactly, the bounds moved inward
    to the nearest such values."""
    if width not in (16, 32, 64):
        raise ValueError(f"floats: width must be 16, 32 or 64, got {width!r}")
    low, high = _inward(low, width, up=True), _inward(high, width, up=False)
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=width).filter(
        lambda v: all(abs(v - k) >= margin for k in away_from))


def _inward(bound, width, up):
    kind = {16: np.float16, 32: np.float32, 64: np.float64}[width]
    rounded = kind(bound)
    if (float(rounded) < bound) if up else (float(rounded) > bound):  # in float64: NEP 50 would round bound too
        rounded = np.nextafter(rounded, kind(np.inf if up else -np.inf))
    return float(rounded)


def arrays(shape, low=-3.0, high=3.0, away_from=(), margin=1e-2, dtype=np.float64, unique=False):
    """Arrays of ``shape`` drawn with ``floats`` at the dtype's width (hypothesis refuses float64
    draws that a float32 array would round, with NumPy 1.x); ``unique`` rules out ties (for max,
    min, pooling)."""
    if np.dtype(dtype) not in (np.float16, np.float32, np.float64):
        raise ValueError(f"arrays: dtype must be float16, float32 or float64, got {np.dtype(dtype)}")
    width = np.dtype(dtype).itemsize * 8
    return hnp.arrays(dtype, shape, elements=floats(low, high, away_from, margin, width), unique=unique)


@st.composite
def tie_free_arrays(draw, shape, step=0.1, dtype=np.float64):
    """Arrays whose magnitudes are a shuffled ladder step, 2 step, ... with random signs and a
    small jitter: no two values, and no two |values|, lie within step/2 of each other, so max,
    min and max-|x| pooling never sit on a tie. Built, not filtered, so every draw is usable."""
    size = int(np.prod(shape))
    order = np.array(draw(st.permutations(range(1, size + 1))), dtype=np.float64)
    signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=size, max_size=size)))
    jitter = draw(st.floats(0, step / 4))
    return (signs * (order * step + jitter)).reshape(shape).astype(dtype)


def spread_apart(a, margin):
    """True when every pair of values differs by at least ``margin`` (no near-ties)."""
    flat = np.sort(np.asarray(a).ravel())
    return flat.size < 2 or float(np.min(np.diff(flat))) >= margin


@st.composite
def conv_geometries(draw, max_batch=2, max_channels=4, max_size=7, max_kernel=3, groups=True,
                    dilation=True):
    """A valid conv2d geometry: dict of n, c_in, c_out, h, w, kh, kw, stride, padding, dilation, groups."""
    g = draw(st.integers(1, min(2, max_channels))) if groups else 1
    geometry = dict(
        n=draw(st.integers(1, max_batch)),
        c_in=g * draw(st.integers(1, max_channels // g)),
        c_out=g * draw(st.integers(1, max_channels // g)),
        h=draw(st.integers(1, max_size)), w=draw(st.integers(1, max_size)),
        kh=draw(st.integers(1, max_kernel)), kw=draw(st.integers(1, max_kernel)),
        stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=(draw(st.integers(0, 2)), draw(st.integers(0, 2))),
        dilation=(draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1),
        groups=g)
    assume(output_size(geometry)[0] >= 1 and output_size(geometry)[1] >= 1)
    return geometry


def output_size(geometry):
    """(OH, OW) of a conv geometry; the formula of docs/windows.md."""
    g = geometry
    return tuple((size + 2 * p - d * (k - 1) - 1) // s + 1 for size, p, d, k, s in zip(
        (g["h"], g["w"]), g["padding"], g["dilation"], (g["kh"], g["kw"]), g["stride"]))


def assert_close(actual, expected, rtol=1e-7, atol=1e-10, name="array"):
    """|actual - expected| <= atol + rtol |expected| everywhere, by crosscheck.compare's rule (equal
    infinities and NaN against NaN agree); else an AssertionError naming the array and the worst element."""
    actual, expected = _as_array(actual), _as_array(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"{name}: shape {actual.shape} != expected {expected.shape}")
    row, = compare({name: expected}, {name: actual}, rtol, atol)
    if not row.ok:
        raise AssertionError(f"{name}: worst element {row.worst}: {row.actual!r} vs expected {row.expected!r} "
                             f"(rtol={rtol}, atol={atol})")


def assert_same_bits(actual, expected, name="array"):
    """The same dtype, shape and bits, the signs of zeros and NaN included (np.testing.assert_array_equal
    takes -0.0 for 0.0); else an AssertionError naming the array and the first element that differs."""
    actual, expected = _as_array(actual), _as_array(expected)
    if (actual.dtype, actual.shape) != (expected.dtype, expected.shape):
        raise AssertionError(f"{name}: {actual.dtype} {actual.shape} != expected {expected.dtype} {expected.shape}")
    a, e = (np.ascontiguousarray(v).reshape(v.size, 1).view(np.uint8) for v in (actual, expected))
    differ = np.flatnonzero((a != e).any(axis=1))
    if differ.size:
        i = differ[0]
        at = tuple(int(k) for k in np.unravel_index(i, actual.shape))
        raise AssertionError(f"{name}: element {at} of {differ.size} differing: {actual.reshape(-1)[i].item()!r} "
                             f"(bits {_bits(actual, i)}) vs expected {expected.reshape(-1)[i].item()!r} "
                             f"(bits {_bits(expected, i)})")


def _bits(v, i):
    """Element i of v in hex, most significant byte first, whatever v's byte order."""
    return v.reshape(-1)[i:i + 1].astype(v.dtype.newbyteorder(">")).tobytes().hex()
