"""Every public op: float64 gradient checks over drawn shapes, values in both dtypes, torch cross-checks."""
import inspect
import math
import re
import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import backend, ops
from minigrad.testing import arrays, assert_close, assert_same_bits, spread_apart

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
pair_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0, max_side=3)


@st.composite
def unary(draw, low=-3.0, high=3.0, away_from=(), unique=False):
    return [draw(arrays(draw(shapes), low, high, away_from, unique=unique))]


@st.composite
def binary(draw, low_b=-3.0, away_from_b=(), low_a=-3.0, distinct=False):
    shape_a, shape_b = draw(pair_shapes).input_shapes
    a = draw(arrays(shape_a, low=low_a))
    b = draw(arrays(shape_b, low=low_b, away_from=away_from_b))
    if distinct:  # maximum/minimum: no near-ties between the broadcast operands
        assume(np.all(np.abs(np.subtract(a, b)) > 1e-2))
    return [a, b]


@st.composite
def reduction(draw, unique=False):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)), unique=unique))
    if unique:  # max/min: no two values within the finite-difference step of each other
        assume(spread_apart(x, 1e-3))
    ndim = max(x.ndim, 1)  # a 0-D tensor takes dim 0 or -1, as in PyTorch (they raised AxisError, IndexError)
    axis = draw(st.none() | st.integers(-ndim, ndim - 1)
                | st.lists(st.integers(0, ndim - 1), unique=True).map(tuple))  # () too: every axis, as torch
    return [x], dict(dim=axis, keepdim=draw(st.booleans()))


@st.composite
def extremum_case(draw):
    """torch.max(x) or torch.max(x, dim, keepdim): one int dim or none; values apart, so the first
    maximum is the only one within the finite-difference step."""
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)), unique=True))
    assume(spread_apart(x, 1e-3))
    ndim = max(x.ndim, 1)
    dim = draw(st.none() | st.integers(-ndim, ndim - 1))
    return [x], dict(dim=dim, keepdim=dim is not None and draw(st.booleans()))


@st.composite
def prod_case(draw):
    """torch.prod(x) or torch.prod(x, dim, keepdim), with zeros among the values (one in a slice, or more):
    the gradient is exact there, prod being linear in each element. The other values are 1e-2 or more from
    0: a product that underflows has torch's gradient y / x = 0, not the product of the others."""
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)), away_from=(0,)))
    x = np.where(draw(hnp.arrays(np.bool_, x.shape)), 0.0, x)
    ndim = max(x.ndim, 1)
    dim = draw(st.none() | st.integers(-ndim, ndim - 1))
    return [x], dict(dim=dim, keepdim=dim is not None and draw(st.booleans()))


@st.composite
def elementwise_loss_case(draw, apart=False):
    """mse_loss's and l1_loss's input and target of one shape (no elements too: the mean is NaN) and a
    reduction; apart for l1_loss, x - t away from 0, its kink."""
    x = draw(unary())[0]
    t = draw(arrays(x.shape))
    if apart:
        assume(np.all(np.abs(x - t) > 1e-2))
    return [x, t], dict(reduction=draw(st.sampled_from(["mean", "sum", "none"])))


@st.composite
def linear_case(draw):
    """x (..., in_features) with a weight (out_features, in_features) and maybe a bias, or a weight
    (in_features,), one output without its dim; in_features 0 too."""
    n_in = draw(st.integers(0, 3))
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3)) + (n_in,)))
    if draw(st.booleans()):
        return [x, draw(arrays((n_in,)))], {}
    n_out = draw(st.integers(1, 3))
    return [x, draw(arrays((n_out, n_in))), *([draw(arrays((n_out,)))] if draw(st.booleans()) else [])], {}


@st.composite
def gather_case(draw):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    shape = [draw(st.integers(1, 5)) if d == dim % x.ndim else draw(st.integers(1, n)) for d, n in enumerate(x.shape)]
    index = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, x.shape[dim] - 1)))
    return [x], dict(dim=dim, index=index)


@st.composite
def matmul_operands(draw):
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2)).input_shapes
    a_shape = draw(st.sampled_from([(k,), batch_a + (m, k)]))
    b_shape = draw(st.sampled_from([(k,), batch_b + (k, n)]))
    return [draw(arrays(a_shape)), draw(arrays(b_shape))]


@st.composite
def getitem_case(draw):  # distinct values, so that a pick in the wrong order shows
    x = draw(arrays(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4)), unique=True))
    kind = draw(st.sampled_from(["basic", "integer", "mixed"]))
    if kind == "basic":
        index = draw(hnp.basic_indices(x.shape, allow_ellipsis=True))
    elif kind == "integer":  # repeated indices: the backward must accumulate, not overwrite
        index = np.array(draw(st.lists(st.integers(-x.shape[0], x.shape[0] - 1), min_size=1, max_size=6)))
    else:
        index = draw(mixed_index(x.shape))
    return [x], dict(index=index)


@st.composite
def mixed_index(draw, shape):
    """Integers, slices, lists, masks, None, True and an Ellipsis together: PyTorch's order of
    integers and arrays differs from NumPy's when something stands between them. Every array picks
    two elements, so that they broadcast together and their axis is not a 1 that any order keeps; a
    mask may span two axes, which an Ellipsis must then leave out."""
    n = len(shape)
    if draw(st.booleans()):
        start = draw(st.integers(0, n))
        axes = [*range(start), Ellipsis, *range(draw(st.integers(start, n)), n)]
    else:
        axes = list(range(draw(st.integers(1, n))))
    kinds = iter(draw(st.permutations(["int", "array", "slice", "array"])))  # enough for 3 axes
    entries, i = [], 0
    while i < len(axes):
        axis, i = axes[i], i + 1
        entries += draw(st.lists(st.sampled_from([None, True]), max_size=1))
        if axis is Ellipsis:
            entries.append(Ellipsis)
            continue
        size, kind = shape[axis], next(kinds)
        ints = st.integers(-size, size - 1)
        ends = st.none() | st.integers(-size, size)
        if kind == "int":
            entries.append(draw(ints))
        elif kind == "slice":
            entries.append(draw(st.builds(slice, ends, ends, st.none() | st.integers(1, 3))))
        elif draw(st.booleans()):
            entries.append(draw(st.lists(ints, min_size=2, max_size=2)))
        else:
            sides = (size,)
            if i < len(axes) and axes[i] == axis + 1 and draw(st.booleans()):  # a mask over this axis and the next
                sides, i = (size, shape[axis + 1]), i + 1
            cells = int(np.prod(sides))
            positions = draw(st.lists(st.integers(0, cells - 1), min_size=2, max_size=2, unique=True))
            entries.append(np.isin(np.arange(cells), positions).reshape(sides))
    return tuple(entries)


def torch_getitem(t, x, index):
    entries = index if isinstance(index, tuple) else (index,)
    if any(isinstance(e, slice) and e.step is not None and e.step < 0 for e in entries):
        # torch has no negative steps: gather the flat positions (basic indices: NumPy's rule is PyTorch's)
        return x.reshape(-1)[t.from_numpy(np.array(np.arange(x.numel()).reshape(tuple(x.shape))[index]))]
    return x[tuple(t.from_numpy(e) if isinstance(e, np.ndarray) else e for e in entries)]


@st.composite
def join_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    count = draw(st.integers(1, 3))
    xs = []
    for _ in range(count):
        s = list(shape)
        s[axis] = draw(st.integers(1, 3))
        xs.append(draw(arrays(tuple(s))))
    return xs, dict(dim=axis)


@st.composite
def stack_case(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    xs = [draw(arrays(shape)) for _ in range(draw(st.integers(1, 3)))]
    return xs, dict(dim=draw(st.integers(-len(shape) - 1, len(shape))))


@st.composite
def pad_case(draw):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    if mode == "constant":
        x = draw(arrays(draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))))
        widths = draw(st.lists(st.integers(0, 2), max_size=2 * x.ndim).filter(lambda w: len(w) % 2 == 0))
        return [x], dict(pad=tuple(widths), mode=mode, value=draw(st.none() | st.floats(-1, 1)))
    # PyTorch's rules for the other modes: the last 1 to 3 axes, of a tensor with 1 or 2 more, padded
    # less than their size (reflect) or at most it (circular)
    padded = draw(st.integers(1, 3))
    x = draw(arrays(draw(hnp.array_shapes(min_dims=padded + 1, max_dims=padded + 2, max_side=2 if padded > 1 else 3))))
    widest = {"reflect": lambda n: n - 1, "replicate": lambda n: 2, "circular": lambda n: n}[mode]
    widths = [draw(st.integers(0, widest(x.shape[axis]))) for axis in range(x.ndim - 1, x.ndim - 1 - padded, -1)
              for _ in "before, after".split(", ")]
    return [x], dict(pad=tuple(widths), mode=mode, value=None)


@st.composite
def clip_case(draw):
    low, high = sorted(draw(st.lists(st.floats(-2, 2), min_size=2, max_size=2)))
    x = draw(arrays(draw(shapes), away_from=(low, high)))
    return [x], dict(min=low, max=high)


@st.composite
def clamp_by_tensors_case(draw):
    """x, low and high all inputs, x of the broadcast shape (torch 2.13's clamp backward fails where x
    broadcasts smaller than the result); low above high in places; no x at a bound, no low at high."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    low, high = (draw(arrays(shape, -2.0, 2.0)) for shape in shapes.input_shapes)
    x = draw(arrays(shapes.result_shape))
    assume(all(np.all(np.abs(a - b) >= 1e-2) for a, b in ((x, low), (x, high), (low, high))))
    return [x, low, high], {}


@st.composite
def axis_case(draw):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))))
    return [x], dict(dim=draw(st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1)))


@st.composite
def sort_case(draw, k=False):
    """sort's or topk's input, its values apart so no two sit within the finite-difference step (ties are the
    kinks where a value changes hands), a dim, descending (largest), and for topk a k up to the dim's size."""
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)), unique=True))
    assume(spread_apart(x, 1e-3))
    ndim = max(x.ndim, 1)
    dim = draw(st.integers(-ndim, ndim - 1))
    if not k:
        return [x], dict(dim=dim, descending=draw(st.booleans()))
    return [x], dict(k=draw(st.integers(0, x.shape[dim] if x.ndim else 1)), dim=dim, largest=draw(st.booleans()))


@st.composite
def cross_entropy_case(draw, probabilities=True):
    """Logits (C,), (N, C) or (N, C, d1[, d2]) with class labels, or with class probabilities (PyTorch's
    other form, the logits' shape), which are differentiable inputs like the weight that comes with them."""
    n, c = draw(st.integers(0, 4)), draw(st.integers(0, 5))  # no rows, or no classes: nan, as in PyTorch
    shape = draw(st.sampled_from([(c,), (n, c), (n, c, *draw(hnp.array_shapes(max_dims=2, min_side=0, max_side=3)))]))
    smoothing = draw(st.sampled_from([0.0, 1.0]) | st.floats(0, 1))
    reduction = draw(st.sampled_from(["mean", "sum", "none"]))
    if probabilities and draw(st.booleans()):
        inputs = [draw(arrays(shape)), draw(arrays(shape))]  # probabilities of any sign, as PyTorch takes them
        inputs += [draw(arrays((c,), 0.1, 3))] if draw(st.booleans()) else []
        # a mean over no elements is nan, its gradients 0: test_cross_entropy_of_an_empty_batch_is_nan_...
        assume(reduction != "mean" or all(shape))
        return inputs, dict(ignore_index=draw(st.sampled_from([-100, -1])), reduction=reduction,
                            label_smoothing=smoothing)
    ignore_index = draw(st.sampled_from([-100, 0, 1, c]))  # c: a label outside the classes, ignored
    labels = draw(hnp.arrays(np.int64, shape[:1] + shape[2:] if len(shape) > 1 else (),
                             elements=st.sampled_from([*range(c), ignore_index])))
    # torch 2.13 refuses rows without classes beside other dims ("size mismatch (got input: [N, 0, 0, 0]"):
    # test_class_label_losses_take_rows_without_classes_when_every_label_is_ignored
    assume(c or len(shape) < 3 or not labels.size)
    weight = draw(st.none() | hnp.arrays(np.float64, (c,), elements=st.floats(0.1, 3)))
    # a mean over no kept label is nan, its gradient 0: test_cross_entropy_ignoring_every_label_...
    assume(reduction != "mean" or labels.size == 0 or (labels != ignore_index).any())
    return [draw(arrays(shape))], dict(labels=labels, weight=weight, ignore_index=ignore_index, reduction=reduction,
                                       label_smoothing=smoothing)


@st.composite
def nll_loss_case(draw):
    """cross_entropy's cases with class labels, without smoothing (log-probabilities of any value, as PyTorch's)."""
    inputs, kwargs = draw(cross_entropy_case(probabilities=False))
    del kwargs["label_smoothing"]
    return inputs, kwargs


def torch_nll_loss(t, x, labels, weight, **kwargs):
    return t.nn.functional.nll_loss(x, t.from_numpy(labels), None if weight is None else t.from_numpy(weight), **kwargs)


def reduced_count(x, dim):
    """How many elements a reduction over dim takes from x (None and () are every axis)."""
    if x.ndim == 0 or dim is None or dim == ():
        return x.size
    return int(np.prod([x.shape[d] for d in (dim if isinstance(dim, tuple) else (dim,))]))


@st.composite
def variance_case(draw, std=False):
    """var and std over dims with PyTorch's correction, or unbiased; more elements reduced than the
    correction (else the count n - correction is <= 0: inf or NaN), and for std no slice of equal values
    (√ at 0, a kink)."""
    [x], kwargs = draw(reduction())
    if draw(st.booleans()):
        kwargs["unbiased"] = draw(st.booleans())
    else:
        kwargs["correction"] = draw(st.sampled_from([0, 1, 2, 0.5, -1]))
    assume(reduced_count(x, kwargs["dim"]) > kwargs.get("correction", kwargs.get("unbiased")))
    if std:
        axes = None if x.ndim == 0 or kwargs["dim"] == () else kwargs["dim"]
        assume(np.all(np.var(x, axis=axes) > 1e-2))
    return [x], kwargs


def every_axis(x, dim):
    """dim for torch.var and torch.std: torch 2.13's forward takes () as every axis, as sum does, but its
    backward as no axis, dividing by 1 (3 times the gradient of a (3,) x's var): every axis, named."""
    return all_axes(x, None if dim == () else dim)


@st.composite
def batch_norm_case(draw):
    """x (N, C, ...) with its weight and bias or neither or the weight alone, in training (more than one value
    per channel, none of them all near one value, where dx is ill-conditioned: (x - μ) / σ with σ near √eps)
    or out of it (running statistics, the variance positive)."""
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=4, max_side=4))
    x = draw(arrays(shape))
    training = draw(st.booleans())
    others = (0, *range(2, x.ndim))
    if training:
        assume(x.size // shape[1] > 1 and np.all(np.var(x, axis=others) > 1e-2))
    c = shape[1]
    affine = [draw(arrays((c,))) for _ in range(draw(st.sampled_from([0, 1, 2])))]
    return [x, *affine], dict(running_mean=draw(arrays((c,))), running_var=draw(arrays((c,), 0.1, 3.0)),
                              training=training, momentum=draw(st.sampled_from([0.1, 0.0, 1.0, 0.7])),
                              eps=draw(st.sampled_from([1e-5, 0.1])))


def torch_batch_norm(t, x, *affine, running_mean, running_var, **kwargs):
    return t.nn.functional.batch_norm(x, t.tensor(running_mean), t.tensor(running_var), *affine, **kwargs)


def some_affine(draw, shape):
    """A normalization's weight and bias, the weight alone, or neither."""
    return [draw(arrays(shape)) for _ in range(draw(st.sampled_from([0, 1, 2])))]


@st.composite
def layer_norm_case(draw):
    """x with its last 1 to 3 dims normalized, normalized_shape an int or a tuple, each sample's values there
    more than one and not all near one value (as batch_norm_case's channels)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
    k = draw(st.integers(1, len(shape)))
    x = draw(arrays(shape))
    assume(math.prod(shape[-k:]) > 1 and np.all(np.var(x, axis=tuple(range(x.ndim - k, x.ndim))) > 1e-2))
    normalized = shape[-k:]
    return [x, *some_affine(draw, normalized)], dict(
        normalized_shape=normalized[0] if k == 1 and draw(st.booleans()) else normalized,
        eps=draw(st.sampled_from([1e-5, 0.1])))


def torch_layer_norm(t, x, *affine, normalized_shape, eps):
    return t.nn.functional.layer_norm(x, (normalized_shape,) if isinstance(normalized_shape, int) else
                                      normalized_shape, *affine, eps=eps)


@st.composite
def group_norm_case(draw):
    """x (N, C, ...) with C in 1 to 3 groups of 1 to 3 channels (N 0 too), each sample's group more than one
    value and not all near one value."""
    groups, size = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rest = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
    x = draw(arrays((draw(st.integers(0, 3)), groups * size, *rest)))
    values = x.reshape(x.shape[0], groups, size * math.prod(rest))
    assume(values.shape[2] > 1 and np.all(np.var(values, axis=2) > 1e-2))
    return [x, *some_affine(draw, (groups * size,))], dict(num_groups=groups, eps=draw(st.sampled_from([1e-5, 0.1])))


@st.composite
def expand_case(draw):
    """x with some dims of size 1, and sizes for expand: up to two new dims first, each dim of size 1 kept,
    stretched (to 0 too) or given as -1, the others given as their size or -1."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    x = draw(arrays(tuple(draw(st.sampled_from([n, 1])) for n in shape)))
    sizes = draw(st.lists(st.integers(0, 3), max_size=2))
    for n in x.shape:
        sizes.append(draw(st.sampled_from([-1, n] if n != 1 else [-1, 0, 1, 2, 3])))
    return [x], dict(sizes=tuple(sizes))


@st.composite
def repeat_case(draw):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))))
    return [x], dict(sizes=tuple(draw(st.lists(st.integers(0, 3), min_size=x.ndim, max_size=x.ndim + 2))))


@st.composite
def masked_fill_case(draw):
    """x, a boolean mask of x's shape or of its trailing dims (PyTorch broadcasts it), and a number or a 0-D
    tensor, which gets a gradient."""
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))))
    mask = draw(hnp.arrays(bool, x.shape[draw(st.integers(0, x.ndim)):]))
    if draw(st.booleans()):
        return [x, draw(arrays(()))], dict(mask=mask)
    return [x], dict(mask=mask, value=draw(st.floats(-3, 3)))


@st.composite
def split_case(draw, chunks=False):
    """split by a size or by a list of sizes (chunk by a count) along a dim, empty pieces too."""
    x = draw(arrays(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[dim]
    if chunks:
        return [x], dict(chunks=draw(st.integers(1, 6)), dim=dim)
    if draw(st.booleans()):
        return [x], dict(split_size_or_sections=draw(st.integers(1, 6) if n else st.integers(0, 6)), dim=dim)
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    return [x], dict(split_size_or_sections=list(np.diff([0, *cuts, n]).tolist()), dim=dim)


def pieces_weighted(lib, pieces, dim):
    """split's and chunk's pieces as one tensor, piece i times i + 1, so a value sent to the wrong piece shows
    in the gradient."""
    return lib.cat([p * (i + 1) for i, p in enumerate(pieces)], dim)


@st.composite
def norm_case(draw):
    """A vector norm over dims: values away from 0 (|x|'s kink) and, for inf and -inf, no two |x| within the
    finite-difference step (ties share the gradient)."""
    p = draw(st.sampled_from(["fro", 1, 2, 3, 0.5, 2.5, np.inf, 0, -0.5, -1, -3, -np.inf]))
    [x], kwargs = draw(reduction())
    x = np.where(np.abs(x) < 0.05, 0.5, x)
    if p in (np.inf, -np.inf):
        assume(spread_apart(np.abs(x), 1e-3))
    if p == np.inf or p != "fro" and p < 0:  # an empty dim is refused, as PyTorch refuses it
        assume(x.size)
    return [x], dict(p=p, **kwargs)


def torch_norm(t, x, p, dim, keepdim):
    return t.linalg.vector_norm(x, 2 if p == "fro" else p, None if dim in (None, ()) else dim, keepdim)


@st.composite
def normalize_case(draw):
    """F.normalize along one dim, of slices whose norm is well above eps (clamp's kink)."""
    x = draw(arrays(draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)), away_from=(0,)))
    return [x], dict(p=draw(st.sampled_from([1, 2, 3])), dim=draw(st.integers(-x.ndim, x.ndim - 1)))


