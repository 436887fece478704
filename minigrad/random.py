"""One source of randomness: ``manual_seed(n)`` makes every default-initialised module reproducible.

Modules and data loaders take an explicit ``rng`` (a ``np.random.Generator``, or an int seeding one);
when they are given none they draw from this module's generator, which ``manual_seed`` resets.
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


def generator(rng, op):
    """A module's rng argument as the Generator its init draws from: None is this module's (manual_seed's),
    an int seeds a new one as np.random.default_rng does (NumPy's convention for an rng argument, SPEC 7),
    a Generator is used as is. Each module resolves it once: passed on as an int, it would seed every
    draw alike (ConvTwist's three convolutions would start equal)."""
    if rng is None:
        return _generator
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: rng must be None, an int >= 0 or a np.random.Generator, got {rng!r}") from None
