"""im2col/col2im, conv2d and pooling: gradients, backends, torch and scipy cross-checks, bad input."""
import importlib
import re
import warnings
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import layers
import minigrad as mg
from layers import functional as F
from layers import pooling
from minigrad import backend, windows
from minigrad.testing import arrays, assert_close, assert_same_bits, conv_geometries, output_size, tie_free_arrays
from .conftest import BACKENDS, assert_backends_agree, assert_matches_torch

SEEDS = st.integers(0, 2**31 - 1)


def draw_input(data, g, dtype=np.float64):
    return data.draw(arrays((g["n"], g["c_in"], g["h"], g["w"]), dtype=dtype))


def window_kwargs(g):
    return dict(kernel_size=(g["kh"], g["kw"]), stride=g["stride"], padding=g["padding"], dilation=g["dilation"])


@given(conv_geometries(groups=False), st.data())
def test_im2col_col2im_gradients(each_backend, g, data):
    x = draw_input(data, g)
    kw = window_kwargs(g)
    mg.gradcheck(lambda t: mg.im2col(t, **kw), [x], mode="directional", seed=data.draw(SEEDS))
    col = mg.im2col(mg.tensor(x), **kw).data
    mg.gradcheck(lambda t: mg.col2im(t, x.shape, **kw), [col], mode="directional", seed=data.draw(SEEDS))


@given(conv_geometries(groups=False), st.data())
def test_col2im_is_the_adjoint_of_im2col(g, data):
    """<im2col(x), c> == <x, col2im(c)> for all x, c: the defining property of the backward."""
    x = draw_input(data, g)
    kw = window_kwargs(g)
    c = np.random.default_rng(data.draw(SEEDS)).standard_normal(mg.im2col(mg.tensor(x), **kw).shape)
    assert np.isclose(np.sum(mg.im2col(mg.tensor(x), **kw).data * c), np.sum(x * mg.col2im(c, x.shape, **kw).data))


def fold_kwargs(g):  # PyTorch's order for unfold and fold: kernel_size, dilation, padding, stride
    return dict(kernel_size=(g["kh"], g["kw"]), dilation=g["dilation"], padding=g["padding"], stride=g["stride"])


@given(conv_geometries(groups=False), st.data())
def test_unfold_and_fold_gradients(each_backend, g, data):
    x = draw_input(data, g)
    mg.gradcheck(lambda t: mg.unfold(t, **fold_kwargs(g)), [x], mode="directional", seed=data.draw(SEEDS))
    columns = mg.unfold(mg.tensor(x), **fold_kwargs(g)).data
    mg.gradcheck(lambda t: mg.fold(t, x.shape[2:], **fold_kwargs(g)), [columns], mode="directional",
                 seed=data.draw(SEEDS))


@given(conv_geometries(groups=False), st.data())
def test_unfold_is_a_conv_and_fold_its_adjoint(each_backend, g, data):
    """unfold's rows, weighted by a flattened kernel, are conv2d's output (no torch needed); and
    <unfold(x), c> == <x, fold(c)>."""
    x = draw_input(data, g)
    columns = mg.unfold(mg.tensor(x), **fold_kwargs(g)).data
    weight = np.random.default_rng(data.draw(SEEDS)).standard_normal((3, g["c_in"], g["kh"], g["kw"]))
    y = F.conv2d(mg.tensor(x), mg.tensor(weight), stride=g["stride"], padding=g["padding"], dilation=g["dilation"]).data
    assert_close(weight.reshape(3, -1) @ columns, y.reshape(*y.shape[:2], -1), rtol=1e-12, atol=1e-12)
    c = np.random.default_rng(data.draw(SEEDS)).standard_normal(columns.shape)
    assert_close(np.sum(x * mg.fold(c, x.shape[2:], **fold_kwargs(g)).data), np.sum(columns * c), rtol=1e-10,
                 atol=1e-10, name="<x, fold(c)>")


def test_unfold_and_fold_against_torch(each_backend):
    torch = pytest.importorskip("torch")

    @given(conv_geometries(groups=False), st.data())
    def check(g, data):
        x = draw_input(data, g)
        tx = torch.tensor(x, requires_grad=True)
        t_columns = torch.nn.functional.unfold(tx, **fold_kwargs(g))
        t = mg.tensor(x, requires_grad=True)
        columns = mg.unfold(t, **fold_kwargs(g))
        np.testing.assert_array_equal(columns.data, t_columns.detach().numpy())
        c = np.random.default_rng(data.draw(SEEDS)).standard_normal(columns.shape)
        tc = torch.tensor(c, requires_grad=True)
        t_folded = torch.nn.functional.fold(tc, x.shape[2:], **fold_kwargs(g))
        c_t = mg.tensor(c, requires_grad=True)
        folded = mg.fold(c_t, x.shape[2:], **fold_kwargs(g))
        assert_close(folded.data, t_folded.detach().numpy(), rtol=1e-12, atol=1e-12, name="fold")
        upstream = np.random.default_rng(data.draw(SEEDS)).standard_normal(x.shape)
        folded.backward(upstream)
        t_folded.backward(torch.tensor(upstream))
        np.testing.assert_array_equal(c_t.grad, tc.grad.numpy())  # a gather: no sum to reorder
        columns.backward(c)
        t_columns.backward(torch.tensor(c))
        assert_close(t.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12, name="unfold grad")
    check()


def test_unfold_and_fold_modules_as_pytorchs():
    unfold, fold = mg.nn.Unfold(2, padding=1), mg.nn.Fold((3, 4), 2, padding=1)
    x = mg.tensor(np.arange(24.0).reshape(2, 1, 3, 4))
    assert unfold(x).shape == (2, 4, 20) and fold(unfold(x)).shape == (2, 1, 3, 4)
    torch = pytest.importorskip("torch")
    assert (repr(unfold), repr(fold)) == (repr(torch.nn.Unfold(2, padding=1)), repr(torch.nn.Fold((3, 4), 2, padding=1)))


@pytest.mark.parametrize("call,message", [
    (lambda: mg.fold(np.ones((1, 5, 6)), (3, 4), 2), r"fold: input \(1, 5, 6\) needs C\*4 rows for kernel \(2, 2\) "
                                                     r"and 2\*3 = 6 columns for output_size \(3, 4\)"),
    (lambda: mg.fold(np.ones((1, 4, 5)), (3, 4), 2), r"fold: input \(1, 4, 5\) needs C\*4 rows .* 6 columns"),
    (lambda: mg.fold(np.ones((4, 6)), (3, 4), 2), r"fold: expected a 3-D input \(N, C\*kh\*kw, L\), got shape \(4, 6\)"),
    (lambda: mg.fold(np.ones((1, 4, 6)), (3, 4, 5), 2), r"fold: output_size must be an int or a pair of ints"),
    (lambda: mg.unfold(np.ones((1, 1, 3, 4)), 5), r"unfold: kernel \(5, 5\)"),
    (lambda: mg.nn.Unfold(2, stride=0), r"Unfold: stride must be >= 1"),
    (lambda: mg.nn.Fold((3, 4, 5), 2), r"Fold: output_size must be an int or a pair of ints"),
])
def test_unfold_and_fold_refuse_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@given(conv_geometries(groups=False), st.data())
def test_window_sums_adjoint_is_the_adjoint(each_backend, g, data):
    """<window_sums(x), s> == <x, window_sums_adjoint(s)>: the backward of avg pooling and of SCS's norms."""
    x = draw_input(data, g)
    geometry = mg.window_geometry("t", x.shape, **window_kwargs(g))
    sums = mg.window_sums_array(x, *geometry)
    assert_close(sums, mg.im2col(mg.tensor(x), **window_kwargs(g)).data.sum(axis=(1, 2)).transpose(1, 0, 2, 3))
    s = np.random.default_rng(data.draw(SEEDS)).standard_normal(sums.shape)
    assert np.isclose(np.sum(sums * s), np.sum(x * mg.window_sums_adjoint(s, x.shape, *geometry)))


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(g=conv_geometries(groups=False), data=st.data())
def test_numba_windows_equal_reference_bit_for_bit(kernel_threads, dtype, g, data):
    x = draw_input(data, g, dtype)
    if data.draw(st.booleans()):  # a strided view (every other column of a wider array), as ops may give
        x = np.repeat(x, 2, axis=3)[..., ::2]
    kw = window_kwargs(g)
    results = {}
    geometry = mg.window_geometry("t", x.shape, **kw)
    for name in ("numpy", "numba"):
        with backend.use_backend(name):
            col = mg.im2col(mg.as_tensor(x), **kw).data  # as_tensor shares x, strided or not; tensor() copies
            kept = col.copy()
            image = mg.col2im(col, x.shape, **kw).data
            np.testing.assert_array_equal(col, kept)  # the public op leaves its input alone
            # columns from no image: the entries over padding are not zero and must still be dropped
            noise = np.random.default_rng(0).standard_normal(col.shape).astype(dtype)
            summed = mg.col2im_array(noise.copy(), x.shape, *geometry, overwrite_col=True)
            results[name] = (col, image, summed, mg.window_sums_array(x, *geometry))
    for a, b, name in zip(results["numpy"], results["numba"], ("col", "image", "summed", "window sums")):
        assert a.dtype == dtype
        assert_same_bits(b, a, name)


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("shape, kw", [
    ((2, 3, 5, 4), dict(kernel_size=3, stride=1, padding=1)),  # the contiguous-run path of im2col
    ((1, 1, 1, 3), dict(kernel_size=3, stride=1, padding=(2, 1), dilation=(2, 1))),  # offsets with no real row
    ((1, 2, 2, 6), dict(kernel_size=(1, 5), stride=1, padding=(0, 2))),  # a run longer than the image rows
    ((1, 1, 1, 1), dict(kernel_size=(1, 3), stride=1, padding=(0, 2), dilation=(1, 2))),  # padding > output width
    ((1, 1, 1, 2), dict(kernel_size=(1, 6), stride=1, padding=(0, 2))),  # the same through the row-by-row kernel
])
def test_numba_im2col_edge_geometries_equal_reference(kernel_threads, shape, kw):
    """Also run as plain Python (numba's py_func), where an index past an array's end raises
    instead of silently writing there."""
    x = np.random.default_rng(0).standard_normal(shape)
    with backend.use_backend("numpy"):
        expected = mg.im2col(mg.tensor(x), **kw).data
    with backend.use_backend("numba"):
        assert_same_bits(mg.im2col(mg.tensor(x), **kw).data, expected, "col")
        strided = np.repeat(x, 2, axis=3)[..., ::2]  # a view, which as_tensor shares as it is
        assert_same_bits(mg.im2col(mg.as_tensor(strided), **kw).data, expected, "col of a strided x")
    geometry = mg.window_geometry("t", x.shape, **kw)
    kernel, stride, padding, dilation, out = geometry
    col = np.full(expected.shape, np.nan)
    if windows.rows_are_runs(stride, out, x.shape[3]):
        windows._im2col_runs_numba.py_func(x, *kernel, *padding, *dilation, col)
    else:
        windows._im2col_numba.py_func(x, *kernel, *stride, *padding, *dilation, col)
    assert_same_bits(col, expected, "col")
    image = np.zeros(x.shape)
    windows._col2im_numba.py_func(expected, *kernel, *stride, *padding, *dilation, image)
    assert_same_bits(image, mg.col2im(expected, x.shape, **kw).data, "image")
    if windows.rows_are_runs(stride, out, x.shape[3]):
        runs_image = np.zeros(x.shape)
        windows._col2im_runs_numba.py_func(expected.copy(), *kernel, *padding, *dilation, runs_image)
        assert_same_bits(runs_image, image, "image of runs")


@pytest.mark.parametrize("be", BACKENDS)
def test_im2col_array_writes_into_a_buffer_it_is_given(be):
    """The first K rows of conv's (K + 1)-row columns, the bias's row of ones left as it is; a buffer
    that is not C-contiguous is refused (reshape would write into a copy)."""
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4)).astype(np.float32)
    geometry = mg.window_geometry("t", x.shape, 3, 1, 1, 1)
    with backend.use_backend(be):
        expected = windows.im2col_array(x, *geometry)
        buffer = np.full((28, 40), 7.0, np.float32)
        col = windows.im2col_array(x, *geometry, into=buffer[:27])
        assert np.shares_memory(col, buffer) and col.shape == expected.shape
        assert_same_bits(buffer[:27].reshape(expected.shape), expected, "col")
        assert (buffer[27] == 7.0).all()
        for bad in (np.empty((40, 27), np.float32).T, np.empty((27, 40)), np.empty((27, 41), np.float32)):
            with pytest.raises(ValueError, match="im2col: into must be C-contiguous, float32 and of col's size"):
                windows.im2col_array(x, *geometry, into=bad)


