"""The weekday × hour grid: report counts, presence rings and the outlined choice (figures.when)."""

from contextvars import copy_context

import numpy as np
import pandas as pd
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict

from dashboard.app import create_app
from dashboard.data import load
from dashboard.figures.charts import title_lines
from dashboard.figures.when import heatmap_figure, hours_text
from dashboard.filters import FilterState, default_state
from layers import privacy
from tests.dash_fixtures import TODAY, small_store
from tests.markdown_tables import read_tables


def reports(*slots):
    return pd.DataFrame({"layer": ["otrygg_plats"] * len(slots),
                         "weekday": np.array([s[0] for s in slots], dtype="int8"),
                         "hour": np.array([s[1] for s in slots], dtype="int8")})


def activities(*rows):
    return pd.DataFrame({"weekday": np.array([r[0] for r in rows], dtype="int8"),
                         "hour": np.array([int(r[1][:2]) for r in rows], dtype="int8"),
                         "local_time": [f"2026-11-06 {r[1]}" for r in rows],
                         "duration_min": [r[2] for r in rows],
                         "status": [r[3] if len(r) > 3 else "genomförd" for r in rows]})


def test_reports_are_colour_and_presence_hours_are_rings_in_their_slots():
    fig = heatmap_figure(reports((4, 21), (4, 21), (4, 22), (0, 7)),
                         activities=activities((4, "21:30", 90), (0, "07:00", 60, "planerad")))
    heat, halo, rings = fig["data"]
    assert (halo["meta"], halo["hoverinfo"], halo["x"]) == ("presence-halo", "skip", rings["x"])
    z = np.array(heat["z"])
    assert (z[4, 21], z[4, 22], z[0, 7], z.sum()) == (2, 1, 1, 4)
    # Friday 21:30 for 90 minutes: half an hour at 21, an hour at 22; the planned one is not presence.
    assert rings["x"] == [21, 22] and rings["y"] == ["Fre", "Fre"]
    assert rings["text"] == ["Fre kl. 21:00<br>Närvaro: 0,5 h", "Fre kl. 22:00<br>Närvaro: 1,0 h"]
    assert rings["marker"]["size"] == [round(16 * np.sqrt(0.5), 1), 16.0]
    assert heat["customdata"][4][21] == "0,5" and heat["customdata"][0][7] == "0,0"
    assert fig["layout"]["meta"] == {"total": 4, "presence_h": 1.5}
    # The note may wrap onto more lines on a narrow chart: read it as one text.
    lines = title_lines(fig)
    assert lines[:2] == ["När – veckodag och timme", "4 rapporter i urvalet"]
    assert " ".join(lines[2:]) == "Färg: rapporter · ringar: närvaro, 1,5 h i genomförda aktiviteter"


def test_without_presence_there_are_no_rings_and_english_reads_english():
    fig = heatmap_figure(reports((2, 12)), lang="en", activities=activities())
    assert len(fig["data"]) == 1
    assert fig["data"][0]["y"][0] == "Mon"
    assert fig["data"][0]["hovertemplate"].startswith("%{y} %{x}:00<br>Reports: %{z}<br>Presence (hours): ")
    lines = title_lines(fig)
    assert lines[:2] == ["When – weekday and hour", "1 reports in the selection"]
    assert " ".join(lines[2:]) == "Colour: reports · rings: presence, 0.0 h in activities done"


def test_presence_alone_still_draws_the_grid():
    fig = heatmap_figure(reports(), activities=activities((5, "01:00", 120)))
    assert np.array(fig["data"][0]["z"]).sum() == 0
    assert fig["data"][2]["x"] == [1, 2]


def test_the_chosen_cell_is_outlined_not_filtered_away():
    fig = heatmap_figure(reports((4, 21), (0, 7)), weekdays=(4,), hours=(21, 21))
    assert np.array(fig["data"][0]["z"]).sum() == 2
    assert [(s["x0"], s["x1"], s["y0"], s["y1"]) for s in fig["layout"]["shapes"]] == [(20.5, 21.5, 3.5, 4.5)]
    # Weekdays and an hour range: one outline per chosen day over the hours.
    shapes = heatmap_figure(reports((4, 21)), weekdays=(0, 1), hours=(8, 10))["layout"]["shapes"]
    assert [(s["x0"], s["x1"], s["y0"]) for s in shapes] == [(7.5, 10.5, -0.5), (7.5, 10.5, 0.5)]
    assert heatmap_figure(reports((4, 21)), weekdays=tuple(range(7)), hours=(0, 23))["layout"]["shapes"] == []


def test_month_precision_roles_get_no_weekday_or_hour():
    fig = heatmap_figure(reports((4, 21)), policy=privacy.policy("allmanhet"),
                         activities=activities((4, "21:00", 60)))
    assert fig["data"] == []
    assert fig["layout"]["annotations"][0]["text"] == "Veckodag och timme visas inte i den här rollen (tid per månad)."


def test_hours_text_is_local():
    assert hours_text(1234.56) == "1\u00a0234,6"
    assert hours_text(2.26, "en") == "2.3"
    assert hours_text(1.5) == "1,5" and hours_text(1234.0, "en") == "1,234.0"


# -- in the app: the click filters the other views; presence and gaps per role -------------


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    store = small_store(tmp_path_factory.mktemp("when") / "s.gpkg")
    return create_app(store, today=lambda: TODAY, data=load(store))