def torch_logsumexp(t, x, dim, keepdim):
    """torch.logsumexp takes no dim None, and a () only as an error: every axis, named (0 for a 0-D x)."""
    return t.logsumexp(x, dim if dim not in (None, ()) else tuple(range(x.ndim)) or 0, keepdim)


@st.composite
def dropout_case(draw):
    p = draw(st.sampled_from([0.0, 0.2, 0.5, 1.0]) | st.floats(0, 1))
    return [draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))))], \
        dict(p=p, training=draw(st.booleans()), seed=draw(st.integers(0, 2**32 - 1)))


@st.composite
def dropout2d_case(draw):
    p = draw(st.sampled_from([0.0, 0.2, 0.5, 1.0]) | st.floats(0, 1))
    return [draw(arrays(draw(hnp.array_shapes(min_dims=3, max_dims=4, min_side=0, max_side=4))))], \
        dict(p=p, training=draw(st.booleans()), seed=draw(st.integers(0, 2**32 - 1)))


def torch_dropout2d(t, x, p, training, seed):
    """PyTorch's dropout2d, x * (mask / (1 - p)) with one mask entry per (n, c), ported with minigrad's mask."""
    if not training or p == 0 or x.numel() == 0:
        return x
    if p == 1:
        return x * 0
    mask = np.random.default_rng(seed).random(tuple(x.shape[:2]) + (1,) * (x.ndim - 2)) < 1 - p
    return x * (t.from_numpy(mask).to(x.dtype) / (1 - p))


def torch_dropout(t, x, p, training, seed):
    """PyTorch's CPU dropout, x * (mask / (1 - p)), ported with minigrad's mask for the seed (torch draws its own:
    test_dropout_keeps_and_scales_as_pytorchs_own compares with it)."""
    if not training or p == 0 or x.numel() == 0:
        return x
    if p == 1:
        return x * 0
    mask = np.asarray(np.random.default_rng(seed).random(tuple(x.shape)) < 1 - p)  # 0-D too
    return x * (t.from_numpy(mask).to(x.dtype) / (1 - p))


def torch_cross_entropy(t, x, *probabilities_and_weight, labels=None, weight=None, **kwargs):
    if probabilities_and_weight:
        return t.nn.functional.cross_entropy(x, *probabilities_and_weight, **kwargs)
    return t.nn.functional.cross_entropy(x, t.from_numpy(labels), None if weight is None else t.from_numpy(weight),
                                         **kwargs)


@st.composite
def where_case(draw):
    a, b = draw(binary())
    condition = draw(hnp.arrays(bool, np.broadcast_shapes(a.shape, b.shape)))
    return [a, b], dict(condition=condition)


@st.composite
def permute_case(draw):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=4, max_side=3))))
    return [x], dict(dims=tuple(draw(st.permutations(range(x.ndim)))))


@st.composite
def flip_case(draw):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=4, max_side=3))))
    axes = draw(st.lists(st.integers(0, x.ndim - 1), unique=True)) if x.ndim else draw(st.sampled_from([[], [0]]))
    return [x], dict(dims=tuple(a - draw(st.sampled_from([0, max(x.ndim, 1)])) for a in axes))


@st.composite
def t_case(draw):
    return [draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=4))))], {}


@st.composite
def transpose_case(draw):
    x = draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=4, max_side=3))))
    dim = st.integers(-x.ndim, x.ndim - 1) if x.ndim else st.sampled_from([0, -1])
    return [x], dict(dim0=draw(dim), dim1=draw(dim))


@st.composite
def reshape_case(draw):
    x = draw(arrays(draw(shapes)))
    shape = draw(st.sampled_from([(x.size,), (-1,), (1, x.size), (x.size, 1, 1)]))
    return [x], dict(shape=shape)


def any_shape(draw, min_side=0):
    return draw(arrays(draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=min_side, max_side=3))))


@st.composite
def flatten_case(draw):
    x = any_shape(draw)
    n = max(x.ndim, 1)
    start, end = sorted(draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2)))
    return [x], dict(start_dim=start - draw(st.sampled_from([0, n])), end_dim=end - draw(st.sampled_from([0, n])))


@st.composite
def unsqueeze_case(draw):
    x = any_shape(draw)
    return [x], dict(dim=draw(st.integers(-x.ndim - 1, x.ndim)))


@st.composite
def squeeze_case(draw):
    x = draw(arrays(tuple(draw(st.lists(st.sampled_from([1, 2, 3]), max_size=4)))))  # axes of size 1 and not
    n = max(x.ndim, 1)
    dims = draw(st.lists(st.integers(0, n - 1), unique=True, min_size=1, max_size=n))
    signed = tuple(d - draw(st.sampled_from([0, n])) for d in dims)
    return [x], dict(dim=draw(st.sampled_from([signed[0], signed, None])))


def off_the_jumps(ab):
    """remainder's points: b away from 0 and a / b away from the integers, where a mod b jumps."""
    a, b = ab
    with np.errstate(all="ignore"):
        ratio = np.divide(a, b)
    return bool(np.all(np.abs(b) > 0.1) and np.all(np.abs(ratio - np.round(ratio)) > 1e-2))


def all_axes(x, axis):
    return tuple(range(x.ndim)) if axis is None else axis


def no_kwargs(strategy):
    return strategy.map(lambda inputs: (inputs, {}))


def with_setting(name, inputs, values):
    """(inputs, {name: one of values}) cases."""
    return st.tuples(inputs, st.sampled_from(values)).map(lambda case: (case[0], {name: case[1]}))


@st.composite
def hardtanh_case(draw):
    """Bounds, with x away from them, where the gradient steps from 1 to 0."""
    min_val, max_val = draw(st.sampled_from([(-1.0, 1.0), (-0.5, 2.0), (0.5, 0.5), (-3.0, -2.0)]))
    return draw(unary(away_from=(min_val, max_val))), dict(min_val=min_val, max_val=max_val)


@st.composite
def softplus_case(draw):
    """beta and threshold, with x away from the cut-off βx = threshold, where softplus jumps by ln(1 + e^t) - t."""
    beta, threshold = draw(st.sampled_from([1.0, 2.0, 0.5, -1.0])), draw(st.sampled_from([20.0, 1.0, -0.5]))
    x, = draw(unary())
    assume(np.all(np.abs(beta * x - threshold) > 1e-2))
    return [x], dict(beta=beta, threshold=threshold)


# name -> (strategy of (inputs, constants), torch counterpart taking (torch tensors, constants))
CASES = {
    "add": (no_kwargs(binary()), lambda t, a, b: a + b),
    "sub": (no_kwargs(binary()), lambda t, a, b: a - b),
    "mul": (no_kwargs(binary()), lambda t, a, b: a * b),
    "div": (no_kwargs(binary(away_from_b=(0,), low_b=-3.0).filter(lambda ab: np.all(np.abs(ab[1]) > 0.1))),
            lambda t, a, b: a / b),
    "pow": (no_kwargs(binary(low_a=0.2)), lambda t, a, b: a ** b),
    "remainder": (no_kwargs(binary(away_from_b=(0,)).filter(off_the_jumps)), lambda t, a, b: t.remainder(a, b)),
    "matmul": (no_kwargs(matmul_operands()), lambda t, a, b: a @ b),
    "linear": (linear_case(), lambda t, x, *weight_and_bias: t.nn.functional.linear(x, *weight_and_bias)),
    "neg": (no_kwargs(unary()), lambda t, x: -x),
    "exp": (no_kwargs(unary()), lambda t, x: t.exp(x)),
    "log": (no_kwargs(unary(low=0.1)), lambda t, x: t.log(x)),
    "sqrt": (no_kwargs(unary(low=0.1)), lambda t, x: t.sqrt(x)),
    "abs": (no_kwargs(unary(away_from=(0,))), lambda t, x: t.abs(x)),
    "sign": (no_kwargs(unary(away_from=(0,))), lambda t, x: t.sign(x)),
    "maximum": (no_kwargs(binary(distinct=True)), lambda t, a, b: t.maximum(a, b)),
    "minimum": (no_kwargs(binary(distinct=True)), lambda t, a, b: t.minimum(a, b)),
    "where": (where_case(), lambda t, a, b, condition: t.where(t.from_numpy(condition), a, b)),
    "clip": (clip_case(), lambda t, x, min, max: t.clamp(x, min, max)),  # noqa: A006
    "clamp": (clamp_by_tensors_case(), lambda t, x, low, high: t.clamp(x, low, high)),
    "relu": (no_kwargs(unary(away_from=(0,))), lambda t, x: t.relu(x)),
    "leaky_relu": (st.tuples(unary(away_from=(0,)), st.sampled_from([0.01, 0.2, 0.0, -0.5])).map(
        lambda case: (case[0], {"negative_slope": case[1]})), lambda t, x, negative_slope: t.nn.functional.leaky_relu(
            x, negative_slope)),
    "silu": (no_kwargs(unary()), lambda t, x: t.nn.functional.silu(x)),
    "elu": (with_setting("alpha", unary(away_from=(0,)), [1.0, 0.3, 2.0, -1.5, 0.0]),  # 0: relu, taken as PyTorch's
            lambda t, x, alpha=1.0: t.nn.functional.elu(x, alpha)),
    # alphas whose 1/alpha is a float32: PyTorch's celu gradient takes 1/alpha in float32 (docs/autograd.md)
    "celu": (with_setting("alpha", unary(away_from=(0,)), [1.0, 0.5, 2.0, -0.25]),
             lambda t, x, alpha=1.0: t.nn.functional.celu(x, alpha)),
    "selu": (no_kwargs(unary(away_from=(0,))), lambda t, x: t.nn.functional.selu(x)),
    "gelu": (with_setting("approximate", unary(), ["none", "tanh"]),
             lambda t, x, approximate="none": t.nn.functional.gelu(x, approximate=approximate)),
    "softplus": (softplus_case(), lambda t, x, beta=1.0, threshold=20.0: t.nn.functional.softplus(x, beta, threshold)),
    "hardtanh": (hardtanh_case(),
                 lambda t, x, min_val=-1.0, max_val=1.0: t.nn.functional.hardtanh(x, min_val, max_val)),
    "relu6": (no_kwargs(unary(-8.0, 8.0, away_from=(0, 6))), lambda t, x: t.nn.functional.relu6(x)),
    "hardsigmoid": (no_kwargs(unary(-5.0, 5.0, away_from=(-3, 3))), lambda t, x: t.nn.functional.hardsigmoid(x)),
    "hardswish": (no_kwargs(unary(-5.0, 5.0, away_from=(-3, 3))), lambda t, x: t.nn.functional.hardswish(x)),
    "logsigmoid": (no_kwargs(unary(-10.0, 10.0)), lambda t, x: t.nn.functional.logsigmoid(x)),
    "mish": (no_kwargs(unary()), lambda t, x: t.nn.functional.mish(x)),
    "softsign": (no_kwargs(unary()), lambda t, x: t.nn.functional.softsign(x)),
    "tanhshrink": (no_kwargs(unary()), lambda t, x: t.nn.functional.tanhshrink(x)),
    "log1p": (no_kwargs(unary(low=-0.9)), lambda t, x: t.log1p(x)),
    "expm1": (no_kwargs(unary()), lambda t, x: t.expm1(x)),
    "erf": (no_kwargs(unary()), lambda t, x: t.erf(x)),
    "sigmoid": (no_kwargs(unary(-10, 10)), lambda t, x: t.sigmoid(x)),
    "tanh": (no_kwargs(unary()), lambda t, x: t.tanh(x)),
    "sum": (reduction(), lambda t, x, dim, keepdim: t.sum(x, dim=all_axes(x, dim), keepdim=keepdim)),
    "mean": (reduction(), lambda t, x, dim, keepdim: t.mean(x, dim=all_axes(x, dim), keepdim=keepdim)),
    "amax": (reduction(unique=True), lambda t, x, dim, keepdim: t.amax(x, dim=all_axes(x, dim), keepdim=keepdim)),
    "amin": (reduction(unique=True), lambda t, x, dim, keepdim: t.amin(x, dim=all_axes(x, dim), keepdim=keepdim)),
    "var": (variance_case(), lambda t, x, dim, keepdim, **c: t.var(x, every_axis(x, dim), keepdim=keepdim, **c)),
    "std": (variance_case(std=True), lambda t, x, dim, keepdim, **c: t.std(x, every_axis(x, dim), keepdim=keepdim, **c)),
    "logsumexp": (reduction(), torch_logsumexp),
    "prod": (prod_case(), lambda t, x, dim, keepdim: t.prod(x) if dim is None else t.prod(x, dim, keepdim)),
    "cumsum": (axis_case(), lambda t, x, dim: t.cumsum(x, dim)),
    "square": (no_kwargs(unary()), lambda t, x: t.square(x)),
    "norm": (norm_case(), torch_norm),
    "normalize": (normalize_case(), lambda t, x, p, dim: t.nn.functional.normalize(x, p, dim)),
    "batch_norm": (batch_norm_case(), torch_batch_norm),
    "layer_norm": (layer_norm_case(), torch_layer_norm),
    "group_norm": (group_norm_case(), lambda t, x, *affine, num_groups, eps: t.nn.functional.group_norm(
        x, num_groups, *affine, eps=eps)),
    "max": (extremum_case(), lambda t, x, dim, keepdim: t.max(x) if dim is None else t.max(x, dim, keepdim).values),
    "sort": (sort_case(), lambda t, x, dim, descending: t.sort(x, dim, descending).values),
    "topk": (sort_case(k=True), lambda t, x, k, dim, largest: t.topk(x, k, dim, largest).values),
    "min": (extremum_case(), lambda t, x, dim, keepdim: t.min(x) if dim is None else t.min(x, dim, keepdim).values),
    "gather": (gather_case(), lambda t, x, dim, index: t.gather(x, dim, t.from_numpy(index))),
    "reshape": (reshape_case(), lambda t, x, shape: x.reshape(shape)),
    "expand": (expand_case(), lambda t, x, sizes: x.expand(sizes)),
    "masked_fill": (masked_fill_case(), lambda t, x, *v, mask, value=None: x.masked_fill(t.from_numpy(mask),
                                                                                          v[0] if v else value)),
    "split": (split_case(), lambda t, x, split_size_or_sections, dim: pieces_weighted(t, t.split(
        x, split_size_or_sections, dim), dim)),
    "chunk": (split_case(chunks=True), lambda t, x, chunks, dim: pieces_weighted(t, t.chunk(x, chunks, dim), dim)),
    "repeat": (repeat_case(), lambda t, x, sizes: x.repeat(sizes)),
    "clone": (no_kwargs(unary()), lambda t, x: x.clone()),
    "contiguous": (permute_case(), lambda t, x, dims: x.permute(dims).contiguous()),  # of a view out of C order
    "permute": (permute_case(), lambda t, x, dims: x.permute(dims)),
    "transpose": (transpose_case(), lambda t, x, dim0, dim1: t.transpose(x, dim0, dim1)),
    "flip": (flip_case(), lambda t, x, dims: t.flip(x, dims)),
    "t": (t_case(), lambda t, x: x.t()),
    "flatten": (flatten_case(), lambda t, x, start_dim, end_dim: t.flatten(x, start_dim, end_dim)),
    "unsqueeze": (unsqueeze_case(), lambda t, x, dim: t.unsqueeze(x, dim)),
    "squeeze": (squeeze_case(), lambda t, x, dim: t.squeeze(x) if dim is None else t.squeeze(x, dim)),
    "getitem": (getitem_case(), torch_getitem),
    "pad": (pad_case(), lambda t, x, pad, mode, value: t.nn.functional.pad(x, pad, mode, value)),
    "concatenate": (join_case(), lambda t, *xs, dim: t.cat(xs, dim=dim)),
    "stack": (stack_case(), lambda t, *xs, dim: t.stack(xs, dim=dim)),
    "softmax": (axis_case(), lambda t, x, dim: t.softmax(x, dim=dim)),
    "log_softmax": (axis_case(), lambda t, x, dim: t.log_softmax(x, dim=dim)),
    "cross_entropy": (cross_entropy_case(), torch_cross_entropy),
    "nll_loss": (nll_loss_case(), torch_nll_loss),
    "mse_loss": (elementwise_loss_case(), lambda t, x, target, reduction: t.nn.functional.mse_loss(x, target,
                                                                                                reduction=reduction)),
    "l1_loss": (elementwise_loss_case(apart=True), lambda t, x, target, reduction: t.nn.functional.l1_loss(
        x, target, reduction=reduction)),
    "dropout": (dropout_case(), torch_dropout),
    "dropout2d": (dropout2d_case(), torch_dropout2d),
}


def call(name, tensors, kwargs):
    fn = getattr(mg, name)
    if name in ("concatenate", "stack"):
        return fn(tensors, **kwargs)
    if name == "reshape":
        return fn(tensors[0], kwargs["shape"])
    if name in ("expand", "repeat"):
        return fn(tensors[0], kwargs["sizes"])
    if name == "masked_fill":
        return fn(tensors[0], kwargs["mask"], tensors[1] if len(tensors) > 1 else kwargs["value"])
    if name in ("split", "chunk"):
        return pieces_weighted(mg, fn(*tensors, **kwargs), kwargs["dim"])
    if name in ("permute", "flip"):
        return fn(tensors[0], kwargs["dims"])
    if name == "contiguous":
        return fn(tensors[0].permute(kwargs["dims"]))
    if name in ("max", "min") and kwargs.get("dim") is not None or name in ("sort", "topk"):
        return fn(*tensors, **kwargs).values
    if name == "where":
        return fn(kwargs["condition"], *tensors)
    if name == "batch_norm":  # running statistics copied: training moves them, here as in torch_batch_norm
        stats = (kwargs["running_mean"].copy(), kwargs["running_var"].copy())
        return fn(tensors[0], *stats, *tensors[1:], training=kwargs["training"], momentum=kwargs["momentum"],
                  eps=kwargs["eps"])
    if name in ("layer_norm", "group_norm"):  # the weight alone, by place
        shape_or_groups = kwargs.get("normalized_shape", kwargs.get("num_groups"))
        return fn(tensors[0], shape_or_groups, *tensors[1:], eps=kwargs["eps"])
    if name in ("dropout", "dropout2d"):  # the same mask at every call, for the gradient checker
        mg.manual_seed(kwargs["seed"])
        return fn(*tensors, kwargs["p"], kwargs["training"])
    return fn(*tensors, **kwargs)


def public_ops():
    """Every public function defined in minigrad.ops, found by introspection (aliases once)."""
    return {name: fn for name, fn in vars(ops).items()
            if not name.startswith("_") and inspect.isfunction(fn) and fn.__module__ == ops.__name__}


# integer positions, outside the graph (as in PyTorch): test_argmax_and_argmin_give_the_first_extremum_...
NO_GRADIENT = ("argmax", "argmin", "argsort", "floor_divide", "any", "all")


def test_every_public_op_has_a_gradient_test():
    tested = {id(getattr(ops, name)) for name in (*CASES, *NO_GRADIENT)}
    untested = sorted(name for name, fn in public_ops().items() if id(fn) not in tested)
    assert not untested, f"public ops without a gradient test: {untested}"
    for name in public_ops():
        assert getattr(mg, name) is getattr(ops, name), f"{name} is not exported as minigrad.{name}"


def test_the_enumeration_would_catch_a_new_op(monkeypatch):
    monkeypatch.setattr(ops, "cube", lambda x: x * x * x, raising=False)
    ops.cube.__module__ = ops.__name__
    assert "cube" in public_ops() and id(ops.cube) not in {id(getattr(ops, n)) for n in CASES}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient(name):
    @given(CASES[name][0])
    def check(case):
        inputs, kwargs = case
        mg.gradcheck(lambda *ts: call(name, ts, kwargs), inputs)
    check()


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_matches_numpy_semantics_and_keeps_dtype(name, dtype):
    @given(CASES[name][0])
    def check(case):
        inputs, kwargs = case
        tensors = [mg.tensor(x.astype(dtype)) for x in inputs]
        out = call(name, tensors, kwargs)
        assert out.dtype == dtype, (name, out.dtype)
        reference = call(name, [mg.tensor(x) for x in inputs], kwargs).data
        assert_close(out.data, reference, rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-5, name=name)
    check()


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch(name):
    torch = pytest.importorskip("torch")

    @given(CASES[name][0], st.integers(0, 2**31 - 1))
    def check(case, seed):
        inputs, kwargs = case
        tensors = [mg.tensor(x, requires_grad=True) for x in inputs]
        out = call(name, tensors, kwargs)
        upstream = np.random.default_rng(seed).standard_normal(out.shape)
        out.backward(upstream)
        ts = [torch.tensor(x, requires_grad=True) for x in inputs]
        t_out = CASES[name][1](torch, *ts, **kwargs)
        t_out.backward(torch.tensor(upstream))
        assert_close(out.data, t_out.detach().numpy(), name=f"{name} value")
        for i, (a, b) in enumerate(zip(tensors, ts)):
            expected = b.grad.numpy() if b.grad is not None else np.zeros_like(a.data)
            assert_close(a.grad, expected, name=f"{name} grad {i}")
    check()


