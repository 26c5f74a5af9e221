"""Adversarial privacy sweep of the newer views (heatmap with presence, gap table, chart tables,
the "where" table with place names, report list, promise and effects) for the reduced roles.

Three attacks, each through the real Dash callbacks, found by their OUTPUT ids (not function
names, so the sweep follows a callback that moves):

1. Two worlds. Two data files share everything (also the order secret) except facts a role
   must not learn: a narcotics tip moved to another day, hour, status and another suppressed
   cell of the same published units (bra), a public report moved within its quarter or to
   another folded place, narcotics data added (allmanhet), activities moved within their cell
   (and month). Both files publish the same release (checked first). Every answer of every
   request of the sweep (day-apart ranges, filters, heatmap clicks, selections, both
   languages, presentation and density views, the export button's files, malformed stores,
   and after the next period closes) must then be byte-identical: any difference, in any
   title, hover text, customdata, table cell or aria label, tells the role something finer
   than the release. A police app on the same two files does see the moves (the control).
2. Day-apart differencing. Ranges [d, d] and [d, d+1] over the months with small counts
   (tests/test_differencing.py's hand-made data: Klevshult 3 tips in July, a lone tip, ...)
   for the cells-mode layers only and no activities, so every count in every answer is one of
   the cells layers: each number, and each difference of nested neighbouring answers, is 0 or
   >= k; combined with status/weekday/hour filters, a heatmap click and cells a box apart; and
   over the demo data.
3. Forged requests: filter stores the UI never offers (weekday/hour and status for allmanhet,
   reversed hours, a hidden layer, periods of a day) through the callbacks and through HTTP
   (`/_dash-update-component` after a real login, also under the presentation ceiling
   `/view-as`): the gap table never has rows for bra or allmanhet, and allmanhet never gets a
   weekday × hour number or the narcotics layer's name.

SWEEP_FULL=1 sweeps every day of the spans instead of the days where something happens.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil

import geopandas as gpd
import numpy as np
import pytest

import tests.privacy_harness as D
from dashboard import a11y
from dashboard.app import create_app
from geodata import cell_id, cell_index
from layers.store import GeoPackageStore, open_store
from layers.users import UserStore
from tests.dash_fixtures import call
from tests.helpers import reports_frame
from tests.markdown_tables import read_tables
from tests.test_auth import FAST, PW

K = D.K
FULL = os.environ.get("SWEEP_FULL") == "1"
TODAY = D.TODAY
WEEKDAYS_SV = ("Mån", "Tis", "Ons", "Tor", "Fre", "Lör", "Sön")

# -- the harness: every answer the page gets for one filter store ------------------------------------

#: Values of the inputs and states a render callback may read besides the filter store.
_FIXED = {"view.data": None, "map.relayoutData": None, "fit-map.n_clicks": None, "promise-key.data": None,
          "effects-key.data": None}


def _outputs(key: str) -> list[str]:
    """The output ids a callback_map key names ('..a.b...c.d..' or 'a.b', with '@hash' for duplicates)."""
    text = key
    parts = text[2:-2].split("...") if text.startswith("..") else [text]
    return [p.split("@")[0] for p in parts]


def _ids(items) -> list[str]:
    return [f"{i['id']}.{i['property']}" for i in items]


def _server_callbacks(app):
    """(output ids, callback_map entry, undecorated function) of every server callback."""
    return [(_outputs(k), e, e["callback"].__wrapped__) for k, e in app.callback_map.items() if "callback" in e]


def by_output(app, output: str):
    """The undecorated function of the server callback that has `output` among its outputs."""
    for names, _entry, fn in _server_callbacks(app):
        if output in names:
            return fn
    raise KeyError(output)


def page(app, state: dict, groups=("locality", "cell")) -> dict[str, object]:
    """output id -> value for every server callback the filter store triggers (the map, the
    charts, their tables wherever they are built, the gap table, the where table per grouping,
    the report list, the promise and the effects)."""
    lang = state.get("lang") or "sv"
    out: dict[str, object] = {}
    later = []
    for names, entry, fn in _server_callbacks(app):
        inputs, states = _ids(entry["inputs"]), _ids(entry.get("state", []))
        if "filters.data" not in inputs:
            if any(i.endswith(".figure") for i in inputs):
                later.append((names, entry, fn))  # the chart tables as their own callback on the figures
            continue
        runs = groups if "where-group.value" in inputs else (None,)
        for group in runs:
            values = {**_FIXED, "filters.data": state, "where-group.value": group, "lang.value": lang}
            unknown = [i for i in inputs + states if i not in values]
            assert not unknown, f"a render callback reads {unknown}: teach the sweep its value"
            result = call(fn, "filters.data", *[values[i] for i in inputs + states])
            result = list(result) if len(names) > 1 else [result]
            for name, value in zip(names, result, strict=True):
                out[name if group is None else f"{name}[{group}]"] = value
    for names, entry, fn in later:
        inputs = _ids(entry["inputs"])
        values = {**{k: out.get(k) for k in inputs}, "lang.value": lang}
        result = call(fn, inputs[0], *[values[i] for i in inputs])
        for name, value in zip(names, result, strict=True):
            out[name] = value
    for name in ("map.figure", "chart-when.figure", "planning-gaps.children", "chart-time-table.children",
                 f"where-table.children[{groups[0]}]", "report-list.children", "effects.children"):
        assert name in out, f"the sweep no longer sees {name}: {sorted(out)}"
    return out


def dumps(value) -> str:
    return json.dumps(value, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
                      ensure_ascii=False, sort_keys=True)


def filters(app, search: str, selection: dict | None = None) -> dict:
    """The filter store after loading `search` as the page URL (the sync callback found by its output)."""
    return _sync(app, "url.search", search, selection)


def _sync(app, trigger: str, search: str = "", selection=None, click=None, current=None) -> dict:
    fn = by_output(app, "filters.data")
    args = [search, *[None] * 10, "sv", 0, 0, 0, None, None, None, None, click, current, None]
    state = call(fn, trigger, *args)[12]
    return {**state, "selection": selection} if selection else state


def click_state(app, current: dict, day: int, hour: int) -> dict:
    """The filter store after a click on the heatmap's slot (day, hour), as the page sends it."""
    state = _sync(app, "chart-when.clickData", click={"points": [{"x": hour, "y": WEEKDAYS_SV[day], "z": 0}]},
                  current=current)
    assert list(state["weekdays"]) == [day] and list(state["hours"]) == [hour, hour], state
    return state


