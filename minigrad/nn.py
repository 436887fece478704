"""Modules: containers of parameters and sub-modules, with PyTorch's names and default inits."""
import collections
import collections.abc
import math
import operator
import warnings

import numpy as np

from . import clip_grad, init, ops, windows  # init is mg.nn.init too, as torch.nn.init
from .io import atomic_write, load_npz
from .random import generator
from .tensor import Tensor, add_hook, as_dtype, as_tensor, cast, check_flags, check_numbers


utils = clip_grad  # mg.nn.utils.clip_grad_norm_, as torch.nn.utils's
IncompatibleKeys = collections.namedtuple("IncompatibleKeys", "missing_keys unexpected_keys")  # PyTorch's


def _kind(dtype):
    """What load_state_dict loads into what: floating point into floating point, integers into integers."""
    return {"f": "floating point", "i": "integer", "u": "integer", "b": "bool"}.get(dtype.kind, str(dtype))


class StateDictError(ValueError, RuntimeError):
    """load_state_dict's refusal: bad input (a ValueError), and the RuntimeError PyTorch raises there,
    so that code ported from PyTorch catches it."""


class Parameter(Tensor):
    """A tensor a Module registers and trains; requires_grad=False freezes it (PyTorch's signature)."""

    def __init__(self, data, requires_grad=True):
        super().__init__(data, requires_grad=requires_grad)


class Buffer(Tensor):
    """PyTorch's nn.Buffer: a tensor that, assigned to a Module's attribute, registers as a buffer (state that
    is not trained), which state_dict saves unless persistent is False. It shares data's array and keeps its
    requires_grad, as PyTorch's detach does; no data is an empty float32 tensor, as in PyTorch."""

    def __init__(self, data=None, *, persistent=True):
        check_flags("Buffer", persistent=persistent)
        data = np.empty(0, np.float32) if data is None else data
        super().__init__(data, requires_grad=isinstance(data, Tensor) and data.requires_grad)
        self.persistent = persistent


def check_count(op, name, value, least=1):
    """A count given to a module or tool (features, channels, sizes): an int >= least, not a bool."""
    if not ops._is_int(value) or value < least:
        raise ValueError(f"{op}: {name} must be an int >= {least}, got {value!r}")


def kaiming_uniform_bound(fan_in):
    """PyTorch's default for Linear and Conv weights, kaiming_uniform_(a=sqrt(5)): U(-b, b), b = 1/sqrt(fan_in).
    Their biases use the same bound."""
    return 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0


def parameter_dtype(op, dtype):
    """A module's dtype argument: None is float32, PyTorch's default dtype; it must be floating point."""
    dtype = np.dtype(np.float32) if dtype is None else as_dtype(dtype, op)
    if dtype.kind != "f":
        raise TypeError(f"{op}: parameters need a floating-point dtype, got {dtype}")
    return dtype


def uniform(shape, bound, rng, dtype=np.float32):
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


