"""Metrics, one file each, with the signature ``metric(model, x, attributions, target=None, **params)``."""
from .common import MetricResult
from .completeness import completeness
from .deletion_insertion import deletion_insertion
from .drop_increase import drop_increase
from .infidelity import infidelity
from .localization import localization
from .max_sensitivity import max_sensitivity
from .sanity import data_randomization, model_randomization

METRICS = {"drop_increase": drop_increase, "deletion_insertion": deletion_insertion,
           "completeness": completeness, "localization": localization,
           "infidelity": infidelity, "max_sensitivity": max_sensitivity,
           # sanity checks
           "model_randomization": model_randomization,
           }

__all__ = ["METRICS", "MetricResult", "drop_increase", "deletion_insertion", "completeness", "localization",
           "infidelity", "max_sensitivity", "model_randomization", "data_randomization"]
