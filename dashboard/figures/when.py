"""When: the weekday × hour grid of reports with the presence of activities over it."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from layers.messages import format_number
from layers.planning import presence_hours

from ..data import AppData
from ..i18n import WEEKDAYS, number, t
from .base import empty_figure
from .charts import chart_font, chart_title, count_axis
from .map import _cells_layers

#: Presence rings: dark on white and on every focus colour, so they read across a room.
RING_COLOR = "#111111"


def hours_text(value: float, lang: str = "sv") -> str:
    """Hours with one decimal the local way: 1 234,5 (sv) or 1,234.5 (en)."""
    return _hours_text(float(value), lang)


@lru_cache(maxsize=4096)
def _hours_text(value: float, lang: str) -> str:
    # Babel takes ~0.3 ms a number; a grid's 168 hover texts are few distinct values (mostly 0).
    return format_number(value, lang, 1)


def _selected_shapes(weekdays, hours) -> list[dict]:
    """Outlines of the chosen weekday × hour cells (nothing when every slot is chosen)."""
    weekdays = tuple(range(7)) if weekdays is None else tuple(weekdays)
    h0, h1 = (0, 23) if hours is None else tuple(hours)
    if len(weekdays) == 7 and (h0, h1) == (0, 23):
        return []
    return [{"type": "rect", "xref": "x", "yref": "y", "x0": h0 - 0.5, "x1": h1 + 0.5,
             "y0": day - 0.5, "y1": day + 0.5, "line": {"color": RING_COLOR, "width": 3},
             "fillcolor": "rgba(0,0,0,0)"} for day in sorted(weekdays)]


def heatmap_figure(reports: pd.DataFrame, lang: str = "sv", big: bool = False,
                   color: str = "#333333", policy=None, data: AppData | None = None, left_out=(),
                   activities: pd.DataFrame | None = None, weekdays=None, hours=None) -> dict:
    """Weekday × hour counts of reports (colour) and hours of presence (rings), for planning
    when to be present.

    `reports` and `activities` are the view's rows for every weekday and hour: the grid is not
    narrowed by its own weekday/hour choice (`weekdays`, `hours`), which it outlines instead,
    so a click there filters the other views. `left_out` names the cells-mode layers in the
    view, which have no weekday or hour (said in the title). Presence counts done activities
    (`layers.planning.presence_hours`). A role with month precision gets no weekday/hour chart.
    """
    if policy is not None and policy.time_precision == "month":
        return empty_figure(t("when_not_for_role", lang), big)
    suppress = _cells_layers(policy, data) if data is not None else set()
    present = set(pd.unique(reports["layer"])) if suppress else set()
    left_out = [lid for lid in (data.config.layers if data is not None else ())
                if lid in set(left_out) | (suppress & present)]
    if left_out:
        # Weekday × hour per cell would be counts far below k: cells-mode layers are not in it.
        reports = reports[~reports["layer"].isin(left_out).to_numpy()]
        if reports.empty:
            return empty_figure(t("when_cells_only", lang), big)
    presence = presence_hours(activities) if activities is not None else np.zeros((7, 24))
    if reports.empty and not presence.any():
        return empty_figure(t("empty_reports", lang), big)
    note = t("when_note", lang, hours=hours_text(presence.sum(), lang))
    if left_out:
        note += " " + t("without_layers", lang, names=", ".join(data.config.layers[lid].name(lang)
                                                                 for lid in left_out))
    title = chart_title(t("chart_when", lang), t("n_reports", lang, n=number(len(reports), lang)), big, note)
    flat = reports["weekday"].to_numpy().astype(int) * 24 + reports["hour"].to_numpy().astype(int)
    z = np.bincount(flat, minlength=7 * 24).reshape(7, 24)
    days = list(WEEKDAYS[lang])
    hover_hours = [[hours_text(v, lang) for v in row] for row in presence]
    traces = [{
        "type": "heatmap", "z": z.tolist(), "x": list(range(24)), "y": days,
        "colorscale": [[0, "#FFFFFF"], [1, color]], "zmin": 0, "xgap": 1, "ygap": 1,
        "customdata": hover_hours, "name": t("reports", lang),
        "hovertemplate": (f"{t('when_hover_slot', lang, day='%{y}', hour='%{x}')}<br>{t('reports', lang)}: %{{z}}"
                          f"<br>{t('presence', lang)}: %{{customdata}}<extra></extra>"),
        # Whole-number ticks on the count scale (never 0,5), as on the charts' count axes.
        # The scale's title beside it, not on top where its highest tick is.
        "colorbar": {"thickness": 12, "title": {"text": t("count", lang), "side": "right"}, "tick0": 0,
                     "tickformat": ",d",
                     "dtick": count_axis("", float(z.max()), big)["dtick"]},
    }]
    day_ix, hour_ix = np.nonzero(presence > 0)
    if len(day_ix):
        peak = float(presence.max())
        # Ring area grows with the hours; the largest fills most of a cell.
        biggest = 26 if big else 16
        sizes = np.maximum(biggest * np.sqrt(presence[day_ix, hour_ix] / peak), 7)
        ring = np.round(sizes, 1).tolist()
        width = 2.5 if big else 2
        # A white halo under each black ring: readable on white and on the darkest cells.
        traces.append({
            "type": "scatter", "mode": "markers", "name": "", "meta": "presence-halo", "hoverinfo": "skip",
            "x": hour_ix.tolist(), "y": [days[d] for d in day_ix], "showlegend": False,
            "marker": {"symbol": "circle-open", "size": ring, "color": "#FFFFFF", "line": {"width": width + 3}},
        })
        traces.append({
            "type": "scatter", "mode": "markers", "name": t("presence", lang), "meta": "presence",
            "x": hour_ix.tolist(), "y": [days[d] for d in day_ix],
            "marker": {"symbol": "circle-open", "size": ring, "color": RING_COLOR, "line": {"width": width}},
            "text": [t("presence_hover", lang, day=days[d], hour=h, hours=hours_text(presence[d, h], lang))
                     for d, h in zip(day_ix, hour_ix, strict=True)],
            # The title names the rings: a legend would sit where the title is on a narrow screen.
            "hovertemplate": "%{text}<extra></extra>", "showlegend": False,
        })
    return {
        "data": traces,
        "layout": {
            "title": title, "font": chart_font(big),
            "xaxis": {"title": {"text": t("hour", lang), "standoff": 10}, "dtick": 2 if not big else 3,
                      "range": [-0.5, 23.5], "showgrid": False, "zeroline": False, "automargin": True},
            "yaxis": {"autorange": "reversed", "showgrid": False, "type": "category", "automargin": True,
                      "categoryarray": days, "categoryorder": "array"},
            "shapes": _selected_shapes(weekdays, hours),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10, "autoexpand": True}, "plot_bgcolor": "white",
            "meta": {"total": len(reports), "presence_h": round(float(presence.sum()), 2)},
        },
    }