# Zeros, kinks, ties and infinities: the points the drawn tests keep away from. NaN inputs are
# left out: the values follow NumPy there (np.sign(nan) is nan, torch's is 0).
SPECIAL = np.array([-np.inf, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, np.inf])
AT_SPECIAL_POINTS = ["add", "sub", "mul", "div", "pow", "remainder", "maximum", "minimum", "neg", "exp", "log",
                     "sqrt", "abs", "sign", "relu", "sigmoid", "tanh", "square", "silu", "elu", "celu", "selu",
                     "gelu", "softplus", "log1p", "expm1", "erf", "hardtanh", "relu6", "hardsigmoid", "hardswish",
                     "logsigmoid", "mish", "softsign", "tanhshrink"]


def values_and_gradients_beside_torch(torch, name, values):
    """An elementwise op at every value (every pair of them for a binary op), backward of ones, on
    minigrad and torch: (inputs, our output, torch's output, our gradients, torch's gradients)."""
    parameters = inspect.signature(CASES[name][1]).parameters.values()
    binary_op = [p.default for p in parameters].count(inspect.Parameter.empty) == 3  # settings have defaults
    inputs = [a.ravel() for a in np.meshgrid(values, values)] if binary_op else [values]
    tensors = [mg.tensor(x, requires_grad=True) for x in inputs]
    with np.errstate(all="ignore"):
        out = call(name, tensors, {})
        out.backward(np.ones(out.shape, values.dtype))
    ts = [torch.tensor(x, requires_grad=True) for x in inputs]
    t_out = CASES[name][1](torch, *ts)
    t_out.backward(torch.ones(t_out.shape, dtype=t_out.dtype))
    return inputs, out.data, t_out.detach().numpy(), [t.grad for t in tensors], [t.grad.numpy() for t in ts]


# Where PyTorch's last bits are not its formula's: tanhshrink's x - tanh(x) cancels near 0, leaving tanh's last bit,
# each library's own; PyTorch's hardsigmoid gradient is 1/6 rounded to float32 (1.0f / 6.0f) in float64 too.
TORCH_LAST_BITS = {"tanhshrink": dict(value_atol=1e-16), "hardsigmoid": dict(grad_rtol=1e-7)}


@pytest.mark.parametrize("name", AT_SPECIAL_POINTS)
def test_special_points_follow_torch(name):
    """pow's gradients differed: NaN for a ** 0 at a = 0 (PyTorch: 0), and 0 for the exponent's at
    a = 0 with a negative exponent (PyTorch: -inf)."""
    torch = pytest.importorskip("torch")
    _, out, t_out, grads, t_grads = values_and_gradients_beside_torch(torch, name, SPECIAL)
    assert_close(out, t_out, rtol=1e-15, atol=TORCH_LAST_BITS.get(name, {}).get("value_atol", 0), name=f"{name} value")
    if name not in ("maximum", "minimum"):  # PyTorch's sign of a zero there depends on the tensor's size
        zeros = out == 0
        np.testing.assert_array_equal(np.signbit(out[zeros]), np.signbit(t_out[zeros]), err_msg=f"{name}: -0.0")
    for i, (a, b) in enumerate(zip(grads, t_grads)):
        # 1e-14: exp's last bits are the library's own: NumPy 1.26's sigmoid(2) is 2 ulp from torch's, which
        # y (1 - y) makes 12 ulp (1.6e-15) of the gradient
        assert_close(a, b, rtol=TORCH_LAST_BITS.get(name, {}).get("grad_rtol", 1e-14), atol=0, name=f"{name} grad {i}")


@pytest.mark.parametrize("name", ["hardtanh", "relu6", "hardsigmoid", "hardswish"])
def test_hard_activations_take_pytorchs_gradients_at_their_kinks(name):
    """The drawn tests keep away from the kinks, where PyTorch picks a side: hardtanh's and relu6's gradient
    is 0 at a bound (clamp's passes g there), hardsigmoid's 0 at -3 and 3, hardswish's 0 at -3 and g at 3; a NaN x
    passes g, but not hardsigmoid's. The values the same bits, -0.0 kept."""
    torch = pytest.importorskip("torch")
    x = np.array([-6.0, -3.0, -1.0, -0.5, -0.0, 0.0, 1.0, 3.0, 6.0, 7.0, np.inf, -np.inf, np.nan])
    _, out, t_out, grads, t_grads = values_and_gradients_beside_torch(torch, name, x)
    assert_same_bits(out, t_out, f"{name} value")
    assert_close(grads[0], t_grads[0], rtol=TORCH_LAST_BITS.get(name, {}).get("grad_rtol", 0), atol=0,
                 name=f"{name} grad")


CLAMP_BOUNDS = {"clamp(min=0)": (0.0, None), "clamp(max=-0)": (None, -0.0), "clamp(-0, 0)": (-0.0, 0.0),
                "clamp(-1, 0.5)": (-1.0, 0.5), "clamp(max=nan)": (None, np.nan)}


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["relu", *CLAMP_BOUNDS])
def test_relu_and_clamp_by_numbers_give_pytorchs_bits(name, dtype, backend_name):
    """relu(-0.0) and clamp(-0.0, min=0) were +0.0 (np.maximum's and np.clip's), PyTorch's -0.0; a bound
    given as a tensor that needs a gradient takes the same values (PyTorch's there depend on the size)."""
    torch = pytest.importorskip("torch")
    if backend_name == "numba" and not backend.numba_available():
        pytest.skip("numba not installed")
    x = np.tile(np.append(SPECIAL, np.nan).astype(dtype), 100)  # long enough for torch's vectorised loop
    bounds = CLAMP_BOUNDS.get(name)
    with backend.use_backend(backend_name):
        y = (mg.relu(mg.tensor(x)) if bounds is None else mg.clamp(mg.tensor(x), *bounds)).data
        expected = torch.relu(torch.tensor(x)) if bounds is None else torch.clamp(torch.tensor(x), *bounds)
        assert_same_bits(y, expected.numpy(), name)
        if bounds is not None:
            tensors = [None if b is None else mg.tensor(np.full(x.shape, b, dtype), requires_grad=True)
                       for b in bounds]
            assert_same_bits(mg.clamp(mg.tensor(x), *tensors).data, y, f"{name} by tensors")


MASKED = {  # ops whose VJP selects g by a mask: (ours, torch's), of x and a drawn other
    "relu": (lambda m, x, o: m.relu(x), lambda t, x, o: t.relu(x)),
    "sqrt(relu)": (lambda m, x, o: m.sqrt(m.relu(x)), lambda t, x, o: t.sqrt(t.relu(x))),
    "abs": (lambda m, x, o: m.abs(x), lambda t, x, o: t.abs(x)),
    "maximum": (lambda m, x, o: m.maximum(x, o), lambda t, x, o: t.maximum(x, o)),
    "minimum": (lambda m, x, o: m.minimum(o, x), lambda t, x, o: t.minimum(o, x)),
    "clamp": (lambda m, x, o: m.clamp(x, -1.0, 0.5), lambda t, x, o: t.clamp(x, -1.0, 0.5)),
    "clamp by tensors": (lambda m, x, o: m.clamp(x, min=o - 1, max=o), lambda t, x, o: t.clamp(x, min=o - 1, max=o)),
    "max": (lambda m, x, o: m.max(x), lambda t, x, o: t.max(x)),
    "min": (lambda m, x, o: m.min(x), lambda t, x, o: t.min(x)),
    "amax": (lambda m, x, o: m.amax(x, -1), lambda t, x, o: t.amax(x, -1)),  # multiplies by its mask, as PyTorch's
    "pow's base": (lambda m, x, o: x ** o, lambda t, x, o: x ** o),  # selects 0 where the exponent is 0
    "pow's exponent": (lambda m, x, o: o ** x, lambda t, x, o: o ** x),  # multiplies: an inf g at base 0 is NaN
}


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
@pytest.mark.parametrize("name", MASKED)
@given(data=st.data())
def test_masked_gradients_follow_pytorchs_at_nan_and_infinite_gradients(name, backend_name, data):
    """relu, maximum, minimum and clamp multiplied g by their masks: an inf or NaN g where the mask
    is 0 gave NaN, where PyTorch selects and gives 0 (sqrt(relu(x)) at x < 0: NaN here, 0 there, so
    a single clamped point poisoned every gradient); so did max(x) and min(x) everywhere off the
    extremum, and ties took g * (1 / n), not PyTorch's g / n. A NaN x took 0 where PyTorch passes g;
    abs gave NaN at a NaN x where PyTorch's sign(nan) = 0 gives 0. pow's exponent gradient went the
    other way: it selected 0 at base 0, where PyTorch multiplies g by 0 (an inf g gives NaN)."""
    torch = pytest.importorskip("torch")
    if backend_name == "numba" and not backend.numba_available():
        pytest.skip("numba not installed")
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    points = st.sampled_from([np.nan, -np.inf, -2.0, -1.0, -0.0, 0.0, 0.5, 1.0, np.inf])
    x, other = (data.draw(hnp.arrays(dtype, shape, elements=points)) for _ in range(2))
    ours, theirs = MASKED[name]
    tt = torch.tensor(x, requires_grad=True)
    t_out = theirs(torch, tt, torch.tensor(other))
    upstream = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0, -0.125])  # float32 holds each (NumPy 1.x's
    # hypothesis refuses -0.1 for a float32 array)
    g = data.draw(hnp.arrays(dtype, tuple(t_out.shape), elements=upstream))
    t_out.backward(torch.tensor(g))
    with backend.use_backend(backend_name):
        t = mg.tensor(x, requires_grad=True)
        ours(mg, t, mg.tensor(other)).backward(g)
    # NaN, inf and 0 must match exactly; pow's and log's last bits are the libraries' own (NumPy's libm, torch's SLEEF)
    assert_close(t.grad, tt.grad.numpy(), rtol=4 * np.finfo(dtype).eps, atol=0, name=f"{name} at x={x}, g={g}")


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_tied_extrema_share_the_gradient_as_g_over_their_count(name):
    """Seven ties took g * (1 / 7), a rounding away from PyTorch's g / 7."""
    torch = pytest.importorskip("torch")
    for dtype in (np.float32, np.float64):
        x = mg.tensor(np.zeros(7, dtype), requires_grad=True)
        tx = torch.zeros(7, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
        getattr(mg, name)(x).backward(np.array(0.1, dtype))
        getattr(torch, name)(tx).backward(torch.tensor(0.1, dtype=tx.dtype))
        np.testing.assert_array_equal(x.grad, tx.grad.numpy())


# Magnitudes whose squares overflow or underflow in float32 and float64, though the values and
# gradients of the ops are representable.
EXTREME = {np.float32: [1e-30, 1e-20, 3e-13, 1e-3, 1.0, 7e12, 3e19, 1e30],
           np.float64: [1e-300, 1e-170, 1e-150, 1.0, 1e150, 1e170, 1e300]}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", AT_SPECIAL_POINTS)
def test_extreme_magnitudes_follow_torch(name, dtype):
    """div's gradient for the divisor, -g a / b^2, was 0 or inf where b^2 over- or underflowed:
    -0.0 for a = b = 1e20 in float32 (PyTorch, from (a / b) / b: -1e-20). remainder's value is
    compared with NumPy's (exact), where PyTorch's, a - b floor(a / b), is NaN once a / b overflows."""
    torch = pytest.importorskip("torch")
    values = np.array(sorted([-m for m in EXTREME[dtype]] + EXTREME[dtype]), dtype)
    inputs, out, t_out, grads, t_grads = values_and_gradients_beside_torch(torch, name, values)
    rtol, atol = 1e-6 if dtype == np.float32 else 1e-15, np.finfo(dtype).tiny  # subnormals hold fewer digits
    expected = np.mod(*inputs) if name == "remainder" else t_out
    assert_close(out, expected, rtol=rtol, atol=atol, name=f"{name} value")
    for i, (a, b) in enumerate(zip(grads, t_grads)):
        assert_close(a, b, rtol=max(rtol, TORCH_LAST_BITS.get(name, {}).get("grad_rtol", 0)), atol=atol,
                     name=f"{name} grad {i}")


def test_clip_boundaries_and_ties_of_max_follow_torch():
    """The extrema's ties share the gradient (x had none at its max and min, inf and -inf, so a
    gradient of 1 for every tied element passed). A min above the max gives the max everywhere and no
    gradient, as PyTorch's clamp (and NumPy's clip) do; it was refused."""
    torch = pytest.importorskip("torch")
    x = np.array([-np.inf, -1.0, -0.5, 0.0, 0.5, 1.0, 1.0, np.inf])
    ties = np.array([[2.0, -1.0, 2.0, 0.0, -1.0], [2.0, 2.0, 2.0, -1.0, 0.0]])
    clips = [dict(min=-1.0, max=1.0), dict(min=0.5, max=0.5), dict(min=1.0, max=-0.5)]
    for a, name, kwargs in [(x, "clip", bounds) for bounds in clips] + [
            (a, name, dict(dim=dim, keepdim=False)) for a in (x, ties) for name in ("max", "min", "amax", "amin")
            for dim in (None, -1) if dim is None or name.startswith("a")]:
        t = mg.tensor(a, requires_grad=True)
        y = call(name, [t], kwargs)
        y.sum().backward()
        tt = torch.tensor(a, requires_grad=True)
        ty = CASES[name][1](torch, tt, **kwargs)
        ty.sum().backward()
        assert_close(y.data, ty.detach().numpy(), rtol=0, atol=0, name=f"{name} {kwargs} of {a.tolist()}")
        assert_close(t.grad, tt.grad.numpy(), rtol=1e-15, atol=0, name=f"{name} {kwargs} of {a.tolist()}")


@pytest.mark.parametrize("use", [lambda lib, t: t.clamp(min=0), lambda lib, t: t.clip(max=0.5),
                                 lambda lib, t: lib.clamp(t, min=-1, max=1), lambda lib, t: lib.clip(t, None, 1.5)])
def test_clamp_and_clip_take_torchs_names_and_keywords(use):
    """x.clamp(min=0), common in PyTorch code, had no method, and clip took low= and high=."""
    torch = pytest.importorskip("torch")
    x = np.linspace(-2, 2, 17)
    ours, theirs = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    use(mg, ours).sum().backward()
    expected = use(torch, theirs)
    expected.sum().backward()
    np.testing.assert_array_equal(use(mg, ours).data, expected.detach().numpy())
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3), seed=st.integers(0, 2**31 - 1))
def test_clamp_by_tensors_broadcasts_x_as_pytorchs(shapes, seed):
    """Bounds that broadcast x to a larger shape were NumPy's ValueError, "non-broadcastable output
    operand" (the mask was x's shape); PyTorch gives the broadcast shape, and the gradient summed back."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x, low, high = (rng.choice([-1.5, -0.5, 0.5, 1.5], size=shape) for shape in shapes.input_shapes)
    upstream = rng.standard_normal(shapes.result_shape)
    ours, theirs = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y = mg.clamp(ours, min=mg.tensor(low), max=mg.tensor(high))
    # x expanded first: torch 2.13's own clamp backward fails where x and min broadcast smaller than the result
    u = torch.clamp(theirs.expand(shapes.result_shape), min=torch.tensor(low), max=torch.tensor(high))
    y.backward(upstream)
    u.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(y.data, u.detach().numpy())
    assert_close(ours.grad, theirs.grad.numpy(), rtol=1e-14, atol=1e-14, name="clamp grad")  # sums in another order


@pytest.mark.parametrize("requires_grad", [False, True])
def test_clamp_by_bounds_that_do_not_broadcast_is_refused_naming_the_shapes(requires_grad):
    with pytest.raises(ValueError, match=r"^clamp: x \(3,\) and bounds \(2,\) and \(\) do not broadcast"):
        mg.clamp(mg.tensor(np.zeros(3)), min=mg.tensor(np.zeros(2), requires_grad=requires_grad), max=1.0)
    with pytest.raises(ValueError, match=r"^clamp: x \(3,\) and bounds \(2,\) do not broadcast"):
        mg.clamp(mg.tensor(np.zeros(3)), max=mg.tensor(np.zeros(2), requires_grad=requires_grad))


@given(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=2),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 2**31 - 1))
def test_clamp_by_constant_tensors_gives_numpys_clip_of_the_broadcast_shape(shapes, dtype, seed):
    """On NumPy 1.x a bound of one element but more dims than x, (1, 1) for an x of (1,), became a
    scalar (np.float64 of a size-1 array is a number there): the result kept x's shape."""
    rng = np.random.default_rng(seed)
    x, low, high = (rng.standard_normal(shape).astype(dtype) for shape in shapes.input_shapes)
    y = mg.clamp(mg.tensor(x, requires_grad=True), min=mg.tensor(low), max=mg.tensor(high))
    assert_close(y.data, np.minimum(np.maximum(x, low), high), rtol=0, atol=0, name="clamp")  # shapes too
    assert y.dtype == dtype


def test_clamp_without_bounds_is_refused_as_pytorchs():
    """x.clamp() returned a copy of x, silently; PyTorch refuses it. Each name names itself (clamp's errors
    said clip)."""
    x = mg.tensor([1.0])
    for op, call in (("clamp", lambda: x.clamp()), ("clip", lambda: mg.clip(x, None, None)),
                     ("clamp", lambda: mg.clamp(x)), ("clip", lambda: x.clip())):
        with pytest.raises(ValueError, match=f"^{op}: at least one of min and max must be given"):
            call()


def test_clamp_by_something_that_is_not_a_number_is_refused_by_name():
    """NumPy's "could not convert string to float" named no op; PyTorch refuses such bounds too."""
    x = mg.tensor([1.0, 2.0])
    for kw, shown in ((dict(min="0.5"), "min must be a number, an array or a tensor, got '0.5'"),
                      (dict(min=0.0, max={}), r"max must be a number, an array or a tensor, got \{\}"),
                      (dict(max=["a", "b"]), r"max must be .* got \['a', 'b'\]")):
        with pytest.raises(TypeError, match=rf"^clamp: {shown}"):
            x.clamp(**kw)
        with pytest.raises(TypeError, match=rf"^clip: {shown}"):
            x.clip(**kw)


def test_clamp_by_tensors_promotes_as_pytorchs():
    """A float32 x clamped by a float64 tensor stayed float32 (PyTorch: float64)."""
    x = np.linspace(-2, 2, 9, dtype=np.float32)
    low = np.linspace(-1, 0, 9)
    assert mg.clamp(mg.tensor(x), min=mg.tensor(low)).dtype == np.float64
    assert mg.clamp(mg.tensor(x), min=mg.tensor(np.float64(0.5))).dtype == np.float32  # a 0-D bound: x's dtype
    assert mg.clamp(mg.tensor(x), min=-0.5).dtype == np.float32
    torch = pytest.importorskip("torch")
    for bound in (low, np.float64(0.5)):
        theirs = torch.clamp(torch.tensor(x), min=torch.tensor(bound))
        ours = mg.clamp(mg.tensor(x), min=mg.tensor(bound))
        assert str(theirs.dtype) == f"torch.{ours.dtype}"
        np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize("given_bounds", ["min", "max", "both", "number and tensor"])
@given(data=st.data())
def test_clamp_differentiates_its_tensor_bounds_as_pytorchs_at_ties_nan_and_infinities(given_bounds, data):
    """A bound that required a gradient was refused (PyTorch differentiates it). Drawn where the
    gradient tests keep away: x at a bound, low at or above high, NaN and infinite x, bounds and g;
    a 0-D float64 bound of a float32 x gets its gradient in float64, as in PyTorch."""
    torch = pytest.importorskip("torch")
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
    points = st.sampled_from([np.nan, -np.inf, -1.0, -0.0, 0.0, 0.5, 1.0, np.inf])
    x = data.draw(hnp.arrays(dtype, shape, elements=points))
    bounds = {name: data.draw(hnp.arrays(np.float64 if data.draw(st.booleans()) else dtype,
                                         data.draw(st.sampled_from([(), shape[-1:], shape])), elements=points))
              for name in ("min", "max") if given_bounds in (name, "both", "number and tensor")}
    number = given_bounds == "number and tensor" and data.draw(st.sampled_from(["min", "max"]))
    g = data.draw(hnp.arrays(dtype, shape, elements=st.sampled_from([np.nan, np.inf, -1.0, 0.0, 2.0])))

    def run(lib, make, as_number):
        xs, bs = make(x), {k: as_number(b.flat[0]) if k == number else make(b) for k, b in bounds.items()}
        y = lib.clamp(xs, **bs)
        y.backward(make(g))
        return [y] + [xs.grad] + [bs[k].grad for k in sorted(bs) if k != number]

    # torch refuses a number with a tensor: the number as a 0-D tensor weighs the same in its promotion
    theirs = run(torch, lambda a: torch.tensor(a, requires_grad=True), lambda v: torch.tensor(float(v)))
    ours = run(mg, lambda a: mg.tensor(a, requires_grad=True), float)
    for name, a, b in zip(["value", "dx"] + [f"d{k}" for k in sorted(bounds) if k != number], ours, theirs):
        b = b.detach().numpy()
        assert a.dtype == b.dtype, (name, a.dtype, b.dtype)
        assert_close(a, b, rtol=0, atol=0, name=f"{name} of clamp({x}, {bounds}), g={g}")


