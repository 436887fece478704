"""Modules, state_dicts, saving, and optimizers against PyTorch's formulas."""
import inspect
import math
import os
import re
import stat
import warnings

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import layers
from layers.twist import antisymmetrize
import minigrad as mg
from minigrad import backend, nn, optim
from minigrad.testing import arrays, assert_close, assert_same_bits


def make_mlp(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(6, 4, rng=rng, dtype=dtype), nn.ReLU(),
                         nn.Linear(4, 3, rng=rng, dtype=dtype))


def test_named_parameters_follow_pytorch_names_and_order():
    assert [n for n, _ in make_mlp().named_parameters()] == ["1.weight", "1.bias", "3.weight", "3.bias"]


def test_sequential_slices_are_sequentials_with_the_original_names():
    """A slice was a plain list, which cannot be called or saved; PyTorch's keeps the names."""
    m = make_mlp()
    tail = m[1:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 3
    assert [n for n, _ in tail.named_parameters()] == ["1.weight", "1.bias", "3.weight", "3.bias"]
    x = np.random.default_rng(0).standard_normal((2, 6)).astype(np.float32)
    np.testing.assert_array_equal(tail(mg.tensor(x)).data, m(mg.tensor(x.reshape(2, 2, 3))).data)
    assert m[-1] is m[3] and [k for k, _ in m[:2].named_parameters()] == ["1.weight", "1.bias"]
    with pytest.raises(IndexError):
        m[4]


def test_sequential_grows_as_pytorchs():
    """Sequential had no append or extend."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    ours = nn.Sequential(nn.Flatten()).append(nn.Linear(6, 4, rng=rng)).extend([nn.ReLU(), nn.Linear(4, 3, rng=rng)])
    theirs = torch.nn.Sequential(torch.nn.Flatten()).append(torch.nn.Linear(6, 4))
    theirs.extend([torch.nn.ReLU(), torch.nn.Linear(4, 3)])
    assert list(ours.state_dict()) == list(theirs.state_dict()) and len(ours) == 4
    ours.double().load_state_dict({k: v.detach().numpy() for k, v in theirs.double().state_dict().items()})
    x = rng.standard_normal((2, 2, 3))
    assert_close(ours(mg.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dims", [(), (0,), (1, 2), (-3, -2), (2, 3)])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (0, 3, 4, 5), (3, 4, 5)])
def test_flatten_module_takes_pytorchs_dims(dims, shape):
    """nn.Flatten took no arguments (nn.Flatten(0) was a TypeError) and made a 1-D input (n,) into
    (n, 1), where PyTorch's refuses it."""
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Flatten(*dims), torch.nn.Flatten(*dims)
    assert repr(ours) == repr(theirs)
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    try:
        expected = theirs(torch.tensor(x)).numpy()
    except IndexError:
        with pytest.raises(ValueError, match="flatten: dim .* out of range"):
            ours(mg.tensor(x))
        return
    np.testing.assert_array_equal(ours(mg.tensor(x)).data, expected)
    assert ours(mg.tensor(x)).shape == expected.shape


def test_flatten_module_refuses_a_1d_input_as_pytorch_does():
    with pytest.raises(ValueError, match="flatten: dim 1 out of range for a 1-D tensor"):
        nn.Flatten()(mg.tensor(np.ones(6)))


def test_sequential_refuses_what_is_not_a_module():
    """A function among Sequential's modules became a plain attribute that forward skipped."""
    ours = make_mlp()
    with pytest.raises(TypeError, match="Sequential: cannot add function as module '1' \\(Module or None expected\\)"):
        nn.Sequential(nn.ReLU(), lambda x: 2 * x)
    with pytest.raises(TypeError, match="Sequential: cannot add int as module '4'"):
        ours.append(3)
    tail = ours[2:]  # named "2" and "3": PyTorch's append would replace "2"
    with pytest.raises(ValueError, match="Sequential.append: this Sequential is a slice, named \\['2', '3'\\]"):
        tail.append(nn.ReLU())
    assert len(ours) == 4 and len(tail) == 2


class Blocks(nn.Module):
    """Conv blocks in a ModuleList, then a linear head: a network written the PyTorch way."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([layers.Conv2d(1, 2, 3, padding=1)])
        self.blocks.extend([layers.Conv2d(2, 2, 3, padding=1)]).append(layers.Conv2d(2, 3, 3))
        self.head = nn.Linear(12, 4)

    def forward(self, x):
        for block in self.blocks:
            x = block(x).relu()
        return self.head(x.flatten(1))


def test_module_list_registers_its_modules_under_pytorchs_names():
    """There was no ModuleList: a plain list of blocks hid their parameters from the optimizer."""
    torch = pytest.importorskip("torch")

    class TorchBlocks(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = torch.nn.ModuleList([torch.nn.Conv2d(1, 2, 3, padding=1)])
            self.blocks.extend([torch.nn.Conv2d(2, 2, 3, padding=1)]).append(torch.nn.Conv2d(2, 3, 3))
            self.head = torch.nn.Linear(12, 4)

        forward = Blocks.forward

    ours, theirs = Blocks().double(), TorchBlocks().double()
    assert list(ours.state_dict()) == list(theirs.state_dict()) and len(list(ours.parameters())) == 8
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4))
    assert_close(ours(mg.tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-14)


def test_module_list_indexing_and_bad_input():
    convs = [layers.Conv2d(1, 1, 1) for _ in range(3)]
    blocks = nn.ModuleList(convs)
    assert list(blocks) == convs and len(blocks) == 3 and blocks[-1] is convs[2]
    tail = blocks[1:]  # renumbered from 0, as PyTorch's ModuleList slice
    assert isinstance(tail, nn.ModuleList) and list(tail) == convs[1:] and list(tail.state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(TypeError, match="ModuleList: cannot add list as module '3' \\(Module or None expected\\)"):
        blocks.append([layers.Conv2d(1, 1, 1)])
    assert len(blocks) == 3
    with pytest.raises(IndexError):
        blocks[3]
    with pytest.raises(TypeError, match="ModuleList.insert: expected a Module or None, got list"):
        blocks.insert(0, [layers.Conv2d(1, 1, 1)])
    assert list(blocks) == convs


def test_a_module_that_assigns_before_calling_super_init_is_told_to():
    """PyTorch's AttributeError, naming the attribute: there is nowhere yet to register it."""
    class Early(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(np.ones(2))
            super().__init__()

    with pytest.raises(AttributeError, match=r"Early: call super\(\).__init__\(\) before assigning weight"):
        Early()


def test_deleted_attributes_leave_the_parameters_and_modules():
    """del left the Parameter in named_parameters, so the optimizer and state_dict still saw it."""
    layer = nn.Linear(3, 2, rng=np.random.default_rng(0))
    del layer.bias
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    m = make_mlp()
    delattr(m, "3")
    assert list(m.state_dict()) == ["1.weight", "1.bias"] and len(m) == 3


@pytest.mark.parametrize("args, message", [
    ((3.5, 2), "in_features must be an int >= 0, got 3.5"),  # numpy's "'float' object cannot be interpreted"
    ((True, 2), "in_features must be an int >= 0, got True"),  # "an integer is required"
    (("3", 2), "in_features must be an int >= 0, got '3'"),  # "'<' not supported between str and int"
    ((3, -1), "out_features must be an int >= 0, got -1"),
])
def test_linear_refuses_bad_feature_counts_naming_them(args, message):
    with pytest.raises(ValueError, match=f"Linear: {message}"):
        nn.Linear(*args)


def test_linear_names_an_input_of_the_wrong_width():
    """A 0-D input, which has no last dimension, was an IndexError naming no op (PyTorch refuses it too)."""
    with pytest.raises(ValueError, match=r"Linear: expected last dimension 3, got input shape \(2, 4\)"):
        nn.Linear(3, 2)(mg.tensor(np.ones((2, 4), np.float32)))
    with pytest.raises(ValueError, match=r"Linear: expected last dimension 1, got input shape \(\)"):
        nn.Linear(1, 2)(mg.tensor(np.float32(1)))
    for x in ("ab", None):  # an AttributeError: 'str' object has no attribute 'shape'
        with pytest.raises(TypeError, match=rf"^Linear: takes a number, an array or a tensor, got {x!r}$"):
            nn.Linear(1, 2)(x)


def test_linear_takes_a_list_as_the_functions_do():
    """nn.Linear(2, 1)([[1.0, 2.0]]) was an AttributeError ('list' object has no attribute 'shape'); the ops
    and the layers' modules take lists and arrays."""
    m = nn.Linear(2, 1, rng=0)
    assert_close(m([[1.0, 2.0]]).data, m(mg.tensor([[1.0, 2.0]])).data, rtol=0, atol=0)


def test_only_parameters_and_modules_are_registered():
    """As in PyTorch, a plain tensor attribute (a constant mask, say) is neither trained nor saved."""
    m = nn.Linear(2, 2)
    m.mask = mg.tensor(np.ones(2), requires_grad=True)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"] and "mask" not in m.state_dict()


def test_reassigning_an_attribute_unregisters_what_it_held():
    """A parameter or module replaced by None is no longer trained or saved, and one kind replaced by
    the other moves registries, as in PyTorch."""
    m = nn.Sequential(nn.Linear(2, 2))
    m.head = nn.Linear(2, 1)
    m.scale = nn.Parameter(np.ones(1, np.float32))
    m.head, m.scale = nn.Parameter(np.zeros(3, np.float32)), None
    assert sorted(m.state_dict()) == ["0.bias", "0.weight", "head"] and m.head.shape == (3,)
    m.head = None
    assert sorted(m.state_dict()) == ["0.bias", "0.weight"] and list(m.children()) == [m[0]]


@pytest.mark.parametrize("change", ["missing", "unexpected", "shape"])
def test_load_state_dict_raises_the_runtime_error_pytorch_raises(change):
    """It raised ValueError only, so PyTorch code's except RuntimeError did not catch it; it is both now."""
    torch = pytest.importorskip("torch")
    for lib in (nn, torch.nn):
        m = lib.Linear(2, 3)
        state = dict(m.state_dict())
        if change == "missing":
            del state["bias"]
        elif change == "unexpected":
            state["scale"] = state["bias"]
        else:
            state["bias"] = np.ones(4, np.float32) if lib is nn else torch.ones(4)
        with pytest.raises(RuntimeError, match="(?i)state_dict"):
            m.load_state_dict(state)
    with pytest.raises(ValueError):
        nn.Linear(2, 3).load_state_dict({})


def test_load_state_dict_refuses_what_is_not_a_dict_as_pytorch_does():
    """A list of arrays was an AttributeError ('list' object has no attribute 'items')."""
    with pytest.raises(TypeError, match=r"load_state_dict into Linear: expected a dict of arrays, got list"):
        nn.Linear(2, 3).load_state_dict([np.ones((3, 2)), np.ones(3)])
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.nn.Linear(2, 3).load_state_dict([torch.ones(3, 2), torch.ones(3)])


@pytest.mark.parametrize("mode", [0, 1, "no", None])
def test_train_takes_true_or_false_as_pytorch_does(mode):
    """train(0) set every module's training to 0 rather than False; PyTorch raises a ValueError."""
    m = make_mlp()
    with pytest.raises(ValueError, match=f"Sequential.train: mode must be True or False, got {mode!r}"):
        m.train(mode)
    assert all(module.training is True for module in m.modules())
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.nn.Linear(2, 2).train(mode)


def test_load_state_dict_refuses_integer_arrays():
    m = nn.Linear(2, 1)
    state = dict(m.state_dict(), bias=np.array([1]))
    with pytest.raises(ValueError, match=r"'bias': dtype int64 is not floating point"):
        m.load_state_dict(state)


@pytest.mark.parametrize("in_features, out_features", [(0, 3), (3, 0)])
def test_linear_with_no_features_is_pytorchs_empty_layer(in_features, out_features):
    """PyTorch's nn.Linear takes 0 features (its bias bound is then 0): no inputs give y = bias, no
    outputs an empty y; the gradients are those of y = x W^T + b. This refused 0 before."""
    layer = nn.Linear(in_features, out_features, rng=np.random.default_rng(0), dtype=np.float64)
    x = mg.tensor(np.random.default_rng(1).normal(size=(2, in_features)), requires_grad=True)
    y = layer(x)
    assert y.shape == (2, out_features) and layer.weight.shape == (out_features, in_features)
    assert not layer.bias.data.any()  # bound 0: zeros for no inputs (a mutant with bound 1 passed)
    np.testing.assert_array_equal(y.data, np.broadcast_to(layer.bias.data, (2, out_features)))
    y.sum().backward()
    assert x.grad.shape == x.shape and not x.grad.any()  # no outputs, or no weights, to pass gradient
    np.testing.assert_array_equal(layer.bias.grad, np.full(out_features, 2.0))
    assert layer.weight.grad.shape == (out_features, in_features)


def test_linear_init_is_pytorch_default_bound():
    layer = nn.Linear(50, 400, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(50)
    assert bound >= np.abs(layer.weight.data).max() > 0.998 * bound  # 20,000 draws reach it (1/sqrt(51) did not)
    assert layer.weight.dtype == np.float32


@pytest.mark.parametrize("seed", [0, 3, 2**64])
def test_manual_seed_reproduces_default_init(seed):
    """0, the smallest seed, and one beyond 64 bits are seeds, as in np.random.default_rng."""
    mg.manual_seed(seed)
    a = nn.Linear(3, 2).weight.data
    mg.manual_seed(seed)
    np.testing.assert_array_equal(a, nn.Linear(3, 2).weight.data)


@pytest.mark.parametrize("make", [lambda rng: nn.Linear(3, 4, rng=rng), lambda rng: layers.Conv2d(2, 3, 3, rng=rng),
                                  lambda rng: layers.SharpCosSim2d(2, 3, rng=rng),
                                  lambda rng: layers.SharpCosSim2d(2, 3, variant="pisoni", rng=rng),
                                  lambda rng: layers.ConvTwist2d(2, 3, rng=rng)])
def test_a_modules_rng_may_be_a_seed_as_numpys_rng_arguments_take_one(make):
    """rng=0, NumPy's convention for an rng argument (as np.random.default_rng and SciPy take it), was
    an AttributeError naming no module ('int' object has no attribute 'uniform'). The seed is resolved
    once per module: ConvTwist's three convolutions still start different."""
    seeded, generated = make(0), make(np.random.default_rng(0))
    for (name, a), (_, b) in zip(seeded.named_parameters(), generated.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    if isinstance(seeded, layers.ConvTwist2d):  # conv_x is not conv's draw again, antisymmetrised
        assert not np.array_equal(antisymmetrize(seeded.conv.weight.data), seeded.conv_x.weight.data)
    with pytest.raises(TypeError, match=r"rng must be None, an int >= 0 or a np.random.Generator, got 'a'"):
        make("a")


@pytest.mark.parametrize("seed", [None, -1, 1.5, "3"])
def test_manual_seed_refuses_what_would_not_repeat_or_names_itself(seed):
    """manual_seed(None), as an unset --seed option gives it, drew a fresh seed from the system, so a
    run written as seeded did not repeat (PyTorch refuses None); -1, 1.5 and '3' were NumPy's errors
    naming SeedSequence."""
    error = ValueError if seed == -1 else TypeError
    with pytest.raises(error, match=rf"manual_seed: seed must be an int >= 0, got {re.escape(repr(seed))}"):
        mg.manual_seed(seed)


def test_named_modules_takes_pytorchs_memo_first():
    """named_modules(memo, prefix, remove_duplicate), PyTorch's order: modules in memo are skipped and
    the ones met are added to it. Ours had no memo, so named_modules(set(), "m") took the set as the
    prefix; a prefix given where the memo goes is refused, naming the argument."""
    a, b = nn.ReLU(), nn.Flatten()
    inner = nn.Sequential(b, a)
    model = nn.Sequential(a, inner)
    memo = {b}
    assert [name for name, _ in model.named_modules(memo, "m")] == ["m", "m.0", "m.1"]
    assert {id(m) for m in memo} == {id(m) for m in (model, a, inner, b)}
    assert [name for name, _ in model.named_modules(set(), "m", False)] == ["m", "m.0", "m.1", "m.1.0", "m.1.1"]
    with pytest.raises(TypeError, match="named_modules: memo .PyTorch's first argument. must be a set of modules, "
                                        "got 'm'; give prefix by name"):
        list(model.named_modules("m"))


def test_state_and_group_arguments_take_pytorchs_keywords():
    """load_state_dict(state_dict=...) and add_param_group(param_group=...), as PyTorch's code writes
    them, were TypeErrors (ours were named state and group)."""
    model = nn.Linear(2, 1, rng=0)
    model.load_state_dict(state_dict={"weight": np.ones((1, 2)), "bias": np.zeros(1)})
    np.testing.assert_array_equal(model.weight.data, [[1, 1]])
    opt = optim.SGD([model.weight], lr=0.1)
    opt.add_param_group(param_group={"params": [model.bias], "lr": 0.5})
    schedule = optim.StepLR(opt, step_size=1)
    schedule.load_state_dict(state_dict=dict(schedule.state_dict(), last_epoch=3))
    assert schedule.last_epoch == 3 and [g["lr"] for g in opt.param_groups] == [0.1, 0.5]


def test_train_eval_flags_reach_submodules():
    m = make_mlp().eval()
    assert not any(x.training for x in m.modules())
    assert all(x.training for x in m.train().modules())


def test_module_traversal_follows_pytorch():
    """named_modules, children and apply in PyTorch's names and order; a module or parameter used
    twice is listed once (so an optimizer takes model.parameters()), state_dict names each use. A
    module used twice in one container was listed twice by named_children (and so visited twice by
    apply), and parameters(recurse=False), a module's own, was a TypeError."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shared = nn.Linear(3, 3, rng=rng)
    ours = nn.Sequential(shared, nn.ReLU(), nn.Sequential(nn.Flatten(), shared), nn.Linear(3, 2, rng=rng), shared)
    t_shared = torch.nn.Linear(3, 3)
    theirs = torch.nn.Sequential(t_shared, torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Flatten(), t_shared),
                                 torch.nn.Linear(3, 2), t_shared)
    names = lambda pairs: [n for n, _ in pairs]  # noqa: E731
    assert names(ours.named_modules()) == names(theirs.named_modules())
    assert names(ours.named_modules(remove_duplicate=False)) == names(theirs.named_modules(remove_duplicate=False))
    assert names(ours.named_children()) == names(theirs.named_children())
    assert [type(m).__name__ for m in ours.children()] == [type(m).__name__ for m in theirs.children()]
    assert names(ours.named_parameters()) == names(theirs.named_parameters())
    for module, t_module in ((ours, theirs), (ours[0], theirs[0])):
        for prefix in ("", "net"):
            assert (names(module.named_parameters(prefix, recurse=False))
                    == names(t_module.named_parameters(prefix, recurse=False)))
        assert len(list(module.parameters(recurse=False))) == len(list(t_module.parameters(recurse=False)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert len(list(ours.modules())) == len(list(theirs.modules())) == 6
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    optim.Adam(ours.parameters())  # refused a parameter listed twice

    visited, t_visited = [], []
    ours.apply(lambda m: visited.append(type(m).__name__))
    theirs.apply(lambda m: t_visited.append(type(m).__name__))
    assert visited == t_visited


@pytest.mark.parametrize("container", [nn.Sequential, nn.ModuleList])
def test_a_container_names_itself_and_the_index_it_refuses(container):
    """m[4] of four modules was "list index out of range", m["0"] "list indices must be integers or
    slices, not str": neither named the container, the index nor the length."""
    m = container([nn.ReLU()] * 4) if container is nn.ModuleList else container(*[nn.ReLU()] * 4)
    name = container.__name__
    for index in (4, -5):
        with pytest.raises(IndexError, match=f"{name}: index {index} is out of range for 4 modules"):
            m[index]
    with pytest.raises(TypeError, match=f"{name}: an index must be an int or a slice, got '0'"):
        m["0"]
    assert m[np.int64(-1)] is m[3]


def test_a_parameter_tied_between_two_modules_is_listed_once_as_in_pytorch():
    """Weight tying: one Parameter assigned to two modules comes once from parameters() (an
    optimizer would step it twice), while state_dict names it under both keys."""
    first, second = nn.Linear(3, 3), nn.Linear(3, 3)
    second.weight = first.weight
    ours = nn.Sequential(first, nn.ReLU(), second)
    assert [n for n, _ in ours.named_parameters()] == ["0.weight", "0.bias", "2.bias"]
    assert [n for n, _ in ours.named_parameters(remove_duplicate=False)] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert ours.num_parameters() == 15 and list(ours.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    optim.Adam(ours.parameters())  # accepted: Adam refuses a parameter listed twice
    torch = pytest.importorskip("torch")
    t_first, t_second = torch.nn.Linear(3, 3), torch.nn.Linear(3, 3)
    t_second.weight = t_first.weight
    theirs = torch.nn.Sequential(t_first, torch.nn.ReLU(), t_second)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())


def test_assigning_to_a_registered_name_follows_pytorch():
    """A Parameter assigned over a parameter moved it to the end of named_parameters (so an optimizer
    numbered it differently from PyTorch's, and a torch optimizer's state could land on another
    parameter of the same shape); a plain array or tensor assigned over one silently unregistered it: never trained,
    gone from state_dict. PyTorch keeps the place and refuses the array."""
    m = nn.Linear(2, 3)
    m.weight = nn.Parameter(np.zeros((3, 2), np.float32))
    assert list(m.state_dict()) == ["weight", "bias"]
    for value in (np.zeros((3, 2), np.float32), mg.tensor(np.zeros((3, 2), np.float32)), 3):
        with pytest.raises(TypeError, match=f"Linear: cannot assign {type(value).__name__} as parameter 'weight' "
                                            "\\(Parameter or None expected"):
            m.weight = value
    seq = nn.Sequential(nn.Linear(1, 1))
    with pytest.raises(TypeError, match="Sequential: cannot assign int as child module '0' \\(Module or None"):
        setattr(seq, "0", 3)
    assert list(m.state_dict()) == ["weight", "bias"] and len(seq) == 1
    m.bias = None  # as in PyTorch: no bias
    assert list(m.state_dict()) == ["weight"] and m(mg.tensor(np.ones((1, 2), np.float32))).shape == (1, 3)
    with pytest.raises(TypeError, match="cannot assign Conv2d as parameter 'weight'"):  # as PyTorch; it was taken
        m.weight = layers.Conv2d(1, 1, 1)
    assert list(m.state_dict()) == ["weight"]
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="cannot assign .* as parameter 'weight'"):
        torch.nn.Linear(2, 3).weight = torch.nn.Conv2d(1, 1, 1)
    t = torch.nn.Linear(2, 3)
    t.weight = torch.nn.Parameter(torch.zeros(3, 2))
    assert list(t.state_dict()) == ["weight", "bias"]


def test_a_name_set_to_none_stays_registered_as_in_pytorch():
    """None unregistered the name: a Parameter assigned after it went to the end of named_parameters
    (optimizer numbering and state_dict order no longer PyTorch's), and an array assigned after it
    silently became a plain attribute, never trained. PyTorch keeps the name, holding None."""
    torch = pytest.importorskip("torch")
    m, t = nn.Sequential(nn.Linear(2, 3), nn.ReLU()), torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    for net, value, parameter in ((m, np.zeros((3, 2), np.float32), nn.Parameter),
                                  (t, torch.zeros(3, 2), torch.nn.Parameter)):
        net[0].weight, net.extra = None, None
        assert [n for n, _ in net.named_parameters()] == ["0.bias"] and list(net.state_dict()) == ["0.bias"]
        with pytest.raises(TypeError, match="cannot assign .* as parameter 'weight'"):
            net[0].weight = value
        net[0].weight = parameter(value)
        assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]
        first = net[0]
        setattr(net, "0", None)
        assert [n for n, _ in net.named_children()] == ["1"] and len(list(net.modules())) == 2 and len(net) == 2
        setattr(net, "0", first)
        assert list(net.state_dict()) == ["0.weight", "0.bias"]
    assert repr(m) == repr(t)


def test_relu_takes_pytorchs_inplace_flag():
    """nn.ReLU(inplace=True), as ported models write it, was a TypeError; the values and gradients
    are ReLU's, shown as PyTorch shows the module."""
    x = mg.tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True)
    y = nn.ReLU(inplace=True)(x)
    y.backward(np.ones(3))
    assert y.tolist() == [0.0, 0.5, 2.0] and x.grad.tolist() == [0.0, 1.0, 1.0] and x.tolist()[0] == -1.0
    with pytest.raises(TypeError, match="ReLU: inplace must be True or False, got 'yes'"):
        nn.ReLU("yes")
    torch = pytest.importorskip("torch")
    for flag in (False, True):
        assert repr(nn.Sequential(nn.ReLU(flag))) == repr(torch.nn.Sequential(torch.nn.ReLU(flag)))


@pytest.mark.parametrize("name, probabilities", [("NLLLoss", False), ("CrossEntropyLoss", False),
                                                  ("CrossEntropyLoss", True)])
def test_loss_modules_are_the_functions_with_their_settings(name, probabilities):
    """nn.NLLLoss and nn.CrossEntropyLoss, which ported training code makes, were missing: a call is the
    function's with the settings given when the module was made, the same bits and gradients, and the
    module shows as PyTorch's."""
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 3, 2))
    target = rng.random((4, 3, 2)) if probabilities else rng.integers(0, 3, (4, 2))
    settings = dict(ignore_index=-1 if probabilities else 1, reduction="sum")
    if name == "CrossEntropyLoss":
        settings["label_smoothing"] = 0.2
    function = mg.cross_entropy if name == "CrossEntropyLoss" else mg.nll_loss
    x, y = mg.tensor(logits, requires_grad=True), mg.tensor(logits, requires_grad=True)
    module = getattr(nn, name)([0.5, 2.0, 1.0], **settings)
    loss = module(x, target)
    expected = function(y, target, [0.5, 2.0, 1.0], **settings)
    loss.backward()
    expected.backward()
    assert_same_bits(loss.data, expected.data)
    assert_same_bits(x.grad, y.grad)
    torch = pytest.importorskip("torch")
    t = torch.tensor(logits, requires_grad=True)
    theirs = getattr(torch.nn, name)(torch.tensor([0.5, 2.0, 1.0], dtype=torch.float64), **settings)
    theirs(t, torch.from_numpy(target)).backward()
    assert_close(loss.data, theirs(t, torch.from_numpy(target)).detach().numpy(), name="value")
    assert_close(x.grad, t.grad.numpy(), name="gradient")
    assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())
    # the weight is a buffer, as PyTorch's (it was a plain attribute: not saved, not cast)
    assert list(module.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert module.float().weight.dtype == np.float32 and theirs.float().weight.dtype == torch.float32


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError, "cross_entropy: reduction must be 'mean', 'sum' or "
                                                               "'none', got 'avg'"),
    (lambda: nn.NLLLoss(reduction=None), ValueError, "nll_loss: reduction must be 'mean', 'sum' or 'none', got None"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=2), ValueError, "label_smoothing must be a number from 0 to 1"),
    (lambda: nn.CrossEntropyLoss(ignore_index=None), TypeError, "ignore_index must be an int, got None"),
    (lambda: nn.NLLLoss(ignore_index=1.5), TypeError, "nll_loss: ignore_index must be an int, got 1.5"),
    (lambda: nn.CrossEntropyLoss("mean"), TypeError, "CrossEntropyLoss: takes a number, an array or a tensor, got "
                                                     "'mean'"),
    (lambda: nn.NLLLoss("mean"), TypeError, "NLLLoss: takes a number, an array or a tensor, got 'mean'"),
    # PyTorch's second argument is the deprecated size_average: the settings are given by name
    (lambda: nn.CrossEntropyLoss(None, None), TypeError, "takes from 1 to 2 positional arguments"),
    (lambda: nn.NLLLoss(None, None), TypeError, "takes from 1 to 2 positional arguments"),
])
def test_loss_modules_refuse_bad_settings_when_made(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_dropout_module_drops_in_training_only_and_shows_as_pytorchs():
    """nn.Dropout was missing (PyTorch's MNIST example has two): dropout while training, the input itself
    after eval(), its p checked when made."""
    x = mg.tensor(np.ones((50, 40)))
    net = nn.Sequential(nn.Dropout(0.25), nn.Flatten())
    mg.manual_seed(0)
    dropped = net(x).data
    mg.manual_seed(0)
    assert_same_bits(dropped, mg.dropout(x, 0.25).data)
    assert 0 < (dropped == 0).mean() < 0.5
    assert net.eval()[0](x) is x
    assert nn.Dropout(0.0)(x) is x and not nn.Dropout(1.0)(x).data.any()  # the ends, which PyTorch takes
    with pytest.raises(ValueError, match="Dropout: p must be a probability from 0 to 1, got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(TypeError, match="Dropout: inplace must be True or False, got 1"):
        nn.Dropout(0.5, 1)
    x4 = mg.tensor(np.ones((20, 30, 2, 2)))
    mg.manual_seed(0)
    dropped = nn.Dropout2d(0.25)(x4).data
    mg.manual_seed(0)
    assert_same_bits(dropped, mg.dropout2d(x4, 0.25).data)
    assert nn.Dropout2d(0.25).eval()(x4) is x4
    with pytest.raises(ValueError, match="Dropout2d: p must be a probability from 0 to 1, got -1"):
        nn.Dropout2d(-1)
    torch = pytest.importorskip("torch")
    assert repr(nn.Sequential(nn.Dropout(0.25, inplace=True), nn.Dropout(), nn.Dropout2d(0.1))) == \
        repr(torch.nn.Sequential(torch.nn.Dropout(0.25, inplace=True), torch.nn.Dropout(), torch.nn.Dropout2d(0.1)))


def step_beside_torch(torch, ours, theirs, shape, rng):
    """A drawn input (mean 1, spread 3) through our module and torch's twin, and backward of a drawn gradient:
    the outputs and input gradients must agree in float64."""
    x, g = rng.standard_normal(shape) * 3 + 1, rng.standard_normal(shape)
    a, t = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, expected = ours(a), theirs(t)
    y.backward(g)
    expected.backward(torch.tensor(g))
    assert_close(y.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12, name="output")
    assert_close(a.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12, name="input gradient")


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (4, 3, 5)),
                                         ("BatchNorm2d", (4, 3, 2, 2)), ("BatchNorm3d", (2, 3, 2, 2, 2))])
