"""The reductions: times cut to a precision, counts below k suppressed, grid cells and their fold.

Points are counted in grid cells; the cells below k are folded into per-locality 'spridda rapporter'.

`layers.privacy` applies them per role and re-exports every name here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geodata import (
    DEFAULT_CELL_M,
    METRIC,
    cell_centres_wgs84,
    cell_id,
    cell_index,
    localities,
    nearest_locality_xy,
    to_metric,
)
from geodata.grid import check_cell_size

from .messages import template
from .privacy_policy import DEFAULT_K, EXACT, HOUR, MIN_K, PRECISIONS, TIMEZONE, PrivacyError

# -- times -------------------------------------------------------------------------------

def truncate_times(values: pd.Series, precision: str) -> pd.Series:
    """ISO 8601 times with offset, truncated to a precision in Stockholm local time.

    'exact' returns the text unchanged; 'hour' zeroes minutes and seconds; 'month' gives
    the first day of the month at 00:00. Results are ISO text with the offset that is
    right for the truncated local time (+01:00 in winter, +02:00 in summer), so that a
    summer time stamp truncated to 1 March carries +01:00. Empty or missing values stay ''.
    """
    if precision not in PRECISIONS:
        raise PrivacyError(
            f"unknown time precision {precision!r}; use one of {', '.join(PRECISIONS)}"
        )
    series = pd.Series(values, copy=True)
    if precision == EXACT:
        return series.astype(object).where(series.notna(), "")
    text = series.astype("string").fillna("").str.strip()
    present = (text != "").to_numpy()
    out = pd.Series([""] * len(text), index=series.index, dtype=object)
    if not present.any():
        return out
    utc = pd.to_datetime(text[present], format="ISO8601", utc=True)
    if precision == HOUR:
        # Swedish offsets are whole hours, so the UTC hour floor is the local hour floor,
        # and it is unambiguous in the repeated hour of the autumn DST change.
        local = utc.dt.floor("h").dt.tz_convert(TIMEZONE)
    else:
        local_wall = utc.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
        first = local_wall.dt.to_period("M").dt.start_time
        # Midnight on the 1st never falls in a DST gap or overlap in Sweden.
        local = first.dt.tz_localize(TIMEZONE)
    formatted = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    formatted = formatted.str[:-2] + ":" + formatted.str[-2:]
    out[present] = formatted.to_numpy(dtype=object)
    return out


# -- counts ------------------------------------------------------------------------------

def safe_count(n: int, k: int = DEFAULT_K, lang: str = "sv") -> str:
    """A count fit to show for sensitive data: 'färre än k' / 'fewer than k' below k."""
    n = int(n)
    if n < k:
        return template("count_fewer_than", "en" if lang == "en" else "sv").format(k=k)
    return str(n)


def safe_counts(counts: pd.Series, k: int = DEFAULT_K) -> pd.Series:
    """Counts with every value below k replaced by NA (for charts of sensitive layers)."""
    counts = pd.Series(counts).astype("Int64")
    return counts.where(counts >= k)


# -- cells -------------------------------------------------------------------------------

CELL_COLUMNS = ("layer", "cell_id", "lon", "lat", "count", "locality")
SCATTERED_COLUMNS = ("layer", "locality", "count")


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "count" else object) for c in columns})


def aggregate_cells(
    frame: pd.DataFrame,
    cell_m: int = DEFAULT_CELL_M,
    k: int = DEFAULT_K,
    kommun: str = "0665",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Grid counts safe to show: (cells with count ≥ k, per-locality 'spridda rapporter').

    `frame` holds metric x, y (SWEREF 99 TM) of one or more layers (column `layer`,
    optional). Cells: layer, cell_id, lon/lat of the cell centre, count, nearest locality
    of the centre. Reports in cells below k are summed per locality (by the nearest
    locality of their cell's centre); a locality whose sum is below k is dropped too.
    Rows without a place (NaN) are ignored.
    """
    check_cell_size(cell_m)
    if int(k) < MIN_K:
        raise PrivacyError(f"k must be ≥ {MIN_K}, got {k!r}")
    x, y = _metric_xy(frame)
    has_place = ~(np.isnan(x) | np.isnan(y))
    layer = (
        np.asarray(frame["layer"], dtype=object) if "layer" in frame.columns
        else np.full(len(frame), "", dtype=object)
    )
    x, y, layer = x[has_place], y[has_place], layer[has_place]
    if len(x) == 0:
        return _empty(CELL_COLUMNS), _empty(SCATTERED_COLUMNS)
    ix, iy = cell_index(x, y, cell_m)
    counts = (
        pd.DataFrame({"layer": layer, "ix": ix, "iy": iy})
        .value_counts().reset_index(name="count")
        .sort_values(["layer", "iy", "ix"], kind="stable").reset_index(drop=True)
    )
    cx = (counts["ix"].to_numpy(dtype="float64") + 0.5) * cell_m
    cy = (counts["iy"].to_numpy(dtype="float64") + 0.5) * cell_m
    index, _ = nearest_locality_xy(cx, cy, kommun)
    counts["locality"] = localities(kommun)["name"].to_numpy()[index]
    counts["cell_id"] = cell_id(counts["ix"], counts["iy"], cell_m)
    lon, lat = cell_centres_wgs84(counts["ix"], counts["iy"], cell_m)
    counts["lon"], counts["lat"] = lon, lat
    counts["count"] = counts["count"].astype("int64")
    shown = counts["count"] >= k
    cells = counts.loc[shown, list(CELL_COLUMNS)].reset_index(drop=True)
    folded = (
        counts.loc[~shown].groupby(["layer", "locality"], sort=True)["count"].sum().reset_index()
    )
    scattered = folded.loc[folded["count"] >= k, list(SCATTERED_COLUMNS)].reset_index(drop=True)
    scattered["count"] = scattered["count"].astype("int64")
    return cells, scattered


def _metric_xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if "x" in frame.columns and "y" in frame.columns:
        return frame["x"].to_numpy(dtype="float64"), frame["y"].to_numpy(dtype="float64")
    if "geometry" in frame.columns:
        geoms = frame["geometry"]
        crs = getattr(frame, "crs", None)
        if crs is not None and crs != METRIC:
            geoms = frame.geometry.to_crs(METRIC)
        arr = np.asarray(geoms.to_numpy(), dtype=object)
        # get_x/get_y give NaN for missing or empty points (no place).
        return shapely.get_x(arr).astype("float64"), shapely.get_y(arr).astype("float64")
    if "lon" in frame.columns and "lat" in frame.columns:
        lon = frame["lon"].to_numpy(dtype="float64")
        return to_metric(lon, frame["lat"].to_numpy(dtype="float64"))
    raise PrivacyError("the frame has no coordinates (x/y, geometry or lon/lat)")

