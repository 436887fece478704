"""Cross-checking other implementations against the reference: export files, compare, layout converters.

An export is an ``.npz`` holding float64 arrays and a ``manifest`` (a JSON string) naming the layer,
variant, geometry, layouts, formula and reference version. Array names say their role:
inputs and parameters by their PyTorch names, ``grad_output`` the upstream gradient, ``output``
the forward result, and ``grad_<name>`` the gradient of every input and parameter.

The layers themselves live in the ``layers`` package, which registers a ``Case`` per layer under
the entry-point group ``minigrad.crosscheck`` (see pyproject.toml); minigrad never imports it.
"""
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Callable

import numpy as np

from ..io import NotAnNpzFile, atomic_write, load_npz
from ..nn import check_count
from ..tensor import Tensor, _is_real

FORMAT = "minigrad-crosscheck/1"


class UnusableFile(ValueError):
    """An export or result file that cannot be compared (exit status 2 on the command line)."""


@dataclass
class Case:
    """How to draw inputs for a layer and compute its reference output and gradients.

    ``draw(rng, geometry, variant)`` returns a dict of float64 input arrays; ``compute(arrays,
    geometry, variant, grad_output=None)`` returns (output, {name: gradient}), the gradients empty
    when no upstream gradient is given. ``geometry`` is a dict of ints (defaults in ``defaults``).
    """
    name: str
    defaults: dict
    variants: tuple
    layout: str
    formula: str
    draw: Callable
    compute: Callable


def cases():
    """Every registered layer case, by name."""
    found = {}
    for ep in entry_points(group="minigrad.crosscheck"):
        for case in ep.load()():
            found[case.name] = case
    return found


# Geometry entries that may be 0 (an empty batch, no padding, a flag off); every other one counts or sizes something.
MAY_BE_ZERO = ("n", "padding", "output_padding", "ceil_mode")


def check_geometry(case, geometry):
    """Refuse unknown keys and values that are not ints of the right sign, naming them, before any
    array is drawn (a groups of 0 ended in ZeroDivisionError, a batch of -1 in numpy's message)."""
    unknown = sorted(set(geometry) - set(case.defaults))
    if unknown:
        raise ValueError(f"crosscheck: layer {case.name} takes no {unknown}; its geometry is {sorted(case.defaults)}")
    for key, value in geometry.items():
        check_count(f"crosscheck: layer {case.name}", key, value, least=0 if key in MAY_BE_ZERO else 1)
        if key == "ceil_mode" and value > 1:
            raise ValueError(f"crosscheck: layer {case.name}: ceil_mode must be 0 or 1, got {value}")


def export(case, geometry=None, variant=None, seed=0):
    """Arrays and manifest of one reference computation, ready for ``save``."""
    from .. import __version__
    if geometry is not None and not isinstance(geometry, Mapping):  # a string's letters became unknown keys
        raise TypeError(f"export: geometry must be a dict such as {{'n': 2}}, got {geometry!r:.80}")
    check_count("export", "seed", seed, least=0)  # as the command line's; NumPy's message named no function
    check_geometry(case, geometry or {})
    geometry = {**case.defaults, **{k: int(v) for k, v in (geometry or {}).items()}}  # JSON has no np.int64
    seed = int(seed)
    if variant is None and case.variants:
        variant = case.variants[0]
    if variant is not None and not case.variants:  # written into the manifest, verify would refuse the file
        raise ValueError(f"crosscheck: layer {case.name} has no variants, got {variant!r}")
    if case.variants and not (isinstance(variant, str) and variant in case.variants):
        raise ValueError(f"crosscheck: layer {case.name} has variants {case.variants}, got {variant!r}")
    rng = np.random.default_rng(seed)
    arrays = case.draw(rng, geometry, variant)
    grad_output = rng.standard_normal(case.compute(arrays, geometry, variant)[0].shape)
    output, grads = case.compute(arrays, geometry, variant, grad_output)
    arrays["grad_output"], arrays["output"] = grad_output, output
    arrays.update({f"grad_{k}": v for k, v in grads.items()})
    manifest = dict(format=FORMAT, layer=case.name, variant=variant, geometry=geometry, layout=case.layout,
                    dtype="float64", formula=case.formula, reference=f"minigrad {__version__}", seed=seed,
                    inputs=[k for k in arrays if k != "output" and not k.startswith("grad_")] + ["grad_output"],
                    outputs=["output"] + [f"grad_{k}" for k in grads])
    return arrays, manifest


