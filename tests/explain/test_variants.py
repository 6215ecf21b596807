"""The shared loop over variants of x: every variant once, in order, in bounded batches, and sums
that do not depend on the batch size."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import ParameterError
from minixai.explain.common import input_signal
from minixai.explain._variants import (gradients_over_variants, scores_over_variants, sum_gradients, targets_of,
                                      variant_pieces)
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import model_cases


def shifted(x, n):
    """Variant k of row i: x_i scaled by (k + 1) / n and shifted by k / 10 (distinct for every k)."""
    return lambda k, rows: x[rows] * (k + 1) / n + k / 10


@given(st.integers(1, 9), st.integers(1, 7), st.integers(1, 20))
def test_pieces_cover_the_stream_once_in_order_within_batch_size(n_rows, n_variants, batch_size):
    batches = list(variant_pieces(n_rows, n_variants, batch_size))
    stream = [(k, i) for batch in batches for k, rows in batch for i in range(rows.start, rows.stop)]
    assert stream == [(k, i) for k in range(n_variants) for i in range(n_rows)]
    sizes = [sum(rows.stop - rows.start for _, rows in batch) for batch in batches]
    assert all(size == batch_size for size in sizes[:-1]) and 0 < sizes[-1] <= batch_size


@given(model_cases())
def test_each_piece_is_the_gradient_at_its_variant(case):
    model, x, n = case.model, case.x, 3
    target = targets_of(model, x)
    variant = shifted(x, n)
    for k, rows, g in gradients_over_variants(model, x, target, variant, n, batch_size=2, backend="numpy"):
        expected, _ = input_signal(model, variant(k, rows), target[rows], backend="numpy")
        np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-14)


@given(model_cases(), st.integers(1, 7))
def test_weighted_sums_do_not_depend_on_batch_size(case, batch_size):
    model, x, n = case.model, case.x, 3
    target = targets_of(model, x)
    weights = np.array([0.5, -1.0, 2.0])
    total, squares = sum_gradients(model, x, target, shifted(x, n), weights, squares=True, batch_size=batch_size)
    one_batch, one_batch_sq = sum_gradients(model, x, target, shifted(x, n), weights, squares=True, batch_size=64)
    np.testing.assert_allclose(total, one_batch, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(squares, one_batch_sq, rtol=1e-12, atol=1e-14)


def test_scores_are_the_model_outputs_at_every_variant():
    model, x = tiny_model(dtype=np.float64)
    n = 5
    scores = scores_over_variants(model, x, shifted(x, n), n, batch_size=3)
    assert scores.shape == (n, len(x), 3)
    for k in range(n):
        np.testing.assert_allclose(scores[k], model(shifted(x, n)(k, slice(0, len(x)))), rtol=1e-12)
    inner = scores_over_variants(model, x, shifted(x, n), n, batch_size=4, stop="relu2")
    assert inner.shape == (n, len(x), *model.forward(x, stop="relu2").shape[1:])


def test_targets_come_from_x_not_from_its_variants():
    model, x = tiny_model(dtype=np.float64)
    np.testing.assert_array_equal(targets_of(model, x), model(x).argmax(axis=1))
    np.testing.assert_array_equal(targets_of(model, x, 2), [2, 2])


def test_bad_batch_size_or_count_raise_parameter_errors():
    model, x = tiny_model()
    target = targets_of(model, x)
    with pytest.raises(ParameterError, match="batch_size"):
        next(gradients_over_variants(model, x, target, shifted(x, 2), 2, batch_size=0))
    with pytest.raises(ParameterError, match="n:"):
        scores_over_variants(model, x, shifted(x, 2), 0)
