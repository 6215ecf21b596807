"""Argument checks shared by the dataset loaders; each failure names the argument."""
from __future__ import annotations

import numpy as np

from minixai.errors import ParameterError


def is_integer(value) -> bool:
    """True for Python and NumPy integers, False for bools."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_number(value) -> bool:
    """True for Python and NumPy reals, False for bools."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_integer(value, name: str, minimum: int = 0) -> int:
    """Return ``value`` as an int; raise ParameterError unless it is an integer >= minimum."""
    if not (is_integer(value) and value >= minimum):
        raise ParameterError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)
