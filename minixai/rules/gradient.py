"""The gradient rule: the chain rule, each layer's own local derivative.

The right-hand column of the table "Layer | Forward pass | DeconvNet | Back-prop w.r.t. input"
in seed 003_9e1ffa84955ffc85.txt: linear layers pass the signal back through their transposed weights, ReLU lets
it through where its input was positive, max-pool routes it to the switches. Every other
rule starts from this table and replaces only the cells that differ.
"""
from __future__ import annotations

from ..nn.activation import ReLU
from ..nn.conv import Conv1d, Conv2d
from ..nn.dense import Dense, Flatten
from ..nn.pooling import GlobalAvgPool, MaxPool1d, MaxPool2d
from .base import Rule

gradient = Rule("gradient", {
    Conv1d: Conv1d.backward,
    Conv2d: Conv2d.backward,
    Dense: Dense.backward,
    GlobalAvgPool: GlobalAvgPool.backward,
    Flatten: Flatten.backward,
    ReLU: ReLU.backward,
    MaxPool1d: MaxPool1d.backward,
    MaxPool2d: MaxPool2d.backward,
})
