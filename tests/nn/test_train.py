"""Training: a few steps of SGD-momentum or Adam lower the loss; fit is reproducible under a seed."""
import numpy as np
import pytest

from minixai.nn import SGD, Adam, Conv1d, Dense, Flatten, ReLU, Sequential, accuracy, fit, train_step


def toy_data(n: int = 32, seed: int = 0):
    """Length-8 signals: class 0 has a bump on the left half, class 1 on the right half."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(scale=0.1, size=(n, 1, 8)).astype(np.float32)
    x[np.arange(n), 0, 1 + 4 * y] += 1.0
    return x, y


def toy_model(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential([("conv", Conv1d(1, 4, 3, padding=1, rng=rng)), ("relu", ReLU()),
                       ("flatten", Flatten()), ("fc", Dense(32, 2, rng=rng))])


@pytest.mark.parametrize("make_optimizer", [lambda m: SGD(m, lr=0.1, momentum=0.9), lambda m: Adam(m, lr=0.03)],
                         ids=["sgd-momentum", "adam"])
def test_a_few_training_steps_lower_the_loss(backend, make_optimizer):
    x, y = toy_data(16)
    model = toy_model()
    optimizer = make_optimizer(model)
    losses = [train_step(model, x, y, optimizer, backend=backend) for _ in range(10)]
    assert losses[-1] < 0.7 * losses[0], losses


def test_fit_is_reproducible_under_a_seed_and_depends_on_it():
    x, y = toy_data(40)
    runs = []
    for seed in (5, 5, 6):
        model = toy_model()
        history = fit(model, x, y, epochs=2, batch_size=8, optimizer=SGD(model, lr=0.05, momentum=0.9), seed=seed,
                      progress=False, backend="numpy")
        runs.append((history["loss"], model.state_dict()))
    (loss_a, state_a), (loss_b, state_b), (loss_c, state_c) = runs
    assert loss_a == loss_b
    for key in state_a:
        np.testing.assert_array_equal(state_a[key], state_b[key])
    assert loss_a != loss_c  # another seed shuffles the batches differently


@pytest.mark.backends("numpy", "numba")
def test_fit_reports_a_loss_and_a_validation_accuracy_per_epoch_and_learns_the_toy_task(backend):
    x, y = toy_data(64)
    x_val, y_val = toy_data(32, seed=1)
    model = toy_model()
    history = fit(model, x, y, epochs=3, batch_size=16, optimizer=Adam(model, lr=0.02), x_val=x_val, y_val=y_val,
                  progress=False, backend=backend)
    assert len(history["loss"]) == 3 and len(history["val_accuracy"]) == 3
    assert history["seconds"] > 0
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] == accuracy(model, x_val, y_val, backend=backend) >= 0.9


def test_accuracy_is_the_fraction_of_correct_predictions():
    model = Sequential([("fc", Dense(2, 2, bias=False))])
    model.layers["fc"].weight[...] = np.eye(2)  # predicts the larger coordinate
    x = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
    assert accuracy(model, x, np.array([0, 1, 1, 0]), backend="numpy") == 0.5
