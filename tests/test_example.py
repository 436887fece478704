"""The MNIST example end to end on a small slice: determinism, resume, eval, outputs, bad input."""
import json
import os
import re
import shutil

import numpy as np
import pytest

import minigrad as mg
from examples import mnist, mnist_data, training
from tests.test_data import write_idx

pytest.importorskip("tqdm")


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    """192 train and 64 test digits from the bundled set, as a --data directory."""
    directory = tmp_path_factory.mktemp("mnist-small")
    train_x, train_y, test_x, test_y = mnist_data.load_dir(mnist_data.BUNDLED)
    for stem, array in (("train-images-idx3-ubyte", train_x[:192]), ("train-labels-idx1-ubyte", train_y[:192]),
                        ("t10k-images-idx3-ubyte", test_x[:64]), ("t10k-labels-idx1-ubyte", test_y[:64])):
        write_idx(directory / (stem + ".gz"), array)
    return directory


def run(*argv, data):
    return mnist.main(["--data", str(data), "--no-progress", *argv])


def checkpoint_weights(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k.startswith("model/")}


@pytest.mark.parametrize("model", ["scs", "twist", "conv"])
def test_same_seed_same_loss_curve_bit_for_bit(tmp_path, small_data, model):
    for name in ("a", "b"):
        assert run("--model", model, "--epochs", "1", "--metrics-out", str(tmp_path / f"{name}.json"),
                   "--checkpoint", str(tmp_path / f"{name}.npz"), data=small_data) == 0
    a, b = checkpoint_weights(tmp_path / "a.npz"), checkpoint_weights(tmp_path / "b.npz")
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    with np.load(tmp_path / "a.npz") as fa, np.load(tmp_path / "b.npz") as fb:
        ha, hb = (json.loads(str(f["meta"]))["history"] for f in (fa, fb))
    drop_time = lambda history: [{k: v for k, v in h.items() if k != "seconds"} for h in history]  # noqa: E731
    assert drop_time(ha) == drop_time(hb)


def test_resume_reaches_the_same_weights_as_an_uninterrupted_run(tmp_path, small_data):
    """2 epochs straight == 1 epoch, then --resume to 2 (the cosine schedule is closed-form in the
    epoch, so the resumed run recomputes the learning rate a 2-epoch plan has after epoch 1)."""
    straight, resumed = tmp_path / "straight.npz", tmp_path / "resumed.npz"
    assert run("--epochs", "2", "--checkpoint", str(straight), data=small_data) == 0
    assert run("--epochs", "1", "--checkpoint", str(resumed), data=small_data) == 0
    assert run("--epochs", "2", "--checkpoint", str(resumed), "--resume", data=small_data) == 0
    a, b = checkpoint_weights(straight), checkpoint_weights(resumed)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_resume_continues_the_checkpoints_seed_and_batch_size(tmp_path, small_data, capsys):
    """--resume took the command line's --batch-size and --seed (64 and 0 unless given), so resuming a
    --batch-size 32 run without repeating it trained on with 64, ended elsewhere, and --metrics-out
    reported seed 0. The checkpoint now records both; told other values, --resume refuses them."""
    straight, resumed, metrics = tmp_path / "straight.npz", tmp_path / "resumed.npz", tmp_path / "m.json"
    assert run("--seed", "3", "--batch-size", "32", "--epochs", "2", "--checkpoint", str(straight), data=small_data) == 0
    assert run("--seed", "3", "--batch-size", "32", "--epochs", "1", "--checkpoint", str(resumed), data=small_data) == 0
    before = resumed.read_bytes()
    capsys.readouterr()
    for told in (["--batch-size", "64"], ["--seed", "0"]):
        assert run("--epochs", "2", "--checkpoint", str(resumed), "--resume", *told, data=small_data) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"the checkpoint's run has {told[0]} {3 if told[0] == '--seed' else 32}" in err
    assert resumed.read_bytes() == before
    assert run("--epochs", "2", "--checkpoint", str(resumed), "--resume", "--metrics-out", str(metrics),
               data=small_data) == 0
    a, b = checkpoint_weights(straight), checkpoint_weights(resumed)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    m = json.loads(metrics.read_text())
    assert (m["seed"], m["batch_size"]) == (3, 32)
    assert "note: the checkpoint's run" not in capsys.readouterr().out
    assert run("--eval", str(resumed), "--metrics-out", str(metrics), data=small_data) == 0
    assert (json.loads(metrics.read_text())["seed"], json.loads(metrics.read_text())["batch_size"]) == (3, 32)


