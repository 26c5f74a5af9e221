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

Rules are stated per *sensitivity class* (LayerSpec.sensitive), so a new layer gets a
safe default; a layer the policy does not know is treated as sensitive.

"Cells" are squares of `cell_m` metres (SWEREF 99 TM; default 500, never below 250).
Cells holding fewer than k reports (default 5) are not shown; their reports are folded
into a per-locality "spridda rapporter" count, which is itself dropped when below k.
No count below k for a cells-mode layer ever leaves this module.

The view object never holds exact coordinates, times finer than the role's precision or
free text that the role may not see: it is built from copies holding only allowed
columns, so nothing can be "un-hidden" later by a figure or an export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

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
    to_wgs84,
)
from geodata.grid import check_cell_size

from .config import REPORT_LAYERS
from .messages import label
from .spec import LayerSpec

# -- vocabularies ------------------------------------------------------------------------

POLIS, BRA, ALLMANHET, ADMIN = "polis", "bra", "allmanhet", "admin"
ROLES = (POLIS, BRA, ALLMANHET, ADMIN)

POINTS, CELLS, HIDDEN = "points", "cells", "hidden"
MODES = (POINTS, CELLS, HIDDEN)
#: Strictness order: a larger number shows less.
_STRICTNESS = {POINTS: 0, CELLS: 1, HIDDEN: 2}

EXACT, HOUR, MONTH = "exact", "hour", "month"
PRECISIONS = (EXACT, HOUR, MONTH)

DEFAULT_K = 5
#: The order key for frames not tied to a data file (tests); a store has its own (`order_secret`).
UNKEYED = "trygghetskarta.."
#: Fixed calendar bins of a release (layers.release), per role; finer than a month never.
PERIODS = ("month", "quarter", "year")
DEFAULT_PERIODS: Mapping[str, str] = MappingProxyType({"bra": "month", "allmanhet": "quarter"})
#: A smaller k would make the threshold meaningless (a cell of 1 or 2 points at a home).
MIN_K = 3
TIMEZONE = "Europe/Stockholm"

#: (Swedish, English) per role, from the message catalogue (layers/messages, context "vocab").
ROLE_NAMES = {role: (label("role", role, "sv"), label("role", role, "en")) for role in (POLIS, BRA, ALLMANHET, ADMIN)}

#: Report columns that may leave the server for a points-mode layer, besides coordinates.
POINT_COLUMNS = (
    "id", "layer", "focus_area", "occurred_at", "reported_at", "category", "source", "status",
)
FREE_TEXT_COLUMNS = ("description",)
REPORT_TIME_COLUMNS = ("occurred_at", "reported_at")
ACTIVITY_TIME_COLUMNS = ("planned_at", "done_at")
ACTIVITY_COLUMNS_OUT = (
    "id", "focus_area", "actor", "kind", "planned_at", "done_at", "status", "duration_min",
)


class PrivacyError(ValueError):
    """An unknown role, a bad setting or a policy that would show too much."""


# -- settings and policy -----------------------------------------------------------------

@dataclass(frozen=True)
class RoleRule:
    """One row of the role table, stated per sensitivity class."""

    sensitive: str  # mode for layers with LayerSpec.sensitive
    other: str  # mode for every other layer
    free_text: bool
    time_precision: str
    manage_users: bool = False
    manage_data: bool = False


DEFAULT_RULES: Mapping[str, RoleRule] = MappingProxyType({
    POLIS: RoleRule(sensitive=POINTS, other=POINTS, free_text=True, time_precision=EXACT),
    BRA: RoleRule(sensitive=CELLS, other=POINTS, free_text=False, time_precision=HOUR),
    ALLMANHET: RoleRule(sensitive=HIDDEN, other=CELLS, free_text=False, time_precision=MONTH),
    ADMIN: RoleRule(sensitive=POINTS, other=POINTS, free_text=True, time_precision=EXACT,
                    manage_users=True, manage_data=True),
})

#: Roles that may see exact sensitive points and free text at all.
EXACT_ROLES = frozenset({POLIS, ADMIN})


