"""The assignments: which marked regions a student writes, which tests grade each, which slides to read.

An exercise's id is the one its markers carry in the library source ("rules.1"); its tests are
pytest node ids ("path::test_function", every parametrisation included) that fail while the
region is a stub and pass with the solution.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import ParameterError, UnknownNameError


@dataclass(frozen=True)
class Exercise:
    id: str
    task: str
    tests: tuple


@dataclass(frozen=True)
class Assignment:
    """``choices`` maps an explainer's name to the exercise that implements its core; the student
    picks ``choose`` of them (``make(..., choose=[...])``), which join ``exercises``."""
    name: str
    title: str
    slides: tuple
    lessons: tuple
    exercises: tuple
    choices: dict = field(default_factory=dict)
    choose: int = 0


# Exercises that only exist as a choice (the project's explainers); the others are also tasks of
# the assignment that names them.
CHOICE_EXERCISES = (
    Exercise("project.3", "Integrated Gradients: path points and the sum (minixai/explain/integrated_gradients.py)",
             ("tests/explain/test_integrated_gradients.py::test_ig_on_a_linear_model_is_input_minus_baseline_times_the_weights",
              "tests/explain/test_integrated_gradients.py::test_completeness_gap_shrinks_as_steps_grow")),
    Exercise("project.4", "SmoothGrad: noise scale and noisy copies (minixai/explain/smoothgrad.py)",
             ("tests/explain/test_smoothgrad.py::test_noise_level_zero_gives_the_plain_gradient",
              "tests/explain/test_smoothgrad.py::test_sigma_is_per_row_so_a_constant_row_gets_no_noise")),
)


ASSIGNMENTS = {a.name: a for a in (
    Assignment(
        "rules", "Backward rules: DeconvNet, guided backprop and DeepLIFT's Rescale",
        ('seed 003_9e1ffa84955ffc85.txt, the table "Layer | Forward pass | DeconvNet | Back-prop w.r.t. input"',
         'seed 004_2a6fa647e63a0a0a.txt, section "Guided Backpropagation"',
         'seed 003_9e1ffa84955ffc85.txt, slides "03 Gradients: DeepLIFT" and "Saturation problem illustrated"'),
        ("lessons/01_data_and_models.py", "lessons/00_rule_table.py", "lessons/07_deconvnet.py",
         "lessons/08_guided_backprop.py", "lessons/09_deeplift.py"),
        (Exercise("rules.1", "DeconvNet's ReLU cell (minixai/rules/deconvnet.py)",
                  ("tests/rules/test_deconvnet_guided.py::test_deconvnet_passes_the_positive_signal_at_every_relu_whatever_its_input",)),
         Exercise("rules.2", "Guided backprop's ReLU cell (minixai/rules/guided.py)",
                  ("tests/rules/test_deconvnet_guided.py::test_guided_is_backprop_masked_by_positive_signal_at_every_relu",)),
         Exercise("rules.3", "DeepLIFT Rescale's ReLU multiplier (minixai/rules/deeplift.py)",
                  ("tests/rules/test_deeplift.py::test_rescale_relu_multiplier_is_the_secant_slope",
                   "tests/rules/test_deeplift.py::test_rescale_falls_back_to_the_gradient_without_nan_when_x_equals_x0",
                   "tests/explain/test_deeplift.py::test_contributions_sum_to_delta")),
         )),
    Assignment(
        "cam", "The CAM family: CAM, Grad-CAM, Grad-CAM++ and Contrast-CAM weights",
        ('seed 000_8bf5a89bed1f51bd.txt, slides "CAM-based methods" and "Grad-CAM"',
         'seed 001_c2222baa81a6d9bd.txt, slide "GradCAM et GradCAM++"',
         'seed 002_01d9d3509b4c14f7.txt, the Grad-CAM step-by-step slides and "ContrastCAM: Why P, rather than Q?"'),
        ("lessons/01_data_and_models.py", "lessons/11_cam.py", "lessons/12_gradcam.py", "lessons/13_gradcam_pp.py",
         "lessons/18_contrast_cam.py"),
        (Exercise("cam.1", "CAM's class weights (minixai/explain/cam.py)",
                  ("tests/explain/test_cam.py::test_cam_is_the_dense_row_times_the_maps_by_hand",
                   "tests/explain/test_cam.py::test_cam_summed_over_positions_is_z_times_score_minus_bias")),
         Exercise("cam.2", "Grad-CAM's weights alpha_k (minixai/explain/gradcam.py)",
                  ("tests/explain/test_cam_family_core.py::test_gradcam_by_hand_averages_the_gradient_over_positions",
                   "tests/explain/test_cam_family_core.py::test_gradcam_agrees_with_captum_layer_gradcam")),
         Exercise("cam.3", "Grad-CAM++'s alpha and weights (minixai/explain/gradcam_pp.py)",
                  ("tests/explain/test_gradcam_pp.py::test_gradcam_pp_by_hand_on_a_pooled_head",
                   "tests/explain/test_gradcam_pp.py::test_closed_form_matches_finite_differences_of_the_exp_score")),
         Exercise("cam.4", "Contrast-CAM's signal at the logits (minixai/explain/contrast_cam.py)",
                  ("tests/explain/test_counterfactual_contrast_cam.py::test_contrast_signal_is_softmax_minus_one_hot_the_gradient_of_cross_entropy",
                   "tests/explain/test_counterfactual_contrast_cam.py::test_contrast_cam_by_hand_why_1_rather_than_0")),
         )),
    Assignment(
        "perturbation", "Perturbation methods: LIME's kernel and fit, RISE's weighting",
        ('seed 000_8bf5a89bed1f51bd.txt, slides "LIME" and "Perturbation-based methods: RISE"',
         'seed 001_c2222baa81a6d9bd.txt, slide "LIME: Sparse Linear Explanation"',
         'seed 004_2a6fa647e63a0a0a.txt, sections "LIME" and "RISE"'),
        ("lessons/01_data_and_models.py", "lessons/23_lime.py", "lessons/25_rise.py"),
        (Exercise("perturbation.1", "LIME's exponential kernel on the cosine distance (minixai/explain/lime.py)",
                  ("tests/explain/test_lime.py::test_kernel_is_one_on_x_and_exp_minus_16_when_everything_is_off",)),
         Exercise("perturbation.2", "LIME's weighted ridge fit (minixai/explain/lime.py)",
                  ("tests/explain/test_lime.py::test_weighted_ridge_equals_sklearn_ridge_with_sample_weights",
                   "tests/explain/test_lime.py::test_lime_recovers_each_segments_contribution_of_a_linear_model")),
         Exercise("perturbation.3", "RISE's score-weighted sum of masks (minixai/explain/rise.py)",
                  ("tests/explain/test_rise.py::test_rise_on_a_linear_model_converges_to_its_expectation",
                   "tests/explain/test_rise.py::test_probability_scores_are_the_softmax_of_the_outputs")),
         )),
    Assignment(
        "project", "The course project: Drop% / Increase% for two explainers on MNIST-1D and textures",
        ('seed 000_8bf5a89bed1f51bd.txt, slides "Project Goal" and "Evaluation Metrics"',
         'seed 000_8bf5a89bed1f51bd.txt, slides "Backpropagation-based approaches: Integrated Gradients" and '
         '"Backpropagation-based approaches: SmoothGrad"'),
        ("lessons/01_data_and_models.py", "lessons/06_integrated_gradients.py", "lessons/05_smoothgrad.py",
         "lessons/40_drop_increase.py", "lessons/49_project_a.py"),
        (Exercise("project.1", "Keep the top k% positions of an attribution map (minixai/metrics/drop_increase.py)",
                  ("tests/metrics/test_drop_increase.py::test_ties_keep_the_lowest_positions_first",
                   "tests/metrics/test_drop_increase.py::test_channels_are_summed_and_a_one_channel_map_masks_every_channel")),
         Exercise("project.2", "Average Drop % and Increase in Confidence % (minixai/metrics/drop_increase.py)",
                  ("tests/metrics/test_drop_increase.py::test_drop_and_increase_match_the_hand_computed_probabilities",)),
         ),
        choices={"integrated_gradients": "project.3", "smoothgrad": "project.4", "gradcam": "cam.2",
                 "gradcam_pp": "cam.3", "guided_backprop": "rules.2", "deeplift": "rules.3", "rise": "perturbation.3"},
        choose=2),
)}


def get(name: str, choose=None) -> Assignment:
    """The assignment called ``name`` (UnknownNameError lists the others), with the exercises of the
    explainers in ``choose`` added (default: its first ``choose`` choices)."""
    if name not in ASSIGNMENTS:
        raise UnknownNameError(f"assignment: unknown name {name!r}; expected one of {', '.join(ASSIGNMENTS)}")
    assignment = ASSIGNMENTS[name]
    if not assignment.choices:
        if choose:
            raise ParameterError(f"choose: assignment {name!r} has no explainers to choose from")
        return assignment
    names = list(assignment.choices)[:assignment.choose] if choose is None else list(choose)
    if len(names) != assignment.choose or len(set(names)) != len(names) or not set(names) <= set(assignment.choices):
        raise ParameterError(f"choose: expected {assignment.choose} different explainers among "
                             f"{', '.join(assignment.choices)}, got {', '.join(names) or 'none'}")
    extra = tuple(exercise(assignment.choices[n]) for n in names)
    return replace(assignment, exercises=assignment.exercises + extra,
                   title=f"{assignment.title} ({', '.join(names)})")


def all_exercises() -> list:
    """Every exercise any assignment can hand out, once each."""
    found = {e.id: e for a in ASSIGNMENTS.values() for e in a.exercises}
    found.update({e.id: e for e in CHOICE_EXERCISES})
    return list(found.values())


def exercise(exercise_id: str) -> Exercise:
    """The exercise with this id."""
    return {e.id: e for e in all_exercises()}[exercise_id]
