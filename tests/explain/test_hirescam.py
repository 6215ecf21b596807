"""HiResCAM (explain/hirescam.py): ReLU(sum_k dy_c/dA^k ⊙ A^k), no spatial averaging.

- By hand where a max-pool sits before the GAP: Grad-CAM lights up a position no gradient reaches
  (seed 004's critique), HiResCAM does not.
- On conv -> GAP -> dense heads HiResCAM before its ReLU is CAM / Z, and Grad-CAM (rtol 1e-12).
- Summed over positions it is y_c - b_c whenever the head above A is conv-free (max-pools, GAP,
  dense: piecewise linear and positively homogeneous), hypothesis in 1-D and 2-D, rtol 1e-12.
- Equal to Captum's ``LayerGradientXActivation`` summed over channels, and to PyTorch autograd,
  on the identical torch model (1e-10 in float64, 1e-5 in float32).
Batch invariance, backends and bad input: test_cam_family_core.py.
"""
import numpy as np
import pytest
from hypothesis import given

from minixai.explain import cam, gradcam, hirescam
from minixai.explain._cam import feature_maps
from tests.explain._cam_strategies import (HAND, TORCH_CASES, gap_head_cases, pool_head_model, relative_gap,
                                           torch_maps_and_gradients)
from tests.strategies import model_cases


def test_hirescam_by_hand_keeps_only_positions_the_gradient_reaches():
    model, x = pool_head_model()
    np.testing.assert_array_equal(hirescam(model, x, 0, relu=False, upsample=False), [[HAND["hirescam"]]])
    np.testing.assert_array_equal(hirescam(model, x, 0, upsample=False), [[[0, 1.5, 1.0, 0]]])
    # Position 2 of channel 0 loses its pooling window, so nothing it holds reaches y_0; Grad-CAM
    # still gives it weight alpha_0 A = 1/4 * 2 because it averages the gradient over positions.
    assert gradcam(model, x, 0, relu=False, upsample=False)[0, 0, 0] == HAND["gradcam"][0] != 0


@given(case=gap_head_cases())
def test_hirescam_before_relu_equals_cam_over_z_on_a_gap_head(case):
    mine = hirescam(case.model, case.x, 0, layer=case.layer, relu=False, upsample=False)
    reference = cam(case.model, case.x, 0, layer=case.layer, relu=False, upsample=False)
    Z = np.prod(reference.shape[2:])
    scale = np.abs(reference).max(initial=0) / Z + 1e-300
    np.testing.assert_allclose(mine, reference / Z, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(mine, gradcam(case.model, case.x, 0, layer=case.layer, relu=False, upsample=False),
                               rtol=1e-12, atol=1e-12 * scale)


@given(case=model_cases(head="gap"))
def test_hirescam_summed_over_positions_is_score_minus_bias(case):
    maps = hirescam(case.model, case.x, None, relu=False, upsample=False)
    A, G, logits, target = feature_maps(case.model, case.x)
    fc = case.model.layers["fc"]
    expected = logits[np.arange(len(target)), target] - fc.bias[target]
    scale = np.abs(G * A).sum(axis=tuple(range(1, A.ndim))).max() + np.abs(fc.bias).max()
    np.testing.assert_allclose(maps.reshape(len(maps), -1).sum(1), expected, rtol=1e-12, atol=1e-12 * scale)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_hirescam_agrees_with_captum_gradient_x_activation_and_torch_autograd(case):
    torch = pytest.importorskip("torch")
    captum_attr = pytest.importorskip("captum.attr")
    from minixai.interop import to_torch

    model, x, layer, rtol, A, G = torch_maps_and_gradients(case)
    mine = hirescam(model, x, layer=layer, relu=False, upsample=False)
    assert relative_gap(mine, (G * A).sum(axis=1, keepdims=True)) <= rtol
    net = to_torch(model)
    explainer = captum_attr.LayerGradientXActivation(net, getattr(net, layer.replace("conv", "relu")))
    theirs = explainer.attribute(torch.tensor(x), target=torch.tensor(model.forward(x).argmax(1)))
    gap = relative_gap(mine, theirs.detach().numpy().sum(axis=1, keepdims=True))
    assert gap <= rtol, f"hirescam vs captum LayerGradientXActivation on {case}: relative gap {gap:.2e}"
