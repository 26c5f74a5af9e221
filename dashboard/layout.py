"""The page: header, filter controls, the promise, the map, the four linked charts and the effects
(ids are the test contract)."""

from __future__ import annotations

from dash import dcc, html

from layers import ACTORS, REPORT_STATUSES
from layers.text import genitive

from . import a11y, analysis_layout, gates, near_repeat_view
from .data import AppData
from .filters import ACTIVITY_LAYER, FilterState
from .i18n import ACTORS as ACTOR_NAMES
from .i18n import REPORT_STATUS, WEEKDAYS, t
from .moderation_view import moderation_panel
from .report_controls import report_controls
from .roles import role_controls

PRESET_KEYS = {
    "30d": "preset_30d", "quarter": "preset_quarter", "year": "preset_year",
    "period": "preset_period", "all": "preset_all", "custom": "preset_custom",
}


def T(key: str, lang: str = "sv", tag=html.Span, **kwargs):
    """A translatable text: the language callback rewrites every one of these."""
    return tag(t(key, lang), id={"type": "txt", "key": key}, **kwargs)


def kommun_title(name: str, lang: str) -> str:
    # Swedish takes the genitive: Vaggeryds kommun, but Borås kommun.
    return t("kommun_title", lang, name=name if lang == "en" else genitive(name))


def swatch(color: str):
    return html.Span(className="swatch", style={"backgroundColor": color})


def focus_options(data: AppData, lang: str, policy=None) -> list[dict]:
    # A focus area with no report layer the role may see filters nothing: shown, disabled.
    fixed = role_controls(policy, data.config.layers).fixed_focus_areas
    return [
        {"label": html.Span([swatch(a.color), a.name(lang)]), "value": a.id, "disabled": a.id in fixed}
        for a in data.config.focus_areas.values()
    ]


def layer_options(data: AppData, lang: str, policy=None) -> list[dict]:
    """The report layers the role may see (hidden ones are not offered), then activities."""
    options = [
        {"label": html.Span([swatch(data.config.color(s.focus_area)), s.name(lang)]), "value": lid}
        for lid, s in data.config.layers.items()
        if policy is None or policy.mode(lid) != "hidden"
    ]
    options.append({"label": html.Span([html.Span(className="swatch ring"), t("layer_activities", lang)]),
                    "value": ACTIVITY_LAYER})
    return options


def preset_options(lang: str) -> list[dict]:
    return [{"label": t(key, lang), "value": value} for value, key in PRESET_KEYS.items()]


def weekday_options(lang: str) -> list[dict]:
    return [{"label": name, "value": i} for i, name in enumerate(WEEKDAYS[lang])]


def actor_options(lang: str) -> list[dict]:
    return [{"label": ACTOR_NAMES[lang][a], "value": a} for a in ACTORS]


def status_options(lang: str) -> list[dict]:
    return [{"label": REPORT_STATUS[lang][s], "value": s} for s in REPORT_STATUSES]


def mode_options(lang: str) -> list[dict]:
    return [
        {"label": t("mode_auto", lang), "value": "auto"},
        {"label": t("mode_points", lang), "value": "points"},
        {"label": t("mode_density", lang), "value": "density"},
    ]


def where_options(lang: str) -> list[dict]:
    return [{"label": t("by_locality", lang), "value": "locality"}, {"label": t("by_cell", lang), "value": "cell"}]


def _field(key: str, control, lang: str, error_id: str):
    """A labelled form field with its own message slot (validation names the field)."""
    label_id = f"{error_id}-label"  # names option lists, which a <label for> cannot
    return html.Div([html.Label(T(key, lang), htmlFor=a11y.label_target(control), id=label_id),
                     a11y.named(control, labelled_by=label_id),
                     html.Div(id=error_id, className="field-error", role="alert")], className="field")


