"""DeepDream: gradient ascent on 1/2 ||A_layer||^2 with normalised steps, octaves and jitter."""
import numpy as np
import pytest

from minixai.errors import NotApplicableError, ParameterError, UnknownNameError
from minixai.explain import EXPLAINERS, deepdream
from minixai.models import mnist1d_cnn, vgg7
from minixai.nn import Conv1d, Sequential
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees


def layer_energy(model, x, layer):
    A = model.forward(x, stop=layer)
    return 0.5 * (A * A).reshape(len(x), -1).sum(axis=1)


def test_deepdream_is_registered_inside_the_model():
    assert EXPLAINERS["deepdream"] is deepdream


def test_one_step_on_a_linear_layer_is_the_normalised_gradient_by_hand():
    # A = w * x (a 1 x 1 convolution, w = 2): L = 1/2 ||A||^2 has dL/dx = w^2 x = 4 x, so one step
    # adds eta 4 x / mean|4 x| = eta x / mean|x|, eta = step_size (max x - min x) = 0.1 * 4.
    conv = Conv1d(1, 1, 1, bias=False)
    conv.weight = np.full((1, 1, 1), 2.0)
    model = Sequential([("conv", conv)])
    x = np.array([[[1.0, -1.0, 2.0, -2.0]]])
    dreamed = deepdream(model, x, layer="conv", steps=1, step_size=0.1, octaves=1, jitter=0, clip=None)
    np.testing.assert_allclose(dreamed, x + 0.4 * x / 1.5, rtol=1e-14)


@pytest.mark.parametrize("dims", [1, 2])
def test_the_dream_raises_the_layers_energy_on_signals_and_images(dims):
    if dims == 1:
        model, layer = mnist1d_cnn(seed=1), "relu2"
        x = np.random.default_rng(0).normal(size=(3, 1, 40)).astype(np.float32)
    else:
        model, layer = vgg7(widths=(4, 4, 8), seed=1), "relu2_2"
        x = np.random.default_rng(0).uniform(size=(2, 3, 32, 32)).astype(np.float32)
    dreamed = deepdream(model, x, layer=layer, steps=5)
    assert dreamed.shape == x.shape and dreamed.dtype == x.dtype
    assert np.all(layer_energy(model, dreamed, layer) > layer_energy(model, x, layer))
    # clip="input" (the default) keeps each row inside its own value range
    assert np.all(dreamed.min(axis=tuple(range(1, x.ndim))) >= x.min(axis=tuple(range(1, x.ndim))))
    assert np.all(dreamed.max(axis=tuple(range(1, x.ndim))) <= x.max(axis=tuple(range(1, x.ndim))))


def test_without_steps_the_octaves_give_back_x_exactly():
    model, x = tiny_model(seed=0, dtype=np.float64)
    np.testing.assert_array_equal(deepdream(model, x, steps=0, octaves=2), x)


def test_the_dream_is_deterministic_under_a_seed_and_independent_of_the_batch_size():
    model = mnist1d_cnn(seed=2).astype(np.float64)
    x = np.random.default_rng(1).normal(size=(3, 1, 40))
    one = deepdream(model, x, steps=4, jitter=3, seed=5)
    np.testing.assert_array_equal(one, deepdream(model, x, steps=4, jitter=3, seed=5))
    np.testing.assert_allclose(deepdream(model, x, steps=4, jitter=3, seed=5, batch_size=1), one, atol=1e-12)
    assert not np.array_equal(deepdream(model, x, steps=4, jitter=3, seed=6), one)


def test_every_backend_agrees_with_numpy(backend):
    model, x = tiny_model(seed=0)
    expected = deepdream(model, x, steps=2, octaves=1, backend="numpy")
    assert_agrees(deepdream(model, x, steps=2, octaves=1, backend=backend), expected, "deepdream")


def test_a_bare_callable_is_not_applicable():
    model, x = tiny_model()
    with pytest.raises(NotApplicableError, match="model: deepdream needs a minixai Sequential"):
        deepdream(lambda batch: model(batch), x)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"layer": "relu9"}, UnknownNameError, "layer: unknown name 'relu9'; valid names are conv1"),
    ({"octaves": 6, "octave_scale": 2.0}, ParameterError, "octaves: the smallest octave"),
    ({"octave_scale": 0.5}, ParameterError, "octave_scale"),
    ({"steps": -1}, ParameterError, "steps"),
    ({"step_size": -0.1}, ParameterError, "step_size"),
    ({"clip": "data", "octaves": 1}, ParameterError, "clip: expected 'input', None or"),
])
def test_bad_parameters_raise_errors_that_name_them(kwargs, error, match):
    model, x = tiny_model()
    with pytest.raises(error, match=match):
        deepdream(model, x, **kwargs)
