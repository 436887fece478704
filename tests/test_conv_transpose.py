"""conv_transpose2d and ConvTranspose2d: gradients, backends, conv2d's adjoint, torch, bad input."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import layers
import minigrad as mg
from layers import functional as F
from minigrad import backend
from layers.conv import ConvTranspose2dFunction, transposed_geometry
from minigrad.testing import arrays, assert_close
from .conftest import assert_backends_agree, assert_matches_torch

SEEDS = st.integers(0, 2**31 - 1)


@st.composite
def transposed_geometries(draw, max_batch=2, max_channels=4, max_size=5, max_kernel=3, direct=False):
    """A valid conv_transpose2d geometry: n, c_in, c_out, h, w, kh, kw and its settings, output_padding below
    stride or dilation. direct: one conv_transpose2d runs as a conv2d (stride 1, fewer input than output channels,
    padding at most d (k - 1), no output_padding)."""
    g = draw(st.integers(1, 2 if max_channels >= 4 or not direct else 1))
    per_in = draw(st.integers(1, max_channels // g - direct))
    per_out = draw(st.integers(per_in + 1 if direct else 1, max_channels // g))
    stride = (1, 1) if direct else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    kernel = (draw(st.integers(1, max_kernel)), draw(st.integers(1, max_kernel)))
    geometry = dict(
        n=draw(st.integers(1, max_batch)), c_in=g * per_in, c_out=g * per_out, h=draw(st.integers(1, max_size)),
        w=draw(st.integers(1, max_size)), kh=kernel[0], kw=kernel[1], stride=stride,
        padding=tuple(draw(st.integers(0, d * (k - 1) if direct else 2)) for k, d in zip(kernel, dilation)),
        dilation=dilation, groups=g,
        output_padding=(0, 0) if direct else tuple(draw(st.integers(0, max(s, d) - 1))
                                                   for s, d in zip(stride, dilation)))
    assume(min(output_size(geometry)) >= 1)
    return geometry


GEOMETRIES = pytest.mark.parametrize("geometries", [transposed_geometries(), transposed_geometries(direct=True)],
                                     ids=["any", "direct"])


def output_size(g):
    """(OH, OW): PyTorch's formula, (H - 1) s - 2p + d (k - 1) + output_padding + 1."""
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, s, p, d, k, e in zip(
        (g["h"], g["w"]), g["stride"], g["padding"], g["dilation"], (g["kh"], g["kw"]), g["output_padding"]))


