"""Layer-wise relevance propagation: the class score shared out over the input, layer by layer.

Bach, Binder, Montavon, Klauschen, Müller & Samek 2015, "On pixel-wise explanations for
non-linear classifier decisions by layer-wise relevance propagation", PLoS ONE,
https://doi.org/10.1371/journal.pone.0130140; z+ and z^B from Montavon et al. 2017.
Seed 003_9e1ffa84955ffc85.txt, slide "How can we find the important parts of the input for a
given prediction? Second idea: backpropagate importance" (LRP is among its examples).

    R^(L) = y_c one-hot at the target,   R_i = sum_j (z_ij / z_j) R_j   layer by layer,
    conservation: sum_i R_i = y_c, up to what biases and epsilon absorb (the returned gap).

The rules (epsilon, alpha-beta, z+, z^B at the input) are cells of ``minixai.rules.lrp``.
epsilon defaults to 1e-6: only a guard against dividing by zero, so the map is LRP-0, which on
ReLU networks equals gradient x input; raise it (Montavon et al.'s 2019 LRP tutorial uses 0.1
times the spread of z_j) to absorb weak, contradictory contributions. Lesson: lessons/10_lrp.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import NotApplicableError, ParameterError, ShapeError, UnknownNameError
from ..nn.activation import ReLU
from ..nn.conv import Conv2d
from ..nn.dense import Dense, Flatten
from ..nn.layer import positive_int
from ..nn.pooling import GlobalAvgPool, MaxPool2d
from ..rules.lrp import DEFAULT_EPSILON, lrp_rule
from .common import _rows, check_input, one_hot, resolve_target

RULES = ("epsilon", "zplus", "alpha_beta")


def input_layer(model) -> str:
    """The first conv or dense layer: where the input rule goes (only Flatten may come before it)."""
    for name, layer in model.layers.items():
        if isinstance(layer, (Conv2d, Dense)):
            return name
        if not isinstance(layer, Flatten):
            break
    raise NotApplicableError(f"input_rule: the model must start with a conv or dense layer (after Flatten), "
                             f"got layers {model.names[:2]}")


def signed_input_layers(model) -> set:
    """Names of the conv and dense layers whose input may be negative: those with no ReLU between
    them and the model's input or the previous conv/dense layer (max-pool, GAP, Flatten keep signs)."""
    signed, behind_relu = set(), False
    for name, layer in model.layers.items():
        if isinstance(layer, (Conv2d, Dense)):
            if not behind_relu:
                signed.add(name)
            behind_relu = False
        elif isinstance(layer, ReLU):
            behind_relu = True
        elif not isinstance(layer, (MaxPool2d, GlobalAvgPool, Flatten)):
            behind_relu = False
    return signed


def _bounds(model, x: np.ndarray, low, high, name: str) -> tuple:
    """low, high broadcast to one input's shape, checked against x, shaped for layer ``name``'s input."""
    sample = x.shape[1:]
    bounds = []
    for what, b in (("low", low), ("high", high)):
        b = np.asarray(b, dtype=np.float64)
        try:
            bounds.append(np.broadcast_to(b, sample))
        except ValueError:
            raise ShapeError(f"{what}: expected a scalar or an array broadcastable to one input's shape {sample}, "
                             f"got shape {b.shape}") from None
    low, high = bounds
    if np.any(x < low) or np.any(x > high):
        raise ParameterError(f"low, high: expected low <= x <= high, got x in [{x.min():g}, {x.max():g}]")
    names = model.names
    if names.index(name) > 0:
        sample = model.output_shape(x[:1].shape, stop=names[names.index(name) - 1])[1:]
    return low.reshape(sample), high.reshape(sample)


def lrp(model, x, target=None, *, rule: str = "epsilon", epsilon: float = DEFAULT_EPSILON, alpha: float = 1.0,
        beta: float = 0.0, input_rule: str | None = None, low=None, high=None, return_gap: bool = False,
        batch_size: int = 256, backend=None):
    """Relevance R (x's shape) for y_target; with return_gap, also (N,) sum(R) - y_target.

    rule: "epsilon", "zplus" (alpha 1, beta 0) or "alpha_beta" (alpha - beta = 1). input_rule:
    None (z^B when low and high are given, else the layer's own rule) or "zb" (needs low, high:
    scalars or arrays broadcastable to one input, with low <= x <= high).
    """
    x = check_input(model, x)
    batch_size = positive_int(batch_size, "batch_size")
    if rule not in RULES:
        raise UnknownNameError(f"rule: unknown name {rule!r}; valid names are {', '.join(RULES)}")
    if input_rule is None and low is not None and high is not None:
        input_rule = "zb"
    options = {"signed_layers": signed_input_layers(model)}
    if input_rule is not None:
        name = input_layer(model)
        bounds = _bounds(model, x, low, high, name) if low is not None and high is not None else (low, high)
        options.update(input_rule=input_rule, input_layer=name, low=bounds[0], high=bounds[1])
    elif low is not None or high is not None:
        raise ParameterError("low, high: give both bounds (for the z^B input rule), got only one")
    alpha_beta = {"epsilon": (None, None), "zplus": (1.0, 0.0), "alpha_beta": (alpha, beta)}[rule]
    relevance_rule = lrp_rule(epsilon, *alpha_beta, **options)
    relevance, gaps = [], []
    for i in range(0, len(x), batch_size):
        trace = model.trace(x[i:i + batch_size], backend=backend)
        logits = trace.output
        t = resolve_target(None if target is None else _rows(target, len(x), i, batch_size), logits)
        score = logits[np.arange(len(t)), t]
        r = trace.backward(one_hot(t, logits.shape[1], logits.dtype) * logits, rule=relevance_rule).input
        relevance.append(r)
        gaps.append(r.reshape(len(r), -1).sum(axis=1) - score)
    relevance = np.concatenate(relevance) if relevance else np.zeros_like(x)
    gaps = np.concatenate(gaps) if gaps else np.zeros(0, x.dtype)
    return (relevance, gaps) if return_gap else relevance
