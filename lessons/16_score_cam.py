# %% [markdown]
# # 16 Score-CAM: look at the input through each feature map, and score what is seen
#
# Accompanies seed 001_c2222baa81a6d9bd.txt, slide "Class activation maps", part "3) Autres
# méthodes: Score CAM" (Wang et al. 2020, https://arxiv.org/abs/1910.01279). Runs in about 15 s
# on two cores (a few seconds with MINIXAI_FAST=1).
#
#     M^k   = s(Up(A^k))                         upsampled to x's size, scaled to [0, 1]
#     alpha = softmax_k( y_c(x * M^k) - y_c(0) )  one forward pass per map; the weights sum to 1
#     L^c   = ReLU( sum_k alpha_k A^k )
#
# No gradients: each map is turned into a mask, the model scores the masked input, and the
# softmax of those scores weighs the maps. A map the ReLU silenced everywhere is constant, its
# mask is zero and x * 0 is the baseline input, so it costs no pass of its own (most of the
# VGG-7's 128 maps, on a texture).
# Figures go to $MINIXAI_FIGURES/16_score_cam (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import gradcam, score_cam
from minixai.explain.score_cam import masks
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "16_score_cam"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
count = 100 if FAST else 1000
x, y, evidence = x[:count], y[:count], evidence[:count]
target = model.predict(x)
rows = np.arange(len(x))

# %% [markdown]
# ## Masks and their scores
# Each of conv3's 64 maps (10 positions) becomes a mask over the 40 input positions. The masked
# input keeps the signal where the map is on; its score says how much of the class that map's
# region alone carries.

# %%
i = 0
A = model.forward(x[i:i + 1], stop="relu3")
M = masks(A, x.shape[2:])[0]                                  # (64, 40)
scores = model(x[i] * M[:, None])[:, target[i]]
_, weights = score_cam(model, x[i:i + 1], return_weights=True)
order = np.argsort(weights[0])[::-1]
fig, axes = plt.subplots(2, 3, figsize=(15, 5))
for ax, k in zip(axes[0], order[:3]):
    plot_signal(ax, x[i] * M[k], M[k], evidence[i], title=f"map {k}: score {scores[k]:.1f}, weight {weights[0, k]:.2f}")
for ax, k in zip(axes[1], order[-3:]):
    plot_signal(ax, x[i] * M[k], M[k], evidence[i], title=f"map {k}: score {scores[k]:.1f}, weight {weights[0, k]:.1e}")
fig.tight_layout()
fig.savefig(OUT / "masks_and_scores.png", dpi=100)
print(f"sample {i}: masked scores range from {scores.min():.1f} to {scores.max():.1f} (the unmasked score is "
      f"{model(x[i:i + 1])[0, target[i]]:.1f}); the best map alone gets weight {weights[0, order[0]]:.2f}")

# %% [markdown]
# ## The weights are a softmax: positive, summing to 1
# Subtracting the black input's score y_c(0) (the paper's "increase of confidence") shifts every
# score of a row by the same number, which a softmax ignores: it matters only for the raw
# weights (softmax=False).

# %%
maps, weights = score_cam(model, x, target, return_weights=True)
plain, plain_weights = score_cam(model, x, target, baseline_score=False, return_weights=True)
total = weights.sum(axis=1)
print(f"Score-CAM weights sum to 1: largest |sum - 1| {np.abs(total - 1).max():.1e} over {len(x)} samples; "
      f"without the baseline score they change by at most {np.abs(weights - plain_weights).max():.1e}")
assert np.allclose(total, 1, atol=1e-5) and np.all(weights >= 0)

# %% [markdown]
# ## Logits make a peaked softmax
# The masked scores are logits that differ by several units, so exp() lets a few maps take almost
# all the weight: Score-CAM often shows one or two feature maps, not a blend.

# %%
top = np.sort(weights, axis=1)[:, ::-1]
print(f"the largest weight is {np.median(top[:, 0]):.2f} and the largest three sum to "
      f"{np.median(top[:, :3].sum(1)):.2f} (medians over {len(x)} samples, 64 maps each)")

# %% [markdown]
# ## Score-CAM beside Grad-CAM
# Both maps are scored by how much of their mass falls where the digit's template landed.

# %%
grad = gradcam(model, x, target)


def mass_inside(m):
    m = m[:, 0]
    return ((m * evidence).sum(1) / np.maximum(m.sum(1), 1e-12)).mean()


print(f"mass inside the evidence mask (covers {evidence.mean():.2f}): Score-CAM {mass_inside(maps):.3f}, "
      f"Grad-CAM {mass_inside(grad):.3f}")
fig, axes = plt.subplots(1, 2, figsize=(11, 2.8))
plot_signal(axes[0], x[i], maps[i], evidence[i], title="Score-CAM")
plot_signal(axes[1], x[i], grad[i], evidence[i], title="Grad-CAM")
fig.tight_layout()
fig.savefig(OUT / "score_cam_vs_gradcam.png", dpi=100)

# %% [markdown]
# ## A texture image with the VGG-7
# conv3_2 has 128 maps of 16 x 16, so one image costs 128 forward passes of 64 x 64 inputs (run in
# bounded batches).

# %%
vgg = pretrained("vgg7_textures8")
images, labels = textures8("test")
picks = (0,) if FAST else (0, 100, 200)
fig, axes = plt.subplots(1, len(picks), figsize=(4.5 * len(picks), 4), squeeze=False)
for ax, i in zip(axes[0], picks):
    m, w = score_cam(vgg, images[i:i + 1], return_weights=True)
    plot_image(ax, images[i], m[0, 0], f"{textures8.CLASSES[labels[i]]}: Score-CAM")
    print(f"textures8 image {i} ({textures8.CLASSES[labels[i]]}): weights sum to {w.sum():.6f}, "
          f"largest {w.max():.2f}")
fig.tight_layout()
fig.savefig(OUT / "textures8_score_cam.png", dpi=100)
print(f"figures written to {OUT}")
