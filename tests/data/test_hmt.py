"""HMT loader (Kather et al. 2016) on a small folder with the distributed layout."""
import importlib

import numpy as np
import pytest
from skimage.io import imsave

from minixai.data import hmt
from minixai.errors import ParameterError, ShapeError, UnknownNameError

CLASSES = hmt.CLASSES
# Different counts per class, so stratification is visible: 10 -> 1 test tile, 21 -> 2, 30 -> 3.
COUNTS = (10, 21, 30, 10, 21, 30, 10, 12)
FIRST_ID = np.cumsum((0,) + COUNTS[:-1])


def tile(label, index, shape=(12, 12, 3)):
    """A flat tile whose red channel is a unique id and green channel the class: both survive
    resizing, so the tests can tell which file every row came from."""
    image = np.empty(shape, np.uint8)
    image[...] = 1 + index
    if len(shape) == 3:
        image[..., 1] = 20 * label
    return image


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("hmt")
    for label, (name, count) in enumerate(zip(CLASSES, COUNTS)):
        (root / name).mkdir()
        for i in range(count):
            imsave(root / name / f"tile_{i:03d}.tif", tile(label, FIRST_ID[label] + i),
                   check_contrast=False)
        (root / name / "Thumbs.db").write_bytes(b"not an image")
    return root


def ids(x):
    return np.rint(x[:, 0, 0, 0] * 255).astype(int) - 1


def test_shapes_dtypes_and_range(folder):
    x, y = hmt(folder, split="all", size=8)
    assert x.shape == (sum(COUNTS), 3, 8, 8) and x.dtype == np.float32
    assert y.shape == (sum(COUNTS),) and y.dtype == np.int64
    assert 0 <= x.min() and x.max() <= 1


def test_labels_follow_the_class_folders(folder):
    x, y = hmt(folder, split="all", size=8)
    np.testing.assert_array_equal(np.rint(x[:, 1, 0, 0] * 255 / 20).astype(int), y)
    np.testing.assert_array_equal(np.searchsorted(FIRST_ID, ids(x), side="right") - 1, y)
    assert sorted(ids(x)) == list(range(sum(COUNTS)))


def test_split_is_stratified_with_the_papers_test_fraction(folder):
    _, y_train = hmt(folder, split="train", size=4)
    _, y_test = hmt(folder, split="test", size=4)
    expected_test = [round(n * 496 / 5000) for n in COUNTS]
    np.testing.assert_array_equal(np.bincount(y_test, minlength=8), expected_test)
    np.testing.assert_array_equal(np.bincount(y_train, minlength=8), np.subtract(COUNTS, expected_test))


def test_full_dataset_counts_match_the_slide():
    held_out = importlib.import_module("minixai.data.hmt").held_out(625)
    assert 8 * (625 - held_out) == 4504 and 8 * held_out == 496


def test_train_and_test_partition_all_tiles(folder):
    x_train, _ = hmt(folder, split="train", size=4)
    x_test, _ = hmt(folder, split="test", size=4)
    train, test = set(ids(x_train)), set(ids(x_test))
    assert not train & test
    assert train | test == set(ids(hmt(folder, split="all", size=4)[0]))


def test_same_seed_same_split_other_seed_other_split(folder):
    a, _ = hmt(folder, split="test", size=4, seed=3)
    b, _ = hmt(folder, split="test", size=4, seed=3)
    c, _ = hmt(folder, split="test", size=4, seed=4)
    np.testing.assert_array_equal(a, b)
    assert set(ids(a)) != set(ids(c))


def test_environment_variable_gives_the_path(folder, monkeypatch):
    monkeypatch.setenv("MINIXAI_HMT_DIR", str(folder))
    x, _ = hmt(split="test", size=4)
    assert len(x) == sum(round(n * 496 / 5000) for n in COUNTS)


def test_grey_and_rgba_tiles_become_rgb(tmp_path):
    root = tmp_path / "hmt"
    for label, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True)
        imsave(root / name / "grey.tif", tile(label, label, (12, 12)), check_contrast=False)
        rgba = np.concatenate([tile(label, 20 + label), np.full((12, 12, 1), 255, np.uint8)], -1)
        imsave(root / name / "rgba.tif", rgba, check_contrast=False)
    x, _ = hmt(root, split="all", size=6)
    assert x.shape == (16, 3, 6, 6)
    grey = ids(x) < 8
    np.testing.assert_array_equal(x[grey, 0], x[grey, 2])


def test_missing_path_names_the_environment_variable(monkeypatch):
    monkeypatch.delenv("MINIXAI_HMT_DIR", raising=False)
    with pytest.raises(ParameterError, match="MINIXAI_HMT_DIR"):
        hmt()


def test_path_that_does_not_exist(tmp_path):
    with pytest.raises(ParameterError, match="path: expected an existing folder"):
        hmt(tmp_path / "nowhere")


def test_missing_class_folder_lists_the_eight_names(tmp_path):
    for name in CLASSES[:-1]:
        (tmp_path / name).mkdir()
    with pytest.raises(ParameterError, match="01_TUMOR, 02_STROMA.*08_EMPTY.*missing 08_EMPTY"):
        hmt(tmp_path)


def test_layout_one_level_down_is_pointed_at(tmp_path):
    for name in CLASSES:
        (tmp_path / "Kather_texture_2016_image_tiles_5000" / name).mkdir(parents=True)
    with pytest.raises(ParameterError, match="Kather_texture_2016_image_tiles_5000"):
        hmt(tmp_path)


def test_class_folder_without_tiles_is_a_shape_error(tmp_path):
    for name in CLASSES:
        (tmp_path / name).mkdir()
    with pytest.raises(ShapeError, match="01_TUMOR.*found none"):
        hmt(tmp_path)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"split": "validation"}, UnknownNameError, "split"),
    ({"size": 0}, ParameterError, "size"),
    ({"size": 6.5}, ParameterError, "size"),
    ({"seed": -1}, ParameterError, "seed"),
])
def test_bad_arguments_name_the_argument(folder, kwargs, error, name):
    with pytest.raises(error, match=name):
        hmt(folder, **kwargs)

