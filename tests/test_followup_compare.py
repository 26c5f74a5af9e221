"""Reports per focus area: the period so far against the previous equal period and the same days last year."""

import datetime as dt

import pandas as pd

from layers.config import load_config
from layers.followup import focus_area_changes, focus_area_rows
from layers.followup.compare import ROW_KEYS, windows

D = dt.date
CONFIG = load_config(today=D(2026, 6, 1))  # built-in: promise 2026, narkotika not a promise


def reports(*rows):
    return pd.DataFrame([{"focus_area": f, "layer": "x", "occurred_at": t, "x": 448782.0, "y": 6373168.0}
                         for f, t in rows])


def test_windows_cut_at_at():
    assert windows(D(2026, 1, 1), D(2026, 12, 31), D(2026, 3, 31)) == {
        "current": (D(2026, 1, 1), D(2026, 3, 31)),
        "previous": (D(2025, 10, 3), D(2025, 12, 31)),  # 90 days
        "last_year": (D(2025, 1, 1), D(2025, 3, 31)),
    }
    assert windows(D(2024, 1, 1), D(2024, 12, 31), D(2024, 2, 29))["last_year"] == (D(2023, 1, 1), D(2023, 2, 28))
    assert windows(D(2026, 1, 1), D(2026, 12, 31), D(2025, 12, 31))["current"] is None


def test_counts_change_and_zero_base():
    frame = reports(
        ("trygghet", "2026-01-01T00:30:00+01:00"),   # first local minute of the period
        ("trygghet", "2025-12-31T23:30:00Z"),        # 00:30 on 1 January in Sweden: in
        ("trygghet", "2026-03-31T21:00:00Z"),        # 23:00 local on 31 March: in
        ("trygghet", "2026-03-31T22:30:00Z"),        # 00:30 local on 1 April: after at
        ("trygghet", "2025-12-31T12:00:00+01:00"),   # previous window
        ("trygghet", "2025-10-02T12:00:00+02:00"),   # one day before the previous window
        ("trygghet", "2025-02-01T12:00:00+01:00"),   # last year
        ("trygghet", "2025-03-01T12:00:00+01:00"),   # last year
        ("trafik", "2026-02-01T12:00:00+01:00"),
        ("narkotika", "2025-02-01T12:00:00+01:00"),
    )
    rows = focus_area_rows(focus_area_changes(CONFIG, frame, D(2026, 3, 31)))
    assert rows == [
        {"id": "trygghet", "promise": True, "reports": 3, "reports_previous": 1, "reports_last_year": 2,
         "change": 1, "change_pct": 50.0},
        {"id": "trafik", "promise": True, "reports": 1, "reports_previous": 0, "reports_last_year": 0,
         "change": 1, "change_pct": None},
        {"id": "narkotika", "promise": False, "reports": 0, "reports_previous": 0, "reports_last_year": 1,
         "change": -1, "change_pct": -100.0},
    ]
    assert all(list(r) == list(ROW_KEYS) for r in rows)


def test_no_reports():
    empty = reports(("trygghet", "2026-01-01T00:30:00+01:00")).iloc[:0]
    rows = focus_area_rows(focus_area_changes(CONFIG, empty, D(2026, 3, 31)))
    assert [(r["reports"], r["change"], r["change_pct"]) for r in rows] == [(0, 0, None)] * 3


def test_a_chosen_period():
    frame = reports(("trafik", "2026-07-15T12:00:00+02:00"), ("trafik", "2025-07-15T12:00:00+02:00"),
                    ("trafik", "2025-07-16T12:00:00+02:00"), ("trafik", "2026-05-15T12:00:00+02:00"))
    changes = focus_area_changes(CONFIG, frame, D(2026, 12, 31), start=D(2026, 7, 1), end=D(2026, 9, 30))
    trafik = changes[1]
    # 92 days: previous = 31 March – 30 June.
    assert (trafik.reports, trafik.reports_previous, trafik.reports_last_year, trafik.change_pct) == (1, 1, 2, -50.0)