@pytest.mark.parametrize("be", BACKENDS)
def test_conv_bias_in_the_product_gives_the_separate_passes_results(be):
    """y = [W b] [col; 1] and [dW db] = g [col; 1]^T (one group) against y = W col + b and db = g 1, float64."""
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((3, 2, 6, 5)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    g = rng.standard_normal((3, 4, 6, 5))
    with backend.use_backend(be):
        leaves = [mg.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = F.conv2d(*leaves, padding=1)
        y.backward(g)
        bare = [mg.tensor(a, requires_grad=True) for a in (x, w)]
        y_bare = F.conv2d(*bare, padding=1)
        y_bare.backward(g)
    assert_close(y.data, y_bare.data + b[:, None, None], rtol=1e-13, atol=1e-13, name="y")
    for ours, theirs, name in ((leaves[0].grad, bare[0].grad, "dx"), (leaves[1].grad, bare[1].grad, "dW"),
                               (leaves[2].grad, g.sum((0, 2, 3)), "db")):
        assert_close(ours, theirs, rtol=1e-13, atol=1e-13, name=name)


@pytest.mark.parametrize("be", BACKENDS)
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("frozen", ["weight", "bias", "x"])
def test_conv_gradients_when_some_inputs_need_none(be, groups, frozen):
    """With one group db comes out of dW's product: a frozen weight must still give db, a frozen bias dW,
    each what all three inputs together give; a frozen input gets None."""
    rng = np.random.default_rng(2)
    arrays_ = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((4, 2 // groups, 3, 3)), rng.standard_normal(4)
    g = rng.standard_normal((2, 4, 5, 4))
    with backend.use_backend(be):
        every = [mg.tensor(a, requires_grad=True) for a in arrays_]
        F.conv2d(*every, padding=1, groups=groups).backward(g)
        some = [mg.tensor(a, requires_grad=name != frozen) for a, name in zip(arrays_, ("x", "weight", "bias"))]
        F.conv2d(*some, padding=1, groups=groups).backward(g)
    for t, whole, name in zip(some, every, ("x", "weight", "bias")):
        if name == frozen:
            assert t.grad is None
        else:
            assert_same_bits(t.grad, whole.grad, name)


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 7), w=st.integers(1, 7), seed=SEEDS,
       # (kernel, padding, dilation) along W with an output as wide as the input; H drawn freely
       along_w=st.sampled_from([(1, 0, 1), (3, 1, 1), (2, 1, 2), (3, 2, 2), (5, 2, 1)]),
       along_h=st.sampled_from([(1, 0, 1), (3, 1, 1), (2, 0, 1), (3, 2, 2), (3, 0, 1)]))
def test_numba_col2im_runs_equal_reference_bit_for_bit(kernel_threads, dtype, n, c, h, w, seed, along_w, along_h):
    """The stride-1 kernel that overwrites its columns (the backward's own temporaries) drops the
    entries over padding like the reference; columns of noise, so none of them is zero."""
    kw = dict(kernel_size=(along_h[0], along_w[0]), stride=1, padding=(along_h[1], along_w[1]),
              dilation=(along_h[2], along_w[2]))
    assume(h + 2 * along_h[1] - along_h[2] * (along_h[0] - 1) >= 1)
    geometry = mg.window_geometry("t", (n, c, h, w), **kw)
    assert windows.rows_are_runs(geometry[1], geometry[4], w)
    noise = np.random.default_rng(seed).standard_normal((c,) + geometry[0] + (n,) + geometry[4]).astype(dtype)
    with backend.use_backend("numpy"):
        expected = mg.col2im_array(noise, (n, c, h, w), *geometry)
    with backend.use_backend("numba"):
        assert_same_bits(mg.col2im_array(noise.copy(), (n, c, h, w), *geometry, overwrite_col=True), expected)


def draw_conv(data, g, dtype=np.float64):
    x = draw_input(data, g, dtype)
    w = data.draw(arrays((g["c_out"], g["c_in"] // g["groups"], g["kh"], g["kw"]), dtype=dtype))
    b = data.draw(arrays((g["c_out"],), dtype=dtype))
    return x, w, b


def conv_kwargs(g):
    return dict(stride=g["stride"], padding=g["padding"], dilation=g["dilation"], groups=g["groups"])


@given(conv_geometries(), st.data())
def test_conv2d_gradients(each_backend, g, data):
    x, w, b = draw_conv(data, g)
    kw = conv_kwargs(g)
    mg.gradcheck(lambda *t: F.conv2d(*t, **kw), [x, w, b], mode="directional", seed=data.draw(SEEDS))
    mg.gradcheck(lambda *t: F.conv2d(*t, **kw), [x, w], mode="directional", seed=data.draw(SEEDS))


@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_conv2d_same_padding_gradients(each_backend, kh, kw, data):
    """padding="same" of any kernel, the even ones padding x by one more pixel at the bottom or right first."""
    x, w, b = data.draw(arrays((2, 2, 5, 4))), data.draw(arrays((3, 2, kh, kw))), data.draw(arrays((3,)))
    mg.gradcheck(lambda *t: F.conv2d(*t, padding="same"), [x, w, b], mode="directional", seed=data.draw(SEEDS))


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(g=conv_geometries(), data=st.data())
def test_conv2d_numba_equals_reference_bit_for_bit(kernel_threads, dtype, g, data):
    """Only im2col and col2im differ between the backends, and they are exact; the products are
    the same BLAS calls on the same columns."""
    assert_backends_agree(lambda *ts: F.conv2d(*ts, **conv_kwargs(g)), [a.astype(dtype) for a in draw_conv(data, g)],
                          ("y", "x", "weight", "bias"))


@given(conv_geometries(max_size=4, max_channels=2, max_batch=1), st.data())
def test_conv2d_full_jacobian(g, data):
    x, w, b = draw_conv(data, g)
    mg.gradcheck(lambda *t: F.conv2d(*t, **conv_kwargs(g)), [x, w, b])


@given(conv_geometries(groups=False, dilation=False), st.data())
def test_conv2d_against_scipy_correlate(g, data):
    from scipy.signal import correlate
    x, w, b = draw_conv(data, g)
    (ph, pw), (sh, sw) = g["padding"], g["stride"]
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    expected = np.stack([np.stack([
        correlate(xpad[n], w[o], mode="valid")[0, ::sh, ::sw] + b[o] for o in range(w.shape[0])])
        for n in range(x.shape[0])])
    assert_close(F.conv2d(mg.tensor(x), w, b, **conv_kwargs(g)).data, expected, name="conv2d vs scipy")


@given(conv_geometries(), st.data())
def test_conv2d_against_torch(each_backend, g, data):
    torch = pytest.importorskip("torch")
    assert_matches_torch(lambda *ts: F.conv2d(*ts, **conv_kwargs(g)),
                         lambda *ts: torch.nn.functional.conv2d(*ts, **conv_kwargs(g)), draw_conv(data, g),
                         data.draw(SEEDS), "conv2d")


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note that it pads a copy
@given(st.sampled_from(["same", "valid"]), st.integers(1, 2), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4),
       st.integers(1, 2), st.data())
def test_conv2d_padding_strings_against_torch(padding, c_in, c_out, kh, kw, dilation, data):
    """padding="same" and "valid" as PyTorch's; the module keeps the string, as PyTorch's does.
    Before, any string was an error, and then "same" was refused where d (k - 1) is odd (an even
    kernel): PyTorch pads the pixel left over at the bottom or right."""
    torch = pytest.importorskip("torch")
    least = dilation * (max(kh, kw) - 1) + 1 if padding == "valid" else 1  # "valid" needs the whole kernel inside
    h, w = data.draw(st.integers(least, least + 5)), data.draw(st.integers(least, least + 5))
    x = data.draw(arrays((2, c_in, h, w)))
    weight, bias = data.draw(arrays((c_out, c_in, kh, kw))), data.draw(arrays((c_out,)))
    mt, ts = [mg.tensor(a, requires_grad=True) for a in (x, weight, bias)], [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    out = F.conv2d(*mt, padding=padding, dilation=dilation)
    t_out = torch.nn.functional.conv2d(*ts, padding=padding, dilation=dilation)
    assert out.shape == tuple(t_out.shape) and (padding == "valid" or out.shape[2:] == (h, w))
    upstream = np.random.default_rng(data.draw(SEEDS)).standard_normal(out.shape)
    out.backward(upstream)
    t_out.backward(torch.tensor(upstream))
    assert_close(out.data, t_out.detach().numpy(), name="conv2d value")
    for name, a, t in zip("xwb", mt, ts):
        assert_close(a.grad, t.grad.numpy(), name=f"conv2d grad {name}")
    module = layers.Conv2d(c_in, c_out, (kh, kw), padding=padding, dilation=dilation, dtype=np.float64)
    theirs = torch.nn.Conv2d(c_in, c_out, (kh, kw), padding=padding, dilation=dilation)
    assert module.padding == theirs.padding == padding
    module.load_state_dict({"weight": weight, "bias": bias})
    np.testing.assert_array_equal(module(mg.tensor(x)).data, out.data)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note that it pads a copy
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@given(data=st.data())
def test_conv2d_module_pads_by_pytorchs_padding_mode(mode, data):
    """Conv2d(..., padding_mode=...), PyTorch's: x padded by pad's mode of that name (reflect,
    replicate, circular), "same" with its odd pixel at the bottom or right, then a conv without
    padding; values and gradients beside torch.nn.Conv2d's with the same weights."""
    torch = pytest.importorskip("torch")
    kernel = data.draw(st.tuples(st.integers(1, 4), st.integers(1, 4)))
    padding = data.draw(st.sampled_from(["same", "valid", 0, 1, (1, 2)]))
    dilation = data.draw(st.sampled_from([1, 2, (1, 2)]))
    stride = 1 if padding == "same" else data.draw(st.sampled_from([1, 2]))
    x = data.draw(arrays((2, 2, data.draw(st.integers(7, 9)), data.draw(st.integers(7, 9)))))  # a kernel spans <= 7
    kw = dict(stride=stride, padding=padding, dilation=dilation, padding_mode=mode)
    theirs = torch.nn.Conv2d(2, 3, kernel, dtype=torch.float64, **kw)
    ours = layers.Conv2d(2, 3, kernel, dtype=np.float64, **kw)
    ours.load_state_dict({name: p.detach().numpy() for name, p in theirs.state_dict().items()})
    t_x, m_x = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    t_y, m_y = theirs(t_x), ours(m_x)
    upstream = np.random.default_rng(data.draw(SEEDS)).standard_normal(m_y.shape)
    t_y.backward(torch.tensor(upstream))
    m_y.backward(upstream)
    assert_close(m_y.data, t_y.detach().numpy(), name="y")
    assert_close(m_x.grad, t_x.grad.numpy(), name="x grad")
    assert_close(ours.weight.grad, theirs.weight.grad.numpy(), name="weight grad")


def test_circular_padding_mode_wraps_the_image_around():
    """By the definition, without torch: a 3x3 kernel that takes each pixel's left neighbour, with
    circular padding 1, rolls the image one column right; replicate repeats the first column."""
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    left = np.zeros((1, 1, 3, 3))
    left[0, 0, 1, 0] = 1
    for mode, expected in (("circular", np.roll(x, 1, axis=3)),
                           ("replicate", np.concatenate([x[..., :1], x[..., :3]], 3)),
                           ("reflect", np.concatenate([x[..., 1:2], x[..., :3]], 3))):
        conv = layers.Conv2d(1, 1, 3, padding=1, bias=False, padding_mode=mode, dtype=np.float64)
        conv.load_state_dict({"weight": left})
        np.testing.assert_array_equal(conv(mg.tensor(x)).data, expected)


@given(st.integers(1, 300), st.integers(1, 10**7), st.integers(1, 10**8))
def test_batch_chunks_cover_the_batch_in_equal_slices(n, bytes_per_image, budget):
    with patch.object(windows, "CHUNK_BYTES", budget):
        chunks = windows.batch_chunks(n, bytes_per_image)
    assert [c.start for c in chunks] == [0] + [c.stop for c in chunks[:-1]] and chunks[-1].stop == n
    sizes = [c.stop - c.start for c in chunks]
    assert len(set(sizes[:-1])) <= 1 and 1 <= sizes[-1] <= sizes[0]
    assert sizes[0] - sizes[-1] < len(chunks)  # as equal as they can be: 10 images in 2 chunks are 5 + 5, not 9 + 1
    per_chunk = max(1, budget // bytes_per_image)  # images whose columns fit in the budget
    assert sizes[0] <= per_chunk and len(chunks) == -(-n // per_chunk)


def windowed_layer_case(layer, rng, n, stride):
    """One of the layers built on im2col_matmul, as (fn(x, *args), x, args, upstream gradient)."""
    c, o = rng.integers(1, 4, 2)
    weights = [rng.standard_normal((o, c, 3, 3))]
    if layer == "conv2d":
        fn, args = (lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=1)), weights + [rng.standard_normal(o)]
    elif layer == "scs":
        fn = lambda x, w, p, q: F.sharpened_cosine_similarity(x, w, p, q, stride=stride, padding=1)  # noqa: E731
        args = weights + [rng.uniform(0.5, 3, o), np.array([0.1])]
    else:
        fn = lambda x, *w: F.conv_twist(x, *w, stride=stride)  # noqa: E731
        args = weights + [rng.standard_normal((o, c, 3, 3)) for _ in range(2)] + [rng.uniform(-1, 1, o) for _ in range(2)]
    x = rng.standard_normal((n, c, 5, 4))
    oh, ow = windows.window_geometry("test", x.shape, 3, stride, 1)[4]
    return fn, x, args, rng.standard_normal((n, o, oh, ow))


@pytest.mark.parametrize("layer", ["conv2d", "scs", "twist"])
@given(n=st.integers(2, 5), stride=st.integers(1, 2), data=st.data(), seed=SEEDS)
def test_layers_in_batch_chunks_equal_one_chunk(each_backend, layer, n, stride, data, seed):
    """The layers take im2col a few images at a time (windows.batch_chunks); the values and every
    gradient must not depend on where the batch is cut."""
    rng = np.random.default_rng(seed)
    fn, x, args, upstream = windowed_layer_case(layer, rng, n, stride)
    c, (oh, ow) = x.shape[1], upstream.shape[2:]

    def run(chunk_bytes):
        ts = [mg.tensor(a, requires_grad=True) for a in [x] + args]
        with patch.object(windows, "CHUNK_BYTES", chunk_bytes):
            y = fn(*ts)
            y.backward(upstream)
        return [y.data] + [t.grad for t in ts]

    images = data.draw(st.integers(1, n - 1), label="images per chunk")  # so that there are >= 2 chunks
    budget = images * c * 9 * oh * ow * x.itemsize
    whole, chunked = run(2**62), run(budget)
    for name, a, b in zip(["y", "x"] + [f"input {i}" for i in range(1, len(args) + 1)], chunked, whole):
        assert_close(a, b, rtol=1e-12, atol=1e-12, name=f"{layer} {name} in chunks of {images} images")
    with patch.object(windows, "CHUNK_BYTES", budget):
        mg.gradcheck(fn, [x] + args, mode="directional", seed=seed)


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.int64, np.bool_])
@pytest.mark.parametrize("layer", ["avg_pool2d", "adaptive_avg_pool2d", "scs", "twist"])
def test_layers_of_integers_compute_in_float64_as_numpys_mean_does(each_backend, layer, dtype):
    """An average, a cosine or a coordinate-weighted sum of integers is no integer. Before: uint8
    window sums wrapped, adaptive pooling's averaging matrix truncated to zeros, SCS lost its eps
    and ConvTwist its grids' fractions to the integer dtype."""
    rng = np.random.default_rng(0)
    low, high = (0, 2) if dtype in (np.uint8, np.bool_) else (-3, 4)
    ints = lambda shape: rng.integers(low, high, shape).astype(dtype)  # noqa: E731
    x = ints((2, 3, 6, 5)) if dtype == np.bool_ else rng.integers(0, 256, (2, 3, 6, 5)).astype(dtype)
    weights = [ints((4, 3, 3, 3)) for _ in range(3)]
    weights[0][:, 0, 1, 1] = 1  # no all-zero kernel: its cosine would be 0 / 0
    fn, args = {
        "avg_pool2d": (lambda x: F.avg_pool2d(x, 3, 1, 1), []),
        "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (4, 3)), []),
        "scs": (lambda x, w, p, q: F.sharpened_cosine_similarity(x, w, p, q, padding=1),
                [weights[0], np.ones(4, dtype), np.zeros((), dtype)]),
        "twist": (lambda x, *w: F.conv_twist(x, *w), weights + [ints(4), ints(4)]),
    }[layer]
    got = fn(*(mg.tensor(a) for a in [x] + args))
    expected = fn(*(mg.tensor(a.astype(np.float64)) for a in [x] + args))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got.data, expected.data)


CONV_DTYPES = ["bool", "uint8", "int8", "int16", "int64", "float16", "float32", "float64"]


@given(x_dtype=st.sampled_from(CONV_DTYPES), w_dtype=st.sampled_from(CONV_DTYPES),
       b_dtype=st.sampled_from([None] + CONV_DTYPES), seed=SEEDS)
def test_conv2d_of_mixed_dtypes_computes_in_pytorchs_result_type(each_backend, x_dtype, w_dtype, b_dtype, seed):
    """conv2d of mixed dtypes is conv2d of its inputs cast to mg.result_type first, as SCS and
    ConvTwist compute (PyTorch refuses the mix; its promotion is minigrad's rule), and each gradient
    comes back in its input's dtype. Before: int64 images into float32 weights gave float64 (NumPy's
    promotion), a float64 bias was rounded to float32, and a float bias on integer inputs was NumPy's
    casting error."""
    rng = np.random.default_rng(seed)
    draw = lambda shape, dtype: np.abs(rng.standard_normal(shape) * 3).astype(dtype)  # noqa: E731
    arrays_ = [draw((2, 3, 5, 4), x_dtype), draw((4, 3, 3, 2), w_dtype)]
    arrays_ += [] if b_dtype is None else [draw(4, b_dtype)]
    dtype = mg.result_type(*arrays_)
    run = lambda inputs: F.conv2d(*inputs, padding=1)  # noqa: E731
    tensors = [mg.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays_]
    cast = [mg.tensor(a.astype(dtype), requires_grad=a.dtype.kind == "f") for a in arrays_]
    got, expected = run(tensors), run(cast)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.data, expected.data)
    if dtype.kind == "f":
        g = rng.standard_normal(got.shape).astype(dtype)
        got.backward(g)
        expected.backward(g)
        for t, c in zip(tensors, cast):
            if t.requires_grad:
                assert t.grad.dtype == t.dtype
                np.testing.assert_array_equal(t.grad, c.grad.astype(t.dtype))


@pytest.mark.parametrize("layer", ["conv2d", "scs", "twist"])
@given(stride=st.integers(1, 2), seed=SEEDS)
def test_layers_compute_only_the_gradients_asked_for(each_backend, layer, stride, seed):
    """As in PyTorch, constant weights cost no weight-gradient product and a constant input no
    col2im: the shared backward returns None for them, and the gradients that are asked for are
    the ones computed when everything requires a gradient."""
    fn, x, args, upstream = windowed_layer_case(layer, np.random.default_rng(seed), 2, stride)
    module = importlib.import_module({"conv2d": "layers.conv", "scs": "layers.scs", "twist": "layers.twist"}[layer])

    def run(x_grad, weights_grad):
        returned = []

        def spy(*a, **kw):
            returned.append(windows.im2col_matmul_backward(*a, **kw))
            return returned[-1]
        ts = [mg.tensor(x, requires_grad=x_grad)] + [mg.tensor(a, requires_grad=weights_grad) for a in args]
        with patch.object(module, "im2col_matmul_backward", spy):
            fn(*ts).backward(upstream)
        (dw, dx), = returned
        return dw, dx, [t.grad for t in ts]

    _, _, every = run(True, True)
    dw, dx, grads = run(True, False)
    assert dw is None and dx is not None and all(gr is None for gr in grads[1:])
    assert_close(grads[0], every[0], rtol=1e-12, atol=1e-12, name=f"{layer} x.grad with constant weights")
    dw, dx, grads = run(False, True)
    assert dx is None and dw is not None and grads[0] is None
    for i, (a, b) in enumerate(zip(grads[1:], every[1:]), 1):
        assert_close(a, b, rtol=1e-12, atol=1e-12, name=f"{layer} input {i} grad with a constant x")


# The threaded compilation of a pool kernel is the serial one's source with its loop over planes on
# threads, and each window size compiles anew (about 2.2 s threaded, 0.5 s serial), so the threaded
# compilations are tested on these windows (a square and a tall one, both dilated windows starting
# in the padding) and the serial ones on every size drawn: the cold suite spent 200 s of its 680
# compiling the threaded kernels for every size.
THREADED_WINDOWS = [(2, 2), (3, 2)]
THREADED_DILATED_WINDOWS = [(4, 2), (2, 4)]


@st.composite
def pool_cases(draw, spread=True, name="max_pool2d", dilation=None, threads="serial", ceil_mode=None):
    """(x, settings) for the pool called name; for the max pools, dilation 1 unless given. Given a
    dilation, kernels of 2 and 4, whose padding of 2 starts windows two rows into it. The numba kernels
    compile once for each window size and dilation, so the tests draw few (the bounds-checked rerun
    of the kernel tests took 181 s with sizes up to 4 and four dilations drawn everywhere, 110 s
    before), and with threads="threads" (kernel_threads) only THREADED_WINDOWS (THREADED_DILATED_WINDOWS
    given a dilation). ceil_mode drawn unless given."""
    if threads == "threads":
        kh, kw = draw(st.sampled_from(THREADED_WINDOWS if dilation is None else THREADED_DILATED_WINDOWS))
    else:
        sizes = st.integers(1, 3) if dilation is None else st.sampled_from([2, 4])
        kh, kw = draw(sizes), draw(sizes)
    stride = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    settings = dict(kernel_size=(kh, kw), stride=stride, padding=padding,
                    ceil_mode=draw(st.booleans()) if ceil_mode is None else ceil_mode)
    dh, dw = 1, 1
    if name == "avg_pool2d":
        settings["count_include_pad"] = draw(st.booleans())
        settings["divisor_override"] = draw(st.none() | st.sampled_from([-2, 1, 3, 5]))
    else:
        dh, dw = settings["dilation"] = dilation or (1, 1)
    # at least a window's span less its padding: then every window holds an element of x (docs/windows.md)
    low_h, low_w = max(kh, dh * (kh - 1) + 1 - padding[0]), max(kw, dw * (kw - 1) + 1 - padding[1])
    if settings["ceil_mode"] and (dh, dw) == (1, 1):  # a window wider than the padded input, if it rounds up to one
        sh, sw = stride or (kh, kw)
        low_h, low_w = max(1, kh + 1 - 2 * padding[0] - sh), max(1, kw + 1 - 2 * padding[1] - sw)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(low_h, low_h + 5)),
             draw(st.integers(low_w, low_w + 5)))
    # tie-free inputs keep every window's winner clear of the finite-difference step
    x = draw(tie_free_arrays(shape) if spread else arrays(shape))
    return x, settings


