"""Weakly supervised localisation: a box around the most salient region of a saliency map.

Simonyan, Vedaldi & Zisserman 2013, https://arxiv.org/abs/1312.6034, section 3.2. Seed
003_9e1ffa84955ffc85.txt, slide "Image-Specific Class Saliency Properties", the bullets "Given
an image and a saliency map:"

    1. threshold the saliency map M: foreground = the top ``threshold`` fraction of positions
       (by="top"), or the positions with M >= threshold max M (by="max")
    2. (the paper: GraphCut colour segmentation initialised with these masks)
    3. the bounding box of the largest connected foreground component

Step 2 is left out: minixai segments the thresholded map itself into connected components
(skimage.measure.label, diagonal neighbours connected), so the box is that of the largest
thresholded region rather than of a GraphCut segment grown from it. This keeps the method the
same in 1-D (a box is an interval [start, stop)) and 2-D (rows [r0, r1), columns [c0, c1)).
Ties between equally large components go to the first in scan order.
M is a map given as an array, or computed by an explainer of ``minixai.explain.EXPLAINERS``
(default "saliency"); its magnitude, maximised over channels, is thresholded (absolute=True).
``box_iou`` scores boxes against ground-truth masks (MNIST-1D's evidence masks).
Run by lessons/32_localize.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, ShapeError, UnknownNameError, as_float_array
from .common import check_input

BY = ("top", "max")


def localize(model, x, target=None, *, saliency_map=None, explainer="saliency", params: dict | None = None,
             threshold: float = 0.2, by: str = "top", absolute: bool = True, return_boxes: bool = False,
             batch_size: int | None = None, backend=None):
    """A mask of the box around the largest salient region: (N, 1, *spatial), 1 inside the box.

    saliency_map: (N, C, *spatial) or (N, *spatial) to localise; None computes it with
        ``explainer`` (a name in EXPLAINERS or a callable with the explainer signature) and ``params``.
    return_boxes: also return the boxes, int (N, 2) [start, stop) in 1-D, (N, 4) (r0, r1, c0, c1) in 2-D.
    """
    if by not in BY:
        raise UnknownNameError(f"by: unknown name {by!r}; valid names are {', '.join(BY)}")
    if isinstance(threshold, bool) or not (isinstance(threshold, (int, float, np.number)) and 0 < threshold <= 1):
        raise ParameterError(f"threshold: expected a fraction in (0, 1], got {threshold!r}")
    x = check_input(model, x)
    M = _map(model, x, target, saliency_map, explainer, params, batch_size, backend)
    M = np.abs(M) if absolute else M
    M = M.max(axis=1)                                                      # (N, *spatial)
    boxes = np.stack([largest_component_box(_foreground(m, threshold, by)) for m in M])
    mask = box_masks(boxes, M.shape[1:])[:, None].astype(x.dtype)
    return (mask, boxes) if return_boxes else mask


def _foreground(m: np.ndarray, threshold: float, by: str) -> np.ndarray:
    """Step 1: the thresholded map; empty where the map has no positive value."""
    if m.max() <= 0:
        return np.zeros(m.shape, dtype=bool)
    if by == "max":
        return m >= threshold * m.max()
    k = max(1, int(np.ceil(threshold * m.size)))
    kth_largest = np.partition(m.ravel(), m.size - k)[m.size - k]
    return (m >= kth_largest) & (m > 0)


def largest_component_box(foreground: np.ndarray) -> np.ndarray:
    """Step 3: the box of the largest connected component, [start, stop) per axis, flattened.

    1-D: (start, stop); 2-D: (r0, r1, c0, c1). An empty foreground gives an empty box (zeros).
    """
    from skimage.measure import label  # lazy: `minixai explain` starts faster
    labels = label(foreground, connectivity=foreground.ndim)
    if labels.max() == 0:
        return np.zeros(2 * foreground.ndim, dtype=np.int64)
    sizes = np.bincount(labels.ravel())[1:]
    where = np.nonzero(labels == 1 + int(sizes.argmax()))
    return np.array([v for axis in where for v in (axis.min(), axis.max() + 1)], dtype=np.int64)


def box_masks(boxes: np.ndarray, shape: tuple) -> np.ndarray:
    """Boolean masks (N, *shape), True inside each row's box ([start, stop) on every axis)."""
    boxes = np.asarray(boxes)
    if boxes.ndim != 2 or boxes.shape[1] != 2 * len(shape):
        raise ShapeError(f"boxes: expected shape (N, {2 * len(shape)}) for {len(shape)}-D maps, got {boxes.shape}")
    masks = np.zeros((len(boxes), *shape), dtype=bool)
    for mask, box in zip(masks, boxes):
        mask[tuple(slice(box[2 * a], box[2 * a + 1]) for a in range(len(shape)))] = True
    return masks


def box_iou(boxes, masks) -> np.ndarray:
    """|box and mask| / |box or mask| per row: boxes (N, 2) or (N, 4), masks bool (N, *spatial).

    Against MNIST-1D's evidence masks (N, 40), where the digit's template landed. 0 when both are empty.
    """
    masks = np.asarray(masks).astype(bool)
    inside = box_masks(boxes, masks.shape[1:])
    union = (inside | masks).sum(axis=tuple(range(1, masks.ndim)))
    overlap = (inside & masks).sum(axis=tuple(range(1, masks.ndim)))
    return np.where(union > 0, overlap / np.maximum(union, 1), 0.0)


def _map(model, x, target, saliency_map, explainer, params, batch_size, backend) -> np.ndarray:
    """The map to localise, (N, C, *spatial): ``saliency_map`` checked, or computed by ``explainer``."""
    if saliency_map is None:
        if isinstance(explainer, str):
            from . import EXPLAINERS
            if explainer not in EXPLAINERS or explainer == "localize":
                valid = ", ".join(name for name in EXPLAINERS if name != "localize")
                raise UnknownNameError(f"explainer: unknown name {explainer!r}; valid names are {valid}")
            explainer = EXPLAINERS[explainer]
        elif not callable(explainer):
            raise ParameterError(f"explainer: expected a name in EXPLAINERS or a callable, got {explainer!r}")
        extra = {"batch_size": batch_size} if batch_size is not None else {}
        saliency_map = explainer(model, x, target, **{"backend": backend, **extra, **(params or {})})
    M = as_float_array(saliency_map, "saliency_map")
    M = M[:, None] if M.ndim == x.ndim - 1 else M
    if M.ndim != x.ndim or M.shape[0] != x.shape[0] or M.shape[2:] != x.shape[2:]:
        raise ShapeError(f"saliency_map: expected shape (N, C, *spatial) or (N, *spatial) matching x "
                         f"{x.shape}, got {np.shape(saliency_map)}")
    return M
