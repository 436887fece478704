"""Tensor, Function and reverse-mode differentiation.

A Tensor wraps an ndarray. Applying a Function to tensors runs ``forward`` on their arrays and, when
any input requires a gradient, records the Function as the output's creator. ``backward`` visits
the recorded graph in reverse topological order and hands each Function the gradient of its
output; the Function returns one gradient per input (its vector-Jacobian product).

The broadcasting rule lives here, once: a gradient whose shape differs from its input's (because
the forward broadcast the input) is summed back to the input's shape.

So does PyTorch's version check: in-place changes count against the memory they change, and
backward refuses a Function whose kept arrays' memory has changed since its forward.
"""
import copy
import functools
import inspect
import itertools
import numbers
import threading
import weakref

import numpy as np

_versions = {}  # id of an array's memory owner -> the in-place changes it has had (PyTorch's version counter)
_NOT_NUMBERS = "OSUVMm"  # dtype kinds a tensor cannot hold: objects, strings, raw bytes, dates and times


class _GradMode(threading.local):
    enabled = True  # per thread, as PyTorch's grad mode: another thread's no_grad() leaves this one recording


_grad_mode = _GradMode()


class _SetsGradMode:
    """Recording set to ``mode`` inside a with block, a decorated function or each resumption of a
    decorated generator, and restored after: PyTorch's grad-mode context managers and decorators."""

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.previous, _grad_mode.enabled = _grad_mode.enabled, self.mode

    def __exit__(self, *exc_info):
        _grad_mode.enabled = self.previous

    def __call__(self, func):
        mode = self.mode  # each call gets a context of its own: recursion and threads share the decorated function
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def resumed_in_mode(*args, **kwargs):
                # a generator's body runs at each next(), not at the call, so each resumption gets the mode
                generator, sent, thrown = func(*args, **kwargs), None, None
                while True:
                    with _SetsGradMode(mode):
                        try:
                            item = generator.send(sent) if thrown is None else generator.throw(thrown)
                        except StopIteration as stop:
                            return stop.value
                    try:
                        sent, thrown = (yield item), None
                    except GeneratorExit:
                        with _SetsGradMode(mode):
                            generator.close()
                        raise
                    except BaseException as e:  # thrown into the wrapper: passed on to the generator
                        sent, thrown = None, e
            return resumed_in_mode

        @functools.wraps(func)
        def called_in_mode(*args, **kwargs):
            with _SetsGradMode(mode):
                return func(*args, **kwargs)
        return called_in_mode


class set_grad_enabled(_SetsGradMode):
    """PyTorch's: recording on (True) or off (False) from now on, and, as a context manager, back to
    what it was on exit (``with set_grad_enabled(phase == "train"):``); as a decorator, only inside."""

    def __init__(self, mode):
        if not isinstance(mode, bool):  # "eval" or 0 would be taken as a flag
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        super().__init__(mode)
        super().__enter__()

    def __enter__(self):
        return None

    def __call__(self, func):
        _grad_mode.enabled = self.previous  # @set_grad_enabled(False) sets nothing when it decorates
        return super().__call__(func)


def no_grad(func=None):
    """Run without recording the graph (evaluation, optimizer steps): ``with no_grad():``, or as a
    decorator, ``@no_grad()`` or ``@no_grad``, as PyTorch's."""
    return _SetsGradMode(False) if func is None else _SetsGradMode(False)(func)


def enable_grad(func=None):
    """Record again, inside no_grad (PyTorch's); a decorator too."""
    return _SetsGradMode(True) if func is None else _SetsGradMode(True)(func)


def is_grad_enabled():
    return _grad_mode.enabled


def _memory_owner(array):
    """The ndarray that owns array's memory: the last ndarray down its chain of bases (a view's base,
    as_strided's through a helper object that has one too)."""
    owner = array
    while array is not None:
        if isinstance(array, np.ndarray):
            owner = array
        array = getattr(array, "base", None)
    return owner


def _version_of(owner):
    """How many in-place changes the memory owner has had."""
    return _versions.get(id(owner), 0)


def changed_in_place(array):
    """Count an in-place change of array's memory (+=, t[i] = v, an optimizer step): backward then
    refuses a graph that kept an array sharing it, as PyTorch does by its tensors' versions."""
    owner = _memory_owner(array)
    if id(owner) not in _versions:
        weakref.finalize(owner, _versions.pop, id(owner), None)  # its id may be another array's later
    _versions[id(owner)] = _version_of(owner) + 1


