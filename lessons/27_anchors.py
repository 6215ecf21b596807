# %% [markdown]
# # 27 Anchors: the superpixels that lock the prediction in place
#
# Accompanies seed 004_2a6fa647e63a0a0a.txt, slide "Anchor Explanations": images are cut into
# superpixels; an anchor is a set of them that, kept, keeps the prediction whatever happens to the
# rest; absent superpixels show their average value or the pixels of a superimposed picture.
# Ribeiro et al. 2018. Runs in about a minute on two cores (about 10 s with MINIXAI_FAST=1).
#
#     prec(A) = P(class of the perturbed input = class of x | every segment of A kept)
#     cov(A)  = P(a random perturbation keeps A) = 0.5^|A|
# The anchor is the A of largest coverage with prec(A) >= 0.95, found by beam search with a
# KL-LUCB bandit deciding which candidates to sample. The map is 1 on the anchor.
# Figures go to $MINIXAI_FIGURES/27_anchors (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import anchors
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "27_anchors"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
n = 10 if FAST else 40
x, y, evidence = x[:n], y[:n], evidence[:n]

# %% [markdown]
# ## MNIST-1D: which of the 8 segments are enough?
# Absent segments show their mean value. The reported precision is the bandit's estimate; check
# it on fresh perturbations that keep the anchor.

# %%
R, details = anchors(model, x, seed=0, return_details=True)
sizes = [len(d["features"]) for d in details]
print(f"anchor sizes over {n} signals: " + ", ".join(f"{s}: {sizes.count(s)}" for s in sorted(set(sizes)))
      + f"; mean model calls per signal {np.mean([d['samples'] for d in details]):.0f}")

rng = np.random.default_rng(1)
fresh = []
for i, d in enumerate(details):
    labels = d["labels"]
    m = labels.max() + 1
    means = np.array([x[i, 0][labels == j].mean() for j in range(m)])
    keep = (rng.random((500, m)) < 0.5) | np.isin(np.arange(m), d["features"])
    perturbed = np.where(keep[:, labels], x[i, 0], means[labels])[:, None]
    fresh.append(np.mean(model.predict(perturbed) == model.predict(x[i:i + 1])[0]))
print(f"precision on 500 fresh perturbations per signal: median {np.median(fresh):.3f}, lowest {min(fresh):.3f} "
      f"(target 0.95)")
assert np.median(fresh) >= 0.9

fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for ax, i in zip(axes.flat, range(8)):
    plot_signal(ax, x[i], R[i], evidence[i],
                title=f"label {y[i]}: prec {details[i]['precision']:.2f}, cov {details[i]['coverage']:.2f}")
fig.suptitle("Anchors on MNIST-1D (bars: the anchor's segments), evidence shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_anchors.png", dpi=100)

# %% [markdown]
# ## textures8: mean colour versus a superimposed picture
# The slide's two ways to hide a superpixel. Filling with the mean colour leaves much of a texture
# recognisable; pasting in a patch of another class is a harder test, so anchors grow. About 9
# SLIC superpixels (instead of the default 16) keep the beam search short.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
firsts = [int(np.flatnonzero(yt == c)[0]) for c in range(len(textures8.CLASSES))]
picks = firsts[3:4] if FAST else firsts[1:4]
mean_fill, mean_details = anchors(vgg, xt[picks], n_segments=9, seed=0, return_details=True)
others = xt[[firsts[(yt[i] + 4) % len(firsts)] for i in picks]]
pasted, pasted_details = anchors(vgg, xt[picks], n_segments=9, baseline=others, seed=0, return_details=True)
for i, a, b in zip(picks, mean_details, pasted_details):
    print(f"{textures8.CLASSES[yt[i]]}: the anchor holds {len(a['features'])} superpixel(s) with the mean colour "
          f"(coverage {a['coverage']:.3f}), {len(b['features'])} with another texture pasted in "
          f"(coverage {b['coverage']:.3f})")
fig, axes = plt.subplots(2, len(picks), figsize=(3.6 * len(picks), 7), squeeze=False)
for k, i in enumerate(picks):
    plot_image(axes[0, k], xt[i], mean_fill[k, 0], title=f"{textures8.CLASSES[yt[i]]}: mean fill", colorbar=False)
    plot_image(axes[1, k], xt[i], pasted[k, 0], title="another texture pasted", colorbar=False)
fig.suptitle("Anchors on textures8")
fig.tight_layout()
fig.savefig(OUT / "textures8_anchors.png", dpi=100)
print(f"figures written to {OUT}")
