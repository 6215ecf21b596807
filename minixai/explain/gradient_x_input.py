"""Gradient x Input: the gradient weighted by the input, a first-order share of the score.

Shrikumar, Greenside, Shcherbina & Kundaje 2016, "Not just a black box: learning important
features through propagating activation differences", https://arxiv.org/abs/1605.01713.
Seed 000_8bf5a89bed1f51bd.txt, slide "Backpropagation-based approaches: Gradient ⊙ Input":

    R = x ⊙ d y_c / d x                     (the slide's grad_x F(x) ⊙ x)

Unlike the saliency map it is signed and vanishes where the input is zero. For a network made
of linear layers and ReLUs without biases, y_c is positively homogeneous, so sum_i R_i = y_c
exactly (Euler); with biases the sum misses their share. Compare Integrated Gradients, which
averages the gradient along a path instead of taking it at x alone.
Run by lessons/04_gradient_x_input.py.
"""
from __future__ import annotations

import numpy as np

from .common import check_input, input_signal


def gradient_x_input(model, x, target=None, *, batch_size: int = 256, backend=None) -> np.ndarray:
    """R = x * d y_target / d x, x's shape (N, C, ...)."""
    x = check_input(model, x)
    gradient, _ = input_signal(model, x, target, batch_size=batch_size, backend=backend)
    return x * gradient
