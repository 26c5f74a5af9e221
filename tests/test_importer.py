"""File import: formats, encodings, coordinate systems, times, rejections, idempotence."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.cli import main
from geodata import transform
from layers.importer import (
    ImportFailed,
    choose_crs,
    decode_text,
    local_iso,
    parse_numbers,
    parse_times,
    prepare_import,
    read_csv_text,
    run_import,
    sniff_delimiter,
)
from layers.store import GeoPackageStore

# Railway stations in Vaggeryd (Trafikverket): WGS 84 and SWEREF 99 TM.
SKILLINGARYD = (57.428425, 14.090713, 445400, 6365443)
VAGGERYD = (57.498204, 14.145410, 448782, 6373168)
HOK = (57.514132, 14.274726, 456551, 6374851)
KLEVSHULT = (57.351566, 14.097317, 445683, 6356882)


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "t.gpkg", kommun="0665")


def xy(frame):
    return list(zip(frame.geometry.x.round(1), frame.geometry.y.round(1), strict=True))


# -- CSV: Windows-1252, semicolons, decimal commas, SWEREF 99 TM ----------------------------

WIN_CSV = (
    "Datum;Tid;Kategori;Beskrivning;Källa;N;E\r\n"
    "2026-03-01;18:30;Belysning;Mörkt vid stationen;Medborgare;6365443,0;445400,0\r\n"
    "2026-03-02;07:45;fortkörning;Bilar kör fort på Storgatan;kommun;6373168,5;448782,2\r\n"
    "01/03/2026;22:10;Försäljning;Langning vid skolan?;polis;6374851;456551\r\n"
    "2026-03-05;;Skadegörelse;Klotter på väntkuren;;6356882;445683\r\n"
)


def test_windows_1252_semicolon_csv_with_decimal_commas_in_sweref99tm(tmp_path, store):
    path = tmp_path / "enkät.csv"
    path.write_bytes(WIN_CSV.encode("cp1252"))
    result, prepared = run_import(path, store)
    assert (result.total, result.stored, result.duplicate, len(result.rejected)) == (4, 4, 0, 0)
    assert "Windows-1252" in prepared.notes[0] and "semicolon" in prepared.notes[0]
    assert any("SWEREF 99 TM (EPSG:3006)" in n for n in prepared.notes)
    rows = store.reports().sort_values("occurred_at").reset_index(drop=True)
    assert list(rows["occurred_at"]) == [
        "2026-03-01T18:30:00+01:00", "2026-03-01T22:10:00+01:00", "2026-03-02T07:45:00+01:00",
        "2026-03-05T00:00:00+01:00",
    ]
    assert list(rows["layer"]) == ["otrygg_plats", "narkotika", "hastighet", "otrygg_plats"]
    assert list(rows["category"]) == ["belysning", "försäljning", "fortkörning", "skadegörelse"]
    assert list(rows["source"]) == ["medborgare", "polis", "kommun", "import"]
    assert list(rows["description"])[0] == "Mörkt vid stationen"
    assert list(rows["reported_at"]) == list(rows["occurred_at"])
    assert set(rows["status"]) == {"ny"}
    assert xy(rows) == [(445400.0, 6365443.0), (456551.0, 6374851.0), (448782.2, 6373168.5),
                        (445683.0, 6356882.0)]
    assert not (tmp_path / "enkät.csv.rejected.csv").exists()


def test_reimport_is_idempotent(tmp_path, store):
    path = tmp_path / "a.csv"
    path.write_bytes(WIN_CSV.encode("cp1252"))
    run_import(path, store)
    again, _ = run_import(path, store)
    assert (again.stored, again.in_store, again.repeated, len(again.rejected)) == (0, 4, 0, 0)
    assert store.counts()["reports"] == 4


def test_utf8_bom_and_tab_and_utf16():
    text = "datum\tlat\tlon\n2026-01-01\t57,4\t14,1\n"
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "UTF-8 with BOM")
    assert decode_text(text.encode("utf-16")) == (text, "UTF-16")
    assert decode_text("Källa".encode("cp1252")) == ("Källa", "Windows-1252")
    assert sniff_delimiter(text) == "\t"
    assert sniff_delimiter("a,b;c,d\n") == ","
    assert sniff_delimiter('"x;y",b,c\n') == ","


# -- problem rows: every row stored, duplicate or rejected with its reason ---------------------

PROBLEM_CSV = """datum,kategori,beskrivning,lat,lon
2026-04-01 12:00,belysning,ok 1,57.428425,14.090713
2026-04-01 12:00,belysning,ok 1,57.428425,14.090713
,belysning,no date,57.498204,14.145410
2026-02-30 10:00,belysning,impossible,57.498204,14.145410
2026-04-02 10:00,belysning,Paris,48.8566,2.3522
2026-04-02 11:00,belysning,Stockholm,59.3293,18.0686
2026-04-03 10:00,belysning,swapped,14.145410,57.498204
2026-04-03 11:00,belysning,ok 2,57.514132,14.274726
2026-04-03 12:00,okänd kategori,bad category,57.514132,14.274726
2026-04-04 13:00,belysning,no coordinates,,
2026-03-29 02:30,belysning,clocks went forward,57.514132,14.274726
2026-10-25 02:30,belysning,repeated hour,57.514132,14.274726
"""


def test_problem_rows_are_each_accounted_for(tmp_path, store):
    path = tmp_path / "problem.csv"
    path.write_text(PROBLEM_CSV, encoding="utf-8")
    result, _ = run_import(path, store, layer="otrygg_plats")
    assert (result.total, result.stored, result.repeated, result.in_store) == (12, 3, 1, 0)
    reasons = {r.row: r.reason for r in result.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 9, 10, 11]
    assert reasons[3] == "date is missing (column 'datum')"
    assert reasons[4] == "date 'datum': '2026-02-30 10:00' is not a real date and time"
    assert reasons[5] == "coordinates (2.3522, 48.8566) are not in Sweden in WGS 84 (lat/lon)"
    assert reasons[6].startswith("lies ") and reasons[6].endswith(" km outside Vaggeryd municipality")
    assert 180 < float(reasons[6].split()[1]) < 300
    assert reasons[7] == "coordinates (57.4982, 14.1454) look swapped (latitude and longitude exchanged)"
    assert reasons[9].startswith("category 'okänd kategori' is not one of belysning")
    assert reasons[10] == "coordinates are missing"
    assert "does not exist in Swedish time" in reasons[11]
    assert result.accounted() == result.total
    stored = store.reports().sort_values("occurred_at")
    # The repeated autumn hour is read as summer time (the first of the two).
    assert list(stored["occurred_at"]) == [
        "2026-04-01T12:00:00+02:00", "2026-04-03T11:00:00+02:00", "2026-10-25T02:30:00+02:00"]
    rejected = pd.read_csv(tmp_path / "problem.csv.rejected.csv", sep=";", encoding="utf-8-sig",
                           dtype=str, keep_default_na=False)
    assert list(rejected.columns[:2]) == ["row", "reason"]
    assert list(rejected["row"].astype(int)) == [3, 4, 5, 6, 7, 9, 10, 11]
    assert list(rejected["beskrivning"])[:2] == ["no date", "impossible"]
    again, _ = run_import(path, store, layer="otrygg_plats")
    assert (again.stored, again.in_store, again.repeated, len(again.rejected)) == (0, 3, 1, 8)


def _prepared_view(prepared):
    """What an import makes of a file: accepted rows, rejections, repeats, notes and mapping."""
    frame = prepared.frame
    return (list(frame.index), frame.drop(columns="geometry").to_dict("records"), xy(frame),
            [(r.row, r.reason) for r in prepared.rejected], prepared.repeated, prepared.notes,
            prepared.mapping_lines)


@pytest.mark.parametrize("block", [1, 5])
def test_rows_prepared_in_blocks_give_the_same_import(tmp_path, store, monkeypatch, block):
    import layers.import_prepare as prepare_module
    import layers.schema as schema

    path = tmp_path / "problem.csv"
    path.write_text(PROBLEM_CSV, encoding="utf-8")
    whole = _prepared_view(prepare_import(path, store, layer="otrygg_plats"))
    monkeypatch.setattr(prepare_module, "PREPARE_BLOCK", block)
    monkeypatch.setattr(schema, "VALIDATE_BLOCK", 2)
    blocked = _prepared_view(prepare_import(path, store, layer="otrygg_plats"))
    assert blocked == whole
    rows, records, _, rejected, repeated, _, _ = blocked
    assert rows == [1, 8, 12] and repeated == {2: 1}  # a repeat found across blocks too
    assert [r["occurred_at"] for r in records] == [
        "2026-04-01T12:00:00+02:00", "2026-04-03T11:00:00+02:00", "2026-10-25T02:30:00+02:00"]
    assert [row for row, _ in rejected] == [3, 4, 5, 6, 7, 9, 10, 11]


def test_the_coordinate_system_is_decided_once_for_every_block(tmp_path, store, monkeypatch):
    import layers.import_prepare as prepare_module

    # SWEREF 99 TM, and rows 3-4 (a block of their own) without coordinates: each block alone
    # could not decide (or would refuse the file), the file as a whole does.
    path = tmp_path / "sweref.csv"
    path.write_text("datum,kategori,n,e\n"
                    "2026-04-01 12:00,belysning,6365443,445400\n2026-04-01 13:00,belysning,6373168,448782\n"
                    "2026-04-01 14:00,belysning,,\n2026-04-01 15:00,belysning,,\n"
                    "2026-04-01 16:00,belysning,6374851,456551\n", encoding="utf-8")
    monkeypatch.setattr(prepare_module, "PREPARE_BLOCK", 2)
    prepared = prepare_import(path, store, layer="otrygg_plats")
    assert [(r.row, r.reason) for r in prepared.rejected] == [(3, "coordinates are missing"),
                                                              (4, "coordinates are missing")]
    assert xy(prepared.frame) == [(445400.0, 6365443.0), (448782.0, 6373168.0), (456551.0, 6374851.0)]
    assert any("SWEREF 99 TM" in note for note in prepared.notes)


def test_whole_file_with_swapped_lat_lon_columns_is_read_the_other_way_round(tmp_path, store):
    path = tmp_path / "swapped.csv"
    path.write_text("datum;kategori;lat;lon\n2026-05-01 10:00;belysning;14,090713;57,428425\n",
                    encoding="utf-8")
    result, prepared = run_import(path, store, layer="otrygg_plats")
    assert result.stored == 1
    assert any("lat/lon columns hold each other's values" in n for n in prepared.notes)
    assert xy(store.reports()) == [(445400.0, 6365443.0)]


# -- Excel ---------------------------------------------------------------------------------------


def test_xlsx_activities_with_datetime_cells_serial_dates_and_dd_mm_yyyy(tmp_path, store):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Planerad", "Utförd", "Aktivitet", "Aktör", "Fokusområde", "Minuter", "Beskrivning",
                  "Latitud", "Longitud"])
    sheet.append([dt.datetime(2026, 3, 10, 19, 0), dt.datetime(2026, 3, 10, 20, 30), "Trygghetsvandring",
                  "Gemensam", "Trygghet", 90, "Vandring i Skillingaryd", 57.428425, 14.090713])
    sheet.append([46100.75, None, "hastighetskontroll", "polisen", "trafik", 60, None, 57.498204, 14.145410])
    sheet.append(["15/04/2026 18:00", None, "EST-möte", "kommun", "trygghet", "1:30", None, None, None])
    sheet.append(["2026-04-31", None, "EST-möte", "kommun", "trygghet", 60, None, None, None])
    sheet.append([dt.datetime(2026, 5, 1, 12), None, "Fotbollsmatch", "kommun", "trygghet", 60, None,
                  57.428425, 14.090713])
    path = tmp_path / "aktiviteter.xlsx"
    book.save(path)
    result, prepared = run_import(path, store, kind="activities")
    assert (result.total, result.stored, len(result.rejected)) == (5, 3, 2)
    reasons = {r.row: r.reason for r in result.rejected}
    assert "'2026-04-31' is not a real date" in reasons[4]
    assert reasons[5].startswith("kind 'Fotbollsmatch' is not one of")
    acts = store.activities().sort_values("planned_at").reset_index(drop=True)
    assert list(acts["planned_at"]) == [
        "2026-03-10T19:00:00+01:00", "2026-03-19T18:00:00+01:00", "2026-04-15T18:00:00+02:00"]
    assert list(acts["done_at"]) == ["2026-03-10T20:30:00+01:00", "", ""]
    assert list(acts["status"]) == ["genomförd", "planerad", "planerad"]
    assert list(acts["actor"]) == ["gemensam", "polis", "kommun"]
    assert list(acts["kind"]) == ["trygghetsvandring", "hastighetskontroll", "EST-möte"]
    assert list(acts["focus_area"]) == ["trygghet", "trafik", "trygghet"]
    assert list(acts["duration_min"]) == [90, 60, 90]
    assert acts.geometry.x.isna().tolist() == [False, False, True]  # no place


# -- GeoJSON in RT90 ---------------------------------------------------------------------------------


def _rt90_features(stations):
    tm_x = [s[2] for s in stations]
    tm_y = [s[3] for s in stations]
    rx, ry = transform(tm_x, tm_y, "EPSG:3006", "EPSG:3021")
    return [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
         "properties": {"datum": f"2026-06-0{i + 1} 21:15", "kategori": "buskörning", "kommentar": f"nr {i}"}}
        for i, (x, y) in enumerate(zip(rx, ry, strict=True))
    ]


@pytest.mark.parametrize("with_crs_member", [True, False])
def test_geojson_in_rt90(tmp_path, store, with_crs_member):
    doc = {"type": "FeatureCollection", "features": _rt90_features([SKILLINGARYD, HOK, KLEVSHULT])}
    if with_crs_member:
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3021"}}
    path = tmp_path / "rt90.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result, prepared = run_import(path, store, layer="hastighet")
    assert (result.stored, len(result.rejected)) == (3, 0)
    assert any("RT90 2.5 gon V (EPSG:3021)" in n for n in prepared.notes)
    rows = store.reports().sort_values("occurred_at")
    for (x, y), station in zip(xy(rows), (SKILLINGARYD, HOK, KLEVSHULT), strict=True):
        assert abs(x - station[2]) < 0.5 and abs(y - station[3]) < 0.5
    assert list(rows["occurred_at"])[0] == "2026-06-01T21:15:00+02:00"
    assert list(rows["description"]) == ["nr 0", "nr 1", "nr 2"]


def test_geopackage_and_zipped_shapefile(tmp_path, store):
    import zipfile

    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {"datum": ["2026-02-01 08:00", "2026-02-02 08:00"], "typ": ["moped/EPA", "fortkörning"]},
        geometry=gpd.points_from_xy([185485.1, 189000.0], [6367779.1, 6374000.0]), crs="EPSG:3008",
    )
    gpkg = tmp_path / "gis.gpkg"
    frame.to_file(gpkg, layer="klagomal", driver="GPKG")
    result, prepared = run_import(gpkg, store)
    assert (result.stored, len(result.rejected)) == (2, 0)
    assert any("SWEREF 99 13 30 (EPSG:3008), from the file" in n for n in prepared.notes)
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    frame.assign(datum=["2026-02-03 08:00", "2026-02-04 08:00"]).to_file(shp_dir / "klagomal.shp")
    archive = tmp_path / "klagomal.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, part.name)
    result, _ = run_import(archive, store)
    assert (result.stored, len(result.rejected)) == (2, 0)
    assert set(store.reports()["layer"]) == {"hastighet"}


# -- coordinate systems ----------------------------------------------------------------------------


def test_sweref99_1330_with_swedish_x_northing_is_detected(tmp_path, store):
    # X = northing, Y = easting (Swedish convention); values fit SWEREF 99 TM and 13 30 both.
    path = tmp_path / "kommun.csv"
    path.write_text("Datum;Kategori;X;Y\n2026-01-10;belysning;6367779,08;185485,11\n", encoding="utf-8")
    result, prepared = run_import(path, store)
    assert result.stored == 1
    notes = " ".join(prepared.notes)
    assert "SWEREF 99 13 30 (EPSG:3008)" in notes
    assert "X holds northing" in notes
    (x, y), = xy(store.reports())
    assert abs(x - 445400) < 1 and abs(y - 6365443) < 1


def test_ambiguous_crs_asks_for_crs():
    a = np.array([300000.0, 301000.0])
    b = np.array([6400000.0, 6401000.0])
    with pytest.raises(ImportFailed, match=r"fit both SWEREF 99 TM and SWEREF 99 13 30; give it with "
                                           r"--crs EPSG:3006 or --crs EPSG:3008"):
        choose_crs(a, b, "0665")
    assert choose_crs(a, b, "0665", given="EPSG:3006").crs == "EPSG:3006"
    with pytest.raises(ImportFailed, match="fit none of"):
        choose_crs(np.array([5.0]), np.array([5.0]), "0665")


def test_crs_option_overrides(tmp_path, store):
    path = tmp_path / "a.csv"
    path.write_text("datum,kategori,x,y\n2026-01-10,belysning,300000,6400000\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="--crs"):
        run_import(path, store, layer="otrygg_plats")
    result, _ = run_import(path, store, layer="otrygg_plats", crs="EPSG:3006")
    assert result.stored == 0 and "outside Vaggeryd" in result.rejected[0].reason


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


def test_rejected_file_never_runs_a_formula_and_imports_back_unchanged(tmp_path, store):
    path = tmp_path / "formel.csv"
    path.write_text("datum;kategori;kommentar;lat;lon\n"
                    "2026-13-01;belysning;=HYPERLINK(\"http://x\");57,428425;14,090713\n", encoding="utf-8")
    result, _ = run_import(path, store)
    rejected = pd.read_csv(tmp_path / "formel.csv.rejected.csv", sep=";", encoding="utf-8-sig", dtype=str)
    assert list(rejected["kommentar"]) == ["'=HYPERLINK(\"http://x\")"]
    fixed = rejected.drop(columns=["row", "reason"]).assign(datum="2026-03-01")
    again = tmp_path / "rättad.csv"
    fixed.to_csv(again, sep=";", index=False)
    result, _ = run_import(again, store)
    assert result.stored == 1 and list(store.reports()["description"]) == ['=HYPERLINK("http://x")']


def test_importing_the_same_file_again_leaves_the_data_file_untouched(tmp_path, store):
    import hashlib

    path = tmp_path / "a.csv"
    path.write_bytes(WIN_CSV.encode("cp1252"))
    run_import(path, store)
    before = hashlib.sha256(store.path.read_bytes()).hexdigest()
    again, _ = run_import(path, store)
    assert (again.stored, again.in_store) == (0, 4)
    assert hashlib.sha256(store.path.read_bytes()).hexdigest() == before


# -- mapping file, dry run ---------------------------------------------------------------------------


def test_mapping_file_and_dry_run(tmp_path, store):
    data = tmp_path / "enkat.csv"
    data.write_text(
        "När hände det;Vad;Fritt;Nordlig;Östlig;Kanal\n"
        "2026-02-01 20:00;Mopeder;Mopedåkning på torget;6365443;445400;Enkät 2026\n"
        "2026-02-02 20:00;Mopeder;Igen;6365443;445400;Enkät 2026\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\noccurred_at = "När hände det"\ncategory = "Vad"\ndescription = "Fritt"\n'
        'n = "Nordlig"\ne = "Östlig"\nsource = "Kanal"\n'
        '[defaults]\nlayer = "hastighet"\n'
        '[values.category]\n"Mopeder" = "moped/EPA"\n'
        '[values.source]\n"Enkät 2026" = "medborgardialog"\n',
        encoding="utf-8",
    )
    result, prepared = run_import(data, store, mapping_file=mapping, dry_run=True)
    assert (result.stored, len(result.rejected)) == (2, 0)
    assert store.counts()["reports"] == 0
    assert any(line.startswith("occurred_at   <- column 'När hände det' (mapping file)")
               for line in prepared.mapping_lines)
    result, _ = run_import(data, store, mapping_file=mapping)
    rows = store.reports()
    assert set(rows["category"]) == {"moped/EPA"} and set(rows["source"]) == {"medborgardialog"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\noccurred_at = "Saknas"\n', encoding="utf-8")
    with pytest.raises(ImportFailed, match="column 'Saknas' \\(for occurred_at\\) is not in the file"):
        run_import(data, store, mapping_file=bad)


def test_atomic_a_failing_store_leaves_nothing(tmp_path, store, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_text(PROBLEM_CSV, encoding="utf-8")

    def boom(frame, skip_existing=False):
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "add_reports", boom)
    with pytest.raises(KeyboardInterrupt):
        run_import(path, store, layer="otrygg_plats")
    assert store.counts()["reports"] == 0
    assert not (tmp_path / "a.csv.rejected.csv").exists()


def test_file_level_errors(tmp_path, store):
    nocoords = tmp_path / "n.csv"
    nocoords.write_text("datum,kategori\n2026-01-01,belysning\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="found no coordinates"):
        run_import(nocoords, store)
    with pytest.raises(ImportFailed, match="unknown file type .doc"):
        run_import(tmp_path / "x.doc", store) if (tmp_path / "x.doc").write_text("x") else None
    with pytest.raises(ImportFailed, match="unknown layer 'gatubelysning'"):
        run_import(nocoords, store, layer="gatubelysning")


# -- property test: the CSV reader never crashes and accounts for every row ---------------------------

CELL = st.one_of(
    st.sampled_from(["", "2026-05-01 12:00", "01/05/2026", "2026-02-30", "57,428425", "14.090713",
                     "57.498204", "belysning", "fortkörning", "x", "14,1", "6365443", '"', ";", ",", "\n",
                     "Å", "\t", "46100"]),
    st.text(max_size=8),
)


LAT = st.sampled_from(["57.428425", "57,498204", "57.514132", "57.43", "14.09", "59.33", "", "x", "6365443"])
LON = st.sampled_from(["14.090713", "14,145410", "14.274726", "14.1", "57.43", "18.07", "", "1e400", "-"])
ROW = st.tuples(CELL, CELL, LAT, LON, CELL, st.lists(CELL, max_size=2), st.integers(0, 5)).map(
    lambda t: (list(t[:5]) + t[5])[: max(t[6], 3) if t[6] < 5 else None]
)
COUNTS = {"checked": 0}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=0, max_size=12), delimiter=st.sampled_from([";", ",", "\t"]))
def test_csv_reader_property(store, rows, delimiter):
    """No crash; every record is accepted, repeated, rejected (once, with a reason) or empty."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["datum", "kategori", "lat", "lon", "beskrivning"])
    for row in rows:
        writer.writerow(row)
    text = buffer.getvalue()
    table = read_csv_text(text)
    records = len(table.frame) + len(table.empty_rows)
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    expected = list(csv.reader(io.StringIO(normalised, newline=""), delimiter=sniff_delimiter(normalised)))
    assert records == len(expected) - 1
    try:
        prepared = prepare_import("prop.csv", store, layer="otrygg_plats", table=table)
    except ImportFailed:
        return  # a file-level problem (no usable coordinates, ambiguous CRS): one clear error
    COUNTS["checked"] += 1
    accepted = len(prepared.frame)
    assert accepted + len(prepared.repeated) + len(prepared.rejected) + len(table.empty_rows) == records
    rejected_rows = [r.row for r in prepared.rejected]
    assert len(set(rejected_rows)) == len(rejected_rows)
    assert all(r.reason for r in prepared.rejected)
    assert not set(rejected_rows) & set(prepared.frame.index)
    assert not set(prepared.repeated) & set(prepared.frame.index)


