"""What every layer shares: its parameters, its shape check, and the record a forward pass keeps.

A layer is a small object with hyper-parameters named as in PyTorch and parameters in
PyTorch layouts (host NumPy arrays, float32 unless converted). It never does arithmetic on
arrays itself: ``forward`` and ``backward`` call the backend ``B`` the model runs on, so one
layer serves the NumPy, Numba and CUDA backends alike.

A layer's ``backward(r_out, fwd, ref)`` is its local derivative (the plain chain rule). It
has the signature of a *rule cell* (see ``minixai.rules.base``), so the gradient rule binds
to it directly and the other rules replace only the cells that differ.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError, ShapeError


@dataclass
class Record:
    """What a forward pass keeps for one layer: input x, output y, parameters, extras.

    Arrays live on the backend ``backend`` (device arrays under CUDA). ``saved`` holds what
    a layer needs besides x and y, for example max-pool switches.
    """

    name: str
    x: object
    y: object
    backend: object
    params: dict = field(default_factory=dict)
    saved: dict = field(default_factory=dict)


def positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int >= minimum, else a ParameterError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def pair(value, name: str, minimum: int = 1) -> tuple:
    """An int or a pair of ints -> a pair of ints >= minimum (PyTorch's ``_pair``)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ParameterError(f"{name}: expected an int or a pair of ints, got {value!r}")
        return positive_int(value[0], name, minimum), positive_int(value[1], name, minimum)
    value = positive_int(value, name, minimum)
    return value, value


def rank_error(layer: str, shape: tuple, expected: str) -> ShapeError:
    return ShapeError(f"{layer}: input x: expected {len(expected.split(','))} dimensions {expected}, got shape {tuple(shape)}")


def uniform_init(rng: np.random.Generator, shape: tuple, fan_in: int) -> np.ndarray:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default for conv and dense layers."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


class Layer:
    """Base class. Subclasses set ``param_names`` and implement the methods below."""

    param_names: tuple = ()

    def config(self) -> dict:
        """Hyper-parameters, enough to rebuild the layer (saved as JSON)."""
        return {}

    def output_shape(self, shape: tuple, name: str = "layer") -> tuple:
        """Shape of the output for an input of ``shape`` (N first); raise ShapeError if invalid."""
        return tuple(shape)

    def forward(self, x, B, params: dict) -> tuple:
        """(y, saved) for input x on backend B."""
        raise NotImplementedError

    def infer(self, x, B, params: dict):
        """y alone, for a pass that keeps no record (``Sequential.forward``): forward's output,
        unless a layer can skip what only a backward pass reads (max-pool switches)."""
        return self.forward(x, B, params)[0]

    def backward(self, r_out, fwd: Record, ref: Record | None = None):
        """Local derivative: the signal at the input from the signal at the output."""
        raise NotImplementedError

    def param_grads(self, r_out, fwd: Record) -> dict:
        """Gradients of the parameters, keyed by parameter name."""
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"
