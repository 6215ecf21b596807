"""Layers on hand-computable cases (every backend), shapes, parameters and configs.

The hand cases use small integers, so every backend must reproduce them exactly in float64.
"""
import numpy as np
import pytest
from hypothesis import given

from minixai.nn import (Conv1d, Conv2d, Dense, Flatten, GlobalAvgPool, MaxPool1d, MaxPool2d, ReLU,
                        Sequential)
from tests.strategies import conv_cases, image_shapes, make_array, pool_cases, seeds


def run_layer(layer, x, backend, g=None, params=False):
    """(output, Signals or None) of a one-layer model in float64."""
    model = Sequential([("layer", layer)]).astype(np.float64)
    trace = model.trace(np.asarray(x, dtype=np.float64), backend=backend)
    return trace.output, (None if g is None else trace.backward(np.asarray(g, dtype=np.float64), params=params))


def test_1x1_conv_mixes_channels_by_its_weights(backend):
    conv = Conv2d(2, 3, 1)
    conv.weight[...] = np.array([[1, 0], [0, 1], [2, -1]], dtype=np.float32)[:, :, None, None]
    conv.bias[...] = [0, 10, 100]
    x = np.array([[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]])  # (1, 2, 2, 2)
    y, _ = run_layer(conv, x, backend)
    np.testing.assert_array_equal(y[0, 0], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(y[0, 1], [[15, 16], [17, 18]])
    np.testing.assert_array_equal(y[0, 2], [[97, 98], [99, 100]])


def test_conv1d_with_stride_and_padding_matches_hand_computation(backend):
    # x = [1, 2, 3, 4, 5] padded to [0, 1, 2, 3, 4, 5, 0]; kernel [1, 0, -1], stride 2:
    # windows [0,1,2], [2,3,4], [4,5,0] -> -2, -2, 4, plus bias 0.5.
    conv = Conv1d(1, 1, 3, stride=2, padding=1)
    conv.weight[...] = [[[1, 0, -1]]]
    conv.bias[...] = 0.5
    y, signals = run_layer(conv, [[[1, 2, 3, 4, 5]]], backend, g=[[[1, 2, 3]]], params=True)
    np.testing.assert_array_equal(y, [[[-1.5, -1.5, 4.5]]])
    # Transposed conv: padded dx = 1*[1,0,-1] at 0 + 2*[1,0,-1] at 2 + 3*[1,0,-1] at 4
    # = [1, 0, 1, 0, 1, 0, -3]; without the padding [0, 1, 0, 1, 0].
    np.testing.assert_array_equal(signals.input, [[[0, 1, 0, 1, 0]]])
    # dw[p] = sum_i g[i] * xpad[2 i + p]: [0*1 + 2*2 + 4*3, 1 + 3*2 + 5*3, 2 + 4*2 + 0] = [16, 22, 10].
    np.testing.assert_array_equal(signals.params["layer.weight"], [[[16, 22, 10]]])
    np.testing.assert_array_equal(signals.params["layer.bias"], [6])


def test_conv2d_with_rectangular_kernel_and_stride_matches_hand_computation(backend):
    # A 1x2 kernel [1, 1] with stride (2, 1) adds horizontal neighbours on rows 0 and 2.
    conv = Conv2d(1, 1, (1, 2), stride=(2, 1), bias=False)
    conv.weight[...] = 1
    x = np.arange(12).reshape(1, 1, 3, 4)  # rows [0..3], [4..7], [8..11]
    y, signals = run_layer(conv, x, backend, g=np.ones((1, 1, 2, 3)), params=True)
    np.testing.assert_array_equal(y[0, 0], [[1, 3, 5], [17, 19, 21]])
    np.testing.assert_array_equal(signals.input[0, 0], [[1, 2, 2, 1], [0, 0, 0, 0], [1, 2, 2, 1]])
    np.testing.assert_array_equal(signals.params["layer.weight"], [[[[0 + 1 + 2 + 8 + 9 + 10, 1 + 2 + 3 + 9 + 10 + 11]]]])
    assert list(signals.params) == ["layer.weight"]


def test_relu_keeps_positives_and_passes_signal_only_where_input_was_positive(backend):
    y, signals = run_layer(ReLU(), [[-1.0, 0.0, 2.0]], backend, g=[[5.0, 5.0, 5.0]])
    np.testing.assert_array_equal(y, [[0, 0, 2]])
    np.testing.assert_array_equal(signals.input, [[0, 0, 5]])


def test_overlapping_maxpool1d_sends_signals_of_shared_windows_to_their_common_winner(backend):
    # kernel 3, stride 2 on [1, 2, 5, 3, 0, 4, 1]: windows [1,2,5], [5,3,0], [0,4,1] -> 5, 5, 4,
    # won at 2, 2 and 5; the signals 1 and 10 of the first two windows meet at index 2.
    y, signals = run_layer(MaxPool1d(3, 2), [[[1, 2, 5, 3, 0, 4, 1]]], backend, g=[[[1, 10, 100]]])
    np.testing.assert_array_equal(y, [[[5, 5, 4]]])
    np.testing.assert_array_equal(signals.input, [[[0, 0, 11, 0, 0, 100, 0]]])


def test_maxpool1d_ties_send_the_signal_to_the_first_maximum(backend):
    # kernel 2, stride 1 on [1, 1, 0, 2, 2]: windows [1,1] [1,0] [0,2] [2,2] are won at 0, 1, 3, 3.
    y, signals = run_layer(MaxPool1d(2, 1), [[[1, 1, 0, 2, 2]]], backend, g=[[[1, 10, 100, 1000]]])
    np.testing.assert_array_equal(y, [[[1, 1, 2, 2]]])
    np.testing.assert_array_equal(signals.input, [[[1, 10, 0, 1100, 0]]])


def test_maxpool2d_takes_each_window_maximum_and_routes_the_signal_to_it(backend):
    x = np.array([[1, 9, 2, 3], [4, 0, 8, 1], [7, 5, 0, 2], [1, 1, 3, 6]])[None, None]
    y, signals = run_layer(MaxPool2d(2), x, backend, g=[[[[1, 2], [3, 4]]]])
    np.testing.assert_array_equal(y[0, 0], [[9, 8], [7, 6]])
    np.testing.assert_array_equal(signals.input[0, 0], [[0, 1, 0, 0], [0, 0, 2, 0], [3, 0, 0, 0], [0, 0, 0, 4]])


def test_global_avg_pool_averages_each_channel_and_shares_the_signal(backend):
    x = np.array([[[[1, 2], [3, 6]], [[0, 0], [0, 8]]]])  # means 3 and 2
    y, signals = run_layer(GlobalAvgPool(), x, backend, g=[[4, 8]])
    np.testing.assert_array_equal(y, [[3, 2]])
    np.testing.assert_array_equal(signals.input, [[np.full((2, 2), 1.0), np.full((2, 2), 2.0)]])
    y1, _ = run_layer(GlobalAvgPool(), [[[1, 2, 6], [3, 3, 3]]], backend)
    np.testing.assert_array_equal(y1, [[3, 3]])


def test_flatten_keeps_c_order_and_its_backward_restores_the_shape(backend):
    x = np.arange(24).reshape(2, 3, 2, 2)
    y, signals = run_layer(Flatten(), x, backend, g=np.arange(24).reshape(2, 12) * 10)
    np.testing.assert_array_equal(y, x.reshape(2, 12))
    np.testing.assert_array_equal(signals.input, x * 10)


def test_dense_computes_x_times_w_transposed_plus_bias(backend):
    dense = Dense(3, 2)
    dense.weight[...] = [[1, 2, 3], [0, -1, 1]]
    dense.bias[...] = [10, 20]
    y, signals = run_layer(dense, [[1, 1, 1], [1, 0, 2]], backend, g=[[1, 0], [0, 1]], params=True)
    np.testing.assert_array_equal(y, [[16, 20], [17, 22]])
    np.testing.assert_array_equal(signals.input, [[1, 2, 3], [0, -1, 1]])
    np.testing.assert_array_equal(signals.params["layer.weight"], [[1, 1, 1], [1, 0, 2]])
    np.testing.assert_array_equal(signals.params["layer.bias"], [1, 1])


@given(case=conv_cases(), seed=seeds())
def test_conv_output_shape_follows_the_output_size_formula(case, seed):
    layer = case.layer(rng=seed)
    expected = (case.n, case.out_channels,
                *((s + 2 * p - k) // st + 1 for s, k, st, p in zip(case.size, case.kernel, case.stride, case.padding)))
    assert layer.output_shape(case.x_shape) == expected
    y, _ = run_layer(layer, make_array(seed, case.x_shape), "numpy")
    assert y.shape == expected


@given(case=pool_cases(), seed=seeds())
def test_maxpool_output_shape_follows_the_output_size_formula(case, seed):
    layer = case.layer()
    expected = (case.n, case.channels, *((s - k) // st + 1 for s, k, st in zip(case.size, case.kernel, case.stride)))
    assert layer.output_shape(case.x_shape) == expected
    y, _ = run_layer(layer, make_array(seed, case.x_shape), "numpy")
    assert y.shape == expected


@given(shape=image_shapes())
def test_shape_only_layers_report_their_output_shapes(shape):
    assert ReLU().output_shape(shape) == shape
    assert GlobalAvgPool().output_shape(shape) == shape[:2]
    assert Flatten().output_shape(shape) == (shape[0], int(np.prod(shape[1:])))


def test_parameters_have_pytorch_layouts():
    assert Conv1d(2, 5, 3).weight.shape == (5, 2, 3)
    assert Conv2d(2, 5, (3, 4)).weight.shape == (5, 2, 3, 4)
    assert Conv2d(2, 5, 3).bias.shape == (5,)
    assert Dense(7, 4).weight.shape == (4, 7)
    for layer in (Conv1d(2, 5, 3), Conv2d(2, 5, 3), Dense(7, 4)):
        assert layer.param_names == ("weight", "bias")
        assert layer.weight.dtype == np.float32


@pytest.mark.parametrize("layer", [Conv1d(2, 5, 3, bias=False), Conv2d(2, 5, 3, bias=False), Dense(7, 4, bias=False)],
                         ids=["Conv1d", "Conv2d", "Dense"])
def test_layers_without_bias_have_only_a_weight(layer):
    assert layer.bias is None
    assert layer.param_names == ("weight",)
    assert list(Sequential([("l", layer)]).state_dict()) == ["l.weight"]


@pytest.mark.parametrize("make, fan_in", [(lambda rng: Conv1d(3, 4, 5, rng=rng), 3 * 5),
                                          (lambda rng: Conv2d(3, 4, (2, 5), rng=rng), 3 * 2 * 5),
                                          (lambda rng: Dense(15, 4, rng=rng), 15)], ids=["Conv1d", "Conv2d", "Dense"])
def test_initial_weights_are_uniform_within_one_over_root_fan_in_and_seeded(make, fan_in):
    a, b, c = make(0), make(0), make(1)
    bound = 1 / np.sqrt(fan_in)
    assert np.abs(a.weight).max() <= bound and np.abs(a.bias).max() <= bound
    assert np.abs(a.weight).max() > bound / 2  # spread over the range, not all near zero
    np.testing.assert_array_equal(a.weight, b.weight)
    assert not np.array_equal(a.weight, c.weight)


@pytest.mark.parametrize("layer", [Conv1d(1, 2, 3, 2, 1), Conv2d(2, 3, (1, 3), (2, 1), (0, 1), bias=False),
                                   ReLU(), MaxPool1d(3, 2), MaxPool2d((2, 3), (1, 2)), GlobalAvgPool(),
                                   Flatten(), Dense(4, 2, bias=False)], ids=lambda layer: type(layer).__name__)
def test_config_rebuilds_an_equivalent_layer(layer):
    rebuilt = type(layer)(**{k: tuple(v) if isinstance(v, list) else v for k, v in layer.config().items()})
    assert rebuilt.config() == layer.config()
    assert repr(rebuilt) == repr(layer)
    assert type(layer).__name__ in repr(layer)


def test_maxpool_stride_defaults_to_the_kernel_size():
    assert MaxPool2d(3).stride == (3, 3)
    assert MaxPool1d(2).config() == {"kernel_size": 2, "stride": 2}
