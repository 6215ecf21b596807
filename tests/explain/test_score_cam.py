"""Score-CAM (explain/score_cam.py): feature maps weighted by the scores of the masked inputs.

- A hand model (1x1 conv -> ReLU -> GAP -> dense) whose masks, masked scores, baseline score,
  weights and map are computed by hand (rtol 1e-14).
- Properties (hypothesis, random float64 models, 1-D and 2-D): the softmax weights are positive
  and sum to 1 (1e-12); the baseline score shifts the raw increases of confidence by y_c(0) and
  leaves the softmax weights unchanged (1e-12); masks are the upsampled maps scaled to [0, 1],
  a constant map giving a zero mask; constant maps are scored by the baseline's pass, not one of
  their own, and the weights equal those of scoring every mask (1e-12); the batch size and batching of rows do not change the map
  (1e-12); any conv layer can be explained.
- Every backend agrees with numpy; bad inputs raise minixai errors.
- ``benchmarks/cam_family.py``'s plain-PyTorch Score-CAM (the algorithm pytorch-grad-cam runs)
  gives the same maps on the identical torch model: 1e-10 relative, float64, 1-D and 2-D.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import NonFiniteError, ParameterError, UnknownNameError
from minixai.explain import score_cam
from minixai.explain._cam import resolve_layer, upsample
from minixai.explain.score_cam import masks
from minixai.models import mnist1d_cnn, vgg7
from minixai.nn import Conv1d, GlobalAvgPool, ReLU, Sequential
from tests.explain._gradient_family_strategies import dense, tiny_model
from tests.strategies import assert_agrees, make_array, model_cases


def hand_model() -> tuple:
    """(model, x): x = [1, 2, 3, 4]; A = [x, ReLU(5 - x)]; dense rows [2, 1] and [1, -1], no bias."""
    conv = Conv1d(1, 2, 1)
    conv.weight = np.array([[[1.0]], [[-1.0]]])
    conv.bias = np.array([0.0, 5.0])
    model = Sequential([("conv", conv), ("relu", ReLU()), ("gap", GlobalAvgPool()), ("fc", dense([[2, 1], [1, -1]]))])
    return model, np.array([[[1.0, 2.0, 3.0, 4.0]]])


def test_score_cam_by_hand():
    model, x = hand_model()
    # A = [[1, 2, 3, 4], [4, 3, 2, 1]]: masks M = [[0, 1/3, 2/3, 1], [1, 2/3, 1/3, 0]]
    expected = [[[0, 1 / 3, 2 / 3, 1], [1, 2 / 3, 1 / 3, 0]]]
    np.testing.assert_allclose(masks(model.forward(x, stop="relu"), (4,)), expected, rtol=1e-15)
    # x M^1 = [0, 2/3, 2, 4]: A means [5/3, 10/3], y_0 = 20/3; x M^2 = [1, 4/3, 1, 0]: means [5/6, 25/6],
    # y_0 = 35/6; zero input: A = [0, 5], y_0(0) = 5
    maps, raw = score_cam(model, x, 0, softmax=False, return_weights=True)
    np.testing.assert_allclose(raw, [[5 / 3, 5 / 6]], rtol=1e-14)
    np.testing.assert_allclose(maps, [[[5, 35 / 6, 20 / 3, 15 / 2]]], rtol=1e-14)
    _, scores = score_cam(model, x, 0, softmax=False, baseline_score=False, return_weights=True)
    np.testing.assert_allclose(scores, [[20 / 3, 35 / 6]], rtol=1e-14)
    maps, weights = score_cam(model, x, 0, return_weights=True)
    w1 = 1 / (1 + np.exp(-5 / 6))
    np.testing.assert_allclose(weights, [[w1, 1 - w1]], rtol=1e-14)
    np.testing.assert_allclose(maps, [[w1 * np.array([1, 2, 3, 4]) + (1 - w1) * np.array([4, 3, 2, 1])]], rtol=1e-14)


def test_constant_maps_take_the_baseline_score_without_a_pass_of_their_own():
    # The hand model with a third channel the ReLU silences everywhere (weight 0, bias -1), and a
    # fourth that is constant but not zero (weight 0, bias 2): both give the zero mask.
    model, x = hand_model()
    conv = model.layers["conv"]
    conv.weight = np.array([[[1.0]], [[-1.0]], [[0.0]], [[0.0]]])
    conv.bias = np.array([0.0, 5.0, -1.0, 2.0])
    conv.out_channels = 4
    model.layers["fc"] = dense([[2, 1, 3, -1], [1, -1, 0.5, 2]])
    x = np.concatenate([x, x[:, :, ::-1] * 0.5])
    seen = []
    forward = model.forward

    def counting_forward(inputs, **kwargs):
        seen.append(len(inputs))
        return forward(inputs, **kwargs)

    model.forward = counting_forward
    _, raw = score_cam(model, x, [0, 1], softmax=False, baseline_score=False, return_weights=True)
    model.forward = forward
    A = model.forward(x, stop="relu")
    M = masks(A, (4,))
    assert not M[:, 2:].any()
    expected = [[model.forward(x[i:i + 1] * M[i, k])[0, c] for k in range(4)] for i, c in enumerate([0, 1])]
    np.testing.assert_allclose(raw, expected, rtol=1e-12)
    # forward passes: the zero input, then one batch of the 2 x 2 varying maps (the maps come from a trace)
    assert seen == [1, 4]


@given(model_cases())
def test_score_cam_weights_are_positive_and_sum_to_one(case):
    _, weights = score_cam(case.model, case.x, return_weights=True)
    assert np.all(weights > 0)
    np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-12)


@given(model_cases())
def test_baseline_score_shifts_the_raw_scores_and_leaves_the_softmax_unchanged(case):
    model, x = case.model, case.x
    target = model(x).argmax(axis=1)
    baseline = model(np.zeros_like(x[:1]))[0, target][:, None]
    _, raw = score_cam(model, x, target, softmax=False, return_weights=True)
    _, scores = score_cam(model, x, target, softmax=False, baseline_score=False, return_weights=True)
    np.testing.assert_allclose(raw, scores - baseline, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(scores).max()))
    with_baseline, w = score_cam(model, x, target, return_weights=True)
    without, w0 = score_cam(model, x, target, baseline_score=False, return_weights=True)
    np.testing.assert_allclose(w, w0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(with_baseline, without, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(without).max()))


@given(st.sampled_from([((5,), (11,)), ((3, 4), (7, 9)), ((4, 4), (4, 4))]), st.integers(0, 2**32 - 1))
def test_masks_are_upsampled_maps_scaled_to_unit_range_and_constant_maps_give_zero(sizes, seed):
    size, out = sizes
    A = make_array(seed, (2, 3, *size))
    A[1, 2] = 0.7
    M = masks(A, out)
    up = upsample(A.reshape(6, *size), out).reshape(2, 3, *out)
    flat, m = up.reshape(6, -1)[:5], M.reshape(6, -1)
    expected = (flat - flat.min(1, keepdims=True)) / (flat.max(1, keepdims=True) - flat.min(1, keepdims=True))
    np.testing.assert_allclose(m[:5], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(m[5], 0)
    np.testing.assert_allclose(m[:5].min(1), 0, atol=1e-15)
    np.testing.assert_allclose(m[:5].max(1), 1, rtol=1e-15)


@given(model_cases(), st.integers(1, 9))
def test_result_does_not_depend_on_batch_size_and_a_batch_equals_its_rows(case, batch_size):
    model, x = case.model, case.x
    target = model(x).argmax(axis=1)
    large = score_cam(model, x, target, batch_size=100)
    np.testing.assert_allclose(score_cam(model, x, target, batch_size=batch_size), large, rtol=1e-12, atol=1e-14)
    for i in range(len(x)):
        np.testing.assert_allclose(score_cam(model, x[i:i + 1], int(target[i])), large[i:i + 1], rtol=1e-12,
                                   atol=1e-14)


def test_any_conv_layer_can_be_explained():
    model = mnist1d_cnn(seed=0).astype(np.float64)
    x = np.random.default_rng(1).normal(size=(2, 1, 40))
    for layer, size in (("conv1", 40), ("conv2", 20)):
        maps, weights = score_cam(model, x, 3, layer=layer, upsample=False, return_weights=True)
        assert maps.shape == (2, 1, size) and weights.shape == (2, model.layers[layer].out_channels)
        np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backends_agree_with_numpy(backend, dtype):
    model, x = tiny_model(dtype=dtype)
    expected = score_cam(model, x, batch_size=3, backend="numpy")
    assert_agrees(score_cam(model, x, batch_size=3, backend=backend), expected, "score_cam")


@pytest.mark.parametrize("dims", [1, 2])
def test_matches_a_plain_torch_score_cam(dims):
    torch = pytest.importorskip("torch")
    from benchmarks.cam_family import torch_score_cam
    from minixai.interop import to_torch

    rng = np.random.default_rng(dims)
    if dims == 1:
        model, x = mnist1d_cnn(seed=4).astype(np.float64), rng.normal(size=(3, 1, 40))
    else:
        model, x = vgg7(widths=(4, 4, 8), seed=4).astype(np.float64), rng.normal(size=(2, 3, 16, 16))
    target = model(x).argmax(axis=1)
    net = to_torch(model)
    theirs = torch_score_cam(net, getattr(net, resolve_layer(model, None)), torch.from_numpy(x),
                             torch.from_numpy(target)).numpy()
    ours = score_cam(model, x, target)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10 * np.abs(theirs).max())


def test_bad_input_raises_minixai_errors():
    model, x = tiny_model()
    with pytest.raises(UnknownNameError, match="layer"):
        score_cam(model, x, layer="fc")
    with pytest.raises(NonFiniteError, match="x:"):
        score_cam(model, np.full_like(x, np.nan))
    with pytest.raises(ParameterError, match="target"):
        score_cam(model, x, [0, 7])
    with pytest.raises(ParameterError, match="batch_size"):
        score_cam(model, x, batch_size=-1)