def save(path, arrays, manifest):
    with atomic_write(path, suffix=".npz") as tmp:
        np.savez(tmp, manifest=np.array(json.dumps(manifest)), **arrays)


def load(path, need_manifest=True):
    """(arrays, manifest or None); UnusableFile for anything that is not a readable npz export."""
    try:
        arrays = load_npz(path)
    except NotAnNpzFile as e:
        raise UnusableFile(str(e)) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise UnusableFile(f"{path}: not a readable .npz file ({e})") from None
    manifest = None
    if "manifest" in arrays:
        try:
            manifest = json.loads(str(arrays.pop("manifest")))
        except ValueError:
            raise UnusableFile(f"{path}: manifest is not valid JSON") from None
    if need_manifest and (not isinstance(manifest, dict) or manifest.get("format") != FORMAT):
        raise UnusableFile(f"{path}: not a minigrad crosscheck export (no '{FORMAT}' manifest)")
    if need_manifest:
        _check_export(path, arrays, manifest)
    return arrays, manifest


def _check_export(path, arrays, manifest):
    """What compare and verify read from an export, each a KeyError or TypeError when damaged."""
    kinds = {"layer": str, "variant": (str, type(None)), "geometry": dict, "inputs": list, "outputs": list}
    damaged = [key for key, kind in kinds.items() if key not in manifest or not isinstance(manifest[key], kind)]
    names = [name for key in ("inputs", "outputs") if key not in damaged for name in manifest[key]]
    if damaged or not all(isinstance(name, str) for name in names):
        raise UnusableFile(f"{path}: damaged manifest: {', '.join(damaged) or 'inputs or outputs'} "
                           f"not as an export writes {'it' if len(damaged) == 1 else 'them'}")
    missing = [name for name in names if name not in arrays]
    if missing:
        raise UnusableFile(f"{path}: arrays the manifest lists are missing: {', '.join(missing)}")


@dataclass
class Row:
    name: str
    shape: tuple
    max_abs: float
    max_rel: float
    worst: tuple  # index of the element furthest outside the tolerance; None for an empty array
    expected: float
    actual: float
    ok: bool


def compare(expected, actual, rtol=1e-7, atol=1e-10):
    """One Row per expected array: |actual - expected| <= atol + rtol |expected| everywhere. Equal
    infinities and NaN against NaN agree; a NaN or an infinity against anything else differs. The
    arrays may be lists, minigrad's tensors or PyTorch's (which may require gradients)."""
    if not (isinstance(expected, Mapping) and isinstance(actual, Mapping)):  # a string's letters became names
        raise TypeError(f"compare: takes two dicts of arrays by name (an np.load of an .npz is one), got "
                        f"{type(expected).__name__} and {type(actual).__name__}; for two arrays, "
                        f"compare({{'y': expected}}, {{'y': actual}})")
    for name, value in (("rtol", rtol), ("atol", atol)):  # a NaN marked every array as differing
        if not (_is_real(value) and 0 <= value < np.inf):
            raise ValueError(f"compare: {name} must be a finite number >= 0, got {value!r}")
    missing = [k for k in expected if k not in actual]
    if missing:
        raise UnusableFile(f"arrays missing from the result: {', '.join(missing)}")
    expected, actual = {k: _as_array(v) for k, v in expected.items()}, {k: _as_array(actual[k]) for k in expected}
    unreal = [f"{k} ({arrays[k].dtype})" for arrays in (expected, actual) for k in expected
              if arrays[k].dtype.kind not in "biuf"]
    if unreal:  # a complex array would pass on its real part alone
        raise UnusableFile(f"not real-valued: {', '.join(unreal)}")
    differ = [f"{k} {actual[k].shape} vs {expected[k].shape}" for k in expected if actual[k].shape != expected[k].shape]
    if differ:
        raise UnusableFile(f"shapes differ: {'; '.join(differ)}")
    rows = []
    for name, e in expected.items():
        a = np.asarray(actual[name], dtype=np.float64)
        e = np.asarray(e, dtype=np.float64)
        if e.size == 0:
            rows.append(Row(name, e.shape, 0.0, 0.0, None, None, None, True))  # no worst element
            continue
        same = (a == e) | (np.isnan(a) & np.isnan(e))  # equal infinities and NaN against NaN agree
        with np.errstate(invalid="ignore"):  # inf - inf, where same already decided
            diff = np.where(same, 0, np.abs(a - e))
        diff = np.where(np.isnan(diff), np.inf, diff)  # a NaN against a number
        magnitude = np.where(np.isfinite(e), np.abs(e), 0)  # an infinity allows no relative slack
        excess = diff - (atol + rtol * magnitude)
        worst = np.unravel_index(int(np.argmax(excess)), e.shape)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf is the answer, not a warning
            rel = np.where(magnitude > 0, diff / magnitude, np.where(diff > 0, np.inf, 0.0))
        rows.append(Row(name, e.shape, float(diff.max()), float(rel.max()), tuple(int(i) for i in worst),
                        float(e[worst]), float(a[worst]), bool(excess.max() <= 0)))
    return rows


