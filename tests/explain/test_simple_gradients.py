"""Sensitivity analysis R = (d y_c / d x)^2 and Gradient x Input R = x * d y_c / d x."""
import numpy as np
import pytest
from hypothesis import given

from minixai.errors import NonFiniteError, ParameterError, ShapeError
from minixai.explain import EXPLAINERS, gradient_x_input, saliency, sensitivity
from tests.explain._gradient_family_strategies import HAND, HAND_LOGITS, relu_dense_model, tiny_model, without_biases
from tests.strategies import assert_agrees, model_cases

METHODS = {"sensitivity": sensitivity, "gradient_x_input": gradient_x_input}


def test_both_are_registered_explainers():
    assert EXPLAINERS["sensitivity"] is sensitivity and EXPLAINERS["gradient_x_input"] is gradient_x_input


@pytest.mark.parametrize("target", [0, 1])
def test_hand_computed_values_on_a_dense_relu_dense_model(target):
    model, x = relu_dense_model()
    g = np.array([HAND["gradient"][target]], dtype=np.float64)
    np.testing.assert_array_equal(sensitivity(model, x, target), g ** 2)  # [4, 0, 4, 0]
    np.testing.assert_array_equal(gradient_x_input(model, x, target), x * g)  # class 0: [2, 0, -4, 0]
    # No biases, so y_c is positively homogeneous and Gradient x Input sums to the logit.
    assert gradient_x_input(model, x, target).sum() == HAND_LOGITS[target]


@given(case=model_cases())
def test_sensitivity_is_the_squared_saliency_and_sums_to_the_squared_gradient_norm(case):
    r = sensitivity(case.model, case.x, 1)
    np.testing.assert_array_equal(r, saliency(case.model, case.x, 1) ** 2)
    g = saliency(case.model, case.x, 1, signed=True)
    np.testing.assert_allclose(r.reshape(len(r), -1).sum(1), np.linalg.norm(g.reshape(len(g), -1), axis=1) ** 2,
                               rtol=1e-12)


@given(case=model_cases())
def test_gradient_x_input_sums_to_the_logit_of_a_bias_free_relu_network(case):
    # Conv, ReLU, max-pool, GAP, flatten and dense without biases are positively homogeneous of
    # degree 1, so Euler's theorem gives sum_i x_i d y_c / d x_i = y_c exactly (up to rounding).
    model = without_biases(case.model)
    logits = model.forward(case.x)
    target = logits.argmax(1)
    r = gradient_x_input(model, case.x, target)
    gap = r.reshape(len(r), -1).sum(1) - logits[np.arange(len(r)), target]
    assert np.abs(gap).max() <= 1e-12 * max(1.0, np.abs(logits).max())


@pytest.mark.parametrize("name", sorted(METHODS))
@given(case=model_cases())
def test_batch_invariance(name, case):
    method = METHODS[name]
    # Exact on the numpy backend; BLAS in numba may round a row differently in another batch.
    whole = method(case.model, case.x, [1] * len(case.x), backend="numpy")
    np.testing.assert_array_equal(whole, np.concatenate([method(case.model, row[None], 1, backend="numpy") for row in case.x]))
    np.testing.assert_array_equal(whole, method(case.model, case.x, 1, batch_size=1, backend="numpy"))


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_backend_agrees_with_numpy(backend, name):
    model, x = tiny_model(seed=2)
    assert_agrees(METHODS[name](model, x, backend=backend), METHODS[name](model, x, backend="numpy"), name)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_bad_input_raises_minixai_errors(name):
    method = METHODS[name]
    model, x = tiny_model()
    with pytest.raises(ParameterError, match="target"):
        method(model, x, target=-1)
    with pytest.raises(ParameterError, match="target: expected class indices"):
        method(model, x, target=0.5)
    with pytest.raises(ShapeError):
        method(model, x[:, :, :2])
    with pytest.raises(NonFiniteError, match="x"):
        method(model, np.where(np.arange(12) == 5, np.inf, x))
