import contextlib
import os
import sys
from pathlib import Path

# pytest-xdist's workers compile the same kernels at the same time, and numba's cache is not safe for
# that: two processes saving at once can file two signatures under one data file, which a later run
# then loads for the wrong one (numba/numba#4807; IndexDataCacheFile.save numbers a new file from the
# index it read). So each worker keeps its own cache, set before minigrad's kernels are defined.
NUMBA_CACHES = Path(__file__).resolve().parents[1] / ".pytest_cache" / "numba"  # the suite's own numba caches
if "PYTEST_XDIST_WORKER" in os.environ:
    parent = os.environ.get("NUMBA_CACHE_DIR") or NUMBA_CACHES
    os.environ["NUMBA_CACHE_DIR"] = str(Path(parent) / os.environ["PYTEST_XDIST_WORKER"])

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import minigrad
from minigrad import backend
from minigrad.testing import assert_close, assert_same_bits

# each_backend only selects the backend for the whole test, so reusing it across examples is intended
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=SUPPRESSED)
# thorough is not derandomized: some of its seeds filter most draws of the SCS gradient checks, which
# assume every cosine off its kink at 0 (50 of 59 for one seed; the ci profile's fixed draws do not)
settings.register_profile("thorough", max_examples=300, deadline=None, print_blob=True,
                          suppress_health_check=SUPPRESSED + [HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BACKENDS = ["numpy"] + (["numba"] if backend.numba_available() else [])


def assert_backends_agree(fn, arrays, names):
    """fn(*tensors) and its backward (upstream drawn from seed 0) on the NumPy and numba backends: the output and
    every input's gradient the same bits on both. names: the output's, then each input's."""
    results = []
    for name in ("numpy", "numba"):
        with backend.use_backend(name):
            tensors = [minigrad.tensor(a, requires_grad=True) for a in arrays]
            y = fn(*tensors)
            y.backward(np.random.default_rng(0).standard_normal(y.shape).astype(y.dtype))
            results.append([y.data] + [t.grad for t in tensors])
    for expected, actual, name in zip(*results, names):
        assert_same_bits(actual, expected, name)


def assert_matches_torch(ours, theirs, arrays, seed, name):
    """ours(*tensors) beside theirs(*torch tensors), forward and backward of one upstream drawn from seed: the
    values and every input's gradient agree."""
    import torch
    mt = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, t_out = ours(*mt), theirs(*ts)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(upstream)
    t_out.backward(torch.tensor(upstream))
    assert_close(out.data, t_out.detach().numpy(), name=f"{name} value")
    for i, (a, t) in enumerate(zip(mt, ts)):
        assert_close(a.grad, t.grad.numpy(), name=f"{name} grad {i}")


@pytest.fixture(params=BACKENDS)
def each_backend(request):
    """Run the test once on the NumPy reference path and once on the numba path."""
    with backend.use_backend(request.param):
        yield request.param


@pytest.fixture(params=["serial", "threads"])
def kernel_threads(request, monkeypatch):
    """Run a numba-versus-reference test on both compilations of every parallel kernel: small
    arrays take the serial one, so "threads" lowers the size at which the threaded one runs to 0."""
    if request.param == "threads":
        monkeypatch.setattr(backend, "PARALLEL_MIN_BYTES", 0)
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def grad_mode_left_on():
    """A test that leaves recording off (minigrad's or torch's) made every later backward in its
    worker fail, far from the cause: it fails itself instead, and the mode is turned back on."""
    yield
    left_off = [lib for lib in (minigrad, sys.modules.get("torch")) if lib is not None and not lib.is_grad_enabled()]
    for lib in left_off:
        lib.set_grad_enabled(True)
    if left_off:
        pytest.fail(f"the test left gradient recording off in {', '.join(lib.__name__ for lib in left_off)}")


@contextlib.contextmanager
def default_float64(torch):
    """torch's default dtype as minigrad's, NumPy's: integers divided, or met by 2.5, give float64."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(default)
