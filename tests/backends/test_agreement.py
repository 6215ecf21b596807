"""Every backend op agrees with the NumPy reference, forward and backward, float32 and float64.

Each test calls one function of ``minixai.backends.<backend>`` and of ``reference`` on the same
hypothesis-drawn arrays (moved with ``asarray``, read back with ``to_numpy``) and compares:
max-pool values and switches exactly, arithmetic up to ``AGREE_TOL`` (2e-5 float32, 1e-11
float64, times the largest expected magnitude). Whole-model traces then compare every activation,
kept signal, input gradient and parameter gradient. Max-pool ties must go to the first maximum
in scan order on every backend.
"""
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minixai import backends
from minixai.backends import reference
from minixai.nn.activation import relu, relu_back
from tests.strategies import (DTYPES, assert_agrees, conv_cases, dense_cases, image_shapes,
                              make_array, model_cases, near_kink, pool_cases, seeds, views,
                              winograd_cases)

pytestmark = pytest.mark.backends("numba", "cuda")


def run(B, fn_name: str, *args):
    """Call op ``fn_name`` of backend B on host arrays; return host arrays (tuples stay tuples)."""
    moved = [B.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    out = getattr(B, fn_name)(*moved)
    return tuple(B.to_numpy(o) for o in out) if isinstance(out, tuple) else B.to_numpy(out)


def both(backend: str, fn_name: str, *args):
    return run(backends.get(backend), fn_name, *args), run(reference, fn_name, *args)


dtypes = st.sampled_from(DTYPES)
images = image_shapes().map(lambda s: s if len(s) == 4 else (s[0], s[1], 1, s[2]))


@given(shape=image_shapes(), dtype=dtypes, seed=seeds(), data=st.data())
def test_asarray_and_to_numpy_round_trip_exactly_from_any_layout(backend, shape, dtype, seed, data):
    B = backends.get(backend)
    x = make_array(seed, shape, dtype)
    back = B.to_numpy(B.asarray(data.draw(views(x), label="layout")))
    assert back.dtype == x.dtype
    np.testing.assert_array_equal(back, x)


@given(shape=image_shapes(), dtype=dtypes)
def test_zeros_are_zeros_of_the_asked_shape_and_dtype(backend, shape, dtype):
    z = backends.get(backend).to_numpy(backends.get(backend).zeros(shape, dtype))
    assert z.shape == shape and z.dtype == np.dtype(dtype)
    assert not z.any()


@given(shape=image_shapes(), dtype=dtypes, seed=seeds())
def test_add_agrees_with_reference(backend, shape, dtype, seed):
    actual, expected = both(backend, "add", make_array(seed, shape, dtype), make_array(seed + 1, shape, dtype))
    assert_agrees(actual, expected, "add")


@given(shape=image_shapes(), dtype=dtypes, seed=seeds())
def test_reshape_keeps_values_in_c_order(backend, shape, dtype, seed):
    x = make_array(seed, shape, dtype)
    flat = run(backends.get(backend), "reshape", x, (shape[0], int(np.prod(shape[1:]))))
    np.testing.assert_array_equal(flat, x.reshape(shape[0], -1))
    np.testing.assert_array_equal(run(backends.get(backend), "reshape", flat, shape), x)


def scaled_difference(r_out, x, y):
    return r_out * (x - y) if x > y else 0.5 * r_out


@given(shape=image_shapes(), dtype=dtypes, seed=seeds())
def test_map_agrees_with_reference_for_one_two_and_three_arguments(backend, shape, dtype, seed):
    a, b, c = (make_array(seed + i, shape, dtype, kind="ties") for i in range(3))
    for fn, args in ((relu, (a,)), (relu_back, (a, b)), (scaled_difference, (a, b, c))):
        actual, expected = both(backend, "map", fn, *args)
        assert_agrees(actual, expected, f"map({fn.__name__})")


def scaled_by(eps: float):
    def cell(r_out, x):
        return r_out * x / (abs(x) + eps)
    return cell


@given(shape=image_shapes(), dtype=dtypes, seed=seeds())
def test_map_runs_each_closure_with_its_own_captured_value(backend, shape, dtype, seed):
    # Rule parameters (an LRP epsilon) reach scalar cells as closures; a compiled-kernel cache
    # keyed by the code object rather than the function would reuse the first epsilon.
    a, b = make_array(seed, shape, dtype), make_array(seed + 1, shape, dtype)
    for eps in (0.01, 1.0, 100.0):
        actual, expected = both(backend, "map", scaled_by(eps), a, b)
        assert_agrees(actual, expected, f"map(scaled_by({eps}))")


@given(shape=image_shapes(), dtype=dtypes, seed=seeds())
def test_relu_passes_no_signal_at_exactly_zero(backend, shape, dtype, seed):
    x = make_array(seed, shape, dtype, kind="ties")  # many exact zeros
    g = make_array(seed + 1, shape, dtype)
    actual = run(backends.get(backend), "map", relu_back, g, x)
    np.testing.assert_array_equal(actual, np.where(x > 0, g, 0).astype(dtype))


conv2d_cases = conv_cases().map(lambda case: case.as_2d())


@given(case=conv2d_cases, dtype=dtypes, seed=seeds())
def test_conv2d_forward_agrees_with_reference(backend, case, dtype, seed):
    x, w = make_array(seed, case.x_shape, dtype), make_array(seed + 1, case.w_shape, dtype)
    b = make_array(seed + 2, (case.out_channels,), dtype) if case.bias else None
    actual, expected = both(backend, "conv2d_forward", x, w, b, case.stride, case.padding)
    assert expected.shape == case.y_shape
    assert_agrees(actual, expected, "conv2d_forward")


@given(case=conv2d_cases, dtype=dtypes, seed=seeds())
def test_conv2d_backward_input_agrees_with_reference(backend, case, dtype, seed):
    g, w = make_array(seed, case.y_shape, dtype), make_array(seed + 1, case.w_shape, dtype)
    actual, expected = both(backend, "conv2d_backward_input", g, w, case.x_shape, case.stride, case.padding)
    assert expected.shape == case.x_shape
    assert_agrees(actual, expected, "conv2d_backward_input")


@given(case=conv2d_cases, dtype=dtypes, seed=seeds())
def test_conv2d_backward_params_agree_with_reference(backend, case, dtype, seed):
    g, x = make_array(seed, case.y_shape, dtype), make_array(seed + 1, case.x_shape, dtype)
    (dw, db), (dw_ref, db_ref) = both(backend, "conv2d_backward_params", g, x, case.w_shape, case.stride,
                                      case.padding)
    assert_agrees(dw, dw_ref, "dw")
    assert_agrees(db, db_ref, "db")


@pytest.mark.backends("numba")
@given(case=winograd_cases(), dtype=dtypes, seed=seeds())
def test_winograd_convolutions_agree_with_reference(backend, case, dtype, seed):
    # numba runs 3x3 stride-1 convolutions between >= 16 channels through Winograd F(2x2, 3x3).
    x, w = make_array(seed, case.x_shape, dtype), make_array(seed + 1, case.w_shape, dtype)
    b = make_array(seed + 2, (case.out_channels,), dtype) if case.bias else None
    g = make_array(seed + 3, case.y_shape, dtype)
    assert_agrees(*both(backend, "conv2d_forward", x, w, b, case.stride, case.padding), "forward")
    assert_agrees(*both(backend, "conv2d_backward_input", g, w, case.x_shape, case.stride, case.padding), "dx")
    (dw, db), (dw_ref, db_ref) = both(backend, "conv2d_backward_params", g, x, case.w_shape, case.stride, case.padding)
    assert_agrees(dw, dw_ref, "dw")
    assert_agrees(db, db_ref, "db")


def numba_convolutions(case, seed: int):
    """A function running numba_cpu's three convolution ops on seeded arrays of ``case``'s shapes."""
    from minixai.backends import numba_cpu
    x, w = make_array(seed, case.x_shape), make_array(seed + 1, case.w_shape)
    g = make_array(seed + 2, case.y_shape)

    def ops():
        return (numba_cpu.conv2d_forward(x, w, None, case.stride, case.padding),
                numba_cpu.conv2d_backward_input(g, w, case.x_shape, case.stride, case.padding),
                *numba_cpu.conv2d_backward_params(g, x, case.w_shape, case.stride, case.padding))

    return ops


@pytest.mark.backends("numba")
@given(case=st.one_of(conv2d_cases, winograd_cases(max_batch=4)), seed=seeds())
def test_numba_gives_the_same_convolution_whatever_the_batch_chunk_size(backend, case, seed):
    # numba splits a batch into chunks of at most CHUNK_BYTES of scratch; one image a chunk must
    # give the same numbers as the whole batch at once.
    from minixai.backends import numba_cpu
    ops = numba_convolutions(case, seed)
    whole = ops()
    with mock.patch.object(numba_cpu, "CHUNK_BYTES", 1):
        chunked = ops()
    for a, b in zip(chunked, whole):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.backends("numba")
@given(case=st.one_of(conv2d_cases, winograd_cases(max_batch=4)), seed=seeds())
def test_numba_chunks_shared_among_threads_give_the_serial_bits(backend, case, seed):
    # With BLAS on two threads the chunks run side by side (_each_chunk), each with one-thread
    # BLAS; every chunk writes its own slice or partial sum, so the bits equal the serial loop's.
    from threadpoolctl import threadpool_limits

    from minixai.backends import numba_cpu
    ops = numba_convolutions(case, seed)
    with mock.patch.object(numba_cpu, "CHUNK_BYTES", 1):
        with threadpool_limits(1, user_api="blas"):
            serial = ops()
        with threadpool_limits(2, user_api="blas"), \
                mock.patch.object(numba_cpu, "_pool", wraps=numba_cpu._pool) as pool:
            threaded = ops()
    assert pool.called == (case.x_shape[0] > 1)  # one image is one chunk: nothing to share
    for a, b in zip(threaded, serial):
        np.testing.assert_array_equal(a, b)


@given(n=st.integers(1, 4), c=st.integers(1, 5), width=st.integers(1, 12), kw=st.integers(1, 5),
       pw=st.integers(0, 4), dtype=dtypes, seed=seeds())
def test_the_1d_im2col_equals_the_general_one(n, c, width, kw, pw, dtype, seed):
    # numba_cpu copies 1-D signals at stride 1 through a padded buffer (kernels.im2col_1d).
    from minixai.backends import _numba_kernels
    wo = width + 2 * pw - kw + 1
    assume(wo >= 1)
    x = make_array(seed, (n, c, 1, width), dtype)
    general, fast = (np.full((c * kw, n * wo), np.nan, dtype) for _ in range(2))
    _numba_kernels.im2col(x, 1, kw, 1, 1, 0, pw, 1, wo, general)
    _numba_kernels.im2col_1d(x, kw, pw, wo, fast, np.full((c, n, width + 2 * pw), np.nan, dtype))
    np.testing.assert_array_equal(fast, general)


pool2d_cases = pool_cases().map(lambda case: case.as_2d())


@given(case=pool2d_cases, dtype=dtypes, seed=seeds(), kind=st.sampled_from(["normal", "ties"]))
def test_maxpool2d_forward_values_and_switches_equal_reference(backend, case, dtype, seed, kind):
    x = make_array(seed, case.x_shape, dtype, kind)
    (y, switches), (y_ref, switches_ref) = both(backend, "maxpool2d_forward", x, case.kernel, case.stride)
    np.testing.assert_array_equal(y, y_ref)
    assert y.dtype == y_ref.dtype
    np.testing.assert_array_equal(switches, switches_ref)
    # Layer.infer's call: the same values and no switches.
    B = backends.get(backend)
    y_alone, none = B.maxpool2d_forward(B.asarray(x), case.kernel, case.stride, switches=False)
    assert none is None
    np.testing.assert_array_equal(B.to_numpy(y_alone), y_ref)


@pytest.mark.parametrize("kernel", [(1, 2), (2, 2)])
@given(height=st.integers(2, 7), width=st.integers(2, 9), dtype=dtypes, seed=seeds(),
       kind=st.sampled_from(["normal", "ties"]))
def test_pools_of_two_take_their_own_kernels_and_equal_the_general_one(kernel, height, width, dtype, seed, kind):
    # numba_cpu runs the 1-D and 2-D pools of 2 through unrolled kernels (odd sizes drop the last
    # row or column); values and switches must be the general kernel's and the reference's.
    from minixai.backends import _numba_kernels, numba_cpu
    x = make_array(seed, (2, 3, height, width), dtype, kind)
    (y, switches), (y_ref, switches_ref) = numba_cpu.maxpool2d_forward(x, kernel, kernel), \
        reference.maxpool2d_forward(x, kernel, kernel)
    y_general, switches_general = np.empty_like(y), np.empty_like(switches)
    ho, wo = y.shape[2:]
    _numba_kernels.maxpool_forward(x.reshape(6, -1), width, *kernel, *kernel, wo, y_general.reshape(6, -1),
                                   switches_general.reshape(6, -1))
    for a, b in ((y, y_ref), (switches, switches_ref), (y_general, y_ref), (switches_general, switches_ref)):
        np.testing.assert_array_equal(a, b)
    # Values alone (even widths run the 1-D pool as one long row).
    np.testing.assert_array_equal(numba_cpu.maxpool2d_forward(x, kernel, kernel, switches=False)[0], y_ref)


@given(case=pool2d_cases, dtype=dtypes, seed=seeds(), kind=st.sampled_from(["normal", "ties"]))
def test_maxpool2d_backward_agrees_with_reference(backend, case, dtype, seed, kind):
    # Each backend routes through its own switches (they equal the reference's, tested above).
    B = backends.get(backend)
    x = make_array(seed, case.x_shape, dtype, kind)
    _, switches = B.maxpool2d_forward(B.asarray(x), case.kernel, case.stride)
    _, switches_ref = reference.maxpool2d_forward(x, case.kernel, case.stride)
    g = make_array(seed + 1, switches_ref.shape, dtype)
    actual = B.to_numpy(B.maxpool2d_backward(B.asarray(g), switches, case.x_shape))
    assert_agrees(actual, reference.maxpool2d_backward(g, switches_ref, case.x_shape), "maxpool2d_backward")


@given(shape=images, dtype=dtypes, seed=seeds())
def test_gap_forward_and_backward_agree_with_reference(backend, shape, dtype, seed):
    actual, expected = both(backend, "gap_forward", make_array(seed, shape, dtype))
    assert_agrees(actual, expected, "gap_forward")
    actual, expected = both(backend, "gap_backward", make_array(seed + 1, shape[:2], dtype), shape)
    assert_agrees(actual, expected, "gap_backward")


@given(case=dense_cases(), dtype=dtypes, seed=seeds())
def test_dense_forward_and_backward_agree_with_reference(backend, case, dtype, seed):
    x = make_array(seed, (case.n, case.in_features), dtype)
    w = make_array(seed + 1, (case.out_features, case.in_features), dtype)
    b = make_array(seed + 2, (case.out_features,), dtype) if case.bias else None
    g = make_array(seed + 3, (case.n, case.out_features), dtype)
    assert_agrees(*both(backend, "dense_forward", x, w, b), "dense_forward")
    assert_agrees(*both(backend, "dense_backward_input", g, w), "dense_backward_input")
    (dw, db), (dw_ref, db_ref) = both(backend, "dense_backward_params", g, x)
    assert_agrees(dw, dw_ref, "dense dw")
    assert_agrees(db, db_ref, "dense db")


@given(case=model_cases(), dtype=dtypes, seed=seeds())
def test_model_trace_and_backward_agree_with_reference(backend, case, dtype, seed):
    model, x = case.model.astype(dtype), case.x.astype(dtype)
    expected = model.trace(x, backend="numpy")
    # float32 rounding differs between backends: stay clear of kinks and ties they could flip.
    assume(not near_kink(expected, delta=1e-4 if dtype == np.float32 else 1e-10))
    actual = model.trace(x, backend=backend)
    for name in model.names:
        assert_agrees(actual.activation(name), expected.activation(name), f"activation {name}")
    g = make_array(seed, expected.output.shape, dtype)
    got = actual.backward(g, params=True, keep=model.names)
    want = expected.backward(g, params=True, keep=model.names)
    assert_agrees(got.input, want.input, "input gradient")
    assert sorted(got.layers) == sorted(model.names) and sorted(got.params) == sorted(want.params)
    for name in model.names:
        assert_agrees(got.layers[name], want.layers[name], f"signal at {name}")
    for key in want.params:
        assert_agrees(got.params[key], want.params[key], f"gradient of {key}")


HAND_TIES = np.array([[3., 1., 3., 0.],
                      [2., 3., 0., 0.],
                      [3., 3., 1., 1.]])


@pytest.mark.backends("numpy", "numba", "cuda")
def test_maxpool_ties_go_to_first_maximum_on_every_backend(backend):
    # 2x2 windows, stride 1, on HAND_TIES; windows listed row by row, flat index = row * 4 + col.
    # (0,0): 3 at 0 and 5 -> 0.  (0,1): 3 at 2 and 5 -> 2.  (0,2): 3 at 2 -> 2.
    # (1,0): 3 at 5, 8, 9 -> 5.  (1,1): 3 at 5 and 9 -> 5.  (1,2): 1 at 10, 11 -> 10.
    B = backends.get(backend)
    x = HAND_TIES[None, None]
    y, switches = B.maxpool2d_forward(B.asarray(x), (2, 2), (1, 1))
    np.testing.assert_array_equal(B.to_numpy(y)[0, 0], [[3, 3, 3], [3, 3, 1]])
    np.testing.assert_array_equal(B.to_numpy(switches)[0, 0], [[0, 2, 2], [5, 5, 10]])
    r_in = B.to_numpy(B.maxpool2d_backward(B.asarray(np.ones((1, 1, 2, 3))), switches, x.shape))
    np.testing.assert_array_equal(r_in[0, 0], [[1, 0, 2, 0], [0, 2, 0, 0], [0, 0, 1, 0]])


def brute_force_switches(x: np.ndarray, kernel: tuple, stride: tuple) -> np.ndarray:
    """The first maximum of each window in row-by-row scan order, by a plain loop."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((n, c, ho, wo), dtype=np.int64)
    for i in np.ndindex(n, c, ho, wo):
        best = None
        for p in range(kh):
            for q in range(kw):
                row, col = i[2] * sh + p, i[3] * sw + q
                if best is None or x[i[0], i[1], row, col] > best:
                    best, out[i] = x[i[0], i[1], row, col], row * w + col
    return out


@pytest.mark.backends("numpy", "numba", "cuda")
@given(case=pool2d_cases, dtype=dtypes, x_seed=seeds())
def test_maxpool_ties_break_in_scan_order_for_any_window(backend, case, dtype, x_seed):
    B = backends.get(backend)
    x = make_array(x_seed, case.x_shape, dtype, kind="ties")
    _, switches = B.maxpool2d_forward(B.asarray(x), case.kernel, case.stride)
    np.testing.assert_array_equal(B.to_numpy(switches), brute_force_switches(x, case.kernel, case.stride))



def test_numba_reuses_winograd_weights_only_while_the_weights_are_unchanged():
    # The transformed weights are kept between calls; weights changed in place (as an optimiser
    # step changes them) must be transformed again, not served from the cache.
    from minixai.backends import numba_cpu
    x, w = make_array(0, (2, 16, 6, 6)), make_array(1, (16, 16, 3, 3))
    first = numba_cpu.conv2d_forward(x, w, None, (1, 1), (1, 1))
    assert numba_cpu._winograd_weights(w) is numba_cpu._winograd_weights(w)
    w *= -2.0
    assert_agrees(numba_cpu.conv2d_forward(x, w, None, (1, 1), (1, 1)), -2.0 * first, "after an in-place change")
    assert_agrees(numba_cpu.conv2d_forward(x, w, None, (1, 1), (1, 1)),
                  reference.conv2d_forward(x, w, None, (1, 1), (1, 1)), "forward")
