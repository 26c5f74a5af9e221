"""Time place naming (geodata.place_names) and the planning gap table on demo-sized data.

Side by side: the vectorised naming (each distinct name written once) and a naive baseline that
names point by point (`place_name` in a loop); then `presence_hours` and `gap_table` on the
demo's reports and activities. Median of several runs:

    python bench/bench_places.py [--points 3000 15000] [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from timing import median_s  # bench/timing.py (scripts run as python bench/NAME.py)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[3000, 15000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import datetime as dt

    import numpy as np

    from geodata import localities, place_name, place_names
    from layers.demo import generate
    from layers.planning import gap_table, presence_hours

    rng = np.random.default_rng(1)
    locs = localities("0665")
    print(f"{'points':>8} {'vectorised ms':>14} {'point by point ms':>18}")
    for n in args.points:
        # Points scattered around the localities, as reports are.
        which = rng.integers(0, len(locs), n)
        x = locs["x"].to_numpy()[which] + rng.normal(0, 800, n)
        y = locs["y"].to_numpy()[which] + rng.normal(0, 800, n)
        fast = median_s(lambda x=x, y=y: place_names(x, y), args.runs)[0]
        few = min(n, 1000)  # the baseline is slow: timed on 1 000 points and scaled
        slow = median_s(lambda x=x, y=y, few=few: [place_name(a, b) for a, b in zip(x[:few], y[:few], strict=True)],
                        max(1, args.runs // 2))[0] * n / few
        print(f"{n:>8} {fast * 1000:>14.1f} {slow * 1000:>18.1f}")

    reports, activities = generate(seed=1, end=dt.date(2026, 11, 27))
    from dashboard.data import enrich

    reps = enrich(reports.assign(x=reports.geometry.x, y=reports.geometry.y), "occurred_at", "0665")
    acts = enrich(activities.assign(x=activities.geometry.x, y=activities.geometry.y), "planned_at", "0665")
    rp = place_names(reps["x"].to_numpy(), reps["y"].to_numpy(), detail=False)
    ap = place_names(acts["x"].to_numpy(), acts["y"].to_numpy(), detail=False)
    presence = median_s(lambda: presence_hours(acts), args.runs)[0]
    gaps = median_s(lambda: gap_table(reps, rp, acts, ap), args.runs)[0]
    print(f"demo: {len(reps)} reports, {len(acts)} activities: presence_hours {presence * 1000:.1f} ms, "
          f"gap_table {gaps * 1000:.1f} ms")


if __name__ == "__main__":
    main()
