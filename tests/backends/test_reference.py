"""The NumPy reference equals the textbook loop nests, element by element.

The reference is the definition every other backend is compared with, so it is itself checked
here against the plainest possible loops (one output element at a time), independent of PyTorch.
"""
import numpy as np
from hypothesis import given

from minixai.backends import reference as R
from tests.strategies import conv_cases, dense_cases, image_shapes, make_array, pool_cases, seeds


def naive_conv2d(x, w, b, stride, padding):
    """y[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] * x[n, c, i*sh + p - ph, j*sw + q - pw] (zero outside)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    ho, wo = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    y = np.zeros((n, o, ho, wo))
    for i in np.ndindex(n, o, ho, wo):
        total = 0.0 if b is None else b[i[1]]
        for ci, p, q in np.ndindex(c, kh, kw):
            row, col = i[2] * sh + p - ph, i[3] * sw + q - pw
            if 0 <= row < h and 0 <= col < wd:
                total += w[i[1], ci, p, q] * x[i[0], ci, row, col]
        y[i] = total
    return y


def naive_conv2d_backward(g, x, w, stride, padding):
    """dx and dw by scattering every output's signal along the terms of its sum."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in np.ndindex(g.shape):
        for ci, p, q in np.ndindex(c, kh, kw):
            row, col = i[2] * sh + p - ph, i[3] * sw + q - pw
            if 0 <= row < h and 0 <= col < wd:
                dx[i[0], ci, row, col] += w[i[1], ci, p, q] * g[i]
                dw[i[1], ci, p, q] += x[i[0], ci, row, col] * g[i]
    return dx, dw, g.sum(axis=(0, 2, 3))


@given(case=conv_cases().map(lambda c: c.as_2d()), seed=seeds())
def test_reference_conv2d_forward_is_the_loop_nest(case, seed):
    x, w = make_array(seed, case.x_shape), make_array(seed + 1, case.w_shape)
    b = make_array(seed + 2, (case.out_channels,)) if case.bias else None
    np.testing.assert_allclose(R.conv2d_forward(x, w, b, case.stride, case.padding),
                               naive_conv2d(x, w, b, case.stride, case.padding), rtol=1e-12, atol=1e-12)


@given(case=conv_cases().map(lambda c: c.as_2d()), seed=seeds())
def test_reference_conv2d_backward_is_the_loop_nest(case, seed):
    x, w, g = make_array(seed, case.x_shape), make_array(seed + 1, case.w_shape), make_array(seed + 2, case.y_shape)
    dx, dw, db = naive_conv2d_backward(g, x, w, case.stride, case.padding)
    np.testing.assert_allclose(R.conv2d_backward_input(g, w, case.x_shape, case.stride, case.padding), dx,
                               rtol=1e-12, atol=1e-12)
    dw_ref, db_ref = R.conv2d_backward_params(g, x, case.w_shape, case.stride, case.padding)
    np.testing.assert_allclose(dw_ref, dw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db_ref, db, rtol=1e-12, atol=1e-12)


@given(case=pool_cases().map(lambda c: c.as_2d()), seed=seeds())
def test_reference_maxpool2d_is_the_window_maximum_and_its_position(case, seed):
    x = make_array(seed, case.x_shape, kind="separated")
    y, switches = R.maxpool2d_forward(x, case.kernel, case.stride)
    (kh, kw), (sh, sw) = case.kernel, case.stride
    for i in np.ndindex(y.shape):
        window = x[i[0], i[1], i[2] * sh:i[2] * sh + kh, i[3] * sw:i[3] * sw + kw]
        assert y[i] == window.max()
        p, q = np.unravel_index(window.argmax(), window.shape)
        assert switches[i] == (i[2] * sh + p) * x.shape[3] + i[3] * sw + q
    assert switches.dtype == np.int64
    g = make_array(seed + 1, y.shape)
    dx = np.zeros_like(x)
    for i in np.ndindex(y.shape):
        dx[i[0], i[1]].reshape(-1)[switches[i]] += g[i]
    np.testing.assert_allclose(R.maxpool2d_backward(g, switches, x.shape), dx, rtol=1e-12)


@given(shape=image_shapes(dims=2), seed=seeds())
def test_reference_gap_is_the_mean_over_positions(shape, seed):
    x = make_array(seed, shape)
    np.testing.assert_allclose(R.gap_forward(x), [[x[n, c].mean() for c in range(shape[1])] for n in range(shape[0])],
                               rtol=1e-12)


@given(case=dense_cases(), seed=seeds())
def test_reference_dense_is_the_matrix_product(case, seed):
    x = make_array(seed, (case.n, case.in_features))
    w = make_array(seed + 1, (case.out_features, case.in_features))
    b = make_array(seed + 2, (case.out_features,))
    y = R.dense_forward(x, w, b)
    for n, o in np.ndindex(y.shape):
        assert np.isclose(y[n, o], sum(w[o, i] * x[n, i] for i in range(case.in_features)) + b[o], rtol=1e-12)
    np.testing.assert_allclose(R.dense_forward(x, w, None), y - b, rtol=1e-12, atol=1e-12)


@given(shape=image_shapes(), seed=seeds())
def test_reference_map_applies_a_scalar_function_elementwise(shape, seed):
    a, b = make_array(seed, shape), make_array(seed + 1, shape)
    out = R.map(lambda u, v: u * v if u > v else u - v, a, b)
    np.testing.assert_array_equal(out, np.where(a > b, a * b, a - b))
    assert out.dtype == a.dtype and out.shape == shape
