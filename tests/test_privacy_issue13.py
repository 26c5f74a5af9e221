"""Adversarial privacy review of the issue-13 views (hot spots, indicator cards, meeting report) for
the reduced roles: two worlds that differ only in facts a role must not learn answer alike, and
every count of a cells-mode layer a role reads (a hot-spot cell, a card's window) is 0 or ≥ k,
also as the difference of two answers about nested sets.

Two worlds: two data files of tests/privacy_harness.py's hand-made data that differ in narcotics
tips (bra) or public reports (allmanhet) moved to another day, hour, status or suppressed place
inside the same published unit (its month or merged block, and its cell or the remainder): both
publish the same release (checked first), so any byte of an answer that differs tells the role
something finer than the release. A police app on the same two files does see the moves (the control).

The near-repeat view, the report download and the caches are attacked in
tests/test_privacy_issue13_http.py (real logins over the Flask test client).
SWEEP_FULL=1 sweeps every day of the moved reports' months instead of the days where something happens.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point

import tests.privacy_harness as D
from dashboard.app import create_app
from geodata import cell_id, cell_index
from layers.store import GeoPackageStore, open_store
from tests.dash_fixtures import call
from tests.helpers import reports_frame

K = D.K
TODAY = D.TODAY
FULL = os.environ.get("SWEEP_FULL") == "1"
#: Per role the layers asked for: its cells-mode layers, a hidden one (narcotics for allmanhet), a
#: forged unknown one and none (the dropdown's None); SWEEP_FULL=1 also bra's points layers.
HS_LAYERS = {"bra": ("narkotika", "bogus", None) + (("otrygg_plats", "hastighet") if FULL else ()),
             "allmanhet": ("otrygg_plats", "hastighet", "narkotika", "bogus", None)}
#: bra's secret facts: (report id suffix, how world B has it); each move keeps its published unit.
BRA_MOVES = {
    "njk1": dict(when=D.when(7, 29, 3), dx=90, dy=60, status="åtgärdad"),  # Klevshult, same cell, July
    "njl0": dict(when=D.when(7, 2, 14), at=(D.KLEVSHULT[0] + 40, D.KLEVSHULT[1] - 30)),  # lone -> Klevshult: övriga
    "nak10": dict(when=D.when(8, 30, 1), at=(D.LONE[0] + 20, D.LONE[1] + 20), status="åtgärdad"),  # aug–sep övriga
    "noh1": dict(when=D.when(10, 28, 4)),  # October: held back (trailing)
    "nnh0": dict(when=D.when(11, 25, 13), status="åtgärdad"),  # November: open month
}
#: allmanhet's secret facts (quarters; narcotics are never shown to the public, so added freely).
PUBLIC_MOVES = {
    "pq3k0": dict(when=D.when(9, 28, 4), at=(D.LONE[0] - 30, D.LONE[1] + 10), status="åtgärdad"),  # Q3 övriga
    "pq2h0": dict(when=D.when(4, 2, 7), dx=60, dy=-40),  # Q2, folded into övriga, same cell
    "hq3s0": dict(when=D.when(7, 1, 17)),  # Q3 speed complaints, other months
    "hq3s1": dict(when=D.when(8, 15, 17), status="åtgärdad"),
    "pq4h1": dict(when=D.when(10, 3, 2)),  # the open quarter
}


def _cell(row) -> str:
    return str(cell_id(*cell_index(np.array([row["geometry"].x]), np.array([row["geometry"].y]), 500), 500)[0])


def _moved(row, when=None, dx=0.0, dy=0.0, at=None, status=None):
    row = dict(row)
    if when is not None:
        row["occurred_at"] = row["reported_at"] = when
    row["geometry"] = Point(*at) if at is not None else Point(row["geometry"].x + dx, row["geometry"].y + dy)
    if status is not None:
        row["status"] = status
    return row


def world_rows(world: str, role: str) -> list[dict]:
    rows = D.narcotics_rows() + D.public_rows()
    if world == "A":
        return rows
    moves = BRA_MOVES if role == "bra" else PUBLIC_MOVES
    out = []
    for row in rows:
        move = moves.get(row["id"][2:])
        if move is not None:
            new = _moved(row, **move)
            assert "at" in move or _cell(new) == _cell(row), (row["id"], "left its cell")
            row = new
        out.append(row)
    if role == "allmanhet":
        out += D.tips("extra-n", 3, D.KLEVSHULT, 9, 12) + D.tips("extra-m", 4, D.VAGGERYD, 11, 1)
    return out


#: A hot-spot cluster in the countryside: 3 × 3 cells of 500 m with 6 to 8 reports each (all published),
#: and two reports in a cell beside it (never published) that world B moves to another cell beside it.
CLUSTER = (D.LONE[0] + 2_000.0, D.LONE[1] + 250.0)
#: (layer, month) of the cluster per role: bra's narcotics in June, the public's unsafe places in Q2.
CLUSTER_AT = {"bra": ("narkotika", 6), "allmanhet": ("otrygg_plats", 5)}


def cluster_rows(world: str, role: str) -> list[dict]:
    layer, month = CLUSTER_AT[role]
    rows = []
    for i in (-1, 0, 1):
        for j in (-1, 0, 1):
            at = (CLUSTER[0] + 500 * i, CLUSTER[1] + 500 * j)
            rows += D.tips(f"hs{i + 1}{j + 1}-", 8 if i == j == 0 else 6, at, month, 1, layer)
    beside = (CLUSTER[0] + 1000, CLUSTER[1]) if world == "A" else (CLUSTER[0] + 1000, CLUSTER[1] + 500)
    return rows + D.tips("hsx", 2, beside, month, 20, layer)


def make_world(path, world: str, role: str, rows=None):
    shutil.copy(EMPTY[0], path)  # one empty file copied: both worlds share the order secret
    store = open_store(path)
    store.add_reports(reports_frame(rows if rows is not None else world_rows(world, role)))
    store.add_activities(gpd.GeoDataFrame(D.activity_rows(), geometry="geometry", crs="EPSG:3006"))
    return path


EMPTY: list = []


@pytest.fixture(scope="module")
def world_paths(tmp_path_factory):
    folder = tmp_path_factory.mktemp("issue13")
    EMPTY[:] = [folder / "empty.gpkg"]
    GeoPackageStore.create(EMPTY[0])
    paths = {(role, w): make_world(folder / f"{role}-{w}.gpkg", w, role) for role in ("bra", "allmanhet") for w in "AB"}
    for role in ("bra", "allmanhet"):
        for w in "AB":
            paths[("hs-" + role, w)] = make_world(folder / f"hs-{role}-{w}.gpkg", w, role,
                                                  rows=world_rows(w, role) + cluster_rows(w, role))
    return paths


@pytest.fixture(scope="module")
def worlds(world_paths):
    """role -> {"A": app, "B": app}; "hs-" + role: the same with the hot-spot cluster."""
    return {name: {w: create_app(open_store(world_paths[(name, w)]), role=name.removeprefix("hs-"),
                                 today=lambda: TODAY) for w in "AB"}
            for name in ("bra", "allmanhet", "hs-bra", "hs-allmanhet")}


def dumps(value) -> str:
    def default(o):
        if hasattr(o, "to_plotly_json"):
            return o.to_plotly_json()
        if dataclasses.is_dataclass(o):
            return dataclasses.asdict(o)
        return str(o)

    return json.dumps(value, default=default, ensure_ascii=False, sort_keys=True)


def by_output(app, output: str):
    for key, entry in app.callback_map.items():
        names = [p.split("@")[0] for p in (key[2:-2].split("...") if key.startswith("..") else [key])]
        if "callback" in entry and output in names:
            return entry["callback"].__wrapped__
    raise KeyError(output)


def hotspots(app, state: dict, layer) -> tuple:
    """The hot-spot callback's four outputs (map, legend, note, layer choices) for `layer`, panel open."""
    return call(by_output(app, "hotspot-map.figure"), "filters.data", state, layer, True)


