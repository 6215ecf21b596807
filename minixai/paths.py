"""Where minixai finds its shipped files: the repository's ``data/`` folder.

``$MINIXAI_DATA_DIR`` overrides it (for an installed copy whose data lives elsewhere).
"""
from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The folder holding mnist1d.npz and models/ (``$MINIXAI_DATA_DIR`` or ``<repo>/data``)."""
    override = os.environ.get("MINIXAI_DATA_DIR")
    return Path(override) if override else Path(__file__).resolve().parent.parent / "data"


def models_dir() -> Path:
    """The folder of shipped model weights, ``data/models``."""
    return data_dir() / "models"
