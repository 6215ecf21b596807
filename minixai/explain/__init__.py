"""Explainers, one file each, all with the signature ``method(model, x, target=None, **params)``."""
from .ablation_cam import ablation_cam
from .activation_maximization import activation_maximization
from .anchors import anchors
from .cam import cam
from .contrast_cam import contrast_cam
from .counterfactual_cam import counterfactual_cam
from .deconvnet import deconvnet
from .deepdream import deepdream
from .deeplift import deeplift
from .gradcam import gradcam
from .gradcam_pp import gradcam_pp
from .gradient_x_input import gradient_x_input
from .guided_backprop import guided_backprop
from .guided_gradcam import guided_gradcam
from .hirescam import hirescam
from .integrated_gradients import integrated_gradients
from .layercam import layercam
from .lime import lime
from .localize import localize
from .lrp import lrp
from .meaningful_perturbation import meaningful_perturbation
from .occlusion import occlusion
from .perceptual_ball import perceptual_ball
from .rise import rise
from .saliency import saliency
from .score_cam import score_cam
from .shap import shap
from .sise import sise
from .sensitivity import sensitivity
from .smoothgrad import smoothgrad
from .xgradcam import xgradcam

EXPLAINERS = {
    # gradient family and backward rules (lessons 02-10)
    "saliency": saliency, "sensitivity": sensitivity, "gradient_x_input": gradient_x_input, "smoothgrad": smoothgrad,
    "integrated_gradients": integrated_gradients, "deconvnet": deconvnet, "guided_backprop": guided_backprop,
    "deeplift": deeplift, "lrp": lrp,
    # CAM family (lessons 11-21)
    "cam": cam, "gradcam": gradcam, "gradcam_pp": gradcam_pp, "hirescam": hirescam, "ablation_cam": ablation_cam,
    "score_cam": score_cam, "counterfactual_cam": counterfactual_cam, "contrast_cam": contrast_cam,
    "guided_gradcam": guided_gradcam, "layercam": layercam, "xgradcam": xgradcam,
    # perturbation family (lessons 22-29)
    "occlusion": occlusion, "lime": lime, "shap": shap, "rise": rise, "sise": sise, "anchors": anchors,
    "meaningful_perturbation": meaningful_perturbation, "perceptual_ball": perceptual_ball,
    # inside the model (lessons 30-32)
    "activation_maximization": activation_maximization, "deepdream": deepdream, "localize": localize,
}

__all__ = ["EXPLAINERS", *EXPLAINERS]
