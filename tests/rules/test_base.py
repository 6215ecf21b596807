"""Rules: ``elementwise`` turns a scalar function into a rule cell; a Rule looks cells up by layer type.

A cell has the signature ``cell(layer, r_out, fwd, ref) -> r_in``; an elementwise cell reads the
arguments it names (``r_out, x, y, x0, y0``) and the backend maps it over arrays, so a rule
defined here runs unchanged on every backend.
"""
import numpy as np
import pytest
from hypothesis import given

from minixai.errors import NotApplicableError, ParameterError
from minixai.nn import (Conv1d, Conv2d, Dense, Flatten, GlobalAvgPool, Layer, MaxPool1d, MaxPool2d, ReLU,
                        Sequential)
from minixai.rules import Rule, elementwise, gradient
from tests.strategies import make_array, model_cases, seeds


@elementwise
def positive_signal(r_out):
    """r_in = r_out * 1(r_out > 0)"""
    return r_out if r_out > 0.0 else 0.0 * r_out


@elementwise
def rescale(r_out, x, x0, y, y0):
    """r_in = r_out * (y - y0) / (x - x0)"""
    return r_out * (y - y0) / (x - x0) if abs(x - x0) > 1e-12 else r_out * (1.0 if x > 0.0 else 0.0)


def with_relu_cell(name: str, cell, needs_reference: bool = False) -> Rule:
    return Rule(name, {**gradient.cells, ReLU: cell}, needs_reference=needs_reference)


