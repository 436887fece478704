"""Optimizers and learning-rate schedules with PyTorch's update formulas and state_dicts.

Per parameter p with gradient g (weight decay wd, learning rate lr, ... read from p's group at
each step):

SGD     g <- g + wd p;  b <- g (first step) or mu b + (1 - dampening) g;
        g <- g + mu b (nesterov) or b;  p <- p - lr g
Adam    g <- g + wd p;  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
        p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
AdamW   p <- p (1 - lr wd), then Adam's step without the wd term
Adadelta g <- g + wd p;  v <- rho v + (1 - rho) g^2;  d <- sqrt(u + eps) / sqrt(v + eps) g;
        u <- rho u + (1 - rho) d^2;  p <- p - lr d
"""
import math
from collections import Counter, defaultdict

import numpy as np

from . import backend
from .backend import jit
from .nn import check_flags
from .tensor import Tensor, _is_int, _is_real, cast, changed_in_place, check_numbers


class Optimizer:
    """params: tensors, or dicts {"params": tensors, **settings}, PyTorch's parameter groups, whose
    settings override the optimizer's defaults. Each group is a dict in ``param_groups``, read at
    every step, so ``group["lr"] = 0.01`` takes effect at the next one, as in PyTorch. ``state[p]``
    is parameter p's state (Adam's ``exp_avg``, ...), empty until p's first step, as in PyTorch."""

    state_keys = ()  # what a parameter's state holds once it has one

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):  # list() would iterate its elements
            raise TypeError(f"{type(self).__name__}: params must be an iterable of tensors, got one tensor of "
                            f"shape {params.shape}")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        self.defaults, self.param_groups, self.state = defaults, [], defaultdict(dict)
        for group in params if isinstance(params[0], dict) else [{"params": params}]:
            self.add_param_group(group)

    @property
    def params(self):
        """Every group's parameters, in order (numbered in that order by ``state_dict``)."""
        return [p for group in self.param_groups for p in group["params"]]

    def add_param_group(self, param_group):
        name = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{name}: a parameter group is a dict with 'params', got {type(param_group).__name__}")
        params = [param_group["params"]] if isinstance(param_group["params"], Tensor) else list(param_group["params"])
        seen = {id(p) for p in self.params}
        for i, p in enumerate(params, start=len(seen)):  # numbered across the groups
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} is not a tensor (got {type(p).__name__})")
            if not p.is_leaf:  # computed from others: it never receives a .grad
                raise ValueError(f"{name}: parameter {i} is not a leaf tensor (it was computed by an op)")
            if id(p) in seen:  # it would be stepped twice
                raise ValueError(f"{name}: a parameter appears more than once in the list")
            seen.add(id(p))
        group = {**self.defaults, **param_group, "params": params}
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group):
        unknown = sorted(set(group) - set(self.defaults) - {"params"})  # amsgrad=True would be ignored
        if unknown:
            raise ValueError(f"{type(self).__name__}: a parameter group takes {sorted(self.defaults)}, got {unknown}")
        for key, value in group.items():  # else lr="0.1" or betas=0.9 fails in the middle of a step
            if key == "params":
                continue
            if key == "nesterov":
                check_flags(type(self).__name__, nesterov=value)
                continue
            if key == "betas" and not (isinstance(value, (tuple, list)) and len(value) == 2
                                       and all(map(_is_real, value))):
                raise TypeError(f"{type(self).__name__}: betas must be a pair of numbers, got {value!r}")
            if key != "betas" and not _is_real(value):
                raise TypeError(f"{type(self).__name__}: {key} must be a number, got {value!r}")
        if not group["lr"] >= 0:  # NaN too; 0 freezes the parameters, as PyTorch allows
            raise ValueError(f"{type(self).__name__}: learning rate must be >= 0, got {group['lr']}")

    def zero_grad(self, set_to_none=True):
        """grad None (PyTorch's default), or zeros where there was one (set_to_none=False)."""
        for p in self.params:
            p.zero_grad(set_to_none)

    def step(self):
        with np.errstate(all="ignore"):  # NaN and inf are results, as in PyTorch and the numba kernel (Function.apply)
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad, group)
                        changed_in_place(p.data)  # a graph that kept p refuses its backward now, as in PyTorch

    def _update(self, p, g, group):
        """One step of p (its state, if it needs one, in ``self.state[p]``)."""
        raise NotImplementedError(f"{type(self).__name__} has no _update method: an Optimizer subclass defines one")

    def _counted_state(self, p):
        """p's state for a step that counts its steps (Adam's, Adadelta's): made at p's first step, a count and
        zeros for the other state keys, as PyTorch's, or cast to p's dtype where a module's .to(dtype) has
        cast p since; the count advanced."""
        state, arrays = self.state[p], [k for k in self.state_keys if k != "step"]
        if not state:
            state.update(step=np.array(0), **{k: np.zeros_like(p.data) for k in arrays})
        elif state[arrays[0]].dtype != p.dtype:
            state.update(_in_dtype(state, p.dtype))
        state["step"] = state["step"] + 1
        return state

    def state_dict(self):
        """PyTorch's layout: the parameters numbered across the groups, ``state`` each one's state by
        number (those that have one), and ``param_groups`` each group's settings with its numbers."""
        numbers = {id(p): i for i, p in enumerate(self.params)}
        groups = [{**group, "params": [numbers[id(p)] for p in group["params"]]} for group in self.param_groups]
        state = {numbers[id(p)]: {k: np.copy(v) for k, v in s.items()} for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """PyTorch's: groups' settings and each parameter's state, checked first (nothing changes on error);
        the state's arrays are cast to their parameter's dtype, the step count kept as it is."""
        name, params = type(self).__name__, self.params
        saved_groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if not (isinstance(saved_groups, (list, tuple))
                and all(isinstance(g, dict) and isinstance(g.get("params"), (list, tuple)) for g in saved_groups)):
            raise ValueError(f"{name}.load_state_dict: 'param_groups' must be a list of dicts, each with a 'params' "
                             f"list, got {saved_groups!r:.80}")
        sizes = [len(group["params"]) for group in saved_groups]
        ours = [len(group["params"]) for group in self.param_groups]
        if sizes != ours:
            raise ValueError(f"{name}.load_state_dict: state for groups of {sizes} parameters, optimizer has {ours}")
        numbers = [i for group in saved_groups for i in group["params"]]
        if numbers != list(range(len(params))):  # state_dict numbers them so, and 'state' is keyed by position
            raise ValueError(f"{name}.load_state_dict: the groups' 'params' must number the parameters 0 to "
                             f"{len(params) - 1} in order, got {numbers!r:.80}")
        state = state_dict.get("state")
        numbered = isinstance(state, dict) and all(isinstance(i, (int, np.integer)) and 0 <= i < len(params)
                                                   for i in state)
        if not numbered:
            keys = list(state)[:6] if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"{name}.load_state_dict: 'state' must map parameter numbers 0 to {len(params) - 1} "
                             f"to their state, got {keys}")
        for i, s in state.items():
            if not isinstance(s, dict) or s and sorted(s) != sorted(self.state_keys):
                raise ValueError(f"{name}.load_state_dict: parameter {i}'s state must be empty or hold "
                                 f"{sorted(self.state_keys)}, got {sorted(s) if isinstance(s, dict) else s!r}")
            for k, v in s.items():
                self._check_state(i, k, np.asarray(v), params[i].shape)
        groups = [{**group, **saved, "params": group["params"]}
                  for group, saved in zip(self.param_groups, saved_groups)]
        for group in groups:
            self._check(group)
        self.param_groups = groups
        self.state = defaultdict(dict, {params[i]: _in_dtype(s, params[i].dtype) for i, s in state.items()})

    def _check_state(self, i, key, value, shape):
        name = type(self).__name__
        if value.dtype.kind not in "iuf":
            raise ValueError(f"{name}.load_state_dict: parameter {i}'s {key!r} must hold real numbers, "
                             f"got dtype {value.dtype}")
        if key == "step":  # torch saves it as a float tensor
            if not (value.ndim == 0 and np.isfinite(value) and value >= 0 and value == np.floor(value)):
                raise ValueError(f"{name}.load_state_dict: parameter {i}'s 'step' must be a count, a whole "
                                 f"number >= 0, got {value.tolist()!r}")
        elif value.shape != shape:
            raise ValueError(f"{name}.load_state_dict: parameter {i}'s {key!r} has shape {value.shape}, "
                             f"the parameter has {shape}")


