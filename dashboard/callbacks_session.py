"""An open page learns that what it shows may be stale: the server restarted, its session
ended, or the data changed since it was drawn; it says so in words, with a reload button.

The server side is here: a random id per server process (`boot`), the data revision (the
`Views` version, bumped by every re-read of the data file) and a status answer at
`/_tk-session`. Every Dash response carries the boot id and the revision as headers, so the
page keeps the revision its own responses were computed from. The page side is
`assets/session.js`: it watches Dash's own requests (a 401 means the session ended, a 403
that the server no longer knows this page's CSRF token, a new boot id a restart) and asks
`/_tk-session` every `poll_s` seconds and when the tab becomes visible again, so a page
nobody touches also notices. The status answer never resets a session's idle time (a
background poll must not keep a forgotten login alive) and shows the revision only to a
live session. The banner itself is in the layout (`layout.session_banner`), its texts are
translated with the rest of the page.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

import flask

#: Headers on every Dash response (`_dash-layout`, `_dash-dependencies`, callbacks).
BOOT_HEADER = "X-Trygghetskarta-Boot"
REVISION_HEADER = "X-Trygghetskarta-Revision"
STATUS_PATH = "_tk-session"


@dataclass
class SessionStatus:
    """What `register_session` installed; `page_settings()` goes into the layout."""

    auth: object
    views: object
    poll_s: float
    status_url: str
    boot: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    _refreshing: threading.Lock = field(default_factory=threading.Lock)

    def revision(self) -> str:
        return str(self.views.version)

    def page_settings(self) -> dict:
        return {"status_url": self.status_url, "poll_ms": int(self.poll_s * 1000)}

    def status(self) -> flask.Response:
        state = self.auth.session_state()
        body = {"boot": self.boot, "session": state}
        if state in ("open", "ok"):
            # A data file changed by someone else is re-read here too, so a page nobody
            # touches learns of it; one thread at a time, the others answer with what is loaded.
            if self._refreshing.acquire(blocking=False):
                try:
                    self.views.refresh_if_changed()
                finally:
                    self._refreshing.release()
            body["revision"] = self.revision()
        response = flask.jsonify(body)
        response.headers[BOOT_HEADER] = self.boot
        return response

    def after_request(self, response: flask.Response) -> flask.Response:
        path = flask.request.path
        if "/_dash-" in path and "/_dash-component-suites/" not in path:
            response.headers[BOOT_HEADER] = self.boot
            response.headers[REVISION_HEADER] = self.revision()
        return response


def register_session(app, auth, views, poll_s: float = 15.0) -> SessionStatus:
    """Install the status route and the headers; returns what the layout needs."""
    prefix = app.config.requests_pathname_prefix or app.config.routes_pathname_prefix or "/"
    status = SessionStatus(auth=auth, views=views, poll_s=poll_s, status_url=prefix + STATUS_PATH)
    server: flask.Flask = app.server
    route = (app.config.routes_pathname_prefix or "/") + STATUS_PATH
    server.add_url_rule(route, "tk_session", status.status, methods=["GET"])
    auth.quiet_path(STATUS_PATH)
    server.after_request(status.after_request)
    return status


__all__ = ["BOOT_HEADER", "REVISION_HEADER", "STATUS_PATH", "SessionStatus", "register_session"]
