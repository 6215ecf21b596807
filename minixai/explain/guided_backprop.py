"""Guided backprop: the gradient, with every ReLU also blocking negative signal from above.

Springenberg, Dosovitskiy, Brox & Riedmiller 2015, "Striving for simplicity: the all
convolutional net", https://arxiv.org/abs/1412.6806. Beside the table "Layer | Forward pass |
DeconvNet | Back-prop w.r.t. input" of seed 003_9e1ffa84955ffc85.txt and the "Guided
Backpropagation" section of seed 004_2a6fa647e63a0a0a.txt: at each ReLU the signal passes only
where back-prop would pass it (X_n > 0) and DeconvNet would pass it (R_{n+1} > 0),

    R_n = R_{n+1} * 1(X_n > 0) * 1(R_{n+1} > 0)

The rule is ``minixai.rules.guided``. Maps are sharp and mostly positive, but much of their
detail is the input's edges rather than the class (Adebayo et al. 2018, "Sanity checks for
saliency maps", https://arxiv.org/abs/1810.03292); lesson 08_guided_backprop.py puts guided
backprop, DeconvNet and the gradient side by side. The result is the signed signal at the input.
"""
from __future__ import annotations

import numpy as np

from ..rules.guided import guided
from .common import check_input, input_signal


def guided_backprop(model, x, target=None, *, batch_size: int = 256, backend=None) -> np.ndarray:
    """R_0: the guided-backprop signal of one-hot(target) at the input, x's shape (N, C, ...)."""
    x = check_input(model, x)
    signal, _ = input_signal(model, x, target, rule=guided, batch_size=batch_size, backend=backend)
    return signal
