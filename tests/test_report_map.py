"""The report's map for paper (dashboard.report.paper_map): plain SVG-friendly traces on SWEREF 99
TM metres, the role's reports per grid cell in classes, exact counts on hand-made data."""

import datetime as dt

import pytest

from dashboard.app import create_app
from dashboard.data import load
from dashboard.report.content import _state
from dashboard.report.paper_map import cell_counts, paper_map
from tests.dash_fixtures import TODAY, small_store


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    store = small_store(tmp_path_factory.mktemp("paper") / "small.gpkg")
    return create_app(store, today=lambda: TODAY, data=load(store))._trygghetskarta["views"]


def frames(views, focus, layers, role):
    return views.get(_state(focus, layers, dt.date(2026, 11, 1), dt.date(2026, 11, 30), "sv"), role)


def test_reports_per_cell_and_their_classes(views):
    safety = frames(views, ("trygghet",), ("otrygg_plats",), "polis")
    counts = cell_counts(safety, 500)
    # The five unsafe places of November 2026 lie in one Skillingaryd cell.
    assert counts["count"].tolist() == [5]
    figure = paper_map(views.data, safety, "#E69F00", "sv")
    assert {trace["type"] for trace in figure["data"]} == {"scatter"}  # no WebGL map, no tiles
    assert "map" not in figure["layout"] and "mapbox" not in figure["layout"]
    cells = [trace for trace in figure["data"] if trace.get("marker", {}).get("symbol") == "square"]
    assert [(trace["name"], len(trace["x"])) for trace in cells] == [("5–9 rapporter", 1)]
    ix, iy = counts["ix"][0], counts["iy"][0]
    assert (cells[0]["x"][0], cells[0]["y"][0]) == ((ix + 0.5) * 500, (iy + 0.5) * 500)
    assert figure["layout"]["annotations"][0]["text"] == "5 av 5 rapporter ligger i en ruta om 500 m på kartan."
    # The safety area's one activity of November, the EST meeting, has no place: no marker.
    assert not [trace for trace in figure["data"] if trace["name"] == "Aktiviteter"]
    traffic = frames(views, ("trafik",), ("hastighet",), "polis")
    drawn = paper_map(views.data, traffic, "#56B4E9", "sv")["data"]
    # Two speed complaints in one Vaggeryd cell; the speed check of 10 November there.
    assert [(t["name"], len(t["x"])) for t in drawn if t.get("marker", {}).get("symbol") == "square"] == [
        ("2–4 rapporter", 1)]
    assert [len(t["x"]) for t in drawn if t["name"] == "Aktiviteter"] == [1]


def test_a_reduced_role_sees_only_published_cells(views):
    narcotics = frames(views, ("narkotika",), ("narkotika",), "bra")
    # One tip in November 2026: below k, in no published cell (and no release block for a month under way).
    assert cell_counts(narcotics, 500).empty
    figure = paper_map(views.data, narcotics, "#009E73", "sv")
    assert not [trace for trace in figure["data"] if trace.get("marker", {}).get("symbol") == "square"]
    assert figure["layout"]["annotations"][0]["text"].startswith(
        f"0 av {narcotics.total} rapporter ligger i en ruta om 500 m på kartan.")
