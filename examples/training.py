"""The MNIST example's networks, training loop, checkpoints and plots (the command line is mnist.py)."""
import json
import time
import zipfile

import numpy as np

import layers
import minigrad as mg
from minigrad import nn, optim
from minigrad.io import atomic_write, load_npz

from . import mnist_data

WIDTHS = (12, 24, 16)
MODELS = ("scs", "twist", "conv")


class CheckpointError(ValueError):
    pass


class TrainingDiverged(ValueError):
    """The parameters stopped being finite numbers: SCS would refuse its NaN p and q at the next batch."""


def build_model(name, rng):
    """Three 3x3 blocks of the same shape (12, 24, 16 channels; 28 -> 14 -> 7 -> 3), then Linear(16*3*3, 10).
    scs: SharpCosSim2d + MaxAbsPool2d (no nonlinearity: the sharpening is one);
    twist: ConvTwist2d + MaxPool2d + ReLU;  conv: Conv2d + MaxPool2d + ReLU. Pooling before the ReLU
    gives the same values and gradients as after it (max commutes with max(., 0)) on a quarter of
    the elements."""
    blocks, c_in = [], 1
    for c_out in WIDTHS:
        if name == "scs":
            blocks += [layers.SharpCosSim2d(c_in, c_out, 3, padding=1, rng=rng), layers.MaxAbsPool2d(2)]
        elif name == "twist":
            blocks += [layers.ConvTwist2d(c_in, c_out, rng=rng), layers.MaxPool2d(2), nn.ReLU()]
        else:
            blocks += [layers.Conv2d(c_in, c_out, 3, padding=1, rng=rng), layers.MaxPool2d(2), nn.ReLU()]
        c_in = c_out
    return nn.Sequential(*blocks, nn.Flatten(), nn.Linear(c_in * 3 * 3, 10, rng=rng))


def prepare(images):
    return (images.astype(np.float32) / 255)[:, None]


def evaluate(model, x, y, batch_size=500):
    model.eval()
    correct = 0
    with mg.no_grad():
        for i in range(0, len(x), batch_size):
            correct += int((model(mg.tensor(x[i:i + batch_size])).data.argmax(1) == y[i:i + batch_size]).sum())
    model.train()
    return correct / max(len(x), 1)


def random_shift(images, rng, max_shift=2):
    """Translate each (N, 1, 28, 28) image by up to max_shift pixels each way, zero-filled: 4,000
    digits are few, and a shifted digit is still the same digit."""
    n, _, h, w = images.shape
    padded = np.pad(images, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    dy, dx = rng.integers(0, 2 * max_shift + 1, size=(2, n))
    return np.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])


def train_epoch(model, opt, x, y, batch_size, rng, bar):
    """One pass in an order drawn from rng, each batch shifted at random, the progress bar moved a batch at
    a time; returns (mean loss, accuracy, per-batch losses)."""
    order = rng.permutation(len(x))
    losses, correct = [], 0
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        logits = model(mg.tensor(random_shift(x[idx], rng)))
        loss = mg.cross_entropy(logits, y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if not all(np.isfinite(p.data).all() for p in model.parameters()):
            raise TrainingDiverged(f"training diverged in batch {i // batch_size + 1}: the parameters are no longer "
                                   f"finite (loss {loss.item():.4g}); try a smaller --lr")
        losses.append(loss.item())
        correct += int((logits.data.argmax(1) == y[idx]).sum())
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
    return float(np.mean(losses)), correct / len(x), losses


# ------------------------------------------------------------------------ checkpoints

def save_checkpoint(path, run, model, opt, sched, epoch, rng, history):
    """run: the model's name, seed and batch size, which --resume and --eval continue with, and the data."""
    arrays = {f"model/{k}": v for k, v in model.state_dict().items()}
    opt_state = opt.state_dict()
    for i, state in opt_state["state"].items():
        arrays.update({f"optim/{i}/{k}": np.asarray(v) for k, v in state.items()})
    meta = dict(format="minigrad-mnist-checkpoint", **run, epoch=epoch, param_groups=opt_state["param_groups"],
                scheduler=sched.state_dict(), rng=rng.bit_generator.state, history=history)
    with atomic_write(path, suffix=".npz") as tmp:
        np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)


def replay_schedule(opt, sched, epochs):
    """Each group's lr after `epochs` epochs of sched, stepped from its base lr: a run resumed with more
    --epochs than the checkpoint's run had follows the longer cosine, at the lrs of a run that never
    stopped (the scheduler steps from the lr before, so the checkpoint's lr is on the shorter one)."""
    for group, lr in zip(opt.param_groups, sched.base_lrs):
        group["lr"] = lr
    sched.last_epoch = 0
    for _ in range(epochs):
        sched.step()