@pytest.mark.parametrize("settings", [{}, {"momentum": None}, {"affine": False}, {"track_running_stats": False},
                                      {"bias": False}, {"momentum": 0.5, "eps": 1e-3}])
def test_batch_norm_modules_train_and_evaluate_as_pytorchs(name, shape, settings):
    """The batch norm modules were missing: three training steps in float64 give torch's outputs, gradients,
    running statistics and batch count (momentum None: the cumulative average); then eval() normalizes by
    them as torch's does, a torch state_dict loads into a fresh module to the same outputs, and the
    modules show and save as torch's."""
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(3, **settings).double(), getattr(torch.nn, name)(3, **settings).double()
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(0)
    for _ in range(3):
        step_beside_torch(torch, ours, theirs, shape, rng)
        for p, q in zip(ours.parameters(), theirs.parameters()):
            assert_close(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-12, name="parameter gradient")
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    for k, v in ours.state_dict().items():
        assert v.dtype == state[k].dtype
        assert_close(v, state[k], rtol=1e-12, atol=0, name=k)
    x = rng.standard_normal(shape)
    expected = theirs.eval()(torch.tensor(x)).detach().numpy()
    assert_close(ours.eval()(x).data, expected, rtol=1e-12, atol=1e-12, name="output after eval()")
    fresh = getattr(nn, name)(3, **settings).double().eval()
    fresh.load_state_dict(state)
    assert_close(fresh(x).data, expected, rtol=1e-12, atol=1e-12, name="output of the loaded module")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_conv_network_with_batch_norm_trains_as_its_torch_twin(dtype):
    """Conv2d's output is channel-major in memory, and pooling and the loss follow batch norm: five SGD steps
    of conv, BatchNorm2d, ReLU, max pool and a linear head give torch's losses, weights and running
    statistics, and its predictions after eval()."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)

    def net(lib, conv, pool):
        return lib.Sequential(conv(1, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(), pool(2), lib.Flatten(),
                              lib.Linear(4 * 3 * 3, 3))
    ours = net(nn, lambda *a, **k: layers.Conv2d(*a, **k, rng=rng), layers.MaxPool2d).to(dtype)
    theirs = net(torch.nn, torch.nn.Conv2d, torch.nn.MaxPool2d).to(getattr(torch, np.dtype(dtype).name))
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    sgd = [optim.SGD(ours.parameters(), lr=0.1, momentum=0.9), torch.optim.SGD(theirs.parameters(), 0.1, 0.9)]
    tolerance = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for _ in range(5):
        x, labels = rng.standard_normal((8, 1, 6, 6)).astype(dtype), rng.integers(0, 3, 8)
        losses = []
        for model, opt, inputs, loss_of in ((ours, sgd[0], (x, labels), mg.cross_entropy),
                                            (theirs, sgd[1], (torch.from_numpy(x), torch.from_numpy(labels)),
                                             torch.nn.functional.cross_entropy)):
            opt.zero_grad()
            loss = loss_of(model(inputs[0]), inputs[1])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert_close(losses[0], losses[1], name="loss", **tolerance)
    for k, v in theirs.state_dict().items():
        assert_close(ours.state_dict()[k], v.numpy(), name=k, **tolerance)
    x = rng.standard_normal((4, 1, 6, 6)).astype(dtype)
    assert_close(ours.eval()(x).data, theirs.eval()(torch.from_numpy(x)).detach().numpy(), name="eval", **tolerance)


def test_batch_norm_modules_refuse_what_they_cannot_use_before_counting_a_batch():
    """The wrong number of dims is PyTorch's ValueError; an input of one value per channel counts no batch
    (PyTorch counts it, then refuses it); settings are checked when the module is made."""
    bn = nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 3D input\)"):
        bn(np.ones((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match="BatchNorm1d: expected 2D or 3D input \\(got 4D input\\)"):
        nn.BatchNorm1d(3)(np.ones((2, 3, 4, 5), np.float32))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(np.ones((1, 3, 1, 1), np.float32))
    assert bn.num_batches_tracked.item() == 0 and bn.running_var.tolist() == [1.0] * 3
    for make, error, message in [(lambda: nn.BatchNorm2d(0), ValueError, "num_features must be an int >= 1, got 0"),
                                 (lambda: nn.BatchNorm2d(3, momentum=-1), ValueError, "momentum must be a number >= 0"),
                                 (lambda: nn.BatchNorm2d(3, eps="small"), ValueError, "eps must be a number >= 0"),
                                 (lambda: nn.BatchNorm2d(3, affine=1), TypeError, "affine must be True or False"),
                                 (lambda: nn.BatchNorm2d(3, dtype=np.int64), TypeError,
                                  "parameters need a floating-point dtype")]:
        with pytest.raises(error, match=f"BatchNorm2d: {message}"):
            make()
    assert bn.double().running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64


@pytest.mark.parametrize("name, args, shape", [("LayerNorm", (5,), (4, 5)), ("LayerNorm", ([3, 2],), (4, 3, 2)),
                                               ("GroupNorm", (2, 4), (3, 4)), ("GroupNorm", (2, 6), (2, 6, 3, 2))])
@pytest.mark.parametrize("settings", [{}, {"affine": False}, {"bias": False}, {"eps": 1e-2}])
def test_layer_norm_and_group_norm_modules_train_as_pytorchs(name, args, shape, settings):
    """LayerNorm and GroupNorm were missing: with torch's settings (LayerNorm's affine is elementwise_affine)
    they show and save as torch's, and three SGD steps in float64 give its outputs and gradients."""
    torch = pytest.importorskip("torch")
    if name == "LayerNorm" and "affine" in settings:
        settings = {"elementwise_affine": settings["affine"]}
    ours, theirs = getattr(nn, name)(*args, **settings).double(), getattr(torch.nn, name)(*args, **settings).double()
    assert repr(ours) == repr(theirs) and list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(0)
    parameters = list(ours.parameters())
    for p in parameters:  # away from ones and zeros, so a swapped or missing γ or β shows
        p.data[...] = rng.uniform(0.5, 2, p.shape)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    sgd = [optim.SGD(ours.parameters(), lr=0.1), torch.optim.SGD(theirs.parameters(), lr=0.1)] if parameters else []
    for _ in range(3):
        step_beside_torch(torch, ours, theirs, shape, rng)
        for opt in sgd:
            opt.step()
            opt.zero_grad()
    for k, v in theirs.state_dict().items():
        assert_close(ours.state_dict()[k], v.numpy(), rtol=1e-10, atol=1e-12, name=k)


@pytest.mark.parametrize("make, shape", [(lambda lib: lib.BatchNorm1d(3), (4, 3)),
                                         (lambda lib: lib.BatchNorm2d(3, affine=False), (4, 3, 2, 2)),
                                         (lambda lib: lib.BatchNorm1d(3, momentum=None, track_running_stats=False),
                                          (4, 3, 2)),
                                         (lambda lib: lib.LayerNorm(2), (4, 3, 2)),
                                         (lambda lib: lib.GroupNorm(3, 3, bias=False), (4, 3, 2))])
def test_norm_modules_reset_as_pytorchs(make, shape):
    """reset_running_stats and reset_parameters were missing: after a training step, they bring the state
    back to torch's after the same calls, in place (num_batches_tracked was replaced by a NumPy scalar at
    each step, which could not be reset in place), and a graph that kept a reset weight refuses its
    backward, as torch's does."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    ours, theirs = make(nn).double(), make(torch.nn).double()
    losses = []
    for model, inputs in zip((ours, theirs), (mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True))):
        model(inputs).sum().backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad + 1.0
        model(inputs).sum().backward()
        if hasattr(model, "reset_running_stats"):
            model.reset_running_stats()
        losses.append((model(inputs) * 2.0).sum())
        model.reset_parameters()
    arrays = {name: t.data for name, t in (*ours.named_parameters(), *ours.named_buffers())}
    expected = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(expected)
    for k, v in expected.items():
        assert isinstance(arrays[k], np.ndarray) and arrays[k].dtype == v.dtype
        np.testing.assert_array_equal(arrays[k], v, err_msg=k)
    if ours.weight is not None or ours.bias is not None:
        with pytest.raises(RuntimeError, match="changed in place since the forward"):
            losses[0].backward()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            losses[1].backward()


def test_layer_norm_and_group_norm_modules_check_their_settings_when_made():
    """Settings are refused when the module is made, naming it; an input of other channels too, even without
    affine parameters (PyTorch takes any count the groups divide then)."""
    for make, error, message in [
            (lambda: nn.LayerNorm(()), ValueError, r"LayerNorm: normalized_shape must be an int or a non-empty tuple"),
            (lambda: nn.LayerNorm(3.0), ValueError, "LayerNorm: normalized_shape must be"),
            (lambda: nn.LayerNorm(3, eps=-1), ValueError, "LayerNorm: eps must be a number >= 0, got -1"),
            (lambda: nn.LayerNorm(3, elementwise_affine=1), TypeError, "LayerNorm: elementwise_affine must be True"),
            (lambda: nn.LayerNorm(3, bias=None), TypeError, "LayerNorm: bias must be True or False"),
            (lambda: nn.LayerNorm(3, dtype=np.int32), TypeError, "LayerNorm: parameters need a floating-point dtype"),
            (lambda: nn.GroupNorm(3, 4), ValueError, r"GroupNorm: num_channels \(4\) must be divisible by num_groups "
                                                     r"\(3\)"),
            (lambda: nn.GroupNorm(0, 4), ValueError, "GroupNorm: num_groups must be an int >= 1, got 0"),
            (lambda: nn.GroupNorm(2, -2), ValueError, "GroupNorm: num_channels must be an int >= 0, got -2"),
            (lambda: nn.GroupNorm(2, 4, affine="yes"), TypeError, "GroupNorm: affine must be True or False"),
            (lambda: nn.GroupNorm(2, 4, eps=float("nan")), ValueError, "GroupNorm: eps must be a number >= 0"),
            (lambda: nn.GroupNorm(2, 4, dtype=np.int64), TypeError, "GroupNorm: parameters need a floating-point")]:
        with pytest.raises(error, match=message):
            make()
    with pytest.raises(ValueError, match=r"GroupNorm: expected input \(N, 4, ...\), got shape \(2, 6, 3\)"):
        nn.GroupNorm(2, 4, affine=False)(np.ones((2, 6, 3), np.float32))
    with pytest.raises(ValueError, match=r"GroupNorm: expected input \(N, 4, ...\), got shape \(4,\)"):
        nn.GroupNorm(2, 4)(np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \(3,\) must be the input's last dims"):
        nn.LayerNorm(3)(np.ones((3, 4), np.float32))
    assert nn.LayerNorm(3).weight.dtype == np.float32 and nn.GroupNorm(1, 2, dtype=np.float64).bias.dtype == np.float64


@pytest.mark.parametrize("name, args, kwargs, inputs", [
    ("LeakyReLU", (0.2, True), {}, 1), ("LeakyReLU", (), {}, 1), ("SiLU", (), {"inplace": True}, 1), ("SiLU", (), {}, 1),
    ("Sigmoid", (), {}, 1), ("Tanh", (), {}, 1), ("Identity", (3,), {"unused": True}, 1), ("Softmax", (1,), {}, 1),
    ("LogSoftmax", (-1,), {}, 1), ("MSELoss", (), {}, 2), ("MSELoss", (), {"reduction": "none"}, 2),
    ("L1Loss", (), {"reduction": "sum"}, 2), ("ELU", (), {}, 1), ("ELU", (0.5, True), {}, 1),
    ("ELU", (0.0,), {}, 1), ("CELU", (2.0,), {}, 1),
    ("CELU", (), {"inplace": True}, 1), ("SELU", (), {}, 1), ("SELU", (True,), {}, 1), ("GELU", (), {}, 1),
    ("GELU", ("tanh",), {}, 1), ("Softplus", (), {}, 1), ("Softplus", (2, 0.5), {}, 1), ("Hardtanh", (), {}, 1),
    ("Hardtanh", (-0.5, 2, True), {}, 1), ("ReLU6", (True,), {}, 1), ("ReLU6", (), {}, 1),
    ("Hardsigmoid", (True,), {}, 1), ("Hardswish", (), {"inplace": True}, 1), ("Mish", (True,), {}, 1),
    ("Mish", (), {}, 1), ("LogSigmoid", (), {}, 1), ("Softsign", (), {}, 1), ("Tanhshrink", (), {}, 1)])
def test_activation_and_loss_modules_are_pytorchs(name, args, kwargs, inputs):
    """These modules were missing: made with the same arguments they print as torch's and give its values and
    gradients (a point at 0 among the inputs: LeakyReLU's slope there, L1Loss's 0, as torch's)."""
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2, 3, 4)) for _ in range(inputs)]
    xs[0][0, 0, 0] = 0.0
    if inputs == 2:
        xs[1][0, 0, 0] = 0.0
    a = [mg.tensor(x, requires_grad=True) for x in xs]
    t = [torch.tensor(x, requires_grad=True) for x in xs]
    y, expected = ours(*a), theirs(*[ti.clone() for ti in t])  # torch's inplace=True refuses a leaf
    g = rng.standard_normal(y.shape)
    y.backward(g)
    expected.backward(torch.tensor(g))
    assert_close(y.data, expected.detach().numpy(), rtol=1e-12, atol=1e-15, name="value")
    rtol = 1e-7 if name == "Hardsigmoid" else 1e-12  # PyTorch's gradient is 1/6 in float32 (test_ops.TORCH_LAST_BITS)
    for i in range(inputs):
        assert_close(a[i].grad, t[i].grad.numpy(), rtol=rtol, atol=1e-15, name=f"gradient {i}")


