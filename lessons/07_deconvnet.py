# %% [markdown]
# # 07 DeconvNet: back-prop with a different ReLU
#
# Accompanies seed 003_9e1ffa84955ffc85.txt, the table "Layer | Forward pass | DeconvNet
# [Zeiler & Fergus, 2013] | Back-prop w.r.t. input" (Zeiler & Fergus 2014). Runs in about 15 s
# on two cores (about 10 s with MINIXAI_FAST=1).
#
# DeconvNet sends the signal back through the transposed filters and the max-pool switches
# like back-prop, but its ReLU passes the positive part of the signal from above,
# R_n = R_{n+1} 1(R_{n+1} > 0), instead of masking by the forward input. It forgets which units
# fired, so the class being explained has little say in the map: Nie, Zhang & Patel (2018)
# showed such maps mostly reconstruct the input, and Adebayo et al. (2018) that they barely react
# to the model's top layer. Figures go to $MINIXAI_FIGURES/07_deconvnet (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import deconvnet, saliency
from minixai.metrics.sanity import rowwise_correlation
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "07_deconvnet"
OUT.mkdir(parents=True, exist_ok=True)


# %% [markdown]
# ## The map barely depends on the class explained
# Explain each test sample twice, for its predicted class and for the runner-up (the second
# largest logit), and correlate the two maps; the same for the plain gradient.

# %%
model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
x, y, evidence = (x[:200], y[:200], evidence[:200]) if FAST else (x[:500], y[:500], evidence[:500])
order = np.argsort(model.forward(x), axis=1)
first, second = order[:, -1], order[:, -2]
correlations = {}
for name, method in (("deconvnet", deconvnet), ("gradient", lambda m, v, t: saliency(m, v, t, signed=True))):
    correlations[name] = rowwise_correlation(method(model, x, first), method(model, x, second))
    print(f"{name}: correlation between the maps for the top class and the runner-up: "
          f"median {np.median(correlations[name]):.3f} over {len(x)} test samples")
assert np.median(correlations["deconvnet"]) > np.median(correlations["gradient"])

maps = deconvnet(model, x[:8], first[:8])
fig, axes = plt.subplots(2, 4, figsize=(13, 5))
for ax, i in zip(axes.flat, range(8)):
    plot_signal(ax, x[i], maps[i], evidence[i], title=f"label {y[i]}, predicted {first[i]}")
fig.suptitle("DeconvNet reconstruction of the predicted class on MNIST-1D, evidence shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_deconvnet.png", dpi=100)

# %% [markdown]
# ## textures8: the same measurement on the VGG-7
# One test patch per class (every other class with MINIXAI_FAST=1). The contrast need not repeat
# on so few patches: with all eight, the shipped VGG-7's gradient maps for the two classes were
# strongly correlated too. The sentence printed says which map depends less on the class here;
# nothing is asserted.

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
classes = range(0, len(textures8.CLASSES), 2 if FAST else 1)
picks = np.array([np.flatnonzero(yt == c)[0] for c in classes])
order = np.argsort(vgg.forward(xt[picks]), axis=1)
r_first = deconvnet(vgg, xt[picks], order[:, -1], batch_size=8)
r_second = deconvnet(vgg, xt[picks], order[:, -2], batch_size=8)
g_first = saliency(vgg, xt[picks], order[:, -1], signed=True, batch_size=8)
g_second = saliency(vgg, xt[picks], order[:, -2], signed=True, batch_size=8)
texture_corr = {"deconvnet": np.median(rowwise_correlation(r_first, r_second)),
                "gradient": np.median(rowwise_correlation(g_first, g_second))}
steadier = max(texture_corr, key=texture_corr.get)
print(f"textures8, {len(picks)} patches: top class vs runner-up, median correlation "
      f"deconvnet {texture_corr['deconvnet']:.3f}, gradient {texture_corr['gradient']:.3f}: "
      f"on this model the {steadier} map depends less on the class")
fig, axes = plt.subplots(2, len(picks), figsize=(2.5 * len(picks), 5.5), squeeze=False)
for j in range(len(picks)):
    for row, (m, c) in enumerate(((r_first[j], order[j, -1]), (r_second[j], order[j, -2]))):
        plot_image(axes[row, j], xt[picks[j]], np.abs(m).max(axis=0), title=f"for {textures8.CLASSES[c][:12]}")
fig.suptitle("DeconvNet |R| (max over channels): top class (upper row) vs runner-up (lower row)")
fig.tight_layout()
fig.savefig(OUT / "textures8_deconvnet_two_classes.png", dpi=100)
print(f"figures written to {OUT}")