def _in_dtype(state, dtype):
    """A copy of a parameter's state with its arrays cast to the parameter's dtype, as PyTorch's
    load_state_dict casts them (the step count stays as it is). Optimizers call it too when a module's
    .to(dtype) has cast the parameter since the last step."""
    return {k: cast(v, None if k == "step" else dtype, copy=True) for k, v in state.items()}


class SGD(Optimizer):
    state_keys = ("momentum_buffer",)

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def _check(self, group):
        super()._check(group)
        if not (group["momentum"] >= 0 and group["weight_decay"] >= 0):
            raise ValueError(f"SGD: momentum and weight_decay must be >= 0, got {group['momentum']} and "
                             f"{group['weight_decay']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening 0")

    def _update(self, p, g, group):
        momentum = group["momentum"]
        if group["weight_decay"]:
            g = np.asarray(g + group["weight_decay"] * p.data)  # a 0-d parameter's sum is a NumPy scalar otherwise
        if momentum:  # only then has p a state, as in PyTorch
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.copy()
            else:
                if state["momentum_buffer"].dtype != p.dtype:
                    state.update(_in_dtype(state, p.dtype))
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            buf = state["momentum_buffer"]
            g = g + momentum * buf if group["nesterov"] else buf
        p.data -= (group["lr"] * g).astype(p.dtype, copy=False)


