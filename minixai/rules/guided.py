"""Guided backprop's backward rule: at a ReLU, back-prop's mask and DeconvNet's mask together.

Springenberg, Dosovitskiy, Brox & Riedmiller 2015, "Striving for simplicity: the all
convolutional net", https://arxiv.org/abs/1412.6806. Beside the table "Layer | Forward pass |
DeconvNet | Back-prop w.r.t. input" of seed 003_9e1ffa84955ffc85.txt (and the "Guided
Backpropagation" section of seed 004_2a6fa647e63a0a0a.txt) it is a fourth column: every cell is
back-prop's except the ReLU, which lets a signal through only where the forward input was
positive (back-prop's mask) *and* the signal itself is positive (DeconvNet's mask):

    R_n = R_{n+1} * 1(X_n > 0) * 1(R_{n+1} > 0)

Negative signals, the evidence that a unit suppresses the class, never reach the input.
"""
from __future__ import annotations

from ..nn.activation import ReLU
from .base import Rule, elementwise
from .gradient import gradient


@elementwise
def relu_guided(r_out, x):
    """r_in = r_out * 1(x > 0) * 1(r_out > 0)"""
    # >>> exercise rules.2: back-prop's mask (x > 0) and DeconvNet's mask (r_out > 0) together
    forward_mask = x > 0.0
    signal_mask = r_out > 0.0
    return r_out if forward_mask and signal_mask else 0.0
    # <<< exercise rules.2


guided = Rule("guided", {**gradient.cells, ReLU: relu_guided})
