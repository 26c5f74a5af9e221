"""Differencing attacks by selection: single cells, cells at 250 m and 1000 m, lassos, localities.

And where narcotics activity pins are drawn for each range, layer set and selection.

The method, the hand-made data and `observe`: tests/privacy_harness.py. The attacks, by kind:
test_differencing.py (time ranges, imports), test_differencing_selections.py, test_differencing_filters.py,
test_differencing_exports.py, test_differencing_releases.py (the release, its revisions and settings),
test_differencing_blocks.py (what the block layout tells).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from geodata import cell_id, cell_index, localities
from tests import privacy_harness
from tests.helpers import SKILLINGARYD, VAGGERYD
from tests.privacy_harness import (
    CELLS_LAYERS,
    HOK,
    HOK_CELL,
    KLEVSHULT,
    _box,
    _circle,
    check_pairs,
    custom,
    filters,
    narcotics_rows,
    observe,
    public_rows,
)

# The harness's module fixtures, bound here so that this module has its own instances.
base_path, apps = privacy_harness.base_path, privacy_harness.apps


# -- selections ------------------------------------------------------------------------------------

def _cells_of(rows, size=500) -> list[str]:
    xy = np.array([[r["geometry"].x, r["geometry"].y] for r in rows])
    return sorted(set(cell_id(*cell_index(xy[:, 0], xy[:, 1], size), size)))


def _other_size(cid: str, size: int) -> str:
    """The id of the `size` m cell holding the centre of a 500 m cell (a 250 m one inside it,
    a 1000 m one around it)."""
    from geodata import parse_cell_id

    s, ix, iy = parse_cell_id(cid)
    x, y = (ix + 0.3) * s, (iy + 0.3) * s
    return str(cell_id(*cell_index(np.array([x]), np.array([y]), size), size)[0])


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_selections_one_cell_apart(apps, role):
    """Single cells (every cell any tip is in, shown or not), cell pairs as lassos, the same
    cell named at 250 m and 1000 m, localities, and nested lassos around each place, each
    against the selection it is one step inside of; for all time and for single months."""
    app = apps[role]
    rows = [r for r in narcotics_rows() + public_rows() if r["layer"] in CELLS_LAYERS[role]]
    cells = _cells_of(rows)
    places = {"Hok": HOK, "Vaggeryd": VAGGERYD, "Skillingaryd": SKILLINGARYD, "Klevshult": KLEVSHULT}
    ranges = ["?t=all", custom(dt.date(2026, 7, 1), dt.date(2026, 7, 31))]
    obs, pairs = {}, []
    for rng in ranges:
        full = rng == "?t=all"
        obs[(rng, "none")] = observe(app, role, rng)
        for c in cells:
            obs[(rng, c)] = observe(app, role, rng, {"type": "cell", "id": c}, where=full)
            pairs.append(((rng, "none"), (rng, c)))
            for size in (250, 1000) if full else ():
                other = _other_size(c, size)
                obs[(rng, other)] = observe(app, role, rng, {"type": "cell", "id": other}, where=False)
                pairs.append(((rng, other), (rng, c)))
        for i, a in enumerate(cells if full else []):
            for b in cells[i + 1:i + 2]:  # neighbours in id order
                obs[(rng, a, b)] = observe(app, role, rng, _box(a, b), where=False)
                pairs += [((rng, a, b), (rng, a)), ((rng, a, b), (rng, b)), ((rng, "none"), (rng, a, b))]
        for name, (x, y) in places.items():
            obs[(rng, "loc", name)] = observe(app, role, rng, {"type": "locality", "name": name})
            pairs.append(((rng, "none"), (rng, "loc", name)))
            pairs += [((rng, "loc", name), (rng, c)) for c in cells if _nearest(c) == name]
            previous = None
            for r in (300, 1500, 4000) if full else (1500,):
                obs[(rng, "lasso", name, r)] = observe(app, role, rng, _circle(x, y, r), where=full and r == 1500)
                if previous is not None:
                    pairs.append(((rng, "lasso", name, r), previous))
                previous = (rng, "lasso", name, r)
            pairs.append(((rng, "none"), previous))
    check_pairs(f"{role}: selections one cell apart", obs, pairs)


def _nearest(cid: str) -> str:
    from geodata import nearest_locality_xy, parse_cell_id

    s, ix, iy = parse_cell_id(cid)
    index, _ = nearest_locality_xy(np.array([(ix + 0.5) * s]), np.array([(iy + 0.5) * s]), "0665")
    return str(localities("0665")["name"].iloc[int(index[0])])


# -- second review (attacks on the rules added by the fixes) -----------------------------------------

def test_narcotics_activity_pins_sit_on_shown_cells_or_localities(apps):
    """bra: a narcotics activity is drawn at a cell's centre only when that cell is shown in
    the same view (time range and layers, before the selection), else at its nearest
    locality; for every range, layer set and selection tried."""
    from dashboard.filters import FilterState

    app = apps["bra"]
    views = app._trygghetskarta["views"]

    locs = localities("0665")
    loc_points = set(zip(np.round(locs["x"].to_numpy(), 3), np.round(locs["y"].to_numpy(), 3), strict=True))
    checked, kinds = 0, {True: 0, False: 0}
    for rng in ["?t=all", custom(dt.date(2026, 7, 1), dt.date(2026, 7, 31)),
                custom(dt.date(2026, 8, 1), dt.date(2026, 9, 30)), custom(dt.date(2026, 10, 1), dt.date(2026, 10, 31))]:
        for extra in ("", "&ly=aktivitet"):
            unselected = views.get(FilterState.from_dict(filters(app, rng + extra)))
            shown = set(unselected.cells["cell_id"]) if len(unselected.cells) else set()
            for sel in (None, {"type": "cell", "id": HOK_CELL}, {"type": "locality", "name": "Hok"},
                        _circle(*HOK, 800)):
                frames = views.get(FilterState.from_dict(filters(app, rng + extra, sel)))
                acts = frames.activities[frames.activities["focus_area"] == "narkotika"]
                for x, y in zip(acts["x"], acts["y"], strict=True):
                    checked += 1
                    cid = str(cell_id(*cell_index(np.array([x]), np.array([y]), 500), 500)[0])
                    at_centre = abs((x / 500) % 1 - 0.5) < 1e-6 and abs((y / 500) % 1 - 0.5) < 1e-6
                    kinds[at_centre] += 1
                    assert (at_centre and cid in shown) or (round(x, 3), round(y, 3)) in loc_points, (rng, extra, sel,
                                                                                                     cid, shown)
    assert checked > 10 and kinds[True] and kinds[False], kinds