def _first_difference(a: str, b: str) -> str:
    i = next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"A: …{a[max(0, i - 160):i + 120]}…\nB: …{b[max(0, i - 160):i + 120]}…"


def _d(m, d):
    return dt.date(2026, m, d)


def _span(first, last):
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _day_apart(days) -> list[str]:
    return [s for d in days for s in (D.custom(d, d), D.custom(d, d + dt.timedelta(days=1)))]


MOVE_DAYS = {
    "bra": [_d(7, 2), _d(7, 15), _d(7, 20), _d(7, 29), _d(8, 14), _d(8, 30), _d(10, 28), _d(11, 25)],
    "allmanhet": [_d(4, 2), _d(6, 20), _d(7, 1), _d(8, 9), _d(8, 15), _d(9, 21), _d(9, 28), _d(10, 3)],
}
FULL_DAYS = {"bra": _span(_d(6, 30), _d(8, 31)) + _span(_d(10, 1), _d(11, 26)), "allmanhet": _span(_d(3, 31), _d(11, 26))}
#: Filters a page can send besides the time: status, weekday/hour, focus, layers, English, presentation.
EXTRAS = ("&st=åtgärdad", "&wd=2&h=22-22", "&wd=0&h=4-4&st=åtgärdad", "&fa=narkotika", "&fa=trafik",
          "&ly=narkotika", "&ly=otrygg_plats,hastighet", "&lang=en", "&present=1&mode=density")


