"""Models and checks shared by the gradient-family tests (saliency, sensitivity, Gradient x Input,
DeconvNet, guided backprop) and the rule tests.

- ``relu_dense_model``: Dense(4, 4) = 2 I -> ReLU -> Dense(4, 2), no biases, x = [1, -1, 2, -2].
  Every signal can be followed by hand: the ReLU's input is 2x = [2, -2, 4, -4] (units 0 and 2
  active) and the signal arriving at the ReLU is the row of the second weight for the class.
  ``HAND`` lists the expected input signal of each rule for each class.
- ``pool_model``: ReLU -> MaxPool1d(3, 1) (overlapping windows) -> Flatten -> Dense(2, 1); both
  windows pick the same input, so their signals add up before the ReLU masks them.
- ``tiny_model``: Conv1d(1, 3, 3) - ReLU - MaxPool1d(3, 2) - Conv1d(3, 4, 3) - ReLU - GAP -
  Dense(4, 3) on x (2, 1, 12), small enough for the CUDA simulator.
"""
from __future__ import annotations

import numpy as np

from minixai.nn import Conv1d, Dense, Flatten, GlobalAvgPool, MaxPool1d, ReLU, Sequential


def dense(weight, dtype=np.float64) -> Dense:
    weight = np.asarray(weight, dtype=dtype)
    layer = Dense(weight.shape[1], weight.shape[0], bias=False)
    layer.weight = weight
    return layer


def relu_dense_model(dtype=np.float64) -> tuple:
    """(model, x) with hand-checkable signals; logits y = [-2, 2], so class 1 is predicted."""
    model = Sequential([("fc1", dense(2 * np.eye(4), dtype)), ("relu", ReLU()),
                        ("fc2", dense([[1, 1, -1, -1], [-1, 2, 1, 0]], dtype))])
    return model, np.array([[1, -1, 2, -2]], dtype=dtype)


# Signal at the input, per rule and class: W1^T (ReLU cell applied to row c of W2); W1^T = 2 I.
HAND = {
    "gradient": {0: [2, 0, -2, 0], 1: [-2, 0, 2, 0]},   # mask x > 0: units 0, 2
    "deconvnet": {0: [2, 2, 0, 0], 1: [0, 4, 2, 0]},    # mask r_out > 0
    "guided": {0: [2, 0, 0, 0], 1: [0, 0, 2, 0]},       # both masks
}
HAND_LOGITS = [-2.0, 2.0]


def pool_model(dense_weight, dtype=np.float64) -> tuple:
    """(model, x): x = [1, 3, 2, -1] -> ReLU -> MaxPool1d(3, 1) = [3, 3] (both from index 1) -> Dense."""
    model = Sequential([("relu", ReLU()), ("pool", MaxPool1d(3, 1)), ("flatten", Flatten()),
                        ("fc", dense(dense_weight, dtype))])
    return model, np.array([[[1, 3, 2, -1]]], dtype=dtype)


def tiny_model(seed: int = 0, dtype=np.float32) -> tuple:
    """(model, x) with random weights from ``seed``; x (2, 1, 12)."""
    rng = np.random.default_rng(seed)
    model = Sequential([("conv1", Conv1d(1, 3, 3, rng=rng)), ("relu1", ReLU()), ("pool1", MaxPool1d(3, 2)),
                        ("conv2", Conv1d(3, 4, 3, rng=rng)), ("relu2", ReLU()), ("gap", GlobalAvgPool()),
                        ("fc", Dense(4, 3, rng=rng))]).astype(dtype)
    return model, rng.normal(size=(2, 1, 12)).astype(dtype)


def without_biases(model: Sequential) -> Sequential:
    """``model`` with every bias set to zero (in place): then y_c is positively homogeneous in x."""
    for name, layer in model.layers.items():
        if getattr(layer, "bias", None) is not None:
            layer.bias[...] = 0
    return model
