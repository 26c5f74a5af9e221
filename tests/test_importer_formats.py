"""File import of Excel, GeoJSON, GeoPackage and zipped Shapefile files, and telling coordinate
systems apart."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from geodata import transform
from layers.imports import (
    ImportFailed,
    choose_crs,
    run_import,
)
from layers.store import GeoPackageStore

# Railway stations in Vaggeryd (Trafikverket): WGS 84 and SWEREF 99 TM.
SKILLINGARYD = (57.428425, 14.090713, 445400, 6365443)
HOK = (57.514132, 14.274726, 456551, 6374851)
KLEVSHULT = (57.351566, 14.097317, 445683, 6356882)


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "t.gpkg", kommun="0665")


def xy(frame):
    return list(zip(frame.geometry.x.round(1), frame.geometry.y.round(1), strict=True))


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
