"""The benchmark workloads: each builds a minigrad and a torch step running forward+backward.

A step returns its leaves' gradients (arrays for minigrad, tensors for torch: no copy in the timed
call), in the same order on both sides, so a test can check the two compute the same thing."""
from dataclasses import dataclass
from typing import Callable

import numpy as np

import layers
import minigrad as mg
from layers import functional as F

SHAPES = {"A": ((64, 1, 28, 28), 32), "B": ((64, 32, 14, 14), 32)}


@dataclass
class Case:
    layer: str
    key: str  # the workload, "A" or "B"
    name: str
    build_minigrad: Callable
    build_torch: Callable
    flops: float


def _inputs(shape, out_channels, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    w = (rng.standard_normal((out_channels, shape[1], 3, 3)) / np.sqrt(9 * shape[1])).astype(np.float32)
    upstream = rng.standard_normal((shape[0], out_channels) + shape[2:]).astype(np.float32)
    return x, w, upstream


def _conv_flops(shape, out_channels, convs=1):
    n, c, h, w = shape
    return 3 * 2 * n * out_channels * h * w * c * 9 * convs  # forward, input grad, weight grad


def _padded_case(layer, key, transposed=False):
    """conv2d's workload, x -> out channels through a 3x3 weight with padding 1, or conv_transpose2d's (a (C, out, 3,
    3) weight): the same three products, x and g exchanged. One function by name on each side, with a zero bias."""
    shape, out = SHAPES[key]
    x, w, g = _inputs(shape, out)
    w = np.ascontiguousarray(w.transpose(1, 0, 2, 3)) if transposed else w
    b = np.zeros(out, np.float32)

    def build_minigrad():
        leaves = [mg.tensor(a, requires_grad=True) for a in (x, w, b)]

        def step():
            getattr(F, layer)(*leaves, padding=1).backward(g)
            return [t.grad for t in leaves]
        return step

    def build_torch(torch):
        leaves, gt = [torch.tensor(a, requires_grad=True) for a in (x, w, b)], torch.tensor(g)

        def step():
            getattr(torch.nn.functional, layer)(*leaves, padding=1).backward(gt)
            return [t.grad for t in leaves]
        return step

    return Case(layer, key, f"{key}: x{list(shape)} -> {out}", build_minigrad, build_torch, _conv_flops(shape, out))


def conv_case(key):
    return _padded_case("conv2d", key)


def conv_transpose_case(key):
    return _padded_case("conv_transpose2d", key, transposed=True)


def scs_case(key):
    shape, out = SHAPES[key]
    x, w, g = _inputs(shape, out)
    p = np.random.default_rng(1).uniform(1, 3, out).astype(np.float32)
    log_q = np.full(1, np.log(1e-3), np.float32)

    def build_minigrad():
        leaves = [mg.tensor(a, requires_grad=True) for a in (x, w, p, log_q)]

        def step():
            xt, wt, pt, qt = leaves
            F.sharpened_cosine_similarity(xt, wt, pt, mg.exp(qt), padding=1).backward(g)
            return [t.grad for t in leaves]
        return step

    def build_torch(torch):
        """Rohrer's SharpCosSim2d forward (938c153): patch norms as a conv of x^2 with a ones kernel."""
        leaves = [torch.tensor(a, requires_grad=True) for a in (x, w, p, log_q)]
        xt, wt, pt, qt = leaves
        gt, ones = torch.tensor(g), torch.ones((1,) + w.shape[1:])

        def step():
            q = torch.exp(qt)
            wn = wt / torch.sqrt((wt * wt).sum(dim=(1, 2, 3), keepdim=True))
            xn = torch.sqrt(torch.nn.functional.conv2d(xt * xt, ones, padding=1) + 1e-6) + q
            c = torch.nn.functional.conv2d(xt, wn, padding=1) / xn
            (torch.sign(c) * (torch.abs(c) + 1e-6) ** pt.view(1, -1, 1, 1)).backward(gt)
            return [t.grad for t in leaves]
        return step

    return Case("scs", key, f"{key}: x{list(shape)} -> {out}", build_minigrad, build_torch, _conv_flops(shape, out))


def twist_case(key):
    shape, out = SHAPES[key]
    x, w, g = _inputs(shape, out)
    state = layers.ConvTwist2d(shape[1], out, rng=np.random.default_rng(2)).state_dict()

    def build_minigrad():
        module = layers.ConvTwist2d(shape[1], out)
        module.load_state_dict(state)
        xt, params = mg.tensor(x, requires_grad=True), dict(module.named_parameters())

        def step():
            module(xt).backward(g)
            return [xt.grad] + [params[k].grad for k in state]
        return step

    def build_torch(torch):
        """The seed's module: three Conv2d calls, grids from np.indices, in-place symmetrisation."""
        p = {k: torch.tensor(v, requires_grad=True) for k, v in state.items()}
        xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)

        def step():
            conv = lambda weight: torch.nn.functional.conv2d(xt, weight, padding=1)  # noqa: E731
            y = conv(p["conv.weight"])
            _, _, h, w = y.size()
            XX = torch.from_numpy(np.indices((1, h, w))[2] * 2 / w).type(y.dtype) - 1 + p["center_x"].view(-1, 1, 1)
            YY = torch.from_numpy(np.indices((1, h, w))[1] * 2 / h).type(y.dtype) - 1 + p["center_y"].view(-1, 1, 1)
            for k in ("conv_x.weight", "conv_y.weight"):
                p[k].data = (p[k] - p[k].flip(2).flip(3)) / 2
            (y + XX * conv(p["conv_x.weight"]) + YY * conv(p["conv_y.weight"])).backward(gt)
            return [xt.grad] + [p[k].grad for k in state]
        return step

    return Case("twist", key, f"{key}: x{list(shape)} -> {out}", build_minigrad, build_torch, _conv_flops(shape, out, 3))


CASES = ([conv_case(k) for k in SHAPES] + [scs_case(k) for k in SHAPES] + [twist_case(k) for k in SHAPES]
         + [conv_transpose_case(k) for k in SHAPES])
