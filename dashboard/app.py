"""Build the Dash app for one store: data loaded once, layout, callbacks, offline assets."""

from __future__ import annotations

import datetime as dt
import sys
import urllib.request
from collections.abc import Callable
from importlib import resources

import dash

from layers import Store

from . import callbacks
from . import data as app_data
from .filters import default_state
from .i18n import t
from .layout import build_layout, kommun_title


def create_app(store: Store, *, basemap: bool = False, today: Callable[[], dt.date] | None = None,
               data: app_data.AppData | None = None) -> dash.Dash:
    """A ready Dash app on `store`; `today` is injectable so tests see a fixed date."""
    today = today or dt.date.today
    if basemap and not tiles_reachable():
        # A tile layer that cannot load stops Plotly from sending selection and click events
        # to Dash (plotly/dash#2705): without a network the plain offline map is the safe one.
        print("Map tiles are unreachable: using the offline map.", file=sys.stderr)
        basemap = False
    data = data or app_data.load(store)
    assets = str(resources.files("dashboard").joinpath("assets"))
    app = dash.Dash(
        __name__,
        title=f"Trygghetskarta – {kommun_title(data.municipality.name, 'sv')}",
        assets_folder=assets,
        serve_locally=True,
        update_title=None,
    )
    initial = default_state(data)
    app.layout = build_layout(data, initial)
    app._trygghetskarta = {"data": data, "views": callbacks.register(app, data, today, basemap)}
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
