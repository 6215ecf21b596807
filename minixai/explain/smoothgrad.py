"""SmoothGrad: the gradient averaged over noisy copies of the input, a sharper saliency map.

Smilkov, Thorat, Kim, Viegas & Wattenberg 2017, "SmoothGrad: removing noise by adding noise",
https://arxiv.org/abs/1706.03825. Seed 000_8bf5a89bed1f51bd.txt, slide "SmoothGrad". A
ReLU network's gradient jumps from point to point, so a single gradient map looks speckled;
averaging it over a Gaussian neighbourhood of x keeps what is stable and cancels the speckle:

    M(x) = 1/n sum_k grad y_c(x + eps_k),   eps_k ~ N(0, sigma^2),   sigma = noise_level (max x - min x)
    smoothgrad_sq: 1/n sum_k grad y_c(x + eps_k)^2        vargrad: variance of the n gradients

sigma is per sample (the range of that sample's values). times_input=True gives the map of
gradient x input with the multiplier x held fixed: x * M for smoothgrad, x^2 * M for the others.
The noise of copy k is the k-th draw from ``seed`` and is shared by every row, so one seed gives
the same map whatever the batch size and whether x is explained as a batch or row by row.
Run by lessons/05_smoothgrad.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, UnknownNameError
from ..nn.layer import positive_int
from .common import check_input
from ._variants import sum_gradients, targets_of

KINDS = ("smoothgrad", "smoothgrad_sq", "vargrad")


def smoothgrad(model, x, target=None, *, n: int = 50, noise_level: float = 0.15, kind: str = "smoothgrad",
               times_input: bool = False, seed=None, batch_size: int | None = None, rule=None,
               backend=None) -> np.ndarray:
    """The mean (kind "smoothgrad"), mean square or variance of d y_target / d x over n noisy copies; x's shape.

    rule: smooth another backward signal instead of the gradient (guided backprop, for example).
    batch_size: noisy copies per batch (None: about 2**16 input values a batch).
    """
    x = check_input(model, x)
    n = positive_int(n, "n")
    if kind not in KINDS:
        raise UnknownNameError(f"kind: unknown name {kind!r}; valid names are {', '.join(KINDS)}")
    if not (np.isfinite(noise_level) and noise_level >= 0):
        raise ParameterError(f"noise_level: expected a finite number >= 0, got {noise_level!r}")
    classes = targets_of(model, x, target, batch_size, backend)
    axes = tuple(range(1, x.ndim))
    # >>> exercise project.4: sigma = noise level x (max x - min x), per row
    sigma = (noise_level * (x.max(axis=axes, keepdims=True) - x.min(axis=axes, keepdims=True))).astype(x.dtype)
    # <<< exercise project.4
    noise = np.random.default_rng(seed).standard_normal((n, *x.shape[1:])).astype(x.dtype)

    def noisy_copy(k, rows):
        # >>> exercise project.4: the k-th noisy copy of the rows: x + sigma * noise[k]
        return x[rows] + sigma[rows] * noise[k]
        # <<< exercise project.4

    mean, mean_sq = sum_gradients(model, x, classes, noisy_copy, np.full(n, 1 / n), squares=kind != "smoothgrad",
                                  batch_size=batch_size, rule=rule, backend=backend)
    if kind == "smoothgrad":
        return x * mean if times_input else mean
    # The variance is E[g^2] - E[g]^2; rounding can leave it a hair below zero.
    result = mean_sq if kind == "smoothgrad_sq" else np.maximum(mean_sq - mean * mean, 0)
    return x * x * result if times_input else result
