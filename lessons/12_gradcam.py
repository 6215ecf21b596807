# %% [markdown]
# # 12 Grad-CAM: feature maps weighted by their average gradient
#
# Accompanies seed 002_01d9d3509b4c14f7.txt, slides "Gradient-weighted Class Activation Mapping:
# GradCAM" and "... GradCAM Methodology" (the step-by-step build), and seed 000_8bf5a89bed1f51bd.txt,
# slide "Grad-CAM" (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391). Runs in about 20 s
# on two cores (under 10 s with MINIXAI_FAST=1).
#
#     alpha_k^c = (1/Z) sum_i dy_c / dA_i^k            (global-average-pooled gradients)
#     L^c       = ReLU( sum_k alpha_k^c A^k )           (then upsampled to the input's size)
#
# Figures go to $MINIXAI_FIGURES/12_gradcam (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import gradcam
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "12_gradcam"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn").astype(np.float64)
x, y, evidence = mnist1d("test", evidence=True)
count = 200 if FAST else 1000
x, y, evidence = x[:count].astype(np.float64), y[:count], evidence[:count]
target = model.predict(x)
rows = np.arange(len(x))

# %% [markdown]
# ## Step by step, as on the methodology slides (seed 002)
# 1. "Given an image, feed forward through CNN": keep the last conv layer's maps A (after ReLU).
# 2. "Backward pass to last conv layer": dy_c/dA^k, the gradient of the class score.
# 3. "alpha_k^c is the scalar importance of k-th feature map obtained by averaging dy_c/dA^k spatially".
# 4. Weighted sum of the maps, then ReLU.
# 5. Upsample from the layer's Z positions to the input's length.

# %%
trace = model.trace(x)                                                     # step 1
A = trace.activation("relu3")                                              # (N, K, Z)
one_hot = np.eye(10)[target]
dA = trace.backward(one_hot, keep=["relu3"]).layers["relu3"]              # step 2
alpha = dA.mean(axis=2)                                                    # step 3: (N, K)
coarse = np.maximum(np.einsum("nk,nkz->nz", alpha, A), 0)                  # step 4
Z, L = A.shape[2], x.shape[2]
centres = (np.arange(L) + 0.5) * Z / L - 0.5                               # step 5: half-pixel centres
by_hand = np.stack([np.interp(centres, np.arange(Z), row) for row in coarse])
gap = np.abs(by_hand - gradcam(model, x, target)[:, 0]).max()
print(f"K = {A.shape[1]} maps of Z = {Z} positions, upsampled to {L}; "
      f"by hand vs gradcam: largest gap {gap:.1e}")
assert gap < 1e-12

# %% [markdown]
# ## What the ReLU removes
# Without it the map is signed: negative where the maps speak for other classes. The ReLU keeps
# "the features that have a positive influence on the class of interest".

# %%
signed = gradcam(model, x, target, relu=False, upsample=False)[:, 0]
negative = np.mean(signed < 0)
print(f"{negative:.0%} of the positions have a negative Grad-CAM value before the ReLU")

maps = gradcam(model, x, target)[:, 0]
inside = (maps * evidence).sum(1) / np.maximum(maps.sum(1), 1e-12)
print(f"Grad-CAM mass inside the evidence mask: {inside.mean():.2f} on average (the mask covers "
      f"{evidence.mean():.2f} of positions)")
fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for ax, i in zip(axes.flat, range(8)):
    plot_signal(ax, x[i], maps[i], evidence[i], title=f"label {y[i]}, predicted {target[i]}")
fig.suptitle("Grad-CAM on MNIST-1D (conv3), evidence shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_gradcam.png", dpi=100)

# %% [markdown]
# ## "Which layer to extract activations" (seed 002)
# "Higher layers capture class specific information ... last convolutional layer forms a best
# compromise between high-level semantics and detailed spatial resolution." Compare the three
# conv layers of the 1-D CNN: resolution (Z) against how much of the map lands on the evidence.

# %%
shares = {}
for layer in ["conv1", "conv2", "conv3"]:
    m = gradcam(model, x, target, layer=layer)[:, 0]
    Z = gradcam(model, x[:1], target[:1], layer=layer, upsample=False).shape[2]
    shares[layer] = ((m * evidence).sum(1) / np.maximum(m.sum(1), 1e-12)).mean()
    print(f"{layer}: Z = {Z:2d} positions, Grad-CAM mass inside the evidence {shares[layer]:.2f}")
best = max(shares, key=shares.get)
print(f"on this small CNN {best} localises the digit best; the slide's 'last conv layer' is a rule of "
      f"thumb for deep networks, worth checking per model")

# %% [markdown]
# ## A textures8 patch, layer by layer (VGG-7)
# The last block's maps (16 x 16 before the final max-pool) give a coarse, class-specific map;
# the earlier blocks give sharper maps that are less about the class: the maps for the top class
# and for the runner-up look more alike. The correlation is averaged over five test patches per
# class (a handful of patches can rank the blocks either way); the figure shows one per class.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == c)[0]) for c in range(len(textures8.CLASSES))]
picks = picks[:4] if FAST else picks
measured = [int(i) for c in range(len(textures8.CLASSES)) for i in np.flatnonzero(yt == c)[:5]]
xv, xm = xt[picks], xt[measured]
logits = vgg(xm)
first, second = logits.argmax(1), np.argsort(logits, axis=1)[:, -2]
layers = ["conv1_2", "conv2_2", "conv3_2"]
correlations = []
fig, axes = plt.subplots(len(picks), len(layers) + 1, figsize=(3.2 * (len(layers) + 1), 3 * len(picks)))
for j, layer in enumerate(layers):
    top = gradcam(vgg, xm, first, layer=layer)[:, 0]
    runner_up = gradcam(vgg, xm, second, layer=layer)[:, 0]
    a, b = top.reshape(len(xm), -1), runner_up.reshape(len(xm), -1)
    same = np.mean([np.corrcoef(u, v)[0, 1] if u.std() > 0 and v.std() > 0 else 1.0 for u, v in zip(a, b)])
    print(f"{layer}: correlation between the maps for the top class and the runner-up {same:+.2f} "
          f"({len(xm)} patches)")
    correlations.append(same)
    shown = gradcam(vgg, xv, layer=layer)[:, 0]
    for i in range(len(xv)):
        plot_image(axes[i, j + 1], xv[i], shown[i], title=f"{layer}", colorbar=False)
for i, p in enumerate(picks):
    plot_image(axes[i, 0], xv[i], np.zeros(xv.shape[2:]), title=f"{textures8.CLASSES[yt[p]]}", colorbar=False, alpha=0)
assert correlations[-1] < min(correlations[:-1]), "the last block should be the most class-specific"
print("the last conv block's maps are the most class-specific (least alike across the two classes)")
fig.suptitle("Grad-CAM on textures8 at three depths of the VGG-7")
fig.tight_layout(rect=(0, 0, 1, 0.98))
fig.savefig(OUT / "textures8_gradcam_layers.png", dpi=80)
print(f"figures written to {OUT}")
