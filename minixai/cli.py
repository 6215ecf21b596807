"""The ``minixai`` command: list what ships, train the shipped models, explain a sample.

    minixai list
    minixai train mnist1d_cnn
    minixai explain --model mnist1d_cnn --method saliency --index 7 --out figures/saliency.png
    minixai evaluate --model mnist1d_cnn --methods saliency,gradcam --metrics drop_increase --n 100
    minixai lesson gradcam --fast
    minixai assignment make rules --out student/ ; minixai assignment grade student/

Bad arguments exit with status 2 and a one-line message naming the valid choices.
"""
from __future__ import annotations

import argparse
import sys

from . import backends
from .errors import MinixaiError, ParameterError


def _list(args) -> int:
    from .catalogue import EXPLAINER_ROWS, METRIC_ROWS
    from .explain import EXPLAINERS
    from .models import SHIPPED, model_card
    rows = {row.name: row for row in EXPLAINER_ROWS + METRIC_ROWS}
    for kind, names in (("explainers", list(EXPLAINERS)), ("metrics", _metric_names())):
        print(f"{kind}:")
        for name in names:
            row = rows.get(name)
            print(f"  {name:24s} {row.family:14s} {row.paper}" if row else f"  {name}")
    print("backends:", ", ".join(backends.MODULES), f"(in use: {backends.current().NAME})")
    print("datasets: mnist1d (Greydanus 2020), textures8 (a stand-in for HMT from scikit-image's images), hmt (Kather et al. 2016, local folder)")
    for name in SHIPPED:
        try:
            card = model_card(name)
            print(f"model {name}: test accuracy {card['test_accuracy']:.4f}, {card['epochs']} epochs, seed {card['seed']}")
        except OSError:
            print(f"model {name}: weights not built yet (minixai train {name})")
    return 0


def _metric_names() -> list:
    try:
        from .metrics import METRICS
    except ImportError:
        return []
    return list(METRICS)


def _explain(args) -> int:
    from pathlib import Path

    import numpy as np

    from .data import mnist1d, textures8
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
    predicted = int(model(x).argmax())
    target = predicted if args.target is None else args.target
    attribution = EXPLAINERS[args.method](model, x, target, **_params(args.param, EXPLAINERS[args.method]))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    title = f"{args.method} on {Path(args.model).stem}: class {target}" + (f" (predicted {predicted})" if target != predicted else "")
    plot_attribution(x[0], attribution[0], out, title, evidence, mode=args.mode)
    if args.save_array:
        np.save(out.with_suffix(".npy"), attribution)
    print(f"wrote {out} ({args.method}, class {target}, predicted class {predicted})")
    return 0


def _params(pairs, method) -> dict:
    """``--param n=500 --param layer=conv2`` as keyword arguments: numbers, booleans and None are
    parsed, anything else stays a string; names the method does not take are refused."""
    import ast
    import inspect
    accepted = [p.name for p in inspect.signature(method).parameters.values() if p.kind is p.KEYWORD_ONLY]
    params = {}
    for pair in pairs or []:
        name, sep, text = pair.partition("=")
        if not sep or name not in accepted:
            raise ParameterError(f"--param: expected NAME=VALUE with NAME one of {', '.join(accepted) or '(none)'}, got {pair!r}")
        try:
            params[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            params[name] = text
    return params


def _evaluate(args) -> int:
    from concurrent.futures import ProcessPoolExecutor
    from pathlib import Path

    import numpy as np

    from .data import mnist1d, textures8
    from .evaluate import evaluate
    from .models import SHIPPED, pretrained

    if args.model not in SHIPPED:
        raise ParameterError(f"--model: expected one of {', '.join(SHIPPED)}, got {args.model!r}")
    model = pretrained(args.model)
    evidence = None
    if args.model == "vgg7_textures8":
        x, y = textures8("test")
    else:
        x, y, evidence = mnist1d("test", evidence=True)
    if not 0 < args.n:
        raise ParameterError(f"--n: expected a positive number of test samples, got {args.n}")
    rows = np.random.default_rng(args.seed).permutation(len(x))[:args.n]
    metrics = args.metrics.split(",")
    if evidence is None and "localization" in metrics:
        raise ParameterError("--metrics: localization needs evidence masks, which only mnist1d_cnn's data has")
    k = args.k if args.k is not None else (90.0 if args.model == "vgg7_textures8" else 30.0)
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    try:
        table = evaluate(model, x[rows], args.methods.split(","), metrics, y=y[rows],
                         evidence=None if evidence is None else evidence[rows], k=k, seed=args.seed, executor=executor)
    finally:
        if executor is not None:
            executor.shutdown()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "table.csv")
    (out / "table.md").write_text(table.to_markdown() + "\n", encoding="utf-8")
    table.plot(out / "table.png")
    print(table.to_markdown())
    print(f"wrote {out / 'table.csv'}, {out / 'table.md'} and {out / 'table.png'} ({args.n} test samples, seed {args.seed}, k {k})")
    return 0


def _lesson(args) -> int:
    import os
    import subprocess

    from .catalogue import ROOT
    lessons = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))
    if not lessons:
        raise ParameterError(f"lesson: no lessons found under {ROOT / 'lessons'} (they ship with the source tree)")
    if args.name is None:
        print("\n".join(p.stem for p in lessons))
        return 0
    chosen = [p for p in lessons if args.name in (p.stem, p.stem[:2], p.stem[3:])]
    if len(chosen) != 1:
        raise ParameterError(f"lesson: expected one of {', '.join(p.stem for p in lessons)} "
                             f"(or its number or name), got {args.name!r}")
    env = dict(os.environ, MINIXAI_FIGURES=args.figures, **({"MINIXAI_FAST": "1"} if args.fast else {}))
    print(f"running {chosen[0].relative_to(ROOT)}; figures go to {args.figures}/{chosen[0].stem}", flush=True)
    return subprocess.run([sys.executable, str(chosen[0])], env=env).returncode


