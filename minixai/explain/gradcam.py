"""Grad-CAM: feature maps weighted by their spatially averaged gradients.

Selvaraju, Cogswell, Das, Vedantam, Parikh & Batra 2017, "Grad-CAM: visual explanations from
deep networks via gradient-based localization", https://arxiv.org/abs/1610.02391.
Seed 000_8bf5a89bed1f51bd.txt, slide "Grad-CAM"; seed 002, the step-by-step slides; seed 003,
"Grad-CAM as a generalisation of CAM":

    alpha_k^c = (1/Z) sum_i dy_c / dA_i^k         (eq. 1: global-average-pooled gradients)
    L^c       = ReLU( sum_k alpha_k^c A^k )        (eq. 2)

A^k are the (rectified) feature maps of a conv layer, Z their number of positions. For a
conv -> GAP -> dense head, dy_c/dA_i^k = w_k^c / Z at every position, so before the ReLU Grad-CAM
is CAM / Z exactly (tested). The ReLU keeps what raises the score.
Run by lessons/12_gradcam.py.
"""
from __future__ import annotations

import numpy as np

from ._cam import feature_maps, finish, spatial_mean, weighted_sum


def gradcam(model, x, target=None, *, layer: str | None = None, relu: bool = True, upsample: bool = True,
            batch_size: int | None = None, backend=None) -> np.ndarray:
    """ReLU(sum_k alpha_k A^k) at conv layer ``layer`` (default the last): (N, 1, *x's spatial size).

    relu=False keeps the signed map; upsample=False returns it at the layer's resolution.
    """
    A, G, _, _ = feature_maps(model, x, target, layer=layer, batch_size=batch_size, backend=backend)
    # >>> exercise cam.2: alpha (N, K) = the gradient dy_c/dA^k averaged over the Z positions (eq. 1)
    alpha = spatial_mean(G)                                        # eq. 1
    # <<< exercise cam.2
    return finish(weighted_sum(alpha, A), np.asarray(x), relu=relu, upsample_to_input=upsample)  # eq. 2
