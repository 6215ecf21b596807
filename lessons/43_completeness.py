# %% [markdown]
# # 43 Completeness: do the attributions add up to the change of the score?
#
# Accompanies seed 003_9e1ffa84955ffc85.txt, the DeepLIFT slides ("summation to delta") and
# "05 Integrated Gradients" (completeness), and seed 000_8bf5a89bed1f51bd.txt, slide
# "Backpropagation-based approaches: Integrated Gradients". Sundararajan et al. 2017
# (https://arxiv.org/abs/1703.01365), Shrikumar et al. 2017. Runs in about 20 s on two cores
# (under 10 s with MINIXAI_FAST=1).
#
#     gap_i = sum_j a_ij - (f_c(x_i) - f_c(x'_i))        f_c: the class logit, x': the baseline
#
# IG, DeepLIFT, LRP (without biases) and SHAP promise gap = 0; the metric takes any map, so it also
# shows how far the others are from being a decomposition of the score.
# Figures go to $MINIXAI_FIGURES/43_completeness (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import EXPLAINERS
from minixai.metrics import completeness
from minixai.models import pretrained

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "43_completeness"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn").astype(np.float64)
x, y = mnist1d("test")
x = (x[:50] if FAST else x[:300]).astype(np.float64)

# %% [markdown]
# ## IG's gap is the quadrature error: it shrinks as the steps grow
# The integral along the path is a sum over `steps` points; the gap is what the sum misses.

# %%
steps_list = [4, 16, 64] if FAST else [4, 8, 16, 32, 64, 128]
gaps = {}
for method in ("riemann_trapezoid", "gausslegendre"):
    gaps[method] = [completeness(model, x, EXPLAINERS["integrated_gradients"](model, x, steps=s, method=method))
                    ["mean_abs_gap"] for s in steps_list]
    print(f"IG ({method}) mean |gap| at steps {steps_list}: {', '.join(f'{g:.1e}' for g in gaps[method])}")
assert gaps["riemann_trapezoid"][-1] < gaps["riemann_trapezoid"][0] / 10

fig, ax = plt.subplots(figsize=(6, 4))
for method, values in gaps.items():
    ax.loglog(steps_list, values, marker="o", label=method)
ax.set_xlabel("steps")
ax.set_ylabel("mean |sum IG - (f(x) - f(0))|")
ax.set_title("MNIST-1D: IG's completeness gap")
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "ig_gap_versus_steps.png", dpi=100)

# %% [markdown]
# ## Gradient x Input is complete only without biases
# For a ReLU network y_c(x) = sum_j x_j dy_c/dx_j + (what the biases add), so the gap of
# Gradient x Input is the biases' share. Zero the biases and the score is positively homogeneous:
# the gap vanishes (Euler's theorem).

# %%
gxi = completeness(model, x, EXPLAINERS["gradient_x_input"](model, x))
no_bias = pretrained("mnist1d_cnn").astype(np.float64)
for layer in no_bias.layers.values():
    if getattr(layer, "bias", None) is not None:
        layer.bias[...] = 0
gxi0 = completeness(no_bias, x, EXPLAINERS["gradient_x_input"](no_bias, x))
print(f"Gradient x Input mean |gap|: {gxi['mean_abs_gap']:.3f} with biases, {gxi0['max_abs_gap']:.1e} at most without")
assert gxi0["max_abs_gap"] < 1e-9

# %% [markdown]
# ## The other maps are not decompositions of the score
# Saliency is |gradient|, SmoothGrad an average gradient, Grad-CAM a map on another scale: their
# sums have no reason to equal f(x) - f(0). The relative gap |gap| / |f(x) - f(0)| says by how much.

# %%
settings = {"saliency": {}, "gradient_x_input": {}, "integrated_gradients": {"steps": 64},
            "smoothgrad": {"n": 16 if FAST else 50, "seed": 0}, "gradcam": {}}
relative = {}
for name, params in settings.items():
    r = completeness(model, x, EXPLAINERS[name](model, x, **params))
    relative[name] = float(np.median(np.abs(r.per_sample["gap"]) / np.abs(r.per_sample["delta"])))
    print(f"  {name:22s} mean |gap| {r['mean_abs_gap']:8.3f}   median relative gap {relative[name]:.2e}")
assert relative["integrated_gradients"] < 1e-2 < min(relative[n] for n in ("saliency", "smoothgrad", "gradcam"))

fig, ax = plt.subplots(figsize=(7, 4))
ax.bar(list(relative), list(relative.values()))
ax.set_yscale("log")
ax.set_ylabel("median |gap| / |f(x) - f(0)|")
ax.set_title("MNIST-1D: how far each map is from summing to the score change")
plt.setp(ax.get_xticklabels(), rotation=20)
fig.tight_layout()
fig.savefig(OUT / "relative_gaps.png", dpi=100)

# %% [markdown]
# ## The baseline must match the one the attributions used
# IG from a blurred signal sums to f(x) - f(blur(x)), not to f(x) - f(0).

# %%
ig_blur = EXPLAINERS["integrated_gradients"](model, x, baseline="blur", steps=64)
right = completeness(model, x, ig_blur, baseline="blur")["mean_abs_gap"]
wrong = completeness(model, x, ig_blur)["mean_abs_gap"]
print(f"IG from a blur: mean |gap| {right:.1e} against the blur, {wrong:.2f} against zero")
assert right < wrong

# %% [markdown]
# ## textures8: the same on the VGG-7 (float32)
# The VGG-7's score bends far more along the path than the 1-D CNN's (more ReLUs switch on the
# way from black to the patch), so the same steps leave a much larger gap: the gap tells you
# when IG needs more steps.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
xt = xt[:1] if FAST else xt[::200]
few, many = (8, 32) if FAST else (8, 64)
gap_few = completeness(vgg, xt, EXPLAINERS["integrated_gradients"](vgg, xt, steps=few, method="riemann_trapezoid"))
gap_many = completeness(vgg, xt, EXPLAINERS["integrated_gradients"](vgg, xt, steps=many, method="riemann_trapezoid"))
print(f"textures8, {len(xt)} patches: IG mean |gap| {gap_few['mean_abs_gap']:.2e} with {few} steps, "
      f"{gap_many['mean_abs_gap']:.2e} with {many} "
      f"(mean |f(x) - f(0)| {np.abs(gap_many.per_sample['delta']).mean():.1f})")
assert gap_many["mean_abs_gap"] < gap_few["mean_abs_gap"]
print(f"figures written to {OUT}")
