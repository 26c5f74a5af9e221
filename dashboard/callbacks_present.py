"""Presentation mode: the switch to the `bra` view (its forms post back to the page they came
from) and the tabs that pick the panel shown beside the map."""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output


def return_target(home_url: str, search: str | None) -> str:
    """Where the view switch sends the browser afterwards: this page with its filters (the
    server checks it is a local path)."""
    search = search or ""
    if search and not search.startswith("?"):
        search = "?" + search
    return home_url + search


def register_present(app, home_url: str) -> None:
    """Keep the switch forms' `next` fields on the current address (filters, present=1)."""

    # In the browser only (no round trip): the chosen tab's panel, and which button is pressed.
    app.clientside_callback(
        ClientsideFunction("trygghetskarta", "presentTab"),
        Output("charts", "className"), Output({"type": "present-tab", "tab": ALL}, "aria-pressed"),
        Input({"type": "present-tab", "tab": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )

    @app.callback(Output("view-as-next", "value"), Output("view-as-back-next", "value"),
                  Input("url", "search"))
    def remember_page(search):
        target = return_target(home_url, search)
        return target, target


__all__ = ["register_present", "return_target"]
