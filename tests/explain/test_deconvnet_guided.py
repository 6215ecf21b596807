"""The DeconvNet and guided-backprop explainers: the rule's signal at the input, x's shape."""
import numpy as np
import pytest
from hypothesis import given

from minixai.errors import NonFiniteError, ParameterError, ShapeError
from minixai.explain import EXPLAINERS, deconvnet, guided_backprop, saliency
from minixai.nn import Conv1d, Conv2d, Dense, GlobalAvgPool, ReLU, Sequential
from minixai.rules import guided
from tests.explain._gradient_family_strategies import HAND, relu_dense_model, tiny_model
from tests.strategies import assert_agrees, model_cases, seeds

METHODS = {"deconvnet": deconvnet, "guided_backprop": guided_backprop}
HAND_KEY = {"deconvnet": "deconvnet", "guided_backprop": "guided"}


def test_both_are_registered_explainers():
    assert EXPLAINERS["deconvnet"] is deconvnet and EXPLAINERS["guided_backprop"] is guided_backprop


@pytest.mark.parametrize("name", sorted(METHODS))
def test_hand_computed_maps_for_each_class_and_per_row_targets(name):
    model, x = relu_dense_model()
    expected = HAND[HAND_KEY[name]]
    for target in (0, 1):
        np.testing.assert_array_equal(METHODS[name](model, x, target), [expected[target]])
    np.testing.assert_array_equal(METHODS[name](model, x), [expected[1]])  # class 1 is predicted
    np.testing.assert_array_equal(METHODS[name](model, np.concatenate([x, x]), [1, 0]), [expected[1], expected[0]])


@given(case=model_cases())
def test_guided_backprop_is_the_guided_rule_seeded_with_one_hot_of_the_target(case):
    trace = case.model.trace(case.x)
    seed = np.zeros(trace.output.shape)
    seed[:, 0] = 1
    np.testing.assert_array_equal(guided_backprop(case.model, case.x, 0), trace.backward(seed, rule=guided).input)


@pytest.mark.parametrize("dims", [1, 2])
@given(seed=seeds())
def test_with_one_relu_and_a_positive_head_guided_is_the_gradient_and_deconvnet_ignores_the_input(dims, seed):
    # conv -> ReLU -> GAP -> dense whose row 0 is positive: the signal reaching the ReLU is positive
    # everywhere, so guided's extra mask keeps all of it, and DeconvNet's mask never looks at x.
    rng = np.random.default_rng(seed)
    conv = Conv1d(2, 3, 3, rng=rng) if dims == 1 else Conv2d(2, 3, 3, rng=rng)
    fc = Dense(3, 2, rng=rng)
    fc.weight[0] = np.abs(fc.weight[0]) + 0.1
    model = Sequential([("conv", conv), ("relu", ReLU()), ("gap", GlobalAvgPool()), ("fc", fc)]).astype(np.float64)
    x, other = rng.normal(size=(2, 2, 2, *(6,) * dims))
    np.testing.assert_array_equal(guided_backprop(model, x, 0), saliency(model, x, 0, signed=True))
    np.testing.assert_array_equal(deconvnet(model, x, 0), deconvnet(model, other, 0))
    assert not np.array_equal(saliency(model, x, 0), saliency(model, other, 0))


@pytest.mark.parametrize("name", sorted(METHODS))
@given(case=model_cases())
def test_batch_invariance(name, case):
    method = METHODS[name]
    # Exact on the numpy backend; BLAS in numba may round a row differently in another batch.
    whole = method(case.model, case.x, 1, backend="numpy")
    np.testing.assert_array_equal(whole, np.concatenate([method(case.model, row[None], 1, backend="numpy") for row in case.x]))
    np.testing.assert_array_equal(whole, method(case.model, case.x, 1, batch_size=1, backend="numpy"))


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_backend_agrees_with_numpy(backend, name):
    model, x = tiny_model(seed=7)
    assert_agrees(METHODS[name](model, x, backend=backend), METHODS[name](model, x, backend="numpy"), name)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_bad_input_raises_minixai_errors(name):
    method = METHODS[name]
    model, x = tiny_model()
    with pytest.raises(ParameterError, match=r"target: expected classes in \[0, 3\)"):
        method(model, x, target=[0, 5])
    with pytest.raises(ShapeError, match="target"):
        method(model, x, target=np.zeros((2, 1), int))
    with pytest.raises(ShapeError):
        method(model, x.reshape(2, 12))
    with pytest.raises(NonFiniteError):
        method(model, np.full_like(x, np.nan))
