"""Presentation mode: the switch to the `bra` view (its forms post back to the page they came
from) and the tabs that pick the panel shown beside the map."""

from __future__ import annotations

import json

from dash import ALL, Input, Output, State, ctx


def return_target(home_url: str, search: str | None) -> str:
    """Where the view switch sends the browser afterwards: this page with its filters (the
    server checks it is a local path). The page computes the same in its clientside callback."""
    search = search or ""
    if search and not search.startswith("?"):
        search = "?" + search
    return home_url + search


def tab_state(trigger, ids: list[dict]) -> tuple[str, list[str]]:
    """The charts section's class for the clicked tab (CSS shows its panel) and each tab's
    aria-pressed; the first tab when nothing names one."""
    tabs = [i["tab"] for i in ids]
    picked = trigger.get("tab") if isinstance(trigger, dict) and trigger.get("tab") in tabs else tabs[0]
    return f"charts tab-{picked}", ["true" if tab == picked else "false" for tab in tabs]


def register_present(app, home_url: str) -> None:
    """Keep the switch forms' `next` fields on the current address (filters, present=1)."""

    # A plain server callback (a clientside one has no Python function for the tests' callback maps).
    @app.callback(Output("charts", "className"), Output({"type": "present-tab", "tab": ALL}, "aria-pressed"),
                  Input({"type": "present-tab", "tab": ALL}, "n_clicks"), State({"type": "present-tab", "tab": ALL}, "id"),
                  prevent_initial_call=True)
    def present_tab(_clicks, ids):
        return tab_state(ctx.triggered_id, ids)

    # In the browser (return_target's rule): a server callback here cost every page load a
    # round-trip that waited in line before the map's.
    app.clientside_callback(
        """function (search) {
            search = search || "";
            if (search && search.charAt(0) !== "?") { search = "?" + search; }
            var target = HOME + search;
            return [target, target];
        }""".replace("HOME", json.dumps(home_url)),
        Output("view-as-next", "value"), Output("view-as-back-next", "value"), Input("url", "search"))


__all__ = ["register_present", "return_target", "tab_state"]
