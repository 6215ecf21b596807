"""DeepLIFT's backward rules: multipliers m = C / Δx that make contributions sum to Δy.

Shrikumar, Greenside & Kundaje 2017, "Learning important features through propagating
activation differences", https://arxiv.org/abs/1704.02685 (seed 003_9e1ffa84955ffc85.txt,
slides "03 Gradients: DeepLIFT"). Every unit is compared with its value on a reference input,
Δx = x - x0, and the signal r is a multiplier: r_in Δx_in summed over a layer's inputs equals
r_out Δy_out summed over its outputs, layer by layer (summation to delta), so at the input
sum_i r_i (x_i - x0_i) = y_c(x) - y_c(x0). Cells, in the order of the rule table:

- conv, dense, GlobalAvgPool, Flatten (the linear rule, paper section 3.5.1): multipliers are the
  weights, r_in = W^T r_out: the gradient rule's own cells.
- ReLU, Rescale (3.5.2): r_in = r_out (y - y0) / (x - x0).
- ReLU, RevealCancel (3.5.3): the positive and negative parts of Δx get their own multipliers;
  see ``RevealCancel``.
- max-pool: the paper and the authors' package (``MaxPoolDeepLiftMode.gradient``, its default)
  send the signal to the forward argmax, the gradient, which breaks summation to delta wherever
  the reference's maximum sits elsewhere in the window. Here each window's Δy goes
  whole to one input: the argmax of x when y >= y0, else the argmax of x0 (the two-switch rule of
  Captum's DeepLift). That input moved at least as far as the maximum did, in the same direction,
  so the multiplier Δy / Δx_winner lies in [0, 1], like Rescale's: a max-pool window is a ReLU with
  more inputs than one. Captum scatters with max_unpool, which keeps one value where overlapping
  windows (kernel > stride) share a winner; here the switches' scatter adds them, so summation to
  delta holds for overlapping windows too.

Explainer: ``minixai.explain.deeplift``; lesson: lessons/09_deeplift.py.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import NotApplicableError, ParameterError
from ..nn.activation import ReLU
from ..nn.conv import Conv1d, Conv2d
from ..nn.dense import Dense
from ..nn.pooling import MaxPool1d, MaxPool2d
from .base import Rule
from .gradient import gradient

# Where |x - x0| < EPS a ratio Δy / Δx is 0 / 0 (x == x0 exactly, e.g. explaining the reference
# itself) or nearly so; the cells then use the gradient instead. For ReLU and max-pool |Δy| <= |Δx|,
# so the contribution lost there is below |r_out| * EPS: summation to delta is unharmed.
EPS = 1e-10


def discarded_branches():
    """Silence NumPy's float warnings while a compiled map runs: Numba's SIMD code evaluates both
    sides of ``ratio if apart else gradient``, and a 0 / 0 on the discarded side raises the flag."""
    return np.errstate(divide="ignore", invalid="ignore")


def difference(a, b):
    return a - b


def rescale_ratio(r_out, x, y, x0, y0):
    # >>> exercise rules.3: multiplier r_out * (y - y0) / (x - x0); the gradient where |x - x0| <= EPS
    dx = x - x0
    if dx > EPS or dx < -EPS:
        return r_out * (y - y0) / dx
    return r_out if x > 0.0 else 0.0
    # <<< exercise rules.3


def relu_rescale(layer, r_out, fwd, ref):
    """r_in = r_out * (y - y0) / (x - x0), gradient where x ~ x0"""
    with discarded_branches():
        return fwd.backend.map(rescale_ratio, r_out, fwd.x, fwd.y, ref.x, ref.y)


def credit_if_raised(r_out, y, y0):
    return r_out * (y - y0) if y >= y0 else 0.0


def credit_if_lowered(r_out, y, y0):
    return r_out * (y - y0) if y < y0 else 0.0


def per_unit_of_input(credit, gradient_signal, x, x0):
    dx = x - x0
    if dx > EPS or dx < -EPS:
        return credit / dx
    return gradient_signal


def maxpool_backward(layer, r_out, fwd, ref):
    """r_in = r_out (y - y0) / (x - x0) at the winner: argmax x if y >= y0, else argmax x0"""
    B = fwd.backend
    shape = fwd.x.shape if len(fwd.x.shape) == 4 else (fwd.x.shape[0], fwd.x.shape[1], 1, fwd.x.shape[2])
    as_image = (lambda a: a) if len(fwd.x.shape) == 4 else (lambda a: B.reshape(a, (*a.shape[:2], 1, a.shape[2])))
    r, y, y0 = as_image(r_out), as_image(fwd.y), as_image(ref.y)
    raised = B.maxpool2d_backward(B.map(credit_if_raised, r, y, y0), fwd.saved["switches"], shape)
    lowered = B.maxpool2d_backward(B.map(credit_if_lowered, r, y, y0), ref.saved["switches"], shape)
    # Overlapping windows that share a winner add their credits here, before the division.
    credit = B.add(raised, lowered)
    gradient_signal = B.maxpool2d_backward(r, fwd.saved["switches"], shape)
    with discarded_branches():
        r_in = B.map(per_unit_of_input, credit, gradient_signal, as_image(fwd.x), as_image(ref.x))
    return B.reshape(r_in, fwd.x.shape)


rescale = Rule("deeplift_rescale", {**gradient.cells, ReLU: relu_rescale,
                                    MaxPool1d: maxpool_backward, MaxPool2d: maxpool_backward},
               needs_reference=True)


def positive_difference(x, x0):
    return x - x0 if x > x0 else 0.0


def negative_difference(x, x0):
    return x - x0 if x < x0 else 0.0


def reveal_positive(r_out, x, x0, dpos, dneg):
    up, down, both = x0 + dpos, x0 + dneg, x0 + dpos + dneg
    impact = 0.5 * ((up if up > 0.0 else 0.0) - (x0 if x0 > 0.0 else 0.0)) \
        + 0.5 * ((both if both > 0.0 else 0.0) - (down if down > 0.0 else 0.0))
    if dpos > EPS:
        return r_out * impact / dpos
    return r_out if x > 0.0 else 0.0


def reveal_negative(r_out, x, x0, dpos, dneg):
    up, down, both = x0 + dpos, x0 + dneg, x0 + dpos + dneg
    impact = 0.5 * ((down if down > 0.0 else 0.0) - (x0 if x0 > 0.0 else 0.0)) \
        + 0.5 * ((both if both > 0.0 else 0.0) - (up if up > 0.0 else 0.0))
    if dneg < -EPS:
        return r_out * impact / dneg
    return r_out if x > 0.0 else 0.0


def by_sign_of_difference(aligned, crossed, x, x0):
    if x > x0:
        return aligned
    if x < x0:
        return crossed
    return 0.5 * (aligned + crossed)


class RevealCancel(Rule):
    """DeepLIFT RevealCancel (paper section 3.5.3), built for one explanation: ``RevealCancel(trace, reference)``.

    A ReLU's input z = W a + b (a conv or dense layer right below it) moves by Δz = Δz+ + Δz-, the
    sums of the positive and of the negative terms w_ji Δa_i (the paper's linear rule splits by
    the sign of each term). RevealCancel gives each part its own multiplier,

        Δy+ = 1/2 (f(z0 + Δz+) - f(z0)) + 1/2 (f(z0 + Δz- + Δz+) - f(z0 + Δz-))    m+ = Δy+ / Δz+
        Δy- = 1/2 (f(z0 + Δz-) - f(z0)) + 1/2 (f(z0 + Δz+ + Δz-) - f(z0 + Δz+))    m- = Δy- / Δz-

    so that Δy+ + Δy- = Δy, and the linear layer sends r+ = r_out m+ back along its positive terms
    and r- = r_out m- along its negative ones: where Δa_i > 0 the positive terms are those with
    w > 0, so r_in = W+^T r+ + W-^T r-; where Δa_i < 0, r_in = W+^T r- + W-^T r+ (W± the weights'
    positive and negative parts; at Δa_i = 0, where the contribution is 0 either way, their mean).
    Summation to delta holds exactly: sum_i r_in_i Δa_i = sum_j (r+_j Δz+_j + r-_j Δz-_j) =
    sum_j r_out_j (Δy+_j + Δy-_j) = sum_j r_out_j Δy_j.

    The constructor walks the two traces forward once and keeps Δz± at every ReLU fed by a conv
    or dense layer. On the way down the ReLU cell leaves r± for the layer below and returns the
    Rescale multiplier (what ``keep`` shows; it gives the same contribution r Δz); the linear cell
    picks r± up. A ReLU fed by any other layer has Δz+ = max(Δz, 0) and Δz- = min(Δz, 0), where
    RevealCancel equals Rescale. Constructed without traces the rule only documents its cells.
    """

    def __init__(self, trace=None, reference=None):
        linear = {Conv1d: self.linear_backward, Conv2d: self.linear_backward, Dense: self.linear_backward}
        super().__init__("deeplift_reveal_cancel", {**rescale.cells, **linear, ReLU: self.relu_backward},
                         needs_reference=True)
        self.prepared = trace is not None
        self.parts, self.weights, self.split = {}, {}, {}
        if trace is None:
            return
        if reference is None or reference.names != trace.names:
            raise ParameterError(f"reference: expected a trace through the same layers {trace.names}, "
                                 f"got {None if reference is None else reference.names}")
        B = trace.backend
        for below, above, below0 in zip(trace.records, trace.records[1:], reference.records):
            layer = trace.model.layers[below.name]
            if isinstance(trace.model.layers[above.name], ReLU) and isinstance(layer, (Conv2d, Dense)):
                self.parts[above.name] = (below.name, *self._split_differences(layer, below, below0, B))

    def _split_differences(self, layer, fwd, ref, B) -> tuple:
        """(Δz+, Δz-) at the layer's output: W± applied to the positive and negative parts of Δa, no bias."""
        dtype = fwd.x.dtype
        w_pos = B.asarray(np.maximum(layer.weight, 0).astype(dtype))
        w_neg = B.asarray(np.minimum(layer.weight, 0).astype(dtype))
        self.weights[fwd.name] = (w_pos, w_neg)
        a_pos, a_neg = B.map(positive_difference, fwd.x, ref.x), B.map(negative_difference, fwd.x, ref.x)

        def apply(a, w):
            return type(layer).forward(layer, a, B, {"weight": w})[0]

        return B.add(apply(a_pos, w_pos), apply(a_neg, w_neg)), B.add(apply(a_pos, w_neg), apply(a_neg, w_pos))

    def relu_backward(self, layer, r_out, fwd, ref):
        """r+ = r_out Δy+ / Δz+, r- = r_out Δy- / Δz- (Δy± half-averaged impacts)"""
        if not self.prepared:
            raise NotApplicableError("rule 'deeplift_reveal_cancel': build it for the explanation at hand, "
                                     "RevealCancel(trace, reference_trace)")
        returned = relu_rescale(layer, r_out, fwd, ref)
        if fwd.name in self.parts:
            below, dpos, dneg = self.parts[fwd.name]
            B = fwd.backend
            with discarded_branches():
                self.split[below] = (returned, B.map(reveal_positive, r_out, fwd.x, ref.x, dpos, dneg),
                                     B.map(reveal_negative, r_out, fwd.x, ref.x, dpos, dneg))
        return returned

    def linear_backward(self, layer, r_out, fwd, ref):
        """r_in = W+^T r+ + W-^T r- where Δx > 0, W+^T r- + W-^T r+ where Δx < 0"""
        if fwd.name not in self.split:
            return type(layer).backward(layer, r_out, fwd, ref)
        B = fwd.backend
        returned, r_pos, r_neg = self.split.pop(fwd.name)
        if r_out is not returned:
            # A signal injected between the ReLU and this layer multiplies Δz as a whole: both parts.
            extra = B.map(difference, r_out, returned)
            r_pos, r_neg = B.add(r_pos, extra), B.add(r_neg, extra)
        w_pos, w_neg = self.weights[fwd.name]

        def back(r, w):
            return type(layer).backward(layer, r, replace(fwd, params={"weight": w}), ref)

        aligned = B.add(back(r_pos, w_pos), back(r_neg, w_neg))
        crossed = B.add(back(r_neg, w_pos), back(r_pos, w_neg))
        return B.map(by_sign_of_difference, aligned, crossed, fwd.x, ref.x)


reveal_cancel = RevealCancel()

RULES = {"rescale": rescale, "reveal_cancel": reveal_cancel}


def deeplift_rule(name: str, trace, reference) -> Rule:
    """The DeepLIFT rule ``name`` ("rescale" or "reveal_cancel") ready for this pair of traces."""
    if name == "rescale":
        return rescale
    if name == "reveal_cancel":
        return RevealCancel(trace, reference)
    raise ParameterError(f"rule: expected 'rescale' or 'reveal_cancel', got {name!r}")
