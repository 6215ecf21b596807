"""Median wall-clock timings, shared by the benchmark scripts.

Medians of repeated runs after a warm-up (the first call compiles, allocates, or fills caches).
On a shared, noisy machine compare candidates *side by side*: ``compare`` runs them round-robin,
so a burst of load from elsewhere slows every candidate alike instead of just one of them.
"""
from __future__ import annotations

import statistics
import time


def median_ms(fn, repeats: int = 5, warmup: int = 1) -> float:
    """Median of ``repeats`` timed calls of ``fn()`` in milliseconds, after ``warmup`` untimed calls."""
    return compare({"fn": fn}, repeats, warmup)["fn"]


def compare(fns: dict, repeats: int = 5, warmup: int = 1) -> dict:
    """``{name: median ms}`` for ``{name: fn}``, the functions called round-robin ``repeats`` times."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(1e3 * (time.perf_counter() - start))
    return {name: statistics.median(ts) for name, ts in times.items()}
