# %% [markdown]
# # 42 Sanity checks: does the map change when the model is destroyed?
#
# Accompanies seed 001_c2222baa81a6d9bd.txt, slide "Saliency map" (Gradient [AGGK18], Guided
# backprop, Grad-CAM: AGGK18 is Adebayo et al.'s workshop paper that became "Sanity checks for
# saliency maps", NeurIPS 2018), and seed 000_8bf5a89bed1f51bd.txt, slide "Evaluation Metrics"
# (a faithful explanation correlates with the behaviour of the model). Runs in about 35 s on two
# cores (about 9 s with MINIXAI_FAST=1).
#
# Model randomisation: re-initialise the weights of the top layer, then of the next one down as
# well (cascading), or of one layer at a time (independent), explain the same inputs for the same
# classes again and compare with the trained model's maps:
#     similarity = Spearman rank correlation (signed, and of |map|), SSIM and HOG correlation
# Data randomisation: train the same network on permuted labels and compare.
# A map that stays the same explains the input, not the model. The paper found the gradient and
# Grad-CAM pass and guided backprop and Guided Grad-CAM fail. The numbers below say what minixai
# finds on its own models. Figures go to $MINIXAI_FIGURES/42_sanity (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import EXPLAINERS
from minixai.metrics import data_randomization, model_randomization
from minixai.metrics.sanity import randomised, recipe_trainer
from minixai.models import pretrained
from minixai.viz import plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "42_sanity"
OUT.mkdir(parents=True, exist_ok=True)
PAPER = ["saliency", "guided_backprop", "gradcam", "guided_gradcam"]   # the methods Adebayo et al. judge
METHODS = [name for name in PAPER if name in EXPLAINERS]

model = pretrained("mnist1d_cnn")
x, y, evidence = mnist1d("test", evidence=True)
x, evidence = (x[:60], evidence[:60]) if FAST else (x[:300], evidence[:300])

# %% [markdown]
# ## The control: an "explainer" that ignores the model
# Returning the input itself (an edge detector in the paper's images) gives the same map whatever
# the weights: every similarity stays 1 and the check must flag it.

# %%


def edge_detector(model, x, target=None):
    return x.copy()


control = model_randomization(model, x, edge_detector, mode="cascading")
assert not control.passes() and np.allclose(control.similarities["spearman"], 1)
print(f"edge detector: median Spearman {control.median('spearman')[-1]:.2f} with every layer re-initialised: fails")

# %% [markdown]
# ## Cascading randomisation on MNIST-1D (the paper's Fig. 2 and 4)
# Step fc re-initialises the dense layer, step conv3 the dense layer and conv3, and so on to conv1,
# when nothing the model learnt is left. The verdict uses the median Spearman correlation of |map|
# with threshold 0.5 (the paper gives none): "whole model" after the last step, "top layer" after
# the first.

# %%
cascading = {name: model_randomization(model, x, name, mode="cascading", seed=0) for name in METHODS}
for name, result in cascading.items():
    top, whole = result.median("spearman_abs")[0], result.median("spearman_abs")[-1]
    print(f"{name:16s} Spearman |map|: {top:.2f} after re-initialising fc, {whole:.2f} after every layer; "
          f"signed {result.median('spearman')[-1]:.2f}, SSIM {result.median('ssim')[-1]:.2f}, "
          f"HOG {result.median('hog')[-1]:.2f} -> top layer {'pass' if result.passes(step=0) else 'FAIL'}, "
          f"whole model {'pass' if result.passes() else 'FAIL'}")
assert cascading["saliency"].passes() and cascading["gradcam"].passes()
assert cascading["guided_backprop"].median("spearman_abs")[0] > cascading["saliency"].median("spearman_abs")[0]
zero_cams = np.mean(np.abs(EXPLAINERS["gradcam"](randomised(model, ["fc"]), x)).reshape(len(x), -1).max(1) == 0)
print(f"after re-initialising fc, {100 * zero_cams:.0f}% of the Grad-CAM maps are all zero (a ReLU of a negative "
      f"sum would give a constant map, which correlates 0 with anything: not the case here)")

fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
for ax, similarity in zip(axes, ("spearman_abs", "ssim", "hog")):
    for name, result in cascading.items():
        ax.plot(["original"] + list(result.steps), [1.0] + list(result.median(similarity)), marker="o", label=name)
    ax.plot(["original"] + list(control.steps), [1.0] + list(control.median(similarity)), "k--", label="edge detector")
    ax.set_title(f"{similarity}, cascading"), ax.set_ylim(-0.2, 1.05)
axes[0].legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUT / "mnist1d_cascading.png", dpi=100)

