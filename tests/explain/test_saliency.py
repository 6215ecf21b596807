"""Vanilla gradient saliency: M = |d y_c / d x| (signed: the gradient itself; channel_max: max over C)."""
import numpy as np
import pytest
from hypothesis import assume, given

from minixai.errors import NonFiniteError, ParameterError, ShapeError
from minixai.explain import saliency
from minixai.nn import Conv1d, GlobalAvgPool, Sequential
from tests.explain._gradient_family_strategies import HAND, dense, relu_dense_model, tiny_model
from tests.strategies import assert_agrees, assert_gradient_matches, model_cases, near_kink


def conv_gap_model(weight) -> Sequential:
    """Conv1d(C, 1, K) with the given weight, no bias -> GAP -> Dense(1, 2) = [[1], [-1]]."""
    weight = np.asarray(weight, dtype=np.float64)
    conv = Conv1d(weight.shape[1], 1, weight.shape[2], bias=False)
    conv.weight = weight
    return Sequential([("conv", conv), ("gap", GlobalAvgPool()), ("fc", dense([[1], [-1]]))])


@pytest.mark.parametrize("target", [0, 1])
def test_saliency_is_the_absolute_gradient_by_hand(target):
    model, x = relu_dense_model()
    np.testing.assert_array_equal(saliency(model, x, target), np.abs([HAND["gradient"][target]]))
    np.testing.assert_array_equal(saliency(model, x, target, signed=True), [HAND["gradient"][target]])


def test_saliency_of_a_convolution_is_its_transposed_filter_by_hand():
    # y_0 = mean(conv(x)) over L - 1 = 2 positions, filter [1, -1]: each position sends 1/2
    # back through the flipped filter, so d y_0 / d x = [1/2, -1/2 + 1/2, -1/2] = [0.5, 0, -0.5].
    model = conv_gap_model([[[1.0, -1.0]]])
    x = np.array([[[0.0, 1.0, 3.0]]])
    np.testing.assert_array_equal(saliency(model, x, 0, signed=True), [[[0.5, 0.0, -0.5]]])
    np.testing.assert_array_equal(saliency(model, x, 1), [[[0.5, 0.0, 0.5]]])


def test_channel_max_keeps_the_largest_magnitude_over_channels_with_its_sign():
    # A 1 x 1 convolution with weights 3 (channel 0) and -5 (channel 1), GAP over 2 positions:
    # the gradient is 3/2 on channel 0 and -5/2 on channel 1 everywhere.
    model = conv_gap_model([[[3.0], [-5.0]]])
    x = np.ones((1, 2, 2))
    np.testing.assert_array_equal(saliency(model, x, 0, channel_max=True), np.full((1, 1, 2), 2.5))
    np.testing.assert_array_equal(saliency(model, x, 0, signed=True, channel_max=True), np.full((1, 1, 2), -2.5))
    np.testing.assert_array_equal(saliency(model, x, 1, signed=True, channel_max=True), np.full((1, 1, 2), 2.5))


def test_target_none_explains_the_predicted_class_and_targets_go_per_row():
    model, x = relu_dense_model()  # logits [-2, 2]: class 1 predicted
    np.testing.assert_array_equal(saliency(model, x), saliency(model, x, 1))
    both = np.concatenate([x, x])
    per_row = saliency(model, both, target=[0, 1], signed=True)
    np.testing.assert_array_equal(per_row, [HAND["gradient"][0], HAND["gradient"][1]])
    np.testing.assert_array_equal(saliency(model, both, target=np.int64(0)), np.abs([HAND["gradient"][0]] * 2))


@given(case=model_cases())
def test_signed_saliency_is_the_finite_difference_gradient_of_the_class_score(case):
    trace = case.model.trace(case.x, backend="numpy")
    assume(not near_kink(trace))
    x, c = case.x[:1], int(trace.output[0].argmax())
    analytic = saliency(case.model, x, c, signed=True, backend="numpy")
    assert_gradient_matches(lambda v: float(case.model.forward(v, backend="numpy")[0, c]), x, analytic)


@given(case=model_cases())
def test_saliency_is_batch_invariant(case):
    # Exact on the numpy backend; BLAS in numba may round a row differently in another batch.
    whole = saliency(case.model, case.x, 0, channel_max=True, backend="numpy")
    rows = np.concatenate([saliency(case.model, case.x[i:i + 1], 0, channel_max=True, backend="numpy")
                           for i in range(len(case.x))])
    np.testing.assert_array_equal(whole, rows)
    np.testing.assert_array_equal(whole, saliency(case.model, case.x, 0, channel_max=True, batch_size=1, backend="numpy"))


@pytest.mark.parametrize("options", [{}, {"signed": True}, {"channel_max": True}])
def test_saliency_agrees_with_the_numpy_backend(backend, options):
    model, x = tiny_model(seed=1)
    assert_agrees(saliency(model, x, backend=backend, **options), saliency(model, x, backend="numpy", **options),
                  f"saliency {options}")


def test_bad_input_raises_minixai_errors_naming_the_argument():
    model, x = tiny_model()
    with pytest.raises(ParameterError, match=r"target: expected classes in \[0, 3\)"):
        saliency(model, x, target=3)
    with pytest.raises(ShapeError, match="target"):
        saliency(model, x, target=[0, 1, 2])
    with pytest.raises(ShapeError, match="x"):
        saliency(model, x[0])
    with pytest.raises(ShapeError):
        saliency(model, np.zeros((2, 2, 12), np.float32))
    bad = x.copy()
    bad[0, 0, 3] = np.nan
    with pytest.raises(NonFiniteError, match="x: expected finite values"):
        saliency(model, bad)
    with pytest.raises(ParameterError, match="batch_size"):
        saliency(model, x, batch_size=0)
