"""`trygghetskarta walk` on hand-made files in Skillingaryd: import, list and show what a user reads,
a repeat walk showing what became of the earlier points, export and import again as the same walk,
a point placed by its photo's GPS position, and bad input as one line with nothing stored."""

import io
import re
import sqlite3
from contextlib import closing

import pytest
from click.testing import CliRunner
from PIL import Image

from dashboard.cli import main
from layers import GeoPackageStore
from layers.audit import read_audit

GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
 <wpt lat="57.4285901" lon="14.0923742"><name>p1</name><desc>Mörk gångtunnel</desc><type>belysning</type></wpt>
 <wpt lat="57.4298715" lon="14.0956734"><time>2026-03-01T18:10:00Z</time><name>p2</name>
  <type>hastighet/fortkörning</type></wpt>
 <trk><name>Centrum</name><trkseg>
  <trkpt lat="57.4284254" lon="14.0907128"/><trkpt lat="57.4289614" lon="14.0940304"/>
  <trkpt lat="57.4307816" lon="14.0973165"/>
 </trkseg></trk>
</gpx>
"""
REPEAT = """{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"title": "Centrum i höst"},
  "geometry": {"type": "LineString", "coordinates": [[14.0907128, 57.4284254], [14.0973165, 57.4307816]]}},
 {"type": "Feature", "properties": {"category": "nedskräpning", "description": "Fulla papperskorgar"},
  "geometry": {"type": "Point", "coordinates": [14.0930000, 57.4290000]}}]}
