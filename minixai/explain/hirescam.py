"""HiResCAM: each feature map multiplied by its own gradient, position by position.

Draelos & Carin 2020, "Use HiResCAM instead of Grad-CAM for faithful explanations of
convolutional neural networks", https://arxiv.org/abs/2011.08891. Seed 004_2a6fa647e63a0a0a.txt,
section "GradCAM" (HiResCAM's critique: Grad-CAM sometimes highlights regions the model did not
use):

    L^c = ReLU( sum_k dy_c/dA^k ⊙ A^k )          (⊙: elementwise, no spatial averaging)

Grad-CAM first averages dy_c/dA^k over the positions (alpha_k), so a position where the gradient
is zero still lights up when its activations are large. HiResCAM keeps the gradient where it is.
Before its ReLU the map sums to sum_i G_i A_i, which is y_c - b_c when the layers above A are
piecewise linear and positively homogeneous (max-pool, GAP, dense: both shipped models); for
conv -> GAP -> dense it equals CAM / Z and Grad-CAM (tested). Run by lessons/14_hirescam.py.
"""
from __future__ import annotations

import numpy as np

from ._cam import feature_maps, finish, weighted_sum


def hirescam(model, x, target=None, *, layer: str | None = None, relu: bool = True, upsample: bool = True,
             batch_size: int | None = None, backend=None) -> np.ndarray:
    """ReLU(sum_k G^k ⊙ A^k) at conv layer ``layer`` (default the last): (N, 1, *x's spatial size).

    relu=False keeps the signed map; upsample=False returns it at the layer's resolution.
    """
    A, G, _, _ = feature_maps(model, x, target, layer=layer, batch_size=batch_size, backend=backend)
    return finish(weighted_sum(G, A), np.asarray(x), relu=relu, upsample_to_input=upsample)  # L^c
