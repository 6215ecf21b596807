"""Dense (fully connected) layer and Flatten.

Dense forward ``y = W x + b``, backward ``r_in = W^T r_out``; Flatten only reshapes, so its
backward reshapes the signal back.
"""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from .layer import Layer, Record, positive_int, rank_error, uniform_init


class Dense(Layer):
    """x (N, IN) -> y (N, OUT) = x W^T + b; weight (OUT, IN), bias (OUT,)."""

    param_names = ("weight", "bias")

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 rng: np.random.Generator | int | None = None):
        self.in_features = positive_int(in_features, "in_features")
        self.out_features = positive_int(out_features, "out_features")
        rng = np.random.default_rng(rng)
        self.weight = uniform_init(rng, (self.out_features, self.in_features), self.in_features)
        self.bias = uniform_init(rng, (self.out_features,), self.in_features) if bias else None
        if not bias:
            self.param_names = ("weight",)

    def config(self) -> dict:
        return {"in_features": self.in_features, "out_features": self.out_features, "bias": self.bias is not None}

    def output_shape(self, shape: tuple, name: str = "dense") -> tuple:
        if len(shape) != 2:
            raise rank_error(name, shape, "(N, IN)")
        if shape[1] != self.in_features:
            raise ShapeError(f"{name}: input x: expected {self.in_features} features, got {shape[1]} (shape {tuple(shape)})")
        return (shape[0], self.out_features)

    def forward(self, x, B, params: dict) -> tuple:
        return B.dense_forward(x, params["weight"], params.get("bias")), {}

    def backward(self, r_out, fwd: Record, ref: Record | None = None):
        """r_in = W^T r_out"""
        return fwd.backend.dense_backward_input(r_out, fwd.params["weight"])

    def param_grads(self, r_out, fwd: Record) -> dict:
        dw, db = fwd.backend.dense_backward_params(r_out, fwd.x)
        return {"weight": dw, "bias": db} if self.bias is not None else {"weight": dw}


class Flatten(Layer):
    """x (N, ...) -> (N, prod(...))."""

    def output_shape(self, shape: tuple, name: str = "flatten") -> tuple:
        if len(shape) < 2:
            raise ShapeError(f"{name}: input x: expected at least 2 dimensions (N, ...), got shape {tuple(shape)}")
        return (shape[0], int(np.prod(shape[1:])))

    def forward(self, x, B, params: dict) -> tuple:
        return B.reshape(x, (x.shape[0], int(np.prod(x.shape[1:])))), {}

    def backward(self, r_out, fwd: Record, ref: Record | None = None):
        """r_in = r_out reshaped to x's shape"""
        return fwd.backend.reshape(r_out, fwd.x.shape)