ACTIVATION_MODULES = {"leaky_relu": "LeakyReLU", "elu": "ELU", "celu": "CELU", "selu": "SELU", "gelu": "GELU",
                      "softplus": "Softplus", "hardtanh": "Hardtanh", "relu6": "ReLU6", "hardsigmoid": "Hardsigmoid",
                      "hardswish": "Hardswish", "logsigmoid": "LogSigmoid", "mish": "Mish", "softsign": "Softsign",
                      "tanhshrink": "Tanhshrink", "silu": "SiLU"}


@pytest.mark.parametrize("name", sorted(ACTIVATION_MODULES))
def test_activation_defaults_are_pytorchs(name):
    """Each function and module called without settings, as torch's: leaky_relu's slope 0.01 (values small enough
    for it to show), softplus's cut-off at 20 (a point between 20 and 21 tells it from 21), elu's and celu's alpha,
    hardtanh's bounds."""
    torch = pytest.importorskip("torch")
    x = np.array([-25.0, -4.0, -2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 4.0, 20.5, 25.0])
    expected = getattr(torch.nn.functional, name)(torch.from_numpy(x)).numpy()
    module = ACTIVATION_MODULES[name]
    for ours, where in ((getattr(mg, name)(x), name), (getattr(nn, module)()(x), module)):
        assert_close(ours.data, expected, rtol=1e-15, atol=1e-16, name=where)


def test_softmax_modules_without_dim_choose_and_warn_as_pytorchs():
    """dim None is PyTorch's old implicit choice, which it warns of: dim 0 of a 0-, 1- or 3-D input, else 1.
    The warning pointed into Module.__call__; it points at the caller's line."""
    torch = pytest.importorskip("torch")
    for shape in [(), (4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x = np.random.default_rng(0).standard_normal(shape)
        for name in ("Softmax", "LogSoftmax"):
            with pytest.warns(UserWarning, match=f"{name}: no dim given") as caught:
                y = getattr(nn, name)()(x)
            assert caught[0].filename == __file__
            with pytest.warns(UserWarning, match="Implicit dimension choice"):
                expected = getattr(torch.nn, name)()(torch.from_numpy(x))
            assert_close(y.data, expected.numpy(), rtol=1e-12, atol=1e-15, name=f"{name} {shape}")


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.MSELoss(reduction="avg"), ValueError, "MSELoss: reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    (lambda: nn.L1Loss(reduction=None), ValueError, "L1Loss: reduction must be"),
    (lambda: nn.LeakyReLU("0.1"), TypeError, "LeakyReLU: negative_slope must be a number, got '0.1'"),
    (lambda: nn.LeakyReLU(0.1, 1), TypeError, "LeakyReLU: inplace must be True or False, got 1"),
    (lambda: nn.SiLU(inplace="no"), TypeError, "SiLU: inplace must be True or False"),
    (lambda: nn.ELU("1"), TypeError, "ELU: alpha must be a number, got '1'"),
    (lambda: nn.ELU(1.0, 1), TypeError, "ELU: inplace must be True or False, got 1"),
    (lambda: nn.CELU(0.0), ValueError, "CELU: alpha must not be 0: celu divides x by it"),
    (lambda: nn.CELU(None), TypeError, "CELU: alpha must be a number, got None"),
    (lambda: nn.SELU(inplace=0), TypeError, "SELU: inplace must be True or False, got 0"),
    (lambda: nn.GELU("exact"), ValueError, "GELU: approximate must be 'none' or 'tanh', got 'exact'"),
    (lambda: nn.GELU(None), ValueError, "GELU: approximate must be 'none' or 'tanh', got None"),
    (lambda: nn.Softplus(0), ValueError, r"Softplus: beta must not be 0: ln\(1 \+ exp\(βx\)\) / β divides by it"),
    (lambda: nn.Softplus(1, "20"), TypeError, "Softplus: threshold must be a number, got '20'"),
    (lambda: mg.elu(np.arange(3)), TypeError, "elu: needs floating-point input, got dtype int64"),
    (lambda: mg.elu(np.ones(3), True), TypeError, "elu: alpha must be a number, got True"),
    (lambda: mg.celu(np.ones(3), 0), ValueError, "celu: alpha must not be 0"),
    (lambda: mg.selu(np.ones(3), "yes"), TypeError, "selu: inplace must be True or False, got 'yes'"),
    (lambda: mg.selu(np.arange(3)), TypeError, "selu: needs floating-point input, got dtype int64"),
    (lambda: mg.gelu(np.ones(3), "Tanh"), ValueError, "gelu: approximate must be 'none' or 'tanh', got 'Tanh'"),
    (lambda: mg.gelu(np.arange(3)), TypeError, "gelu: needs floating-point input"),
    (lambda: mg.softplus(np.ones(3), 0.0), ValueError, "softplus: beta must not be 0"),
    (lambda: mg.softplus(np.ones(3), 1, None), TypeError, "softplus: threshold must be a number, got None"),
    (lambda: mg.softplus(np.arange(3)), TypeError, "softplus: needs floating-point input"),
    (lambda: nn.Hardtanh(1.0, -1.0), ValueError,
     "Hardtanh: min_val must not be greater than max_val, got 1.0 and -1.0"),
    (lambda: nn.Hardtanh("0"), TypeError, "Hardtanh: min_val must be a number, got '0'"),
    (lambda: nn.Hardtanh(inplace=None), TypeError, "Hardtanh: inplace must be True or False, got None"),
    (lambda: nn.ReLU6(1), TypeError, "ReLU6: inplace must be True or False, got 1"),
    (lambda: nn.Hardsigmoid(1), TypeError, "Hardsigmoid: inplace must be True or False"),
    (lambda: nn.Hardswish(1), TypeError, "Hardswish: inplace must be True or False"),
    (lambda: nn.Mish("no"), TypeError, "Mish: inplace must be True or False"),
    (lambda: mg.hardtanh(np.ones(3), 2, 1), ValueError, "hardtanh: min_val must not be greater than max_val"),
    (lambda: mg.hardtanh(np.ones(3), 0, None), TypeError, "hardtanh: max_val must be a number, got None"),
    (lambda: mg.hardtanh(np.arange(3)), TypeError, "hardtanh: needs floating-point input, got dtype int64"),
    (lambda: mg.relu6(np.arange(3)), TypeError, "relu6: needs floating-point input"),
    (lambda: mg.relu6(np.ones(3), 0), TypeError, "relu6: inplace must be True or False, got 0"),
    (lambda: mg.hardsigmoid(np.arange(3)), TypeError, "hardsigmoid: needs floating-point input"),
    (lambda: mg.hardswish(np.arange(3)), TypeError, "hardswish: needs floating-point input"),
    (lambda: mg.logsigmoid(np.arange(3)), TypeError, "logsigmoid: needs floating-point input"),
    (lambda: mg.mish(np.arange(3)), TypeError, "mish: needs floating-point input"),
    (lambda: mg.softsign(np.arange(3)), TypeError, "softsign: needs floating-point input"),
    (lambda: mg.tanhshrink(np.arange(3)), TypeError, "tanhshrink: needs floating-point input"),
    (lambda: nn.Softmax(1.0), TypeError, r"Softmax: dim must be an int or None, got 1.0"),
    (lambda: nn.LogSoftmax("1"), TypeError, "LogSoftmax: dim must be an int or None"),
    (lambda: mg.leaky_relu(np.arange(3)), TypeError, "leaky_relu: needs floating-point input, got dtype int64"),
    (lambda: mg.leaky_relu(np.ones(3), None), TypeError, "leaky_relu: negative_slope must be a number, got None"),
    (lambda: mg.silu(np.ones(3), inplace=None), TypeError, "silu: inplace must be True or False"),
    (lambda: mg.mse_loss(np.ones(3), np.ones(2)), ValueError, r"mse_loss: shapes \(3,\) and \(2,\) do not broadcast"),
    (lambda: mg.l1_loss(np.arange(3), np.ones(3)), TypeError, "l1_loss: needs floating-point input"),
    (lambda: mg.l1_loss(np.ones(3), np.ones(3), "all"), ValueError, "l1_loss: reduction must be"),
    (lambda: mg.linear(np.ones((2, 3)), np.ones((4, 2))), ValueError, r"linear: weight must be \(out_features, "
                                                                       r"in_features\) .* got input \(2, 3\) and "
                                                                       r"weight \(4, 2\)"),
    (lambda: mg.linear(np.ones(()), np.ones(1)), ValueError, r"linear: .* got input \(\) and weight \(1,\)"),
    (lambda: mg.linear(np.ones(3), np.ones((1, 1, 3))), ValueError, r"linear: .* weight \(1, 1, 3\)"),
])
def test_activation_and_loss_modules_and_functions_refuse_bad_settings(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_target_of_another_shape_is_broadcast_with_a_warning_as_in_pytorch():
    """A (3, 1) target for a (3, 4) input: PyTorch broadcasts and warns; so do mse_loss and l1_loss."""
    x, t = np.arange(12.0).reshape(3, 4), np.array([[1.0], [5.0], [9.0]])
    for name, expected in (("mse_loss", np.mean((x - t) ** 2)), ("l1_loss", np.mean(np.abs(x - t)))):
        with pytest.warns(UserWarning, match=rf"{name}: a target of shape \(3, 1\) for an input of shape \(3, 4\) "
                                             "is broadcast") as caught:
            assert getattr(mg, name)(x, t).item() == expected
        assert caught[0].filename == __file__  # the warning points at the caller's line


def test_add_module_and_register_parameter_as_pytorchs():
    """Custom modules written for PyTorch register parts by name in loops; minigrad had neither method.
    The same calls give the same names, order, repr and kinds of error."""
    torch = pytest.importorskip("torch")
    for lib, Parameter in ((nn, nn.Parameter), (torch.nn, torch.nn.Parameter)):
        m = lib.Linear(2, 3)
        m.register_parameter("scale", Parameter(np.ones(3, np.float32) if lib is nn else torch.ones(3)))
        m.register_parameter("bias", None)  # keeps its place, holding None
        m.register_parameter("shift", None)
        for i in range(2):
            m.add_module(f"block{i}", lib.ReLU())
        m.add_module("spare", None)
        assert [n for n, _ in m.named_parameters()] == ["weight", "scale"]
        assert [n for n, _ in m.named_children()] == ["block0", "block1"]
        for call, error in [(lambda: m.add_module("a.b", lib.ReLU()), KeyError),
                            (lambda: m.add_module("", None), KeyError), (lambda: m.add_module(3, None), TypeError),
                            (lambda: m.add_module("weight", lib.ReLU()), KeyError),
                            (lambda: m.add_module("in_features", None), KeyError),
                            (lambda: m.add_module("x", 3), TypeError),
                            (lambda: m.register_parameter("in_features", None), KeyError),
                            (lambda: m.register_parameter("block0", None), KeyError),
                            (lambda: m.register_parameter("x", lib.ReLU()), TypeError)]:
            with pytest.raises(error):
                call()
        m.bias = Parameter(np.zeros(3, np.float32) if lib is nn else torch.zeros(3))
        if lib is nn:
            ours = m
    assert list(ours.state_dict()) == list(m.state_dict()) == ["weight", "bias", "scale"]
    assert repr(ours) == repr(m)


def test_a_parameter_made_without_a_gradient_is_frozen_as_in_pytorch():
    """Parameter(data, requires_grad=False), PyTorch's signature (its second argument was a dtype): the
    module lists and saves it, backward leaves its grad None and the optimizer leaves it alone."""
    torch = pytest.importorskip("torch")
    results = []
    for lib, as_array in ((nn, lambda v: np.array(v, np.float32)), (torch.nn, torch.tensor)):
        m = lib.Linear(2, 1)
        m.weight = lib.Parameter(as_array([[0.5, -1.0]]), False)
        m.bias = lib.Parameter(as_array([0.25]))
        optimizer = (optim if lib is nn else torch.optim).SGD(m.parameters(), lr=0.5)
        m(as_array([[1.0, 2.0]])).sum().backward()
        optimizer.step()
        results.append((m.weight.requires_grad, m.weight.grad is None, list(m.state_dict()),
                        np.asarray(m.weight.data).tolist(), np.asarray(m.bias.data).tolist()))
    assert results[0] == results[1] == (False, True, ["weight", "bias"], [[0.5, -1.0]], [-0.25])


@pytest.mark.parametrize("make", [lambda lib: lib.Linear(2, 3, bias=False),
                                  lambda lib: (layers if lib is nn else lib).Conv2d(2, 3, 1, bias=False)])
def test_a_layer_without_bias_keeps_a_place_for_one_as_pytorchs(make):
    """bias=False left bias a plain attribute: an array assigned to it silently became a constant added
    by forward, never trained. PyTorch registers the name holding None, and refuses that array."""
    torch = pytest.importorskip("torch")
    for lib, Parameter, value in ((nn, nn.Parameter, np.zeros(3, np.float32)),
                                  (torch.nn, torch.nn.Parameter, torch.zeros(3))):
        m = make(lib)
        with pytest.raises(TypeError, match="cannot assign"):
            m.bias = value
        m.bias = Parameter(value)
        assert list(m.state_dict()) == ["weight", "bias"]


def test_buffers_are_saved_cast_and_loaded_as_pytorchs(tmp_path):
    """register_buffer was missing (modules ported from PyTorch keep constants and running statistics
    in buffers): the same named_buffers and state_dict keys, in PyTorch's order (each module's
    parameters, then its persistent buffers, then its children), floating-point buffers cast by
    double() and integer ones kept, and load_state_dict and save/load filling them in place."""
    torch = pytest.importorskip("torch")
    nets = []
    for lib, tensor in ((nn, lambda a: mg.tensor(np.array(a))), (torch.nn, lambda a: torch.tensor(a))):
        net = lib.Sequential(lib.Linear(2, 2), lib.ReLU())
        net.register_buffer("scale", tensor([0.5, 2.0]))
        net.register_buffer("steps", tensor(3))
        net.register_buffer("cache", tensor([1.0]), persistent=False)
        net.register_buffer("spare", None)
        net[0].register_buffer("mask", tensor([[1.0, 0.0], [0.0, 1.0]]))
        net.shift = lib.Parameter(tensor([0.0, 0.0]).float())
        nets.append(net.double())
    ours, theirs = nets
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "shift", "scale", "steps", "0.weight", "0.bias", "0.mask"]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()] == [
        "scale", "steps", "cache", "0.mask"]
    assert [str(b.dtype) for b in ours.buffers()] == ["float64", "int64", "float64", "float64"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    state = {k: v.numpy() for k, v in theirs.state_dict().items()} | {"scale": np.array([4.0, 5.0]),
                                                                      "steps": np.array(7)}
    scale = ours.scale
    assert ours.load_state_dict(state) == ([], [])
    assert ours.scale is scale and ours.scale.tolist() == [4.0, 5.0] and ours.steps.tolist() == 7
    ours.save(tmp_path / "net.npz")
    ours.scale.data[:] = 0.0
    assert ours.load(tmp_path / "net.npz").scale.tolist() == [4.0, 5.0] and ours.steps.dtype == np.int64
    ours.steps = mg.tensor(np.array(8))  # a tensor assigned to a buffer's name replaces it
    assert ours.state_dict()["steps"] == 8
    with pytest.raises(ValueError, match=r"'steps': dtype float64 is not integer"):  # PyTorch loads 2.5 as 2
        ours.load_state_dict(dict(state, steps=np.array(2.5)))
    with pytest.raises(ValueError, match=r"'0.mask': shape \(2,\) != expected \(2, 2\)"):
        ours.load_state_dict(dict(state, **{"0.mask": np.ones(2)}))
    assert ours.state_dict()["steps"] == 8 and ours.float().steps.dtype == np.int64 and ours.scale.dtype == np.float32


@given(st.lists(st.tuples(st.sampled_from(["0", "1", "2", ""]), st.sampled_from(["pre", "forward"]),
                          st.sampled_from(["watch", "replace", "remove"])), max_size=6))
def test_forward_hooks_see_and_replace_inputs_and_outputs_as_pytorchs(hooks):
    """register_forward_pre_hook and register_forward_hook were missing (a cross-check layer by layer reads
    each module's output): drawn hooks on a network's modules watch their arguments and outputs, replace
    them (a pre-hook's one value, not a tuple, is the one argument), or remove themselves while running;
    the calls, in order, what they saw, and the network's output are torch's."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3))
    results = []
    for lib, tensor in ((torch.nn, torch.from_numpy), (nn, mg.tensor)):  # ours takes torch's weights
        net = lib.Sequential(lib.Linear(3, 4), lib.Tanh(), lib.Linear(4, 2)).double()
        if lib is nn:
            for ours, theirs in zip(net.parameters(), results[0][2]):
                ours.data[...] = theirs
        modules, seen, handles = dict(net.named_modules()), [], []
        for n, (name, when, kind) in enumerate(hooks):
            def hook(module, args, *output, n=n, when=when, kind=kind):
                value = output[0] if output else args[0]
                seen.append((n, np.array(value.tolist())))
                if kind == "remove":
                    handles[n].remove()
                return value * (n + 2) if kind == "replace" else None
            register = modules[name].register_forward_pre_hook if when == "pre" else modules[name].register_forward_hook
            handles.append(register(hook))
        first, second = net(tensor(x)), net(tensor(x))
        results.append(([n for n, _ in seen], [v for _, v in seen], [p.detach().numpy() if lib is torch.nn else p.data
                                                                   for p in net.parameters()],
                        [np.array(y.tolist()) for y in (first, second)]))
    theirs, ours = results
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1] + ours[3], theirs[1] + theirs[3]):
        assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_forward_hooks_are_removed_by_their_handles_as_pytorchs():
    """handle.remove() and leaving a with block take a hook away; a hook that is not callable is refused,
    naming the module's method."""
    m, calls = nn.ReLU(), []
    handle = m.register_forward_hook(lambda module, args, output: calls.append("forward"))
    with m.register_forward_pre_hook(lambda module, args: calls.append("pre")):
        m(mg.tensor([1.0]))
    m(mg.tensor([1.0]))
    handle.remove()
    handle.remove()
    m(mg.tensor([1.0]))
    assert calls == ["pre", "forward", "forward"]
    with pytest.raises(TypeError, match="ReLU.register_forward_hook: hook must be callable, got NoneType"):
        m.register_forward_hook(None)


@given(st.lists(st.one_of(st.none(), hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)), max_size=4),
       st.sampled_from([np.float64, np.float32]), st.sampled_from([2.0, 1.0, np.inf, 3.0, 0.5]),
       st.sampled_from([0.1, 1.0, 1e6]), st.integers(0, 2**31 - 1))
