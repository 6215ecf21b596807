# %% [markdown]
# # 02 Image-specific class saliency: the gradient of the class score
#
# Accompanies seed 003_9e1ffa84955ffc85.txt, slides "What are Saliency Maps?" and the
# image-specific class saliency slides after them (Simonyan, Vedaldi & Zisserman 2013), and
# seed 000_8bf5a89bed1f51bd.txt, slide "Backpropagation-based approaches: Simplest approach:
# Vanilla Gradient". Runs in about 20 s on two cores (about 10 s with MINIXAI_FAST=1).
#
# Near an input I0 the class score is linear, S_c(I) ~ w^T I + b with w = dS_c/dI at I0
# (one back-prop pass). The magnitude |w| is the saliency map; for colour images the paper
# takes the max of |w| over the channels.
# Figures go to $MINIXAI_FIGURES/02_saliency (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import saliency
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "02_saliency"
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## "Linear approximation of the class score in the neighbourhood of an image I0"
# w is the slope of S_c at I0: a small step eps * d changes the score by eps * w^T d. A ReLU
# network is piecewise linear, so for a step small enough to cross no kink the match is exact
# up to rounding; a large step crosses kinks and the linear model drifts.

# %%
model = pretrained("mnist1d_cnn").astype(np.float64)
x, y, evidence = mnist1d("test", evidence=True)
if FAST:
    x, y, evidence = x[:200], y[:200], evidence[:200]
x64 = x[:32].astype(np.float64)
c = model.forward(x64).argmax(1)
w = saliency(model, x64, c, signed=True)
d = np.random.default_rng(0).normal(size=x64.shape)
rows = np.arange(len(c))
for eps in (1e-6, 1e-2, 1.0):
    actual = model.forward(x64 + eps * d)[rows, c] - model.forward(x64)[rows, c]
    predicted = eps * (w * d).reshape(len(c), -1).sum(1)
    error = np.median(np.abs(actual - predicted) / np.abs(actual))
    print(f"step {eps:g}: median relative error of the linear model S_c(I0) + w^T (I - I0): {error:.1e}")
    if eps == 1e-6:
        assert error < 1e-6

# %% [markdown]
# ## "Highlights discriminative object parts": saliency mass inside the MNIST-1D evidence
# minixai's MNIST-1D carries an evidence mask: where the digit's template landed. If the
# gradient points at the digit, more of the map's mass falls inside the mask than the mask's
# share of positions.

# %%
model = pretrained("mnist1d_cnn")
maps = saliency(model, x)[:, 0]  # (N, 40)
inside = (maps * evidence).sum(1) / maps.sum(1)
share = evidence.mean(1)
print(f"saliency mass inside the evidence mask: {inside.mean():.3f} on average over {len(x)} test samples; "
      f"the mask covers {share.mean():.3f} of the positions (ratio {inside.mean() / share.mean():.2f}); "
      f"mass share above the mask's share in {np.mean(inside > share):.0%} of the samples")
assert inside.mean() > share.mean()

predicted = model.predict(x)
fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for ax, i in zip(axes.flat, range(8)):
    plot_signal(ax, x[i], maps[i], evidence[i], title=f"label {y[i]}, predicted {predicted[i]}")
fig.suptitle("|d y_c / d x| on MNIST-1D test samples (bars), evidence mask shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_saliency.png", dpi=100)

# %% [markdown]
# ## Colour images: max over the channels (textures8, the HMT stand-in)
# One test patch per class, explained for its predicted class.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == k)[0]) for k in range(len(textures8.CLASSES))]
maps2d = saliency(vgg, xt[picks], channel_max=True, batch_size=4)[:, 0]
pred2d = vgg.predict(xt[picks])
fig, axes = plt.subplots(2, 4, figsize=(14, 7))
for ax, i, m, p in zip(axes.flat, picks, maps2d, pred2d):
    plot_image(ax, xt[i], m, title=f"{textures8.CLASSES[yt[i]]} -> {textures8.CLASSES[p]}")
fig.suptitle("max_c |d y / d x| on textures8 test patches")
fig.tight_layout()
fig.savefig(OUT / "textures8_saliency.png", dpi=100)
top = np.sort(maps2d.reshape(len(picks), -1), axis=1)[:, ::-1]
k = top.shape[1] // 20
print(f"textures8: the top 5% of pixels hold {np.mean(top[:, :k].sum(1) / top.sum(1)):.2f} of the saliency mass "
      f"(uniform: 0.05)")
print(f"figures written to {OUT}")
