"""Training: a few steps of SGD-momentum or Adam lower the loss; fit is reproducible under a seed;
its learning-rate schedule and batch augmentation do what they say."""
import numpy as np
import pytest

from minixai.errors import ParameterError
from minixai.nn import SGD, Adam, Conv1d, Dense, Flatten, ReLU, Sequential, accuracy, cosine_schedule, fit, train_step


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


def test_schedule_scales_the_learning_rate_at_every_step_and_is_restored_after():
    x, y = toy_data(40)
    model = toy_model()
    seen = []

    class Recording(SGD):
        def step(self, grads):
            seen.append(self.lr)
            super().step(grads)

    optimizer = Recording(model, lr=0.05)
    fit(model, x, y, epochs=2, batch_size=8, optimizer=optimizer, schedule=cosine_schedule, progress=False)
    steps = np.arange(10) / 10  # 2 epochs x 5 batches
    np.testing.assert_allclose(seen, 0.05 * 0.5 * (1 + np.cos(np.pi * steps)), rtol=1e-12)
    assert optimizer.lr == 0.05
    assert cosine_schedule(0.0) == 1.0 and abs(cosine_schedule(1.0)) < 1e-15
    # with a warm-up: a linear ramp to 1 over the first tenth, then the cosine over what is left
    np.testing.assert_allclose([cosine_schedule(t, warmup=0.1) for t in (0.0, 0.05, 0.1, 0.55, 1.0)],
                               [0.0, 0.5, 1.0, 0.5, 0.0], atol=1e-15)


def test_a_zero_schedule_leaves_the_model_unchanged():
    x, y = toy_data(16)
    model = toy_model()
    before = model.state_dict()
    fit(model, x, y, epochs=2, batch_size=8, optimizer=SGD(model, lr=0.5), schedule=lambda t: 0.0, progress=False)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_augment_sees_every_batch_with_the_fit_rng_and_its_output_is_what_trains():
    x, y = toy_data(24)
    calls = []

    def mirror(batch, rng):
        calls.append((len(batch), isinstance(rng, np.random.Generator)))
        return batch[:, :, ::-1]

    model, twin = toy_model(), toy_model()
    fit(model, x, y, epochs=2, batch_size=8, optimizer=SGD(model, lr=0.05), augment=mirror, progress=False,
        backend="numpy", seed=3)
    assert calls == [(8, True)] * 6
    # the same run on mirrored data, without augmentation, ends at the same weights (same shuffles)
    fit(twin, x[:, :, ::-1], y, epochs=2, batch_size=8, optimizer=SGD(twin, lr=0.05), progress=False,
        backend="numpy", seed=3)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, twin.state_dict()[key])


def test_augment_and_schedule_must_be_functions():
    x, y = toy_data(8)
    model = toy_model()
    with pytest.raises(ParameterError, match="augment"):
        fit(model, x, y, augment="flip", progress=False)
    with pytest.raises(ParameterError, match="schedule"):
        fit(model, x, y, schedule=0.5, progress=False)
    with pytest.raises(ParameterError, match="warmup"):
        cosine_schedule(0.5, warmup=1.0)
