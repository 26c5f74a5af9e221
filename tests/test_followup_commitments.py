"""Done versus promised: which activities count towards a commitment, and the numbers at a date."""

import datetime as dt

import geopandas as gpd
import pandas as pd
import shapely

from geodata import WGS84, to_wgs84
from layers.config import loads_config
from layers.followup import follow_commitments
from layers.followup.commitments import PERIOD_KEYS, ROW_KEYS

# SWEREF 99 TM points: the stations of Vaggeryd and Skillingaryd.
VAGGERYD = (448782.0, 6373168.0)
SKILLINGARYD = (445400.0, 6365443.0)
NOWHERE = (float("nan"), float("nan"))

HEAD = '''
[promise]
kommun = "0665"
start = 2026-01-01
end = 2026-12-31
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

PRESENCE = '''
[[commitment]]
id = "helg"
focus_area = "trygghet"
text_sv = "Närvaro vid Vaggeryds station fredagskvällar."
actor = "polis"
kind = "närvaro/patrull"
target = 4
place = "Vaggeryd"
weekdays = ["fredag"]
hours = [18, 24]
'''


def config(text):
    return loads_config(HEAD + text, today=dt.date(2026, 1, 1))


def act(planned, status="genomförd", kind="närvaro/patrull", actor="polis", focus="trygghet", where=VAGGERYD,
        done=None, minutes=60, ident=None, **extra):
    if done is None:
        done = planned if status == "genomförd" else ""
    return {"id": ident or planned, "focus_area": focus, "actor": actor, "kind": kind, "planned_at": planned,
            "done_at": done, "status": status, "duration_min": minutes, "x": where[0], "y": where[1], **extra}


def frame(*rows):
    return pd.DataFrame(list(rows))


def one(cfg, acts, at):
    (progress,) = follow_commitments(cfg, acts, at)
    return progress


# Fridays in 2026: 6 March, 13 March, 4 December; 5 March is a Thursday.
DIMENSION_ROWS = [
    act("2026-03-06T19:00:00+01:00", ident="counts"),
    act("2026-03-06T19:00:00+01:00", kind="trygghetsvandring", ident="other kind"),
    act("2026-03-06T19:00:00+01:00", actor="kommun", ident="kommun"),
    act("2026-03-13T20:00:00+01:00", actor="gemensam", ident="joint counts"),
    act("2026-03-06T19:00:00+01:00", focus="trafik", ident="other focus"),
    act("2026-03-06T19:00:00+01:00", where=SKILLINGARYD, ident="other locality"),
    act("2026-03-06T19:00:00+01:00", where=NOWHERE, ident="no place"),
    act("2026-03-05T19:00:00+01:00", ident="thursday"),
    act("2026-03-06T17:00:00+01:00", ident="too early"),
    act("2025-12-26T19:00:00+01:00", ident="last year"),
    act("2026-03-20T19:00:00+01:00", status="inställd", ident="cancelled"),
    act("2026-12-04T19:00:00+01:00", status="planerad", ident="ahead"),
    act("2026-06-26T19:00:00+02:00", done="2026-07-03T21:00:00+02:00", ident="done after at"),
]


def test_each_matching_dimension_and_what_counts_as_done_planned_cancelled():
    progress = one(config(PRESENCE), frame(*DIMENSION_ROWS), dt.date(2026, 6, 30))
    # 4 × 181/365 = 1.98 expected: two whole ones due, two done.
    assert progress.row() == {
        "id": "helg", "focus_area": "trygghet", "actor": "polis", "kind": "närvaro/patrull", "target": 4,
        "done": 2, "planned": 2, "cancelled": 1, "expected_by_now": 1.98, "status": "i_fas", "periods": []}
    assert list(progress.row()) == list(ROW_KEYS)
    assert sorted(progress.activity_ids) == sorted(
        ["counts", "joint counts", "cancelled", "ahead", "done after at"])
    assert progress.summary() == "2 av 4 närvaropass (i fas)"
    # A week later the late one is done; the pace asks for 2 (4 × 188/365 = 2.06).
    later = one(config(PRESENCE), frame(*DIMENSION_ROWS), dt.date(2026, 7, 7))
    assert (later.total.done, later.total.planned, later.status) == (3, 1, "i_fas")


def test_hours_are_compared_in_local_time():
    # 17:30 UTC is 18:30 in Vaggeryd in March (UTC+1): inside 18-24; 16:30 UTC is not.
    rows = frame(act("2026-03-06T17:30:00Z", ident="a"), act("2026-03-06T16:30:00Z", ident="b"))
    assert one(config(PRESENCE), rows, dt.date(2026, 12, 31)).activity_ids == ("a",)


def test_a_joint_commitment_counts_only_joint_activities():
    text = PRESENCE.replace('actor = "polis"', 'actor = "gemensam"')
    rows = frame(act("2026-03-06T19:00:00+01:00", actor="polis", ident="polis"),
                 act("2026-03-13T19:00:00+01:00", actor="gemensam", ident="joint"))
    assert one(config(text), rows, dt.date(2026, 12, 31)).activity_ids == ("joint",)


def test_kommun_commitment_counts_kommun_and_joint():
    text = PRESENCE.replace('actor = "polis"', 'actor = "kommun"')
    rows = frame(act("2026-03-06T19:00:00+01:00", actor="polis", ident="polis"),
                 act("2026-03-13T19:00:00+01:00", actor="kommun", ident="kommun"),
                 act("2026-03-20T19:00:00+01:00", actor="gemensam", ident="joint"))
    assert one(config(text), rows, dt.date(2026, 12, 31)).activity_ids == ("kommun", "joint")


def test_hours_target_sums_duration():
    text = PRESENCE.replace("target = 4", "target_hours = 10")
    rows = frame(act("2026-03-06T19:00:00+01:00", minutes=90), act("2026-03-13T19:00:00+01:00", minutes=150),
                 act("2026-03-20T19:00:00+01:00", status="inställd", minutes=45),
                 act("2026-12-04T19:00:00+01:00", status="planerad", minutes=120))
    progress = one(config(text), rows, dt.date(2026, 4, 1))
    # 10 h × 91/365 = 2.49 h expected, 2 whole hours due; 4 h done.
    assert progress.row() == {
        "id": "helg", "focus_area": "trygghet", "actor": "polis", "kind": "närvaro/patrull", "target": 10.0,
        "done": 4.0, "planned": 2.0, "cancelled": 0.8, "expected_by_now": 2.49, "status": "i_fas", "periods": []}
    assert progress.summary() == "4 av 10 timmar (i fas)"
    assert progress.summary("en") == "4 of 10 hours (on track)"


def test_explicit_commitment_column_wins_over_dimensions():
    rows = frame(
        act("2026-03-03T10:00:00+01:00", kind="övrigt", where=NOWHERE, ident="named", commitment="helg"),
        act("2026-03-06T19:00:00+01:00", ident="named elsewhere", commitment="annat"),
        act("2026-03-13T19:00:00+01:00", ident="by dimensions", commitment=None),
        act("2025-03-03T10:00:00+01:00", ident="named, last year", commitment="helg"),
    )
    progress = one(config(PRESENCE), rows, dt.date(2026, 12, 31))
    assert progress.activity_ids == ("named", "by dimensions")


def test_recurring_quarters_each_their_own_promise():
    text = '''
