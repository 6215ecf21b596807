# %% [markdown]
# # 21 XGrad-CAM: Grad-CAM's weights chosen to satisfy two axioms
#
# Accompanies seed 001_c2222baa81a6d9bd.txt, slide "Class activation maps", part "2) Méthode CAM et
# ses dérivées" (one map formula, several choices of weights), and seed 003_9e1ffa84955ffc85.txt,
# slide "Grad-CAM is a generalization of CAM". XGrad-CAM: Fu, Hu, Dong, Guo, Gao & Li 2020,
# "Axiom-based Grad-CAM", https://arxiv.org/abs/2008.02312. Runs in about 15 s on two cores
# (under 10 s with MINIXAI_FAST=1).
#
#     w_k^c = sum_i ( A_i^k / sum_j A_j^k ) dy_c / dA_i^k      (the gradient averaged where A^k is)
#     L^c   = ReLU( sum_k w_k^c A^k )
#
# Conservation: the map sums to the score. Sensitivity: map k's share of the map, w_k^c sum_i A_i^k,
# is the score lost when A^k is removed. Both hold exactly when the layers above A are piecewise
# linear and positively homogeneous (max-pool, GAP, dense), as in both shipped models.
# Figures go to $MINIXAI_FIGURES/21_xgradcam (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import gradcam, xgradcam
from minixai.models import pretrained
from minixai.viz import plot_image

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "21_xgradcam"
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## On a GAP head XGrad-CAM is Grad-CAM
# With conv -> GAP -> dense the gradient is w_k^c / Z at every position, so its A-weighted mean is
# the same w_k^c / Z as its plain mean: the two methods agree on the shipped 1-D CNN.

# %%
model = pretrained("mnist1d_cnn").astype(np.float64)
x, _ = mnist1d("test")
x = x[:100 if FAST else 1000].astype(np.float64)
gap = np.abs(xgradcam(model, x, relu=False) - gradcam(model, x, relu=False)).max()
print(f"shipped 1-D CNN: largest |XGrad-CAM - Grad-CAM| = {gap:.1e} over {len(x)} signals")
assert gap < 1e-10

# %% [markdown]
# ## The weights by hand, on the VGG-7 (max-pool before the GAP)

# %%
vgg = pretrained("vgg7_textures8").astype(np.float64)
xt, yt = textures8("test")
per_class = 1 if FAST else 3
picks = np.concatenate([np.flatnonzero(yt == c)[:per_class] for c in range(len(textures8.CLASSES))])
xv = xt[picks].astype(np.float64)
target = vgg.predict(xv)
rows = np.arange(len(xv))
trace = vgg.trace(xv)
A = trace.activation("relu3_2")                                       # (N, K, 16, 16)
G = trace.backward(np.eye(8)[target], keep=["relu3_2"]).layers["relu3_2"]
total = A.sum(axis=(2, 3))
w_x = np.where(total > 0, (A * G).sum(axis=(2, 3)) / np.where(total > 0, total, 1), 0)
w_grad = G.mean(axis=(2, 3))
by_hand = np.einsum("nk,nkhw->nhw", w_x, A)
check = np.abs(by_hand - xgradcam(vgg, xv, target, relu=False, upsample=False)[:, 0]).max()
print(f"XGrad-CAM weights by hand vs xgradcam: largest gap {check:.1e}; {np.mean(total == 0):.0%} of the maps are "
      f"all zero (weight 0)")
assert check < 1e-10

# %% [markdown]
# ## Conservation: the map adds up to the score
# sum_i L_i = sum_k w_k^c sum_i A_i^k = sum_k sum_i G_i^k A_i^k = y_c - b_c here. Grad-CAM's
# uniform average breaks this as soon as the gradient varies over positions.

# %%
score = trace.output[rows, target] - vgg.layers["fc"].bias[target]
for name, w in (("XGrad-CAM", w_x), ("Grad-CAM", w_grad)):
    sums = np.einsum("nk,nk->n", w, total)
    relative = np.median(np.abs(sums - score) / np.abs(score))
    print(f"{name:9s}: sum of the map vs y_c - b_c, median relative gap {relative:.1e}")
assert np.abs(np.einsum("nk,nk->n", w_x, total) - score).max() < 1e-10 * np.abs(score).max()

# %% [markdown]
# ## Sensitivity: each map's share is what removing it costs
# Zero map k at relu3_2, run the rest of the model (pool3 -> GAP -> dense) and measure the drop
# y_c - y_c(A without A^k). Compare with each method's share of the map, w_k^c sum_i A_i^k.

# %%
K = A.shape[1]
drops = np.empty((len(xv), K))
for n in range(len(xv)):
    removed = np.repeat(A[n:n + 1], K, axis=0)
    removed[np.arange(K), np.arange(K)] = 0
    drops[n] = trace.output[n, target[n]] - vgg.forward(removed, start="pool3")[:, target[n]]
for name, w in (("XGrad-CAM", w_x), ("Grad-CAM", w_grad)):
    error = np.abs(w * total - drops).sum() / np.abs(drops).sum()
    print(f"{name:9s}: share of map k vs the score lost without it, relative L1 error {error:.1e}")
x_error = np.abs(w_x * total - drops).max() / np.abs(drops).max()
assert x_error < 1e-10

fig, axes = plt.subplots(2, 4, figsize=(13, 6.5))
for j in range(4):
    i = j * per_class * 2
    plot_image(axes[0, j], xv[i], gradcam(vgg, xv[i:i + 1], target[i:i + 1])[0, 0],
               title=f"Grad-CAM: {textures8.CLASSES[target[i]]}", colorbar=False)
    plot_image(axes[1, j], xv[i], xgradcam(vgg, xv[i:i + 1], target[i:i + 1])[0, 0], title="XGrad-CAM",
               colorbar=False)
fig.suptitle("Grad-CAM (top) and XGrad-CAM (bottom) on the VGG-7 (relu3_2, upsampled)")
fig.tight_layout()
fig.savefig(OUT / "textures8_gradcam_vs_xgradcam.png", dpi=90)
print(f"figures written to {OUT}")
