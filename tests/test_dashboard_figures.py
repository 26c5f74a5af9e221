import base64
from dataclasses import replace

import numpy as np
import pytest

from dashboard import figures
from dashboard.filters import activity_mask, default_state, report_mask
from tests.dash_fixtures import TODAY, small_data


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return small_data(tmp_path_factory.mktemp("fig") / "s.gpkg")


def frames(data, **changes):
    state = replace(default_state(data), **changes)
    return data.reports[report_mask(data, state, TODAY)], data.activities[activity_mask(data, state, TODAY)]


def decode(typed):
    return np.frombuffer(base64.b64decode(typed["bdata"]), dtype=typed["dtype"])


def test_map_has_one_trace_per_layer_coloured_by_focus_area(data):
    reports, activities = frames(data)
    fig = figures.map_figure(data, reports, activities)
    by_meta = {tr.get("meta"): tr for tr in fig["data"]}
    assert [tr["meta"] for tr in fig["data"] if tr.get("meta") in data.config.layers] == [
        "otrygg_plats", "hastighet", "narkotika"]
    assert len(decode(by_meta["otrygg_plats"]["lon"])) == 7
    assert by_meta["otrygg_plats"]["marker"]["color"] == "#E69F00"
    assert by_meta["hastighet"]["marker"]["color"] == "#0072B2"
    # Hover: layer, category, local time, the place (locality and nearest named place).
    assert by_meta["hastighet"]["customdata"][0] == ["fortkörning", "2026-11-02 07:45", "Vaggeryd – stationen",
                                                     "Mörkt vid stationen.", "t-7"]
    assert "Plats: %{customdata[2]}" in by_meta["hastighet"]["hovertemplate"]
    assert len(decode(by_meta["aktivitet"]["lon"])) == 5  # the EST meeting has no place
    assert [lay["type"] for lay in fig["layout"]["map"]["style"]["layers"]] == ["background"]  # no base map
    assert fig["layout"]["meta"]["note"] == "12 rapporter som punkter"


def test_turning_a_layer_off_removes_its_trace(data):
    reports, activities = frames(data, layers=("hastighet",))
    fig = figures.map_figure(data, reports, activities, show_activities=False)
    metas = [tr.get("meta") for tr in fig["data"]]
    assert "hastighet" in metas and "otrygg_plats" not in metas and "aktivitet" not in metas


def test_density_view_counts_cells(data):
    reports, activities = frames(data)
    fig = figures.map_figure(data, reports, activities, mode="density",
                             view={"lon": 14.1, "lat": 57.45, "zoom": 11.5})
    dens = next(tr for tr in fig["data"] if tr.get("meta") == "density")
    counts = dict(zip(dens["locations"], decode(dens["z"]).tolist(), strict=True))
    assert counts == {"500mN12730E890": 7, "500mN12746E897": 3, "500mN12749E913": 2}
    assert fig["layout"]["meta"]["note"] == "Täthetsvy: 12 rapporter i rutor om 500 m"
    # Automatic: cells as soon as there are more points than the limit.
    auto = figures.map_figure(data, reports, activities, max_points=10)
    assert auto["layout"]["meta"]["mode"] == "density"


def test_activities_chart_totals(data):
    _, activities = frames(data)
    fig = figures.activities_figure(activities, data)
    assert fig["layout"]["title"]["text"] == "6 aktiviteter i urvalet (5 genomförda, 1 planerade)"
    polis = next(tr for tr in fig["data"] if tr["meta"] == "polis")
    # x pairs: (Trygghet done, Trygghet planned, Trafik done, ..., Narkotika planned)
    assert polis["y"] == [1, 1, 1, 0, 0, 0]
    gemensam = next(tr for tr in fig["data"] if tr["meta"] == "gemensam")
    assert gemensam["y"] == [2, 0, 0, 0, 0, 0]
    kommun = next(tr for tr in fig["data"] if tr["meta"] == "kommun")
    assert kommun["y"] == [0, 0, 0, 0, 1, 0]
    assert polis["x"][0][:2] == ["Trygghet", "Trygghet"]


def test_time_chart_months_and_weeks(data):
    reports, _ = frames(data)
    fig = figures.time_figure(reports, data)
    assert fig["layout"]["meta"] == {"total": 12, "bins": "month"}
    unsafe = next(tr for tr in fig["data"] if tr["meta"] == "otrygg_plats")
    assert fig["data"][0]["x"][0] == "nov 2025" and fig["data"][0]["x"][-1] == "nov 2026"
    assert unsafe["y"][0] == 1 and unsafe["y"][1] == 1 and unsafe["y"][-1] == 5
    short, _ = frames(data, preset="30d")
    weekly = figures.time_figure(short, data)
    assert weekly["layout"]["meta"] == {"total": 8, "bins": "week"}
    assert weekly["data"][0]["x"][0] == "2026-11-02"


def test_heatmap_weekday_hour(data):
    reports, _ = frames(data)
    fig = figures.heatmap_figure(reports)
    z = np.array(fig["data"][0]["z"])
    assert z.sum() == 12
    assert z[4, 20] + z[4, 21] + z[4, 22] == 5  # Friday evenings in Skillingaryd
    assert z[0, 7] == 2  # Monday 07 in Vaggeryd
    assert fig["data"][0]["y"][0] == "Mån"


def test_places_ranked_with_activities_done(data):
    reports, activities = frames(data)
    rows = figures.places_rows(reports, activities, data)
    assert [(r["place"], r["total"], r["activities_done"]) for r in rows] == [
        ("Skillingaryd", 7, 2), ("Vaggeryd", 3, 2), ("Hok", 2, 0)]
    assert rows[0]["narkotika"] == 2
    cells = figures.places_rows(reports, activities, data, group_by="cell")
    assert (cells[0]["place"], cells[0]["key"]) == ("Skillingaryd – sydväst om stationen", "500mN12730E890")


def test_empty_states_say_so_in_words(data):
    reports, activities = frames(data, focus_areas=())
    fig = figures.time_figure(reports, data)
    assert fig["data"] == [] and fig["layout"]["annotations"][0]["text"] == (
        "Inga rapporter för valda filter och urval")
    assert figures.activities_figure(activities, data, "en")["layout"]["annotations"][0]["text"] == (
        "No activities for the chosen filters and selection")
    assert figures.heatmap_figure(reports)["layout"]["xaxis"]["visible"] is False
    assert figures.places_rows(reports, activities, data) == []


def test_presentation_mode_uses_large_type(data):
    reports, _ = frames(data)
    assert figures.heatmap_figure(reports, big=True)["layout"]["font"]["size"] >= 20
