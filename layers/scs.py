"""Sharpened cosine similarity (SCS): a conv whose dot product is replaced by a sharpened cosine.

Per output channel o and patch m (col = im2col(x), one column per patch; docs/scs.md):

    dot = W @ col            S = sum over the patch's window of sum_c x^2     wn2 = sum_k W[o, k]^2
    variant "rohrer"      nx = sqrt(S + 1e-6) + q          nw = sqrt(wn2)               eps = 1e-6
    variant "rohrer_jax"  nx = sqrt(S + 1e-6) + q          nw = sqrt(wn2 + 1e-6)        eps = 1e-6
    variant "pisoni"      nx = sqrt(max(S, 1e-12)) + q     nw = sqrt(max(wn2, 1e-12)) + q   eps = 1e-12
    c = dot / (nw nx)        a = |c| + eps                  y = sign(c) a^p = sign(c) exp(p ln a)

With groups G (as conv2d's, Rohrer's layer takes 1 or C): W @ col per group, S sums x^2 over the
group's channels only, and output channel o sees the nx of its group, o // (O/G).

Backward, with gy = dL/dy:

    gp[o]  = sum_m gy y ln a            (ln a kept from the forward)
    gc     = gy p a^(p-1) = gy p |y| / a   (0 where c == 0: d sign = 0 and d|c| = 0 there)
    g_dot  = gc / (nw nx)
    g_nx   = -sum_o gc c / nx  (over the group's o)          g_nw = -sum_m gc c / nw
    gq     = sum_m g_nx  (+ sum_o g_nw for "pisoni")
    gS     = g_nx / (2 sqrt(.))        (0 where the max(., 1e-12) floor is active)
    gx     = col2im(W^T @ g_dot) + 2 x window_sums_adjoint(gS)   (each pixel sums its group's gS over its windows)
    gW     = g_dot @ col^T + g_nw W / sqrt(.)
"""
import numpy as np

import minigrad as mg
from minigrad import Function, backend, nn
from minigrad.backend import jit, prange, unsigned
from minigrad.windows import (im2col_matmul, im2col_matmul_backward, window_args, window_geometry,
                              window_sums_adjoint, window_sums_array)

from .conv import (check_channel_counts, check_conv_weight, check_groups, pad_for_windows, resolve_padding,
                   result_dtype)

VARIANTS = {"rohrer": 1e-6, "rohrer_jax": 1e-6, "pisoni": 1e-12}  # eps of the power base; also in the norms
LAYER_VARIANTS = ("rohrer", "pisoni")  # the sources whose parameterisation SharpCosSim2d owns


def check_variant(op, variant, variants=VARIANTS):
    if not (isinstance(variant, str) and variant in variants):  # a list is unhashable, an array ambiguous
        raise ValueError(f"{op}: variant must be one of {sorted(variants)}, got {variant!r}")


# ------------------------------------------------------------------------ NumPy reference (spec)

def norms_reference(S, wn2, q, variant):
    """(sx, nx, nw, sw): input-patch and kernel norms; sx, sw the bare square roots before adding q."""
    if variant == "pisoni":
        sx, sw = np.sqrt(np.maximum(S, 1e-12)), np.sqrt(np.maximum(wn2, 1e-12))
        return sx, sx + q, sw + q, sw
    sx = np.sqrt(S + 1e-6)
    sw = np.sqrt(wn2 + 1e-6) if variant == "rohrer_jax" else np.sqrt(wn2)
    return sx, sx + q, sw, sw