class Module:
    """Base class: assign Parameters and Modules as attributes and they are registered in order."""

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning {name}")
        registry = next((r for r in (self._parameters, self._buffers, self._modules) if name in r), None)
        if isinstance(value, Parameter):
            self._forget(name, self._buffers, self._modules)
            self._parameters[name] = value  # a name already registered keeps its place, as in PyTorch
        elif isinstance(value, Buffer) and (registry is None or registry is self._buffers):
            self.register_buffer(name, value, value.persistent)  # PyTorch's: the Buffer says whether it is saved
            return
        elif isinstance(value, Module) and registry is not self._parameters:  # over a parameter: refused below
            self._forget(name, self._buffers)
            self._modules[name] = value
        elif registry is not None and (value is None or registry is self._buffers and isinstance(value, Tensor)):
            registry[name] = value  # the name stays registered, in its place, as in PyTorch
        elif registry is not None:  # it would silently stop being trained or saved
            kind, expected = (("parameter", "Parameter") if registry is self._parameters else
                              ("buffer", "Tensor") if registry is self._buffers else ("child module", "Module"))
            hint = "; to change a parameter's values, set its .data" if registry is self._parameters else ""
            raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} as {kind} {name!r} "
                            f"({expected} or None expected{hint})")
        object.__setattr__(self, name, value)

    def _forget(self, name, *registries):
        for registry in registries:
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def add_module(self, name, module):
        """PyTorch's: register module (or None, a place kept for one) under name, as setattr would.
        The module is checked before the name, in PyTorch's order."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: cannot add {type(module).__name__} as module {name!r} "
                            "(Module or None expected)")
        self._check_name(self._modules, "module", name)
        self._modules[name] = None  # a new name's place, which setattr fills
        setattr(self, name, module)

    def register_parameter(self, name, param):
        """PyTorch's: register param (or None: Conv2d(bias=False) keeps a place for its bias) under name.
        The name is checked before the parameter, in PyTorch's order."""
        self._check_name(self._parameters, "parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}: cannot register {type(param).__name__} as {name!r} "
                            "(Parameter or None expected)")
        self._parameters[name] = None  # a new name's place, which setattr fills
        setattr(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """PyTorch's: register a tensor that is state but not trained (a constant, a running statistic)
        under name. Module.to casts it if floating point; state_dict saves it unless persistent is
        False. None keeps a place, as register_parameter's."""
        self._check_name(self._buffers, "buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{type(self).__name__}: cannot register {type(tensor).__name__} as buffer {name!r} "
                            "(Tensor or None expected; mg.tensor(array) makes one)")
        check_flags(f"{type(self).__name__}.register_buffer", persistent=persistent)
        self._buffers[name] = tensor  # not through setattr, which would move a Parameter to the parameters
        object.__setattr__(self, name, tensor)
        (self._non_persistent_buffers.discard if persistent else self._non_persistent_buffers.add)(name)

    def _check_name(self, registry, kind, name):
        """PyTorch's checks of a name to register: a KeyError for one that is not an attribute name or
        is taken by something else."""
        if not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: a {kind}'s name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{type(self).__name__}: a {kind}'s name must be non-empty and without '.', got {name!r}")
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"{type(self).__name__}: attribute {name!r} already exists")

    def __delattr__(self, name):
        self._forget(name, self._parameters, self._buffers, self._modules)
        object.__delattr__(self, name)

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):  # a hook may remove itself
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook):
        """PyTorch's: each call runs hook(module, args) before forward, args the positional arguments as a
        tuple; what it returns, unless None, becomes them (one value, not a tuple, is the one argument).
        Returns a handle: handle.remove() takes the hook away."""
        return add_hook(self._forward_pre_hooks, hook, f"{type(self).__name__}.register_forward_pre_hook")

    def register_forward_hook(self, hook):
        """PyTorch's: each call runs hook(module, args, output) after forward; what it returns, unless None,
        becomes the output (to see each layer's output in a cross-check). Returns a handle, as above."""
        return add_hook(self._forward_hooks, hook, f"{type(self).__name__}.register_forward_hook")

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward method: a Module subclass defines one")

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module (named prefix) and every module below it, depth first. A
        module reached twice (shared) comes once unless remove_duplicate is False, as in PyTorch;
        memo is its set of modules already met, skipped here and added to."""
        if memo is None:
            memo = set()
        elif not isinstance(memo, set):  # named_modules("m") read the prefix as a memo
            raise TypeError(f"named_modules: memo (PyTorch's first argument) must be a set of modules, got "
                            f"{memo!r:.60}; give prefix by name")

        def walk(module, name):
            if module in memo:
                return
            if remove_duplicate:
                memo.add(module)
            yield name, module
            for child_name, child in module._modules.items():
                if child is not None:
                    yield from walk(child, f"{name}.{child_name}" if name else child_name)
        yield from walk(self, prefix)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        """(name, module) for each direct submodule, a shared one once, as in PyTorch."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, parameter) in registration order, depth first (recurse=False: this module's
        own); a shared parameter comes once unless remove_duplicate is False (state_dict names it
        under each of its names)."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """An iterator, as PyTorch's (next(model.parameters()) is a common way to read the dtype)."""
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, buffer), as named_parameters, persistent or not."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def _named_members(self, members, prefix, recurse, remove_duplicate):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, t in members(module):
                if t is None or remove_duplicate and id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{module_name}.{name}" if module_name else name), t

    def apply(self, fn):
        """fn(module) for every submodule, then for this one (PyTorch's order, for custom inits)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, dtype):
        """Cast every parameter and floating-point buffer (and their gradients) to a floating-point dtype
        in place, keeping the Parameter objects an optimizer holds, as PyTorch's Module.to(dtype).
        Returns self."""
        if dtype is None:  # as PyTorch's module.to(None): nothing to change
            return self
        dtype = parameter_dtype(f"{type(self).__name__}.to", dtype)
        for t in [*self.parameters(), *(b for b in self.buffers() if b.dtype.kind == "f")]:
            t.data = cast(t.data, dtype)
            if t.grad is not None:
                t.grad = cast(t.grad, dtype)
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    def train(self, mode=True):
        if not isinstance(mode, bool):  # model.train(0) set training to 0, which layers read as a flag
            raise ValueError(f"{type(self).__name__}.train: mode must be True or False, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter: backward leaves a frozen one's grad None, and
        the optimizers skip a parameter without a grad."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """grad None (PyTorch's default), or zeros where there was one (set_to_none=False)."""
        for p in self.parameters():
            p.zero_grad(set_to_none)

    def _state(self):
        """(dotted name, tensor) for what state_dict saves: each module's parameters, then its persistent
        buffers, module after module as named_modules goes (PyTorch's order), a shared one under each name."""
        def saved(m):
            buffers = ((n, b) for n, b in m._buffers.items() if n not in m._non_persistent_buffers)
            return [*m._parameters.items(), *buffers]
        return self._named_members(saved, "", True, remove_duplicate=False)

    def state_dict(self):
        return {name: t.data.copy() for name, t in self._state()}

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays (or tensors) into the parameters and persistent buffers; returns (missing_keys,
        unexpected_keys). strict: the keys must match exactly. Either way the shapes must, and the kinds
        of number (floating point, integer, bool); on any problem nothing is changed and the error lists
        every problem (PyTorch's rules, but for the kinds: PyTorch would load 2.7 into an integer as 2)."""
        if not isinstance(state_dict, collections.abc.Mapping):  # else an AttributeError naming no module
            raise TypeError(f"load_state_dict into {type(self).__name__}: expected a dict of arrays, "
                            f"got {type(state_dict).__name__}")
        targets = dict(self._state())
        arrays = {k: np.asarray(v.data if isinstance(v, Tensor) else v) for k, v in state_dict.items()}
        missing, unexpected = [k for k in targets if k not in arrays], [k for k in arrays if k not in targets]
        problems = [f"missing key {k!r}" for k in missing] + [f"unexpected key {k!r}" for k in unexpected]
        problems = problems if strict else []
        problems += [f"{k!r}: shape {arrays[k].shape} != expected {t.shape}"
                     for k, t in targets.items() if k in arrays and arrays[k].shape != t.shape]
        problems += [f"{k!r}: dtype {arrays[k].dtype} is not {_kind(t.dtype)}"
                     for k, t in targets.items() if k in arrays and _kind(arrays[k].dtype) != _kind(t.dtype)]
        if problems:
            raise StateDictError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for k, t in targets.items():
            if k in arrays:
                t.data = cast(arrays[k], t.dtype, copy=True)
        return IncompatibleKeys(missing, unexpected)

    def save(self, path):
        """Write the state_dict to an .npz file, atomically."""
        with atomic_write(path, suffix=".npz") as tmp:
            np.savez(tmp, **self.state_dict())

    def load(self, path):
        self.load_state_dict(load_npz(path))
        return self

    def num_parameters(self):
        return sum(p.numel() for p in self.parameters())

    def extra_repr(self):
        return ""

    def __repr__(self):
        """PyTorch's layout: the settings inline when there are no children, else a line above them."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({n}): " + repr(m).replace("\n", "\n  ") for n, m in self._modules.items()]
        if len(lines) == 1 and not children:
            return f"{type(self).__name__}({lines[0]})"
        body = "".join("\n  " + line for line in lines + children)
        return f"{type(self).__name__}({body}{chr(10) if body else ''})"


class _ModuleSequence(Module):
    """What Sequential and ModuleList share, as in PyTorch: modules by position, replaced with
    m[i] = module (a layer swapped for another), removed with del m[i] or pop, added with insert;
    a removal or an insertion numbers them 0, 1, ... again."""

    def __len__(self):
        return len(self._modules)

    def _position(self, index, op="", end=0):
        """index counted from 0, checked as list's: -len <= index < len (+ end: insert may point past the last)."""
        try:
            index = operator.index(index)
        except TypeError:
            kinds = "an int" if op else "an int or a slice"
            raise TypeError(f"{type(self).__name__}{op}: an index must be {kinds}, got {index!r:.80}") from None
        if not -len(self) <= index < len(self) + end:
            raise IndexError(f"{type(self).__name__}{op}: index {index} is out of range for {len(self)} modules")
        return index + len(self) if index < 0 else index

    def _name_at(self, index):
        return list(self._modules)[self._position(index)]

    def __setitem__(self, index, module):
        setattr(self, self._name_at(index), module)

    def __delitem__(self, index):
        names = list(self._modules)[index] if isinstance(index, slice) else [self._name_at(index)]
        self._renumber([m for name, m in self._modules.items() if name not in names])

    def extend(self, modules):
        """append each module in turn (PyTorch's); returns self."""
        for module in modules:
            self.append(module)
        return self

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def _insert(self, index, module):
        index = self._position(index, ".insert", end=1)
        modules = list(self._modules.values())
        self._renumber(modules[:index] + [module] + modules[index:])

    def _renumber(self, modules):
        for name in list(self._modules):
            delattr(self, name)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)


class Sequential(_ModuleSequence):
    def __init__(self, *modules):
        super().__init__()
        self.extend(modules)

    def extend(self, sequential):  # PyTorch's Sequential names it so, its ModuleList modules
        return super().extend(sequential)

    def __getitem__(self, index):
        """A module by position, or a slice as a Sequential that keeps the modules' names (as PyTorch's)."""
        if not isinstance(index, slice):
            return self._modules[self._name_at(index)]
        part = Sequential()
        for name, module in list(self._modules.items())[index]:
            part.add_module(name, module)  # None keeps its place, as in PyTorch
        return part

    def insert(self, index, module):
        """module before position index (PyTorch's: a Module, not None)."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.insert: expected a Module, got {type(module).__name__}")
        self._insert(index, module)
        return self

    def append(self, module):
        """Add a module at the end, named by its position (PyTorch's)."""
        name = str(len(self))
        if name in self._modules:  # a slice keeps its names; PyTorch replaces that module
            raise ValueError(f"Sequential.append: this Sequential is a slice, named {list(self._modules)}: "
                             f"{name!r} is taken")
        self.add_module(name, module)  # a non-Module would be a plain attribute, which forward skips
        return self

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x


class ModuleList(_ModuleSequence):
    """PyTorch's nn.ModuleList: modules registered as "0", "1", ..., so parameters() and state_dict()
    find them (a plain list of modules hides them: an optimizer would never train them)."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def __getitem__(self, index):
        """A module by position, or a slice as a new ModuleList numbered from 0 (as PyTorch's)."""
        if not isinstance(index, slice):
            return self._modules[self._name_at(index)]
        return ModuleList(list(self._modules.values())[index])

    def insert(self, index, module):
        """module (or None) before position index; returns None, as PyTorch's."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"ModuleList.insert: expected a Module or None, got {type(module).__name__}")
        self._insert(index, module)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)  # a non-Module would be a plain attribute, unregistered
        return self


class Linear(Module):
    """y = x @ weight^T + bias, weight (out_features, in_features), PyTorch's default init."""

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=None):
        super().__init__()
        dtype = parameter_dtype("Linear", dtype)
        check_count("Linear", "in_features", in_features, least=0)  # PyTorch allows empty layers: y = bias
        check_count("Linear", "out_features", out_features, least=0)
        self.in_features, self.out_features = in_features, out_features
        rng, bound = generator(rng, "Linear"), kaiming_uniform_bound(in_features)
        self.weight = Parameter(uniform((out_features, in_features), bound, rng, dtype))
        if bias:
            self.bias = Parameter(uniform((out_features,), bound, rng, dtype))
        else:
            self.register_parameter("bias", None)  # a place kept for one, as in PyTorch

    def forward(self, x):
        x = as_tensor(x, op="Linear")
        if x.shape[-1:] != (self.in_features,):  # a 0-D input has no last dimension: x.shape[-1] was an IndexError
            raise ValueError(f"Linear: expected last dimension {self.in_features}, got input shape {x.shape}")
        return ops.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Unfold(Module):
    """PyTorch's nn.Unfold: windows as columns, (N, C, H, W) -> (N, C kh kw, L) (windows.unfold)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        windows.window_args("Unfold", kernel_size, stride, padding, dilation)
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, x):
        return windows.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):  # PyTorch's
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


class Fold(Module):
    """PyTorch's nn.Fold: columns summed back onto (N, C, H, W) images, unfold's adjoint (windows.fold)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        windows.int_pair(output_size, "output_size", "Fold")
        windows.window_args("Fold", kernel_size, stride, padding, dilation)
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, x):
        return windows.fold(x, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):  # PyTorch's
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Flatten(Module):
    """PyTorch's nn.Flatten: axes start_dim to end_dim merged into one; by default every axis after
    the batch axis (ops.flatten)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return ops.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):  # PyTorch's
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class NLLLoss(Module):
    """PyTorch's nn.NLLLoss: ops.nll_loss(input, target) with the settings given here, which are checked
    here. The weight is a buffer, as PyTorch's: in the state_dict, and cast by Module.to."""

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean"):
        super().__init__()
        ops._check_loss_settings("nll_loss", ignore_index, reduction)
        self.register_buffer("weight", None if weight is None else as_tensor(weight, op="NLLLoss"))
        self.ignore_index, self.reduction = ignore_index, reduction

    def forward(self, input, target):  # noqa: A002  torch's names
        return ops.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(Module):
    """PyTorch's nn.CrossEntropyLoss: ops.cross_entropy(input, target) with the settings given here, which
    are checked here; the weight as NLLLoss's."""

    def __init__(self, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__()
        ops._check_loss_settings("cross_entropy", ignore_index, reduction, label_smoothing)
        self.register_buffer("weight", None if weight is None else as_tensor(weight, op="CrossEntropyLoss"))
        self.ignore_index, self.reduction, self.label_smoothing = ignore_index, reduction, label_smoothing

    def forward(self, input, target):  # noqa: A002  torch's names
        return ops.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                                 reduction=self.reduction, label_smoothing=self.label_smoothing)


class _ElementwiseLoss(Module):
    """PyTorch's nn.MSELoss and nn.L1Loss: the function of (input, target) with the reduction given here, by
    name (PyTorch's first arguments are its deprecated size_average and reduce), checked here."""
    function = None

    def __init__(self, *, reduction="mean"):
        super().__init__()
        ops._check_reduction(type(self).__name__, reduction)
        self.reduction = reduction

    def forward(self, input, target):  # noqa: A002  torch's names
        return type(self).function(input, target, self.reduction)


class MSELoss(_ElementwiseLoss):
    """PyTorch's nn.MSELoss: ops.mse_loss."""
    function = staticmethod(ops.mse_loss)


class L1Loss(_ElementwiseLoss):
    """PyTorch's nn.L1Loss: ops.l1_loss."""
    function = staticmethod(ops.l1_loss)


class Dropout(Module):
    """PyTorch's nn.Dropout: ops.dropout in training, the input itself after eval(). inplace=True is taken
    and shown, as ReLU's."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        ops._check_dropout_probability(type(self).__name__, p)  # when made, as PyTorch's
        check_flags(type(self).__name__, inplace=inplace)
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return ops.dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self):  # PyTorch's
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """PyTorch's nn.Dropout2d: ops.dropout2d, whole channels of an (N, C, H, W) input, in training only."""

    def forward(self, x):
        return ops.dropout2d(x, self.p, self.training, self.inplace)


def _register_affine(module, shape, dtype, affine, bias):
    """A normalization's weight (γ, ones) and bias (β, zeros) of shape as parameters, as PyTorch's: neither
    without affine, no bias for bias=False."""
    module.register_parameter("weight", Parameter(np.ones(shape, dtype)) if affine else None)
    module.register_parameter("bias", Parameter(np.zeros(shape, dtype)) if affine and bias else None)


def _reset_affine(module):
    """A normalization's reset_parameters: weight back to ones and bias to zeros, in place (init's, so a graph
    that kept them refuses its backward), as PyTorch's."""
    for name, fill in (("weight", init.ones_), ("bias", init.zeros_)):
        if getattr(module, name) is not None:
            fill(getattr(module, name))


class _BatchNorm(Module):
    """PyTorch's batch norm modules: ops.batch_norm with weight (γ, ones) and bias (β, zeros) as parameters and
    running_mean, running_var and num_batches_tracked as buffers. Training moves the running statistics toward
    each batch's by momentum (None: to their average over every batch so far); after eval() they normalize.
    Settings are checked when the module is made; dtype is the parameters' and statistics' (float32 default)."""
    dims = ()  # the input ndims a subclass takes

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, *, dtype=None,
                 bias=True):
        super().__init__()
        op = type(self).__name__
        check_count(op, "num_features", num_features)
        check_flags(op, affine=affine, track_running_stats=track_running_stats, bias=bias)
        ops._check_non_negative(op, eps=eps, **({} if momentum is None else {"momentum": momentum}))
        dtype = parameter_dtype(op, dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _register_affine(self, num_features, dtype, affine, bias)
        statistics = {"running_mean": np.zeros(num_features, dtype), "running_var": np.ones(num_features, dtype),
                      "num_batches_tracked": np.array(0, np.int64)}
        for name, value in statistics.items():
            self.register_buffer(name, Tensor(value) if track_running_stats else None)

    def reset_running_stats(self):
        """PyTorch's: the running statistics back to mean 0, variance 1 and no batches, in place."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """PyTorch's: the running statistics reset, weight back to ones and bias to zeros, in place."""
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, x):
        x = as_tensor(x, op=type(self).__name__)
        if x.ndim not in self.dims:
            expected = " or ".join(f"{d}D" for d in self.dims)
            raise ValueError(f"{type(self).__name__}: expected {expected} input (got {x.ndim}D input)")
        tracking = self.training and self.track_running_stats
        momentum = self.momentum
        if momentum is None:  # the cumulative average: this batch counts 1 / (the batches so far, it included)
            momentum = 1 / (int(self.num_batches_tracked.item()) + 1) if tracking else 0.0
        stats = (self.running_mean, self.running_var) if tracking or not self.training else (None, None)
        y = ops.batch_norm(x, *stats, self.weight, self.bias, self.training or stats[0] is None, momentum, self.eps)
        if tracking:  # after the call, so a refused input counts no batch
            self.num_batches_tracked.data += 1  # in place, as PyTorch's: + 1 made a NumPy scalar of it
        return y

    def extra_repr(self):  # PyTorch's
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """PyTorch's nn.BatchNorm1d: (N, C) or (N, C, L) inputs."""
    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """PyTorch's nn.BatchNorm2d: (N, C, H, W) inputs."""
    dims = (4,)


