"""Ablation-CAM: weight each feature map by how much the score drops when the map is removed.

Desai & Ramaswamy 2020, "Ablation-CAM: visual explanations for deep convolutional network via
gradient-free localization", WACV, https://doi.org/10.1109/WACV45572.2020.9093360.
Seed 001_c2222baa81a6d9bd.txt, slide "Class activation maps", "3) Autres méthodes: Ablation CAM":

    w_k^c = (y^c - y_k^c) / y^c                    (1) the score's relative drop without map k
    L^c   = ReLU( sum_k w_k^c A^k )                (2)

y_k^c is the score with feature map A^k set to zero: the model re-enters at the layer after A
(``model.forward(A_ablated, start=...)``), one forward pass of the head per map, no gradients: a
score that is flat near A (zero gradient) still gives weights where removing a map changes it.
For a conv -> ReLU -> GAP -> dense head the drop has a closed form, y^c - y_k^c = w_ck mean(A^k)
(with a max-pool before the GAP, the mean of the pooled map k), tested exactly. The K ablations
of every row run in bounded batches.
Where y^c == 0 the division is undefined: those rows keep the undivided drop y^c - y_k^c (a
positive rescaling would not change the map's shape anyway). Where y^c < 0 the division flips
every weight's sign, as the paper's formula says; pass a class with a positive score.
Run by lessons/15_ablation_cam.py.
"""
from __future__ import annotations

import numpy as np

from ._cam import feature_maps, finish, resolve_layer, weighted_sum
from ._variants import scores_over_variants


def ablation_cam(model, x, target=None, *, layer: str | None = None, relu: bool = True, upsample: bool = True,
                 return_weights: bool = False, batch_size: int | None = None, backend=None):
    """ReLU(sum_k w_k A^k), w_k = (y_c - y_c^k) / y_c, at conv layer ``layer`` (default the last).

    Returns the maps (N, 1, *x's spatial size), and with ``return_weights`` also w (N, K).
    relu=False keeps the signed map; upsample=False returns it at the layer's resolution.
    ``batch_size`` bounds the ablated copies of A run at once (default: about 2**16 values).
    """
    A, _, logits, target = feature_maps(model, x, target, layer=layer, gradients=False, batch_size=batch_size,
                                        backend=backend)
    x = np.asarray(x, dtype=A.dtype)
    rows = np.arange(len(x))

    def ablated(k, part):
        copy = A[part].copy()
        copy[:, k] = 0
        return copy

    head = model.name_after(resolve_layer(model, layer))
    scores = scores_over_variants(model, A, ablated, A.shape[1], batch_size=batch_size, start=head, backend=backend)
    y = logits[rows, target][:, None]                              # (N, 1)
    drop = y - scores[:, rows, target].T                           # (N, K): y_c - y_c^k
    weights = drop / np.where(y == 0, 1, y)                        # (1), guarded
    maps = finish(weighted_sum(weights, A), x, relu=relu, upsample_to_input=upsample)  # (2)
    return (maps, weights) if return_weights else maps
