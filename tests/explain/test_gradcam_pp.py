"""Grad-CAM++ (explain/gradcam_pp.py).

- The closed form: on a head that is piecewise linear but not linear (conv -> ReLU -> GAP ->
  dense above A), central differences of S = exp(y_c) along each A_ij (steps 0.05 and 0.025,
  Richardson-extrapolated; the head's ReLU inputs kept 0.05 from their kink) give dS = S g,
  d2S = S g^2 and d3S = S g^3 (rtol 1e-5, atol 1e-12 S, 1e-10 S, 1e-9 S for rounding), and the
  map built from those brute-force derivatives with the paper's alpha, divided by exp(y_c),
  equals gradcam_pp's (rtol 1e-4: the rounding of the third differences, amplified by sum A).
  The class weights are scaled by 20 so that g, hence S g^3, stands above that rounding.
- By hand: on pool_head_model alpha = 1/5 at the two positions with positive gradient, so the
  map is A^0 / 5; on any GAP -> dense head w_k = ReLU(W_ck) / (2 + W_ck mean A^k) (rtol 1e-12).
- Batch invariance, every backend agrees with numpy, bad input.
"""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minixai.errors import NonFiniteError, ParameterError, UnknownNameError
from minixai.explain import EXPLAINERS, gradcam_pp
from minixai.explain._cam import feature_maps
from minixai.nn import Conv1d, Conv2d, Dense, GlobalAvgPool, ReLU, Sequential
from tests.explain._cam_strategies import gap_head_cases, pool_head_model
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees, model_cases, near_kink, seeds

STEP = 0.05


def test_gradcam_pp_is_registered():
    assert EXPLAINERS["gradcam_pp"] is gradcam_pp


def test_gradcam_pp_by_hand_on_a_pooled_head():
    # Class 0's gradient at A = x is [[0, 1/2, 1/2, 0], [-1/2, 0, 0, -1/2]]; sum A^0 = 6, so
    # alpha = g^2 / (2 g^2 + 6 g^3) = 1 / (2 + 3) = 1/5 where g = 1/2, and w_0 = 2 * (1/5) * (1/2).
    # Channel 1 has no positive gradient: w_1 = 0 (Grad-CAM would weigh it -1/4).
    model, x = pool_head_model()
    np.testing.assert_allclose(gradcam_pp(model, x, 0, upsample=False), [[x[0, 0] / 5]], rtol=1e-15)


def exp_score_differences(model, A, head, target, step=STEP):
    """S = exp(y_c) at row 0 of A, and its 1st, 2nd and 3rd derivatives along each entry A_ij^k.

    Central differences with steps h and h/2, combined by Richardson extrapolation
    (4 D(h/2) - D(h)) / 3, which cancels their (g h)^2 error terms.
    """
    positions = A[0].size
    multiples = np.array([-2, -1, -0.5, 0.5, 1, 2])
    shifted = np.repeat(A[:1], len(multiples) * positions, axis=0).reshape(len(multiples), positions, -1)
    shifted[:, np.arange(positions), np.arange(positions)] += step * multiples[:, None]
    y = model.forward(shifted.reshape(-1, *A.shape[1:]), start=head)[:, target]
    S = dict(zip(multiples, np.exp(y).reshape(len(multiples), positions)))
    S0 = np.exp(model.forward(A[:1], start=head)[0, target])

    def central(h, m):  # m: h in multiples of step
        return ((S[m] - S[-m]) / (2 * h), (S[m] - 2 * S0 + S[-m]) / h ** 2,
                (S[2 * m] - 2 * S[m] + 2 * S[-m] - S[-2 * m]) / (2 * h ** 3))

    coarse, fine = central(step, 1.0), central(step / 2, 0.5)
    return (S0, *((4 * f - c) / 3 for f, c in zip(fine, coarse)))


