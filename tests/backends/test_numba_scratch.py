import numpy as np
import pytest

from minixai.backends import numba_cpu as nb
from minixai.backends import reference as ref
from minixai.models import mnist1d_cnn, vgg7
from minixai.nn.activation import relu, relu_back

DTYPES = [np.float32, np.float64]
TOL = {np.float32: 2e-5, np.float64: 1e-12}

CONVS = [  # (n, c, h, w), (o, kh, kw), stride, padding
    ((2, 3, 7, 9), (4, 3, 3), (1, 1), (1, 1)),
    ((1, 2, 8, 8), (3, 2, 3), (2, 1), (0, 2)),
    ((3, 1, 1, 40), (5, 1, 5), (1, 1), (0, 2)),
    ((2, 4, 10, 11), (2, 4, 2), (3, 2), (2, 1)),
    ((1, 1, 5, 5), (1, 5, 5), (1, 1), (0, 0)),
    ((2, 3, 6, 6), (2, 1, 1), (2, 2), (0, 0)),
    ((2, 2, 4, 5), (3, 3, 3), (1, 2), (3, 3)),
    ((2, 16, 7, 9), (17, 3, 3), (1, 1), (1, 1)),
    ((3, 16, 8, 5), (16, 3, 3), (1, 1), (0, 2)),
    ((1, 20, 3, 3), (16, 3, 3), (1, 1), (2, 0)),
    ((2, 16, 6, 6), (16, 3, 3), (2, 2), (1, 1)),
    ((2, 3, 5, 6), (4, 3, 3), (1, 1), (1, 1)),
]


def rel(a, b):
    return np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)


def strided(rng, shape, dtype):
    """A non-contiguous view with the given shape."""
    big = rng.standard_normal((*shape[:-1], 2 * shape[-1])).astype(dtype)
    return big[..., ::2]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("route", ["default", "winograd", "im2col", "chunked"])
