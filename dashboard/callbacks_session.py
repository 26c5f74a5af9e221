"""An open page learns that what it shows may be stale: the server restarted, its session
ended, or the data changed since it was drawn; it says so in words, with a reload button.

The server side is here: the server's id (`boot`: made when `serve` starts and the same in
every worker process, so a page never takes another worker's answer for a restart), the data
revision (a digest of the data file's last change that the answering process has loaded, the
same in every process that loaded it) and a status answer at `/_tk-session`. Every Dash
response carries the boot id and the revision as headers, so the page keeps the revision its
own responses were computed from; the status answer gives the data file's revision now, so a
page drawn by a worker that had not yet re-read the file learns that too. The page side is
`assets/session.js`: it watches Dash's own requests (a 401 means the session ended, a 403
that the server no longer knows this page's CSRF token, a new boot id a restart) and asks
`/_tk-session` every `poll_s` seconds and when the tab becomes visible again, so a page
nobody touches also notices. The status answer never resets a session's idle time (a
background poll must not keep a forgotten login alive) and shows the revision only to a
live session. The banner itself is in the layout (`layout.session_banner`), its texts are
translated with the rest of the page.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field

import flask

from layers import StoreError

#: Headers on every Dash response (`_dash-layout`, `_dash-dependencies`, callbacks).
BOOT_HEADER = "X-Trygghetskarta-Boot"
REVISION_HEADER = "X-Trygghetskarta-Revision"
STATUS_PATH = "_tk-session"
#: Tests only (TRYGGHETSKARTA_WORKER_HEADER=1): which worker process answered.
WORKER_ENV = "TRYGGHETSKARTA_WORKER_HEADER"
WORKER_HEADER = "X-Trygghetskarta-Worker"


@dataclass
class SessionStatus:
    """What `register_session` installed; `page_settings()` goes into the layout."""

    auth: object
    views: object
    poll_s: float
    status_url: str
    boot: str = ""
    store: object = None
    _refreshing: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        self.boot = self.boot or self.auth.instance_id
        self.worker_header = bool(os.environ.get(WORKER_ENV))

    def revision(self) -> str:
        """What this process's numbers are computed from: the data file's last change it
        loaded (without a store: its own re-read count)."""
        loaded = getattr(self.views, "_loaded_change", None)
        return _digest(loaded) if self.store is not None and loaded is not None else str(self.views.version)

    def current_revision(self) -> str:
        """The data file's revision now (what any process shows once it has re-read)."""
        if self.store is None:
            return self.revision()
        try:
            return _digest(self.store.last_change())
        except StoreError:  # locked for longer than the wait: what this process has loaded
            return self.revision()

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
            body["revision"] = self.current_revision()
        response = flask.jsonify(body)
        response.headers[BOOT_HEADER] = self.boot
        return response

    def after_request(self, response: flask.Response) -> flask.Response:
        path = flask.request.path
        if "/_dash-" in path and "/_dash-component-suites/" not in path:
            response.headers[BOOT_HEADER] = self.boot
            response.headers[REVISION_HEADER] = self.revision()
        if self.worker_header:
            response.headers[WORKER_HEADER] = str(os.getpid())
        return response


def _digest(change: str) -> str:
    return hashlib.sha256(str(change).encode()).hexdigest()[:12]


def register_session(app, auth, views, poll_s: float = 15.0) -> SessionStatus:
    """Install the status route and the headers; returns what the layout needs. The boot id
    is the server's (`auth.instance_id`)."""
    prefix = app.config.requests_pathname_prefix or app.config.routes_pathname_prefix or "/"
    status = SessionStatus(auth=auth, views=views, poll_s=poll_s, status_url=prefix + STATUS_PATH,
                           store=getattr(views, "store", None))
    server: flask.Flask = app.server
    route = (app.config.routes_pathname_prefix or "/") + STATUS_PATH
    server.add_url_rule(route, "tk_session", status.status, methods=["GET"])
    auth.quiet_path(STATUS_PATH)
    server.after_request(status.after_request)
    return status


__all__ = ["BOOT_HEADER", "REVISION_HEADER", "STATUS_PATH", "WORKER_ENV", "WORKER_HEADER", "SessionStatus",
           "register_session"]
