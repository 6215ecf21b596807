"""SGD with momentum and Adam take exactly PyTorch's steps (torch.optim's documented formulas)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minixai.nn import SGD, Adam, Dense, Sequential
from tests.strategies import make_array, seeds


def model_and_grads(seed: int, steps: int):
    model = Sequential([("fc", Dense(3, 2, rng=seed))]).astype(np.float64)
    grads = [{"fc.weight": make_array(seed + i, (2, 3)), "fc.bias": make_array(seed + 100 + i, (2,))}
             for i in range(steps)]
    return model, grads


def test_sgd_steps_against_the_gradient():
    model, grads = model_and_grads(0, 1)
    before = model.state_dict()
    SGD(model, lr=0.1).step(grads[0])
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(value, before[key] - 0.1 * grads[0][key], rtol=1e-15)


@given(seed=seeds(), lr=st.floats(1e-3, 1.0), momentum=st.floats(0, 0.99), weight_decay=st.sampled_from([0.0, 0.01]))
def test_sgd_with_momentum_follows_pytorchs_formula(seed, lr, momentum, weight_decay):
    # torch.optim.SGD (dampening 0, not Nesterov): g += wd p; v = momentum v + g (v = g at the
    # first step, the same since v starts at 0); p -= lr v.
    model, grads = model_and_grads(seed, 3)
    optimizer = SGD(model, lr=lr, momentum=momentum, weight_decay=weight_decay)
    p = model.state_dict()
    v = {k: np.zeros_like(a) for k, a in p.items()}
    for g in grads:
        optimizer.step(g)
        for k in p:
            v[k] = momentum * v[k] + g[k] + weight_decay * p[k]
            p[k] = p[k] - lr * v[k]
    for k, value in model.state_dict().items():
        np.testing.assert_allclose(value, p[k], rtol=1e-12, atol=1e-14)


@given(seed=seeds(), lr=st.floats(1e-4, 0.1), betas=st.sampled_from([(0.9, 0.999), (0.5, 0.9)]),
       weight_decay=st.sampled_from([0.0, 0.01]))
def test_adam_follows_kingma_and_bas_formula_with_bias_correction(seed, lr, betas, weight_decay):
    model, grads = model_and_grads(seed, 4)
    optimizer = Adam(model, lr=lr, betas=betas, weight_decay=weight_decay)
    b1, b2, eps = betas[0], betas[1], 1e-8
    p = model.state_dict()
    m = {k: np.zeros_like(a) for k, a in p.items()}
    v = {k: np.zeros_like(a) for k, a in p.items()}
    for t, g in enumerate(grads, start=1):
        optimizer.step(g)
        for k in p:
            gk = g[k] + weight_decay * p[k]
            m[k] = b1 * m[k] + (1 - b1) * gk
            v[k] = b2 * v[k] + (1 - b2) * gk ** 2
            p[k] = p[k] - lr * (m[k] / (1 - b1 ** t)) / (np.sqrt(v[k] / (1 - b2 ** t)) + eps)
    for k, value in model.state_dict().items():
        np.testing.assert_allclose(value, p[k], rtol=1e-12, atol=1e-14)


def test_adams_first_step_moves_every_parameter_by_lr_against_the_gradient_sign():
    model, grads = model_and_grads(1, 1)
    before = model.state_dict()
    Adam(model, lr=0.01).step(grads[0])
    for k, value in model.state_dict().items():
        np.testing.assert_allclose(value - before[k], -0.01 * np.sign(grads[0][k]), rtol=1e-6)


@pytest.mark.parametrize("make", [lambda m: SGD(m, lr=0.1, momentum=0.9), lambda m: Adam(m)], ids=["SGD", "Adam"])
def test_optimisers_update_the_models_own_arrays(make):
    model, grads = model_and_grads(2, 1)
    arrays = model.named_parameters()
    make(model).step(grads[0])
    for key, value in model.named_parameters().items():
        assert value is arrays[key]


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_optimiser_steps_equal_torch_optim(name):
    torch = pytest.importorskip("torch")
    model, grads = model_and_grads(3, 5)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in model.state_dict().items()}
    if name == "SGD":
        ours = SGD(model, lr=0.05, momentum=0.9, weight_decay=0.01)
        theirs = torch.optim.SGD(params.values(), lr=0.05, momentum=0.9, weight_decay=0.01)
    else:
        ours = Adam(model, lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)
        theirs = torch.optim.Adam(params.values(), lr=0.01, betas=(0.8, 0.99), weight_decay=0.01)
    for g in grads:
        ours.step(g)
        for k, p in params.items():
            p.grad = torch.tensor(g[k])
        theirs.step()
    for k, value in model.state_dict().items():
        np.testing.assert_allclose(value, params[k].detach().numpy(), rtol=1e-12, atol=1e-14)
