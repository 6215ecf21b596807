# %% [markdown]
# # 49 Project A: every explainer, scored by Drop% and Increase%
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slides "Project Goal" (MNIST-1D with a shallow CNN,
# HMT with a VGG-7, evaluated by Drop% and Increase%) and "Evaluation Metrics" ("Retain the
# top-most k% pixels of the image, and set the other pixels to black", k = 30% for MNIST-1D and
# 90% for HMT). HMT cannot be downloaded here, so its stand-in textures8 takes its place.
#
#     Drop%     = 100/N sum_i max(0, Y_i - O_i) / Y_i     (lower is better)
#     Increase% = 100/N sum_i 1[O_i > Y_i]                 (higher is better)
#
# Y_i is the probability of the predicted class on the input, O_i on the input keeping only the
# top k% positions of the map. MNIST-1D also gets deletion / insertion AUC (Petsiuk et al. 2018)
# and localisation against the template's evidence mask (pointing game, relevance mass).
#
# Every registered explainer runs with its default parameters; one that does not apply (a wrong
# signature or an error on these models) is listed with the reason. Chance level: every row also
# gives the Drop% and Increase% of a seeded random map on the same rows (subsets differ in
# difficulty), and a last row scores the random map with every metric. Methods too slow for the whole
# test set run on a seeded subset sized from a time budget: a pilot on a few samples measures
# seconds per sample, n = min(N, budget / (seconds per sample)) rounded down to tens (at least
# 10), and the subset is the first n rows of np.random.default_rng(0).permutation(N) (so smaller
# subsets nest in larger ones); the table says the n used.
#
#     MINIXAI_FAST=1 python lessons/49_project_a.py   # two methods on a few samples (about 10 s)
#     python lessons/49_project_a.py                  # every method, a 2 s budget each (a few minutes)
#     python lessons/49_project_a.py --full           # the docs table: docs/project_a.md and .csv
#
# --budget SECONDS sets the budget per method and data set (default 2, 60 with --full), --workers
# N runs the jobs on N processes (the numbers do not change with N), --only NAME... picks methods.
# Figures and the tables of the non-full runs go to $MINIXAI_FIGURES/49_project_a.

# %%
import argparse
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

import minixai
from minixai.data import mnist1d, textures8
from minixai.evaluate import Table, evaluate
from minixai.explain import EXPLAINERS
from minixai.metrics.common import check_attributions
from minixai.models import pretrained

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "49_project_a"
OUT.mkdir(parents=True, exist_ok=True)
DOCS = Path(__file__).resolve().parents[1] / "docs"

parser = argparse.ArgumentParser(description="The Project A table: every explainer x Drop% / Increase%.")
parser.add_argument("--full", action="store_true", help="whole test sets (budget permitting); write docs/project_a.md")
parser.add_argument("--budget", type=float, default=None, help="seconds of explaining per method and data set")
parser.add_argument("--workers", type=int, default=1, help="processes (1: serial)")
parser.add_argument("--only", nargs="*", default=None, help="explainer names (default: all registered)")
parser.add_argument("--out", default=None, help="folder for project_a.md and the CSVs")
args = parser.parse_args([] if "ipykernel" in sys.modules else None)
budget = args.budget if args.budget is not None else (60.0 if args.full else 5.0 if FAST else 2.0)
# Registered but not maps of the input being explained, so Drop% means nothing for them.
NOT_MAPS = {"activation_maximization": "synthesises an input that maximises a class or unit, not a map of x",
            "deepdream": "returns a changed input (what a layer sees), not a map of x",
            "localize": "returns a box / interval from a saliency map (the map's method is in the table)"}


def random_map(model, x, target=None, *, seed=None):
    """The control row: a seeded uniform random map (N, 1, ...), so chance level is in the table."""
    return np.random.default_rng(seed).random((len(x), 1) + np.shape(x)[2:])


METHODS = {**EXPLAINERS, "random (control)": random_map}
unknown = [name for name in args.only or [] if name not in EXPLAINERS]
if unknown:
    parser.error(f"--only: unknown explainers {unknown}; registered: {', '.join(EXPLAINERS)}")
names = args.only or (["saliency", "gradcam"] if FAST else list(EXPLAINERS))
names = [name for name in names if name in EXPLAINERS and name not in NOT_MAPS] + ["random (control)"]
out = Path(args.out) if args.out else (DOCS if args.full else OUT)
out.mkdir(parents=True, exist_ok=True)
executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
started = time.perf_counter()

# %% [markdown]
# ## The two set-ups: model, test set, k, metrics
# Targets are the predicted classes. Rows of a subset are the same for every method with the
# same n.

# %%
x1, y1, evidence1 = mnist1d("test", evidence=True)
x2, y2 = textures8("test")
SETUPS = {
    "MNIST-1D": dict(model=pretrained("mnist1d_cnn"), x=x1, y=y1, evidence=evidence1, k=30.0, batch_size=100,
                     metrics=["drop_increase", "deletion_insertion", "localization"], pilot=8,
                     limit=60 if FAST else None),
    "textures8": dict(model=pretrained("vgg7_textures8"), x=x2, y=y2, evidence=None, k=90.0, batch_size=16,
                      metrics=["drop_increase"], pilot=1 if FAST else 2, limit=4 if FAST else None),
}
COLUMNS = {"drop_increase.drop": "Drop% (lower better)", "chance.drop": "Drop% of a random map, same rows",
           "drop_increase.increase": "Increase% (higher better)", "chance.increase": "Increase% of a random map",
           "deletion_insertion.deletion_auc": "deletion AUC (lower)", "deletion_insertion.insertion_auc":
           "insertion AUC (higher)", "localization.pointing_game": "pointing game",
           "localization.relevance_mass": "relevance mass", "ms_per_sample": "ms / sample"}


def pilot(name, setup):
    """(seconds per sample, None), or (None, the reason the method does not apply).

    One sample first (it also compiles); a method slower than 1 s a sample is timed on it alone,
    a faster one again on a few samples.
    """
    function, model, x = METHODS[name], setup["model"], setup["x"][:setup["pilot"]]
    try:
        start = time.perf_counter()
        check_attributions(x[:1], function(model, x[:1]))
        seconds = time.perf_counter() - start
        if seconds < 1:
            start = time.perf_counter()
            check_attributions(x, function(model, x))
            seconds = (time.perf_counter() - start) / len(x)
    except Exception as error:       # any failure means: not applicable here, say why and go on
        return None, f"{type(error).__name__}: {' '.join(str(error).split())[:240]}"
    return seconds, None


def subset_size(seconds_per_sample, n_all, minimum=10):
    """All n_all rows if the budget allows, else budget / (s per sample) rounded down to tens, at least 10."""
    n = int(budget / max(seconds_per_sample, 1e-9))
    return n_all if n >= n_all else min(n_all, max(minimum, n // 10 * 10))


# %% [markdown]
# ## Run: pilot, choose n, evaluate on the seeded subset

# %%
tables, skipped, timings = {}, {}, {}
for dataset, setup in SETUPS.items():
    n_all = len(setup["x"]) if setup["limit"] is None else setup["limit"]
    order = np.random.default_rng(0).permutation(len(setup["x"]))
    rows, chance = [], {}
    for name in names:
        seconds, reason = pilot(name, setup)
        if reason is not None:
            skipped.setdefault(dataset, {})[name] = reason
            print(f"{dataset}: {name} skipped ({reason})")
            continue
        n = subset_size(seconds, n_all)
        chosen = np.sort(order[:n])
        evidence = None if setup["evidence"] is None else setup["evidence"][chosen]
        table = evaluate(setup["model"], setup["x"][chosen], {name: METHODS[name]}, setup["metrics"],
                         y=setup["y"][chosen], evidence=evidence, k=setup["k"], batch_size=setup["batch_size"],
                         seed=0, executor=executor, progress=False)
        if n not in chance:      # the random map's Drop% / Increase% on the very same rows
            control = "random (control)"
            chance[n] = evaluate(setup["model"], setup["x"][chosen], {control: random_map}, ["drop_increase"],
                                 k=setup["k"], batch_size=setup["batch_size"], seed=0, progress=False)[control]
        table[name].update({"chance.drop": chance[n]["drop_increase.drop"],
                            "chance.increase": chance[n]["drop_increase.increase"]})
        rows.append(table)
        timings[(dataset, name)] = table[name]["ms_per_sample"]
        print(f"{dataset}: {name:24s} n = {n:4d}, {table[name]['ms_per_sample']:9.2f} ms per sample, "
              f"Drop% {table[name]['drop_increase.drop']:6.2f}, Increase% {table[name]['drop_increase.increase']:6.2f}")
    tables[dataset] = Table.concat(rows) if rows else None
if executor is not None:
    executor.shutdown()
wall = time.perf_counter() - started

# %% [markdown]
# ## The tables: Markdown and CSV, and a bar chart per data set

# %%
command = "python lessons/49_project_a.py" + (" --full" if args.full else "") + \
    (f" --budget {args.budget:g}" if args.budget is not None else "") + \
    (f" --workers {args.workers}" if args.workers > 1 else "") + (" --only " + " ".join(args.only) if args.only else "")
command = ("MINIXAI_FAST=1 " if FAST else "") + command
lines = ["# Project A: every explainer, Drop% and Increase%", "",
         f"Made by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC (minixai {minixai.__version__}, "
         f"{platform.machine()}, {wall / 60:.1f} min wall, time budget {budget:g} s of explaining per method and "
         f"data set, {args.workers} worker(s)).", "",
         "Targets: the predicted class. k: the share of positions kept (30% for MNIST-1D, 90% for textures8, "
         "as the seed's Project A slide gives for MNIST-1D and HMT; textures8 stands in for HMT). n: the samples "
         "used; below the whole test set, the first n of `np.random.default_rng(0).permutation(N)`. "
         "ms / sample: explaining only, wall time on a shared machine (indicative).", ""]
for dataset, table in tables.items():
    setup = SETUPS[dataset]
    lines += [f"## {dataset} ({len(setup['x'])} test samples, k = {setup['k']:g}%)", ""]
    if table is None:
        lines += ["No explainer applied.", ""]
        continue
    columns = ["explainer", "n"] + [c for c in COLUMNS if c in table.columns]
    markdown = table.to_markdown(digits=2, columns=columns).splitlines()
    markdown[0] = "| " + " | ".join(COLUMNS.get(c, c) for c in columns) + " |"
    lines += markdown + [""]
    stem = "project_a_" + dataset.lower().replace("-", "")
    table.to_csv(out / f"{stem}.csv")
    table.plot(OUT / f"{stem}.png", columns=[c for c in COLUMNS if c in table.columns and not c.startswith("chance")])
for dataset, reasons in skipped.items():
    lines += [f"## Not applicable on {dataset}", ""]
    lines += [f"- `{name}`: {reason}" for name, reason in reasons.items()] + [""]
left_out = [name for name in NOT_MAPS if name in EXPLAINERS and (args.only is None or name in args.only)]
if left_out and not FAST:
    lines += ["## Registered, but not attribution maps", ""]
    lines += [f"- `{name}`: {NOT_MAPS[name]}" for name in left_out] + [""]
(out / "project_a.md").write_text("\n".join(lines))
print("\n".join(lines))
print(f"tables written to {out}, figures to {OUT}")
