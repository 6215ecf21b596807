"""textures8, the stand-in for HMT built from scikit-image's sample images."""
import importlib

import numpy as np
import pytest

from minixai.data import textures8
from minixai.errors import ParameterError, ShapeError, UnknownNameError

module = importlib.import_module("minixai.data.textures8")


@pytest.fixture(scope="module")
def patches_train():
    return textures8("train")


@pytest.fixture(scope="module")
def patches_test():
    return textures8("test")


def test_shapes_dtypes_and_range(patches_train, patches_test):
    for (x, y), n in ((patches_train, 3200), (patches_test, 800)):
        assert x.shape == (n, 3, 64, 64) and x.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        assert np.all(np.isfinite(x)) and 0 <= x.min() and x.max() <= 1


def test_classes_are_balanced_and_shuffled(patches_train, patches_test):
    assert len(textures8.CLASSES) == 8 and textures8.CLASSES[0] == "brick"
    for (_, y), per_class in ((patches_train, 400), (patches_test, 100)):
        np.testing.assert_array_equal(np.bincount(y), [per_class] * 8)
        assert not np.all(np.diff(y) >= 0)


def test_same_seed_same_arrays_other_seed_other_arrays(patches_test):
    module._make.cache_clear()
    again = textures8("test", seed=0)
    other = textures8("test", seed=1)
    np.testing.assert_array_equal(again[0], patches_test[0])
    np.testing.assert_array_equal(again[1], patches_test[1])
    assert not np.array_equal(other[1], patches_test[1])


def test_returns_fresh_copies(patches_test):
    x, _ = textures8("test")
    x[:] = -1
    assert textures8("test")[0].min() >= 0


@pytest.mark.parametrize("name", textures8.CLASSES)
def test_train_and_test_patches_come_from_disjoint_cells(name):
    image = module.source(name)
    label = textures8.CLASSES.index(name)
    train_cells = module.cells(image.shape, "train", [0, 2, label])
    test_cells = module.cells(image.shape, "test", [0, 2, label])
    grid = (image.shape[0] // module.CELL) * (image.shape[1] // module.CELL)
    assert len(train_cells) + len(test_cells) == grid and len(test_cells) == round(grid / 4)
    assert not {tuple(c) for c in train_cells} & {tuple(c) for c in test_cells}
    rng = np.random.default_rng(0)
    covered = {}
    for split, corners in (("train", train_cells), ("test", test_cells)):
        patches, at = module.cut_patches(image, 300, corners, rng)
        cell = at // module.CELL
        # each patch lies wholly inside one of its split's cells
        assert np.all((at + 64 - 1) // module.CELL == cell)
        assert {tuple(c) for c in cell * module.CELL} <= {tuple(c) for c in corners}
        for patch, (r, c) in zip(patches[:5], at):
            np.testing.assert_array_equal(patch, image[r:r + 64, c:c + 64])
        covered[split] = np.zeros(image.shape, bool)
        for r, c in at:
            covered[split][r:r + 64, c:c + 64] = True
    assert not np.any(covered["train"] & covered["test"])


def test_test_cells_are_scattered_over_the_image():
    rows, columns = np.stack([module.cells((512, 512), "test", [0, 2, k]) for k in range(8)]).reshape(-1, 2).T
    assert len(np.unique(rows)) > 3 and len(np.unique(columns)) > 3


def test_no_test_patch_equals_a_train_patch(patches_train, patches_test):
    seen = {patch.tobytes() for patch in patches_train[0]}
    assert not any(patch.tobytes() in seen for patch in patches_test[0])


def test_colour_carries_no_class_information(patches_train):
    x, y = patches_train
    red_minus_blue = x[:, 0].mean((1, 2)) - x[:, 2].mean((1, 2))
    per_class = [red_minus_blue[y == k].mean() for k in range(8)]
    assert np.max(np.abs(per_class)) < 0.01


def test_brightness_alone_does_not_give_the_class_away(patches_train):
    x, y = patches_train
    means = [x[y == k].mean() for k in range(8)]
    assert max(means) - min(means) < 0.1


def test_augmentation_keeps_a_patch_recognisable():
    patch = module.source("brick")[:64, :64][None]
    x = module.augment(patch, np.random.default_rng(0))[0]
    grey = x.mean(0)
    candidates = [np.rot90(p, k) for p in (patch[0], patch[0][:, ::-1]) for k in range(4)]
    assert max(np.corrcoef(grey.ravel(), c.ravel())[0, 1] for c in candidates) > 0.9


@pytest.mark.parametrize("kwargs, error, name", [
    ({"split": "validation"}, UnknownNameError, "split"),
    ({"seed": -1}, ParameterError, "seed"),
    ({"seed": "0"}, ParameterError, "seed"),
])
def test_bad_arguments_name_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        textures8(**kwargs)


def test_the_disk_cache_gives_the_built_arrays_and_is_rebuilt_when_unreadable(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIXAI_CACHE_DIR", str(tmp_path))
    module._make.cache_clear()
    built = module._build("test", 3)
    first = module._make("test", 3)
    files = list(tmp_path.glob("textures8-test-3-*.npz"))
    assert len(files) == 1
    module._make.cache_clear()
    again = module._make("test", 3)
    for a, b, c in zip(built, first, again):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    files[0].write_bytes(b"not an npz")
    module._make.cache_clear()
    np.testing.assert_array_equal(module._make("test", 3)[0], built[0])
    module._make.cache_clear()


def dihedral(image: np.ndarray) -> list:
    """The 8 flips / quarter turns of a (C, H, W) image."""
    return [np.rot90(f, k, axes=(1, 2)) for f in (image, image[:, :, ::-1]) for k in range(4)]


def test_jitter_turns_each_image_and_changes_only_its_contrast_brightness_and_channel_gains():
    from minixai.data.textures8 import jitter
    rng = np.random.default_rng(0)
    x = rng.uniform(0.4, 0.6, (12, 3, 8, 8)).astype(np.float32)  # jittered values stay inside [0, 1]
    out = jitter(x, np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == np.float32
    assert np.array_equal(out, jitter(x, np.random.default_rng(1)))
    assert not np.array_equal(out, jitter(x, np.random.default_rng(2)))
    turns = set()
    for image, jittered in zip(x, out):
        # per channel, jittered = a * turned + b with the same a / gain for every channel
        fits = []
        for t, turned in enumerate(dihedral(image)):
            coefficients = [np.polyfit(turned[c].ravel(), jittered[c].ravel(), 1) for c in range(3)]
            residual = max(np.abs(np.polyval(k, turned[c]) - jittered[c]).max() for c, k in enumerate(coefficients))
            fits.append((residual, t, coefficients))
        residual, t, coefficients = min(fits, key=lambda f: f[0])
        assert residual < 1e-5
        turns.add(t)
        slopes = np.array([k[0] for k in coefficients])
        assert np.all((slopes > 0.7 * 0.85 - 1e-5) & (slopes < 1.3 * 1.15 + 1e-5))
    assert len(turns) > 3  # the turns vary from image to image


def test_jitter_keeps_values_in_the_unit_range_and_handles_non_square_images():
    from minixai.data.textures8 import jitter
    x = np.random.default_rng(0).uniform(0, 1, (6, 3, 4, 7)).astype(np.float32)
    out = jitter(x, np.random.default_rng(0))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    with pytest.raises(ShapeError, match="x: expected a batch of images"):
        jitter(x[0], np.random.default_rng(0))
