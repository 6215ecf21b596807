"""Training time: the shipped MNIST-1D recipe in minixai and in PyTorch, on the same start and batches.

Issue 3 asks that training the MNIST-1D CNN be no slower than PyTorch on the same recipe. Both
runs here start from the same weights (``minixai.interop.to_torch`` of ``mnist1d_cnn(seed=0)``),
see the same batches in the same order (``np.random.default_rng(seed).permutation`` per epoch,
as ``minixai.nn.fit`` draws them) and take Adam steps with the recipe's settings (lr 1e-2,
batch 100, 60 epochs), so the two wall times are for identical work; the two test accuracies
come out close but not equal (float32 sums in another order drift apart over 2400 steps).

    python benchmarks/training.py [--epochs 60] [--threads N] [--rounds 2]

Each round trains both, minixai first, then PyTorch; the medians over rounds are printed with
their ratio. ``--threads N`` reruns the script with N threads for BLAS, numba and PyTorch. Time
only: nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minixai.data import mnist1d  # noqa: E402
from minixai.models.architectures import mnist1d_cnn  # noqa: E402
from minixai.models.train import RECIPES  # noqa: E402
from minixai.nn import Adam, accuracy, fit  # noqa: E402


def train_minixai(x, y, x_test, y_test, epochs: int, seed: int) -> tuple:
    recipe = RECIPES["mnist1d_cnn"]
    model = mnist1d_cnn(seed=seed)
    start = time.perf_counter()
    fit(model, x, y, epochs=epochs, batch_size=recipe.batch_size, optimizer=Adam(model, lr=recipe.lr), seed=seed,
        progress=False)
    return time.perf_counter() - start, accuracy(model, x_test, y_test)


def train_torch(x, y, x_test, y_test, epochs: int, seed: int) -> tuple:
    import torch

    from minixai.interop import to_torch
    recipe = RECIPES["mnist1d_cnn"]
    model = to_torch(mnist1d_cnn(seed=seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(x)))
        for i in range(0, len(x), recipe.batch_size):
            rows = order[i:i + recipe.batch_size]
            loss = torch.nn.functional.cross_entropy(model(xt[rows]), yt[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        predicted = model(torch.from_numpy(x_test)).argmax(1).numpy()
    return seconds, float(np.mean(predicted == y_test))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=RECIPES["mnist1d_cnn"].epochs)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, help="threads for BLAS, numba and PyTorch (default: as set)")
    args = parser.parse_args(argv)
    if args.threads and os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
        n = str(args.threads)
        os.execve(sys.executable, [sys.executable, __file__, *(argv if argv is not None else sys.argv[1:])],
                  dict(os.environ, OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, NUMBA_NUM_THREADS=n))
    try:
        import torch
    except ImportError:
        sys.exit("PyTorch is not installed (pip install -e '.[compare]')")
    import numba
    torch.set_num_threads(numba.get_num_threads())
    x, y = mnist1d("train")
    x_test, y_test = mnist1d("test")
    train_minixai(x[:200], y[:200], x_test, y_test, 1, 0)  # compile the kernels outside the timing
    train_torch(x[:200], y[:200], x_test, y_test, 1, 0)
    print(f"MNIST-1D CNN, {args.epochs} epochs, batch {RECIPES['mnist1d_cnn'].batch_size}, Adam lr "
          f"{RECIPES['mnist1d_cnn'].lr}; threads: numba {numba.get_num_threads()}, torch {torch.get_num_threads()}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    times = {"minixai": [], "torch": []}
    for r in range(args.rounds):
        for name, train in (("minixai", train_minixai), ("torch", train_torch)):
            seconds, acc = train(x, y, x_test, y_test, args.epochs, 0)
            times[name].append(seconds)
            print(f"  round {r + 1} {name:<8} {seconds:7.2f} s   test accuracy {acc:.4f}")
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"median: minixai {medians['minixai']:.2f} s, torch {medians['torch']:.2f} s, "
          f"minixai/torch {medians['minixai'] / medians['torch']:.2f}")


if __name__ == "__main__":
    main()
