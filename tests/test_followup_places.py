"""Treated places (commitment areas, sustained activity) and their before/after effect with exact counts."""

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from geodata import localities
from layers.config import loads_config
from layers.followup import evaluate_place, find_treated_places
from layers.followup.evaluate import ROW_KEYS, windows
from layers.followup.frames import report_frame
from layers.followup.places import TreatedPlace, place_name, sustained_start

D = dt.date
STATION = (448782.0, 6373168.0)  # Vaggeryds station, SWEREF 99 TM
SKILLINGARYD = (445400.0, 6365443.0)
JAN_1 = D(2026, 1, 1)
HEAD = '''
[promise]
kommun = "0665"
[[focus_area]]
id = "trygghet"
name_sv = "Trygghet"
color = "#E69F00"
layers = ["otrygg_plats"]
[[focus_area]]
id = "trafik"
name_sv = "Trafik"
color = "#0072B2"
layers = ["hastighet"]
'''
CORRIDOR = '''
[[commitment]]
id = "väg"
focus_area = "trafik"
text_sv = "Kontroller längs vägen."
actor = "polis"
kind = "hastighetskontroll"
target = 4
period = 2026
[commitment.area]
type = "Polygon"
coordinates = [[[14.085, 57.425], [14.097, 57.425], [14.097, 57.432], [14.085, 57.432], [14.085, 57.425]]]
'''


def days(*texts):
    return np.array(texts, dtype="datetime64[D]")


def test_sustained_means_six_of_eight_weeks():
    fridays = [str(np.datetime64("2026-01-02") + np.timedelta64(7 * k, "D")) for k in range(8)]
    assert sustained_start(days(*fridays)) == D(2026, 1, 2)
    # Five weekly visits and a gap: not sustained; every other week neither.
    assert sustained_start(days(*fridays[:5])) is None
    assert sustained_start(days(*fridays[::2])) is None
    # Six of eight weeks, two weeks missing in the middle: sustained from the first.
    assert sustained_start(days(*(fridays[:3] + fridays[5:]))) == D(2026, 1, 2)


def test_visits_that_complete_a_stretch_start_it():
    fridays = [str(np.datetime64("2026-01-02") + np.timedelta64(7 * k, "D")) for k in range(10)]
    # One visit four weeks before: its stretch has 1 + 4 active weeks, not enough; the run starts it.
    assert sustained_start(days("2025-12-03", *fridays)) == D(2026, 1, 2)
    # Visits four and two weeks before complete an 8-week stretch (2 + 4 weeks): they start it.
    assert sustained_start(days("2025-12-03", "2025-12-17", *fridays)) == D(2025, 12, 3)


def test_place_names():
    # The names every other view gives (geodata.place_names): the where table, the report list.
    assert place_name(*STATION, "0665") == ("Vaggeryd – stationen", "Vaggeryd – the station")
    assert place_name(456551.0 + 50, 6374851.0, "0665") == ("Hok – stationen", "Hok – the station")
    vaggeryd = localities("0665").set_index("name").loc["Vaggeryd"]
    assert place_name(vaggeryd.x + 100, vaggeryd.y - 400, "0665") == ("Vaggeryd – söder", "Vaggeryd – south")
    assert place_name(vaggeryd.x, vaggeryd.y - 2500, "0665") == (
        "Landsbygd 2 km söder om Vaggeryd", "Countryside 2 km south of Vaggeryd")


def act(planned, where=STATION, status="genomförd", kind="närvaro/patrull", focus="trygghet"):
    return {"id": f"{planned}-{where[0]}", "focus_area": focus, "actor": "polis", "kind": kind,
            "planned_at": planned, "done_at": planned if status == "genomförd" else "", "status": status,
            "duration_min": 120, "x": where[0], "y": where[1]}


def test_find_treated_places_from_commitment_areas_and_sustained_activity():
    config = loads_config(HEAD + CORRIDOR, today=D(2026, 1, 1))
    weekly = [act(f"{np.datetime64('2026-01-02') + np.timedelta64(7 * k, 'D')}T19:00:00+01:00",
                  (STATION[0] + 20 * (k % 3), STATION[1] - 15 * (k % 2))) for k in range(8)]
    monthly = [act(f"2026-0{m}-10T19:00:00+01:00", SKILLINGARYD) for m in range(1, 10)]
    future = [act(f"2026-0{m}-15T19:00:00+01:00", (446000.0, 6366000.0), status="planerad") for m in range(1, 10)]
    checks = [act("2026-03-04T10:00:00+01:00", SKILLINGARYD, kind="hastighetskontroll", focus="trafik"),
              act("2026-02-04T10:00:00+01:00", SKILLINGARYD, kind="hastighetskontroll", focus="trafik",
                  status="inställd")]
    places = find_treated_places(config, pd.DataFrame(weekly + monthly + future + checks), D(2026, 6, 30))
    assert [(p.name, p.focus_area, p.start, p.source, p.activities) for p in places] == [
        ("väg", "trafik", D(2026, 3, 4), "commitment:väg", 1),
        ("Vaggeryd – stationen", "trygghet", D(2026, 1, 2), "sustained", 8),
    ]
    station = places[1]
    assert station.geometry.contains(shapely.Point(STATION)) and round(station.geometry.area / 1e4) == 7  # r 150 m
    # Only what is done by `at` makes a place: at the end of January the station had 5 weeks.
    assert [p.name for p in find_treated_places(config, pd.DataFrame(weekly + checks), D(2026, 1, 31))] == []


