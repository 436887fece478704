"""Sharpened cosine similarity: gradients, both backends, torch ports of each variant, edges, the layer."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import layers
import minigrad as mg
from layers import functional as F
from layers.scs import SharpenedCosineSimilarity, rows_of_groups
from minigrad import backend
from minigrad.testing import arrays, assert_close, assert_same_bits

VARIANTS = ["rohrer", "pisoni", "rohrer_jax"]
SEEDS = st.integers(0, 2**31 - 1)


@st.composite
def scs_cases(draw, max_size=6):
    k = draw(st.sampled_from([k for k in (1, 3, 5) if k <= max_size]))
    groups = draw(st.integers(1, 2))  # 2 with one channel per group is Rohrer's depthwise layer
    per_group = st.integers(1, 3 if groups == 1 else 2)
    n, c, o = draw(st.integers(1, 2)), groups * draw(per_group), groups * draw(per_group)
    h, w = draw(st.integers(k, max_size)), draw(st.integers(k, max_size))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, k // 2))
    x = draw(arrays((n, c, h, w)))
    weight = draw(arrays((o, c // groups, k, k), away_from=(0,), margin=0.1))
    p = draw(arrays((o,), low=0.5, high=3.0))
    q = draw(arrays((1,), low=0.01, high=0.5))  # q = 0 is the domain edge: see EDGES
    return dict(x=x, weight=weight, p=p, q=q, stride=stride, padding=padding, groups=groups)


def forward_state(case, variant):
    """The Function after its forward: c, S and the rest of what it keeps for the backward."""
    fn = SharpenedCosineSimilarity()
    fn.forward(case["x"], case["weight"], case["p"], case["q"], case["stride"], case["padding"], variant, case["groups"])
    return fn


def cosines(case, variant):
    return forward_state(case, variant).c


def off_the_sign_jump(case, variant):
    """Every cosine clear of 0, or exactly 0 because its patch is all zeros. y jumps by 2 eps^p across
    c = 0, and a dot that cancels exactly in real arithmetic can leave a residue of either sign (an
    FMA keeps a product's rounding error: 0.75 w - 0.75 w gave -2.5e-17 in our BLAS, 0 in torch's)."""
    fn = forward_state(case, variant)
    return bool(np.all((rows_of_groups(fn.S, fn.c.shape[0]) == 0) | (np.abs(fn.c) > 1e-9)))


def assert_close_to_torch(ours, theirs, case, g, variant):
    """y and the gradients of x, weight, p and q against the torch port's, rtol 1e-9. Where the weight's
    gradient is 0 in real arithmetic both must be 0 to rounding: Rohrer's cosine of a one-element patch
    is sign(w) x / nx, so y does not depend on |w|, and the gradient is two terms of about
    sum|g| p / |w| cancelling to noise of either sign (8e-13 against torch's 2e-13 in one draw)."""
    for name, a, e in zip(("y", "x", "weight", "p", "q"), ours, theirs):
        if name == "weight" and variant == "rohrer" and case["weight"][0].size == 1:
            rounding = 1e-14 * np.abs(g).sum() * case["p"].max() / np.abs(case["weight"]).min()
            assert_close(a, np.zeros_like(a), rtol=0, atol=rounding, name=f"{variant} {name} (0 in reals)")
            assert_close(e, np.zeros_like(e), rtol=0, atol=rounding, name=f"torch {variant} {name} (0 in reals)")
        else:
            assert_close(a, e, rtol=1e-9, atol=1e-12, name=f"{variant} {name}")


def torch_scs(torch, x, weight, p, q, stride, padding, variant, groups=1):
    """Each variant's formula written with torch ops, the patch norms as Rohrer computes them:
    a conv of x^2 with a ones kernel per group, repeated for each output channel of the group."""
    ones = torch.ones((groups,) + tuple(weight.shape[1:]), dtype=x.dtype)
    S = torch.nn.functional.conv2d(x * x, ones, stride=stride, padding=padding, groups=groups)
    S = torch.repeat_interleave(S, weight.shape[0] // groups, dim=1)
    wn2 = (weight * weight).sum(dim=(1, 2, 3)).view(1, -1, 1, 1)
    if variant == "rohrer":
        nx, nw, eps = torch.sqrt(S + 1e-6) + q, torch.sqrt(wn2), 1e-6
    elif variant == "rohrer_jax":  # his JAX layer: the kernel norm takes eps too
        nx, nw, eps = torch.sqrt(S + 1e-6) + q, torch.sqrt(wn2 + 1e-6), 1e-6
    else:
        nx, nw, eps = torch.sqrt(torch.clamp(S, min=1e-12)) + q, torch.sqrt(torch.clamp(wn2, min=1e-12)) + q, 1e-12
    c = torch.nn.functional.conv2d(x, weight, stride=stride, padding=padding, groups=groups) / (nx * nw)
    return torch.sign(c) * (torch.abs(c) + eps) ** p.view(1, -1, 1, 1)


def run(case, variant, dtype=np.float64, seed=0):
    ts = [mg.tensor(np.asarray(case[k], dtype), requires_grad=True) for k in ("x", "weight", "p", "q")]
    y = F.sharpened_cosine_similarity(*ts, stride=case["stride"], padding=case["padding"], variant=variant,
                                      groups=case.get("groups", 1))
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(dtype)
    y.backward(g)
    return [y.data] + [t.grad for t in ts], g


@pytest.mark.parametrize("variant", VARIANTS)
def test_gradients(each_backend, variant):
    @given(scs_cases(), SEEDS)
    def check(case, seed):
        # off the c = 0 kink: at |c| >= 1e-3, p >= 0.5 the central-difference error is ~1e-7 relative
        assume(np.abs(cosines(case, variant)).min() > 1e-3)
        fn = lambda *t: F.sharpened_cosine_similarity(*t, stride=case["stride"], padding=case["padding"],  # noqa: E731
                                                      variant=variant, groups=case["groups"])
        mg.gradcheck(fn, [case[k] for k in ("x", "weight", "p", "q")], mode="directional", seed=seed)
    check()


@pytest.mark.parametrize("variant", VARIANTS)
@given(case=scs_cases(), kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)), seed=SEEDS)
def test_same_padding_gradients(variant, case, kernel, seed):
    """padding="same" of any kernel, the even ones padding x by one more pixel at the bottom or right first."""
    weight = np.random.default_rng(seed).standard_normal(case["weight"].shape[:2] + kernel)
    case = dict(case, weight=weight, stride=1, padding="same")
    assume(np.abs(cosines(dict(case, padding=((kernel[0] - 1) // 2, (kernel[1] - 1) // 2),
                               x=np.pad(case["x"], ((0, 0), (0, 0), (0, 1 - kernel[0] % 2), (0, 1 - kernel[1] % 2)))),
                          variant)).min() > 1e-3)
    fn = lambda *t: F.sharpened_cosine_similarity(*t, padding="same", variant=variant,  # noqa: E731
                                                  groups=case["groups"])
    mg.gradcheck(fn, [case[k] for k in ("x", "weight", "p", "q")], mode="directional", seed=seed)


@pytest.mark.parametrize("variant", VARIANTS)
@given(case=scs_cases(max_size=4))
def test_full_jacobian(variant, case):
    assume(np.abs(cosines(case, variant)).min() > 1e-3)
    fn = lambda *t: F.sharpened_cosine_similarity(*t, stride=case["stride"], padding=case["padding"],  # noqa: E731
                                                  variant=variant, groups=case["groups"])
    mg.gradcheck(fn, [case[k] for k in ("x", "weight", "p", "q")])


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_equals_reference(kernel_threads, variant, dtype):
    # same bits: the kernels do the per-element work in the reference's order and NumPy does the
    # sums, the logs and the exps; zero patches give c = +-0, where NumPy's sign is +0
    @given(scs_cases(), SEEDS, st.booleans())
    def check(case, seed, zero_patch):
        if zero_patch:
            case["x"][:, :, : case["x"].shape[2] // 2] = 0
        with backend.use_backend("numpy"):
            expected, _ = run(case, variant, dtype, seed)
        with backend.use_backend("numba"):
            actual, _ = run(case, variant, dtype, seed)
        for name, a, e in zip(("y", "x", "weight", "p", "q"), actual, expected):
            assert e.dtype == dtype
            assert_same_bits(a, e, f"{variant} {name}")
    check()


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_sign_is_numpys_on_zeros_nan_and_inf(kernel_threads, dtype):
    from layers.scs import _signed_numba
    c = np.array([[1, -1, 0.0, -0.0, np.nan, np.inf, -np.inf, 1e-300]], dtype)
    power = np.full_like(c, 0.5)
    y = _signed_numba(c, power, np.empty((1,) + c.shape, dtype))[0]
    expected = np.sign(c) * power
    assert_same_bits(y, expected, "sign(c) power")  # sign(-0.0) is +0 in NumPy


@pytest.mark.parametrize("variant", VARIANTS)
def test_against_torch_port(each_backend, variant):
    torch = pytest.importorskip("torch")

    @given(scs_cases(), SEEDS, st.booleans())
    def check(case, seed, zero_patch):
        if zero_patch:  # MNIST background: whole patches of zeros, c exactly 0
            case["x"][:, :, : case["x"].shape[2] // 2] = 0
        assume(off_the_sign_jump(case, variant))
        ours, g = run(case, variant, seed=seed)
        ts = [torch.tensor(np.asarray(case[k]), requires_grad=True) for k in ("x", "weight", "p", "q")]
        port = lambda: torch_scs(torch, *ts, case["stride"], case["padding"], variant, case["groups"])  # noqa: E731
        port().backward(torch.tensor(g))
        theirs = [port().detach().numpy()]
        theirs += [t.grad.numpy() for t in ts]
        assert_close_to_torch(ours, theirs, case, g, variant)
    check()


def zero_first_kernel(case):
    case["weight"][0] = 0  # Rohrer's unfloored weight norm is 0: nan in torch, ZeroDivisionError in numba once


EDGES = {
    "all zero input": lambda c: c.update(x=np.zeros_like(c["x"])),
    "a zero kernel": zero_first_kernel,
    "q = 0": lambda c: c.update(q=np.zeros(1)),
    "p below 1": lambda c: c.update(p=np.full_like(c["p"], 0.3)),
    "large p": lambda c: c.update(p=np.full_like(c["p"], 60.0)),
    "huge inputs": lambda c: c.update(x=c["x"] * 1e20),
    "tiny inputs": lambda c: c.update(x=c["x"] * 1e-20),
    # just under pisoni's max(., 1e-12) floors, where the floored norm's gradient is 0 but the term
    # it multiplies is not (far under them, as above, that term vanishes with x or w)
    "inputs under the norm floor": lambda c: c.update(x=c["x"] * np.sqrt(0.5e-12 / np.sum(c["x"] ** 2))),
    "kernels under the norm floor": lambda c: c.update(
        weight=c["weight"] * np.sqrt(0.5e-12 / np.sum(c["weight"] ** 2, axis=(1, 2, 3), keepdims=True))),
}


@pytest.mark.filterwarnings("ignore:overflow encountered")  # float32 S = sum x^2 overflows, as in torch
@pytest.mark.filterwarnings("ignore:invalid value encountered")  # 0 / 0 of a zero kernel, as in torch
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("edge", sorted(EDGES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_edges_finite_where_torch_is_and_equal(each_backend, variant, edge, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    case = dict(x=rng.standard_normal((2, 2, 5, 5)), weight=rng.standard_normal((3, 2, 3, 3)),
                p=rng.uniform(0.5, 3, 3), q=np.array([0.05]), stride=1, padding=1)
    EDGES[edge](case)
    ours, g = run(case, variant, dtype)
    ts = [torch.tensor(np.asarray(case[k], dtype), requires_grad=True) for k in ("x", "weight", "p", "q")]
    y = torch_scs(torch, *ts, 1, 1, variant)
    y.backward(torch.tensor(g))
    theirs = [y.detach().numpy()] + [t.grad.numpy() for t in ts]
    rtol = 1e-9 if dtype == np.float64 else 1e-3
    for name, a, e in zip(("y", "x", "weight", "p", "q"), ours, theirs):
        finite = np.isfinite(e)
        assert np.isfinite(a[finite]).all(), f"{edge} {name}: not finite where the torch port is"

        scale = np.abs(e[finite]).max() if finite.any() else 1
        assert_close(a[finite], e[finite], rtol=rtol, atol=rtol * scale * 1e-3, name=f"{edge} {name}")


def test_zero_patches_give_zero_output_and_zero_gradient(each_backend):
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0, 0] = 1.0  # one lit pixel: patches away from it are all zero
    for variant in VARIANTS:
        ts = [mg.tensor(a, requires_grad=True) for a in (x, np.ones((1, 1, 3, 3)), np.ones(1), np.full(1, 0.1))]
        y = F.sharpened_cosine_similarity(*ts, padding=1, variant=variant)
        assert y.data[0, 0, 3, 3] == 0 and y.data[0, 0, 0, 0] > 0
        y.sum().backward()
        assert all(np.isfinite(t.grad).all() for t in ts)


@pytest.mark.parametrize("call,message", [
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones(3), 0.1, variant="keras"), "variant must be one of"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 1, 3, 3)), np.ones(3), 0.1), "expects 1 input channels"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 1, 3, 3)), np.ones(3), 0.1, groups=2),
     "out_channels 3 must be divisible by groups 2"),
    (lambda: layers.SharpCosSim2d(4, 6, groups=4), "out_channels 6 must be divisible by groups 4"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones(2), 0.1), r"p must have shape \(3,\)"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), -np.ones(3), 0.1), "p must be positive"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.array([1, 0, 2.0]), 0.1),
     "p must be positive, got min 0.0"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.array([1, np.nan, 2]), 0.1),
     "p must be positive, got min nan"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones(3), -0.1), "q must be non-negative"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones(3), np.ones(0)),
     r"q must be a scalar, got shape \(0,\)"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 2, 2)), np.ones((3, 2, 3, 3)), np.ones(3), 0.1), "larger than the padded input"),
    (lambda: layers.SharpCosSim2d(1, 2, variant="tf"), "variant must be one of"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones(3), 0.1,
                                           variant=["pisoni"]), "sharpened_cosine_similarity: variant must be"),
    (lambda: layers.SharpCosSim2d(1, 2, variant=np.array(["pisoni", "rohrer"])), "SharpCosSim2d: variant must be"),
    (lambda: layers.SharpCosSim2d(1, 2, variant="rohrer_jax"), r"variant must be one of \['pisoni', 'rohrer'\]"),
    (lambda: layers.SharpCosSim2d(1, 2, padding="full"), "padding must be an int, a pair of ints, 'valid' or 'same'"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), np.ones(3), 0.1, stride=2,
                                           padding="same"), "padding='same' needs stride 1"),
    (lambda: F.sharpened_cosine_similarity(np.ones((1, 0, 5, 5)), np.ones((3, 0, 3, 3)), np.ones(3), 0.1), "needs at least one input and one output channel"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("variant", ["rohrer", "pisoni"])
def test_layer_parameters_take_the_dtype_asked_for(variant):
    """float32 by default, as PyTorch's modules are; float64 when asked."""
    for dtype in (np.float32, np.float64):
        kw = {} if dtype == np.float32 else dict(dtype=dtype)
        layer = layers.SharpCosSim2d(2, 3, variant=variant, **kw)
        assert {name: p.dtype for name, p in layer.named_parameters()} == {
            name: np.dtype(dtype) for name, _ in layer.named_parameters()}


@pytest.mark.parametrize("q", [0.1, np.float64(0.1), np.array(0.1), 0])
def test_a_float32_call_given_q_as_a_number_stays_float32_as_pytorchs(q):
    """NumPy's promotion made sharpened_cosine_similarity(x32, w32, p32, 0.1) float64 (and computed it
    so); PyTorch keeps float32, the number or 0-D q counting only when of a higher category."""
    x, weight = np.ones((1, 2, 5, 5), np.float32), np.ones((3, 2, 3, 3), np.float32)
    q_tensor = mg.tensor(q, requires_grad=True) if isinstance(q, np.ndarray) else q
    y = F.sharpened_cosine_similarity(x, weight, np.full(3, 1.5, np.float32), q_tensor, padding=1)
    assert y.dtype == np.float32
    if isinstance(q, np.ndarray):
        y.sum().backward()
        assert q_tensor.grad.dtype == np.float64


def test_rohrer_layer_parameterisation_and_projections():
    layer = layers.SharpCosSim2d(3, 500, rng=np.random.default_rng(0))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "p", "log_q"]
    w, p = layer.weight.data, layer.p.data
    assert -1 <= w.min() < -0.99 and 0.99 < w.max() <= 1 and 1 <= p.min() < 1.05 and 2.95 < p.max() <= 3
    assert np.isclose(np.exp(layer.log_q.data), 1e-3).all()
    assert layer.p.shape == (1, 500, 1, 1) and layer.log_q.shape == (1, 1, 1, 1)  # the source's shapes
    layer.weight.data[0, 0, 0, 0], layer.p.data[0, :2, 0, 0] = 5.0, (0.01, -2.0)
    layer(mg.tensor(np.ones((1, 3, 4, 4), np.float32)))
    assert layer.weight.data[0, 0, 0, 0] == 1.0 and layer.weight.data.max() <= 1
    np.testing.assert_array_equal(layer.p.data[0, :2, 0, 0], np.float32([0.1, 0.1]))


