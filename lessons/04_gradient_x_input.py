# %% [markdown]
# # 04 Gradient x Input: the gradient weighted by the input
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slide "Backpropagation-based approaches:
# Gradient ⊙ Input" (grad_x F(x) ⊙ x, Shrikumar et al. 2016). Runs in about 25 s on two
# cores (about 10 s with MINIXAI_FAST=1).
#
# R = x ⊙ dy_c/dx is signed (red raised the score, blue lowered it) and is zero wherever the
# input is zero. For a ReLU network without biases the score is positively homogeneous,
# y_c(t x) = t y_c(x), so by Euler's theorem the attributions add up to the score exactly.
# Figures go to $MINIXAI_FIGURES/04_gradient_x_input (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import gradient_x_input, saliency
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "04_gradient_x_input"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn").astype(np.float64)
x, y, evidence = mnist1d("test", evidence=True)
x, y, evidence = (x[:200], y[:200], evidence[:200]) if FAST else (x[:500], y[:500], evidence[:500])
x = x.astype(np.float64)
target = model.predict(x)
rows = np.arange(len(x))

# %% [markdown]
# ## How much of the score do the attributions account for?
# With the biases, sum_i R_i misses the biases' share of y_c. Zero the biases and the sum is the
# score to rounding (float64 here).

# %%
R = gradient_x_input(model, x, target)
score = model.forward(x)[rows, target]
gap = R.sum(axis=(1, 2)) - score
print(f"shipped model: sum_i R_i - y_c has median |gap| {np.median(np.abs(gap)):.3f} "
      f"(median |y_c| {np.median(np.abs(score)):.3f}): the biases' share is missing")

no_bias = pretrained("mnist1d_cnn").astype(np.float64)
for layer in no_bias.layers.values():
    if getattr(layer, "bias", None) is not None:
        layer.bias[...] = 0
R0 = gradient_x_input(no_bias, x, target)
gap0 = np.abs(R0.sum(axis=(1, 2)) - no_bias.forward(x)[rows, target]).max()
print(f"same weights, biases zeroed: largest |sum_i R_i - y_c| = {gap0:.1e} over {len(x)} samples (Euler)")
assert gap0 < 1e-10

# %% [markdown]
# ## Where the input is zero there is no attribution
# Zero a stretch of each signal: the gradient there is usually not zero, Gradient x Input is.

# %%
blanked = x.copy()
blanked[:, :, 10:20] = 0
Rb = gradient_x_input(model, blanked, target)
moving = np.mean(saliency(model, blanked, target)[:, :, 10:20] > 0)
print(f"on the zeroed positions the gradient is nonzero at {moving:.0%} of them, yet max |R| = "
      f"{np.abs(Rb[:, :, 10:20]).max():.1e} there (max |R| elsewhere = {np.abs(Rb).max():.2f})")
assert np.all(Rb[:, :, 10:20] == 0)

inside = (np.abs(R[:, 0]) * evidence).sum(1) / np.abs(R[:, 0]).sum(1)
print(f"|R| mass inside the evidence mask: {inside.mean():.3f} (the mask covers {evidence.mean():.3f} of positions)")

fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for ax, i in zip(axes.flat, range(8)):
    plot_signal(ax, x[i], R[i], evidence[i], title=f"label {y[i]}, predicted {target[i]}")
fig.suptitle("Gradient x Input on MNIST-1D (red raised y_c, blue lowered it), evidence shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_gradient_x_input.png", dpi=100)

# %% [markdown]
# ## textures8: summed over the colour channels

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == c)[0]) for c in range(len(textures8.CLASSES))]
maps2d = gradient_x_input(vgg, xt[picks], batch_size=4).sum(axis=1)
fig, axes = plt.subplots(2, 4, figsize=(14, 7))
for ax, i, m in zip(axes.flat, picks, maps2d):
    plot_image(ax, xt[i], m, title=textures8.CLASSES[yt[i]])
fig.suptitle("Gradient x Input summed over channels on textures8 test patches")
fig.tight_layout()
fig.savefig(OUT / "textures8_gradient_x_input.png", dpi=100)
print(f"textures8: {np.mean(maps2d > 0):.2f} of the pixel attributions are positive")
print(f"figures written to {OUT}")
