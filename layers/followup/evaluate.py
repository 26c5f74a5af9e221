"""Effect at the places where we acted: before/after counts around each treated place, its WDD and WDQ.

For a `TreatedPlace` (focus area F, area G, start s) and the reports of focus area F:

- windows of equal length L, as the WDD needs: `after` = s and the L - 1 days after it, with
  L = min(`window_days` (365), days from s to the end of `at`); `before` = the same calendar
  days a year earlier when the data reaches back that far (so seasons match: speeding peaks in
  summer, unsafe places in the dark months), else the L days just before s (L then also at most
  the days of data before s). Under `min_window_days` (56) the place is not evaluated (counts
  and estimate None, and the words say why). Pass *all* reports, not just the promise period:
  the before window lies in earlier years;
- treated = reports inside G; buffer = the ring `buffer_m` (300 m) around G, minus other
  treated places of F; control = the rest of G's localities (reports whose nearest locality is
  one that reports in G have, else the locality nearest G's centre) minus G, its buffer and every
  other treated place of F with its buffer — or, given `controls[name]`, that metric polygon
  minus the same;
- `estimate`, `se`, `ci_low`, `ci_high`: the total WDD (treated and buffer against the one
  control, `effect.wdd` with a shared control); `wdq`: `effect.wdq(treated, control, buffer)`,
  None also when the local WDD (treated against control) is not negative — the quotient's
  denominator then is a tiny or no reduction and its value would mean nothing.

`effect_rows` gives the `effects` list of the follow-up JSON; `PlaceEffect.words(lang)` says
what the numbers mean and what they cannot prove.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geodata import localities as locality_table
from geodata import nearest_locality_xy

from ..config import PromiseConfig
from .compare import a_year_earlier
from .effect import MIN_WINDOW_DAYS, WDDResult, wdd, wdq
from .frames import as_date, day, report_frame
from .places import TreatedPlace, find_treated_places

#: The keys of one place in the follow-up JSON (`PlaceEffect.row`), in order.
ROW_KEYS = ("place", "start", "before", "after", "control_before", "control_after", "buffer_before",
            "buffer_after", "estimate", "se", "ci_low", "ci_high", "wdq")
BUFFER_M = 300.0
WINDOW_DAYS = 365


@dataclass(frozen=True)
class PlaceEffect:
    place: TreatedPlace
    window_days: int
    #: First day of the before window (None when not evaluated); the after window starts at place.start.
    before_start: dt.date | None
    before: int | None
    after: int | None
    control_before: int | None
    control_after: int | None
    buffer_before: int | None
    buffer_after: int | None
    result: WDDResult | None
    wdq: float | None
    control_localities: tuple[str, ...]
    buffer_m: float = BUFFER_M

    @property
    def significant_reduction(self) -> bool:
        return self.result is not None and self.result.significant_reduction

    @property
    def significant_increase(self) -> bool:
        return self.result is not None and self.result.significant_increase

    def row(self) -> dict:
        r = self.result
        return {
            "place": self.place.name, "start": self.place.start.isoformat(),
            "before": self.before, "after": self.after,
            "control_before": self.control_before, "control_after": self.control_after,
            "buffer_before": self.buffer_before, "buffer_after": self.buffer_after,
            "estimate": None if r is None else round(r.estimate, 1),
            "se": None if r is None else round(r.se, 2),
            "ci_low": None if r is None else round(r.ci_low, 1),
            "ci_high": None if r is None else round(r.ci_high, 1),
            "wdq": None if self.wdq is None else round(self.wdq, 3),
        }

    def words(self, lang: str = "sv") -> str:
        from .words import effect_words

        return effect_words(self, lang)


def inside(geom: shapely.Geometry, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which metric points (NaN: no place, never inside) lie in a metric geometry."""
    out = np.zeros(len(x), dtype=bool)
    placed = ~(np.isnan(x) | np.isnan(y))
    if placed.any() and not geom.is_empty:
        out[placed] = shapely.contains_xy(geom, x[placed], y[placed])
    return out


def windows(start: dt.date, first: dt.date, at: dt.date, window_days: int = WINDOW_DAYS) -> tuple[dt.date, int]:
    """(first day of the before window, length L in days) for a place starting on `start`."""
    length = min(window_days, (at - start).days + 1)
    year_ago = a_year_earlier(start)
    if year_ago >= first and length <= (start - year_ago).days:
        return year_ago, length
    length = min(length, (start - first).days)
    return start - dt.timedelta(days=max(length, 0)), length


