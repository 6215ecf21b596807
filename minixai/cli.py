"""The ``minixai`` command: list what ships, train the shipped models, explain a sample.

    minixai list
    minixai train mnist1d_cnn
    minixai explain --model mnist1d_cnn --method saliency --index 7 --out figures/saliency.png

Bad arguments exit with status 2 and a one-line message naming the valid choices.
"""
from __future__ import annotations

import argparse
import sys

from . import backends
from .errors import MinixaiError


def _list(args) -> int:
    from .models import SHIPPED, model_card
    print("backends:", ", ".join(backends.MODULES), f"(in use: {backends.current().NAME})")
    print("datasets: mnist1d (Greydanus 2020), textures8 (a stand-in for HMT from scikit-image's images), hmt (Kather et al. 2016, local folder)")
    for name in SHIPPED:
        try:
            card = model_card(name)
            print(f"model {name}: test accuracy {card['test_accuracy']:.4f}, {card['epochs']} epochs, seed {card['seed']}")
        except OSError:
            print(f"model {name}: weights not built yet (minixai train {name})")
    return 0


def _explain(args) -> int:
    from pathlib import Path

    import numpy as np

    from .data import mnist1d, textures8
    from .errors import ParameterError
    from .explain import EXPLAINERS
    from .models import SHIPPED, pretrained
    from .nn import load
    from .viz import plot_attribution

    if args.method not in EXPLAINERS:
        raise ParameterError(f"--method: unknown method {args.method!r}; choose from {', '.join(EXPLAINERS)}")
    model = pretrained(args.model) if args.model in SHIPPED else None
    if model is None:
        if not Path(args.model).is_file():
            raise ParameterError(f"--model: expected one of {', '.join(SHIPPED)} or a saved model file, got {args.model!r}")
        model = load(args.model)
    evidence = None
    if args.input:
        try:
            x = np.load(args.input, allow_pickle=False)[None]
        except (OSError, ValueError) as exc:
            raise ParameterError(f"--input: expected a readable .npy file, got {args.input!r} ({exc})") from None
    else:
        if args.model == "vgg7_textures8":
            xs, _ = textures8("test")
        else:
            xs, _, evidence = mnist1d("test", evidence=True)
        if not 0 <= args.index < len(xs):
            raise ParameterError(f"--index: expected a test sample in [0, {len(xs)}), got {args.index}")
        x, evidence = xs[args.index:args.index + 1], (evidence[args.index] if evidence is not None else None)
    attribution = EXPLAINERS[args.method](model, x)
    predicted = int(model(x).argmax())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    plot_attribution(x[0], attribution[0], out, f"{args.method} on {Path(args.model).stem}: class {predicted}", evidence)
    if args.save_array:
        np.save(out.with_suffix(".npy"), attribution)
    print(f"wrote {out} ({args.method}, predicted class {predicted})")
    return 0


def _train(args) -> int:
    from .models.train import main as train_main
    return train_main([args.name, *args.rest])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minixai", description="Visual explanation of CNNs, from scratch.")
    parser.add_argument("--backend", choices=sorted(backends.MODULES), help="numpy, numba (default) or cuda")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{list,explain,train}")
    commands.add_parser("list", help="backends, datasets and shipped models").set_defaults(run=_list)
    explain = commands.add_parser("explain", help="explain one sample with a shipped or saved model; write a figure")
    explain.add_argument("--model", default="mnist1d_cnn", help="mnist1d_cnn, vgg7_textures8 or a .npz saved by minixai")
    explain.add_argument("--method", default="saliency", help="an explainer name (minixai list)")
    explain.add_argument("--index", type=int, default=0, help="test-set sample to explain")
    explain.add_argument("--input", help="an .npy file holding one input (C, L) or (C, H, W) instead of a test sample")
    explain.add_argument("--out", default="figures/explanation.png", help="figure path (PNG)")
    explain.add_argument("--save-array", action="store_true", help="also write the attribution as .npy beside the figure")
    explain.set_defaults(run=_explain)
    train = commands.add_parser("train", help="train a shipped model (python -m minixai.models.train)")
    train.add_argument("name")
    train.add_argument("rest", nargs=argparse.REMAINDER)
    train.set_defaults(run=_train)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.backend:
            backends.use(args.backend)
        return args.run(args)
    except MinixaiError as exc:
        print(f"minixai: error: {exc}", file=sys.stderr)
        return 2
