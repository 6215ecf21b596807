"""minixai: visual explanation of convolutional networks, from scratch in NumPy and Numba."""
from . import backends, errors, nn, rules
from .backends import use
from .errors import MinixaiError

__version__ = "0.1.0"

__all__ = ["backends", "errors", "nn", "rules", "use", "MinixaiError", "__version__"]
