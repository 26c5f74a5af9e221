"""The sweep harness: every answer the page gets for one filter store, from the callbacks found by output id.

`page` calls every server callback a filter store triggers (found by its OUTPUT ids, not function
names, so the sweep follows a callback that moves); `filters` and `click_state` build the filter
store as the page sends it; `diff_apps` is tests/privacy_harness.py's hand-made file as bra and
allmanhet (bound by name in each test module that uses it). Used by tests/test_privacy_sweep_*.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pytest

import tests.privacy_harness as D
from dashboard import gates
from dashboard.app import create_app
from geodata import cell_id, cell_index
from layers.store import open_store
from tests.dash_fixtures import call

K = D.K
FULL = os.environ.get("SWEEP_FULL") == "1"
TODAY = D.TODAY
WEEKDAYS_SV = ("Mån", "Tis", "Ons", "Tor", "Fre", "Lör", "Sön")

# -- the harness: every answer the page gets for one filter store ------------------------------------

#: Values of the inputs and states a render callback may read besides the filter store.
#: hs-layer.value None: the hotspot panel's first layer the role sees (what the page starts with).
_FIXED = {"view.data": None, "map.relayoutData": None, "fit-map.n_clicks": None, "promise-key.data": None,
          "effects-key.data": None, "hs-layer.value": None,
          # Open: the near-repeat section computes only then (a reduced role must still get nothing).
          "near-repeat.open": True,
          # Open: the hot-spot panel computes only then (what an opened panel answers the role).
          "hotspot-panel.open": True}


_GATED = {f"{gates.filters_for(panel)}.data" for panel in gates.GATED}


def _outputs(key: str) -> list[str]:
    """The output ids a callback_map key names ('..a.b...c.d..' or 'a.b', with '@hash' for duplicates)."""
    text = key
    parts = text[2:-2].split("...") if text.startswith("..") else [text]
    return [p.split("@")[0] for p in parts]


def _ids(items) -> list[str]:
    return [f"{i['id']}.{i['property']}" for i in items]


def _server_callbacks(app):
    """(output ids, callback_map entry, undecorated function) of every server callback."""
    return [(_outputs(k), e, e["callback"].__wrapped__) for k, e in app.callback_map.items() if "callback" in e]


def by_output(app, output: str):
    """The undecorated function of the server callback that has `output` among its outputs."""
    for names, _entry, fn in _server_callbacks(app):
        if output in names:
            return fn
    raise KeyError(output)


def page(app, state: dict, groups=("locality", "cell")) -> dict[str, object]:
    """output id -> value for every server callback the filter store triggers (the map, the
    charts, their tables wherever they are built, the gap table, the where table per grouping,
    the report list, the promise and the effects)."""
    lang = state.get("lang") or "sv"
    out: dict[str, object] = {}
    later = []
    for names, entry, fn in _server_callbacks(app):
        # A gated panel reads its copy of the filter store (dashboard.gates): the same dict.
        inputs = ["filters.data" if i in _GATED else i for i in _ids(entry["inputs"])]
        states = _ids(entry.get("state", []))
        if "filters.data" not in inputs:
            if any(i.endswith(".figure") for i in inputs):
                later.append((names, entry, fn))  # the chart tables as their own callback on the figures
            continue
        runs = groups if "where-group.value" in inputs else (None,)
        for group in runs:
            values = {**_FIXED, "filters.data": state, "where-group.value": group, "lang.value": lang}
            unknown = [i for i in inputs + states if i not in values]
            assert not unknown, f"a render callback reads {unknown}: teach the sweep its value"
            result = call(fn, "filters.data", *[values[i] for i in inputs + states])
            result = list(result) if len(names) > 1 else [result]
            for name, value in zip(names, result, strict=True):
                out[name if group is None else f"{name}[{group}]"] = value
    for names, entry, fn in later:
        inputs = _ids(entry["inputs"])
        values = {**{k: out.get(k) for k in inputs}, "lang.value": lang}
        result = call(fn, inputs[0], *[values[i] for i in inputs])
        for name, value in zip(names, result, strict=True):
            out[name] = value
    for name in ("map.figure", "chart-when.figure", "planning-gaps.children", "chart-time-table.children",
                 f"where-table.children[{groups[0]}]", "report-list.children", "effects.children"):
        assert name in out, f"the sweep no longer sees {name}: {sorted(out)}"
    return out


def dumps(value) -> str:
    return json.dumps(value, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
                      ensure_ascii=False, sort_keys=True)


def filters(app, search: str, selection: dict | None = None) -> dict:
    """The filter store after loading `search` as the page URL (the sync callback found by its output)."""
    return _sync(app, "url.search", search, selection)


def _sync(app, trigger: str, search: str = "", selection=None, click=None, current=None) -> dict:
    fn = by_output(app, "filters.data")
    args = [search, *[None] * 10, "sv", 0, 0, 0, None, None, None, None, click, current, None]
    state = call(fn, trigger, *args)[12]
    return {**state, "selection": selection} if selection else state


def click_state(app, current: dict, day: int, hour: int) -> dict:
    """The filter store after a click on the heatmap's slot (day, hour), as the page sends it."""
    state = _sync(app, "chart-when.clickData", click={"points": [{"x": hour, "y": WEEKDAYS_SV[day], "z": 0}]},
                  current=current)
    assert list(state["weekdays"]) == [day] and list(state["hours"]) == [hour, hour], state
    return state


def custom(a: dt.date, b: dt.date, extra: str = "") -> str:
    return f"?t=custom&from={a.isoformat()}&to={b.isoformat()}{extra}"


# -- cells and days -------------------------------------------------------------------------------

def _cell(row) -> str:
    x, y = np.array([row["geometry"].x]), np.array([row["geometry"].y])
    return str(cell_id(*cell_index(x, y, 500), 500)[0])


def _d(m, d):
    return dt.date(2026, m, d)


def _span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# -- the hand-made file (tests/privacy_harness.py) as bra and allmanhet -------------------------------

@pytest.fixture(scope="module")
def diff_apps(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep-diff") / "small.gpkg"
    D.make_store(path)
    return {role: create_app(open_store(path), role=role, today=lambda: TODAY) for role in ("bra", "allmanhet")}
