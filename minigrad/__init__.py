"""minigrad: a NumPy reference autograd engine for sliding-window layers (see docs/autograd.md)."""
from . import backend, nn, optim
from .gradcheck import GradcheckError, gradcheck
from .io import atomic_write
from .ops import (abs, add, clip, concatenate, cross_entropy, div, exp, getitem, log, log_softmax,
                  matmul, max, maximum, mean, min, minimum, mul, neg, pad, permute, pow, relu,
                  reshape, sigmoid, sign, softmax, sqrt, stack, sub, sum, tanh, transpose, where)
from .random import manual_seed
from .tensor import Function, Tensor, as_tensor, is_grad_enabled, no_grad, tensor
from .windows import col2im, col2im_array, im2col, im2col_array, window_geometry

__version__ = "0.1.0"
