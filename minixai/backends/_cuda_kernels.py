"""The numba.cuda kernels behind ``minixai.backends.cuda``; the host side lives there.

Every kernel is a grid-stride loop over the flat indices of what it writes: thread ``k`` of a
grid of ``G`` threads takes elements ``k, k + G, k + 2G, ...``, so any launch size gives the
same result and the host is free to pick one. Flat indices run in C order, so consecutive
threads take consecutive last-axis positions and neighbouring threads touch neighbouring
addresses (coalesced loads and stores).

No two threads write the same element, so no kernel needs atomics and every run gives the
same bits. The convolution's backward op *gathers*: one thread per input element adds up what
every output that used it sends back. Max-pooling's backward op scatters, one thread per
(n, c) plane, since its contract does not say which windows hold an input.
Long sums (weight and bias gradients, global average pooling) run in two passes: a
``*_partials`` kernel sums one chunk of terms per thread into ``partials`` (T, ...), then
``sum_chunks`` adds each output's T chunks in a fixed order.

Accumulators start at ``out.dtype.type(0)``, so float32 data is summed in float32 (float64
arithmetic is many times slower on most GPUs) and float64 data in float64. Builtin ``min`` and
``max`` are avoided: since numba 0.66 the built-in CUDA target fails to compile them
(numba/numba#10753), which the simulator, running plain Python, cannot show.
"""
from __future__ import annotations

from numba import cuda


@cuda.jit(device=True)
def unravel3(k, shape):
    """(a, b, c) with k = (a * B + b) * C + c, for ``shape`` (A, B, C)."""
    c = k % shape[2]
    k = k // shape[2]
    return k // shape[1], k % shape[1], c


