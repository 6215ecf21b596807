"""Infidelity and max-sensitivity (Yeh et al. 2019): exact zeros on linear models, the expected
value by formula, normalisation, Captum's infidelity on the same draws, sensitivity bounds."""
import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import ParameterError, ShapeError, UnknownNameError
from minixai.explain import gradient_x_input, saliency, smoothgrad
from minixai.metrics import infidelity, max_sensitivity
from tests.explain._gradient_family_strategies import tiny_model
from tests.metrics._models import batch_invariant, linear_binary
from tests.strategies import model_cases


def test_a_linear_models_gradient_has_zero_infidelity_and_w_times_x_zero_relative_infidelity():
    model, x, w = linear_binary(0, n=4)
    gradient = np.broadcast_to(w, x.shape)
    assert infidelity(model, x, gradient, 0, seed=0)["infidelity"] < 1e-20
    assert infidelity(model, x, w * x, 0, relative=True, seed=0)["infidelity"] < 1e-20
    assert infidelity(model, x, w * x, 0, seed=0)["infidelity"] > 1e-3     # the wrong pairing for w ⊙ x


def test_infidelity_approaches_its_expectation():
    # Absolute noise on a linear score: E[(eps . (a - w))^2] = sigma^2 ||a - w||^2.
    model, x, w = linear_binary(1, n=2, length=8)
    a = np.random.default_rng(2).normal(size=x.shape)
    expected = 0.2 ** 2 * ((a - w) ** 2).reshape(2, -1).sum(axis=1)
    result = infidelity(model, x, a, 0, noise_scale=0.2, n=4000, seed=0)
    np.testing.assert_allclose(result.per_sample["infidelity"], expected, rtol=0.1)


def test_normalize_removes_the_scale_of_the_map():
    model, x, w = linear_binary(3, n=3)
    scaled = np.broadcast_to(5 * w, x.shape)
    assert infidelity(model, x, scaled, 0, seed=1)["infidelity"] > 1
    result = infidelity(model, x, scaled, 0, seed=1, normalize=True)
    assert result["infidelity"] < 1e-20
    np.testing.assert_allclose(result.per_sample["beta"], 0.2, rtol=1e-12)
    a = np.random.default_rng(4).normal(size=x.shape)
    np.testing.assert_allclose(infidelity(model, x, 7 * a, 0, seed=1, normalize=True).per_sample["infidelity"],
                               infidelity(model, x, a, 0, seed=1, normalize=True).per_sample["infidelity"], rtol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_the_oracle_map_is_more_faithful_than_random_maps(seed):
    model, x, w = linear_binary(seed, n=10)
    oracle = infidelity(model, x, w * x, 0, relative=True, seed=seed)["infidelity"]
    for trial in range(3):
        noise = np.random.default_rng([seed, trial]).normal(size=x.shape)
        other = infidelity(model, x, noise, 0, relative=True, seed=seed)["infidelity"]
        assert oracle < 1e-20 < other
        assert (infidelity(model, x, w * x, 0, relative=True, normalize=True, seed=seed)["infidelity"]
                < infidelity(model, x, noise, 0, relative=True, normalize=True, seed=seed)["infidelity"])


def test_one_channel_maps_apply_to_every_channel():
    model, x, w = linear_binary(5, n=2, channels=3)
    a = np.random.default_rng(0).normal(size=(2, 1, 16))
    np.testing.assert_allclose(infidelity(model, x, a, 0, seed=3).per_sample["infidelity"],
                               infidelity(model, x, np.repeat(a, 3, axis=1), 0, seed=3).per_sample["infidelity"])


def test_the_same_seed_gives_the_same_value_and_another_seed_another():
    model, x = tiny_model(0, np.float64)
    a = gradient_x_input(model, x)
    assert infidelity(model, x, a, seed=7)["infidelity"] == infidelity(model, x, a, seed=7)["infidelity"]
    assert infidelity(model, x, a, seed=7)["infidelity"] != infidelity(model, x, a, seed=8)["infidelity"]
    m1 = max_sensitivity(model, x, saliency(model, x), explainer=saliency, seed=7)["max_sensitivity"]
    assert m1 == max_sensitivity(model, x, saliency(model, x), explainer=saliency, seed=7)["max_sensitivity"]


@given(model_cases(), st.integers(0, 2**31 - 1), st.booleans())
def test_each_row_is_scored_independently_of_the_batch(case, seed, relative):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(4, *case.x.shape[1:]))
    batch_invariant(infidelity, case.model, x, rng.normal(size=x.shape), ["infidelity"], n=5, seed=seed,
                    relative=relative, normalize=True)


def test_every_backend_agrees_with_numpy(backend):
    model, x = tiny_model()
    a = np.random.default_rng(0).normal(size=x.shape).astype(x.dtype)
    expected = infidelity(model, x, a, n=4, seed=0, backend="numpy")["infidelity"]
    assert infidelity(model, x, a, n=4, seed=0, backend=backend)["infidelity"] == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("normalize", [False, True])
