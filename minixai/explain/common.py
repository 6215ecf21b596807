"""What every explainer shares: checking the input, choosing the target, seeding the backward pass.

Each explainer has the signature ``method(model, x, target=None, **params) -> np.ndarray``: x is
batched ``(N, C, L)`` or ``(N, C, H, W)``, ``target`` is None (the predicted class), one class
for every row, or one class per row. Scores are the pre-softmax logits.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, ShapeError, as_float_array
from ..nn.layer import positive_int


def check_input(model, x) -> np.ndarray:
    """x as a float array the model accepts (rank, channels, sizes); raises minixai errors."""
    x = as_float_array(x, "x")
    if x.ndim < 2:
        raise ShapeError(f"x: expected a batch (N, C, L) or (N, C, H, W), got shape {x.shape}")
    model.output_shape(x.shape)
    return x


def resolve_target(target, logits: np.ndarray) -> np.ndarray:
    """One class index per row: ``target`` None -> argmax of the logits; an int -> that class for all."""
    n, k = logits.shape
    if target is None:
        return logits.argmax(axis=1)
    t = np.asarray(target)
    if not np.issubdtype(t.dtype, np.integer):
        raise ParameterError(f"target: expected class indices (integers), got {target!r}")
    t = np.broadcast_to(t, (n,)) if t.ndim == 0 else t
    if t.shape != (n,):
        raise ShapeError(f"target: expected one class or {n} classes (one per row), got shape {t.shape}")
    if t.min() < 0 or t.max() >= k:
        raise ParameterError(f"target: expected classes in [0, {k}), got range [{t.min()}, {t.max()}]")
    return t.astype(np.int64)


def one_hot(target: np.ndarray, k: int, dtype) -> np.ndarray:
    """(N, K) rows with a 1 at each row's target: the signal that seeds d y_c / d x."""
    seed = np.zeros((len(target), k), dtype=dtype)
    seed[np.arange(len(target)), target] = 1
    return seed


def input_signal(model, x: np.ndarray, target=None, rule=None, batch_size: int = 256, backend=None) -> tuple:
    """(r_in, target): the rule's signal at the input for score y_target, computed in batches.

    With the gradient rule (the default) r_in = d y_c / d x.
    """
    batch_size = positive_int(batch_size, "batch_size")
    signals, targets = [], []
    for i in range(0, len(x), batch_size):
        trace = model.trace(x[i:i + batch_size], backend=backend)
        logits = trace.output
        t = resolve_target(None if target is None else _rows(target, len(x), i, batch_size), logits)
        signals.append(trace.backward(one_hot(t, logits.shape[1], logits.dtype), rule=rule).input)
        targets.append(t)
    return np.concatenate(signals), np.concatenate(targets)


def _rows(target, n: int, start: int, size: int):
    t = np.asarray(target)
    if t.ndim == 0:
        return t
    if t.shape != (n,):
        raise ShapeError(f"target: expected one class or {n} classes (one per row), got shape {t.shape}")
    return t[start:start + size]
