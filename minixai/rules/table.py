"""The rule table, generated from the rules themselves: one row per layer type, one column per rule.

Each cell is the first line of the docstring of the function the rule binds to that layer type
(``Rule.formula``), so the table printed by lesson 00 and shown in the README is the code, read
aloud. It extends the table "Layer | Forward pass | DeconvNet | Back-prop w.r.t. input" of seed
003_9e1ffa84955ffc85.txt with every rule minixai registers (``minixai.rules.__all__``, or a
``RULES`` dict there): a new rule file appears as a new column.

    python -m minixai.rules.table                  # print the markdown table
    python -m minixai.rules.table --text           # aligned plain text
    python -m minixai.rules.table --write-readme   # refresh the README between its markers
    python -m minixai.rules.table --check          # exit 1 if the README's table is stale
"""
from __future__ import annotations

import argparse
import sys

from .._readme import README, read_section, write_section
from ..nn.activation import ReLU
from ..nn.conv import Conv1d, Conv2d
from ..nn.dense import Dense, Flatten
from ..nn.pooling import GlobalAvgPool, MaxPool1d, MaxPool2d
from .base import Rule
from .gradient import gradient

# Layer types that share one row because they share one backward formula (1-D runs as 2-D).
ROWS = (
    ("Conv1d / Conv2d", (Conv1d, Conv2d), "y = W * x + b (cross-correlation)"),
    ("Dense", (Dense,), "y = W x + b"),
    ("ReLU", (ReLU,), "y = max(x, 0)"),
    ("MaxPool1d / MaxPool2d", (MaxPool1d, MaxPool2d), "y(p) = max of x(q) over the window q in Omega(p)"),
    ("GlobalAvgPool", (GlobalAvgPool,), "y = mean of x over its Z positions"),
    ("Flatten", (Flatten,), "y = x reshaped to (N, -1)"),
)
REGENERATE = "python -m minixai.rules.table --write-readme"


def registered_rules() -> list:
    """Every Rule exported by ``minixai.rules`` (in ``__all__`` or a ``RULES`` dict), gradient first."""
    from .. import rules as package
    candidates = [getattr(package, name, None) for name in package.__all__]
    candidates += list(getattr(package, "RULES", {}).values())
    found = [gradient]
    for candidate in candidates:
        group = candidate.values() if isinstance(candidate, dict) else [candidate]
        found += [rule for rule in group if isinstance(rule, Rule) and all(rule is not r for r in found)]
    return found


def cell_for(rule: Rule, layer_type: type):
    """The cell ``rule`` applies to ``layer_type`` (looked up through its base classes), or None."""
    return next((rule.cells[cls] for cls in layer_type.__mro__ if cls in rule.cells), None)


def formula(rule: Rule, layer_type: type) -> str:
    """The first docstring line of ``rule``'s cell for ``layer_type``; "n/a" where it has none."""
    owner = next((cls for cls in layer_type.__mro__ if cls in rule.cells), None)
    return rule.formula(owner) if owner is not None else "n/a"


def rows_that_differ(a: Rule, b: Rule) -> list:
    """Labels of the rows where rules ``a`` and ``b`` bind a different cell to some layer type."""
    return [label for label, types, _ in ROWS if any(cell_for(a, t) is not cell_for(b, t) for t in types)]


def rule_table(rules=None, markdown: bool = True) -> str:
    """The table as a string: markdown (formulas as code) or aligned plain text."""
    rules = registered_rules() if rules is None else list(rules)
    header = ["layer", "forward pass"] + [rule.name for rule in rules]
    body = []
    for label, types, forward in ROWS:
        cells = []
        for rule in rules:
            formulas = list(dict.fromkeys(formula(rule, t) for t in types))
            cells.append(" / ".join(formulas))
        body.append([label, forward] + cells)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join([row[0]] + [_as_code(c) for c in row[1:]]) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [header] + body) for i in range(len(header))]
    return "\n".join(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header] + body)


def _as_code(text: str) -> str:
    """A formula as inline code; a "|" inside a table cell must still be escaped."""
    return text if text == "n/a" else "`" + text.replace("|", "\\|") + "`"


def readme_table(path=README) -> str:
    """The table currently written in the README between the rule-table markers."""
    return read_section("rule-table", path)


def write_readme(path=README) -> None:
    """Replace what lies between the README's rule-table markers with the generated table."""
    write_section("rule-table", rule_table(), path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minixai.rules.table", description="Print the backward-rule table.")
    parser.add_argument("--text", action="store_true", help="aligned plain text instead of markdown")
    parser.add_argument("--write-readme", nargs="?", const=README, metavar="PATH", help="refresh the README's table")
    parser.add_argument("--check", nargs="?", const=README, metavar="PATH",
                        help="exit 1 if the README's table is stale")
    args = parser.parse_args(argv)
    if args.write_readme is not None:
        write_readme(args.write_readme)
        print(f"wrote the rule table into {args.write_readme}")
    elif args.check is not None:
        if readme_table(args.check) != rule_table():
            print(f"{args.check}: the rule table is stale; run {REGENERATE}")
            return 1
    else:
        print(rule_table(markdown=not args.text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
