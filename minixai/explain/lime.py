"""LIME: a weighted linear model of the class score, fitted on segments switched on and off.

Ribeiro, Singh & Guestrin 2016, "Why should I trust you?": explaining the predictions of any
classifier", https://arxiv.org/abs/1602.04938. Seed 001_c2222baa81a6d9bd.txt, slide "LIME:
Sparse Linear Explanation" (sample around x, predict, weigh by distance, fit, explain); seed
000_8bf5a89bed1f51bd.txt, slide "LIME"; seed 004_2a6fa647e63a0a0a.txt, slide "LIME".

x is cut into M segments (see _segments); sample k is a binary z_k (the first all ones, the rest
uniform) and the input h_x(z_k) shows the baseline on the segments that are off. Then

    d_k   = 1 - cos(z_k, 1) = 1 - sqrt(|z_k| / M)       (cosine distance; 1 when all are off)
    pi_k  = exp(-d_k^2 / width^2)                        (exponential kernel, width 0.25)
    (b, w) = argmin sum_k pi_k (y_c(h_x(z_k)) - b - w.z_k)^2 + alpha |w|^2     (weighted ridge)

w_j is segment j's weight, broadcast to its positions. The weighted R^2 of the fit says how well
a linear model describes the score near x. (lime's own code uses sqrt(pi_k) as the weight.)
Run by lessons/23_lime.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..nn.layer import positive_int
from ._segments import Features, segment  # noqa: F401  (segment: for lessons showing the superpixels)


def lime(model, x, target=None, *, n_samples: int = 1000, kernel_width: float = 0.25, alpha: float = 1.0,
         segments="auto", n_segments: int | None = None, segment_params: dict | None = None, baseline="mean",
         return_fit: bool = False, seed=None, batch_size: int | None = None, backend=None):
    """Segment weights w broadcast to positions: (N, 1, *x's spatial size).

    ``model``: a minixai model or a callable predict(x) -> scores (n, K). Segments and baseline:
    see ``_segments`` ("auto": 8 equal runs in 1-D, about 16 SLIC superpixels in 2-D; "mean"
    fills a segment with its mean colour). Every row uses the same draws from ``seed``.
    ``return_fit=True`` returns (map, fit), fit a dict with "r2" (N,), "weights" and
    "intercept" per row, and the segment "labels" (N, *spatial).
    """
    n_samples = positive_int(n_samples, "n_samples", minimum=2)
    features = Features(model, x, target, segments=segments, n_segments=n_segments, segment_params=segment_params,
                        baseline=baseline, batch_size=batch_size, backend=backend)
    fits = []
    for i in range(len(features)):
        z = samples(features.m(i), n_samples, seed)
        y = features.value(i, z)
        fits.append(weighted_ridge(z, y, kernel(z, kernel_width), alpha))
    R = features.to_positions([w for w, _, _ in fits])
    if not return_fit:
        return R
    return R, {"r2": np.array([r2 for _, _, r2 in fits]), "weights": [w for w, _, _ in fits],
               "intercept": np.array([b for _, b, _ in fits]), "labels": features.labels}


def samples(m: int, n: int, seed=None) -> np.ndarray:
    """n binary vectors of length m: the first all ones (x itself), the rest uniform."""
    z = np.random.default_rng(seed).integers(0, 2, size=(n, m)).astype(np.float64)
    z[0] = 1
    return z


def kernel(z: np.ndarray, width: float) -> np.ndarray:
    """pi = exp(-d^2 / width^2) with d the cosine distance between each z and all-ones."""
    if not width > 0:
        raise ParameterError(f"kernel_width: expected a positive number, got {width!r}")
    # >>> exercise perturbation.1: cosine distance d of each z to all-ones, then pi = exp(-d^2 / width^2)
    d = 1 - np.sqrt(z.sum(axis=1) / z.shape[1])
    return np.exp(-d ** 2 / width ** 2)
    # <<< exercise perturbation.1


def weighted_ridge(z: np.ndarray, y: np.ndarray, pi: np.ndarray, alpha: float) -> tuple:
    """(w, b, weighted R^2) of argmin sum_k pi_k (y_k - b - w.z_k)^2 + alpha |w|^2; b not penalised.

    Centring z and y on their weighted means removes b; then w = (Zc^T P Zc + alpha I)^-1 Zc^T P yc.
    """
    if not alpha >= 0:
        raise ParameterError(f"alpha: expected a number >= 0, got {alpha!r}")
    # >>> exercise perturbation.2: centre z and y on their pi-weighted means, solve for w, then b
    p = pi / pi.sum()
    z_mean, y_mean = p @ z, p @ y
    zc, yc = z - z_mean, y - y_mean
    a = zc.T @ (pi[:, None] * zc) + alpha * np.eye(z.shape[1])
    w = np.linalg.lstsq(a, zc.T @ (pi * yc), rcond=None)[0]
    b = y_mean - z_mean @ w
    # <<< exercise perturbation.2
    residual = pi @ (y - b - z @ w) ** 2
    total = pi @ yc ** 2
    r2 = 1.0 - residual / total if total > 0 else float(residual == 0)
    return w, b, r2
