"""The role's share of the dashboard data: frames reduced to what one role may see.

Every dashboard callback builds its payload from a `RoleFrames` made here, never from
`AppData` directly. The rules themselves live in `layers.privacy`; this module applies
them to the dashboard's enriched frames:

* points-mode layers: rows without free text (unless the role has it), times cut to the
  role's precision (local_time, weekday, hour and the date keys are recomputed from the
  cut time, so no chart or filter can see finer);
* cells-mode layers: rows stay on the server (`sensitive`); what leaves is only shown
  cells (≥ k) and counts that the figure builders suppress below k. A selection keeps
  whole shown cells, so a lasso cannot isolate one report;
* hidden layers: gone;
* activities: placed as exactly as the role sees their focus area's tips;
* police-feed reports (approximate municipality/county positions) have no place here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import shapely

from geodata import cell_index, parse_cell_id, to_metric
from layers import REPORT_STATUSES, privacy
from layers.polisen import is_approximate
from layers.privacy import CELLS, EXACT, HIDDEN, HOUR, MONTH, POINTS, Policy

from .data import TZ, AppData, with_place

#: Columns with free text or exact times that reduced roles never get, even server-side.
_EXACT_ONLY = ("description", "occurred_at", "reported_at", "planned_at", "done_at")


@dataclass(frozen=True, eq=False)
class RoleData:
    """One role's copy of the app data, made once per role and data load."""

    policy: Policy
    points: pd.DataFrame  # report rows of points-mode layers
    sensitive: pd.DataFrame  # report rows of cells-mode layers (leave only as counts ≥ k)
    activities: pd.DataFrame


@dataclass(frozen=True, eq=False)
class RoleFrames:
    """What the callbacks of one interaction may draw from (filters and selection applied)."""

    policy: Policy
    points: pd.DataFrame  # selected rows of points-mode layers (map points, charts)
    cells: pd.DataFrame  # shown cells (≥ k) of cells-mode layers in the selection
    scattered: pd.DataFrame  # 'spridda rapporter' per locality (≥ k), only without selection
    sensitive: pd.DataFrame  # selected rows of cells-mode layers: charts suppress below k
    activities: pd.DataFrame

    @cached_property
    def chart_reports(self) -> pd.DataFrame:
        """Points and sensitive rows together, for chart builders that take the policy
        (made once per filter state: the frames are cached per state and role)."""
        if self.sensitive.empty:
            return self.points
        if self.points.empty:
            return self.sensitive
        return pd.concat([self.points, self.sensitive], ignore_index=True)


def at_precision(frame: pd.DataFrame, precision: str) -> pd.DataFrame:
    """The enriched time columns recomputed from the time cut to 'hour' or 'month'.

    Month precision leaves weekday and hour unknown (-1): a weekday/hour chart or filter
    would otherwise tell more than the month.
    """
    if precision == EXACT or frame.empty:
        return frame
    out = frame.copy()
    utc = pd.to_datetime(out["t"].to_numpy(dtype="int64"), utc=True)
    if precision == HOUR:
        # Swedish offsets are whole hours: the UTC hour floor is the local hour floor.
        local = utc.floor("h").tz_convert(TZ)
        out["local_time"] = local.strftime("%Y-%m-%d %H:00").to_numpy()
        out["weekday"] = local.day_of_week.to_numpy().astype("int8")
        out["hour"] = local.hour.to_numpy().astype("int8")
    elif precision == MONTH:
        wall = utc.tz_convert(TZ).tz_localize(None)
        local = wall.to_period("M").start_time.tz_localize(TZ)
        out["local_time"] = local.strftime("%Y-%m").to_numpy()
        out["weekday"] = np.full(len(out), -1, dtype="int8")
        out["hour"] = np.full(len(out), -1, dtype="int8")
    else:
        raise privacy.PrivacyError(f"unknown time precision {precision!r}")
    out["t"] = local.tz_convert("UTC").as_unit("ns").asi8
    out["month_key"] = (local.year * 12 + local.month - 1).to_numpy().astype("int32")
    out["day_key"] = (
        (local.tz_localize(None).normalize() - pd.Timestamp("1970-01-01")).days
    ).to_numpy().astype("int32")
    return out