def torch_rohrer_module(torch, in_channels, out_channels, kernel_size, stride, padding, groups=1):
    """Rohrer's SharpCosSim2d as REFERENCES.md describes it at 938c153, written here: a bias-free
    Conv2d's weight, p (1, out, 1, 1), log_q (1, 1, 1, 1); weight clipped to [-1, 1] and p raised
    to 0.1 in place before each forward; then his formula (torch_scs); groups 1 or in_channels."""
    class RohrerSCS(torch.nn.Conv2d):
        def __init__(self):
            super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding, groups=groups,
                             bias=False)
            self.p = torch.nn.Parameter(torch.full((1, out_channels, 1, 1), 2.0))
            self.log_q = torch.nn.Parameter(torch.full((1, 1, 1, 1), -3.0))

        def forward(self, x):
            self.weight.data = torch.clamp(self.weight.data, -1, 1)
            self.p.data = torch.clamp(self.p.data, min=0.1)
            return torch_scs(torch, x, self.weight, self.p.view(-1), torch.exp(self.log_q), stride, padding, "rohrer",
                             groups)
    return RohrerSCS().double()


@pytest.mark.parametrize("stride, padding", [(2, 1), (1, "same"), (1, "valid")])
@pytest.mark.parametrize("in_channels, out_channels, groups", [(3, 4, 1), (2, 4, 2)], ids=["dense", "depthwise"])
def test_a_rohrer_state_dict_loads_as_is_and_trains_the_same(in_channels, out_channels, groups, stride, padding):
    """p was (out,) and log_q (1,): a state_dict of Rohrer's module failed on both shapes. His
    depthwise layer (groups = in_channels) had no counterpart before groups. padding "same" and
    "valid", which his layer (a Conv2d subclass) hands to F.conv2d, were errors here."""
    torch = pytest.importorskip("torch")
    from minigrad.crosscheck import load_torch_state_dict
    theirs = torch_rohrer_module(torch, in_channels, out_channels, 3, stride=stride, padding=padding, groups=groups)
    with torch.no_grad():
        theirs.weight.uniform_(-1.5, 1.5)  # some beyond the clip, and p below its floor
        theirs.p.copy_(torch.tensor([0.05, 1.0, 2.5, 3.0]).view(1, -1, 1, 1))
        theirs.log_q.fill_(-2.0)
    module = layers.SharpCosSim2d(in_channels, out_channels, 3, stride=stride, padding=padding, groups=groups,
                                  dtype=np.float64)
    ours = load_torch_state_dict(module, theirs.state_dict())
    assert ours.padding == theirs.padding and f"padding={theirs.padding}" in repr(ours)  # a string kept as given
    x = np.random.default_rng(0).standard_normal((2, in_channels, 7, 6))
    y, ty = ours(mg.tensor(x)), theirs(torch.tensor(x))
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    ty.backward(torch.tensor(g))
    assert_close(y.data, ty.detach().numpy(), rtol=1e-10, atol=1e-12, name="output")
    for name, param in theirs.named_parameters():
        ours_param = dict(ours.named_parameters())[name]
        assert_close(ours_param.data, param.detach().numpy(), rtol=0, atol=0, name=name)  # the same projections
        assert_close(ours_param.grad, param.grad.numpy(), rtol=1e-9, atol=1e-11, name=f"grad {name}")


