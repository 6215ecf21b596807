"""Vanilla gradient saliency: how much a small change of each input moves the class score.

Simonyan, Vedaldi & Zisserman 2013, "Deep inside convolutional networks: visualising image
classification models and saliency maps", https://arxiv.org/abs/1312.6034. Seed
003_9e1ffa84955ffc85.txt, slides on image-specific class saliency: near an input I0 the class
score is linear, S_c(I) ~ w^T I + b with w = dS_c/dI at I0, and |w| is the saliency map.

    M = |d y_c / d x|            (signed=True keeps the sign of the gradient)
    M_ij = max_channels |w|      (channel_max=True, the paper's map for colour images)
"""
from __future__ import annotations

import numpy as np

from .common import check_input, input_signal


def saliency(model, x, target=None, *, signed: bool = False, channel_max: bool = False,
             batch_size: int = 256, backend=None) -> np.ndarray:
    """|d y_target / d x|, x's shape (N, C, ...); channel_max -> (N, 1, ...), the max over channels."""
    x = check_input(model, x)
    gradient, _ = input_signal(model, x, target, batch_size=batch_size, backend=backend)
    saliency_map = gradient if signed else np.abs(gradient)
    if channel_max:
        # With signed=True this keeps the signed gradient of largest magnitude in each position.
        pick = np.abs(saliency_map).argmax(axis=1)[:, None]
        saliency_map = np.take_along_axis(saliency_map, pick, axis=1)
    return saliency_map
