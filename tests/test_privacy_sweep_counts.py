"""Privacy sweep, attack 2: day-apart differencing of every count of the cells layers in every view.

Day-apart differencing. Ranges [d, d] and [d, d+1] over the months with small counts
(tests/privacy_harness.py's hand-made data: Klevshult 3 tips in July, a lone tip, ...)
for the cells-mode layers only and no activities, so every count in every answer is one of
the cells layers: each number, and each difference of nested neighbouring answers, is 0 or
>= k; combined with status/weekday/hour filters, a heatmap click and cells a box apart; and
over the demo data.

SWEEP_FULL=1 sweeps every day of the spans instead of the days where something happens.

Part of the adversarial privacy sweep of the newer views (heatmap with presence, gap table, chart
tables, the "where" table with place names, report list, promise and effects) for the reduced roles,
through the real Dash callbacks found by their OUTPUT ids (tests/sweep_harness.py). The three attacks:
test_privacy_sweep_worlds.py, test_privacy_sweep_counts.py, test_privacy_sweep_forged.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pytest

import tests.privacy_harness as D
from dashboard import a11y
from dashboard.app import create_app
from geodata import cell_id
from layers.store import open_store
from tests import sweep_harness
from tests.markdown_tables import read_tables
from tests.sweep_harness import (
    FULL,
    TODAY,
    K,
    _cell,
    _d,
    _span,
    click_state,
    custom,
    dumps,
    filters,
    page,
)

# The harness's module fixture, bound here so that this module has its own instance.
diff_apps = sweep_harness.diff_apps


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
