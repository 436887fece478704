"""The benchmark commands: their arguments, and one small run when torch is installed."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from benchmarks import bench, products, training, workloads
from benchmarks.arguments import LAYERS, WORKLOADS
from minigrad import optim
from minigrad.testing import assert_close
from .conftest import default_float64


def test_the_argument_choices_are_the_workloads():
    assert set(LAYERS) == {case.layer for case in workloads.CASES}
    assert set(WORKLOADS) == set(workloads.SHAPES)


def test_the_workloads_are_the_issues():
    """Issue #3's: A x[64,1,28,28] -> 32 channels, B x[64,32,14,14] -> 32, 3x3, padding 1, for each layer
    (conv_transpose2d's too, which has no target)."""
    assert workloads.SHAPES == {"A": ((64, 1, 28, 28), 32), "B": ((64, 32, 14, 14), 32)}
    for case in workloads.CASES:
        shape, out = workloads.SHAPES[case.key]
        assert case.name == f"{case.key}: x{list(shape)} -> {out}"
        assert case.flops == 3 * 2 * 64 * out * shape[1] * 9 * shape[2] * shape[3] * (3 if case.layer == "twist" else 1)


@pytest.mark.parametrize("argv, message", [
    # ran nothing and printed []
    (["--only", "conv"], "unknown conv; choose from conv2d, scs, twist, conv_transpose2d"),
    (["--workloads", "A,C"], "unknown C; choose from A, B"),
    (["--repeats", "0"], "must be >= 1, got 0"),
    (["--threads", "0"], "must be >= 1, got 0"),  # numba's traceback, after the sgemm run
    (["--threads", "99999"], "the CPUs this process may use, got 99999"),  # numba started 99,999 threads
])
def test_bench_refuses_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("command", ["benchmarks.bench", "benchmarks.training", "examples.mnist", "examples.twist_demo",
                                     "minigrad.crosscheck"])
def test_each_commands_usage_names_the_command_that_runs_it(command):
    """The benchmarks' usage read "bench.py" and "training.py", which do not run as scripts (their imports
    need the repository's packages): every usage line now names the python -m command."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-m", command, "--help"], capture_output=True, text=True, cwd=root,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.startswith(f"usage: python -m {command} "), result.stdout[:80]


@pytest.mark.parametrize("argv, message", [
    (["--batches", "0"], "must be >= 1"), (["--batch-size", "-1"], "must be >= 1"), (["--threads", "0"], "must be >= 1"),
    (["--threads", "99999"], "the CPUs this process may use, got 99999"),
])
def test_training_benchmark_refuses_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        training.parse_args(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_threads_may_be_as_many_as_the_usable_cpus(monkeypatch):
    from benchmarks import arguments
    monkeypatch.setattr(arguments, "usable_cpus", lambda: 3)
    assert arguments.thread_count("3") == 3
    with pytest.raises(arguments.argparse.ArgumentTypeError, match="must be at most 3"):
        arguments.thread_count("4")


@pytest.mark.parametrize("cpus, expected", [(1, 1), (2, 2), (8, 2)])
def test_the_default_thread_count_is_two_or_the_one_cpu_there_is(monkeypatch, cpus, expected):
    """Both commands asked for 2 threads on a one-CPU machine, where --threads 2 itself is refused."""
    from benchmarks import arguments
    monkeypatch.setattr(arguments, "usable_cpus", lambda: cpus)
    assert bench.parse_args([]).threads == training.parse_args([]).threads == expected


def printed_row(out, first, after):
    """The numbers of the printed table row that starts with first, those after the text after."""
    line = next(line for line in out.splitlines() if line.startswith(first))
    return [float(field.rstrip("%,")) for field in line.split(after, 1)[1].split()]


def test_bench_runs_one_workload(capsys, monkeypatch):
    torch = pytest.importorskip("torch")
    numba = pytest.importorskip("numba")
    counter = iter(range(0, 10**6, 10))  # 10 page faults in each block of BLOCK calls
    monkeypatch.setattr(bench, "_minor_faults", lambda: next(counter))
    threads = torch.get_num_threads(), numba.get_num_threads()
    args = bench.parse_args(["--only", "conv2d", "--workloads", "A", "--repeats", "5", "--threads", "1"])
    try:
        (row,) = bench.main(args)
    finally:  # main sets both libraries' thread counts for the process
        torch.set_num_threads(threads[0])
        numba.set_num_threads(threads[1])
    assert row[:2] == ("conv2d", workloads.conv_case("A").name) and row[2] > 0 and row[3] > 0
    assert 0 < row[6] and row[7] == pytest.approx(row[6] / row[3])  # the products alone, and over torch's time
    case = workloads.conv_case("A")
    assert row[4] == pytest.approx(row[2] / row[3]) and row[5] == pytest.approx(case.flops / (row[2] / 1e3) / 1e9)
    assert row[8:] == (10 / bench.BLOCK, 10 / bench.BLOCK)  # faults per call
    out = capsys.readouterr().out
    ms, torch_ms, ratio, gflops, share, products_ms, over_torch, *faults = printed_row(out, "conv2d", row[1])
    assert [ms, torch_ms, ratio, gflops, products_ms, over_torch] == pytest.approx(row[2:8], abs=0.006)
    assert faults == pytest.approx(row[8:], abs=0.6)
    gemm = float(out.split("sgemm ")[1].split()[0])
    assert share == pytest.approx(100 * row[5] / gemm, abs=0.06)  # % of the sgemm rate


@pytest.mark.parametrize("case", workloads.CASES, ids=lambda case: f"{case.layer}-{case.key}")
def test_the_recorded_products_are_all_of_a_workloads_contractions(case):
    """Every product of a layer's forward and backward goes through np.matmul, so the replay is
    the whole BLAS share: the recorded FLOPs are the workload's 3 x 2 N O C kh kw H W (x 3 for twist),
    and for conv the bias's row of ones in the forward's and the weight gradient's products (conv_transpose2d's
    too where it runs as a conv2d: stride 1, fewer input than output channels)."""
    _, flops = products.record(case.build_minigrad())
    (n, c, h, w), out = workloads.SHAPES[case.key]
    as_conv = case.layer == "conv2d" or (case.layer == "conv_transpose2d" and c < out)
    assert flops == case.flops + (2 * 2 * n * out * h * w if as_conv else 0)


@pytest.mark.parametrize("case", workloads.CASES, ids=lambda case: f"{case.layer}-{case.key}")
def test_each_workloads_torch_step_computes_what_minigrads_does(case):
    """A ratio means something only if both sides do the same work: the torch step (Rohrer's formula,
    the seed's module) gives minigrad's gradients, in float32, for every leaf."""
    torch = pytest.importorskip("torch")
    ours, theirs = case.build_minigrad()(), case.build_torch(torch)()
    assert len(ours) == len(theirs)
    for i, (a, t) in enumerate(zip(ours, theirs)):
        expected = t.numpy()
        assert_close(a, expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max(), name=f"{case.layer} leaf {i}")


@pytest.mark.parametrize("name", ["scs", "twist", "conv"])
def test_the_training_benchmarks_torch_networks_are_the_examples(name):
    """The same loss and the same gradient for every parameter from the same weights and batch: the
    throughput ratio compares one network written twice."""
    torch = pytest.importorskip("torch")
    from examples import mnist_data
    from examples import training as example
    images, labels = mnist_data.load_dir(mnist_data.BUNDLED)[:2]
    x, y = example.prepare(images[:32]), labels[:32].astype(np.int64)
    model = example.build_model(name, np.random.default_rng(0))
    net = training.torch_network(torch, name, model.state_dict())
    if name == "conv":  # PyTorch's own modules only: printed alike, line for line
        assert repr(model) == repr(net)
    loss = mg.cross_entropy(model(mg.tensor(x)), y)
    loss.backward()
    t_loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
    t_loss.backward()
    assert_close(loss.data, t_loss.detach().numpy(), rtol=1e-5, name=f"{name} loss")
    grads = dict(model.named_parameters())
    for key, param in net.named_parameters():
        expected = param.grad.numpy()
        assert_close(grads[key].grad, expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max(), name=f"{name} {key}")


@pytest.mark.parametrize("name", ["scs", "twist", "conv"])
def test_the_example_networks_train_as_their_torch_twins(name):
    """20 steps of the example's training (cross_entropy, Adam, a cosine schedule stepped every 4),
    in float64, on minigrad and on torch from the same weights and batches: the same parameters after
    every step, to 1e-11 (4e-13 measured after 30 steps). The digits get noise of 1e-3: a saturated
    stroke's 3x3 patches of 1.0 give exactly tied max-pool windows, whose winner the ConvTwist
    network's generators decide by rounding residues, differently in oneDNN and OpenBLAS."""
    torch = pytest.importorskip("torch")
    from examples import mnist_data
    from examples import training as example
    images, labels = mnist_data.load_dir(mnist_data.BUNDLED)[:2]
    rng = np.random.default_rng(0)
    model = example.build_model(name, np.random.default_rng(0)).double()
    with default_float64(torch):
        net = training.torch_network(torch, name, model.state_dict())
        opt, t_opt = optim.Adam(model.parameters(), lr=3e-3), torch.optim.Adam(net.parameters(), lr=3e-3)
        sched = optim.CosineAnnealingLR(opt, T_max=5)
        t_sched = torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, T_max=5)
        for step in range(20):
            batch = rng.integers(0, len(images), 16)
            x = example.prepare(images[batch]).astype(np.float64) + 1e-3 * rng.standard_normal((16, 1, 28, 28))
            y = labels[batch].astype(np.int64)
            opt.zero_grad()
            mg.cross_entropy(model(mg.tensor(x)), y).backward()
            opt.step()
            t_opt.zero_grad()
            torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y)).backward()
            t_opt.step()
            if step % 4 == 3:
                sched.step()
                t_sched.step()
            ours = dict(model.named_parameters())
            for key, param in net.named_parameters():
                expected = param.detach().numpy()
                assert_close(ours[key].data, expected, rtol=0, atol=1e-11 * np.abs(expected).max(),
                             name=f"{name} {key} after step {step}")


