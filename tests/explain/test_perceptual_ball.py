"""Perceptual-ball saliency: r lowers the margin y_c - max_k y_k while the layers' activations stay put."""
import numpy as np
import pytest
from hypothesis import assume, given

from minixai.errors import NotApplicableError, ParameterError, UnknownNameError
from minixai.explain import EXPLAINERS, perceptual_ball, saliency
from minixai.explain.perceptual_ball import loss_signal, margin
from minixai.nn import Dense, Flatten, Sequential
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees, model_cases


def linear_model(weight) -> Sequential:
    """Flatten -> Dense(weight), no bias: the margin's gradient is the constant w_c - w_k."""
    weight = np.asarray(weight, dtype=np.float64)
    fc = Dense(weight.shape[1], weight.shape[0], bias=False)
    fc.weight = weight
    return Sequential([("flatten", Flatten()), ("fc", fc)])


def test_perceptual_ball_is_registered_in_the_perturbation_family():
    assert EXPLAINERS["perceptual_ball"] is perceptual_ball


def test_on_a_linear_model_each_step_moves_against_the_margin_gradient_by_hand():
    # y = W x with W rows w_0 = [1, 2, 0, -4], w_1 = [0, 0, 1, 0]; x = [1, 1, 1, 0] gives y = [3, 1]:
    # class 0, strongest other class 1, margin gradient v = w_0 - w_1 = [1, 2, -1, -4]. With
    # weight 0 every step is -eta v / max|v| = -eta [1/4, 1/2, -1/4, -1], eta = 0.01 (max x - min x).
    model = linear_model([[1, 2, 0, -4], [0, 0, 1, 0]])
    x = np.array([[[1.0, 1.0, 1.0, 0.0]]])
    _, r0 = perceptual_ball(model, x, steps=0, weight=0, return_perturbation=True)
    saliency_map, r = perceptual_ball(model, x, steps=5, weight=0, return_perturbation=True)
    np.testing.assert_allclose(r - r0, -5 * 0.01 * np.array([[[0.25, 0.5, -0.25, -1.0]]]), atol=1e-15)
    np.testing.assert_allclose(saliency_map, np.abs(r), atol=0)
    assert np.abs(r0).max() <= 0.01  # the random start lies within one step of x


def test_with_kappa_the_steps_stop_once_the_margin_is_below_minus_kappa():
    # Same linear model: each step lowers the margin by eta v.v / max|v| = 0.01 * 22 / 4 = 0.055,
    # from about 2; with kappa = 0 and weight 0 the first step past zero is the last one.
    model = linear_model([[1, 2, 0, -4], [0, 0, 1, 0]])
    x = np.array([[[1.0, 1.0, 1.0, 0.0]]])
    _, r = perceptual_ball(model, x, steps=100, weight=0, kappa=0, return_perturbation=True)
    final = margin(model.forward(x + r), np.array([0]))[0]
    assert -0.055 - 1e-12 <= final < 0
    _, r = perceptual_ball(model, x, steps=100, weight=0, kappa=1.0, return_perturbation=True)
    assert -1.055 - 1e-12 <= margin(model.forward(x + r), np.array([0]))[0] < -1


