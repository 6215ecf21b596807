"""DeepDream: change the input so that a layer's activations grow, and watch what the layer "sees".

Mordvintsev, Olah & Tyka 2015, "Inceptionism: going deeper into neural networks" (Google
Research blog); https://www.tensorflow.org/tutorials/generative/deepdream. Seed
004_2a6fa647e63a0a0a.txt, section "Deep Dream" (gradient ascent on a layer's activations,
starting from an image rather than from zero as activation maximisation does):

    objective   L(x) = 1/2 ||A_layer(x)||^2          so dL/dA = A: the layer's output is its own signal
    step        x <- x + eta g / mean|g|,             g = dL/dx, eta = step_size (max x - min x)

Octaves: the ascent runs first on a shrunken copy (octave_scale^-(octaves-1) of the size), then
on larger ones; after each octave the change it made ("detail") is resized to the next size and
added to that copy, so large patterns grow at coarse scales and fine ones at the full size.
Resizing is linear interpolation along every spatial axis (skimage.transform.resize), so 1-D
signals dream the same way as images. Jitter rolls the input by a random shift at each step
(and the gradient back), which hides the stride artefacts of the pooling grid.
Run by lessons/31_deepdream.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, ShapeError, check_names
from ..nn.layer import positive_int
from ._variants import resolve_batch_size
from ._ascent import check_nonnegative, jitter_shifts, relu_layers, require_sequential, roll, row_mean_abs
from .common import check_input


def deepdream(model, x, target=None, *, layer: str | None = None, steps: int = 10, step_size: float = 0.01,
              octaves: int = 3, octave_scale: float = 1.4, jitter: int = 2, clip="input", seed=0,
              batch_size: int | None = None, backend=None) -> np.ndarray:
    """x changed by gradient ascent on 1/2 ||A_layer||^2, ``steps`` per octave: x's shape (N, C, *spatial).

    layer: any named layer (default the middle ReLU); target is not used (the objective has no class).
    clip: the value range kept after each step: "input" (each row's own [min x, max x]), None
        (no limit) or (low, high).
    """
    require_sequential(model, "deepdream")
    x = check_input(model, x)
    relus = relu_layers(model)
    layer = layer if layer is not None else (relus[len(relus) // 2] if relus else model.names[-1])
    check_names([layer], model.names, "layer")
    steps, octaves = positive_int(steps, "steps", minimum=0), positive_int(octaves, "octaves")
    step_size = check_nonnegative(step_size, "step_size")
    if not (np.isfinite(octave_scale) and octave_scale >= 1):
        raise ParameterError(f"octave_scale: expected a number >= 1, got {octave_scale!r}")
    sizes = _octave_sizes(model, x.shape, layer, octaves, octave_scale)
    axes = tuple(range(1, x.ndim))
    low, high = _bounds(x, clip)
    eta = (step_size * (x.max(axis=axes, keepdims=True) - x.min(axis=axes, keepdims=True))).astype(x.dtype)
    shifts = jitter_shifts(seed, steps * octaves, x.ndim - 2, jitter)
    batch = resolve_batch_size(x, batch_size)
    return np.concatenate([_dream(model, x[i:i + batch], eta[i:i + batch], low[i:i + batch], high[i:i + batch],
                                  layer, steps, sizes, shifts, backend)
                           for i in range(0, len(x), batch)]).astype(x.dtype, copy=False)


def _dream(model, x, eta, low, high, layer, steps, sizes, shifts, backend) -> np.ndarray:
    detail = np.zeros((*x.shape[:2], *sizes[0]), dtype=x.dtype)
    for octave, size in enumerate(sizes):
        base = _resize(x, size)
        image = base + _resize(detail, size)
        for t in range(steps):
            shift = shifts[octave * steps + t]
            trace = model.trace(roll(image, shift), stop=layer, backend=backend)
            g = roll(trace.backward(trace.output).input, -shift)      # dL/dA = A for L = 1/2 ||A||^2
            image = np.clip(image + eta * g / row_mean_abs(g), low, high)
        detail = image - base
    return image


def _octave_sizes(model, shape: tuple, layer: str, octaves: int, scale: float) -> list:
    """Spatial sizes from the smallest octave to x's own; each must still pass through the model."""
    spatial = np.array(shape[2:])
    sizes = [tuple(int(v) for v in np.maximum(1, np.round(spatial / scale ** k))) for k in range(octaves)][::-1]
    try:
        model.output_shape((1, shape[1], *sizes[0]), stop=layer)
    except ShapeError:
        raise ParameterError(f"octaves: the smallest octave {sizes[0]} is too small for the model; use fewer "
                             f"octaves or a smaller octave_scale") from None
    return sizes


def _bounds(x: np.ndarray, clip) -> tuple:
    """(low, high) per row, shaped (N, 1, ...): each row's own range, no limit, or given values."""
    axes, shape = tuple(range(1, x.ndim)), (len(x),) + (1,) * (x.ndim - 1)
    if isinstance(clip, str) and clip == "input":
        return x.min(axis=axes, keepdims=True), x.max(axis=axes, keepdims=True)
    if clip is None:
        return np.full(shape, -np.inf, dtype=x.dtype), np.full(shape, np.inf, dtype=x.dtype)
    if isinstance(clip, str) or np.shape(clip) != (2,):
        raise ParameterError(f"clip: expected 'input', None or (low, high), got {clip!r}")
    return np.full(shape, clip[0], dtype=x.dtype), np.full(shape, clip[1], dtype=x.dtype)


def _resize(a: np.ndarray, size: tuple) -> np.ndarray:
    """a (N, C, *spatial) resized along the spatial axes only (linear interpolation)."""
    if tuple(a.shape[2:]) == tuple(size):
        return a
    from skimage.transform import resize  # lazy: `minixai explain` starts faster
    return resize(a, (*a.shape[:2], *size), order=1, mode="edge", anti_aliasing=False,
                  preserve_range=True).astype(a.dtype, copy=False)