def test_clip_grad_norm_scales_the_gradients_as_pytorchs(shapes, dtype, norm_type, max_norm, seed):
    """clip_grad_norm_ was missing (training loops ported from PyTorch call it between backward and step): over
    drawn parameters, some without a gradient, the total norm returned and the gradients scaled in place are
    torch's, and the scaled gradients' total norm is at most max_norm (to its 1e-6 and rounding)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    grads = [None if shape is None else np.asarray(rng.standard_normal(shape) * 3, dtype) for shape in shapes]
    ours = [nn.Parameter(np.zeros(np.shape(g), dtype)) for g in grads]
    theirs = [torch.zeros(np.shape(g), dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        if g is not None:
            p.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    tolerance = dict(rtol=1e-12, atol=0) if dtype == np.float64 else dict(rtol=2e-6, atol=1e-7)
    assert total.dtype == (dtype if any(g is not None for g in grads) else np.float32) and total.shape == ()
    assert_close(total.data, expected.numpy(), **tolerance)
    for p, t in zip(ours, theirs):
        assert (p.grad is None) == (t.grad is None)
        if p.grad is not None:
            assert p.grad.dtype == dtype
            assert_close(p.grad, t.grad.numpy(), **tolerance)
    clipped = [p.grad for p in ours if p.grad is not None]
    if clipped:
        after = np.linalg.norm([np.linalg.norm(g.ravel(), norm_type) for g in clipped], norm_type)
        assert after <= max_norm * (1 + 1e-5)


def test_clip_grad_value_and_the_edges_of_clip_grad_norm_are_pytorchs():
    """clip_grad_value_ clamps in place (NaN kept); one tensor is taken as a list of it; no gradients give a
    total norm of 0; a non-finite total scales by NaN, or is refused with error_if_nonfinite; settings that
    are not numbers, and parameters that are not tensors, are refused by name."""
    torch = pytest.importorskip("torch")
    g = np.array([[-3.0, 0.5], [np.nan, 2.0]])
    for lib, make in ((nn, nn.Parameter), (torch.nn, lambda a: torch.nn.Parameter(torch.from_numpy(a)))):
        p = make(np.zeros((2, 2)))
        p.grad = g.copy() if lib is nn else torch.from_numpy(g.copy())
        assert lib.utils.clip_grad_value_(p, 1.0) is None
        np.testing.assert_array_equal(np.asarray(p.grad), [[-1.0, 0.5], [np.nan, 1.0]])
        with pytest.raises(RuntimeError, match="non-finite|is nan"):
            lib.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
        np.testing.assert_array_equal(np.asarray(p.grad), [[-1.0, 0.5], [np.nan, 1.0]])  # left as they were
        assert np.isnan(float(lib.utils.clip_grad_norm_(p, 1.0)))
        assert np.isnan(np.asarray(p.grad)).all()
        empty = lib.utils.clip_grad_norm_([make(np.zeros(2))], 1.0)
        assert float(empty) == 0.0 and str(empty.dtype).endswith("float32")
    p = nn.Parameter(np.zeros(1))
    p.grad = np.array([np.inf])
    with pytest.raises(RuntimeError, match=r"clip_grad_norm_: the total norm of order 2.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    for call, error, message in [
            (lambda: nn.utils.clip_grad_norm_([p], "1"), TypeError, "clip_grad_norm_: max_norm must be a number, got '1'"),
            (lambda: nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=1), TypeError,
             "clip_grad_norm_: error_if_nonfinite must be True or False, got 1"),
            (lambda: nn.utils.clip_grad_norm_([np.ones(2)], 1.0), TypeError,
             r"clip_grad_norm_: parameters must be tensors \(model.parameters\(\)\), got ndarray"),
            (lambda: nn.utils.clip_grad_value_([p], None), TypeError, "clip_grad_value_: clip_value must be a number")]:
        with pytest.raises(error, match=message):
            call()


def test_nn_buffer_is_pytorchs():
    """nn.Buffer was missing (PyTorch 2.5's way to declare a buffer by assignment): it shares the array it
    is given and keeps its requires_grad, as PyTorch's detach does; no data is an empty float32 tensor; the
    assignment registers it, saved as its persistent says, in PyTorch's order of names."""
    torch = pytest.importorskip("torch")
    data = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    buffer = nn.Buffer(data)
    assert buffer.data is data.data and buffer.requires_grad and buffer.is_leaf and buffer.persistent
    assert not nn.Buffer(np.ones(2)).requires_grad and not nn.Buffer(np.ones(2), persistent=False).persistent
    empty, theirs = nn.Buffer(), torch.nn.Buffer()
    assert empty.shape == tuple(theirs.shape) == (0,) and empty.dtype == np.float32 and theirs.dtype == torch.float32
    keys = []
    for lib, make in ((nn, np.ones), (torch.nn, torch.ones)):
        m = lib.Linear(2, 2)
        m.kept, m.cache, m.count = lib.Buffer(make(2)), lib.Buffer(make(2), persistent=False), lib.Buffer(make(1))
        m.cache = lib.Buffer(make(3))  # persistent now, in its place
        m.count = make(1) if lib is torch.nn else mg.tensor(make(1))  # a plain tensor keeps the buffer saved
        keys.append((list(m.state_dict()), [n for n, _ in m.named_buffers()], [n for n, _ in m.named_parameters()]))
    assert keys[0] == keys[1] == (["weight", "bias", "kept", "cache", "count"], ["kept", "cache", "count"],
                                  ["weight", "bias"])
    with pytest.raises(TypeError, match="Buffer: persistent must be True or False, got 1"):
        nn.Buffer(np.ones(2), persistent=1)


@pytest.mark.parametrize("call, error", [
    (lambda m, lib, t: m.register_buffer("a.b", t), KeyError),
    (lambda m, lib, t: m.register_buffer("", t), KeyError),
    (lambda m, lib, t: m.register_buffer(3, t), TypeError),
    (lambda m, lib, t: m.register_buffer("weight", t), KeyError),  # a parameter's name
    (lambda m, lib, t: m.register_buffer("in_features", t), KeyError),  # a plain attribute's
    (lambda m, lib, t: m.register_buffer("z", [1.0]), TypeError),
    (lambda m, lib, t: (m.register_buffer("z", t), setattr(m, "z", 3)), TypeError),
])
def test_register_buffer_refuses_what_pytorch_refuses(call, error):
    torch = pytest.importorskip("torch")
    for lib, t in ((nn, mg.tensor(np.ones(2))), (torch.nn, torch.ones(2))):
        m = lib.Linear(2, 2)
        with pytest.raises(error):
            call(m, lib, t)
        assert [n for n, _ in m.named_buffers()] in ([], ["z"]) and list(m.state_dict())[:2] == ["weight", "bias"]
    with pytest.raises(TypeError, match="Linear.register_buffer: persistent must be True or False, got 0"):
        nn.Linear(2, 2).register_buffer("z", mg.tensor(1.0), 0)
    m = nn.Linear(2, 2)
    m.register_buffer("z", mg.tensor(1.0))
    with pytest.raises(TypeError, match=r"^Linear: cannot assign int as buffer 'z' \(Tensor or None expected\)$"):
        m.z = 3
    with pytest.raises(TypeError, match=r"^Linear: cannot assign int as parameter 'bias' \(Parameter or None "
                                        r"expected; to change a parameter's values, set its .data\)$"):
        m.bias = 3


def test_a_shared_buffer_is_listed_once_and_saved_under_each_name_as_pytorchs():
    torch = pytest.importorskip("torch")
    for lib, t in ((nn, mg.tensor(np.ones(2))), (torch.nn, torch.ones(2))):
        m = lib.Module()
        m.register_buffer("u", t)
        m.register_buffer("v", t)
        assert [n for n, _ in m.named_buffers()] == ["u"] and len(list(m.buffers())) == 1
        assert [n for n, _ in m.named_buffers(remove_duplicate=False)] == ["u", "v"]
        assert list(m.state_dict()) == ["u", "v"]


ATTRIBUTE_OPS = st.lists(st.tuples(st.sampled_from(["set", "del", "add_module", "register_parameter",
                                                    "register_buffer", "register_non_persistent"]),
                                    st.sampled_from(["a", "b", "weight", "bias"]),
                                    st.sampled_from(["Parameter", "Module", "None", "tensor", "int", "Buffer",
                                                     "non-persistent Buffer"])),
                         min_size=1, max_size=6)


@given(ATTRIBUTE_OPS)
def test_attribute_registration_follows_pytorch_step_by_step(ops):
    """Random sequences of assignments, deletions, add_module, register_parameter and register_buffer
    on a Linear, run on minigrad and on torch: after every step the same error type (or none), the
    same named_parameters, named_buffers, state_dict keys and children, and the same kind of
    attribute. A module over a parameter was taken (PyTorch refuses it), and register_parameter
    checked the value before the name. An nn.Buffer registers itself, saved or not as it says."""
    torch = pytest.importorskip("torch")

    def make(lib, kind):
        ours = lib is nn
        return {"Parameter": lambda: lib.Parameter(np.ones(2, np.float32) if ours else torch.ones(2)),
                "Module": lambda: lib.ReLU(), "None": lambda: None, "int": lambda: 3,
                "tensor": lambda: mg.tensor(np.ones(2, np.float32)) if ours else torch.ones(2),
                "Buffer": lambda: lib.Buffer(np.ones(2, np.float32) if ours else torch.ones(2)),
                "non-persistent Buffer": lambda: lib.Buffer(np.ones(2, np.float32) if ours else torch.ones(2),
                                                            persistent=False)}[kind]()

    logs = []
    for lib in (nn, torch.nn):
        m, log = lib.Linear(2, 2), []
        for op, name, kind in ops:
            value = make(lib, kind)
            try:
                {"set": lambda: setattr(m, name, value), "del": lambda: delattr(m, name),
                 "add_module": lambda: m.add_module(name, value),
                 "register_parameter": lambda: m.register_parameter(name, value),
                 "register_buffer": lambda: m.register_buffer(name, value),
                 "register_non_persistent": lambda: m.register_buffer(name, value, persistent=False)}[op]()
                log.append("ok")
            except (AttributeError, KeyError, TypeError) as e:
                log.append(type(e).__name__)
            now = getattr(m, name, "missing")
            now = "Parameter" if isinstance(now, (nn.Parameter, torch.nn.Parameter)) else "tensor" if isinstance(
                now, (mg.Tensor, np.ndarray, torch.Tensor)) else type(now).__name__
            log.append(([n for n, _ in m.named_parameters()], [n for n, _ in m.named_buffers()],
                        list(m.state_dict()), [n for n, _ in m.named_children()], now))
        logs.append(log)
    assert logs[0] == logs[1]


CONTAINER_OPS = st.lists(st.tuples(st.sampled_from(["append", "extend", "index", "slice", "iterate", "setitem",
                                                    "delitem", "delslice", "insert", "pop"]),
                                    st.sampled_from(["ReLU", "Linear", "None", "int"]), st.integers(-4, 4)),
                         min_size=1, max_size=6)


@given(st.sampled_from(["Sequential", "ModuleList"]), st.lists(st.sampled_from(["ReLU", "Linear"]), max_size=3),
       CONTAINER_OPS)
@example("Sequential", ["Linear", "ReLU"], [("insert", "Linear", -1)])  # before the last, as list.insert
@example("ModuleList", ["Linear", "ReLU", "Linear"], [("delitem", "int", 1), ("setitem", "ReLU", -1)])
@example("ModuleList", ["ReLU"], [("insert", "Linear", 0), ("insert", "None", 2)])  # the ci profile drew none
def test_containers_follow_pytorch_step_by_step(container, initial, ops):
    """Random appends, extends, indexing, slicing, iteration, m[i] = module, del m[i], del m[a:],
    insert and pop of a Sequential or ModuleList, on minigrad and on torch: the same results, errors,
    parameter names and lengths after every step. None was refused (PyTorch keeps a place for it), a
    Sequential slice dropped it, and the last five were AttributeErrors or TypeErrors. Where PyTorch
    breaks (its ModuleList.insert at a negative index is a KeyError, past the end it leaves a gap in
    the numbering, and it takes a non-Module) that step is not compared: minigrad inserts as
    list.insert does, or raises the IndexError or TypeError."""
    torch = pytest.importorskip("torch")

    def make(lib, kind):
        return {"ReLU": lambda: lib.ReLU(), "Linear": lambda: lib.Linear(2, 2), "None": lambda: None,
                "int": lambda: 3}[kind]()

    logs = []
    for lib in (nn, torch.nn):
        modules = [make(lib, kind) for kind in initial]
        m = getattr(lib, container)(*modules) if container == "Sequential" else lib.ModuleList(modules)
        log = []
        for op, kind, i in ops:
            try:
                if op == "append":
                    log.append(m.append(make(lib, kind)) is m)
                elif op == "extend":
                    log.append(m.extend([make(lib, kind), lib.ReLU()]) is m)
                elif op == "index":
                    log.append(type(m[i]).__name__)
                elif op == "slice":
                    log.append((type(m[i:]).__name__, [n for n, _ in m[i:].named_parameters()], len(m[i:])))
                elif op == "setitem":
                    m[i] = make(lib, kind)
                elif op == "delitem":
                    del m[i]
                elif op == "delslice":
                    del m[i:]
                elif op == "pop":
                    log.append(type(m.pop(i)).__name__)
                elif op == "insert" and container == "ModuleList" and (kind == "int" or not 0 <= i <= len(m)):
                    log.append("not compared")
                elif op == "insert":
                    log.append(m.insert(i, make(lib, kind)) is m)
                else:
                    log.append([type(module).__name__ for module in m])
            except (IndexError, TypeError, AssertionError) as e:  # PyTorch's Sequential.insert asserts the type
                log.append("TypeError" if isinstance(e, AssertionError) else type(e).__name__)
            log.append(([n for n, _ in m.named_parameters()], len(m), [type(c).__name__ for c in m.children()]))
        logs.append(log)
    assert logs[0] == logs[1]


def test_parameters_is_an_iterator_as_pytorchs():
    """next(model.parameters()), PyTorch code's way to read a model's dtype, was a TypeError: parameters()
    returned a list."""
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(2, 3).double(), torch.nn.Linear(2, 3).double()
    assert next(ours.parameters()).dtype == np.float64 and next(theirs.parameters()).dtype == torch.float64
    assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert not isinstance(ours.parameters(), list)  # used once, as a generator is


OPTIMIZER_OPS = st.lists(st.tuples(st.sampled_from(["step", "step_skipping", "zero_grad", "zero_grad_to_zeros",
                                                    "set_lr", "add_param_group", "freeze", "state_dict_round_trip"]),
                                    st.integers(0, 3), st.floats(0.01, 0.2)), min_size=1, max_size=8)


@given(st.sampled_from(["SGD", "SGD momentum", "Adam", "AdamW"]), OPTIMIZER_OPS, st.integers(0, 2**31 - 1))
@example("SGD", [("step", 0, 0.1), ("zero_grad_to_zeros", 0, 0.1), ("step_skipping", 0, 0.1)], 0)  # zeros still step
def test_optimizers_follow_pytorch_through_random_sequences(name, ops, seed):
    """Steps (one parameter given no new gradient in some) interleaved with zero_grad (both kinds), lr
    changes by hand, a group added mid-run, a parameter frozen and a state_dict round trip, on minigrad
    and on torch: the same parameters after every step."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(3) for _ in range(4)]
    grads = [[rng.standard_normal(3) for _ in range(4)] for _ in ops]
    settings = dict(lr=0.1, weight_decay=0.01, **(dict(momentum=0.9) if name == "SGD momentum" else {}))
    logs = []
    for lib, library in ((nn, optim), (torch.nn, torch.optim)):
        as_array = np.array if lib is nn else torch.tensor
        params = [lib.Parameter(as_array(a.copy())) for a in initial]
        opt = getattr(library, name.split()[0])(params[:2], **settings)
        log = []
        for (op, i, value), step_grads in zip(ops, grads):
            if op in ("step", "step_skipping"):
                for p, g in zip(params, step_grads):
                    if p.requires_grad and not (op == "step_skipping" and p is params[i]):
                        p.grad = as_array(g.copy()) if p.grad is None else p.grad + as_array(g)
                opt.step()
            elif op in ("zero_grad", "zero_grad_to_zeros"):
                opt.zero_grad(set_to_none=op == "zero_grad")
            elif op == "set_lr":
                for group in opt.param_groups:
                    group["lr"] = value
            elif op == "add_param_group" and len(opt.param_groups) == 1:
                opt.add_param_group({"params": params[2:], "lr": value})
            elif op == "freeze":
                params[i].requires_grad_(False)
                params[i].grad = None
            elif op == "state_dict_round_trip":
                opt.load_state_dict(opt.state_dict())
            log.append([np.asarray(p.data if lib is nn else p.detach()).tolist() for p in params])
        logs.append(log)
    for ours, theirs in zip(*logs):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_load_state_dict_not_strict_loads_the_keys_it_has_as_pytorch_does():
    """strict=False (PyTorch's) was a TypeError: a state_dict with extra keys, or without some,
    could not be loaded. The keys present load, the rest stay; a wrong shape still refuses all."""
    m, other = make_mlp(0), make_mlp(1)
    partial = {k: v for k, v in m.state_dict().items() if k.startswith("1.")} | {"head.weight": np.ones(2)}
    assert other.load_state_dict(partial, strict=False) == (["3.weight", "3.bias"], ["head.weight"])
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, (m if k.startswith("1.") else make_mlp(1)).state_dict()[k])
    with pytest.raises(ValueError, match="missing key '3.weight'"):
        other.load_state_dict(partial)
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"'1.bias': shape \(5,\)"):
        other.load_state_dict({"1.weight": m.state_dict()["1.weight"], "1.bias": np.ones(5)}, strict=False)
    assert all(np.array_equal(v, before[k]) for k, v in other.state_dict().items())
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    t_partial = {k: torch.tensor(v) for k, v in partial.items()}
    assert tuple(theirs.load_state_dict(t_partial, strict=False)) == make_mlp(1).load_state_dict(partial, strict=False)


@pytest.mark.parametrize("first", ["conv", "scs", "twist"])
def test_requires_grad_false_freezes_a_layer(first):
    """PyTorch's module.requires_grad_(False): backward leaves the frozen parameters' grads None (the
    layers' backwards skip their weight gradients), the optimizer leaves them as they were, and the
    layers after it get the gradients they get when nothing is frozen."""
    x = np.random.default_rng(0).uniform(-1, 1, (2, 2, 5, 5))
    grads = []
    for freeze in (False, True):
        rng = np.random.default_rng(1)
        head = {"conv": lambda: layers.Conv2d(2, 3, 3, padding=1, rng=rng, dtype=np.float64),
                "scs": lambda: layers.SharpCosSim2d(2, 3, rng=rng, dtype=np.float64),
                "twist": lambda: layers.ConvTwist2d(2, 3, rng=rng, dtype=np.float64)}[first]()
        model = nn.Sequential(head, nn.Flatten(), nn.Linear(75, 4, rng=rng, dtype=np.float64))
        assert head.requires_grad_(not freeze) is head
        before = {k: v.copy() for k, v in head.state_dict().items()}
        opt = optim.Adam(model.parameters(), lr=0.1)
        t = mg.tensor(x, requires_grad=True)
        model(t).sum().backward()
        opt.step()
        assert all((p.grad is None) == freeze for p in head.parameters())
        if freeze:
            assert all(np.array_equal(v, before[k]) for k, v in head.state_dict().items())
        grads.append([model[2].weight.grad, model[2].bias.grad, t.grad])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_module_to_casts_parameters_in_place():
    """model.double() for float64 checks: the same Parameter objects (an optimizer built before
    keeps working), data and gradients cast, the layers then computing in float64."""
    m = make_mlp()
    before = m.parameters()
    m(mg.tensor(np.ones((2, 6), np.float32))).sum().backward()
    assert m.double() is m and [id(p) for p in m.parameters()] == [id(p) for p in before]
    assert {p.dtype for p in m.parameters()} == {p.grad.dtype for p in m.parameters()} == {np.dtype(np.float64)}
    x = np.random.default_rng(1).standard_normal((2, 6))
    mg.gradcheck(lambda t: m(t), [x])
    assert next(m.float().parameters()).dtype == np.float32 and next(m.to("float64").parameters()).dtype == np.float64
    with pytest.raises(TypeError, match="Sequential.to: parameters need a floating-point dtype, got int32"):
        m.to(np.int32)
    with pytest.raises(TypeError, match="Sequential.to: expected a dtype .*, got 'cpu'"):
        m.to("cpu")
    assert next(m.parameters()).dtype == np.float64


@given(arrays((2, 6)))
def test_linear_gradients(x):
    layer = nn.Linear(6, 3, rng=np.random.default_rng(0), dtype=np.float64)
    def f(xt, w, b):
        layer.weight, layer.bias = nn.Parameter(w.data), nn.Parameter(b.data)
        return xt @ w.T + b
    mg.gradcheck(f, [x, layer.weight.data, layer.bias.data])
    out = layer(mg.tensor(x))
    assert_close(out.data, x @ layer.weight.data.T + layer.bias.data)


def test_state_dict_round_trip_and_strict_checks_leave_module_unchanged(tmp_path):
    m, other = make_mlp(0), make_mlp(1)
    before = other.state_dict()
    bad = m.state_dict()
    bad["1.weight"] = np.ones((5, 5), np.float32)
    bad["extra"] = np.ones(1)
    del bad["3.bias"]
    with pytest.raises(ValueError) as err:
        other.load_state_dict(bad)
    for text in ("missing key '3.bias'", "unexpected key 'extra'", "'1.weight': shape (5, 5)"):
        assert text in str(err.value)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    other.load_state_dict(m.state_dict())
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, m.state_dict()[k])

    path = tmp_path / "m.npz"
    assert other.load_state_dict(m.state_dict()) == ([], [])
    m.save(path)
    np.testing.assert_array_equal(make_mlp(2).load(path).state_dict()["3.weight"], m.state_dict()["3.weight"])


def test_load_state_dict_copies_so_training_leaves_the_callers_arrays_alone():
    """As PyTorch's: the optimizer steps parameters in place, which must not reach the loaded dict."""
    m, state = make_mlp(0), make_mlp(1).state_dict()
    saved = {k: v.copy() for k, v in state.items()}
    m.load_state_dict(state)
    for p in m.parameters():
        p.data -= 1.0
    for k, v in state.items():
        np.testing.assert_array_equal(v, saved[k], err_msg=k)


def test_load_npz_refuses_pickled_objects(tmp_path):
    """A checkpoint or export is plain arrays; an object array would run pickle on load."""
    np.savez(tmp_path / "objects.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle=False"):
        mg.io.load_npz(tmp_path / "objects.npz")


def test_failed_save_leaves_no_file(tmp_path, monkeypatch):
    m = make_mlp()
    path = tmp_path / "m.npz"
    path.write_bytes(b"old")

    def broken(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError):
        m.save(path)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["m.npz"]


def test_saved_files_get_the_mode_open_would_give(tmp_path):
    """mkstemp makes its temporary 0o600, and the rename kept that mode for every file written."""
    path = tmp_path / "m.npz"
    old = os.umask(0o022)
    try:
        for umask, mode in [(0o077, 0o600), (0o002, 0o664), (0o022, 0o644)]:  # the user's umask, whatever it is
            os.umask(umask)
            path.unlink(missing_ok=True)
            make_mlp().save(path)
            assert stat.S_IMODE(path.stat().st_mode) == mode, oct(umask)
        path.chmod(0o640)
        make_mlp().save(path)  # an existing file keeps its mode, as with open(path, "w")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_saved_data_reaches_the_disk_before_the_rename(tmp_path, monkeypatch):
    """Without an fsync a crash soon after the rename can leave an empty file under the new name."""
    events, fsync, replace = [], os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: events.append(("fsync", os.fstat(fd).st_size)) or fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: events.append(("replace", b)) or replace(a, b))
    path = tmp_path / "m.npz"
    make_mlp().save(path)
    assert [e[0] for e in events] == ["fsync", "replace"] and events[0][1] == path.stat().st_size > 0


def test_save_through_a_symlink_writes_its_target(tmp_path):
    """The rename replaced the link itself with a plain file and left its target unchanged."""
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "m.npz"
    make_mlp(seed=1).save(target)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    model = make_mlp(seed=2)
    model.save(link)
    assert link.is_symlink() and sorted(os.listdir(tmp_path / "runs")) == ["m.npz"]
    loaded = make_mlp(seed=1)
    loaded.load(target)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name], value)


