"""Benchmark: the follow-up computations (layers.followup) on demo data of 10 000 and 100 000 reports.

Median of N runs per part, from the frames a store gives (`Store.read_table`), side by side
with a naive version that tests each report and activity one by one in Python (shapely
point-in-polygon, per-row date parsing), as a first implementation would:

- commitments: every built-in commitment followed up at the demo's end date;
- focus areas: reports in the period, the previous period and last year;
- effects: finding the treated places and their before/after WDD counts;
- total: `follow_up(...)`, the whole JSON contract;
- command: what `trygghetskarta follow-up --data FILE --at 2026-11-27` does after start-up, for
  role polis and the default bra (`layers.role_followup.store_follow_up`: reading both tables
  from the file, the bra release, the role's counts), and the command itself as a process
  (start-up and imports included; median of 3).

The table also goes to bench/out/bench_followup.md.

    python bench/bench_followup.py [--sizes 10000 100000] [--runs 5] [--naive-max 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import median_s  # bench/timing.py (scripts run as python bench/NAME.py)

from geodata import localities as locality_table  # noqa: E402
from geodata import nearest_locality_xy  # noqa: E402
from layers import open_store  # noqa: E402
from layers.config import load_config  # noqa: E402
from layers.demo import write_demo  # noqa: E402
from layers.followup import (  # noqa: E402
    evaluate_places,
    find_treated_places,
    focus_area_changes,
    follow_commitments,
    follow_up,
)
from layers.role_followup import store_follow_up  # noqa: E402

END = dt.date(2026, 11, 27)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
OUT = Path(__file__).parent / "out"


def _local_day(text: str) -> dt.date:
    return dt.datetime.fromisoformat(text).astimezone(STOCKHOLM).date()


def naive_commitments(config, activities):
    """Row by row: parse, test every dimension with shapely per point."""
    names = locality_table(config.kommun)["name"].tolist()
    out = {}
    for c in config.commitments:
        done = 0.0
        for row in activities.itertuples():
            when = dt.datetime.fromisoformat(row.planned_at)
            if not (c.period_start <= when.date() <= c.period_end) or row.kind != c.kind:
                continue
            if row.focus_area != c.focus_area or row.actor not in (c.actor, "gemensam"):
                continue
            if c.places:
                if row.x != row.x:
                    continue
                index, _ = nearest_locality_xy([row.x], [row.y], config.kommun)
                if names[int(index[0])] not in c.places:
                    continue
            if c.area is not None and (row.x != row.x or not c.area.contains(shapely.Point(row.x, row.y))):
                continue
            if c.weekdays and when.weekday() not in c.weekdays:
                continue
            if row.status == "genomförd":
                done += row.duration_min / 60 if c.unit == "hours" else 1
        out[c.id] = done
    return out


def naive_focus_areas(config, reports):
    counts = {a: [0, 0] for a in config.focus_areas}
    for row in reports.itertuples():
        day = _local_day(row.occurred_at)
        if config.period_start <= day <= END:
            counts[row.focus_area][0] += 1
        elif dt.date(2025, 1, 1) <= day <= dt.date(2025, 11, 27):
            counts[row.focus_area][1] += 1
    return counts


def naive_effects(config, reports, places):
    out = []
    for p in places:
        ring = p.geometry.buffer(300).difference(p.geometry)
        counts = [0, 0, 0, 0]
        for row in reports.itertuples():
            if row.focus_area != p.focus_area or row.x != row.x:
                continue
            point = shapely.Point(row.x, row.y)
            after = _local_day(row.occurred_at) >= p.start
            if p.geometry.contains(point):
                counts[after] += 1
            elif ring.contains(point):
                counts[2 + after] += 1
        out.append(counts)
    return out


def bench(n: int, runs: int, naive_max: int) -> dict:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"followup-demo-{n}.gpkg"
    if not path.exists():
        write_demo(path, seed=1, reports=n, activities=400, end=END)
    store = open_store(path)
    reports, activities = store.read_table("reports"), store.read_table("activities")
    config = load_config(today=END)
    places = find_treated_places(config, activities, END)
    row = {"reports": len(reports), "activities": len(activities)}
    row["commitments_ms"] = 1000 * median_s(lambda: follow_commitments(config, activities, END), runs)[0]
    row["focus_ms"] = 1000 * median_s(lambda: focus_area_changes(config, reports, END), runs)[0]
    row["effects_ms"] = 1000 * median_s(lambda: evaluate_places(config, reports, activities, END), runs)[0]
    row["total_ms"] = 1000 * median_s(lambda: follow_up(config, reports, activities, END), runs)[0]
    for role in ("polis", "bra"):
        row[f"{role}_ms"] = 1000 * median_s(lambda r=role: store_follow_up(store, r, END, config=config), runs)[0]
    command = [str(Path(sys.executable).with_name("trygghetskarta")), "follow-up", "--data", str(path),
               "--period", str(END.year), "--at", END.isoformat(), "--format", "json"]
    row["process_ms"] = 1000 * median_s(lambda: subprocess.run(command, check=True, capture_output=True), 3)[0]
    if n <= naive_max:
        naive_runs = max(1, min(runs, 3))
        row["naive_commitments_ms"] = 1000 * median_s(lambda: naive_commitments(config, activities), naive_runs)[0]
        row["naive_focus_ms"] = 1000 * median_s(lambda: naive_focus_areas(config, reports), naive_runs)[0]
        row["naive_effects_ms"] = 1000 * median_s(lambda: naive_effects(config, reports, places), naive_runs)[0]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--naive-max", type=int, default=100_000, help="skip the naive version above this size")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        print(f"size {n} ...", flush=True)
        rows.append(bench(n, args.runs, args.naive_max))
    header = (f"{'reports':>9} {'commitm.':>9} {'naive':>9} {'focus':>9} {'naive':>9} {'effects':>9} {'naive':>9} "
              f"{'follow_up':>10} {'cmd polis':>10} {'cmd bra':>10} {'process':>10}")
    lines = [f"median of {args.runs} runs (naive: of up to 3; process: of 3), milliseconds", "", header]

    def cell(r, key, width=9):
        return f"{r[key]:>{width}.0f}" if key in r else f"{'-':>{width}}"

    for r in rows:
        lines.append(f"{r['reports']:>9} {cell(r, 'commitments_ms')} {cell(r, 'naive_commitments_ms')} "
                     f"{cell(r, 'focus_ms')} {cell(r, 'naive_focus_ms')} {cell(r, 'effects_ms')} "
                     f"{cell(r, 'naive_effects_ms')} {cell(r, 'total_ms', 10)} {cell(r, 'polis_ms', 10)} "
                     f"{cell(r, 'bra_ms', 10)} {cell(r, 'process_ms', 10)}")
    text = "\n".join(lines)
    print("\n" + text)
    (OUT / "bench_followup.md").write_text("```\n" + text + "\n```\n", encoding="utf-8")


if __name__ == "__main__":
    main()
