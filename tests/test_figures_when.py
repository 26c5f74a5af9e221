"""The weekday × hour grid: report counts, presence rings and the outlined choice (figures.when)."""

import numpy as np
import pandas as pd

from dashboard.figures.when import heatmap_figure, hours_text
from layers import privacy


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
    heat, rings = fig["data"]
    z = np.array(heat["z"])
    assert (z[4, 21], z[4, 22], z[0, 7], z.sum()) == (2, 1, 1, 4)
    # Friday 21:30 for 90 minutes: half an hour at 21, an hour at 22; the planned one is not presence.
    assert rings["x"] == [21, 22] and rings["y"] == ["Fre", "Fre"]
    assert rings["text"] == ["Fre kl. 21:00<br>Närvaro: 0,5 h", "Fre kl. 22:00<br>Närvaro: 1,0 h"]
    assert rings["marker"]["size"] == [round(16 * np.sqrt(0.5), 1), 16.0]
    assert heat["customdata"][4][21] == "0,5" and heat["customdata"][0][7] == "0,0"
    assert fig["layout"]["meta"] == {"total": 4, "presence_h": 1.5}
    assert "4 rapporter · 1,5 h närvaro" in fig["layout"]["title"]["text"]


def test_without_presence_there_are_no_rings_and_english_reads_english():
    fig = heatmap_figure(reports((2, 12)), lang="en", activities=activities())
    assert len(fig["data"]) == 1
    assert fig["data"][0]["y"][0] == "Mon"
    assert "1 reports · 0.0 h presence" in fig["layout"]["title"]["text"]


def test_presence_alone_still_draws_the_grid():
    fig = heatmap_figure(reports(), activities=activities((5, "01:00", 120)))
    assert np.array(fig["data"][0]["z"]).sum() == 0
    assert fig["data"][1]["x"] == [1, 2]


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
