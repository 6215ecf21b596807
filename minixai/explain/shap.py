"""SHAP: Shapley values of the segments of x, exactly or by sampling.

Strumbelj & Kononenko 2010, "An efficient explanation of individual classifications using game
theory" (permutation sampling); Lundberg & Lee 2017, "A unified approach to interpreting model
predictions", https://arxiv.org/abs/1705.07874 (Kernel SHAP). Seed 000_8bf5a89bed1f51bd.txt,
slide "SHAP" (marginal contributions averaged over all permutations); seed
001_c2222baa81a6d9bd.txt, slide "Shapley".

The players are the M segments of x (as for LIME); a coalition S shows x on S and the baseline
elsewhere, v(S) = y_c(h_x(S)). Segment i gets

    phi_i = sum_{S not containing i} |S|! (M - |S| - 1)! / M! (v(S + i) - v(S))        (1)

"exact" enumerates all 2^M coalitions (M <= 16). "permutation" averages v(prefix + i) - v(prefix)
over random orders of the players (eq. 1 is that average over all M! orders). "kernel" fits
v(S) = phi_0 + sum_{i in S} phi_i by least squares with the Shapley kernel weights
pi(S) = (M - 1) / (C(M, |S|) |S| (M - |S|)), constrained to phi_0 = v({}) and
sum_i phi_i = v(all) - v({}); with every coalition enumerated it returns eq. 1 exactly.
All three satisfy efficiency: sum_i phi_i = y_c(x) - y_c(baseline) (tested).
Run by lessons/24_shap.py.
"""
from __future__ import annotations

from math import comb, factorial

import numpy as np

from ..errors import ParameterError, UnknownNameError
from ..nn.layer import positive_int
from ._segments import Features

METHODS = ("exact", "permutation", "kernel")
MAX_EXACT = 16


def shap(model, x, target=None, *, method: str = "kernel", n_samples: int = 1000, antithetic: bool = True,
         segments="auto", n_segments: int | None = None, segment_params: dict | None = None, baseline="mean",
         return_values: bool = False, seed=None, batch_size: int | None = None, backend=None):
    """Shapley values phi_i broadcast to the positions of segment i: (N, 1, *x's spatial size).

    ``n_samples``: about how many coalitions each row evaluates for "kernel" and "permutation"
    ("kernel" enumerates all of them when 2^M - 2 <= n_samples, and is then exact).
    ``antithetic``: pair each sampled coalition with its complement, each permutation with its
    reverse. ``return_values=True`` returns (map, values), values a dict with "phi" (one array
    per row), "base" = v({}) and "full" = v(all) (N,), and the segment "labels".
    """
    if method not in METHODS:
        raise UnknownNameError(f"method: unknown name {method!r}; valid names are {', '.join(METHODS)}")
    n_samples = positive_int(n_samples, "n_samples")
    features = Features(model, x, target, segments=segments, n_segments=n_segments, segment_params=segment_params,
                        baseline=baseline, batch_size=batch_size, backend=backend)
    phis, ends = [], []
    for i in range(len(features)):
        m = features.m(i)
        ends.append(features.value(i, np.array([np.zeros(m), np.ones(m)])))
        if method == "exact":
            phis.append(exact(lambda z: features.value(i, z), m))
        elif method == "permutation":
            phis.append(permutation(lambda z: features.value(i, z), m, ends[-1], n_samples, antithetic, seed))
        else:
            phis.append(kernel(lambda z: features.value(i, z), m, ends[-1], n_samples, antithetic, seed))
    R = features.to_positions(phis)
    if not return_values:
        return R
    ends = np.array(ends)
    return R, {"phi": phis, "base": ends[:, 0], "full": ends[:, 1], "labels": features.labels}


def coalitions(m: int) -> np.ndarray:
    """All 2^m coalitions as rows of bits: row s holds the binary digits of s (player j = bit j)."""
    return ((np.arange(2 ** m)[:, None] >> np.arange(m)) & 1).astype(np.float64)