def custom(a: dt.date, b: dt.date, extra: str = "") -> str:
    return f"?t=custom&from={a.isoformat()}&to={b.isoformat()}{extra}"


# -- the data: tests/test_differencing.py's hand-made file, and two worlds around it ------------------

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


def _cell(row) -> str:
    x, y = np.array([row["geometry"].x]), np.array([row["geometry"].y])
    return str(cell_id(*cell_index(x, y, 500), 500)[0])


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
    """The activities of tests/test_differencing.py; in world B those whose place the role sees
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


def _d(m, d):
    return dt.date(2026, m, d)


def _span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


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


# -- 2. day-apart differencing of every count of the cells layers -------------------------------------

_NUM = re.compile(r"\d[\d\u00a0 ]*\d|\d")


def _int(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def _template(text: str) -> str:
    return _NUM.sub("#", text)


def _html_tables(value) -> list[dict]:
    """Every table in an answer as plain dicts (the JSON the browser gets): html.Table, and each
    table of a Markdown component (dashboard.tables) read as the user reads it."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Table":
                found.append(node)
            if node.get("type") == "Markdown":
                found.extend({"markdown": m} for m in read_tables(node.get("props", {}).get("children")))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(dumps(value)))
    return found


def _text(node) -> str:
    if isinstance(node, dict):
        return _text(node.get("props", {}).get("children")) if "props" in node else ""
    if isinstance(node, list):
        return " ".join(_text(n) for n in node)
    return "" if node is None else str(node)


