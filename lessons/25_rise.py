# %% [markdown]
# # 25 RISE: random smooth masks, weighted by the score of what they let through
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slides "Perturbation-based methods: RISE" (idea,
# methodology, pros and cons), and seed 004_2a6fa647e63a0a0a.txt, "RISE - Randomized Image
# Sampling for Explanations" (Petsiuk et al. 2018, https://arxiv.org/abs/1806.07421). Runs in
# about a minute on two cores, most of it 4000 masks through the VGG-7 (under 10 s with
# MINIXAI_FAST=1).
#
#     S_c(lambda) = 1 / (N p) sum_i f_c(x * M_i) M_i(lambda)
#     M_i = crop(Up(g_i)): an s x s grid of Bernoulli(p) cells, upsampled (bi)linearly, shifted
#
# f_c is the class probability. N = 4000, p = 0.5, s = 7 (2-D) or 8 (1-D) by default.
# Figures go to $MINIXAI_FIGURES/25_rise (default ./figures).

# %%
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import rise
from minixai.explain.rise import draw_masks, masks_of
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "25_rise"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
count = 5 if FAST else 20
x, y, evidence = x[:count], y[:count], evidence[:count]
target = model.predict(x)

# %% [markdown]
# ## "Generating a set of random masks" ("why smooth?")
# A binary grid upsampled bilinearly has soft edges, and the random shift puts those edges
# anywhere, not only on grid lines: a sharp binary mask would add edges of its own that the
# model may react to. Every mask keeps on average a fraction p of the input.

# %%
grids, shifts = draw_masks(1000, (7, 7), (64, 64), 0.5, seed=0)
M = masks_of(grids, shifts, (64, 64))
step = np.abs(np.diff(M, axis=2)).max()
print(f"1000 masks of 64 x 64: mean {M.mean():.3f} (p = 0.5), values in [{M.min():.0f}, {M.max():.0f}], "
      f"largest jump between neighbouring pixels {step:.3f} (a binary mask jumps by 1)")
assert abs(M.mean() - 0.5) < 0.02 and step < 0.2
fig, axes = plt.subplots(1, 6, figsize=(12, 2.2))
for ax, mask in zip(axes, M):
    ax.imshow(mask, cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
fig.suptitle("RISE masks: 7 x 7 grids, bilinear upsampling, random shift")
fig.tight_layout()
fig.savefig(OUT / "masks.png", dpi=100)

# %% [markdown]
# ## "Whenever a mask preserves important parts of the image it gets higher score" (seed 004)
# On MNIST-1D the generator tells where the digit's template landed (the evidence mask). Masks
# that keep more of it should score higher; that is why their weighted sum lights up the evidence.

# %%
i = 0
grids, shifts = draw_masks(2000, (8,), (40,), 0.5, seed=1)
M1 = masks_of(grids, shifts, (40,))
logits = model(x[i:i + 1] * M1[:, None])
p = np.exp(logits - logits.max(1, keepdims=True))
p = (p / p.sum(1, keepdims=True))[:, target[i]]
kept = (M1 * evidence[i]).sum(1) / evidence[i].sum()
r = np.corrcoef(kept, p)[0, 1]
print(f"sample {i}: correlation between the evidence a mask keeps and the class probability: {r:.2f} "
      f"over {len(M1)} masks")
assert r > 0

# %% [markdown]
# ## The weighted combination of the masks
# Every position gets the mean score of the masks that kept it. The map has a floor (every
# position is kept by half the masks, whatever it holds), so the figures subtract the minimum.

# %%
start = time.perf_counter()
S = rise(model, x, target, seed=0)[:, 0]
seconds = time.perf_counter() - start
top = S.argmax(axis=1)
hits = evidence[np.arange(len(x)), top].mean()
print(f"RISE on {len(x)} MNIST-1D samples (4000 masks each) took {seconds:.1f} s; the most salient position "
      f"falls inside the evidence for {hits:.0%} of them (the evidence covers {evidence.mean():.0%} of positions)")
fig, axes = plt.subplots(1, 3, figsize=(15, 2.8))
for ax, j in zip(axes, range(3)):
    plot_signal(ax, x[j], S[j] - S[j].min(), evidence[j], title=f"RISE, class {target[j]} (label {y[j]})")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_rise.png", dpi=100)

# %% [markdown]
# ## "Slow runtime, as it passes numerous (4000-8000) masked images through a model"
# RISE is a Monte Carlo estimate: its error shrinks like 1/sqrt(N). Compare maps from N masks
# with a reference of 8000 masks (another seed): quadrupling N halves the error.

# %%
reference = rise(model, x[:1], target[:1], n=8000, seed=100)[0, 0]
for n in (250, 1000) if FAST else (250, 1000, 4000):
    errors = [np.abs(rise(model, x[:1], target[:1], n=n, seed=s)[0, 0] - reference).mean() for s in range(3)]
    print(f"N = {n:5d}: mean |S_N - S_8000| = {np.mean(errors):.4f}")

# %% [markdown]
# ## "Applicability of the method to AI models beyond the family of CNNs"
# RISE needs only a predict function. Here a linear softmax classifier fitted by least squares on
# the training set, given as a plain Python function, is explained like the CNN.

# %%
x_train, y_train = mnist1d("train")
X = np.c_[x_train.reshape(len(x_train), -1), np.ones(len(x_train))]
W = np.linalg.lstsq(X, np.eye(10)[y_train], rcond=None)[0]


def linear_predict(batch):
    return np.c_[batch.reshape(len(batch), -1), np.ones(len(batch))] @ W


S_linear = rise(linear_predict, x[:3], seed=0)[:, 0]
print(f"RISE of a linear classifier (a plain function, no layers): maps of shape {S_linear.shape}; "
      f"the linear model's most salient position is inside the evidence for "
      f"{evidence[np.arange(3), S_linear.argmax(1)].mean():.0%} of 3 samples")

# %% [markdown]
# ## A texture image with the VGG-7
# 4000 masked 64 x 64 images through six convolutions: this is RISE's cost (the "cons" slide).

# %%
vgg = pretrained("vgg7_textures8")
images, labels = textures8("test")
n = 200 if FAST else 4000
start = time.perf_counter()
S2 = rise(vgg, images[:1], n=n, seed=0)[0, 0]
print(f"textures8 image 0 ({textures8.CLASSES[labels[0]]}): RISE with {n} masks took "
      f"{time.perf_counter() - start:.1f} s")
fig, ax = plt.subplots(figsize=(5, 4))
plot_image(ax, images[0], S2 - S2.min(), f"RISE, {n} masks")
fig.tight_layout()
fig.savefig(OUT / "textures8_rise.png", dpi=100)
print(f"figures written to {OUT}")
