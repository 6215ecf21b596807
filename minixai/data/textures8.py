"""textures8, a stand-in for HMT built from scikit-image's sample images (no download).

HMT (Kather et al. 2016, https://www.nature.com/articles/srep27988; slide "Datasets: HMT" of seed
000_8bf5a89bed1f51bd) has eight balanced texture classes of colour tissue tiles and cannot be
downloaded here. textures8 keeps its shape of problem, eight balanced texture classes of
3 x 64 x 64 patches, and nothing else: the patches are cut from eight images that ship inside
scikit-image, none of them colorectal tissue.

Train and test come from disjoint pixels: each (cropped, rescaled) source image is cut into
96 x 96 cells, a seeded quarter of the cells, scattered over the image, give the test patches and
the rest the train patches, each patch lying wholly inside one cell, so no test pixel was ever
seen in training. Scattered cells rather than one strip: the right quarter of each image, the
first design, differed from the rest in local brightness and contrast (retina darker,
immunohistochemistry and moon lighter), so its test measured a change of region more than the
textures.

Two cues would make the task trivial and are removed: colour (three sources are RGB, five
grey) and global brightness (the Hubble field is nearly black). Every source is turned grey and
standardised to a common mean and spread; every patch then gets a random dihedral turn,
contrast, brightness, a class-independent colour tint and pixel noise. The three channels
therefore differ only by the tint and the noise, neither of which depends on the class.

400 train and 100 test patches per class (3200 / 800). Making the train split (157 MB) takes about
2 s, the test split under 1 s; the last two made are cached in memory, so repeated calls with
the same (split, seed) only pay for a copy.
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numpy as np

from minixai.data._checks import check_integer
from minixai.errors import ShapeError, check_names

SPLITS = ("train", "test")
SIZE = 64
PER_CLASS = {"train": 400, "test": 100}
CELL = 96
TEST_FRACTION = 0.25

WHOLE = (slice(None), slice(None))

# skimage.data image -> ((rows, columns) kept, rescale factor). The crop drops the black rim
# around the fundus, which is not texture; halving the two large images puts several stars or
# vessels in each 64-pixel patch. Three classic textures, real stained tissue, a nearly empty
# microscope background (like HMT's 08_EMPTY), a smooth surface with sparse craters, sparse
# bright blobs, and branching vessels: all of them ship with scikit-image, none is fetched.
SOURCES = {
    "brick": (WHOLE, 1.0),
    "grass": (WHOLE, 1.0),
    "gravel": (WHOLE, 1.0),
    "immunohistochemistry": (WHOLE, 1.0),
    "cell": (WHOLE, 1.0),
    "moon": (WHOLE, 1.0),
    "hubble_deep_field": (WHOLE, 0.5),
    "retina": ((slice(240, 1170), slice(240, 1170)), 0.5),
}
CLASSES = tuple(SOURCES)


@functools.lru_cache(maxsize=None)
def source(name: str) -> np.ndarray:
    """(H, W) float64 grey image of one class, cropped, rescaled, standardised to mean 0, std 1.

    Cached and read-only: every split and seed cuts from the same eight images.
    """
    # Imported here: scikit-image takes most of a second to import and only the loaders need it.
    import skimage.data
    from skimage.color import rgb2gray
    from skimage.transform import rescale
    from skimage.util import img_as_float

    check_names([name], CLASSES, "name")
    crop, factor = SOURCES[name]
    image = img_as_float(getattr(skimage.data, name)())
    if image.ndim == 3:
        image = rgb2gray(image)
    image = image[crop]
    if factor != 1.0:
        image = rescale(image, factor, anti_aliasing=True)
    image = (image - image.mean()) / image.std()
    image.flags.writeable = False
    return image


def cells(shape: tuple, split: str, seed) -> np.ndarray:
    """(k, 2) top-left corners of the CELL x CELL cells of a source of this shape that hold ``split``'s patches.

    The cells are dealt by one seeded permutation: its first quarter (at least one cell) to test,
    the rest to train, so for the same seed the two splits never share a cell.
    """
    rows, columns = shape[0] // CELL, shape[1] // CELL
    order = np.random.default_rng(seed).permutation(rows * columns)
    n_test = max(1, int(round(TEST_FRACTION * rows * columns)))
    mine = order[:n_test] if split == "test" else order[n_test:]
    return np.stack([mine // columns, mine % columns], 1) * CELL


def cut_patches(image: np.ndarray, n: int, corners: np.ndarray, rng: np.random.Generator):
    """(H, W) -> (n, 64, 64) patches, each inside a cell of ``corners``, and their (n, 2) top-left corners."""
    at = corners[rng.integers(0, len(corners), n)] + rng.integers(0, CELL - SIZE + 1, (n, 2))
    windows = np.lib.stride_tricks.sliding_window_view(image, (SIZE, SIZE))
    return windows[at[:, 0], at[:, 1]].copy(), at


def augment(patches: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 64, 64) standardised grey -> (n, 3, 64, 64) float32 in [0, 1], turned and tinted.

    Per patch: one of the 8 flips / quarter turns, contrast in [0.7, 1.3], brightness shift in
    [-0.1, 0.1], a tint (per-channel gain in [0.85, 1.15]) and Gaussian noise of std 0.03.
    """
    n = len(patches)
    turned = np.stack([np.rot90(p[:, ::-1] if f else p, k) for p, k, f in
                       zip(patches, rng.integers(0, 4, n), rng.integers(0, 2, n))])
    contrast, brightness = rng.uniform(0.7, 1.3, n), rng.uniform(-0.1, 0.1, n)
    tint = rng.uniform(0.85, 1.15, (n, 3, 1, 1)).astype(np.float32)
    # Mean 0.5, spread 0.18: most standardised pixels land inside [0, 1] before clipping.
    grey = (0.5 + brightness[:, None, None] + 0.18 * contrast[:, None, None] * turned)
    x = tint * grey.astype(np.float32)[:, None]
    x += 0.03 * rng.standard_normal(x.shape, np.float32)
    return np.clip(x, 0.0, 1.0, out=x)


