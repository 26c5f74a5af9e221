"""The analysis as one role may see it: hot spots and comparisons fed only what the role reads.

* A layer the role sees as **points** (every layer for polis/admin; otrygga platser and
  hastighet for bra) is analysed from the role's own view of the reports
  (`privacy.role_view`: its coordinates and its times), cut to the asked dates.
* A layer the role sees as **cells** (narcotics for bra; every layer for allmanhet) is analysed
  from the role's published release only (`layers.release_view.select`): the whole published
  blocks that meet the asked dates (the range snaps to them, and `notes` says so), the published
  cells (each ≥ k) as the counts. Cells that are not published count 0 in Gi* — their reports sit
  in a locality's 'spridda rapporter' or the municipality's remainder, which have no cell — and
  their count is shown as None ('fewer than k or none'), never as a number. The grid is the
  release's, which is the data file's `cell_m`: never finer.
* A layer **hidden** for the role is refused (`AnalysisError`).

Police-feed reports (placed only at a locality's centre) are left out of hot spots: a pile of
them at the centre would be a hot spot of the feed, not of the place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata import cell_id, cell_index, localities, nearest_locality_xy, parse_cell_id, to_metric

from ..imports.sources.polisen import is_approximate
from ..privacy import CELLS, HIDDEN, policy, role_view
from ..schema import parse_times
from .compare import COLUMNS, GROUPS, as_frame, compare_counts, compare_release, comparison_windows
from .hotspots import DEFAULT_PERMUTATIONS, DEFAULT_SEED, HotspotResult, hotspot_cells

TZ = "Europe/Stockholm"


class AnalysisError(ValueError):
    """A request the role's data cannot answer: an unknown or hidden layer, bad dates."""


@dataclass(frozen=True)
class CellCounts:
    """One layer's reports per grid cell for a role, and where they came from."""

    counts: pd.DataFrame  # ix, iy, count
    cell_m: int
    source: str  # "points" (the role's view of the reports) or "release"
    span: tuple[dt.date, dt.date] | None  # the dates counted (inclusive); None: open / nothing published
    k: int | None  # the release's k (None for points)
    outside_cells: int  # reports counted in no cell (no exact place, police feed, below k)
    notes: tuple[str, ...] = ()


def _local_days(times: pd.Series) -> np.ndarray:
    utc = parse_times(times).reset_index(drop=True)
    return utc.dt.tz_convert(TZ).dt.tz_localize(None).dt.floor("D").to_numpy().astype("datetime64[D]")


def _in_range(days: np.ndarray, start: dt.date | None, end: dt.date | None) -> np.ndarray:
    keep = ~np.isnat(days)
    if start is not None:
        keep &= days >= np.datetime64(start, "D")
    if end is not None:
        keep &= days <= np.datetime64(end, "D")
    return keep


def check_layer(store, role: str, layer: str):
    """The role's policy, after refusing an unknown layer or one hidden for the role."""
    layers = store.config.layers
    if layer not in layers:
        raise AnalysisError(f"unknown layer {layer!r}; the data file's layers: {', '.join(layers)}")
    pol = policy(role, store.config.privacy, layers)
    if pol.mode(layer) == HIDDEN:
        raise AnalysisError(f"the layer {layer!r} is not shown to the role {role}; "
                            f"its layers: {', '.join(pol.visible_layers())}")
    return pol


def _point_view(store, pol, reports: pd.DataFrame, layers: list[str]) -> pd.DataFrame:
    """The role's points of `layers` (police-feed reports left out), as `privacy.role_view` gives them."""
    mine = reports[np.isin(reports["layer"].astype(str).to_numpy(), layers)]
    if "id" in mine.columns and len(mine):
        mine = mine[~is_approximate(mine["id"].to_numpy())]
    return role_view(mine, pol, kommun=store.meta.kommun, secret=store.order_secret).points


