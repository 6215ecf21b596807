"""Softmax and softmax cross-entropy: values by hand, gradient by finite differences, stability."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from minixai.nn import softmax, softmax_cross_entropy
from tests.strategies import arrays, assert_gradient_matches, make_array, seeds


@given(n=st.integers(1, 4), k=st.integers(2, 6), seed=seeds(), shift=st.floats(-50, 50))
def test_softmax_rows_sum_to_one_and_ignore_a_constant_shift(n, k, seed, shift):
    z = make_array(seed, (n, k)) * 3
    p = softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-12)
    assert np.all(p > 0)
    np.testing.assert_allclose(softmax(z + shift), p, rtol=1e-9)


def test_softmax_is_finite_for_huge_logits():
    np.testing.assert_array_equal(softmax(np.array([[1000.0, 0.0], [-1000.0, -1000.0]])), [[1, 0], [0.5, 0.5]])


def test_cross_entropy_of_equal_logits_is_log_k():
    loss, grad = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    assert np.isclose(loss, np.log(4), rtol=1e-12)
    # softmax - one_hot, over N = 2: 1/4 / 2 everywhere, except (1/4 - 1) / 2 at each label.
    np.testing.assert_allclose(grad, [[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]], rtol=1e-12)


def test_cross_entropy_is_exact_for_extreme_logits():
    # -log softmax([1000, 0])[1] = 1000 exactly; a clamped probability would give about 708.
    loss, grad = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))
    assert loss == 1000.0
    np.testing.assert_array_equal(grad, [[1.0, -1.0]])
    loss32, _ = softmax_cross_entropy(np.array([[200.0, 0.0]], dtype=np.float32), np.array([1]))
    assert loss32 == 200.0


@given(n=st.integers(1, 4), k=st.integers(2, 6), seed=seeds(), data=st.data())
def test_cross_entropy_gradient_matches_finite_differences(n, k, seed, data):
    z = make_array(seed, (n, k)) * 2
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n), label="labels"))
    _, grad = softmax_cross_entropy(z, labels)
    assert_gradient_matches(lambda logits: softmax_cross_entropy(logits, labels)[0], z, grad)


@given(n=st.integers(1, 4), k=st.integers(2, 6), data=st.data())
def test_cross_entropy_gradient_rows_sum_to_zero(n, k, data):
    logits = data.draw(arrays((n, k), kind=data.draw(st.sampled_from(["normal", "ties"]))), label="logits")
    _, grad = softmax_cross_entropy(logits, np.zeros(n, dtype=np.int64))
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-15)