class Adam(Optimizer):
    decoupled = False
    state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check(self, group):
        super()._check(group)
        betas, eps, weight_decay = group["betas"], group["eps"], group["weight_decay"]
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1 and eps >= 0 and weight_decay >= 0):
            raise ValueError(f"{type(self).__name__}: invalid betas {betas}, eps {eps} or weight_decay {weight_decay}")

    def _update(self, p, g, group):
        (b1, b2), lr, weight_decay = group["betas"], group["lr"], group["weight_decay"]
        if weight_decay:
            if self.decoupled:
                p.data *= 1 - lr * weight_decay
            else:
                g = np.asarray(g + weight_decay * p.data)  # an array for the kernel, as in SGD
        state = self._counted_state(p)
        t = int(state["step"])
        m, v = state["exp_avg"], state["exp_avg_sq"]
        step_size, bias_root = lr / (1 - b1 ** t), math.sqrt(1 - b2 ** t)
        arrays = (p.data, g, m, v)
        # the kernel checks no bounds: only arrays of p's shape (a state kept from before p.data was replaced
        # by another shape takes NumPy's path, which refuses it)
        if backend.use_numba(*arrays) and all(a.dtype == p.dtype and a.shape == p.shape and a.flags.c_contiguous
                                              for a in arrays):
            # the scalars in the arrays' dtype, as NumPy rounds a Python float meeting a float32 array
            _adam_numba(*arrays, *(p.dtype.type(c) for c in (1 - b1, b2, 1 - b2, step_size, bias_root, group["eps"])))
            return
        m += (1 - b1) * (g - m)  # torch's lerp form of b1 m + (1 - b1) g
        v *= b2
        v += (1 - b2) * g * g
        denom = np.sqrt(v) / bias_root + group["eps"]
        p.data -= (step_size * m / denom).astype(p.dtype, copy=False)


