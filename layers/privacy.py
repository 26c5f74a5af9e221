"""Who sees what: the role policy and privacy-safe views of reports and activities.

This module is the single place where role rules live. Everything that sends report
data out of the server (map traces, hover text, charts, tables, URL state, downloads,
exports, error messages) should build its payload from a `ReportView` made by
`role_view`, never from the raw store frame.

Roles (defaults; the issue's table):

    role       otrygga platser  hastighet  narkotika  free text  time
    polis      points           points     points     yes        exact
    bra        points           points     cells      no         hour
    allmanhet  cells            cells      hidden     no         month
    admin      as polis, plus user and data management
    moderator  points           points     hidden     yes        exact
    rapportor  hidden           hidden     hidden     no         month  (only their own, on /est)

Rules are stated per *sensitivity class* (LayerSpec.sensitive), so a new layer gets a
safe default; a layer the policy does not know is treated as sensitive.

"Cells" are squares of `cell_m` metres (SWEREF 99 TM; default 500, never below 250).
Cells holding fewer than k reports (default 5) are not shown; their reports are folded
into a per-locality "spridda rapporter" count, which is itself dropped when below k.
No count below k for a cells-mode layer ever leaves this module.

The view object never holds exact coordinates, times finer than the role's precision or
free text that the role may not see: it is built from copies holding only allowed
columns, so nothing can be "un-hidden" later by a figure or an export.

The policy (roles, settings, `policy`) is in `layers.privacy_policy`, the reductions (times,
counts below k, cells and their fold) in `layers.privacy_reduce`; this module builds the views
from them and re-exports every name of both, so `from layers.privacy import ...` keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geodata import (
    DEFAULT_CELL_M,
    cell_id,
    cell_index,
    localities,
    nearest_locality_xy,
    to_wgs84,
)

# The policy and the reductions live in their own modules; every name stays importable from here.
from .privacy_policy import (
    _STRICTNESS,
    ACTIVITY_COLUMNS_OUT,
    ACTIVITY_TIME_COLUMNS,
    ADMIN,
    ALLMANHET,
    BRA,
    CELLS,
    DEFAULT_K,
    DEFAULT_PERIODS,
    DEFAULT_RULES,
    EXACT,
    EXACT_ROLES,
    FREE_TEXT_COLUMNS,
    HIDDEN,
    HOUR,
    MIN_K,
    MODERATOR,
    MODES,
    MONTH,
    PERIODS,
    POINT_COLUMNS,
    POINTS,
    POLIS,
    PRECISIONS,
    RAPPORTOR,
    REPORT_TIME_COLUMNS,
    ROLE_NAMES,
    ROLES,
    TIMEZONE,
    UNKEYED,
    Policy,
    PrivacyError,
    PrivacySettings,
    RoleRule,
    covers,
    policy,
    policy_meet,
    role_meet,
    role_table,
)
from .privacy_reduce import (
    CELL_COLUMNS,
    SCATTERED_COLUMNS,
    _empty,
    _metric_xy,
    aggregate_cells,
    safe_count,
    safe_counts,
    truncate_times,
)
from .report_layers import REPORT_LAYERS
from .spec import LayerSpec

# -- the view ----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ReportView:
    """What one role may see of a set of reports; safe to hand to any figure, table or export.

    points:    rows of points-mode layers only; columns POINT_COLUMNS (+ description when
               the role has free text; without id for reduced roles: ids hash the exact
               content) + lon, lat. Times truncated to the role's precision.
    cells:     cells-mode layers: layer, cell_id, lon, lat (cell centre), count ≥ k, locality.
    scattered: cells-mode layers: per layer and locality the reports in cells below k
               ('spridda rapporter'), only where that sum is ≥ k.
    tallies:   cells-mode layers: counts per layer and month (Stockholm time), only ≥ k,
               for charts over time.
    Hidden layers appear nowhere. Unpacks as ``points, cells = role_view(...)``.
    """

    policy: Policy
    points: pd.DataFrame
    cells: pd.DataFrame
    scattered: pd.DataFrame
    tallies: pd.DataFrame

    def __iter__(self):
        return iter((self.points, self.cells))

    @property
    def role(self) -> str:
        return self.policy.role

    @property
    def k(self) -> int:
        return self.policy.k

    def layer_total(self, layer_id: str) -> int | None:
        """Reports of a layer visible in this view (for cells layers: shown cells + spridda)."""
        mode = self.policy.mode(layer_id)
        if mode == POINTS:
            return int((self.points["layer"] == layer_id).sum())
        if mode == CELLS:
            return int(self.cells.loc[self.cells["layer"] == layer_id, "count"].sum()
                       + self.scattered.loc[self.scattered["layer"] == layer_id, "count"].sum())
        return None

    def selection(self, polygon: shapely.Geometry | None = None, bbox=None,
                  lang: str = "sv") -> pd.DataFrame:
        """Counts per visible layer inside a WGS 84 lasso/box, safe for this role.

        Points layers count their points. Cells layers count only whole shown cells whose
        centre lies inside (so a lasso cannot isolate a single report) and the total is
        shown as 'färre än k' when below k. Columns: layer, count (int or None), label.
        """
        area = polygon
        if bbox is not None:
            box = shapely.box(*bbox)
            area = box if area is None else area.intersection(box)
        rows = []
        for lid, mode in self.policy.layers.items():
            if mode == HIDDEN:
                continue
            frame = self.points[self.points["layer"] == lid] if mode == POINTS else \
                self.cells[self.cells["layer"] == lid]
            lon = frame["lon"].to_numpy(dtype="float64")
            lat = frame["lat"].to_numpy(dtype="float64")
            inside = ~(np.isnan(lon) | np.isnan(lat))
            if area is not None:
                inside &= shapely.contains_xy(area, lon, lat)
            if mode == POINTS:
                n = int(inside.sum())
                rows.append({"layer": lid, "count": n, "label": str(n)})
            else:
                n = int(frame["count"].to_numpy()[inside].sum())
                shown = n if n >= self.k else None
                rows.append({"layer": lid, "count": shown, "label": safe_count(n, self.k, lang)})
        return pd.DataFrame(rows, columns=["layer", "count", "label"])


def role_view(
    reports: pd.DataFrame,
    role: str | Policy,
    settings: PrivacySettings | None = None,
    layers: Mapping[str, LayerSpec] | None = None,
    kommun: str = "0665",
    secret: str = UNKEYED,
) -> ReportView:
    """The role's view of a frame of reports (from `store.read_table('reports')` or
    `store.reports()`, already filtered by the dashboard). See `ReportView`."""
    pol = role if isinstance(role, Policy) else policy(role, settings, layers)
    if "layer" not in reports.columns:
        raise PrivacyError("the reports frame has no 'layer' column")
    layer_ids = reports["layer"].astype(str)
    modes = layer_ids.map(lambda lid: pol.mode(lid)).to_numpy(dtype=object)

    # Points: copy only allowed columns, never the metric or the geometry columns.
    pmask = modes == POINTS
    src = reports.loc[pmask]
    columns = [c for c in POINT_COLUMNS if c in src.columns]
    if pol.free_text:
        columns += [c for c in FREE_TEXT_COLUMNS if c in src.columns]
    if not pol.exact:
        # Ids are hashes of the row's content (exact time, place, text): one could be
        # brute-forced back to what the role may not see.
        columns = [c for c in columns if c != "id"]
    points = pd.DataFrame({c: src[c].to_numpy(copy=True) for c in columns})
    if len(src):
        x, y = _metric_xy(src)
        lon, lat = to_wgs84(x, y)
    else:
        lon = lat = np.array([], dtype="float64")
    points["lon"] = np.asarray(lon, dtype="float64")
    points["lat"] = np.asarray(lat, dtype="float64")
    for col in REPORT_TIME_COLUMNS:
        if col in points.columns:
            points[col] = truncate_times(points[col], pol.time_precision).to_numpy()
    if not pol.exact and len(points) and "id" in src.columns and "occurred_at" in points.columns:
        # Store order is usually time order: it would tell more than the cut times do.
        order = np.lexsort((order_key(src["id"].to_numpy(), secret), points["occurred_at"].astype(str).to_numpy()))
        points = points.iloc[order].reset_index(drop=True)

    # Cells: aggregated here; the rows themselves are not kept.
    cmask = modes == CELLS
    if cmask.any():
        sub = reports.loc[cmask]
        cells, scattered = aggregate_cells(sub, pol.cell_m, pol.k, kommun)
        tallies = _tallies(sub, pol.k)
    else:
        cells, scattered = _empty(CELL_COLUMNS), _empty(SCATTERED_COLUMNS)
        tallies = _empty(("layer", "month", "count"))
    return ReportView(policy=pol, points=points, cells=cells, scattered=scattered, tallies=tallies)


def _tallies(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    if "occurred_at" not in frame.columns or not len(frame):
        return _empty(("layer", "month", "count"))
    month = truncate_times(frame["occurred_at"], MONTH)
    counts = (
        pd.DataFrame({"layer": np.asarray(frame["layer"], dtype=object), "month": month.to_numpy()})
        .value_counts().reset_index(name="count")
        .sort_values(["layer", "month"], kind="stable")
    )
    counts = counts[counts["count"] >= k].reset_index(drop=True)
    counts["count"] = counts["count"].astype("int64")
    return counts[["layer", "month", "count"]]


def activity_place_modes(pol: Policy, layers: Mapping[str, LayerSpec] | None = None) -> dict[str, str]:
    """How precisely an activity's place may be shown, per focus area: the strictest mode of
    the focus area's report layers for this role ('points' exact, 'cells' the cell centre,
    'hidden' no place). A raid or a house search pin would point at the tip behind it."""
    layers = REPORT_LAYERS if layers is None else layers
    modes: dict[str, str] = {}
    for lid, spec in layers.items():
        mode = pol.mode(lid)
        current = modes.get(spec.focus_area, POINTS)
        modes[spec.focus_area] = max(current, mode, key=_STRICTNESS.__getitem__)
    return modes


def activity_places(x, y, focus_areas, pol: Policy,
                    layers: Mapping[str, LayerSpec] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Metric x/y of activities at the role's precision (see `activity_place_modes`)."""
    x = np.array(x, dtype="float64", copy=True)
    y = np.array(y, dtype="float64", copy=True)
    modes = activity_place_modes(pol, layers)
    mode = np.array([modes.get(str(a), POINTS) for a in focus_areas], dtype=object)
    cells = (mode == CELLS) & ~np.isnan(x)
    if cells.any():
        ix, iy = cell_index(x[cells], y[cells], pol.cell_m)
        x[cells] = (ix + 0.5) * pol.cell_m
        y[cells] = (iy + 0.5) * pol.cell_m
    hidden = mode == HIDDEN
    x[hidden] = np.nan
    y[hidden] = np.nan
    return x, y


