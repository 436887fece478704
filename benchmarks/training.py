"""Training throughput (images/s) of the MNIST example's networks in minigrad and in PyTorch.

    python -m benchmarks.training [--threads 2] [--batches 40] [--batch-size 64]

The PyTorch networks are written here layer for layer like examples/training.py: Rohrer's SCS
(conv of x^2 with a ones kernel for the norms) with a MaxAbsPool port, the seed's ConvTwist, and
Conv2d. Both sides run the same Adam steps on the same batches, alternating in blocks.

The last column replays the minigrad step's BLAS products alone (benchmarks/products.py): torch's
step time over theirs is the highest throughput ratio a step making the same products could reach.
"""
import argparse
import os
import statistics
import time

from benchmarks.arguments import default_threads, positive_int, thread_count


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.training", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=thread_count, default=default_threads(),
                        help="threads for both libraries (default: 2, or 1 on a one-CPU machine)")
    parser.add_argument("--batches", type=positive_int, default=40,
                        help="timed batches per side and model (default: 40)")
    parser.add_argument("--batch-size", type=positive_int, default=64, help="images per batch (default: 64)")
    return parser.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "1")  # as minigrad sets it; numpy is not loaded yet

import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402
from benchmarks.bench import BLOCK, blas_kernel, cpu_name  # noqa: E402
from benchmarks.products import record  # noqa: E402
from examples import mnist_data, training  # noqa: E402
from minigrad import optim  # noqa: E402


def torch_network(torch, name, state):
    """The example's network in PyTorch, loaded with minigrad's initial weights."""
    nn, F = torch.nn, torch.nn.functional

    class SCS(nn.Module):
        def __init__(self, c_in, c_out):
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(c_out, c_in, 3, 3))
            self.p = nn.Parameter(torch.zeros(1, c_out, 1, 1))
            self.log_q = nn.Parameter(torch.zeros(1, 1, 1, 1))

        def forward(self, x):
            with torch.no_grad():
                self.weight.clamp_(-1, 1)
                self.p.clamp_(min=0.1)
            w = self.weight / torch.sqrt((self.weight ** 2).sum(dim=(1, 2, 3), keepdim=True))
            norm = torch.sqrt(F.conv2d(x * x, torch.ones((1,) + self.weight.shape[1:]), padding=1) + 1e-6)
            c = F.conv2d(x, w, padding=1) / (norm + torch.exp(self.log_q))
            return torch.sign(c) * (torch.abs(c) + 1e-6) ** self.p

    class MaxAbsPool(nn.Module):
        def forward(self, x):
            high, low = F.max_pool2d(x, 2), -F.max_pool2d(-x, 2)
            return torch.where(high >= -low, high, low)

    class Twist(nn.Module):
        def __init__(self, c_in, c_out):
            super().__init__()
            self.conv, self.conv_x, self.conv_y = (nn.Conv2d(c_in, c_out, 3, padding=1, bias=False) for _ in range(3))
            self.center_x, self.center_y = nn.Parameter(torch.zeros(c_out)), nn.Parameter(torch.zeros(c_out))

        def forward(self, x):
            out = self.conv(x)
            _, _, h, w = out.size()
            XX = torch.from_numpy(np.indices((1, h, w))[2] * 2 / w).type(out.dtype) - 1 + self.center_x.view(-1, 1, 1)
            YY = torch.from_numpy(np.indices((1, h, w))[1] * 2 / h).type(out.dtype) - 1 + self.center_y.view(-1, 1, 1)
            for conv in (self.conv_x, self.conv_y):
                conv.weight.data = (conv.weight - conv.weight.flip(2).flip(3)) / 2
            return out + XX * self.conv_x(x) + YY * self.conv_y(x)

    blocks, c_in = [], 1
    for c_out in training.WIDTHS:
        if name == "scs":
            blocks += [SCS(c_in, c_out), MaxAbsPool()]
        elif name == "twist":
            blocks += [Twist(c_in, c_out), nn.MaxPool2d(2), nn.ReLU()]
        else:
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.MaxPool2d(2), nn.ReLU()]
        c_in = c_out
    net = nn.Sequential(*blocks, nn.Flatten(), nn.Linear(c_in * 9, 10))
    net.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    return net


def batch_indices(count, batches, batch_size):
    """batches runs of batch_size consecutive image indices, wrapping around the count images."""
    return [np.arange(i, i + batch_size) % count for i in range(0, batches * batch_size, batch_size)]


def main(args):
    import torch
    torch.set_num_threads(args.threads)
    mg.backend.set_num_threads(args.threads)
    train_x, train_y, *_ = mnist_data.load_dir(mnist_data.BUNDLED)
    x, y = training.prepare(train_x), train_y.astype(np.int64)
    batches = batch_indices(len(x), args.batches, args.batch_size)
    rows = []
    print(f"# {time.strftime('%Y-%m-%d')} | {cpu_name()} | threads {args.threads} | torch {torch.__version__} | "
          f"numpy {np.__version__}, {blas_kernel()} | batch {args.batch_size}, Adam")
    print(f"{'model':<6} {'minigrad img/s':>15} {'torch img/s':>12} {'minigrad/torch':>15} {'products ms':>12} "
          f"{'torch/products':>15}")
    for name in ("scs", "twist", "conv"):
        model = training.build_model(name, np.random.default_rng(0))
        net = torch_network(torch, name, model.state_dict())
        opt, t_opt = optim.Adam(model.parameters(), lr=1e-3), torch.optim.Adam(net.parameters(), lr=1e-3)

        def ours(idx):
            loss = mg.cross_entropy(model(mg.tensor(x[idx])), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

        def theirs(idx):
            loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x[idx])), torch.from_numpy(y[idx]))
            t_opt.zero_grad()
            loss.backward()
            t_opt.step()

        products, _ = record(lambda: ours(batches[0]))  # also ours' warm-up step
        theirs(batches[0])
        times = {ours: [], theirs: [], lambda idx: products(): []}  # the recorded step's products, any batch
        for start in range(0, len(batches), BLOCK):
            for fn, spent in times.items():
                fn(batches[start])  # untimed: let the other library's threads go quiet
                for idx in batches[start:start + BLOCK]:
                    t0 = time.perf_counter()
                    fn(idx)
                    spent.append(time.perf_counter() - t0)
        t_ours, t_theirs, t_products = (statistics.median(spent) for spent in times.values())
        ours_rate, theirs_rate = args.batch_size / t_ours, args.batch_size / t_theirs
        rows.append((name, ours_rate, theirs_rate, t_theirs / t_ours, t_products * 1e3, t_theirs / t_products))
        print(f"{name:<6} {ours_rate:>15.0f} {theirs_rate:>12.0f} {t_theirs / t_ours:>15.2f} {t_products * 1e3:>12.2f} "
              f"{t_theirs / t_products:>15.2f}")
    return rows


if __name__ == "__main__":
    main(ARGS)
