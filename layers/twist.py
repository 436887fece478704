"""ConvTwist (Yao Liu, 2020): y = conv(x) + XX * conv_x(x) + YY * conv_y(x), 3x3 kernels, padding 1.

The grids, exactly as the seed builds them for an output of h rows and w columns:

    XX[o, i, j] = (dtype(2 j / w) - 1) + center_x[o]      (2 j / w in float64, then rounded)
    YY[o, i, j] = (dtype(2 i / h) - 1) + center_y[o]

Forward and backward, with a, b, c = conv(x), conv_x(x), conv_y(x) and g = dL/dy (docs/convtwist.md):

    y          = (a + XX b) + YY c                     (the seed's evaluation order)
    ga, gb, gc = g, g XX, g YY                         the three convs then backpropagate as one:
    [dW; dWx; dWy] = [ga; gb; gc] @ col^T              dx = col2im([W; Wx; Wy]^T @ [ga; gb; gc])
    d center_x[o] = sum over n, i, j of g b = Wx[o] . dW[o]       (b = Wx @ col, so the pixel sum
    d center_y[o] = sum over n, i, j of g c = Wy[o] . dW[o]        moves onto dW = g @ col^T)
"""
import numbers

import numpy as np

import minigrad as mg
from minigrad import Function, backend, nn
from minigrad.backend import jit, prange
from minigrad.windows import check_nchw, im2col_matmul, im2col_matmul_backward, window_args, window_geometry

from .conv import Conv2d, check_channel_counts, check_channels, result_dtype


def twist_grids(h, w, dtype):
    """The seed's coordinate rows: (dtype(2 i / h) - 1 for each row i, dtype(2 j / w) - 1 for each column j)."""
    dtype = np.dtype(dtype)
    rows = (np.arange(h) * 2 / h).astype(dtype) - dtype.type(1)
    cols = (np.arange(w) * 2 / w).astype(dtype) - dtype.type(1)
    return rows, cols


def antisymmetrize(w):
    """(w - rot180(w)) / 2 over the two spatial axes: the centre tap becomes exactly 0."""
    with np.errstate(all="ignore"):  # inf - inf is NaN silently, as in the seed's torch code and in the ops
        return (w - w[:, :, ::-1, ::-1]) / w.dtype.type(2)


def rotate90_clockwise(w):
    """The seed's conv_x -> conv_y init: w.transpose(2, 3).flip(3)."""
    return np.ascontiguousarray(w.transpose(0, 1, 3, 2)[:, :, :, ::-1])


# ------------------------------------------------------------------------ NumPy reference (spec)

def combine_reference(out3, rows, cols, center_x, center_y):
    """out3 (3, O, N, OH, OW) holding a, b, c -> y (N, O, OH, OW)."""
    a, b, c = out3
    xx = cols[None, None, None, :] + center_x[:, None, None, None]
    yy = rows[None, None, :, None] + center_y[:, None, None, None]
    return np.ascontiguousarray(((a + xx * b) + yy * c).transpose(1, 0, 2, 3))


def combine_backward_reference(g, rows, cols, center_x, center_y):
    """g (N, O, OH, OW) -> g3 (3, O, N, OH, OW) = [g, g XX, g YY]."""
    gt = g.transpose(1, 0, 2, 3)
    xx = cols[None, None, None, :] + center_x[:, None, None, None]
    yy = rows[None, None, :, None] + center_y[:, None, None, None]
    return np.stack([gt, gt * xx, gt * yy])


# ------------------------------------------------------------------------ numba (fast path)

@jit(parallel=True)
def _combine_numba(out3, rows, cols, center_x, center_y, y):
    o_count, n_count, h, w = out3.shape[1:]
    for o in prange(o_count):
        for n in range(n_count):
            for i in range(h):
                yy = rows[i] + center_y[o]
                for j in range(w):
                    xx = cols[j] + center_x[o]
                    y[n, o, i, j] = (out3[0, o, n, i, j] + xx * out3[1, o, n, i, j]) + yy * out3[2, o, n, i, j]
    return y


@jit(parallel=True)
def _combine_backward_numba(g, rows, cols, center_x, center_y, g3):
    o_count, n_count, h, w = g3.shape[1:]
    for o in prange(o_count):
        for n in range(n_count):
            for i in range(h):
                yy = rows[i] + center_y[o]
                for j in range(w):
                    xx = cols[j] + center_x[o]
                    gv = g[n, o, i, j]
                    g3[0, o, n, i, j] = gv
                    g3[1, o, n, i, j] = gv * xx
                    g3[2, o, n, i, j] = gv * yy
    return g3


# ------------------------------------------------------------------------ the differentiable op

