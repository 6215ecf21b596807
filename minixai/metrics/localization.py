"""Localisation against known evidence: pointing game, relevance mass and relevance rank accuracy.

Zhang, Bargal, Lin, Brandt, Shen & Sclaroff 2018, "Top-down neural attention by excitation
backprop" (the pointing game), https://arxiv.org/abs/1608.00507; Arras, Osman & Samek 2022,
"CLEVR-XAI: a benchmark dataset for the ground truth evaluation of neural network explanations",
https://arxiv.org/abs/2003.07258 (mass and rank accuracy). Seed 003_9e1ffa84955ffc85.txt, the
saliency-based localisation slides: does the map point where the object is? With E_i the
evidence mask of row i (where MNIST-1D's template landed) and s_i the map summed over channels:

    pointing game  = 1[argmax_p s_ip in E_i]                  (ties: the first maximum)
    relevance mass = sum_{p in E_i} max(s_ip, 0) / sum_p max(s_ip, 0)   (0 if nothing is positive)
    relevance rank = |top-K_i positions of s_i  ∩  E_i| / K_i,  K_i = |E_i|   (ties by index)

Chance level: a map without information scores about the evidence's share of the positions
("evidence_fraction") on mass and rank. The model and target are not used; they are in the
signature so every metric is called alike. Run by lessons/44_localization.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, ShapeError, as_float_array
from .common import MetricResult, check_attributions, check_nonempty, position_scores, rank_of, ranking


def check_evidence(x: np.ndarray, evidence) -> np.ndarray:
    """evidence as a bool (N, P) array; it must be (N, *x's spatial size) of 0/1 with a 1 in every row."""
    e = as_float_array(evidence, "evidence")
    expected = (x.shape[0],) + x.shape[2:]
    if e.shape != expected:
        raise ShapeError(f"evidence: expected one mask per row, shape {expected} (N, *x's spatial size), "
                         f"got {e.shape}")
    if not np.all((e == 0) | (e == 1)):
        raise ParameterError("evidence: expected a 0/1 (or bool) mask, got other values")
    e = e.reshape(len(e), -1) == 1
    empty = np.flatnonzero(~e.any(axis=1))
    if len(empty):
        raise ParameterError(f"evidence: every row needs at least one evidence position; "
                             f"rows {empty[:5].tolist()} have none")
    return e


def localization(model, x, attributions, target=None, *, evidence) -> MetricResult:
    """Pointing game, relevance mass and rank accuracy (values "pointing_game", "relevance_mass",
    "relevance_rank", per row too, with "evidence_fraction"); x (N, C, ...), evidence (N, ...)."""
    x = as_float_array(x, "x")
    if x.ndim < 2:
        raise ShapeError(f"x: expected a batch (N, C, L) or (N, C, H, W), got shape {x.shape}")
    check_nonempty(x)
    s = position_scores(check_attributions(x, attributions)).astype(np.float64)
    inside = check_evidence(x, evidence)
    rank = rank_of(ranking(s))
    pointing = inside[np.arange(len(s)), np.argmax(s, axis=1)]   # argmax: the first maximum, as the ranking
    positive = np.maximum(s, 0)
    total = positive.sum(axis=1)
    mass = np.where(total > 0, (positive * inside).sum(axis=1) / np.where(total > 0, total, 1), 0.0)
    size = inside.sum(axis=1)
    rank_accuracy = ((rank < size[:, None]) & inside).sum(axis=1) / size
    per_sample = {"pointing_game": pointing.astype(np.float64), "relevance_mass": mass,
                  "relevance_rank": rank_accuracy, "evidence_fraction": size / inside.shape[1]}
    return MetricResult("localization", {key: float(v.mean()) for key, v in per_sample.items()}, per_sample)
