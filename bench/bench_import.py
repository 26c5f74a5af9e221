"""Benchmark: importing a municipal CSV or Excel file; the new code side by side with an older commit.

Writes N rows like a file saved from Excel (CSV: semicolon, Windows-1252, decimal commas,
SWEREF 99 TM; xlsx: dates and clock times as date-formatted cells, text in the shared-strings
table, as Excel saves them), imports it into a fresh data file in a child process and reports
the median of R runs of wall time and peak memory (the child's maximum RSS), then imports the
same file again (idempotent: nothing new stored). `--baseline REF` runs the same imports on
the code of an older commit (a temporary git worktree) as the baseline, in turn with the new
code. The peak is also split at the moment the checked rows go to the store (the kernel's peak
counter is reset there): what the importer's reading and checking cost, and what the save
step costs (the known-id look-up and the store's own `add_reports`: its checks and the insert
in one transaction), each with its seconds and peak RSS. Results go to
bench/out/bench_import-FORMAT-ROWS.md.

    python bench/bench_import.py [--rows 100000] [--runs 3] [--format csv|xlsx] [--baseline d05696a]
    python bench/bench_import.py --rows 20000 --runs 5   # a survey-sized CSV (its test checks counts, not time)
    python bench/bench_import.py --rows 2000000 --format xlsx --runs 1 --no-again   # the 2 M-row workbook
    python bench/bench_import.py --rows 2000000 --format xlsx --runs 1 --dry-run    # the importer's own part
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).parent / "out"
CATEGORIES = ("Belysning", "Skymd sikt", "Folksamling", "Skadegörelse", "Nedskräpning")
HEADER = ("Datum", "Tid", "Kategori", "Beskrivning", "Källa", "N", "E")
#: The commit before the store's checks and the importer's rows went block by block (the
#: default baseline; ed12161 is the one before uploads became jobs and the reader streamed).
BASELINE = "d05696a"


def _rows(rows: int, seed: int = 1):
    """The same synthetic reports for both formats: points around Vaggeryd and Skillingaryd
    (inside the municipality), days in 2025, minutes of the day."""
    rng = np.random.default_rng(seed)
    centre = np.array([[448_782, 6_373_168], [445_400, 6_365_443]])[rng.integers(0, 2, rows)]
    xy = centre + rng.normal(0, 600, (rows, 2))
    day = rng.integers(0, 365, rows)
    minute = rng.integers(0, 24 * 60, rows)
    return xy, day, minute


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    xy, day, minute = _rows(rows, seed)
    dates = (np.datetime64("2025-01-01") + day.astype("timedelta64[D]")).astype(str)
    lines = [";".join(HEADER)]
    for i in range(rows):
        n = f"{xy[i, 1]:.1f}".replace(".", ",")
        e = f"{xy[i, 0]:.1f}".replace(".", ",")
        lines.append(f"{dates[i]};{minute[i] // 60:02d}:{minute[i] % 60:02d};{CATEGORIES[i % 5]};"
                     f"Rad {i} – mörkt och otryggt;Medborgare;{n};{e}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Rapporter" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/>'
        '<Relationship Id="rId3" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'),
    # Style 1: a date (built-in format 14), style 2: a clock time (built-in format 20, h:mm).
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="20" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '</styleSheet>'),
}


def write_xlsx(path: Path, rows: int, seed: int = 1) -> None:
    """An Excel workbook as Excel saves one (written as XML directly: openpyxl would take
    minutes for millions of rows)."""
    xy, day, minute = _rows(rows, seed)
    serial0 = (dt.date(2025, 1, 1) - dt.date(1899, 12, 30)).days
    strings = list(HEADER) + list(CATEGORIES) + ["Medborgare"]
    first_description = len(strings)
    cat0, source = len(HEADER), len(HEADER) + len(CATEGORIES)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, text in _XLSX_PARTS.items():
            zf.writestr(name, text)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            total = len(strings) + rows
            f.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns='
                     f'"http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{total}" '
                     f'uniqueCount="{total}">').encode())
            f.write("".join(f"<si><t>{escape(s)}</t></si>" for s in strings).encode())
            for start in range(0, rows, 50_000):
                f.write("".join(f"<si><t>Rad {i} – mörkt och otryggt</t></si>"
                                for i in range(start, min(rows, start + 50_000))).encode())
            f.write(b"</sst>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
                     '"http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                     f'<dimension ref="A1:G{rows + 1}"/><sheetData><row r="1">').encode())
            f.write("".join(f'<c r="{col}1" t="s"><v>{i}</v></c>' for i, col in enumerate("ABCDEFG")).encode())
            f.write(b"</row>")
            for start in range(0, rows, 50_000):
                part = []
                for i in range(start, min(rows, start + 50_000)):
                    r = i + 2
                    part.append(
                        f'<row r="{r}"><c r="A{r}" s="1"><v>{serial0 + day[i]}</v></c>'
                        f'<c r="B{r}" s="2"><v>{float(minute[i]) / 1440!r}</v></c>'
                        f'<c r="C{r}" t="s"><v>{cat0 + i % 5}</v></c>'
                        f'<c r="D{r}" t="s"><v>{first_description + i}</v></c>'
                        f'<c r="E{r}" t="s"><v>{source}</v></c>'
                        f'<c r="F{r}"><v>{xy[i, 1]:.1f}</v></c><c r="G{r}"><v>{xy[i, 0]:.1f}</v></c></row>')
                f.write("".join(part).encode())
            f.write(b"</sheetData></worksheet>")
    os.replace(tmp, path)


def source_file(rows: int, fmt: str) -> Path:
    """The benchmark's input, written once per size and format (kept in bench/out)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"import-{rows}.{fmt}"
    if not path.exists():
        started = time.perf_counter()
        (write_xlsx if fmt == "xlsx" else write_csv)(path, rows)
        print(f"wrote {path} ({path.stat().st_size:,} bytes) in {time.perf_counter() - started:.0f} s", flush=True)
    return path


