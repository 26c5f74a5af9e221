"""Build the Dash app for one store: data loaded once, layout, callbacks, offline assets;
and how `serve` runs it (waitress settings that fit browsers, response compression)."""

from __future__ import annotations

import datetime as dt
import gzip
import sys
import threading
import urllib.request
from collections.abc import Callable
from importlib import resources

import dash
import flask

from layers import Store

from . import a11y, callbacks, gates
from . import data as app_data
from .auth import install_auth
from .basemap import Basemap, UpstreamDown, parse_basemap
from .basemap import install_routes as install_basemap_routes
from .callbacks_edit import register_edit
from .callbacks_present import register_present
from .callbacks_report import register_report
from .callbacks_session import register_session
from .filters import FilterState, default_state, from_query
from .i18n import LANGUAGES, lang_or_default, t
from .layout import build_layout, kommun_title
from .uppfoljning import install_uppfoljning


class Dash(dash.Dash):
    """dash.Dash without the server's Python version in the page: Dash puts `sys.version`
    into the `_dash-config` JSON of every page, for its dev tools only, which we never turn
    on in production. (Package versions in the asset URLs stay: they are the cache keys.)"""

    #: The page title per language (set by create_app).
    titles: dict[str, str] = {}

    def _config(self):
        config = super()._config()
        config.pop("python_version", None)
        return config

    def interpolate_index(self, **kwargs):
        """The page in the language its address asks for (`?lang=en`): `<html lang>` (a screen
        reader picks its voice from it before any script runs) and the title; the language
        switch changes both later in the browser (dashboard.a11y)."""
        lang = request_language()
        kwargs["title"] = self.titles.get(lang, kwargs.get("title", ""))
        return super().interpolate_index(**kwargs).replace("<html>", f'<html lang="{lang}">', 1)


def request_state(default: FilterState, data: app_data.AppData) -> FilterState:
    """The filters this request's address names (`?lang=en&present=1&t=…`), as the page's own
    callbacks read them from the address; `default` without a query or outside a request."""
    if not flask.has_request_context() or not flask.request.query_string:
        return default
    return from_query(flask.request.query_string.decode("utf-8", "replace"), default, data)


def request_language() -> str:
    """The language this request's address asks for; Swedish without one (or outside a request)."""
    return lang_or_default(flask.request.args.get("lang")) if flask.has_request_context() else "sv"


def create_app(store: Store, *, basemap: bool | str | Basemap | None = False, today: Callable[[], dt.date] | None = None,
               data: app_data.AppData | None = None, role: str | None = None,
               now: Callable[[], dt.datetime] | None = None, compress: bool = False,
               session_poll_s: float = 15.0, **auth_options) -> dash.Dash:
    """A ready Dash app on `store`, behind login and roles (dashboard.auth).

    `role`: without users in the store, everyone's role (default polis, local use only);
    with users, the most any logged-in user sees here (`serve --role bra` for the BRÅ
    screen). `today` is injectable so tests see a fixed date; `auth_options` go to
    `install_auth` (session timeout, clock, …). `compress`: compress callback responses
    and static files for browsers that accept it (`serve` turns it on). `session_poll_s`:
    how often an open page asks whether the server restarted, its session ended or the data
    changed (dashboard.callbacks_session).
    """
    today = today or dt.date.today
    chosen = basemap if isinstance(basemap, Basemap) else parse_basemap(basemap)
    if chosen is not None and not basemap_reachable(chosen):
        # A tile layer that cannot load stops Plotly from sending selection and click events
        # to Dash (plotly/dash#2705): without a network the plain offline map is the safe one.
        print("Map tiles are unreachable: using the offline map.", file=sys.stderr)
        chosen = None
    data = data or app_data.load(store)
    assets = str(resources.files("dashboard").joinpath("assets"))
    app = Dash(
        __name__,
        title=f"Trygghetskarta – {kommun_title(data.municipality.name, 'sv')}",
        assets_folder=assets,
        serve_locally=True,
        update_title=None,
    )
    from .figures import OSM_TILES

    auth = install_auth(app, store, default_role=role, settings=data.config.privacy,
                        extra_sources=("https://tile.openstreetmap.org",) if chosen is not None
                        and chosen.kind == "osm" else (), **auth_options)
    if chosen is not None and chosen.served:
        install_basemap_routes(app.server, chosen, app.config.routes_pathname_prefix or "/")
    basemap = chosen.source(app.config.requests_pathname_prefix or "/") if chosen is not None else None

    def request_role() -> str:
        if flask.has_request_context():
            return auth.current_role()
        if auth.login_required:
            raise PermissionError("no role outside a request")
        return auth.fixed_role  # tests and benchmarks call callbacks directly

    def sensitive_view(detail: dict) -> None:
        if flask.has_request_context():
            auth.audit_view_sensitive(detail)

    def audit(event: str, detail: dict) -> None:
        if flask.has_request_context():
            auth.audit_event(event, detail)

    views = callbacks.register(app, data, today, basemap, role=request_role, on_sensitive_view=sensitive_view,
                               store=store)
    register_edit(app, store, views, today, now=now, audit=audit)
    register_present(app, auth.home_url)
    session = register_session(app, auth, views, poll_s=session_poll_s)
    install_uppfoljning(app, auth, views)
    from .rapportera import install_rapportera

    install_rapportera(app, auth, store)  # the residents' report form and status page, open without login
    from .est_page import install_est

    install_est(app, auth, store)  # the EST reporter's form /est and the week view /est/vecka
    from .callbacks_analysis import register_analysis

    register_analysis(app, views, basemap)  # indicator cards, hot spots (on the base map), playback
    from .near_repeat_view import register_near_repeat

    register_near_repeat(app, views)  # near repeat in the planning panel, police only
    register_report(app, store, views, today)  # "Skriv ut lägesbild": the report as a background job
    from .callbacks_moderation import register_moderation

    register_moderation(app, store, views)  # the moderation queue: polis, admin, moderator (issue 14)
    gates.register(app)  # which panels a filter change asks the server for (only those that can show it)
    a11y.register(app)  # <html lang> and date texts follow the language; the charts' tables
    if compress:
        install_compression(app.server, app.config.routes_pathname_prefix or "/")
    initial = default_state(data)

    def page():
        # Per request: each role gets its own controls. Before the role is known (Dash
        # validating the callbacks at start-up, which runs ahead of the login check) the full
        # page: it holds controls and labels, never data. The page's own forms (logout, the
        # presentation switch) get this request's CSRF token; the logout button appears as
        # soon as login is on, also when users were added while the server runs.
        # The page's address comes along (assets/layout-query.js): the layout is built in its
        # language and state, so no first round-trip rewrites every text and control.
        known = flask.has_request_context() and getattr(flask.g, "tk_role", "")
        policy = views.policy() if known else None
        return build_layout(data, request_state(initial, data), policy=policy, today=today(),
                            session=session.page_settings(), **auth.page_forms())

    app.layout = page
    app._trygghetskarta = {"data": data, "views": views, "auth": auth, "tiles": OSM_TILES, "session": session,
                           "basemap": chosen}
    app.titles = {lang: f"Trygghetskarta – {kommun_title(data.municipality.name, lang)}" for lang in LANGUAGES}
    return app


