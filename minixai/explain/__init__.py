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

EXPLAINERS = {"saliency": saliency, "sensitivity": sensitivity, "gradient_x_input": gradient_x_input,
              "deconvnet": deconvnet, "guided_backprop": guided_backprop,
              "lrp": lrp, "deeplift": deeplift,
              "smoothgrad": smoothgrad, "integrated_gradients": integrated_gradients,
              # CAM family
              "gradcam": gradcam,
              "cam": cam, "hirescam": hirescam, "xgradcam": xgradcam, "layercam": layercam,
              "gradcam_pp": gradcam_pp, "counterfactual_cam": counterfactual_cam, "contrast_cam": contrast_cam,
              "guided_gradcam": guided_gradcam,
              "ablation_cam": ablation_cam, "score_cam": score_cam,
              # perturbation family
              "occlusion": occlusion, "lime": lime, "shap": shap, "anchors": anchors,
              "perceptual_ball": perceptual_ball,
              "rise": rise, "sise": sise, "meaningful_perturbation": meaningful_perturbation,
              # inside the model
              "activation_maximization": activation_maximization, "deepdream": deepdream, "localize": localize,
              }

__all__ = ["EXPLAINERS", "saliency", "sensitivity", "gradient_x_input", "deconvnet", "guided_backprop", "lrp", "deeplift",
           "smoothgrad", "integrated_gradients",
           "gradcam", "cam", "hirescam", "xgradcam", "layercam",
           "gradcam_pp", "counterfactual_cam", "contrast_cam", "guided_gradcam",
           "ablation_cam", "score_cam", "rise", "sise", "meaningful_perturbation",
           "perceptual_ball", "occlusion", "lime", "shap", "anchors", "activation_maximization", "deepdream", "localize"]
