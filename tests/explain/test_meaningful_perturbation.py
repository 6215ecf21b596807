"""Meaningful perturbation: the deletion game deletes what matters, its objective falls, its parts are exact."""
import numpy as np
import pytest

from minixai.errors import NotApplicableError, ParameterError, UnknownNameError
from minixai.explain import meaningful_perturbation
from minixai.explain._cam import interpolation_matrix
from minixai.explain.meaningful_perturbation import _upsample, _upsample_transpose, total_variation
from minixai.nn import Flatten, Sequential
from tests.explain._gradient_family_strategies import dense, tiny_model
from tests.strategies import assert_agrees


def one_region_model():
    """logit_0 = sum of x[6:11], logit_1 = 0: only samples 6..10 matter for class 0."""
    W = np.zeros((2, 20))
    W[0, 6:11] = 1
    return Sequential([("flatten", Flatten()), ("fc", dense(W))]), np.ones((1, 1, 20))


def test_the_mask_deletes_exactly_the_region_the_model_uses():
    model, x = one_region_model()
    saliency, objective = meaningful_perturbation(model, x, 0, baseline="zero", mask_size=20, return_objective=True)
    assert saliency.shape == (1, 1, 20)
    inside = np.zeros(20, bool)
    inside[6:11] = True
    assert saliency[0, 0, inside].min() > 0.99 and saliency[0, 0, ~inside].max() < 0.01
    # At the optimum the score sits at p_0 = 1/2 (deleted region) and a quarter of x is deleted.
    assert objective[-1, 0] < objective[0, 0]
    np.testing.assert_allclose(objective[-1, 0], 1.0 * 5 / 20 + 0.2 * 2 / 19 + 0.5, atol=1e-3)


def test_the_objective_decreases_on_a_random_cnn():
    model, x = tiny_model(seed=4, dtype=np.float64)
    _, objective = meaningful_perturbation(model, x, steps=60, mask_size=4, return_objective=True)
    assert objective.shape == (60, len(x))
    assert np.all(objective[-1] < objective[0])
    assert np.all(objective[-10:].mean(0) <= objective[:10].mean(0))


def test_upsampling_transpose_is_the_adjoint_of_upsampling():
    rng = np.random.default_rng(0)
    mats = [interpolation_matrix(3, 7), interpolation_matrix(4, 9)]
    m, g = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 7, 9))
    np.testing.assert_allclose(np.sum(_upsample(m, mats) * g), np.sum(m * _upsample_transpose(g, mats)), rtol=1e-12)


@pytest.mark.parametrize("shape", [(2, 6), (1, 4, 5)])
def test_total_variation_gradient_matches_finite_differences(shape):
    rng = np.random.default_rng(1)
    M = rng.uniform(size=shape)
    _, grad = total_variation(M, 3.0)
    eps, numeric = 1e-6, np.zeros_like(M)
    for index in np.ndindex(*shape):
        up, down = M.copy(), M.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (total_variation(up, 3.0)[0] - total_variation(down, 3.0)[0])[index[0]] / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_rows_are_optimised_independently_and_a_seed_fixes_the_jitter():
    model, x = tiny_model(seed=5, dtype=np.float64)
    target = model(x).argmax(axis=1)
    whole = meaningful_perturbation(model, x, target, steps=20, mask_size=4, jitter=1, seed=3)
    for i in range(len(x)):
        np.testing.assert_allclose(meaningful_perturbation(model, x[i:i + 1], int(target[i]), steps=20, mask_size=4,
                                                           jitter=1, seed=3, batch_size=1), whole[i:i + 1],
                                   rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(meaningful_perturbation(model, x, target, steps=20, mask_size=4, jitter=1, seed=3),
                                  whole)


def test_bad_input_raises_minixai_errors():
    model, x = tiny_model()
    with pytest.raises(ParameterError, match="steps"):
        meaningful_perturbation(model, x, steps=-5)
    with pytest.raises(ParameterError, match="lr"):
        meaningful_perturbation(model, x, lr=0)
    with pytest.raises(ParameterError, match="l1"):
        meaningful_perturbation(model, x, l1=-1)
    with pytest.raises(ParameterError, match="mask_size"):
        meaningful_perturbation(model, x, mask_size=(2, 2))
    with pytest.raises(UnknownNameError, match="baseline"):
        meaningful_perturbation(model, x, baseline="grey")
    with pytest.raises(NotApplicableError, match="minixai model"):
        meaningful_perturbation(lambda z: model(z), x)


def test_every_backend_agrees_with_numpy(backend):
    model, x = tiny_model(seed=2, dtype=np.float64)
    run = dict(steps=3, mask_size=4)
    assert_agrees(meaningful_perturbation(model, x, backend=backend, **run),
                  meaningful_perturbation(model, x, backend="numpy", **run), "meaningful_perturbation")