def edit_form(data: AppData, lang: str, today=None):
    """Entry, status change and upload: the edit panel's form, in `lang` (labels, not codes,
    from dashboard.entry). Built when the panel is first opened (callbacks_edit.open_form):
    ~100 components a page that never edits would mount for nothing."""
    from . import entry

    options = entry.form_options(data, lang)
    first = next(iter(data.config.layers.values()))
    dd = {"clearable": False, "className": "dropdown"}
    report_fields = html.Div([
        _field("layer", dcc.Dropdown(id="e-layer", options=options["e-layer"], value=first.id, **dd),
               lang, "e-err-layer"),
        _field("category", dcc.Dropdown(id="e-category", options=entry.category_options(first, lang),
                                        value=first.categories[0], **dd), lang, "e-err-category"),
        _field("edit_source", dcc.Dropdown(id="e-source", options=options["e-source"], value="medborgare", **dd),
               lang, "e-err-source"),
    ], id="e-report-fields")
    activity_fields = html.Div([
        _field("edit_focus", dcc.Dropdown(id="e-focus", options=options["e-focus"],
                                          value=next(iter(data.config.focus_areas)), **dd), lang, "e-err-focus_area"),
        _field("edit_actor", dcc.Dropdown(id="e-actor", options=options["e-actor"], value="polis", **dd), lang,
               "e-err-actor"),
        _field("edit_kind", dcc.Dropdown(id="e-akind", options=options["e-akind"],
                                         value=options["e-akind"][0]["value"], **dd), lang, "e-err-kind"),
        _field("status", dcc.RadioItems(id="e-astatus", options=options["e-astatus"], value="planerad", inline=True),
               lang, "e-err-status"),
        _field("edit_duration", dcc.Input(id="e-duration", type="text", value="60", inputMode="numeric"), lang,
               "e-err-duration"),
    ], id="e-activity-fields", style={"display": "none"})
    return [
        dcc.RadioItems(id="e-kind", options=options["e-kind"], value="report", inline=True),
        html.Div([
            html.Label(T("edit_place", lang)),
            html.Div([
                dcc.Input(id="e-lat", type="text", placeholder="lat", debounce=True),
                dcc.Input(id="e-lon", type="text", placeholder="lon", debounce=True),
                html.Button(T("edit_centre", lang), id="e-centre", n_clicks=0, className="btn"),
            ], className="place-row"),
            html.Div(id="e-err-place", className="field-error", role="alert"),
        ], className="field"),
        report_fields,
        activity_fields,
        _field("edit_date", dcc.DatePickerSingle(id="e-date", display_format="YYYY-MM-DD", first_day_of_week=1,
                                                   date=today.isoformat() if today else None,
                                                   placeholder=t("date_pick", lang)),
               lang, "e-err-date"),
        _field("edit_time", dcc.Input(id="e-time", type="text", placeholder="18:30", value=""), lang,
               "e-err-date_time"),
        _field("description", dcc.Textarea(id="e-description", maxLength=2000, rows=3), lang, "e-err-description"),
        html.Button(T("edit_save", lang), id="e-save", n_clicks=0, className="btn primary"),
        html.Div(id="e-message", className="edit-message", role="status"),
        html.H3(T("status_change", lang)),
        _field("status_id", dcc.Input(id="s-id", type="text"), lang, "s-err-id"),
        _field("status_new", dcc.Dropdown(id="s-new", options=options["s-new"], placeholder=t("status_new", lang),
                                          **dd), lang, "s-err-status"),
        html.Button(T("status_save", lang), id="s-save", n_clicks=0, className="btn"),
        html.Div(id="s-message", className="edit-message", role="status"),
        html.H3(T("upload", lang)),
        dcc.RadioItems(id="u-kind", options=options["u-kind"], value="reports", inline=True),
        dcc.Dropdown(id="u-layer", options=options["u-layer"], placeholder=t("layer", lang), className="dropdown"),
        dcc.Upload(id="u-file", children=html.Div(T("upload_drop", lang)), className="upload", multiple=False),
    ]


def edit_panel(data: AppData, lang: str, can_edit: bool, today=None, form: bool = False):
    """The edit panel for roles that may edit (polis, admin); None for the others, whose page
    has no trace of it (the server checks the role again on every write anyway).

    Its form (`edit_form`) comes when the panel is first opened, or at once with `form`
    (the full page Dash validates the callbacks against). The upload's message, its running
    job and the poll that follows it are always there: a reload during an upload shows its
    progress without opening the panel (dashboard.jobs.register_resume)."""
    if not can_edit:
        return None
    return html.Details([
        html.Summary(T("edit", lang), id="edit-summary", n_clicks=0),
        html.Div(edit_form(data, lang, today) if form else None, id="edit-body",
                 className="edit-body built" if form else "edit-body"),
        html.Div(id="u-message", className="edit-message", role="status"),
        dcc.Download(id="u-rejected"),
        # The running import job of this page (its id) and the poll that follows it: off until
        # an upload starts a job, off again when it is done (no requests for anyone else).
        dcc.Store(id="u-job", storage_type="memory"),
        dcc.Interval(id="u-poll", interval=1000, disabled=True),
    ], id="edit-panel", className="edit")


