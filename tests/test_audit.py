"""The append-only audit log in the data file."""

from __future__ import annotations

import sqlite3

import pytest

from layers import GeoPackageStore
from layers.audit import AuditError, AuditLog, format_entries, read_audit


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "data.gpkg")


def test_append_and_read(store):
    assert read_audit(store).empty
    log = AuditLog(store)
    first = log.append("login", user="anna", role="polis", address="10.0.0.1")
    log.append("login_failed", user="okand", address="10.0.0.2", detail={"reason": "password"})
    log.append("view_sensitive", user="anna", role="polis",
               detail={"layers": ["narkotika"], "filter": {"start": "2026-01-01"}})
    log.append("export", user="anna", role="polis", detail={"format": "csv", "rows": 12})
    log.append("logout", user="anna", role="polis", ts="2026-07-04T23:00:00+02:00")
    frame = log.read()
    assert frame["event"].tolist() == [
        "login", "login_failed", "view_sensitive", "export", "logout"]
    assert frame["seq"].tolist() == list(range(first, first + 5))
    assert frame["detail"].iloc[2] == {"layers": ["narkotika"], "filter": {"start": "2026-01-01"}}
    assert frame["ts"].iloc[-1] == "2026-07-04T23:00:00+02:00"
    assert frame["ts"].iloc[0][19] in "+-"  # ISO with offset
    assert log.read(event="export")["detail"].tolist() == [{"format": "csv", "rows": 12}]
    assert log.read(user="okand")["address"].tolist() == ["10.0.0.2"]
    assert log.read(limit=2)["event"].tolist() == ["export", "logout"]
    lines = format_entries(log.read())
    assert len(lines) == 5 and "anna (polis)" in lines[0] and '"rows": 12' in lines[3]


def test_log_is_append_only(store):
    log = AuditLog(store)
    log.append("login", user="anna", role="polis")
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_log SET user = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
    conn.close()
    assert log.read()["user"].tolist() == ["anna"]


def test_unknown_event_refused(store):
    with pytest.raises(AuditError, match="unknown audit event"):
        AuditLog(store).append("hack")
