"""The Numba CPU backend: same contract as ``reference``, compiled.

Every function has the reference's name, signature, shapes and dtypes (float32 and float64);
``minixai.backends.reference`` holds the definitions. Optimisations:

- Convolutions become matrix products that BLAS runs (NumPy matmul), with njit kernels for the
  copies around them (``_numba_kernels``): Winograd F(2x2, 3x3) for 3x3 kernels at stride 1
  between layers of at least ``WINOGRAD_MIN_CHANNELS`` channels (2.25x fewer multiplications,
  and transformed tiles are smaller than im2col's columns); im2col and one product otherwise.
  At stride 1 the input signal is the convolution of the output signal with the kernel flipped,
  so it takes the same routes; col2im is left for strides > 1 and for few input channels.
- The batch runs in chunks of images whose scratch (columns or tiles) stays within
  ``CHUNK_BYTES``: a copy and the product that reads it meet in cache, and no call allocates
  (and page-faults) hundreds of megabytes.
- Max-pooling and global average pooling are njit loops over (n, c) planes, with the
  reference's tie-break and a deterministic scatter-add for overlapping windows.
- ``map`` compiles each scalar function once per dtype into a NumPy ufunc (``numba.vectorize``),
  kept in a dict keyed by the function.
- Kernels are cached on disk (``cache=True``), so a second process starts without compiling.
- Threads: BLAS's, as NumPy sets them (``OPENBLAS_NUM_THREADS``); the njit kernels run serial
  (why: ``_numba_kernels.PARALLEL``).

``NUMBA_DISABLE_JIT=1`` runs the same kernels as plain Python (slow, but steppable).
"""
from __future__ import annotations

import math
import threading

import numba
import numpy as np

from . import _numba_kernels as kernels
# Host NumPy arrays are this backend's arrays too: the array plumbing, the dense layer (one BLAS
# call already) and GAP's broadcast backward are the reference's own functions.
from .reference import (add, asarray, dense_backward_input, dense_backward_params, dense_forward,  # noqa: F401
                        gap_backward, reshape, to_numpy, zeros)

NAME = "numba"

WINOGRAD_MIN_CHANNELS = 16
# Measured on the VGG-7: 1 to 2 MB of scratch per chunk ran fastest single-threaded (it stays in
# a core's 2 MB L2); 8 MB was 10% slower and the whole batch at once 50% slower.
CHUNK_BYTES = 2 << 20

# Winograd F(2x2, 3x3) weight transform U = G w G^T (see ``_numba_kernels``).
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


_ufuncs: dict = {}


def _ufunc(fn, dtype: np.dtype, arity: int):
    """``fn`` compiled into a ufunc ``dtype(dtype, ...)``: compiled (or read from disk) once, then kept."""
    key = (fn, dtype, arity)
    if key not in _ufuncs:
        scalar = numba.from_dtype(dtype)
        signature = scalar(*[scalar] * arity)
        try:
            _ufuncs[key] = numba.vectorize([signature], cache=True)(fn)
        except RuntimeError:  # no source file to cache next to (a lambda typed at a prompt)
            _ufuncs[key] = numba.vectorize([signature])(fn)
    return _ufuncs[key]


def map(fn, *arrays: np.ndarray) -> np.ndarray:
    """Same contract as ``reference.map``: out[i] = fn(a[i], b[i], ...) in the first array's dtype.

    The ufunc has the single signature ``dtype(dtype, ...)``, so a scalar function whose Python
    arithmetic widens (``0.0 * r_out`` is float64) still returns float32 for float32 arrays.
    """
    dtype = arrays[0].dtype
    return _ufunc(fn, dtype, len(arrays))(*[np.asarray(a, dtype=dtype) for a in arrays])


