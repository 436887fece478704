"""Cross-check tools: export/verify round trips, compare's exit codes, converters, golden files, torch ports."""
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import layers
import minigrad as mg
from minigrad import crosscheck
from minigrad.testing import assert_close, assert_same_bits
from minigrad.crosscheck.__main__ import main as cli
from tests.golden.regenerate import GOLDEN

GOLDEN_DIR = Path(__file__).parent / "golden"
LAYERS = [("conv2d", None), ("conv_transpose2d", None), ("maxabspool2d", None), ("scs", "rohrer"), ("scs", "pisoni"), ("scs", "rohrer_jax"),
          ("twist", None)]


def export_file(tmp_path, layer, variant, *extra):
    path = tmp_path / f"{layer}-{variant}.npz"
    assert cli(["export", "--layer", layer, *(["--variant", variant] if variant else []), "--out", str(path),
                *extra]) == 0
    return path


@pytest.mark.parametrize("layer,variant", [("scs", None), ("twist", None)])
def test_the_commands_export_defaults_are_the_functions(tmp_path, layer, variant):
    """export --layer L with nothing else writes what crosscheck.export(case) returns: the same seed,
    geometry and variant by default."""
    arrays, manifest = crosscheck.load(export_file(tmp_path, layer, variant))
    expected_arrays, expected_manifest = crosscheck.export(crosscheck.cases()[layer])
    assert manifest == expected_manifest and arrays.keys() == expected_arrays.keys()
    for name in arrays:
        assert_same_bits(arrays[name], expected_arrays[name], name=name)


@pytest.mark.parametrize("layer,variant", LAYERS)
def test_exports_draw_inputs_that_tell_layouts_apart(layer, variant):
    """Inputs with repeated values would let a port with a transposed or flipped kernel agree: at least
    half of each array's values are distinct (ConvTwist's antisymmetric kernels have a 0 at every centre)."""
    arrays, manifest = crosscheck.export(crosscheck.cases()[layer], variant=variant, seed=5)
    for name in manifest["inputs"]:
        assert np.unique(arrays[name]).size > arrays[name].size / 2, name


@pytest.mark.parametrize("layer,variant", LAYERS)
def test_export_then_verify(tmp_path, layer, variant, capsys):
    path = export_file(tmp_path, layer, variant, "--seed", "3")
    assert cli(["verify", str(path)]) == 0
    assert "arrays agree" in capsys.readouterr().out
    arrays, manifest = crosscheck.load(path)
    assert manifest["layer"] == layer and manifest["dtype"] == "float64" and manifest["formula"]
    assert all(a.dtype == np.float64 for a in arrays.values())
    assert "output" in manifest["outputs"] and all(k in arrays for k in manifest["outputs"] + manifest["inputs"])
    # a random upstream gradient: with ones, a port whose input gradient is right only in sum would agree
    assert np.unique(arrays["grad_output"]).size == arrays["grad_output"].size


