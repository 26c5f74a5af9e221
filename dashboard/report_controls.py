"""The "Skriv ut lägesbild" controls beside the export: the periods the role may have a report
of (the promise period's years, and the quarters and months its release allows), the button,
the progress line and the job's poll."""

from __future__ import annotations

import datetime as dt

from dash import dcc, html

from layers import privacy

from .data import AppData
from .report.period import Period, periods_between, role_period_kind

#: Kinds from coarse to fine; a role whose cells layers are published per quarter gets no months.
_KINDS = ("year", "quarter", "month")


def report_periods(data: AppData, policy: privacy.Policy | None, today: dt.date | None) -> list[Period]:
    """The promise period's years, then its quarters and months that have begun (newest first),
    none finer than the role's published periods (`report.period.check_period`)."""
    cfg = data.config
    settings = cfg.privacy or privacy.PrivacySettings()
    finest = role_period_kind(policy, settings) if policy is not None else None
    kinds = _KINDS if finest is None else _KINDS[:_KINDS.index(finest) + 1]
    out = []
    for kind in kinds:
        found = [p for p in periods_between(cfg.period_start, cfg.period_end, kind)
                 if today is None or p.start <= today]
        out += found if kind == "year" else found[::-1]
    return out


def period_options(data: AppData, lang: str, policy: privacy.Policy | None, today: dt.date | None) -> list[dict]:
    """The period list's options, labelled in `lang` ('kvartal 4 2026' / 'Q4 2026'); the language
    switch asks for them again (dashboard.callbacks_report), so the labels follow it."""
    return [{"label": p.label(lang), "value": p.code} for p in report_periods(data, policy, today)]


def report_controls(data: AppData, lang: str, policy: privacy.Policy | None, today: dt.date | None):
    from .layout import T

    options = period_options(data, lang, policy, today)
    return html.Div([
        html.H3(T("report_heading", lang)),
        html.Label([T("report_pick_period", lang),
                    dcc.Dropdown(id="r-period", options=options, value=options[0]["value"] if options else None,
                                 clearable=False, searchable=False)]),
        html.Button(T("report_button", lang), id="r-go", n_clicks=0, className="btn"),
        html.Div(id="r-message", className="edit-message", role="status"),
        dcc.Store(id="r-job", storage_type="memory"),
        # On only while a report is being made: no requests for anyone else.
        dcc.Interval(id="r-poll", interval=1500, disabled=True),
    ], className="export report-export")


__all__ = ["period_options", "report_controls", "report_periods"]
