"""The hot-spot map: Gi* classes from the role's own frames (a planted cluster is found; a reduced
role's cells layer is analysed from its published cells only, never from the exact reports)."""

import datetime as dt

import numpy as np
import pytest

from dashboard.analysis_layout import hotspot_note, legend_children
from dashboard.data import load
from dashboard.figures.hotspots import hotspot_figure
from dashboard.filters import FilterState, default_state
from dashboard.hotspot_view import hotspot_state, hotspot_view
from dashboard.views import Views
from geodata import cell_id, cell_index
from layers import GeoPackageStore
from tests.helpers import SKILLINGARYD, VAGGERYD, report, reports_frame

TODAY = dt.date(2026, 11, 10)
CELL = 500


def _cluster_cells():
    ix, iy = cell_index(np.array([SKILLINGARYD[0]]), np.array([SKILLINGARYD[1]]), CELL)
    return [(int(ix[0]) + dx, int(iy[0]) + dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """6 narcotics tips in each of the 9 cells around Skillingaryd station (October 2026) and
    2 at Vaggeryd station (below k = 5: never published to bra)."""
    rows, i = [], 0
    for ix, iy in _cluster_cells():
        for n in range(6):
            rows.append(report(i, layer="narkotika", focus="narkotika", at=((ix + 0.5) * CELL, (iy + 0.5) * CELL),
                               when=f"2026-10-{n + 2:02d}T22:00:00+02:00"))
            i += 1
    for n in range(2):
        rows.append(report(i, layer="narkotika", focus="narkotika", at=VAGGERYD,
                           when=f"2026-10-{n + 10:02d}T22:00:00+02:00"))
        i += 1
    store = GeoPackageStore.create(tmp_path_factory.mktemp("hs") / "h.gpkg")
    store.add_reports(reports_frame(rows))
    return load(store)


def view_for(data, role, layer="narkotika", **state):
    views = Views(data, lambda: TODAY, lambda: role)
    chosen = FilterState(**{**default_state(data).to_dict(), **state})
    return hotspot_view(views.get(hotspot_state(chosen, layer, data), role), layer, data)


def test_the_planted_cluster_is_a_hot_spot_for_the_police(planted):
    view = view_for(planted, "polis")
    assert (view.source, view.cell_m, view.reports) == ("points", 500, 56)
    cells = view.cells.set_index("cell_id")
    centre = cell_id(*[np.array([v]) for v in _cluster_cells()[4]], CELL)[0]
    assert cells.loc[centre, "class"] == "hot99" and cells.loc[centre, "count"] == 6
    hot = set(view.cells.loc[view.cells["class"].str.startswith("hot"), "cell_id"])
    cluster = {cell_id(np.array([x]), np.array([y]), CELL)[0] for x, y in _cluster_cells()}
    # Every cell whose 3 × 3 window is the cluster's centre is hot; nothing far from it is.
    assert centre in hot and hot <= cluster | _ring(cluster)
    assert not (view.cells["class"] == "cold").any()


def _ring(cluster):
    from geodata import parse_cell_id

    out = set()
    for c in cluster:
        _, x, y = parse_cell_id(c)
        out |= {cell_id(np.array([x + dx]), np.array([y + dy]), CELL)[0] for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    return out


def test_bra_sees_the_hot_spot_from_its_published_cells_only(planted):
    view = view_for(planted, "bra", preset="custom", start="2026-10-01", end="2026-10-31")
    assert (view.source, view.k) == ("release", 5)
    published = view.cells[view.cells["count"].notna()]
    # The release publishes 8 of the 9 cells (6 each): the 2 tips at Vaggeryd alone would leave a
    # remainder below k, so one cell is folded into it (layers.release). Unpublished cells say None.
    assert sorted(published["count"].tolist()) == [6] * 8 and view.reports == 48
    vaggeryd = cell_id(*cell_index(np.array([VAGGERYD[0]]), np.array([VAGGERYD[1]]), CELL), CELL)[0]
    assert view.cells.set_index("cell_id").loc[vaggeryd, "count"] is None
    assert (view.cells["count"].dropna() >= 5).all()
    centre = cell_id(*[np.array([v]) for v in _cluster_cells()[4]], CELL)[0]
    assert view.cells.set_index("cell_id").loc[centre, "class"] == "hot99"
    assert hotspot_note(view, "sv").endswith("Räknat från rollens publicerade rutor (minst 5 rapporter i varje); "
                                             "opublicerade rutor räknas som 0.")


def test_the_figure_and_the_legend_say_the_classes_in_words(planted):
    view = view_for(planted, "bra", preset="custom", start="2026-10-01", end="2026-10-31")
    figure = hotspot_figure(view.cells, view.cell_m, planted, "sv", k=view.k)
    drawn = {tr["meta"]: tr for tr in figure["data"] if str(tr.get("meta", "")).startswith("hotspot:")}
    classes = figure["layout"]["meta"]["classes"]
    assert drawn["hotspot:hot99"]["name"] == "Hotspot, 99 % säkerhet"
    assert len(drawn["hotspot:hot99"]["locations"]) == classes["hot99"] >= 1
    # An unpublished cell's count in a hover is words, never a number.
    counts = [c[1] for tr in drawn.values() for c in tr["customdata"]]
    assert set(counts) <= {"6", "färre än 5 eller inga"}
    items = [li.children[1] for li in legend_children(view, "en")]
    assert items[0] == f"Hot spot, 99 % confidence: {classes['hot99']} cells"
    assert items[3].startswith("Not significant (no colour): ")


def test_a_month_not_yet_published_has_no_hot_spots(planted):
    """A range the release has no block for yet (November is not closed): nothing to analyse."""
    view = view_for(planted, "bra", preset="custom", start="2026-11-01", end="2026-11-30")
    assert view.source == "release" and view.reports == 0
    assert set(view.cells["class"]) == {"ns"} and view.cells["count"].isna().all()


def test_a_hidden_layer_has_no_hot_spots(planted):
    views = Views(planted, lambda: TODAY, lambda: "allmanhet")
    pol = views.policy("allmanhet")
    hidden = [lid for lid in planted.config.layers if pol.mode(lid) == "hidden"]
    assert hidden == ["narkotika"]
    for lid in hidden:
        state = hotspot_state(default_state(planted), lid, planted)
        assert hotspot_view(views.get(state, "allmanhet"), lid, planted) is None


def test_the_callback_never_analyses_a_layer_the_role_may_not_see(tmp_path):
    from dashboard.app import create_app
    from tests.dash_fixtures import TODAY as APP_TODAY
    from tests.dash_fixtures import call, callback, small_store

    app = create_app(small_store(tmp_path / "s.gpkg"), today=lambda: APP_TODAY, role="allmanhet")
    state = default_state(app._trygghetskarta["data"]).to_dict()
    figure, legend, note, choices = call(callback(app, "render_hotspots"), "filters.data", state, "narkotika", True)
    assert [c["value"] for c in choices] == ["otrygg_plats", "hastighet"]
    assert note.startswith("Testat: Getis–Ord Gi* på datafilens rutnät om 500 m")
    assert "opublicerade rutor räknas som 0" in note
    assert len(legend) == 5


def test_the_page_has_the_hot_spot_tab_and_panel(tmp_path):
    from dashboard.layout import TABS, build_layout
    from tests.dash_fixtures import small_data

    data = small_data(tmp_path / "s.gpkg")
    page = str(build_layout(data, default_state(data)))
    assert ("hotspots", "tab_hotspots") in TABS
    assert "panel panel-hotspots" in page and "'hotspot-map'" in page and "'indicator-cards'" in page


def test_a_closed_panel_computes_nothing_and_an_opened_one_answers(tmp_path, monkeypatch):
    """The panel's gate: while closed (or on another presentation tab) the callback answers
    no_update and runs Gi* not once; opened, it draws the map, legend and note (one Gi* run)."""
    from dash import no_update

    import dashboard.hotspot_view as hv
    from dashboard.app import create_app
    from tests.dash_fixtures import TODAY as APP_TODAY
    from tests.dash_fixtures import call, callback, small_store

    runs = []
    for name in ("hotspots_from_points", "hotspots_from_cells"):
        real = getattr(hv, name)
        monkeypatch.setattr(hv, name, lambda *a, _real=real, **kw: runs.append(1) or _real(*a, **kw))
    app = create_app(small_store(tmp_path / "s.gpkg"), today=lambda: APP_TODAY, role="polis")
    render = callback(app, "render_hotspots")
    state = default_state(app._trygghetskarta["data"]).to_dict()
    for closed in (False, None):
        assert call(render, "filters.data", state, "otrygg_plats", closed) == (no_update,) * 4
    assert runs == []
    figure, legend, note, choices = call(render, "hotspot-panel.open", state, "otrygg_plats", True)
    assert runs == [1] and len(legend) == 5 and note.startswith("Testat: Getis–Ord Gi*")
    assert sum(figure["layout"]["meta"]["classes"].values()) > 0  # the analysed cells, by class
    # Another filter change while closed again: still nothing computed.
    later = {**state, "weekdays": [0, 1, 2]}
    assert call(render, "filters.data", later, "otrygg_plats", False) == (no_update,) * 4
    assert runs == [1]


def test_the_panel_starts_closed(tmp_path):
    from dash import html

    from dashboard.analysis_layout import hotspot_section
    from tests.dash_fixtures import small_data

    data = small_data(tmp_path / "s.gpkg")
    panel = hotspot_section(data, "sv", None)
    assert isinstance(panel, html.Details) and panel.id == "hotspot-panel" and panel.open is False
    assert panel.children[0].children.children == "Hotspots – var rapporterna klumpar sig mer än slumpen förklarar"


def test_the_hot_spot_map_has_the_apps_base_map(tmp_path):
    """With a base map (an offline MBTiles file here) the hot-spot cells lie on its tiles, served
    by the app as the main map's are; without one the map is white, as the main map."""
    from dashboard.app import create_app
    from tests.dash_fixtures import TODAY as APP_TODAY
    from tests.dash_fixtures import call, callback, small_store
    from tests.test_basemap import RED, make_mbtiles

    tiles = tmp_path / "karta.mbtiles"
    make_mbtiles(tiles, {(10, 552, 310): RED}, meta={"bounds": "13.9,57.3,14.4,57.6"})
    store = small_store(tmp_path / "s.gpkg")
    state = default_state(load(store)).to_dict()
    for basemap, expected in ((str(tiles), ["/basemap/{z}/{x}/{y}"]), (None, None)):
        app = create_app(store, today=lambda: APP_TODAY, basemap=basemap, role="polis")
        figure = call(callback(app, "render_hotspots"), "filters.data", state, "otrygg_plats", True)[0]
        style = figure["layout"]["map"]["style"]
        assert style["sources"].get("basemap", {}).get("tiles") == expected
        assert [layer["id"] for layer in style["layers"]] == ["background", *(["basemap"] if expected else [])]
        if expected:
            assert style["sources"]["basemap"]["bounds"] == [13.9, 57.3, 14.4, 57.6]
            assert app.server.test_client().get("/basemap/10/552/310").data == RED
