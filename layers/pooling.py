"""Max, average and max-|x| pooling: a NumPy reference over im2col windows, and numba kernels.

Rules (docs/windows.md):
- max_pool2d: padding never wins; ties go to the first window position in row-major order
  (PyTorch's CPU kernel keeps the first maximum it meets). The gradient goes to that position.
  A NaN wins: the window's last NaN is kept (PyTorch: ``val > max || isnan(val)``).
- avg_pool2d: the window sum over the window's count of positions, counted as PyTorch counts them
  (padding included unless count_include_pad=False, a ceil_mode window's overhang never); the
  gradient g / count goes to every window position.
- max_abs_pool2d: keeps the element of largest |x| with its sign; on a tie of |x| the positive
  value wins, as in brohrer/sharpened-cosine-similarity's PyTorch MaxAbsPool2d (7193a5d), and among
  equal values the first position. The gradient goes only to the kept element. NaN as max_pool2d.
- ceil_mode (all three): PyTorch's output size, rounding up, so that windows may run past the
  input's end, each still starting inside the input or its left padding; the overhang is padding
  (a kernel wider than the padded input too, if rounding up gives it a window).
- dilation (the max pools): window positions d apart, as in conv2d; a window that would read only
  padding is refused (PyTorch returns -inf there, with an index outside the input).
- return_indices (the max pools): each kept element's flat position in its input plane (h W + w),
  as PyTorch's max_pool2d returns it.
"""
import numpy as np

from minigrad import Function, Tensor, as_tensor, backend, nn, ops
from minigrad.backend import jit, prange, unsigned
from minigrad.windows import (check_nchw, col2im_array, im2col_reference, window_args, window_geometry,
                             window_sums_adjoint, window_sums_array)

from .conv import result_dtype

MAX, MAX_ABS = 0, 1


def _check_half_padding(op, kernel, pad):
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {pad} must be at most half the kernel size {kernel}")


def check_pool_args(op, kernel_size, stride, padding, dilation=1):
    """A pool's settings without an input (modules check them when built): window_args with stride
    None meaning the kernel size, and padding at most half the kernel, as PyTorch requires."""
    kernel, _, pad, _ = window_args(op, kernel_size, kernel_size if stride is None else stride, padding, dilation)
    _check_half_padding(op, kernel, pad)


def pool_geometry(op, shape, kernel_size, stride, padding, ceil_mode=False, dilation=1):
    stride = kernel_size if stride is None else stride
    seen = shape
    if ceil_mode and len(shape) == 4:  # a window may reach past the padding, as far as the kernels pad x's end
        kernel, _, pad, dil = window_args(op, kernel_size, stride, padding, dilation)
        reach = (d * (k - 1) + 1 - 2 * p for k, p, d in zip(kernel, pad, dil))  # a window's span less the padding
        seen = tuple(shape[:2]) + tuple(max(n, r) for n, r in zip(shape[2:], reach))
    kernel, stride, pad, dilation, out = window_geometry(op, seen, kernel_size, stride, padding, dilation)
    if ceil_mode:
        out = tuple(_ceil_output_size(n, k, s, p, d) for n, k, s, p, d in zip(shape[2:], kernel, stride, pad, dilation))
        if min(out) < 1:
            raise ValueError(f"{op}: kernel {kernel} with dilation {dilation} and stride {stride} leaves no window on "
                             f"the input {tuple(shape[2:])} with padding {pad}, even with ceil_mode "
                             f"(output size {out})")
    _check_half_padding(op, kernel, pad)
    for axis, n, k, s, p, d, o in zip("HW", shape[2:], kernel, stride, pad, dilation, out):
        if d == 1:  # padding at most half the kernel leaves an element of x in every window
            continue
        reads = np.arange(o)[:, None] * s - p + np.arange(k) * d
        only_padding = ~((reads >= 0) & (reads < n)).any(axis=1)
        if only_padding.any():
            i = int(np.argmax(only_padding))
            raise ValueError(f"{op}: window {i} along {axis} reads only padding (positions {reads[i].tolist()} of an "
                             f"input {n} long): kernel {kernel}, dilation {dilation}, padding {pad}")
    return kernel, stride, pad, dilation, out


