"""The catalogue: every explainer and metric with its family, paper, slide, lesson and tested property.

The README's methods table is generated from it (``python -m minixai.catalogue --write-readme``),
and tests check that each row is true: every registered explainer and metric has a row, each
row's lesson exists, and the test it cites as "property tested" exists. The slide column is
read from the lesson's header (the first seed file and quoted slide title it names), so a lesson
and its row cannot disagree.

    python -m minixai.catalogue                  # print the methods and metrics tables
    python -m minixai.catalogue --write-readme   # refresh the README between its markers
    python -m minixai.catalogue --check          # exit 1 if the README's tables are stale
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ._readme import README, read_section, write_section

ROOT = Path(__file__).resolve().parents[1]
REGENERATE = "python -m minixai.catalogue --write-readme"


@dataclass(frozen=True)
class Entry:
    """One row: ``test`` is "tests/path.py::test_name", the test that shows ``claim``."""
    name: str
    family: str
    paper: str
    url: str
    claim: str
    test: str
    lesson: str = ""  # the name in the lesson's file name, when it is not ``name``


EXPLAINER_ROWS = (
    Entry("saliency", "gradient", "Simonyan et al. 2013", "https://arxiv.org/abs/1312.6034",
          "equals the finite-difference gradient",
          "tests/explain/test_saliency.py::test_signed_saliency_is_the_finite_difference_gradient_of_the_class_score"),
    Entry("sensitivity", "gradient", "Baehrens et al. 2010", "https://jmlr.org/papers/v11/baehrens10a.html",
          "sums to the squared gradient norm",
          "tests/explain/test_simple_gradients.py::test_sensitivity_is_the_squared_saliency_and_sums_to_the_squared_gradient_norm"),
    Entry("gradient_x_input", "gradient", "Shrikumar et al. 2016", "https://arxiv.org/abs/1605.01713",
          "sums to the logit of a bias-free ReLU net",
          "tests/explain/test_simple_gradients.py::test_gradient_x_input_sums_to_the_logit_of_a_bias_free_relu_network"),
    Entry("smoothgrad", "gradient", "Smilkov et al. 2017", "https://arxiv.org/abs/1706.03825",
          "noise level 0 gives the gradient",
          "tests/explain/test_smoothgrad.py::test_noise_level_zero_gives_the_plain_gradient"),
    Entry("integrated_gradients", "gradient", "Sundararajan et al. 2017", "https://arxiv.org/abs/1703.01365",
          "completeness gap shrinks as steps grow",
          "tests/explain/test_integrated_gradients.py::test_completeness_gap_shrinks_as_steps_grow"),
    Entry("deconvnet", "backward rule", "Zeiler & Fergus 2014", "https://arxiv.org/abs/1311.2901",
          "hand-computed maps",
          "tests/explain/test_deconvnet_guided.py::test_hand_computed_maps_for_each_class_and_per_row_targets"),
    Entry("guided_backprop", "backward rule", "Springenberg et al. 2015", "https://arxiv.org/abs/1412.6806",
          "is the guided rule seeded with the target",
          "tests/explain/test_deconvnet_guided.py::test_guided_backprop_is_the_guided_rule_seeded_with_one_hot_of_the_target"),
    Entry("deeplift", "backward rule", "Shrikumar et al. 2017", "https://arxiv.org/abs/1704.02685",
          "summation to delta, also into overlapping max-pools",
          "tests/explain/test_deeplift.py::test_contributions_sum_to_delta_through_relu_into_overlapping_max_pool"),
    Entry("lrp", "backward rule", "Bach et al. 2015", "https://doi.org/10.1371/journal.pone.0130140",
          "conservation as epsilon -> 0",
          "tests/explain/test_lrp.py::test_epsilon_gap_shrinks_with_epsilon_on_bias_free_models"),
    Entry("gradcam", "CAM", "Selvaraju et al. 2017", "https://arxiv.org/abs/1610.02391",
          "before its ReLU equals CAM / Z",
          "tests/explain/test_cam_family_core.py::test_gradcam_before_relu_equals_cam_over_z"),
    Entry("cam", "CAM", "Zhou et al. 2016", "https://arxiv.org/abs/1512.04150",
          "sums over positions to Z (y_c - b_c)",
          "tests/explain/test_cam.py::test_cam_summed_over_positions_is_z_times_score_minus_bias"),
    Entry("hirescam", "CAM", "Draelos & Carin 2020", "https://arxiv.org/abs/2011.08891",
          "before its ReLU equals CAM / Z on a GAP head",
          "tests/explain/test_hirescam.py::test_hirescam_before_relu_equals_cam_over_z_on_a_gap_head"),
    Entry("xgradcam", "CAM", "Fu et al. 2020", "https://arxiv.org/abs/2008.02312",
          "equals Grad-CAM on a GAP head",
          "tests/explain/test_xgradcam.py::test_xgradcam_equals_gradcam_on_a_gap_head"),
    Entry("layercam", "CAM", "Jiang et al. 2021", "https://doi.org/10.1109/TIP.2021.3089943",
          "equals HiResCAM where every gradient is positive",
          "tests/explain/test_layercam.py::test_layercam_equals_hirescam_where_all_gradients_are_positive"),
    Entry("gradcam_pp", "CAM", "Chattopadhyay et al. 2018", "https://arxiv.org/abs/1710.11063",
          "closed form matches finite differences of exp(y_c)",
          "tests/explain/test_gradcam_pp.py::test_closed_form_matches_finite_differences_of_the_exp_score"),
    Entry("counterfactual_cam", "CAM", "AlRegib & Prabhushankar 2022", "https://arxiv.org/abs/2202.11838",
          "is ReLU(-Grad-CAM before its ReLU)",
          "tests/explain/test_counterfactual_contrast_cam.py::test_counterfactual_is_relu_of_minus_gradcam_before_its_relu"),
    Entry("contrast_cam", "CAM", "Prabhushankar et al. 2020", "https://arxiv.org/abs/2008.00178",
          "is sum_c p_c Grad-CAM_c - Grad-CAM_Q",
          "tests/explain/test_counterfactual_contrast_cam.py::test_contrast_cam_is_probability_weighted_gradcam_minus_gradcam_of_q"),
    Entry("guided_gradcam", "CAM", "Selvaraju et al. 2017", "https://arxiv.org/abs/1610.02391",
          "is guided backprop x upsampled Grad-CAM",
          "tests/explain/test_guided_gradcam.py::test_guided_gradcam_is_guided_backprop_times_upsampled_gradcam"),
    Entry("occlusion", "perturbation", "Zeiler & Fergus 2014", "https://arxiv.org/abs/1311.2901",
          "exact w*x per window on a linear model",
          "tests/explain/test_occlusion.py::test_occlusion_on_a_linear_model_is_w_times_x_summed_over_the_window_averaged_over_covering_windows"),
    Entry("lime", "perturbation", "Ribeiro et al. 2016", "https://arxiv.org/abs/1602.04938",
          "recovers a linear model's segment contributions",
          "tests/explain/test_lime.py::test_lime_recovers_each_segments_contribution_of_a_linear_model"),
    Entry("shap", "perturbation", "Lundberg & Lee 2017", "https://arxiv.org/abs/1705.07874",
          "efficiency: sum phi = f(x) - f(baseline)",
          "tests/explain/test_shap.py::test_efficiency_sum_of_phi_is_f_x_minus_f_baseline"),
    Entry("anchors", "perturbation", "Ribeiro et al. 2018", "https://ojs.aaai.org/index.php/AAAI/article/view/11491",
          "finds the one segment that decides the class",
          "tests/explain/test_anchors.py::test_when_one_segment_decides_the_class_the_anchor_is_exactly_that_segment"),
    Entry("rise", "perturbation", "Petsiuk et al. 2018", "https://arxiv.org/abs/1806.07421",
          "converges to its closed-form expectation on a linear model",
          "tests/explain/test_rise.py::test_rise_on_a_linear_model_converges_to_its_expectation"),
    Entry("sise", "perturbation", "Sattarzadeh et al. 2021", "https://arxiv.org/abs/2010.00672",
          "one block is the score-weighted sum of its positive-gradient masks",
          "tests/explain/test_sise.py::test_one_block_is_the_normalised_score_weighted_sum_of_its_positive_gradient_masks"),
    Entry("meaningful_perturbation", "perturbation", "Fong & Vedaldi 2017", "https://arxiv.org/abs/1704.03296",
          "the mask deletes exactly the region the model uses",
          "tests/explain/test_meaningful_perturbation.py::test_the_mask_deletes_exactly_the_region_the_model_uses"),
    Entry("perceptual_ball", "perturbation", "Elliott et al. 2021", "https://arxiv.org/abs/1912.09405",
          "penalising a layer keeps its activations closer to those of x",
          "tests/explain/test_perceptual_ball.py::test_penalising_a_layer_keeps_its_activations_closer_to_those_of_x"),
    Entry("activation_maximization", "inside the model", "Simonyan et al. 2013", "https://arxiv.org/abs/1312.6034",
          "a linear classifier's class model is w_c / (2 lambda)",
          "tests/explain/test_activation_maximization.py::test_the_class_model_of_a_linear_classifier_is_its_weight_row_over_two_lambda"),
    Entry("deepdream", "inside the model", "Mordvintsev et al. 2015",
          "https://research.google/blog/inceptionism-going-deeper-into-neural-networks/",
          "raises the layer's energy on signals and images",
          "tests/explain/test_deepdream.py::test_the_dream_raises_the_layers_energy_on_signals_and_images"),
    Entry("localize", "inside the model", "Simonyan et al. 2013", "https://arxiv.org/abs/1312.6034",
          "one bump gives exactly its interval",
          "tests/explain/test_localize.py::test_one_bump_gives_exactly_its_interval"),
    Entry("ablation_cam", "CAM", "Desai & Ramaswamy 2020", "https://doi.org/10.1109/WACV45572.2020.9093360",
          "score drops equal the linear head's closed form w_ck mean(A^k)",
          "tests/explain/test_ablation_cam.py::test_drop_equals_the_linear_head_closed_form"),
    Entry("score_cam", "CAM", "Wang et al. 2020", "https://arxiv.org/abs/1910.01279",
          "softmax weights are positive and sum to 1",
          "tests/explain/test_score_cam.py::test_score_cam_weights_are_positive_and_sum_to_one"),
)

METRIC_ROWS = (
    Entry("drop_increase", "faithfulness", "Chattopadhyay et al. 2018", "https://arxiv.org/abs/1710.11063",
          "Drop% and Increase% equal hand-computed probabilities",
          "tests/metrics/test_drop_increase.py::test_drop_and_increase_match_the_hand_computed_probabilities"),
    Entry("deletion_insertion", "faithfulness", "Petsiuk et al. 2018", "https://arxiv.org/abs/1806.07421",
          "an oracle map deletes and inserts faster than random maps",
          "tests/metrics/test_deletion_insertion.py::test_the_oracle_map_deletes_faster_and_inserts_faster_than_random_maps"),
    Entry("completeness", "faithfulness", "Sundararajan et al. 2017", "https://arxiv.org/abs/1703.01365",
          "equals the gap Integrated Gradients reports",
          "tests/metrics/test_completeness.py::test_gap_equals_the_gap_integrated_gradients_reports"),
    Entry("localization", "localisation", "Zhang et al. 2018; Arras et al. 2022", "https://arxiv.org/abs/2003.07258",
          "pointing game, relevance mass and rank by hand",
          "tests/metrics/test_localization.py::test_pointing_mass_and_rank_by_hand"),
    Entry("infidelity", "faithfulness", "Yeh et al. 2019", "https://arxiv.org/abs/1901.09392",
          "equals Captum's infidelity on the same draws",
          "tests/metrics/test_infidelity_max_sensitivity.py::test_infidelity_matches_captum_on_the_same_draws"),
    Entry("max_sensitivity", "robustness", "Yeh et al. 2019", "https://arxiv.org/abs/1901.09392",
          "smoothing lowers the sensitivity of a ReLU net",
          "tests/metrics/test_infidelity_max_sensitivity.py::test_smoothing_lowers_the_sensitivity_of_a_relu_network"),
    Entry("model_randomization", "sanity", "Adebayo et al. 2018", "https://arxiv.org/abs/1810.03292",
          "an explainer that ignores the model fails",
          "tests/metrics/test_sanity.py::test_an_explainer_that_ignores_the_model_keeps_similarity_one_and_fails",
          lesson="sanity"),
)


def lesson_of(name: str) -> Path | None:
    """The lesson lessons/NN_*name*.py that runs ``name`` (the first in order), or None."""
    pattern = re.compile(rf"^\d\d_(.*_)?{re.escape(name)}(_.*)?$")
    found = sorted(p for p in (ROOT / "lessons").glob("[0-9][0-9]_*.py") if pattern.match(p.stem))
    return found[0] if found else None


def slide_of(lesson: Path | None) -> str:
    """The first 'seed NNN_....txt ... "title"' the lesson's header names, as 'NNN "title"'."""
    if lesson is None:
        return "n/a"
    header = " ".join(line.lstrip("# ").strip() for line in lesson.read_text(encoding="utf-8").splitlines()[:20])
    match = re.search(r"seed (\d{3})_[0-9a-f]+\.txt(?:(?!seed \d{3})[^\"])*?\"([^\"]+)\"", header)
    return f'{match.group(1)} "{match.group(2)}"' if match else "n/a"


