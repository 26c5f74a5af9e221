"""The dashboard's whole-table read with the counted-only rule (issue 14), beside the plain read.

`store.read_table("reports")` now adds `WHERE (moderation IS NULL OR moderation = 'godkänd')`
(layers.intake_schema.COUNTED); the baseline is the same read with `uncounted=True` (no
condition, the read before issue 14). A share of the reports is set pending first (default 1 %),
as a file with a busy residents' form would have. Median of N runs per size.

    python bench/bench_counted_read.py [--sizes 100000 1000000] [--runs 7] [--pending 0.01]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from timing import median_s  # bench/timing.py (scripts run as python bench/NAME.py)

from layers import open_store  # noqa: E402
from layers.demo import write_demo  # noqa: E402

END = dt.date(2026, 11, 27)


def bench(size: int, runs: int, pending: float, folder: Path) -> str:
    path = folder / f"counted-{size}.gpkg"
    if not path.exists():
        write_demo(path, seed=3, reports=size, activities=100, end=END)
        with sqlite3.connect(path) as conn:
            # Every k-th report waits for moderation (spread over the file, not one block).
            step = max(1, round(1 / pending)) if pending > 0 else 0
            if step:
                conn.execute("UPDATE reports SET moderation = 'väntar' WHERE fid % ? = 0", (step,))
    store = open_store(path)
    t_counted, counted = median_s(lambda: store.read_table("reports"), runs)
    t_all, every = median_s(lambda: store.read_table("reports", uncounted=True), runs)
    return (f"{size:>9,} reports ({len(every) - len(counted):,} pending): counted read {t_counted:.3f} s, "
            f"plain read (baseline) {t_all:.3f} s, ratio {t_counted / t_all:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pending", type=float, default=0.01)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        for size in args.sizes:
            print(bench(size, args.runs, args.pending, folder), flush=True)


if __name__ == "__main__":
    main()
