"""Logged-in sessions: kept in the data file so every server process knows them
(layers.server_state), and Flask's signed cookie that carries only a session's random id.

A request reads its session (one indexed lookup on a kept connection); writing happens at a
login, a logout, an expiry, and for a session in use at most every `touch_s` seconds (its
last-seen time and expiry move on). So the idle timeout counts from the last *stored*
activity: a session idle for the whole timeout has ended; one whose last request came just
before a store of its last-seen time may end up to `touch_s` earlier than the timeout
(`touch_s` is a tenth of it, at most 5 minutes).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import flask
from flask.sessions import SecureCookieSessionInterface

from layers.server_state import ServerState, StoredSession


@dataclass(frozen=True)
class Session:
    """A live session as a request sees it; `key` is its name in the data file (a hash)."""

    key: str
    user: str
    role: str
    generation: int
    created: float
    last_seen: float
    csrf: str
    expires: float

    @classmethod
    def from_stored(cls, row: StoredSession) -> Session:
        return cls(row.key, row.user, row.role, row.generation, row.created, row.last_seen, row.csrf, row.expires)


class SessionRegistry:
    """The sessions of one data file, shared by every process serving it."""

    def __init__(self, state: ServerState, touch_s: float = 300.0):
        self.state = state
        self.touch_s = touch_s

    def create(self, *, user: str, role: str, generation: int, now: float, expires: float) -> tuple[str, Session]:
        """A new session: (its id for the cookie, the session)."""
        sid, row = self.state.create_session(user=user, role=role, generation=generation, now=now, expires=expires)
        return sid, Session.from_stored(row)

    def get(self, sid: str | None) -> Session | None:
        row = self.state.session(sid)
        return Session.from_stored(row) if row is not None else None

    def touch(self, session: Session, now: float, expires: float) -> bool:
        """Store that the session was used now, unless that was stored less than `touch_s`
        ago; True when it wrote."""
        if now - session.last_seen < self.touch_s:
            return False
        self.state.touch(session.key, now, expires)
        return True

    def drop(self, session: Session | None) -> bool:
        """End a session everywhere; True when this call ended it (not another process)."""
        return session is not None and self.state.drop_session(session.key)

    def prune(self, now: float) -> int:
        return self.state.prune_sessions(now)

    def __len__(self) -> int:
        return self.state.session_count()


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session with Secure set per request (HTTPS) unless fixed.

    Flask re-signs and re-sends a permanent session's cookie on every response to push its
    expiry on; with many viewers that was 2 % of the server's time (every callback answer).
    Here an unchanged session's cookie is re-sent at most every few minutes (a quarter of
    its lifetime, at most 5 min): its expiry still stays well ahead of an active user. The
    idle timeout that counts is the server's own (`Session.last_seen`)."""

    #: Seconds between re-sending an unchanged permanent session's cookie (at most).
    refresh_s = 300.0

    def __init__(self, secure: bool | None):
        self.secure = secure

    def should_set_cookie(self, app, session) -> bool:
        if flask.has_request_context() and flask.g.get("tk_public_file"):
            return False  # a package file: cacheable by everyone, never carries a cookie
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        every = min(self.refresh_s, app.permanent_session_lifetime.total_seconds() / 4)
        now = int(time.time())
        if now - int(session.get("_r", 0)) < every:
            return False
        session["_r"] = now  # part of the cookie written right after this
        return True

    def get_cookie_secure(self, app) -> bool:
        if self.secure is not None:
            return self.secure
        return flask.request.is_secure if flask.has_request_context() else False


__all__ = ["CookieSessions", "Session", "SessionRegistry"]
