"""Exports: roles (points, cells, no text), inert user text in HTML, round trips, CLI."""

from __future__ import annotations

import datetime as dt
import shutil

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.export import _asset_paths, describe_filter, esc, export, safe_json
from geodata import METRIC
from layers.config import load_config
from layers.imports import run_import
from layers.schema import REPORT_COLUMNS
from layers.store import GeoPackageStore, Query

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "`${alert(3)}`",
    "</script><script>alert(4)</script>",
    "O'Brien & \"citat\" \\u0041",
]
SKILLINGARYD = (445400, 6365443)
VAGGERYD = (448782, 6373168)
HOK = (456551, 6374851)
KLEVSHULT = (445683, 6356882)


def _reports() -> gpd.GeoDataFrame:
    rows = []

    def add(layer, category, base, n, descriptions=None, day=1):
        for i in range(n):
            rows.append({
                "id": f"t-{layer}-{base[0]}-{i}", "layer": layer,
                "focus_area": {"otrygg_plats": "trygghet", "hastighet": "trafik", "narkotika": "narkotika"}[layer],
                "occurred_at": f"2026-03-{day + i:02d}T21:{10 + i:02d}:00+01:00",
                "reported_at": f"2026-03-{day + i:02d}T22:{10 + i:02d}:00+01:00", "category": category,
                "description": (descriptions or [""] * n)[i], "source": "medborgare", "status": "ny",
                "x": base[0] + 8 * i, "y": base[1] + 7 * i,
            })

    add("otrygg_plats", "belysning", SKILLINGARYD, 5, XSS)
    add("hastighet", "fortkörning", VAGGERYD, 5, ["Bilar kör fort", "Mopeder", "", "", ""], day=10)
    add("narkotika", "försäljning", HOK, 6, [f"tips {i}" for i in range(6)], day=12)
    # Fewer than k in a cell and in a locality: only the municipality's remainder (5) shows them.
    add("narkotika", "tillhåll", KLEVSHULT, 2, ["tips a", "tips b"], day=20)
    add("narkotika", "tillhåll", SKILLINGARYD, 3, ["tips c", "tips d", "tips e"], day=24)
    frame = pd.DataFrame(rows)
    return gpd.GeoDataFrame(frame.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(frame["x"], frame["y"]),
                            crs=METRIC)[list(REPORT_COLUMNS)]


def make_store(path) -> GeoPackageStore:
    """The module's hand-made data file: 21 reports (with hostile texts) and 2 activities."""
    store = GeoPackageStore.create(path, kommun="0665")
    store.add_reports(_reports())
    acts = gpd.GeoDataFrame({
        "id": ["a1", "a2"], "focus_area": ["trafik", "narkotika"], "actor": ["polis", "polis"],
        "kind": ["hastighetskontroll", "narkotikainsats"], "planned_at": ["2026-03-05T08:00:00+01:00"] * 2,
        "done_at": ["2026-03-05T09:00:00+01:00"] * 2, "status": ["genomförd"] * 2, "duration_min": [60, 120],
        "description": ["Kontroll <b>E4</b>", "Insats"],
    }, geometry=gpd.points_from_xy([VAGGERYD[0], HOK[0]], [VAGGERYD[1], HOK[1]]), crs=METRIC)
    store.add_activities(acts)
    return store


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "t.gpkg")


@pytest.mark.parametrize(("role", "points", "cells", "activities"), [
    ("admin", 21, 0, 2), ("polis", 21, 0, 2), ("bra", 10, 1, 2), ("allmanhet", 0, 2, 2),
])
def test_roles(tmp_path, store, role, points, cells, activities):
    result = export(store, tmp_path / "out.gpkg", "gpkg", role=role)
    assert (result.points, result.cells, result.activities) == (points, cells, activities)
    layers = [name for name, _ in pyogrio.list_layers(tmp_path / "out.gpkg")]
    assert layers == ["reports", "activities", "report_cells"]
    reports = gpd.read_file(tmp_path / "out.gpkg", layer="reports")
    cells = gpd.read_file(tmp_path / "out.gpkg", layer="report_cells")
    assert reports.crs.to_epsg() == 3006 and len(reports) == points
    if role == "bra":
        assert set(reports["layer"]) == {"otrygg_plats", "hastighet"}
        assert set(reports["description"]) == {""}
        # The release of March 2026: Hok's cell, and the rest of the municipality as one remainder.
        assert cells[["enhet", "layer", "count"]].values.tolist() == [["ruta", "narkotika", 6],
                                                                      ["övriga", "narkotika", 5]]
        assert cells.geometry.isna().tolist() == [False, True]
        # January–March (empty months count as fewer than k); the empty months after it wait.
        assert set(cells["period_from"]) == {"2026-01-01"} and set(cells["period_to"]) == {"2026-03-31"}
        assert set(reports["occurred_at"].str[14:19]) == {"00:00"}  # times to the hour
    if role == "allmanhet":
        assert cells[["layer", "count"]].values.tolist() == [["hastighet", 5], ["otrygg_plats", 5]]
        assert abs(cells.geometry.area.iloc[0] - 500 * 500) < 1
        assert set(cells["period_from"]) == {"2026-01-01"} and set(cells["period_to"]) == {"2026-03-31"}
        acts = gpd.read_file(tmp_path / "out.gpkg", layer="activities")
        # The narcotics operation is counted but has no place for the public.
        placed = {a: not (g is None or g.is_empty) for a, g in zip(acts["focus_area"], acts.geometry, strict=True)}
        assert placed == {"trafik": True, "narkotika": False}


