"""Command-line argument types for the benchmarks, kept free of numpy: the thread counts they set
must reach the environment before numpy, numba and torch load."""
import argparse

from examples.mnist import usable_cpus  # numpy-free too

LAYERS, WORKLOADS = ("conv2d", "scs", "twist", "conv_transpose2d"), ("A", "B")  # workloads.CASES's, checked by a test


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def default_threads():
    """2, the recorded runs' count, or 1 where this process may use one CPU only."""
    return min(2, usable_cpus())


def thread_count(text):
    """At most the CPUs this process may use (numba's own limit; more only slows both sides)."""
    value, cpus = positive_int(text), usable_cpus()
    if value > cpus:
        raise argparse.ArgumentTypeError(f"must be at most {cpus}, the CPUs this process may use, got {value}")
    return value


def names_from(choices):
    """A comma-separated subset of choices, as a set (empty: all)."""
    def parse(text):
        names = {name for name in text.split(",") if name}
        unknown = sorted(names - set(choices))
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {', '.join(unknown)}; choose from {', '.join(choices)}")
        return names
    return parse
