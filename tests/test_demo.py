import datetime as dt

import numpy as np

from geodata import get_municipality
from layers import open_store
from layers.demo import generate
from tests.conftest import END


def test_same_seed_and_end_give_identical_rows():
    a_reports, a_acts = generate(seed=3, reports=300, activities=50, end=END)
    b_reports, b_acts = generate(seed=3, reports=300, activities=50, end=END)
    assert a_reports.equals(b_reports) and a_acts.equals(b_acts)
    c_reports, _ = generate(seed=4, reports=300, activities=50, end=END)
    assert not a_reports.equals(c_reports)


def test_demo_store_content(demo_path):
    store = open_store(demo_path)
    assert store.meta.demo is True
    reports = store.reports()
    activities = store.activities()
    assert len(reports) == 600 and len(activities) == 120
    assert set(reports["layer"]) == {"otrygg_plats", "hastighet", "narkotika"}
    assert set(activities["focus_area"]) == {"trygghet", "trafik", "narkotika"}
    assert set(reports["source"]) == {"demo"}
    muni = get_municipality("0665")
    assert muni.contains_metric(reports.geometry.x, reports.geometry.y).all()
    placed = activities[activities.geometry.notna()]
    assert muni.contains_metric(placed.geometry.x, placed.geometry.y).all()
    times = reports["occurred_at"].str[:10]
    assert times.min() >= "2024-11-28" and times.max() <= "2026-11-27"


def test_patterns_that_make_the_follow_up_true():
    reports, activities = generate(seed=1, reports=6000, activities=400, end=END)
    local = reports["occurred_at"].str[11:13].astype(int)
    unsafe = reports["layer"] == "otrygg_plats"
    # Unsafe places are mostly reported in the evening.
    assert ((local[unsafe] >= 18) | (local[unsafe] <= 1)).mean() > 0.5
    # Reports near Skillingaryds station fall after the sustained patrols of the last year.
    x, y = reports.geometry.x, reports.geometry.y
    near = unsafe & (np.hypot(x - 445400, y - 6365443) < 250)
    first_year = reports["occurred_at"] < "2025-11-27"
    assert (near & first_year).sum() > 1.8 * (near & ~first_year).sum()
    assert (activities["status"] == "genomförd").mean() > 0.7
    assert (activities["status"] == "planerad").sum() > 0


def test_other_municipality_demo_stays_inside():
    reports, _ = generate(seed=2, reports=200, activities=20, end=dt.date(2026, 1, 31), kommun="0180")
    muni = get_municipality("0180")
    assert muni.contains_metric(reports.geometry.x, reports.geometry.y).all()
