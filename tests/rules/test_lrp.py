"""LRP cells by hand: each rule on a 2-unit dense net, GAP as weights 1/Z, max-pool winner-take-all.

Hand model: x = [2, 1] -> Dense W1 = [[1, -1], [1, 2]] -> ReLU -> Dense W2 = [[1, 1], [2, -1]], no
biases. Hidden z = [1, 4] (both active), logits y = [5, -2]. Contributions x_i w_ji: unit 0 gets
[2, -1], unit 1 gets [2, 2]; the logits get a_j w_cj = [1, 4] (class 0) and [2, -4] (class 1).
"""
import numpy as np
import pytest

from minixai.errors import ParameterError, UnknownNameError
from minixai.nn import Conv1d, Dense, Flatten, GlobalAvgPool, MaxPool1d, ReLU, Sequential
from minixai.rules import gradient, lrp_alpha_beta, lrp_epsilon, lrp_rule, lrp_zplus
from minixai.rules.table import rows_that_differ

W1 = [[1.0, -1.0], [1.0, 2.0]]
W2 = [[1.0, 1.0], [2.0, -1.0]]
X = np.array([[2.0, 1.0]])


def dense(weight) -> Dense:
    weight = np.asarray(weight, dtype=np.float64)
    layer = Dense(weight.shape[1], weight.shape[0], bias=False)
    layer.weight = weight
    return layer


def hand_model() -> Sequential:
    return Sequential([("fc1", dense(W1)), ("relu", ReLU()), ("fc2", dense(W2))])


def relevance(model, x, target, rule) -> np.ndarray:
    """R at the input, seeded with the target logit (what minixai.explain.lrp does)."""
    trace = model.trace(x, backend="numpy")
    seed = np.zeros_like(trace.output)
    seed[:, target] = trace.output[:, target]
    return trace.backward(seed, rule=rule).input


def test_hand_model_logits_are_five_and_minus_two():
    np.testing.assert_array_equal(hand_model()(X), [[5.0, -2.0]])


@pytest.mark.parametrize("target, expected", [(0, [4.0, 1.0]), (1, [2.0, -4.0])])
def test_lrp_zero_shares_each_neuron_by_its_contributions_by_hand(target, expected):
    # class 0: fc2 gives [1, 4]; unit 0 shares 1 as [2, -1] / 1, unit 1 shares 4 as [2, 2] / 4.
    np.testing.assert_allclose(relevance(hand_model(), X, target, lrp_rule(epsilon=0.0)), [expected], rtol=1e-15)


def test_lrp_epsilon_one_absorbs_relevance_in_its_denominators_by_hand():
    # fc2: [1, 4] * 5 / (5 + 1) = [5/6, 20/6]; unit 0: [2, -1] * (5/6) / (1 + 1); unit 1: [2, 2] * (20/6) / (4 + 1).
    r = relevance(hand_model(), X, 0, lrp_rule(epsilon=1.0))
    np.testing.assert_allclose(r, [[10 / 12 + 4 / 3, -5 / 12 + 4 / 3]], rtol=1e-15)
    assert r.sum() == pytest.approx(37 / 12)  # of y = 5: the epsilons absorbed the rest


@pytest.mark.parametrize("target, expected", [(0, [3.0, 2.0]), (1, [-2.0, 0.0])])
def test_lrp_zplus_shares_by_positive_contributions_only_by_hand(target, expected):
    # class 0: unit 0 shares 1 by its positive part [2, 0]; class 1: fc2's positive part is [2, 0].
    np.testing.assert_allclose(relevance(hand_model(), X, target, lrp_zplus), [expected], rtol=1e-15)


@pytest.mark.parametrize("target, expected", [(0, [4.0, 1.0]), (1, [-7.0, 5.0])])
def test_lrp_alpha2_beta1_by_hand_with_one_sided_neurons_keeping_all_their_relevance(target, expected):
    # class 1: fc2 [2, -4] gives 2 * (-2) = -4 and -1 * (-2) = 2; unit 0 shares -4 as 2 [2, 0] / 2 - [0, -1] / -1
    # = [-8, 4]; unit 1 (contributions [2, 2], none negative) shares 2 by z+ alone: [1, 1].
    r = relevance(hand_model(), X, target, lrp_alpha_beta)
    np.testing.assert_allclose(r, [expected], rtol=1e-15)
    assert r.sum() == pytest.approx([5.0, -2.0][target])


def test_lrp_zb_at_the_input_layer_by_hand():
    # low = -1, high = 3: unit 0 terms x w - l w+ - h w- = [2 + 1, -1 + 3] = [3, 2]; unit 1: [2 + 1, 2 + 2] = [3, 4].
    rule = lrp_rule(epsilon=0.0, input_rule="zb", input_layer="fc1", low=np.full(2, -1.0), high=3.0)
    r = relevance(hand_model(), X, 0, rule)
    np.testing.assert_allclose(r, [[3 / 5 + 4 * 3 / 7, 2 / 5 + 4 * 4 / 7]], rtol=1e-15)
    assert r.sum() == pytest.approx(5.0)


