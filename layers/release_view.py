"""What one view shows of a release: whole published units over whole published blocks.

Every figure, table and export of a reduced role's cells-mode layers is computed here from
a `Release` (layers.release), so they all add up to the same totals: the blocks that meet
the time filter (snapped to whole blocks), the whole layers asked for, and for a map
selection the whole shown cells whose centre lies in it (a locality selection also takes
that locality's 'spridda rapporter').
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
import shapely

from geodata import cell_centres_wgs84, cell_index, localities, nearest_locality_xy, parse_cell_id, to_metric

from .release import CELL, KOMMUN, LOCALITY, Block, Release

CELL_COLUMNS = ("layer", "cell_id", "lon", "lat", "count", "locality")
SCATTERED_COLUMNS = ("layer", "locality", "count")
OTHER_COLUMNS = ("layer", "count")


@lru_cache(maxsize=32)
def _placed(release: Release, kommun: str) -> pd.DataFrame:
    """The release's counts with a place per unit: lon/lat and locality name (cells: of the
    centre; localities: the locality; the municipality's remainder: none)."""
    counts = release.counts.copy()
    counts["lon"] = np.nan
    counts["lat"] = np.nan
    counts["locality"] = ""
    cells = (counts["kind"] == CELL).to_numpy()
    if cells.any():
        parsed = [parse_cell_id(u) for u in counts.loc[cells, "unit"]]
        size = parsed[0][0]
        ix = np.array([p[1] for p in parsed])
        iy = np.array([p[2] for p in parsed])
        lon, lat = cell_centres_wgs84(ix, iy, size)
        counts.loc[cells, "lon"], counts.loc[cells, "lat"] = lon, lat
        index, _ = nearest_locality_xy((ix + 0.5) * size, (iy + 0.5) * size, kommun)
        counts.loc[cells, "locality"] = localities(kommun)["name"].to_numpy()[index]
    locs = (counts["kind"] == LOCALITY).to_numpy()
    if locs.any():
        table = localities(kommun).set_index("name")
        names = counts.loc[locs, "unit"].to_numpy()
        counts.loc[locs, "locality"] = names
        counts.loc[locs, "lon"] = table.loc[names, "lon"].to_numpy()
        counts.loc[locs, "lat"] = table.loc[names, "lat"].to_numpy()
    return counts


