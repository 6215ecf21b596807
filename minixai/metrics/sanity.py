"""Sanity checks: does the map change when the model (or what it learnt) is destroyed?

Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim 2018, "Sanity checks for saliency maps",
https://arxiv.org/abs/1810.03292. An explanation that explains the *model* must change when the
model's parameters are replaced by random ones; one that stays the same is an edge detector,
whatever it looks like. Two tests:

    model randomisation, cascading:   re-initialise the top layer, then the next one down as
                                      well, ... and compare each map with the original map
    model randomisation, independent: re-initialise one layer at a time, the rest untouched
    data randomisation:               retrain the same network on permuted labels and compare

    similarity(M, M') for each sample: Spearman rank correlation of M and M' (signed and of |M|),
    SSIM and the correlation of HOG features of the normalised magnitude maps.

Re-initialisation draws from the layer's own initial distribution (U(+-1/sqrt(fan_in)), PyTorch's
default), seeded by (seed, layer name), on a copy: the user's model is never touched. A layer gets
the same random weights in both modes, so cascading step 1 equals independent step 1.
Run by lessons/42_sanity.py.
"""
from __future__ import annotations

import inspect
import zlib
from copy import deepcopy
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParameterError, ShapeError, UnknownNameError, as_float_array, check_names
from ..explain.common import check_input, resolve_target
from ..nn.layer import uniform_init
# The similarities live in _similarity.py and are part of this module's public face.
from ._similarity import (SIMILARITIES, SIMILARITY_FUNCTIONS, hog, hog_1d, magnitude_map, rowwise_correlation,  # noqa: F401
                          spearman, spearman_abs, ssim)  # noqa: F401
from .common import MetricResult

MODES = ("cascading", "independent")


@dataclass(frozen=True)
class SanityResult(MetricResult):
    """Similarity of each step's maps to the original maps.

    ``steps``: what was randomised at each step (a layer name; "labels" for data randomisation);
    ``similarities[s]``: array (steps, N), one value per step and sample for similarity s.
    ``values["spearman@fc"]`` is the mean over samples, ``per_sample["spearman@fc"]`` the (N,) row.
    """
    mode: str = ""
    steps: tuple = ()
    similarities: dict = field(default_factory=dict)

    def median(self, similarity: str = "spearman_abs") -> np.ndarray:
        """Median over samples at each step: (steps,)."""
        check_names([similarity], self.similarities, "similarity")
        return np.median(self.similarities[similarity], axis=1)

    def passes(self, similarity: str = "spearman_abs", threshold: float = 0.5, step: int = -1) -> bool:
        """True when the median similarity at ``step`` is below ``threshold``: the map reacted.

        The default step is the last: in cascading mode the whole network re-initialised, so a map
        that still resembles the trained model's map (median Spearman of |map| >= 0.5) explains
        the input, not the model. ``step=0`` asks the stricter question of Adebayo et al.'s
        Fig. 2, whether re-initialising the logit layer alone moves the map. The paper judges by
        eye and gives no threshold; 0.5 is this library's choice.
        """
        return bool(self.median(similarity)[step] < threshold)

    def to_markdown(self, digits: int = 2) -> str:
        """One row per step, one column per similarity (medians over samples)."""
        head = f"| {self.mode} step | " + " | ".join(self.similarities) + " |"
        rows = [f"| {step} | " + " | ".join(f"{self.median(s)[i]:.{digits}f}" for s in self.similarities) + " |"
                for i, step in enumerate(self.steps)]
        return "\n".join([head, "|" + "---|" * (len(self.similarities) + 1)] + rows)


def resolve_explainer(explainer):
    """A name from ``minixai.explain.EXPLAINERS`` or a callable ``f(model, x, target, ...)``."""
    if callable(explainer):
        return explainer
    from ..explain import EXPLAINERS
    if isinstance(explainer, str):
        check_names([explainer], EXPLAINERS, "explainer")
        return EXPLAINERS[explainer]
    raise UnknownNameError(f"explainer: expected a name ({', '.join(EXPLAINERS)}) or a callable, got {explainer!r}")


def accepts(function, name: str) -> bool:
    """Whether ``function`` names a parameter ``name`` (a catch-all **kwargs does not count)."""
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def explain(explainer, model, x, target, seed=None, **params) -> np.ndarray:
    """Call an explainer, passing ``seed`` only to those that take one (stochastic methods)."""
    if seed is not None and "seed" not in params and accepts(explainer, "seed"):
        params["seed"] = seed
    return np.asarray(explainer(model, x, target, **params))


def _targets(model, x, target) -> np.ndarray:
    logits = np.concatenate([model.forward(x[i:i + 256]) for i in range(0, len(x), 256)])
    return resolve_target(target, logits)


def parametric_layers(model) -> list:
    """Names of the layers with parameters, top (output) first: the cascading order."""
    return [name for name in reversed(model.names) if model.layers[name].param_names]


