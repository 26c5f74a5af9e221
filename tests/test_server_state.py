"""The server state in the data file (layers.server_state) as two server processes on one file
see it: two apps built on the same file stand for two worker processes (the real processes:
tests/test_workers.py)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from dashboard.auth import install_auth
from dashboard.backoff import LoginBackoff
from layers import GeoPackageStore
from layers.audit import read_audit
from layers.server_state import FAILURES, SEEN, SESSIONS, ServerState, digest
from layers.users import UserStore
from tests.test_auth import FAST, PW, Clock, call, csrf_headers, login, logout, make_app


@pytest.fixture
def store(tmp_path):
    store = GeoPackageStore.create(tmp_path / "data.gpkg")
    users = UserStore(store, hasher=FAST)
    users.add("anna", "polis", PW)
    users.add("britt", "bra", PW)
    return store


def worker(store, clock, **kw):
    """One server process on the file: its own app, memory and clock reading."""
    app = make_app()
    auth = install_auth(app, store, users=UserStore(store, hasher=FAST), clock=clock, **kw)
    return auth, app.server.test_client()


def move(client, other):
    """The same browser, its next request answered by another process."""
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return other


def rows(store, sql):
    with closing(sqlite3.connect(store.path)) as conn:
        return conn.execute(sql).fetchall()


def test_a_session_lives_in_the_file_by_its_hash_only(store):
    clock = Clock()
    auth, one = worker(store, clock)
    _, two = worker(store, clock)
    assert login(one).status_code == 303
    stored = rows(store, f"SELECT key, user, role, generation, created, last_seen, expires FROM {SESSIONS}")
    assert len(stored) == 1
    key, user, role, generation, created, last_seen, expires = stored[0]
    assert (user, role, generation, created, last_seen) == ("anna", "polis", 1, clock.now, clock.now)
    assert expires == clock.now + 60 * 60  # the idle timeout comes before the 12 h maximum
    with closing(sqlite3.connect(store.path)) as conn:
        raw = "\n".join(conn.iterdump()).encode()  # everything the file holds
    # The cookie is signed; the id in it never appears in the file, only its SHA-256.
    session = session_id(auth, one)
    assert key == digest(session) and session.encode() not in raw and key.encode() in raw
    two = move(one, two)
    assert call(two, csrf_headers(two)).status_code == 200


def test_the_secret_key_is_made_once_per_file_and_the_environment_overrides_it(store, tmp_path, monkeypatch):
    clock = Clock()
    first, _ = worker(store, clock)
    second, _ = worker(store, clock)
    key = ServerState(store.path).secret_key()
    assert first.app.server.secret_key == second.app.server.secret_key == key and len(key) == 64
    other = GeoPackageStore.create(tmp_path / "other.gpkg")
    assert ServerState(other.path).secret_key() != key
    monkeypatch.setenv("TRYGGHETSKARTA_SECRET_KEY", "från miljön")
    third, _ = worker(store, clock)
    assert third.app.server.secret_key == "från miljön"


def test_last_seen_is_written_at_most_every_five_minutes(store):
    clock = Clock()
    auth, client = worker(store, clock)
    login(client)
    headers = csrf_headers(client)
    start = clock.now
    assert auth.sessions.touch_s == 300

    def stored_last_seen():
        return rows(store, f"SELECT last_seen, expires FROM {SESSIONS}")[0]

    for step in (60, 120, 119):  # 299 s of requests: reads only
        clock.now += step
        assert call(client, headers).status_code == 200
        assert stored_last_seen() == (start, start + 3600)
    clock.now += 1  # 300 s on: stored, with the expiry moved on
    assert call(client, headers).status_code == 200
    assert stored_last_seen() == (start + 300, start + 300 + 3600)


def test_an_idle_session_ends_in_every_process_and_is_audited_once(store):
    clock = Clock()
    _, one = worker(store, clock)
    _, two = worker(store, clock)
    login(one)
    headers = csrf_headers(one)
    two = move(one, two)
    clock.now += 61 * 60
    assert call(one, headers).status_code == 401
    assert call(two, headers).status_code == 401
    assert read_audit(store)["event"].tolist() == ["login", "logout"]
    assert rows(store, f"SELECT count(*) FROM {SESSIONS}") == [(0,)]


def test_a_login_deletes_expired_sessions(store):
    clock = Clock()
    _, client = worker(store, clock)
    login(client)
    login(client, "britt")
    assert rows(store, f"SELECT count(*) FROM {SESSIONS}") == [(2,)]
    clock.now += 2 * 3600
    login(client)
    assert rows(store, f"SELECT user FROM {SESSIONS}") == [("anna",)]


def test_a_logout_in_one_process_ends_the_session_in_the_other(store):
    clock = Clock()
    _, one = worker(store, clock)
    _, two = worker(store, clock)
    login(one)
    headers = csrf_headers(one)
    two = move(one, two)
    assert call(two, headers).status_code == 200
    assert logout(two).status_code == 303
    assert call(one, headers).status_code == 401
    assert read_audit(store)["event"].tolist() == ["login", "logout"]


def test_failed_logins_in_two_processes_add_up(store):
    clock = Clock()
    _, one = worker(store, clock)
    _, two = worker(store, clock)
    for client in (one, two, one):
        assert login(client, "anna", "fel lösenord!").status_code == 401
    refused = login(two, "anna", PW)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert rows(store, f"SELECT count, last FROM {FAILURES} ORDER BY count") == [(3, clock.now), (3, clock.now)]
    keys = {key for (key,) in rows(store, f"SELECT key FROM {FAILURES}")}
    assert keys == {digest("pair\x00anna\x00127.0.0.1"), digest("addr\x00127.0.0.1")}  # no names or addresses
    clock.now += 1
    assert login(one, "anna", PW).status_code == 303
    # The pair starts afresh; the address keeps its three failures (the right password is none).
    assert rows(store, f"SELECT count FROM {FAILURES}") == [(3,)]


def test_failure_counters_are_forgotten_an_hour_after_the_last_failure(store):
    clock = Clock()
    backoff = LoginBackoff(clock=clock, counters=ServerState(store.path))
    assert backoff.begin("britt", "10.0.0.2") == 0
    for _ in range(3):
        assert backoff.begin("anna", "10.0.0.1") == 0
    assert backoff.wait("anna", "10.0.0.1") == 1
    clock.now += 3599  # within the hour the count stays: one more failure, then 2 s to wait
    assert backoff.begin("anna", "10.0.0.1") == 0
    assert backoff.wait("anna", "10.0.0.1") == 2
    clock.now += 3600
    assert backoff.wait("anna", "10.0.0.1") == 0
    assert backoff.begin("anna", "10.0.0.1") == 0  # counted afresh
    # Only anna's two counters are left, at 1: britt's (two hours old) went with that update.
    assert rows(store, f"SELECT count FROM {FAILURES}") == [(1,), (1,)]


def test_a_sensitive_view_is_audited_once_per_session_whichever_process_shows_it(store):
    import flask

    clock = Clock()
    one_auth, one = worker(store, clock)
    two_auth, two = worker(store, clock)
    login(one)
    sid = session_id(one_auth, one)
    detail = {"layers": ["narkotika"], "period": "2026-11"}
    written = []
    for auth in (one_auth, two_auth, one_auth, two_auth):
        with auth.app.server.test_request_context():
            flask.g.tk_user, flask.g.tk_role, flask.g.tk_session = "anna", "polis", auth.sessions.get(sid)
            written.append(auth.audit_view_sensitive(detail))
            written.append(auth.audit_view_sensitive({**detail, "period": "2026-10"}))
    assert written == [True, True] + [False] * 6
    assert read_audit(store, event="view_sensitive")["detail"].tolist() == [detail, {**detail, "period": "2026-10"}]
    assert rows(store, f"SELECT count(*) FROM {SEEN}") == [(2,)]
    logout(one)
    assert rows(store, f"SELECT count(*) FROM {SEEN}") == [(0,)]


def session_id(auth, client) -> str:
    """The random id inside a browser's signed session cookie."""
    app = auth.app.server
    cookie = client.get_cookie("trygghetskarta_session").value
    return app.session_interface.get_signing_serializer(app).loads(cookie)["sid"]
