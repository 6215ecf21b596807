"""Layer-wise relevance propagation (LRP): linear layers redistribute relevance, not gradients.

Bach et al. 2015, https://doi.org/10.1371/journal.pone.0130140; the z+ and z^B rules from
Montavon et al. 2017 (deep Taylor decomposition, https://doi.org/10.1016/j.patcog.2016.11.008).
Relevance R_j at a layer's output is shared among its inputs by their contributions z_ij = x_i w_ij:

    epsilon     R_i = x_i sum_j w_ij R_j / (z_j + eps sign(z_j))           z_j = sum_i z_ij + b_j
    alpha-beta  R_i = sum_j (alpha z_ij^+ / z_j^+ - beta z_ij^- / z_j^-) R_j   z_j^+- = sum_i z_ij^+-
    z^B         R_i = sum_j (x_i w_ij - l_i w_ij^+ - h_i w_ij^-) / sum_i' (same for i') R_j

Every linear cell is the same four steps on the layer's own code, so one cell serves Conv1d,
Conv2d and Dense: z = the layer's forward (weights split into W^+ and W^- on the host where the
rule needs it), s = R / z elementwise, c = the layer's backward (the transposed map W^T s), and
R_in = x * c. The epsilon rule's z_j includes the bias, which absorbs its share of relevance;
alpha-beta (z+ = alpha 1, beta 0) and z^B leave the bias out. Where a neuron's contributions all
have one sign (z_j^- = 0, say), the empty part's share is undefined; minixai then sends all of R_j
through the other part (weight alpha - beta = 1), so alpha-beta conserves relevance exactly on
bias-free ReLU nets. (zennit and Captum drop the empty term, so there a neuron keeps alpha R_j.)
A denominator of exactly 0 sends no relevance back (0 / 0 = 0).

ReLU passes relevance unchanged. Max-pool is winner-take-all: each window's relevance goes to
its forward argmax, the gradient cell's switch routing, one of the two treatments Montavon et al.
2018 ("Methods for interpreting and understanding deep neural networks", Digital Signal
Processing 73) describe; the other spreads it over the window in proportion to the inputs (the
pool read as a z-rule layer). Captum's epsilon rule on a max-pool and zennit's gradient both
reduce to winner-take-all. GlobalAvgPool is a linear layer with weights 1/Z and always gets the
epsilon rule (its inputs follow a ReLU, where epsilon and z+ agree up to eps).

The rule table maps layer types, but z^B belongs to one layer, the first: ``lrp_rule(...,
input_layer="conv1")`` builds a rule whose linear cells compare the record's name ``fwd.name``
with the stored name and use z^B there, the family's own rule elsewhere. Explainer:
``minixai.explain.lrp``; lesson: lessons/10_lrp.py.
"""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from ..errors import ParameterError, UnknownNameError
from ..nn.activation import ReLU
from ..nn.conv import Conv1d, Conv2d
from ..nn.dense import Dense, Flatten
from ..nn.pooling import GlobalAvgPool, MaxPool1d, MaxPool2d
from .base import Rule

DEFAULT_EPSILON = 1e-6
INPUT_RULES = ("zb",)


def positive_part(x):
    """x^+ = max(x, 0)"""
    return x if x > 0.0 else 0.0


def negative_part(x):
    """x^- = min(x, 0)"""
    return x if x < 0.0 else 0.0


def times(a, b):
    return a * b


def minus_product(total, a, b):
    return total - a * b


def difference3(a, b, c):
    return a - b - c


# Scalar functions with a constant are made once per value, so each backend compiles them once.
@lru_cache(maxsize=None)
def stabilised_ratio(epsilon: float):
    def ratio(r_out, z):
        """r_out / (z + eps sign(z)), with sign(0) = +1, and 0 where that is 0"""
        d = z + epsilon if z >= 0.0 else z - epsilon
        return r_out / d if d != 0.0 else 0.0
    return ratio


@lru_cache(maxsize=None)
def one_sided_share(scale: float):
    def share(r_out, z, z_other):
        """scale * r_out / z; all of r_out / z when the other sign has no contributions (z_other = 0)"""
        weight = scale if z_other != 0.0 else 1.0
        return weight * r_out / z if z != 0.0 else 0.0
    return share


def safe_ratio(r_out, z):
    """r_out / z, and 0 where z = 0"""
    return r_out / z if z != 0.0 else 0.0