@jit()
def _adam_numba(p, g, m, v, one_minus_b1, b2, one_minus_b2, step_size, bias_root, eps):
    """Adam's update above, element by element in the same order and dtype (the same bits), in one
    pass: 3x faster than NumPy's nine passes on the example's small parameters (docs/performance.md)."""
    pf, gf, mf, vf = p.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1)
    for i in range(pf.size):
        mf[i] += one_minus_b1 * (gf[i] - mf[i])
        vf[i] = vf[i] * b2 + one_minus_b2 * gf[i] * gf[i]
        pf[i] -= step_size * mf[i] / (np.sqrt(vf[i]) / bias_root + eps)


class AdamW(Adam):
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)


class Adadelta(Optimizer):
    """PyTorch's Adadelta (the optimizer of PyTorch's MNIST example), its steps in torch's order."""
    state_keys = ("step", "square_avg", "acc_delta")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _check(self, group):
        super()._check(group)
        rho, eps, weight_decay = group["rho"], group["eps"], group["weight_decay"]
        if not (0 <= rho <= 1 and eps >= 0 and weight_decay >= 0):
            raise ValueError(f"Adadelta: invalid rho {rho}, eps {eps} or weight_decay {weight_decay}")

    def _update(self, p, g, group):
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"]:
            g = np.asarray(g + group["weight_decay"] * p.data)  # an array, as in SGD
        state = self._counted_state(p)
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * g * g
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u *= rho
        u += (1 - rho) * delta * delta
        p.data -= (group["lr"] * delta).astype(p.dtype, copy=False)


class LRScheduler:
    """Sets each parameter group's lr at every ``step()`` (once per epoch, after training it) from
    the lr the group has then, as PyTorch's chainable schedulers do: an lr changed by hand
    (``group["lr"] = ...``) carries on, and so does a second scheduler on the same optimizer."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr = list(self.base_lrs)

    def next_lr(self, group, lr):
        """Group number ``group``'s lr at epoch ``self.last_epoch``, from its lr ``lr`` at the epoch before."""
        raise NotImplementedError(f"{type(self).__name__} has no next_lr method: an LRScheduler subclass defines one")

    def step(self):
        self.last_epoch += 1
        self._set_next_lrs()

    def _set_next_lrs(self):
        self._set([self.next_lr(i, group["lr"]) for i, group in enumerate(self.optimizer.param_groups)])

    def _set(self, lrs):
        self._last_lr = lrs
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr

    def get_last_lr(self):
        """The lr of each group as this scheduler last set it (PyTorch's)."""
        return list(self._last_lr)

    def state_dict(self):
        return {"base_lrs": list(self.base_lrs), "last_epoch": self.last_epoch}

    def load_state_dict(self, state_dict):
        """Checked first: a base lr (a number >= 0) per group, and an epoch this schedule reaches. The
        groups' lrs are the optimizer's state, as in PyTorch: load them with its load_state_dict."""
        name, groups = type(self).__name__, len(self.optimizer.param_groups)
        if not isinstance(state_dict, dict):
            raise ValueError(f"{name}.load_state_dict: takes a dict with 'base_lrs' and 'last_epoch', "
                             f"got {state_dict!r:.80}")
        base_lrs, last_epoch = state_dict.get("base_lrs"), state_dict.get("last_epoch")
        if not (isinstance(base_lrs, (list, tuple)) and len(base_lrs) == groups
                and all(_is_real(lr) and lr >= 0 for lr in base_lrs)):
            raise ValueError(f"{name}.load_state_dict: 'base_lrs' must hold a number >= 0 for each of the optimizer's "
                             f"{groups} groups, got {base_lrs!r}")
        if not (_is_int(last_epoch) and last_epoch >= 0):
            raise ValueError(f"{name}.load_state_dict: 'last_epoch' must be an int >= 0, got {last_epoch!r}")
        self._check_epoch(int(last_epoch))
        self.base_lrs, self.last_epoch = list(base_lrs), int(last_epoch)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _check_epoch(self, epoch):
        """A schedule with an end refuses an epoch past it."""