def exact(value, m: int) -> np.ndarray:
    """Eq. 1 by enumeration: v at all 2^m coalitions, then each player's weighted marginals."""
    if m > MAX_EXACT:
        raise ParameterError(f"method: 'exact' enumerates 2^M coalitions and allows M <= {MAX_EXACT} features, "
                             f"got M = {m}; use method='permutation' or method='kernel', or fewer n_segments")
    v = value(coalitions(m))
    size = np.array([bin(s).count("1") for s in range(2 ** m)])
    weight = np.array([factorial(s) * factorial(m - s - 1) / factorial(m) for s in range(m)])
    phi = np.empty(m)
    for j in range(m):
        without = np.flatnonzero((np.arange(2 ** m) >> j) & 1 == 0)       # S not containing j
        phi[j] = weight[size[without]] @ (v[without + 2 ** j] - v[without])
    return phi


def permutation(value, m: int, ends: np.ndarray, n_samples: int, antithetic: bool, seed) -> np.ndarray:
    """Mean of v(prefix + i) - v(prefix) over about n_samples / m random orders (each sums to v(all) - v({}))."""
    rng = np.random.default_rng(seed)
    n_orders = max(1, -(-n_samples // m))
    orders = [rng.permutation(m) for _ in range(-(-n_orders // 2) if antithetic else n_orders)]
    if antithetic:
        orders = [o for order in orders for o in (order, order[::-1])]
    prefixes = np.zeros((len(orders), m + 1, m))
    for k, order in enumerate(orders):
        for step, player in enumerate(order):
            prefixes[k, step + 1:, player] = 1
    inner = value(prefixes[:, 1:m].reshape(-1, m)).reshape(len(orders), m - 1) if m > 1 else np.zeros((len(orders), 0))
    v = np.concatenate([np.full((len(orders), 1), ends[0]), inner, np.full((len(orders), 1), ends[1])], axis=1)
    phi = np.zeros(m)
    for k, order in enumerate(orders):
        phi[order] += np.diff(v[k])
    return phi / len(orders)


def kernel(value, m: int, ends: np.ndarray, n_samples: int, antithetic: bool, seed) -> np.ndarray:
    """Kernel SHAP: constrained weighted least squares on all or on kernel-sampled coalitions."""
    base, delta = ends[0], ends[1] - ends[0]
    if m == 1:
        return np.array([delta])
    if 2 ** m - 2 <= n_samples:
        z = coalitions(m)[1:-1]                                         # every proper, non-empty S
        size = z.sum(axis=1).astype(int)
        pi = np.array([(m - 1) / (comb(m, s) * s * (m - s)) for s in size])
    else:
        z = _kernel_samples(m, n_samples, antithetic, np.random.default_rng(seed))
        pi = np.ones(len(z))                     # drawn with the kernel's probabilities already
    y = value(z) - base
    # phi_m = delta - sum_{j<m} phi_j turns the constrained fit into a plain one on m - 1 unknowns
    a = z[:, :-1] - z[:, -1:]
    b = y - z[:, -1] * delta
    root = np.sqrt(pi)[:, None]
    head = np.linalg.lstsq(root * a, root[:, 0] * b, rcond=None)[0]
    return np.append(head, delta - head.sum())


def _kernel_samples(m: int, n: int, antithetic: bool, rng) -> np.ndarray:
    """n coalitions: size s with probability proportional to (m - 1) / (s (m - s)), then uniform members."""
    sizes = np.arange(1, m)
    p = 1.0 / (sizes * (m - sizes))
    draws = -(-n // 2) if antithetic else n
    z = np.zeros((draws, m))
    for k, s in enumerate(rng.choice(sizes, size=draws, p=p / p.sum())):
        z[k, rng.choice(m, size=s, replace=False)] = 1
    return np.concatenate([z, 1 - z]) if antithetic else z