def format_table(rows):
    width = max([16] + [len(r.name) for r in rows])
    lines = [f"{'array':<{width}} {'shape':<18} {'max abs err':>12} {'max rel err':>12} {'worst index':<18} "
             f"{'expected':>14} {'actual':>14}  ok"]
    for r in rows:
        worst, expected, actual = ("-", "-", "-") if r.worst is None else (str(r.worst), f"{r.expected:.6g}", f"{r.actual:.6g}")
        lines.append(f"{r.name:<{width}} {str(r.shape):<18} {r.max_abs:>12.3e} {r.max_rel:>12.3e} {worst:<18} "
                     f"{expected:>14} {actual:>14}  {'yes' if r.ok else 'NO'}")
    return "\n".join(lines)


def verify(path, rtol=1e-10, atol=1e-12):
    """Recompute an export with today's reference and compare every output and gradient."""
    arrays, manifest = load(path)
    registry = cases()
    if manifest["layer"] not in registry:
        raise UnusableFile(f"{path}: layer {manifest['layer']!r} is not registered (have {sorted(registry)})")
    case = registry[manifest["layer"]]
    variant = manifest["variant"]
    if variant not in (case.variants or (None,)):
        raise UnusableFile(f"{path}: layer {case.name} has variants {list(case.variants) or [None]}, the manifest "
                           f"{variant!r}")
    check_geometry(case, manifest["geometry"])
    geometry = {**case.defaults, **manifest["geometry"]}  # older exports lack entries added since, at their defaults
    names = sorted([*case.draw(np.random.default_rng(0), geometry, variant), "grad_output"])
    if sorted(manifest["inputs"]) != names:
        raise UnusableFile(f"{path}: layer {case.name} takes inputs {names}, the manifest lists "
                           f"{sorted(manifest['inputs'])}")
    inputs = {k: arrays[k] for k in manifest["inputs"]}
    unreal = [f"{k} ({a.dtype})" for k, a in inputs.items() if a.dtype.kind != "f"]
    if unreal:
        raise UnusableFile(f"{path}: inputs must be floating point: {', '.join(unreal)}")
    grad_output = inputs.pop("grad_output")
    output, grads = case.compute(inputs, geometry, variant, grad_output)
    recomputed = {"output": output, **{f"grad_{k}": v for k, v in grads.items()}}
    return compare({k: arrays[k] for k in manifest["outputs"]}, recomputed, rtol, atol)


# ------------------------------------------------------------------------ layout converters

def _as_array(a):
    """An array of a minigrad tensor (a parameter too), a PyTorch tensor (detached) or anything NumPy takes."""
    if isinstance(a, Tensor):
        return a.data
    return a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)


def _check_4d(op, a, what="batch"):
    a = _as_array(a)
    if a.ndim != 4:  # a 3-D image is ambiguous: HWC and CHW both exist
        raise ValueError(f"{op}: expected a 4-D {what}, got shape {a.shape}")
    return a


def nhwc_to_nchw(a):
    return np.ascontiguousarray(np.moveaxis(_check_4d("nhwc_to_nchw", a), -1, 1))


def nchw_to_nhwc(a):
    return np.ascontiguousarray(np.moveaxis(_check_4d("nchw_to_nhwc", a), 1, -1))


