# %% [markdown]
# # 28 Meaningful perturbation: learn the smallest deletion that destroys the score
#
# Accompanies seed 001_c2222baa81a6d9bd.txt, slides "Masking-based saliency map method" (the loss
# terms L_out(f(x * (1 - m))), L_in(f(x * m)) and the regulariser R(m) of Phang et al. 2020,
# https://arxiv.org/abs/2010.09750) and Fong & Vedaldi 2017, https://arxiv.org/abs/1704.03296.
# Runs in about 15 s on two cores (under 10 s with MINIXAI_FAST=1).
#
#     min_m  l1 mean(1 - M) + tv TV_3(M) + f_c( x * M + blur(x) * (1 - M) ),   M = Up(m) in [0, 1]
#
# The "deletion game": M = 0 replaces a pixel by its blurred version; the saliency is 1 - M.
# This is the slide's L_out term (score with the salient region removed) plus R(m) (area and
# smoothness). Optimised by Adam, gradients by one backward pass per step.
# Figures go to $MINIXAI_FIGURES/28_meaningful_perturbation (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.ndimage import gaussian_filter

from minixai.data import mnist1d, textures8
from minixai.explain import meaningful_perturbation
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "28_meaningful_perturbation"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
count = 20 if FAST else 100
x, y, evidence = x[:count], y[:count], evidence[:count]
target = model.predict(x)
rows = np.arange(len(x))


def probability(net, inputs, classes):
    logits = net(inputs)
    p = np.exp(logits - logits.max(1, keepdims=True))
    return (p / p.sum(1, keepdims=True))[np.arange(len(inputs)), classes]


# %% [markdown]
# ## The game: the objective falls as the mask learns what to delete
# The mask starts half open everywhere; Adam moves each cell towards "keep" (the area term) or
# "delete" (where deleting lowers the class probability).

# %%
saliency, objective = meaningful_perturbation(model, x, target, return_objective=True)
print(f"objective (median over {len(x)} samples): {np.median(objective[0]):.3f} at step 0, "
      f"{np.median(objective[-1]):.3f} after {len(objective)} steps")
assert np.median(objective[-1]) < np.median(objective[0])
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(objective[:, :10])
ax.set(xlabel="Adam step", ylabel="objective", title="the deletion game, 10 samples")
fig.tight_layout()
fig.savefig(OUT / "objective.png", dpi=100)

# %% [markdown]
# ## L_out: removing the salient region removes the class
# Delete what the mask found (the learned M) and the class probability drops; the deleted
# region lies on the digit's template (the evidence mask).

# %%
x0 = gaussian_filter(x, sigma=(0, 0, 4))
M = 1 - saliency
before, after = probability(model, x, target), probability(model, x * M + x0 * (1 - M), target)
inside = (saliency[:, 0] * evidence).sum(1) / saliency[:, 0].sum(1).clip(1e-12)
print(f"median class probability {np.median(before):.3f} on x, {np.median(after):.3f} with {np.mean(saliency):.0%} "
      f"of the signal deleted; {np.mean(inside):.0%} of the deletion lies inside the evidence "
      f"(which covers {evidence.mean():.0%})")
assert np.mean(inside) > evidence.mean()
fig, axes = plt.subplots(1, 3, figsize=(15, 2.8))
for ax, j in zip(axes, range(3)):
    plot_signal(ax, x[j], saliency[j], evidence[j],
                title=f"1 - M, class {target[j]}: p {before[j]:.2f} -> {after[j]:.2f}")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_deletions.png", dpi=100)

# %% [markdown]
# ## R(m): the area penalty trades the size of the deletion against the score
# A larger l1 makes deleting more expensive: the masks shrink, and the score drops less.

# %%
for l1 in (0.3, 1.0, 3.0):
    s = meaningful_perturbation(model, x, target, l1=l1, steps=60 if FAST else 100)
    print(f"l1 = {l1}: deleted area {s.mean():.3f}, class probability after deletion "
          f"{np.median(probability(model, x * (1 - s) + x0 * s, target)):.3f}")

# %% [markdown]
# ## A texture image with the VGG-7
# "Meaningful" means the deleted part is replaced by something natural (a blur), not by black.
# For textures, blur is not neutral: a blurred texture may itself look like one class.

# %%
vgg = pretrained("vgg7_textures8")
images, labels = textures8("test")
picks = [150] if FAST else [150, 300, 600]
classes = vgg.predict(images[picks])
blurred = gaussian_filter(images[picks], sigma=(0, 0, 6.4, 6.4))
print("classes of the images:", [textures8.CLASSES[c] for c in classes], "; of their blurred versions:",
      [textures8.CLASSES[c] for c in vgg.predict(blurred)])
S2 = meaningful_perturbation(vgg, images[picks], classes, steps=40 if FAST else 100)
fig, axes = plt.subplots(1, len(picks), figsize=(4.5 * len(picks), 4))
for ax, j, S in zip(np.atleast_1d(axes), picks, S2):
    plot_image(ax, images[j], S[0], f"1 - M: {textures8.CLASSES[labels[j]]}")
fig.tight_layout()
fig.savefig(OUT / "textures8_deletions.png", dpi=100)
print(f"figures written to {OUT}")
