"""Time the Gi* hot spots (layers.analysis.hotspots) at demo size and at 100 000 reports.

Side by side in the same run, on the same cells (every 500 m cell of Vaggeryds kommun, the empty
ones too) and the same counts (one layer's reports per cell):

* ``ours``: `hotspot_cells` — esda's Gi* z, exact conditional-permutation p-values, BH classes;
* ``esda 999``: esda's own route — ``G_Local(..., permutations=999)`` (sampled permutations,
  the library default) and ``esda.fdr`` on its pseudo p-values;
* ``naive``: a plain numpy Gi* (3 × 3 window sums over the bounding grid, analytic z) with no
  permutations and no correction.

Median of several runs; the count per cell (the cell index of every report) is in each timing.

    python bench/bench_hotspots.py [--reports 3000 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from timing import median_s  # bench/timing.py (scripts run as python bench/NAME.py)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def naive_gi_star(ix, iy, count, area_ix, area_iy):
    """Analytic Gi* z over the area's cells with numpy only (binary queen weights plus self)."""
    import numpy as np

    x0, y0 = area_ix.min(), area_iy.min()
    grid = np.zeros((area_iy.max() - y0 + 3, area_ix.max() - x0 + 3))
    inside = np.zeros_like(grid, dtype=bool)
    inside[area_iy - y0 + 1, area_ix - x0 + 1] = True
    keep = (ix >= x0) & (ix <= area_ix.max()) & (iy >= y0) & (iy <= area_iy.max())
    np.add.at(grid, (iy[keep] - y0 + 1, ix[keep] - x0 + 1), count[keep])
    grid[~inside] = 0
    window = sum(np.roll(np.roll(grid, dy, 0), dx, 1) for dx in (-1, 0, 1) for dy in (-1, 0, 1))
    cells = sum(np.roll(np.roll(inside, dy, 0), dx, 1).astype(float) for dx in (-1, 0, 1) for dy in (-1, 0, 1))
    y = grid[inside]
    n, mean, sd = len(y), y.mean(), y.std()
    w = cells[inside]
    return (window[inside] - mean * w) / (sd * np.sqrt((n * w - w * w) / (n - 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[3000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import datetime as dt

    import numpy as np
    import pandas as pd
    import shapely
    from esda import fdr
    from esda.getisord import G_Local

    from geodata import cell_index
    from layers.analysis.hotspots import grid_weights, hotspot_cells, municipality_cells
    from layers.demo import generate

    area = municipality_cells("0665", 500)
    print(f"cells analysed: {len(area[0])} (500 m, Vaggeryds kommun); median of {args.runs} runs")
    print(f"{'reports':>8} {'layer rows':>10} {'ours s':>8} {'esda 999 s':>11} {'naive s':>8}   hot cells: ours / esda / naive")
    for n in args.reports:
        reports, _ = generate(seed=1, reports=n, end=dt.date(2026, 11, 27))
        layer = reports[reports["layer"] == "otrygg_plats"]
        geoms = np.asarray(layer.geometry.to_numpy(), dtype=object)
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]

        def counts(x=x, y=y):
            ix, iy = cell_index(x, y, 500)
            return pd.DataFrame({"ix": ix, "iy": iy}).value_counts().reset_index(name="count")

        def ours():
            return hotspot_cells(counts(), 500, "0665", permutations=0)

        def esda_default():
            found = hotspot_cells(counts(), 500, area=area, permutations=0).cells  # the same cells and counts
            w = grid_weights(found["ix"], found["iy"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g = G_Local(found["count"].to_numpy(dtype=float), w, transform="B", star=True, permutations=999,
                            seed=1, n_jobs=1, keep_simulations=False)
            p = np.minimum(1, 2 * g.p_sim)
            return ((g.Zs > 0) & (p < fdr(p, 0.10))).sum()

        def naive():
            c = counts()
            z = naive_gi_star(c["ix"].to_numpy(), c["iy"].to_numpy(), c["count"].to_numpy(dtype=float), *area)
            return (z > 1.645).sum()  # one-sided 95 %, no correction

        t_ours, result = median_s(ours, args.runs)
        t_esda, esda_hot = median_s(esda_default, args.runs)
        t_naive, naive_hot = median_s(naive, args.runs)
        tally = result.class_counts()
        ours_hot = tally["hot99"] + tally["hot95"] + tally["hot90"]
        print(f"{n:>8} {len(layer):>10} {t_ours:>8.3f} {t_esda:>11.3f} {t_naive:>8.3f}   "
              f"{ours_hot} / {esda_hot} / {naive_hot}")


if __name__ == "__main__":
    main()
