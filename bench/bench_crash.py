"""Kill -9 saves and imports at many moments and tabulate what every kind of opener then gets.

A demo data file; a child process (tests/crash_worker.py: a forkserver that imported the store
once) stores batch after batch of reports, alternately by the importer and the app's save, with
a status change after each, and is killed with SIGKILL at a cycle of moments (batch begun, the
journal or WAL being written, batch committed, status committed; conditions, no fixed sleeps).
After each kill, in this order (an opener that may write recovers the file for the next):

- reader: a process that may not write the file (sqlite's read-only open);
- server: a store object opened before the kill (a running dashboard): its change check and a reload;
- commands: `info`, `audit`, `release` (and `user list` at the journal moments);
- data: after a read-write open, every committed batch whole, no batch in part, statuses kept.

Runs on the code before layers.datafile too (where every open was read-only), for comparison:

    python bench/bench_crash.py [--kills 40] [--journal wal delete]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import crash_worker  # noqa: E402

OUT = Path(__file__).parent / "out"


def run(journal: str, kills: int, folder: Path) -> list[tuple]:
    from layers import open_store
    from layers.demo import write_demo

    os.environ["TRYGGHETSKARTA_JOURNAL"] = journal
    path = folder / f"{journal}.gpkg"
    write_demo(path, seed=2, reports=300, activities=30)
    running = open_store(path)
    progress, csvs = folder / f"{journal}-progress.txt", folder / f"{journal}-csv"
    csvs.mkdir()
    ctx = crash_worker.context()
    rows = []
    for n in range(kills):
        result = crash_worker.kill_round(ctx, path, journal, progress, csvs, n)
        reader = crash_worker.read_only_open(path)
        server = crash_worker.server_reads(running)
        commands = crash_worker.commands_open(path, users=result.moment == "journal written")
        data, _ = crash_worker.data_kept(path, progress)
        rows.append((journal, result.moment, result.landed, reader, server, commands, data))
        print(" | ".join(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=40, help="kills per journal mode")
    parser.add_argument("--journal", nargs="+", default=["wal", "delete"], choices=["wal", "delete"])
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    import layers.store

    code = ("with layers.datafile" if hasattr(layers.store, "datafile")
            else "before layers.datafile (journal flag ignored: rollback journal)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="trygghetskarta-crash-") as tmp:
        for journal in args.journal:
            rows += run(journal, args.kills, Path(tmp))
    tally = Counter(rows)
    lines = [f"# bench_crash: {args.kills} kills per journal mode, {code}", "",
             "| journal | kill at | left | reader that may not write | running server | commands | data | kills |",
             "|---|---|---|---|---|---|---|---:|"]
    lines += [f"| {' | '.join(key)} | {count} |" for key, count in sorted(tally.items())]
    print("\n".join(lines))
    (OUT / "bench_crash.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {OUT / 'bench_crash.md'}")


if __name__ == "__main__":
    main()
