"""Getis-Ord Gi* hot spots on the grid cells: esda's statistic, permutation inference, FDR classes.

Choices, and why:

* **Cells.** Every grid cell whose centre lies inside the municipality takes part, also the
  empty ones (plus any cell outside it that holds reports): a hot spot is a cell whose
  neighbourhood has more reports than the municipality's cells in general, not just more than
  the other busy cells.
* **Weights.** Queen contiguity on the grid (the 8 cells around a cell), built by libpysal as a
  distance band of 1.5 cell widths between cell centres (a diagonal neighbour is √2 ≈ 1.41 cells
  away, the next ring 2), binary, with the cell itself added (Gi*, ``star=True``): a 3 × 3
  window, 1.5 km at 500 m cells — about a village centre. Rook contiguity would make the window
  a cross (direction-dependent); a wider band would smear a square or a station into the town.
* **Inference.** The conditional-randomisation null of esda's permutations: the cell's own count
  is held fixed and its neighbours are drawn at random from the other cells. For counts that
  distribution is known exactly — the sum of k draws from the cells' count histogram, a k-fold
  convolution — so `p` is the permutation p-value with no sampling error and no floor (two-sided:
  twice the smaller tail, at most 1). The sampled alternatives fail here: esda's pseudo p-value
  ``p_sim`` cannot go below 1/(permutations + 1), and with thousands of cells no
  false-discovery-rate correction could then ever find a hot spot (3 500 cells, 999 permutations:
  a 99 % class would need 350 cells at that floor), and on counts, with their many ties, its
  folding gives a cell whose neighbours are all 0 the smallest p there is (every shuffle ties or
  exceeds it: a lone busy cell and an empty corner alike get 0.001); its normal approximation ``p_z_sim`` and the
  analytic z both assume a normal distribution, and on sparse counts (most cells 0) they flag
  some cell of pure noise in half or more of noise-only grids, the exact p in at most 1 of 12
  (tests/test_analysis_hotspots.py).
  The draws are taken with replacement (the histogram is of all cells): with hundreds of cells
  this differs from drawing without replacement by less than the p-value's last digits matter.
  esda's sampled ``p_sim`` is kept beside as a cross-check. Because the cell's own count is held
  fixed, one busy cell among quiet ones is not a hot spot; a cluster is. `gi_z` is Getis and
  Ord's standardised Gi* (esda's ``Zs``), the score readers know from other tools.
* **Multiple testing.** Benjamini–Hochberg across all cells: a cell is significant at a level
  when its p is below esda's ``fdr`` cut-off for that level; `q` is the BH-adjusted p-value
  (scipy's ``false_discovery_control``), so "q < 0.05" reads the same as the 95 % class.
* **Classes** (stable ids): ``hot99``, ``hot95``, ``hot90`` (positive z, significant at 1, 5,
  10 % FDR), ``cold`` (negative z, significant at 10 %), ``ns`` otherwise.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from geodata import cell_id, get_municipality, localities, nearest_locality_xy

CLASSES = ("hot99", "hot95", "hot90", "ns", "cold")
#: (FDR level, class) from the strictest: a cell takes the first level it passes.
HOT_LEVELS = ((0.01, "hot99"), (0.05, "hot95"), (0.10, "hot90"))
COLD_LEVEL = 0.10
DEFAULT_PERMUTATIONS = 999
DEFAULT_SEED = 12345
#: Neighbours are cells whose centres are at most this many cell widths apart (queen contiguity).
QUEEN_BAND = 1.5
CELL_COLUMNS = ("cell_id", "ix", "iy", "locality", "count", "gi_z", "p", "q", "class")


@dataclass(frozen=True)
class GiStar:
    """Per cell (in input order): Gi*, its z-score, the exact permutation p, esda's sampled p, q, class."""

    gi: np.ndarray  # the Gi* statistic (share of all reports in the cell and its neighbours)
    z: np.ndarray  # standardised by the analytic moments (esda Zs, Getis & Ord 1992)
    p: np.ndarray  # two-sided exact conditional-permutation p-value
    p_sim: np.ndarray  # esda's folded pseudo p-value from sampled permutations (NaN without)
    q: np.ndarray  # Benjamini–Hochberg adjusted p
    hot: np.ndarray  # True where the observed window is in the upper tail
    classes: np.ndarray  # CLASSES ids


def grid_weights(ix, iy):
    """Binary queen-contiguity weights of grid cells given by integer column/row (a libpysal Graph,
    built once per set of cells: the municipality's cells are the same from one call to the next)."""
    ix = np.ascontiguousarray(ix, dtype="int64")
    iy = np.ascontiguousarray(iy, dtype="int64")
    return _grid_weights(ix.tobytes(), iy.tobytes())


