"""The planning gap table: where × when slots with many reports and little presence, per role."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from dash import html

from geodata import place_names
from layers.planning import gap_table

from . import tables
from .data import AppData
from .figures.when import hours_text
from .i18n import WEEKDAYS, number, t
from .roles import RoleFrames

TOP = 5


def gap_rows(frames: RoleFrames, data: AppData, lang: str = "sv", top: int = TOP,
             names: Callable[[pd.DataFrame], np.ndarray] | None = None) -> list[dict] | None:
    """The ranked gaps as display rows (place, when, reports, presence hours, missing presence
    hours: `layers.planning.gap_table`), or None for a role without exact data: per place, weekday and three hours the
    report counts would be far below k, so only polis/admin get them.

    `frames` hold every weekday and hour of the view (the heatmap's frames). Places are named
    by area (`place_names(detail=False)`) so that nearby reports group; `names(points)` gives
    those names of the report rows when known already (`Views.point_names`)."""
    if not frames.policy.exact:
        return None
    kommun = data.municipality.code
    points, acts = frames.points, frames.activities
    if not len(points):
        report_places = np.array([], dtype=object)
    elif names is not None:
        report_places = names(points)
    else:
        report_places = place_names(points["x"].to_numpy(), points["y"].to_numpy(), kommun, lang, detail=False)
    act_places = place_names(acts["x"].to_numpy(), acts["y"].to_numpy(), kommun, lang, detail=False) \
        if len(acts) else np.array([], dtype=object)
    table = gap_table(points, report_places, acts, act_places, top=top)
    days = WEEKDAYS[lang]
    return [{
        "place": row.place,
        "when": f"{days[int(row.weekday)]} {int(row.start_hour):02d}–{int(row.end_hour):02d}",
        "reports": number(int(row.reports), lang),
        "presence": hours_text(row.presence_h, lang),
        "missing": "–" if np.isnan(row.missing_h) else hours_text(row.missing_h, lang),
    } for row in table.itertuples(index=False)]


def gaps_section(frames: RoleFrames, data: AppData, lang: str = "sv",
                 names: Callable[[pd.DataFrame], np.ndarray] | None = None):
    """The gap table with its title and a note saying how the gap is measured (or why not shown)."""
    rows = gap_rows(frames, data, lang, names=names)
    title = html.H3(t("gaps_title", lang))
    if rows is None:
        return [title, html.P(t("gaps_not_for_role", lang), className="hint", id="gaps-note")]
    if not rows:
        return [title, html.P(t("gaps_none", lang), className="empty", id="gaps-note")]
    columns = ["#", t("place", lang), t("gaps_when", lang), t("reports", lang), t("gaps_presence", lang),
               t("gaps_shortfall", lang)]
    body = ([str(i), r["place"], r["when"], r["reports"], r["presence"], r["missing"]]
            for i, r in enumerate(rows, start=1))
    # One Markdown component (dashboard.tables), not one per cell.
    return [title, tables.table(columns, body, right=(3, 4, 5), bold=(5,), className="where-table", id="gaps-rows"),
            html.P(t("gaps_note", lang), className="hint", id="gaps-note")]
