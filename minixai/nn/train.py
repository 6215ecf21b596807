"""Training: mini-batch gradient descent on softmax cross-entropy, with a tqdm progress bar."""
from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm

from ..errors import ParameterError, ShapeError, as_float_array
from .layer import positive_int
from .loss import softmax_cross_entropy
from .optim import Adam


def train_step(model, x: np.ndarray, y: np.ndarray, optimizer, backend=None) -> float:
    """One forward, backward and update on a batch; returns the batch loss."""
    trace = model.trace(x, backend=backend)
    loss, dlogits = softmax_cross_entropy(trace.output, y)
    optimizer.step(trace.backward(dlogits, params=True).params)
    return loss


def accuracy(model, x, y, batch_size: int = 500, backend=None) -> float:
    """Fraction of rows of x whose predicted class is y."""
    return float(np.mean(model.predict(x, batch_size, backend) == np.asarray(y)))


def cosine_schedule(progress: float, warmup: float = 0.0) -> float:
    """Learning-rate factor at the fraction t of training done: 0.5 (1 + cos(pi t)), 1 -> 0
    (Loshchilov & Hutter 2017, SGDR, without restarts). With ``warmup`` w in (0, 1) the factor
    first rises linearly from 0 to 1 over t < w (Goyal et al. 2017), then follows the cosine
    over [w, 1]."""
    if not 0.0 <= warmup < 1.0:
        raise ParameterError(f"warmup: expected a fraction in [0, 1), got {warmup!r}")
    if progress < warmup:
        return progress / warmup
    return float(0.5 * (1.0 + np.cos(np.pi * (progress - warmup) / (1.0 - warmup))))


def fit(model, x, y, *, epochs: int = 10, batch_size: int = 64, optimizer=None, seed: int = 0,
        x_val=None, y_val=None, progress: bool = True, backend=None, augment=None, schedule=None) -> dict:
    """Train ``model`` on (x, y) for ``epochs`` passes over shuffled mini-batches.

    optimizer: default Adam(lr=1e-3). ``augment(x_batch, rng) -> x_batch`` (optional) draws a
    fresh variant of every batch, so no epoch sees the same inputs (random flips, say).
    ``schedule(t) -> factor`` (optional) scales the optimiser's learning rate at each step by a
    function of the fraction t in [0, 1) of the steps done (``cosine_schedule``, say). Shuffling
    and augmentation use ``np.random.default_rng(seed)``, so a run is reproducible. Returns a
    history: loss per epoch, validation accuracy per epoch (when x_val is given) and the wall
    time in seconds.
    """
    x = as_float_array(x, "x")
    y = np.asarray(y)
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise ShapeError(f"y: expected {len(x)} integer labels, got shape {y.shape} dtype {y.dtype}")
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    if len(x) == 0:
        raise ParameterError("x: expected at least one training example, got 0")
    for value, what in ((augment, "augment"), (schedule, "schedule")):
        if value is not None and not callable(value):
            raise ParameterError(f"{what}: expected a function or None, got {type(value).__name__}")
    optimizer = optimizer or Adam(model, lr=1e-3)
    base_lr = optimizer.lr
    rng = np.random.default_rng(seed)
    history = {"loss": [], "val_accuracy": []}
    start = time.perf_counter()
    batches = range(0, len(x), batch_size)
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for epoch in bar:
        order = rng.permutation(len(x))
        losses = []
        for step, i in enumerate(batches):
            if schedule is not None:
                optimizer.lr = base_lr * float(schedule((epoch * len(batches) + step) / (epochs * len(batches))))
            x_batch = x[order[i:i + batch_size]]
            if augment is not None:
                x_batch = augment(x_batch, rng)
            losses.append(train_step(model, x_batch, y[order[i:i + batch_size]], optimizer, backend))
        history["loss"].append(float(np.mean(losses)))
        status = {"loss": f"{history['loss'][-1]:.4f}"}
        if x_val is not None:
            history["val_accuracy"].append(accuracy(model, x_val, y_val, backend=backend))
            status["val_acc"] = f"{history['val_accuracy'][-1]:.3f}"
        bar.set_postfix(status)
    optimizer.lr = base_lr
    history["seconds"] = time.perf_counter() - start
    return history