def torch_pool(torch, name, x, settings):
    """The torch pool (or the port of Rohrer's max-|x| pool) with the same settings."""
    s = dict(settings, stride=settings["stride"] or settings["kernel_size"])
    if name == "max_abs_pool2d":
        return torch_max_abs_pool(torch, x, **s)
    return getattr(torch.nn.functional, name)(x, **s)


def as_channel_major(x):
    """x's values, stored (C, N, H, W) as conv2d leaves its output."""
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


POOLS = {"max_pool2d": F.max_pool2d, "avg_pool2d": F.avg_pool2d, "max_abs_pool2d": F.max_abs_pool2d}


@pytest.mark.parametrize("name", sorted(POOLS))
def test_pool_gradients(each_backend, name):
    @given(pool_cases(name=name), SEEDS)
    def check(case, seed):
        x, kw = case
        mg.gradcheck(lambda t: POOLS[name](t, **kw), [x], mode="directional", seed=seed)
        if x.size <= 40:
            mg.gradcheck(lambda t: POOLS[name](t, **kw), [x])
    check()


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("name", sorted(POOLS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_numba_equals_reference(kernel_threads, name, dtype):
    @given(pool_cases(spread=False, name=name, threads=kernel_threads), st.booleans(), SEEDS)  # ties allowed: both paths must break them alike
    def check(case, channel_major, seed):
        x, kw = case
        x = np.round(x, 0).astype(dtype)  # rounding makes ties (and +a/-a pairs) common
        if channel_major:  # stored as conv2d's output is; the kernels read it without a copy
            x = as_channel_major(x)
        results = []
        for be in ("numpy", "numba"):
            with backend.use_backend(be):
                t = mg.tensor(x, requires_grad=True)
                y = POOLS[name](t, **kw)
                y.backward(np.random.default_rng(seed).standard_normal(y.shape).astype(dtype))
                results.append((y.data, t.grad))
        for e, a, what in zip(*results, ("y", "grad")):
            assert e.dtype == dtype
            assert_same_bits(a, e, what)
    check()


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("kernel_threads, kernel", [("serial", k) for k in [(1, 1), (2, 2), (3, 3), (2, 3), (3, 1), (1, 4)]]
                         + [("threads", k) for k in THREADED_WINDOWS], indirect=["kernel_threads"])
@pytest.mark.parametrize("rule", [pooling.MAX, pooling.MAX_ABS])
def test_select_kernel_for_tiling_windows_equals_the_general_kernel(kernel_threads, kernel, rule):
    """Windows that tile the image (stride = kernel, no padding, a whole number of windows across)
    have their own kernel: the same values and kept positions as the general one (itself tested
    against the reference) after the NaN pass, with ties, NaN, rows left over, both memory layouts,
    and its planes split between any number of scratch parts."""
    @given(st.integers(1, 3), st.integers(1, 3), st.integers(kernel[0], 8), st.integers(1, 4), st.integers(1, 5),
           st.booleans(), SEEDS)
    def check(n, c, h, windows_across, parts, channel_major, seed):
        rng = np.random.default_rng(seed)
        x = np.round(rng.standard_normal((n, c, h, kernel[1] * windows_across)) * 2).astype(np.float32)
        x[rng.random(x.shape) < 0.05] = np.nan
        x = as_channel_major(x) if channel_major else x
        out = (n, c, h // kernel[0], windows_across)
        rows, cols, rule_tuple = tuple(range(kernel[0])), tuple(range(kernel[1])), (rule,) * rule
        tiles = np.empty(out, np.float32), np.empty(out, np.uint8)
        general = np.empty(out, np.float32), np.empty(out, np.uint8)
        pooling._select_tiles_numba(*pooling.planes(x), rows, cols, rule_tuple, parts, *tiles)
        pooling._select_numba(*pooling.planes(x), rows, cols, *kernel, 0, 0, 1, 1, rule_tuple, *general)
        for y, index in (tiles, general):
            pooling._keep_last_nan_numba(*pooling.planes(x), *x.shape[2:], *kernel, *kernel, 0, 0, 1, 1, y, index)
        np.testing.assert_array_equal(tiles[0], general[0])
        np.testing.assert_array_equal(tiles[1], general[1])
    check()


def test_conv2d_output_stays_channel_major_through_pooling_and_back(each_backend):
    """conv2d leaves its output in the product's (out, N, OH, OW) memory; a select pool reads it there
    and, on the numba path, hands its gradient back in that layout, which conv2d's backward takes
    without a copy. Values and gradients equal those of C-ordered arrays, bit for bit."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 2, 6, 6)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    ts = [mg.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = F.conv2d(*ts, padding=1)
    assert pooling.is_channel_major(y.data) and not y.data.flags.c_contiguous
    assert not y.is_contiguous() and y.contiguous().data.flags.c_contiguous  # PyTorch's names for the copy
    g = rng.standard_normal((3, 4, 3, 3))
    results = []
    for pool_input in (y.data, np.ascontiguousarray(y.data)):
        for pool in (F.max_pool2d, F.max_abs_pool2d):
            out = pool(mg.tensor(pool_input, requires_grad=True), 2)
            results.append((out.data, out._creator.backward(g)))
    if backend.get_backend() == "numba":
        assert all(pooling.is_channel_major(dx) for _, dx in results[:2])
    for (y0, dx0), (y1, dx1) in zip(results[:2], results[2:]):
        np.testing.assert_array_equal(y0, y1)
        np.testing.assert_array_equal(dx0, dx1)
    for (_, dx0), (_, dx1) in zip(results[:2], results[2:]):
        for grad0, grad1 in zip(y._creator.backward(dx0), y._creator.backward(np.ascontiguousarray(dx1))):
            np.testing.assert_array_equal(grad0, grad1)


def test_max_pool_commutes_with_relu(each_backend):
    """The example's networks pool before their ReLU: relu(max_pool2d(x)) has the values and the
    input gradient of max_pool2d(relu(x)), bit for bit, with zeros and ties in the windows."""
    @given(pool_cases(spread=False), SEEDS)
    def check(case, seed):
        x, kw = case
        x = np.round(x, 0)
        g = np.random.default_rng(seed).standard_normal(F.max_pool2d(mg.tensor(x), **kw).shape)
        results = []
        for f in (lambda t: mg.relu(F.max_pool2d(t, **kw)), lambda t: F.max_pool2d(mg.relu(t), **kw)):
            t = mg.tensor(x, requires_grad=True)
            y = f(t)
            y.backward(g)
            results.append((y.data, t.grad))
        for a, b in zip(*results):
            np.testing.assert_array_equal(a, b)
    check()


def torch_max_abs_pool(torch, x, kernel_size, stride, padding, dilation=1, ceil_mode=False, return_indices=False):
    """A port of brohrer's PyTorch MaxAbsPool2d rule: max of x and of -x; the positive side wins ties
    (and with return_indices, that side's index)."""
    def pool(v):
        return torch.nn.functional.max_pool2d(v, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)
    (high, high_at), (low, low_at) = pool(x), pool(-x)
    keep_high = high >= low
    y = torch.where(keep_high, high, -low)
    return (y, torch.where(keep_high, high_at, low_at)) if return_indices else y


@pytest.mark.parametrize("name", sorted(POOLS))
def test_pool_against_torch(each_backend, name):
    """Values and gradients, ceil_mode's windows past the input's end and avg_pool2d's count_include_pad
    included."""
    torch = pytest.importorskip("torch")

    @given(pool_cases(name=name), SEEDS)
    def check(case, seed):
        x, kw = case
        tx = torch.tensor(x, requires_grad=True)
        t_out = torch_pool(torch, name, tx, kw)
        t = mg.tensor(x, requires_grad=True)
        out = POOLS[name](t, **kw)
        upstream = np.random.default_rng(seed).standard_normal(out.shape)
        out.backward(upstream)
        t_out.backward(torch.tensor(upstream))
        assert_close(out.data, t_out.detach().numpy(), name=f"{name} value")
        assert_close(t.grad, tx.grad.numpy(), name=f"{name} grad")
    check()


def test_avg_pool_without_count_include_pad_averages_only_the_input(each_backend):
    """Windows of ones average to exactly 1 when padding and ceil_mode's overhang are left out of the
    count (no torch needed)."""
    @given(pool_cases(name="avg_pool2d"))
    def check(case):
        x, kw = case
        y = F.avg_pool2d(mg.tensor(np.ones_like(x)), **dict(kw, count_include_pad=False, divisor_override=None))
        np.testing.assert_array_equal(y.data, 1.0)
    check()


def test_avg_pool_counts_padding_but_not_a_ceil_mode_overhang_past_it(each_backend):
    """4 pixels, kernel 3, stride 2, padding 1, ceil_mode: windows [-1, 2), [1, 4), [3, 6), the last
    clipped to the padded input's end, 5: it averages 2 positions, one of them padding (PyTorch's
    count). Along each axis the windows of ones average 2/3, 1 and 1/2."""
    y = F.avg_pool2d(mg.tensor(np.ones((1, 1, 4, 4))), 3, 2, 1, ceil_mode=True)
    along = np.array([2 / 3, 1, 1 / 2])
    np.testing.assert_allclose(y.data[0, 0], np.outer(along, along), rtol=1e-15)


@pytest.mark.parametrize("divisor", [0, True, 2.5, "2", np.float64(2)])
def test_avg_pool_refuses_a_divisor_override_that_is_not_a_nonzero_int_as_pytorch_does(divisor):
    """PyTorch refuses 0 ("divisor must be not zero") and anything not an int, True included."""
    x = mg.tensor(np.ones((1, 1, 4, 4)))
    message = rf"divisor_override must be None or a nonzero int, got {re.escape(repr(divisor))}"
    with pytest.raises(ValueError, match="avg_pool2d: " + message):
        F.avg_pool2d(x, 2, divisor_override=divisor)
    with pytest.raises(ValueError, match="AvgPool2d: " + message):
        layers.AvgPool2d(2, divisor_override=divisor)
    torch = pytest.importorskip("torch")
    with pytest.raises((RuntimeError, TypeError)):
        torch.nn.functional.avg_pool2d(torch.ones(1, 1, 4, 4), 2, divisor_override=divisor)


def test_pool_modules_take_their_settings_positionally_in_pytorchs_order():
    """MaxPool2d(k, s, p, dilation, return_indices, ceil_mode) and AvgPool2d(k, s, p, ceil_mode,
    count_include_pad, divisor_override), as PyTorch's modules (the functions put ceil_mode before
    return_indices, as PyTorch's do). Output sizes by the formula of PyTorch's docs:
    ceil((n + 2p - d (k - 1) - 1) / s) + 1, less one when the last window would start past the input
    and its left padding (7 rows, k 2, s 2, p 1: 5 - 1)."""
    avg = layers.AvgPool2d(2, 2, 1, True, False, 3)
    assert (avg.ceil_mode, avg.count_include_pad, avg.divisor_override) == (True, False, 3)
    assert repr(avg) == ("AvgPool2d(kernel_size=2, stride=2, padding=1, ceil_mode=True, count_include_pad=False, "
                         "divisor_override=3)")
    pools = [layers.MaxPool2d(3, 2, 1, 2, False, True), layers.MaxAbsPool2d(3, 2, 1, 2, False, True), avg]
    assert [(m.dilation, m.return_indices, m.ceil_mode) for m in pools[:2]] == [(2, False, True)] * 2
    x = mg.tensor(np.random.default_rng(0).standard_normal((1, 2, 7, 6)))
    assert [m(x).shape for m in pools] == [(1, 2, 3, 3), (1, 2, 3, 3), (1, 2, 4, 4)]
    assert [m(x).shape for m in (layers.MaxPool2d(3, 2), layers.AvgPool2d(2, 2, 1))] == [(1, 2, 3, 2), (1, 2, 4, 4)]
    y, indices = layers.MaxPool2d(3, 2, 0, 1, True)(x)
    assert y.shape == indices.shape == (1, 2, 3, 2) and indices.dtype == np.int64
    torch = pytest.importorskip("torch")
    ts = [torch.nn.MaxPool2d(3, 2, 1, 2, False, True), torch.nn.AvgPool2d(2, 2, 1, True, False, 3)]
    assert [m(torch.tensor(x.data)).shape for m in ts] == [(1, 2, 3, 3), (1, 2, 4, 4)]
    assert (ts[1].ceil_mode, ts[1].count_include_pad) == (avg.ceil_mode, avg.count_include_pad)
    assert repr(pools[0]) == repr(ts[0]) == "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)"


@pytest.mark.parametrize("name", ["max_pool2d", "max_abs_pool2d"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pools_keep_nan_like_torch_in_numba_and_numpy(kernel_threads, name, dtype):
    """A NaN in a window is kept, and the gradient goes to the window's last NaN, as PyTorch's CPU
    max_pool2d (and Rohrer's MaxAbsPool2d, built on it) does; both backends alike."""
    try:
        import torch
    except ImportError:  # the backends are still compared with each other
        torch = None

    @given(pool_cases(spread=False, threads=kernel_threads), st.data(), SEEDS)
    def check(case, data, seed):
        x, kw = case
        x = np.where(data.draw(arrays(x.shape, 0, 1)) < 0.3, np.nan, np.round(x)).astype(dtype)  # NaNs, ties
        if data.draw(st.booleans()):
            x = as_channel_major(x)
        out = pooling.pool_geometry(name, x.shape, kw["kernel_size"], kw["stride"], kw["padding"], kw["ceil_mode"],
                                    kw["dilation"])[4]
        upstream = np.random.default_rng(seed).standard_normal(x.shape[:2] + out).astype(dtype)
        results = {}
        for be in ("numpy", "numba") if backend.numba_available() else ("numpy",):
            with backend.use_backend(be):
                t = mg.tensor(x, requires_grad=True)
                y = POOLS[name](t, **kw)
                y.backward(upstream)
                results[be] = (y.data, t.grad)
        if torch is not None:
            tx = torch.tensor(x, requires_grad=True)
            t_out = torch_pool(torch, name, tx, kw)
            t_out.backward(torch.tensor(upstream))
            results["torch"] = (t_out.detach().numpy(), tx.grad.numpy())
        y, grad = results.pop("numpy")
        for where, (other_y, other_grad) in results.items():
            if where == "numba":  # the backends scatter in the same order
                assert_same_bits(other_y, y, "y")
                assert_same_bits(other_grad, grad, "grad")
            else:  # torch sums overlapping windows' gradients in its own order
                np.testing.assert_array_equal(y, other_y)  # equal NaN positions, equal values elsewhere
                tol = 1e-12 if dtype == np.float64 else 1e-6
                assert_close(grad, other_grad, rtol=tol, atol=tol, name=f"{name} grad with NaN")
    check()


@pytest.mark.parametrize("name", sorted(POOLS))
def test_ceil_mode_takes_a_kernel_wider_than_the_padded_input_as_pytorch_does(name):
    """A 3x3 kernel over 6 x 2 images with ceil_mode: PyTorch rounds the 2 columns up to one window;
    this was refused as a kernel larger than the padded input. A kernel that leaves no window, even
    rounded up, is still refused."""
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 2))
    t = mg.tensor(x, requires_grad=True)
    y = POOLS[name](t, 3, ceil_mode=True)
    assert y.shape == (2, 3, 2, 1)
    y.backward(np.ones(y.shape))
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x, requires_grad=True)
    ty = torch_pool(torch, name, tx, dict(kernel_size=3, stride=None, padding=0, ceil_mode=True))
    ty.sum().backward()
    assert_close(y.data, ty.detach().numpy(), name=f"{name} value")
    assert_close(t.grad, tx.grad.numpy(), name=f"{name} grad")
    for stride, out in ((1, -1), (2, 0)):
        message = (rf"{name}: kernel \(4, 4\) with dilation \(1, 1\) and stride \({stride}, {stride}\) leaves no "
                   rf"window on the input \(6, 2\) with padding \(0, 0\), even with ceil_mode "
                   rf"\(output size \(\d, {out}\)\)")
        with pytest.raises(ValueError, match=message):
            POOLS[name](t, 4, stride=stride, ceil_mode=True)
        with pytest.raises(RuntimeError, match="Output size is too small"):
            torch_pool(torch, name, tx, dict(kernel_size=4, stride=stride, padding=0, ceil_mode=True))


@pytest.mark.parametrize("name", ["max_pool2d", "max_abs_pool2d"])
def test_ceil_mode_overhang_is_padding_when_x_has_a_nan(each_backend, name):
    """The numba kernels pad with NaN, and the pass that keeps x's NaN must not take ceil_mode's
    overhang for x (the drawn cases above reach this only with the thorough profile)."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    x[0, 0, 0, 0] = np.nan
    t = mg.tensor(x, requires_grad=True)
    y = POOLS[name](t, 2, ceil_mode=True)
    np.testing.assert_array_equal(y.data, [[[[np.nan, 5], [7, 8]]]])
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(t.grad, [[[[1, 0, 0], [0, 0, 1], [0, 1, 1]]]])


@pytest.mark.parametrize("name", ["max_pool2d", "max_abs_pool2d"])
def test_return_indices_gives_each_kept_elements_place_in_its_plane(each_backend, name):
    """indices index each input plane flattened, as PyTorch's: x's plane gathered there is y, on inputs
    with ties and NaN; both backends give the same indices; and torch's max_pool2d (or the port of
    Rohrer's max-|x| pool built on it) gives them too."""
    try:
        import torch
    except ImportError:
        torch = None

    @given(pool_cases(spread=False, name=name), st.data())
    def check(case, data):
        x, kw = case
        x = np.where(data.draw(arrays(x.shape, 0, 1)) < 0.1, np.nan, np.round(x))
        y, indices = POOLS[name](mg.tensor(x), **kw, return_indices=True)
        assert indices.dtype == np.int64 and indices.shape == y.shape
        planes = x.reshape(x.shape[0], x.shape[1], -1)
        np.testing.assert_array_equal(np.take_along_axis(planes, indices.data.reshape(planes.shape[:2] + (-1,)), 2),
                                      y.data.reshape(planes.shape[:2] + (-1,)))
        np.testing.assert_array_equal(y.data, POOLS[name](mg.tensor(x), **kw).data)
        if torch is not None:
            t_y, t_indices = torch_pool(torch, name, torch.tensor(x), dict(kw, return_indices=True))
            np.testing.assert_array_equal(indices.data, t_indices.numpy())
            np.testing.assert_array_equal(y.data, t_y.numpy())
    check()


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("name", ["max_pool2d", "max_abs_pool2d"])
def test_dilated_pools_numba_equals_reference_and_torch(kernel_threads, name):
    """Dilated windows on both paths: the same values, indices and gradients bit for bit, ties and NaN
    included; and torch's (or the max-|x| port's) values and indices."""
    try:
        import torch
    except ImportError:
        torch = None

    @given(pool_cases(spread=False, name=name, dilation=(2, 3), threads=kernel_threads), st.data(), SEEDS)
    def check(case, data, seed):
        x, kw = case
        # -1, 0 and 1 only: ties in most windows, which the first real element of each must win
        x = np.where(data.draw(arrays(x.shape, 0, 1)) < 0.1, np.nan, np.clip(np.round(x), -1, 1))
        results = []
        for be in ("numpy", "numba"):
            with backend.use_backend(be):
                t = mg.tensor(x, requires_grad=True)
                y, indices = POOLS[name](t, **kw, return_indices=True)
                y.backward(np.random.default_rng(seed).standard_normal(y.shape))
                results.append((y.data, indices.data, t.grad))
        for e, a, what in zip(*results, ("y", "indices", "grad")):
            assert_same_bits(a, e, what)
        if torch is not None:
            tx = torch.tensor(x, requires_grad=True)
            t_y, t_indices = torch_pool(torch, name, tx, dict(kw, return_indices=True))
            t_y.backward(torch.tensor(np.random.default_rng(seed).standard_normal(t_y.shape)))
            np.testing.assert_array_equal(results[0][0], t_y.detach().numpy())
            np.testing.assert_array_equal(results[0][1], t_indices.numpy())
            assert_close(results[0][2], tx.grad.numpy(), rtol=1e-12, atol=1e-12, name=f"dilated {name} grad")
    check()


@pytest.mark.parametrize("name", ["max_pool2d", "max_abs_pool2d"])
def test_dilated_pool_gradients(name):
    """On the reference path, which the numba kernels equal bit for bit (above)."""
    @given(pool_cases(name=name, dilation=(2, 3)), SEEDS)
    def check(case, seed):
        x, kw = case
        with backend.use_backend("numpy"):
            mg.gradcheck(lambda t: POOLS[name](t, **kw), [x], mode="directional", seed=seed)
    check()


@pytest.mark.parametrize("name", ["max_pool2d", "max_abs_pool2d"])
def test_dilated_pool_ties_go_to_the_first_element_of_x_in_window_order(each_backend, name):
    """All equal: every window keeps its first position, in row-major order, that is not padding.
    With padding 2 and dilation 2 (3 across), windows at the border start one row (column) into it."""
    h, w, k, d, p = 7, 9, 4, (2, 3), 2
    _, indices = POOLS[name](mg.tensor(np.ones((1, 1, h, w))), k, 1, p, d, return_indices=True)
    expected = np.empty(indices.shape, np.int64)
    for oh, ow in np.ndindex(*indices.shape[2:]):
        expected[0, 0, oh, ow] = next((oh - p + i * d[0]) * w + ow - p + j * d[1] for i in range(k) for j in range(k)
                                      if 0 <= oh - p + i * d[0] < h and 0 <= ow - p + j * d[1] < w)
    np.testing.assert_array_equal(indices.data, expected)


def test_return_indices_agree_across_backends():
    if not backend.numba_available():
        pytest.skip("numba not installed")

    @given(pool_cases(spread=False), st.sampled_from(sorted(set(POOLS) - {"avg_pool2d"})))
    def check(case, name):
        x, kw = case
        x = np.round(x)
        results = []
        for be in ("numpy", "numba"):
            with backend.use_backend(be):
                results.append(POOLS[name](mg.tensor(x), **kw, return_indices=True)[1].data)
        np.testing.assert_array_equal(*results)
    check()


@pytest.mark.parametrize("name", ["max_pool2d", "max_abs_pool2d"])
@pytest.mark.parametrize("width, dilation", [(2, 3), (1, 2)])  # dilation 2 as well: it went unchecked once
def test_dilated_pool_refuses_windows_of_padding_only(name, width, dilation):
    """Positions -1 and d - 1 of a row d - 1 wide are both padding: PyTorch returns -inf there and an
    index outside the plane; minigrad says which window, before any kernel runs."""
    message = (rf"{name}: window 0 along W reads only padding \(positions \[-1, {dilation - 1}\] of an input {width} "
               rf"long\): kernel \(1, 2\), dilation \(1, {dilation}\), padding \(0, 1\)")
    with pytest.raises(ValueError, match=message):
        POOLS[name](mg.tensor(np.ones((1, 1, 1, width))), (1, 2), 1, (0, 1), (1, dilation))


@st.composite
def unpool_cases(draw):
    """(x, indices, kernel, stride, output size): indices anywhere in the output planes, repeats
    allowed, and x's values all different, so a repeat's last write is the one that shows."""
    k, s = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = tuple((n - 1) * s + k for n in shape[2:])
    indices = draw(arrays(shape, 0, size[0] * size[1] - 1e-9)).astype(np.int64)
    return draw(tie_free_arrays(shape)), indices, k, s, size


def test_max_unpool_gradients():
    @given(unpool_cases(), SEEDS)
    def check(case, seed):
        x, indices, k, s, _ = case
        mg.gradcheck(lambda t: F.max_unpool2d(t, indices, k, s), [x], mode="directional", seed=seed)
        mg.gradcheck(lambda t: F.max_unpool2d(t, indices, k, s), [x])
    check()


def test_max_unpool_puts_each_value_at_its_index_the_last_write_winning():
    """A plain loop over x in C order, writing y.flat[index] = value, is the forward; the gradient
    reaches only the writes that stayed (no torch needed)."""
    @given(unpool_cases(), SEEDS)
    def check(case, seed):
        x, indices, k, s, size = case
        expected = np.zeros(x.shape[:2] + size)
        stayed = np.zeros(x.shape, bool)
        for n, c in np.ndindex(*x.shape[:2]):
            last = {}
            for position, index in enumerate(indices[n, c].ravel()):
                last[index] = position
            for index, position in last.items():
                expected[n, c].flat[index] = x[n, c].flat[position]
                stayed[n, c].flat[position] = True
        t = mg.tensor(x, requires_grad=True)
        y = F.max_unpool2d(t, mg.Tensor(indices), k, s)
        np.testing.assert_array_equal(y.data, expected)
        g = np.random.default_rng(seed).standard_normal(y.shape)
        y.backward(g)
        gathered = np.take_along_axis(g.reshape(g.shape[0], g.shape[1], -1), indices.reshape(*x.shape[:2], -1), 2)
        np.testing.assert_array_equal(t.grad, np.where(stayed, gathered.reshape(x.shape), 0))
    check()


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_unpool_numba_equals_reference(kernel_threads, dtype):
    """The scatter kernel and its backward against the reference's sort, bit for bit, repeats included;
    the input stored channel-major as conv2d's output is and indices of another integer type."""
    @given(unpool_cases(), st.booleans(), SEEDS)
    def check(case, channel_major, seed):
        x, indices, k, s, _ = case
        x = as_channel_major(x.astype(dtype)) if channel_major else x.astype(dtype)
        g = np.random.default_rng(seed).standard_normal(((x.shape[2] - 1) * s + k, (x.shape[3] - 1) * s + k))
        results = []
        for be in ("numpy", "numba"):
            with backend.use_backend(be):
                t = mg.tensor(x, requires_grad=True)
                y = F.max_unpool2d(t, indices.astype(np.int32), k, s)
                y.backward(np.broadcast_to(g.astype(dtype), y.shape))
                results.append((y.data, t.grad))
        for e, a, what in zip(*results, ("y", "grad")):
            assert e.dtype == dtype
            assert_same_bits(a, e, what)
    check()


def test_max_unpool_undoes_max_pool_as_torch_does(each_backend):
    """Values put back where max_pool2d found them, PyTorch's output sizes; values and gradients
    equal torch's where windows do not overlap. Where they do, an element kept by two windows is
    written twice with the same value: torch's values still, but torch sends it the gradient of
    both writes (2 g there, not g: its backward is not the VJP of its forward), minigrad that of
    the one that stayed."""
    torch = pytest.importorskip("torch")

    @given(pool_cases(ceil_mode=False), st.booleans(), SEEDS)
    def check(case, whole_shape, seed):
        x, kw = case
        kw = dict(kw, dilation=(1, 1))
        y, indices = F.max_pool2d(mg.tensor(x), **kw, return_indices=True)
        settings = dict(kernel_size=kw["kernel_size"], stride=kw["stride"], padding=kw["padding"])
        output_size = x.shape if whole_shape else x.shape[2:]  # the input's: rows left over by the windows too
        t = mg.tensor(y.data, requires_grad=True)
        out = F.max_unpool2d(t, indices, **settings, output_size=output_size)
        ty = torch.tensor(y.data, requires_grad=True)
        t_out = torch.nn.functional.max_unpool2d(ty, torch.tensor(indices.data), **settings, output_size=output_size)
        np.testing.assert_array_equal(out.data, t_out.detach().numpy())
        g = np.random.default_rng(seed).standard_normal(out.shape)
        out.backward(g)
        t_out.backward(torch.tensor(g))
        repeats = np.array([np.unique(plane, return_counts=True)[1].max() > 1 for plane in
                            indices.data.reshape(-1, indices.shape[2] * indices.shape[3])]).any()
        if not repeats:
            np.testing.assert_array_equal(t.grad, ty.grad.numpy())
    check()


def test_max_unpool_gradient_where_torch_counts_a_repeat_twice():
    """5 is kept by both windows of 2 and written twice to the same place: d y[1] / d x[1] is 1, so x[1]
    gets g[1] = 10 (docs/windows.md). torch 2.13 gives 20."""
    x = mg.tensor(np.array([[[[1.0, 5.0, 2.0, 0.0]]]]), requires_grad=True)
    g = np.array([[[[1.0, 10.0, 100.0, 1000.0]]]])
    F.max_unpool2d(*F.max_pool2d(x, (1, 2), 1, return_indices=True), (1, 2), 1).backward(g)
    np.testing.assert_array_equal(x.grad, [[[[0, 10, 100, 0]]]])
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x.data, requires_grad=True)
    torch.nn.functional.max_unpool2d(*torch.nn.functional.max_pool2d(tx, (1, 2), 1, return_indices=True), (1, 2), 1
                                      ).backward(torch.tensor(g))
    np.testing.assert_array_equal(tx.grad.numpy(), [[[[0, 20, 100, 0]]]])


@pytest.mark.parametrize("call,error,message", [
    (lambda: F.max_unpool2d(np.ones((1, 1, 1, 3)), np.array([[[[0, 6, 1]]]]), (1, 2)), ValueError,
     r"max_unpool2d: index 6 outside the 1 x 6 output planes"),
    (lambda: F.max_unpool2d(np.ones((1, 1, 1, 3)), np.array([[[[0, -1, 1]]]]), (1, 2)), ValueError,
     r"max_unpool2d: index -1 outside"),
    (lambda: F.max_unpool2d(np.ones((1, 1, 1, 3)), np.zeros((1, 1, 1, 2), int), (1, 2)), ValueError,
     r"max_unpool2d: expected a 4-D NCHW input and indices of its shape, got \(1, 1, 1, 3\) and \(1, 1, 1, 2\)"),
    (lambda: F.max_unpool2d(np.ones((1, 1, 1, 3)), np.zeros((1, 1, 1, 3)), (1, 2)), TypeError,
     r"max_unpool2d: indices must hold integers, got dtype float64"),
    (lambda: F.max_unpool2d(np.ones((1, 1, 1, 3)), np.zeros((1, 1, 1, 3), int), (1, 2), output_size=(1, 8)), ValueError,
     r"max_unpool2d: output_size \(1, 8\) must be \(H, W\) or \(N, C, H, W\) with H, W within a stride \(1, 2\) of "
     r"\(1, 6\), exclusive"),
    (lambda: F.max_unpool2d(np.ones((1, 1, 1, 3)), np.zeros((1, 1, 1, 3), int), (1, 2), output_size=(1, 4)), ValueError,
     r"max_unpool2d: output_size \(1, 4\) must be"),  # a whole stride below is out, as in PyTorch
    (lambda: F.max_unpool2d(np.ones((1, 1, 1, 3)), np.zeros((1, 1, 1, 3), int), (1, 2), output_size=(1, 1, 6)),
     ValueError, r"max_unpool2d: output_size \(1, 1, 6\) must be \(H, W\) or \(N, C, H, W\)"),
    (lambda: F.max_unpool2d(np.ones((1, 1, 1, 3)), np.zeros((1, 1, 1, 3), int), 2, 1, 1), ValueError,
     r"max_unpool2d: input \(1, 1, 1, 3\) with kernel \(2, 2\), stride \(1, 1\) and padding \(1, 1\) unpools to \(0, 2\)"),
    (lambda: layers.MaxUnpool2d(0), ValueError, r"MaxUnpool2d: kernel_size must be >= 1"),
])
def test_max_unpool_refuses_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_max_unpool_module_as_pytorchs():
    module = layers.MaxUnpool2d(2, padding=(0, 1))
    x = mg.tensor(np.arange(6.0).reshape(1, 1, 2, 3))
    indices = np.array([[[[0, 2, 4], [6, 9, 11]]]])
    assert module(x, indices).shape == (1, 1, 4, 4) and module(x, indices, (1, 1, 5, 5)).shape == (1, 1, 5, 5)
    torch = pytest.importorskip("torch")
    tm = torch.nn.MaxUnpool2d(2, padding=(0, 1))
    assert repr(module) == repr(tm)
    np.testing.assert_array_equal(module(x, indices).data, tm(torch.tensor(x.data), torch.tensor(indices)).numpy())


def test_max_abs_pool_tie_rule(each_backend):
    # windows of 2: (|x| wins), (+a beats -a in either order), (equal values: the first gets the gradient)
    x = np.array([[[[-3.0, 1.0, -2.0, 2.0, 2.0, -2.0, 5.0, 5.0]]]])
    t = mg.tensor(x, requires_grad=True)
    y = F.max_abs_pool2d(t, (1, 2))
    np.testing.assert_array_equal(y.data.ravel(), [-3.0, 2.0, 2.0, 5.0])
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(t.grad.ravel(), [1, 0, 0, 1, 1, 0, 1, 0])


def test_max_pool_first_maximum_gets_the_gradient_and_padding_never_wins(each_backend):
    x = np.array([[[[-1.0, -1.0, -5.0]]]])
    t = mg.tensor(x, requires_grad=True)
    y = F.max_pool2d(t, (1, 3), stride=1, padding=(0, 1))
    np.testing.assert_array_equal(y.data.ravel(), [-1.0, -1.0, -1.0])
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(t.grad.ravel(), [2, 1, 0])


def pool_by_hand(x, k, s, p, name):
    """(values, flat indices) of a max or max-|x| pool, one window at a time in Python's own ints and
    floats: max() keeps the first of the window's elements (padding is none of them) with the largest
    key, |v| then v > 0 for max-|x|, so that +a beats -a."""
    key = (lambda v: v) if name == "max_pool2d" else (lambda v: (abs(v), v > 0))  # noqa: E731
    n, c, h, w = x.shape
    oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    values, indices = np.empty((n, c, oh, ow), x.dtype), np.empty((n, c, oh, ow), np.int64)
    for b, ch, i, j in np.ndindex(n, c, oh, ow):
        window = [(r * w + q, x[b, ch, r, q].item()) for r in range(i * s - p, i * s - p + k)
                  for q in range(j * s - p, j * s - p + k) if 0 <= r < h and 0 <= q < w]
        indices[b, ch, i, j], values[b, ch, i, j] = max(window, key=lambda item: key(item[1]))
    return values, indices


@st.composite
def extreme_arrays(draw):
    """Integers of every width with their extremes, or floats of few values with infinities: ties
    everywhere, int8's -128 (whose abs is -128 in int8), int64's beyond float64's 2^53."""
    dtype = np.dtype(draw(st.sampled_from(["int8", "int16", "int32", "int64", "uint8", "uint64",
                                           "float32", "float64"])))
    if dtype.kind == "f":
        specials = [-np.inf, np.inf, -2.0, -1.0, 0.0, 1.0, 2.0]
    else:
        low, high = int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)
        specials = sorted(v for v in {low, low + 1, -1, 0, 1, 2**60, 2**60 + 1, high - 1, high} if low <= v <= high)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(3, 6)), draw(st.integers(3, 6)))
    values = draw(st.lists(st.sampled_from(specials), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return np.array(values, dtype=dtype).reshape(shape)


@pytest.mark.parametrize("name", ["max_pool2d", "max_abs_pool2d"])
@given(x=extreme_arrays(), k=st.integers(1, 3), s=st.integers(1, 2), data=st.data())
def test_pools_of_extreme_values_keep_what_python_keeps(each_backend, name, x, k, s, data):
    """Before: the reference path compared max-|x| keys in the input's dtype, so int8's -128 lost to
    every other value, and max keys in float64, so int64's 2^60 + 1 tied 2^60; and it let padding (a 0)
    win a window of -inf's, with an index outside the input (-4), where numba and PyTorch keep -inf."""
    p = data.draw(st.integers(0, k // 2))
    assume(min(x.shape[2:]) + 2 * p >= k)
    y, index = POOLS[name](mg.tensor(x), k, s, p, return_indices=True)
    values, indices = pool_by_hand(x, k, s, p, name)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y.data, values)
    np.testing.assert_array_equal(index.data, indices)


@pytest.mark.parametrize("name", ["max_pool2d", "max_abs_pool2d"])
def test_pools_with_windows_of_more_than_256_positions(each_backend, name):
    """The numba path stores each kept position in the smallest integer type that holds it; a
    17 x 16 window has 272 positions, past uint8's 255 (and int8's 127)."""
    positions = [0, 127, 128, 255, 256, 271]
    x = np.zeros((1, len(positions), 17, 16))
    x.reshape(len(positions), -1)[np.arange(len(positions)), positions] = 1.0
    t = mg.tensor(x, requires_grad=True)
    y = POOLS[name](t, kernel_size=(17, 16))
    np.testing.assert_array_equal(y.data.ravel(), np.ones(len(positions)))
    y.backward(np.ones(y.shape))
    np.testing.assert_array_equal(t.grad, x)


NCHW_SHAPES = st.tuples(*[st.integers(1, 4)] * 4)


@given(NCHW_SHAPES, st.data())
def test_global_avg_pool_gradient(shape, data):
    mg.gradcheck(lambda t: F.global_avg_pool2d(t), [data.draw(arrays(shape))])


def test_global_avg_pool_against_torch():
    torch = pytest.importorskip("torch")

    @given(NCHW_SHAPES, st.data())
    def check(shape, data):
        x, g = data.draw(arrays(shape)), data.draw(arrays(shape[:2] + (1, 1)))
        t, tt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y = F.global_avg_pool2d(t)
        y.backward(g)
        ty = torch.nn.functional.adaptive_avg_pool2d(tt, 1)
        ty.backward(torch.tensor(g))
        assert_close(y.data, ty.detach().numpy(), name="value")
        assert_close(t.grad, tt.grad.numpy(), name="grad")
    check()


@st.composite
def adaptive_cases(draw, least=0):
    """An input and an output_size: smaller or larger than the input, None keeping an input size."""
    x = draw(arrays((draw(st.integers(0, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)))))
    size = st.integers(least, 9)
    return x, draw(size | st.tuples(size | st.none(), size | st.none()))


@given(adaptive_cases(), st.integers(0, 2**31 - 1))
def test_adaptive_avg_pool_gradient(case, seed):
    x, output_size = case
    mg.gradcheck(lambda t: F.adaptive_avg_pool2d(t, output_size), [x], mode="directional", seed=seed)
    if x.size <= 40:
        mg.gradcheck(lambda t: F.adaptive_avg_pool2d(t, output_size), [x])


@given(adaptive_cases(least=1))
def test_adaptive_avg_pool_equals_avg_pool_on_whole_windows_and_the_mean(case):
    """Without torch: output 1 is the mean over H and W; sizes that divide the input give avg_pool2d's
    windows; the input's own size gives the input."""
    x, _ = case
    t = mg.tensor(x)
    assert_close(F.adaptive_avg_pool2d(t, 1).data, F.global_avg_pool2d(t).data, rtol=1e-13, atol=1e-15)
    h, w = x.shape[2:]
    for oh in (d for d in range(1, h + 1) if h % d == 0):
        for ow in (d for d in range(1, w + 1) if w % d == 0):
            assert_close(F.adaptive_avg_pool2d(t, (oh, ow)).data, F.avg_pool2d(t, (h // oh, w // ow)).data,
                         rtol=1e-13, atol=1e-15, name=f"output {(oh, ow)}")
    assert_close(F.adaptive_avg_pool2d(t, (None, None)).data, x, rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf - inf in the reference below
@given(adaptive_cases(least=1), st.data())
def test_adaptive_avg_pool_keeps_infinities_and_nan_in_their_windows(case, data):
    """Window by window, as PyTorch's kernel sums (an infinity gives +-inf, NaN with the other sign or a
    NaN, in its windows only), forward and backward. Before: the averaging matrices' zeros turned one
    infinity into NaN over its whole plane (0 inf), in y and in dx."""
    x, output_size = case
    specials = st.sampled_from([np.inf, -np.inf, np.nan, 1.0, -2.0])

    def some_special(a):
        replaced = data.draw(hnp.arrays(bool, a.shape))
        return np.where(replaced, data.draw(hnp.arrays(a.dtype, a.shape, elements=specials)), a)
    x = some_special(x)
    t = mg.tensor(x, requires_grad=True)
    y = F.adaptive_avg_pool2d(t, output_size)
    g = some_special(np.ones(y.shape))
    y.backward(g)
    expected, dx = np.empty(y.shape), np.zeros(x.shape)
    (h, w), (oh, ow) = x.shape[2:], y.shape[2:]
    for i, j in np.ndindex(oh, ow):  # PyTorch's window i of n along an axis of size s: [i s // n, ceil((i + 1) s / n))
        rows, cols = range(i * h // oh, -(-(i + 1) * h // oh)), range(j * w // ow, -(-(j + 1) * w // ow))
        window = np.s_[:, :, rows.start:rows.stop, cols.start:cols.stop]
        expected[:, :, i, j] = x[window].mean(axis=(2, 3))
        dx[window] += g[:, :, i, j, None, None] / (len(rows) * len(cols))
    assert_close(y.data, expected, rtol=1e-13, atol=1e-15, name="value")
    assert_close(t.grad, dx, rtol=1e-13, atol=1e-15, name="grad")


def test_adaptive_avg_pool_against_torch():
    torch = pytest.importorskip("torch")

    @given(adaptive_cases(least=1), st.integers(0, 2**31 - 1))  # torch's backward refuses an empty output
    def check(case, seed):
        x, output_size = case
        t, tt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = F.adaptive_avg_pool2d(t, output_size), torch.nn.functional.adaptive_avg_pool2d(tt, output_size)
        g = np.random.default_rng(seed).standard_normal(y.shape)
        y.backward(g)
        ty.backward(torch.tensor(g))
        assert_close(y.data, ty.detach().numpy(), name="value")
        assert_close(t.grad, tt.grad.numpy(), name="grad")
    check()
    assert repr(layers.AdaptiveAvgPool2d((None, 3))) == repr(torch.nn.AdaptiveAvgPool2d((None, 3)))


def test_adaptive_avg_pool_refuses_bad_settings_naming_the_op():
    x = mg.tensor(np.ones((1, 2, 4, 4)))
    for bad in (-1, (2,), (2, 2.5), "2", True):
        with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: output_size must be an int >= 0 or a pair"):
            F.adaptive_avg_pool2d(x, bad)
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d: output_size must be"):
        layers.AdaptiveAvgPool2d((3, -1))
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: expected a 4-D NCHW input with C, H and W >= 1, "
                                         r"got shape \(1, 2, 0, 4\)"):
        F.adaptive_avg_pool2d(mg.tensor(np.ones((1, 2, 0, 4))), 2)


UNBATCHED = {
    "conv2d": lambda x: layers.Conv2d(1, 2, 3)(x),
    "max_pool2d": lambda x: F.max_pool2d(x, 2),
    "avg_pool2d": lambda x: F.avg_pool2d(x, 2),
    "max_abs_pool2d": lambda x: F.max_abs_pool2d(x, 2),
    "adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x, 2),
    "global_avg_pool2d": lambda x: F.global_avg_pool2d(x),
    "sharpened_cosine_similarity": lambda x: layers.SharpCosSim2d(1, 2, 3)(x),
    "conv_twist": lambda x: layers.ConvTwist2d(1, 2)(x),
    "unfold": lambda x: mg.unfold(x, 2),
}


@pytest.mark.parametrize("op", UNBATCHED)
def test_an_unbatched_image_is_refused_saying_how_to_batch_it(op):
    """PyTorch's conv and pools take an unbatched (C, H, W) image; these said only "expected a 4-D
    NCHW input", which reads as a wrong layout rather than a missing batch dim."""
    x = mg.tensor(np.zeros((1, 6, 6), np.float32))
    with pytest.raises(ValueError, match=rf"^{op}: expected a 4-D NCHW input, got shape \(1, 6, 6\) \(an unbatched "
                                         r"\(C, H, W\) image needs its batch dim: x\[None\]\)$"):
        UNBATCHED[op](x)
    UNBATCHED[op](x[None])


def test_pool_modules_and_global_avg_pool_input_rank():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    assert_close(layers.GlobalAvgPool2d()(mg.tensor(x)).data, x.mean(axis=(2, 3), keepdims=True))
    with pytest.raises(ValueError, match=r"global_avg_pool2d: expected a 4-D NCHW input, got shape \(3, 4, 5\)"):
        F.global_avg_pool2d(mg.tensor(x[0]))
    with pytest.raises(ValueError, match=r"global_avg_pool2d: expected a 4-D NCHW input, got shape \(4, 5\)$"):
        F.global_avg_pool2d(mg.tensor(x[0, 0]))
    for module, fn in ((layers.MaxPool2d(2), F.max_pool2d), (layers.AvgPool2d(2), F.avg_pool2d),
                       (layers.MaxAbsPool2d(2), F.max_abs_pool2d)):
        np.testing.assert_array_equal(module(mg.tensor(x)).data, fn(mg.tensor(x), 2).data)


def test_conv2d_module_defaults_match_pytorch():
    conv = layers.Conv2d(4, 6, 3, groups=2, rng=np.random.default_rng(0))
    assert conv.weight.shape == (6, 2, 3, 3) and conv.bias.shape == (6,) and conv.weight.dtype == np.float32
    bound = 1 / np.sqrt(2 * 9)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    wide = layers.Conv2d(4, 600, 3, groups=2, rng=np.random.default_rng(0))  # enough draws to reach the bound
    assert bound >= np.abs(wide.weight.data).max() > 0.998 * bound
    assert bound >= np.abs(wide.bias.data).max() > 0.99 * bound
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert layers.Conv2d(1, 2, 3, bias=False).bias is None


@pytest.mark.parametrize("args, kw", [((1, 2, 3), {}), ((1, 2, 3), dict(stride=2, padding=1, bias=False)),
                                      ((4, 6, (1, 3)), dict(dilation=(2, 1), groups=2)),
                                      ((2, 4, 2), dict(padding="same", dilation=2)),
                                      ((2, 4, 3), dict(padding="valid")),
                                      ((2, 4, 3), dict(padding=1, bias=False, padding_mode="reflect"))])
def test_conv2d_module_prints_as_pytorchs(args, kw):
    """Side by side with a torch model, print(model) reads the same: the settings that differ from the
    defaults (every setting was printed)."""
    torch = pytest.importorskip("torch")
    assert repr(layers.Conv2d(*args, **kw)) == repr(torch.nn.Conv2d(*args, **kw))
    block = mg.nn.Sequential(layers.Conv2d(*args, **kw), mg.nn.ReLU())
    assert repr(block) == repr(torch.nn.Sequential(torch.nn.Conv2d(*args, **kw), torch.nn.ReLU()))


EMPTY_BATCH_LAYERS = {
    "conv2d": (lambda: layers.Conv2d(3, 4, 3, padding=1), (0, 4, 8, 8)),
    "conv2d groups": (lambda: layers.Conv2d(4, 6, 3, stride=2, groups=2), (0, 6, 3, 3)),
    "conv_transpose2d": (lambda: layers.ConvTranspose2d(4, 6, 3, stride=2, output_padding=1, groups=2), (0, 6, 18, 18)),
    "scs rohrer": (lambda: layers.SharpCosSim2d(3, 4), (0, 4, 8, 8)),
    "scs pisoni": (lambda: layers.SharpCosSim2d(3, 4, variant="pisoni"), (0, 4, 8, 8)),
    "twist": (lambda: layers.ConvTwist2d(3, 4, stride=2), (0, 4, 4, 4)),
    "max pool": (lambda: layers.MaxPool2d(3, 2, 1), None),
    "max-abs pool": (lambda: layers.MaxAbsPool2d(2), None),
    "avg pool": (lambda: layers.AvgPool2d(3, 1, 1), None),
    "adaptive avg pool": (lambda: layers.AdaptiveAvgPool2d((3, None)), (0, 3, 3, 8)),
}


@pytest.mark.parametrize("name", sorted(EMPTY_BATCH_LAYERS))
def test_empty_batch_gives_empty_output_and_zero_gradients(each_backend, name):
    """As in PyTorch, a batch of 0 images is valid. The batch chunks divided by zero, and reshapes
    with -1 could not infer a size from an empty array."""
    make, out_shape = EMPTY_BATCH_LAYERS[name]
    module = make()
    channels = module.in_channels if hasattr(module, "in_channels") else 3
    x = mg.tensor(np.zeros((0, channels, 8, 8), np.float32), requires_grad=True)
    y = module(x)
    if out_shape is not None:
        assert y.shape == out_shape
    y.backward(np.zeros(y.shape, np.float32))
    assert x.grad.shape == x.shape
    for param_name, param in module.named_parameters():
        assert param.grad.shape == param.shape and not param.grad.any(), param_name


@pytest.mark.parametrize("call,message", [
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 2, 2))), np.ones((1, 1, 3, 3))), r"kernel \(3, 3\).*larger than the padded input \(2, 2\)"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 5, 2))), np.ones((1, 1, 3, 3))), r"kernel \(3, 3\).*larger than the padded input \(5, 2\)"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 2, 1))), np.ones((1, 1, 5, 5)), padding=1),
     r"kernel \(5, 5\) with dilation \(1, 1\) spans \(5, 5\), larger than the padded input \(4, 3\) \(input \(2, 1\), "
     r"padding \(1, 1\)\)"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 5, 5))), np.ones((1, 1, 3, 3)), stride=0), r"stride must be >= 1, got \(0, 0\)"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 5, 5))), np.ones((1, 1, 3, 3)), dilation=(1, 0)), r"dilation must be >= 1"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 5, 5))), np.ones((1, 1, 3, 3)), padding=-1), r"padding must be >= 0"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 3, 5, 5))), np.ones((2, 1, 3, 3)), groups=2), r"in_channels 3 and out_channels 2 must be divisible by groups 2"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 3, 5, 5))), np.ones((2, 3, 3))), r"4-D weight"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 3, 5, 5))), np.ones((2, 2, 3, 3))), r"weight shape \(2, 2, 3, 3\)"),
    (lambda: F.conv2d(mg.tensor(np.ones((3, 5, 5))), np.ones((2, 3, 3, 3))), r"4-D NCHW input, got shape \(3, 5, 5\)"),
    (lambda: F.max_pool2d(mg.tensor(np.ones((1, 1, 5, 5))), 2, padding=2), r"max_pool2d: padding \(2, 2\) must be at most half"),
    (lambda: F.max_pool2d(mg.tensor(np.ones((1, 1, 5, 5))), (3, 2), padding=(1, 2)),  # the width alone too much
     r"max_pool2d: padding \(1, 2\) must be at most half the kernel size \(3, 2\)"),
    (lambda: F.avg_pool2d(mg.tensor(np.ones((1, 1, 5, 5))), (2, 3), padding=(2, 1)),  # the height alone
     r"avg_pool2d: padding \(2, 1\) must be at most half the kernel size \(2, 3\)"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 5, 5))), np.ones((2, 1, 3, 3)), np.ones((1, 2))),  # broadcast silently
     r"conv2d: bias shape \(1, 2\) != \(2,\)"),
    (lambda: F.avg_pool2d(mg.tensor(np.ones((1, 1, 1, 5))), 2), r"avg_pool2d: kernel \(2, 2\)"),
    (lambda: mg.im2col(mg.tensor(np.ones((1, 1, 5, 5))), 2.5), r"im2col: kernel_size must be an int or a pair"),
    (lambda: mg.col2im(np.ones((1, 2, 2, 1, 3, 3)), (1, 1, 5, 5), 2), r"col2im: columns of shape"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 5, 5))), np.ones((1, 1, 3, 3)), padding="Same"), r"conv2d: padding must be an int, a pair of ints, 'valid' or 'same', got 'Same'"),
    (lambda: layers.Conv2d(3, 4, 3, groups=2), r"divisible by groups 2"),
    (lambda: layers.Conv2d(3, 4, 3, padding_mode="zero"),
     r"Conv2d: padding_mode must be one of \('zeros', 'reflect', 'replicate', 'circular'\), got 'zero'"),
    (lambda: layers.Conv2d(1, -2, 3), r"Conv2d: out_channels must be an int >= 1, got -2"),
    (lambda: layers.Conv2d(1, 2, 0), r"Conv2d: kernel_size must be >= 1, got \(0, 0\)"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 0, 5, 5))), np.ones((2, 0, 3, 3))), r"conv2d: needs at least one input and one output channel, got input \(1, 0, 5, 5\)"),
    (lambda: F.conv2d(mg.tensor(np.ones((1, 1, 5, 5))), np.ones((0, 1, 3, 3))), r"weight \(0, 1, 3, 3\)"),
])
def test_bad_geometry_is_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("value", ["a", None])
def test_window_functions_name_themselves_for_an_input_of_no_numbers(value):
    """F.max_pool2d("a", 2), mg.unfold(None, 2), F.global_avg_pool2d("a") (an AttributeError) and the others
    below named no op (the functions that hand x to a Function name its class, as AvgPool2dFunction)."""
    w = np.ones((1, 1, 3, 3))
    calls = {"unfold": lambda: mg.unfold(value, 2), "fold": lambda: mg.fold(value, 4, 2),
             "max_pool2d": lambda: F.max_pool2d(value, 2),
             "max_abs_pool2d": lambda: F.max_abs_pool2d(value, 2),
             "global_avg_pool2d": lambda: F.global_avg_pool2d(value),
             "max_unpool2d": lambda: F.max_unpool2d(value, np.zeros((1, 1, 2, 2), np.int64), 2),
             "conv2d": lambda: F.conv2d(value, w, padding="same"),
             "sharpened_cosine_similarity": lambda: F.sharpened_cosine_similarity(value, w, 1.0, 0.1, padding="same")}
    for op, call in calls.items():
        with pytest.raises(TypeError, match=rf"^{op}: takes a number, an array or a tensor, got {value!r}$"):
            call()


