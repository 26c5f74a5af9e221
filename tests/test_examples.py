"""The example files the README imports: each works as written, with what it stores and rejects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from layers.store import GeoPackageStore

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "vaggeryd.gpkg"
    GeoPackageStore.create(path, kommun="0665")
    return path


def _import(tmp_path, data, name, *args):
    # A copy, so the rejected-rows file lands in the test's folder and not in docs/examples.
    copy = tmp_path / name
    shutil.copy(EXAMPLES / name, copy)
    result = CliRunner().invoke(main, ["import", str(copy), "--data", str(data), *args])
    assert "Traceback" not in result.output
    return result, copy


def test_activities_spreadsheet(tmp_path, data):
    result, copy = _import(tmp_path, data, "aktiviteter.xlsx", "--kind", "activities")
    assert result.exit_code == 0, result.output
    assert "stored 5 activities" in result.output and "rejected 1" in result.output
    assert "rejected row 6: planned date 'Planerad': '2026-02-30' is not a real date and time" in result.output
    activities = GeoPackageStore(data).activities()
    assert sorted(activities["kind"]) == ["hastighetskontroll", "informationsinsats", "närvaro/patrull",
                                          "närvaro/patrull", "trygghetsvandring"]
    assert (activities["status"] == "genomförd").sum() == 3
    assert sorted(activities["actor"].unique()) == ["gemensam", "kommun", "polis"]
    assert Path(f"{copy}.rejected.csv").exists()


def test_speed_complaints_in_sweref_13_30(tmp_path, data):
    result, _ = _import(tmp_path, data, "klagomal.gpkg", "--layer", "hastighet", "--crs", "EPSG:3008")
    assert result.exit_code == 0, result.output
    assert "stored 3 reports" in result.output and "rejected 0" in result.output
    reports = GeoPackageStore(data).reports()
    assert sorted(reports["category"]) == ["buskörning", "fortkörning", "moped/EPA"]
    # The points were written from SWEREF 99 TM: read back in the store's CRS they are where they were.
    xs = sorted(round(p.x) for p in reports.to_crs("EPSG:3006").geometry)
    assert xs == [445400, 448782, 456551]


def test_police_events_feed(tmp_path, data):
    result, _ = _import(tmp_path, data, "handelser.json", "--format", "polisen")
    assert result.exit_code == 0, result.output
    assert "stored 2 reports" in result.output
    assert "rejected row 3: event type 'Misshandel' fits no layer (police source only)" in result.output
    reports = GeoPackageStore(data).reports()
    assert sorted(reports["layer"]) == ["hastighet", "narkotika"]


def test_examples_are_the_ones_the_generator_writes(tmp_path):
    """The committed JSON equals what make_examples.py writes (the spreadsheet and GeoPackage carry
    timestamps, so they are checked by importing them above)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_events(tmp_path / "handelser.json")
    assert (tmp_path / "handelser.json").read_bytes() == (EXAMPLES / "handelser.json").read_bytes()


def test_every_file_the_readme_imports_exists():
    import re

    root = EXAMPLES.parent.parent
    for doc in ("README.md", "docs/importera.md"):
        text = (root / doc).read_text(encoding="utf-8")
        named = [n for n in re.findall(r"trygghetskarta import (\S+)", text) if n != "FILE"]
        assert named, doc
        missing = [name for name in named if not (root / name).exists()]
        assert missing == [], f"{doc} imports files that are not in the project: {missing}"
