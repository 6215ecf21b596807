"""SmoothGrad, SmoothGrad-squared and VarGrad: what they reduce to, and that a seed fixes them."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import NonFiniteError, ParameterError, UnknownNameError
from minixai.explain import saliency, smoothgrad
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees, model_cases


@given(model_cases())
def test_noise_level_zero_gives_the_plain_gradient(case):
    model, x = case.model, case.x
    gradient = saliency(model, x, signed=True)
    np.testing.assert_allclose(smoothgrad(model, x, n=3, noise_level=0), gradient, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(smoothgrad(model, x, n=3, noise_level=0, kind="smoothgrad_sq"), gradient ** 2,
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(smoothgrad(model, x, n=3, noise_level=0, kind="vargrad"), 0, atol=1e-14)


@given(model_cases(), st.integers(1, 9), st.sampled_from(["smoothgrad", "smoothgrad_sq", "vargrad"]))
def test_same_seed_gives_the_same_map_whatever_the_batch_size(case, batch_size, kind):
    model, x = case.model, case.x
    small = smoothgrad(model, x, n=4, kind=kind, seed=7, batch_size=batch_size)
    large = smoothgrad(model, x, n=4, kind=kind, seed=7, batch_size=100)
    np.testing.assert_allclose(small, large, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["smoothgrad", "smoothgrad_sq", "vargrad"])
def test_another_seed_draws_other_noise(kind):
    # On a model whose gradient changes near x (ReLUs and a max-pool), other noise gives another
    # map. (Where no noisy copy crosses a kink the gradient is constant and every seed agrees.)
    model, x = tiny_model(seed=2, dtype=np.float64)
    assert not np.array_equal(smoothgrad(model, x, n=4, kind=kind, seed=7), smoothgrad(model, x, n=4, kind=kind, seed=8))


@given(model_cases())
def test_explaining_a_batch_equals_explaining_each_row(case):
    model, x = case.model, case.x
    target = model(x).argmax(axis=1)
    batch = smoothgrad(model, x, target, n=4, seed=3)
    for i in range(len(x)):
        np.testing.assert_allclose(smoothgrad(model, x[i:i + 1], int(target[i]), n=4, seed=3), batch[i:i + 1],
                                   rtol=1e-12, atol=1e-15)


def test_vargrad_is_mean_square_minus_square_mean_and_times_input_scales_by_x():
    model, x = tiny_model(dtype=np.float64)
    mean = smoothgrad(model, x, n=8, seed=1)
    mean_sq = smoothgrad(model, x, n=8, seed=1, kind="smoothgrad_sq")
    np.testing.assert_allclose(smoothgrad(model, x, n=8, seed=1, kind="vargrad"), mean_sq - mean ** 2,
                               atol=1e-14)
    np.testing.assert_allclose(smoothgrad(model, x, n=8, seed=1, times_input=True), x * mean, rtol=1e-14)
    np.testing.assert_allclose(smoothgrad(model, x, n=8, seed=1, kind="smoothgrad_sq", times_input=True),
                               x * x * mean_sq, rtol=1e-14)


def test_sigma_is_per_row_so_a_constant_row_gets_no_noise():
    model, x = tiny_model(dtype=np.float64)
    x = np.stack([np.full_like(x[0], 0.7), x[1]])
    gradient = saliency(model, x, 0, signed=True)
    smooth = smoothgrad(model, x, 0, n=20, noise_level=0.5, seed=0)
    np.testing.assert_allclose(smooth[0], gradient[0], rtol=1e-12, atol=1e-15)
    assert not np.allclose(smooth[1], gradient[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backends_agree_with_numpy(backend, dtype):
    model, x = tiny_model(dtype=dtype)
    for kind in ("smoothgrad", "vargrad"):
        expected = smoothgrad(model, x, n=3, kind=kind, seed=2, batch_size=4, backend="numpy")
        assert_agrees(smoothgrad(model, x, n=3, kind=kind, seed=2, batch_size=4, backend=backend), expected, kind)


def test_bad_input_raises_minixai_errors():
    model, x = tiny_model()
    with pytest.raises(ParameterError, match="n:"):
        smoothgrad(model, x, n=0)
    with pytest.raises(ParameterError, match="noise_level"):
        smoothgrad(model, x, noise_level=-0.1)
    with pytest.raises(UnknownNameError, match="kind"):
        smoothgrad(model, x, kind="smooth")
    with pytest.raises(NonFiniteError, match="x:"):
        smoothgrad(model, np.full_like(x, np.nan))
    with pytest.raises(ParameterError, match="target"):
        smoothgrad(model, x, 5)
