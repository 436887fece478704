"""minigrad: a NumPy reference autograd engine for sliding-window layers (see docs/autograd.md)."""
import os as _os

# OpenBLAS workers busy-wait after every GEMM and starve the numba kernels that run next (conv
# forward+backward 26 -> 18 ms when they sleep at once; docs/performance.md). OpenBLAS reads this
# when numpy first loads: if numpy was imported before minigrad, set it in the environment.
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "1")
from . import backend, nn, optim  # noqa: E402
from .creation import arange, full, full_like, ones, ones_like, rand, randn, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck
from .io import atomic_write
from .ops import (abs, add, all, amax, amin, any, argmax, argmin, argsort, batch_norm, cat, celu, chunk, clamp, clip,
                  clone, concatenate, contiguous, cross_entropy, cumsum, div, dropout, dropout2d, elu, erf, exp,
                  expand, expm1, flatten, flip, floor_divide, gather, gelu, getitem, group_norm, hardsigmoid,
                  hardswish, hardtanh, l1_loss, layer_norm, leaky_relu, linear, log, log1p, log_softmax, logsigmoid,
                  logsumexp, masked_fill, matmul, max, maximum, mean, min, minimum, mish, mse_loss, mul, neg,
                  nll_loss, norm, normalize, pad, permute, pow, prod, relu, relu6, remainder, repeat, reshape, selu,
                  sigmoid, sign, silu, softmax, softplus, softsign, sort, split, sqrt, square, squeeze, stack, std,
                  sub, sum, t, tanh, tanhshrink, topk, transpose, unsqueeze, var, where)
from .random import manual_seed
from .tensor import (Function, Tensor, as_tensor, enable_grad, is_grad_enabled, no_grad, result_type, set_grad_enabled,
                     tensor)
from .windows import (check_nchw, col2im, col2im_array, fold, im2col, im2col_array, unfold, window_args,
                      window_geometry, window_sums_adjoint, window_sums_array)

__version__ = "0.1.0"
