"""Figures: one normalisation for every plot, signed / absolute modes, a grid comparing methods."""
import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from minixai.errors import ParameterError
from minixai.viz import normalise, plot_attribution, plot_grid


def test_normalise_divides_by_the_largest_magnitude_and_reports_the_sign():
    values, signed = normalise(np.array([-2.0, 1.0, 4.0]))
    np.testing.assert_array_equal(values, [-0.5, 0.25, 1.0])
    assert signed


@pytest.mark.parametrize("mode, expected, signed", [
    ("auto", [0.25, 0.5, 1.0], False),
    ("signed", [0.25, 0.5, 1.0], True),
    ("absolute", [0.25, 0.5, 1.0], False),
])
def test_modes_on_a_non_negative_map(mode, expected, signed):
    values, is_signed = normalise(np.array([1.0, 2.0, 4.0]), mode)
    np.testing.assert_array_equal(values, expected)
    assert is_signed is signed


def test_absolute_mode_takes_magnitudes_and_an_all_zero_map_stays_zero():
    values, signed = normalise(np.array([-4.0, 2.0]), "absolute")
    np.testing.assert_array_equal(values, [1.0, 0.5])
    assert not signed
    np.testing.assert_array_equal(normalise(np.zeros(3))[0], np.zeros(3))


def test_a_grid_has_one_panel_per_method_and_writes_the_file(tmp_path):
    x = np.random.default_rng(0).random((3, 16, 16))
    maps = {"a": np.ones((3, 16, 16)), "b": np.ones((1, 16, 16)), "c": -np.ones((1, 16, 16))}
    fig = plot_grid(x, maps, tmp_path / "grid.png", columns=2)
    assert (tmp_path / "grid.png").stat().st_size > 0
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titled == ["a", "b", "c"]


def test_one_dimensional_figures_take_maps_of_one_channel(tmp_path):
    x = np.sin(np.linspace(0, 6, 40))[None]
    plot_attribution(x, np.linspace(-1, 1, 40)[None], tmp_path / "one.png", evidence=np.arange(40) > 20)
    plot_grid(x, {"signed": np.linspace(-1, 1, 40)[None]}, tmp_path / "grid.png", mode="absolute")
    assert (tmp_path / "one.png").exists() and (tmp_path / "grid.png").exists()


def test_bad_mode_and_empty_grid_raise_parameter_errors():
    with pytest.raises(ParameterError, match="mode"):
        normalise(np.ones(3), "log")
    with pytest.raises(ParameterError, match="attributions"):
        plot_grid(np.ones((1, 40)), {})
