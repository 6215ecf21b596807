"""RISE: the Monte Carlo sum converges to its expectation, a seed fixes it, batching does not change it."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.errors import ParameterError, ShapeError
from minixai.explain import rise
from minixai.explain._cam import interpolation_matrix
from minixai.explain.rise import draw_masks, masks_of
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees, model_cases


def linear_game(W, b):
    """predict(z) = W z + b, each row on its own (no BLAS batching: exact whatever the batch)."""
    return lambda z: np.stack([W @ row.ravel() + b for row in z])


def mask_second_moment(spatial, cells):
    """C with E[M_k M_j] = p (1 - p) C_kj + p^2: the mean over shifts of A_t A_t^T, A_t = crop of Up."""
    per_axis = []
    for size, s in zip(spatial, cells):
        cell = -(-size // s)
        up = interpolation_matrix(s, (s + 1) * cell)
        per_axis.append(np.mean([up[t:t + size] @ up[t:t + size].T for t in range(cell)], axis=0))
    C = per_axis[0]
    for P in per_axis[1:]:  # shifts along the axes are independent: the 2-D moment is a Kronecker product
        C = np.kron(C, P)
    return C


@pytest.mark.parametrize("spatial, cells", [((40,), 8), ((9, 8), 3)])
def test_rise_on_a_linear_model_converges_to_its_expectation(spatial, cells):
    # f(x * M) = sum_k w_k x_k M_k + b and E[M_j] = p (interpolation weights sum to one), so
    # E[f(x * M) M_j] / p = (1/p) [sum_k w_k x_k (p (1 - p) C_kj + p^2) + b p].
    rng = np.random.default_rng(0)
    size, p = int(np.prod(spatial)), 0.5
    x = rng.normal(size=(1, 1, *spatial))
    W, b = rng.normal(size=(3, size)), rng.normal(size=3)
    C = mask_second_moment(spatial, (cells,) * len(spatial))
    wx = W[1] * x.ravel()
    expected = (wx @ (p * (1 - p) * C + p * p) + b[1] * p) / p
    errors = []
    for n in (250, 4000):
        squares = []
        for seed in range(4):
            got = rise(linear_game(W, b), x, 1, n=n, cells=cells, p=p, probability=False, seed=seed)
            assert got.shape == (1, 1, *spatial)
            squares.append(np.mean((got.ravel() - expected) ** 2))
        errors.append(np.sqrt(np.mean(squares)))
    # Monte Carlo: the RMS error (over positions and 4 seeds) falls like 1/sqrt(n), a factor 4 here; allow 2.
    assert errors[1] < errors[0] / 2
    assert errors[1] < 0.05 * np.abs(expected).max()


def test_masks_lie_in_zero_one_and_keep_a_fraction_p_on_average():
    grids, shifts = draw_masks(3000, (7, 7), (64, 64), 0.3, seed=0)
    M = masks_of(grids, shifts, (64, 64))
    assert M.shape == (3000, 64, 64) and M.min() >= 0 and M.max() <= 1
    assert abs(M.mean() - 0.3) < 0.01
    assert set(np.unique(shifts)) <= set(range(10))  # shifts in [0, ceil(64 / 7))


@given(st.integers(1, 50), st.integers(0, 2**16))
def test_same_seed_gives_the_same_map_whatever_the_batch_size(batch_size, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(3, 2, 12)).astype(np.float32)
    game = linear_game(rng.normal(size=(4, 24)).astype(np.float32), np.zeros(4, np.float32))
    whole = rise(game, x, n=300, seed=seed)
    assert np.array_equal(rise(game, x, n=300, seed=seed, batch_size=batch_size), whole)
    rows = np.concatenate([rise(game, x[i:i + 1], int(whole_target), n=300, seed=seed, batch_size=batch_size)
                           for i, whole_target in enumerate(game(x).argmax(1))])
    assert np.array_equal(rows, whole)
    assert not np.array_equal(rise(game, x, n=300, seed=seed + 1), whole)


@given(model_cases())
def test_a_model_and_its_predict_function_give_the_same_map(case):
    model, x = case.model, case.x
    a = rise(model, x, n=64, seed=3)
    np.testing.assert_array_equal(rise(lambda z: model.forward(z), x, n=64, seed=3), a)
    # The model's own batches round a little differently (BLAS); the maps agree to float64 rounding.
    np.testing.assert_allclose(rise(model, x, n=64, seed=3, batch_size=5), a, rtol=1e-12, atol=1e-14)


def test_probability_scores_are_the_softmax_of_the_outputs():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(3, 10))
    x = rng.normal(size=(2, 1, 10))

    def probabilities(z):
        logits = z.reshape(len(z), -1) @ W.T
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(rise(lambda z: z.reshape(len(z), -1) @ W.T, x, 0, n=50, seed=0),
                               rise(probabilities, x, 0, n=50, seed=0, probability=False), rtol=1e-12)


def test_bad_input_raises_minixai_errors():
    game = linear_game(np.ones((2, 8)), np.zeros(2))
    x = np.ones((1, 1, 8))
    with pytest.raises(ParameterError, match="p"):
        rise(game, x, p=0)
    with pytest.raises(ParameterError, match="n"):
        rise(game, x, n=0)
    with pytest.raises(ParameterError, match="cells"):
        rise(game, x, cells=(2, 2))
    with pytest.raises(ParameterError, match="target"):
        rise(game, x, target=5)
    with pytest.raises(ShapeError, match="x"):
        rise(game, np.ones(8))
    with pytest.raises(ParameterError, match="model"):
        rise("not a model", x)


def test_every_backend_agrees_with_numpy(backend):
    model, x = tiny_model(seed=2, dtype=np.float64)
    assert_agrees(rise(model, x, n=16, seed=0, backend=backend), rise(model, x, n=16, seed=0, backend="numpy"), "rise")
