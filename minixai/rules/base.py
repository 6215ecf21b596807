"""A backward rule: a table from layer type to the function that sends a signal back through it.

Every cell has one signature, decided here once::

    cell(layer, r_out, fwd, ref) -> r_in

``layer`` holds the weights and hyper-parameters, ``r_out`` is the signal arriving at the
layer's output, ``fwd`` is the forward pass's ``Record`` for the layer (its input ``x``,
output ``y``, parameters and extras such as max-pool switches, and the ``backend``), and
``ref`` is the record of a reference pass (DeepLIFT) or None. A layer's own ``backward``
method has this signature, so the gradient rule binds to it; other rules replace a few cells.

Elementwise cells (the ReLU row) are easiest to read as scalar functions of the signal and
the saved values; ``elementwise`` turns one into a cell, and the backend maps it over arrays.
"""
from __future__ import annotations

import inspect

from ..errors import NotApplicableError

SCALAR_ARGUMENTS = ("r_out", "x", "y", "x0", "y0")


def elementwise(fn):
    """Turn a scalar function of (some of) ``r_out, x, y, x0, y0`` into a rule cell.

    ``x0, y0`` are the layer's input and output on the reference pass.
    """
    names = list(inspect.signature(fn).parameters)
    unknown = [n for n in names if n not in SCALAR_ARGUMENTS]
    if unknown or names[:1] != ["r_out"]:
        raise TypeError(f"elementwise cell {fn.__name__}: arguments must start with r_out and come from {SCALAR_ARGUMENTS}, got {names}")

    def cell(layer, r_out, fwd, ref):
        if ref is None and ("x0" in names or "y0" in names):
            raise NotApplicableError(f"{fn.__name__}: this rule needs a reference pass (reference=...)")
        values = {"r_out": r_out, "x": fwd.x, "y": fwd.y,
                  "x0": ref.x if ref is not None else None, "y0": ref.y if ref is not None else None}
        return fwd.backend.map(fn, *(values[n] for n in names))

    cell.__name__ = fn.__name__
    cell.__doc__ = fn.__doc__
    cell.scalar = fn
    return cell


class Rule:
    """A named table ``{layer type: cell}``; ``backward`` looks the layer's type up (with its bases)."""

    def __init__(self, name: str, cells: dict, needs_reference: bool = False):
        self.name = name
        self.cells = dict(cells)
        self.needs_reference = needs_reference

    def cell(self, layer):
        """The cell for ``layer``'s type, or for the nearest base class listed."""
        for cls in type(layer).__mro__:
            if cls in self.cells:
                return self.cells[cls]
        raise NotApplicableError(f"rule {self.name!r} has no cell for layer type {type(layer).__name__}; "
                                 f"it covers {', '.join(c.__name__ for c in self.cells)}")

    def backward(self, layer, r_out, fwd, ref=None):
        """The signal at ``layer``'s input, from ``r_out`` at its output."""
        return self.cell(layer)(layer, r_out, fwd, ref)

    def formula(self, layer_type: type) -> str:
        """The cell's formula: the first line of its docstring (the rule table is made from these)."""
        cell = self.cells.get(layer_type)
        doc = (cell.__doc__ or "").strip() if cell is not None else ""
        return doc.splitlines()[0] if doc else ""

    def __repr__(self) -> str:
        return f"Rule({self.name!r}, {len(self.cells)} layer types)"
