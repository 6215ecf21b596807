"""What the CAM family shares: feature maps A^k at a conv layer, their gradients, upsampling.

Every CAM method (seed 000_8bf5a89bed1f51bd.txt, slide "Class Activation Mapping"; seed
003, "Grad-CAM as a generalisation of CAM") builds a map as a weighted sum of the K feature
maps of one conv layer,

    L^c = ReLU( sum_k w_k^c A^k )          A^k: (positions), w_k^c: one number, or one per position

and the methods differ only in the weights. This module does the rest once:

- ``resolve_layer``: which layer's output holds A. Users name a conv layer (default: the last);
  A is that conv's *rectified* output, the ReLU right after it when there is one, because those
  are the features the head sees (with conv -> ReLU -> GAP -> dense, CAM's w_k multiplies the
  ReLU's output). Without a ReLU after it, A is the conv's own output.
- ``feature_maps``: A, and optionally dS/dA for a signal S at the logits, in bounded batches.
  The model runs as two traces, body (input .. A) and head (A .. logits), so the gradient stops
  at A instead of travelling to the input.
- ``upsample``: linear (1-D) / bilinear (2-D) interpolation with half-pixel centres, the
  convention of ``torch.nn.functional.interpolate(align_corners=False)`` and scikit-image.
- ``finish``: ReLU, upsample to x's size, shape (N, 1, *x's spatial size).

Maps are returned with one channel, (N, 1, L) or (N, 1, H, W), like ``saliency(channel_max=True)``
and Captum's layer attributions, so metrics and plots take every explainer's output alike.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import NotApplicableError, UnknownNameError
from ..nn import Conv1d, Conv2d, ReLU
from ._variants import resolve_batch_size
from .common import _rows, check_input, one_hot, resolve_target


def conv_layers(model) -> list:
    """Names of the model's conv layers, in order."""
    return [name for name, layer in model.layers.items() if isinstance(layer, (Conv1d, Conv2d))]


def resolve_layer(model, layer: str | None) -> str:
    """The name of the layer whose output holds A^k for conv layer ``layer`` (None: the last conv)."""
    convs = conv_layers(model)
    if not convs:
        raise NotApplicableError("layer: the CAM family needs a conv layer, and this model has none")
    if layer is None:
        layer = convs[-1]
    if layer not in convs:
        kind = f"a {type(model.layers[layer]).__name__} layer, not a conv layer" if layer in model.layers else "unknown"
        raise UnknownNameError(f"layer: {layer!r} is {kind}; expected one of the conv layers {convs}")
    after = model.name_after(layer)
    captured = after if after is not None and isinstance(model.layers[after], ReLU) else layer
    if model.name_after(captured) is None:
        raise NotApplicableError(f"layer: conv layer {layer!r} is the model's output; the CAM family needs layers above it")
    return captured


def score_seed(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """dS/dlogits for S = y_target: the one-hot signal (Grad-CAM's default)."""
    return one_hot(target, logits.shape[1], logits.dtype)


def feature_maps(model, x, target=None, *, layer: str | None = None, gradients: bool = True,
                 seed: Callable = score_seed, batch_size: int | None = None, backend=None) -> tuple:
    """(A, G, logits, target): A the feature maps (N, K, *S) at conv layer ``layer``, G = dS/dA.

    S is defined by ``seed(logits, target) -> dS/dlogits`` (default: the target's logit);
    G is None when ``gradients`` is False. ``target`` None picks the predicted class.
    """
    x = check_input(model, x)
    captured = resolve_layer(model, layer)
    head = model.name_after(captured)
    batch_size = resolve_batch_size(x, batch_size)
    maps, grads, outputs, targets = [], [], [], []
    for i in range(0, len(x), batch_size):
        body = model.trace(x[i:i + batch_size], stop=captured, backend=backend)
        A = body.output
        top = model.trace(A, start=head, backend=backend)
        logits = top.output
        t = resolve_target(None if target is None else _rows(target, len(x), i, batch_size), logits)
        maps.append(A)
        outputs.append(logits)
        targets.append(t)
        if gradients:
            grads.append(top.backward(seed(logits, t)).input)
    G = np.concatenate(grads) if gradients else None
    return np.concatenate(maps), G, np.concatenate(outputs), np.concatenate(targets)



def weighted_sum(weights: np.ndarray, A: np.ndarray) -> np.ndarray:
    """sum_k w_k A^k: weights (N, K) or (N, K, *S) times A (N, K, *S) -> (N, *S)."""
    if weights.ndim == 2:
        weights = weights.reshape(weights.shape + (1,) * (A.ndim - 2))
    return (weights * A).sum(axis=1)


def spatial_mean(G: np.ndarray) -> np.ndarray:
    """(1/Z) sum_positions G: (N, K, *S) -> (N, K), Grad-CAM's global-average-pooled gradient."""
    return G.reshape(G.shape[0], G.shape[1], -1).mean(axis=2)


def interpolation_matrix(size_in: int, size_out: int, dtype=np.float64) -> np.ndarray:
    """M (size_out, size_in) with out = M @ in: linear interpolation, half-pixel centres.

    Output sample i sits at input coordinate (i + 0.5) * size_in / size_out - 0.5, clamped to
    [0, size_in - 1]; it mixes the two input samples around that coordinate.
    """
    position = (np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5
    position = np.clip(position, 0, size_in - 1)
    left = np.floor(position).astype(np.int64)
    right = np.minimum(left + 1, size_in - 1)
    frac = position - left
    M = np.zeros((size_out, size_in), dtype=dtype)
    rows = np.arange(size_out)
    np.add.at(M, (rows, left), 1 - frac)
    np.add.at(M, (rows, right), frac)
    return M


def upsample(maps: np.ndarray, size: tuple) -> np.ndarray:
    """(N, *S) -> (N, *size): linear in 1-D, bilinear (separable) in 2-D, half-pixel centres.

    Each axis is a stacked matrix product, one (rows, S) @ M^T per map: np.matmul runs it map by
    map, so a map's result does not depend on the batch around it (one BLAS call over the whole
    batch, as np.tensordot makes, can differ in the last bit with the batch size).
    """
    out = maps if maps.ndim > 2 else maps[:, None]
    for axis, n_out in enumerate(size, start=out.ndim - len(size)):
        M = interpolation_matrix(out.shape[axis], n_out, maps.dtype)
        out = np.moveaxis(np.moveaxis(out, axis, -1) @ M.T, -1, axis)
    return out if maps.ndim > 2 else out[:, 0]


def finish(raw: np.ndarray, x: np.ndarray, *, relu: bool = True, upsample_to_input: bool = True) -> np.ndarray:
    """ReLU (optional), then upsample (N, *S) to x's spatial size; returns (N, 1, *size)."""
    out = np.maximum(raw, 0) if relu else raw
    if upsample_to_input:
        out = upsample(out, x.shape[2:])
    return out[:, None].astype(x.dtype, copy=False)