def test_list_names_each_layer_and_variant_and_its_defaults_as_export_options(tmp_path, capsys):
    """list printed the defaults as the manifest's keys ({'n': 2, 'c_in': 3, ...}), which are not the options
    export takes (--batch, --in-channels): its lines are now options that export takes as they stand."""
    assert cli(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = []
    for head, defaults in zip(lines[::2], lines[1::2]):
        layer, rest = head.split(maxsplit=1)
        variants, default = [None], None
        if rest != "no variants":
            names, default = rest.removeprefix("variants ").removesuffix(")").split(" (default ")
            variants = names.split(", ")
        listed += [(layer, variant) for variant in variants]
        options = defaults.split()
        assert options[0] == "defaults", defaults
        manifest = crosscheck.load(export_file(tmp_path, layer, None, *options[1:]))[1]  # no --variant
        assert (manifest["geometry"], manifest["variant"]) == (crosscheck.cases()[layer].defaults, default)
    assert sorted(listed, key=str) == sorted(LAYERS, key=str)


def test_list_aligns_its_columns_for_the_longest_name(capsys):
    """The name column was 14 wide: conv_transpose2d pushed its own line two columns past its defaults line."""
    assert cli(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    starts = {len(head) - len(head.split(maxsplit=1)[1]) for head in lines[::2]}
    starts |= {defaults.index("defaults") for defaults in lines[1::2]}
    assert starts == {max(len(name) for name in crosscheck.cases()) + 1}


def test_export_geometry_options(tmp_path):
    path = export_file(tmp_path, "conv2d", None, "--in-channels", "4", "--out-channels", "2", "--groups", "2",
                       "--stride", "2", "--kernel-size", "5", "--padding", "2", "--height", "9", "--width", "7")
    arrays, manifest = crosscheck.load(path)
    assert arrays["weight"].shape == (2, 2, 5, 5) and arrays["output"].shape == (2, 2, 5, 4)
    assert cli(["verify", str(path)]) == 0


def test_compare_exit_codes(tmp_path, capsys):
    expected = export_file(tmp_path, "scs", "rohrer")
    arrays, manifest = crosscheck.load(expected)
    assert cli(["compare", str(expected), str(expected)]) == 0

    tampered = dict(arrays)
    tampered["grad_x"] = arrays["grad_x"].copy()
    tampered["grad_x"][1, 0, 2, 3] += 1e-3
    np.savez(tmp_path / "tampered.npz", **tampered)  # a user's result file: no manifest needed
    capsys.readouterr()
    assert cli(["compare", str(expected), str(tmp_path / "tampered.npz")]) == 1
    out = capsys.readouterr().out
    assert "(1, 0, 2, 3)" in out and "differ: grad_x" in out

    missing = {k: v for k, v in arrays.items() if k != "grad_q"}
    np.savez(tmp_path / "missing.npz", **missing)
    assert cli(["compare", str(expected), str(tmp_path / "missing.npz")]) == 2
    assert "missing from the result: grad_q" in capsys.readouterr().err

    reshaped = dict(arrays, output=arrays["output"][:1])
    np.savez(tmp_path / "reshaped.npz", **reshaped)
    assert cli(["compare", str(expected), str(tmp_path / "reshaped.npz")]) == 2
    assert "shapes differ: output" in capsys.readouterr().err

    for name, wrong in (("complex", arrays["output"] + 1j), ("text", np.full(arrays["output"].shape, "x"))):
        np.savez(tmp_path / f"{name}.npz", **dict(arrays, output=wrong))  # complex passed on its real part
        assert cli(["compare", str(expected), str(tmp_path / f"{name}.npz")]) == 2
        assert f"not real-valued: output ({wrong.dtype})" in capsys.readouterr().err

    (tmp_path / "truncated.npz").write_bytes(expected.read_bytes()[:200])
    assert cli(["compare", str(expected), str(tmp_path / "truncated.npz")]) == 2
    assert cli(["compare", str(tmp_path / "missing.npz"), str(expected)]) == 2
    assert "not a minigrad crosscheck export" in capsys.readouterr().err
    assert cli(["verify", str(tmp_path / "truncated.npz")]) == 2

    # a .npy ended in a TypeError traceback with exit status 1 ("some differ"), text in a pickle message
    np.save(tmp_path / "single.npy", arrays["output"])
    (tmp_path / "text.npz").write_text("output 1 2 3\n")
    for name in ("single.npy", "text.npz"):
        capsys.readouterr()
        assert cli(["compare", str(expected), str(tmp_path / name)]) == 2
        assert f"{name}: not an .npz file" in capsys.readouterr().err


@pytest.mark.parametrize("expected,off,ok", [(0.0, 0.9e-10, True), (0.0, 1.1e-10, False),
                                              (1e3, 0.9e-4, True), (1e3, 1.1e-4, False)])
def test_compare_defaults_rtol_1e_7_and_atol_1e_10_in_python_and_on_the_command_line(tmp_path, capsys, expected,
                                                                                   off, ok):
    row, = crosscheck.compare({"output": [expected]}, {"output": [expected + off]})
    assert row.ok is ok
    path = export_file(tmp_path, "conv2d", None)
    arrays, manifest = crosscheck.load(path)
    result = {k: arrays[k] for k in manifest["outputs"]}
    result["output"] = result["output"].copy()
    result["output"].flat[0] = expected + off
    np.savez(tmp_path / "result.npz", **result)
    arrays["output"].flat[0] = expected
    crosscheck.save(path, arrays, manifest)
    assert cli(["compare", str(path), str(tmp_path / "result.npz")]) == (0 if ok else 1)


@pytest.mark.parametrize("off,ok", [(0.9e-10, True), (1.1e-10, False)])
def test_verify_defaults_to_rtol_1e_10_in_python_and_on_the_command_line(tmp_path, capsys, off, ok):
    path = export_file(tmp_path, "conv2d", None)
    arrays, manifest = crosscheck.load(path)
    i = int(np.argmax(np.abs(arrays["output"])))  # well above atol 1e-12, so rtol decides
    arrays["output"].flat[i] *= 1 + off
    crosscheck.save(path, arrays, manifest)
    assert all(row.ok for row in crosscheck.verify(path)) is ok
    assert cli(["verify", str(path)]) == (0 if ok else 1)


def test_compare_non_finite_values():
    """Equal infinities and NaN against NaN agree; an infinity or NaN against anything else differs.
    (|inf - inf| is NaN, which compare counted as a difference.)"""
    inf, nan = np.inf, np.nan
    for expected, actual, ok in [([inf, -inf, nan, 1.0], [inf, -inf, nan, 1.0], True), ([inf], [-inf], False),
                                 ([inf], [1e308], False), ([nan], [0.0], False), ([0.0], [nan], False),
                                 ([1.0], [inf], False)]:
        row, = crosscheck.compare({"y": np.array(expected)}, {"y": np.array(actual)})
        assert row.ok is ok, (expected, actual)
        assert row.max_abs == (0 if ok else inf)


@pytest.mark.parametrize("library", ["list", "minigrad", "torch"])
def test_compare_and_assert_close_take_lists_and_tensors_that_require_gradients(library):
    """compare({"y": e}, {"y": out}) of a layer's output (a minigrad or PyTorch tensor that requires a
    gradient) was either library's refusal to become an ndarray, and of a list "'list' object has no
    attribute 'shape'"; assert_close, which compare decides, too."""
    values = np.array([[1.0, 2.0], [3.0, 4.5]])
    if library == "torch":
        torch = pytest.importorskip("torch")
        out = torch.tensor(values, requires_grad=True) * 1
    else:
        out = values.tolist() if library == "list" else mg.tensor(values, requires_grad=True) * 1
    assert crosscheck.compare({"y": values}, {"y": out})[0].ok
    assert crosscheck.compare({"y": out}, {"y": values})[0].ok
    assert not crosscheck.compare({"y": values + 1e-3}, {"y": out})[0].ok
    assert_close(out, values, rtol=0, atol=0)
    with pytest.raises(AssertionError, match=r"y: worst element \(1, 1\)"):
        assert_close(out, values + [[0, 0], [0, 1]], name="y")


def test_compare_takes_dicts_by_name_and_says_so(tmp_path):
    """Two arrays were an AttributeError ('items'), a name given as a string was taken letter by letter
    ("arrays missing from the result: w, e, i, g, h, t")."""
    for expected, actual in ((np.ones(2), np.ones(2)), ("weight", {}), ({"y": np.ones(2)}, [np.ones(2)])):
        with pytest.raises(TypeError, match=r"compare: takes two dicts of arrays by name .* for two arrays, "
                                             r"compare\(\{'y': expected\}, \{'y': actual\}\)"):
            crosscheck.compare(expected, actual)
    path = tmp_path / "e.npz"
    np.savez(path, y=np.ones(2))
    with np.load(path) as npz:
        assert crosscheck.compare(npz, {"y": np.ones(2)})[0].ok


def test_compare_reports_relative_error_and_marks_each_row(tmp_path, capsys):
    """max rel err is |a - e| / |e| (a relative error of 1e-3 on values of 1e-3 read as 1e-6 when the
    denominator was floored at 1); the ok column says NO on the row that differs; tolerances of 0
    compare exactly (0 is a tolerance, not nonsense)."""
    expected = {"small": np.array([1e-3, -2e-3]), "same": np.array([5.0])}
    actual = {"small": np.array([1.001e-3, -2e-3]), "same": np.array([5.0])}
    small, same = crosscheck.compare(expected, actual, rtol=1e-5, atol=0)
    assert np.isclose(small.max_rel, 1e-3, rtol=1e-6) and np.isclose(small.max_abs, 1e-6, rtol=1e-6)
    assert not small.ok and same.ok
    assert [line.split()[-1] for line in crosscheck.format_table([small, same]).splitlines()] == ["ok", "NO", "yes"]
    path = export_file(tmp_path, "conv2d", None)
    assert cli(["compare", str(path), str(path), "--rtol", "0", "--atol", "0"]) == 0
    arrays, _ = crosscheck.load(path)
    np.savez(tmp_path / "off.npz", **dict(arrays, output=np.nextafter(arrays["output"], np.inf)))
    assert cli(["compare", str(path), str(tmp_path / "off.npz"), "--rtol", "0", "--atol", "0"]) == 1


def test_relative_error_against_an_expected_zero_is_infinite_without_a_warning():
    """|a - e| / |e| for e = 0: the denominator floored at the smallest float gave 1.3e308 for 3 against 0,
    and from 4 up an overflow RuntimeWarning (an error under -W error) with inf."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for actual in (3.0, 5.0, 1e300):
            row, = crosscheck.compare({"y": np.array([0.0, 1.0])}, {"y": np.array([actual, 1.0])})
            assert row.max_rel == np.inf and row.max_abs == actual and not row.ok
        row, = crosscheck.compare({"y": np.array([0.0, 2.0])}, {"y": np.array([0.0, 3.0])})
        assert row.max_rel == 0.5  # 0 against 0 is no error
        row, = crosscheck.compare({"y": np.array([1e-310])}, {"y": np.array([1.0])})  # a subnormal expected
        assert row.max_rel == np.inf


def test_load_and_verify_refuse_what_they_cannot_recompute(tmp_path):
    """A manifest of another format, an input the manifest lists but the file lacks, a layer nobody
    registered: each is an UnusableFile naming the problem, not a KeyError (or a silent pass)."""
    path = export_file(tmp_path, "twist", None)
    arrays, manifest = crosscheck.load(path)
    without_center_y = {k: v for k, v in arrays.items() if k != "center_y"}
    other_format = dict(manifest, format="minigrad-crosscheck/0")
    cases = [("other-format", other_format, arrays, "not a minigrad crosscheck export"),
             ("no-input", manifest, without_center_y, r"arrays the manifest lists are missing: center_y"),
             ("unknown", dict(manifest, layer="dense"), arrays, "layer 'dense' is not registered")]
    for name, changed_manifest, changed_arrays, message in cases:
        crosscheck.save(tmp_path / f"{name}.npz", changed_arrays, changed_manifest)
        with pytest.raises(crosscheck.UnusableFile, match=message):
            crosscheck.verify(tmp_path / f"{name}.npz")


def test_a_file_that_cannot_be_read_is_unusable_naming_why(tmp_path):
    """A missing file, a zip whose member fails its CRC, a manifest that is not JSON: UnusableFile, which
    compare and verify report in one line, rather than OSError, BadZipFile or JSONDecodeError."""
    good = bytearray(export_file(tmp_path, "scs", "rohrer").read_bytes())
    middle = len(good) // 2
    good[middle:middle + 40] = b"x" * 40
    (tmp_path / "corrupt.npz").write_bytes(good)
    np.savez(tmp_path / "not-json.npz", manifest=np.array("{not json"), x=np.ones(2))
    for name, message in (("missing.npz", r"not a readable \.npz file \(\[Errno 2\] No such file"),
                          ("corrupt.npz", r"not a readable \.npz file"),
                          ("not-json.npz", "manifest is not valid JSON")):
        with pytest.raises(crosscheck.UnusableFile, match=rf"{name}: {message}"):
            crosscheck.load(tmp_path / name)


def _without(mapping, key):
    return {k: v for k, v in mapping.items() if k != key}


@pytest.mark.parametrize("change,message", [  # (manifest, arrays) -> (manifest, arrays)
    (lambda m, a: (m, _without(a, "output")), r"arrays the manifest lists are missing: output"),
    (lambda m, a: (dict(m, outputs=1.5), a), r"damaged manifest: outputs not as an export writes it"),
    (lambda m, a: (dict(m, outputs=[*m["outputs"], None]), a), r"damaged manifest: inputs or outputs not as"),
    (lambda m, a: (_without(m, "variant"), a), r"damaged manifest: variant not as an export writes it"),
    (lambda m, a: (dict(m, geometry=None, layer=1), a), r"damaged manifest: layer, geometry not as an export writes "
                                                          r"them"),
    (lambda m, a: ([m], a), r"not a minigrad crosscheck export"),
])
def test_a_damaged_export_is_unusable_for_compare_and_verify(tmp_path, capsys, change, message):
    """An export whose manifest or arrays were edited or cut: exit status 2 and one line naming the
    damage, from compare (both as the expected file and against itself) and from verify; each was
    a KeyError or TypeError traceback."""
    path = export_file(tmp_path, "scs", "rohrer")
    manifest, arrays = change(*reversed(crosscheck.load(path)))
    damaged = tmp_path / "damaged.npz"
    np.savez(damaged, manifest=np.array(json.dumps(manifest)), **arrays)
    capsys.readouterr()
    for argv in (["compare", str(damaged), str(path)], ["verify", str(damaged)]):
        assert cli(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and re.search(message, err), (argv, err)


@pytest.mark.parametrize("change,message", [
    (lambda m, a: (dict(m, geometry=dict(m["geometry"], dilation=1)), a),
     r"crosscheck: layer scs takes no \['dilation'\]; its geometry is \['c_in', "),
    (lambda m, a: (dict(m, variant="keras"), a),
     r"layer scs has variants \['rohrer', 'pisoni', 'rohrer_jax'\], the manifest 'keras'"),
    (lambda m, a: (dict(m, geometry=dict(m["geometry"], kernel="3")), a), r"kernel must be an int >= 1, got '3'"),
    (lambda m, a: (dict(m, inputs=["x", "x", "p", "q", "grad_output"]), a),
     r"layer scs takes inputs \['grad_output', 'p', 'q', 'weight', 'x'\], the manifest lists \['grad_output', 'p', "
     r"'q', 'x', 'x'\]"),
    (lambda m, a: (m, dict(a, q=a["q"].astype(complex))), r"inputs must be floating point: q \(complex128\)"),
])
def test_verify_refuses_an_export_it_cannot_recompute(tmp_path, capsys, change, message):
    """verify recomputes from the manifest's geometry, variant and inputs: damaged, each was a KeyError
    or TypeError traceback, or ran the layer on complex numbers."""
    path = export_file(tmp_path, "scs", "rohrer")
    manifest, arrays = change(*reversed(crosscheck.load(path)))
    crosscheck.save(tmp_path / "damaged.npz", arrays, manifest)
    capsys.readouterr()
    assert cli(["verify", str(tmp_path / "damaged.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err), err


def test_compare_table_columns_line_up_for_long_array_names(tmp_path, capsys):
    """ConvTwist's gradients have names longer than the table's first column once was."""
    expected = export_file(tmp_path, "twist", None)
    capsys.readouterr()
    assert cli(["compare", str(expected), str(expected)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("array", "output", "grad_"))]
    assert any(len(line.split()[0]) > 16 for line in lines)
    starts = {line.index(" (" if not line.startswith("array") else " shape") for line in lines}
    assert len(starts) == 1, "\n".join(lines)


@pytest.mark.parametrize("argv, message", [
    (["compare", "a.npz", "b.npz", "--rtol", "nan"], "invalid tolerance value: 'nan'"),
    (["compare", "a.npz", "b.npz", "--atol", "-0.5"], "invalid tolerance value: '-0.5'"),
    (["verify", "a.npz", "--rtol", "inf"], "invalid tolerance value: 'inf'"),
    (["export", "--layer", "twist", "--seed", "-1", "--out", "x.npz"], "invalid seed value: '-1'"),
    (["export", "--layer", "conv2d", "--groups", "0", "--out", "x.npz"], "argument --groups: invalid size value: '0'"),
    (["export", "--layer", "conv2d", "--batch", "-1", "--out", "x.npz"], "argument --batch: invalid count value: '-1'"),
    (["export", "--layer", "scs", "--padding", "-1", "--out", "x.npz"], "argument --padding: invalid count value: '-1'"),
    (["export", "--layer", "maxabspool2d", "--ceil-mode", "2", "--out", "x.npz"], "argument --ceil-mode: invalid flag value: '2'"),
])
def test_nonsense_numbers_are_refused_before_anything_runs(argv, message, capsys):
    """A nan tolerance made every array 'differ'; a negative seed ended in numpy's own message, a
    groups of 0 in a ZeroDivisionError traceback, a batch of -1 in "negative dimensions are not allowed"."""
    with pytest.raises(SystemExit) as exit_info:
        cli(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["export", "--layer", "conv2d", "--out", ""], "argument --out: needs a path, got ''"),
    (["compare", "", "b.npz"], "argument expected: needs a path, got ''"),
    (["compare", "a.npz", ""], "argument actual: needs a path, got ''"),
    (["verify", ""], "argument file: needs a path, got ''"),
])
def test_an_empty_path_is_refused_as_no_path(argv, message, capsys):
    """An unset shell variable: --out "" ended in "error: cannot write : Is a directory", compare ""
    in "error: : not a readable .npz file"."""
    with pytest.raises(SystemExit) as exit_info:
        cli(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_bad_export_options(tmp_path, capsys):
    assert cli(["export", "--layer", "dense", "--out", str(tmp_path / "x.npz")]) == 2
    assert cli(["export", "--layer", "scs", "--variant", "keras", "--out", str(tmp_path / "x.npz")]) == 2
    assert "variants" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_export_names_the_options_a_layer_does_not_take_as_typed(tmp_path, capsys):
    """--channels and --padding for twist were "takes no ['c', 'padding']; its geometry is ['c_in', ...]",
    the manifest's keys, which no option is called."""
    argv = ["export", "--layer", "twist", "--channels", "2", "--padding", "1", "--batch", "1", "--out",
            str(tmp_path / "x.npz")]
    assert cli(argv) == 2
    err = capsys.readouterr().err
    prefix = "error: layer twist takes no --channels, --padding; its options, with their defaults: "
    assert err.startswith(prefix) and err.count("\n") == 1 and list(tmp_path.iterdir()) == []
    suggested = err[len(prefix):].split()  # options the export then takes, as they stand
    assert suggested[0::2] == ["--batch", "--in-channels", "--out-channels", "--height", "--width", "--stride"]
    assert cli(argv[:3] + suggested + argv[-2:]) == 0


@pytest.mark.parametrize("layer, variant, message", [
    ("conv2d", "pisoni", "layer conv2d has no variants, got 'pisoni'"),
    ("maxabspool2d", "rohrer", "layer maxabspool2d has no variants, got 'rohrer'"),
    ("scs", "", "layer scs has variants ('rohrer', 'pisoni', 'rohrer_jax'), got ''"),
])
def test_export_writes_only_variants_verify_takes(layer, variant, message, tmp_path, capsys):
    """A variant given to a layer without variants went into the manifest, and verify then refused the
    file as damaged; an empty variant silently became the default."""
    assert cli(["export", "--layer", layer, "--variant", variant, "--out", str(tmp_path / "x.npz")]) == 2
    assert message in capsys.readouterr().err and list(tmp_path.iterdir()) == []
    for bad in (["pisoni"], np.array(["pisoni", "rohrer"])):  # a TypeError and an ambiguous truth value before
        with pytest.raises(ValueError, match=f"crosscheck: layer {layer} has"):
            crosscheck.export(crosscheck.cases()[layer], variant=bad)


@pytest.mark.parametrize("geometry, message", [
    ({"groups": 0}, "conv2d: groups must be an int >= 1, got 0"),
    ({"n": -1}, "conv2d: n must be an int >= 0, got -1"),
    ({"h": 2.5}, "conv2d: h must be an int >= 1, got 2.5"),
    ({"kernel": True}, "conv2d: kernel must be an int >= 1, got True"),
    ({"dilation": 2, "kernels": 3}, r"conv2d takes no \['kernels'\]"),
])
def test_export_refuses_bad_geometry_before_drawing(geometry, message):
    """The API gets the checks the command line has; an unknown key went into the manifest."""
    with pytest.raises(ValueError, match=message):
        crosscheck.export(crosscheck.cases()["conv2d"], geometry)


@pytest.mark.parametrize("args, message", [
    (("rohrer",), r"export: geometry must be a dict such as \{'n': 2\}, got 'rohrer'"),  # the variant, by position
    (((2, 3),), r"export: geometry must be a dict such as \{'n': 2\}, got \(2, 3\)"),
    (({}, None, 1.0), "export: seed must be an int >= 0, got 1.0"),  # NumPy's SeedSequence message
    (({}, None, -1), "export: seed must be an int >= 0, got -1"),
    (({}, None, None), "export: seed must be an int >= 0, got None"),  # a random draw, its seed null in the manifest
])
def test_export_refuses_a_geometry_that_is_no_dict_and_a_seed_that_is_no_int(args, message):
    """export(case, "rohrer") said "layer scs takes no ['e', 'o', 'r']"."""
    with pytest.raises((TypeError, ValueError), match=message):
        crosscheck.export(crosscheck.cases()["scs"], *args)


@pytest.mark.parametrize("tolerance", [float("nan"), -1e-7, None, "1e-7", float("inf"), True])
def test_compare_refuses_a_tolerance_that_is_not_a_finite_number_at_least_0(tolerance):
    """As the command line refuses it: a nan rtol marked every array as differing, without a word, and None
    was "unsupported operand type(s) for +"."""
    for name in ("rtol", "atol"):
        with pytest.raises((TypeError, ValueError), match=rf"compare: {name} must be a finite number >= 0, got "):
            crosscheck.compare({"y": np.ones(2)}, {"y": np.ones(2)}, **{name: tolerance})


def test_export_takes_numpys_ints_and_writes_them_as_json_ints(tmp_path):
    """A geometry or seed of np.int64 (read from an array) passed the checks, then save failed: "Object of type
    int64 is not JSON serializable"."""
    arrays, manifest = crosscheck.export(crosscheck.cases()["conv2d"], {"n": np.int64(2)}, None, np.int64(3))
    crosscheck.save(tmp_path / "e.npz", arrays, manifest)
    assert all(row.ok for row in crosscheck.verify(tmp_path / "e.npz"))
    _, saved = crosscheck.load(tmp_path / "e.npz")
    assert saved["seed"] == 3 and saved["geometry"]["n"] == 2


def test_export_takes_ceil_mode_as_a_flag():
    pool = crosscheck.cases()["maxabspool2d"]
    with pytest.raises(ValueError, match="maxabspool2d: ceil_mode must be 0 or 1, got 2"):
        crosscheck.export(pool, {"ceil_mode": 2})
    arrays, manifest = crosscheck.export(pool, {"ceil_mode": 1, "h": 7, "w": 5})
    assert arrays["output"].shape == (2, 3, 4, 3)  # 7 and 5 rows of 2x2 windows, rounded up


def test_export_takes_an_empty_batch_and_no_padding(tmp_path, capsys):
    path = export_file(tmp_path, "conv2d", None, "--batch", "0", "--padding", "0")
    assert crosscheck.load(path)[0]["output"].shape == (0, 4, 5, 4)
    capsys.readouterr()
    assert cli(["verify", str(path)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("output "))
    assert row.split()[-4:] == ["-", "-", "-", "yes"]  # no worst element (was "() nan nan": NaN values?)


def test_a_geometry_too_large_for_memory_is_one_line(tmp_path, capsys):
    """A typo'd size (two inputs of 10^6 x 10^6 pixels) ended in numpy's MemoryError traceback."""
    out = tmp_path / "x.npz"
    assert cli(["export", "--layer", "conv2d", "--height", "1000000", "--width", "1000000", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Unable to allocate") and err.count("\n") == 1 and not out.exists()


def test_unwritable_export_is_one_line(tmp_path, monkeypatch, capsys):
    """A directory that refuses new files (read-only, full) ended in a traceback naming the temporary."""
    def refuse(*args, **kwargs):
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr("tempfile.mkstemp", refuse)
    out = tmp_path / "x.npz"
    assert cli(["export", "--layer", "conv2d", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: cannot write {out}: Read-only file system\n"
    assert cli(["export", "--layer", "conv2d", "--out", str(tmp_path / "missing" / "x.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_files(name):
    """Regenerate with `python -m tests.golden.regenerate` only for an intended numerical change."""
    rows = crosscheck.verify(GOLDEN_DIR / name)
    assert all(r.ok for r in rows), crosscheck.format_table(rows)


def test_golden_files_are_small_and_complete():
    assert sorted(p.name for p in GOLDEN_DIR.glob("*.npz")) == sorted(GOLDEN)
    assert sum(p.stat().st_size for p in GOLDEN_DIR.glob("*.npz")) < 300_000


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=4, max_dims=4, max_side=4)))
def test_nhwc_nchw_round_trip(a):
    np.testing.assert_array_equal(crosscheck.nchw_to_nhwc(crosscheck.nhwc_to_nchw(a)), a)
    assert crosscheck.nhwc_to_nchw(a).shape == (a.shape[0], a.shape[3], a.shape[1], a.shape[2])


@given(st.integers(1, 4), st.integers(1, 5), st.integers(0, 2**31 - 1))
@example(channels=1, units=3, seed=1146697)  # a dot of 2e-5 from terms near 1: rtol alone failed it
def test_keras_cossim_layout_round_trip_and_meaning(channels, units, seed):
    rng = np.random.default_rng(seed)
    w_keras = rng.standard_normal((1, 9 * channels, units))
    w_torch = crosscheck.keras_cossim_to_torch(w_keras, channels)
    np.testing.assert_array_equal(crosscheck.torch_to_keras_cossim(w_torch), w_keras)
    # the meaning: the seed's patch vector is offset-major (top-left first), channel-minor
    x = rng.standard_normal((5, 6, channels))  # one NHWC image
    xpad = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    h, w = 2, 3
    patch = np.concatenate([xpad[h + di, w + dj] for di in range(3) for dj in range(3)])
    keras_dot = patch @ w_keras[0]
    torch_dot = np.einsum("cij,ucij->u", xpad[h:h + 3, w:w + 3].transpose(2, 0, 1), w_torch)
    # two summation orders: a dot near 0 rounds relative to its terms, not to itself
    np.testing.assert_allclose(keras_dot, torch_dot, rtol=1e-12, atol=1e-13)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=4, max_dims=4, max_side=4)))
def test_oihw_hwio_round_trip(w):
    np.testing.assert_array_equal(crosscheck.hwio_to_oihw(crosscheck.oihw_to_hwio(w)), w)
    assert crosscheck.oihw_to_hwio(w).shape == (w.shape[2], w.shape[3], w.shape[1], w.shape[0])


def test_hwio_kernel_on_nhwc_input_is_the_reference_conv(tmp_path):
    """What the converters mean: an NHWC conv with the HWIO kernel, written here as Keras defines
    it (y[n, h, w, o] = sum_ijc x[n, h + i, w + j, c] k[i, j, c, o]), gives the export's output."""
    arrays, _ = crosscheck.load(export_file(tmp_path, "conv2d", None, "--padding", "0", "--kernel-size", "2"))
    x, k = crosscheck.nchw_to_nhwc(arrays["x"]), crosscheck.oihw_to_hwio(arrays["weight"])
    kh, kw = k.shape[:2]
    oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    y = sum(np.einsum("nhwc,co->nhwo", x[:, i:i + oh, j:j + ow], k[i, j]) for i in range(kh) for j in range(kw))
    np.testing.assert_allclose(crosscheck.nhwc_to_nchw(y + arrays["bias"]), arrays["output"], rtol=1e-12, atol=1e-12)


def test_keras_transposed_kernel_is_the_hwio_of_the_export_weight(tmp_path):
    """docs/crosscheck.md: a Conv2DTranspose kernel (kh, kw, out, in), TensorFlow's conv2d_transpose filter, is
    oihw_to_hwio of conv_transpose2d's (in, out, kh, kw) weight, unflipped. TensorFlow defines the op as conv2d's
    input gradient: each input pixel adds its kernel-weighted copy at (h s + i, w s + j), written here so."""
    arrays, _ = crosscheck.load(export_file(tmp_path, "conv_transpose2d", None, "--padding", "0",
                                            "--output-padding", "0", "--kernel-size", "2"))
    x, k = crosscheck.nchw_to_nhwc(arrays["x"]), crosscheck.oihw_to_hwio(arrays["weight"])
    (n, h, w, _), (kh, kw, out, _), s = x.shape, k.shape, 2
    y = np.zeros((n, (h - 1) * s + kh, (w - 1) * s + kw, out))
    for i in range(kh):
        for j in range(kw):
            y[:, i:i + (h - 1) * s + 1:s, j:j + (w - 1) * s + 1:s] += np.einsum("nhwc,oc->nhwo", x, k[i, j])
    np.testing.assert_allclose(crosscheck.nhwc_to_nchw(y + arrays["bias"]), arrays["output"], rtol=1e-12, atol=1e-12)


@given(st.integers(3, 9), st.integers(3, 9), st.sampled_from([1, 2, 3, 5]), st.integers(2, 3),
       st.integers(0, 2**31 - 1))
def test_keras_same_padding_at_a_stride_is_a_conv_of_the_input_padded_as_docs_say(h, w, k, stride, seed):
    """docs/crosscheck.md's recipe for Keras's padding="same" with a stride, which PyTorch and
    minigrad refuse: conv2d of x padded max((out - 1) s + k - size, 0) per axis, the odd one at the
    end, gives what XLA's "SAME" convolution (Keras's on JAX and TensorFlow) gives, NHWC and HWIO."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(seed)
    x, weight = rng.standard_normal((1, 2, h, w)), rng.standard_normal((3, 2, k, k))
    pads = []
    for size in (w, h):
        total = max((-(-size // stride) - 1) * stride + k - size, 0)
        pads += [total // 2, total - total // 2]
    y = layers.functional.conv2d(mg.pad(mg.tensor(x), tuple(pads)), weight, stride=stride).data
    keras = jax.lax.conv_general_dilated(crosscheck.nchw_to_nhwc(x), crosscheck.oihw_to_hwio(weight), (stride, stride),
                                         "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    np.testing.assert_allclose(crosscheck.nhwc_to_nchw(np.asarray(keras)), y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("convert", ["oihw_to_hwio", "hwio_to_oihw", "nchw_to_nhwc", "nhwc_to_nchw",
                                     "torch_to_keras_cossim"])
def test_converters_take_a_layers_weight_and_torchs_tensors(convert):
    """oihw_to_hwio(layer.weight) was "a tensor that requires a gradient cannot become an ndarray", and
    a torch parameter PyTorch's "Can't call numpy() on Tensor that requires grad": the converters give
    arrays, outside any graph, as state_dict_to_numpy does."""
    weight = layers.SharpCosSim2d(2, 4, rng=0).weight
    expected = getattr(crosscheck, convert)(weight.data.copy())
    np.testing.assert_array_equal(getattr(crosscheck, convert)(weight), expected)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Parameter(torch.from_numpy(weight.data.copy()))
    np.testing.assert_array_equal(getattr(crosscheck, convert)(theirs), expected)


def test_bad_converter_shapes():
    with pytest.raises(ValueError, match=r"expected shape \(1, 18, units\)"):
        crosscheck.keras_cossim_to_torch(np.ones((1, 9, 4)), 2)
    with pytest.raises(ValueError, match=r"\(units, C, 3, 3\)"):
        crosscheck.torch_to_keras_cossim(np.ones((4, 2, 5, 5)))
    # a 3-D image came back with two axes swapped, a 2-D array unchanged
    with pytest.raises(ValueError, match=r"nhwc_to_nchw: expected a 4-D batch, got shape \(2, 3, 4\)"):
        crosscheck.nhwc_to_nchw(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"nchw_to_nhwc: expected a 4-D batch, got shape \(2, 3\)"):
        crosscheck.nchw_to_nhwc(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"oihw_to_hwio: expected a 4-D kernel, got shape \(2, 3, 3\)"):
        crosscheck.oihw_to_hwio(np.ones((2, 3, 3)))
    for channels in ("2", 0, 2.0, None):  # "2" was "The 'out' kwarg is necessary ...", 0 a zero-size reshape error
        with pytest.raises(ValueError, match=rf"keras_cossim_to_torch: channels must be an int >= 1, got {channels!r}"):
            crosscheck.keras_cossim_to_torch(np.ones((1, 18, 4)), channels)


def test_effective_p_q_match_the_layers():
    for variant, raw_names in (("pisoni", ("p_raw", "q_raw")), ("rohrer", ("p", "log_q"))):
        layer = layers.SharpCosSim2d(2, 5, variant=variant, rng=np.random.default_rng(0), dtype=np.float64)
        for name in raw_names:
            getattr(layer, name).data[:] = np.random.default_rng(1).uniform(-1, 2, getattr(layer, name).shape)
        # copies: the layer's in-place projection below would also change an array that aliases p
        p, q = crosscheck.scs_effective_p_q(variant, **{n: getattr(layer, n).data.copy() for n in raw_names})
        if variant == "rohrer":
            layer(mg.tensor(np.ones((1, 2, 3, 3))))  # applies the in-place p >= 0.1 projection
        p_layer, q_layer = layer.effective_p_q()
        np.testing.assert_allclose(p, p_layer.data, rtol=1e-12)
        assert q == pytest.approx(float(q_layer.data.reshape(-1)[0]), rel=1e-12)
    p, q = crosscheck.scs_effective_p_q("pisoni", p_raw=np.array([1000.0, 1000.0, 0.0]), q_raw=np.array([1.0]))
    np.testing.assert_allclose(p, [0.5, 0.5, 0.0], atol=1e-300)  # softmax of large raw values, no overflow
    assert q == 0.1


def test_effective_p_q_of_rohrers_jax_layer():
    """His Flax layer keeps p and q raw, p = exp(p / p_scale), q = exp(-q / q_scale), scales 5 and 0.3
    by default; its initial p = 1, q = 10 are p = e^0.2, q = e^-33.3."""
    p, q = crosscheck.scs_effective_p_q("rohrer_jax", p=np.ones((1, 3, 1, 1)), q=np.full((1, 1, 1, 1), 10.0))
    np.testing.assert_allclose(p, np.full(3, np.e ** 0.2), rtol=1e-15)
    assert q == pytest.approx(np.e ** (-10 / 0.3), rel=1e-15)
    p, q = crosscheck.scs_effective_p_q("rohrer_jax", p=np.array([2.0, -1.0]), q=np.array([0.6]), p_scale=2,
                                        q_scale=0.6)
    np.testing.assert_allclose(p, [np.e, np.e ** -0.5], rtol=1e-15)
    assert q == pytest.approx(1 / np.e, rel=1e-15)


@pytest.mark.parametrize("variant,raw,message", [
    ("rohrer", dict(p=np.ones(3), q=np.ones(1)), r"rohrer takes p, log_q; missing \['log_q'\], unknown \['q'\]"),
    ("rohrer", dict(p=np.ones(3), log_q=np.zeros(1), p_scale=5),
     r"rohrer takes p, log_q; missing \[\], unknown \['p_scale'\]"),
    ("pisoni", dict(p_raw=np.ones(3)), r"pisoni takes p_raw, q_raw; missing \['q_raw'\]"),
    ("rohrer_jax", dict(p=np.ones(3), q=np.ones(3)), r"rohrer_jax's q is one number, got shape \(3,\)"),
    ("rohrer", dict(p=np.ones(3), log_q=np.zeros((1, 2))), r"rohrer's log_q is one number, got shape \(1, 2\)"),
    ("keras", dict(p=np.ones(3)), r"unknown variant 'keras', expected one of \['pisoni', 'rohrer', 'rohrer_jax'\]"),
    (["rohrer"], dict(p=np.ones(3)), r"unknown variant \['rohrer'\]"),  # a list was unhashable: a TypeError
])
def test_effective_p_q_refuses_parameters_the_variant_does_not_have(variant, raw, message):
    """A per-channel q lost all but its first element; a misnamed one was a bare KeyError; a scale
    given to a variant without one was ignored."""
    with pytest.raises(ValueError, match=r"scs_effective_p_q: " + message):
        crosscheck.scs_effective_p_q(variant, **raw)


def test_torch_state_dict_and_pt_file_load_into_a_module(tmp_path):
    torch = pytest.importorskip("torch")
    state = {"center_x": torch.rand(3), "center_y": torch.rand(3), "conv.weight": torch.rand(3, 2, 3, 3),
             "conv_x.weight": torch.rand(3, 2, 3, 3), "conv_y.weight": torch.rand(3, 2, 3, 3)}
    torch.save(state, tmp_path / "twist.pt")
    for source in (state, tmp_path / "twist.pt"):
        module = crosscheck.load_torch_state_dict(layers.ConvTwist2d(2, 3), source)
        np.testing.assert_array_equal(module.center_y.data, state["center_y"].numpy())


@pytest.mark.parametrize("state", [None, [1.0], np.ones(3), layers.Conv2d(1, 1, 1)])
def test_state_dict_to_numpy_refuses_what_is_no_state_dict_naming_what_it_takes(state):
    """A module, an array or a list was an AttributeError ('items'); a module needs its state_dict()."""
    with pytest.raises(TypeError, match=r"state_dict_to_numpy: takes a state_dict \(a dict of tensors by name\) or "
                                        rf"the path of a \.pt file, got {type(state).__name__}"):
        crosscheck.state_dict_to_numpy(state)


def test_a_state_dict_of_minigrad_tensors_loads_too():
    """A state holding minigrad tensors (a model's parameters) was an AttributeError: they have detach()
    but no cpu()."""
    source = layers.Conv2d(2, 3, 3, rng=0)
    state = dict(source.named_parameters())
    module = crosscheck.load_torch_state_dict(layers.Conv2d(2, 3, 3, rng=1), state)
    for name, p in module.named_parameters():
        np.testing.assert_array_equal(p.data, state[name].data)


DEPTHWISE_SCS = ("--in-channels", "3", "--out-channels", "6", "--groups", "3")  # Rohrer's depthwise layer


@pytest.mark.parametrize("layer,variant,extra", [(layer, variant, ()) for layer, variant in LAYERS]
                         + [("scs", "rohrer", DEPTHWISE_SCS), ("scs", "pisoni", DEPTHWISE_SCS),
                            ("maxabspool2d", None, ("--ceil-mode", "1", "--height", "7", "--kernel-size", "3")),
                            ("maxabspool2d", None, ("--dilation", "2", "--kernel-size", "3", "--stride", "1",
                                                    "--padding", "1")),
                            ("conv_transpose2d", None, ("--in-channels", "4", "--out-channels", "6", "--groups", "2",
                                                        "--stride", "3", "--output-padding", "2", "--padding", "2",
                                                        "--dilation", "2", "--height", "4", "--width", "3")),
                            ("conv_transpose2d", None, ("--stride", "1", "--output-padding", "0", "--padding", "0",
                                                        "--kernel-size", "2"))])
def test_torch_ports_consume_exported_files(tmp_path, layer, variant, extra):
    """The test suite's independent torch ports read an export and reproduce it."""
    torch = pytest.importorskip("torch")
    from tests.test_scs import torch_scs
    from tests.test_twist import SeedConvTwist
    from tests.test_windows import torch_max_abs_pool
    arrays, manifest = crosscheck.load(export_file(tmp_path, layer, variant, *extra))
    g = manifest["geometry"]
    names = [k for k in manifest["inputs"] if k != "grad_output"]
    if layer == "twist":
        port = SeedConvTwist(torch, {k: arrays[k] for k in names if k != "x"}, g["stride"])
        tensors = dict(port.p, x=torch.tensor(arrays["x"], requires_grad=True))
        out = port(tensors["x"])
    else:
        tensors = {k: torch.tensor(arrays[k], requires_grad=True) for k in names}
        t = list(tensors.values())
        if layer == "conv2d":
            out = torch.nn.functional.conv2d(*t, stride=g["stride"], padding=g["padding"], dilation=g["dilation"],
                                             groups=g["groups"])
        elif layer == "conv_transpose2d":
            out = torch.nn.functional.conv_transpose2d(*t, stride=g["stride"], padding=g["padding"],
                                                       output_padding=g["output_padding"], groups=g["groups"],
                                                       dilation=g["dilation"])
        elif layer == "maxabspool2d":
            out = torch_max_abs_pool(torch, t[0], g["kernel"], g["stride"], g["padding"], g["dilation"],
                                     bool(g["ceil_mode"]))
        else:
            out = torch_scs(torch, *t, g["stride"], g["padding"], variant, g["groups"])
    out.backward(torch.tensor(arrays["grad_output"]))
    np.testing.assert_allclose(out.detach().numpy(), arrays["output"], rtol=1e-10, atol=1e-12)
    for name in names:
        np.testing.assert_allclose(tensors[name].grad.numpy(), arrays[f"grad_{name}"], rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_the_layer_by_layer_example_in_the_docs_runs_and_catches_a_layer_that_differs(capsys):
    """docs/crosscheck.md's hooks example runs as printed and every row agrees; the same example with a port
    whose ReLU is a LeakyReLU fails, the first row that says NO being that layer's output."""
    pytest.importorskip("torch")
    text = (Path(__file__).parent.parent / "docs" / "crosscheck.md").read_text()
    start = text.index("```python\nimport functools") + len("```python\n")
    block = text[start:text.index("```", start)]
    exec(compile(block, "docs/crosscheck.md", "exec"), {})
    assert capsys.readouterr().out.count(" yes") == 10
    leaky = block.replace("torch.nn.ReLU()", "torch.nn.LeakyReLU(0.5)")
    assert leaky != block
    with pytest.raises(AssertionError):
        exec(compile(leaky, "docs/crosscheck.md", "exec"), {})
    table = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in table if line.endswith("NO")][0] == ["1", "output"]


def jax_port_from_the_docs():
    text = (Path(__file__).parent.parent / "docs" / "crosscheck.md").read_text()
    start = text.index("```python\nimport json, sys") + len("```python\n")
    return text[start:text.index("```", start)]


@pytest.mark.parametrize("layer,variant,extra", [
    ("scs", "rohrer", ()), ("scs", "pisoni", ("--stride", "2")), ("scs", "rohrer", DEPTHWISE_SCS),
    ("scs", "pisoni", ("--in-channels", "4", "--out-channels", "6", "--groups", "2")), ("scs", "rohrer_jax", ()),
    ("scs", "rohrer_jax", DEPTHWISE_SCS), ("twist", None, ()), ("conv_transpose2d", None, ()),
    ("conv_transpose2d", None, ("--in-channels", "4", "--out-channels", "6", "--groups", "2", "--stride", "3",
                                "--output-padding", "2", "--padding", "5", "--dilation", "2", "--height", "4"))])
def test_the_jax_port_in_the_docs_reproduces_exports(tmp_path, layer, variant, extra, monkeypatch):
    """docs/crosscheck.md's JAX example, run as a user runs it, agrees with the export (when jax is installed)."""
    pytest.importorskip("jax")
    expected, mine = export_file(tmp_path, layer, variant, *extra), tmp_path / "mine.npz"
    monkeypatch.setattr("sys.argv", ["port.py", str(expected), str(mine)])
    exec(compile(jax_port_from_the_docs(), "docs/crosscheck.md", "exec"), {})
    assert cli(["compare", str(expected), str(mine), "--rtol", "1e-10", "--atol", "1e-12"]) == 0
