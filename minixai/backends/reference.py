"""The NumPy reference backend: the readable definition of every op minixai runs.

Every backend (this one, ``numba_cpu``, ``cuda``) exposes the same functions with the same
signatures; tests check that they agree. Layouts follow PyTorch: images ``(N, C, H, W)``,
conv weights ``(O, C, KH, KW)``, dense weights ``(OUT, IN)``. 1-D layers run these 2-D ops
on images of height 1, so each op is written (and checked) once.

Output size of a convolution or pooling window along one axis (cs231n's formula)::

    out = (size + 2 * padding - kernel) // stride + 1

Loops appear where the loop is the lesson: a convolution is a sum over kernel offsets of
shifted, strided copies of the input; max-pooling keeps a *switch* (where the maximum was)
that the backward pass routes the signal through (seed 003_9e1ffa84955ffc85.txt, the table
"Layer | Forward pass | DeconvNet | Back-prop w.r.t. input"). Ties break to the first maximum
in scan order on every backend.
"""
from __future__ import annotations

import numpy as np

NAME = "numpy"


def asarray(a: np.ndarray) -> np.ndarray:
    """Host array -> backend array (here the same C-contiguous NumPy array)."""
    return np.ascontiguousarray(a)


def to_numpy(a) -> np.ndarray:
    """Backend array -> host NumPy array."""
    return np.asarray(a)


def zeros(shape: tuple, dtype) -> np.ndarray:
    """A backend array of zeros."""
    return np.zeros(shape, dtype=dtype)


