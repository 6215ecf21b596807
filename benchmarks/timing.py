"""Median wall-clock timings, shared by the benchmark scripts.

Medians of repeated runs after a warm-up (the first call compiles, allocates, or fills caches).
``compare`` times several candidates side by side in one run: each candidate runs as a block
(warm-up, then its timed calls), and the blocks repeat for ``rounds`` rounds, so a burst of load
from elsewhere lands on more than one candidate. Blocks, not call-by-call alternation: libraries
with their own thread pools (OpenBLAS, PyTorch's OpenMP) leave threads spinning after each call,
and on a small machine those slow down whichever library runs next (measured on 2 cores: an
MNIST-1D forward pass took 0.5 ms in a block of PyTorch calls, 2.9 ms alternating with minixai).
"""
from __future__ import annotations

import os
import statistics
import time


def median_ms(fn, repeats: int = 5, warmup: int = 1) -> float:
    """Median of ``repeats`` timed calls of ``fn()`` in milliseconds, after ``warmup`` untimed calls."""
    return compare({"fn": fn}, repeats, warmup)["fn"]


def compare(fns: dict, repeats: int = 5, warmup: int = 1, rounds: int = 1) -> dict:
    """``{name: median ms}`` for ``{name: fn}``: per round, each fn's warm-up then ``repeats`` timed calls."""
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            for _ in range(warmup):
                fn()
            for _ in range(repeats):
                start = time.perf_counter()
                fn()
                times[name].append(1e3 * (time.perf_counter() - start))
    return {name: statistics.median(ts) for name, ts in times.items()}


def real_gpu() -> bool:
    """Whether numba sees a real GPU (not the simulator): the CUDA rows are timed only then."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return False
    try:
        from numba import cuda
        return cuda.is_available()
    except Exception:
        return False