def _output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def _chunks(n: int, bytes_per_image: int):
    """Slices of the batch, each with at most CHUNK_BYTES of scratch (at least one image)."""
    step = max(1, CHUNK_BYTES // max(1, bytes_per_image))
    return [slice(i, min(n, i + step)) for i in range(0, n, step)]


_workspace = threading.local()


def _scratch(slot: str, shape: tuple, dtype) -> np.ndarray:
    """A scratch array for ``slot``, reused from call to call (one set per thread).

    glibc gives freed blocks of a megabyte or so back to the system, so a fresh one is
    page-faulted in again on first touch, call after call; reused scratch is not (and stays
    in cache). Scratch beyond 4 * CHUNK_BYTES (one huge image) is not kept.
    """
    size, dtype = math.prod(shape), np.dtype(dtype)
    if size * dtype.itemsize > 4 * CHUNK_BYTES:
        return np.empty(shape, dtype)
    arrays = _workspace.__dict__.setdefault("arrays", {})
    buffer = arrays.get((slot, dtype))
    if buffer is None or buffer.size < size:
        buffer = arrays[(slot, dtype)] = np.empty(size, dtype)
    return buffer[:size].reshape(shape)


# Winograd-transformed weights of recent layers, by address, shape and dtype: {key: (copy of w, U)}.
_transformed: dict = {}


def _winograd_applies(w_shape: tuple, stride: tuple) -> bool:
    o, c, kh, kw = w_shape
    return (kh, kw) == (3, 3) and tuple(stride) == (1, 1) and min(o, c) >= WINOGRAD_MIN_CHANNELS


def _winograd_weights(w: np.ndarray) -> np.ndarray:
    """U = G w G^T for every (o, c), as 16 matrices (16, O, C); reused while w is unchanged.

    Explainers run the same weights through many forward passes (Score-CAM: one per mask batch),
    and the transform costs about as much as a small batch's convolution (3.9 ms for 128 x 128
    channels), while checking that w still equals a kept copy costs a fortieth of that. The check
    compares values, so weights changed in place (training) are transformed again.
    """
    key = (w.ctypes.data, w.shape, w.dtype.str)
    kept = _transformed.get(key)
    if kept is not None and np.array_equal(kept[0], w):
        return kept[1]
    g = G.astype(w.dtype)
    u = g @ w @ g.T  # (O, C, 4, 4)
    u = np.ascontiguousarray(u.reshape(w.shape[0], w.shape[1], 16).transpose(2, 0, 1))
    if len(_transformed) >= 16:
        _transformed.pop(next(iter(_transformed)))
    _transformed[key] = (w.copy(), u)
    return u


def _channels_first(g: np.ndarray) -> np.ndarray:
    """g (N, O, HO, WO) -> (O, N*HO*WO), the layout of im2col's columns (a scratch array)."""
    n, o, ho, wo = g.shape
    out = _scratch("channels_first", (o, n, ho * wo), g.dtype)
    np.copyto(out, g.reshape(n, o, ho * wo).transpose(1, 0, 2))
    return out.reshape(o, n * ho * wo)


def _tiles(ho: int, wo: int) -> tuple:
    """Number of 2x2 output blocks down and across (edge blocks may stick out)."""
    return (ho + 1) // 2, (wo + 1) // 2


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple, padding: tuple) -> np.ndarray:
    """Same contract as ``reference.conv2d_forward``: Winograd or im2col, then BLAS, chunk by chunk."""
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    ho, wo = _output_size(h, kh, sh, ph), _output_size(wd, kw, sw, pw)
    y = np.empty((n, o, ho, wo), dtype=x.dtype)
    if _winograd_applies(w.shape, stride):
        th, tw = _tiles(ho, wo)
        u = _winograd_weights(w)
        bias = np.zeros(o, x.dtype) if b is None else b
        for s in _chunks(n, 16 * max(c, o) * th * tw * x.itemsize):
            tiles = (s.stop - s.start) * th * tw
            v = _scratch("tiles_in", (16, c, tiles), x.dtype)
            m = _scratch("tiles_out", (16, o, tiles), x.dtype)
            kernels.winograd_input(x[s], ph, pw, th, tw, v)
            kernels.winograd_output(np.matmul(u, v, out=m), bias, th, tw, y[s])
        return y
    w2 = w.reshape(o, c * kh * kw)
    y3 = y.reshape(n, o, ho * wo)
    bias = np.zeros((o, 1), x.dtype) if b is None else b[:, None]
    for s in _chunks(n, c * kh * kw * ho * wo * x.itemsize):
        cols = _scratch("cols", (c * kh * kw, (s.stop - s.start) * ho * wo), x.dtype)
        kernels.im2col(x[s], kh, kw, sh, sw, ph, pw, ho, wo, cols)
        product = np.matmul(w2, cols, out=_scratch("product", (o, cols.shape[1]), x.dtype))
        np.add(product.reshape(o, s.stop - s.start, ho * wo).transpose(1, 0, 2), bias, out=y3[s])
    return y


