"""Callbacks of the promise panel and the effects: drawn from `Views.follow_up` (once per role,
day and data revision), redrawn only when the language, the chosen card or the data changes."""

from __future__ import annotations

from dash import Input, Output, State, dcc, html, no_update

from . import gates
from .data import AppData
from .filters import FilterState
from .i18n import t
from .promise_view import promise_children


def register_promise(app, views) -> None:
    def panel_key(state: FilterState, *parts) -> list:
        # What a panel that does not follow the filters is drawn for: redrawn only when this
        # changes (new cards would otherwise reach sync_state on every filter change).
        views.refresh_if_changed()
        return [views.role(), views.today().isoformat(), views.version, state.lang, *parts]

    @app.callback(Output("promise", "children"), Output("promise-key", "data"),
                  Input(gates.filters_for("promise"), "data"), State("promise-key", "data"), **gates.NOT_AT_LOAD)
    def render_promise(filters_data, drawn):
        if not filters_data:
            return no_update, no_update
        state = FilterState.from_dict(filters_data)
        key = panel_key(state, state.commitment)
        if key == drawn:
            return no_update, no_update
        return promise_children(views.follow_up(), state.lang, state.commitment), key

    @app.callback(Output("effects", "children"), Output("effects-key", "data"),
                  Input(gates.filters_for("effects"), "data"), State("effects-key", "data"), **gates.NOT_AT_LOAD)
    def render_effects(filters_data, drawn):
        if not filters_data:
            return no_update, no_update
        state = FilterState.from_dict(filters_data)
        key = panel_key(state, state.present)
        if key == drawn:
            return no_update, no_update
        role = views.role()

        def build():
            share = views.role_data(role)
            return effect_panels(views.follow_up(), share.points, views.data, state.lang, state.present)

        # The same panels for every page load of the role that day (~0.1 s each to build at
        # 100 000 reports): built once per key, like the other render answers.
        return views._renders.get(("effects", *key), build), key


def effect_panels(follow_up, points, data: AppData, lang: str, big: bool = False) -> list:
    """One chart and its words per evaluated place (`dashboard.figures_followup`)."""
    from .figures_followup import effect_figure

    if not follow_up.effects:
        return [html.P(t("effect_none", lang), className="empty")]
    places = [e.place for e in follow_up.effects]
    names = data.localities["name"].tolist()
    return [html.Article([
        html.H3(_place_title(e, data, lang)),
        dcc.Graph(figure=effect_figure(e, points, places, names, follow_up.at, lang, big), className="chart",
                  config={"displaylogo": False}),
        html.P(e.words(lang), className="effect-words"),
    ], className="effect", id=f"effect-{i}") for i, e in enumerate(follow_up.effects)]


def _place_title(effect, data: AppData, lang: str) -> str:
    """A commitment's area is named by its commitment's words, a place of sustained activity by its landmark."""
    source = effect.place.source
    if source.startswith("commitment:"):
        c = data.config.commitment(source.split(":", 1)[1])
        if c is not None:
            return c.text(lang)
    return effect.place.label(lang)


__all__ = ["effect_panels", "register_promise"]
