"""XGrad-CAM: gradients averaged with the feature map's own values as weights.

Fu, Hu, Dong, Zhao, Wang & Ma 2020, "Axiom-based Grad-CAM: towards accurate visualization and
explanation of CNNs", BMVC, https://arxiv.org/abs/2008.02312:

    w_k^c = sum_i ( A_i^k / sum_j A_j^k ) dy_c / dA_i^k     (weights)
    L^c   = ReLU( sum_k w_k^c A^k )                         (map)

The paper derives the weights from two axioms: sensitivity (removing a map changes the score by
its contribution) and conservation (the map sums to the score), which hold exactly when y_c is
linear and homogeneous in A. Grad-CAM averages the gradient uniformly; XGrad-CAM averages it
where the map is active. A map that is zero everywhere has no average: its weight is 0 (it adds
nothing to the sum anyway). For conv -> GAP -> dense the gradient is w_k^c / Z at every position,
so the weights, and the map, equal Grad-CAM's (tested). Run by lessons/21_xgradcam.py.
"""
from __future__ import annotations

import numpy as np

from ._cam import feature_maps, finish, weighted_sum


def xgradcam(model, x, target=None, *, layer: str | None = None, relu: bool = True, upsample: bool = True,
             batch_size: int | None = None, backend=None) -> np.ndarray:
    """ReLU(sum_k w_k A^k), w_k the A^k-weighted mean of dy_c/dA^k: (N, 1, *x's spatial size).

    relu=False keeps the signed map; upsample=False returns it at the layer's resolution.
    """
    A, G, _, _ = feature_maps(model, x, target, layer=layer, batch_size=batch_size, backend=backend)
    A_flat, G_flat = A.reshape(A.shape[0], A.shape[1], -1), G.reshape(G.shape[0], G.shape[1], -1)
    total = A_flat.sum(axis=2)
    safe = np.where(total == 0, 1, total)
    w = np.where(total == 0, 0, (A_flat * G_flat).sum(axis=2) / safe)   # weights
    return finish(weighted_sum(w, A), np.asarray(x), relu=relu, upsample_to_input=upsample)  # map
