"""Activation maximisation: the input a class (or one unit) responds to most, found by gradient ascent.

Erhan, Bengio, Courville & Vincent 2009, "Visualizing higher-layer features of a deep network";
Simonyan, Vedaldi & Zisserman 2013, https://arxiv.org/abs/1312.6034 (class-model visualisation).
Seed 003_9e1ffa84955ffc85.txt, the untitled slides after sensitivity analysis: "What does a
class model look like?" and "We compute a (regularised) image I with a high class score ...
initialised with the zero image"; seed 004_2a6fa647e63a0a0a.txt, section "Activation Maximization":

    I* = argmax_I  S(I) - lambda ||I||_2^2,    I_0 = 0
    step t:  d = dS/dI - 2 lambda I,   I <- I + eta_t d / mean|d|,   eta_t = step_size (1 - t / steps)

S is the class score y_c (pre-softmax: the slide notes that maximising the softmax P_c gives
worse pictures, since P_c also rises when the other classes' scores fall), P_c with
objective="probability", or a unit of a named layer: a channel's mean over positions or one
element. Each step moves the input by eta_t on average (per row), whatever the scale of the
model's gradients, and the steps shrink linearly to zero so the ascent settles; where d = 0,
dS/dI = 2 lambda I, the optimum of the regularised objective, whatever the step sizes. The
zero image can be a local maximum of S_c (every pooling window ties there): small steps then
never leave it, which is why the default first step is large (0.2; lesson 30 measures this).
Regularisers of Yosinski, Clune, Nguyen, Fuchs & Lipson 2015 (https://arxiv.org/abs/1506.06579):
jitter (roll the input by a random shift, roll the gradient back), a Gaussian blur every few
steps, clipping to a value range, and zeroing the pixels of smallest norm.
Run by lessons/30_activation_maximization.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError, ShapeError, UnknownNameError, as_float_array, check_names
from ..nn import softmax
from ..nn.layer import positive_int
from ._ascent import check_nonnegative, jitter_shifts, require_sequential, roll, row_mean_abs
from ._variants import resolve_batch_size, targets_of
from .common import check_input, one_hot, resolve_target

OBJECTIVES = ("score", "probability")


def activation_maximization(model, x=None, target=None, *, objective: str = "score", layer: str | None = None,
                            unit=None, start="zero", steps: int = 50, step_size: float = 0.2, l2: float = 1.0,
                            jitter: int = 0, blur_every: int = 0, blur_sigma: float = 0.5, clip=None,
                            clip_small: float = 0.0, seed=0, return_trajectory: bool = False,
                            batch_size: int | None = None, backend=None):
    """The input maximising S - l2 ||I||^2, one row per objective: (rows, C, *spatial).

    x: only its shape (C, *spatial) is used, and its rows as starting points with start="x";
        x=None needs a batched array ``start`` (rows, C, *spatial).
    target: the classes (None: the predicted class of each row of x; an int; a list), one row each.
    layer, unit: maximise a unit of layer ``layer`` instead: ``unit`` an int (channel, mean over
        positions), a tuple (channel, *position), or a list of those (one row each); None: channel 0.
    start: "zero", "x" or an array (C, *spatial) or (rows, C, *spatial).
    clip: (low, high) value range kept after each step; clip_small: zero the pixels whose norm
        over channels is below this percentile (0-100) of the row.
    return_trajectory: also return the objective S - l2 ||I||^2 before each step and at the end
        (rows, steps + 1) (with jitter, S is evaluated on the shifted input).
    """
    require_sequential(model, "activation_maximization")
    steps, blur_every = positive_int(steps, "steps", minimum=0), positive_int(blur_every, "blur_every", minimum=0)
    step_size, l2 = check_nonnegative(step_size, "step_size"), check_nonnegative(l2, "l2")
    blur_sigma = check_nonnegative(blur_sigma, "blur_sigma")
    if objective not in OBJECTIVES:
        raise UnknownNameError(f"objective: unknown name {objective!r}; valid names are {', '.join(OBJECTIVES)}")
    if clip is not None and np.shape(clip) != (2,):
        raise ParameterError(f"clip: expected None or a (low, high) pair, got {clip!r}")
    if not 0 <= clip_small < 100:
        raise ParameterError(f"clip_small: expected a percentile in [0, 100), got {clip_small!r}")
    I0, seeds = _start_and_seeds(model, x, target, objective, layer, unit, start, batch_size, backend)
    shifts = jitter_shifts(seed, steps, I0.ndim - 2, jitter)
    batch = resolve_batch_size(I0, batch_size)
    regularise = _regulariser(blur_every, blur_sigma, clip, clip_small)
    runs = [_ascend(model, I0[i:i + batch], seeds, slice(i, i + batch), objective, layer, steps, step_size, l2,
                    shifts, regularise, backend) for i in range(0, len(I0), batch)]
    out = np.concatenate([I for I, _ in runs]).astype(I0.dtype, copy=False)
    return (out, np.concatenate([h for _, h in runs])) if return_trajectory else out


def _ascend(model, I, seeds, rows, objective, layer, steps, step_size, l2, shifts, regularise, backend) -> tuple:
    """Gradient ascent on the rows ``rows``: (final I, objective S - l2 ||I||^2 at each step (rows, steps + 1))."""
    history = []
    for t in range(steps + 1):
        value, grad = _objective(model, roll(I, shifts[t]), seeds, rows, objective, layer, backend)
        history.append(value - l2 * np.sum(I * I, axis=tuple(range(1, I.ndim))))
        if t == steps:
            break
        ascent = roll(grad, -shifts[t]) - 2 * l2 * I                   # d/dI (S - lambda ||I||^2)
        I = regularise(I + step_size * (1 - t / steps) * ascent / row_mean_abs(ascent), t)
    return I, np.stack(history, axis=1)


def _regulariser(blur_every: int, blur_sigma: float, clip, clip_small: float):
    """Yosinski et al.'s regularisers after step t: blur every ``blur_every`` steps, then clipping."""
    def regularise(I: np.ndarray, t: int) -> np.ndarray:
        if blur_every and (t + 1) % blur_every == 0:
            from scipy.ndimage import gaussian_filter  # lazy: `minixai explain` starts faster
            I = gaussian_filter(I, sigma=(0, 0) + (blur_sigma,) * (I.ndim - 2))
        if clip is not None:
            I = np.clip(I, *clip)
        if clip_small:
            norm = np.sqrt((I * I).sum(axis=1, keepdims=True))
            cut = np.percentile(norm.reshape(len(I), -1), clip_small, axis=1).reshape((-1,) + (1,) * (I.ndim - 1))
            I = np.where(norm < cut, 0, I)
        return I
    return regularise


