"""Interpretable features for LIME, SHAP and anchors: segments of the input switched on and off.

A row x (C, *spatial) is cut into M segments (labels 0..M-1 at every position). A binary vector
z in {0, 1}^M describes a perturbed input: segment j keeps x where z_j = 1 and shows the
baseline ("off") where z_j = 0,

    h_x(z) = where(z[labels], x, baseline)           (Ribeiro et al. 2016, section 3.1)

Segments: in 1-D contiguous runs of equal length ("equal"); in 2-D superpixels from
scikit-image ("slic", "quickshift", "felzenszwalb") or a grid of equal blocks ("equal");
or the user's own labels (an integer array shaped like x's spatial size, or one per row), or a
function image -> labels. Baseline: the mean of each segment per channel ("mean", what lime
shows by default), zero ("zero"), a number, or an array shaped like x or one row of it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import NotApplicableError, ParameterError, ShapeError, UnknownNameError
from ..nn.layer import positive_int
from ._baselines import fill_like
from ._predict import as_predict, check_x, scores_and_target
from ._variants import resolve_batch_size

SEGMENTERS = ("auto", "equal", "slic", "quickshift", "felzenszwalb")
# 8 segments of an MNIST-1D signal (5 positions each: exact Shapley values take 2^8 = 256 model
# calls); about 16 superpixels of a 64 x 64 image, few enough for 1000 LIME or Kernel SHAP
# samples to say something and for the anchors' beam search to stay short.
DEFAULT_SEGMENTS = {1: 8, 2: 16}


def segment(x: np.ndarray, segments="auto", n_segments: int | None = None, params: dict | None = None) -> np.ndarray:
    """Labels 0..M_i-1 at every position of each row: int64 (N, *spatial).

    ``segments``: one of SEGMENTERS ("auto": "equal" in 1-D, "slic" in 2-D), an integer array
    (x's spatial shape, or (N, *spatial)), or a function ``image -> labels`` that gets one row
    as (H, W, C) (2-D) or (L, C) (1-D). ``params`` go to the scikit-image function.
    """
    spatial = x.shape[2:]
    if callable(segments):
        return np.stack([_relabel(np.asarray(segments(np.moveaxis(row, 0, -1))), spatial, "segments") for row in x])
    if not isinstance(segments, str):
        labels = np.asarray(segments)
        if labels.size == 0:
            raise ShapeError("segments: expected integer labels for every position, got an empty array")
        if labels.shape == spatial:
            labels = np.broadcast_to(labels, (len(x), *spatial))
        return np.stack([_relabel(row, spatial, "segments") for row in labels])
    if segments not in SEGMENTERS:
        raise UnknownNameError(f"segments: unknown name {segments!r}; valid names are {', '.join(SEGMENTERS)}, "
                               f"or an integer array of labels, or a function")
    n = DEFAULT_SEGMENTS[len(spatial)] if n_segments is None else positive_int(n_segments, "n_segments")
    if segments == "equal" or (segments == "auto" and len(spatial) == 1):
        return np.broadcast_to(_equal(spatial, n), (len(x), *spatial)).copy()
    if len(spatial) != 2:
        raise NotApplicableError(f"segments: {segments!r} superpixels need 2-D images, got x of shape {x.shape}; "
                                 f"use 'equal' in 1-D")
    method = "slic" if segments == "auto" else segments
    return np.stack([_superpixels(row, method, n, dict(params or {})) for row in x])


def _equal(spatial: tuple, n: int) -> np.ndarray:
    """Contiguous equal runs: n in 1-D; a grid of about sqrt(n) x sqrt(n) blocks in 2-D."""
    per_axis = [n] if len(spatial) == 1 else [max(1, int(round(np.sqrt(n))))] * 2
    for size, k in zip(spatial, per_axis):
        if k > size:
            raise ParameterError(f"n_segments: {n} segments do not fit an input of spatial size {spatial}")
    index = [np.arange(size) * k // size for size, k in zip(spatial, per_axis)]
    if len(spatial) == 1:
        return index[0]
    return index[0][:, None] * per_axis[1] + index[1][None, :]


def _superpixels(row: np.ndarray, method: str, n: int, params: dict) -> np.ndarray:
    from skimage.segmentation import felzenszwalb, quickshift, slic

    image = np.moveaxis(row, 0, -1).astype(np.float64)
    span = image.max() - image.min()
    image = (image - image.min()) / (span if span > 0 else 1)    # the defaults assume values in [0, 1]
    rgb = image.shape[-1] == 3
    if image.shape[-1] == 1:
        image = image[..., 0]
    channel_axis = -1 if image.ndim == 3 else None
    if method == "slic":
        # high compactness: texture patches have strong colour edges everywhere, and with the
        # usual 10 slic sometimes returns a single segment for them
        params = {"n_segments": n, "compactness": 30 if rgb else 0.3, "start_label": 0, **params}
        labels = slic(image, channel_axis=channel_axis, convert2lab=rgb, **params)
    elif method == "quickshift":
        if image.ndim == 2:                          # grey -> RGB, so distances use the Lab scale too
            image, rgb = np.repeat(image[..., None], 3, axis=-1), True
        if not rgb:
            image = 100 * image                       # the Lab scale of colour distances
        labels = quickshift(image, **{"kernel_size": 4, "max_dist": 10, "ratio": 0.5, "convert2lab": rgb, **params})
    else:
        labels = felzenszwalb(image, channel_axis=channel_axis, **{"scale": 50, "sigma": 0.8, "min_size": 40, **params})
    return _relabel(labels, row.shape[1:], "segments")


def _relabel(labels: np.ndarray, spatial: tuple, name: str) -> np.ndarray:
    """Any integer labels -> 0..M-1 in order of first value, checked against the spatial shape."""
    labels = np.asarray(labels)
    if labels.shape != spatial:
        raise ShapeError(f"{name}: expected labels of shape {spatial} (x's spatial size) or one such array per row, "
                         f"got shape {labels.shape}")
    if labels.size == 0:
        raise ShapeError(f"{name}: expected at least one segment, got an empty array")
    if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
        if not np.issubdtype(labels.dtype, np.floating) or not np.all(labels == np.round(labels)):
            raise ParameterError(f"{name}: expected integer labels, got dtype {labels.dtype}")
    return np.unique(labels, return_inverse=True)[1].reshape(spatial).astype(np.int64)


def n_features(labels: np.ndarray) -> int:
    """M, the number of segments of one row's labels (0..M-1)."""
    return int(labels.max()) + 1


def fill_values(x: np.ndarray, labels: np.ndarray, baseline="mean") -> np.ndarray:
    """What an "off" segment shows, (N, C, *spatial): its mean per channel, zero, a number or an array."""
    if isinstance(baseline, str):
        if baseline == "zero":
            return np.zeros_like(x)
        if baseline != "mean":
            raise UnknownNameError(f"baseline: unknown name {baseline!r}; valid names are mean, zero, "
                                   f"or a number or an array shaped like x")
        fill = np.empty_like(x)
        for i, (row, lab) in enumerate(zip(x, labels)):
            flat, m = lab.ravel(), n_features(lab)
            count = np.bincount(flat, minlength=m)
            for c in range(x.shape[1]):
                means = np.bincount(flat, weights=row[c].ravel(), minlength=m) / count
                fill[i, c] = means[lab]
        return fill
    return fill_like(baseline, x)


def compose(x_row: np.ndarray, fill_row: np.ndarray, labels_row: np.ndarray, z: np.ndarray) -> np.ndarray:
    """h_x(z) for every z: (S, C, *spatial) from z (S, M) binary."""
    on = np.asarray(z, dtype=bool)[:, labels_row]                  # (S, *spatial)
    return np.where(on[:, None], x_row, fill_row)


def coalition_scores(predict: Callable, x_row: np.ndarray, fill_row: np.ndarray, labels_row: np.ndarray,
                     z: np.ndarray, batch_size: int) -> np.ndarray:
    """predict(h_x(z)) for every row of z, composing at most ``batch_size`` inputs at a time: (S, K)."""
    parts = [predict(compose(x_row, fill_row, labels_row, z[s:s + batch_size]))
             for s in range(0, len(z), batch_size)]
    return np.concatenate(parts)


def to_positions(weights: list, labels: np.ndarray, dtype) -> np.ndarray:
    """Per-feature weights broadcast to the positions of each feature: (N, 1, *spatial)."""
    return np.stack([np.asarray(w)[lab] for w, lab in zip(weights, labels)])[:, None].astype(dtype)


class Features:
    """Everything LIME, SHAP and anchors share for a batch x: the predict function, each row's
    segment labels, fill values, scores and target, and the batch size for composed inputs."""

    def __init__(self, model, x, target=None, *, segments="auto", n_segments=None, segment_params=None,
                 baseline="mean", batch_size=None, backend=None):
        self.predict = as_predict(model, batch_size, backend)
        self.x = check_x(model, x)
        self.labels = segment(self.x, segments, n_segments, segment_params)
        self.fill = fill_values(self.x, self.labels, baseline)
        self.scores, self.target = scores_and_target(self.predict, self.x, target)
        self.batch_size = resolve_batch_size(self.x, batch_size)

    def __len__(self) -> int:
        return len(self.x)

    def m(self, i: int) -> int:
        """M, the number of features of row i."""
        return n_features(self.labels[i])

    def value(self, i: int, z: np.ndarray) -> np.ndarray:
        """y_c(h_x(z)) of row i for every coalition z (S, M): (S,)."""
        scores = coalition_scores(self.predict, self.x[i], self.fill[i], self.labels[i], z, self.batch_size)
        return scores[:, self.target[i]].astype(np.float64)

    def classes(self, i: int, z: np.ndarray) -> np.ndarray:
        """The predicted class of h_x(z) of row i for every coalition z: (S,)."""
        scores = coalition_scores(self.predict, self.x[i], self.fill[i], self.labels[i], z, self.batch_size)
        return scores.argmax(axis=1)

    def to_positions(self, weights: list) -> np.ndarray:
        return to_positions(weights, self.labels, self.x.dtype)
