"""The differencing harness: the hand-made data file with known counts, its apps, and `observe`.

`observe` takes from every response every number about a cells-mode layer (map cells, the map
note's 'spridda rapporter' and 'övriga platser', the time chart's bars and title total, the
'where' tables and their footers) and the totals minus what is shown; `check_pairs` asserts that
each figure and each difference of two requests is 0 or >= k. The counts of the data are in the
docstrings of `narcotics_rows` and `public_rows`. The module fixtures (`base_path`, `fresh_path`,
`apps`) are bound by name in each test module that uses them (one instance per module).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from dashboard.app import create_app
from geodata import cell_id, cell_index, cell_rings_wgs84, to_wgs84
from layers.store import GeoPackageStore, open_store
from tests.conftest import END
from tests.helpers import SKILLINGARYD, VAGGERYD, activity, report, reports_frame
from tests.markdown_tables import read_tables
from tests.test_dashboard_roles import _call, _callbacks

K = 5
TODAY = END  # 2026-11-27: October (bra) and the third quarter (allmanhet) are the last closed periods
HOK = (456551, 6374851)
KLEVSHULT = (445683, 6356882)
LONE = (441_130.0, 6_353_180.0)  # countryside south of Klevshult
SKI_B = (SKILLINGARYD[0] + 700, SKILLINGARYD[1])  # a second Skillingaryd cell
VAG_AROUND = [(VAGGERYD[0] + 600, VAGGERYD[1]), (VAGGERYD[0], VAGGERYD[1] + 600),
              (VAGGERYD[0] - 600, VAGGERYD[1])]
TZ = ZoneInfo("Europe/Stockholm")
CELLS_LAYERS = {"bra": ("narkotika",), "allmanhet": ("otrygg_plats", "hastighet")}
LAYER_SV = {"otrygg_plats": "Otrygga platser", "hastighet": "Hastighetsklagomål", "narkotika": "Narkotikatips"}
CHECKED: dict[str, list[int]] = {}  # family -> [pairs checked, violations] (printed with -s)


def when(month: int, day: int, hour: int = 22, year: int = 2026) -> str:
    """Local time as ISO text with its offset; a day past the month's end runs on."""
    date = dt.date(year, month, 1) + dt.timedelta(days=day - 1)
    return dt.datetime(date.year, date.month, date.day, hour, 0, tzinfo=TZ).isoformat()


def tips(prefix, n, at, month, day=3, layer="narkotika", step=1, status="ny"):
    """n reports a few metres apart (one 500 m cell) on consecutive days (or `step` apart)."""
    focus = {"narkotika": "narkotika", "otrygg_plats": "trygghet", "hastighet": "trafik"}[layer]
    return [report(f"{prefix}{i}", layer=layer, focus=focus, at=(at[0] + 3 * i, at[1] + 3 * i),
                   when=when(month, day + step * i, 22 if layer != "hastighet" else 8),
                   status=status if i % 2 else "ny") for i in range(n)]


def narcotics_rows():
    """bra, months (closed through October at TODAY):
    Apr  Vaggeryd 6, Skillingaryd 2, Klevshult 3       -> jan–apr (Jan–Mar 0): cell 6, övriga 5
    May  Vaggeryd 6, two Skillingaryd cells of 3        -> cell 6, spridda Skillingaryd 6
    Jun  none                                           -> waits for July (0 counts as fewer than k)
    Jul  Hok 9, Klevshult 3, a lone tip, Skillingaryd 2 -> jun–jul: cell 9, övriga 6
    Aug  a lone Klevshult tip                           -> waits for September
    Sep  Hok 5, Vaggeryd 5                              -> aug–sep: one cell 5, övriga 6
    Oct  Hok 2                                          -> waits (trailing)
    Nov  Hok 3                                          -> open month
    """
    return [
        *tips("nav", 6, VAGGERYD, 4, 3), *tips("nas", 2, SKILLINGARYD, 4, 20), *tips("nak", 3, KLEVSHULT, 4, 10),
        *tips("nmv", 6, VAGGERYD, 5, 3), *tips("nmsa", 3, SKILLINGARYD, 5, 3, step=3),
        *tips("nmsb", 3, SKI_B, 5, 10),
        *tips("njh", 9, HOK, 7, 3, step=2), *tips("njk", 3, KLEVSHULT, 7, 14), *tips("njl", 1, LONE, 7, 20),
        *tips("njs", 2, SKILLINGARYD, 7, 25),
        *tips("nak1", 1, KLEVSHULT, 8, 14),
        *tips("nsh", 5, HOK, 9, 2, step=3), *tips("nsv", 5, VAGGERYD, 9, 10),
        *tips("noh", 2, HOK, 10, 5),
        *tips("nnh", 3, HOK, 11, 2),
    ]


