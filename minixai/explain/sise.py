"""SISE: RISE with the model's own feature maps as masks, fused from every conv block.

Sattarzadeh, Sudhakar, Lem, Mehryar, Plataniotis, Jang, Kim, Jeong, Lee & Bae 2021, "Explaining
convolutional neural networks through attribution-based input sampling and block-wise feature
aggregation", AAAI, https://arxiv.org/abs/2010.00672. Seed 000_8bf5a89bed1f51bd.txt, slides
"Perturbation-based methods: SISE" (four phases, applied to the last layer of every block):

    1. extraction   A^l_k: the (rectified) feature maps of the last conv layer of block l
    2. selection    keep map k if  beta_k = mean_positions dy_c/dA^l_k > 0  (and >= threshold * max beta)
    3. scoring      M_k = s(Up(A^l_k)) in [0, 1];  V^l = sum_k f_c(x * M_k) M_k      (RISE with these masks)
    4. fusion       F = n(V^deepest); for each shallower block l:  F = n( F + n(V^l) * [F > otsu(F)] )

n() scales a map to [0, 1] (min-max), s() is the same per mask, Up is bilinear (linear in
1-D). Fusion, as we read the paper's figure of the fusion module: the deeper map, binarised by
Otsu's threshold, gates the shallower one (keeping its detail only where the deeper layer saw the
class) and the gated map is added to the deeper one. A flat deeper map gates nothing. f_c is
the class probability (softmax), as in RISE. Blocks end at pooling layers: the block's layer is the
last conv before each max-pool or global average pool (conv1, conv2, conv3 of the MNIST-1D CNN;
conv1_2, conv2_2, conv3_2 of the VGG-7); ``layers`` names them by hand. No randomness: the masks
come from the model. Run by lessons/26_sise.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import NotApplicableError, ParameterError
from ..nn import GlobalAvgPool, MaxPool1d, MaxPool2d, softmax
from ..nn.layer import positive_int
from ._cam import conv_layers, resolve_layer, spatial_mean
from ._predict import as_predict, is_model
from ._variants import resolve_batch_size, targets_of
from .common import check_input, one_hot
from .score_cam import masks as attribution_masks


def block_layers(model) -> list:
    """The last conv layer before each pooling layer (max-pool or GAP): one per block, shallow to deep."""
    convs, blocks, last = conv_layers(model), [], None
    for name, layer in model.layers.items():
        if name in convs:
            last = name
        elif isinstance(layer, (MaxPool1d, MaxPool2d, GlobalAvgPool)) and last is not None:
            blocks.append(last)
            last = None
    return blocks or convs[-1:]


def normalise(v: np.ndarray) -> np.ndarray:
    """n(v) = (v - min) / (max - min) over one map; a flat map becomes zeros."""
    span = v.max() - v.min()
    return (v - v.min()) / span if span > 0 else np.zeros_like(v)


def fuse(maps: list) -> np.ndarray:
    """Phase 4 for one row: visualization maps ordered deep to shallow -> the explanation map in [0, 1]."""
    F = normalise(maps[0])
    for V in maps[1:]:
        from skimage.filters import threshold_otsu  # lazy: `minixai explain` starts faster
        gate = F > threshold_otsu(F) if np.ptp(F) > 0 else np.ones(F.shape, bool)
        F = normalise(F + normalise(V) * gate)
    return F


def visualization_map(predict, x: np.ndarray, target: int, A: np.ndarray, beta: np.ndarray, threshold: float,
                      max_maps: int | None, probability: bool) -> np.ndarray:
    """Phases 2-3 for one row x (1, C, ...): V = sum_k f_c(x * M_k) M_k over the selected maps."""
    chosen = np.flatnonzero((beta > 0) & (beta >= threshold * beta.max()))
    if max_maps is not None:
        chosen = chosen[np.argsort(-beta[chosen], kind="stable")[:max_maps]]
    if len(chosen) == 0:
        return np.zeros(x.shape[2:])
    M = attribution_masks(A[None, chosen], x.shape[2:])[0]              # (k, *spatial) in [0, 1]
    out = predict(x * M[:, None])
    score = (softmax(out) if probability else out)[:, target]         # f_c(x * M_k)
    return (score.reshape((-1,) + (1,) * (M.ndim - 1)) * M).sum(axis=0)


def sise(model, x, target=None, *, layers=None, threshold: float = 0.0, max_maps: int | None = None,
         probability: bool = True, batch_size: int | None = None, backend=None) -> np.ndarray:
    """The fused SISE map over the blocks' last conv layers: (N, 1, *x's spatial size), values in [0, 1].

    layers: conv layer names (default: the last conv of each block, see ``block_layers``).
    threshold: keep maps with beta_k >= threshold * max beta (and beta_k > 0); max_maps: at most
    that many maps a layer, the largest beta first. batch_size bounds the masked inputs per call.
    """
    if not is_model(model):
        raise NotApplicableError("model: sise needs a minixai model (feature maps and their gradients), "
                                 "not a predict function")
    x = check_input(model, x)
    if not (np.isfinite(threshold) and 0 <= threshold <= 1):
        raise ParameterError(f"threshold: expected a fraction in [0, 1], got {threshold!r}")
    max_maps = None if max_maps is None else positive_int(max_maps, "max_maps")
    convs = block_layers(model) if layers is None else list(layers)
    if not convs:
        raise NotApplicableError("layers: sise needs conv layers, and this model has none")
    captured = sorted({resolve_layer(model, name) for name in convs}, key=model.names.index)
    target = targets_of(model, x, target, batch_size, backend)
    predict = as_predict(model, batch_size, backend)
    group = resolve_batch_size(x, batch_size)
    out = np.zeros((len(x), 1, *x.shape[2:]), dtype=x.dtype)
    for r in range(0, len(x), group):
        rows = slice(r, r + group)
        trace = model.trace(x[rows], backend=backend)
        signals = trace.backward(one_hot(target[rows], trace.output.shape[1], x.dtype), keep=captured)
        per_layer = [(trace.activation(c), spatial_mean(signals.layers[c])) for c in reversed(captured)]
        for i in range(len(trace.output)):
            maps = [visualization_map(predict, x[r + i:r + i + 1], target[r + i], A[i], beta[i], threshold,
                                      max_maps, probability) for A, beta in per_layer]
            out[r + i, 0] = fuse(maps)
    return out
