"""DeconvNet and guided backprop as rules: back-prop's table with only the ReLU cell replaced.

At every ReLU, with r_out the signal at its output and x its forward input:
back-prop r_in = r_out * 1(x > 0); DeconvNet r_in = r_out * 1(r_out > 0); guided r_in = r_out *
1(x > 0) * 1(r_out > 0). Every other layer passes the signal exactly as back-prop does.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.nn import Conv1d, Conv2d, Dense, Flatten, GlobalAvgPool, ReLU, Sequential
from minixai.nn.activation import relu_back
from minixai.rules import deconvnet, gradient, guided
from tests.explain._gradient_family_strategies import HAND, pool_model, relu_dense_model, tiny_model
from tests.strategies import assert_agrees, model_cases, seeds

RULES = {"gradient": gradient, "deconvnet": deconvnet, "guided": guided}
RELU_CELLS = {
    "gradient": lambda r_out, x: r_out * (x > 0),
    "deconvnet": lambda r_out, x: r_out * (r_out > 0),
    "guided": lambda r_out, x: r_out * (x > 0) * (r_out > 0),
}


def assert_each_layer_follows(rule_name: str, trace, g) -> None:
    """Signal by signal (``keep`` on every layer): the ReLU cell at ReLUs, back-prop elsewhere."""
    names, B = trace.names, trace.backend
    signals = trace.backward(g, rule=RULES[rule_name], keep=names)
    for i, (name, record) in enumerate(zip(names, trace.records)):
        r_out = signals.layers[name]
        r_in = signals.layers[names[i - 1]] if i > 0 else signals.input
        layer = trace.model.layers[name]
        if isinstance(layer, ReLU):
            expected = RELU_CELLS[rule_name](r_out, B.to_numpy(record.x))
        else:
            expected = B.to_numpy(gradient.backward(layer, B.asarray(r_out), record))
        np.testing.assert_array_equal(r_in, expected, err_msg=f"{rule_name}: signal below {name!r}")


def test_only_the_relu_cell_differs_from_backprop_and_the_rest_is_bound_not_rewritten():
    for rule in (deconvnet, guided):
        assert set(rule.cells) == set(gradient.cells)
        differ = [t.__name__ for t in rule.cells if rule.cells[t] is not gradient.cells[t]]
        assert differ == ["ReLU"], f"{rule.name}: cells other than back-prop's: {differ}"


@given(r_out=st.floats(-10, 10), x=st.floats(-10, 10))
def test_guided_relu_cell_is_deconvnet_mask_times_backprop_mask(r_out, x):
    guided_cell, deconvnet_cell = guided.cells[ReLU].scalar, deconvnet.cells[ReLU].scalar
    assert guided_cell(r_out, x) == relu_back(deconvnet_cell(r_out), x)
    assert deconvnet_cell(r_out) == (r_out if r_out > 0 else 0.0)


@pytest.mark.backends("numpy", "numba")
@pytest.mark.parametrize("dims", [1, 2])
@given(data=st.data(), seed=seeds())
def test_guided_is_backprop_masked_by_positive_signal_at_every_relu(backend, dims, data, seed):
    case = data.draw(model_cases(dims=dims, pool="overlapping"), label="case")
    trace = case.model.trace(case.x, backend=backend)
    g = np.random.default_rng(seed).normal(size=trace.output.shape)
    assert_each_layer_follows("guided", trace, g)


@pytest.mark.backends("numpy", "numba")
@given(case=model_cases(), seed=seeds())
def test_deconvnet_passes_the_positive_signal_at_every_relu_whatever_its_input(backend, case, seed):
    trace = case.model.trace(case.x, backend=backend)
    g = np.random.default_rng(seed).normal(size=trace.output.shape)
    assert_each_layer_follows("deconvnet", trace, g)


@pytest.mark.parametrize("rule_name", ["deconvnet", "guided"])
def test_rules_follow_their_relu_cell_on_every_backend_on_a_tiny_model(backend, rule_name):
    model, x = tiny_model(seed=3)
    trace = model.trace(x, backend=backend)
    g = np.random.default_rng(4).normal(size=(2, 3)).astype(np.float32)
    assert_each_layer_follows(rule_name, trace, g)


@pytest.mark.parametrize("rule_name", ["deconvnet", "guided"])
def test_rules_agree_with_the_numpy_backend(backend, rule_name):
    model, x = tiny_model(seed=5)
    g = np.random.default_rng(6).normal(size=(2, 3)).astype(np.float32)
    expected = model.trace(x, backend="numpy").backward(g, rule=RULES[rule_name], keep=["relu1"])
    actual = model.trace(x, backend=backend).backward(g, rule=RULES[rule_name], keep=["relu1"])
    assert_agrees(actual.input, expected.input, f"{rule_name} input")
    assert_agrees(actual.layers["relu1"], expected.layers["relu1"], f"{rule_name} at relu1")


@pytest.mark.parametrize("dims", [1, 2])
@given(seed=seeds(), head=st.sampled_from(["gap", "flatten"]))
def test_without_relu_and_max_pool_every_rule_is_the_plain_gradient(dims, seed, head):
    rng = np.random.default_rng(seed)
    conv = Conv1d(2, 3, 3, padding=1, rng=rng) if dims == 1 else Conv2d(2, 3, 3, padding=1, rng=rng)
    size = (7,) if dims == 1 else (4, 5)
    pool = [("gap", GlobalAvgPool()), ("fc", Dense(3, 4, rng=rng))] if head == "gap" else \
        [("flatten", Flatten()), ("fc", Dense(3 * int(np.prod(size)), 4, rng=rng))]
    model = Sequential([("conv", conv)] + pool).astype(np.float64)
    trace = model.trace(rng.normal(size=(2, 2, *size)), backend="numpy")
    g = rng.normal(size=(2, 4))
    plain = trace.backward(g).input
    for rule in (deconvnet, guided):
        np.testing.assert_array_equal(trace.backward(g, rule=rule).input, plain, err_msg=rule.name)


@pytest.mark.parametrize("rule_name", sorted(HAND))
@pytest.mark.parametrize("target", [0, 1])
def test_hand_computed_signals_on_a_dense_relu_dense_model(backend, rule_name, target):
    model, x = relu_dense_model()
    trace = model.trace(x, backend=backend)
    np.testing.assert_array_equal(trace.backward(np.eye(2)[[target]], rule=RULES[rule_name]).input,
                                  [HAND[rule_name][target]])


@pytest.mark.parametrize("weight, expected", [
    # Both overlapping windows route to index 1; their signals add up *before* the ReLU cell:
    # -2 + 1 = -1 is blocked by DeconvNet and guided, passed by back-prop (x = 3 > 0).
    ([[-2, 1]], {"gradient": [0, -1, 0, 0], "deconvnet": [0, 0, 0, 0], "guided": [0, 0, 0, 0]}),
    ([[2, 1]], {"gradient": [0, 3, 0, 0], "deconvnet": [0, 3, 0, 0], "guided": [0, 3, 0, 0]}),
])
def test_overlapping_max_pool_adds_the_signals_before_the_relu_masks_them(backend, weight, expected):
    model, x = pool_model(weight)
    trace = model.trace(x, backend=backend)
    for rule_name, values in expected.items():
        np.testing.assert_array_equal(trace.backward(np.ones((1, 1)), rule=RULES[rule_name]).input, [[values]])


def test_deconvnet_sends_signal_to_inactive_units_and_guided_never_does():
    model, x = relu_dense_model()
    kept = {name: model.trace(x, backend="numpy").backward(np.eye(2)[[1]], rule=RULES[name], keep=["fc1"]).layers["fc1"]
            for name in RULES}
    inactive = (x * 2) <= 0
    assert np.any(kept["deconvnet"][inactive] != 0)
    assert np.all(kept["guided"][inactive] == 0) and np.all(kept["gradient"][inactive] == 0)
    assert np.all(kept["guided"] >= 0) and np.all(kept["deconvnet"] >= 0)