def layer_cell_counts(store, role: str, layer: str, start: dt.date | None, end: dt.date | None,
                      today: dt.date, reports: pd.DataFrame | None = None) -> CellCounts:
    """Reports of `layer` per cell of the data file's grid over [start, end], as `role` may see them."""
    if start is not None and end is not None and end < start:
        raise AnalysisError(f"--to {end} is before --from {start}")
    pol = check_layer(store, role, layer)
    reports = store.read_table("reports") if reports is None else reports
    cell_m = int(store.config.privacy.cell_m)
    if pol.mode(layer) != CELLS:
        points = _point_view(store, pol, reports, [layer])
        keep = _in_range(_local_days(points["occurred_at"]), start, end)
        lon, lat = points["lon"].to_numpy()[keep], points["lat"].to_numpy()[keep]
        placed = ~(np.isnan(lon) | np.isnan(lat))
        x, y = to_metric(lon[placed], lat[placed])
        ix, iy = cell_index(x, y, cell_m)
        counts = pd.DataFrame({"ix": ix, "iy": iy}).value_counts().reset_index(name="count")
        in_layer = reports["layer"].astype(str).to_numpy() == layer
        days = _local_days(reports.loc[in_layer, "occurred_at"])
        total = int(_in_range(days, start, end).sum())
        return CellCounts(counts=counts, cell_m=cell_m, source="points", span=(start, end) if start or end else None,
                          k=None, outside_cells=total - int(counts["count"].sum()))
    from ..release_store import current_release
    from ..release_view import select

    release = current_release(store, role, today, reports=reports)
    chosen = select(release, [layer], start, end, store.meta.kommun)
    cells = chosen.cells
    parsed = [parse_cell_id(c) for c in cells["cell_id"]]
    counts = pd.DataFrame({"ix": [p[1] for p in parsed], "iy": [p[2] for p in parsed],
                           "count": cells["count"].to_numpy(dtype="int64")})
    span = chosen.span
    notes = []
    if span is None:
        notes.append(f"nothing of {layer} is published for the role {role} in that range yet")
    else:
        first, last = span[0], span[1] - dt.timedelta(days=1)
        if (start, end) != (first, last):
            notes.append(f"{layer} is counted from the {role} release: whole published periods "
                         f"{first.isoformat()} – {last.isoformat()} (asked: {start or '…'} – {end or '…'})")
        span = (first, last)
    return CellCounts(counts=counts, cell_m=int(release.cell_m), source="release", span=span, k=int(release.k),
                      outside_cells=chosen.layer_total(layer) - int(counts["count"].sum()), notes=tuple(notes))


def hotspots_from_points(x, y, cell_m: int, kommun: str, **options) -> HotspotResult:
    """Gi* classes from metric points a role sees (e.g. the dashboard's `RoleFrames.points` x/y of
    one layer); points without a place (NaN) count in no cell."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    placed = ~(np.isnan(x) | np.isnan(y))
    ix, iy = cell_index(x[placed], y[placed], cell_m)
    counts = pd.DataFrame({"ix": ix, "iy": iy}).value_counts().reset_index(name="count")
    return hotspot_cells(counts, cell_m, kommun, **options)


def hotspots_from_cells(cells: pd.DataFrame, cell_m: int, kommun: str, k: int, **options) -> HotspotResult:
    """Gi* classes from a release's shown cells of one layer (`cell_id`, `count` ≥ k, e.g. the
    dashboard's `RoleFrames.cells`); every other cell counts 0 and its count is None ('fewer than
    k or none'), never a number."""
    parsed = [parse_cell_id(c) for c in cells["cell_id"]]
    if any(size != cell_m for size, _, _ in parsed):
        raise AnalysisError(f"the cells are not {cell_m} m cells")
    counts = pd.DataFrame({"ix": [p[1] for p in parsed], "iy": [p[2] for p in parsed],
                           "count": cells["count"].to_numpy(dtype="int64")})
    result = hotspot_cells(counts, cell_m, kommun, **options)
    out = result.cells.copy()
    out["count"] = pd.Series([int(c) if c >= k else None for c in out["count"]], dtype=object)
    return HotspotResult(cells=out, cell_m=result.cell_m, permutations=result.permutations, seed=result.seed)