def _without_place(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    if not mask.any():
        return frame
    out = frame.copy()
    for col in ("x", "y", "lon", "lat"):
        out.loc[mask, col] = np.nan
    out.loc[mask, "locality"] = -1
    return out


def _place_activities(frame: pd.DataFrame, pol: Policy, data: AppData) -> pd.DataFrame:
    modes = privacy.activity_place_modes(pol, data.config.layers)
    if frame.empty or all(m == POINTS for m in modes.values()):
        return frame
    x, y = privacy.activity_places(frame["x"].to_numpy(), frame["y"].to_numpy(), frame["focus_area"].to_numpy(),
                                   pol, data.config.layers)
    return with_place(frame.copy(), x, y, data.municipality.code)


def role_data(data: AppData, pol: Policy) -> RoleData:
    """The role's copy of the data (see the module docstring for what is reduced)."""
    reports = data.reports
    modes = reports["layer"].map(lambda lid: pol.mode(str(lid))).to_numpy(dtype=object)
    reports = _without_place(reports, np.asarray(is_approximate(reports["id"]), dtype=bool))
    activities = data.activities
    if not pol.exact:
        drop = [c for c in _EXACT_ONLY if c in reports.columns]
        reports = reports.drop(columns=drop)
        activities = activities.drop(columns=[c for c in _EXACT_ONLY if c in activities.columns
                                              and (c != "description" or not pol.free_text)])
    points = at_precision(reports[modes == POINTS].reset_index(drop=True), pol.time_precision)
    sensitive = at_precision(reports[modes == CELLS].reset_index(drop=True), pol.time_precision)
    activities = at_precision(_place_activities(activities, pol, data), pol.time_precision)
    if not pol.exact:
        points, sensitive, activities = (_unordered(f) for f in (points, sensitive, activities))
    return RoleData(policy=pol, points=points, sensitive=sensitive, activities=activities)


def _unordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by their cut time, then a hash of the id: the store's order (usually the true
    time order) must not tell what the cut times hide."""
    if frame.empty:
        return frame
    order = np.lexsort((privacy.order_key(frame["id"].to_numpy()), frame["t"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def place_activities(activities: pd.DataFrame, cells: pd.DataFrame, pol: Policy, data: AppData) -> pd.DataFrame:
    """Activities of a cells-mode focus area in a cell the role is not shown go to their
    nearest locality (as 'spridda rapporter' are named by locality)."""
    if activities.empty or pol.exact:
        return activities
    x, y = activities["x"].to_numpy(), activities["y"].to_numpy()
    outside = privacy.activities_outside_shown_cells(x, y, activities["focus_area"].to_numpy(), pol, cells,
                                                     data.config.layers)
    if not outside.any():
        return activities
    kommun = data.municipality.code
    x, y = privacy.at_nearest_locality(x, y, outside, kommun)
    return with_place(activities.copy(), x, y, kommun)


# -- selections over cells -------------------------------------------------------------------

def _cells_in_selection(cells: pd.DataFrame, selection: dict, pol: Policy) -> np.ndarray:
    """Which shown cells a selection holds: whole cells, decided by the cell centre."""
    kind = selection.get("type")
    lon = cells["lon"].to_numpy(dtype="float64")
    lat = cells["lat"].to_numpy(dtype="float64")
    if kind == "polygon":
        coords = selection.get("coords") or []
        if len(coords) < 3:
            return np.ones(len(cells), dtype=bool)
        return shapely.contains_xy(shapely.Polygon(coords).buffer(0), lon, lat)
    if kind == "locality":
        return cells["locality"].to_numpy() == selection.get("name")
    if kind == "cell":
        try:
            size, ix, iy = parse_cell_id(str(selection.get("id")))
        except ValueError:
            return np.ones(len(cells), dtype=bool)
        x, y = to_metric(lon, lat)
        cx, cy = cell_index(x, y, size)
        inside = (cx == ix) & (cy == iy)
        # A selected cell smaller than the role's cells: the shown cell that holds it.
        sx, sy = (ix + 0.5) * size, (iy + 0.5) * size
        ox, oy = cell_index(np.array([sx]), np.array([sy]), pol.cell_m)
        own_x, own_y = cell_index(x, y, pol.cell_m)
        return inside | ((own_x == ox[0]) & (own_y == oy[0]))
    return np.ones(len(cells), dtype=bool)


#: Integer cell keys: ix * CELL_KEY + iy (iy < 100 000 for any cell ≥ 250 m in Sweden).
CELL_KEY = 100_000


def _cell_keys(ix, iy) -> np.ndarray:
    return np.asarray(ix, dtype="int64") * CELL_KEY + np.asarray(iy, dtype="int64")


def _cells_keys(cells: pd.DataFrame) -> np.ndarray:
    parsed = [parse_cell_id(c) for c in cells["cell_id"].astype(str)]
    return _cell_keys([p[1] for p in parsed], [p[2] for p in parsed]) if parsed else np.array([], dtype="int64")


def _units(rows: pd.DataFrame, cells: pd.DataFrame, scattered: pd.DataFrame, pol: Policy, kommun: str
           ) -> pd.DataFrame:
    """The rows that the role's aggregates show, each tagged with its unit.

    A unit is a shown cell (≥ k) or a locality's 'spridda rapporter' (≥ k); rows of dropped
    cells and dropped localities are left out, so no total, chart or table can include them.
    `unit` is the cell's integer key (≥ 0) or -(locality index + 1) for a 'spridda' group;
    `locality` and `cell_ix/cell_iy` become those of the unit (the cell centre's nearest
    locality, the role's grid), as on the map. Integer keys keep this fast at 10⁶ rows.
    """
    from geodata import localities, nearest_locality_xy

    x = rows["x"].to_numpy(dtype="float64")
    y = rows["y"].to_numpy(dtype="float64")
    has = ~(np.isnan(x) | np.isnan(y))
    ix, iy = cell_index(np.nan_to_num(x), np.nan_to_num(y), pol.cell_m)
    cell = _cell_keys(ix, iy)
    # Layer values as plain objects (a categorical gives them without a per-row loop).
    row_values = np.asarray(rows["layer"], dtype=object)
    layers = pd.Index(sorted({str(v) for v in pd.unique(row_values)} | set(map(str, cells["layer"]))
                             | set(map(str, scattered["layer"]))))
    row_layer = layers.get_indexer(row_values).astype("int64")
    shown_keys = layers.get_indexer(np.asarray(cells["layer"], dtype=object)).astype("int64") * CELL_KEY ** 2 \
        + _cells_keys(cells)
    shown = np.isin(row_layer * CELL_KEY ** 2 + cell, shown_keys) & has
    # The locality of each row's cell centre, computed once per distinct cell.
    names = localities(kommun)["name"].tolist()
    unique, inverse = np.unique(cell, return_inverse=True)
    ux, uy = unique // CELL_KEY, unique % CELL_KEY
    index, _ = nearest_locality_xy((ux + 0.5) * pol.cell_m, (uy + 0.5) * pol.cell_m, kommun)
    locality = np.asarray(index, dtype="int64")[inverse.reshape(-1)]
    spread_keys = (layers.get_indexer(np.asarray(scattered["layer"], dtype=object)).astype("int64") * 10_000
                   + np.array([names.index(n) for n in scattered["locality"]], dtype="int64"))
    spread = np.isin(row_layer * 10_000 + locality, spread_keys) & has & ~shown
    keep = shown | spread
    out = rows[keep].copy()
    out["unit"] = np.where(shown[keep], cell[keep], -(locality[keep] + 1))
    out["locality"] = locality[keep].astype("int16")
    out["cell_ix"] = ix[keep]
    out["cell_iy"] = iy[keep]
    return out


#: Filters that do not apply to cells-mode layers: comparing a cell's count with and without
#: one status, weekday or hour would reveal counts below k.
UNFILTERED = {"weekdays": tuple(range(7)), "hours": (0, 23), "statuses": REPORT_STATUSES}


def sensitive_frames(rows: pd.DataFrame, selection: dict | None, pol: Policy, kommun: str,
                     aggregated: tuple[pd.DataFrame, pd.DataFrame] | None = None
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(cells, scattered, rows) of cells-mode layers for a selection.

    Cells are counted over all filtered rows (a lasso does not cut them). The rows returned
    are only those of shown units (see `_units`); a selection keeps whole shown cells, and
    the locality's spridda count only when that locality is selected.
    """
    cells, scattered = aggregated or privacy.aggregate_cells(rows, pol.cell_m, pol.k, kommun)
    units = _units(rows, cells, scattered, pol, kommun) if len(rows) else rows.assign(unit=pd.Series(dtype="int64"))
    if not selection:
        return cells, scattered, units
    keep = _cells_in_selection(cells, selection, pol)
    cells = cells[keep].reset_index(drop=True)
    wanted = _cells_keys(cells)
    if selection.get("type") == "locality":
        from geodata import localities

        scattered = scattered[scattered["locality"] == selection.get("name")].reset_index(drop=True)
        names = localities(kommun)["name"].tolist()
        if selection.get("name") in names:
            wanted = np.append(wanted, -(names.index(selection.get("name")) + 1))
    else:
        scattered = scattered.iloc[0:0]
    chosen = np.isin(units["unit"].to_numpy(), wanted)
    return cells, scattered, units[chosen]


__all__ = [
    "CELLS", "CELL_KEY", "HIDDEN", "UNFILTERED", "RoleData", "RoleFrames", "at_precision", "place_activities",
    "role_data", "sensitive_frames",
]
