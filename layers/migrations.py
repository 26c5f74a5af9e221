"""Schema migrations of the data file: each step from the version before it (`UPGRADES`), run
in one transaction after a backup copy; a new file is made with every step applied."""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import sys
from pathlib import Path

from . import datafile
from .config import PromiseConfig
from .datafile import StoreError, writing
from .gpkg import register_attributes
from .schema import SCHEMA_VERSION

#: The optional activity column naming the commitment it counts for (schema version 5).
COMMITMENT_COLUMN = "commitment"
META_TABLE = "trygghetskarta_meta"
#: GeoPackage attribute tables need an INTEGER PRIMARY KEY (Req 119): the key is UNIQUE beside it.
META_SCHEMA = (f"CREATE TABLE IF NOT EXISTS {META_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT,"
               " key TEXT NOT NULL UNIQUE, value TEXT NOT NULL)")
#: Add or change one metadata value (the key is UNIQUE, the id stays).
META_UPSERT = (f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?)"
               " ON CONFLICT (key) DO UPDATE SET value = excluded.value")


def _add_v2(conn: sqlite3.Connection, settings) -> None:
    """Version 2: privacy settings and an order secret in the meta table, the release tables."""
    from .privacy import PrivacySettings
    from .release_store import BLOCKS, COUNTS, RUNS, SCHEMA

    settings = settings or PrivacySettings()
    # Statement by statement: executescript would commit the caller's transaction.
    for statement in filter(str.strip, SCHEMA.split(";")):
        conn.execute(statement)
    for table in (RUNS, BLOCKS, COUNTS):
        if conn.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?", (table,)).fetchone() is None:
            register_attributes(conn, table)
    conn.executemany(META_UPSERT, [
        ("privacy", json.dumps(settings.to_mapping(), sort_keys=True)),
        # 16 characters: the key length of pandas' SipHash (privacy.order_key).
        ("order_secret", secrets.token_urlsafe(12)[:16]),
        ("schema_version", "2"),
    ])


def has_integer_key(conn: sqlite3.Connection, table: str) -> bool:
    """Whether a table's primary key is one INTEGER column (what GeoPackage attribute tables need)."""
    keys = [row[2].upper() for row in conn.execute(f'PRAGMA table_info("{table}")') if row[5]]
    return keys == ["INTEGER"]


def _rebuild(conn: sqlite3.Connection, table: str, create: str) -> None:
    """Re-create `table` from its new CREATE statement, keeping every row (and the columns both share)."""
    old = f"{table}_old"
    columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
    conn.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    conn.execute(create)
    names = ", ".join(f'"{c}"' for c in columns)
    conn.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{old}"')
    conn.execute(f'DROP TABLE "{old}"')


def _add_v3(conn: sqlite3.Connection) -> None:
    """Version 3: every table registered as GeoPackage attributes (the metadata and release tables)
    has an INTEGER PRIMARY KEY (GeoPackage Req 119), its former key UNIQUE beside it. Tables that
    already have one (a file made by version 2's upgrade with today's release schema) stay."""
    from .release_store import BLOCKS, COUNTS, SCHEMA

    creates = {META_TABLE: META_SCHEMA, **_creates(SCHEMA)}
    for table in (META_TABLE, BLOCKS, COUNTS):
        if not has_integer_key(conn, table):
            _rebuild(conn, table, creates[table])
    conn.execute(META_UPSERT, ("schema_version", "3"))


def _add_v4(conn: sqlite3.Connection) -> None:
    """Version 4: what every process serving the file shares (layers.server_state): sessions, the
    failed-login counters, the sensitive views already audited, and a secret key for cookies in the
    metadata table (kept if there is one)."""
    from .server_state import add_tables

    add_tables(conn)
    conn.execute(META_UPSERT, ("schema_version", "4"))


def _add_v5(conn: sqlite3.Connection, config: PromiseConfig | None, by: str = "(upgrade)") -> None:
    """Version 5: the promises, one per period (layers.promises), holding the promise the config
    in use says (the built-in one when none is given), and an optional `commitment` column on
    activities (NULL for existing rows: they count by kind, actor, place and time)."""
    from .promises import add_table, store_config

    add_table(conn)
    if COMMITMENT_COLUMN not in [row[1] for row in conn.execute("PRAGMA table_info(activities)")]:
        conn.execute(f"ALTER TABLE activities ADD COLUMN {COMMITMENT_COLUMN} TEXT")
    store_config(conn, config, by=by)
    conn.execute(META_UPSERT, ("schema_version", "5"))


def _add_v6(conn: sqlite3.Connection) -> None:
    """Version 6: reports from residents, EST reporters and safety walks (layers.intake_schema):
    moderation columns on reports (NULL for existing rows: they count as before), contacts kept
    apart, photos and walks."""
    from .intake_schema import add_tables

    row = conn.execute("SELECT srs_id, min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'reports'"
                       ).fetchone()
    add_tables(conn, row[0], row[1:])
    conn.execute(META_UPSERT, ("schema_version", "6"))


def _creates(schema: str) -> dict[str, str]:
    """The CREATE TABLE statements of a schema text, by table name."""
    statements = [s.strip() for s in schema.split(";") if s.strip()]
    return {re.match(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", s)[1]: s for s in statements
            if s.upper().startswith("CREATE TABLE")}


#: Each upgrade step from the version before it: (what it adds, the step).
UPGRADES = {
    2: ("privacy settings and releases", lambda conn, config: _add_v2(
        conn, config.privacy if config is not None and config.privacy_given else None)),
    3: ("GeoPackage-conformant keys on the metadata and release tables", lambda conn, config: _add_v3(conn)),
    4: ("sessions, login backoff and the cookie key shared by every server process", lambda conn, config: _add_v4(conn)),
    5: ("the promise stored in the data file, one per period, and activities' optional commitment",
        lambda conn, config: _add_v5(conn, config)),
    6: ("moderation of residents' and EST reports, contacts kept apart, photos and safety walks",
        lambda conn, config: _add_v6(conn)),
}


def _file_version(conn: sqlite3.Connection) -> int:
    row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row is not None else 0


def migrate(path: Path, version: int, config: PromiseConfig | None = None) -> Path:
    """Upgrade a data file of an older schema version in place, step by step to SCHEMA_VERSION
    in one transaction, after a backup copy beside it (`FILE.vN.bak`); returns the backup's
    path. A file that cannot be written says so; a file upgraded meanwhile by another process
    is left as it is."""
    if version < 1:
        raise StoreError(f"{path} has no schema version; it is not a Trygghetskarta data file")
    backup = path.with_name(f"{path.name}.v{version}.bak")
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.v{version}.{n}.bak")
    done: list[str] = []
    try:
        # The backup API, not a file copy: with WAL the newest rows may not be in the file yet.
        datafile.copy(path, backup)
        with writing(path) as conn:
            for step in range(_file_version(conn) + 1, SCHEMA_VERSION + 1):
                what, upgrade = UPGRADES[step]
                upgrade(conn, config)
                done.append(what)
    except (OSError, sqlite3.Error, StoreError) as exc:
        raise StoreError(f"{path} has schema version {version} and must be upgraded to {SCHEMA_VERSION}, "
                         f"but cannot be written: {exc}") from None
    if not done:  # another process upgraded it meanwhile
        backup.unlink(missing_ok=True)
        return backup
    print(f"Upgraded {path} to schema version {SCHEMA_VERSION} ({'; '.join(done)}); "
          f"the old file is kept as {backup}", file=sys.stderr)
    return backup