def has_test(test: str) -> bool:
    """Whether the file and the test function that ``test`` names exist."""
    path, _, function = test.partition("::")
    file = ROOT / path
    return file.is_file() and re.search(rf"^\s*def {re.escape(function)}\(", file.read_text(encoding="utf-8"),
                                        re.M) is not None


def table(rows) -> str:
    """The markdown table of ``rows``: name | family | paper | seed slide | lesson | property tested,
    in lesson order (the syllabus)."""
    lines = ["| method | family | paper | seed slide | lesson | property tested |", "|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda row: str(lesson_of(row.lesson or row.name))):
        lesson = lesson_of(row.lesson or row.name)
        lesson_cell = f"[{lesson.stem[:2]}](lessons/{lesson.name})" if lesson else "n/a"
        slide = slide_of(lesson).replace("|", "\\|")
        lines.append(f"| `{row.name}` | {row.family} | [{row.paper}]({row.url}) | {slide} | {lesson_cell} | "
                     f"{row.claim} ([test]({row.test.partition('::')[0]})) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minixai.catalogue", description="Print the methods tables.")
    parser.add_argument("--write-readme", nargs="?", const=README, metavar="PATH", help="refresh the README's tables")
    parser.add_argument("--check", nargs="?", const=README, metavar="PATH", help="exit 1 if the README's tables are stale")
    args = parser.parse_args(argv)
    sections = {"methods-table": table(EXPLAINER_ROWS), "metrics-table": table(METRIC_ROWS)}
    if args.write_readme is not None:
        for name, body in sections.items():
            write_section(name, body, args.write_readme)
        print(f"wrote the methods and metrics tables into {args.write_readme}")
    elif args.check is not None:
        stale = [name for name, body in sections.items() if read_section(name, args.check) != body]
        if stale:
            print(f"{args.check}: {', '.join(stale)} stale; run {REGENERATE}")
            return 1
    else:
        print("\n\n".join(sections.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