def _ceil_output_size(size, k, s, p, d=1):
    """PyTorch's ceil_mode output size: ceil((size + 2p - d (k - 1) - 1) / s) + 1 windows, less the last
    one if it would start past the input and its left padding."""
    out = -(-(size + 2 * p - d * (k - 1) - 1) // s) + 1
    return out - 1 if (out - 1) * s >= size + p else out


def end_padding(shape, geometry):
    """(rows, columns) past the bottom and right padding that ceil_mode's last windows reach; (0, 0)
    without it. Padding the input by them turns a ceil_mode geometry into a plain one."""
    kernel, stride, pad, dilation, out = geometry
    return tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
                 for n, k, s, p, d, o in zip(shape[2:], kernel, stride, pad, dilation, out))


def _pad_end(x, end):
    return np.pad(x, ((0, 0), (0, 0), (0, end[0]), (0, end[1]))) if any(end) else x


def _padded_shape(shape, end):
    return tuple(shape[:2]) + (shape[2] + end[0], shape[3] + end[1])


def _crop_end(dx, shape):
    """The adjoint of _pad_end: the padded input's gradient without the rows and columns it added."""
    return dx if dx.shape == tuple(shape) else np.ascontiguousarray(dx[:, :, :shape[2], :shape[3]])


def avg_divisor(shape, geometry, count_include_pad):
    """(OH, OW): how many positions each window averages, as PyTorch counts them: the window clipped to
    the padded input (ceil_mode's overhang never counts), and to the input itself without count_include_pad."""
    kernel, stride, pad, _, out = geometry
    counts = []
    for n, k, s, p, o in zip(shape[2:], kernel, stride, pad, out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        counts.append(end - start)
    return np.outer(*counts)


def _windows(x, geometry, end):
    """(N, C, kh*kw, OH, OW) windows of x, and a mask of which entries are real (not padding)."""
    n, c = x.shape[:2]
    out = geometry[4]
    col = im2col_reference(_pad_end(x, end), *geometry).reshape(c, geometry[0][0] * geometry[0][1], n, *out)
    real = im2col_reference(_pad_end(np.ones((1, 1) + x.shape[2:], dtype=bool), end), *geometry)
    return col.transpose(2, 0, 1, 3, 4), real.reshape(1, 1, -1, *out)


def magnitude(a):
    """|a| exactly: a signed integer's abs read as unsigned, since abs(-128) is -128 in int8."""
    size = np.abs(a)
    return size.view(f"u{size.itemsize}") if size.dtype.kind == "i" else size


def select_reference(col, real, rule):
    """Index (into the kh*kw window) of the element each window keeps, by the rules above. Keys stay
    in x's dtype, so that integers compare exactly (a float key rounds int64's)."""
    key = col if rule == MAX else magnitude(col)
    # padding takes its window's least key, which no real element loses to
    top = np.where(real, key, key.min(axis=2, keepdims=True)).max(axis=2, keepdims=True)
    best = real & (key == top)
    index = np.argmax(best, axis=2)
    if rule == MAX_ABS:
        positive = best & (col > 0)
        index = np.where(positive.any(axis=2), np.argmax(positive, axis=2), index)
    nan = real & np.isnan(col)
    last_nan = nan.shape[2] - 1 - np.argmax(nan[:, :, ::-1], axis=2)
    return np.where(nan.any(axis=2), last_nan, index)


def pool_backward_reference(g, index, x_shape, geometry, end):
    """Scatter g onto the kept window positions, then col2im puts them back on the image."""
    n, c = x_shape[:2]
    dcol = np.zeros((n, c, geometry[0][0] * geometry[0][1]) + g.shape[2:], dtype=g.dtype)
    np.put_along_axis(dcol, index[:, :, None], g[:, :, None], axis=2)
    dcol = dcol.transpose(1, 2, 0, 3, 4).reshape(c, *geometry[0], n, *g.shape[2:])
    return _crop_end(col2im_array(np.ascontiguousarray(dcol), _padded_shape(x_shape, end), *geometry), x_shape)


# Kernels take the window's offsets as tuples (0, 1, ..., k-1): a tuple's length is part of its
# compiled type, so each window size gets its own kernel with unrolled loops (about 3x faster for 2x2
# windows than loops of run-time length, docs/performance.md); a loop over range(len(t)), not over t
# itself, is unrolled before LLVM vectorizes the loop around it. The selection rule travels the same
# way, as a tuple of length MAX or MAX_ABS (_select_numba's ``rule``): read at run time as an int it
# made the max-|x| pass 2.6-2.9x slower. The scatter takes the dilation the same way.

@jit()
def _plane_starts(nc, c, sb, sc, plane_out):
    """Where plane nc = b C + ch starts in the input's memory (b sb + ch sc, strides from planes())
    and in the C-ordered output's."""
    return (nc // c) * sb + (nc % c) * sc, nc * plane_out


@jit(parallel=True)
def _select_numba(xpad, sb, sc, rows, cols, sh, sw, ph, pw, dh, dw, rule, out, index):
    """xpad: x padded with NaN, which loses every comparison, so padding is never kept (nor x's NaN:
    _keep_last_nan_numba follows where x has one); its plane (b, ch) starts at b sb + ch sc (planes()).
    One pass tracks the first maximum and the first minimum of each window; max-|x| keeps the
    maximum unless the minimum is larger in magnitude (a tie goes to the positive one).
    Flat unsigned offsets, as in minigrad.windows: 2-3x faster than 2-D indexing."""
    w = xpad.shape[3]
    n, c, oh_count, ow_count = out.shape
    xf, yf, kf = xpad.reshape(-1), out.reshape(-1), index.reshape(-1)
    for nc in prange(n * c):  # image (b, ch) of xpad and of out, nc = b C + ch
        image, first = _plane_starts(nc, c, sb, sc, oh_count * ow_count)
        for oh in range(oh_count):
            # the window's first real element starts both (pool_geometry: every window has one); a
            # division only at the borders, where the window starts in the padding
            r0 = oh * sh
            i0 = 0 if r0 >= ph else (ph - r0 + dh - 1) // dh
            for ow in range(ow_count):
                s0 = ow * sw
                j0 = 0 if s0 >= pw else (pw - s0 + dw - 1) // dw
                hi_k = lo_k = i0 * len(cols) + j0
                hi = lo = xf[unsigned(image + (r0 + i0 * dh) * w + s0 + j0 * dw)]
                for i in rows:
                    for j in cols:
                        v = xf[unsigned(image + (r0 + i * dh) * w + s0 + j * dw)]
                        if v > hi:
                            hi_k, hi = i * len(cols) + j, v
                        if v < lo:
                            lo_k, lo = i * len(cols) + j, v
                q = unsigned(first + oh * ow_count + ow)
                if len(rule) == MAX or hi >= -lo:
                    yf[q], kf[q] = hi, hi_k
                else:
                    yf[q], kf[q] = lo, lo_k
    return out, index


@jit(parallel=True)
def _select_tiles_numba(x, sb, sc, rows, cols, rule, parts, out, index):
    """_select_numba for windows that tile the image (stride = kernel size, no padding: MaxPool2d(k)),
    a whole number of them across, at most 256 positions each (a uint8 index). The selection is
    separable: each window's part of a row keeps its best column, over the plane's first kh OH rows
    in one loop; then each window keeps the best of its kh row results, in one loop over all those
    rows, whose results in rows that start no window are dropped in the copy to out. Long loops of
    selects, which LLVM turns into vector instructions: 1.5-2.1x faster than one loop of 7 or 14
    windows per output row (docs/performance.md). Strict comparisons, so ties keep the first row,
    then the first column (row-major order); where a window holds a NaN, _keep_last_nan_numba
    decides. parts: how many threads share the planes, each with its own scratch rows (any count
    gives the same bits)."""
    n, c, oh_count, ow_count = out.shape
    kh, kw = len(rows), len(cols)
    xf, yf, kf = x.reshape(-1), out.reshape(-1), index.reshape(-1)
    span = kh * oh_count * ow_count  # row parts of windows in the first kh OH rows, one per ow
    rows_span = span - (kh - 1) * ow_count  # where a window's first row part can be
    planes = n * c
    for part in prange(parts):  # scratch rows for each part of the planes (a thread's)
        hi, hi_j = np.empty(span, x.dtype), np.empty(span, np.uint8)
        lo, lo_j = np.empty(span, x.dtype), np.empty(span, np.uint8)
        best, best_k = np.empty(rows_span, x.dtype), np.empty(rows_span, np.uint8)
        for nc in range(part * planes // parts, (part + 1) * planes // parts):
            image, first = _plane_starts(nc, c, sb, sc, oh_count * ow_count)
            for e in range(span):  # row part e: x[image + kw e + j], j < kw
                start = unsigned(image + kw * e)
                h_v = l_v = xf[start]
                h_j = l_j = np.uint8(0)
                for j in range(len(cols)):
                    v = xf[start + unsigned(j)]
                    above, below = v > h_v, v < l_v
                    h_v, h_j = v if above else h_v, np.uint8(j) if above else h_j
                    l_v, l_j = v if below else l_v, np.uint8(j) if below else l_j
                hi[unsigned(e)], hi_j[unsigned(e)] = h_v, h_j
                if len(rule) == MAX_ABS:
                    lo[unsigned(e)], lo_j[unsigned(e)] = l_v, l_j
            for f in range(rows_span):  # the window whose first row part is f
                q = unsigned(f)
                h_v, h_k, l_v, l_k = hi[q], hi_j[q], lo[q], lo_j[q]
                for i in range(1, len(rows)):
                    r = unsigned(f + i * ow_count)
                    v, k = hi[r], hi_j[r] + np.uint8(i * kw)
                    above = v > h_v
                    h_v, h_k = v if above else h_v, k if above else h_k
                    if len(rule) == MAX_ABS:
                        v, k = lo[r], lo_j[r] + np.uint8(i * kw)
                        below = v < l_v
                        l_v, l_k = v if below else l_v, k if below else l_k
                keep_hi = len(rule) == MAX or h_v >= -l_v
                best[q], best_k[q] = h_v if keep_hi else l_v, h_k if keep_hi else l_k
            for oh in range(oh_count):
                for ow in range(ow_count):
                    q, o = unsigned(kh * oh * ow_count + ow), unsigned(first + oh * ow_count + ow)
                    yf[o], kf[o] = best[q], best_k[q]
    return out, index


@jit(parallel=True)
def _keep_last_nan_numba(xpad, sb, sc, h, w, kh, kw, sh, sw, ph, pw, dh, dw, out, index):
    """Where a window holds a NaN of x (h x w, the NaN-padded xpad's rows ph to ph + h and columns
    pw to pw + w), keep its last one (PyTorch's ``val > max || isnan(val)``). Run after _select_numba
    on inputs that have a NaN: a NaN test inside its pass made it 1.7-3x slower on inputs that have none."""
    row = xpad.shape[3]
    n, c, oh_count, ow_count = out.shape
    xf, yf, kf = xpad.reshape(-1), out.reshape(-1), index.reshape(-1)
    for nc in prange(n * c):
        image, first = _plane_starts(nc, c, sb, sc, oh_count * ow_count)
        for oh in range(oh_count):
            for ow in range(ow_count):
                r0, s0 = oh * sh, ow * sw
                q = unsigned(first + oh * ow_count + ow)
                for i in range(kh):
                    for j in range(kw):
                        r, s = r0 + i * dh, s0 + j * dw
                        if r < ph or r >= ph + h or s < pw or s >= pw + w:  # padding, or ceil_mode's overhang
                            continue
                        v = xf[unsigned(image + r * row + s)]
                        if v != v:
                            yf[q], kf[q] = v, i * kw + j
    return out, index


@jit(parallel=True)
def _scatter_numba(g, index, cols, steps, sh, sw, ph, pw, dx, sb, sc):
    """dx at each window's kept element += g. The dilation comes as the lengths of the tuples in
    steps, compile-time constants as the window's width is: run-time multiplies made the scatter
    10-15% slower without dilation (docs/performance.md)."""
    w = dx.shape[3]
    dh, dw = len(steps[0]), len(steps[1])
    n, c, oh_count, ow_count = g.shape
    gf, kf, df = g.reshape(-1), index.reshape(-1), dx.reshape(-1)
    for nc in prange(n * c):
        image, first = _plane_starts(nc, c, sb, sc, oh_count * ow_count)
        # windows visited last-to-first: the order in which col2im's offset loop reaches a pixel
        for oh in range(oh_count - 1, -1, -1):
            for ow in range(ow_count - 1, -1, -1):
                q = unsigned(first + oh * ow_count + ow)
                k = int(kf[q])  # as uint8, Python arithmetic wraps (NUMBA_DISABLE_JIT=1)
                df[unsigned(image + (oh * sh - ph + k // len(cols) * dh) * w + ow * sw - pw + k % len(cols) * dw)] += gf[q]
    return dx


def is_channel_major(x):
    """x (N, C, H, W) stored as (C, N, H, W): conv2d's output, left in the layout of its product."""
    return not x.flags.c_contiguous and x.transpose(1, 0, 2, 3).flags.c_contiguous


def planes(x):
    """The C-contiguous array holding x's H x W planes (x itself, or the (C, N, H, W) memory of a
    channel-major x, neither copied; a copy of any other x) and the strides sb, sc that put plane
    (b, ch) at b sb + ch sc."""
    n, c, h, w = x.shape
    if is_channel_major(x):
        return x.transpose(1, 0, 2, 3), h * w, n * h * w
    return np.ascontiguousarray(x), c * h * w, h * w


def select_pool(x, geometry, rule):
    """(y, index): each window's kept element and its position in the window (i kw + j), by the rule,
    on the current backend; geometry from pool_geometry."""
    (kh, kw), stride, pad, dilation, out = geometry
    end = end_padding(x.shape, geometry)
    if not backend.use_numba(x):
        col, real = _windows(x, geometry, end)
        index = select_reference(col, real, rule)
        return np.take_along_axis(col, index[:, :, None], axis=2)[:, :, 0], index
    y = np.empty(x.shape[:2] + out, dtype=x.dtype)
    # the smallest integer that holds a window position (uint8 up to 16x16 windows): written here and
    # read back by the backward, int64 positions made training steps 5-8% slower
    index = np.empty(x.shape[:2] + out, dtype=np.min_scalar_type(kh * kw - 1))
    xpad = x
    if any(pad) or any(end):
        (ph, pw), (eh, ew) = pad, end
        xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew)), constant_values=np.nan)
    xpad_planes = planes(xpad)  # np.pad's copy is NCHW
    rows, cols, rule_tuple = tuple(range(kh)), tuple(range(kw)), (rule,) * rule
    tiles = stride == (kh, kw) and dilation == (1, 1) and xpad is x and x.shape[3] % kw == 0
    if tiles and index.dtype == np.uint8:
        _select_tiles_numba(*xpad_planes, rows, cols, rule_tuple, backend.get_num_threads(), y, index)
    else:
        _select_numba(*xpad_planes, rows, cols, *stride, *pad, *dilation, rule_tuple, y, index)
    if np.isnan(x).any():
        _keep_last_nan_numba(*xpad_planes, *x.shape[2:], kh, kw, *stride, *pad, *dilation, y, index)
    return y, index


def plane_indices(index, shape, geometry):
    """Window positions (select_pool's index) as flat positions in the input plane, row W + column,
    int64: what PyTorch's max_pool2d returns with return_indices."""
    (_, kw), (sh, sw), (ph, pw), (dh, dw), (oh, ow) = geometry
    index = index.astype(np.int64)
    rows = np.arange(oh)[:, None] * sh - ph + index // kw * dh
    columns = np.arange(ow) * sw - pw + index % kw * dw
    return rows * shape[3] + columns


class SelectPool2dFunction(Function):
    """y = the window element kept by the rule (max, or max |x| with its sign)
    dx = g added at the kept element of each window, zero elsewhere"""

    def forward(self, x, geometry, rule=MAX):
        self.geometry, self.x_shape, self.end = geometry, x.shape, end_padding(x.shape, geometry)
        y, self.index = select_pool(x, geometry, rule)
        self.channel_major = is_channel_major(x)  # dx gets x's layout: conv2d's backward then copies nothing
        return y

    def backward(self, g):
        if backend.use_numba(g):
            kernel, stride, pad, dilation, _ = self.geometry
            n, c, h, w = self.x_shape
            if self.channel_major:
                dx = np.zeros((c, n, h, w), g.dtype).transpose(1, 0, 2, 3)
            else:
                dx = np.zeros(self.x_shape, g.dtype)
            cols, steps = tuple(range(kernel[1])), ((0,) * dilation[0], (0,) * dilation[1])
            _scatter_numba(np.ascontiguousarray(g), self.index, cols, steps, *stride, *pad, *planes(dx))
            return dx
        return pool_backward_reference(g, self.index, self.x_shape, self.geometry, self.end)


def check_divisor(op, divisor_override):
    """None, or a nonzero int (PyTorch refuses 0; a negative one it takes)."""
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer))
                                         or isinstance(divisor_override, bool) or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be None or a nonzero int, got {divisor_override!r}")


class AvgPool2dFunction(Function):
    """y = window sum / count   (padding counted as zeros; count from avg_divisor, or divisor_override)
    dx = window_sums_adjoint(g / count): each pixel gets g / count from every window covering it"""

    def forward(self, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                divisor_override=None):
        check_divisor("avg_pool2d", divisor_override)
        self.geometry = pool_geometry("avg_pool2d", x.shape, kernel_size, stride, padding, ceil_mode)
        x = x.astype(result_dtype(x), copy=False)  # window sums in uint8 overflowed
        self.x_shape, self.end = x.shape, end_padding(x.shape, self.geometry)
        if divisor_override is None:
            self.count = avg_divisor(x.shape, self.geometry, count_include_pad).astype(x.dtype)
        else:
            self.count = np.asarray(divisor_override, dtype=x.dtype)
        return window_sums_array(_pad_end(x, self.end), *self.geometry) / self.count

    def backward(self, g):
        dx = window_sums_adjoint(g / self.count, _padded_shape(self.x_shape, self.end), *self.geometry)
        return _crop_end(dx, self.x_shape)


def _select_pool2d(op, rule, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    nn.check_flags(op, ceil_mode=ceil_mode, return_indices=return_indices)
    x = as_tensor(x, op=op)
    geometry = pool_geometry(op, x.shape, kernel_size, stride, padding, ceil_mode, dilation)
    y = SelectPool2dFunction.apply(x, geometry=geometry, rule=rule)
    if not return_indices:
        return y
    # a second selection pass, off the training path, rather than a second output for every call
    return y, Tensor(plane_indices(select_pool(x.data, geometry, rule)[1], x.shape, geometry))


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """PyTorch's max_pool2d, arguments in its order; with return_indices, (y, indices), each index the
    kept element's flat position in its input plane."""
    return _select_pool2d("max_pool2d", MAX, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_abs_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The element of largest |x| with its sign; arguments and indices as max_pool2d's."""
    return _select_pool2d("max_abs_pool2d", MAX_ABS, x, kernel_size, stride, padding, dilation, ceil_mode,
                          return_indices)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """PyTorch's avg_pool2d, arguments in its order."""
    nn.check_flags("avg_pool2d", ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    return AvgPool2dFunction.apply(x, kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
                                   count_include_pad=count_include_pad, divisor_override=divisor_override)


def unpool_output_size(op, shape, kernel, stride, padding, output_size):
    """PyTorch's: (H - 1) s - 2p + k per axis, or output_size ((H, W) or (N, C, H, W)) if it lies
    strictly within a stride of that."""
    default = tuple((n - 1) * s - 2 * p + k for n, k, s, p in zip(shape[2:], kernel, stride, padding))
    if output_size is None:
        size = default
    else:
        size = tuple(int(v) for v in output_size)[-2:]
        if len(output_size) not in (2, 4) or any(not d - s < v < d + s for v, d, s in zip(size, default, stride)):
            raise ValueError(f"{op}: output_size {tuple(output_size)} must be (H, W) or (N, C, H, W) with H, W within "
                             f"a stride {stride} of {default}, exclusive")
    if min(size) < 1:
        raise ValueError(f"{op}: input {tuple(shape)} with kernel {kernel}, stride {stride} and padding {padding} "
                         f"unpools to {size}")
    return size


@jit(parallel=True)
def _unpool_numba(x, indices, y, writer):
    """The reference's scatter as a loop over x and indices (P, K) into y (P, plane): each plane's
    writes in x's order, so a repeated index keeps its last; writer[p, i] is the k that wrote last
    (marking positions in the backward instead, and reading the marks back, ran 5x slower)."""
    for p in prange(x.shape[0]):
        for k in range(x.shape[1]):
            i = unsigned(indices[p, k])  # checked to lie in the plane before any kernel runs
            y[p, i] = x[p, k]
            writer[p, i] = k
    return y, writer


@jit(parallel=True)
def _unpool_backward_numba(g, indices, writer, dx):
    """dx[p, k] = g[p, indices[p, k]] where k's write stayed, 0 where a later one overwrote it."""
    for p in prange(dx.shape[0]):
        for k in range(dx.shape[1]):
            i = unsigned(indices[p, k])
            dx[p, k] = g[p, i] if writer[p, i] == k else 0
    return dx


class MaxUnpool2dFunction(Function):
    """y[n, c].flat[indices[n, c, k]] = x[n, c].flat[k], zero elsewhere; a repeated index keeps its
    last write (in x's C order), as PyTorch's CPU kernel does
    dx[n, c].flat[k] = g[n, c].flat[indices[n, c, k]] where k wrote last, zero where it was overwritten
    (PyTorch gives every repeat g there, which is not the VJP of its own forward: docs/windows.md)"""

    def forward(self, x, indices, size):
        n, c, h, w = x.shape
        plane = size[0] * size[1]
        self.x_shape, self.writer = x.shape, None
        if backend.use_numba(x):
            self.indices = np.ascontiguousarray(indices, dtype=np.intp).reshape(n * c, h * w)
            writer = np.empty((n * c, plane), np.int32 if h * w <= np.iinfo(np.int32).max else np.intp)  # k < h w
            y, self.writer = _unpool_numba(np.ascontiguousarray(x).reshape(n * c, h * w), self.indices,
                                           np.zeros((n * c, plane), x.dtype), writer)
            return y.reshape(n, c, *size)
        keys = (np.arange(n * c)[:, None] * plane + indices.reshape(n * c, h * w)).ravel()
        order = np.argsort(keys, kind="stable")  # a key's writes in x's order
        last = np.ones(keys.size, bool)
        last[order[:-1]] = keys[order[:-1]] != keys[order[1:]]
        self.keys, self.last = keys, last
        y = np.zeros(n * c * plane, dtype=x.dtype)
        y[keys[last]] = x.ravel()[last]
        return y.reshape(n, c, *size)

    def backward(self, g):
        if self.writer is not None:  # the forward took the numba path: what it kept is the writer of each position
            g = np.ascontiguousarray(g).reshape(self.writer.shape)
            dx = _unpool_backward_numba(g, self.indices, self.writer, np.empty(self.indices.shape, g.dtype))
            return dx.reshape(self.x_shape)
        return np.where(self.last, g.ravel()[self.keys], 0).reshape(self.x_shape)


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """PyTorch's max_unpool2d: x's values put back where max_pool2d(..., return_indices=True) found them."""
    x = as_tensor(x, op="max_unpool2d")
    indices = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    kernel, stride, padding, _ = window_args("max_unpool2d", kernel_size, kernel_size if stride is None else stride,
                                             padding)
    if x.ndim != 4 or indices.shape != x.shape:
        raise ValueError(f"max_unpool2d: expected a 4-D NCHW input and indices of its shape, got {x.shape} "
                         f"and {indices.shape}")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"max_unpool2d: indices must hold integers, got dtype {indices.dtype}")
    size = unpool_output_size("max_unpool2d", x.shape, kernel, stride, padding, output_size)
    outside = (indices < 0) | (indices >= size[0] * size[1])
    if outside.any():
        raise ValueError(f"max_unpool2d: index {indices[outside][0]} outside the {size[0]} x {size[1]} output planes")
    return MaxUnpool2dFunction.apply(x, indices=indices, size=size)


def global_avg_pool2d(x):
    """Mean over H and W, keeping them as size 1 (PyTorch's adaptive_avg_pool2d(x, 1))."""
    x = as_tensor(x, op="global_avg_pool2d")
    check_nchw("global_avg_pool2d", x.shape)
    return ops.mean(x, dim=(2, 3), keepdim=True)


def _adaptive_output_size(op, shape, output_size):
    """output_size as PyTorch takes it: an int or a pair, None in a pair keeping that input size."""
    check_nchw(op, shape)
    if 0 in shape[1:]:
        raise ValueError(f"{op}: expected a 4-D NCHW input with C, H and W >= 1, got shape {tuple(shape)}")
    pair = output_size if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    if len(pair) != 2 or not all(v is None or (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0)
                                 for v in pair):
        raise ValueError(f"{op}: output_size must be an int >= 0 or a pair of them (None keeps the input's size), "
                         f"got {output_size!r}")
    return tuple(n if v is None else int(v) for n, v in zip(shape[2:], pair))


def adaptive_windows(size, out):
    """(starts, ends) of PyTorch's adaptive windows along an axis: window i is
    [floor(i size / out), ceil((i + 1) size / out))."""
    i = np.arange(out)
    return i * size // out, -(-(i + 1) * size // out)


def _average_windows(x, axis, out):
    """x with its axis replaced by the means over each of out adaptive windows along it. Sums over the
    window alone: an averaging matrix's zeros would multiply every infinity into NaN (0 inf)."""
    y = np.empty(x.shape[:axis] + (out,) + x.shape[axis + 1:], x.dtype)
    xs, ys = np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1)
    for i, (start, end) in enumerate(zip(*adaptive_windows(x.shape[axis], out))):
        ys[..., i] = xs[..., start:end].mean(axis=-1)
    return y


def _spread_windows(g, axis, size):
    """The adjoint of _average_windows: each g[i] / (window i's length) added over window i."""
    dx = np.zeros(g.shape[:axis] + (size,) + g.shape[axis + 1:], g.dtype)
    gs, dxs = np.moveaxis(g, axis, -1), np.moveaxis(dx, axis, -1)
    for i, (start, end) in enumerate(zip(*adaptive_windows(size, g.shape[axis]))):
        dxs[..., start:end] += gs[..., i, None] / (end - start)
    return dx


class AdaptiveAvgPool2dFunction(Function):
    """y[i, j] = mean of x over adaptive window i along H and j along W (adaptive_windows), one axis at a time
    dx = the adjoint: g[i, j] / (window size) spread over its window, one axis at a time"""

    def forward(self, x, output_size):
        oh, ow = _adaptive_output_size("adaptive_avg_pool2d", x.shape, output_size)
        x = x.astype(result_dtype(x), copy=False)  # an integer mean would truncate
        self.size = x.shape[2:]
        return _average_windows(_average_windows(x, 2, oh), 3, ow)

    def backward(self, g):
        return _spread_windows(_spread_windows(g, 3, self.size[1]), 2, self.size[0])


def adaptive_avg_pool2d(x, output_size):
    return AdaptiveAvgPool2dFunction.apply(x, output_size=output_size)


class _SelectPool(nn.Module):
    function = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        check_pool_args(type(self).__name__, kernel_size, stride, padding, dilation)
        nn.check_flags(type(self).__name__, return_indices=return_indices, ceil_mode=ceil_mode)
        # kept as given, and the stride defaulting to the kernel size, as PyTorch's pooling modules keep them
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = kernel_size if stride is None else stride
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        return type(self).function(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                                   self.return_indices)

    def extra_repr(self):  # PyTorch's MaxPool2d repr
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_SelectPool):
    """PyTorch's MaxPool2d, arguments in its order."""
    function = staticmethod(max_pool2d)


class MaxAbsPool2d(_SelectPool):
    """MaxPool2d's arguments; keeps the element of largest |x| with its sign."""
    function = staticmethod(max_abs_pool2d)


class AvgPool2d(nn.Module):
    """PyTorch's AvgPool2d, arguments in its order."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        check_pool_args("AvgPool2d", kernel_size, stride, padding)
        check_divisor("AvgPool2d", divisor_override)
        nn.check_flags("AvgPool2d", ceil_mode=ceil_mode, count_include_pad=count_include_pad)
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)

    def extra_repr(self):
        options = [name + "=" + repr(getattr(self, name)) for name, default in
                   (("ceil_mode", False), ("count_include_pad", True), ("divisor_override", None))
                   if getattr(self, name) != default]
        return ", ".join([f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"] + options)


class MaxUnpool2d(nn.Module):
    """PyTorch's MaxUnpool2d: settings kept as pairs, as PyTorch keeps them."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride, self.padding, _ = window_args(
            "MaxUnpool2d", kernel_size, kernel_size if stride is None else stride, padding)

    def forward(self, x, indices, output_size=None):
        return max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class GlobalAvgPool2d(nn.Module):
    def forward(self, x):
        return global_avg_pool2d(x)


class AdaptiveAvgPool2d(nn.Module):
    def __init__(self, output_size):
        super().__init__()
        _adaptive_output_size("AdaptiveAvgPool2d", (1, 1, 1, 1), output_size)  # the setting alone, before any input
        self.output_size = output_size

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