def oihw_to_hwio(w):
    """A PyTorch conv kernel (out, in/groups, kh, kw) in the layout Keras, TensorFlow and Flax use,
    (kh, kw, in/groups, out). Both are cross-correlation kernels: no flip."""
    return np.ascontiguousarray(_check_4d("oihw_to_hwio", w, "kernel").transpose(2, 3, 1, 0))


def hwio_to_oihw(w):
    """(kh, kw, in/groups, out) -> PyTorch's (out, in/groups, kh, kw)."""
    return np.ascontiguousarray(_check_4d("hwio_to_oihw", w, "kernel").transpose(3, 2, 0, 1))


def keras_cossim_to_torch(w, channels):
    """The seed's Keras ``CosSimConv2D`` weight (1, 9*C, units), patch index k*C + c with k the 3x3
    offset row by row, to (units, C, 3, 3)."""
    check_count("keras_cossim_to_torch", "channels", channels)
    w = _as_array(w)
    if w.ndim != 3 or w.shape[0] != 1 or w.shape[1] != 9 * channels:
        raise ValueError(f"keras_cossim_to_torch: expected shape (1, {9 * channels}, units), got {w.shape}")
    return np.ascontiguousarray(w[0].reshape(3, 3, channels, -1).transpose(3, 2, 0, 1))


def torch_to_keras_cossim(w):
    """(units, C, 3, 3) -> the seed's Keras layout (1, 9*C, units)."""
    w = _as_array(w)
    if w.ndim != 4 or w.shape[2:] != (3, 3):
        raise ValueError(f"torch_to_keras_cossim: expected shape (units, C, 3, 3), got {w.shape}")
    return np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(1, -1, w.shape[0]))


def state_dict_to_numpy(state):
    """A PyTorch state_dict (its tensors, minigrad's or arrays), or the path of a ``.pt`` file, as {name: ndarray}."""
    if isinstance(state, (str, bytes)) or hasattr(state, "__fspath__"):
        import torch  # only for .pt files
        state = torch.load(state, map_location="cpu", weights_only=True)
    if not isinstance(state, Mapping):  # a module needs its state_dict()
        raise TypeError(f"state_dict_to_numpy: takes a state_dict (a dict of tensors by name) or the path of a .pt "
                        f"file, got {type(state).__name__}")
    return {k: _as_array(v) for k, v in state.items()}


def load_torch_state_dict(module, state):
    """Load a PyTorch state_dict (see state_dict_to_numpy) into a module of this project."""
    module.load_state_dict(state_dict_to_numpy(state))
    return module


SCS_RAW = {"pisoni": ("p_raw", "q_raw"), "rohrer": ("p", "log_q"), "rohrer_jax": ("p", "q", "p_scale", "q_scale")}


def scs_effective_p_q(variant, **raw):
    """Effective (p, q) of the SCS formula from a variant's raw parameters:
    pisoni: p = softmax(p_raw), q = q_raw^2 / 10;  rohrer: p = max(p, 0.1), q = exp(log_q);
    rohrer_jax: p = exp(p / p_scale), q = exp(-q / q_scale), the scales 5 and 0.3 unless given (his
    Flax layer's fields)."""
    if not (isinstance(variant, str) and variant in SCS_RAW):
        raise ValueError(f"scs_effective_p_q: unknown variant {variant!r}, expected one of {sorted(SCS_RAW)}")
    names = SCS_RAW[variant]
    missing, unknown = [n for n in names[:2] if n not in raw], sorted(set(raw) - set(names))
    if missing or unknown:  # rohrer's q given as q would otherwise be a KeyError, a p_scale for rohrer ignored
        raise ValueError(f"scs_effective_p_q: {variant} takes {', '.join(names)}; missing {missing}, unknown {unknown}")
    q = np.asarray(raw[names[1]], dtype=np.float64)
    if q.size != 1:  # each layer has one q: taking its first element would hide a per-channel one
        raise ValueError(f"scs_effective_p_q: {variant}'s {names[1]} is one number, got shape {q.shape}")
    q, p = float(q.reshape(-1)[0]), np.asarray(raw[names[0]], dtype=np.float64).reshape(-1)
    if variant == "rohrer_jax":
        return np.exp(p / raw.get("p_scale", 5.0)), float(np.exp(-q / raw.get("q_scale", 0.3)))
    if variant == "pisoni":
        e = np.exp(p - p.max())
        return e / e.sum(), q ** 2 / 10
    return np.maximum(p, 0.1), float(np.exp(q))
