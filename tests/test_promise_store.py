"""The promise in the data file (schema 5): import, replace, list, show, export byte for byte,
the audit entry, bad files named by file/entry/field, the v4 -> v5 upgrade, a new demo file's
built-in promise, and which promise a view shows around New Year."""

import datetime as dt
import shutil
import sqlite3
from contextlib import closing
from importlib import resources

import geopandas as gpd
import pytest
from click.testing import CliRunner

from dashboard.cli import main
from layers import SCHEMA_VERSION, GeoPackageStore, ValidationError, load_config, open_store
from layers.audit import read_audit
from layers.followup import follow_commitments
from layers.promises import current_promise, current_stored, list_promises
from tests.helpers import activity, report, reports_frame

BUILT_IN = resources.files("layers").joinpath("focus_areas.toml").read_bytes()

#: A short promise with comments, Swedish letters and Windows line ends: all must come back as is.
PROMISE_2027 = (
    "# Medborgarlöfte 2027 – antaget av kommunstyrelsen\r\n"
    "[promise]\r\nkommun = \"0665\"\r\nstart = 2027-01-01\r\nend = 2027-12-31\r\n\r\n"
    "[[focus_area]]\r\nid = \"trygghet\"\r\nname_sv = \"Ökad trygghet\"\r\ncolor = \"#E69F00\"\r\n"
    "layers = [\"otrygg_plats\"]\r\n\r\n"
    "[[focus_area]]\r\nid = \"trafik\"\r\nname_sv = \"Trafiksäkerhet\"\r\ncolor = \"#0072B2\"\r\n"
    "layers = [\"hastighet\"]\r\npromise = false\r\n\r\n"
    "[[commitment]]  # två vandringar\r\nid = \"vandring-hok\"\r\nfocus_area = \"trygghet\"\r\n"
    "text_sv = \"Två trygghetsvandringar i Hok.\"\r\nactor = \"gemensam\"\r\nkind = \"trygghetsvandring\"\r\n"
    "target = 2\r\nplace = \"Hok\"\r\n"
).encode()


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def store(tmp_path):
    """A data file holding the built-in promise for 2026."""
    return GeoPackageStore.create(tmp_path / "v.gpkg", config=load_config(today=dt.date(2026, 3, 1)))


def test_import_list_show_export_round_trip_is_byte_identical(store, tmp_path):
    source = tmp_path / "lofte-2027.toml"
    source.write_bytes(PROMISE_2027)
    done = run("promise", "import", source, "--data", store.path)
    assert done.exit_code == 0, done.output
    assert ("Stored the promise for 2027: 2 focus areas (1 public promises), 1 commitments, from lofte-2027.toml."
            in done.output)
    listed = run("promise", "list", "--data", store.path, "--today", "2026-06-01")
    lines = listed.output.splitlines()
    assert lines[1].startswith("* 2026 ") and "3 (2 promises)" in lines[1] and " 6 " in lines[1]
    assert lines[2].startswith("  2027 ") and "2 (1 promises)" in lines[2] and "lofte-2027.toml" in lines[2]
    shown = run("promise", "show", "--data", store.path, "--period", "2027")
    assert shown.exit_code == 0, shown.output
    assert "Löfte 2027 (2027-01-01 – 2027-12-31), kommun 0665 Vaggeryd" in shown.output
    assert "  trafik: Trafiksäkerhet (följs upp bara i BRÅ; lager hastighet)" in shown.output
    assert ("  vandring-hok [trygghet, gemensam, trygghetsvandring]: 2 trygghetsvandringar, i Hok\n"
            "    Två trygghetsvandringar i Hok.") in shown.output
    out = tmp_path / "back.toml"
    assert run("promise", "export", "--data", store.path, "--period", "2027-05-01", "-o", out).exit_code == 0
    assert out.read_bytes() == PROMISE_2027
    to_stdout = CliRunner().invoke(main, ["promise", "export", "--data", str(store.path), "--period", "2026"])
    assert to_stdout.stdout_bytes == BUILT_IN


def test_replacing_a_period_is_audited_as_replaced(store, tmp_path):
    source = tmp_path / "lofte.toml"
    source.write_bytes(PROMISE_2027)
    assert run("promise", "import", source, "--data", store.path).exit_code == 0
    source.write_bytes(PROMISE_2027.replace(b"target = 2", b"target = 3"))
    again = run("promise", "import", source, "--data", store.path)
    assert again.exit_code == 0 and again.output.startswith("Replaced the promise for 2027:")
    stored = [p for p in list_promises(store.path) if p.label == "2027"]
    assert len(stored) == 1 and b"target = 3" in stored[0].text.encode()
    assert stored[0].config().commitment("vandring-hok").target == 3
    entries = read_audit(store.path, event="promise_import")
    assert [e["action"] for e in entries["detail"]] == ["new", "replaced"]
    assert entries["detail"].iloc[1]["period"] == "2027" and entries["detail"].iloc[1]["commitments"] == 1
    assert entries["user"].iloc[0].startswith("(cli)")


