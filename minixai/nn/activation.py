"""ReLU: the layer whose backward rule is where the explanation methods part ways.

``relu`` and ``relu_back`` are scalar functions; the backend maps them over arrays (the
reference in a plain loop, Numba and CUDA compiled). The gradient rule's ReLU cell is
``relu_back``; DeconvNet, guided backprop and DeepLIFT each replace just this cell.
"""
from __future__ import annotations

from .layer import Layer, Record


def relu(x):
    """y = max(x, 0)"""
    return x if x > 0.0 else 0.0


def relu_back(r_out, x):
    """r_in = r_out * 1(x > 0)"""
    return r_out if x > 0.0 else 0.0


class ReLU(Layer):
    """y = max(x, 0), elementwise, any shape."""

    def forward(self, x, B, params: dict) -> tuple:
        return B.map(relu, x), {}

    def backward(self, r_out, fwd: Record, ref: Record | None = None):
        """r_in = r_out * 1(x > 0)"""
        return fwd.backend.map(relu_back, r_out, fwd.x)
