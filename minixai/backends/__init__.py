"""Backends: one contract (see ``reference``), three implementations.

- ``numpy``: the readable reference, ``minixai/backends/reference.py``.
- ``numba`` (default): the same ops as njit kernels, ``numba_cpu.py``.
- ``cuda``: numba.cuda kernels, arrays kept on the device for a whole pass, ``cuda.py``;
  without a GPU it runs under numba's simulator (set ``NUMBA_ENABLE_CUDASIM=1`` before
  numba is imported).

Pick one with ``minixai.use("numpy")`` or the environment variable ``MINIXAI_BACKEND``.
Modules are imported on first use, so a machine without a GPU never touches a driver.
"""
from __future__ import annotations

import importlib
import os
from contextlib import contextmanager

from ..errors import UnknownNameError

MODULES = {"numpy": "reference", "numba": "numba_cpu", "cuda": "cuda"}
DEFAULT = "numba"

_current = None


def get(name: str):
    """The backend module called ``name`` (one of ``MODULES``), imported on first use."""
    if name not in MODULES:
        raise UnknownNameError(f"backend: unknown name {name!r}; valid names are {', '.join(MODULES)}")
    return importlib.import_module(f"{__name__}.{MODULES[name]}")


def use(name: str):
    """Make ``name`` the backend every model runs on from now on; returns the module."""
    global _current
    _current = get(name)
    return _current


def current():
    """The backend in use: the last ``use(...)``, else ``$MINIXAI_BACKEND``, else numba."""
    global _current
    if _current is None:
        _current = get(os.environ.get("MINIXAI_BACKEND", DEFAULT) or DEFAULT)
    return _current


def resolve(backend=None):
    """``None`` -> the current backend; a name -> that backend; a module -> itself."""
    if backend is None:
        return current()
    if isinstance(backend, str):
        return get(backend)
    return backend


@contextmanager
def using(name: str):
    """Run a block on another backend: ``with minixai.backends.using("numpy"): ...``."""
    global _current
    previous = _current
    use(name)
    try:
        yield _current
    finally:
        _current = previous