class ConvTwistFunction(Function):
    """y = (conv(x) + XX conv_x(x)) + YY conv_y(x), one im2col and one stacked GEMM
    dx, dW, dWx, dWy, d center_x, d center_y as in the module docstring"""

    def forward(self, x, weight, weight_x, weight_y, center_x, center_y, stride=1):
        _check_shapes(x, weight, weight_x, weight_y, center_x, center_y)
        self.geometry = window_geometry("conv_twist", x.shape, 3, stride, 1, 1)
        dtype = result_dtype(x, weight, weight_x, weight_y, center_x, center_y)
        n, (oh, ow), o = x.shape[0], self.geometry[4], weight.shape[0]
        self.x_shape = x.shape
        self.w = np.concatenate([weight, weight_x, weight_y]).reshape(3 * o, -1).astype(dtype, copy=False)
        out3, self.chunks = im2col_matmul(self.w[None], x.astype(dtype, copy=False), self.geometry)
        out3 = out3.reshape(3, o, n, oh, ow)  # the one BLAS contraction, three convs stacked
        self.rows, self.cols = twist_grids(oh, ow, dtype)
        self.centers = center_x.astype(dtype, copy=False), center_y.astype(dtype, copy=False)
        if backend.use_numba(out3):
            return _combine_numba(out3, self.rows, self.cols, *self.centers, np.empty((n, o, oh, ow), dtype))
        return combine_reference(out3, self.rows, self.cols, *self.centers)

    def backward(self, g):
        o, (n, _, h, w) = self.w.shape[0] // 3, g.shape
        if backend.use_numba(g, self.w):
            g3 = _combine_backward_numba(np.ascontiguousarray(g), self.rows, self.cols, *self.centers,
                                         np.empty((3, o, n, h, w), self.w.dtype))
        else:
            g3 = combine_backward_reference(g, self.rows, self.cols, *self.centers)
        dw, dx = im2col_matmul_backward(g3.reshape(1, 3 * o, n, h * w), self.w[None], self.chunks, self.x_shape,
                                        self.geometry, self.needs_input_grad[0], any(self.needs_input_grad[1:]))
        if dw is None:  # only x needs a gradient
            return dx, None, None, None, None, None
        dw = dw.reshape(3, o, -1)
        d_cx, d_cy = np.sum(self.w[o:2 * o] * dw[0], axis=1), np.sum(self.w[2 * o:] * dw[0], axis=1)
        return dx, *dw.reshape(3, o, self.x_shape[1], 3, 3), d_cx, d_cy


def _check_shapes(x, weight, weight_x, weight_y, center_x, center_y):
    op = "conv_twist"
    check_nchw(op, x.shape)
    expected = (weight.shape[0], x.shape[1], 3, 3) if weight.ndim == 4 else None
    for name, w in (("weight", weight), ("weight_x", weight_x), ("weight_y", weight_y)):
        if expected is None or w.shape != expected:
            raise ValueError(f"{op}: {name} has shape {w.shape}; weight, weight_x and weight_y must all be "
                             f"(out, {x.shape[1]}, 3, 3) with the same out, for input {x.shape} (weight: {weight.shape})")
    check_channels(op, x.shape, weight.shape)
    for name, v in (("center_x", center_x), ("center_y", center_y)):
        if v.shape != (weight.shape[0],):
            raise ValueError(f"{op}: {name} must have shape ({weight.shape[0]},), got {v.shape}")


def conv_twist(x, weight, weight_x, weight_y, center_x, center_y, stride=1):
    """ConvTwist of x (N, C, H, W) with 3x3 kernels (out, C, 3, 3), padding 1, centres (out,)."""
    return ConvTwistFunction.apply(x, weight, weight_x, weight_y, center_x, center_y, stride=stride)


SYMMETRIZE = ("inplace", "reparam")


class ConvTwist2d(nn.Module):
    """The seed's ConvTwist module: submodules conv, conv_x, conv_y (bias-free 3x3 Conv2d) and
    parameters center_x, center_y; state_dict keys and init order as the seed's.

    symmetrize="inplace" (the seed): conv_x and conv_y are re-antisymmetrised in place before every
    forward, outside the graph; their gradients are plain conv gradients.
    symmetrize="reparam": the weights used are (v - rot180(v)) / 2 of the stored v, inside the graph,
    so the gradient on v is antisymmetric. Same training as "inplace" for SGD, not for Adam.
    """

    def __init__(self, in_channels, out_channels, stride=1, init_max=1.5, symmetrize="inplace", rng=None,
                 dtype=None):
        super().__init__()
        dtype = nn.parameter_dtype("ConvTwist2d", dtype)
        if not (isinstance(symmetrize, str) and symmetrize in SYMMETRIZE):
            raise ValueError(f"ConvTwist2d: symmetrize must be one of {SYMMETRIZE}, got {symmetrize!r}")
        if not (isinstance(init_max, numbers.Real) and not isinstance(init_max, bool) and 0 <= init_max < np.inf):
            raise ValueError(f"ConvTwist2d: init_max must be a finite number >= 0, got {init_max!r}")
        check_channel_counts("ConvTwist2d", in_channels, out_channels)
        _, stride, _, _ = window_args("ConvTwist2d", 3, stride, 1)
        rng = mg.random.generator(rng, "ConvTwist2d")
        self.stride, self.symmetrize = stride, symmetrize
        self.conv = Conv2d(in_channels, out_channels, 3, stride, 1, bias=False, rng=rng, dtype=dtype)
        self.conv_x = Conv2d(in_channels, out_channels, 3, stride, 1, bias=False, rng=rng, dtype=dtype)
        self.conv_y = Conv2d(in_channels, out_channels, 3, stride, 1, bias=False, rng=rng, dtype=dtype)
        self.conv_x.weight.data = antisymmetrize(self.conv_x.weight.data)
        self.conv_y.weight.data = rotate90_clockwise(self.conv_x.weight.data)
        init_max = abs(init_max)  # -0.0: NumPy's uniform refuses (0.0, -0.0) as high < low
        self.center_x = nn.Parameter(rng.uniform(-init_max, init_max, out_channels).astype(dtype))
        self.center_y = nn.Parameter(rng.uniform(-init_max, init_max, out_channels).astype(dtype))

    def forward(self, x):
        if self.symmetrize == "inplace":
            for conv in (self.conv_x, self.conv_y):
                conv.weight.data = antisymmetrize(conv.weight.data)
            wx, wy = self.conv_x.weight, self.conv_y.weight
        else:
            wx, wy = ((w - w.flip(2, 3)) / 2 for w in (self.conv_x.weight, self.conv_y.weight))
        return conv_twist(x, self.conv.weight, wx, wy, self.center_x, self.center_y, self.stride)

    def extra_repr(self):
        return f"stride={self.stride}, symmetrize={self.symmetrize!r}"
