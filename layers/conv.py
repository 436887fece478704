"""conv2d as im2col + one batched matrix product, with its backward written out."""
import numpy as np

from minigrad import Function, nn
from minigrad.windows import col2im_array, im2col_array, window_geometry


def check_conv_weight(op, x_shape, weight_shape, groups):
    """Weight must be (out, in/groups, kh, kw) with in and out divisible by groups."""
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D NCHW input, got shape {tuple(x_shape)}")
    if len(weight_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight (out, in/groups, kh, kw), got shape {tuple(weight_shape)}")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    c_in, c_out = x_shape[1], weight_shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(f"{op}: in_channels {c_in} and out_channels {c_out} must be divisible by groups {groups}")
    if weight_shape[1] != c_in // groups:
        raise ValueError(f"{op}: weight shape {tuple(weight_shape)} expects {weight_shape[1] * groups} input "
                         f"channels with groups={groups}, input has {c_in} (shape {tuple(x_shape)})")


class Conv2dFunction(Function):
    """y = W @ col + b   per group: W (out/G, in/G*kh*kw), col = im2col(x) as (in/G*kh*kw, N*OH*OW)
    dW = g @ col^T,   dx = col2im(W^T @ g),   db = sum of g over n, h, w
    (g arranged as (out/G, N*OH*OW) per group)"""

    def forward(self, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        check_conv_weight("conv2d", x.shape, weight.shape, groups)
        if bias is not None and bias.shape != weight.shape[:1]:
            raise ValueError(f"conv2d: bias shape {bias.shape} != ({weight.shape[0]},)")
        self.geometry = window_geometry("conv2d", x.shape, weight.shape[2:], stride, padding, dilation)
        self.x_shape, self.groups, self.has_bias = x.shape, groups, bias is not None
        n, out = x.shape[0], self.geometry[4]
        self.w = weight.reshape(groups, weight.shape[0] // groups, -1)  # (G, O/G, K)
        self.col = im2col_array(x, *self.geometry).reshape(groups, self.w.shape[2], -1)  # (G, K, N*L)
        y = np.matmul(self.w, self.col).reshape(weight.shape[0], n, *out)  # (O, N, OH, OW)
        if bias is not None:
            y += bias.reshape(-1, 1, 1, 1)
        return np.ascontiguousarray(y.transpose(1, 0, 2, 3))

    def backward(self, g):
        groups, (n, c) = self.groups, self.x_shape[:2]
        gg = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(groups, self.w.shape[1], -1)  # (G, O/G, N*L)
        dx = dw = db = None
        if self.needs_input_grad[0]:
            dcol = np.matmul(self.w.transpose(0, 2, 1), gg)  # (G, K, N*L)
            dcol = dcol.reshape(c, *self.geometry[0], n, *self.geometry[4])
            dx = col2im_array(dcol, self.x_shape, *self.geometry)
        if self.needs_input_grad[1]:
            dw = np.matmul(gg, self.col.transpose(0, 2, 1)).reshape(self.w.shape[0] * self.w.shape[1], c // groups,
                                                                   *self.geometry[0])
        if self.has_bias and self.needs_input_grad[2]:
            db = g.sum(axis=(0, 2, 3))
        return (dx, dw, db) if self.has_bias else (dx, dw)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's conv2d (cross-correlation): x (N, C, H, W), weight (out, C/groups, kh, kw)."""
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2dFunction.apply(*inputs, stride=stride, padding=padding, dilation=dilation, groups=groups)


class Conv2d(nn.Module):
    """PyTorch's nn.Conv2d: same arguments, weight layout and default init."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, rng=None, dtype=np.float32):
        super().__init__()
        kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
        if not isinstance(groups, int) or groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels {in_channels} and out_channels {out_channels} must be "
                             f"divisible by groups {groups}")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, (kh, kw)
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        bound = nn.kaiming_uniform_bound(in_channels // groups * kh * kw)
        self.weight = nn.Parameter(nn.uniform((out_channels, in_channels // groups, kh, kw), bound, rng, dtype))
        self.bias = nn.Parameter(nn.uniform((out_channels,), bound, rng, dtype)) if bias else None

    def forward(self, x):
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, bias={self.bias is not None}")
