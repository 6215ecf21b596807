"""Anchors: on toy predict functions the anchor is exactly the deciding segments; the map, the
coverage and the bandit's bounds behave as stated."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import ParameterError, ShapeError
from minixai.explain import anchors
from minixai.explain.anchors import kl_bound
from tests.explain._perturbation_models import game, linear_model

LABELS = np.arange(12) // 2                                           # 6 segments of 2 positions


def classifier(v):
    """Two classes: class 1 when v(S) holds, so x (every segment on) is class 1 if v(all)."""
    scores = game(lambda s: float(v(s)), LABELS)
    return lambda batch: np.concatenate([1 - scores(batch), scores(batch)], axis=1)


def explain(predict, **params):
    return anchors(predict, np.ones((1, 1, 12)), segments=LABELS, baseline="zero", return_details=True,
                   **{"seed": 0, **params})


@given(st.integers(0, 5), st.integers(0, 50))
def test_when_one_segment_decides_the_class_the_anchor_is_exactly_that_segment(j, seed):
    R, details = explain(classifier(lambda s: j in s), seed=seed)
    assert details[0]["features"] == [j]
    assert details[0]["precision"] == 1.0 and details[0]["coverage"] == 0.5
    np.testing.assert_array_equal(R[0, 0], (LABELS == j).astype(float))


def test_when_two_segments_must_both_be_present_the_anchor_holds_both():
    R, details = explain(classifier(lambda s: {1, 4} <= s))
    assert details[0]["features"] == [1, 4] and details[0]["precision"] == 1.0
    assert details[0]["coverage"] == 0.25 and R.sum() == 4


def test_a_class_no_perturbation_changes_needs_no_anchor():
    R, details = explain(classifier(lambda s: True))
    assert details[0]["features"] == [] and details[0]["coverage"] == 1.0
    assert np.all(R == 0)


def test_the_anchor_on_a_model_holds_its_precision_on_fresh_perturbations():
    model = linear_model((1, 12), k=2, seed=5)
    x = np.random.default_rng(0).normal(size=(1, 1, 12))
    R, details = anchors(model, x, segments=LABELS, baseline="zero", return_details=True, seed=1)
    keep = np.isin(np.arange(6), details[0]["features"])
    z = (np.random.default_rng(9).random((2000, 6)) < 0.5) | keep
    perturbed = np.where(z[:, LABELS][:, None], x[0], 0)
    fresh = np.mean(model.forward(perturbed).argmax(1) == model.forward(x).argmax(1))
    assert details[0]["precision"] >= 0.95 and fresh >= 0.9, (details[0], fresh)


def test_a_seed_fixes_the_anchor_whatever_the_batch_size():
    model = linear_model((1, 12), k=3, seed=2)
    x = np.random.default_rng(3).normal(size=(2, 1, 12))
    R, d = anchors(model, x, segments=LABELS, return_details=True, seed=4)
    R2, d2 = anchors(model, x, segments=LABELS, return_details=True, seed=4, batch_size=3)
    np.testing.assert_array_equal(R, R2)
    assert [e["features"] for e in d] == [e["features"] for e in d2]
    assert [e["precision"] for e in d] == [e["precision"] for e in d2]


@given(st.floats(0, 1), st.floats(0.01, 5))
def test_kl_bounds_bracket_the_estimate(p, level):
    lower, upper = kl_bound(p, level, upper=False), kl_bound(p, level, upper=True)
    assert 0 <= lower <= p + 1e-12 and p - 1e-12 <= upper <= 1
    assert kl_bound(p, level / 10, upper=True) <= upper + 1e-12


def test_bad_parameters_raise_named_errors():
    model = linear_model((1, 12))
    x = np.zeros((1, 1, 12))
    for name, value in (("tau", 1.5), ("epsilon", 0), ("delta", 1), ("p_on", 0)):
        with pytest.raises(ParameterError, match=name):
            anchors(model, x, **{name: value})
    with pytest.raises(ParameterError, match="beam_size"):
        anchors(model, x, beam_size=0)
    with pytest.raises(ShapeError, match="model"):
        anchors(lambda b: b[:, 0, 0], x)


@pytest.mark.parametrize("shape", [(2, 1, 16), (1, 1, 12, 12), (1, 3, 12, 12)], ids=["1d", "grey", "rgb"])
def test_default_features_give_one_map_per_row_on_signals_grey_and_rgb_images(shape):
    model = linear_model(shape[1:], k=2)
    x = np.random.default_rng(0).random(shape)
    R = anchors(model, x, seed=0)
    assert R.shape == (shape[0], 1, *shape[2:]) and np.isfinite(R).all()