@pytest.mark.parametrize("dtype, low, high, bad", [(np.int8, 300, None, 300), (np.int8, -300, 2, -300),
                                                  (np.uint8, 256, None, 256), (np.uint8, -1, None, -1),
                                                  (np.int16, 0, 40000, 40000), (np.int64, 2**63, None, 2**63)])
def test_clamp_of_integers_refuses_number_bounds_outside_their_dtype_as_pytorch(dtype, low, high, bad):
    """NumPy 2 raised its own OverflowError for some (300 for int8) and clamped by others (-300), and
    NumPy 1.x widened the result to int16; PyTorch refuses them, but for -1 of a uint8, which it wraps to 255."""
    x = np.array([1, 5, 3], dtype)
    with pytest.raises(ValueError, match=rf"^clamp: value {bad} cannot be converted to {np.dtype(dtype)} without "
                                         "overflow, as in PyTorch"):
        mg.clamp(mg.tensor(x), low, high)
    torch = pytest.importorskip("torch")
    if bad != -1:
        with pytest.raises((RuntimeError, OverflowError)):
            torch.clamp(torch.tensor(x), low, high)


@pytest.mark.parametrize("dtype", [np.int32, np.int16, np.uint8, np.bool_])
@pytest.mark.parametrize("bound", [1, np.int64(1), np.int8(1), np.uint8(1), "0-d int64 tensor", "1-d int64 tensor",
                                   "0-d float64 tensor"])
def test_clamp_of_integers_by_a_number_keeps_their_dtype_as_pytorchs(dtype, bound):
    """A one-value bound weighs as a number, as in PyTorch: np.int64(1) or a 0-d int64 tensor made an
    int32 x int64 (NumPy's promotion); a 1-d tensor bound promotes x."""
    x = np.array([0, 1, 2, 100]).astype(dtype)
    make = {"0-d int64 tensor": lambda lib: lib.tensor(np.int64(1)),
            "1-d int64 tensor": lambda lib: lib.tensor(np.array([1, 0, 3, 1])),
            "0-d float64 tensor": lambda lib: lib.tensor(np.float64(0.5))}.get(bound)
    ours = mg.clamp(mg.tensor(x), min=make(mg) if make else bound)
    expected = np.maximum(x.astype(np.float64), 0.5 if "float" in str(bound) else 1)
    if "1-d" in str(bound):
        expected = np.maximum(x, [1, 0, 3, 1])
    np.testing.assert_array_equal(ours.data, expected)
    if make is None or "0-d int" in bound:
        assert ours.dtype == (np.int64 if dtype == np.bool_ else dtype)  # bool meets an int as int64, in both
    torch = pytest.importorskip("torch")
    theirs = torch.clamp(torch.tensor(x), min=make(torch) if make else int(bound))
    assert str(theirs.dtype) == f"torch.{ours.dtype}"
    np.testing.assert_array_equal(ours.data, theirs.numpy())


METHOD_FORMS = ["add", "sub", "mul", "div", "matmul", "floor_divide", "neg", "maximum", "minimum", "where",
                "eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "matmul", "remainder", "maximum", "minimum"])
def test_a_binary_op_named_in_its_errors_and_its_help(name):
    """x.mul(y, alpha=2) said "_binary.<locals>.<lambda>() got an unexpected keyword argument", naming no op;
    help(mg.mul) showed nothing of the forward and VJP (add's and sub's add alpha's)."""
    x = mg.tensor(np.ones(2))
    with pytest.raises(TypeError, match=rf"^{name}\(\) got an unexpected keyword argument 'scale'"):
        getattr(mg, name)(x, x, scale=2)
    assert getattr(mg, name).__doc__.startswith(getattr(ops, name.capitalize() if name != "matmul" else "MatMul").__doc__)


def test_every_tensor_method_is_named_in_its_errors():
    """x.eq() said "<lambda>() missing 1 required positional argument", as did double, float,
    is_contiguous, the other comparisons and the operators' dunders."""
    methods = [name for name in dir(mg.Tensor) if callable(getattr(mg.Tensor, name)) and name != "__class__"]
    unnamed = [name for name in methods if getattr(getattr(mg.Tensor, name), "__name__", name) == "<lambda>"]
    assert not unnamed
    for method in ("eq", "lt", "ge"):
        with pytest.raises(TypeError, match=rf"^Tensor\.{method}\(\) missing 1 required positional argument"):
            getattr(mg.tensor(np.ones(2)), method)()


@pytest.mark.parametrize("other", ["a", None, {}, ["a"], object()])
def test_binary_ops_name_themselves_and_a_value_that_is_no_number(other):
    """x.sub("a"), x + None, mg.maximum(x, {}), ... said "Tensor: needs numbers", naming neither the op nor
    the value; x.eq(None) and its kin returned NotImplemented, which is true in an if (the operators keep
    Python's rule: x == None is False, x < None a TypeError, as in PyTorch)."""
    x = mg.tensor(np.ones(2))
    value = re.escape(f"{other!r:.60}")
    calls = {"add": lambda: x + other, "sub": lambda: x.sub(other), "mul": lambda: other * x, "div": lambda: x / other,
             "remainder": lambda: x % other, "pow": lambda: x ** other, "matmul": lambda: x @ other,
             "maximum": lambda: mg.maximum(x, other), "minimum": lambda: x.minimum(other),
             "floor_divide": lambda: x // other, "where": lambda: x.where(x > 0, other),
             "concatenate": lambda: mg.cat([x, other]), "stack": lambda: mg.stack([other, x]),
             "Exp": lambda: mg.exp(other)}  # a Function's inputs, named by its class
    calls.update({op: (lambda op=op: getattr(x, op)(other)) for op in ("eq", "ne", "lt", "le", "gt", "ge")})
    for op, call in calls.items():
        with pytest.raises(TypeError, match=rf"^{op}: takes a number, an array or a tensor, got {value}$"):
            call()
    assert (x == other) is False and (x != other) is True
    with pytest.raises(TypeError, match="not supported between instances of 'Tensor'"):
        x < other  # noqa: B015


@pytest.mark.parametrize("value", ["a", None])
def test_functions_name_themselves_for_an_input_of_no_numbers(value):
    """mg.flatten("a"), mg.pad(None, (1, 1)) and the others below said "Tensor: needs numbers", naming no op."""
    calls = {"clamp": lambda: mg.clamp(value, min=0), "clip": lambda: mg.clip(value, max=0),
             "gather": lambda: mg.gather(value, 0, [0]),
             "max": lambda: mg.max(value, dim=0), "argmax": lambda: mg.argmax(value),
             "argmin": lambda: mg.argmin(value), "t": lambda: mg.t(value), "flip": lambda: mg.flip(value, (0,)),
             "transpose": lambda: mg.transpose(value, 0, 1),
             "flatten": lambda: mg.flatten(value), "unsqueeze": lambda: mg.unsqueeze(value, 0),
             "squeeze": lambda: mg.squeeze(value), "pad": lambda: mg.pad(value, (1, 1))}
    for op, call in calls.items():
        with pytest.raises(TypeError, match=rf"^{op}: takes a number, an array or a tensor, got {value!r}$"):
            call()


@pytest.mark.parametrize("name", METHOD_FORMS)
@given(seed=st.integers(0, 2**31 - 1), other_is_a_number=st.booleans())
def test_method_forms_are_pytorchs(name, seed, other_is_a_number):
    """x.add(y), x.maximum(y), x.where(mask, y), x.eq(y), ... as torch code calls them: each was an
    AttributeError though the function or the operator existed. Values and gradients against torch's
    methods, with y a tensor or a number."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,) if name == "matmul" else (3, 4))
    other = float(b.flat[0]) if other_is_a_number and name not in ("matmul", "where", "maximum", "minimum") else b
    differentiable = name not in ("floor_divide", "eq", "ne", "lt", "le", "gt", "ge")
    results = []
    for lib in (mg, torch):
        x = lib.tensor(a, requires_grad=differentiable)
        y = other if isinstance(other, float) else lib.tensor(other, requires_grad=differentiable)
        args = {"neg": (), "where": (lib.tensor(a > b), y)}.get(name, (y,))
        out = getattr(x, name)(*args)
        if differentiable:
            out.backward(lib.tensor(np.ones(out.shape)))
        grads = [t.grad for t in (x, y)[:1 if name == "neg" else 2] if differentiable and not isinstance(t, float)]
        results.append([out.data if lib is mg else out.detach().numpy()] + [
            g if lib is mg else g.numpy() for g in grads])
    for i, (ours, theirs) in enumerate(zip(*results)):
        assert ours.dtype == theirs.dtype
        assert_close(ours, theirs, rtol=1e-12, atol=1e-12, name=f"{name} {'value' if i == 0 else f'grad {i - 1}'}")


def test_t_refuses_more_than_two_dims_as_pytorchs():
    """W.t(), the transpose of PyTorch's linear layers (x @ W.t()), was an AttributeError."""
    with pytest.raises(ValueError, match=r"t: expects a tensor of at most 2 dims, got shape \(2, 3, 4\)"):
        mg.tensor(np.ones((2, 3, 4))).t()
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.ones(2, 3, 4).t()


def test_flip_returns_a_copy_and_needs_its_dims_as_pytorchs():
    """x.flip(2, 3), the seed's rot180 of ConvTwist's kernels, was an AttributeError. Its result is a
    copy (NumPy's flip is a view: a change to y would have reached x), and dims cannot be left out."""
    torch = pytest.importorskip("torch")
    for lib in (mg, torch):
        x = lib.tensor(np.arange(6.0).reshape(2, 3))
        y = x.flip(0, 1)
        y += 1
        np.testing.assert_array_equal(np.asarray(x.data if lib is mg else x), np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError, match=r"flip: dims missing"):
        mg.tensor(np.ones(2)).flip()
    with pytest.raises(TypeError):
        torch.ones(2).flip()


PAD_DTYPES = ["bool", "uint8", "int8", "int64", "float16", "float32", "float64"]
PAD_VALUES = [-1, 0, 127, 255, 256, 0.5, -0.5, 2.7, 65504.0, 70000.0, 3.5e38, 1e40, np.inf, -np.inf, np.nan,
              -(2**63), True, np.float64(3.5), np.int64(-7), np.True_, np.float16(2.5)]


@given(dtype=st.sampled_from(PAD_DTYPES), value=st.sampled_from(PAD_VALUES) | st.floats(-300, 300))
@example(dtype="float32", value=np.True_)  # a NumPy scalar: refused by the check's first version
@example(dtype="uint8", value=-1)
def test_pad_takes_a_value_its_dtype_holds_as_pytorchs_pad(dtype, value):
    """The padding value is cast as PyTorch casts it (a float into integers truncates) and refused
    where PyTorch refuses it, naming pad: np.pad's unsafe cast wrote -1 into uint8 as 255, 70000
    into float16 as inf and NaN into uint8 as 0, silently."""
    torch = pytest.importorskip("torch")
    x = np.zeros(2, dtype)
    try:
        expected = torch.nn.functional.pad(torch.tensor(x), (1, 0), value=value).numpy()
    except RuntimeError as e:
        assert "without overflow" in str(e)
        with pytest.raises(ValueError, match=rf"pad: value .* cannot be converted to {dtype} without overflow"):
            mg.pad(mg.tensor(x), (1, 0), value=value)
        return
    got = mg.pad(mg.tensor(x), (1, 0), value=value)
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got.data, expected)


@given(dtype=st.sampled_from(PAD_DTYPES), value=st.sampled_from(PAD_VALUES) | st.floats(-300, 300))
@example(dtype="float32", value=1e40)
def test_setitem_takes_a_number_its_dtype_holds_as_pytorchs_pad(dtype, value):
    """A number written by x[i] = v is refused where PyTorch's pad refuses it as a value and otherwise
    written as PyTorch's setitem writes it: 1e40 into float32 was inf with NumPy's overflow warning
    (PyTorch refuses it), -1 and 256 into uint8 were NumPy's OverflowError naming no op. PyTorch's own
    setitem takes some of those (-1 into uint8 as 255, 70000 into float16 as inf); minigrad refuses
    them as pad does. A tensor's or array's values are cast silently, as in PyTorch."""
    torch = pytest.importorskip("torch")
    x = np.zeros(2, dtype)
    try:
        torch.nn.functional.pad(torch.tensor(x), (1, 0), value=value)
    except RuntimeError:
        with pytest.raises(ValueError, match=rf"setitem: value .* cannot be converted to {dtype} without overflow"):
            mg.tensor(x)[0] = value
        return
    ours, theirs = mg.tensor(x), torch.tensor(x)
    ours[0] = value
    theirs[0] = value.item() if isinstance(value, np.generic) else value  # torch refuses np.True_
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours[1:] = mg.tensor(np.array([1e300 if dtype.startswith("float") else 7.0]))


@pytest.mark.parametrize("value", ["a", [1.0], None])
def test_pad_refuses_a_value_that_is_not_a_number(value):
    """bool tensors took the string 'a' as True, silently (PyTorch: value must be float). None is
    PyTorch's default: zeros."""
    x = mg.tensor(np.ones(2, np.bool_))
    if value is None:
        np.testing.assert_array_equal(mg.pad(x, (1, 0), value=value).data, [False, True, True])
        return
    with pytest.raises(TypeError, match=r"pad: value must be a real number, got (str|list)"):
        mg.pad(x, (1, 0), value=value)


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin"])
def test_the_gradient_of_an_extremum_that_is_nan_follows_pytorch(name):
    """max(x) of a tensor holding NaN gave every element a NaN gradient (0 / 0 in the share among
    ties); PyTorch's max() shares the gradient among the NaNs, and its amax gives NaN everywhere."""
    torch = pytest.importorskip("torch")
    for a in ([1.0, np.nan, 3.0], [np.nan, np.nan, 1.0], [[1.0, np.nan], [np.nan, 2.0]], [[2.0, 1.0], [2.0, 0.0]]):
        ours, theirs = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        getattr(mg, name)(ours).backward()
        getattr(torch, name)(theirs).backward()
        np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_max_and_min_along_a_dim_return_pytorchs_values_and_indices():
    """max(x, dim) was amax's values alone, so max(x, 1)[0], common in PyTorch code, took a row of them.
    Ties and NaN: the first extremum's index, which alone receives the gradient, as in PyTorch."""
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0], [np.nan, 5.0, np.nan]])
    for name in ("max", "min"):
        for dim, keepdim in [(0, False), (1, True), (-1, False)]:
            x, t = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
            values, indices = getattr(mg, name)(x, dim=dim, keepdim=keepdim)
            expected = getattr(torch, name)(t, dim, keepdim)
            np.testing.assert_array_equal(indices.data, expected.indices.numpy())
            np.testing.assert_array_equal(values.data, expected.values.detach().numpy())
            values.sum().backward()
            expected.values.sum().backward()
            np.testing.assert_array_equal(x.grad, t.grad.numpy())
    b = mg.tensor(a[::-1].copy())
    for name, other in (("max", mg.maximum), ("min", mg.minimum)):  # torch.max(a, b) is maximum
        np.testing.assert_array_equal(getattr(mg, name)(mg.tensor(a), b).data, other(mg.tensor(a), b).data)
        np.testing.assert_array_equal(getattr(mg, name)(mg.tensor(a), b).data,
                                      getattr(torch, name)(torch.tensor(a), torch.tensor(b.data)).numpy())
    with pytest.raises(TypeError, match=r"max: dim must be an int, got \(0, 1\) \(amax and amin reduce several dims\)"):
        mg.max(mg.tensor(a), dim=(0, 1))
    with pytest.raises(TypeError, match="min: keepdim needs a dim"):
        mg.min(mg.tensor(a), keepdim=True)


def test_max_of_a_0d_tensor_along_dim_0_is_a_new_tensor():
    """It was x itself, so writing into the values wrote into x (torch returns a new tensor)."""
    scalar = mg.tensor(np.array(2.0), requires_grad=True)
    values, indices = mg.max(scalar, 0)
    assert values is not scalar and not np.shares_memory(values.data, scalar.data)
    (values * 3).backward()
    assert values.item() == 2.0 and indices.item() == 0 and scalar.grad == 3.0


@st.composite
def arg_case(draw):
    """Few distinct values and NaN, so ties and NaNs are common; the reduced axis never empty."""
    x = draw(hnp.arrays(np.float64, draw(shapes), elements=st.sampled_from([-1.0, 0.0, 2.0, np.nan])))
    ndim = max(x.ndim, 1)
    dim = draw(st.none() | st.integers(-ndim, ndim - 1))
    assume(x.size if dim is None else x.ndim == 0 or x.shape[dim])
    return x, dim, draw(st.booleans())


def first_extremum(line, name):
    """The first NaN's position if there is one, as in PyTorch, else the first max (min)'s."""
    line = list(line)
    nans = [i for i, v in enumerate(line) if v != v]
    return nans[0] if nans else line.index(max(line) if name == "argmax" else min(line))


@given(case=arg_case(), name=st.sampled_from(["argmax", "argmin"]))
def test_argmax_and_argmin_give_the_first_extremum_as_pytorch_does(case, name):
    x, dim, keepdim = case
    got = getattr(mg.tensor(x), name)(dim, keepdim=keepdim)
    if dim is None:
        expected = np.full((1,) * x.ndim if keepdim else (), first_extremum(x.ravel(), name))
    elif x.ndim == 0:
        expected = np.array(0)
    else:
        moved = np.moveaxis(x, dim, -1)
        expected = np.array([first_extremum(line, name) for line in moved.reshape(-1, x.shape[dim])], np.int64)
        expected = expected.reshape(moved.shape[:-1])
        expected = np.expand_dims(expected, dim) if keepdim else expected
    assert got.dtype == np.int64 and not got.requires_grad
    np.testing.assert_array_equal(got.data, expected, strict=True)
    try:
        import torch
    except ImportError:
        return
    np.testing.assert_array_equal(got.data, getattr(torch, name)(torch.tensor(x), dim, keepdim).numpy(), strict=True)


def stable_order(line, descending):
    """Python's stable sort of a line's positions, NaN counted the largest: reverse=True keeps ties in their
    order too, as Python documents."""
    return sorted(range(len(line)), key=lambda i: (line[i] != line[i], line[i]), reverse=descending)


@st.composite
def sort_ties_case(draw):
    """Few values, -0.0 beside 0.0, infinities and NaN: ties everywhere, the reduced axis possibly empty; lines of
    up to 5, or 1-D up to 60 (NumPy's default sort is an insertion sort, stable, below 17 elements)."""
    values = st.sampled_from([-1.0, -0.0, 0.0, 2.0, np.inf, -np.inf, np.nan])
    shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5) | st.tuples(st.integers(17, 60))
    x = draw(hnp.arrays(np.float64, draw(shapes), elements=values))
    ndim = max(x.ndim, 1)
    return x, draw(st.integers(-ndim, ndim - 1)), draw(st.booleans())


@given(sort_ties_case())
def test_sort_argsort_and_topk_order_ties_and_nans_as_a_stable_sort(case):
    """Indices as Python's stable sorted() gives them per line, NaN last ascending and first descending, and as
    torch's stable sort; values are x at them, the sign of every zero kept; topk is the sort's first k."""
    x, dim, descending = case
    expected = np.zeros(x.shape, np.int64)  # a 0-D or empty x's
    if x.size and x.ndim:
        moved = np.moveaxis(x, dim, -1)
        lines = [stable_order(list(line), descending) for line in moved.reshape(-1, x.shape[dim])]
        expected = np.moveaxis(np.array(lines, np.int64).reshape(moved.shape), -1, dim)
    values, indices = mg.tensor(x).sort(dim, descending)
    np.testing.assert_array_equal(indices.data, expected, strict=True)
    assert_same_bits(values.data, np.take_along_axis(x, expected, dim) if x.ndim else x)
    np.testing.assert_array_equal(mg.argsort(x, dim, descending).data, expected, strict=True)
    k = (x.shape[dim] if x.ndim else 1) // 2
    top = mg.topk(x, k, dim, largest=descending)
    first = np.take(expected, np.arange(k), axis=dim) if x.ndim else expected
    np.testing.assert_array_equal(top.indices.data, first, strict=True)
    try:
        import torch
    except ImportError:
        return
    theirs = torch.sort(torch.tensor(x), stable=True, dim=dim, descending=descending)
    np.testing.assert_array_equal(indices.data, theirs.indices.numpy(), strict=True)
    assert_same_bits(values.data, theirs.values.numpy())
    # torch's topk leaves the order of ties open: -0.0 and 0.0 may trade places, equal as values
    np.testing.assert_array_equal(top.values.data, torch.topk(torch.tensor(x), k, dim, largest=descending).values)