def run(app, name, *args, role=None):
    # Clientside callbacks have no Python function: only server callbacks are looked at.
    fn = next(e["callback"] for e in app.callback_map.values()
              if "callback" in e and e["callback"].__name__ == name).__wrapped__

    def inner():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": "filters.data", "value": None}]))
        return fn(*args)

    return copy_context().run(inner)


def filters(app, **changes):
    data = app._trygghetskarta["data"]
    return FilterState.to_dict(FilterState(**{**default_state(data).__dict__, "preset": "custom",
                                               "start": "2026-01-01", "end": "2026-12-31", **changes}))


def test_a_clicked_heatmap_cell_narrows_the_other_charts_not_the_grid(app):
    clicked = filters(app, weekdays=(0,), hours=(7, 7))
    acts, time, heat, *_tables = run(app, "render_charts", clicked)
    # 10 reports in 2026; the grid keeps all of them and outlines Monday 07.
    assert heat["layout"]["meta"]["total"] == 10
    assert np.array(heat["data"][0]["z"]).sum() == 10
    assert [(s["x0"], s["y0"]) for s in heat["layout"]["shapes"]] == [(6.5, -0.5)]
    # The time chart shows the two Monday-07 speed complaints only, the activities chart none
    # (no activity starts Monday 07).
    assert time["layout"]["meta"]["total"] == 2
    assert acts["data"] == []
    # And the map: only those two points.
    _figure, note, _info = run(app, "render_map", clicked, None, None)
    assert note == "2 rapporter som punkter"
    unclicked = run(app, "render_charts", filters(app))[2]
    assert unclicked["layout"]["shapes"] == [] and unclicked["layout"]["meta"]["total"] == 10


def test_presence_rings_count_done_activities_hours(app):
    heat = run(app, "render_charts", filters(app))[2]
    rings = heat["data"][2]
    # Done in 2026: two 2 h patrols Monday 19:00, 2 h Tuesday 07:00, Wednesday 10:00, Thursday 09:00.
    assert list(zip(rings["y"], rings["x"], strict=True)) == [
        ("Mån", 19), ("Mån", 20), ("Tis", 7), ("Tis", 8), ("Ons", 10), ("Ons", 11), ("Tor", 9), ("Tor", 10)]
    assert rings["text"][0] == "Mån kl. 19:00<br>Närvaro: 2,0 h"
    assert heat["layout"]["meta"]["presence_h"] == 10.0


def texts(component) -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)
        elif getattr(node, "children", None) is not None:
            walk(node.children)

    walk(component)
    return found


def test_the_gap_table_ranks_places_and_times_without_presence(app):
    section = run(app, "render_gaps", filters(app))
    [table] = read_tables(section[1].children)
    rows = table["body"]
    # 10 reports, none in a slot with presence; 8 h of placed presence (the EST meeting has no
    # place): a slot with 3 of the 10 reports misses 0.3 × 8 = 2.4 h.
    assert table["head"] == ["#", "Plats", "När", "Rapporter", "Närvaro (h)", "Saknad närvaro (h)"]
    assert rows == [
        ["1", "Skillingaryd – stationen", "Fre 21–24", "3", "0,0", "2,4"],
        ["2", "Vaggeryd – stationen", "Mån 06–09", "3", "0,0", "2,4"],
        ["3", "Skillingaryd – stationen", "Fre 18–21", "2", "0,0", "1,6"],
        ["4", "Skillingaryd – stationen", "Lör 21–24", "2", "0,0", "1,6"],
    ]
    # A click on the grid does not change the gaps (they cover every weekday and hour).
    assert texts(run(app, "render_gaps", filters(app, weekdays=(0,), hours=(7, 7)))) == texts(section)


def test_reduced_roles_get_no_gap_table_and_say_why(app):
    views = app._trygghetskarta["views"]
    role = views.role
    try:
        views.role = lambda: "bra"
        section = run(app, "render_gaps", filters(app))
    finally:
        views.role = role
    assert texts(section) == ["Luckor: många rapporter, lite närvaro",
                              "Luckor per plats och tid visas bara för roller med exakta uppgifter (polis)."]


def test_a_selected_cell_is_named_by_its_place_not_its_grid_id(app):
    chosen = filters(app, selection={"type": "cell", "id": "500mN12730E890"})
    _figure, _note, info = run(app, "render_map", chosen, None, None)
    assert info == "Urval: ruta Skillingaryd – sydväst om stationen"


def as_role(app, role, name, *args):
    views = app._trygghetskarta["views"]
    before = views.role
    try:
        views.role = lambda: role
        return run(app, name, *args)
    finally:
        views.role = before


def test_bra_sees_presence_to_the_hour_and_allmanhet_no_weekday_hour_at_all(app):
    heat = as_role(app, "bra", "render_charts", filters(app))[2]
    # Narcotics tips are cells for bra, not points: not in the grid (8 of the 10 reports); the
    # presence hours are the same 10 h (times cut to the hour; these start on the hour anyway).
    assert heat["layout"]["meta"] == {"total": 8, "presence_h": 10.0}
    assert title_lines(heat)[1] == "8 rapporter i urvalet"
    assert " ".join(title_lines(heat)[2:]) == "Färg: rapporter · ringar: närvaro, 10,0 h i genomförda aktiviteter"
    public = as_role(app, "allmanhet", "render_charts", filters(app))[2]
    assert public["data"] == []
    assert texts(as_role(app, "allmanhet", "render_gaps", filters(app)))[1].startswith("Luckor per plats")
