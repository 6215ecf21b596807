"""njit kernels behind ``numba_cpu``: the copies around BLAS, max-pooling, and per-plane means.

Two ways to turn a convolution into matrix products live here:

- im2col / col2im (any kernel, stride, padding): ``cols[(c*KH + p)*KW + q, (n*HO + i)*WO + j]
  = xpad[n, c, i*sh + p, j*sw + q]``, so a convolution is one product ``W (O, C*KH*KW) @ cols``.
- Winograd F(2x2, 3x3) (Lavin & Gray 2016, https://arxiv.org/abs/1509.09308) for 3x3 kernels
  at stride 1: every 2x2 block of outputs is ``A^T [(G w G^T) * (B^T d B)] A`` for the 4x4
  input patch d under it, so a convolution becomes 16 matrix products over channels of
  transformed tiles, with 16 multiplications per 4 outputs instead of 36. The transforms are
  written out below with these matrices (``*`` is elementwise)::

      B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
      G   = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
      A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]

  The input signal needs no kernel of its own (at stride 1 it is a convolution with the kernel
  flipped, see ``numba_cpu.conv2d_backward_input``); the weight signal is
  ``G^T [sum over tiles (A g A^T) * (B^T d B)] G``, with ``winograd_grad_output`` (A g A^T)
  the adjoint of ``winograd_output``.

Transformed tiles are stored ``(16, channels, tiles)``, tile t = (n*TH + ti)*TW + tj for the
output block at rows 2*ti, 2*ti + 1 and columns 2*tj, 2*tj + 1. The Winograd kernels visit the
(c, n) planes channel by channel, so consecutive planes fill neighbouring runs of tiles.

Every ``prange`` loop runs over independent slices of the output (rows of ``cols``, (n, c)
planes), and within a slice every sum runs in a fixed order, so results are the same bits
however the loop is split. The kernels are compiled serial all the same (``PARALLEL = False``):
on the 2-core machine they were tuned on, numba's thread pool taking turns with BLAS's (NumPy's
OpenBLAS threads run every matrix product) cost more than it saved. A VGG-7 forward pass at
batch 32 took 1.0 s with parallel kernels against 0.13 s serial (numba's default OpenMP layer,
another process busy on one core), and with ``OMP_WAIT_POLICY=passive`` the two came out even.
BLAS stays multi-threaded as NumPy configures it.

Hot loops index arrays directly instead of slicing them: a slice builds a view (and touches
its reference count) on every pass, which cost more than the arithmetic in these short loops.
An index that LLVM cannot prove non-negative (``base + j``) is written ``np.uint64(base + j)``:
numba wraps a negative signed index around (adds the axis length), and that select on every
element kept LLVM from vectorising the loop. Measured per image of the VGG-7's first block:
``winograd_output`` 0.26 -> 0.06 ms, ``winograd_input`` 0.27 -> 0.10 ms, and ``col2im`` 2.2 ->
0.5 ms on the first layer's batch. Kernels that keep scratch across planes (``winograd_*``)
loop with ``range``, not ``prange``.
Compiled for the dtypes they meet and cached on disk; with ``NUMBA_DISABLE_JIT=1`` they are
plain Python.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

PARALLEL = False


@njit(cache=True)
def _valid_range(size, offset, stride, padding, out_size):
    """[start, stop) of the outputs j whose input j*stride + offset - padding lies in [0, size)."""
    start = min(out_size, max(0, -((offset - padding) // stride)))  # ceil((padding - offset) / stride)
    last = size - 1 + padding - offset  # the largest j*stride that still lands inside
    stop = max(start, min(out_size, last // stride + 1)) if last >= 0 else start
    return start, stop


@njit(cache=True, nogil=True, parallel=PARALLEL)
def im2col(x, kh, kw, sh, sw, ph, pw, ho, wo, cols):
    """cols[(c*KH + p)*KW + q, (n*HO + i)*WO + j] = xpad[n, c, i*sh + p, j*sw + q].

    x (N, C, H, W) -> cols (C*KH*KW, N*HO*WO): rows follow w.reshape(O, C*KH*KW), so a
    convolution is one matrix product ``W @ cols``. Loop nest: rows (c, p, q), then n, i, j,
    so each row is written front to back. The padding test is a select inside the innermost
    loop rather than a split of its range: LLVM vectorises it, and short rows (the 1-D
    models) copy two to five times faster than with three loops per row.
    """
    n_img, c_in, h, w = x.shape
    for row in prange(c_in * kh * kw):
        c, p, q = row // (kh * kw), row // kw % kh, row % kw
        for n in range(n_img):
            for i in range(ho):
                r = i * sh + p - ph
                inside = 0 <= r < h
                col = (n * ho + i) * wo
                for j in range(wo):
                    s = j * sw + q - pw
                    cols[row, col + j] = x[n, c, r, s] if inside and 0 <= s < w else 0.0


@njit(cache=True, nogil=True, parallel=PARALLEL)
def im2col_1d(x, kw, pw, wo, cols, xpad):
    """``im2col`` for 1-D signals at stride 1: x (N, C, 1, W) -> cols (C*KW, N*WO), overwritten.

    The signals are first copied into ``xpad`` (C, N, W + 2*pw) with their zero borders, so each
    run of cols is a plain shifted copy, ``cols[c*KW + q, n*WO + j] = xpad[c, n, j + q]``, with no
    padding test: twice as fast as ``im2col`` on MNIST-1D's rows of 10 and 20 outputs.
    """
    n_img, c_in, w = x.shape[0], x.shape[1], x.shape[3]
    for c in prange(c_in):
        for n in range(n_img):
            for s in range(pw):
                xpad[c, n, s] = 0.0
                xpad[c, n, pw + w + s] = 0.0
            for s in range(w):
                xpad[c, n, pw + s] = x[n, c, 0, s]
        for q in range(kw):
            row = c * kw + q
            for n in range(n_img):
                for j in range(wo):
                    cols[row, n * wo + j] = xpad[c, n, j + q]


@njit(cache=True, nogil=True, parallel=PARALLEL)
def col2im(cols, kh, kw, sh, sw, ph, pw, ho, wo, dx):
    """dx[n, c, i*sh + p - ph, j*sw + q - pw] += cols[(c*KH + p)*KW + q, (n*HO + i)*WO + j]: im2col's adjoint.

    cols (C*KH*KW, N*HO*WO) -> dx (N, C, H, W), overwritten. Loop nest: (c, n) planes, then
    p, q, i, j: several rows add into one plane, so planes (not rows) are what run in
    parallel, and each input position sums its terms in a fixed order.
    """
    n_img, c_in, h, w = dx.shape
    valid = np.empty((kw, 2), dtype=np.int64)
    for q in range(kw):
        valid[q, 0], valid[q, 1] = _valid_range(w, q, sw, pw, wo)
    for plane in prange(n_img * c_in):
        c, n = plane // n_img, plane % n_img
        for r in range(h):
            for s in range(w):
                dx[n, c, r, s] = 0.0
        for p in range(kh):
            for q in range(kw):
                row = (c * kh + p) * kw + q
                for i in range(ho):
                    r = i * sh + p - ph
                    if 0 <= r < h:
                        col = (n * ho + i) * wo
                        for j in range(valid[q, 0], valid[q, 1]):
                            dx[n, c, r, np.uint64(j * sw + q - pw)] += cols[row, np.uint64(col + j)]


@njit(cache=True, nogil=True, parallel=PARALLEL)
def winograd_input(x, ph, pw, th, tw, v):
    """v[4a + b, c, t] = (B^T d B)[a, b] for the 4x4 patch d of x[n, c] at (2*ti - ph, 2*tj - pw).

    x (N, C, H, W) -> v (16, C, N*TH*TW). Loop nest: (c, n) planes, tile rows ti, then tiles
    tj. Each plane is first copied into a zero-padded buffer (no bounds checks after that;
    every plane fills the same interior, so the zero border is written once); then, per tile
    row, t = B^T d for the four rows under it at once, and t B tile by tile, four rows of v at
    a time.
    """
    n_img, c_in, h, w = x.shape
    width = 2 * tw + 2
    xp = np.zeros((2 * th + 2, width), dtype=v.dtype)
    t = np.empty((4, width), dtype=v.dtype)
    r0, r1 = max(0, -ph), min(h, 2 * th + 2 - ph)
    s0, s1 = max(0, -pw), min(w, width - pw)
    for plane in range(n_img * c_in):
        c, n = plane // n_img, plane % n_img
        for r in range(r0, r1):
            for s in range(s0, s1):
                xp[r + ph, np.uint64(s + pw)] = x[n, c, r, np.uint64(s)]
        for ti in range(th):
            r = 2 * ti
            for s in range(width):
                t[0, s] = xp[r, s] - xp[r + 2, s]
                t[1, s] = xp[r + 1, s] + xp[r + 2, s]
                t[2, s] = xp[r + 2, s] - xp[r + 1, s]
                t[3, s] = xp[r + 1, s] - xp[r + 3, s]
            base = (n * th + ti) * tw
            for a in range(4):
                for tj in range(tw):
                    s, k = 2 * tj, np.uint64(base + tj)
                    v[4 * a, c, k] = t[a, s] - t[a, s + 2]
                    v[4 * a + 1, c, k] = t[a, s + 1] + t[a, s + 2]
                    v[4 * a + 2, c, k] = t[a, s + 2] - t[a, s + 1]
                    v[4 * a + 3, c, k] = t[a, s + 1] - t[a, s + 3]


@njit(cache=True, nogil=True, parallel=PARALLEL)
def winograd_output(m, bias, th, tw, y):
    """y[n, o, 2*ti + a, 2*tj + b] = bias[o] + (A^T M A)[a, b], M[a', b'] = m[4a' + b', o, t].

    m (16, O, N*TH*TW), bias (O,) -> y (N, O, HO, WO), overwritten; the parts of edge blocks
    that stick out of HO x WO are dropped. Loop nest: (o, n) planes, tile rows, then tiles.
    The rows of A^T M are M0 + M1 + M2 and M1 - M2 - M3 (M0..M3 the rows of M); times A,
    the same pattern along each row.
    """
    n_img, o_out, ho, wo = y.shape
    u = np.empty((2, 4, tw), dtype=y.dtype)
    for plane in range(n_img * o_out):
        o, n = plane // n_img, plane % n_img
        bo = bias[o]
        for ti in range(th):
            base = (n * th + ti) * tw
            for b in range(4):
                for tj in range(tw):
                    k = np.uint64(base + tj)
                    u[0, b, tj] = m[b, o, k] + m[4 + b, o, k] + m[8 + b, o, k]
                    u[1, b, tj] = m[4 + b, o, k] - m[8 + b, o, k] - m[12 + b, o, k]
            for a in range(min(2, ho - 2 * ti)):
                r = 2 * ti + a
                for tj in range(wo // 2):
                    y[n, o, r, 2 * tj] = bo + u[a, 0, tj] + u[a, 1, tj] + u[a, 2, tj]
                    y[n, o, r, 2 * tj + 1] = bo + u[a, 1, tj] - u[a, 2, tj] - u[a, 3, tj]
                if wo % 2:  # the last block sticks out: keep its left column only
                    y[n, o, r, wo - 1] = bo + u[a, 0, tw - 1] + u[a, 1, tw - 1] + u[a, 2, tw - 1]


@njit(cache=True, nogil=True, parallel=PARALLEL)
def winograd_grad_output(g, th, tw, m):
    """m[4a + b, o, t] = (A e A^T)[a, b] for the 2x2 block e of g[n, o] at (2*ti, 2*tj), zero past the edge.

    g (N, O, HO, WO) -> m (16, O, N*TH*TW): the adjoint of ``winograd_output``. The rows of
    A e are e0, e0 + e1, e0 - e1, -e1 for the block's rows e0, e1; times A^T, each row f
    becomes (f0, f0 + f1, f0 - f1, -f1). Loop nest: (o, n) planes, tile rows, then tiles. Each
    plane is first copied into a buffer of whole blocks, zero where the last blocks stick out
    (written once: every plane fills the same part).
    """
    n_img, o_out, ho, wo = g.shape
    gp = np.zeros((2 * th, 2 * tw), dtype=m.dtype)
    f = np.empty((4, 2, tw), dtype=m.dtype)  # rows of A e, split into left and right columns
    for plane in range(n_img * o_out):
        o, n = plane // n_img, plane % n_img
        for r in range(ho):
            for s in range(wo):
                gp[r, s] = g[n, o, r, s]
        for ti in range(th):
            r0, r1 = 2 * ti, 2 * ti + 1
            for tj in range(tw):
                e00, e01, e10, e11 = gp[r0, 2 * tj], gp[r0, 2 * tj + 1], gp[r1, 2 * tj], gp[r1, 2 * tj + 1]
                f[0, 0, tj], f[0, 1, tj] = e00, e01
                f[1, 0, tj], f[1, 1, tj] = e00 + e10, e01 + e11
                f[2, 0, tj], f[2, 1, tj] = e00 - e10, e01 - e11
                f[3, 0, tj], f[3, 1, tj] = -e10, -e11
            base = (n * th + ti) * tw
            for a in range(4):
                for tj in range(tw):
                    k = np.uint64(base + tj)
                    m[4 * a, o, k] = f[a, 0, tj]
                    m[4 * a + 1, o, k] = f[a, 0, tj] + f[a, 1, tj]
                    m[4 * a + 2, o, k] = f[a, 0, tj] - f[a, 1, tj]
                    m[4 * a + 3, o, k] = -f[a, 1, tj]


@njit(cache=True, nogil=True, parallel=PARALLEL)
def maxpool_forward(x, w, kh, kw, sh, sw, wo, y, switches):
    """y[plane, i*WO + j] = max of the window at (i*sh, j*sw); switches = its flat index r*W + s.

    x (N*C, H*W) with rows of width W -> y, switches (N*C, HO*WO), overwritten. As in the
    reference, the scan starts at the window's first element and visits the offsets (p, q) in
    row-major order; only a strictly larger value moves the maximum, so ties keep the first one.
    Loop nest: planes, outputs i, j, then offsets p, q. Any kernel and stride; the common
    windows of 1 x 2 and 2 x 2 at their own stride have the kernels below.
    """
    ho = y.shape[1] // wo
    for plane in prange(x.shape[0]):
        for i in range(ho):
            for j in range(wo):
                where = i * sh * w + j * sw
                best = x[plane, where]
                for p in range(kh):
                    for q in range(kw):
                        s = (i * sh + p) * w + j * sw + q
                        if x[plane, s] > best:
                            best = x[plane, s]
                            where = s
                y[plane, i * wo + j] = best
                switches[plane, i * wo + j] = where


@njit(cache=True, nogil=True, parallel=PARALLEL)
def maxpool_pairs(x, y, switches):
    """``maxpool_forward`` for windows of 1 x 2 at stride (1, 2), the 1-D max-pool of 2, written out.

    x (planes, H, W) -> y, switches (planes, H, W // 2). The window is unrolled into compares and
    selects over plain index expressions, which LLVM vectorises along j: 10x faster than the
    general nest on the MNIST-1D activations (100 x 32 x 40).
    """
    w = x.shape[2]
    for plane in prange(x.shape[0]):
        for i in range(y.shape[1]):
            for j in range(y.shape[2]):
                a, b = x[plane, i, 2 * j], x[plane, i, 2 * j + 1]
                second = b > a
                y[plane, i, j] = b if second else a
                switches[plane, i, j] = i * w + 2 * j + (1 if second else 0)


@njit(cache=True, nogil=True, parallel=PARALLEL)
def maxpool_quads(x, y, switches):
    """``maxpool_forward`` for windows of 2 x 2 at stride 2, the 2-D max-pool of 2, written out.

    x (planes, H, W) -> y, switches (planes, H // 2, W // 2); the four candidates are compared in
    the scan order (0, 0), (0, 1), (1, 0), (1, 1), each only moving the maximum when strictly
    larger. 10x faster than the general nest on the VGG-7's first block (32 x 32 x 64 x 64).
    """
    w = x.shape[2]
    for plane in prange(x.shape[0]):
        for i in range(y.shape[1]):
            for j in range(y.shape[2]):
                s = 2 * i * w + 2 * j
                a, b = x[plane, 2 * i, 2 * j], x[plane, 2 * i, 2 * j + 1]
                c, d = x[plane, 2 * i + 1, 2 * j], x[plane, 2 * i + 1, 2 * j + 1]
                take = b > a
                best, where = (b, s + 1) if take else (a, s)
                take = c > best
                best, where = (c, s + w) if take else (best, where)
                take = d > best
                y[plane, i, j] = d if take else best
                switches[plane, i, j] = s + w + 1 if take else where


@njit(cache=True, nogil=True, parallel=PARALLEL)
def maxpool_backward(g, switches, dx):
    """dx[plane, switches[plane, k]] += g[plane, k]: g, switches (N*C, HO*WO) -> dx (N*C, H*W), overwritten.

    Sequential within a plane: windows that share a winner (kernel > stride) add their signals
    in scan order, so the sum is the same on every run.
    """
    for plane in prange(dx.shape[0]):
        for k in range(dx.shape[1]):
            dx[plane, k] = 0.0
        for k in range(g.shape[1]):
            dx[plane, switches[plane, k]] += g[plane, k]


@njit(cache=True, nogil=True, parallel=PARALLEL)
def add_bias_channels_first(product, bias, y):
    """y[n, o, s] = product[o, n, s] + bias[o]: the im2col product (O, N, S) -> (N, O, S), overwritten.

    One pass that reads and writes contiguous runs of S; NumPy's broadcast add over the
    transposed view took four times as long (0.05 against 0.012 ms on MNIST-1D's first layer).
    """
    for n in prange(y.shape[0]):
        for o in range(y.shape[1]):
            b = bias[o]
            for s in range(y.shape[2]):
                y[n, o, s] = product[o, n, s] + b


@njit(cache=True, nogil=True, parallel=PARALLEL)
def mean_rows(x, y):
    """y[k] = mean of x[k, :]: x (N*C, H*W) -> y (N*C,), summed in float64."""
    for k in prange(x.shape[0]):
        total = 0.0
        for s in range(x.shape[1]):
            total += x[k, s]
        y[k] = total / x.shape[1]
