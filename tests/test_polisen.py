"""The police's open events feed: mapping to layers, approximate positions, idempotence."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from geodata import localities
from layers.imports import ImportFailed, run_import
from layers.imports.sources.polisen import classify, is_approximate
from layers.store import GeoPackageStore

COUNTY_GPS = "57.370843,14.343917"  # the county centre the feed gives: not a place

EVENTS = [
    {"id": 700001, "datetime": "2026-08-18 19:45:41 +02:00", "name": "18 augusti 19.16, Narkotikabrott, Vaggeryd",
     "summary": "Man misstänkt för försäljning av narkotika i Skillingaryd.",
     "url": "/aktuellt/handelser/2026/augusti/18/a", "type": "Narkotikabrott",
     "location": {"name": "Jönköpings län", "gps": COUNTY_GPS}},
    {"id": 700002, "datetime": "2026-08-19 0:11:54 +02:00", "name": "18 augusti 23.50, Trafikkontroll, Vaggeryd",
     "summary": "Hastighetskontroll på gamla E4, en förare körde i 112 km/h där 70 gäller.",
     "url": "/aktuellt/handelser/2026/augusti/19/b", "type": "Trafikkontroll",
     "location": {"name": "Vaggeryd", "gps": "57.497,14.147"}},
    {"id": 700003, "datetime": "2026-08-20 10:00:00 +02:00", "name": "20 augusti 09.30, Trafikkontroll, Vaggeryd",
     "summary": "Nykterhetskontroll, inga anmärkningar.", "url": "/c", "type": "Trafikkontroll",
     "location": {"name": "Jönköpings län", "gps": COUNTY_GPS}},
    {"id": 700004, "datetime": "2026-08-20 11:00:00 +02:00", "name": "20 augusti 10.40, Misshandel, Vaggeryd",
     "summary": "Kvinna misshandlad.", "url": "/d", "type": "Misshandel",
     "location": {"name": "Jönköpings län", "gps": COUNTY_GPS}},
    {"id": 700005, "datetime": "2026-08-20 12:00:00 +02:00", "name": "20 augusti 11.10, Narkotikabrott, Värnamo",
     "summary": "Narkotika i Värnamo.", "url": "/e", "type": "Narkotikabrott",
     "location": {"name": "Jönköpings län", "gps": COUNTY_GPS}},
    {"id": 700001, "datetime": "2026-08-18 19:45:41 +02:00", "name": "18 augusti 19.16, Narkotikabrott, Vaggeryd",
     "summary": "Man misstänkt för försäljning av narkotika i Skillingaryd.", "url": "/a",
     "type": "Narkotikabrott", "location": {"name": "Jönköpings län", "gps": COUNTY_GPS}},
    {"id": 700006, "datetime": "2026-01-01 00:30:00 +01:00", "name": "31 december 23.40, Rattfylleri, Vaggeryd",
     "summary": "Rattfull förare stoppad, körde i 90 km/h i Hok.", "url": "/f", "type": "Rattfylleri",
     "location": {"name": "Vaggeryd", "gps": "57.497,14.147"}},
    {"id": "x", "datetime": "", "name": "", "summary": "", "url": "", "type": "", "location": None},
]


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "t.gpkg", kommun="0665")


@pytest.fixture
def events_file(tmp_path):
    path = tmp_path / "events.json"
    path.write_text(json.dumps(EVENTS, ensure_ascii=False), encoding="utf-8")
    return path


def test_events_map_to_layers_with_approximate_positions(store, events_file):
    result, prepared = run_import(events_file, store, fmt="polisen")
    assert (result.total, result.stored, result.repeated, len(result.rejected)) == (8, 3, 1, 4)
    reasons = {r.row: r.reason for r in result.rejected}
    assert reasons[3] == "Trafikkontroll without speed in the summary fits no layer (police source only)"
    assert reasons[4] == "event type 'Misshandel' fits no layer (police source only)"
    assert reasons[5] == "event in 'Värnamo', not in Vaggeryd"
    assert reasons[8] == "id 'x' is not an event number"
    rows = store.reports().sort_values("occurred_at").reset_index(drop=True)
    assert list(rows["id"]) == ["polisen-700006", "polisen-700001", "polisen-700002"]
    assert list(rows["layer"]) == ["hastighet", "narkotika", "hastighet"]
    assert list(rows["category"]) == ["fortkörning", "försäljning", "fortkörning"]
    # The year of "31 december 23.40" is the publication's year before (published New Year's Day).
    assert list(rows["occurred_at"]) == ["2025-12-31T23:40:00+01:00", "2026-08-18T19:16:00+02:00",
                                         "2026-08-18T23:50:00+02:00"]
    assert list(rows["reported_at"]) == ["2026-01-01T00:30:00+01:00", "2026-08-18T19:45:41+02:00",
                                         "2026-08-19T00:11:54+02:00"]
    assert set(rows["source"]) == {"polis"} and set(rows["status"]) == {"bekräftad"}
    assert rows["description"][1].startswith("[Ungefärlig plats: Skillingaryd (ort)] Polisen, Narkotikabrott:")
    assert rows["description"][2].startswith("[Ungefärlig plats: Vaggeryd kommun]")
    assert is_approximate(rows["id"]).all()
    # Never the feed's gps: the locality named in the summary, else a point inside the municipality.
    locs = localities("0665").set_index("name")
    assert abs(rows.geometry.x[1] - locs.loc["Skillingaryd", "x"]) < 1
    assert abs(rows.geometry.x[0] - locs.loc["Hok", "x"]) < 1
    again, _ = run_import(events_file, store, fmt="polisen")
    assert (again.stored, again.in_store) == (0, 3)


def test_classify():
    assert classify("Narkotikabrott", "Ringa narkotikabrott, eget bruk.") == ("narkotika", "användning", "")
    assert classify("Narkotikabrott", "Beslag.") == ("narkotika", "övrigt", "")
    assert classify("Trafikbrott", "Hastighetsöverträdelse") == ("hastighet", "fortkörning", "")
    assert classify("Trafikbrott", "Olovlig körning")[0] is None


def test_not_a_feed(store, tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"type": "FeatureCollection"}', encoding="utf-8")
    with pytest.raises(ImportFailed, match="expected a JSON list of events"):
        run_import(path, store, fmt="polisen")
    with pytest.raises(ImportFailed, match="imports reports"):
        run_import(path, store, fmt="polisen", kind="activities")


def test_feed_without_format_gets_a_hint(store, events_file):
    with pytest.raises(ImportFailed, match="use --format polisen"):
        run_import(events_file, store)


def test_cli_polisen(store, events_file):
    res = CliRunner().invoke(main, ["import", str(events_file), "--data", str(store.path), "--format", "polisen"])
    assert res.exit_code == 0, res.output
    assert "stored 3 reports" in res.output
    assert "rejected row 4: event type 'Misshandel' fits no layer" in res.output


def _event(number, **change):
    return {"id": 710000 + number, "datetime": "2026-03-01 12:00:00 +01:00", "name": "Narkotikabrott, Vaggeryd",
            "summary": "Beslag i Skillingaryd.", "url": "/a", "type": "Narkotikabrott",
            "location": {"name": "Vaggeryd", "gps": "57.5,14.1"}} | change


def test_feed_times_are_bounded_and_offsets_checked(store, tmp_path):
    path = tmp_path / "tider.json"
    times = ["3000-01-01 12:00:00 +01:00", "0001-01-01 12:00:00 +01:00", "2026-03-01 12:00:00 +99:99",
             "2026-02-30 12:00:00 +01:00", "2026-03-01 12:00:00 +14:00"]
    events = [_event(i, datetime=t) for i, t in enumerate(times)]
    # Published on New Year's Day 1990 about "31 december": the event itself is before the range.
    events.append(_event(9, datetime="1990-01-01 00:30:00 +01:00", name="31 december 23.40, Narkotikabrott, Vaggeryd"))
    path.write_text(json.dumps(events), encoding="utf-8")
    result, _ = run_import(path, store, fmt="polisen")
    assert [r.reason for r in result.rejected] == [
        "datetime '3000-01-01 12:00:00 +01:00' is in the future",
        "datetime '0001-01-01 12:00:00 +01:00' is before 1990-01-01 (check the year)",
        "datetime '2026-03-01 12:00:00 +99:99' has an impossible UTC offset '+99:99' (at most ±14:00, "
        "minutes below 60)",
        "datetime '2026-02-30 12:00:00 +01:00' is not a real date and time",
        "name '31 december 23.40, Narkotikabrott, Vaggeryd' is before 1990-01-01 (check the year)",
    ]
    assert list(store.reports()["reported_at"]) == ["2026-02-28T23:00:00+01:00"]


def test_a_feed_with_every_event_rejected_or_unreadable_json(store, tmp_path):
    path = tmp_path / "ingen.json"
    path.write_text(json.dumps([_event(1, type="Misshandel")]), encoding="utf-8")
    result, _ = run_import(path, store, fmt="polisen")  # used to fail inside shapely
    assert (result.stored, len(result.rejected)) == (0, 1)
    path.write_text('[{"id": ' + "9" * 5000 + "}]", encoding="utf-8")
    with pytest.raises(ImportFailed, match="is not a saved police events response"):
        run_import(path, store, fmt="polisen")
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ImportFailed, match="is not a saved police events response"):
        run_import(path, store, fmt="polisen")
