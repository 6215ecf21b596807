"""Completeness: the gap by hand on a linear model, IG's own gap, baselines, probability scores."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import ParameterError, ShapeError, UnknownNameError
from minixai.explain import gradient_x_input, integrated_gradients
from minixai.metrics import completeness
from tests.explain._gradient_family_strategies import tiny_model
from tests.metrics._models import batch_invariant, linear_binary, sigmoid
from tests.strategies import assert_agrees, model_cases


def test_gap_by_hand_on_a_linear_model():
    model, x, w = linear_binary(0, n=4)
    ones = np.ones_like(x)
    result = completeness(model, x, ones, 0)
    contributions = (w * x).reshape(4, -1).sum(axis=1)           # f(x) - f(0): the bias cancels
    np.testing.assert_allclose(result.per_sample["delta"], contributions, atol=1e-12)
    np.testing.assert_allclose(result.per_sample["gap"], x[0].size - contributions, atol=1e-12)
    assert result["max_abs_gap"] == pytest.approx(np.abs(x[0].size - contributions).max())
    assert completeness(model, x, w * x, 0)["max_abs_gap"] < 1e-12   # w ⊙ x is complete


def test_array_and_list_baselines_compare_with_the_mean_baseline_score():
    model, x, w = linear_binary(1, n=3)
    b1, b2 = np.full(x.shape[1:], 0.5), -np.ones(x.shape[1:])
    a = w * (x - b1)
    assert completeness(model, x, a, 0, baseline=b1)["max_abs_gap"] < 1e-12
    # Against [b1, b2], f(x') is the mean of both scores: the attributions of expected IG.
    expected = w * (x - (b1 + b2) / 2)
    assert completeness(model, x, expected, 0, baseline=[b1, b2])["max_abs_gap"] < 1e-12


def test_probability_score_uses_the_softmax():
    model, x, w = linear_binary(2, n=2)
    result = completeness(model, x, np.zeros_like(x), 0, score="probability")
    z = (w * x).reshape(2, -1).sum(axis=1) + 0.3
    np.testing.assert_allclose(result.per_sample["delta"], sigmoid(z) - sigmoid(0.3), rtol=1e-12)


def test_gap_equals_the_gap_integrated_gradients_reports():
    model, x = tiny_model(3, np.float64)
    attributions, gap = integrated_gradients(model, x, steps=8, return_gap=True)
    np.testing.assert_allclose(completeness(model, x, attributions).per_sample["gap"], gap, atol=1e-12)
    many = integrated_gradients(model, x, steps=200, method="riemann_trapezoid")
    few = integrated_gradients(model, x, steps=4, method="riemann_trapezoid")
    assert completeness(model, x, many)["mean_abs_gap"] < completeness(model, x, few)["mean_abs_gap"]


def test_gradient_x_input_is_complete_without_biases():
    model, x = tiny_model(4, np.float64)
    for layer in model.layers.values():
        if getattr(layer, "bias", None) is not None:
            layer.bias[...] = 0
    assert completeness(model, x, gradient_x_input(model, x))["max_abs_gap"] < 1e-12


@given(model_cases(), st.integers(0, 2**31 - 1))
def test_each_row_is_scored_independently_of_the_batch(case, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, *case.x.shape[1:]))
    batch_invariant(completeness, case.model, x, rng.normal(size=x.shape), ["gap", "delta"], baseline="blur")


def test_every_backend_agrees_with_numpy(backend):
    model, x = tiny_model()
    expected = completeness(model, x, x, backend="numpy").per_sample["delta"]    # float32, as the model
    assert_agrees(completeness(model, x, x, backend=backend).per_sample["delta"], expected)


def test_bad_inputs_are_refused_with_named_arguments():
    model, x, w = linear_binary()
    with pytest.raises(ShapeError, match="attributions"):
        completeness(model, x, x[:, :, :3])
    with pytest.raises(ParameterError, match="empty"):
        completeness(model, x[:0], x[:0])
    with pytest.raises(ShapeError, match="baseline"):
        completeness(model, x, x, baseline=np.zeros(5))
    with pytest.raises(UnknownNameError, match="baseline"):
        completeness(model, x, x, baseline="black")
    with pytest.raises(UnknownNameError, match="score"):
        completeness(model, x, x, score="prob")