# %% [markdown]
# ## minixai's verdicts next to the paper's
# The paper: the gradient and Grad-CAM pass, guided backprop and Guided Grad-CAM fail. Here the
# strict criterion (re-initialising the logit layer alone must move the map) is compared.

# %%
PAPER_VERDICT = {"saliency": True, "guided_backprop": False, "gradcam": True, "guided_gradcam": False}
for name, result in cascading.items():
    mine = result.passes(step=0)
    print(f"{name:16s} paper: {'pass' if PAPER_VERDICT[name] else 'fail'}; minixai on MNIST-1D: "
          f"{'pass' if mine else 'fail'} (median Spearman |map| {result.median('spearman_abs')[0]:.2f} after "
          f"re-initialising fc) -> {'agrees' if mine == PAPER_VERDICT[name] else 'differs'}")

# %% [markdown]
# ## The paper's other methods (skipped with MINIXAI_FAST=1)
# Gradient x Input and Integrated Gradients multiply by the input, so part of their map is the
# input whatever the weights; SmoothGrad averages gradients. 100 samples.

# %%
for name in [] if FAST else [m for m in ("gradient_x_input", "integrated_gradients", "smoothgrad") if m in EXPLAINERS]:
    result = model_randomization(model, x[:100], name, mode="cascading", seed=0)
    print(f"{name:20s} Spearman |map| {result.median('spearman_abs')[0]:.2f} after fc, "
          f"{result.median('spearman_abs')[-1]:.2f} after every layer (signed {result.median('spearman')[-1]:.2f}) "
          f"-> top layer {'pass' if result.passes(step=0) else 'FAIL'}, "
          f"whole model {'pass' if result.passes() else 'FAIL'}")

# %% [markdown]
# ## What the maps look like along the cascade (one test sample; two methods with MINIXAI_FAST=1)

# %%
steps = cascading["saliency"].steps
shown = METHODS[:2] if FAST else METHODS
fig, axes = plt.subplots(len(shown), len(steps) + 1, figsize=(3 * (len(steps) + 1), 2.2 * len(shown)), squeeze=False)
target = model.predict(x[:1])
for row, name in enumerate(shown):
    models = [model] + [randomised(model, steps[:i + 1], seed=0) for i in range(len(steps))]
    for column, (m, label) in enumerate(zip(models, ["trained"] + [f"down to {s}" for s in steps])):
        plot_signal(axes[row, column], x[0], EXPLAINERS[name](m, x[:1], target)[0], evidence[0],
                    title=f"{name}: {label}")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_cascade_maps.png", dpi=80)

# %% [markdown]
# ## Independent randomisation: which single layer does the map depend on?

# %%
for name in METHODS:
    result = model_randomization(model, x, name, mode="independent", seed=0)
    print(f"{name:16s} independent, median Spearman |map| per layer re-initialised: "
          + ", ".join(f"{s} {v:.2f}" for s, v in zip(result.steps, result.median("spearman_abs"))))

# %% [markdown]
# ## Data randomisation: the same network trained on permuted labels
# The shipped recipe (Adam, lr 1e-2, batch 100) on a subset of the training set, labels shuffled.
# The paper's network memorises the random labels; the numbers say how far this one got.

# %%
x_train, y_train = mnist1d("train")
n_train, epochs = (300, 5) if FAST else (1000, 30)
train = recipe_trainer("mnist1d_cnn", epochs=epochs)
for name in METHODS[:1] if FAST else METHODS:
    result = data_randomization(model, x, name, train=train, x_train=x_train[:n_train], y_train=y_train[:n_train])
    print(f"{name:16s} trained on {n_train} permuted labels for {epochs} epochs (memorised "
          f"{100 * result.values['train_accuracy_on_permuted_labels']:.0f}%): median Spearman |map| "
          f"{result.median('spearman_abs')[0]:.2f}, SSIM {result.median('ssim')[0]:.2f} -> "
          f"{'pass' if result.passes() else 'FAIL'}")

# %% [markdown]
# ## The VGG-7 on textures8 (one patch per class; two patches and Grad-CAM only with MINIXAI_FAST=1)

# %%
vgg = pretrained("vgg7_textures8")
xt, yt = textures8("test")
picks = [int(np.flatnonzero(yt == c)[0]) for c in range(0, len(textures8.CLASSES), 4 if FAST else 1)]
for name in METHODS[2:3] if FAST else METHODS:
    result = model_randomization(vgg, xt[picks], name, mode="cascading", seed=0)
    print(f"textures8 {name:16s} median Spearman |map| " + ", ".join(
        f"{s} {v:.2f}" for s, v in zip(result.steps, result.median("spearman_abs")))
        + f" -> top layer {'pass' if result.passes(step=0) else 'FAIL'}, whole model "
          f"{'pass' if result.passes() else 'FAIL'}")
print(f"figures written to {OUT}")
