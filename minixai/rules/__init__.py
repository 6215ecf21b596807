"""Backward rules, one file each; a rule maps each layer type to its backward cell."""
from .base import Rule, elementwise
from .gradient import gradient

__all__ = ["Rule", "elementwise", "gradient"]
