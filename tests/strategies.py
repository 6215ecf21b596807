"""Hypothesis strategies and finite-difference helpers shared by the engine tests.

- Hyper-parameters that fit together: ``conv_cases``, ``pool_cases`` and ``dense_cases`` draw
  1-D or 2-D shapes, kernels, strides and paddings whose output has at least one position,
  and pooling windows that may overlap (kernel > stride) or leave gaps (stride > kernel).
- Values: ``arrays`` draws small arrays from a seed, either normal values, values full of exact
  ties and zeros (for tie-breaking and agreement), or ``separated`` values: all distinct and
  away from zero, so a single ReLU or max-pool has no kink within reach of a finite difference.
- Whole models: ``model_cases`` draws small float64 random models (1-D and 2-D conv blocks with
  ReLU -> MaxPool, overlapping windows included, then Flatten -> Dense or GAP -> Dense) with an
  input; ``near_kink`` tells whether a trace passes close to a ReLU kink or a max-pool tie, so a
  test can ``assume(not near_kink(trace))``.
- ``winograd_cases``: the wider 3x3 convolutions the numba backend runs through Winograd.
- ``assert_gradient_matches``: central differences in float64 with the tolerances stated below;
  ``assert_agrees``: backend agreement.
- Shapes stay small (a few hundred outputs at most, Winograd cases aside), so the CUDA simulator
  can run them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from minixai.nn import (Conv1d, Conv2d, Dense, Flatten, GlobalAvgPool, MaxPool1d, MaxPool2d, ReLU,
                        Sequential)

DTYPES = (np.float32, np.float64)

# Central differences: (f(x + EPS) - f(x - EPS)) / (2 EPS) in float64. Every model here is piecewise
# linear in its input and parameters, so away from kinks the only error is rounding, about
# 1e-16 |f| / EPS = 1e-10 |f|; the tolerances leave a factor of 100 or more on top of that.
EPS = 1e-6
GRAD_RTOL = 1e-6
GRAD_ATOL = 1e-7  # times max(1, |f(x)|, max |analytic|)
KINK_DELTA = 1e-4  # the distance kept from ReLU kinks and max-pool ties: far above EPS times any slope here

# Backend agreement: |actual - expected| <= tol * max(1, max |expected|).
AGREE_TOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-11}


def seeds():
    return st.integers(0, 2**32 - 1)


def make_array(seed: int, shape: tuple, dtype=np.float64, kind: str = "normal") -> np.ndarray:
    """An array from ``seed``: ``normal`` N(0, 1); ``ties`` values in {-1, 0, 1, 2} (exact ties and
    zeros everywhere); ``separated`` (see ``separated_values``)."""
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.normal(size=shape).astype(dtype)
    if kind == "ties":
        return rng.integers(-1, 3, size=shape).astype(dtype)
    if kind == "separated":
        return separated_values(rng, shape, dtype)
    raise ValueError(kind)


def separated_values(rng, shape: tuple, dtype=np.float64) -> np.ndarray:
    """Random values in (-1, 1), pairwise at least 0.6 / m apart and at least 0.3 / m from zero.

    m = ceil(size / 2): the values are a random choice of the half-integer grid points
    (-m + 1/2, ..., m - 1/2) / m, each jittered by at most 0.2 / m. No two values tie and none is
    near a ReLU kink, so one ReLU or max-pool layer can be checked by finite differences.
    """
    rng = np.random.default_rng(rng)
    size = int(np.prod(shape))
    m = max(1, -(-size // 2))
    grid = rng.choice(np.arange(-m, m) + 0.5, size=size, replace=False)
    return ((grid + rng.uniform(-0.2, 0.2, size)) / m).reshape(shape).astype(dtype)


def arrays(shape: tuple, dtype=np.float64, kind: str = "normal"):
    """Strategy: small arrays of ``shape`` (see ``make_array`` for the kinds)."""
    return seeds().map(lambda seed: make_array(seed, tuple(shape), dtype, kind))


@st.composite
def views(draw, array: np.ndarray) -> np.ndarray:
    """The same values as ``array`` laid out differently: C order, Fortran order, every second
    element of a larger buffer, or reversed strides."""
    layout = draw(st.sampled_from(["C", "F", "strided", "reversed"]))
    if layout == "C":
        return np.ascontiguousarray(array)
    if layout == "F":
        return np.asfortranarray(array)
    if layout == "strided":
        big = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), dtype=array.dtype)
        big[..., ::2] = array
        return big[..., ::2]
    return np.ascontiguousarray(array[..., ::-1])[..., ::-1]


def _out(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True)
class ConvCase:
    """A convolution's shapes and hyper-parameters; 1-D cases have one-element spatial tuples."""

    n: int
    in_channels: int
    out_channels: int
    size: tuple
    kernel: tuple
    stride: tuple
    padding: tuple
    bias: bool

    @property
    def dims(self) -> int:
        return len(self.size)

    @property
    def x_shape(self) -> tuple:
        return (self.n, self.in_channels, *self.size)

    @property
    def w_shape(self) -> tuple:
        return (self.out_channels, self.in_channels, *self.kernel)

    @property
    def out_size(self) -> tuple:
        return tuple(_out(*a) for a in zip(self.size, self.kernel, self.stride, self.padding))

    @property
    def y_shape(self) -> tuple:
        return (self.n, self.out_channels, *self.out_size)

    def as_2d(self) -> "ConvCase":
        """The same convolution on images of height 1 (how Conv1d runs it)."""
        if self.dims == 2:
            return self
        return ConvCase(self.n, self.in_channels, self.out_channels, (1, *self.size), (1, *self.kernel),
                        (1, *self.stride), (0, *self.padding), self.bias)

    def layer(self, rng=0):
        if self.dims == 1:
            return Conv1d(self.in_channels, self.out_channels, self.kernel[0], self.stride[0], self.padding[0],
                          bias=self.bias, rng=rng)
        return Conv2d(self.in_channels, self.out_channels, self.kernel, self.stride, self.padding,
                      bias=self.bias, rng=rng)