def _train(args) -> int:
    from .models.train import main as train_main
    return train_main([args.name, *args.rest])


def _assignment(args) -> int:
    from .assignments import ASSIGNMENTS, get, grade, make, report
    if args.action == "list":
        for assignment in ASSIGNMENTS.values():
            extra = (f" + {assignment.choose} explainers of the student's choice among {', '.join(assignment.choices)}"
                     if assignment.choices else "")
            print(f"{assignment.name:12s} {assignment.title} ({len(assignment.exercises)} exercises{extra})")
        return 0
    if args.action == "make":
        if not args.target or not args.out:
            raise ParameterError(f"assignment make: expected NAME and --out DIR; NAME is one of {', '.join(ASSIGNMENTS)}")
        choose = args.choose.split(",") if args.choose else None
        out = make(get(args.target).name, args.out, overwrite=args.overwrite, solutions=args.solutions, choose=choose)
        print(f"wrote the student copy of {args.target!r} to {out}; hand it out, then: minixai assignment grade {out}")
        return 0
    if not args.target:
        raise ParameterError("assignment grade: expected DIR, a student copy")
    rows = grade(args.target)
    print(report(rows))
    return 0 if all(status == "passed" for *_, status in rows) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minixai", description="Visual explanation of CNNs, from scratch.")
    parser.add_argument("--backend", choices=sorted(backends.MODULES), help="numpy, numba (default) or cuda")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{list,explain,evaluate,train,lesson,assignment}")
    commands.add_parser("list", help="explainers, metrics, backends, datasets and shipped models").set_defaults(run=_list)
    explain = commands.add_parser("explain", help="explain one sample with a shipped or saved model; write a figure")
    explain.add_argument("--model", default="mnist1d_cnn", help="mnist1d_cnn, vgg7_textures8 or a .npz saved by minixai")
    explain.add_argument("--method", default="saliency", help="an explainer name (minixai list)")
    explain.add_argument("--index", type=int, default=0, help="test-set sample to explain")
    explain.add_argument("--input", help="an .npy file holding one input (C, L) or (C, H, W) instead of a test sample")
    explain.add_argument("--out", default="figures/explanation.png", help="figure path (PNG)")
    explain.add_argument("--target", type=int, help="class to explain (default: the predicted class)")
    explain.add_argument("--param", action="append", metavar="NAME=VALUE",
                         help="a parameter of the method, repeatable (for example --param n=500 --param layer=conv2)")
    explain.add_argument("--mode", choices=("auto", "signed", "absolute"), default="auto",
                         help="colour scale: signed (diverging), absolute (|map|) or auto (signed if negative values)")
    explain.add_argument("--save-array", action="store_true", help="also write the attribution as .npy beside the figure")
    explain.set_defaults(run=_explain)
    train = commands.add_parser("train", help="train a shipped model (python -m minixai.models.train)")
    train.add_argument("name")
    train.add_argument("rest", nargs=argparse.REMAINDER)
    train.set_defaults(run=_train)
    evaluate = commands.add_parser("evaluate", help="score explainers with metrics on a shipped model's test set")
    evaluate.add_argument("--model", default="mnist1d_cnn", help="mnist1d_cnn or vgg7_textures8")
    evaluate.add_argument("--methods", default="saliency,gradcam", help="comma-separated explainer names (minixai list)")
    evaluate.add_argument("--metrics", default="drop_increase", help="comma-separated metric names (minixai list)")
    evaluate.add_argument("--n", type=int, default=100, help="test samples, a seeded random subset")
    evaluate.add_argument("--k", type=float, help="Drop%%/Increase%%'s k (default 30 for MNIST-1D, 90 for textures8)")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--workers", type=int, default=1, help="processes (the table does not depend on it)")
    evaluate.add_argument("--out", default="figures/evaluate", help="folder for table.csv, table.md and table.png")
    evaluate.set_defaults(run=_evaluate)
    lesson = commands.add_parser("lesson", help="run a lesson by name or number (no name: list them)")
    lesson.add_argument("name", nargs="?", help="for example gradcam, 12 or 12_gradcam")
    lesson.add_argument("--fast", action="store_true", help="the quick version (MINIXAI_FAST=1)")
    lesson.add_argument("--figures", default="figures", help="folder for the lesson's figures")
    lesson.set_defaults(run=_lesson)
    assignment = commands.add_parser("assignment", help="make a student copy of an assignment, or grade one")
    assignment.add_argument("action", choices=("list", "make", "grade"))
    assignment.add_argument("target", nargs="?", help="make: the assignment's name; grade: the student copy's folder")
    assignment.add_argument("--out", help="make: the folder to write")
    assignment.add_argument("--overwrite", action="store_true", help="make: replace a non-empty --out folder")
    assignment.add_argument("--solutions", action="store_true", help="make: keep the solutions (the teacher's copy)")
    assignment.add_argument("--choose", help="make project: the two explainers to implement, e.g. gradcam,rise")
    assignment.set_defaults(run=_assignment)
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
    except BrokenPipeError:  # `minixai list | head`: the reader left; stay quiet
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
