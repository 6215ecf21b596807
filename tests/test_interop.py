"""PyTorch interop: the same state dict gives the same logits and gradients in PyTorch, and back.

``minixai.interop.to_torch`` builds a ``torch.nn.Sequential`` with the same layer names and a copy
of the weights. Both frameworks then see identical parameters, so the logits, input gradients and
parameter gradients of a loss must agree to float32 rounding: 1e-5 relative to the largest value
of each compared array. Runs when PyTorch is installed (the ``compare`` extra).
"""
import numpy as np
import pytest
from hypothesis import assume, given

torch = pytest.importorskip("torch")

from minixai.interop import from_torch_state_dict, to_torch  # noqa: E402
from minixai.models import mnist1d_cnn, vgg7  # noqa: E402
from minixai.nn import Sequential, softmax_cross_entropy  # noqa: E402
from tests.strategies import conv_cases, make_array, model_cases, near_kink, pool_cases, seeds  # noqa: E402

RTOL = 1e-5
MODELS = {"mnist1d_cnn": (lambda: mnist1d_cnn(seed=1), (4, 1, 40)),
          "vgg7": (lambda: vgg7(seed=1), (2, 3, 32, 32))}
# "default": the backend minixai.use / $MINIXAI_BACKEND selects (numba unless told otherwise).
WHERE = {"default": None, "numpy": "numpy"}


def assert_close(actual, expected, what=""):
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=RTOL * max(1.0, float(np.abs(expected).max())),
                               err_msg=what)


def torch_grads(net, x: np.ndarray, g: np.ndarray = None, labels: np.ndarray = None):
    """(logits, d/dx, {name: d/dparam}) of sum(g * logits), or of the mean cross-entropy with labels."""
    xt = torch.tensor(x, requires_grad=True)
    net.zero_grad()
    logits = net(xt)
    if labels is None:
        objective = (logits * torch.tensor(g)).sum()
    else:
        objective = torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
    objective.backward()
    return (logits.detach().numpy(), xt.grad.numpy(),
            {k: p.grad.numpy() for k, p in net.named_parameters()})


@pytest.fixture(scope="module", params=list(MODELS))
def model_case(request):
    make, x_shape = MODELS[request.param]
    model = make()
    return model, to_torch(model), make_array(3, x_shape, np.float32)


@pytest.mark.parametrize("where", WHERE)
def test_torch_gives_the_same_logits_and_input_gradients(model_case, where):
    model, net, x = model_case
    trace = model.trace(x, backend=WHERE[where])
    g = make_array(4, trace.output.shape, np.float32)
    logits, dx, _ = torch_grads(net, x, g=g)
    assert_close(trace.output, logits, "logits")
    assert_close(trace.backward(g).input, dx, "input gradient")


@pytest.mark.parametrize("where", WHERE)
def test_torch_gives_the_same_parameter_gradients_of_the_cross_entropy(model_case, where):
    model, net, x = model_case
    trace = model.trace(x, backend=WHERE[where])
    labels = np.arange(len(x)) % trace.output.shape[1]
    loss, dlogits = softmax_cross_entropy(trace.output, labels)
    ours = trace.backward(dlogits, params=True).params
    _, _, theirs = torch_grads(net, x, labels=labels)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        assert_close(ours[key], theirs[key], key)
    reference = torch.nn.functional.cross_entropy(net(torch.tensor(x)), torch.tensor(labels)).item()
    assert np.isclose(loss, reference, rtol=RTOL)


def test_the_torch_model_has_the_same_layer_names_and_state_dict(model_case):
    model, net, _ = model_case
    assert [name for name, _ in net.named_children()] == model.names
    theirs = net.state_dict()
    assert list(theirs) == list(model.state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(theirs[key].numpy(), value)


@pytest.mark.parametrize("name", list(MODELS))
def test_a_torch_state_dict_loads_back_exactly_and_gives_the_same_logits(name):
    make, x_shape = MODELS[name]
    model = make()
    net = to_torch(make())
    torch.manual_seed(0)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn_like(p) * 0.1)  # weights minixai never had
    from_torch_state_dict(model, net.state_dict())
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value.numpy())
    x = make_array(5, x_shape, np.float32)
    assert_close(model.forward(x, backend="numpy"), net(torch.tensor(x)).detach().numpy(), "logits")
    # and back again: minixai -> torch -> minixai is the identity
    again = make()
    from_torch_state_dict(again, to_torch(model).state_dict())
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(again.state_dict()[key], value)


@given(case=conv_cases(), seed=seeds())
def test_every_conv_matches_torch_forward_and_backward_in_float64(case, seed):
    model = Sequential([("conv", case.layer(rng=seed))]).astype(np.float64)
    x, g = make_array(seed, case.x_shape), make_array(seed + 1, case.y_shape)
    check_against_torch(model, x, g)


@given(case=pool_cases(), seed=seeds())
def test_every_maxpool_matches_torch_forward_and_backward_in_float64(case, seed):
    model = Sequential([("pool", case.layer())]).astype(np.float64)
    x = make_array(seed, case.x_shape, kind="separated")
    g = make_array(seed + 1, model.forward(x, backend="numpy").shape)
    check_against_torch(model, x, g)


@given(case=model_cases(), seed=seeds())
def test_random_models_match_torch_forward_and_backward_in_float64(case, seed):
    assume(not near_kink(case.model.trace(case.x, backend="numpy"), delta=1e-10))
    g = make_array(seed, case.model.forward(case.x, backend="numpy").shape)
    check_against_torch(case.model, case.x, g)


def check_against_torch(model, x, g):
    logits, dx, dparams = torch_grads(to_torch(model), x, g=g)
    trace = model.trace(x, backend="numpy")
    np.testing.assert_allclose(trace.output, logits, rtol=1e-10, atol=1e-12)
    signals = trace.backward(g, params=True)
    np.testing.assert_allclose(signals.input, dx, rtol=1e-10, atol=1e-12)
    for key, value in dparams.items():
        np.testing.assert_allclose(signals.params[key], value, rtol=1e-10, atol=1e-12)
