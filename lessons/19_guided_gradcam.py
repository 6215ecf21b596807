# %% [markdown]
# # 19 Guided Grad-CAM: sharp like guided backprop, class-specific like Grad-CAM
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slide "Grad-CAM", and seed 004_2a6fa647e63a0a0a.txt,
# sections "GradCAM" and "Guided Backpropagation" (Selvaraju et al. 2017,
# https://arxiv.org/abs/1610.02391, "Guided Grad-CAM"). Runs in about 20 s on two cores (under
# 10 s with MINIXAI_FAST=1).
#
#     R^c = guided_backprop^c(x) * upsample( ReLU( sum_k alpha_k^c A^k ) )
#
# Grad-CAM has one value per position of the conv layer (coarse) but changes with the class;
# guided backprop has one per input value (fine) but barely changes with the class. Their
# pointwise product keeps the fine detail where the class's evidence is.
# Figures go to $MINIXAI_FIGURES/19_guided_gradcam (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import gradcam, guided_backprop, guided_gradcam
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "19_guided_gradcam"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn").astype(np.float64)
x, y, evidence = mnist1d("test", evidence=True)
count = 200 if FAST else 1000
x, y, evidence = x[:count].astype(np.float64), y[:count], evidence[:count]
logits = model.forward(x)
first, second = logits.argmax(1), np.argsort(logits, axis=1)[:, -2]

# %% [markdown]
# ## The product, and nothing else

# %%
guided, coarse, both = guided_backprop(model, x, first), gradcam(model, x, first), guided_gradcam(model, x, first)
assert np.array_equal(both, guided * coarse)
print(f"guided_gradcam == guided_backprop * upsampled gradcam exactly, on {len(x)} signals; shapes "
      f"{guided.shape} * {coarse.shape} -> {both.shape}")

# %% [markdown]
# ## Class-discriminative? Explain the top class and the runner-up, and compare
# The paper's argument: guided backprop's maps for two classes look alike, Grad-CAM's do not.
# Median correlation (over signals) between the map for the predicted class and for the runner-up.

# %%
def correlation(u, v):
    u, v = u.reshape(len(u), -1), v.reshape(len(v), -1)
    return np.median([np.corrcoef(s, t)[0, 1] for s, t in zip(u, v) if s.std() > 0 and t.std() > 0])


alike = {}
for method in (guided_backprop, gradcam, guided_gradcam):
    alike[method.__name__] = correlation(method(model, x, first), method(model, x, second))
    print(f"{method.__name__:16s}: correlation between the top class's map and the runner-up's "
          f"{alike[method.__name__]:+.2f}")
assert alike["guided_backprop"] > alike["guided_gradcam"]
print(f"guided backprop barely tells the classes apart ({alike['guided_backprop']:+.2f}); multiplying by "
      f"Grad-CAM brings that down to {alike['guided_gradcam']:+.2f}")

# %% [markdown]
# ## Fine-grained? How much a map changes from one position to the next
# Roughness = mean |m_{i+1} - m_i| / mean |m_i|: Grad-CAM's map is an interpolation of 10 values,
# so it is smooth; the product inherits guided backprop's detail.

# %%
rough = {name: np.median(np.abs(np.diff(m[:, 0], axis=1)).mean(1) / np.maximum(np.abs(m[:, 0]).mean(1), 1e-12))
         for name, m in (("guided_backprop", guided), ("gradcam", coarse), ("guided_gradcam", both))}
print(", ".join(f"{name} {value:.2f}" for name, value in rough.items()) + " (median roughness)")
assert rough["guided_gradcam"] > rough["gradcam"]
inside = {name: np.median((np.abs(m[:, 0]) * evidence).sum(1) / np.maximum(np.abs(m[:, 0]).sum(1), 1e-12))
          for name, m in (("guided_backprop", guided), ("gradcam", coarse), ("guided_gradcam", both))}
print("share of |map| inside the evidence mask (median): " + ", ".join(f"{k} {v:.2f}" for k, v in inside.items())
      + f"; the mask covers {evidence.mean():.2f}")
assert inside["guided_gradcam"] > max(inside["guided_backprop"], inside["gradcam"])
print("the product is the most concentrated on the digit: each factor removes some of the other's stray mass")

fig, axes = plt.subplots(3, 4, figsize=(14, 7))
for col in range(4):
    for row, (name, m) in enumerate((("guided backprop", guided), ("Grad-CAM", coarse), ("Guided Grad-CAM", both))):
        plot_signal(axes[row, col], x[col], m[col], evidence[col], title=f"{name}, class {first[col]}")
fig.suptitle("MNIST-1D: guided backprop x Grad-CAM = Guided Grad-CAM (evidence shaded)")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_guided_gradcam.png", dpi=100)

# %% [markdown]
# ## textures8: the classic figure, one row per patch
# Columns: the patch, guided backprop, Grad-CAM, Guided Grad-CAM, all for the predicted class. The
# two guided maps are shown as |R| summed over the colour channels, clipped at the 99th percentile.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == c)[0]) for c in range(3 if FAST else 6)]
xv = xt[picks]
top = vgg.predict(xv)
columns = [("guided backprop", guided_backprop(vgg, xv, top)), ("Grad-CAM", gradcam(vgg, xv, top)),
           ("Guided Grad-CAM", guided_gradcam(vgg, xv, top))]
fig, axes = plt.subplots(len(picks), 4, figsize=(12, 3 * len(picks)))
for row in range(len(picks)):
    plot_image(axes[row, 0], xv[row], np.zeros(xv.shape[2:]), title=textures8.CLASSES[yt[picks[row]]],
               colorbar=False, alpha=0)
    for col, (name, m) in enumerate(columns, start=1):
        if name == "Grad-CAM":
            plot_image(axes[row, col], xv[row], m[row], title=name, colorbar=False)
        else:  # |R| summed over colours, clipped at its 99th percentile, shown opaque
            heat = np.abs(m[row]).sum(axis=0)
            plot_image(axes[row, col], xv[row], np.minimum(heat, np.percentile(heat, 99)), title=name,
                       colorbar=False, alpha=1.0)
fig.suptitle("textures8, VGG-7: guided backprop, Grad-CAM (conv3_2) and their product")
fig.tight_layout(rect=(0, 0, 1, 0.97))
fig.savefig(OUT / "textures8_guided_gradcam.png", dpi=80)
print(f"figures written to {OUT}")
