# %% [markdown]
# # 23 LIME: a local linear model on superpixels
#
# Accompanies seed 001_c2222baa81a6d9bd.txt, slide "LIME: Sparse Linear Explanation" (sample
# points around x, predict, weigh by distance, learn a simple model, explain with it), seed
# 000_8bf5a89bed1f51bd.txt, slide "LIME", and seed 004_2a6fa647e63a0a0a.txt, slide "LIME"
# (superpixels turned off, cosine distance, kernel, linear fit). Ribeiro et al. 2016.
# Runs in about a minute on two cores (about 10 s with MINIXAI_FAST=1).
#
#     z_k in {0,1}^M (z_0 = all ones), input h_x(z_k) = x on the segments that are on, their
#     mean colour elsewhere; d_k = 1 - cos(z_k, 1); pi_k = exp(-d_k^2 / 0.25^2);
#     (b, w) = argmin sum_k pi_k (y_c(h_x(z_k)) - b - w.z_k)^2 + |w|^2.
# The weight w_j of segment j is its explanation; the weighted R^2 says how linear y_c is near x.
# Figures go to $MINIXAI_FIGURES/23_lime (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from skimage.segmentation import mark_boundaries

from minixai.data import mnist1d, textures8
from minixai.explain import lime
from minixai.explain.lime import kernel, samples, segment
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "23_lime"
OUT.mkdir(parents=True, exist_ok=True)
N_SAMPLES = 300 if FAST else 1000

vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == c)[0]) for c in range(len(textures8.CLASSES))][:1 if FAST else 4]

# %% [markdown]
# ## Step 1: interpretable features are superpixels
# scikit-image's slic, quickshift and felzenszwalb cut the image into regions of similar colour.

# %%
image = xt[picks[:1]]
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, method in zip(axes, ("slic", "quickshift", "felzenszwalb")):
    labels = segment(image, method)[0]
    ax.imshow(mark_boundaries(image[0].transpose(1, 2, 0), labels, color=(1, 1, 0)))
    ax.set_title(f"{method}: {labels.max() + 1} superpixels")
    ax.axis("off")
    print(f"{method}: {labels.max() + 1} superpixels on a {textures8.CLASSES[yt[picks[0]]]} patch")
fig.tight_layout()
fig.savefig(OUT / "superpixels.png", dpi=100)

# %% [markdown]
# ## Step 2 and 3: perturbed instances and their weights
# Samples with fewer segments on are further from x (cosine distance) and weigh less.

# %%
labels = segment(image, "slic")[0]
m = labels.max() + 1
z = samples(m, 6, seed=0)
means = np.stack([[image[0, c][labels == j].mean() for j in range(m)] for c in range(3)])   # (3, M)
perturbed = np.where(z[:, labels][:, None].astype(bool), image[0], means[:, labels])
scores = vgg.forward(perturbed)
c = int(vgg.forward(image).argmax())
fig, axes = plt.subplots(1, 6, figsize=(15, 3))
for ax, zk, p, s, w in zip(axes, z, perturbed, scores[:, c], kernel(z, 0.25)):
    ax.imshow(np.clip(p.transpose(1, 2, 0), 0, 1))
    ax.set_title(f"{int(zk.sum())}/{m} on: y_c {s:.1f}\nweight {w:.3f}")
    ax.axis("off")
fig.tight_layout()
fig.savefig(OUT / "perturbed_instances.png", dpi=100)
for share in (1.0, 0.75, 0.5, 0.25):
    on = np.zeros((1, 100))
    on[0, :int(share * 100)] = 1
    print(f"{share:.0%} of the segments on: cosine distance {1 - np.sqrt(share):.3f}, weight {kernel(on, 0.25)[0]:.3f}")

# %% [markdown]
# ## Step 4 and 5: fit the weighted ridge model and read the weights
# R^2 near 1: the score is close to additive in the segments; low R^2: the explanation is a
# rough summary only.

# %%
R, fit = lime(vgg, xt[picks], n_samples=N_SAMPLES, seed=0, return_fit=True)
print(f"textures8, {N_SAMPLES} samples: weighted R^2 of the local model "
      + ", ".join(f"{r:.2f}" for r in fit["r2"]))
fig, axes = plt.subplots(1, len(picks), figsize=(3.6 * len(picks), 3.6), squeeze=False)
for ax, i, r, r2 in zip(axes[0], picks, R, fit["r2"]):
    plot_image(ax, xt[i], r[0], title=f"{textures8.CLASSES[yt[i]]}: R^2 {r2:.2f}", colorbar=False)
fig.suptitle("LIME weights of SLIC superpixels on textures8 (red raised y_c)")
fig.tight_layout()
fig.savefig(OUT / "textures8_lime.png", dpi=100)

# %% [markdown]
# ## MNIST-1D: eight segments of five positions
# "Maybe to a fault?" (seed 001): the explanation depends on the random samples. Fit twice with
# different seeds and compare the weights (with 8 segments there are only 256 coalitions, so a
# few hundred samples already pin the fit down).

# %%
model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
x, y, evidence = x[:10 if FAST else 50], y[:10 if FAST else 50], evidence[:10 if FAST else 50]
R1, fit1 = lime(model, x, n_samples=N_SAMPLES, seed=1, return_fit=True)
R2, fit2 = lime(model, x, n_samples=N_SAMPLES, seed=2, return_fit=True)
agree = np.median([np.corrcoef(a, b)[0, 1] for a, b in zip(fit1["weights"], fit2["weights"])])
print(f"MNIST-1D: median R^2 {np.median(fit1['r2']):.2f}; two seeds give weights with median "
      f"correlation {agree:.2f} ({N_SAMPLES} samples, 8 segments)")
assert agree > 0.5
fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for ax, i in zip(axes.flat, range(8)):
    plot_signal(ax, x[i], R1[i], evidence[i], title=f"label {y[i]}: R^2 {fit1['r2'][i]:.2f}")
fig.suptitle("LIME on MNIST-1D: one weight per segment, evidence shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_lime.png", dpi=100)
print(f"figures written to {OUT}")