def test_html_user_text_is_inert(tmp_path, store):
    out = tmp_path / "map.html"
    export(store, out, "html", role="admin")
    text = out.read_text(encoding="utf-8")
    for raw in XSS + ["<b>E4</b>", "${alert", "`$"]:
        assert raw not in text
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in text
    assert "\\u0060\\u0024{alert(3)}\\u0060" in text
    # Only the page's own script tags: folium's, the inlined libraries' and ours.
    assert text.lower().count("<script") == text.lower().count("</script>")
    assert "Otrygga platser (5)" in text and "L.control.layers" in text
    assert "L.heatLayer" in text


def test_html_for_public_has_no_text_and_no_narcotics(tmp_path, store):
    out = tmp_path / "map.html"
    export(store, out, "html", role="allmanhet")
    text = out.read_text(encoding="utf-8")
    assert "alert(" not in text and "tips 0" not in text and "Insats" not in text
    assert "Narkotikatips" in text  # named as hidden in the legend, never drawn
    assert "Visas inte för rollen: Narkotikatips." in text
    assert "antal per 500 m-ruta (5)" in text


def test_html_title_names_the_filter_escaped(tmp_path):
    config_file = tmp_path / "fa.toml"
    config_file.write_text(
        '[[focus_area]]\nid = "trygghet"\nname_sv = "Trygghet"\nshort_sv = "<img src=x onerror=alert(9)>"\n'
        'color = "#E69F00"\nlayers = ["otrygg_plats"]\n', encoding="utf-8")
    config = load_config(config_file)
    store = GeoPackageStore.create(tmp_path / "c.gpkg", kommun="0665", config=config)
    query = Query(focus_areas=("trygghet",), start=dt.date(2026, 1, 1), end=dt.date(2026, 7, 1))
    assert describe_filter(query, config, "bra") == (
        "Fokusområden: <img src=x onerror=alert(9)>; Period: 2026-01-01 – 2026-06-30; Roll: BRÅ-möte (delad skärm)")
    export(store, tmp_path / "m.html", "html", query=query, role="bra")
    text = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(9)&gt;" in text


def test_html_is_offline_when_the_packages_are_there(tmp_path, store):
    if _asset_paths()["leaflet_js"] is None or _asset_paths()["cluster_js"] is None:
        pytest.fail("xstatic-leaflet / xstatic-leaflet-markercluster not installed (pyproject dependencies): the HTML export would need CDN links")
    export(store, tmp_path / "m.html", "html", role="admin")
    text = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "<script src=" not in text and 'rel="stylesheet"' not in text
    assert "cdn.jsdelivr" not in text and "cdnjs" not in text


def test_safe_json_and_esc():
    assert safe_json(["</script>`${x}`'&"]) == '["\\u003c/script\\u003e\\u0060\\u0024{x}\\u0060\\u0027\\u0026"]'
    assert esc("<a href='x'>`$</a>") == "&lt;a href=&#x27;x&#x27;&gt;&#96;&#36;&lt;/a&gt;"


