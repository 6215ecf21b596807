"""Run the model on many variants of x in bounded batches: the loop IG, SmoothGrad, RISE share.

Integrated Gradients needs the gradient at every step of a path, SmoothGrad at every noisy copy,
RISE and Score-CAM the score of every masked input, LIME and SHAP of every coalition (DESIGN
section 10, "Batches of perturbed inputs"). All of them are "variant k of row i, for k < n".
A method describes its variants with one function

    variant(k, rows) -> array (len(rows), C, ...)     # variant k of the rows x[rows]

and this module walks the stream (k = 0, i = 0..N-1), (k = 1, i = 0..N-1), ... in batches of at
most ``batch_size`` inputs, so memory stays flat however many variants there are. Sums over k
are added in the order k = 0, 1, 2, ... whatever the batch size, so results do not depend on it
beyond the model's own rounding: BLAS may round one row's products differently in batches of
different sizes (seen up to 1.5e-5 in float32 logits, a few ulps in float64), so tests of batch
invariance compare exactly only where the backend's products are per row.
"""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from ..nn.layer import positive_int
from .common import one_hot, resolve_target


# Inputs per batch when none is given: about 2**16 input values (1638 MNIST-1D rows, 5 RGB
# 64 x 64 images). Large enough to pay the per-call costs (Python, kernel launches, thread
# start-up) rarely: IG on 100 MNIST-1D samples took 3.5 s in batches of 250, 1.8 s of 1000 and
# 2.2 s of 5000 (one shared, busy machine); small enough to keep activations in cache-friendly MB.
BATCH_VALUES = 2 ** 16


def resolve_batch_size(x: np.ndarray, batch_size: int | None) -> int:
    """``batch_size`` checked, or for None the number of rows of x that hold about BATCH_VALUES values."""
    if batch_size is None:
        return max(1, BATCH_VALUES // int(np.prod(x.shape[1:])))
    return positive_int(batch_size, "batch_size")


def variant_pieces(n_rows: int, n_variants: int, batch_size: int) -> Iterator[list]:
    """Batches of the stream, each a list of pieces (k, rows): at most ``batch_size`` inputs a batch."""
    batch, size = [], 0
    for k in range(n_variants):
        start = 0
        while start < n_rows:
            stop = min(n_rows, start + batch_size - size)
            batch.append((k, slice(start, stop)))
            size += stop - start
            start = stop
            if size == batch_size:
                yield batch
                batch, size = [], 0
    if batch:
        yield batch


def targets_of(model, x: np.ndarray, target=None, batch_size: int | None = None, backend=None) -> np.ndarray:
    """One class per row, chosen on x itself (not on its variants): None -> the predicted class."""
    if target is None:
        return model.predict(x, batch_size=resolve_batch_size(x, batch_size), backend=backend)
    return resolve_target(target, np.empty(model.output_shape(x.shape)))


def gradients_over_variants(model, x: np.ndarray, target: np.ndarray, variant: Callable, n: int, *,
                            batch_size: int | None = None, rule=None, backend=None) -> Iterator[tuple]:
    """Yield (k, rows, r_in): the rule's input signal of y_target at variant k of x[rows].

    ``target`` holds one class per row of x (see ``targets_of``); with the gradient rule (the
    default) r_in = d y_target / d x at the variant. Pieces come in stream order.
    """
    batch_size = resolve_batch_size(x, batch_size)
    for pieces in variant_pieces(len(x), positive_int(n, "n"), batch_size):
        inputs = np.concatenate([variant(k, rows) for k, rows in pieces]).astype(x.dtype, copy=False)
        trace = model.trace(inputs, backend=backend)
        classes = np.concatenate([target[rows] for _, rows in pieces])
        seed = one_hot(classes, trace.records[-1].y.shape[1], x.dtype)
        signal = trace.backward(seed, rule=rule).input
        start = 0
        for k, rows in pieces:
            stop = start + rows.stop - rows.start
            yield k, rows, signal[start:stop]
            start = stop


def sum_gradients(model, x: np.ndarray, target: np.ndarray, variant: Callable, weights, *,
                  squares: bool = False, batch_size: int | None = None, rule=None, backend=None) -> tuple:
    """(sum_k w_k g_k, sum_k w_k g_k^2 or None) per row of x, g_k the signal at variant k; n = len(weights).

    The sums are the IG quadrature and the SmoothGrad means; each row's terms are added in the
    order k = 0, 1, ..., so the batch size does not change them.
    """
    weights = np.asarray(weights, dtype=x.dtype)
    total = np.zeros_like(x)
    total_sq = np.zeros_like(x) if squares else None
    for k, rows, g in gradients_over_variants(model, x, target, variant, len(weights), batch_size=batch_size,
                                              rule=rule, backend=backend):
        total[rows] += weights[k] * g
        if squares:
            total_sq[rows] += weights[k] * g * g
    return total, total_sq


def scores_over_variants(model, x: np.ndarray, variant: Callable, n: int, *, batch_size: int | None = None,
                         start: str | None = None, stop: str | None = None, backend=None) -> np.ndarray:
    """Outputs of layers ``start``..``stop`` (default: the logits) at every variant: (n, N, ...).

    Forward only, for perturbation methods (RISE, Score-CAM re-entering at ``start``, LIME, SHAP).
    """
    return outputs_over_variants(lambda inputs: model.forward(inputs, start=start, stop=stop, backend=backend), x,
                                 variant, positive_int(n, "n"), resolve_batch_size(x, batch_size))


def outputs_over_variants(function: Callable, x: np.ndarray, variant: Callable, n: int, batch_size: int) -> np.ndarray:
    """function(inputs) at variant k of every row of x, k < n: (n, N, ...), at most ``batch_size``
    inputs a call; the stream order makes the result independent of the batch size."""
    out = None
    for pieces in variant_pieces(len(x), n, batch_size):
        inputs = np.concatenate([variant(k, rows) for k, rows in pieces]).astype(x.dtype, copy=False)
        y = function(inputs)
        if out is None:
            out = np.empty((n, len(x), *y.shape[1:]), dtype=y.dtype)
        offset = 0
        for k, rows in pieces:
            size = rows.stop - rows.start
            out[k, rows] = y[offset:offset + size]
            offset += size
    return out