def layer_seed(seed: int, name: str) -> np.random.Generator:
    """The generator for re-initialising layer ``name``: depends on (seed, name) only."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def randomised(model, layers, seed: int = 0):
    """A copy of ``model`` with the parameters of ``layers`` re-drawn from their initial distribution."""
    copy = deepcopy(model)
    for name in layers:
        layer = copy.layers[name]
        rng = layer_seed(seed, name)
        fan_in = layer.weight[0].size      # conv (O, C, k...) and dense (O, I) alike
        for p in layer.param_names:
            value = getattr(layer, p)
            setattr(layer, p, uniform_init(rng, value.shape, fan_in).astype(value.dtype))
    return copy


def _compare(original, maps_per_step, similarity) -> dict:
    unknown = [s for s in similarity if s not in SIMILARITY_FUNCTIONS]
    if unknown:
        raise UnknownNameError(f"similarity: unknown names {unknown}; valid names are {', '.join(SIMILARITIES)}")
    return {s: np.stack([SIMILARITY_FUNCTIONS[s](original, m) for m in maps_per_step]) for s in similarity}


def _result(name, mode, steps, similarities) -> SanityResult:
    values = {f"{s}@{step}": float(np.mean(v[i])) for s, v in similarities.items() for i, step in enumerate(steps)}
    per_sample = {f"{s}@{step}": v[i] for s, v in similarities.items() for i, step in enumerate(steps)}
    return SanityResult(name, values, per_sample, mode=mode, steps=tuple(steps), similarities=similarities)


def model_randomization(model, x, explainer, target=None, *, mode: str = "cascading", layers=None, seed: int = 0,
                        similarity=SIMILARITIES, **params) -> SanityResult:
    """Similarity of ``explainer``'s maps before and after re-initialising layers (Adebayo et al. 2018, sec. 3.1).

    explainer: a name in EXPLAINERS or ``f(model, x, target, **params)``; ``params`` go to it.
    mode: "cascading" (step i randomises the top i + 1 layers) or "independent" (only layer i).
    layers: the parametric layers to randomise (default all), always taken top first.
    target: fixed on the original model (default its predicted class) and kept for every step.
    seed: the re-initialisation's seed; stochastic explainers get it too, the same at every step.
    """
    if mode not in MODES:
        raise ParameterError(f"mode: expected one of {MODES}, got {mode!r}")
    explainer = resolve_explainer(explainer)
    x = check_input(model, x)
    if len(x) == 0:
        raise ParameterError("x: expected at least one sample, got an empty batch")
    candidates = parametric_layers(model)
    layers = candidates if layers is None else [n for n in candidates if n in list(layers)]
    if not layers:
        raise ParameterError(f"layers: expected names of layers with parameters ({', '.join(candidates)}), got none")
    target = _targets(model, x, target)
    original = explain(explainer, model, x, target, seed, **params)
    steps = [layers[:i + 1] if mode == "cascading" else [name] for i, name in enumerate(layers)]
    maps = [explain(explainer, randomised(model, chosen, seed), x, target, seed, **params) for chosen in steps]
    return _result("model_randomization", mode, layers, _compare(original, maps, similarity))


model_randomization.needs_explainer = True


def data_randomization(model, x, explainer, target=None, *, train, x_train, y_train, seed: int = 0,
                       similarity=SIMILARITIES, **params) -> SanityResult:
    """Similarity of the maps of ``model`` and of the same network trained on permuted labels
    (Adebayo et al. 2018, sec. 3.2).

    train: ``train(x_train, y_permuted, seed) -> model`` (``recipe_trainer`` gives the shipped
    models' recipes; tests pass a tiny one). ``values["train_accuracy_on_permuted_labels"]``
    says how well that model memorised the random labels.
    """
    explainer = resolve_explainer(explainer)
    x = check_input(model, x)
    x_train = as_float_array(x_train, "x_train")
    y_train = np.asarray(y_train)
    if y_train.shape != (len(x_train),):
        raise ShapeError(f"y_train: expected {len(x_train)} labels, got shape {y_train.shape}")
    permuted = np.random.default_rng(seed).permutation(y_train)
    noise_model = train(x_train, permuted, seed)
    target = _targets(model, x, target)
    original = explain(explainer, model, x, target, seed, **params)
    maps = [explain(explainer, noise_model, x, target, seed, **params)]
    result = _result("data_randomization", "labels", ["labels"], _compare(original, maps, similarity))
    memorised = float(np.mean(noise_model.predict(x_train) == permuted))
    result.values["train_accuracy_on_permuted_labels"] = memorised
    return result


def recipe_trainer(name: str = "mnist1d_cnn", *, epochs: int | None = None, progress: bool = False):
    """``train(x, y, seed) -> model``: the shipped model's recipe (minixai.models.train.RECIPES)."""
    from ..models.train import RECIPES
    from ..nn import Adam, fit
    check_names([name], RECIPES, "name")
    recipe = RECIPES[name]

    def train(x, y, seed):
        model = recipe.build(seed)
        optimizer = Adam(model, lr=recipe.lr, weight_decay=recipe.weight_decay)
        fit(model, x, y, epochs=epochs or recipe.epochs, batch_size=recipe.batch_size, optimizer=optimizer,
            seed=seed, progress=progress)
        return model
    return train
