"""PyTorch interop: the same architecture and weights as a ``torch.nn.Sequential``, and back.

minixai keeps PyTorch's layouts and state-dict keys, so conversion is a loop over layers with
the weights copied unchanged. Used by the cross-checks against Captum and by the benchmarks;
needs the optional ``compare`` extra (``pip install -e .[compare]``).
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .errors import NotApplicableError
from .nn import Conv1d, Conv2d, Dense, Flatten, GlobalAvgPool, MaxPool1d, MaxPool2d, ReLU, Sequential


def _torch():
    try:
        import torch
    except ImportError:
        raise NotApplicableError("interop needs PyTorch: pip install -e .[compare]") from None
    return torch


def to_torch(model: Sequential, dtype=None):
    """A ``torch.nn.Sequential`` with the same named layers and a copy of the weights."""
    torch = _torch()
    nn = torch.nn

    class GlobalAvgPoolTorch(nn.Module):
        """Mean over every position: (N, C, L) or (N, C, H, W) -> (N, C)."""

        def forward(self, x):
            return x.flatten(2).mean(dim=2)

    modules = OrderedDict()
    for name, layer in model.layers.items():
        if isinstance(layer, Conv1d):
            module = nn.Conv1d(layer.in_channels, layer.out_channels, layer.kernel_size[1], layer.stride[1],
                               layer.padding[1], bias=layer.bias is not None)
        elif isinstance(layer, Conv2d):
            module = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                               layer.padding, bias=layer.bias is not None)
        elif isinstance(layer, ReLU):
            module = nn.ReLU()
        elif isinstance(layer, MaxPool1d):
            module = nn.MaxPool1d(layer.kernel_size[1], layer.stride[1])
        elif isinstance(layer, MaxPool2d):
            module = nn.MaxPool2d(layer.kernel_size, layer.stride)
        elif isinstance(layer, GlobalAvgPool):
            module = GlobalAvgPoolTorch()
        elif isinstance(layer, Flatten):
            module = nn.Flatten()
        elif isinstance(layer, Dense):
            module = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
        else:
            raise NotApplicableError(f"to_torch: no PyTorch equivalent for layer {name!r} ({type(layer).__name__})")
        modules[name] = module
    net = nn.Sequential(modules)
    state = model.state_dict()
    if dtype is None:
        dtype = torch.float64 if any(v.dtype == np.float64 for v in state.values()) else torch.float32
    net = net.to(dtype)
    net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)).to(dtype) for k, v in state.items()})
    return net.eval()


def from_torch_state_dict(model: Sequential, state: dict) -> Sequential:
    """Load a PyTorch state dict (tensors or arrays) into ``model``; returns the model."""
    model.load_state_dict({k: (v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v))
                           for k, v in state.items()})
    return model