@pytest.mark.parametrize("case", CONVS)
def test_conv(case, dtype, route, monkeypatch):
    monkeypatch.setattr(nb, "WINOGRAD_MIN_CHANNELS", {"winograd": 1, "im2col": 10**9}.get(route, 16))
    if route == "chunked":
        monkeypatch.setattr(nb, "CHUNK_BYTES", 1)
    rng = np.random.default_rng(0)
    (n, c, h, w), (o, kh, kw), stride, padding = case
    x = strided(rng, (n, c, h, w), dtype)
    wt = rng.standard_normal((o, c, kh, kw)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    for bias in (b, None):
        y = nb.conv2d_forward(x, wt, bias, stride, padding)
        y0 = ref.conv2d_forward(x, wt, bias, stride, padding)
        assert y.dtype == y0.dtype == dtype and y.shape == y0.shape
        assert rel(y, y0) < TOL[dtype]
    g = strided(rng, y0.shape, dtype)
    dx = nb.conv2d_backward_input(g, wt, x.shape, stride, padding)
    dx0 = ref.conv2d_backward_input(g, wt, x.shape, stride, padding)
    assert dx.dtype == dtype and dx.shape == dx0.shape and rel(dx, dx0) < TOL[dtype]
    dw, db = nb.conv2d_backward_params(g, x, wt.shape, stride, padding)
    dw0, db0 = ref.conv2d_backward_params(g, x, wt.shape, stride, padding)
    assert dw.dtype == db.dtype == dtype and dw.shape == dw0.shape and db.shape == db0.shape
    assert rel(dw, dw0) < TOL[dtype] and rel(db, db0) < TOL[dtype]


POOLS = [((2, 3, 8, 8), (2, 2), (2, 2)), ((2, 2, 7, 9), (3, 3), (2, 2)), ((1, 2, 1, 40), (1, 2), (1, 2)),
         ((2, 1, 6, 7), (3, 2), (1, 1)), ((1, 1, 5, 5), (2, 3), (3, 1)), ((1, 1, 9, 9), (3, 3), (1, 2))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", POOLS)
@pytest.mark.parametrize("ties", [False, True])
def test_maxpool(case, dtype, ties):
    rng = np.random.default_rng(1)
    shape, kernel, stride = case
    x = strided(rng, shape, dtype)
    if ties:
        x = np.round(x).astype(dtype)  # many equal values: the tie-break decides
    y, s = nb.maxpool2d_forward(x, kernel, stride)
    y0, s0 = ref.maxpool2d_forward(x, kernel, stride)
    assert y.dtype == dtype and s.dtype == np.int64
    assert np.array_equal(y, y0) and np.array_equal(s, s0)
    g = strided(rng, y.shape, dtype)
    dx = nb.maxpool2d_backward(g, s, shape)
    dx0 = ref.maxpool2d_backward(g, s0, shape)
    assert dx.dtype == dtype and rel(dx, dx0) < TOL[dtype]


def test_maxpool_nan_and_inf_match_reference():
    x = np.array([[[[np.nan, np.nan, -np.inf, 1.0], [np.nan, np.nan, -np.inf, -np.inf]]]], np.float32)
    y, s = nb.maxpool2d_forward(x, (2, 2), (2, 2))
    y0, s0 = ref.maxpool2d_forward(x, (2, 2), (2, 2))
    assert np.array_equal(y, y0) and np.array_equal(s, s0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_small_ops(dtype):
    rng = np.random.default_rng(2)
    x = strided(rng, (3, 4, 5, 6), dtype)
    assert rel(nb.gap_forward(x), ref.gap_forward(x)) < TOL[dtype] and nb.gap_forward(x).dtype == dtype
    g = rng.standard_normal((3, 4)).astype(dtype)
    assert np.array_equal(nb.gap_backward(g, x.shape), ref.gap_backward(g, x.shape))
    assert nb.gap_backward(g, x.shape).dtype == dtype
    a = strided(rng, (5, 7), dtype)
    w = rng.standard_normal((3, 7)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    for bias in (b, None):
        assert rel(nb.dense_forward(a, w, bias), ref.dense_forward(a, w, bias)) < TOL[dtype]
    gd = rng.standard_normal((5, 3)).astype(dtype)
    assert rel(nb.dense_backward_input(gd, w), ref.dense_backward_input(gd, w)) < TOL[dtype]
    for p, p0 in zip(nb.dense_backward_params(gd, a), ref.dense_backward_params(gd, a)):
        assert p.dtype == dtype and rel(p, p0) < TOL[dtype]
    assert np.array_equal(nb.add(a, a), ref.add(a, a))
    assert nb.zeros((2, 3), dtype).dtype == dtype
    assert nb.asarray(a).flags.c_contiguous and np.array_equal(nb.to_numpy(nb.asarray(a)), a)
    assert np.array_equal(nb.reshape(x, (3, -1)), ref.reshape(x, (3, -1)))


def f1(a):
    return a * 2.0 - 1.0


def f3(a, b, c):
    return a * b + c if c > 0.0 else 0.0 * a


def f4(a, b, c, d):
    return (a - b) / (c - d) if abs(c - d) > 1e-6 else a


def f5(a, b, c, d, e):
    return max(a, b) + min(c, d) * e


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", [relu, relu_back, f1, f3, f4, f5])
def test_map(fn, dtype):
    import inspect
    rng = np.random.default_rng(3)
    k = len(inspect.signature(fn).parameters)
    arrays = [strided(rng, (4, 3, 5), dtype) for _ in range(k)]
    out, out0 = nb.map(fn, *arrays), ref.map(fn, *arrays)
    assert out.dtype == dtype and out.shape == out0.shape
    assert rel(out, out0) < TOL[dtype]


def test_map_keeps_first_dtype_for_mixed_inputs():
    a = np.ones((2, 3), np.float32)
    b = -np.ones((2, 3), np.float64)
    assert nb.map(relu_back, a, b).dtype == np.float32


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunk", [1, 8 << 20])
@pytest.mark.parametrize("make, shape", [(mnist1d_cnn, (7, 1, 40)), (vgg7, (2, 3, 16, 16)), (vgg7, (1, 3, 20, 18))])
def test_model(make, shape, dtype, chunk, monkeypatch):
    monkeypatch.setattr(nb, "CHUNK_BYTES", chunk)
    model = make().astype(dtype)
    x = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    t, t0 = model.trace(x, backend=nb), model.trace(x, backend=ref)
    assert t.output.dtype == dtype and rel(t.output, t0.output) < TOL[dtype]
    g = np.random.default_rng(5).standard_normal(t.output.shape)
    s = t.backward(g, params=True, keep=model.names)
    s0 = t0.backward(g, params=True, keep=model.names)
    assert rel(s.input, s0.input) < TOL[dtype]
    for k in s0.params:
        assert s.params[k].dtype == dtype and rel(s.params[k], s0.params[k]) < TOL[dtype], k
    for k in s0.layers:
        assert rel(s.layers[k], s0.layers[k]) < TOL[dtype], k
    print(make.__name__, dtype.__name__, "input", rel(s.input, s0.input),
          "params", max(rel(s.params[k], s0.params[k]) for k in s0.params))


@pytest.mark.parametrize("route", [1, 10**9])
def test_empty_batch(route, monkeypatch):
    monkeypatch.setattr(nb, "WINOGRAD_MIN_CHANNELS", route)
    x = np.zeros((0, 16, 6, 6), np.float32)
    w = np.ones((16, 16, 3, 3), np.float32)
    y = nb.conv2d_forward(x, w, None, (1, 1), (1, 1))
    assert y.shape == (0, 16, 6, 6)
    assert nb.conv2d_backward_input(y, w, x.shape, (1, 1), (1, 1)).shape == x.shape
    dw, db = nb.conv2d_backward_params(y, x, w.shape, (1, 1), (1, 1))
    assert not dw.any() and not db.any() and dw.shape == w.shape
    p, s = nb.maxpool2d_forward(x, (2, 2), (2, 2))
    assert nb.maxpool2d_backward(p, s, x.shape).shape == x.shape
    assert nb.gap_forward(x).shape == (0, 16)