def test_replay_repeats_each_recorded_product_into_its_output(rng):
    a, b, out = rng.standard_normal((5, 2, 3)), rng.standard_normal((3, 4)), np.empty((5, 2, 4))
    numpy_matmul = np.matmul

    def fn():
        np.matmul(a, b, out=out)
        np.matmul(b[:, 0], b)  # 1-D on the left: (1, 3) @ (3, 4)
        np.matmul(a, b[:, 0])  # 1-D on the right: (5, 2, 3) @ (3, 1)
        return a[0] @ b  # the operator is not recorded

    replay, flops = products.record(fn)
    out[...] = 0
    replay()
    np.testing.assert_array_equal(out, a @ b)
    assert flops == 2 * 5 * 2 * 3 * 4 + 2 * 3 * 4 + 2 * 5 * 2 * 3
    assert np.matmul is numpy_matmul  # numpy is itself again


def test_training_benchmark_runs_each_network(capsys):
    torch = pytest.importorskip("torch")
    numba = pytest.importorskip("numba")
    threads = torch.get_num_threads(), numba.get_num_threads()
    try:
        rows = training.main(training.parse_args(["--batches", "5", "--batch-size", "8", "--threads", "1"]))
    finally:
        torch.set_num_threads(threads[0])
        numba.set_num_threads(threads[1])
    assert [row[0] for row in rows] == ["scs", "twist", "conv"]
    out = capsys.readouterr().out
    for row in rows:
        printed = printed_row(out, row[0], row[0])
        assert printed[:2] == pytest.approx(row[1:3], abs=0.51) and printed[2:] == pytest.approx(row[3:], abs=0.006)
    for _, ours, theirs, ratio, products_ms, bound in rows:
        assert ours > 0 and theirs > 0 and ratio == pytest.approx(ours / theirs) and products_ms > 0
        assert bound == pytest.approx(8 / theirs / (products_ms / 1e3))  # torch's step over the products'