@pytest.mark.parametrize("shape", [None, 5, (1, 1, 4.0, 4), (1, 1, -4, 4), "abcd"])
def test_col2im_refuses_an_input_shape_that_is_not_ints(shape):
    """col2im(col, None, 2) was "'NoneType' object is not iterable", naming no op."""
    with pytest.raises(ValueError, match=r"^col2im: input_shape must be a tuple of ints >= 0 \(N, C, H, W\), got "):
        mg.col2im(np.ones((1, 2, 2, 1, 3, 3)), shape, 2)
    assert mg.col2im(np.ones((1, 2, 2, 1, 3, 3)), np.array((1, 1, 4, 4)), 2).shape == (1, 1, 4, 4)  # as x.shape


@pytest.mark.parametrize("make,message", [
    # each was accepted and failed at the first forward, or failed here with a message naming nothing
    (lambda: layers.Conv2d(3, 4, (3,)), r"Conv2d: kernel_size must be an int or a pair of ints, got \(3,\)"),  # unpacking
    (lambda: layers.Conv2d(3, 4, None), r"Conv2d: kernel_size must be an int or a pair of ints, got None"),  # "not iterable"
    (lambda: layers.Conv2d(3, 4, np.array(3)), r"Conv2d: kernel_size must be an int or a pair of ints, got array\(3\)"),  # "unsized"
    (lambda: layers.Conv2d(3, 4, 3, padding="full"), r"Conv2d: padding must be an int, a pair of ints, 'valid' or 'same', got 'full'"),
    (lambda: layers.Conv2d(3, 4, 3, stride=2, padding="same"), r"Conv2d: padding='same' needs stride 1, got stride \(2, 2\)"),
    (lambda: layers.Conv2d(3.0, 4, 3), r"Conv2d: in_channels must be an int >= 1, got 3.0"),  # numpy's TypeError
    (lambda: layers.Conv2d(3, 4, 3, groups=0), r"Conv2d: groups must be a positive int, got 0"),  # "divisible by 0"
    (lambda: layers.Conv2d(3, 3, 3, groups=1.5), r"Conv2d: groups must be a positive int, got 1.5"),  # 3 % 1.5 == 0
    (lambda: layers.SharpCosSim2d(2, 4, groups=True), r"SharpCosSim2d: groups must be a positive int, got True"),
    (lambda: layers.Conv2d(3, 4, 3, stride=0), r"Conv2d: stride must be >= 1, got \(0, 0\)"),
    (lambda: layers.Conv2d(3, 4, 3, padding=-1), r"Conv2d: padding must be >= 0"),
    (lambda: layers.Conv2d(3, 4, 3, dilation=(1, 0)), r"Conv2d: dilation must be >= 1"),
    # one axis bad, either one (a check of one axis passed the other)
    (lambda: layers.Conv2d(3, 4, (3, 0)), r"Conv2d: kernel_size must be >= 1, got \(3, 0\)"),
    (lambda: layers.Conv2d(3, 4, 3, stride=(0, 1)), r"Conv2d: stride must be >= 1, got \(0, 1\)"),
    (lambda: layers.Conv2d(3, 4, 3, padding=(0, -1)), r"Conv2d: padding must be >= 0, got \(0, -1\)"),
    (lambda: layers.Conv2d(3, 4, 3, dilation=(0, 1)), r"Conv2d: dilation must be >= 1, got \(0, 1\)"),
    (lambda: layers.Conv2d(3, 4, (3, 2.5)), r"Conv2d: kernel_size must be an int or a pair of ints, got \(3, 2.5\)"),
    (lambda: layers.SharpCosSim2d(3, 4, stride=0), r"SharpCosSim2d: stride must be >= 1"),
    (lambda: layers.SharpCosSim2d(3, 4.5), r"SharpCosSim2d: out_channels must be an int >= 1, got 4.5"),
    (lambda: layers.ConvTwist2d(0, 4), r"ConvTwist2d: in_channels must be an int >= 1, got 0"),  # named Conv2d
    (lambda: layers.ConvTwist2d(3, 4, stride=0), r"ConvTwist2d: stride must be >= 1"),
    (lambda: layers.MaxPool2d(0), r"MaxPool2d: kernel_size must be >= 1"),
    (lambda: layers.MaxAbsPool2d(2, padding=2), r"MaxAbsPool2d: padding \(2, 2\) must be at most half"),
    (lambda: layers.AvgPool2d(2, stride=0), r"AvgPool2d: stride must be >= 1"),
])
def test_modules_refuse_bad_settings_when_built(make, message):
    with pytest.raises(ValueError, match=message):
        make()


