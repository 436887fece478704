"""PyTorch's gradient clipping, as mg.nn.utils: clip_grad_norm_ and clip_grad_value_ change the parameters'
.grad arrays in place, between backward and the optimizer's step."""
import numpy as np

from .ops import norm, stack
from .tensor import Tensor, check_flags, check_numbers


def _gradients(parameters, op):
    """The .grad arrays of parameters (one tensor, or an iterable of them), those without one left out."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: parameters must be tensors (model.parameters()), got {type(p).__name__}")
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """PyTorch's: the total norm N of the gradients, the norm_type norm of their norms (as of one vector
    holding them all), is returned, and each gradient is scaled by min(1, max_norm / (N + 1e-6)), so that
    their total norm is at most about max_norm. A non-finite N scales them by NaN or 0, as in PyTorch, unless
    error_if_nonfinite refuses it. No gradients: N is 0."""
    op = "clip_grad_norm_"
    check_numbers(op, max_norm=max_norm, norm_type=norm_type)
    check_flags(op, error_if_nonfinite=error_if_nonfinite)
    grads = _gradients(parameters, op)
    if not grads:
        return Tensor(np.float32(0.0))
    total = norm(stack([norm(Tensor(g), norm_type) for g in grads]), norm_type)
    if error_if_nonfinite and not np.isfinite(total.data):
        raise RuntimeError(f"{op}: the total norm of order {norm_type} of the gradients is {total.item()}, so they "
                           "cannot be clipped; error_if_nonfinite=False scales them by it anyway, as in PyTorch")
    dtype = total.dtype.type  # the coefficient in the gradients' dtype, as PyTorch's
    scale = np.minimum(dtype(max_norm) / (total.data + dtype(1e-6)), dtype(1.0))
    for g in grads:
        np.multiply(g, scale, out=g)
    return total


def clip_grad_value_(parameters, clip_value):
    """PyTorch's: each gradient clamped to [-clip_value, clip_value] in place (NaN stays NaN)."""
    check_numbers("clip_grad_value_", clip_value=clip_value)
    for g in _gradients(parameters, "clip_grad_value_"):
        np.clip(g, -clip_value, clip_value, out=g)
