"""Sequential: slices, the trace, and what Trace.backward's grad, at, inject and keep mean.

- A slice ``forward(x, start=, stop=)`` runs the named layers, both ends included, so the
  forward up to a layer followed by the forward from ``name_after`` it is the full forward.
- ``backward(g, at=name)`` starts at layer ``name``'s output: it equals the backward of the
  model cut at ``name``; ``inject={name: g}`` adds g to the signal there on the way down, so
  injecting alone equals starting there, and signals add; ``keep`` returns the signal at a
  layer's output, the gradient of the objective with respect to that output.
"""
import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from minixai.nn import Conv1d, Dense, GlobalAvgPool, MaxPool1d, ReLU, Sequential, Signals
from tests.strategies import assert_gradient_matches, make_array, model_cases, near_kink, seeds, views


def tiny_model(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential([("conv1", Conv1d(1, 3, 3, padding=1, rng=rng)), ("relu1", ReLU()), ("pool1", MaxPool1d(2)),
                       ("conv2", Conv1d(3, 2, 3, rng=rng)), ("relu2", ReLU()), ("gap", GlobalAvgPool()),
                       ("fc", Dense(2, 3, rng=rng))]).astype(np.float64)


def test_names_and_slices_include_both_ends():
    model = tiny_model()
    assert model.names == ["conv1", "relu1", "pool1", "conv2", "relu2", "gap", "fc"]
    assert model.slice_names("relu1", "conv2") == ["relu1", "pool1", "conv2"]
    assert model.slice_names(stop="relu1") == ["conv1", "relu1"]
    assert model.slice_names(start="gap") == ["gap", "fc"]
    assert model.slice_names("pool1", "pool1") == ["pool1"]


def test_name_after_gives_the_next_layer_and_none_after_the_last():
    model = tiny_model()
    assert model.name_after("conv1") == "relu1"
    assert model.name_after("gap") == "fc"
    assert model.name_after("fc") is None


@given(case=model_cases(), data=st.data())
def test_forward_of_a_slice_composes_to_the_full_forward(backend, case, data):
    model, x = case.model, case.x
    cut = data.draw(st.sampled_from(model.names[:-1]), label="cut after")
    inner = model.forward(x, stop=cut, backend=backend)
    np.testing.assert_array_equal(model.forward(inner, start=model.name_after(cut), backend=backend),
                                  model.forward(x, backend=backend))


@given(case=model_cases())
def test_trace_activations_equal_forwards_up_to_each_layer(backend, case):
    trace = case.model.trace(case.x, backend=backend)
    for name in case.model.names:
        np.testing.assert_array_equal(trace.activation(name), case.model.forward(case.x, stop=name, backend=backend))
    np.testing.assert_array_equal(trace.output, trace.activation(case.model.names[-1]))
    np.testing.assert_array_equal(trace.input, case.x)


def test_trace_of_a_slice_starts_at_start_and_its_gradient_has_the_slice_input_shape(backend):
    model, x = tiny_model(), make_array(0, (2, 1, 8))
    a = model.forward(x, stop="pool1", backend=backend)
    trace = model.trace(a, start="conv2", backend=backend)
    assert trace.names == ["conv2", "relu2", "gap", "fc"]
    signals = trace.backward(np.ones((2, 3)))
    assert signals.input.shape == a.shape == (2, 3, 4)
    np.testing.assert_array_equal(signals.input, model.trace(x, backend=backend).backward(
        np.ones((2, 3)), keep=["pool1"]).layers["pool1"])


@given(case=model_cases(), seed=seeds(), data=st.data())
def test_backward_at_an_inner_layer_equals_backward_of_the_model_cut_there(backend, case, seed, data):
    model, x = case.model, case.x
    at = data.draw(st.sampled_from(model.names), label="at")
    full, cut = model.trace(x, backend=backend), model.trace(x, stop=at, backend=backend)
    g = make_array(seed, cut.output.shape)
    np.testing.assert_array_equal(full.backward(g, at=at).input, cut.backward(g).input)


@given(case=model_cases(), seed=seeds(), data=st.data())
def test_injecting_at_an_inner_layer_equals_backward_from_that_layer(backend, case, seed, data):
    model, x = case.model, case.x
    name = data.draw(st.sampled_from(model.names), label="inject at")
    trace = model.trace(x, backend=backend)
    g = make_array(seed, trace.activation(name).shape)
    np.testing.assert_array_equal(trace.backward(inject={name: g}).input, trace.backward(g, at=name).input)


@given(case=model_cases(), seed=seeds(), data=st.data())
def test_injected_signals_add_to_the_signal_from_above(backend, case, seed, data):
    model, x = case.model, case.x
    trace = model.trace(x, backend=backend)
    inner = data.draw(st.sampled_from(model.names[:-1]), label="inject at")
    g_out = make_array(seed, trace.output.shape)
    g_in = make_array(seed + 1, trace.activation(inner).shape)
    both = trace.backward(g_out, inject={inner: g_in}, keep=[inner])
    np.testing.assert_allclose(both.input, trace.backward(g_out).input + trace.backward(g_in, at=inner).input,
                               rtol=1e-10, atol=1e-12)
    # keep reports the signal at the layer's output after the injection was added.
    np.testing.assert_allclose(both.layers[inner], trace.backward(g_out, keep=[inner]).layers[inner] + g_in,
                               rtol=1e-12, atol=1e-14)


@given(case=model_cases(), seed=seeds(), data=st.data())
def test_kept_signal_is_the_gradient_with_respect_to_that_layers_output(backend, case, seed, data):
    model, x = case.model, case.x
    trace = model.trace(x, backend=backend)
    name = data.draw(st.sampled_from(model.names[:-1]), label="keep")
    assume(not near_kink(model.trace(trace.activation(name), start=model.name_after(name), backend=backend)))
    g = make_array(seed, trace.output.shape)
    kept = trace.backward(g, keep=[name, model.names[-1]]).layers
    np.testing.assert_array_equal(kept[model.names[-1]], g)

    def objective(a):
        return float(np.sum(g * model.forward(a, start=model.name_after(name), backend=backend)))

    assert_gradient_matches(objective, trace.activation(name), kept[name], full=backend != "cuda")


@given(case=model_cases(), seed=seeds())
def test_backward_changes_neither_the_trace_nor_the_signal_nor_the_parameters(backend, case, seed):
    model, x = case.model, case.x
    state = model.state_dict()
    trace = model.trace(x, backend=backend)
    g = make_array(seed, trace.output.shape)
    g_before = g.copy()
    first = trace.backward(g, params=True, keep=model.names)
    second = trace.backward(g, params=True, keep=model.names)
    np.testing.assert_array_equal(g, g_before)
    np.testing.assert_array_equal(first.input, second.input)
    for key in first.params:
        np.testing.assert_array_equal(first.params[key], second.params[key])
    for name in model.names:
        np.testing.assert_array_equal(trace.activation(name), model.forward(x, stop=name, backend=backend))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[key])