@cuda.jit(device=True)
def unravel4(k, shape):
    """(a, b, c, d) with k = ((a * B + b) * C + c) * D + d, for ``shape`` (A, B, C, D)."""
    a, b, c = unravel3(k // shape[3], (shape[0], shape[1], shape[2]))
    return a, b, c, k % shape[3]


@cuda.jit(device=True)
def unravel5(k, shape):
    """(a, b, c, d, e), the C-order position of flat index k in ``shape`` (A, B, C, D, E)."""
    a, b, c, d = unravel4(k // shape[4], (shape[0], shape[1], shape[2], shape[3]))
    return a, b, c, d, k % shape[4]


@cuda.jit(device=True)
def windows_containing(pos, kernel, stride, padding, out_size):
    """(first, stop): the output positions i whose window [i*stride - padding, ... + kernel) holds pos.

    i*stride <= pos + padding < i*stride + kernel, solved for i and clipped to [0, out_size).
    """
    top = pos + padding
    first, stop = (top - kernel) // stride + 1, top // stride + 1
    return (first if first > 0 else 0), (stop if stop < out_size else out_size)


@cuda.jit(device=True)
def chunk_bounds(t, chunk, terms):
    """(start, stop) of chunk t, when ``terms`` terms are cut into chunks of ``chunk``."""
    stop = (t + 1) * chunk
    return t * chunk, (stop if stop < terms else terms)


@cuda.jit(cache=True)
def fill(out, value):
    """out[k] = value. out (M,)."""
    for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[k] = value


@cuda.jit(cache=True)
def add(out, a, b):
    """out[k] = a[k] + b[k]. All (M,)."""
    for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[k] = a[k] + b[k]


def map_kernel(fn, arity: int):
    """A kernel ``(out, a, b, ...)`` setting out[k] = fn(a[k], b[k], ...) over flat (M,) arrays.

    ``fn`` is a device function; a kernel cannot take one as an argument, so each is closed over
    by a kernel of its own, made by the factory for its number of arguments.
    """
    return MAP_FACTORIES[arity](fn)


def _map1(fn):
    @cuda.jit
    def kernel(out, a):
        for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[k] = fn(a[k])
    return kernel


def _map2(fn):
    @cuda.jit
    def kernel(out, a, b):
        for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[k] = fn(a[k], b[k])
    return kernel


def _map3(fn):
    @cuda.jit
    def kernel(out, a, b, c):
        for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[k] = fn(a[k], b[k], c[k])
    return kernel


def _map4(fn):
    @cuda.jit
    def kernel(out, a, b, c, d):
        for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[k] = fn(a[k], b[k], c[k], d[k])
    return kernel


def _map5(fn):
    @cuda.jit
    def kernel(out, a, b, c, d, e):
        for k in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[k] = fn(a[k], b[k], c[k], d[k], e[k])
    return kernel


MAP_FACTORIES = {1: _map1, 2: _map2, 3: _map3, 4: _map4, 5: _map5}


@cuda.jit(cache=True)
def sum_chunks(partials, out, divisor):
    """out[m] = (sum_t partials[t, m]) / divisor. partials (T, M), out (M,); t ascending."""
    for m in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        acc = out.dtype.type(0)
        for t in range(partials.shape[0]):
            acc += partials[t, m]
        out[m] = acc / divisor


@cuda.jit(cache=True)
def conv2d_forward(x, w, b, y, sh, sw, ph, pw):
    """y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * x[n, c, i*sh + p - ph, j*sw + q - pw].

    x (N, C, H, W), w (O, C, KH, KW), b (O,) or None, y (N, O, HO, WO).
    One thread per output element; loop nest c, p, q; taps in the zero padding are skipped.
    """
    channels, height, width = x.shape[1], x.shape[2], x.shape[3]
    kh, kw = w.shape[2], w.shape[3]
    for k in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        n, o, i, j = unravel4(k, y.shape)
        acc = y.dtype.type(0)
        for c in range(channels):
            for p in range(kh):
                row = i * sh + p - ph
                if 0 <= row < height:
                    for q in range(kw):
                        col = j * sw + q - pw
                        if 0 <= col < width:
                            acc += w[o, c, p, q] * x[n, c, row, col]
        if b is not None:
            acc += b[o]
        y[n, o, i, j] = acc


@cuda.jit(cache=True)
def conv2d_backward_input(g, w, dx, sh, sw, ph, pw):
    """dx[n, c, row, col] = sum_{o, i, j} g[n, o, i, j] * w[o, c, row + ph - i*sh, col + pw - j*sw].

    g (N, O, HO, WO), w (O, C, KH, KW), dx (N, C, H, W); (i, j) runs over the outputs whose
    window covers (row, col). One thread per input element; loop nest o, i, j.
    """
    out_channels, ho, wo = g.shape[1], g.shape[2], g.shape[3]
    kh, kw = w.shape[2], w.shape[3]
    for k in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        n, c, row, col = unravel4(k, dx.shape)
        i0, i1 = windows_containing(row, kh, sh, ph, ho)
        j0, j1 = windows_containing(col, kw, sw, pw, wo)
        acc = dx.dtype.type(0)
        for o in range(out_channels):
            for i in range(i0, i1):
                for j in range(j0, j1):
                    acc += g[n, o, i, j] * w[o, c, row + ph - i * sh, col + pw - j * sw]
        dx[n, c, row, col] = acc


@cuda.jit(cache=True)
def conv2d_weight_partials(g, x, sh, sw, ph, pw, partials, chunk):
    """partials[t, o, c, p, q] = sum_{(n, i, j) in chunk t} g[n, o, i, j] * x[n, c, i*sh + p - ph, j*sw + q - pw].

    g (N, O, HO, WO), x (N, C, H, W), partials (T, O, C, KH, KW); the N*HO*WO terms of each
    weight are cut into T chunks of ``chunk``. One thread per partial; neighbouring threads take
    neighbouring q, so they read neighbouring x.
    """
    height, width = x.shape[2], x.shape[3]
    terms_shape = (g.shape[0], g.shape[2], g.shape[3])
    terms = g.shape[0] * g.shape[2] * g.shape[3]
    for k in range(cuda.grid(1), partials.size, cuda.gridsize(1)):
        t, o, c, p, q = unravel5(k, partials.shape)
        acc = partials.dtype.type(0)
        start, stop = chunk_bounds(t, chunk, terms)
        for r in range(start, stop):
            n, i, j = unravel3(r, terms_shape)
            row, col = i * sh + p - ph, j * sw + q - pw
            if 0 <= row < height and 0 <= col < width:
                acc += g[n, o, i, j] * x[n, c, row, col]
        partials[t, o, c, p, q] = acc


@cuda.jit(cache=True)
def channel_partials(a, partials, chunk):
    """partials[t, m] = sum_{(n, s) in chunk t} a[n, m, s]: per-channel sums over batch and positions.

    a (N, M, S), partials (T, M); the N*S terms of each channel are cut into T chunks of
    ``chunk``. Bias gradients view g as (N, O, HO*WO) or (N, OUT, 1); global average pooling
    views x as (1, N*C, H*W).
    """
    positions = a.shape[2]
    terms = a.shape[0] * positions
    for k in range(cuda.grid(1), partials.size, cuda.gridsize(1)):
        t, m = k // partials.shape[1], k % partials.shape[1]
        acc = partials.dtype.type(0)
        start, stop = chunk_bounds(t, chunk, terms)
        for r in range(start, stop):
            acc += a[r // positions, m, r % positions]
        partials[t, m] = acc


@cuda.jit(cache=True)
def dense_weight_partials(g, x, partials, chunk):
    """partials[t, o, i] = sum_{n in chunk t} g[n, o] * x[n, i].

    g (N, OUT), x (N, IN), partials (T, OUT, IN). One thread per partial; neighbouring
    threads read neighbouring x[n, i].
    """
    batch = g.shape[0]
    for k in range(cuda.grid(1), partials.size, cuda.gridsize(1)):
        t, o, i = unravel3(k, partials.shape)
        acc = partials.dtype.type(0)
        start, stop = chunk_bounds(t, chunk, batch)
        for n in range(start, stop):
            acc += g[n, o] * x[n, i]
        partials[t, o, i] = acc


@cuda.jit(cache=True)
def maxpool2d_forward(x, y, switches, kh, kw, sh, sw):
    """y[n, c, i, j] = max_{p, q} x[n, c, i*sh + p, j*sw + q]; switches[n, c, i, j] = row * W + col of that max.

    x (N, C, H, W), y and switches (N, C, HO, WO). One thread per output element, scanning its
    window row by row from its first element, as the reference does. Only a strictly larger
    value moves the switch, so ties go to the first maximum in scan order.
    """
    width = x.shape[3]
    for k in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        n, c, i, j = unravel4(k, y.shape)
        best, switch = x[n, c, i * sh, j * sw], i * sh * width + j * sw
        for p in range(kh):
            for q in range(kw):
                value = x[n, c, i * sh + p, j * sw + q]
                if value > best:
                    best, switch = value, (i * sh + p) * width + j * sw + q
        y[n, c, i, j] = best
        switches[n, c, i, j] = switch


@cuda.jit(cache=True)
def maxpool2d_backward(g, switches, dx):
    """dx[m, switches[m, s]] += g[m, s] for every window s of every plane m; dx starts zeroed.

    g and switches (N*C, HO*WO), dx (N*C, H*W). One thread per (n, c) plane walks its windows
    in row-major order, like the reference's scatter: windows that share a winner (kernel >
    stride) add up in a fixed order, with no atomics, so every run gives the same bits. The
    contract gives no window size, without which a thread per input element could not tell
    which windows to gather from.
    """
    for m in range(cuda.grid(1), g.shape[0], cuda.gridsize(1)):
        for s in range(g.shape[1]):
            dx[m, switches[m, s]] += g[m, s]


@cuda.jit(cache=True)
def gap_backward(g, dx, area):
    """dx[m, s] = g[m] / area. g (N*C,), dx (N*C, H*W), area = H*W in dx's dtype."""
    positions = dx.shape[1]
    for k in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        m, s = k // positions, k % positions
        dx[m, s] = g[m] / area


@cuda.jit(cache=True)
def dense_forward(x, w, b, y):
    """y[n, o] = sum_i x[n, i] * w[o, i] + b[o]. x (N, IN), w (OUT, IN), b (OUT,) or None, y (N, OUT).

    One thread per output element; loop over i.
    """
    features = x.shape[1]
    for k in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        n, o = k // y.shape[1], k % y.shape[1]
        acc = y.dtype.type(0)
        for i in range(features):
            acc += x[n, i] * w[o, i]
        if b is not None:
            acc += b[o]
        y[n, o] = acc


@cuda.jit(cache=True)
def dense_backward_input(g, w, dx):
    """dx[n, i] = sum_o g[n, o] * w[o, i]. g (N, OUT), w (OUT, IN), dx (N, IN).

    One thread per input element; neighbouring threads read neighbouring w[o, i].
    """
    outputs = g.shape[1]
    for k in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        n, i = k // dx.shape[1], k % dx.shape[1]
        acc = dx.dtype.type(0)
        for o in range(outputs):
            acc += g[n, o] * w[o, i]
        dx[n, i] = acc
