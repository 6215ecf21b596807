"""Infidelity: does the map predict how the score changes when the input is perturbed?

Yeh, Hsieh, Suggala, Inouye & Ravikumar 2019, "On the (in)fidelity and sensitivity of
explanations", https://arxiv.org/abs/1901.09392, definition 2.1. The faithfulness idea of seed
000_8bf5a89bed1f51bd.txt, slides "Evaluation Metrics" ("correlation of the explanation maps with
the behaviour of the model"), measured with small random perturbations instead of masks:

    INFD(a, f, x) = E_eps[ (eps^T a - (f_c(x) - f_c(x - I)))^2 ],   eps ~ N(0, noise_scale^2) per value
    I = eps          (relative=False: absolute noise; a linear model's gradient w scores 0)
    I = x ⊙ eps      (relative=True: each value moved by a fraction of itself; w ⊙ x scores 0)

So the plain version rewards gradient-style maps (saliency, SmoothGrad) and the relative one
contribution-style maps (Gradient x Input, IG, DeepLIFT, LRP): pick the one that matches what
the map claims. normalize=True first rescales a by the beta that minimises the expectation,
beta = E[eps^T a * df] / E[(eps^T a)^2] (Yeh et al.'s normalisation, Captum's ``normalize``),
so only the map's shape counts, not its units. The draws are
``np.random.default_rng(seed).normal(0, noise_scale, (n, *one row's shape))``, shared by the rows,
so a row's value does not depend on the rest of the batch. f_c is the target's logit by default.
A one-channel map applies to every channel. Run by lessons/45_infidelity_max_sensitivity.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..explain._variants import scores_over_variants
from ..explain.common import check_input, resolve_target
from ..nn.layer import positive_int
from .common import MetricResult, check_attributions, check_nonempty, class_scores


def infidelity(model, x, attributions, target=None, *, noise_scale: float = 0.1, n: int = 50,
               relative: bool = False, normalize: bool = False, score: str = "logit", seed=None,
               batch_size: int | None = None, backend=None) -> MetricResult:
    """Mean infidelity over the rows (value "infidelity"; per row too, and "beta" with normalize)."""
    x = check_input(model, x)
    check_nonempty(x)
    a = np.broadcast_to(check_attributions(x, attributions), x.shape)
    n = positive_int(n, "n")
    if not (np.isfinite(noise_scale) and noise_scale > 0):
        raise ParameterError(f"noise_scale: expected a finite number > 0, got {noise_scale!r}")
    eps = np.random.default_rng(seed).normal(0, noise_scale, size=(n, *x.shape[1:]))

    def perturbed(v, rows):
        if v == 0:
            return x[rows]
        return x[rows] - (x[rows] * eps[v - 1] if relative else eps[v - 1]).astype(x.dtype)

    logits = scores_over_variants(model, x, perturbed, n + 1, batch_size=batch_size, backend=backend)
    f = class_scores(logits, resolve_target(target, logits[0]), score).astype(np.float64)
    df = f[0] - f[1:]                                                       # (n, N)
    predicted = eps.reshape(n, -1) @ a.reshape(len(x), -1).astype(np.float64).T   # eps_k^T a_i
    per_sample = {}
    if normalize:
        power = (predicted ** 2).mean(axis=0)
        beta = np.where(power > 0, (predicted * df).mean(axis=0) / np.where(power > 0, power, 1), 0.0)
        predicted = beta * predicted
        per_sample["beta"] = beta
    infid = ((predicted - df) ** 2).mean(axis=0)
    return MetricResult("infidelity", {"infidelity": float(infid.mean())}, {"infidelity": infid, **per_sample})
