"""One source of randomness: ``manual_seed(n)`` makes every default-initialised module reproducible.

Modules and data loaders take an explicit ``rng`` (a ``np.random.Generator``); when they are given
none they draw from this module's generator, which ``manual_seed`` resets.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_rng():
    return _generator
