"""Occlusion: exact on linear models, the full window is f(x) - f(baseline), batch and backend invariant."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import ParameterError, ShapeError
from minixai.explain import occlusion
from minixai.explain.occlusion import placements
from tests.explain._perturbation_models import linear_model, linear_weights
from tests.strategies import assert_agrees, model_cases


def expected_linear(w_x: np.ndarray, windows: list) -> np.ndarray:
    """Mean over covering windows of sum_{window} w x (eq. 1 and 2 for y = w.x + b, zero baseline)."""
    total, count = np.zeros_like(w_x), np.zeros(w_x.shape[1:])
    for w in windows:
        total[(slice(None), *w)] += w_x[(slice(None), *w)].sum(axis=tuple(range(1, w_x.ndim)), keepdims=True)
        count[w] += 1
    return total / count


@given(st.sampled_from([(1, 13), (3, 13), (1, 7, 9), (3, 6, 5)]), st.integers(1, 5), st.integers(1, 4),
       st.integers(0, 2))
def test_occlusion_on_a_linear_model_is_w_times_x_summed_over_the_window_averaged_over_covering_windows(
        shape, window, stride, target):
    stride = min(stride, window)
    model = linear_model(shape, k=3, seed=window)
    x = np.random.default_rng(stride).normal(size=(2, *shape))
    R = occlusion(model, x, target, window=window, stride=stride)
    w_x = (linear_weights(model, shape)[target] * x).sum(axis=1)             # (N, *spatial)
    windows = placements(shape[1:], window, stride)
    assert R.shape == (2, 1, *shape[1:])
    np.testing.assert_allclose(R[:, 0], expected_linear(w_x, windows), rtol=1e-10, atol=1e-12)


def test_windows_cover_every_position_and_the_last_one_ends_at_the_edge():
    assert [w[0].start for w in placements((10,), 4, 3)] == [0, 3, 6]
    assert [w[0].start for w in placements((11,), 4, 3)] == [0, 3, 6, 7]
    assert len(placements((64, 64))) == 15 * 15                                  # 8 x 8, stride 4
    assert placements((40,))[0][0] == slice(0, 5)


@given(model_cases())
def test_one_window_over_everything_gives_f_x_minus_f_baseline_everywhere(case):
    model, x = case.model, case.x
    baseline = 0.3
    R = occlusion(model, x, window=x.shape[2:], baseline=baseline)
    y, y0 = model.forward(x), model.forward(np.full_like(x, baseline))
    c = y.argmax(axis=1)
    rows = np.arange(len(x))
    expected = (y[rows, c] - y0[rows, c]).reshape((-1, 1) + (1,) * (x.ndim - 2))
    np.testing.assert_allclose(R, np.broadcast_to(expected, R.shape), rtol=1e-10, atol=1e-12)


@given(model_cases(), st.integers(1, 5))
def test_batch_size_and_batching_of_rows_do_not_change_the_map(case, batch_size):
    model, x = case.model, case.x
    full = occlusion(model, x, 0, window=2, stride=1, batch_size=100)
    np.testing.assert_allclose(occlusion(model, x, 0, window=2, stride=1, batch_size=batch_size), full,
                               rtol=1e-12, atol=1e-13)
    for i in range(len(x)):
        np.testing.assert_allclose(occlusion(model, x[i:i + 1], 0, window=2, stride=1), full[i:i + 1],
                                   rtol=1e-12, atol=1e-13)


def test_a_predict_callable_gives_the_same_map_as_the_model():
    model = linear_model((2, 8, 8))
    x = np.random.default_rng(0).normal(size=(2, 2, 8, 8))
    np.testing.assert_allclose(occlusion(lambda b: model.forward(b), x, 1, window=3),
                               occlusion(model, x, 1, window=3), rtol=1e-12)


def test_every_backend_agrees_with_numpy(backend):
    model = linear_model((2, 6, 6), dtype=np.float32)
    x = np.random.default_rng(1).normal(size=(1, 2, 6, 6)).astype(np.float32)
    assert_agrees(occlusion(model, x, window=3, backend=backend),
                  occlusion(model, x, window=3, backend="numpy"), backend)


def test_bad_windows_baselines_and_predict_functions_raise_named_errors():
    model = linear_model((1, 10))
    x = np.zeros((1, 1, 10))
    with pytest.raises(ParameterError, match="window"):
        occlusion(model, x, window=11)
    with pytest.raises(ShapeError, match="window"):
        occlusion(model, x, window=(2, 2))
    with pytest.raises(ParameterError, match="stride"):
        occlusion(model, x, stride=0)
    with pytest.raises(ParameterError, match="stride"):
        occlusion(model, x, window=2, stride=3)
    with pytest.raises(ShapeError, match="baseline"):
        occlusion(model, x, baseline=np.zeros(3))
    with pytest.raises(ShapeError, match="model"):
        occlusion(lambda b: b[:, 0, 0], x)
    with pytest.raises(ShapeError, match="x"):
        occlusion(model, np.zeros((1, 10)))
