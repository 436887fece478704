"""conv2d as im2col + one batched matrix product, with its backward written out; conv_transpose2d, its adjoint."""
import math

import numpy as np

import minigrad as mg
from minigrad import Function, nn
from minigrad.windows import (batch_chunks, check_nchw, im2col_array, im2col_matmul, im2col_matmul_backward, int_pair,
                              window_args, window_geometry)


def check_channels(op, x_shape, weight_shape):
    """At least one input and one output channel (an empty batch is fine)."""
    if x_shape[1] == 0 or weight_shape[0] == 0:
        raise ValueError(f"{op}: needs at least one input and one output channel, got input {tuple(x_shape)} "
                         f"and weight {tuple(weight_shape)}")


def check_channel_counts(op, in_channels, out_channels):
    """A module's channel counts: ints >= 1, checked when it is built."""
    nn.check_count(op, "in_channels", in_channels)
    nn.check_count(op, "out_channels", out_channels)


def check_group_count(op, groups):
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:  # True failed in forward
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")


def check_groups(op, in_channels, out_channels, groups):
    """groups a positive int dividing both channel counts."""
    check_group_count(op, groups)
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{op}: in_channels {in_channels} and out_channels {out_channels} must be divisible by "
                         f"groups {groups}")


def check_conv_weight(op, x_shape, weight_shape, groups):
    """Weight must be (out, in/groups, kh, kw) with in and out divisible by groups."""
    check_nchw(op, x_shape)
    if len(weight_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight (out, in/groups, kh, kw), got shape {tuple(weight_shape)}")
    check_channels(op, x_shape, weight_shape)
    c_in, c_out = x_shape[1], weight_shape[0]
    check_groups(op, c_in, c_out, groups)
    if weight_shape[1] != c_in // groups:
        raise ValueError(f"{op}: weight shape {tuple(weight_shape)} expects {weight_shape[1] * groups} input "
                         f"channels with groups={groups}, input has {c_in} (shape {tuple(x_shape)})")


def result_dtype(*arrays):
    """PyTorch's result dtype of the inputs (mg.result_type: a float32 layer given q=0.1 stays
    float32), float64 where that is an integer or bool: an average or a cosine of integers is not an
    integer (NumPy's mean takes them so)."""
    dtype = mg.result_type(*arrays)
    return np.dtype(np.float64) if dtype.kind in "biu" else dtype


def resolve_padding(op, padding, kernel_size, stride, dilation):
    """PyTorch's padding strings for convolutions as numbers: (padding, extra). "valid" is none;
    "same" keeps H and W (stride 1 only, as in PyTorch) by d (k - 1) in total per axis, half on each
    side, and where that total is odd the pixel left over goes at the bottom or right, where PyTorch
    (and TensorFlow) put it: extra = (bottom, right), 0 or 1 each."""
    if not isinstance(padding, str):
        return padding, (0, 0)
    if padding == "valid":
        return 0, (0, 0)
    if padding != "same":
        raise ValueError(f"{op}: padding must be an int, a pair of ints, 'valid' or 'same', got {padding!r}")
    kernel, stride, _, dilation = window_args(op, kernel_size, stride, 0, dilation)
    if stride != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
    total = tuple(d * (k - 1) for d, k in zip(dilation, kernel))
    return (total[0] // 2, total[1] // 2), (total[0] % 2, total[1] % 2)


def pad_for_windows(op, x, weight, padding, stride, dilation, groups):
    """x and the padding the windows take. Numbers pass through; a padding string is resolved, its
    one-sided extra (an odd "same") padded onto x here as a graph op, whose gradient crops it off,
    since the windows pad both sides alike. weight is checked first: the kernel size is read from it."""
    if not isinstance(padding, str):
        return x, padding
    x, weight = mg.as_tensor(x, op=op), mg.as_tensor(weight, op=op)
    check_conv_weight(op, x.shape, weight.shape, groups)
    padding, (bottom, right) = resolve_padding(op, padding, weight.shape[2:], stride, dilation)
    return (mg.pad(x, (0, right, 0, bottom)) if bottom or right else x), padding


class Conv2dFunction(Function):
    """y = W @ col + b   per group: W (out/G, in/G*kh*kw), col = im2col(x) as (in/G*kh*kw, N*OH*OW)
    dW = g @ col^T,   dx = col2im(W^T @ g),   db = g @ 1 (g summed over n, h, w)
    (g arranged as (out/G, N*OH*OW) per group; with one group, b rides in the product as
    [W b] @ [col; 1], and [dW db] = g @ [col; 1]^T)

    y is NCHW in shape but channel-major in memory, (out, N, OH, OW) as the product makes it: a
    transposing copy of every output and of its gradient was 5% of the example's conv training step,
    and the pooling kernels read planes in either layout (and hand back dx in it)."""

    def forward(self, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        check_conv_weight("conv2d", x.shape, weight.shape, groups)
        if bias is not None and bias.shape != weight.shape[:1]:
            raise ValueError(f"conv2d: bias shape {bias.shape} != ({weight.shape[0]},)")
        # PyTorch's promotion, as SCS and ConvTwist: int64 images into float32 weights were float64
        # (NumPy's), a float64 bias was rounded to float32, a float bias failed on integer inputs
        dtype = mg.result_type(*(a for a in (x, weight, bias) if a is not None))
        x, weight = x.astype(dtype, copy=False), weight.astype(dtype, copy=False)
        bias = None if bias is None else bias.astype(dtype, copy=False)
        self.geometry = window_geometry("conv2d", x.shape, weight.shape[2:], stride, padding, dilation)
        self.x_shape, self.has_bias = x.shape, bias is not None
        self.folded = bias is not None and groups == 1  # the bias in the product (im2col_matmul)
        self.w = weight.reshape(groups, weight.shape[0] // groups, -1)  # (G, O/G, K)
        y, self.chunks = im2col_matmul(self.w, x, self.geometry, bias if self.folded else None)  # (G, O/G, N, L)
        y = y.reshape(weight.shape[0], x.shape[0], *self.geometry[4])
        if bias is not None and not self.folded:
            y += bias.reshape(-1, 1, 1, 1)
        return y.transpose(1, 0, 2, 3)  # a view: no copy

    def backward(self, g):
        gg = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(*self.w.shape[:2], g.shape[0], g.shape[2] * g.shape[3])
        need_x, need_w, need_b = (*self.needs_input_grad[:2], self.has_bias and self.needs_input_grad[2])
        dw, dx = im2col_matmul_backward(gg, self.w, self.chunks, self.x_shape, self.geometry, need_x,
                                        need_w or (need_b and self.folded), self.folded)
        db = None
        if self.folded and dw is not None:  # [dW db]
            dw, db = dw[..., :-1], dw[..., -1].reshape(-1)
        elif need_b:  # BLAS's sum: 6x NumPy's strided g.sum((0, 2, 3))
            m = gg.shape[2] * gg.shape[3]
            db = gg.reshape(g.shape[1], m) @ np.ones(m, g.dtype)
        if dw is not None:
            dw = dw.reshape(-1, self.x_shape[1] // self.w.shape[0], *self.geometry[0]) if need_w else None
        return (dx, dw, db if need_b else None) if self.has_bias else (dx, dw)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """PyTorch's conv2d (cross-correlation): x (N, C, H, W), weight (out, C/groups, kh, kw); padding
    an int, a pair, "valid" or "same"."""
    x, padding = pad_for_windows("conv2d", x, weight, padding, stride, dilation, groups)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2dFunction.apply(*inputs, stride=stride, padding=padding, dilation=dilation, groups=groups)


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv2d(nn.Module):
    """PyTorch's nn.Conv2d: same arguments, weight layout and default init; kernel_size, stride,
    padding and dilation are kept as pairs (padding "valid" or "same" as given), as PyTorch keeps them.
    A padding_mode other than "zeros" pads x with mg.pad's mode of that name first, as PyTorch does."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", rng=None, dtype=None):
        super().__init__()
        dtype = nn.parameter_dtype("Conv2d", dtype)
        check_channel_counts("Conv2d", in_channels, out_channels)
        if not (isinstance(padding_mode, str) and padding_mode in PADDING_MODES):
            raise ValueError(f"Conv2d: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        numbers, self._extra = resolve_padding("Conv2d", padding, kernel_size, stride, dilation)
        (kh, kw), stride, numbers, dilation = window_args("Conv2d", kernel_size, stride, numbers, dilation)
        self._pads = numbers  # the numbers "valid" and "same" stand for
        padding = padding if isinstance(padding, str) else numbers
        check_groups("Conv2d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, (kh, kw)
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.padding_mode = padding_mode
        rng, bound = mg.random.generator(rng, "Conv2d"), nn.kaiming_uniform_bound(in_channels // groups * kh * kw)
        self.weight = nn.Parameter(nn.uniform((out_channels, in_channels // groups, kh, kw), bound, rng, dtype))
        if bias:
            self.bias = nn.Parameter(nn.uniform((out_channels,), bound, rng, dtype))
        else:
            self.register_parameter("bias", None)  # a place kept for one, as in PyTorch

    def forward(self, x):
        if self.padding_mode == "zeros":
            return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        (top, left), (bottom, right) = self._pads, self._extra  # an odd "same" pads its extra pixel last
        x = mg.pad(x, (left, left + right, top, top + bottom), self.padding_mode)
        return conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self):  # PyTorch's: the settings that differ from the defaults
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        s += ", bias=False" if self.bias is None else ""
        return s + (f", padding_mode={self.padding_mode}" if self.padding_mode != "zeros" else "")


def check_output_padding(op, output_padding, stride, dilation):
    """output_padding as a pair, each >= 0 and below its axis's stride or dilation, as PyTorch requires."""
    extra = int_pair(output_padding, "output_padding", op)
    if not all(0 <= e < max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"{op}: output_padding must be >= 0 and smaller than stride or dilation, as in PyTorch; "
                         f"got {extra} with stride {stride} and dilation {dilation}")
    return extra


def smallest_transposed_output(size, kernel, stride, padding, dilation):
    """conv_transpose2d's (OH, OW) without output_padding: (H - 1) s - 2p + d (k - 1) + 1 per axis."""
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + 1
                 for n, k, s, p, d in zip(size, kernel, stride, padding, dilation))


def transposed_geometry(op, x_shape, weight_shape, stride, padding, output_padding, groups, dilation):
    """Check conv_transpose2d's input and settings before any kernel runs; return the geometry of the conv2d
    whose input gradient it is, ((kh, kw), stride, padding, dilation, (H, W)), and the output's shape (N, out,
    OH, OW), OH = (H - 1) sh - 2 ph + dh (kh - 1) + output_padding + 1 (so that conv reads back H rows)."""
    check_nchw(op, x_shape)
    if len(weight_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D weight (in, out/groups, kh, kw), got shape {tuple(weight_shape)}")
    if x_shape[1] == 0 or weight_shape[1] == 0:
        raise ValueError(f"{op}: needs at least one input and one output channel, got input {tuple(x_shape)} "
                         f"and weight {tuple(weight_shape)}")
    if weight_shape[0] != x_shape[1]:
        raise ValueError(f"{op}: weight {tuple(weight_shape)} expects {weight_shape[0]} input channels, input has "
                         f"{x_shape[1]} (shape {tuple(x_shape)})")
    check_group_count(op, groups)  # before the output channels are counted with it
    check_groups(op, x_shape[1], weight_shape[1] * groups, groups)
    kernel, stride, padding, dilation = window_args(op, weight_shape[2:], stride, padding, dilation)
    extra = check_output_padding(op, output_padding, stride, dilation)
    smallest = smallest_transposed_output(x_shape[2:], kernel, stride, padding, dilation)
    size = tuple(low + e for low, e in zip(smallest, extra))
    if min(size) < 1:
        raise ValueError(f"{op}: input {tuple(x_shape[2:])} with kernel {kernel}, stride {stride}, padding {padding}"
                         f" and dilation {dilation} gives an output of {size}, too small")
    return (kernel, stride, padding, dilation, tuple(x_shape[2:])), (x_shape[0], weight_shape[1] * groups) + size


class ConvTranspose2dFunction(Function):
    """conv2d's input gradient as a layer, per group: W (in/G, out/G kh kw), x as (in/G, N H W)
    y = col2im(W^T @ x) + b   (each input pixel spreads a weighted kernel over the output)
    dx = W @ im2col(g),   dW = x @ im2col(g)^T,   db = g summed over n, h, w
    So the forward is conv2d's backward (im2col_matmul_backward) and the backward conv2d's forward (im2col_matmul),
    a batch chunk at a time: the columns are out kh kw / in times the input. geometry and y_shape are
    transposed_geometry's, which conv_transpose2d has checked."""

    def forward(self, x, weight, bias=None, *, geometry, y_shape, groups):
        self.geometry = geometry
        dtype = mg.result_type(*(a for a in (x, weight, bias) if a is not None))  # PyTorch's, as conv2d's
        n, c, h, w = x.shape
        self.w = weight.astype(dtype, copy=False).reshape(groups, c // groups, -1)  # (G, in/G, out/G kh kw)
        self.x = x.astype(dtype, copy=False).transpose(1, 0, 2, 3).reshape(groups, c // groups, n * h * w)
        self.x_shape, self.weight_shape, self.has_bias = x.shape, weight.shape, bias is not None
        # without the weight gradient, conv2d's backward reads only the chunks' slices, not their columns
        chunks = [(s, None) for s in batch_chunks(n, y_shape[1] * math.prod(self.geometry[0]) * h * w * x.itemsize)]
        _, y = im2col_matmul_backward(self.x.reshape(groups, c // groups, n, h * w), self.w, chunks, y_shape,
                                      self.geometry, weight_grad=False)
        if bias is not None:
            y += bias.astype(dtype, copy=False).reshape(-1, 1, 1)
        return y

    def backward(self, g):
        (n, c, h, w), (need_x, need_w) = self.x_shape, self.needs_input_grad[:2]
        groups, k = self.w.shape[0], self.w.shape[2]
        dx = np.empty((n, c, h, w), self.w.dtype) if need_x else None
        dw = np.zeros(self.w.shape, self.w.dtype) if need_w else None
        for chunk in batch_chunks(n, groups * k * h * w * g.itemsize) if need_x or need_w else ():
            col = im2col_array(g[chunk], *self.geometry).reshape(groups, k, -1)  # (G, out/G kh kw, n H W)
            if need_x:
                dx[chunk] = np.matmul(self.w, col).reshape(c, -1, h, w).transpose(1, 0, 2, 3)
            if need_w:
                dw += np.matmul(self.x[:, :, chunk.start * h * w:chunk.stop * h * w], col.transpose(0, 2, 1))
        dw = None if dw is None else dw.reshape(self.weight_shape)
        if not self.has_bias:
            return dx, dw
        return dx, dw, g.sum(axis=(0, 2, 3)) if self.needs_input_grad[2] else None


def flipped_conv_weight(weight, groups):
    """conv_transpose2d's weight (in, out/G, kh, kw) as the conv2d weight (out, in/G, kh, kw) of the same map at
    stride 1: each group's in and out swapped, the kernel turned half a circle."""
    c_in, per_group, kh, kw = weight.shape
    swapped = weight.reshape(groups, c_in // groups, per_group, kh, kw).transpose(1, 2)
    return swapped.reshape(groups * per_group, c_in // groups, kh, kw).flip((2, 3))


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """PyTorch's conv_transpose2d, conv2d's adjoint: x (N, in, H, W), weight (in, out/groups, kh, kw); output_padding
    adds rows and columns at the bottom and right, to reach a size a stride > 1 rounds away.

    At stride 1 the same map is conv2d(x, flipped_conv_weight(weight), padding d (k - 1) - p): its columns hold
    in/groups kh kw rows per output pixel where ConvTranspose2dFunction's hold out/groups kh kw per input pixel,
    so it runs when it has fewer (the benchmark's A, 1 -> 32 channels: 9 rows for 288)."""
    x, weight = mg.as_tensor(x, op="conv_transpose2d"), mg.as_tensor(weight, op="conv_transpose2d")
    geometry, y_shape = transposed_geometry("conv_transpose2d", x.shape, weight.shape, stride, padding,
                                            output_padding, groups, dilation)
    if bias is not None:
        bias = mg.as_tensor(bias, op="conv_transpose2d")
        if bias.shape != y_shape[1:2]:
            raise ValueError(f"conv_transpose2d: bias shape {bias.shape} != ({y_shape[1]},)")
    kernel, stride, padding, dilation, size = geometry
    conv_padding = tuple(d * (k - 1) - p for k, p, d in zip(kernel, padding, dilation))
    no_output_padding = y_shape[2:] == smallest_transposed_output(size, kernel, stride, padding, dilation)
    if stride == (1, 1) and x.shape[1] < y_shape[1] and min(conv_padding) >= 0 and no_output_padding:
        return conv2d(x, flipped_conv_weight(weight, groups), bias, 1, conv_padding, dilation, groups)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return ConvTranspose2dFunction.apply(*inputs, geometry=geometry, y_shape=y_shape, groups=groups)


class ConvTranspose2d(nn.Module):
    """PyTorch's nn.ConvTranspose2d: same arguments, weight layout (in, out/groups, kh, kw) and default init (fan_in
    from the weight's second dim, as PyTorch computes it); forward(x, output_size=None) as PyTorch's, output_size
    choosing the output_padding that reaches it. padding_mode "zeros" only, as in PyTorch. Settings are checked when
    it is made (PyTorch's output_padding at the first call)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", rng=None, dtype=None):
        super().__init__()
        dtype = nn.parameter_dtype("ConvTranspose2d", dtype)
        check_channel_counts("ConvTranspose2d", in_channels, out_channels)
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose2d: padding_mode must be 'zeros', as in PyTorch, got {padding_mode!r}")
        (kh, kw), stride, padding, dilation = window_args("ConvTranspose2d", kernel_size, stride, padding, dilation)
        output_padding = check_output_padding("ConvTranspose2d", output_padding, stride, dilation)
        check_groups("ConvTranspose2d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, (kh, kw)
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.groups, self.dilation, self.padding_mode = groups, dilation, padding_mode
        rng = mg.random.generator(rng, "ConvTranspose2d")
        bound = nn.kaiming_uniform_bound(out_channels // groups * kh * kw)  # PyTorch's fan_in: weight.shape[1] kh kw
        self.weight = nn.Parameter(nn.uniform((in_channels, out_channels // groups, kh, kw), bound, rng, dtype))
        if bias:
            self.bias = nn.Parameter(nn.uniform((out_channels,), bound, rng, dtype))
        else:
            self.register_parameter("bias", None)

    def _output_padding(self, x, output_size):
        """The output_padding that gives output_size ((H, W), or a shape ending in them), which must lie from the
        smallest output to stride - 1 rows and columns more, as PyTorch's."""
        x = mg.as_tensor(x, op="ConvTranspose2d")
        check_nchw("ConvTranspose2d", x.shape)
        if not (isinstance(output_size, (tuple, list)) and len(output_size) in (2, 4)):
            raise ValueError(f"ConvTranspose2d: output_size must be (H, W) or (N, C, H, W), got {output_size!r}")
        size = int_pair(tuple(output_size[-2:]), "output_size's (H, W)", "ConvTranspose2d")
        smallest = smallest_transposed_output(x.shape[2:], self.kernel_size, self.stride, self.padding, self.dilation)
        if not all(low <= n < low + s for n, low, s in zip(size, smallest, self.stride)):
            largest = tuple(low + s - 1 for low, s in zip(smallest, self.stride))
            raise ValueError(f"ConvTranspose2d: output_size {size} is not reachable: from input {x.shape[2:]} the "
                             f"output is {smallest} to {largest}")
        return tuple(n - low for n, low in zip(size, smallest))

    def forward(self, x, output_size=None):
        output_padding = self.output_padding if output_size is None else self._output_padding(x, output_size)
        return conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                                self.dilation)

    def extra_repr(self):  # PyTorch's: the settings that differ from the defaults
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        for name, default in (("padding", (0, 0)), ("dilation", (1, 1)), ("output_padding", (0, 0))):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        s += f", groups={self.groups}" if self.groups != 1 else ""
        return s + (", bias=False" if self.bias is None else "")
