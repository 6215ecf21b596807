"""What the gradient-ascent methods share: activation maximisation, DeepDream, the perceptual ball.

Each optimises an input through a minixai model's inner layers, jitters it by random circular
shifts, normalises steps by the mean |gradient| of a row, and checks non-negative weights.
"""
from __future__ import annotations

import numpy as np

from ..errors import NotApplicableError, ParameterError
from ..nn import ReLU, Sequential
from ..nn.layer import positive_int


def require_sequential(model, method: str) -> None:
    """NotApplicableError unless ``model`` is a minixai Sequential (the method needs its inner layers)."""
    if not isinstance(model, Sequential):
        raise NotApplicableError(f"model: {method} needs a minixai Sequential (it runs objectives on inner "
                                 f"layers), got {type(model).__name__}")


def relu_layers(model) -> list:
    """Names of the model's ReLU layers, in order."""
    return [name for name, layer in model.layers.items() if isinstance(layer, ReLU)]


def jitter_shifts(seed, steps: int, dims: int, jitter: int) -> np.ndarray:
    """(steps + 1, dims) random integer shifts in [-jitter, jitter], shared by every row; 0 at the end."""
    jitter = positive_int(jitter, "jitter", minimum=0)
    shifts = np.random.default_rng(seed).integers(-jitter, jitter + 1, size=(steps + 1, dims))
    shifts[-1] = 0
    return shifts


def roll(I: np.ndarray, shift) -> np.ndarray:
    """I (N, C, *spatial) rolled circularly by ``shift`` along the spatial axes."""
    return np.roll(I, tuple(int(s) for s in shift), axis=tuple(range(2, I.ndim))) if np.any(shift) else I


def row_mean_abs(g: np.ndarray) -> np.ndarray:
    """mean |g| per row, shaped to broadcast over g; 1 for an all-zero row (so g / it stays 0)."""
    scale = np.abs(g).mean(axis=tuple(range(1, g.ndim)), keepdims=True)
    return np.where(scale > 0, scale, 1).astype(g.dtype)


def check_nonnegative(value, name: str) -> float:
    """``value`` as a float, else a ParameterError naming ``name`` (NaN, inf and negatives refused)."""
    number = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    if not (number and np.isfinite(value) and value >= 0):
        raise ParameterError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)
