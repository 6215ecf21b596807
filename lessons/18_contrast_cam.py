# %% [markdown]
# # 18 Contrast-CAM: why this digit, rather than that one?
#
# Accompanies seed 002_01d9d3509b4c14f7.txt, slides "ContrastCAM: Why P, rather than Q?" ("backward
# pass the loss between predicted class P and some contrast class Q to last conv layer"), the
# lighthouse slides "GradCAM explanation may not be useful for fine-grained analysis" and
# "Contrastive IQA elicits the fine-grained decisions made by the network" (Prabhushankar et al.
# 2020, "Contrastive explanations in neural networks", https://arxiv.org/abs/2008.00178). Runs in
# about 15 s on two cores (under 10 s with MINIXAI_FAST=1).
#
#     J(P, Q)  = -log softmax(y)_Q           cross-entropy, as if Q were the label
#     dJ/dy    = softmax(y) - onehot(Q)
#     alpha_k  = (1/Z) sum_i dJ / dA_i^k ,   L = ReLU( sum_k alpha_k A^k )
#
# The lighthouse example asks an image-quality network "why 0.58, rather than 1 / 0.75 / 0.5 /
# 0.25?" and gets a different, finer map for each contrast. Here the same questions go to the
# MNIST-1D CNN, for the digit pairs it confuses most.
# Figures go to $MINIXAI_FIGURES/18_contrast_cam (default ./figures).

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from minixai.data import mnist1d
from minixai.explain import contrast_cam, gradcam
from minixai.explain.contrast_cam import contrast_seed
from minixai.nn import softmax
from minixai.models import pretrained
from minixai.viz import plot_signal

FAST = os.environ.get("MINIXAI_FAST") == "1"
OUT = Path(os.environ.get("MINIXAI_FIGURES", "figures")) / "18_contrast_cam"
OUT.mkdir(parents=True, exist_ok=True)

model = pretrained("mnist1d_cnn").astype(np.float64)
x, y, evidence = mnist1d("test", evidence=True)
x = x.astype(np.float64)
logits = model.forward(x)
predicted = logits.argmax(1)

# %% [markdown]
# ## Which digits does the CNN confuse? The confusion matrix on the test set
# Rows: true digit, columns: prediction. The pairs with the most errors (both directions summed)
# are the contrasts worth asking about.

# %%
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y, predicted), 1)
errors = confusion + confusion.T
np.fill_diagonal(errors, 0)
pairs = sorted(((errors[a, b], a, b) for a in range(10) for b in range(a + 1, 10)), reverse=True)[:3]
print(f"test accuracy {np.trace(confusion) / len(y):.3f}; most confused pairs: "
      + ", ".join(f"{a} <-> {b} ({n} errors)" for n, a, b in pairs))
fig, ax = plt.subplots(figsize=(5, 4.5))
shown = ax.imshow(np.log1p(confusion), cmap="Blues")
for (a, b), n in np.ndenumerate(confusion):
    if n:
        ax.text(b, a, str(n), ha="center", va="center", fontsize=7, color="white" if a == b else "black")
ax.set(xlabel="predicted", ylabel="true digit", xticks=range(10), yticks=range(10),
       title="MNIST-1D test confusion matrix")
fig.tight_layout()
fig.savefig(OUT / "confusion_matrix.png", dpi=100)

# %% [markdown]
# ## The signal sent back: softmax(y) - onehot(Q)
# Positive at every class but Q, negative (p_Q - 1) at Q, summing to zero: raising J moves the
# prediction away from Q. Grad-CAM is linear in that signal, so before the ReLU
# Contrast-CAM = sum_c p_c Grad-CAM_c - Grad-CAM_Q; with a confident network (p_P near 1) it is
# Grad-CAM_P - Grad-CAM_Q: evidence for P minus evidence for Q.

# %%
n, a, b = pairs[0]
sample = int(np.flatnonzero((y == a) & (predicted == a))[0])
signal = contrast_seed(logits[sample:sample + 1], predicted[sample:sample + 1], np.array([b]))[0]
print(f"one {a}, contrast {b}: dJ/dy = {np.array2string(signal, precision=3, suppress_small=True)} "
      f"(sum {signal.sum():.0e})")
