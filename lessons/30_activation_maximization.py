# %% [markdown]
# # 30 Activation maximisation: what does a class model look like?
#
# Accompanies seed 003_9e1ffa84955ffc85.txt, the untitled slides after sensitivity analysis
# that ask "What does a class model look like?" and answer "We compute a (regularised) image I
# with a high class score" (Simonyan, Vedaldi & Zisserman 2013, after Erhan et al. 2009), and
# seed 004_2a6fa647e63a0a0a.txt, section "Activation Maximization". The class model is the
# regularised input with a high class score, found by gradient ascent from the zero image:
#
#     I* = argmax_I  S_c(I) - lambda ||I||_2^2
#
# S_c is the pre-softmax score: the slide notes that maximising the softmax P_c gives worse
# pictures. Yosinski et al. 2015's regularisers (jitter, blur) make the pictures smoother.
# Runs in about 25 s on two busy cores (about 10 s with MINIXAI_FAST=1).
# Figures go to $MINIXAI_FIGURES/30_activation_maximization (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import activation_maximization
from minixai.models import pretrained
from minixai.nn import softmax

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "30_activation_maximization"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn")
x, y = mnist1d("test")
digits = np.arange(10)
# x only sets the input's shape here: every class model starts from the zero image
shape_only = x[:1]

# %% [markdown]
# ## One class model per digit, from the zero image
# With the defaults (lambda = 1, 50 steps of mean size 0.2, shrinking to zero) each class model
# scores its class far above what real test signals score, and most are classified as their digit.

# %%
models = activation_maximization(model, shape_only, target=list(digits))
logits = model.forward(models)
scores = logits[digits, digits]
best_real = model.forward(x).max(axis=0)
print("class score of the class model vs the best of the test signals: "
      + ", ".join(f"{c}: {s:.0f} vs {b:.0f}" for c, s, b in zip(digits, scores, best_real)))
print(f"{np.sum(logits.argmax(axis=1) == digits)} of 10 class models are classified as their digit")
assert np.median(scores / best_real) > 1

fig, axes = plt.subplots(2, 5, figsize=(15, 5), sharey=True)
for ax, c, signal in zip(axes.flat, digits, models):
    ax.plot(signal[0], color="k")
    ax.set_title(f"class model of digit {c}\nS_c = {scores[c]:.0f}")
fig.suptitle("MNIST-1D class models: argmax S_c(I) - ||I||^2 from the zero signal")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_class_models.png", dpi=100)

# %% [markdown]
# ## The zero image can be a local maximum
# At the zero image every conv output is its bias and every pooling window ties, and for some
# digits S_c falls in *every* direction: small steps never leave. Steps of 0.2 jump out.
# (lambda = 0 here, so only S_c pulls.)

# %%
zero = np.zeros_like(shape_only)
zero_scores = model.forward(zero)[0]
gain = {size: model.forward(activation_maximization(model, shape_only, target=list(digits), l2=0,
                                                    step_size=size))[digits, digits] - zero_scores
        for size in (0.05, 0.2)}
stuck = gain[0.05] < 1
rng = np.random.default_rng(0)
directions = rng.normal(size=(200, 1, 40))
directions /= np.abs(directions).mean(axis=(1, 2), keepdims=True)
falls = np.all(model.forward(0.02 * directions)[:, digits] < zero_scores, axis=0)
print(f"steps of 0.05: S_c rises by less than 1 for digits {digits[stuck].tolist()}; at the zero image S_c "
      f"falls in all 200 random directions for digits {digits[falls].tolist()}; with steps of 0.2 the "
      f"smallest rise is {gain[0.2].min():.0f}")
assert stuck.any() and np.all(falls[stuck]) and np.all(gain[0.2] > 10)

# %% [markdown]
# ## lambda trades the score for the size of the image
# The optimum satisfies dS_c/dI = 2 lambda I: the larger lambda, the closer I* stays to zero.

