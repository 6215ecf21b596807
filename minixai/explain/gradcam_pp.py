"""Grad-CAM++: each position's positive gradient gets its own weight alpha before the sum.

Chattopadhyay, Sarkar, Howlader & Balasubramanian 2018, "Grad-CAM++: generalized gradient-based
visual explanations for deep convolutional networks", https://arxiv.org/abs/1710.11063.
Seed 001_c2222baa81a6d9bd.txt, slide "GradCAM et GradCAM++":

    w_k^c = sum_ij alpha_ij^kc ReLU(dY^c / dA_ij^k)                                        (eq. 7)
    alpha_ij^kc = d2Y^c/dA_ij^2 / (2 d2Y^c/dA_ij^2 + sum_ab A_ab^k d3Y^c/dA_ij^3)          (eq. 10)

The paper takes Y^c = exp(y_c). Above A the network is piecewise linear, so d2y_c/dA^2 = 0 and,
with g = dy_c/dA_ij^k, dY/dA = Y g, d2Y/dA^2 = Y g^2, d3Y/dA^3 = Y g^3. Y cancels in alpha:

    alpha_ij^kc = g^2 / (2 g^2 + g^3 sum_ab A_ab^k)                                         (eq. 19)

so one backward pass gives everything. Where the denominator g^2 (2 + g sum_ab A_ab^k) is 0,
alpha is set to 0: where g = 0 (the 0/0 case, and ReLU(g) = 0 there anyway) or, for maps not
rectified, where g sum A = -2. For rectified maps and g > 0 it is at least 2 g^2.

The factor exp(y_c) that dY/dA = exp(y_c) g carries into eq. 7 is dropped, as pytorch-grad-cam
does: it multiplies all of a row's weights by one positive number, so it rescales the map without
changing its shape, and in float32 it overflows for y_c > 88. The map returned is the paper's
divided by exp(y_c). For a GAP -> dense head g = W_ck / Z everywhere, so
w_k = ReLU(W_ck) / (2 + W_ck mean(A^k)) (tested): unlike Grad-CAM, a map whose class weight is
negative gets no weight at all.
Run by lessons/13_gradcam_pp.py.
"""
from __future__ import annotations

import numpy as np

from ._cam import feature_maps, finish, weighted_sum
from .common import check_input


def gradcam_pp(model, x, target=None, *, layer: str | None = None, upsample: bool = True,
               batch_size: int | None = None, backend=None) -> np.ndarray:
    """ReLU(sum_k w_k A^k) with Grad-CAM++'s weights w_k (eqs. 7, 19): (N, 1, *x's spatial size).

    upsample=False returns the map at the layer's resolution.
    """
    x = check_input(model, x)
    A, g, _, _ = feature_maps(model, x, target, layer=layer, batch_size=batch_size, backend=backend)
    # >>> exercise cam.3: alpha = g^2 / (2 g^2 + g^3 sum_ab A_ab) (0 where that is 0); w_k = sum_ij alpha ReLU(g)
    positions = tuple(range(2, A.ndim))
    total = A.sum(axis=positions, keepdims=True)
    g2 = g * g                              # products: float32 g ** 3 is about 10x slower
    denominator = g2 * (2 + total * g)      # eq. 19's 2 g^2 + g^3 sum_ab A_ab, factored
    alpha = np.divide(g2, denominator, out=np.zeros_like(g), where=denominator != 0)   # eq. 19
    w = (alpha * np.maximum(g, 0)).sum(axis=positions)                                 # eq. 7, without exp(y_c)
    # <<< exercise cam.3
    return finish(weighted_sum(w, A), x, upsample_to_input=upsample)
