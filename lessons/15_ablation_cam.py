# %% [markdown]
# # 15 Ablation-CAM: remove a feature map, watch the score drop
#
# Accompanies seed 001_c2222baa81a6d9bd.txt, slide "Class activation maps", part "3) Autres
# méthodes: Ablation CAM" (Desai & Ramaswamy 2020, https://doi.org/10.1109/WACV45572.2020.9093360).
# Runs in about 10 s on two cores (a few seconds with MINIXAI_FAST=1).
#
#     w_k^c = (y^c - y_k^c) / y^c          y_k^c: the score with feature map A^k set to zero
#     L^c   = ReLU( sum_k w_k^c A^k )
#
# The slide calls it a "gradient-free" method: each weight comes from one forward pass of the
# layers above A with one map zeroed, never from a derivative.
# Figures go to $MINIXAI_FIGURES/15_ablation_cam (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d, textures8
from minixai.explain import ablation_cam, gradcam
from minixai.models import pretrained
from minixai.nn import Dense, ReLU, Sequential
from minixai.viz import plot_image, plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "15_ablation_cam"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn").astype(np.float64)
x, y, evidence = mnist1d("test", evidence=True)
count = 100 if FAST else 1000
x, y, evidence = x[:count].astype(np.float64), y[:count], evidence[:count]
target = model.predict(x)
rows = np.arange(len(x))

# %% [markdown]
# ## The weights are score drops, one forward pass per map
# The shipped CNN ends conv3 -> ReLU -> GAP -> dense, so zeroing map k removes exactly
# w_ck mean(A^k) from the logit: y^c - y_k^c = w_ck mean(A^k), no gradient needed to know it.

# %%
maps, weights = ablation_cam(model, x, target, return_weights=True)
A = model.forward(x, stop="relu3")
logit = model(x)[rows, target][:, None]
closed_form = model.layers["fc"].weight[target] * A.mean(axis=2) / logit
gap = np.abs(weights - closed_form).max()
print(f"Ablation-CAM weights equal w_ck mean(A^k) / y_c on the shipped CNN: largest gap {gap:.1e} "
      f"over {len(x)} samples x {A.shape[1]} maps")
assert gap < 1e-10

# %% [markdown]
# ## Where Grad-CAM's gradient saturates
# Grad-CAM weighs a map by the score's slope. A saturated score, flat near x (a probability
# close to 1 is the usual case), has slope zero, and Grad-CAM's map vanishes, although removing a
# map would still lower the score. To see it with the shipped CNN we cap every logit at t,
# min(y, t) = ReLU(y) - ReLU(-y) - ReLU(y - t), with two extra layers on top of the model.

# %%
t = float(np.quantile(logit, 0.25))
classes = model.layers["fc"].out_features
spread = Dense(classes, 3 * classes)
spread.weight = np.concatenate([np.eye(classes), -np.eye(classes), np.eye(classes)])
spread.bias = np.concatenate([np.zeros(2 * classes), -t * np.ones(classes)])
merge = Dense(3 * classes, classes, bias=False)
merge.weight = np.concatenate([np.eye(classes), -np.eye(classes), -np.eye(classes)], axis=1)
capped = Sequential([*model.layers.items(), ("spread", spread), ("relu_cap", ReLU()), ("merge", merge)])
capped = capped.astype(np.float64)
saturated = logit[:, 0] > t
grad_maps = gradcam(capped, x, target)
ablation_maps = ablation_cam(capped, x, target)
dead = (grad_maps.reshape(len(x), -1).max(axis=1) == 0)
alive = (ablation_maps.reshape(len(x), -1).max(axis=1) > 0)
above = logit[:, 0] - t
print(f"score capped at t = {t:.2f}: {saturated.mean():.0%} of the samples saturate; among them Grad-CAM's map is "
      f"zero for {dead[saturated].mean():.0%}, Ablation-CAM's is non-zero for {alive[saturated].mean():.0%}")
