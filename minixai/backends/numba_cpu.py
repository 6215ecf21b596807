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
- Freed arrays stay in the heap for the next pass instead of going back to the system
  (``_malloc``; ``MINIXAI_KEEP_FREED_MEMORY=0`` turns it off).
- Threads: as many as BLAS has (``OPENBLAS_NUM_THREADS``). A convolution's chunks are shared
  among them, each chunk's copies and product in one thread with BLAS held to one thread
  meanwhile (``_each_chunk``); a single chunk gets BLAS's threads for its product. The njit
  kernels themselves are compiled serial (why: ``_numba_kernels.PARALLEL``).

``NUMBA_DISABLE_JIT=1`` runs the same kernels as plain Python (slow, but steppable).
"""
from __future__ import annotations

import functools
import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from threadpoolctl import ThreadpoolController

from . import _numba_kernels as kernels
from ._malloc import keep_freed_memory
# Host NumPy arrays are this backend's arrays too: the array plumbing, the dense layer (one BLAS
# call already) and GAP's broadcast backward are the reference's own functions.
from .reference import (add, asarray, dense_backward_input, dense_backward_params, dense_forward,  # noqa: F401
                        gap_backward, reshape, to_numpy, zeros)

NAME = "numba"

MALLOC_TUNED = keep_freed_memory()  # see ``_malloc``: no page faults for each pass's fresh arrays

WINOGRAD_MIN_CHANNELS = 16
# Measured on the VGG-7: 1 to 2 MB of scratch per chunk ran fastest single-threaded (1 and 2 MB
# came out even; a core has 1 MB of L2 and shares 32 MB of L3); 8 MB was 10% slower and the
# whole batch at once 50% slower.
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


def _each_chunk(work, chunks: list) -> list:
    """``[work(s) for s in chunks]``, the chunks shared among ``_threads()`` threads when there are
    several chunks and several threads.

    A chunk's copies (njit, nogil) and its product run in one thread, with BLAS held to one
    thread meanwhile, so both cores work on the copies too instead of BLAS alone. Each chunk
    writes its own slice of the output (or returns its own partial sum, added up in chunk order
    by the caller), so the result has the same bits as the serial loop.
    """
    threads = min(len(chunks), _threads())
    # One parallel region at a time: another thread's call meanwhile runs its chunks serially
    # (BLAS is held to one thread then), and the limit is restored by the call that set it.
    if threads < 2 or not _one_region.acquire(blocking=False):
        return [work(s) for s in chunks]
    try:
        with _blas().limit(limits=1):
            return list(_pool(threads).map(work, chunks))
    finally:
        _one_region.release()


_one_region = threading.Lock()


@functools.lru_cache(maxsize=1)
def _blas():
    """threadpoolctl's handle on the BLAS libraries NumPy loaded."""
    return ThreadpoolController().select(user_api="blas")


def _threads() -> int:
    """How many threads the chunks share: as many as BLAS runs (``OPENBLAS_NUM_THREADS``, or
    ``threadpoolctl.threadpool_limits`` around a call)."""
    return max([lib.num_threads for lib in _blas().lib_controllers] or [1])


@functools.lru_cache(maxsize=4)
def _pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(threads, thread_name_prefix="minixai-chunks")


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


def _im2col(x: np.ndarray, kh, kw, sh, sw, ph, pw, ho, wo, cols: np.ndarray) -> None:
    """cols of x (see ``kernels.im2col``); 1-D signals at stride 1 take ``kernels.im2col_1d``."""
    n, c, h, w = x.shape
    if (h, kh, sh, sw, ph) == (1, 1, 1, 1, 0):
        kernels.im2col_1d(x, kw, pw, wo, cols, _scratch("padded", (c, n, w + 2 * pw), x.dtype))
    else:
        kernels.im2col(x, kh, kw, sh, sw, ph, pw, ho, wo, cols)


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

        def winograd(s):
            tiles = (s.stop - s.start) * th * tw
            v = _scratch("tiles_in", (16, c, tiles), x.dtype)
            m = _scratch("tiles_out", (16, o, tiles), x.dtype)
            kernels.winograd_input(x[s], ph, pw, th, tw, v)
            kernels.winograd_output(np.matmul(u, v, out=m), bias, th, tw, y[s])

        _each_chunk(winograd, _chunks(n, 16 * max(c, o) * th * tw * x.itemsize))
        return y
    w2 = w.reshape(o, c * kh * kw)
    y3 = y.reshape(n, o, ho * wo)
    bias = np.zeros(o, x.dtype) if b is None else np.ascontiguousarray(b, x.dtype)

    def im2col(s):
        cols = _scratch("cols", (c * kh * kw, (s.stop - s.start) * ho * wo), x.dtype)
        _im2col(x[s], kh, kw, sh, sw, ph, pw, ho, wo, cols)
        product = np.matmul(w2, cols, out=_scratch("product", (o, cols.shape[1]), x.dtype))
        kernels.add_bias_channels_first(product.reshape(o, s.stop - s.start, ho * wo), bias, y3[s])

    _each_chunk(im2col, _chunks(n, c * kh * kw * ho * wo * x.itemsize))
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

    def col2im(s):
        g_t = _channels_first(g[s])
        cols = np.matmul(w2_t, g_t, out=_scratch("cols", (c * kh * kw, g_t.shape[1]), g.dtype))
        kernels.col2im(cols, kh, kw, sh, sw, ph, pw, ho, wo, dx[s])

    _each_chunk(col2im, _chunks(n, c * kh * kw * ho * wo * g.itemsize))
    return dx