def test_sort_and_topk_return_pytorchs_named_pairs_and_take_integers():
    x = mg.tensor(np.array([[3, 1, 2], [0, 5, 4]]))
    result = x.topk(2)
    assert type(result).__name__ == "Sorted" and result._fields == ("values", "indices")
    assert result.values.tolist() == [[3, 2], [5, 4]] and result.indices.tolist() == [[0, 2], [1, 2]]
    assert x.sort(0, descending=True).values.tolist() == [[3, 5, 4], [0, 1, 2]]
    assert x.argsort().dtype == np.int64 and x.sort().values.dtype == x.dtype
    scalar = mg.tensor(np.array(2.0), requires_grad=True)
    values, indices = mg.sort(scalar)
    assert values is not scalar and indices.item() == 0


def test_sort_argsort_and_topk_defaults_are_pytorchs():
    """Called without settings: the last dim, ascending (topk: the largest, in order)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).permutation(24).reshape(2, 3, 4).astype(np.float64)
    theirs = torch.sort(torch.tensor(x))
    assert_same_bits(mg.sort(x).values.data, theirs.values.numpy())
    assert_same_bits(mg.sort(x).indices.data, theirs.indices.numpy())
    assert_same_bits(mg.argsort(x).data, torch.argsort(torch.tensor(x)).numpy())
    assert_same_bits(mg.topk(x, 2).indices.data, torch.topk(torch.tensor(x), 2).indices.numpy())


@pytest.mark.parametrize("call, error, message", [
    (lambda: mg.topk(np.array(2.0), 2), ValueError,
     r"topk: k must be an int from 0 to 1, the size of dim 0 of shape \(\)"),
    (lambda: mg.sort(np.zeros((2, 3)), dim=(0, 1)), TypeError, r"sort: dim must be an int, got \(0, 1\)"),
    (lambda: mg.sort(np.zeros((2, 3)), 2), ValueError, "sort: dim 2 out of range for a 2-D tensor"),
    (lambda: mg.sort(np.zeros(3), descending=1), TypeError, "sort: descending must be True or False, got 1"),
    (lambda: mg.sort(np.zeros(3), stable=None), TypeError, "sort: stable must be True or False, got None"),
    (lambda: mg.argsort(np.zeros(3), stable="yes"), TypeError, "argsort: stable must be True or False"),
    (lambda: mg.topk(np.zeros((2, 3)), 4), ValueError,
     r"topk: k must be an int from 0 to 3, the size of dim 1 of shape \(2, 3\), got 4"),
    (lambda: mg.topk(np.zeros((2, 3)), -1, 0), ValueError, "topk: k must be an int from 0 to 2, the size of dim 0"),
    (lambda: mg.topk(np.zeros(3), True), ValueError, "topk: k must be an int .* got True"),
    (lambda: mg.topk(np.zeros(3), 1, largest=0), TypeError, "topk: largest must be True or False, got 0"),
    (lambda: mg.topk(np.zeros(3), 1, sorted=None), TypeError, "topk: sorted must be True or False, got None"),
    (lambda: mg.sort("abc"), TypeError, "sort"),
])
def test_sort_and_topk_refuse_bad_settings_naming_the_op(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_argmax_refuses_what_pytorch_refuses_naming_the_op():
    with pytest.raises(ValueError, match=r"argmax: an empty tensor of shape \(0, 3\) has no extremum; give a dim"):
        mg.argmax(mg.tensor(np.zeros((0, 3))))
    with pytest.raises(ValueError, match=r"argmin: reducing an empty axis of shape \(0, 3\), dim 0"):
        mg.argmin(mg.tensor(np.zeros((0, 3))), 0)
    with pytest.raises(TypeError, match=r"argmax: dim must be an int, got \(0, 1\)"):
        mg.argmax(mg.tensor(np.zeros((2, 3))), dim=(0, 1))
    with pytest.raises(ValueError, match="argmin: dim 2 out of range for a 2-D tensor"):
        mg.tensor(np.zeros((2, 3))).argmin(2)


@pytest.mark.parametrize("classes", [0, 4])
def test_cross_entropy_of_an_empty_batch_is_nan_quietly_as_pytorchs(classes):
    """With no classes NumPy's max raised; with some, NumPy warned of an empty mean and of g / 0."""
    x = mg.tensor(np.zeros((0, classes)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = mg.cross_entropy(x, np.zeros(0, np.int64))
        loss.backward()
    assert np.isnan(loss.item()) and x.grad.shape == (0, classes)
    # the sum over no rows is 0, but smoothing over no classes is PyTorch's (s / C) 0 = inf 0 = nan
    loss = mg.cross_entropy(x, np.zeros(0, np.int64), reduction="sum", label_smoothing=0.5)
    np.testing.assert_array_equal(loss.data, np.nan if classes == 0 else 0.0)
    # with class probabilities, and a weight, whose gradient is 0, as PyTorch's
    weight = mg.tensor(np.ones(classes), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = mg.cross_entropy(x, np.zeros((0, classes)), weight)
        loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(weight.grad, np.zeros(classes))


def cross_entropy_by_its_definition(logits, target, weight, ignore_index, reduction, label_smoothing):
    """PyTorch's documented loss, written out over the rows (the class dim moved last, the others flattened):
    l_n = -sum_c w_c q[n, c] log p[n, c] with the smoothed target q = (1 - s) t_n + s / C, t_n onehot(label_n)
    (l_n = 0 for an ignored label) or the given probabilities; the mean divides by sum_n w[label_n] over
    the kept labels, or by the number of rows for probabilities."""
    class_dim = 0 if logits.ndim == 1 else 1
    c = logits.shape[class_dim]
    rows = np.moveaxis(logits, class_dim, -1).reshape(-1, c)
    if target.shape == logits.shape:
        t, kept = np.moveaxis(target, class_dim, -1).reshape(-1, c), np.ones(len(rows), bool)
        denominator = len(rows)
    else:
        labels = target.reshape(-1)
        kept = labels != ignore_index
        t, denominator = np.eye(c)[np.where(kept, labels, 0)], weight[labels[kept]].sum()
    q = (1 - label_smoothing) * t + label_smoothing / c
    losses = np.where(kept, -(weight * q * scipy.special.log_softmax(rows, axis=1)).sum(axis=1), 0)
    if reduction == "none":
        return losses.reshape(logits.shape[:class_dim] + logits.shape[class_dim + 1:])
    return losses.sum() / (denominator if reduction == "mean" else 1)


@given(case=cross_entropy_case())
def test_cross_entropy_is_pytorchs_documented_loss(case):
    """weight, ignore_index and label_smoothing, PyTorch's (cross_entropy took only a reduction, so
    cross_entropy(x, y, w) read w as one), and its other forms, (N, C, d1, ...) and unbatched logits, class
    probabilities (only (N, C) with labels before), checked against the definition without torch."""
    inputs, kwargs = case
    (logits, target, *weight), settings = (inputs, {}) if len(inputs) > 1 else ([*inputs, kwargs["labels"]], kwargs)
    weight = weight[0] if weight else settings.get("weight")
    c = logits.shape[0 if logits.ndim == 1 else 1]
    kept = target if target.shape == logits.shape else target[target != kwargs["ignore_index"]]
    assume(c and (kwargs["reduction"] != "mean" or kept.size))
    expected = cross_entropy_by_its_definition(logits, target, np.ones(c) if weight is None else weight,
                                               kwargs["ignore_index"], kwargs["reduction"], kwargs["label_smoothing"])
    got = call("cross_entropy", [mg.tensor(x) for x in inputs], kwargs).data
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@given(case=nll_loss_case())
def test_nll_loss_is_pytorchs_documented_loss_and_cross_entropy_after_log_softmax(case):
    """nll_loss, the loss of PyTorch's MNIST example (after log_softmax), was missing. Its definition,
    -sum_n w[label_n] x[n, label_n] / sum_n w[label_n] over the kept labels, written out without torch, and
    PyTorch's identity cross_entropy(x) = nll_loss(log_softmax(x)), two Functions of their own here."""
    (x,), kwargs = case
    labels, ignore_index, reduction = kwargs["labels"], kwargs["ignore_index"], kwargs["reduction"]
    class_dim = 0 if x.ndim == 1 else 1
    c, flat = x.shape[class_dim], labels.reshape(-1)
    kept = flat != ignore_index
    assume(c and (reduction != "mean" or kept.any()))
    rows = np.moveaxis(x, class_dim, -1).reshape(-1, c)
    weight = np.ones(c) if kwargs["weight"] is None else kwargs["weight"]
    losses = np.where(kept, -weight[np.where(kept, flat, 0)] * rows[np.arange(len(rows)), np.where(kept, flat, 0)], 0)
    expected = {"none": losses.reshape(labels.shape), "sum": losses.sum(),
                "mean": losses.sum() / weight[flat[kept]].sum() if kept.any() else None}[reduction]
    np.testing.assert_allclose(mg.nll_loss(mg.tensor(x), **kwargs).data, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mg.nll_loss(mg.log_softmax(mg.tensor(x), class_dim), **kwargs).data,
                               mg.cross_entropy(mg.tensor(x), **kwargs).data, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_unbatched_losses_take_one_label_in_a_list_as_pytorchs(name, reduction):
    """Unbatched logits (C,) took only a label of shape (), where PyTorch takes [label] too (and gives the same
    loss, of shape (), with every reduction); one class with an integer [label] is a label, not probabilities."""
    fn, x = getattr(mg, name), mg.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    one = fn(x, np.array([2]), reduction=reduction)
    assert one.shape == () and one.item() == fn(x, np.array(2), reduction=reduction).item()
    one.backward()
    single = mg.tensor(np.array([0.5]), requires_grad=True)
    fn(single, np.array([0]), reduction=reduction).backward()
    expected = -1.0 if name == "nll_loss" else 0.0  # a softmax over one class is 1 whatever the logit
    assert x.grad[2] != 0 and single.grad.tolist() == [expected]
    with pytest.raises(ValueError, match=rf"{name}: needs integer labels of shape \(\)"):
        fn(x, np.array([2, 1]))


def test_dropout_keeps_and_scales_as_pytorchs_own():
    """Dropout, which PyTorch's MNIST example trains with, was missing. torch draws its own mask: about
    1 - p of the elements kept in both, each scaled to the same bits (x * (1 / (1 - p)) in float32), the
    rest 0; the same mask again after manual_seed."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((200, 500)).astype(np.float32)
    mg.manual_seed(3)
    ours = mg.dropout(mg.tensor(x), 0.3).data
    theirs = torch.nn.functional.dropout(torch.from_numpy(x), 0.3).numpy()
    for out in (ours, theirs):
        assert abs((out != 0).mean() - 0.7) < 4 * np.sqrt(0.7 * 0.3 / x.size)  # four standard deviations
    both = (ours != 0) & (theirs != 0)
    assert_same_bits(ours[both], theirs[both])
    mg.manual_seed(3)
    assert_same_bits(mg.dropout(mg.tensor(x), 0.3).data, ours)


def test_dropout2d_drops_whole_channels_as_pytorchs_own():
    """torch draws its own mask: in both, each (n, c) plane is all kept, each element scaled to the same bits, or
    all 0, about 1 - p of the planes kept; a 3-D input is (N, C, L) in both; the same mask after manual_seed."""
    torch = pytest.importorskip("torch")
    for shape in ((50, 40, 3, 4), (50, 40, 5)):
        x = np.random.default_rng(0).uniform(1, 2, shape).astype(np.float32)
        mg.manual_seed(3)
        ours = mg.dropout2d(mg.tensor(x), 0.3).data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's note that 3-D input will mean (C, H, W) one day
            theirs = torch.nn.functional.dropout2d(torch.from_numpy(x), 0.3).numpy()
        for out in (ours, theirs):
            planes = (out != 0).reshape(50 * 40, -1)
            assert (planes.all(1) | ~planes.any(1)).all()
            assert abs(planes[:, 0].mean() - 0.7) < 4 * np.sqrt(0.7 * 0.3 / planes.shape[0])
        both = (ours != 0) & (theirs != 0)
        assert_same_bits(ours[both], theirs[both])
        mg.manual_seed(3)
        assert_same_bits(mg.dropout2d(mg.tensor(x), 0.3).data, ours)
    for shape in ((3, 4), (2, 3, 4, 5, 6)):
        with pytest.raises(ValueError, match=rf"dropout2d: needs an \(N, C, H, W\) or \(N, C, L\) input, got shape "
                                             rf"\({shape[0]}, {shape[1]}"):
            mg.dropout2d(np.ones(shape))
    with pytest.raises(ValueError, match="dropout2d: p must be a probability from 0 to 1, got 2"):
        mg.dropout2d(np.ones((1, 2, 3)), 2)
    nested = np.ones((1, 2, 3)).tolist()  # a list is an array to every op
    assert_same_bits(mg.dropout2d(nested, 0.5, training=False).data, np.ones((1, 2, 3)))
    assert_same_bits(mg.dropout(nested, 0.5, training=False).data, np.ones((1, 2, 3)))


def test_dropout_at_its_edges_as_pytorchs():
    x = mg.tensor(np.array([np.nan, -2.0, 3.0]), requires_grad=True)
    assert mg.dropout(x, 0.0) is x and mg.dropout(x, 0.9, training=False) is x  # x itself, as PyTorch returns it
    y = mg.dropout(x, 1.0)
    y.backward(np.ones(3))
    np.testing.assert_array_equal(y.data, [np.nan, 0.0, 0.0])  # x * 0, as PyTorch's: NaN stays
    np.testing.assert_array_equal(x.grad, np.zeros(3))
    for p in (-0.1, 1.5, np.nan, "0.5"):
        with pytest.raises(ValueError, match="dropout: p must be a probability from 0 to 1, got"):
            mg.dropout(x, p)
    with pytest.raises(TypeError, match="dropout: training must be True or False, got 'yes'"):
        mg.dropout(x, 0.5, "yes")
    with pytest.raises(TypeError, match="dropout: needs floating-point input, got dtype int64"):
        mg.dropout(mg.tensor(np.ones(3, np.int64)), 0.5)


@pytest.mark.parametrize("weight", [None, np.array([0.5, 2.0, 1.0])])
def test_cross_entropy_ignoring_every_label_has_no_gradient_as_pytorchs(weight):
    """The mean over no kept label is 0 / 0, nan; the gradient is 0, as PyTorch's, whose ignored rows
    get none (g / 0 times their 0 would be nan)."""
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for reduction, value in (("mean", np.nan), ("sum", 0.0)):
            x.grad = None
            loss = mg.cross_entropy(x, np.array([1, 1]), weight, ignore_index=1, reduction=reduction,
                                    label_smoothing=0.2)
            loss.backward()
            np.testing.assert_array_equal(loss.data, value)
            np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


def test_cross_entropy_takes_a_weight_tensor_as_a_constant():
    """A weight tensor is read as its array; one that requires a gradient is refused only where a
    gradient could be taken (under no_grad it is a constant like any other)."""
    x, labels = mg.tensor(np.array([[0.0, 1.0], [2.0, 0.0]])), np.array([0, 0])
    expected = mg.cross_entropy(x, labels, np.array([2.0, 1.0])).item()
    assert mg.cross_entropy(x, labels, mg.tensor([2.0, 1.0])).item() == expected
    with mg.no_grad():
        assert mg.cross_entropy(x, labels, mg.tensor([2.0, 1.0], requires_grad=True)).item() == expected


CROSS_ENTROPY_REFUSALS = [
    (dict(weight="sum"), TypeError, "cross_entropy: takes a number, an array or a tensor, got 'sum'"),
    (dict(weight=np.ones(2)), ValueError, r"weight must hold one number per class, shape \(3,\), got \(2,\) "
                                          r"float64 \(pass reduction and the rest by name"),
    (dict(weight=mg.tensor(np.ones(3), requires_grad=True)), RuntimeError, "cross_entropy: weight has no gradient"),
    (dict(label_smoothing=1.5), ValueError, "label_smoothing must be a number from 0 to 1, got 1.5"),
    (dict(label_smoothing=True), ValueError, "label_smoothing must be a number from 0 to 1, got True"),
    (dict(ignore_index=1.0), TypeError, "cross_entropy: ignore_index must be an int, got 1.0"),
    (dict(ignore_index=5, labels=np.array([5, 3])), ValueError,
     r"labels must lie in \[0, 3\) or equal ignore_index \(5\), got min 3 max 3"),
    (dict(labels=np.zeros((2, 3), np.int64)), TypeError,
     "cross_entropy: class probabilities .labels of the logits' shape. must be floating-point, as in PyTorch, "
     "got int64"),
    (dict(labels=np.zeros((2, 3)), ignore_index=0), ValueError,
     "cross_entropy: ignore_index is for class labels, not probabilities, as in PyTorch, got 0"),
    (dict(labels=np.zeros((2, 1))), ValueError, r"cross_entropy: needs integer labels of shape \(2,\)"),
    (dict(labels=np.zeros(2)), ValueError,
     r"cross_entropy: needs integer labels of shape \(2,\) .* got \(2,\) float64"),
]


@pytest.mark.parametrize("kwargs, error, message", CROSS_ENTROPY_REFUSALS)
def test_cross_entropy_refuses_bad_settings_naming_them(kwargs, error, message):
    kwargs = dict(dict(labels=np.array([0, 2])), **kwargs)
    with pytest.raises(error, match=message):
        mg.cross_entropy(mg.tensor(np.zeros((2, 3))), **kwargs)


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("x, labels, message", [
    (np.zeros(()), np.zeros((), np.int64), r"needs an input with a class dim, \(C,\), \(N, C\) or \(N, C, d1, ...\), "
                                           r"got shape \(\)"),
    (np.zeros((2, 3, 4)), np.zeros((2, 3), np.int64), r"needs integer labels of shape \(2, 4\) \(the input's "
                                                      r"\(2, 3, 4\) without the class dim\)"),
    (np.zeros(3), np.zeros(2, np.int64), r"needs integer labels of shape \(\)"),  # (1,) taken, as PyTorch's
    (np.zeros((2, 3)), np.array([0, 3]),
     r"labels must lie in \[0, 3\) or equal ignore_index \(-100\), got min 0 max 3"),
    (np.zeros((2, 3)), np.array([0.0, 1.0]), r"needs integer labels of shape \(2,\) .*got \(2,\) float64"),
])
def test_class_label_losses_refuse_labels_of_another_shape_naming_the_one_needed(op, x, labels, message):
    with pytest.raises(ValueError, match=f"{op}: {message}"):
        getattr(mg, op)(mg.tensor(x), labels)


@pytest.mark.parametrize("op", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("x", [np.zeros(0), np.zeros((2, 0)), np.zeros((2, 0, 3))])
def test_class_label_losses_take_rows_without_classes_when_every_label_is_ignored(op, reduction, x):
    """Rows with no classes, each label ignore_index, are a loss of 0 (the mean 0 / 0, nan) with an empty
    gradient, as PyTorch's for (C,) and (N, C) (beside other dims torch 2.13 fails reshaping them); the weight
    of label 0 was read for them, an IndexError for no classes."""
    labels = np.full(x.shape[:1] + x.shape[2:] if x.ndim > 1 else (), -100)
    t = mg.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = getattr(mg, op)(t, labels, reduction=reduction)
        loss.backward(np.ones(loss.shape))
    np.testing.assert_array_equal(loss.data, np.nan if reduction == "mean" else np.zeros(labels.shape))
    assert t.grad.shape == x.shape


def test_cross_entropy_weight_has_a_gradient_with_probabilities_only():
    """With class labels PyTorch's weight is a constant (its backward refuses a gradient); with probabilities
    the loss is composed of differentiable ops and the weight gets one, as in PyTorch."""
    x = mg.tensor(np.array([[0.0, 1.0], [2.0, 0.0]]), requires_grad=True)
    weight = mg.tensor([2.0, 1.0], requires_grad=True)
    mg.cross_entropy(x, np.array([[1.0, 0.0], [0.5, 0.5]]), weight, reduction="sum").backward()
    log_p = scipy.special.log_softmax(x.data, axis=1)
    np.testing.assert_allclose(weight.grad, -(np.array([[1.0, 0.0], [0.5, 0.5]]) * log_p).sum(axis=0), rtol=1e-15)
    with pytest.raises(RuntimeError, match="cross_entropy: weight has no gradient with class labels"):
        mg.cross_entropy(x, np.array([1, 0]), weight)


def test_cross_entropy_ignores_a_label_outside_the_classes():
    loss = mg.cross_entropy(mg.tensor(np.zeros((2, 4))), np.array([-100, 3]), reduction="none")
    np.testing.assert_allclose(loss.data, [0, np.log(4)])


def test_pad_takes_pytorchs_mode_before_its_value():
    """pad(x, p, "constant", 2) is PyTorch's call (pad(input, pad, mode, value)): its "constant" was
    taken as the value and refused; a mode it does not have is refused naming it."""
    x = mg.tensor(np.ones(2))
    np.testing.assert_array_equal(mg.pad(x, (1, 1), "constant", 2.0).data, [2, 1, 1, 2])
    np.testing.assert_array_equal(mg.pad(x, (1, 0), mode="constant").data, [0, 1, 1])
    for mode in ("zeros", ["constant"], None):
        with pytest.raises(ValueError, match=re.escape("pad: mode must be one of ('constant', 'reflect', 'replicate', "
                                                       f"'circular'), got {mode!r}")):
            mg.pad(x, (1, 1), mode)


@pytest.mark.parametrize("mode, widths, expected", [
    ("reflect", (2, 2), [2, 1, 0, 1, 2, 1, 0]),  # mirrored about the edge element, which is not repeated
    ("replicate", (2, 1), [0, 0, 0, 1, 2, 2]),  # the edge element repeated
    ("circular", (3, 3), [0, 1, 2, 0, 1, 2, 0, 1, 2]),  # wrapped around, once at most
])
def test_pad_modes_read_x_as_their_names_say(mode, widths, expected):
    x = mg.tensor(np.arange(3.0).reshape(1, 3), requires_grad=True)
    y = mg.pad(x, widths, mode)
    np.testing.assert_array_equal(y.data, [expected])
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(x.grad, [np.bincount(expected, minlength=3)])  # each read sends back its 1


@pytest.mark.parametrize("x_shape, widths, mode, value, message", [
    ((1, 3), (3, 0), "reflect", None, "pad: mode 'reflect' pads axis 1 of size 3 by (3, 0); its padding must be less "
                                      "than the axis size (PyTorch's rule)"),
    ((1, 3), (0, 4), "circular", None, "pad: mode 'circular' pads axis 1 of size 3 by (0, 4); its padding must be at "
                                       "most the axis size (PyTorch's rule)"),
    ((1, 3), (1, 1), "reflect", 1.5, "pad: mode 'reflect' takes no value (PyTorch's rule), got value=1.5"),
    ((3,), (1, 1), "replicate", None, "pad: mode 'replicate' pads the last 1, 2 or 3 axes of a tensor with 1 or 2 "
                                      "axes more, as PyTorch's does; got 2 pad values for a 1-D tensor"),
    ((1, 1, 2, 3), (1, 1), "circular", None, "got 2 pad values for a 4-D tensor"),
    ((1, 0, 3), (1, 1), "replicate", None, "pad: mode 'replicate' needs every axis but a batch axis nonempty "
                                           "(PyTorch's rule), got shape (1, 0, 3)"),
])
def test_pad_modes_refuse_what_pytorch_refuses_naming_it(x_shape, widths, mode, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        mg.pad(mg.tensor(np.zeros(x_shape)), widths, mode, value)
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, NotImplementedError)):
        torch.nn.functional.pad(torch.zeros(x_shape), widths, mode, value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_its_kin_take_logits_far_beyond_exps_range(dtype):
    """exp(1000) overflows: the max is subtracted first, so y and its gradients are those of the
    shifted logits, as in PyTorch (checked by hand here: one logit 1000 above the rest takes it all)."""
    logits = np.array([[1000.0, 0.0, -1000.0], [-5000.0, -5000.0, -5000.0]], dtype)
    x = mg.tensor(logits, requires_grad=True)
    np.testing.assert_array_equal(mg.softmax(x, dim=1).data, np.array([[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], dtype))
    np.testing.assert_allclose(mg.log_softmax(x, dim=1).data, [[0, -1000, -2000], [-np.log(3)] * 3], rtol=1e-6)
    loss = mg.cross_entropy(x, np.array([1, 0]))
    loss.backward()
    np.testing.assert_allclose(loss.item(), (1000 + np.log(3)) / 2, rtol=1e-6)
    np.testing.assert_allclose(x.grad, [[0.5, -0.5, 0], [-1 / 3, 1 / 6, 1 / 6]], rtol=1e-6, atol=1e-30)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64, np.bool_])
def test_float_valued_ops_of_integers_give_pytorchs_values_in_float64(name, dtype):
    """sigmoid cast its result back to the input's dtype: sigmoid of [1, 2, 3] was [0, 0, 0]. Integers
    give float64, as NumPy promotes them (PyTorch gives its default float32)."""
    torch = pytest.importorskip("torch")
    x = np.array([0, 1, 2, 3, 30] if dtype != np.bool_ else [False, True], dtype)
    out = getattr(mg, name)(mg.tensor(x))
    assert out.dtype == np.float64
    assert_close(out.data, getattr(torch, name)(torch.from_numpy(x)).double().numpy(), rtol=1e-6, atol=0, name=name)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int64, np.bool_])
def test_sign_and_abs_of_integers_and_bools_keep_the_dtype_as_pytorchs(dtype):
    """sign of a bool tensor was NumPy's UFuncTypeError ("did not contain a loop"), naming no op;
    PyTorch's gives the tensor's values."""
    torch = pytest.importorskip("torch")
    x = np.array({np.bool_: [False, True, True], np.uint8: [0, 1, 5]}.get(dtype, [-3, 0, 5]), dtype)
    ours, theirs = mg.sign(mg.tensor(x)), torch.sign(torch.from_numpy(x))
    assert str(theirs.dtype) == f"torch.{ours.dtype}"
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    if dtype != np.bool_:  # PyTorch's abs has no bool kernel
        np.testing.assert_array_equal(mg.abs(mg.tensor(x)).data, torch.abs(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "cross_entropy"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.bool_])
def test_softmax_and_its_kin_refuse_integers_naming_the_op_as_pytorch_does(name, dtype):
    """NumPy's max with its -inf start raised 'cannot convert float infinity to integer' for them."""
    x = mg.tensor(np.ones((2, 3), dtype))
    call = {"softmax": lambda: mg.softmax(x, 1), "log_softmax": lambda: mg.log_softmax(x, 1),
            "cross_entropy": lambda: mg.cross_entropy(x, np.array([0, 2]))}[name]
    with pytest.raises(TypeError, match=f"{name}: needs floating-point input, got dtype {np.dtype(dtype)}"):
        call()


@given(binary(), st.sampled_from([2.5, -1, 0, 0.5, 3]), st.sampled_from(["add", "sub"]), st.integers(0, 2**31 - 1))
def test_add_and_sub_scale_other_by_alpha_as_pytorchs(ab, alpha, name, seed):
    """alpha, PyTorch's third argument of add and sub (input + alpha other), was missing: its gradients by
    finite differences, and values and gradients against torch's."""
    fn = getattr(mg, name)
    mg.gradcheck(lambda a, b: fn(a, b, alpha=alpha), ab)
    torch = pytest.importorskip("torch")
    ours, theirs = [mg.tensor(v, requires_grad=True) for v in ab], [torch.tensor(v, requires_grad=True) for v in ab]
    y, expected = fn(*ours, alpha=alpha), getattr(torch, name)(*theirs, alpha=alpha)
    g = np.random.default_rng(seed).standard_normal(y.shape)
    y.backward(g)
    expected.backward(torch.tensor(g))
    # alpha b rounded before the sum here, perhaps fused into it in torch: subnormal results can differ
    assert_close(y.data, expected.detach().numpy(), rtol=1e-15, atol=1e-300, name="value")
    for a, t in zip(ours, theirs):  # a broadcast other's gradient: Σ g then times alpha here, torch's the other way
        assert_close(a.grad, t.grad.numpy(), rtol=1e-13, atol=1e-15, name="gradient")


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8, np.bool_])
@pytest.mark.parametrize("alpha", [1, 2, -1, 0, 2.5, 1.0, True, False])
def test_alpha_has_pytorchs_dtype_rules(dtype, alpha):
    """alpha takes no part in the result's dtype: it must fit it (no float for integers or bools, no bool
    for numbers), and is cast to it, wrapping around as PyTorch's (-1 is 255 for uint8)."""
    torch = pytest.importorskip("torch")
    a, b = np.array([0, 1, 3, 1], dtype), np.array([1, 1, 0, 2], dtype)
    try:
        expected = torch.add(torch.from_numpy(a), torch.from_numpy(b), alpha=alpha).numpy()
    except RuntimeError:
        with pytest.raises(TypeError, match=f"add: alpha {alpha!r} does not fit the {np.dtype(dtype)} result"):
            mg.add(a, b, alpha=alpha)
        return
    y = mg.add(a, b, alpha=alpha)
    assert y.dtype == expected.dtype
    np.testing.assert_array_equal(y.data, expected)


@pytest.mark.parametrize("call, message", [
    (lambda x: x.expand(3, 4, 5), r"expand: dim 1 of size 3 cannot become 4 \(only a dim of size 1 stretches\)"),
    (lambda x: x.expand(-1, 3, 4), r"expand: size -1 at dim 0 of \(-1, 3, 4\): -1 keeps an existing dim's size"),
    (lambda x: x.expand(3), "expand: 1 sizes for a 2-D tensor: give one per dim at least"),
    (lambda x: x.expand(3, -2), "expand: size -2 at dim 1"),
    (lambda x: x.repeat(2), r"repeat: sizes must be one count >= 0 per dim at least, got \(2,\) for shape \(3, 1\)"),
    (lambda x: x.repeat(-1, 2), r"repeat: sizes must be one count >= 0 per dim at least, got \(-1, 2\)"),
])
def test_expand_and_repeat_refuse_what_pytorch_refuses_naming_the_op(call, message):
    """expand and repeat were missing (ported code writes x.expand(-1, 3, -1, -1) and x.repeat(1, 3, 1, 1))."""
    with pytest.raises(ValueError, match=message):
        call(mg.tensor(np.ones((3, 1))))
    with pytest.raises(TypeError, match=r"expand: sizes must be ints, got \(3, 1.0\)"):
        mg.tensor(np.ones((3, 1))).expand(3, 1.0)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        call(torch.ones(3, 1))


@pytest.mark.parametrize("call, error, message", [
    (lambda lib, x: x.masked_fill(x > 1, lib.tensor([7.0])), ValueError,
     r"masked_fill: value must be a number or a 0-D tensor, got shape \(1,\)"),
    (lambda lib, x: x.masked_fill((x > 1).long(), 1.0), TypeError, "masked_fill: mask must be boolean"),
    (lambda lib, x: x.masked_fill(x > 1, "a"), TypeError, "masked_fill: value must be a number or a 0-D tensor, "
                                                          "got 'a'"),
    (lambda lib, x: lib.split(x, [1, 1], 1), ValueError, "split: sizes \\[1, 1\\] add up to 2, not dim 1's size 3"),
    (lambda lib, x: x.split(0, 1), ValueError, r"split: split_size must be >= 1 \(0 only for a dim of size 0\)"),
    (lambda lib, x: x.split([1, -1, 3], 1), TypeError, "split: split_size_or_sections must be an int or a list"),
    (lambda lib, x: x[0, 0].split(1), ValueError, "split: a 0-D tensor has no dim to split"),
    (lambda lib, x: x.chunk(0), ValueError, "chunk: chunks must be an int > 0, got 0"),
])
def test_masked_fill_split_and_chunk_refuse_what_pytorch_refuses_naming_the_op(call, error, message):
    """masked_fill, split and chunk were missing; their refusals are PyTorch's, with the op named."""
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(error, match=message):
        call(mg, mg.tensor(x))
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, TypeError)):
        call(torch, torch.tensor(x))