def _objective(model, I, seeds, rows, objective, layer, backend) -> tuple:
    """(S per row, dS/dI): the class score or probability, or the linear unit functional sum(seed * A)."""
    if layer is not None:
        trace = model.trace(I, stop=layer, backend=backend)
        seed = seeds[rows].astype(I.dtype, copy=False)
        return (seed * trace.output).sum(axis=tuple(range(1, seed.ndim))), trace.backward(seed).input
    trace = model.trace(I, backend=backend)
    logits, classes = trace.output, seeds[rows]
    signal = one_hot(classes, logits.shape[1], logits.dtype)
    if objective == "score":
        return logits[np.arange(len(I)), classes], trace.backward(signal).input
    p = softmax(logits)
    p_c = p[np.arange(len(I)), classes][:, None]
    return p_c[:, 0], trace.backward(p_c * (signal - p)).input  # dP_c/dz = P_c (e_c - P)


def _start_and_seeds(model, x, target, objective, layer, unit, start, batch_size, backend) -> tuple:
    """(I_0 (rows, C, *spatial), per-row objective: classes (rows,) or unit seeds (rows, *A's shape))."""
    if x is None:
        if isinstance(start, str):
            raise ParameterError("x: give an input (its shape sets the image size), or x=None with an array start")
        x = check_input(model, as_float_array(start, "start"))  # a batched start (rows, C, *spatial)
    else:
        x = check_input(model, x)
    if layer is not None:
        check_names([layer], model.names, "layer")
        if target is not None:
            raise ParameterError("target: maximise classes (target) or a unit of a layer (layer=, unit=), not both")
        if objective != "score":
            raise ParameterError(f"objective: {objective!r} applies to classes; with layer= the objective is the unit")
        seeds = _unit_seeds(model.output_shape((1, *x.shape[1:]), stop=layer)[1:], unit, layer)
    else:
        if unit is not None:
            raise ParameterError("unit: needs layer= (the layer whose unit to maximise)")
        if target is None:
            seeds = targets_of(model, x, None, batch_size, backend)
        else:
            classes = np.atleast_1d(np.asarray(target))
            seeds = resolve_target(classes, np.empty((len(classes), model.output_shape((1, *x.shape[1:]))[1])))
    rows = len(seeds)
    if isinstance(start, str):
        if start == "zero":
            return np.zeros((rows, *x.shape[1:]), dtype=x.dtype), seeds
        if start == "x":
            return _broadcast_rows(x, rows, "x"), seeds
        raise UnknownNameError(f"start: unknown name {start!r}; valid names are zero, x (or an array)")
    begin = as_float_array(start, "start").astype(x.dtype)
    begin = begin[None] if begin.ndim == x.ndim - 1 else begin
    if begin.shape[1:] != x.shape[1:]:
        raise ShapeError(f"start: expected shape {x.shape[1:]} or (rows, *{x.shape[1:]}), got {begin.shape}")
    return _broadcast_rows(begin, rows, "start"), seeds


def _broadcast_rows(a: np.ndarray, rows: int, name: str) -> np.ndarray:
    if len(a) == rows:
        return a.copy()
    if len(a) == 1:
        return np.repeat(a, rows, axis=0)
    raise ShapeError(f"{name}: expected 1 or {rows} rows (one per objective), got {len(a)}")


def _unit_seeds(shape: tuple, unit, layer: str) -> np.ndarray:
    """(rows, *shape) linear functionals on layer ``layer``'s output: a channel's mean, or one element."""
    units = unit if isinstance(unit, list) else [0 if unit is None else unit]
    seeds = np.zeros((len(units), *shape))
    for r, u in enumerate(units):
        if isinstance(u, (int, np.integer)) and not isinstance(u, bool):
            if not 0 <= u < shape[0]:
                raise ParameterError(f"unit: channel {u} out of range: layer {layer!r} has {shape[0]} channels")
            seeds[r, u] = 1 / max(1, int(np.prod(shape[1:])))
        elif isinstance(u, tuple) and len(u) == len(shape) and all(isinstance(i, (int, np.integer)) for i in u):
            if not all(0 <= i < s for i, s in zip(u, shape)):
                raise ParameterError(f"unit: index {u} out of range for layer {layer!r}'s output shape {shape}")
            seeds[(r, *u)] = 1
        else:
            raise ParameterError(f"unit: expected a channel (int) or an index {len(shape)}-tuple into layer "
                                 f"{layer!r}'s output {shape}, or a list of them; got {u!r}")
    return seeds