class BatchNorm3d(_BatchNorm):
    """PyTorch's nn.BatchNorm3d: (N, C, D, H, W) inputs."""
    dims = (5,)


class _AffineNorm(Module):
    """LayerNorm's and GroupNorm's reset_parameters, PyTorch's: weight back to ones and bias to zeros, in place."""

    def reset_parameters(self):
        _reset_affine(self)


class LayerNorm(_AffineNorm):
    """PyTorch's nn.LayerNorm: ops.layer_norm over the last dims, normalized_shape (an int for one dim), with
    weight (ones) and bias (zeros) of that shape as parameters, neither for elementwise_affine=False, no bias
    for bias=False. Settings are checked when the module is made; dtype by name, as the batch norms'."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, *, dtype=None):
        super().__init__()
        self.normalized_shape = shape = ops._normalized_shape("LayerNorm", normalized_shape)
        check_flags("LayerNorm", elementwise_affine=elementwise_affine, bias=bias)
        ops._check_non_negative("LayerNorm", eps=eps)
        dtype = parameter_dtype("LayerNorm", dtype)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _register_affine(self, shape, dtype, elementwise_affine, bias)

    def forward(self, x):
        return ops.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):  # PyTorch's
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(_AffineNorm):
    """PyTorch's nn.GroupNorm: ops.group_norm of num_channels channels in num_groups groups, with one weight
    (ones) and bias (zeros) per channel as parameters, neither for affine=False, no bias for bias=False.
    Settings are checked when the module is made; dtype by name, as the batch norms'."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, *, dtype=None, bias=True):
        super().__init__()
        check_count("GroupNorm", "num_groups", num_groups)
        check_count("GroupNorm", "num_channels", num_channels, least=0)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups}), as PyTorch requires")
        check_flags("GroupNorm", affine=affine, bias=bias)
        ops._check_non_negative("GroupNorm", eps=eps)
        dtype = parameter_dtype("GroupNorm", dtype)
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _register_affine(self, num_channels, dtype, affine, bias)

    def forward(self, x):
        x = as_tensor(x, op="GroupNorm")
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: expected input (N, {self.num_channels}, ...), got shape {x.shape}")
        return ops.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):  # PyTorch's
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class _InPlaceTaken(Module):
    """The activations' inplace: True, as ported models write it, is taken and shown, but the result is a new
    tensor all the same (its values and gradients are the same; the input keeps its values)."""

    def __init__(self, inplace=False):
        super().__init__()
        check_flags(type(self).__name__, inplace=inplace)
        self.inplace = inplace

    def extra_repr(self):  # PyTorch's
        return "inplace=True" if self.inplace else ""


