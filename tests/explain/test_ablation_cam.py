"""Ablation-CAM (explain/ablation_cam.py): the score's drop without each feature map.

- A hand model (1x1 conv -> ReLU -> GAP -> dense) whose weights and maps are computed by hand,
  including a class with score exactly 0 (the documented guard: the undivided drop).
- Closed form: when only per-channel layers (max-pool) and one linear map (GAP -> dense, or
  Flatten -> dense) follow A, y_c - y_c^k = the linear map applied to channel k alone; for
  GAP -> dense that is w_ck mean(A^k). Hypothesis over random float64 models in 1-D and 2-D
  (``model_cases``, and ``gap_head_cases`` where A may be a conv output without ReLU), rtol 1e-10.
- Any conv layer, batch-size invariance and batch = rows (float64, 1e-12), every backend agrees
  with numpy, bad inputs; Captum's ``LayerFeatureAblation`` with one group per channel gives the
  same drops on the identical torch model (1e-10, float64).
"""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minixai.errors import NonFiniteError, NotApplicableError, ParameterError, UnknownNameError
from minixai.explain import ablation_cam
from minixai.explain._cam import resolve_layer, upsample
from minixai.models import mnist1d_cnn
from minixai.nn import Conv1d, Dense, Flatten, GlobalAvgPool, ReLU, Sequential
from tests.explain._cam_strategies import gap_head_cases
from tests.explain._gradient_family_strategies import dense, tiny_model
from tests.strategies import assert_agrees, model_cases


def hand_model() -> tuple:
    """(model, x): x = [1, 2, 3, 4]; A = [x, ReLU(5 - x)] = [[1, 2, 3, 4], [4, 3, 2, 1]]; means [2.5, 2.5].

    Dense rows [2, 1] and [1, -1], no bias: y = [7.5, 0].
    """
    conv = Conv1d(1, 2, 1)
    conv.weight = np.array([[[1.0]], [[-1.0]]])
    conv.bias = np.array([0.0, 5.0])
    model = Sequential([("conv", conv), ("relu", ReLU()), ("gap", GlobalAvgPool()), ("fc", dense([[2, 1], [1, -1]]))])
    return model, np.array([[[1.0, 2.0, 3.0, 4.0]]])


def test_ablation_cam_by_hand():
    model, x = hand_model()
    maps, weights = ablation_cam(model, x, 0, return_weights=True)
    # drops w_ck * mean(A^k) = [5, 2.5]; divided by y_0 = 7.5
    np.testing.assert_allclose(weights, [[2 / 3, 1 / 3]], rtol=1e-15)
    np.testing.assert_allclose(maps, [[[2, 7 / 3, 8 / 3, 3]]], rtol=1e-15)


def test_zero_score_keeps_the_undivided_drop():
    model, x = hand_model()
    maps, weights = ablation_cam(model, x, 1, return_weights=True)
    # y_1 = 0 exactly: drops [2.5, -2.5] are kept; map 2.5 ([1, 2, 3, 4] - [4, 3, 2, 1]) after ReLU
    np.testing.assert_array_equal(weights, [[2.5, -2.5]])
    np.testing.assert_array_equal(maps, [[[0, 0, 2.5, 7.5]]])


def closed_form_drop(model, x, target, captured):
    """y_c - y_c^k when per-channel layers then one Dense follow A: the Dense applied to channel k alone."""
    names = model.names
    fc = model.layers[names[-1]]
    G = model.forward(x, stop=names[-2])                       # the Dense's input: (N, K) or (N, K * P)
    if isinstance(model.layers[names[-2]], GlobalAvgPool):
        return fc.weight[target] * G                           # w_ck mean(A^k) (max-pools kept per channel)
    K = model.output_shape(x.shape, stop=captured)[1]
    per_channel = (fc.weight[target] * G).reshape(len(x), K, -1)
    return per_channel.sum(axis=2)