def export_controls(lang: str):
    return html.Div([
        html.H3(T("export", lang)),
        dcc.RadioItems(id="x-format", options=[{"label": f, "value": f} for f in ("html", "csv", "geojson", "gpkg")],
                       value="html", inline=True),
        html.Button(T("export_btn", lang), id="x-go", n_clicks=0, className="btn"),
        html.Div(id="x-message", className="edit-message", role="status"),
        dcc.Download(id="x-download"),
    ], className="export")


#: The presentation screen's tabs: (value, text key); the first is shown when the page opens.
TABS = (("overview", "tab_overview"), ("compare", "tab_compare"), ("when", "tab_when"), ("where", "tab_where"), ("list", "tab_list"),
        ("effects", "tab_effects"), ("hotspots", "tab_hotspots"))


def present_tabs(lang: str):
    """Buttons that pick which panel the presentation screen shows beside the map (the rest is
    one click away, never below the fold); hidden in normal mode, where every panel shows.
    A callback (dashboard.callbacks_present.tab_state) sets the section's class."""
    return html.Div([
        html.Span(T("tabs_label", lang), id="present-tabs-label", className="visually-hidden"),
        *[html.Button(T(key, lang), id={"type": "present-tab", "tab": value}, n_clicks=0, type="button",
                      className="tab", **{"aria-pressed": "true" if i == 0 else "false"})
          for i, (value, key) in enumerate(TABS)],
    ], className="tabs", role="group", **{"aria-labelledby": "present-tabs-label"})


def _section(key: str, control, lang: str):
    return html.Fieldset([html.Legend(T(key, lang)), control], className="filter")


def role_banner(policy, lang: str) -> str:
    """'Roll: BRÅ-möte (delad skärm). Känsliga lager …' for reduced roles; '' for exact ones."""
    if policy is None or policy.exact:
        return ""
    return t("role_banner", lang, role=policy.name(lang)) + ". " + t("role_reduced", lang, k=policy.k)


def _hidden(name: str, value: str | None, id: str | None = None):
    """A hidden field of a plain HTML form (posted by the browser, not by Dash)."""
    return dcc.Input(type="hidden", name=name, value=value or "", **({"id": id} if id else {}))


def logout_form(url: str, csrf_token: str | None, lang: str):
    """Logging out is a POST with the CSRF token: a link (or another site's <img>) cannot."""
    return html.Form([
        _hidden("csrf_token", csrf_token),
        html.Button(T("logout", lang), id="logout", type="submit", className="btn"),
    ], method="post", action=url, id="logout-form", className="inline-form")


def present_warning(policy, lang: str, view_as_url: str | None, csrf_token: str | None):
    """In presentation mode (CSS: `.present .present-warning`) a role with exact sensitive
    data is warned that the screen is shared, with a one-click switch to the `bra` view.
    Always in the page (the `next` field's callback needs it), shown only for exact roles."""
    show = policy is not None and policy.exact and bool(view_as_url)
    return html.Div([
        html.Strong(T("present_warning_title", lang)),
        T("present_warning", lang),
        html.Form([
            _hidden("csrf_token", csrf_token), _hidden("role", "bra"),
            _hidden("next", "", id="view-as-next"),
            html.Button(T("present_switch", lang), id="view-as-bra", type="submit", className="btn"),
        ], method="post", action=view_as_url or "", className="inline-form"),
    ], id="present-warning", className="banner present-warning", role="alert",
        style=None if show else {"display": "none"})


def view_as_back(view_as: str | None, lang: str, view_as_url: str | None, csrf_token: str | None):
    """The way back from the switch: shown while a ceiling narrows the view, hidden in
    presentation mode (CSS) so the shared screen has no button to the exact data."""
    return html.Form([
        _hidden("csrf_token", csrf_token), _hidden("role", ""),
        _hidden("next", "", id="view-as-back-next"),
        html.Button(T("view_as_back", lang), id="view-as-back", type="submit", className="btn"),
    ], method="post", action=view_as_url or "", id="view-as-back-form", className="inline-form view-as-back",
        style=None if view_as else {"display": "none"})