#: One import in a child process (the code under test is the child's sys.path[0]): prints the
#: result as JSON; the parent takes the child's peak RSS from the kernel (wait4).
CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from layers import GeoPackageStore, importer
from layers.imports import run_import


def status():
    return {k: int(v.split()[0]) // 1024 for k, v in
            (line.split(":", 1) for line in open("/proc/self/status")) if k in ("VmRSS", "VmHWM")}


class Stages:
    # The importer's own stage bar, replaced: the peak before the rows go to the store, then
    # the kernel's peak counter reset (clear_refs 5) so the rest is the store's own peak.
    def __init__(self, enabled):
        self.before = None
        self.save_rss = None
        self.save_start = None

    def __call__(self, name):
        if name == "validate":
            now = status()
            self.before, self.save_rss = now["VmHWM"], now["VmRSS"]
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.save_start = time.perf_counter()

    def close(self):
        pass


stages = Stages(False)
importer._Progress = lambda enabled: stages
source, data, again, dry = sys.argv[2], sys.argv[3], sys.argv[4] == "again", sys.argv[5] == "dry"
if not again:
    GeoPackageStore.create(data, kommun="0665", overwrite=True)
from layers import open_store
store = open_store(data)
start = time.perf_counter()
result, _ = run_import(source, store, kind="reports", layer="otrygg_plats", progress=False, dry_run=dry)
end = time.perf_counter()
print(json.dumps({"seconds": end - start, "stored": result.stored, "total": result.total,
                  "rejected": len(result.rejected), "duplicate": result.duplicate,
                  "before_store_mb": stages.before, "store_mb": status()["VmHWM"],
                  "save_start_mb": stages.save_rss, "check_seconds": stages.save_start - start,
                  "save_seconds": end - stages.save_start}))
