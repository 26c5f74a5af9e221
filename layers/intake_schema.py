"""Schema version 6: reports that arrive from outside the staff's own entry (the residents'
form, EST reporters, safety walks) — their moderation state on `reports`, the reporter's
contact kept apart, photos, and the walks themselves.

On `reports` (all NULL for every row that existed before and for imports and staff entries,
which are counted as before):

* `moderation`: `väntar` / `godkänd` / `avvisad` (MODERATION_STATES) — its own state, not the
  report's `status`. Only NULL or `godkänd` rows count anywhere a role sees numbers.
* `ref`: the public reference a resident gets (unique where set), for `/rapportera/status/REF`.
* `public_reply`: the municipality's reply shown on the status page.
* `moderation_note`: why a report was rejected (shown to moderators, not the public).
* `duplicate_of`: the report id a duplicate was merged into.
* `reporter`: the user name of the EST reporter (rapportör) who logged it.
* `walk_id`: the safety walk (`walks.walk_id`) a point was marked on.

Tables (INTEGER PRIMARY KEYs as GeoPackage attribute tables need; not registered in
gpkg_contents, like users and the audit log, except `walks`, whose route is a feature):

* `report_contacts`: an optional email per report, read by admin only, deleted when the case
  closes — apart from `reports` so no report read can carry it.
* `report_photos`: a photo per row as a blob (size-limited by the caller, EXIF stripped).
* `walks`: a trygghetsvandring: date, title, route (LINESTRING, SWEREF 99 TM), participant counts
  by group as JSON (never names), and the earlier walk it repeats.
"""

from __future__ import annotations

import sqlite3

from .gpkg import register_features

REPORT_INTAKE_COLUMNS = ("moderation", "ref", "public_reply", "moderation_note", "duplicate_of", "reporter",
                         "walk_id")
MODERATION_STATES = ("väntar", "godkänd", "avvisad")
#: The SQL condition of a report any role may count (staff entries, imports and approved ones).
COUNTED = "(moderation IS NULL OR moderation = 'godkänd')"

CONTACTS = "report_contacts"
PHOTOS = "report_photos"
WALKS = "walks"

SCHEMA_STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS reports_ref ON reports (ref) WHERE ref IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS reports_moderation ON reports (moderation) WHERE moderation IS NOT NULL",
    f"""CREATE TABLE IF NOT EXISTS {CONTACTS} (
  id INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
  created_at TEXT NOT NULL)""",
    f"""CREATE TABLE IF NOT EXISTS {PHOTOS} (
  id INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL, mime TEXT NOT NULL, bytes INTEGER NOT NULL,
  data BLOB NOT NULL, created_at TEXT NOT NULL)""",
    f"CREATE INDEX IF NOT EXISTS {PHOTOS}_report ON {PHOTOS} (report_id)",
    f"""CREATE TABLE IF NOT EXISTS {WALKS} (
  fid INTEGER PRIMARY KEY AUTOINCREMENT, geometry LINESTRING, walk_id TEXT NOT NULL UNIQUE,
  held_on TEXT NOT NULL, title TEXT NOT NULL, participants TEXT NOT NULL DEFAULT '{{}}',
  repeats TEXT, created_at TEXT NOT NULL, created_by TEXT NOT NULL DEFAULT '')""",
)


def add_tables(conn: sqlite3.Connection, srs_id: int, bounds) -> None:
    """Add the intake columns, tables and indexes (kept when present): schema version 6's step."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(reports)")}
    for column in REPORT_INTAKE_COLUMNS:
        if column not in have:
            conn.execute(f"ALTER TABLE reports ADD COLUMN {column} TEXT")
    for statement in SCHEMA_STATEMENTS:
        conn.execute(statement)
    if conn.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?", (WALKS,)).fetchone() is None:
        register_features(conn, WALKS, "geometry", srs_id, bounds, "LINESTRING")
