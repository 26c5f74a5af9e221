"""The disclosure audit statistical offices run on a table with complementary suppression:
for every suppressed cell that holds reports, bound its value by linear programming over
everything the release publishes, and require that the bound never proves a report is there
(the lowest possible value is 0, so no count 1..k−1 can be pinned)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy.optimize import linprog

from geodata import cell_id, cell_index, get_municipality, localities, nearest_locality_xy
from layers import privacy
from layers.demo import write_demo
from layers.release import build_release, release_rows

TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("audit") / "demo.gpkg"
    return write_demo(path, seed=11, reports=3000, activities=10, end=dt.date(2026, 11, 27))


def grid(kommun: str, cell_m: int, extra: set[str]) -> dict[str, str]:
    """Every cell an observer must consider (centre in the municipality, or holding a report),
    with the locality of its centre."""
    muni = get_municipality(kommun)
    minx, miny, maxx, maxy = muni.geometry_metric.bounds
    gx, gy = np.meshgrid(np.arange(int(minx // cell_m), int(maxx // cell_m) + 1),
                         np.arange(int(miny // cell_m), int(maxy // cell_m) + 1))
    ix, iy = gx.ravel(), gy.ravel()
    inside = muni.contains_metric((ix + 0.5) * cell_m, (iy + 0.5) * cell_m)
    ids = set(cell_id(ix[inside], iy[inside], cell_m)) | extra
    from geodata import parse_cell_id

    parsed = [parse_cell_id(c) for c in sorted(ids)]
    cx = np.array([(p[1] + 0.5) * cell_m for p in parsed])
    cy = np.array([(p[2] + 0.5) * cell_m for p in parsed])
    index, _ = nearest_locality_xy(cx, cy, kommun)
    names = localities(kommun)["name"].to_numpy()
    return dict(zip(sorted(ids), names[index], strict=True))


def lowest_value(target: str, group: list[str], total: int, k: int, unplaced: bool = False) -> float:
    """min v[target] s.t. sum(v over group) = total, 0 ≤ v ≤ k − 1 for every unpublished cell;
    the municipality's remainder also holds reports without a place (`unplaced`, ≥ 0)."""
    n = len(group) + int(unplaced)
    cost = np.zeros(n)
    cost[group.index(target)] = 1.0
    bounds = [(0, k - 1)] * len(group) + [(0, None)] * int(unplaced)
    result = linprog(cost, A_eq=np.ones((1, n)), b_eq=[total], bounds=bounds, method="highs")
    assert result.status == 0, result.message
    return float(result.fun)


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_no_suppressed_cell_can_be_pinned_above_zero(demo, role):
    pol = privacy.policy(role)
    kind = privacy.PrivacySettings().period(role)
    reports = demo.read_table("reports")
    release = build_release(release_rows(reports, pol, "0665", kind), pol, "0665", TODAY, kind)
    rows = release_rows(reports, pol, "0665", kind)
    reports = reports[reports["layer"].isin(release.layers).to_numpy()].reset_index(drop=True)
    k, size = release.k, release.cell_m
    ix, iy = cell_index(reports["x"].to_numpy(), reports["y"].to_numpy(), size)
    reports = reports.assign(cell=cell_id(ix, iy, size))
    cells = grid("0665", size, set(reports["cell"]))
    audited = pinned = 0
    for b, block in enumerate(release.blocks):
        period = rows["period"].to_numpy()
        for layer in release.layers:
            published = release.counts[(release.counts["block"] == b) & (release.counts["layer"] == layer)]
            shown = set(published.loc[published["kind"] == "cell", "unit"])
            loc_units = dict(zip(published.loc[published["kind"] == "locality", "unit"],
                                 published.loc[published["kind"] == "locality", "count"], strict=True))
            rest = int(published.loc[published["kind"] == "kommun", "count"].sum())
            # The true counts of the block's cells (what the audit must not be able to pin).
            mine = reports[(rows["layer"].to_numpy() == layer) & (period >= block.first) & (period <= block.last)]
            true = mine.groupby("cell").size()
            groups: dict[str, list[str]] = {}
            for cell, locality in cells.items():
                if cell not in shown:
                    groups.setdefault(locality if locality in loc_units else "(kommun)", []).append(cell)
            for cell, count in true.items():
                if cell in shown or count == 0:
                    continue
                key = cells[cell] if cells[cell] in loc_units else "(kommun)"
                total = loc_units.get(key, rest)
                low = lowest_value(cell, groups[key], total, k, unplaced=key == "(kommun)")
                audited += 1
                pinned += low > 1e-9
    assert audited > 100, audited  # the audit really ran over many suppressed cells with reports
    assert pinned == 0


def test_the_audit_pins_a_remainder_spread_over_too_few_cells():
    """The check above can fail: a remainder of 8 over two cells (each < 5) forces 4 into each,
    which is why layers.release folds such a locality into the municipality's remainder."""
    assert lowest_value("a", ["a", "b"], 8, 5) == pytest.approx(4)
    assert lowest_value("a", ["a", "b", "c"], 8, 5) == pytest.approx(0)


def test_the_release_folds_a_locality_whose_remainder_would_pin_its_cells():
    from layers.release import _pins_a_cell

    assert _pins_a_cell(8, 2, 5) and not _pins_a_cell(8, 3, 5)
