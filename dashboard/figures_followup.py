"""Pure figure builders of the follow-up: a before/after chart per evaluated place (reports per month
at the place, in its control area and in the ring around it; start, windows and the estimate)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from layers.followup import PlaceEffect
from layers.followup.evaluate import inside

from .figures import _font, _lines, _title, empty_figure
from .i18n import MONTHS, t
from .promise_view import decimal

COLORS = {"treated": "#D55E00", "control": "#0072B2", "buffer": "#009E73"}
ZONES = ("treated", "control", "buffer")


def zone_masks(reports: pd.DataFrame, effect: PlaceEffect, places, locality_names) -> dict[str, np.ndarray]:
    """Which rows of `reports` (the dashboard's enriched frame: focus_area, x, y, locality
    index) are in the place, its control area and its ring — the zones of
    `layers.followup.evaluate` (the ring and the control leave out the other treated places
    of the same focus area and their rings). `places`: every evaluated place."""
    place = effect.place
    same_area = reports["focus_area"].to_numpy() == place.focus_area
    x, y = reports["x"].to_numpy(dtype="float64"), reports["y"].to_numpy(dtype="float64")
    same = [p for p in places if p is not place and p.focus_area == place.focus_area]
    other_areas = shapely.union_all([o.geometry for o in same]) if same else shapely.Polygon()
    ring = place.geometry.buffer(effect.buffer_m).difference(place.geometry).difference(other_areas)
    excluded = place.geometry.buffer(effect.buffer_m)
    if same:
        excluded = excluded.union(shapely.union_all([o.geometry.buffer(effect.buffer_m) for o in same]))
    names = list(locality_names)
    wanted = [names.index(n) for n in effect.control_localities if n in names]
    control = np.isin(reports["locality"].to_numpy(), wanted) & ~inside(excluded, x, y)
    return {"treated": same_area & inside(place.geometry, x, y), "control": same_area & control,
            "buffer": same_area & inside(ring, x, y)}


def _month_start(key: int) -> dt.date:
    return dt.date(key // 12, key % 12 + 1, 1)


def monthly(reports: pd.DataFrame, masks: dict[str, np.ndarray], first: dt.date, last: dt.date
            ) -> tuple[list[int], dict[str, list[int]]]:
    """Month keys from `first`'s month to `last`'s, and each zone's reports per month."""
    k0, k1 = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    keys = list(range(k0, k1 + 1))
    month = reports["month_key"].to_numpy()
    counts = {}
    for zone in ZONES:
        rows = month[masks[zone] & (month >= k0) & (month <= k1)] - k0
        counts[zone] = np.bincount(rows, minlength=len(keys)).astype(int).tolist()
    return keys, counts


def estimate_text(effect: PlaceEffect, lang: str) -> str:
    r = effect.result
    if r is None:
        return t("effect_not_estimated", lang)
    return t("effect_estimate", lang, estimate=decimal(r.estimate, lang, 0), level=decimal(100 * (1 - r.alpha), lang, 0),
             low=decimal(r.ci_low, lang, 0), high=decimal(r.ci_high, lang, 0))


def effect_figure(effect: PlaceEffect, reports: pd.DataFrame, places, locality_names, at: dt.date,
                  lang: str = "sv", big: bool = False) -> dict:
    """Reports per month in the three zones around one place, the start as a dashed line and
    the before and after windows shaded; the title gives the estimate and its interval."""
    place = effect.place
    first = effect.before_start or (place.start - dt.timedelta(days=max(effect.window_days, 60)))
    if first > at:
        return empty_figure(place.label(lang), big)
    masks = zone_masks(reports, effect, places, locality_names)
    keys, counts = monthly(reports, masks, first, at)
    x = [_month_start(k).isoformat() for k in keys]
    labels = [f"{MONTHS[lang][k % 12]} {k // 12}" for k in keys]
    names = {"treated": t("effect_treated", lang), "control": t("effect_control", lang),
             "buffer": t("effect_buffer", lang)}
    traces = [{
        "type": "scatter", "mode": "lines+markers", "name": names[z], "x": x, "y": counts[z],
        "line": {"color": COLORS[z], "width": 3 if z == "treated" else 2, **({} if z == "treated" else {"dash": "dot"})},
        "customdata": labels, "hovertemplate": f"%{{customdata}}: %{{y}} ({names[z]})<extra></extra>", "meta": z,
    } for z in ZONES]
    start = place.start.isoformat()
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": start, "x1": start, "y0": 0, "y1": 1,
               "line": {"color": "#111111", "dash": "dash", "width": 2}}]
    if effect.before_start is not None:
        for begin in (effect.before_start, place.start):
            shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": begin.isoformat(),
                           "x1": (begin + dt.timedelta(days=effect.window_days)).isoformat(), "y0": 0, "y1": 1,
                           "fillcolor": "#777777", "opacity": 0.08, "line": {"width": 0}, "layer": "below"})
    return {
        "data": traces,
        "layout": {
            "title": _title(f"{place.label(lang)}: {estimate_text(effect, lang)}", big),
            "xaxis": {"type": "date", "tickformat": "%b %Y", "title": {"text": t("month", lang)}},
            "yaxis": {"title": {"text": t("reports", lang)}, "rangemode": "tozero"},
            "shapes": shapes,
            "annotations": [{"x": start, "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom",
                             "text": t("effect_start", lang, date=start), "showarrow": False}],
            "legend": {"orientation": "h", "y": -0.25},
            "margin": {"l": 50, "r": 10, "t": 50, "b": 60},
            "font": _font(big), "paper_bgcolor": "white", "plot_bgcolor": "white",
            "meta": {"counts": counts, "months": x},
        },
    }


def commitment_area_trace(commitment, lang: str) -> list[dict]:
    """The outline of a chosen commitment's area on the map ([] when it names localities or nothing)."""
    if commitment is None or commitment.area_wgs84 is None:
        return []
    lon, lat = _lines(commitment.area_wgs84)
    return [{
        "type": "scattermap", "mode": "lines", "lon": lon, "lat": lat, "line": {"color": "#000000", "width": 3},
        "hoverinfo": "skip", "name": t("commitment_area", lang), "meta": "commitment", "showlegend": False,
    }]


__all__ = ["ZONES", "commitment_area_trace", "effect_figure", "estimate_text", "monthly", "zone_masks"]
