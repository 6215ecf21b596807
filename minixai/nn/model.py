"""Sequential: named layers run in order, forward and backward, through any backward rule.

Layer-level reverse-mode autodiff in the Caffe / cs231n shape: ``trace`` runs the forward pass
and keeps every layer's input and output; ``Trace.backward`` walks the layers in reverse and
asks a *rule* (``minixai.rules``) how the signal crosses each one. The gradient rule gives the
chain rule; DeconvNet, guided backprop, DeepLIFT and LRP swap a few cells.

    model = Sequential([("conv1", Conv1d(1, 8, 5, padding=2)), ("relu1", ReLU()),
                        ("gap", GlobalAvgPool()), ("fc", Dense(8, 10))])
    trace = model.trace(x)                       # x (N, 1, L)
    grads = trace.backward(one_hot, keep=["conv1"], params=True)
    grads.input, grads.layers["conv1"], grads.params["fc.weight"]
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from .. import backends
from ..errors import ParameterError, ShapeError, StateDictError, as_float_array, check_names
from .layer import Layer, Record


@dataclass
class Signals:
    """What a backward pass returns, as host arrays.

    ``input``: the signal at the model's (or the slice's) input; ``layers[name]``: the signal at
    the output of each layer asked for in ``keep``; ``params["conv1.weight"]``: parameter
    gradients (PyTorch state-dict keys) when asked for.
    """

    input: np.ndarray
    layers: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


class Trace:
    """A forward pass that remembers: each layer's record, ready for a backward pass."""

    def __init__(self, model: "Sequential", names: list, records: list, backend, x):
        self.model, self.names, self.records, self.backend = model, names, records, backend
        self._x = x

    @property
    def output(self) -> np.ndarray:
        """The last traced layer's output (host array)."""
        return self.backend.to_numpy(self.records[-1].y)

    @property
    def input(self) -> np.ndarray:
        return self.backend.to_numpy(self._x)

    def activation(self, name: str) -> np.ndarray:
        """The output of layer ``name`` (host array)."""
        check_names([name], self.names, "layer")
        return self.backend.to_numpy(self.records[self.names.index(name)].y)

    def backward(self, grad=None, *, at: str | None = None, inject: dict | None = None, rule=None,
                 keep=(), params: bool = False, reference: "Trace | None" = None) -> Signals:
        """Send a signal from the output (or from layer ``at``) back to the input.

        grad: the signal at the output of layer ``at`` (default: the last traced layer), shaped
            like that output; None when the signal only comes from ``inject``.
        inject: ``{layer name: signal}`` added to the signal at those layers' outputs on the way
            down (objectives on inner layers); with ``grad=None``, ``at`` defaults to the
            deepest injected layer.
        rule: a ``minixai.rules.Rule``; default the gradient.
        keep: layer names whose output signal to return in ``Signals.layers``.
        params: also return parameter gradients (meaningful for the gradient rule).
        reference: the trace of a reference input through the same layers (DeepLIFT).
        """
        from ..rules.gradient import gradient
        rule = gradient if rule is None else rule
        inject = dict(inject or {})
        check_names(list(inject) + list(keep) + ([at] if at is not None else []), self.names, "layer")
        if grad is None and not inject:
            raise ParameterError("backward: give grad (the signal at the output) or inject={layer: signal}")
        if at is None:
            at = self.names[-1] if grad is not None else max(inject, key=self.names.index)
        for what, names in (("inject", list(inject)), ("keep", list(keep))):
            above = [name for name in names if self.names.index(name) > self.names.index(at)]
            if above:
                raise ParameterError(f"{what}: layers {above} come after at={at!r}, where the backward pass starts")
        if reference is not None and reference.names != self.names:
            raise ParameterError(f"reference: expected a trace through the same layers {self.names}, got {reference.names}")
        if rule.needs_reference and reference is None:
            raise ParameterError(f"rule {rule.name!r} needs reference=<trace of the reference input>")
        B = self.backend
        signal = None if grad is None else self._to_backend(grad, at, "grad")
        kept, param_grads = {}, {}
        for i in range(self.names.index(at), -1, -1):
            name, record = self.names[i], self.records[i]
            layer = self.model.layers[name]
            if name in inject:
                extra = self._to_backend(inject[name], name, f"inject[{name!r}]")
                signal = extra if signal is None else B.add(signal, extra)
            if signal is None:
                continue
            if name in keep:
                kept[name] = signal
            if params:
                for key, value in layer.param_grads(signal, record).items():
                    param_grads[f"{name}.{key}"] = value
            signal = rule.backward(layer, signal, record, reference.records[i] if reference is not None else None)
        # Copied to the host only now, so a GPU pass runs to the end without a sync.
        return Signals(B.to_numpy(signal), {k: B.to_numpy(v) for k, v in kept.items()},
                       {k: B.to_numpy(v) for k, v in param_grads.items()})

    def _to_backend(self, value, name: str, what: str):
        expected = tuple(self.records[self.names.index(name)].y.shape)
        value = as_float_array(value, what)
        if value.shape != expected:
            raise ShapeError(f"{what}: expected the shape of layer {name!r}'s output {expected}, got {value.shape}")
        return self.backend.asarray(value.astype(self.records[0].y.dtype, copy=False))


