"""Time the near-repeat Knox test (layers.analysis.near_repeat) at demo size and larger.

Side by side in the same run, on the same points (reports spread over 20 × 20 km and a year,
with bursts of repeats planted, seeded):

* ``ours 1×1``: `knox_test(bands=1)` — pointpats' Knox at 200 m / 7 days, 99 permutations (the
  dashboard's planning summary);
* ``ours 3×3``: `knox_test(bands=3)` — the CLI's default: 9 cumulative Knox runs for the band table;
* ``naive``: plain numpy — every pair's distance and day gap (scipy's pdist), the close pairs
  counted, and 99 permutations of the days recounted in numpy (no bands). It must give the same
  close pairs and expected count as ours (checked).

Median of several runs.

    python bench/bench_near_repeat.py [--reports 300 1000 3000] [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from timing import median_s  # bench/timing.py (scripts run as python bench/NAME.py)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def points(n: int, seed: int = 1):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    background = n - n // 5
    x, y = rng.uniform(0, 20000, background), rng.uniform(0, 20000, background)
    day = rng.integers(0, 365, background)
    bursts = (n - background) // 4
    bx, by, bd = rng.uniform(0, 20000, bursts), rng.uniform(0, 20000, bursts), rng.integers(0, 360, bursts)
    x = np.concatenate([x, np.repeat(bx, 4) + rng.uniform(0, 50, 4 * bursts)])
    y = np.concatenate([y, np.repeat(by, 4) + rng.uniform(0, 50, 4 * bursts)])
    day = np.concatenate([day, np.repeat(bd, 4) + rng.integers(0, 4, 4 * bursts)])
    return pd.DataFrame({"x": x, "y": y, "day": day})


def naive_knox(frame, distance: float, days: int, permutations: int, seed: int = 1):
    """(close pairs, expected, permutation p) with numpy/scipy only."""
    import numpy as np
    from scipy.spatial.distance import pdist

    xy = frame[["x", "y"]].to_numpy()
    t = frame["day"].to_numpy(dtype="float64").reshape(-1, 1)
    near = pdist(xy) <= distance
    soon = pdist(t) <= days
    n = len(frame)
    pairs = n * (n - 1) / 2
    observed = int((near & soon).sum())
    expected = near.sum() * soon.sum() / pairs
    rng = np.random.default_rng(seed)
    above = sum(int((near & (pdist(rng.permutation(t)) <= days)).sum()) >= observed for _ in range(permutations))
    return observed, float(expected), (above + 1) / (permutations + 1)


def main(argv=None) -> None:
    from layers.analysis.near_repeat import knox_test

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[300, 1000, 3000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'reports':>8} {'ours 1×1 s':>11} {'ours 3×3 s':>11} {'naive s':>8}  close  expected  p(ours)  p(naive)")
    for n in args.reports:
        frame = points(n)
        one_s, one = median_s(lambda f=frame: knox_test(f, bands=1), args.runs)
        three_s, three = median_s(lambda f=frame: knox_test(f, bands=3), args.runs)
        naive_s, naive = median_s(lambda f=frame: naive_knox(f, 200, 7, 99), args.runs)
        assert (one.close_in_both, round(one.expected, 6)) == (naive[0], round(naive[1], 6)), (one, naive)
        assert three.bands[0].observed == one.close_in_both
        print(f"{n:>8} {one_s:>11.2f} {three_s:>11.2f} {naive_s:>8.2f}  {one.close_in_both:>5}  {one.expected:>8.1f}"
              f"  {one.p:>7.2f}  {naive[2]:>8.2f}")


if __name__ == "__main__":
    main()