def check_unrecorded_change(t, value, op):
    """The graph does not record in-place changes (PyTorch's records them, except of a leaf that
    requires a gradient): while it records, t must not require a gradient, nor the value written
    into it, whose gradient would be lost silently."""
    if not _grad_mode.enabled:
        return
    if t.requires_grad:
        why = "PyTorch refuses it too" if t.is_leaf else "minigrad does not record in-place changes (PyTorch does)"
        raise RuntimeError(f"{op}: an in-place change of a tensor that requires a gradient, while the graph records: "
                           f"{why}; write t = t + x (a new tensor) for a change the gradient should see, or make it "
                           "under no_grad()")
    if isinstance(value, Tensor) and value.requires_grad:
        raise RuntimeError(f"{op}: writes a value that requires a gradient while the graph records, and minigrad does "
                           "not record in-place changes (PyTorch does): that gradient would be lost; write t = t + x "
                           "(or mg.where, mg.cat) for a new tensor, or detach() the value")


def _kept_versions(kept):
    """(owner, shape, version) for the memory of the arrays in kept (a Function's attributes): arrays,
    and arrays in tuples and lists, one entry per owner."""
    owners, pending = {}, list(kept)
    while pending:
        value = pending.pop()
        if isinstance(value, np.ndarray):
            owner = _memory_owner(value)
            owners[id(owner)] = owner, value.shape
        elif isinstance(value, (tuple, list)):
            pending.extend(value)
    return [(owner, shape, _version_of(owner)) for owner, shape in owners.values()]


def _check_differentiable(array, op):
    if array.dtype.kind != "f":
        raise TypeError(f"{op}: gradients need floating-point data, got dtype {array.dtype}")


def _flag(op, requires_grad):
    """requires_grad as PyTorch takes it, True or False: NumPy's form tensor(data, np.float32) made
    a float64 tensor that required a gradient."""
    if not isinstance(requires_grad, (bool, np.bool_)):
        hint = " (a dtype goes by keyword: dtype=...)" if isinstance(requires_grad, (type, np.dtype, str)) else ""
        raise TypeError(f"{op}: requires_grad must be True or False, got {requires_grad!r}{hint}")
    return bool(requires_grad)


def _no_numbers_error(op, value):
    """The error for an operand that holds no numbers (a string, None), worded alike for every op."""
    return TypeError(f"{op}: takes a number, an array or a tensor, got {value!r:.60}")


def _is_int(value):
    """An int dim or size; a bool is not one, as in PyTorch (x.sum(True) counted it as dim 1)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_real(value):
    """A real number, NumPy's scalars included; a bool is not one here (lr=True is a mistake, not 1)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_numbers(op, **values):
    """Settings of a module, op or optimizer: real numbers, a bool not one (PyTorch's own TypeError, where it has one,
    comes later and names no op)."""
    for name, value in values.items():
        if not _is_real(value):
            raise TypeError(f"{op}: {name} must be a number, got {value!r}")


def check_flags(op, **flags):
    """Flags given to a module, op or optimizer: True or False only, as PyTorch takes them
    (avg_pool2d(x, 2, 2, 0, 1), max_pool2d's order with a dilation of 1, would set ceil_mode)."""
    for name, value in flags.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{op}: {name} must be True or False, got {value!r}")


def cast(data, dtype, copy=False):
    """data as an array of dtype (None: its own), a value out of its range inf, or an integer dtype's
    undefined value for NaN, silently as in PyTorch (NumPy warns: "overflow encountered in cast")."""
    with np.errstate(all="ignore"):
        return np.array(data, dtype=dtype) if copy else np.asarray(data, dtype=dtype)


