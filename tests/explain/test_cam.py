"""CAM (explain/cam.py): M_c = sum_k w_k^c A^k for a conv [-> ReLU] -> GAP -> dense head.

- By hand on a two-channel model; summing the map over positions gives Z (y_c - b_c) (float64,
  hypothesis in 1-D and 2-D, rtol 1e-12); cam equals Grad-CAM times Z before the ReLU (that side
  of the equivalence is in test_cam_family_core.py) and HiResCAM times Z (test_hirescam.py).
- A Flatten between GAP and dense is allowed; any other head, an inner conv layer, and the VGG-7
  (max-pool before its GAP) raise NotApplicableError naming the head found.
- Batch invariance, backend agreement, bad input.
"""
import numpy as np
import pytest
from hypothesis import given

from minixai.errors import NotApplicableError, ParameterError, UnknownNameError
from minixai.explain import cam
from minixai.explain._cam import feature_maps
from minixai.models import mnist1d_cnn, vgg7
from minixai.nn import Conv1d, Dense, Flatten, GlobalAvgPool, ReLU, Sequential
from tests.explain._cam_strategies import gap_head_cases
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees


def two_channel_model(flatten: bool = False) -> tuple:
    """(model, x): identity 1x1 conv -> ReLU -> GAP [-> Flatten] -> Dense([[2, -1], [0, 1]], bias [0.5, 0]).

    A = ReLU(x) = [[1, 0, 3], [2, 4, 0]]; GAP = [4/3, 2]; y_0 = 8/3 - 2 + 1/2.
    """
    conv = Conv1d(2, 2, 1, bias=False)
    conv.weight = np.eye(2)[:, :, None]
    fc = Dense(2, 2)
    fc.weight, fc.bias = np.array([[2.0, -1.0], [0.0, 1.0]]), np.array([0.5, 0.0])
    layers = [("conv", conv), ("relu", ReLU()), ("gap", GlobalAvgPool())] + ([("flatten", Flatten())] if flatten else [])
    return Sequential(layers + [("fc", fc)]), np.array([[[1, -1, 3], [2, 4, -5]]], dtype=np.float64)


@pytest.mark.parametrize("flatten", [False, True])
def test_cam_is_the_dense_row_times_the_maps_by_hand(flatten):
    model, x = two_channel_model(flatten)
    # class 0: 2 [1, 0, 3] - [2, 4, 0] = [0, -4, 6]; class 1: [2, 4, 0]
    np.testing.assert_array_equal(cam(model, x, 0, relu=False, upsample=False), [[[0, -4, 6]]])
    np.testing.assert_array_equal(cam(model, x, 0, upsample=False), [[[0, 0, 6]]])
    np.testing.assert_array_equal(cam(model, x, 1, upsample=False), [[[2, 4, 0]]])
    # summed over the Z = 3 positions: 2 = 3 (y_0 - b_0) = 3 (8/3 - 2)
    y = model.forward(x)[0, 0]
    np.testing.assert_allclose(cam(model, x, 0, relu=False, upsample=False).sum(), 3 * (y - 0.5), rtol=1e-15)


@given(case=gap_head_cases())
def test_cam_summed_over_positions_is_z_times_score_minus_bias(case):
    maps = cam(case.model, case.x, None, layer=case.layer, relu=False, upsample=False)
    logits = case.model.forward(case.x)
    target = logits.argmax(1)
    fc = case.model.layers["fc"]
    Z = np.prod(maps.shape[2:])
    expected = Z * (logits[np.arange(len(target)), target] - fc.bias[target])
    A, _, _, _ = feature_maps(case.model, case.x, layer=case.layer, gradients=False)
    per_map = np.abs(A).sum(axis=tuple(range(2, A.ndim)))
    scale = Z * (np.abs(fc.weight).max() * per_map.max(initial=0) + np.abs(fc.bias).max())
    np.testing.assert_allclose(maps.reshape(len(maps), -1).sum(1), expected, rtol=1e-12, atol=1e-13 * scale)


@given(case=gap_head_cases())
def test_cam_is_batch_invariant(case):
    whole = cam(case.model, case.x, 0, layer=case.layer, backend="numpy")
    rows = np.concatenate([cam(case.model, case.x[i:i + 1], 0, layer=case.layer, backend="numpy")
                           for i in range(len(case.x))])
    np.testing.assert_array_equal(whole, rows)
    np.testing.assert_array_equal(whole, cam(case.model, case.x, 0, layer=case.layer, batch_size=1, backend="numpy"))


@pytest.mark.parametrize("options", [{}, {"relu": False, "upsample": False}])
def test_cam_agrees_with_the_numpy_backend(backend, options):
    model, x = tiny_model(seed=1)
    assert_agrees(cam(model, x, backend=backend, **options), cam(model, x, backend="numpy", **options), f"cam {options}")


def test_cam_needs_gap_then_dense_right_after_the_layer():
    with pytest.raises(NotApplicableError, match=r"GlobalAvgPool -> Dense.*relu3_2 -> pool3 \(MaxPool2d\) -> gap"):
        cam(vgg7(widths=(4, 4, 8)), np.zeros((1, 3, 16, 16), np.float32))
    with pytest.raises(NotApplicableError, match=r"this model has relu2 -> pool2 \(MaxPool1d\) -> conv3"):
        cam(mnist1d_cnn(), np.zeros((1, 1, 40), np.float32), layer="conv2")
    model, x = two_channel_model()
    deeper = Sequential(list(model.layers.items()) + [("relu_out", ReLU()), ("fc2", Dense(2, 2))])
    with pytest.raises(NotApplicableError, match="Grad-CAM"):
        cam(deeper, x)
    flat = Sequential([("conv", model.layers["conv"]), ("flatten", Flatten()), ("fc", Dense(6, 2))])
    with pytest.raises(NotApplicableError, match=r"this model has conv -> flatten \(Flatten\) -> fc \(Dense\)"):
        cam(flat, x)
    assert cam(mnist1d_cnn(), np.zeros((1, 1, 40), np.float32)).shape == (1, 1, 40)


def test_bad_input_raises_minixai_errors_naming_the_argument():
    model, x = tiny_model()
    with pytest.raises(UnknownNameError, match=r"expected one of the conv layers \['conv1', 'conv2'\]"):
        cam(model, x, layer="conv3")
    with pytest.raises(UnknownNameError, match="'gap' is a GlobalAvgPool layer, not a conv layer"):
        cam(model, x, layer="gap")
    with pytest.raises(ParameterError, match=r"target: expected classes in \[0, 3\)"):
        cam(model, x, target=-1)
