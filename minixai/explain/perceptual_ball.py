"""Perceptual-ball saliency: the smallest change that fools the model while its features stay put.

Elliott, Law & Russell 2021, "Explaining classifiers using adversarial perturbations on the
perceptual ball", CVPR, https://arxiv.org/abs/1912.09405. Seed 001_c2222baa81a6d9bd.txt,
slides "Perceptual ball" (misclassification loss plus a small distortion measured on the
internal layers f^i, not only on the pixels):

    l(x + r)  = y_c(x + r) - max_{k != c} y_k(x + r)                   (loss="margin"; "score": y_c)
                (kappa: max(l, -kappa), Carlini & Wagner 2017's hinge, https://arxiv.org/abs/1608.04644)
    D(r)      = ||r||^2 / ||x||^2 + sum_{l in layers} ||phi_l(x + r) - phi_l(x)||^2 / ||phi_l(x)||^2
    r*        ~ argmin_r  l(x + r) + weight D(r)
    saliency  = sum over channels |r*|                                   (N, 1, *spatial)

An ordinary adversarial perturbation is high-frequency noise spread over the whole input. Keeping
every layer's activations near those of x (the "perceptual ball") leaves the model only changes
that real features could make; the paper finds that r then concentrates on the object (on
ImageNet; lesson 29 measures it on MNIST-1D's evidence masks, where it does not). The norms are
squared (the seed writes them unsquared) and relative (each divided by its value at x, so one
weight suits layers of any size and models of any scale: weight 10 lowers the margin of the
shipped models below zero on most samples in 50 steps). The penalty's gradient at layer l,
2 weight (phi_l(x + r) - phi_l(x)) / ||phi_l(x)||^2, is injected into one backward pass with the
loss's gradient.
Steps: r <- r - eta g / max|g| per row (the largest entry moves by eta = step_size (max x - min x)),
from a small random start drawn from ``seed`` and shared by every row, so a seed gives the same
map whatever the batch size. Run by lessons/29_perceptual_ball.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnknownNameError, check_names
from ..nn.layer import positive_int
from ._variants import resolve_batch_size, targets_of
from ._ascent import check_nonnegative, relu_layers, require_sequential
from .common import check_input, one_hot

LOSSES = ("margin", "score")


def perceptual_ball(model, x, target=None, *, steps: int = 50, step_size: float = 0.01, weight: float = 10.0,
                    layers=None, loss: str = "margin", kappa=None, seed=0, return_perturbation: bool = False,
                    batch_size: int | None = None, backend=None):
    """sum over channels |r|, r the perceptual-ball perturbation lowering y_target: (N, 1, *spatial).

    layers: the layers whose outputs must stay put (default every ReLU; [] penalises only ||r||^2).
    kappa: stop pushing the loss once the margin is below -kappa (Carlini & Wagner's confidence),
        so r stays near the smallest change of class; None (the seed's loss) pushes for all steps.
    return_perturbation: also return r itself (x's shape), so x + r can be checked.
    """
    require_sequential(model, "perceptual_ball")
    x = check_input(model, x)
    layers = relu_layers(model) if layers is None else list(layers)
    check_names(layers, model.names, "layers")
    steps = positive_int(steps, "steps", minimum=0)
    step_size, weight = check_nonnegative(step_size, "step_size"), check_nonnegative(weight, "weight")
    kappa = None if kappa is None else check_nonnegative(kappa, "kappa")
    if loss not in LOSSES:
        raise UnknownNameError(f"loss: unknown name {loss!r}; valid names are {', '.join(LOSSES)}")
    classes = targets_of(model, x, target, batch_size, backend)
    axes = tuple(range(1, x.ndim))
    eta = (step_size * (x.max(axis=axes, keepdims=True) - x.min(axis=axes, keepdims=True))).astype(x.dtype)
    start = np.random.default_rng(seed).uniform(-1, 1, x.shape[1:]).astype(x.dtype)
    r = eta * start
    batch = resolve_batch_size(x, batch_size)
    for i in range(0, len(x), batch):
        rows = slice(i, i + batch)
        r[rows] = _descend(model, x[rows], r[rows], classes[rows], eta[rows], steps, weight, layers, loss, kappa,
                           backend)
    saliency_map = np.abs(r).sum(axis=1, keepdims=True)
    return (saliency_map, r) if return_perturbation else saliency_map


def _descend(model, x, r, classes, eta, steps, weight, layers, loss, kappa, backend) -> np.ndarray:
    reference = model.trace(x, backend=backend)
    phi0 = {name: reference.activation(name) for name in layers}
    w = {name: 2 * weight / _row_sum_sq(phi0[name]) for name in layers}
    w_input = 2 * weight / _row_sum_sq(x)
    for _ in range(steps):
        trace = model.trace(x + r, backend=backend)
        penalty = {name: w[name] * (trace.activation(name) - phi0[name]) for name in layers}
        g = trace.backward(loss_signal(trace.output, classes, loss, kappa), inject=penalty).input + w_input * r
        largest = np.abs(g).max(axis=tuple(range(1, g.ndim)), keepdims=True)
        r = r - eta * g / np.where(largest > 0, largest, 1)
    return r


def _row_sum_sq(a: np.ndarray) -> np.ndarray:
    """||a_n||^2 per row, shaped to broadcast over a; 1 where a row is all zero."""
    total = (a * a).sum(axis=tuple(range(1, a.ndim)), keepdims=True)
    return np.where(total > 0, total, 1).astype(a.dtype)


def margin(logits: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """y_c - max_{k != c} y_k per row: below zero once the class has changed."""
    others = np.where(one_hot(classes, logits.shape[1], logits.dtype) > 0, -np.inf, logits)
    return logits[np.arange(len(logits)), classes] - others.max(axis=1)


def loss_signal(logits: np.ndarray, classes: np.ndarray, loss: str, kappa=None) -> np.ndarray:
    """dl/dlogits: e_c for the score, e_c - e_k for the margin (k the strongest other class);
    zero on the rows whose margin is already below -kappa (when kappa is given)."""
    signal = one_hot(classes, logits.shape[1], logits.dtype)
    if loss == "margin":
        others = np.where(signal > 0, -np.inf, logits)
        signal[np.arange(len(logits)), others.argmax(axis=1)] = -1
    if kappa is not None:
        signal[margin(logits, classes) < -kappa] = 0
    return signal