def _divide(B, ratio, *arrays):
    """B.map for the ratio functions. Compiled loops may divide in every SIMD lane before the
    z != 0 test picks a result, so a discarded x / 0 can set NumPy's floating-point flags; the
    warning would report a division whose result is never used."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return B.map(ratio, *arrays)


def _weights(layer, fwd) -> tuple:
    """(W, W^+, W^-) as backend arrays in x's dtype; the split runs on the host."""
    w = layer.weight.astype(fwd.x.dtype)
    B = fwd.backend
    return fwd.params["weight"], B.asarray(np.maximum(w, 0)), B.asarray(np.minimum(w, 0))


def _sum(B, arrays: list):
    total = arrays[0]
    for a in arrays[1:]:
        total = B.add(total, a)
    return total


def _linear(layer, fwd, x, weight):
    """W x with these weights and no bias: the layer's own forward."""
    return layer.forward(x, fwd.backend, {"weight": weight})[0]


def _transposed(layer, fwd, s, weight):
    """W^T s with these weights: the layer's own backward on a record holding them."""
    return layer.backward(s, replace(fwd, params={"weight": weight}))


def epsilon_cell(epsilon: float):
    ratio = stabilised_ratio(epsilon)

    def lrp_epsilon(layer, r_out, fwd, ref):
        """R_i = x_i sum_j w_ij R_j / (z_j + eps sign(z_j))"""
        B = fwd.backend
        return B.map(times, fwd.x, layer.backward(_divide(B, ratio, r_out, fwd.y), fwd))
    lrp_epsilon.__doc__ = f"R_i = x_i sum_j w_ij R_j / (z_j + {epsilon:g} sign(z_j))"
    return lrp_epsilon


def gap_epsilon_cell(epsilon: float):
    cell = epsilon_cell(epsilon)

    def lrp_gap(layer, r_out, fwd, ref):
        return cell(layer, r_out, fwd, ref)
    lrp_gap.__doc__ = f"R_i = x_i (1/Z) R_j / (y_j + {epsilon:g} sign(y_j)): epsilon rule, weights 1/Z"
    return lrp_gap


def alpha_beta_cell(alpha: float, beta: float, signed_layers=None):
    share_positive, share_negative = one_sided_share(alpha), one_sided_share(-beta)

    def lrp_alpha_beta(layer, r_out, fwd, ref):
        """R_i = sum_j (alpha z_ij^+ / z_j^+ - beta z_ij^- / z_j^-) R_j, z_ij = x_i w_ij, no bias"""
        B = fwd.backend
        _, w_pos, w_neg = _weights(layer, fwd)
        # z_ij > 0 where x_i and w_ij share a sign: (x^+, W^+) and (x^-, W^-) feed z^+, the mixed
        # pairs feed z^-. Behind a ReLU x^- = 0, so only layers that may see a signed input split x.
        if signed_layers is None or fwd.name in signed_layers:
            parts = [(B.map(positive_part, fwd.x), w_pos, w_neg), (B.map(negative_part, fwd.x), w_neg, w_pos)]
        else:
            parts = [(fwd.x, w_pos, w_neg)]
        z_pos = _sum(B, [_linear(layer, fwd, x, w_same) for x, w_same, _ in parts])
        z_neg = _sum(B, [_linear(layer, fwd, x, w_other) for x, _, w_other in parts])
        s_pos, s_neg = _divide(B, share_positive, r_out, z_pos, z_neg), _divide(B, share_negative, r_out, z_neg, z_pos)
        return _sum(B, [B.map(times, x, B.add(_transposed(layer, fwd, s_pos, w_same),
                                              _transposed(layer, fwd, s_neg, w_other)))
                        for x, w_same, w_other in parts])
    if beta == 0:
        lrp_alpha_beta.__doc__ = "R_i = sum_j z_ij^+ / z_j^+ R_j, z_ij = x_i w_ij, no bias (z+)"
    else:
        lrp_alpha_beta.__doc__ = f"R_i = sum_j ({alpha:g} z_ij^+ / z_j^+ - {beta:g} z_ij^- / z_j^-) R_j, z_ij = x_i w_ij, no bias"
    return lrp_alpha_beta


def zb_cell(low: np.ndarray, high: np.ndarray):
    """The z^B cell for inputs bounded by low <= x <= high (host arrays of one input's shape)."""

    def lrp_zb(layer, r_out, fwd, ref):
        """R_i = sum_j (x_i w_ij - l_i w_ij^+ - h_i w_ij^-) / sum_i' (x_i' w_i'j - l_i' w_i'j^+ - h_i' w_i'j^-) R_j"""
        B = fwd.backend
        w, w_pos, w_neg = _weights(layer, fwd)
        l, h = (B.asarray(np.broadcast_to(b, fwd.x.shape).astype(fwd.x.dtype)) for b in (low, high))
        z = B.map(difference3, _linear(layer, fwd, fwd.x, w), _linear(layer, fwd, l, w_pos), _linear(layer, fwd, h, w_neg))
        s = _divide(B, safe_ratio, r_out, z)
        r_in = B.map(times, fwd.x, _transposed(layer, fwd, s, w))
        r_in = B.map(minus_product, r_in, l, _transposed(layer, fwd, s, w_pos))
        return B.map(minus_product, r_in, h, _transposed(layer, fwd, s, w_neg))
    return lrp_zb


