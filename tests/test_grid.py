import numpy as np
import pytest

from geodata import cell_id, cell_index, cell_rings_wgs84, count_by_cell, parse_cell_id


def test_cell_index_and_stable_ids():
    ix, iy = cell_index([448782, 448999.9, 449000], [6373168, 6373168, 6373168], 500)
    assert ix.tolist() == [897, 897, 898]
    assert iy.tolist() == [12746, 12746, 12746]
    assert cell_id(ix, iy, 500).tolist() == ["500mN12746E897", "500mN12746E897", "500mN12746E898"]
    assert parse_cell_id("500mN12746E897") == (500, 897, 12746)


def test_cells_smaller_than_250_m_are_refused():
    with pytest.raises(ValueError, match="≥ 250"):
        cell_index([0], [0], 100)


def test_count_by_cell():
    counts = count_by_cell([10, 20, 600, 30], [10, 10, 10, 700], 500)
    assert counts[["cell_id", "count"]].values.tolist() == [
        ["500mN0E0", 2], ["500mN0E1", 1], ["500mN1E0", 1],
    ]


def test_cell_rings_are_closed_squares_in_wgs84():
    rings = cell_rings_wgs84(np.array([897]), np.array([12746]), 500)
    assert rings.shape == (1, 5, 2)
    assert np.allclose(rings[0, 0], rings[0, 4])
    assert 14.1 < rings[0, 0, 0] < 14.2 and 57.4 < rings[0, 0, 1] < 57.6
