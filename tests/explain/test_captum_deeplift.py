"""DeepLIFT (Rescale) against captum.attr.DeepLift on the identical PyTorch model, float64.

Captum's own convergence delta is ~1e-16 on models without max-pooling and on models whose
non-overlapping max-pools have no ReLU right before or after them; there the two agree to ~1e-17
(max-pool included: both send each window's Δy to the winner of the pass with the larger
maximum). Where a ReLU touches a max-pool Captum's delta grows (measured: 0.02 on the MNIST-1D CNN
architecture with a noise reference, 0.08 with conv -> max-pool -> ReLU) while minixai's gap stays
~1e-16, so there only the gaps are compared.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.explain import deeplift
from minixai.models import mnist1d_cnn
from minixai.nn import Conv1d, Conv2d, Dense, Flatten, GlobalAvgPool, MaxPool1d, MaxPool2d, ReLU, Sequential
from tests.strategies import seeds

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")
from minixai.interop import to_torch  # noqa: E402  (needs torch)

pytestmark = pytest.mark.filterwarnings("ignore:Setting forward, backward hooks:UserWarning")


def captum_deeplift(model, x, x0, target):
    net = to_torch(model, torch.float64)
    attributions, delta = captum_attr.DeepLift(net).attribute(
        torch.from_numpy(x).requires_grad_(), baselines=torch.from_numpy(x0), target=torch.from_numpy(target),
        return_convergence_delta=True)
    return attributions.detach().numpy(), delta.detach().numpy()


def captum_friendly_model(seed: int, dims: int, head: str, pooled: bool) -> tuple:
    """conv - ReLU - conv - (ReLU, or a 2x2 max-pool with no ReLU beside it) - head; x, x0 (3, 2, ...)."""
    rng = np.random.default_rng(seed)
    conv, pool = (Conv1d, MaxPool1d) if dims == 1 else (Conv2d, MaxPool2d)
    layers = [("conv1", conv(2, 4, 3, padding=1, rng=rng)), ("relu1", ReLU()),
              ("conv2", conv(4, 3, 3, stride=2, rng=rng)), ("pool2", pool(2)) if pooled else ("relu2", ReLU())]
    size = 9 if dims == 1 else 5
    out = ((size - 3) // 2 + 1) // (2 if pooled else 1)
    if head == "gap":
        layers += [("gap", GlobalAvgPool()), ("fc", Dense(3, 4, rng=rng))]
    else:
        layers += [("flatten", Flatten()), ("fc1", Dense(3 * out ** dims, 5, rng=rng)), ("relu3", ReLU()),
                   ("fc2", Dense(5, 4, rng=rng))]
    model = Sequential(layers).astype(np.float64)
    return model, rng.normal(size=(3, 2) + (size,) * dims), rng.normal(size=(3, 2) + (size,) * dims)


@given(seed=seeds(), dims=st.sampled_from([1, 2]), head=st.sampled_from(["gap", "flatten"]), pooled=st.booleans())
def test_rescale_equals_captum_deeplift_where_captum_sums_to_delta(seed, dims, head, pooled):
    model, x, x0 = captum_friendly_model(seed, dims, head, pooled)
    target = np.arange(len(x)) % 4
    expected, captum_delta = captum_deeplift(model, x, x0, target)
    assert np.abs(captum_delta).max() < 1e-10
    ours = deeplift(model, x, target, baseline=x0, backend="numpy")
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)


def test_summation_gap_on_the_mnist1d_cnn_architecture_ours_and_captums(capsys):
    model = mnist1d_cnn(seed=0).astype(np.float64)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 1, 40))
    x0 = 0.3 * rng.normal(size=x.shape)
    target = model.predict(x)
    _, captum_delta = captum_deeplift(model, x, x0, target)
    _, gap = deeplift(model, x, target, baseline=x0, return_gap=True, backend="numba")
    with capsys.disabled():
        print(f"\nmnist1d_cnn (random weights, noise reference): Captum max |delta| "
              f"{np.abs(captum_delta).max():.1e}, minixai max |gap| {np.abs(gap).max():.1e}")
    assert np.abs(gap).max() < 1e-10
