"""Occlusion sensitivity: how much the score drops when a window of the input is hidden.

Zeiler & Fergus 2014, "Visualizing and understanding convolutional networks", section 4.2,
https://arxiv.org/abs/1311.2901. Seed 004_2a6fa647e63a0a0a.txt, slide "Occlusion Sensitivity":
"if ||f(x) - f(x_-i)|| is large, then the dimension must have been important", with whole
patches removed rather than single pixels.

A window of ``window`` positions (per spatial axis) slides over x with step ``stride``; each
placement w replaces x inside the window (every channel) with the baseline (0 by default):

    d_w = y_c(x) - y_c(x with window w occluded)                         (1)
    R_p = mean of d_w over the windows w that cover position p           (2)

Positive R: hiding p lowered the class score. For a linear model y_c = sum_p w_p x_p and a zero
baseline, d_w = sum_{p in w} w_p x_p exactly (tested). Needs only a predict function.
Run by lessons/22_occlusion.py.
"""
from __future__ import annotations

import itertools

import numpy as np

from ..errors import ParameterError, ShapeError
from ..nn.layer import positive_int
from ._baselines import fill_like
from ._predict import as_predict, check_x, scores_and_target, scores_of_variants
from ._variants import resolve_batch_size

DEFAULT_WINDOW = {1: 5, 2: 8}


def occlusion(model, x, target=None, *, window=None, stride=None, baseline=0.0,
              batch_size: int | None = None, backend=None) -> np.ndarray:
    """R_p (eq. 2) for every position: (N, 1, *x's spatial size).

    ``model``: a minixai model or a callable predict(x) -> scores (n, K). ``window`` and
    ``stride``: an int for every spatial axis or one per axis (default 5 in 1-D, 8 x 8 in 2-D,
    stride half the window). ``baseline``: a number or an array broadcastable to x.
    """
    predict = as_predict(model, batch_size, backend)
    x = check_x(model, x)
    windows = placements(x.shape[2:], window, stride)
    fill = fill_like(baseline, x)
    scores, target = scores_and_target(predict, x, target)

    def occluded(k, rows):
        variant = x[rows].copy()
        variant[(slice(None), slice(None), *windows[k])] = fill[rows][(slice(None), slice(None), *windows[k])]
        return variant

    hidden = scores_of_variants(predict, x, occluded, len(windows), resolve_batch_size(x, batch_size))
    rows = np.arange(len(x))
    drop = scores[rows, target][None] - hidden[:, rows, target]         # eq. 1, (windows, N)
    total = np.zeros((len(x), *x.shape[2:]), dtype=np.float64)
    count = np.zeros(x.shape[2:], dtype=np.int64)
    for d, w in zip(drop, windows):
        total[(slice(None), *w)] += d.reshape((-1,) + (1,) * len(w))
        count[w] += 1
    return (total / count)[:, None].astype(x.dtype)                    # eq. 2


def placements(spatial: tuple, window=None, stride=None) -> list:
    """Every window placement as a tuple of slices; the last start on each axis is size - window."""
    dims = len(spatial)
    if window is None:
        window = tuple(min(DEFAULT_WINDOW[dims], size) for size in spatial)
    window = _per_axis(window, dims, "window")
    stride = tuple(max(1, w // 2) for w in window) if stride is None else _per_axis(stride, dims, "stride")
    if any(w > size for w, size in zip(window, spatial)):
        raise ParameterError(f"window: {window} is larger than the input's spatial size {spatial}")
    if any(s > w for s, w in zip(stride, window)):
        raise ParameterError(f"stride: {stride} is larger than the window {window}, which would leave positions "
                             f"that no window covers")
    starts = []
    for size, w, s in zip(spatial, window, stride):
        axis = list(range(0, size - w + 1, s))
        if axis[-1] != size - w:                    # cover the far edge too
            axis.append(size - w)
        starts.append(axis)
    return [tuple(slice(a, a + w) for a, w in zip(corner, window)) for corner in itertools.product(*starts)]


def _per_axis(value, dims: int, name: str) -> tuple:
    values = (value,) * dims if np.ndim(value) == 0 else tuple(value)
    if len(values) != dims:
        raise ShapeError(f"{name}: expected an int or {dims} ints (one per spatial axis), got {value!r}")
    return tuple(positive_int(v, name) for v in values)

