"""Presence hours per weekday × hour and the where × when gap ranking (layers.planning)."""

import numpy as np
import pandas as pd
import pytest

from layers.planning import gap_table, presence_hours


def acts(*rows):
    """(weekday, "HH:MM", minutes, status) rows as the dashboard's activity frame has them."""
    return pd.DataFrame({
        "weekday": np.array([r[0] for r in rows], dtype="int8"),
        "hour": np.array([int(r[1][:2]) if r[1] else -1 for r in rows], dtype="int8"),
        "local_time": [f"2026-11-0{2 + max(r[0], 0)} {r[1]}" if r[1] else "2026-11" for r in rows],
        "duration_min": [r[2] for r in rows],
        "status": [r[3] if len(r) > 3 else "genomförd" for r in rows],
    })


def reps(*rows):
    """(weekday, hour) rows of reports."""
    return pd.DataFrame({"weekday": np.array([r[0] for r in rows], dtype="int8"),
                         "hour": np.array([r[1] for r in rows], dtype="int8")})


def test_a_duration_is_spread_over_the_hours_it_covers():
    grid = presence_hours(acts((4, "21:30", 90)))
    assert grid.shape == (7, 24)
    assert (grid[4, 21], grid[4, 22]) == (0.5, 1.0)
    assert grid.sum() == 1.5


def test_presence_past_sunday_midnight_continues_on_monday():
    grid = presence_hours(acts((6, "23:00", 120)))
    assert (grid[6, 23], grid[0, 0]) == (1.0, 1.0)
    assert grid.sum() == 2.0


def test_two_patrols_at_once_are_two_hours_of_presence():
    grid = presence_hours(acts((0, "10:00", 60), (0, "10:15", 30)))
    assert grid[0, 10] == 1.5
    assert grid.sum() == 1.5


def test_only_done_activities_with_a_time_and_a_duration_count():
    grid = presence_hours(acts((1, "08:00", 60, "planerad"), (1, "08:00", 60, "inställd"), (1, "08:00", 0),
                               (1, "08:00", float("nan")), (-1, "", 60), (1, "09:00", 45)))
    assert grid.sum() == 0.75
    assert grid[1, 9] == 0.75
    assert presence_hours(acts()).sum() == 0


def test_hour_precision_starts_at_the_whole_hour():
    # A role with hour precision sees 21:00 for an activity that began 21:40.
    grid = presence_hours(acts((4, "21:00", 60)))
    assert grid[4, 21] == 1.0 and grid.sum() == 1.0


def test_gap_table_ranks_slots_by_share_of_reports_minus_share_of_presence():
    reports = reps(*[(4, 21)] * 4, (4, 23), (4, 22), (0, 9), (0, 11), (4, 22), (4, 22), (5, 1), (5, 2),
                   (3, 12), (-1, -1))
    places = ["A"] * 6 + ["A", "A"] + ["B", "B"] + ["C", "C"] + ["", "A"]
    activities = acts((0, "09:00", 120), (4, "21:00", 60), (2, "12:00", 60, "planerad"))
    table = gap_table(reports, places, activities, ["A", "B", "C"])
    # 12 placed, timed reports; 3 h of presence (A Monday 2 h, B Friday 1 h).
    assert table.to_dict("records") == [
        {"place": "A", "weekday": 4, "start_hour": 21, "end_hour": 24, "reports": 6, "presence_h": 0.0,
         "report_share": 0.5, "presence_share": 0.0, "gap": 0.5, "missing_h": 1.5},
        {"place": "C", "weekday": 5, "start_hour": 0, "end_hour": 3, "reports": 2, "presence_h": 0.0,
         "report_share": pytest.approx(1 / 6), "presence_share": 0.0, "gap": pytest.approx(1 / 6),
         "missing_h": pytest.approx(0.5)},
    ]


def test_without_any_presence_every_slot_ranks_by_its_reports():
    reports = reps((4, 21), (4, 22), (1, 8))
    table = gap_table(reports, ["A", "A", "B"], acts(), np.array([], dtype=object))
    assert table[["place", "weekday", "start_hour", "reports"]].values.tolist() == [["A", 4, 21, 2], ["B", 1, 6, 1]]
    assert table["gap"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert table["missing_h"].isna().all()  # no presence anywhere: no hours to spread


def test_gap_table_of_nothing_is_empty_and_top_limits_rows():
    assert gap_table(reps(), [], acts(), []).empty
    reports = reps((0, 0), (1, 0), (2, 0))
    assert len(gap_table(reports, ["A", "B", "C"], acts(), [], top=2)) == 2
