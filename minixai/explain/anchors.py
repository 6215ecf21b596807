"""Anchors: a small set of segments that, kept in place, fixes the prediction with high precision.

Ribeiro, Singh & Guestrin 2018, "Anchors: high-precision model-agnostic explanations", AAAI,
https://ojs.aaai.org/index.php/AAAI/article/view/11491. Seed 004_2a6fa647e63a0a0a.txt, slide
"Anchor Explanations": superpixels, present or absent, absent ones shown as their mean colour
(or another picture, here ``baseline``).

A perturbation keeps every segment of the anchor A and each other segment with probability
``p_on`` (the rest show the baseline). With c the class of x,

    prec(A) = P(class of h_x(z) = c | z keeps A)         (estimated by sampling)
    cov(A)  = P(z keeps A) = p_on^|A|                    (exact here)

and the anchor is the A of largest coverage with prec(A) >= tau (0.95). Beam search grows the
anchors one segment at a time; at each size the KL-LUCB bandit (Kaufmann & Kalyanakrishnan 2013)
samples candidates until the ``beam_size`` best are known to within ``epsilon`` with confidence
1 - ``delta``. A candidate is accepted once its lower confidence bound (confidence 1 - delta)
reaches tau, the paper's prec_lb(A) >= tau; sampling it stops there, when its estimate falls
below tau, or after ``max_samples``. The empty anchor (coverage 1) is tried first; coverage
falls with size, so the first size with an accepted anchor ends the search. A candidate starts
from the earlier draws of its parents that kept it (exact draws of its own distribution). The
map is 1 on the anchor's segments. Run by lessons/27_anchors.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..nn.layer import positive_int
from ._segments import Features

# KL-LUCB's exploration rate beta(t) = log(K1 K t^ALPHA / delta) (Kaufmann & Kalyanakrishnan 2013)
K1, ALPHA = 405.5, 1.1


def anchors(model, x, target=None, *, tau: float = 0.95, epsilon: float = 0.1, delta: float = 0.05,
            beam_size: int = 1, p_on: float = 0.5, pull: int = 10, max_samples: int = 100,
            max_size: int | None = None, segments="auto", n_segments: int | None = None,
            segment_params: dict | None = None, baseline="mean", return_details: bool = False, seed=None,
            batch_size: int | None = None, backend=None):
    """1 on the anchor's segments, 0 elsewhere: (N, 1, *x's spatial size).

    ``pull``: perturbations drawn per bandit step; ``max_samples``: the most drawn for one
    candidate. ``return_details=True`` returns (map, details), one dict per row with "features"
    (sorted segment indices), "precision", "coverage", "samples" (model calls spent) and
    "labels" (the row's segments).
    """
    for name, value in (("tau", tau), ("epsilon", epsilon), ("delta", delta), ("p_on", p_on)):
        if not 0 < value < 1 and not (name == "tau" and value == 1):
            raise ParameterError(f"{name}: expected a number in (0, 1), got {value!r}")
    beam_size, pull = positive_int(beam_size, "beam_size"), positive_int(pull, "pull")
    max_samples = positive_int(max_samples, "max_samples")
    features = Features(model, x, target, segments=segments, n_segments=n_segments, segment_params=segment_params,
                        baseline=baseline, batch_size=batch_size, backend=backend)
    details = []
    for i in range(len(features)):
        arms = _Arms(features, i, p_on, pull, max_samples, np.random.default_rng(seed))
        anchor = _search(arms, features.m(i) if max_size is None else positive_int(max_size, "max_size"),
                         tau, epsilon, delta, beam_size)
        details.append({"features": sorted(int(j) for j in anchor), "precision": arms.mean(anchor),
                        "coverage": p_on ** len(anchor), "samples": arms.spent, "labels": features.labels[i]})
    masks = [np.isin(np.arange(features.m(i)), d["features"]).astype(np.float64) for i, d in enumerate(details)]
    R = features.to_positions(masks)
    return (R, details) if return_details else R


class _Arms:
    """Precision estimates of candidate anchors of row i: counts of samples and of hits per anchor.

    Every perturbation is kept. One drawn for anchor B (B's segments kept, the others on with
    probability p_on, independently) that happens to keep all of A, for A containing B, is a draw
    from A's own distribution: conditioning on independent coordinates. So a new candidate
    starts with the matching earlier draws of its parents instead of fresh model calls.
    """

    def __init__(self, features: Features, i: int, p_on: float, pull: int, max_samples: int, rng):
        self.features, self.i, self.p_on, self.rng = features, i, p_on, rng
        self.pull, self.max_samples = pull, max_samples
        self.n, self.hits, self.spent = {}, {}, 0
        m = features.m(i)
        self.kept, self.drawn_for, self.hit = np.zeros((0, m), bool), np.zeros((0, m), bool), np.zeros(0, bool)

    def reuse(self, a) -> None:
        """Start anchor a's counts from the earlier draws that are draws of a's distribution."""
        if a in self.n:
            return
        mask = np.isin(np.arange(self.kept.shape[1]), list(a))
        match = self.kept[:, mask].all(axis=1) & ~(self.drawn_for & ~mask).any(axis=1)
        self.n[a], self.hits[a] = int(match.sum()), int(self.hit[match].sum())

    def sample(self, anchors: list) -> None:
        """``pull`` more perturbations for each anchor, all in one predict call."""
        anchors = [a for a in anchors if self.n.get(a, 0) < self.max_samples]
        if not anchors:
            return
        m = self.features.m(self.i)
        z = self.rng.random((len(anchors), self.pull, m)) < self.p_on
        drawn_for = np.zeros_like(z)
        for k, a in enumerate(anchors):
            z[k][:, list(a)] = True
            drawn_for[k][:, list(a)] = True
        hits = self.features.classes(self.i, z.reshape(-1, m)) == self.features.target[self.i]
        for k, a in enumerate(anchors):
            self.n[a] = self.n.get(a, 0) + self.pull
            self.hits[a] = self.hits.get(a, 0) + int(hits[k * self.pull:(k + 1) * self.pull].sum())
        self.kept = np.concatenate([self.kept, z.reshape(-1, m)])
        self.drawn_for = np.concatenate([self.drawn_for, drawn_for.reshape(-1, m)])
        self.hit = np.concatenate([self.hit, hits])
        self.spent += len(hits)

    def mean(self, a) -> float:
        return self.hits[a] / self.n[a] if self.n.get(a) else 0.0

    def bound(self, a, level: float, upper: bool) -> float:
        return kl_bound(self.mean(a), level / max(self.n.get(a, 0), 1), upper)

    def saturated(self, a) -> bool:
        return self.n.get(a, 0) >= self.max_samples


def _search(arms: _Arms, max_size: int, tau: float, epsilon: float, delta: float, beam_size: int) -> frozenset:
    """Beam search over anchor sizes; the first size with an accepted anchor ends it."""
    m = arms.features.m(arms.i)
    beam = [frozenset()]
    if _accepted(arms, beam[0], tau, delta):
        return beam[0]
    for _ in range(min(max_size, m)):
        candidates = sorted({a | {j} for a in beam for j in range(m) if j not in a}, key=sorted)
        beam = kl_lucb(arms, candidates, beam_size, epsilon, delta, tau)
        valid = [a for a in beam if _accepted(arms, a, tau, delta)]
        if valid:
            return max(valid, key=arms.mean)
    return max(beam, key=arms.mean)


def _accepted(arms: _Arms, a, tau: float, delta: float) -> bool:
    """Sample while the estimate is >= tau but its lower bound is below tau."""
    arms.reuse(a)
    if arms.n[a] < arms.pull:
        arms.sample([a])
    level = np.log(1 / delta)
    while arms.mean(a) >= tau and arms.bound(a, level, upper=False) < tau and not arms.saturated(a):
        arms.sample([a])
    return arms.mean(a) >= tau and arms.bound(a, level, upper=False) >= tau


def kl_lucb(arms: _Arms, candidates: list, beam_size: int, epsilon: float, delta: float, tau: float) -> list:
    """The ``beam_size`` candidates of highest precision, to within epsilon (KL-LUCB).

    Stops early once every one of the current best would be accepted as an anchor: candidates of
    one size have the same coverage, so which of several valid ones wins does not matter.
    """
    for a in candidates:
        arms.reuse(a)
    arms.sample([a for a in candidates if arms.n[a] < arms.pull])
    if len(candidates) <= beam_size:
        return candidates
    t = 1
    while True:
        means = np.array([arms.mean(a) for a in candidates])
        order = np.argsort(-means, kind="stable")
        best, rest = order[:beam_size], order[beam_size:]
        level = np.log(K1 * len(candidates) * t ** ALPHA / delta)
        lower = np.array([arms.bound(candidates[j], level, upper=False) for j in best])
        upper = np.array([arms.bound(candidates[j], level, upper=True) for j in rest])
        weakest, strongest = candidates[best[lower.argmin()]], candidates[rest[upper.argmax()]]
        valid = all(arms.mean(candidates[j]) >= tau and arms.bound(candidates[j], np.log(1 / delta), upper=False) >= tau
                    for j in best)
        if valid or upper.max() - lower.min() <= epsilon or (arms.saturated(weakest) and arms.saturated(strongest)):
            return [candidates[j] for j in best]
        arms.sample([weakest, strongest])
        t += 1


def kl_bound(p: float, level: float, upper: bool) -> float:
    """The q furthest from p (above if ``upper``) with KL(Bernoulli p || Bernoulli q) <= level."""
    lo, hi = (p, 1.0) if upper else (0.0, p)
    for _ in range(40):
        q = (lo + hi) / 2
        inside = _kl(p, q) <= level
        if upper:
            lo, hi = (q, hi) if inside else (lo, q)
        else:
            lo, hi = (lo, q) if inside else (q, hi)
    return lo if upper else hi


def _kl(p: float, q: float) -> float:
    q = min(max(q, 1e-12), 1 - 1e-12)
    total = 0.0
    if p > 0:
        total += p * np.log(p / q)
    if p < 1:
        total += (1 - p) * np.log((1 - p) / (1 - q))
    return total
