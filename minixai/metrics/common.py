"""What every metric shares: the result type and the checks on attributions.

A metric that judges attributions has the signature

    metric(model, x, attributions, target=None, **params) -> MetricResult

x is a batch (N, C, ...) the model accepts, ``attributions`` one map per row, either x's shape or
one channel (N, 1, ...) as the CAM family returns; ``target`` None means the predicted class.
``MetricResult.values`` holds the summary numbers (the columns of an evaluation table) and
``per_sample`` one value per row, so results over several batches can be pooled.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError, ShapeError, UnknownNameError, as_float_array


@dataclass(frozen=True)
class MetricResult:
    """A metric's summary numbers (``values``) and its per-row arrays (``per_sample``)."""
    name: str
    values: dict
    per_sample: dict = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        return self.values[key]


def check_attributions(x: np.ndarray, attributions) -> np.ndarray:
    """Attributions as a float array of x's shape or x's shape with one channel; else ShapeError."""
    a = as_float_array(attributions, "attributions")
    one_channel = (x.shape[0], 1) + x.shape[2:]
    if a.shape != x.shape and a.shape != one_channel:
        raise ShapeError(f"attributions: expected x's shape {x.shape} or one channel {one_channel}, got {a.shape}")
    return a


def check_nonempty(x: np.ndarray) -> None:
    """An empty batch has no mean: refuse it with a clear error."""
    if len(x) == 0:
        raise ParameterError("x: expected at least one sample, got an empty batch")


# Shared by the faithfulness and localisation metrics: positions, their ranking, the scored class.

SCORES = ("logit", "probability")


def position_scores(attributions: np.ndarray) -> np.ndarray:
    """s[n, p] = sum_c a[n, c, p]: one score per input position, (N, P) with P = prod(spatial size).

    A position is one sample of a signal or one pixel of an image, all its channels together. The
    channels are summed (signed, so a red and a blue channel can cancel); a one-channel map
    (N, 1, ...) keeps its values.
    """
    a = np.asarray(attributions)
    return a.sum(axis=1).reshape(len(a), -1)


def ranking(scores: np.ndarray) -> np.ndarray:
    """order[n, j] = the position ranked j-th in row n: by decreasing score, ties by position index.

    A stable sort of -score keeps tied positions in index order, so the ranking (and every metric
    built on it) is the same on every machine, for every batch and for a constant map.
    """
    return np.argsort(-np.asarray(scores), axis=1, kind="stable")


def rank_of(order: np.ndarray) -> np.ndarray:
    """rank[n, p] = j where order[n, j] = p: 0 for the most important position of row n."""
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(order.shape[1]), order.shape), axis=1)
    return rank


def on_positions(mask: np.ndarray, x_shape: tuple) -> np.ndarray:
    """A position mask (N, P) as (N, 1, *spatial), to broadcast over x's channels."""
    return mask.reshape((x_shape[0], 1) + tuple(x_shape[2:]))


def check_score(score: str) -> str:
    if score not in SCORES:
        raise UnknownNameError(f"score: unknown name {score!r}; valid names are {', '.join(SCORES)}")
    return score


def class_scores(logits: np.ndarray, target: np.ndarray, score: str = "logit") -> np.ndarray:
    """The target class's logit or softmax probability: logits (..., N, K), target (N,) -> (..., N)."""
    z = np.asarray(logits)
    if check_score(score) == "probability":
        e = np.exp(z - z.max(axis=-1, keepdims=True))  # shifted by the row max: no overflow
        z = e / e.sum(axis=-1, keepdims=True)
    picked = np.broadcast_to(np.asarray(target)[:, None], z.shape[:-1] + (1,))
    return np.take_along_axis(z, picked, axis=-1)[..., 0]
