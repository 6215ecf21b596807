"""minixai's own exceptions, and the checks that raise them.

Every error names the argument, what was expected and what came, so a student sees
``x: expected 3 dimensions (N, C, L), got shape (40,)`` instead of a traceback from deep
inside NumPy. Each class also subclasses the built-in error a Python user would catch.
"""
from __future__ import annotations

import numpy as np


class MinixaiError(Exception):
    """Base class of every error minixai raises on purpose."""


class ShapeError(MinixaiError, ValueError):
    """An array has the wrong rank, channel count or size."""


class NonFiniteError(MinixaiError, ValueError):
    """An array holds NaN or inf."""


class ParameterError(MinixaiError, ValueError):
    """A hyper-parameter or argument has a value outside its allowed range."""


class UnknownNameError(MinixaiError, ValueError):
    """A name (layer, backend, method, model) is not one of the valid choices."""


class StateDictError(MinixaiError, ValueError):
    """A state dict's keys or shapes do not match the model."""


class ModelFileError(MinixaiError, ValueError):
    """A saved-model file is truncated, foreign or not readable."""


class NotApplicableError(MinixaiError, TypeError):
    """A method does not apply to this model (for example CAM without global average pooling)."""


def as_float_array(value, name: str, *, finite: bool = True) -> np.ndarray:
    """Return ``value`` as a float32 or float64 array; raise if it is not numeric or not finite.

    float64 stays float64 (gradient checks need it); every other numeric dtype becomes float32.
    """
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ShapeError(f"{name}: expected an array of numbers, got {type(value).__name__} ({exc})") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ShapeError(f"{name}: expected an array of numbers, got dtype {array.dtype}")
    if array.dtype != np.float64:
        array = array.astype(np.float32)
    if finite and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise NonFiniteError(f"{name}: expected finite values, got {bad} NaN or inf entries")
    return array


def check_names(names, valid, what: str) -> None:
    """Raise UnknownNameError if any of ``names`` is not in ``valid`` (the message lists them)."""
    valid = list(valid)
    for name in names:
        if name not in valid:
            raise UnknownNameError(f"{what}: unknown name {name!r}; valid names are {', '.join(map(str, valid))}")
