"""The evaluation runner: the same table whoever runs the jobs, seeded, pooled, and clear errors."""
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial

import numpy as np
import pytest

from minixai.errors import ParameterError, UnknownNameError
from minixai.evaluate import Table, evaluate, job_seed
from minixai.explain import saliency, smoothgrad
from minixai.metrics import MetricResult
from minixai.models import mnist1d_cnn


def mean_attribution(model, x, attributions, target=None):
    """A toy metric: each row's mean attribution (deterministic, per-row)."""
    a = np.asarray(attributions).reshape(len(x), -1).mean(1)
    return MetricResult("mean_attribution", {"mean": float(a.mean())}, {"mean": a})


def evidence_share(model, x, attributions, target=None, *, evidence):
    """A toy metric that needs the evidence mask: |a| mass inside it."""
    a = np.abs(np.asarray(attributions)).sum(1)
    share = (a * evidence).sum(1) / a.sum(1)
    return MetricResult("evidence_share", {"share": float(share.mean())}, {"share": share})


def noisy(model, x, attributions, target=None, *, seed=None):
    """A toy stochastic metric: its seed must come from the job."""
    draw = np.random.default_rng(seed).normal(size=len(x))
    return MetricResult("noisy", {"noisy": float(draw.mean())}, {"noisy": draw})


METRICS = {"mean_attribution": mean_attribution, "noisy": noisy}
EXPLAINERS = {"saliency": saliency, "smoothgrad": (smoothgrad, {"n": 4})}


@pytest.fixture(scope="module")
def model_and_x():
    model = mnist1d_cnn(seed=1)
    x = np.random.default_rng(0).normal(size=(23, 1, 40)).astype(np.float32)
    return model, x


def test_a_process_pool_gives_the_serial_table(model_and_x):
    model, x = model_and_x
    serial = evaluate(model, x, EXPLAINERS, METRICS, batch_size=5, seed=3, progress=False)
    with ProcessPoolExecutor(2) as pool:
        parallel = evaluate(model, x, EXPLAINERS, METRICS, batch_size=5, seed=3, executor=pool, progress=False)
    assert parallel.values() == serial.values()
    for name in serial.explainers:
        for column, values in serial.per_sample[name].items():
            assert np.array_equal(parallel.per_sample[name][column], values)


def test_the_table_is_deterministic_under_a_seed_and_the_seed_matters(model_and_x):
    model, x = model_and_x
    first = evaluate(model, x, EXPLAINERS, METRICS, batch_size=6, seed=4, progress=False)
    with ThreadPoolExecutor(3) as pool:
        threads = evaluate(model, x, EXPLAINERS, METRICS, batch_size=6, seed=4, progress=False, executor=pool)
    other = evaluate(model, x, EXPLAINERS, METRICS, batch_size=6, seed=5, progress=False)
    assert threads.values() == first.values()
    assert other["smoothgrad"]["noisy"] != first["smoothgrad"]["noisy"]
    assert other["saliency"]["mean_attribution.mean"] == first["saliency"]["mean_attribution.mean"]


def test_job_seeds_depend_on_seed_explainer_and_chunk_only():
    assert job_seed(0, "rise", 3) == job_seed(0, "rise", 3)
    assert len({job_seed(0, "rise", 3), job_seed(1, "rise", 3), job_seed(0, "lime", 3), job_seed(0, "rise", 4)}) == 4


def test_pooled_columns_equal_the_metric_on_the_whole_set(model_and_x):
    model, x = model_and_x
    table = evaluate(model, x, ["saliency"], {"mean_attribution": mean_attribution}, batch_size=7, progress=False)
    whole = mean_attribution(model, x, saliency(model, x))
    assert table["saliency"]["mean_attribution.mean"] == pytest.approx(whole["mean"], rel=1e-6)
    assert table["saliency"]["n"] == len(x)
    assert np.allclose(table.per_sample["saliency"]["mean_attribution.mean"], whole.per_sample["mean"], rtol=1e-6)


def test_registered_metrics_run_by_name_with_k_and_the_explainer(model_and_x):
    model, x = model_and_x
    table = evaluate(model, x[:6], ["saliency"], ["drop_increase", "model_randomization"], k=30.0, batch_size=3,
                     progress=False)
    row = table["saliency"]
    assert 0 <= row["drop_increase.drop"] <= 100
    assert "model_randomization.spearman@fc" in row


def test_only_metrics_that_take_evidence_get_it(model_and_x):
    model, x = model_and_x
    evidence = np.zeros((len(x), 40))
    evidence[:, 10:20] = 1
    table = evaluate(model, x, ["saliency"], {"share": evidence_share, "mean_attribution": mean_attribution},
                     evidence=evidence, batch_size=10, progress=False)
    assert 0 < table["saliency"]["share"] < 1


def test_timing_columns_and_the_three_outputs(model_and_x, tmp_path):
    model, x = model_and_x
    table = evaluate(model, x, EXPLAINERS, {"mean_attribution": mean_attribution}, batch_size=10, progress=False)
    assert table.columns[:2] == ["explainer", "n"] and table.columns[-2:] == ["seconds", "ms_per_sample"]
    assert all(row["seconds"] > 0 for row in table.rows)
    csv = table.to_csv(tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text() == csv and csv.splitlines()[0] == ",".join(table.columns)
    markdown = table.to_markdown().splitlines()
    assert markdown[0] == "| " + " | ".join(table.columns) + " |" and len(markdown) == 2 + len(table.rows)
    table.plot(tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 0
    both = Table.concat([table, table])
    assert len(both.rows) == 4


def test_empty_data_and_unknown_names_raise_errors_listing_the_choices(model_and_x):
    model, x = model_and_x
    with pytest.raises(ParameterError, match="empty"):
        evaluate(model, x[:0], ["saliency"], {"m": mean_attribution}, progress=False)
    with pytest.raises(UnknownNameError, match="saliency.*gradcam|gradcam.*saliency"):
        evaluate(model, x, ["salency"], {"m": mean_attribution}, progress=False)
    with pytest.raises(UnknownNameError, match="drop_increase"):
        evaluate(model, x, ["saliency"], ["drop"], progress=False)
    with pytest.raises(ParameterError, match="label"):
        evaluate(model, x, ["saliency"], {"m": mean_attribution}, target="label", progress=False)
    with pytest.raises(ParameterError, match="explainers"):
        evaluate(model, x, [], {"m": mean_attribution}, progress=False)


def test_bound_parameters_survive_a_process_pool(model_and_x):
    model, x = model_and_x
    explainers = {"signed": partial(saliency, signed=True)}
    with ProcessPoolExecutor(2) as pool:
        table = evaluate(model, x[:4], explainers, METRICS, batch_size=2, executor=pool, progress=False)
    expected = saliency(model, x[:4], signed=True).reshape(4, -1).mean(1).mean()
    assert table["signed"]["mean_attribution.mean"] == pytest.approx(expected, rel=1e-5)