BOOL_WINDOW_SETTINGS = {  # name: (ours, torch's); each a bool where an int belongs
    "max_pool2d(x, 2, 2, 0, True)": (lambda mg_x: F.max_pool2d(mg_x, 2, 2, 0, True),  # meant ceil_mode, set dilation
                                     lambda t, x: t.nn.functional.max_pool2d(x, 2, 2, 0, True)),
    "avg_pool2d(x, True)": (lambda mg_x: F.avg_pool2d(mg_x, True), lambda t, x: t.nn.functional.avg_pool2d(x, True)),
    "conv2d stride=True": (lambda mg_x: F.conv2d(mg_x, np.ones((2, 2, 3, 3)), stride=True),
                           lambda t, x: t.nn.functional.conv2d(x, t.ones(2, 2, 3, 3, dtype=t.float64), stride=True)),
    "conv2d padding=True": (lambda mg_x: F.conv2d(mg_x, np.ones((2, 2, 3, 3)), padding=True),
                            lambda t, x: t.nn.functional.conv2d(x, t.ones(2, 2, 3, 3, dtype=t.float64), padding=True)),
    "unfold(x, True)": (lambda mg_x: mg.unfold(mg_x, True), lambda t, x: t.nn.functional.unfold(x, True)),
    "MaxPool2d(2, stride=True)": (lambda mg_x: layers.MaxPool2d(2, stride=True)(mg_x),
                                  lambda t, x: t.nn.MaxPool2d(2, stride=True)(x)),
}