def evaluate_place(
    reports: pd.DataFrame, place: TreatedPlace, others: list[TreatedPlace], at: dt.date, *,
    buffer_m: float = BUFFER_M, window_days: int = WINDOW_DAYS, min_window_days: int = MIN_WINDOW_DAYS,
    control: shapely.Geometry | None = None, alpha: float = 0.05, data_start: dt.date | None = None,
    kommun: str = "0665",
) -> PlaceEffect:
    """One place's effect from a `report_frame(...)` (all focus areas; this picks the place's own)."""
    days_all = reports["day"].to_numpy()
    first = data_start or (as_date(days_all.min()) if len(days_all) else place.start)
    before_start, length = windows(place.start, first, at, window_days)
    rep = reports[reports["focus_area"].to_numpy() == place.focus_area]
    x, y, d = rep["x"].to_numpy(), rep["y"].to_numpy(), rep["day"].to_numpy()
    treated = inside(place.geometry, x, y)
    same = [o for o in others if o is not place and o.focus_area == place.focus_area]
    other_areas = shapely.union_all([o.geometry for o in same]) if same else shapely.Polygon()
    ring = place.geometry.buffer(buffer_m).difference(place.geometry).difference(other_areas)
    buffer = inside(ring, x, y)
    excluded = place.geometry.buffer(buffer_m)
    if same:
        excluded = excluded.union(shapely.union_all([o.geometry.buffer(buffer_m) for o in same]))
    if control is not None:
        in_control = inside(control.difference(excluded), x, y)
        control_localities: tuple[str, ...] = ()
    else:
        names = rep["locality_name"].to_numpy()
        control_localities = tuple(sorted(set(names[treated]) - {""}))
        if not control_localities:
            centre = place.geometry.centroid
            index, _ = nearest_locality_xy([centre.x], [centre.y], kommun)
            control_localities = (str(locality_table(kommun)["name"].iloc[int(index[0])]),)
        in_control = np.isin(names, list(control_localities)) & ~inside(excluded, x, y)
    if length < min_window_days:
        return PlaceEffect(place, max(length, 0), None, None, None, None, None, None, None, None, None,
                           control_localities, buffer_m)
    s, b0 = day(place.start), day(before_start)
    before = (d >= b0) & (d < b0 + np.timedelta64(length, "D"))
    after = (d >= s) & (d < s + np.timedelta64(length, "D"))

    def pair(mask):
        return int((mask & before).sum()), int((mask & after).sum())

    t, c, b = pair(treated), pair(in_control), pair(buffer)
    # Without a report in the control there is no trend to compare with: no estimate.
    result = wdd(control=c, treated=t, disp_treated=b, alpha=alpha) if sum(c) else None
    # WDQ only where the treated area shows a reduction by the WDD's measure too (see module docstring).
    quotient = wdq(t, c, b) if result is not None and result.local_estimate < 0 else None
    return PlaceEffect(place, length, before_start, t[0], t[1], c[0], c[1], b[0], b[1], result, quotient,
                       control_localities, buffer_m)


def evaluate_places(
    config: PromiseConfig, reports: pd.DataFrame, activities: pd.DataFrame, at: dt.date, *,
    kommun: str | None = None, places: list[TreatedPlace] | None = None,
    controls: dict[str, shapely.Geometry] | None = None, buffer_m: float = BUFFER_M,
    window_days: int = WINDOW_DAYS, min_window_days: int = MIN_WINDOW_DAYS, alpha: float = 0.05,
) -> list[PlaceEffect]:
    """Find the treated places (unless given) and evaluate each (frames as the store gives them).

    `controls` maps a place name to a chosen control area (SWEREF 99 TM polygon) instead of the
    rest of its locality.
    """
    kommun = kommun or config.kommun
    if places is None:
        places = find_treated_places(config, activities, at, kommun=kommun)
    frame = report_frame(reports, kommun)
    controls = controls or {}
    return [evaluate_place(frame, p, places, at, buffer_m=buffer_m, window_days=window_days,
                           min_window_days=min_window_days, control=controls.get(p.name), alpha=alpha,
                           kommun=kommun)
            for p in places]


def effect_rows(effects: list[PlaceEffect]) -> list[dict]:
    """The `effects` list of the follow-up JSON."""
    return [e.row() for e in effects]
