"""Deletion and insertion: the class probability as the most important positions go, or come back.

Petsiuk, Das & Saenko 2018, "RISE: randomized input sampling for explanation of black-box
models", https://arxiv.org/abs/1806.07421, section 4.1 (causal metrics). The companion of the
Drop / Increase slides (seed 000_8bf5a89bed1f51bd.txt, slides "Evaluation Metrics"): instead of
one cut at k%, the whole curve over k.

    deletion:  d_i(t) = softmax(f(x_i with its top t*P positions set to 0))_c
    insertion: s_i(t) = softmax(f(blur(x_i) with its top t*P positions copied from x_i))_c
    AUC = integral_0^1 curve(t) dt, trapezoid rule on t = 0, 1/steps, ..., 1

A good map makes the deletion curve fall fast (low AUC) and the insertion curve rise fast (high
AUC). At t = j/steps the first round(j * P / steps) positions of the ranking (attribution summed
over the channels, ties by position index, as ``drop_increase``) are deleted or inserted. blur
is a Gaussian of ``blur_sigma`` positions along the spatial axes, the "blur" baseline of
Integrated Gradients. Run by lessons/41_deletion_insertion.py.
"""
from __future__ import annotations

import numpy as np

from ..explain._baselines import make_baselines
from ..explain._variants import scores_over_variants
from ..explain.common import check_input, resolve_target
from ..nn.layer import positive_int
from .common import (MetricResult, check_attributions, check_nonempty, class_scores, on_positions,
                     position_scores, rank_of, ranking)


def auc(curve: np.ndarray) -> np.ndarray:
    """Trapezoid rule over [0, 1] for curves (..., steps + 1) sampled at t = j / steps."""
    steps = curve.shape[-1] - 1
    return (curve[..., 1:] + curve[..., :-1]).sum(axis=-1) / (2 * steps)


def deletion_insertion(model, x, attributions, target=None, *, steps: int = 20, blur_sigma: float = 4.0,
                       score: str = "probability", batch_size: int | None = None, backend=None) -> MetricResult:
    """Deletion and insertion AUCs (values "deletion_auc", "insertion_auc"; per row also both curves).

    Curves are (N, steps + 1) arrays at t = j / steps; score "probability" (the paper's) or "logit".
    """
    x = check_input(model, x)
    check_nonempty(x)
    rank = rank_of(ranking(position_scores(check_attributions(x, attributions))))
    steps = positive_int(steps, "steps")
    counts = np.floor(np.arange(steps + 1) * rank.shape[1] / steps + 0.5).astype(int)
    blurred = make_baselines(x, "blur", blur_sigma=blur_sigma)[0]

    def variant(v, rows):
        chosen = on_positions(rank[rows] < counts[v % (steps + 1)], x[rows].shape)
        if v <= steps:
            return np.where(chosen, 0, x[rows])                 # deletion: the top positions go
        return np.where(chosen, x[rows], blurred[rows])         # insertion: they come back

    logits = scores_over_variants(model, x, variant, 2 * (steps + 1), batch_size=batch_size, backend=backend)
    classes = resolve_target(target, logits[0])                 # variant 0 is x itself
    curves = class_scores(logits, classes, score).T             # (N, 2 (steps + 1))
    deletion, insertion = curves[:, :steps + 1], curves[:, steps + 1:]
    d_auc, i_auc = auc(deletion), auc(insertion)
    values = {"deletion_auc": float(d_auc.mean()), "insertion_auc": float(i_auc.mean())}
    return MetricResult("deletion_insertion", values, {"deletion_auc": d_auc, "insertion_auc": i_auc,
                                                       "deletion_curve": deletion, "insertion_curve": insertion})
