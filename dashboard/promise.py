"""The promise followed up for one role: commitments, the reports trend per focus area and the effects,
computed from what that role may see (a pure function of the role's data; `promise_view` draws it).

What each part is computed from:

- commitments (`layers.followup.follow_commitments`): the promise's own activity records — an
  activity is the police's or the municipality's own work, not a resident's report, and a
  card shows only period totals of a published definition (per quarter for recurring ones),
  never a time or a place. A card click then filters the role's own activity rows (places
  and times at the role's precision) by the ids that count;
- the reports trend per focus area: for a focus area whose layers the role sees as points, the
  role's points (times cut to its precision: hours keep the local day) with
  `layers.followup.focus_area_changes`; for cells-mode layers the role's published release
  (`ReleaseTrend`: whole published blocks inside the promise period against the same blocks a
  year earlier — the public page's numbers are exactly the allmanhet release's); a focus area
  whose layers are all hidden for the role is not shown at all;
- effects (`layers.followup.evaluate_places`): only for focus areas the role sees as points,
  from those points; never on cells-mode or hidden layers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from layers import privacy
from layers.config import FocusArea, PromiseConfig
from layers.followup import (
    CommitmentProgress,
    FocusAreaChange,
    PlaceEffect,
    evaluate_places,
    focus_area_changes,
    follow_commitments,
)
from layers.release import PERIOD_MONTHS, Block, Release

from .roles import RoleData


@dataclass(frozen=True)
class ReleaseTrend:
    """A focus area's published counts in the promise period and in the same blocks a year earlier."""

    kind: str
    #: Published blocks (first..last) inside the period, and their reports (None: none published yet).
    current: Block | None
    reports: int | None
    #: The blocks a year before `current`, and their reports (None: the release does not reach back).
    last_year: Block | None
    reports_last_year: int | None

    @property
    def change(self) -> int | None:
        if self.reports is None or self.reports_last_year is None:
            return None
        return self.reports - self.reports_last_year

    @property
    def change_pct(self) -> float | None:
        if self.change is None or not self.reports_last_year:
            return None
        return round(100.0 * self.change / self.reports_last_year, 1)


@dataclass(frozen=True)
class AreaFollowUp:
    """One focus area of the promise as the role sees it."""

    area: FocusArea
    commitments: tuple[CommitmentProgress, ...]
    #: From points (`FocusAreaChange`) or from the release (`ReleaseTrend`); None: no layer to count.
    trend: FocusAreaChange | ReleaseTrend | None


@dataclass(frozen=True)
class PromiseFollowUp:
    at: dt.date
    period_start: dt.date
    period_end: dt.date
    areas: tuple[AreaFollowUp, ...]
    effects: tuple[PlaceEffect, ...]

    def progress(self, commitment_id: str) -> CommitmentProgress | None:
        return next((p for a in self.areas for p in a.commitments if p.commitment.id == commitment_id), None)


def area_modes(config: PromiseConfig, pol: privacy.Policy) -> dict[str, str]:
    """Per focus area how the role sees its report layers: 'points' (every layer as points),
    'hidden' (every layer hidden), 'cells' (any other mix: counted from the release) or 'none'."""
    out = {}
    for area in config.focus_areas.values():
        modes = {pol.mode(lid) for lid, spec in config.layers.items() if spec.focus_area == area.id}
        if not modes:
            out[area.id] = "none"
        elif modes == {privacy.HIDDEN}:
            out[area.id] = "hidden"
        elif modes == {privacy.POINTS}:
            out[area.id] = "points"
        else:
            out[area.id] = "cells"
    return out


def with_occurred_at(points: pd.DataFrame) -> pd.DataFrame:
    """The role's points with `occurred_at` made from their cut time `t` (what the follow-up reads)."""
    t = points["t"].to_numpy(dtype="int64").astype("datetime64[ns]")
    return points.assign(occurred_at=np.datetime_as_string(t, unit="s", timezone="UTC"))


