# %% [markdown]
# # 41 Deletion and insertion: the whole Drop curve, not one cut
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slides "Evaluation Metrics" (faithfulness: "when the
# most important features are retained and the other features are removed, the model's output
# should not drop significantly"), with the causal metrics of Petsiuk et al. 2018 (RISE,
# https://arxiv.org/abs/1806.07421, section 4.1). Runs in about 45 s on two cores (under 10 s
# with MINIXAI_FAST=1).
#
#     deletion(t)  = p_c(x with its top t*P positions set to 0)          AUC low is good
#     insertion(t) = p_c(blur(x) with its top t*P positions put back)    AUC high is good
#     AUC = trapezoid rule over t = 0, 1/steps, ..., 1
#
# Drop% looks at one point of the insertion idea (keep k%, remove the rest); the curves look at
# every k at once, so a method cannot win by the choice of k.
# Figures go to $MINIXAI_FIGURES/41_deletion_insertion (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import EXPLAINERS
from minixai.metrics import deletion_insertion
from minixai.metrics.deletion_insertion import auc
from minixai.models import pretrained

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "41_deletion_insertion"
OUT.mkdir(parents=True, exist_ok=True)

SETTINGS = {"saliency": {}, "gradient_x_input": {}, "integrated_gradients": {"steps": 16 if FAST else 50},
            "smoothgrad": {"n": 16 if FAST else 50, "seed": 0}, "gradcam": {}}


def explain_all(model, x, names=tuple(SETTINGS)):
    maps = {name: EXPLAINERS[name](model, x, **SETTINGS[name]) for name in names}
    maps["random"] = np.random.default_rng(0).random(x.shape).astype(x.dtype)
    return maps


def plot_curves(results, title, path):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for name, r in results.items():
        for ax, key in zip(axes, ("deletion", "insertion")):
            curve = r.per_sample[f"{key}_curve"].mean(axis=0)
            ax.plot(np.linspace(0, 1, len(curve)), curve, label=f"{name} (AUC {r[key + '_auc']:.3f})")
    for ax, key in zip(axes, ("deletion", "insertion")):
        ax.set_xlabel(f"fraction of positions {'removed' if key == 'deletion' else 'inserted'}")
        ax.set_ylabel("mean p_c")
        ax.set_title(key)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


# %% [markdown]
# ## The AUC is the trapezoid rule on the curve
# A curve that falls straight from 1 to 0 has area 1/2; one that drops to 0 in the first of four
# steps has area 1/8: the faster the fall, the smaller the deletion AUC.

# %%
line, cliff = auc(np.array([1.0, 0.75, 0.5, 0.25, 0.0])), auc(np.array([1.0, 0, 0, 0, 0]))
print(f"AUC of a straight fall: {line}; of a fall in the first step: {cliff}")
assert line == 0.5 and cliff == 0.125

# %% [markdown]
# ## MNIST-1D: curves for five gradient-family and CAM maps, and a random map
# Forty positions, one per step: deletion sets them to zero in the map's order, insertion
# copies them into the blurred signal (Gaussian, sigma 4 positions).

# %%
model = pretrained("mnist1d_cnn")
x, y = mnist1d("test")
x = x[:100] if FAST else x[:500]
maps = explain_all(model, x)
results = {name: deletion_insertion(model, x, a, steps=40) for name, a in maps.items()}
print(f"MNIST-1D, {len(x)} test signals, 40 steps:")
for name, r in results.items():
    print(f"  {name:22s} deletion AUC {r['deletion_auc']:.3f}   insertion AUC {r['insertion_auc']:.3f}")
plot_curves(results, "MNIST-1D: mean class probability while deleting / inserting", OUT / "mnist1d_curves.png")
rand = results["random"]
beats = [name for name in SETTINGS if results[name]["deletion_auc"] < rand["deletion_auc"]
         and results[name]["insertion_auc"] > rand["insertion_auc"]]
print(f"better than the random map on both curves: {', '.join(beats)}")
assert "gradcam" in beats and "integrated_gradients" in beats

# %% [markdown]
# ## The two curves can disagree
# Deletion rewards a map that finds what the model cannot do without; insertion one that finds
# what is enough. A method can lead on one and trail on the other, so papers report both.

# %%
by_deletion = sorted(SETTINGS, key=lambda name: results[name]["deletion_auc"])
by_insertion = sorted(SETTINGS, key=lambda name: -results[name]["insertion_auc"])
print(f"ranked by deletion AUC: {by_deletion}")
print(f"ranked by insertion AUC: {by_insertion}")

# %% [markdown]
# ## textures8: 4096 pixels in 16 steps, and a caveat
# Petsiuk et al. remove 224 pixels a step; here each step takes 1/16 of the 64 x 64 pixels.
# Scattered black pixels are something this VGG-7 never saw in training, and a random map
# scatters them best: on textures it deletes about as fast as any explainer. Deletion then
# measures how out-of-distribution the holes are as much as how faithful the map is; insertion,
# which grows the image back from a blur, is the fairer curve here.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
xt = xt[::200] if FAST else xt[::50]
names = ("saliency", "gradcam") if FAST else tuple(SETTINGS)
maps_t = explain_all(vgg, xt, names)
results_t = {name: deletion_insertion(vgg, xt, a, steps=8 if FAST else 16) for name, a in maps_t.items()}
print(f"textures8, {len(xt)} test patches:")
for name, r in results_t.items():
    print(f"  {name:22s} deletion AUC {r['deletion_auc']:.3f}   insertion AUC {r['insertion_auc']:.3f}")
plot_curves(results_t, "textures8: mean class probability while deleting / inserting", OUT / "textures8_curves.png")
fastest = min(results_t, key=lambda name: results_t[name]["deletion_auc"])
print(f"lowest deletion AUC: {fastest} ({results_t[fastest]['deletion_auc']:.3f}; random map "
      f"{results_t['random']['deletion_auc']:.3f}); highest insertion AUC: "
      f"{max(results_t, key=lambda name: results_t[name]['insertion_auc'])}")
print(f"figures written to {OUT}")
