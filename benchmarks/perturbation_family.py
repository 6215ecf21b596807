"""Time the perturbation-family explainers, and four of them against Captum on the same weights.

    python benchmarks/perturbation_family.py [--repeats 3] [--quick] [--only rise,sise,...]

Part 1: every perturbation-family method registered in ``minixai.explain.EXPLAINERS`` with its
default settings on one MNIST-1D test sample (the shipped CNN) and one textures8 test image (the
shipped VGG-7): median milliseconds after a warm-up call.
Part 2: minixai beside Captum on one MNIST-1D input, the identical PyTorch model from
``minixai.interop.to_torch``, same work on both sides: Occlusion (window 5, stride 1, 100
occluded inputs per batch), LIME and Kernel SHAP (200 samples) and Shapley value sampling
(200 permutations) over 8 equal segments of 5 samples (Captum's ``feature_mask``). Printed: the
medians and the ratio minixai / Captum, timed round-robin (``timing.compare``).
``--quick``: one timed run, no warm-up beyond one call per model (numba compiles), and part 1 on
the 1-D sample only.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.timing import compare, median_ms  # noqa: E402
from minixai.data import mnist1d, textures8  # noqa: E402
from minixai.explain import EXPLAINERS  # noqa: E402
from minixai.models import pretrained  # noqa: E402

FAMILY = ("occlusion", "lime", "shap", "anchors", "rise", "sise", "meaningful_perturbation", "perceptual_ball")


def captum_pairs(model, x: np.ndarray, target: int) -> dict:
    """{name: (minixai call, Captum call)} doing the same work on one MNIST-1D input."""
    import torch
    from captum import attr

    from minixai.interop import to_torch

    net = to_torch(model)
    inputs = torch.from_numpy(x)
    mask = torch.from_numpy(np.repeat(np.arange(8), 5)[None, None])     # 8 segments of 5 samples
    ex = EXPLAINERS
    return {
        "occlusion (w 5, s 1, batch 100)": (
            lambda: ex["occlusion"](model, x, target, window=5, stride=1, batch_size=100),
            lambda: attr.Occlusion(net).attribute(inputs, sliding_window_shapes=(1, 5), strides=1, target=target,
                                                  perturbations_per_eval=100)),
        "lime (200 samples)": (
            lambda: ex["lime"](model, x, target, n_samples=200, baseline="zero", seed=0),
            lambda: attr.Lime(net).attribute(inputs, target=target, feature_mask=mask, n_samples=200,
                                             perturbations_per_eval=200)),
        "kernel shap (200 samples)": (
            lambda: ex["shap"](model, x, target, method="kernel", n_samples=200, baseline="zero", seed=0),
            lambda: attr.KernelShap(net).attribute(inputs, target=target, feature_mask=mask, n_samples=200,
                                                   perturbations_per_eval=200)),
        "shapley sampling (200 perms)": (
            lambda: ex["shap"](model, x, target, method="permutation", n_samples=200 * 8, antithetic=False,
                               baseline="zero", seed=0),
            lambda: attr.ShapleyValueSampling(net).attribute(inputs, target=target, feature_mask=mask, n_samples=200,
                                                             perturbations_per_eval=200)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated explainer names (part 1)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    repeats, warmup = (1, 0) if args.quick else (args.repeats, 1)
    names = [n for n in FAMILY if n in EXPLAINERS and (not args.only or n in args.only.split(","))]
    missing = [n for n in FAMILY if n not in EXPLAINERS]
    cnn, vgg = pretrained("mnist1d_cnn"), pretrained("vgg7_textures8")
    x1 = np.ascontiguousarray(mnist1d("test")[0][:1])
    x2 = np.ascontiguousarray(textures8("test")[0][:1])
    workloads = [("MNIST-1D CNN, 1 test sample", cnn, x1)]
    if not args.quick:
        workloads.append(("VGG-7, 1 textures8 image", vgg, x2))
    print(f"perturbation family: {', '.join(names)}" + (f"; not registered: {', '.join(missing)}" if missing else ""))
    print("part 1: default settings, median ms of "
          f"{repeats} run{'s' if repeats > 1 else ''}" + (" after a warm-up" if warmup else ""))
    print(f"{'method':26s}" + "".join(f"{title.split(',')[0]:>14s}" for title, _, _ in workloads))
    for _, model, x in workloads:
        EXPLAINERS["saliency"](model, x)  # compile the kernels once, outside the timings
    for name in names:
        cells = []
        for _, model, x in workloads:
            target = int(model.predict(x)[0])
            cells.append(median_ms(lambda: EXPLAINERS[name](model, x, target), repeats, warmup))
        print(f"{name:26s}" + "".join(f"{ms:14.1f}" for ms in cells), flush=True)

    try:
        import captum  # noqa: F401
        import torch
    except ImportError:
        print("\npart 2 skipped: captum is not installed")
        return
    target = int(cnn.predict(x1)[0])
    print(f"\npart 2: one MNIST-1D input, minixai (numba) beside Captum {captum.__version__} "
          f"(torch threads {torch.get_num_threads()}); median ms of {max(repeats, 3)} runs")
    print(f"{'method':32s}{'minixai':>10s}{'captum':>10s}{'ratio':>8s}")
    for name, (ours, theirs) in captum_pairs(cnn, x1, target).items():
        times = compare({"ours": ours, "captum": theirs}, max(repeats, 3), 1)
        print(f"{name:32s}{times['ours']:10.1f}{times['captum']:10.1f}{times['ours'] / times['captum']:8.2f}",
              flush=True)


if __name__ == "__main__":
    main()
