"""Compare a function's backward with central finite differences, in float64.

An entry passes when |analytic - numeric| <= atol + rtol |numeric|, numeric being
(f(x + eps e) - f(x - eps e)) / (2 eps). Beyond the Jacobian the checker insists that the inputs
come back unmutated, that two forward and backward passes give the same bits, and that a second
backward of the same graph adds the same gradient again (a backward that changed what its forward
kept would not: minigrad keeps graphs, so a second backward is legal).
"""
import numpy as np

from .tensor import Tensor, _is_int, _is_real


class GradcheckError(AssertionError):
    pass


def gradcheck(fn, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, mode="full", seed=0):
    """Check ``fn(*tensors)`` (returning one Tensor) against finite differences; True or raise.

    ``inputs`` is a sequence of arrays or Tensors, or one (PyTorch's gradcheck takes a lone tensor);
    each becomes a float64 contiguous copy that requires a gradient. ``mode="full"`` compares every
    Jacobian entry; ``"directional"`` compares v^T J u for seeded random unit directions u and v
    (cheap for conv-sized inputs).
    """
    if not (isinstance(mode, str) and mode in ("full", "directional")):
        raise ValueError(f"gradcheck: mode must be 'full' or 'directional', got {mode!r}")
    finite = all(map(_is_real, (eps, atol, rtol))) and 0 < eps < np.inf and 0 <= atol < np.inf and 0 <= rtol < np.inf
    if not finite:  # else every entry fails, naming NaN
        raise ValueError(f"gradcheck: eps must be > 0, atol and rtol >= 0, all finite; got eps={eps!r}, "
                         f"atol={atol!r}, rtol={rtol!r}")
    if not _is_int(seed) or seed < 0:  # None would draw other directions every run
        raise ValueError(f"gradcheck: seed must be an int >= 0, got {seed!r}")
    # a lone tensor or array is one input, else its rows would be taken for the inputs
    inputs = [inputs] if isinstance(inputs, (Tensor, np.ndarray)) else list(inputs)
    if not inputs:  # a check of nothing would pass
        raise ValueError("gradcheck: no inputs, so nothing to check")
    arrays = []
    for i, x in enumerate(inputs):
        a = np.asarray(x.data if isinstance(x, Tensor) else x)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"gradcheck: input {i} holds no numbers, got {x!r:.80}")
        arrays.append(np.array(a, dtype=np.float64, order="C"))  # a copy; ascontiguousarray makes a 0-D input 1-D

    def evaluate(values):
        with_grad = [Tensor(v.copy(), requires_grad=True) for v in values]
        out = fn(*with_grad)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        if out.dtype.kind == "f" and out.dtype.itemsize < 8:  # eps = 1e-6 is below float32's resolution
            raise TypeError(f"gradcheck: fn returned {out.dtype}; finite differences need float64 all the way "
                            f"(the inputs it receives are float64)")
        for i, (t, v) in enumerate(zip(with_grad, values)):
            if not np.array_equal(t.data, v, equal_nan=True):
                raise GradcheckError(f"gradcheck: input {i} was mutated by fn")
        return with_grad, out

    _, out = evaluate(arrays)
    rng = np.random.default_rng(seed)
    v = _unit(rng.standard_normal(out.shape))
    analytic = _vjp(evaluate, arrays, v, again=True)
    if any(not np.array_equal(a, b, equal_nan=True) for a, b in zip(_vjp(evaluate, arrays, v), analytic)):
        raise GradcheckError("gradcheck: backward is not deterministic (two passes differ)")

    def f_dot_v(values, direction):
        return float(np.sum(evaluate(values)[1].data * direction))

    if mode == "directional":
        for i, x in enumerate(arrays):
            u = _unit(rng.standard_normal(x.shape))
            plus = [a + eps * u if j == i else a for j, a in enumerate(arrays)]
            minus = [a - eps * u if j == i else a for j, a in enumerate(arrays)]
            numeric = (f_dot_v(plus, v) - f_dot_v(minus, v)) / (2 * eps)
            _compare(float(np.sum(analytic[i] * u)), numeric, atol, rtol, eps, f"input {i}", "v^T J u")
    else:
        # analytic Jacobian one row per output element, numeric one column per input element
        rows = []
        for out_index in np.ndindex(*out.shape):
            onehot = np.zeros(out.shape)
            onehot[out_index] = 1
            rows.append(_vjp(evaluate, arrays, onehot))
        for i, x in enumerate(arrays):
            for idx in np.ndindex(*x.shape):
                plus = [a.copy() for a in arrays]
                minus = [a.copy() for a in arrays]
                plus[i][idx] += eps
                minus[i][idx] -= eps
                column = (evaluate(plus)[1].data - evaluate(minus)[1].data).reshape(-1) / (2 * eps)
                for k, out_index in enumerate(np.ndindex(*out.shape)):
                    _compare(rows[k][i][idx], column[k], atol, rtol, eps, f"input {i}",
                             f"d out{list(out_index)} / d x{list(idx)}")
    return True


def _unit(a):
    n = np.linalg.norm(a)
    return a / n if n > 0 else a


def _vjp(evaluate, arrays, v, again=False):
    """v^T J for each input; again: check that a second backward of the graph doubles it, bit for bit
    (g + g is exact)."""
    tensors, out = evaluate(arrays)
    if not out.requires_grad:
        return [np.zeros_like(a) for a in arrays]

    def backward():
        out.backward(v)
        return [np.zeros_like(a) if t.grad is None else t.grad.copy() for t, a in zip(tensors, arrays)]

    grads = backward()
    if again and any(not np.array_equal(g + g, twice, equal_nan=True) for g, twice in zip(grads, backward())):
        raise GradcheckError("gradcheck: a second backward of the same graph added a different gradient: "
                             "backward changed what its forward kept, or is not deterministic")
    return grads


def _compare(analytic, numeric, atol, rtol, eps, where, entry):
    if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
        raise GradcheckError(f"gradcheck: {where}, {entry}: analytic {float(analytic)!r} != numeric "
                             f"{float(numeric)!r} (eps={eps}, atol={atol}, rtol={rtol})")
