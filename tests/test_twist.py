"""ConvTwist: gradients in both symmetrize modes, both backends, a torch port of the seed's module, init."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import layers
import minigrad as mg
from layers import functional as F
from layers.twist import antisymmetrize, rotate90_clockwise, twist_grids
from minigrad import backend, optim
from minigrad.testing import arrays, assert_close, assert_same_bits

SEEDS = st.integers(0, 2**31 - 1)
NAMES = ("x", "weight", "weight_x", "weight_y", "center_x", "center_y")


@st.composite
def twist_cases(draw, max_size=7):
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    case = {"x": draw(arrays((n, c, h, w)))}
    for name in ("weight", "weight_x", "weight_y"):
        case[name] = draw(arrays((o, c, 3, 3), low=-1, high=1))
    for name in ("center_x", "center_y"):
        case[name] = draw(arrays((o,), low=-1.5, high=1.5))
    return case, draw(st.sampled_from([1, 2]))


def run(case, stride, dtype=np.float64, seed=0):
    ts = [mg.tensor(np.asarray(case[k], dtype), requires_grad=True) for k in NAMES]
    y = F.conv_twist(*ts, stride=stride)
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(dtype)
    y.backward(g)
    return [y.data] + [t.grad for t in ts], g


def test_gradients(each_backend):
    @given(twist_cases(), SEEDS)
    def check(case_stride, seed):
        case, stride = case_stride
        mg.gradcheck(lambda *t: F.conv_twist(*t, stride=stride), [case[k] for k in NAMES], mode="directional", seed=seed)
    check()


@pytest.mark.parametrize("only", NAMES)
def test_one_input_needing_a_gradient_gets_the_same_one(each_backend, only):
    """The centre gradients come from the weight-gradient product, which the backward also has to
    run when only a centre needs a gradient, and must skip when only x does."""
    rng = np.random.default_rng(0)
    values = [rng.standard_normal((2, 2, 5, 4))] + [rng.standard_normal((3, 2, 3, 3)) for _ in range(3)] + \
             [rng.uniform(-1, 1, 3) for _ in range(2)]
    g = rng.standard_normal((2, 3, 5, 4))
    every = [mg.tensor(v, requires_grad=True) for v in values]
    F.conv_twist(*every).backward(g)
    alone = [mg.tensor(v, requires_grad=name == only) for name, v in zip(NAMES, values)]
    F.conv_twist(*alone).backward(g)
    i = NAMES.index(only)
    np.testing.assert_allclose(alone[i].grad, every[i].grad, rtol=1e-12, atol=1e-12)


@given(twist_cases(max_size=3))
def test_full_jacobian(case_stride):
    case, stride = case_stride
    mg.gradcheck(lambda *t: F.conv_twist(*t, stride=stride), [case[k] for k in NAMES])


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_equals_reference(kernel_threads, dtype):
    @given(twist_cases(), SEEDS)
    def check(case_stride, seed):
        case, stride = case_stride
        with backend.use_backend("numpy"):
            expected, _ = run(case, stride, dtype, seed)
        with backend.use_backend("numba"):
            actual, _ = run(case, stride, dtype, seed)
        # the fused kernels are exact and everything else is shared (BLAS on equal columns)
        for a, e, name in zip(actual, expected, ("y",) + NAMES):
            assert_same_bits(a, e, name)
    check()


class SeedConvTwist:
    """A torch port of the seed's ConvTwist module (forward as the blog post describes it)."""

    def __init__(self, torch, state, stride):
        self.torch, self.stride = torch, stride
        self.p = {k: torch.tensor(v, requires_grad=True) for k, v in state.items()}

    def symmetrize(self, w):
        w.data = (w - w.flip(2).flip(3)) / 2

    def __call__(self, x):
        t, p = self.torch, self.p
        conv = lambda w: t.nn.functional.conv2d(x, w, stride=self.stride, padding=1)  # noqa: E731
        out = conv(p["conv.weight"])
        _, _, h, w = out.size()
        XX = t.from_numpy(np.indices((1, h, w))[2] * 2 / w).type(out.dtype) - 1 + p["center_x"].view(-1, 1, 1)
        YY = t.from_numpy(np.indices((1, h, w))[1] * 2 / h).type(out.dtype) - 1 + p["center_y"].view(-1, 1, 1)
        self.symmetrize(p["conv_x.weight"])
        self.symmetrize(p["conv_y.weight"])
        return out + XX * conv(p["conv_x.weight"]) + YY * conv(p["conv_y.weight"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_module_against_seed_torch_port(each_backend, dtype):
    torch = pytest.importorskip("torch")

    @given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 2]), SEEDS)
    def check(c, o, h, w, stride, seed):
        rng = np.random.default_rng(seed)
        module = layers.ConvTwist2d(c, o, stride=stride, rng=rng, dtype=dtype)
        for p in module.parameters():  # a state that is not yet antisymmetric: the forward must fix it
            p.data = rng.uniform(-1, 1, p.shape).astype(dtype)
        state = module.state_dict()
        seed_module = SeedConvTwist(torch, state, stride)
        x = rng.standard_normal((2, c, h, w)).astype(dtype)
        y = module(mg.tensor(x))
        ty = seed_module(torch.tensor(x))
        g = rng.standard_normal(y.shape).astype(dtype)
        y.backward(g)
        ty.backward(torch.tensor(g))
        rtol, atol = (1e-12, 1e-12) if dtype == np.float64 else (1e-5, 1e-5)
        assert_close(y.data, ty.detach().numpy(), rtol, atol, name="output")
        for name, p in module.named_parameters():
            assert_close(p.data, seed_module.p[name].detach().numpy(), rtol, atol, name=f"{name} after forward")
            assert_close(p.grad, seed_module.p[name].grad.numpy(), rtol, atol * 10, name=f"{name} grad")
    check()


