"""Convolutions: Conv2d, and Conv1d as a Conv2d on images of height 1.

Forward ``y = W * x + b`` (cross-correlation, as in PyTorch); backward ``r_in = W^T r_out``, the
transposed convolution. In seed 003_9e1ffa84955ffc85.txt (the table "Layer | Forward pass |
DeconvNet | Back-prop w.r.t. input") this row is the same for DeconvNet and back-prop. Shapes
and the output-size formula are in ``minixai.backends.reference``.
"""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from .layer import Layer, Record, pair, positive_int, rank_error, uniform_init


class Conv2d(Layer):
    """2-D convolution. x (N, C, H, W) -> y (N, O, HO, WO); weight (O, C, KH, KW), bias (O,)."""

    param_names = ("weight", "bias")

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, rng: np.random.Generator | int | None = None):
        self.in_channels = positive_int(in_channels, "in_channels")
        self.out_channels = positive_int(out_channels, "out_channels")
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding", minimum=0)
        rng = np.random.default_rng(rng)
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        self.weight = uniform_init(rng, (self.out_channels, self.in_channels, *self.kernel_size), fan_in)
        self.bias = uniform_init(rng, (self.out_channels,), fan_in) if bias else None
        if not bias:
            self.param_names = ("weight",)

    def config(self) -> dict:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": list(self.padding), "bias": self.bias is not None}

    def output_shape(self, shape: tuple, name: str = "conv") -> tuple:
        if len(shape) != 4:
            raise rank_error(name, shape, "(N, C, H, W)")
        return (shape[0], self.out_channels, *self._spatial_out(shape[1:], name))

    def _spatial_out(self, shape: tuple, name: str) -> tuple:
        if shape[0] != self.in_channels:
            raise ShapeError(f"{name}: input x: expected {self.in_channels} channels, got {shape[0]} (shape {tuple(shape)})")
        out = []
        for size, k, s, p in zip(shape[1:], self.kernel_size, self.stride, self.padding):
            if size + 2 * p < k:
                raise ShapeError(f"{name}: kernel_size {k} is larger than the padded input ({size} + 2 * {p} = {size + 2 * p})")
            out.append((size + 2 * p - k) // s + 1)
        return tuple(out)

    def forward(self, x, B, params: dict) -> tuple:
        return B.conv2d_forward(x, params["weight"], params.get("bias"), self.stride, self.padding), {}

    def backward(self, r_out, fwd: Record, ref: Record | None = None):
        """r_in = W^T r_out (transposed convolution)"""
        return fwd.backend.conv2d_backward_input(r_out, fwd.params["weight"], fwd.x.shape, self.stride, self.padding)

    def param_grads(self, r_out, fwd: Record) -> dict:
        dw, db = fwd.backend.conv2d_backward_params(r_out, fwd.x, fwd.params["weight"].shape, self.stride, self.padding)
        return {"weight": dw, "bias": db} if self.bias is not None else {"weight": dw}


class Conv1d(Conv2d):
    """1-D convolution. x (N, C, L) -> y (N, O, LO); weight (O, C, K), bias (O,).

    Runs as a Conv2d with kernel (1, K) on x viewed as (N, C, 1, L): one set of kernels,
    checked once, serves both.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, bias: bool = True, rng: np.random.Generator | int | None = None):
        kernel_size = positive_int(kernel_size, "kernel_size")
        stride = positive_int(stride, "stride")
        padding = positive_int(padding, "padding", minimum=0)
        super().__init__(in_channels, out_channels, (1, kernel_size), (1, stride), (0, padding), bias, rng)
        self.weight = self.weight[:, :, 0, :].copy()

    def config(self) -> dict:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size[1], "stride": self.stride[1],
                "padding": self.padding[1], "bias": self.bias is not None}

    def output_shape(self, shape: tuple, name: str = "conv") -> tuple:
        if len(shape) != 3:
            raise rank_error(name, shape, "(N, C, L)")
        return (shape[0], self.out_channels, self._spatial_out((shape[1], 1, shape[2]), name)[1])

    def forward(self, x, B, params: dict) -> tuple:
        n, c, length = x.shape
        y = B.conv2d_forward(B.reshape(x, (n, c, 1, length)), _as_2d(B, params["weight"]),
                             params.get("bias"), self.stride, self.padding)
        return B.reshape(y, (n, y.shape[1], y.shape[3])), {}

    def backward(self, r_out, fwd: Record, ref: Record | None = None):
        """r_in = W^T r_out (transposed convolution)"""
        B = fwd.backend
        (n, c, length), (_, o, lo) = fwd.x.shape, r_out.shape
        r_in = B.conv2d_backward_input(B.reshape(r_out, (n, o, 1, lo)), _as_2d(B, fwd.params["weight"]),
                                       (n, c, 1, length), self.stride, self.padding)
        return B.reshape(r_in, (n, c, length))

    def param_grads(self, r_out, fwd: Record) -> dict:
        B = fwd.backend
        (n, c, length), (_, o, lo) = fwd.x.shape, r_out.shape
        o_, c_, k = fwd.params["weight"].shape
        dw, db = B.conv2d_backward_params(B.reshape(r_out, (n, o, 1, lo)), B.reshape(fwd.x, (n, c, 1, length)),
                                          (o_, c_, 1, k), self.stride, self.padding)
        dw = B.reshape(dw, (o_, c_, k))
        return {"weight": dw, "bias": db} if self.bias is not None else {"weight": dw}


def _as_2d(B, w):
    o, c, k = w.shape
    return B.reshape(w, (o, c, 1, k))
