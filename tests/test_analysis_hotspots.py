"""Gi* hot spots (layers.analysis.hotspots): esda's documented example, the exact permutation
p-values against sampled permutations, a planted hot spot found, pure noise left alone after FDR."""

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import DistanceBand
from scipy.stats import norm

from layers.analysis.hotspots import (
    _bh,
    _convolve,
    classify,
    gi_scores,
    gi_star,
    grid_weights,
    hotspot_cells,
    permutation_p,
)


def grid(side):
    gx, gy = np.meshgrid(np.arange(side), np.arange(side))
    return gx.ravel(), gy.ravel()


def test_gi_star_gives_esdas_documented_example():
    # esda.getisord.G_Local's docstring, "local G* test using a binary weights object".
    points = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
    w = DistanceBand(points, threshold=15)
    _, z = gi_scores(np.array([2, 3, 3.2, 5, 8, 7]), w)
    assert np.allclose(z, [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331])
    # The p-values are exact over whole counts; 3.2 reports is not a count.
    with pytest.raises(ValueError, match="whole, non-negative counts"):
        gi_star(np.array([2, 3, 3.2, 5, 8, 7]), w)
    stat = gi_star(np.array([2, 3, 3, 5, 8, 7]), w, permutations=999, seed=10)
    assert stat.z[5] == pytest.approx(gi_scores(np.array([2, 3, 3, 5, 8, 7]), w)[1][5])
    assert ((stat.p_sim > 0) & (stat.p_sim <= 0.5)).all()  # esda's folded pseudo p, kept beside


def test_queen_weights_are_the_8_cells_around():
    ix, iy = grid(3)
    w = grid_weights(ix, iy)
    cards = np.asarray(w.sparse.sum(axis=1)).ravel()
    # Corners 3, edges 5, the centre 8 (row-major: y then x).
    assert cards.tolist() == [3, 5, 3, 5, 8, 5, 3, 5, 3]


def test_exact_permutation_p_agrees_with_sampled_permutations():
    rng = np.random.default_rng(3)
    ix, iy = grid(20)
    w = grid_weights(ix, iy)
    y = rng.poisson(0.5, len(ix))
    p, _ = permutation_p(y, w)
    neighbours = (w.sparse.toarray() != 0)
    for i in (0, 1, 25, 210, 399):  # a corner, an edge, inner cells, the last corner
        others = np.delete(y, i)
        sums = np.array([rng.choice(others, neighbours[i].sum(), replace=False).sum() for _ in range(20_000)])
        s = y[neighbours[i]].sum()
        sampled = min(1.0, 2 * min((sums >= s).mean(), (sums <= s).mean()))
        assert abs(p[i] - sampled) < 0.02, (i, p[i], sampled)


def test_a_planted_hot_spot_is_found_as_hot99_and_nothing_far_from_it():
    rng = np.random.default_rng(11)
    ix, iy = grid(30)
    y = rng.poisson(1.0, len(ix))
    planted = (np.abs(ix - 10) <= 1) & (np.abs(iy - 20) <= 1)
    y[planted] += 8
    result = hotspot_cells(pd.DataFrame({"ix": ix, "iy": iy, "count": y}), 500, area=(ix, iy))
    cells = result.cells.set_index("cell_id")
    assert cells.loc["500mN20E10", "class"] == "hot99"
    hot = result.cells[result.cells["class"].str.startswith("hot")]
    assert len(hot) >= 9
    # Every hot cell touches the planted block (at most 2 cells from its centre).
    assert ((hot["ix"] - 10).abs().max(), (hot["iy"] - 20).abs().max()) <= (2, 2)
    assert result.class_counts()["cold"] == 0


@pytest.mark.parametrize(("rate", "seed"), [(2.0, 1), (0.3, 2), (0.05, 3)])
def test_uniform_noise_has_no_significant_cell_after_fdr(rate, seed):
    rng = np.random.default_rng(seed)
    ix, iy = grid(30)
    y = rng.poisson(rate, len(ix))
    stat = gi_star(y, grid_weights(ix, iy), permutations=0)
    assert set(stat.classes) == {"ns"}
    assert stat.q.min() > 0.10
    if rate >= 0.3:
        # Without the correction some of the 900 cells would pass 10 % by chance alone.
        assert (stat.p < 0.10).sum() > 0


