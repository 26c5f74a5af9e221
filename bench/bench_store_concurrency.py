"""Benchmark: how long an in-app save and a status change take while viewers read the file.

A demo data file of `--reports` reports (100 000 by default); N reader threads (or, with
`--processes`, processes) each loop over what a viewer's server or another program reads:
`last_change()` and the whole report table (`read_table("reports")`, the dashboard's reload).
Meanwhile the writer does what the app's save callback writes (one report plus its audit
entry) and what a status change writes (the status plus its audit entry), `--runs` times each.
Between two saves the writer waits for one more whole read to finish, so the writes are spread
over the reading. Reported per journal mode and reader count: median and worst save /
status-change latency, whole reads per second meanwhile, and the errors readers and writer got
("database is locked" must be 0).

The journal mode is switched by the data file's own flag, TRYGGHETSKARTA_JOURNAL (`wal`, or
`delete`: the rollback journal the store used before, and still uses on network shares), so
both run side by side in one run, each on its own copy of the same file. Everything is
in-process or local processes; nothing touches the network.

    python bench/bench_store_concurrency.py [--reports 100000] [--readers 0 5 25] [--runs 7]
                                            [--journal wal delete] [--processes]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd  # noqa: E402

from layers import open_store  # noqa: E402
from layers.audit import AuditLog  # noqa: E402
from layers.demo import write_demo  # noqa: E402

END = dt.date(2026, 11, 27)
OUT = Path(__file__).parent / "out"


def read_loop(path: str, journal: str, stop, counts, ready) -> None:
    """One viewer: read until told to stop; count reads and errors (by their first line)."""
    os.environ["TRYGGHETSKARTA_JOURNAL"] = journal
    store = open_store(path)
    first = True
    while not stop.is_set():
        try:
            store.last_change()
            store.read_table("reports")
            counts["reads"] = counts.get("reads", 0) + 1
        except Exception as exc:  # noqa: BLE001 - every error a viewer would see is counted
            key = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
            counts[key] = counts.get(key, 0) + 1
        if first:
            ready.release()
            first = False


def one_report(store, n: int) -> gpd.GeoDataFrame:
    """A new report like the app's entry form makes, copied from the file's first report."""
    row = store.reports().iloc[:1].copy()
    row["id"] = f"bench-{os.getpid()}-{n}-{time.time_ns()}"
    row["source"] = "polis"
    return row


def timed(fn, errors: Counter) -> float:
    """Seconds `fn` took; a failure (the user's error message) is counted and timed too."""
    started = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the old setting fails here, and that is measured
        errors[f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"] += 1
    return time.perf_counter() - started


def reads_done(tallies) -> int:
    return sum(dict(t).get("reads", 0) for t in tallies)


def writes(store, audit, frames, target: str, errors: Counter, tallies) -> tuple[list[float], list[float]]:
    saves, statuses = [], []
    for n, frame in enumerate(frames):
        if tallies:  # spread the writes over the reading: one more whole read between two saves
            seen = reads_done(tallies)
            deadline = time.monotonic() + 600
            while reads_done(tallies) == seen and time.monotonic() < deadline:
                time.sleep(0.01)
        def save(frame=frame):
            store.add_reports(frame, skip_existing=True)
            audit.append("add_report", user="bench", role="polis", detail={"id": frame["id"].iloc[0]})

        def status(n=n):
            store.update_report_status(target, ("bekräftad", "ny")[n % 2])
            audit.append("status", user="bench", role="polis", detail={"id": target})

        saves.append(timed(save, errors))
        statuses.append(timed(status, errors))
    return saves, statuses


def measure(path: Path, journal: str, readers: int, runs: int, processes: bool) -> dict:
    os.environ["TRYGGHETSKARTA_JOURNAL"] = journal
    store = open_store(path)
    audit = AuditLog(store)  # as the app: made at start, before anyone reads
    target = store.read_table("reports")["id"].iloc[0]
    frames = [one_report(store, n) for n in range(runs)]  # built before: only the writes are timed
    if processes:
        ctx = multiprocessing.get_context("spawn")
        manager = ctx.Manager()
        stop, ready = ctx.Event(), ctx.Semaphore(0)
        tallies = [manager.dict() for _ in range(readers)]
        workers = [ctx.Process(target=read_loop, args=(str(path), journal, stop, t, ready)) for t in tallies]
    else:
        stop, ready = threading.Event(), threading.Semaphore(0)
        tallies = [{} for _ in range(readers)]
        workers = [threading.Thread(target=read_loop, args=(str(path), journal, stop, t, ready), daemon=True)
                   for t in tallies]
    for worker in workers:
        worker.start()
    for _ in workers:  # every reader has finished one read: the file is under full load
        ready.acquire(timeout=600)
    reads_before = reads_done(tallies)
    started = time.perf_counter()
    write_errors = Counter()
    saves, statuses = writes(store, audit, frames, target, write_errors, tallies)
    elapsed = time.perf_counter() - started
    reads_during = reads_done(tallies) - reads_before
    stop.set()
    for worker in workers:
        worker.join(timeout=600)
    total = Counter()
    for tally in tallies:
        total.update(dict(tally))
    total.pop("reads", 0)
    return {"journal": journal, "readers": readers, "save_median": statistics.median(saves), "save_max": max(saves),
            "status_median": statistics.median(statuses), "status_max": max(statuses),
            "reads_per_s": reads_during / elapsed if elapsed else 0.0, "errors": dict(total),
            "write_errors": dict(write_errors)}


def copy_file(source: Path, target: Path) -> None:
    """A consistent copy of a data file (whatever its journal mode), as a fresh file."""
    import sqlite3

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # each mode starts from the same plain file
    finally:
        src.close()
        dst.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--readers", nargs="+", type=int, default=[0, 5, 25])
    parser.add_argument("--runs", type=int, default=7, help="saves and status changes per setting")
    parser.add_argument("--journal", nargs="+", default=["wal", "delete"], choices=["wal", "delete"])
    parser.add_argument("--processes", action="store_true", help="readers in processes instead of threads")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    base = OUT / f"concurrency-{args.reports}.gpkg"
    if not base.exists():
        print(f"writing {args.reports:,} demo reports to {base} ...", flush=True)
        write_demo(base, seed=5, reports=args.reports, activities=400, end=END)
    open_store(base)  # a file from an older version is upgraded once, not in every copy
    kind = "processes" if args.processes else "threads"
    lines = [f"# bench_store_concurrency ({dt.date.today().isoformat()}): {args.reports:,} reports, "
             f"readers as {kind}, median (max) of {args.runs} runs, sqlite {__import__('sqlite3').sqlite_version}",
             "", "| journal | readers | save (report + audit) | status change (+ audit) | full reads/s meanwhile | reader errors "
             "| writer errors |", "|---|---:|---:|---:|---:|---|---|"]
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory(prefix="trygghetskarta-bench-") as tmp:
        for readers in args.readers:
            for journal in args.journal:
                path = Path(tmp) / f"{journal}.gpkg"
                copy_file(base, path)
                r = measure(path, journal, readers, args.runs, args.processes)
                errors = ", ".join(f"{n}× {k}" for k, n in r["errors"].items()) or "0"
                failed = ", ".join(f"{n}× {k}" for k, n in r["write_errors"].items()) or "0"
                lines.append(f"| {journal} | {readers} | {r['save_median'] * 1000:.0f} ms ({r['save_max'] * 1000:.0f}) "
                             f"| {r['status_median'] * 1000:.0f} ms ({r['status_max'] * 1000:.0f}) "
                             f"| {r['reads_per_s']:.1f} | {errors} | {failed} |")
                print(lines[-1], flush=True)
    name = f"bench_store_concurrency{'-processes' if args.processes else ''}.md"
    (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {OUT / name}")


if __name__ == "__main__":
    main()
