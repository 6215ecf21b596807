"""XGrad-CAM (explain/xgradcam.py): w_k = sum_i (A_i^k / sum_j A_j^k) dy_c/dA_i^k, ReLU(sum_k w_k A^k).

- By hand, and a map that is zero everywhere gets weight 0 (no division by zero).
- On conv -> GAP -> dense heads dy_c/dA_i^k = w_k^c / Z everywhere, so the A-weighted mean of the
  gradient is w_k^c / Z, Grad-CAM's alpha_k: the maps are equal (rtol 1e-12, 1-D and 2-D).
- Conservation (Fu et al.'s axiom): before the ReLU, sum_i L_i = sum_k w_k sum_i A_i^k =
  sum_k sum_i G_i^k A_i^k = HiResCAM's sum, which is y_c - b_c for a conv-free head (rtol 1e-12).
- Equal to the formula on A and G from PyTorch autograd on the identical torch model.
Batch invariance, backends and bad input: test_cam_family_core.py.
"""
import numpy as np
import pytest
from hypothesis import given

from minixai.explain import gradcam, hirescam, xgradcam
from minixai.explain._cam import feature_maps
from minixai.nn import Conv1d, GlobalAvgPool, ReLU, Sequential
from tests.explain._cam_strategies import (HAND, TORCH_CASES, gap_head_cases, pool_head_model, relative_gap,
                                           torch_maps_and_gradients)
from tests.explain._gradient_family_strategies import dense
from tests.strategies import model_cases


def test_xgradcam_by_hand_weighs_the_gradient_by_the_map():
    model, x = pool_head_model()
    np.testing.assert_allclose(xgradcam(model, x, 0, relu=False, upsample=False), [[HAND["xgradcam"]]],
                               rtol=1e-15, atol=1e-16)


def test_xgradcam_gives_a_map_that_is_zero_everywhere_weight_zero():
    # Channel 1's filter is -1 on a positive input: ReLU makes its map all zeros.
    conv = Conv1d(1, 2, 1, bias=False)
    conv.weight = np.array([[[1.0]], [[-1.0]]])
    model = Sequential([("conv", conv), ("relu", ReLU()), ("gap", GlobalAvgPool()), ("fc", dense([[2, 5], [1, 1]]))])
    x = np.array([[[1.0, 2.0, 3.0]]])
    out = xgradcam(model, x, 0, relu=False, upsample=False)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, [[[2 / 3, 4 / 3, 2.0]]], rtol=1e-15)


@given(case=gap_head_cases())
def test_xgradcam_equals_gradcam_on_a_gap_head(case):
    mine = xgradcam(case.model, case.x, 0, layer=case.layer, relu=False, upsample=False)
    expected = gradcam(case.model, case.x, 0, layer=case.layer, relu=False, upsample=False)
    A, _, _, _ = feature_maps(case.model, case.x, 0, layer=case.layer, gradients=False)
    scale = np.abs(case.model.layers["fc"].weight).max() * np.abs(A).sum(axis=1).max() / np.prod(A.shape[2:])
    np.testing.assert_allclose(mine, expected, rtol=1e-12, atol=1e-12 * scale)


@given(case=model_cases(head="gap"))
def test_xgradcam_conserves_the_score_minus_bias_like_hirescam(case):
    sums = [m(case.model, case.x, None, relu=False, upsample=False).reshape(len(case.x), -1).sum(1)
            for m in (xgradcam, hirescam)]
    A, G, logits, target = feature_maps(case.model, case.x)
    fc = case.model.layers["fc"]
    scale = np.abs(G * A).sum(axis=tuple(range(1, A.ndim))).max() + np.abs(fc.bias).max()
    np.testing.assert_allclose(sums[0], sums[1], rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(sums[0], logits[np.arange(len(target)), target] - fc.bias[target], rtol=1e-12,
                               atol=1e-12 * scale)


@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_xgradcam_agrees_with_torch_autograd(case):
    pytest.importorskip("torch")
    model, x, layer, rtol, A, G = torch_maps_and_gradients(case)
    mine = xgradcam(model, x, layer=layer, relu=False, upsample=False)
    axes = tuple(range(2, A.ndim))
    total = A.sum(axis=axes, keepdims=True)
    w = np.where(total == 0, 0, (A * G).sum(axis=axes, keepdims=True) / np.where(total == 0, 1, total))
    gap = relative_gap(mine, (w * A).sum(axis=1, keepdims=True))
    assert gap <= rtol, f"xgradcam vs torch on {case}: relative gap {gap:.2e}"
