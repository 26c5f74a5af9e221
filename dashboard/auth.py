"""Login, sessions, roles, security headers and CSRF protection for the Dash app.

`install_auth(app, store)` wires everything onto the Flask server under the Dash app:

* Without users in the data file there is no login: every request runs as the fixed
  default role ('polis' for local single-user use, or e.g. 'bra' for `serve --role bra`).
  `check_bind` refuses to listen on anything but loopback in that case, and `check_proxy`
  refuses a trusted reverse proxy in front.
* With users, every request needs a session: pages redirect to the login page and Dash's
  JSON endpoints (`/_dash-*`) answer 401. A `default_role` then caps what any logged-in
  user sees (a police officer logging in on the BRÅ meeting screen still sees `bra`).
* Sessions live in server memory (a restart logs everybody out); the cookie holds only a
  signed random id: HttpOnly, SameSite=Lax, Secure over HTTPS; idle timeout and a
  maximum age. A changed password or role, or a removed user, ends open sessions.
* CSRF: a per-session token in the `_csrf_token` cookie, which Dash's renderer sends back
  as the `X-CSRFToken` header on its POSTs (dash-renderer reads exactly that cookie); the
  server compares it with the session's copy. The login form carries its own token.
* Security headers on every response, with a Content-Security-Policy that fits Dash 4
  (no 'unsafe-eval'; inline scripts allowed only by hash via `app.csp_hashes()`).
* Logins, failed logins and logouts go to the audit log.
* Host names: a server without users answers only to loopback names (and `allowed_hosts`):
  another site's page reaching it through DNS rebinding gets 421, never data.
* Failed logins slow down, they never lock out (`LoginBackoff`): per user name and address,
  and more generously per address; behind a reverse proxy `trusted_proxies` says how many
  X-Forwarded-For entries are the proxies' own (werkzeug's ProxyFix).
* Users added to the data file of a running server turn login on within seconds.
* Presentation mode: a role with exact data may narrow its own view (`/view-as`, a session
  ceiling) so a shared screen shows the `bra` view; every callback gets the narrower role.
"""

from __future__ import annotations

import datetime as dt
import hmac
import html
import ipaddress
import math
import os
import secrets
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import dash
import flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from layers.audit import AuditLog
from layers.privacy import ADMIN, ALLMANHET, BRA, POLIS, ROLES, Policy, PrivacySettings, policy
from layers.users import LOGIN_FAILED, UserStore, has_users

CSRF_COOKIE = "_csrf_token"  # the name dash-renderer reads
CSRF_HEADER = "X-CSRFToken"  # the header dash-renderer sends
SESSION_COOKIE = "trygghetskarta_session"
LOCAL_USER = "(lokal)"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The session key of the view ceiling a user chose for this browser (presentation mode).
VIEW_AS = "view_as"
#: The answer to a Host header this server does not serve (plain text, both languages).
HOST_REFUSED = (
    "421 Misdirected Request: den här servern svarar bara på localhost och på namn som getts "
    "med --allowed-host.\n"
    "421 Misdirected Request: this server answers only to localhost and to names given with "
    "--allowed-host.\n"
)
#: Fewer rights first: a cap never raises a role.
_RANK = {ADMIN: 0, POLIS: 1, BRA: 2, ALLMANHET: 3}


class AuthError(RuntimeError):
    """The server cannot be started this way (e.g. a public address without users)."""


def narrower_role(a: str, b: str) -> str:
    """The role that shows less of the two."""
    return a if _RANK[a] >= _RANK[b] else b


def is_loopback(host: str) -> bool:
    host = (host or "").strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(host: str) -> str | None:
    """The name in a Host header, lower case, without port or brackets ('[::1]:8050' ->
    '::1'); None when it is malformed (a port that is not a number, a lone '[')."""
    value = (host or "").strip().lower()
    if value.startswith("["):
        end = value.find("]")
        rest = value[end + 1:]
        if end < 0 or (rest and not (rest[:1] == ":" and rest[1:].isdigit())):
            return None
        return value[1:end] or None
    if value.count(":") > 1:  # a bare IPv6 address
        return value
    name, sep, port = value.partition(":")
    if sep and not port.isdigit():
        return None
    return name.rstrip(".") or None