def read_checkpoint(path):
    """(meta, arrays) of a checkpoint file, or a CheckpointError saying why it is not one."""
    try:
        files = load_npz(path)
        meta = json.loads(str(files.pop("meta")))
        assert isinstance(meta, dict) and meta.get("format") == "minigrad-mnist-checkpoint"
        assert meta.get("model") in MODELS
        assert type(meta.get("seed", 0)) is int and meta.get("seed", 0) >= 0
        assert type(meta.get("batch_size", 1)) is int and meta.get("batch_size", 1) >= 1
        assert type(meta.get("epoch")) is int and meta["epoch"] >= 0
        assert is_history(meta.get("history"))
    except (OSError, ValueError, KeyError, AssertionError, zipfile.BadZipFile) as e:
        if isinstance(e, OSError) and e.errno is not None:  # missing, unreadable: not a format problem
            raise CheckpointError(f"{path}: cannot read checkpoint: {e.strerror}") from None
        raise CheckpointError(f"{path}: not a minigrad MNIST checkpoint ({type(e).__name__})") from None
    return meta, files


def is_history(history):
    """Epochs as run records them, which --eval's plot and metrics read."""
    number = lambda value: type(value) in (int, float)  # noqa: E731 - JSON's numbers; True is not one
    return isinstance(history, list) and all(
        isinstance(h, dict) and all(number(h.get(k)) for k in ("epoch", "train_loss", "train_accuracy",
                                                                "test_accuracy", "seconds"))
        and isinstance(h.get("batch_losses"), list) and all(map(number, h["batch_losses"])) for h in history)


def load_checkpoint(path, model_name, model, opt=None, sched=None, rng=None):
    """Restore into model (and optimizer, scheduler, random generator); returns the meta dict.
    Nothing is changed on error."""
    meta, files = read_checkpoint(path)
    if meta["model"] != model_name:
        raise CheckpointError(f"{path}: checkpoint holds a {meta['model']!r} model, not {model_name!r}")
    weights = {k[len("model/"):]: v for k, v in files.items() if k.startswith("model/")}
    backups = [(part, part.state_dict()) for part in (model, opt, sched) if part is not None]
    try:
        model.load_state_dict(weights)
        if opt is not None:
            state = {}
            for k, v in files.items():
                if k.startswith("optim/"):
                    _, i, name = k.split("/")
                    state.setdefault(int(i), {})[name] = v
            # checkpoints written before optimizers had parameter groups hold one lr
            groups = meta.get("param_groups") or [dict(lr=meta["lr"], params=list(range(len(opt.params))))]
            opt.load_state_dict({"param_groups": groups, "state": state})
        if sched is not None:
            saved = meta["scheduler"]
            sched.load_state_dict(saved if "base_lrs" in saved else dict(base_lrs=[saved["base_lr"]],
                                                                         last_epoch=saved["last_epoch"]))
        if rng is not None:  # last: a state it refuses leaves the generator as it was
            rng.bit_generator.state = meta["rng"]
    except (ValueError, TypeError, KeyError, OverflowError) as e:  # OverflowError: a random state out of range
        for part, backup in backups:
            part.load_state_dict(backup)
        reason = f"does not fit this {model_name!r} model: {e}" if isinstance(e, ValueError) else \
            f"a damaged checkpoint ({type(e).__name__}: {e})"
        raise CheckpointError(f"{path}: {reason}") from None
    return meta


# ------------------------------------------------------------------------ plots

