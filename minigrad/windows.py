"""Sliding windows over NCHW images: im2col, its adjoint col2im, and their geometry checks.

``col[c, i, j, n, oh, ow] = xpad[n, c, oh*sh + i*dh, ow*sw + j*dw]``, with ``xpad`` the input
zero-padded by (ph, pw). Output size per axis: ``(size + 2p - d(k-1) - 1) // s + 1``. Rows (c, i, j)
come first and columns (n, oh, ow) last, so a conv over the whole batch is one matrix product
``W (out, C*kh*kw) @ col (C*kh*kw, N*OH*OW)``, which ``im2col_matmul`` takes a few images at a time.

im2col is linear, so its VJP is its adjoint: col2im adds every column entry back onto the pixel it
was read from (windows overlap, so pixels collect several). Hence ``Im2Col.backward = col2im`` and
``Col2Im.backward = im2col``. docs/windows.md derives this.

Each operation has a NumPy reference (the spec, one strided slice per kernel offset) and a numba
kernel (the fast path), chosen by ``minigrad.backend``; the two agree bit for bit.
"""
import numpy as np

from . import backend, ops
from .backend import jit, prange, unsigned
from .tensor import Function, as_tensor


def int_pair(value, name, op):
    """(a, b) from an int or a pair of ints. A bool is not one, as in PyTorch: max_pool2d(x, 2, 2, 0, True)
    sets dilation, not ceil_mode."""
    if ops._is_int(value):
        return int(value), int(value)
    if isinstance(value, (tuple, list, np.ndarray)) and np.ndim(value) == 1 and len(value) == 2 and all(
            map(ops._is_int, value)):
        return int(value[0]), int(value[1])
    raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")


def window_args(op, kernel_size, stride=1, padding=0, dilation=1):
    """Validate a window's settings, which need no input (modules check them when built); return
    (kernel, stride, padding, dilation), each a pair. Errors name the op and the offending values."""
    kernel, stride = int_pair(kernel_size, "kernel_size", op), int_pair(stride, "stride", op)
    padding, dilation = int_pair(padding, "padding", op), int_pair(dilation, "dilation", op)
    if min(kernel) < 1:
        raise ValueError(f"{op}: kernel_size must be >= 1, got {kernel}")
    if min(stride) < 1:
        raise ValueError(f"{op}: stride must be >= 1, got {stride}")
    if min(dilation) < 1:
        raise ValueError(f"{op}: dilation must be >= 1, got {dilation}")
    if min(padding) < 0:
        raise ValueError(f"{op}: padding must be >= 0, got {padding}")
    return kernel, stride, padding, dilation


def check_nchw(op, shape):
    """A ValueError naming op unless shape is 4-D (N, C, H, W). PyTorch's layers also take an unbatched
    (C, H, W) image; these do not, and say so."""
    if len(shape) != 4:
        unbatched = " (an unbatched (C, H, W) image needs its batch dim: x[None])" if len(shape) == 3 else ""
        raise ValueError(f"{op}: expected a 4-D NCHW input, got shape {tuple(shape)}{unbatched}")