def test_a_bad_file_names_file_entry_and_field_and_stores_nothing(store, tmp_path):
    bad = tmp_path / "fel.toml"
    bad.write_bytes(PROMISE_2027.replace(b'kind = "trygghetsvandring"', b'kind = "vandring"'))
    done = run("promise", "import", bad, "--data", store.path)
    assert done.exit_code == 1
    assert done.output.startswith(f"Error: {bad}: commitment #1 (id 'vandring-hok'): kind = 'vandring' is not an "
                                  "activity kind; known:")
    assert len(done.output.strip().splitlines()) == 1 and "Traceback" not in done.output
    assert [p.label for p in list_promises(store.path)] == ["2026"]
    overlapping = tmp_path / "halvar.toml"
    overlapping.write_bytes(PROMISE_2027.replace(b"start = 2027-01-01\r\nend = 2027-12-31",
                                                 b"start = 2026-07-01\r\nend = 2027-06-30"))
    clash = run("promise", "import", overlapping, "--data", store.path)
    assert clash.exit_code == 1
    assert "the promise period 2026-07-01 – 2027-06-30 overlaps the stored promise 2026" in clash.output
    assert run("promise", "show", "--data", store.path, "--period", "1899").exit_code == 2


def test_a_file_without_dates_is_stored_for_the_year_given(store, tmp_path):
    undated = tmp_path / "utan.toml"
    undated.write_bytes(PROMISE_2027.replace(b"start = 2027-01-01\r\nend = 2027-12-31\r\n", b""))
    done = run("promise", "import", undated, "--data", store.path, "--period", "2028")
    assert done.exit_code == 0, done.output
    assert "no [promise] start/end in utan.toml: the calendar year 2028" in done.output
    stored = [p for p in list_promises(store.path) if p.start.year == 2028][0]
    # The stored period wins over "the current calendar year" of a file without dates.
    assert (stored.config().period_start, stored.config().period_end) == (dt.date(2028, 1, 1), dt.date(2028, 12, 31))
    assert stored.config().commitment("vandring-hok").period_start == dt.date(2028, 1, 1)