def test_split_and_chunk_cut_dim_0_by_default_and_masked_fill_takes_a_bool_as_pytorchs():
    torch = pytest.importorskip("torch")
    x = np.arange(12.0).reshape(3, 4)
    for ours, theirs in [(mg.split(x, 2), torch.split(torch.tensor(x), 2)),
                         (mg.chunk(x, 2), torch.chunk(torch.tensor(x), 2))]:
        assert [p.shape for p in ours] == [tuple(p.shape) for p in theirs] == [(2, 4), (1, 4)]
    filled = mg.tensor(x).masked_fill(x > 5, True)
    assert filled.dtype == np.float64
    np.testing.assert_array_equal(filled.data, torch.tensor(x).masked_fill(torch.tensor(x > 5), True).numpy())


@pytest.mark.parametrize("p", ["fro", 1, 2, 3, 0.5, np.inf, -np.inf, 0, -1, -2.5])
def test_norm_is_numpys_vector_norm_with_pytorchs_zero_gradient_at_zero(p):
    """norm and normalize were missing (cosine-similarity code ported from PyTorch calls them): NumPy's
    vector norms by row, and a row of zeros (and, for p < 1, a zero entry) gets gradient 0, as PyTorch's,
    where the powers' infinite slopes would make NaN; normalize divides by max(norm, eps). p = 0 counts the
    nonzero entries, and a negative p makes a row holding a 0 have norm 0 and gradient 0, as in both."""
    x = np.array([[3.0, -4.0, 0.5], [0.0, 0.0, 0.0], [1.0, 0.0, -2.0]])
    t = mg.tensor(x, requires_grad=True)
    y = mg.norm(t, p, 1)
    with np.errstate(divide="ignore"):  # NumPy's negative orders divide by the zeros
        expected = np.linalg.norm(x, 2 if p == "fro" else p, axis=1)
    assert_close(y.data, expected, rtol=1e-14, atol=0)
    y.sum().backward()
    assert not np.isnan(t.grad).any() and not t.grad[1].any()
    if p == "fro":  # normalize's default p is 2, as PyTorch's
        assert_same_bits(mg.normalize(x).data, mg.normalize(x, 2).data)
    unit = mg.normalize(x, 2 if p == "fro" else p).data
    assert_close(unit, x / np.maximum(expected[:, None], 1e-12), rtol=1e-14, atol=0)
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(x, requires_grad=True)
    theirs.norm(p, 1).sum().backward()
    assert_close(t.grad, np.zeros_like(x) if theirs.grad is None else theirs.grad.numpy(), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("call, error, message", [
    (lambda: mg.norm(np.ones(3), True), ValueError, "norm: p must be 'fro' or a real number, inf and -inf "
                                                       "included, got True"),
    (lambda: mg.norm(np.ones(3), np.nan), ValueError, "got nan"),
    (lambda: mg.norm(np.ones((2, 2)), "nuc"), ValueError, "got 'nuc'"),
    (lambda: mg.norm(np.arange(3)), TypeError, "norm: needs floating-point input, got dtype int64"),
    (lambda: mg.norm(np.ones((2, 0)), np.inf, 1), ValueError, r"norm: reducing an empty axis of shape \(2, 0\), dim 1"),
    (lambda: mg.norm(np.ones((0,)), -np.inf), ValueError, r"norm: reducing an empty axis of shape \(0,\), dim None"),
    (lambda: mg.norm(np.ones((0,)), -1), ValueError, r"norm: reducing an empty axis of shape \(0,\), dim None"),
    (lambda: mg.norm(np.ones((2, 0)), -0.5, (0, 1)), ValueError, r"norm: reducing an empty axis of shape \(2, 0\), "
                                                                 r"dim \(0, 1\)"),
    (lambda: mg.normalize(np.ones((2, 2)), dim=(0, 1)), TypeError, r"normalize: dim must be an int, got \(0, 1\)"),
    (lambda: mg.normalize(np.ones((2, 2)), eps=-1.0), ValueError, "normalize: eps must be a number >= 0, got -1.0"),
    (lambda: mg.normalize(np.ones(3)), ValueError, "normalize: dim 1 out of range for a 1-D tensor"),  # dim 1 default
])
def test_norm_and_normalize_refuse_what_they_do_not_compute(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_binary_ops_take_pytorchs_argument_names():
    """mg.add(input=x, other=y), as torch.add is called by keyword, was a TypeError (the names were a and b)."""
    x, y = np.array([1.0, 4.0]), np.array([2.0, 0.5])
    for name in ("add", "sub", "mul", "div", "remainder", "maximum", "minimum", "floor_divide"):
        assert_same_bits(getattr(mg, name)(input=x, other=y).data, getattr(mg, name)(x, y).data)
    assert_same_bits(mg.pow(input=x, exponent=y).data, (mg.tensor(x) ** y).data)
    assert_same_bits(mg.matmul(input=x, other=y).data, (mg.tensor(x) @ y).data)
    assert mg.tensor(x).add(other=y, alpha=2).tolist() == [5.0, 5.0]
    with pytest.raises(TypeError, match="add: alpha must be a number, got 'a'"):
        mg.add(x, y, alpha="a")
    with pytest.raises(TypeError, match="takes 2 positional arguments"):  # alpha by name only, as PyTorch's
        mg.add(x, y, 2)


def test_floor_division_and_remainder_follow_pytorch():
    """x // y and x % y were TypeErrors, so pool indices // W (their rows) needed .data. floor_divide
    is a constant, as PyTorch's has no gradient (its backward refuses it; here the forward does)."""
    torch = pytest.importorskip("torch")
    ints, floats = np.array([-7, -1, 0, 5, 9]), np.array([-3.5, -0.5, 0.0, 2.25, 7.0])
    for a, b in ((ints, 3), (ints, -2), (floats, 1.5), (floats, -0.75), (7, ints[ints != 0])):
        ta, tb = (torch.tensor(v) if isinstance(v, np.ndarray) else v for v in (a, b))
        ma, mb = (mg.tensor(v) if isinstance(v, np.ndarray) else v for v in (a, b))
        np.testing.assert_array_equal((ma // mb).data, (ta // tb).numpy())
        np.testing.assert_array_equal((ma % mb).data, (ta % tb).numpy())
        np.testing.assert_array_equal(mg.floor_divide(ma, mb).data, torch.floor_divide(ta, tb).numpy())
    x = mg.tensor(floats, requires_grad=True)
    with pytest.raises(RuntimeError, match="floor_divide: has no gradient"):
        x // 2
    with mg.no_grad():
        assert not (x // 2).requires_grad


@pytest.mark.parametrize("name, op", [("floor_divide", mg.floor_divide), ("remainder", mg.remainder),
                                      ("floor_divide", lambda a, b: a // b), ("remainder", lambda a, b: b.__rmod__(a))])
def test_integer_division_by_zero_is_refused_naming_the_op(name, op):
    """NumPy's integer x // 0 and x % 0 are 0 (with a warning, which the ops silence): a wrong number,
    silently. PyTorch and Python raise; so do these, naming the op and the zero. A float divisor
    keeps IEEE's inf and NaN; booleans have neither op, as in PyTorch (NumPy's result was int8)."""
    a = mg.tensor(np.array([[7, -3], [2, 9]], np.int32))
    with pytest.raises(ZeroDivisionError, match=rf"{name}: integer division by zero \(2 of the divisor's 4 elements "
                                                r"are 0, the first at index \(0, 1\)\)"):
        op(a, mg.tensor(np.array([[2, 0], [0, 4]], np.int32)))
    with pytest.raises(ZeroDivisionError, match=rf"{name}: integer division by zero \(1 of the divisor's 1 elements "
                                                r"are 0\)$"):
        op(mg.tensor(np.array([7, 3], np.uint8)), mg.tensor(np.uint8(0)))
    with pytest.raises(TypeError, match=rf"{name}: not defined for booleans, as in PyTorch"):
        op(mg.tensor([True, False]), mg.tensor([True, True]))
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(op(mg.tensor([1.0, 0.0]), mg.tensor(0)).data,
                                      [np.inf, np.nan] if name == "floor_divide" else [np.nan, np.nan])


BOOLEAN_SUBTRACTIONS = {"1 - mask": lambda m, x: 1 - m, "mask - 1": lambda m, x: m - 1, "x - mask": lambda m, x: x - m,
                        "x - True": lambda m, x: x - True, "mask.sub(mask)": lambda m, x: m.sub(m),
                        "-mask": lambda m, x: -m}


@pytest.mark.parametrize("form", BOOLEAN_SUBTRACTIONS)
def test_subtraction_and_negation_of_booleans_are_refused_as_pytorchs(form):
    """1 - mask, written for ~mask, gave NumPy's int64 0s and 1s; PyTorch refuses any - of a bool."""
    with pytest.raises(TypeError, match=r"(sub|neg): not defined for booleans, as in PyTorch; ~mask inverts a mask"):
        BOOLEAN_SUBTRACTIONS[form](mg.tensor([True, False]), mg.tensor([1.0, 2.0]))
    np.testing.assert_array_equal((~mg.tensor([True, False])).data, [False, True])
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=r"(with a bool tensor|with two bool tensors|on a bool tensor) is not"):
        BOOLEAN_SUBTRACTIONS[form](torch.tensor([True, False]), torch.tensor([1.0, 2.0]))


BOOLEAN_REFUSALS = {"relu": lambda m, lib: lib.relu(m), "abs": lambda m, lib: lib.abs(m),
                    "x.abs()": lambda m, lib: m.abs(), "abs(x)": lambda m, lib: abs(m),
                    "argmax": lambda m, lib: lib.argmax(m), "argmin": lambda m, lib: m.argmin(),
                    "matmul": lambda m, lib: m @ m, "x.matmul(m)": lambda m, lib: lib.tensor(np.ones(2)).matmul(m)}


@pytest.mark.parametrize("form", BOOLEAN_REFUSALS)
def test_ops_pytorch_refuses_for_booleans_are_refused_naming_the_op(form):
    """NumPy gave relu, abs and @ of masks as masks, and argmax of one; PyTorch refuses all of them.
    The same forms of an integer tensor still run."""
    name = form.split("(")[0].split(".")[-1]
    with pytest.raises(TypeError, match=rf"{name}: not defined for booleans, as in PyTorch; cast them first"):
        BOOLEAN_REFUSALS[form](mg.tensor([True, False]), mg)
    integers = mg.tensor([1, -2])
    assert BOOLEAN_REFUSALS[form](integers, mg).dtype in (np.int64, np.float64)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=r"(?i)bool"):
        BOOLEAN_REFUSALS[form](torch.tensor([True, False]), torch)


def test_cross_entropy_refuses_an_unknown_reduction_naming_it():
    with pytest.raises(ValueError, match="cross_entropy: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        mg.cross_entropy(mg.tensor(np.zeros((2, 3))), np.array([0, 1]), reduction="avg")


def test_integers_to_negative_integer_powers_are_refused_naming_the_op():
    """NumPy's ValueError named no op; PyTorch refuses x ** -1 for integer x too."""
    for base, exponent in ((mg.tensor([2, 3]), -1), (mg.tensor([2, 3]), np.array([1, -2])), (2, mg.tensor([-1]))):
        with pytest.raises(ValueError, match=r"pow: integers to negative integer powers are not allowed \(exponent -"):
            base ** exponent
    np.testing.assert_array_equal((mg.tensor([2, 4]) ** -1.0).data, [0.5, 0.25])


def test_getitem_selects_integers_before_arrays_as_pytorch_does():
    """x[0, :, [1, 2]] is x[0][:, [1, 2]] in PyTorch; NumPy's rule put the listed axis first: (2, 4).
    Arrays either side of an Ellipsis that spans no axis are adjacent, so their axis stays in place."""
    data = np.arange(60.0).reshape(3, 4, 5)
    x = mg.tensor(data, requires_grad=True)
    y = x[0, :, [1, 2]]
    np.testing.assert_array_equal(y.data, data[0][:, [1, 2]])
    y.backward(np.ones((4, 2)))
    picked = np.zeros((3, 4, 5))
    picked[0][:, [1, 2]] = 1
    np.testing.assert_array_equal(x.grad, picked)
    np.testing.assert_array_equal(x[np.array(1), :, [0, 0]].data, data[1][:, [0, 0]])  # a 0-D array is an int
    np.testing.assert_array_equal(x[1, :, True].data, data[1][:, None])
    assert x[1, :, False].shape == (4, 0, 5) and x[[]].shape == (0, 4, 5)  # [] picks nothing, as in PyTorch
    np.testing.assert_array_equal(x[:, [0, 1], ..., [0, 2]].data, data[:, [0, 1], [0, 2]])
    assert x[:, [0, 1], ..., [0, 2]].shape == (3, 2)


def test_a_mask_over_two_axes_leaves_the_ellipsis_the_others():
    """A 2-D mask beside an Ellipsis covers two axes, so the Ellipsis spans one less."""
    data = np.arange(60.0).reshape(3, 4, 5)
    rows, last_two = np.isin(np.arange(12), [1, 10]).reshape(3, 4), np.isin(np.arange(20), [3, 17]).reshape(4, 5)
    for index, shape in (((..., last_two), (3, 2)), ((rows, ...), (2, 5)), ((None, rows, ...), (1, 2, 5))):
        x = mg.tensor(data, requires_grad=True)
        y = x[index]
        np.testing.assert_array_equal(y.data, data[index])
        assert y.shape == shape
        y.backward(np.ones(shape))
        picked = np.zeros((3, 4, 5))
        picked[index] = 1
        np.testing.assert_array_equal(x.grad, picked)


TENSOR_INDICES = {  # index(x) -> an index holding tensors, as PyTorch code writes them
    "mask from x": lambda x: x > 0,
    "int rows": lambda x: mg.tensor(np.array([1, 0, 1])),
    "0-d int": lambda x: mg.tensor(np.array(1)),
    "two int tensors": lambda x: (mg.tensor(np.array([1, 0])), mg.tensor(np.array([2, 2]))),
    "slice and column mask": lambda x: (slice(None), mg.tensor(np.array([True, False, True]))),
    "int, slice, int tensor": lambda x: (1, slice(None), mg.tensor(np.array([1, 0]))),  # PyTorch's order: (3, 2)
}


@pytest.mark.parametrize("exponent", [True, False, np.True_, np.False_])
def test_booleans_to_a_boolean_power_stay_booleans_as_pytorchs(exponent):
    """mask ** True was NumPy's int8 1s and 0s; PyTorch's is the mask (and mask ** False all True)."""
    mask = np.array([True, False])
    ours = mg.tensor(mask) ** exponent
    assert ours.dtype == np.bool_ and ours.data.tolist() == [True, not exponent]
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(mask) ** bool(exponent)
    assert theirs.dtype == torch.bool and theirs.tolist() == ours.data.tolist()


BOOLEAN_POWERS = {  # (ours, torch's): a boolean to a boolean power that is not a number
    "mask ** mask": (lambda m, mask: mask ** mask, lambda t, mask: mask ** mask),
    "mask.pow(mask)": (lambda m, mask: mask.pow(mask), lambda t, mask: mask.pow(mask)),
    "pow(mask, mask)": (lambda m, mask: m.pow(mask, mask), lambda t, mask: t.pow(mask, mask)),
    "True ** mask": (lambda m, mask: True ** mask, lambda t, mask: True ** mask),
    "mask ** 0-d mask": (lambda m, mask: mask ** m.tensor(np.array(True)), lambda t, mask: mask ** t.tensor(True)),
}


@pytest.mark.parametrize("form", BOOLEAN_POWERS)
def test_a_boolean_to_a_boolean_tensors_power_is_refused_as_pytorch_refuses_it(form):
    """mask ** mask was a mask (NumPy's result); PyTorch raises, and only a number exponent keeps booleans."""
    ours, theirs = BOOLEAN_POWERS[form]
    mask = np.array([True, False])
    with pytest.raises(TypeError, match="pow: not defined for a boolean base and exponent, as in PyTorch"):
        ours(mg, mg.tensor(mask))
    of_integers = ours(mg, mg.tensor(mask.astype(np.int64)))  # integers are taken
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="not implemented for 'Bool'"):
        theirs(torch, torch.tensor(mask))
    np.testing.assert_array_equal(of_integers.data, theirs(torch, torch.tensor(mask.astype(np.int64))).numpy())


@pytest.mark.parametrize("exponent", [[True, False], (True,), np.array([True, False])], ids=["list", "tuple", "array"])
def test_a_boolean_to_a_power_of_booleans_that_is_not_a_number_is_refused(exponent):
    """A list exponent slipped past the refusal above, which looked for tensors and arrays, and gave a mask;
    PyTorch takes no list exponent at all, and no boolean tensor exponent of a boolean base."""
    with pytest.raises(TypeError, match="pow: not defined for a boolean base and exponent"):
        mg.tensor(np.array([True, False])) ** exponent
    assert (mg.tensor(np.array([1, 0])) ** exponent).dtype.kind == "i"  # an integer base takes it


def test_getitem_and_cat_errors_name_the_op_and_the_shapes():
    """NumPy's IndexError and ValueError named neither the op nor the tensors' shapes."""
    x = mg.tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds .* \(shape \(2, 3\), index \(0, 5\)\)"):
        x[0, 5]
    with pytest.raises(ValueError, match=r"concatenate: .* \(shapes \[\(2, 3\), \(2, 2\)\]\)"):
        mg.cat([x, mg.tensor(np.ones((2, 2)))])


def test_a_floating_point_index_is_refused():
    """A floating-point index is an IndexError naming the op, in getitem and setitem, for an array and a
    tensor, as PyTorch refuses a float tensor, and for a list, which PyTorch truncates (x[[0.5, 1.7]]
    is its x[[0, 1]]); only an empty list becomes an integer index. (No test had tried: a mutant that
    cast every array index to integers passed.)"""
    x = mg.tensor(np.arange(4.0))
    for index in ([0.0, 1.0], np.array([1.5]), mg.tensor([1.0])):
        with pytest.raises(IndexError, match="getitem: arrays used as indices must be of integer"):
            x[index]
        with pytest.raises(IndexError, match="setitem: arrays used as indices must be of integer"):
            x[index] = 1.0
    assert x[[]].shape == (0,) and np.array_equal(x.data, np.arange(4.0))


@pytest.mark.parametrize("name", TENSOR_INDICES)
def test_a_tensor_in_an_index_means_its_array_as_in_pytorch(name):
    """x[x > 0] and x[x > 0] = 0, PyTorch's idioms: getitem and setitem index with the tensors'
    arrays, in PyTorch's order. (No test had indexed with a tensor.)"""
    data = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])[..., None] * [1.0, -0.5]  # (2, 3, 2)

    def unwrapped(index):  # the same index, each tensor in it replaced by its array
        entries = index if isinstance(index, tuple) else (index,)
        return tuple(e.data if isinstance(e, mg.Tensor) else e for e in entries)

    results = {}
    for form in ("tensors", "arrays"):
        x = mg.tensor(data, requires_grad=True)
        index = TENSOR_INDICES[name](x) if form == "tensors" else unwrapped(TENSOR_INDICES[name](x))
        y = x[index]
        y.backward(np.arange(1.0, y.numel() + 1).reshape(y.shape))
        written = mg.tensor(data)
        written[index] = 9.0
        results[form] = y.data, x.grad, written.data
    for ours, same in zip(results["tensors"], results["arrays"]):
        np.testing.assert_array_equal(ours, same)
    entries = unwrapped(TENSOR_INDICES[name](mg.tensor(data)))
    torch = pytest.importorskip("torch")
    t, index = torch.tensor(data, requires_grad=True), tuple(
        torch.from_numpy(e) if isinstance(e, np.ndarray) else e for e in entries)
    y = t[index]
    y.backward(torch.arange(1.0, y.numel() + 1, dtype=t.dtype).reshape(y.shape))
    written = torch.tensor(data)
    written[index] = 9.0
    for ours, theirs in zip(results["tensors"], (y.detach(), t.grad, written)):
        np.testing.assert_array_equal(ours, theirs.numpy())


@given(getitem_case(), st.integers(0, 2**31 - 1))
def test_setitem_writes_where_getitem_reads_as_pytorchs_does(case, seed):
    """x[index] = value, as PyTorch code writes it (under no_grad for a parameter), was a TypeError."""
    (x,), index = case[0], case[1]["index"]
    positions = mg.tensor(np.arange(x.size).reshape(x.shape))[index].data  # where getitem reads, flat
    value = np.random.default_rng(seed).standard_normal(positions.shape)
    ours = mg.tensor(x)
    ours[index] = mg.tensor(value)
    expected = x.copy().reshape(-1)
    expected[positions.reshape(-1)] = value.reshape(-1)  # a repeated position keeps the last value, as NumPy
    np.testing.assert_array_equal(ours.data, expected.reshape(x.shape))
    torch = pytest.importorskip("torch")
    entries = index if isinstance(index, tuple) else (index,)
    if len(np.unique(positions)) == positions.size and not any(  # torch: no negative steps; repeats in any order
            isinstance(e, slice) and e.step is not None and e.step < 0 for e in entries):
        theirs = torch.tensor(x)
        theirs[tuple(torch.from_numpy(e) if isinstance(e, np.ndarray) else e for e in entries)] = torch.tensor(value)
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_setitem_is_refused_for_a_tensor_that_requires_a_gradient_as_in_pytorch():
    w = mg.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"setitem: an in-place change of a tensor that requires a gradient"):
        w[0] = 2.0
    with mg.no_grad():
        w[[0, 2]] = mg.tensor([5.0, 6.0])
    assert w.tolist() == [5.0, 1.0, 6.0]
    with pytest.raises(ValueError, match=r"setitem: could not broadcast .* \(shape \(2, 3\), index 0\)"):
        mg.tensor(np.ones((2, 3)))[0] = np.ones(2)


def test_gather_refuses_bad_indices_naming_the_op():
    x = mg.tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match=r"gather: index values must be in \[0, 3\) for dim 1"):
        mg.gather(x, 1, np.array([[3]]))
    with pytest.raises(IndexError, match=r"gather: index values must be in \[0, 3\)"):
        mg.gather(x, 1, np.array([[-1]]))
    with pytest.raises(ValueError, match=r"gather: index of shape \(3, 1\) must have x's 2 dims and be no larger"):
        mg.gather(x, 1, np.zeros((3, 1), int))
    with pytest.raises(TypeError, match="gather: index must hold integers"):
        mg.gather(x, 1, np.zeros((1, 1)))
    with pytest.raises(TypeError, match=r"gather: dim must be an int, got \(1, 0\)"):  # it gathered along dim 0
        mg.gather(x, (1, 0), np.array([[0], [2]]))


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(data=st.data())
def test_relu_numba_equals_reference_bit_for_bit(dtype, data):
    """The fused ReLU kernels against np.maximum and np.where(y <= 0, 0, g), NaN, infinities and signed zeros
    included, down to the sign of NaN; a transposed input takes the reference path on both."""
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    specials = st.sampled_from([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0])  # arrays() draws them rarely
    floats = specials | st.floats(width=np.finfo(dtype).bits)
    x, g = (data.draw(hnp.arrays(dtype, shape, elements=floats)) for _ in range(2))
    if data.draw(st.booleans()):
        x, g = x.T, g.T
    results = {}
    for name in ("numpy", "numba"):
        with backend.use_backend(name), np.errstate(invalid="ignore"):
            t = mg.tensor(x, requires_grad=True)
            y = mg.relu(t)
            y.backward(g)
            results[name] = (y.data, t.grad)
    for e, a, name in zip(results["numpy"], results["numba"], ("y", "grad")):
        assert e.dtype == dtype
        assert_same_bits(a, e, name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@given(data=st.data())
def test_erf_numba_kernel_equals_the_reference_bit_for_bit_and_both_are_scipys(dtype, data):
    """NumPy has no erf: the reference maps math.erf over x, the numba kernel runs the same C erf in float64;
    both round once to x's dtype, so they agree to the bit, and with scipy's erf (cephes's) to 2 ulp. A transposed
    input runs the kernel on a C-ordered copy; float16 takes the reference on both backends."""
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
    specials = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, float(np.finfo(dtype).tiny), -6.0])
    x = data.draw(hnp.arrays(dtype, shape, elements=specials | st.floats(width=np.finfo(dtype).bits)))
    if data.draw(st.booleans()):
        x = x.T
    results = {}
    for name in ("numpy", "numba") if backend.numba_available() else ("numpy",):
        with backend.use_backend(name):
            results[name] = ops._erf(x)
    for name, y in results.items():
        assert y.shape == x.shape
        assert_same_bits(y, results["numpy"], f"erf on {name}")
    finfo = np.finfo(dtype)
    assert_close(results["numpy"], scipy.special.erf(x).astype(dtype), rtol=2 * finfo.eps,
                 atol=finfo.smallest_subnormal, name="erf against scipy")


BOOL_DIMS = {  # name: (ours, torch's), each given True (or a tuple holding it) where a dim belongs
    "sum": (lambda m, x: m.sum(x, dim=True), lambda t, x: t.sum(x, dim=True)),
    "mean": (lambda m, x: m.mean(x, True), lambda t, x: t.mean(x, True)),
    "amax": (lambda m, x: m.amax(x, True), lambda t, x: t.amax(x, True)),
    "max": (lambda m, x: m.max(x, True), lambda t, x: t.max(x, True)),
    "argmax": (lambda m, x: m.argmax(x, True), lambda t, x: t.argmax(x, True)),
    "softmax": (lambda m, x: m.softmax(x, True), lambda t, x: t.softmax(x, True)),
    "log_softmax": (lambda m, x: m.log_softmax(x, True), lambda t, x: t.log_softmax(x, True)),
    "squeeze": (lambda m, x: m.squeeze(x, True), lambda t, x: t.squeeze(x, True)),
    "flatten": (lambda m, x: m.flatten(x, True), lambda t, x: t.flatten(x, True)),
    "permute": (lambda m, x: m.permute(x, (True, 0, 2)), lambda t, x: t.permute(x, (True, 0, 2))),
    "flip": (lambda m, x: m.flip(x, (True,)), lambda t, x: t.flip(x, (True,))),
    "cat": (lambda m, x: m.cat([x, x], True), lambda t, x: t.cat([x, x], True)),
    "stack": (lambda m, x: m.stack([x, x], True), lambda t, x: t.stack([x, x], True)),
    "pad": (lambda m, x: m.pad(x, (True, 0)), lambda t, x: t.nn.functional.pad(x, (True, 0))),
    "reshape": (lambda m, x: m.reshape(x, (True, -1)), lambda t, x: t.reshape(x, (True, -1))),
    "view": (lambda m, x: x.view(True, 24), lambda t, x: x.view(True, 24)),
}


@pytest.mark.parametrize("name", BOOL_DIMS)
def test_a_bool_is_not_a_dim_as_in_pytorch(name):
    """Each counted True as dim 1 (x.sum(True), meant as keepdim, summed axis 1) and ran; PyTorch refuses them."""
    ours, theirs = BOOL_DIMS[name]
    x = np.arange(24.0).reshape(2, 3, 4)
    with pytest.raises((TypeError, ValueError), match=r"(dim|dims|pad|shape) must be"):
        ours(mg, mg.tensor(x))
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        theirs(torch, torch.tensor(x))


ONE_AXIS = {  # the call, and the argument its error names
    "softmax": (lambda lib, x, dim: lib.softmax(x, dim), "dim"),
    "log_softmax": (lambda lib, x, dim: lib.log_softmax(x, dim), "dim"),
    "flatten": (lambda lib, x, dim: lib.flatten(x, dim), "start_dim"),
    "flatten to": (lambda lib, x, dim: lib.flatten(x, 0, dim), "end_dim"),
}


@pytest.mark.parametrize("name", ONE_AXIS)
@pytest.mark.parametrize("dim", [(0, 1), (-1, 0), [1], None])
def test_ops_along_one_axis_refuse_a_tuple_or_none_as_pytorch_does(name, dim):
    """softmax over dim (0, 1) or None ran over those axes, where PyTorch has no such call;
    flatten(x, (-1, 0)) merged from axis 0, the tuple's smallest."""
    call, argument = ONE_AXIS[name]
    x = np.arange(24.0).reshape(2, 3, 4)
    with pytest.raises(TypeError, match=rf"{name.split()[0]}: {argument} must be an int, got {re.escape(repr(dim))}"):
        call(mg, mg.tensor(x), dim)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        call(torch, torch.tensor(x), dim)


@pytest.mark.parametrize("name", ["var", "std"])
def test_var_and_std_are_numpys_with_the_correction_given_as_pytorch_gives_it(name):
    """var and std were missing (normalisation code ported from PyTorch calls them): NumPy's, with ddof the
    correction, given as PyTorch takes it (unbiased=True or False, or correction=c, 1 by default), and
    positional arguments in PyTorch's order: dim, unbiased, keepdim."""
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    fn = getattr(mg, name)
    for args, kwargs, ddof in [((), {}, 1), ((1,), {"correction": 0}, 0), ((1, False), {}, 0),
                               (((0, 2), True, True), {}, 1), ((-1,), {"correction": 2.5}, 2.5),
                               ((), {"axis": 0, "keepdims": True}, 1), ((), {"dim": (), "correction": -1}, -1),
                               ((False,), {}, 0), ((True,), {}, 1)]:  # PyTorch's var(x, unbiased): every dim
        dim = args[0] if args and not isinstance(args[0], bool) else kwargs.get("axis", kwargs.get("dim"))
        keepdim = args[2] if len(args) > 2 else kwargs.get("keepdims", False)
        expected = getattr(np, name)(x, axis=None if dim == () else dim, ddof=ddof, keepdims=keepdim)
        assert_close(fn(mg.tensor(x), *args, **kwargs).data, expected, rtol=1e-12, name=f"{name}{args}{kwargs}")
    # no more values than the correction: divided by 0, as PyTorch divides (NumPy warns and divides by n - c)
    assert np.isnan(fn(np.array([3.0])).item()) and fn(np.array([1.0, 2.0]), correction=3).item() == np.inf
    for call, message in [(lambda: fn(x, 1, 1), f"{name}: unbiased must be True or False, got 1"),
                          (lambda: fn(x, unbiased=True, correction=1), f"{name}: give unbiased or correction, not both"),
                          (lambda: fn(x, correction="1"), f"{name}: correction must be a number, got '1'"),
                          (lambda: fn(x, 0, True, 1), f"{name}: keepdim must be True or False, got 1"),
                          (lambda: fn(x, True, True), rf"{name}: {name}\(x, True\) is PyTorch's {name}\(x, "
                                                      r"unbiased=True\), which takes no other setting"),
                          (lambda: fn(np.arange(3)), f"{name}: needs floating-point input, got dtype int64")]:
        with pytest.raises(TypeError, match=message):
            call()


def test_std_at_equal_values_has_pytorchs_zero_gradient():
    """√'s gradient at 0 is infinite, and 0 · ∞ would make the gradient of a slice of equal values NaN;
    PyTorch gives 0 there, and so does std. Elsewhere the gradient is (x - mean) / ((n - c) std)."""
    x = mg.tensor(np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]), requires_grad=True)
    y = mg.std(x, 1)
    y.backward(np.ones(2))
    row = x.data[1]
    assert y.data[0] == 0.0
    np.testing.assert_array_equal(x.grad[0], np.zeros(3))
    np.testing.assert_allclose(x.grad[1], (row - row.mean()) / (2 * y.data[1]), rtol=1e-14)
    torch = pytest.importorskip("torch")
    t = torch.tensor(x.data, requires_grad=True)
    torch.std(t, 1).sum().backward()
    assert_close(x.grad, t.grad.numpy(), rtol=1e-14, atol=0)