"""


def run_child(code: Path, source: Path, data: Path, again: bool, dry: bool = False) -> dict:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(code), str(source), str(data),
                             "again" if again else "first", "dry" if dry else "store"], stdout=subprocess.PIPE,
                            text=True, cwd=code)
    try:
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        # A stopped benchmark (SIGTERM, Ctrl-C) stops its import too, not only the parent.
        proc.kill()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"import failed in {code} (exit {proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    # Linux: kilobytes; the reset at the save step resets this counter too, so the whole peak is
    # the larger of the two parts.
    result["rss_mb"] = max(usage.ru_maxrss / 1024, result.get("before_store_mb") or 0)
    return result


def baseline_tree(ref: str, folder: Path) -> Path:
    tree = folder / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref], check=True,
                   capture_output=True)
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", dest="fmt", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--baseline", default=BASELINE, help="git commit to compare with ('' for none)")
    parser.add_argument("--no-again", action="store_true", help="skip the second (idempotent) import")
    parser.add_argument("--dry-run", action="store_true", help="read and check only (the importer's own part: "
                                                                  "no rows handed to the store)")
    args = parser.parse_args()
    # A stopped benchmark (kill) still removes its worktree and data files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    source = source_file(args.rows, args.fmt)
    folder = Path(tempfile.mkdtemp(prefix="trygghetskarta-bench-import-"))
    codes = {"new": ROOT}
    try:
        if args.baseline:
            codes[f"baseline {args.baseline}"] = baseline_tree(args.baseline, folder)
        results: dict[str, dict[str, list[dict]]] = {name: {"first": [], "again": []} for name in codes}
        for run in range(args.runs):
            for name, code in codes.items():
                data = folder / f"{name.split()[0]}.gpkg"
                first = run_child(code, source, data, again=False, dry=args.dry_run)
                results[name]["first"].append(first)
                line = f"  run {run + 1} {name}: {first['seconds']:.1f} s, {first['rss_mb']:.0f} MB"
                if not (args.no_again or args.dry_run):
                    again = run_child(code, source, data, again=True)
                    assert again["stored"] == 0, "a second import must store nothing"
                    results[name]["again"].append(again)
                    line += f"; again {again['seconds']:.1f} s, {again['rss_mb']:.0f} MB"
                print(line, flush=True)
    finally:
        if len(codes) > 1:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder / "baseline")],
                           check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
    what = " (dry run: read and check, nothing stored)" if args.dry_run else ""
    lines = [f"# bench_import: {args.rows:,} rows, {args.fmt} ({source.stat().st_size:,} bytes), "
             f"median of {args.runs} runs{what}", "",
             f"`python bench/bench_import.py --rows {args.rows} --format {args.fmt} --runs {args.runs}"
             + (f" --baseline {args.baseline}" if args.baseline else "") + (" --dry-run" if args.dry_run else "")
             + (" --no-again" if args.no_again else "") + "`", "",
             "Peak RSS is the child process's maximum resident memory (MB). The save step is the known-id "
             "look-up and `store.add_reports` (its checks and the insert in one transaction); its peak is "
             "measured from the moment the checked rows are ready (kernel peak counter reset), beside the RSS "
             "it started from.", "",
             "| code | step | stored | rejected | seconds | rows/s | peak RSS MB | RSS at start MB "
             "| again: seconds | again: RSS MB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, runs in results.items():
        first = runs["first"]

        def median(key, runs=first):
            return statistics.median(r[key] or 0 for r in runs)

        again = runs["again"]
        again_s = f"{median('seconds', again):.1f}" if again else "–"
        again_mb = f"{median('rss_mb', again):.0f}" if again else "–"
        counts = f"{first[0]['stored']:,} | {first[0]['rejected']:,}"
        steps = [("whole import", median("seconds"), median("rss_mb"), "–", again_s, again_mb),
                 ("read and check", median("check_seconds"), median("before_store_mb"), "–", "", "")]
        if not args.dry_run:
            steps.append(("save step", median("save_seconds"), median("store_mb"),
                          f"{median('save_start_mb'):.0f}", "", ""))
        for step, seconds, peak, at_start, a_s, a_mb in steps:
            lines.append(f"| {name} | {step} | {counts} | {seconds:.1f} | {args.rows / seconds:,.0f} | {peak:.0f} "
                         f"| {at_start} | {a_s} | {a_mb} |")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    out = OUT / f"bench_import-{args.fmt}-{args.rows}{'-dry' if args.dry_run else ''}.md"
    out.write_text(text, encoding="utf-8")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
