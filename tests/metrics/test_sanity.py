"""Sanity checks (Adebayo et al. 2018): the similarity measures on hand cases, re-initialisation on
a copy, and the verdicts: the gradient reacts to a random model, an edge detector does not."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import spearmanr
from skimage.metrics import structural_similarity

from minixai.errors import ParameterError, ShapeError, UnknownNameError
from minixai.explain import saliency
from minixai.metrics import METRICS, data_randomization, model_randomization
from minixai.metrics.sanity import (hog, hog_1d, magnitude_map, parametric_layers, randomised, rowwise_correlation,
                                    spearman, spearman_abs, ssim)
from minixai.models import mnist1d_cnn
from minixai.nn import Adam, Conv1d, Dense, GlobalAvgPool, ReLU, Sequential, fit


def edge_detector(model, x, target=None):
    """Ignores the model: returns the input itself (Adebayo et al.'s edge-detector control)."""
    return np.asarray(x).copy()


@pytest.fixture(scope="module")
def cnn_and_x():
    model = mnist1d_cnn(seed=3)
    x = np.random.default_rng(0).normal(size=(12, 1, 40)).astype(np.float32)
    return model, x


def test_spearman_on_hand_ranked_pairs():
    # ranks (1,2,3,4) vs (1,3,2,4): sum d^2 = 2, rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert spearman(np.array([[1., 2, 3, 4]]), np.array([[10., 30, 20, 40]]))[0] == pytest.approx(0.8)
    assert spearman(np.array([[1., 2, 3]]), np.array([[3., 2, 1]]))[0] == pytest.approx(-1)
    # ties get average ranks: (1.5, 1.5, 3) vs (1, 2, 3) -> 1.5 / sqrt(1.5 * 2) = sqrt(3) / 2
    assert spearman(np.array([[5., 5, 7]]), np.array([[1., 2, 3]]))[0] == pytest.approx(np.sqrt(3) / 2)


def test_spearman_abs_ignores_the_sign_and_spearman_does_not():
    a = np.array([[[-3., 1, 2, -0.5]]])
    assert spearman(a, -a)[0] == pytest.approx(-1)
    assert spearman_abs(a, -a)[0] == pytest.approx(1)


@given(st.integers(0, 2**32 - 1), st.integers(3, 30))
def test_spearman_agrees_with_scipy(seed, size):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-3, 4, size=(3, 1, size)).astype(float), rng.normal(size=(3, 1, size))
    expected = [spearmanr(p.ravel(), q.ravel())[0] for p, q in zip(a, b)]
    expected = np.nan_to_num(expected)             # scipy: nan for a constant row; here 0
    assert np.allclose(spearman(a, b), expected, atol=1e-12)


@given(st.integers(0, 2**32 - 1), st.sampled_from([(2, 1, 12), (2, 2, 9), (1, 3, 8, 10)]))
def test_every_similarity_is_symmetric_and_at_most_one(seed, shape):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=shape), rng.normal(size=shape)
    for similarity in (spearman, spearman_abs, ssim, hog):
        ab, ba = similarity(a, b), similarity(b, a)
        assert ab.shape == (shape[0],) and np.allclose(ab, ba, atol=1e-12)
        assert np.all(ab <= 1 + 1e-9) and np.all(ab >= -1 - 1e-9)


def test_rowwise_correlation_of_a_map_with_itself_its_negative_and_a_constant():
    a = np.random.default_rng(1).normal(size=(4, 3, 5))
    assert np.allclose(rowwise_correlation(a, a), 1)
    assert np.allclose(rowwise_correlation(a, -a), -1)
    assert np.allclose(rowwise_correlation(a, np.ones_like(a)), 0)


@pytest.mark.parametrize("shape", [(3, 1, 40), (2, 3, 16, 16)], ids=["1d", "2d"])
def test_ssim_and_hog_of_identical_maps_are_one_even_after_rescaling(shape):
    a = np.random.default_rng(2).normal(size=shape)
    assert np.allclose(ssim(a, a), 1)
    assert np.allclose(ssim(a, 5 * a), 1)          # both are normalised to [0, 1] first
    assert np.allclose(hog(a, a), 1)


def test_ssim_is_scikit_image_on_the_normalised_magnitude_map():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(1, 2, 9, 11)), rng.normal(size=(1, 2, 9, 11))
    m, n = magnitude_map(a)[0], magnitude_map(b)[0]
    assert m.min() == 0 and m.max() == 1
    assert ssim(a, b)[0] == pytest.approx(structural_similarity(m, n, data_range=1.0, win_size=7))


def test_ssim_shrinks_its_window_for_short_maps_and_refuses_tiny_ones():
    a = np.random.default_rng(4).normal(size=(2, 1, 5))
    assert np.allclose(ssim(a, a), 1)
    with pytest.raises(ShapeError, match="ssim"):
        ssim(a[..., :2], a[..., :2])


