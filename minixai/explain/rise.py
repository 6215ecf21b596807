"""RISE: the average of random smooth masks, each weighted by the score of the input it lets through.

Petsiuk, Das & Saenko 2018, "RISE: randomized input sampling for explanation of black-box
models", BMVC, https://arxiv.org/abs/1806.07421. Seed 000_8bf5a89bed1f51bd.txt, slides
"Perturbation-based methods: RISE"; seed 004_2a6fa647e63a0a0a.txt, "RISE - Randomized Image
Sampling for Explanations":

    S_c(lambda) = 1 / (N p) sum_i f_c(x * M_i) M_i(lambda)        (eq. 6: Monte Carlo estimate of
                                                                   E[f_c(x * M) | M(lambda) = 1])
    M_i = crop( Up( g_i ) ),  g_i: s x s grid of Bernoulli(p) cells (s cells in 1-D)

Up is bilinear (linear in 1-D) interpolation from s to (s + 1) C cells of C = ceil(size / s)
pixels, crop a window of x's size at a random shift in [0, C) per axis: smooth masks whose
edges land anywhere, not only on the grid. f_c is the class probability (softmax of the model's
outputs), as in the paper; ``probability=False`` weights by the raw outputs (the logits of a
minixai model, or whatever a callable returns: pass probabilities that way). Defaults: N = 4000,
p = 0.5, s = 7 in 2-D (the paper's ImageNet setting) and s = 8 in 1-D (cells of 5 samples on
MNIST-1D's 40, about the width of a template stroke). Only a predict function is needed: a
callable works as well as a minixai model. Run by lessons/25_rise.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..nn import softmax
from ..nn.layer import positive_int
from ._cam import upsample
from ._predict import as_predict, check_x, scores_and_target
from ._variants import BATCH_VALUES

# Masks per chunk. Fixed (independent of N and batch_size), so the sum over masks is added in
# the same order however the rows and batches are cut: the result does not depend on them.
MASK_CHUNK = 256
DEFAULT_CELLS = {1: 8, 2: 7}


def grid_cells(cells, spatial: tuple) -> tuple:
    """s per spatial axis: None -> 8 (1-D) or 7 (2-D); an int -> the same on every axis."""
    if cells is None:
        cells = DEFAULT_CELLS.get(len(spatial), 7)
    cells = (cells,) * len(spatial) if np.ndim(cells) == 0 else tuple(cells)
    if len(cells) != len(spatial):
        raise ParameterError(f"cells: expected one int or {len(spatial)} ints (one per spatial axis), got {cells!r}")
    return tuple(positive_int(s, "cells") for s in cells)


def draw_masks(n: int, cells: tuple, spatial: tuple, p: float, seed=None) -> tuple:
    """(grids (n, *cells) of 0/1, shifts (n, d)): everything random about n RISE masks, drawn up front."""
    rng = np.random.default_rng(seed)
    grids = (rng.random((n, *cells)) < p).astype(np.float64)
    cell_size = [-(-size // s) for size, s in zip(spatial, cells)]
    shifts = np.stack([rng.integers(0, c, size=n) for c in cell_size], axis=1)
    return grids, shifts


def masks_of(grids: np.ndarray, shifts: np.ndarray, spatial: tuple) -> np.ndarray:
    """M_i = crop(Up(g_i)): grids (m, *cells) -> masks (m, *spatial), values in [0, 1]."""
    cells = grids.shape[1:]
    up_size = tuple((s + 1) * -(-size // s) for size, s in zip(spatial, cells))
    up = upsample(grids, up_size)
    return np.stack([u[tuple(slice(t, t + size) for t, size in zip(shift, spatial))]
                     for u, shift in zip(up, shifts)])


def rise(model, x, target=None, *, n: int = 4000, cells=None, p: float = 0.5, probability: bool = True,
         seed=None, batch_size: int | None = None, backend=None) -> np.ndarray:
    """1/(N p) sum_i f_c(x * M_i) M_i over n random masks: (N, 1, *x's spatial size).

    model: a minixai model or any ``predict(x_batch) -> scores (n, K)``. cells: s, the grid size
    (an int or one per axis; default 8 in 1-D, 7 in 2-D). p: the probability that a cell is kept.
    Every row sees the same n masks (drawn from ``seed``); ``batch_size`` bounds the inputs per
    model call and does not change the result.
    """
    x = check_x(model, x)
    n = positive_int(n, "n")
    if not 0 < p <= 1:
        raise ParameterError(f"p: expected a keep probability in (0, 1], got {p!r}")
    predict = as_predict(model, batch_size, backend)
    _, target = scores_and_target(predict, x, target)
    spatial = x.shape[2:]
    grids, shifts = draw_masks(n, grid_cells(cells, spatial), spatial, p, seed)
    values = int(np.prod(x.shape[1:]))
    saliency = np.zeros((len(x), int(np.prod(spatial))))
    for start in range(0, n, MASK_CHUNK):
        M = masks_of(grids[start:start + MASK_CHUNK], shifts[start:start + MASK_CHUNK], spatial).astype(x.dtype)
        group = max(1, 4 * BATCH_VALUES // (len(M) * values))  # rows per step: keeps the masked inputs small
        for r in range(0, len(x), group):
            rows = slice(r, r + group)
            masked = x[None, rows] * M[:, None, None]                   # (m, rows, C, *spatial): x * M_i
            out = predict(masked.reshape(-1, *x.shape[1:]))
            out = (softmax(out) if probability else out).reshape(*masked.shape[:2], -1)
            # >>> exercise perturbation.3: add each mask M_i weighted by its score f_c(x * M_i) to the rows' sums
            score = out[:, np.arange(out.shape[1]), target[rows]]      # f_c(x * M_i), (m, rows)
            saliency[rows] += (score[:, :, None] * M.reshape(len(M), 1, -1)).sum(axis=0)
            # <<< exercise perturbation.3
    # >>> exercise perturbation.3: divide the sum by N p (eq. 6)
    return (saliency / (n * p)).reshape(len(x), 1, *spatial).astype(x.dtype)      # eq. 6
    # <<< exercise perturbation.3
