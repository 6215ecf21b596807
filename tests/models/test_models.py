"""The shipped models: architectures, reproducible training, and weights that match their cards."""
import json

import numpy as np
import pytest

from minixai.data import mnist1d, textures8
from minixai.errors import ModelFileError, UnknownNameError
from minixai.models import SHIPPED, mnist1d_cnn, model_card, pretrained, vgg7
from minixai.models.train import main as train_main
from minixai.nn import Conv2d, Dense, GlobalAvgPool, MaxPool2d, accuracy


def test_mnist1d_cnn_ends_conv_relu_gap_dense_so_cam_applies():
    model = mnist1d_cnn()
    kinds = [type(layer).__name__ for layer in model.layers.values()]
    assert kinds[-4:] == ["Conv1d", "ReLU", "GlobalAvgPool", "Dense"]
    assert model.output_shape((5, 1, 40)) == (5, 10)


def test_vgg7_has_six_3x3_convs_pools_after_each_pair_and_a_dense_head():
    model = vgg7()
    convs = [l for l in model.layers.values() if isinstance(l, Conv2d)]
    assert [c.out_channels for c in convs] == [32, 32, 64, 64, 128, 128]
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs)
    assert sum(isinstance(l, MaxPool2d) for l in model.layers.values()) == 3
    assert isinstance(model.layers["gap"], GlobalAvgPool) and isinstance(model.layers["fc"], Dense)
    assert model.output_shape((2, 3, 64, 64)) == (2, 8)


def test_architectures_are_seeded():
    a, b, c = mnist1d_cnn(seed=3), mnist1d_cnn(seed=3), mnist1d_cnn(seed=4)
    assert all(np.array_equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert not np.array_equal(a.state_dict()["conv1.weight"], c.state_dict()["conv1.weight"])


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_reproduces_its_cards_test_accuracy(name):
    card = model_card(name)
    data = {"mnist1d_cnn": mnist1d, "vgg7_textures8": textures8}[name]
    x_test, y_test = data(split="test")
    assert accuracy(pretrained(name), x_test, y_test) == pytest.approx(card["test_accuracy"], abs=1e-9)
    assert {"test_accuracy", "epochs", "seed", "train_seconds", "backend", "minixai_version"} <= set(card)


def test_shipped_mnist1d_cnn_reaches_the_papers_cnn_accuracy():
    assert model_card("mnist1d_cnn")["test_accuracy"] >= 0.94


def test_shipped_vgg7_reaches_the_issues_aim_and_leaves_errors_to_explain():
    # Issue 3: "aim for 90-98%, a task with errors left to explain".
    assert 0.90 <= model_card("vgg7_textures8")["test_accuracy"] < 1.0


def test_training_command_is_reproducible_and_writes_weights_and_card(tmp_path, capsys):
    for run in ("a", "b"):
        assert train_main(["mnist1d_cnn", "--epochs", "1", "--seed", "5", "--out", str(tmp_path / run)]) == 0
    capsys.readouterr()
    cards = [json.loads((tmp_path / run / "mnist1d_cnn.json").read_text()) for run in ("a", "b")]
    assert cards[0]["test_accuracy"] == cards[1]["test_accuracy"] and cards[0]["epochs"] == 1
    a, b = (np.load(tmp_path / run / "mnist1d_cnn.npz") for run in ("a", "b"))
    assert all(np.array_equal(a[k], b[k]) for k in a.files)


def test_unknown_pretrained_name_lists_the_shipped_models():
    with pytest.raises(UnknownNameError, match="mnist1d_cnn, vgg7_textures8"):
        pretrained("resnet50")


def test_missing_weights_say_how_to_rebuild_them(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIXAI_DATA_DIR", str(tmp_path))
    with pytest.raises(ModelFileError, match="python -m minixai.models.train mnist1d_cnn"):
        pretrained("mnist1d_cnn")
