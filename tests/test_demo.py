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


def test_demo_activities_fill_the_built_in_commitments_honestly():
    from layers.config import load_config
    from layers.followup import follow_commitments

    _, activities = generate(seed=1, end=END)  # the `trygghetskarta demo` defaults
    assert activities["description"].str.endswith("(fiktiv demoaktivitet).").all()
    progress = {p.commitment.id: p for p in follow_commitments(load_config(today=END), activities, END)}
    assert {k: (p.total.done, p.total.planned, p.total.cancelled, p.status) for k, p in progress.items()} == {
        "hastighet-gamla-e4": (4, 0, 0, "klart"),
        "hastighet-rv30": (3, 1, 0, "i_fas"),           # Q4's check is planned for December
        "narvaro-helgkvallar": (249.0, 25.0, 12.0, "i_fas"),  # hours; 236 due by 27 November
        "trygghetsvandring-skillingaryd": (2, 0, 0, "klart"),
        "trygghetsvandring-vaggeryd": (1, 0, 1, "efter"),  # the autumn walk was cancelled
        "information-skolor": (0, 2, 0, "ej_paborjat"),
    }
    assert [p["status"] for p in progress["hastighet-rv30"].row()["periods"]] == [
        "klart", "klart", "klart", "ej_paborjat"]
    assert progress["hastighet-gamla-e4"].summary() == "4 av 4 hastighetskontroller (klart)"


def test_demo_true_drop_at_the_stations_is_found_and_the_null_places_are_not_flagged():
    from layers.config import load_config
    from layers.followup import evaluate_places

    reports, activities = generate(seed=1, end=END)
    effects = {e.place.name: e for e in evaluate_places(load_config(today=END), reports, activities, END)}
    assert sorted(effects) == ["Skillingaryd – stationen", "Vaggeryd – stationen", "hastighet-gamla-e4", "hastighet-rv30"]
    for name in ("Vaggeryd – stationen", "Skillingaryd – stationen"):
        station = effects[name]
        assert station.place.source == "sustained" and station.place.start == dt.date(2025, 11, 28)
        assert station.significant_reduction, station.row()
        assert station.after < station.before / 1.5
        assert "Minskningen är statistiskt säkerställd" in station.words()
    # Speed checks on the old E4, but no real change in speeding reports there: not flagged.
    e4 = effects["hastighet-gamla-e4"]
    assert e4.place.source == "commitment:hastighet-gamla-e4" and e4.result is not None
    assert e4.result.ci_low < 0 < e4.result.ci_high
    assert "Intervallet rymmer noll" in e4.words()
    # Riksväg 30 runs through all of Hok: no reports left to compare with, so no estimate.
    assert effects["hastighet-rv30"].row()["estimate"] is None


def test_a_small_demo_takes_part_of_the_story():
    _, activities = generate(seed=3, reports=50, activities=40, end=END)
    assert len(activities) == 40
    assert set(activities["focus_area"]) == {"trygghet", "trafik", "narkotika"}
