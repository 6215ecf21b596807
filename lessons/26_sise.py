# %% [markdown]
# # 26 SISE: RISE with the network's own feature maps as masks, fused block by block
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slides "Perturbation-based methods: SISE" (definition,
# idea, and the four-phase methodology) (Sattarzadeh et al. 2021, https://arxiv.org/abs/2010.00672).
# Runs in about 20 s on two cores (under 10 s with MINIXAI_FAST=1).
#
#     1. extraction  A^l_k at the last conv layer of every block l
#     2. selection   keep the maps with a positive average gradient beta_k = mean dy_c/dA^l_k
#     3. scoring     V^l = sum_k f_c(x * M_k) M_k,   M_k = A^l_k upsampled and scaled to [0, 1]
#     4. fusion      F = n(V^deepest); then F = n(F + n(V^l) * [F > Otsu(F)]), deep to shallow
#
# f_c is the class probability and n() scales a map to [0, 1].
# Figures go to $MINIXAI_FIGURES/26_sise (default ./figures).

# %%
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import rise, sise
from minixai.explain.sise import block_layers
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "26_sise"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
count = 20 if FAST else 100
x, y, evidence = x[:count], y[:count], evidence[:count]
target = model.predict(x)

# %% [markdown]
# ## "Applied on the last layers in all convolutional blocks (why?)"
# A block ends where pooling halves the resolution: its last layer holds the block's most
# refined features at the finest resolution that block has. Shallow blocks are sharp but not
# class-specific; deep blocks are class-specific but coarse. SISE takes one layer from each.

# %%
for net, shape in ((model, (1, 1, 40)), (pretrained("vgg7_textures8"), (1, 3, 64, 64))):
    sizes = [net.output_shape(shape, stop=name)[2:] for name in block_layers(net)]
    print("block layers:", ", ".join(f"{name} {size}" for name, size in zip(block_layers(net), sizes)))

# %% [markdown]
# ## "Feature map selection": only maps whose average gradient is positive
# A map with a negative average gradient lowers the class score when it grows; as a mask it
# would mostly add noise. The selection also saves forward passes.

# %%
i = 0
trace = model.trace(x[i:i + 1])
seed = np.zeros((1, 10))
seed[0, target[i]] = 1
signals = trace.backward(seed, keep=["relu1", "relu2", "relu3"])
for name in ("relu1", "relu2", "relu3"):
    beta = signals.layers[name][0].mean(axis=1)
    print(f"sample {i}, {name}: {np.sum(beta > 0)} of {len(beta)} maps have a positive average gradient")

# %% [markdown]
# ## "Attribution mask scoring" per block, then "feature aggregation"
# One visualization map per block (SISE with a single layer), and the fused map. The deeper
# map, binarised by Otsu's threshold, decides where the shallower map's detail may enter.

# %%
single = {name: sise(model, x, target, layers=[name])[:, 0] for name in block_layers(model)}
fused = sise(model, x, target)[:, 0]
random = rise(model, x, target, n=1000, seed=0)[:, 0]
random = random - random.min(axis=1, keepdims=True)


def evidence_mass(S):
    return ((S * evidence).sum(1) / S.sum(1).clip(1e-12)).mean()


for name, S in {**single, "SISE (fused)": fused, "RISE (minus its floor)": random}.items():
    print(f"{name:24s} share of the map inside the evidence: {evidence_mass(S):.2f} "
          f"(the evidence covers {evidence.mean():.2f} of positions)")
assert evidence_mass(fused) > evidence.mean()
fig, axes = plt.subplots(1, 5, figsize=(22, 2.8))
for ax, (name, S) in zip(axes, {**single, "fused": fused, "RISE": random}.items()):
    plot_signal(ax, x[i], S[i], evidence[i], title=name)
fig.tight_layout()
fig.savefig(OUT / "mnist1d_blocks.png", dpi=100)

# %% [markdown]
# ## "Random masks in RISE are replaced with attribution masks": fewer, better masks
# The VGG-7 has at most 32 + 64 + 128 = 224 candidate masks, against RISE's 4000.

# %%
vgg = pretrained("vgg7_textures8")
images, labels = textures8("test")
picks = [0, 300] if FAST else [0, 150, 300, 450, 600]
start = time.perf_counter()
S2 = sise(vgg, images[picks])[:, 0]
print(f"SISE on {len(picks)} textures8 images took {time.perf_counter() - start:.1f} s "
      f"({(time.perf_counter() - start) / len(picks):.1f} s an image)")
fig, axes = plt.subplots(1, len(picks), figsize=(4.5 * len(picks), 4))
for ax, j, S in zip(np.atleast_1d(axes), picks, S2):
    plot_image(ax, images[j], S, f"SISE: {textures8.CLASSES[labels[j]]}")
fig.tight_layout()
fig.savefig(OUT / "textures8_sise.png", dpi=100)
print(f"figures written to {OUT}")
