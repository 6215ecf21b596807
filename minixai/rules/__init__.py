"""Backward rules, one file each; a rule maps each layer type to its backward cell."""
from .base import Rule, elementwise
from .gradient import gradient
from .deconvnet import deconvnet
from .guided import guided
from .lrp import lrp_alpha_beta, lrp_epsilon, lrp_rule, lrp_zplus
from .deeplift import RevealCancel, deeplift_rule, rescale as deeplift_rescale, reveal_cancel as deeplift_reveal_cancel

__all__ = ["Rule", "elementwise", "gradient", "deconvnet", "guided", "lrp_rule", "lrp_epsilon", "lrp_zplus", "lrp_alpha_beta",
           "deeplift_rescale", "deeplift_reveal_cancel", "RevealCancel", "deeplift_rule"]
