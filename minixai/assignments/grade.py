"""``minixai assignment grade DIR``: run a student copy's tests, one status per exercise.

All the exercises' tests run in one pytest process inside the copy (so the copy's package is the
one imported), with a JUnit report; each test case is then credited to the exercise that names
it. An exercise is "not attempted" while its stub (the NotImplementedError naming it) is still in
the copy's source, "passed" when all its tests pass, and "failed" otherwise; a failure caused by
another exercise's stub says which ("failed (needs project.1)"): later tasks may build on earlier
ones.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from ..errors import MinixaiError, ParameterError
from .make import STAMP
from .markers import marked_files



def _belongs(case: ET.Element, node: str) -> bool:
    """Whether a JUnit test case is (a parametrisation of) the pytest node ``path::function``."""
    path, function = node.split("::")
    module = path[:-3].replace("/", ".")
    name = case.get("name", "")
    return case.get("classname") == module and (name == function or name.startswith(function + "["))


def _outcome(case: ET.Element) -> tuple:
    """(passed?, failure text) of one JUnit test case."""
    problems = [child for child in case if child.tag in ("failure", "error")]
    return not problems, "\n".join((p.get("message") or "") + "\n" + (p.text or "") for p in problems)


def grade(folder) -> list:
    """Rows (exercise, tests passed, tests run, status) for the student copy in ``folder``."""
    folder = Path(folder).resolve()
    stamp_file = folder / STAMP
    if not stamp_file.is_file():
        raise ParameterError(f"DIR: {folder} is not a student copy (no {STAMP}); make one with "
                             "`minixai assignment make NAME --out DIR`")
    exercises = json.loads(stamp_file.read_text(encoding="utf-8"))["exercises"]
    nodes = sorted({node for tests in exercises.values() for node in tests})
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    env.setdefault("NUMBA_ENABLE_CUDASIM", "1")
    env["HYPOTHESIS_PROFILE"] = "grade"
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.xml"
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                               *nodes], cwd=folder, env=env, capture_output=True, text=True)
        cases = list(ET.parse(report).getroot().iter("testcase")) if report.is_file() else []
    if not cases or done.returncode not in (0, 1):
        raise MinixaiError(f"grading {folder}: pytest ran no test (exit {done.returncode}):\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
    stubbed = stubs_left(folder)
    rows = []
    for exercise, tests in exercises.items():
        mine = [_outcome(case) for case in cases if any(_belongs(case, node) for node in tests)]
        passed = sum(ok for ok, _ in mine)
        needs = sorted(other for other in stubbed - {exercise} if any(f"exercise {other}:" in text for _, text in mine))
        if exercise in stubbed:
            status = "not attempted"
        elif mine and passed == len(mine):
            status = "passed"
        else:
            status = f"failed (needs {', '.join(needs)})" if needs else "failed"
        rows.append((exercise, passed, len(mine), status))
    return rows


def stubs_left(folder) -> set:
    """The exercises whose stub still stands in the copy's package."""
    found = set()
    for path in marked_files(Path(folder, "minixai"), marker="raise NotImplementedError("):
        found.update(re.findall(r"raise NotImplementedError\(['\"]exercise ([a-z0-9_]+\.\d+):", path.read_text(encoding="utf-8")))
    return found


def report(rows) -> str:
    """The score table, one line per exercise."""
    lines = [f"{'exercise':12s} {'tests':>7s}  status"]
    lines += [f"{exercise:12s} {passed:>3d}/{run:<3d}  {status}" for exercise, passed, run, status in rows]
    done = sum(status == "passed" for *_, status in rows)
    lines.append(f"{done} of {len(rows)} exercises passed")
    return "\n".join(lines)
