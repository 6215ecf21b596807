"""MNIST-1D (Greydanus 2020): the reference construction, the evidence mask, the shipped file."""
import importlib

import numpy as np
import pytest

from minixai.data import make_mnist1d, mnist1d, write_mnist1d
from minixai.errors import ParameterError, UnknownNameError

generator = importlib.import_module("minixai.data.mnist1d")
REFERENCE_KEYS = ("x", "y", "x_test", "y_test", "t")


@pytest.fixture(scope="module")
def regenerated():
    return make_mnist1d()


@pytest.fixture(scope="module")
def shipped():
    path = generator.shipped_file()
    assert path is not None, "data/mnist1d.npz is missing"
    with np.load(path) as npz:
        return {key: npz[key] for key in npz.files}


def hand_draw(shift, padding=48):
    """A sample with no noise and no shear, so only padding and shift place the template."""
    c = generator.Construction()
    zeros = np.zeros(c.dilated_length)
    return generator.Draw(padding, 1.0, shift, zeros, zeros, 0.0)


def test_regeneration_equals_reference_package(regenerated):
    reference = pytest.importorskip("mnist1d.data")
    expected = reference.make_dataset(reference.get_dataset_args())
    for key in REFERENCE_KEYS:
        assert regenerated[key].shape == expected[key].shape
        assert regenerated[key].dtype == expected[key].dtype
        np.testing.assert_allclose(regenerated[key], expected[key], rtol=0, atol=1e-6)
    np.testing.assert_allclose(generator.templates(), expected["templates"]["x"], atol=1e-12)


def test_shipped_file_equals_regeneration(shipped, regenerated):
    assert set(shipped) == set(generator.KEYS)
    for key in generator.KEYS:
        assert shipped[key].dtype == regenerated[key].dtype
        np.testing.assert_allclose(shipped[key], regenerated[key], rtol=0, atol=1e-12)


def test_write_then_load_round_trips(tmp_path, monkeypatch, regenerated):
    path = write_mnist1d(tmp_path / "mnist1d.npz")
    monkeypatch.setenv("MINIXAI_DATA_DIR", str(tmp_path))
    assert generator.shipped_file() == path
    with np.load(path) as npz:
        np.testing.assert_array_equal(npz["x_test"], regenerated["x_test"])


def test_loader_regenerates_when_no_file_is_found(tmp_path, monkeypatch):
    x, y, evidence = mnist1d("test", evidence=True)
    monkeypatch.setenv("MINIXAI_DATA_DIR", str(tmp_path))
    assert generator.shipped_file() is None
    generator._arrays.cache_clear()
    try:
        x2, y2, evidence2 = mnist1d("test", evidence=True)
    finally:
        generator._arrays.cache_clear()
    np.testing.assert_allclose(x2, x, atol=1e-6)
    np.testing.assert_array_equal(y2, y)
    np.testing.assert_array_equal(evidence2, evidence)


@pytest.mark.parametrize("split, n", [("train", 4000), ("test", 1000)])
def test_loader_shapes_and_dtypes(split, n):
    x, y, evidence = mnist1d(split, evidence=True)
    assert x.shape == (n, 1, 40) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    assert evidence.shape == (n, 40) and evidence.dtype == np.float32
    assert set(np.unique(evidence)) == {0.0, 1.0}
    assert len(mnist1d(split)) == 2


def test_loader_returns_fresh_copies():
    x, y = mnist1d("test")
    x[:] = 0
    y[:] = -1
    x2, y2 = mnist1d("test")
    assert np.abs(x2).max() > 0 and y2.min() == 0


def test_signal_is_larger_inside_the_evidence_mask(shipped):
    x, evidence = np.abs(shipped["x"]), shipped["evidence"] > 0
    inside, outside = x[evidence].mean(), x[~evidence].mean()
    assert inside > 1.8 * outside, (inside, outside)


def test_each_evidence_mask_is_one_run_as_long_as_the_dilated_template(shipped):
    evidence = shipped["evidence"]
    # One rising edge per row (no wrap-around: 48 + the longest dilated template < 72).
    assert np.all(np.sum(np.diff(evidence, axis=1) > 0, axis=1) + evidence[:, 0] == 1)
    # The template spans 11 / (11 + p) of 72 points for p in [36, 60]: 6.4 to 9.8 of 40.
    assert 6 <= evidence.sum(1).min() and evidence.sum(1).max() <= 11


def test_evidence_moves_exactly_with_the_translation_at_full_resolution():
    full = generator.Construction(final_length=72)
    base = generator.evidence_mask(hand_draw(0), full)
    for shift in (1, 5, 17, 40):
        moved = generator.evidence_mask(hand_draw(shift), full)
        np.testing.assert_array_equal(moved, np.roll(base, shift))


def test_evidence_start_follows_the_translation_after_subsampling():
    c = generator.Construction()
    starts = [np.argmax(generator.evidence_mask(hand_draw(k), c)) for k in range(0, 48, 6)]
    expected = np.arange(0, 48, 6) * 39 / 71
    assert np.all(np.diff(starts) > 0)
    assert np.max(np.abs(np.array(starts) - expected)) <= 1


def test_evidence_lies_where_the_template_replaced_the_background_noise():
    full = generator.Construction(final_length=72)
    template = generator.templates()[3]
    for shift, padding in [(0, 36), (20, 48), (47, 60)]:
        d = hand_draw(shift, padding)
        marked = generator.Draw(padding, 1.0, shift, np.full(72, 5.0), d.iid_noise, 0.0)
        kept = generator.transform(template, marked, full) != 5.0
        evidence = generator.evidence_mask(d, full) > 0
        assert np.all(kept[evidence])
        assert kept.sum() - evidence.sum() <= 1


def test_same_seed_same_arrays_other_seed_other_arrays():
    a, b = make_mnist1d(seed=1, num_samples=100), make_mnist1d(seed=1, num_samples=100)
    c = make_mnist1d(seed=2, num_samples=100)
    np.testing.assert_array_equal(a["x"], b["x"])
    assert a["x"].shape == (80, 40) and not np.allclose(a["x"], c["x"])


def test_unknown_split_names_the_choices():
    with pytest.raises(UnknownNameError, match="split.*train, test"):
        mnist1d("validation")


@pytest.mark.parametrize("kwargs, name", [
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"padding": (60, 36)}, "padding"),
    ({"padding": 36}, "padding"),
    ({"train_split": 1.0}, "train_split"),
    ({"max_translation": 0}, "max_translation"),
    ({"iid_noise_scale": -0.1}, "iid_noise_scale"),
    ({"final_length": "40"}, "final_length"),
])
def test_bad_construction_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        make_mnist1d(**kwargs)


def test_write_needs_an_npz_file_name(tmp_path):
    with pytest.raises(ParameterError, match="path.*npz"):
        write_mnist1d(tmp_path / "mnist1d.pkl")


def test_unknown_construction_keyword_is_an_unknown_name():
    with pytest.raises(UnknownNameError, match="shear_scale"):
        make_mnist1d(shear=0.5)
