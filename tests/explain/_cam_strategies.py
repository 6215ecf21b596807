"""Models shared by the CAM-family tests (cam, gradcam, hirescam, xgradcam, layercam).

- ``gap_head_cases``: hypothesis strategy for random float64 models whose head is exactly
  [conv -> ReLU] -> conv -> (ReLU) -> GAP -> dense, in 1-D or 2-D: the head CAM applies to, where
  dy_c/dA_i^k = w_k^c / Z at every position i.
- ``pool_head_model``: a hand-weighted model whose head has a max-pool before the GAP, so the
  gradient at A differs from position to position and the methods disagree in ways one can
  compute by hand (``HAND``).
- ``torch_maps_and_gradients``: A and dy_c/dA from PyTorch autograd on ``to_torch(model)``, for
  cross-checks independent of minixai's engine (``TORCH_CASES``: 1-D and 2-D, float32 and 64).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from minixai.models import mnist1d_cnn, vgg7
from minixai.nn import Conv1d, Conv2d, Dense, GlobalAvgPool, MaxPool1d, ReLU, Sequential
from tests.explain._gradient_family_strategies import dense
from tests.strategies import seeds


@dataclass
class GapCase:
    model: Sequential
    x: np.ndarray
    layer: str          # the conv layer explained; GAP -> dense follow it (after its ReLU if any)


@st.composite
def gap_head_cases(draw, dims: int | None = None) -> GapCase:
    """Random small float64 models [conv1 -> relu1] -> conv -> [relu] -> GAP -> dense, and an input."""
    dims = draw(st.sampled_from([1, 2])) if dims is None else dims
    rng = np.random.default_rng(draw(seeds()))
    conv = Conv1d if dims == 1 else Conv2d
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x_shape = (n, c)
    size = [draw(st.integers(3, 12 if dims == 1 else 6)) for _ in range(dims)]
    layers = []
    if draw(st.booleans()):
        width = draw(st.integers(1, 3))
        layers += [("conv1", conv(c, width, 3, padding=1, rng=rng)), ("relu1", ReLU())]
        c = width
    k = draw(st.integers(1, 4))
    layers.append(("conv", conv(c, k, draw(st.integers(1, 3)), padding=1, bias=draw(st.booleans()), rng=rng)))
    if draw(st.booleans()):
        layers.append(("relu", ReLU()))
    classes = draw(st.integers(2, 4))
    layers += [("gap", GlobalAvgPool()), ("fc", Dense(k, classes, rng=rng))]
    model = Sequential(layers).astype(np.float64)
    return GapCase(model, rng.normal(size=(*x_shape, *size)), "conv")


def pool_head_model() -> tuple:
    """(model, x): 1x1 identity conv -> ReLU -> MaxPool1d(2) -> GAP -> Dense([[1, -1], [0, 1]]).

    A = x = [[1, 3, 2, 0], [2, 0, 0, 1]]; pooled [[3, 2], [2, 1]]; GAP [2.5, 1.5]; y = [1, 1.5].
    For class 0 the gradient at A is G = [[0, 1/2, 1/2, 0], [-1/2, 0, 0, -1/2]]: each pooled
    winner receives w_k / 2, the losers nothing.
    """
    conv = Conv1d(2, 2, 1, bias=False)
    conv.weight = np.eye(2)[:, :, None]
    model = Sequential([("conv", conv), ("relu", ReLU()), ("pool", MaxPool1d(2)), ("gap", GlobalAvgPool()),
                        ("fc", dense([[1, -1], [0, 1]]))])
    return model, np.array([[[1, 3, 2, 0], [2, 0, 0, 1]]], dtype=np.float64)


# Maps for class 0 of pool_head_model before any ReLU, at the layer's resolution (4 positions).
HAND = {
    # alpha = spatial means of G = [1/4, -1/4]: position 0 gets 1/4 - 2/4 although no gradient reaches it
    "gradcam": [-0.25, 0.75, 0.5, -0.25],
    # sum_k G^k A^k: only the pooled winners count
    "hirescam": [-1.0, 1.5, 1.0, -0.5],
    # sum_k ReLU(G^k) A^k: channel 1's negative gradients are dropped
    "layercam": [0.0, 1.5, 1.0, 0.0],
    # w = [(1.5 + 1) / 6, (-1 - 0.5) / 3] = [5/12, -1/2]
    "xgradcam": [5 / 12 - 1, 15 / 12, 10 / 12, -0.5],
}


TORCH_CASES = {
    "mnist1d_cnn-float64": (lambda: mnist1d_cnn(seed=1).astype(np.float64), (3, 1, 40), "conv3", 1e-10),
    "mnist1d_cnn-conv2-float32": (lambda: mnist1d_cnn(seed=3), (3, 1, 40), "conv2", 1e-5),
    "vgg7-float64": (lambda: vgg7(widths=(4, 8, 8), seed=1).astype(np.float64), (2, 3, 16, 16), "conv3_2", 1e-10),
    "vgg7-float32": (lambda: vgg7(widths=(4, 8, 8), seed=2), (2, 3, 16, 16), "conv3_1", 1e-5),
}
"""name -> (build model, x shape, conv layer, relative tolerance) for the cross-checks on the torch model."""


def torch_maps_and_gradients(case: str) -> tuple:
    """(model, x, layer, rtol, A, G): A at the ReLU after ``layer`` and G = dy_c/dA, c the predicted
    class, computed by PyTorch autograd on ``to_torch(model)``, independently of minixai's engine."""
    import torch

    from minixai.interop import to_torch

    build, shape, layer, rtol = TORCH_CASES[case]
    model = build()
    x = np.random.default_rng(0).normal(size=shape).astype(model.layers["fc"].weight.dtype)
    net = to_torch(model)
    kept = {}
    handle = getattr(net, layer.replace("conv", "relu")).register_forward_hook(lambda m, i, out: kept.update(A=out))
    logits = net(torch.tensor(x))
    handle.remove()
    score = logits[torch.arange(len(x)), logits.argmax(1)].sum()
    (G,) = torch.autograd.grad(score, kept["A"])
    return model, x, layer, rtol, kept["A"].detach().numpy(), G.numpy()


def relative_gap(mine: np.ndarray, theirs: np.ndarray) -> float:
    assert mine.shape == theirs.shape and mine.dtype == theirs.dtype, (mine.shape, theirs.shape, mine.dtype, theirs.dtype)
    return float(np.abs(mine - theirs).max() / np.abs(theirs).max())
