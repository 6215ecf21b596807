"""LRP agrees with captum.attr.LRP on the identical PyTorch model (minixai.interop.to_torch).

Captum's default rules: EpsilonRule(1e-9) on Conv2d, Linear and MaxPool (on a max-pool the epsilon
rule sends R_j * y_j / (y_j + 1e-9) to the switch: winner-take-all up to 1e-9), relevance through
ReLU unchanged. Captum has no default rule for Conv1d, Flatten or minixai's GlobalAvgPool module
(it raises TypeError), so those get EpsilonRule(1e-9) attached explicitly: on Flatten that is the
identity up to 1e-9, on the mean it is the epsilon rule with weights 1/Z, as in minixai.
z+ is compared with Alpha1_Beta0_Rule(set_bias_to_zero=True) on non-negative inputs: Captum clamps
the weights only, which equals the product split (x_i w_ij)^+ when x >= 0.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")
from captum.attr import LRP  # noqa: E402
from captum.attr._utils.lrp_rules import Alpha1_Beta0_Rule, EpsilonRule  # noqa: E402

from minixai.explain import lrp  # noqa: E402
from minixai.interop import to_torch  # noqa: E402
from minixai.nn import Conv2d, Dense, Flatten, MaxPool2d, ReLU, Sequential  # noqa: E402
from tests.explain._gradient_family_strategies import tiny_model  # noqa: E402

EPSILON = 1e-9
TARGETS = [0, 1, 2]


def conv2d_model(seed: int) -> tuple:
    """conv(pad 1) - relu - overlapping max-pool - conv - relu - flatten - dense, float64; x (3, 2, 7, 7)."""
    rng = np.random.default_rng(seed)
    model = Sequential([("conv1", Conv2d(2, 3, 3, padding=1, rng=rng)), ("relu1", ReLU()), ("pool1", MaxPool2d(3, 2)),
                        ("conv2", Conv2d(3, 4, 2, rng=rng)), ("relu2", ReLU()), ("flatten", Flatten()),
                        ("fc", Dense(16, 3, rng=rng))]).astype(np.float64)
    return model, rng.normal(size=(3, 2, 7, 7))


def captum_lrp(net, x, target, rules=None) -> np.ndarray:
    for name, rule in (rules or {}).items():
        getattr(net, name).rule = rule
    inputs = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_()
    return LRP(net).attribute(inputs, target=target).detach().numpy()


def assert_close(actual, expected):
    # Captum's 1e-9 on every max-pool, Flatten and GAP layer moves values by about 1e-9 relative.
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-7 * np.abs(expected).max())


@pytest.mark.parametrize("seed", [0, 1])
def test_lrp_epsilon_matches_captum_with_default_rules_on_a_2d_cnn(seed):
    model, x = conv2d_model(seed)
    expected = captum_lrp(to_torch(model), x, TARGETS, {"flatten": EpsilonRule(EPSILON)})
    assert_close(lrp(model, x, TARGETS, epsilon=EPSILON, backend="numpy"), expected)


def test_lrp_epsilon_matches_captum_on_the_1d_model_with_gap_given_explicit_rules():
    model, x = tiny_model(seed=4, dtype=np.float64)
    rules = {"conv1": EpsilonRule(EPSILON), "conv2": EpsilonRule(EPSILON), "gap": EpsilonRule(EPSILON)}
    expected = captum_lrp(to_torch(model), x, [2, 1], rules)
    assert_close(lrp(model, x, [2, 1], epsilon=EPSILON, backend="numpy"), expected)


def test_lrp_zplus_matches_captum_alpha1_beta0_on_non_negative_inputs():
    model, x = conv2d_model(5)
    x = np.abs(x)
    net = to_torch(model)
    rules = {name: Alpha1_Beta0_Rule(set_bias_to_zero=True) for name in ("conv1", "conv2", "fc")}
    expected = captum_lrp(net, x, TARGETS, {**rules, "flatten": EpsilonRule(EPSILON)})
    assert_close(lrp(model, x, TARGETS, rule="zplus", epsilon=EPSILON, backend="numpy"), expected)