def test_infidelity_matches_captum_on_the_same_draws(normalize):
    pytest.importorskip("captum")
    import torch
    from captum.metrics import infidelity as captum_infidelity

    from minixai.interop import to_torch
    model, x = tiny_model(1, np.float64)
    a = gradient_x_input(model, x)
    n, scale = 6, 0.3
    eps = torch.from_numpy(np.random.default_rng(9).normal(0, scale, (n, *x.shape[1:])))

    def perturb(inputs):                      # Captum repeats each row n times in a row
        noise = eps.repeat(len(inputs) // n, *([1] * (inputs.dim() - 1)))
        return noise, inputs - noise

    net = to_torch(model).double()
    target = model.predict(x)
    theirs = captum_infidelity(net, perturb, torch.from_numpy(x), torch.from_numpy(a), target=torch.from_numpy(target),
                               n_perturb_samples=n, normalize=normalize).numpy()
    ours = infidelity(model, x, a, n=n, noise_scale=scale, seed=9, normalize=normalize).per_sample["infidelity"]
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)


def test_a_constant_explainer_has_zero_sensitivity_and_the_identity_is_bounded_by_the_radius():
    model, x, w = linear_binary(0, n=3)
    # A linear model's gradient does not move.
    assert max_sensitivity(model, x, saliency(model, x, 0), 0, explainer=saliency, seed=0)["max_sensitivity"] == 0
    # Phi(x) = x moves by d: ||d|| / ||x|| <= radius sqrt(size) / ||x||.
    identity = lambda model, x, target: x     # noqa: E731
    result = max_sensitivity(model, x, x, explainer=identity, radius=0.1, n=20, seed=0)
    bound = 0.1 * np.sqrt(x[0].size) / np.sqrt((x ** 2).reshape(3, -1).sum(axis=1))
    assert np.all(result.per_sample["max_sensitivity"] <= bound)
    assert np.all(result.per_sample["max_sensitivity"] > bound / 3)
    assert np.all(result.per_sample["mean_sensitivity"] <= result.per_sample["max_sensitivity"])


def test_smoothing_lowers_the_sensitivity_of_a_relu_network():
    model, x = tiny_model(2, np.float64)
    x = np.concatenate([x, np.random.default_rng(3).normal(size=(6, 1, 12))])
    gradient = functools.partial(saliency, signed=True)
    plain = max_sensitivity(model, x, gradient(model, x), explainer=gradient, radius=0.3, n=8, seed=0)
    smooth = functools.partial(smoothgrad, n=50, seed=0)
    smoothed = max_sensitivity(model, x, smooth(model, x), explainer=smooth, radius=0.3, n=8, seed=0)
    assert smoothed["max_sensitivity"] < plain["max_sensitivity"]


def test_max_sensitivity_rows_do_not_depend_on_the_batch():
    model, x = tiny_model(5, np.float64)
    x = np.concatenate([x, x[::-1] + 0.5])
    full = max_sensitivity(model, x, saliency(model, x), explainer=saliency, n=3, seed=1).per_sample["max_sensitivity"]
    alone = max_sensitivity(model, x[2:3], saliency(model, x[2:3]), explainer=saliency, n=3, seed=1)
    np.testing.assert_allclose(alone.per_sample["max_sensitivity"], full[2:3], rtol=1e-12)


def test_bad_inputs_are_refused_with_named_arguments():
    model, x, w = linear_binary()
    x2 = linear_binary(channels=2)[1]
    with pytest.raises(ShapeError, match="attributions"):
        infidelity(model, x, x[:, :, 1:])
    with pytest.raises(ParameterError, match="empty"):
        infidelity(model, x[:0], x[:0])
    with pytest.raises(ParameterError, match="noise_scale"):
        infidelity(model, x, x, noise_scale=0)
    with pytest.raises(ParameterError, match="n"):
        infidelity(model, x, x, n=0)
    with pytest.raises(UnknownNameError, match="score"):
        infidelity(model, x, x, score="p")
    with pytest.raises(ShapeError, match="attributions"):
        max_sensitivity(model, x, x[:2], explainer=saliency)
    with pytest.raises(ParameterError, match="radius"):
        max_sensitivity(model, x, x, explainer=saliency, radius=-1)
    with pytest.raises(ParameterError, match="explainer"):
        max_sensitivity(model, x, x, explainer="saliency")
    with pytest.raises(ShapeError, match="explainer"):
        one_channel = functools.partial(saliency, channel_max=True)
        max_sensitivity(linear_binary(channels=2)[0], x2, x2, explainer=one_channel, n=1)
    with pytest.raises(ParameterError, match="empty"):
        max_sensitivity(model, x[:0], x[:0], explainer=saliency)