[[commitment]]
id = "kvartal"
focus_area = "trafik"
text_sv = "En kontroll per kvartal."
actor = "polis"
kind = "hastighetskontroll"
target = 1
per = "quarter"
'''
    rows = frame(*[act(t, kind="hastighetskontroll", focus="trafik", where=NOWHERE, ident=t) for t in (
        "2026-02-10T10:00:00+01:00", "2026-04-14T10:00:00+02:00", "2026-05-19T10:00:00+02:00")],
        act("2026-12-08T10:00:00+01:00", status="planerad", kind="hastighetskontroll", focus="trafik"))
    progress = one(config(text), rows, dt.date(2026, 11, 27))
    row = progress.row()
    assert {k: row[k] for k in ("target", "done", "planned", "status")} == {
        "target": 4, "done": 3, "planned": 1, "status": "efter"}
    assert [(p["period"], p["target"], p["done"], p["planned"], p["status"]) for p in row["periods"]] == [
        ("2026-Q1", 1, 1, 0, "klart"), ("2026-Q2", 1, 2, 0, "klart"), ("2026-Q3", 1, 0, 0, "efter"),
        ("2026-Q4", 1, 0, 1, "ej_paborjat")]
    assert list(row["periods"][3]) == list(PERIOD_KEYS)
    # Q4: 58 of 92 days passed.
    assert row["periods"][3]["expected_by_now"] == 0.63 and row["expected_by_now"] == 3.63
    assert (row["periods"][3]["start"], row["periods"][3]["end"]) == ("2026-10-01", "2026-12-31")


def test_area_commitment_counts_points_inside():
    # A box around Skillingaryd's station (lon/lat).
    text = PRESENCE.replace('place = "Vaggeryd"', '[commitment.area]\ntype = "Polygon"\n'
                            'coordinates = [[[14.085, 57.425], [14.097, 57.425], [14.097, 57.432], '
                            '[14.085, 57.432], [14.085, 57.425]]]')
    text = text.replace('weekdays = ["fredag"]\nhours = [18, 24]\n', "")
    rows = frame(act("2026-03-06T19:00:00+01:00", where=SKILLINGARYD, ident="inside"),
                 act("2026-03-06T19:00:00+01:00", where=(445400.0, 6366443.0), ident="1 km north"),
                 act("2026-03-06T19:00:00+01:00", where=NOWHERE, ident="no place"))
    assert one(config(text), rows, dt.date(2026, 12, 31)).activity_ids == ("inside",)


def test_store_shaped_geodataframe_in_any_crs_gives_the_same():
    rows = frame(*DIMENSION_ROWS)
    lon, lat = to_wgs84(rows["x"].to_numpy(), rows["y"].to_numpy())
    geometry = [shapely.Point() if pd.isna(a) else shapely.Point(a, b) for a, b in zip(lon, lat, strict=True)]
    gdf = gpd.GeoDataFrame(rows.drop(columns=["x", "y"]), geometry=geometry, crs=WGS84)
    a = one(config(PRESENCE), rows, dt.date(2026, 6, 30)).row()
    b = one(config(PRESENCE), gdf, dt.date(2026, 6, 30)).row()
    assert a == b


def test_no_activities_at_all():
    empty = frame(act("2026-03-06T19:00:00+01:00")).iloc[:0]
    progress = one(config(PRESENCE), empty, dt.date(2026, 6, 30))
    assert (progress.total.done, progress.status, progress.activity_ids) == (0, "ej_paborjat", ())


def test_categorical_columns_as_the_dashboard_enriches_them():
    rows = frame(*DIMENSION_ROWS)
    for c in ("focus_area", "actor", "kind", "status"):
        rows[c] = rows[c].astype("category")
    assert one(config(PRESENCE), rows, dt.date(2026, 6, 30)).total.done == 2