def public_rows():
    """allmanhet, quarters (closed through Q3 at TODAY):
    Q1  (March) otrygg Skillingaryd 3; hastighet Vaggeryd 6 -> otrygg 1..4: merged with Q2
    Q2  otrygg Skillingaryd 5, Vaggeryd 3 cells of 2, Klevshult 4, Hok 1; hastighet Klevshult 5
        -> q1–q2: otrygg cell 8, spridda Vaggeryd 6, övriga 5; hastighet cells 6 and 5
    Q3  otrygg Hok 6, Klevshult 1, Skillingaryd B 4; hastighet Vaggeryd 5, Skillingaryd 2
        -> otrygg cell 6, övriga 5; hastighet övriga 7
    Q4  (open) otrygg Hok 3, hastighet Vaggeryd 2
    """
    o, h = "otrygg_plats", "hastighet"
    return [
        *tips("pq1s", 3, SKILLINGARYD, 3, 10, o, step=7), *tips("hq1v", 6, VAGGERYD, 3, 2, h, step=4),
        *tips("pq2s", 5, SKILLINGARYD, 4, 2, o, step=17, status="åtgärdad"),
        *[r for n, at in enumerate(VAG_AROUND) for r in tips(f"pq2v{n}", 2, at, 5, 4 + 9 * n, o)],
        *tips("pq2k", 4, KLEVSHULT, 6, 3, o), *tips("pq2h", 1, HOK, 6, 20, o),
        *tips("hq2k", 5, KLEVSHULT, 4, 6, h, step=11),
        *tips("pq3h", 6, HOK, 7, 1, o, step=14, status="åtgärdad"), *tips("pq3k", 1, KLEVSHULT, 8, 9, o),
        *tips("pq3b", 4, SKI_B, 9, 8, o),
        *tips("hq3v", 5, VAGGERYD, 7, 6, h, step=6), *tips("hq3s", 2, SKILLINGARYD, 9, 21, h),
        *tips("pq4h", 3, HOK, 10, 12, o, step=12), *tips("hq4v", 2, VAGGERYD, 11, 3, h),
    ]


def activity_rows():
    return [
        activity(1, focus="narkotika", actor="kommun", kind="informationsinsats", at=HOK,
                 planned=when(7, 10, 10), done=when(7, 10, 11)),
        activity(2, focus="narkotika", actor="kommun", kind="informationsinsats", at=VAGGERYD,
                 planned=when(6, 15, 10), done=when(6, 15, 11)),
        activity(3, focus="narkotika", actor="polis", kind="närvaro/patrull", at=SKILLINGARYD,
                 planned=when(5, 20, 20), done=when(5, 20, 22)),
        activity(4, at=SKILLINGARYD, planned=when(4, 5, 19), done=when(4, 5, 21)),
        activity(5, at=HOK, planned=when(8, 5, 19), done=when(8, 5, 21)),
        activity(6, focus="trafik", kind="hastighetskontroll", at=VAGGERYD, planned=when(5, 5, 7),
                 done=when(5, 5, 9)),
    ]


def make_store(path):
    store = GeoPackageStore.create(path)
    store.add_reports(reports_frame(narcotics_rows() + public_rows()))
    store.add_activities(gpd.GeoDataFrame(activity_rows(), geometry="geometry", crs="EPSG:3006"))
    return store


@pytest.fixture(scope="module")
def base_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("differencing") / "small.gpkg"
    make_store(path)
    return path


@pytest.fixture
def fresh_path(base_path, tmp_path):
    """A private copy of the data file (for imports and exports that build releases)."""
    path = tmp_path / "copy.gpkg"
    shutil.copy(base_path, path)
    return path


@pytest.fixture(scope="module")
def apps(base_path):
    return {role: create_app(open_store(base_path), role=role, today=lambda: TODAY) for role in CELLS_LAYERS}


# -- calling the callbacks ---------------------------------------------------------------------

# The callbacks are called in-process as in tests/test_dashboard_roles.py (_call, _callbacks).


