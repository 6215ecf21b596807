# %% [markdown]
# # 11 CAM: class activation mapping, read off the last dense layer
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slides "CAM-based methods" (Methodology and
# Limitations), and seed 003_9e1ffa84955ffc85.txt, slides "Class Activation Mapping (CAM)" and
# "Grad-CAM is a generalization of CAM" (Zhou et al. 2016, https://arxiv.org/abs/1512.04150).
# Runs in about 10 s on two cores (a few seconds with MINIXAI_FAST=1).
#
#     y_c = sum_k w_k^c (1/Z) sum_i A_i^k + b_c        (conv -> GAP -> dense)
#     M_c(i) = sum_k w_k^c A_i^k                       (the class activation map)
#
# A^k are the K feature maps of the last conv layer (after its ReLU), Z their number of
# positions, w^c the dense layer's row for class c. No gradient is needed.
# Figures go to $MINIXAI_FIGURES/11_cam (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.errors import NotApplicableError
from minixai.explain import cam, gradcam
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "11_cam"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn").astype(np.float64)
print("shipped 1-D CNN:", " -> ".join(model.names))
x, y, evidence = mnist1d("test", evidence=True)
count = 200 if FAST else 1000
x, y, evidence = x[:count].astype(np.float64), y[:count], evidence[:count]
target = model.predict(x)
rows = np.arange(len(x))

# %% [markdown]
# ## "Linear combination of the feature maps in the last convolutional layer" (seed 000)
# "... using the weights in the output layer" (slide "CAM-based methods", Methodology).
# The shipped CNN ends conv3 -> ReLU -> GAP -> dense, so CAM applies. Build M_c by hand from the
# activations at relu3 and the dense weights, and compare with `cam`.

# %%
A = model.forward(x, stop="relu3")                       # (N, K=64, Z=10)
W, b = model.layers["fc"].weight, model.layers["fc"].bias
by_hand = np.einsum("nk,nkz->nz", W[target], A)
M = cam(model, x, target, relu=False, upsample=False)[:, 0]
print(f"A has K = {A.shape[1]} maps of Z = {A.shape[2]} positions; "
      f"largest |M_c(by hand) - cam| = {np.abs(by_hand - M).max():.1e}")
assert np.abs(by_hand - M).max() < 1e-12

# %% [markdown]
# ## "S_c = sum_{x,y} M_c(x, y)" (seed 003, "Class Activation Mapping (CAM)")
# The slide leaves out GAP's 1/Z and the bias: exactly, sum_i M_c(i) = Z (y_c - b_c). The bias is
# one number for the whole input, so it belongs to no position.

# %%
logit = model(x)[rows, target]
gap = np.abs(M.sum(axis=1) - A.shape[2] * (logit - b[target])).max()
print(f"sum_i M_c(i) - Z (y_c - b_c): largest |gap| {gap:.1e} over {len(x)} samples "
      f"(median |y_c| = {np.median(np.abs(logit)):.2f})")
assert gap < 1e-10

# %% [markdown]
# ## "Grad-CAM is a generalization of CAM" (seed 003)
# With conv -> GAP -> dense, dy_c/dA_i^k = w_k^c / Z at every position i, so Grad-CAM's
# alpha_k^c = w_k^c / Z and its map before the ReLU is CAM / Z. On the shipped model:

# %%
G = gradcam(model, x, target, relu=False, upsample=False)[:, 0]
relative = np.abs(G - M / A.shape[2]).max() / np.abs(M / A.shape[2]).max()
print(f"Grad-CAM (no ReLU) vs CAM / Z on the shipped CNN: largest relative gap {relative:.1e} (float64)")
assert relative < 1e-12

# %% [markdown]
# ## Where is the class evidence?
# MNIST-1D knows where the digit's template landed (the evidence mask, shaded green). The
# rectified CAM (the default, relu=True) is upsampled linearly from 10 positions to 40.

# %%
maps = cam(model, x, target)[:, 0]
inside = (maps * evidence).sum(1) / np.maximum(maps.sum(1), 1e-12)
print(f"CAM mass inside the evidence mask: {inside.mean():.2f} on average "
      f"(the mask covers {evidence.mean():.2f} of positions)")
fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for ax, i in zip(axes.flat, range(8)):
    plot_signal(ax, x[i], maps[i], evidence[i], title=f"label {y[i]}, predicted {target[i]}")
fig.suptitle("CAM on MNIST-1D (last conv layer, upsampled), evidence shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_cam.png", dpi=100)

# %% [markdown]
# ## "Fails to visualize CNNs with complicated classifiers" (seed 000, Limitations)
# The VGG-7 has a 2x2 max-pool between its last conv block and the GAP. CAM's weights then no
# longer say how the maps reach the score, and `cam` refuses with a clear message.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == c)[0]) for c in range(len(textures8.CLASSES))]
try:
    cam(vgg, xt[picks[:1]])
except NotApplicableError as error:
    print("cam on the VGG-7:", error)

# %% [markdown]
# Forcing the formula anyway (w^c times the maps at relu3_2, ignoring the max-pool) gives a map
# that no longer adds up to the score: the GAP averages the pooled maxima, not the maps.

# %%
xv = xt[picks].astype(np.float64)
vgg64 = vgg.astype(np.float64)
Av = vgg64.forward(xv, stop="relu3_2")
cv = vgg64.predict(xv)
forced = np.einsum("nk,nkhw->nhw", vgg64.layers["fc"].weight[cv], Av)
score = vgg64(xv)[np.arange(len(xv)), cv] - vgg64.layers["fc"].bias[cv]
miss = np.abs(forced.mean(axis=(1, 2)) - score) / np.abs(score)
print(f"forced CAM on the VGG-7: mean over positions misses y_c - b_c by {np.median(miss):.0%} (median "
      f"over {len(xv)} patches); Grad-CAM needs no such head")
assert np.median(miss) > 0.05

fig, axes = plt.subplots(2, 4, figsize=(14, 7))
for ax, i, m in zip(axes.flat, picks, gradcam(vgg, xt[picks])[:, 0]):
    plot_image(ax, xt[i], m, title=textures8.CLASSES[yt[i]])
fig.suptitle("The VGG-7 takes Grad-CAM, not exact CAM (textures8 test patches)")
fig.tight_layout()
fig.savefig(OUT / "textures8_gradcam_instead.png", dpi=100)
print(f"figures written to {OUT}")