def role_hotspots(store, role: str, layer: str, start: dt.date | None, end: dt.date | None, today: dt.date,
                  permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED
                  ) -> tuple[HotspotResult, CellCounts]:
    """Gi* classes of one layer for a role (module docstring); unpublished cells' counts are None."""
    counts = layer_cell_counts(store, role, layer, start, end, today)
    options = {"permutations": permutations, "seed": seed}
    if counts.source == "release":
        ids = cell_id(counts.counts["ix"].to_numpy(), counts.counts["iy"].to_numpy(), counts.cell_m) \
            if len(counts.counts) else np.array([], dtype=str)
        cells = pd.DataFrame({"cell_id": ids, "count": counts.counts["count"].to_numpy(dtype="int64")})
        return hotspots_from_cells(cells, counts.cell_m, store.meta.kommun, counts.k, **options), counts
    return hotspot_cells(counts.counts, counts.cell_m, store.meta.kommun, **options), counts


def role_comparison(store, role: str, start: dt.date, end: dt.date, at: dt.date, today: dt.date,
                    groups=GROUPS) -> pd.DataFrame:
    """`compare.COLUMNS` for every layer the role sees: points layers from its view, cells layers
    from its release (whole blocks); a key counted both ways sums them (None if either is None)."""
    layers = store.config.layers
    pol = policy(role, store.config.privacy, layers)
    windows = comparison_windows(start, end, at)
    reports = store.read_table("reports")
    point_layers = [lid for lid in layers if pol.mode(lid) not in (CELLS, HIDDEN)]
    cell_layers = [lid for lid in layers if pol.mode(lid) == CELLS]
    parts = []
    if point_layers:
        points = role_view(reports[np.isin(reports["layer"].astype(str).to_numpy(), point_layers)], pol,
                           kommun=store.meta.kommun, secret=store.order_secret).points
        lon, lat = points["lon"].to_numpy(dtype="float64"), points["lat"].to_numpy(dtype="float64")
        names = np.full(len(points), "", dtype=object)
        placed = ~(np.isnan(lon) | np.isnan(lat))
        if placed.any():
            index, _ = nearest_locality_xy(*to_metric(lon[placed], lat[placed]), store.meta.kommun)
            names[placed] = localities(store.meta.kommun)["name"].to_numpy()[index]
        rows = pd.DataFrame({"day": _local_days(points["occurred_at"]), "focus_area": points["focus_area"].astype(str),
                             "layer": points["layer"].astype(str), "locality": names})
        parts.append(compare_counts(rows, windows, groups))
    if cell_layers:
        from ..release_store import current_release
        from ..release_view import select

        release = current_release(store, role, today, reports=reports)
        units = select(release, cell_layers, None, None, store.meta.kommun).units
        opening = {i for i, b in enumerate(release.blocks) if release.open_start(b)}
        parts.append(compare_release(units, release.blocks, windows,
                                     {lid: spec.focus_area for lid, spec in layers.items()}, groups, opening))
    if not parts:
        return pd.DataFrame(columns=list(COLUMNS))
    return combine(parts)


def combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Sum comparison frames of the same windows by (group, key, comparison); None wins."""
    from .compare import change_of

    frame = pd.concat(parts, ignore_index=True)
    out = []
    for _, rows in frame.groupby(["group", "key", "comparison"], sort=False):
        first = rows.iloc[0].to_dict()
        for name in ("current", "base"):
            first[name] = None if pd.isna(first[name]) else int(first[name])
        if len(rows) > 1:
            known = rows["current"].notna().all() and rows["base"].notna().all()
            first["current"] = int(rows["current"].sum()) if known else None
            first["base"] = int(rows["base"].sum()) if known else None
            first["note"] = next((n for n in rows["note"] if isinstance(n, str)), None)
        first["change"], first["change_pct"] = change_of(first["current"], first["base"])
        out.append(first)
    result = as_frame(out)
    order = {g: i for i, g in enumerate(GROUPS)}
    return result.sort_values(["group", "key"], key=lambda s: s.map(order) if s.name == "group" else s,
                              kind="stable").reset_index(drop=True)


__all__ = ["AnalysisError", "CellCounts", "check_layer", "combine", "hotspots_from_cells", "hotspots_from_points",
           "layer_cell_counts", "role_comparison", "role_hotspots"]
