"""LayerCAM: each feature map multiplied by the positive part of its gradient, position by position.

Jiang, Zhang, Hou, Cheng & Wei 2021, "LayerCAM: exploring hierarchical class activation maps for
localization", IEEE TIP 30, https://doi.org/10.1109/TIP.2021.3089943:

    w_ij^kc = ReLU( dy_c / dA_ij^k )                     (weights: one per position)
    L^c     = ReLU( sum_k w^kc ⊙ A^k )                   (map)

Like HiResCAM (no spatial averaging), but a negative gradient is dropped rather than subtracted:
where every gradient is positive the two maps are equal (tested). Keeping the weights per
position is what lets LayerCAM read shallow layers too, whose maps Grad-CAM's averaging blurs;
the lesson compares the layers of the shipped models. Run by lessons/20_layercam.py.
"""
from __future__ import annotations

import numpy as np

from ._cam import feature_maps, finish, weighted_sum


def layercam(model, x, target=None, *, layer: str | None = None, relu: bool = True, upsample: bool = True,
             batch_size: int | None = None, backend=None) -> np.ndarray:
    """ReLU(sum_k ReLU(G^k) ⊙ A^k) at conv layer ``layer`` (default the last): (N, 1, *x's spatial size).

    relu=False skips the outer ReLU (the map can only be negative where A is, a conv without a
    ReLU after it); upsample=False returns it at the layer's resolution.
    """
    A, G, _, _ = feature_maps(model, x, target, layer=layer, batch_size=batch_size, backend=backend)
    w = np.maximum(G, 0)                                                   # weights
    return finish(weighted_sum(w, A), np.asarray(x), relu=relu, upsample_to_input=upsample)  # map