def basemap_reachable(basemap: Basemap) -> bool:
    """Whether the base map's tiles can be had: a local file always, a proxy if its upstream
    gives a tile now, OpenStreetMap if it answers from here."""
    if basemap.kind == "osm":
        return tiles_reachable()
    if basemap.kind == "lantmateriet":
        try:
            basemap.tiles.tile(0, 0, 0)
        except UpstreamDown:
            return False
    return True


def tiles_reachable(timeout_s: float = 2.0) -> bool:
    """Whether the OpenStreetMap tile server answers from here (one small tile, short timeout)."""
    from .figures import OSM_TILES

    url = OSM_TILES.format(z=0, x=0, y=0)
    request = urllib.request.Request(url, headers={"User-Agent": "trygghetskarta (tile check)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


# -- serving ------------------------------------------------------------------------------------

#: What `serve` used before issue 10: its own 8 threads, the rest waitress's defaults. A
#: Chromium page keeps 6 keep-alive connections open for minutes, so 100 connections filled
#: up at about the 16th viewer and new page loads waited for an idle one to time out (120 s).
OLD_SERVING = {"threads": 8, "connection_limit": 100, "channel_timeout": 120, "backlog": 1024}
#: The defaults since (bench/bench_load.py measures both): room for ~160 pages of 6
#: connections, idle ones closed after a minute (a browser reopens one in a millisecond on
#: loopback or a LAN), the kernel's accept queue as waitress has it.
SERVING = {"threads": 8, "connection_limit": 1000, "channel_timeout": 60, "backlog": 1024}
#: File descriptors the server needs besides its connections (data file, logs, pipes).
SPARE_FDS = 64


def open_files_limit(wanted: int) -> int:
    """Raise this process's soft limit on open files towards `wanted` (never above the hard
    limit) and return the limit in force; on systems without `resource` (Windows) `wanted`."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):  # pragma: no cover - a container that forbids it
            pass
    return wanted if soft == resource.RLIM_INFINITY else soft


def waitress_options(threads: int, connection_limit: int, channel_timeout: int, backlog: int) -> dict:
    """waitress keyword arguments for these settings. Each connection is a file descriptor:
    the process's open-files limit is raised to fit, and where it cannot be the connection
    limit is lowered to what fits (`clamped` says so). poll() instead of select(), which
    cannot watch descriptors above 1023. Idle connections are looked at every few seconds,
    so one is closed within a quarter of `channel_timeout` after it timed out."""
    limit = open_files_limit(connection_limit + SPARE_FDS)
    usable = max(1, min(connection_limit, limit - SPARE_FDS))
    return {
        "threads": threads, "connection_limit": usable, "channel_timeout": channel_timeout,
        "cleanup_interval": max(1, min(30, channel_timeout // 4)), "backlog": backlog,
        "asyncore_use_poll": True, "clamped": usable < connection_limit,
    }


#: Browsers' encodings in our order of preference: zstd is the fastest for the same size.
ENCODINGS = ("zstd", "br", "gzip")
#: Static files are compressed once per encoding and kept: a slower, smaller setting pays.
STATIC_LEVELS = {"zstd": 10, "br": 9, "gzip": 9}
#: Static paths (no data in them): Dash's package files, the favicon and our assets.
STATIC_PREFIXES = ("_dash-component-suites/", "_favicon.ico", "assets/")
#: Dynamic responses compressed per request (the callbacks' JSON, the callback graph). Pages
#: and `_dash-layout` are not: they carry the CSRF token, and a page that also reflects
#: input (the login page's `next`) would let a network observer guess it by size (BREACH).
DYNAMIC_PATHS = ("_dash-update-component", "_dash-dependencies")


def _zstd():
    try:
        from compression import zstd  # Python 3.14
    except ImportError:
        from backports import zstd
    return zstd


def compress_bytes(data: bytes, encoding: str, level: int) -> bytes:
    if encoding == "zstd":
        return _zstd().compress(data, level)
    if encoding == "br":
        import brotli

        return brotli.compress(data, quality=level)
    return gzip.compress(data, compresslevel=level, mtime=0)


class Compression:
    """Response compression for browsers that accept zstd, brotli or gzip.

    Callback responses (JSON, ~5x smaller) go through flask-compress per request, which
    costs ~0.1 ms per response; Dash's package files and our assets (plotly.js is 4.8 MB,
    1.3 MB compressed) are compressed once per file and encoding on first request and kept,
    one thread compressing while the others asking for the same file wait for it. Nothing
    else is compressed (see DYNAMIC_PATHS)."""

    def __init__(self, server: flask.Flask, prefix: str = "/"):
        from flask_compress import Compress

        server.config.setdefault("COMPRESS_REGISTER", False)
        server.config.setdefault("COMPRESS_ALGORITHM", list(ENCODINGS))
        server.config.setdefault("COMPRESS_MIMETYPES", ["application/json"])
        self.compress = Compress(server)
        self.prefix = prefix
        self._static: dict[tuple, bytes] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()

    def _relative(self, path: str) -> str:
        return path[len(self.prefix):] if path.startswith(self.prefix) else path.lstrip("/")

    def after_request(self, response: flask.Response) -> flask.Response:
        rest = self._relative(flask.request.path)
        if rest in DYNAMIC_PATHS:
            return self.compress.after_request(response)
        if rest.startswith(STATIC_PREFIXES) and flask.request.method == "GET":
            return self._static_response(response)
        return response

    def _encoding(self) -> str | None:
        accepted = flask.request.accept_encodings
        best = max(ENCODINGS, key=lambda e: (accepted.quality(e), -ENCODINGS.index(e)))
        return best if accepted.quality(best) > 0 else None

    def _static_response(self, response: flask.Response) -> flask.Response:
        vary = response.headers.get("Vary")
        if not vary:
            response.headers["Vary"] = "Accept-Encoding"
        elif "accept-encoding" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Accept-Encoding"
        encoding = self._encoding()
        if encoding is None or response.status_code != 200 or "Content-Encoding" in response.headers:
            return response
        response.direct_passthrough = False
        data = response.get_data()
        if len(data) < 500:
            return response
        etag, weak = response.get_etag()
        key = (flask.request.path, encoding, etag or len(data))
        response.set_data(self._compressed(key, data, encoding))
        response.headers["Content-Encoding"] = encoding
        if etag:
            response.set_etag(f"{etag}:{encoding}", weak=weak)
            response.make_conditional(flask.request)
        return response

    def _compressed(self, key: tuple, data: bytes, encoding: str) -> bytes:
        found = self._static.get(key)
        if found is not None:
            return found
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            found = self._static.get(key)
            if found is None:
                found = self._static[key] = compress_bytes(data, encoding, STATIC_LEVELS[encoding])
        return found


def install_compression(server: flask.Flask, prefix: str = "/") -> Compression:
    compression = Compression(server, prefix)
    server.after_request(compression.after_request)
    server.extensions["trygghetskarta_compression"] = compression
    return compression


__all__ = ["OLD_SERVING", "SERVING", "Compression", "create_app", "install_compression", "open_files_limit", "t",
           "tiles_reachable", "waitress_options"]
