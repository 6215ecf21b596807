"""Saliency-based localisation: threshold, largest connected component, its box; IoU against masks."""
import numpy as np
import pytest

from minixai.errors import ParameterError, ShapeError, UnknownNameError
from minixai.explain import EXPLAINERS, gradcam, localize, saliency
from minixai.explain.localize import box_iou, box_masks, largest_component_box
from minixai.models import vgg7
from tests.explain._gradient_family_strategies import tiny_model


def bumps_1d(*bumps, length=12):
    """A (1, 1, length) map that is zero except for flat bumps (start, stop, height)."""
    m = np.zeros((1, 1, length))
    for start, stop, height in bumps:
        m[0, 0, start:stop] = height
    return m


def test_localize_is_registered_inside_the_model():
    assert EXPLAINERS["localize"] is localize


def test_one_bump_gives_exactly_its_interval():
    model, x = tiny_model()
    m = bumps_1d((3, 6, 1.0))  # 3 of 12 positions: the top quarter
    mask, boxes = localize(model, x[:1], saliency_map=m, threshold=0.25, return_boxes=True)
    np.testing.assert_array_equal(boxes, [[3, 6]])
    np.testing.assert_array_equal(mask, (m > 0).astype(np.float32))
    assert mask.shape == (1, 1, 12)


def test_of_two_bumps_the_larger_one_wins_even_when_it_is_lower():
    model, x = tiny_model()
    m = bumps_1d((1, 3, 5.0), (6, 10, 1.0))  # a short tall bump and a long low one, both kept by by="max"
    _, boxes = localize(model, x[:1], saliency_map=m, threshold=0.1, by="max", return_boxes=True)
    np.testing.assert_array_equal(boxes, [[6, 10]])
    _, boxes = localize(model, x[:1], saliency_map=m, threshold=0.5, by="max", return_boxes=True)
    np.testing.assert_array_equal(boxes, [[1, 3]])  # at half the max only the tall bump is foreground


def test_a_2d_blob_gives_its_bounding_box_rows_then_columns():
    foreground = np.zeros((6, 7), dtype=bool)
    foreground[1:4, 2:6] = True
    foreground[2, 6] = True           # touches the blob: part of it
    foreground[5, 0] = True           # a separate speck
    np.testing.assert_array_equal(largest_component_box(foreground), [1, 4, 2, 7])
    masks = box_masks(np.array([[1, 4, 2, 7]]), (6, 7))
    assert masks.sum() == 3 * 5 and masks[0, 1:4, 2:7].all()


def test_an_image_map_with_one_rectangle_gives_exactly_that_box():
    model = vgg7(widths=(2, 2, 2))
    x = np.zeros((1, 3, 16, 16), dtype=np.float32)
    m = np.zeros((1, 3, 16, 16))
    m[0, 1, 4:9, 10:14] = 2.0      # one channel is enough: the map is maximised over channels
    mask, boxes = localize(model, x, saliency_map=m, threshold=0.5, by="max", return_boxes=True)
    np.testing.assert_array_equal(boxes, [[4, 9, 10, 14]])
    np.testing.assert_array_equal(mask[0, 0], m[0, 1] > 0)
    assert mask.shape == (1, 1, 16, 16)


def test_diagonal_neighbours_belong_to_one_component():
    foreground = np.eye(4, dtype=bool)
    np.testing.assert_array_equal(largest_component_box(foreground), [0, 4, 0, 4])


def test_ties_go_to_the_first_component_and_an_empty_map_gives_an_empty_box():
    model, x = tiny_model()
    _, boxes = localize(model, x[:1], saliency_map=bumps_1d((0, 2, 1.0), (5, 7, 1.0)), threshold=0.5, by="max",
                        return_boxes=True)
    np.testing.assert_array_equal(boxes, [[0, 2]])
    mask, boxes = localize(model, x[:1], saliency_map=np.zeros((1, 1, 12)), return_boxes=True)
    np.testing.assert_array_equal(boxes, [[0, 0]])
    assert not mask.any()


def test_signed_maps_are_localised_by_magnitude_unless_absolute_is_false():
    model, x = tiny_model()
    m = bumps_1d((2, 4, -3.0), (7, 8, 1.0))
    _, boxes = localize(model, x[:1], saliency_map=m, threshold=0.5, by="max", return_boxes=True)
    np.testing.assert_array_equal(boxes, [[2, 4]])
    _, boxes = localize(model, x[:1], saliency_map=m, threshold=0.5, by="max", absolute=False, return_boxes=True)
    np.testing.assert_array_equal(boxes, [[7, 8]])


def test_box_iou_by_hand():
    masks = np.zeros((2, 8), dtype=bool)
    masks[0, 2:6] = True
    masks[1, 0:4] = True
    # box [0, 4) against [2, 6): overlap 2, union 6; box [0, 4) against [0, 4): 1
    np.testing.assert_allclose(box_iou(np.array([[0, 4], [0, 4]]), masks), [1 / 3, 1.0])
    assert box_iou(np.array([[0, 0]]), np.zeros((1, 8), dtype=bool))[0] == 0


def test_a_named_explainer_gives_the_same_box_as_its_map():
    model, x = tiny_model(seed=3)
    np.testing.assert_array_equal(localize(model, x, explainer="saliency"),
                                  localize(model, x, saliency_map=saliency(model, x)))
    np.testing.assert_array_equal(localize(model, x, explainer=gradcam, params={"layer": "conv1"}),
                                  localize(model, x, saliency_map=gradcam(model, x, layer="conv1")))


def test_each_row_gets_its_own_box():
    model, x = tiny_model()
    m = np.concatenate([bumps_1d((0, 3, 1.0)), bumps_1d((9, 12, 1.0))])
    _, boxes = localize(model, x, saliency_map=m, threshold=0.25, return_boxes=True)
    np.testing.assert_array_equal(boxes, [[0, 3], [9, 12]])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"explainer": "nonsense"}, UnknownNameError, "explainer: unknown name 'nonsense'; valid names are saliency"),
    ({"explainer": "localize"}, UnknownNameError, "explainer: unknown name 'localize'"),
    ({"explainer": 3}, ParameterError, "explainer: expected a name"),
    ({"threshold": 0.0}, ParameterError, r"threshold: expected a fraction in \(0, 1\]"),
    ({"threshold": "half"}, ParameterError, "threshold"),
    ({"threshold": float("nan")}, ParameterError, "threshold"),
    ({"by": "mean"}, UnknownNameError, "by: unknown name 'mean'; valid names are top, max"),
    ({"saliency_map": np.zeros((2, 1, 11))}, ShapeError, "saliency_map: expected shape"),
])
def test_bad_parameters_raise_errors_that_name_them(kwargs, error, match):
    model, x = tiny_model()
    with pytest.raises(error, match=match):
        localize(model, x, **kwargs)