# -- a survey-sized file ------------------------------------------------------------------------


def test_20000_rows_are_each_stored_with_their_own_time_and_place(tmp_path, store):
    # The size a municipal survey export reaches; its speed is measured in bench/bench_import.py.
    rng = np.random.default_rng(1)
    n = 20_000
    x = 445400 + rng.normal(0, 300, n).round(1)
    y = 6365443 + rng.normal(0, 300, n).round(1)
    minutes = rng.integers(0, 60 * 24 * 300, n)
    when = (pd.Timestamp("2025-01-01") + pd.to_timedelta(minutes, "m")).strftime("%Y-%m-%d %H:%M")
    frame = pd.DataFrame({"Datum": when, "Kategori": "belysning", "Beskrivning": [f"rad {i}" for i in range(n)],
                          "N": y, "E": x})
    path = tmp_path / "big.csv"
    frame.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252")
    result, _ = run_import(path, store, progress=False)
    assert (result.total, result.stored, result.duplicate) == (20_000, 19_997, 0)
    # The only rejections: three times in the hour the clocks skipped on 2025-03-30.
    assert [(r.row, r.reason) for r in result.rejected] == [
        (row, f"date 'Datum': 2025-03-30 {clock} does not exist in Swedish time (the clocks went forward)")
        for row, clock in ((5252, "02:52"), (7051, "02:54"), (7200, "02:53"))]
    stored = store.reports().set_index("description").loc[frame["Beskrivning"].drop([5251, 7050, 7199])]
    # No stored time or place differs from its source row (local time, SWEREF 99 TM as written).
    source = frame.set_index("Beskrivning").loc[stored.index]
    assert (stored["occurred_at"].str[:16].str.replace("T", " ") == source["Datum"]).all()
    assert set(stored["occurred_at"].str[16:]) == {":00+01:00", ":00+02:00"}
    assert stored.loc["rad 0", "occurred_at"] == "2025-09-23T00:01:00+02:00"
    assert (stored.geometry.x.round(1) == source["E"]).all() and (stored.geometry.y.round(1) == source["N"]).all()
    again, _ = run_import(path, store, progress=False)
    assert (again.stored, again.in_store, again.repeated, len(again.rejected)) == (0, 19_997, 0, 3)


