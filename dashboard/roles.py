"""The role's share of the dashboard data: frames reduced to what one role may see.

Every dashboard callback builds its payload from a `RoleFrames` made here, never from
`AppData` directly. The rules themselves live in `layers.privacy`; this module applies
them to the dashboard's enriched frames:

* points-mode layers: rows without free text (unless the role has it), times cut to the
  role's precision (local_time, weekday, hour and the date keys are recomputed from the
  cut time, so no chart or filter can see finer);
* cells-mode layers: not read live at all. The role reads its *release* (layers.release:
  counts per fixed cell and closed period, frozen when published), and every view is a sum
  of whole published units over whole published blocks (layers.release_view);
* hidden layers: gone;
* activities: placed as exactly as the role sees their focus area's tips;
* police-feed reports (approximate municipality/county positions) have no place here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from layers import REPORT_STATUSES, privacy
from layers.imports.sources.polisen import is_approximate
from layers.privacy import CELLS, EXACT, HIDDEN, HOUR, MONTH, POINTS, Policy
from layers.release import Release
from layers.release_view import CELL_COLUMNS, OTHER_COLUMNS, SCATTERED_COLUMNS, ReleaseSelection, empty_frame

from .data import TZ, AppData, with_place

_NO_CELLS, _NO_SCATTERED, _NO_OTHER = empty_frame(CELL_COLUMNS), empty_frame(SCATTERED_COLUMNS), empty_frame(OTHER_COLUMNS)

#: Columns with free text or exact times that reduced roles never get, even server-side.
_EXACT_ONLY = ("description", "occurred_at", "reported_at", "planned_at", "done_at")


@dataclass(frozen=True, eq=False)
class RoleData:
    """One role's copy of the app data, made once per role and data load."""

    policy: Policy
    points: pd.DataFrame  # report rows of points-mode layers
    release: Release | None  # the published counts of cells-mode layers (None: the role has none)
    activities: pd.DataFrame


@dataclass(frozen=True, eq=False)
class RoleFrames:
    """What the callbacks of one interaction may draw from (filters and selection applied)."""

    policy: Policy
    points: pd.DataFrame  # selected rows of points-mode layers (map points, charts)
    release: ReleaseSelection | None  # the release units of the filter and selection
    activities: pd.DataFrame

    @cached_property
    def cells(self) -> pd.DataFrame:
        """Shown cells of cells-mode layers in the selection, summed over the chosen blocks."""
        return self.release.cells if self.release is not None else _NO_CELLS

    @cached_property
    def scattered(self) -> pd.DataFrame:
        return self.release.scattered if self.release is not None else _NO_SCATTERED

    @cached_property
    def other(self) -> pd.DataFrame:
        return self.release.other if self.release is not None else _NO_OTHER

    @property
    def total(self) -> int:
        """Every report this view counts: points plus the release's units."""
        return len(self.points) + (self.release.total if self.release is not None else 0)


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


def role_data(data: AppData, pol: Policy, release: Release | None = None, secret: str = privacy.UNKEYED
              ) -> RoleData:
    """The role's copy of the data (see the module docstring for what is reduced); `release`
    is the role's current release (layers.release_store), `secret` the data file's order key."""
    reports = data.reports
    modes = reports["layer"].map(lambda lid: pol.mode(str(lid))).to_numpy(dtype=object)
    reports = _without_place(reports, np.asarray(is_approximate(reports["id"]), dtype=bool))
    activities = data.activities
    if not pol.exact:
        drop = [c for c in _EXACT_ONLY if c in reports.columns]
        reports = reports.drop(columns=drop)
        activities = activities.drop(columns=[c for c in _EXACT_ONLY if c in activities.columns
                                              and (c != "description" or not pol.free_text)])
    # The source's time texts: every view reads `t` and the local fields made from it, and
    # exports read the store; not carrying them halves what each interaction copies.
    reports = reports.drop(columns=[c for c in ("occurred_at", "reported_at") if c in reports.columns])
    points = at_precision(reports[modes == POINTS].reset_index(drop=True), pol.time_precision)
    activities = at_precision(_place_activities(activities, pol, data), pol.time_precision)
    if not pol.exact:
        points, activities = (_unordered(f, secret) for f in (points, activities))
    if not (modes == CELLS).any() and not any(m == CELLS for m in pol.layers.values()):
        release = None
    # A copy holds each dtype's columns in one block: every interaction's row selection
    # then takes fewer, larger arrays (about half the time at 100 000 reports).
    return RoleData(policy=pol, points=points.copy(), release=release, activities=activities.copy())


def _unordered(frame: pd.DataFrame, secret: str) -> pd.DataFrame:
    """Rows by their cut time, then a keyed hash of the id (column `order`, which lists sort
    by): the store's order and ids that follow time must not tell what the cut times hide."""
    if frame.empty:
        return frame.assign(order=pd.Series(dtype="uint64"))
    key = privacy.order_key(frame["id"].to_numpy(), secret)
    order = np.lexsort((key, frame["t"].to_numpy()))
    return frame.iloc[order].assign(order=key[order]).reset_index(drop=True)


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


#: Filters that do not apply to cells-mode layers: a release publishes whole layers per unit and
#: block, never split by status, weekday or hour (comparing splits would reveal counts below k).
UNFILTERED = {"weekdays": tuple(range(7)), "hours": (0, 23), "statuses": REPORT_STATUSES}


@dataclass(frozen=True)
class RoleControls:
    """Which filter controls change anything for a role. Status and map view (points or
    density) act on points-mode layers only; a focus area whose every report layer is hidden
    for the role has no reports to filter (its activities stay counted, so its box is kept,
    disabled, rather than dropped: it says they are included)."""

    statuses: bool
    map_mode: bool
    fixed_focus_areas: frozenset[str]


def role_controls(pol: Policy | None, layers) -> RoleControls:
    """The controls `pol` may use on `layers` (config.layers: id -> spec with focus_area);
    None (no role known yet, e.g. Dash validating the layout) offers all."""
    if pol is None:
        return RoleControls(statuses=True, map_mode=True, fixed_focus_areas=frozenset())
    points = any(pol.mode(lid) == POINTS for lid in layers)
    by_area: dict[str, set[str]] = {}
    for lid, spec in layers.items():
        by_area.setdefault(spec.focus_area, set()).add(pol.mode(lid))
    fixed = frozenset(area for area, modes in by_area.items() if modes == {HIDDEN})
    return RoleControls(statuses=points, map_mode=points, fixed_focus_areas=fixed)


__all__ = [
    "CELLS", "HIDDEN", "UNFILTERED", "RoleControls", "RoleData", "RoleFrames", "at_precision", "place_activities",
    "role_controls", "role_data",
]
