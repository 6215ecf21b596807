# %% [markdown]
# # 10 Layer-wise relevance propagation: the score shared out, layer by layer
#
# Accompanies seed 003_9e1ffa84955ffc85.txt, slide "How can we find the important parts of the
# input for a given prediction?" (second idea: backpropagate importance, with Layerwise Relevance
# Propagation, Bach et al., among the examples), and seed 001_c2222baa81a6d9bd.txt, slide
# "Saliency map" (LRP under "Discrete Gradient"). Takes about 40 s of CPU time on two cores,
# half of it the VGG-7's first calls (MINIXAI_FAST=1: 200 signals and one patch, about 20 s).
#
# LRP starts from the score, R = y_c at the output, and lets each layer hand its relevance to its
# inputs in proportion to what they contributed, z_ij = x_i w_ij:
#     epsilon:  R_i = x_i sum_j w_ij R_j / (z_j + eps sign(z_j))     (z_j includes the bias)
#     z+:       R_i = sum_j (x_i w_ij)^+ / sum_i' (x_i' w_i'j)^+ R_j  (bias ignored)
# ReLU passes relevance on unchanged, max-pool gives it to the window's winner. What reaches the
# input adds up to y_c (conservation) up to what the biases and epsilon absorb.
# Figures go to $MINIXAI_FIGURES/10_lrp (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import gradient_x_input, lrp
from minixai.models import pretrained
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "10_lrp"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn").astype(np.float64)
x, y, evidence = mnist1d("test", evidence=True)
if FAST:
    x, y, evidence = x[:200], y[:200], evidence[:200]
x = x.astype(np.float64)
target = model.predict(x)
score = model.forward(x)[np.arange(len(x)), target]

# %% [markdown]
# ## Conservation: sum_i R_i = y_c
# The epsilon rule lets each denominator keep eps of the relevance and each bias keep its share
# b_j / z_j. With the biases zeroed, the gap sum_i R_i - y_c shrinks with epsilon to rounding.

# %%
no_bias = pretrained("mnist1d_cnn").astype(np.float64)
for layer in no_bias.layers.values():
    if getattr(layer, "bias", None) is not None:
        layer.bias[...] = 0
gaps = {}
for eps in (1e-1, 1e-3, 1e-6, 1e-9):
    _, gap = lrp(no_bias, x[:200], target[:200], epsilon=eps, return_gap=True)
    gaps[eps] = np.abs(gap).max()
print("biases zeroed, LRP-epsilon, 200 samples: largest |sum_i R_i - y_c| = "
      + ", ".join(f"{g:.1e} (eps {eps:g})" for eps, g in gaps.items()))
score0 = np.abs(no_bias.forward(x[:200])).max()
assert gaps[1e-9] < 1e-6 * score0 and gaps[1e-9] < gaps[1e-3] < gaps[1e-1]

R_eps, gap_eps = lrp(model, x, target, return_gap=True)
R_zplus, gap_zplus = lrp(model, x, target, rule="zplus", return_gap=True)
print(f"shipped model (with biases): median |gap| {np.median(np.abs(gap_eps)):.3f} for epsilon 1e-6 "
      f"(the biases' share; median |y_c| {np.median(np.abs(score)):.3f}), "
      f"{np.median(np.abs(gap_zplus)):.1e} for z+ (which shares all of R_j among the inputs)")

# %% [markdown]
# ## LRP-0 is gradient x input on a ReLU network
# Relevance at a ReLU's output is a_j dy_c/da_j all the way down, so with eps -> 0 LRP-epsilon
# reproduces gradient x input (lesson 04) exactly, biases and max-pools included. A larger
# epsilon is what makes it a different method: it damps weak, contradictory contributions.

# %%
R0 = lrp(model, x, target, epsilon=0.0)
difference = np.abs(R0 - gradient_x_input(model, x, target)).max()
print(f"LRP with eps = 0 vs gradient x input: largest difference {difference:.1e} (max |R| {np.abs(R0).max():.2f})")
assert difference < 1e-9 * np.abs(R0).max()

