"""LayerCAM (explain/layercam.py): ReLU(sum_k ReLU(dy_c/dA^k) ⊙ A^k).

- By hand: negative gradients are dropped, not subtracted.
- Where every gradient at A is >= 0 LayerCAM equals HiResCAM exactly; on rectified maps (A >= 0)
  it is never below HiResCAM before the ReLU (hypothesis over random models in 1-D and 2-D).
- Equal to the formula on A and G from PyTorch autograd on the identical torch model.
Batch invariance, backends and bad input: test_cam_family_core.py.
"""
import numpy as np
import pytest
from hypothesis import given

from minixai.explain import hirescam, layercam
from minixai.nn import Dense
from tests.explain._cam_strategies import HAND, TORCH_CASES, pool_head_model, relative_gap, torch_maps_and_gradients
from tests.strategies import model_cases


def test_layercam_by_hand_drops_negative_gradients():
    model, x = pool_head_model()
    np.testing.assert_array_equal(layercam(model, x, 0, relu=False, upsample=False), [[HAND["layercam"]]])
    # class 1 reads channel 1 only (weight 1): G^1 = [1/2, 0, 0, 1/2] on its pooled winners
    np.testing.assert_array_equal(layercam(model, x, 1, upsample=False), [[[1, 0, 0, 0.5]]])


@given(case=model_cases(head="gap"))
def test_layercam_equals_hirescam_where_all_gradients_are_positive(case):
    # Above the last ReLU sit only [max-pool] -> GAP -> dense; with the dense weights made
    # non-negative every gradient at A is >= 0 (pooling routes it, GAP scales it by 1/Z).
    layers = case.model.layers
    fc = layers["fc"]
    head = Dense(fc.in_features, fc.out_features)
    positive = type(case.model)([(n, l) for n, l in layers.items() if n != "fc"] + [("fc", head)])
    positive.layers["fc"].weight, positive.layers["fc"].bias = np.abs(fc.weight), fc.bias.copy()
    positive = positive.astype(np.float64)
    np.testing.assert_array_equal(layercam(positive, case.x, 0, relu=False, upsample=False),
                                  hirescam(positive, case.x, 0, relu=False, upsample=False))
    np.testing.assert_array_equal(layercam(positive, case.x, 0), hirescam(positive, case.x, 0))


@given(case=model_cases())
def test_layercam_is_never_below_hirescam_on_rectified_maps(case):
    low = hirescam(case.model, case.x, 1, relu=False, upsample=False)
    high = layercam(case.model, case.x, 1, relu=False, upsample=False)
    assert np.all(high >= low - 1e-12 * max(1.0, np.abs(low).max()))
    assert np.all(high >= 0)


@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_layercam_agrees_with_torch_autograd(case):
    pytest.importorskip("torch")
    model, x, layer, rtol, A, G = torch_maps_and_gradients(case)
    mine = layercam(model, x, layer=layer, relu=False, upsample=False)
    gap = relative_gap(mine, (np.maximum(G, 0) * A).sum(axis=1, keepdims=True))
    assert gap <= rtol, f"layercam vs torch on {case}: relative gap {gap:.2e}"
