"""Every lesson runs as a script in its fast mode and writes its figures where it is told."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

LESSONS = sorted((Path(__file__).resolve().parents[2] / "lessons").glob("[0-9][0-9]_*.py"))


def test_there_are_lessons():
    assert LESSONS, "no lessons/NN_name.py found"


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_in_fast_mode_and_writes_figures(lesson, tmp_path):
    env = dict(os.environ, MINIXAI_FAST="1", MINIXAI_FIGURES=str(tmp_path), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, str(lesson)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{lesson.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    figures = list((tmp_path / lesson.stem).glob("*.png"))
    assert figures, f"{lesson.name} wrote no figure under {tmp_path / lesson.stem}"
