"""The CUDA backend: numba.cuda kernels, with arrays kept on the device for a whole pass.

Every function has the same contract as ``reference.<fn>`` of the same name: same signature,
shapes and dtypes (float32 and float64). Backend arrays are numba.cuda device arrays, and every
op is a few kernel launches on them (``_cuda_kernels.py``): nothing crosses to the host until
``to_numpy``, so the only transfers in a forward and backward pass are those the model makes at
its boundary.

Kernel design:

- one thread per output element, in grid-stride loops, so any grid gives the same result:
  256 threads a block on a GPU; two blocks of four threads under the simulator, where every
  thread is a Python thread and launching fewer is what keeps CUDA tests fast;
- flat indices in C order, so neighbouring threads touch neighbouring addresses (coalesced);
- no two threads write one element, so no atomics and the same bits on every run: the
  convolution's backward op gathers (one thread per input element collects from every output
  that used it); max-pooling's scatters through the switches, one thread per (n, c) plane;
- long sums (weight and bias gradients, global average pooling) in two deterministic passes:
  chunks of terms into ``partials``, then one thread per output adds its chunks. ``cuda.reduce``
  gives one scalar per launch, and these ops need one sum per output, so it is not used;
- ``map`` compiles a rule's scalar function as a device function once per function object and
  closes an elementwise kernel over it, built by a factory for its number of arguments.

Without a GPU, set ``NUMBA_ENABLE_CUDASIM=1`` before numba is first imported: the same kernels
then run in numba's CUDA simulator (correct, slow: one Python call per thread), which is how CI
checks them.
"""
from __future__ import annotations

import math
import os
import weakref

import numpy as np

from ..errors import NotApplicableError, ParameterError


def _no_cuda_message() -> str:
    message = ("backend 'cuda': no CUDA GPU or driver found. Install the `cuda` extra for a GPU "
               "(pip install 'minixai[cuda]', which brings numba-cuda[cu12]), or run the kernels in "
               "numba's simulator by setting NUMBA_ENABLE_CUDASIM=1 before numba is imported")
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        message += " (NUMBA_ENABLE_CUDASIM is set, but numba was imported before it was: set it at the very start)"
    return message


try:
    from numba import config, cuda
except ImportError as exc:
    raise NotApplicableError(f"{_no_cuda_message()}; importing numba.cuda failed: {exc}") from None
SIMULATED = bool(config.ENABLE_CUDASIM)
if not (SIMULATED or cuda.is_available()):
    raise NotApplicableError(_no_cuda_message())

from . import _cuda_kernels as K  # noqa: E402  (needs numba.cuda, checked just above)

NAME = "cuda"

if SIMULATED:
    # Each simulated thread is a Python thread; eight of them over two blocks still exercise
    # the grid-stride loops, and short chunks exercise the two-pass sums on tiny shapes.
    THREADS, MAX_BLOCKS, CHUNK = 4, 2, 4
else:
    THREADS, MAX_BLOCKS, CHUNK = 256, 4096, 256


def _launch(kernel, size: int, *args) -> None:
    """Run ``kernel`` on a grid sized for ``size`` work items (no launch when there are none)."""
    if size > 0:
        kernel[min(MAX_BLOCKS, math.ceil(size / THREADS)), THREADS](*args)


