# %% [markdown]
# # 03 Sensitivity analysis: the squared gradient
#
# Accompanies seed 003_9e1ffa84955ffc85.txt, section "01 Sensitivity Analysis" (Baehrens et al.
# 2010): "SA measures the local variation of the function along each input dimension",
# R_i = (df/dx_i)^2, and the map sums to ||grad_x f||^2. Runs in about 20 s on two cores (about 10 s with
# MINIXAI_FAST=1).
#
# Sensitivity answers "which inputs would change the score if they moved?", not "which inputs
# made the score?". Figures go to $MINIXAI_FIGURES/03_sensitivity (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import saliency, sensitivity
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "03_sensitivity"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
if FAST:
    x, y, evidence = x[:200], y[:200], evidence[:200]
target = model.predict(x)

# %% [markdown]
# ## R_i = (df/dx_i)^2, summing to ||grad_x f||^2
# The map is the square of the vanilla saliency map, so it ranks positions the same way but
# concentrates the mass on the few steepest ones.

# %%
R = sensitivity(model, x, target)
g = saliency(model, x, target, signed=True)
gap = np.abs(R.sum(axis=(1, 2)) - np.linalg.norm(g[:, 0], axis=1) ** 2).max()
print(f"sum_i R_i - ||grad f||^2: largest gap {gap:.1e} over {len(x)} samples")
assert gap <= 1e-5 * np.abs(R.sum(axis=(1, 2))).max()


def top_share(maps, fraction=0.1):
    flat = np.sort(maps.reshape(len(maps), -1), axis=1)[:, ::-1]
    return float(np.mean(flat[:, :max(1, int(fraction * flat.shape[1]))].sum(1) / flat.sum(1)))


print(f"the top 10% of positions hold {top_share(R):.2f} of the sensitivity mass, "
      f"{top_share(np.abs(g)):.2f} of the |gradient| mass")

# %% [markdown]
# ## "Local variation": moving the most sensitive inputs moves the score most
# Move the k most sensitive positions of each sample by a small step along the gradient's sign,
# and compare the change of the class score with the same step on k random positions.

# %%
k, step = 4, 0.05
rows = np.arange(len(x))
base = model.forward(x)[rows, target]
top = np.argsort(R[:, 0], axis=1)[:, -k:]
random = np.random.default_rng(0).permuted(np.tile(np.arange(x.shape[2]), (len(x), 1)), axis=1)[:, :k]
changes = {}
for name, positions in (("most sensitive", top), ("random", random)):
    moved = x.copy()
    signs = np.sign(np.take_along_axis(g[:, 0], positions, axis=1))
    np.put_along_axis(moved[:, 0], positions, np.take_along_axis(x[:, 0], positions, axis=1) + step * signs, axis=1)
    changes[name] = float(np.mean(model.forward(moved)[rows, target] - base))
    print(f"moving the {k} {name} positions by {step}: class score up by {changes[name]:.4f} on average")
assert changes["most sensitive"] > changes["random"]
print(f"ratio: {changes['most sensitive'] / max(changes['random'], 1e-12):.1f}x")

fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for ax, i in zip(axes.flat, range(8)):
    plot_signal(ax, x[i], R[i], evidence[i], title=f"label {y[i]}, predicted {target[i]}")
fig.suptitle("Sensitivity (d y_c / d x_i)^2 on MNIST-1D test samples, evidence mask shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_sensitivity.png", dpi=100)

# %% [markdown]
# ## textures8: sensitivity summed over the colour channels
# ||grad||^2 per pixel (the sum of R over R, G and B), for one test patch per class.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == c)[0]) for c in range(len(textures8.CLASSES))]
maps2d = sensitivity(vgg, xt[picks], batch_size=4).sum(axis=1)
fig, axes = plt.subplots(2, 4, figsize=(14, 7))
for ax, i, m in zip(axes.flat, picks, maps2d):
    plot_image(ax, xt[i], m, title=textures8.CLASSES[yt[i]])
fig.suptitle("Sensitivity summed over channels on textures8 test patches")
fig.tight_layout()
fig.savefig(OUT / "textures8_sensitivity.png", dpi=100)
print(f"textures8: the top 10% of pixels hold {top_share(maps2d):.2f} of the sensitivity mass")
print(f"figures written to {OUT}")
