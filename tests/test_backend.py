"""The backend switch: the NumPy reference path runs everything, with numba absent or disabled."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import settings

from minigrad import backend

from .conftest import NUMBA_CACHES

SCRIPT = """
import sys
sys.modules["numba"] = None  # numba cannot be imported
import numpy as np
import minigrad as mg, layers
from layers import functional as F
assert mg.backend.get_backend() == "numpy" and not mg.backend.numba_available()
mg.backend.set_num_threads(2)  # a thread count for loops that do not run: accepted, and nothing changes
assert mg.backend.get_num_threads() == 1, mg.backend.get_num_threads()
x = mg.tensor(np.random.default_rng(0).standard_normal((2, 3, 8, 8)), requires_grad=True)
net = [layers.SharpCosSim2d(3, 4, dtype=np.float64), layers.MaxAbsPool2d(2), layers.ConvTwist2d(4, 4, dtype=np.float64)]
y = x
for m in net:
    y = m(y)
y.sum().backward()
print("ok", x.grad.shape)
try:
    mg.backend.set_backend("numba")
except RuntimeError as e:
    print("refused:", e)
"""


def test_everything_runs_without_numba():
    env = dict(os.environ, MINIGRAD_BACKEND="")
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "ok (2, 3, 8, 8)" in result.stdout
    assert "refused: backend: 'numba' requested but numba is not importable" in result.stdout


def test_environment_variable_selects_the_backend():
    code = "import minigrad; print(minigrad.backend.get_backend())"
    env = dict(os.environ, MINIGRAD_BACKEND="numpy")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout.strip() == "numpy"
    env["MINIGRAD_BACKEND"] = "cuda"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode != 0 and "backend: expected one of ('numpy', 'numba'), got 'cuda'" in result.stderr


@pytest.mark.skipif(not backend.numba_available(), reason="numba's threading layer")
def test_importing_minigrad_selects_the_workqueue_layer_unless_the_environment_chose_one():
    """OpenMP's layer spin-waits after each parallel loop and starves BLAS's threads; a layer the user
    set in NUMBA_THREADING_LAYER stays theirs."""
    code = "import minigrad, numba; print(numba.config.THREADING_LAYER)"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    for chosen, expected in ((None, "workqueue"), ("forksafe", "forksafe")):
        if chosen:
            env["NUMBA_THREADING_LAYER"] = chosen
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
        assert result.stdout.strip() == expected, result.stderr


def test_use_backend_restores_the_previous_choice():
    before = backend.get_backend()
    with backend.use_backend("numpy"):
        assert backend.get_backend() == "numpy"
    assert backend.get_backend() == before
    with pytest.raises(ValueError, match="expected one of"):
        backend.set_backend("fortran")
    assert backend.get_backend() == before
    with pytest.raises(KeyError), backend.use_backend("numpy"):  # a failure inside the block
        {}["missing"]
    assert backend.get_backend() == before


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
def test_set_num_threads_caps_at_numbas_pool_and_get_num_threads_reads_it():
    """More threads than numba started (NUMBA_NUM_THREADS) gives all of them, where numba raises."""
    import numba
    before, most = backend.get_num_threads(), numba.config.NUMBA_NUM_THREADS
    try:
        backend.set_num_threads(most + 1)
        assert backend.get_num_threads() == numba.get_num_threads() == most
        backend.set_num_threads(1)
        assert backend.get_num_threads() == 1
    finally:
        backend.set_num_threads(before)


@pytest.mark.parametrize("n", [0, -1, 1.5, True, "2"])
def test_set_num_threads_refuses_what_is_not_a_thread_count(n):
    """numba's messages named no function, True set one thread, and without numba nothing was checked."""
    before = backend.get_num_threads()
    with pytest.raises(ValueError, match=f"set_num_threads: n must be an int >= 1, got {re.escape(repr(n))}"):
        backend.set_num_threads(n)
    assert backend.get_num_threads() == before


