"""Average Drop % and Increase in Confidence %: keep the top k% of the map, does the class survive?

Chattopadhyay, Sarkar, Howlader & Balasubramanian 2018, "Grad-CAM++: generalized gradient-based
visual explanations for deep convolutional networks", https://arxiv.org/abs/1710.11063, section 5.
Seed 000_8bf5a89bed1f51bd.txt, slides "Evaluation Metrics" (Drop%, Increase, and "retain the
top-most k% pixels of the image, and set the other pixels to black", k = 30% for MNIST-1D and
90% for HMT):

    Y_i = softmax(f(x_i))_c                        class probability on the original
    O_i = softmax(f(x_i ⊙ M_i + b (1 - M_i)))_c    on the input keeping only the top k% positions
    Drop     = 100/N sum_i max(0, Y_i - O_i) / Y_i     lower is better
    Increase = 100/N sum_i 1[O_i > Y_i]                higher is better

M_i keeps round(k/100 * P) of the P positions (halves rounded up, at least one). A position is a
sample or a pixel with all its channels; it is ranked by its attribution summed over the channels
(a one-channel map ranks its own values), ties broken by position index (``common.ranking``).
The positions not kept get the baseline b, 0 ("black") by default. Run by lessons/40_drop_increase.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, ShapeError, as_float_array
from ..explain._variants import scores_over_variants
from ..explain.common import check_input, resolve_target
from .common import (MetricResult, check_attributions, check_nonempty, class_scores, on_positions,
                     position_scores, ranking)


def kept_count(k: float, positions: int) -> int:
    """round(k/100 * positions), halves rounded up, at least 1; k must lie in (0, 100]."""
    if isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating)) or not 0 < k <= 100:
        raise ParameterError(f"k: expected a percentage in (0, 100], got {k!r}")
    return max(1, int(np.floor(k / 100 * positions + 0.5)))


def keep_top(x: np.ndarray, attributions: np.ndarray, k: float, baseline=0.0) -> np.ndarray:
    """x with its top k% positions (by attribution) kept and the others set to ``baseline``."""
    # >>> exercise project.1: rank positions (ranking(position_scores(...))), keep the first kept_count(k, P), the rest = baseline
    scores = position_scores(attributions)
    order = ranking(scores)
    keep = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(keep, order[:, :kept_count(k, scores.shape[1])], True, axis=1)
    return np.where(on_positions(keep, x.shape), x, baseline).astype(x.dtype, copy=False)
    # <<< exercise project.1


def drop_increase(model, x, attributions, target=None, *, k: float = 30.0, baseline=0.0,
                  batch_size: int | None = None, backend=None) -> MetricResult:
    """Average Drop % and Increase in Confidence % (values "drop", "increase"; per row also "y", "o").

    baseline: what replaces the positions not kept, a number or an array of x's shape or one row's.
    """
    x = check_input(model, x)
    check_nonempty(x)
    a = check_attributions(x, attributions)
    b = as_float_array(baseline, "baseline")
    if b.ndim and b.shape not in (x.shape, x.shape[1:]):
        raise ShapeError(f"baseline: expected a number or shape {x.shape} or {x.shape[1:]} (x's), got {b.shape}")
    inputs = (x, keep_top(x, a, k, b))
    logits = scores_over_variants(model, x, lambda v, rows: inputs[v][rows], 2, batch_size=batch_size,
                                  backend=backend)
    classes = resolve_target(target, logits[0])
    y, o = class_scores(logits, classes, "probability")
    # A row left unchanged (k = 100, or only baseline values removed) keeps O = Y exactly: in
    # float32 a batch's arithmetic can differ in the last bits, which 1[O > Y] would count.
    unchanged = (inputs[1] == x).reshape(len(x), -1).all(axis=1)
    o = np.where(unchanged, y, o)
    # >>> exercise project.2: per row, Drop = 100 max(0, Y - O) / Y and Increase = 100 * 1[O > Y]
    drop = 100 * np.maximum(0, y - o) / np.where(y > 0, y, 1)   # y underflows to 0 only in float32
    increase = 100 * (o > y).astype(np.float64)
    # <<< exercise project.2
    return MetricResult("drop_increase", {"drop": float(drop.mean()), "increase": float(increase.mean())},
                        {"drop": drop, "increase": increase, "y": y, "o": o})
