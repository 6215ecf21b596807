"""Every layer's backward pass equals central differences of its forward pass, on every backend.

float64 throughout; tolerances in ``tests.strategies`` (GRAD_RTOL 1e-6, GRAD_ATOL 1e-7 times the
objective's scale, step 1e-6). The objective is sum(G * y) for a random G, so its gradient with
respect to the output is G: ``trace.backward(G)`` must give d/dx and ``params=True`` d/dW, d/db.
On the CUDA backend (simulated) three random directional derivatives replace the per-element
differences, to keep the number of simulated threads small.
"""
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from minixai.nn import Dense, Flatten, GlobalAvgPool, ReLU, Sequential
from tests.strategies import (assert_gradient_matches, conv_cases, dense_cases, image_shapes,
                              make_array, model_cases, near_kink, pool_cases, seeds)


def check_layer_gradients(layer, x: np.ndarray, backend: str, seed: int) -> None:
    """Input and parameter gradients of sum(G * layer(x)) match central differences."""
    model = Sequential([("layer", layer)]).astype(np.float64)
    trace = model.trace(x, backend=backend)
    g = make_array(seed, trace.output.shape)
    signals = trace.backward(g, params=True)
    full = backend != "cuda"

    def objective(value):
        return float(np.sum(g * model.forward(value, backend=backend)))

    assert_gradient_matches(objective, x, signals.input, full=full)
    assert sorted(signals.params) == sorted(f"layer.{p}" for p in layer.param_names)
    for p in layer.param_names:
        original = getattr(layer, p)

        def objective_of_param(value, p=p, original=original):
            setattr(layer, p, value)
            try:
                return objective(x)
            finally:
                setattr(layer, p, original)

        assert_gradient_matches(objective_of_param, original, signals.params[f"layer.{p}"], full=full)


@given(case=conv_cases(dims=1), seed=seeds())
def test_conv1d_input_and_parameter_gradients_match_finite_differences(backend, case, seed):
    x = make_array(seed, case.x_shape)
    check_layer_gradients(case.layer(rng=seed), x, backend, seed + 1)


@given(case=conv_cases(dims=2), seed=seeds())
def test_conv2d_input_and_parameter_gradients_match_finite_differences(backend, case, seed):
    x = make_array(seed, case.x_shape)
    check_layer_gradients(case.layer(rng=seed), x, backend, seed + 1)


@given(shape=image_shapes(), seed=seeds())
def test_relu_gradient_matches_finite_differences(backend, shape, seed):
    x = make_array(seed, shape, kind="separated")
    check_layer_gradients(ReLU(), x, backend, seed + 1)


@given(case=pool_cases(dims=1), seed=seeds())
def test_maxpool1d_gradient_matches_finite_differences(backend, case, seed):
    x = make_array(seed, case.x_shape, kind="separated")
    check_layer_gradients(case.layer(), x, backend, seed + 1)


@given(case=pool_cases(dims=2), seed=seeds())
def test_maxpool2d_gradient_matches_finite_differences(backend, case, seed):
    x = make_array(seed, case.x_shape, kind="separated")
    check_layer_gradients(case.layer(), x, backend, seed + 1)


@given(case=pool_cases(overlapping=True), seed=seeds())
def test_overlapping_maxpool_gradient_adds_up_at_shared_winners(backend, case, seed):
    assert case.overlapping
    x = make_array(seed, case.x_shape, kind="separated")
    check_layer_gradients(case.layer(), x, backend, seed + 1)


@given(shape=image_shapes(), seed=seeds())
def test_global_avg_pool_gradient_matches_finite_differences(backend, shape, seed):
    x = make_array(seed, shape)
    check_layer_gradients(GlobalAvgPool(), x, backend, seed + 1)


@given(shape=image_shapes(), seed=seeds())
def test_flatten_gradient_matches_finite_differences(backend, shape, seed):
    x = make_array(seed, shape)
    check_layer_gradients(Flatten(), x, backend, seed + 1)


@given(case=dense_cases(), seed=seeds())
def test_dense_input_and_parameter_gradients_match_finite_differences(backend, case, seed):
    x = make_array(seed, (case.n, case.in_features))
    check_layer_gradients(case.layer(rng=seed), x, backend, seed + 1)


@given(case=model_cases(), seed=seeds())
def test_model_input_and_parameter_gradients_match_finite_differences(backend, case, seed):
    model, x = case.model, case.x
    trace = model.trace(x, backend=backend)
    assume(not near_kink(trace))
    g = make_array(seed, trace.output.shape)
    signals = trace.backward(g, params=True)
    full = backend != "cuda"

    def objective(value):
        return float(np.sum(g * model.forward(value, backend=backend)))

    assert_gradient_matches(objective, x, signals.input, full=full)
    assert sorted(signals.params) == sorted(model.named_parameters())
    for key, param in model.named_parameters().items():
        original = param.copy()

        def objective_of_param(value, param=param, original=original):
            param[...] = value
            try:
                return objective(x)
            finally:
                param[...] = original

        assert_gradient_matches(objective_of_param, original, signals.params[key], full=full)


@given(case=model_cases(pool="overlapping"), seed=seeds())
def test_model_with_relu_then_overlapping_maxpool_gradient_matches_finite_differences(backend, case, seed):
    model, x = case.model, case.x
    trace = model.trace(x, backend=backend)
    assume(not near_kink(trace))
    g = make_array(seed, trace.output.shape)

    def objective(value):
        return float(np.sum(g * model.forward(value, backend=backend)))

    assert_gradient_matches(objective, x, trace.backward(g).input, full=backend != "cuda")


@given(n=st.integers(1, 3), seed=seeds())
def test_dense_gradient_is_the_transposed_weight_times_the_signal(backend, n, seed):
    # An exact identity rather than a difference quotient: dx = g W, dW = g^T x, db = sum_n g.
    layer = Dense(4, 3, rng=seed)
    model = Sequential([("fc", layer)]).astype(np.float64)
    x = make_array(seed, (n, 4))
    g = make_array(seed + 1, (n, 3))
    signals = model.trace(x, backend=backend).backward(g, params=True)
    np.testing.assert_allclose(signals.input, g @ layer.weight, rtol=1e-12)
    np.testing.assert_allclose(signals.params["fc.weight"], g.T @ x, rtol=1e-12)
    np.testing.assert_allclose(signals.params["fc.bias"], g.sum(axis=0), rtol=1e-12)


@given(shape=image_shapes(), seed=seeds())
def test_gap_gradient_spreads_the_signal_evenly_over_positions(backend, shape, seed):
    x = make_array(seed, shape)
    g = make_array(seed + 1, shape[:2])
    r_in = Sequential([("gap", GlobalAvgPool())]).trace(x, backend=backend).backward(g).input
    positions = int(np.prod(shape[2:]))
    expected = np.broadcast_to(g.reshape(g.shape + (1,) * (len(shape) - 2)) / positions, shape)
    np.testing.assert_allclose(r_in, expected, rtol=1e-12)

