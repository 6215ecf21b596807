"""Figures: a 1-D signal with its attribution, a 2-D heat map over the image, a grid of methods.

Normalisation, the same everywhere: a map is divided by its largest absolute value, so
absolute maps lie in [0, 1] (colour map "inferno") and signed maps in [-1, 1] (diverging
"RdBu_r", white at zero, red positive). ``mode`` picks which: "auto" (signed when the map has
negative values), "signed", or "absolute" (|map|, for methods whose sign means nothing to the
reader). Channels are summed first, so an attribution of x's shape and a one-channel map
(the CAM family's (1, ...) output) draw alike. Each function draws one explained sample.
"""
from __future__ import annotations

from matplotlib import colormaps
# Figures are built without pyplot: they are written to files, no screen is assumed, and importing
# pyplot would add half a second to every `minixai explain`.
from matplotlib.figure import Figure
import numpy as np

from .errors import ParameterError


MODES = ("auto", "signed", "absolute")


def normalise(attribution: np.ndarray, mode: str = "auto") -> tuple:
    """(map / max|map|, signed?): signed is True for mode "signed", False for "absolute" (the map
    becomes |map|), and for "auto" True when the map has negative values."""
    if mode not in MODES:
        raise ParameterError(f"mode: expected one of {MODES}, got {mode!r}")
    attribution = np.asarray(attribution, dtype=np.float64)
    if mode == "absolute":
        attribution = np.abs(attribution)
    scale = np.abs(attribution).max()
    signed = mode == "signed" or (mode == "auto" and bool((attribution < 0).any()))
    return (attribution / scale if scale > 0 else attribution), signed


def plot_signal(ax, x: np.ndarray, attribution: np.ndarray, evidence: np.ndarray | None = None, title: str = "",
                mode: str = "auto"):
    """A 1-D signal x (C, L) or (L,) with its attribution as bars beneath; evidence mask shaded."""
    signal = np.asarray(x).reshape(-1, np.shape(x)[-1])
    values, signed = normalise(np.asarray(attribution).reshape(-1, signal.shape[-1]).sum(axis=0), mode)
    positions = np.arange(signal.shape[-1])
    low = signal.min() - 1.2 * np.ptp(signal) - 0.1
    if evidence is not None:
        ax.fill_between(positions, low, signal.max() + 0.1, where=np.asarray(evidence) > 0, step="mid",
                        color="tab:green", alpha=0.15, label="evidence")
    for channel in signal:
        ax.plot(positions, channel, color="k", lw=1.2)
    cmap = colormaps["RdBu_r" if signed else "inferno"]
    colours = cmap((values + 1) / 2 if signed else values)
    height = 0.9 * np.ptp(signal) + 0.1
    ax.bar(positions, np.abs(values) * height, bottom=low, color=colours, width=0.9)
    ax.set_xlim(-0.5, signal.shape[-1] - 0.5)
    ax.set_title(title)
    return ax


def plot_image(ax, x: np.ndarray, attribution: np.ndarray, title: str = "", alpha: float = 0.55, mode: str = "auto",
               colorbar: bool = True):
    """An image x (C, H, W) with its attribution map (H, W) or (C, H, W) overlaid, and a colour bar."""
    image = np.asarray(x)
    image = image.transpose(1, 2, 0) if image.shape[0] in (3, 4) else image[0]
    low, high = np.percentile(image, 1), np.percentile(image, 99)
    ax.imshow(np.clip((image - low) / (high - low + 1e-12), 0, 1), cmap="gray")
    heat = np.asarray(attribution)
    heat = heat.sum(axis=0) if heat.ndim == 3 else heat
    values, signed = normalise(heat, mode)
    shown = ax.imshow(values, cmap="RdBu_r" if signed else "inferno", vmin=-1 if signed else 0, vmax=1, alpha=alpha)
    if colorbar:
        ax.figure.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title)
    ax.axis("off")
    return ax


def plot_attribution(x: np.ndarray, attribution: np.ndarray, path=None, title: str = "", evidence=None,
                     mode: str = "auto"):
    """One sample's figure, 1-D or 2-D chosen by x's rank; written to ``path`` when given."""
    two_d = np.ndim(x) == 3
    fig = Figure(figsize=(5, 4) if two_d else (7, 3))
    ax = fig.subplots()
    if two_d:
        plot_image(ax, x, attribution, title, mode=mode)
    else:
        plot_signal(ax, x, attribution, evidence, title, mode=mode)
    return _finish(fig, path)


def plot_grid(x: np.ndarray, attributions: dict, path=None, title: str = "", evidence=None, mode: str = "auto",
              columns: int = 4):
    """One sample explained by several methods, a panel each: ``attributions`` maps a method's
    name to its attribution of x (C, ...) (x's shape or one channel)."""
    if not attributions:
        raise ParameterError("attributions: expected at least one {method name: attribution}, got none")
    two_d = np.ndim(x) == 3
    columns = min(columns, len(attributions))
    rows = -(-len(attributions) // columns)
    size = (2.6, 2.6) if two_d else (4.2, 2.2)
    fig = Figure(figsize=(size[0] * columns, size[1] * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, (name, attribution) in zip(axes.flat, attributions.items()):
        if two_d:
            plot_image(ax, x, attribution, name, mode=mode, colorbar=False)
        else:
            plot_signal(ax, x, attribution, evidence, name, mode=mode)
            ax.set_yticks([])
    for ax in list(axes.flat)[len(attributions):]:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
