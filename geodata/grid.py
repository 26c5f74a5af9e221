"""A metric square grid in SWEREF 99 TM for aggregation, with stable cell ids."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .crs import to_wgs84

DEFAULT_CELL_M = 500
#: Smaller cells would point too close at a home for sensitive layers.
MIN_CELL_M = 250


def check_cell_size(size_m: int) -> int:
    size = int(size_m)
    if size != size_m or size < MIN_CELL_M:
        raise ValueError(f"grid cell size must be a whole number of metres ≥ {MIN_CELL_M}, got {size_m!r}")
    return size


def cell_index(x, y, size_m: int = DEFAULT_CELL_M) -> tuple[np.ndarray, np.ndarray]:
    """Integer column/row of the cell holding each metric point (origin at SWEREF 0,0)."""
    size = check_cell_size(size_m)
    return (
        np.floor(np.asarray(x, dtype="float64") / size).astype("int64"),
        np.floor(np.asarray(y, dtype="float64") / size).astype("int64"),
    )


def cell_id(ix, iy, size_m: int = DEFAULT_CELL_M) -> np.ndarray:
    """Stable text ids like '500mN12746E897' (size, then south-west corner in cell units)."""
    ix = np.asarray(ix, dtype="int64")
    iy = np.asarray(iy, dtype="int64")
    return np.char.add(
        np.char.add(f"{size_m}mN", iy.astype(str)), np.char.add("E", ix.astype(str))
    )


def parse_cell_id(text: str) -> tuple[int, int, int]:
    """Inverse of cell_id: (size_m, ix, iy); ValueError on anything else."""
    try:
        size_part, rest = text.split("mN", 1)
        row, col = rest.split("E", 1)
        size, ix, iy = int(size_part), int(col), int(row)
        check_cell_size(size)
        return size, ix, iy
    except (ValueError, TypeError):
        raise ValueError(f"not a grid cell id: {text!r}") from None


def cell_centres_wgs84(ix, iy, size_m: int = DEFAULT_CELL_M) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of cell centres."""
    ix = np.asarray(ix, dtype="float64")
    iy = np.asarray(iy, dtype="float64")
    return to_wgs84((ix + 0.5) * size_m, (iy + 0.5) * size_m)


def cell_rings_wgs84(ix, iy, size_m: int = DEFAULT_CELL_M) -> np.ndarray:
    """Closed rings (n, 5, 2) of cell corners as lon/lat, for drawing cells on a web map."""
    ix = np.asarray(ix, dtype="float64")
    iy = np.asarray(iy, dtype="float64")
    dx = np.array([0, 1, 1, 0, 0], dtype="float64")
    dy = np.array([0, 0, 1, 1, 0], dtype="float64")
    xs = (ix[:, None] + dx[None, :]) * size_m
    ys = (iy[:, None] + dy[None, :]) * size_m
    lon, lat = to_wgs84(xs.ravel(), ys.ravel())
    return np.stack([lon, lat], axis=-1).reshape(len(ix), 5, 2)


def count_by_cell(x, y, size_m: int = DEFAULT_CELL_M) -> pd.DataFrame:
    """Counts per occupied cell: ix, iy, cell_id, count (sorted by cell id for stable output)."""
    ix, iy = cell_index(x, y, size_m)
    if len(ix) == 0:
        return pd.DataFrame({"ix": [], "iy": [], "cell_id": [], "count": []})
    counts = pd.DataFrame({"ix": ix, "iy": iy}).value_counts().reset_index(name="count")
    counts = counts.sort_values(["iy", "ix"], kind="stable").reset_index(drop=True)
    counts["cell_id"] = cell_id(counts["ix"], counts["iy"], size_m)
    return counts[["ix", "iy", "cell_id", "count"]]
