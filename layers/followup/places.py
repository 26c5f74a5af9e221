"""The places where we acted ("treated places"): commitment areas and places of sustained activity.

Two sources, both from done activities (done by the end of `at`) that have a place:

- a commitment with an `area` (e.g. a road corridor): the area itself, from the first done
  activity that counts towards the commitment; its name is the commitment id;
- sustained activity: done activities of one focus area within `radius_m` (150 m) of a centre
  on at least `min_weeks` (6) of `window_weeks` (8) consecutive weeks — roughly weekly, kept up
  for two months; one-off walks or a patrol a month are not a treatment. Clusters are found
  greedily from the densest point (the centre is the mean of the points within `radius_m` of
  it); the treated area is the circle of `radius_m` around the centre, its start the first
  activity of the first such 8-week run, and its name the one every view gives the centre
  (`geodata.place_names`: "Vaggeryd – stationen", "Vaggeryd – norr om stationen").

Each place belongs to the focus area of its activities: its effect is measured on that focus
area's reports (`layers.followup.evaluate`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geodata.places import place_names

from ..config import PromiseConfig
from .commitments import matching_mask
from .frames import activity_frame, as_date, end_of_day_utc

RADIUS_M = 150.0
MIN_WEEKS = 6
WINDOW_WEEKS = 8


@dataclass(frozen=True)
class TreatedPlace:
    name: str
    name_en: str
    focus_area: str
    #: The treated area in SWEREF 99 TM (metric).
    geometry: shapely.Geometry
    start: dt.date
    #: "commitment:<id>" or "sustained".
    source: str
    #: Done activities that make the place (within the area, from `start` to `at`).
    activities: int

    def label(self, lang: str = "sv") -> str:
        return self.name_en if lang == "en" else self.name


def place_name(x: float, y: float, kommun: str) -> tuple[str, str]:
    """Swedish and English names for a point, the same as every other view gives it
    (`geodata.place_names`: "Vaggeryd – stationen", "Skillingaryd – nordost")."""
    return (str(place_names([x], [y], kommun, "sv")[0]), str(place_names([x], [y], kommun, "en")[0]))


def sustained_start(days: np.ndarray, min_weeks: int = MIN_WEEKS, window_weeks: int = WINDOW_WEEKS) -> dt.date | None:
    """First activity day of the first `window_weeks` stretch with `min_weeks` active weeks, else None.

    The stretch starts at an active week (Monday-based weeks of the local `days`). Visits just
    before regular patrols that complete such a stretch count as its start: the rule is simple
    to explain, and a start a few weeks early only dilutes the measured effect.
    """
    if len(days) == 0:
        return None
    days = np.sort(np.asarray(days).astype("datetime64[D]"))
    # Monday-based week numbers: 1970-01-01 was a Thursday.
    weeks = (days.astype("int64") + 3) // 7
    active = np.unique(weeks)
    for week in active:
        if ((active >= week) & (active < week + window_weeks)).sum() >= min_weeks:
            return as_date(days[weeks == week][0])
    return None


def _sustained(acts: pd.DataFrame, kommun: str, radius_m: float, min_weeks: int,
               window_weeks: int) -> list[TreatedPlace]:
    out: list[TreatedPlace] = []
    for focus in sorted(set(acts["focus_area"])):
        group = acts[acts["focus_area"] == focus]
        if len(group) < min_weeks:
            continue
        x, y, days = group["x"].to_numpy(), group["y"].to_numpy(), group["day"].to_numpy()
        points = shapely.points(x, y)
        tree = shapely.STRtree(points)
        source, target = tree.query(points, predicate="dwithin", distance=radius_m)
        counts = np.bincount(source, minlength=len(points))
        taken = np.zeros(len(points), dtype=bool)
        centres: list[tuple[float, float]] = []
        # Densest first; ties by position in the frame, so the result is deterministic.
        for i in np.lexsort((np.arange(len(points)), -counts)):
            if taken[i] or counts[i] < min_weeks:
                continue
            near = target[source == i]
            near = near[~taken[near]]
            cx, cy = float(x[near].mean()), float(y[near].mean())
            members = np.hypot(x - cx, y - cy) <= radius_m
            members &= ~taken
            taken |= members
            if any(np.hypot(cx - px, cy - py) < 2 * radius_m for px, py in centres):
                continue
            start = sustained_start(days[members], min_weeks, window_weeks)
            if start is None:
                continue
            centres.append((cx, cy))
            name, name_en = place_name(cx, cy, kommun)
            later = members & (days >= np.datetime64(start.isoformat(), "D"))
            out.append(TreatedPlace(name=name, name_en=name_en, focus_area=focus,
                                    geometry=shapely.Point(cx, cy).buffer(radius_m), start=start,
                                    source="sustained", activities=int(later.sum())))
    return out


def find_treated_places(
    config: PromiseConfig, activities: pd.DataFrame, at: dt.date, *, kommun: str | None = None,
    radius_m: float = RADIUS_M, min_weeks: int = MIN_WEEKS, window_weeks: int = WINDOW_WEEKS,
) -> list[TreatedPlace]:
    """Commitment areas with a done activity, then places of sustained activity (see module docstring)."""
    kommun = kommun or config.kommun
    acts = activity_frame(activities, kommun)
    done = ((acts["status"].to_numpy() == "genomförd")
            & (acts["done_t"] < end_of_day_utc(at)).to_numpy(dtype=bool))
    places: list[TreatedPlace] = []
    for c in config.commitments:
        if c.area is None:
            continue
        rows = matching_mask(acts, c) & done
        if not rows.any():
            continue
        first = acts["day"].to_numpy()[rows].min()
        places.append(TreatedPlace(name=c.id, name_en=c.id, focus_area=c.focus_area, geometry=c.area,
                                   start=as_date(first), source=f"commitment:{c.id}",
                                   activities=int(rows.sum())))
    placed = done & ~(np.isnan(acts["x"].to_numpy()) | np.isnan(acts["y"].to_numpy()))
    places.extend(_sustained(acts[placed].reset_index(drop=True), kommun, radius_m, min_weeks, window_weeks))
    return places
