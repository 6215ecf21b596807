# %% [markdown]
# # 45 Infidelity and max-sensitivity: faithful to small changes, and stable under them
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slides "Evaluation Metrics" ("faithfulness:
# correlation of the generated explanation maps with the behavior of the model"), with the two
# measures of Yeh, Hsieh, Suggala, Inouye & Ravikumar 2019, "On the (in)fidelity and sensitivity
# of explanations" (https://arxiv.org/abs/1901.09392). Runs in about 20 s on two cores (under
# 10 s with MINIXAI_FAST=1).
#
#     INFD(a, x)     = E_eps[(eps^T a - (f_c(x) - f_c(x - I)))^2],  eps ~ N(0, s^2), I = eps or x ⊙ eps
#     SENS_max(a, x) = max_{|d|_inf <= r} ||Phi(x + d) - Phi(x)|| / ||Phi(x)||
#
# Infidelity asks whether the map predicts how the logit moves under random perturbations (low is
# faithful); max-sensitivity whether the map itself jumps when the input barely moves (low is
# stable). Both are estimated from n seeded draws.
# Figures go to $MINIXAI_FIGURES/45_infidelity_max_sensitivity (default ./figures).

# %%
import functools
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import EXPLAINERS
from minixai.metrics import infidelity, max_sensitivity
from minixai.models import pretrained
from minixai.nn import Dense, Flatten, Sequential

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "45_infidelity_max_sensitivity"
OUT.mkdir(parents=True, exist_ok=True)

# Each explainer as a callable(model, x, target) with its settings fixed (SmoothGrad's seed too,
# or its own noise would count as sensitivity). "gradient" is saliency without the absolute value.
EXPLAIN = {"gradient": functools.partial(EXPLAINERS["saliency"], signed=True),
           "saliency": EXPLAINERS["saliency"],
           "gradient_x_input": EXPLAINERS["gradient_x_input"],
           "integrated_gradients": functools.partial(EXPLAINERS["integrated_gradients"], steps=16),
           "smoothgrad": functools.partial(EXPLAINERS["smoothgrad"], n=16 if FAST else 32, seed=0),
           "gradcam": EXPLAINERS["gradcam"]}

# %% [markdown]
# ## Which map is perfectly faithful depends on the perturbation
# On a linear score f = w . x + b, a perturbation eps changes f by w . eps: the gradient w predicts
# it exactly. Perturb each value by a fraction of itself (I = x ⊙ eps) and the change is
# (w ⊙ x) . eps: now Gradient x Input is exact. Pick the version that matches what a map claims.

# %%
rng = np.random.default_rng(0)
fc = Dense(8, 2)
fc.weight, fc.bias = np.stack([rng.normal(size=8), np.zeros(8)]), np.array([0.5, 0.0])
linear = Sequential([("flatten", Flatten()), ("fc", fc)])
x_lin = rng.normal(size=(4, 1, 8))
w = fc.weight[0].reshape(1, 1, 8)
table = {(name, relative): infidelity(linear, x_lin, a, 0, relative=relative, seed=0)["infidelity"]
         for name, a in (("w", np.broadcast_to(w, x_lin.shape)), ("w * x", w * x_lin)) for relative in (False, True)}
for (name, relative), value in table.items():
    print(f"linear model, map {name:5s}, {'relative' if relative else 'absolute'} noise: infidelity {value:.2e}")
assert table[("w", False)] < 1e-20 and table[("w * x", True)] < 1e-20 and table[("w", True)] > 1e-3

# %% [markdown]
# ## MNIST-1D: infidelity of each map, with Yeh's normalisation
# Maps come in different units (a gradient, a contribution, a CAM in [0, max]); normalize=True
# rescales each by the beta that fits best, so only the shape of the map counts. For small
# absolute noise the first-order change is the gradient's dot product with eps, so the signed
# gradient should win there, and a map that drops the sign cannot predict anything.

# %%
model = pretrained("mnist1d_cnn")
x, y = mnist1d("test")
x = x[:50] if FAST else x[:200]
maps = {name: explain(model, x, None) for name, explain in EXPLAIN.items()}
maps["random"] = np.random.default_rng(0).normal(size=x.shape).astype(x.dtype)
n = 20 if FAST else 100
scores = {name: (infidelity(model, x, a, noise_scale=0.1, n=n, normalize=True, seed=0)["infidelity"],
                 infidelity(model, x, a, noise_scale=0.1, n=n, normalize=True, relative=True, seed=0)["infidelity"])
          for name, a in maps.items()}
print(f"MNIST-1D, {len(x)} signals, {n} draws, noise 0.1, normalised infidelity (absolute noise / relative noise):")
for name, (absolute, relative) in scores.items():
    print(f"  {name:22s} {absolute:7.3f}   {relative:7.3f}")
assert all(scores["gradient"][0] < value[0] for name, value in scores.items() if name != "gradient")
assert max(scores["gradient_x_input"][1], scores["integrated_gradients"][1]) < scores["random"][1] / 2
print(f"absolute noise: the signed gradient predicts the changes best ({scores['gradient'][0]:.2f}); saliency, "
      f"the same gradient without its sign, is near the random map ({scores['saliency'][0]:.2f} against "
      f"{scores['random'][0]:.2f}); relative noise: Gradient x Input ({scores['gradient_x_input'][1]:.2f}) and "
      f"IG ({scores['integrated_gradients'][1]:.2f}) lead")

fig, ax = plt.subplots(figsize=(8, 4))
positions = np.arange(len(scores))
ax.bar(positions - 0.2, [v[0] for v in scores.values()], 0.4, label="absolute noise")
ax.bar(positions + 0.2, [v[1] for v in scores.values()], 0.4, label="relative noise")
ax.set_xticks(positions, list(scores), rotation=20)
ax.set_ylabel("normalised infidelity (lower is better)")
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "mnist1d_infidelity.png", dpi=100)