def window_geometry(op, input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Validate a window geometry before any kernel runs; return ((kh, kw), stride, padding,
    dilation, (OH, OW)), each a pair. Errors name the op and the offending values."""
    check_nchw(op, input_shape)
    kernel, stride, padding, dilation = window_args(op, kernel_size, stride, padding, dilation)
    h, w = input_shape[2:]
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if h + 2 * padding[0] < span[0] or w + 2 * padding[1] < span[1]:
        raise ValueError(f"{op}: kernel {kernel} with dilation {dilation} spans {span}, larger than the "
                         f"padded input {(h + 2 * padding[0], w + 2 * padding[1])} (input {(h, w)}, padding {padding})")
    out = tuple((n + 2 * p - sp) // s + 1 for n, p, sp, s in zip((h, w), padding, span, stride))
    return kernel, stride, padding, dilation, out


# ------------------------------------------------------------------------ NumPy reference (spec)

def _offset_slices(i, j, stride, dilation, out):
    """Where kernel offset (i, j) reads in the padded input, for every output position at once."""
    (sh, sw), (dh, dw), (oh, ow) = stride, dilation, out
    return (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def im2col_reference(x, kernel, stride, padding, dilation, out):
    n, c = x.shape[:2]
    (kh, kw), (ph, pw) = kernel, padding
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))).transpose(1, 0, 2, 3)  # (C, N, Hp, Wp)
    col = np.empty((c, kh, kw, n) + out, dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols = _offset_slices(i, j, stride, dilation, out)
            col[:, i, j] = xpad[:, :, rows, cols]
    return col


def col2im_reference(col, input_shape, kernel, stride, padding, dilation, out):
    n, c, h, w = input_shape
    (kh, kw), (ph, pw) = kernel, padding
    xpad = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=col.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols = _offset_slices(i, j, stride, dilation, out)
            xpad[:, :, rows, cols] += col[:, i, j]
    return np.ascontiguousarray(xpad[:, :, ph:ph + h, pw:pw + w].transpose(1, 0, 2, 3))


# ------------------------------------------------------------------------ numba (fast path)

@jit()
def _valid_range(count, stride, offset, size):
    """The o in [0, count) with 0 <= o*stride + offset < size, as [lo, hi), lo <= hi <= count."""
    lo = 0 if offset >= 0 else min(count, (-offset + stride - 1) // stride)
    hi = 0 if size - offset <= 0 else min(count, (size - offset - 1) // stride + 1)
    return lo, max(lo, hi)


# The kernels address flattened arrays with computed offsets rather than taking a view per block:
# each view costs a reference count, 30-45% of im2col's time on 7x7 images (docs/performance.md).
# col[c, i, j, b] starts at offset ((c kh + i) kw + j) N L + b L, with L = OH OW; x[b, c] at (b C + c) H W.

@jit(parallel=True)
def _im2col_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, col):
    n, c, h, w = x.shape
    oh_count, ow_count = col.shape[4], col.shape[5]
    xf, cf, size = x.reshape(-1), col.reshape(-1), oh_count * ow_count
    for nc in prange(n * c):  # each (c, n) slab of col is written by one thread only
        b, ch = nc % n, nc // n
        for i in range(kh):
            oh_lo, oh_hi = _valid_range(oh_count, sh, i * dh - ph, h)
            for j in range(kw):
                ow_lo, ow_hi = _valid_range(ow_count, sw, j * dw - pw, w)
                block = (((ch * kh + i) * kw + j) * n + b) * size
                for oh in range(oh_count):
                    dst = block + oh * ow_count
                    if oh < oh_lo or oh >= oh_hi:
                        for ow in range(ow_count):
                            cf[unsigned(dst + ow)] = 0.0
                        continue
                    src = ((b * c + ch) * h + oh * sh - ph + i * dh) * w - pw + j * dw
                    for ow in range(ow_lo):
                        cf[unsigned(dst + ow)] = 0.0
                    for ow in range(ow_lo, ow_hi):
                        cf[unsigned(dst + ow)] = xf[unsigned(src + ow * sw)]
                    for ow in range(ow_hi, ow_count):
                        cf[unsigned(dst + ow)] = 0.0
    return col


@jit()
def _zero_border_columns(cf, row, rows, w, ow_lo, ow_hi):
    """Zero the columns left of ow_lo and right of ow_hi in all rows of a col row (every image at
    once: the loops over an image's few rows cost 60% of im2col on 7x7 images). Column by column:
    LLVM turns a row's one- or two-element loop into a call to memset, which made im2col 2x slower
    in the code numba caches (docs/performance.md)."""
    for ow in range(ow_lo):
        for r in range(rows):
            cf[unsigned(row + r * w + ow)] = 0.0
    for ow in range(ow_hi, w):
        for r in range(rows):
            cf[unsigned(row + r * w + ow)] = 0.0


@jit(parallel=True)
def _im2col_runs_numba(x, kh, kw, ph, pw, dh, dw, col):
    """im2col for stride 1 and an output as wide as the input: flattened, col[c, i, j, n] is the
    image flattened and shifted by (i dh - ph) w + j dw - pw, except in the border columns. One run
    copied per image and kernel offset, then the border columns of the whole col row zeroed,
    instead of short rows one by one."""
    n, c, h, w = x.shape
    oh_count = col.shape[4]
    xf, cf, size = x.reshape(-1), col.reshape(-1), oh_count * w
    for r in prange(c * kh * kw):  # each col row (c, i, j) is written by one thread only
        ch, i, j = r // (kh * kw), r // kw % kh, r % kw
        oh_lo, oh_hi = _valid_range(oh_count, 1, i * dh - ph, h)
        ow_lo, ow_hi = _valid_range(w, 1, j * dw - pw, w)
        row, shift = r * n * size, (i * dh - ph) * w + j * dw - pw
        stop = oh_hi * w
        start = min(max(oh_lo * w, -shift), stop)  # where the image has the value
        stop = max(min(stop, h * w - shift), start)
        for b in range(n):
            block, image = row + b * size, (b * c + ch) * h * w
            for q in range(start):
                cf[unsigned(block + q)] = 0.0
            for q in range(start, stop):
                cf[unsigned(block + q)] = xf[unsigned(image + q + shift)]
            for q in range(stop, size):
                cf[unsigned(block + q)] = 0.0
        _zero_border_columns(cf, row, n * oh_count, w, ow_lo, ow_hi)  # they got the neighbouring rows' pixels
    return col


@jit(parallel=True)
def _col2im_numba(col, kh, kw, sh, sw, ph, pw, dh, dw, x):
    n, c, h, w = x.shape
    oh_count, ow_count = col.shape[4], col.shape[5]
    xf, cf, size = x.reshape(-1), col.reshape(-1), oh_count * ow_count
    for nc in prange(n * c):  # pixel (n, c) receives only from col[c, :, :, n]: no two threads collide
        b, ch = nc % n, nc // n
        # offsets in the reference's order, so each pixel sums its contributions in the same order
        for i in range(kh):
            oh_lo, oh_hi = _valid_range(oh_count, sh, i * dh - ph, h)
            for j in range(kw):
                ow_lo, ow_hi = _valid_range(ow_count, sw, j * dw - pw, w)
                block = (((ch * kh + i) * kw + j) * n + b) * size
                for oh in range(oh_lo, oh_hi):
                    src = block + oh * ow_count
                    dst = ((b * c + ch) * h + oh * sh - ph + i * dh) * w - pw + j * dw
                    for ow in range(ow_lo, ow_hi):
                        xf[unsigned(dst + ow * sw)] += cf[unsigned(src + ow)]
    return x


@jit(parallel=True)
def _col2im_runs_numba(col, kh, kw, ph, pw, dh, dw, x):
    """col2im for stride 1 and an output as wide as the input, one run added per image and kernel
    offset as _im2col_runs_numba copies one. A run also carries the border columns' entries
    (windows over padding) onto the neighbouring rows' pixels, so they are zeroed in col first: col
    must be the caller's to overwrite. Adding +0.0 changes no pixel (x starts at +0.0, and a sum
    that starts at +0.0 is never -0.0), and the offsets come in the reference's order: the same bits."""
    n, c, h, w = x.shape
    oh_count = col.shape[4]
    xf, cf, size = x.reshape(-1), col.reshape(-1), oh_count * w
    for ch in prange(c):  # col[ch] and x[:, ch]: no two threads touch the same elements
        for i in range(kh):
            oh_lo, oh_hi = _valid_range(oh_count, 1, i * dh - ph, h)
            for j in range(kw):
                ow_lo, ow_hi = _valid_range(w, 1, j * dw - pw, w)
                row, shift = ((ch * kh + i) * kw + j) * n * size, (i * dh - ph) * w + j * dw - pw
                _zero_border_columns(cf, row, n * oh_count, w, ow_lo, ow_hi)
                for b in range(n):
                    block, image = row + b * size, (b * c + ch) * h * w
                    for q in range(max(oh_lo * w, -shift), min(oh_hi * w, h * w - shift)):
                        xf[unsigned(image + q + shift)] += cf[unsigned(block + q)]
    return x


def rows_are_runs(stride, out, width):
    """Stride 1 and an output as wide as the input: the case the run kernels handle."""
    return tuple(stride) == (1, 1) and out[1] == width


def im2col_array(x, kernel, stride, padding, dilation, out, into=None):
    """(N, C, H, W) -> (C, kh, kw, N, OH, OW) on the current backend; geometry already validated.
    into: a C-contiguous array of col's size and x's dtype to write the columns into, else a new one."""
    shape = (x.shape[1],) + tuple(kernel) + (x.shape[0],) + tuple(out)
    if into is not None and not (into.flags.c_contiguous and into.size == np.prod(shape) and into.dtype == x.dtype):
        raise ValueError(f"im2col: into must be C-contiguous, {x.dtype} and of col's size {shape}")
    if not backend.use_numba(x):
        col = im2col_reference(x, kernel, stride, padding, dilation, out)
        if into is None:
            return col
        into = into.reshape(shape)
        into[...] = col
        return into
    col = np.empty(shape, dtype=x.dtype) if into is None else into.reshape(shape)
    if rows_are_runs(stride, out, x.shape[3]):
        return _im2col_runs_numba(np.ascontiguousarray(x), *kernel, *padding, *dilation, col)
    return _im2col_numba(np.ascontiguousarray(x), *kernel, *stride, *padding, *dilation, col)


def col2im_array(col, input_shape, kernel, stride, padding, dilation, out, overwrite_col=False):
    """(C, kh, kw, N, OH, OW) -> (N, C, H, W), summing overlaps, on the current backend.
    overwrite_col: col is a temporary the caller owns and may be changed (a faster kernel for stride 1)."""
    if not backend.use_numba(col):
        return col2im_reference(col, input_shape, kernel, stride, padding, dilation, out)
    x = np.zeros(input_shape, dtype=col.dtype)
    if overwrite_col and col.flags.c_contiguous and rows_are_runs(stride, out, input_shape[3]):
        return _col2im_runs_numba(col, *kernel, *padding, *dilation, x)
    return _col2im_numba(np.ascontiguousarray(col), *kernel, *stride, *padding, *dilation, x)


# ------------------------------------------------------------------------ weights times windows

# A whole batch's columns are C kh kw times the input: 14 MB for 64 images of 32x14x14, and their
# gradient as much again. Blocks that large went back to the operating system when freed and were
# page-faulted in again at the next call (900-2300 faults, a third of conv B's time in the
# benchmark). Chunks of a few MiB stay in cache, and in a process that has already freed a larger
# block (a training loop has) the allocator keeps them; docs/performance.md measures both cases.
CHUNK_BYTES = 4 << 20


def batch_chunks(n, bytes_per_image):
    """The fewest slices of a batch of n whose columns fit in CHUNK_BYTES (at least one image
    each), as equal as they can be: the last may be smaller."""
    per_chunk = max(1, CHUNK_BYTES // bytes_per_image)
    size = -(-n // -(-n // per_chunk)) if n else 1  # n spread over ceil(n / per_chunk) chunks
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def im2col_matmul(w, x, geometry, bias=None):
    """y = w @ im2col(x) (+ bias) per group, a batch chunk at a time: w (G, O/G, C/G kh kw), x (N, C,
    H, W) -> y (G, O/G, N, OH OW) and the chunks' columns, [(slice, col (G, C/G kh kw, n OH OW))], kept
    for the backward. The chunks depend only on the shapes, so results do not depend on the backend.

    bias (O,), one group only, rides in the product: y = [w b] @ [col; 1], a row of ones under the
    columns (Caffe's bias multiplier). A pass of y += b over the output cost as much as the product
    on a one-channel conv. The chunks' columns keep that row: the backward's dw ends in db."""
    groups, out_g, k = w.shape
    if bias is not None:
        if groups != 1:  # each group's ones row would sit between two groups' columns
            raise ValueError(f"im2col_matmul: a bias rides in the product for one group only, got {groups}")
        w = np.concatenate([w, bias.reshape(1, out_g, 1).astype(w.dtype, copy=False)], axis=2)
    rows = w.shape[2]
    n, length = x.shape[0], geometry[4][0] * geometry[4][1]
    y = np.empty((groups, out_g, n, length), dtype=np.result_type(w, x))
    columns = y.reshape(groups, out_g, n * length)  # a view: the product writes straight into y
    chunks = []
    for chunk in batch_chunks(n, groups * k * length * x.itemsize):
        col = np.empty((groups, rows, (chunk.stop - chunk.start) * length), dtype=x.dtype)
        im2col_array(x[chunk], *geometry, into=col[:, :k])  # the first k rows: contiguous for one group
        col[:, k:] = 1
        np.matmul(w, col, out=columns[:, :, chunk.start * length:chunk.stop * length])
        chunks.append((chunk, col))
    return y, chunks


def im2col_matmul_backward(g, w, chunks, x_shape, geometry, input_grad=True, weight_grad=True, bias=False):
    """The VJP of im2col_matmul for g (G, O/G, N, OH OW): dw = sum over chunks of g @ col^T (None
    unless weight_grad), and dx = col2im(w^T @ g) chunk by chunk (None unless input_grad). With a
    bias in the product, w is without it and dw (G, O/G, C/G kh kw + 1) ends in db = g @ 1."""
    groups, out_g = w.shape[:2]
    length = g.shape[3]
    g = g.reshape(groups, out_g, g.shape[2] * length)
    dw, dx = None, np.empty(x_shape, dtype=g.dtype) if input_grad else None
    for chunk, col in chunks:
        g_chunk = g[:, :, chunk.start * length:chunk.stop * length]
        if weight_grad:
            dw_chunk = np.matmul(g_chunk, col.transpose(0, 2, 1))
            dw = dw_chunk if dw is None else dw + dw_chunk
        if input_grad:
            n = chunk.stop - chunk.start
            dcol = np.matmul(w.transpose(0, 2, 1), g_chunk).reshape(x_shape[1], *geometry[0], n, *geometry[4])
            dx[chunk] = col2im_array(dcol, (n,) + tuple(x_shape[1:]), *geometry, overwrite_col=True)
    if weight_grad and dw is None:  # an empty batch
        dw = np.zeros(w.shape[:2] + (w.shape[2] + bias,), dtype=g.dtype)
    return dw, dx


# ------------------------------------------------------------------------ window sums

def window_sums_reference(x, kernel, stride, padding, dilation, out):
    """s[n, c, oh, ow] = the sum of x over each window (padding counts as zeros), offsets added in order
    to +0.0, as the kernel and PyTorch's avg_pool2d add them: a window of -0.0 sums to +0.0."""
    col = im2col_reference(x, kernel, stride, padding, dilation, out)  # (C, kh, kw, N, OH, OW)
    total = np.zeros(col.shape[:1] + col.shape[3:], dtype=col.dtype)
    for k in range(kernel[0] * kernel[1]):
        total += col[:, k // kernel[1], k % kernel[1]]
    return np.ascontiguousarray(total.transpose(1, 0, 2, 3))


@jit(parallel=True)
def _window_sums_numba(x, kh, kw, sh, sw, ph, pw, dh, dw, out):
    n, c, h, w = x.shape
    oh_count, ow_count = out.shape[2], out.shape[3]
    xf, sf = x.reshape(-1), out.reshape(-1)
    for nc in prange(n * c):  # x[b, ch] and out[b, ch], nc = b C + ch, as flat offsets (see above)
        image, sums = nc * h * w, nc * oh_count * ow_count
        for q in range(oh_count * ow_count):
            sf[unsigned(sums + q)] = 0  # accumulate in out's dtype; seeding with x * 0 gives NaN for inf
        for i in range(kh):  # offsets in the reference's order: each window adds its terms in that order
            oh_lo, oh_hi = _valid_range(oh_count, sh, i * dh - ph, h)
            for j in range(kw):
                ow_lo, ow_hi = _valid_range(ow_count, sw, j * dw - pw, w)
                for oh in range(oh_lo, oh_hi):
                    src = image + (oh * sh - ph + i * dh) * w - pw + j * dw
                    dst = sums + oh * ow_count
                    for ow in range(ow_lo, ow_hi):
                        sf[unsigned(dst + ow)] += xf[unsigned(src + ow * sw)]
    return out


def window_sums_array(x, kernel, stride, padding, dilation, out):
    """(N, C, H, W) -> (N, C, OH, OW) window sums on the current backend; geometry already validated."""
    if not backend.use_numba(x):
        return window_sums_reference(x, kernel, stride, padding, dilation, out)
    sums = np.empty(x.shape[:2] + tuple(out), dtype=x.dtype)
    return _window_sums_numba(np.ascontiguousarray(x), *kernel, *stride, *padding, *dilation, sums)


def window_sums_adjoint(g, input_shape, kernel, stride, padding, dilation, out):
    """The VJP of window sums: each pixel receives the sum of g over every window that covers it,
    i.e. col2im of g repeated over the kh*kw offsets."""
    gt = g.transpose(1, 0, 2, 3)  # (C, N, OH, OW)
    spread = np.broadcast_to(gt[:, None, None], gt.shape[:1] + tuple(kernel) + gt.shape[1:])
    # np.array always copies: ascontiguousarray can return a view of g itself (a 1x1 kernel with one
    # channel or image), and col2im may overwrite the columns it is given
    return col2im_array(np.array(spread), input_shape, kernel, stride, padding, dilation, out, overwrite_col=True)


# ------------------------------------------------------------------------ differentiable pair

class Im2Col(Function):
    """col = im2col(x)
    dx = col2im(g)"""
    def forward(self, x, kernel_size, stride=1, padding=0, dilation=1):
        self.shape = x.shape
        self.geometry = window_geometry("im2col", x.shape, kernel_size, stride, padding, dilation)
        return im2col_array(x, *self.geometry)

    def backward(self, g):
        return col2im_array(g, self.shape, *self.geometry)


class Col2Im(Function):
    """x = col2im(col)
    dcol = im2col(g)"""
    def forward(self, col, input_shape, kernel_size, stride=1, padding=0, dilation=1):
        self.geometry = window_geometry("col2im", input_shape, kernel_size, stride, padding, dilation)
        expected = (input_shape[1],) + self.geometry[0] + (input_shape[0],) + self.geometry[4]
        if col.shape != expected:
            raise ValueError(f"col2im: columns of shape {col.shape} do not fit input {tuple(input_shape)}; "
                             f"expected {expected}")
        return col2im_array(col, tuple(input_shape), *self.geometry)

    def backward(self, g):
        return im2col_array(g, *self.geometry)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """Differentiable: (N, C, H, W) tensor -> (C, kh, kw, N, OH, OW) tensor of windows."""
    return Im2Col.apply(x, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)


def col2im(col, input_shape, kernel_size, stride=1, padding=0, dilation=1):
    """Differentiable adjoint of im2col: windows summed back onto an (N, C, H, W) image."""
    listed = isinstance(input_shape, (tuple, list)) or (isinstance(input_shape, np.ndarray) and input_shape.ndim == 1)
    if not (listed and all(ops._is_int(n) and n >= 0 for n in input_shape)):
        raise ValueError(f"col2im: input_shape must be a tuple of ints >= 0 (N, C, H, W), got {input_shape!r}")
    return Col2Im.apply(col, input_shape=tuple(input_shape), kernel_size=kernel_size, stride=stride,
                        padding=padding, dilation=dilation)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's unfold (nn.Unfold), im2col in PyTorch's layout: (N, C, H, W) -> (N, C kh kw, OH OW),
    rows (c, i, j) as im2col's, then each image's windows. A permute of im2col's axes."""
    x = as_tensor(x, op="unfold")
    window_geometry("unfold", x.shape, kernel_size, stride, padding, dilation)  # errors name unfold, not im2col
    col = im2col(x, kernel_size, stride, padding, dilation)  # (C, kh, kw, N, OH, OW)
    c, kh, kw, n, oh, ow = col.shape
    return ops.reshape(ops.permute(col, (3, 0, 1, 2, 4, 5)), (n, c * kh * kw, oh * ow))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's fold (nn.Fold), unfold's adjoint: (N, C kh kw, L) -> (N, C, H, W) with (H, W) =
    output_size, each column added onto the window it came from (col2im, after the inverse permute)."""
    x = as_tensor(x, op="fold")
    size = int_pair(output_size, "output_size", "fold")
    if x.ndim != 3:
        raise ValueError(f"fold: expected a 3-D input (N, C*kh*kw, L), got shape {x.shape}")
    kernel, stride, padding, dilation, out = window_geometry("fold", (x.shape[0], 1) + size, kernel_size, stride,
                                                             padding, dilation)
    k = kernel[0] * kernel[1]
    if x.shape[1] % k or x.shape[2] != out[0] * out[1]:
        raise ValueError(f"fold: input {x.shape} needs C*{k} rows for kernel {kernel} and {out[0]}*{out[1]} = "
                         f"{out[0] * out[1]} columns for output_size {size}")
    n, c = x.shape[0], x.shape[1] // k
    col = ops.permute(ops.reshape(x, (n, c) + kernel + out), (1, 2, 3, 0, 4, 5))
    return col2im(col, (n, c) + size, kernel, stride, padding, dilation)
