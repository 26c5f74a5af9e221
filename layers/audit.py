"""An append-only audit log (`audit_log` table in the data file): who did what, when.

Events: login, login_failed, logout, export, view_sensitive (exact sensitive layers with
the filter used), the user-management events user_add, user_remove, user_passwd, user_role,
and the data changes made in the app: add_report, add_activity, status, import; release
(a release built for a reduced role) and privacy_set (the privacy settings changed);
promise_import (a promise stored for its period, new or replacing one).
Triggers in the file refuse UPDATE and DELETE on the table.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from .datafile import reading, writing

TABLE = "audit_log"
EVENTS = (
    "login", "login_failed", "logout", "export", "view_sensitive",
    "user_add", "user_remove", "user_passwd", "user_role",
    # Data changes made in the app: an entered report or activity, a status change, an upload.
    "add_report", "add_activity", "status", "import",
    # Privacy: a release built for a reduced role (layers.release_store), settings changed.
    "release", "privacy_set",
    # A promise (medborgarlöfte) stored for its period, new or replacing one (layers.promises).
    "promise_import",
    # A browser narrowed its own view (the presentation mode's switch to the BRÅ view) or undid it.
    "view_as",
    # A moderator's decision on a resident's, EST or walk report (layers.moderation): who, which, what.
    "moderate",
)
COLUMNS = ("seq", "ts", "user", "role", "address", "event", "detail")
MAX_DETAIL = 8000

#: The table and the triggers that keep it append-only, one statement each (run in one transaction).
_SCHEMA_STATEMENTS = (
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  ts TEXT NOT NULL,
  user TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  event TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{{}}'
)""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
)


class AuditError(ValueError):
    """An unknown event or a detail that cannot be stored."""


class AuditLog:
    """Append and read the audit log of one data file (store or path)."""

    def __init__(self, store_or_path):
        self.path = Path(getattr(store_or_path, "path", store_or_path))
        # Looked for first: a server that may only read the file can still be started.
        with reading(self.path) as conn:
            found = conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN (?, ?, ?)",
                                 (TABLE, f"{TABLE}_no_update", f"{TABLE}_no_delete")).fetchone()[0]
        if found < 3:
            with writing(self.path) as conn:
                for statement in _SCHEMA_STATEMENTS:
                    conn.execute(statement)

    def append(self, event: str, *, user: str = "", role: str = "", address: str = "",
               detail: dict | None = None, ts: str | None = None) -> int:
        """Add one entry; returns its sequence number."""
        if event not in EVENTS:
            raise AuditError(f"unknown audit event {event!r}; known: {', '.join(EVENTS)}")
        text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str)
        if len(text) > MAX_DETAIL:
            text = json.dumps({"truncated": text[:MAX_DETAIL]}, ensure_ascii=False)
        stamp = ts or dt.datetime.now().astimezone().isoformat(timespec="seconds")
        with writing(self.path) as conn:
            cur = conn.execute(
                f"INSERT INTO {TABLE} (ts, user, role, address, event, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (stamp, str(user or "")[:200], str(role or ""), str(address or "")[:100],
                 event, text),
            )
        return int(cur.lastrowid)

    def read(self, *, event: str | None = None, user: str | None = None,
             since: str | None = None, limit: int | None = None) -> pd.DataFrame:
        """Entries oldest first (the newest `limit` when given); detail parsed to dicts."""
        return read_audit(self.path, event=event, user=user, since=since, limit=limit)


def read_audit(store_or_path, *, event: str | None = None, user: str | None = None,
               since: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The audit log of a data file as a frame (empty when the file has no log yet)."""
    path = Path(getattr(store_or_path, "path", store_or_path))
    with reading(path) as conn:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
        ).fetchone()
        if not exists:
            rows = []
        else:
            clauses, params = [], []
            if event is not None:
                clauses.append("event = ?")
                params.append(event)
            if user is not None:
                clauses.append("user = ?")
                params.append(user)
            if since is not None:
                clauses.append("ts >= ?")
                params.append(since)
            where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
            tail = f"LIMIT {int(limit)}" if limit is not None else ""
            rows = conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM (SELECT * FROM {TABLE} {where} "
                f"ORDER BY seq DESC {tail}) ORDER BY seq",
                params,
            ).fetchall()
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["seq"] = frame["seq"].astype("int64")
    frame["detail"] = [json.loads(d) if d else {} for d in frame["detail"]]
    return frame


def format_entries(frame: pd.DataFrame) -> list[str]:
    """One line per entry, for the `audit` command."""
    lines = []
    for row in frame.itertuples(index=False):
        detail = json.dumps(row.detail, ensure_ascii=False, sort_keys=True) if row.detail else ""
        who = row.user or "-"
        if row.role:
            who += f" ({row.role})"
        lines.append(
            f"{row.seq:>6}  {row.ts}  {row.event:<14} {who:<24} {row.address or '-':<15} {detail}"
            .rstrip()
        )
    return lines


__all__ = ["AuditError", "AuditLog", "EVENTS", "format_entries", "read_audit"]