def allowed_host_names(names: Iterable[str]) -> tuple[str, ...]:
    """`serve --allowed-host` values as comparable names (a port given with one is ignored)."""
    found = []
    for raw in names:
        name = host_name(raw)
        if not name or "/" in name or " " in name:
            raise AuthError(f"--allowed-host {raw!r} is not a host name (e.g. karta.kommun.se)")
        found.append(name)
    return tuple(dict.fromkeys(found))


def host_allowed(host: str, allowed: Iterable[str] = ()) -> bool:
    """Whether a request's Host header names this server: localhost, a loopback address
    (any port), or one of `allowed`. A page on another name that reached us (DNS rebinding)
    carries its own name here, which the browser sets and a script cannot change."""
    name = host_name(host)
    return name is not None and (is_loopback(name) or name in set(allowed))


def check_bind(host: str, store, data_path: str | None = None) -> None:
    """Refuse to listen on a non-loopback address while the data file has no users."""
    if is_loopback(host) or has_users(store):
        return
    path = data_path or str(getattr(store, "path", "PATH"))
    raise AuthError(
        f"refusing to listen on {host} without users: anyone on the network would see "
        f"exact data. Add a user first (trygghetskarta user add NAME --role ROLE --data {path}) "
        "or listen on 127.0.0.1 only."
    )


def check_proxy(trusted_proxies: int, store, data_path: str | None = None) -> None:
    """Refuse `--trusted-proxy` while the data file has no users: a reverse proxy in front
    makes the server public just as a public address would, and there is no login."""
    if not trusted_proxies or has_users(store):
        return
    path = data_path or str(getattr(store, "path", "PATH"))
    raise AuthError(
        "refusing --trusted-proxy without users: everyone reaching the proxy would see exact "
        f"data. Add a user first (trygghetskarta user add NAME --role ROLE --data {path})."
    )


# -- sessions -----------------------------------------------------------------------------

@dataclass
class Session:
    user: str
    role: str
    generation: int
    created: float
    last_seen: float
    csrf: str
    checked: float = 0.0
    seen_views: set = field(default_factory=set)


class SessionRegistry:
    """Logged-in sessions in memory, by random id."""

    def __init__(self):
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, session: Session) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[sid] = session
        return sid

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            return self._sessions.get(sid)

    def drop(self, sid: str | None) -> Session | None:
        with self._lock:
            return self._sessions.pop(sid, None) if sid else None

    def prune(self, alive) -> list[Session]:
        with self._lock:
            dead = [sid for sid, s in self._sessions.items() if not alive(s)]
            return [self._sessions.pop(sid) for sid in dead]

    def __len__(self) -> int:
        return len(self._sessions)


class _SessionInterface(SecureCookieSessionInterface):
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


# -- login backoff ------------------------------------------------------------------------------

@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


