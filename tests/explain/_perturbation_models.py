"""Models and games shared by the perturbation-family tests (occlusion, LIME, SHAP, anchors).

- ``linear_model``: Flatten -> Dense(C * prod(spatial), K) with random weights and biases, so
  y_c(x) = sum_p w_cp x_p + b_c and every perturbation's effect is a sum of w x over the
  positions it changes.
- ``game``: a callable predict built from a set function v(S) on M segments: it reads which
  segments of a composed input are "on" (equal to x, not to the zero baseline) and returns v.
"""
from __future__ import annotations

import numpy as np

from minixai.nn import Dense, Flatten, Sequential


def linear_model(shape: tuple, k: int = 3, seed: int = 0, dtype=np.float64) -> Sequential:
    """Flatten -> Dense for inputs of shape (C, *spatial), float64 by default."""
    rng = np.random.default_rng(seed)
    dense = Dense(int(np.prod(shape)), k, rng=rng)
    dense.weight = rng.normal(size=dense.weight.shape)
    dense.bias = rng.normal(size=k)
    return Sequential([("flatten", Flatten()), ("fc", dense)]).astype(dtype)


def linear_weights(model: Sequential, shape: tuple) -> np.ndarray:
    """The Dense weights as (K, C, *spatial)."""
    return model.layers["fc"].weight.reshape((-1, *shape))


def game(v, labels: np.ndarray, k: int = 1):
    """predict(batch) -> (n, k) scores v(on-set) for x = ones and the zero baseline.

    ``labels`` (spatial) assign positions to segments; a segment is on when its positions are 1.
    Column j of the scores is v(S) + j, so targets other than 0 also work.
    """
    m = int(labels.max()) + 1
    first = np.array([np.flatnonzero(labels.ravel() == j)[0] for j in range(m)])

    def predict(batch):
        on = batch[:, 0].reshape(len(batch), -1)[:, first] > 0.5          # (n, M)
        values = np.array([v(frozenset(np.flatnonzero(row))) for row in on], dtype=np.float64)
        return values[:, None] + np.arange(k)[None]
    return predict
