"""DeepLIFT's cells one at a time: hand-computed multipliers, the x ~ x0 fallback, and summation to
delta across a single ReLU or max-pool layer (overlapping windows included)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import NotApplicableError, ParameterError
from minixai.nn import Dense, MaxPool1d, ReLU, Sequential
from minixai.rules import deeplift_rescale, deeplift_reveal_cancel, gradient
from minixai.rules.deeplift import RevealCancel, deeplift_rule
from tests.strategies import make_array, pool_cases, seeds


def multipliers(model, x, x0, rule="rescale", signal=None, backend="numpy"):
    trace, reference = model.trace(x, backend=backend), model.trace(x0, backend=backend)
    signal = np.ones_like(trace.output) if signal is None else signal
    return trace.backward(signal, rule=deeplift_rule(rule, trace, reference), reference=reference).input


def test_rescale_relu_multiplier_is_the_secant_slope():
    model = Sequential([("relu", ReLU())])
    x, x0 = np.array([[2.0, 2.0, -1.0, 3.0]]), np.array([[-1.0, 1.0, -3.0, 3.0]])
    # (relu(x) - relu(x0)) / (x - x0): 2 / 3, 1 / 1, 0 / 2; the last has x == x0: the gradient, 1.
    np.testing.assert_allclose(multipliers(model, x, x0), [[2 / 3, 1.0, 0.0, 1.0]], rtol=1e-15)


def test_rescale_falls_back_to_the_gradient_without_nan_when_x_equals_x0():
    model = Sequential([("relu", ReLU()), ("pool", MaxPool1d(3, 1))])
    x = np.array([[[1.0, -2.0, 0.5, 3.0, -1.0]]])
    signal = np.array([[[1.0, -2.0, 0.5]]])
    trace = model.trace(x, backend="numpy")
    expected = trace.backward(signal).input
    for nearly in (x, x + 1e-13):
        m = multipliers(model, x, nearly, signal=signal)
        assert np.all(np.isfinite(m))
        np.testing.assert_allclose(m, expected, rtol=0, atol=1e-12)


def test_maxpool_two_inputs_credits_the_winner_of_the_larger_pass():
    model = Sequential([("pool", MaxPool1d(2))])
    # y = 3 >= y0 = 0: all of Δy = 3 goes to x's argmax (index 0), multiplier 3 / 3.
    np.testing.assert_allclose(multipliers(model, np.array([[[3.0, 1.0]]]), np.array([[[0.0, 0.0]]])), [[[1.0, 0.0]]])
    # y = 2 < y0 = 4: Δy = -2 goes to x0's argmax (index 1), where Δx = -3: multiplier 2 / 3.
    np.testing.assert_allclose(multipliers(model, np.array([[[2.0, 1.0]]]), np.array([[[0.0, 4.0]]])),
                               [[[0.0, 2 / 3]]], rtol=1e-15)


def test_reveal_cancel_splits_a_relu_input_into_positive_and_negative_terms():
    # z = x1 - x2, y = relu(z); x = (3, 1), x0 = (0, 0): terms +3 and -1, so Δz+ = 3, Δz- = -1, z0 = 0.
    # Δy+ = (relu(3) - relu(0)) / 2 + (relu(2) - relu(-1)) / 2 = 2.5; Δy- = 0 / 2 + (relu(2) - relu(3)) / 2 = -0.5.
    fc = Dense(2, 1, bias=False)
    fc.weight = np.array([[1.0, -1.0]])
    model = Sequential([("fc", fc), ("relu", ReLU())])
    x, x0 = np.array([[3.0, 1.0]]), np.zeros((1, 2))
    reveal = multipliers(model, x, x0, "reveal_cancel")
    np.testing.assert_allclose(reveal * (x - x0), [[2.5, -0.5]], rtol=1e-15)
    np.testing.assert_allclose(multipliers(model, x, x0) * (x - x0), [[3.0, -1.0]], rtol=1e-15)


@given(case=pool_cases(overlapping=True), seed=seeds())
def test_maxpool_cell_sums_to_delta_with_overlapping_windows(case, seed):
    layer = case.layer()
    model = Sequential([("relu", ReLU()), ("pool", layer)])
    # ReLU first, so windows hold exact zeros and ties: where Captum's rule loses the sum.
    x, x0 = make_array(seed, case.x_shape), make_array(seed + 1, case.x_shape)
    trace, reference = model.trace(x, backend="numpy"), model.trace(x0, backend="numpy")
    signal = make_array(seed + 2, trace.output.shape)
    m = trace.backward(signal, rule=deeplift_rescale, reference=reference).input
    expected = np.sum(signal * (trace.output - reference.output))
    assert abs(np.sum(m * (x - x0)) - expected) <= 1e-12 * max(1.0, np.abs(signal).sum())


@given(seed=seeds(), shift=st.floats(-2, 2))
def test_reveal_cancel_relu_keeps_summation_to_delta_for_one_dense_layer(seed, shift):
    rng = np.random.default_rng(seed)
    model = Sequential([("fc", Dense(5, 4, rng=rng)), ("relu", ReLU())]).astype(np.float64)
    x, x0 = rng.normal(size=(2, 5)), rng.normal(size=(2, 5)) + shift
    trace, reference = model.trace(x, backend="numpy"), model.trace(x0, backend="numpy")
    signal = rng.normal(size=trace.output.shape)
    m = trace.backward(signal, rule=RevealCancel(trace, reference), reference=reference).input
    assert abs(np.sum(m * (x - x0)) - np.sum(signal * (trace.output - reference.output))) < 1e-12


def test_rules_change_only_the_nonlinear_cells():
    for rule in (deeplift_rescale, deeplift_reveal_cancel):
        assert rule.needs_reference
        assert rule.cell(Dense(2, 2)) is not None
    assert deeplift_rescale.cells[Dense] is gradient.cells[Dense]
    assert deeplift_rescale.cells[ReLU] is not gradient.cells[ReLU]


def test_reveal_cancel_template_asks_to_be_built_for_the_explanation():
    model = Sequential([("relu", ReLU())])
    x = np.ones((1, 2))
    trace = model.trace(x, backend="numpy")
    with pytest.raises(NotApplicableError, match="RevealCancel"):
        trace.backward(np.ones((1, 2)), rule=deeplift_reveal_cancel, reference=trace)
    with pytest.raises(ParameterError, match="reference"):
        RevealCancel(trace, None)
    with pytest.raises(ParameterError, match="rule"):
        deeplift_rule("guided", trace, trace)


@given(seed=seeds())
def test_reveal_cancel_signal_injected_below_a_relu_reaches_both_parts(seed):
    rng = np.random.default_rng(seed)
    model = Sequential([("fc1", Dense(5, 4, rng=rng)), ("relu", ReLU()),
                        ("fc2", Dense(4, 2, rng=rng))]).astype(np.float64)
    x, x0 = rng.normal(size=(2, 5)), rng.normal(size=(2, 5))
    trace, reference = model.trace(x, backend="numpy"), model.trace(x0, backend="numpy")
    signal, extra = rng.normal(size=(2, 2)), rng.normal(size=(2, 4))
    m = trace.backward(signal, inject={"fc1": extra}, rule=RevealCancel(trace, reference), reference=reference).input
    # Summation to delta for the objective sum(signal * y) + sum(extra * z), z = fc1's output.
    z, z0 = trace.activation("fc1"), reference.activation("fc1")
    expected = np.sum(signal * (trace.output - reference.output)) + np.sum(extra * (z - z0))
    assert abs(np.sum(m * (x - x0)) - expected) < 1e-12
