# %% [markdown]
# # 09 DeepLIFT: differences from a reference, summing to the change of the score
#
# Accompanies seed 003_9e1ffa84955ffc85.txt, slides "03 Gradients: DeepLIFT", "Saturation problem
# illustrated", "Reference: i1^0 = 0 & i2^0 = 0", "Choice of reference matters!" and "Suggestions
# on how to pick a reference". Runs in under a minute on two cores (about 20 s with MINIXAI_FAST=1).
#
# DeepLIFT (Shrikumar, Greenside & Kundaje 2017, https://arxiv.org/abs/1704.02685) explains
# y_c(x) - y_c(x0), the change of the score from a reference input x0, and hands it out:
#
#     C_i = (x_i - x0_i) * m_i          sum_i C_i = y_c(x) - y_c(x0)      (summation to delta)
#
# The multipliers m travel back like a gradient, but a ReLU passes the secant slope
# (y - y0) / (x - x0) (Rescale) instead of its derivative, so a saturated unit still passes
# credit. Figures go to $MINIXAI_FIGURES/09_deeplift (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import deeplift, gradient_x_input
from minixai.models import pretrained
from minixai.nn import Dense, ReLU, Sequential
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "09_deeplift"
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Slides "Saturation problem illustrated" and "Reference: i1^0 = 0 & i2^0 = 0"
# y = 1 - ReLU(1 - i1 - i2): at i1 = i2 = 1 the ReLU is off, so the gradient is 0 and
# Gradient x Input gives nothing, although y rose from 0 (at the reference 0, 0) to 1.
# DeepLIFT splits that rise evenly: C = 0.5 for each input, as on the slide.

# %%
inner, outer = Dense(2, 1), Dense(1, 1)
inner.weight, inner.bias = np.array([[-1.0, -1.0]]), np.array([1.0])
outer.weight, outer.bias = np.array([[-1.0]]), np.array([1.0])
toy = Sequential([("inner", inner), ("relu", ReLU()), ("outer", outer)]).astype(np.float64)
i = np.array([[1.0, 1.0]])
contributions = deeplift(toy, i, 0, baseline=np.zeros_like(i))
saturated = gradient_x_input(toy, i, 0)
assert np.allclose(contributions, 0.5) and np.all(saturated == 0)
print(f"toy y = 1 - ReLU(1 - i1 - i2) at (1, 1): DeepLIFT C = {contributions[0]}, "
      f"Gradient x Input {saturated[0]} (the ReLU is saturated)")

# %% [markdown]
# ## Slide "03 Gradients: DeepLIFT": summation to delta on the MNIST-1D CNN
# Layer by layer, sum(multiplier x difference) is the same at every layer, so the contributions
# at the input add up to y_c(x) - y_c(x0). minixai keeps this through max-pooling too (see
# minixai/rules/deeplift.py); the gradient times (x - x0) has no such property.

# %%
model = pretrained("mnist1d_cnn").astype(np.float64)
x, labels, evidence = mnist1d("test", evidence=True)
n = 60 if FAST else 300
x, labels, evidence = x[:n].astype(np.float64), labels[:n], evidence[:n]
zero = np.zeros_like(x)
gaps = {}
for rule in ("rescale", "reveal_cancel"):
    _, gaps[rule] = deeplift(model, x, baseline=zero, rule=rule, return_gap=True)
logits, logits0 = model(x), model(zero)
predicted = logits.argmax(axis=1)
rows = np.arange(n)
delta = logits[rows, predicted] - logits0[rows, predicted]
gradient_gap = np.abs(gradient_x_input(model, x).reshape(n, -1).sum(axis=1) - delta).max()
print(f"MNIST-1D CNN, {n} test samples, zero reference, |y_c(x) - y_c(x0)| up to {np.abs(delta).max():.1f}: "
      f"max |gap| Rescale {np.abs(gaps['rescale']).max():.1e}, RevealCancel {np.abs(gaps['reveal_cancel']).max():.1e}; "
      f"gradient x (x - x0) misses by up to {gradient_gap:.2f}")