@st.composite
def conv_cases(draw, dims: int | None = None, max_channels: int = 3, max_batch: int = 2) -> ConvCase:
    """Convolutions with kernel 1-4, stride 1-3, padding 0-2 per axis (padding may exceed the
    kernel: then some outputs see only zeros) and an input at least as large as the kernel
    after padding. At most 2 x 3 x 10 x 10 outputs."""
    dims = draw(st.sampled_from([1, 2])) if dims is None else dims
    max_size = 10 if dims == 1 else 6
    kernel, stride, padding, size = [], [], [], []
    for _ in range(dims):
        k, p = draw(st.integers(1, 4)), draw(st.integers(0, 2))
        kernel.append(k)
        padding.append(p)
        stride.append(draw(st.integers(1, 3)))
        size.append(draw(st.integers(max(1, k - 2 * p), max_size)))
    return ConvCase(draw(st.integers(1, max_batch)), draw(st.integers(1, max_channels)),
                    draw(st.integers(1, max_channels)), tuple(size), tuple(kernel), tuple(stride),
                    tuple(padding), draw(st.booleans()))


@st.composite
def winograd_cases(draw, max_batch: int = 2) -> ConvCase:
    """3x3 convolutions at stride 1 between 16 to 18 channels, padding 0-2 per axis, inputs 1-7
    wide: the shapes the numba backend runs through Winograd F(2x2, 3x3) (``WINOGRAD_MIN_CHANNELS``),
    with odd and even output sizes so edge tiles stick out."""
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = tuple(draw(st.integers(max(1, 3 - 2 * p), 7)) for p in padding)
    return ConvCase(draw(st.integers(1, max_batch)), draw(st.integers(16, 18)), draw(st.integers(16, 18)), size,
                    (3, 3), (1, 1), padding, draw(st.booleans()))


@dataclass(frozen=True)
class PoolCase:
    """A max-pool's shapes and hyper-parameters; 1-D cases have one-element spatial tuples."""

    n: int
    channels: int
    size: tuple
    kernel: tuple
    stride: tuple

    @property
    def dims(self) -> int:
        return len(self.size)

    @property
    def x_shape(self) -> tuple:
        return (self.n, self.channels, *self.size)

    @property
    def out_size(self) -> tuple:
        return tuple(_out(*a) for a in zip(self.size, self.kernel, self.stride))

    @property
    def overlapping(self) -> bool:
        return any(k > s for k, s in zip(self.kernel, self.stride))

    def as_2d(self) -> "PoolCase":
        if self.dims == 2:
            return self
        return PoolCase(self.n, self.channels, (1, *self.size), (1, *self.kernel), (1, *self.stride))

    def layer(self):
        if self.dims == 1:
            return MaxPool1d(self.kernel[0], self.stride[0])
        return MaxPool2d(self.kernel, self.stride)


