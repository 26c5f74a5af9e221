"""Callbacks of the analysis parts: the indicator cards, the hot-spot map and the time playback
(thin: read the filters, compute through the role's views, return what dashboard.analysis_layout
draws; the playback steps the date picker, so the filters change by the user's own path)."""

from __future__ import annotations

import datetime as dt
import json

from dash import Input, Output, State, ctx, no_update

from layers import privacy

from . import gates
from .analysis_layout import cards_children, hotspot_note, layer_choices, legend_children, step_options
from .analysis_view import indicator_cards, span_words
from .figures.base import empty_figure
from .figures.hotspots import hotspot_figure
from .filters import FilterState
from .hotspot_view import hotspot_state, hotspot_view
from .i18n import t
from .memo import SingleFlight
from .playback import Play, playback_steps, press, tick
from .views import Views

#: Filter fields that change no count (language, screen mode, map view): not part of the hot spots' key.
_NOT_COUNTED = ("lang", "present", "mode", "view")


def register_analysis(app, views: Views, basemap: dict | None = None) -> None:
    """Wire the analysis callbacks on the app's one `Views` (every count from `Views.get`);
    `basemap`: the main map's tile source (`Basemap.source`), drawn under the hot-spot cells too."""

    # Gated (dashboard.gates): asked only while on screen, so a closed presentation tab costs nothing.
    # No call at load: the gate sets the store once the cards are on screen, and that asks.
    @app.callback(Output("indicator-cards", "children"), Input(gates.filters_for("indicator-cards"), "data"),
                  prevent_initial_call=True)
    def render_indicators(filters_data):
        if not filters_data:
            return no_update
        state = FilterState.from_dict(filters_data)
        role = views.role()

        def build(_frames):
            cards = indicator_cards(lambda s: views.get(s, role), state, views.data, views.today())
            note = t("ind_commitment", state.lang) if state.commitment else None
            return cards_children(cards, state.lang, note)

        return views.render("indicators", state, (), build, role=role)

    # Gi* per role, filters, day and data revision, shared by both languages (~0.2 s each).
    hotspots = SingleFlight(16)

    @app.callback(Output("hotspot-map", "figure"), Output("hotspot-legend", "children"),
                  Output("hotspot-note", "children"), Output("hs-layer", "options"),
                  Input(gates.filters_for("hotspot-map"), "data"), Input("hs-layer", "value"),
                  State("hotspot-panel", "open"), **gates.NOT_AT_LOAD)
    def render_hotspots(filters_data, layer, is_open):
        if not filters_data or not is_open:
            # Hidden (closed, or another presentation tab): nothing computed; opening it asks again.
            return no_update, no_update, no_update, no_update
        state = FilterState.from_dict(filters_data)
        lang, role, data = state.lang, views.role(), views.data
        pol = views.policy(role)
        choices = layer_choices(data, lang, pol)
        if layer not in {c["value"] for c in choices}:
            # A layer the role may not see (or none chosen): its first visible one, never the asked.
            layer = choices[0]["value"] if choices else None
        if layer is None:
            return empty_figure(t("hsmap_none", lang), state.present), [], "", choices
        chosen = hotspot_state(state, layer, data)
        counted = {k: v for k, v in chosen.to_dict().items() if k not in _NOT_COUNTED}
        key = (json.dumps(counted, sort_keys=True, ensure_ascii=False), views.today(), role, views.version)
        view = hotspots.get(key, lambda: hotspot_view(views.get(chosen, role), layer, data))
        if view is None:
            return empty_figure(t("hsmap_none", lang), state.present), [], "", choices

        def build(_frames):
            # The figure per language and screen mode, built once (its cell names cost ~0.2 s).
            figure = hotspot_figure(view.cells, view.cell_m, data, lang, big=state.present, k=view.k, basemap=basemap)
            return figure, legend_children(view, lang), hotspot_note(view, lang)

        return (*views.render("hotspots", chosen, (layer,), build, role=role), choices)

    # The panel's `open` as the page sees it. Dash's html.Details does not report a reader's
    # toggle (it keeps `open` as the layout set it), so a click on its summary reads the
    # element's state once the browser has toggled it. In presentation the tab is the switch:
    # picking it opens the panel, another tab closes it (hidden, so not computed).
    app.clientside_callback(
        """function (_clicks, charts, root, open) {
            var nothing = window.dash_clientside.no_update;
            var ctx = window.dash_clientside.callback_context;
            var by = (ctx.triggered || []).map(function (t) { return t.prop_id; });
            if (by.indexOf("hotspot-summary.n_clicks") >= 0) {
                return new Promise(function (resolve) {
                    setTimeout(function () {
                        var el = document.getElementById("hotspot-panel");
                        resolve(el && el.open !== !!open ? el.open : nothing);
                    }, 0);
                });
            }
            if ((root || "").split(" ").indexOf("present") < 0) { return nothing; }
            var want = (charts || "").split(" ").indexOf("tab-hotspots") >= 0;
            return want === !!open ? nothing : want;
        }""",
        Output("hotspot-panel", "open"), Input("hotspot-summary", "n_clicks"), Input("charts", "className"),
        Input("root", "className"), State("hotspot-panel", "open"), prevent_initial_call=True)

    def steps_for(state: FilterState, unit: str, cumulative: bool) -> tuple[list, bool]:
        """The playback's steps for the role, and whether they are its published periods."""
        data, role = views.data, views.role()
        share = views.role_data(role)
        pol = share.policy
        cells = any(pol.mode(lid) == privacy.CELLS for lid in state.layers if lid in data.config.layers)
        blocks = share.release.blocks if cells and share.release is not None else None
        if pol.time_precision == privacy.MONTH:
            unit = "month"  # a role that sees times to the month only never steps by week
        period = (data.config.period_start, data.config.period_end)
        unit = unit if unit in ("week", "month") else "month"
        steps = playback_steps(period, views.today(), unit, blocks, cumulative)
        by_blocks = blocks is not None and steps != playback_steps(period, views.today(), unit, None, cumulative)
        return steps, by_blocks

    @app.callback(
        Output("play-state", "data"), Output("play-tick", "disabled"), Output("play-btn", "className"),
        Output("play-status", "children"),
        Output("f-dates", "start_date", allow_duplicate=True), Output("f-dates", "end_date", allow_duplicate=True),
        Input("play-btn", "n_clicks"), Input("play-tick", "n_intervals"),
        State("play-state", "data"), State("play-step", "value"), State("play-cumulative", "value"),
        State("filters", "data"),
        prevent_initial_call=True,
    )
    def playback(_clicks, _ticks, play_data, unit, cumulative, filters):
        play = Play.from_dict(play_data if isinstance(play_data, dict) else {})
        state = FilterState.from_dict(filters) if filters else FilterState(focus_areas=(), layers=())
        lang = state.lang
        published = bool(play_data and isinstance(play_data, dict) and play_data.get("published"))
        if ctx.triggered_id == "play-btn":
            if not play.playing and state.commitment:
                # A chosen commitment's period wins over the time filter: nothing would move.
                return play.to_dict(), True, "btn play-btn", t("play_commitment", lang), no_update, no_update
            steps, published = steps_for(state, unit, bool(cumulative))
            if not play.playing and not steps:
                return Play().to_dict(), True, "btn play-btn", t("play_nothing", lang), no_update, no_update
            play, send = press(play, steps, filters)
        else:
            play, send = tick(play, filters)
        status = ""
        if play.steps and play.index >= 0:
            first, last = play.steps[play.index]
            status = t("play_at", lang, when=span_words(dt.date.fromisoformat(first), dt.date.fromisoformat(last), lang),
                       i=play.index + 1, n=len(play.steps))
            if published:
                status += " · " + t("play_published", lang)
        out = {**play.to_dict(), "published": published}
        start, end = send if send is not None else (no_update, no_update)
        if ctx.triggered_id != "play-btn" and play.playing:
            # The interval and the button as they are: an Interval given its props again restarts
            # its clock, which made the steps follow each other faster than PLAY_MS.
            return out, no_update, no_update, status, start, end
        return out, not play.playing, "btn play-btn playing" if play.playing else "btn play-btn", status, start, end

    @app.callback(Output("play-step", "options"), Output("play-cumulative", "options"), Input("lang", "value"),
                  prevent_initial_call=True)
    def translate_playback(lang):
        return step_options(lang), [{"label": t("play_cumulative", lang), "value": "on"}]


__all__ = ["register_analysis"]
