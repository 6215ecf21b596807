"""The ``minixai`` command, run as a user would: in a subprocess, on the shipped models."""
import subprocess
import sys

import numpy as np
import pytest

from minixai.explain import EXPLAINERS


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
def test_every_registered_explainer_runs_through_the_command(method, model, tmp_path):
    out = tmp_path / f"{method}.png"
    done = run("explain", "--model", model, "--method", method, "--index", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"


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
])
def test_bad_arguments_exit_2_with_one_line_naming_the_choices(args, message, tmp_path):
    done = run(*args, "--out", str(tmp_path / "f.png")) if "--out" not in args else run(*args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_list_names_backends_datasets_and_models():
    done = run("list")
    assert done.returncode == 0
    for word in ("numba", "mnist1d", "textures8", "mnist1d_cnn", "vgg7_textures8"):
        assert word in done.stdout