@pytest.mark.parametrize("variant", VARIANTS)
@given(case=scs_cases(), name=st.sampled_from(["same", "valid"]))
def test_padding_strings_are_conv2ds(variant, case, name):
    """padding="same" (the seed's Keras layer's only padding) and "valid" were errors; they are the
    numbers conv2d gives them: (k - 1) / 2 a side for odd k at stride 1, and 0."""
    case = dict(case, stride=1 if name == "same" else case["stride"])
    k = case["weight"].shape[-1]
    by_name = run(dict(case, padding=name), variant)[0]
    by_number = run(dict(case, padding=(k - 1) // 2 if name == "same" else 0), variant)[0]
    for a, b in zip(by_name, by_number):
        np.testing.assert_array_equal(a, b)


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note that it pads a copy
@pytest.mark.parametrize("variant", VARIANTS)
@given(case=scs_cases(), kernel=st.tuples(st.integers(1, 4), st.integers(1, 4)), seed=SEEDS)
def test_same_padding_of_any_kernel_against_torch_port(variant, case, kernel, seed):
    """padding="same" where d (k - 1) is odd (an even kernel) pads the pixel left over at the bottom
    or right, as torch's conv2d, which Rohrer's layer calls, does. It was refused."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)  # normal draws: no cancelling dots to filter (drawn arrays filtered most)
    x, weight = rng.standard_normal(case["x"].shape), rng.standard_normal(case["weight"].shape[:2] + kernel)
    case = dict(case, x=x, weight=weight, stride=1, padding="same")
    kh, kw = kernel
    as_numbers = dict(case, x=np.pad(x, ((0, 0), (0, 0), (0, 1 - kh % 2), (0, 1 - kw % 2))),
                      padding=((kh - 1) // 2, (kw - 1) // 2))
    assume(off_the_sign_jump(as_numbers, variant))
    ours, g = run(case, variant, seed=seed)
    assert ours[0].shape[2:] == x.shape[2:]
    ts = [torch.tensor(np.asarray(case[k]), requires_grad=True) for k in ("x", "weight", "p", "q")]
    y = torch_scs(torch, *ts, 1, "same", variant, case["groups"])
    y.backward(torch.tensor(g))
    assert_close_to_torch(ours, [y.detach().numpy()] + [t.grad.numpy() for t in ts], case, g, variant)


@pytest.mark.parametrize("variant", ["rohrer", "pisoni"])
def test_layer_takes_a_kernel_size_pair_as_conv2d_does(variant):
    """kernel_size=(3, 5) raised "'<' not supported between instances of 'tuple' and 'int'"."""
    layer = layers.SharpCosSim2d(2, 4, kernel_size=(3, 5), padding=(1, 2), variant=variant, rng=np.random.default_rng(0))
    assert layer.weight.shape == (4, 2, 3, 5) and layer.kernel_size == (3, 5)
    assert layer(mg.tensor(np.ones((1, 2, 6, 7), np.float32))).shape == (1, 4, 6, 7)
    if variant == "pisoni":  # glorot over the patch length C kh kw
        assert np.abs(layer.weight.data).max() <= np.sqrt(6 / (2 * 15 + 4))
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        layers.SharpCosSim2d(2, 4, kernel_size=(3, 0))


@pytest.mark.parametrize("variant", ["rohrer", "pisoni"])
def test_layer_with_groups_has_pytorch_weight_layout(variant):
    layer = layers.SharpCosSim2d(4, 8, groups=4, variant=variant, rng=np.random.default_rng(0))
    assert layer.weight.shape == (8, 1, 3, 3) and "groups=4" in repr(layer)
    assert "groups" not in repr(layers.SharpCosSim2d(4, 8, variant=variant))  # as Conv2d's: shown when not 1
    assert layer(mg.tensor(np.ones((2, 4, 5, 5), np.float32))).shape == (2, 8, 5, 5)
    if variant == "pisoni":  # glorot over the patch length C/groups kh kw, reached by enough draws
        limit = np.sqrt(6 / (9 + 400))
        wide = layers.SharpCosSim2d(4, 400, groups=4, variant=variant, rng=np.random.default_rng(0))
        assert limit >= np.abs(wide.weight.data).max() > 0.998 * limit


def test_pisoni_layer_parameterisation_and_gradients_reach_raw_parameters():
    layer = layers.SharpCosSim2d(2, 4, variant="pisoni", rng=np.random.default_rng(0), dtype=np.float64)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "p_raw", "q_raw"]
    limit = np.sqrt(6 / (2 * 9 + 4))
    assert np.abs(layer.weight.data).max() <= limit
    p, q = layer.effective_p_q()
    np.testing.assert_allclose(p.data, np.full(4, 0.25))
    assert q.data.item() == 0
    layer.p_raw.data[:], layer.q_raw.data[:] = np.log([1, 2, 3, 4]), -0.5  # p = softmax(p_raw), q = q_raw^2 / 10
    p, q = layer.effective_p_q()
    np.testing.assert_allclose(p.data, np.arange(1, 5) / 10, rtol=1e-15)
    assert q.data.item() == 0.025
    layer.q_raw.data[:] = 0.3
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 5))
    layer(mg.tensor(x)).sum().backward()
    assert layer.p_raw.grad.shape == (4,) and layer.q_raw.grad.shape == (1,) and layer.q_raw.grad[0] != 0
    mg.gradcheck(lambda t: layer(t), [x], mode="directional")