def rerun_kernel_tests(**environment):
    """Every kernel-versus-reference test, rerun in a process with numba's settings changed. Only
    the serial compilations: the threaded ones are the same source (prange runs the same index
    arithmetic), and compiling them a second time made these reruns 40% of the suite's time."""
    tests = ["tests/test_windows.py", "tests/test_scs.py", "tests/test_twist.py", "tests/test_conv_transpose.py",
             "tests/test_ops.py", "tests/test_nn_optim.py"]
    # one process (-n 0): the suite's other worker keeps the second core busy
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "-k", "numba and not threads",
               *tests]
    env = dict(os.environ, **environment)
    env.pop("PYTEST_XDIST_WORKER", None)  # not a worker: conftest would give it the worker's numba cache
    # the ci profile's 25 examples a test take 160-300 s; the thorough profile's 300 ran past a fixed 600
    timeout = 600 * max(1, settings.default.max_examples / 25)
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
def test_numba_kernels_stay_in_bounds():
    """The kernels index with unsigned ints and numba checks no bounds by default, so an index
    mistake writes past an array silently; rerun every kernel-versus-reference test with checks on.
    numba keys its cache by source, not by options, so the checked compilations are cached apart,
    beside the workers' caches: compiling them took 2 of the suite's 6 minutes on every run."""
    rerun_kernel_tests(NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(NUMBA_CACHES / "boundscheck"))


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
def test_kernels_run_as_python_with_the_jit_disabled():
    """NUMBA_DISABLE_JIT=1 runs the kernels' Python source (for debugging and coverage); the pool
    scatter then raised OverflowError, its uint8 window index wrapping in NumPy scalar arithmetic."""
    rerun_kernel_tests(NUMBA_DISABLE_JIT="1")


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
def test_each_xdist_worker_compiles_into_its_own_numba_cache():
    """conftest sets NUMBA_CACHE_DIR per pytest-xdist worker (workers saving into one cache at once
    can corrupt it); numba reads it once, at import, so this fails if numba is imported first."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        pytest.skip("not run by a pytest-xdist worker (-n 0)")
    import numba
    assert os.path.basename(numba.config.CACHE_DIR) == worker


def test_float16_takes_the_reference_path_on_the_numba_backend():
    """numba cannot compile float16 kernels (it raised NotImplementedError from deep inside its
    typing); float16 runs on the NumPy reference path on either backend, as PyTorch runs half convs."""
    import layers
    import minigrad as mg

    def run(dtype):
        rng = np.random.default_rng(0)
        net = [layers.Conv2d(2, 3, 3, padding=1, rng=rng, dtype=dtype), layers.MaxPool2d(2),
               layers.SharpCosSim2d(3, 3, rng=rng, dtype=dtype), layers.AvgPool2d(2, 1),
               layers.ConvTwist2d(3, 2, rng=rng, dtype=dtype), layers.MaxAbsPool2d(2)]
        x = mg.tensor(rng.standard_normal((2, 2, 8, 8)).astype(dtype), requires_grad=True)
        y = x
        for m in net:
            y = m(y)
        y.sum().backward()
        return y.data, x.grad

    runs = {}
    for name in backend.BACKENDS if backend.numba_available() else ("numpy",):
        with backend.use_backend(name):
            runs[name] = run(np.float16)
    for y, g in runs.values():
        assert y.dtype == g.dtype == np.float16
        np.testing.assert_array_equal(y, runs["numpy"][0])
        np.testing.assert_array_equal(g, runs["numpy"][1])
    y64, g64 = run(np.float64)
    np.testing.assert_allclose(runs["numpy"][0], y64, rtol=0.05, atol=0.05)
    np.testing.assert_allclose(runs["numpy"][1], g64, rtol=0.05, atol=0.05 * np.abs(g64).max())


def record_compilations_called(monkeypatch, kernel):
    """The list of "serial" and "parallel", one per call of the kernel, in order."""
    calls = []
    for which in ("serial", "parallel"):
        compiled = getattr(kernel, which)
        monkeypatch.setattr(kernel, which,
                            lambda *args, compiled=compiled, which=which: calls.append(which) or compiled(*args))
    return calls


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
def test_a_parallel_kernel_runs_threaded_only_from_the_size_limit_up(monkeypatch):
    from layers import pooling
    kernel = pooling._scatter_numba
    calls = record_compilations_called(monkeypatch, kernel)
    g, index = np.ones((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), dtype=np.int64)
    size = g.nbytes + index.nbytes + 8 * 16  # and dx, (1, 1, 4, 4)
    for limit, expected in ((size, "parallel"), (size + 1, "serial")):
        monkeypatch.setattr(backend, "PARALLEL_MIN_BYTES", limit)
        dx = kernel(g, index, (0, 1), ((0,), (0,)), 2, 2, 0, 0, np.zeros((1, 1, 4, 4)), 16, 16)
        assert calls.pop() == expected
        np.testing.assert_array_equal(dx[0, 0], np.kron(np.ones((2, 2)), [[1.0, 0.0], [0.0, 0.0]]))


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
def test_a_parallel_kernel_runs_serially_while_another_threads_parallel_loops_run(monkeypatch):
    from layers import pooling
    kernel = pooling._scatter_numba
    calls = record_compilations_called(monkeypatch, kernel)
    monkeypatch.setattr(backend, "PARALLEL_MIN_BYTES", 0)
    args = (np.ones((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), dtype=np.int64), (0, 1), ((0,), (0,)), 2, 2, 0, 0)
    with backend._parallel_loops:  # as another thread holds it while its parallel loops run
        kernel(*args, np.zeros((1, 1, 4, 4)), 16, 16)
    kernel(*args, np.zeros((1, 1, 4, 4)), 16, 16)
    assert calls == ["serial", "parallel"]


THREADS_SCRIPT = """
import threading
import numpy as np
from minigrad import backend, windows
backend.PARALLEL_MIN_BYTES = 0  # every call on the parallel path
x = np.random.default_rng(0).standard_normal((4, 3, 16, 16))
expected = windows.im2col_array(x, (3, 3), (1, 1), (1, 1), (1, 1), (16, 16))
equal = []  # per thread, how many of its results equal the single-thread one (an exception leaves it out)
def launch():
    equal.append(sum(np.array_equal(windows.im2col_array(x, (3, 3), (1, 1), (1, 1), (1, 1), (16, 16)), expected)
                     for _ in range(2000)))
