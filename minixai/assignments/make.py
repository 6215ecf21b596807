"""``minixai assignment make NAME --out DIR``: a self-contained student copy of one assignment.

The copy holds the package (with that assignment's marked regions replaced by stubs raising
NotImplementedError and every other marker line dropped), the shipped data and models, the
assignment's lessons and tests, the packaging files, and a README listing the tasks in order
and the slides to read. It installs (``pip install -e DIR``) and imports like minixai itself.
A file ``.minixai-assignment.json`` records which assignment it is, for ``grade``.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..errors import ParameterError
from .markers import find_regions, marked_files, stub_source
from .registry import Assignment, get

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ("setup.cfg", "pyproject.toml", "pytest.ini")
TEST_SUPPORT = ("tests/__init__.py", "tests/conftest.py", "tests/strategies.py")
STAMP = ".minixai-assignment.json"


def test_files(assignment: Assignment) -> list:
    """The test files the assignment's exercises name, with each folder's __init__ and _helpers."""
    files = set(TEST_SUPPORT)
    for exercise in assignment.exercises:
        for node in exercise.tests:
            path = Path(node.split("::")[0])
            files.add(path.as_posix())
            for helper in (ROOT / path.parent).glob("_*.py"):
                files.add(helper.relative_to(ROOT).as_posix())
    return sorted(files)


def lessons_of(assignment: Assignment) -> list:
    """The assignment's lessons, and for a choice of explainers the lesson of each one chosen."""
    from ..catalogue import lesson_of
    chosen = {e.id for e in assignment.exercises}
    extra = [lesson_of(n) for n, ex in assignment.choices.items() if ex in chosen]
    return list(dict.fromkeys([*assignment.lessons, *(p.relative_to(ROOT).as_posix() for p in extra if p)]))


def readme(assignment: Assignment) -> str:
    """The student copy's README: what to do, in order, and how it is graded."""
    tasks = "\n".join(f"{i}. **{e.id}**: {e.task}" for i, e in enumerate(assignment.exercises, start=1))
    slides = "\n".join(f"- {s}" for s in assignment.slides)
    lessons = "\n".join(f"- `{p}`" for p in lessons_of(assignment))
    chosen = [n for n, ex in assignment.choices.items() if ex in {e.id for e in assignment.exercises}]
    if chosen:
        tasks += (f"\n{len(assignment.exercises) + 1}. **The table**: once all the above pass, "
                  f"`python lessons/49_project_a.py --only {' '.join(chosen)} --budget 60` scores your two "
                  "explainers by Drop% and Increase% on MNIST-1D (k = 30%) and the textures (k = 90%); "
                  "hand in the table it prints, with a paragraph on what it shows.")
    return f"""# minixai assignment "{assignment.name}": {assignment.title}

This is a student copy of minixai. Everything works except the regions you write: each raises
`NotImplementedError("exercise <id>: <hint>")` until you replace it (search for the exercise id).

## Read first

{slides}

## Tasks, in order

{tasks}

## Lessons

{lessons}

Run one with `python lessons/<name>.py` (`MINIXAI_FAST=1` for the quick version); figures go to
`./figures`.

## Set-up and grading

```bash
python -m pip install -e ".[test]"
minixai assignment grade .
```

Grading runs each exercise's tests and prints passed / failed / not attempted per exercise.
"""


def make(name: str, out, *, overwrite: bool = False, solutions: bool = False, choose=None) -> Path:
    """Write the student copy of assignment ``name`` into ``out``; ``solutions`` keeps the solved code
    (the teacher's copy, for checking that the copy's tests pass); ``choose``: the explainers the
    student implements, for an assignment that offers a choice (the project)."""
    assignment = get(name, choose)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise ParameterError(f"--out: {out} exists and is not empty; pass --overwrite to replace it")
    if out.exists():
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    # Numba's on-disk cache travels with the code (copy2 keeps the stamps it checks), so the copy
    # does not recompile what it did not change.
    ignore = shutil.ignore_patterns("*.pyc")
    shutil.copytree(ROOT / "minixai", out / "minixai", ignore=ignore)
    shutil.copytree(ROOT / "data", out / "data", ignore=ignore)
    exercises = set() if solutions else {e.id for e in assignment.exercises}
    for source in marked_files(ROOT / "minixai"):
        target = out / source.relative_to(ROOT)
        target.write_text(stub_source(source.read_text(encoding="utf-8"), find_regions(source), exercises),
                          encoding="utf-8")
    for relative in (*PACKAGING, *lessons_of(assignment), *test_files(assignment)):
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, out / relative)
    for folder in {Path(t).parent for t in test_files(assignment)}:
        init = out / folder / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")
    (out / "README.md").write_text(readme(assignment), encoding="utf-8")
    stamp = {"assignment": assignment.name, "solutions": solutions,
             "exercises": {e.id: list(e.tests) for e in assignment.exercises}}
    (out / STAMP).write_text(json.dumps(stamp, indent=2), encoding="utf-8")
    return out