def conv2d_backward_params(g: np.ndarray, x: np.ndarray, w_shape: tuple, stride: tuple, padding: tuple) -> tuple:
    """Same contract as ``reference.conv2d_backward_params``: dW and db summed chunk by chunk."""
    g, x = np.ascontiguousarray(g), np.ascontiguousarray(x)
    n, o, ho, wo = g.shape
    _, c, kh, kw = w_shape
    (sh, sw), (ph, pw) = stride, padding
    if _winograd_applies(w_shape, stride):
        th, tw = _tiles(ho, wo)

        def winograd(s):
            tiles = (s.stop - s.start) * th * tw
            v = _scratch("tiles_in", (16, c, tiles), g.dtype)
            m = _scratch("tiles_out", (16, o, tiles), g.dtype)
            kernels.winograd_input(x[s], ph, pw, th, tw, v)
            kernels.winograd_grad_output(g[s], th, tw, m)
            return np.matmul(m, v.transpose(0, 2, 1))

        du = np.zeros((16, o, c), dtype=g.dtype)
        for partial in _each_chunk(winograd, _chunks(n, 16 * (c + o) * th * tw * g.itemsize)):
            du += partial
        gm = G.astype(g.dtype)
        dw = gm.T @ du.transpose(1, 2, 0).reshape(o, c, 4, 4) @ gm
        return dw, g.reshape(n, o, ho * wo).sum(axis=2).sum(axis=0)

    def im2col(s):
        cols = _scratch("cols", (c * kh * kw, (s.stop - s.start) * ho * wo), g.dtype)
        _im2col(x[s], kh, kw, sh, sw, ph, pw, ho, wo, cols)
        g_t = _channels_first(g[s])
        return g_t @ cols.T, g_t.sum(axis=1)

    dw = np.zeros((o, c * kh * kw), dtype=g.dtype)
    db = np.zeros(o, dtype=g.dtype)
    for dw_part, db_part in _each_chunk(im2col, _chunks(n, c * kh * kw * ho * wo * g.itemsize)):
        dw += dw_part
        db += db_part
    return dw.reshape(w_shape), db


def maxpool2d_forward(x: np.ndarray, kernel: tuple, stride: tuple, switches: bool = True) -> tuple:
    """Same contract as ``reference.maxpool2d_forward`` (first maximum in scan order wins); pools
    of 2 (1-D and 2-D) take the unrolled kernels.

    Without ``switches`` (``Layer.infer``) the kernels write them to reused scratch and only y
    is returned: no int64 array the size of y is allocated and dropped on every pass.
    """
    x = np.ascontiguousarray(x)
    n, c, h, wd = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = _output_size(h, kh, sh, 0), _output_size(wd, kw, sw, 0)
    y = np.empty((n * c, ho * wo), dtype=x.dtype)
    shape = (n * c, ho * wo)
    where = np.empty(shape, np.int64) if switches else _scratch("switches", shape, np.int64)
    if (kh, kw, sh, sw) == (1, 2, 1, 2) and wd % 2 == 0 and not switches:
        # Values alone: with an even width no pair straddles two rows, so all rows are one long
        # row (longer vector loops; the switches this computes would be wrong, and are dropped).
        kernels.maxpool_pairs(x.reshape(1, 1, -1), y.reshape(1, 1, -1), where.reshape(1, 1, -1))
    elif (kh, kw, sh, sw) in ((1, 2, 1, 2), (2, 2, 2, 2)):
        pool = kernels.maxpool_pairs if kh == 1 else kernels.maxpool_quads
        pool(x.reshape(n * c, h, wd), y.reshape(n * c, ho, wo), where.reshape(n * c, ho, wo))
    else:
        kernels.maxpool_forward(x.reshape(n * c, h * wd), wd, kh, kw, sh, sw, wo, y, where)
    return y.reshape(n, c, ho, wo), (where.reshape(n, c, ho, wo) if switches else None)


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
