"""Every bad input raises minixai's own error, and the message names the argument at fault."""
import numpy as np
import pytest

import minixai
from minixai import backends
from minixai.errors import (MinixaiError, NonFiniteError, ParameterError, ShapeError, StateDictError,
                            UnknownNameError)
from minixai.models import mnist1d_cnn, vgg7
from minixai.nn import (SGD, Adam, Conv1d, Conv2d, Dense, Flatten, GlobalAvgPool, MaxPool1d, MaxPool2d, ReLU,
                        Sequential, fit, softmax_cross_entropy)


@pytest.fixture(scope="module")
def model():
    return mnist1d_cnn(seed=0)


X = np.zeros((2, 1, 40), dtype=np.float32)
NAMES = "conv1, relu1, pool1, conv2, relu2, pool2, conv3, relu3, gap, fc"


def test_errors_are_minixai_errors_and_the_builtin_a_user_would_catch():
    assert issubclass(ShapeError, MinixaiError) and issubclass(ShapeError, ValueError)
    assert issubclass(minixai.errors.NotApplicableError, TypeError)


@pytest.mark.parametrize("x, match", [
    (np.zeros(40), r"conv1: input x: expected 3 dimensions \(N, C, L\), got shape \(40,\)"),
    (np.zeros((1, 40)), r"conv1: input x: expected 3 dimensions \(N, C, L\), got shape \(1, 40\)"),
    (np.zeros((1, 1, 1, 40)), r"conv1: input x: expected 3 dimensions"),
    (np.zeros((2, 3, 40)), r"conv1: input x: expected 1 channels, got 3"),
    (np.zeros((2, 1, 0)), r"conv1: kernel_size 5 is larger than the padded input \(0 \+ 2 \* 2 = 4\)"),
    ([[["a"]]], r"x: expected an array of numbers"),
    ([[[1.0, 2.0], [3.0]]], r"x: expected an array of numbers"),
], ids=["rank1", "rank2", "rank4", "channels", "too-short", "strings", "ragged"])
def test_a_badly_shaped_input_raises_shape_error_naming_layer_and_x(model, x, match):
    with pytest.raises(ShapeError, match=match):
        model.forward(x, backend="numpy")


def test_a_2d_model_checks_rank_and_channels():
    model = vgg7(widths=(2, 2, 2))
    with pytest.raises(ShapeError, match=r"conv1_1: input x: expected 4 dimensions \(N, C, H, W\), got shape \(1, 3, 8\)"):
        model.forward(np.zeros((1, 3, 8)), backend="numpy")
    with pytest.raises(ShapeError, match="conv1_1: input x: expected 3 channels, got 1"):
        model.forward(np.zeros((1, 1, 8, 8)), backend="numpy")


def test_a_kernel_larger_than_the_padded_input_raises_shape_error():
    conv = Sequential([("conv", Conv2d(1, 1, (3, 5), padding=(0, 1)))])
    with pytest.raises(ShapeError, match=r"conv: kernel_size 5 is larger than the padded input \(2 \+ 2 \* 1 = 4\)"):
        conv.forward(np.zeros((1, 1, 3, 2)), backend="numpy")
    pool = Sequential([("pool", MaxPool1d(4))])
    with pytest.raises(ShapeError, match=r"pool: kernel_size 4 is larger than the input \(3\)"):
        pool.forward(np.zeros((1, 1, 3)), backend="numpy")


def test_a_shape_error_deep_in_the_model_names_that_layer():
    model = Sequential([("conv", Conv1d(1, 2, 3)), ("flat", Flatten()), ("fc", Dense(10, 2))])
    with pytest.raises(ShapeError, match=r"fc: input x: expected 10 features, got 12"):
        model.forward(np.zeros((1, 1, 8)), backend="numpy")
    with pytest.raises(ShapeError, match=r"gap: input x: expected 3 dimensions \(N, C, L\) or 4"):
        Sequential([("gap", GlobalAvgPool())]).forward(np.zeros((2, 3)), backend="numpy")
    with pytest.raises(ShapeError, match=r"flat: input x: expected at least 2 dimensions"):
        Sequential([("flat", Flatten())]).forward(np.zeros(3), backend="numpy")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_the_input_raises_non_finite_error(model, bad):
    x = X.copy()
    x[1, 0, 7] = bad
    with pytest.raises(NonFiniteError, match=r"x: expected finite values, got 1 NaN or inf entries"):
        model.forward(x, backend="numpy")
    with pytest.raises(NonFiniteError, match="x: expected finite values"):
        model.predict(x, backend="numpy")