def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b for two arrays of one shape (injected signals are added this way)."""
    return a + b


def reshape(a: np.ndarray, shape: tuple) -> np.ndarray:
    """The same values in a new shape (no copy where possible)."""
    return a.reshape(shape)


def map(fn, *arrays: np.ndarray) -> np.ndarray:
    """out[i] = fn(a[i], b[i], ...) for a scalar function ``fn`` over arrays of one shape.

    Rule cells such as ``r_out if x > 0 else 0`` are scalar functions; this reference applies
    them element by element (slow and obvious), the other backends compile them.
    """
    out = np.empty(arrays[0].shape, dtype=arrays[0].dtype)
    flat_out = out.reshape(-1)
    flat_in = [a.reshape(-1) for a in arrays]
    for i in range(flat_out.size):
        flat_out[i] = fn(*(a[i] for a in flat_in))
    return out


def _output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple, padding: tuple) -> np.ndarray:
    """y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * xpad[n, c, i*sh + p, j*sw + q].

    x (N, C, H, W), w (O, C, KH, KW), b (O,) or None -> y (N, O, HO, WO). Zero padding.
    Loop nest: for each kernel offset (p, q), add w[:, :, p, q] times the strided input window.
    """
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    ho, wo = _output_size(h, kh, sh, ph), _output_size(wd, kw, sw, pw)
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((n, o, ho, wo), dtype=x.dtype)
    for p in range(kh):
        for q in range(kw):
            window = xpad[:, :, p:p + sh * ho:sh, q:q + sw * wo:sw]  # (N, C, HO, WO)
            y += np.einsum("oc,nchw->nohw", w[:, :, p, q], window)
    if b is not None:
        y += b[None, :, None, None]
    return y


def conv2d_backward_input(g: np.ndarray, w: np.ndarray, x_shape: tuple, stride: tuple, padding: tuple) -> np.ndarray:
    """dx = W^T g: the transposed convolution, each output's signal sent back along its weights.

    g (N, O, HO, WO), w (O, C, KH, KW) -> dx of x_shape (N, C, H, W).
    """
    n, c, h, wd = x_shape
    _, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    ho, wo = g.shape[2:]
    dxpad = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=g.dtype)
    for p in range(kh):
        for q in range(kw):
            dxpad[:, :, p:p + sh * ho:sh, q:q + sw * wo:sw] += np.einsum("oc,nohw->nchw", w[:, :, p, q], g)
    return dxpad[:, :, ph:ph + h, pw:pw + wd]


def conv2d_backward_params(g: np.ndarray, x: np.ndarray, w_shape: tuple, stride: tuple, padding: tuple) -> tuple:
    """dw[o, c, p, q] = sum_{n, i, j} g[n, o, i, j] * xpad[n, c, i*sh + p, j*sw + q]; db[o] = sum g[n, o].

    g (N, O, HO, WO), x (N, C, H, W) -> (dw of w_shape, db (O,)).
    """
    _, _, kh, kw = w_shape
    (sh, sw), (ph, pw) = stride, padding
    ho, wo = g.shape[2:]
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dw = np.zeros(w_shape, dtype=g.dtype)
    for p in range(kh):
        for q in range(kw):
            window = xpad[:, :, p:p + sh * ho:sh, q:q + sw * wo:sw]
            dw[:, :, p, q] = np.einsum("nohw,nchw->oc", g, window)
    return dw, g.sum(axis=(0, 2, 3))


def maxpool2d_forward(x: np.ndarray, kernel: tuple, stride: tuple, switches: bool = True) -> tuple:
    """y[n, c, i, j] = max over the window at (i*sh, j*sw); switches = flat index h*W + w of the max.

    x (N, C, H, W) -> (y (N, C, HO, WO), switches int64 (N, C, HO, WO)), or (y, None) when
    ``switches`` is False (a pass that keeps no record, ``Layer.infer``). No padding.
    The scan starts at the window's first element and goes row by row; only a strictly larger
    value moves the switch, so ties go to the first maximum in scan order (the same on every
    backend). A NaN therefore wins only where it comes first in its window; model inputs are
    checked for NaN, so none arises from them.
    """
    n, c, h, wd = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = _output_size(h, kh, sh, 0), _output_size(wd, kw, sw, 0)
    rows = np.arange(ho)[:, None] * sh
    cols = np.arange(wo)[None, :] * sw
    y = x[:, :, 0:sh * ho:sh, 0:sw * wo:sw].copy()
    where = np.broadcast_to(rows * wd + cols, y.shape).astype(np.int64)
    for p in range(kh):
        for q in range(kw):
            candidate = x[:, :, p:p + sh * ho:sh, q:q + sw * wo:sw]
            larger = candidate > y
            y = np.where(larger, candidate, y)
            where = np.where(larger, (rows + p) * wd + (cols + q), where)
    return y, (where if switches else None)


def maxpool2d_backward(g: np.ndarray, switches: np.ndarray, x_shape: tuple) -> np.ndarray:
    """dx[switch] += g: each window's signal goes to the input that won the forward max.

    Overlapping windows (kernel > stride) may share a winner, whose signals then add up.
    """
    n, c, h, wd = x_shape
    dx = np.zeros((n * c, h * wd), dtype=g.dtype)
    planes = np.arange(n * c)[:, None]
    windows = switches.shape[2] * switches.shape[3]  # not -1: an empty batch has nothing to infer it from
    np.add.at(dx, (planes, switches.reshape(n * c, windows)), g.reshape(n * c, windows))
    return dx.reshape(x_shape)


def gap_forward(x: np.ndarray) -> np.ndarray:
    """y[n, c] = mean over (h, w) of x[n, c]. x (N, C, H, W) -> (N, C)."""
    return x.mean(axis=(2, 3))


def gap_backward(g: np.ndarray, x_shape: tuple) -> np.ndarray:
    """dx[n, c, h, w] = g[n, c] / (H W): every position shares its channel's signal equally."""
    h, wd = x_shape[2:]
    return np.broadcast_to(g[:, :, None, None] / (h * wd), x_shape).astype(g.dtype)


def dense_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """y = x W^T + b. x (N, IN), w (OUT, IN), b (OUT,) or None -> (N, OUT)."""
    y = x @ w.T
    return y if b is None else y + b


def dense_backward_input(g: np.ndarray, w: np.ndarray) -> np.ndarray:
    """dx = g W. g (N, OUT), w (OUT, IN) -> (N, IN)."""
    return g @ w


def dense_backward_params(g: np.ndarray, x: np.ndarray) -> tuple:
    """(dW, db) = (g^T x, sum_n g). g (N, OUT), x (N, IN)."""
    return g.T @ x, g.sum(axis=0)
