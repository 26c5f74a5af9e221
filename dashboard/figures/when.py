"""When: the weekday × hour grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import AppData
from ..i18n import WEEKDAYS, number, t
from .base import _font, _title, empty_figure
from .map import _cells_layers


def heatmap_figure(reports: pd.DataFrame, lang: str = "sv", big: bool = False,
                   color: str = "#333333", policy=None, data: AppData | None = None, left_out=()) -> dict:
    """Weekday × hour counts of reports, for planning when to be present.

    `reports` are points-mode rows; `left_out` names the cells-mode layers in the view, which
    have no weekday or hour (said in the title). A role with month precision gets no
    weekday/hour chart at all.
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
    if reports.empty:
        return empty_figure(t("empty_reports", lang), big)
    title = t("n_reports", lang, n=number(len(reports), lang))
    if left_out:
        title += " " + t("without_layers", lang, names=", ".join(data.config.layers[lid].name(lang)
                                                                  for lid in left_out))
    flat = reports["weekday"].to_numpy().astype(int) * 24 + reports["hour"].to_numpy().astype(int)
    z = np.bincount(flat, minlength=7 * 24).reshape(7, 24)
    return {
        "data": [{
            "type": "heatmap", "z": z.tolist(), "x": list(range(24)), "y": list(WEEKDAYS[lang]),
            "colorscale": [[0, "#FFFFFF"], [1, color]], "zmin": 0, "xgap": 1, "ygap": 1,
            "hovertemplate": f"%{{y}} kl. %{{x}}:00<br>{t('count', lang)}: %{{z}}<extra></extra>",
            "colorbar": {"thickness": 12},
        }],
        "layout": {
            "title": _title(title, big), "font": _font(big),
            "xaxis": {"title": {"text": t("hour", lang)}, "dtick": 2 if not big else 3},
            "yaxis": {"autorange": "reversed"},
            "margin": {"l": 60, "r": 10, "t": 50, "b": 50}, "plot_bgcolor": "white",
            "meta": {"total": len(reports)},
        },
    }