# -- Swedish messages (the web app) -------------------------------------------------------------------

SV_CSV = """Datum;Kategori;Beskrivning;Lat;Lon
2026-03-01;belysning;ok;57,428425;14,090713
2026-02-30;belysning;omöjligt datum;57,498204;14,145410
2026-03-02;belysning;strax utanför;57,40;13,85
"""


def test_swedish_rejection_reasons_notes_and_rejected_file(tmp_path, store):
    path = tmp_path / "sv.csv"
    path.write_text(SV_CSV, encoding="utf-8")
    result, _ = run_import(path, store, layer="otrygg_plats", progress=False, lang="sv")
    assert result.stored == 1
    reasons = {r.row: r.reason for r in result.rejected}
    assert reasons == {
        2: "datum 'Datum': '2026-02-30' är inget riktigt datum",
        3: "platsen ligger 2,4 km utanför Vaggeryds kommun",
    }
    assert result.notes == [
        "fil: CSV (UTF-8), semikolonseparerad; antal rader: 3",
        "koordinater: kolumnerna 'Lat'/'Lon', WGS 84 (lat/lon) (EPSG:4326), avgjort utifrån värdenas storlek",
    ]
    rejected = pd.read_csv(tmp_path / "sv.csv.rejected.csv", sep=";", encoding="utf-8-sig", dtype=str,
                           keep_default_na=False)
    assert list(rejected["reason"]) == [reasons[2], reasons[3]]
    # The same file in English: the same facts, today's texts.
    english, _ = run_import(path, store, layer="otrygg_plats", progress=False, dry_run=True)
    assert [r.reason for r in english.rejected] == [
        "date 'Datum': '2026-02-30' is not a real date and time", "lies 2.4 km outside Vaggeryd municipality"]