def test_the_cpu_is_named_with_its_family_and_model_or_as_platform_names_it(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\n"
                       "processor\t: 1\nmodel name\t: another\n")
    real_open = open
    monkeypatch.setattr(bench, "open", lambda path: real_open(cpuinfo), raising=False)
    assert bench.cpu_name() == "AMD EPYC (family 25, model 17)"  # the first processor's
    monkeypatch.setattr(bench, "open", lambda path: real_open(tmp_path / "missing"), raising=False)
    monkeypatch.setattr(bench.platform, "processor", lambda: "x86_64")
    assert bench.cpu_name() == "x86_64"
    monkeypatch.setattr(bench.platform, "processor", lambda: "")
    assert bench.cpu_name() == "unknown"


def test_training_batches_are_consecutive_images_wrapping_around():
    assert [b.tolist() for b in training.batch_indices(10, 3, 4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]


def test_the_sgemm_rate_is_the_best_of_its_repeats(monkeypatch):
    """2 n^3 flops of a 1024 x 1024 product over its fastest time."""
    times = iter([0.5, 0.25, 1.0])
    monkeypatch.setattr(bench, "_time", lambda fn: next(times))
    assert bench.sgemm_gflops(repeats=3) == pytest.approx(2 * 1024**3 / 0.25 / 1e9)
