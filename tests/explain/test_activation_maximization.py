"""Activation maximisation: argmax_I S(I) - lambda ||I||^2 by gradient ascent from the zero image."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minixai.errors import NotApplicableError, ParameterError, ShapeError, UnknownNameError
from minixai.explain import EXPLAINERS, activation_maximization
from minixai.nn import Conv1d, Conv2d, Dense, Flatten, GlobalAvgPool, ReLU, Sequential, softmax
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees, seeds


def linear_model(weight) -> Sequential:
    weight = np.asarray(weight, dtype=np.float64)
    fc = Dense(weight.shape[1], weight.shape[0], bias=False)
    fc.weight = weight
    return Sequential([("flatten", Flatten()), ("fc", fc)])


def smooth_at_zero_model(seed: int, dims: int) -> Sequential:
    """conv - ReLU - conv - ReLU - GAP - dense without max-pools: at the zero image every conv
    output is its bias, so no pooling window ties (with max-pools, zero is a tie everywhere)."""
    rng = np.random.default_rng(seed)
    conv = Conv1d if dims == 1 else Conv2d
    return Sequential([("conv1", conv(2, 3, 3, padding=1, rng=rng)), ("relu1", ReLU()),
                       ("conv2", conv(3, 3, 3, rng=rng)), ("relu2", ReLU()),
                       ("gap", GlobalAvgPool()), ("fc", Dense(3, 3, rng=rng))]).astype(np.float64)


def test_activation_maximization_is_registered_inside_the_model():
    assert EXPLAINERS["activation_maximization"] is activation_maximization


def test_the_class_model_of_a_linear_classifier_is_its_weight_row_over_two_lambda():
    # S_c(I) = w_c . I, so S_c - lambda ||I||^2 peaks at I* = w_c / (2 lambda); every step stays on
    # the line through 0 and w_c, and the shrinking steps settle within step_size / steps of I*.
    W = np.array([[1.0, -2.0, 0.5, 0.5], [0.0, 1.0, 1.0, -2.0]])
    model = linear_model(W)
    x = np.zeros((1, 1, 4))
    I = activation_maximization(model, x, target=[0, 1], l2=0.5, steps=200, step_size=0.1)
    np.testing.assert_allclose(I[:, 0], W, atol=2e-3)
    I = activation_maximization(model, x, target=1, l2=2.5, steps=200, step_size=0.1)
    np.testing.assert_allclose(I[:, 0], W[1:] / 5, atol=2e-3)


@given(seed=seeds(), dims=st.sampled_from([1, 2]))
def test_small_steps_raise_the_target_score_monotonically_from_the_zero_image(seed, dims):
    model = smooth_at_zero_model(seed, dims)
    x = np.zeros((3, 2) + (7,) * dims)
    gradient = model.trace(x).backward(np.eye(3)).input
    assume(np.all(np.abs(gradient).reshape(3, -1).max(axis=1) > 0))  # a class whose units are all dead cannot move
    I, trajectory = activation_maximization(model, x, target=[0, 1, 2], steps=20, step_size=1e-4, l2=0,
                                            return_trajectory=True)
    assert trajectory.shape == (3, 21)
    assert np.all(np.diff(trajectory, axis=1) >= -1e-12)
    zero_scores = model.forward(x[:1])[0]
    assert np.all(np.diag(model.forward(I)) > zero_scores)
    np.testing.assert_allclose(trajectory[:, -1], np.diag(model.forward(I)), rtol=1e-12)


def test_the_probability_objective_raises_the_softmax_of_the_target():
    model = smooth_at_zero_model(5, 1)
    x = np.zeros((1, 2, 7))
    I, trajectory = activation_maximization(model, x, target=[0, 1, 2], objective="probability", steps=20,
                                            step_size=1e-3, l2=0, return_trajectory=True)
    p = softmax(model.forward(I))
    np.testing.assert_allclose(trajectory[:, -1], np.diag(p), rtol=1e-12)
    np.testing.assert_allclose(trajectory[:, 0], softmax(model.forward(x))[0], rtol=1e-12)
    assert np.all(np.diff(trajectory, axis=1) >= -1e-12) and np.all(trajectory[:, -1] > trajectory[:, 0])


def test_a_large_lambda_shrinks_the_class_model_towards_zero():
    model, x = tiny_model(seed=0, dtype=np.float64)
    size = [np.abs(activation_maximization(model, x, target=[0, 1, 2], l2=l2, steps=40)).mean() for l2 in (0.01, 1e3)]
    assert size[1] < 0.01 * size[0]


def test_a_channel_of_the_last_layer_is_the_class_score():
    # The output of fc has no positions, so the mean of channel c is the logit y_c itself.
    model, x = tiny_model(seed=1, dtype=np.float64)
    by_class = activation_maximization(model, x[:1], target=[2, 0], steps=10)
    by_unit = activation_maximization(model, x[:1], layer="fc", unit=[2, 0], steps=10)
    np.testing.assert_array_equal(by_unit, by_class)
    by_index = activation_maximization(model, x[:1], layer="fc", unit=(2,), steps=10)
    np.testing.assert_array_equal(by_index, by_class[:1])


def test_a_channel_objective_raises_that_channels_mean_activation():
    model, x = tiny_model(seed=2, dtype=np.float64)
    start = np.random.default_rng(0).normal(size=(1, 1, 12))
    I = activation_maximization(model, None, layer="relu2", unit=[0, 1, 2, 3], start=start, steps=20, l2=0)
    before = model.forward(start, stop="relu2").mean(axis=2)[0]
    after = np.diag(model.forward(I, stop="relu2").mean(axis=2))
    assert np.all(after >= before) and np.all(after[before > 0] > 2 * before[before > 0])


def test_rows_follow_the_targets_and_target_none_takes_each_rows_prediction():
    model, x = tiny_model(seed=0, dtype=np.float64)
    predicted = model.predict(x)
    np.testing.assert_array_equal(activation_maximization(model, x, steps=5),
                                  activation_maximization(model, x, target=list(predicted), steps=5))
    assert activation_maximization(model, x, target=1, steps=2).shape == (1, 1, 12)
    started = activation_maximization(model, x, target=[0, 1], start="x", steps=0)
    np.testing.assert_array_equal(started, x)


def test_jitter_blur_and_clipping_are_deterministic_under_a_seed_and_batch_size_free():
    model, x = tiny_model(seed=0, dtype=np.float64)
    kwargs = dict(target=[0, 1, 2], steps=12, jitter=2, blur_every=4, blur_sigma=1.0, clip=(-0.5, 0.5))
    one = activation_maximization(model, x, seed=3, **kwargs)
    np.testing.assert_array_equal(one, activation_maximization(model, x, seed=3, **kwargs))
    np.testing.assert_allclose(activation_maximization(model, x, seed=3, batch_size=1, **kwargs), one, atol=1e-12)
    assert not np.array_equal(activation_maximization(model, x, seed=4, **kwargs), one)
    assert one.min() >= -0.5 and one.max() <= 0.5


def test_clip_small_zeroes_the_positions_of_smallest_norm():
    model, x = tiny_model(seed=0, dtype=np.float64)
    I = activation_maximization(model, x, target=[0], steps=5, clip_small=50)
    assert np.count_nonzero(I) <= 6


def test_every_backend_agrees_with_numpy(backend):
    model, x = tiny_model(seed=0)
    expected = activation_maximization(model, x, target=[0, 2], steps=3, backend="numpy")
    assert_agrees(activation_maximization(model, x, target=[0, 2], steps=3, backend=backend), expected, "am")


def test_a_bare_callable_is_not_applicable():
    model, x = tiny_model()
    with pytest.raises(NotApplicableError, match="model: activation_maximization needs a minixai Sequential"):
        activation_maximization(lambda batch: model(batch), x)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"layer": "conv9"}, UnknownNameError, "layer: unknown name 'conv9'; valid names are conv1"),
    ({"layer": "relu2", "unit": 4}, ParameterError, "unit: channel 4 out of range: layer 'relu2' has 4 channels"),
    ({"layer": "relu2", "unit": (0, 5)}, ParameterError, r"unit: index \(0, 5\) out of range"),
    ({"layer": "relu2", "unit": "a"}, ParameterError, "unit: expected a channel"),
    ({"unit": 0}, ParameterError, "unit: needs layer="),
    ({"layer": "fc", "target": 1}, ParameterError, "target: maximise classes"),
    ({"layer": "fc", "objective": "probability"}, ParameterError, "objective"),
    ({"steps": -1}, ParameterError, "steps: expected an integer >= 0"),
    ({"l2": -1.0}, ParameterError, "l2"),
    ({"objective": "logit"}, UnknownNameError, "objective: unknown name 'logit'"),
    ({"target": 3}, ParameterError, r"target: expected classes in \[0, 3\)"),
    ({"start": "noise"}, UnknownNameError, "start: unknown name 'noise'"),
    ({"start": np.zeros((1, 1, 11))}, ShapeError, "start: expected shape"),
    ({"clip_small": 100}, ParameterError, "clip_small"),
])
def test_bad_parameters_raise_errors_that_name_them(kwargs, error, match):
    model, x = tiny_model()
    with pytest.raises(error, match=match):
        activation_maximization(model, x, **kwargs)


def test_without_x_the_start_array_gives_the_shape():
    model, _ = tiny_model()
    with pytest.raises(ParameterError, match="x: give an input"):
        activation_maximization(model, None, target=0)
    assert activation_maximization(model, None, target=[0, 1], start=np.zeros((1, 1, 12)), steps=2).shape == (2, 1, 12)
