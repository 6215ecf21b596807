"""Integrated Gradients: exact on linear models, complete in the limit, batched without changing a value."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import NonFiniteError, ParameterError, ShapeError, UnknownNameError
from minixai.explain import integrated_gradients
from minixai.explain.integrated_gradients import METHODS, quadrature
from minixai.explain._variants import gradients_over_variants
from minixai.nn import Conv1d, Dense, GlobalAvgPool, Sequential
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees, model_cases


def linear_model(seed=0):
    """Conv1d -> GAP -> Dense, no ReLU: y is affine in x, so its gradient is the same everywhere."""
    rng = np.random.default_rng(seed)
    model = Sequential([("conv", Conv1d(2, 3, 3, rng=rng)), ("gap", GlobalAvgPool()), ("fc", Dense(3, 4, rng=rng))])
    return model.astype(np.float64), rng.normal(size=(3, 2, 7))


@pytest.mark.parametrize("method", METHODS)
def test_ig_on_a_linear_model_is_input_minus_baseline_times_the_weights(method):
    model, x = linear_model()
    baseline = np.random.default_rng(1).normal(size=x.shape[1:])
    # The gradient of the affine map, from the flattened weights of a Flatten -> Dense equivalent.
    columns = np.stack([model(np.eye(14)[j].reshape(1, 2, 7) + 0 * x[:1])[0] - model(0 * x[:1])[0]
                        for j in range(14)], axis=1)
    attributions, gap = integrated_gradients(model, x, 1, baseline=baseline, steps=2, method=method,
                                             return_gap=True)
    np.testing.assert_allclose(attributions, (x - baseline) * columns[1].reshape(2, 7), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gap, 0, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_nodes_and_weights_integrate_what_their_rule_promises(method):
    # Gauss-Legendre with n nodes is exact up to degree 2n - 1 (why it wins on smooth integrands);
    # the midpoint and trapezoid rules up to degree 1; left and right sums only for constants.
    steps = 4
    degree = {"gausslegendre": 2 * steps - 1, "riemann_middle": 1, "riemann_trapezoid": 1}.get(method, 0)
    nodes, weights = quadrature(method, steps)
    assert np.all((0 <= nodes) & (nodes <= 1))
    for p in range(degree + 1):
        np.testing.assert_allclose(np.sum(weights * nodes ** p), 1 / (p + 1), rtol=1e-13)
    assert not np.isclose(np.sum(weights * nodes ** (degree + 1)), 1 / (degree + 2), rtol=1e-6)


def discrepancy(method, steps):
    """sup_a |W(a) - a|, W(a) the sum of the weights of the nodes <= a: how far the rule is from uniform."""
    nodes, weights = quadrature(method, steps)
    cumulative = np.cumsum(weights)
    return max(np.abs(cumulative - nodes).max(), np.abs(cumulative - weights - nodes).max())


def path_variation(model, x, target, points=2048):
    """Total variation over [0, 1] of h(a) = d y_c(a x) / d a = sum_i x_i dy_c/dx_i(a x), per row.

    For a ReLU network h is piecewise constant; a fine grid sees every jump of these small models.
    """
    h = np.zeros((points, len(x)))
    for k, rows, g in gradients_over_variants(model, x, target, lambda k, rows: k / (points - 1) * x[rows], points,
                                              batch_size=4096):
        h[k, rows] = (x[rows] * g).reshape(len(g), -1).sum(axis=1)
    return np.abs(np.diff(h, axis=0)).sum(axis=0)


@given(model_cases(), st.sampled_from(METHODS))
def test_completeness_gap_shrinks_as_steps_grow(case, method):
    # Koksma's inequality in one dimension: |sum_k w_k h(a_k) - integral h| <= V(h) sup_a |W(a) - a|,
    # and the gap is exactly that error for h above. The bound falls like 1/steps for every rule.
    model, x = case.model, case.x
    target = model(x).argmax(axis=1)
    variation = path_variation(model, x, target)
    scale = 1e-9 * (1 + np.abs(model(x)).max())
    for steps in (4, 32, 256):
        _, gap = integrated_gradients(model, x, target, steps=steps, method=method, return_gap=True)
        assert np.all(np.abs(gap) <= 1.25 * variation * discrepancy(method, steps) + scale), (steps, gap, variation)
    assert discrepancy(method, 256) < discrepancy(method, 32) / 6


@given(model_cases(), st.integers(1, 9), st.sampled_from(["zero", "blur", "noise"]))
def test_batch_size_and_batching_rows_do_not_change_ig(case, batch_size, baseline):
    model, x = case.model, case.x
    target = model(x).argmax(axis=1)
    reference = integrated_gradients(model, x, target, baseline=baseline, steps=5, seed=4, batch_size=100)
    np.testing.assert_allclose(integrated_gradients(model, x, target, baseline=baseline, steps=5, seed=4,
                                                    batch_size=batch_size), reference, rtol=1e-12, atol=1e-15)
    for i in range(len(x)):
        row = integrated_gradients(model, x[i:i + 1], int(target[i]), baseline=baseline, steps=5, seed=4)
        np.testing.assert_allclose(row, reference[i:i + 1], rtol=1e-12, atol=1e-15)


def test_expected_ig_is_the_mean_over_baselines_and_noise_follows_the_seed():
    model, x = tiny_model(dtype=np.float64)
    baselines = ["zero", "blur", np.ones(x.shape[1:])]
    each = [integrated_gradients(model, x, 0, baseline=b, steps=8) for b in baselines]
    expected, gap = integrated_gradients(model, x, 0, baseline=baselines, steps=8, return_gap=True)
    np.testing.assert_allclose(expected, np.mean(each, axis=0), rtol=1e-12)
    assert gap.shape == (len(x),)
    noisy = integrated_gradients(model, x, 0, baseline=["noise", "noise"], seed=5)
    np.testing.assert_array_equal(noisy, integrated_gradients(model, x, 0, baseline=["noise", "noise"], seed=5))
    assert not np.allclose(noisy, integrated_gradients(model, x, 0, baseline=["noise", "noise"], seed=6))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backends_agree_with_numpy(backend, dtype):
    model, x = tiny_model(dtype=dtype)
    expected, expected_gap = integrated_gradients(model, x, steps=3, baseline="blur", return_gap=True,
                                                  batch_size=4, backend="numpy")
    actual, gap = integrated_gradients(model, x, steps=3, baseline="blur", return_gap=True, batch_size=4,
                                       backend=backend)
    assert_agrees(actual, expected, "attributions")
    assert_agrees(gap, expected_gap, "gap")


def test_bad_input_raises_minixai_errors():
    model, x = tiny_model()
    with pytest.raises(ParameterError, match="steps"):
        integrated_gradients(model, x, steps=0)
    with pytest.raises(ParameterError, match="steps"):
        integrated_gradients(model, x, steps=1, method="riemann_trapezoid")
    with pytest.raises(UnknownNameError, match="method"):
        integrated_gradients(model, x, method="simpson")
    with pytest.raises(UnknownNameError, match="baseline"):
        integrated_gradients(model, x, baseline="black")
    with pytest.raises(ParameterError, match="blur_sigma"):
        integrated_gradients(model, x, baseline="blur", blur_sigma=0)
    with pytest.raises(ShapeError, match="baseline"):
        integrated_gradients(model, x, baseline=np.zeros((1, 11)))
    with pytest.raises(ParameterError, match="baseline"):
        integrated_gradients(model, x, baseline=[])
    with pytest.raises(NonFiniteError, match="baseline"):
        integrated_gradients(model, x, baseline=np.full(x.shape, np.inf))