class RemovableHandle:
    """What Tensor.register_hook and a Module's forward hooks return, PyTorch's: remove() takes the hook away
    (a second time does nothing), and so does leaving a with block."""

    _ids = itertools.count()

    def __init__(self, hooks):
        self.hooks, self.id = hooks, next(RemovableHandle._ids)

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def add_hook(hooks, hook, op):
    """hook into hooks, a dict kept in the order hooks are added; its handle returned."""
    if not callable(hook):
        raise TypeError(f"{op}: hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


class Tensor:
    """An ndarray that remembers how it was computed, so gradients can flow back to it."""

    __array_priority__ = 100  # ndarray <op> Tensor defers to Tensor's reflected operators
    _hooks = None  # register_hook's, by handle id: most tensors have none, so none is made for them

    def __init__(self, data, requires_grad=False, dtype=None):
        requires_grad = _flag(type(self).__name__, requires_grad)
        if isinstance(data, Tensor):
            data = data.data
        data = np.asarray(data) if dtype is None else cast(data, dtype)  # errstate costs a microsecond per op
        if data.dtype.kind in _NOT_NUMBERS:  # strings were taken, and failed later in some op
            example = f" such as {type(data.flat[0]).__name__}" if data.dtype == object and data.size else ""
            raise TypeError(f"Tensor: needs numbers (bool, integer, floating point), got dtype {data.dtype}{example}")
        if requires_grad:
            _check_differentiable(data, "Tensor")
        self.data = data
        self.requires_grad = requires_grad
        self._grad = None
        self._creator = None
        self.retains_grad = False  # a computed tensor keeps its .grad too (retain_grad)

    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    T = property(lambda self: self.permute(tuple(reversed(range(self.ndim)))))  # torch's .T: axes reversed
    is_leaf = property(lambda self: self._creator is None)  # torch's: made by the user, not by an op in the graph
    grad_fn = property(lambda self: self._creator)  # torch's: the Function that made this tensor; None for a leaf
    _version = property(lambda self: _version_of(_memory_owner(self.data)))  # torch's: shared by views

    @property
    def grad(self):
        """dL/d(this tensor), an array of its shape and dtype, filled by backward (None before)."""
        return self._grad

    @grad.setter
    def grad(self, value):
        # checked as PyTorch checks it: a (2,) gradient for a (2, 2) parameter broadcast in SGD's step,
        # and Adam's kernel read past its end
        value = value.data if isinstance(value, Tensor) else value
        if value is not None and not (isinstance(value, np.ndarray) and value.shape == self.shape
                                      and value.dtype == self.dtype):
            got = (f"shape {value.shape} and dtype {value.dtype}" if isinstance(value, np.ndarray)
                   else type(value).__name__)
            raise RuntimeError(f"grad: an assigned gradient needs the tensor's shape {self.shape} and dtype "
                               f"{self.dtype}, as in PyTorch; got {got}")
        self._grad = value

    def size(self, dim=None):
        """PyTorch's size(): the shape, or the length of one dim (numel() counts the elements)."""
        if dim is None:
            return self.shape
        if not _is_int(dim):
            raise TypeError(f"size: dim must be an int, got {dim!r:.80}")
        if not -self.ndim <= dim < self.ndim:
            raise IndexError(f"size: dim {dim} is out of range for a {self.ndim}-D tensor of shape {self.shape}")
        return self.shape[dim]

    def numel(self):
        return self.data.size

    def dim(self):
        """PyTorch's: the number of dims (ndim)."""
        return self.data.ndim

    def __len__(self):
        if self.ndim == 0:  # NumPy's message, "len() of unsized object", named no tensor
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        """The tensors along the first dim (in the graph). Without it Python iterated by t[0], t[1], ...
        up to an IndexError, which a 0-d tensor raises at once: it iterated as empty, silently."""
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def __contains__(self, element):
        """PyTorch's ``element in t``: whether any element of t equals it. Python tried t's rows one by
        one (bool() of each, ambiguous beyond 1-D), and a string was silently not in t."""
        if isinstance(element, (list, tuple, np.ndarray)):  # which == compares, but PyTorch's `in` refuses
            mask = NotImplemented
        else:
            try:
                mask = _compare(np.equal, self, element)  # NotImplemented for a string or None, as for ==
            except ValueError:  # NumPy's "operands could not be broadcast" named no op
                shape = np.shape(element.data if isinstance(element, Tensor) else element)
                raise ValueError(f"Tensor.__contains__: shapes {self.shape} and {shape} do not broadcast") from None
        if mask is NotImplemented:
            raise TypeError("Tensor.__contains__: takes a tensor or a number, as PyTorch's, got "
                            f"{type(element).__name__}")
        return bool(mask.data.any())

    def __repr__(self):
        """PyTorch's layout: the values comma-separated, an empty tensor's size, then the Function that
        made the tensor (grad_fn) or, for a leaf, requires_grad. The dtype always: tensor([1.0]) is float64."""
        notes = [f"size={self.shape}"] if self.data.size == 0 and self.ndim != 1 else []
        notes.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            notes.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self.requires_grad:
            notes.append("requires_grad=True")
        return f"Tensor({np.array2string(self.data, separator=', ', prefix='Tensor(')}, {', '.join(notes)})"

    def __getstate__(self):
        """Pickled (and copy.copy'd) as PyTorch pickles a tensor: its data and requires_grad, as a leaf
        without gradient, graph or hooks (the graph of a loss holds every activation of its forward)."""
        return dict(vars(self), _grad=None, _creator=None, retains_grad=False, _hooks=None)

    def __deepcopy__(self, memo):
        """PyTorch's: a leaf's data, requires_grad and grad copied, its hooks not. A computed tensor is refused:
        its copy's backward would reach copies of the leaves, never the originals, silently."""
        if not self.is_leaf:
            raise RuntimeError("deepcopy: only a leaf tensor (made by the user, not by an op in the graph) can be "
                               "deep-copied, as in PyTorch; detach() it first")
        new = memo[id(self)] = type(self).__new__(type(self))
        vars(new).update(copy.deepcopy(dict(vars(self), _hooks=None), memo))
        return new

    def __format__(self, spec):
        """A 0-D tensor formats as its value, as PyTorch's does (f"{loss:.4f}"); others as their repr."""
        return format(self.data.item(), spec) if self.ndim == 0 else super().__format__(spec)

    def numpy(self):
        """t's data, shared, as PyTorch's; refused like np.asarray(t) for a tensor that requires a gradient."""
        if self.requires_grad:
            raise RuntimeError("numpy: a tensor that requires a gradient cannot become an ndarray, as in PyTorch; "
                               "use t.detach().numpy() (or t.data) for the values")
        return self.data

    def __array__(self, dtype=None, copy=None):
        """np.asarray(t) is t's data (without it NumPy iterated t into an object array of tensors).
        Refused, as in PyTorch, for a tensor that requires a gradient: np.exp(t) would silently
        leave the graph."""
        if self.requires_grad:
            raise RuntimeError("a tensor that requires a gradient cannot become an ndarray: NumPy functions "
                               "would leave the graph; use t.data (or t.detach()) for the values")
        data = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return data.copy() if copy and data is self.data else data

    def __bool__(self):
        if self.data.size != 1:  # as in NumPy and PyTorch, whose messages name no shape
            raise ValueError(f"bool: the truth value of a tensor of {self.data.size} elements (shape {self.shape}) "
                             "is ambiguous; index or reduce it first")
        return bool(self.data.item())

    def __float__(self):  # of any one-element tensor, as PyTorch's (NumPy 2.4 takes only 0-D arrays)
        return float(self._one_value("float"))

    def __int__(self):
        return int(self._one_value("int"))

    def __index__(self):
        """PyTorch's: a one-element integer tensor indexes a list or a range."""
        if self.data.dtype.kind not in "biu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index, got "
                            f"{self.data.size} elements of dtype {self.dtype}")
        return int(self.data.item())

    # Comparisons give constant boolean tensors (masks for where), as in PyTorch; hashing stays by identity.
    __lt__ = lambda self, other: _compare(np.less, self, other)  # noqa: E731
    __le__ = lambda self, other: _compare(np.less_equal, self, other)  # noqa: E731
    __gt__ = lambda self, other: _compare(np.greater, self, other)  # noqa: E731
    __ge__ = lambda self, other: _compare(np.greater_equal, self, other)  # noqa: E731
    __eq__ = lambda self, other: _compare(np.equal, self, other)  # noqa: E731
    __ne__ = lambda self, other: _compare(np.not_equal, self, other)  # noqa: E731
    # x.eq(y) and its kin, PyTorch's method forms: what the operators leave to Python's rule is an error
    lt = lambda self, other: _compare(np.less, self, other, method=True)  # noqa: E731
    le = lambda self, other: _compare(np.less_equal, self, other, method=True)  # noqa: E731
    gt = lambda self, other: _compare(np.greater, self, other, method=True)  # noqa: E731
    ge = lambda self, other: _compare(np.greater_equal, self, other, method=True)  # noqa: E731
    eq = lambda self, other: _compare(np.equal, self, other, method=True)  # noqa: E731
    ne = lambda self, other: _compare(np.not_equal, self, other, method=True)  # noqa: E731
    __hash__ = object.__hash__
    # Masks combine with &, | and ^ and ~ negates one (integers bitwise): constants too, as in PyTorch.
    __and__ = __rand__ = lambda self, other: _bitwise(np.bitwise_and, "&", self, other)  # noqa: E731
    __or__ = __ror__ = lambda self, other: _bitwise(np.bitwise_or, "|", self, other)  # noqa: E731
    __xor__ = __rxor__ = lambda self, other: _bitwise(np.bitwise_xor, "^", self, other)  # noqa: E731
    __invert__ = lambda self: _bitwise(np.invert, "~", self)  # noqa: E731

    def _in_place(self, ufunc, other, op, casting="same_kind"):
        """t += x and its kin, as PyTorch's: t's own array changes, so every alias of t sees it (without
        them, p -= lr * p.grad in a manual SGD loop rebound the name and left the parameter alone).
        Refused while the graph records where the change would have to be recorded (see
        check_unrecorded_change). casting "unsafe" for copy_ and fill_, which PyTorch lets cast 2.7 into an
        integer tensor as 2, where its arithmetic refuses it."""
        check_unrecorded_change(self, other, op)
        other = other.data if isinstance(other, Tensor) else other
        value = np.asarray(other)
        if value.dtype.kind in _NOT_NUMBERS:  # NumPy's message asked for a floating-point tensor
            raise _no_numbers_error(op, other)
        try:
            fits = np.broadcast_shapes(self.shape, value.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:  # NumPy's message named no op
            raise ValueError(f"{op}: a value of shape {value.shape} does not broadcast to this tensor's shape "
                             f"{self.shape}, which the result keeps, as in PyTorch")
        if not self.data.flags.writeable:
            raise ValueError(f"{op}: this tensor shares a read-only array (np.frombuffer gives one); mg.tensor(data) "
                             "makes a copy that can change")
        if isinstance(other, np.ndarray):  # t's dtype for them, as in PyTorch: a uint8 t += a 0-D int64 stays uint8
            other = other.astype(result_type(self.data, other), copy=False)
        try:
            with np.errstate(all="ignore"):  # overflow and 0 / 0 give inf and NaN silently, as the ops do
                ufunc(self.data, other, out=self.data, casting=casting)
        except TypeError:  # NumPy's message named its ufunc's loop
            raise TypeError(f"{op}: the result for {self.dtype} and {value.dtype} cannot be stored in "
                            f"this {self.dtype} tensor, as in PyTorch; make the tensor floating point first") from None
        changed_in_place(self.data)
        return self

    __iadd__ = lambda self, other: self._in_place(np.add, other, "+=")  # noqa: E731
    __isub__ = lambda self, other: self._in_place(np.subtract, other, "-=")  # noqa: E731
    __imul__ = lambda self, other: self._in_place(np.multiply, other, "*=")  # noqa: E731
    __itruediv__ = lambda self, other: self._in_place(np.true_divide, other, "/=")  # noqa: E731

    def item(self):
        return self._one_value("item")

    def _one_value(self, op):
        if self.data.size != 1:  # NumPy's message named no op and no shape
            raise ValueError(f"{op}: a tensor of {self.data.size} elements (shape {self.shape}) has no one value; "
                             "index or reduce it first")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def requires_grad_(self, requires_grad=True):
        """PyTorch's: whether backward fills this leaf's grad (False freezes a parameter). A result's
        flag comes from its inputs: turning it off is refused, as in PyTorch (detach() gives a leaf)."""
        requires_grad = _flag("requires_grad_", requires_grad)
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("requires_grad_: only a leaf tensor's flag can be turned off; detach() gives a leaf")
        if requires_grad:
            _check_differentiable(self.data, "requires_grad_")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """PyTorch's: backward fills this computed tensor's grad too, as a leaf's (a no-op for a leaf),
        for the gradients in the middle of a network."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require a gradient, so backward never reaches it")
        self.retains_grad = not self.is_leaf

    def register_hook(self, hook):
        """PyTorch's: backward calls hook(grad) with this tensor's whole gradient before it reaches .grad or
        flows on to the inputs; a tensor (or array) it returns, of the same shape and dtype, replaces it. As in
        PyTorch, a hook must not change grad in place: other tensors' gradients may share its array. Returns a
        handle: handle.remove() takes the hook away."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: this tensor does not require a gradient, so backward never reaches "
                               "it (PyTorch refuses it too)")
        if self._hooks is None:
            self._hooks = {}
        return add_hook(self._hooks, hook, "register_hook")

    def _hooked(self, g):
        """g after this tensor's hooks, each given the one before's result."""
        for hook in list(self._hooks.values()):  # a hook may remove itself
            result = hook(Tensor(g))
            if result is None:
                continue
            if not isinstance(result, (Tensor, np.ndarray)):
                raise TypeError(f"register_hook: hook {getattr(hook, '__name__', hook)!r} returned "
                                f"{type(result).__name__}; a tensor or None expected")
            result = result.data if isinstance(result, Tensor) else result
            if result.shape != g.shape or result.dtype != g.dtype:
                raise RuntimeError(f"register_hook: hook {getattr(hook, '__name__', hook)!r} changed the gradient's "
                                   f"shape or dtype, {g.shape} {g.dtype} to {result.shape} {result.dtype}")
            g = result
        return g

    def detach(self):
        return Tensor(self.data)

    def zero_grad(self, set_to_none=True):
        """grad None (PyTorch's default), or zeros if there is one (set_to_none=False)."""
        if set_to_none:
            self.grad = None
        elif self.grad is not None:
            self.grad.fill(0)

    def backward(self, gradient=None, retain_graph=None):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient;
        ``gradient`` is dL/d(self) (PyTorch's name), ones for a one-element tensor. The graph is
        always kept, so ``retain_graph`` (PyTorch's, for a second backward) changes nothing."""
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require a gradient")
        if gradient is None:
            if self.numel() != 1:
                raise RuntimeError(
                    f"backward: a gradient must be given for a non-scalar output of shape {self.shape}")
            gradient = np.ones_like(self.data)
        else:
            gradient = gradient.data if isinstance(gradient, Tensor) else gradient
            if np.asarray(gradient).dtype.kind not in "biuf":  # NumPy's error for "1" named no op
                raise TypeError(f"backward: gradient must be a tensor, an array or numbers, got {gradient!r:.80}")
            gradient = np.asarray(gradient, dtype=self.dtype)
            if gradient.shape != self.shape:
                raise ValueError(f"backward: gradient shape {gradient.shape} != output shape {self.shape}")

        grads = {id(self): gradient}
        with np.errstate(all="ignore"):  # see Function.apply
            for node in reversed(_topological_order(self)):
                g = grads.pop(id(node), None)
                if g is None:  # every path to it returned None: a zero gradient, as in PyTorch
                    continue
                if node._hooks:
                    g = node._hooked(g)
                if node._creator is None or node.retains_grad:
                    node.grad = g.copy() if node.grad is None else np.asarray(node.grad + g)
                if node._creator is None:
                    continue
                fn = node._creator
                fn._check_kept_unchanged()
                input_grads = fn.backward(g)
                if not isinstance(input_grads, tuple):
                    input_grads = (input_grads,)
                if len(input_grads) != len(fn.inputs):
                    raise RuntimeError(f"{type(fn).__name__}.backward returned {len(input_grads)} gradients for "
                                       f"{len(fn.inputs)} inputs")
                for i, (t, gi) in enumerate(zip(fn.inputs, input_grads)):
                    if gi is None or not t.requires_grad:
                        continue
                    gi = np.asarray(gi)
                    if gi.dtype.kind not in "biuf":  # complex lost its imaginary part, a string NumPy's ValueError
                        raise TypeError(f"{type(fn).__name__}.backward: gradient {i} has dtype {gi.dtype}, "
                                        "not real numbers")
                    summed = np.asarray(_sum_to_shape(gi, t.shape), dtype=t.dtype)
                    if summed.shape != t.shape:
                        raise RuntimeError(f"{type(fn).__name__}.backward: gradient {i} has shape {np.shape(gi)}, "
                                           f"which does not sum to input {i}'s shape {t.shape}")
                    # np.asarray: 0-d arrays add (and a full sum comes) to a NumPy scalar, whose fill() does nothing
                    grads[id(t)] = np.asarray(grads[id(t)] + summed) if id(t) in grads else summed

    # the differentiable operators are attached in ops.py, next to the Functions that implement them


_COMPARISONS = {np.less: "lt", np.less_equal: "le", np.greater: "gt", np.greater_equal: "ge", np.equal: "eq",
                np.not_equal: "ne"}


def _compare(ufunc, a, b, method=False):
    """A mask, for numbers, arrays and tensors, compared in PyTorch's dtype for them; anything else
    (None, a string) gets Python's rule, as in PyTorch: t == None is False, t < None a TypeError.
    The method forms (t.eq(None)) refuse it, as PyTorch's do: NotImplemented, returned, was true in an if."""
    b = b.data if isinstance(b, Tensor) else b
    numeric = isinstance(b, (int, float, complex, np.generic, np.ndarray, list, tuple))
    if not numeric or np.asarray(b).dtype.kind in "OSU":  # never a tensor's array: b is as given
        if method:
            raise _no_numbers_error(_COMPARISONS[ufunc], b)
        return NotImplemented
    try:
        np.broadcast_shapes(a.shape, np.shape(b))
    except ValueError:  # NumPy's message named no op
        raise ValueError(f"{_COMPARISONS[ufunc]}: shapes {a.shape} and {np.shape(b)} do not broadcast") from None
    if isinstance(b, np.ndarray):  # numbers are weak, as in NumPy 2 and PyTorch: x < 0.1 rounds 0.1 to x's dtype
        return Tensor(ufunc(*_in_result_type(a.data, b)))
    return Tensor(ufunc(a.data, b))


def _bitwise(ufunc, op, a, b=None):
    """ufunc of a's and b's arrays in PyTorch's dtype for them; floating point refused, naming op."""
    arrays = [a.data] + ([] if b is None else [np.asarray(b.data if isinstance(b, Tensor) else b)])
    if any(x.dtype.kind not in "biu" for x in arrays):
        dtypes = " and ".join(str(x.dtype) for x in arrays)
        raise TypeError(f"{op}: needs boolean or integer tensors (masks), got {dtypes}")
    return Tensor(ufunc(*_in_result_type(*arrays)))


def _in_result_type(*arrays):
    """The arrays cast to their result_type, the dtype PyTorch computes them in."""
    dtype = result_type(*arrays)
    return [a.astype(dtype, copy=False) for a in arrays]


_CATEGORIES = {"b": 0, "u": 1, "i": 1, "f": 2}  # bool < integer < floating point, as PyTorch ranks them


def result_type(*inputs):
    """torch.result_type for any number of tensors, arrays and numbers: the dtype PyTorch computes
    them in. It ranks them in three groups, tensors with dimensions, 0-D ones, numbers: a later group
    changes the dtype only when it holds a higher category (bool < integer < floating point). So
    float32 with int64 is float32 (NumPy's float64), a float32 tensor with a 0-D float64 one float32,
    a 0-D float16 one with 2.5 float16. A float number with integers gives float64, minigrad's
    default dtype (PyTorch's is float32); NumPy scalars count as numbers, as in PyTorch."""
    groups = ([], [], [])
    for i in inputs:
        if isinstance(i, (bool, int, float, np.bool_, np.integer, np.floating)):
            groups[2].append(np.asarray(i.item() if isinstance(i, np.generic) else i))
        else:
            a = np.asarray(i.data if isinstance(i, Tensor) else i)
            groups[0 if a.ndim else 1].append(a)
    category, dtype = -1, None
    for group in groups:
        ranked = [(_CATEGORIES.get(a.dtype.kind, 3), a.dtype) for a in group]
        top = max((rank for rank, _ in ranked), default=-1)
        if top > category:
            category, dtype = top, np.result_type(*(d for rank, d in ranked if rank == top))
    return dtype


def _topological_order(root):
    """Tensors that require a gradient, each after every tensor it was computed from."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:  # iterative DFS: deep graphs must not hit the recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if node._creator is not None:
            stack.extend((t, False) for t in node._creator.inputs if t.requires_grad)
    return order


def _sum_to_shape(grad, shape):
    """Undo broadcasting: sum the leading axes that were added and the axes that were size 1."""
    if grad.shape == shape or grad.ndim < len(shape):  # the latter is no broadcast: the caller refuses it
        return grad
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def as_tensor(x, like=None, op=None):
    """Tensors pass through; anything else becomes a constant. A Python scalar gets the dtype NumPy
    gives it beside ``like`` (NEP 50: a float32 tensor keeps float32, an integer one meets 0.5 as
    float64). NumPy scalars count as Python numbers, as PyTorch counts them: float32 stays float32.
    What holds no numbers (a string, None) is an error naming ``op``, the caller, and the value."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        weak = float(x) if isinstance(x, (float, np.floating)) else int(x)
        return Tensor(np.asarray(x, dtype=np.result_type(like.dtype, weak)))
    array = np.asarray(x)
    if op is not None and array.dtype.kind in _NOT_NUMBERS:
        raise _no_numbers_error(op, x)
    return Tensor(array)


def as_dtype(dtype, op):
    """What a user gave .to() as a NumPy dtype (np.float64, "float32", ...); anything else, a
    device name included (minigrad has none), is an error naming op."""
    try:
        result = np.dtype(dtype)
    except (TypeError, ValueError, DeprecationWarning):  # NumPy 2 deprecates the alias "a" (bytes): -W error raises
        result = None
    if result is None or result.kind in _NOT_NUMBERS:  # else refused later by Tensor, naming no op
        raise TypeError(f"{op}: expected a dtype such as np.float64 (minigrad has no devices), got {dtype!r}")
    return result


def tensor(data, requires_grad=False, dtype=None):
    """A tensor holding a copy of data, as torch.tensor: an optimizer step never writes into the
    caller's array. ``Tensor(data)`` and ``as_tensor`` share it instead."""
    _flag("tensor", requires_grad)
    if isinstance(data, Tensor):
        data = data.data
    array = cast(data, dtype, copy=True)
    if not array.dtype.isnative:  # a big-endian file's array; ops would return some results in either order
        array = array.astype(array.dtype.newbyteorder("="))
    return Tensor(array, requires_grad=requires_grad)


class Function:
    """A differentiable operation: subclass it and write ``forward`` and ``backward`` on arrays.

    ``forward(self, *arrays, **params)`` returns the output, one array; keep on ``self`` whatever the
    backward needs. ``backward(self, grad)`` receives dL/d(output) and returns dL/d(input) for each
    array input (a tuple, or one array for a single input; ``None`` for an input that needs none).
    ``self.needs_input_grad`` says which inputs require one. Call it as ``MyFunction.apply(*inputs,
    **params)``: tensors and arrays are inputs, keyword arguments are constants.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("forward", "backward"):  # PyTorch's form called forward(x) with x as ctx, naming a lambda
            if isinstance(cls.__dict__.get(name), staticmethod):
                raise TypeError(f"{cls.__name__}.{name}: write it as a method, def {name}(self, ...), keeping what "
                                "backward needs on self (PyTorch's @staticmethod with ctx is not minigrad's form)")

    def forward(self, *arrays, **params):
        raise NotImplementedError(f"{type(self).__name__} has no forward method: a Function subclass defines one")

    def backward(self, grad):
        raise NotImplementedError(f"{type(self).__name__} has no backward method: a Function subclass defines one")

    @classmethod
    def apply(cls, *inputs, **params):
        for key, value in params.items():  # forward would get a Tensor, and a gradient for it would be lost
            if isinstance(value, Tensor):
                raise TypeError(f"{cls.__name__}.apply: keyword argument {key!r} is a Tensor; pass tensors by "
                                "position, as inputs (keyword arguments are constants)")
        fn = cls()
        tensors = tuple(as_tensor(x, op=cls.__name__) for x in inputs)
        with np.errstate(all="ignore"):  # inf and NaN are results, as in PyTorch and the numba kernels, not warnings
            out = fn.forward(*(t.data for t in tensors), **params)
        if not isinstance(out, (np.ndarray, np.generic, int, float)):  # np.asarray stacked a tuple of outputs
            several = isinstance(out, (tuple, list))
            raise TypeError(f"{cls.__name__}.forward must return one array, got {type(out).__name__}"
                            + (" (PyTorch's Functions may return several; write one Function per output)" * several))
        out = np.asarray(out)
        requires_grad = _grad_mode.enabled and any(t.requires_grad for t in tensors)
        result = Tensor(out)
        if requires_grad:
            _check_differentiable(out, cls.__name__)
            fn._kept = _kept_versions(vars(fn).values())
            fn.inputs = tensors
            fn.needs_input_grad = tuple(t.requires_grad for t in tensors)
            result.requires_grad = True
            result._creator = fn
        return result

    def _check_kept_unchanged(self):
        """Backward reads what forward kept on self: refused, as in PyTorch, once an in-place change
        (+=, t[i] = v, an optimizer step) has reached the memory of any of it since."""
        for owner, shape, version in self._kept:
            now = _version_of(owner)
            if now != version:
                raise RuntimeError(f"backward: an array of shape {shape} that {type(self).__name__} kept for its "
                                   f"gradient was changed in place since the forward (version {now}, expected "
                                   f"{version}), so the gradient would be wrong; as in PyTorch, change a copy "
                                   "(x = x + 1 instead of x += 1) or run the forward again")
