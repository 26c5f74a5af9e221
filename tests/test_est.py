"""EST observations and the week view on hand-made data: exact counts per category, day and
place, the places that rose, moderation (pending and rejected ones not counted), the reporter
sees only their own, a moderator never sees the narcotics category, bad input names the field."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest

from geodata import METRIC
from layers import GeoPackageStore
from layers.datafile import writing
from layers.est_week import Week, parse_week, week_view
from layers.imports.sources.est import (
    TZ,
    EstError,
    EstInputError,
    load_categories,
    own_observations,
    parse_categories,
    parse_observation,
    read_observations,
    save_observation,
)

CATS = load_categories()
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=TZ)
W48 = Week(2026, 48)

#: (reporter, category, place key, local time, moderation after review)
OBSERVATIONS = [
    # week 47 (16–22 November)
    ("rut", "klotter", "Vaggeryd|stationen", "2026-11-17 10:00", "godkänd"),
    ("rut", "skadegorelse", "Skillingaryd|stationen", "2026-11-18 09:15", "godkänd"),
    ("sven", "skadegorelse", "Skillingaryd|stationen", "2026-11-19 22:40", "godkänd"),
    # week 48 (23–29 November)
    ("rut", "klotter", "Vaggeryd|stationen", "2026-11-23 08:00", "godkänd"),
    ("rut", "klotter", "Vaggeryd|stationen", "2026-11-24 13:30", "godkänd"),
    ("sven", "klotter", "Vaggeryd|stationen", "2026-11-24 14:00", "väntar"),
    ("sven", "nedskrapning", "Hok|centrum", "2026-11-25 07:45", "godkänd"),
    ("sven", "klotter", "Vaggeryd|stationen", "2026-11-26 16:00", "godkänd"),
    ("rut", "droghantering", "Skillingaryd|stationen", "2026-11-27 21:10", "godkänd"),
    ("rut", "samling_ungdomar", "Vaggeryd|stationen", "2026-11-28 20:00", "avvisad"),
    ("sven", "brand", "Klevshult", "2026-11-29 18:00", "godkänd"),
    # Sunday 23:30 Swedish time is 22:30 UTC: still week 48.
    ("rut", "ordningsstorning", "Vaggeryd", "2026-11-29 23:30", "godkänd"),
    # Monday 00:30 Swedish time is Sunday 23:30 UTC: week 49, in neither week.
    ("rut", "klotter", "Hok|centrum", "2026-11-30 00:30", "godkänd"),
]


def form(category, place, when, description=""):
    day, clock = when.split()
    return {"category": category, "place": place, "date": day, "time": clock, "description": description}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = GeoPackageStore.create(tmp_path_factory.mktemp("est") / "data.gpkg")
    for reporter, category, place, when, moderation in OBSERVATIONS:
        obs = parse_observation(form(category, place, when, f"{category} {when}"), CATS, "0665", now=NOW)
        rid = save_observation(store, obs, reporter, now=NOW)
        with writing(store.path) as conn:
            conn.execute("UPDATE reports SET moderation = ? WHERE id = ?", (moderation, rid))
    # A staff entry in week 48 is no EST observation: never in the week view.
    staff = gpd.GeoDataFrame(
        {"id": ["polis-1"], "layer": ["otrygg_plats"], "focus_area": ["trygghet"],
         "occurred_at": ["2026-11-25T10:00:00+01:00"], "reported_at": ["2026-11-25T10:00:00+01:00"],
         "category": ["belysning"], "description": [""], "source": ["polis"], "status": ["ny"]},
        geometry=gpd.points_from_xy([448782.0], [6373168.0]), crs=METRIC)
    store.add_reports(staff)
    return store


def view(store, role, week=W48, lang="sv"):
    return week_view(read_observations(store), week, CATS, role, "0665", lang)


def rows(items):
    return [(r.label, r.count, r.previous) for r in items]


def test_saved_as_waiting_est_reports_on_the_mapped_layer(store):
    frame = read_observations(store)
    assert len(frame) == len(OBSERVATIONS)
    first = frame.iloc[0]
    assert first["id"].startswith("est-klotter-")
    assert (first["layer"], first["category"], first["reporter"], first["est_category"]) == (
        "otrygg_plats", "skadegörelse", "rut", "klotter")
    assert first["occurred_at"] == "2026-11-17T10:00:00+01:00"
    drugs = frame[frame["est_category"] == "droghantering"].iloc[0]
    assert (drugs["layer"], drugs["category"]) == ("narkotika", "övrigt")
    # A new one enters waiting for moderation.
    obs = parse_observation(form("brand", "Hok", "2026-12-01 11:00"), CATS, "0665", now=NOW)
    rid = save_observation(store, obs, "olle", now=NOW)
    new = read_observations(store, reporter="olle")
    assert new["id"].tolist() == [rid] and new["moderation"].tolist() == ["väntar"]
    with writing(store.path) as conn:
        conn.execute("DELETE FROM reports WHERE id = ?", (rid,))


def test_week_view_for_the_police_exact_numbers(store):
    v = view(store, "polis")
    assert (v.total, v.previous_total, v.pending) == (7, 3, 1)
    assert [(d.isoformat(), name, n) for d, name, n in v.days] == [
        ("2026-11-23", "måndag", 1), ("2026-11-24", "tisdag", 1), ("2026-11-25", "onsdag", 1),
        ("2026-11-26", "torsdag", 1), ("2026-11-27", "fredag", 1), ("2026-11-28", "lördag", 0),
        ("2026-11-29", "söndag", 2)]
    assert rows(v.categories) == [
        ("Skadegörelse", 0, 2), ("Klotter", 3, 1), ("Nedskräpning", 1, 0), ("Otrygg plats", 0, 0),
        ("Samling av ungdomar", 0, 0), ("Droghantering observerad", 1, 0), ("Brand", 1, 0),
        ("Ordningsstörning", 1, 0)]
    assert rows(v.places) == [
        ("Vaggeryd – stationen", 3, 1), ("Hok – centrum", 1, 0), ("Klevshult – centrum", 1, 0),
        ("Skillingaryd – stationen", 1, 2), ("Vaggeryd – centrum", 1, 0)]
    assert [(r.label, r.change) for r in v.rose] == [
        ("Vaggeryd – stationen", 2), ("Hok – centrum", 1), ("Klevshult – centrum", 1), ("Vaggeryd – centrum", 1)]
    as_dict = v.to_dict()
    assert (as_dict["week"], as_dict["previous_week"], as_dict["from"], as_dict["to"]) == (
        "2026-W48", "2026-W47", "2026-11-23", "2026-11-29")
    assert as_dict["rose"][0] == {"key": "Vaggeryd – stationen", "label": "Vaggeryd – stationen", "count": 3,
                                  "previous": 1, "change": 2}


def test_the_week_before_and_after(store):
    w47 = view(store, "admin", Week(2026, 47))
    assert (w47.total, w47.previous_total, w47.pending) == (3, 0, 0)
    assert rows(w47.rose) == [("Skillingaryd – stationen", 2, 0), ("Vaggeryd – stationen", 1, 0)]
    w49 = view(store, "admin", Week(2026, 49))
    assert (w49.total, w49.previous_total) == (1, 7)
    assert rows(w49.places)[0] == ("Hok – centrum", 1, 1)


def test_moderator_never_sees_the_narcotics_category(store):
    v = view(store, "moderator", lang="en")
    assert "droghantering" not in [r.key for r in v.categories]
    assert (v.total, v.previous_total, v.pending) == (6, 3, 1)
    assert rows(v.categories) == [
        ("Vandalism", 0, 2), ("Graffiti", 3, 1), ("Littering", 1, 0), ("Unsafe place", 0, 0),
        ("Young people gathering", 0, 0), ("Fire", 1, 0), ("Public disorder", 1, 0)]
    # The drug observation at Skillingaryd station is not counted there either.
    assert rows(v.places) == [
        ("Vaggeryd – the station", 3, 1), ("Hok – the centre", 1, 0), ("Klevshult – the centre", 1, 0),
        ("Vaggeryd – the centre", 1, 0), ("Skillingaryd – the station", 0, 2)]
    assert [d[1] for d in v.days][:2] == ["Monday", "Tuesday"]
    assert "Drug" not in repr(v.to_dict())


@pytest.mark.parametrize("role", ["bra", "allmanhet", "rapportor", "nobody"])
def test_other_roles_get_no_week_view(store, role):
    with pytest.raises(EstError, match="for the roles polis, admin, moderator"):
        view(store, role)


def test_a_reporter_sees_only_their_own(store):
    rut = own_observations(store, "rut")
    sven = own_observations(store, "sven")
    assert set(rut["reporter"]) == {"rut"} and set(sven["reporter"]) == {"sven"}
    assert len(rut) == 8 and len(sven) == 5
    assert not set(rut["id"]) & set(sven["id"])
    # Newest first, across the offsets of the two weeks.
    assert rut["occurred_at"].iloc[0] == "2026-11-30T00:30:00+01:00"
    assert own_observations(store, "").empty and own_observations(store, "rut' OR '1'='1").empty


@pytest.mark.parametrize(("values", "field", "code"), [
    ({"place": "Vaggeryd"}, "category", "missing"),
    ({"category": "inbrott", "place": "Vaggeryd"}, "category", "unknown"),
    ({"category": "brand"}, "place", "missing"),
    ({"category": "brand", "place": "Jönköping"}, "place", "unknown"),
    ({"category": "brand", "lat": "59.33", "lon": "18.06"}, "lat", "outside"),
    ({"category": "brand", "lat": "norr", "lon": "14.1"}, "lat", "not_number"),
    ({"category": "brand", "place": "Hok", "date": "1/12/2026"}, "date", "bad_date"),
    ({"category": "brand", "place": "Hok", "date": "2026-02-30"}, "date", "bad_date"),
    ({"category": "brand", "place": "Hok", "date": "2026-12-02"}, "date", "future"),
    ({"category": "brand", "place": "Hok", "time": "12:30"}, "time", "future"),
    ({"category": "brand", "place": "Hok", "time": "25:00"}, "time", "bad_time"),
    ({"category": "brand", "place": "Hok", "date": "2026-09-01"}, "date", "too_old"),
    ({"category": "brand", "place": "Hok", "description": "x" * 501}, "description", "too_long"),
])
def test_bad_input_names_the_field(values, field, code):
    with pytest.raises(EstInputError) as caught:
        parse_observation(values, CATS, "0665", now=NOW)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_defaults_and_a_position():
    obs = parse_observation({"category": "brand", "lat": "57.4985", "lon": "14.1466"}, CATS, "0665", now=NOW)
    assert obs.occurred_at == dt.datetime(2026, 12, 1, 12, 0, tzinfo=TZ) and obs.description == ""
    assert 448_000 < obs.x < 450_000 and 6_372_000 < obs.y < 6_374_000


@pytest.mark.parametrize(("text", "message"), [
    ('[[category]]\nid = "a"\nname_sv = "A"\nlayer = "trafik"\ncategory = "x"', "unknown layer 'trafik'"),
    ('[[category]]\nid = "a"\nname_sv = "A"\nlayer = "hastighet"\ncategory = "klotter"',
     "category 'klotter' is not one of the layer hastighet's"),
    ('[[category]]\nid = "A-b"\nname_sv = "A"\nlayer = "hastighet"\ncategory = "övrigt"', "id 'A-b' must be"),
    ('[[category]]\nname_sv = "A"\nlayer = "hastighet"\ncategory = "övrigt"', "'id' is required"),
    ("x = 1", "needs at least one [[category]]"),
])
def test_category_file_errors_name_the_key(text, message):
    with pytest.raises(EstError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_categories(text, "min.toml")


def test_parse_week():
    assert parse_week("2026-W48") == Week(2026, 48) and parse_week("2026w5").code == "2026-W05"
    assert Week(2026, 1).previous() == Week(2025, 52) and Week(2026, 53).monday == dt.date(2026, 12, 28)
    for bad, message in (("2026-48", "not an ISO week"), ("2025-W53", "2025 has no week 53")):
        with pytest.raises(EstError, match=message):
            parse_week(bad)


def test_cli_est_week_text_and_json(store):
    import json

    from click.testing import CliRunner

    from dashboard.cli import main

    runner = CliRunner()
    out = runner.invoke(main, ["est-week", "--data", str(store.path), "--week", "2026-W48"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[:3] == ["EST vecka 48 2026 23 november – 29 november 2026, svensk tid.",
                         "7 observationer räknas denna vecka (veckan före: 3).",
                         "1 väntar på granskning och räknas inte än."]
    assert "  Vaggeryd – stationen: 3 (+2)" in lines
    assert "  Klotter                     3    1    +2" in lines
    assert "  söndag   2026-11-29    2" in lines
    moderator = runner.invoke(main, ["est-week", "--data", str(store.path), "--week", "2026-W48", "--format",
                                     "json", "--role", "moderator"])
    data = json.loads(moderator.output)
    assert (data["total"], data["previous_total"], data["pending"]) == (6, 3, 1)
    assert "droghantering" not in [c["key"] for c in data["categories"]]
    assert data["rose"][0] == {"key": "Vaggeryd – stationen", "label": "Vaggeryd – stationen", "count": 3,
                               "previous": 1, "change": 2}
    bad = runner.invoke(main, ["est-week", "--data", str(store.path), "--week", "48"])
    assert bad.exit_code == 1 and bad.output.strip() == "Error: week '48' is not an ISO week like 2026-W48"
    refused = runner.invoke(main, ["est-week", "--data", str(store.path), "--week", "2026-W48", "--role", "bra"])
    assert refused.exit_code == 2 and "'bra' is not one of 'polis', 'admin', 'moderator'" in refused.output


def test_report_period_accepts_an_iso_week_for_the_police_only(store):
    from dashboard.app import create_app
    from dashboard.data import load
    from dashboard.report import ReportError, data_span
    from dashboard.report.content import build_content
    from dashboard.report.period import Period, check_period, parse_period

    week = parse_period("2026-W48")
    assert (week.code, week.start, week.end, week.previous().code) == (
        "2026-W48", dt.date(2026, 11, 23), dt.date(2026, 11, 29), "2026-W47")
    assert (week.label("sv"), week.label("en")) == ("vecka 48 2026", "week 48 2026")
    assert parse_period("2027-W01").previous() == Period.of_week(2026, 53)
    with pytest.raises(ReportError, match="2025 has no week 53"):
        parse_period("2025-W53")
    data = load(store)
    views = create_app(store, today=lambda: dt.date(2026, 12, 1), data=data)._trygghetskarta["views"]
    check_period(week, views.policy("polis"), views.settings, data_span(data))
    with pytest.raises(ReportError) as refused:
        check_period(week, views.policy("bra"), views.settings, data_span(data))
    assert str(refused.value) == ("--period 2026-W48 is finer than the role bra may see: it sees its cells layers "
                                  "per month; periods it can have: 2026-11, 2026")
    content = build_content(data, views.get, views.policy("polis"), week, "sv", dt.date(2026, 12, 1),
                            with_figures=False)
    # Counted: week 48's seven approved EST observations and the staff entry; week 47's three.
    assert content.summary[0] == ("Alla rapporter: 8 rapporter under vecka 48 2026, 167 % fler än under "
                                  "vecka 47 2026 (3).")