def relu_passes_relevance(layer, r_out, fwd, ref):
    """R_in = R_out: relevance crosses a ReLU unchanged"""
    return r_out


def _at_input_layer(input_layer: str, input_cell, cell):
    def lrp_input_switch(layer, r_out, fwd, ref):
        return (input_cell if fwd.name == input_layer else cell)(layer, r_out, fwd, ref)
    here, elsewhere = (c.__doc__.strip().splitlines()[0] for c in (input_cell, cell))
    lrp_input_switch.__doc__ = f"{here} at layer {input_layer!r}; elsewhere {elsewhere}"
    return lrp_input_switch


def lrp_rule(epsilon: float = DEFAULT_EPSILON, alpha: float | None = None, beta: float | None = None, *,
             input_rule: str | None = None, input_layer: str | None = None, low=None, high=None,
             signed_layers=None, name: str | None = None) -> Rule:
    """An LRP rule: epsilon when ``alpha`` is None, else alpha-beta (beta defaults to alpha - 1).

    input_rule="zb" with ``input_layer`` (its name) and bounds ``low``, ``high`` (arrays or scalars
    broadcastable to that layer's input, one sample) puts z^B on that layer; GlobalAvgPool always
    gets epsilon. signed_layers: names of the layers whose input may be negative (alpha-beta splits
    x by sign there; ``minixai.explain.lrp.signed_input_layers`` finds them); None: every layer.
    Raises ParameterError for epsilon < 0, beta < 0, alpha - beta != 1, low > high.
    """
    if not np.isfinite(epsilon) or epsilon < 0:
        raise ParameterError(f"epsilon: expected a finite number >= 0, got {epsilon!r}")
    if alpha is not None:
        beta = alpha - 1.0 if beta is None else beta
        if not (np.isfinite(alpha) and np.isfinite(beta)) or beta < 0 or abs(alpha - beta - 1.0) > 1e-12:
            raise ParameterError(f"alpha, beta: expected beta >= 0 and alpha - beta = 1 (relevance is conserved), "
                                 f"got alpha={alpha!r}, beta={beta!r}")
    signed_layers = None if signed_layers is None else frozenset(signed_layers)
    linear = epsilon_cell(float(epsilon)) if alpha is None else alpha_beta_cell(float(alpha), float(beta), signed_layers)
    if name is None:
        name = f"lrp_epsilon({epsilon:g})" if alpha is None else f"lrp_alpha_beta({alpha:g}, {beta:g})"
    if input_rule is None:
        if low is not None or high is not None:
            raise ParameterError("low, high: the bounds belong to input_rule='zb'; got input_rule=None")
    elif input_rule not in INPUT_RULES:
        raise UnknownNameError(f"input_rule: unknown name {input_rule!r}; valid names are {', '.join(INPUT_RULES)}")
    else:
        if input_layer is None or low is None or high is None:
            raise ParameterError(f"input_rule='zb': expected input_layer, low and high, got "
                                 f"input_layer={input_layer!r}, low={'given' if low is not None else None}, "
                                 f"high={'given' if high is not None else None}")
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))) or np.any(low > high):
            raise ParameterError("low, high: expected finite bounds with low <= high everywhere")
        linear = _at_input_layer(input_layer, zb_cell(low, high), linear)
        name += f" + zb at {input_layer}"
    return Rule(name, {
        Conv1d: linear,
        Conv2d: linear,
        Dense: linear,
        GlobalAvgPool: gap_epsilon_cell(float(epsilon)),
        Flatten: Flatten.backward,
        ReLU: relu_passes_relevance,
        MaxPool1d: MaxPool1d.backward,
        MaxPool2d: MaxPool2d.backward,
    })


lrp_epsilon = lrp_rule(epsilon=DEFAULT_EPSILON, name="lrp_epsilon")
lrp_zplus = lrp_rule(alpha=1.0, beta=0.0, name="lrp_zplus")
lrp_alpha_beta = lrp_rule(alpha=2.0, beta=1.0, name="lrp_alpha2_beta1")
