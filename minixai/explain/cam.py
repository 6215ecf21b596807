"""CAM: the feature maps weighted by the dense layer's row for the class, no gradient needed.

Zhou, Khosla, Lapedriza, Oliva & Torralba 2016, "Learning deep features for discriminative
localization", https://arxiv.org/abs/1512.04150. Seed 000_8bf5a89bed1f51bd.txt, slide
"CAM-based methods" (Methodology); seed 003_9e1ffa84955ffc85.txt, slide "Class Activation
Mapping (CAM)":

    y_c   = sum_k w_k^c (1/Z) sum_i A_i^k + b_c           (the head: GAP, then dense)
    M_c   = sum_k w_k^c A^k                                (CAM, one value per position i)
    so      sum_i M_c(i) = Z (y_c - b_c)

CAM only exists for a head that is exactly GAP -> dense after the chosen conv layer (a Flatten
between them changes nothing). Any other head (a max-pool or a second conv before the GAP, more
dense layers after it) raises NotApplicableError: use gradcam, which equals CAM / Z on such heads
and generalises it to the others (seed 003, "Grad-CAM is a generalization of CAM"). The bias
b_c is one number for the whole map, so CAM leaves it out. Run by lessons/11_cam.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import NotApplicableError
from ..nn import Dense, Flatten, GlobalAvgPool
from ._cam import feature_maps, finish, resolve_layer, weighted_sum


def cam_weights(model, layer: str | None = None) -> np.ndarray:
    """W (classes, K): the dense layer after GAP whose row c weighs A^k; NotApplicableError otherwise."""
    captured = resolve_layer(model, layer)
    names = model.names[model.names.index(captured) + 1:]
    kinds = [type(model.layers[name]) for name in names]
    if kinds not in ([GlobalAvgPool, Dense], [GlobalAvgPool, Flatten, Dense]):
        head = " -> ".join(f"{name} ({kind.__name__})" for name, kind in zip(names, kinds))
        raise NotApplicableError(
            f"layer: CAM needs the feature maps ({captured!r}) to be followed by exactly GlobalAvgPool -> Dense "
            f"(the logits); this model has {captured} -> {head}. Grad-CAM (gradcam) needs no such head")
    return model.layers[names[-1]].weight


def cam(model, x, target=None, *, layer: str | None = None, relu: bool = True, upsample: bool = True,
        batch_size: int | None = None, backend=None) -> np.ndarray:
    """ReLU(sum_k w_k^c A^k) at conv layer ``layer`` (default the last): (N, 1, *x's spatial size).

    relu=False keeps the signed map of the paper (whose sum over positions is Z (y_c - b_c));
    upsample=False returns it at the layer's resolution. Needs conv [-> ReLU] -> GAP -> dense.
    """
    W = cam_weights(model, layer)
    A, _, _, target = feature_maps(model, x, target, layer=layer, gradients=False, batch_size=batch_size,
                                   backend=backend)
    # >>> exercise cam.1: w (N, K) = for each row, the dense layer's weights of that row's target class
    w = W.astype(A.dtype, copy=False)[target]                     # row c of the dense layer, (N, K)
    # <<< exercise cam.1
    return finish(weighted_sum(w, A), np.asarray(x), relu=relu, upsample_to_input=upsample)  # M_c
