"""What was done since a safety walk, point by point: the point's status, moderation and reply
(on the point itself, layers.walks) and the activities carried out near it between that walk and
a later one (e.g. the repeat walk months later). Reads the data file exactly: for the command line
(whoever holds the file); a role's view would take the activities from its RoleFrames instead."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .schema import LOCAL_TZ, parse_times
from .walks import Walk, WalkPoint

#: How near an activity counts as done "at" a point: a street block or two.
RADIUS_M = 200.0


@dataclass(frozen=True)
class DoneNear:
    kind: str
    actor: str
    done_on: dt.date
    distance_m: float


@dataclass(frozen=True)
class PointSince:
    point: WalkPoint
    #: Activities done within RADIUS_M after the walk's day up to and including `until`, nearest first.
    activities: tuple[DoneNear, ...]


def done_since(store, walk: Walk, until: dt.date, radius_m: float = RADIUS_M) -> list[PointSince]:
    """For each point of `walk`: the activities done (status genomförd, with a place) within
    `radius_m` after the walk's day and on or before `until`."""
    frame = store.read_table("activities", "WHERE status = 'genomförd'")
    frame = frame[~np.isnan(frame["x"].to_numpy())]
    if len(frame):
        days = parse_times(frame["done_at"]).dt.tz_convert(LOCAL_TZ).dt.date
        frame = frame.assign(done_on=days.to_numpy())
        frame = frame[(frame["done_on"] > walk.held_on) & (frame["done_on"] <= until)]
    x, y = frame["x"].to_numpy(), frame["y"].to_numpy()
    found = []
    for point in walk.points:
        distance = np.hypot(x - point.x, y - point.y)
        near = np.flatnonzero(distance <= radius_m)
        near = near[np.lexsort((frame["done_on"].to_numpy()[near], distance[near]))] if len(near) else near
        found.append(PointSince(point, tuple(
            DoneNear(str(frame["kind"].iloc[i]), str(frame["actor"].iloc[i]), frame["done_on"].iloc[i],
                     float(distance[i])) for i in near)))
    return found