def test_load_of_a_file_that_is_not_an_npz_names_it(tmp_path):
    """np.load returns a bare array for a .npy (a TypeError followed) and calls text a pickle."""
    np.save(tmp_path / "w.npy", np.zeros(3))
    (tmp_path / "w.txt").write_text("0 0 0\n")
    for name in ("w.npy", "w.txt"):
        with pytest.raises(ValueError, match=f"{name}: not an .npz file"):
            make_mlp().load(tmp_path / name)


def test_load_takes_no_file_descriptor_and_closes_none():
    """model.load(1) opened and closed file descriptor 1, the process's stdout (open() takes an int as a
    descriptor; True is 1); crosscheck.load and the example's checkpoints read through the same function."""
    read, write = os.pipe()
    os.write(write, b"not a zip")
    os.close(write)
    try:
        for load in (make_mlp().load, mg.io.load_npz, mg.crosscheck.load):
            with pytest.raises(TypeError, match=rf"not a path: {read} \(the path of an \.npz file: a str or "
                                                r"os\.PathLike\)"):
                load(read)
            os.fstat(read)  # still open
    finally:
        os.close(read)


def test_save_to_an_empty_path_says_so(tmp_path, monkeypatch):
    """save("") was "[Errno 21] cannot write : Is a directory": the empty path resolved to the working directory."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"^cannot write '': the path is empty$"):
        make_mlp().save("")
    assert os.listdir(tmp_path) == []


def test_save_onto_a_directory_names_the_path_and_leaves_nothing(tmp_path):
    """The error named atomic_write's temporary file, not the path the caller gave."""
    target = tmp_path / "d"
    target.mkdir()
    with pytest.raises(OSError, match=f"cannot write {target}: Is a directory"):
        make_mlp().save(target)
    assert os.listdir(tmp_path) == ["d"] and os.listdir(target) == []


def test_save_into_a_missing_directory_names_it(tmp_path):
    target = tmp_path / "runs" / "m.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(f"cannot write {target}: directory {tmp_path / 'runs'} does "
                                                          "not exist")):
        make_mlp().save(target)
    assert os.listdir(tmp_path) == []


OURS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW, "adadelta": optim.Adadelta}


def test_classes_take_pytorchs_argument_names_with_its_defaults():
    """A user's torch code constructs ours unchanged: every argument we take (but the init's rng) is
    torch's, required where torch's is, with its default otherwise (SGD required lr; dtype was
    float32 where torch's None means float32)."""
    torch = pytest.importorskip("torch")
    pairs = {optim.SGD: torch.optim.SGD, optim.Adam: torch.optim.Adam, optim.AdamW: torch.optim.AdamW,
             optim.Adadelta: torch.optim.Adadelta, optim.StepLR: torch.optim.lr_scheduler.StepLR,
             optim.OneCycleLR: torch.optim.lr_scheduler.OneCycleLR,
             optim.CosineAnnealingLR: torch.optim.lr_scheduler.CosineAnnealingLR,
             optim.MultiStepLR: torch.optim.lr_scheduler.MultiStepLR,
             optim.ExponentialLR: torch.optim.lr_scheduler.ExponentialLR,
             nn.Linear: torch.nn.Linear, nn.Unfold: torch.nn.Unfold, nn.Fold: torch.nn.Fold,
             layers.Conv2d: torch.nn.Conv2d, layers.MaxPool2d: torch.nn.MaxPool2d, layers.AvgPool2d: torch.nn.AvgPool2d,
             layers.MaxUnpool2d: torch.nn.MaxUnpool2d, layers.AdaptiveAvgPool2d: torch.nn.AdaptiveAvgPool2d,
             nn.CrossEntropyLoss: torch.nn.CrossEntropyLoss, nn.NLLLoss: torch.nn.NLLLoss, nn.Dropout: torch.nn.Dropout,
             nn.Dropout2d: torch.nn.Dropout2d, nn.Buffer: torch.nn.Buffer}
    empty = inspect.Parameter.empty
    for ours, theirs in pairs.items():
        torch_args = inspect.signature(theirs).parameters
        for name, arg in inspect.signature(ours).parameters.items():
            if name == "rng":
                continue
            assert name in torch_args, f"{ours.__name__}: torch's has no argument {name!r}"
            default = torch_args[name].default
            assert (arg.default is empty) == (default is empty) and (default is empty or arg.default == default), \
                f"{ours.__name__}({name}=...): default {arg.default!r}, torch's {default!r}"


def test_methods_take_pytorchs_argument_names_in_its_order():
    """model.load_state_dict(state_dict=sd), opt.add_param_group(param_group=g) and the rest of PyTorch's
    keywords work (ours were state and group), and arguments given by position land where PyTorch's do
    (named_modules(memo, prefix) read the memo as the prefix). forward is each module's own."""
    torch = pytest.importorskip("torch")
    schedules = torch.optim.lr_scheduler
    pairs = {nn.Module: torch.nn.Module, nn.Sequential: torch.nn.Sequential, nn.ModuleList: torch.nn.ModuleList,
             optim.Optimizer: torch.optim.Optimizer, optim.SGD: torch.optim.SGD, optim.Adam: torch.optim.Adam,
             optim.LRScheduler: schedules.LRScheduler, optim.StepLR: schedules.StepLR,
             optim.CosineAnnealingLR: schedules.CosineAnnealingLR, optim.OneCycleLR: schedules.OneCycleLR,
             optim.MultiStepLR: schedules.MultiStepLR, optim.ExponentialLR: schedules.ExponentialLR}
    for ours, theirs in pairs.items():
        for name in dir(ours):  # inherited methods too: Sequential's and ModuleList's extend are one method
            method = getattr(ours, name)
            if name.startswith("_") or name == "forward" or not callable(getattr(theirs, name, None)):
                continue
            try:
                torch_args = list(inspect.signature(getattr(theirs, name)).parameters)
            except ValueError:  # a builtin
                continue
            args = inspect.signature(method).parameters.values()
            named = [a.name for a in args if a.kind in (a.POSITIONAL_OR_KEYWORD, a.KEYWORD_ONLY)]
            positional = [a.name for a in args if a.kind == a.POSITIONAL_OR_KEYWORD]
            assert positional == torch_args[:len(positional)] or torch_args[1:] == ["args", "kwargs"], \
                f"{ours.__name__}.{name}: positional {positional}, torch's {torch_args}"
            assert set(named) <= set(torch_args) or torch_args[1:] == ["args", "kwargs"], \
                f"{ours.__name__}.{name}: {named}, torch's {torch_args}"


REQUIRED = inspect.Parameter.empty
# torch's builtins have no inspectable signature: these are their documented ones (torch.nn.functional)
TORCH_BUILTIN_DEFAULTS = {
    "conv2d": dict(weight=REQUIRED, bias=None, stride=1, padding=0, dilation=1, groups=1),
    "avg_pool2d": dict(kernel_size=REQUIRED, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None),
    "max_pool2d": dict(kernel_size=REQUIRED, stride=None, padding=0, dilation=1, ceil_mode=False,
                       return_indices=False),
}


def test_functions_take_pytorchs_argument_names_with_its_defaults():
    """As the classes do, past the input (x here, input in torch; the losses' logits or log_probs and labels are
    its input and target). The arguments that may be given by position are torch's first ones, in its
    order: pad(x, p, 0) took 0 as the value, torch's mode, and cross_entropy(x, y, w) w as the reduction."""
    torch = pytest.importorskip("torch")
    functions = [mg.unfold, mg.fold, mg.pad, mg.cross_entropy, mg.nll_loss, mg.dropout, mg.dropout2d,
                 layers.functional.max_unpool2d, layers.functional.adaptive_avg_pool2d, layers.functional.conv2d,
                 layers.functional.avg_pool2d, layers.functional.max_pool2d, nn.init.trunc_normal_,
                 nn.init.orthogonal_, nn.init.eye_, nn.init.dirac_, nn.init.kaiming_uniform_, nn.init.xavier_normal_,
                 nn.utils.clip_grad_norm_, nn.utils.clip_grad_value_]
    homes = {nn.init.__name__: torch.nn.init, nn.utils.__name__: torch.nn.utils}
    for ours in functions:
        name = ours.__name__
        home = homes.get(ours.__module__, torch.nn.functional)
        inputs = 2 if name in ("cross_entropy", "nll_loss") else 1
        if name in TORCH_BUILTIN_DEFAULTS:
            theirs = TORCH_BUILTIN_DEFAULTS[name]
        else:
            theirs = {k: a.default for k, a in
                      list(inspect.signature(getattr(home, name)).parameters.items())[inputs:]}
        args = list(inspect.signature(ours).parameters.items())[inputs:]
        positional = [arg for arg, spec in args if spec.kind == spec.POSITIONAL_OR_KEYWORD]
        assert positional == list(theirs)[:len(positional)], f"{name}: positional {positional}, torch's {list(theirs)}"
        for arg, spec in args:
            assert arg in theirs, f"{name}: torch's has no argument {arg!r}"
            assert spec.default == theirs[arg], f"{name}({arg}=...): default {spec.default!r}, torch's {theirs[arg]!r}"


MODULES_WITH_DTYPE = {"Linear": lambda dtype: nn.Linear(2, 3, dtype=dtype),
                      "Conv2d": lambda dtype: layers.Conv2d(1, 2, 3, dtype=dtype),
                      "SharpCosSim2d": lambda dtype: layers.SharpCosSim2d(1, 2, dtype=dtype),
                      "ConvTwist2d": lambda dtype: layers.ConvTwist2d(1, 2, dtype=dtype)}


@pytest.mark.parametrize("name", MODULES_WITH_DTYPE)
def test_dtype_none_is_float32_and_an_integer_dtype_is_refused_naming_the_module(name):
    """dtype=None (PyTorch's default, which means float32) made float64 parameters; an integer dtype
    was refused by Tensor, naming no module."""
    make = MODULES_WITH_DTYPE[name]
    assert {p.dtype for p in make(None).parameters()} == {np.dtype(np.float32)}
    assert {p.dtype for p in make("float64").parameters()} == {np.dtype(np.float64)}
    with pytest.raises(TypeError, match=f"{name}: parameters need a floating-point dtype, got int32"):
        make(np.int32)
    m = make(np.float64)
    assert m.to(None) is m and {p.dtype for p in m.parameters()} == {np.dtype(np.float64)}  # float64 before
    t = mg.tensor(np.ones(2, np.float32), requires_grad=True)
    assert t.to(None) is t
    torch = pytest.importorskip("torch")
    assert torch.nn.Linear(2, 3, dtype=None).to(None).weight.dtype == torch.float32


def _torch_optimizer(torch, name, params, kw):
    classes = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
               "adadelta": torch.optim.Adadelta}
    return classes[name](params, **kw)


OPTIMIZERS = [
    ("sgd", dict(lr=0.1)),
    ("sgd", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("sgd", dict(lr=0.05, momentum=0.5, dampening=0.3)),
    ("adam", dict(lr=0.01)),
    ("adam", dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.9))),
    ("adamw", dict(lr=0.01, weight_decay=0.1)),
    ("adadelta", dict(lr=1.0)),  # PyTorch's MNIST example's optimizer, its default lr
    ("adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
]


def _train(model, opt, x, labels, steps):
    """steps of cross-entropy on (x, labels), x in the model's dtype."""
    for _ in range(steps):
        opt.zero_grad()
        mg.cross_entropy(model(mg.tensor(x.astype(next(model.parameters()).dtype))), labels).backward()
        opt.step()


def _torch_mlp(torch, model):
    """make_mlp's network in torch, float64, with model's weights."""
    tm = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3)).double()
    tm.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return tm


def _torch_train(torch, model, opt, x, labels, steps):
    """_train's loop in torch."""
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.tensor(x)), torch.tensor(labels)).backward()
        opt.step()


def _run_steps(name, kw, x, labels, steps=5):
    m = make_mlp(dtype=np.float64)
    opt = OURS[name](m.parameters(), **kw)
    _train(m, opt, x, labels, steps)
    return m, opt


@pytest.mark.parametrize("name,kw", OPTIMIZERS)
def test_optimizers_match_torch(name, kw):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((8, 2, 3))
    labels = np.arange(8) % 3
    m, _ = _run_steps(name, kw, x, labels)
    tm = _torch_mlp(torch, make_mlp(dtype=np.float64))
    _torch_train(torch, tm, _torch_optimizer(torch, name, tm.parameters(), kw), x, labels, 5)
    for k, v in tm.state_dict().items():
        assert_close(m.state_dict()[k], v.numpy(), rtol=1e-10, atol=1e-12, name=f"{name} {k}")


def _groups(model, name, torch_model=None):
    """Two parameter groups, the first overriding lr and weight decay (and beta1 or momentum)."""
    params = list((torch_model or model).parameters())
    own = {"sgd": dict(momentum=0.3), "adadelta": dict(rho=0.7)}.get(name, dict(betas=(0.5, 0.9)))
    override = dict(lr=0.02, weight_decay=0.05, **own)
    return [dict(params=params[:2], **override), dict(params=params[2:])]


@pytest.mark.parametrize("name,kw", OPTIMIZERS)
def test_parameter_groups_and_a_changed_lr_match_torch(name, kw):
    """PyTorch's parameter groups, each group's settings over the defaults, and its idiom for setting
    the lr by hand (for group in opt.param_groups: group["lr"] = ...): a list of dicts was a TypeError
    and there were no param_groups."""
    torch = pytest.importorskip("torch")
    if kw.get("nesterov"):
        kw = dict(kw, dampening=0.0)
    x, labels = np.random.default_rng(1).standard_normal((8, 2, 3)), np.arange(8) % 3
    m = make_mlp(dtype=np.float64)
    tm = _torch_mlp(torch, m)
    opt, t_opt = OURS[name](_groups(m, name), **kw), _torch_optimizer(torch, name, _groups(m, name, tm), kw)
    for group, t_group in zip(opt.param_groups, t_opt.param_groups, strict=True):  # torch's has more settings
        assert {k: v for k, v in group.items() if k != "params"} == {k: t_group[k] for k in group if k != "params"}
    for step in range(6):
        if step == 3:
            for group, t_group in zip(opt.param_groups, t_opt.param_groups):
                group["lr"] *= 0.5
                t_group["lr"] *= 0.5
        opt.zero_grad()
        t_opt.zero_grad()
        mg.cross_entropy(m(mg.tensor(x)), labels).backward()
        torch.nn.functional.cross_entropy(tm(torch.tensor(x)), torch.tensor(labels)).backward()
        opt.step()
        t_opt.step()
    for k, v in tm.state_dict().items():
        assert_close(m.state_dict()[k], v.numpy(), rtol=1e-10, atol=1e-12, name=f"{name} {k}")


