"""Privacy sweep, attack 1: two worlds that differ only in facts a role must not learn answer alike.

Two worlds. Two data files share everything (also the order secret) except facts a role
must not learn: a narcotics tip moved to another day, hour, status and another suppressed
cell of the same published units (bra), a public report moved within its quarter or to
another folded place, narcotics data added (allmanhet), activities moved within their cell
(and month). Both files publish the same release (checked first). Every answer of every
request of the sweep (day-apart ranges, filters, heatmap clicks, selections, both
languages, presentation and density views, the export button's files, malformed stores,
and after the next period closes) must then be byte-identical: any difference, in any
title, hover text, customdata, table cell or aria label, tells the role something finer
than the release. A police app on the same two files does see the moves (the control).

SWEEP_FULL=1 sweeps every day of the spans instead of the days where something happens.

Part of the adversarial privacy sweep of the newer views (heatmap with presence, gap table, chart
tables, the "where" table with place names, report list, promise and effects) for the reduced roles,
through the real Dash callbacks found by their OUTPUT ids (tests/sweep_harness.py). The three attacks:
test_privacy_sweep_worlds.py, test_privacy_sweep_counts.py, test_privacy_sweep_forged.py.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil

import geopandas as gpd
import numpy as np
import pytest

import tests.privacy_harness as D
from dashboard.app import create_app
from geodata import cell_id, cell_index
from layers.store import GeoPackageStore, open_store
from tests.dash_fixtures import call
from tests.helpers import reports_frame
from tests.sweep_harness import (
    FULL,
    TODAY,
    _cell,
    _d,
    _span,
    by_output,
    click_state,
    custom,
    dumps,
    filters,
    page,
)

# -- the data: tests/privacy_harness.py's hand-made file, and two worlds around it -------------------

def _moved(row, when: str | None = None, dx=0.0, dy=0.0, at=None, status=None):
    from shapely import Point

    row = dict(row)
    if when is not None:
        row["occurred_at"] = row["reported_at"] = when
    if at is not None:
        row["geometry"] = Point(*at)
    else:
        row["geometry"] = Point(row["geometry"].x + dx, row["geometry"].y + dy)
    if status is not None:
        row["status"] = status
    return row


#: bra's secret facts: (report id, how world B has it). Every move keeps the tip's published
#: unit (its month or merged block, and the cell or the remainder it is counted in).
BRA_MOVES = {
    # Klevshult, 15 July 22:00, status ny -> 29 July 03:00, åtgärdad, 110 m away (same cell).
    "njk1": dict(when=D.when(7, 29, 3), dx=90, dy=60, status="åtgärdad"),
    # The lone countryside tip of 20 July -> the Klevshult cell on 2 July at 14:00: both are
    # counted in 'övriga platser' (Klevshult 3 or 4 and the lone 1 or 0 never reach k).
    "njl0": dict(when=D.when(7, 2, 14), at=(D.KLEVSHULT[0] + 40, D.KLEVSHULT[1] - 30)),
    # August's lone Klevshult tip (merged into aug–sep) -> 30 August 01:00 in the countryside.
    "nak10": dict(when=D.when(8, 30, 1), at=(D.LONE[0] + 20, D.LONE[1] + 20), status="åtgärdad"),
    # October (held back, trailing) and November (open): other days and hours.
    "noh1": dict(when=D.when(10, 28, 4)),
    "nnh0": dict(when=D.when(11, 25, 13), status="åtgärdad"),
}
#: allmanhet's secret facts (quarters; narcotics are not shown at all).
PUBLIC_MOVES = {
    # Klevshult 9 August 22:00 (Q3, in 'övriga') -> 28 September 04:00, åtgärdad, in the countryside.
    "pq3k0": dict(when=D.when(9, 28, 4), at=(D.LONE[0] - 30, D.LONE[1] + 10), status="åtgärdad"),
    # Hok 20 June (Q2, folded into 'övriga') -> 2 April 07:00 in the same cell.
    "pq2h0": dict(when=D.when(4, 2, 7), dx=60, dy=-40),
    # Skillingaryd speed complaints of 21–22 September -> 1 July and 15 August at 17:00.
    "hq3s0": dict(when=D.when(7, 1, 17)),
    "hq3s1": dict(when=D.when(8, 15, 17), status="åtgärdad"),
    # The open quarter: another day in October.
    "pq4h1": dict(when=D.when(10, 3, 2)),
}


def _activities(world: str, role: str):
    """The activities of tests/privacy_harness.py; in world B those whose place the role sees
    only by cell are moved within it (and for allmanhet a week on: same weekday, hour, month)."""
    rows = D.activity_rows()
    if world == "A":
        return rows
    out = []
    for row in rows:
        row = dict(row)
        x, y = row["geometry"].x, row["geometry"].y
        # Halfway to the centre of its 500 m cell: another exact place, the same cell.
        toward = {"dx": (250 - x % 500) / 2, "dy": (250 - y % 500) / 2}
        if role == "bra" and row["focus_area"] == "narkotika":
            row = _moved(row, **toward)
        if role == "allmanhet":
            if row["focus_area"] == "narkotika":
                # No place at all for the public: anywhere else in the municipality.
                row = _moved(row, at=(D.KLEVSHULT[0] + 200, D.KLEVSHULT[1]))
            else:
                row = _moved(row, **toward)
            for key in ("planned_at", "done_at"):
                if row[key]:
                    t = dt.datetime.fromisoformat(row[key])
                    week = t + dt.timedelta(days=7)
                    row[key] = (week if week.month == t.month else t - dt.timedelta(days=7)).isoformat()
        out.append(row)
    return out


def _world_rows(world: str, role: str) -> list[dict]:
    rows = D.narcotics_rows() + D.public_rows()
    if world == "A":
        return rows
    moves = BRA_MOVES if role == "bra" else PUBLIC_MOVES
    out = []
    for row in rows:
        prefix = row["id"][2:]
        if prefix in moves:
            new = _moved(row, **moves[prefix])
            if "at" not in moves[prefix]:
                assert _cell(new) == _cell(row), (prefix, "left its cell")
            row = new
        out.append(row)
    if role == "allmanhet":
        # Narcotics are not shown to the public at all: more of them, anywhere, any day.
        out += D.tips("extra-n", 3, D.KLEVSHULT, 9, 12) + D.tips("extra-m", 4, D.VAGGERYD, 11, 1)
    return out


#: (role, world) -> the data file of that world (for a police app on the same file).
WORLD_PATHS: dict[tuple[str, str], object] = {}


def make_worlds(folder, roles=("bra", "allmanhet"), today=TODAY) -> dict:
    """role -> {"A": app, "B": app}: two files made from one copy (the same order secret)."""
    empty = folder / "empty.gpkg"
    GeoPackageStore.create(empty)
    apps = {}
    for role in roles:
        apps[role] = {}
        for world in ("A", "B"):
            path = WORLD_PATHS[(role, world)] = folder / f"{role}-{world}.gpkg"
            shutil.copy(empty, path)
            store = open_store(path)
            store.add_reports(reports_frame(_world_rows(world, role)))
            store.add_activities(gpd.GeoDataFrame(_activities(world, role), geometry="geometry", crs="EPSG:3006"))
            apps[role][world] = create_app(open_store(path), role=role, today=lambda: today)
    return apps


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    return make_worlds(tmp_path_factory.mktemp("sweep"))


def _release_units(app, role: str):
    rel = app._trygghetskarta["views"].role_data(role).release
    counts = rel.counts.sort_values(list(rel.counts.columns)).reset_index(drop=True)
    return [(b.start, b.end) for b in rel.blocks], counts.to_dict("records")


def _first_difference(a: str, b: str) -> str:
    i = next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"A: …{a[max(0, i - 160):i + 120]}…\nB: …{b[max(0, i - 160):i + 120]}…"


def _compare_worlds(apps, role, requests) -> int:
    """Every answer of every request, world A against world B, byte for byte."""
    a, b = apps["A"], apps["B"]
    diffs, seen = [], set()
    for search, selection, *click in requests:
        key = dumps([search, selection, click])
        if key in seen:
            continue
        seen.add(key)
        states = []
        for app in (a, b):
            state = filters(app, search, selection)
            states.append(click_state(app, state, *click[0]) if click else state)
        pa, pb = page(a, states[0]), page(b, states[1])
        for name in pa:
            ta, tb = dumps(pa[name]), dumps(pb.get(name))
            if ta != tb:
                diffs.append((search, selection, click, name, _first_difference(ta, tb)))
    assert not diffs, (f"{role}: {len(diffs)} answers tell world A from world B (facts finer than the release); "
                       f"first: {diffs[0]}")
    return len(seen)


def _day_apart(days_: list[dt.date], extra: str = "") -> list[tuple[str, None]]:
    out = []
    for d in days_:
        out += [(custom(d, d, extra), None), (custom(d, d + dt.timedelta(days=1), extra), None)]
    return out


def _selections(rows, moves) -> list[tuple[str, dict]]:
    """Each moved report's 500 m cell and a 40 m lasso at its place in each world (and for the
    first one its 250 m cell)."""
    out = []
    for n, (prefix, move) in enumerate(moves.items()):
        for row in (rows[prefix], _moved(rows[prefix], **move)):
            x, y = row["geometry"].x, row["geometry"].y
            out += [("?t=all", {"type": "cell", "id": _cell(row)}), ("?t=all", D._circle(x, y, 40))]
            if n == 0:
                small = str(cell_id(*cell_index(np.array([x]), np.array([y]), 250), 250)[0])
                out.append(("?t=all", {"type": "cell", "id": small}))
    return out


# -- 1. two worlds -----------------------------------------------------------------------------------

def test_worlds_publish_the_same_release_and_differ_for_the_police(worlds):
    """The precondition of the two-world sweeps: each role's release is the same in both files
    (the moves stay inside published units), while the files really differ: the police, who see
    the exact points, get different answers (so the comparison can see a move at all)."""
    for role, apps in worlds.items():
        assert _release_units(apps["A"], role) == _release_units(apps["B"], role), role
        police = {w: create_app(open_store(WORLD_PATHS[(role, w)]), role="polis", today=lambda: TODAY) for w in "AB"}
        search = custom(_d(7, 1), _d(9, 30))
        pa, pb = (page(police[w], filters(police[w], search), groups=("cell",)) for w in "AB")
        assert dumps(pa["map.figure"]) != dumps(pb["map.figure"]), role
    # July for bra: one Hok cell of 9 and 'övriga platser' 6 (Klevshult 3, the lone tip, Skillingaryd 2).
    units = _release_units(worlds["bra"]["A"], "bra")[1]
    assert any(u["kind"] == "kommun" and u["count"] == 6 for u in units), units


def test_bra_two_worlds_day_apart_filters_clicks_selections(worlds):
    """bra: a narcotics tip's day, hour, status and its suppressed cell, a lone tip's place, the
    held-back and open months' tips and narcotics activities' exact places must not change one
    byte of any answer: day-apart ranges on the old and new days, filters (status, weekday, hour,
    layers), heatmap clicks on the tips' slots, cells and lassos at their exact positions, English.
    SWEEP_FULL=1: every day of July–August and October–November."""
    apps = worlds["bra"]
    days = [_d(7, 2), _d(7, 15), _d(7, 20), _d(7, 29), _d(8, 14), _d(8, 30), _d(10, 28), _d(11, 25)]
    if FULL:
        days = _span(_d(6, 30), _d(8, 31)) + _span(_d(10, 1), _d(11, 26))
    requests = _day_apart(days) + [("?t=all", None), ("?t=30d", None)]
    requests += [(custom(_d(7, 1), _d(7, 31), extra), None) for extra in (
        "&st=åtgärdad", "&wd=2&h=22-22", "&wd=1&h=3-3&st=åtgärdad", "&ly=otrygg_plats,narkotika&lang=en",
        "&present=1&mode=density")]
    # Heatmap clicks on the old and new slots of the moved tips (as the page sends them).
    requests += [("?t=all", None, (2, 22)), ("?t=all", None, (2, 3)), (custom(_d(7, 14), _d(7, 15)), None, (2, 22))]
    requests += _selections({r["id"][2:]: r for r in D.narcotics_rows()},
                            {k: BRA_MOVES[k] for k in ("njk1", "njl0", "nak10")})
    requests += [("?t=all", {"type": "locality", "name": "Klevshult"})]
    n = _compare_worlds(apps, "bra", requests)
    assert n >= 30


def test_allmanhet_two_worlds_day_apart_filters_forged_and_selections(worlds):
    """allmanhet: a public report's day, hour, status and folded place within its quarter, speed
    complaints moved between months, activities a week on (same month) and within their cell,
    and narcotics tips added: no byte of any answer may change, for day-apart ranges on the old
    and new days, forged weekday/hour/status and narcotics links, the reports' exact positions.
    SWEEP_FULL=1: every day of April–November."""
    apps = worlds["allmanhet"]
    days = [_d(4, 2), _d(6, 20), _d(7, 1), _d(8, 9), _d(8, 15), _d(9, 21), _d(9, 28), _d(10, 3)]
    if FULL:
        days = _span(_d(3, 31), _d(11, 26))
    requests = _day_apart(days) + [("?t=all", None), ("?t=30d", None)]
    requests += [(custom(_d(7, 1), _d(9, 30), extra), None) for extra in (
        "&st=åtgärdad&lang=en", "&wd=0&h=4-4", "&fa=trafik", "&ly=narkotika", "&present=1&mode=density")]
    requests += _selections({r["id"][2:]: r for r in D.public_rows()},
                            {k: PUBLIC_MOVES[k] for k in ("pq3k0", "pq2h0")})
    n = _compare_worlds(apps, "allmanhet", requests)
    assert n >= 25


@pytest.mark.parametrize(("role", "today"), [("bra", dt.date(2026, 12, 1)), ("allmanhet", dt.date(2027, 1, 2))])
def test_two_worlds_after_the_next_period_closes(tmp_path, role, today):
    """The adversary comes back after the next release (bra: November closes, with October's
    held-back tips; allmanhet: the fourth quarter): that release is the same in both worlds, and
    so is every answer about the newly published period, a day-apart pair in it and the presets."""
    apps = make_worlds(tmp_path, roles=(role,), today=today)[role]
    assert _release_units(apps["A"], role) == _release_units(apps["B"], role)
    last = today.replace(day=1) - dt.timedelta(days=1)
    requests = [("?t=all", None), ("?t=30d", None), ("?t=quarter", None), (custom(_d(10, 1), last), None),
                (custom(_d(11, 2), _d(11, 2)), None), (custom(_d(11, 2), _d(11, 3)), None)]
    assert _compare_worlds(apps, role, requests) == len(requests)


#: Filter stores no page sends (a forged `filters.data`): wrong types and shapes.
MALFORMED = [{"lang": "xx"}, {"hours": [5]}, {"weekdays": ["a"]}, {"layers": None}, {"selection": "x"},
             {"selection": {"type": "polygon", "coords": [[0, 0]]}}, {"preset": "custom", "start": "garbage"}]


def _outcome(app, state: dict) -> str:
    try:
        return dumps(page(app, state, groups=("cell",)))
    except Exception as exc:  # a forged store may break a callback: the same way in both worlds
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_two_worlds_malformed_filter_stores_fail_alike(worlds, role):
    """Malformed forged filter stores: whether a callback answers or fails (a 500 to the
    browser) and what it answers must not depend on the facts the worlds differ in."""
    apps = worlds[role]
    for forged in MALFORMED:
        a, b = (_outcome(apps[w], {**filters(apps[w], "?t=all"), **forged}) for w in "AB")
        assert a == b, (role, forged, _first_difference(a, b))


def _export(app, state: dict, fmt: str) -> dict[str, str]:
    """The dashboard's export of `state` (the export button's callback, found by its output) as
    {file name: text} and its message; a zip is opened, and the temporary file name the GeoJSON
    writer records is blanked."""
    import base64
    import io
    import zipfile

    data, message = call(by_output(app, "x-download.data"), "x-go.n_clicks", 1, fmt, state)
    files = {"message": str(message)}
    if isinstance(data, dict) and "content" in data:
        raw = base64.b64decode(data["content"])
        if data["filename"].endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                files.update({n: archive.read(n).decode("utf-8") for n in archive.namelist()})
        else:
            files[data["filename"]] = raw.decode("utf-8")
    return {n: re.sub(r'"name": "[^"]*\.tmp"', '"name": ""', text) for n, text in files.items()}


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_two_worlds_dashboard_exports(worlds, role):
    """The export button (csv and geojson) for a day-apart pair, a month with status and weekday
    filters, and a lasso at a moved report's place: the same files, byte for byte, in both worlds."""
    apps = worlds[role]
    moved = "njk1" if role == "bra" else "pq3k0"
    row = {r["id"][2:]: r for r in D.narcotics_rows() + D.public_rows()}[moved]
    day = dt.date.fromisoformat(row["occurred_at"][:10])
    requests = [(custom(day, day), None), (custom(day, day + dt.timedelta(days=1)), None),
                (custom(day.replace(day=1), day, "&st=ny&wd=2"), None),
                ("?t=all", D._circle(row["geometry"].x, row["geometry"].y, 40))]
    diffs, exported = [], 0
    for search, selection in requests:
        for fmt in ("csv", "geojson"):
            fa, fb = (_export(apps[w], filters(apps[w], search, selection), fmt) for w in "AB")
            exported += len(fa) > 1
            for name in sorted(set(fa) | set(fb)):
                if fa.get(name) != fb.get(name):
                    diffs.append((search, fmt, name, _first_difference(fa.get(name, ""), fb.get(name, ""))))
    assert not diffs, f"{role}: exports tell world A from world B; first: {diffs[0]}"
    assert exported >= 4  # something was exported (not only 'nothing to export')