def test_nan_in_a_signal_raises_non_finite_error(model):
    trace = model.trace(X, backend="numpy")
    with pytest.raises(NonFiniteError, match="grad: expected finite values"):
        trace.backward(np.full((2, 10), np.nan))
    with pytest.raises(NonFiniteError, match=r"inject\['relu3'\]: expected finite values"):
        trace.backward(inject={"relu3": np.full(trace.activation("relu3").shape, np.inf)})


def test_a_grad_of_the_wrong_shape_raises_shape_error(model):
    trace = model.trace(X, backend="numpy")
    with pytest.raises(ShapeError, match=r"grad: expected the shape of layer 'fc''s output \(2, 10\), got \(2, 9\)"):
        trace.backward(np.ones((2, 9)))
    with pytest.raises(ShapeError, match=r"grad: expected the shape of layer 'relu3''s output \(2, 64, 10\)"):
        trace.backward(np.ones((2, 10)), at="relu3")
    with pytest.raises(ShapeError, match=r"inject\['pool1'\]: expected the shape of layer 'pool1''s output"):
        trace.backward(np.ones((2, 10)), inject={"pool1": np.ones((2, 32))})


@pytest.mark.parametrize("call", [
    lambda m: m.forward(X, start="conv9", backend="numpy"),
    lambda m: m.forward(X, stop="fc2", backend="numpy"),
    lambda m: m.trace(X, backend="numpy").activation("relu"),
    lambda m: m.trace(X, backend="numpy").backward(np.ones((2, 10)), at="logits"),
    lambda m: m.trace(X, backend="numpy").backward(np.ones((2, 10)), keep=["conv1", "dense"]),
    lambda m: m.trace(X, backend="numpy").backward(inject={"Conv1": np.ones((2, 32, 40))}),
    lambda m: m.name_after("softmax"),
], ids=["start", "stop", "activation", "at", "keep", "inject", "name_after"])
def test_an_unknown_layer_name_raises_unknown_name_error_listing_the_valid_names(model, call):
    with pytest.raises(UnknownNameError, match=f"layer: unknown name '\\w+'; valid names are {NAMES}"):
        call(model)


def test_a_layer_outside_a_traced_slice_is_unknown_to_that_trace(model):
    trace = model.trace(np.zeros((1, 64, 10)), start="conv3", backend="numpy")
    with pytest.raises(UnknownNameError, match="valid names are conv3, relu3, gap, fc"):
        trace.backward(np.ones((1, 10)), keep=["conv1"])


def test_backward_refuses_to_ignore_signals_or_keeps_above_its_start(model):
    trace = model.trace(X, backend="numpy")
    with pytest.raises(ParameterError, match=r"inject: layers \['fc'\] come after at='relu3'"):
        trace.backward(np.ones((2, 64, 10)), at="relu3", inject={"fc": np.ones((2, 10))})
    with pytest.raises(ParameterError, match=r"keep: layers \['gap'\] come after at='conv3'"):
        trace.backward(np.ones((2, 64, 10)), at="conv3", keep=["gap"])
    with pytest.raises(ParameterError, match="give grad"):
        trace.backward()


def test_a_slice_that_ends_before_it_starts_raises_parameter_error(model):
    with pytest.raises(ParameterError, match="stop: layer 'conv1' comes before start 'conv2'"):
        model.forward(X, start="conv2", stop="conv1", backend="numpy")


def test_an_unknown_backend_raises_unknown_name_error_listing_the_backends(model):
    with pytest.raises(UnknownNameError, match="backend: unknown name 'tpu'; valid names are numpy, numba, cuda"):
        minixai.use("tpu")
    with pytest.raises(UnknownNameError, match="backend: unknown name 'Numpy'"):
        model.forward(X, backend="Numpy")
    with pytest.raises(UnknownNameError, match="backend: unknown name 'gpu'"):
        with backends.using("gpu"):
            pass