@st.composite
def pool_cases(draw, dims: int | None = None, overlapping: bool | None = None, max_batch: int = 2) -> PoolCase:
    """Max-pools with kernel 1-3 and stride 1-3 per axis; ``overlapping=True`` forces kernel > stride
    on every axis (windows share inputs), False forces kernel <= stride, None draws either."""
    dims = draw(st.sampled_from([1, 2])) if dims is None else dims
    max_size = 12 if dims == 1 else 7
    kernel, stride, size = [], [], []
    for _ in range(dims):
        k = draw(st.integers(2 if overlapping else 1, 3))
        if overlapping is True:
            s = draw(st.integers(1, k - 1))
        elif overlapping is False:
            s = draw(st.integers(k, 3))
        else:
            s = draw(st.integers(1, 3))
        kernel.append(k)
        stride.append(s)
        size.append(draw(st.integers(k, max_size)))
    return PoolCase(draw(st.integers(1, max_batch)), draw(st.integers(1, 3)), tuple(size), tuple(kernel),
                    tuple(stride))


@dataclass(frozen=True)
class DenseCase:
    n: int
    in_features: int
    out_features: int
    bias: bool

    def layer(self, rng=0):
        return Dense(self.in_features, self.out_features, bias=self.bias, rng=rng)


@st.composite
def dense_cases(draw, max_batch: int = 3) -> DenseCase:
    return DenseCase(draw(st.integers(1, max_batch)), draw(st.integers(1, 12)), draw(st.integers(1, 6)),
                     draw(st.booleans()))


@st.composite
def image_shapes(draw, dims: int | None = None) -> tuple:
    """(N, C, L) or (N, C, H, W) with small sizes."""
    dims = draw(st.sampled_from([1, 2])) if dims is None else dims
    sizes = [draw(st.integers(1, 10 if dims == 1 else 6)) for _ in range(dims)]
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *sizes)


@dataclass
class ModelCase:
    """A random model and an input for it (float64 unless asked otherwise)."""

    model: Sequential
    x: np.ndarray
    seed: int


@st.composite
def model_cases(draw, dims: int | None = None, head: str | None = None, pool: str | None = None,
                dtype=np.float64) -> ModelCase:
    """Small random CNNs: one or two blocks conv -> ReLU [-> MaxPool], then a head.

    head: "gap" (GlobalAvgPool -> Dense) or "flatten" (Flatten -> Dense), drawn when None.
    pool: "overlapping" puts a max-pool with kernel > stride after the first block's ReLU;
    None draws per block among no pool, overlapping and non-overlapping windows.
    Weights use the layers' own initialisation from a drawn seed; the input is N(0, 1).
    """
    dims = draw(st.sampled_from([1, 2])) if dims is None else dims
    head = draw(st.sampled_from(["gap", "flatten"])) if head is None else head
    seed = draw(seeds())
    rng = np.random.default_rng(seed)
    n, channels = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    size = [draw(st.integers(5, 12 if dims == 1 else 6)) for _ in range(dims)]
    x_shape = (n, channels, *size)
    layers, c = [], channels
    for block in range(1, draw(st.integers(1, 2)) + 1):
        out = draw(st.integers(1, 3))
        k, s, p = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
        k = min(k, min(size) + 2 * p)
        conv = Conv1d(c, out, k, s, p, rng=rng) if dims == 1 else Conv2d(c, out, k, s, p, rng=rng)
        layers += [(f"conv{block}", conv), (f"relu{block}", ReLU())]
        size = [_out(v, k, s, p) for v in size]
        c = out
        kind = "overlapping" if pool == "overlapping" and block == 1 else draw(
            st.sampled_from(["none", "overlapping", "plain"]))
        if kind != "none" and min(size) >= 2:
            pk = draw(st.integers(2, min(3, min(size))))
            ps = draw(st.integers(1, pk - 1)) if kind == "overlapping" else pk
            layers.append((f"pool{block}", MaxPool1d(pk, ps) if dims == 1 else MaxPool2d(pk, ps)))
            size = [_out(v, pk, ps) for v in size]
    classes = draw(st.integers(2, 3))
    if head == "gap":
        layers += [("gap", GlobalAvgPool()), ("fc", Dense(c, classes, rng=rng))]
    else:
        layers += [("flatten", Flatten()), ("fc", Dense(c * int(np.prod(size)), classes, rng=rng))]
    model = Sequential(layers).astype(dtype)
    return ModelCase(model, rng.normal(size=x_shape).astype(dtype), seed)