class LoginBackoff:
    """Failed logins slow down; they never lock anyone out.

    Two counters per attempt: the (user name, address) pair and the address alone. After
    `free` failures of a pair the next attempt from that pair must wait `base_s`, then twice
    as long after each further failure, at most `cap_s`; the address alone gets the same
    curve after `address_free` failures (many names tried from one place), capped at
    `address_cap_s`. So an attacker guessing one account's password from one address gets
    one try per `cap_s`, while the owner logging in from elsewhere is not slowed at all, and
    someone behind the attacker's address waits at most `address_cap_s`.

    `begin` counts the attempt as failed *before* the password check (so parallel attempts
    cannot all pass one free slot) and `succeeded` takes it back. An attempt refused for
    waiting is not counted: trying too early never pushes the wait further. Counters are
    forgotten `forget_s` after their last failure. Nothing sleeps: a refused attempt is
    answered at once with the seconds to wait.
    """

    def __init__(self, *, free: int = 3, base_s: float = 1.0, cap_s: float = 120.0,
                 address_free: int = 30, address_cap_s: float = 30.0, forget_s: float = 3600.0,
                 clock=time.monotonic, max_keys: int = 100_000):
        self.free, self.base_s, self.cap_s = free, base_s, cap_s
        self.address_free, self.address_cap_s = address_free, address_cap_s
        self.forget_s = forget_s
        self.clock = clock
        self.max_keys = max_keys
        self._failures: dict[tuple, _Failures] = {}
        self._lock = threading.Lock()

    def delay(self, count: int, free: int, cap: float) -> float:
        """The wait after `count` failures: none for the first `free`, then doubling."""
        if count < free:
            return 0.0
        return min(self.base_s * 2.0 ** (count - free), cap)

    def _keys(self, name: str, address: str | None) -> list[tuple[tuple, int, float]]:
        user = (name or "").strip().lower()[:200]
        address = address or ""
        return [(("pair", user, address), self.free, self.cap_s),
                (("addr", address), self.address_free, self.address_cap_s)]

    def _get(self, key, now) -> _Failures:
        entry = self._failures.get(key)
        if entry is not None and now - entry.last >= self.forget_s:
            del self._failures[key]
            entry = None
        return entry or _Failures()

    def wait(self, name: str, address: str | None = None) -> float:
        """Seconds until the next attempt for this name from this address may be checked."""
        now = self.clock()
        with self._lock:
            return self._wait(name, address, now)

    def _wait(self, name, address, now) -> float:
        waits = [0.0]
        for key, free, cap in self._keys(name, address):
            entry = self._get(key, now)
            waits.append(entry.last + self.delay(entry.count, free, cap) - now)
        return max(waits)

    def begin(self, name: str, address: str | None = None) -> float:
        """0 when this attempt may check the password (it is counted as failed until
        `succeeded`), else the seconds to wait (the attempt is not counted)."""
        now = self.clock()
        with self._lock:
            wait = self._wait(name, address, now)
            if wait > 0:
                return wait
            if len(self._failures) >= self.max_keys:
                self._prune(now)
            for key, _, _ in self._keys(name, address):
                entry = self._get(key, now)
                entry.count += 1
                entry.last = now
                self._failures[key] = entry
            return 0.0

    def succeeded(self, name: str, address: str | None = None) -> None:
        """The password was right: the pair starts afresh and the attempt is no failure of
        the address (its earlier failures stay)."""
        with self._lock:
            pair, addr = (key for key, _, _ in self._keys(name, address))
            self._failures.pop(pair, None)
            entry = self._failures.get(addr)
            if entry is not None:
                entry.count = max(0, entry.count - 1)

    def _prune(self, now: float) -> None:
        for key in [k for k, e in self._failures.items() if now - e.last >= self.forget_s]:
            del self._failures[key]
        if len(self._failures) >= self.max_keys:  # still full: forget the oldest half
            oldest = sorted(self._failures, key=lambda k: self._failures[k].last)
            for key in oldest[: len(oldest) // 2]:
                del self._failures[key]


def wait_message(seconds: float, lang: str = "sv") -> str:
    """'… Försök igen om 4 s.': the same for every name, existing or not."""
    n = max(1, math.ceil(seconds))
    if lang == "en":
        return f"Too many failed logins. Try again in {n} s."
    return f"För många misslyckade inloggningar. Försök igen om {n} s."


# -- content security policy ----------------------------------------------------------------

def content_security_policy(script_hashes: Iterable[str] = (), extra_sources: Iterable[str] = ()
                            ) -> str:
    """A CSP for Dash 4 + Plotly (MapLibre maps): scripts only from 'self' plus hashes of
    Dash's inline scripts; no 'unsafe-eval'. Inline styles are allowed because Plotly and
    React set them. `extra_sources` are origins for map tiles (e.g. OpenStreetMap)."""
    extra = " ".join(extra_sources)
    hashes = " ".join(f"'{h}'" if not h.startswith("'") else h for h in script_hashes)
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' {hashes}".strip(),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: blob: {extra}".strip(),
        "font-src": "'self' data:",
        "connect-src": f"'self' {extra}".strip(),
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


# -- login page -------------------------------------------------------------------------------

_TEXT = {
    "sv": {
        "title": "Logga in – Trygghetskarta", "heading": "Trygghetskarta", "user": "Användarnamn",
        "password": "Lösenord", "submit": "Logga in", "other": "English", "other_lang": "en",
        "lead": "Logga in för att se kartan.", "expired": "Sessionen har gått ut. Logga in igen.",
        "logged_out": "Du är utloggad.", "csrf": "Formuläret hade gått ut. Försök igen.",
        "logout_title": "Logga ut – Trygghetskarta", "logout_lead": "Vill du logga ut?",
        "logout": "Logga ut", "cancel": "Tillbaka till kartan",
    },
    "en": {
        "title": "Log in – Trygghetskarta", "heading": "Trygghetskarta", "user": "User name",
        "password": "Password", "submit": "Log in", "other": "Svenska", "other_lang": "sv",
        "lead": "Log in to see the map.", "expired": "Your session has expired. Please log in.",
        "logged_out": "You are logged out.", "csrf": "The form had expired. Please try again.",
        "logout_title": "Log out – Trygghetskarta", "logout_lead": "Do you want to log out?",
        "logout": "Log out", "cancel": "Back to the map",
    },
}

_SHELL = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }}
main {{ max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem;
        border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
label {{ display: block; margin-top: 1rem; font-weight: 600; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; padding: .5rem;
        font-size: 1rem; margin-top: .25rem; }}
button {{ margin-top: 1.5rem; padding: .6rem 1.2rem; font-size: 1rem; }}
.msg {{ background: #fdecea; color: #611a15; padding: .6rem; border-radius: 4px; }}
.info {{ background: #e8f0fe; color: #1a3e72; padding: .6rem; border-radius: 4px; }}
.lang {{ float: right; font-size: .9rem; }}
</style>
</head>
<body>
<main>
{main}
</main>
</body>
</html>
"""

_LOGIN = """<a class="lang" href="{other_href}" lang="{other_lang}">{other}</a>
<h1>{heading}</h1>
<p>{lead}</p>
{message}
<form method="post" action="{action}" autocomplete="on">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<input type="hidden" name="lang" value="{lang}">
<label for="username">{user}</label>
<input type="text" id="username" name="username" value="{username}" autocomplete="username"
 autocapitalize="none" spellcheck="false" required autofocus>
<label for="password">{password}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">{submit}</button>
</form>"""

#: GET /logout only asks: a link or an <img> on another site must not log anyone out.
_LOGOUT = """<h1>{heading}</h1>
<p>{lead}</p>
<form method="post" action="{action}">
<input type="hidden" name="csrf_token" value="{csrf}">
<input type="hidden" name="lang" value="{lang}">
<button type="submit" id="logout-confirm">{logout}</button>
</form>
<p><a href="{home}">{cancel}</a></p>"""


def render_login_page(lang: str, action: str, csrf: str, next_url: str, message: str = "",
                      kind: str = "msg", username: str = "") -> str:
    """The login page; every value is HTML-escaped."""
    lang = "en" if lang == "en" else "sv"
    text = _TEXT[lang]
    esc = html.escape
    query = f"?lang={text['other_lang']}"
    if next_url:
        from urllib.parse import quote

        query += f"&next={quote(next_url, safe='/')}"
    main = _LOGIN.format(
        lang=lang, heading=esc(text["heading"]), lead=esc(text["lead"]),
        user=esc(text["user"]), password=esc(text["password"]), submit=esc(text["submit"]),
        other=esc(text["other"]), other_lang=text["other_lang"],
        other_href=esc(action + query), action=esc(action), csrf=esc(csrf),
        next=esc(next_url), username=esc(username),
        message=f'<p class="{kind}" role="alert">{esc(message)}</p>' if message else "",
    )
    return _SHELL.format(lang=lang, title=esc(text["title"]), main=main)


def render_logout_page(lang: str, action: str, csrf: str, home: str) -> str:
    """The confirmation a GET /logout gets: a button that POSTs with the CSRF token."""
    lang = "en" if lang == "en" else "sv"
    text = _TEXT[lang]
    esc = html.escape
    main = _LOGOUT.format(heading=esc(text["heading"]), lead=esc(text["logout_lead"]),
                          action=esc(action), csrf=esc(csrf), lang=lang,
                          logout=esc(text["logout"]), home=esc(home), cancel=esc(text["cancel"]))
    return _SHELL.format(lang=lang, title=esc(text["logout_title"]), main=main)


# -- the installed auth -------------------------------------------------------------------------

class Auth:
    """What `install_auth` returns; also at `app.server.extensions['trygghetskarta_auth']`."""

    def __init__(self, app: dash.Dash, store, *, default_role: str | None,
                 session_timeout_min: float, secure_cookies: bool | None, users: UserStore | None,
                 audit: AuditLog | None, limiter: LoginBackoff | None, max_session_hours: float,
                 extra_sources: Iterable[str], settings: PrivacySettings | None,
                 allowed_hosts: Iterable[str] = (), clock=time.time, users_recheck_s: float = 2.0):
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
        self.limiter = limiter or LoginBackoff(clock=clock)
        self.session_timeout_min = float(session_timeout_min)
        self.timeout_s = float(session_timeout_min) * 60
        self.max_age_s = float(max_session_hours) * 3600
        self.secure_cookies = secure_cookies
        self.extra_sources = tuple(extra_sources)
        self.allowed_hosts = allowed_host_names(allowed_hosts)
        self.settings = settings
        self.sessions = SessionRegistry()
        self.recheck_s = 30.0
        prefix = app.config.routes_pathname_prefix or "/"
        self.prefix = prefix
        self.login_path = prefix + "login"
        self.logout_path = prefix + "logout"
        self.view_as_path = prefix + "view-as"
        request_prefix = app.config.requests_pathname_prefix or prefix
        self.login_url = request_prefix + "login"
        self.logout_url = request_prefix + "logout"
        self.view_as_url = request_prefix + "view-as"
        self.home_url = request_prefix
        #: Plain HTML forms (not dash-renderer) post here with the token as a form field.
        self._form_paths = frozenset({self.logout_path, self.view_as_path})
        #: GET paths answered without identifying the request (`quiet_path`): a page asking
        #: in the background must not keep its session alive.
        self._quiet_paths: set[str] = set()
        self._csp_cache: tuple[int, str] | None = None
        self._local_seen: set[str] = set()

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
            self.sessions.drop(sid)
            self._log("logout", s.user, s.role, {"reason": "expired"})
            return "", "", None, "expired"
        if now - s.checked >= self.recheck_s:
            user = self.users.get(s.user)
            if user is None or user.generation != s.generation:
                self.sessions.drop(sid)
                self._log("logout", s.user, s.role, {"reason": "user changed or removed"})
                return "", "", None, "expired"
            s.checked = now
        s.last_seen = now
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
        return None

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
            if flask.request.is_secure:
                headers["Strict-Transport-Security"] = "max-age=31536000"
            if (self._is_api(path) and not self._is_static(path)) or \
                    path in (self.login_path, self.logout_path) or response.mimetype == "text/html":
                headers["Cache-Control"] = "no-store"
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
            message = _TEXT[lang][note] if note else ""
            return self._page(lang, token, next_url, message, "info")
        sent = req.form.get("csrf_token", "")
        expected = flask.session.get("login_csrf", "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return self._page(lang, self._login_csrf(), next_url, _TEXT[lang]["csrf"], "msg", 400)
        name = req.form.get("username", "")[:200]
        password = req.form.get("password", "")
        address = req.remote_addr
        # The attempt is reserved (counted) before the slow password check, under the
        # limiter's lock: parallel guesses cannot all use the same free slot.
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
        self.sessions.prune(lambda s: self._session_alive(s, now))
        sid = self.sessions.create(Session(
            user=user.name, role=user.role, generation=user.generation, created=now,
            last_seen=now, csrf=secrets.token_urlsafe(32), checked=now,
        ))
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
        sid = flask.session.get("sid")
        sess = self.sessions.drop(sid)
        if sess is not None:
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
        if role and role not in ROLES:
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
        import json

        key = json.dumps(detail, sort_keys=True, default=str)
        sess = getattr(flask.g, "tk_session", None)
        seen = sess.seen_views if sess is not None else self._local_seen
        if key in seen:
            return False
        seen.add(key)
        self._log("view_sensitive", self.current_user(), self.current_role(), detail)
        return True

    def banner(self, host: str, port: int, lang: str = "sv") -> str:
        """One line for the console when the server starts."""
        if self.login_required:
            cap = f", högst rollen {self.default_role}" if self.default_role else ""
            if lang == "en":
                cap = f", at most role {self.default_role}" if self.default_role else ""
                return f"Login required ({len(self.users.list())} users{cap})."
            return f"Inloggning krävs ({len(self.users.list())} användare{cap})."
        role = self.fixed_role
        if lang == "en":
            return (f"No users configured: no login, everyone on http://{host}:{port}/ is role "
                    f"'{role}' (single-user mode, local address only).")
        return (f"Inga användare: ingen inloggning, alla på http://{host}:{port}/ har rollen "
                f"'{role}' (enanvändarläge, endast lokal adress).")

    def host_hint(self, host: str, trusted_proxies: int = 0) -> str:
        """A console hint when the server answers to any host name: with users, listening
        publicly or behind a proxy, and no --allowed-host. '' when there is nothing to say."""
        if not self.login_required:
            if not self.allowed_hosts:
                return ""
            return ("Obs: utan användare finns ingen inloggning. Namnen i --allowed-host ska "
                    "leda till den här datorn, inte till en proxy som andra når.")
        if self.allowed_hosts:
            return ""
        if is_loopback(host) and not trusted_proxies:
            return ""
        return ("Tips: servern svarar på alla värdnamn (inloggningen skyddar data). Ange "
                "--allowed-host NAMN (t.ex. --allowed-host karta.kommun.se) så svarar den bara "
                "på det namnet (421 för andra); se docs/sakerhet.md.")


def install_auth(app: dash.Dash, store, *, default_role: str | None = None,
                 session_timeout_min: float = 60, secure_cookies: bool | None = None,
                 users: UserStore | None = None, audit: AuditLog | None = None,
                 limiter: LoginBackoff | None = None, secret_key: bytes | str | None = None,
                 max_session_hours: float = 12, extra_sources: Iterable[str] = (),
                 settings: PrivacySettings | None = None, allowed_hosts: Iterable[str] = (),
                 trusted_proxies: int = 0, clock=time.time,
                 users_recheck_s: float = 2.0) -> Auth:
    """Put login, roles, security headers and CSRF protection in front of a Dash app.

    `default_role`: the role when the data file has no users (None: 'polis'); with users
    it caps every logged-in user's role. `secure_cookies`: None sets Secure when the
    request came over HTTPS. `extra_sources`: origins of map tiles for the CSP.
    `allowed_hosts`: host names served besides localhost (always checked when given;
    without users only loopback names and these are served). `trusted_proxies`: how many
    reverse proxies in front add X-Forwarded-For / X-Forwarded-Proto (0: none, the socket
    address is the client's).
    """
    server: flask.Flask = app.server
    auth = Auth(
        app, store, default_role=default_role, session_timeout_min=session_timeout_min,
        secure_cookies=secure_cookies, users=users, audit=audit, limiter=limiter,
        max_session_hours=max_session_hours, extra_sources=extra_sources, settings=settings,
        allowed_hosts=allowed_hosts, clock=clock, users_recheck_s=users_recheck_s,
    )
    if trusted_proxies:
        # Only the client address and the scheme: X-Forwarded-Host is not trusted (a proxy
        # that does not set it would pass a client's own value); the proxy must keep Host.
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=trusted_proxies,
                                   x_proto=trusted_proxies, x_host=0, x_port=0, x_prefix=0)
    if secret_key is not None:
        server.secret_key = secret_key
    elif not server.secret_key:
        server.secret_key = os.environ.get("TRYGGHETSKARTA_SECRET_KEY") or secrets.token_bytes(32)
    server.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(
            minutes=max(session_timeout_min, 1) if auth.login_required else 24 * 60
        ),
    )
    server.session_interface = _SessionInterface(secure_cookies)
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
