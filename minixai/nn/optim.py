"""Optimisers: SGD with momentum and Adam, updating a model's parameter arrays in place.

``step(grads)`` takes the ``Signals.params`` dict of a backward pass (keys ``conv1.weight``).
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, StateDictError


class Optimizer:
    def __init__(self, model, lr: float):
        if not lr > 0:
            raise ParameterError(f"lr: expected a positive learning rate, got {lr!r}")
        self.params = model.named_parameters()
        self.lr = float(lr)

    def step(self, grads: dict) -> None:
        missing = sorted(set(self.params) - set(grads))
        if missing:
            raise StateDictError(f"grads: missing gradients for {missing}")
        for key, p in self.params.items():
            self.update(key, p, np.asarray(grads[key], dtype=p.dtype))

    def update(self, key: str, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """v = momentum * v + g (+ weight_decay * p); p -= lr * v (PyTorch's SGD)."""

    def __init__(self, model, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(model, lr)
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.velocity = {k: np.zeros_like(p) for k, p in self.params.items()}

    def update(self, key, p, g):
        if self.weight_decay:
            g = g + self.weight_decay * p
        v = self.velocity[key]
        v *= self.momentum
        v += g
        p -= self.lr * v


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): bias-corrected running moments m, v; p -= lr m_hat / (sqrt(v_hat) + eps)."""

    def __init__(self, model, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(model, lr)
        self.beta1, self.beta2 = map(float, betas)
        self.eps, self.weight_decay = float(eps), float(weight_decay)
        self.m = {k: np.zeros_like(p) for k, p in self.params.items()}
        self.v = {k: np.zeros_like(p) for k, p in self.params.items()}
        self.t = 0

    def step(self, grads: dict) -> None:
        self.t += 1
        super().step(grads)

    def update(self, key, p, g):
        if self.weight_decay:
            g = g + self.weight_decay * p
        m, v = self.m[key], self.v[key]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1 ** self.t)
        v_hat = v / (1 - self.beta2 ** self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
