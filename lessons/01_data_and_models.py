# %% [markdown]
# # 01 Data and models of the course project
#
# Accompanies seed 000_8bf5a89bed1f51bd.txt, slides "Project Goal", "Datasets: MNIST-1D" and
# "Datasets: HMT". Runs in about 20 s on two cores (a few seconds with MINIXAI_FAST=1).
#
# The project explains a shallow CNN trained on MNIST-1D and a VGG-7 trained on texture
# images. minixai generates MNIST-1D itself (Greydanus 2020) and adds what the reference lacks:
# an evidence mask marking where the digit's template landed. HMT cannot be downloaded here, so
# the VGG-7 is trained on textures8, a stand-in built from scikit-image's sample images.
#
# Figures go to $MINIXAI_FIGURES/01_data_and_models (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, templates, textures8
from minixai.models import model_card, pretrained

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "01_data_and_models"
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Slide "Datasets: MNIST-1D": ten 1-D templates
# Each digit is a pattern of 12 heights; every sample is one template padded, scaled,
# translated, sheared and noised, then resampled to 40 points.

# %%
t = templates()
fig, axes = plt.subplots(2, 5, figsize=(10, 3.5), sharey=True)
for digit, ax in enumerate(axes.flat):
    ax.plot(t[digit], marker="o", ms=3)
    ax.set_title(f"digit {digit}")
fig.suptitle("MNIST-1D templates (12 points each)")
fig.tight_layout()
fig.savefig(OUT / "templates.png", dpi=100)
print(f"templates: {t.shape[0]} digits x {t.shape[1]} points")

# %% [markdown]
# ## Slide "Datasets: MNIST-1D", construction: where did the template land?
# The evidence mask is 1 where the template's own samples ended up after padding, translation
# and resampling. Explanations that point inside the mask point at the digit, not at noise.

# %%
x, y, evidence = mnist1d("train", evidence=True)
fig, axes = plt.subplots(2, 4, figsize=(12, 4.5), sharey=True)
for ax, i in zip(axes.flat, range(8)):
    ax.plot(x[i, 0], color="k", lw=1.2)
    ax.fill_between(np.arange(40), x[:, 0].min(), x[:, 0].max(), where=evidence[i] > 0, color="tab:orange", alpha=0.25, step="mid")
    ax.set_title(f"label {y[i]}")
fig.suptitle("MNIST-1D training samples, evidence mask shaded")
fig.tight_layout()
fig.savefig(OUT / "mnist1d_samples.png", dpi=100)
inside = np.abs(x[:, 0])[evidence > 0].mean()
outside = np.abs(x[:, 0])[evidence == 0].mean()
assert inside > 1.5 * outside
print(f"MNIST-1D: {len(x)} training samples; mean |x| inside the evidence mask {inside:.2f}, outside {outside:.2f}")

# %% [markdown]
# ## Slide "Datasets: HMT" and its stand-in, textures8
# HMT has eight tissue classes of 150 x 150 tiles (Kather et al. 2016). textures8 has eight
# texture classes of 64 x 64 patches cut from scikit-image's images; train and test patches come
# from disjoint regions of each image (96 x 96 cells, a seeded quarter of them, scattered over
# the image, for test). It is a stand-in, not HMT.

# %%
xt, yt = textures8("train")
fig, axes = plt.subplots(2, 8, figsize=(14, 4))
for label, name in enumerate(textures8.CLASSES):
    for row in range(2):
        image = xt[np.flatnonzero(yt == label)[row]].transpose(1, 2, 0)
        axes[row, label].imshow(np.clip(image, 0, 1))
        axes[row, label].axis("off")
    axes[0, label].set_title(name, fontsize=8)
fig.suptitle("textures8 (a stand-in for HMT): two training patches per class")
fig.tight_layout()
fig.savefig(OUT / "textures8_samples.png", dpi=100)
print(f"textures8: {len(xt)} training patches, {len(textures8.CLASSES)} classes, shape {xt.shape[1:]}")

# %% [markdown]
# ## Slide "Project Goal": a shallow CNN on MNIST-1D and a VGG-7 on the textures
# Both models ship with minixai, trained by `python -m minixai.models.train NAME`. Their test
# accuracy and confusion matrices show which classes the models mix up: the pairs worth
# explaining later (Contrast-CAM asks "why this digit rather than that one?").


# %%
def confusion(y_true, y_pred, k):
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


for name, data, k in (("mnist1d_cnn", mnist1d, 10), ("vgg7_textures8", textures8, 8)):
    model = pretrained(name)
    x_test, y_test = data("test")
    if FAST:
        x_test, y_test = x_test[:100], y_test[:100]
    predicted = model.predict(x_test, batch_size=100)
    accuracy = float(np.mean(predicted == y_test))
    matrix = confusion(y_test, predicted, k)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, count, ha="center", va="center", fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{name}: test accuracy {accuracy:.3f}")
    fig.tight_layout()
    fig.savefig(OUT / f"confusion_{name}.png", dpi=100)
    off_diagonal = matrix - np.diag(np.diag(matrix))
    worst = np.unravel_index(off_diagonal.argmax(), matrix.shape)
    card = model_card(name)
    print(f"{name}: test accuracy {accuracy:.3f} on {len(y_test)} samples (card: {card['test_accuracy']:.3f}, "
          f"{card['epochs']} epochs, {card['train_seconds']:.0f} s); most confused: true {worst[0]} -> predicted {worst[1]} "
          f"({off_diagonal.max()} times)")

print(f"figures written to {OUT}")
