"""Forward+backward timings of minigrad against PyTorch in the same process, as ratios.

    python -m benchmarks.bench [--repeats 30] [--threads 2] [--only conv2d,scs,twist] [--workloads A,B]

Both libraries get the same thread count; every workload is warmed up (numba compiles), then the
two sides alternate in short blocks so machine noise hits both alike; medians are reported. Each
block starts with one untimed call: right after one library runs, its thread pool still spins
for a while (torch's OpenMP) and would bill the other library for CPU it never asked for.

Beside each ratio, the layer's BLAS products alone (its np.matmul calls recorded once and replayed
on the same operands, benchmarks/products.py) over the same torch time: the floor of the ratio for
any code that makes these products, and so whether a target is within reach of the design (other
layouts of the products trade places by shape: docs/performance.md).

The minor page faults per timed call are printed for each side: memory that the allocator hands
back to the kernel and faults in again at the next call can cost more than the arithmetic
(docs/performance.md, "Conv B: page faults, then batch chunks"), so a ratio is read with them.
"""
import argparse
import os

from benchmarks.arguments import LAYERS, WORKLOADS, default_threads, names_from, positive_int, thread_count


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=positive_int, default=30,
                        help="timed calls per side, in blocks of 5 (default: 30)")
    parser.add_argument("--threads", type=thread_count, default=default_threads(),
                        help="threads for both libraries (default: 2, or 1 on a one-CPU machine)")
    parser.add_argument("--only", type=names_from(LAYERS), default="",
                        help=f"comma-separated layer names, of {', '.join(LAYERS)} (default: all)")
    parser.add_argument("--workloads", type=names_from(WORKLOADS), default="",
                        help="comma-separated workload keys, A and/or B (default: both)")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:  # thread counts must be fixed before numpy, numba and torch load
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "1")  # as minigrad sets it; numpy is not loaded yet

import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks import workloads  # noqa: E402
from benchmarks.products import record  # noqa: E402


BLOCK = 5


def sgemm_gflops(repeats=10):
    a = np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32)
    a @ a
    best = min(_time(lambda: a @ a) for _ in range(repeats))
    return 2 * 1024**3 / best / 1e9


def _time(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def cpu_name():
    """The model name with its family and model numbers: virtual machines often report only
    "AMD EPYC", which says nothing of the generation."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown"
    return f"{fields.get('model name', 'unknown')} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')})"


def blas_kernel():
    """The kernel numpy's OpenBLAS runs: OPENBLAS_CORETYPE can force an older one than the CPU
    supports (docs/performance.md: Haswell's on these machines, half the sgemm rate)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}"
    kernels = [f"OpenBLAS {i.get('architecture')}" for i in threadpool_info() if i["internal_api"] == "openblas"]
    return ", ".join(kernels) or "BLAS not OpenBLAS"


def main(args):
    import torch
    torch.set_num_threads(args.threads)
    try:
        import numba
        numba.set_num_threads(args.threads)
    except ImportError:
        pass
    only, keys = args.only, args.workloads
    rows = []
    gemm = sgemm_gflops()
    print(f"# {time.strftime('%Y-%m-%d')} | {cpu_name()} | threads {args.threads} | "
          f"torch {torch.__version__} | numpy {np.__version__}, {blas_kernel()} | sgemm {gemm:.1f} GFLOP/s")
    width = max(map(len, LAYERS))  # the layer column
    print(f"{'layer':<{width}} {'workload':<30} {'minigrad ms':>11} {'torch ms':>9} {'ratio':>6} {'GFLOP/s':>8} "
          f"{'% sgemm':>8} {'products ms':>11} {'products/torch':>14} {'faults/call minigrad, torch':>28}")
    for case in workloads.CASES:
        if (only and case.layer not in only) or (keys and case.key not in keys):
            continue
        ours, theirs = case.build_minigrad(), case.build_torch(torch)
        for _ in range(3):
            ours(), theirs()
        products, _ = record(ours)
        times, faults = {ours: [], theirs: [], products: []}, {ours: 0, theirs: 0, products: 0}
        for _ in range(max(1, args.repeats // BLOCK)):
            for fn, spent in times.items():
                fn()
                before = _minor_faults()
                spent.extend(_time(fn) for _ in range(BLOCK))
                faults[fn] += _minor_faults() - before
        m_ours, m_theirs, m_products = (statistics.median(times[fn]) for fn in (ours, theirs, products))
        f_ours, f_theirs = faults[ours] / len(times[ours]), faults[theirs] / len(times[theirs])
        gflops = case.flops / m_ours / 1e9
        rows.append((case.layer, case.name, m_ours * 1e3, m_theirs * 1e3, m_ours / m_theirs, gflops,
                     m_products * 1e3, m_products / m_theirs, f_ours, f_theirs))
        print(f"{case.layer:<{width}} {case.name:<30} {m_ours * 1e3:>11.2f} {m_theirs * 1e3:>9.2f} "
              f"{m_ours / m_theirs:>6.2f} {gflops:>8.2f} {100 * gflops / gemm:>7.1f}% {m_products * 1e3:>11.2f} "
              f"{m_products / m_theirs:>14.2f} {f_ours:>15.0f}, {f_theirs:<11.0f}")
    return rows


if __name__ == "__main__":
    main(ARGS)
