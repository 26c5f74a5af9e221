"""Per role: every dashboard callback and every export path, called on the demo data, and
the payloads searched for what the role may not see (exact tips, free text, fine times)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import shutil
from contextvars import copy_context

import numpy as np
import pandas as pd
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from plotly.utils import PlotlyJSONEncoder

from dashboard.app import create_app
from dashboard.export import export
from geodata import cell_id, cell_id_place_names, cell_index, to_wgs84, unique_labels
from layers.demo import DESCRIPTIONS
from layers.privacy import ROLES
from layers.store import StoreError, open_store
from tests.conftest import END
from tests.helpers import report, reports_frame, title_count, title_lines
from tests.markdown_tables import read_tables

SECRET = "HEMLIGT TIPS Storgatan 7 <script>alert(1)</script>"
XSS = "<img src=x onerror=alert(2)> otryggt"
# A lone narcotics tip far from the demo's hotspots, in the countryside south of Klevshult.
LONE = (441_130.0, 6_353_180.0)


def _call(fn, prop_id, *args):
    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": None}]))
        return fn(*args)

    return copy_context().run(run)


def _callbacks(app) -> dict:
    # Clientside callbacks have no Python function.
    return {entry["callback"].__name__: entry["callback"].__wrapped__ for entry in app.callback_map.values()
            if "callback" in entry}


@pytest.fixture(scope="module")
def store_path(demo_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("roles") / "demo.gpkg"
    shutil.copy(demo_path, path)
    store = open_store(path)
    store.add_reports(reports_frame([
        report("lone", layer="narkotika", focus="narkotika", at=LONE, when="2026-11-20T21:37:00+01:00",
               description=SECRET),
        report("xss", at=(448_782, 6_373_168), when="2026-11-21T18:12:00+01:00", description=XSS),
    ]))
    return path


@pytest.fixture(scope="module")
def narcotics(store_path):
    reports = open_store(store_path).read_table("reports")
    rows = reports[reports["layer"] == "narkotika"]
    lon, lat = to_wgs84(rows["x"].to_numpy(), rows["y"].to_numpy())
    ix, iy = cell_index(rows["x"].to_numpy(), rows["y"].to_numpy(), 500)
    cells = pd.Series(cell_id(ix, iy, 500)).value_counts()
    return {"lonlat": set(zip(np.float32(lon).tolist(), np.float32(lat).tolist(), strict=True)),
            "cells": cells, "n": len(rows)}


def _decode(value):
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
    return np.asarray(value, dtype="float64")


def map_positions(figure: dict) -> set:
    """Every (lon, lat) drawn as a marker or line vertex, in float32 as the browser gets them."""
    found = set()
    for trace in figure["data"]:
        if "lon" in trace:
            lon = _decode(trace["lon"]).astype("float32")
            lat = _decode(trace["lat"]).astype("float32")
            found |= {(a, b) for a, b in zip(lon.tolist(), lat.tolist(), strict=True) if a == a}
        for feature in trace.get("geojson", {}).get("features", []):
            for ring in feature["geometry"]["coordinates"]:
                found |= {(np.float32(a).item(), np.float32(b).item()) for a, b in ring}
    return found


def component(layout: str, wanted: str) -> dict:
    """The props of the component with id `wanted` in a served layout."""
    stack = [json.loads(layout)]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == wanted:
                return node["props"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise KeyError(wanted)


def text_of(*outputs) -> str:
    return json.dumps(outputs, cls=PlotlyJSONEncoder, ensure_ascii=False)


class RolePage:
    """All callback outputs of one role for one filter state, as the browser would get them."""

    def __init__(self, app, filters: dict):
        cbs = _callbacks(app)
        self.map, self.note, self.info = _call(cbs["render_map"], "filters.data", filters, None, None)
        charts = _call(cbs["render_charts"], "filters.data", filters)
        self.charts, self.tables = list(charts[:3]), list(charts[3:])  # the figures, their tables
        self.where = [_call(cbs["render_where"], "filters.data", filters, g) for g in ("locality", "cell")]
        self.reports = _call(cbs["render_report_list"], "filters.data", filters)
        self.text = text_of(self.map, self.note, self.info, self.charts, self.tables, self.where, self.reports)


@pytest.fixture(scope="module")
def pages(store_path):
    out = {}
    for role in ROLES:
        app = create_app(open_store(store_path), role=role, today=lambda: END)
        cbs = _callbacks(app)
        sync = cbs["sync_state"]
        controls = dict(focus=None, layers=None, preset=None, start=None, end=None, weekdays=None, hours=None,
                        actors=None, statuses=None, mode=None, lang="sv")

        def state(search, selected=None, click=None, sync=sync, controls=controls):
            args = [search, *controls.values(), 0, 0, 0, selected, click, None, None, None, None, None]
            return _call(sync, "url.search" if selected is None and click is None else
                         ("map.selectedData" if selected else "map.clickData"), *args)

        loaded = state("?t=all")
        lone_lon, lone_lat = to_wgs84(np.array([LONE[0]]), np.array([LONE[1]]))
        d = 0.002
        box = {"range": {"map": [[lone_lon[0] - d, lone_lat[0] + d], [lone_lon[0] + d, lone_lat[0] - d]]}}
        lasso = _call(sync, "map.selectedData", "?t=all", *controls.values(), 0, 0, 0, box, None, None, None,
                      None, loaded[12], None)
        client = app.server.test_client()
        out[role] = {
            "app": app,
            "all": RolePage(app, loaded[12]),
            "lone": RolePage(app, lasso[12]),
            "url": lasso[11],
            "layout": client.get("/_dash-layout").get_data(as_text=True),
            "translate": text_of(_call(cbs["translate"], "lang.value", "en", [{"type": "txt", "key": "filters"}])),
        }
    return out


def test_polis_sees_the_exact_tip_and_its_text(pages, narcotics):
    """The searches below can fail: for the police the tip is there, exactly."""
    page = pages["polis"]["all"]
    assert SECRET.split(" <")[0] in page.text
    assert map_positions(page.map) & narcotics["lonlat"]
    assert any(tr.get("meta") == "narkotika" for tr in page.map["data"])
    lone = pages["polis"]["lone"]
    assert title_lines(lone.charts[1]) == ["Rapporter över tid", "1 i urvalet"]


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_no_exact_tip_no_text_in_any_payload(pages, narcotics, role):
    for name in ("all", "lone"):
        page = pages[role][name]
        # No narcotics report's position: cells are drawn by their grid corners only.
        assert not map_positions(page.map) & narcotics["lonlat"]
        assert not any(tr.get("meta") == "narkotika" for tr in page.map["data"])
        # No free text at all: not the tip, not the demo's descriptions, not the XSS text.
        assert "HEMLIGT" not in page.text and "Storgatan" not in page.text and "onerror" not in page.text
        for sentence in DESCRIPTIONS.values():
            assert sentence not in page.text
    assert "HEMLIGT" not in pages[role]["layout"] + pages[role]["translate"] + pages[role]["url"]


def test_bra_sees_narcotics_only_as_cells_of_at_least_k(pages, narcotics, store_path):
    from layers.release_store import load_release

    page = pages["bra"]["all"]
    cells = [tr for tr in page.map["data"] if tr.get("meta") == "cells:narkotika"]
    assert len(cells) == 1
    # The map draws the release's cells: each ≥ k in every month it is counted in.
    release = load_release(store_path, "bra")
    units = release.counts[(release.counts["layer"] == "narkotika") & (release.counts["kind"] == "cell")]
    assert units["count"].min() >= 5
    assert dict(zip(cells[0]["locations"], cells[0]["z"], strict=True)) == \
        units.groupby("unit")["count"].sum().to_dict()
    # Never more than the tips really in the cell.
    assert all(z <= narcotics["cells"][c] for c, z in zip(cells[0]["locations"], cells[0]["z"], strict=True))
    # The lone tip's cell has 1 report: it is not drawn.
    lone_cell = cell_id(*cell_index(np.array([LONE[0]]), np.array([LONE[1]]), 500), 500)[0]
    assert narcotics["cells"][lone_cell] == 1 and lone_cell not in cells[0]["locations"]


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_a_lasso_around_one_tip_reveals_no_count(pages, role):
    page = pages[role]["lone"]
    activities, time_chart, heatmap = page.charts
    # Nothing but the lone tip is in the box: the role sees no reports at all there.
    assert time_chart["layout"]["annotations"][0]["text"] == "Inga rapporter för valda filter och urval"
    assert not [tr for tr in page.map["data"] if str(tr.get("meta", "")).startswith("cells:")]
    assert "rapporter i urvalet" not in text_of(time_chart, heatmap)
    if role == "bra":
        assert heatmap["layout"]["annotations"][0]["text"] == "Inga rapporter för valda filter och urval"


def test_times_are_cut_to_the_role_precision(pages):
    bra = pages["bra"]["all"]
    times = [row[1] for tr in bra.map["data"] if tr.get("meta") in ("otrygg_plats", "hastighet")
             for row in tr["customdata"]]
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:00", x) for x in times)
    listed = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", text_of(bra.reports))
    assert listed and all(x.endswith(":00") for x in listed)
    public = pages["allmanhet"]["all"]
    # Month precision: no day or clock time anywhere in the figures, tables or notes (the next
    # release is named by its month).
    assert "nästa publicering i början av jan 2027" in public.text
    assert not re.search(r"\d{4}-\d\d-\d\d", public.text)
    assert public.charts[2]["layout"]["annotations"][0]["text"].startswith("Veckodag och timme visas inte")
    polis = pages["polis"]["all"]
    assert any(not x.endswith(":00") for x in re.findall(r"\d\d:\d\d", text_of(polis.reports)))


def test_the_public_sees_no_narcotics_layer_and_aggregates_only(pages):
    page = pages["allmanhet"]["all"]
    metas = {str(tr.get("meta")) for tr in page.map["data"]}
    assert {"otrygg_plats", "hastighet", "narkotika"}.isdisjoint(metas)
    assert {"cells:otrygg_plats", "cells:hastighet"} <= metas
    layers = component(pages["allmanhet"]["layout"], "f-layers")
    assert [o["value"] for o in layers["options"]] == ["otrygg_plats", "hastighet", "aktivitet"]
    assert layers["value"] == ["otrygg_plats", "hastighet", "aktivitet"]
    assert "Enskilda rapporter visas inte i den här rollen." in page.text
    for trace in page.map["data"]:
        if str(trace.get("meta", "")).startswith("cells:"):
            assert min(trace["z"]) >= 5
    # Narcotics activities are counted but have no place for the public.
    assert "Narkotika" in text_of(page.charts[0])


def test_roles_banner_and_layout(pages):
    assert component(pages["bra"]["layout"], "role-banner")["children"] == (
        "Roll: BRÅ-möte (delad skärm). Känsliga lager visas som rutor med minst 5 rapporter; ingen fritext.")
    assert component(pages["polis"]["layout"], "role-banner")["children"] == ""
    # Weekday and hour filters: present for Dash, hidden for the public (month precision).
    assert component(pages["allmanhet"]["layout"], "when-filters")["style"] == {"display": "none"}
    assert component(pages["bra"]["layout"], "when-filters").get("style") is None


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
@pytest.mark.parametrize("fmt", ["html", "csv", "geojson", "gpkg"])
def test_every_export_path_keeps_the_role(store_path, tmp_path, role, fmt):
    store = open_store(store_path)
    out = tmp_path / f"out.{fmt}"
    result = export(store, out, fmt, role=role)
    blob = b"".join(p.read_bytes() for p in result.files)
    assert b"HEMLIGT" not in blob and b"Storgatan" not in blob
    for sentence in DESCRIPTIONS.values():
        assert sentence.encode("utf-8") not in blob
    if fmt in ("geojson", "gpkg"):
        import geopandas as gpd

        layer = {"layer": "reports"} if fmt == "gpkg" else {}
        points = gpd.read_file(result.files[0], **layer)
        assert "narkotika" not in set(points.get("layer", []))


def test_exact_sensitive_views_are_audited_once_per_filter(store_path, tmp_path):
    from layers.audit import read_audit

    path = tmp_path / "audited.gpkg"
    shutil.copy(store_path, path)
    before = len(read_audit(path, event="view_sensitive"))
    for role, expected in (("polis", 1), ("bra", 0)):
        app = create_app(open_store(path), role=role, today=lambda: END)
        cbs = _callbacks(app)
        auth = app._trygghetskarta["auth"]
        loaded = None
        with app.server.test_request_context("/_dash-update-component", method="POST"):
            auth.before_request()
            loaded = _call(cbs["sync_state"], "url.search", "?t=all", *[None] * 10, "sv", 0, 0, 0,
                           None, None, None, None, None, None, None)[12]
            for _ in range(2):  # the same filter twice: one entry
                _call(cbs["render_map"], "filters.data", loaded, None, None)
        log = read_audit(path, event="view_sensitive").iloc[before:]
        assert int((log["role"] == role).sum()) == expected
    polis = read_audit(path, event="view_sensitive").iloc[before]
    assert polis["user"] == "(lokal)"
    assert polis["detail"]["layers_shown"] == ["narkotika"] and polis["detail"]["preset"] == "all"


# -- differencing: what a reviewer tried -----------------------------------------------------------

def _role_app(store_path, role, config=None):
    return create_app(open_store(store_path, config=config), role=role, today=lambda: END)


def _filters(app, search):
    return _call(_callbacks(app)["sync_state"], "url.search", search, *[None] * 10, "sv", 0, 0, 0,
                 None, None, None, None, None, None, None)[12]


def _title_number(figure) -> int | None:
    return title_count(figure)


def _bars(figure) -> dict:
    out = {}
    for trace in figure.get("data", []):
        for x, y in zip(trace["x"], trace["y"], strict=True):
            out[x] = out.get(x, 0) + (y or 0)
    return out


@pytest.mark.parametrize(("role", "layer"), [("bra", "narkotika"), ("allmanhet", "otrygg_plats")])
def test_totals_and_tables_add_up_to_what_the_map_shows(store_path, role, layer):
    from dashboard.filters import FilterState

    app = _role_app(store_path, role)
    filters = _filters(app, f"?t=all&ly={layer}")
    frames = app._trygghetskarta["views"].get(FilterState.from_dict(filters))
    shown = int(frames.cells["count"].sum() + frames.scattered["count"].sum() + frames.other["count"].sum())
    # Every report of the layer in the published blocks: the release partitions them exactly.
    release = frames.release.release
    assert shown == release.total(layer) > 0
    _acts, time_chart, _heat, *_tables = _call(_callbacks(app)["render_charts"], "filters.data", filters)
    assert _title_number(time_chart) == shown == sum(_bars(time_chart).values())
    table = _call(_callbacks(app)["render_where"], "filters.data", filters, "locality")
    [where] = read_tables(table.children)
    per_place = {row[1]: int(row[-2].replace("\u00a0", "")) for row in where["body"]}
    expected = frames.cells.groupby("locality")["count"].sum().add(
        frames.scattered.set_index("locality")["count"], fill_value=0)
    expected = {k: int(v) for k, v in expected.items() if v > 0}
    if len(frames.other):
        expected["Övriga platser i kommunen (och utan plats)"] = int(frames.other["count"].sum())
    top = dict(sorted(expected.items(), key=lambda kv: -kv[1])[:10])
    assert per_place == top
    assert where["after"] == [f"Alla platser: {shown} rapporter"]
    # Per cell: exactly the shown cells, and never a "fewer than k" that would say some exist.
    by_cell = _call(_callbacks(app)["render_where"], "filters.data", filters, "cell")
    named = {row[1]: int(row[-2].replace("\u00a0", "")) for row in read_tables(by_cell.children)[0]["body"]}
    # Rows name a cell by its centre's place (the cell id added only where two names repeat).
    shown = dict(zip(frames.cells["cell_id"], frames.cells["count"], strict=True))
    ranked = sorted(shown, key=lambda c: -shown[c])[:len(named)]
    kommun = app._trygghetskarta["views"].data.municipality.code
    labels = dict(zip(unique_labels(cell_id_place_names(ranked, kommun, "sv"), ranked), ranked, strict=True))
    assert named and set(named) <= set(labels), (named, labels)
    assert all(named[name] == shown[labels[name]] for name in named)
    assert "färre än" not in text_of(table, by_cell)


@pytest.mark.parametrize(("role", "layer"), [("bra", "narkotika"), ("allmanhet", "otrygg_plats")])
def test_two_selections_differ_only_by_whole_units_of_at_least_k(store_path, role, layer):
    app = _role_app(store_path, role)
    base = _filters(app, f"?t=all&ly={layer}")
    figure = _call(_callbacks(app)["render_map"], "filters.data", base, None, None)[0]
    cells = next(tr for tr in figure["data"] if tr.get("meta") == f"cells:{layer}")["locations"]
    charts = _callbacks(app)["render_charts"]
    bars = {c: _bars(_call(charts, "filters.data", {**base, "selection": {"type": "cell", "id": c}})[1])
            for c in cells}
    checked = 0
    for a in cells:
        for b in cells:
            if a >= b:
                continue
            # Both cells at once, as a lasso would give: a union of whole cells.
            lon = [ring[0] for tr in figure["data"] if tr.get("meta") == f"cells:{layer}"
                   for f in tr["geojson"]["features"] if f["id"] in (a, b) for ring in f["geometry"]["coordinates"][0]]
            lat = [ring[1] for tr in figure["data"] if tr.get("meta") == f"cells:{layer}"
                   for f in tr["geojson"]["features"] if f["id"] in (a, b) for ring in f["geometry"]["coordinates"][0]]
            box = {"type": "polygon", "coords": [[min(lon) + 1e-4, min(lat) + 1e-4], [max(lon) - 1e-4, min(lat) + 1e-4],
                                                 [max(lon) - 1e-4, max(lat) - 1e-4], [min(lon) + 1e-4, max(lat) - 1e-4]]}
            both = _bars(_call(charts, "filters.data", {**base, "selection": box})[1])
            for month in set(both) | set(bars[b]):
                difference = both.get(month, 0) - bars[b].get(month, 0)
                assert difference == 0 or difference >= 5, (a, b, month, difference)
                checked += 1
    # The public's otrygga platser are dense enough to have bars; BRÅ's few tips may have none.
    assert checked > 0 or role == "bra"


def test_status_weekday_and_hour_filters_do_not_cut_cells(store_path):
    app = _role_app(store_path, "bra")
    render = _callbacks(app)["render_map"]

    def cells(search):
        figure = _call(render, "filters.data", _filters(app, search), None, None)[0]
        return next(tr["z"] for tr in figure["data"] if tr.get("meta") == "cells:narkotika")

    everything = cells("?t=all")
    assert cells("?t=all&st=ny,bekräftad,åtgärdad") == everything
    assert cells("?t=all&wd=5,6&h=20-23") == everything
    note = _call(render, "filters.data", _filters(app, "?t=all&wd=5,6"), None, None)[1]
    assert note.endswith("Rutlager filtreras inte på status, veckodag eller timme.")


def test_the_config_privacy_settings_reach_the_map_and_the_export(store_path, tmp_path):
    from dashboard.callbacks_edit import export_files
    from dashboard.filters import FilterState
    from layers.config import load_config

    toml = tmp_path / "strict.toml"
    from importlib import resources

    toml.write_text(resources.files("layers").joinpath("focus_areas.toml").read_text(encoding="utf-8")
                    + '\n[privacy]\nk = 8\ncell_m = 1000\n[privacy.layer_modes.bra]\nhastighet = "cells"\n'
                    # One role only may see a layer as cells: two releases of it could be compared.
                    '[privacy.layer_modes.allmanhet]\nhastighet = "hidden"\n[privacy.period]\nbra = "year"\n',
                    encoding="utf-8")
    config = load_config(toml)
    # Settings live in the data file: a config that disagrees is refused, naming the command.
    with pytest.raises(StoreError, match="trygghetskarta privacy set"):
        _role_app(store_path, "bra", config)
    path = tmp_path / "strict.gpkg"
    shutil.copy(store_path, path)
    store = open_store(path)
    store.set_privacy(config.privacy)
    app = _role_app(path, "bra", config)
    filters = _filters(app, "?t=all")
    figure = _call(_callbacks(app)["render_map"], "filters.data", filters, None, None)[0]
    cells = [tr for tr in figure["data"] if str(tr.get("meta", "")).startswith("cells:")]
    assert {tr["meta"] for tr in cells} == {"cells:hastighet", "cells:narkotika"}
    assert min(z for tr in cells for z in tr["z"]) >= 8
    assert all(f["id"].startswith("1000m") for tr in cells for f in tr["geojson"]["features"])
    files = dict(export_files(open_store(path, config=config), app._trygghetskarta["views"],
                              FilterState.from_dict(filters), "csv", "bra", END))
    points = pd.read_csv(io.BytesIO(files["trygghetskarta.csv"]), sep=";", decimal=",", encoding="utf-8-sig")
    assert set(points["layer"]) == {"otrygg_plats"} and "id" not in points.columns
    grid = pd.read_csv(io.BytesIO(files["trygghetskarta-rutor.csv"]), sep=";", decimal=",", encoding="utf-8-sig")
    assert set(grid["cell_m"]) == {1000} and grid["count"].min() >= 8


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_no_report_ids_leave_for_reduced_roles(pages, store_path, role):
    """Ids hash the exact time, place and text: brute force could recover them."""
    ids = set(open_store(store_path).read_table("reports")["id"])
    text = pages[role]["all"].text + pages[role]["lone"].text
    assert not [i for i in ids if i in text]
    assert any(i in pages["polis"]["all"].text for i in ids)


# -- second review: focus splits, row order, activity pins ----------------------------------------

@pytest.fixture
def small(tmp_path):
    from tests.dash_fixtures import small_store

    return small_store(tmp_path / "small.gpkg")


def _app(store, role):
    from tests.dash_fixtures import TODAY

    return create_app(store, role=role, today=lambda: TODAY)


def test_a_rows_own_focus_area_cannot_split_a_cells_layer(small):
    from tests.dash_fixtures import HOK

    # Five tips in one Hok cell, two of them filed under another focus area (the importer
    # takes a 'fokus' column as it is).
    small.add_reports(reports_frame([
        report(f"h{i}", layer="narkotika", focus="trygghet" if i < 2 else "narkotika",
               at=(HOK[0] + 10 * i, HOK[1]), when="2026-09-20T22:00:00+02:00") for i in range(5)]))
    app = _app(small, "bra")

    def hok_cells(search):
        figure = _call(_callbacks(app)["render_map"], "filters.data", _filters(app, search), None, None)[0]
        return [tr["z"] for tr in figure["data"] if tr.get("meta") == "cells:narkotika"]

    assert hok_cells("?t=all") == [[5]]
    assert hok_cells("?t=all&fa=narkotika") == [[5]]
    assert hok_cells("?t=all&fa=trygghet,trafik") == []


def test_rows_leave_in_an_order_that_says_nothing_finer_than_the_role_sees(small):
    from layers.privacy import order_key

    # Four reports in one hour, stored latest first, each with its own category.
    cats = ["belysning", "skymd sikt", "folksamling", "skadegörelse"]
    # (ids chosen so their hash order is neither the stored nor the true time order)
    rows = [report(f"q{i}", category=cats[i], when=f"2026-11-26T18:{50 - 10 * i:02d}:00+01:00") for i in range(4)]
    small.add_reports(reports_frame(rows))
    # A known key (each file draws its own at random): with it, the order is a fixed one that is
    # neither the stored nor the true time order.
    small.set_meta("order_secret", "fixed-secret-002")
    app = _app(small, "bra")
    figure = _call(_callbacks(app)["render_map"], "filters.data", _filters(app, "?t=all"), None, None)[0]
    custom = next(tr["customdata"] for tr in figure["data"] if tr.get("meta") == "otrygg_plats")
    sent = [c[0] for c in custom if c[1] == "2026-11-26 18:00"]
    expected = [cats[i] for i in np.lexsort((order_key([f"t-q{i}" for i in range(4)], small.order_secret),
                                             np.zeros(4)))]
    assert sent == expected
    assert sent not in (cats, cats[::-1])


def test_a_narcotics_activity_pin_is_no_more_exact_than_the_tips_shown(small):
    from tests.dash_fixtures import VAGGERYD

    def pin(app, search="?t=all"):
        figure = _call(_callbacks(app)["render_map"], "filters.data", _filters(app, search), None, None)[0]
        trace = next(tr for tr in figure["data"] if tr.get("meta") == "aktivitet")
        lon, lat = _decode(trace["lon"]), _decode(trace["lat"])
        kinds = [c[0] for c in trace["customdata"]]
        i = kinds.index("informationsinsats")  # a-5: narcotics, kommun, at Vaggeryd station
        return float(lon[i]), float(lat[i])

    locality = to_wgs84(*[np.array([v]) for v in _locality_xy("Vaggeryd")])
    # No narcotics cell shown at Vaggeryd: the pin sits on the locality.
    assert pin(_app(small, "bra")) == pytest.approx((locality[0][0], locality[1][0]), abs=1e-4)
    # Five tips make the station's cell shown (in the next release): the pin moves to its centre.
    small.add_reports(reports_frame([
        report(f"v{i}", layer="narkotika", focus="narkotika", at=(VAGGERYD[0] + 20 * i, VAGGERYD[1]),
               when="2026-09-20T22:00:00+02:00") for i in range(5)]))
    assert pin(_app(small, "bra")) == pytest.approx((locality[0][0], locality[1][0]), abs=1e-4)
    ix, iy = cell_index(np.array([VAGGERYD[0]]), np.array([VAGGERYD[1]]), 500)
    centre = to_wgs84((ix + 0.5) * 500, (iy + 0.5) * 500)
    december = create_app(small, role="bra", today=lambda: dt.date(2026, 12, 1))
    assert pin(december) == pytest.approx((centre[0][0], centre[1][0]), abs=1e-4)


def _locality_xy(name):
    from geodata import localities

    row = localities("0665").set_index("name").loc[name]
    return row["x"], row["y"]


def test_the_map_note_says_which_whole_months_the_cells_show(small):
    from tests.dash_fixtures import HOK

    small.add_reports(reports_frame([
        report(f"s{i}", layer="narkotika", focus="narkotika", at=(HOK[0] + 10 * i, HOK[1]),
               when=f"2026-0{7 + i // 3}-1{i}T22:00:00+02:00") for i in range(6)]))
    app = _app(small, "bra")
    note = _call(_callbacks(app)["render_map"], "filters.data", _filters(app, "?t=all"), None, None)[1]
    # 2024 and 2025 (from the series' origin) had none; Jan–Jun (0), Jul 3 + Aug 3: one block of 6
    # in the Hok cell; Sep (0) and Oct (1) wait for k; Nov is open.
    assert note.endswith("Narkotikatips: visar jan–aug 2026, hela månader; månader med färre än 5 rapporter "
                         "är sammanslagna · nästa publicering i början av dec 2026")
    last30 = _call(_callbacks(app)["render_map"], "filters.data", _filters(app, "?t=30d"), None, None)[1]
    assert last30.endswith("Narkotikatips: inga publicerade månader i perioden (bara avslutade månader "
                           "publiceras) · nästa publicering i början av dec 2026")
