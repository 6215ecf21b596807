"""DeepLIFT: how much each input's difference from a reference moved the class score.

Shrikumar, Greenside & Kundaje 2017, "Learning important features through propagating
activation differences", https://arxiv.org/abs/1704.02685. Seed 003_9e1ffa84955ffc85.txt,
slides "03 Gradients: DeepLIFT", "Choice of reference matters!" and the suggestions on how to
pick a reference (all zeros for MNIST; a distribution of references). Multipliers m travel back
by DeepLIFT's rules (``minixai.rules.deeplift``: Rescale or RevealCancel at ReLUs, the weights at
linear layers) and the contribution of input i is

    C_i = (x_i - x0_i) * m_i              sum_i C_i = y_c(x) - y_c(x0)   (summation to delta)

With several references the contributions are averaged (the paper's distribution of references;
DeepSHAP does the same with its background set), and the sum then meets y_c(x) minus the mean
of y_c(x0_k). return_gap=True also returns sum_i C_i - (y_c(x) - mean_k y_c(x0_k)) per row,
which the rules keep at rounding level. Lesson: lessons/09_deeplift.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, ShapeError, as_float_array
from ..nn.layer import positive_int
from ..rules.deeplift import RULES, deeplift_rule
from ._baselines import make_baselines
from .common import check_input, one_hot
from ._variants import targets_of


def deeplift(model, x, target=None, *, baseline=None, rule: str = "rescale", return_gap: bool = False,
             seed=None, blur_sigma: float = 4.0, batch_size: int = 256, backend=None):
    """DeepLIFT contributions of y_target for each row of x, x's shape; with return_gap, (C, gap (N,)).

    baseline (the reference): None or "zero"; "blur" or "noise" (as in ``integrated_gradients``:
    a Gaussian blur of x with ``blur_sigma``, uniform noise over each row's range from ``seed``);
    an array of x's shape (one reference per row) or of one row's shape (shared); a distribution
    of K references, either a list of the above or an array (K, N, C, ...) or (K, 1, C, ...).
    rule: "rescale" or "reveal_cancel" (the rule at ReLUs; see ``minixai.rules.deeplift``).
    """
    x = check_input(model, x)
    references = make_baselines(x, _as_list(baseline, x), seed, blur_sigma)
    if rule not in RULES:
        raise ParameterError(f"rule: expected one of {', '.join(map(repr, RULES))}, got {rule!r}")
    batch_size = positive_int(batch_size, "batch_size")
    classes = targets_of(model, x, target, batch_size, backend)
    contributions = np.zeros_like(x)
    reference_scores = np.zeros(len(x), dtype=np.float64)
    input_scores = np.zeros(len(x), dtype=np.float64)
    for start in range(0, len(x), batch_size):
        rows = slice(start, start + batch_size)
        trace = model.trace(x[rows], backend=backend)
        logits = trace.output
        picked = np.arange(len(logits)), classes[rows]
        input_scores[rows] = logits[picked]
        seed_signal = one_hot(classes[rows], logits.shape[1], logits.dtype)
        for x0 in references:
            reference = model.trace(np.ascontiguousarray(x0[rows]), backend=backend)
            multipliers = trace.backward(seed_signal, rule=deeplift_rule(rule, trace, reference),
                                         reference=reference).input
            contributions[rows] += (x[rows] - x0[rows]) * multipliers
            reference_scores[rows] += reference.output[picked]
    contributions /= len(references)
    if not return_gap:
        return contributions
    delta = input_scores - reference_scores / len(references)
    return contributions, contributions.reshape(len(x), -1).sum(axis=1) - delta


def _as_list(baseline, x: np.ndarray):
    """None -> "zero"; an array with one more axis than x -> the list of its K references."""
    if baseline is None:
        return "zero"
    if isinstance(baseline, (str, list)):
        return baseline
    array = as_float_array(baseline, "baseline")
    if array.ndim != x.ndim + 1:
        return array
    if array.shape[0] == 0 or array.shape[2:] != x.shape[1:] or array.shape[1] not in (1, len(x)):
        row = ", ".join(map(str, x.shape[1:]))
        raise ShapeError(f"baseline: a distribution of references has shape (K, {len(x)}, {row}) "
                         f"or (K, 1, {row}), got {array.shape}")
    return [reference if reference.shape[0] == len(x) else reference[0] for reference in array]