@dataclass(frozen=True)
class PrivacySettings:
    """The configurable numbers: k (minimum count) and the cell size in metres.

    `layer_modes` optionally overrides the mode of single layers per role, e.g.
    ``{"bra": {"hastighet": "cells"}}``; for roles other than polis/admin a sensitive
    layer can never be set to points.
    """

    k: int = DEFAULT_K
    cell_m: int = DEFAULT_CELL_M
    layer_modes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: The release's calendar bin per role ([privacy.period]); roles not named get a month.
    periods: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PERIODS))

    def __post_init__(self):
        if isinstance(self.k, bool) or int(self.k) != self.k or self.k < MIN_K:
            raise PrivacyError(
                f"k (minimum count) must be a whole number ≥ {MIN_K}, got {self.k!r}"
            )
        try:
            check_cell_size(self.cell_m)
        except (TypeError, ValueError) as exc:
            raise PrivacyError(str(exc)) from None
        for role, modes in self.layer_modes.items():
            _check_role(role)
            for layer, mode in modes.items():
                if mode not in MODES:
                    raise PrivacyError(
                        f"privacy.layer_modes.{role}.{layer}: {mode!r} "
                        f"is not one of {', '.join(MODES)}"
                    )
        for role, period in self.periods.items():
            _check_role(role)
            if period not in PERIODS:
                raise PrivacyError(f"privacy.period.{role}: {period!r} is not one of {', '.join(PERIODS)}")
        _one_release_per_layer(self)

    def period(self, role: str) -> str:
        """The release's calendar bin for a role: 'month' | 'quarter' | 'year'."""
        return self.periods.get(role, "month")

    @classmethod
    def from_mapping(cls, data: Mapping | None) -> PrivacySettings:
        """From a `[privacy]` TOML table: k, cell_m, [privacy.layer_modes.ROLE], [privacy.period]."""
        data = dict(data or {})
        unknown = set(data) - {"k", "cell_m", "layer_modes", "period"}
        if unknown:
            raise PrivacyError(f"privacy: unknown setting(s) {', '.join(sorted(unknown))}")
        return cls(
            k=data.get("k", DEFAULT_K),
            cell_m=data.get("cell_m", DEFAULT_CELL_M),
            layer_modes={r: dict(m) for r, m in dict(data.get("layer_modes", {})).items()},
            periods={**DEFAULT_PERIODS, **dict(data.get("period", {}))},
        )

    def to_mapping(self) -> dict:
        """The settings as plain data (stored as JSON in the data file; from_mapping reads it)."""
        return {"k": int(self.k), "cell_m": int(self.cell_m),
                "layer_modes": {r: dict(m) for r, m in sorted(self.layer_modes.items())},
                "period": dict(sorted(self.periods.items()))}


@dataclass(frozen=True)
class Policy:
    """What one role sees: a mode per layer, free text, time precision, management rights."""

    role: str
    layers: Mapping[str, str]
    free_text: bool
    time_precision: str
    manage_users: bool
    manage_data: bool
    k: int
    cell_m: int

    def mode(self, layer_id: str) -> str:
        """'points' | 'cells' | 'hidden'; an unknown layer is treated as sensitive."""
        found = self.layers.get(layer_id)
        return found if found is not None else DEFAULT_RULES[self.role].sensitive

    @property
    def exact(self) -> bool:
        """True when nothing is reduced for this role (polis, admin)."""
        return self.free_text and self.time_precision == EXACT and all(
            m == POINTS for m in self.layers.values()
        )

    def visible_layers(self) -> tuple[str, ...]:
        return tuple(lid for lid, m in self.layers.items() if m != HIDDEN)

    def name(self, lang: str = "sv") -> str:
        sv, en = ROLE_NAMES[self.role]
        return en if lang == "en" else sv


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise PrivacyError(f"unknown role {role!r}; known roles: {', '.join(ROLES)}")
    return role


def _one_release_per_layer(settings: PrivacySettings) -> None:
    """A layer may be cells-mode for one role only: two roles' releases of one layer (other
    periods, other merges, built on other days) could be subtracted from each other, and a
    BRÅ member also sees the public view."""
    seen: dict[str, str] = {}
    for role in ROLES:
        rule = DEFAULT_RULES[role]
        for lid, spec in REPORT_LAYERS.items():
            mode = settings.layer_modes.get(role, {}).get(lid, rule.sensitive if spec.sensitive else rule.other)
            if mode != CELLS:
                continue
            if lid in seen:
                raise PrivacyError(
                    f"privacy.layer_modes: the layer {lid} is shown as cells to both {seen[lid]} and {role}; two "
                    f"releases of one layer could be compared to learn counts below k. Show it as cells to one "
                    f"role and as points or hidden to the other (e.g. layer_modes.{role}.{lid} = \"hidden\")")
            seen[lid] = role


def policy(
    role: str,
    settings: PrivacySettings | None = None,
    layers: Mapping[str, LayerSpec] | None = None,
) -> Policy:
    """The policy for a role: per layer 'points' | 'cells' | 'hidden', free text, time precision."""
    _check_role(role)
    settings = settings or PrivacySettings()
    layers = REPORT_LAYERS if layers is None else layers
    rule = DEFAULT_RULES[role]
    overrides = settings.layer_modes.get(role, {})
    modes: dict[str, str] = {}
    for lid, spec in layers.items():
        mode = rule.sensitive if spec.sensitive else rule.other
        if lid in overrides:
            mode = overrides[lid]
            if spec.sensitive and mode == POINTS and role not in EXACT_ROLES:
                raise PrivacyError(
                    f"privacy.layer_modes.{role}.{lid}: the sensitive layer {lid} cannot be shown "
                    f"as points to the role {role}"
                )
        modes[lid] = mode
    return Policy(
        role=role,
        layers=MappingProxyType(modes),
        free_text=rule.free_text,
        time_precision=rule.time_precision,
        manage_users=rule.manage_users,
        manage_data=rule.manage_data,
        k=int(settings.k),
        cell_m=int(settings.cell_m),
    )


def role_table(settings: PrivacySettings | None = None, lang: str = "sv") -> pd.DataFrame:
    """The role table as a frame (rows: roles; columns: layers, free text, time), for docs/UI."""
    rows = []
    for role in ROLES:
        pol = policy(role, settings)
        row = {"role": role}
        row.update({REPORT_LAYERS[lid].name(lang): m for lid, m in pol.layers.items()})
        row["free_text"] = pol.free_text
        row["time_precision"] = pol.time_precision
        rows.append(row)
    return pd.DataFrame(rows)


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
        return f"fewer than {k}" if lang == "en" else f"färre än {k}"
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
]
