"""Time the CAM-family explainers per backend, beside Captum's LayerGradCam and a torch Score-CAM.

    python benchmarks/cam_family.py [--repeats 5] [--backends numpy,numba] [--only gradcam,...] [--quick]

Workloads: the first 100 MNIST-1D test samples with the shipped CNN, and one textures8 test image
with the shipped VGG-7 (random weights, with a note, where the shipped ones are missing). Every
map is taken at the last conv layer, upsampled to the input. Each row prints the median
milliseconds after a warm-up call, and beside two rows a reference on the identical PyTorch model
(``minixai.interop.to_torch``) with the ratio minixai (numba) / reference:

- gradcam: Captum's ``LayerGradCam`` at the ReLU after the last conv, then Captum's
  ``LayerAttribution.interpolate`` to the input size (the issue's anchor: 3.0 ms for the MNIST-1D
  batch on a quiet machine).
- score_cam: ``torch_score_cam`` below, a plain PyTorch implementation of the algorithm
  pytorch-grad-cam's ``ScoreCAM`` runs (masks from the upsampled, min-max scaled activations,
  16 masked inputs per forward pass, softmax of the target logits over the maps). pytorch-grad-cam
  itself needs torchvision, which cannot be installed here, so its own code is not what is timed
  (the issue's anchor, measured with it: about 312 ms for one 64 x 64 VGG-7 image).
  tests/explain/test_score_cam.py checks that ``torch_score_cam`` gives minixai's maps.

minixai and the reference are timed as blocks in one run (``timing.compare``). The numpy reference
is timed once, and skipped where one call would exceed ``--numpy-budget`` seconds (estimated from
its Grad-CAM time and the forward passes a method makes). ``--quick``: 2 repeats, numba only.
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
from minixai.errors import ModelFileError, NotApplicableError  # noqa: E402
from minixai.explain import EXPLAINERS  # noqa: E402
from minixai.explain._cam import conv_layers, resolve_layer  # noqa: E402
from minixai.models import mnist1d_cnn, pretrained, vgg7  # noqa: E402

FAMILY = ("cam", "gradcam", "hirescam", "gradcam_pp", "xgradcam", "layercam", "counterfactual_cam", "contrast_cam",
          "guided_gradcam", "ablation_cam", "score_cam")
MASKS_PER_PASS = 16  # pytorch-grad-cam's ScoreCAM default batch of masked inputs


def load(name, fallback):
    try:
        return pretrained(name), ""
    except ModelFileError:
        return fallback(), " (random weights: shipped weights missing)"


def torch_score_cam(net, layer, x, target, batch_size: int = MASKS_PER_PASS):
    """Score-CAM in plain PyTorch, one image at a time as pytorch-grad-cam runs it: (N, 1, *x's size).

    ``layer`` is the module whose output holds A; ``target`` one class per row. Returns a tensor.
    """
    import torch
    import torch.nn.functional as F

    captured = []
    handle = layer.register_forward_hook(lambda module, inputs, output: captured.append(output))
    mode = "linear" if x.dim() == 3 else "bilinear"
    try:
        with torch.no_grad():
            net(x)
            A = captured.pop()
            up = F.interpolate(A, size=x.shape[2:], mode=mode, align_corners=False)
            flat = up.flatten(2)
            low, high = flat.min(dim=2).values, flat.max(dim=2).values
            span = (high - low).reshape(*A.shape[:2], *[1] * (x.dim() - 2))
            masks = torch.where(span > 0, (up - low.reshape(span.shape)) / torch.where(span > 0, span, 1), 0)
            maps = []
            for i in range(len(x)):
                inputs = x[i:i + 1] * masks[i][:, None]                   # (K, C, *size)
                scores = torch.cat([net(inputs[j:j + batch_size])[:, int(target[i])]
                                    for j in range(0, len(inputs), batch_size)])
                captured.clear()
                weights = torch.softmax(scores, dim=0).reshape(-1, *[1] * (x.dim() - 2))
                maps.append(torch.relu((weights * A[i]).sum(dim=0)))
            cam = torch.stack(maps)[:, None]
            return F.interpolate(cam, size=x.shape[2:], mode=mode, align_corners=False)
    finally:
        handle.remove()


def references(model, x: np.ndarray, target: np.ndarray) -> dict:
    """{minixai name: (label, a no-argument function running the reference)}; empty without torch."""
    try:
        import torch
        from captum import attr

        from minixai.interop import to_torch
    except ImportError:
        return {}
    net = to_torch(model)
    layer = getattr(net, resolve_layer(model, None))
    inputs, classes = torch.from_numpy(x), torch.from_numpy(target)

    def captum_gradcam():
        maps = attr.LayerGradCam(net, layer).attribute(inputs, target=classes, relu_attributions=True)
        return attr.LayerAttribution.interpolate(maps, tuple(x.shape[2:]),
                                                 "linear" if x.ndim == 3 else "bilinear")

    return {"gradcam": ("captum", captum_gradcam),
            "score_cam": ("torch", lambda: torch_score_cam(net, layer, inputs, classes))}


def passes(name: str, model) -> int:
    """Rough forward-pass count of a method relative to Grad-CAM's one, for the numpy budget."""
    k = model.layers[conv_layers(model)[-1]].out_channels
    return {"score_cam": k + 1, "guided_gradcam": 2, "contrast_cam": 2}.get(name, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", default="numpy,numba" + (",cuda" if real_gpu() else ""))
    parser.add_argument("--only", default="", help="comma-separated explainer names")
    parser.add_argument("--numpy-budget", type=float, default=20.0)
    parser.add_argument("--quick", action="store_true", help="2 repeats, numba only")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.backends = 2, "numba"
    warnings.filterwarnings("ignore")  # Captum warns on every call about gradients and hooks
    backends = args.backends.split(",")
    names = [n for n in FAMILY if n in EXPLAINERS and (not args.only or n in args.only.split(","))]
    missing = [n for n in FAMILY if n not in EXPLAINERS]
    cnn, cnn_note = load("mnist1d_cnn", mnist1d_cnn)
    vgg, vgg_note = load("vgg7_textures8", vgg7)
    workloads = [(f"MNIST-1D CNN, 100 test samples{cnn_note}", cnn, mnist1d("test")[0][:100]),
                 (f"VGG-7, 1 textures8 image{vgg_note}", vgg, textures8("test")[0][:1])]
    print(f"CAM family: {', '.join(names)}" + (f"; not present yet: {', '.join(missing)}" if missing else ""))
    try:
        import torch
        torch_threads = f", torch {torch.get_num_threads()}"
    except ImportError:
        torch_threads = ""
    variables = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS")
    print("threads: " + ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in variables) + torch_threads)
    for title, model, x in workloads:
        x = np.ascontiguousarray(x, dtype=np.float32)
        target = model.predict(x)
        print(f"\n{title}: x {x.shape}; median ms of {args.repeats} runs after a warm-up")
        print(f"{'method':20s}" + "".join(f"{b:>10s}" for b in backends) + f"{'reference':>20s}{'ratio':>8s}")
        theirs = references(model, x, target)
        numpy_gradcam = None
        for name in names:
            explain = EXPLAINERS[name]
            try:
                explain(model, x[:1], target[:1])
            except NotApplicableError as exc:  # CAM needs GAP -> dense right after the maps
                print(f"{name:20s}{'n/a':>10s}  ({str(exc).split(';')[0]})")
                continue
            row = {}
            for backend in backends:
                def ours(backend=backend):
                    return explain(model, x, target, backend=backend)
                if backend == "numpy":
                    if numpy_gradcam is None:
                        numpy_gradcam = median_ms(
                            lambda: EXPLAINERS["gradcam"](model, x, target, backend="numpy"), 1, 0)
                    if numpy_gradcam * passes(name, model) > 1e3 * args.numpy_budget:
                        row[backend] = None
                        continue
                    row[backend] = median_ms(ours, 1, 0)
                elif backend == "numba" and name in theirs:
                    times = compare({"ours": ours, "reference": theirs[name][1]}, args.repeats)
                    row[backend], row["reference"] = times["ours"], times["reference"]
                else:
                    row[backend] = median_ms(ours, args.repeats)
            cells = "".join(f"{row[b]:10.1f}" if isinstance(row.get(b), float) else f"{'skipped':>10s}"
                            for b in backends)
            if "reference" in row:
                cells += f"{theirs[name][0]:>10s}{row['reference']:10.1f}{row['numba'] / row['reference']:8.2f}"
            print(f"{name:20s}{cells}", flush=True)


if __name__ == "__main__":
    main()