def _window_gap(x: np.ndarray, layer: MaxPool2d, after_relu: bool) -> float:
    """The smallest gap between a window's largest and second-largest value.

    With ``after_relu``, windows whose maximum is exactly 0 are skipped: they hold only zeros of a
    ReLU that stay zero under a small step of anything below it, and their signal reaches a zeroed
    ReLU input whichever zero wins. (Not so when the pool's own input is what is perturbed.)
    """
    (kh, kw), (sh, sw) = layer.kernel_size, layer.stride
    if kh * kw == 1:
        return np.inf
    x = x.reshape(x.shape[0], x.shape[1], -1, x.shape[-1])
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    windows = np.sort(windows.reshape(-1, kh * kw), axis=1)
    top, second = windows[:, -1], windows[:, -2]
    gaps = (top - second)[top != 0] if after_relu else top - second
    return float(gaps.min()) if gaps.size else np.inf


def near_kink(trace, delta: float = KINK_DELTA) -> bool:
    """Whether a traced pass has a ReLU input within ``delta`` of 0 or a max-pool window whose two
    largest values are within ``delta`` (where a small step can change the gradient)."""
    previous = None
    for name, record in zip(trace.names, trace.records):
        layer = trace.model.layers[name]
        if isinstance(layer, ReLU):
            if np.any(np.abs(record.backend.to_numpy(record.x)) < delta):
                return True
        elif isinstance(layer, MaxPool2d):
            if _window_gap(record.backend.to_numpy(record.x), layer, isinstance(previous, ReLU)) < delta:
                return True
        previous = layer
    return False


def numerical_gradient(f, x: np.ndarray, eps: float = EPS) -> np.ndarray:
    """df/dx by central differences, one element at a time; f maps an array shaped like x to a float."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f(x)
        flat[i] = old - eps
        down = f(x)
        flat[i] = old
        out[i] = (up - down) / (2 * eps)
    return grad


def assert_gradient_matches(f, x: np.ndarray, analytic: np.ndarray, *, full: bool = True,
                            directions: int = 3, seed: int = 0) -> None:
    """``analytic`` equals the central-difference gradient of f at x (float64).

    full=True compares every element; full=False compares ``directions`` random directional
    derivatives <analytic, v> with (f(x + EPS v) - f(x - EPS v)) / (2 EPS) instead, which costs
    two evaluations per direction rather than per element (for the CUDA simulator).
    Tolerance: |analytic - numeric| <= GRAD_ATOL * scale + GRAD_RTOL * |numeric|, with
    scale = max(1, |f(x)|, max |analytic|).
    """
    x = np.array(x, dtype=np.float64)
    analytic = np.asarray(analytic, dtype=np.float64)
    assert analytic.shape == x.shape, f"gradient shape {analytic.shape} != {x.shape}"
    scale = max(1.0, abs(f(x.copy())), float(np.abs(analytic).max(initial=0.0)))
    if full:
        numeric = numerical_gradient(f, x)
        np.testing.assert_allclose(analytic, numeric, rtol=GRAD_RTOL, atol=GRAD_ATOL * scale)
        return
    rng = np.random.default_rng(seed)
    for _ in range(directions):
        v = rng.normal(size=x.shape)
        numeric = (f(x + EPS * v) - f(x - EPS * v)) / (2 * EPS)
        expected = float(np.sum(analytic * v))
        np.testing.assert_allclose(expected, numeric, rtol=GRAD_RTOL,
                                   atol=GRAD_ATOL * scale * max(1.0, float(np.abs(v).sum())))


def assert_agrees(actual, expected, what: str = "") -> None:
    """Backend agreement: equal up to AGREE_TOL[dtype] * max(1, max |expected|); same shape and dtype."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    tol = AGREE_TOL[expected.dtype] * max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=tol, err_msg=what)
