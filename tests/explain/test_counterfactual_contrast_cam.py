"""Counterfactual-CAM and Contrast-CAM (explain/counterfactual_cam.py, explain/contrast_cam.py).

- Counterfactual-CAM is ReLU(-Grad-CAM before its ReLU), exactly, and together with Grad-CAM it
  splits the signed map into its two parts; a hand case on pool_head_model.
- Contrast-CAM's signal is softmax(y) - onehot(Q), the gradient of the cross-entropy with Q as
  the label (central differences, rtol 1e-6, atol 1e-8: rounding ~1e-16 |J| / 1e-6); before its ReLU the map is
  sum_c p_c gradcam_c - gradcam_Q (rtol 1e-10, float64); a hand case; ``contrast=None`` is the
  best class other than the target; the map equals torch's cross-entropy with Q as the label,
  backpropagated to the layer with autograd and weighted like Grad-CAM (the paper's code), to
  rtol 1e-10 in float64, 1-D and 2-D.
- Both: batch invariance (exact for Counterfactual-CAM, 1e-13 for Contrast-CAM, whose dense seed
  meets batch-size-dependent BLAS rounding), every backend agrees with numpy, bad input.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import NotApplicableError, ParameterError, ShapeError, UnknownNameError
from minixai.explain import EXPLAINERS, contrast_cam, counterfactual_cam, gradcam
from minixai.explain.contrast_cam import contrast_seed, runner_up
from minixai.nn import softmax
from minixai.models import mnist1d_cnn, vgg7
from minixai.nn import Conv1d, Flatten, GlobalAvgPool, ReLU, Sequential
from tests.explain._cam_strategies import HAND, pool_head_model
from tests.explain._gradient_family_strategies import dense, tiny_model
from tests.strategies import assert_agrees, model_cases, numerical_gradient, seeds


def test_both_are_registered():
    assert EXPLAINERS["counterfactual_cam"] is counterfactual_cam and EXPLAINERS["contrast_cam"] is contrast_cam


def test_counterfactual_cam_by_hand_keeps_what_lowers_the_score():
    # Grad-CAM for class 0 before its ReLU is [-1/4, 3/4, 1/2, -1/4] (see _cam_strategies.HAND):
    # positions 0 and 3 lower y_0, and only they survive with the sign flipped.
    model, x = pool_head_model()
    np.testing.assert_array_equal(counterfactual_cam(model, x, 0, upsample=False), [[[0.25, 0, 0, 0.25]]])
    np.testing.assert_array_equal(HAND["gradcam"], [-0.25, 0.75, 0.5, -0.25])


@given(case=model_cases(), upsample=st.booleans())
def test_counterfactual_is_relu_of_minus_gradcam_before_its_relu(case, upsample):
    signed = gradcam(case.model, case.x, 1, relu=False, upsample=False)
    mine = counterfactual_cam(case.model, case.x, 1, upsample=False)
    np.testing.assert_array_equal(mine, np.maximum(-signed, 0))
    np.testing.assert_array_equal(gradcam(case.model, case.x, 1, upsample=False) - mine, signed)
    if upsample:
        from minixai.explain._cam import upsample as upsample_maps
        np.testing.assert_array_equal(counterfactual_cam(case.model, case.x, 1),
                                      upsample_maps(mine[:, 0], case.x.shape[2:])[:, None])


@given(seed=seeds(), classes=st.integers(2, 6))
def test_contrast_signal_is_softmax_minus_one_hot_the_gradient_of_cross_entropy(seed, classes):
    rng = np.random.default_rng(seed)
    logits = 3 * rng.normal(size=(3, classes))
    q = rng.integers(0, classes, size=3)
    signal = contrast_seed(logits, logits.argmax(1), q)
    for row in range(3):
        def cross_entropy(y, row=row):
            return np.log(np.exp(y - y.max()).sum()) + y.max() - y[q[row]]
        np.testing.assert_allclose(signal[row], numerical_gradient(cross_entropy, logits[row]), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(signal.sum(axis=1), 0, atol=1e-15)
    expected = softmax(logits)
    expected[np.arange(3), q] -= 1
    np.testing.assert_array_equal(signal, expected)


def test_contrast_cam_by_hand_why_1_rather_than_0():
    # pool_head_model: y = [1, 1.5], P = 1, Q = 0, p_1 = 1 / (1 + e^-0.5). dJ/dy = p_1 (-1, 1), so the
    # gradient at A is p_1 (G_1 - G_0) = p_1 [[0, -1/2, -1/2, 0], [1, 0, 0, 1]], alpha = p_1 [-1/4, 1/2]
    # and the map p_1 (-A^0 / 4 + A^1 / 2) = p_1 [3/4, -3/4, -1/2, 1/2]: channel 1's pooled winners.
    model, x = pool_head_model()
    p1 = 1 / (1 + np.exp(-0.5))
    expected = [[[0.75 * p1, 0, 0, 0.5 * p1]]]
    np.testing.assert_allclose(contrast_cam(model, x, contrast=0, upsample=False), expected, rtol=1e-15)
    np.testing.assert_array_equal(contrast_cam(model, x, upsample=False),
                                  contrast_cam(model, x, contrast=0, upsample=False))


@given(case=model_cases(), data=st.data())
def test_contrast_cam_is_probability_weighted_gradcam_minus_gradcam_of_q(case, data):
    classes = case.model.forward(case.x).shape[1]
    q = data.draw(st.lists(st.integers(0, classes - 1), min_size=len(case.x), max_size=len(case.x)))
    p = softmax(case.model.forward(case.x))
    signed = {c: gradcam(case.model, case.x, c, relu=False, upsample=False) for c in range(classes)}
    column = (-1,) + (1,) * (case.x.ndim - 1)
    raw = sum(p[:, c].reshape(column) * signed[c] for c in range(classes))
    raw = raw - np.stack([signed[c][i] for i, c in enumerate(q)])
    mine = contrast_cam(case.model, case.x, contrast=q, upsample=False)
    np.testing.assert_allclose(mine, np.maximum(raw, 0), rtol=1e-10, atol=1e-12 * max(1.0, np.abs(raw).max()))


@given(case=model_cases())
def test_default_contrast_is_the_best_class_other_than_the_target(case):
    logits = case.model.forward(case.x)
    order = np.argsort(-logits, axis=1, kind="stable")
    np.testing.assert_array_equal(contrast_cam(case.model, case.x),
                                  contrast_cam(case.model, case.x, contrast=order[:, 1]))
    target = order[:, -1]  # the least likely class: its best rival is the prediction
    np.testing.assert_array_equal(runner_up(logits, target), order[:, 0])
    np.testing.assert_array_equal(contrast_cam(case.model, case.x, target),
                                  contrast_cam(case.model, case.x, target, contrast=order[:, 0]))


@pytest.mark.parametrize("dims", [1, 2])
def test_contrast_cam_agrees_with_torch_cross_entropy_backpropagated_to_the_layer(dims):
    # The paper's code: cross-entropy of the logits with Q as the label, backward to the layer's
    # output, Grad-CAM weighting. Summed over rows, each row's gradient is its own softmax - onehot(Q).
    torch = pytest.importorskip("torch")
    from minixai.interop import to_torch

    rng = np.random.default_rng(1)
    if dims == 1:
        model, x, relu = mnist1d_cnn(seed=4).astype(np.float64), rng.normal(size=(3, 1, 40)), "relu3"
    else:
        model, x, relu = vgg7(widths=(4, 8, 8), seed=3).astype(np.float64), rng.normal(size=(2, 3, 16, 16)), "relu3_2"
    q = np.arange(len(x)) % 3 + 1
    net = to_torch(model)
    captured = {}
    getattr(net, relu).register_forward_hook(lambda module, inputs, output: captured.update(A=output))
    loss = torch.nn.functional.cross_entropy(net(torch.tensor(x)), torch.tensor(q), reduction="sum")
    (G,) = torch.autograd.grad(loss, captured["A"])
    A, G = captured["A"].detach().numpy(), G.numpy()
    alpha = G.reshape(len(x), G.shape[1], -1).mean(axis=2)
    theirs = np.maximum(np.einsum("nk,nk...->n...", alpha, A), 0)[:, None]
    mine = contrast_cam(model, x, contrast=q, layer=relu.replace("relu", "conv"), upsample=False)
    assert np.abs(theirs).max() > 0
    np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12 * np.abs(theirs).max())


@pytest.mark.parametrize("method", [counterfactual_cam, contrast_cam], ids=lambda m: m.__name__)
@given(case=model_cases())
def test_batch_invariance(method, case):
    params = {"contrast": np.arange(len(case.x)) % 2} if method is contrast_cam else {}
    # Counterfactual-CAM's seed is one-hot, so every product in the backward pass has one nonzero
    # term and rows come out bit for bit alike. Contrast-CAM's seed is dense: its dense-layer
    # backward is a matrix product whose BLAS kernel (gemv for one row, gemm for several) may
    # round the last bit differently, hence 1e-13 relative there.
    whole = method(case.model, case.x, 1, backend="numpy", **params)
    rows = np.concatenate([method(case.model, case.x[i:i + 1], 1, backend="numpy",
                                  **({"contrast": params["contrast"][i]} if params else {}))
                           for i in range(len(case.x))])
    one_by_one = method(case.model, case.x, 1, batch_size=1, backend="numpy", **params)
    tol = 0 if method is counterfactual_cam else 1e-13 * max(1.0, whole.max())
    np.testing.assert_allclose(whole, rows, rtol=0, atol=tol)
    np.testing.assert_allclose(whole, one_by_one, rtol=0, atol=tol)
    np.testing.assert_array_equal(rows, one_by_one)
    assert whole.shape == (len(case.x), 1, *case.x.shape[2:]) and whole.min() >= 0


@pytest.mark.parametrize("method", [counterfactual_cam, contrast_cam], ids=lambda m: m.__name__)
def test_every_backend_agrees_with_numpy(backend, method):
    model, x = tiny_model(seed=5)
    assert_agrees(method(model, x, backend=backend), method(model, x, backend="numpy"), method.__name__)
    assert_agrees(method(model, x, 2, layer="conv1", backend=backend),
                  method(model, x, 2, layer="conv1", backend="numpy"), method.__name__)


def test_bad_input_raises_minixai_errors_naming_the_argument():
    model, x = tiny_model()
    with pytest.raises(ParameterError, match=r"contrast: expected classes in \[0, 3\), got range \[0, 3\]"):
        contrast_cam(model, x, contrast=[0, 3])
    with pytest.raises(ParameterError, match=r"contrast: expected classes in \[0, 3\)"):
        contrast_cam(model, x, contrast=-1)
    with pytest.raises(ParameterError, match="contrast: expected class indices"):
        contrast_cam(model, x, contrast=1.5)
    with pytest.raises(ShapeError, match="contrast: expected one class or 2 classes"):
        contrast_cam(model, x, contrast=[0, 1, 2])
    one_class = Sequential([("conv", Conv1d(1, 2, 3)), ("relu", ReLU()), ("gap", GlobalAvgPool()),
                            ("fc", dense([[1.0, -1.0]], np.float32))])
    with pytest.raises(NotApplicableError, match="contrast: Contrast-CAM needs at least two classes"):
        contrast_cam(one_class, x)
    for method in (counterfactual_cam, contrast_cam):
        with pytest.raises(UnknownNameError, match=r"layer: 'relu1' is a ReLU layer, not a conv layer"):
            method(model, x, layer="relu1")
        with pytest.raises(UnknownNameError, match=r"layer: 'conv7' is unknown"):
            method(model, x, layer="conv7")
        with pytest.raises(ParameterError, match=r"target: expected classes in \[0, 3\)"):
            method(model, x, target=5)
        with pytest.raises(ShapeError, match="target"):
            method(model, x, target=[0, 1, 2])
    flat = Sequential([("conv", tiny_model()[0].layers["conv1"]), ("flatten", Flatten()),
                       ("fc", dense(np.ones((2, 30)), np.float32))])
    assert contrast_cam(flat, x).shape == counterfactual_cam(flat, x).shape == (2, 1, 12)