def _rows(table: dict) -> tuple[list[str], list[list[str]], list[str]]:
    """(header texts, body rows as cell texts, footer texts) of an html table."""
    if "markdown" in table:  # its caption and footer paragraphs count as the footer does
        md = table["markdown"]
        return md["head"], md["body"], md["before"] + md["after"]
    head, body, foot = [], [], []
    parts = table["props"]["children"]
    for part in parts if isinstance(parts, list) else [parts]:
        kind = part.get("type")
        rows = part["props"].get("children")
        rows = rows if isinstance(rows, list) else [rows]
        if kind == "Caption":
            foot.append(_text(part))
            continue
        for row in rows:
            cells = row["props"]["children"] if isinstance(row, dict) else []
            texts = [_text(c) for c in (cells if isinstance(cells, list) else [cells])]
            if kind == "Thead":
                head.extend(texts)
            elif kind == "Tfoot":
                foot.append(" ".join(texts))
            else:
                body.append(texts)
    return head, body, foot


def _note_counts(note: str, app) -> dict[tuple, int]:
    """The map note's counts: 'N rapporter som punkter', and per layer segment ('Narkotikatips:
    1 rutor om 500 m; spridda rapporter: Vaggeryd 6; övriga platser 5') its localities' scattered
    reports and its remainder (the number of cells is no count of reports)."""
    from dashboard.i18n import t

    got: dict[tuple, int] = {}
    layers = app._trygghetskarta["data"].config.layers
    for lang in ("sv", "en"):
        names = {spec.name(lang) for spec in layers.values()}
        scattered, other = t("scattered", lang), t("other_places", lang)
        for segment in note.split(" · "):
            points = re.fullmatch(r"(\d[\d\u00a0,]*) (rapporter som punkter|reports as points)", segment)
            if points:
                got[("note-points",)] = _int(points.group(1))
            label, _, rest = segment.partition(": ")
            if label not in names:
                continue
            for part in rest.split("; ")[1:]:
                if part.startswith(scattered + ": "):
                    for item in part[len(scattered) + 2:].split(", "):
                        place, n = item.rsplit(" ", 1)
                        got[("spridda", label, place)] = _int(n)
                elif part.startswith(other + " "):
                    got[("övriga", label)] = _int(part[len(other) + 1:])
    return got


#: Words around numbers that are no counts of reports (k itself, periods, cell sizes).
_NOT_COUNTS = re.compile(r"(färre än|fewer than) \d+|\d+ m\b|(kv\.|Q)\s?\d|\b(19|20)\d\d\b")


