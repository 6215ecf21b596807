"""LIME: recovers a linear model's segment contributions, matches lime's regression on the same
samples, and correlates with lime's own sampling."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import ParameterError, ShapeError
from minixai.explain import lime
from minixai.explain.lime import kernel, samples, weighted_ridge
from tests.explain._perturbation_models import linear_model, linear_weights
from tests.strategies import model_cases


def segment_contributions(model, x, target, labels) -> np.ndarray:
    """sum over segment j of w_c x (all channels): (N, M)."""
    w_x = (linear_weights(model, x.shape[1:])[target] * x).sum(axis=1).reshape(len(x), -1)
    flat = labels.reshape(-1)
    return np.stack([np.bincount(flat, weights=row) for row in w_x])


@given(st.sampled_from([(1, 12), (3, 12), (1, 8, 8), (3, 8, 8)]), st.integers(0, 2), st.integers(0, 100))
def test_lime_recovers_each_segments_contribution_of_a_linear_model(shape, target, seed):
    model = linear_model(shape, k=3, seed=seed)
    x = np.random.default_rng(seed).normal(size=(2, *shape))
    labels = np.arange(int(np.prod(shape[1:]))).reshape(shape[1:]) // 4          # runs / blocks of 4
    R, fit = lime(model, x, target, segments=labels, baseline="zero", alpha=1e-10, n_samples=200, seed=seed,
                  return_fit=True)
    expected = segment_contributions(model, x, target, labels)
    np.testing.assert_allclose(np.array(fit["weights"]), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fit["r2"], 1, atol=1e-10)
    np.testing.assert_allclose(R[:, 0], expected[:, labels], rtol=1e-6, atol=1e-8)       # broadcast to positions


def test_with_the_mean_baseline_the_weights_are_contributions_minus_the_fills():
    shape = (2, 12)
    model = linear_model(shape)
    x = np.random.default_rng(1).normal(size=(1, *shape))
    labels = np.arange(12) // 3
    _, fit = lime(model, x, 0, segments=labels, alpha=1e-10, n_samples=100, seed=0, return_fit=True)
    means = x.reshape(1, 2, 4, 3).mean(axis=3).repeat(3, axis=2)
    expected = segment_contributions(model, x, 0, labels) - segment_contributions(model, means, 0, labels)
    np.testing.assert_allclose(fit["weights"][0], expected[0], rtol=1e-6, atol=1e-8)


def test_kernel_is_one_on_x_and_exp_minus_16_when_everything_is_off():
    z = np.array([[1, 1, 1, 1], [0, 0, 0, 0], [1, 0, 0, 0]], dtype=float)
    np.testing.assert_allclose(kernel(z, 0.25), [1, np.exp(-16), np.exp(-(0.5 / 0.25) ** 2)])
    z = samples(5, 50, seed=0)
    assert np.all(z[0] == 1) and set(np.unique(z)) == {0, 1}
    np.testing.assert_array_equal(samples(5, 50, seed=0), z)


def test_weighted_ridge_equals_sklearn_ridge_with_sample_weights():
    linear_model_ = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(0)
    z, y, pi = rng.integers(0, 2, (60, 5)).astype(float), rng.normal(size=60), rng.random(60)
    w, b, r2 = weighted_ridge(z, y, pi, alpha=1.0)
    ridge = linear_model_.Ridge(alpha=1.0).fit(z, y, sample_weight=pi)
    np.testing.assert_allclose(w, ridge.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b, ridge.intercept_, rtol=1e-10)
    np.testing.assert_allclose(r2, ridge.score(z, y, sample_weight=pi), rtol=1e-10)


@given(model_cases(), st.integers(1, 7))
def test_a_seed_fixes_the_map_whatever_the_batch_size_and_rows_are_explained_alone(case, batch_size):
    model, x = case.model, case.x
    labels = np.arange(int(np.prod(x.shape[2:]))).reshape(x.shape[2:]) % 3
    full = lime(model, x, 0, segments=labels, n_samples=30, seed=4)
    np.testing.assert_allclose(lime(model, x, 0, segments=labels, n_samples=30, seed=4, batch_size=batch_size), full,
                               rtol=1e-9, atol=1e-10)
    for i in range(len(x)):
        np.testing.assert_allclose(lime(model, x[i:i + 1], 0, segments=labels, n_samples=30, seed=4), full[i:i + 1],
                                   rtol=1e-9, atol=1e-10)


def test_default_call_on_an_rgb_image_gives_one_weight_per_superpixel():
    model = linear_model((3, 16, 16), k=2)
    x = np.random.default_rng(0).random((1, 3, 16, 16))
    R, fit = lime(model, x, n_samples=50, seed=0, return_fit=True)
    labels = fit["labels"][0]
    assert R.shape == (1, 1, 16, 16) and len(fit["weights"][0]) == labels.max() + 1
    for j in range(labels.max() + 1):
        assert np.ptp(R[0, 0][labels == j]) == 0


def test_same_samples_give_limes_own_regression_weights():
    lime_base = pytest.importorskip("lime.lime_base")
    model = linear_model((1, 20), k=3, seed=2)
    x = np.random.default_rng(3).normal(size=(1, 1, 20))
    labels = np.arange(20) // 4
    _, fit = lime(model, x, 1, segments=labels, n_samples=300, seed=5, return_fit=True)
    z = samples(5, 300, seed=5)
    composed = np.where(z[:, labels][:, None].astype(bool), x[0], x[0].reshape(5, 4).mean(1).repeat(4))
    d = 1 - np.sqrt(z.sum(1) / 5)
    ours_kernel = lambda dist: np.exp(-dist ** 2 / 0.25 ** 2)        # noqa: E731  (lime's default is its sqrt)
    _, exp, score, _ = lime_base.LimeBase(ours_kernel, random_state=0).explain_instance_with_data(
        z, model.forward(composed), d, 1, 5, feature_selection="none")
    theirs = np.array([w for _, w in sorted(exp)])
    np.testing.assert_allclose(fit["weights"][0], theirs, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fit["r2"][0], score, rtol=1e-6)


def test_weights_correlate_with_lime_image_on_an_mnist1d_sample():
    lime_image = pytest.importorskip("lime.lime_image")
    from minixai.data import mnist1d
    from minixai.models import pretrained
    model = pretrained("mnist1d_cnn").astype(np.float64)
    x = mnist1d("test")[0][:1].astype(np.float64)
    labels = np.arange(40) // 4                                         # 10 segments
    _, fit = lime(model, x, segments=labels, seed=0, return_fit=True)
    target = int(model.forward(x).argmax())
    explainer = lime_image.LimeImageExplainer(kernel=lambda d, kernel_width: np.exp(-d ** 2 / kernel_width ** 2),
                                              feature_selection="none", random_state=0)
    # lime wants an image (H, W, 3): the signal becomes one row of grey pixels
    explanation = explainer.explain_instance(
        np.repeat(x[0, 0][None, :, None], 3, axis=2), lambda images: model.forward(images[:, :, :, 0]),
        labels=(target,), top_labels=None, num_samples=1000, segmentation_fn=lambda image: labels[None],
        random_seed=0, batch_size=200)
    theirs = np.array([w for _, w in sorted(explanation.local_exp[target])])
    assert np.corrcoef(fit["weights"][0], theirs)[0, 1] > 0.9


def test_bad_parameters_raise_named_errors():
    model = linear_model((1, 12))
    x = np.zeros((1, 1, 12))
    with pytest.raises(ParameterError, match="n_samples"):
        lime(model, x, n_samples=1)
    with pytest.raises(ParameterError, match="kernel_width"):
        lime(model, x, kernel_width=0)
    with pytest.raises(ParameterError, match="alpha"):
        lime(model, x, alpha=-1)
    with pytest.raises(ShapeError, match="segments"):
        lime(model, x, segments=np.zeros(11, dtype=int))
    with pytest.raises(ShapeError, match="model"):
        lime(lambda b: b[:, 0, :2].T, x)
