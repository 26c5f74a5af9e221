"""`trygghetskarta hotspots` on a small hand-made store: the JSON contract's keys, a planted
cluster found, what a reduced role gets (release cells only, each ≥ k, on the file's grid, the
range snapped to whole months) and one clear line for each bad flag."""

import json

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.cli_analysis import JSON_KEYS
from geodata import cell_id, cell_index
from layers import GeoPackageStore
from layers.privacy import PrivacySettings
from tests.helpers import SKILLINGARYD, VAGGERYD, report, reports_frame

CELL_M = 1000
#: Releases are built for this day: June 2026 has closed.
TODAY = "2026-07-15"
STATION = SKILLINGARYD
#: Two more narcotics places, 3 and 4 km east of the station: 3 tips a month each (below k in
#: every month; together the locality's 'spridda rapporter', so the station's cell is published).
EAST = (SKILLINGARYD[0] + 3000, SKILLINGARYD[1])
EAST2 = (SKILLINGARYD[0] + 4000, SKILLINGARYD[1])


def cell_of(point):
    ix, iy = cell_index([point[0]], [point[1]], CELL_M)
    return str(cell_id(ix, iy, CELL_M)[0])


def build(folder):
    """The hand-made store (also used by tests/test_analysis_compare.py)."""
    store = GeoPackageStore.create(folder / "h.gpkg")
    store.set_privacy(PrivacySettings(cell_m=CELL_M))
    rows, n = [], 0

    def add(layer, focus, when, at):
        nonlocal n
        n += 1
        rows.append(report(n, layer=layer, focus=focus, when=when, at=at))

    # Unsafe places: 8 reports in each of the 9 cells around Vaggeryd's centre in March 2026,
    # and one at Skillingaryd's station.
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for i in range(8):
                add("otrygg_plats", "trygghet", f"2026-03-{10 + i:02d}T18:00:00+01:00",
                    (VAGGERYD[0] + dx * CELL_M + 5 * i, VAGGERYD[1] + dy * CELL_M))
    add("otrygg_plats", "trygghet", "2026-03-20T18:00:00+01:00", STATION)
    # Narcotics: 7 tips a month at the station and 3 at each place east of it, January 2025 – June 2026.
    for year, months in ((2025, range(1, 13)), (2026, range(1, 7))):
        for month in months:
            for i in range(7):
                add("narkotika", "narkotika", f"{year}-{month:02d}-10T22:00:00+01:00", (STATION[0] + 10 * i, STATION[1]))
            for place in (EAST, EAST2):
                for i in range(3):
                    add("narkotika", "narkotika", f"{year}-{month:02d}-12T22:00:00+01:00",
                        (place[0] + 10 * i, place[1]))
    store.add_reports(reports_frame(rows))
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build(tmp_path_factory.mktemp("hotspots"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_json_has_exactly_the_contract_keys_and_finds_the_cluster(store):
    result = run("hotspots", "--data", store.path, "--layer", "otrygg_plats", "--role", "polis", "--format", "json",
                 "--from", "2026-03-01", "--to", "2026-03-31")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == ["cells"]
    assert all(list(cell) == list(JSON_KEYS) for cell in payload["cells"])
    cells = {c["cell_id"]: c for c in payload["cells"]}
    centre = cells[cell_of(VAGGERYD)]
    assert (centre["count"], centre["class"], centre["locality"]) == (8, "hot99", "Vaggeryd")
    assert centre["q"] < 0.01 and centre["gi_z"] > 0
    assert sum(c["count"] for c in payload["cells"]) == 73  # every report of March, each in one cell
    assert cells[cell_of(STATION)]["class"] == "ns"  # a lone report is not a hot spot


def test_a_reduced_role_gets_release_cells_only_each_at_least_k_on_the_files_grid(store):
    result = run("hotspots", "--data", store.path, "--layer", "narkotika", "--role", "bra", "--format", "json",
                 "--from", "2026-01-01", "--to", "2026-06-15", "--today", TODAY)
    assert result.exit_code == 0, result.output
    cells = json.loads(result.stdout)["cells"]
    assert all(c["cell_id"].startswith(f"{CELL_M}m") for c in cells)  # never finer than the file's grid
    counts = {c["cell_id"]: c["count"] for c in cells}
    assert counts[cell_of(STATION)] == 42  # 7 a month, January–June: the range snapped to whole months
    assert all(c is None or c >= 5 for c in counts.values())
    # The 3 a month east of the station are never published as a cell: not there, or without a number.
    assert counts.get(cell_of(EAST)) is None and counts.get(cell_of(EAST2)) is None
    assert "whole published periods 2026-01-01 – 2026-06-30" in result.stderr


def test_the_exact_role_sees_the_cell_the_release_hides(store):
    result = run("hotspots", "--data", store.path, "--layer", "narkotika", "--role", "polis", "--format", "json",
                 "--from", "2026-01-01", "--to", "2026-06-30")
    counts = {c["cell_id"]: c["count"] for c in json.loads(result.stdout)["cells"]}
    assert (counts[cell_of(STATION)], counts[cell_of(EAST)], counts[cell_of(EAST2)]) == (42, 18, 18)


def test_text_is_swedish_by_default_and_english_on_request(store):
    sv = run("hotspots", "--data", store.path, "--layer", "narkotika", "--from", "2026-01-01", "--to", "2026-06-15",
             "--today", TODAY)
    assert sv.exit_code == 0, sv.output
    lines = sv.output.splitlines()
    assert lines[0] == "Hotspots (Getis-Ord Gi*) för narkotika, som rollen bra ser dem"
    assert "Period: 2026-01-01 – 2026-06-30" in lines
    assert "42 rapporter i rutorna" in lines  # the published cell only; the rest is 'spridda rapporter'
    assert any(line.startswith("Räknat ur publiceringen: publicerade rutor (minst 5)") for line in lines)
    assert "Traceback" not in sv.output
    en = run("hotspots", "--data", store.path, "--layer", "otrygg_plats", "--role", "polis", "--lang", "en",
             "--from", "2026-03-01", "--to", "2026-03-31")
    assert "Hot spots (Getis-Ord Gi*) of otrygg_plats, as the role polis sees them" in en.output
    table = [line for line in en.output.splitlines() if line.startswith(cell_of(VAGGERYD))]
    assert table and table[0].split()[1:3] == ["Vaggeryd", "8"] and table[0].endswith("Hot spot 99 %")


def test_geojson_is_cells_as_squares_with_the_contract_and_a_label(store):
    result = run("hotspots", "--data", store.path, "--layer", "otrygg_plats", "--role", "polis", "--format",
                 "geojson", "--from", "2026-03-01", "--to", "2026-03-31", "--lang", "en")
    data = json.loads(result.stdout)
    assert data["type"] == "FeatureCollection"
    feature = next(f for f in data["features"] if f["id"] == cell_of(VAGGERYD))
    ring = feature["geometry"]["coordinates"][0]
    assert feature["geometry"]["type"] == "Polygon" and len(ring) == 5 and ring[0] == ring[-1]
    assert list(feature["properties"]) == [*JSON_KEYS, "label"]
    assert feature["properties"]["label"] == "Hot spot 99 %"


@pytest.mark.parametrize(("args", "message"), [
    (["--layer", "narkotika", "--role", "allmanhet"],
     "Error: the layer 'narkotika' is not shown to the role allmanhet; its layers: otrygg_plats, hastighet"),
    (["--layer", "trafik"], "Error: unknown layer 'trafik'; the data file's layers: otrygg_plats, hastighet, narkotika"),
    (["--layer", "hastighet", "--from", "2026-05-01", "--to", "2026-04-01"],
     "Error: --to 2026-04-01 is before --from 2026-05-01"),
    (["--layer", "hastighet", "--from", "1 maj"], "Error: Invalid value for '--from': '1 maj' is not a date like 2026-11-27"),
    (["--layer", "hastighet", "--format", "csv"], "Error: Invalid value for '--format': 'csv' is not one of"),
])
def test_bad_flags_get_one_clear_line(store, args, message):
    result = run("hotspots", "--data", store.path, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_help_reads_like_documentation():
    result = run("hotspots", "--help")
    text = " ".join(result.output.split())
    assert result.exit_code == 0
    for part in ('{"cells": [{"cell_id", "locality", "count", "gi_z", "p", "q", "class"}]}',
                 "hot99, hot95, hot90", "8 neighbours", "snaps to whole published periods", "Examples:"):
        assert part in text
