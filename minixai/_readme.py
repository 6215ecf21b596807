"""Generated sections of the README: text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.

The rule table and the methods table are written into the README by code, so the README cannot
drift from the library; tests compare what is there with what the code generates.
"""
from __future__ import annotations

from pathlib import Path

from .errors import ParameterError

README = Path(__file__).resolve().parents[1] / "README.md"


def markers(name: str) -> tuple:
    """The start and end markers of the README section ``name``."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def read_section(name: str, path=README) -> str:
    """The text currently between the markers of section ``name``."""
    start, end = markers(name)
    text = Path(path).read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise ParameterError(f"{path}: expected the markers {start} and {end}, found none")
    return text.split(start, 1)[1].split(end, 1)[0].strip("\n")


def write_section(name: str, body: str, path=README) -> None:
    """Replace what lies between the markers of section ``name`` with ``body``."""
    read_section(name, path)
    start, end = markers(name)
    text = Path(path).read_text(encoding="utf-8")
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    Path(path).write_text(f"{before}{start}\n{body}\n{end}{after}", encoding="utf-8")
