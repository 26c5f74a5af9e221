"""The map figure: locality labels without a glyph server, the scale bar, zoom to a selection,
activities in a colour of their own, shared cells split instead of mixed, the base map's style."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import shapely
from dash import no_update
from pyproj import Geod

from dashboard import figures
from dashboard.figures.map import nice_length, scale_label, view_extent
from dashboard.filters import FilterState, activity_mask, default_state, report_mask
from geodata import cell_id, cell_rings_wgs84
from tests.dash_fixtures import TODAY, small_data

GEOD = Geod(ellps="GRS80")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return small_data(tmp_path_factory.mktemp("figmap") / "s.gpkg")


def frames(data, **changes):
    state = replace(default_state(data), preset="all", **changes)
    return data.reports[report_mask(data, state, TODAY)], data.activities[activity_mask(data, state, TODAY)]


def trace(fig, meta):
    return next(tr for tr in fig["data"] if tr.get("meta") == meta)


def test_localities_are_labelled_by_name_and_the_style_needs_no_glyph_server(data):
    reports, activities = frames(data)
    fig = figures.map_figure(data, reports, activities)
    locs = trace(fig, "localities")
    assert locs["mode"] == "markers+text"
    assert locs["text"] == data.localities["name"].tolist()
    assert {"Vaggeryd", "Skillingaryd", "Hok"} <= set(locs["text"])
    style = fig["layout"]["map"]["style"]
    # No glyphs URL: MapLibre draws the text with the browser's fonts, no request at all.
    assert "glyphs" not in style and list(style["sources"]) == ["none"]  # an empty source, see map_style
    assert [lay["id"] for lay in style["layers"]] == ["background"]


def test_presentation_labels_are_larger(data):
    reports, activities = frames(data)
    normal = trace(figures.map_figure(data, reports, activities), "localities")["textfont"]["size"]
    big = trace(figures.map_figure(data, reports, activities, big=True), "localities")["textfont"]["size"]
    assert (normal, big) == (12, 15)


def test_a_local_basemap_is_a_raster_source_of_the_style_with_its_bounds(data):
    reports, activities = frames(data)
    source = {"url": "/app/basemap/{z}/{x}/{y}", "attribution": "© Kommunen", "minzoom": 8, "maxzoom": 14,
              "bounds": [13.9, 57.3, 14.4, 57.6]}
    style = figures.map_figure(data, reports, activities, basemap=source)["layout"]["map"]["style"]
    assert style["sources"]["basemap"] == {
        "type": "raster", "tiles": ["/app/basemap/{z}/{x}/{y}"], "tileSize": 256, "minzoom": 8, "maxzoom": 14,
        "bounds": [13.9, 57.3, 14.4, 57.6], "attribution": "© Kommunen"}
    assert [(lay["id"], lay["type"]) for lay in style["layers"]] == [("background", "background"),
                                                                     ("basemap", "raster")]
    assert "glyphs" not in style
    # Bare --basemap: OpenStreetMap's tiles, same style shape.
    osm = figures.map_figure(data, reports, activities, basemap=True)["layout"]["map"]["style"]
    assert osm["sources"]["basemap"]["tiles"] == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]
    assert osm["id"] != style["id"]  # Plotly replaces the style only when its id changes


@pytest.mark.parametrize(("limit", "length"), [(6614, 5000), (4999, 2000), (1999.9, 1000), (999, 500),
                                                (250, 200), (120, 100), (0.5, 1)])
def test_nice_lengths(limit, length):
    assert nice_length(limit) == length


def test_scale_labels():
    assert [scale_label(m, "sv") for m in (200, 1000, 5000, 20000)] == ["200 m", "1 km", "5 km", "20 km"]
    assert scale_label(500, "en") == "500 m"


def test_scale_bar_is_as_long_as_its_label_says():
    view = {"lon": 14.25, "lat": 57.4, "zoom": 10}
    bar, label = figures.scale_bar_traces(view, bounds=(14.0, 57.3, 14.5, 57.5))
    assert (bar["meta"], label["meta"]) == ("scalebar", "scalebar-label")
    assert label["text"] == ["5 km"] and label["mode"] == "markers+text" and bar["name"] == "Skala 5 km"
    lon, lat = bar["lon"], bar["lat"]
    assert label["lon"][0] == pytest.approx((lon[1] + lon[2]) / 2) and label["lat"][0] == lat[1]
    # The bar: from its left foot to its right foot along one parallel, 5 000 m on the ellipsoid.
    _, _, metres = GEOD.inv(lon[1], lat[1], lon[2], lat[2])
    assert lat[1] == lat[2]
    assert metres == pytest.approx(5000, rel=0.005)
    # In the lower left corner of the view.
    assert 14.0 < lon[1] < 14.05 and 57.3 < lat[1] < 57.32


def test_scale_bar_without_corners_uses_the_zoom():
    # Before the browser sent the corners the bar sits in a 400 px box around the centre (inside
    # any map): at zoom 9 and 57.4° N that box is 0.55° of longitude, ~33 km wide: a 5 km bar.
    bar, label = figures.scale_bar_traces({"lon": 14.1, "lat": 57.4, "zoom": 9})
    assert label["text"] == ["5 km"]
    west, south, east, north = view_extent({"lon": 14.1, "lat": 57.4, "zoom": 9}, size_px=(400, 300))
    assert east - west == pytest.approx(400 * 360 / (512 * 2**9))
    assert west < bar["lon"][1] < 14.1 and south < bar["lat"][1] < 57.4


def test_the_scale_bar_is_traces_zero_and_one(data):
    reports, activities = frames(data)
    fig = figures.map_figure(data, reports, activities)
    assert [tr["meta"] for tr in fig["data"][:2]] == ["scalebar", "scalebar-label"]


def test_a_box_selection_zooms_to_fit_it(data):
    box = [[14.07, 57.44], [14.11, 57.44], [14.11, 57.415], [14.07, 57.415]]
    selection = {"type": "polygon", "coords": box}
    reports, activities = frames(data, selection=selection)
    view = figures.default_view(data)
    fig = figures.map_figure(data, reports, activities, view=view, selection=selection)
    shown = fig["layout"]["map"]
    assert shown["center"] == {"lon": 14.09, "lat": 57.4275}
    assert shown["zoom"] > view["zoom"] + 2
    west, south, east, north = view_extent({**shown["center"], "zoom": shown["zoom"]})
    assert west < 14.07 and east > 14.11 and south < 57.415 and north > 57.44  # all of it in view
    tighter = view_extent({**shown["center"], "zoom": shown["zoom"] + 1})
    assert not (tighter[0] < 14.07 and tighter[2] > 14.11 and tighter[1] < 57.415 and tighter[3] > 57.44)
    # Without a selection the map stays where the user put it.
    plain = figures.map_figure(data, *frames(data), view={"lon": 14.2, "lat": 57.5, "zoom": 11.5})
    assert plain["layout"]["map"]["center"] == {"lon": 14.2, "lat": 57.5}
    assert plain["layout"]["map"]["zoom"] == 11.5


def test_activities_have_one_colour_of_their_own_whatever_the_selection(data):
    focus_colors = {area.color for area in data.config.focus_areas.values()}
    swatches = []
    for selection in (None, {"type": "polygon", "coords": [[14.07, 57.44], [14.11, 57.44], [14.11, 57.415]]},
                      {"type": "locality", "name": "Vaggeryd"}):
        reports, activities = frames(data, selection=selection)
        fig = figures.map_figure(data, reports, activities, selection=selection)
        acts = [tr for tr in fig["data"] if str(tr.get("meta", "")).startswith("aktivitet")]
        assert [tr["meta"] for tr in acts] == ["aktivitet-ring", "aktivitet-halo", "aktivitet"]
        assert [tr["showlegend"] for tr in acts] == [False, False, True]
        swatches.append(acts[-1]["marker"]["color"])
    assert swatches == ["#000000"] * 3
    assert "#000000" not in focus_colors


def test_activity_hover_names_the_focus_area(data):
    reports, activities = frames(data)
    acts = trace(figures.map_figure(data, reports, activities), "aktivitet")
    # Activities 1-5 have places; the first is a Trygghet patrol in Skillingaryd.
    assert len(acts["customdata"]) == 5
    assert acts["customdata"][0][4] == data.config.focus_areas["trygghet"].short("sv")


def test_a_cell_two_layers_share_is_split_into_two_strips(data):
    size = 500
    shared, alone = cell_id([890, 891], [12730, 12730], size).tolist()
    cells = pd.DataFrame({
        "layer": ["otrygg_plats", "otrygg_plats", "narkotika"],
        "cell_id": [shared, alone, shared], "count": [6, 5, 7], "locality": ["Skillingaryd"] * 3,
    })
    traces = figures.cells_traces(cells, data, "sv", size)
    assert [tr["meta"] for tr in traces] == ["cells:otrygg_plats", "cells:narkotika"]
    geometry = {tr["meta"]: {f["id"]: shapely.Polygon(f["geometry"]["coordinates"][0])
                             for f in tr["geojson"]["features"]} for tr in traces}
    whole = shapely.Polygon(cell_rings_wgs84(np.array([890]), np.array([12730]), size)[0])
    west_half = geometry["cells:otrygg_plats"][shared]
    east_half = geometry["cells:narkotika"][shared]
    assert west_half.area == pytest.approx(whole.area / 2, rel=5e-3)
    assert east_half.area == pytest.approx(whole.area / 2, rel=5e-3)
    assert west_half.intersection(east_half).area < whole.area * 1e-6  # no overlap: no mixed colour
    assert west_half.union(east_half).symmetric_difference(whole).area < whole.area * 5e-3
    assert west_half.centroid.x < east_half.centroid.x
    # A cell only one layer has keeps its whole square.
    lone = geometry["cells:otrygg_plats"][alone]
    assert lone.area == pytest.approx(whole.area, rel=5e-3)


def test_data_view_fits_points_activities_and_cells(data):
    reports, activities = frames(data, focus_areas=("trafik",))
    view = figures.data_view(reports, activities)
    lons = [*reports["lon"], *activities["lon"].dropna()]
    lats = [*reports["lat"], *activities["lat"].dropna()]
    assert view == figures.fit_view(min(lons), min(lats), max(lons), max(lats))
    west, south, east, north = view_extent(view)
    assert west < min(lons) and east > max(lons) and south < min(lats) and north > max(lats)
    cells = pd.DataFrame({"layer": ["narkotika"], "cell_id": cell_id([890], [12730], 500).tolist(),
                          "count": [5], "locality": ["Skillingaryd"]})
    ring = cell_rings_wgs84(np.array([890]), np.array([12730]), 500)[0]
    only_cell = figures.data_view(reports.iloc[:0], None, cells, 500)
    assert only_cell == figures.fit_view(ring[:, 0].min(), ring[:, 1].min(), ring[:, 0].max(), ring[:, 1].max())
    assert figures.data_view(reports.iloc[:0], activities.iloc[:0]) is None


def test_the_zoom_button_writes_the_fitted_view_and_the_map_takes_it(tmp_path):
    from dashboard.app import create_app
    from dashboard.data import load
    from tests.dash_fixtures import small_store
    from tests.test_dashboard_callbacks import call, callback, sync

    store = small_store(tmp_path / "s.gpkg")
    app = create_app(store, today=lambda: TODAY, data=load(store))
    loaded = sync(app, ".")[12]
    view = call(callback(app, "fit_map"), "fit-map.n_clicks", 1, loaded)
    frames_ = app._trygghetskarta["views"].get(FilterState.from_dict(loaded))
    assert view == {**figures.data_view(frames_.points, frames_.activities), "fit": 1}
    # Points mode: a patch moves the map there and takes a new revision, so Plotly does not
    # keep the user's own zoom over it (a second click after a pan works again).
    patch, _, _ = call(callback(app, "render_map"), "view.data", loaded, view, None, 1)
    ops = {tuple(op["location"]): op["params"]["value"] for op in patch.to_plotly_json()["operations"]}
    assert ops[("layout", "map", "center")] == {"lon": view["lon"], "lat": view["lat"]}
    assert ops[("layout", "map", "zoom")] == view["zoom"]
    assert ops[("layout", "uirevision")] == "map-1"
    # A filter change later keeps the fitted view and the revision (no jump back).
    figure, _, _ = call(callback(app, "render_map"), "filters.data", loaded, view, None, 1)
    assert figure["layout"]["map"]["center"] == {"lon": view["lon"], "lat": view["lat"]}
    assert figure["layout"]["uirevision"] == "map-1"
    assert call(callback(app, "fit_map"), "fit-map.n_clicks", 0, loaded) is no_update
