"""Dash callbacks: thin — read the state, call pure functions, return what they build."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from dash import ALL, Input, Output, Patch, State, ctx, html, no_update

from geodata import cell_id_place_names
from layers import privacy

from . import a11y, figures, gates, tables
from .data import AppData
from .figures_followup import commitment_area_trace
from .filters import (
    ACTIVITY_LAYER,
    FilterState,
    commitment_of,
    default_state,
    from_query,
    time_range,
    to_query,
)
from .i18n import MONTHS, REPORT_STATUS, number, t
from .interaction import (
    controls_state,
    focus_from_bar_click,
    selection_from_click,
    selection_from_selected,
    view_from_relayout,
    when_from_heatmap_click,
)
from .layout import (
    actor_options,
    focus_options,
    layer_options,
    mode_options,
    preset_options,
    status_options,
    weekday_options,
    where_options,
)
from .planning_view import gaps_section
from .promise_view import CARD
from .roles import UNFILTERED, RoleFrames
from .views import Views

CONTROL_OUTPUTS = [
    Output("f-focus", "value"), Output("f-layers", "value"), Output("f-preset", "value"),
    Output("f-dates", "start_date"), Output("f-dates", "end_date"), Output("f-weekdays", "value"),
    Output("f-hours", "value"), Output("f-actors", "value"), Output("f-status", "value"),
    Output("f-mode", "value"), Output("lang", "value"),
]


def _ordered(values, canonical) -> tuple:
    chosen = set(values or ())
    return tuple(v for v in canonical if v in chosen)


def next_state(current: FilterState, trigger: str | None, inputs: dict, data: AppData,
               default: FilterState) -> FilterState:
    """The one place that decides the new filter state from whatever the user just did."""
    if trigger in (None, "url"):
        return from_query(inputs.get("search"), default, data)
    if trigger == "reset-btn":
        return replace(default, lang=current.lang, present=current.present, view=current.view)
    if trigger == "clear-selection":
        return replace(current, selection=None, commitment=None)
    if trigger == CARD:
        # A card shows its commitment (and drops a map selection that would hide part of
        # it); the same card again, or a commitment no longer in the promise, shows all.
        chosen = inputs.get("card")
        if chosen == current.commitment or data.config.commitment(chosen or "") is None:
            return replace(current, commitment=None)
        return replace(current, commitment=chosen, selection=None)
    if trigger == "present-btn":
        return replace(current, present=not current.present)
    if trigger == "map.selectedData":
        selection = selection_from_selected(inputs.get("selected"))
        return replace(current, selection=selection) if selection else current
    if trigger == "map.clickData":
        selection = selection_from_click(inputs.get("click"), data)
        return replace(current, selection=selection) if selection else current
    if trigger == "chart-activities.clickData":
        return focus_from_bar_click(current, inputs.get("bar_click"), data)
    if trigger == "chart-when.clickData":
        return when_from_heatmap_click(current, inputs.get("heat_click"))
    if trigger == "map.relayoutData":
        view, _ = view_from_relayout(inputs.get("relayout"), current.view)
        return replace(current, view=view)
    values = dict(inputs)
    values["dates_changed"] = trigger == "f-dates"
    values["focus_areas"] = _ordered(values.get("focus_areas"), data.config.focus_areas)
    values["layers"] = _ordered(values.get("layers"), default.layers)
    values["actors"] = _ordered(values.get("actors"), default.actors)
    values["statuses"] = _ordered(values.get("statuses"), default.statuses)
    state = controls_state(current, values)
    if trigger == "f-preset" and state.preset != "custom":
        state = replace(state, start=None, end=None)
    return state


def control_values(state: FilterState, data: AppData, today: dt.date) -> list:

    start, end = time_range(state, data, today)
    return [
        list(state.focus_areas), list(state.layers), state.preset,
        start.isoformat() if start else None, end.isoformat() if end else None,
        list(state.weekdays), list(state.hours), list(state.actors), list(state.statuses),
        state.mode, state.lang,
    ]


def register(app, data: AppData, today: Callable[[], dt.date], basemap: bool = False,
             role: Callable[[], str] | None = None, on_sensitive_view: Callable[[dict], object] | None = None,
             store=None) -> Views:
    """Wire the callbacks; `role()` names the current request's role (default: polis),
    `on_sensitive_view(filter)` is told when exact sensitive points are sent (the audit log)."""
    default = default_state(data)
    views = Views(data, today, role or (lambda: privacy.POLIS), store=store)

    @app.callback(
        *CONTROL_OUTPUTS,
        Output("url", "search"), Output("filters", "data"), Output("view", "data"),
        Output("root", "className"),
        Input("url", "search"),
        Input("f-focus", "value"), Input("f-layers", "value"), Input("f-preset", "value"),
        Input("f-dates", "start_date"), Input("f-dates", "end_date"), Input("f-weekdays", "value"),
        Input("f-hours", "value"), Input("f-actors", "value"), Input("f-status", "value"),
        Input("f-mode", "value"), Input("lang", "value"),
        Input("present-btn", "n_clicks"), Input("clear-selection", "n_clicks"),
        Input("reset-btn", "n_clicks"),
        Input("map", "selectedData"), Input("map", "clickData"), Input("map", "relayoutData"),
        Input("chart-activities", "clickData"), Input("chart-when", "clickData"),
        State("filters", "data"), State("view", "data"),
        # Last, so the arguments before keep their places: the promise cards (dashboard.promise_view).
        Input({"type": CARD, "id": ALL}, "n_clicks"),
    )
    def sync_state(search, focus, layers, preset, start, end, weekdays, hours, actors, statuses,
                   mode, lang, _present, _clear, _reset, selected, click, relayout, bar_click,
                   heat_click, current, current_view, _cards=None):
        trigger = ctx.triggered_id or None
        card = None
        if isinstance(trigger, dict):
            # Cards drawn anew (language, another card chosen) come with n_clicks 0: not a click.
            if trigger.get("type") != CARD or not ctx.triggered[0].get("value"):
                return [no_update] * (len(CONTROL_OUTPUTS) + 4)
            trigger, card = CARD, trigger.get("id")
        if trigger == "map":
            trigger = "map." + ctx.triggered[0]["prop_id"].split(".", 1)[1]
        elif trigger in ("chart-activities", "chart-when"):
            trigger = f"{trigger}.clickData"
        elif trigger == "f-dates" and preset != "custom":
            # The date picker echoing a preset's range is not a custom choice.
            known = control_values(FilterState.from_dict(current), data, today()) if current else None
            if known and (start, end) == (known[3], known[4]):
                return [no_update] * (len(CONTROL_OUTPUTS) + 4)
        state = FilterState.from_dict(current) if current else default
        state = replace(state, view=current_view)
        new = next_state(state, trigger, {
            "search": search, "focus_areas": focus, "layers": layers, "preset": preset,
            "start": start, "end": end, "weekdays": weekdays, "hours": hours, "actors": actors,
            "statuses": statuses, "mode": mode, "lang": lang, "selected": selected, "click": click,
            "relayout": relayout, "bar_click": bar_click, "heat_click": heat_click, "card": card,
        }, data, default)
        filters_out = new.to_dict()
        filters_out["view"] = None
        view_only = trigger == "map.relayoutData"
        # A pan only moves the view: the charts' filters stay untouched (no work done twice).
        # Controls already showing the value are left alone: a control set to its own value
        # still fires what listens to it (the language would re-translate the page each time).
        shown = [focus, layers, preset, start, end, weekdays, hours, actors, statuses, mode, lang]
        controls = [no_update] * len(CONTROL_OUTPUTS) if view_only else [
            no_update if value == now else value for value, now in zip(control_values(new, data, today()), shown,
                                                                           strict=True)]
        # The map's own autosize event on load names no new view: nothing to redraw for it.
        view_out = new.view if view_only or trigger in (None, "url") else no_update
        if view_only and new.view == current_view:
            view_out = no_update
        return [
            *controls,
            to_query(new, default, (data.config.period_start, data.config.period_end)),
            no_update if view_only or (current and filters_out == current) else filters_out,
            view_out,
            "present" if new.present else "",
        ]

    @app.callback(
        Output("view", "data", allow_duplicate=True),
        Input("fit-map", "n_clicks"), State("filters", "data"),
        prevent_initial_call=True,
    )
    def fit_map(clicks, filters_data):
        """"Zoom to the selection": the view that fits what the map draws for the filters."""
        if not clicks or not filters_data:
            return no_update
        frames = views.get(FilterState.from_dict(filters_data))
        view = figures.data_view(frames.points, frames.activities, frames.cells, frames.policy.cell_m)
        return {**view, "fit": clicks} if view else no_update

    @app.callback(
        Output("map", "figure"), Output("map-note", "children"), Output("selection-info", "children"),
        Input("filters", "data"), Input("view", "data"), State("map", "relayoutData"), State("fit-map", "n_clicks"),
    )
    def render_map(filters_data, view, relayout, fits=None):
        if not filters_data:
            return no_update, no_update, no_update
        state = FilterState.from_dict(filters_data)
        frames = views.get(state)
        reports = frames.points
        _, bounds = view_from_relayout(relayout, view)
        # A new revision per "zoom to the selection" click: Plotly then takes the figure's view
        # over the user's own; between clicks it keeps the user's pan and zoom.
        revision = f"map-{fits or 0}"
        fitted = bool(view and view.get("fit"))
        if fitted:
            bounds = None  # the corners are those of the view before the fit
        if ctx.triggered_id == "view":
            density = state.mode == "density" or (state.mode == "auto" and len(reports) > figures.MAX_POINTS)
            if not density:
                if not view:
                    return no_update, no_update, no_update
                # Points stay as they are; only the scale bar (traces 0 and 1) follows the new view.
                patch = Patch()
                for i, bar in enumerate(figures.scale_bar_traces(view, bounds, state.lang, state.present)):
                    patch["data"][i] = bar
                if fitted:
                    patch["layout"]["map"]["center"] = {"lon": view["lon"], "lat": view["lat"]}
                    patch["layout"]["map"]["zoom"] = view["zoom"]
                    patch["layout"]["uirevision"] = revision
                return patch, no_update, no_update

        def build(frames: RoleFrames):
            figure = figures.map_figure(
                data, frames.points, frames.activities, lang=state.lang, mode=state.mode,
                view=view or figures.default_view(data), selection=state.selection,
                show_activities=ACTIVITY_LAYER in state.layers, basemap=basemap, big=state.present,
                density_color=_focus_color(state, data), bounds=bounds,
                cells=frames.cells, scattered=frames.scattered, cell_m=frames.policy.cell_m, other=frames.other,
                names=lambda rows: views.point_names(rows, state.lang),
            )
            figure["data"] += commitment_area_trace(commitment_of(state, data), state.lang)
            note = figure["layout"]["meta"]["note"]
            if frames.total == 0:
                note = t("empty_reports", state.lang)
            if frames.release is not None and frames.release.layers:
                note += " · " + release_note(frames.release, data, state.lang)
                if any(getattr(state, k) != v for k, v in UNFILTERED.items()):
                    note += " · " + t("cells_unfiltered", state.lang)
            return figure, note

        view_key = json.dumps(view, sort_keys=True) if view else ""
        figure, note = views.render("map", state, (view_key, bounds), build)
        figure = {**figure, "layout": {**figure["layout"], "uirevision": revision}}  # the memo's stays as built
        if on_sensitive_view is not None:
            # Every request that sends exact sensitive points is logged, also an answer built before.
            _audit_sensitive(frames, state, data, on_sensitive_view)
        return figure, note, selection_text(state)

    def selection_text(state: FilterState) -> str:
        chosen = commitment_of(state, data)
        if chosen is not None:
            text = t("commitment_active", state.lang, text=chosen.text(state.lang))
            return text if not state.selection else text + " · " + _selection_words(state)
        return _selection_words(state)

    def _selection_words(state: FilterState) -> str:
        sel = state.selection
        if not sel:
            return t("selection_none", state.lang)
        if sel["type"] == "polygon":
            return t("selection_area", state.lang)
        if sel["type"] == "locality":
            return t("selection_locality", state.lang, name=sel["name"])
        # A cell by the name of its centre (locality and nearest named place), not its grid id.
        try:
            name = str(cell_id_place_names([sel["id"]], data.municipality.code, state.lang)[0])
        except ValueError:
            name = str(sel["id"])
        return t("selection_cell", state.lang, name=name)

    @app.callback(
        Output("chart-activities", "figure"), Output("chart-time", "figure"), Output("chart-when", "figure"),
        *(Output(f"{graph_id}-table", "children") for graph_id in a11y.CHART_TABLES),
        Input("filters", "data"),
    )
    def render_charts(filters_data):
        # The charts and, in the same answer, their tables for screen-reader and keyboard users:
        # built from the very figures drawn, so one request per interaction, never a second.
        if not filters_data:
            return (no_update,) * (3 + len(a11y.CHART_TABLES))
        state = FilterState.from_dict(filters_data)
        big = state.present

        def build(frames: RoleFrames):
            # The grid shows every weekday and hour and outlines the chosen ones: its own click
            # filters the other views, not the grid itself.
            every = views.get(_every_slot(state))
            charts = (
                figures.activities_figure(frames.activities, data, state.lang, big),
                figures.time_figure(frames.points, data, state.lang, big, policy=frames.policy,
                                    weekly=_weekly(state), release=frames.release),
                figures.heatmap_figure(every.points, state.lang, big, _focus_color(state, data),
                                       policy=every.policy, data=data,
                                       left_out=every.release.layers if every.release is not None
                                       and every.release.total else (),
                                       activities=every.activities, weekdays=state.weekdays, hours=state.hours),
            )
            return charts + tuple(a11y.tables_children(figure, state.lang) for figure in charts)

        return views.render("charts", state, (), build)

    @app.callback(Output("planning-gaps", "children"), Input(gates.filters_for("planning-gaps"), "data"),
                  **gates.NOT_AT_LOAD)
    def render_gaps(filters_data):
        if not filters_data:
            return no_update
        state = FilterState.from_dict(filters_data)
        return views.render("gaps", _every_slot(state), (), lambda frames: gaps_section(
            frames, data, state.lang, names=lambda rows: views.point_names(rows, state.lang, detail=False)))

    @app.callback(Output("where-table", "children"), Input(gates.filters_for("where-table"), "data"),
                  Input("where-group", "value"), **gates.NOT_AT_LOAD)
    def render_where(filters_data, group_by):
        if not filters_data:
            return no_update
        state = FilterState.from_dict(filters_data)
        group_by = group_by or "locality"

        def build(frames: RoleFrames):
            rows = figures.places_rows(frames.points, frames.activities, data, group_by, state.lang, limit=None,
                                       policy=frames.policy, release=frames.release)
            counted = sum(row["total"] for row in rows)
            if group_by == "cell":
                footer = t("places_total_cells", state.lang, n=number(counted, state.lang),
                           total=number(frames.total, state.lang))
            else:
                footer = t("places_total", state.lang, n=number(counted, state.lang))
            return places_table(rows[:10], data, state.lang, frames.policy, footer=footer)

        return views.render("where", state, (group_by,), build)

    @app.callback(Output("report-list", "children"), Input(gates.filters_for("report-list"), "data"),
                  **gates.NOT_AT_LOAD)
    def render_report_list(filters_data):
        if not filters_data:
            return no_update
        state = FilterState.from_dict(filters_data)

        def build(frames: RoleFrames):
            if not frames.policy.visible_layers() or all(
                frames.policy.mode(lid) != privacy.POINTS for lid in data.config.layers
            ):
                return html.P(t("no_single_reports", state.lang), className="empty")
            return report_table(figures.report_list(frames.points, data, state.lang), state.lang)

        return views.render("list", state, (), build)

    @app.callback(
        Output({"type": "txt", "key": ALL}, "children"),
        Output("f-focus", "options"), Output("f-layers", "options"), Output("f-preset", "options"),
        Output("f-weekdays", "options"), Output("f-actors", "options"), Output("f-status", "options"),
        Output("f-mode", "options"), Output("where-group", "options"), Output("kommun-name", "children"),
        Output("period", "children"), Output("role-banner", "children"),
        Input("lang", "value"), State({"type": "txt", "key": ALL}, "id"),
        # The layout comes in the address's language (dashboard.app.request_state): only a
        # switch rewrites the texts (on load this rewrote all of them, ~170 renderer updates).
        prevent_initial_call=True,
    )
    def translate(lang, ids):
        from .layout import kommun_title, role_banner

        lang = lang if lang in ("sv", "en") else "sv"
        cfg = data.config
        texts = [t(i["key"], lang) for i in ids]
        if any(i["key"] == "present" for i in ids):
            present_index = next(k for k, i in enumerate(ids) if i["key"] == "present")
            texts[present_index] = t("present", lang)
        policy = views.policy()
        return (
            texts, focus_options(data, lang, policy), layer_options(data, lang, policy), preset_options(lang),
            weekday_options(lang), actor_options(lang), status_options(lang), mode_options(lang),
            where_options(lang), kommun_title(data.municipality.name, lang),
            t("promise_period", lang, start=cfg.period_start.isoformat(), end=cfg.period_end.isoformat(),
              area=cfg.police_area or "–"),
            role_banner(policy, lang),
        )

    def _weekly(state: FilterState) -> bool:
        # From the period asked for, not from the data's span (which would hint at dates).

        start, end = time_range(state, data, today())
        return bool(start and end and (end - start).days <= 120)

    from .callbacks_promise import register_promise

    register_promise(app, views)
    return views


def _every_slot(state: FilterState) -> FilterState:
    """The state without its weekday/hour choice: what the weekday × hour views show."""
    return replace(state, weekdays=tuple(range(7)), hours=(0, 23))


def _focus_color(state: FilterState, data: AppData) -> str:
    if len(state.focus_areas) == 1:
        return data.config.color(state.focus_areas[0])
    return "#333333"


def _audit_sensitive(frames: RoleFrames, state: FilterState, data: AppData, log) -> None:
    """Exact points of a sensitive layer were sent: log who saw them with which filter."""
    shown = sorted({lid for lid in frames.points["layer"].unique()
                    if lid in data.config.layers and data.config.layers[lid].sensitive})
    if not shown:
        return
    detail = {k: v for k, v in state.to_dict().items() if k not in ("view", "lang", "present", "mode")}
    detail["layers_shown"] = shown
    log(detail)


def report_table(rows: list[dict], lang: str):
    """Single reports as one Markdown table (dashboard.tables): free text is escaped there, so
    it shows as text whatever it contains (<script>, <img onerror=…>)."""
    if not rows:
        return html.P(t("empty_reports", lang), className="empty")
    text = "description" in rows[0]
    keys = ["time", "layer", "category", "place", "status"] + (["description"] if text else [])
    heads = {"time": t("hover_time", lang), "layer": t("layer", lang), "category": t("category", lang),
             "place": t("place", lang), "status": t("status", lang), "description": t("description", lang)}
    return tables.table([heads[k] for k in keys], ([row[k] for k in keys] for row in rows),
                        className="where-table", id="report-rows")


def release_note(release, data: AppData, lang: str) -> str:
    """'Narkotikatips: visar jan 2025–nov 2026, hela månader · nästa publicering 2027-01-01'."""
    rel = release.release
    names = ", ".join(data.config.layers[lid].name(lang) for lid in release.layers if lid in data.config.layers)
    unit = t("unit_" + rel.kind, lang)
    if release.span is None or release.units.empty:
        # Blocks where nothing reached k say no more than no blocks: the same words.
        text = t("release_nothing", lang, names=names, unit=unit)
    else:
        from layers.release import Block

        first, last = release.chosen_blocks[0], release.chosen_blocks[-1]
        # From the first period to the last one: 'nov 2024–nov 2026', not block by block.
        span = figures.block_label(Block(first.first, last.last, rel.kind), lang, rel.open_start(first))
        text = t("release_span", lang, names=names, span=span, unit=unit)
        if release.merged:
            text += "; " + t("release_merged", lang, unit=unit, k=rel.k)
    due = rel.next_due
    return text + " · " + t("release_open", lang, due=f"{MONTHS[lang][due.month - 1]} {due.year}")


def places_table(rows: list[dict], data: AppData, lang: str, policy: privacy.Policy | None = None,
                 footer: str | None = None):
    """The ranked places as one Markdown table (every text escaped: safe for any place name)."""
    if not rows:
        return html.P(t("empty_reports", lang), className="empty")
    layers = [s for s in data.config.layers.values() if policy is None or policy.mode(s.id) != privacy.HIDDEN]
    columns = ["#", t("place", lang), *(spec.name(lang) for spec in layers), t("reports", lang),
               t("activities_done", lang)]
    body = ([str(i), row["place"], *(number(row[spec.id], lang) for spec in layers), number(row["total"], lang),
             number(row["activities_done"], lang)] for i, row in enumerate(rows, start=1))
    # One Markdown component (dashboard.tables), not one per cell; the total column in bold.
    return tables.table(columns, body, right=range(2, len(columns)), bold=(len(columns) - 2,),
                        after=(footer,) if footer else (), className="where-table", id="where-rows")


__all__ = ["REPORT_STATUS", "Views", "control_values", "next_state", "np", "places_table", "register"]