@given(seed=seeds(), dims=st.sampled_from([1, 2]))
def test_closed_form_matches_finite_differences_of_the_exp_score(seed, dims):
    rng = np.random.default_rng(seed)
    conv = Conv1d if dims == 1 else Conv2d
    model = Sequential([("conv1", conv(1, 3, 3, rng=rng)), ("relu1", ReLU()), ("conv2", conv(3, 2, 2, rng=rng)),
                        ("relu2", ReLU()), ("gap", GlobalAvgPool()), ("fc", Dense(2, 3, rng=rng))]).astype(np.float64)
    # Larger class weights make g = dy/dA larger, so S g^3 stands well above the rounding of the
    # third differences (about 1e-14 S / h^3).
    model.layers["fc"].weight *= 20
    x = rng.normal(size=(1, 1, *(7 if dims == 1 else 5,) * dims))
    A, g, _, target = feature_maps(model, x, layer="conv1")
    # y_c is piecewise linear in A: away from the head's kinks its 2nd derivative is 0, which is
    # what the closed form rests on. A step (at most 2 STEP = 0.1) moves a ReLU input of the head
    # by at most 0.1 |w| < 0.05, since conv2's weights are below 1/sqrt(fan_in) <= 1/sqrt(6).
    assume(not near_kink(model.trace(A, start="conv2"), delta=0.05) and g.max() > 0)
    S0, d1, d2, d3 = exp_score_differences(model, A, "conv2", target[0])
    g = g[0].reshape(-1)
    # Rounding: S is known to about 1e-15 S, so the k-th difference carries ~1e-15 S / h^k.
    np.testing.assert_allclose(d1, S0 * g, rtol=1e-5, atol=1e-12 * S0)
    np.testing.assert_allclose(d2, S0 * g ** 2, rtol=1e-5, atol=1e-10 * S0)
    np.testing.assert_allclose(d3, S0 * g ** 3, rtol=1e-5, atol=1e-9 * S0)
    # The paper's alpha and weights from the brute-force derivatives of exp(y_c), then / exp(y_c).
    total = np.repeat(A[0].reshape(A.shape[1], -1).sum(axis=1), A[0, 0].size)
    denominator = 2 * d2 + total * d3
    alpha = np.divide(d2, denominator, out=np.zeros_like(d2), where=np.abs(d1) > 1e-12 * S0)
    w = (alpha * np.maximum(d1, 0)).reshape(A.shape[1], -1).sum(axis=1) / S0
    brute = np.maximum(np.tensordot(w, A[0], axes=1), 0)
    mine = gradcam_pp(model, x, target, layer="conv1", upsample=False)[0, 0]
    # rtol 1e-4, looser than the derivatives': where g is small, d3's rounding is a visible part of
    # S g^3, and sum_ab A_ab times it enters alpha's denominator.
    np.testing.assert_allclose(mine, brute, rtol=1e-4, atol=1e-7 * max(brute.max(), 1e-3))


@given(case=gap_head_cases())
def test_on_a_gap_head_the_weights_are_relu_w_over_two_plus_w_times_mean_a(case):
    # g = W_ck / Z at every position, so alpha = 1 / (2 + W_ck mean A^k) and w_k = Z alpha ReLU(W_ck) / Z.
    # Rectified maps (a ReLU after the conv) have 2 + W mean A >= 2 wherever W > 0; maps without
    # one may bring that denominator near 0, where alpha blows up: those draws are skipped.
    A, _, _, _ = feature_maps(case.model, case.x, 0, layer=case.layer, gradients=False)
    W = case.model.layers["fc"].weight[0]
    mean_A = A.reshape(len(A), A.shape[1], -1).mean(axis=2)
    assume(np.abs(2 + W * mean_A).min() > 1e-3)
    w = np.maximum(W, 0) / (2 + W * mean_A)
    expected = np.maximum(np.einsum("nk,nk...->n...", w, A), 0)[:, None]
    mine = gradcam_pp(case.model, case.x, 0, layer=case.layer, upsample=False)
    np.testing.assert_allclose(mine, expected, rtol=1e-12, atol=1e-14 * max(1.0, np.abs(expected).max()))


@given(case=model_cases())
def test_gradcam_pp_is_batch_invariant(case):
    whole = gradcam_pp(case.model, case.x, 0, backend="numpy")
    rows = np.concatenate([gradcam_pp(case.model, case.x[i:i + 1], 0, backend="numpy") for i in range(len(case.x))])
    np.testing.assert_array_equal(whole, rows)
    np.testing.assert_array_equal(whole, gradcam_pp(case.model, case.x, 0, batch_size=1, backend="numpy"))
    assert whole.shape == (len(case.x), 1, *case.x.shape[2:]) and whole.min() >= 0


@pytest.mark.parametrize("options", [{}, {"upsample": False, "layer": "conv1"}])
def test_gradcam_pp_agrees_with_the_numpy_backend(backend, options):
    model, x = tiny_model(seed=3)
    assert_agrees(gradcam_pp(model, x, backend=backend, **options),
                  gradcam_pp(model, x, backend="numpy", **options), f"gradcam_pp {options}")


def test_bad_input_raises_minixai_errors_naming_the_argument():
    model, x = tiny_model()
    with pytest.raises(UnknownNameError, match=r"layer: 'conv9' is unknown; expected one of the conv layers"):
        gradcam_pp(model, x, layer="conv9")
    with pytest.raises(UnknownNameError, match="layer: 'fc' is a Dense layer"):
        gradcam_pp(model, x, layer="fc")
    with pytest.raises(ParameterError, match=r"target: expected classes in \[0, 3\)"):
        gradcam_pp(model, x, target=[0, 3])
    with pytest.raises(NonFiniteError):
        gradcam_pp(model, np.full_like(x, np.inf))