def requests(role: str) -> list[str]:
    """Day-apart windows on the moved reports' days, presets, filters, long windows (SWEEP_FULL=1:
    every day of their months, every preset and filter)."""
    if not FULL:
        month = (_d(7, 1), _d(7, 31)) if role == "bra" else (_d(7, 1), _d(9, 30))
        return (_day_apart(MOVE_DAYS[role][::2]) + ["?t=all", "?t=30d"]
                + [D.custom(*month, extra) for extra in ("&wd=2&h=22-22&st=åtgärdad", "&lang=en")]
                + [D.custom(_d(4, 1), _d(11, 26))])
    out = _day_apart(FULL_DAYS[role]) + ["?t=all", "?t=30d", "?t=quarter", "?t=month", "?t=year"]
    month = (_d(7, 1), _d(7, 31)) if role == "bra" else (_d(7, 1), _d(9, 30))
    out += [D.custom(*month, extra) for extra in EXTRAS]
    out += [D.custom(_d(1, 1), _d(10, 31)), D.custom(_d(6, 1), _d(9, 30)), D.custom(_d(4, 1), _d(11, 26))]
    return out


def _release_units(app, role: str):
    rel = app._trygghetskarta["views"].role_data(role).release
    counts = rel.counts.sort_values(list(rel.counts.columns)).reset_index(drop=True)
    return [(b.start, b.end) for b in rel.blocks], counts.to_dict("records")


# -- 0. the precondition: the same release, different police answers ----------------------------------

def test_worlds_publish_the_same_release_and_the_police_see_the_moves(worlds, world_paths):
    """Both files publish the same release to the role; the police's hot spots of the moved
    layer differ between them (the comparison can see a move at all)."""
    for name, apps in worlds.items():
        role = name.removeprefix("hs-")
        assert _release_units(apps["A"], role) == _release_units(apps["B"], role), name
        police = {w: create_app(open_store(world_paths[(name, w)]), role="polis", today=lambda: TODAY) for w in "AB"}
        layer = CLUSTER_AT[role][0] if name.startswith("hs-") else None
        state = {w: D.filters(police[w], "?t=all") for w in "AB"}
        if layer:  # the police's Gi* of the cluster's edge sees the two reports move
            a, b = (dumps(hotspots(police[w], state[w], layer)[0]) for w in "AB")
        else:
            a, b = (dumps(call(by_output(police[w], "map.figure"), "filters.data", state[w], None, None)) for w in "AB")
        assert a != b, name
    # The cluster is a hot spot for the reduced roles too, from their published cells.
    for role in ("bra", "allmanhet"):
        app = worlds["hs-" + role]["A"]
        fig = hotspots(app, D.filters(app, "?t=all"), CLUSTER_AT[role][0])[0]
        classes = fig["layout"]["meta"]["classes"]
        assert classes["hot99"] + classes["hot95"] + classes["hot90"] >= 5, (role, classes)
        assert any(n and n >= 6 for n in hotspot_counts(fig).values()), role
    # July for bra: Hok's cell of 9 is published, the rest (Klevshult 3, the lone tip, Skillingaryd 2) is not.
    fig, _legend, note, choices = hotspots(worlds["bra"]["A"], D.filters(worlds["bra"]["A"], D.custom(
        _d(7, 1), _d(7, 31))), "narkotika")
    assert [c["value"] for c in choices] == ["otrygg_plats", "hastighet", "narkotika"]
    assert "9 rapporter ligger i rutorna" in note and "minst 5 rapporter i varje" in note, note


