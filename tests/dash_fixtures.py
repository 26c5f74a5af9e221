"""A small hand-made store and app data for dashboard tests (exact counts are known)."""

import datetime as dt

import geopandas as gpd

from dashboard.data import load
from layers import GeoPackageStore
from tests.helpers import SKILLINGARYD, VAGGERYD, activity, report, reports_frame

TODAY = dt.date(2026, 11, 27)
HOK = (456551, 6374851)


def small_store(path):
    """12 reports and 6 activities in Skillingaryd, Vaggeryd and Hok (all times +01:00 or +02:00)."""
    rows = [
        # Skillingaryd: 5 unsafe-place reports on Friday evenings, 2 narcotics tips on Saturday nights.
        *[report(i, when=f"2026-11-{6 + 7 * (i % 3):02d}T2{i % 3}:15:00+01:00") for i in range(5)],
        report(5, layer="narkotika", focus="narkotika", when="2026-11-07T23:40:00+01:00"),
        report(6, layer="narkotika", focus="narkotika", when="2026-10-03T22:10:00+02:00"),
        # Vaggeryd: 3 speed complaints on Monday mornings, one resolved.
        report(7, layer="hastighet", focus="trafik", at=VAGGERYD, when="2026-11-02T07:45:00+01:00"),
        report(8, layer="hastighet", focus="trafik", at=VAGGERYD, when="2026-11-09T07:30:00+01:00"),
        report(9, layer="hastighet", focus="trafik", at=VAGGERYD, when="2026-05-04T08:10:00+02:00",
               status="åtgärdad"),
        # Hok: 2 unsafe places, a year ago.
        report(10, at=HOK, when="2025-11-20T19:00:00+01:00"),
        report(11, at=HOK, when="2025-12-20T19:00:00+01:00"),
    ]
    acts = [
        activity(1, at=SKILLINGARYD),
        activity(2, at=SKILLINGARYD, actor="gemensam", kind="trygghetsvandring"),
        activity(3, at=SKILLINGARYD, status="planerad", planned="2026-12-05T19:00:00+01:00"),
        activity(4, focus="trafik", kind="hastighetskontroll", at=VAGGERYD,
                 planned="2026-11-10T07:00:00+01:00", done="2026-11-10T09:00:00+01:00"),
        activity(5, focus="narkotika", actor="kommun", kind="informationsinsats", at=VAGGERYD,
                 planned="2026-11-11T10:00:00+01:00", done="2026-11-11T11:00:00+01:00"),
        activity(6, kind="EST-möte", actor="gemensam", at=None, planned="2026-11-12T09:00:00+01:00",
                 done="2026-11-12T10:00:00+01:00"),
    ]
    store = GeoPackageStore.create(path)
    store.add_reports(reports_frame(rows))
    store.add_activities(gpd.GeoDataFrame(acts, geometry="geometry", crs="EPSG:3006"))
    return store


def small_data(path):
    return load(small_store(path))


def callback(app, name):
    """The undecorated function of the server callback called `name` (clientside ones have none)."""
    for entry in app.callback_map.values():
        fn = entry.get("callback")
        if fn is not None and fn.__name__ == name:
            return fn.__wrapped__
    raise KeyError(name)


def call(fn, prop_id, *args):
    """Run a callback function as Dash would when `prop_id` triggered it."""
    from contextvars import copy_context

    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": None}]))
        return fn(*args)

    return copy_context().run(run)
