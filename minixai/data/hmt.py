"""HMT, the Kather et al. 2016 colorectal histology textures, read from the folder as distributed.

Kather et al. 2016, "Multi-class texture analysis in colorectal cancer histology", Sci. Rep. 6,
27988, https://www.nature.com/articles/srep27988; slide "Datasets: HMT" of seed
000_8bf5a89bed1f51bd: eight balanced classes, 4504 train + 496 test images.

minixai cannot download it. Unzip Kather_texture_2016_image_tiles_5000 and pass the folder that
holds the eight class folders (``CLASSES``: 01_TUMOR ... 08_EMPTY, 625 tiles of 150 x 150 RGB
.tif each) as ``path``, or set MINIXAI_HMT_DIR.

The split: the slide gives 4504 / 496 on a balanced set, which is 563 train + 62 test per class
of 625; it does not say which tiles. Here each class sends a seeded random round(n * 496 / 5000)
of its n tiles to test (at least one when n >= 2), so a smaller folder keeps the same test
fraction, stratified. Reading and resizing 5000 tiles takes about 10 s; nothing is cached.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from minixai.data._checks import check_integer
from minixai.errors import ParameterError, ShapeError, check_names

CLASSES = ("01_TUMOR", "02_STROMA", "03_COMPLEX", "04_LYMPHO",
           "05_DEBRIS", "06_MUCOSA", "07_ADIPOSE", "08_EMPTY")
SPLITS = ("train", "test", "all")
TEST_FRACTION = 496 / 5000
ENV = "MINIXAI_HMT_DIR"
EXTENSIONS = (".tif", ".tiff")


def hmt_folder(path: str | os.PathLike | None = None) -> Path:
    """The folder holding the eight class folders, from ``path`` or $MINIXAI_HMT_DIR; checked."""
    if path is None:
        path = os.environ.get(ENV)
    if path is None:
        raise ParameterError(f"path: expected the HMT folder (holding {', '.join(CLASSES)}) "
                             f"or the environment variable {ENV}; got neither")
    root = Path(path).expanduser()
    if not root.is_dir():
        raise ParameterError(f"path: expected an existing folder holding {', '.join(CLASSES)}, "
                             f"got {str(root)!r}")
    missing = [name for name in CLASSES if not (root / name).is_dir()]
    if missing:
        hint = [str(sub) for sub in root.iterdir() if (sub / CLASSES[0]).is_dir()]
        raise ParameterError(f"path: expected the folders {', '.join(CLASSES)} in {str(root)!r}; "
                             f"missing {', '.join(missing)}"
                             + (f" (they are in {hint[0]!r})" if hint else ""))
    return root


def tile_files(root: Path) -> list[list[Path]]:
    """Per class, the sorted .tif / .tiff files of its folder; an empty folder raises ShapeError."""
    files = []
    for name in CLASSES:
        found = sorted(p for p in (root / name).iterdir()
                       if p.is_file() and p.suffix.lower() in EXTENSIONS)
        if not found:
            raise ShapeError(f"path: expected .tif tiles in {str(root / name)!r}, found none")
        files.append(found)
    return files


def held_out(n: int) -> int:
    """Test tiles of a class of n: round(n * 496 / 5000), kept in [1, n - 1] when n >= 2."""
    if n < 2:
        return 0
    return min(n - 1, max(1, int(np.floor(n * TEST_FRACTION + 0.5))))


def split_files(files: list[list[Path]], split: str, seed: int) -> list[tuple[Path, int]]:
    """(file, label) pairs of ``split``, stratified per class and shuffled, both seeded."""
    rng = np.random.default_rng(seed)
    chosen = []
    for label, paths in enumerate(files):
        order = rng.permutation(len(paths))
        k = held_out(len(paths))
        keep = {"train": order[k:], "test": order[:k], "all": order}[split]
        chosen += [(paths[i], label) for i in np.sort(keep)]
    return [chosen[i] for i in rng.permutation(len(chosen))]


def read_tile(path: Path, size: int) -> np.ndarray:
    """One tile -> (3, size, size) float32 in [0, 1], resized with anti-aliasing.

    Grey tiles are repeated over the three channels, an alpha channel is dropped.
    """
    # Imported here: scikit-image takes most of a second to import and only the loaders need it.
    from skimage.io import imread
    from skimage.transform import resize
    from skimage.util import img_as_float

    image = img_as_float(imread(path))
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        image = np.stack([image] * 3, -1)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ShapeError(f"{path}: expected an RGB tile (H, W, 3), got shape {image.shape}")
    image = resize(image[..., :3], (size, size), anti_aliasing=True)
    return np.clip(image, 0.0, 1.0).transpose(2, 0, 1).astype(np.float32)


def hmt(path: str | os.PathLike | None = None, split: str = "train", size: int = 64,
        seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """HMT tiles: x float32 (N, 3, size, size) in [0, 1], y int64 (N,) indexing ``CLASSES``.

    N is 4504 for "train", 496 for "test" and 5000 for "all" on the full dataset. The split
    and the order are drawn from ``seed``; the same seed always gives the same split.
    Kather et al. 2016; slide "Datasets: HMT".
    """
    check_names([split], SPLITS, "split")
    size, seed = check_integer(size, "size", 1), check_integer(seed, "seed")
    pairs = split_files(tile_files(hmt_folder(path)), split, seed)
    x = np.empty((len(pairs), 3, size, size), np.float32)
    for i, (file, _) in enumerate(pairs):
        x[i] = read_tile(file, size)
    return x, np.array([label for _, label in pairs], np.int64)


hmt.CLASSES = CLASSES
