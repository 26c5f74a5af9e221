"""The promises kept in the data file (schema version 5): one medborgarlöfte per period, stored as
the TOML text it was imported from, and which of them a view shows (`current_promise`).

Why in the data file: a promise belongs to a year and BRÅ follows it up after the year ends. An
outside TOML file whose period defaults to "this year" empties the screen on 1 January, and
editing it rewrites last year's promise. So `trygghetskarta promise import` stores each period's
promise here (the text exactly as imported, comments included: it is what `promise export`
gives back), and every command reads it from here.

The table `promises` (a GeoPackage attribute table, INTEGER PRIMARY KEY) has one row per period:
period_start, period_end (ISO dates, inclusive), source (the TOML text), source_name (the file
name it came from), area_files (JSON: the GeoJSON files that `area = "…"` entries name, by the
relative path written in the TOML, so the stored promise does not depend on files beside it),
imported_at and imported_by. Periods never overlap: importing a promise for the same period
replaces it, one that overlaps another period is refused.

Which promise a view shows (`current_stored`), for a date `today` and a role:

1. the promise whose period holds `today`, if it *has data* for the role (`has_data`);
2. else the newest promise that ended before `today` (in January last year's promise stays
   what the follow-up shows until the new one has data);
3. else the promise whose period holds `today` (nothing older), else the earliest one;
4. no promise stored at all: the built-in Vaggeryd promise for the current year.

A promise *has data* for a role when, between its first day and `today` (both inclusive, local
dates), at least one activity is planned, or at least one report the role reads: a report of a
layer the role sees as points, or a published release block of the role's cells-mode layers
that starts on or after the promise's first day and has ended by `today`. Without a role (the
choice the server, its /uppfoljning page and `follow-up` without --period share) only
activities count: whether the open period holds any report is not for every role to learn.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import tempfile
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .config import ConfigError, PromiseConfig, load_config, loads_config
from .datafile import StoreError, reading, writing
from .gpkg import register_attributes
from .intake_schema import COUNTED

TABLE = "promises"
SCHEMA = (f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT,"
          " period_start TEXT NOT NULL, period_end TEXT NOT NULL, source TEXT NOT NULL,"
          " source_name TEXT NOT NULL, area_files TEXT NOT NULL DEFAULT '{}', imported_at TEXT NOT NULL,"
          " imported_by TEXT NOT NULL, UNIQUE (period_start, period_end))")
BUILT_IN_SOURCE = "built-in (Vaggeryd)"
BUILT_IN_NAME = "focus_areas.toml (built-in Vaggeryd promise)"
_COLUMNS = "id, period_start, period_end, source, source_name, area_files, imported_at, imported_by"


@dataclass(frozen=True)
class StoredPromise:
    """One row of the promises table."""

    id: int
    start: dt.date
    end: dt.date
    text: str
    name: str
    area_files: dict
    imported_at: str
    imported_by: str

    @property
    def label(self) -> str:
        """The period as people say it: "2026" for a calendar year, else "2026-01-01 – 2026-06-30"."""
        return period_label(self.start, self.end)

    def config(self) -> PromiseConfig:
        """The promise as a PromiseConfig for its own period (its [privacy], if any, is ignored:
        the data file's settings rule every command)."""
        return _parse_stored(self.text, self.name, self.start.isoformat(), self.end.isoformat(),
                             json.dumps(self.area_files, sort_keys=True))


def period_label(start: dt.date, end: dt.date) -> str:
    if start.month == 1 and start.day == 1 and end == dt.date(start.year, 12, 31):
        return str(start.year)
    return f"{start.isoformat()} – {end.isoformat()}"


# -- the table -------------------------------------------------------------------------------

def add_table(conn: sqlite3.Connection) -> None:
    """Create the promises table, registered as GeoPackage attributes (schema version 5's step)."""
    conn.execute(SCHEMA)
    if conn.execute("SELECT 1 FROM gpkg_contents WHERE table_name = ?", (TABLE,)).fetchone() is None:
        register_attributes(conn, TABLE)


def _row(values) -> StoredPromise:
    ident, start, end, text, name, files, imported_at, by = values
    return StoredPromise(int(ident), dt.date.fromisoformat(start), dt.date.fromisoformat(end), text, name,
                         json.loads(files or "{}"), imported_at, by)


def list_promises(path) -> list[StoredPromise]:
    """Every stored promise, oldest period first (empty for a file without the table)."""
    path = Path(getattr(path, "path", path))
    with reading(path) as conn:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone() is None:
            return []
        rows = conn.execute(f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY period_start").fetchall()
    return [_row(r) for r in rows]


def promises(store) -> list[StoredPromise]:
    """The store's promises, oldest period first."""
    return list_promises(store.path)


def insert_promise(conn: sqlite3.Connection, text: str, name: str, start: dt.date, end: dt.date,
                   by: str, area_files: dict | None = None) -> tuple[int, bool]:
    """Store or replace the promise of period [start, end] inside the caller's transaction;
    returns (its id, whether it replaced one). A period overlapping another is a StoreError."""
    same = conn.execute(f"SELECT id FROM {TABLE} WHERE period_start = ? AND period_end = ?",
                        (start.isoformat(), end.isoformat())).fetchone()
    clash = conn.execute(f"SELECT period_start, period_end FROM {TABLE} WHERE period_start <= ? AND period_end >= ?"
                         " AND NOT (period_start = ? AND period_end = ?)",
                         (end.isoformat(), start.isoformat(), start.isoformat(), end.isoformat())).fetchone()
    if clash is not None:
        other = period_label(dt.date.fromisoformat(clash[0]), dt.date.fromisoformat(clash[1]))
        raise StoreError(f"the promise period {period_label(start, end)} overlaps the stored promise {other}; "
                         "a data file holds one promise per period. Import it for the same period to replace "
                         "it, or change [promise] start/end so the periods do not overlap.")
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    files = json.dumps(area_files or {}, ensure_ascii=False, sort_keys=True)
    if same is not None:
        conn.execute(f"UPDATE {TABLE} SET source = ?, source_name = ?, area_files = ?, imported_at = ?,"
                     " imported_by = ? WHERE id = ?", (text, name, files, now, by, same[0]))
        ident, replaced = int(same[0]), True
    else:
        cur = conn.execute(f"INSERT INTO {TABLE} (period_start, period_end, source, source_name, area_files,"
                           " imported_at, imported_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (start.isoformat(), end.isoformat(), text, name, files, now, by))
        ident, replaced = int(cur.lastrowid), False
    conn.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
                 " WHERE table_name = ?", (TABLE,))
    return ident, replaced


# -- reading a promise file --------------------------------------------------------------------

@dataclass(frozen=True)
class PromiseFile:
    """A promise TOML read for storing: its exact text, the parsed config and its area files."""

    text: str
    name: str
    config: PromiseConfig
    area_files: dict
    #: Whether [promise] gave start/end (else the period is a calendar year: see `read_promise_file`).
    dated: bool


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None


def _toml(text: str) -> str:
    """The text tomllib reads: without a byte-order mark (Windows editors write one)."""
    return text[1:] if text.startswith("\ufeff") else text


def parse_promise_text(text: str, source: str, base_dir: Path | None = None, year: int | None = None,
                       today: dt.date | None = None) -> PromiseFile:
    """Validate promise TOML text (the messages `--config` gives: file, entry, field). A text
    without [promise] start/end is the promise of calendar year `year` (default: this year)."""
    try:
        data = tomllib.loads(_toml(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    head = data.get("promise", {}) if isinstance(data.get("promise", {}), dict) else {}
    dated = "start" in head or "end" in head
    today = today or dt.date.today()
    if year is not None:
        if not 1900 <= year <= 2200:
            raise ConfigError(f"--period {year} is not a plausible year")
        today = dt.date(year, 1, 1)
    areas = _area_paths(data)
    files = {}
    for rel in areas:
        path = Path(rel)
        if path.is_absolute():
            raise ConfigError(f"{source}: area = {rel!r} is an absolute path; write it relative to the TOML file "
                              "(or inline the GeoJSON) so the promise can be stored in the data file")
        full = (base_dir or Path.cwd()) / path
        # A missing file: the config's own check below names the file and the entry.
        with contextlib.suppress(OSError):
            files[rel] = _decode(full.read_bytes(), str(full))
    config = loads_config(_toml(text), source, today, base_dir)
    if year is not None and dated and (config.period_start.year != year or config.period_end.year != year):
        raise ConfigError(f"{source}: [promise] says {period_label(config.period_start, config.period_end)}, "
                          f"not --period {year}; leave --period out (the file's dates are used)")
    return PromiseFile(text, source, config, files, dated)


def read_promise_file(path, year: int | None = None, today: dt.date | None = None) -> PromiseFile:
    """Read and validate a promise TOML file, keeping its bytes' text exactly (line ends too)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read promise file {path}: {exc.strerror}") from None
    return parse_promise_text(_decode(raw, str(path)), str(path), path.parent, year, today)


def _area_paths(data: dict) -> list[str]:
    entries = data.get("commitment")
    if not isinstance(entries, list):
        return []
    return [e["area"] for e in entries if isinstance(e, dict) and isinstance(e.get("area"), str)]


@lru_cache(maxsize=32)
def _parse_stored(text: str, name: str, start: str, end: str, files: str) -> PromiseConfig:
    """A stored promise parsed for its period (cached: every open of the file reads it)."""
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    source = f"{name} (stored promise {period_label(first, last)})"
    area_files = json.loads(files)
    if area_files:
        # The area files as stored, laid out as beside the TOML: the parser reads them by path.
        with tempfile.TemporaryDirectory(prefix="trygghetskarta-promise-") as folder:
            for rel, content in area_files.items():
                target = Path(folder) / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content, encoding="utf-8")
            config = loads_config(_toml(text), source, first, Path(folder))
    else:
        config = loads_config(_toml(text), source, first, None)
    # The stored period wins over "the current calendar year" (a text without start/end).
    return replace(config, period_start=first, period_end=last, privacy_given=False)


def source_text(config: PromiseConfig | None) -> PromiseFile:
    """The TOML behind a config, for storing it in a new or upgraded data file: the built-in
    promise's packaged text, or the file a `--config` config was read from."""
    if config is None or config.source == BUILT_IN_SOURCE:
        text = resources.files("layers").joinpath("focus_areas.toml").read_bytes().decode("utf-8")
        config = config or load_config()
        return PromiseFile(text, BUILT_IN_NAME, config, {}, False)
    path = Path(config.source)
    if not path.is_file():
        raise ConfigError(f"{config.source}: the promise's TOML file is needed to store it in the data file")
    text = _decode(path.read_bytes(), str(path))
    found = parse_promise_text(text, str(path), path.parent, today=config.period_start)
    return replace(found, config=config)


def store_config(conn: sqlite3.Connection, config: PromiseConfig | None, by: str) -> None:
    """Store the promise a config came from, for its period (a new file, an upgraded one),
    unless a promise for an overlapping period is there already. A config made from text
    alone (tests, other tools) has no file to store: the file then holds no promise for it."""
    try:
        found = source_text(config)
    except ConfigError:
        return
    cfg = found.config
    overlap = conn.execute(f"SELECT 1 FROM {TABLE} WHERE period_start <= ? AND period_end >= ?",
                           (cfg.period_end.isoformat(), cfg.period_start.isoformat())).fetchone()
    if overlap is None:
        insert_promise(conn, found.text, Path(found.name).name, cfg.period_start, cfg.period_end, by,
                       found.area_files)


def import_promise(store, found: PromiseFile, by: str = "(cli)") -> tuple[StoredPromise, bool]:
    """Store `found` for its period (replacing that period's promise), with an audit entry
    `promise_import`; returns the stored promise and whether it replaced one."""
    from .audit import AuditLog

    settings = store.privacy_settings()
    if found.config.privacy_given and found.config.privacy != settings:
        raise ConfigError(f"{found.name} sets [privacy] that differs from the data file's settings; the data "
                          f"file's settings apply to every command. Change them with `trygghetskarta privacy set "
                          f"--data {store.path} …`, or remove [privacy] from the promise file.")
    cfg = found.config
    with writing(store.path) as conn:
        old = conn.execute(f"SELECT imported_at, imported_by, source_name FROM {TABLE} WHERE period_start = ? "
                           "AND period_end = ?", (cfg.period_start.isoformat(), cfg.period_end.isoformat())
                           ).fetchone()
        ident, replaced = insert_promise(conn, found.text, Path(found.name).name, cfg.period_start,
                                         cfg.period_end, by, found.area_files)
    detail = {"period": period_label(cfg.period_start, cfg.period_end), "file": Path(found.name).name,
              "action": "replaced" if replaced else "new", "focus_areas": len(cfg.focus_areas),
              "commitments": len(cfg.commitments)}
    if old is not None:
        detail["replaced"] = {"imported_at": old[0], "imported_by": old[1], "file": old[2]}
    AuditLog(store.path).append("promise_import", user=by, detail=detail)
    stored = next(p for p in list_promises(store.path) if p.id == ident)
    return stored, replaced


# -- which promise a view shows -----------------------------------------------------------------

def find_promise(path, period: int | dt.date | None, today: dt.date | None = None,
                 role: str | None = None) -> StoredPromise:
    """The stored promise of `period` (a year: the promise whose period holds that year's days —
    one only; a date: the promise holding it); None: the current one. StoreError when none fits."""
    stored = list_promises(path)
    if not stored:
        raise StoreError(f"{Path(getattr(path, 'path', path))} holds no promise; store one with "
                         "`trygghetskarta promise import FILE.toml --data …`")
    known = ", ".join(p.label for p in stored)
    if period is None:
        found = current_stored(path, today or dt.date.today(), role)
        return found
    if isinstance(period, int):
        hits = [p for p in stored if p.start.year <= period <= p.end.year]
        if len(hits) > 1:
            raise StoreError(f"several promises fall in {period}: {', '.join(p.label for p in hits)}; "
                             "name one by a date in it, e.g. --period " + hits[0].start.isoformat())
    else:
        hits = [p for p in stored if p.start <= period <= p.end]
    if not hits:
        raise StoreError(f"no promise for {period}; stored promises: {known}")
    return hits[0]


def current_stored(store_or_path, today: dt.date, role: str | None = None) -> StoredPromise | None:
    """The promise a view shows on `today` (rules in the module docstring); None: none stored."""
    stored = list_promises(store_or_path)
    if not stored:
        return None
    now = [p for p in stored if p.start <= today <= p.end]
    if now and has_data(store_or_path, now[0], today, role):
        return now[0]
    past = [p for p in stored if p.end < today]
    if past:
        return past[-1]
    return now[0] if now else stored[0]


def current_promise(store, today: dt.date | None = None, role: str | None = None) -> PromiseConfig:
    """The PromiseConfig a view shows on `today` for `role` (None: a role that sees everything)."""
    found = current_stored(store, today or dt.date.today(), role)
    return found.config() if found is not None else load_config(today=today)


def has_data(store_or_path, promise: StoredPromise, today: dt.date, role: str | None = None) -> bool:
    """Whether anything the role reads is dated in [promise.start, today] (module docstring)."""
    path = Path(getattr(store_or_path, "path", store_or_path))
    # Text dates of local ISO times: a day's margin either side is the only approximation.
    first, last = promise.start.isoformat(), min(today, promise.end).isoformat()
    if last < first:
        return False
    with reading(path) as conn:
        if conn.execute("SELECT 1 FROM activities WHERE substr(planned_at, 1, 10) BETWEEN ? AND ? LIMIT 1",
                        (first, last)).fetchone():
            return True
        layers = _point_layers(store_or_path, promise, role)
        if layers:
            marks = ", ".join("?" * len(layers))
            # Only counted reports: a pending one from the residents' form is in no view yet.
            if conn.execute(f"SELECT 1 FROM reports WHERE layer IN ({marks}) AND {COUNTED} AND "
                            "substr(occurred_at, 1, 10) BETWEEN ? AND ? LIMIT 1", (*layers, first, last)).fetchone():
                return True
    if role is None:
        return False
    from .release_store import load_release

    release = load_release(path, role)
    return release is not None and any(
        b.start >= promise.start and b.end <= today + dt.timedelta(days=1) and
        bool((release.counts["block"] == i).any()) for i, b in enumerate(release.blocks))


def _point_layers(store_or_path, promise: StoredPromise, role: str | None) -> list[str]:
    from .config import REPORT_LAYERS
    from .privacy import POINTS, PrivacySettings, policy

    if role is None:
        # The choice every role shares (the server's, /uppfoljning's): reports of the open
        # period are not something every role may know of, not even that one exists.
        return []
    settings = store_or_path.privacy_settings() if hasattr(store_or_path, "privacy_settings") else PrivacySettings()
    pol = policy(role, settings)
    return [lid for lid in REPORT_LAYERS if pol.mode(lid) == POINTS]


__all__ = [
    "PromiseFile", "StoredPromise", "TABLE", "add_table", "current_promise", "current_stored", "find_promise",
    "has_data", "import_promise", "insert_promise", "list_promises", "parse_promise_text", "period_label",
    "promises", "read_promise_file", "source_text", "store_config",
]
