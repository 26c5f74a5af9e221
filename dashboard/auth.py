"""Login, sessions, roles, security headers and CSRF protection for the Dash app.

`install_auth(app, store)` wires everything onto the Flask server under the Dash app:

* Without users in the data file there is no login: every request runs as the fixed
  default role ('polis' for local single-user use, or e.g. 'bra' for `serve --role bra`).
  `check_bind` refuses to listen on anything but loopback in that case, and `check_proxy`
  refuses a trusted reverse proxy in front (dashboard.guard).
* With users, every request needs a session: pages redirect to the login page and Dash's
  JSON endpoints (`/_dash-*`) answer 401. A `default_role` then caps what any logged-in
  user sees (a police officer logging in on the BRÅ meeting screen still sees `bra`).
* Sessions live in the data file (dashboard.sessions, layers.server_state), so every
  server process (`serve --workers N`) knows them and a restart logs nobody out; the cookie
  holds only a signed random id: HttpOnly, SameSite=Lax, Secure over HTTPS; idle timeout
  and a maximum age. A changed password or role, or a removed user, ends open sessions.
  The key that signs cookies is the data file's own (made once), so every process accepts
  the others' cookies; `TRYGGHETSKARTA_SECRET_KEY` overrides it.
* CSRF: a per-session token in the `_csrf_token` cookie, which Dash's renderer sends back
  as the `X-CSRFToken` header on its POSTs (dash-renderer reads exactly that cookie); the
  server compares it with the session's copy. The login form carries its own token.
* Security headers on every response, with a Content-Security-Policy that fits Dash 4
  (no 'unsafe-eval'; inline scripts allowed only by hash via `app.csp_hashes()`).
* Logins, failed logins and logouts go to the audit log.
* Host names: a server without users answers only to loopback names (and `allowed_hosts`):
  another site's page reaching it through DNS rebinding gets 421, never data.
* Failed logins slow down, they never lock out (dashboard.backoff): per user name and
  address, and more generously per address, counted in the data file across processes;
  behind a reverse proxy `trusted_proxies` says how many X-Forwarded-For entries are the
  proxies' own (werkzeug's ProxyFix).
* Users added to the data file of a running server turn login on within seconds.
* Presentation mode: a role with exact data may narrow its own view (`/view-as`, a session
  ceiling) so a shared screen shows the `bra` view; every callback gets the narrower role.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import math
import os
import secrets
import sys
import threading
import time
from collections.abc import Iterable
from urllib.parse import urlsplit

import dash
import flask
from werkzeug.middleware.proxy_fix import ProxyFix

from layers.audit import AuditLog
from layers.privacy import POLIS, RAPPORTOR, ROLES, Policy, PrivacySettings, policy, role_meet
from layers.server_state import ServerState
from layers.users import LOGIN_FAILED, UserStore, has_users

from .backoff import LoginBackoff, wait_message
from .guard import (
    HOST_REFUSED,
    AuthError,
    allowed_host_names,
    check_bind,
    check_proxy,
    host_allowed,
    host_name,
    is_loopback,
)
from .login_page import TEXT, content_security_policy, render_login_page, render_logout_page
from .sessions import CookieSessions, Session, SessionRegistry

CSRF_COOKIE = "_csrf_token"  # the name dash-renderer reads
CSRF_HEADER = "X-CSRFToken"  # the header dash-renderer sends
SESSION_COOKIE = "trygghetskarta_session"
LOCAL_USER = "(lokal)"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The session key of the view ceiling a user chose for this browser (presentation mode).
VIEW_AS = "view_as"
#: Per-process memory of what was already looked up (user checks, audited views): bounded.
_MEMO_MAX = 50_000


def narrower_role(a: str, b: str) -> str:
    """The role a cap gives: the widest role showing nothing that `a` or `b` does not
    (`layers.privacy.role_meet`; moderator and bra are not in a line, so a cap never raises)."""
    return role_meet(a, b)


# -- the installed auth -------------------------------------------------------------------------

class Auth:
    """What `install_auth` returns; also at `app.server.extensions['trygghetskarta_auth']`."""

    def __init__(self, app: dash.Dash, store, *, default_role: str | None,
                 session_timeout_min: float, secure_cookies: bool | None, users: UserStore | None,
                 audit: AuditLog | None, limiter: LoginBackoff | None, max_session_hours: float,
                 extra_sources: Iterable[str], settings: PrivacySettings | None,
                 allowed_hosts: Iterable[str] = (), clock=time.time, users_recheck_s: float = 2.0,
                 instance_id: str | None = None):
        if default_role is not None and default_role not in ROLES:
            raise AuthError(f"unknown role {default_role!r}; known roles: {', '.join(ROLES)}")
        self.app = app
        self.store = store
        self.default_role = default_role
        self.clock = clock
        self._login_on = has_users(store)
        self._users_checked = clock()
        self.users_recheck_s = users_recheck_s
        self._users_lock = threading.Lock()
        self.users = users if users is not None else (UserStore(store) if self._login_on else None)
        self.audit = audit if audit is not None else AuditLog(store)
        #: Sessions, failed-login counters and audited views, shared by every process on the file.
        self.state = ServerState(store.path)
        self.limiter = limiter or LoginBackoff(clock=clock, counters=self.state)
        self.session_timeout_min = float(session_timeout_min)
        self.timeout_s = float(session_timeout_min) * 60
        self.max_age_s = float(max_session_hours) * 3600
        self.secure_cookies = secure_cookies
        self.extra_sources = tuple(extra_sources)
        self.allowed_hosts = allowed_host_names(allowed_hosts)
        self.settings = settings
        # The last-seen time is stored at most every tenth of the timeout (5 min at most): a
        # request reads its session, it rarely writes.
        self.sessions = SessionRegistry(self.state, touch_s=min(300.0, self.timeout_s / 10))
        self.recheck_s = 30.0
        #: The id of this server (every worker process of one `serve` has the same).
        self.instance_id = instance_id or secrets.token_urlsafe(12)
        #: When this process last checked a session's user (by session key): a read every
        #: `recheck_s` seconds per session, never a write.
        self._user_checked: dict[str, float] = {}
        prefix = app.config.routes_pathname_prefix or "/"
        self.prefix = prefix
        self.login_path = prefix + "login"
        self.logout_path = prefix + "logout"
        self.view_as_path = prefix + "view-as"
        request_prefix = app.config.requests_pathname_prefix or prefix
        self.login_url = request_prefix + "login"
        self.logout_url = request_prefix + "logout"
        self.view_as_url = request_prefix + "view-as"
        #: Where a logged-in rapportör is sent (the EST page), and the path prefixes they may ask for.
        self.est_url = request_prefix + "est"
        self.rapportor_paths: set[str] = {prefix + "est"}
        self.home_url = request_prefix
        #: Plain HTML forms (not dash-renderer) post here with the token as a form field.
        self._form_paths = frozenset({self.logout_path, self.view_as_path})
        #: GET paths answered without identifying the request (`quiet_path`): a page asking
        #: in the background must not keep its session alive.
        self._quiet_paths: set[str] = set()
        #: Path prefixes served without a session nor the session's CSRF token, for GET and POST
        #: (`public_path`: the residents' form, which checks its own signed token).
        self._public_prefixes: tuple[str, ...] = ()
        #: Of those, the prefixes whose pages may ask for the position (Permissions-Policy).
        self._geolocation_prefixes: tuple[str, ...] = ()
        self._csp_cache: tuple[int, str] | None = None
        #: (session, view) pairs this process already audited: the data file is asked once.
        self._seen: set[tuple[str, str]] = set()

    # -- users appear -------------------------------------------------------------------------
    @property
    def login_required(self) -> bool:
        """Whether requests need a login: from the start when the data file has users, and
        from the moment `user add` gives it one while the server runs (one small query at most
        every `users_recheck_s` seconds). Never off again until a restart: removing the last
        user must not open the server (a restart then refuses a public address)."""
        if self._login_on:
            return True
        now = self.clock()
        if now - self._users_checked >= self.users_recheck_s:
            found = has_users(self.store)
            self._users_checked = now
            if found:
                self._turn_login_on()
        return self._login_on

    def _turn_login_on(self) -> None:
        with self._users_lock:
            if self._login_on:
                return
            if self.users is None:
                self.users = UserStore(self.store)
            self.app.server.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
                minutes=max(self.session_timeout_min, 1))
            self._login_on = True
        print("Användare har lagts till i datafilen: inloggning krävs från och med nu. "
              "/ Users were added to the data file: login is required from now on.",
              file=sys.stderr)

    # -- identity -------------------------------------------------------------------------
    @property
    def fixed_role(self) -> str:
        return self.default_role or POLIS

    def effective_role(self, user_role: str) -> str:
        return narrower_role(user_role, self.default_role) if self.default_role else user_role

    def view_as(self) -> str | None:
        """The ceiling this browser chose (presentation mode), or None."""
        ceiling = flask.session.get(VIEW_AS)
        return ceiling if ceiling in ROLES else None

    def _session_alive(self, s: Session, now: float) -> bool:
        return now - s.last_seen <= self.timeout_s and now - s.created <= self.max_age_s

    def _expires(self, created: float, now: float) -> float:
        """When a session used now ends unless used again (idle timeout, maximum age)."""
        return min(created + self.max_age_s, now + self.timeout_s)

    def _end(self, s: Session, reason: str) -> None:
        """End a session everywhere; audited once, by the process that ended it."""
        self._user_checked.pop(s.key, None)
        if self.sessions.drop(s):
            self._log("logout", s.user, s.role, {"reason": reason})

    def _identify(self) -> tuple[str, str, Session | None, str | None]:
        """(user, role, session, reason) for this request; user '' when not logged in. The
        role is before the browser's own ceiling (`view_as`)."""
        if not self.login_required:
            return LOCAL_USER, self.fixed_role, None, None
        sid = flask.session.get("sid")
        s = self.sessions.get(sid)
        if s is None:
            return "", "", None, "expired" if sid else None
        now = self.clock()
        if not self._session_alive(s, now):
            self._end(s, "expired")
            return "", "", None, "expired"
        if now - self._user_checked.get(s.key, -math.inf) >= self.recheck_s:
            user = self.users.get(s.user)
            if user is None or user.generation != s.generation:
                self._end(s, "user changed or removed")
                return "", "", None, "expired"
            if len(self._user_checked) >= _MEMO_MAX:
                self._user_checked.clear()
            self._user_checked[s.key] = now
        self.sessions.touch(s, now, self._expires(s.created, now))
        return s.user, self.effective_role(s.role), s, None

    def session_state(self) -> str:
        """This browser's session without touching it (no idle time reset, no audit entry):
        'open' without login, 'ok' for a live session, 'expired' when the session cookie names
        one that ended (idle timeout, maximum age, logout elsewhere, a server restart) and
        'none' without a session cookie."""
        if not self.login_required:
            return "open"
        sid = flask.session.get("sid")
        s = self.sessions.get(sid)
        if s is None:
            return "expired" if sid else "none"
        return "ok" if self._session_alive(s, self.clock()) else "expired"

    def quiet_path(self, path: str) -> None:
        """Answer GET `path` (under the app's prefix) without identifying the request: its
        view must check `session_state()` itself and show nothing a login protects."""
        self._quiet_paths.add(self.prefix + path.lstrip("/"))

    def public_path(self, prefix: str, geolocation: bool = False) -> None:
        """Serve `prefix` and everything under it (below the app's prefix) to anyone, GET and
        POST, without reading or making a session and without the session's CSRF check: its
        views must protect their own forms and show nothing a login protects. `geolocation`:
        its pages may ask for the position (the rest of the app forbids it)."""
        full = self.prefix + prefix.strip("/")
        self._public_prefixes += (full,)
        if geolocation:
            self._geolocation_prefixes += (full,)

    def _under(self, path: str, prefixes: tuple[str, ...]) -> bool:
        return any(path == p or path.startswith(p + "/") for p in prefixes)

    def _public_rule(self, req) -> bool:
        """The request matched a route registered under a public prefix: by the route, not the
        path, so '/rapportera/x' that only Dash's catch-all page route matches stays behind the login."""
        rule = req.url_rule
        return rule is not None and self._under(rule.rule, self._public_prefixes)

    def _log(self, event: str, user: str, role: str, detail: dict | None = None) -> None:
        address = flask.request.remote_addr if flask.has_request_context() else ""
        self.audit.append(event, user=user, role=role, address=address or "", detail=detail)

    # -- hooks ----------------------------------------------------------------------------
    def restricts_hosts(self) -> bool:
        """Without users every request is served with data, so only our own names may ask;
        with users the login protects the data, and names are checked when some are given."""
        return bool(self.allowed_hosts) or not self.login_required

    def before_request(self):
        req = flask.request
        if self.restricts_hosts() and not host_allowed(req.host, self.allowed_hosts):
            return flask.Response(HOST_REFUSED, status=421, mimetype="text/plain")
        path = req.path
        if path == self.login_path or (path in self._quiet_paths and req.method == "GET"):
            return None
        if req.method in ("GET", "HEAD", "POST") and self._public_rule(req):
            flask.g.tk_public_file = True  # no session read, no CSRF cookie set
            return None
        if req.method in ("GET", "HEAD") and self._is_public_file(path):
            # Library code and our CSS/JS, the same for everyone: served without reading the
            # session, so the answer sets no cookie and does not vary by Cookie, and the
            # browser's cache can keep it (with a session cookie in Vary, a repeat page load
            # fetched every package file again: 254 KB instead of ~3 KB).
            flask.g.tk_public_file = True
            return None
        user, role, sess, reason = self._identify()
        ceiling = self.view_as() if user else None
        flask.g.tk_user, flask.g.tk_session = user, sess
        flask.g.tk_own_role = role
        flask.g.tk_role = narrower_role(role, ceiling) if ceiling else role
        if not user:
            if self._is_api(path):
                return flask.jsonify(error="login required", reason=reason or "no session"), 401
            target = self._safe_next(req.full_path if req.query_string else req.path)
            query = {"next": target}
            if reason:
                query["m"] = reason
            from urllib.parse import urlencode

            return flask.redirect(f"{self.login_url}?{urlencode(query)}", code=302)
        if req.method in UNSAFE_METHODS and not self._csrf_ok():
            return flask.jsonify(error="CSRF check failed"), 403
        if flask.g.tk_role == RAPPORTOR and not self.rapportor_may(path):
            # An EST reporter has no dashboard: no layout, no callback, no download answers them.
            if self._is_api(path) or req.method not in ("GET", "HEAD"):
                return flask.jsonify(error="the role rapportor has no dashboard", next=self.est_url), 403
            return flask.redirect(self.est_url, code=302)
        return None

    def rapportor_may(self, path: str) -> bool:
        """The paths an EST reporter may ask for: their own page (`/est…`, dashboard.est_page)
        and logging out; `rapportor_paths` takes more prefixes."""
        return path == self.logout_path or any(path == p or path.startswith(p.rstrip("/") + "/")
                                               for p in self.rapportor_paths)

    def after_request(self, response: flask.Response) -> flask.Response:
        headers = response.headers
        headers["Content-Security-Policy"] = self._csp()
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
        if flask.has_request_context():
            path = flask.request.path
            if self._under(path, self._geolocation_prefixes):
                headers["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()"
            if flask.request.is_secure:
                headers["Strict-Transport-Security"] = "max-age=31536000"
            if (self._is_api(path) and not self._is_static(path)) or \
                    path in (self.login_path, self.logout_path) or response.mimetype == "text/html":
                headers["Cache-Control"] = "no-store"
            if not flask.g.get("tk_public_file"):
                self._set_csrf_cookie(response)
        return response

    def _set_csrf_cookie(self, response: flask.Response) -> None:
        token = self._csrf_token()
        if token is None or flask.request.cookies.get(CSRF_COOKIE) == token:
            return
        # Readable by the page's JS on purpose (dash-renderer copies it into X-CSRFToken);
        # worthless to another site, which can neither read it nor set the header.
        response.set_cookie(
            CSRF_COOKIE, token, httponly=False, samesite="Strict", path="/",
            secure=self._cookie_secure(),
        )

    def _cookie_secure(self) -> bool:
        return flask.request.is_secure if self.secure_cookies is None else self.secure_cookies

    def _csrf_token(self) -> str | None:
        sess = getattr(flask.g, "tk_session", None)
        if sess is not None:
            return sess.csrf
        if not self.login_required and getattr(flask.g, "tk_user", ""):
            token = flask.session.get("csrf")
            if not token:
                token = secrets.token_urlsafe(32)
                flask.session["csrf"] = token
                flask.session.permanent = True
            return token
        return None

    def _csrf_ok(self) -> bool:
        req = flask.request
        origin = req.headers.get("Origin")
        if origin and origin != "null":
            parts = urlsplit(origin)
            if parts.netloc != req.host:
                return False
        expected = self._csrf_token()
        sent = req.headers.get(CSRF_HEADER, "")
        if not sent and req.path in self._form_paths:
            sent = req.form.get("csrf_token", "")
        return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())

    def _csp(self) -> str:
        scripts = len(getattr(self.app, "_inline_scripts", ()))
        if self._csp_cache is None or self._csp_cache[0] != scripts:
            try:
                hashes = list(self.app.csp_hashes())
            except Exception:  # pragma: no cover - before the renderer is set up
                hashes = []
            self._csp_cache = (scripts, content_security_policy(hashes, self.extra_sources))
        return self._csp_cache[1]

    def _is_api(self, path: str) -> bool:
        rest = path[len(self.prefix):] if path.startswith(self.prefix) else path.lstrip("/")
        # Dash's own endpoints all start with an underscore: _dash-update-component,
        # _dash-layout, _dash-dependencies, _dash-component-suites, _reload-hash ...
        return rest.startswith("_")

    def _is_static(self, path: str) -> bool:
        """Dash's package files (JS, CSS, maps) and its favicon: the same for everyone, no
        data in them, so the browser keeps them (Dash sets a year for fingerprinted files and
        an ETag for the others). Under no-store a page load fetched 6.5 MB again every time."""
        rest = path[len(self.prefix):] if path.startswith(self.prefix) else path.lstrip("/")
        return rest.startswith("_dash-component-suites/") or rest == "_favicon.ico"

    def _is_public_file(self, path: str) -> bool:
        """Files with no data in them: Dash's package files, the favicon and /assets/."""
        rest = path[len(self.prefix):] if path.startswith(self.prefix) else path.lstrip("/")
        return self._is_static(path) or (rest.startswith("assets/") and ".." not in rest)

    def _safe_next(self, target: str | None) -> str:
        """Only a local path may be a redirect target (no //host or scheme)."""
        target = (target or "").strip()
        if target.endswith("?"):
            target = target[:-1]
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            return self.home_url
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            return self.home_url
        path = parts.path
        if path in (self.login_path, self.logout_path, self.view_as_path) or self._is_api(path):
            return self.home_url
        return target

    # -- login and logout -----------------------------------------------------------------
    def login_view(self):
        req = flask.request
        lang = "en" if (req.values.get("lang") == "en") else "sv"
        next_url = self._safe_next(req.values.get("next"))
        if not self.login_required:
            return flask.redirect(next_url)
        if req.method == "GET":
            token = self._login_csrf()
            note = {"expired": "expired", "out": "logged_out"}.get(req.args.get("m", ""))
            message = TEXT[lang][note] if note else ""
            return self._page(lang, token, next_url, message, "info")
        sent = req.form.get("csrf_token", "")
        expected = flask.session.get("login_csrf", "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return self._page(lang, self._login_csrf(), next_url, TEXT[lang]["csrf"], "msg", 400)
        name = req.form.get("username", "")[:200]
        password = req.form.get("password", "")
        address = req.remote_addr
        # The attempt is reserved (counted) before the slow password check, in one write
        # transaction on the data file: parallel guesses, in any server process, cannot all
        # use the same free slot.
        wait = self.limiter.begin(name, address)
        if wait > 0:
            self._log("login_failed", name.strip(), "", {"reason": "throttled"})
            page = self._page(lang, self._login_csrf(), next_url, wait_message(wait, lang), "msg",
                              429, username=name)
            page.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return page
        user = self.users.verify(name, password)
        if user is None:
            self._log("login_failed", name.strip(), "", {"reason": "failed"})
            return self._page(lang, self._login_csrf(), next_url, LOGIN_FAILED[lang], "msg",
                              401, username=name)
        self.limiter.succeeded(name, address)
        now = self.clock()
        self.sessions.prune(now)
        sid, sess = self.sessions.create(user=user.name, role=user.role, generation=user.generation, now=now,
                                         expires=self._expires(now, now))
        self._user_checked[sess.key] = now
        flask.session.clear()  # a fresh session: no fixation, no earlier view ceiling
        flask.session["sid"] = sid
        flask.session.permanent = True
        self._log("login", user.name, self.effective_role(user.role))
        return flask.redirect(next_url, code=303)

    def logout_view(self):
        """GET asks (a page with a button); POST with the CSRF token logs out. The token was
        checked in `before_request`, as for every POST."""
        req = flask.request
        lang = "en" if req.values.get("lang") == "en" else "sv"
        if not self.login_required:
            return flask.redirect(self.home_url)
        if req.method == "GET":
            body = render_logout_page(lang, self.logout_url, self._csrf_token() or "",
                                      self.home_url)
            return flask.Response(body, mimetype="text/html")
        sess = self.sessions.get(flask.session.get("sid"))
        if self.sessions.drop(sess):
            self._log("logout", sess.user, self.effective_role(sess.role))
        flask.session.clear()
        response = flask.redirect(f"{self.login_url}?m=out&lang={lang}", code=303)
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    def view_as_view(self):
        """POST role=bra narrows this browser's view (the presentation switch); role= (empty)
        takes the ceiling away. The CSRF token was checked in `before_request`."""
        req = flask.request
        if req.method != "POST":  # else Dash's catch-all page route would answer a GET
            return flask.Response("405 Method Not Allowed: POST only.\n", status=405,
                                  mimetype="text/plain", headers={"Allow": "POST"})
        role = req.form.get("role", "")
        if role and (role not in ROLES or role == RAPPORTOR):  # a view of no dashboard is no view
            return flask.Response(f"unknown role {role!r}", status=400, mimetype="text/plain")
        if role:
            flask.session[VIEW_AS] = role
            flask.session.permanent = True
        else:
            flask.session.pop(VIEW_AS, None)
        self._log("view_as", getattr(flask.g, "tk_user", "") or "", getattr(flask.g, "tk_role", "") or "",
                  {"view_as": role or "(own role)"})
        return flask.redirect(self._safe_next(req.form.get("next")), code=303)

    def _login_csrf(self) -> str:
        token = flask.session.get("login_csrf")
        if not token:
            token = secrets.token_urlsafe(32)
            flask.session["login_csrf"] = token
        return token

    def _page(self, lang, token, next_url, message="", kind="msg", status=200, username=""):
        body = render_login_page(lang, self.login_url, token, next_url, message, kind, username)
        return flask.Response(body, status=status, mimetype="text/html")

    # -- for the dashboard -------------------------------------------------------------------
    def current_user(self) -> str:
        return getattr(flask.g, "tk_user", "") or ""

    def current_role(self) -> str:
        """The request's role: the user's (or the fixed one), capped by `default_role` and
        by the ceiling this browser chose; the narrowest of them."""
        role = getattr(flask.g, "tk_role", "")
        if not role:
            raise PermissionError("no role: not inside an authenticated request")
        return role

    def current_policy(self) -> Policy:
        return policy(self.current_role(), self.settings)

    def page_forms(self) -> dict:
        """What the page's own forms need in this request: the CSRF token, the logout URL
        (None without login), the presentation switch's URL and the ceiling in force (None
        when it narrows nothing). Empty outside an identified request."""
        if not flask.has_request_context() or not getattr(flask.g, "tk_role", ""):
            return {}
        narrowed = flask.g.tk_role != getattr(flask.g, "tk_own_role", flask.g.tk_role)
        return {
            "csrf_token": self._csrf_token(),
            "logout_url": self.logout_url if self.login_required else None,
            "view_as_url": self.view_as_url,
            "view_as": flask.g.tk_role if narrowed else None,
        }

    def audit_event(self, event: str, detail: dict | None = None) -> None:
        """Log an event (e.g. 'export') for the current user and role."""
        self._log(event, self.current_user(), self.current_role(), detail)

    def audit_view_sensitive(self, detail: dict) -> bool:
        """Log that exact sensitive data was shown with this filter; once per session and
        filter. Returns True when an entry was written."""
        view = json.dumps(detail, sort_keys=True, default=str)
        sess = getattr(flask.g, "tk_session", None)
        # Without login the server is one browser's: once per server run, in any worker.
        owner = sess.key if sess is not None else f"local:{self.instance_id}"
        if (owner, view) in self._seen:
            return False
        if len(self._seen) >= _MEMO_MAX:
            self._seen.clear()
        self._seen.add((owner, view))
        if not self.state.mark_seen(owner, view):
            return False  # another worker process audited it
        self._log("view_sensitive", self.current_user(), self.current_role(), detail)
        return True

    def banner(self, host: str, port: int, lang: str = "sv") -> str:
        """One line for the console when the server starts (texts: the catalogue's console_*)."""
        from .i18n import t

        if self.login_required:
            cap = t("console_login_cap", lang, role=self.default_role) if self.default_role else ""
            return t("console_login_required", lang, n=len(self.users.list()), cap=cap)
        return t("console_no_users", lang, host=host, port=port, role=self.fixed_role)

    def host_hint(self, host: str, trusted_proxies: int = 0, lang: str = "sv") -> str:
        """A console hint when the server answers to any host name: with users, listening
        publicly or behind a proxy, and no --allowed-host. '' when there is nothing to say."""
        from .i18n import t

        if not self.login_required:
            return t("console_hint_no_users", lang) if self.allowed_hosts else ""
        if self.allowed_hosts:
            return ""
        if is_loopback(host) and not trusted_proxies:
            return ""
        return t("console_hint_any_host", lang, example="karta.kommun.se")


def install_auth(app: dash.Dash, store, *, default_role: str | None = None,
                 session_timeout_min: float = 60, secure_cookies: bool | None = None,
                 users: UserStore | None = None, audit: AuditLog | None = None,
                 limiter: LoginBackoff | None = None, secret_key: bytes | str | None = None,
                 max_session_hours: float = 12, extra_sources: Iterable[str] = (),
                 settings: PrivacySettings | None = None, allowed_hosts: Iterable[str] = (),
                 trusted_proxies: int = 0, clock=time.time,
                 users_recheck_s: float = 2.0, instance_id: str | None = None) -> Auth:
    """Put login, roles, security headers and CSRF protection in front of a Dash app.

    `default_role`: the role when the data file has no users (None: 'polis'); with users
    it caps every logged-in user's role. `secure_cookies`: None sets Secure when the
    request came over HTTPS. `extra_sources`: origins of map tiles for the CSP.
    `allowed_hosts`: host names served besides localhost (always checked when given;
    without users only loopback names and these are served). `trusted_proxies`: how many
    reverse proxies in front add X-Forwarded-For / X-Forwarded-Proto (0: none, the socket
    address is the client's). `instance_id`: the server's id, the same in every worker
    process of one `serve` (None: a new one).
    """
    server: flask.Flask = app.server
    auth = Auth(
        app, store, default_role=default_role, session_timeout_min=session_timeout_min,
        secure_cookies=secure_cookies, users=users, audit=audit, limiter=limiter,
        max_session_hours=max_session_hours, extra_sources=extra_sources, settings=settings,
        allowed_hosts=allowed_hosts, clock=clock, users_recheck_s=users_recheck_s, instance_id=instance_id,
    )
    if trusted_proxies:
        # Only the client address and the scheme: X-Forwarded-Host is not trusted (a proxy
        # that does not set it would pass a client's own value); the proxy must keep Host.
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=trusted_proxies,
                                   x_proto=trusted_proxies, x_host=0, x_port=0, x_prefix=0)
    if secret_key is not None:
        server.secret_key = secret_key
    elif not server.secret_key:
        # The data file's own key: every process serving it accepts the cookies of the others.
        server.secret_key = os.environ.get("TRYGGHETSKARTA_SECRET_KEY") or auth.state.secret_key()
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(
            minutes=max(session_timeout_min, 1) if auth.login_required else 24 * 60
        ),
    )
    server.session_interface = CookieSessions(secure_cookies)
    # Dash answers an unknown package file with an exception (500); it is a missing file.
    server.register_error_handler(
        dash.exceptions.DependencyException, lambda _exc: flask.Response("Not found", 404, mimetype="text/plain"))
    server.add_url_rule(auth.login_path, "tk_login", auth.login_view, methods=["GET", "POST"])
    server.add_url_rule(auth.logout_path, "tk_logout", auth.logout_view, methods=["GET", "POST"])
    server.add_url_rule(auth.view_as_path, "tk_view_as", auth.view_as_view,
                        methods=["GET", "POST"])
    server.before_request(auth.before_request)
    server.after_request(auth.after_request)
    server.extensions["trygghetskarta_auth"] = auth
    return auth


