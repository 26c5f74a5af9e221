"""Follow-up inputs: report and activity frames as the store gives them, reduced to what the counts need.

Accepted shapes (whatever the caller has at hand):

- `Store.reports()` / `Store.activities()`: GeoDataFrames with a point `geometry` (any CRS; none
  means SWEREF 99 TM, the store's), empty points for "no place";
- `Store.read_table(...)` and the dashboard's enriched frames (`dashboard.data.enrich`): metric
  `x`, `y` columns (NaN for no place); `x`/`y` win over `geometry` when both are there;
- hand-made test frames with just the columns below.

Reports need `focus_area` and `occurred_at` (ISO 8601 text with offset, as the store holds it);
activities need `focus_area`, `actor`, `kind`, `planned_at`, `done_at`, `status` and
`duration_min`, and may have `id` and an explicit `commitment` id column. Times are compared as
Swedish local dates (Europe/Stockholm), like the rest of the app.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from geodata import METRIC, nearest_locality_xy
from geodata import localities as locality_table

from ..schema import parse_times

TZ = "Europe/Stockholm"


def points_xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Metric x, y per row (NaN where there is no place)."""
    if "x" in frame.columns and "y" in frame.columns:
        return (pd.to_numeric(frame["x"], errors="coerce").to_numpy(dtype="float64"),
                pd.to_numeric(frame["y"], errors="coerce").to_numpy(dtype="float64"))
    if "geometry" in frame.columns:
        geoms = frame["geometry"]
        crs = getattr(geoms, "crs", None)
        if crs is not None and crs != METRIC and hasattr(geoms, "to_crs"):
            geoms = geoms.to_crs(METRIC)
        values = np.asarray(geoms, dtype=object)
        present = ~(shapely.is_missing(values) | shapely.is_empty(values))
        x = np.full(len(values), np.nan)
        y = np.full(len(values), np.nan)
        x[present] = shapely.get_x(values[present])
        y[present] = shapely.get_y(values[present])
        return x, y
    nan = np.full(len(frame), np.nan)
    return nan, nan.copy()


def local_days(utc: pd.Series) -> np.ndarray:
    """UTC timestamps → local calendar days as datetime64[D] (NaT stays NaT)."""
    local = utc.dt.tz_convert(TZ).dt.tz_localize(None)
    return local.dt.floor("D").to_numpy().astype("datetime64[D]")


def day(value: dt.date) -> np.datetime64:
    return np.datetime64(value.isoformat(), "D")


def as_date(value: np.datetime64) -> dt.date:
    """A numpy day (of any unit; frames hold days as datetime64[s]) → datetime.date."""
    return dt.date.fromisoformat(str(np.datetime64(value, "D")))


def end_of_day_utc(value: dt.date) -> pd.Timestamp:
    """The first instant after local day `value` ends (what "done by `at`" compares against)."""
    return pd.Timestamp(value + dt.timedelta(days=1)).tz_localize(TZ).tz_convert("UTC")


def _text(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    return frame[column].astype("string").fillna("").to_numpy(dtype=object)


def with_locality(frame: pd.DataFrame, kommun: str) -> pd.DataFrame:
    """Add `locality_name`: the nearest locality of each placed row ("" without a place)."""
    x, y = frame["x"].to_numpy(), frame["y"].to_numpy()
    has = ~(np.isnan(x) | np.isnan(y))
    names = np.full(len(frame), "", dtype=object)
    if has.any():
        index, _ = nearest_locality_xy(x[has], y[has], kommun)
        names[has] = locality_table(kommun)["name"].to_numpy()[index]
    frame["locality_name"] = names
    return frame


def activity_frame(activities: pd.DataFrame, kommun: str) -> pd.DataFrame:
    """Activities with planned (UTC), day (local planned day), weekday, hour, done_t, hours, x, y."""
    planned = parse_times(activities["planned_at"]).reset_index(drop=True)
    done_text = activities["done_at"] if "done_at" in activities.columns else pd.Series([""] * len(activities))
    done = parse_times(done_text).reset_index(drop=True)
    local = planned.dt.tz_convert(TZ)
    x, y = points_xy(activities)
    out = pd.DataFrame({
        "id": _text(activities, "id"),
        "focus_area": _text(activities, "focus_area"),
        "actor": _text(activities, "actor"),
        "kind": _text(activities, "kind"),
        "status": _text(activities, "status"),
        "commitment": _text(activities, "commitment"),
        "planned": planned,
        # A done activity without done_at happened when planned.
        "done_t": done.fillna(planned),
        "day": local_days(planned),
        "weekday": local.dt.day_of_week.to_numpy(),
        "hour": local.dt.hour.to_numpy(),
        "hours": pd.to_numeric(activities["duration_min"], errors="coerce").fillna(0).to_numpy(dtype="float64") / 60.0,
        "x": x,
        "y": y,
    })
    return with_locality(out, kommun)


def report_frame(reports: pd.DataFrame, kommun: str, localities: bool = True) -> pd.DataFrame:
    """Reports with day (local occurred day), focus_area, layer, x, y and (unless not asked) locality_name."""
    occurred = parse_times(reports["occurred_at"]).reset_index(drop=True)
    x, y = points_xy(reports)
    out = pd.DataFrame({
        "focus_area": _text(reports, "focus_area"),
        "layer": _text(reports, "layer"),
        "day": local_days(occurred),
        "x": x,
        "y": y,
    })
    return with_locality(out, kommun) if localities else out
