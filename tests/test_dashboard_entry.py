"""In-app entry as pure functions: exact messages per field, places checked against the kommun."""

import datetime as dt

import pytest

from dashboard.data import load
from dashboard.entry import EntryError, can_edit, check_status_change, local_time, new_activity, new_report
from geodata import to_wgs84
from tests.dash_fixtures import small_store
from tests.helpers import SKILLINGARYD, VARNAMO

NOW = dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load(small_store(tmp_path_factory.mktemp("entry") / "s.gpkg"))


def lonlat(xy):
    lon, lat = to_wgs84([xy[0]], [xy[1]])
    return float(lon[0]), float(lat[0])


def test_a_report_in_skillingaryd(data):
    lon, lat = lonlat(SKILLINGARYD)
    frame = new_report({"layer": "otrygg_plats", "category": "belysning", "date": "2026-11-26", "time": "18:30",
                        "description": "Mörk gångtunnel", "lon": lon, "lat": lat}, data, "anna", NOW)
    row = frame.iloc[0]
    assert (row["layer"], row["focus_area"], row["status"], row["source"]) == (
        "otrygg_plats", "trygghet", "ny", "medborgare")
    assert row["occurred_at"] == "2026-11-26T18:30:00+01:00"
    assert row["reported_at"] == "2026-11-27T16:00:00+01:00"
    assert abs(row.geometry.x - SKILLINGARYD[0]) < 0.01 and abs(row.geometry.y - SKILLINGARYD[1]) < 0.01


def test_every_bad_field_is_named(data):
    with pytest.raises(EntryError) as caught:
        new_report({"layer": "narkotika", "category": "belysning", "date": "2026-13-01", "lon": "", "lat": ""},
                   data, "anna", NOW)
    assert caught.value.fields == {
        "category": "'belysning' är inte ett av: försäljning, användning, langning, tillhåll, övrigt",
        "date": "'2026-13-01' är inget datum (ÅÅÅÅ-MM-DD)",
        "place": "välj en plats: klicka på kartan eller ange lat/lon",
    }


def test_a_place_outside_the_kommun_says_how_far(data):
    lon, lat = lonlat(VARNAMO)
    with pytest.raises(EntryError) as caught:
        new_report({"layer": "hastighet", "category": "fortkörning", "date": "2026-11-20", "time": "08:00",
                    "lon": lon, "lat": lat}, data, "anna", NOW)
    message = caught.value.fields["place"]
    assert message.startswith("platsen ligger ") and message.endswith(" km utanför Vaggeryds kommun")
    km = float(message.split()[2].replace(",", "."))
    assert 10 < km < 25


def test_times_are_swedish_local_time_and_the_dst_gap_is_refused():
    errors = {}
    assert local_time("2026-07-01", "12:00", "date", errors) == "2026-07-01T12:00:00+02:00"
    assert local_time("2026-03-29", "02:30", "date", errors) is None
    assert errors == {"date_time": "02:30 finns inte det datumet (sommartid börjar)"}


def test_an_activity_without_a_place_and_a_future_done_one(data):
    frame = new_activity({"focus_area": "trafik", "actor": "polis", "kind": "hastighetskontroll",
                          "status": "planerad", "date": "2026-12-03", "time": "07:00", "duration": "90"},
                         data, "anna", NOW)
    assert frame.iloc[0]["planned_at"] == "2026-12-03T07:00:00+01:00" and frame.iloc[0].geometry.is_empty
    with pytest.raises(EntryError) as caught:
        new_activity({"focus_area": "trafik", "actor": "polis", "kind": "hastighetskontroll",
                      "status": "genomförd", "date": "2026-12-03", "time": "07:00", "duration": "0"},
                     data, "anna", NOW)
    assert caught.value.fields == {"duration": "'0': ange minuter, 1–1440",
                                   "status": "en genomförd aktivitet kan inte ligga i framtiden"}


def test_status_flow_and_who_may_edit():
    check_status_change("report", "ny", "bekräftad")
    with pytest.raises(EntryError, match="från åtgärdad går det bara till: inga"):
        check_status_change("report", "åtgärdad", "ny")
    with pytest.raises(EntryError, match="från planerad går det bara till: genomförd, inställd"):
        check_status_change("activity", "planerad", "planerad")
    assert [can_edit(r) for r in ("polis", "admin", "bra", "allmanhet")] == [True, True, False, False]


def test_a_report_needs_its_time_of_day(data):
    lon, lat = lonlat(SKILLINGARYD)
    with pytest.raises(EntryError) as caught:
        new_report({"layer": "otrygg_plats", "category": "belysning", "date": "2026-11-26", "time": " ",
                    "lon": lon, "lat": lat}, data, "anna", NOW)
    assert caught.value.fields == {"date_time": "ange klockslag (TT:MM)"}