def relu_model(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential([("conv", Conv1d(1, 2, 3, padding=1, rng=rng)), ("relu", ReLU()),
                       ("gap", GlobalAvgPool()), ("fc", Dense(2, 3, rng=rng))]).astype(np.float64)


def test_elementwise_keeps_the_name_the_docstring_and_the_scalar_function():
    assert positive_signal.__name__ == "positive_signal"
    assert positive_signal.__doc__ == "r_in = r_out * 1(r_out > 0)"
    assert positive_signal.scalar(-2.0) == 0.0 and positive_signal.scalar(3.0) == 3.0


@pytest.mark.parametrize("signature", ["x, r_out", "r_out, z", "signal", ""])
def test_elementwise_refuses_arguments_other_than_r_out_first_then_saved_values(signature):
    namespace = {}
    exec(f"def cell({signature}):\n    return 0.0", namespace)
    with pytest.raises(TypeError, match="arguments must start with r_out and come from"):
        elementwise(namespace["cell"])


@given(seed=seeds())
def test_an_elementwise_cell_maps_its_scalar_function_over_the_signal_on_every_backend(backend, seed):
    # DeconvNet's ReLU cell, r_in = r_out * 1(r_out > 0), in a rule built on the gradient table:
    # below the ReLU, the signal is the conv's transposed map of the ReLU's positive signal.
    model = relu_model(seed)
    x, g = make_array(seed, (2, 1, 6)), make_array(seed + 1, (2, 3))
    trace = model.trace(x, backend=backend)
    signals = trace.backward(g, rule=with_relu_cell("deconvnet-like", positive_signal), keep=["relu", "conv"])
    r_relu = signals.layers["relu"]
    np.testing.assert_array_equal(r_relu, trace.backward(g, keep=["relu"]).layers["relu"])
    np.testing.assert_array_equal(signals.layers["conv"], np.maximum(r_relu, 0))
    conv_only = Sequential([("conv", model.layers["conv"])]).trace(x, backend="numpy")
    np.testing.assert_allclose(signals.input, conv_only.backward(np.maximum(r_relu, 0)).input, rtol=1e-12, atol=1e-14)


@given(seed=seeds())
def test_an_elementwise_cell_reads_the_reference_pass_on_every_backend(backend, seed):
    model = relu_model(seed)
    x, x0 = make_array(seed, (2, 1, 6)), make_array(seed + 1, (2, 1, 6))
    trace, ref = model.trace(x, backend=backend), model.trace(x0, backend=backend)
    g = make_array(seed + 2, (2, 3))
    rule = with_relu_cell("rescale", rescale, needs_reference=True)
    kept = trace.backward(g, rule=rule, reference=ref, keep=["relu", "conv"]).layers
    pre, pre0 = trace.activation("conv"), ref.activation("conv")
    ratio = np.where(np.abs(pre - pre0) > 1e-12, (np.maximum(pre, 0) - np.maximum(pre0, 0)) / (pre - pre0), pre > 0)
    np.testing.assert_allclose(kept["conv"], kept["relu"] * ratio, rtol=1e-10, atol=1e-14)


def test_a_cell_that_needs_a_reference_refuses_to_run_without_one():
    model = relu_model()
    trace = model.trace(make_array(0, (1, 1, 6)), backend="numpy")
    with pytest.raises(ParameterError, match="rule 'rescale' needs reference="):
        trace.backward(np.ones((1, 3)), rule=with_relu_cell("rescale", rescale, needs_reference=True))
    with pytest.raises(NotApplicableError, match="rescale: this rule needs a reference pass"):
        trace.backward(np.ones((1, 3)), rule=with_relu_cell("rescale", rescale, needs_reference=False))
    other = model.trace(make_array(0, (1, 2, 6)), start="relu", backend="numpy")
    with pytest.raises(ParameterError, match="reference: expected a trace through the same layers"):
        trace.backward(np.ones((1, 3)), rule=with_relu_cell("rescale", rescale, True), reference=other)


def test_a_rule_finds_the_cell_of_the_nearest_listed_base_class():
    def conv2d_cell(layer, r_out, fwd, ref):
        """conv2d"""

    def conv1d_cell(layer, r_out, fwd, ref):
        """conv1d"""

    def pool_cell(layer, r_out, fwd, ref):
        """pool"""

    class MyConv(Conv1d):
        pass

    rule = Rule("test", {Conv2d: conv2d_cell, Conv1d: conv1d_cell, MaxPool2d: pool_cell})
    assert rule.cell(Conv2d(1, 1, 1)) is conv2d_cell
    assert rule.cell(Conv1d(1, 1, 1)) is conv1d_cell  # its own entry wins over its base Conv2d's
    assert rule.cell(MyConv(1, 1, 1)) is conv1d_cell  # a subclass inherits its nearest base's cell
    assert rule.cell(MaxPool1d(2)) is pool_cell  # MaxPool1d is a MaxPool2d
    assert rule.backward(MaxPool1d(2), None, None) is None  # backward calls the cell found


def test_a_layer_type_without_a_cell_raises_not_applicable_listing_the_covered_types():
    class Softplus(Layer):
        pass

    rule = Rule("partial", {Conv2d: Conv2d.backward, ReLU: ReLU.backward})
    with pytest.raises(NotApplicableError, match="rule 'partial' has no cell for layer type Softplus; "
                                                 "it covers Conv2d, ReLU"):
        rule.cell(Softplus())
    with pytest.raises(NotApplicableError, match="no cell for layer type Dense"):
        rule.backward(Dense(1, 1), None, None)


def test_a_model_with_an_uncovered_layer_fails_in_backward_with_not_applicable():
    model = relu_model()
    trace = model.trace(make_array(0, (1, 1, 6)), backend="numpy")
    with pytest.raises(NotApplicableError, match="no cell for layer type GlobalAvgPool"):
        trace.backward(np.ones((1, 3)), rule=Rule("no-gap", {Dense: Dense.backward}))


def test_formula_is_the_first_line_of_the_cells_docstring():
    def two_lines(layer, r_out, fwd, ref):
        """r_in = 2 r_out

        More detail that is not part of the formula.
        """

    def undocumented(layer, r_out, fwd, ref):
        pass

    rule = Rule("test", {Dense: two_lines, Flatten: undocumented, ReLU: positive_signal})
    assert rule.formula(Dense) == "r_in = 2 r_out"
    assert rule.formula(ReLU) == "r_in = r_out * 1(r_out > 0)"
    assert rule.formula(Flatten) == ""
    assert rule.formula(Conv2d) == ""  # not in the table


def test_the_gradient_rule_covers_every_layer_and_states_the_chain_rule():
    assert set(gradient.cells) == {Conv1d, Conv2d, Dense, GlobalAvgPool, Flatten, ReLU, MaxPool1d, MaxPool2d}
    assert gradient.formula(ReLU) == "r_in = r_out * 1(x > 0)"
    assert gradient.formula(Conv2d) == gradient.formula(Conv1d) == "r_in = W^T r_out (transposed convolution)"
    assert gradient.formula(Dense) == "r_in = W^T r_out"
    assert all(gradient.formula(t) for t in gradient.cells)
    assert not gradient.needs_reference
    assert repr(gradient) == "Rule('gradient', 8 layer types)"


@given(case=model_cases(), seed=seeds())
def test_the_gradient_rule_is_the_default_rule(backend, case, seed):
    trace = case.model.trace(case.x, backend=backend)
    g = make_array(seed, trace.output.shape)
    np.testing.assert_array_equal(trace.backward(g, rule=gradient).input, trace.backward(g).input)
