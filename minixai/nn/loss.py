"""Softmax cross-entropy: the training loss, and its gradient with respect to the logits."""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError


def softmax(logits: np.ndarray) -> np.ndarray:
    """p[n, k] = exp(z[n, k]) / sum_j exp(z[n, j]), computed stably (shifted by the row max)."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple:
    """(loss, dloss/dlogits) with loss = mean_n -log softmax(z_n)[y_n]. logits (N, K), labels (N,)."""
    logits = np.asarray(logits)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ShapeError(f"labels: expected shape ({logits.shape[0]},) for logits of shape {logits.shape}, got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ShapeError(f"labels: expected integer class indices, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ShapeError(f"labels: expected integers in [0, {logits.shape[1]}), got range [{labels.min()}, {labels.max()}]")
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # log-softmax: exact even where p underflows
    loss = -log_p[np.arange(n), labels].mean()
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return float(loss), grad / n
