"""The catalogue behind the README's methods table: complete, and every row true."""
import pytest

from minixai.catalogue import EXPLAINER_ROWS, METRIC_ROWS, REGENERATE, lesson_of, main, slide_of, has_test
from minixai.explain import EXPLAINERS
from minixai.metrics import METRICS


def test_every_registered_explainer_and_metric_has_exactly_one_row():
    names = [row.name for row in EXPLAINER_ROWS]
    assert sorted(names) == sorted(EXPLAINERS), set(names) ^ set(EXPLAINERS)
    metric_names = [row.name for row in METRIC_ROWS]
    assert sorted(metric_names) == sorted(METRICS), set(metric_names) ^ set(METRICS)


@pytest.mark.parametrize("row", EXPLAINER_ROWS + METRIC_ROWS, ids=lambda row: row.name)
def test_each_row_has_a_lesson_citing_a_slide_and_a_test_that_exists(row):
    lesson = lesson_of(row.lesson or row.name)
    assert lesson is not None, f"no lessons/NN_*{row.name}*.py"
    assert slide_of(lesson) != "n/a", f"{lesson.name} names no seed file and slide title in its header"
    assert has_test(row.test), f"{row.test} does not exist"
    assert row.url.startswith("https://")


def test_the_readme_tables_are_current():
    assert main(["--check"]) == 0, f"the README's methods tables are stale: run {REGENERATE}"


def test_the_slide_is_read_from_the_lesson_header(tmp_path):
    lesson = tmp_path / "99_toy.py"
    lesson.write_text('# %% [markdown]\n# # 99 Toy\n#\n# Accompanies seed 002_01d9d3509b4c14f7.txt, slide\n# "Contrast-CAM | why P"\n')
    assert slide_of(lesson) == '002 "Contrast-CAM | why P"'
