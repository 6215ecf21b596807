"""The same maps as Captum on the identical PyTorch model (``minixai.interop.to_torch``).

Captum's Saliency(abs=True), InputXGradient, GuidedBackprop and Deconvolution against saliency,
gradient_x_input, guided_backprop and deconvnet. Captum's two ReLU rules are backward hooks on
the ``nn.ReLU`` modules; ``to_torch`` builds one ``nn.ReLU`` per ReLU layer, so they apply.
Tolerance: |ours - captum| <= rtol * max |captum|, 1e-10 in float64, 1e-5 in float32.
"""
import numpy as np
import pytest

from minixai.errors import ModelFileError
from minixai.explain import deconvnet, gradient_x_input, guided_backprop, saliency
from minixai.interop import to_torch
from minixai.models import mnist1d_cnn, pretrained, vgg7

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

PAIRS = {
    "saliency": (saliency, "Saliency", {"abs": True}),
    "gradient_x_input": (gradient_x_input, "InputXGradient", {}),
    "guided_backprop": (guided_backprop, "GuidedBackprop", {}),
    "deconvnet": (deconvnet, "Deconvolution", {}),
}
RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def shipped_mnist1d_cnn():
    try:
        return pretrained("mnist1d_cnn")
    except ModelFileError:
        pytest.skip("the shipped mnist1d_cnn weights are not built yet")


CASES = {
    "mnist1d_cnn-random-float64": (lambda: mnist1d_cnn(seed=1).astype(np.float64), (4, 1, 40), np.float64),
    "mnist1d_cnn-random-float32": (lambda: mnist1d_cnn(seed=2), (4, 1, 40), np.float32),
    "mnist1d_cnn-shipped-float32": (shipped_mnist1d_cnn, (4, 1, 40), np.float32),
    "vgg7-narrow-random-float64": (lambda: vgg7(widths=(4, 8, 8), seed=1).astype(np.float64), (2, 3, 16, 16),
                                   np.float64),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_agrees_with_captum_on_the_identical_torch_model(name, case):
    build, shape, dtype = CASES[case]
    model = build()
    x = np.random.default_rng(0).normal(size=shape).astype(dtype)
    ours, captum_name, options = PAIRS[name]
    target = model.forward(x).argmax(1)
    net = to_torch(model, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    inputs = torch.tensor(x, requires_grad=True)
    theirs = getattr(captum_attr, captum_name)(net).attribute(inputs, target=torch.tensor(target), **options)
    theirs = theirs.detach().numpy()
    mine = ours(model, x, target)
    assert mine.dtype == theirs.dtype == dtype
    scale = np.abs(theirs).max()
    assert scale > 0
    gap = np.abs(mine - theirs).max() / scale
    assert gap <= RTOL[np.dtype(dtype)], f"{name} vs captum.attr.{captum_name} on {case}: relative gap {gap:.2e}"