def conv2d_backward_input(g: np.ndarray, w: np.ndarray, x_shape: tuple, stride: tuple, padding: tuple) -> np.ndarray:
    """Same contract as ``reference.conv2d_backward_input``.

    At stride 1 the transposed convolution is itself a convolution: of g with the kernel flipped
    and its channel axes swapped, padded by kernel - 1 - padding. It takes the forward route
    whenever that is Winograd, or im2col with no more columns than col2im would add up (C >= O);
    otherwise W^T g is scattered back with col2im.
    """
    g, w = np.ascontiguousarray(g), np.ascontiguousarray(w)
    n, o, ho, wo = g.shape
    _, c, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    if (sh, sw) == (1, 1) and ph < kh and pw < kw and (_winograd_applies(w.shape, stride) or c >= o):
        flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        return conv2d_forward(g, flipped, None, (1, 1), (kh - 1 - ph, kw - 1 - pw))
    dx = np.empty(x_shape, dtype=g.dtype)
    w2_t = w.reshape(o, c * kh * kw).T
    for s in _chunks(n, c * kh * kw * ho * wo * g.itemsize):
        g_t = _channels_first(g[s])
        cols = np.matmul(w2_t, g_t, out=_scratch("cols", (c * kh * kw, g_t.shape[1]), g.dtype))
        kernels.col2im(cols, kh, kw, sh, sw, ph, pw, ho, wo, dx[s])
    return dx


def conv2d_backward_params(g: np.ndarray, x: np.ndarray, w_shape: tuple, stride: tuple, padding: tuple) -> tuple:
    """Same contract as ``reference.conv2d_backward_params``: dW and db summed chunk by chunk."""
    g, x = np.ascontiguousarray(g), np.ascontiguousarray(x)
    n, o, ho, wo = g.shape
    _, c, kh, kw = w_shape
    (sh, sw), (ph, pw) = stride, padding
    if _winograd_applies(w_shape, stride):
        th, tw = _tiles(ho, wo)
        du = np.zeros((16, o, c), dtype=g.dtype)
        for s in _chunks(n, 16 * (c + o) * th * tw * g.itemsize):
            tiles = (s.stop - s.start) * th * tw
            v = _scratch("tiles_in", (16, c, tiles), g.dtype)
            m = _scratch("tiles_out", (16, o, tiles), g.dtype)
            kernels.winograd_input(x[s], ph, pw, th, tw, v)
            kernels.winograd_grad_output(g[s], th, tw, m)
            du += np.matmul(m, v.transpose(0, 2, 1))
        gm = G.astype(g.dtype)
        dw = gm.T @ du.transpose(1, 2, 0).reshape(o, c, 4, 4) @ gm
        return dw, g.reshape(n, o, ho * wo).sum(axis=2).sum(axis=0)
    dw = np.zeros((o, c * kh * kw), dtype=g.dtype)
    db = np.zeros(o, dtype=g.dtype)
    for s in _chunks(n, c * kh * kw * ho * wo * g.itemsize):
        cols = _scratch("cols", (c * kh * kw, (s.stop - s.start) * ho * wo), g.dtype)
        kernels.im2col(x[s], kh, kw, sh, sw, ph, pw, ho, wo, cols)
        g_t = _channels_first(g[s])
        dw += g_t @ cols.T
        db += g_t.sum(axis=1)
    return dw.reshape(w_shape), db


def maxpool2d_forward(x: np.ndarray, kernel: tuple, stride: tuple) -> tuple:
    """Same contract as ``reference.maxpool2d_forward`` (first maximum in scan order wins)."""
    x = np.ascontiguousarray(x)
    n, c, h, wd = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = _output_size(h, kh, sh, 0), _output_size(wd, kw, sw, 0)
    y = np.empty((n * c, ho * wo), dtype=x.dtype)
    switches = np.empty((n * c, ho * wo), dtype=np.int64)
    kernels.maxpool_forward(x.reshape(n * c, h * wd), wd, kh, kw, sh, sw, wo, y, switches)
    return y.reshape(n, c, ho, wo), switches.reshape(n, c, ho, wo)


def maxpool2d_backward(g: np.ndarray, switches: np.ndarray, x_shape: tuple) -> np.ndarray:
    """Same contract as ``reference.maxpool2d_backward``: a deterministic scatter-add per plane."""
    n, c, h, wd = x_shape
    dx = np.empty((n * c, h * wd), dtype=g.dtype)
    planes = (n * c, switches.shape[2] * switches.shape[3])
    kernels.maxpool_backward(np.ascontiguousarray(g).reshape(planes), np.ascontiguousarray(switches).reshape(planes), dx)
    return dx.reshape(x_shape)


def gap_forward(x: np.ndarray) -> np.ndarray:
    """Same contract as ``reference.gap_forward`` (a compiled mean per plane)."""
    n, c, h, wd = x.shape
    y = np.empty(n * c, dtype=x.dtype)
    kernels.mean_rows(np.ascontiguousarray(x).reshape(n * c, h * wd), y)
    return y.reshape(n, c)