threads = [threading.Thread(target=launch) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(equal)
"""


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
def test_kernels_run_from_two_python_threads_at_once():
    """numba's workqueue threading layer aborts the process (SIGABRT) when two Python threads start
    parallel loops at once; it did within 0.5 s of this script, before the serial fallback."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(NUMBA_CACHES / "threads"))
    result = subprocess.run([sys.executable, "-c", THREADS_SCRIPT], capture_output=True, text=True, env=env,
                            timeout=300, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert result.returncode == 0 and result.stdout.strip() == "[2000, 2000]", result.stdout + result.stderr[-2000:]


CACHE_SCRIPT = """
import sys
import numpy as np
from minigrad import backend
from layers import pooling
backend.PARALLEL_MIN_BYTES = 0 if sys.argv[1] == "parallel" else 1 << 60
pooling._scatter_numba(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), np.int64), (0, 1), ((0,), (0,)), 2, 2, 0, 0,
                       np.zeros((1, 1, 4, 4)), 16, 16)
for which in ("serial", "parallel"):
    print(which, sum(getattr(pooling._scatter_numba, which).stats.cache_hits.values()))
"""


@pytest.mark.skipif(not backend.numba_available(), reason="numba not installed")
def test_the_two_compilations_do_not_share_a_cache_entry(tmp_path):
    """numba's cache is keyed by the function's name and code, not by its options: compiled from
    one function, the parallel kernel would load the serial compilation from the cache."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", CACHE_SCRIPT, which], capture_output=True, text=True, env=env,
                           timeout=300, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            for which in ("serial", "parallel", "parallel")]
    for run in runs:
        assert run.returncode == 0, run.stderr
    assert [run.stdout.split() for run in runs] == [
        ["serial", "0", "parallel", "0"],  # compiled and cached
        ["serial", "0", "parallel", "0"],  # the parallel compilation is not found: compiled
        ["serial", "0", "parallel", "1"],  # now it is
    ]
