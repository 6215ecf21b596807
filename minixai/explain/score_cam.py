"""Score-CAM: weight each feature map by the score of the input seen through that map.

Wang, Wang, Du, Yang, Zhang, Ding, Mardziel & Hu 2020, "Score-CAM: score-weighted visual
explanations for convolutional neural networks", CVPR workshops, https://arxiv.org/abs/1910.01279.
Seed 001_c2222baa81a6d9bd.txt, slide "Class activation maps", "3) Autres méthodes: Score CAM":

    M^k   = s( Up(A^k) )                   Up: to x's size; s: min-max to [0, 1] (constant -> 0)
    s_k   = y_c(x * M^k) - y_c(x_b)        (1) the paper's "increase of confidence", x_b = 0
    alpha = softmax_k( s_k )               (2) weights over the K maps; they sum to 1
    L^c   = ReLU( sum_k alpha_k A^k )      (3)

No gradients: one forward pass per feature map and row, the masked inputs run in bounded
batches. A constant map (a channel the ReLU silenced everywhere) gives the zero mask, and
x * 0 = 0 is the baseline input itself: its score is y_c(x_b), so those maps cost no pass of
their own (55 to 98 of the VGG-7's 128 last-layer maps on textures8 test images; pytorch-grad-cam
runs them all). The baseline score y_c(x_b) is the same for every k, and a softmax does not change
when one number is added to all its inputs, so ``baseline_score`` matters only with
``softmax=False`` (weights = the raw increases of confidence, as the paper's algorithm writes them).
pytorch-grad-cam takes the softmax of the raw scores y_c(x * M^k); with the softmax both agree.
Run by lessons/16_score_cam.py.
"""
from __future__ import annotations

import numpy as np

from ..nn import softmax as softmax_of
from ._cam import feature_maps, finish, upsample as upsample_maps, weighted_sum
from ._variants import resolve_batch_size, scores_over_variants


def masks(A: np.ndarray, size: tuple) -> np.ndarray:
    """M = s(Up(A)): (N, K, *S) -> (N, K, *size), each map upsampled then min-max scaled to [0, 1]."""
    up = upsample_maps(A.reshape(-1, *A.shape[2:]), size).reshape(*A.shape[:2], *size)
    low = up.min(axis=tuple(range(2, up.ndim)), keepdims=True)
    span = up.max(axis=tuple(range(2, up.ndim)), keepdims=True) - low
    return np.where(span > 0, (up - low) / np.where(span > 0, span, 1), 0).astype(A.dtype, copy=False)


def constant_maps(A: np.ndarray, size: tuple) -> np.ndarray:
    """(N, K) booleans: maps whose upsampled version is constant, so ``masks`` makes them zero."""
    constant = np.empty(A.shape[:2], dtype=bool)
    for i in range(len(A)):  # one row at a time: the upsampled maps of a whole batch can be large
        up = upsample_maps(A[i], size).reshape(A.shape[1], -1)
        constant[i] = up.max(axis=1) == up.min(axis=1)
    return constant


def score_cam(model, x, target=None, *, layer: str | None = None, softmax: bool = True,
              baseline_score: bool = True, relu: bool = True, upsample: bool = True, return_weights: bool = False,
              batch_size: int | None = None, backend=None):
    """ReLU(sum_k alpha_k A^k), alpha = softmax_k(y_c(x * M^k) - y_c(0)), at conv layer ``layer``.

    Returns the maps (N, 1, *x's spatial size), and with ``return_weights`` also alpha (N, K).
    ``batch_size`` bounds the masked inputs run at once (default: about 2**16 values).
    """
    A, _, _, target = feature_maps(model, x, target, layer=layer, gradients=False, batch_size=batch_size,
                                   backend=backend)
    x = np.asarray(x, dtype=A.dtype)
    baseline = model.forward(np.zeros_like(x[:1]), backend=backend)[0, target]    # y_c(x_b), x_b = 0
    row, k = np.nonzero(~constant_maps(A, x.shape[2:]))         # the (row, map) pairs with a mask

    def masked(_, part):
        return x[row[part]] * masks(A[row[part], k[part]][:, None], x.shape[2:])

    s = np.repeat(baseline[:, None], A.shape[1], axis=1)           # (N, K): y_c(x * M^k), M^k = 0 ...
    if len(row):                                                   # ... unless map k of the row varies
        scores = scores_over_variants(model, np.empty((len(row), 0), x.dtype), masked, 1,
                                      batch_size=resolve_batch_size(x, batch_size), backend=backend)[0]
        s[row, k] = scores[np.arange(len(row)), target[row]]
    if baseline_score:
        s = s - baseline[:, None]                                  # (1)
    weights = softmax_of(s) if softmax else s              # (2)
    maps = finish(weighted_sum(weights, A), x, relu=relu, upsample_to_input=upsample)    # (3)
    return (maps, weights) if return_weights else maps