# -- 1. hot spots --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["bra", "allmanhet", "hs-bra", "hs-allmanhet"])
def test_hotspots_two_worlds_alike(worlds, name):
    """The hot-spot callback (figure with Gi* z/q in the hover, the legend's class counts, the
    note's report count, the layer choices), for every layer the role sees, a hidden one (narcotics
    for allmanhet), an unknown one and none, over day-apart windows on the moved reports' old and new
    days, presets, status/weekday/hour/focus/layer filters and English: byte-identical in both worlds."""
    role = name.removeprefix("hs-")
    apps, diffs, n = worlds[name], [], 0
    searches = requests(role)
    if name.startswith("hs-"):  # the cluster's month and the next, day-apart on its days
        month = CLUSTER_AT[role][1]
        searches = ["?t=all", D.custom(_d(month, 1), _d(month + 1, 30), "&lang=en")] + _day_apart(
            [_d(month, 1), _d(month, 20), _d(month, 21)] if not FULL else _span(_d(month, 1), _d(month, 28)))
    for search in searches:
        states = {w: D.filters(apps[w], search) for w in "AB"}
        for layer in HS_LAYERS[role]:
            a, b = (dumps(hotspots(apps[w], states[w], layer)) for w in "AB")
            n += 1
            if a != b:
                diffs.append((search, layer, _first_difference(a, b)))
    print(f"\n[issue13] hot spots {name}: {n} requests per world")
    assert n >= 24
    assert not diffs, f"{role}: {len(diffs)} hot-spot answers tell world A from world B; first: {diffs[0]}"


HIDDEN_WORDS = {"sv": "färre än 5 eller inga", "en": "fewer than 5 or none"}


def hotspot_counts(fig: dict) -> dict[str, int | None]:
    """cell id -> the count its hover says (None: 'fewer than k or none')."""
    out = {}
    for trace in fig.get("data") or []:
        if str(trace.get("meta", "")).startswith("hotspot:"):
            for cid, custom in zip(trace["locations"], trace["customdata"], strict=True):
                text = str(custom[1])
                out[cid] = None if text in HIDDEN_WORDS.values() else int(re.sub(r"\D", "", text))
    return out


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_hotspot_counts_and_their_differences_are_never_below_k(worlds, role):
    """Every count the hot-spot hover says for a cells-mode layer is ≥ k or 'fewer than k or
    none'; all answers over the same published blocks say the same counts and the same note
    ('N rapporter ligger i rutorna'), and over nested blocks the same cell's count and the note's
    differ by 0 or ≥ k (what an attacker subtracts); a forged hidden layer answers as the first visible."""
    from dashboard.filters import FilterState
    from dashboard.hotspot_view import hotspot_state

    app = worlds["hs-" + role]["A"]
    views = app._trygghetskarta["views"]
    layers = D.CELLS_LAYERS[role]
    seen: dict[tuple, dict] = {}
    shown = asked = 0
    month = CLUSTER_AT[role][1]
    months = [D.custom(_d(m, 1), _d(m + 1, 1) - dt.timedelta(days=1)) for m in range(3, 11)]
    for search in requests(role) + months + _day_apart([_d(month, 1), _d(month, 20)]):
        state = D.filters(app, search)
        for layer in layers:
            fig, _legend, note, _choices = hotspots(app, state, layer)
            asked += 1
            counts = hotspot_counts(fig)
            bad = {c: n for c, n in counts.items() if n is not None and n < K}
            assert not bad, (search, layer, bad)
            shown += sum(1 for n in counts.values() if n)
            m = re.search(r"(\d[\d\u00a0 ]*) (?:rapporter ligger|reports lie)", note)
            assert m, note
            answer = {**{("cell", c): n or 0 for c, n in counts.items()}, ("reports",): int(re.sub(r"\D", "", m.group(1)))}
            frames = views.get(hotspot_state(FilterState.from_dict(state), layer, views.data), role)
            span = frames.release.span
            key = (layer, span)
            assert seen.setdefault(key, answer) == answer, (search, key)
        if role == "allmanhet":
            forged = hotspots(app, state, "narkotika")
            assert dumps(forged) == dumps(hotspots(app, state, "otrygg_plats")), search
            assert "Narkotika" not in dumps(forged)
    assert shown > 0  # some published cell was drawn with its count (the parser reads them)
    nested = 0
    for (la, sa), a in seen.items():
        for (lb, sb), b in seen.items():
            if la != lb or sa == sb or sa is None or sb is None or not (sb[0] <= sa[0] and sa[1] <= sb[1]):
                continue
            nested += 1
            for key in set(a) | set(b):
                assert not 0 < abs(b.get(key, 0) - a.get(key, 0)) < K, (la, sa, sb, key, a.get(key), b.get(key))
    print(f"\n[issue13] hot-spot counts {role}: {asked} answers, {len(seen)} block spans, {nested} nested pairs")
    assert len(seen) >= 4 and nested >= 2