def test_schedulers_set_each_groups_lr_from_its_own_start_as_torchs():
    torch = pytest.importorskip("torch")
    ours = [nn.Parameter(np.zeros(1)), nn.Parameter(np.zeros(1))]
    theirs = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = optim.SGD([dict(params=[ours[0]]), dict(params=[ours[1]], lr=0.01)], lr=0.1)
    t_opt = torch.optim.SGD([dict(params=[theirs[0]]), dict(params=[theirs[1]], lr=0.01)], lr=0.1)
    sched = optim.CosineAnnealingLR(opt, T_max=5)
    t_sched = torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, 5)
    for _ in range(6):
        t_opt.step()
        sched.step()
        t_sched.step()
        assert sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-12)
        assert [g["lr"] for g in opt.param_groups] == pytest.approx([g["lr"] for g in t_opt.param_groups], rel=1e-12)


@pytest.mark.parametrize("backend_name", ["numpy", "numba"])
def test_adam_refuses_a_state_of_another_shape_than_its_parameter(backend_name):
    """Adam's numba kernel checks no bounds: after p.data was replaced by a larger array, it read past
    the ends of the state kept from before (garbage into the parameter, silently)."""
    p = nn.Parameter(np.zeros((2, 2)))
    opt = optim.Adam([p], lr=0.1)
    with backend.use_backend(backend_name):
        p.grad = np.ones((2, 2))
        opt.step()
        p.data, p.grad = np.zeros((4, 4)), np.ones((4, 4))
        with pytest.raises(ValueError, match="could not be broadcast"):
            opt.step()


@st.composite
def optimizer_runs(draw):
    """An optimizer with drawn settings, maybe a second parameter group, up to two schedulers chained on
    it, and steps that each zero the gradients either way, use some of the parameters and maybe
    change the lr by hand."""
    name = draw(st.sampled_from(sorted(OURS)))
    kw = dict(lr=draw(st.sampled_from([0.5, 0.1, 0.01])), weight_decay=draw(st.sampled_from([0.0, 0.01, 0.1])))
    if name == "sgd":
        kw["momentum"] = draw(st.sampled_from([0.0, 0.5, 0.9]))
        if kw["momentum"] and draw(st.booleans()):
            kw["nesterov"] = True
        else:
            kw["dampening"] = draw(st.sampled_from([0.0, 0.1, 0.5]))
    elif name == "adadelta":
        kw.update(rho=draw(st.sampled_from([0.0, 0.5, 0.9, 1.0])), eps=draw(st.sampled_from([1e-6, 1e-3])))
    else:
        kw["betas"] = (draw(st.sampled_from([0.0, 0.5, 0.9])), draw(st.sampled_from([0.5, 0.9, 0.999])))
        kw["eps"] = draw(st.sampled_from([1e-8, 1e-3]))
    second_group_lr = draw(st.sampled_from([None, 0.2, 0.05]))
    # OneCycleLR cycles a momentum, which Adadelta has not (both libraries refuse the pair)
    kinds = ["step", "cosine", "multistep", "exponential"] + ["one cycle"] * (name != "adadelta")
    schedulers = draw(st.lists(st.sampled_from(kinds), unique=True, max_size=2))
    if "one cycle" in schedulers and second_group_lr is not None and draw(st.booleans()):  # a value per group
        schedulers[schedulers.index("one cycle")] = "one cycle per group"
    steps = draw(st.lists(st.tuples(st.booleans(), st.lists(st.booleans(), min_size=4, max_size=4),
                                    st.sampled_from([None, 0.5, 3.0])), min_size=1, max_size=8))
    return name, kw, second_group_lr, schedulers, steps


def _run_optimizer(lib, run, initial):
    """run (optimizer_runs) with lib's optimizer and schedulers: after each step, the parameters and the lrs."""
    name, kw, second_group_lr, schedulers, steps = run
    if lib is mg:
        params, classes, lr_scheduler = [nn.Parameter(a.copy()) for a in initial], OURS, optim
    else:
        params = [lib.tensor(a, requires_grad=True) for a in initial]
        classes = {"sgd": lib.optim.SGD, "adam": lib.optim.Adam, "adamw": lib.optim.AdamW,
                   "adadelta": lib.optim.Adadelta}
        lr_scheduler = lib.optim.lr_scheduler
    groups = params if second_group_lr is None else [dict(params=params[:2]),
                                                     dict(params=params[2:], lr=second_group_lr)]
    opt = classes[name](groups, **kw)
    made = {"step": lambda: lr_scheduler.StepLR(opt, step_size=2, gamma=0.5),
            "cosine": lambda: lr_scheduler.CosineAnnealingLR(opt, T_max=3, eta_min=0.001),
            "multistep": lambda: lr_scheduler.MultiStepLR(opt, milestones=[1, 3, 3], gamma=0.5),
            "exponential": lambda: lr_scheduler.ExponentialLR(opt, gamma=0.8),
            "one cycle": lambda: lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=8),
            "one cycle per group": lambda: lr_scheduler.OneCycleLR(opt, max_lr=[0.3, 0.05], total_steps=8,
                                                                   base_momentum=[0.8, 0.85], max_momentum=(0.9, 0.99))}
    chained = [made[s]() for s in schedulers]
    trace = []
    for set_to_none, used, by_hand in steps:
        opt.zero_grad(set_to_none=set_to_none)
        terms = [(p * p * (i + 1.0)).sum() + p.sum() * 0.3 for i, (p, use) in enumerate(zip(params, used)) if use]
        if terms:
            sum(terms).backward()
        opt.step()
        for scheduler in chained:
            scheduler.step()
        if by_hand is not None:
            for group in opt.param_groups:
                group["lr"] *= by_hand
        trace.append(([np.array(p.tolist()) for p in params], [group["lr"] for group in opt.param_groups]))
    return trace


@given(optimizer_runs())
def test_optimizers_and_chained_schedulers_follow_torch_step_by_step(run):
    """Every setting, parameter groups, schedulers chained on one optimizer as PyTorch chains them
    (each steps from the lr the other left, and an lr set by hand carries on), parameters left out of
    a step, and a 0-d parameter: its .grad was a NumPy scalar, which zero_grad(set_to_none=False) left
    as it was and Adam's kernel could not compile for; the schedulers set lrs from the lr each group
    started with, dropping the others' changes."""
    torch = pytest.importorskip("torch")
    initial = [np.random.default_rng(0).standard_normal(shape) for shape in [(3,), (2, 2), (1,), ()]]
    ours, theirs = _run_optimizer(mg, run, initial), _run_optimizer(torch, run, initial)
    for step, ((params, lrs), (t_params, t_lrs)) in enumerate(zip(ours, theirs)):
        assert lrs == t_lrs, f"step {step}"
        for i, (p, t) in enumerate(zip(params, t_params)):
            assert_close(p, t, rtol=1e-10, atol=1e-12, name=f"step {step}, parameter {i}")


@pytest.mark.parametrize("name,kw", OPTIMIZERS)
def test_parameter_groups_resume_exactly_from_a_state_dict(name, kw):
    """A group's settings (an lr changed by hand included) come back with the state; a state_dict
    whose groups are sized otherwise is refused."""
    x, labels = np.random.default_rng(1).standard_normal((8, 2, 3)), np.arange(8) % 3
    straight = make_mlp(dtype=np.float64)
    opt = OURS[name](_groups(straight, name), **kw)
    _train(straight, opt, x, labels, 2)
    opt.param_groups[1]["lr"] /= 4
    saved_weights, saved = straight.state_dict(), opt.state_dict()
    _train(straight, opt, x, labels, 3)
    resumed = make_mlp(dtype=np.float64)
    resumed.load_state_dict(saved_weights)
    opt2 = OURS[name](_groups(resumed, name), **kw)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == kw["lr"] / 4
    _train(resumed, opt2, x, labels, 3)
    for k, v in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[k], v)
    with pytest.raises(ValueError, match=r"state for groups of \[2, 2\] parameters, optimizer has \[4\]"):
        OURS[name](make_mlp(dtype=np.float64).parameters(), **kw).load_state_dict(saved)
    swapped = list(make_mlp(dtype=np.float64).parameters())  # as many groups, other sizes
    with pytest.raises(ValueError, match=r"state for groups of \[2, 2\] parameters, optimizer has \[1, 3\]"):
        OURS[name]([{"params": swapped[:1]}, {"params": swapped[1:]}], **kw).load_state_dict(saved)


@pytest.mark.parametrize("name,kw", OPTIMIZERS)
def test_a_torch_optimizers_state_dict_continues_here_as_in_torch(name, kw):
    """opt.state[p] and state_dict()["state"], keyed by parameter number, hold what torch's hold (the
    state was a list, one dict per parameter, with an empty one for a parameter never stepped): a torch
    run's state_dict, its tensors as arrays and its groups cut to this optimizer's settings, continues
    here to torch's weights."""
    torch = pytest.importorskip("torch")
    x, labels = np.random.default_rng(1).standard_normal((8, 2, 3)), np.arange(8) % 3
    m = make_mlp(dtype=np.float64)
    tm = _torch_mlp(torch, m)
    opt, t_opt = OURS[name](m.parameters(), **kw), _torch_optimizer(torch, name, tm.parameters(), kw)
    for _ in range(2):  # the last bias gets no gradient: no state in either
        opt.zero_grad()
        t_opt.zero_grad()
        mg.cross_entropy(m(mg.tensor(x)), labels).backward()
        torch.nn.functional.cross_entropy(tm(torch.tensor(x)), torch.tensor(labels)).backward()
        m[3].bias.grad = tm[3].bias.grad = None
        opt.step()
        t_opt.step()
    ours, theirs = opt.state_dict()["state"], t_opt.state_dict()["state"]
    assert sorted(ours) == sorted(theirs) == ([0, 1, 2] if name != "sgd" or kw.get("momentum") else [])
    for i in theirs:
        assert sorted(ours[i]) == sorted(theirs[i])
    assert sorted(opt.state[m[1].weight]) == sorted(t_opt.state[tm[1].weight]) and not opt.state[m[3].bias]
    resumed = make_mlp(dtype=np.float64)
    resumed.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    saved = t_opt.state_dict()
    opt2 = OURS[name](resumed.parameters(), **kw)
    opt2.load_state_dict({"state": {i: {k: v.numpy() for k, v in s.items()} for i, s in saved["state"].items()},
                          "param_groups": [{k: v for k, v in group.items() if k in opt2.defaults or k == "params"}
                                           for group in saved["param_groups"]]})
    _train(resumed, opt2, x, labels, 3)
    _torch_train(torch, tm, t_opt, x, labels, 3)
    for k, v in tm.state_dict().items():
        assert_close(resumed.state_dict()[k], v.numpy(), rtol=1e-10, atol=1e-12, name=f"{name} {k}")
    with pytest.raises(ValueError, match=r"a parameter group takes \[.*\], got \['amsgrad', .*'maximize'\]"):
        OURS[name](make_mlp(dtype=np.float64).parameters(), **kw).load_state_dict(
            {"state": {}, "param_groups": [dict(saved["param_groups"][0], amsgrad=False)]})


def test_optimizer_load_state_dict_refuses_state_not_keyed_by_parameter_number():
    opt = optim.Adam(make_mlp().parameters())
    groups = opt.state_dict()["param_groups"]
    with pytest.raises(ValueError, match=r"Adam.load_state_dict: 'state' must map parameter numbers 0 to 3 to their "
                                         r"state, got \[4\]"):
        opt.load_state_dict({"state": {4: {}}, "param_groups": groups})
    with pytest.raises(ValueError, match=r"'state' must map .* got list"):  # this project's earlier layout
        opt.load_state_dict({"state": [{}, {}, {}, {}], "param_groups": groups})
    with pytest.raises(ValueError, match=r"parameter 2's 'exp_avg' has shape \(4, 3\), the parameter has \(3, 4\)"):
        opt.load_state_dict({"state": {2: dict(step=np.array(1), exp_avg=np.zeros((4, 3)),
                                               exp_avg_sq=np.zeros((3, 4)))}, "param_groups": groups})


def _trained_state(name, kw):
    m = make_mlp(dtype=np.float64)
    opt = OURS[name](m.parameters(), **kw)
    _train(m, opt, np.random.default_rng(1).standard_normal((8, 2, 3)), np.arange(8) % 3, 2)
    return m, opt


def _damaged(saved, change):
    """A deep copy of an optimizer's state_dict with change(copy) applied."""
    copy = {"state": {i: dict(s) for i, s in saved["state"].items()},
            "param_groups": [dict(g) for g in saved["param_groups"]]}
    change(copy)
    return copy


DAMAGED_OPTIMIZER_STATES = [  # (optimizer, change, error, message): a checkpoint edited, truncated or mislabelled
    ("adam", lambda s: s["state"][0].pop("step"), ValueError,
     r"Adam.load_state_dict: parameter 0's state must be empty or hold \['exp_avg', 'exp_avg_sq', 'step'\], got "
     r"\['exp_avg', 'exp_avg_sq'\]"),
    ("adam", lambda s: s["state"][1].update(momentum_buffer=np.zeros(4)), ValueError, r"parameter 1's state must"),
    ("sgd", lambda s: s["state"].update({2: np.zeros((3, 4))}), ValueError, r"parameter 2's state must .* got array"),
    ("adam", lambda s: s["state"][0].update(exp_avg=np.zeros(())), ValueError,
     r"parameter 0's 'exp_avg' has shape \(\), the parameter has \(4, 6\)"),
    ("adam", lambda s: s["state"][0].update(exp_avg=np.array("str")), ValueError,
     r"parameter 0's 'exp_avg' must hold real numbers, got dtype <U3"),
    ("adam", lambda s: s["state"][0].update(exp_avg_sq=np.zeros((4, 6), complex)), ValueError, r"got dtype complex128"),
    ("adam", lambda s: s["state"][1].update(step=np.array(1.5)), ValueError,
     r"parameter 1's 'step' must be a count, a whole number >= 0, got 1.5"),
    ("adam", lambda s: s["state"][1].update(step=np.array([2])), ValueError, r"'step' must be a count.*got \[2\]"),
    ("adam", lambda s: s["state"][1].update(step=np.array(-1)), ValueError, r"'step' must be a count.*got -1"),
    ("adam", lambda s: s["param_groups"][0].update(betas=[0.9, [0.999]]), TypeError,
     r"Adam: betas must be a pair of numbers, got \[0.9, \[0.999\]\]"),
    ("adam", lambda s: s["param_groups"][0].update(eps=None), TypeError, r"Adam: eps must be a number, got None"),
    ("adamw", lambda s: s["param_groups"][0].update(betas=[0.9]), TypeError, r"AdamW: betas must be a pair .* \[0.9\]"),
    ("sgd", lambda s: s["param_groups"][0].update(lr="0.1"), TypeError, r"SGD: lr must be a number, got '0.1'"),
    ("sgd", lambda s: s["param_groups"][0].update(momentum=True), TypeError,
     r"SGD: momentum must be a number, got True"),
    ("sgd", lambda s: s["param_groups"][0].update(params=True), ValueError,
     r"SGD.load_state_dict: 'param_groups' must be a list of dicts, each with a 'params' list"),
    ("sgd", lambda s: s.update(param_groups={}), ValueError, r"'param_groups' must be a list of dicts.*got \{\}"),
    ("sgd", lambda s: s["param_groups"][0].update(params=[0, 1, 3, 2]), ValueError,
     r"SGD.load_state_dict: the groups' 'params' must number the parameters 0 to 3 in order, got \[0, 1, 3, 2\]"),
    ("sgd", lambda s: s.pop("state"), ValueError,
     r"'state' must map parameter numbers 0 to 3 to their state, got NoneType"),
]


@pytest.mark.parametrize("name,change,error,message", DAMAGED_OPTIMIZER_STATES)
def test_optimizer_load_state_dict_refuses_a_damaged_state_before_changing_anything(name, change, error, message):
    """Each damage loaded as it was failed later, in the middle of a step, with a KeyError or
    NumPy's TypeError naming no optimizer, or (a 0-D exp_avg) broadcast silently."""
    kw = dict(lr=0.1, momentum=0.9) if name == "sgd" else dict(lr=0.01)
    m, opt = _trained_state(name, kw)
    saved = opt.state_dict()
    with pytest.raises(error, match=message):
        opt.load_state_dict(_damaged(saved, change))
    after = opt.state_dict()
    assert after["param_groups"] == saved["param_groups"] and sorted(after["state"]) == sorted(saved["state"])
    for i, s in saved["state"].items():
        for k, v in s.items():
            np.testing.assert_array_equal(after["state"][i][k], v)


def test_optimizer_load_state_dict_casts_state_to_the_parameters_dtype_as_torch_does():
    """torch casts a loaded state's tensors (but the step) to the parameter's dtype: integer moments
    failed in Adam's step with NumPy's casting error; torch's float step counts as well as an int."""
    m, opt = _trained_state("adam", dict(lr=0.01))
    saved = opt.state_dict()
    rounded = _damaged(saved, lambda s: [e.update(exp_avg=np.round(e["exp_avg"] * 1e3), step=np.float32(e["step"]))
                                         for e in s["state"].values()])
    as_ints = _damaged(rounded, lambda s: [e.update(exp_avg=e["exp_avg"].astype(np.int64))
                                           for e in s["state"].values()])
    runs = []
    for state in (rounded, as_ints):
        m2 = make_mlp(dtype=np.float64)
        m2.load_state_dict(m.state_dict())
        opt2 = optim.Adam(m2.parameters(), lr=0.01)
        opt2.load_state_dict(state)
        assert all(s["exp_avg"].dtype == np.float64 for s in opt2.state.values())
        _train(m2, opt2, np.random.default_rng(2).standard_normal((8, 2, 3)), np.arange(8) % 3, 2)
        runs.append(m2.state_dict())
    for k, v in runs[0].items():
        np.testing.assert_array_equal(runs[1][k], v)


@pytest.mark.parametrize("state,message", [
    (dict(base_lrs=[0.1, 0.2], last_epoch=1), r"'base_lrs' must hold a number >= 0 for each of the optimizer's 1 "
                                              r"groups, got \[0.1, 0.2\]"),
    (dict(base_lrs=0.1, last_epoch=1), r"'base_lrs' must hold .* got 0.1"),
    (dict(base_lrs=["0.1"], last_epoch=1), r"'base_lrs' must hold .* got \['0.1'\]"),
    (dict(base_lrs=[-0.1], last_epoch=1), r"'base_lrs' must hold .* got \[-0.1\]"),
    (dict(base_lrs=[0.1], last_epoch=[]), r"'last_epoch' must be an int >= 0, got \[\]"),
    (dict(base_lrs=[0.1], last_epoch=1.0), r"'last_epoch' must be an int >= 0, got 1.0"),
    (dict(base_lrs=[0.1], last_epoch=-1), r"'last_epoch' must be an int >= 0, got -1"),
    (dict(base_lrs=[0.1]), r"'last_epoch' must be an int >= 0, got None"),
    (-1, r"CosineAnnealingLR.load_state_dict: takes a dict with 'base_lrs' and 'last_epoch', got -1"),
])
def test_scheduler_load_state_dict_refuses_a_damaged_state_before_changing_anything(state, message):
    """A list of base lrs shorter or longer than the groups was zipped with them silently, leaving a
    group's lr alone; the others failed at the next step with errors naming no scheduler."""
    opt = optim.Adam([nn.Parameter(np.zeros(2))], lr=0.1)
    sched = optim.CosineAnnealingLR(opt, T_max=5)
    sched.step()
    before = sched.state_dict(), opt.param_groups[0]["lr"]
    with pytest.raises(ValueError, match=message):
        sched.load_state_dict(state)
    assert (sched.state_dict(), opt.param_groups[0]["lr"]) == before
    sched.load_state_dict(dict(base_lrs=[0.0], last_epoch=0))  # the edges are taken (a mutant refused lr 0)
    assert sched.state_dict() == dict(base_lrs=[0.0], last_epoch=0)


def test_one_cycle_load_state_dict_refuses_a_step_past_its_total_before_changing_anything():
    opt = optim.Adam([nn.Parameter(np.zeros(2))])
    sched = optim.OneCycleLR(opt, max_lr=0.5, total_steps=10)
    before = sched.state_dict(), _lr_momentum(opt)
    with pytest.raises(ValueError, match="OneCycleLR: stepped 11 times, more than total_steps 10"):
        sched.load_state_dict(dict(base_lrs=[0.02], last_epoch=11))
    assert (sched.state_dict(), _lr_momentum(opt)) == before