def filters(app, search: str, selection: dict | None = None) -> dict:
    """The filter store after loading `search` as the page URL (and then a map selection)."""
    state = _call(_callbacks(app)["sync_state"], "url.search", search, *[None] * 10, "sv", 0, 0, 0,
                  None, None, None, None, None, None, None)[12]
    return {**state, "selection": selection} if selection else state


def _int(text) -> int:
    return int(re.sub(r"[^\d-]", "", str(text)))


def observe(app, role: str, search: str, selection: dict | None = None, where: bool = True,
            layers: tuple[str, ...] | None = None) -> dict:
    """Every number a page shows about the role's cells-mode layers, keyed by what it counts.
    Derived keys: totals minus the points and minus what is shown (an attacker subtracts)."""
    cbs = _callbacks(app)
    state = filters(app, search, selection)
    layers = layers or CELLS_LAYERS[role]
    out: dict[tuple, int] = {}
    figure, note, _info = _call(cbs["render_map"], "filters.data", state, None, None)
    shown, per_layer = 0, dict.fromkeys(layers, 0)
    for trace in figure["data"]:
        meta = str(trace.get("meta", ""))
        if meta.startswith("cells:") and meta[6:] in layers:
            for loc, z in zip(trace["locations"], trace["z"], strict=True):
                out[("map", meta[6:], loc)] = int(z)
                shown += int(z)
                per_layer[meta[6:]] += int(z)
    for segment in str(note).split(" · "):
        for lid in layers:
            if not segment.startswith(LAYER_SV[lid] + ":"):
                continue
            for part in segment.split("; "):
                if part.startswith("spridda rapporter: "):
                    for item in part[len("spridda rapporter: "):].split(", "):
                        name, n = item.rsplit(" ", 1)
                        out[("spridda", lid, name)] = _int(n)
                        shown += _int(n)
                        per_layer[lid] += _int(n)
                elif part.startswith("övriga platser "):
                    out[("övriga", lid)] = _int(part[len("övriga platser "):])
                    shown += out[("övriga", lid)]
                    per_layer[lid] += out[("övriga", lid)]
    points = re.search(r"([\d\u00a0 ]+) rapporter (som punkter|i rutor)", str(note))
    points = _int(points.group(1)) if points else 0
    _acts, time_chart, _heat, *_tables = _call(cbs["render_charts"], "filters.data", state)
    bars = 0
    for trace in time_chart.get("data", []):
        if trace.get("meta") in layers:
            layer_bars = sum(int(y) for y in trace["y"] if y is not None)
            for x, y in zip(trace["x"], trace["y"], strict=True):
                if y is not None:
                    out[("bar", trace["meta"], x)] = int(y)
            bars += layer_bars
            out[("bars-shown", trace["meta"])] = layer_bars - per_layer[trace["meta"]]
    title = time_chart["layout"].get("title", {}).get("text") if isinstance(time_chart["layout"].get("title"), dict) \
        else time_chart["layout"].get("title")
    # 'Rapporter över tid<br>102 i urvalet' (or the older one-line '102 rapporter …'); a title
    # without a count is a broken harness, never a silent 0.
    found = re.search(r"(\d[\d\u00a0 ]*) (?:rapporter|i urvalet|reports|selected)", str(title or ""))
    assert found or not title or "Inga" in str(title) or "No " in str(title), f"no count in the title {title!r}"
    total = _int(found.group(1)) if found else 0
    # The title counts the points too (exactly known from the map): the rest is the cells layers'.
    out[("title-points",)] = total - points
    out[("title-points-bars",)] = total - points - bars
    out[("title-points-shown",)] = total - points - shown
    if where:
        for group in ("locality", "cell"):
            table = _call(cbs["render_where"], "filters.data", state, group)
            # One Markdown table (dashboard.tables), read as the user reads it; a message has none.
            tables = read_tables(table.children) if type(table).__name__ == "Markdown" else []
            if not tables:
                continue
            heads = tables[0]["head"]
            columns = {i: lid for i, name in enumerate(heads) for lid in layers if name == LAYER_SV[lid]}
            for row in tables[0]["body"]:
                place = str(row[1]).split(" (")[0]
                for i, lid in columns.items():
                    out[("where", group, place, lid)] = _int(row[i])
            if tables[0]["after"]:  # the footer: 'Alla platser: N rapporter' / 'n av total'
                numbers = [_int(n) for n in re.findall(r"\d[\d\u00a0]*", tables[0]["after"][0])]
                for i, n in enumerate(numbers):
                    out[("footer", group, i)] = n - points  # every point the role sees is placed
    return out


