"""LRP: conservation sum_i R_i = y_c (epsilon -> 0, alpha - beta = 1, z^B) on bias-free models, z+
non-negativity, LRP-0 = gradient x input, batch invariance, backend agreement, bad input."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minixai.errors import NonFiniteError, NotApplicableError, ParameterError, ShapeError, UnknownNameError
from minixai.explain import EXPLAINERS, gradient_x_input, lrp
from minixai.nn import Dense, Flatten, ReLU, Sequential
from tests.explain._gradient_family_strategies import tiny_model, without_biases
from tests.strategies import assert_agrees, model_cases, near_kink

RULES = [dict(rule="epsilon"), dict(rule="zplus"), dict(rule="alpha_beta", alpha=2.0, beta=1.0),
         dict(rule="epsilon", low=-4.0, high=4.0)]


def scale(model, x) -> float:
    return max(1.0, float(np.abs(model(x)).max()))


def test_lrp_is_registered():
    assert EXPLAINERS["lrp"] is lrp


@given(case=model_cases(pool="overlapping"))
def test_epsilon_gap_shrinks_with_epsilon_on_bias_free_models(case):
    model, x = without_biases(case.model), case.x
    assume(not near_kink(model.trace(x, backend="numpy")))
    gaps = [np.abs(lrp(model, x, epsilon=eps, return_gap=True, backend="numpy")[1]).max() for eps in (1e-2, 1e-5, 1e-8)]
    assert gaps[2] <= 1e-6 * scale(model, x)
    assert gaps[2] <= gaps[1] + 1e-12 and gaps[1] <= gaps[0] + 1e-12


@given(case=model_cases(pool="overlapping"))
def test_lrp_zero_equals_gradient_times_input_even_with_biases_and_max_pools(case):
    # Relevance at a ReLU's output is a * dy/da; each rule step keeps it x * dy/dx (winner-take-all
    # max-pool routes exactly like the gradient), so the identity needs neither bias-free layers nor
    # pool-free models, only no division by a zero z_j.
    trace = case.model.trace(case.x, backend="numpy")
    assume(not near_kink(trace))
    r = lrp(case.model, case.x, epsilon=0.0, backend="numpy")
    np.testing.assert_allclose(r, gradient_x_input(case.model, case.x, backend="numpy"),
                               rtol=1e-9, atol=1e-12 * scale(case.model, case.x))


@given(case=model_cases(), beta=st.sampled_from([0.0, 0.5, 1.0, 3.0]))
def test_alpha_beta_with_alpha_minus_beta_one_conserves_on_bias_free_models(case, beta):
    model = without_biases(case.model)
    r, gap = lrp(model, case.x, rule="alpha_beta", alpha=beta + 1.0, beta=beta, epsilon=0.0, return_gap=True,
                 backend="numpy")
    assert np.abs(gap).max() <= 1e-12 * max(1.0, np.abs(r).sum())


@given(case=model_cases(), signed=st.booleans())
def test_zplus_relevance_is_non_negative_for_a_positive_score(case, signed):
    x = case.x if signed else np.abs(case.x)  # signed inputs too: z_ij^+ = (x_i w_ij)^+ >= 0 either way
    logits = case.model(x, backend="numpy")
    target = logits.argmax(axis=1)
    assume(np.all(logits[np.arange(len(x)), target] > 0))
    assert lrp(case.model, x, target, rule="zplus", backend="numpy").min() >= 0.0


@given(case=model_cases())
def test_zb_input_rule_conserves_on_bias_free_models_and_keeps_signs_of_the_score(case):
    model, x = without_biases(case.model), case.x
    low, high = x.min() - 0.5, x.max() + 0.5
    r, gap = lrp(model, x, rule="zplus", epsilon=0.0, low=low, high=high, return_gap=True, backend="numpy")
    assert np.abs(gap).max() <= 1e-12 * max(1.0, np.abs(r).sum())
    logits = model(x, backend="numpy")
    score = logits[np.arange(len(x)), logits.argmax(axis=1)]
    # z^B terms are >= 0 and z+ keeps signs, so every input's relevance has the sign of y_c.
    assert np.all(r * np.sign(score).reshape(-1, *[1] * (x.ndim - 1)) >= 0)


@pytest.mark.parametrize("options", RULES, ids=["epsilon", "zplus", "alpha2_beta1", "zb"])
@given(case=model_cases())
def test_explaining_a_batch_equals_explaining_each_row(case, options):
    batch = lrp(case.model, case.x, 0, batch_size=len(case.x), backend="numpy", **options)
    rows = np.concatenate([lrp(case.model, case.x[i:i + 1], 0, backend="numpy", **options) for i in range(len(case.x))])
    np.testing.assert_allclose(batch, rows, rtol=1e-12, atol=1e-14)


@pytest.mark.backends("numba", "cuda")
@pytest.mark.parametrize("options", RULES, ids=["epsilon", "zplus", "alpha2_beta1", "zb"])
def test_every_backend_agrees_with_numpy(backend, options):
    model, x = tiny_model(seed=3, dtype=np.float64)
    expected, expected_gap = lrp(model, x, [0, 2], return_gap=True, backend="numpy", **options)
    actual, gap = lrp(model, x, [0, 2], return_gap=True, backend=backend, **options)
    assert_agrees(actual, expected, f"lrp {options} on {backend}")
    assert_agrees(gap, expected_gap, f"gap {options} on {backend}")


def test_float32_relevance_matches_float64():
    model, x = tiny_model(seed=1, dtype=np.float64)
    expected = lrp(model, x, rule="zplus", backend="numpy")
    actual = lrp(model.astype(np.float32), x.astype(np.float32), rule="zplus", backend="numpy")
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max())


def test_gap_is_sum_of_relevance_minus_the_target_logit():
    model, x = tiny_model(seed=2, dtype=np.float64)
    r, gap = lrp(model, x, [1, 0], return_gap=True, backend="numpy")
    logits = model(x, backend="numpy")
    np.testing.assert_allclose(gap, r.sum(axis=(1, 2)) - logits[[0, 1], [1, 0]], rtol=1e-12)
    assert r.shape == x.shape


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(rule="gamma"), UnknownNameError, "rule"),
    (dict(epsilon=-1.0), ParameterError, "epsilon"),
    (dict(rule="alpha_beta", alpha=1.5, beta=1.0), ParameterError, "alpha - beta = 1"),
    (dict(input_rule="zb"), ParameterError, "low and high"),
    (dict(input_rule="w2", low=-5.0, high=5.0), UnknownNameError, "input_rule"),
    (dict(low=np.zeros(5), high=5.0), ShapeError, "low: expected a scalar or an array broadcastable"),
    (dict(low=-5.0, high=np.ones((2, 1, 12))), ShapeError, "high"),
    (dict(low=0.0, high=5.0), ParameterError, "low <= x <= high"),
    (dict(low=-5.0), ParameterError, "give both bounds"),
    (dict(batch_size=0), ParameterError, "batch_size"),
    (dict(target=7), ParameterError, "target"),
])
def test_bad_input_raises_minixai_errors(kwargs, error, words):
    model, x = tiny_model(seed=0, dtype=np.float64)
    with pytest.raises(error, match=words):
        lrp(model, x, backend="numpy", **kwargs)


def test_non_finite_input_and_models_without_an_input_layer_are_refused():
    model, x = tiny_model(seed=0, dtype=np.float64)
    x[0, 0, 3] = np.nan
    with pytest.raises(NonFiniteError, match="x"):
        lrp(model, x, backend="numpy")
    relu_first = Sequential([("relu", ReLU()), ("flatten", Flatten()), ("fc", Dense(4, 2))])
    with pytest.raises(NotApplicableError, match="input_rule"):
        lrp(relu_first, np.ones((1, 1, 4)), low=0.0, high=1.0, backend="numpy")
    flatten_first = Sequential([("flatten", Flatten()), ("fc", Dense(4, 2, rng=0))])
    r, gap = lrp(flatten_first, np.full((1, 1, 4), 0.5), low=np.zeros((1, 4)), high=1.0, epsilon=0.0,
                 return_gap=True, backend="numpy")
    assert r.shape == (1, 1, 4) and abs(gap[0]) < 1e-12  # z^B shares all of R_j: the bias takes none


def test_signed_input_layers_are_the_first_and_those_not_behind_a_relu():
    from minixai.explain.lrp import signed_input_layers
    from minixai.nn import Conv1d, GlobalAvgPool, MaxPool1d
    model = Sequential([("conv1", Conv1d(1, 2, 3)), ("relu1", ReLU()), ("pool1", MaxPool1d(2)),
                        ("conv2", Conv1d(2, 2, 1)), ("conv3", Conv1d(2, 2, 1)), ("gap", GlobalAvgPool()),
                        ("fc", Dense(2, 2))])
    assert signed_input_layers(model) == {"conv1", "conv3", "fc"}


@given(case=model_cases())
def test_splitting_x_by_sign_behind_a_relu_changes_nothing(case):
    from minixai.rules import lrp_rule
    trace = case.model.trace(case.x, backend="numpy")
    seed = np.where(np.arange(trace.output.shape[1]) == 0, trace.output, 0.0)
    everywhere = trace.backward(seed, rule=lrp_rule(alpha=2.0, beta=1.0)).input
    np.testing.assert_allclose(lrp(case.model, case.x, 0, rule="alpha_beta", alpha=2.0, beta=1.0, backend="numpy"),
                               everywhere, rtol=1e-12, atol=1e-14)