def counts(out: dict, role: str, app) -> dict[tuple, int]:
    """Every count an answer holds about the role's cells-mode layers, for a request of those
    layers alone and no activities (so every count on the page is one of them). Keyed by what it
    counts: map cells and their hover texts, the map note's segments, time bars, chart titles
    and meta totals, every numeric cell and caption of the chart tables and the where tables
    (and their footers), the heatmap's slots, the report list's rows."""
    got: dict[tuple, int] = {}
    figure = out["map.figure"]
    for trace in figure["data"]:
        meta = str(trace.get("meta", ""))
        if meta.startswith("cells:"):
            for loc, z, cd in zip(trace["locations"], a11y.values(trace["z"]), trace.get("customdata") or [],
                                  strict=False):
                got[("map", meta, loc)] = int(z)
                for i, n in enumerate(_NUM.findall(" ".join(map(str, cd)))):
                    got[("map-customdata", loc, i)] = _int(n)
    got.update(_note_counts(str(out["map-note.children"]), app))
    for fid in ("chart-activities.figure", "chart-time.figure", "chart-when.figure"):
        fig = out[fid]
        for trace in fig.get("data") or []:
            if trace.get("type") == "heatmap":
                for d, row in enumerate(a11y.values(trace["z"])):
                    for h, v in enumerate(row):
                        got[("heat", d, h)] = int(v)
            elif trace.get("type") == "bar":
                for x, y in zip(a11y.values(trace.get("x")), a11y.values(trace.get("y")), strict=True):
                    if y is not None:
                        got[("bar", fid, trace.get("name"), str(x))] = int(y)
        meta = (fig.get("layout") or {}).get("meta") or {}
        if isinstance(meta, dict) and "total" in meta:
            got[("meta-total", fid)] = int(meta["total"])
        for i, line in enumerate(a11y.plain((fig.get("layout") or {}).get("title")).split(" – ")):
            for j, n in enumerate(_NUM.findall(_NOT_COUNTS.sub(" ", line))):
                got[("title", fid, i, j)] = _int(n)
    for name, value in out.items():
        if not name.endswith("-table.children") and not name.startswith("where-table"):
            continue
        for t_i, table in enumerate(_html_tables(value)):
            head, body, foot = _rows(table)
            for row in body:
                for col, cell in zip(head[1:] if name.startswith("where") else head[1:], row[1:], strict=False):
                    if name.startswith("where") and col in ("#",):
                        continue
                    key_row = row[1] if name.startswith("where") else row[0]
                    if name.startswith("where") and col == head[1]:
                        continue
                    if re.fullmatch(r"[\d\u00a0 ,.]+", cell.strip() or "x"):
                        got[("table", name, t_i, key_row, col)] = _int(cell)
            for i, text in enumerate(foot):
                text = _NOT_COUNTS.sub(" ", text)
                for j, n in enumerate(_NUM.findall(text)):
                    got[("table-foot", name, t_i, i, _template(text), j)] = _int(n)
    got[("report-list",)] = sum(len(_rows(t)[1]) for t in _html_tables(out["report-list.children"]))
    # What an attacker subtracts within one answer: the total less everything the map shows,
    # and the where table's total less what its rows place.
    shown = sum(v for k, v in got.items() if k[0] in ("map", "spridda", "övriga"))
    got[("total-shown",)] = got.get(("meta-total", "chart-time.figure"), 0) - shown
    foot = [v for k, v in got.items() if k[0] == "table-foot" and k[1].startswith("where-table")]
    if len(foot) == 2:
        got[("where-unplaced",)] = foot[1] - foot[0]
    return got


def _check(family: str, obs: dict, pairs: list) -> None:
    bad = []
    for x, y in pairs:
        found = D.violations(obs[x], obs[y])
        if found:
            bad.append((x, y, found[:3]))
    print(f"\n[sweep] {family}: {len(obs)} answers, {len(pairs)} pairs, {len(bad)} with a count 1..{K - 1}")
    assert pairs
    assert not bad, f"{family}: {len(bad)} of {len(pairs)} pairs reveal a count 1..{K - 1}; first: {bad[:2]}"