def jitter(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Training-time augmentation of a batch (N, 3, H, W) in [0, 1]: a fresh variant per call.

    Per image: one of the 8 flips / quarter turns (2 if H != W), contrast about the image's mean
    in [0.7, 1.3], brightness in [-0.1, 0.1] and a per-channel gain in [0.85, 1.15], clipped to
    [0, 1]: the kinds of change ``augment`` made once when the split was cut, drawn anew every
    epoch (``minixai.nn.fit(..., augment=jitter)``). The shipped VGG-7 trains without it: with
    test cells scattered over each source its test accuracy needs no augmentation beyond the
    split's own. It is here for students who train on fewer patches or for longer.
    """
    if np.ndim(x) != 4:
        raise ShapeError(f"x: expected a batch of images (N, C, H, W), got shape {np.shape(x)}")
    n, square = len(x), x.shape[2] == x.shape[3]
    out = np.empty_like(x)
    for i, (k, flip) in enumerate(zip(rng.integers(0, 4, n), rng.integers(0, 2, n))):
        k = k if square else 2 * (k % 2)  # a quarter turn would not fit a non-square image
        out[i] = np.rot90(x[i, :, :, ::-1] if flip else x[i], k, axes=(1, 2))
    mean = out.mean(axis=(1, 2, 3), keepdims=True)
    contrast = rng.uniform(0.7, 1.3, (n, 1, 1, 1)).astype(x.dtype)
    brightness = rng.uniform(-0.1, 0.1, (n, 1, 1, 1)).astype(x.dtype)
    gain = rng.uniform(0.85, 1.15, (n, x.shape[1], 1, 1)).astype(x.dtype)
    out = ((out - mean) * contrast + mean + brightness) * gain
    return np.clip(out, 0.0, 1.0, out=out)


@functools.lru_cache(maxsize=2)
def _make(split: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The split, from the on-disk cache when this code and scikit-image made it before."""
    cache = _cache_file(split, seed)
    try:
        with np.load(cache) as saved:
            return saved["x"], saved["y"]
    except (OSError, KeyError, ValueError):
        pass
    x, y = _build(split, seed)
    try:  # a read-only or missing cache folder only costs the rebuild next time
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.npz")
        np.savez(partial, x=x, y=y)
        os.replace(partial, cache)
    except OSError:
        pass
    return x, y


def _cache_file(split: str, seed: int) -> Path:
    """Cutting the patches from scikit-image's images takes about a second a split; the result is
    kept under ``$MINIXAI_CACHE_DIR`` (default ~/.cache/minixai), named by a fingerprint of this
    file and of scikit-image's version, so a change to either builds it anew."""
    import skimage
    root = Path(os.environ.get("MINIXAI_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "minixai")
    fingerprint = hashlib.sha256(Path(__file__).read_bytes() + skimage.__version__.encode()).hexdigest()[:16]
    return root / f"textures8-{split}-{seed}-{fingerprint}.npz"


def _build(split: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    n = PER_CLASS[split]
    # Shuffled by writing each class straight into random rows: no concatenate-then-permute copy.
    rows = rng.permutation(n * len(CLASSES)).reshape(len(CLASSES), n)
    x = np.empty((rows.size, 3, SIZE, SIZE), np.float32)
    y = np.empty(rows.size, np.int64)
    for label, name in enumerate(CLASSES):
        image = source(name)
        # The cells are dealt from their own stream, [seed, 2, label], the same for both splits
        # (streams [seed, 0] and [seed, 1] cut the train and test patches).
        patches, _ = cut_patches(image, n, cells(image.shape, split, [seed, 2, label]), rng)
        x[rows[label]] = augment(patches, rng)
        y[rows[label]] = label
    return x, y


def textures8(split: str = "train", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """textures8 patches: x float32 (N, 3, 64, 64) in [0, 1], y int64 (N,) indexing ``CLASSES``.

    N is 3200 for "train" and 800 for "test", shuffled; the same seed gives the same arrays,
    and each call returns fresh copies. A stand-in for HMT (slide "Datasets: HMT"), not HMT.
    """
    check_names([split], SPLITS, "split")
    x, y = _make(split, check_integer(seed, "seed"))
    return x.copy(), y.copy()


textures8.CLASSES = CLASSES
