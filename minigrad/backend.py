"""Which implementation runs the hot loops: the NumPy reference ("numpy") or numba ("numba").

The NumPy path is the specification; numba kernels are the fast path and must agree with it.
Choose with ``MINIGRAD_BACKEND=numpy|numba`` before import, or ``set_backend`` / ``use_backend``
at run time. The default is "numba" when numba imports, else "numpy".
"""
import contextlib
import functools
import os
import threading
import types

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
    if not (isinstance(name, str) and name in BACKENDS):
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


def _njit(fn, parallel=False):
    # error_model="numpy": x / 0 gives inf or nan as in the NumPy reference, where numba's default
    # raises ZeroDivisionError (an all-zero SCS kernel crashed the numba backward); the check it
    # drops also kept LLVM from vectorizing any loop that divides (the SCS backward kernel 4x faster
    # on the example's second and third layers).
    # numba's cache is keyed by source, not options: after changing these, delete __pycache__/*.nb[ic].
    return numba.njit(cache=True, parallel=parallel, fastmath=False, nogil=True, error_model="numpy")(fn)


# Below this many bytes of array arguments a parallel kernel runs serially: waking numba's
# workqueue threads costs 50-140 us a launch on these VMs, more than the two threads save on
# the example's layers (training steps 13-31% faster serial, docs/performance.md).
PARALLEL_MIN_BYTES = 16 << 20


# numba's workqueue layer aborts the process when parallel loops start from two Python threads at
# once (training in one thread, evaluating in another); a kernel called while another thread's
# parallel loops run takes its serial compilation, which gives the same bits.
_parallel_loops = threading.Lock()


class ParallelKernel:
    """A kernel compiled twice, serially and with ``prange`` loops on threads; a call picks one by
    the size of its array arguments. Both give the same bits: parallel loops write disjoint outputs
    and every sum inside them runs in a fixed order."""

    def __init__(self, fn):
        # its own function object and name, or numba's cache would hand one compilation to both
        serial_fn = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
        serial_fn.__qualname__ = fn.__qualname__ + "_serial"
        self.py_func = fn
        self.serial, self.parallel = _njit(serial_fn), _njit(fn, parallel=True)
        functools.update_wrapper(self, fn)

    def __call__(self, *args):
        size = sum(a.nbytes for a in args if isinstance(a, np.ndarray))
        if size >= PARALLEL_MIN_BYTES and _parallel_loops.acquire(blocking=False):
            try:
                return self.parallel(*args)
            finally:
                _parallel_loops.release()
        return self.serial(*args)


def jit(parallel=False):
    """numba.njit with the project's fixed options (cache, no fastmath); identity without numba.
    ``parallel=True`` gives a ParallelKernel."""
    def decorate(fn):
        if numba is None:
            return fn
        return ParallelKernel(fn) if parallel else _njit(fn)
    return decorate


prange = numba.prange if numba is not None else range

# numba fixes up negative indices on every access made with a signed int, and that fix-up keeps
# LLVM from vectorizing the loop (numba/numba#1226); kernels cast inner-loop indices they know to be
# in range to unsigned (im2col 2-4x faster, docs/performance.md).
unsigned = np.uintp


def get_num_threads():
    """How many threads numba's parallel loops run on (1 without numba)."""
    return numba.get_num_threads() if numba is not None else 1


def set_num_threads(n):
    """Threads for numba's parallel loops started from the calling thread: numba keeps the count per
    thread, unlike PyTorch's, so another thread uses them all (BLAS threads are fixed by environment
    variables at import)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:  # numba's own errors name no function
        raise ValueError(f"set_num_threads: n must be an int >= 1, got {n!r}")
    if numba is not None:
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