NON_BOOL_FLAGS = {  # name: (ours, torch's); an int or None where a pool takes True or False
    "avg_pool2d(x, 2, 2, 0, 1)": (lambda mg_x: F.avg_pool2d(mg_x, 2, 2, 0, 1),  # max_pool2d's order: meant dilation
                                  lambda t, x: t.nn.functional.avg_pool2d(x, 2, 2, 0, 1)),
    "avg_pool2d count_include_pad=0": (lambda mg_x: F.avg_pool2d(mg_x, 2, count_include_pad=0),
                                       lambda t, x: t.nn.functional.avg_pool2d(x, 2, count_include_pad=0)),
    "max_pool2d ceil_mode=None": (lambda mg_x: F.max_pool2d(mg_x, 2, ceil_mode=None),
                                  lambda t, x: t.nn.functional.max_pool2d(x, 2, ceil_mode=None)),
    "MaxPool2d ceil_mode=1": (lambda mg_x: layers.MaxPool2d(2, ceil_mode=1),  # refused when built
                              lambda t, x: t.nn.MaxPool2d(2, ceil_mode=1)(x)),
    "AvgPool2d ceil_mode='yes'": (lambda mg_x: layers.AvgPool2d(2, ceil_mode="yes"),
                                  lambda t, x: t.nn.AvgPool2d(2, ceil_mode="yes")(x)),
    "max_abs_pool2d return_indices=1": (lambda mg_x: F.max_abs_pool2d(mg_x, 2, return_indices=1), None),
}


