"""One training epoch of a 64-128-64-10 ReLU MLP on digits, batch 32, SGD.

``mathprog.training.train`` (numpy, with and without the per-layer gradient monitor) against the
same network in PyTorch CPU with one thread, in the same process, from the same initial
weights and the same batch order. Target: one mathprog epoch takes at most half of
PyTorch's time (numpy's per-call overhead is far below torch's dispatch at this size).

Run: ``.venv/bin/python benchmarks/bench_nn.py``
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Result, median_time  # noqa: E402

from mathprog import nn, training  # noqa: E402
from mathprog.data import load_digits  # noqa: E402
from mathprog.optim import SGD  # noqa: E402

SIZES = [64, 128, 64, 10]
BATCH = 32
LR = 0.01
SEED = 0


def _data() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_digits()
    return X / 16.0, y


def _numpy_epoch(X: np.ndarray, y: np.ndarray, dtype: type, monitor: bool):
    model = nn.mlp(SIZES, rng=SEED, dtype=dtype)
    loss, opt = nn.SoftmaxCrossEntropy(), SGD(LR)
    Xd = X.astype(dtype)

    def epoch() -> None:
        training.train(model, loss, opt, Xd, y, epochs=1, batch_size=BATCH, seed=SEED,
                 monitor=monitor)

    return model, epoch


def _torch_epoch(X: np.ndarray, y: np.ndarray, dtype: type, init_from: nn.Sequential):
    import torch

    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    net = torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10),
    ).to(tdtype)
    with torch.no_grad():  # same initial weights (torch stores W as (out, in))
        for t_layer, (_, m) in zip(net[::2], nn.linear_layers(init_from), strict=True):
            t_layer.weight.copy_(torch.from_numpy(m.W.T.copy()))
            t_layer.bias.copy_(torch.from_numpy(m.b.copy()))
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    Xt = torch.from_numpy(X.astype(dtype))
    yt = torch.from_numpy(y)
    n = len(X)

    def epoch() -> None:
        # Same batch order as mathprog.nn.train: one default_rng(seed) permutation.
        perm = torch.from_numpy(np.random.default_rng(SEED).permutation(n))
        Xs, ys = Xt[perm], yt[perm]
        for start in range(0, n, BATCH):
            opt.zero_grad()
            out = net(Xs[start : start + BATCH])
            loss = torch.nn.functional.cross_entropy(out, ys[start : start + BATCH])
            loss.backward()
            opt.step()

    return net, epoch


def _same_result(X: np.ndarray, y: np.ndarray) -> float:
    """Max abs difference of the first-layer weights after one float64 epoch in each."""
    model, np_epoch = _numpy_epoch(X, y, np.float64, monitor=True)
    net, t_epoch = _torch_epoch(X, y, np.float64, model)
    np_epoch()
    t_epoch()
    return float(np.abs(model[0].W.T - net[0].weight.detach().numpy()).max())


def _paired_times(a, b, repeats: int) -> tuple[float, float, float]:
    """Median times of ``a`` and ``b`` and the median of their per-pair ratio.

    The two are timed alternately, so a burst of load from other processes on this shared
    machine hits both sides of a pair instead of biasing one of them.
    """
    a()
    b()
    ta, tb = [], []
    for _ in range(repeats):
        for fn, out in ((a, ta), (b, tb)):
            gc.collect()
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    ratios = [x / y for x, y in zip(ta, tb, strict=True)]
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def run(repeats: int = 15) -> list[Result]:
    X, y = _data()
    results: list[Result] = []
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is optional for the benchmark
        torch = None
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        model, mon_epoch = _numpy_epoch(X, y, dtype, monitor=True)
        _, plain_epoch = _numpy_epoch(X, y, dtype, monitor=False)
        t_plain = median_time(plain_epoch, repeats=repeats)
        if torch is None:
            t_mon = median_time(mon_epoch, repeats=repeats)
            results.append(Result(f"mathprog.nn epoch {name} (monitor on)", t_mon * 1e3, "ms"))
            results.append(Result(f"mathprog.nn epoch {name} (monitor off)", t_plain * 1e3, "ms"))
            continue
        torch.set_num_threads(1)
        _, t_epoch = _torch_epoch(X, y, dtype, model)
        t_mon, t_torch, ratio = _paired_times(mon_epoch, t_epoch, repeats)
        results.append(Result(f"mathprog.nn epoch {name} (monitor on)", t_mon * 1e3, "ms"))
        results.append(Result(f"mathprog.nn epoch {name} (monitor off)", t_plain * 1e3, "ms"))
        results.append(Result(f"PyTorch CPU 1 thread epoch {name}", t_torch * 1e3, "ms"))
        results.append(Result(
            f"mathprog.nn / PyTorch time ratio {name} (monitor on)", ratio, "x",
            target="<= 0.5", met=ratio <= 0.5,
            note=f"median of {repeats} interleaved pairs; torch {1 / ratio:.1f}x slower",
        ))
    if torch is not None:
        diff = _same_result(X, y)
        results.append(Result("max |W1 difference| after one float64 epoch vs torch", diff, "",
                              note="same init, same batches: the two compute the same thing"))
    return results


if __name__ == "__main__":
    for r in run():
        print(r.line())
