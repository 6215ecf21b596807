"""Guided Grad-CAM (explain/guided_gradcam.py).

- It is guided backprop times the upsampled Grad-CAM map, exactly, with x's shape (N, C, ...).
- By hand on pool_head_model.
- Captum's ``GuidedGradCam`` on the identical torch model: its layer Grad-CAM before upsampling
  (``LayerGradCam``, relu_attributions=True) equals ``gradcam(upsample=False)``, and with
  ``interpolate_mode="linear"`` (1-D) / ``"bilinear"`` (2-D), Captum's upsampling being torch's
  ``interpolate(align_corners=False)`` like ours, the products agree: relative gap <= 1e-10 in
  float64, 1e-5 in float32. Captum's default, nearest-neighbour upsampling, gives a different map
  (blockier); that gap is only printed.
- Batch invariance, every backend agrees with numpy, bad input.
"""
import numpy as np
import pytest
from hypothesis import given

from minixai.errors import NonFiniteError, ParameterError, ShapeError, UnknownNameError
from minixai.explain import EXPLAINERS, gradcam, guided_backprop, guided_gradcam
from minixai.models import mnist1d_cnn, vgg7
from tests.explain._cam_strategies import pool_head_model
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees, model_cases


def test_guided_gradcam_is_registered():
    assert EXPLAINERS["guided_gradcam"] is guided_gradcam


def test_guided_gradcam_by_hand():
    # Class 0: guided backprop reaches A = x only at channel 0's pooled winners (signal 1/2 > 0);
    # channel 1's signal is -1/2 and is blocked. Grad-CAM's map is ReLU([-1/4, 3/4, 1/2, -1/4]).
    model, x = pool_head_model()
    np.testing.assert_array_equal(guided_backprop(model, x, 0), [[[0, 0.5, 0.5, 0], [0, 0, 0, 0]]])
    np.testing.assert_array_equal(guided_gradcam(model, x, 0), [[[0, 0.375, 0.25, 0], [0, 0, 0, 0]]])


@given(case=model_cases())
def test_guided_gradcam_is_guided_backprop_times_upsampled_gradcam(case):
    for layer in (None, "conv1"):
        mine = guided_gradcam(case.model, case.x, layer=layer)
        assert mine.shape == case.x.shape and mine.dtype == case.x.dtype
        expected = guided_backprop(case.model, case.x) * gradcam(case.model, case.x, layer=layer)
        np.testing.assert_array_equal(mine, expected)


@given(case=model_cases())
def test_guided_gradcam_is_batch_invariant(case):
    whole = guided_gradcam(case.model, case.x, 1, backend="numpy")
    rows = np.concatenate([guided_gradcam(case.model, case.x[i:i + 1], 1, backend="numpy") for i in range(len(case.x))])
    np.testing.assert_array_equal(whole, rows)
    np.testing.assert_array_equal(whole, guided_gradcam(case.model, case.x, 1, batch_size=1, backend="numpy"))


def test_guided_gradcam_agrees_with_the_numpy_backend(backend):
    model, x = tiny_model(seed=4)
    assert_agrees(guided_gradcam(model, x, backend=backend), guided_gradcam(model, x, backend="numpy"),
                  "guided_gradcam")
    assert_agrees(guided_gradcam(model, x, 0, layer="conv1", backend=backend),
                  guided_gradcam(model, x, 0, layer="conv1", backend="numpy"), "guided_gradcam conv1")


CAPTUM_CASES = {
    "mnist1d_cnn-float64": (lambda: mnist1d_cnn(seed=1).astype(np.float64), (3, 1, 40), "conv3", 1e-10),
    "mnist1d_cnn-conv2-float32": (lambda: mnist1d_cnn(seed=2), (3, 1, 40), "conv2", 1e-5),
    "vgg7-float64": (lambda: vgg7(widths=(4, 8, 8), seed=3).astype(np.float64), (2, 3, 16, 16), "conv3_2", 1e-10),
    "vgg7-conv2_2-float32": (lambda: vgg7(widths=(4, 8, 8), seed=4), (2, 3, 16, 16), "conv2_2", 1e-5),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", sorted(CAPTUM_CASES))
def test_guided_gradcam_agrees_with_captum(case):
    torch = pytest.importorskip("torch")
    captum_attr = pytest.importorskip("captum.attr")
    from minixai.interop import to_torch

    build, shape, conv, rtol = CAPTUM_CASES[case]
    model = build()
    dtype = model.layers["fc"].weight.dtype
    x = np.random.default_rng(0).normal(size=shape).astype(dtype)
    target = torch.tensor(model.forward(x).argmax(1))
    net = to_torch(model)
    relu = getattr(net, conv.replace("conv", "relu"))
    inputs = torch.tensor(x)

    def gap(mine, theirs):
        theirs = theirs.detach().numpy()
        assert mine.shape == theirs.shape and mine.dtype == theirs.dtype and np.abs(theirs).max() > 0
        return np.abs(mine - theirs).max() / np.abs(theirs).max()

    before = captum_attr.LayerGradCam(net, relu).attribute(inputs, target=target, relu_attributions=True)
    assert gap(gradcam(model, x, layer=conv, upsample=False), before) <= rtol
    mode = "linear" if x.ndim == 3 else "bilinear"
    after = captum_attr.GuidedGradCam(net, relu).attribute(inputs, target=target, interpolate_mode=mode)
    mine = guided_gradcam(model, x, layer=conv)
    assert gap(mine, after) <= rtol, f"guided_gradcam vs captum GuidedGradCam ({mode}) on {case}"
    nearest = captum_attr.GuidedGradCam(net, relu).attribute(inputs, target=target)
    print(f"{case}: relative gap to Captum's default nearest-neighbour upsampling {gap(mine, nearest):.2e}")


def test_bad_input_raises_minixai_errors_naming_the_argument():
    model, x = tiny_model()
    with pytest.raises(UnknownNameError, match=r"layer: 'conv3' is unknown; expected one of the conv layers"):
        guided_gradcam(model, x, layer="conv3")
    with pytest.raises(ParameterError, match=r"target: expected classes in \[0, 3\)"):
        guided_gradcam(model, x, target=[1, 4])
    with pytest.raises(ParameterError, match="batch_size"):
        guided_gradcam(model, x, batch_size=0)
    with pytest.raises(ShapeError, match="x"):
        guided_gradcam(model, x[:, :, None])
    with pytest.raises(NonFiniteError):
        guided_gradcam(model, np.full_like(x, np.nan))