def test_the_normal_approximation_would_flag_sparse_noise_that_the_exact_p_leaves_alone():
    ix, iy = grid(30)
    w = grid_weights(ix, iy)
    flagged_norm = flagged_exact = 0
    for seed in range(12):
        y = np.random.default_rng(100 + seed).poisson(0.3, len(ix))
        stat = gi_star(y, w, permutations=0)
        flagged_norm += (classify(stat.z > 0, 2 * norm.sf(np.abs(stat.z))) != "ns").any()
        flagged_exact += (stat.classes != "ns").any()
    assert flagged_norm >= 6
    assert flagged_exact <= 1


def test_classes_follow_benjamini_hochberg_at_each_level():
    # 10 cells; BH cut-offs: rank r passes level a when p_(r) < r * a / 10.
    p = np.array([0.0005, 0.004, 0.012, 0.03, 0.2, 0.5, 0.6, 0.7, 0.8, 0.0009])
    hot = np.array([True, True, True, True, True, False, False, False, False, False])
    classes = classify(hot, p)
    # Sorted: 0.0005, 0.0009, 0.004, 0.012, 0.03 ... 1 %: 0.0005<0.001, 0.0009<0.002, 0.004<0.003? no -> 2 pass.
    # 5 %: 0.004 < 0.015, 0.012 < 0.02, 0.03 < 0.025? no -> 4 pass. 10 %: 0.03 < 0.05 -> 5 pass.
    assert classes.tolist() == ["hot99", "hot95", "hot95", "hot90", "ns", "ns", "ns", "ns", "ns", "cold"]
    q = _bh(p)
    assert q[0] == pytest.approx(0.0045) and q[9] == pytest.approx(0.0045)


def test_no_reports_means_no_hot_spots():
    ix, iy = grid(4)
    stat = gi_star(np.zeros(16), grid_weights(ix, iy))
    assert set(stat.classes) == {"ns"} and stat.p.tolist() == [1.0] * 16


def test_the_area_adds_empty_cells_and_counts_keep_their_cells():
    ix, iy = grid(5)
    counts = pd.DataFrame({"ix": [2, 2, 7], "iy": [2, 2, 7], "count": [3, 4, 1]})  # (7, 7) lies outside
    result = hotspot_cells(counts, 500, area=(ix, iy), permutations=0)
    cells = result.cells
    assert len(cells) == 26
    assert cells.set_index("cell_id").loc["500mN2E2", "count"] == 7
    assert cells.set_index("cell_id").loc["500mN7E7", "count"] == 1
    assert cells["count"].sum() == 8
    assert list(cells.columns) == ["cell_id", "ix", "iy", "locality", "count", "gi_z", "p", "q", "class"]


def test_municipality_cells_include_the_empty_ones_with_their_locality():
    counts = pd.DataFrame({"ix": [890], "iy": [12731], "count": [12]})  # Skillingaryd's centre
    result = hotspot_cells(counts, 500, "0665", permutations=0)
    cells = result.cells.set_index("cell_id")
    assert len(cells) == 3499  # every 500 m cell with its centre in Vaggeryds kommun
    assert (cells["count"] == 0).sum() == 3498
    assert cells.loc["500mN12731E890", "locality"] == "Skillingaryd"


def test_the_sparse_convolution_for_few_large_counts_equals_the_dense_one():
    # A town centre of 11 500 reports among empty cells: the pmf is long and has 3 values.
    y = np.zeros(400, dtype="int64")
    y[[5, 6, 200]] = [11_500, 300, 7]
    pmf = np.bincount(y) / len(y)
    support = np.flatnonzero(pmf)
    dist = np.array([1.0])
    for _ in range(3):
        sparse = _convolve(dist, pmf, support)
        assert np.allclose(sparse, np.convolve(dist, pmf), rtol=0, atol=1e-15)
        dist = sparse
    assert dist.sum() == pytest.approx(1.0)


def test_release_cells_keep_their_counts_and_every_other_cell_shows_none():
    from layers.analysis.roles import AnalysisError, hotspots_from_cells

    shown = pd.DataFrame({"cell_id": ["500mN12731E890", "500mN12731E891"], "count": [12, 5]})
    cells = hotspots_from_cells(shown, 500, "0665", k=5, permutations=0).cells.set_index("cell_id")
    assert (cells.loc["500mN12731E890", "count"], cells.loc["500mN12731E891", "count"]) == (12, 5)
    others = cells.drop(index=shown["cell_id"])["count"]
    assert len(others) == 3497 and others.isna().all()
    with pytest.raises(AnalysisError, match="not 1000 m cells"):
        hotspots_from_cells(shown, 1000, "0665", k=5)