def test_infinite_weights_give_the_seeds_nan_without_a_warning(each_backend):
    """The in-place antisymmetrisation of inf weights, inf - inf, warned in NumPy's words (an error
    under -W error), outside the op's silence; the seed's torch code gives NaN silently."""
    torch = pytest.importorskip("torch")
    module = layers.ConvTwist2d(1, 2, rng=np.random.default_rng(0), dtype=np.float64)
    module.conv_x.weight.data[0, 0, 0, 0] = module.conv_x.weight.data[0, 0, 2, 2] = np.inf  # mirrored: inf - inf
    module.conv_y.weight.data[1, 0, 2, 1] = np.inf
    seed_module = SeedConvTwist(torch, module.state_dict(), 1)
    x = np.random.default_rng(1).standard_normal((1, 1, 4, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = module(mg.tensor(x))
    np.testing.assert_array_equal(y.data, seed_module(torch.tensor(x)).detach().numpy())


@pytest.mark.parametrize("h,w", [(1, 1), (7, 10), (13, 3), (28, 28), (111, 97)])
def test_grids_equal_the_seed_bit_for_bit(h, w):
    torch = pytest.importorskip("torch")
    for dtype, tdtype in ((np.float32, torch.float32), (np.float64, torch.float64)):
        rows, cols = twist_grids(h, w, dtype)
        seed_x = (torch.from_numpy(np.indices((1, h, w))[2] * 2 / w).type(tdtype) - 1).numpy()[0]
        seed_y = (torch.from_numpy(np.indices((1, h, w))[1] * 2 / h).type(tdtype) - 1).numpy()[0]
        np.testing.assert_array_equal(np.broadcast_to(cols, (h, w)), seed_x)
        np.testing.assert_array_equal(np.broadcast_to(rows[:, None], (h, w)), seed_y)


def test_grid_values_by_hand():
    rows, cols = twist_grids(2, 4, np.float64)
    np.testing.assert_array_equal(cols, [-1.0, -0.5, 0.0, 0.5])  # [-1, 1 - 2/w]
    np.testing.assert_array_equal(rows, [-1.0, 0.0])


def test_init_antisymmetry_rotation_centres_and_keys():
    module = layers.ConvTwist2d(3, 5, rng=np.random.default_rng(0))
    assert list(module.state_dict()) == ["center_x", "center_y", "conv.weight", "conv_x.weight", "conv_y.weight"]
    wx, wy = module.conv_x.weight.data, module.conv_y.weight.data
    assert (wx[:, :, 1, 1] == 0).all() and (wy[:, :, 1, 1] == 0).all()
    np.testing.assert_array_equal(wx, -wx[:, :, ::-1, ::-1])
    np.testing.assert_array_equal(wy, np.rot90(wx, k=-1, axes=(2, 3)))  # clockwise as printed
    for c in (module.center_x.data, module.center_y.data):
        assert c.shape == (5,) and np.abs(c).max() <= 1.5


def test_module_prints_its_settings_and_convs_as_torch_lays_them_out():
    """The settings on a line of their own above the children, as PyTorch prints a module with both
    (they shared the first line)."""
    module = layers.ConvTwist2d(1, 2, stride=2, symmetrize="reparam")
    conv = "Conv2d(1, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"  # as torch prints it
    assert repr(module).splitlines() == ["ConvTwist2d(", "  stride=(2, 2), symmetrize='reparam'", f"  (conv): {conv}",
                                         f"  (conv_x): {conv}", f"  (conv_y): {conv}", ")"]
    torch = pytest.importorskip("torch")

    class ConvTwist2d(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.conv_x, self.conv_y = (torch.nn.Conv2d(1, 2, 3, 2, 1, bias=False) for _ in range(3))

        def extra_repr(self):
            return module.extra_repr()
    assert repr(module) == repr(ConvTwist2d())


def test_init_order_under_a_seed():
    """conv.weight, conv_x.weight, conv_y.weight (drawn, then overwritten), center_x, center_y."""
    module = layers.ConvTwist2d(2, 3, init_max=1.5, rng=np.random.default_rng(42))
    rng = np.random.default_rng(42)
    bound = 1 / np.sqrt(2 * 9)
    conv = rng.uniform(-bound, bound, (3, 2, 3, 3)).astype(np.float32)
    conv_x = rng.uniform(-bound, bound, (3, 2, 3, 3)).astype(np.float32)
    rng.uniform(-bound, bound, (3, 2, 3, 3))
    center_x = rng.uniform(-1.5, 1.5, 3).astype(np.float32)
    center_y = rng.uniform(-1.5, 1.5, 3).astype(np.float32)
    np.testing.assert_array_equal(module.conv.weight.data, conv)
    np.testing.assert_array_equal(module.conv_x.weight.data, antisymmetrize(conv_x))
    np.testing.assert_array_equal(module.conv_y.weight.data, rotate90_clockwise(antisymmetrize(conv_x)))
    np.testing.assert_array_equal(module.center_x.data, center_x)
    np.testing.assert_array_equal(module.center_y.data, center_y)


def test_pytorch_state_dict_loads_as_is():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = layers.ConvTwist2d(2, 4)
    state = {"center_x": torch.rand(4), "center_y": torch.rand(4), "conv.weight": torch.rand(4, 2, 3, 3),
             "conv_x.weight": torch.rand(4, 2, 3, 3), "conv_y.weight": torch.rand(4, 2, 3, 3)}
    module.load_state_dict({k: v.numpy() for k, v in state.items()})
    np.testing.assert_array_equal(module.conv_y.weight.data, state["conv_y.weight"].numpy())


def _train(symmetrize, make_optimizer, steps=4):
    module = layers.ConvTwist2d(2, 3, symmetrize=symmetrize, rng=np.random.default_rng(0), dtype=np.float64)
    opt = make_optimizer(module.parameters())
    rng = np.random.default_rng(1)
    for _ in range(steps):
        x = rng.standard_normal((2, 2, 6, 5))
        opt.zero_grad()
        (module(mg.tensor(x)) ** 2).mean().backward()
        opt.step()
    return {name: antisymmetrize(w) if name in ("conv_x.weight", "conv_y.weight") else w
            for name, w in module.state_dict().items()}  # the weights the next forward would use


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1, momentum=0.9)])
def test_inplace_and_reparam_train_identically_with_sgd(make):
    inplace, reparam = _train("inplace", make), _train("reparam", make)
    for name in inplace:
        assert_close(inplace[name], reparam[name], rtol=1e-12, atol=1e-14, name=name)