class ReLU(_InPlaceTaken):
    """PyTorch's nn.ReLU: ops.relu."""

    def forward(self, x):
        return ops.relu(x)


class LeakyReLU(_InPlaceTaken):
    """PyTorch's nn.LeakyReLU: ops.leaky_relu."""

    def __init__(self, negative_slope=0.01, inplace=False):
        check_numbers("LeakyReLU", negative_slope=negative_slope)
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, x):
        return ops.leaky_relu(x, self.negative_slope)

    def extra_repr(self):  # PyTorch's
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class SiLU(_InPlaceTaken):
    """PyTorch's nn.SiLU: ops.silu."""

    def forward(self, x):
        return ops.silu(x)


class ELU(_InPlaceTaken):
    """PyTorch's nn.ELU: ops.elu."""
    function = staticmethod(ops.elu)
    divides_by_alpha = False  # CELU's: x / alpha

    def __init__(self, alpha=1.0, inplace=False):
        ops._check_alpha(type(self).__name__, alpha, divisor=self.divides_by_alpha)
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, x):
        return type(self).function(x, self.alpha)

    def extra_repr(self):  # PyTorch's
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """PyTorch's nn.CELU: ops.celu."""
    divides_by_alpha = True
    function = staticmethod(ops.celu)


class SELU(_InPlaceTaken):
    """PyTorch's nn.SELU: ops.selu."""

    def forward(self, x):
        return ops.selu(x)