def test_lenient_where_it_is_safe_and_clear_where_it_is_not(data):
    lon, lat = lonlat(SKILLINGARYD)
    base = {"layer": "otrygg_plats", "category": "belysning", "date": "2026-11-26T00:00:00", "time": "18.30"}
    # Decimal commas (as the app's own CSV export writes them) and the picker's ISO date-time.
    frame = new_report({**base, "lat": f"{lat:.6f}".replace(".", ","), "lon": f"{lon:.6f}".replace(".", ",")},
                       data, "anna", NOW)
    assert frame.iloc[0]["occurred_at"] == "2026-11-26T18:30:00+01:00"
    with pytest.raises(EntryError) as swapped:
        new_report({**base, "lat": lon, "lon": lat}, data, "anna", NOW)
    assert swapped.value.fields["place"].startswith("lat och lon verkar omkastade")
    with pytest.raises(EntryError) as one:
        new_report({**base, "lat": lat, "lon": " "}, data, "anna", NOW)
    assert one.value.fields == {"place": "ange både lat och lon"}
    with pytest.raises(EntryError) as early:
        new_report({**base, "date": "0001-01-01", "lat": lat, "lon": lon}, data, "anna", NOW)
    assert early.value.fields == {"date": "0001-01-01: datumet kan inte vara före 1990-01-01"}
    clean = new_report({**base, "lat": lat, "lon": lon, "description": "a\x00b\tc"}, data, "anna", NOW)
    assert clean.iloc[0]["description"] == "ab\tc"


def test_the_same_entry_twice_has_the_same_id_and_a_changed_one_a_new_id(data):
    lon, lat = lonlat(SKILLINGARYD)
    form = {"focus_area": "trygghet", "actor": "polis", "kind": "närvaro/patrull", "status": "planerad",
            "date": "2026-12-01", "time": "19:00", "duration": "60", "lat": lat, "lon": lon}
    later = NOW + dt.timedelta(seconds=1.5)
    assert new_activity(form, data, "anna", NOW).iloc[0]["id"] == new_activity(form, data, "anna", later).iloc[0]["id"]
    other = [new_activity({**form, **change}, data, "anna", NOW).iloc[0]["id"]
             for change in ({"duration": "90"}, {"lat": "", "lon": ""}, {"status": "genomförd", "date": "2026-11-20"})]
    assert len({*other, new_activity(form, data, "anna", NOW).iloc[0]["id"]}) == 4
    report = {"layer": "otrygg_plats", "category": "belysning", "date": "2026-11-26", "time": "18:30",
              "lat": lat, "lon": lon}
    assert new_report(report, data, "anna", NOW).iloc[0]["id"] == new_report(report, data, "anna", later).iloc[0]["id"]


def test_the_repeated_autumn_hour_is_stored_as_summer_time_and_said_so(data):
    from dashboard.entry import repeated_hour_note

    lon, lat = lonlat(SKILLINGARYD)
    frame = new_report({"layer": "otrygg_plats", "category": "belysning", "date": "2026-10-25", "time": "02:30",
                        "lon": lon, "lat": lat}, data, "anna", NOW)
    assert frame.iloc[0]["occurred_at"] == "2026-10-25T02:30:00+02:00"
    assert repeated_hour_note("2026-10-25", "2:30") == (
        "02:30 finns två gånger den dagen (sommartiden slutar): sparad som den första, sommartid (+02:00).")
    assert repeated_hour_note("2026-10-25", "03:30") == ""


def test_form_dates_are_bounded_like_the_importer(data):
    from layers.schema import plan_span

    last = plan_span(data.config.period_end).last_day
    form = {"focus_area": "trafik", "actor": "polis", "kind": "hastighetskontroll", "status": "planerad",
            "time": "07:00", "duration": "90"}
    assert new_activity({**form, "date": last.isoformat()}, data, "anna", NOW).iloc[0]["planned_at"].startswith(
        last.isoformat())
    after = last + dt.timedelta(days=1)
    with pytest.raises(EntryError) as caught:
        new_activity({**form, "date": after.isoformat()}, data, "anna", NOW)
    assert caught.value.fields == {"date": f"{after}: datumet ska ligga mellan 1990-01-01 och {last}"}
    with pytest.raises(EntryError) as caught:
        new_activity({**form, "date": "1989-12-31"}, data, "anna", NOW, lang="en")
    assert caught.value.fields == {"date": f"1989-12-31: the date must be between 1990-01-01 and {last}"}
    # A forged request with a megabyte "date" gets a short message.
    with pytest.raises(EntryError) as caught:
        new_activity({**form, "date": "x" * 1_000_000}, data, "anna", NOW)
    assert caught.value.fields["date"] == "'" + "x" * 79 + "…' är inget datum (ÅÅÅÅ-MM-DD)"
