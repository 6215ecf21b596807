"""Counterfactual-CAM: Grad-CAM with the gradients negated, "what if this region were absent?".

AlRegib & Prabhushankar 2022, "Explanatory paradigms in neural networks: towards relevant and
contextual explanations", IEEE Signal Processing Magazine 39(4), https://arxiv.org/abs/2202.11838,
after the counterfactual explanations of Selvaraju et al. 2017, "Grad-CAM",
https://arxiv.org/abs/1610.02391. Seed 002_01d9d3509b4c14f7.txt, slide "CounterfactualCAM: What
if this region were absent in the image?":

    alpha_k^c = (1/Z) sum_i -dy_c / dA_i^k        (global-average-pooled negative gradients)
    L^c       = ReLU( sum_k alpha_k^c A^k )

Backpropagating -y_c instead of y_c flips every gradient, so before the ReLU the map is minus
Grad-CAM's and after it the map keeps what Grad-CAM's ReLU throws away: the regions whose
features lower the score, those that, removed, would make the network surer of class c (tested:
``counterfactual_cam == ReLU(-gradcam(relu=False))`` exactly). Run by
lessons/17_counterfactual_cam.py.
"""
from __future__ import annotations

import numpy as np

from ._cam import feature_maps, finish, score_seed, spatial_mean, weighted_sum
from .common import check_input


def negative_score_seed(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """dS/dlogits for S = -y_target: minus the one-hot signal."""
    return -score_seed(logits, target)


def counterfactual_cam(model, x, target=None, *, layer: str | None = None, upsample: bool = True,
                       batch_size: int | None = None, backend=None) -> np.ndarray:
    """ReLU(sum_k alpha_k A^k) with alpha_k the mean of -dy_c/dA^k: (N, 1, *x's spatial size).

    upsample=False returns the map at the layer's resolution.
    """
    x = check_input(model, x)
    A, G, _, _ = feature_maps(model, x, target, layer=layer, seed=negative_score_seed,
                              batch_size=batch_size, backend=backend)
    alpha = spatial_mean(G)
    return finish(weighted_sum(alpha, A), x, upsample_to_input=upsample)