class GELU(Module):
    """PyTorch's nn.GELU: ops.gelu; approximate="tanh" its tanh form."""

    def __init__(self, approximate="none"):
        super().__init__()
        ops._check_approximate("GELU", approximate)
        self.approximate = approximate

    def forward(self, x):
        return ops.gelu(x, self.approximate)

    def extra_repr(self):  # PyTorch's
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """PyTorch's nn.Softplus: ops.softplus."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        ops._check_beta("Softplus", beta, threshold)
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return ops.softplus(x, self.beta, self.threshold)

    def extra_repr(self):  # PyTorch's
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(_InPlaceTaken):
    """PyTorch's nn.Hardtanh: ops.hardtanh."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        ops._check_bounds("Hardtanh", min_val, max_val)
        super().__init__(inplace)
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        return ops.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):  # PyTorch's
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(_InPlaceTaken):
    """PyTorch's nn.ReLU6: ops.relu6."""

    def forward(self, x):
        return ops.relu6(x)


class Hardsigmoid(_InPlaceTaken):
    """PyTorch's nn.Hardsigmoid: ops.hardsigmoid."""

    def forward(self, x):
        return ops.hardsigmoid(x)

    def extra_repr(self):  # PyTorch's shows no inplace
        return ""


class Hardswish(_InPlaceTaken):
    """PyTorch's nn.Hardswish: ops.hardswish."""

    def forward(self, x):
        return ops.hardswish(x)

    def extra_repr(self):  # PyTorch's shows no inplace
        return ""