def violations(a: dict, b: dict | None = None) -> list:
    """Figures and per-key differences of two observations that are neither 0 nor ≥ k."""
    bad = []
    for key, value in a.items():
        if 0 < abs(value) < K:
            bad.append((key, value))
    if b is None:
        return bad
    for key, value in b.items():
        if 0 < abs(value) < K:
            bad.append((key, value))
    for key in set(a) & set(b):
        d = a[key] - b[key]
        if 0 < abs(d) < K:
            bad.append((key, a[key], b[key]))
    return bad


def check_pairs(family: str, observations: dict, pairs) -> None:
    checked, found = 0, []
    for x, y in pairs:
        checked += 1
        bad = violations(observations[x], observations[y])
        if bad:
            found.append((x, y, bad[:3]))
    CHECKED[family] = [checked, len(found)]
    print(f"\n[differencing] {family}: {checked} request pairs, {len(found)} with a count 1..{K - 1}")
    assert checked > 0
    assert not found, (f"{family}: {len(found)} of {checked} request pairs reveal a count 1..{K - 1}; "
                       f"first: {found[:3]}")


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def custom(a: dt.date | None, b: dt.date | None, extra: str = "") -> str:
    parts = ["t=custom"] + ([f"from={a.isoformat()}"] if a else []) + ([f"to={b.isoformat()}"] if b else [])
    return "?" + "&".join(parts) + extra


# -- requests: the cells layers alone, the data's span, cells and lassos -------------------------

#: The sweeps ask for the cells layers only (any layer set is a valid request; points cost time).
LY = {"bra": "&ly=narkotika", "allmanhet": "&ly=otrygg_plats,hastighet"}
SPAN = {"bra": (dt.date(2026, 4, 1), dt.date(2026, 11, 26)), "allmanhet": (dt.date(2026, 3, 1), dt.date(2026, 11, 26))}


def _ring(cid: str):
    from geodata import parse_cell_id

    s, ix, iy = parse_cell_id(cid)
    return cell_rings_wgs84(np.array([ix]), np.array([iy]), s)[0]


def _box(*cids, inset=1e-4) -> dict:
    rings = np.concatenate([_ring(c) for c in cids])
    lo, la = rings[:, 0], rings[:, 1]
    return {"type": "polygon", "coords": [[lo.min() + inset, la.min() + inset], [lo.max() - inset, la.min() + inset],
                                          [lo.max() - inset, la.max() - inset], [lo.min() + inset, la.max() - inset]]}


def _circle(x, y, r) -> dict:
    angles = np.linspace(0, 2 * np.pi, 13)[:-1]
    lon, lat = to_wgs84(x + r * np.cos(angles), y + r * np.sin(angles))
    return {"type": "polygon", "coords": [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]}


HOK_CELL = str(cell_id(*cell_index(np.array([HOK[0]]), np.array([HOK[1]]), 500), 500)[0])


# -- export files and releases -----------------------------------------------------------------------

def _export_counts(files: dict[str, bytes], role: str) -> dict:
    name = "trygghetskarta.csv" if role == "allmanhet" else "trygghetskarta-rutor.csv"
    if name not in files:
        return {}
    frame = pd.read_csv(io.BytesIO(files[name]), sep=";", decimal=",", encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    out: dict[tuple, int] = {}
    total = 0
    for row in frame.to_dict("records"):
        unit = row.get("enhet", "ruta") or "ruta"
        key = ("export", row["layer"], unit, row["cell_id"] if unit == "ruta" else row.get("locality", ""))
        out[key] = out.get(key, 0) + _int(row["count"])
        total += _int(row["count"])
    out[("export-total",)] = total
    return out


def _build(pol, reports, today, previous=None, kind="month"):
    """A release built straight from report dicts (the store's path without a data file)."""
    from layers.release import build_release, release_rows

    gdf = reports_frame(reports)
    frame = pd.DataFrame({"id": gdf["id"], "layer": gdf["layer"], "occurred_at": gdf["occurred_at"],
                          "x": gdf.geometry.x, "y": gdf.geometry.y})
    return build_release(release_rows(frame, pol, "0665", kind), pol, "0665", today, kind, previous)
