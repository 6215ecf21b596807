"""The CAM family's shared core (explain/_cam.py) and Grad-CAM (explain/gradcam.py).

- _cam: which layer holds A (a conv's ReLU when there is one), feature maps and their gradients
  in batches, linear/bilinear upsampling equal to ``torch.nn.functional.interpolate`` with
  ``align_corners=False`` (1e-12 in float64), errors naming the conv layers.
- gradcam: a hand case; before its ReLU it equals CAM / Z on conv -> GAP -> dense heads
  (rtol 1e-12, float64, hypothesis in 1-D and 2-D); Captum's ``LayerGradCam`` on the identical
  torch model, attributed to the ReLU after the last conv (relu_attributions=False, no upsampling): relative gap <= 1e-10 in float64 and 1e-5
  in float32, 1-D and 2-D.
- The gradient CAMs (gradcam, hirescam, xgradcam, layercam) alike: batch invariance (each row
  alone = the whole batch = batch_size=1, exactly), every backend agrees with numpy, bad input
  raises minixai errors naming the argument (the conv layers listed for an unknown layer).
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import NotApplicableError, ParameterError, ShapeError, UnknownNameError
from minixai.explain import cam, gradcam, hirescam, layercam, xgradcam
from minixai.explain._cam import (conv_layers, feature_maps, finish, interpolation_matrix, resolve_layer,
                                  spatial_mean, upsample, weighted_sum)
from minixai.models import mnist1d_cnn, vgg7
from minixai.nn import Dense, Flatten, ReLU, Sequential
from tests.explain._cam_strategies import HAND, gap_head_cases, pool_head_model
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees, model_cases

GRADIENT_CAMS = {"gradcam": gradcam, "hirescam": hirescam, "xgradcam": xgradcam, "layercam": layercam}


def test_resolve_layer_takes_the_relu_after_a_conv_and_the_last_conv_by_default():
    model = mnist1d_cnn()
    assert conv_layers(model) == ["conv1", "conv2", "conv3"]
    assert resolve_layer(model, None) == "relu3"
    assert resolve_layer(model, "conv1") == "relu1"
    model, _ = pool_head_model()
    assert resolve_layer(model, "conv") == "relu"
    bare = Sequential([(n, l) for n, l in pool_head_model()[0].layers.items() if n != "relu"])
    assert resolve_layer(bare, None) == "conv"


def test_feature_maps_are_the_layer_activation_and_its_gradient():
    model, x = pool_head_model()
    A, G, logits, target = feature_maps(model, x, 0)
    np.testing.assert_array_equal(A, x)
    np.testing.assert_array_equal(G, [[[0, 0.5, 0.5, 0], [-0.5, 0, 0, -0.5]]])
    np.testing.assert_array_equal(logits, [[1.0, 1.5]])
    np.testing.assert_array_equal(target, [0])
    A2, G2, _, target2 = feature_maps(model, x, gradients=False)
    assert G2 is None and target2[0] == 1
    np.testing.assert_array_equal(A2, A)


def test_weighted_sum_and_spatial_mean_by_hand():
    A = np.arange(12.0).reshape(1, 2, 2, 3)
    np.testing.assert_array_equal(spatial_mean(A), [[2.5, 8.5]])
    np.testing.assert_array_equal(weighted_sum(np.array([[1.0, -1.0]]), A), -6 * np.ones((1, 2, 3)))
    np.testing.assert_array_equal(weighted_sum(np.ones_like(A), A), A.sum(axis=1))


@given(size_in=st.integers(1, 12), size_out=st.integers(1, 30))
def test_interpolation_rows_are_convex_weights_and_same_size_is_the_identity(size_in, size_out):
    M = interpolation_matrix(size_in, size_out)
    assert M.min() >= 0
    np.testing.assert_allclose(M.sum(axis=1), 1, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(interpolation_matrix(size_in, size_in), np.eye(size_in))


@given(dims=st.sampled_from([1, 2]), data=st.data())
def test_upsample_equals_torch_interpolate_with_half_pixel_centres(dims, data):
    torch = pytest.importorskip("torch")
    size_in = tuple(data.draw(st.integers(1, 9)) for _ in range(dims))
    size_out = tuple(data.draw(st.integers(1, 24)) for _ in range(dims))
    maps = np.random.default_rng(data.draw(st.integers(0, 2**16))).normal(size=(2, *size_in))
    theirs = torch.nn.functional.interpolate(torch.tensor(maps)[:, None], size=size_out,
                                             mode="linear" if dims == 1 else "bilinear", align_corners=False)
    np.testing.assert_allclose(upsample(maps, size_out), theirs[:, 0].numpy(), rtol=0, atol=1e-12)


def test_finish_rectifies_upsamples_and_adds_the_channel_axis():
    raw = np.array([[-1.0, 2.0]])
    x = np.zeros((1, 3, 4), np.float32)
    out = finish(raw, x)
    assert out.shape == (1, 1, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out, [[[0, 0.5, 1.5, 2]]])
    np.testing.assert_array_equal(finish(raw, x, relu=False, upsample_to_input=False), [[[-1, 2]]])


def test_gradcam_by_hand_averages_the_gradient_over_positions():
    model, x = pool_head_model()
    np.testing.assert_array_equal(gradcam(model, x, 0, relu=False, upsample=False), [[HAND["gradcam"]]])
    np.testing.assert_array_equal(gradcam(model, x, 0, upsample=False), [[np.maximum(HAND["gradcam"], 0)]])


@given(case=gap_head_cases())
def test_gradcam_before_relu_equals_cam_over_z(case):
    mine = gradcam(case.model, case.x, 0, layer=case.layer, relu=False, upsample=False)
    reference = cam(case.model, case.x, 0, layer=case.layer, relu=False, upsample=False)
    Z = np.prod(reference.shape[2:])
    A, _, _, _ = feature_maps(case.model, case.x, 0, layer=case.layer, gradients=False)
    scale = (np.abs(case.model.layers["fc"].weight[0])[None, :, None] * np.abs(A.reshape(len(A), A.shape[1], -1))).max()
    np.testing.assert_allclose(mine, reference / Z, rtol=1e-12, atol=1e-13 * scale)


@pytest.mark.parametrize("name", sorted(GRADIENT_CAMS))
@given(case=model_cases(head="gap"))
def test_gradient_cams_are_batch_invariant(name, case):
    # The numpy backend: the numba one's convolutions go through BLAS, whose last bits may depend
    # on the batch size; the upsampling is elementwise, so rows come out alike on every backend.
    method = GRADIENT_CAMS[name]
    whole = method(case.model, case.x, 0, backend="numpy")
    rows = np.concatenate([method(case.model, case.x[i:i + 1], 0, backend="numpy") for i in range(len(case.x))])
    np.testing.assert_array_equal(whole, rows)
    np.testing.assert_array_equal(whole, method(case.model, case.x, 0, batch_size=1, backend="numpy"))


@given(n=st.integers(1, 5), data=st.data())
def test_upsample_is_the_interpolation_matrix_and_is_batch_invariant(n, data):
    size_in = tuple(data.draw(st.integers(1, 7)) for _ in range(2))
    size_out = tuple(data.draw(st.integers(1, 20)) for _ in range(2))
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    maps = np.random.default_rng(n).normal(size=(n, *size_in)).astype(dtype)
    out = upsample(maps, size_out)
    assert out.dtype == maps.dtype and out.shape == (n, *size_out)
    rows, cols = interpolation_matrix(size_in[0], size_out[0]), interpolation_matrix(size_in[1], size_out[1])
    single = dtype == np.float32
    np.testing.assert_allclose(out, rows @ maps.astype(np.float64) @ cols.T, rtol=1e-5 if single else 1e-12,
                               atol=1e-6 if single else 1e-14)
    np.testing.assert_array_equal(out, np.concatenate([upsample(maps[i:i + 1], size_out) for i in range(n)]))


@pytest.mark.parametrize("options", [{}, {"relu": False, "upsample": False}, {"layer": "conv1"}])
@pytest.mark.parametrize("name", sorted(GRADIENT_CAMS))
def test_gradient_cams_agree_with_the_numpy_backend(name, options, backend):
    model, x = tiny_model(seed=1)
    method = GRADIENT_CAMS[name]
    assert_agrees(method(model, x, backend=backend, **options), method(model, x, backend="numpy", **options),
                  f"{name} {options}")


CAPTUM_CASES = {
    "mnist1d_cnn-float64": (lambda: mnist1d_cnn(seed=1).astype(np.float64), (3, 1, 40), "relu3", 1e-10),
    "mnist1d_cnn-float32": (lambda: mnist1d_cnn(seed=2), (3, 1, 40), "relu3", 1e-5),
    "mnist1d_cnn-conv2-float32": (lambda: mnist1d_cnn(seed=3), (3, 1, 40), "relu2", 1e-5),
    "vgg7-float64": (lambda: vgg7(widths=(4, 8, 8), seed=1).astype(np.float64), (2, 3, 16, 16), "relu3_2", 1e-10),
    "vgg7-float32": (lambda: vgg7(widths=(4, 8, 8), seed=2), (2, 3, 16, 16), "relu3_2", 1e-5),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", sorted(CAPTUM_CASES))
def test_gradcam_agrees_with_captum_layer_gradcam(case):
    torch = pytest.importorskip("torch")
    captum_attr = pytest.importorskip("captum.attr")
    from minixai.interop import to_torch

    build, shape, relu_name, rtol = CAPTUM_CASES[case]
    model = build()
    dtype = model.layers["fc"].weight.dtype
    x = np.random.default_rng(0).normal(size=shape).astype(dtype)
    target = model.forward(x).argmax(1)
    net = to_torch(model)
    explainer = captum_attr.LayerGradCam(net, getattr(net, relu_name))
    theirs = explainer.attribute(torch.tensor(x), target=torch.tensor(target), relu_attributions=False)
    theirs = theirs.detach().numpy()
    conv = relu_name.replace("relu", "conv")
    mine = gradcam(model, x, layer=conv, relu=False, upsample=False)
    assert mine.shape == theirs.shape and mine.dtype == theirs.dtype
    gap = np.abs(mine - theirs).max() / np.abs(theirs).max()
    assert gap <= rtol, f"gradcam vs captum LayerGradCam on {case}: relative gap {gap:.2e}"


@pytest.mark.parametrize("name", sorted(GRADIENT_CAMS))
def test_bad_input_raises_minixai_errors_naming_the_argument(name):
    method = GRADIENT_CAMS[name]
    model, x = tiny_model()
    with pytest.raises(UnknownNameError,
                       match=r"layer: 'conv9' is unknown; expected one of the conv layers \['conv1', 'conv2'\]"):
        method(model, x, layer="conv9")
    with pytest.raises(UnknownNameError, match="'pool1' is a MaxPool1d layer, not a conv layer"):
        method(model, x, layer="pool1")
    with pytest.raises(ParameterError, match=r"target: expected classes in \[0, 3\)"):
        method(model, x, target=3)
    with pytest.raises(ShapeError, match="x"):
        method(model, x[0])
    with pytest.raises(ParameterError, match="batch_size"):
        method(model, x, batch_size=0)
    with pytest.raises(NotApplicableError, match="needs a conv layer"):
        method(Sequential([("fc", Dense(12, 2))]), np.zeros((1, 12)))
    with pytest.raises(NotApplicableError, match="is the model's output"):
        method(Sequential([("conv", tiny_model()[0].layers["conv1"]), ("relu", ReLU())]), x)
    flat = Sequential([("conv", tiny_model()[0].layers["conv1"]), ("flatten", Flatten()), ("fc", Dense(30, 2))])
    assert method(flat, x).shape == (2, 1, 12)
