"""Which filter changes reach a panel's server callback: each gated panel reads its own copy of
the filter store, which the page updates only when the panel can show the answer.

Why: one interaction asked the server for every panel of the page (ten callbacks at 100 000
reports, about half a CPU second), also for panels below the fold, on a hidden presentation
tab, in a closed section, or whose drawing does not follow the filters at all; with 50 viewers
on two cores that queue was the latency. The gates are clientside, so a skipped panel costs
no request:

* `VISIBLE`: the copy follows the filters while the panel is on screen or near it (an
  IntersectionObserver in `assets/gates.js` sets the panel's `seen-` store); a panel scrolled
  to, or a presentation tab opened, gets the filters of that moment, so what it shows always
  matches the rest of the page once it is seen.
* `OPEN`: the copy follows the filters while a closed-by-default section is open (its
  `html.Details` marked `data-gate-open`: assets/gates.js reports a reader's toggle to Dash,
  which keeps `open` as the layout set it otherwise).
* `KEYED`: panels drawn from the follow-up, not from the filters (the promise cards, the
  effects): the copy changes only when the fields they use change or the data revision the
  page's responses carry (`assets/session.js`) does.

The server callbacks still check everything they get (`FilterState.from_dict`) and answer by
the session's role: a gate only decides when to ask, never what may be seen.
"""

from __future__ import annotations

import json

from dash import Input, Output, State, dcc

#: Panels updated while on screen: the element carrying `data-gate` (dashboard.layout).
VISIBLE = ("planning-gaps", "where-table", "report-list",
           # The comparison cards: their own tab in presentation, drawn once it is opened.
           "indicator-cards")
#: Sections computed only while open: the panel -> the `html.Details` whose `open` gates it.
OPEN = {"near-repeat-body": "near-repeat", "hotspot-map": "hotspot-panel"}
#: Panels drawn from the follow-up: the filter fields their drawing reads.
KEYED = {"promise": ("lang", "commitment"), "effects": ("lang", "present")}

GATED = (*VISIBLE, *OPEN, *KEYED)


#: For a gated panel's server callback: its copy starts empty, so the page load's call of it
#: would only answer "nothing yet"; the copy's first value asks for it.
NOT_AT_LOAD = {"prevent_initial_call": True}


def filters_for(panel: str) -> str:
    """The id of the panel's copy of the filter store (its callback's input)."""
    return f"filters-for-{panel}"


def seen_id(panel: str) -> str:
    return f"seen-{panel}"


def attributes(panel: str) -> dict:
    """What marks a `VISIBLE` panel's element for assets/gates.js."""
    return {"data-gate": panel}


def stores() -> list:
    """The copies and the visibility flags, for the layout (an `OPEN` section's copy is beside
    the section, which a reduced role's page does not have at all)."""
    return ([dcc.Store(id=filters_for(p)) for p in (*VISIBLE, *KEYED)]
            + [dcc.Store(id=seen_id(p), data=False) for p in VISIBLE])


_SAME = "JSON.stringify(a) === JSON.stringify(b)"

_VISIBLE_JS = f"""function (filters, seen, shown) {{
    var nothing = window.dash_clientside.no_update, a = filters, b = shown;
    if (!filters || !seen || ({_SAME})) {{ return nothing; }}
    return filters;
}}"""

_OPEN_JS = _VISIBLE_JS.replace("seen", "open")

_KEYED_JS = """function (filters, shown) {
    var nothing = window.dash_clientside.no_update;
    if (!filters) { return nothing; }
    var fields = FIELDS, rev = window.tkRevision || null;
    var key = JSON.stringify([rev].concat(fields.map(function (f) { return filters[f]; })));
    var was = shown ? JSON.stringify([window.tkGates && window.tkGates[PANEL] || null]
                                     .concat(fields.map(function (f) { return shown[f]; }))) : null;
    if (key === was) { return nothing; }
    window.tkGates = window.tkGates || {};
    window.tkGates[PANEL] = rev;
    return filters;
}"""


def register(app) -> None:
    """The clientside gate of every gated panel."""
    for panel in VISIBLE:
        app.clientside_callback(_VISIBLE_JS, Output(filters_for(panel), "data"), Input("filters", "data"),
                                Input(seen_id(panel), "data"), State(filters_for(panel), "data"))
    for panel, section in OPEN.items():
        app.clientside_callback(_OPEN_JS, Output(filters_for(panel), "data"), Input("filters", "data"),
                                Input(section, "open"), State(filters_for(panel), "data"))
    for panel, fields in KEYED.items():
        code = _KEYED_JS.replace("FIELDS", json.dumps(list(fields))).replace("PANEL", json.dumps(panel))
        app.clientside_callback(code, Output(filters_for(panel), "data"), Input("filters", "data"),
                                State(filters_for(panel), "data"))


__all__ = ["GATED", "KEYED", "NOT_AT_LOAD", "OPEN", "VISIBLE", "attributes", "filters_for", "register", "seen_id",
           "stores"]