@lru_cache(maxsize=8)
def _grid_weights(ix_bytes: bytes, iy_bytes: bytes):
    from libpysal.graph import Graph

    coords = np.column_stack([np.frombuffer(ix_bytes, dtype="int64"),
                              np.frombuffer(iy_bytes, dtype="int64")]).astype("float64")
    with warnings.catch_warnings():
        # A lone cell outside the municipality is an island; Gi* then sees only itself.
        warnings.simplefilter("ignore")
        return Graph.build_distance_band(coords, QUEEN_BAND, binary=True)


def _bh(p: np.ndarray) -> np.ndarray:
    from scipy.stats import false_discovery_control

    return false_discovery_control(p, method="bh") if len(p) else p.copy()


def classify(hot, p) -> np.ndarray:
    """Class ids from the direction (`hot`: upper tail) and two-sided p, with esda's FDR cut-off per level."""
    from esda import fdr

    hot = np.asarray(hot, dtype=bool)
    p = np.asarray(p, dtype="float64")
    out = np.full(len(p), "ns", dtype=object)
    if not len(p):
        return out
    for level, name in reversed(HOT_LEVELS):  # strictest last, so it wins
        out[hot & (p < fdr(p, level))] = name
    out[~hot & (p < fdr(p, COLD_LEVEL))] = "cold"
    return out


def _convolve(dist: np.ndarray, pmf: np.ndarray, support: np.ndarray) -> np.ndarray:
    """dist * pmf (the distribution of one more draw). Counts take few distinct values (a
    hundred cells with 0..11 500 reports have at most a hundred), so the sum over the pmf's
    support is far cheaper than the dense product when the pmf is long and sparse; both are exact."""
    if len(support) * 32 >= len(pmf):
        return np.convolve(dist, pmf)
    out = np.zeros(len(dist) + len(pmf) - 1)
    for value in support:
        out[value:value + len(dist)] += pmf[value] * dist
    return out


def permutation_p(y, w) -> tuple[np.ndarray, np.ndarray]:
    """(two-sided p, upper tail is the smaller) of each cell's neighbour sum under conditional
    randomisation: its cardinality's k draws from the histogram of all counts (module docstring)."""
    counts = np.asarray(y, dtype="float64")
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("hot spots need whole, non-negative counts per cell")
    values = counts.astype("int64")
    n = len(values)
    # The structure only: binary, without the cell itself (whatever transform `w` was left in).
    sparse = (w.sparse.tocsr() != 0).astype("int64")
    sparse.setdiag(0)
    sparse.eliminate_zeros()
    neighbours = np.asarray(sparse @ values, dtype="int64")
    cardinality = np.diff(sparse.indptr)
    pmf = np.bincount(values) / n
    support = np.flatnonzero(pmf)
    p = np.ones(n)
    upper_side = np.zeros(n, dtype=bool)
    dist = np.array([1.0])  # the sum of 0 draws is 0
    for k in range(int(cardinality.max()) + 1 if n else 0):
        if k:
            dist = _convolve(dist, pmf, support)
        mine = cardinality == k
        if not mine.any() or k == 0:
            continue  # an island's window never changes: no evidence either way
        upper = np.cumsum(dist[::-1])[::-1]  # P(S >= s), summed from the tail for precision
        lower = np.cumsum(dist)  # P(S <= s)
        s_obs = neighbours[mine]
        up, low = upper[s_obs], lower[s_obs]
        p[mine] = np.minimum(1.0, 2.0 * np.minimum(up, low))
        upper_side[mine] = up < low
    return p, upper_side


def gi_scores(y, w) -> tuple[np.ndarray, np.ndarray]:
    """(Gi*, its z-score) per observation: esda ``G_Local`` with binary weights and ``star=True``."""
    from esda.getisord import G_Local

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        g = G_Local(np.asarray(y, dtype="float64"), w, transform="B", star=True, permutations=0)
    return np.asarray(g.Gs, dtype="float64"), np.asarray(g.Zs, dtype="float64")


def gi_star(y, w, permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED) -> GiStar:
    """Gi* (esda ``G_Local``, binary weights, ``star=True``) with exact permutation p, FDR and classes.

    `permutations` > 0 also runs esda's sampled permutations (``p_sim``, a cross-check; 0 skips
    them). A variable with no variation (no reports, or the same count everywhere) has no hot
    spots: every cell is 'ns' with z 0 and p, q 1.
    """
    from esda.getisord import G_Local

    y = np.asarray(y, dtype="float64")
    n = len(y)
    if n < 3 or np.all(y == y[0]):
        zeros, ones = np.zeros(n), np.ones(n)
        return GiStar(gi=np.full(n, np.nan), z=zeros, p=ones, p_sim=np.full(n, np.nan), q=ones.copy(),
                      hot=np.zeros(n, dtype=bool), classes=np.full(n, "ns", dtype=object))
    p, hot = permutation_p(y, w)
    gi, z = gi_scores(y, w)
    p_sim = np.full(n, np.nan)
    if permutations:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            g = G_Local(y, w, transform="B", star=True, permutations=int(permutations), seed=int(seed),
                        n_jobs=1, keep_simulations=False)
        p_sim = np.asarray(g.p_sim, dtype="float64")
    return GiStar(gi=gi, z=np.nan_to_num(z), p=p, p_sim=p_sim, q=_bh(p), hot=hot, classes=classify(hot, p))