@given(st.one_of(model_cases(), gap_head_cases()))
def test_drop_equals_the_linear_head_closed_form(case):
    model, x = case.model, case.x
    captured = resolve_layer(model, None)
    logits = model(x)
    target = logits.argmax(axis=1)
    y = logits[np.arange(len(x)), target][:, None]
    assume(np.all(np.abs(y) > 1e-3))
    maps, weights = ablation_cam(model, x, relu=False, upsample=False, return_weights=True)
    expected = closed_form_drop(model, x, target, captured) / y
    np.testing.assert_allclose(weights, expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max())
    A = model.forward(x, stop=captured)
    np.testing.assert_allclose(maps[:, 0], (expected.reshape(expected.shape + (1,) * (A.ndim - 2)) * A).sum(axis=1),
                               rtol=1e-10, atol=1e-10 * max(1.0, np.abs(maps).max()))
    upsampled = ablation_cam(model, x)
    np.testing.assert_allclose(upsampled[:, 0], upsample(np.maximum(maps[:, 0], 0), x.shape[2:]), rtol=1e-12,
                               atol=1e-14)


@given(model_cases(), st.integers(1, 9))
def test_result_does_not_depend_on_batch_size_and_a_batch_equals_its_rows(case, batch_size):
    model, x = case.model, case.x
    target = model(x).argmax(axis=1)
    large = ablation_cam(model, x, target, batch_size=100)
    np.testing.assert_allclose(ablation_cam(model, x, target, batch_size=batch_size), large, rtol=1e-12, atol=1e-14)
    for i in range(len(x)):
        np.testing.assert_allclose(ablation_cam(model, x[i:i + 1], int(target[i])), large[i:i + 1], rtol=1e-12,
                                   atol=1e-14)


def test_any_conv_layer_can_be_ablated():
    model = mnist1d_cnn(seed=0).astype(np.float64)
    x = np.random.default_rng(1).normal(size=(2, 1, 40))
    for layer, size in (("conv1", 40), ("conv2", 20), ("conv3", 10)):
        maps, weights = ablation_cam(model, x, 3, layer=layer, upsample=False, return_weights=True)
        assert maps.shape == (2, 1, size) and weights.shape == (2, model.layers[layer].out_channels)
        captured = resolve_layer(model, layer)
        A = model.forward(x, stop=captured)
        y = model(x)[:, 3]
        k = int(np.argmax(A.sum(axis=2)[0]))
        A[:, k] = 0
        drop = y - model.forward(A, start=model.name_after(captured))[:, 3]
        np.testing.assert_allclose(weights[:, k], drop / y, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backends_agree_with_numpy(backend, dtype):
    model, x = tiny_model(dtype=dtype)
    expected = ablation_cam(model, x, batch_size=3, backend="numpy")
    assert_agrees(ablation_cam(model, x, batch_size=3, backend=backend), expected, "ablation_cam")


def test_matches_captum_layer_feature_ablation():
    torch = pytest.importorskip("torch")
    captum = pytest.importorskip("captum.attr")
    from minixai.interop import to_torch

    model = mnist1d_cnn(seed=2).astype(np.float64)
    x = np.random.default_rng(3).normal(size=(4, 1, 40))
    target = model(x).argmax(axis=1)
    net = to_torch(model)
    mask = torch.arange(64).reshape(1, 64, 1)                 # one group per channel of relu3
    drops = captum.LayerFeatureAblation(net, net.relu3).attribute(torch.from_numpy(x), target=torch.from_numpy(target),
                                                                 layer_mask=mask)
    _, weights = ablation_cam(model, x, target, return_weights=True)
    y = model(x)[np.arange(len(x)), target][:, None]
    np.testing.assert_allclose(weights * y, drops.numpy()[:, :, 0], rtol=1e-10, atol=1e-12)


def test_bad_input_raises_minixai_errors():
    model, x = tiny_model()
    with pytest.raises(UnknownNameError, match="layer"):
        ablation_cam(model, x, layer="conv9")
    with pytest.raises(UnknownNameError, match="layer.*conv1"):
        ablation_cam(model, x, layer="relu1")
    with pytest.raises(NonFiniteError, match="x:"):
        ablation_cam(model, np.full_like(x, np.inf))
    with pytest.raises(ParameterError, match="target"):
        ablation_cam(model, x, 3)
    with pytest.raises(ParameterError, match="batch_size"):
        ablation_cam(model, x, batch_size=0)
    dense_only = Sequential([("flatten", Flatten()), ("fc", Dense(12, 2))])
    with pytest.raises(NotApplicableError, match="conv"):
        ablation_cam(dense_only, x)
