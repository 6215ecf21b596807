"""Sensitivity analysis: how strongly the class score reacts to a small change of each input.

Baehrens, Schroeter, Harmeling, Kawanabe, Hansen & Mueller 2010, "How to explain individual
classification decisions", JMLR 11, https://jmlr.org/papers/v11/baehrens10a.html. Seed
003_9e1ffa84955ffc85.txt, section "01 Sensitivity Analysis": SA measures the local variation of
f along each input dimension,

    R_i = (d y_c / d x_i)^2        sum_i R_i = ||grad_x y_c||^2

The squared gradient says which inputs the score is *sensitive* to, not whether they raised or
lowered it: the sign is gone, and a large R_i on a zero input still counts. It is the square of
the vanilla saliency map (``saliency``), so both rank positions identically.
Run by lessons/03_sensitivity.py.
"""
from __future__ import annotations

import numpy as np

from .common import check_input, input_signal


def sensitivity(model, x, target=None, *, batch_size: int = 256, backend=None) -> np.ndarray:
    """R = (d y_target / d x)^2, x's shape (N, C, ...)."""
    x = check_input(model, x)
    gradient, _ = input_signal(model, x, target, batch_size=batch_size, backend=backend)
    return gradient ** 2
