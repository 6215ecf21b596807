# %% [markdown]
# # 06 Integrated Gradients: completeness, and a cure for saturation
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slide "Backpropagation-based approaches: Integrated
# Gradients", and seed 003_9e1ffa84955ffc85.txt, slides "05 Integrated Gradients", "Saturation
# problem illustrated" and the "Gradients of counterfactuals" excerpt (Sundararajan et al. 2017,
# https://arxiv.org/abs/1703.01365). Runs in about 40 s on two cores (a few seconds with
# MINIXAI_FAST=1).
#
#     IG_i(x) = (x_i - x'_i) * integral_0^1 dF(x' + a (x - x')) / dx_i da
#
# Completeness: the attributions sum to F(x) - F(x'). The integral is a sum over `steps` points
# of the path, all run in bounded batches.
# Figures go to $MINIXAI_FIGURES/06_integrated_gradients (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import integrated_gradients
from minixai.explain.integrated_gradients import METHODS
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "06_integrated_gradients"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
count = 5 if FAST else 100
x, y, evidence = x[:count], y[:count], evidence[:count]

# %% [markdown]
# ## "Saturation" (seed 003): the gradient at x misses what the path saw
# Scale x from black to itself, a x for 0 <= a <= 1 (the paper's counterfactual inputs). The class
# probability rises early and then flattens: near x it is saturated, its gradient is small, and
# the gradient at x alone under-states how much the input mattered.

# %%
alphas = np.linspace(0, 1, 51)
path = (alphas[:, None, None, None] * x[None]).reshape(-1, *x.shape[1:])
trace = model.trace(path)
logits = trace.output
probabilities = np.exp(logits - logits.max(1, keepdims=True))
probabilities /= probabilities.sum(1, keepdims=True)
c = np.tile(model.predict(x), len(alphas))
rows = np.arange(len(path))
# d p_c / d logits = p_c (e_c - p): the seed of a backward pass for the probability.
seed = -probabilities * probabilities[rows, c][:, None]
seed[rows, c] += probabilities[rows, c]
gradient_norm = np.linalg.norm(trace.backward(seed).input.reshape(len(alphas), len(x), -1), axis=2)
p = probabilities[rows, c].reshape(len(alphas), len(x))
rise = (p - p[:1]) / (p[-1:] - p[:1])
reached = alphas[np.argmax(rise >= 0.9, axis=0)]
ratio = gradient_norm[-1] / gradient_norm.max(axis=0)
print(f"p_c(a x) reaches 90% of its rise at a = {np.median(reached):.2f} (median over {len(x)} samples); "
      f"|grad p_c| at x is {np.median(ratio):.2f} of its largest value on the path (median)")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
for i in range(min(8, len(x))):
    axes[0].plot(alphas, p[:, i], lw=1)
    axes[1].plot(alphas, gradient_norm[:, i] / gradient_norm[:, i].max(), lw=1)
axes[0].set(xlabel="a", ylabel="p_c(a x)", title="class probability along the path")
axes[1].set(xlabel="a", ylabel="|grad p_c(a x)| / max", title="gradient size along the path")
fig.tight_layout()
fig.savefig(OUT / "saturation.png", dpi=100)

# %% [markdown]
# ## Completeness: "IG attributions sum to F(x) - F(x')"
# With a finite number of steps the sum is a quadrature and leaves a gap. A ReLU network's path
# gradient is piecewise constant, so every rule's gap falls like 1/steps (Gauss-Legendre's fast
# convergence needs a smooth integrand); the midpoint rule has the smallest worst case.

# %%
methods = ("riemann_middle", "gausslegendre") if FAST else METHODS
part = x[:20]
c = model.predict(part)
rise = np.abs(model(part)[np.arange(len(part)), c] - model(np.zeros_like(part))[np.arange(len(part)), c])
gaps = {}
for steps in (50, 500):
    for method in methods:
        _, gap = integrated_gradients(model, part, c, steps=steps, method=method, return_gap=True)
        gaps[steps, method] = np.abs(gap)
for method in methods:
    print(f"{method:18s} median |gap|: {np.median(gaps[50, method]):.1e} with 50 steps, "
          f"{np.median(gaps[500, method]):.1e} with 500")
default = "gausslegendre"
print(f"IG attributions sum to f(x) - f(x'): gap {np.median(gaps[50, default]):.0e} with 50 steps, "
      f"{np.median(gaps[500, default]):.0e} with 500 (median |gap| over {len(part)} samples, {default}; "
      f"{np.median(gaps[50, default] / rise):.0e} and {np.median(gaps[500, default] / rise):.0e} of |f(x) - f(x')|)")
assert np.median(gaps[500, default]) < np.median(gaps[50, default])

# %% [markdown]
# ## Baselines: black, blurred, noise, and expected IG
# IG explains the difference from the baseline, so the baseline is part of the question: a
# black signal asks "why this rather than nothing", a blurred one "why these details".
# Expected IG averages the attributions over several baselines (here 5 noise draws, 3 in fast mode).

# %%
draws = 3 if FAST else 5
baselines = {"zero": "zero", "blur": "blur", "noise": "noise", f"expected ({draws} noise)": ["noise"] * draws}
fig, axes = plt.subplots(1, len(baselines), figsize=(16, 2.8))
for ax, (title, baseline) in zip(axes, baselines.items()):
    attributions, gap = integrated_gradients(model, x, baseline=baseline, seed=0, return_gap=True)
    mass = (np.abs(attributions[:, 0]) * evidence).sum(1) / np.abs(attributions[:, 0]).sum(1)
    print(f"baseline {title:20s}: median |gap| {np.median(np.abs(gap)):.1e}; mass inside the evidence mask "
          f"{mass.mean():.3f} (the mask covers {evidence.mean():.3f})")
    plot_signal(ax, x[0], attributions[0], evidence[0], title=f"baseline: {title}")
fig.tight_layout()
fig.savefig(OUT / "baselines.png", dpi=100)

# %% [markdown]
# ## A texture image with the VGG-7

# %%
vgg = pretrained("vgg7_textures8")
images, labels = textures8("test")
steps = 16 if FAST else 50
attributions, gap = integrated_gradients(vgg, images[:1], steps=steps, method="riemann_middle", return_gap=True)
score = vgg(images[:1])[0].max()
print(f"textures8 image 0 ({textures8.CLASSES[labels[0]]}): IG with {steps} steps, |gap| {abs(gap[0]):.1e} "
      f"against a score of {score:.2f}: the VGG-7 crosses many ReLU kinks on the path, so it needs more steps")
fig, ax = plt.subplots(figsize=(5, 4))
plot_image(ax, images[0], np.abs(attributions[0]).sum(axis=0), f"|IG|, {steps} steps, zero baseline")
fig.tight_layout()
fig.savefig(OUT / "textures8_ig.png", dpi=100)
print(f"figures written to {OUT}")
