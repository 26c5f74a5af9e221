"""Kill -9 a process that saves and imports into a data file, at many moments, and check the file.

`save_loop` runs in a child process (a multiprocessing forkserver that imported the store once, so a
kill round costs milliseconds, not an interpreter start): batch after batch it stores BATCH reports,
alternately through the importer (`run_import` of a CSV, what `trygghetskarta import` and the app's
upload do) and `add_reports` (the app's save), changes the status of the batch's first report, and
appends a line to a progress file after each commit. `kill_round` starts one, waits for a moment of
the write (a condition: a progress line, or the journal/WAL file written after a batch began, never
a fixed sleep), sends SIGKILL and waits for the process to end. Then the file is opened as every
command does (`read_only_open`, `server_reads`, `commands_open`) and compares it with the progress
lines (`data_kept`). Used by tests/test_crash.py and bench/bench_crash.py (which also runs on the
code before layers.datafile, for the comparison).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from pathlib import Path

BATCH = 120
#: Where a kill lands, cycled through by kill number.
MOMENTS = ("batch begun", "journal written", "batch committed", "status committed")
#: A batch's rows carry this in their description: `desc(b, i)`.
TAG = "krasch"


def desc(batch: int, row: int) -> str:
    return f"{TAG} b{batch} r{row}"


def _csv(path: Path, batch: int) -> None:
    """A CSV like the example file (semicolons, SWEREF 99 TM N/E), rows inside Skillingaryd."""
    lines = ["Datum;Tid;Kategori;Beskrivning;Källa;N;E"]
    for i in range(BATCH):
        lines.append(f"2026-03-{1 + i % 27:02d};{8 + i % 12:02d}:{i % 60:02d};Belysning;{desc(batch, i)};"
                     f"Medborgare;{6365443 + (i % 40) * 5};{445400 + (i // 40) * 5 + batch % 7}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _frame(batch: int):
    import geopandas as gpd
    from shapely import Point

    when = "2026-03-05T18:30:00+01:00"
    rows = [{"id": f"k-{batch}-{i}", "layer": "otrygg_plats", "focus_area": "trygghet", "occurred_at": when,
             "reported_at": when, "category": "belysning", "description": desc(batch, i), "source": "polis",
             "status": "ny", "geometry": Point(445400 + i * 3, 6365443 + batch % 50)} for i in range(BATCH)]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:3006")


def _line(fd: int, text: str) -> None:
    os.write(fd, (text + "\n").encode())  # one short O_APPEND write: whole or not at all


def save_loop(path: str, journal: str, progress: str, first: int, folder: str) -> None:
    """Store batch after batch until killed (the child's whole life)."""
    os.environ["TRYGGHETSKARTA_JOURNAL"] = journal
    from layers import open_store
    from layers.imports import run_import

    store = open_store(path)
    fd = os.open(progress, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    batch = first
    while True:
        csv = Path(folder) / f"batch-{batch}.csv"
        if batch % 2:
            _csv(csv, batch)
        _line(fd, f"W {batch}")
        if batch % 2:
            result, _ = run_import(csv, store, kind="reports", layer="otrygg_plats")
            assert result.stored == BATCH, result.summary()
        else:
            store.add_reports(_frame(batch))
        _line(fd, f"C {batch}")
        first_id = _first_id(store, batch)
        store.update_report_status(first_id, "bekräftad")
        _line(fd, f"S {batch} {first_id}")
        batch += 1


def _first_id(store, batch: int) -> str:
    return store.read_table("reports", "WHERE description = ?", (desc(batch, 0),))["id"].iloc[0]


# -- the parent's side ------------------------------------------------------------------------


def context():
    """A forkserver that has imported the store and the importer once."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tests.crash_worker", "layers.store", "layers.imports"])
    return ctx


def read_progress(progress: Path) -> list[list[str]]:
    if not progress.exists():
        return []
    return [line.split() for line in progress.read_text().splitlines() if line.strip()]


#: The first bytes of a rollback journal that sqlite will play back (zeros: not yet, or no more).
JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")


def journal_hot(path: Path) -> bool:
    """Whether FILE-journal holds a rollback sqlite will play back: the database file is being
    changed (a journal still being filled has a zero header and is ignored)."""
    try:
        with open(f"{path}-journal", "rb") as f:
            return f.read(8) == JOURNAL_MAGIC
    except FileNotFoundError:
        return False


def _wal_stamp(path: Path):
    try:
        info = os.stat(f"{path}-wal")
        return info.st_mtime_ns, info.st_size
    except FileNotFoundError:
        return None


def _wait(condition, process, deadline_s: float, what: str):
    """Poll `condition` (a few hundred microseconds apart) until it holds; fail when the child died or
    the deadline passed."""
    end = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value:
            return value
        if not process.is_alive():
            raise AssertionError(f"the save loop ended by itself while waiting for {what} (exit {process.exitcode})")
        if time.monotonic() > end:
            raise AssertionError(f"no {what} within {deadline_s} s")
        time.sleep(0.0003)


@dataclass
class Round:
    moment: str
    landed: str = ""  # what the files showed right after the kill


def kill_round(ctx, path: Path, journal: str, progress: Path, folder: Path, n: int) -> Round:
    """Start a save loop, kill it with SIGKILL at moment n (cycled), wait for it to end."""
    lines = read_progress(progress)
    first = max((int(x[1]) for x in lines), default=0) + 1
    moment = MOMENTS[n % len(MOMENTS)]
    skip = n // len(MOMENTS) % 2  # every other cycle lets one more batch pass first
    target = first + skip
    process = ctx.Process(target=save_loop, args=(str(path), journal, str(progress), first, str(folder)))
    process.start()

    def seen(tag: str, batch: int):
        return lambda: any(x[0] == tag and int(x[1]) == batch for x in read_progress(progress))

    try:
        if moment == "batch begun":
            _wait(seen("W", target), process, 60, f"batch {target} to begin")
        elif moment == "journal written":
            # Rollback journal: the moment the database file is being changed (the journal is
            # hot); WAL: the moment the batch's frames are being appended (the WAL grows; it is
            # empty or gone between writes). A batch that commits before the poll sees it is
            # let go, and the next one is tried (up to 5).
            for batch in range(target, target + 5):
                _wait(seen("W", batch), process, 60, f"batch {batch} to begin")
                before = _wal_stamp(path)
                committed = seen("C", batch)

                def wal_grew(before=before):
                    now = _wal_stamp(path)
                    return now is not None and now[1] > 0 and now != before

                written = (lambda: journal_hot(path)) if journal == "delete" else wal_grew
                if _wait(lambda w=written, c=committed: "written" if w() else c(), process, 60,
                         f"the journal of batch {batch}") == "written":
                    break
        elif moment == "batch committed":
            _wait(seen("C", target), process, 60, f"batch {target} to commit")
        else:
            _wait(seen("S", target), process, 60, f"the status change of batch {target}")
    finally:
        process.kill()
        process.join(30)
    assert process.exitcode == -9, f"the save loop ended with {process.exitcode}, not by the kill"
    return Round(moment=moment, landed=landed(path))


def landed(path: Path) -> str:
    """What a kill left: a hot rollback journal (the file was being changed: it must be rolled
    back), a journal never made hot (ignored by sqlite), a WAL with frames, or a clean file."""
    journal, wal = Path(f"{path}-journal"), Path(f"{path}-wal")
    if journal_hot(path):
        return "hot journal"
    if journal.exists():
        return "journal not yet hot"
    if wal.exists() and wal.stat().st_size > 0:
        return "WAL left"
    return "clean"


def _said(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "not a Trygghetskarta data file" in text:
        return "NOT A DATA FILE"
    if "halfway through a save" in text:
        return "told what to do"
    return f"{type(exc).__name__}: {text[:70]}"


def read_only_open(path: Path) -> str:
    """Open the file as a process that may not write it (sqlite's mode=ro): 'opens', or what the
    user is told. A real read-only open even as root: `datafile.may_write` says no. (Before
    layers.datafile every open of the store was read-only.)"""
    from layers import open_store, store

    datafile = getattr(store, "datafile", None)  # None: the code before layers.datafile
    real = datafile.may_write if datafile else None
    if datafile:
        datafile.may_write = lambda p: False
    try:
        store = open_store(path)
        store.last_change()
        store.read_table("reports")
        return "opens"
    except Exception as exc:  # noqa: BLE001 - what the user would see is the outcome
        return _said(exc)
    finally:
        if datafile:
            datafile.may_write = real


def server_reads(running) -> str:
    """A store opened before the kill (a running server): its change check and a reload."""
    try:
        running.last_change()
        running.read_table("reports")
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return _said(exc)


def commands_open(path: Path, users: bool = True) -> str:
    """The commands that open the file (info, audit, release; user list, slow: an argon2 hash)."""
    from click.testing import CliRunner

    import dashboard.cli_release  # noqa: F401 - registers `release`
    import dashboard.cli_users  # noqa: F401 - registers `user` and `audit`
    from dashboard.cli import main

    runner = CliRunner()
    for args in (["info"], ["audit"], ["release"], *([["user", "list"]] if users else [])):
        result = runner.invoke(main, [*args, "--data", str(path)])
        if result.exit_code != 0:
            text = result.output.strip().splitlines()[-1] if result.output.strip() else repr(result.exception)
            return f"{args[0]}: " + ("NOT A DATA FILE" if "not a Trygghetskarta data file" in text else text[:70])
    return "ok"


def data_kept(path: Path, progress: Path) -> tuple[str, dict]:
    """The file against the progress lines, after a read-write open (which recovers it): intact,
    every committed batch whole, no batch in part, every committed status stored. Returns the
    outcome ('ok' or what is wrong) and per batch the rows found."""
    import sqlite3

    conn = sqlite3.connect(path, timeout=30)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        found = dict(conn.execute(
            "SELECT CAST(substr(description, length(?) + 3, instr(substr(description, length(?) + 3), ' ') - 1)"
            " AS INTEGER), count(*) FROM reports WHERE description LIKE ? GROUP BY 1", (TAG, TAG, f"{TAG} b%")
        ).fetchall())
        statuses = dict(conn.execute("SELECT id, status FROM reports WHERE description LIKE ?",
                                     (f"{TAG} b% r0",)).fetchall())
    finally:
        conn.close()
    lines = read_progress(progress)
    committed = {int(x[1]) for x in lines if x[0] == "C"}
    problems = [] if integrity == "ok" else [f"integrity: {integrity}"]
    problems += [f"batch {b} in part ({rows} of {BATCH})" for b, rows in found.items() if rows != BATCH]
    problems += [f"committed batch {b} lost" for b in sorted(committed - set(found))]
    problems += [f"status of {x[2]} lost" for x in lines if x[0] == "S" and statuses.get(x[2]) != "bekräftad"]
    return ("; ".join(problems) or "ok"), found
