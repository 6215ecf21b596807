# %% [markdown]
# # 44 Localisation: does the map point where the evidence is?
#
# Accompanies seed 003_9e1ffa84955ffc85.txt, the image-specific saliency and saliency-based
# localisation slides (Simonyan et al. 2013: a class saliency map locates the object), and seed
# 000_8bf5a89bed1f51bd.txt, slides "Evaluation Metrics" ("understandability": the user's end).
# Metrics from Zhang et al. 2018 (pointing game, https://arxiv.org/abs/1608.00507) and Arras,
# Osman & Samek 2022 (CLEVR-XAI, https://arxiv.org/abs/2003.07258). Runs in about 15 s on two
# cores (about 5 s with MINIXAI_FAST=1).
#
#     pointing game  = 1[the map's maximum lies in the evidence E]
#     relevance mass = positive map mass inside E / positive map mass everywhere
#     relevance rank = share of the |E| top-ranked positions that lie inside E
#
# The map is summed over channels first. Chance level: a map that knows nothing scores about the
# evidence's share of the positions on all three. Unlike Drop% or deletion, these need ground
# truth; MNIST-1D has it (where the digit's template landed), and for textures8 we make it.
# Figures go to $MINIXAI_FIGURES/44_localization (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import EXPLAINERS
from minixai.metrics import localization
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "44_localization"
OUT.mkdir(parents=True, exist_ok=True)

SETTINGS = {"saliency": {}, "gradient_x_input": {}, "integrated_gradients": {"steps": 16 if FAST else 50},
            "smoothgrad": {"n": 16 if FAST else 50, "seed": 0}, "gradcam": {}}

# %% [markdown]
# ## By hand
# Map [3, -1, 1, 0], evidence on the first two positions: the maximum (3) is inside, a hit; the
# positive mass is 3 + 1 = 4, of which 3 inside: 0.75; the top-2 positions are 0 and 2, one inside: 0.5.

# %%
hand = localization(None, np.zeros((1, 1, 4)), np.array([[[3.0, -1, 1, 0]]]), evidence=np.array([[1, 1, 0, 0]]))
print(f"pointing {hand['pointing_game']}, mass {hand['relevance_mass']}, rank {hand['relevance_rank']}")
assert (hand["pointing_game"], hand["relevance_mass"], hand["relevance_rank"]) == (1, 0.75, 0.5)

# %% [markdown]
# ## MNIST-1D: the template's footprint is the evidence
# About a fifth of the 40 positions carry the template; the rest is padding and noise.

# %%
model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
count = 100 if FAST else 500
x, y, evidence = x[:count], y[:count], evidence[:count]
maps = {name: EXPLAINERS[name](model, x, **params) for name, params in SETTINGS.items()}
maps["random"] = np.random.default_rng(0).random(x.shape).astype(x.dtype)
results = {name: localization(model, x, a, evidence=evidence) for name, a in maps.items()}
chance = results["random"]["evidence_fraction"]
print(f"MNIST-1D, {len(x)} test signals; chance level (evidence share) {chance:.3f}:")
for name, r in results.items():
    print(f"  {name:22s} pointing {r['pointing_game']:.2f}   mass {r['relevance_mass']:.2f}   "
          f"rank {r['relevance_rank']:.2f}")
assert all(results[name]["pointing_game"] > 2 * chance
           for name in ("gradient_x_input", "integrated_gradients", "gradcam"))
assert abs(results["random"]["relevance_mass"] - chance) < 0.05

fig, axes = plt.subplots(2, 3, figsize=(13, 5))
for ax, name in zip(axes.flat, maps):
    mass = results[name].per_sample["relevance_mass"][3]
    plot_signal(ax, x[3], maps[name][3], evidence[3], title=f"{name}: mass {mass:.2f}")
fig.suptitle("Each map over the same signal; the evidence (template footprint) shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_maps_and_evidence.png", dpi=100)

# %% [markdown]
# ## The three scores ask different things
# The pointing game looks at one position, mass at the sign and size of the whole map, rank at
# the order only. A signed map that puts its negative evidence inside the template loses mass but
# not rank; a smooth, wide map (Grad-CAM) may point well and still spread mass outside.

# %%
best = {key: max(SETTINGS, key=lambda name: results[name][key])
        for key in ("pointing_game", "relevance_mass", "relevance_rank")}
print(f"best method per score: {best}")

# %% [markdown]
# ## textures8: make the evidence
# textures8 has no masks, so build them: paste a 24 x 24 square of texture B into a patch of
# texture A and explain class B. The square is the evidence for B. A caveat the figure shows:
# maps often light up the square's seams, which are evidence of the pasting rather than of B, so
# scores here are a lower bound on how well a method finds B's texture.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
rng = np.random.default_rng(1)
pairs = 4 if FAST else 16
first = [int(np.flatnonzero(yt == c)[0]) for c in range(len(textures8.CLASSES))]
background = rng.choice(len(xt), pairs, replace=False)
inserted = np.array([first[(yt[b] + 1 + rng.integers(7)) % 8] for b in background])
composite, square = xt[background].copy(), np.zeros((pairs, 64, 64), dtype=bool)
for i, b in enumerate(inserted):
    top, left = rng.integers(0, 40, size=2)
    composite[i, :, top:top + 24, left:left + 24] = xt[b, :, top:top + 24, left:left + 24]
    square[i, top:top + 24, left:left + 24] = True
target = yt[inserted]
names = ("saliency", "gradcam") if FAST else ("saliency", "gradient_x_input", "smoothgrad", "gradcam")
params = {"smoothgrad": {"n": 16, "seed": 0}}
maps_t = {name: EXPLAINERS[name](vgg, composite, target, **params.get(name, {})) for name in names}
maps_t["random"] = np.random.default_rng(0).random(composite.shape).astype(composite.dtype)
results_t = {name: localization(vgg, composite, a, target, evidence=square) for name, a in maps_t.items()}
print(f"textures8, {pairs} composites (square = {square[0].mean():.0%} of the pixels), explaining the square's class:")
for name, r in results_t.items():
    print(f"  {name:22s} pointing {r['pointing_game']:.2f}   mass {r['relevance_mass']:.2f}   "
          f"rank {r['relevance_rank']:.2f}")

best_t = max(names, key=lambda name: results_t[name]["pointing_game"])
print(f"best pointing game on composites: {best_t} ({results_t[best_t]['pointing_game']:.2f}; a random map "
      f"{results_t['random']['pointing_game']:.2f}, the square's share {results_t['random']['evidence_fraction']:.2f})")

fig, axes = plt.subplots(1, len(maps_t), figsize=(4 * len(maps_t), 4.6))
for ax, name in zip(axes, maps_t):
    plot_image(ax, composite[0], maps_t[name][0], title=f"{name}\nfor {textures8.CLASSES[target[0]]}", colorbar=False)
    ax.contour(square[0], levels=[0.5], colors="lime", linewidths=1)
fig.tight_layout()
fig.savefig(OUT / "textures8_composite.png", dpi=100)
print(f"figures written to {OUT}")