def test_resume_on_other_data_says_so(tmp_path, small_data, capsys):
    """--resume took another --data without a word, and the run no longer ends where an
    uninterrupted one does; a note names both (a moved directory reads as other data: not an error)."""
    ckpt, elsewhere = tmp_path / "c.npz", tmp_path / "elsewhere"
    shutil.copytree(small_data, elsewhere)
    assert run("--model", "conv", "--epochs", "1", "--checkpoint", str(ckpt), data=small_data) == 0
    capsys.readouterr()
    assert run("--epochs", "2", "--checkpoint", str(ckpt), "--resume", data=elsewhere) == 0
    out = capsys.readouterr().out
    assert f"note: the checkpoint's run trained on MNIST files from {small_data}; this run uses MNIST files from " \
           f"{elsewhere}" in out and "epoch 2/2" in out


def test_a_checkpoint_in_the_earlier_format_resumes_to_the_same_weights(tmp_path, small_data):
    """Checkpoints written before they recorded seed and batch size, and before optimizers had
    parameter groups (one lr, a scheduler with one base_lr), resume, taking the options given."""
    straight, ckpt = tmp_path / "straight.npz", tmp_path / "c.npz"
    options = ("--model", "conv", "--seed", "5", "--batch-size", "32")
    assert run(*options, "--epochs", "2", "--checkpoint", str(straight), data=small_data) == 0
    assert run(*options, "--epochs", "1", "--checkpoint", str(ckpt), data=small_data) == 0
    with np.load(ckpt) as f:
        files = {k: f[k] for k in f.files}
    meta = json.loads(str(files.pop("meta")))
    del meta["seed"], meta["batch_size"]
    meta["lr"] = meta.pop("param_groups")[0]["lr"]
    meta["scheduler"] = dict(base_lr=meta["scheduler"]["base_lrs"][0], last_epoch=meta["scheduler"]["last_epoch"])
    np.savez(ckpt, meta=np.array(json.dumps(meta)), **files)
    assert run(*options[2:], "--epochs", "2", "--checkpoint", str(ckpt), "--resume", data=small_data) == 0
    with np.load(ckpt) as f:
        meta = json.loads(str(f["meta"]))
    assert (meta["model"], meta["epoch"], meta["seed"], meta["batch_size"]) == ("conv", 2, 5, 32)
    a, b = checkpoint_weights(straight), checkpoint_weights(ckpt)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_metrics_plot_and_eval(tmp_path, small_data, capsys):
    metrics, png, ckpt = tmp_path / "m.json", tmp_path / "p.png", tmp_path / "c.npz"
    assert run("--model", "conv", "--epochs", "2", "--metrics-out", str(metrics), "--plot", str(png),
               "--checkpoint", str(ckpt), data=small_data) == 0
    m = json.loads(metrics.read_text())
    assert {"test_accuracy", "params", "epochs", "seconds", "model", "data"} <= set(m) and m["epochs"] == 2
    assert [h["epoch"] for h in m["history"]] == [1, 2] and m["history"][-1]["test_accuracy"] == m["test_accuracy"]
    assert all(set(h) == {"epoch", "train_loss", "train_accuracy", "test_accuracy", "seconds"} and
               0 < h["train_accuracy"] <= 1 for h in m["history"])  # the batches' correct predictions counted
    with np.load(ckpt) as f:
        meta = json.loads(str(f["meta"]))
    # the cosine schedule stepped once per epoch: after 2 of its 2 epochs the lr is 0
    assert meta["scheduler"]["last_epoch"] == 2 and meta["param_groups"][0]["lr"] == pytest.approx(0, abs=1e-18)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    assert run("--model", "conv", "--eval", str(ckpt), data=small_data) == 0
    assert f"test accuracy {m['test_accuracy']:.2%}" in capsys.readouterr().out
    # --eval accepted --metrics-out and --plot and wrote neither
    metrics.unlink(), png.unlink()
    assert run("--model", "conv", "--eval", str(ckpt), "--metrics-out", str(metrics), "--plot", str(png),
               data=small_data) == 0
    e = json.loads(metrics.read_text())
    assert (e["test_accuracy"], e["epochs"], e["params"], e["history"]) == (m["test_accuracy"], 2, m["params"], m["history"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_and_resume_build_the_checkpoints_network_unless_told(tmp_path, small_data, capsys):
    """--eval and --resume without --model refused any checkpoint but an SCS one ("holds a 'twist'
    model, not 'scs'"): they now build the network it holds, with that network's default epochs."""
    ckpt = tmp_path / "c.npz"
    assert run("--model", "twist", "--epochs", "1", "--checkpoint", str(ckpt), data=small_data) == 0
    capsys.readouterr()
    assert run("--eval", str(ckpt), data=small_data) == 0
    assert capsys.readouterr().out.startswith("model twist: 20,022 parameters")
    assert run("--checkpoint", str(ckpt), "--resume", data=small_data) == 0  # to twist's default of 12 epochs
    out = capsys.readouterr().out
    assert "resumed from" in out and "epoch 12/12" in out and "twist model" in out
    assert run("--model", "conv", "--eval", str(ckpt), data=small_data) == 1  # told otherwise: refused
    assert "holds a 'twist' model, not 'conv'" in capsys.readouterr().err


def test_the_command_lines_models_are_the_networks_built():
    from examples import training
    assert tuple(mnist.DEFAULTS) == training.MODELS


@pytest.mark.parametrize("argv, model, epochs", [([], "scs", 40), (["--model", "twist"], "twist", 12),
                                                 (["--model", "conv"], "conv", 20)])
def test_defaults_are_the_ones_the_readme_reports(argv, model, epochs):
    """The README's accuracies are those of seed 0 (and 1, 2) at batch 64 and these epoch counts: a
    changed default seed passed every test."""
    args = mnist.parse_args(argv)
    assert (args.model, args.epochs, args.seed, args.batch_size) == (model, epochs, 0, 64)


def test_summary_line_counts_one_epoch_in_the_singular(small_data, capsys):
    assert run("--model", "conv", "--epochs", "1", data=small_data) == 0
    assert "after 1 epoch in" in capsys.readouterr().out


def test_checkpoint_from_another_model_is_one_clear_error(tmp_path, small_data, capsys):
    ckpt = tmp_path / "c.npz"
    assert run("--model", "conv", "--epochs", "1", "--checkpoint", str(ckpt), data=small_data) == 0
    before = ckpt.read_bytes()
    capsys.readouterr()
    assert run("--model", "scs", "--eval", str(ckpt), data=small_data) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds a 'conv' model, not 'scs'" in err
    (tmp_path / "junk.npz").write_bytes(b"not a checkpoint")
    (tmp_path / "truncated.npz").write_bytes(before[:300])
    np.save(tmp_path / "array.npy", np.zeros(3))  # np.load gave a bare array: a TypeError traceback
    np.savez(tmp_path / "list.npz", meta=np.array("[1, 2]"))  # meta.get: an AttributeError traceback
    np.savez(tmp_path / "mlp.npz", meta=np.array('{"format": "minigrad-mnist-checkpoint", "model": "mlp"}'))
    for name, seed in (("seed", '"x"'), ("minus", "-1")):
        np.savez(tmp_path / f"{name}.npz", meta=np.array(f'{{"format": "minigrad-mnist-checkpoint", "model": "scs", '
                                                          f'"seed": {seed}}}'))
    for bad in ("junk.npz", "truncated.npz", "array.npy", "list.npz", "mlp.npz", "seed.npz", "minus.npz"):
        assert run("--model", "scs", "--eval", str(tmp_path / bad), data=small_data) == 1
        assert "not a minigrad MNIST checkpoint" in capsys.readouterr().err
    assert ckpt.read_bytes() == before
    assert run("--model", "conv", "--eval", str(tmp_path / "missing.npz"), data=small_data) == 1
    assert "missing.npz: cannot read checkpoint: No such file or directory" in capsys.readouterr().err


def test_random_shift_moves_each_image_by_up_to_two_pixels_each_way():
    images = np.zeros((500, 1, 28, 28), np.float32)
    images[:, 0, 14, 14] = 1
    shifted = training.random_shift(images, np.random.default_rng(0))
    assert shifted.shape == images.shape and np.all(shifted.sum(axis=(1, 2, 3)) == 1)
    offsets = {tuple(np.argwhere(image[0])[0] - 14) for image in shifted}
    assert offsets == {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}  # all 25, the +2s included


def test_prepare_scales_bytes_to_the_unit_interval_and_evaluate_leaves_the_model_training():
    x = training.prepare(np.array([[[0, 51, 255]]], np.uint8))
    assert x.shape == (1, 1, 1, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x.ravel(), np.float32([0, 0.2, 1]))
    model = training.build_model("conv", np.random.default_rng(0))
    training.evaluate(model, np.zeros((3, 1, 28, 28), np.float32), np.zeros(3, int))
    assert all(m.training for m in model.modules())


class Always(mg.nn.Module):
    """Answers one digit for every image."""

    def __init__(self, digit):
        super().__init__()
        self.digit = digit

    def forward(self, x):
        return mg.tensor(np.eye(10, dtype=np.float32)[np.full(x.shape[0], self.digit)])


class Bar:
    """tqdm's two calls, counted."""

    def __init__(self):
        self.updates, self.postfix = 0, None

    def update(self, n):
        self.updates += n

    def set_postfix(self, **values):
        self.postfix = values


def test_help_says_what_the_example_does_and_how_to_call_it(capsys):
    with pytest.raises(SystemExit) as exit_:
        mnist.parse_args(["--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and out.startswith("usage: python -m examples.mnist")
    assert "Train a small SCS, ConvTwist or conv network on MNIST with minigrad." in out


def test_the_progress_bar_counts_to_the_number_of_batches(small_data, monkeypatch):
    """192 digits in batches of 50: a bar of 4, moved 4 times, in each of two epochs."""
    tqdm = pytest.importorskip("tqdm")
    bars = []

    class Recording(Bar):
        def __init__(self, total, desc, leave, disable):
            super().__init__()
            self.total, self.disable = total, disable
            bars.append(self)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(tqdm, "tqdm", Recording)
    assert mnist.main(["--data", str(small_data), "--model", "conv", "--epochs", "2", "--batch-size", "50"]) == 0
    assert [(bar.total, bar.updates, bar.disable) for bar in bars] == [(4, 4, False)] * 2


def test_evaluate_is_the_fraction_answered_right_over_any_batching():
    labels = np.array([3, 3, 1, 2, 3, 0, 0])
    images = np.zeros((7, 1, 28, 28), np.float32)
    for batch_size in (500, 2, 7):
        assert training.evaluate(Always(3), images, labels, batch_size) == 3 / 7
        assert training.evaluate(Always(7), images, labels, batch_size) == 0


def test_an_epoch_reports_each_batch_once():
    """10 images in batches of 4: three batches, three losses, the bar moved three times."""
    rng = np.random.default_rng(0)
    x, y = training.prepare(rng.integers(0, 256, (10, 28, 28), dtype=np.uint8)), rng.integers(0, 10, 10)
    model = training.build_model("conv", rng)
    bar = Bar()
    loss, accuracy, losses = training.train_epoch(model, mg.optim.Adam(model.parameters()), x, y, 4, rng, bar)
    assert len(losses) == 3 and bar.updates == 3 and set(bar.postfix) == {"loss"}
    assert loss == np.mean(losses) and accuracy * 10 == round(accuracy * 10) and 0 <= accuracy <= 1


def test_run_sets_the_thread_count(small_data, monkeypatch):
    """main's environment variables reach numba only before it starts: run sets numba's count itself."""
    if not mg.backend.numba_available() or mg.backend.get_num_threads() == 1:
        pytest.skip("numba not installed, or already on one thread")
    monkeypatch.setattr(training, "evaluate", lambda *args: 0.5)
    monkeypatch.setattr(training, "train_epoch", lambda *args: (1.0, 0.5, [1.0]))
    before = mg.backend.get_num_threads()
    try:
        args = mnist.parse_args(["--threads", "1", "--epochs", "1", "--data", str(small_data), "--no-progress"])
        assert training.run(args, log=lambda line: None) == 0
        assert mg.backend.get_num_threads() == 1
    finally:
        mg.backend.set_num_threads(before)


def test_plot_draws_losses_per_epoch_and_kernels_on_one_scale_centred_at_zero(tmp_path, monkeypatch):
    """Two epochs of three batches: the loss curve's x runs 1/3 to 2 epochs, the accuracy's ticks are
    whole epochs; every kernel's colours span -max|w| to max|w| of the first layer, so white is 0 and
    kernels compare; they fill a near-square grid."""
    axes = pytest.importorskip("matplotlib.axes")
    drawn = {"plot": [], "imshow": []}
    drawn_on = []

    def recording(name, method):
        def record(self, *args, **kw):
            drawn[name].append((args, kw))
            drawn_on.append(self)
            return method(self, *args, **kw)
        return record

    for name in drawn:
        monkeypatch.setattr(axes.Axes, name, recording(name, getattr(axes.Axes, name)))
    model = training.build_model("conv", np.random.default_rng(0))
    history = [dict(epoch=e, train_accuracy=0.5, test_accuracy=0.5, batch_losses=[3.0, 2.0, 1.0]) for e in (1, 2)]
    training.plot(tmp_path / "p.png", history, model)
    (x, losses), _ = drawn["plot"][0]
    np.testing.assert_allclose(x, np.arange(1, 7) / 3)
    assert list(losses) == [3.0, 2.0, 1.0] * 2
    ticks = drawn_on[1].get_xticks()  # the accuracy's axes, where the second curve went
    assert len(ticks) and np.all(ticks == np.round(ticks))
    first = model[0].weight.data[:, 0]
    assert len(drawn["imshow"]) == len(first)
    for (image,), kw in drawn["imshow"]:
        assert (kw["vmin"], kw["vmax"]) == (-np.abs(first).max(), np.abs(first).max())
    kernel_axes = drawn_on[len(drawn["plot"]):]
    rows, cols = kernel_axes[0].get_subplotspec().get_gridspec().get_geometry()
    assert (rows - 1) * cols < len(first) <= rows * cols and abs(rows - cols) <= 1  # a near square, no empty row


def test_a_checkpoint_whose_optimizer_state_does_not_fit_leaves_the_model_as_it_was(tmp_path, small_data):
    """The weights load first, then the optimizer's state; when that fails the weights go back."""
    ckpt = tmp_path / "c.npz"
    assert run("--model", "conv", "--epochs", "1", "--checkpoint", str(ckpt), data=small_data) == 0
    model = training.build_model("conv", np.random.default_rng(5))
    before = model.state_dict()
    opt = mg.optim.Adam(list(model.parameters())[:2])  # the checkpoint's optimizer held all of them
    with pytest.raises(training.CheckpointError, match="does not fit this 'conv' model"):
        training.load_checkpoint(ckpt, "conv", model, opt)
    with pytest.raises(training.CheckpointError, match="holds a 'conv' model, not 'scs'"):  # its own check
        training.load_checkpoint(ckpt, "scs", training.build_model("scs", np.random.default_rng(5)))
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name], err_msg=name)


def _damage(ckpt, change):
    """Rewrite a checkpoint with change(meta, arrays) applied."""
    with np.load(ckpt) as f:
        files = {k: f[k] for k in f.files}
    meta = json.loads(str(files.pop("meta")))
    change(meta, files)
    np.savez(ckpt, meta=np.array(json.dumps(meta)), **files)


@pytest.mark.parametrize("change,message", [  # each one a traceback from --resume before, or from --eval --plot
    (lambda meta, arrays: meta["scheduler"].update(base_lrs=0),
     r"does not fit this 'conv' model: CosineAnnealingLR.load_state_dict: 'base_lrs' must hold a number >= 0"),
    (lambda meta, arrays: arrays.pop("optim/2/step"),
     r"does not fit this 'conv' model: Adam.load_state_dict: parameter 2's state must be empty or hold"),
    (lambda meta, arrays: meta["param_groups"][0].update(betas=0.9),
     r"a damaged checkpoint \(TypeError: Adam: betas must be a pair of numbers, got 0.9\)"),
    (lambda meta, arrays: meta.update(rng="x"), r"a damaged checkpoint \(TypeError: state must be a dict\)"),
    (lambda meta, arrays: meta.pop("rng"), r"a damaged checkpoint \(KeyError: 'rng'\)"),
    (lambda meta, arrays: meta["rng"].update(uinteger=-1), r"a damaged checkpoint \(OverflowError: "),  # NumPy 1 and 2
    (lambda meta, arrays: meta.update(epoch="1"), r"not a minigrad MNIST checkpoint \(AssertionError\)"),
    (lambda meta, arrays: meta.update(batch_size=0), r"not a minigrad MNIST checkpoint \(AssertionError\)"),
    (lambda meta, arrays: meta.update(seed=-1), r"not a minigrad MNIST checkpoint \(AssertionError\)"),
    (lambda meta, arrays: meta.update(history=[1, 2]), r"not a minigrad MNIST checkpoint \(AssertionError\)"),
    (lambda meta, arrays: meta["history"][0].pop("batch_losses"), r"not a minigrad MNIST checkpoint"),
    (lambda meta, arrays: arrays.update({"optim/0/exp_avg": np.full_like(arrays["optim/0/exp_avg"], np.nan)}),
     r"error: epoch 2: training diverged in batch 1: the parameters are no longer finite"),  # NaN weights trained on
])
def test_a_damaged_checkpoint_is_one_clear_error_and_is_left_as_it_was(tmp_path, small_data, capsys, change, message):
    ckpt = tmp_path / "c.npz"
    assert run("--model", "conv", "--epochs", "1", "--checkpoint", str(ckpt), data=small_data) == 0
    _damage(ckpt, change)
    before = ckpt.read_bytes()
    capsys.readouterr()
    for argv in (("--epochs", "2", "--checkpoint", str(ckpt), "--resume"),
                 ("--eval", str(ckpt), "--plot", str(tmp_path / "p.png"))):
        code = run(*argv, data=small_data)
        err = capsys.readouterr().err
        if argv[0] == "--eval" and code == 0:  # a damage --eval does not read
            continue
        assert code == 1 and err.count("\n") == 1 and re.search(message, err), (argv[0], err)
        assert ckpt.read_bytes() == before


def test_training_that_diverges_stops_with_one_line_and_keeps_the_last_checkpoint(tmp_path, small_data, capsys):
    """The SCS network at lr 1000: its parameters became NaN and the next batch's SCS refused them, a
    ValueError traceback from the middle of training."""
    ckpt = tmp_path / "c.npz"
    assert run("--epochs", "1", "--checkpoint", str(ckpt), data=small_data) == 0
    before = ckpt.read_bytes()
    capsys.readouterr()
    assert run("--lr", "1000", "--epochs", "1", "--checkpoint", str(ckpt), data=small_data) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(r"error: epoch 1: training diverged in batch \d+: the parameters are "
                                              r"no longer finite \(loss .*\); try a smaller --lr", err), err
    assert ckpt.read_bytes() == before


def test_a_checkpoint_that_fails_late_leaves_model_optimizer_schedule_and_generator_as_they_were(tmp_path, small_data):
    """The scheduler's state, restored after the weights and the optimizer's, does not fit: all go back."""
    ckpt = tmp_path / "c.npz"
    assert run("--model", "conv", "--epochs", "1", "--checkpoint", str(ckpt), data=small_data) == 0
    _damage(ckpt, lambda meta, arrays: meta["scheduler"].update(last_epoch=-1))
    rng = np.random.default_rng(5)
    model = training.build_model("conv", rng)
    opt = mg.optim.Adam(model.parameters(), lr=0.01)
    sched = mg.optim.CosineAnnealingLR(opt, T_max=3)
    before = model.state_dict(), opt.state_dict(), sched.state_dict(), rng.bit_generator.state
    with pytest.raises(training.CheckpointError, match="'last_epoch' must be an int >= 0, got -1"):
        training.load_checkpoint(ckpt, "conv", model, opt, sched, rng)
    after = model.state_dict(), opt.state_dict(), sched.state_dict(), rng.bit_generator.state
    for name, array in after[0].items():
        np.testing.assert_array_equal(array, before[0][name], err_msg=name)
    assert after[1] == before[1] and after[2:] == before[2:] and opt.param_groups[0]["lr"] == 0.01


def test_resume_past_the_requested_epochs_says_so_and_reports_the_real_count(tmp_path, small_data, capsys):
    """Resuming a 2-epoch checkpoint with --epochs 1 trained nothing and reported 'after 1 epochs'."""
    ckpt, metrics = tmp_path / "c.npz", tmp_path / "m.json"
    assert run("--model", "conv", "--epochs", "2", "--checkpoint", str(ckpt), data=small_data) == 0
    capsys.readouterr()
    assert run("--model", "conv", "--epochs", "1", "--checkpoint", str(ckpt), "--resume", "--metrics-out",
               str(metrics), data=small_data) == 0
    out = capsys.readouterr().out
    assert "after epoch 2; --epochs 1: nothing left to train" in out and "after 2 epochs" in out
    assert json.loads(metrics.read_text())["epochs"] == 2


@pytest.mark.parametrize("argv,message", [
    (["--epochs", "0"], "must be a finite number > 0"),
    (["--lr", "abc"], "is not a number"),
    (["--epochs", "1.5"], "argument --epochs: '1.5' is not a whole number"),  # said "is not a number"
    (["--lr", "nan"], "must be a finite number > 0, got nan"),
    (["--lr", "inf"], "must be a finite number > 0, got inf"),
    (["--lr", "-0.1"], "must be a finite number > 0"),
    (["--seed", "-1"], "must be >= 0, got -1"),
    (["--threads", "99999"], "(the CPUs this process may use), got 99999"),  # started 99,999 numba threads
    (["--model", "mlp"], "invalid choice"),
    (["--resume"], "--resume needs --checkpoint"),
    (["--checkpoint", "c.npz", "--resume", "--lr", "0.1"], "--lr does not apply with --resume"),  # was ignored
    (["--plot", "/nonexistent-dir/p.png"], "not writable or does not exist"),
    (["--plot", "curves.pdf"], "--plot curves.pdf: writes a PNG, name it *.png"),  # wrote a PNG named .pdf
    (["--checkpoint", "/"], "--checkpoint /: is a directory"),
    (["--eval", "c.npz", "--metrics-out", "./c.npz"], "--eval and --metrics-out name the same file, ./c.npz"),
    (["--checkpoint", "c.npz", "--metrics-out", "c.npz"], "--checkpoint and --metrics-out name the same file"),  # trained, then failed to replace it
    (["--eval", "c.npz", "--epochs", "5"], "--eval only evaluates the checkpoint: --epochs does not apply"),
    (["--eval", "c.npz", "--checkpoint", "d.npz", "--resume"], "--resume, --checkpoint do not apply"),  # evaluated
    # an empty path, as an unset shell variable gives it, read as no option: --eval "" trained for 40 epochs
    *([[option, ""], f"argument {option}: needs a path, got ''"]
      for option in ("--eval", "--checkpoint", "--plot", "--metrics-out", "--data")),
])
def test_bad_options_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        mnist.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_output_directory_that_refuses_files_is_refused_up_front(tmp_path, monkeypatch, capsys):
    """Permission bits passed (root passes them all; a read-only file system keeps them) and the run
    trained, then ended in a traceback at the first write. Now a file is tried before training."""
    def refuse(*args, **kwargs):
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr(mnist.tempfile, "mkstemp", refuse)
    with pytest.raises(SystemExit) as exit_info:
        mnist.main(["--checkpoint", str(tmp_path / "c.npz")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--checkpoint" in err and "not writable" in err


def test_output_that_fails_during_training_is_one_line(tmp_path, small_data, monkeypatch, capsys):
    """A write that fails after the check (disk full, directory gone): one line naming the file."""
    import tempfile
    real_mkstemp = tempfile.mkstemp

    def fail_for_metrics(*args, **kwargs):
        if kwargs.get("prefix") == ".tmp-":  # atomic_write's temporary, not the up-front probe
            raise OSError(28, "No space left on device")
        return real_mkstemp(*args, **kwargs)
    monkeypatch.setattr(tempfile, "mkstemp", fail_for_metrics)
    metrics = tmp_path / "m.json"
    assert run("--model", "conv", "--epochs", "1", "--metrics-out", str(metrics), data=small_data) == 1
    err = capsys.readouterr().err
    assert err == f"error: cannot write {metrics}: No space left on device\n"
    assert not metrics.exists() and not list(tmp_path.iterdir())


def test_missing_data_is_one_clear_error(tmp_path, capsys):
    assert mnist.main(["--data", str(tmp_path), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no train-images-idx3-ubyte" in err


def test_threads_may_be_as_many_as_the_usable_cpus(monkeypatch, capsys):
    monkeypatch.setattr(mnist, "usable_cpus", lambda: 3)
    assert mnist.parse_args(["--threads", "3"]).threads == 3
    with pytest.raises(SystemExit):
        mnist.parse_args(["--threads", "4"])
    assert "between 1 and 3 (the CPUs this process may use), got 4" in capsys.readouterr().err


def test_threads_option_beats_the_environment(monkeypatch):
    """--threads only filled in variables the environment had not set, so with OMP_NUM_THREADS=2
    exported (as CI and many shells do) --threads 1 left BLAS on 2 threads."""
    from examples import training
    seen = {}
    monkeypatch.setattr(training, "run", lambda args: seen.update(
        {var: os.environ.get(var) for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")}) or 0)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        monkeypatch.setenv(var, "2")
    assert mnist.main(["--threads", "1"]) == 0
    assert seen == {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