def session_banner(lang: str, status_url: str | None = None, poll_ms: int = 15000):
    """'The server was restarted …' with a reload button: hidden until assets/session.js
    finds the page stale (it sets `data-tk-session` on <html>, which React never touches;
    CSS shows the banner and the one matching message). The texts follow the page language
    like every other text. `status_url` and `poll_ms` tell the script where and how often to
    ask (dashboard.callbacks_session)."""
    return html.Div([
        T("session_restarted", lang, className="session-msg session-restarted"),
        T("session_expired", lang, className="session-msg session-expired"),
        T("session_changed", lang, className="session-msg session-changed"),
        html.Button(T("session_reload", lang), id="session-reload", n_clicks=0, className="btn", type="button"),
    ], id="session-banner", className="banner session-banner", role="alert",
        **{"data-status-url": status_url or "", "data-poll-ms": str(int(poll_ms))})


def build_layout(data: AppData, state: FilterState, policy=None, logout_url: str | None = None, today=None,
                 csrf_token: str | None = None, view_as_url: str | None = None, view_as: str | None = None,
                 session: dict | None = None):
    """The page for one role: hidden layers are not offered, month-precision roles get no
    weekday/hour filters, reduced roles see a banner saying what is reduced. `csrf_token`,
    `view_as_url` and `view_as` (the ceiling in force) are for the page's own forms;
    `session` (status_url, poll_ms) for the stale-page banner."""
    lang = state.lang
    by_month = policy is not None and policy.time_precision == "month"
    hidden = {"display": "none"}
    # Status and map view act on points-mode layers only: a role without them is not offered them.
    offered = role_controls(policy, data.config.layers)
    muni = data.municipality
    cfg = data.config
    header = html.Header([
        html.Div([
            html.H1([
                html.Span("Trygghetskarta", className="brand"), " – ",
                html.Span(kommun_title(muni.name, lang), id="kommun-name"),
            ], id="title"),
            html.Div(
                t("promise_period", lang, start=cfg.period_start.isoformat(), end=cfg.period_end.isoformat(),
                  area=cfg.police_area or "–"),
                id="period",
            ),
        ]),
        html.Div(T("demo_banner", lang), id="demo-banner", className="banner") if data.demo else None,
        html.Div(role_banner(policy, lang), id="role-banner", className="banner role"),
        html.Div([
            a11y.named(dcc.RadioItems(id="lang", options=[{"label": "Svenska", "value": "sv"},
                                                          {"label": "English", "value": "en"}],
                                      value=lang, inline=True, className="lang"), label="Språk / Language"),
            # Both words in the button; CSS shows the one for the mode the page is in.
            html.Button([T("present", lang, className="when-normal"), T("present_exit", lang, className="when-present")],
                        id="present-btn", n_clicks=0, className="btn"),
            view_as_back(view_as, lang, view_as_url, csrf_token),
            logout_form(logout_url, csrf_token, lang) if logout_url else None,
        ], className="header-actions"),
        present_warning(policy, lang, view_as_url, csrf_token),
        session_banner(lang, **(session or {})),
    ], className="header")

    controls = html.Aside([
        html.H2(T("filters", lang)),
        _section("focus_areas", dcc.Checklist(id="f-focus", options=focus_options(data, lang, policy),
                                              value=list(state.focus_areas), className="checklist"), lang),
        _section("layers", dcc.Checklist(id="f-layers", options=layer_options(data, lang, policy),
                                         value=[lid for lid in state.layers
                                                if policy is None or lid not in data.config.layers
                                                or policy.mode(lid) != "hidden"],
                                         className="checklist"), lang),
        _section("time", html.Div([
            dcc.RadioItems(id="f-preset", options=preset_options(lang), value=state.preset, className="radios"),
            dcc.DatePickerRange(id="f-dates", start_date=state.start, end_date=state.end,
                                display_format="YYYY-MM-DD", first_day_of_week=1, clearable=True,
                                **a11y.date_placeholders(lang)),
        ]), lang),
        html.Div([
            _section("weekdays", dcc.Checklist(id="f-weekdays", options=weekday_options(lang),
                                               value=list(state.weekdays), inline=True,
                                               className="checklist inline"), lang),
            _section("hours", dcc.RangeSlider(id="f-hours", min=0, max=23, step=1, value=list(state.hours),
                                              marks={h: f"{h:02d}" for h in range(0, 24, 3)},
                                              allowCross=True), lang),
        ], id="when-filters", style=hidden if by_month else None),
        _section("actors", dcc.Checklist(id="f-actors", options=actor_options(lang), value=list(state.actors),
                                         className="checklist"), lang),
        html.Div(_section("report_status", dcc.Checklist(id="f-status", options=status_options(lang),
                                                         value=list(state.statuses), className="checklist"), lang),
                 id="status-filter", style=None if offered.statuses else hidden),
        html.Div(_section("map_mode", dcc.RadioItems(id="f-mode", options=mode_options(lang), value=state.mode,
                                                     className="radios"), lang),
                 id="mode-filter", style=None if offered.map_mode else hidden),
        html.Button(T("reset_filters", lang), id="reset-btn", n_clicks=0, className="btn"),
        html.P(T("share", lang), className="hint"),
        export_controls(lang),
        report_controls(data, lang, policy, today),
        # The full page (no policy: Dash's callback validation, tests) has the form built in.
        edit_panel(data, lang, policy is None or policy.role in ("polis", "admin"), today, form=policy is None),
        moderation_panel(lang, policy),  # polis, admin, moderator only (dashboard.moderation_view)
    ], id="controls", className="controls")

    map_panel = html.Section([
        html.Div([
            html.Span(id="selection-info", className="selection-info"),
            html.Button(T("clear_selection", lang), id="clear-selection", n_clicks=0, className="btn"),
            html.Button(T("fit_map", lang), id="fit-map", n_clicks=0, className="btn"),
            html.Span(id="map-note", className="map-note"),
        ], className="map-bar"),
        analysis_layout.playback_controls(lang),
        dcc.Graph(id="map", className="map", config={"scrollZoom": True, "displaylogo": False,
                                                      "modeBarButtonsToRemove": ["toImage"]}),
    ], className="map-panel")

    # The charts have no modebar: it sat on their titles, and a bar chart needs no zoom.
    chart_config = {"displaylogo": False, "displayModeBar": False}
    # The promise first (also in presentation mode): its cards are drawn by a callback
    # (dashboard.promise_view); the stores hold what the panels were last drawn for.
    promise = html.Section(id="promise", className="promise", **{"aria-live": "polite"})
    effects = html.Section([
        html.H2(T("effect_title", lang)),
        html.P(T("effect_lead", lang), className="hint"),
        html.Div(id="effects"),
    ], id="effects-panel", className="effects wide")
    # Panels: in normal mode all of them, one after the other (`display: contents`); in
    # presentation mode the chosen tab's panel beside the map (CSS on the section's class).
    charts = html.Section([
        present_tabs(lang),
        # The comparison cards first in normal mode; their own tab in presentation, where the
        # overview's two charts need the whole height (at 1366×768 the cards squeezed them).
        html.Div(analysis_layout.indicator_section(lang), className="panel panel-compare"),
        html.Div([
            dcc.Graph(id="chart-activities", className="chart", config=chart_config),
            dcc.Graph(id="chart-time", className="chart", config=chart_config),
        ], className="panel panel-overview"),
        html.Div([
            dcc.Graph(id="chart-when", className="chart", config=chart_config),
            html.Div(id="planning-gaps", className="planning-gaps", **gates.attributes("planning-gaps")),
            *near_repeat_view.section(lang, policy),  # police only: absent for reduced roles
        ], className="panel panel-when"),
        html.Div(html.Div([
            html.Div([
                html.H3(T("chart_where", lang)),
                dcc.RadioItems(id="where-group", options=where_options(lang), value="locality", inline=True),
            ], className="where-head"),
            html.Div(id="where-table", **gates.attributes("where-table")),
        ], className="chart where"), className="panel panel-where"),
        html.Div(html.Div([
            html.H3(T("report_list", lang)),
            html.Div(id="report-list", **gates.attributes("report-list")),
        ], className="chart where wide"), className="panel panel-list"),
        html.Div(effects, className="panel panel-effects"),
        html.Div(analysis_layout.hotspot_section(data, lang, policy), className="panel panel-hotspots"),
        a11y.chart_tables(lang),
    ], id="charts", className="charts tab-overview")

    return html.Div([
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="filters"),
        dcc.Store(id="view"),
        dcc.Store(id="promise-key"),
        dcc.Store(id="effects-key"),
        *gates.stores(),  # each gated panel's copy of the filters (dashboard.gates)
        header,
        html.Div([controls, html.Main([promise, map_panel, charts], className="main")], className="body"),
    ], id="root", className="present" if state.present else "")