def _device(a):
    """A device array for ``a``: host arrays are copied over (C-contiguous), device arrays pass."""
    return cuda.to_device(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a


def _summed(partials_kernel, shape: tuple, terms: int, dtype, *args, divisor: int = 1):
    """An array of ``shape`` whose elements are sums of ``terms`` terms each, divided by ``divisor``.

    Pass 1 runs ``partials_kernel(*args, partials, chunk)``, which writes partials of shape
    (T, *shape), each the sum of one chunk of ``chunk`` terms; pass 2 adds the T chunks of
    every element. Chunks are long enough that pass 1 runs no more threads than one full grid.
    """
    outputs = math.prod(shape)
    chunk = max(CHUNK, math.ceil(terms * outputs / (THREADS * MAX_BLOCKS)))
    chunks = max(1, math.ceil(terms / chunk))
    partials = cuda.device_array((chunks, *shape), dtype)
    _launch(partials_kernel, partials.size, *args, partials, chunk)
    out = cuda.device_array(shape, dtype)
    _launch(K.sum_chunks, outputs, partials.reshape(chunks, outputs), out.reshape(outputs), dtype.type(divisor))
    return out


def _output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def asarray(a: np.ndarray):
    """Host array -> device array (a C-contiguous copy); a device array is returned as it is."""
    return _device(a)


def to_numpy(a) -> np.ndarray:
    """Device array -> host NumPy array (a host array is returned as it is)."""
    return np.asarray(a) if isinstance(a, np.ndarray) else a.copy_to_host()


def zeros(shape: tuple, dtype):
    """A device array of zeros."""
    out = cuda.device_array(shape, np.dtype(dtype))
    _launch(K.fill, out.size, out.reshape(out.size), out.dtype.type(0))
    return out


def add(a, b):
    """a + b for two arrays of one shape."""
    a, b = _device(a), _device(b)
    out = cuda.device_array(a.shape, a.dtype)
    _launch(K.add, out.size, out.reshape(out.size), a.reshape(a.size), b.reshape(b.size))
    return out


def reshape(a, shape: tuple):
    """The same values in a new shape: a view of the same device memory (arrays here are contiguous)."""
    return _device(a).reshape(shape)


_map_kernels = weakref.WeakKeyDictionary()


def map(fn, *arrays):
    """out[i] = fn(a[i], b[i], ...) for a scalar Python function ``fn`` over 1 to 5 arrays of one shape.

    ``fn`` is compiled as a CUDA device function on its first use, once per function object (and
    once per dtype): pass module-level functions, since a new lambda each call compiles anew.
    """
    if not 1 <= len(arrays) <= len(K.MAP_FACTORIES):
        raise ParameterError(f"map: expected 1 to {len(K.MAP_FACTORIES)} arrays, got {len(arrays)}")
    kernel = _map_kernels.get(fn)
    if kernel is None:
        kernel = _map_kernels[fn] = K.map_kernel(cuda.jit(device=True)(fn), len(arrays))
    arrays = [_device(a) for a in arrays]
    out = cuda.device_array(arrays[0].shape, arrays[0].dtype)
    _launch(kernel, out.size, out.reshape(out.size), *(a.reshape(a.size) for a in arrays))
    return out


def conv2d_forward(x, w, b, stride: tuple, padding: tuple):
    """Same contract as reference.conv2d_forward: x (N, C, H, W), w (O, C, KH, KW), b (O,) or None -> (N, O, HO, WO)."""
    x, w = _device(x), _device(w)
    b = None if b is None else _device(b)
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    y = cuda.device_array((n, o, _output_size(h, kh, sh, ph), _output_size(wd, kw, sw, pw)), x.dtype)
    _launch(K.conv2d_forward, y.size, x, w, b, y, sh, sw, ph, pw)
    return y


def conv2d_backward_input(g, w, x_shape: tuple, stride: tuple, padding: tuple):
    """Same contract as reference.conv2d_backward_input: g (N, O, HO, WO), w (O, C, KH, KW) -> dx of x_shape."""
    g, w = _device(g), _device(w)
    dx = cuda.device_array(tuple(x_shape), g.dtype)
    (sh, sw), (ph, pw) = stride, padding
    _launch(K.conv2d_backward_input, dx.size, g, w, dx, sh, sw, ph, pw)
    return dx


def conv2d_backward_params(g, x, w_shape: tuple, stride: tuple, padding: tuple) -> tuple:
    """Same contract as reference.conv2d_backward_params: g (N, O, HO, WO), x (N, C, H, W) -> (dw, db (O,))."""
    g, x = _device(g), _device(x)
    n, o, ho, wo = g.shape
    (sh, sw), (ph, pw) = stride, padding
    dw = _summed(K.conv2d_weight_partials, tuple(w_shape), n * ho * wo, g.dtype, g, x, sh, sw, ph, pw)
    db = _summed(K.channel_partials, (o,), n * ho * wo, g.dtype, g.reshape(n, o, ho * wo))
    return dw, db


def maxpool2d_forward(x, kernel: tuple, stride: tuple, switches: bool = True) -> tuple:
    """Same contract as reference.maxpool2d_forward: x (N, C, H, W) -> (y, switches int64), both
    (N, C, HO, WO); (y, None) when ``switches`` is False."""
    x = _device(x)
    n, c, h, wd = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    shape = (n, c, _output_size(h, kh, sh, 0), _output_size(wd, kw, sw, 0))
    y, where = cuda.device_array(shape, x.dtype), cuda.device_array(shape, np.int64)
    _launch(K.maxpool2d_forward, y.size, x, y, where, kh, kw, sh, sw)
    return y, (where if switches else None)


def maxpool2d_backward(g, switches, x_shape: tuple):
    """Same contract as reference.maxpool2d_backward: g and switches (N, C, HO, WO) -> dx of x_shape."""
    g, switches = _device(g), _device(switches)
    n, c, h, wd = x_shape
    planes, windows = n * c, g.shape[2] * g.shape[3]
    dx = zeros((n, c, h, wd), g.dtype)
    _launch(K.maxpool2d_backward, planes, g.reshape(planes, windows), switches.reshape(planes, windows),
            dx.reshape(planes, h * wd))
    return dx


def gap_forward(x):
    """Same contract as reference.gap_forward: x (N, C, H, W) -> (N, C), the mean over (H, W)."""
    x = _device(x)
    n, c, h, wd = x.shape
    y = _summed(K.channel_partials, (n * c,), h * wd, x.dtype, x.reshape(1, n * c, h * wd), divisor=h * wd)
    return y.reshape(n, c)


def gap_backward(g, x_shape: tuple):
    """Same contract as reference.gap_backward: g (N, C) -> dx of x_shape (N, C, H, W), g / (H W) everywhere."""
    g = _device(g)
    n, c, h, wd = x_shape
    dx = cuda.device_array((n, c, h, wd), g.dtype)
    _launch(K.gap_backward, dx.size, g.reshape(n * c), dx.reshape(n * c, h * wd), g.dtype.type(h * wd))
    return dx


def dense_forward(x, w, b):
    """Same contract as reference.dense_forward: x (N, IN), w (OUT, IN), b (OUT,) or None -> (N, OUT)."""
    x, w = _device(x), _device(w)
    b = None if b is None else _device(b)
    y = cuda.device_array((x.shape[0], w.shape[0]), x.dtype)
    _launch(K.dense_forward, y.size, x, w, b, y)
    return y


def dense_backward_input(g, w):
    """Same contract as reference.dense_backward_input: g (N, OUT), w (OUT, IN) -> (N, IN)."""
    g, w = _device(g), _device(w)
    dx = cuda.device_array((g.shape[0], w.shape[1]), g.dtype)
    _launch(K.dense_backward_input, dx.size, g, w, dx)
    return dx


def dense_backward_params(g, x) -> tuple:
    """Same contract as reference.dense_backward_params: g (N, OUT), x (N, IN) -> (dW (OUT, IN), db (OUT,))."""
    g, x = _device(g), _device(x)
    n, o = g.shape
    dw = _summed(K.dense_weight_partials, (o, x.shape[1]), n, g.dtype, g, x)
    db = _summed(K.channel_partials, (o,), n, g.dtype, g.reshape(n, o, 1))
    return dw, db