def plot(path, history, model):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    first = next(p for name, p in model.named_parameters() if name.endswith("weight")).data[:, 0]
    fig = plt.figure(figsize=(13, 4), layout="constrained")
    curves, kernels = fig.subfigures(1, 2, width_ratios=(2, 1))
    loss_ax, acc_ax = curves.subplots(1, 2)
    losses = [loss for epoch in history for loss in epoch["batch_losses"]]
    loss_ax.plot(np.arange(1, len(losses) + 1) / max(1, len(history[0]["batch_losses"])), losses, lw=0.8)
    loss_ax.set(xlabel="epoch", ylabel="train loss (per batch)", yscale="log", title="loss")
    epochs = [h["epoch"] for h in history]
    acc_ax.plot(epochs, [h["train_accuracy"] for h in history], "o-", label="train")
    acc_ax.plot(epochs, [h["test_accuracy"] for h in history], "s-", label="test")
    acc_ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    acc_ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.5
    acc_ax.legend()
    cols = int(np.ceil(np.sqrt(len(first))))
    limit = np.abs(first).max()
    for i, ax in enumerate(kernels.subplots(-(-len(first) // cols), cols).ravel()):
        ax.axis("off")
        if i < len(first):
            ax.imshow(first[i], cmap="RdBu", vmin=-limit, vmax=limit)
    kernels.suptitle("first-layer kernels")
    with atomic_write(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------------ the run

def run(args, log=print):
    from tqdm import tqdm
    if args.threads:
        mg.backend.set_num_threads(args.threads)
    epochs, lr = args.epochs, args.lr
    train_x, train_y, test_x, test_y, description = mnist_data.load(args.data, log=log)
    train_x, test_x = prepare(train_x), prepare(test_x)
    train_y, test_y = train_y.astype(np.int64), test_y.astype(np.int64)
    rng = np.random.default_rng(args.seed)
    model = build_model(args.model, rng)
    log(f"model {args.model}: {model.num_parameters():,} parameters | data: {description} | "
        f"backend {mg.backend.get_backend()}")

    if args.eval:  # --metrics-out and --plot describe the checkpoint's run (its history is saved with it)
        start = time.perf_counter()
        meta = load_checkpoint(args.eval, args.model, model)
        accuracy = evaluate(model, test_x, test_y)
        log(f"checkpoint {args.eval} (epoch {meta['epoch']}): test accuracy {accuracy:.2%}")
        write_outputs(args, model, description, meta["history"], accuracy, meta["epoch"], time.perf_counter() - start)
        return 0

    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.CosineAnnealingLR(opt, T_max=epochs)
    history, start_epoch = [], 0
    if args.resume:
        meta = load_checkpoint(args.checkpoint, args.model, model, opt, sched, rng)
        history, start_epoch = meta["history"], meta["epoch"]
        replay_schedule(opt, sched, start_epoch)
        log(f"resumed from {args.checkpoint} after epoch {start_epoch}"
            + (f"; --epochs {epochs}: nothing left to train" if start_epoch >= epochs else ""))
        if meta.get("data", description) != description:  # a moved directory reads differently: a note, not an error
            log(f"note: the checkpoint's run trained on {meta['data']}; this run uses {description}")

    start = time.perf_counter()
    for epoch in range(start_epoch + 1, epochs + 1):
        t0 = time.perf_counter()
        n_batches = -(-len(train_x) // args.batch_size)
        with tqdm(total=n_batches, desc=f"epoch {epoch}/{epochs}", leave=False, disable=args.no_progress) as bar:
            try:
                loss, train_acc, batch_losses = train_epoch(model, opt, train_x, train_y, args.batch_size, rng, bar)
            except TrainingDiverged as e:
                raise TrainingDiverged(f"epoch {epoch}: {e}") from None
        test_acc = evaluate(model, test_x, test_y)
        sched.step()
        seconds = time.perf_counter() - t0
        history.append(dict(epoch=epoch, train_loss=loss, train_accuracy=train_acc, test_accuracy=test_acc,
                            seconds=seconds, batch_losses=batch_losses))
        log(f"epoch {epoch}/{epochs}  train loss {loss:.4f}  train acc {train_acc:.2%}  "
            f"test acc {test_acc:.2%}  {seconds:.1f}s")
        if args.checkpoint:
            save_checkpoint(args.checkpoint, dict(model=args.model, seed=args.seed, batch_size=args.batch_size,
                                                  data=description), model, opt, sched, epoch, rng, history)

    seconds = time.perf_counter() - start
    final = history[-1]["test_accuracy"] if history else evaluate(model, test_x, test_y)
    trained = history[-1]["epoch"] if history else 0  # more than --epochs when resumed past it
    log(f"done: {args.model} model, {model.num_parameters():,} parameters, test accuracy {final:.2%} "
        f"after {trained} epoch{'' if trained == 1 else 's'} in {seconds:.1f}s")
    write_outputs(args, model, description, history, final, trained, seconds)
    return 0


def write_outputs(args, model, description, history, accuracy, epochs, seconds):
    """--metrics-out's JSON and --plot's PNG, for a training run or an evaluated checkpoint."""
    if args.metrics_out:
        metrics = dict(model=args.model, test_accuracy=accuracy, params=model.num_parameters(), epochs=epochs,
                       seconds=seconds, data=description, seed=args.seed, batch_size=args.batch_size,
                       backend=mg.backend.get_backend(),
                       history=[{k: v for k, v in h.items() if k != "batch_losses"} for h in history])
        with atomic_write(args.metrics_out) as tmp, open(tmp, "w") as f:
            json.dump(metrics, f, indent=2)
    if args.plot and history:
        plot(args.plot, history, model)