def test_logsumexp_is_scipys_far_beyond_exps_range_with_softmax_as_gradient():
    """logsumexp was missing: scipy.special.logsumexp's values where exp overflows or every term is 0
    (a row of -inf gives -inf), and the gradient softmax(x) · g."""
    special = pytest.importorskip("scipy.special")
    x = np.array([[1000.0, 999.0, -1000.0], [-np.inf, -np.inf, -np.inf], [0.5, -0.5, 2.0]])
    t = mg.tensor(x, requires_grad=True)
    y = mg.logsumexp(t, 1)
    assert_close(y.data, special.logsumexp(x, axis=1), rtol=1e-15, atol=0)
    g = np.array([2.0, 0.0, -1.0])
    y.backward(g)
    finite = np.isfinite(y.data)
    np.testing.assert_allclose(t.grad[finite], (special.softmax(x[finite], axis=1) * g[finite, None]), rtol=1e-14)
    assert mg.logsumexp(np.arange(4), 0).dtype == np.float64  # integers in float64, as exp's


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_normalizes_by_the_batch_in_training_and_by_the_running_statistics_after(dtype):
    """batch_norm was missing: in training each channel's values have mean 0 and (biased) variance v / (v + eps)
    before γ and β, and the running statistics move by momentum toward the batch's mean and unbiased variance,
    in place (a buffer's tensor keeps its identity); out of training they normalize instead."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((4, 3, 2, 2)) * [[[[1.0]], [[3.0]], [[0.5]]]] + 2.0).astype(dtype)
    weight, bias = np.array([1.0, 2.0, -1.0], dtype), np.array([0.0, 0.5, 3.0], dtype)
    mean0, var0 = np.array([0.5, -1.0, 0.0], dtype), np.array([1.0, 2.0, 0.5], dtype)
    running_mean, running_var = mg.tensor(mean0), mean0 * 0 + var0  # a tensor and an array: both updated in place
    kept = running_mean.data
    y = mg.batch_norm(x, running_mean, running_var, weight, bias, True, 0.25, 1e-3).data
    x_hat = (y - bias[:, None, None]) / weight[:, None, None]
    v = np.var(x.astype(np.float64), axis=(0, 2, 3))
    tolerance = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    assert_close(x_hat.mean(axis=(0, 2, 3)), np.zeros(3), **tolerance)
    assert_close(x_hat.var(axis=(0, 2, 3)), v / (v + 1e-3), **tolerance)
    assert running_mean.data is kept and running_mean.dtype == running_var.dtype == dtype
    assert_close(running_mean.data, 0.75 * mean0 + 0.25 * x.mean(axis=(0, 2, 3)), **tolerance)
    assert_close(running_var, 0.75 * var0 + 0.25 * np.var(x, axis=(0, 2, 3), ddof=1), **tolerance)
    stats = running_mean.data.copy(), running_var.copy()
    y = mg.batch_norm(x, running_mean, running_var, weight, bias, eps=1e-3).data  # training=False, PyTorch's default
    expected = (x - stats[0][:, None, None]) / np.sqrt(stats[1][:, None, None] + 1e-3) * weight[:, None, None]
    assert_close(y, expected + bias[:, None, None], **tolerance)
    np.testing.assert_array_equal(running_mean.data, stats[0])  # out of training they stay
    assert y.dtype == dtype and mg.batch_norm(x.astype(np.float64), None, None, training=True).dtype == np.float64


def test_batch_norm_defaults_are_pytorchs():
    """momentum 0.1 and eps 1e-5 by default, as F.batch_norm's; values small enough for eps to show."""
    x = np.random.default_rng(0).standard_normal((4, 3, 2)) * 0.01
    stats = [(np.zeros(3), np.ones(3)) for _ in range(3)]
    y = mg.batch_norm(x, *stats[0], training=True)
    assert_same_bits(y.data, mg.batch_norm(x, *stats[1], training=True, momentum=0.1, eps=1e-5).data)
    for a, b in zip(stats[0], stats[1]):
        assert_same_bits(a, b)
    torch = pytest.importorskip("torch")
    theirs = [torch.from_numpy(s) for s in stats[2]]
    assert_close(y.data, torch.nn.functional.batch_norm(torch.from_numpy(x), *theirs, training=True).numpy(),
                 rtol=1e-12, atol=0)
    for a, b in zip(stats[0], theirs):
        assert_close(a, b.numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("call, error, message", [
    (lambda x, m, v: mg.batch_norm(x[0, 0, 0], m, v), ValueError, r"input must be \(N, C, ...\), channels along "
                                                                  r"dim 1, got shape \(2,\)"),
    (lambda x, m, v: mg.batch_norm(x[:1, :, :1, :1], m, v, training=True), ValueError,
     r"training needs more than 1 value per channel, got input shape \(1, 3, 1, 1\)"),
    (lambda x, m, v: mg.batch_norm(x, m[:2], v, training=True), ValueError,
     r"running_mean must hold 3 floating-point values, one per channel, got shape \(2,\)"),
    (lambda x, m, v: mg.batch_norm(x, m, v.astype(np.int64), training=True), ValueError,
     r"running_var must hold 3 floating-point values, one per channel, got shape \(3,\) and dtype int64"),
    (lambda x, m, v: mg.batch_norm(x, m, list(v), training=True), TypeError,
     "running_var must be a tensor, an array or None, got list"),
    (lambda x, m, v: mg.batch_norm(x, m, None, training=True), ValueError, "give running_mean and running_var both, or "
                                                                           "neither"),
    (lambda x, m, v: mg.batch_norm(x, None, None), ValueError, "out of training it normalizes by running_mean and "
                                                               "running_var; got None"),
    (lambda x, m, v: mg.batch_norm(x, m, v, np.ones(4), training=True), ValueError,
     r"weight must have one value per channel, shape \(3,\), got \(4,\)"),
    (lambda x, m, v: mg.batch_norm(x, m, v, None, np.ones((3, 1)), training=True), ValueError, "bias must have"),
    (lambda x, m, v: mg.batch_norm(x, m, v, training=1), TypeError, "training must be True or False, got 1"),
    (lambda x, m, v: mg.batch_norm(x, m, v, training=True, momentum=-0.1), ValueError,
     "momentum must be a number >= 0, got -0.1"),
    (lambda x, m, v: mg.batch_norm(x, m, v, training=True, eps=float("nan")), ValueError, "eps must be a number >= 0"),
    (lambda x, m, v: mg.batch_norm(x.astype(np.int64), m, v), TypeError, "needs floating-point input, got dtype int64"),
])
def test_batch_norm_refuses_bad_input_before_moving_the_running_statistics(call, error, message):
    x = np.random.default_rng(0).standard_normal((2, 3, 2, 2))
    running_mean, running_var = np.zeros(3), np.ones(3)
    with pytest.raises(error, match=f"batch_norm: {message}"):
        call(x, running_mean, running_var)
    assert running_mean.tolist() == [0.0] * 3 and running_var.tolist() == [1.0] * 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_and_group_norm_normalize_each_sample_over_their_dims(dtype):
    """layer_norm and group_norm were missing: before γ and β, each sample's values over the last dims
    (layer_norm) or over each group of channels and the spatial dims (group_norm) have mean 0 and biased
    variance v / (v + eps); γ and β are then applied per normalized element or per channel."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 4, 5)) * rng.uniform(0.5, 3, (3, 1, 1)) + rng.standard_normal((3, 1, 1)))
    x = x.astype(dtype)
    tolerance = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    weight, bias = rng.uniform(0.5, 2, (4, 5)).astype(dtype), rng.standard_normal((4, 5)).astype(dtype)
    y = mg.layer_norm(x, (4, 5), weight, bias, eps=1e-2).data
    x_hat, v = (y - bias) / weight, np.var(x.astype(np.float64), axis=(1, 2))
    assert_close(x_hat.mean(axis=(1, 2)), np.zeros(3), **tolerance)
    assert_close(x_hat.var(axis=(1, 2)), v / (v + 1e-2), **tolerance)
    assert_close(mg.layer_norm(x, 5).data, mg.layer_norm(x, [5], np.ones(5, dtype), np.zeros(5, dtype)).data)
    weight, bias = weight[:, 0], bias[:, 0]
    y = mg.group_norm(x, 2, weight, bias, eps=1e-2).data
    x_hat = ((y - bias[:, None]) / weight[:, None]).reshape(3, 2, 10)
    v = np.var(x.astype(np.float64).reshape(3, 2, 10), axis=2)
    assert_close(x_hat.mean(axis=2), np.zeros((3, 2)), **tolerance)
    assert_close(x_hat.var(axis=2), v / (v + 1e-2), **tolerance)
    assert y.dtype == dtype and mg.layer_norm(x, 5).dtype == mg.group_norm(x, 4).dtype == dtype


def test_layer_norm_and_group_norm_defaults_are_pytorchs():
    """eps 1e-5 by default, as PyTorch's; values small enough for eps to show."""
    x = np.random.default_rng(0).standard_normal((2, 4, 3)) * 0.01
    assert_same_bits(mg.layer_norm(x, 3).data, mg.layer_norm(x, 3, None, None, 1e-5).data)
    assert_same_bits(mg.group_norm(x, 2).data, mg.group_norm(x, 2, None, None, 1e-5).data)
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(x)
    assert_close(mg.layer_norm(x, 3).data, torch.nn.functional.layer_norm(t, (3,)).numpy(), rtol=1e-12, atol=0)
    assert_close(mg.group_norm(x, 2).data, torch.nn.functional.group_norm(t, 2).numpy(), rtol=1e-12, atol=0)


def test_layer_norm_and_group_norm_of_nothing_are_empty_as_pytorchs():
    """Dims of size 0, normalized or not, give an empty result and gradient, without NumPy's warnings of
    empty means (0 / 0 statistics that no value uses), as PyTorch's."""
    for y, shape in [(lambda x: mg.layer_norm(x, (0,), np.ones(0), np.zeros(0)), (2, 0)),
                     (lambda x: mg.layer_norm(x, (3, 0)), (2, 3, 0)), (lambda x: mg.layer_norm(x, 3), (0, 3)),
                     (lambda x: mg.nn.LayerNorm(0).double()(x), (4, 0)), (lambda x: mg.group_norm(x, 2), (0, 4, 3)),
                     (lambda x: mg.group_norm(x, 2, np.ones(4)), (2, 4, 0))]:
        x = mg.tensor(np.ones(shape), requires_grad=True)
        out = y(x)
        out.backward(np.ones(shape))
        assert out.shape == x.grad.shape == shape


@pytest.mark.parametrize("call, error, message", [
    (lambda x: mg.layer_norm(x, ()), ValueError, r"layer_norm: normalized_shape must be an int or a non-empty tuple "
                                                 r"or list of ints >= 0, got \(\)"),
    (lambda x: mg.layer_norm(x, (-1,)), ValueError, r"layer_norm: normalized_shape must be .* got \(-1,\)"),
    (lambda x: mg.layer_norm(x, (3.0,)), ValueError, r"layer_norm: normalized_shape must be .* got \(3.0,\)"),
    (lambda x: mg.layer_norm(x, (4,)), ValueError, r"layer_norm: normalized_shape \(4,\) must be the input's last "
                                                   r"dims, got input shape \(2, 4, 3\)"),
    (lambda x: mg.layer_norm(x, (1, 2, 4, 3)), ValueError, "layer_norm: normalized_shape .* must be the input's last"),
    (lambda x: mg.layer_norm(x, 3, np.ones(4)), ValueError, r"layer_norm: weight must have normalized_shape, \(3,\), "
                                                            r"got \(4,\)"),
    (lambda x: mg.layer_norm(x, 3, None, np.ones((1, 3))), ValueError, "layer_norm: bias must have"),
    (lambda x: mg.layer_norm(x, 3, eps=-1e-5), ValueError, "layer_norm: eps must be a number >= 0, got -1e-05"),
    (lambda x: mg.layer_norm(x.astype(np.int64), 3), TypeError, "layer_norm: needs floating-point input"),
    (lambda x: mg.group_norm(x[0, 0], 1), ValueError, r"group_norm: input must be \(N, C, ...\), channels along dim 1, "
                                                      r"got shape \(3,\)"),
    (lambda x: mg.group_norm(x, 3), ValueError, "group_norm: num_groups must be an int >= 1 dividing the 4 channels, "
                                                "got 3"),
    (lambda x: mg.group_norm(x, 0), ValueError, "group_norm: num_groups must be an int >= 1 dividing"),
    (lambda x: mg.group_norm(x, 2.0), ValueError, "group_norm: num_groups must be an int >= 1 dividing"),
    (lambda x: mg.group_norm(x, True), ValueError, "group_norm: num_groups must be an int >= 1 dividing"),
    (lambda x: mg.group_norm(x, 2, np.ones(3)), ValueError, r"group_norm: weight must have one value per channel, "
                                                            r"shape \(4,\), got \(3,\)"),
    (lambda x: mg.group_norm(x, 2, eps=float("nan")), ValueError, "group_norm: eps must be a number >= 0"),
    (lambda x: mg.group_norm(x.astype(bool), 2), TypeError, "group_norm: needs floating-point input"),
])
def test_layer_norm_and_group_norm_refuse_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call(np.random.default_rng(0).standard_normal((2, 4, 3)))


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64, np.bool_])
def test_square_of_integers_and_bools_has_pytorchs_dtype(dtype):
    """As PyTorch's: integers keep their dtype (uint8 wraps around), and bools square to int64."""
    x = np.array([0, 1, 1, 0] if dtype == np.bool_ else [0, 3, 17, 100], dtype)
    y = mg.square(x)
    assert y.dtype == (np.int64 if dtype == np.bool_ else dtype)
    np.testing.assert_array_equal(y.data, (x.astype(y.dtype) * x.astype(y.dtype)))
    torch = pytest.importorskip("torch")
    assert str(torch.square(torch.from_numpy(x)).dtype) == f"torch.{y.dtype}"
    np.testing.assert_array_equal(y.data, torch.square(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64, np.bool_])