assert max(np.abs(g).max() for g in gaps.values()) < 1e-9

# %% [markdown]
# ## Slides "Choice of reference matters!" and "Suggestions on how to pick a reference"
# The reference is the question: "why this score rather than the score of x0?". All zeros (the
# MNIST suggestion), a blurred copy (keeps the coarse shape, asks about the details), noise, and a
# distribution of ten noise references whose contributions are averaged. The share of |C| that
# lands on the digit's evidence mask tells how much each reference's answer is about the digit.

# %%
references = {"zero": "zero", "blurred": "blur", "noise": "noise",
              "10 noise references": ["noise"] * 10}
sample = int(np.flatnonzero(predicted == labels)[0])
fig, axes = plt.subplots(len(references), 1, figsize=(8, 2.2 * len(references)), sharex=True)
for ax, (name, baseline) in zip(axes, references.items()):
    attributions, gap = deeplift(model, x, baseline=baseline, seed=0, return_gap=True)
    inside = (np.abs(attributions[:, 0]) * evidence).sum(axis=1) / np.abs(attributions[:, 0]).sum(axis=1)
    plot_signal(ax, x[sample], attributions[sample], evidence[sample],
                title=f"reference: {name} (sum of C = {attributions[sample].sum():.2f})")
    print(f"reference {name:>20}: mean share of |C| on the evidence {inside.mean():.2f}, "
          f"max |gap| {np.abs(gap).max():.1e}")
fig.tight_layout()
fig.savefig(OUT / "references_mnist1d.png", dpi=100)

# %% [markdown]
# ## RevealCancel against Rescale on one sample
# RevealCancel (the paper's section 3.5.3) lets the positive and the negative terms feeding a ReLU
# each get their own multiplier, so evidence that cancels out inside a unit is revealed rather
# than netted. Both keep summation to delta; they differ in how the same total is shared.

# %%
pair = {rule: deeplift(model, x[sample:sample + 1], rule=rule) for rule in ("rescale", "reveal_cancel")}
fig, axes = plt.subplots(2, 1, figsize=(8, 4.4), sharex=True)
for ax, (rule, attributions) in zip(axes, pair.items()):
    plot_signal(ax, x[sample], attributions[0], evidence[sample], title=f"{rule}: sum of C = {attributions.sum():.3f}")
fig.tight_layout()
fig.savefig(OUT / "rescale_vs_reveal_cancel.png", dpi=100)
a, b = (v.ravel() for v in pair.values())
print(f"sample {sample} (digit {labels[sample]}): Rescale and RevealCancel sum to {a.sum():.4f} and {b.sum():.4f}; "
      f"correlation {np.corrcoef(a, b)[0, 1]:.3f}, largest difference {np.abs(a - b).max():.3f} "
      f"(largest |C| {np.abs(a).max():.3f})")

# %% [markdown]
# ## The same on textures8 (a stand-in for HMT) with the VGG-7
# Colour images through six conv layers and three 2x2 max-pools: summation to delta still holds
# (float32 here, so up to rounding).

# %%
vgg = pretrained("vgg7_textures8")
images, image_labels = textures8("test")
image = images[:1]
attributions, gap = deeplift(vgg, image, baseline="blur", return_gap=True)
score = vgg(image)[0].max()
fig, ax = plt.subplots(figsize=(5, 4))
predicted_texture = textures8.CLASSES[vgg(image).argmax()]
plot_image(ax, image[0], attributions[0], title=f"DeepLIFT, blurred reference (predicted {predicted_texture})")
fig.tight_layout()
fig.savefig(OUT / "textures8_deeplift.png", dpi=100)
print(f"textures8 image 0: score {score:.2f}, summation gap {gap[0]:.1e} (float32)")
assert abs(gap[0]) < 1e-3 * max(1.0, abs(score))
print(f"figures written to {OUT}")
