"""Turn the ``model`` argument of a perturbation method into a predict function.

Perturbation methods (occlusion, LIME, SHAP, anchors, RISE, ...) never look inside the model:
they only need the scores of many perturbed inputs. So they accept either

* a minixai ``Sequential`` -> its logits, computed with ``model.forward`` in bounded batches, or
* any callable ``predict(x_batch) -> scores``: x_batch is ``(n, C, L)`` or ``(n, C, H, W)``
  and the answer must be ``(n, K)`` (one score per class; logits or probabilities, as the
  caller decides). A torch model wrapped in a few lines, or a toy "game" in a test, fits here.

``as_predict`` wraps both into one function ``predict(inputs) -> (n, K)`` that feeds the model
at most ``batch_size`` inputs per call, so memory stays flat however many perturbations a
method asks for, and checks every answer of a callable for its shape.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import ParameterError, ShapeError, as_float_array
from .common import resolve_target
from ._variants import outputs_over_variants, resolve_batch_size


def is_model(model) -> bool:
    """True for a minixai Sequential (anything with ``forward`` and ``output_shape``)."""
    return hasattr(model, "forward") and hasattr(model, "output_shape")


def check_x(model, x) -> np.ndarray:
    """x as a float batch (N, C, L) or (N, C, H, W); a minixai model also checks channels and sizes."""
    x = as_float_array(x, "x")
    if x.ndim not in (3, 4):
        raise ShapeError(f"x: expected a batch (N, C, L) or (N, C, H, W), got shape {x.shape}")
    if is_model(model):
        model.output_shape(x.shape)
    return x


def predict_in_batches(predict: Callable, inputs: np.ndarray, batch_size: int) -> np.ndarray:
    """predict(inputs) computed on at most ``batch_size`` rows at a time, concatenated: (n, K).

    Each answer is checked: a 2-D array with one row per input (else ShapeError naming ``model``).
    """
    n = len(inputs)
    if n == 0:
        raise ShapeError("model: asked to predict an empty batch")
    parts = []
    for start in range(0, n, batch_size):
        batch = inputs[start:start + batch_size]
        parts.append(_checked(predict(batch), len(batch)))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def as_predict(model, batch_size: int | None = None, backend=None) -> Callable:
    """A function ``predict(inputs) -> scores (n, K)`` for a minixai model or a callable.

    ``batch_size`` None: about 2**16 input values per call (as for every other explainer).
    ``backend`` applies to a minixai model only.
    """
    if is_model(model):
        def one_call(batch):
            return model.forward(batch, backend=backend)
    elif callable(model):
        one_call = model
    else:
        raise ParameterError(f"model: expected a minixai Sequential or a callable predict(x) -> scores (n, K), "
                             f"got {type(model).__name__}")

    def predict(inputs):
        inputs = np.asarray(inputs)
        return predict_in_batches(one_call, inputs, resolve_batch_size(inputs, batch_size))
    return predict


def scores_of_variants(predict: Callable, x: np.ndarray, variant: Callable, n: int, batch_size: int) -> np.ndarray:
    """predict at variant k of every row of x, k < n: (n, N, K), at most ``batch_size`` inputs per call.

    ``variant(k, rows) -> (len(rows), C, ...)`` as in ``_variants.scores_over_variants``, which
    this mirrors for predict functions; the stream order makes the result batch-size invariant.
    """
    return outputs_over_variants(predict, x, variant, n, batch_size)


def scores_and_target(predict: Callable, x: np.ndarray, target=None) -> tuple:
    """(scores of x itself (N, K), one class per row): target None -> the predicted class."""
    scores = predict(x)
    return scores, resolve_target(target, scores)


def _checked(scores, n: int) -> np.ndarray:
    try:
        scores = as_float_array(scores, "model")
    except ShapeError as exc:
        raise ShapeError(f"model: the predict function must return an array of scores (n, K); {exc}") from None
    if scores.ndim != 2 or scores.shape[0] != n:
        raise ShapeError(f"model: the predict function must return scores of shape (n, K) for n = {n} inputs, "
                         f"got shape {scores.shape}")
    return scores