def release_trend(release: Release, config: PromiseConfig, area_id: str) -> ReleaseTrend:
    """Published reports of a focus area's cells-mode layers (see `ReleaseTrend`).

    Only blocks wholly inside the promise period count (never the series' first block, which
    also holds everything before it), in one unbroken run: a block where a layer of the area
    was not published (it stayed below k for a year) ends the run rather than count as 0. The
    year before is compared only when its published blocks cover exactly the same periods."""
    layers = [lid for lid in release.layers if lid in config.layers and config.layers[lid].focus_area == area_id]
    counts = release.counts[release.counts["layer"].isin(layers)]
    published = counts.groupby("block")["layer"].nunique()
    complete = set(published.index[published.to_numpy() == len(layers)]) if layers else set()
    per_block = counts.groupby("block")["count"].sum()

    def run(start: dt.date, end_exclusive: dt.date) -> list[int]:
        inside = [i for i, b in enumerate(release.blocks)
                  if not release.open_start(b) and b.start >= start and b.end <= end_exclusive]
        chosen: list[int] = []
        for i in inside:
            if i not in complete or (chosen and release.blocks[i].first != release.blocks[chosen[-1]].last + 1):
                break
            chosen.append(i)
        return chosen

    blocks = release.blocks
    current = run(config.period_start, config.period_end + dt.timedelta(days=1))
    if not current:
        return ReleaseTrend(release.kind, None, None, None, None)
    span = Block(blocks[current[0]].first, blocks[current[-1]].last, release.kind)
    reports = int(per_block.loc[current].sum())
    year = 12 // PERIOD_MONTHS[release.kind]
    wanted = Block(span.first - year, span.last - year, release.kind)
    earlier = run(wanted.start, wanted.end)
    if not earlier or Block(blocks[earlier[0]].first, blocks[earlier[-1]].last, release.kind) != wanted:
        return ReleaseTrend(release.kind, span, reports, None, None)
    return ReleaseTrend(release.kind, span, reports, wanted, int(per_block.loc[earlier].sum()))


def follow_up_for_role(config: PromiseConfig, share: RoleData, activities: pd.DataFrame, at: dt.date, *,
                       public_only: bool = False, effects: bool = True) -> PromiseFollowUp:
    """The promise followed up at `at` for the role of `share` (see the module docstring).

    `activities`: the activity records as loaded (`AppData.activities`); `public_only`: only the
    focus areas that are public promises (the residents' page)."""
    pol = share.policy
    modes = area_modes(config, pol)
    areas = [a for a in config.focus_areas.values()
             if modes[a.id] != "hidden" and (a.promise or not public_only)]
    progress = follow_commitments(config, activities, at) if config.commitments else []
    points_areas = {a.id for a in areas if modes[a.id] == "points"}
    points = share.points
    points = points[points["focus_area"].isin(points_areas).to_numpy()] if len(points) else points
    changes = {}
    # The follow-up reads ISO times: made once from the cut times, for the trend and the effects.
    frame = with_occurred_at(points) if len(points) else pd.DataFrame({"focus_area": [], "occurred_at": []})
    if points_areas:
        changes = {c.id: c for c in focus_area_changes(config, frame, at)}
    out = []
    for area in areas:
        if modes[area.id] == "points":
            trend = changes.get(area.id)
        elif modes[area.id] == "cells" and share.release is not None:
            trend = release_trend(share.release, config, area.id)
        else:
            trend = None
        out.append(AreaFollowUp(area, tuple(p for p in progress if p.commitment.focus_area == area.id), trend))
    found: tuple[PlaceEffect, ...] = ()
    if effects and points_areas and len(points):
        found = tuple(e for e in evaluate_places(config, frame, activities, at)
                      if e.place.focus_area in points_areas)
    return PromiseFollowUp(at, config.period_start, config.period_end, tuple(out), found)


__all__ = ["AreaFollowUp", "PromiseFollowUp", "ReleaseTrend", "area_modes", "follow_up_for_role",
           "release_trend", "with_occurred_at"]