def test_inplace_and_reparam_differ_with_adam():
    inplace, reparam = (_train(mode, lambda p: optim.Adam(p, lr=0.05)) for mode in ("inplace", "reparam"))
    assert not np.allclose(inplace["conv_x.weight"], reparam["conv_x.weight"], rtol=1e-6, atol=1e-8)


def test_reparam_gradient_is_antisymmetric():
    module = layers.ConvTwist2d(2, 3, symmetrize="reparam", rng=np.random.default_rng(0), dtype=np.float64)
    module(mg.tensor(np.random.default_rng(1).standard_normal((1, 2, 5, 5)))).sum().backward()
    g = module.conv_x.weight.grad
    np.testing.assert_allclose(g, -g[:, :, ::-1, ::-1], atol=1e-14)
    mg.gradcheck(lambda x: module(x), [np.random.default_rng(2).standard_normal((1, 2, 4, 3))], mode="directional")


@pytest.mark.parametrize("call,message", [
    (lambda: F.conv_twist(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones((3, 2, 3, 3)), np.ones((3, 2, 5, 5)), np.ones(3), np.ones(3)), r"weight_y has shape \(3, 2, 5, 5\); .* must all be \(out, 2, 3, 3\)"),
    (lambda: F.conv_twist(np.ones((1, 3, 5, 5)), *[np.ones((3, 2, 3, 3))] * 3, np.ones(3), np.ones(3)), r"weight has shape \(3, 2, 3, 3\); .* \(out, 3, 3, 3\)"),
    (lambda: F.conv_twist(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones((3, 2, 3, 3)), np.ones((3, 2, 3, 3)), np.ones(2), np.ones(3)), r"center_x must have shape \(3,\)"),
    (lambda: F.conv_twist(np.ones((2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones((3, 2, 3, 3)), np.ones((3, 2, 3, 3)), np.ones(3), np.ones(3)), "4-D NCHW"),
    (lambda: F.conv_twist(np.ones((1, 2, 5, 5)), *[np.ones((3, 2, 3, 3))] * 3, np.ones(3), np.ones((1, 3))),  # 3 values
     r"center_y must have shape \(3,\), got \(1, 3\)"),
    (lambda: F.conv_twist(np.ones((1, 2, 5, 5)), *[np.ones((3, 2, 3, 3))] * 3, np.ones(3), np.ones(3), stride=0), "stride must be >= 1"),
    (lambda: layers.ConvTwist2d(1, 2, symmetrize="both"), "symmetrize must be one of"),
    (lambda: layers.ConvTwist2d(1, 2, symmetrize=np.array(["inplace", "reparam"])), "ConvTwist2d: symmetrize must be"),
    (lambda: layers.ConvTwist2d(1, 2, init_max=float("nan")), "init_max must be a finite number >= 0, got nan"),
    # NumPy's OverflowError and a TypeError naming no layer:
    (lambda: layers.ConvTwist2d(1, 2, init_max=float("inf")), "ConvTwist2d: init_max must be a finite .* got inf"),
    (lambda: layers.ConvTwist2d(1, 2, init_max="1.5"), "ConvTwist2d: init_max must be a finite .* got '1.5'"),
    (lambda: F.conv_twist(np.ones((1, 2, 5, 5)), *[np.ones((0, 2, 3, 3))] * 3, np.ones(0), np.ones(0)), "needs at least one input and one output channel"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_init_max_of_minus_zero_puts_every_centre_at_zero():
    """-0.0 >= 0, but NumPy's uniform(0.0, -0.0) raised "high - low < 0"."""
    m = layers.ConvTwist2d(1, 2, init_max=-0.0, rng=np.random.default_rng(0))
    assert not m.center_x.data.any() and not m.center_y.data.any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_combination_equals_the_seed_bit_for_bit_given_the_same_convs(each_backend, dtype):
    """Grid rounding and evaluation order are the seed's: fed torch's own three conv outputs, the
    combination gives torch's result to the last bit. (The convs themselves sum in a different
    order from oneDNN's, so full outputs agree to rounding: docs/convtwist.md.)"""
    torch = pytest.importorskip("torch")
    from layers.twist import _combine_numba, combine_reference, twist_grids

    @given(st.integers(1, 3), st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 2]), SEEDS)
    def check(o, h, w, stride, seed):
        rng = np.random.default_rng(seed)
        state = {k: rng.uniform(-1, 1, s).astype(dtype) for k, s in (
            ("conv.weight", (o, 2, 3, 3)), ("conv_x.weight", (o, 2, 3, 3)), ("conv_y.weight", (o, 2, 3, 3)),
            ("center_x", (o,)), ("center_y", (o,)))}
        state["conv_x.weight"] = antisymmetrize(state["conv_x.weight"])
        state["conv_y.weight"] = antisymmetrize(state["conv_y.weight"])
        x = torch.tensor(rng.standard_normal((2, 2, h, w)).astype(dtype))
        seed_module = SeedConvTwist(torch, state, stride)
        expected = seed_module(x).detach().numpy()
        convs = [torch.nn.functional.conv2d(x, seed_module.p[k], stride=stride, padding=1).detach().numpy()
                 for k in ("conv.weight", "conv_x.weight", "conv_y.weight")]
        out3 = np.ascontiguousarray(np.stack(convs).transpose(0, 2, 1, 3, 4))  # (3, O, N, OH, OW)
        rows, cols = twist_grids(out3.shape[3], out3.shape[4], dtype)
        centers = state["center_x"], state["center_y"]
        if backend.use_numba():
            actual = _combine_numba(out3, rows, cols, *centers, np.empty(expected.shape, dtype))
        else:
            actual = combine_reference(out3, rows, cols, *centers)
        np.testing.assert_array_equal(actual, expected)
    check()