@pytest.mark.parametrize("call", NON_BOOL_FLAGS)
def test_a_pools_flags_are_true_or_false_as_in_pytorch(call):
    """Each was taken for its truth value: avg_pool2d(x, 2, 2, 0, 1) pooled with ceil_mode on, a 7x7
    input giving 4x4 where PyTorch refuses the 1."""
    ours, theirs = NON_BOOL_FLAGS[call]
    x = np.ones((1, 2, 7, 7))
    with pytest.raises(TypeError, match=r"must be True or False, got "):
        ours(mg.tensor(x))
    torch = pytest.importorskip("torch")
    if theirs is not None:
        with pytest.raises(TypeError):
            theirs(torch, torch.tensor(x))


@pytest.mark.parametrize("call", BOOL_WINDOW_SETTINGS)
def test_a_bool_is_not_a_window_setting_as_in_pytorch(call):
    """Each counted True as 1 (False as 0) and ran; PyTorch refuses them."""
    ours, theirs = BOOL_WINDOW_SETTINGS[call]
    x = np.ones((1, 2, 6, 6))
    with pytest.raises(ValueError, match=r"must be an int or a pair of ints, got True"):
        ours(mg.tensor(x))
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        theirs(torch, torch.tensor(x))


def test_modules_keep_window_settings_as_pairs_as_pytorch_does():
    conv = layers.Conv2d(3, 4, 3, stride=2, padding=1)
    assert (conv.kernel_size, conv.stride, conv.padding, conv.dilation) == ((3, 3), (2, 2), (1, 1), (1, 1))
    torch = pytest.importorskip("torch")
    t = torch.nn.Conv2d(3, 4, 3, stride=2, padding=1)
    assert (t.kernel_size, t.stride, t.padding, t.dilation) == (conv.kernel_size, conv.stride, conv.padding, conv.dilation)


