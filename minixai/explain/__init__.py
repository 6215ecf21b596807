"""Explainers, one file each, all with the signature ``method(model, x, target=None, **params)``."""
from .deconvnet import deconvnet
from .deeplift import deeplift
from .gradient_x_input import gradient_x_input
from .guided_backprop import guided_backprop
from .integrated_gradients import integrated_gradients
from .lrp import lrp
from .saliency import saliency
from .sensitivity import sensitivity
from .smoothgrad import smoothgrad

EXPLAINERS = {"saliency": saliency, "sensitivity": sensitivity, "gradient_x_input": gradient_x_input,
              "deconvnet": deconvnet, "guided_backprop": guided_backprop,
              "lrp": lrp, "deeplift": deeplift,
              "smoothgrad": smoothgrad, "integrated_gradients": integrated_gradients}

__all__ = ["EXPLAINERS", "saliency", "sensitivity", "gradient_x_input", "deconvnet", "guided_backprop", "lrp", "deeplift",
           "smoothgrad", "integrated_gradients"]
