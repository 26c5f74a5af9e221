"""What every process serving one data file shares (schema version 4): logged-in sessions,
the failed-login counters of the login backoff, the secret key that signs cookies and the id
of the running server.

Why in the data file: `serve --workers N` runs N processes, and a login made in one, a
logout in another and the failed logins spread over all of them must count the same as in
one process; a restart keeps everyone logged in. What is stored:

* `server_sessions`: one row per session, by a SHA-256 hash of its random id (the cookie
  holds the id; the file alone cannot be turned into a cookie): user, role, the user's
  generation at login, the CSRF token, created, last seen and when it expires. Expired rows
  are deleted at every login and at start.
* `server_login_failures`: failure counts and the time of the last failure per hashed key
  (a user name and address, or an address); forgotten after the backoff's `forget_s`.
* `server_seen_views`: which sensitive views a session was already audited for (once per
  session and filter, whichever process showed it).
* In the metadata table: `secret_key` (made once per data file) and `server_instance`, the
  id the newest `serve` made at start (all its worker processes show it to open pages).

Reads are the per-request path: each thread keeps one read-only connection (made by
`datafile.connect` at its first lookup, so in the worker process: never one inherited across a
fork; what runs before the fork, the secret key, reads on a connection closed at once) and
re-opens it every `reopen_s` seconds, so a session lookup costs a few microseconds instead of
a new connection (about a millisecond).
Writes are short transactions (`datafile.writing`) and rare: a login, a logout, a session's
last-seen time at most every few minutes (`dashboard.sessions`), a failed login.

The tables have INTEGER PRIMARY KEYs as GeoPackage attribute tables need, but are not
registered in gpkg_contents: like users and the audit log they are no data layers, so GDAL
and QGIS do not list them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .datafile import StoreError, connect, explain, reading, writing

SESSIONS = "server_sessions"
FAILURES = "server_login_failures"
SEEN = "server_seen_views"
TABLES = (SESSIONS, FAILURES, SEEN)
META_TABLE = "trygghetskarta_meta"
SECRET_KEY = "secret_key"
INSTANCE_KEY = "server_instance"

#: One statement each (run inside the caller's transaction; executescript would commit it).
SCHEMA_STATEMENTS = (
    f"""CREATE TABLE IF NOT EXISTS {SESSIONS} (
  id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, user TEXT NOT NULL, role TEXT NOT NULL,
  generation INTEGER NOT NULL, csrf TEXT NOT NULL, created REAL NOT NULL, last_seen REAL NOT NULL,
  expires REAL NOT NULL)""",
    f"CREATE INDEX IF NOT EXISTS {SESSIONS}_expires ON {SESSIONS} (expires)",
    f"""CREATE TABLE IF NOT EXISTS {FAILURES} (
  id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, count INTEGER NOT NULL, last REAL NOT NULL)""",
    f"CREATE INDEX IF NOT EXISTS {FAILURES}_last ON {FAILURES} (last)",
    f"""CREATE TABLE IF NOT EXISTS {SEEN} (
  id INTEGER PRIMARY KEY AUTOINCREMENT, session TEXT NOT NULL, view TEXT NOT NULL, UNIQUE (session, view))""",
)
_META_UPSERT = (f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
#: A session row as read: the hash is its name in the file.
_SESSION_COLUMNS = "key, user, role, generation, csrf, created, last_seen, expires"


def add_tables(conn: sqlite3.Connection) -> None:
    """Create the tables and the secret key (kept when there is one): schema version 4's step."""
    for statement in SCHEMA_STATEMENTS:
        conn.execute(statement)
    conn.execute(f"INSERT OR IGNORE INTO {META_TABLE} (key, value) VALUES (?, ?)",
                 (SECRET_KEY, secrets.token_urlsafe(48)))


