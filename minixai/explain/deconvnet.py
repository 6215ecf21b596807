"""DeconvNet: the class score's signal sent back with ReLUs that pass only positive signal.

Zeiler & Fergus 2014, "Visualizing and understanding convolutional networks",
https://arxiv.org/abs/1311.2901. Seed 003_9e1ffa84955ffc85.txt, the table "Layer | Forward
pass | DeconvNet | Back-prop w.r.t. input": the signal goes back through transposed filters
and max-pool switches like the gradient, but at each ReLU

    R_n = R_{n+1} * 1(R_{n+1} > 0)          (back-prop: * 1(X_n > 0) instead)

The rule is ``minixai.rules.deconvnet``. Because the ReLU no longer looks at which units were
active, the map depends on the input only through the max-pool switches, and hardly on the
class explained (Nie, Zhang & Patel 2018, https://arxiv.org/abs/1805.07039): lesson
07_deconvnet.py measures that. The result is the signed reconstruction R_0 at the input.
"""
from __future__ import annotations

import numpy as np

from ..rules.deconvnet import deconvnet as deconvnet_rule
from .common import check_input, input_signal


def deconvnet(model, x, target=None, *, batch_size: int = 256, backend=None) -> np.ndarray:
    """R_0: the DeconvNet reconstruction of one-hot(target) at the input, x's shape (N, C, ...)."""
    x = check_input(model, x)
    signal, _ = input_signal(model, x, target, rule=deconvnet_rule, batch_size=batch_size, backend=backend)
    return signal
