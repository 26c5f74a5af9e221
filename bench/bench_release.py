"""Benchmark: the cost of building a release, and of a reduced role's view that reads it.

For demo stores of 100 000 and 1 000 000 reports it measures (median of N runs):
- build: `release_rows` + `build_release` for bra (months) and allmanhet (quarters), from
  the store's report table already in memory (what the first request after a period closes
  pays once), and the same with a previous release to revise;
- store: saving it in the data file (one transaction) and reading it back;
- view: one filter state of the reduced role from the release (`select` + a cell selection,
  as every interaction does), and the bytes of the counts;
and, side by side in the same run, the naive baseline the release replaced: aggregating the
live rows per request (`privacy.aggregate_cells` on the filtered cells-mode rows).

    python bench/bench_release.py [--sizes 100000 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import median_s  # bench/timing.py (scripts run as python bench/NAME.py)

from layers import open_store, privacy  # noqa: E402
from layers.demo import write_demo  # noqa: E402
from layers.release import build_release, release_rows  # noqa: E402
from layers.release_store import load_release, save_release  # noqa: E402
from layers.release_view import select  # noqa: E402

END = dt.date(2026, 11, 27)
TODAY = dt.date(2026, 12, 1)
OUT = Path(__file__).parent / "out"


def bench(size: int, runs: int, folder: Path) -> list[str]:
    path = folder / f"demo-{size}.gpkg"
    if not path.exists():
        write_demo(path, seed=3, reports=size, activities=100, end=END)
    store = open_store(path)
    reports = store.read_table("reports")
    lines = [f"## {size:,} reports"]
    for role in ("bra", "allmanhet"):
        pol = privacy.policy(role)
        kind = privacy.PrivacySettings().period(role)
        t_rows, rows = median_s(lambda pol=pol, kind=kind: release_rows(reports, pol, "0665", kind), runs)
        t_build, release = median_s(lambda rows=rows, pol=pol, kind=kind:
                                    build_release(rows, pol, "0665", TODAY, kind), runs)
        t_revise, _ = median_s(lambda rows=rows, pol=pol, kind=kind, release=release:
                               build_release(rows, pol, "0665", dt.date(2027, 4, 1), kind, previous=release), runs)

        def save(release=release):
            conn = sqlite3.connect(path, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                version = save_release(conn, release, "bench")
                conn.execute("COMMIT")
            finally:
                conn.close()
            return version

        t_save, version = median_s(save, runs)
        t_load, stored = median_s(lambda version=version, role=role: load_release(path, role, version), runs)
        layers = release.layers
        selection = {"type": "cell", "id": str(release.counts.loc[release.counts["kind"] == "cell", "unit"].iloc[0])}

        def view(stored=stored, layers=layers, selection=selection):
            chosen = select(stored, layers, dt.date(2026, 1, 1), dt.date(2026, 11, 30), "0665")
            return chosen.total, chosen.within(selection, "0665").total, len(chosen.cells)

        t_view, _ = median_s(view, runs)
        live = reports[reports["layer"].isin(layers).to_numpy()]

        def naive(live=live, pol=pol):
            return privacy.aggregate_cells(live, pol.cell_m, pol.k, "0665")

        t_naive, _ = median_s(naive, runs)
        units = len(release.counts)
        payload = int(release.counts.memory_usage(deep=True).sum())
        lines += [
            f"- {role} ({kind}s, {len(rows):,} rows of {', '.join(layers)}): {len(release.blocks)} blocks, "
            f"{units:,} units ({payload / 1024:.0f} KiB in memory)",
            f"  - build: rows {t_rows * 1000:.0f} ms + partition {t_build * 1000:.0f} ms; "
            f"revision {t_revise * 1000:.0f} ms; save {t_save * 1000:.0f} ms; load {t_load * 1000:.0f} ms",
            f"  - per interaction: release view {t_view * 1000:.1f} ms vs naive live aggregation "
            f"{t_naive * 1000:.1f} ms",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="trygghetskarta-bench-") as tmp:
        lines = [f"# bench_release ({dt.date.today().isoformat()}, median of {args.runs} runs)"]
        for size in args.sizes:
            lines += bench(size, args.runs, Path(tmp))
            print("\n".join(lines[-7:]), flush=True)
    (OUT / "bench_release.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {OUT / 'bench_release.md'}")


if __name__ == "__main__":
    main()
