"""Localisation: pointing game, relevance mass and rank accuracy by hand, chance level, bad evidence."""
import numpy as np
import pytest

from minixai.data import mnist1d
from minixai.errors import ParameterError, ShapeError
from minixai.metrics import localization


def test_pointing_mass_and_rank_by_hand():
    x = np.zeros((2, 1, 4))
    a = np.array([[[3, -1, 1, 0]], [[0, 1, 5, 2]]], dtype=np.float64)
    evidence = np.array([[1, 1, 0, 0], [1, 1, 0, 0]], dtype=bool)
    result = localization(None, x, a, evidence=evidence)
    np.testing.assert_array_equal(result.per_sample["pointing_game"], [1, 0])     # maxima at 0 and 2
    np.testing.assert_allclose(result.per_sample["relevance_mass"], [3 / 4, 1 / 8])  # positive mass only
    np.testing.assert_allclose(result.per_sample["relevance_rank"], [1 / 2, 0])   # top-2: {0, 2}, {2, 3}
    np.testing.assert_allclose(result.per_sample["evidence_fraction"], [1 / 2, 1 / 2])
    assert result["pointing_game"] == 0.5


def test_ties_point_at_the_first_maximum_and_rank_by_position():
    x = np.zeros((1, 1, 5))
    a = np.array([[[0, 2, 1, 2, 2]]], dtype=np.float64)
    inside_first = localization(None, x, a, evidence=np.array([[0, 1, 0, 0, 0]]))
    inside_later = localization(None, x, a, evidence=np.array([[0, 0, 0, 1, 0]]))
    assert inside_first["pointing_game"] == 1 and inside_later["pointing_game"] == 0
    # |E| = 2, top-2 = {1, 3}: the tie at 4 loses to the lower index.
    assert localization(None, x, a, evidence=np.array([[0, 0, 0, 1, 1]]))["relevance_rank"] == 0.5


def test_channels_are_summed_and_images_work():
    x = np.zeros((1, 2, 2, 2))
    a = np.zeros((1, 2, 2, 2))
    a[0, 0, 1, 0], a[0, 1, 1, 0] = 2, 1        # the pixel (1, 0) holds 3
    a[0, 0, 0, 1], a[0, 1, 0, 1] = 4, -3       # the pixel (0, 1) holds 1
    result = localization(None, x, a, evidence=np.array([[[0, 0], [1, 0]]]))
    assert result["pointing_game"] == 1 and result["relevance_mass"] == pytest.approx(3 / 4)


def test_a_map_without_positive_relevance_has_zero_mass():
    result = localization(None, np.zeros((1, 1, 3)), -np.ones((1, 1, 3)), evidence=np.array([[1, 0, 0]]))
    assert result["relevance_mass"] == 0


def test_random_maps_score_chance_and_the_evidence_itself_scores_one_on_mnist1d():
    x, _, evidence = mnist1d("test", evidence=True)
    x, evidence = x[:300], evidence[:300]
    noise = localization(None, x, np.random.default_rng(0).normal(size=x.shape), evidence=evidence)
    chance = noise["evidence_fraction"]
    for key in ("pointing_game", "relevance_mass", "relevance_rank"):
        assert abs(noise[key] - chance) < 0.06, (key, noise[key], chance)
    perfect = localization(None, x, evidence[:, None, :] + 0.0, evidence=evidence)
    assert perfect["pointing_game"] == perfect["relevance_mass"] == perfect["relevance_rank"] == 1


def test_each_row_is_scored_independently_of_the_batch():
    rng = np.random.default_rng(1)
    a, evidence = rng.normal(size=(6, 1, 9)), rng.random((6, 9)) < 0.4
    evidence[:, 0] = True
    full = localization(None, a, a, evidence=evidence).per_sample
    for i in range(6):
        alone = localization(None, a[i:i + 1], a[i:i + 1], evidence=evidence[i:i + 1]).per_sample
        for key in full:
            assert alone[key][0] == full[key][i]


def test_bad_evidence_and_attributions_are_refused():
    x = np.zeros((2, 1, 4))
    good = np.ones((2, 4), dtype=bool)
    with pytest.raises(ShapeError, match="evidence"):
        localization(None, x, x, evidence=np.ones((2, 1, 4)))
    with pytest.raises(ShapeError, match="evidence"):
        localization(None, x, x, evidence=np.ones((3, 4)))
    with pytest.raises(ParameterError, match="evidence"):
        localization(None, x, x, evidence=np.full((2, 4), 0.5))
    with pytest.raises(ParameterError, match="evidence.*rows \\[1\\]"):
        localization(None, x, x, evidence=np.array([[1, 0, 0, 0], [0, 0, 0, 0]]))
    with pytest.raises(ShapeError, match="attributions"):
        localization(None, x, np.zeros((2, 1, 5)), evidence=good)
    with pytest.raises(ParameterError, match="empty"):
        localization(None, x[:0], x[:0], evidence=good[:0])
    with pytest.raises(TypeError, match="evidence"):
        localization(None, x, x)