def test_geojson_round_trip(tmp_path, store):
    out = tmp_path / "export.geojson"
    result = export(store, out, "geojson", role="admin")
    assert result.files == [out]
    copy = GeoPackageStore.create(tmp_path / "copy.gpkg", kommun="0665")
    imported, _ = run_import(out, copy)
    assert (imported.stored, len(imported.rejected)) == (21, 0)
    a = store.reports().sort_values("id").reset_index(drop=True)
    b = copy.reports().sort_values("id").reset_index(drop=True)
    columns = [c for c in REPORT_COLUMNS if c != "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(a[columns]), pd.DataFrame(b[columns]))
    assert (a.geometry.distance(b.geometry) < 0.01).all()
    again, _ = run_import(out, store)
    assert (again.stored, again.in_store) == (0, 21)


def test_csv_round_trip_and_cells_file(tmp_path, store):
    out = tmp_path / "export.csv"
    result = export(store, out, "csv", role="bra")
    assert result.files == [out, tmp_path / "export-rutor.csv"]
    head = out.read_bytes()[:3]
    assert head == b"\xef\xbb\xbf"
    cells = pd.read_csv(tmp_path / "export-rutor.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert cells[["enhet", "layer", "count"]].values.tolist() == [["ruta", "narkotika", 6],
                                                                  ["övriga", "narkotika", 5]]
    copy = GeoPackageStore.create(tmp_path / "copy.gpkg", kommun="0665")
    # The BRÅ view has no ids (they hash exact content); an import gives the rows new ones.
    assert "id" not in pd.read_csv(out, sep=";", encoding="utf-8-sig").columns
    imported, _ = run_import(out, copy)
    assert (imported.stored, len(imported.rejected)) == (10, 0)
    a = store.reports(Query(layers=("otrygg_plats", "hastighet"))).sort_values("occurred_at", kind="stable")
    b = copy.reports().sort_values("occurred_at", kind="stable")
    assert sorted(a.geometry.x.round(1)) == sorted(b.geometry.x.round(1))
    assert set(b["occurred_at"].str[14:19]) == {"00:00"}


def test_public_geojson_holds_only_cells(tmp_path, store):
    out = tmp_path / "public.geojson"
    result = export(store, out, "geojson", role="allmanhet")
    assert result.files == [out]
    cells = gpd.read_file(out)
    assert cells[["layer", "count"]].values.tolist() == [["hastighet", 5], ["otrygg_plats", 5]]
    assert "description" not in cells.columns


def test_cli_export(tmp_path, store):
    runner = CliRunner()
    out = tmp_path / "karta.html"
    res = runner.invoke(main, ["export", "--data", str(store.path), "--out", str(out), "--format", "html",
                               "--focus", "trafik", "--from", "2026-03-01", "--to", "2026-03-31", "--role", "bra"])
    assert res.exit_code == 0, res.output
    assert res.output == f"Wrote {out}: 5 reports as points, 0 grid cells, 1 activities\n"
    assert "Fokusområden: Trafik; Period: 2026-03-01 – 2026-03-31" in out.read_text(encoding="utf-8")
    res = runner.invoke(main, ["export", "--data", str(store.path), "--out", str(out), "--format", "csv",
                               "--layer", "gatlyktor"])
    assert res.exit_code == 1 and res.output.strip().splitlines() == [
        "Error: unknown layer 'gatlyktor'; layers: otrygg_plats, hastighet, narkotika"]
    res = runner.invoke(main, ["export", "--data", str(store.path), "--out", str(out), "--format", "csv",
                               "--from", "2026-05-01", "--to", "2026-04-01"])
    assert res.exit_code == 1 and "is before --from" in res.output
    res = runner.invoke(main, ["export", "--data", str(tmp_path / "none.gpkg"), "--out", str(out),
                               "--format", "csv"])
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 1
    res = runner.invoke(main, ["export", "--help"])
    assert res.exit_code == 0 and "standalone map" in res.output


@pytest.mark.browser
def test_browser_popups_show_text_and_run_nothing(tmp_path, store):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("needs chromium and chromedriver: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException

    out = tmp_path / "map.html"
    export(store, out, "html", role="admin")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(executable_path=driver_path, options=options)
    try:
        driver.get(out.as_uri())
        texts = driver.execute_script(
            """
            var out = [];
            document.querySelectorAll('path.leaflet-interactive').forEach(function (p) {
              p.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: 1, clientY: 1}));
              var all = document.querySelectorAll('.leaflet-popup-content');
              if (all.length) { out.push(all[all.length - 1].textContent); }
            });
            return out;
            """
        )
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # noqa: B018
        shown = " ".join(texts)
        for raw in XSS:
            assert raw in shown
        assert driver.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
    finally:
        driver.quit()


def test_csv_cells_never_run_as_spreadsheet_formulas(tmp_path):
    from tests.helpers import report, reports_frame

    store = GeoPackageStore.create(tmp_path / "f.gpkg", kommun="0665")
    store.add_reports(reports_frame([report(1, description='=HYPERLINK("http://x")'),
                                     report(2, description="-5 grader, halt")]))
    out = tmp_path / "f.csv"
    export(store, out, "csv", role="admin")
    rows = pd.read_csv(out, sep=";", encoding="utf-8-sig", dtype=str).set_index("id")
    assert rows.loc["t-1", "description"] == "'=HYPERLINK(\"http://x\")"
    assert rows.loc["t-2", "description"] == "'-5 grader, halt"
    # Imported back, the texts are as they were.
    copy = GeoPackageStore.create(tmp_path / "copy.gpkg", kommun="0665")
    run_import(out, copy)
    back = copy.read_table("reports").set_index("id")["description"]
    assert back.to_dict() == {"t-1": '=HYPERLINK("http://x")', "t-2": "-5 grader, halt"}


def test_html_cells_are_named_as_the_dashboard_names_them(tmp_path, store):
    """A cell's popup names its place by the cell's centre (geodata.place_names), not a grid id alone."""
    export(store, tmp_path / "map.html", "html", role="allmanhet")
    text = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert '"5 rapporter","Hastighetsklagomål","Plats: Vaggeryd – stationen","Ruta 500 m: 500mN12746E897"' in text
