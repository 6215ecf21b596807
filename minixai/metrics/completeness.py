"""Completeness (summation to delta): do the attributions add up to the change of the score?

Sundararajan, Taly & Yan 2017 (Integrated Gradients, "completeness"), Shrikumar, Greenside &
Kundaje 2017 (DeepLIFT, "summation-to-delta"), Bach et al. 2015 (LRP, "conservation"), Lundberg
& Lee 2017 (SHAP, "efficiency"): the same axiom under four names. Seed 003_9e1ffa84955ffc85.txt,
the DeepLIFT slides (summation to delta) and "05 Integrated Gradients":

    gap_i = sum_j a_ij - (f_c(x_i) - f_c(x'_i))

f_c is the target's logit (score="probability" for methods defined on it), x' the baseline the
attributions refer to: zero by default, "blur", an array, or a list of them (then
f_c(x') is their mean, as for expected IG). Any map can be scored; only the methods above
promise a gap of zero (IG up to its quadrature error). Run by lessons/43_completeness.py.
"""
from __future__ import annotations

import numpy as np

from ..explain._baselines import make_baselines
from ..explain._variants import scores_over_variants
from ..explain.common import check_input, resolve_target
from .common import MetricResult, check_attributions, check_nonempty, class_scores


def completeness(model, x, attributions, target=None, *, baseline="zero", score: str = "logit", seed=None,
                 blur_sigma: float = 4.0, batch_size: int | None = None, backend=None) -> MetricResult:
    """Mean and max |gap| (values "mean_abs_gap", "max_abs_gap"); per row "gap" and "delta" = f_c(x) - f_c(x').

    baseline, seed and blur_sigma take the forms ``integrated_gradients`` takes.
    """
    x = check_input(model, x)
    check_nonempty(x)
    a = check_attributions(x, attributions)
    points = [x, *make_baselines(x, baseline, seed, blur_sigma)]
    logits = scores_over_variants(model, x, lambda v, rows: points[v][rows], len(points), batch_size=batch_size,
                                  backend=backend)
    f = class_scores(logits, resolve_target(target, logits[0]), score)
    delta = f[0] - f[1:].mean(axis=0)
    gap = a.reshape(len(a), -1).sum(axis=1, dtype=np.float64) - delta
    values = {"mean_abs_gap": float(np.abs(gap).mean()), "max_abs_gap": float(np.abs(gap).max())}
    return MetricResult("completeness", values, {"gap": gap, "delta": delta})