def digest(text: str) -> str:
    """The name under which a session id or a counter key is stored."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class StoredSession:
    key: str  # digest(session id)
    user: str
    role: str
    generation: int
    csrf: str
    created: float
    last_seen: float
    expires: float


class ServerState:
    """The shared server state of one data file (see the module docstring)."""

    #: Updates of the failure counters between two checks of their number (`max_keys`).
    _COUNT_EVERY = 256

    def __init__(self, path: str | os.PathLike, *, reopen_s: float = 60.0, max_keys: int = 100_000):
        self.path = Path(path)
        self.reopen_s = reopen_s
        self.max_keys = max_keys
        self._local = threading.local()
        self._updates = 0

    # -- reading: one kept connection per thread ----------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is not None and (local.pid != os.getpid() or time.monotonic() - local.opened > self.reopen_s):
            if local.pid == os.getpid():
                conn.close()
            # Made before a fork: never used or closed here (its locks belong to the parent).
            conn = None
        if conn is None:
            conn = connect(self.path, readonly=True)
            local.conn, local.pid, local.opened = conn, os.getpid(), time.monotonic()
        return conn

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error:
            self.close()  # e.g. the file was replaced or restored: once more on a fresh connection
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            self.close()
            raise explain(exc, self.path) from None

    def close(self) -> None:
        """Close this thread's read connection (a new one is opened when needed)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None

    # -- the secret key and the server's id -------------------------------------------------
    def secret_key(self) -> bytes:
        """The key that signs this data file's cookies: made once, kept in the metadata table
        (a file written before schema version 4 gets one when it is upgraded)."""
        # A connection of its own, closed at once: this runs before the workers are forked.
        with reading(self.path) as conn:
            rows = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", (SECRET_KEY,)).fetchall()
        if not rows:
            with writing(self.path) as conn:
                conn.execute(f"INSERT OR IGNORE INTO {META_TABLE} (key, value) VALUES (?, ?)",
                             (SECRET_KEY, secrets.token_urlsafe(48)))
                rows = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", (SECRET_KEY,)).fetchall()
        return rows[0][0].encode("ascii")

    def begin_instance(self) -> str:
        """A new id for a server starting on this file (its worker processes all show it, so
        an open page tells a restart from another worker's answer); the local audit marks of
        earlier servers are dropped."""
        instance = secrets.token_urlsafe(12)
        with writing(self.path) as conn:
            conn.execute(_META_UPSERT, (INSTANCE_KEY, instance))
            conn.execute(f"DELETE FROM {SEEN} WHERE session LIKE 'local:%' AND session != ?", (f"local:{instance}",))
        return instance

    def instance(self) -> str | None:
        """The id the newest `serve` on this file recorded (None before any)."""
        with reading(self.path) as conn:
            row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", (INSTANCE_KEY,)).fetchone()
        return row[0] if row else None

    # -- sessions ---------------------------------------------------------------------------
    def create_session(self, *, user: str, role: str, generation: int, now: float, expires: float) -> tuple[
            str, StoredSession]:
        """A new session; returns its id (for the cookie only: the file keeps its hash)."""
        sid = secrets.token_urlsafe(32)
        row = StoredSession(digest(sid), user, role, int(generation), secrets.token_urlsafe(32), now, now, expires)
        with writing(self.path) as conn:
            conn.execute(f"INSERT INTO {SESSIONS} ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (row.key, row.user, row.role, row.generation, row.csrf, row.created, row.last_seen,
                          row.expires))
        return sid, row

    def session(self, sid: str | None) -> StoredSession | None:
        """The stored session of a cookie's id (a read), or None."""
        if not sid or not isinstance(sid, str):
            return None
        rows = self._read(f"SELECT {_SESSION_COLUMNS} FROM {SESSIONS} WHERE key = ?", (digest(sid),))
        return StoredSession(*rows[0]) if rows else None

    def touch(self, key: str, last_seen: float, expires: float) -> None:
        """A session was used: its last-seen time and expiry move on (callers throttle this)."""
        with writing(self.path) as conn:
            conn.execute(f"UPDATE {SESSIONS} SET last_seen = max(last_seen, ?), expires = max(expires, ?)"
                         " WHERE key = ?", (last_seen, expires, key))

    def drop_session(self, key: str) -> bool:
        """End a session (by its hash); True when this call ended it (not another process)."""
        with writing(self.path) as conn:
            gone = conn.execute(f"DELETE FROM {SESSIONS} WHERE key = ?", (key,)).rowcount
            conn.execute(f"DELETE FROM {SEEN} WHERE session = ?", (key,))
        return gone == 1

    def prune_sessions(self, now: float) -> int:
        """Delete expired sessions (and their audit marks); returns how many."""
        with writing(self.path) as conn:
            gone = conn.execute(f"DELETE FROM {SESSIONS} WHERE expires < ?", (now,)).rowcount
            if gone:
                conn.execute(f"DELETE FROM {SEEN} WHERE session NOT LIKE 'local:%'"
                             f" AND session NOT IN (SELECT key FROM {SESSIONS})")
        return gone

    def session_count(self) -> int:
        return self._read(f"SELECT count(*) FROM {SESSIONS}")[0][0]

    def mark_seen(self, session: str, view: str) -> bool:
        """Remember that `session` was audited for `view`; True the first time (in any process)."""
        with writing(self.path) as conn:
            return conn.execute(f"INSERT OR IGNORE INTO {SEEN} (session, view) VALUES (?, ?)",
                                (session, digest(view))).rowcount == 1

    # -- failed-login counters (the storage of dashboard.backoff.LoginBackoff) ----------------
    def read_failures(self, keys: Iterable[str]) -> dict[str, tuple[int, float]]:
        """{key: (count, time of the last failure)} of those keys that have a counter."""
        keys = list(keys)
        names = {digest(k): k for k in keys}
        marks = ", ".join("?" * len(names))
        rows = self._read(f"SELECT key, count, last FROM {FAILURES} WHERE key IN ({marks})", tuple(names))
        return {names[key]: (count, last) for key, count, last in rows}

    def update_failures(self, keys: Iterable[str], change: Callable, forget_before: float):
        """Read the counters of `keys` and write what `change(entries)` returns, in one write
        transaction, so parallel attempts in any process see each other's counts.

        `change` gets {key: (count, last)} and returns (result, {key: (count, last) or None
        to delete}); counters last changed before `forget_before` are deleted first."""
        keys = list(keys)
        names = {digest(k): k for k in keys}
        marks = ", ".join("?" * len(names))
        with writing(self.path) as conn:
            conn.execute(f"DELETE FROM {FAILURES} WHERE last <= ?", (forget_before,))
            rows = conn.execute(f"SELECT key, count, last FROM {FAILURES} WHERE key IN ({marks})",
                                tuple(names)).fetchall()
            result, writes = change({names[key]: (count, last) for key, count, last in rows})
            for key, entry in writes.items():
                if entry is None:
                    conn.execute(f"DELETE FROM {FAILURES} WHERE key = ?", (digest(key),))
                else:
                    conn.execute(f"INSERT INTO {FAILURES} (key, count, last) VALUES (?, ?, ?) ON CONFLICT (key)"
                                 " DO UPDATE SET count = excluded.count, last = excluded.last",
                                 (digest(key), int(entry[0]), float(entry[1])))
            self._updates += 1
            if self._updates % self._COUNT_EVERY == 0:
                self._bound_failures(conn)
        return result

    def _bound_failures(self, conn: sqlite3.Connection) -> None:
        """Many addresses within `forget_s` (an attack from a whole network): forget the
        oldest half rather than grow without end."""
        count = conn.execute(f"SELECT count(*) FROM {FAILURES}").fetchone()[0]
        if count >= self.max_keys:
            conn.execute(f"DELETE FROM {FAILURES} WHERE id IN (SELECT id FROM {FAILURES} ORDER BY last LIMIT ?)",
                         (count // 2,))


__all__ = ["FAILURES", "INSTANCE_KEY", "SCHEMA_STATEMENTS", "SECRET_KEY", "SEEN", "SESSIONS", "TABLES",
           "ServerState", "StoredSession", "StoreError", "add_tables", "digest"]