def test_gap_is_the_epsilon_rule_with_weights_one_over_z_by_hand():
    # x (1, 2, 2) -> GAP [2, 2] -> Dense [[1, 1]]: each channel's R = 2 is shared as x_i / 2 * 2 / 2.
    model = Sequential([("gap", GlobalAvgPool()), ("fc", dense([[1.0, 1.0]]))])
    x = np.array([[[1.0, 3.0], [2.0, 2.0]]])
    np.testing.assert_allclose(relevance(model, x, 0, lrp_rule(epsilon=0.0)), [[[0.5, 1.5], [1.0, 1.0]]], rtol=1e-15)


def test_max_pool_sends_relevance_to_the_winner_and_overlapping_windows_add_up():
    # x = [1, 3, 2, -1] -> MaxPool1d(3, 1) = [3, 3], both from index 1 -> Dense [[1, 2]]: y = 9.
    model = Sequential([("relu", ReLU()), ("pool", MaxPool1d(3, 1)), ("flatten", Flatten()), ("fc", dense([[1.0, 2.0]]))])
    x = np.array([[[1.0, 3.0, 2.0, -1.0]]])
    for rule in (lrp_rule(epsilon=0.0), lrp_zplus, lrp_alpha_beta):
        np.testing.assert_allclose(relevance(model, x, 0, rule), [[[0.0, 9.0, 0.0, 0.0]]], rtol=1e-15)


def test_the_input_rule_applies_only_to_the_named_layer():
    conv = Conv1d(1, 1, 2, bias=False)
    conv.weight = np.array([[[1.0, -1.0]]])
    model = Sequential([("conv", conv), ("relu", ReLU()), ("gap", GlobalAvgPool()), ("fc", dense([[1.0]]))])
    x = np.array([[[3.0, 1.0, 0.5]]])  # conv: [2, 0.5]
    elsewhere = lrp_rule(epsilon=0.0, input_rule="zb", input_layer="other", low=0.0, high=4.0)
    np.testing.assert_array_equal(relevance(model, x, 0, elsewhere), relevance(model, x, 0, lrp_rule(epsilon=0.0)))
    here = lrp_rule(epsilon=0.0, input_rule="zb", input_layer="conv", low=0.0, high=4.0)
    # z^B terms x w - l w+ - h w-: window [3, 1] -> [3, 3], window [1, 0.5] -> [1, 3.5]; R = [2, 0.5] / 2.
    np.testing.assert_allclose(relevance(model, x, 0, here), [[[0.5, 0.5 + 0.25 / 4.5, 0.25 * 3.5 / 4.5]]], rtol=1e-15)


def test_lrp_rules_differ_from_backprop_in_the_linear_relu_and_gap_rows_only():
    for rule in (lrp_epsilon, lrp_zplus, lrp_alpha_beta):
        assert rows_that_differ(gradient, rule) == ["Conv1d / Conv2d", "Dense", "ReLU", "GlobalAvgPool"]
    assert lrp_zplus.formula(Dense) == "R_i = sum_j z_ij^+ / z_j^+ R_j, z_ij = x_i w_ij, no bias (z+)"
    assert lrp_rule(epsilon=0.25).formula(Conv1d) == "R_i = x_i sum_j w_ij R_j / (z_j + 0.25 sign(z_j))"
    zb = lrp_rule(input_rule="zb", input_layer="conv1", low=0, high=1)
    assert zb.formula(Conv1d).startswith("R_i = sum_j (x_i w_ij - l_i w_ij^+ - h_i w_ij^-)")
    assert "at layer 'conv1'; elsewhere R_i = x_i sum_j w_ij R_j" in zb.formula(Conv1d)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(epsilon=-1e-3), ParameterError, "epsilon"),
    (dict(epsilon=float("nan")), ParameterError, "epsilon"),
    (dict(alpha=2.0, beta=0.5), ParameterError, "alpha - beta = 1"),
    (dict(alpha=0.5, beta=-0.5), ParameterError, "beta >= 0"),
    (dict(input_rule="w2"), UnknownNameError, "input_rule"),
    (dict(input_rule="zb", input_layer="fc1"), ParameterError, "low and high"),
    (dict(input_rule="zb", input_layer="fc1", low=1.0, high=0.0), ParameterError, "low <= high"),
    (dict(low=0.0, high=1.0), ParameterError, "input_rule"),
])
def test_bad_lrp_rule_parameters_raise_minixai_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        lrp_rule(**kwargs)
