"""Guided Grad-CAM: guided backprop's fine detail, kept where Grad-CAM points.

Selvaraju, Cogswell, Das, Vedantam, Parikh & Batra 2017, "Grad-CAM: visual explanations from
deep networks via gradient-based localization", https://arxiv.org/abs/1610.02391 ("Guided Grad-CAM").
Seed 004_2a6fa647e63a0a0a.txt, sections "GradCAM" and "Guided Backpropagation"; seed
000_8bf5a89bed1f51bd.txt, slide "Grad-CAM":

    R^c = R_guided^c(x) * upsample( ReLU( sum_k alpha_k^c A^k ) )

Grad-CAM is class-discriminative but coarse (one value per position of the conv layer); guided
backprop is sharp but barely depends on the class. Their pointwise product is both. The Grad-CAM
map is upsampled to x's size (linear / bilinear, half-pixel centres; Captum's ``GuidedGradCam``
defaults to nearest-neighbour, with ``interpolate_mode="bilinear"`` it agrees with this one) and
broadcast over x's channels, so the result has x's shape (N, C, ...), signed like guided backprop.
Run by lessons/19_guided_gradcam.py.
"""
from __future__ import annotations

import numpy as np

from .common import check_input
from .gradcam import gradcam
from .guided_backprop import guided_backprop


def guided_gradcam(model, x, target=None, *, layer: str | None = None, batch_size: int | None = None,
                   backend=None) -> np.ndarray:
    """guided_backprop(x) * upsampled gradcam(x) at conv layer ``layer``: x's shape (N, C, ...)."""
    x = check_input(model, x)
    cam = gradcam(model, x, target, layer=layer, batch_size=batch_size, backend=backend)
    guided = guided_backprop(model, x, target, backend=backend,
                             **({} if batch_size is None else {"batch_size": batch_size}))
    return guided * cam
