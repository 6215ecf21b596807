# %% [markdown]
# # 22 Occlusion: hide a patch, watch the score
#
# Accompanies seed 004_2a6fa647e63a0a0a.txt, slide "Occlusion Sensitivity" (Zeiler & Fergus
# 2014): "if ||f(x) - f(x_-i)|| is large, then the dimension must have been important", and
# single pixels are rarely missed because their neighbours carry the same information, so whole
# patches are removed. Runs in about 30 s on two cores (under 10 s with MINIXAI_FAST=1).
#
# A window slides over x with a stride; each placement w sets x to the baseline (0) inside it:
#     d_w = y_c(x) - y_c(x with w occluded),   R_p = mean of d_w over the windows covering p.
# Only the model's scores are used: any predict function works.
# Figures go to $MINIXAI_FIGURES/22_occlusion (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import occlusion
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "22_occlusion"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
n = 100 if FAST else 500
x, y, evidence = x[:n], y[:n], evidence[:n]
target = model.predict(x)

# %% [markdown]
# ## One position at a time barely moves the score; a patch does
# Occlude single positions (window 1) and non-overlapping patches of 5 (stride 5): with stride =
# window each R_p is exactly one window's drop d_w. Compare the largest drop each finds.

# %%
single = occlusion(model, x, target, window=1, stride=1)
patch = occlusion(model, x, target, window=5, stride=5)
ratio = np.median(np.abs(patch).max(axis=(1, 2)) / np.abs(single).max(axis=(1, 2)))
print(f"the largest drop from hiding 5 positions is {ratio:.1f}x the largest from hiding one "
      f"(median over {n} signals): in these short, noisy signals one position already matters "
      f"almost as much; the slide's point is about images, where neighbours carry the same information")
assert ratio >= 1
patch = occlusion(model, x, target)                         # the default: window 5, stride 2

# %% [markdown]
# ## Where the drops are: the digit's template
# The evidence mask marks where the template landed. The positive part of R (hiding it lowered
# y_c) should sit there more than chance.

# %%
positive = np.clip(patch[:, 0], 0, None)
inside = (positive * evidence).sum(1) / np.maximum(positive.sum(1), 1e-12)
print(f"positive occlusion mass inside the evidence: {inside.mean():.2f} "
      f"(the evidence covers {evidence.mean():.2f} of the positions)")

fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for ax, i in zip(axes.flat, range(8)):
    plot_signal(ax, x[i], patch[i], evidence[i], title=f"label {y[i]}, predicted {target[i]}")
fig.suptitle("Occlusion (window 5, stride 2, baseline 0) on MNIST-1D: red = hiding it lowered y_c")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_occlusion.png", dpi=100)

# %% [markdown]
# ## Window size on textures8: 8 x 8 patches, stride 4, versus 16 x 16
# Bigger windows hide more context: the map gets coarser and the drops larger.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == c)[0]) for c in range(len(textures8.CLASSES))][:2 if FAST else 8]
small = occlusion(vgg, xt[picks])
large = occlusion(vgg, xt[picks], window=16, stride=8)
print(f"textures8: mean max drop {np.abs(small).max(axis=(1, 2, 3)).mean():.2f} with 8 x 8 windows, "
      f"{np.abs(large).max(axis=(1, 2, 3)).mean():.2f} with 16 x 16")
fig, axes = plt.subplots(2, len(picks), figsize=(3.2 * len(picks), 6.5), squeeze=False)
for k, i in enumerate(picks):
    plot_image(axes[0, k], xt[i], small[k, 0], title=f"{textures8.CLASSES[yt[i]]}: 8x8", colorbar=False)
    plot_image(axes[1, k], xt[i], large[k, 0], title="16x16", colorbar=False)
fig.suptitle("Occlusion on textures8 (zero baseline)")
fig.tight_layout()
fig.savefig(OUT / "textures8_occlusion.png", dpi=100)
print(f"figures written to {OUT}")
