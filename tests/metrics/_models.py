"""Small models whose scores can be worked out by hand, shared by the metric tests.

- ``two_sums``: Flatten -> Dense, no bias, logits z = (x0 + x1, x2 + x3) on x (N, 1, 4), so the
  probability of class 0 is sigmoid(z0 - z1).
- ``linear_binary``: Flatten -> Dense on x (N, C, L) with logits (w . x + b, 0): the probability of
  class 0 is sigmoid(w . x + b), increasing in every contribution w_i x_i, so the oracle map w ⊙ x
  orders the positions exactly as deleting or keeping them moves the score.
- ``batch_invariant``: checks that each row's per-sample values do not depend on the other rows of
  the batch, on their order, or on the batch size.
"""
from __future__ import annotations

import numpy as np

from minixai.nn import Dense, Flatten, Sequential


def dense(weight, bias=None, dtype=np.float64) -> Dense:
    weight = np.asarray(weight, dtype=dtype)
    layer = Dense(weight.shape[1], weight.shape[0], bias=bias is not None)
    layer.weight = weight
    if bias is not None:
        layer.bias = np.asarray(bias, dtype=dtype)
    return layer


def two_sums(dtype=np.float64) -> Sequential:
    return Sequential([("flatten", Flatten()), ("fc", dense([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=dtype))])


def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=np.float64)))


def linear_binary(seed: int = 0, n: int = 8, channels: int = 1, length: int = 16, bias: float = 0.3) -> tuple:
    """(model, x, w) with x (n, channels, length) ~ N(0, 1) and w (channels, length) ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(channels, length))
    weight = np.stack([w.ravel(), np.zeros(w.size)])
    model = Sequential([("flatten", Flatten()), ("fc", dense(weight, [bias, 0.0]))])
    return model, rng.normal(size=(n, channels, length)), w


def batch_invariant(metric, model, x, attributions, keys, **params) -> None:
    """Per-sample values of ``metric`` on x equal those on x reversed, on single rows and in batches of one."""
    full = metric(model, x, attributions, **params).per_sample
    backwards = metric(model, x[::-1], attributions[::-1], **params).per_sample
    ones = metric(model, x, attributions, batch_size=1, **params).per_sample if "batch_size" not in params else full
    for key in keys:
        np.testing.assert_allclose(backwards[key][::-1], full[key], rtol=1e-12, atol=1e-12, err_msg=key)
        np.testing.assert_allclose(ones[key], full[key], rtol=1e-12, atol=1e-12, err_msg=key)
        for i in (0, len(x) - 1):
            alone = metric(model, x[i:i + 1], attributions[i:i + 1], **params).per_sample[key]
            np.testing.assert_allclose(alone[0], full[key][i], rtol=1e-12, atol=1e-12, err_msg=f"{key} row {i}")
