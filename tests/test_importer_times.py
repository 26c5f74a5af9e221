"""File import of times and numbers: formats, Swedish local time, bounded dates and offsets (a year
typo is a rejected row with the value, never another date) and quoted values cut."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard.cli import main
from layers.imports import (
    local_iso,
    parse_numbers,
    parse_times,
    run_import,
)
from layers.store import GeoPackageStore


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "t.gpkg", kommun="0665")


# -- times and numbers -------------------------------------------------------------------------------


def test_times():
    values = pd.Series([
        "2026-03-01T18:30:00+01:00", "2026-07-01 18:30", "01/03/2026", "2026-07-01T16:30:00Z",
        46082.5, "2023-04-11 0:11:54 +02:00", "2026-07-01 18.30", dt.datetime(2026, 12, 24, 15),
        "igår", "", "2026-13-01", "2026-03-29 02:15", "24:00",
    ], dtype=object)
    utc, reasons = parse_times(values)
    assert list(local_iso(utc)) == [
        "2026-03-01T18:30:00+01:00", "2026-07-01T18:30:00+02:00", "2026-03-01T00:00:00+01:00",
        "2026-07-01T18:30:00+02:00", "2026-03-01T12:00:00+01:00", "2023-04-11T00:11:54+02:00",
        "2026-07-01T18:30:00+02:00", "2026-12-24T15:00:00+01:00", None, None, None, None, None,
    ]
    assert sorted(reasons) == [8, 10, 11, 12]
    assert "does not exist in Swedish time" in reasons[11]


def test_separate_clock_column_and_excel_fraction():
    dates = pd.Series(["2026-03-01", "2026-03-02", "2026-03-03T10:00"], dtype=object)
    clock = pd.Series(["18.30", 0.75, "09:00"], dtype=object)
    utc, reasons = parse_times(dates, clock)
    assert list(local_iso(utc)) == ["2026-03-01T18:30:00+01:00", "2026-03-02T18:00:00+01:00",
                                    "2026-03-03T10:00:00+01:00"]
    assert reasons == {}


def test_parse_numbers():
    values, bad = parse_numbers(pd.Series(["6 365 443,5", "445400", "57.43", "x", "", 14.09, "1.234,5"],
                                          dtype=object))
    assert values[:3].tolist() == [6365443.5, 445400.0, 57.43]
    assert values[5] == 14.09
    assert bad.tolist() == [False, False, False, True, False, False, True]


# -- bounded dates: a year typo is a rejected row with the value, never another date -----------------

OUT_OF_RANGE = {
    "3000-01-01": "date 'datum': '3000-01-01' is in the future",
    "9999-12-31": "date 'datum': '9999-12-31' is in the future",
    "0001-01-01": "date 'datum': '0001-01-01' is before 1990-01-01 (check the year)",
    "1600-01-01": "date 'datum': '1600-01-01' is before 1990-01-01 (check the year)",
    "2262-04-12": "date 'datum': '2262-04-12' is in the future",
    "1677-09-21 00:00": "date 'datum': '1677-09-21 00:00' is before 1990-01-01 (check the year)",
    "1989-12-31 23:59": "date 'datum': '1989-12-31 23:59' is before 1990-01-01 (check the year)",
    "30000": "date 'datum': '30000' is before 1990-01-01 (check the year)",
    "2026-03-01T18:30:00+99:99": "date 'datum': '2026-03-01T18:30:00+99:99' has an impossible UTC offset "
                                 "'+99:99' (at most ±14:00, minutes below 60)",
    "2026-03-01T18:30:00+14:30": "date 'datum': '2026-03-01T18:30:00+14:30' has an impossible UTC offset "
                                 "'+14:30' (at most ±14:00, minutes below 60)",
    "2026-03-01 18:30 -0160": "date 'datum': '2026-03-01 18:30 -0160' has an impossible UTC offset '-0160' "
                              "(at most ±14:00, minutes below 60)",
}


def _dates_csv(path, values):
    rows = "".join(f"{v};belysning;rad {i};57,428425;14,090713\n" for i, v in enumerate(values, start=1))
    path.write_text("datum;kategori;kommentar;lat;lon\n" + rows, encoding="utf-8")


def test_out_of_range_years_and_impossible_offsets_are_rejected_with_the_value(tmp_path, store):
    # Before: 3000-01-01 was stored as 1830-11-23, 9999-12-31 as 1816-03-29, 0001-01-01 as
    # 1754-08-31, 1600-01-01 was "in the future (2184-07-21)", +99:99 shifted by four days and
    # 2262-04-12 was a traceback.
    path = tmp_path / "years.csv"
    values = [*OUT_OF_RANGE, "1990-01-01 00:00", "2026-03-01T18:30:00+14:00", "2026-03-01T18:30:00-0530"]
    _dates_csv(path, values)
    result, _ = run_import(path, store)
    assert (result.total, result.stored, len(result.rejected)) == (len(values), 3, len(OUT_OF_RANGE))
    assert [r.reason for r in result.rejected] == list(OUT_OF_RANGE.values())
    assert sorted(store.reports()["occurred_at"]) == [
        "1990-01-01T00:00:00+01:00", "2026-03-01T05:30:00+01:00", "2026-03-02T01:00:00+01:00"]


def test_out_of_range_messages_in_swedish(tmp_path, store):
    path = tmp_path / "år.csv"
    _dates_csv(path, ["3000-01-01", "1600-01-01", "2026-03-01T18:30:00+99:99"])
    result, _ = run_import(path, store, lang="sv", dry_run=True)
    assert [r.reason for r in result.rejected] == [
        "datum 'datum': '3000-01-01' ligger i framtiden",
        "datum 'datum': '1600-01-01' är före 1990-01-01 (kontrollera året)",
        "datum 'datum': '2026-03-01T18:30:00+99:99' har en omöjlig tidszon '+99:99' (högst ±14:00, minuter under 60)",
    ]


def test_excel_datetime_cells_outside_the_range(tmp_path, store):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Datum", "Kategori", "Lat", "Lon"])
    for when in (dt.datetime(3000, 1, 1), dt.datetime(9999, 12, 31, 23, 59), dt.datetime(1950, 6, 1),
                 dt.datetime(2026, 3, 1, 18, 30)):
        book.active.append([when, "belysning", 57.428425, 14.090713])
    path = tmp_path / "år.xlsx"
    book.save(path)
    result, _ = run_import(path, store)
    assert [r.reason for r in result.rejected] == [
        "date 'Datum': '3000-01-01 00:00:00' is in the future",
        "date 'Datum': '9999-12-31 23:59:00' is in the future",
        "date 'Datum': '1950-06-01 00:00:00' is before 1990-01-01 (check the year)",
    ]
    assert list(store.reports()["occurred_at"]) == ["2026-03-01T18:30:00+01:00"]


def test_gis_files_keep_the_time_text_so_a_bad_offset_is_rejected(tmp_path, store):
    # GDAL drops an offset it cannot read (the time then read as local time: another instant).
    import sqlite3

    import geopandas as gpd

    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [14.090713, 57.428425]},
         "properties": {"datum": when, "kategori": "belysning", "kommentar": f"g{i}"}}
        for i, when in enumerate(["2026-03-01T18:30:00+99:99", "2026-03-01T18:30:00+02:00"])]}
    geojson = tmp_path / "tider.geojson"
    geojson.write_text(json.dumps(doc), encoding="utf-8")
    result, prepared = run_import(geojson, store, dry_run=True)
    assert [r.reason for r in result.rejected] == [
        "date 'datum': '2026-03-01T18:30:00+99:99' has an impossible UTC offset '+99:99' (at most ±14:00, "
        "minutes below 60)"]
    assert list(prepared.frame["occurred_at"]) == ["2026-03-01T17:30:00+01:00"]
    frame = gpd.GeoDataFrame(
        {"datum": pd.to_datetime(["2026-03-01 18:30"] * 3).tz_localize("Europe/Stockholm"),
         "kategori": "belysning", "kommentar": ["a", "b", "c"]},
        geometry=gpd.points_from_xy([445400] * 3, [6365443] * 3), crs="EPSG:3006")
    gpkg = tmp_path / "tider.gpkg"
    frame.to_file(gpkg, layer="rapporter", driver="GPKG", SPATIAL_INDEX="NO")
    conn = sqlite3.connect(gpkg)
    for fid, value in ((1, "2026-03-01T18:30:00+99:99"), (2, "3000-01-01T00:00:00Z")):
        conn.execute("UPDATE rapporter SET datum = ? WHERE fid = ?", (value, fid))
    conn.commit()
    conn.close()
    result, prepared = run_import(gpkg, store, dry_run=True)
    assert [r.reason for r in result.rejected] == [
        "date 'datum': '2026-03-01T18:30:00+99:99' has an impossible UTC offset '+99:99' (at most ±14:00, "
        "minutes below 60)", "date 'datum': '3000-01-01T00:00:00Z' is in the future"]
    assert list(prepared.frame["occurred_at"]) == ["2026-03-01T18:30:00+01:00"]


def test_plans_reach_a_year_past_the_promise_period_and_done_is_never_in_the_future(tmp_path, store):
    from layers.schema import plan_span

    last = plan_span(store.config.period_end).last_day
    after = last + dt.timedelta(days=1)
    path = tmp_path / "plan.csv"
    path.write_text(
        "planerad;genomförd;aktivitet;aktör;fokusområde;lat;lon\n"
        f"{last} 18:00;;EST-möte;kommun;trygghet;;\n"
        f"{after} 09:00;;EST-möte;kommun;trygghet;;\n"
        "1989-06-01 09:00;;EST-möte;kommun;trygghet;;\n"
        f"2026-03-01 09:00;{dt.date.today().year + 1}-01-01 10:00;EST-möte;kommun;trygghet;57,428425;14,090713\n",
        encoding="utf-8")
    result, _ = run_import(path, store, kind="activities")
    assert [r.reason for r in result.rejected] == [
        f"planned date 'planerad': '{after} 09:00' is after {last} (check the year)",
        "planned date 'planerad': '1989-06-01 09:00' is before 1990-01-01 (check the year)",
        f"done date 'genomförd': '{dt.date.today().year + 1}-01-01 10:00' is in the future",
    ]
    assert list(store.activities()["planned_at"]) == [f"{last}T18:00:00+01:00"]


def test_quoted_values_are_cut_and_every_message_is_one_line(tmp_path, store):
    path = tmp_path / "stort.csv"
    _dates_csv(path, ["2026-03-01" + "x" * 1_000_000, "a\x01b" * 50])
    path.write_text(path.read_text(encoding="utf-8").replace("rad 1", "y" * 5000), encoding="utf-8")
    result, _ = run_import(path, store)
    first, second = (r.reason for r in result.rejected)
    assert first == "date 'datum': '2026-03-01" + "x" * 69 + "…' is not a date (use e.g. 2026-03-01 18:30 or 01/03/2026)"
    assert len(second) < 200 and "\n" not in second and "…" in second
    res = CliRunner().invoke(main, ["import", str(path), "--data", str(store.path), "--dry-run"])
    assert res.exit_code == 0 and max(len(line) for line in res.output.splitlines()) < 300
