"""The ``minixai`` command, run as a user would: in a subprocess, on the shipped models."""
import subprocess
import sys

import numpy as np
import pytest

from minixai.cli import main
from minixai.explain import EXPLAINERS


# Methods that refuse a model by design, with the reason their error gives.
NOT_APPLICABLE = {("cam", "vgg7_textures8"): "GlobalAvgPool -> Dense"}
# Lighter settings (through --param) for the methods whose defaults take seconds on the VGG-7:
# the command and its parameter parsing are what is tested here, not the methods.
LIGHT = {"rise": ["n=100"], "lime": ["n_samples=100"], "shap": ["n_samples=100"], "meaningful_perturbation": ["steps=5"],
         "perceptual_ball": ["steps=5"], "activation_maximization": ["steps=5"], "deepdream": ["steps=3"],
         "score_cam": ["batch_size=64"]}


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "minixai", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.mark.parametrize("model", ["mnist1d_cnn", "vgg7_textures8"])
def test_explain_writes_a_figure_and_the_raw_array(model, tmp_path):
    out = tmp_path / "fig.png"
    done = run("explain", "--model", model, "--method", "saliency", "--index", "3", "--out", str(out), "--save-array")
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 1000 and out.read_bytes()[:4] == b"\x89PNG"
    attribution = np.load(out.with_suffix(".npy"))
    assert attribution.shape == ((1, 1, 40) if model == "mnist1d_cnn" else (1, 3, 64, 64))


@pytest.mark.parametrize("model", ["mnist1d_cnn", "vgg7_textures8"])
@pytest.mark.parametrize("method", sorted(EXPLAINERS))
def test_every_registered_explainer_runs_through_the_command(method, model, tmp_path, capsys):
    # In-process through the console script's own entry point: the same code path as a
    # subprocess without paying the interpreter's start-up once per explainer.
    out = tmp_path / f"{method}.png"
    params = [arg for value in LIGHT.get(method, []) for arg in ("--param", value)]
    status = main(["explain", "--model", model, "--method", method, "--index", "2", "--out", str(out), "--save-array",
                   *params])
    if (method, model) in NOT_APPLICABLE:
        assert status == 2 and NOT_APPLICABLE[method, model] in capsys.readouterr().err
        return
    assert status == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert np.isfinite(np.load(out.with_suffix(".npy"))).all()


def test_explain_a_chosen_class_in_a_chosen_colour_mode(tmp_path):
    out = tmp_path / "fig.png"
    done = run("explain", "--method", "gradient_x_input", "--target", "3", "--mode", "absolute", "--index", "1",
               "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "class 3" in done.stdout and out.is_file()


def test_explain_an_npy_input_with_a_saved_model_file(tmp_path):
    from minixai.models import mnist1d_cnn
    model_file, x_file, out = tmp_path / "m.npz", tmp_path / "x.npy", tmp_path / "fig.png"
    mnist1d_cnn(seed=1).save(model_file)
    np.save(x_file, np.random.default_rng(0).normal(size=(1, 40)).astype(np.float32))
    done = run("explain", "--model", str(model_file), "--input", str(x_file), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.is_file()


@pytest.mark.parametrize("args, message", [
    (("explain", "--method", "nonsense"), "unknown method 'nonsense'; choose from"),
    (("explain", "--model", "resnet"), "mnist1d_cnn, vgg7_textures8"),
    (("explain", "--index", "100000"), "expected a test sample in [0, 1000)"),
    (("explain", "--input", "/no/such/file.npy"), "--input: expected a readable .npy file"),
    (("explain", "--target", "10"), "target: expected classes in [0, 10)"),
    (("lesson", "no_such_lesson"), "lesson: expected one of 00_rule_table"),
    (("explain", "--method", "rise", "--param", "steps=3"), "--param: expected NAME=VALUE with NAME one of n, cells"),
])
def test_bad_arguments_exit_2_with_one_line_naming_the_choices(args, message, tmp_path):
    done = run(*args, "--out", str(tmp_path / "f.png")) if args[0] == "explain" else run(*args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_list_names_explainers_with_family_and_paper_backends_datasets_and_models():
    done = run("list")
    assert done.returncode == 0
    for word in ("numba", "mnist1d", "textures8", "mnist1d_cnn", "vgg7_textures8", "Selvaraju et al. 2017", *EXPLAINERS):
        assert word in done.stdout


def test_lesson_lists_lessons_and_runs_one_by_number_in_fast_mode(tmp_path):
    listed = run("lesson")
    assert listed.returncode == 0 and "00_rule_table" in listed.stdout.split()
    done = run("lesson", "00", "--fast", "--figures", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "00_rule_table").glob("*.png"))


def test_evaluate_writes_the_table_as_csv_markdown_and_a_plot(tmp_path):
    done = run("evaluate", "--methods", "saliency,gradcam", "--metrics", "drop_increase,localization", "--n", "20",
               "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    table = (tmp_path / "table.md").read_text()
    assert "| saliency | 20 |" in table and "| gradcam | 20 |" in table and "drop_increase.drop" in table
    assert (tmp_path / "table.csv").read_text().count("\n") >= 3
    assert (tmp_path / "table.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, message", [
    (("--metrics", "accuracy"), "accuracy"),
    (("--methods", "gradcam,nonsense"), "nonsense"),
    (("--model", "vgg7_textures8", "--metrics", "localization"), "localization needs evidence masks"),
])
def test_evaluate_refuses_unknown_names_with_one_line(args, message, tmp_path):
    done = run("evaluate", *args, "--n", "5", "--out", str(tmp_path))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