def test_pool_modules_keep_settings_as_given_with_the_stride_defaulting_to_the_kernel_as_pytorch_does():
    pools = [layers.MaxPool2d(2), layers.AvgPool2d(3, padding=1), layers.MaxAbsPool2d((2, 3), stride=(1, 2))]
    assert [(m.kernel_size, m.stride, m.padding) for m in pools] == [(2, 2, 0), (3, 3, 1), ((2, 3), (1, 2), 0)]
    assert repr(pools[0]) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    torch = pytest.importorskip("torch")
    ts = [torch.nn.MaxPool2d(2), torch.nn.AvgPool2d(3, padding=1), torch.nn.MaxPool2d((2, 3), stride=(1, 2))]
    assert [(t.kernel_size, t.stride, t.padding) for t in ts] == [(m.kernel_size, m.stride, m.padding) for m in pools]


def test_output_size_formula():
    g = dict(h=28, w=13, kh=3, kw=5, stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    assert output_size(g) == (14, 5)
    assert F.conv2d(mg.tensor(np.ones((1, 1, 28, 13))), np.ones((1, 1, 3, 5)), stride=(2, 1), padding=(1, 0),
                    dilation=(1, 2)).shape[2:] == (14, 5)


NON_FINITE = {
    "max_pool2d": lambda t: F.max_pool2d(t, 2),
    "avg_pool2d": lambda t: F.avg_pool2d(t, 2),
    "max_abs_pool2d": lambda t: F.max_abs_pool2d(t, 2),
    "adaptive_avg_pool2d": lambda t: F.adaptive_avg_pool2d(t, 1),
    "global_avg_pool2d": F.global_avg_pool2d,
    "conv2d": lambda t: F.conv2d(t, mg.tensor(np.ones((1, 1, 1, 1)))),
    "sharpened_cosine_similarity": lambda t: F.sharpened_cosine_similarity(
        t, mg.tensor(np.ones((1, 1, 1, 1))), mg.tensor(np.ones(1)), mg.tensor(np.array(0.1))),
    "softmax": lambda t: mg.softmax(t.reshape(1, 4), dim=1),
    "log_softmax": lambda t: mg.log_softmax(t.reshape(1, 4), dim=1),
    "cross_entropy": lambda t: mg.cross_entropy(t.reshape(1, 4), np.array([0])),
    "log": lambda t: mg.log(t - 1),
    "div": lambda t: t / (t - 1),
}


@pytest.mark.parametrize("name", NON_FINITE)
def test_infinities_give_nan_and_inf_without_warnings_on_both_backends(name):
    """inf - inf, 0 / 0, log 0: IEEE results and no warning, as PyTorch and the numba kernels give them;
    NumPy's reference path warned (an error under -W error) where numba did not."""
    x = np.array([[[[np.inf, -np.inf], [1.0, np.inf]]]])
    results = []
    for choice in BACKENDS:
        with backend.use_backend(choice), warnings.catch_warnings():
            warnings.simplefilter("error")
            t = mg.tensor(x, requires_grad=True)
            y = NON_FINITE[name](t)
            y.backward(np.ones(y.shape))
            results.append((y.data, t.grad))
    assert not np.isfinite(results[0][0]).all() or not np.isfinite(results[0][1]).all()  # the case reached
    for y, grad in results[1:]:
        np.testing.assert_array_equal(y, results[0][0])
        np.testing.assert_array_equal(grad, results[0][1])


# values of each dtype: its largest (two overflow a sum), and for float64 a subnormal (hypothesis refuses
# float32's under numpy 1.26, whose finfo it reads as flushing them to zero)
SPECIAL_ELEMENTS = {dtype: st.sampled_from([np.inf, -np.inf, np.nan, 0.0, -0.0, -3.0, 2.0, float(np.finfo(dtype).max),
                                            *extra]) | st.floats(-2, 2, width=32)
                    for dtype, extra in ((np.float32, []), (np.float64, [1e-310]))}
P, Q = ((3,), st.floats(0.5, 3, width=32)), ((), st.floats(0, 1, width=32))  # SCS refuses p, q out of range
# op: (shapes of its tensor inputs, the op of them); every kernel the numba backend has, in both directions
KERNEL_OPS = {
    "conv2d": ([(2, 4, 6, 5), (4, 2, 3, 3), (4,)], lambda x, w, b: F.conv2d(x, w, b, 2, 1, groups=2)),
    "conv2d dilated": ([(1, 2, 7, 6), (3, 2, 2, 3)], lambda x, w: F.conv2d(x, w, padding=(1, 2), dilation=(2, 1))),
    "scs rohrer": ([(2, 2, 6, 5), (3, 2, 3, 3), P, Q],
                   lambda x, w, p, q: F.sharpened_cosine_similarity(x, w, p, q, 1, 1)),
    "scs pisoni": ([(1, 2, 5, 6), (3, 2, 3, 3), P, Q], lambda x, w, p, q: F.sharpened_cosine_similarity(
        x, w, p, q, 2, 0, variant="pisoni")),
    "scs rohrer_jax": ([(1, 2, 5, 5), (4, 1, 3, 3), ((4,), P[1]), Q], lambda x, w, p, q: F.sharpened_cosine_similarity(
        x, w, p, q, 1, 1, variant="rohrer_jax", groups=2)),
    "conv_twist": ([(2, 2, 5, 6), (3, 2, 3, 3), (3, 2, 3, 3), (3, 2, 3, 3), (3,), (3,)], F.conv_twist),
    "max_pool2d": ([(2, 2, 7, 6)], lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True)),
    "max_pool2d dilated": ([(1, 2, 7, 7)], lambda x: F.max_pool2d(x, 2, 1, 1, dilation=2)),
    "max_abs_pool2d": ([(2, 2, 6, 7)], lambda x: F.max_abs_pool2d(x, 2)),
    "avg_pool2d": ([(2, 2, 7, 6)], lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)),
    "adaptive_avg_pool2d": ([(1, 2, 7, 5)], lambda x: F.adaptive_avg_pool2d(x, (3, 4))),
    "unfold": ([(2, 3, 5, 6)], lambda x: mg.unfold(x, (2, 3), padding=1, stride=(1, 2))),
    "fold": ([(2, 6, 15)], lambda c: mg.fold(c, (4, 5), (2, 3), padding=1, stride=(1, 2))),
    "max_unpool2d": ([(2, 2, 3, 3)], lambda x: F.max_unpool2d(x, np.arange(36).reshape(2, 2, 3, 3) % 9 * 2, 2)),
}


def nan_as_one_nan(a):
    """a with every NaN made the same NaN: which NaN (its sign, its payload) an IEEE operation returns
    depends on the order of the operands, and the two backends add and multiply in different orders."""
    return np.where(np.isnan(a), np.nan, a).astype(a.dtype)


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("name", KERNEL_OPS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(data=st.data())
def test_backends_agree_on_infinities_nan_and_signed_zeros(kernel_threads, name, dtype, data):
    """The bit-for-bit tests above draw finite inputs; here every kernel meets inf, NaN, -0.0 and
    subnormals, in the values and the gradients, and both paths must give the same bits but for the
    sign and payload of a NaN."""
    shapes, op = KERNEL_OPS[name]
    inputs = []
    for shape in shapes:
        shape, elements = shape if isinstance(shape[-1], st.SearchStrategy) else (shape, SPECIAL_ELEMENTS[dtype])
        inputs.append(data.draw(hnp.arrays(dtype, shape, elements=elements)))
    upstream_seed = data.draw(SEEDS)
    results = []
    for choice in BACKENDS:
        with backend.use_backend(choice), warnings.catch_warnings():
            warnings.simplefilter("error")
            ts = [mg.tensor(a, requires_grad=True) for a in inputs]
            y = op(*ts)
            y.backward(np.random.default_rng(upstream_seed).standard_normal(y.shape).astype(dtype))
            results.append([y.data] + [t.grad for t in ts])
    for i, (reference, fast) in enumerate(zip(*results)):
        assert_same_bits(nan_as_one_nan(fast), nan_as_one_nan(reference), "y" if i == 0 else f"grad {i - 1}")
