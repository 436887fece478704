"""Train a small SCS, ConvTwist or conv network on MNIST with minigrad.

    python -m examples.mnist                      # SCS network, bundled 5,000 digits, offline
    python -m examples.mnist --model twist --epochs 5 --plot run.png --metrics-out run.json
    python -m examples.mnist --data mnist         # full MNIST: cached, downloaded if missing
"""
import argparse
import os
import sys
import tempfile


DEFAULTS = {"scs": dict(epochs=40, lr=0.03), "twist": dict(epochs=12, lr=0.005), "conv": dict(epochs=20, lr=0.01)}
RUN_DEFAULTS = dict(seed=0, batch_size=64)  # a checkpoint records its run's; --resume and --eval take them
TRAINING_ONLY = ("resume", "checkpoint", "epochs", "lr", "batch_size", "seed")


class OneLineParser(argparse.ArgumentParser):
    """Bad options end in one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def flag(option):
    """The command-line spelling of an argparse dest: batch_size -> --batch-size."""
    return "--" + option.replace("_", "-")


def checked(kind, ok, requirement):
    """An argparse type: kind(text), refused unless ok(value)."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            expected = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {expected}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {text}")
        return value
    return parse


def file_path(text):
    """An argparse type for a file or directory: not empty, which the checks below read as "not given"
    (--eval "$UNSET" trained for 40 epochs, --checkpoint "" saved nothing, silently)."""
    if not text:
        raise argparse.ArgumentTypeError("needs a path, got ''")
    return text


def usable_cpus():
    """The CPUs this process may run on: numba's default thread count, and the most worth asking for
    (5,000 threads made an epoch ten times slower; 99,999 did not finish)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def positive(kind):
    # written so that nan, which compares false with everything, is refused too
    return checked(kind, lambda value: 0 < value < float("inf"), "a finite number > 0")


def parse_args(argv=None):
    p = OneLineParser(prog="python -m examples.mnist", description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=tuple(DEFAULTS), default=None,
                   help="default: scs, or the checkpoint's with --eval or --resume")
    per_model = ", ".join(f"{d['epochs']} ({m})" for m, d in DEFAULTS.items())
    p.add_argument("--epochs", type=positive(int), default=None, help=f"default: {per_model}")
    p.add_argument("--batch-size", type=positive(int), default=None,
                   help="default: 64, or the checkpoint's with --resume")
    p.add_argument("--lr", type=positive(float), default=None, help="Adam learning rate (default per model)")
    p.add_argument("--seed", type=checked(int, lambda value: value >= 0, ">= 0"), default=None,
                   help="default: 0, or the checkpoint's with --resume")
    p.add_argument("--data", type=file_path, default="bundled",
                   help="'bundled' (default, offline), 'mnist' (full, cached) or a directory")
    p.add_argument("--checkpoint", type=file_path, metavar="PATH",
                   help="save model, optimizer and RNG state after every epoch")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint (its learning rate and schedule)")
    p.add_argument("--eval", type=file_path, metavar="CHECKPOINT",
                   help="only evaluate a saved checkpoint on the test set")
    p.add_argument("--plot", type=file_path, metavar="PATH", help="PNG of the learning curves and first-layer kernels")
    p.add_argument("--metrics-out", type=file_path, metavar="FILE", help="JSON summary of the run")
    cpus = usable_cpus()
    p.add_argument("--threads", type=checked(int, lambda value: 1 <= value <= cpus, f"between 1 and {cpus} (the CPUs "
                   "this process may use)"), default=None, help="threads for numba and BLAS")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    given = [flag(option) for option in TRAINING_ONLY if getattr(args, option) not in (None, False)]
    if args.eval and given:  # else --eval --resume neither resumed nor said so, and --epochs 5 looked like training
        p.error(f"--eval only evaluates the checkpoint: {', '.join(given)} do{'es' * (len(given) == 1)} not apply")
    if args.resume and args.lr is not None:  # the optimizer state it restores carries the checkpoint's rate
        p.error("--lr does not apply with --resume: the checkpoint's learning rate and schedule continue")
    if args.resume and not args.checkpoint:
        p.error("--resume needs --checkpoint PATH")
    if not (args.eval or args.resume):  # else main takes them from the checkpoint
        fill_defaults(args, dict(RUN_DEFAULTS, model="scs"))
    if args.plot and not args.plot.lower().endswith(".png"):  # a PNG was written under any name given
        p.error(f"--plot {args.plot}: writes a PNG, name it *.png")
    files = {}  # --eval run.npz --metrics-out run.npz replaced the checkpoint by JSON
    for option in ("eval", "checkpoint", "plot", "metrics_out"):
        if getattr(args, option):
            path = os.path.realpath(getattr(args, option))
            if path in files:
                p.error(f"{flag(files[path])} and {flag(option)} name the same file, {getattr(args, option)}")
            files[path] = option
    for option in ("checkpoint", "plot", "metrics_out"):
        path = getattr(args, option)
        if path and os.path.isdir(path):
            p.error(f"{flag(option)} {path}: is a directory")
        if path and not can_create_file_in(os.path.dirname(os.path.abspath(path))):
            p.error(f"{flag(option)} {path}: directory is not writable or does not exist")
    return args


def can_create_file_in(directory):
    """Try it: permission bits say nothing about read-only file systems, and root passes them all."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=directory)
    except OSError:
        return False
    os.close(fd)
    os.remove(probe)
    return True


def fill_defaults(args, run):
    """Options not given take run's values (model, seed, batch size), then the model's epochs and lr."""
    for option, value in run.items():
        if getattr(args, option) is None:
            setattr(args, option, value)
    for option, value in DEFAULTS[args.model].items():
        if getattr(args, option) is None:
            setattr(args, option, value)


def continue_run(args, path, meta):
    """--eval and --resume continue the checkpoint's run: its network, seed and batch size unless told.
    Told otherwise, --resume would not end at the weights an uninterrupted run reaches: refused."""
    from examples.training import CheckpointError
    saved = {k: meta[k] for k in ("model", "seed", "batch_size") if k in meta}  # older checkpoints: model only
    for option, value in saved.items():
        told = getattr(args, option)
        if told is not None and told != value:
            raise CheckpointError(f"{path}: checkpoint holds a {value!r} model, not {told!r}" if option == "model"
                                  else f"{path}: the checkpoint's run has {flag(option)} {value}, "
                                  f"not {told} (--resume continues it)")
    fill_defaults(args, dict(RUN_DEFAULTS, **saved))


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "1")  # see minigrad/__init__.py; numpy is not loaded yet
    if args.threads:  # BLAS reads its thread count when numpy first loads; the option beats the environment
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    from examples import training
    from examples.mnist_data import DataError
    try:
        if args.eval or args.resume:
            path = args.eval or args.checkpoint
            continue_run(args, path, training.read_checkpoint(path)[0])
        return training.run(args)
    except (DataError, training.CheckpointError, training.TrainingDiverged) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # an output that became unwritable during training
        print(f"error: {e.strerror or e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
