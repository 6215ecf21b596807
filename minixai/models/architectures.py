"""The two networks of the course project (seed 000_8bf5a89bed1f51bd.txt, slide "Project Goal").

Both end conv -> ReLU -> global average pool -> dense, the head CAM needs (Zhou et al. 2016).
"""
from __future__ import annotations

import numpy as np

from ..nn import Conv1d, Conv2d, Dense, GlobalAvgPool, MaxPool1d, MaxPool2d, ReLU, Sequential


def mnist1d_cnn(num_classes: int = 10, seed: int = 0) -> Sequential:
    """Shallow 1-D CNN for MNIST-1D, x (N, 1, 40) -> logits (N, 10).

    Conv1d(1, 32, 5, pad 2) - ReLU - MaxPool(2) - Conv1d(32, 64, 3, pad 1) - ReLU - MaxPool(2)
    - Conv1d(64, 64, 3, pad 1) - ReLU - GAP - Dense(64, 10).
    """
    rng = np.random.default_rng(seed)
    return Sequential([
        ("conv1", Conv1d(1, 32, 5, padding=2, rng=rng)), ("relu1", ReLU()), ("pool1", MaxPool1d(2)),
        ("conv2", Conv1d(32, 64, 3, padding=1, rng=rng)), ("relu2", ReLU()), ("pool2", MaxPool1d(2)),
        ("conv3", Conv1d(64, 64, 3, padding=1, rng=rng)), ("relu3", ReLU()),
        ("gap", GlobalAvgPool()), ("fc", Dense(64, num_classes, rng=rng)),
    ])


def vgg7(in_channels: int = 3, num_classes: int = 8, widths: tuple = (32, 64, 128), seed: int = 0) -> Sequential:
    """VGG-7 for 64 x 64 textures, x (N, 3, 64, 64) -> logits (N, 8): three blocks of two 3x3 convs
    (32, 32 | 64, 64 | 128, 128, padding 1), a 2x2 max-pool after each pair, then GAP - Dense(128, 8).

    Six convolutions and one dense layer: seven weight layers, hence the name.
    """
    rng = np.random.default_rng(seed)
    layers, c = [], in_channels
    for block, width in enumerate(widths, start=1):
        for j in (1, 2):
            layers += [(f"conv{block}_{j}", Conv2d(c, width, 3, padding=1, rng=rng)), (f"relu{block}_{j}", ReLU())]
            c = width
        layers.append((f"pool{block}", MaxPool2d(2)))
    layers += [("gap", GlobalAvgPool()), ("fc", Dense(c, num_classes, rng=rng))]
    return Sequential(layers)
