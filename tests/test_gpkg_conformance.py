"""GeoPackage conformance: the data file and every GeoPackage export pass GDAL's validator
(validate_gpkg.py from Debian's python3-gdal, installed by ./dev.sh test), and files of schema
versions 1 and 2 are upgraded to the current one (INTEGER PRIMARY KEYs on every attributes table).

Known limits of bookworm's GDAL 3.6 validator, accepted here and nowhere else:
- Req 75: GDAL >= 3.7 (pyogrio's own GDAL, which writes the exports) replaces the R-tree
  triggers update1 and update3 with update6 and update7; the 3.6 validator still asks for the
  old ones. Accepted only where the new ones are there.
- Req 152 (the empty-geometry flag): 3.6 misreads POINT EMPTY; no file here has one any more
  (no place is a NULL geometry), so it is not accepted.
"""

import datetime as dt
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from layers import SCHEMA_VERSION, GeoPackageStore, open_store
from layers.audit import AuditLog
from layers.release_store import current_release, load_release
from layers.store import has_integer_key
from layers.users import UserStore
from tests.helpers import activity, report, reports_frame

VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")
#: Debian's python3-gdal belongs to the system Python, not the virtual environment.
SYSTEM_PYTHON = "/usr/bin/python3"
ATTRIBUTE_TABLES = ("trygghetskarta_meta", "release_runs", "release_blocks", "release_counts", "promises")


def validate(path: Path) -> list[str]:
    """The validator's complaints (all of them: -k keeps going; --extra checks the content too),
    minus the known GDAL 3.6 limit above."""
    if not VALIDATOR.exists() or not Path(SYSTEM_PYTHON).exists():
        pytest.fail("GDAL's validate_gpkg.py is missing: `apt-get install python3-gdal` (./dev.sh test "
                    "installs it as root)")
    done = subprocess.run([SYSTEM_PYTHON, str(VALIDATOR), "-k", "--extra", str(path)],
                          capture_output=True, text=True, timeout=300, cwd="/")
    assert "Traceback" not in done.stderr, done.stderr
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("Req ")]
    with closing(sqlite3.connect(path)) as conn:
        triggers = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}

    def known(line: str) -> bool:
        found = re.match(r"Req 75: (rtree_\w+)_update[13] trigger missing$", line)
        return bool(found) and {f"{found[1]}_update6", f"{found[1]}_update7"} <= triggers

    return [line for line in complaints if not known(line)]


@pytest.fixture
def used(tmp_path):
    """A data file after some use: reports, activities (one without a place), a status change,
    users, audit entries, a release per reduced role."""
    store = GeoPackageStore.create(tmp_path / "used.gpkg")
    store.add_reports(reports_frame([report(i, when=f"2026-0{1 + i % 5}-0{1 + i % 9}T18:30:00+01:00")
                                     for i in range(30)]))
    import geopandas as gpd

    store.add_activities(gpd.GeoDataFrame([activity(1), activity(2, at=None, kind="EST-möte", actor="gemensam")],
                                          geometry="geometry", crs="EPSG:3006"))
    store.update_report_status("t-1", "bekräftad")
    from argon2 import PasswordHasher

    UserStore(store, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)).add("anna", "polis", "x" * 12)
    AuditLog(store).append("login", user="anna")
    for role in ("bra", "allmanhet"):
        current_release(store, role, dt.date(2026, 8, 1))
    return store


def test_a_new_data_file_passes_the_validator(tmp_path):
    assert validate(GeoPackageStore.create(tmp_path / "new.gpkg").path) == []


def test_a_used_data_file_passes_the_validator(used):
    assert validate(used.path) == []
    with closing(sqlite3.connect(used.path)) as conn:
        for table in ATTRIBUTE_TABLES:
            assert has_integer_key(conn, table), table
        registered = {row[0] for row in conn.execute("SELECT table_name FROM gpkg_contents")}
    # Users and the audit log are no data layers: not registered, so GDAL and QGIS do not list them.
    assert {"users", "audit_log"}.isdisjoint(registered)
    import pyogrio

    assert {"users", "audit_log"}.isdisjoint(pyogrio.list_layers(used.path)[:, 0])


@pytest.mark.parametrize("role", ["polis", "bra", "allmanhet"])
def test_every_geopackage_export_passes_the_validator(used, tmp_path, role):
    import geopandas as gpd

    from dashboard.export import export

    out = tmp_path / f"export-{role}.gpkg"
    export(used, out, "gpkg", role=role, today=dt.date(2026, 8, 1))
    assert validate(out) == []
    # An activity without a place is a NULL geometry (the validator took POINT EMPTY for an error).
    activities = gpd.read_file(out, layer="activities")
    assert activities.geometry.isna().sum() >= 1 and not activities.geometry.is_empty.any()


