"""DeepLIFT on whole models: summation to delta (Rescale and RevealCancel, ReLU -> overlapping
max-pool included), the gradient fallback at x == x0, equality with gradient x (x - x0) on
linear models, a hand-computed model, references and distributions of references, batch
invariance, backend agreement and bad input."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import NonFiniteError, ParameterError, ShapeError
from minixai.explain import EXPLAINERS, deeplift
from minixai.nn import Conv1d, Conv2d, Dense, Flatten, GlobalAvgPool, MaxPool1d, ReLU, Sequential
from minixai.rules import deeplift_rule
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees, make_array, model_cases, seeds

# Measured over 300 random models (half with ReLU -> overlapping max-pool), float64: max |gap|
# 4.4e-16 with Rescale, 3.3e-16 with RevealCancel.
GAP_TOL = 1e-10


def gradient_of(model, x, target):
    trace = model.trace(x, backend="numpy")
    seed = np.zeros_like(trace.output)
    seed[np.arange(len(x)), target] = 1
    return trace.backward(seed).input


@pytest.mark.parametrize("rule", ["rescale", "reveal_cancel"])
@given(case=model_cases(), seed=seeds(), scale=st.sampled_from([0.0, 0.5, 2.0]))
def test_contributions_sum_to_delta(rule, case, seed, scale):
    x0 = scale * make_array(seed, case.x.shape)
    _, gap = deeplift(case.model, case.x, baseline=x0, rule=rule, return_gap=True, backend="numpy")
    assert np.abs(gap).max() < GAP_TOL


@pytest.mark.parametrize("rule", ["rescale", "reveal_cancel"])
@given(case=model_cases(pool="overlapping"), seed=seeds())
def test_contributions_sum_to_delta_through_relu_into_overlapping_max_pool(rule, case, seed):
    x0 = make_array(seed, case.x.shape)
    _, gap = deeplift(case.model, case.x, baseline=x0, rule=rule, return_gap=True, backend="numpy")
    assert np.abs(gap).max() < GAP_TOL


@pytest.mark.parametrize("rule", ["rescale", "reveal_cancel"])
@given(case=model_cases())
def test_reference_equal_to_input_gives_zero_contributions_without_nan(rule, case):
    attributions, gap = deeplift(case.model, case.x, baseline=case.x, rule=rule, return_gap=True, backend="numpy")
    assert np.all(attributions == 0) and np.all(gap == 0)


@pytest.mark.parametrize("rule", ["rescale", "reveal_cancel"])
@given(case=model_cases(), tiny=st.sampled_from([0.0, 1e-13]))
def test_multipliers_fall_back_to_the_gradient_when_the_reference_is_the_input(rule, case, tiny):
    trace, reference = case.model.trace(case.x, backend="numpy"), case.model.trace(case.x + tiny, backend="numpy")
    seed = np.zeros_like(trace.output)
    seed[:, 0] = 1
    m = trace.backward(seed, rule=deeplift_rule(rule, trace, reference), reference=reference).input
    assert np.all(np.isfinite(m))
    np.testing.assert_allclose(m, gradient_of(case.model, case.x, 0), rtol=1e-12, atol=1e-12)


@given(case=model_cases(), seed=seeds(), dims=st.sampled_from([1, 2]))
def test_without_relu_or_max_pool_deeplift_is_gradient_times_difference(case, seed, dims):
    rng = np.random.default_rng(seed)
    conv = Conv1d(2, 3, 3, padding=1, rng=rng) if dims == 1 else Conv2d(2, 3, 3, padding=1, rng=rng)
    head = [("gap", GlobalAvgPool())] if seed % 2 else [("flatten", Flatten())]
    width = 3 if seed % 2 else 3 * 5 ** dims
    model = Sequential([("conv", conv), *head, ("fc", Dense(width, 4, rng=rng))]).astype(np.float64)
    x = rng.normal(size=(2, 2) + (5,) * dims)
    x0 = rng.normal(size=x.shape)
    target = np.array([0, 3])
    for rule in ("rescale", "reveal_cancel"):
        expected = gradient_of(model, x, target) * (x - x0)
        np.testing.assert_allclose(deeplift(model, x, target, baseline=x0, rule=rule, backend="numpy"),
                                   expected, rtol=1e-12, atol=1e-14)


def test_hand_computed_relu_and_max_pool_model():
    # x -> Conv1d(k=1, w=2) -> ReLU -> MaxPool1d(2) -> y; x = (1, 3), x0 = (2, -1) along L.
    # z = (2, 6), z0 = (4, -2); relu: (2, 6) and (4, 0); pool: y = 6 (x's argmax 1) >= y0 = 4.
    # Δy = 2 goes to position 1, where the ReLU moved by 6: pool multiplier 2 / 6; the ReLU's
    # is (6 - 0) / (6 + 2) and the conv's 2: m = 2 * 3/4 * 1/3 = 1/2, contribution 1/2 * 4 = 2.
    conv = Conv1d(1, 1, 1, bias=False)
    conv.weight = np.full((1, 1, 1), 2.0)
    model = Sequential([("conv", conv), ("relu", ReLU()), ("pool", MaxPool1d(2)), ("flatten", Flatten())])
    x, x0 = np.array([[[1.0, 3.0]]]), np.array([[[2.0, -1.0]]])
    attributions, gap = deeplift(model, x, 0, baseline=x0, return_gap=True, backend="numpy")
    np.testing.assert_allclose(attributions, [[[0.0, 2.0]]], rtol=1e-15)
    assert abs(gap[0]) < 1e-15


def test_batch_invariance():
    model, x = tiny_model(seed=3, dtype=np.float64)
    x0 = np.random.default_rng(3).normal(size=x.shape)
    for rule in ("rescale", "reveal_cancel"):
        whole = deeplift(model, x, 1, baseline=x0, rule=rule, backend="numpy", batch_size=2)
        rows = np.concatenate([deeplift(model, x[i:i + 1], 1, baseline=x0[i:i + 1], rule=rule, backend="numpy")
                               for i in range(len(x))])
        np.testing.assert_allclose(whole, rows, rtol=1e-13, atol=1e-15)
        split = deeplift(model, x, 1, baseline=x0, rule=rule, backend="numpy", batch_size=1)
        np.testing.assert_allclose(whole, split, rtol=1e-13, atol=1e-15)


def test_distribution_of_references_averages_single_reference_contributions():
    model, x = tiny_model(seed=4, dtype=np.float64)
    references = np.random.default_rng(4).normal(size=(3, 1) + x.shape[1:])
    together, gap = deeplift(model, x, 0, baseline=references, return_gap=True, backend="numpy")
    one_by_one = np.mean([deeplift(model, x, 0, baseline=r[0], backend="numpy") for r in references], axis=0)
    np.testing.assert_allclose(together, one_by_one, rtol=1e-13, atol=1e-15)
    assert np.abs(gap).max() < GAP_TOL
    as_list, _ = deeplift(model, x, 0, baseline=[r[0] for r in references], return_gap=True, backend="numpy")
    np.testing.assert_allclose(as_list, together, rtol=1e-15)


@pytest.mark.parametrize("rule", ["rescale", "reveal_cancel"])
def test_backends_agree_with_numpy(backend, rule):
    model, x = tiny_model(seed=5, dtype=np.float64)
    x0 = 0.5 * np.random.default_rng(5).normal(size=x.shape)
    expected, expected_gap = deeplift(model, x, baseline=x0, rule=rule, return_gap=True, backend="numpy")
    actual, gap = deeplift(model, x, baseline=x0, rule=rule, return_gap=True, backend=backend)
    assert_agrees(actual, expected, f"deeplift {rule} on {backend}")
    assert np.abs(gap).max() < GAP_TOL


def test_float32_gap_stays_at_rounding_level():
    model, x = tiny_model(seed=6, dtype=np.float32)
    for rule in ("rescale", "reveal_cancel"):
        attributions, gap = deeplift(model, x, rule=rule, return_gap=True, backend="numba")
        assert attributions.dtype == np.float32 and np.abs(gap).max() < 1e-5


def test_bad_input_raises_minixai_errors():
    model, x = tiny_model(seed=7, dtype=np.float64)
    with pytest.raises(ShapeError, match="baseline"):
        deeplift(model, x, baseline=np.zeros((3, 1, 12)), backend="numpy")
    with pytest.raises(ShapeError, match="baseline"):
        deeplift(model, x, baseline=np.zeros((2, 3, 1, 12)), backend="numpy")
    with pytest.raises(NonFiniteError, match="baseline"):
        deeplift(model, x, baseline=np.full((1, 12), np.nan), backend="numpy")
    with pytest.raises(ParameterError, match="rule"):
        deeplift(model, x, rule="gradient", backend="numpy")
    with pytest.raises(ParameterError, match="target"):
        deeplift(model, x, target=7, backend="numpy")
    assert EXPLAINERS["deeplift"] is deeplift
