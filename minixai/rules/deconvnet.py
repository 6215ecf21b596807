"""DeconvNet's backward rule: back-prop with the ReLU cell masked by the signal, not the input.

Zeiler & Fergus 2014, "Visualizing and understanding convolutional networks",
https://arxiv.org/abs/1311.2901. The middle column of the table "Layer | Forward pass |
DeconvNet | Back-prop w.r.t. input" in seed 003_9e1ffa84955ffc85.txt: convolutions go back
through the transposed (flipped) filters and max-pools through the forward switches, exactly as
back-prop does; only the ReLU row differs. DeconvNet passes the positive part of the signal
arriving from above, whatever the ReLU's input was:

    R_n = R_{n+1} * 1(R_{n+1} > 0)        (back-prop: R_{n+1} * 1(X_n > 0))

So the reconstruction forgets which units were active, apart from the max-pool switches.
"""
from __future__ import annotations

from ..nn.activation import ReLU
from .base import Rule, elementwise
from .gradient import gradient


@elementwise
def relu_deconvnet(r_out):
    """r_in = r_out * 1(r_out > 0)"""
    # >>> exercise rules.1: pass the signal where it is positive, whatever the forward input x was
    signal_mask = r_out > 0.0
    return r_out if signal_mask else 0.0
    # <<< exercise rules.1


deconvnet = Rule("deconvnet", {**gradient.cells, ReLU: relu_deconvnet})
