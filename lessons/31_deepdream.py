# %% [markdown]
# # 31 DeepDream: let a layer over-interpret the input
#
# Accompanies seed 004_2a6fa647e63a0a0a.txt, section "Deep Dream" (and its "Gradient Ascent
# algorithm" paragraph): forward an image, take the gradient of a layer's activations with
# respect to the image, and change the image to increase them (Mordvintsev, Olah & Tyka 2015):
#
#     L(x) = 1/2 ||A_layer(x)||^2,   x <- x + eta g / mean|g|,   g = dL/dx
#
# run on several octaves (a shrunken copy first, the detail carried up to the full size) with a
# random shift (jitter) at each step. Runs in about 15 s on two busy cores (under 10 s with
# MINIXAI_FAST=1). Figures go to $MINIXAI_FIGURES/31_deepdream (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.ndimage import gaussian_filter

from minixai.data import mnist1d, textures8
from minixai.explain import deepdream
from minixai.models import pretrained

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "31_deepdream"
OUT.mkdir(parents=True, exist_ok=True)

vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [0, 300] if FAST else [0, 100, 300, 500]
x = xt[picks]
steps = 6 if FAST else 10


def energy(model, images, layer):
    A = model.forward(images, stop=layer)
    return 0.5 * (A * A).reshape(len(images), -1).sum(axis=1)


def show(ax, image, title):
    picture = image.transpose(1, 2, 0)
    ax.imshow(np.clip(picture, 0, 1))
    ax.set_title(title, fontsize=9)
    ax.axis("off")


# %% [markdown]
# ## The dream raises the chosen layer's activations
# Each layer dreams its own patterns: edges and colours early, larger motifs deeper.

# %%
layers = ["relu1_2", "relu2_2", "relu3_2"]
dreams = {}
for layer in layers:
    dreams[layer] = deepdream(vgg, x, layer=layer, steps=steps)
    ratio = energy(vgg, dreams[layer], layer) / energy(vgg, x, layer)
    print(f"{layer}: 1/2 ||A||^2 grew by a factor of {np.median(ratio):.1f} (median over {len(x)} patches), "
          f"the smallest {ratio.min():.1f}")
    assert np.all(ratio > 1)

fig, axes = plt.subplots(len(picks), 1 + len(layers), figsize=(3 * (1 + len(layers)), 3 * len(picks)))
for row, i in enumerate(picks):
    show(axes[row, 0], xt[i], f"{textures8.CLASSES[yt[i]]} (input)")
    for col, layer in enumerate(layers, start=1):
        show(axes[row, col], dreams[layer][row], f"dreamed at {layer}")
fig.suptitle("DeepDream on textures8 test patches (3 octaves, jitter 2)")
fig.tight_layout()
fig.savefig(OUT / "textures8_deepdream.png", dpi=100)

# %% [markdown]
# ## Octaves grow larger patterns
# Measure the share of the change's energy that survives a Gaussian blur (sigma 2 pixels):
# the larger it is, the coarser the dreamed patterns. One octave paints pixel-scale detail;
# three and four octaves paint blobs.

# %%
def coarse_share(change):
    blurred = gaussian_filter(change, sigma=(0, 0, 2, 2))
    return (blurred ** 2).sum(axis=(1, 2, 3)) / (change ** 2).sum(axis=(1, 2, 3))


share = {octaves: np.median(coarse_share(deepdream(vgg, x, octaves=octaves, steps=steps) - x))
         for octaves in (1, 3)}
print(f"share of the change's energy left after a sigma-2 blur: {share[1]:.2f} with one octave, "
      f"{share[3]:.2f} with three")
assert share[3] > share[1]

# %% [markdown]
# ## The same dream on 1-D signals
# Octaves shrink the signal along its length; the MNIST-1D network's middle layer (relu2) grows.

# %%
model = pretrained("mnist1d_cnn")
xs, ys = mnist1d("test")
xs = xs[:100]
dreamed = deepdream(model, xs)
ratio = energy(model, dreamed, "relu2") / energy(model, xs, "relu2")
changed = np.mean(model.predict(dreamed) != model.predict(xs))
print(f"MNIST-1D: 1/2 ||A_relu2||^2 grew by a median factor of {np.median(ratio):.1f}; the prediction changed "
      f"on {changed:.0%} of {len(xs)} signals")
assert np.all(ratio > 1)

fig, axes = plt.subplots(2, 4, figsize=(14, 5))
for ax, i in zip(axes.flat, range(8)):
    ax.plot(xs[i, 0], color="0.6", label="input")
    ax.plot(dreamed[i, 0], color="k", label="dreamed")
    ax.set_title(f"label {ys[i]}")
axes[0, 0].legend()
fig.suptitle("DeepDream at relu2 on MNIST-1D signals")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_deepdream.png", dpi=100)
print(f"figures written to {OUT}")
