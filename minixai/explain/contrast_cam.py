"""Contrast-CAM: "why P, rather than Q?", Grad-CAM of the loss of labelling the input Q.

Prabhushankar, Kwon, Temel & AlRegib 2020, "Contrastive explanations in neural networks", ICIP,
https://arxiv.org/abs/2008.00178; AlRegib & Prabhushankar 2022, "Explanatory paradigms in neural
networks", https://arxiv.org/abs/2202.11838. Seed 002_01d9d3509b4c14f7.txt, slide "ContrastCAM:
Why P, rather than Q?" ("backward pass the loss between predicted class P and some contrast class
Q to last conv layer"), and the lighthouse slides "Contrastive IQA elicits the fine-grained
decisions made by the network":

    J(P, Q)   = -log softmax(y)_Q                 (cross-entropy with Q as the label)
    dJ/dy     = softmax(y) - onehot(Q)            (the signal sent back from the logits)
    alpha_k   = (1/Z) sum_i dJ / dA_i^k
    L^{P,Q}   = ReLU( sum_k alpha_k A^k )

J is the paper's loss (its code uses PyTorch's cross-entropy with Q as the label). Raising J means
moving away from Q, so the map shows the features that make the network answer P rather than Q.
Grad-CAM is linear in the signal, so before the ReLU the map is sum_c p_c gradcam_c - gradcam_Q
(tested); with two classes it is p_P (gradcam_P - gradcam_Q).

P enters only through the prediction the loss is computed at, so ``target`` only matters for the
default contrast: ``contrast=None`` picks, per row, the highest-scoring class other than the
target (with target None: the runner-up, the second most likely class). That is the default the
command line uses (``minixai explain --method contrast_cam``). Run by lessons/18_contrast_cam.py.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from ..errors import NotApplicableError, ParameterError, ShapeError
from ..nn import softmax
from ._cam import feature_maps, finish, spatial_mean, weighted_sum
from ._variants import resolve_batch_size
from .common import _rows, check_input, one_hot


def runner_up(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per row, the class with the highest logit other than ``target``."""
    others = logits.astype(np.float64, copy=True)
    others[np.arange(len(logits)), target] = -np.inf
    return others.argmax(axis=1)


def contrast_seed(logits: np.ndarray, target: np.ndarray, contrast: np.ndarray | None = None) -> np.ndarray:
    """dJ/dlogits = softmax(y) - onehot(Q) for J = cross-entropy with Q as the label."""
    q = runner_up(logits, target) if contrast is None else contrast
    # >>> exercise cam.4: the gradient of the cross-entropy with Q as the label, w.r.t. the logits
    return softmax(logits) - one_hot(q, logits.shape[1], logits.dtype)
    # <<< exercise cam.4


def contrast_classes(contrast, n: int, k: int) -> np.ndarray | None:
    """``contrast`` as one class per row, checked: None, an int for all rows, or n ints."""
    if k < 2:
        raise NotApplicableError(f"contrast: Contrast-CAM needs at least two classes, the model has {k}")
    if contrast is None:
        return None
    q = np.asarray(contrast)
    if not np.issubdtype(q.dtype, np.integer):
        raise ParameterError(f"contrast: expected class indices (integers), got {contrast!r}")
    q = np.broadcast_to(q, (n,)) if q.ndim == 0 else q
    if q.shape != (n,):
        raise ShapeError(f"contrast: expected one class or {n} classes (one per row), got shape {q.shape}")
    if q.min() < 0 or q.max() >= k:
        raise ParameterError(f"contrast: expected classes in [0, {k}), got range [{q.min()}, {q.max()}]")
    return q.astype(np.int64)


def contrast_cam(model, x, target=None, *, contrast=None, layer: str | None = None, upsample: bool = True,
                 batch_size: int | None = None, backend=None) -> np.ndarray:
    """ReLU(sum_k alpha_k A^k), alpha_k the mean of dJ(P, Q)/dA^k: (N, 1, *x's spatial size).

    contrast: Q, one class or one per row; None = the best-scoring class other than the target.
    upsample=False returns the map at the layer's resolution.
    """
    x = check_input(model, x)
    q = contrast_classes(contrast, len(x), model.output_shape(x.shape)[1])
    batch_size = resolve_batch_size(x, batch_size)
    maps = []
    for i in range(0, len(x), batch_size):
        rows = slice(i, i + batch_size)
        seed = partial(contrast_seed, contrast=None if q is None else q[rows])
        A, G, _, _ = feature_maps(model, x[rows], None if target is None else _rows(target, len(x), i, batch_size),
                                  layer=layer, seed=seed, batch_size=batch_size, backend=backend)
        maps.append(finish(weighted_sum(spatial_mean(G), A), x[rows], upsample_to_input=upsample))
    return np.concatenate(maps)