@dataclass(frozen=True, eq=False)
class ReleaseSelection:
    """The release units one view shows; every total of a reduced role's cells layers."""

    release: Release
    blocks: tuple[int, ...]  # indices into release.blocks that meet the time filter
    units: pd.DataFrame  # block, layer, kind, unit, count, lon, lat, locality
    layers: tuple[str, ...] = ()  # the release layers asked for (whole layers)

    @cached_property
    def cells(self) -> pd.DataFrame:
        """Shown cells summed over the chosen blocks (each ≥ k in every block it is counted)."""
        rows = self.units[self.units["kind"] == CELL]
        if rows.empty:
            return empty_frame(CELL_COLUMNS)
        out = (rows.groupby(["layer", "unit"], sort=True)
               .agg(count=("count", "sum"), lon=("lon", "first"), lat=("lat", "first"),
                    locality=("locality", "first")).reset_index().rename(columns={"unit": "cell_id"}))
        out["count"] = out["count"].astype("int64")
        return out[list(CELL_COLUMNS)]

    @cached_property
    def scattered(self) -> pd.DataFrame:
        """'Spridda rapporter' per layer and locality."""
        rows = self.units[self.units["kind"] == LOCALITY]
        if rows.empty:
            return empty_frame(SCATTERED_COLUMNS)
        out = rows.groupby(["layer", "locality"], sort=True)["count"].sum().reset_index()
        out["count"] = out["count"].astype("int64")
        return out[list(SCATTERED_COLUMNS)]

    @cached_property
    def other(self) -> pd.DataFrame:
        """Per layer, the municipality's remainder: other places and reports without a place."""
        rows = self.units[self.units["kind"] == KOMMUN]
        if rows.empty:
            return empty_frame(OTHER_COLUMNS)
        out = rows.groupby("layer", sort=True)["count"].sum().reset_index()
        out["count"] = out["count"].astype("int64")
        return out[list(OTHER_COLUMNS)]

    @cached_property
    def per_unit(self) -> pd.DataFrame:
        """Every unit once, summed over the chosen blocks: layer, kind, key, count, lon, lat, locality."""
        if self.units.empty:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "count" else object)
                                 for c in ("layer", "kind", "key", "count", "lon", "lat", "locality")})
        out = (self.units.groupby(["layer", "kind", "unit"], sort=True)
               .agg(count=("count", "sum"), lon=("lon", "first"), lat=("lat", "first"),
                    locality=("locality", "first")).reset_index().rename(columns={"unit": "key"}))
        out["count"] = out["count"].astype("int64")
        return out

    @cached_property
    def by_block(self) -> pd.DataFrame:
        """Counts per block and layer (block: index into release.blocks)."""
        out = self.units.groupby(["block", "layer"], sort=True)["count"].sum().reset_index()
        out["count"] = out["count"].astype("int64")
        return out

    @property
    def total(self) -> int:
        return int(self.units["count"].sum())

    def layer_total(self, layer: str) -> int:
        return int(self.units.loc[self.units["layer"] == layer, "count"].sum())

    @property
    def chosen_blocks(self) -> list[Block]:
        """The chosen blocks in which something of the view's layers is published (a block
        where nothing reached k tells no more than no block, and names no period)."""
        counts = self.release.counts
        published = set(counts.loc[counts["layer"].isin(self.layers), "block"])
        return [self.release.blocks[i] for i in self.blocks if i in published]

    @property
    def span(self) -> tuple[dt.date, dt.date] | None:
        """First day and the day after the last of the chosen blocks (None: no block)."""
        blocks = self.chosen_blocks
        return (blocks[0].start, blocks[-1].end) if blocks else None

    @property
    def merged(self) -> bool:
        """Whether some chosen block spans more than one period."""
        return any(b.periods > 1 for b in self.chosen_blocks)

    def within(self, selection: dict | None, kommun: str) -> ReleaseSelection:
        """Only the units a map selection holds (see the module docstring)."""
        if not selection:
            return self
        units = self.units
        keep = np.zeros(len(units), dtype=bool)
        cells = (units["kind"] == CELL).to_numpy()
        if cells.any():
            keep[cells] = _cells_in_selection(units[cells], selection, self.release.cell_m)
        if selection.get("type") == "locality":
            keep |= (units["kind"] == LOCALITY).to_numpy() & (units["locality"] == selection.get("name")).to_numpy()
        return ReleaseSelection(self.release, self.blocks, units[keep].reset_index(drop=True), self.layers)


def select(release: Release, layers, start: dt.date | None, end: dt.date | None, kommun: str) -> ReleaseSelection:
    """The units of `layers` in the blocks that meet the inclusive date range [start, end]."""
    chosen = tuple(i for i, b in enumerate(release.blocks) if b.overlaps(start, end))
    units = _placed(release, kommun)
    keep = np.isin(units["block"].to_numpy(), chosen) & np.isin(units["layer"].to_numpy(dtype=object),
                                                                 list(layers))
    return ReleaseSelection(release, chosen, units[keep].reset_index(drop=True),
                            tuple(lid for lid in release.layers if lid in set(layers)))


def _cells_in_selection(cells: pd.DataFrame, selection: dict, cell_m: int) -> np.ndarray:
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
        # A selected cell smaller than the release's cells: the shown cell that holds it.
        sx, sy = (ix + 0.5) * size, (iy + 0.5) * size
        ox, oy = cell_index(np.array([sx]), np.array([sy]), cell_m)
        own_x, own_y = cell_index(x, y, cell_m)
        return inside | ((own_x == ox[0]) & (own_y == oy[0]))
    return np.ones(len(cells), dtype=bool)


def empty_frame(columns) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "count" else object) for c in columns})


__all__ = ["CELL_COLUMNS", "OTHER_COLUMNS", "ReleaseSelection", "SCATTERED_COLUMNS", "select"]
