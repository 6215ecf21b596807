"""Evaluation tables: every explainer times every metric on a data set, in parallel if asked.

    table = evaluate(model, x, ["saliency", "gradcam"], ["drop_increase", "deletion_insertion"], k=30)
    print(table.to_markdown()); table.to_csv("table.csv"); table.plot("table.png")

x is split into chunks of ``batch_size`` rows; each (explainer, chunk) pair is one job: explain
the chunk, then score those attributions with every metric. Jobs go through any
``concurrent.futures``-style executor (its ``map``; None runs them one after the other here), so
``ProcessPoolExecutor`` spreads them over cores. Each job's seeds derive from (seed, explainer
name, chunk index) only (plus the metric's name for a stochastic metric), so the table does not
depend on the executor or the number of workers. The per-row values of every chunk are pooled,
and a column is their mean over rows (NaN rows left out).
Functions sent to a process pool must be picklable: the registry's functions and
``functools.partial`` of them are, lambdas are not.
"""
from __future__ import annotations

import csv
import inspect
import io
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .errors import ParameterError, ShapeError, UnknownNameError, as_float_array
from .explain.common import check_input, resolve_target
from .metrics.sanity import accepts, explain
from .nn.layer import positive_int

TIMING = ("seconds", "ms_per_sample")


@dataclass
class Table:
    """Rows (one per explainer) of named columns, with the pooled per-sample values behind them.

    ``rows``: list of dicts, each with "explainer", "n" (samples), one column per metric value
    ("drop_increase.drop", ...) and the explainer's time ("seconds" in all, "ms_per_sample").
    ``per_sample[explainer][column]``: the (n,) values a column is the mean of.
    """
    rows: list
    per_sample: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @property
    def columns(self) -> list:
        """Column names in first-seen order ("explainer" and "n" first, timings last)."""
        names = []
        for row in self.rows:
            names += [c for c in row if c not in names]
        return [c for c in names if c not in TIMING] + [c for c in TIMING if c in names]

    @property
    def explainers(self) -> list:
        return [row["explainer"] for row in self.rows]

    def __getitem__(self, explainer: str) -> dict:
        for row in self.rows:
            if row["explainer"] == explainer:
                return row
        raise UnknownNameError(f"explainer: no row {explainer!r}; rows are {', '.join(self.explainers)}")

    def values(self, timing: bool = False) -> list:
        """The rows as tuples in column order (timings left out unless asked: they vary run to run)."""
        columns = [c for c in self.columns if timing or c not in TIMING]
        return [tuple(row.get(c) for c in columns) for row in self.rows]

    @classmethod
    def concat(cls, tables) -> "Table":
        """One table with the rows of several (explainers evaluated on different subsets, say)."""
        rows, per_sample, meta = [], {}, {}
        for table in tables:
            rows += [dict(row) for row in table.rows]
            per_sample.update(table.per_sample)
            meta.update(table.meta)
        return cls(rows, per_sample, meta)

    def to_csv(self, path=None) -> str:
        """The table as CSV text (full precision); written to ``path`` when given."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self.columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        if path is not None:
            Path(path).write_text(out.getvalue())
        return out.getvalue()

    def to_markdown(self, digits: int = 3, columns=None) -> str:
        """A Markdown table, numbers with ``digits`` digits after the decimal point."""
        columns = self.columns if columns is None else list(columns)

        def cell(value):
            if isinstance(value, (float, np.floating)):
                return "nan" if not np.isfinite(value) else f"{value:.{digits}f}"
            return "" if value is None else str(value)
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in self.rows]
        return "\n".join(lines)

    def plot(self, path=None, columns=None):
        """Bars per metric column (one panel each), one bar per explainer; saved to ``path`` if given."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        columns = [c for c in (self.columns if columns is None else columns) if c not in ("explainer", "n")]
        width = 3 * max(1, min(len(columns), 4))
        rows_of_panels = -(-len(columns) // 4)
        fig, axes = plt.subplots(rows_of_panels, min(len(columns), 4), squeeze=False,
                                 figsize=(width, 0.25 * len(self.rows) * rows_of_panels + 1.5 * rows_of_panels))
        for ax, column in zip(axes.flat, columns):
            values = [float(row.get(column, np.nan)) for row in self.rows]
            ax.barh(range(len(values)), values, color="tab:blue")
            ax.set_yticks(range(len(values)), self.explainers, fontsize=7)
            ax.invert_yaxis()
            ax.set_title(column, fontsize=9)
        for ax in list(axes.flat)[len(columns):]:
            ax.axis("off")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig


@dataclass
class Job:
    """One explainer on one chunk of rows, with everything a worker process needs."""
    index: int
    explainer: str
    function: object
    params: dict
    metrics: dict
    model: object
    x: np.ndarray
    target: np.ndarray
    evidence: object
    seed: int
    metric_seeds: dict
    k: object


def job_seed(seed: int, explainer: str, chunk: int) -> int:
    """A seed that depends on (seed, explainer name, chunk index) only, never on who runs the job."""
    sequence = np.random.SeedSequence([int(seed), zlib.crc32(explainer.encode()), int(chunk)])
    return int(sequence.generate_state(1)[0])


def _bound_explainer(job: Job) -> "_Bound":
    params = dict(job.params)
    if "seed" not in params and accepts(job.function, "seed"):
        params["seed"] = job.seed
    return _Bound(job.function, params)


def _metric_kwargs(metric_name: str, metric, params: dict, job: Job) -> dict:
    kwargs = dict(params)
    for name, value in (("evidence", job.evidence), ("k", job.k), ("seed", job.metric_seeds[metric_name])):
        if value is not None and name not in kwargs and accepts(metric, name):
            kwargs[name] = value
    if "explainer" not in kwargs and accepts(metric, "explainer") and not getattr(metric, "needs_explainer", False):
        kwargs["explainer"] = _bound_explainer(job)    # max-sensitivity re-explains perturbed inputs
    return kwargs


def run_job(job: Job) -> dict:
    """Explain one chunk and score it with every metric: {"seconds", "n", "metrics": {name: result}}."""
    start = time.perf_counter()
    attributions = explain(job.function, job.model, job.x, job.target, job.seed, **job.params)
    seconds = time.perf_counter() - start
    results = {}
    for name, (metric, params) in job.metrics.items():
        kwargs = _metric_kwargs(name, metric, params, job)
        if getattr(metric, "needs_explainer", False):
            result = metric(job.model, job.x, _Bound(job.function, job.params), job.target, **kwargs)
        else:
            result = metric(job.model, job.x, attributions, job.target, **kwargs)
        results[name] = ({k: float(v) for k, v in result.values.items()},
                         {k: np.asarray(v) for k, v in result.per_sample.items()})
    return {"index": job.index, "seconds": seconds, "n": len(job.x), "metrics": results}


class _Bound:
    """An explainer with its parameters bound (picklable, unlike a lambda)."""

    def __init__(self, function, params):
        self.function, self.params = function, params

    def __call__(self, model, x, target=None, **params):
        return self.function(model, x, target, **{**self.params, **params})

    @property
    def __signature__(self):
        return inspect.signature(self.function)


def _explainers(explainers) -> dict:
    from .explain import EXPLAINERS
    if isinstance(explainers, str):
        explainers = [explainers]
    if isinstance(explainers, dict):
        items = explainers.items()
    else:
        items = []
        for name in explainers:
            if name not in EXPLAINERS:
                raise UnknownNameError(f"explainers: unknown name {name!r}; valid names are {', '.join(EXPLAINERS)}")
            items.append((name, EXPLAINERS[name]))
    out = {}
    for name, value in items:
        function, params = value if isinstance(value, tuple) else (value, {})
        if not callable(function):
            raise ParameterError(f"explainers[{name!r}]: expected a callable or (callable, params), got {value!r}")
        out[str(name)] = (function, dict(params))
    if not out:
        raise ParameterError(f"explainers: expected at least one, e.g. {', '.join(EXPLAINERS)}")
    return out


def _metrics(metrics) -> dict:
    from .metrics import METRICS
    if isinstance(metrics, str):
        metrics = [metrics]
    if isinstance(metrics, dict):
        items = metrics.items()
    else:
        items = []
        for name in metrics:
            if name not in METRICS:
                raise UnknownNameError(f"metrics: unknown name {name!r}; valid names are {', '.join(METRICS)}")
            items.append((name, METRICS[name]))
    out = {}
    for name, value in items:
        function, params = value if isinstance(value, tuple) else (value, {})
        if not callable(function):
            raise ParameterError(f"metrics[{name!r}]: expected a callable or (callable, params), got {value!r}")
        out[str(name)] = (function, dict(params))
    return out


def _targets(model, x, y, target) -> np.ndarray:
    if isinstance(target, str):
        if target != "label":
            raise ParameterError(f"target: expected None, a class, one class per row or 'label', got {target!r}")
        if y is None:
            raise ParameterError("target='label' needs y (the labels)")
        target = y
    logits_shape = (len(x), model.output_shape(x[:1].shape)[-1])
    if target is None:
        return model.predict(x)
    return resolve_target(target, np.empty(logits_shape))


def _pool(name: str, chunks: list, n: int) -> tuple:
    """Columns and per-sample values of one metric over all chunks of one explainer."""
    columns, per_sample = {}, {}
    for key in chunks[0][0]:
        label = name if key == name else f"{name}.{key}"
        rows = [c[1].get(key) for c in chunks]
        if all(r is not None and r.shape == (size,) for r, size in zip(rows, [c[2] for c in chunks])):
            per_sample[label] = np.concatenate(rows)
            columns[label] = float(np.nanmean(per_sample[label])) if np.isfinite(per_sample[label]).any() else np.nan
        else:
            # A summary with no per-row values: the chunks' values weighted by their sizes.
            columns[label] = float(sum(c[0][key] * c[2] for c in chunks) / n)
    return columns, per_sample


def evaluate(model, x, explainers, metrics, *, y=None, target=None, evidence=None, k=None, batch_size: int = 100,
             seed: int = 0, executor=None, progress: bool = True) -> Table:
    """Every explainer on x, scored by every metric: a Table with one row per explainer.

    explainers: names from ``minixai.explain.EXPLAINERS`` or ``{name: callable or (callable, params)}``.
    metrics: names from ``minixai.metrics.METRICS`` or ``{name: callable or (callable, params)}``;
        a metric gets ``evidence``, ``k`` and its job's ``seed`` only if it takes them.
    target: None (the predicted class), a class, one class per row, or "label" (needs y).
    y: the labels; when given, the table's meta records the model's accuracy on x.
    batch_size: rows per job. The results depend on (seed, batch_size), not on ``executor``.
    executor: anything with ``map(function, iterable)`` (``ProcessPoolExecutor(2)``); None: serial.
    """
    explainers, metrics = _explainers(explainers), _metrics(metrics)
    x = check_input(model, x)
    if len(x) == 0:
        raise ParameterError("x: expected at least one sample, got an empty data set")
    batch_size = positive_int(batch_size, "batch_size")
    if y is not None and np.shape(y) != (len(x),):
        raise ShapeError(f"y: expected {len(x)} labels, got shape {np.shape(y)}")
    if evidence is not None:
        evidence = as_float_array(evidence, "evidence")
        if len(evidence) != len(x):
            raise ShapeError(f"evidence: expected one mask per row of x ({len(x)}), got shape {evidence.shape}")
    targets = _targets(model, x, y, target)
    jobs = []
    for name, (function, params) in explainers.items():
        for chunk, i in enumerate(range(0, len(x), batch_size)):
            rows = slice(i, i + batch_size)
            metric_seeds = {m: job_seed(seed, f"{name}/{m}", chunk) for m in metrics}
            jobs.append(Job(len(jobs), name, function, params, metrics, model, x[rows], targets[rows],
                            None if evidence is None else evidence[rows], job_seed(seed, name, chunk), metric_seeds, k))
    mapper = map if executor is None else executor.map
    results = list(tqdm(mapper(run_job, jobs), total=len(jobs), desc="evaluate", unit="job", disable=not progress))
    rows, per_sample = [], {}
    for name in explainers:
        mine = [(job, result) for job, result in zip(jobs, results) if job.explainer == name]
        row, samples = {"explainer": name, "n": len(x)}, {}
        for metric in metrics:
            chunks = [(r["metrics"][metric][0], r["metrics"][metric][1], r["n"]) for _, r in mine]
            columns, pooled = _pool(metric, chunks, len(x))
            row.update(columns)
            samples.update(pooled)
        seconds = sum(r["seconds"] for _, r in mine)
        row.update(seconds=seconds, ms_per_sample=1000 * seconds / len(x))
        rows.append(row)
        per_sample[name] = samples
    meta = {"seed": seed, "batch_size": batch_size, "k": k, "samples": len(x)}
    if y is not None:
        meta["accuracy"] = float(np.mean(model.predict(x) == np.asarray(y)))
    return Table(rows, per_sample, meta)
