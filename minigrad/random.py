"""One source of randomness: ``manual_seed(n)`` makes every default-initialised module reproducible.

Modules and data loaders take an explicit ``rng`` (a ``np.random.Generator``); when they are given
none they draw from this module's generator, which ``manual_seed`` resets.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reset the generator from seed, an int >= 0. None is refused, as in PyTorch: NumPy would draw a
    fresh seed from the system, and a run written as seeded would not repeat."""
    global _generator
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int >= 0, got {seed!r}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be an int >= 0, got {seed!r}")
    _generator = np.random.default_rng(seed)
    return _generator


def default_rng():
    return _generator
