"""Time the EST week view (layers.est_week.week_view) on many observations.

Side by side in the same run, on the same observations (spread over Vaggeryds kommun's packaged
places and eight weeks, a tenth still waiting, seeded):

* ``ours``: `week_view` — one vectorised `place_names` call per week, counts with Counter;
* ``naive``: a row-by-row loop — `place_names` of one point for each observation and dict counts per
  category and place. It must give the same counts as ours (checked).

Median of several runs.

    python bench/bench_est_week.py [--observations 1000 10000 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from timing import median_s  # bench/timing.py (scripts run as python bench/NAME.py)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def observations(n: int, seed: int = 1):
    import datetime as dt

    import numpy as np
    import pandas as pd

    from layers.imports.sources.est import TZ, load_categories
    from layers.imports.sources.resident_form import places

    rng = np.random.default_rng(seed)
    cats = load_categories()
    spots = places("0665")
    pick = rng.integers(0, len(spots), n)
    cat = rng.integers(0, len(cats), n)
    start = dt.datetime(2026, 10, 5, tzinfo=TZ)
    minutes = rng.integers(0, 8 * 7 * 24 * 60, n)
    when = [(start + dt.timedelta(minutes=int(m))).isoformat(timespec="seconds") for m in minutes]
    return pd.DataFrame({
        "id": [f"est-{cats[c].id}-{i:08x}" for i, c in enumerate(cat)],
        "layer": [cats[c].layer for c in cat], "category": [cats[c].category for c in cat],
        "occurred_at": when,
        "x": np.array([spots[p][2] for p in pick]) + rng.uniform(-300, 300, n),
        "y": np.array([spots[p][3] for p in pick]) + rng.uniform(-300, 300, n),
        "moderation": np.where(rng.random(n) < 0.1, "väntar", "godkänd"),
        "est_category": [cats[c].id for c in cat],
    }), cats


def naive(frame, week, cats):
    """Row by row: each observation's local day, place name and category counted in dicts."""
    import datetime as dt

    from geodata import place_names
    from layers.imports.sources.est import TZ

    previous = week.previous()
    now_cat, now_place = {}, {}
    for row in frame.itertuples(index=False):
        if row.moderation not in (None, "godkänd"):
            continue
        day = dt.datetime.fromisoformat(row.occurred_at).astimezone(TZ).date()
        if not (previous.monday <= day <= week.sunday):
            continue
        if day >= week.monday:
            now_cat[row.est_category] = now_cat.get(row.est_category, 0) + 1
            name = str(place_names([row.x], [row.y], "0665", detail=False)[0])
            now_place[name] = now_place.get(name, 0) + 1
    return now_cat, now_place


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observations", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from layers.est_week import Week, week_view

    week = Week(2026, 46)
    print(f"{'observations':>12} {'ours s':>8} {'naive s':>8} {'x':>6}  week total")
    for n in args.observations:
        frame, cats = observations(n)
        ours_s, view = median_s(lambda f=frame, c=cats: week_view(f, week, c, "polis", "0665"), args.runs)
        naive_s, (cat_counts, place_counts) = median_s(lambda f=frame, c=cats: naive(f, week, c),
                                                      max(1, min(args.runs, 3 if n <= 10000 else 1)))
        assert {r.key: r.count for r in view.categories if r.count} == cat_counts
        assert {r.key: r.count for r in view.places if r.count} == place_counts
        print(f"{n:>12} {ours_s:>8.3f} {naive_s:>8.3f} {naive_s / ours_s:>6.1f}  {view.total}")


if __name__ == "__main__":
    main()
