# %% [markdown]
# # 24 SHAP: Shapley values of segments
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slide "SHAP" ("computing marginal contribution of
# each input feature towards the prediction, averaged over all possible permutations") and seed
# 001_c2222baa81a6d9bd.txt, slide "Shapley" ("fairly attributes the prediction to all the
# features"). Strumbelj & Kononenko 2010; Lundberg & Lee 2017. Runs in about 40 s on two cores
# (about 10 s with MINIXAI_FAST=1).
#
#     v(S) = y_c(x on the segments in S, baseline elsewhere)
#     phi_i = sum_{S without i} |S|! (M - |S| - 1)! / M! (v(S + i) - v(S))
# Efficiency: sum_i phi_i = v(all) - v({}) = y_c(x) - y_c(baseline). "exact" enumerates the 2^M
# coalitions; "permutation" samples orders; "kernel" fits a weighted linear model (Kernel SHAP).
# Figures go to $MINIXAI_FIGURES/24_shap (default ./figures).

# %%
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import shap
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "24_shap"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn").astype(np.float64)
x, y, evidence = mnist1d("test", evidence=True)
n = 20 if FAST else 100
x, y, evidence = x[:n].astype(np.float64), y[:n], evidence[:n]

# %% [markdown]
# ## Exact Shapley values: every coalition of 8 segments
# 8 segments of 5 positions, "off" = the segment's mean. 2^8 = 256 model calls per signal.

# %%
shap(model, x[:1], method="exact")                                   # compile the kernels first
times = []
for _ in range(5):
    start = time.perf_counter()
    shap(model, x[:1], method="exact")
    times.append(time.perf_counter() - start)
print(f"exact Shapley values of 8 segments of one signal: {1000 * np.median(times):.0f} ms "
      f"(median of 5; 256 coalitions in a few batched model calls)")

R, values = shap(model, x, method="exact", return_values=True)
gap = np.abs([p.sum() for p in values["phi"]] - (values["full"] - values["base"])).max()
print(f"efficiency: largest |sum_i phi_i - (y_c(x) - y_c(baseline))| = {gap:.1e} over {n} signals")
assert gap < 1e-9

fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for ax, i in zip(axes.flat, range(8)):
    plot_signal(ax, x[i], R[i], evidence[i], title=f"label {y[i]}")
fig.suptitle("Exact Shapley values of 8 segments on MNIST-1D (red raised y_c), evidence shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_shap_exact.png", dpi=100)

# %% [markdown]
# ## Sampling: the estimates approach the exact values
# Permutation sampling averages marginal contributions over random orders; Kernel SHAP fits
# weighted least squares on sampled coalitions. Both keep efficiency exactly, at every budget.
# With 12 segments (4096 coalitions) the exact values are still cheap to compare against.

# %%
rows = x[:3 if FAST else 10]
exact = shap(model, rows, method="exact", n_segments=12, return_values=True)[1]["phi"]
for method in ("permutation", "kernel"):
    errors = []
    for budget in (50, 500, 5000):
        phi = shap(model, rows, method=method, n_segments=12, n_samples=budget, seed=0, return_values=True)[1]["phi"]
        errors.append(np.mean([np.abs(a - b).max() for a, b in zip(phi, exact)]))
    print(f"{method}: mean max |phi - exact| = " + ", ".join(f"{e:.3f}" for e in errors)
          + " with 50, 500, 5000 samples" + (" (5000 > 2^12 - 2: all coalitions, exact)" if method == "kernel" else ""))
    assert errors[0] > errors[1] > errors[2]

# %% [markdown]
# ## textures8: Kernel SHAP on SLIC superpixels
# About 16 superpixels: 65536 coalitions would be too many model calls, so Kernel SHAP samples
# 1000 (300 in fast mode).

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == c)[0]) for c in range(len(textures8.CLASSES))][:1 if FAST else 4]
Rt, vt = shap(vgg, xt[picks], n_samples=300 if FAST else 1000, seed=0, return_values=True)
gaps = [abs(p.sum() - (f - b)) for p, f, b in zip(vt["phi"], vt["full"], vt["base"])]
print(f"textures8 Kernel SHAP: efficiency gap at most {max(gaps):.1e} (float32 scores), "
      f"{len(vt['phi'][0])} superpixels in the first image")
fig, axes = plt.subplots(1, len(picks), figsize=(3.6 * len(picks), 3.6), squeeze=False)
for ax, i, r in zip(axes[0], picks, Rt):
    plot_image(ax, xt[i], r[0], title=textures8.CLASSES[yt[i]], colorbar=False)
fig.suptitle("Kernel SHAP values of superpixels on textures8")
fig.tight_layout()
fig.savefig(OUT / "textures8_shap.png", dpi=100)
print(f"figures written to {OUT}")
