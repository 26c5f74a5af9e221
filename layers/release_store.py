"""Releases kept in the data file: tables, the schedule (build when due), and reading back.

Tables (schema version 2): `release_runs` (one row per built release: role, version, when,
the settings it was built with, the last closed period it considered, a summary),
`release_blocks` and `release_counts` (the published blocks and units, `layers.release`).
A release is never changed once stored; a revision is a new version. Since schema version 3
every table has an INTEGER PRIMARY KEY, as GeoPackage attribute tables must (Req 119); the
natural keys (version, block) and (version, block, layer, kind, unit) are UNIQUE beside it.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading

import numpy as np
import pandas as pd

from . import privacy
from .datafile import connect, reading, transaction
from .release import COUNT_COLUMNS, Block, Release, build_release, is_due, period_start, release_rows

RUNS, BLOCKS, COUNTS = "release_runs", "release_blocks", "release_counts"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {RUNS} (
  version INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, built_at TEXT NOT NULL,
  period TEXT NOT NULL, through INTEGER NOT NULL, settings TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {BLOCKS} (
  id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL, block INTEGER NOT NULL,
  first_period INTEGER NOT NULL, last_period INTEGER NOT NULL, start TEXT NOT NULL, "end" TEXT NOT NULL,
  UNIQUE (version, block));
CREATE TABLE IF NOT EXISTS {COUNTS} (
  id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL, block INTEGER NOT NULL, layer TEXT NOT NULL,
  kind TEXT NOT NULL, unit TEXT NOT NULL, count INTEGER NOT NULL, UNIQUE (version, block, layer, kind, unit));
"""

_build_lock = threading.Lock()


def reduced_roles(settings: privacy.PrivacySettings, layers) -> list[str]:
    """Roles that see some layer as cells: the roles that read releases."""
    return [role for role in privacy.ROLES
            if any(m == privacy.CELLS for m in privacy.policy(role, settings, layers).layers.values())]


def load_release(path, role: str, version: int | None = None) -> Release | None:
    """The newest stored release of a role (or a given version); None when there is none."""
    with reading(path) as conn:
        if version is None:
            row = conn.execute(f"SELECT version, role, built_at, period, through, settings, summary FROM {RUNS}"
                               " WHERE role = ? ORDER BY version DESC LIMIT 1", (role,)).fetchone()
        else:
            row = conn.execute(f"SELECT version, role, built_at, period, through, settings, summary FROM {RUNS}"
                               " WHERE role = ? AND version = ?", (role, int(version))).fetchone()
        if row is None:
            return None
        number, role, built_at, kind, through, settings, summary = row
        blocks = conn.execute(f"SELECT block, first_period, last_period FROM {BLOCKS} WHERE version = ?"
                              " ORDER BY block", (number,)).fetchall()
        counts = conn.execute(f"SELECT block, layer, kind, unit, count FROM {COUNTS} WHERE version = ?"
                              " ORDER BY block, layer, kind, unit", (number,)).fetchall()
    settings = json.loads(settings)
    frame = pd.DataFrame(counts, columns=list(COUNT_COLUMNS))
    frame["block"] = frame["block"].astype("int64")
    frame["count"] = frame["count"].astype("int64")
    return Release(role=role, kind=kind, through=int(through), k=int(settings["k"]), cell_m=int(settings["cell_m"]),
                   layers=tuple(settings["layers"]), blocks=tuple(Block(int(f), int(la), kind) for _, f, la in blocks),
                   counts=frame, version=int(number), built_at=built_at, settings=settings,
                   summary=json.loads(summary))


def list_releases(path, role: str | None = None) -> pd.DataFrame:
    """Every stored release: version, role, built_at, period, through, blocks, published total."""
    with reading(path) as conn:
        where, params = ("WHERE r.role = ?", (role,)) if role else ("", ())
        rows = conn.execute(
            f"SELECT r.version, r.role, r.built_at, r.period, r.through,"
            f" (SELECT count(*) FROM {BLOCKS} b WHERE b.version = r.version),"
            f" (SELECT coalesce(sum(count), 0) FROM {COUNTS} c WHERE c.version = r.version)"
            f" FROM {RUNS} r {where} ORDER BY r.version", params).fetchall()
    return pd.DataFrame(rows, columns=["version", "role", "built_at", "period", "through", "blocks", "published"])