def test_signals_are_host_arrays_and_params_only_when_asked(backend):
    model, x = tiny_model(), make_array(0, (2, 1, 8))
    trace = model.trace(x, backend=backend)
    assert isinstance(trace.output, np.ndarray) and isinstance(trace.activation("relu1"), np.ndarray)
    plain = trace.backward(np.ones((2, 3)))
    assert isinstance(plain, Signals) and isinstance(plain.input, np.ndarray)
    assert plain.params == {} and plain.layers == {}
    full = trace.backward(np.ones((2, 3)), params=True, keep=["relu1"])
    assert list(full.params) == ["fc.weight", "fc.bias", "conv2.weight", "conv2.bias", "conv1.weight", "conv1.bias"]
    assert all(isinstance(v, np.ndarray) for v in [*full.params.values(), *full.layers.values()])


@given(dtype=st.sampled_from([np.float32, np.float64, np.int64, np.float16]), seed=seeds())
def test_float64_inputs_compute_in_float64_and_everything_else_in_float32(backend, dtype, seed):
    model, x = tiny_model(seed), (make_array(seed, (1, 1, 6)) * 4).astype(dtype)
    expected = np.float64 if dtype == np.float64 else np.float32
    trace = model.trace(x, backend=backend)
    assert trace.output.dtype == expected
    signals = trace.backward(np.ones((1, 3)), params=True)
    assert signals.input.dtype == expected
    assert all(v.dtype == expected for v in signals.params.values())
    assert model.layers["conv1"].weight.dtype == np.float64  # the model itself is untouched


@given(case=model_cases(), seed=seeds(), data=st.data())
def test_non_contiguous_inputs_give_the_same_outputs_and_gradients(backend, case, seed, data):
    model, x = case.model, case.x
    view = data.draw(views(x), label="layout")
    g = make_array(seed, model.forward(x, backend="numpy").shape)
    expected = model.trace(x, backend=backend)
    actual = model.trace(view, backend=backend)
    np.testing.assert_array_equal(actual.output, expected.output)
    np.testing.assert_array_equal(actual.backward(g).input, expected.backward(g).input)


def test_predict_in_batches_equals_the_argmax_of_the_logits(backend):
    model, x = tiny_model(3), make_array(1, (7, 1, 8))
    np.testing.assert_array_equal(model.predict(x, batch_size=3, backend=backend),
                                  model.forward(x, backend=backend).argmax(axis=1))
    assert model.predict(x[:0], backend=backend).shape == (0,)


def test_model_call_is_forward():
    model, x = tiny_model(), make_array(0, (2, 1, 8))
    np.testing.assert_array_equal(model(x, backend="numpy"), model.forward(x, backend="numpy"))
    assert "conv1" in repr(model) and "Dense" in repr(model)


def test_state_dict_uses_pytorch_keys_and_copies():
    model = tiny_model()
    state = model.state_dict()
    assert list(state) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"]
    state["fc.bias"][...] = 123
    assert not np.any(model.layers["fc"].bias == 123)


def test_load_state_dict_copies_values_into_the_same_arrays():
    model, other = tiny_model(0), tiny_model(1)
    arrays = model.named_parameters()
    model.load_state_dict(other.state_dict())
    for key, value in model.named_parameters().items():
        assert value is arrays[key]  # optimisers holding these arrays keep working
        np.testing.assert_array_equal(value, other.state_dict()[key])


def test_astype_converts_every_parameter():
    model = tiny_model().astype(np.float32)
    assert all(v.dtype == np.float32 for v in model.state_dict().values())


@given(case=model_cases())
def test_an_empty_batch_gives_empty_logits_and_zero_parameter_gradients(backend, case):
    model, x = case.model, case.x[:0]
    trace = model.trace(x, backend=backend)
    assert trace.output.shape == (0, model.layers["fc"].out_features)
    signals = trace.backward(np.zeros(trace.output.shape), params=True)
    assert signals.input.shape == x.shape
    for key, value in model.named_parameters().items():
        np.testing.assert_array_equal(signals.params[key], np.zeros_like(value))
