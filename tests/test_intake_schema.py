"""Schema version 6 (layers.intake_schema): a version 5 file is upgraded after a backup, keeps its
rows, every old report counts as before, and the new file validates as a GeoPackage."""

import shutil
import sqlite3
from contextlib import closing

import pytest

from layers import SCHEMA_VERSION, GeoPackageStore, open_store
from layers.intake_schema import CONTACTS, COUNTED, PHOTOS, REPORT_INTAKE_COLUMNS, WALKS
from tests.helpers import report, reports_frame
from tests.test_gpkg_conformance import validate


@pytest.fixture
def store(tmp_path):
    made = GeoPackageStore.create(tmp_path / "v6.gpkg", kommun="0665")
    made.add_reports(reports_frame([report(i) for i in range(3)]))
    return made


def make_v5(path):
    """The file as schema version 5 wrote it: no intake columns, tables or indexes."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("BEGIN")
        conn.execute("DROP INDEX reports_ref")
        conn.execute("DROP INDEX reports_moderation")
        for column in REPORT_INTAKE_COLUMNS:
            conn.execute(f"ALTER TABLE reports DROP COLUMN {column}")
        for table in (CONTACTS, PHOTOS, WALKS):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (WALKS,))
        conn.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?", (WALKS,))
        conn.execute("UPDATE trygghetskarta_meta SET value = '5' WHERE key = 'schema_version'")
        conn.execute("COMMIT")


def columns(path, table):
    with closing(sqlite3.connect(path)) as conn:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_a_new_file_has_version_6_with_the_walks_route_as_a_line_feature(store):
    assert SCHEMA_VERSION == 6 and store.meta.schema_version == 6
    assert set(REPORT_INTAKE_COLUMNS) <= set(columns(store.path, "reports"))
    with closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = 'walks'"
                            ).fetchone() == ("LINESTRING",)
        # Existing and staff rows have no moderation state: all three count.
        assert conn.execute(f"SELECT count(*) FROM reports WHERE {COUNTED}").fetchone() == (3,)
    assert validate(store.path) == []


def test_a_v5_file_is_upgraded_after_a_backup_and_its_reports_still_count(store, tmp_path, capsys):
    before = store.read_table("reports")
    old = tmp_path / "v5.gpkg"
    shutil.copy(store.path, old)
    make_v5(old)
    assert "moderation" not in columns(old, "reports") and WALKS not in _tables(old)
    upgraded = open_store(old)
    assert upgraded.meta.schema_version == 6
    err = capsys.readouterr().err
    assert "Upgraded" in err and "moderation of residents' and EST reports" in err
    with closing(sqlite3.connect(tmp_path / "v5.gpkg.v5.bak")) as conn:
        assert conn.execute("SELECT value FROM trygghetskarta_meta WHERE key = 'schema_version'").fetchone() == ("5",)
    assert upgraded.read_table("reports").equals(before)
    assert {CONTACTS, PHOTOS, WALKS} <= _tables(old)
    with closing(sqlite3.connect(old)) as conn:
        assert conn.execute(f"SELECT count(*) FROM reports WHERE {COUNTED}").fetchone() == (3,)
        conn.execute("UPDATE reports SET ref = 'A' WHERE id = 't-0'")
        with pytest.raises(sqlite3.IntegrityError):  # a reference names one report
            conn.execute("UPDATE reports SET ref = 'A' WHERE id = 't-1'")
    assert validate(old) == []


def _tables(path):
    with closing(sqlite3.connect(path)) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
