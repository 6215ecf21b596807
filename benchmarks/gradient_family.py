"""Time the gradient-family explainers per backend, and against Captum on the same weights.

    python benchmarks/gradient_family.py [--repeats 5] [--backends numpy,numba] [--only saliency,...]

Workloads: the first 100 MNIST-1D test samples with the shipped CNN, and one textures8 test image
with the VGG-7 (random weights, with a note, while the shipped ones are missing). Each row prints
the median milliseconds after a warm-up call; with Captum installed, Captum's equivalent on the
identical PyTorch model (``minixai.interop.to_torch``) and the ratio minixai (numba) / Captum.
minixai and Captum are timed round-robin (``timing.compare``), so a burst of load from elsewhere
slows both alike. The numpy reference is timed once, and skipped where one call would exceed
``--numpy-budget`` seconds (estimated from its saliency time). CUDA is timed only on a real GPU.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.timing import compare, median_ms, real_gpu  # noqa: E402
from minixai.data import mnist1d, textures8  # noqa: E402
from minixai.errors import ModelFileError  # noqa: E402
from minixai.explain import EXPLAINERS  # noqa: E402
from minixai.models import mnist1d_cnn, pretrained, vgg7  # noqa: E402

FAMILY = ("saliency", "sensitivity", "gradient_x_input", "smoothgrad", "integrated_gradients", "deconvnet",
          "guided_backprop", "deeplift", "lrp")
# Passes over the input each method makes, to estimate the numpy reference's time from saliency's.
PASSES = {"smoothgrad": 50, "integrated_gradients": 51, "deeplift": 2}


def load(name, fallback):
    try:
        return pretrained(name), ""
    except ModelFileError:
        return fallback(), " (random weights: shipped weights missing)"


def captum_methods(net, x: np.ndarray, target: np.ndarray) -> dict:
    """{minixai name: a no-argument function running Captum's equivalent with its default settings}."""
    import torch
    from captum import attr

    inputs, classes = torch.from_numpy(x), torch.from_numpy(target)
    stdev = float(0.15 * (x.max() - x.min()))  # Captum's noise level is one number for the whole batch
    return {
        "saliency": lambda: attr.Saliency(net).attribute(inputs, target=classes),
        "sensitivity": lambda: attr.Saliency(net).attribute(inputs, target=classes, abs=False) ** 2,
        "gradient_x_input": lambda: attr.InputXGradient(net).attribute(inputs, target=classes),
        "smoothgrad": lambda: attr.NoiseTunnel(attr.Saliency(net)).attribute(
            inputs, nt_type="smoothgrad", nt_samples=50, stdevs=stdev, target=classes, abs=False),
        "integrated_gradients": lambda: attr.IntegratedGradients(net).attribute(inputs, target=classes, n_steps=50),
        "deconvnet": lambda: attr.Deconvolution(net).attribute(inputs, target=classes),
        "guided_backprop": lambda: attr.GuidedBackprop(net).attribute(inputs, target=classes),
        "deeplift": lambda: attr.DeepLift(net).attribute(inputs, target=classes),
        "lrp": lambda: attr.LRP(net).attribute(inputs, target=classes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", default="numpy,numba" + (",cuda" if real_gpu() else ""))
    parser.add_argument("--only", default="", help="comma-separated explainer names")
    parser.add_argument("--numpy-budget", type=float, default=20.0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # Captum warns on every call about gradients and hooks
    backends = args.backends.split(",")
    names = [n for n in FAMILY if n in EXPLAINERS and (not args.only or n in args.only.split(","))]
    missing = [n for n in FAMILY if n not in EXPLAINERS]
    try:
        from minixai.interop import to_torch
        import captum  # noqa: F401
    except ImportError:
        to_torch = None
    cnn, cnn_note = load("mnist1d_cnn", mnist1d_cnn)
    vgg, vgg_note = load("vgg7_textures8", vgg7)
    workloads = [(f"MNIST-1D CNN, 100 test samples{cnn_note}", cnn, mnist1d("test")[0][:100]),
                 (f"VGG-7, 1 textures8 image{vgg_note}", vgg, textures8("test")[0][:1])]
    print(f"gradient family: {', '.join(names)}" + (f"; not present yet: {', '.join(missing)}" if missing else ""))
    # NumPy's BLAS threads compete with numba's and the machine's other work; say what ran.
    print("threads: " + ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                                             "NUMBA_NUM_THREADS"))
          + (f", torch {__import__('torch').get_num_threads()}" if to_torch else ""))
    for title, model, x in workloads:
        x = np.ascontiguousarray(x, dtype=np.float32)
        target = model.predict(x)
        print(f"\n{title}: x {x.shape}; median ms of {args.repeats} runs after a warm-up")
        print(f"{'method':22s}" + "".join(f"{b:>11s}" for b in backends) + f"{'captum':>11s}{'ratio':>8s}")
        theirs = captum_methods(to_torch(model), x, target) if to_torch else {}
        numpy_saliency = None
        for name in names:
            explain = EXPLAINERS[name]
            row = {}
            for backend in backends:
                def ours(backend=backend):
                    return explain(model, x, target, backend=backend)
                if backend == "numpy":
                    if numpy_saliency is None:
                        numpy_saliency = median_ms(
                            lambda: EXPLAINERS["saliency"](model, x, target, backend="numpy"), 1, 0)
                    if numpy_saliency * PASSES.get(name, 1) > 1e3 * args.numpy_budget:
                        row[backend] = None
                        continue
                    row[backend] = median_ms(ours, 1, 0)
                elif backend == "numba" and name in theirs:
                    try:
                        times = compare({"ours": ours, "captum": theirs[name]}, args.repeats)
                        row[backend], row["captum"] = times["ours"], times["captum"]
                    except Exception as exc:  # Captum refuses some layers (LRP on a custom GAP module)
                        row[backend], row["captum"] = median_ms(ours, args.repeats), f"n/a: {type(exc).__name__}"
                else:
                    row[backend] = median_ms(ours, args.repeats)
            cells = "".join(f"{row[b]:11.1f}" if isinstance(row.get(b), float) else f"{'skipped':>11s}"
                            for b in backends)
            captum_time = row.get("captum")
            if isinstance(captum_time, float):
                cells += f"{captum_time:11.1f}{row['numba'] / captum_time:8.2f}"
            elif captum_time is not None:
                cells += f"  {captum_time}"
            print(f"{name:22s}{cells}", flush=True)


if __name__ == "__main__":
    main()
