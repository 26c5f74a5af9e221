import base64
from dataclasses import replace

import numpy as np
import pytest

from dashboard import figures
from dashboard.figures.charts import count_axis, title_lines
from dashboard.filters import activity_mask, default_state, report_mask
from tests.dash_fixtures import TODAY, small_data


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return small_data(tmp_path_factory.mktemp("fig") / "s.gpkg")


def frames(data, **changes):
    # All time unless a test asks for a period: these tests count the hand-made data itself.
    state = replace(default_state(data), **{"preset": "all", **changes})
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
    assert title_lines(fig) == ["Aktiviteter per fokusområde", "5 genomförda, 1 planerad"]
    by_meta = {tr["meta"]: tr for tr in fig["data"]}
    # A bar per focus area (Trygghet, Trafik, Narkotika): done per actor, then the planned ones.
    assert by_meta["polis"]["orientation"] == "h" and by_meta["polis"]["y"] == ["Trygghet", "Trafik", "Narkotika"]
    assert by_meta["polis"]["x"] == [1, 1, 0]
    assert by_meta["gemensam"]["x"] == [2, 0, 0]
    assert by_meta["kommun"]["x"] == [0, 0, 1]
    assert by_meta["planerad"]["x"] == [1, 0, 0] and by_meta["planerad"]["name"] == "Planerade"
    assert by_meta["planerad"]["customdata"][0] == ["trygghet", "planerad", "Polis 1, Kommun 0, Gemensam 0"]
    # A click names the focus area (dashboard.interaction.focus_from_bar_click).
    assert by_meta["kommun"]["customdata"][2][0] == "narkotika"


def test_time_chart_months_and_weeks(data):
    reports, _ = frames(data)
    fig = figures.time_figure(reports, data)
    assert fig["layout"]["meta"] == {"total": 12, "bins": "month"}
    unsafe = next(tr for tr in fig["data"] if tr["meta"] == "otrygg_plats")
    assert fig["data"][0]["x"][0] == "nov 2025" and fig["data"][0]["x"][-1] == "nov 2026"
    assert unsafe["y"][0] == 1 and unsafe["y"][1] == 1 and unsafe["y"][-1] == 5
    # Each January by its year, the years in the axis title.
    xaxis = fig["layout"]["xaxis"]
    assert xaxis["ticktext"][:4] == ["nov", "dec", "2026", "feb"] and xaxis["ticktext"][-1] == "nov"
    assert xaxis["title"]["text"] == "Månad (2025–2026)"
    one_year, _ = frames(data, preset="year")
    xaxis = figures.time_figure(one_year, data)["layout"]["xaxis"]
    assert xaxis["ticktext"][:2] == ["maj", "jun"] and xaxis["title"]["text"] == "Månad (2026)"
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


def test_presentation_mode_uses_larger_type(data):
    reports, activities = frames(data)
    # Larger than normal, but sized for a chart that gets a quarter of a 1366×768 screen.
    for big, size in ((False, 13), (True, 16)):
        assert figures.heatmap_figure(reports, big=big)["layout"]["font"]["size"] == size
        assert figures.time_figure(reports, data, big=big)["layout"]["font"]["size"] == size
        assert figures.activities_figure(activities, data, big=big)["layout"]["legend"]["font"]["size"] == size


def test_the_heatmap_scale_has_whole_number_ticks(data):
    reports, _ = frames(data)
    colorbar = figures.heatmap_figure(reports)["data"][0]["colorbar"]
    assert (colorbar["tick0"], colorbar["dtick"], colorbar["tickformat"]) == (0, 1, ",d")  # at most 2 per slot


def test_every_chart_is_titled_with_what_and_how_many(data):
    reports, activities = frames(data)
    assert title_lines(figures.time_figure(reports, data)) == ["Rapporter över tid", "12 i urvalet"]
    assert title_lines(figures.time_figure(reports, data, "en")) == [
        "Reports over time", "12 in the selection"]
    assert title_lines(figures.activities_figure(activities, data, "en")) == [
        "Activities per focus area", "5 done, 1 planned"]
    one, _ = frames(data, focus_areas=("trafik",), preset="30d")
    _, trafik = frames(data, focus_areas=("trafik",))
    assert title_lines(figures.activities_figure(trafik, data)) == [
        "Aktiviteter per fokusområde", "1 genomförd, 0 planerade"]
    assert title_lines(figures.time_figure(one, data)) == ["Rapporter över tid", "2 i urvalet"]


def test_count_axes_have_whole_number_ticks(data):
    reports, activities = frames(data)
    # At most 2 activities in a bar: ticks 0, 1, 2 (never 0,5).
    acts = figures.activities_figure(activities, data)["layout"]["xaxis"]
    assert (acts["tick0"], acts["dtick"], acts["tickformat"]) == (0, 1, ",d")
    time = figures.time_figure(reports, data)["layout"]["yaxis"]
    assert time["dtick"] == 2 and time["range"][0] == 0  # 7 reports in November 2026: 0, 2, 4, 6
    assert count_axis("Antal", 7, False)["dtick"] == 2
    assert count_axis("Antal", 2996, False)["dtick"] == 1000
    assert count_axis("Antal", 0, False)["range"][1] >= 1  # an empty bin still has an axis
    # Axis titles keep their distance from the tick labels.
    assert time["automargin"] is True and time["title"]["standoff"] > 0


def test_legends_sit_beside_the_plot_not_over_the_title(data):
    reports, activities = frames(data)
    for fig in (figures.time_figure(reports, data), figures.activities_figure(activities, data)):
        legend, title = fig["layout"]["legend"], fig["layout"]["title"]
        assert (legend["orientation"], legend["x"], legend["xanchor"]) == ("v", 1.02, "left")
        assert (title["automargin"], title["yref"], title["yanchor"]) == (True, "paper", "bottom")


def test_presentation_shows_the_focus_areas_full_wording(data):
    _, activities = frames(data)
    normal = figures.activities_figure(activities, data)["data"][0]["y"]
    big = figures.activities_figure(activities, data, big=True)["data"][0]["y"]
    assert normal == ["Trygghet", "Trafik", "Narkotika"]
    assert big == [
        "Ökad trygghet för kommuninvånarna", "Förbättrad trafiksäkerhet (höga hastigheter)", "Narkotikabrottslighet"]