@pytest.mark.parametrize("name", ["adam", "adamw"])
@pytest.mark.parametrize("settings", [dict(betas=(1.0, 0.9)), dict(betas=(0.9, 1.0)), dict(betas=(-0.1, 0.9)),
                                      dict(betas=(0.0, 0.0)), dict(eps=-1e-8), dict(eps=0.0), dict(weight_decay=-0.1),
                                      dict(weight_decay=0.0), dict(betas=(0.9, float("nan")))])
def test_adam_takes_the_settings_pytorchs_takes(name, settings):
    """Each beta in [0, 1), eps and weight_decay >= 0: the bounds, either side, as torch's."""
    torch = pytest.importorskip("torch")

    def refused(make, params):
        try:
            make(params, **settings)
        except ValueError:
            return True
        return False

    ours, theirs = OURS[name], {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[name]
    assert refused(ours, [nn.Parameter(np.ones(2))]) == refused(theirs, [torch.nn.Parameter(torch.ones(2))])


def test_parameter_group_bad_input():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match=r"SGD: a parameter group takes \['dampening', 'lr', .*\], got \['lrr'\]"):
        optim.SGD([dict(params=[a], lrr=0.1)], lr=0.1)
    with pytest.raises(ValueError, match="Adam: a parameter appears more than once"):  # PyTorch refuses it too
        optim.Adam([dict(params=[a, b]), dict(params=[b])])
    with pytest.raises(TypeError, match="Adam: a parameter group is a dict with 'params', got list"):
        optim.Adam([dict(params=[a]), [b]])
    with pytest.raises(ValueError, match="Adam: invalid betas"):  # each group's settings are checked
        optim.Adam([dict(params=[a]), dict(params=[b], betas=(1.5, 0.9))])
    with pytest.raises(ValueError, match="SGD: learning rate must be >= 0, got -1"):
        optim.SGD([dict(params=[a], lr=-1)], lr=0.1)
    with pytest.raises(TypeError, match="Adam: lr must be a number, got '0.1'"):  # NumPy's error at the first step
        optim.Adam([a], lr="0.1")
    opt = optim.SGD([dict(params=a)], lr=0.1)  # one tensor as a group's params, as PyTorch allows
    opt.add_param_group(dict(params=[b], lr=0.2))
    assert opt.params == [a, b] and [g["lr"] for g in opt.param_groups] == [0.1, 0.2] and not opt.state
    saved = opt.state_dict()
    saved["param_groups"][1]["lr"] = float("nan")
    with pytest.raises(ValueError, match="SGD: learning rate must be >= 0, got nan"):  # checked as a new group is
        opt.load_state_dict(saved)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.2]


@pytest.mark.parametrize("on", ["optimizer", "module"])
def test_zero_grad_set_to_none_false_leaves_zeros_as_torchs(on):
    """set_to_none=False (a TypeError before): a parameter the next loss does not reach keeps a zero
    gradient, so SGD's momentum still moves it, as in PyTorch; with None it stays put. None is the
    default, as in PyTorch (untested until a mutant defaulting the module's to False passed)."""
    torch = pytest.importorskip("torch")
    for settings, set_to_none in (({}, True), (dict(set_to_none=True), True), (dict(set_to_none=False), False)):
        m, tm = nn.Linear(2, 1, dtype=np.float64), torch.nn.Linear(2, 1).double()
        tm.load_state_dict({k: torch.tensor(v) for k, v in m.state_dict().items()})
        opt = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        t_opt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
        x = np.array([[1.0, -2.0]])
        for weight_only in (False, True):  # the second loss does not reach the bias
            (m if on == "module" else opt).zero_grad(**settings)
            (tm if on == "module" else t_opt).zero_grad(**settings)
            (m.weight if weight_only else m(mg.tensor(x))).sum().backward()
            (tm.weight if weight_only else tm(torch.tensor(x))).sum().backward()
            opt.step()
            t_opt.step()
        assert (m.bias.grad is None) == (tm.bias.grad is None) == set_to_none
        for k, v in tm.state_dict().items():
            assert_close(m.state_dict()[k], v.detach().numpy(), rtol=1e-12, atol=1e-12, name=k)


@pytest.mark.parametrize("name,kw", OPTIMIZERS)
def test_optimizers_match_torch_in_float32_to_a_few_roundings(name, kw):
    """Not bit for bit: torch's vectorised updates fuse multiply and add (docs/autograd.md)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((5, 7)).astype(np.float32)
    p, tp = nn.Parameter(w0.copy()), torch.tensor(w0.copy(), requires_grad=True)
    ours = OURS[name]([p], **kw)
    theirs = _torch_optimizer(torch, name, [tp], kw)
    for _ in range(20):
        g = rng.standard_normal(w0.shape).astype(np.float32)
        p.grad, tp.grad = g.copy(), torch.tensor(g)
        ours.step()
        theirs.step()
    assert p.dtype == np.float32
    expected = tp.detach().numpy()  # a few float32 roundings of the largest value: ulps mislead near 0
    np.testing.assert_allclose(p.data, expected, rtol=0, atol=8 * np.finfo(np.float32).eps * np.abs(expected).max())


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
@pytest.mark.parametrize("name,kw", [case for case in OPTIMIZERS if case[0] in ("adam", "adamw")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_numba_kernel_equals_the_numpy_update(name, kw, dtype):
    """The fused kernel against the NumPy lines it replaces, bit for bit, over steps whose
    gradients span many magnitudes (zeros included); float32 catches a scalar left in float64."""
    values = [dtype(v) for v in (0.0, 1e-30, -3e-8, 2e-4, -0.5, 7.0, 3e4)]  # as dtype holds them (under NumPy
    # 1.x hypothesis refused 1e-30 for float32)

    @given(hnp.arrays(dtype, (3, 5), elements=st.sampled_from(values)), st.integers(0, 2**31 - 1))
    def check(w0, seed):
        rng = np.random.default_rng(seed)
        params, optimizers = [], []
        for choice in ("numpy", "numba"):
            with backend.use_backend(choice):
                params.append(nn.Parameter(w0.copy()))
                optimizers.append(OURS[name]([params[-1]], **kw))
        for _ in range(4):
            g = (rng.standard_normal(w0.shape) * 10.0 ** rng.integers(-8, 4, w0.shape)).astype(dtype)
            for choice, p, opt in zip(("numpy", "numba"), params, optimizers):
                p.grad = g.copy()
                with backend.use_backend(choice):
                    opt.step()
            assert_same_bits(params[1].data, params[0].data, "parameter")
        for key in ("exp_avg", "exp_avg_sq"):
            assert_same_bits(optimizers[1].state[params[1]][key], optimizers[0].state[params[0]][key], key)
    check()


@pytest.mark.parametrize("name,kw", [case for case in OPTIMIZERS if case[0] in ("adam", "adamw")])
def test_adam_steps_parameters_and_gradients_in_any_memory_order(name, kw):
    """The fused kernel flattens its arrays, which numba can only do for C-ordered ones: a parameter
    loaded from a transposed array (Fortran order) or a gradient set as a view takes NumPy's path."""
    rng = np.random.default_rng(0)
    w0, grads = rng.standard_normal((3, 4)), rng.standard_normal((5, 3, 8))[:, :, ::2]  # strided views
    results = []
    for choice in ("numpy", "numba") if backend.numba_available() else ("numpy",):
        with backend.use_backend(choice):
            params = [nn.Parameter(w0.copy()), nn.Parameter(np.asfortranarray(w0)),
                      nn.Parameter(np.ascontiguousarray(w0.T).T)]
            opt = OURS[name](params, **kw)
            for g in grads:
                params[0].grad, params[1].grad, params[2].grad = g.copy(), np.asfortranarray(g), g
                opt.step()
            results.append([p.data for p in params])
    for result in results:
        for data in result:
            np.testing.assert_array_equal(data, results[0][0])


@pytest.mark.parametrize("name,kw", OPTIMIZERS)
def test_optimizer_state_dict_resumes_exactly(name, kw):
    x = np.random.default_rng(1).standard_normal((8, 2, 3))
    labels = np.arange(8) % 3
    straight, _ = _run_steps(name, kw, x, labels, steps=6)
    m, opt = _run_steps(name, kw, x, labels, steps=3)
    weights, state = m.state_dict(), opt.state_dict()
    resumed = make_mlp(dtype=np.float64)
    resumed.load_state_dict(weights)
    opt2 = OURS[name](resumed.parameters(), **kw)
    opt2.load_state_dict(state)
    _train(resumed, opt2, x, labels, 3)
    for k, v in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[k], v)


@pytest.mark.parametrize("dtype, eps", [(np.float16, 1e-8), (np.float32, 0.0)])
def test_adams_nan_steps_are_pytorchs_and_raise_no_warning(each_backend, dtype, eps):
    """eps rounds to 0 in float16 (or is asked to be 0), so a zero gradient's step is 0 / 0: NaN in
    PyTorch and in the numba kernel, silently, where NumPy's path warned "invalid value encountered in
    divide" (an error under -W error), and float16's g * g overflowed with a warning too."""
    torch = pytest.importorskip("torch")
    grad = np.array([0.0, 300.0, -1.0], dtype)  # 300^2 overflows float16
    ours = nn.Parameter(np.ones(3, dtype))
    ours.grad = grad.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optim.Adam([ours], lr=0.01, eps=eps).step()
    theirs = torch.ones(3, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
    theirs.grad = torch.tensor(grad)
    torch.optim.Adam([theirs], lr=0.01, eps=eps).step()
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())


@pytest.mark.parametrize("name,kw", OPTIMIZERS)
def test_optimizer_state_takes_the_parameters_dtype(name, kw):
    """A float32 run's state loaded for float64 parameters is cast to float64, as PyTorch's
    load_state_dict casts it; a model cast by .double() mid-run has its state cast at the next step,
    the same bits as that load (the state used to stay float32, NumPy's in-place updates keeping it so).
    Against torch: its float32 run, state_dict, .double() and load, to float32's few roundings."""
    x = np.random.default_rng(1).standard_normal((8, 2, 3))
    labels = np.arange(8) % 3
    m = make_mlp()
    opt = OURS[name](m.parameters(), **kw)
    _train(m, opt, x, labels, 2)
    loaded = make_mlp()
    loaded.load_state_dict(m.state_dict())
    loaded.double()
    opt_loaded = OURS[name](loaded.parameters(), **kw)
    opt_loaded.load_state_dict(opt.state_dict())
    assert all(v.dtype == np.float64 for s in opt_loaded.state.values() for k, v in s.items() if k != "step")
    assert all(s["step"].dtype.kind == "i" for s in opt_loaded.state.values() if "step" in s)  # a count, not cast
    m.double()
    _train(m, opt, x, labels, 2)
    _train(loaded, opt_loaded, x, labels, 2)
    assert all(v.dtype == np.float64 for s in opt.state.values() for k, v in s.items() if k != "step")
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[k], v)
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
    tm.load_state_dict({k: torch.tensor(v) for k, v in make_mlp().state_dict().items()})
    t_opt = _torch_optimizer(torch, name, tm.parameters(), kw)
    for dtype, t_steps in ((torch.float32, 2), (torch.float64, 2)):
        if dtype == torch.float64:
            state = t_opt.state_dict()
            tm.double()
            t_opt = _torch_optimizer(torch, name, tm.parameters(), kw)
            t_opt.load_state_dict(state)
            assert all(v.dtype == torch.float64 for s in t_opt.state.values() for k, v in s.items() if k != "step")
        for _ in range(t_steps):
            t_opt.zero_grad()
            torch.nn.functional.cross_entropy(tm(torch.tensor(x, dtype=dtype)), torch.tensor(labels)).backward()
            t_opt.step()
    for k, v in tm.state_dict().items():
        assert_close(m.state_dict()[k], v.numpy(), rtol=1e-5, atol=1e-6, name=f"{name} {k}")


@pytest.mark.parametrize("make,torch_make", [
    (lambda o: optim.StepLR(o, step_size=2, gamma=0.5), lambda t, o: t.optim.lr_scheduler.StepLR(o, 2, 0.5)),
    (lambda o: optim.StepLR(o, step_size=1, gamma=0.5), lambda t, o: t.optim.lr_scheduler.StepLR(o, 1, 0.5)),
    (lambda o: optim.CosineAnnealingLR(o, T_max=5, eta_min=0.01),
     lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, 5, 0.01)),
    (lambda o: optim.CosineAnnealingLR(o, T_max=1), lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, 1)),
    (lambda o: optim.CosineAnnealingLR(o, T_max=2), lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, 2)),
    (lambda o: optim.MultiStepLR(o, [2, 5, 5, 9], 0.5), lambda t, o: t.optim.lr_scheduler.MultiStepLR(o, [2, 5, 5, 9], 0.5)),
    (lambda o: optim.MultiStepLR(o, range(0, 20, 3)), lambda t, o: t.optim.lr_scheduler.MultiStepLR(o, range(0, 20, 3))),
    (lambda o: optim.ExponentialLR(o, 0.9), lambda t, o: t.optim.lr_scheduler.ExponentialLR(o, 0.9)),
])
def test_schedules_match_torch(make, torch_make):
    """Past T_max the cosine goes back up, and from its second minimum (4 T_max) down again. A milestone at
    epoch 0 scales the lr as the schedule is made, as PyTorch's first step, at epoch 0, does."""
    torch = pytest.importorskip("torch")
    opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1)
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched, t_sched = make(opt), torch_make(torch, t_opt)
    assert opt.param_groups[0]["lr"] == t_opt.param_groups[0]["lr"]
    for _ in range(23):
        t_opt.step()
        sched.step()
        t_sched.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(t_opt.param_groups[0]["lr"], rel=1e-12)
        assert sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-12)


ONE_CYCLE = [dict(max_lr=0.03, epochs=3, steps_per_epoch=7),  # Rohrer's recipe: the defaults, per step
             dict(max_lr=0.1, total_steps=20, anneal_strategy="linear", three_phase=True, pct_start=0.4,
                  base_momentum=0.8, max_momentum=0.9, div_factor=10.0, final_div_factor=100.0),
             dict(max_lr=0.1, total_steps=11, cycle_momentum=False),
             dict(max_lr=0.1, total_steps=1)]  # the shortest: one lr, the final one


def _lr_momentum(opt):
    group = opt.param_groups[0]
    return group["lr"], group["betas"][0] if isinstance(opt, optim.Adam) else group["momentum"]


@pytest.mark.parametrize("kw", ONE_CYCLE)
@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_one_cycle_matches_torch_step_for_step(kw, name):
    """The same Python floats as torch's OneCycleLR at every step, lr and beta1 (or momentum), one
    step past total_steps included; then both refuse another; the parameters trained with them agree."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(5)
    opt_kw = dict(lr=1.0) if name == "adam" else dict(lr=1.0, momentum=0.9)
    p, tp = nn.Parameter(w0.copy()), torch.tensor(w0.copy(), requires_grad=True)
    opt, t_opt = OURS[name]([p], **opt_kw), _torch_optimizer(torch, name, [tp], opt_kw)
    sched, t_sched = optim.OneCycleLR(opt, **kw), torch.optim.lr_scheduler.OneCycleLR(t_opt, **kw)
    for _ in range(sched.total_steps + 1):
        group = t_opt.param_groups[0]
        assert _lr_momentum(opt) == (group["lr"], group["betas"][0] if name == "adam" else group["momentum"])
        g = rng.standard_normal(w0.shape)
        p.grad, tp.grad = g.copy(), torch.tensor(g)
        opt.step()
        t_opt.step()
        if sched.last_epoch < sched.total_steps:
            sched.step()
            t_sched.step()
    with pytest.raises(ValueError, match=f"OneCycleLR: stepped {sched.total_steps + 1} times, more than total_steps"):
        sched.step()
    with pytest.raises(ValueError):
        t_sched.step()
    assert_close(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12, name="parameters")


def test_one_cycle_endpoints_and_resume():
    """Without torch: lr starts at max_lr / div_factor, reaches max_lr at step pct_start T - 1 and
    lr0 / final_div_factor at step T - 1 (pct 1 gives a phase's end exactly), rising then falling,
    beta1 going the other way; a scheduler loaded from a state_dict continues alike."""
    opt = optim.Adam([nn.Parameter(np.zeros(2))])
    sched = optim.OneCycleLR(opt, max_lr=0.5, total_steps=10, pct_start=0.3)  # the peak at step 3 - 1
    seen = [_lr_momentum(opt)]
    for _ in range(9):
        sched.step()
        seen.append(_lr_momentum(opt))
    assert seen[0] == pytest.approx((0.5 / 25, 0.95), rel=1e-12)
    assert seen[2] == (0.5, 0.85) and seen[9] == (0.5 / 25 / 1e4, 0.95)
    lrs, betas = zip(*seen)
    assert lrs[0] < lrs[1] < lrs[2] and all(a > b for a, b in zip(lrs[2:], lrs[3:]))
    assert betas[0] > betas[1] > betas[2] and all(a < b for a, b in zip(betas[2:], betas[3:]))
    opt2 = optim.Adam([nn.Parameter(np.zeros(2))])
    resumed = optim.OneCycleLR(opt2, max_lr=0.5, total_steps=10, pct_start=0.3)
    sched.last_epoch = 4
    resumed.load_state_dict(sched.state_dict())  # the lr and beta1 are the optimizer's state, as in PyTorch
    resumed.step()
    assert _lr_momentum(opt2) == seen[5]


@pytest.mark.parametrize("kw,message", [
    (dict(max_lr=0.1), r"OneCycleLR: needs total_steps, or epochs and steps_per_epoch"),
    (dict(max_lr=0.1, epochs=2, steps_per_epoch=0), r"got epochs 2, steps_per_epoch 0"),
    (dict(max_lr=0.1, total_steps=10, pct_start=1.5), r"pct_start must be in \[0, 1\]"),
    (dict(max_lr=0.1, total_steps=10, anneal_strategy="exp"), r"anneal_strategy 'cos' or 'linear', got 0.3 and 'exp'"),
    (dict(max_lr=0.1, total_steps=10, pct_start=0.1), r"pct_start 0.1 of 10 steps leaves a phase no steps"),  # torch: 0/0
    (dict(max_lr=[0.1, 0.2], total_steps=10), r"max_lr needs one value for each of the optimizer's 1 groups, got 2"),
    (dict(max_lr=0.1, total_steps=10, max_momentum=[]), r"max_momentum needs one value for each .* 1 groups, got 0"),
])
def test_one_cycle_refuses_bad_settings(kw, message):
    with pytest.raises(ValueError, match=message):
        optim.OneCycleLR(optim.Adam([nn.Parameter(np.zeros(2))]), **kw)


def test_one_cycle_cycles_momentum_only_of_optimizers_that_have_one():
    class Plain(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1))
    with pytest.raises(ValueError, match="OneCycleLR: cycle_momentum needs Adam's beta1 or SGD's momentum, got Plain"):
        optim.OneCycleLR(Plain([nn.Parameter(np.zeros(2))]), max_lr=1.0, total_steps=10)
    optim.OneCycleLR(Plain([nn.Parameter(np.zeros(2))]), max_lr=1.0, total_steps=10, cycle_momentum=False)


@pytest.mark.parametrize("make, message", [
    (lambda opt: optim.StepLR(opt, step_size=0), "StepLR: step_size must be >= 1, got 0"),
    (lambda opt: optim.CosineAnnealingLR(opt, T_max=0), "CosineAnnealingLR: T_max must be >= 1, got 0"),
    (lambda opt: optim.MultiStepLR(opt, [2, 2.5]), "MultiStepLR: milestones must be a list of epochs, ints >= 0, "
                                                  "got [2, 2.5]"),
    (lambda opt: optim.MultiStepLR(opt, 3), "MultiStepLR: milestones must be a list of epochs, ints >= 0, got 3"),
    (lambda opt: optim.MultiStepLR(opt, [-1]), "got [-1]"),
    (lambda opt: optim.OneCycleLR(opt, 0.1, total_steps=0), "OneCycleLR: total_steps must be an int >= 1, got 0"),
    (lambda opt: optim.OneCycleLR(opt, 0.1, total_steps=2.5), "OneCycleLR: total_steps must be an int >= 1, got 2.5"),
])
def test_schedules_refuse_a_length_they_cannot_run(make, message):
    """StepLR(step_size=0) divided by zero at its first step and T_max = 0 at its first cosine."""
    opt = optim.SGD([nn.Parameter(np.zeros(2))], lr=0.1)
    with pytest.raises(ValueError, match=re.escape(message)):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize("make, message", [
    (lambda opt: optim.StepLR(opt, step_size=(1, 2)), "StepLR: step_size must be a number, got (1, 2)"),
    (lambda opt: optim.StepLR(opt, 2, gamma="0.5"), "StepLR: gamma must be a number, got '0.5'"),
    (lambda opt: optim.CosineAnnealingLR(opt, T_max=np.array([5, 10])), "CosineAnnealingLR: T_max must be a number"),
    (lambda opt: optim.CosineAnnealingLR(opt, 5, eta_min=None), "CosineAnnealingLR: eta_min must be a number, got None"),
    (lambda opt: optim.ExponentialLR(opt, gamma=None), "ExponentialLR: gamma must be a number, got None"),
    (lambda opt: optim.MultiStepLR(opt, [2], gamma="0.5"), "MultiStepLR: gamma must be a number, got '0.5'"),
    (lambda opt: optim.OneCycleLR(opt, {}, total_steps=10), "OneCycleLR: max_lr must be a number, got {}"),
    (lambda opt: optim.OneCycleLR(opt, [0.1, "1"], total_steps=10), "OneCycleLR: max_lr must be a number, got '1'"),
    (lambda opt: optim.OneCycleLR(opt, 0.1, total_steps=10, div_factor=(25,)), "OneCycleLR: div_factor must be"),
    (lambda opt: optim.OneCycleLR(opt, 0.1, total_steps=10, base_momentum=None), "OneCycleLR: base_momentum must be"),
    (lambda opt: optim.SGD(opt.params, momentum=0.9, nesterov=np.array([1, 0])), "SGD: nesterov must be True or False"),
])
def test_schedule_and_optimizer_settings_that_are_not_numbers_are_refused_by_name(make, message):
    """They failed at the first step, or at once, in arithmetic that named no op (a TypeError, or
    NumPy's ambiguous truth value)."""
    opt = optim.SGD([nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))], lr=0.1)
    opt.add_param_group({"params": [nn.Parameter(np.zeros(1))]})
    with pytest.raises(TypeError, match=re.escape(message)):
        make(opt)
    optim.OneCycleLR(opt, 0.1, total_steps=10, cycle_momentum=False, base_momentum=None)  # unread, as in PyTorch