def activities_outside_shown_cells(x, y, focus_areas, pol: Policy, cells: pd.DataFrame,
                                   layers: Mapping[str, LayerSpec] | None = None) -> np.ndarray:
    """Which activities (placed by `activity_places`) sit in a cell the role is not shown for
    their focus area's cells-mode layers: such a pin would mark a cell with fewer than k tips."""
    layers = REPORT_LAYERS if layers is None else layers
    modes = activity_place_modes(pol, layers)
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    focus = np.asarray([str(a) for a in focus_areas], dtype=object)
    in_cells = np.array([modes.get(a, POINTS) == CELLS for a in focus], dtype=bool) & ~np.isnan(x)
    if not in_cells.any():
        return np.zeros(len(x), dtype=bool)
    area_of = {lid: spec.focus_area for lid, spec in layers.items()}
    shown = set(zip(cells["layer"].map(area_of).astype(str), cells["cell_id"].astype(str), strict=True)) \
        if len(cells) else set()
    ix, iy = cell_index(np.nan_to_num(x), np.nan_to_num(y), pol.cell_m)
    ids = cell_id(ix, iy, pol.cell_m)
    outside = np.array([(a, c) not in shown for a, c in zip(focus, ids, strict=True)], dtype=bool)
    return in_cells & outside