# -- upgrades from schema versions 1 and 2 -------------------------------------------------------

#: The tables as schema version 2 made them (composite and TEXT primary keys).
V2_TABLES = {
    "trygghetskarta_meta": "CREATE TABLE trygghetskarta_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "release_blocks": (
        "CREATE TABLE release_blocks (version INTEGER NOT NULL, block INTEGER NOT NULL, first_period INTEGER NOT NULL,"
        ' last_period INTEGER NOT NULL, start TEXT NOT NULL, "end" TEXT NOT NULL, PRIMARY KEY (version, block))'),
    "release_counts": (
        "CREATE TABLE release_counts (version INTEGER NOT NULL, block INTEGER NOT NULL, layer TEXT NOT NULL,"
        " kind TEXT NOT NULL, unit TEXT NOT NULL, count INTEGER NOT NULL,"
        " PRIMARY KEY (version, block, layer, kind, unit))"),
}


def make_old(source: Path, target: Path, version: int) -> Path:
    """A file as schema version 1 or 2 wrote it, with the rows of `source`, in the rollback journal."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    with closing(sqlite3.connect(target, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("BEGIN")
        for table, create in V2_TABLES.items():
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")') if row[1] != "id"]
            names = ", ".join(f'"{c}"' for c in columns)
            conn.execute(f"ALTER TABLE {table} RENAME TO {table}_new")
            conn.execute(create)
            conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {table}_new")
            conn.execute(f"DROP TABLE {table}_new")
        if version == 1:
            for table in ("release_runs", "release_blocks", "release_counts"):
                conn.execute(f"DROP TABLE {table}")
                conn.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
            conn.execute("DELETE FROM trygghetskarta_meta WHERE key IN ('privacy', 'order_secret')")
        conn.execute("UPDATE trygghetskarta_meta SET value = ? WHERE key = 'schema_version'", (str(version),))
        conn.execute("COMMIT")
    return target


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_file_is_upgraded_to_version_3_after_a_backup(used, tmp_path, version, capsys):
    old = make_old(used.path, tmp_path / f"v{version}.gpkg", version)
    with closing(sqlite3.connect(old)) as conn:
        assert not has_integer_key(conn, "trygghetskarta_meta")
    upgraded = open_store(old)
    assert upgraded.meta.schema_version == SCHEMA_VERSION
    assert "Upgraded" in capsys.readouterr().err
    backup = tmp_path / f"v{version}.gpkg.v{version}.bak"
    with closing(sqlite3.connect(backup)) as conn:
        assert conn.execute("SELECT value FROM trygghetskarta_meta WHERE key = 'schema_version'").fetchone() == (
            str(version),)
        assert not has_integer_key(conn, "trygghetskarta_meta")
    assert validate(old) == []
    with closing(sqlite3.connect(old)) as conn:
        for table in ATTRIBUTE_TABLES:
            assert has_integer_key(conn, table), table
        # The old keys are still unique.
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO trygghetskarta_meta (key, value) VALUES ('kommun', '0680')")
        if version == 2:
            with pytest.raises(sqlite3.IntegrityError):
                conn.execute("INSERT INTO release_blocks (version, block, first_period, last_period, start, \"end\")"
                             " SELECT version, block, first_period, last_period, start, \"end\" FROM release_blocks")
    assert upgraded.counts() == used.counts()
    assert upgraded.read_table("reports").equals(used.read_table("reports"))
    assert upgraded.meta.kommun == used.meta.kommun
    if version == 2:  # the releases and privacy settings came along
        assert upgraded.order_secret == used.order_secret
        for role in ("bra", "allmanhet"):
            before, after = load_release(used.path, role), load_release(old, role)
            assert after.counts.equals(before.counts) and after.blocks == before.blocks
    else:
        assert len(upgraded.order_secret) == 16 and load_release(old, "bra") is None
        assert current_release(upgraded, "bra", dt.date(2026, 8, 1)).total() == \
            load_release(used.path, "bra").total()
    upgraded.set_meta("note", "kept")  # the new metadata table takes changes
    assert open_store(old)._rows["note"] == "kept"
    assert not list(tmp_path.glob(f"v{version}.gpkg.v{version}.2.bak"))  # upgraded once


def test_an_upgrade_raced_by_another_process_happens_once(used, tmp_path):
    old = make_old(used.path, tmp_path / "v2.gpkg", 2)
    shutil.copy(old, tmp_path / "twin.gpkg")
    first = open_store(old)
    from layers.store import migrate

    migrate(old, 2)  # a second process that read version 2 before the first upgraded it
    assert open_store(old).meta.schema_version == SCHEMA_VERSION == first.meta.schema_version
    assert not (tmp_path / "v2.gpkg.v2.2.bak").exists()