@pytest.fixture(scope="module")
def diff_apps(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep-diff") / "small.gpkg"
    D.make_store(path)
    return {role: create_app(open_store(path), role=role, today=lambda: TODAY) for role in ("bra", "allmanhet")}


#: Days where something of the role's cells layers happens in the hand-made data (a tip that
#: day or the next, a month's edge); SWEEP_FULL=1 takes every day of the span instead.
SWEEP_DAYS = {
    "bra": [_d(4, 30), _d(7, 1), _d(7, 13), _d(7, 14), _d(7, 16), _d(7, 19), _d(7, 31), _d(8, 13), _d(10, 4)],
    "allmanhet": [_d(3, 31), _d(6, 19), _d(6, 30), _d(7, 1), _d(8, 8), _d(9, 8), _d(9, 21), _d(9, 30), _d(10, 11)],
}
if FULL:
    SWEEP_DAYS = {role: [_d(3, 1) + dt.timedelta(days=i) for i in range(270)] for role in SWEEP_DAYS}
ONLY_CELLS = {"bra": "&ly=narkotika&act=-", "allmanhet": "&ly=otrygg_plats,hastighet&act=-"}


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_day_apart_ranges_every_count_of_every_view(diff_apps, role):
    """[d, d] and [d+1, d+1] against [d, d+1], and [month start, d] against [month start, d+1], over every day
    something of the role's cells layers happens (and month edges): every count in the map,
    note, charts, chart tables, heatmap, where tables, report list, alone or subtracted from
    its neighbour's, is 0 or >= k. The sweep must see counts (else it proves nothing)."""
    app = diff_apps[role]
    obs, pairs = {}, []
    for d in SWEEP_DAYS[role]:
        nxt = d + dt.timedelta(days=1)
        for a, b in ((d, d), (d, nxt), (nxt, nxt)):
            if (a, b) not in obs:
                obs[(a, b)] = counts(page(app, filters(app, custom(a, b, ONLY_CELLS[role])), groups=("cell",)), role, app)
        # Nested ranges only: [d, d] and [d+1, d+1] are both inside [d, d+1] (two disjoint days'
        # answers differ by whole blocks of different sets, which is no count of anything).
        pairs += [((d, d), (d, nxt)), ((nxt, nxt), (d, nxt))]
    # One day and one month: [m1, d] against [m1, d+1] where a tip is on d+1.
    for d in SWEEP_DAYS[role][::3]:
        start = d.replace(day=1)
        nxt = d + dt.timedelta(days=1)
        for b in (d, nxt):
            obs.setdefault((start, b), counts(page(app, filters(app, custom(start, b, ONLY_CELLS[role])),
                                                   groups=("locality",)), role, app))
        pairs.append(((start, d), (start, nxt)))
    _check(f"{role}: day-apart ranges, every view", obs, pairs)
    kinds = {key[0] for o in obs.values() for key, v in o.items() if v}
    assert {"map", "övriga", "bar", "title", "table", "table-foot", "meta-total"} <= kinds, kinds
    # Cells layers alone have no weekday × hour numbers and no single reports.
    assert not any(v for o in obs.values() for key, v in o.items() if key[0] in ("heat", "report-list"))


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_day_apart_ranges_with_filters_clicks_and_cells(diff_apps, role):
    """A day-apart pair ([14 July, 14 July] and [14 July, 15 July], where Klevshult's tips
    are) combined with each filter the UI or a forged link can send, with a heatmap click and
    with a cell a box apart: every count and every difference 0 or >= k, and the filters
    (status, weekday, hour) change no count of a cells layer at all."""
    app = diff_apps[role]
    d, nxt = _d(7, 14), _d(7, 15)
    obs, pairs = {}, []
    variants = ["", "&st=ny", "&st=åtgärdad", "&wd=2", "&wd=2,3&h=22-22", "&h=0-3", "&lang=en"]
    for v in variants:
        for b in (d, nxt):
            obs[(v, b)] = counts(page(app, filters(app, custom(d, b, ONLY_CELLS[role] + v)), groups=("cell",)), role,
                                 app)
        pairs.append(((v, d), (v, nxt)))
        if v and v != "&lang=en":
            pairs += [(("", d), (v, d)), (("", nxt), (v, nxt))]
            # A cells layer is never split by status, weekday or hour: the same numbers.
            assert obs[(v, d)] == obs[("", d)] and obs[(v, nxt)] == obs[("", nxt)], v
    # A heatmap click on Tuesday/Wednesday 22:00 (the tips' slot) sent as the page does.
    for b in (d, nxt):
        base = filters(app, custom(d, b, ONLY_CELLS[role]))
        obs[("click", b)] = counts(page(app, click_state(app, base, 2, 22), groups=("cell",)), role, app)
        pairs.append(((("", b)), ("click", b)))
    pairs.append((("click", d), ("click", nxt)))
    # Cells a box apart: the Klevshult cell, its eastern neighbour, both as one lasso.
    rows = [r for r in D.narcotics_rows() + D.public_rows() if r["layer"] in D.CELLS_LAYERS[role]]
    kc = _cell(next(r for r in rows if abs(r["geometry"].x - D.KLEVSHULT[0]) < 50))
    from geodata import parse_cell_id

    s, ix, iy = parse_cell_id(kc)
    east = str(cell_id(np.array([ix + 1]), np.array([iy]), s)[0])
    sels = {"k": {"type": "cell", "id": kc}, "e": {"type": "cell", "id": east}, "ke": D._box(kc, east)}
    for name, sel in sels.items():
        for b in (d, nxt):
            obs[(name, b)] = counts(page(app, filters(app, custom(d, b, ONLY_CELLS[role]), sel), groups=("cell",)),
                                    role, app)
        pairs += [((name, d), (name, nxt)), (("", d), (name, d))]
    pairs += [(("ke", d), ("k", d)), (("ke", nxt), ("e", nxt))]
    _check(f"{role}: day-apart × filters, clicks, cells", obs, pairs)


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_demo_data_day_apart_ranges_every_count(demo_path, role):
    """The demo data (600 reports over two years: many cells, 'spridda', folded remainders):
    [d, d] and [d+1, d+1] against [d, d+1] over month and quarter ends and a few ordinary days,
    cells layers alone: every count of every view 0 or >= k, alone and subtracted."""
    app = create_app(open_store(demo_path), role=role, today=lambda: TODAY)
    days = [_d(6, 30), _d(7, 14), dt.date(2025, 12, 31), dt.date(2025, 5, 17)]
    if FULL:
        days = _span(dt.date(2025, 1, 1), _d(10, 31))
    obs, pairs = {}, []
    for d in days:
        nxt = d + dt.timedelta(days=1)
        for a, b in ((d, d), (d, nxt), (nxt, nxt)):
            obs.setdefault((a, b), counts(page(app, filters(app, custom(a, b, ONLY_CELLS[role])), groups=("cell",)),
                                          role, app))
        pairs += [((d, d), (d, nxt)), ((nxt, nxt), (d, nxt))]
    _check(f"{role}: demo data, day-apart ranges", obs, pairs)
    assert any(k[0] in ("map", "spridda", "övriga") and v for o in obs.values() for k, v in o.items())


# -- 3. forged requests ------------------------------------------------------------------------------

FORGED = [
    {"weekdays": [2], "hours": [22, 22]},
    {"weekdays": [], "hours": [0, 23]},
    {"hours": [23, 0]},
    {"statuses": ["åtgärdad"]},
    {"statuses": []},
    {"layers": ["narkotika", "otrygg_plats", "hastighet", "okänt", "aktivitet"]},
    {"focus_areas": ["narkotika"], "layers": ["narkotika"]},
    {"preset": "custom", "start": "2026-07-14", "end": "2026-07-14"},
    {"preset": "custom", "start": "2026-07-15", "end": "2026-07-14"},
    {"preset": "custom", "start": "2026-07-14T22:00", "end": "2026-07-14T23:00", "weekdays": [1], "hours": [22, 22]},
    {"commitment": "narvaro-helgkvallar", "weekdays": [4], "hours": [20, 22]},
]


#: The forged stores sent over HTTP: weekday/hour, status, a hidden layer, one day, a reversed range, a commitment.
HTTP_FORGED = [FORGED[i] for i in (0, 3, 5, 7, 8, 10)]


def _forged_states(app):
    base = filters(app, "?t=all")
    return [{**base, **f} for f in FORGED]


#: The narcotics layer's names: the public's answers never name it (its activities are counted
#: under their focus area 'Narkotika' for every role, by design: docs/roller.md).
NARCOTICS_LAYER = re.compile(r"Narkotikatips|Narcotics tips|narkotikatips|narcotics tips")


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_forged_filter_stores_never_give_the_gap_table_or_public_weekday_hours(diff_apps, role):
    """Filter stores the UI never sends, straight into every render callback: the gap table is
    exactly the role's note (as for the default view) for bra and allmanhet; allmanhet's heatmap
    has no trace and no digit, its table none either, and no answer names the narcotics layer."""
    app = diff_apps[role]
    n = 0
    for lang in ("sv", "en"):
        note_only = dumps(page(app, {**filters(app, "?t=all"), "lang": lang})["planning-gaps.children"])
        assert "gaps-rows" not in note_only and "gaps-note" in note_only, note_only
        # bra: the gap table alone, in Swedish (its English note is checked for allmanhet's states).
        for state in _forged_states(app)[:: 1 if lang == "sv" else 4 if role == "allmanhet" else 99]:
            out = page(app, {**state, "lang": lang}, groups=("locality", "cell"))
            assert dumps(out["planning-gaps.children"]) == note_only, (state, lang)
            if role == "allmanhet":
                heat = out["chart-when.figure"]
                assert not any(tr.get("type") == "heatmap" for tr in heat.get("data") or []), state
                assert not re.search(r"\d", dumps(heat.get("data") or [])), state
                table = dumps(out["chart-when-table.children"])
                assert "chart-data" not in table and not re.search(r"\d", table), (state, table)
                text = " ".join(dumps(v) for v in out.values())
                assert not NARCOTICS_LAYER.search(text), (state, re.findall(r".{80}arkotikatips.{80}", text)[:2])
            n += 1
    assert n == len(FORGED) + len(FORGED[::4] if role == "allmanhet" else FORGED[::99])


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A copy of the hand-made file with a bra, an allmanhet and a polis user, served with login."""
    path = tmp_path_factory.mktemp("sweep-http") / "users.gpkg"
    D.make_store(path)
    store = open_store(path)
    users = UserStore(store, hasher=FAST)
    users.add("skarm", "bra", PW)
    users.add("publik", "allmanhet", PW)
    users.add("anna", "polis", PW)
    return create_app(store, today=lambda: TODAY)


def _login(app, name):
    from dashboard.auth import CSRF_COOKIE

    client = app.server.test_client()
    page_ = client.get("/login?next=/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page_.get_data(as_text=True)).group(1)
    r = client.post("/login", data={"csrf_token": token, "username": name, "password": PW, "next": "/"})
    assert r.status_code in (302, 303), r.status_code
    client.get("/")
    return client, {"X-CSRFToken": client.get_cookie(CSRF_COOKIE).value}


def _post(client, headers, app, output_id: str, state: dict, extra_inputs=()):
    key, entry = next((k, e) for k, e in app.callback_map.items() if "callback" in e and output_id in _outputs(k))
    inputs = [{"id": i["id"], "property": i["property"], "value": state if i["id"] == "filters" else None}
              for i in entry["inputs"]]
    for i, value in extra_inputs:
        inputs[i]["value"] = value
    outputs = [{"id": o.split(".")[0], "property": o.split(".", 1)[1]} for o in _outputs(key)]
    body = {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "changedPropIds": ["filters.data"],
            "state": [{"id": s["id"], "property": s["property"], "value": None} for s in entry.get("state", [])]}
    r = client.post("/_dash-update-component", json=body, headers=headers)
    assert r.status_code in (200, 204), (output_id, r.status_code, r.get_data(as_text=True)[:300])
    return r.get_data(as_text=True)


def test_forged_http_callbacks_after_login_get_no_gap_rows_and_no_public_weekday_hours(served):
    """A real login as the meeting screen (bra) and as the public (allmanhet), then forged
    `/_dash-update-component` bodies: the gap table with a weekday, hour, status and one-day
    store; the charts with weekday/hour and a hidden layer. The session's role decides, not the
    request: bra and allmanhet get the note alone, allmanhet no heatmap number, and no
    narcotics tip's count or word for allmanhet."""
    seen = 0
    for user in ("skarm", "publik"):
        client, headers = _login(served, user)
        for forged in HTTP_FORGED:
            state = {"focus_areas": ["trygghet", "trafik", "narkotika"],
                     "layers": ["otrygg_plats", "hastighet", "narkotika", "aktivitet"], "preset": "all",
                     "start": None, "end": None, "weekdays": list(range(7)), "hours": [0, 23],
                     "actors": ["polis", "kommun", "gemensam"], "statuses": ["ny", "pågående", "åtgärdad"],
                     "selection": None, "mode": "auto", "lang": "sv", "present": False, "commitment": None,
                     "view": None, **forged}
            gaps = _post(client, headers, served, "planning-gaps.children", state)
            assert "gaps-rows" not in gaps and "gaps-note" in gaps, (user, forged, gaps[:300])
            charts = _post(client, headers, served, "chart-when.figure", state)
            if user == "publik":
                body = json.loads(charts)["response"]
                heat = body["chart-when"]["figure"]
                assert not any(tr.get("type") == "heatmap" for tr in heat.get("data") or []), forged
                assert not re.search(r"\d", json.dumps(heat.get("data") or [])), forged
                assert not NARCOTICS_LAYER.search(charts), forged
            else:
                body = json.loads(charts)["response"]
                heat = body["chart-when"]["figure"]
                # bra's grid counts only the points layers it sees exactly (never a narcotics tip).
                assert "Narkotikatips" not in json.dumps(heat.get("data") or []), forged
            seen += 1
    assert seen == 2 * len(HTTP_FORGED)


def test_presentation_ceiling_over_http_hides_the_gap_table_and_never_widens(served):
    """A police user sees the gap table's rows (the control: the HTTP harness sees them at all);
    after `/view-as` bra (the presentation switch on a shared screen) the same session gets the
    note alone, and after allmanhet no weekday × hour number; a bra user asking `/view-as` polis
    still gets the note (a ceiling never raises a role)."""
    state = {"focus_areas": ["trygghet", "trafik", "narkotika"],
             "layers": ["otrygg_plats", "hastighet", "narkotika", "aktivitet"], "preset": "all", "start": None,
             "end": None, "weekdays": list(range(7)), "hours": [0, 23], "actors": ["polis", "kommun", "gemensam"],
             "statuses": ["ny", "pågående", "åtgärdad"], "selection": None, "mode": "auto", "lang": "sv",
             "present": False, "commitment": None, "view": None}
    client, headers = _login(served, "anna")
    assert "gaps-rows" in _post(client, headers, served, "planning-gaps.children", state)
    for ceiling in ("bra", "allmanhet"):
        r = client.post("/view-as", data={"role": ceiling, "next": "/"}, headers=headers)
        assert r.status_code == 303, r.status_code
        gaps = _post(client, headers, served, "planning-gaps.children", state)
        assert "gaps-rows" not in gaps and "gaps-note" in gaps, (ceiling, gaps[:300])
        heat = json.loads(_post(client, headers, served, "chart-when.figure", {**state, "weekdays": [2],
                                                                                "hours": [22, 22]}))
        data = heat["response"]["chart-when"]["figure"].get("data") or []
        assert "Narkotikatips" not in json.dumps(data), ceiling
        if ceiling == "allmanhet":
            assert not re.search(r"\d", json.dumps(data)), data
    client, headers = _login(served, "skarm")
    r = client.post("/view-as", data={"role": "polis", "next": "/"}, headers=headers)
    assert r.status_code == 303, r.status_code
    gaps = _post(client, headers, served, "planning-gaps.children", state)
    assert "gaps-rows" not in gaps and "gaps-note" in gaps, gaps[:300]