print(f"Ablation-CAM sees the samples where removing one map pulls the score below the cap (median "
      f"{np.median(above[saturated & alive]):.1f} above it), not those far above (median "
      f"{np.median(above[saturated & ~alive]):.1f}): one ablation is a finite step, not an infinitesimal one")
assert dead[saturated].all() and alive[saturated].any()

i = int(np.flatnonzero(saturated & alive)[0])
fig, axes = plt.subplots(1, 3, figsize=(15, 2.8))
plot_signal(axes[0], x[i], maps[i], evidence[i], title="Ablation-CAM, plain logit")
plot_signal(axes[1], x[i], grad_maps[i], evidence[i], title=f"Grad-CAM, logit capped at {t:.1f}: zero")
plot_signal(axes[2], x[i], ablation_maps[i], evidence[i], title=f"Ablation-CAM, logit capped at {t:.1f}")
fig.tight_layout()
fig.savefig(OUT / "saturation.png", dpi=100)

# %% [markdown]
# ## Ablation-CAM and Grad-CAM on the plain logits
# With the GAP head Grad-CAM weighs map k by w_ck / Z, Ablation-CAM by w_ck mean(A^k) / y_c:
# Ablation-CAM favours the maps that are strongly on. Both are scored by how much of their mass
# falls where the digit's template landed (the evidence mask).

# %%
def mass_inside(m):
    m = m[:, 0]
    return ((m * evidence).sum(1) / np.maximum(m.sum(1), 1e-12)).mean()


plain_grad = gradcam(model, x, target)
corr = np.mean([np.corrcoef(a[0], b[0])[0, 1] for a, b in zip(maps, plain_grad) if a.std() > 0 and b.std() > 0])
print(f"mass inside the evidence mask (covers {evidence.mean():.2f}): Ablation-CAM {mass_inside(maps):.3f}, "
      f"Grad-CAM {mass_inside(plain_grad):.3f}; mean correlation of the two maps {corr:.2f}")

# %% [markdown]
# ## Texture images with the VGG-7
# 128 maps at conv3_2: 128 passes of the head (pool3 -> GAP -> dense); at conv3_1 every ablation
# runs conv3_2 again as well.

# %%
vgg = pretrained("vgg7_textures8")
images, labels = textures8("test")
picks = (0, 100)
fig, axes = plt.subplots(len(picks), 2, figsize=(9, 4 * len(picks)))
for row, i in zip(axes, picks):
    for ax, layer in zip(row, ("conv3_2", "conv3_1")):
        m = ablation_cam(vgg, images[i:i + 1], layer=layer)
        plot_image(ax, images[i], m[0, 0], f"{textures8.CLASSES[labels[i]]}: Ablation-CAM at {layer}")
        top = np.sort(m.ravel())[::-1]
        print(f"textures8 image {i} ({textures8.CLASSES[labels[i]]}), layer {layer}: the brightest 10% of the "
              f"pixels hold {top[:len(top) // 10].sum() / top.sum():.0%} of the map's mass")
fig.tight_layout()
fig.savefig(OUT / "textures8_ablation_cam.png", dpi=100)

# %% [markdown]
# ## When the explained score is negative
# The slide's w_k = (y^c - y_k^c) / y^c divides by the score itself: for a class whose logit is
# below zero every weight changes sign, and the map shows what would *raise* the score. Explain
# classes with a positive score, or read such maps with care.

# %%
logits = vgg(images[:100])
negative = np.flatnonzero(logits.max(axis=1) < 0)
if len(negative):
    i = int(negative[0])
    _, w = ablation_cam(vgg, images[i:i + 1], return_weights=True)
    drops = w * logits[i].max()
    print(f"textures8 image {i}: predicted logit {logits[i].max():.2f} < 0; {(drops > 0).mean():.0%} of the maps "
          f"lower the score when removed, yet {(w > 0).mean():.0%} get a positive weight")
print(f"figures written to {OUT}")
