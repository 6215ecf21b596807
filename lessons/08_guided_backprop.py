# %% [markdown]
# # 08 Guided backprop, DeconvNet and the gradient side by side
#
# Accompanies seed 003_9e1ffa84955ffc85.txt, the table "Layer | Forward pass | DeconvNet |
# Back-prop w.r.t. input", and seed 004_2a6fa647e63a0a0a.txt, section "Guided Backpropagation"
# (Springenberg et al. 2015). Runs in about 20 s on two cores (about 15 s with MINIXAI_FAST=1).
#
# Guided backprop's ReLU combines the two columns of the slide: R_n = R_{n+1} 1(X_n > 0)
# 1(R_{n+1} > 0). Its maps look sharper than the gradient's, but Adebayo et al. (2018, "Sanity
# checks for saliency maps") found them nearly unchanged when the model's top layer is
# randomised, and Nie et al. (2018) explained why: like DeconvNet's, they mostly reconstruct
# the input. Both claims are measured here. Figures go to $MINIXAI_FIGURES/08_guided_backprop.

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import deconvnet, guided_backprop, saliency
from minixai.metrics.sanity import rowwise_correlation
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "08_guided_backprop"
OUT.mkdir(parents=True, exist_ok=True)
METHODS = {"gradient": lambda m, v, t: saliency(m, v, t, signed=True), "deconvnet": deconvnet,
           "guided_backprop": guided_backprop}


model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
x, y, evidence = (x[:200], y[:200], evidence[:200]) if FAST else (x[:500], y[:500], evidence[:500])
order = np.argsort(model.forward(x), axis=1)
first, second = order[:, -1], order[:, -2]

# %% [markdown]
# ## Side by side on MNIST-1D

# %%
maps = {name: method(model, x, first) for name, method in METHODS.items()}
fig, axes = plt.subplots(3, 4, figsize=(14, 7.5))
for row, (name, m) in enumerate(maps.items()):
    for column in range(4):
        plot_signal(axes[row, column], x[column], m[column], evidence[column], title=f"{name}, class {first[column]}")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_side_by_side.png", dpi=100)
for name, m in maps.items():
    inside = (np.abs(m[:, 0]) * evidence).sum(1) / np.abs(m[:, 0]).sum(1)
    print(f"{name}: |map| mass inside the evidence mask {inside.mean():.3f} (mask share {evidence.mean():.3f})")

# %% [markdown]
# ## Does the map depend on the class? (top class vs runner-up)

# %%
class_corr = {name: float(np.median(rowwise_correlation(m, METHODS[name](model, x, second))))
              for name, m in maps.items()}
print("median correlation of the maps for the top class and the runner-up: "
      + ", ".join(f"{name} {c:.3f}" for name, c in class_corr.items()))
assert class_corr["guided_backprop"] > class_corr["gradient"]

# %% [markdown]
# ## Does the map depend on the top layer? (Adebayo et al.'s randomisation test, last layer)
# Replace the dense layer's weights by random ones of the same scale and explain the same class
# again. A map that explains the model should change; rank correlation of |map| before and after.

# %%
randomised = pretrained("mnist1d_cnn")
fc = randomised.layers["fc"]
fc.weight[...] = np.random.default_rng(0).normal(scale=fc.weight.std(), size=fc.weight.shape)


def rank_rows(a):
    flat = np.abs(a.reshape(len(a), -1))
    return np.argsort(np.argsort(flat, axis=1), axis=1).astype(np.float64)


top_corr = {name: float(np.median(rowwise_correlation(rank_rows(m), rank_rows(METHODS[name](randomised, x, first)))))
            for name, m in maps.items()}
print("median Spearman correlation of |map| before and after randomising the dense layer: "
      + ", ".join(f"{name} {c:.3f}" for name, c in top_corr.items()))
assert top_corr["guided_backprop"] > top_corr["gradient"]

# %% [markdown]
# ## textures8: one patch per class, the three maps (max |.| over channels)
# (every other class with MINIXAI_FAST=1)

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
classes = range(0, len(textures8.CLASSES), 2 if FAST else 1)
picks = [int(np.flatnonzero(yt == c)[0]) for c in classes]
predicted = vgg.predict(xt[picks])
fig, axes = plt.subplots(3, len(picks), figsize=(2.75 * len(picks), 8), squeeze=False)
for row, (name, method) in enumerate(METHODS.items()):
    m = method(vgg, xt[picks], predicted)
    positive = np.mean(m > 0)
    for column, i in enumerate(picks):
        plot_image(axes[row, column], xt[i], np.abs(m[column]).max(axis=0),
                   title=f"{name}: {textures8.CLASSES[predicted[column]]}")
    print(f"textures8 {name}: {positive:.2f} of the input signal entries are positive")
fig.tight_layout()
fig.savefig(OUT / "textures8_side_by_side.png", dpi=100)
print(f"figures written to {OUT}")
