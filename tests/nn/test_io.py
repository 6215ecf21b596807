"""Save and load: one .npz rebuilds the model exactly; broken or foreign files raise ModelFileError."""
import json
import pathlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minixai.errors import ModelFileError
from minixai.models import mnist1d_cnn, vgg7
from minixai.nn import (Conv1d, Conv2d, Dense, Flatten, GlobalAvgPool, MaxPool1d, MaxPool2d, ReLU, Sequential,
                        load, save)
from minixai.nn.io import ARCHITECTURE_KEY, architecture, from_architecture


def unusual_2d_model() -> Sequential:
    """Tuple kernels, strides and paddings, bias-free layers, overlapping pooling, a flatten head."""
    return Sequential([("conv", Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0), bias=False, rng=1)),
                       ("relu", ReLU()), ("pool", MaxPool2d((2, 3), stride=(1, 2))),
                       ("flat", Flatten()), ("fc", Dense(18, 4, bias=False, rng=2))])


def unusual_1d_model() -> Sequential:
    return Sequential([("c", Conv1d(1, 2, 4, stride=3, padding=2, rng=3)), ("r", ReLU()), ("p", MaxPool1d(3, 1)),
                       ("g", GlobalAvgPool()), ("d", Dense(2, 5, rng=4))])


MODELS = {"mnist1d_cnn": (lambda: mnist1d_cnn(seed=7), (2, 1, 40)),
          "vgg7": (lambda: vgg7(widths=(4, 8, 8), seed=7), (1, 3, 16, 16)),
          "unusual_2d": (unusual_2d_model, (2, 2, 6, 9)),
          "unusual_1d": (unusual_1d_model, (2, 1, 11))}


@pytest.mark.parametrize("name", MODELS)
def test_save_then_load_rebuilds_the_same_architecture_and_arrays_exactly(tmp_path, name):
    make, x_shape = MODELS[name]
    model = make()
    path = tmp_path / f"{name}.npz"
    save(model, path)
    loaded = load(path)
    assert architecture(loaded) == architecture(model)
    assert [type(layer) for layer in loaded.layers.values()] == [type(layer) for layer in model.layers.values()]
    state, loaded_state = model.state_dict(), loaded.state_dict()
    assert list(loaded_state) == list(state)
    for key in state:
        assert loaded_state[key].dtype == state[key].dtype
        np.testing.assert_array_equal(loaded_state[key], state[key])
    x = np.random.default_rng(0).normal(size=x_shape)
    np.testing.assert_array_equal(loaded.forward(x, backend="numpy"), model.forward(x, backend="numpy"))


def test_a_float64_model_comes_back_as_float64(tmp_path):
    model = unusual_1d_model().astype(np.float64)
    model.layers["c"].weight[0, 0, 0] = 1 / 3  # not representable in float32
    model.save(tmp_path / "m64.npz")
    loaded = load(tmp_path / "m64.npz")
    assert loaded.layers["c"].weight.dtype == np.float64
    assert loaded.layers["c"].weight[0, 0, 0] == 1 / 3


def test_the_file_is_a_plain_npz_with_pytorch_keys_and_a_json_architecture(tmp_path):
    model = unusual_2d_model()
    model.save(str(tmp_path / "plain"))  # a str path without an extension is kept as given
    with np.load(tmp_path / "plain", allow_pickle=False) as data:
        assert sorted(data.files) == sorted([ARCHITECTURE_KEY, "conv.weight", "fc.weight"])
        description = json.loads(str(data[ARCHITECTURE_KEY]))
    assert description["format"] == "minixai-model"
    assert [layer["name"] for layer in description["layers"]] == model.names
    assert description["layers"][0]["config"]["stride"] == [2, 1]
    assert from_architecture(description).names == model.names


@pytest.fixture(scope="module")
def saved_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("saved") / "model.npz"
    unusual_1d_model().save(path)
    return path.read_bytes()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_truncated_file_raises_model_file_error(tmp_path, saved_bytes, data):
    cut = data.draw(st.integers(0, len(saved_bytes) - 1), label="bytes kept")
    path = tmp_path / "cut.npz"
    path.write_bytes(saved_bytes[:cut])
    with pytest.raises(ModelFileError, match="path"):
        load(path)


def test_every_truncation_point_raises_model_file_error(tmp_path, saved_bytes):
    path = tmp_path / "cut.npz"
    for cut in range(0, len(saved_bytes), 97):
        path.write_bytes(saved_bytes[:cut])
        with pytest.raises(ModelFileError, match="path"):
            load(path)


def test_a_foreign_npz_raises_model_file_error(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, a=np.zeros(3), b=np.ones((2, 2)))
    with pytest.raises(ModelFileError, match="not saved by minixai"):
        load(path)


def test_a_text_file_raises_model_file_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("conv1.weight = [1, 2, 3]\n")
    with pytest.raises(ModelFileError, match="not a readable .npz"):
        load(path)


def test_a_missing_file_raises_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="no file at"):
        load(tmp_path / "nowhere.npz")
    with pytest.raises(ModelFileError, match="no file at"):
        load(tmp_path)  # a directory is not a model file


def write_architecture(path: pathlib.Path, architecture_json: str, **arrays) -> pathlib.Path:
    np.savez(path, **{ARCHITECTURE_KEY: np.array(architecture_json)}, **arrays)
    return path


@pytest.mark.parametrize("architecture_json, match", [
    ("{not json", "broken architecture"),
    ('{"format": "someone-else", "layers": []}', "expected a 'minixai-model' description"),
    ('[1, 2, 3]', "expected a 'minixai-model' description"),
    ('{"format": "minixai-model", "layers": [{"name": "a", "type": "Softmax", "config": {}}]}',
     "unknown layer type 'Softmax'; known types are Conv1d, Conv2d"),
    ('{"format": "minixai-model", "layers": [{"type": "ReLU"}]}', "broken ReLU entry"),
    ('{"format": "minixai-model", "layers": [{"name": "d", "type": "Dense", "config": {"size": 3}}]}',
     "broken Dense entry"),
    ('{"format": "minixai-model", "layers": [{"name": "d", "type": "Dense", "config": {"in_features": 0, '
     '"out_features": 2}}]}', r"broken Dense entry .*\(in_features: expected an integer >= 1"),
    ('{"format": "minixai-model", "layers": [7]}', "unknown layer type None"),
    ('{"format": "minixai-model", "layers": []}', "at least one layer"),
], ids=["not-json", "other-format", "not-a-dict", "unknown-type", "no-name", "bad-config", "bad-value", "not-an-entry",
        "no-layers"])
def test_a_broken_architecture_raises_model_file_error(tmp_path, architecture_json, match):
    with pytest.raises(ModelFileError, match=match):
        load(write_architecture(tmp_path / "broken.npz", architecture_json))


def test_arrays_that_do_not_match_their_architecture_raise_model_file_error(tmp_path):
    description = json.dumps(architecture(Sequential([("fc", Dense(3, 2))])))
    with pytest.raises(ModelFileError, match=r"fc.weight.*expected shape \(2, 3\), got \(3, 2\)"):
        load(write_architecture(tmp_path / "a.npz", description, **{"fc.weight": np.zeros((3, 2)), "fc.bias": np.zeros(2)}))
    with pytest.raises(ModelFileError, match=r"missing keys \['fc.bias'\]"):
        load(write_architecture(tmp_path / "b.npz", description, **{"fc.weight": np.zeros((2, 3))}))
