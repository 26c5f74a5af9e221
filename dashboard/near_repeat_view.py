"""The planning ("När") panel's near-repeat summary, police only: the Knox test per layer of the view.

Only a role that sees everything exactly (polis, admin: `Policy.exact`) gets the section in its
page and an answer from its callback: the test works on exact places and days, which the
reduced roles may not see, and even its pair counts would tell them how close reports are. The
numbers come from the role's own frames (`Views.get` → `RoleFrames.points`: police-feed reports
have no place there and are left out), every weekday and hour (the heatmap's frames: a chosen
hour would cut pairs apart), and are cached per filters, role, day and data revision
(`Views.render`).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from layers.analysis.near_repeat import DEFAULT_DAYS, DEFAULT_DISTANCE_M, knox_test
from layers.messages import format_number

from . import gates, tables
from .filters import FilterState
from .i18n import number, t
from .roles import RoleFrames

#: Reports of one layer above which the page does not run the test (pointpats permutes in a
#: Python loop: a request must not take minutes); the note points to the CLI instead.
MAX_VIEW_REPORTS = 1500
PERMUTATIONS = 99


def section(lang: str, policy) -> list:
    """The section for the layout, as a list to splice in: empty for a reduced role (policy None is
    Dash's start-up validation, which needs every component)."""
    if policy is not None and not policy.exact:
        return []
    # Closed until asked for: the test costs a permutation loop per filter change, which every
    # viewer would pay on every click for a table few of them open.
    return [html.Details([html.Summary(html.H3(t("nrv_title", lang), className="nrv-title")),
                          html.Div(id="near-repeat-body")],
                         id="near-repeat", open=False, className="planning-gaps near-repeat",
                         **{"data-gate-open": "1"}),
            dcc.Store(id=gates.filters_for("near-repeat-body"))]


def summary_rows(frames: RoleFrames, data, lang: str = "sv") -> list[dict] | None:
    """Per layer of the view with reports: the Knox test at 200 m / 7 days as display texts, or a
    note when there are too few or too many; None for a role without exact data."""
    if not frames.policy.exact:
        return None
    points = frames.points
    rows = []
    present = set(points["layer"].astype(str)) if len(points) else set()
    for lid, spec in data.config.layers.items():
        if lid not in present:
            continue
        mine = points[points["layer"].astype(str).to_numpy() == lid]
        mine = mine[mine["x"].notna().to_numpy()]
        row = {"layer": spec.name(lang), "reports": number(len(mine), lang)}
        if len(mine) < 3:
            rows.append({**row, "note": t("nrv_few", lang)})
            continue
        if len(mine) > MAX_VIEW_REPORTS:
            rows.append({**row, "note": t("nrv_many", lang, max=number(MAX_VIEW_REPORTS, lang))})
            continue
        result = knox_test(pd.DataFrame({"x": mine["x"].to_numpy(), "y": mine["y"].to_numpy(),
                                         "day": mine["day_key"].to_numpy()}), bands=1, permutations=PERMUTATIONS)
        rows.append({**row, "close": number(result.close_in_both, lang),
                     "expected": format_number(result.expected, lang, decimals=1),
                     "ratio": "–" if result.ratio is None else format_number(result.ratio, lang, decimals=2),
                     "p": format_number(result.p, lang, decimals=2),
                     "verdict": t("nrv_yes" if result.near_repeat else "nrv_no", lang)})
    return rows


def body(frames: RoleFrames, data, lang: str = "sv") -> list:
    """The table with its lead and the note that it is not proof of cause."""
    rows = summary_rows(frames, data, lang)
    if rows is None:
        return []
    lead = html.P(t("nrv_lead", lang, distance=format_number(DEFAULT_DISTANCE_M, lang), days=DEFAULT_DAYS,
                    permutations=PERMUTATIONS), className="hint")
    if not rows:
        return [lead, html.P(t("nrv_none", lang), className="empty", id="near-repeat-none")]
    columns = [t("nrv_layer", lang), t("reports", lang), t("nrv_close", lang), t("nrv_expected", lang),
               t("nrv_ratio", lang), "p", t("nrv_verdict", lang)]
    lines = ([r["layer"], r["reports"], r.get("close", ""), r.get("expected", ""), r.get("ratio", ""),
              r.get("p", ""), r.get("verdict", r.get("note", ""))] for r in rows)
    return [lead, tables.table(columns, lines, right=(1, 2, 3, 4, 5), className="where-table", id="near-repeat-rows"),
            html.P(t("nr_not_cause", lang), className="hint")]


def register_near_repeat(app, views) -> None:
    """The section's callback; a reduced role's request (forged: its page has no section) gets nothing."""

    # The filters reach it only while the section is open (dashboard.gates).
    @app.callback(Output("near-repeat-body", "children"), Input(gates.filters_for("near-repeat-body"), "data"),
                  State("near-repeat", "open"), **gates.NOT_AT_LOAD)
    def render_near_repeat(filters_data, is_open):
        if not filters_data or not is_open:
            return no_update
        role = views.role()
        if not views.policy(role).exact:
            return []
        state = FilterState.from_dict(filters_data)
        every = replace(state, weekdays=tuple(range(7)), hours=(0, 23))
        return views.render("near_repeat", every, (), lambda frames: body(frames, views.data, state.lang), role=role)


__all__ = ["MAX_VIEW_REPORTS", "body", "register_near_repeat", "section", "summary_rows"]
