"""Planning: presence hours per weekday × hour from activities, and the ranked where × when gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Activities that were presence: done ones (planned or cancelled ones were not there).
PRESENCE_STATUSES = ("genomförd",)
#: Hours per block in the gap table: single hours are too few reports per place to rank.
BLOCK_H = 3
WEEK_MIN = 7 * 24 * 60


def _start_minutes(frame: pd.DataFrame) -> np.ndarray:
    """Minute of the local week (Monday 00:00 = 0) each activity starts: weekday, hour and the
    minutes of `local_time` ("YYYY-MM-DD HH:MM"; roles with hour precision see ":00")."""
    minute = np.zeros(len(frame), dtype="int64")
    if "local_time" in frame.columns and len(frame):
        text = pd.Series(frame["local_time"].to_numpy(dtype=object), dtype=object).astype(str)
        minute = pd.to_numeric(text.str.slice(14, 16), errors="coerce").fillna(0).to_numpy(dtype="int64")
    return (frame["weekday"].to_numpy().astype("int64") * 24 + frame["hour"].to_numpy().astype("int64")) * 60 + minute


def presence_mask(frame: pd.DataFrame) -> np.ndarray:
    """Activities that count as presence: done, with a known weekday/hour and a duration > 0."""
    if frame.empty:
        return np.zeros(0, dtype=bool)
    duration = pd.to_numeric(frame["duration_min"], errors="coerce").to_numpy(dtype="float64")
    return (frame["status"].isin(PRESENCE_STATUSES).to_numpy()
            & (frame["weekday"].to_numpy() >= 0) & (frame["hour"].to_numpy() >= 0)
            & ~np.isnan(duration) & (duration > 0))


def _spans(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask of presence rows, start minute of week, end minute) of the frame's rows."""
    keep = presence_mask(frame)
    if not keep.any():
        return keep, np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64")
    start = _start_minutes(frame)[keep]
    # Whole minutes; a week at most (the schema's bound), so one fold of the week covers it.
    duration = np.minimum(pd.to_numeric(frame["duration_min"], errors="coerce").to_numpy()[keep], WEEK_MIN)
    return keep, start, start + np.round(duration).astype("int64")


def _hours(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Hours covered per (weekday, hour) slot, shape (7, 24), by spans in minutes of the week."""
    if not len(start):
        return np.zeros((7, 24), dtype="float64")
    # A difference array over two weeks, then folded: every minute an activity covers counts once.
    diff = np.zeros(2 * WEEK_MIN + 1, dtype="int64")
    np.add.at(diff, start, 1)
    np.add.at(diff, end, -1)
    covered = np.cumsum(diff)[: 2 * WEEK_MIN]
    minutes = covered[:WEEK_MIN] + covered[WEEK_MIN:]
    return (minutes.reshape(7 * 24, 60).sum(axis=1) / 60.0).reshape(7, 24)


def presence_hours(frame: pd.DataFrame) -> np.ndarray:
    """Hours of presence per (weekday, hour) slot, shape (7, 24): each done activity's duration
    spread over the hours it covers from its start (an activity 21:30 for 90 minutes gives
    0.5 h at 21 and 1 h at 22; past Sunday midnight it continues on Monday)."""
    _keep, start, end = _spans(frame)
    return _hours(start, end)


def gap_table(reports: pd.DataFrame, report_places, activities: pd.DataFrame, activity_places,
              top: int = 5, block_h: int = BLOCK_H) -> pd.DataFrame:
    """The where × when slots where presence lags the reports most, worst first.

    A slot is a place × weekday × `block_h`-hour block. `report_places` / `activity_places`
    name each row's place ("" for none: not counted in a place). The gap of a slot is its share
    of the placed reports minus its share of the placed presence hours (a fraction; 0.12 is 12
    percentage points): shares, so that a week with no presence at all still ranks its slots.
    Slots with a gap > 0 rank by it, then by reports, place, weekday, hour. `missing_h` says it
    in hours: the presence the slot would have had, had all presence been spread like the
    reports, minus what it had (gap × all presence hours; NaN when there was no presence).
    Columns: place, weekday, start_hour, end_hour, reports, presence_h, report_share,
    presence_share, gap, missing_h.
    """
    columns = ["place", "weekday", "start_hour", "end_hour", "reports", "presence_h", "report_share",
               "presence_share", "gap", "missing_h"]
    report_places = np.asarray(report_places, dtype=object)
    activity_places = np.asarray(activity_places, dtype=object)
    timed = (reports["weekday"].to_numpy() >= 0) & (report_places != "") if len(reports) else np.zeros(0, bool)
    if not timed.any():
        return pd.DataFrame({c: [] for c in columns})
    blocks = 24 // block_h
    slots = 7 * blocks
    # Counted with integer codes (one bincount), not by grouping strings: the dashboard ranks
    # tens of thousands of reports on every filter change.
    codes, names = pd.factorize(report_places[timed], sort=False)
    names = np.asarray(names, dtype=object)
    slot = (reports["weekday"].to_numpy()[timed].astype("int64") * blocks
            + reports["hour"].to_numpy()[timed].astype("int64") // block_h)
    counts = np.bincount(codes.astype("int64") * slots + slot, minlength=len(names) * slots)
    found = np.flatnonzero(counts)
    place_code, slot = found // slots, found % slots
    counted = counts[found].astype("int64")
    keep, start, end = _spans(activities) if len(activities) else (np.zeros(0, bool), [], [])
    where = activity_places[keep] if len(activities) else activity_places[:0]
    presence_h = np.zeros(len(found), dtype="float64")
    total_presence = 0.0
    row_of_name = {name: i for i, name in enumerate(names)}
    for place in pd.unique(where[where != ""]):
        mine = where == place
        grid = _hours(start[mine], end[mine]).reshape(7, blocks, block_h).sum(axis=2).ravel()
        total_presence += float(grid.sum())
        code = row_of_name.get(place)
        if code is not None:
            rows = place_code == code
            presence_h[rows] = grid[slot[rows]]
    report_share = counted / counted.sum()
    presence_share = presence_h / total_presence if total_presence > 0 else np.zeros(len(found))
    gap = report_share - presence_share
    chosen = gap > 1e-9
    place_code, slot, counted, presence_h = place_code[chosen], slot[chosen], counted[chosen], presence_h[chosen]
    report_share, presence_share, gap = report_share[chosen], presence_share[chosen], gap[chosen]
    # Worst first: gap, then reports (both descending), then place, weekday, hour (ascending).
    place_rank = np.empty(len(names), dtype="int64")
    place_rank[np.argsort(names, kind="stable")] = np.arange(len(names))
    order = np.lexsort((slot, place_rank[place_code], -counted, -gap))[:top]
    weekday, start_hour = slot[order] // blocks, (slot[order] % blocks) * block_h
    return pd.DataFrame({
        "place": names[place_code[order]], "weekday": weekday, "start_hour": start_hour,
        "end_hour": start_hour + block_h, "reports": counted[order], "presence_h": presence_h[order],
        "report_share": report_share[order], "presence_share": presence_share[order], "gap": gap[order],
        "missing_h": gap[order] * total_presence if total_presence > 0 else np.full(len(order), np.nan),
    }, columns=columns)