def test_hog_1d_has_rising_and_falling_bins():
    ramp = np.linspace(0, 1, 16)
    up, down = hog_1d(ramp).reshape(-1, 2), hog_1d(ramp[::-1]).reshape(-1, 2)
    assert np.all(up[:, 1] == 0) and np.all(down[:, 0] == 0)
    assert np.allclose(up[:, ::-1], down)


def test_randomisation_leaves_the_users_model_untouched(cnn_and_x):
    model, x = cnn_and_x
    before = model.state_dict()
    model_randomization(model, x[:3], "saliency", mode="cascading", similarity=("spearman",))
    randomised(model, parametric_layers(model), seed=1)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_a_layer_gets_the_same_random_weights_in_every_step_and_from_its_initial_range(cnn_and_x):
    model, _ = cnn_and_x
    top = randomised(model, ["fc"], seed=5)
    two = randomised(model, ["fc", "conv3"], seed=5)
    assert np.array_equal(top.layers["fc"].weight, two.layers["fc"].weight)
    assert np.array_equal(top.layers["conv3"].weight, model.layers["conv3"].weight)
    assert not np.array_equal(two.layers["conv3"].weight, model.layers["conv3"].weight)
    bound = 1 / np.sqrt(64 * 3)
    assert np.abs(two.layers["conv3"].weight).max() <= bound


def test_cascading_steps_go_top_down_and_start_like_independent(cnn_and_x):
    model, x = cnn_and_x
    cascading = model_randomization(model, x, "saliency", mode="cascading", seed=2)
    independent = model_randomization(model, x, "saliency", mode="independent", seed=2)
    assert cascading.steps == ("fc", "conv3", "conv2", "conv1")
    for s in cascading.similarities:
        assert np.allclose(cascading.similarities[s][0], independent.similarities[s][0])
    assert set(cascading.values) == {f"{s}@{step}" for s in ("spearman", "spearman_abs", "ssim", "hog")
                                     for step in cascading.steps}


def test_randomising_every_layer_changes_the_gradient_and_it_passes(cnn_and_x):
    model, x = cnn_and_x
    result = model_randomization(model, x, saliency, mode="cascading", seed=0)
    for s in ("spearman_abs", "ssim", "hog"):
        assert result.median(s)[-1] < 0.5
    assert result.passes()


def test_an_explainer_that_ignores_the_model_keeps_similarity_one_and_fails(cnn_and_x):
    model, x = cnn_and_x
    for mode in ("cascading", "independent"):
        result = model_randomization(model, x, edge_detector, mode=mode)
        for s, values in result.similarities.items():
            assert np.allclose(values, 1), s
        assert not result.passes() and not result.passes(step=0) and not result.passes("ssim")


def test_data_randomization_trains_on_permuted_labels_and_compares(cnn_and_x):
    _, x = cnn_and_x
    rng = np.random.default_rng(0)
    x_train, y_train = rng.normal(size=(48, 1, 12)).astype(np.float32), np.arange(48) % 3
    seen = {}

    def tiny_training(x, y, seed):
        seen["labels"] = y
        net = Sequential([("conv", Conv1d(1, 4, 3, padding=1, rng=seed)), ("relu", ReLU()),
                          ("gap", GlobalAvgPool()), ("fc", Dense(4, 3, rng=seed))])
        fit(net, x, y, epochs=2, batch_size=16, optimizer=Adam(net, lr=1e-2), seed=seed, progress=False)
        return net

    model = tiny_training(x_train, y_train, 1)
    result = data_randomization(model, x_train[:6], "saliency", train=tiny_training, x_train=x_train,
                                y_train=y_train, seed=7)
    assert sorted(seen["labels"]) == sorted(y_train) and not np.array_equal(seen["labels"], y_train)
    assert result.steps == ("labels",) and result.similarities["spearman"].shape == (1, 6)
    assert 0 <= result.values["train_accuracy_on_permuted_labels"] <= 1
    self_check = data_randomization(model, x_train[:6], edge_detector, train=tiny_training, x_train=x_train,
                                    y_train=y_train, seed=7)
    assert not self_check.passes()


def test_model_randomization_is_registered_as_a_metric_that_needs_the_explainer():
    assert METRICS["model_randomization"] is model_randomization
    assert model_randomization.needs_explainer


def test_bad_arguments_raise_clear_errors(cnn_and_x):
    model, x = cnn_and_x
    with pytest.raises(ParameterError, match="mode"):
        model_randomization(model, x, "saliency", mode="top-down")
    with pytest.raises(UnknownNameError, match="saliency"):
        model_randomization(model, x, "salincy")
    with pytest.raises(UnknownNameError, match="spearman"):
        model_randomization(model, x, "saliency", similarity=("pearson",))
    with pytest.raises(ParameterError, match="layers"):
        model_randomization(model, x, "saliency", layers=["relu1"])
    with pytest.raises(ParameterError, match="x"):
        model_randomization(model, x[:0], "saliency")
