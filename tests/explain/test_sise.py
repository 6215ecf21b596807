"""SISE: block layers, mask selection and scoring, the Otsu-gated fusion, and batch invariance."""
import numpy as np
import pytest
from hypothesis import given

from minixai.errors import NotApplicableError, ParameterError, UnknownNameError
from minixai.explain import sise
from minixai.explain._cam import upsample
from minixai.explain.sise import block_layers, fuse
from minixai.models import mnist1d_cnn, vgg7
from tests.explain._gradient_family_strategies import tiny_model
from tests.strategies import assert_agrees, model_cases


def test_block_layers_are_the_last_convs_before_each_pooling_layer():
    assert block_layers(mnist1d_cnn()) == ["conv1", "conv2", "conv3"]
    assert block_layers(vgg7(widths=(4, 4, 8))) == ["conv1_2", "conv2_2", "conv3_2"]
    assert block_layers(tiny_model()[0]) == ["conv1", "conv2"]


def test_fusion_gates_the_shallower_map_with_the_deeper_maps_otsu_mask():
    deep = np.array([0.0, 0.0, 2.0, 2.0])       # n(deep) = [0, 0, 1, 1]; Otsu splits 0 from 1
    shallow = np.array([5.0, 3.0, 5.0, 3.0])    # n(shallow) = [1, 0, 1, 0]
    # F = n([0, 0, 1, 1] + [1, 0, 1, 0] * [0, 0, 1, 1]) = n([0, 0, 2, 1])
    np.testing.assert_allclose(fuse([deep, shallow]), [0, 0, 1, 0.5])
    # A flat deeper map gates nothing: the shallower map comes through.
    np.testing.assert_allclose(fuse([np.zeros(4), shallow]), [1, 0, 1, 0])
    np.testing.assert_allclose(fuse([deep]), [0, 0, 1, 1])


def test_one_block_is_the_normalised_score_weighted_sum_of_its_positive_gradient_masks():
    model, x = tiny_model(seed=3, dtype=np.float64)
    x = x[:1]
    c = int(model(x).argmax())
    trace = model.trace(x)
    seed = np.zeros((1, 3))
    seed[0, c] = 1
    A = trace.activation("relu2")[0]                              # (4, L')
    beta = trace.backward(seed, keep=["relu2"]).layers["relu2"][0].mean(axis=1)
    expected = np.zeros(x.shape[2])
    for k in np.flatnonzero(beta > 0):
        up = upsample(A[k][None], x.shape[2:])[0]
        M = (up - up.min()) / (up.max() - up.min())
        logits = model(x * M)[0]
        expected += np.exp(logits[c]) / np.exp(logits).sum() * M
    expected = (expected - expected.min()) / (expected.max() - expected.min())
    np.testing.assert_allclose(sise(model, x, c, layers=["conv2"])[0, 0], expected, rtol=1e-12, atol=1e-12)


@given(model_cases())
def test_sise_maps_lie_in_zero_one_and_do_not_depend_on_batching(case):
    model, x = case.model, case.x
    target = model(x).argmax(axis=1)
    whole = sise(model, x, target)
    assert whole.shape == (len(x), 1, *x.shape[2:])
    assert whole.min() >= 0 and whole.max() <= 1
    np.testing.assert_array_equal(sise(model, x, target), whole)
    for i in range(len(x)):
        np.testing.assert_allclose(sise(model, x[i:i + 1], int(target[i]), batch_size=1), whole[i:i + 1],
                                   rtol=1e-10, atol=1e-12)


def test_max_maps_one_gives_the_mask_of_the_map_with_the_largest_average_gradient():
    model = mnist1d_cnn(seed=2).astype(np.float64)
    x = np.random.default_rng(0).normal(size=(1, 1, 40))
    c = int(model(x).argmax())
    trace = model.trace(x)
    seed = np.zeros((1, 10))
    seed[0, c] = 1
    beta = trace.backward(seed, keep=["relu2"]).layers["relu2"][0].mean(axis=1)
    up = upsample(trace.activation("relu2")[0, beta.argmax()][None], (40,))[0]
    # One mask M in [0, 1]: V = f_c(x * M) M, and normalising V gives M back.
    np.testing.assert_allclose(sise(model, x, c, layers=["conv2"], max_maps=1)[0, 0],
                               (up - up.min()) / (up.max() - up.min()), rtol=1e-12, atol=1e-12)
    assert not np.allclose(sise(model, x, c, layers=["conv2"]), sise(model, x, c, layers=["conv2"], max_maps=1))


def test_bad_input_raises_minixai_errors():
    model, x = tiny_model()
    with pytest.raises(NotApplicableError, match="minixai model"):
        sise(lambda z: model(z), x)
    with pytest.raises(UnknownNameError, match="conv1"):
        sise(model, x, layers=["nope"])
    with pytest.raises(ParameterError, match="threshold"):
        sise(model, x, threshold=2)
    with pytest.raises(ParameterError, match="max_maps"):
        sise(model, x, max_maps=0)


def test_every_backend_agrees_with_numpy(backend):
    model, x = tiny_model(seed=2, dtype=np.float64)
    assert_agrees(sise(model, x, backend=backend), sise(model, x, backend="numpy"), "sise")