def get_auth(app_or_server=None) -> Auth:
    server = app_or_server.server if isinstance(app_or_server, dash.Dash) else app_or_server
    server = server or flask.current_app
    return server.extensions["trygghetskarta_auth"]


def current_role() -> str:
    """The role of the current request: the logged-in user's (capped by `default_role`) or
    the fixed role when the app runs without users, narrowed by the ceiling this browser
    chose in presentation mode (`/view-as`). PermissionError outside a request."""
    if not flask.has_request_context():
        raise PermissionError("no role outside a request")
    return get_auth().current_role()


def current_user() -> str:
    return get_auth().current_user() if flask.has_request_context() else ""


def current_policy() -> Policy:
    return get_auth().current_policy()


def audit_event(event: str, detail: dict | None = None) -> None:
    get_auth().audit_event(event, detail)


def audit_view_sensitive(detail: dict) -> bool:
    return get_auth().audit_view_sensitive(detail)


__all__ = [
    "Auth", "AuthError", "CSRF_COOKIE", "CSRF_HEADER", "HOST_REFUSED", "LoginBackoff", "VIEW_AS",
    "allowed_host_names", "audit_event", "audit_view_sensitive", "check_bind", "check_proxy",
    "content_security_policy", "current_policy", "current_role", "current_user", "get_auth",
    "host_allowed", "host_name", "install_auth", "is_loopback", "narrower_role",
    "render_login_page", "render_logout_page", "wait_message",
]
