"""Which implementation runs the hot loops: the NumPy reference ("numpy") or numba ("numba").

The NumPy path is the specification; numba kernels are the fast path and must agree with it.
Choose with ``MINIGRAD_BACKEND=numpy|numba`` before import, or ``set_backend`` / ``use_backend``
at run time. The default is "numba" when numba imports, else "numpy".
"""
import contextlib
import os

import numpy as np

try:
    import numba
except ImportError:  # numba is a runtime dependency, but the reference path must run without it
    numba = None

if numba is not None and "NUMBA_THREADING_LAYER" not in os.environ:
    # numba's OpenMP layer spin-waits after each parallel loop and starves the BLAS threads that
    # run next (2-3x slower conv on 2 cores, docs/performance.md); workqueue sleeps instead.
    numba.config.THREADING_LAYER = "workqueue"

BACKENDS = ("numpy", "numba")


def numba_available():
    return numba is not None


def _check(name):
    if name not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, got {name!r}")
    if name == "numba" and numba is None:
        raise RuntimeError("backend: 'numba' requested but numba is not importable; use 'numpy'")
    return name


_current = _check(os.environ.get("MINIGRAD_BACKEND") or ("numba" if numba is not None else "numpy"))


def get_backend():
    return _current


def set_backend(name):
    global _current
    _current = _check(name)


@contextlib.contextmanager
def use_backend(name):
    previous = get_backend()
    set_backend(name)
    try:
        yield
    finally:
        set_backend(previous)


KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def use_numba(*arrays):
    """Whether the numba kernels run for these arrays: the numba backend is selected and every
    array is float32 or float64, the dtypes the kernels are tested in. Other dtypes (float16, which
    numba cannot compile, integers) take the NumPy reference path on either backend."""
    return _current == "numba" and all(a.dtype in KERNEL_DTYPES for a in arrays)


def jit(parallel=False):
    """numba.njit with the project's fixed options (cache, no fastmath); identity without numba."""
    def decorate(fn):
        if numba is None:
            return fn
        return numba.njit(cache=True, parallel=parallel, fastmath=False, nogil=True)(fn)
    return decorate


prange = numba.prange if numba is not None else range

# numba fixes up negative indices on every access made with a signed int, and that fix-up keeps
# LLVM from vectorizing the loop (numba/numba#1226); kernels cast inner-loop indices they know to be
# in range to unsigned (im2col 2-4x faster, docs/performance.md).
unsigned = np.uintp


def set_num_threads(n):
    """Threads for numba's parallel loops (BLAS threads are fixed by environment variables at import)."""
    if numba is not None:
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
