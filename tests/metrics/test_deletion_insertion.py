"""Deletion and insertion: a hand-computed curve and AUC, curve end points, the oracle wins."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.ndimage import gaussian_filter

from minixai.errors import ParameterError, ShapeError, UnknownNameError
from minixai.metrics import deletion_insertion
from minixai.metrics.deletion_insertion import auc
from minixai.nn import Flatten, Sequential
from tests.explain._gradient_family_strategies import tiny_model
from tests.metrics._models import batch_invariant, dense, linear_binary
from tests.strategies import assert_agrees, model_cases


def sum_model():
    """Logits (x0 + x1 + x2 + x3, 0) on x (N, 1, 4)."""
    return Sequential([("flatten", Flatten()), ("fc", dense([[1, 1, 1, 1], [0, 0, 0, 0]]))])


def test_trapezoid_auc_of_known_curves():
    np.testing.assert_allclose(auc(np.array([1.0, 0.5, 0.0])), 0.5)            # a straight line
    np.testing.assert_allclose(auc(np.array([[1.0, 0, 0, 0, 0]])), [0.125])    # a drop in the first step
    np.testing.assert_allclose(auc(np.array([1.0, 1.0])), 1.0)


def test_deletion_curve_and_auc_by_hand():
    x = np.array([[[2, 4, 1, 3]]], dtype=np.float64)
    result = deletion_insertion(sum_model(), x, x, 0, steps=4, score="logit")
    # Positions go in the order 4, 3, 2, 1: the logit falls 10, 6, 3, 1, 0.
    np.testing.assert_allclose(result.per_sample["deletion_curve"], [[10, 6, 3, 1, 0]])
    np.testing.assert_allclose(result["deletion_auc"], (8 + 4.5 + 2 + 0.5) / 4)
    # Two steps of four positions: t = 0, 1/2, 1 removes 0, 2, 4 positions.
    np.testing.assert_allclose(deletion_insertion(sum_model(), x, x, 0, steps=2, score="logit")
                               .per_sample["deletion_curve"], [[10, 3, 0]])


def test_insertion_goes_from_the_blurred_input_to_the_input():
    model, x, w = linear_binary(0, n=3, length=12)
    result = deletion_insertion(model, x, w * x, 0, steps=6, blur_sigma=2.0, score="logit")
    blurred = gaussian_filter(x, sigma=(0, 0, 2.0))
    logit = lambda v: v.reshape(len(v), -1) @ w.ravel() + 0.3
    np.testing.assert_allclose(result.per_sample["insertion_curve"][:, 0], logit(blurred), atol=1e-12)
    np.testing.assert_allclose(result.per_sample["insertion_curve"][:, -1], logit(x), atol=1e-12)
    np.testing.assert_allclose(result.per_sample["deletion_curve"][:, 0], logit(x), atol=1e-12)
    np.testing.assert_allclose(result.per_sample["deletion_curve"][:, -1], 0.3, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_the_oracle_map_deletes_faster_and_inserts_faster_than_random_maps(seed):
    model, x, w = linear_binary(seed, n=30, length=20)
    oracle = deletion_insertion(model, x, w * x, 0, steps=10)
    # Deleting to zero: removing the largest w_i x_i first gives the lowest score at every step.
    for trial in range(3):
        other = deletion_insertion(model, x, np.random.default_rng([seed, trial]).normal(size=x.shape), 0, steps=10)
        assert np.all(oracle.per_sample["deletion_curve"] <= other.per_sample["deletion_curve"] + 1e-12)
        assert oracle["deletion_auc"] < other["deletion_auc"]
        # Inserting into the blur is ranked best by w (x - blur), close to w x: better on average.
        assert oracle["insertion_auc"] > other["insertion_auc"]


@given(model_cases(), st.integers(0, 2**31 - 1))
def test_each_row_is_scored_independently_of_the_batch(case, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, *case.x.shape[1:]))
    a = rng.normal(size=x.shape)
    batch_invariant(deletion_insertion, case.model, x, a, ["deletion_curve", "insertion_curve"], steps=3)


def test_every_backend_agrees_with_numpy(backend):
    model, x = tiny_model()
    a = np.random.default_rng(0).normal(size=x.shape).astype(x.dtype)
    expected = deletion_insertion(model, x, a, steps=3, backend="numpy").per_sample
    actual = deletion_insertion(model, x, a, steps=3, backend=backend).per_sample
    for key in ("deletion_curve", "insertion_curve"):
        assert_agrees(actual[key], expected[key], key)


def test_bad_inputs_are_refused_with_named_arguments():
    model, x, w = linear_binary()
    with pytest.raises(ShapeError, match="attributions"):
        deletion_insertion(model, x, (w * x)[..., :-1])
    with pytest.raises(ParameterError, match="empty"):
        deletion_insertion(model, x[:0], x[:0])
    with pytest.raises(ParameterError, match="steps"):
        deletion_insertion(model, x, x, steps=0)
    with pytest.raises(ParameterError, match="blur_sigma"):
        deletion_insertion(model, x, x, blur_sigma=-1)
    with pytest.raises(UnknownNameError, match="score"):
        deletion_insertion(model, x, x, score="softmax")
