"""Solution markers: comments in the library source around the lines a student writes.

    def relu_deconvnet(r_out):
        # >>> exercise rules.1: pass the signal where it is positive, whatever the forward input was
        signal_mask = r_out > 0.0
        return r_out if signal_mask else 0.0
        # <<< exercise rules.1

The library stays complete: markers are comments. A student copy replaces the lines between a
pair with one line at the start marker's indentation,

        raise NotImplementedError("exercise rules.1: pass the signal where it is positive, ...")

so the module still imports, and anything that does not call that function still works.
Exercise ids are "<assignment>.<number>"; the text after the colon is the hint.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError

START = re.compile(r"^(?P<indent>[ \t]*)# >>> exercise (?P<id>[a-z0-9_]+\.\d+): (?P<hint>.+?)\s*$")
END = re.compile(r"^[ \t]*# <<< exercise (?P<id>[a-z0-9_]+\.\d+)\s*$")


@dataclass(frozen=True)
class Region:
    """The marked lines of one exercise in one file: lines[start] is the start marker, lines[stop] the end."""
    path: Path
    exercise: str
    hint: str
    indent: str
    start: int
    stop: int


def find_regions(path) -> list:
    """Every marked region of a file, in order; raises ParameterError on unbalanced or nested markers."""
    path = Path(path)
    regions, open_region = [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        start, end = START.match(line), END.match(line)
        if start:
            if open_region is not None:
                raise ParameterError(f"{path}:{number + 1}: exercise {start['id']} starts inside {open_region[0]}")
            open_region = (start["id"], start["hint"], start["indent"], number)
        elif end:
            if open_region is None or open_region[0] != end["id"]:
                raise ParameterError(f"{path}:{number + 1}: end of exercise {end['id']} without its start")
            exercise, hint, indent, first = open_region
            regions.append(Region(path, exercise, hint, indent, first, number))
            open_region = None
        elif "# >>> exercise" in line or "# <<< exercise" in line:
            raise ParameterError(f"{path}:{number + 1}: malformed marker {line.strip()!r}")
    if open_region is not None:
        raise ParameterError(f"{path}: exercise {open_region[0]} is never closed")
    return regions


def stub_source(text: str, regions: list, exercises) -> str:
    """``text`` with the regions of ``exercises`` replaced by NotImplementedError stubs and every
    other marker line removed (the solution stays, unmarked)."""
    lines = text.splitlines(keepends=True)
    by_start = {r.start: r for r in regions}
    out, skip_to = [], -1
    for number, line in enumerate(lines):
        if number <= skip_to:
            continue
        region = by_start.get(number)
        if region is not None and region.exercise in exercises:
            message = f"exercise {region.exercise}: {region.hint}"
            out.append(f"{region.indent}raise NotImplementedError({message!r})\n")
            skip_to = region.stop
        elif START.match(line) or END.match(line):
            continue
        else:
            out.append(line)
    return "".join(out)


def marked_files(package, marker: str = "# >>> exercise") -> list:
    """The package's .py files holding ``marker`` (a start marker by default), this package's own
    examples aside."""
    package = Path(package)
    return [p for p in sorted(package.rglob("*.py"))
            if "assignments" not in p.relative_to(package).parts and marker in p.read_text(encoding="utf-8")]