def rep(when, where, focus="trygghet"):
    return {"focus_area": focus, "layer": "otrygg_plats", "occurred_at": f"{when}T21:00:00+01:00",
            "x": where[0], "y": where[1]}


def station_place(start=JAN_1):
    return TreatedPlace(name="Vaggeryds station", name_en="Vaggeryd station", focus_area="trygghet",
                        geometry=shapely.Point(STATION).buffer(150), start=start, source="sustained", activities=8)


EAST_300 = (STATION[0] + 300, STATION[1])
SOUTH_1KM = (STATION[0], STATION[1] - 1000)
OTHER = (STATION[0], STATION[1] + 350)


def hand_made_reports():
    rows = (
        [rep(d, STATION) for d in ("2025-01-05", "2025-02-05", "2025-03-05", "2025-04-05", "2025-06-30")]
        + [rep("2026-02-01", STATION)]
        + [rep(d, SOUTH_1KM) for d in ("2025-01-10", "2025-02-10", "2025-03-10", "2025-04-10")]
        + [rep(d, SOUTH_1KM) for d in ("2026-01-10", "2026-02-10", "2026-03-10", "2026-04-10")]
        + [rep(d, EAST_300) for d in ("2025-05-01", "2025-05-02", "2026-05-01", "2026-05-02")]
        # Not counted: before the before window, between the windows, after at, another focus
        # area, another locality, inside another treated place.
        + [rep("2024-12-15", STATION), rep("2025-09-01", STATION), rep("2026-07-01", STATION),
           rep("2025-02-01", STATION, focus="trafik"), rep("2025-02-01", SKILLINGARYD), rep("2025-02-01", OTHER)]
    )
    return report_frame(pd.DataFrame(rows), "0665")


def test_evaluate_place_counts_and_wdd():
    other = TreatedPlace(name="granne", name_en="neighbour", focus_area="trygghet",
                         geometry=shapely.Point(OTHER).buffer(100), start=D(2026, 3, 1), source="sustained",
                         activities=6)
    place = station_place()
    effect = evaluate_place(hand_made_reports(), place, [place, other], D(2026, 6, 30))
    # 181 days after 1 January 2026; before = the same days of 2025.
    assert (effect.window_days, effect.before_start) == (181, D(2025, 1, 1))
    row = effect.row()
    assert list(row) == list(ROW_KEYS)
    # local (1 - 5) - (4 - 4) = -4; buffer (2 - 2) - (4 - 4) = 0; variance 14 + 12 + 2 × 8 = 42.
    assert row == {"place": "Vaggeryds station", "start": "2026-01-01", "before": 5, "after": 1,
                   "control_before": 4, "control_after": 4, "buffer_before": 2, "buffer_after": 2,
                   "estimate": -4.0, "se": round(42 ** 0.5, 2), "ci_low": round(-4 - 1.959964 * 42 ** 0.5, 1),
                   "ci_high": round(-4 + 1.959964 * 42 ** 0.5, 1), "wdq": 0.0}
    assert effect.control_localities == ("Vaggeryd",)
    words = effect.words()
    assert "5 rapporter före (2025-01-01 – 2025-06-30) och 1 efter (2026-01-01 – 2026-06-30)" in words
    assert "resten av Vaggeryd" in words and "Intervallet rymmer noll" in words and "inte slumpvis" in words
    assert "Med så få rapporter (6)" in words
    assert "The interval includes zero" in effect.words("en")


def test_a_chosen_control_replaces_the_rest_of_the_locality():
    place = station_place()
    control = shapely.Point(SKILLINGARYD).buffer(200)
    row = evaluate_place(hand_made_reports(), place, [place], D(2026, 6, 30), control=control).row()
    assert (row["control_before"], row["control_after"]) == (1, 0)


def test_too_short_or_without_control_is_not_estimated():
    frame = hand_made_reports()
    late = station_place(D(2026, 6, 1))  # 30 days to 30 June
    row = evaluate_place(frame, late, [late], D(2026, 6, 30)).row()
    assert row == {k: None for k in ROW_KEYS} | {"place": "Vaggeryds station", "start": "2026-06-01"}
    assert "inte utvärderad" in evaluate_place(frame, late, [late], D(2026, 6, 30)).words()
    alone = frame[frame["y"] > SOUTH_1KM[1] + 1].reset_index(drop=True)
    place = station_place()
    effect = evaluate_place(alone, place, [place], D(2026, 6, 30))
    assert (effect.before, effect.after, effect.control_before, effect.row()["estimate"]) == (5, 1, 0, None)
    assert "inga i jämförelseområdet" in effect.words()


def test_windows_fall_back_to_the_days_just_before():
    # Data from 1 October 2025 only: no year before a 1 January start.
    assert windows(D(2026, 1, 1), D(2025, 10, 1), D(2026, 6, 30)) == (D(2025, 10, 1), 92)
    assert windows(D(2026, 1, 1), D(2024, 1, 1), D(2027, 6, 30)) == (D(2025, 1, 1), 365)