def draw_operands(data, g, dtype=np.float64):
    x = data.draw(arrays((g["n"], g["c_in"], g["h"], g["w"]), dtype=dtype))
    w = data.draw(arrays((g["c_in"], g["c_out"] // g["groups"], g["kh"], g["kw"]), dtype=dtype))
    return x, w, data.draw(arrays((g["c_out"],), dtype=dtype))


def settings_of(g):
    return dict(stride=g["stride"], padding=g["padding"], output_padding=g["output_padding"], groups=g["groups"],
                dilation=g["dilation"])


@GEOMETRIES
@given(data=st.data())
def test_conv_transpose2d_gradients(each_backend, geometries, data):
    g = data.draw(geometries)
    x, w, b = draw_operands(data, g)
    kw = settings_of(g)
    mg.gradcheck(lambda *t: F.conv_transpose2d(*t, **kw), [x, w, b], mode="directional", seed=data.draw(SEEDS))
    mg.gradcheck(lambda *t: F.conv_transpose2d(*t, **kw), [x, w], mode="directional", seed=data.draw(SEEDS))


@given(transposed_geometries(max_channels=2, max_size=3), st.data())
def test_conv_transpose2d_full_jacobian(g, data):
    mg.gradcheck(lambda *t: F.conv_transpose2d(*t, **settings_of(g)), list(draw_operands(data, g)))


@given(transposed_geometries(), st.data())
def test_conv_transpose2d_is_conv2ds_adjoint(g, data):
    """<conv_transpose2d(x, W), u> = <x, conv2d(u, W)>: the definition, with conv2d (checked against scipy) taking
    W as its (out, in/groups, kh, kw) weight. Where output_padding reaches past the stride, conv2d reads back rows
    past x's, which x's zero extension meets: they are cropped."""
    x, w, _ = draw_operands(data, g)
    kw = settings_of(g)
    y = F.conv_transpose2d(mg.tensor(x), w, **kw).data
    u = data.draw(arrays(y.shape))
    back = F.conv2d(mg.tensor(u), w, stride=g["stride"], padding=g["padding"], dilation=g["dilation"],
                    groups=g["groups"]).data[:, :, :g["h"], :g["w"]]
    assert y.shape[2:] == output_size(g)
    assert_close(np.vdot(y, u), np.vdot(x, back), rtol=1e-10, atol=1e-10, name="<T x, u> vs <x, conv2d(u)>")


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(g=transposed_geometries(), data=st.data())
def test_conv_transpose2d_numba_equals_reference_bit_for_bit(kernel_threads, dtype, g, data):
    """Only col2im and im2col differ between the backends, and they are exact; the products are the same BLAS
    calls on the same arrays."""
    assert_backends_agree(lambda *ts: F.conv_transpose2d(*ts, **settings_of(g)),
                          [a.astype(dtype) for a in draw_operands(data, g)], ("y", "x", "weight", "bias"))


@GEOMETRIES
@given(data=st.data())
def test_conv_transpose2d_against_torch(each_backend, geometries, data):
    g = data.draw(geometries)
    torch = pytest.importorskip("torch")
    assert_matches_torch(lambda *ts: F.conv_transpose2d(*ts, **settings_of(g)),
                         lambda *ts: torch.nn.functional.conv_transpose2d(*ts, **settings_of(g)),
                         draw_operands(data, g), data.draw(SEEDS), "conv_transpose2d")


@given(transposed_geometries(direct=True), st.data())
def test_at_stride_1_conv2d_of_the_flipped_kernel_is_the_transposed_conv(g, data):
    """The conv2d that conv_transpose2d runs when its columns are smaller gives the adjoint form's values and
    gradients (two summation orders)."""
    operands, upstream = draw_operands(data, g), None
    results = []
    for run in (lambda *t: F.conv_transpose2d(*t, **settings_of(g)),
                lambda x, w, b: ConvTranspose2dFunction.apply(x, w, b, geometry=transposed_geometry(
                    "test", x.shape, w.shape, g["stride"], g["padding"], 0, g["groups"], g["dilation"])[0],
                    y_shape=(g["n"], g["c_out"]) + output_size(g), groups=g["groups"])):
        leaves = [mg.tensor(a, requires_grad=True) for a in operands]
        y = run(*leaves)
        upstream = data.draw(arrays(y.shape)) if upstream is None else upstream
        y.backward(upstream)
        results.append([y.data] + [t.grad for t in leaves])
    for name, direct, adjoint in zip(("y", "x", "weight", "bias"), *results):
        assert_close(direct, adjoint, rtol=1e-12, atol=1e-12, name=name)


@pytest.mark.parametrize("c_in, c_out, stride, padding, output_padding, dilation, direct", [
    (1, 32, 1, 1, 0, 1, True), (2, 4, 1, (0, 2), 0, (1, 2), True), (32, 32, 1, 1, 0, 1, False),
    (4, 2, 1, 1, 0, 1, False), (1, 32, 2, 1, 0, 1, False), (1, 32, 1, 3, 0, 1, False), (1, 32, 1, 1, 1, 2, False),
    (1, 32, 1, 2, 0, 1, True), (1, 32, 1, (0, 3), 0, 1, False)])
def test_conv_transpose2d_runs_as_a_conv2d_only_where_its_columns_are_smaller(c_in, c_out, stride, padding,
                                                                              output_padding, dilation, direct):
    """Both forms compute the same map; the choice is speed only (the benchmark's A: 34 ms as the adjoint, 4 ms as
    a conv2d), so only this test sees it: stride 1, fewer input than output channels, padding within d (k - 1),
    no output_padding."""
    x = mg.tensor(np.ones((2, c_in, 5, 5)), requires_grad=True)
    y = F.conv_transpose2d(x, np.ones((c_in, c_out, 3, 3)), stride=stride, padding=padding,
                           output_padding=output_padding, dilation=dilation)
    assert type(y._creator).__name__ == ("Conv2dFunction" if direct else "ConvTranspose2dFunction")


@pytest.mark.parametrize("out", [3, 1])  # the conv2d form (2 -> 3 channels), then the adjoint form
def test_conv_transpose2d_takes_lists_as_conv2d_does(out):
    """Nested lists are arrays to every op; the bias, checked before either form runs, was read as a list."""
    x, w, b = np.arange(8.0).reshape(1, 2, 2, 2), np.arange(8.0 * out).reshape(2, out, 2, 2), np.arange(out) - 0.5
    expected = F.conv_transpose2d(x, w, b).data
    assert_close(F.conv_transpose2d(x.tolist(), w.tolist(), b.tolist()).data, expected)


def test_conv_transpose2d_defaults_are_pytorchs():
    """Called without settings, with and without a bias, as torch's: stride 1, no padding, one group."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 4, 4, 5)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(3)
    for operands in ((x, w), (x, w, b)):
        expected = torch.nn.functional.conv_transpose2d(*map(torch.from_numpy, operands)).numpy()
        assert_close(F.conv_transpose2d(*operands).data, expected, rtol=1e-12, atol=1e-12, name="defaults")


def test_conv_transpose2d_of_mixed_dtypes_computes_in_pytorchs_result_type():
    """As conv2d: int64 images into float32 weights give float32, a float64 bias float64."""
    x, w = np.arange(18).reshape(1, 2, 3, 3), np.ones((2, 1, 2, 2), np.float32)
    assert F.conv_transpose2d(mg.tensor(x), w).dtype == np.float32
    assert F.conv_transpose2d(mg.tensor(x), w, np.zeros(1)).dtype == np.float64


def test_conv_transpose2d_module_defaults_match_pytorch():
    """The weight is (in, out/groups, kh, kw) and PyTorch's fan_in its second dim times kh kw: bound 1/sqrt(3 * 9)
    for ConvTranspose2d(4, 6, 3, groups=2), where conv2d's layout would give 1/sqrt(2 * 9)."""
    conv = layers.ConvTranspose2d(4, 6, 3, groups=2, rng=np.random.default_rng(0))
    assert conv.weight.shape == (4, 3, 3, 3) and conv.bias.shape == (6,) and conv.weight.dtype == np.float32
    bound = 1 / np.sqrt(3 * 9)
    wide = layers.ConvTranspose2d(600, 6, 3, groups=2, rng=np.random.default_rng(0))  # draws enough to reach it
    assert bound >= np.abs(wide.weight.data).max() > 0.998 * bound
    assert bound >= np.abs(conv.bias.data).max()
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert layers.ConvTranspose2d(1, 2, 3, bias=False).bias is None


@pytest.mark.parametrize("args, kw", [((1, 2, 3), {}), ((4, 6, 3), dict(stride=2, padding=1, output_padding=1,
                                                                         groups=2, bias=False, dilation=2)),
                                      ((2, 3, (1, 2)), dict(stride=(1, 2), output_padding=(0, 1)))])
def test_conv_transpose2d_module_prints_and_computes_as_pytorchs(args, kw):
    torch = pytest.importorskip("torch")
    ours, theirs = layers.ConvTranspose2d(*args, **kw, dtype=np.float64), torch.nn.ConvTranspose2d(*args, **kw)
    assert repr(ours) == repr(theirs)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
        if ours.bias is not None:
            theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    x = np.random.default_rng(0).standard_normal((2, args[0], 4, 5))
    assert_close(ours(x).data, theirs(torch.from_numpy(x).float()).detach().numpy(), rtol=1e-5, atol=1e-6,
                 name="module value")


def test_output_size_chooses_the_output_padding_as_pytorchs():
    """forward(x, output_size) reaches any size from the smallest output to stride - 1 more, as PyTorch's."""
    torch = pytest.importorskip("torch")
    ours = layers.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1, dtype=np.float64)
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=(2, 3), padding=1, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
        theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    x = np.random.default_rng(0).standard_normal((1, 2, 3, 4))
    for size in [(5, 10), (6, 12), [1, 3, 5, 11], (6, 10)]:
        assert_close(ours(x, output_size=size).data, theirs(torch.from_numpy(x), output_size=size).detach().numpy(),
                     rtol=1e-12, atol=1e-12, name=f"output_size {size}")
    for size, message in [((7, 10), r"output_size \(7, 10\) is not reachable: from input \(3, 4\) the output is "
                                    r"\(5, 10\) to \(6, 12\)"),
                          ((5, 9), "not reachable"), (5, "output_size must be"), ((1, 5, 10), "output_size must be")]:
        with pytest.raises(ValueError, match=message):
            ours(x, output_size=size)


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3)), np.ones((2, 1, 3, 3))), r"4-D NCHW input, got shape \(1, 2, 3\)"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 1, 3))), r"4-D weight \(in, out/groups, kh, kw\)"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((3, 1, 3, 3))),
     r"weight \(3, 1, 3, 3\) expects 3 input channels, input has 2"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 0, 3, 3))), "at least one input and one output"),
    (lambda: F.conv_transpose2d(np.ones((1, 3, 3, 3)), np.ones((3, 1, 3, 3)), groups=2),
     "in_channels 3 and out_channels 2 must be divisible by groups 2"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 1, 3, 3)), groups="2"), "groups must be a positive"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 1, 3, 3)), output_padding=1),
     r"output_padding must be >= 0 and smaller than stride or dilation, as in PyTorch; got \(1, 1\) with stride "
     r"\(1, 1\) and dilation \(1, 1\)"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 1, 3, 3)), stride=2, output_padding=(0, 2)),
     "output_padding must be"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 1, 3, 3)), output_padding=-1),
     "output_padding must be >= 0"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 1, 3, 3)), padding=3),
     r"input \(3, 3\) with kernel \(3, 3\), stride \(1, 1\), padding \(3, 3\) and dilation \(1, 1\) gives an output "
     r"of \(-1, -1\), too small"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 1, 3, 3)), np.ones(2)),
     r"bias shape \(2,\) != \(1,\)"),
    (lambda: F.conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 2, 3, 3)), np.ones(3)),  # the conv2d form's
     r"conv_transpose2d: bias shape \(3,\) != \(2,\)"),
    (lambda: F.conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((2, 1, 3, 3)), stride=0), r"stride must be >= 1"),
    (lambda: layers.ConvTranspose2d(2, 3, 3, padding_mode="reflect"), "padding_mode must be 'zeros', as in PyTorch"),
    (lambda: layers.ConvTranspose2d(2, 3, 3, groups=2), "in_channels 2 and out_channels 3 must be divisible"),
    (lambda: layers.ConvTranspose2d(0, 3, 3), "in_channels"),
    (lambda: layers.ConvTranspose2d(2, 3, 0), r"kernel_size must be >= 1"),
    (lambda: layers.ConvTranspose2d(2, 3, 3, output_padding=(1, 2, 3)), "output_padding must be an int or a pair"),
    (lambda: layers.ConvTranspose2d(2, 3, 3, stride=2, output_padding=(1, 2)),
     r"ConvTranspose2d: output_padding must be >= 0 and smaller than stride or dilation, as in PyTorch; got \(1, 2\)"),
])
def test_bad_input_names_conv_transpose2d_and_the_values(call, message):
    with pytest.raises(ValueError, match=message):
        call()
