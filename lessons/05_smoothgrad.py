# %% [markdown]
# # 05 SmoothGrad: removing noise by adding noise
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slide "Backpropagation-based approaches: SmoothGrad"
# (Smilkov et al. 2017, https://arxiv.org/abs/1706.03825). Runs in about 30 s on two cores (a few
# seconds with MINIXAI_FAST=1).
#
# A ReLU network's gradient changes abruptly from one input to the next, so a vanilla gradient
# map is speckled. SmoothGrad averages the gradient over n noisy copies of the input:
#
#     M(x) = 1/n sum_k d y_c(x + eps_k) / dx,   eps_k ~ N(0, sigma^2),   sigma = 0.15 (max x - min x)
#
# SmoothGrad-squared averages the squared gradients, VarGrad takes their variance.
# Figures go to $MINIXAI_FIGURES/05_smoothgrad (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import saliency, smoothgrad
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "05_smoothgrad"
OUT.mkdir(parents=True, exist_ok=True)


def total_variation(maps: np.ndarray) -> np.ndarray:
    """Sum of |differences| between neighbours of each signed map (N, ...) scaled to unit L1 mass: speckle."""
    maps = maps / np.abs(maps).reshape(len(maps), -1).sum(axis=1).reshape(-1, *[1] * (maps.ndim - 1))
    return sum(np.abs(np.diff(maps, axis=axis)).reshape(len(maps), -1).sum(axis=1) for axis in range(2, maps.ndim))


# %% [markdown]
# ## "SmoothGrad: removing noise by adding noise": smoother maps on MNIST-1D
# Total variation measures speckle: a map that jumps from position to position, or flips sign,
# has a large one. Both maps are scaled to unit mass first, so only their shape is compared.
# The 1-D CNN's gradient is already fairly smooth (it is a sum of shifted first-layer kernels), so
# the effect is smaller than on the paper's ImageNet images; the mass also spreads beyond the
# evidence, since the noisy copies probe positions around it.

# %%
model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
count, n = (40, 20) if FAST else (100, 50)
x, y, evidence = x[:count], y[:count], evidence[:count]
vanilla = saliency(model, x, signed=True)
smooth = smoothgrad(model, x, n=n, seed=0)
tv_vanilla, tv_smooth = total_variation(vanilla), total_variation(smooth)
print(f"total variation of the unit-mass map on {len(x)} MNIST-1D test samples: vanilla gradient "
      f"{np.median(tv_vanilla):.3f}, SmoothGrad (n={n}) {np.median(tv_smooth):.3f} (medians; "
      f"{np.median(tv_vanilla / tv_smooth):.1f}x smoother); "
      f"smoother in {np.mean(tv_smooth < tv_vanilla):.0%} of the samples")
assert np.median(tv_smooth) < np.median(tv_vanilla)
inside = [float(((np.abs(m[:, 0]) * evidence).sum(1) / np.abs(m[:, 0]).sum(1)).mean()) for m in (vanilla, smooth)]
print(f"|map| mass inside the evidence mask: vanilla {inside[0]:.3f}, SmoothGrad {inside[1]:.3f} "
      f"(the mask covers {evidence.mean():.3f} of the positions)")

fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for col, i in enumerate(range(4)):
    plot_signal(axes[0, col], x[i], vanilla[i], evidence[i], title=f"gradient, label {y[i]}")
    plot_signal(axes[1, col], x[i], smooth[i], evidence[i], title=f"SmoothGrad n={n}")
fig.suptitle("Vanilla gradient (top) and SmoothGrad (bottom), evidence mask shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_smoothgrad.png", dpi=100)

# %% [markdown]
# ## How much noise, how many copies
# The paper finds 10-20 % noise best: with none the map is the vanilla gradient, with too much the
# copies stop looking like x. More copies lower the estimator's own noise like 1/sqrt(n).

# %%
levels = (0.0, 0.05, 0.15, 0.3, 0.6)
tv_by_level = [np.median(total_variation(smoothgrad(model, x[:20], n=n, noise_level=s, seed=0))) for s in levels]
print("median total variation by noise level: " + ", ".join(f"{s:.2f}: {t:.3f}" for s, t in zip(levels, tv_by_level)))
reference = smoothgrad(model, x[:20], n=4 * n, seed=123)
for copies in (n // 5, n):
    estimate = smoothgrad(model, x[:20], n=copies, seed=1)
    error = np.linalg.norm(estimate - reference) / np.linalg.norm(reference)
    print(f"n = {copies:3d} copies: relative distance to a {4 * n}-copy estimate {error:.3f}")

fig, axes = plt.subplots(1, len(levels), figsize=(15, 2.8))
for ax, s in zip(axes, levels):
    plot_signal(ax, x[0], smoothgrad(model, x[:1], n=n, noise_level=s, seed=0)[0], evidence[0],
                title=f"noise level {s}")
fig.tight_layout()
fig.savefig(OUT / "noise_levels.png", dpi=100)

# %% [markdown]
# ## SmoothGrad-squared and VarGrad
# Squaring before averaging keeps only magnitudes (no cancellation between copies); VarGrad
# measures how much the gradient changes in the neighbourhood of x.

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 2.8))
for ax, kind in zip(axes, ("smoothgrad", "smoothgrad_sq", "vargrad")):
    plot_signal(ax, x[1], smoothgrad(model, x[1:2], n=n, kind=kind, seed=0)[0], evidence[1], title=kind)
fig.tight_layout()
fig.savefig(OUT / "kinds.png", dpi=100)

# %% [markdown]
# ## The same on a texture image with the VGG-7
# The paper's figures are images: the colour channels' maps are summed, then shown as a heat map.

# %%
vgg = pretrained("vgg7_textures8")
images, labels = textures8("test")
image = images[:1]
copies = 8 if FAST else 25
maps = {"vanilla gradient": saliency(vgg, image, signed=True),
        f"SmoothGrad n={copies}": smoothgrad(vgg, image, n=copies, seed=0)}
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, (title, m) in zip(axes, maps.items()):
    plot_image(ax, image[0], np.abs(m[0]).sum(axis=0), title)
    print(f"textures8 image 0 ({textures8.CLASSES[labels[0]]}): total variation of the {title} map "
          f"{total_variation(m.sum(axis=1, keepdims=True))[0]:.3f}")
fig.tight_layout()
fig.savefig(OUT / "textures8_smoothgrad.png", dpi=100)
print(f"figures written to {OUT}")
