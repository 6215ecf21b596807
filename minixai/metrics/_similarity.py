"""Similarity of two batches of maps, one number per row: what the sanity checks compare.

Adebayo et al. 2018 compare a map with the map after randomisation by Spearman rank correlation
(of the signed map and of its magnitude), SSIM, and the correlation of HOG features; SSIM and
HOG work on the magnitude map scaled to [0, 1]. Used by ``sanity.py`` and lessons 07, 08, 42.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from ..errors import ShapeError

SIMILARITIES = ("spearman", "spearman_abs", "ssim", "hog")


def rowwise_correlation(a, b) -> np.ndarray:
    """Pearson correlation of each row's map in a with the same row's map in b: (N,).

    Maps of any shape (N, ...) are flattened per row; a constant map correlates 0 with anything.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    a, b = a - a.mean(1, keepdims=True), b - b.mean(1, keepdims=True)
    return (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1) + 1e-30)


def spearman(a, b) -> np.ndarray:
    """Spearman rank correlation per row: the Pearson correlation of the (average-tie) ranks."""
    a, b = np.asarray(a).reshape(len(a), -1), np.asarray(b).reshape(len(b), -1)
    return rowwise_correlation(rankdata(a, axis=1), rankdata(b, axis=1))


def spearman_abs(a, b) -> np.ndarray:
    """Spearman rank correlation of |a| and |b| per row (a sign flip does not count)."""
    return spearman(np.abs(a), np.abs(b))


def magnitude_map(a) -> np.ndarray:
    """(N, C, *S) -> (N, *S): sum over channels of |a|, scaled to [0, 1] per row (zero stays zero)."""
    m = np.abs(np.asarray(a, np.float64)).sum(axis=1)
    low = m.reshape(len(m), -1).min(1).reshape((-1,) + (1,) * (m.ndim - 1))
    m = m - low
    top = m.reshape(len(m), -1).max(1).reshape((-1,) + (1,) * (m.ndim - 1))
    return np.divide(m, top, out=np.zeros_like(m), where=top > 0)


def ssim(a, b) -> np.ndarray:
    """SSIM per row of the normalised magnitude maps (data range 1), with scikit-image.

    Window 7 (scikit-image's default; 7 samples in 1-D, 7 x 7 in 2-D), or the largest odd size
    that fits a smaller map. scikit-image's SSIM is defined in any dimension, so 1-D maps need
    no reshaping.
    """
    from skimage.metrics import structural_similarity
    ma, mb = magnitude_map(a), magnitude_map(b)
    side = min(ma.shape[1:])
    if side < 3:
        raise ShapeError(f"ssim: maps must be at least 3 positions along each axis, got {ma.shape[1:]}")
    window = min(7, side if side % 2 else side - 1)
    return np.array([structural_similarity(p, q, data_range=1.0, win_size=window) for p, q in zip(ma, mb)])


def _l2_hys(blocks: np.ndarray, clip: float = 0.2) -> np.ndarray:
    """Dalal & Triggs' block normalisation: L2-normalise, clip at 0.2, L2-normalise again."""
    blocks = blocks / np.sqrt((blocks ** 2).sum(-1, keepdims=True) + 1e-10)
    blocks = np.minimum(blocks, clip)
    return blocks / np.sqrt((blocks ** 2).sum(-1, keepdims=True) + 1e-10)


def hog_1d(m: np.ndarray, cell: int = 4, block: int = 2) -> np.ndarray:
    """HOG of a 1-D map: per cell of ``cell`` samples, two orientation bins (rising, falling)
    weighted by |gradient|; blocks of ``block`` cells, L2-Hys normalised, concatenated.

    The 1-D reduction of scikit-image's ``hog``: the same centred difference m[i+1] - m[i-1]
    (zero at the ends), and a line has only two orientations.
    """
    g = np.zeros_like(m)
    g[1:-1] = m[2:] - m[:-2]
    cells = max(len(m) // cell, 1)
    g = g[:cells * cell].reshape(cells, -1)
    hist = np.stack([np.clip(g, 0, None).sum(1), np.clip(-g, 0, None).sum(1)], axis=1) / g.shape[1]
    block = min(block, cells)
    blocks = np.stack([hist[i:i + block].ravel() for i in range(cells - block + 1)])
    return _l2_hys(blocks).ravel()


def hog(a, b) -> np.ndarray:
    """Pearson correlation per row of the HOG features of the normalised magnitude maps.

    2-D: scikit-image's ``hog`` (9 orientations, 8 x 8 cells or a quarter of a smaller map,
    2 x 2 blocks, L2-Hys). 1-D: ``hog_1d`` (cells of 4 samples, 2 orientations, blocks of 2).
    """
    ma, mb = magnitude_map(a), magnitude_map(b)
    if ma.ndim == 2:
        features = hog_1d
    elif ma.ndim == 3:
        from skimage.feature import hog as skimage_hog
        cell = max(1, min(8, min(ma.shape[1:]) // 4))

        def features(m):
            return skimage_hog(m, orientations=9, pixels_per_cell=(cell, cell), cells_per_block=(2, 2),
                               block_norm="L2-Hys", feature_vector=True)
    else:
        raise ShapeError(f"hog: expected 1-D or 2-D maps, got maps of shape {ma.shape[1:]}")
    return rowwise_correlation(np.stack([features(m) for m in ma]), np.stack([features(m) for m in mb]))


SIMILARITY_FUNCTIONS = {"spearman": spearman, "spearman_abs": spearman_abs, "ssim": ssim, "hog": hog}