def at_nearest_locality(x, y, mask: np.ndarray, kommun: str) -> tuple[np.ndarray, np.ndarray]:
    """Metric x/y with the masked points moved to their nearest locality's point."""
    x = np.array(x, dtype="float64", copy=True)
    y = np.array(y, dtype="float64", copy=True)
    if mask.any():
        index, _ = nearest_locality_xy(x[mask], y[mask], kommun)
        locs = localities(kommun)
        x[mask] = locs["x"].to_numpy()[index]
        y[mask] = locs["y"].to_numpy()[index]
    return x, y


def order_key(ids, secret: str = UNKEYED) -> np.ndarray:
    """A stable order that says nothing about time or insertion: SipHash of the id keyed with the
    data file's secret (16 characters), so ids that follow time (demo ids, case numbers) cannot
    be ordered back. Rows of reduced roles leave sorted by their cut time, then this."""
    return pd.util.hash_pandas_object(pd.Series(ids, dtype=object).astype(str), index=False,
                                      hash_key=secret).to_numpy()


def activities_view(frame: pd.DataFrame, role: str | Policy,
                    settings: PrivacySettings | None = None,
                    layers: Mapping[str, LayerSpec] | None = None,
                    cells: pd.DataFrame | None = None, kommun: str = "0665", secret: str = UNKEYED
                    ) -> pd.DataFrame:
    """Activities for a role: all activities, times truncated to the role's precision,
    `description` only for roles with free text (polis, admin), lon/lat (NaN: no place) at
    the precision of the activity's focus area for this role (`activity_place_modes`)."""
    pol = role if isinstance(role, Policy) else policy(role, settings, layers)
    columns = [c for c in ACTIVITY_COLUMNS_OUT if c in frame.columns and (c != "id" or pol.exact)]
    if pol.free_text and "description" in frame.columns:
        columns.append("description")
    out = pd.DataFrame({c: frame[c].to_numpy(copy=True) for c in columns})
    if len(frame) and (("x" in frame.columns) or ("geometry" in frame.columns)):
        x, y = _metric_xy(frame)
        x, y = activity_places(x, y, frame["focus_area"].to_numpy(), pol, layers)
        if cells is not None:
            outside = activities_outside_shown_cells(x, y, frame["focus_area"].to_numpy(), pol, cells, layers)
            x, y = at_nearest_locality(x, y, outside, kommun)
        lon, lat = to_wgs84(x, y)
    else:
        lon = lat = np.full(len(frame), np.nan)
    out["lon"] = np.asarray(lon, dtype="float64")
    out["lat"] = np.asarray(lat, dtype="float64")
    for col in ACTIVITY_TIME_COLUMNS:
        if col in out.columns:
            out[col] = truncate_times(out[col], pol.time_precision).to_numpy()
    if not pol.exact and len(out) and "id" in frame.columns:
        order = np.lexsort((order_key(frame["id"].to_numpy(), secret), out["planned_at"].astype(str).to_numpy()))
        out = out.iloc[order].reset_index(drop=True)
    return out