# %% [markdown]
# ## epsilon vs z+ side by side on MNIST-1D
# z+ keeps only positive contributions, so for a positive score every input's relevance is
# >= 0: a map of evidence *for* the class, with no cancellation between red and blue.

# %%
R_large = lrp(model, x, target, epsilon=0.25)
fig, axes = plt.subplots(4, 3, figsize=(13, 9))
for row, i in enumerate(range(4)):
    for ax, R, name in zip(axes[row], (R_eps, R_large, R_zplus), ("epsilon 1e-6", "epsilon 0.25", "z+")):
        plot_signal(ax, x[i], R[i], evidence[i], title=f"{name}: label {y[i]}, predicted {target[i]}")
fig.suptitle("LRP on MNIST-1D: epsilon (signed, red for the class) vs z+ (>= 0); evidence shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_epsilon_vs_zplus.png", dpi=100)
positive = score > 0
print(f"z+ relevance >= 0 on all {positive.sum()} samples with y_c > 0: min R = {R_zplus[positive].min():.1e}")
assert R_zplus[positive].min() >= 0

# %% [markdown]
# ## Does the relevance land on the digit?
# The evidence mask marks where the template landed. If relevance were spread at random, the
# share of |R| inside the mask would equal the mask's share of positions.

# %%
share = evidence.mean()
for name, R in (("epsilon 1e-6", R_eps), ("epsilon 0.25", R_large), ("z+", R_zplus)):
    mass = np.abs(R[:, 0])
    inside = ((mass * evidence).sum(axis=1) / np.maximum(mass.sum(axis=1), 1e-12)).mean()
    print(f"{name}: {inside:.3f} of the relevance mass inside the evidence mask, "
          f"which covers {share:.3f} of the positions ({inside / share:.2f} times its share)")
    assert inside > 2 * share

# %% [markdown]
# ## textures8 (VGG-7): epsilon vs z+, and z^B at the input
# The pixels lie in [0, 1]; z^B (Montavon et al. 2017) uses those bounds at the first layer,
# R_i = sum_j (x_i w_ij - l_i w_ij^+ - h_i w_ij^-) / sum_i' (...) R_j, so dark pixels can carry
# relevance too (with z+ an input x_i = 0 receives none).

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
# Patches the model gets right with a positive score: then z+ maps evidence *for* the class.
logits = vgg.forward(xt[:200])
good = (logits.argmax(axis=1) == yt[:200]) & (logits.max(axis=1) > 0)
picks = [int(np.flatnonzero(good & (yt[:200] == c))[0]) for c in range(len(textures8.CLASSES))
         if np.any(good & (yt[:200] == c))][:1 if FAST else 2]
maps = {"epsilon": lrp(vgg, xt[picks], return_gap=True),
        "z+": lrp(vgg, xt[picks], rule="zplus", return_gap=True),
        "z+ with z^B input": lrp(vgg, xt[picks], rule="zplus", low=0.0, high=1.0, return_gap=True)}
scores = vgg.forward(xt[picks]).max(axis=1)
fig, axes = plt.subplots(len(picks), 3, figsize=(13, 4 * len(picks)), squeeze=False)
for col, (name, (R, gap)) in enumerate(maps.items()):
    print(f"textures8 {name}: |sum R - y_c| / |y_c| up to {np.max(np.abs(gap) / np.abs(scores)):.1e} "
          f"({'the biases take their share' if name == 'epsilon' else 'all of R_j is passed on'})")
    for row, i in enumerate(picks):
        plot_image(axes[row, col], xt[i], R[row].sum(axis=0), title=f"{name}: {textures8.CLASSES[yt[i]]}")
fig.suptitle("LRP on textures8 test patches, summed over colour channels")
fig.tight_layout()
fig.savefig(OUT / "textures8_epsilon_vs_zplus.png", dpi=100)
print(f"figures written to {OUT}")
