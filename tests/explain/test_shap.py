"""SHAP: the Shapley axioms on toy games, exact = kernel on all coalitions, sampling converges,
efficiency on a CNN, and agreement with the shap package."""
import itertools
from math import factorial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import ParameterError, UnknownNameError
from minixai.explain import shap
from minixai.explain.shap import coalitions, exact, kernel, permutation
from tests.explain._perturbation_models import game, linear_model
from tests.strategies import model_cases


def by_orders(v, m: int) -> np.ndarray:
    """Shapley values as the mean over all m! orders of marginal contributions (the definition)."""
    phi = np.zeros(m)
    for order in itertools.permutations(range(m)):
        before = frozenset()
        for player in order:
            phi[player] += v(before | {player}) - v(before)
            before = before | {player}
    return phi / factorial(m)


def random_game(seed: int, m: int):
    table = np.random.default_rng(seed).normal(size=2 ** m)
    return lambda s: table[sum(2 ** j for j in s)]


def values(v, m):
    return lambda z: np.array([v(frozenset(np.flatnonzero(row))) for row in z])


@given(st.integers(0, 1000), st.integers(1, 5))
def test_exact_equals_the_mean_over_all_orders_and_kernel_on_all_coalitions_equals_exact(seed, m):
    v = random_game(seed, m)
    phi = exact(values(v, m), m)
    np.testing.assert_allclose(phi, by_orders(v, m), atol=1e-12)
    ends = np.array([v(frozenset()), v(frozenset(range(m)))])
    np.testing.assert_allclose(kernel(values(v, m), m, ends, 2 ** m, True, 0), phi, atol=1e-10)
    np.testing.assert_allclose(phi.sum(), ends[1] - ends[0], atol=1e-12)                  # efficiency


def test_glove_game_symmetry_and_dummy_through_the_predict_interface():
    labels = np.arange(8) // 2                                       # 4 players of 2 positions
    v = lambda s: float({0, 1} <= s) + 0.25 * (2 in s)                # noqa: E731  player 3 is a dummy
    x = np.ones((1, 1, 8))
    for method in ("exact", "kernel", "permutation"):
        R, out = shap(game(v, labels, k=2), x, 0, method=method, segments=labels, baseline="zero", seed=0,
                      n_samples=400, return_values=True)
        phi = out["phi"][0]
        np.testing.assert_allclose(phi, [0.5, 0.5, 0.25, 0], atol=1e-12, err_msg=method)
        np.testing.assert_allclose(R[0, 0], phi[labels], atol=1e-12)


@given(model_cases(), st.sampled_from(["exact", "kernel", "permutation"]))
def test_efficiency_sum_of_phi_is_f_x_minus_f_baseline(case, method):
    model, x = case.model, case.x
    labels = np.arange(int(np.prod(x.shape[2:]))).reshape(x.shape[2:]) % 4
    _, out = shap(model, x, method=method, segments=labels, baseline=0.5, n_samples=20, seed=1, return_values=True)
    y, y0 = model.forward(x), model.forward(np.full_like(x, 0.5))
    c = y.argmax(axis=1)
    rows = np.arange(len(x))
    np.testing.assert_allclose([p.sum() for p in out["phi"]], y[rows, c] - y0[rows, c], rtol=1e-9, atol=1e-10)


def test_sampled_values_converge_to_exact_as_samples_grow():
    m = 10
    v = random_game(3, m)
    phi = exact(values(v, m), m)
    ends = np.array([v(frozenset()), v(frozenset(range(m)))])
    for estimate in (permutation, kernel):
        errors = [np.mean([np.abs(estimate(values(v, m), m, ends, n, True, seed) - phi).max() for seed in range(3)])
                  for n in (40, 400, 4000)]
        assert errors[0] > errors[1] > errors[2], (estimate.__name__, errors)
    assert np.abs(kernel(values(v, m), m, ends, 2 ** m - 2, True, 0) - phi).max() < 1e-10   # all enumerated


def test_a_linear_models_shapley_values_are_its_segment_contributions():
    shape = (2, 12)
    model = linear_model(shape)
    x = np.random.default_rng(0).normal(size=(1, *shape))
    labels = np.arange(12) // 2
    contributions = np.bincount(labels, weights=(model.layers["fc"].weight[1].reshape(shape) * x[0]).sum(0))
    for method in ("exact", "kernel", "permutation"):
        _, out = shap(model, x, 1, method=method, segments=labels, baseline="zero", n_samples=50, seed=0,
                      return_values=True)
        np.testing.assert_allclose(out["phi"][0], contributions, atol=1e-10, err_msg=method)


@given(model_cases(), st.integers(1, 5))
def test_a_seed_fixes_the_values_whatever_the_batch_size_and_rows_are_explained_alone(case, batch_size):
    model, x = case.model, case.x
    labels = np.arange(int(np.prod(x.shape[2:]))).reshape(x.shape[2:]) % 5
    for method in ("kernel", "permutation"):
        full = shap(model, x, 0, method=method, segments=labels, n_samples=12, seed=2)
        np.testing.assert_allclose(shap(model, x, 0, method=method, segments=labels, n_samples=12, seed=2,
                                        batch_size=batch_size), full, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(shap(model, x[-1:], 0, method=method, segments=labels, n_samples=12, seed=2),
                                   full[-1:], rtol=1e-9, atol=1e-10)


def test_shap_kernel_explainer_agrees_on_the_same_coalition_game():
    shap_package = pytest.importorskip("shap")
    from minixai.data import mnist1d
    from minixai.models import pretrained
    from minixai.explain._segments import Features
    model = pretrained("mnist1d_cnn").astype(np.float64)
    x = mnist1d("test")[0][:1].astype(np.float64)
    _, out = shap(model, x, method="exact", return_values=True)                 # 8 segments of 5 positions
    features = Features(model, x)
    explainer = shap_package.KernelExplainer(lambda z: features.value(0, z), np.zeros((1, 8)))
    theirs = explainer.shap_values(np.ones((1, 8)), nsamples=2 ** 8, silent=True)
    np.testing.assert_allclose(out["phi"][0], np.ravel(theirs), atol=1e-6)
    np.testing.assert_allclose(explainer.expected_value, out["base"][0], atol=1e-9)


def test_bad_methods_and_too_many_features_for_exact_raise_named_errors():
    model = linear_model((1, 20))
    x = np.zeros((1, 1, 20))
    with pytest.raises(ParameterError, match="permutation"):
        shap(model, x, method="exact", segments=np.arange(20))
    with pytest.raises(UnknownNameError, match="kernel"):
        shap(model, x, method="deep")
    with pytest.raises(ParameterError, match="n_samples"):
        shap(model, x, n_samples=0)
    assert coalitions(3).tolist()[5] == [1, 0, 1]


@pytest.mark.parametrize("shape", [(2, 1, 16), (1, 1, 12, 12), (1, 3, 12, 12)], ids=["1d", "grey", "rgb"])
def test_default_features_give_one_map_per_row_on_signals_grey_and_rgb_images(shape):
    model = linear_model(shape[1:], k=2)
    x = np.random.default_rng(0).random(shape)
    R = shap(model, x, n_samples=30, seed=0)
    assert R.shape == (shape[0], 1, *shape[2:]) and np.isfinite(R).all()
