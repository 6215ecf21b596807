"""Shipped, pretrained models: ``pretrained("mnist1d_cnn")`` and ``pretrained("vgg7_textures8")``.

Each model is one .npz (state dict + architecture, see ``minixai.nn.io``) in ``data/models/``
with a JSON sidecar recording how it was trained: test accuracy, epochs, seed, wall time,
backend and minixai version. ``python -m minixai.models.train NAME`` rebuilds it.
"""
from __future__ import annotations

import json

from ..errors import ModelFileError, UnknownNameError
from ..nn import Sequential, load
from ..paths import models_dir

SHIPPED = ("mnist1d_cnn", "vgg7_textures8")


def pretrained(name: str) -> Sequential:
    """The shipped model ``name`` (one of ``SHIPPED``), weights loaded."""
    if name not in SHIPPED:
        raise UnknownNameError(f"name: unknown pretrained model {name!r}; shipped models are {', '.join(SHIPPED)}")
    path = models_dir() / f"{name}.npz"
    if not path.is_file():
        raise ModelFileError(f"name: the weights of {name!r} are missing at {path}; "
                             f"rebuild them with: python -m minixai.models.train {name}")
    return load(path)


def model_card(name: str) -> dict:
    """The JSON sidecar of a shipped model: accuracy, epochs, seed, wall time, backend, version."""
    if name not in SHIPPED:
        raise UnknownNameError(f"name: unknown pretrained model {name!r}; shipped models are {', '.join(SHIPPED)}")
    return json.loads((models_dir() / f"{name}.json").read_text())
