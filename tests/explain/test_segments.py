"""The interpretable features LIME, SHAP and anchors share: segments, fill values, composed inputs,
and the predict wrapper every perturbation method uses."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import NotApplicableError, ParameterError, ShapeError, UnknownNameError
from minixai.explain._predict import as_predict, predict_in_batches
from minixai.explain._segments import compose, fill_values, n_features, segment
from tests.explain._perturbation_models import linear_model


@given(st.integers(1, 40), st.integers(1, 3))
def test_equal_segments_in_1d_are_contiguous_runs_of_near_equal_length(n, channels):
    x = np.zeros((2, channels, 40))
    labels = segment(x, "equal", n)
    assert labels.shape == (2, 40) and n_features(labels[0]) == n
    assert np.all(np.diff(labels[0]) >= 0)                                   # contiguous, in order
    counts = np.bincount(labels[0])
    assert counts.max() - counts.min() <= 1


def test_auto_is_equal_runs_in_1d_and_slic_superpixels_covering_the_image_in_2d():
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(segment(rng.random((1, 1, 40)))[0], np.arange(40) // 5)
    image = np.zeros((1, 3, 32, 32))
    image[0, 0, :, :16] = 1                                                   # red left half
    image[0, 2, :, 16:] = 1                                                   # blue right half
    for method in ("auto", "slic", "quickshift", "felzenszwalb"):
        labels = segment(image, method)[0]
        assert labels.shape == (32, 32) and labels.min() == 0
        assert set(np.unique(labels)) == set(range(n_features(labels)))
        left, right = set(np.unique(labels[:, :16])), set(np.unique(labels[:, 16:]))
        assert not left & right, method                                     # no superpixel crosses the colour edge


def test_grayscale_images_get_superpixels_too():
    gray = np.zeros((1, 1, 24, 24))
    gray[0, 0, 12:] = 1
    for method in ("slic", "quickshift", "felzenszwalb"):
        labels = segment(gray, method)[0]
        assert not set(np.unique(labels[:12])) & set(np.unique(labels[12:])), method


def test_a_user_mask_is_relabelled_in_order_and_may_differ_per_row():
    x = np.zeros((2, 1, 6))
    np.testing.assert_array_equal(segment(x, np.array([7, 7, -1, -1, 3, 3])),
                                  [[2, 2, 0, 0, 1, 1]] * 2)
    per_row = np.array([[0, 0, 0, 1, 1, 1], [5, 5, 5, 5, 5, 5]])
    labels = segment(x, per_row)
    assert n_features(labels[0]) == 2 and n_features(labels[1]) == 1
    np.testing.assert_array_equal(segment(x, lambda row: np.arange(6) // 3)[1], [0, 0, 0, 1, 1, 1])


def test_mean_fill_is_each_segments_mean_per_channel_and_compose_switches_segments_exactly():
    x = np.arange(12, dtype=np.float64).reshape(1, 2, 6)
    labels = segment(x, np.array([0, 0, 1, 1, 1, 2]))
    fill = fill_values(x, labels, "mean")
    np.testing.assert_allclose(fill[0, 0], [0.5, 0.5, 3, 3, 3, 5])
    np.testing.assert_allclose(fill[0, 1], [6.5, 6.5, 9, 9, 9, 11])
    z = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 1]])
    out = compose(x[0], fill[0], labels[0], z)
    np.testing.assert_array_equal(out[0, :, :2], x[0, :, :2])
    np.testing.assert_array_equal(out[0, :, 2:5], fill[0, :, 2:5])
    np.testing.assert_array_equal(out[1], fill[0])
    np.testing.assert_array_equal(out[2], x[0])
    np.testing.assert_array_equal(fill_values(x, labels, "zero"), 0)
    np.testing.assert_array_equal(fill_values(x, labels, 0.5), 0.5)
    np.testing.assert_array_equal(fill_values(x, labels, np.arange(6.0))[0, 1], np.arange(6.0))


@given(st.integers(1, 20), st.integers(1, 7))
def test_a_wrapped_model_gives_its_logits_whatever_the_batch_size(n, batch_size):
    model = linear_model((2, 5), k=4)
    x = np.random.default_rng(n).normal(size=(n, 2, 5))
    np.testing.assert_allclose(as_predict(model, batch_size)(x), model.forward(x), rtol=1e-13, atol=1e-13)
    calls = []
    np.testing.assert_array_equal(predict_in_batches(lambda b: calls.append(len(b)) or b[:, 0], x, batch_size),
                                  x[:, 0])
    assert max(calls) <= batch_size and sum(calls) == n


def test_bad_segments_baselines_and_predict_functions_raise_named_errors():
    x = np.zeros((2, 1, 8))
    with pytest.raises(ShapeError, match="segments"):
        segment(x, np.zeros(7, dtype=int))
    with pytest.raises(ShapeError, match="segments"):
        segment(x, np.zeros((0,), dtype=int))
    with pytest.raises(ParameterError, match="segments"):
        segment(x, np.linspace(0, 1, 8))
    with pytest.raises(UnknownNameError, match="slic"):
        segment(x, "watershed")
    with pytest.raises(NotApplicableError, match="2-D"):
        segment(x, "slic")
    with pytest.raises(ParameterError, match="n_segments"):
        segment(x, "equal", 9)
    with pytest.raises(ParameterError, match="n_segments"):
        segment(x, "equal", 0)
    with pytest.raises(ShapeError, match="baseline"):
        fill_values(x, segment(x), np.zeros(3))
    with pytest.raises(UnknownNameError, match="baseline"):
        fill_values(x, segment(x), "blur")
    with pytest.raises(ShapeError, match="model"):
        as_predict(lambda b: b.sum(axis=(1, 2)))(x)
    with pytest.raises(ShapeError, match="model"):
        as_predict(lambda b: np.zeros((1, 3)))(x)
    with pytest.raises(ParameterError, match="model"):
        as_predict("resnet")