def test_loss_signal_is_e_c_minus_the_strongest_other_class():
    logits = np.array([[3.0, 5.0, 4.0], [1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(loss_signal(logits, np.array([1, 0]), "margin"), [[0, 1, -1], [1, 0, -1]])
    np.testing.assert_array_equal(loss_signal(logits, np.array([1, 0]), "score"), [[0, 1, 0], [1, 0, 0]])
    # margins 1 and -1: with kappa 0.5 the second row is already far enough
    np.testing.assert_array_equal(loss_signal(logits, np.array([1, 0]), "margin", kappa=0.5), [[0, 1, -1], [0, 0, 0]])


@given(case=model_cases())
def test_without_the_penalty_the_target_score_decreases(case):
    model, x = case.model, case.x
    target = model.predict(x)
    assume(np.all(np.abs(saliency(model, x, target)).max(axis=tuple(range(1, x.ndim))) > 1e-3))
    _, r = perceptual_ball(model, x, steps=20, weight=0, loss="score", return_perturbation=True)
    rows = np.arange(len(x))
    assert np.all(model.forward(x + r)[rows, target] < model.forward(x)[rows, target])


@pytest.mark.parametrize("loss", ["margin", "score"])
def test_with_the_default_weight_the_target_score_and_the_margin_decrease(loss):
    model, x = tiny_model(seed=4, dtype=np.float64)
    target = model.predict(x)
    _, r = perceptual_ball(model, x, loss=loss, return_perturbation=True)
    rows = np.arange(len(x))
    before, after = model.forward(x), model.forward(x + r)

    def margin(y):
        return y[rows, target] - np.where(np.eye(3)[target] > 0, -np.inf, y).max(axis=1)

    assert np.all(after[rows, target] < before[rows, target])
    assert np.all(margin(after) < margin(before))


def test_a_huge_weight_keeps_the_perturbation_small():
    model, x = tiny_model(seed=3, dtype=np.float64)
    _, free = perceptual_ball(model, x, steps=30, weight=0, return_perturbation=True)
    _, held = perceptual_ball(model, x, steps=30, weight=1e6, return_perturbation=True)
    eta = 0.01 * (x.max(axis=(1, 2)) - x.min(axis=(1, 2)))
    assert np.all(np.abs(held).max(axis=(1, 2)) <= 2 * eta + 1e-12)
    assert np.all(np.linalg.norm(held.reshape(2, -1), axis=1) < 0.2 * np.linalg.norm(free.reshape(2, -1), axis=1))


def test_the_map_is_deterministic_under_a_seed_and_independent_of_the_batch_size():
    model, x = tiny_model(seed=1, dtype=np.float64)
    one = perceptual_ball(model, x, steps=10, seed=7)
    np.testing.assert_array_equal(one, perceptual_ball(model, x, steps=10, seed=7))
    np.testing.assert_allclose(perceptual_ball(model, x, steps=10, seed=7, batch_size=1), one, atol=1e-12)
    np.testing.assert_allclose(perceptual_ball(model, x[1:], steps=10, seed=7), one[1:], atol=1e-12)
    assert not np.array_equal(perceptual_ball(model, x, steps=10, seed=8), one)
    assert one.shape == (2, 1, 12)


def test_penalising_a_layer_keeps_its_activations_closer_to_those_of_x():
    model, x = tiny_model(seed=2, dtype=np.float64)
    change = []
    for layers in ([], ["relu2"]):
        _, r = perceptual_ball(model, x, steps=30, weight=100, layers=layers, return_perturbation=True)
        change.append(np.linalg.norm(model.forward(x + r, stop="relu2") - model.forward(x, stop="relu2")))
    assert change[1] < change[0]


def test_every_backend_agrees_with_numpy(backend):
    model, x = tiny_model(seed=0)
    expected = perceptual_ball(model, x, steps=3, backend="numpy")
    assert_agrees(perceptual_ball(model, x, steps=3, backend=backend), expected, "perceptual_ball")


def test_a_bare_callable_is_not_applicable():
    model, x = tiny_model()
    with pytest.raises(NotApplicableError, match="model: perceptual_ball needs a minixai Sequential"):
        perceptual_ball(lambda batch: model(batch), x)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"steps": -1}, ParameterError, "steps"),
    ({"weight": -1.0}, ParameterError, "weight"),
    ({"kappa": -1.0}, ParameterError, "kappa"),
    ({"step_size": float("nan")}, ParameterError, "step_size"),
    ({"layers": ["nope"]}, UnknownNameError, "layers: unknown name 'nope'; valid names are conv1"),
    ({"loss": "hinge"}, UnknownNameError, "loss: unknown name 'hinge'; valid names are margin, score"),
])
def test_bad_parameters_raise_errors_that_name_them(kwargs, error, match):
    model, x = tiny_model()
    with pytest.raises(error, match=match):
        perceptual_ball(model, x, **kwargs)