"""


@pytest.fixture
def data(tmp_path):
    return GeoPackageStore.create(tmp_path / "walks.gpkg", kommun="0665").path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def import_first(data, tmp_path, *extra):
    (tmp_path / "vandring.gpx").write_text(GPX, encoding="utf-8")
    done = run("walk", "--data", data, "import", tmp_path / "vandring.gpx", "--date", "2026-03-01",
               "--participants", "boende=8,polis=2", *extra)
    assert done.exit_code == 0, done.output
    walk_id = re.match(r"Stored walk (w-20260301-[0-9a-f]{6}) ", done.stdout)[1]
    assert done.stdout == f"Stored walk {walk_id} (2026-03-01, 'Centrum') with 2 points awaiting moderation.\n"
    return walk_id


def test_import_list_and_show_say_what_was_stored(data, tmp_path):
    walk_id = import_first(data, tmp_path)
    listed = run("walk", "--data", data, "list")
    assert listed.stdout == f"{walk_id}  2026-03-01    2 points     491 m   10 participants  Centrum\n"
    shown = run("walk", "--data", data, "show", walk_id)
    assert shown.exit_code == 0
    assert shown.stdout.splitlines() == [
        f"{walk_id}  2026-03-01  Centrum",
        "Route: 491 m, 3 points; participants: boende 8, polis 2 (10)",
        "Points (2):",
        "  p1   otrygg_plats/belysning         ny         väntar   Mörk gångtunnel",
        "  p2   hastighet/fortkörning          ny         väntar   ",
    ]
    (entry,) = read_audit(data, event="import").to_dict("records")
    assert entry["user"].startswith("(cli) ") and entry["detail"] == {
        "walk": walk_id, "file": "vandring.gpx", "points": 2, "photos": 0, "repeats": None}


def test_show_of_a_repeat_walk_lists_the_earlier_points_as_they_stand(data, tmp_path):
    first = import_first(data, tmp_path)
    from layers.moderation import Moderator, approve, reply

    store, mia = GeoPackageStore(data), Moderator.of("mia", "moderator")
    approve(store, mia, f"{first}-p1")
    reply(store, mia, f"{first}-p1", "Ny belysning", status="åtgärdad")
    # A patrol 40 m from p1 in April (213 m from p2: not near it).
    p1 = store.read_table("reports", "WHERE id = ?", (f"{first}-p1",), uncounted=True)
    import geopandas as gpd

    from tests.helpers import activity

    store.add_activities(gpd.GeoDataFrame([activity(
        1, at=(p1["x"][0] + 40, p1["y"][0]), planned="2026-04-02T19:00:00+02:00", done="2026-04-02T21:00:00+02:00")],
        geometry="geometry", crs="EPSG:3006"))
    (tmp_path / "igen.geojson").write_text(REPEAT, encoding="utf-8")
    done = run("walk", "--data", data, "import", tmp_path / "igen.geojson", "--date", "2026-10-01",
               "--repeats", first, "--participants", "boende=5")
    assert done.exit_code == 0, done.output
    second = re.match(r"Stored walk (\S+) ", done.stdout)[1]
    lines = run("walk", "--data", data, "show", second).stdout.splitlines()
    assert lines == [
        f"{second}  2026-10-01  Centrum i höst",
        "Route: 475 m, 2 points; participants: boende 5 (5)",
        f"Repeats: {first}",
        "Points (1):",
        "  p1   otrygg_plats/nedskräpning      ny         väntar   Fulla papperskorgar",
        "",
        f"Earlier walk {first} (2026-03-01, 'Centrum'): its points today, with activities done within 200 m "
        "until 2026-10-01",
        "  Status: åtgärdad 1, ny 1",
        "  p1   otrygg_plats/belysning         åtgärdad   godkänd  Mörk gångtunnel  [reply: Ny belysning]",
        "       done near: närvaro/patrull (polis) 2026-04-02 40 m",
        "  p2   hastighet/fortkörning          ny         väntar   ",
    ]
    assert f"repeats {first}" in run("walk", "--data", data, "list").stdout.splitlines()[1]


@pytest.mark.parametrize("suffix", [".gpx", ".geojson"])
def test_export_and_import_elsewhere_show_the_same_walk(data, tmp_path, suffix):
    walk_id = import_first(data, tmp_path)
    out = tmp_path / f"ut{suffix}"
    done = run("walk", "--data", data, "export", walk_id, "--out", out)
    assert done.stdout == f"Wrote {out}: walk {walk_id}, 3 route points, 2 points\n"
    other = GeoPackageStore.create(tmp_path / "other.gpkg", kommun="0665").path
    # No --date, --title or --participants: the exported file carries them.
    again = run("walk", "--data", other, "import", out)
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith(f"Stored walk {walk_id} (2026-03-01, 'Centrum') with 2 points")
    assert run("walk", "--data", other, "show", walk_id).stdout == run("walk", "--data", data, "show", walk_id).stdout


def _photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (57.0, 25.0, 43.0), 3: "E", 4: (14.0, 5.0, 33.0)}
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), (90, 90, 90)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_add_point_places_the_point_by_the_photos_gps_and_stores_it_without_exif(data, tmp_path):
    walk_id = import_first(data, tmp_path, "--photo", f"p1={_write(tmp_path / 'a.jpg', _photo_with_gps())}")
    photo = _write(tmp_path / "lampa.jpg", _photo_with_gps())
    done = run("walk", "--data", data, "add-point", walk_id, "--category", "belysning", "--photo", photo)
    assert done.stdout == f"Stored point {walk_id}-p3 awaiting moderation with its photo (EXIF removed).\n"
    frame = GeoPackageStore(data).read_table("reports", "WHERE id = ?", (f"{walk_id}-p3",), uncounted=True)
    from geodata import to_wgs84

    lon, lat = to_wgs84(frame["x"].to_numpy(), frame["y"].to_numpy())
    assert (lon[0], lat[0]) == pytest.approx((14 + 5 / 60 + 33 / 3600, 57 + 25 / 60 + 43 / 3600), abs=1e-9)
    with closing(sqlite3.connect(data)) as conn:
        stored = conn.execute("SELECT report_id, data FROM report_photos ORDER BY id").fetchall()
    assert [rid for rid, _ in stored] == [f"{walk_id}-p1", f"{walk_id}-p3"]
    for _, blob in stored:
        image = Image.open(io.BytesIO(blob))
        assert dict(image.getexif()) == {} and b"Exif" not in blob and image.size == (1600, 1200)
    assert "[photo]" in run("walk", "--data", data, "show", walk_id).stdout.splitlines()[3]
    (added,) = read_audit(data, event="add_report")["detail"]
    assert added == {"id": f"{walk_id}-p3", "walk": walk_id, "source": "trygghetsvandring"}


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("args", "error"), [
    (("--date", "2026-13-01"), "Error: 1 invalid walk, nothing stored: row walk: date='2026-13-01': is not a date "
                               "like 2026-11-27"),
    (("--date", "2026-03-01", "--participants", "Anna Svensson, Per Olsson"),
     "Error: 1 invalid walk, nothing stored: row walk: participants='Anna Svensson': is not GROUP=COUNT: give "
     "counts by group (e.g. boende=8,polis=2; groups: boende, polis, kommun, fastighetsägare, näringsidkare, "
     "förening, skola, ungdomar, räddningstjänst, politiker, övriga), never names"),
    (("--date", "2026-03-01", "--repeats", "w-x"),
     "Error: 1 invalid walk, nothing stored: row walk: repeats='w-x': is no walk in the data file (see `walk "
     "list`; import it first)"),
    (("--date", "2026-03-01", "--photo", "p9=a.jpg"),
     "Error: 1 invalid walk, nothing stored: row photo: --photo='p9=a.jpg': names no point of the file (it has "
     "p1–p2)"),
])
def test_bad_options_give_one_line_and_store_nothing(data, tmp_path, args, error):
    (tmp_path / "vandring.gpx").write_text(GPX, encoding="utf-8")
    done = run("walk", "--data", data, "import", tmp_path / "vandring.gpx", *args)
    assert (done.exit_code, done.stderr.splitlines(), done.stdout) == (1, [error], "")
    assert run("walk", "--data", data, "list").stdout == "No walks in the data file.\n"


@pytest.mark.parametrize(("text", "error"), [
    (GPX.replace("<trk>", "<!--").replace("</trk>", "-->"),
     "Error: 1 invalid walk, nothing stored: row route: trk='0 points': the GPX file has no track (trk) or route "
     "(rte) with at least two points"),
    (GPX.replace('lat="57.4307816" lon="14.0973165"', 'lat="57.18638" lon="14.03600"'),
     "Error: 1 invalid walk, nothing stored: row route: coordinates='14.03600, 57.18638': (vertex 3, lon, lat) "
     "is outside Vaggeryd kommun"),
    (GPX.replace("<type>belysning</type>", "<type>lampa</type>"),
     "Error: 1 invalid walk, nothing stored: row waypoint 1: type='lampa': is not a category; known: belysning, "
     "skymd sikt, folksamling, skadegörelse, nedskräpning, hot/trakasserier, övrigt, fortkörning, buskörning, "
     "moped/EPA, vårdslös körning, övrigt (or layer/category)"),
    ("<gpx", "Error: 1 invalid walk, nothing stored: row file: gpx=\"Error parsing XML: Couldn't find end of Start "
             "Tag gpx"),
])
def test_bad_files_give_one_line_and_store_nothing(data, tmp_path, text, error):
    (tmp_path / "in.gpx").write_text(text, encoding="utf-8")
    done = run("walk", "--data", data, "import", tmp_path / "in.gpx", "--date", "2026-03-01")
    assert done.exit_code == 1 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.output
    assert done.stderr.startswith(error)
    with closing(sqlite3.connect(data)) as conn:
        assert conn.execute("SELECT (SELECT count(*) FROM walks) + (SELECT count(*) FROM reports)").fetchone() == (0,)


def test_show_of_an_unknown_walk_says_so(data):
    done = run("walk", "--data", data, "show", "w-nope")
    assert (done.exit_code, done.stderr) == (1, "Error: no walk with id 'w-nope' (see `trygghetskarta walk list`)\n")


def test_the_readme_walk_commands_work_as_written(tmp_path, monkeypatch):
    """Every `trygghetskarta walk` line of the README's Trygghetsvandring section, optional [...] left
    out, run in order on a new data file from the project root (the example files are in docs/examples)."""
    import shlex
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Trygghetsvandring"):]
    block = section[section.index("```bash\n") + 8:section.index("```\n", section.index("```bash\n") + 8)]
    commands = [re.sub(r"\s*(#.*|\[[^\]]*\])", "", line) for line in block.replace("\\\n", " ").splitlines()]
    data = GeoPackageStore.create(tmp_path / "vaggeryd.gpkg", kommun="0665").path
    monkeypatch.chdir(root)
    outputs = []
    for command in commands:
        args = shlex.split(command)
        assert args[:4] == [".venv/bin/trygghetskarta", "walk", "--data", "vaggeryd.gpkg"], command
        args = [str(tmp_path / a) if a.startswith("vandring.") else a for a in args[4:]]
        done = run("walk", "--data", data, *args)
        assert done.exit_code == 0, (command, done.output)
        outputs.append(done.stdout)
    assert len(outputs) == 6
    assert outputs[0].startswith("Stored walk w-20260301-93ff51 (2026-03-01, 'Skillingaryd centrum') with 2 points")
    assert outputs[4] == "Stored point w-20260301-93ff51-p3 awaiting moderation.\n"
    assert (tmp_path / "vandring.geojson").exists()
