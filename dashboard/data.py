"""In-memory data for the dashboard: store tables enriched once with local time, lon/lat, place."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata import (
    Municipality,
    cell_index,
    get_municipality,
    localities,
    nearest_locality_xy,
    to_wgs84,
)
from layers import PromiseConfig, Store
from layers.schema import parse_times

TZ = "Europe/Stockholm"
#: Cells for the "where" table and the click-to-select cells.
PLACE_CELL_M = 500


@dataclass(frozen=True)
class AppData:
    """Everything the callbacks read; built once per data load, never mutated."""

    reports: pd.DataFrame
    activities: pd.DataFrame
    municipality: Municipality
    neighbours: gpd.GeoDataFrame
    localities: pd.DataFrame
    config: PromiseConfig
    demo: bool


def enrich(frame: pd.DataFrame, time_column: str, kommun: str) -> pd.DataFrame:
    """Add t (UTC ns), local weekday/hour/text, lon/lat, nearest locality and 500 m cell."""
    out = frame.copy()
    # Few distinct values: categoricals make every isin, compare, count and crosstab cheap.
    for column in ("layer", "focus_area", "category", "status", "source", "actor", "kind"):
        if column in out.columns:
            out[column] = out[column].astype("category")
    utc = parse_times(out[time_column])
    local = utc.dt.tz_convert(TZ)
    # Nanoseconds since the epoch, whatever resolution pandas parsed into.
    out["t"] = utc.dt.as_unit("ns").astype("int64").to_numpy()
    out["weekday"] = local.dt.day_of_week.astype("int8").to_numpy()
    out["hour"] = local.dt.hour.astype("int8").to_numpy()
    out["local_time"] = local.dt.strftime("%Y-%m-%d %H:%M").to_numpy()
    # Calendar keys for the time chart: months since year 0, and local days since 1970.
    out["month_key"] = (local.dt.year * 12 + local.dt.month - 1).astype("int32").to_numpy()
    out["day_key"] = (
        (local.dt.tz_localize(None).dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    ).astype("int32").to_numpy()
    return with_place(out, out["x"].to_numpy(), out["y"].to_numpy(), kommun)


def with_place(frame: pd.DataFrame, x, y, kommun: str) -> pd.DataFrame:
    """`frame` (changed in place and returned) with metric x/y and everything derived from
    them: lon/lat, nearest locality (-1: no place) and the 500 m cell."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    frame["x"], frame["y"] = x, y
    lon, lat = to_wgs84(x, y)
    frame["lon"], frame["lat"] = lon, lat
    has_place = ~np.isnan(x)
    locality = np.full(len(frame), -1, dtype="int16")
    if has_place.any():
        index, _ = nearest_locality_xy(x[has_place], y[has_place], kommun)
        locality[has_place] = index
    frame["locality"] = locality
    ix, iy = cell_index(np.nan_to_num(x), np.nan_to_num(y), PLACE_CELL_M)
    frame["cell_ix"] = np.where(has_place, ix, 0)
    frame["cell_iy"] = np.where(has_place, iy, 0)
    return frame


def load(store: Store, config: PromiseConfig | None = None) -> AppData:
    """Read the store once and prepare the frames the dashboard filters; `config` defaults to
    the promise a view shows today (the data file's current one, or a `--config` given at open)."""
    config = config or store.current_config()
    kommun = store.meta.kommun
    muni = get_municipality(kommun)
    reports = enrich(store.read_table("reports"), "occurred_at", kommun)
    activities = enrich(store.read_table("activities"), "planned_at", kommun)
    return AppData(
        reports=reports,
        activities=activities,
        municipality=muni,
        neighbours=muni.neighbours(),
        localities=localities(kommun),
        config=config,
        demo=store.meta.demo,
    )