# %% [markdown]
# ## Max-sensitivity: how far the map moves when x moves by at most 0.05 per value
# A ReLU network's gradient is piecewise constant and jumps where a unit switches; averaging
# over noise (SmoothGrad) or over a coarse layer (Grad-CAM) steadies it.

# %%
subset = x[:20] if FAST else x[:100]
sensitivity = {name: max_sensitivity(model, subset, maps[name][:len(subset)], explainer=explain, radius=0.05,
                                     n=5 if FAST else 10, seed=0)["max_sensitivity"]
               for name, explain in EXPLAIN.items()}
for name, value in sensitivity.items():
    print(f"  {name:22s} max-sensitivity {value:.3f}")
assert sensitivity["smoothgrad"] < sensitivity["gradient"]
print(f"SmoothGrad is {sensitivity['gradient'] / sensitivity['smoothgrad']:.1f} times less sensitive than the gradient")

# %% [markdown]
# ## textures8: the same questions on the VGG-7
# Pixel values lie in [0, 1]; the perturbations are 0.05 (infidelity) and 0.02 (sensitivity).

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
xt = xt[::400] if FAST else xt[::100]
names = ("gradient", "gradient_x_input", "gradcam")
maps_t = {name: EXPLAIN[name](vgg, xt, None) for name in names}
maps_t["random"] = np.random.default_rng(0).normal(size=xt.shape).astype(xt.dtype)
for name, a in maps_t.items():
    absolute = infidelity(vgg, xt, a, noise_scale=0.05, n=4 if FAST else 16, normalize=True, seed=0)["infidelity"]
    relative = infidelity(vgg, xt, a, noise_scale=0.05, n=4 if FAST else 16, normalize=True, relative=True,
                          seed=0)["infidelity"]
    line = f"  {name:22s} infidelity {absolute:8.3f} (absolute)  {relative:8.3f} (relative)"
    if name in EXPLAIN:
        sens = max_sensitivity(vgg, xt, a, explainer=EXPLAIN[name], radius=0.02, n=2 if FAST else 4, seed=0)
        line += (f"   max-sensitivity mean {sens['max_sensitivity']:.3f}, "
                 f"median {np.median(sens.per_sample['max_sensitivity']):.3f}")
    print(line)

# %% [markdown]
# ## Normalising by ||Phi(x)|| has a blind spot
# The first patch's gradient at x is almost zero (norm 0.03, a strip at the left edge): nearly
# every unit on its path is switched off. One of the draws switches a unit on, and the gradient
# appears at one spot with a hundred times the norm. Divided by the tiny ||Phi(x)||, that patch
# dominates the mean over patches; the median is the safer summary. The figure shows that draw.

# %%
norms = np.sqrt((maps_t["gradient"].reshape(len(xt), -1) ** 2).sum(axis=1))
print(f"gradient norms at x over the patches: smallest {norms.min():.3f}, median {np.median(norms):.3f}")

fig, axes = plt.subplots(1, 3, figsize=(11, 4))
# The metric's draws, in its order (seed 0): show the one that moves the first patch's map most.
rng = np.random.default_rng(0)
draws = [rng.uniform(-0.02, 0.02, size=xt.shape[1:]).astype(xt.dtype) for _ in range(2 if FAST else 4)]
moves = [EXPLAIN["gradient"](vgg, xt[:1] + d, vgg.predict(xt[:1])) for d in draws]
moved = max(moves, key=lambda m: np.abs(m - maps_t["gradient"][:1]).sum())
for ax, (title, image) in zip(axes, (("gradient at x", maps_t["gradient"][0]), ("at x + d, |d| <= 0.02", moved[0]),
                                     ("difference", moved[0] - maps_t["gradient"][0]))):
    shown = image.sum(axis=0)
    ax.imshow(shown, cmap="RdBu_r", vmin=-np.abs(shown).max(), vmax=np.abs(shown).max())
    ax.set_title(f"{title}\nnorm {np.sqrt((image ** 2).sum()):.3f}")
    ax.axis("off")
fig.suptitle("textures8, first patch: the gradient map before and after a tiny perturbation (own colour scales)")
fig.tight_layout(rect=(0, 0, 1, 0.92))
fig.savefig(OUT / "textures8_gradient_moves.png", dpi=100)
print(f"figures written to {OUT}")
