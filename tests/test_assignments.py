"""Assignments: markers in the library, student copies with stubs, grading by the tests."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minixai.assignments import ASSIGNMENTS, all_exercises, find_regions, get, grade, make, marked_files, stub_source
from minixai.cli import main
from minixai.errors import ParameterError, UnknownNameError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "minixai"


def all_regions():
    return [region for path in marked_files(PACKAGE) for region in find_regions(path)]


def test_markers_are_balanced_and_every_region_belongs_to_a_registered_exercise():
    known = {e.id for e in all_exercises()}
    regions = all_regions()
    assert regions, "no marked regions in the library"
    assert {r.exercise for r in regions} <= known, {r.exercise for r in regions} - known


def test_every_exercise_is_marked_somewhere_and_names_tests_that_exist():
    marked = {r.exercise for r in all_regions()}
    for exercise in all_exercises():
        assert exercise.id in marked, f"{exercise.id} has no marked region"
        assert exercise.id.split(".")[0] in ASSIGNMENTS
        for node in exercise.tests:
            path, function = node.split("::")
            assert f"def {function}(" in (ROOT / path).read_text(), node
    for assignment in ASSIGNMENTS.values():
        for lesson in assignment.lessons:
            assert (ROOT / lesson).is_file(), lesson
        assert {e.id for e in all_exercises()} >= set(assignment.choices.values())


def test_the_stubbed_library_compiles_and_a_stub_raises_naming_its_exercise():
    for path in marked_files(PACKAGE):
        regions = find_regions(path)
        source = stub_source(path.read_text(), regions, {r.exercise for r in regions})
        compile(source, str(path), "exec")
        assert "# >>> exercise" not in source and "# <<< exercise" not in source
    text = "def f(x):\n    '''doc'''\n    # >>> exercise toy.1: double it\n    y = 2 * x\n    return y\n    # <<< exercise toy.1\n"
    namespace = {}
    exec(stub_source(text, find_regions_of(text), {"toy.1"}), namespace)
    with pytest.raises(NotImplementedError, match="exercise toy.1: double it"):
        namespace["f"](1)
    exec(stub_source(text, find_regions_of(text), set()), namespace)
    assert namespace["f"](3) == 6


def find_regions_of(text, tmp=Path(os.environ.get("TMPDIR", "/tmp"))):
    path = tmp / f"minixai_markers_{os.getpid()}.py"
    path.write_text(text)
    try:
        return find_regions(path)
    finally:
        path.unlink()


@pytest.mark.parametrize("text, message", [
    ("# >>> exercise a.1: hint\nx = 1\n", "never closed"),
    ("x = 1\n# <<< exercise a.1\n", "without its start"),
    ("# >>> exercise a.1: h\n# >>> exercise a.2: h\n# <<< exercise a.2\n# <<< exercise a.1\n", "starts inside"),
    ("# >>> exercise A-1 hint\n", "malformed marker"),
])
def test_unbalanced_or_malformed_markers_are_refused(text, message):
    with pytest.raises(ParameterError, match=message):
        find_regions_of(text)


def restore(copy: Path, name: str, solved) -> None:
    """Put the library's solutions of the exercises ``solved`` back into a student copy of ``name``."""
    stubbed = {e.id for e in get(name).exercises} - set(solved)  # the default choice, for the project
    for source in marked_files(PACKAGE):
        target = copy / source.relative_to(ROOT)
        target.write_text(stub_source(source.read_text(), find_regions(source), stubbed))


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_a_fresh_copy_grades_not_attempted_and_with_the_solutions_restored_passes(name, tmp_path, capsys):
    copy = make(name, tmp_path / name)
    exercises = [e.id for e in get(name).exercises]
    assert main(["assignment", "grade", str(copy)]) == 1
    table = capsys.readouterr().out
    assert all(e in table for e in exercises) and table.count("not attempted") == len(exercises)
    assert f"0 of {len(exercises)} exercises passed" in table
    restore(copy, name, exercises)
    assert main(["assignment", "grade", str(copy)]) == 0


def test_each_exercise_is_graded_on_its_own(tmp_path):
    copy = make("rules", tmp_path / "rules")
    restore(copy, "rules", ["rules.2"])
    assert [row[3] for row in grade(copy)] == ["not attempted", "passed", "not attempted"]
    target = copy / "minixai/rules/deconvnet.py"
    stub = "    raise NotImplementedError('exercise rules.1"
    lines = [("    return r_out  # wrong: ignores the sign" if line.startswith(stub) else line)
             for line in target.read_text().splitlines()]
    target.write_text("\n".join(lines) + "\n")
    assert [row[3] for row in grade(copy)][0] == "failed"


def test_the_project_takes_two_explainers_of_the_students_choice(tmp_path):
    copy = make("project", tmp_path / "project", choose=["gradcam", "rise"])
    rows = grade(copy)
    assert [row[0] for row in rows] == ["project.1", "project.2", "cam.2", "perturbation.3"]
    assert {row[3] for row in rows} == {"not attempted"}
    assert (copy / "lessons/12_gradcam.py").is_file() and (copy / "lessons/25_rise.py").is_file()
    assert "(gradcam, rise)" in (copy / "README.md").read_text()
    for choose, message in ((["gradcam"], "expected 2 different explainers"), (["gradcam", "lime"], "among"),
                            (["rise", "rise"], "different")):
        with pytest.raises(ParameterError, match=message):
            get("project", choose)
    with pytest.raises(ParameterError, match="no explainers to choose"):
        get("rules", ["gradcam"])


def test_a_solved_exercise_that_builds_on_an_unsolved_one_says_which_it_needs(tmp_path):
    copy = make("project", tmp_path / "project")
    restore(copy, "project", ["project.2"])
    assert [row[3] for row in grade(copy)][:2] == ["not attempted", "failed (needs project.1)"]


def test_the_student_copy_installs_its_own_package_and_unrelated_lessons_still_run(tmp_path):
    copy = make("rules", tmp_path / "rules")
    assert (copy / "README.md").read_text().count("rules.") >= 3
    env = dict(os.environ, PYTHONPATH=str(copy), MINIXAI_FAST="1", MINIXAI_FIGURES=str(tmp_path / "fig"), MPLBACKEND="Agg")
    where = subprocess.run([sys.executable, "-c", "import minixai; print(minixai.__file__)"], cwd=copy, env=env,
                           capture_output=True, text=True)
    assert Path(where.stdout.strip()).resolve().is_relative_to(copy.resolve()), where
    done = subprocess.run([sys.executable, "lessons/01_data_and_models.py"], cwd=copy, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_bad_names_folders_and_copies_give_clear_errors(tmp_path, capsys):
    with pytest.raises(UnknownNameError, match="expected one of rules"):
        make("nonsense", tmp_path / "x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(ParameterError, match="not empty; pass --overwrite"):
        make("rules", tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").exists()
    with pytest.raises(ParameterError, match="not a student copy"):
        grade(tmp_path / "full")
    assert main(["assignment", "make", "nonsense", "--out", str(tmp_path / "y")]) == 2
    assert "expected one of" in capsys.readouterr().err
