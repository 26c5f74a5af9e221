"""Benchmark: importing a municipal CSV (semicolon, Windows-1252, decimal commas, SWEREF 99 TM).

Writes N rows like a file saved from Excel, imports them into a fresh data file and prints
the median of R runs (seconds, rows per second, file size in bytes), then imports the same
file again (idempotent: nothing new stored) and times that too.

    python bench/bench_import.py [--rows 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from layers import GeoPackageStore  # noqa: E402
from layers.importer import run_import  # noqa: E402

OUT = Path(__file__).parent / "out"
CATEGORIES = ("Belysning", "Skymd sikt", "Folksamling", "Skadegörelse", "Nedskräpning")


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    # Around Vaggeryd and Skillingaryd, inside the municipality.
    centre = np.array([[448_782, 6_373_168], [445_400, 6_365_443]])[rng.integers(0, 2, rows)]
    xy = centre + rng.normal(0, 600, (rows, 2))
    day = rng.integers(0, 365, rows)
    minute = rng.integers(0, 24 * 60, rows)
    dates = (np.datetime64("2025-11-01") + day.astype("timedelta64[D]")).astype(str)
    lines = ["Datum;Tid;Kategori;Beskrivning;Källa;N;E"]
    for i in range(rows):
        n = f"{xy[i, 1]:.1f}".replace(".", ",")
        e = f"{xy[i, 0]:.1f}".replace(".", ",")
        lines.append(f"{dates[i]};{minute[i] // 60:02d}:{minute[i] % 60:02d};{CATEGORIES[i % 5]};"
                     f"Rad {i} – mörkt och otryggt;Medborgare;{n};{e}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    source = OUT / f"import-{args.rows}.csv"
    write_csv(source, args.rows)
    first, again = [], []
    stored = 0
    for run in range(args.runs):
        store = GeoPackageStore.create(OUT / "import-bench.gpkg", kommun="0665", overwrite=True)
        start = time.perf_counter()
        result, _ = run_import(source, store, kind="reports", layer="otrygg_plats", progress=False)
        first.append(time.perf_counter() - start)
        stored = result.stored
        start = time.perf_counter()
        repeat, _ = run_import(source, store, kind="reports", layer="otrygg_plats", progress=False)
        again.append(time.perf_counter() - start)
        assert repeat.stored == 0, "a second import must store nothing"
        print(f"  run {run + 1}: {first[-1]:.1f} s, again {again[-1]:.1f} s", flush=True)
    median = statistics.median(first)
    print(f"\n{args.rows} rows ({source.stat().st_size} bytes CSV): stored {stored}, "
          f"median {median:.1f} s ({args.rows / median:,.0f} rows/s); "
          f"importing again (nothing new): median {statistics.median(again):.1f} s; "
          f"data file {(OUT / 'import-bench.gpkg').stat().st_size} bytes")


if __name__ == "__main__":
    main()