class Sequential:
    """An ordered set of named layers; ``model(x)`` returns the logits (host array)."""

    def __init__(self, layers):
        items = list(layers.items()) if isinstance(layers, dict) else list(layers)
        self.layers = OrderedDict()
        for item in items:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], Layer)):
                raise ParameterError(f"layers: expected (name, layer) pairs, got {item!r}")
            if item[0] in self.layers or "." in item[0] or not item[0]:
                raise ParameterError(f"layers: names must be unique, non-empty and without '.', got {item[0]!r}")
            self.layers[item[0]] = item[1]
        if not self.layers:
            raise ParameterError("layers: expected at least one layer")

    @property
    def names(self) -> list:
        return list(self.layers)

    def __call__(self, x, **kwargs) -> np.ndarray:
        return self.forward(x, **kwargs)

    def __repr__(self) -> str:
        body = "\n".join(f"  ({name}): {layer!r}" for name, layer in self.layers.items())
        return f"Sequential(\n{body}\n)"

    def slice_names(self, start: str | None = None, stop: str | None = None) -> list:
        """Names of the layers from ``start`` to ``stop``, both included (None: the ends)."""
        names = self.names
        check_names([n for n in (start, stop) if n is not None], names, "layer")
        i = 0 if start is None else names.index(start)
        j = len(names) - 1 if stop is None else names.index(stop)
        if j < i:
            raise ParameterError(f"stop: layer {stop!r} comes before start {start!r}")
        return names[i:j + 1]

    def name_after(self, name: str) -> str | None:
        """The name of the layer after ``name`` (None for the last): where to re-enter after it."""
        check_names([name], self.names, "layer")
        i = self.names.index(name)
        return self.names[i + 1] if i + 1 < len(self.names) else None

    def output_shape(self, shape: tuple, start: str | None = None, stop: str | None = None) -> tuple:
        """The output shape for an input of ``shape``; raises ShapeError naming the layer that refuses it."""
        for name in self.slice_names(start, stop):
            shape = self.layers[name].output_shape(tuple(shape), name)
        return shape

    def trace(self, x, start: str | None = None, stop: str | None = None, backend=None) -> Trace:
        """Run layers ``start``..``stop`` on x, keeping what a backward pass needs.

        Computes in float64 when x is float64, else float32 (parameters are cast to match).
        """
        names, x, B = self._prepare(x, start, stop, backend)
        a = B.asarray(x)
        x_backend, records = a, []
        for name in names:
            layer = self.layers[name]
            params = _params(layer, B, x.dtype)
            y, saved = layer.forward(a, B, params)
            records.append(Record(name, a, y, B, params, saved))
            a = y
        return Trace(self, names, records, B, x_backend)

    def forward(self, x, start: str | None = None, stop: str | None = None, backend=None) -> np.ndarray:
        """Output of layers ``start``..``stop`` on x (default: all, the logits) as a host array.

        The same computation as ``trace(...).output``, but each activation is dropped as soon as
        the next layer has read it and nothing a backward pass needs is made (``Layer.infer``:
        no records, no max-pool switches), so the memory allocator can hand the same blocks back
        layer after layer (the trace's many live arrays are fresh pages on every pass, which
        cost the MNIST-1D forward pass a third of its time).
        """
        names, x, B = self._prepare(x, start, stop, backend)
        a = B.asarray(x)
        for name in names:
            layer = self.layers[name]
            a = layer.infer(a, B, _params(layer, B, x.dtype))
        return B.to_numpy(a)

    def _prepare(self, x, start, stop, backend) -> tuple:
        """The layer names to run, x checked (float32 or float64) and shape-checked, and the backend."""
        names = self.slice_names(start, stop)
        x = as_float_array(x, "x")
        self.output_shape(x.shape, start, stop)
        return names, x, backends.resolve(backend)

    def predict(self, x, batch_size: int = 256, backend=None) -> np.ndarray:
        """Predicted class of each row of x, in batches."""
        x = as_float_array(x, "x")
        return np.concatenate([self.forward(x[i:i + batch_size], backend=backend).argmax(axis=1)
                               for i in range(0, len(x), batch_size)]) if len(x) else np.zeros(0, np.int64)

    def named_parameters(self) -> "OrderedDict[str, np.ndarray]":
        """``{"conv1.weight": array, ...}``: the parameter arrays themselves (optimisers update them in place)."""
        out = OrderedDict()
        for name, layer in self.layers.items():
            for p in layer.param_names:
                out[f"{name}.{p}"] = getattr(layer, p)
        return out

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of the parameters under PyTorch's keys, loadable by the equivalent torch.nn.Sequential."""
        return OrderedDict((k, v.copy()) for k, v in self.named_parameters().items())

    def load_state_dict(self, state: dict) -> None:
        """Copy ``state``'s arrays into the parameters; keys and shapes must match exactly."""
        own = self.named_parameters()
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise StateDictError(f"state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for key, target in own.items():
            value = np.asarray(state[key])
            if value.shape != target.shape:
                raise StateDictError(f"state_dict[{key!r}]: expected shape {target.shape}, got {value.shape}")
            target[...] = value  # in place, so an optimiser holding the arrays keeps working

    def astype(self, dtype) -> "Sequential":
        """Convert every parameter to ``dtype`` in place (float64 for gradient checks); returns self."""
        for key, value in self.named_parameters().items():
            name, p = key.split(".")
            setattr(self.layers[name], p, value.astype(dtype))
        return self

    def save(self, path) -> None:
        """Write one .npz with the state dict and the architecture (see ``minixai.nn.io``)."""
        from .io import save
        save(self, path)


def _params(layer: Layer, B, dtype) -> dict:
    """A layer's parameters on backend B, in the dtype of the pass (float64 for gradient checks)."""
    return {p: B.asarray(getattr(layer, p).astype(dtype, copy=False)) for p in layer.param_names}
