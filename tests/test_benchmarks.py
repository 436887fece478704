"""The benchmark commands: their arguments, and one small run when torch is installed."""
import pytest

from benchmarks import bench, training, workloads
from benchmarks.arguments import LAYERS, WORKLOADS


def test_the_argument_choices_are_the_workloads():
    assert set(LAYERS) == {case.layer for case in workloads.CASES}
    assert set(WORKLOADS) == set(workloads.SHAPES)


@pytest.mark.parametrize("argv, message", [
    (["--only", "conv"], "unknown conv; choose from conv2d, scs, twist"),  # ran nothing and printed []
    (["--workloads", "A,C"], "unknown C; choose from A, B"),
    (["--repeats", "0"], "must be >= 1, got 0"),
    (["--threads", "0"], "must be >= 1, got 0"),  # numba's traceback, after the sgemm run
])
def test_bench_refuses_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--batches", "0"], ["--batch-size", "-1"], ["--threads", "0"]])
def test_training_benchmark_refuses_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        training.parse_args(argv)
    assert exit_info.value.code == 2 and "must be >= 1" in capsys.readouterr().err


def test_bench_runs_one_workload():
    torch = pytest.importorskip("torch")
    numba = pytest.importorskip("numba")
    threads = torch.get_num_threads(), numba.get_num_threads()
    args = bench.parse_args(["--only", "conv2d", "--workloads", "A", "--repeats", "5", "--threads", "1"])
    try:
        (row,) = bench.main(args)
    finally:  # main sets both libraries' thread counts for the process
        torch.set_num_threads(threads[0])
        numba.set_num_threads(threads[1])
    assert row[:2] == ("conv2d", workloads.conv_case("A").name) and row[2] > 0 and row[3] > 0