def test_prod_and_cumsum_of_integers_and_bools_are_int64_as_pytorchs(dtype):
    """NumPy's prod and cumsum of uint8 are uint64; PyTorch's, and these, are int64 (values past uint8's range)."""
    x = np.array([[1, 0, 1], [1, 1, 1]] if dtype == np.bool_ else [[3, 5, 0], [20, 30, 2]], dtype)
    for y, expected in [(mg.prod(x), np.prod(x.astype(np.int64))), (mg.prod(x, 1), np.prod(x.astype(np.int64), 1)),
                        (mg.cumsum(x, 1), np.cumsum(x.astype(np.int64), 1)), (mg.cumsum(x[0, 0], 0), x[0, 0])]:
        assert y.dtype == np.int64
        np.testing.assert_array_equal(y.data, expected)


@pytest.mark.parametrize("name", ["any", "all"])
def test_any_and_all_are_pytorchs(name):
    """any and all were missing: PyTorch's over drawn dims (None every dim, () none, as PyTorch's; a tuple),
    with NaN counted as nonzero, empty dims, bools and uint8 (whose result is uint8, as PyTorch's)."""
    torch = pytest.importorskip("torch")

    @given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
                      elements=st.integers(0, 2)), st.sampled_from([np.float64, np.int64, np.uint8, np.bool_]),
           st.data())
    def check(codes, dtype, data):
        x = np.where(codes == 2, np.nan, codes) if dtype == np.float64 else codes.astype(dtype)
        ndim = max(x.ndim, 1)
        dim = data.draw(st.none() | st.integers(-ndim, ndim - 1) | st.lists(st.integers(0, ndim - 1), unique=True)
                        .map(tuple))
        keepdim = dim is not None and data.draw(st.booleans())
        ours = getattr(mg, name)(x, dim, keepdim)
        t = torch.from_numpy(x)
        theirs = getattr(torch, name)(t) if dim is None else getattr(torch, name)(t, dim, keepdim)
        assert str(theirs.dtype) == f"torch.{ours.dtype}" and not ours.requires_grad
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        if isinstance(dim, int):  # keepdim False by default, as torch's
            np.testing.assert_array_equal(getattr(mg, name)(x, dim).data, getattr(torch, name)(t, dim).numpy())
    check()


def test_prods_gradient_is_the_product_of_the_others_at_zeros_too():
    """y / x, the usual shortcut, is 0 / 0 at a zero; the gradient there is the product of the other elements,
    and 0 everywhere in a slice with two zeros. Checked by the definition, without torch."""
    x = mg.tensor(np.array([[2.0, 0.0, 3.0, -1.0], [0.0, 5.0, 0.0, 2.0], [1.5, 2.0, -4.0, 0.5]]), requires_grad=True)
    mg.prod(x, 1).backward(np.array([1.0, 1.0, 2.0]))
    expected = [[0.0, -6.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [2 * -4.0, 2 * -3.0, 2 * 1.5, 2 * -12.0]]
    np.testing.assert_array_equal(x.grad, expected)
    x.grad = None
    mg.prod(x[0]).backward()
    np.testing.assert_array_equal(x.grad[0], [0.0, -6.0, 0.0, 0.0])


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin", "logsumexp"])
def test_keepdim_is_true_or_false_as_in_pytorch(name):
    """x.sum(0, 1), meant as dims 0 and 1, kept dim 0 instead (1 counted as keepdim=True); PyTorch refuses it."""
    x = np.arange(24.0).reshape(2, 3, 4)
    for call in (lambda m, t: getattr(t, name)(0, 1), lambda m, t: getattr(m, name)(t, 0, keepdim=1),
                 lambda m, t: getattr(m, name)(t, dim=0, keepdims=None)):
        with pytest.raises(TypeError, match=f"{name}: keepdim must be True or False, got (1|None)"):
            call(mg, mg.tensor(x))
    kept = getattr(mg.tensor(x), name)(0, True)
    assert (kept[0] if isinstance(kept, tuple) else kept).shape == (1, 3, 4)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        getattr(torch.tensor(x), name)(0, 1)
