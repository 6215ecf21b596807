# %% [markdown]
# # 14 HiResCAM: keep the gradient where it is
#
# Accompanies seed 004_2a6fa647e63a0a0a.txt, section "GradCAM" (the paragraph on HiResCAM: "Grad-CAM
# occasionally highlights regions within an image that the model did not employ in its prediction
# process"; Draelos & Carin 2020, https://arxiv.org/abs/2011.08891). Runs in about 15 s on two
# cores (under 10 s with MINIXAI_FAST=1).
#
#     Grad-CAM:  L = ReLU( sum_k mean_i(dy_c/dA_i^k) A^k )      the gradient averaged over positions
#     HiResCAM:  L = ReLU( sum_k dy_c/dA^k ⊙ A^k )              the gradient kept position by position
#
# Figures go to $MINIXAI_FIGURES/14_hirescam (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import gradcam, hirescam
from minixai.models import pretrained
from minixai.nn import Conv1d, Dense, GlobalAvgPool, MaxPool1d, ReLU, Sequential
from minixai.viz import plot_image

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "14_hirescam"
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## A model small enough to follow by hand
# One feature map A = [1, 3, 2, 0], a 2-wide max-pool (keeps 3 and 2), GAP, dense weight 1:
# y = (3 + 2) / 2. Positions 0 and 3 lose their pooling windows, so nothing they hold reaches y.
# The gradient at A is [0, 1/2, 1/2, 0]; Grad-CAM averages it to 1/4 everywhere and so gives
# position 0 the weight 1/4 * 1, HiResCAM gives it 0 * 1.

# %%
conv = Conv1d(1, 1, 1, bias=False)
conv.weight = np.ones((1, 1, 1))
fc = Dense(1, 1, bias=False)
fc.weight = np.ones((1, 1))
toy = Sequential([("conv", conv), ("relu", ReLU()), ("pool", MaxPool1d(2)), ("gap", GlobalAvgPool()), ("fc", fc)])
a = np.array([[[1.0, 3.0, 2.0, 0.0]]])
g_toy = gradcam(toy, a, 0, upsample=False)[0, 0]
h_toy = hirescam(toy, a, 0, upsample=False)[0, 0]
print(f"Grad-CAM {g_toy}, HiResCAM {h_toy}: position 0 gets {g_toy[0]} from Grad-CAM, {h_toy[0]} from HiResCAM")
assert g_toy[0] > 0 and h_toy[0] == 0

# %% [markdown]
# ## With a GAP head they are the same map
# The shipped 1-D CNN ends conv3 -> ReLU -> GAP -> dense: the gradient is w_k^c / Z at every
# position, the average changes nothing, and HiResCAM = Grad-CAM (= CAM / Z, lesson 11).

# %%
model = pretrained("mnist1d_cnn").astype(np.float64)
x, _ = mnist1d("test")
x = x[:100 if FAST else 1000].astype(np.float64)
same = np.abs(hirescam(model, x, relu=False) - gradcam(model, x, relu=False)).max()
print(f"shipped 1-D CNN: largest |HiResCAM - Grad-CAM| = {same:.1e} over {len(x)} signals")
assert same < 1e-10

# %% [markdown]
# ## The VGG-7: a max-pool between the last conv layer and the GAP
# Count the positions of relu3_2 that no feature map's value reaches the score through (every
# channel lost its pooling window there: dy_c/dA_i^k = 0 for all k). HiResCAM puts nothing there by
# construction; Grad-CAM does.

# %%
vgg = pretrained("vgg7_textures8").astype(np.float64)
xt, yt = textures8("test")
per_class = 1 if FAST else 4
picks = np.concatenate([np.flatnonzero(yt == c)[:per_class] for c in range(len(textures8.CLASSES))])
xv = xt[picks].astype(np.float64)
target = vgg.predict(xv)
trace = vgg.trace(xv)
A = trace.activation("relu3_2")
G = trace.backward(np.eye(8)[target], keep=["relu3_2"]).layers["relu3_2"]
unused = np.all(G == 0, axis=1)                                   # (N, 16, 16)
g = gradcam(vgg, xv, target, upsample=False)[:, 0]
h = hirescam(vgg, xv, target, upsample=False)[:, 0]
g_share = (g * unused).sum() / g.sum()
h_share = (h * unused).sum() / h.sum()
print(f"{unused.mean():.0%} of the 16 x 16 positions reach the score through no channel; Grad-CAM puts "
      f"{g_share:.0%} of its mass there, HiResCAM {h_share:.0%} ({len(xv)} patches)")
assert h_share == 0 and g_share > 0

# %% [markdown]
# ## HiResCAM adds up to the score; Grad-CAM does not
# Above relu3_2 sit only max-pool, GAP and dense, which are piecewise linear and positively
# homogeneous in A, so y_c - b_c = sum_i sum_k G_i^k A_i^k: HiResCAM's map before the ReLU sums to
# the score (minus the bias). Grad-CAM's sum is Z sum_k mean(G^k) mean(A^k), another number.

# %%
score = vgg(xv)[np.arange(len(xv)), target] - vgg.layers["fc"].bias[target]
h_sum = hirescam(vgg, xv, target, relu=False, upsample=False).sum(axis=(1, 2, 3))
g_sum = gradcam(vgg, xv, target, relu=False, upsample=False).sum(axis=(1, 2, 3))
h_gap = np.abs(h_sum - score).max() / np.abs(score).max()
g_gap = np.median(np.abs(g_sum - score) / np.abs(score))
print(f"sum of the map vs y_c - b_c: HiResCAM largest relative gap {h_gap:.1e}, "
      f"Grad-CAM median relative gap {g_gap:.0%}")
assert h_gap < 1e-10

fig, axes = plt.subplots(2, 4, figsize=(13, 6.5))
for j, i in enumerate(range(0, len(xv), per_class * 2)):
    if j >= 4:
        break
    plot_image(axes[0, j], xv[i], gradcam(vgg, xv[i:i + 1], target[i:i + 1])[0, 0],
               title=f"Grad-CAM: {textures8.CLASSES[target[i]]}", colorbar=False)
    plot_image(axes[1, j], xv[i], hirescam(vgg, xv[i:i + 1], target[i:i + 1])[0, 0], title="HiResCAM",
               colorbar=False)
fig.suptitle("Grad-CAM (top) and HiResCAM (bottom) on the VGG-7 (relu3_2, upsampled)")
fig.tight_layout()
fig.savefig(OUT / "textures8_gradcam_vs_hirescam.png", dpi=90)
print(f"figures written to {OUT}")