def rows_of_groups(nx, o_count):
    """nx (G, M) -> (O, M): each output channel gets its group's patch norms (Rohrer's repeat_interleave)."""
    return np.repeat(nx, o_count // nx.shape[0], axis=0)


def forward_reference(dot, nx, nw, p, eps):
    """y, c and ln a from dot (O, M), nx (G, M), nw (O,), p (O,)."""
    c = dot / (nw[:, None] * rows_of_groups(nx, dot.shape[0]))
    log_a = np.log(np.abs(c) + eps)
    return np.sign(c) * np.exp(p[:, None] * log_a), c, log_a


def backward_reference(gy, y, c, log_a, nx, nw, p, eps):
    """The per-element part of the backward, from the upstream gradient gy (O, M): g_dot, gc c and
    the terms gy y ln a of gp."""
    a = np.abs(c) + eps
    gc = np.where(c != 0, gy * p[:, None] * np.abs(y) / a, 0)  # |y| / a = a^(p-1), without a second power
    return gc / (nw[:, None] * rows_of_groups(nx, c.shape[0])), gc * c, gy * y * log_a


def backward_sums(gcc, gp_terms, nx, nw):
    """(g_nx, g_nw, gp): the sums over channels (each group's) and patches, shared by both paths."""
    groups, m = nx.shape
    g_nx = -np.sum(gcc.reshape(groups, gcc.shape[0] // groups, m), axis=1) / nx  # not -1: m is 0 for an empty batch
    return g_nx, -np.sum(gcc, axis=1) / nw, np.sum(gp_terms, axis=1)


# ------------------------------------------------------------------------ numba (fast path)

@jit(parallel=True)
def _cosine_numba(dot, nx, nw, eps, c, a):
    """c = dot / (nw nx) and a = |c| + eps, (O, M), in one pass; nx (G, M), a row per group."""
    o_count, m_count = dot.shape
    per_group = o_count // nx.shape[0]
    for o in prange(o_count):
        nx_o = nx[o // per_group]
        for m_signed in range(m_count):
            m = unsigned(m_signed)
            cv = dot[o, m] / (nw[o] * nx_o[m])
            c[o, m] = cv
            a[o, m] = np.abs(cv) + eps
    return c, a


@jit(parallel=True)
def _signed_numba(c, power, y):
    """y = sign(c) a^p from c and a^p (O, M), written straight into NCHW (N, O, L). NumPy's sign:
    +0 for either zero (cv - cv), nan for nan."""
    n_count, o_count, l_count = y.shape
    for o in prange(o_count):
        for n in range(n_count):
            for l in range(l_count):
                m = unsigned(n * l_count + l)
                cv, pv = c[o, m], power[o, m]
                y[n, o, l] = pv if cv > 0 else (-pv if cv < 0 else (cv - cv) * pv)
    return y


def forward_numba(dot, nx, nw, p, eps, y_shape):
    """forward_reference with y in NCHW, y_shape (N, O, L): numba for the cosine and the sign,
    NumPy's SIMD log and exp in between (numba calls scalar libm for them, 5-8x slower here)."""
    c, log_a = _cosine_numba(dot, nx, nw, eps, np.empty_like(dot), np.empty_like(dot))
    np.log(log_a, out=log_a)
    power = np.multiply(p[:, None], log_a)
    np.exp(power, out=power)
    return _signed_numba(c, power, np.empty(y_shape, dot.dtype)), c, log_a


@jit(parallel=True)
def _backward_numba(gy, y, c, log_a, nx, nw, p, eps, g_dot, gcc, gp_terms):
    """The per-element lines of backward_reference in its order of operations, reading gy and y
    straight from NCHW (N, O, L); the rest is (O, M). The sums are left to NumPy (backward_sums), so
    both paths add the same terms in the same order (the same bits)."""
    o_count = c.shape[0]
    n_count, l_count = gy.shape[0], gy.shape[2]
    per_group = o_count // nx.shape[0]
    for o in prange(o_count):
        nx_o = nx[o // per_group]
        for n in range(n_count):
            for l in range(l_count):
                m = unsigned(n * l_count + l)
                cv, g, yv = c[o, m], gy[n, o, l], y[n, o, l]
                gp_terms[o, m] = g * yv * log_a[o, m]
                gc = g * p[o] * np.abs(yv) / (np.abs(cv) + eps) if cv != 0 else 0.0
                g_dot[o, m] = gc / (nw[o] * nx_o[m])
                gcc[o, m] = gc * cv
    return g_dot, gcc, gp_terms


# ------------------------------------------------------------------------ the differentiable op

class SharpenedCosineSimilarity(Function):
    """y = sign(c) (|c| + eps)^p with c the cosine of each patch and kernel (module docstring)
    gx, gW, gp, gq as derived in the module docstring and docs/scs.md"""

    def forward(self, x, weight, p, q, stride=1, padding=0, variant="rohrer", groups=1):
        check_variant("sharpened_cosine_similarity", variant)
        _check_shapes(x, weight, p, q, groups)
        self.geometry = window_geometry("sharpened_cosine_similarity", x.shape, weight.shape[2:], stride, padding, 1)
        dtype = result_dtype(x, weight, p, q)
        x, weight, p, q = (np.asarray(a, dtype) for a in (x, weight, p, q))
        self.variant, self.eps, self.groups = variant, dtype.type(VARIANTS[variant]), groups
        self.weight_shape, self.q_shape = weight.shape, q.shape
        self.x, self.w = x, weight.reshape(weight.shape[0], -1)  # (O, K)
        dot, self.chunks = im2col_matmul(self._w_per_group(), x, self.geometry)  # the one BLAS contraction
        dot = dot.reshape(self.w.shape[0], -1)  # (O, M)
        # patch sums of squares as Rohrer computes them: x^2 summed over each group's channels, then
        # over each window; (N, G, OH, OW) -> (G, M), M ordered as dot's columns
        n, c, h, w = x.shape
        S = window_sums_array(np.sum((x * x).reshape(n, groups, c // groups, h, w), axis=2), *self.geometry)
        S = S.transpose(1, 0, 2, 3).reshape(groups, -1)
        self.S, self.wn2, self.p = S, np.sum(self.w * self.w, axis=1), p
        self.sx, self.nx, self.nw, self.sw = norms_reference(S, self.wn2, q.reshape(()), variant)
        oh, ow = self.geometry[4]
        if backend.use_numba(dot):
            self.y, self.c, self.log_a = forward_numba(dot, self.nx, self.nw, p, self.eps, (n, dot.shape[0], oh * ow))
        else:
            y, self.c, self.log_a = forward_reference(dot, self.nx, self.nw, p, self.eps)
            self.y = np.ascontiguousarray(y.reshape(dot.shape[0], n, oh * ow).transpose(1, 0, 2))  # kept as (N, O, L)
        return self.y.reshape(n, dot.shape[0], oh, ow)

    def _w_per_group(self):
        return self.w.reshape(self.groups, -1, self.w.shape[1])  # (G, O/G, K)

    def backward(self, g):
        o, m = self.c.shape
        if backend.use_numba(g, self.c):
            gy = np.ascontiguousarray(g).reshape(g.shape[0], o, g.shape[2] * g.shape[3])
            g_dot, gcc, gp_terms = _backward_numba(gy, self.y, self.c, self.log_a, self.nx, self.nw, self.p, self.eps,
                                                   *(np.empty_like(self.c) for _ in range(3)))
        else:
            gy = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(o, m)
            y = self.y.transpose(1, 0, 2).reshape(o, m)
            g_dot, gcc, gp_terms = backward_reference(gy, y, self.c, self.log_a, self.nx, self.nw, self.p, self.eps)
        g_nx, g_nw, gp = backward_sums(gcc, gp_terms, self.nx, self.nw)
        pisoni = self.variant == "pisoni"
        gq = np.sum(g_nx) + (np.sum(g_nw) if pisoni else 0)
        gS = g_nx / (2 * self.sx)
        gw_norm = g_nw / self.sw
        if pisoni:  # the max(., 1e-12) floors pass no gradient where they are active
            gS = np.where(self.S >= 1e-12, gS, 0)
            gw_norm = np.where(self.wn2 >= 1e-12, gw_norm, 0)
        (n, c, h, w), out, groups = self.x.shape, self.geometry[4], self.groups
        gw, gx = im2col_matmul_backward(g_dot.reshape(groups, o // groups, n, out[0] * out[1]), self._w_per_group(),
                                        self.chunks, self.x.shape, self.geometry, *self.needs_input_grad[:2])
        if gx is not None:  # dS/dx = 2x per window, for the channels of the window's group
            # (G, M) -> an (N, G, OH, OW) view: window_sums_adjoint transposes it back and copies it once
            gS = gS.astype(gx.dtype, copy=False).reshape(groups, n, *out).transpose(1, 0, 2, 3)
            dS = window_sums_adjoint(gS, (n, groups, h, w), *self.geometry)
            gx += ((2 * self.x).reshape(n, groups, c // groups, h, w) * dS[:, :, None]).reshape(n, c, h, w)
        if gw is not None:
            gw = (gw.reshape(o, -1) + gw_norm[:, None] * self.w).reshape(self.weight_shape)
        return gx, gw, gp, np.full(self.q_shape, gq, dtype=g.dtype)


def _check_shapes(x, weight, p, q, groups):
    op = "sharpened_cosine_similarity"
    check_conv_weight(op, x.shape, weight.shape, groups)
    if p.shape != weight.shape[:1]:
        raise ValueError(f"{op}: p must have shape ({weight.shape[0]},), one exponent per output channel, got {p.shape}")
    if q.size != 1:
        raise ValueError(f"{op}: q must be a scalar, got shape {q.shape}")
    if not np.all(p > 0):
        raise ValueError(f"{op}: p must be positive, got min {p.min()}")
    if not q.item() >= 0:
        raise ValueError(f"{op}: q must be non-negative, got {q.item()}")


def sharpened_cosine_similarity(x, weight, p, q, stride=1, padding=0, variant="rohrer", groups=1):
    """SCS of every patch of x with every kernel: x (N, C, H, W), weight (out, C/groups, kh, kw), p (out,)
    the effective exponents, q the effective scalar. Returns (N, out, OH, OW). padding and groups as
    conv2d's ("same" is the seed's Keras layer's); Rohrer's layer takes groups 1 or C (depthwise).
    variant: "rohrer" (his PyTorch layer), "rohrer_jax" (his JAX layer, eps in the kernel norm too),
    "pisoni" (the seed's Keras layer)."""
    x, padding = pad_for_windows("sharpened_cosine_similarity", x, weight, padding, stride, 1, groups)
    return SharpenedCosineSimilarity.apply(x, weight, p, q, stride=stride, padding=padding, variant=variant,
                                           groups=groups)


class SharpCosSim2d(nn.Module):
    """An SCS layer owning its raw parameters in each source's parameterisation and init:

    "rohrer": weight U(-1, 1) clipped to [-1, 1] and p (U(1, 3)) raised to >= 0.1, both in place
              before every forward; q = exp(log_q), log_q = log(1e-3). p is (1, out, 1, 1) and
              log_q (1, 1, 1, 1), the source's shapes, so its state_dict loads as is.
    "pisoni": weight glorot-uniform as Keras draws it for (1, C*kh*kw, out); p = softmax(p_raw),
              p_raw = 0 (every exponent starts at 1/out); q = q_raw^2 / 10, q_raw = 0.
    groups as conv2d's (weight (out, in/groups, kh, kw)); Rohrer's layer takes 1 or in_channels.
    The "rohrer_jax" formula is sharpened_cosine_similarity's only (docs/scs.md maps his JAX layer's
    parameters onto it).
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=1, variant="rohrer",
                 groups=1, rng=None, dtype=None):
        super().__init__()
        dtype = nn.parameter_dtype("SharpCosSim2d", dtype)
        check_variant("SharpCosSim2d", variant, LAYER_VARIANTS)
        check_channel_counts("SharpCosSim2d", in_channels, out_channels)
        numbers, _ = resolve_padding("SharpCosSim2d", padding, kernel_size, stride, 1)
        (kh, kw), stride, numbers, _ = window_args("SharpCosSim2d", kernel_size, stride, numbers)
        padding = padding if isinstance(padding, str) else numbers  # kept as given, as Conv2d keeps it
        check_groups("SharpCosSim2d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, (kh, kw)
        self.stride, self.padding, self.variant, self.groups = stride, padding, variant, groups
        rng = mg.random.generator(rng, "SharpCosSim2d")
        shape = (out_channels, in_channels // groups, kh, kw)
        if variant == "rohrer":
            self.weight = nn.Parameter(rng.uniform(-1, 1, shape).astype(dtype))
            self.p = nn.Parameter(rng.uniform(1, 3, out_channels).astype(dtype).reshape(1, -1, 1, 1))
            self.log_q = nn.Parameter(np.full((1, 1, 1, 1), np.log(1e-3), dtype))
        else:
            limit = np.sqrt(6 / (in_channels // groups * kh * kw + out_channels))
            self.weight = nn.Parameter(rng.uniform(-limit, limit, shape).astype(dtype))
            self.p_raw = nn.Parameter(np.zeros(out_channels, dtype))
            self.q_raw = nn.Parameter(np.zeros(1, dtype))

    def effective_p_q(self):
        """The p (out,) and q tensors the formula sees, as graph nodes of the raw parameters."""
        if self.variant == "rohrer":
            return mg.reshape(self.p, (-1,)), mg.exp(self.log_q)
        return mg.softmax(self.p_raw), self.q_raw * self.q_raw / 10

    def forward(self, x):
        if self.variant == "rohrer":  # the source's in-place projections, outside the graph
            np.clip(self.weight.data, -1, 1, out=self.weight.data)
            np.maximum(self.p.data, 0.1, out=self.p.data)
        p, q = self.effective_p_q()
        return sharpened_cosine_similarity(x, self.weight, p, q, self.stride, self.padding, self.variant, self.groups)

    def extra_repr(self):
        groups = f", groups={self.groups}" if self.groups != 1 else ""
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}{groups}, variant={self.variant!r}")
