"""Build the Dash app for one store: data loaded once, layout, callbacks, offline assets."""

from __future__ import annotations

import datetime as dt
import sys
import urllib.request
from collections.abc import Callable
from importlib import resources

import dash
import flask

from layers import Store

from . import callbacks
from . import data as app_data
from .auth import install_auth
from .callbacks_edit import register_edit
from .callbacks_present import register_present
from .filters import default_state
from .i18n import t
from .layout import build_layout, kommun_title


class Dash(dash.Dash):
    """dash.Dash without the server's Python version in the page: Dash puts `sys.version`
    into the `_dash-config` JSON of every page, for its dev tools only, which we never turn
    on in production. (Package versions in the asset URLs stay: they are the cache keys.)"""

    def _config(self):
        config = super()._config()
        config.pop("python_version", None)
        return config


def create_app(store: Store, *, basemap: bool = False, today: Callable[[], dt.date] | None = None,
               data: app_data.AppData | None = None, role: str | None = None,
               now: Callable[[], dt.datetime] | None = None, **auth_options) -> dash.Dash:
    """A ready Dash app on `store`, behind login and roles (dashboard.auth).

    `role`: without users in the store, everyone's role (default polis, local use only);
    with users, the most any logged-in user sees here (`serve --role bra` for the BRÅ
    screen). `today` is injectable so tests see a fixed date; `auth_options` go to
    `install_auth` (session timeout, clock, …).
    """
    today = today or dt.date.today
    if basemap and not tiles_reachable():
        # A tile layer that cannot load stops Plotly from sending selection and click events
        # to Dash (plotly/dash#2705): without a network the plain offline map is the safe one.
        print("Map tiles are unreachable: using the offline map.", file=sys.stderr)
        basemap = False
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
                        extra_sources=("https://tile.openstreetmap.org",) if basemap else (), **auth_options)

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
    initial = default_state(data)

    def page():
        # Per request: each role gets its own controls. Before the role is known (Dash
        # validating the callbacks at start-up, which runs ahead of the login check) the full
        # page: it holds controls and labels, never data. The page's own forms (logout, the
        # presentation switch) get this request's CSRF token; the logout button appears as
        # soon as login is on, also when users were added while the server runs.
        known = flask.has_request_context() and getattr(flask.g, "tk_role", "")
        policy = views.policy() if known else None
        return build_layout(data, initial, policy=policy, today=today(), **auth.page_forms())

    app.layout = page
    app._trygghetskarta = {"data": data, "views": views, "auth": auth, "tiles": OSM_TILES}
    app.index_string = app.index_string.replace("<html>", '<html lang="sv">')
    return app


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


__all__ = ["create_app", "t", "tiles_reachable"]