def save_release(conn: sqlite3.Connection, release: Release, built_at: str) -> int:
    """Store a release (inside the caller's transaction); returns its version."""
    cur = conn.execute(
        f"INSERT INTO {RUNS} (role, built_at, period, through, settings, summary) VALUES (?, ?, ?, ?, ?, ?)",
        (release.role, built_at, release.kind, int(release.through),
         json.dumps(dict(release.settings), sort_keys=True), json.dumps(dict(release.summary), sort_keys=True)))
    version = int(cur.lastrowid)
    conn.executemany(
        f'INSERT INTO {BLOCKS} (version, block, first_period, last_period, start, "end") VALUES (?, ?, ?, ?, ?, ?)',
        [(version, i, b.first, b.last, b.start.isoformat(), b.end.isoformat()) for i, b in enumerate(release.blocks)])
    counts = release.counts
    conn.executemany(
        f"INSERT INTO {COUNTS} (version, block, layer, kind, unit, count) VALUES (?, ?, ?, ?, ?, ?)",
        list(zip([version] * len(counts), counts["block"].astype(int).tolist(), counts["layer"].astype(str).tolist(),
                 counts["kind"].astype(str).tolist(), counts["unit"].astype(str).tolist(),
                 counts["count"].astype(int).tolist(), strict=True)))
    conn.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
                 " WHERE table_name = ?", (RUNS,))
    return version


def current_release(store, role: str, today: dt.date, reports: pd.DataFrame | None = None,
                    force: bool = False, audit: bool = True) -> Release:
    """The role's release for `today`, built and stored first when the schedule says it is due
    (or `force`: a revision now). `reports` (the store's report table, or the dashboard's
    enriched frame) saves a read. The build and the check whether another process built it
    meanwhile run in one write transaction."""
    settings = store.config.privacy
    pol = privacy.policy(role, settings, store.config.layers)
    kind = settings.period(role)
    current = load_release(store.path, role)
    if current is not None and not force and not is_due(current, pol, today, kind):
        return current
    with _build_lock:
        conn = connect(store.path)
        try:
            with transaction(conn):
                current = load_release(store.path, role)
                if current is not None and not force and not is_due(current, pol, today, kind):
                    return current
                frame = reports if reports is not None else store.read_table("reports")
                rows = release_rows(frame, pol, store.meta.kommun, kind)
                release = build_release(rows, pol, store.meta.kommun, today, kind, previous=current)
                built_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                version = save_release(conn, release, built_at)
        finally:
            conn.close()
    if audit:
        from .audit import AuditLog

        AuditLog(store.path).append("release", role=role, detail={
            "version": version, "role": role, "period": kind,
            "through": (period_start(release.through + 1, kind) - dt.timedelta(days=1)).isoformat(),
            "blocks": len(release.blocks), "revision_of": current.version if current is not None else None,
            "published": release.summary.get("published", {}),
        })
    return load_release(store.path, role, version)


def release_frame(release: Release) -> pd.DataFrame:
    """A release's counts with each block's dates, for the CLI and tests."""
    starts = np.array([b.start.isoformat() for b in release.blocks] or [""], dtype=object)
    ends = np.array([b.end.isoformat() for b in release.blocks] or [""], dtype=object)
    out = release.counts.copy()
    out.insert(1, "start", starts[out["block"].to_numpy()] if len(out) else [])
    out.insert(2, "end", ends[out["block"].to_numpy()] if len(out) else [])
    return out


__all__ = ["SCHEMA", "current_release", "list_releases", "load_release", "reduced_roles", "release_frame",
           "save_release"]
