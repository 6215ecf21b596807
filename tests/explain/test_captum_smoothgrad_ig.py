"""Integrated Gradients and SmoothGrad against Captum on the identical PyTorch model.

Captum draws SmoothGrad's noise with torch's generator, so samples cannot match one by one;
the estimator is checked instead: Captum's Saliency on *our* noisy copies, averaged, equals ours.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from minixai.explain import integrated_gradients, smoothgrad  # noqa: E402
from minixai.explain.integrated_gradients import METHODS  # noqa: E402
from minixai.interop import to_torch  # noqa: E402
from minixai.models import mnist1d_cnn  # noqa: E402
from tests.explain._gradient_family_strategies import tiny_model  # noqa: E402

TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}
# Captum multiplies the gradients by its step sizes cast to float32 (``torch.tensor(step_sizes).float()``),
# so in float64 each of its terms carries a relative error up to 6e-8 (float32's half-ulp).
IG_TOLERANCE = {np.float32: TOLERANCE[np.float32], np.float64: dict(rtol=1e-7, atol=1e-7)}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


@pytest.fixture
def torch_default_dtype():
    """Captum builds its path coefficients with torch.linspace in torch's default dtype."""
    previous = torch.get_default_dtype()
    yield lambda dtype: torch.set_default_dtype(TORCH_DTYPE[dtype])
    torch.set_default_dtype(previous)


def case(dtype):
    model = mnist1d_cnn(seed=3).astype(dtype)
    x = np.random.default_rng(0).normal(size=(4, 1, 40)).astype(dtype)
    return model, x, model(x).argmax(axis=1)


def scaled(tolerance, attributions):
    return dict(rtol=tolerance["rtol"], atol=tolerance["atol"] * max(1.0, float(np.abs(attributions).max())))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("method", METHODS)
def test_ig_matches_captum_with_the_same_method_and_steps(method, dtype, torch_default_dtype):
    torch_default_dtype(dtype)
    model, x, target = case(dtype)
    ig = captum_attr.IntegratedGradients(to_torch(model))
    theirs, delta = ig.attribute(torch.from_numpy(x), target=torch.from_numpy(target), n_steps=20, method=method,
                                 return_convergence_delta=True)
    ours, gap = integrated_gradients(model, x, target, steps=20, method=method, return_gap=True)
    if method == "riemann_trapezoid":
        # Captum's trapezoid weights are 1/steps (halved at the ends) on nodes 1/(steps - 1) apart.
        ours, gap = ours * 19 / 20, None
    np.testing.assert_allclose(ours, theirs.detach().numpy(), **scaled(IG_TOLERANCE[dtype], ours))
    if gap is not None:
        np.testing.assert_allclose(gap, delta.detach().numpy(), **scaled(IG_TOLERANCE[dtype], ours))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ig_with_a_baseline_array_matches_captum(dtype, torch_default_dtype):
    torch_default_dtype(dtype)
    model, x, target = case(dtype)
    baseline = np.random.default_rng(1).uniform(-1, 1, size=x.shape).astype(dtype)
    theirs = captum_attr.IntegratedGradients(to_torch(model)).attribute(
        torch.from_numpy(x), baselines=torch.from_numpy(baseline), target=torch.from_numpy(target), n_steps=50)
    ours = integrated_gradients(model, x, target, baseline=baseline, batch_size=37)
    np.testing.assert_allclose(ours, theirs.detach().numpy(), **scaled(IG_TOLERANCE[dtype], ours))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_smoothgrad_is_captums_saliency_averaged_over_the_same_noisy_copies(dtype):
    model, x = tiny_model(dtype=dtype)
    target = model(x).argmax(axis=1)
    n, noise_level, seed = 12, 0.2, 9
    # The documented draw: copy k adds sigma * noise[k], noise from seed, sigma from each row's range.
    noise = np.random.default_rng(seed).standard_normal((n, *x.shape[1:])).astype(dtype)
    sigma = (noise_level * (x.max(axis=(1, 2)) - x.min(axis=(1, 2))))[:, None, None].astype(dtype)
    saliency = captum_attr.Saliency(to_torch(model))
    grads = np.stack([saliency.attribute(torch.from_numpy(x + sigma * noise[k]), target=torch.from_numpy(target),
                                         abs=False).detach().numpy() for k in range(n)])
    expected = {"smoothgrad": grads.mean(axis=0), "smoothgrad_sq": (grads ** 2).mean(axis=0),
                "vargrad": grads.var(axis=0)}
    for kind, value in expected.items():
        ours = smoothgrad(model, x, target, n=n, noise_level=noise_level, kind=kind, seed=seed, batch_size=5)
        tolerance = TOLERANCE[dtype] if kind != "vargrad" else dict(rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(ours, value, **scaled(tolerance, value), err_msg=kind)


def test_noise_tunnel_agrees_in_distribution():
    # Different noise, same estimator: with many copies both approach E[grad(x + eps)].
    model, x = tiny_model(dtype=np.float64)
    target = model(x).argmax(axis=1)
    torch.manual_seed(0)
    tunnel = captum_attr.NoiseTunnel(captum_attr.Saliency(to_torch(model)))
    sigma = float(0.15 * (x[0].max() - x[0].min()))
    theirs = tunnel.attribute(torch.from_numpy(x[:1]), nt_type="smoothgrad", nt_samples=2000, stdevs=sigma,
                              target=int(target[0]), abs=False).detach().numpy()
    ours = smoothgrad(model, x[:1], int(target[0]), n=2000, seed=0)
    assert np.abs(ours - theirs).max() <= 0.1 * np.abs(ours).max()