def make_v4(path):
    """The file as schema version 4 wrote it: no promises table, no activities.commitment column."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN")
        conn.execute("DROP TABLE promises")
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'promises'")
        conn.execute("ALTER TABLE activities DROP COLUMN commitment")
        conn.execute("UPDATE trygghetskarta_meta SET value = '4' WHERE key = 'schema_version'")
        conn.execute("COMMIT")


def test_a_v4_file_is_upgraded_keeps_its_data_and_stores_the_promise_in_use(store, tmp_path, capsys):
    store.add_reports(reports_frame([report(i, when=f"2026-0{1 + i}-05T18:00:00+01:00") for i in range(3)]))
    store.add_activities(gpd.GeoDataFrame([activity(1), activity(2, at=None, kind="EST-möte", actor="gemensam")],
                                          geometry="geometry", crs="EPSG:3006"))
    before = (store.read_table("reports"), store.read_table("activities").drop(columns="commitment"))
    old = tmp_path / "v4.gpkg"
    shutil.copy(store.path, old)
    make_v4(old)
    with closing(sqlite3.connect(old)) as conn:
        assert "commitment" not in [r[1] for r in conn.execute("PRAGMA table_info(activities)")]
    upgraded = open_store(old)
    assert upgraded.meta.schema_version == SCHEMA_VERSION
    assert "Upgraded" in capsys.readouterr().err
    with closing(sqlite3.connect(tmp_path / "v4.gpkg.v4.bak")) as conn:
        assert conn.execute("SELECT value FROM trygghetskarta_meta WHERE key = 'schema_version'").fetchone() == ("4",)
    assert upgraded.read_table("reports").equals(before[0])
    acts = upgraded.read_table("activities")
    assert acts.drop(columns="commitment").equals(before[1]) and acts["commitment"].tolist() == ["", ""]
    stored = list_promises(old)
    assert len(stored) == 1 and stored[0].text.encode() == BUILT_IN and stored[0].imported_by == "(upgrade)"
    assert len(upgraded.config.commitments) == 6
    from tests.test_gpkg_conformance import validate

    assert validate(old) == []


def test_an_upgrade_stores_the_config_given(store, tmp_path):
    own = tmp_path / "eget.toml"
    own.write_bytes(PROMISE_2027)
    old = tmp_path / "v4.gpkg"
    shutil.copy(store.path, old)
    make_v4(old)
    opened = open_store(old, config=load_config(own))
    assert [p.label for p in list_promises(old)] == ["2027"]
    assert list_promises(old)[0].text.encode() == PROMISE_2027
    # --config overrides for the run, and says so.
    assert opened.config_override and "for this run only" in opened.promise_note()
    assert not open_store(old).config_override


def test_a_new_demo_file_holds_the_built_in_promise_of_its_last_year(tmp_path):
    done = run("demo", "--data", tmp_path / "d.gpkg", "--reports", "50", "--activities", "20", "--end", "2025-11-27")
    assert done.exit_code == 0, done.output
    stored = list_promises(tmp_path / "d.gpkg")
    assert [(p.label, p.imported_by) for p in stored] == [("2025", "(new file)")]
    assert stored[0].text.encode() == BUILT_IN
    config = open_store(tmp_path / "d.gpkg").config
    assert (config.period_start, len(config.commitments)) == (dt.date(2025, 1, 1), 6)
    info = run("info", "--data", tmp_path / "d.gpkg")
    assert "Promise:     2025 from the data file (focus_areas.toml (built-in Vaggeryd promise)" in info.output


def test_activities_may_name_their_commitment(store):
    store.add_activities(gpd.GeoDataFrame([activity(1, commitment="hastighet-rv30"), activity(2, commitment="")],
                                          geometry="geometry", crs="EPSG:3006"))
    acts = store.read_table("activities")
    assert acts["commitment"].tolist() == ["hastighet-rv30", ""]
    # The named commitment counts it although it is a patrol in Skillingaryd, not a speed check at Hok.
    done = {p.commitment.id: p.total.done for p in follow_commitments(store.config, acts, dt.date(2026, 3, 31))}
    assert done["hastighet-rv30"] == 1 and done["narvaro-helgkvallar"] == 0
    with pytest.raises(ValidationError) as caught:
        store.add_activities(gpd.GeoDataFrame([activity(3, commitment="okänd")], geometry="geometry",
                                              crs="EPSG:3006"))
    assert "a-3" in str(caught.value) and "commitment" in str(caught.value) and "'okänd'" in str(caught.value)


def _with_2025_and_2026(tmp_path):
    store = GeoPackageStore.create(tmp_path / "ny.gpkg", config=load_config(today=dt.date(2025, 3, 1)))
    source = tmp_path / "2026.toml"
    source.write_bytes(BUILT_IN)
    assert run("promise", "import", source, "--data", store.path, "--period", "2026").exit_code == 0
    return store


def test_on_new_year_the_previous_promise_stays_until_the_new_one_has_data(tmp_path):
    store = _with_2025_and_2026(tmp_path)
    assert current_stored(store, dt.date(2025, 12, 31)).label == "2025"
    assert current_stored(store, dt.date(2026, 1, 1)).label == "2025"
    assert current_promise(store, dt.date(2026, 1, 1)).period_start == dt.date(2025, 1, 1)
    # A narcotics tip on New Year's night: data for the police, not yet for BRÅ (it reads
    # narcotics from a monthly release, which January is not in yet).
    store.add_reports(reports_frame([report(1, layer="narkotika", focus="narkotika",
                                            when="2026-01-01T01:30:00+01:00")]))
    assert current_stored(store, dt.date(2026, 1, 1), role="polis").label == "2026"
    assert current_stored(store, dt.date(2026, 1, 1), role="bra").label == "2025"
    # The choice every role shares (no role) does not tell that a report exists.
    assert current_stored(store, dt.date(2026, 1, 1)).label == "2025"
    # An activity planned in the new period is data for every role.
    store.add_activities(gpd.GeoDataFrame([activity(1, planned="2026-01-01T19:00:00+01:00", status="planerad")],
                                          geometry="geometry", crs="EPSG:3006"))
    assert current_stored(store, dt.date(2026, 1, 1), role="bra").label == "2026"
    assert current_stored(store, dt.date(2026, 1, 1), role="allmanhet").label == "2026"
    assert current_stored(store, dt.date(2026, 1, 1)).label == "2026"
    assert open_store(store.path, today=dt.date(2026, 1, 1)).config.period_start == dt.date(2026, 1, 1)
    # After the last promise ends, it stays what views show.
    assert current_stored(store, dt.date(2027, 2, 1)).label == "2026"


def test_without_data_in_the_new_year_and_no_older_promise_the_new_one_shows(tmp_path):
    store = GeoPackageStore.create(tmp_path / "tom.gpkg", config=load_config(today=dt.date(2026, 3, 1)))
    assert current_stored(store, dt.date(2026, 1, 1)).label == "2026"
    assert current_stored(store, dt.date(2025, 6, 1)).label == "2026"  # only a later one: it shows