rows = np.flatnonzero(predicted == y)[:100 if FAST else 400]
q = (y[rows] + 1 + np.arange(len(rows)) % 9) % 10                   # every other digit in turn
p = softmax(logits[rows])
signed = {c: gradcam(model, x[rows], c, relu=False, upsample=False)[:, 0] for c in range(10)}
mixture = sum(p[:, c, None] * signed[c] for c in range(10)) - np.stack([signed[c][i] for i, c in enumerate(q)])
gap = np.abs(contrast_cam(model, x[rows], contrast=q, upsample=False)[:, 0] - np.maximum(mixture, 0)).max()
difference = np.stack([signed[t][i] - signed[c][i] for i, (t, c) in enumerate(zip(y[rows], q))])
contrast = contrast_cam(model, x[rows], contrast=q, upsample=False)[:, 0]
relative = np.abs(np.maximum(difference, 0) - contrast).max(1) / np.maximum(np.abs(contrast).max(1), 1e-12)
print(f"Contrast-CAM vs sum_c p_c Grad-CAM_c - Grad-CAM_Q: largest gap {gap:.1e}. vs ReLU(Grad-CAM_P - "
      f"Grad-CAM_Q): median relative gap {np.median(relative):.1e} (median p_P = "
      f"{np.median(p[np.arange(len(rows)), y[rows]]):.4f}), largest {relative.max():.2f} (the least confident signals)")
assert gap < 1e-10

# %% [markdown]
# ## "Why P, rather than Q?" for every Q, as in the lighthouse table
# One correctly classified signal of the most confused pair; Grad-CAM answers "why P?", each
# Contrast-CAM panel "why P, rather than Q?".

# %%
fig, axes = plt.subplots(2, 5, figsize=(16, 5))
plot_signal(axes[0, 0], x[sample], gradcam(model, x[sample:sample + 1])[0], evidence[sample],
            title=f"Grad-CAM: why {a}?")
others = [c for c in range(10) if c != a]
maps = contrast_cam(model, np.repeat(x[sample:sample + 1], 9, axis=0), contrast=others)
for ax, c, m in zip(axes.flat[1:], others, maps):
    plot_signal(ax, x[sample], m, evidence[sample], title=f"why {a}, rather than {c}?")
fig.suptitle(f"MNIST-1D test signal {sample} (digit {a}; evidence shaded): one question per contrast")
fig.tight_layout()
fig.savefig(OUT / "why_p_rather_than_q.png", dpi=100)

# %% [markdown]
# ## The more confusable Q, the more the answer departs from Grad-CAM
# For each of the most confused pairs, in both directions, compare (median over correctly
# classified test signals of P) the correlation of Contrast-CAM with Grad-CAM when Q is the
# confused rival and when Q is the rival with the least probability mass on P's signals.

# %%
def correlation(u, v):
    return np.median([np.corrcoef(s, t)[0, 1] for s, t in zip(u, v) if s.std() > 0 and t.std() > 0])


probabilities = softmax(logits)
hard_corr, easy_corr = [], []
fig, axes = plt.subplots(len(pairs), 3, figsize=(13, 2.6 * len(pairs)))
for row, (n, a, b) in enumerate(pairs):
    for P, Q in ((a, b), (b, a)):
        chosen = np.flatnonzero((y == P) & (predicted == P))[:30 if FAST else 100]
        easy = int(np.argmin(np.where(np.arange(10) == P, np.inf, probabilities[y == P].mean(0))))
        plain = gradcam(model, x[chosen], P)[:, 0]
        hard_corr.append(correlation(contrast_cam(model, x[chosen], P, contrast=Q)[:, 0], plain))
        easy_corr.append(correlation(contrast_cam(model, x[chosen], P, contrast=easy)[:, 0], plain))
        print(f"P = {P}: correlation with Grad-CAM {hard_corr[-1]:.3f} for Q = {Q} (confused), "
              f"{easy_corr[-1]:.3f} for Q = {easy} (least likely)")
    i = int(np.flatnonzero((y == a) & (predicted == a))[0])
    panels = [(gradcam(model, x[i:i + 1], a)[0], f"Grad-CAM: why {a}?"),
              (gradcam(model, x[i:i + 1], b)[0], f"Grad-CAM: why {b}?"),
              (contrast_cam(model, x[i:i + 1], a, contrast=b)[0], f"why {a}, rather than {b}?")]
    for ax, (m, title) in zip(axes[row], panels):
        plot_signal(ax, x[i], m, evidence[i], title=title)
fig.suptitle("The most confused digit pairs: Grad-CAM for each class, and the contrast")
fig.tight_layout()
fig.savefig(OUT / "confused_pairs.png", dpi=100)
print(f"mean correlation with Grad-CAM: {np.mean(hard_corr):.3f} against the confused rival, "
      f"{np.mean(easy_corr):.3f} against the least likely one")
assert np.mean(hard_corr) < np.mean(easy_corr)
print(f"figures written to {OUT}")