class StepLR(LRScheduler):
    """lr = base_lr * gamma ^ floor(epoch / step_size): every step_size-th epoch multiplies the lr by gamma."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        check_numbers("StepLR", step_size=step_size, gamma=gamma)
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def next_lr(self, group, lr):
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ^ (the milestones passed): the lr is multiplied by gamma at each milestone epoch,
    twice at one listed twice, as PyTorch's. A milestone at 0 scales the lr as the schedule is made; a second
    scheduler made after that takes the scaled lr as its base, where PyTorch's takes the optimizer's first lr
    (its initial_lr, a setting minigrad's optimizers do not keep)."""

    def __init__(self, optimizer, milestones, gamma=0.1):
        check_numbers("MultiStepLR", gamma=gamma)
        if not (isinstance(milestones, (list, tuple, range)) and all(_is_int(m) and m >= 0 for m in milestones)):
            raise ValueError(f"MultiStepLR: milestones must be a list of epochs, ints >= 0, got {milestones!r}")
        super().__init__(optimizer)
        self.milestones, self.gamma = Counter(int(m) for m in milestones), gamma
        if 0 in self.milestones:  # PyTorch's schedules start at epoch 0: a milestone there scales the first lr
            self._set_next_lrs()

    def next_lr(self, group, lr):
        return lr * self.gamma ** self.milestones[self.last_epoch] if self.last_epoch in self.milestones else lr


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ^ epoch: every epoch multiplies the lr by gamma."""

    def __init__(self, optimizer, gamma):
        check_numbers("ExponentialLR", gamma=gamma)
        super().__init__(optimizer)
        self.gamma = gamma

    def next_lr(self, group, lr):
        return lr * self.gamma


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2, reached as PyTorch reaches it,
    epoch by epoch from the lr before (t = epoch):
        lr_t - eta_min = (lr_{t-1} - eta_min) (1 + cos(pi t / T_max)) / (1 + cos(pi (t - 1) / T_max))
    except just after a minimum, where that ratio is 0 / 0 and the step up is added:
        lr_t = lr_{t-1} + (base_lr - eta_min) (1 - cos(pi / T_max)) / 2."""

    def __init__(self, optimizer, T_max, eta_min=0.0):
        check_numbers("CosineAnnealingLR", T_max=T_max, eta_min=eta_min)
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, eta_min

    def next_lr(self, group, lr):
        t, T = self.last_epoch, self.T_max
        if (t - 1 - T) % (2 * T) == 0:
            return lr + (self.base_lrs[group] - self.eta_min) * (1 - math.cos(math.pi / T)) / 2
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return ratio * (lr - self.eta_min) + self.eta_min


