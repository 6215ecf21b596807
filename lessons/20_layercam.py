# %% [markdown]
# # 20 LayerCAM: one weight per position, negative gradients dropped
#
# Accompanies seed 001_c2222baa81a6d9bd.txt, slide "Class activation maps", part "2) Méthode CAM et
# ses dérivées" ("the saliency map always has the same form, only the weights change"); LayerCAM
# (Jiang, Zhang, Hou, Cheng & Wei 2021, https://doi.org/10.1109/TIP.2021.3089943) is one more
# choice of weights. Runs in about 20 s on two cores (under 10 s with MINIXAI_FAST=1).
#
#     w_ij^kc = ReLU( dy_c / dA_ij^k )             one weight per map k and position ij
#     L^c     = ReLU( sum_k w^kc ⊙ A^k )
#
# Against HiResCAM (lesson 14), the only change is the inner ReLU: a position where a map lowers
# the score contributes nothing rather than a negative amount.
# Figures go to $MINIXAI_FIGURES/20_layercam (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import gradcam, hirescam, layercam
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "20_layercam"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn").astype(np.float64)
x, y, evidence = mnist1d("test", evidence=True)
count = 300 if FAST else 1000
x, y, evidence = x[:count].astype(np.float64), y[:count], evidence[:count]
target = model.predict(x)

# %% [markdown]
# ## On a GAP head LayerCAM keeps the maps whose class weight is positive
# At relu3 of the shipped CNN the gradient is w_k^c / Z everywhere, so ReLU(G^k) is w_k^c / Z for
# the maps that vote for class c and 0 for the others: LayerCAM = sum_{k: w_k^c > 0} w_k^c A^k / Z.

# %%
A = model.forward(x, stop="relu3")
W = model.layers["fc"].weight[target]
by_hand = np.einsum("nk,nkz->nz", np.maximum(W, 0), A) / A.shape[2]
gap = np.abs(layercam(model, x, target, relu=False, upsample=False)[:, 0] - by_hand).max()
print(f"LayerCAM = positive-weight maps only, on the shipped CNN: largest gap {gap:.1e}; "
      f"{np.mean(W > 0):.0%} of the class weights are positive")
assert gap < 1e-12

# %% [markdown]
# ## Where every gradient is positive, LayerCAM is HiResCAM
# Elsewhere LayerCAM is never below HiResCAM (the maps A are rectified, A >= 0).

# %%
h = hirescam(model, x, target, relu=False, upsample=False)
l_map = layercam(model, x, target, relu=False, upsample=False)
print(f"LayerCAM - HiResCAM before the ReLU: min {np.min(l_map - h):.1e} (never negative), "
      f"median {np.median(l_map - h):.2f}")
assert np.all(l_map >= h - 1e-12)

# %% [markdown]
# ## Shallow layers (the paper's point)
# Grad-CAM's one weight per map blurs what shallow layers see; LayerCAM keeps a weight per
# position. Measured on MNIST-1D with the evidence masks: the share of the map's mass inside the
# evidence, and how often the map's peak falls inside it, layer by layer. At conv1 LayerCAM wins
# on both; at conv3 the two measures disagree (its mass spreads, its peak lands inside more often).

# %%
scores = {}
for layer in ["conv1", "conv2", "conv3"]:
    for method in (gradcam, layercam):
        m = method(model, x, target, layer=layer)[:, 0]
        mass = ((m * evidence).sum(1) / np.maximum(m.sum(1), 1e-12)).mean()
        peak = evidence[np.arange(len(m)), m.argmax(1)].mean()
        scores[layer, method.__name__] = mass
        print(f"{layer} {method.__name__:8s}: mass inside the evidence {mass:.2f}, peak inside {peak:.0%}")
print(f"at conv1 LayerCAM puts {scores['conv1', 'layercam']:.2f} of its mass on the evidence, Grad-CAM "
      f"{scores['conv1', 'gradcam']:.2f}")
assert scores["conv1", "layercam"] > scores["conv1", "gradcam"]

fig, axes = plt.subplots(2, 3, figsize=(12, 5))
for j, layer in enumerate(["conv1", "conv2", "conv3"]):
    plot_signal(axes[0, j], x[0], gradcam(model, x[:1], target[:1], layer=layer)[0], evidence[0],
                title=f"Grad-CAM at {layer}")
    plot_signal(axes[1, j], x[0], layercam(model, x[:1], target[:1], layer=layer)[0], evidence[0],
                title=f"LayerCAM at {layer}")
fig.suptitle(f"MNIST-1D, label {y[0]}: Grad-CAM (top) and LayerCAM (bottom) layer by layer")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_layers.png", dpi=100)

# %% [markdown]
# ## A textures8 patch at three depths of the VGG-7

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == c)[0]) for c in (0, 6)]
layers = ["conv1_2", "conv2_2", "conv3_2"]
fig, axes = plt.subplots(2 * len(picks), len(layers), figsize=(10, 6.5 * len(picks)))
for i, p in enumerate(picks):
    for j, layer in enumerate(layers):
        plot_image(axes[2 * i, j], xt[p], gradcam(vgg, xt[p:p + 1], layer=layer)[0, 0],
                   title=f"Grad-CAM {layer}", colorbar=False)
        plot_image(axes[2 * i + 1, j], xt[p], layercam(vgg, xt[p:p + 1], layer=layer)[0, 0],
                   title=f"LayerCAM {layer}", colorbar=False)
fig.suptitle("textures8 (" + ", ".join(textures8.CLASSES[yt[p]] for p in picks) + "): Grad-CAM and LayerCAM")
fig.tight_layout(rect=(0, 0, 1, 0.98))
fig.savefig(OUT / "textures8_layers.png", dpi=80)
print(f"figures written to {OUT}")