class Mish(_InPlaceTaken):
    """PyTorch's nn.Mish: ops.mish."""

    def forward(self, x):
        return ops.mish(x)


class LogSigmoid(Module):
    """PyTorch's nn.LogSigmoid: ops.logsigmoid."""

    def forward(self, x):
        return ops.logsigmoid(x)


class Softsign(Module):
    """PyTorch's nn.Softsign: ops.softsign."""

    def forward(self, x):
        return ops.softsign(x)


class Tanhshrink(Module):
    """PyTorch's nn.Tanhshrink: ops.tanhshrink."""

    def forward(self, x):
        return ops.tanhshrink(x)


class Sigmoid(Module):
    """PyTorch's nn.Sigmoid: ops.sigmoid."""

    def forward(self, x):
        return ops.sigmoid(x)


class Tanh(Module):
    """PyTorch's nn.Tanh: ops.tanh."""

    def forward(self, x):
        return ops.tanh(x)


class Identity(Module):
    """PyTorch's nn.Identity: the input itself; any arguments are taken and ignored, as PyTorch's (a
    placeholder for a layer that takes them)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class _SoftmaxModule(Module):
    """PyTorch's nn.Softmax and nn.LogSoftmax: the function along dim. dim None is PyTorch's old implicit
    choice, with its warning: dim 0 of a 0-, 1- or 3-D input, else dim 1."""
    function = None

    def __init__(self, dim=None):
        super().__init__()
        if dim is not None and not ops._is_int(dim):
            raise TypeError(f"{type(self).__name__}: dim must be an int or None, got {dim!r}")
        self.dim = dim

    def forward(self, x):
        x, dim = as_tensor(x, op=type(self).__name__), self.dim
        if dim is None:
            warnings.warn(f"{type(self).__name__}: no dim given, so dim is chosen from the input's ndim, as PyTorch "
                          "chooses it (and warns); give dim=", UserWarning, stacklevel=3)  # the caller's line
            dim = 0 if x.ndim in (0, 1, 3) else 1
        return type(self).function(x, dim)

    def extra_repr(self):  # PyTorch's
        return f"dim={self.dim}"


class Softmax(_SoftmaxModule):
    """PyTorch's nn.Softmax: ops.softmax along dim."""
    function = staticmethod(ops.softmax)


class LogSoftmax(_SoftmaxModule):
    """PyTorch's nn.LogSoftmax: ops.log_softmax along dim."""
    function = staticmethod(ops.log_softmax)