# %%
sizes = {}
for l2 in (0.1, 1.0, 10.0):
    I = activation_maximization(model, shape_only, target=list(digits), l2=l2)
    sizes[l2] = np.abs(I).mean()
    print(f"lambda {l2:5}: mean |I| {sizes[l2]:.3f}, median S_c {np.median(model.forward(I)[digits, digits]):.1f}")
assert sizes[0.1] > sizes[1.0] > sizes[10.0]

# %% [markdown]
# ## Maximising the softmax gives worse class models
# P_c = exp(S_c) / sum_k exp(S_k) rises when S_c rises *or when the other scores fall*. Run both
# objectives without the L2 term and look where the gain comes from: with the probability, the
# classes that reach P_c > 0.5 get there mostly by pushing the other scores down (their own
# score may even fall); others do not move at all, since dP_c/dI = P_c (1 - P_c) ... vanishes
# when P_c is near 0 at the start. With the score, the class's own evidence is what grows.

# %%
gains = {}
for objective in ("score", "probability"):
    I = activation_maximization(model, shape_only, target=list(digits), objective=objective, l2=0, steps=100,
                                step_size=0.05)
    z = model.forward(I)
    own = z[digits, digits] - zero_scores
    others = (z.sum(axis=1) - z[digits, digits] - (zero_scores.sum() - zero_scores)) / 9
    gains[objective] = (own, others, softmax(z)[digits, digits])
    print(f"{objective:11s}: median gain of S_c {np.median(own):7.1f}, of the other scores (mean) "
          f"{np.median(others):7.1f}; P_c > 0.5 for {np.sum(softmax(z)[digits, digits] > 0.5)} of 10 digits")
own, others, p = gains["probability"]
won = p > 0.5
print(f"probability objective, digits with P_c > 0.5: the other scores fell by {-others[won].mean():.1f} on "
      f"average while S_c rose by {own[won].mean():.1f}; S_c fell for {np.sum(own[won] < 0)} of them")
assert -others[won].mean() > own[won].mean()
assert np.median(gains["score"][0]) > 10 * np.median(gains["probability"][0])

# %% [markdown]
# ## textures8: class models for the 8 texture classes, plain and regularised
# Jitter (a random shift of up to 4 pixels before each step) and a Gaussian blur every 4 steps
# (Yosinski et al. 2015) suppress the pixel-level patterns the gradient loves; the total
# variation (mean |difference| of neighbouring pixels, relative to the mean |I|) measures it.

# %%
vgg = pretrained("vgg7_textures8")
xt, _ = textures8("test")
classes = np.arange(len(textures8.CLASSES))
steps = 10 if FAST else 40


def roughness(images):
    return np.mean([np.abs(np.diff(images, axis=a)).mean() for a in (2, 3)]) / np.abs(images).mean()


plain = activation_maximization(vgg, xt[:1], target=list(classes), steps=steps)
smooth = activation_maximization(vgg, xt[:1], target=list(classes), steps=steps, jitter=4, blur_every=4,
                                 blur_sigma=1.0)
print(f"textures8 class models: relative total variation {roughness(plain):.2f} plain, "
      f"{roughness(smooth):.2f} with jitter and blur")
assert roughness(smooth) < roughness(plain)

fig, axes = plt.subplots(2, len(classes), figsize=(2.2 * len(classes), 5))
for row, (name, images) in enumerate((("plain", plain), ("jitter + blur", smooth))):
    for ax, c, image in zip(axes[row], classes, images):
        picture = image.transpose(1, 2, 0)
        ax.imshow((picture - picture.min()) / (np.ptp(picture) + 1e-12))
        ax.set_title(f"{textures8.CLASSES[c]}\n{name}", fontsize=8)
        ax.axis("off")
fig.suptitle("textures8 class models (each image rescaled to [0, 1] for display)")
fig.tight_layout()
fig.savefig(OUT / "textures8_class_models.png", dpi=100)
print(f"figures written to {OUT}")
