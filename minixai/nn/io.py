"""Save and load: one .npz with the state dict and a JSON description of the architecture.

The file alone rebuilds the model: ``load(path)`` reads the architecture, builds the layers,
and loads the arrays. Keys are PyTorch's (``conv1.weight``), so ``np.load(path)`` also feeds a
``torch.nn.Sequential`` of the same layers. Nothing is unpickled.
"""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from ..errors import ModelFileError, ParameterError, StateDictError
from .activation import ReLU
from .conv import Conv1d, Conv2d
from .dense import Dense, Flatten
from .model import Sequential
from .pooling import GlobalAvgPool, MaxPool1d, MaxPool2d

FORMAT = "minixai-model"
VERSION = 1
ARCHITECTURE_KEY = "__architecture__"
LAYER_TYPES = {cls.__name__: cls for cls in (Conv1d, Conv2d, ReLU, MaxPool1d, MaxPool2d, GlobalAvgPool, Flatten, Dense)}


def architecture(model: Sequential) -> dict:
    """The JSON-ready description: format tag, version, and each layer's name, type and config."""
    return {"format": FORMAT, "version": VERSION,
            "layers": [{"name": n, "type": type(l).__name__, "config": l.config()} for n, l in model.layers.items()]}


def from_architecture(description: dict) -> Sequential:
    """Build a model (freshly initialised parameters) from ``architecture(model)``'s output."""
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise ModelFileError(f"architecture: expected a {FORMAT!r} description, got {str(description)[:80]!r}")
    layers = []
    for entry in description.get("layers", []):
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in LAYER_TYPES:
            raise ModelFileError(f"architecture: unknown layer type {kind!r}; known types are {', '.join(LAYER_TYPES)}")
        try:
            config = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.get("config", {}).items()}
            layers.append((entry["name"], LAYER_TYPES[kind](**config)))
        except (KeyError, TypeError, AttributeError, ParameterError) as exc:
            raise ModelFileError(f"architecture: broken {kind} entry {str(entry)[:80]!r} ({exc})") from None
    try:
        return Sequential(layers)
    except ParameterError as exc:
        raise ModelFileError(f"architecture: {exc}") from None


def save(model: Sequential, path) -> None:
    """Write ``model`` to ``path`` (.npz): its state dict plus the architecture as JSON."""
    arrays = dict(model.state_dict())
    arrays[ARCHITECTURE_KEY] = np.array(json.dumps(architecture(model)))
    with open(path, "wb") as f:  # an open file keeps np.savez from appending ".npz" to the name
        np.savez(f, **arrays)


def load(path) -> Sequential:
    """Rebuild the model saved at ``path``; truncated, foreign or mismatched files raise ModelFileError."""
    if not os.path.isfile(path):
        raise ModelFileError(f"path: expected a minixai model file (.npz), no file at {os.fspath(path)!r}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ModelFileError(f"path: {os.fspath(path)!r} is not a readable .npz model file ({exc})") from None
    if ARCHITECTURE_KEY not in arrays:
        raise ModelFileError(f"path: {os.fspath(path)!r} has no {ARCHITECTURE_KEY!r} entry; not saved by minixai")
    try:
        description = json.loads(str(arrays.pop(ARCHITECTURE_KEY)))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"path: {os.fspath(path)!r} holds a broken architecture ({exc})") from None
    model = from_architecture(description)
    if any(a.dtype == np.float64 for a in arrays.values()):
        model.astype(np.float64)  # a float64 model comes back as float64
    try:
        model.load_state_dict(arrays)
    except StateDictError as exc:
        raise ModelFileError(f"path: {os.fspath(path)!r} does not match its own architecture: {exc}") from None
    return model