@lru_cache(maxsize=16)
def municipality_cells(kommun: str, cell_m: int) -> tuple[np.ndarray, np.ndarray]:
    """Column/row of every grid cell whose centre lies inside the municipality (read-only arrays)."""
    muni = get_municipality(kommun)
    minx, miny, maxx, maxy = muni.geometry_metric.bounds
    ix = np.arange(int(np.floor(minx / cell_m)), int(np.floor(maxx / cell_m)) + 1)
    iy = np.arange(int(np.floor(miny / cell_m)), int(np.floor(maxy / cell_m)) + 1)
    gx, gy = np.meshgrid(ix, iy)
    gx, gy = gx.ravel(), gy.ravel()
    inside = muni.contains_metric((gx + 0.5) * cell_m, (gy + 0.5) * cell_m, tolerance_m=0)
    ix, iy = gx[inside].astype("int64"), gy[inside].astype("int64")
    ix.flags.writeable = iy.flags.writeable = False  # shared by every caller (cached)
    return ix, iy


@dataclass(frozen=True)
class HotspotResult:
    """Every analysed cell (CELL_COLUMNS, sorted by row then column) and how it was made."""

    cells: pd.DataFrame
    cell_m: int
    permutations: int
    seed: int

    def class_counts(self) -> dict[str, int]:
        found = self.cells["class"].value_counts()
        return {name: int(found.get(name, 0)) for name in CLASSES}


def hotspot_cells(counts: pd.DataFrame, cell_m: int, kommun: str | None = None, *,
                  area: tuple[np.ndarray, np.ndarray] | None = None,
                  permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED) -> HotspotResult:
    """Gi* classes for reports counted per cell (`counts`: ix, iy, count).

    The cells analysed are `area` (column/row arrays; default: the municipality's cells of
    `kommun`) together with every cell in `counts`; cells of the area without a row count 0.
    `locality` is the nearest locality of the cell's centre ("" without `kommun`).
    """
    if area is None:
        if kommun is None:
            raise ValueError("hotspot_cells needs the municipality (kommun) or an explicit area")
        area = municipality_cells(kommun, cell_m)
    given = pd.DataFrame({"ix": np.asarray(counts["ix"], dtype="int64"), "iy": np.asarray(counts["iy"], dtype="int64"),
                          "count": np.asarray(counts["count"], dtype="float64")})
    given = given.groupby(["ix", "iy"], sort=False)["count"].sum().reset_index()
    base = pd.DataFrame({"ix": np.asarray(area[0], dtype="int64"), "iy": np.asarray(area[1], dtype="int64")})
    cells = (pd.concat([base, given[["ix", "iy"]]], ignore_index=True).drop_duplicates()
             .merge(given, on=["ix", "iy"], how="left"))
    cells["count"] = cells["count"].fillna(0.0)
    cells = cells.sort_values(["iy", "ix"], kind="stable").reset_index(drop=True)
    ix, iy = cells["ix"].to_numpy(), cells["iy"].to_numpy()
    y = cells["count"].to_numpy(dtype="float64")
    stat = gi_star(y, grid_weights(ix, iy) if len(cells) >= 3 else None, permutations, seed)
    cells["cell_id"] = cell_id(ix, iy, cell_m) if len(cells) else np.array([], dtype=str)
    if kommun is not None and len(cells):
        index, _ = nearest_locality_xy((ix + 0.5) * cell_m, (iy + 0.5) * cell_m, kommun)
        cells["locality"] = localities(kommun)["name"].to_numpy()[index]
    else:
        cells["locality"] = ""
    cells["count"] = cells["count"].astype("int64")
    cells["gi_z"], cells["p"], cells["q"], cells["class"] = stat.z, stat.p, stat.q, stat.classes
    return HotspotResult(cells=cells[list(CELL_COLUMNS)], cell_m=int(cell_m), permutations=int(permutations),
                         seed=int(seed))


__all__ = ["CELL_COLUMNS", "CLASSES", "DEFAULT_PERMUTATIONS", "GiStar", "HotspotResult", "classify", "gi_scores", "gi_star",
           "grid_weights", "hotspot_cells", "municipality_cells"]