class OneCycleLR(LRScheduler):
    """PyTorch's 1cycle policy, per step (call ``step()`` after each optimizer step; Rohrer's SCS
    recipes train with it). With lr0 = max_lr / div_factor and lr_min = lr0 / final_div_factor, the lr
    goes lr0 -> max_lr over the first pct_start of total_steps, then max_lr -> lr_min (three_phase:
    max_lr -> lr0 -> lr_min); Adam's beta1 (SGD's momentum) goes the other way, max_momentum ->
    base_momentum -> max_momentum. Within a phase from step a to step b, at pct = (t - a) / (b - a):
        cos:    end + (start - end) / 2 (cos(pi pct) + 1)        linear:  (end - start) pct + start
    The phases end at steps pct_start T - 1 (and 2 pct_start T - 2 with three_phase), then T - 1.
    max_lr, base_momentum and max_momentum may be lists, one value per parameter group (PyTorch's)."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False):
        if total_steps is None:
            if not all(isinstance(n, int) and n >= 1 for n in (epochs, steps_per_epoch)):
                raise ValueError(f"OneCycleLR: needs total_steps, or epochs and steps_per_epoch, each an int >= 1; "
                                 f"got epochs {epochs!r}, steps_per_epoch {steps_per_epoch!r}")
            total_steps = epochs * steps_per_epoch
        if not (isinstance(total_steps, int) and total_steps >= 1):
            raise ValueError(f"OneCycleLR: total_steps must be an int >= 1, got {total_steps!r}")
        check_numbers("OneCycleLR", pct_start=pct_start, div_factor=div_factor, final_div_factor=final_div_factor)
        if not (0 <= pct_start <= 1 and isinstance(anneal_strategy, str) and anneal_strategy in ("cos", "linear")):
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1] and anneal_strategy 'cos' or 'linear', "
                             f"got {pct_start!r} and {anneal_strategy!r}")
        if cycle_momentum and not isinstance(optimizer, (Adam, SGD)):
            raise ValueError(f"OneCycleLR: cycle_momentum needs Adam's beta1 or SGD's momentum, "
                             f"got {type(optimizer).__name__}")
        n = len(optimizer.param_groups)
        per_group = {name: _per_group(name, value, n) for name, value in
                     (("max_lr", max_lr), ("base_momentum", base_momentum), ("max_momentum", max_momentum))}
        for name in ("max_lr", "base_momentum", "max_momentum") if cycle_momentum else ("max_lr",):
            for value in per_group[name]:
                check_numbers("OneCycleLR", **{name: value})
        super().__init__(optimizer)
        self.points = [dict(lr0=top / div_factor, max_lr=top, lr_min=top / div_factor / final_div_factor,
                            base_momentum=low, max_momentum=high)
                       for top, low, high in zip(*per_group.values())]
        up = float(pct_start * total_steps) - 1
        if three_phase:  # each phase: its last step, then the points its lr and its momentum go between
            self.phases = [(up, "lr0", "max_lr", "max_momentum", "base_momentum"),
                           (float(2 * pct_start * total_steps) - 2, "max_lr", "lr0", "base_momentum", "max_momentum"),
                           (total_steps - 1, "lr0", "lr_min", "max_momentum", "max_momentum")]
        else:
            self.phases = [(up, "lr0", "max_lr", "max_momentum", "base_momentum"),
                           (total_steps - 1, "max_lr", "lr_min", "base_momentum", "max_momentum")]
        starts = [0.0] + [phase[0] for phase in self.phases[:-1]]
        if any(phase[0] == start for phase, start in zip(self.phases, starts)):  # pct would divide 0 by 0
            raise ValueError(f"OneCycleLR: pct_start {pct_start} of {total_steps} steps leaves a phase no steps")
        self.total_steps, self.anneal, self.cycle_momentum = total_steps, anneal_strategy, cycle_momentum
        self._set([self._at(0, i)[0] for i in range(n)])

    def _at(self, step, group):
        """(lr, momentum) of a group at a step; momentum None unless it cycles (its settings unread, as in PyTorch)."""
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, more than total_steps {self.total_steps}")
        start, points = 0.0, self.points[group]
        for i, (end, lr_a, lr_b, m_a, m_b) in enumerate(self.phases):
            if step <= end or i == len(self.phases) - 1:
                pct = (step - start) / (end - start)
                momentum = self._interpolate(points[m_a], points[m_b], pct) if self.cycle_momentum else None
                return self._interpolate(points[lr_a], points[lr_b], pct), momentum
            start = end

    def _interpolate(self, start, end, pct):
        if self.anneal == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def next_lr(self, group, lr):  # outright, from the step count
        return self._at(self.last_epoch, group)[0]

    def _check_epoch(self, epoch):
        self._at(epoch, 0)

    def _set(self, lrs):
        super()._set(lrs)
        for i, group in enumerate(self.optimizer.param_groups if self.cycle_momentum else ()):
            momentum = self._at(self.last_epoch, i)[1]
            if isinstance(self.optimizer, Adam):
                group["betas"] = (momentum, group["betas"][1])
            else:
                group["momentum"] = momentum


def _per_group(name, value, groups):
    """One value for each parameter group: a list of them, or one for all."""
    if not isinstance(value, (list, tuple)):
        return [value] * groups
    if len(value) != groups:
        raise ValueError(f"OneCycleLR: {name} needs one value for each of the optimizer's {groups} groups, "
                         f"got {len(value)}")
    return list(value)