@pytest.mark.parametrize("make, match", [
    (lambda: Conv1d(1, 2, 0), r"kernel_size: expected an integer >= 1, got 0"),
    (lambda: Conv1d(1, 2, 3, padding=-1), r"padding: expected an integer >= 0, got -1"),
    (lambda: Conv1d(1, 2, 3, stride=0), r"stride: expected an integer >= 1, got 0"),
    (lambda: Conv1d(0, 2, 3), r"in_channels: expected an integer >= 1, got 0"),
    (lambda: Conv1d(1, 2, 2.5), r"kernel_size: expected an integer >= 1, got 2.5"),
    (lambda: Conv1d(1, True, 3), r"out_channels: expected an integer >= 1, got True"),
    (lambda: Conv2d(1, 2, (3, 0)), r"kernel_size: expected an integer >= 1, got 0"),
    (lambda: Conv2d(1, 2, (3, 3, 3)), r"kernel_size: expected an int or a pair of ints, got \(3, 3, 3\)"),
    (lambda: Conv2d(1, 2, 3, padding=(0, -2)), r"padding: expected an integer >= 0, got -2"),
    (lambda: Conv2d(1, 2, 3, stride="2"), r"stride: expected an integer >= 1, got '2'"),
    (lambda: MaxPool1d(0), r"kernel_size: expected an integer >= 1, got 0"),
    (lambda: MaxPool1d(2, stride=-1), r"stride: expected an integer >= 1, got -1"),
    (lambda: MaxPool2d((2, 0)), r"kernel_size: expected an integer >= 1, got 0"),
    (lambda: Dense(0, 3), r"in_features: expected an integer >= 1, got 0"),
    (lambda: Dense(3, -1), r"out_features: expected an integer >= 1, got -1"),
], ids=lambda v: None if callable(v) else v.split(":")[0])
def test_bad_hyper_parameters_raise_parameter_error_naming_them(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


@pytest.mark.parametrize("layers, match", [
    ([], "layers: expected at least one layer"),
    ([("a", ReLU()), ("a", ReLU())], "names must be unique"),
    ([("a.b", ReLU())], "without '.'"),
    ([("", ReLU())], "non-empty"),
    ([ReLU()], r"layers: expected \(name, layer\) pairs"),
    ([("a", "relu")], r"layers: expected \(name, layer\) pairs"),
], ids=["empty", "duplicate", "dot", "blank", "unnamed", "not-a-layer"])
def test_bad_layer_lists_raise_parameter_error(layers, match):
    with pytest.raises(ParameterError, match=match):
        Sequential(layers)


def test_a_state_dict_with_wrong_keys_or_shapes_raises_state_dict_error(model):
    state = model.state_dict()
    missing = {k: v for k, v in state.items() if k != "fc.bias"}
    with pytest.raises(StateDictError, match=r"state_dict: missing keys \['fc.bias'\], unexpected keys \[\]"):
        model.load_state_dict(missing)
    with pytest.raises(StateDictError, match=r"unexpected keys \['fc.scale'\]"):
        model.load_state_dict({**state, "fc.scale": np.ones(10)})
    with pytest.raises(StateDictError, match=r"state_dict\['conv2.weight'\]: expected shape \(64, 32, 3\), got \(64, 32, 5\)"):
        model.load_state_dict({**state, "conv2.weight": np.zeros((64, 32, 5))})
    np.testing.assert_array_equal(model.state_dict()["conv2.weight"], state["conv2.weight"])  # unchanged


def test_bad_labels_raise_shape_error():
    with pytest.raises(ShapeError, match=r"labels: expected shape \(2,\) for logits of shape \(2, 3\), got \(3,\)"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ShapeError, match=r"labels: expected integers in \[0, 3\), got range \[0, 3\]"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ShapeError, match=r"labels: expected integers in \[0, 3\), got range \[-1, 0\]"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([-1, 0]))
    with pytest.raises(ShapeError, match="labels: expected integer class indices, got dtype float64"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_bad_training_arguments_raise_minixai_errors():
    model = Sequential([("fc", Dense(2, 2))])
    x, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ParameterError, match="lr: expected a positive learning rate, got 0"):
        SGD(model, lr=0)
    with pytest.raises(ParameterError, match="lr: expected a positive learning rate, got -0.1"):
        Adam(model, lr=-0.1)
    with pytest.raises(StateDictError, match=r"grads: missing gradients for \['fc.bias'\]"):
        SGD(model).step({"fc.weight": np.zeros((2, 2))})
    with pytest.raises(ParameterError, match="epochs: expected an integer >= 1, got 0"):
        fit(model, x, y, epochs=0, progress=False)
    with pytest.raises(ParameterError, match="batch_size: expected an integer >= 1, got 0"):
        fit(model, x, y, batch_size=0, progress=False)
    with pytest.raises(ShapeError, match=r"y: expected 4 integer labels, got shape \(3,\)"):
        fit(model, x, y[:3], progress=False)
    with pytest.raises(ShapeError, match="y: expected 4 integer labels, got shape .* dtype float64"):
        fit(model, x, y.astype(float), progress=False)
    with pytest.raises(ParameterError, match="x: expected at least one training example, got 0"):
        fit(model, x[:0], y[:0], progress=False)
    with pytest.raises(NonFiniteError, match="x: expected finite values"):
        fit(model, np.full((4, 2), np.nan), y, progress=False)
