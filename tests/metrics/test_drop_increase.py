"""Drop % and Increase %: hand-computed on a two-sum model, exact rounding and tie rules, the oracle wins."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import ParameterError, ShapeError
from minixai.metrics import drop_increase
from minixai.metrics.drop_increase import kept_count, keep_top
from tests.explain._gradient_family_strategies import tiny_model
from tests.metrics._models import batch_invariant, linear_binary, sigmoid, two_sums
from tests.strategies import assert_agrees, model_cases


def test_drop_and_increase_match_the_hand_computed_probabilities():
    # p(class 0) = sigmoid(x0 + x1 - x2 - x3); k = 25% keeps 1 of the 4 positions.
    x = np.array([[[2, 0, 0, 0]], [[1, 0, 1, 0]], [[1, 1, 1, 0]]], dtype=np.float64)
    a = np.array([[[0, 1, 0, 0]], [[3, 0, 0, 0]], [[1, 0, 0, 0]]], dtype=np.float64)
    result = drop_increase(two_sums(), x, a, 0, k=25)
    y = sigmoid([2, 0, 1])       # originals
    o = sigmoid([0, 1, 1])       # kept: nothing useful; x0 alone (rises); x0 alone (unchanged)
    np.testing.assert_allclose(result.per_sample["y"], y, rtol=1e-14)
    np.testing.assert_allclose(result.per_sample["o"], o, rtol=1e-14)
    np.testing.assert_allclose(result.per_sample["drop"], [100 * (y[0] - 0.5) / y[0], 0, 0], atol=1e-12)
    np.testing.assert_array_equal(result.per_sample["increase"], [0, 100, 0])   # O == Y is no increase
    assert result["drop"] == pytest.approx(100 * (y[0] - 0.5) / y[0] / 3)
    assert result["increase"] == pytest.approx(100 / 3)


@pytest.mark.parametrize("k, positions, kept", [(30, 40, 12), (90, 4096, 3686), (12.5, 4, 1), (37.5, 4, 2),
                                                (1, 4, 1), (100, 7, 7), (0.001, 40, 1)])
def test_kept_count_rounds_halves_up_and_keeps_at_least_one(k, positions, kept):
    assert kept_count(k, positions) == kept


def test_ties_keep_the_lowest_positions_first():
    x = np.arange(1, 7, dtype=np.float64).reshape(1, 1, 6)
    a = np.array([[[0, 1, 1, 0, 1, 0]]], dtype=np.float64)
    np.testing.assert_array_equal(keep_top(x, a, 50), [[[0, 2, 3, 0, 5, 0]]])
    np.testing.assert_array_equal(keep_top(x, np.zeros_like(x), 50), [[[1, 2, 3, 0, 0, 0]]])


def test_channels_are_summed_and_a_one_channel_map_masks_every_channel():
    x = np.array([[[1, 2, 3], [4, 5, 6]]], dtype=np.float64)
    a = np.array([[[3, 0, 0], [-3, 1, 0]]], dtype=np.float64)   # sums to [0, 1, 0]
    np.testing.assert_array_equal(keep_top(x, a, 100 / 3), [[[0, 2, 0], [0, 5, 0]]])
    np.testing.assert_array_equal(keep_top(x, np.array([[[0, 0, 1]]]), 100 / 3, -1.0), [[[-1, -1, 3], [-1, -1, 6]]])


def test_keeping_everything_gives_zero_drop_and_zero_increase_even_in_float32():
    # Y and O come from different rows of one batch; their last bits may differ, O must not count them.
    model, x = tiny_model(0, np.float32)
    x = np.concatenate([x] * 20) + np.linspace(0, 1, 40, dtype=np.float32)[:, None, None]
    result = drop_increase(model, x, np.ones_like(x), k=100)
    assert result["drop"] == 0 and result["increase"] == 0


@pytest.mark.parametrize("seed", range(3))
def test_the_oracle_map_drops_no_more_than_a_random_map(seed):
    # p = sigmoid(w . x + b) grows with every kept contribution, so keeping the largest w_i x_i
    # gives the highest O among all maps keeping as many positions.
    model, x, w = linear_binary(seed, n=20)
    oracle = drop_increase(model, x, w * x, 0, k=30)
    for trial in range(3):
        noise = np.random.default_rng([seed, trial]).normal(size=x.shape)
        other = drop_increase(model, x, noise, 0, k=30)
        assert np.all(oracle.per_sample["o"] >= other.per_sample["o"] - 1e-12)
        assert oracle["drop"] <= other["drop"]
    assert oracle["drop"] < drop_increase(model, x, -w * x, 0, k=30)["drop"]


@given(model_cases(), st.integers(0, 2**31 - 1))
def test_each_row_is_scored_independently_of_the_batch(case, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, *case.x.shape[1:]))
    a = rng.normal(size=x.shape)
    batch_invariant(drop_increase, case.model, x, a, ["drop", "increase", "y", "o"], k=50)


def test_every_backend_agrees_with_numpy(backend):
    model, x = tiny_model()
    a = np.random.default_rng(0).normal(size=x.shape).astype(x.dtype)
    expected = drop_increase(model, x, a, k=30, backend="numpy").per_sample
    actual = drop_increase(model, x, a, k=30, backend=backend).per_sample
    assert_agrees(actual["o"], expected["o"], "o")
    assert_agrees(actual["y"], expected["y"], "y")


@pytest.mark.parametrize("k", [0, -5, 100.5, float("nan"), "30", None])
def test_k_outside_0_100_is_refused(k):
    model, x, w = linear_binary()
    with pytest.raises(ParameterError, match="k"):
        drop_increase(model, x, w * x, k=k)


def test_bad_inputs_are_refused_with_named_arguments():
    model, x, w = linear_binary()
    with pytest.raises(ShapeError, match="attributions"):
        drop_increase(model, x, (w * x)[:, :, :8])
    with pytest.raises(ShapeError, match="attributions"):
        drop_increase(model, x, (w * x)[:3])
    with pytest.raises(ParameterError, match="empty"):
        drop_increase(model, x[:0], (w * x)[:0])
    with pytest.raises(ShapeError, match="baseline"):
        drop_increase(model, x, w * x, baseline=np.zeros(3))
