"""The README's gallery: every explainer on one MNIST-1D test sample and one textures8 test image.

    python docs/gallery.py            # writes docs/gallery_mnist1d.png and docs/gallery_textures8.png

Each method runs with its defaults on the shipped model, explaining the predicted class; each
panel is normalised by its own largest magnitude (minixai.viz), signed maps in red/blue.
Methods that synthesise an input instead of explaining one (activation maximisation, DeepDream)
are left out: their lessons show what they make.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from minixai.catalogue import lesson_of
from minixai.data import mnist1d, textures8
from minixai.errors import NotApplicableError
from minixai.explain import EXPLAINERS
from minixai.models import pretrained
from minixai.viz import plot_grid

SYNTHESISE_INPUTS = {"activation_maximization", "deepdream"}
HERE = Path(__file__).resolve().parent


def explain_all(model, x: np.ndarray) -> tuple:
    """({method: attribution of x[0]}, {method: seconds}) for every explainer that explains an input
    and applies to the model (CAM needs a conv -> GAP -> dense head, for example)."""
    names = sorted((n for n in EXPLAINERS if n not in SYNTHESISE_INPUTS), key=lambda n: str(lesson_of(n)))
    maps, seconds = {}, {}
    for name in names:
        start = time.perf_counter()
        try:
            maps[name] = EXPLAINERS[name](model, x)[0]
        except NotApplicableError as exc:
            print(f"  {name}: left out ({exc})")
            continue
        seconds[name] = time.perf_counter() - start
    return maps, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the two figures")
    parser.add_argument("--mnist1d-index", type=int, default=7)
    parser.add_argument("--textures8-index", type=int, default=5)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    x, y, evidence = mnist1d("test", evidence=True)
    i = args.mnist1d_index
    model = pretrained("mnist1d_cnn")
    maps, seconds = explain_all(model, x[i:i + 1])
    plot_grid(x[i], maps, args.out / "gallery_mnist1d.png", evidence=evidence[i], columns=5,
              title=f"MNIST-1D test sample {i} (digit {y[i]}), shipped CNN; green: where the template lies")
    print(f"mnist1d: {len(maps)} methods, {sum(seconds.values()):.1f} s")
    xt, yt = textures8("test")
    j = args.textures8_index
    model = pretrained("vgg7_textures8")
    maps, seconds = explain_all(model, xt[j:j + 1])
    plot_grid(xt[j], maps, args.out / "gallery_textures8.png", columns=6,
              title=f"textures8 test image {j} ({textures8.CLASSES[yt[j]]}), shipped VGG-7")
    print(f"textures8: {len(maps)} methods, {sum(seconds.values()):.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