__all__ = [
    "ADMIN", "ALLMANHET", "BRA", "CELLS", "DEFAULT_K", "DEFAULT_RULES", "EXACT", "HIDDEN",
    "HOUR", "MIN_K", "MONTH", "POINTS", "POLIS", "Policy", "PrivacyError", "PrivacySettings",
    "ROLES", "ReportView", "RoleRule", "activities_outside_shown_cells", "activities_view", "activity_place_modes",
    "activity_places", "at_nearest_locality", "order_key", "aggregate_cells", "policy",
    "role_table", "role_view", "safe_count", "safe_counts", "truncate_times",
    # Re-exported from privacy_policy, privacy_reduce and geodata: importers take them from here.
    "ACTIVITY_COLUMNS_OUT", "ACTIVITY_TIME_COLUMNS", "CELL_COLUMNS", "DEFAULT_CELL_M", "DEFAULT_PERIODS",
    "EXACT_ROLES", "FREE_TEXT_COLUMNS", "MODES", "PERIODS", "POINT_COLUMNS", "PRECISIONS",
    "REPORT_TIME_COLUMNS", "ROLE_NAMES", "SCATTERED_COLUMNS", "TIMEZONE", "UNKEYED",
    "MODERATOR", "RAPPORTOR", "covers", "policy_meet", "role_meet",
]