def test_swedish_file_level_errors(tmp_path, store):
    empty = tmp_path / "tom.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        run_import(empty, store, lang="sv")
    assert str(info.value) == "filen är tom: den saknar rubrikrad"
    with pytest.raises(ImportFailed) as info:
        choose_crs(np.array([300000.0, 301000.0]), np.array([6400000.0, 6401000.0]), "0665", lang="sv")
    assert str(info.value) == (
        "kan inte avgöra koordinatsystemet: koordinaterna (t.ex. 300000; 6400000) passar både SWEREF 99 TM och "
        "SWEREF 99 13 30; ange koordinatsystem med --crs EPSG:3006 eller --crs EPSG:3008 eller i en mappningsfil"
    )
    nocoords = tmp_path / "n.csv"
    nocoords.write_text("datum,kategori\n2026-01-01,belysning\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="^hittade inga koordinater: .*; filens kolumner: datum, kategori$"):
        run_import(nocoords, store, lang="sv")
    with pytest.raises(ValueError, match="unknown language 'de'"):
        run_import(nocoords, store, lang="de")


def test_message_catalogue_variants_use_the_same_values():
    import string

    from layers.import_messages import MESSAGES, STORE_REASONS, store_reason

    def fields(template):
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        return {"muni" if name == "muni_genitive" else name for name in names}

    for message_id, (en, sv) in MESSAGES.items():
        assert fields(en) == fields(sv), message_id
    for reason_id, (en, sv) in STORE_REASONS.items():
        assert fields(en) == fields(sv), reason_id
    assert store_reason("must be one of ny, avvisad", "sv") == "måste vara någon av ny, avvisad"
    assert store_reason("something new", "sv") == "something new"


# -- CLI ----------------------------------------------------------------------------------------------


def test_cli_import_dry_run_and_errors(tmp_path, store):
    path = tmp_path / "a.csv"
    path.write_bytes(WIN_CSV.encode("cp1252"))
    runner = CliRunner()
    res = runner.invoke(main, ["import", str(path), "--data", str(store.path), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "Mapping (field <- source):" in res.output
    assert "would store 4 reports" in res.output and "Dry run: nothing stored." in res.output
    res = runner.invoke(main, ["import", str(path), "--data", str(store.path)])
    assert res.exit_code == 0 and "stored 4 reports" in res.output
    res = runner.invoke(main, ["import", str(tmp_path / "missing.csv"), "--data", str(store.path)])
    assert res.exit_code == 1
    assert res.output.strip().splitlines() == [f"Error: no such file: {tmp_path / 'missing.csv'}"]
    res = runner.invoke(main, ["import", str(path), "--data", str(store.path), "--crs", "EPSG:99999"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1 and "unknown coordinate system" in res.output
    res = runner.invoke(main, ["import", str(path), "--data", str(tmp_path / "none.gpkg")])
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    res = runner.invoke(main, ["import", "--help"])
    assert res.exit_code == 0 and "FILE.rejected.csv" in res.output


def test_docs_example_files_import(tmp_path, store):
    from pathlib import Path

    examples = Path(__file__).resolve().parent.parent / "docs" / "examples"
    result, _ = run_import(examples / "otrygga-platser.csv", store, dry_run=True)
    assert (result.stored, len(result.rejected)) == (4, 0)
    survey = tmp_path / "enkat.csv"
    survey.write_text("När hände det,Vad gäller det,Berätta mer,Latitud,Longitud\n"
                      "2026-02-01 20:00,Dålig belysning,Mörk gångtunnel,57.428425,14.090713\n", encoding="utf-8")
    result, _ = run_import(survey, store, mapping_file=examples / "mapping.toml")
    assert result.stored == 1
    row = store.reports().iloc[0]
    assert (row["layer"], row["category"], row["source"]) == ("otrygg_plats", "belysning", "medborgardialog")
