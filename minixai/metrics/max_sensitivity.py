"""Max-sensitivity: how much can the map change when the input moves a little?

Yeh, Hsieh, Suggala, Inouye & Ravikumar 2019, "On the (in)fidelity and sensitivity of
explanations", https://arxiv.org/abs/1901.09392, definition 3.1, normalised by the map's norm
(as Quantus and Captum's examples do) so maps in different units compare:

    SENS_max(a, x) = max_{k < n} || Phi(x + d_k) - Phi(x) || / || Phi(x) ||,
                     d_k uniform in the L_inf ball of ``radius``

Phi is the explainer that produced ``attributions`` = Phi(x), called as
``explainer(model, x + d_k, target)`` with the target of x itself (a stochastic explainer needs
its seed fixed, e.g. ``functools.partial(smoothgrad, seed=0)``, or its own noise counts as
sensitivity). Norms are Frobenius over a whole row. The draws are
``rng = np.random.default_rng(seed)``, then ``d_k = rng.uniform(-radius, radius, one row's shape)``
for k = 0, 1, ..., shared by the rows, so a row's value does not depend on the rest of the batch. Low is good: a
gradient map of a ReLU network jumps when a unit switches; smoothing (SmoothGrad) lowers it.
A zero map scores 0 if it stays zero, else inf. Run by lessons/45_infidelity_max_sensitivity.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, ShapeError
from ..explain._variants import targets_of
from ..explain.common import check_input
from ..nn.layer import positive_int
from .common import MetricResult, check_attributions, check_nonempty


def max_sensitivity(model, x, attributions, target=None, *, explainer, radius: float = 0.02, n: int = 10,
                    seed=None) -> MetricResult:
    """Mean over the rows of the max relative change (value "max_sensitivity"; per row also "mean_sensitivity")."""
    x = check_input(model, x)
    check_nonempty(x)
    a = check_attributions(x, attributions).astype(np.float64)
    if not callable(explainer):
        raise ParameterError(f"explainer: expected a callable explainer(model, x, target), got {explainer!r}")
    if not (np.isfinite(radius) and radius > 0):
        raise ParameterError(f"radius: expected a finite number > 0, got {radius!r}")
    n = positive_int(n, "n")
    classes = targets_of(model, x, target)
    rng = np.random.default_rng(seed)
    norm = np.sqrt((a.reshape(len(a), -1) ** 2).sum(axis=1))
    changes = np.empty((n, len(x)))
    for k in range(n):
        d = rng.uniform(-radius, radius, size=x.shape[1:]).astype(x.dtype)
        moved = np.asarray(explainer(model, x + d, classes), dtype=np.float64)
        if moved.shape != a.shape:
            raise ShapeError(f"explainer: returned shape {moved.shape}, expected the attributions' shape {a.shape}")
        change = np.sqrt(((moved - a).reshape(len(a), -1) ** 2).sum(axis=1))
        changes[k] = np.where(norm > 0, change / np.where(norm > 0, norm, 1), np.where(change > 0, np.inf, 0.0))
    worst = changes.max(axis=0)
    return MetricResult("max_sensitivity", {"max_sensitivity": float(worst.mean())},
                        {"max_sensitivity": worst, "mean_sensitivity": changes.mean(axis=0)})
