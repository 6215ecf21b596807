"""Integrated Gradients: gradients summed along the straight path from a baseline to the input.

Sundararajan, Taly & Yan 2017, "Axiomatic attribution for deep networks",
https://arxiv.org/abs/1703.01365. Seed 000_8bf5a89bed1f51bd.txt, slide "Integrated Gradients";
seed 003_9e1ffa84955ffc85.txt, "05 Integrated Gradients" and the saturation slides: a saturated
score is flat near x, so its gradient there says little; the path from x' to x passes the region
where the score actually grew.

    IG_i(x) = (x_i - x'_i) * integral_0^1 dy_c(x' + a (x - x')) / dx_i da
            ~ (x_i - x'_i) * sum_k w_k dy_c(x' + a_k (x - x')) / dx_i

Completeness: sum_i IG_i(x) = y_c(x) - y_c(x'); return_gap=True also returns the quadrature's
gap sum(IG) - (y_c(x) - y_c(x')) per row. Nodes a_k and weights w_k follow Captum's ``method``
names (riemann_left/right/middle, gausslegendre with Captum's nodes and weights); riemann_trapezoid
here is the textbook rule (weights 1/(steps-1), halved at the ends), which Captum scales by
(steps-1)/steps. Several baselines give expected IG, the mean of their IGs. Lesson 06 runs it.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, UnknownNameError
from ..nn.layer import positive_int
from ._baselines import make_baselines
from .common import check_input
from ._variants import scores_over_variants, sum_gradients, targets_of

METHODS = ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre")


def quadrature(method: str, steps: int) -> tuple:
    """(nodes a_k in [0, 1], weights w_k) of the rule ``method`` with ``steps`` nodes, float64."""
    steps = positive_int(steps, "steps")
    k = np.arange(steps)
    if method == "riemann_left":
        return k / steps, np.full(steps, 1 / steps)
    if method == "riemann_right":
        return (k + 1) / steps, np.full(steps, 1 / steps)
    if method == "riemann_middle":
        return (k + 0.5) / steps, np.full(steps, 1 / steps)
    if method == "riemann_trapezoid":
        if steps < 2:
            raise ParameterError(f"steps: riemann_trapezoid needs at least 2 steps (both ends), got {steps}")
        weights = np.full(steps, 1 / (steps - 1))
        weights[[0, -1]] /= 2
        return k / (steps - 1), weights
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        return (nodes + 1) / 2, weights / 2
    raise UnknownNameError(f"method: unknown name {method!r}; valid names are {', '.join(METHODS)}")


def integrated_gradients(model, x, target=None, *, baseline="zero", steps: int = 50,
                         method: str = "gausslegendre", return_gap: bool = False, seed=None,
                         blur_sigma: float = 4.0, batch_size: int | None = None, backend=None):
    """IG of y_target for each row of x, x's shape; with return_gap, (IG, gap (N,)).

    baseline: "zero"; "blur" (x smoothed along its spatial axes by a Gaussian of ``blur_sigma``
    positions); "noise" (uniform over each row's range, drawn from ``seed``); an array of x's
    shape or of one row's shape; or a list of these: expected IG, the mean over the baselines.
    batch_size: inputs per batch of path points (None: about 2**16 input values a batch).
    """
    x = check_input(model, x)
    nodes, weights = quadrature(method, steps)
    baselines = make_baselines(x, baseline, seed, blur_sigma)
    classes = targets_of(model, x, target, batch_size, backend)
    attributions = np.zeros_like(x)
    for x0 in baselines:
        diff = x - x0

        def on_path(k, rows):
            # >>> exercise project.3: the k-th point of the straight path x0 + alpha_k (x - x0), for the rows
            return x0[rows] + nodes[k].astype(x.dtype) * diff[rows]
            # <<< exercise project.3

        gradient_sum, _ = sum_gradients(model, x, classes, on_path, weights, batch_size=batch_size,
                                        backend=backend)
        # >>> exercise project.3: IG = (x - x0) times the weighted sum of the gradients along the path
        attributions += diff * gradient_sum
        # <<< exercise project.3
    attributions /= len(baselines)
    if not return_gap:
        return attributions
    points = [x, *baselines]
    scores = scores_over_variants(model, x, lambda k, rows: points[k][rows], len(points), batch_size=batch_size,
                                  backend=backend)[:, np.arange(len(x)), classes]
    gap = attributions.reshape(len(x), -1).sum(axis=1) - (scores[0] - scores[1:].mean(axis=0))
    return attributions, gap
