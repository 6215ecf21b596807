"""Baselines (references) for path and difference methods: what "absence of signal" looks like.

Integrated Gradients integrates from a baseline x' to x; DeepLIFT compares x with a reference
x0. Both accept the same forms: "zero", "blur" (x blurred along its spatial axes, Gaussian of
``blur_sigma``), "noise" (uniform over each row's value range, seeded), an array of x's shape or
of one row's shape, or a list of these (expected IG, a distribution of DeepLIFT references).
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, ShapeError, UnknownNameError, as_float_array

BASELINES = ("zero", "blur", "noise")


def make_baselines(x: np.ndarray, baseline, seed=None, blur_sigma: float = 4.0) -> list:
    """The list of baselines (each x's shape) that ``baseline`` names; x (N, C, ...)."""
    rng = np.random.default_rng(seed)
    specs = list(baseline) if isinstance(baseline, list) else [baseline]
    if not specs:
        raise ParameterError("baseline: expected a name, an array or a non-empty list of them, got []")
    axes = tuple(range(1, x.ndim))
    out = []
    for spec in specs:
        if isinstance(spec, str):
            if spec == "zero":
                out.append(np.zeros_like(x))
            elif spec == "blur":
                if not (np.isfinite(blur_sigma) and blur_sigma > 0):
                    raise ParameterError(f"blur_sigma: expected a finite number > 0, got {blur_sigma!r}")
                from scipy.ndimage import gaussian_filter  # lazy: `minixai explain` starts faster
                out.append(gaussian_filter(x, sigma=(0, 0) + (blur_sigma,) * (x.ndim - 2)))
            elif spec == "noise":
                # One draw shared by the rows, scaled to each row's range: batch-invariant.
                low, high = x.min(axis=axes, keepdims=True), x.max(axis=axes, keepdims=True)
                out.append((low + (high - low) * rng.uniform(size=x.shape[1:])).astype(x.dtype))
            else:
                raise UnknownNameError(f"baseline: unknown name {spec!r}; valid names are {', '.join(BASELINES)}, "
                                       "or give an array")
            continue
        array = as_float_array(spec, "baseline")
        if array.shape not in (x.shape, x.shape[1:]):
            raise ShapeError(f"baseline: expected shape {x.shape} or {x.shape[1:]} (x's), got {array.shape}")
        out.append(np.broadcast_to(array.astype(x.dtype, copy=False), x.shape))
    return out


def fill_like(value, x: np.ndarray) -> np.ndarray:
    """A number or an array broadcast to x's shape (N, C, ...) in x's dtype: what replaces removed inputs."""
    value = as_float_array(value, "baseline")
    try:
        return np.broadcast_to(value, x.shape).astype(x.dtype)
    except ValueError:
        raise ShapeError(f"baseline: expected a number or an array broadcastable to x's shape {x.shape} "
                         f"(or to one row {x.shape[1:]}), got shape {value.shape}") from None