def test_an_optimizer_subclass_without_an_update_says_what_it_lacks():
    class Incomplete(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1))

    p = nn.Parameter(np.ones(2))
    p.grad = np.ones(2)
    with pytest.raises(NotImplementedError, match="Incomplete has no _update method: an Optimizer subclass defines"):
        Incomplete([p]).step()


def test_optimizer_bad_input():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    # each of these was taken: a tensor iterated into its elements, an ndarray failed at step(),
    # a repeated parameter was stepped twice
    p = nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match=r"SGD: params must be an iterable of tensors, got one tensor of shape \(2,\)"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match=r"Adam: parameter 1 is not a tensor \(got ndarray\)"):
        optim.Adam([p, np.ones(2)])
    with pytest.raises(ValueError, match="SGD: a parameter appears more than once"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="SGD: parameter 0 is not a leaf tensor"):
        optim.SGD([p * 2], lr=0.1)
    optim.SGD([p, mg.tensor(np.ones(2))], lr=0.1).step()  # a tensor that needs no gradient is allowed, as in PyTorch
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam(make_mlp().parameters(), lr=-1)
    with pytest.raises(ValueError, match="SGD: momentum and weight_decay must be >= 0, got -0.5 and 0.0"):
        optim.SGD(make_mlp().parameters(), lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="got 0.0 and nan"):
        optim.SGD(make_mlp().parameters(), lr=0.1, weight_decay=float("nan"))
    for settings in (dict(momentum=0.0), dict(momentum=0.9, dampening=0.1)):  # PyTorch refuses both
        with pytest.raises(ValueError, match="SGD: nesterov needs momentum > 0 and dampening 0"):
            optim.SGD(make_mlp().parameters(), lr=0.1, nesterov=True, **settings)
    with pytest.raises(ValueError, match="learning rate must be >= 0, got nan"):
        optim.Adam(make_mlp().parameters(), lr=float("nan"))
    m = make_mlp()
    before = m.state_dict()
    for opt in (optim.SGD(m.parameters(), lr=0.0, momentum=0.9), optim.Adam(m.parameters(), lr=0)):
        # refused before; PyTorch takes lr = 0 (a frozen run, or a schedule's first value)
        mg.cross_entropy(m(mg.tensor(np.ones((2, 6), np.float32))), np.array([0, 1])).backward()
        opt.step()
    assert all(np.array_equal(before[k], v) for k, v in m.state_dict().items())
    with pytest.raises(ValueError, match="invalid betas"):
        optim.Adam(make_mlp().parameters(), eps=float("nan"))
    for make in (optim.Adam, optim.AdamW):  # PyTorch refuses it too
        with pytest.raises(ValueError, match=f"{make.__name__}: invalid betas .* or weight_decay -0.1"):
            make(make_mlp().parameters(), weight_decay=-0.1)
    for settings, shown in ((dict(rho=1.5), "rho 1.5"), (dict(rho=-0.1), "rho -0.1"), (dict(eps=-1e-6), "eps -1e-06"),
                            (dict(weight_decay=-0.1), "weight_decay -0.1"), (dict(rho=float("nan")), "rho nan")):
        with pytest.raises(ValueError, match=f"Adadelta: invalid .*{shown}"):  # PyTorch refuses each
            optim.Adadelta(make_mlp().parameters(), **settings)
    optim.Adadelta(make_mlp().parameters(), rho=1.0, eps=0.0)  # the edges PyTorch takes


@pytest.mark.parametrize("make", [lambda: layers.Conv2d(2, 3, 3, padding=1), lambda: layers.SharpCosSim2d(2, 3, 3),
                                  lambda: layers.ConvTwist2d(2, 3), lambda: nn.Linear(2, 3)])
def test_backward_of_a_graph_made_before_an_optimizer_step_is_refused_as_in_pytorch(make):
    """Each layer keeps its weight (or a view of it) for the input's gradient: after the step, that
    gradient was of the stepped weight, silently. PyTorch refuses it by the weight's version."""
    model = make()
    shape = (4, 2) if isinstance(model, nn.Linear) else (1, 2, 6, 6)
    x = mg.tensor(np.random.default_rng(0).standard_normal(shape, np.float32), requires_grad=True)  # the weights' dtype
    stale = model(x).sum()
    model(x).sum().backward()
    optim.SGD(model.parameters(), lr=0.1).step()
    with pytest.raises(RuntimeError, match="was changed in place since the forward"):
        stale.backward()


@pytest.mark.parametrize("name, kwargs", [
    ("uniform_", {"a": -0.5, "b": 2.0}), ("normal_", {"mean": 1.0, "std": 0.5}), ("uniform_", {}), ("normal_", {}),
    ("xavier_uniform_", {"gain": 2.0}), ("xavier_uniform_", {}),
    ("xavier_normal_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}), ("kaiming_uniform_", {}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}), ("kaiming_normal_", {}),
    ("kaiming_normal_", {"a": 0.2, "mode": "fan_out"}), ("kaiming_normal_", {"nonlinearity": "tanh"})])
@pytest.mark.parametrize("shape", [(128, 64, 3, 3), (40000, 1)])
def test_init_draws_pytorchs_distributions_in_place(name, kwargs, shape):
    """nn.init was missing, which ported models call in their reset_parameters: each function fills a
    parameter in place and returns it, from the distribution torch's draws from (the numbers are NumPy's):
    a conv weight's and a one-input linear weight's mean, spread and range agree with torch's to a few
    standard errors."""
    torch = pytest.importorskip("torch")
    w = nn.Parameter(np.zeros(shape, np.float32))
    array = w.data
    assert getattr(nn.init, name)(w, **kwargs, generator=0) is w and w.data is array and w.requires_grad
    torch.manual_seed(0)  # both sides' draws fixed: the tolerances below are a few standard errors
    theirs = getattr(torch.nn.init, name)(torch.zeros(w.shape), **kwargs).numpy()
    ours = w.data.astype(np.float64)
    spread = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 6 * spread / math.sqrt(ours.size)
    assert abs(ours.std() / spread - 1) < 0.01
    if "uniform" in name:
        width = theirs.max() - theirs.min()
        assert abs(ours.min() - theirs.min()) < 1e-3 * width and abs(ours.max() - theirs.max()) < 1e-3 * width


def test_init_constants_gains_fans_and_seeds_are_pytorchs():
    """constant_, ones_ and zeros_ fill; calculate_gain and the fans are torch's; the same generator seed
    draws the same numbers, and manual_seed repeats the default draws; a graph that kept the old values
    refuses its backward; empty tensors are left as they are."""
    torch = pytest.importorskip("torch")
    w = nn.Parameter(np.ones((3, 4), np.float32))
    for fill, value in ((lambda t: nn.init.constant_(t, 2.5), 2.5), (nn.init.zeros_, 0.0), (nn.init.ones_, 1.0)):
        assert fill(w) is w and w.tolist() == [[value] * 4] * 3
    for nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                         "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert nn.init.calculate_gain(nonlinearity) == torch.nn.init.calculate_gain(nonlinearity)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)
    for shape in [(3, 4), (5, 2, 3), (4, 3, 2, 2), (2, 0, 3)]:
        assert nn.init._calculate_fan_in_and_fan_out(mg.tensor(np.ones(shape))) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.ones(shape))
    draws = [nn.init.kaiming_uniform_(mg.tensor(np.zeros((4, 5))), generator=7).data for _ in range(2)]
    np.testing.assert_array_equal(*draws)
    mg.manual_seed(3)
    first = nn.init.normal_(mg.tensor(np.zeros(6))).data.copy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(nn.init.normal_(mg.tensor(np.zeros(6))).data, first)
    loss = (w * w).sum()  # w kept for its own gradient
    nn.init.xavier_uniform_(w)
    with pytest.raises(RuntimeError, match="changed in place since the forward"):
        loss.backward()
    for empty in [(0, 3), (3, 0), (0, 0)]:
        for name in ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"):
            assert getattr(nn.init, name)(mg.tensor(np.ones(empty))).shape == empty


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -2.0, 2.0), (0.5, 1.0, -1.0, 1.0),
                                           (0.0, 1.0, 2.0, 3.0), (-1.0, 0.1, -1.01, -0.99), (3.0, 2.0, -1.0, 0.5)])
def test_trunc_normal_draws_the_normal_cut_to_its_interval(mean, std, a, b):
    """The default, ViT's std 0.02 (the bounds then cut nothing), an off-centre interval, a tail holding 2% of the
    mass, a narrow window, and a mean 1.25 std past the interval: a Kolmogorov-Smirnov test against scipy's
    truncnorm (the draws fixed by the seed, so the test is not flaky) and, when torch is installed, torch's
    draws' mean and spread to a few standard errors."""
    stats = pytest.importorskip("scipy.stats")
    w = nn.Parameter(np.zeros((200, 250), np.float32))
    assert nn.init.trunc_normal_(w, mean, std, a, b, generator=0) is w
    draws = w.data.astype(np.float64).ravel()
    assert a <= draws.min() and draws.max() <= b
    law = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert stats.kstest(draws, law.cdf).pvalue > 1e-3
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(0)
    theirs = torch.nn.init.trunc_normal_(torch.zeros(w.shape, dtype=torch.float64), mean, std, a, b).numpy()
    assert abs(draws.mean() - theirs.mean()) < 6 * theirs.std() / math.sqrt(draws.size)
    assert abs(draws.std() / theirs.std() - 1) < 0.02


@pytest.mark.parametrize("size, a, b", [(1, -2.0, 2.0), (2, 2.0, 3.0), (200_000, 2.0, 3.0)])
def test_trunc_normal_fills_any_size_in_batches_of_draws(size, a, b):
    """One element and two; and 200,000 from a tail holding 2% of the mass, which takes more than one batch of
    draws (at most 2^22 a batch): every element filled, in [a, b], distributed as the tail (Kolmogorov-Smirnov)."""
    stats = pytest.importorskip("scipy.stats")
    w = mg.tensor(np.full(size, np.nan))
    draws = nn.init.trunc_normal_(w, a=a, b=b, generator=1).data
    assert w.data is draws and (a <= draws).all() and (draws <= b).all()
    if size > 2:
        assert stats.kstest(draws, stats.truncnorm(a, b).cdf).pvalue > 1e-3


@pytest.mark.parametrize("shape", [(4, 3, 3, 3), (40, 3), (5, 5), (3, 10), (6, 2, 5), (1, 1)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_pytorchs_procedure_on_the_same_draws(shape, gain):
    """torch's orthogonal_, written here with torch.linalg.qr, run on the normal matrix the generator draws, gives
    the same tensor; its rows (or columns, when taller than wide) are orthonormal times the gain."""
    w = nn.Parameter(np.zeros(shape))
    assert nn.init.orthogonal_(w, gain, generator=5) is w
    rows = shape[0]
    cols = math.prod(shape) // rows
    flat = np.random.default_rng(5).normal(0.0, 1.0, (rows, cols))
    ours = w.data.reshape(rows, cols)
    small = ours @ ours.T if rows <= cols else ours.T @ ours
    np.testing.assert_allclose(small, gain ** 2 * np.eye(min(rows, cols)), atol=1e-12)
    torch = pytest.importorskip("torch")
    m = torch.tensor(flat.T if rows < cols else flat)
    q, r = torch.linalg.qr(m)
    q = q * torch.diag(r, 0).sign()
    theirs = (q.T if rows < cols else q).reshape(shape) * gain
    np.testing.assert_allclose(w.data, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_orthogonal_leaves_an_empty_tensor_as_it_is():
    for shape in ((0, 3), (3, 0), (2, 0, 3)):
        w = mg.tensor(np.ones(shape))
        assert nn.init.orthogonal_(w) is w and w.shape == shape


@pytest.mark.parametrize("shape, groups", [((4, 2, 3, 3), 2), ((6, 3, 3), 3), ((3, 5, 3, 3, 3), 1), ((2, 4, 2, 2), 1),
                                           ((5, 3, 1, 4), 1), ((0, 2, 3, 3), 1), ((6, 2, 3, 3), 3)])
def test_dirac_and_eye_fill_pytorchs_tensors(shape, groups):
    torch = pytest.importorskip("torch")
    w = nn.Parameter(np.full(shape, 7.0, np.float32))
    assert nn.init.dirac_(w, groups) is w
    np.testing.assert_array_equal(w.data, torch.nn.init.dirac_(torch.full(shape, 7.0), groups).numpy())
    assert_same_bits(nn.init.dirac_(mg.tensor(np.ones(shape, np.float32)), np.int64(groups)).data, w.data)
    assert_same_bits(nn.init.dirac_(mg.tensor(np.ones(shape, np.float32))).data,  # groups=1 by default
                     torch.nn.init.dirac_(torch.ones(shape)).numpy())
    matrix = nn.Parameter(np.full(shape[:2], 7.0))
    assert nn.init.eye_(matrix) is matrix
    np.testing.assert_array_equal(matrix.data, torch.nn.init.eye_(torch.full(shape[:2], 7.0)).numpy())


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_a_dirac_weight_makes_conv2d_and_conv_transpose2d_the_identity(groups):
    """What dirac_ is for: with padding k // 2 at stride 1 the conv passes its input through, grouped or not, and
    so does the transposed conv with the same weight (the kernel's centre is its own half turn)."""
    x = np.random.default_rng(0).standard_normal((2, 4, 6, 5))
    for kernel in ((3, 3), (5, 3), (1, 1)):
        w = nn.init.dirac_(mg.tensor(np.zeros((4, 4 // groups) + kernel)), groups)
        padding = tuple(k // 2 for k in kernel)
        np.testing.assert_array_equal(layers.functional.conv2d(x, w, padding=padding, groups=groups).data, x)
        np.testing.assert_array_equal(layers.functional.conv_transpose2d(x, w, padding=padding, groups=groups).data, x)


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.init.calculate_gain("gelu"), ValueError, "calculate_gain: unsupported nonlinearity 'gelu'"),
    (lambda: nn.init.calculate_gain("leaky_relu", True), ValueError, "leaky_relu's param is its negative slope"),
    (lambda: nn.init.calculate_gain("leaky_relu", "0.2"), ValueError, "leaky_relu's param is its negative slope"),
    (lambda: nn.init.xavier_uniform_(mg.tensor(np.ones(3))), ValueError, r"fans need a tensor of 2 dims or more, "
                                                                        r"got shape \(3,\)"),
    (lambda: nn.init.kaiming_normal_(mg.tensor(np.ones((2, 2))), mode="in"), ValueError,
     "kaiming_normal_: mode must be 'fan_in' or 'fan_out', got 'in'"),
    (lambda: nn.init.uniform_(np.ones(3)), TypeError, "uniform_: needs a floating-point minigrad tensor to fill, got "
                                                      "ndarray"),
    (lambda: nn.init.zeros_(mg.tensor(np.arange(3))), TypeError, "zeros_: needs a floating-point .* of int64"),
    (lambda: nn.init.trunc_normal_(mg.tensor(np.ones(3)), a=1.0, b=1.0), ValueError,
     r"trunc_normal_: needs a finite mean, std > 0 and a < b, got mean=0.0, std=1.0, a=1.0, b=1.0"),
    (lambda: nn.init.trunc_normal_(mg.tensor(np.ones(3)), std=0.0), ValueError, "std > 0"),
    (lambda: nn.init.trunc_normal_(mg.tensor(np.ones(3)), mean=float("nan")), ValueError, "a finite mean"),
    (lambda: nn.init.trunc_normal_(mg.tensor(np.ones(3)), mean=1e308, std=1e308), ValueError, r"holds 0 of N\(1e\+308"),
    (lambda: nn.init.trunc_normal_(mg.tensor(np.ones(3)), std=math.inf), ValueError, "std=inf"),
    (lambda: nn.init.trunc_normal_(np.ones(3)), TypeError, "trunc_normal_: needs a floating-point minigrad tensor"),
    (lambda: nn.init.trunc_normal_(mg.tensor(np.ones(3)), std="1"), ValueError, "std='1'"),
    (lambda: nn.init.trunc_normal_(mg.tensor(np.ones(3)), a=3.0, b=4.0), ValueError,
     r"trunc_normal_: \[3.0, 4.0\] holds 0.0013 of N\(0.0, 1.0²\), under 1%"),
    (lambda: nn.init.trunc_normal_(mg.tensor(np.ones(3)), mean=-30.0, a=-1.0, b=1.0), ValueError, "holds 3.3e-185 of"),
    (lambda: nn.init.trunc_normal_(mg.tensor(np.ones(3)), a=-0.01, b=0.01), ValueError, r"holds 0.008 of N\(0.0, 1.0²\)"),
    (lambda: nn.init.trunc_normal_(mg.tensor(np.ones(3)), mean=30.0, a=-1.0, b=1.0), ValueError, "holds 3.3e-185 of"),
    (lambda: nn.init.orthogonal_(mg.tensor(np.ones(3))), ValueError,
     r"orthogonal_: needs a tensor of 2 dims or more, as PyTorch's, got shape \(3,\)"),
    (lambda: nn.init.eye_(mg.tensor(np.ones((2, 2, 2)))), ValueError, r"eye_: needs a 2-D tensor, .* \(2, 2, 2\)"),
    (lambda: nn.init.dirac_(mg.tensor(np.ones((2, 2)))), ValueError, r"dirac_: needs a conv weight of 3, 4 or 5 dims"),
    (lambda: nn.init.dirac_(mg.tensor(np.ones((3, 2, 3, 3))), 2), ValueError,
     r"dirac_: groups must be an int >= 1 that divides dim 0, got 2 for shape \(3, 2, 3, 3\)"),
    (lambda: nn.init.dirac_(mg.tensor(np.ones((2, 2, 3, 3))), 0), ValueError, "groups must be an int >= 1"),
    (lambda: nn.init.dirac_(mg.tensor(np.ones((2, 2, 3, 3))), True), ValueError, "groups must be an int >= 1"),
    (lambda: nn.init.eye_(mg.tensor(np.arange(4).reshape(2, 2))), TypeError, "eye_: needs a floating-point"),
])
def test_init_refuses_what_it_cannot_fill(call, error, message):
    with pytest.raises(error, match=message):
        call()
