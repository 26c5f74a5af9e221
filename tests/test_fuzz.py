"""Fuzzing the importer: every reader, random dates, random bytes and a corpus of hostile files.

Three properties, for CSV, Excel, GeoJSON, GeoPackage, zipped Shapefile and the police feed:

- nothing escapes `run_import` but the user errors the CLI prints as one line (USER_ERRORS);
- every row read is accounted for: stored + duplicates + rejected (+ empty) == rows read;
- no stored time differs from the source: what was stored is parsed back and compared, as an
  instant, with an independent reading of the generated parts (Python's datetime and zoneinfo,
  not pandas); out-of-range years, impossible offsets and dates that do not exist are rejected.

Times are compared to the second: the store keeps whole seconds (a fraction is cut off).
Everything is deterministic (derandomize=True, a seeded corpus) and runs in well under a minute.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import random
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from geodata import CRSError
from layers import StoreError, ValidationError
from layers.imports import ImportFailed, run_import
from layers.store import GeoPackageStore

#: What run_import may raise: the CLI turns each into one line ("Error: ...") and exit 1.
USER_ERRORS = (ImportFailed, CRSError, StoreError, ValidationError)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=STOCKHOLM)
#: Skillingaryd station: WGS 84 (lat, lon) and SWEREF 99 TM (x, y), inside Vaggeryd.
LAT, LON = 57.428425, 14.090713
X, Y = 445400.0, 6365443.0
STORED_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$")
FORMATS = ("csv", "xlsx", "geojson", "gpkg", "shp.zip", "polisen")
#: Bounded and the same every run; no shrinking: a failing case is small already (at most six
#: cells) and shrinking one through file writes and imports can take many minutes.
SETTINGS = dict(deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """One real store per format, shared by the examples (rows differ by their description)."""
    root = tmp_path_factory.mktemp("fuzz-stores")
    return {fmt: GeoPackageStore.create(root / f"{fmt.replace('.', '-')}.gpkg", kommun="0665") for fmt in FORMATS}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-files")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- generated times and their independent reading --------------------------------------------


@dataclass(frozen=True)
class Moment:
    """A generated time: its parts (None where not given) and how it is written."""

    year: int
    month: int
    day: int
    hour: int | None
    minute: int
    second: int | None
    offset: tuple[str, int, int, bool] | None  # (sign, hh, mm, with colon) or None; "Z" as ("Z", 0, 0, True)
    style: str  # "iso", "iso-space", "dmy", "dmy-dot"

    def text(self) -> str:
        if self.style.startswith("dmy"):
            sep = "/" if self.style == "dmy" else "."
            date = f"{self.day:02d}{sep}{self.month:02d}{sep}{self.year:04d}"
        else:
            date = f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.hour is not None:
            date += ("T" if self.style == "iso" else " ") + f"{self.hour:02d}:{self.minute:02d}"
            if self.second is not None:
                date += f":{self.second:02d}"
        return date + self.offset_text()

    def offset_text(self) -> str:
        if self.offset is None or self.style.startswith("dmy"):
            return ""
        sign, hh, mm, colon = self.offset
        return "Z" if sign == "Z" else f"{sign}{hh:02d}{':' if colon else ''}{mm:02d}"

    def feed_text(self) -> str:
        """The police feed's form: '2026-08-18 19:45:41 +02:00' (hour not zero-padded)."""
        sign, hh, mm, colon = self.offset if self.offset and self.offset[0] != "Z" else ("+", 1, 0, True)
        return (f"{self.year:04d}-{self.month:02d}-{self.day:02d} {self.hour or 0}:{self.minute:02d}:"
                f"{self.second or 0:02d} {sign}{hh:02d}{':' if colon else ''}{mm:02d}")


def expected_instant(m: Moment, feed: bool = False) -> dt.datetime | None:
    """The UTC instant the text means, or None where it must be rejected (no such time, an
    offset no clock uses, before 1990 or in the future)."""
    hour, minute, second = (m.hour or 0), m.minute, (m.second or 0)
    if m.hour is None and not feed:
        minute = second = 0  # a date alone: midnight (the text has no minutes or seconds)
    offset = m.offset
    if feed:
        offset = offset if offset and offset[0] != "Z" else ("+", 1, 0, True)
    elif m.style.startswith("dmy"):
        offset = None
    try:
        wall = dt.datetime(m.year, m.month, m.day, hour, minute, second)
        if offset is None:
            local = wall.replace(tzinfo=STOCKHOLM)  # fold=0: the repeated autumn hour is summer time
            if local.astimezone(dt.UTC).astimezone(STOCKHOLM).replace(tzinfo=None) != wall:
                return None  # the spring-forward gap
            instant = local.astimezone(dt.UTC)
        else:
            sign, hh, mm, _ = offset
            minutes = 0 if sign == "Z" else (hh * 60 + mm) * (-1 if sign == "-" else 1)
            if mm >= 60 or abs(minutes) > 14 * 60:
                return None
            instant = (wall - dt.timedelta(minutes=minutes)).replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError):
        return None
    now = dt.datetime.now(dt.UTC)
    if not EARLIEST <= instant < now + dt.timedelta(hours=1):
        return None
    return instant


def near_now(instant: dt.datetime | None) -> bool:
    """Within minutes of the importer's 'now + 1 hour' bound: either outcome is right."""
    if instant is None:
        return False
    return abs(instant - (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))) < dt.timedelta(minutes=10)


YEARS = st.one_of(
    st.integers(1990, 2026), st.integers(1990, 2026),
    st.sampled_from([0, 1, 1600, 1677, 1678, 1899, 1900, 1969, 1970, 1989, 2027, 2100, 2199, 2200, 2261, 2262,
                     2263, 3000, 9999]),
    st.integers(0, 9999),
)
OFFSETS = st.one_of(
    st.none(), st.just(("Z", 0, 0, True)),
    st.tuples(st.sampled_from("+-"), st.sampled_from([0, 1, 2, 5, 12, 13, 14, 15, 23, 99]),
              st.sampled_from([0, 30, 45, 59, 60, 99]), st.booleans()),
)
MOMENTS = st.builds(
    Moment, year=YEARS, month=st.one_of(st.integers(1, 12), st.sampled_from([0, 13, 99])),
    day=st.one_of(st.integers(1, 28), st.sampled_from([0, 29, 30, 31, 32])),
    hour=st.one_of(st.none(), st.integers(0, 23), st.sampled_from([24, 25, 99])),
    minute=st.one_of(st.integers(0, 59), st.just(60)), second=st.one_of(st.none(), st.integers(0, 59), st.just(60)),
    offset=OFFSETS, style=st.sampled_from(["iso", "iso", "iso-space", "dmy", "dmy-dot"]),
)
#: Times that exist and lie in the plausible range (mostly): these must be stored as written.
PLAUSIBLE = st.builds(
    Moment, year=st.integers(1990, 2026), month=st.integers(1, 12), day=st.integers(1, 28),
    hour=st.one_of(st.none(), st.integers(0, 23)), minute=st.integers(0, 59),
    second=st.one_of(st.none(), st.integers(0, 59)),
    offset=st.one_of(st.none(), st.just(("Z", 0, 0, True)),
                     st.sampled_from([("+", 1, 0, True), ("+", 2, 0, True), ("+", 1, 0, False), ("-", 5, 30, True),
                                      ("+", 14, 0, True), ("-", 12, 0, False), ("+", 5, 45, True)])),
    style=st.sampled_from(["iso", "iso", "iso-space", "dmy", "dmy-dot"]),
)
#: Real dates and times in years outside the range (pandas' nanoseconds end at 1677 and 2262).
OUT_OF_RANGE = st.builds(
    Moment, year=st.sampled_from([0, 1, 1600, 1677, 1678, 1899, 1900, 1969, 1970, 1989, 2100, 2199, 2200, 2261, 2262,
                                  2263, 3000, 9999]),
    month=st.integers(1, 12), day=st.integers(1, 28), hour=st.one_of(st.none(), st.integers(0, 23)),
    minute=st.integers(0, 59), second=st.one_of(st.none(), st.integers(0, 59)),
    offset=st.one_of(st.none(), st.just(("Z", 0, 0, True)), st.just(("+", 1, 0, True)), st.just(("-", 14, 0, True))),
    style=st.sampled_from(["iso", "iso-space", "dmy"]),
)
#: Text no reader should take for a date (or, if one does, only as the same instant's text).
JUNK = st.one_of(
    st.text(max_size=24),
    st.sampled_from(["igår", "2026-03-01 kl 25", "29/02/2025", "2026-W09", "1e400", "NaN", "-1", "0",
                     "2026-03-01T18:30:00+01:00junk", "٢٠٢٦-٠٣-٠١", "2026-03-01\n", "'=1+1", "00/00/0000"]),
)
#: One cell: a plausible, out-of-range or hostile moment (with its expected instant), or junk.
CELL = st.one_of(PLAUSIBLE.map(lambda m: ("moment", m)), PLAUSIBLE.map(lambda m: ("moment", m)),
                 OUT_OF_RANGE.map(lambda m: ("moment", m)), MOMENTS.map(lambda m: ("moment", m)),
                 JUNK.map(lambda t: ("junk", t)))


def cell_text(cell, fmt: str) -> str:
    kind, value = cell
    if kind == "junk":
        return value
    return value.feed_text() if fmt == "polisen" else value.text()


def cell_expectation(cell, fmt: str):
    """'junk', or the expected instant (None: must be rejected)."""
    kind, value = cell
    if kind == "junk":
        return "junk"
    if fmt == "polisen":
        return expected_instant(value, feed=True)
    return expected_instant(value)


# -- writing one table in each format ------------------------------------------------------------

_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_table(fmt: str, path: Path, dates: list, notes: list[str]) -> None:
    """Rows of (date text, comment) at Skillingaryd, category belysning, in format `fmt`."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
        writer.writerow(["datum", "kategori", "kommentar", "lat", "lon"])
        for date, note in zip(dates, notes, strict=True):
            writer.writerow([date, "belysning", note, LAT, LON])
        path.write_text(buffer.getvalue(), encoding="utf-8")
    elif fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["datum", "kategori", "kommentar", "lat", "lon"])
        for date, note in zip(dates, notes, strict=True):
            cell = _XLSX_ILLEGAL.sub("", date) if isinstance(date, str) else date
            sheet.append([cell, "belysning", note, LAT, LON])
        book.save(path)
    elif fmt == "geojson":
        features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [LON, LAT]},
                     "properties": {"datum": date, "kategori": "belysning", "kommentar": note}}
                    for date, note in zip(dates, notes, strict=True)]
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    elif fmt in ("gpkg", "shp.zip"):
        frame = gpd.GeoDataFrame(
            {"datum": [d.replace("\x00", "") for d in dates], "kategori": ["belysning"] * len(dates),
             "kommentar": notes},
            geometry=gpd.points_from_xy([X] * len(dates), [Y] * len(dates)), crs="EPSG:3006")
        if fmt == "gpkg":
            frame.to_file(path, layer="rapporter", driver="GPKG")
        else:
            shp_dir = path.with_suffix("")
            shp_dir.mkdir(exist_ok=True)
            frame.to_file(shp_dir / "rapporter.shp", encoding="UTF-8")
            with zipfile.ZipFile(path, "w") as zf:
                for part in shp_dir.iterdir():
                    zf.write(part, part.name)
    elif fmt == "polisen":
        events = [{"id": int(note.split("-")[-1]) if note.split("-")[-1].isdigit() else note,
                   "datetime": date, "name": "Narkotikabrott, Vaggeryd", "summary": f"Beslag {note}.",
                   "url": "/x", "type": "Narkotikabrott", "location": {"name": "Vaggeryd", "gps": "57.5,14.1"}}
                  for date, note in zip(dates, notes, strict=True)]
        path.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    else:
        raise AssertionError(fmt)


def file_name(fmt: str, stem: str) -> str:
    return f"{stem}.json" if fmt == "polisen" else f"{stem}.{fmt.replace('shp.', '')}" if fmt == "shp.zip" \
        else f"{stem}.{fmt}"


def run(path: Path, store, fmt: str, dry_run: bool):
    """run_import, asserting that only a user error escapes (returned as the outcome)."""
    try:
        return run_import(path, store, fmt="polisen" if fmt == "polisen" else "auto", dry_run=dry_run,
                          progress=False)
    except USER_ERRORS as exc:
        text = str(exc)
        assert text and "\n" not in text and len(text) < 2000, text[:300]
        return exc


def check_accounting(result, rows: int | None = None) -> None:
    assert result.accounted() == result.total
    if rows is not None:
        assert result.total == rows
    numbers = [r.row for r in result.rejected]
    assert len(numbers) == len(set(numbers))
    for rejection in result.rejected:
        assert rejection.reason and "\n" not in rejection.reason and len(rejection.reason) < 1200


def stored_instant(text: str) -> dt.datetime:
    """A stored time parsed back (Python, not pandas); its offset must be Sweden's at that instant."""
    assert STORED_TIME.match(text), text
    instant = dt.datetime.fromisoformat(text)
    assert instant.utcoffset() == instant.astimezone(STOCKHOLM).utcoffset(), text
    return instant.astimezone(dt.UTC)


def frame_times(prepared, fmt: str) -> dict[int, tuple[str, str]]:
    """Row number -> (occurred_at, reported_at) of the accepted rows."""
    frame = prepared.frame
    return {int(r): (o, p) for r, o, p in zip(frame.index, frame["occurred_at"], frame["reported_at"], strict=True)}


# -- property: random times through every reader ---------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=25, **SETTINGS)
@given(cells=st.lists(CELL, min_size=1, max_size=6), as_cells=st.booleans())
def test_times_through_every_reader(fmt, cells, as_cells, stores, workdir):
    """Each generated time is stored as the same instant or rejected; junk never crashes."""
    store = stores[fmt]
    uid = next(_ids)
    notes = [f"f{uid}-{i}" for i in range(len(cells))] if fmt != "polisen" else \
        [f"{uid * 10 + i}" for i in range(len(cells))]
    dates: list = [cell_text(c, fmt) for c in cells]
    expect = [cell_expectation(c, fmt) for c in cells]
    if fmt == "xlsx" and as_cells:
        # Excel cells holding a datetime (years 1900-9999 as Excel and openpyxl can hold them).
        for i, (kind, m) in enumerate(cells):
            if kind == "moment":
                try:
                    dates[i] = dt.datetime(m.year, m.month, m.day, m.hour or 0, m.minute, m.second or 0)
                except ValueError:
                    continue
                if m.year < 1900:
                    dates[i] = m.text()
                    continue
                expect[i] = expected_instant(Moment(m.year, m.month, m.day, m.hour or 0, m.minute,
                                                    m.second or 0, None, "iso"))
    if fmt == "xlsx":
        dates = [_XLSX_ILLEGAL.sub("", d) if isinstance(d, str) else d for d in dates]
    if fmt in ("gpkg", "shp.zip"):
        # GDAL writes C strings: nothing after a NUL survives, so the source text is what precedes it.
        dates = [d.split("\x00")[0] for d in dates]
    path = workdir / file_name(fmt, f"t{uid}")
    write_table(fmt, path, dates, notes)
    before = digest(store.path)
    dry = run(path, store, fmt, dry_run=True)
    assert digest(store.path) == before
    real = run(path, store, fmt, dry_run=False)
    if isinstance(dry, Exception) or isinstance(real, Exception):
        # A whole-file refusal: only for junk (say a GeoJSON that GDAL cannot read); never stored.
        assert type(dry) is type(real), (dry, real)
        assert "junk" in expect or fmt == "polisen", str(dry)
        assert digest(store.path) == before
        return
    for outcome in (dry, real):
        check_accounting(outcome[0], len(cells))
    (_, dry_prepared), (result, prepared) = dry, real
    if result.stored == 0:
        assert digest(store.path) == before
    accepted = frame_times(prepared, fmt)
    assert accepted == frame_times(dry_prepared, fmt)
    rejected = {r.row: r.reason for r in result.rejected}
    key = "id" if fmt == "polisen" else "description"
    stored = store.reports()
    mine = {}
    for row, note in enumerate(notes, start=1):
        wanted = f"polisen-{note}" if fmt == "polisen" else note
        hit = stored[stored[key] == wanted]
        if len(hit):
            mine[row] = (hit["occurred_at"].iloc[0], hit["reported_at"].iloc[0])
    assert set(mine) == set(accepted), (mine, accepted)
    for row, (want, text) in enumerate(zip(expect, dates, strict=True), start=1):
        if row in mine:
            occurred, reported = (stored_instant(t) for t in mine[row])
            assert mine[row] == accepted[row]
            if fmt == "polisen":
                assert occurred == reported
            if want == "junk" or near_now(want):
                assert EARLIEST <= occurred < dt.datetime.now(dt.UTC) + dt.timedelta(hours=1, minutes=1)
                continue
            assert want is not None, f"row {row}: {text!r} stored as {mine[row][0]} but must be rejected"
            assert occurred == want.replace(microsecond=0), (text, mine[row][0], want)
        else:
            assert row in rejected, (row, text)
            if want not in ("junk", None) and not near_now(want):
                raise AssertionError(f"row {row}: {text!r} rejected ({rejected[row]}) but means {want}")


# -- property: random bytes as files of each format -------------------------------------------------


def _seed_files(workdir: Path) -> dict[str, bytes]:
    """One small valid file per format, as bytes to mutate."""
    seeds = {}
    for fmt in FORMATS:
        path = workdir / file_name(fmt, f"seed-{fmt.replace('.', '-')}")
        write_table(fmt, path, ["2026-03-01 18:30", "2026-03-02T07:45:00+01:00"], ["900001", "900002"])
        seeds[fmt] = path.read_bytes()
    return seeds


@pytest.fixture(scope="module")
def seeds(workdir):
    return _seed_files(workdir)


@settings(max_examples=150, **SETTINGS)
@given(fmt=st.sampled_from(FORMATS), raw=st.binary(max_size=3000), mutate=st.booleans(),
       flips=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6),
       cut=st.one_of(st.none(), st.integers(0, 1 << 20)))
def test_random_bytes_in_every_format(fmt, raw, mutate, flips, cut, seeds, stores, workdir):
    """Random bytes, or a valid file with bytes changed or cut off: a clean refusal or an import
    that accounts for every row; the data file is unchanged unless something was stored."""
    data = bytearray(seeds[fmt]) if mutate else bytearray(raw)
    for pos, byte in flips:
        if data:
            data[pos % len(data)] = byte
    if cut is not None and data:
        data = data[: cut % (len(data) + 1)]
    path = workdir / file_name(fmt, f"b{next(_ids)}")
    path.write_bytes(bytes(data))
    store = stores[fmt]
    before = digest(store.path)
    dry = run(path, store, fmt, dry_run=True)
    assert digest(store.path) == before
    if not isinstance(dry, Exception):
        check_accounting(dry[0])
    real = run(path, store, fmt, dry_run=False)
    if isinstance(real, Exception) or real[0].stored == 0:
        assert digest(store.path) == before
    if not isinstance(real, Exception):
        check_accounting(real[0])
        for _, row in store.reports().iterrows():
            stored_instant(row["occurred_at"])


# -- the hostile corpus -----------------------------------------------------------------------------

GOOD_CSV = ("datum;kategori;kommentar;lat;lon\n"
            "2026-03-01 18:30;belysning;Mörkt vid stationen;57,428425;14,090713\n"
            "2026-03-02 07:45;buskörning;Mopeder på cykelbanan;57,498204;14,145410\n")
PAYLOADS = ['=HYPERLINK("http://example.com","klick")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1"]


def _csv(rows: list[list], header=("datum", "kategori", "kommentar", "lat", "lon"), delimiter=";") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _row(date="2026-03-01 18:30", category="belysning", note="Mörkt", lat="57,428425", lon="14,090713"):
    return [date, category, note, lat, lon]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def _xlsx_parts(seed: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(seed)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _gpkg_with_times(path: Path, values: list[str]) -> None:
    """A GeoPackage with a DATETIME column holding exactly `values` (as another GIS might)."""
    import sqlite3

    import pandas as pd

    frame = gpd.GeoDataFrame(
        {"datum": pd.to_datetime(["2026-03-01 18:30"] * len(values)).tz_localize("Europe/Stockholm"),
         "kategori": "belysning", "kommentar": [f"g{i}" for i in range(len(values))]},
        geometry=gpd.points_from_xy([X] * len(values), [Y] * len(values)), crs="EPSG:3006")
    frame.to_file(path, layer="rapporter", driver="GPKG", SPATIAL_INDEX="NO")
    conn = sqlite3.connect(path)
    for fid, value in enumerate(values, start=1):
        conn.execute("UPDATE rapporter SET datum = ? WHERE fid = ?", (value, fid))
    conn.commit()
    conn.close()


def hostile_corpus(workdir: Path, seeds: dict[str, bytes]) -> list[tuple[str, Path, str]]:
    """A few hundred hostile files, the same every run: (family, path, format for run_import)."""
    rng = random.Random(10)
    out: list[tuple[str, Path, str]] = []
    folder = workdir / "corpus"
    folder.mkdir(exist_ok=True)

    def add(family: str, name: str, data: bytes | str, fmt: str = "auto") -> None:
        path = folder / f"{len(out):03d}-{name}"
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        out.append((family, path, fmt))

    shp_zip = seeds["shp.zip"]
    for i, cut in enumerate(sorted({0, 1, 4, 22, 30, 100, len(shp_zip) // 3, len(shp_zip) // 2, len(shp_zip) - 22,
                                    len(shp_zip) - 1} | {rng.randrange(len(shp_zip)) for _ in range(10)})):
        add("truncated zip", f"cut{i}.zip", shp_zip[:cut])
    for i in range(10):
        data = bytearray(shp_zip)
        for _ in range(1 + i):
            data[rng.randrange(30, len(data) - 30)] = rng.randrange(256)
        add("corrupt zip member", f"flip{i}.zip", bytes(data))
    with zipfile.ZipFile(io.BytesIO(shp_zip)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    shp_only = {n: b for n, b in parts.items() if n.endswith(".shp")}
    for name, content in {
        "empty": {}, "no-shp": {"readme.txt": b"hej"}, "shp-only": shp_only,
        "two-shp": {**parts, **{n.replace("rapporter", "andra"): b for n, b in parts.items()}},
        "traversal": {"../../evil.shp": shp_only["rapporter.shp"]}, "nested": {"inner.zip": shp_zip},
        "junk-shp": {"rapporter.shp": b"\x00" * 100, "rapporter.dbf": b"junk", "rapporter.shx": b"x"},
        "long-name": {"x" * 200 + ".shp": shp_only["rapporter.shp"]},
    }.items():
        add("odd zip members", f"{name}.zip", _zip(content))

    text = GOOD_CSV
    for enc in ("utf-16-le", "utf-16-be", "utf-32", "cp1252", "latin-1", "mac-roman", "cp437", "shift_jis",
                "cp500", "utf-7", "euc-kr"):
        add("wrong encoding", f"{enc}.csv", text.encode(enc, errors="replace"))
    add("wrong encoding", "utf16-bom-odd.csv", text.encode("utf-16")[:-1])
    add("wrong encoding", "utf8-broken.csv", text.encode("utf-8").replace("ö".encode(), b"\xc3"))
    add("wrong encoding", "bom-cp1252.csv", b"\xef\xbb\xbf" + text.encode("cp1252"))
    add("wrong encoding", "double-bom.csv", b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode("utf-8"))
    add("wrong encoding", "mixed.csv", GOOD_CSV.splitlines()[0].encode() + b"\n"
        + GOOD_CSV.splitlines()[1].encode("utf-8") + b"\n" + GOOD_CSV.splitlines()[2].encode("cp1252") + b"\n")

    big = "x" * (1 << 20)
    add("huge cell", "description-100k.csv", _csv([_row(note="y" * 100_000)]))
    add("huge cell", "description-1m.csv", _csv([_row(note=big), _row()]))
    add("huge cell", "date-1m.csv", _csv([_row(date="2026-03-01" + big), _row()]))
    add("huge cell", "date-digits.csv", _csv([_row(date="9" * 100_000), _row()]))
    add("huge cell", "category-1m.csv", _csv([_row(category=big), _row()]))
    add("huge cell", "coordinate-1m.csv", _csv([_row(lat="5" * 1_000_000), _row()]))
    add("huge cell", "header-1m.csv", _csv([_row()], header=("datum", "kategori", big, "lat", "lon")))
    add("huge cell", "10000-columns.csv", _csv([_row() + ["z"] * 9995],
                                               header=("datum", "kategori", "kommentar", "lat", "lon",
                                                       *[f"c{i}" for i in range(9995)])))
    add("huge cell", "xlsx-1m-cell.xlsx", _xlsx_with([["datum", "kategori", "kommentar", "lat", "lon"],
                                                      ["2026-03-01", "belysning", "z" * 32000, LAT, LON]]))
    add("huge cell", "geojson-1m-property.geojson", _geojson([{"datum": "2026-03-01", "kategori": "belysning",
                                                               "kommentar": big}]))

    add("1 MB single line", "letters.csv", "a" * (1 << 20))
    add("1 MB single line", "semicolons.csv", ";" * (1 << 20))
    add("1 MB single line", "open-quote.csv", '"' + "b" * (1 << 20))
    add("1 MB single line", "printable.csv", "".join(rng.choice("abc;,\t 0123456789-:/") for _ in range(1 << 20)))
    add("1 MB single line", "one-line.geojson", "[" * 1 + " " * (1 << 20) + "]")

    for payload in PAYLOADS:
        for column in range(5):
            row = _row()
            row[column] = payload
            add("formula injection", f"formula-{PAYLOADS.index(payload)}-{column}.csv", _csv([row, _row()]))

    add("NUL bytes", "nul-cells.csv", GOOD_CSV.replace("Mörkt", "Mö\x00rkt").replace("2026-03-02", "2026-\x0003-02"))
    add("NUL bytes", "nul-header.csv", GOOD_CSV.replace("datum", "da\x00tum"))
    add("NUL bytes", "nul-everywhere.csv", "\x00".join(GOOD_CSV))
    for ext in ("csv", "xlsx", "geojson", "gpkg", "zip", "json"):
        add("NUL bytes", f"all-nul.{ext}", b"\x00" * 4096, "polisen" if ext == "json" else "auto")
    add("NUL bytes", "nul-geojson-string.geojson", _geojson([{"datum": "2026-03-01\u0000", "kategori": "belysning",
                                                              "kommentar": "a\u0000b"}]))
    add("NUL bytes", "nul-polisen.json", json.dumps([_event(1, datetime="2026-03-01 12:00:00 +01:00\u0000")]),
        "polisen")

    add("column count", "more-fields.csv", _csv([_row() + ["extra", "more"], _row()]))
    add("column count", "fewer-fields.csv", _csv([_row()[:2], _row()]))
    add("column count", "one-field.csv", _csv([["2026-03-01"], _row()]))
    add("column count", "header-only.csv", _csv([]))
    add("column count", "duplicate-headers.csv", _csv([_row()], header=("datum", "datum", "kommentar", "lat", "lat")))
    add("column count", "empty-headers.csv", _csv([_row()], header=("", "", "", "", "")))
    add("column count", "ragged.csv", _csv([_row()[: rng.randrange(0, 8)] + ["r"] * rng.randrange(0, 3)
                                            for _ in range(30)]))
    add("column count", "1000-fields-row.csv", _csv([_row() + [str(i) for i in range(1000)]]))
    add("column count", "blank-rows.csv", _csv([[], ["", "", "", "", ""], _row(), [" "]]))
    add("column count", "comma-in-semicolon.csv", GOOD_CSV.replace(";", ","))

    xlsx = _xlsx_parts(seeds["xlsx"])
    sheet = xlsx["xl/worksheets/sheet1.xml"]
    for i, cut in enumerate((0, 10, len(sheet) // 4, len(sheet) // 2, len(sheet) - 10)):
        add("broken xlsx", f"sheet-cut{i}.xlsx", _zip({**xlsx, "xl/worksheets/sheet1.xml": sheet[:cut]}))
    for name, change in {
        "garbage-tag": sheet.replace(b"<sheetData>", b"<sheetData><<<>>>"),
        "bad-type": sheet.replace(b't="inlineStr"', b't="x"').replace(b't="s"', b't="x"'),
        "text-as-number": re.sub(rb"<c r=\"A2\"[^>]*>.*?</c>", b'<c r="A2" t="n"><v>abc</v></c>', sheet, count=1),
        "huge-serial": re.sub(rb"<c r=\"A2\"[^>]*>.*?</c>", b'<c r="A2" s="1"><v>1e300</v></c>', sheet, count=1),
        "bad-ref": sheet.replace(b'r="A2"', b'r="ZZZZZZ0"'),
        "dimension": re.sub(rb"<dimension ref=\"[^\"]*\"", b'<dimension ref="A1:XFD1048576"', sheet),
        "entities": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
                    b'&a;&a;&a;&a;&a;">]>' + sheet.split(b"?>", 1)[-1].replace(b"belysning", b"&b;"),
        "not-xml": b"\x00\x01\x02 not xml",
    }.items():
        add("broken xlsx", f"{name}.xlsx", _zip({**xlsx, "xl/worksheets/sheet1.xml": change}))
    for missing in ("xl/workbook.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                    "xl/worksheets/sheet1.xml"):
        add("broken xlsx", f"without-{missing.replace('/', '_')}.xlsx",
            _zip({n: b for n, b in xlsx.items() if n != missing}))
    add("broken xlsx", "styles-garbage.xlsx", _zip({**xlsx, "xl/styles.xml": b"<styleSheet><<"}))
    add("broken xlsx", "workbook-garbage.xlsx", _zip({**xlsx, "xl/workbook.xml": b"<workbook"}))

    for fmt, ext in (("auto", "csv"), ("auto", "xlsx"), ("auto", "geojson"), ("auto", "gpkg"), ("auto", "zip"),
                     ("polisen", "json")):
        for size in (0, 1, 7, 64, 512, 4096, 20000, 1 << 16, 200, 3000):
            add("random bytes", f"random-{size}.{ext}", rng.randbytes(size), fmt)

    point = {"type": "Point", "coordinates": [LON, LAT]}
    props = {"datum": "2026-03-01 18:30", "kategori": "belysning", "kommentar": "g"}
    add("hostile geojson", "deep.geojson", "[" * 100_000 + "]" * 100_000)
    for name, geometry in {
        "line": {"type": "LineString", "coordinates": [[LON, LAT], [LON + 0.01, LAT]]},
        "polygon": {"type": "Polygon", "coordinates": [[[LON, LAT], [LON + 0.01, LAT], [LON, LAT + 0.01],
                                                        [LON, LAT]]]},
        "multipoint-2": {"type": "MultiPoint", "coordinates": [[LON, LAT], [LON, LAT]]},
        "collection": {"type": "GeometryCollection", "geometries": [point]},
        "huge-coordinates": {"type": "Point", "coordinates": [1e308, -1e308]},
        "string-coordinates": {"type": "Point", "coordinates": ["14,09", "57,43"]},
        "null": None, "3d": {"type": "Point", "coordinates": [LON, LAT, 100, 5]},
        "empty-point": {"type": "Point", "coordinates": []},
    }.items():
        add("hostile geojson", f"{name}.geojson", json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": geometry, "properties": props},
            {"type": "Feature", "geometry": point, "properties": props}]}))
    add("hostile geojson", "nan.geojson", '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"geometry":{"type":"Point","coordinates":[NaN, Infinity]},"properties":{}}]}')
    add("hostile geojson", "array-properties.geojson", _geojson([{"datum": ["2026-03-01"], "kategori": {"a": 1},
                                                                  "kommentar": [1, 2]}]))
    add("hostile geojson", "bogus-crs.geojson", json.dumps({"type": "FeatureCollection", "crs": {
        "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::999999"}}, "features": [
        {"type": "Feature", "geometry": point, "properties": props}]}))
    add("hostile geojson", "features-not-list.geojson", '{"type":"FeatureCollection","features":{"a":1}}')
    add("hostile geojson", "empty-collection.geojson", '{"type":"FeatureCollection","features":[]}')
    add("hostile geojson", "top-level-array.geojson", json.dumps([{"type": "Feature", "geometry": point}]))
    add("hostile geojson", "dates.geojson", _geojson([{"datum": d, "kategori": "belysning", "kommentar": d}
                                                      for d in ("3000-01-01", "0001-01-01T00:00:00Z",
                                                                "2026-03-01T18:30:00+99:99", "2026-03-01")]))

    gpkg = folder / "valid.gpkg"
    gpkg.write_bytes(seeds["gpkg"])
    add("hostile gpkg", "not-sqlite.gpkg", b"SQLite format 3\x00" + rng.randbytes(4000))
    add("hostile gpkg", "half.gpkg", seeds["gpkg"][: len(seeds["gpkg"]) // 2])
    add("hostile gpkg", "head.gpkg", seeds["gpkg"][:100])
    for name, values in {
        "datetime-junk": ["3000-01-01T00:00:00Z", "2026-03-01T18:30:00+99:99", "junk", "0001-01-01T00:00:00.000Z",
                          "2026-03-01T18:30:00.000+01:00", "2026-03-01T18:30:00Z"],
        "datetime-ok": ["2026-03-01T18:30:00+01:00", "2026-07-01T12:00:00Z"],
    }.items():
        path = folder / f"{len(out):03d}-{name}.gpkg"
        _gpkg_with_times(path, values)
        out.append(("hostile gpkg", path, "auto"))
    two = folder / f"{len(out):03d}-two-layers.gpkg"
    two.write_bytes(seeds["gpkg"])
    gpd.read_file(two).to_file(two, layer="andra", driver="GPKG")
    out.append(("hostile gpkg", two, "auto"))
    empty = folder / f"{len(out):03d}-empty-layer.gpkg"
    gpd.read_file(gpkg).iloc[:0].to_file(empty, layer="rapporter", driver="GPKG")
    out.append(("hostile gpkg", empty, "auto"))
    polys = folder / f"{len(out):03d}-polygons.gpkg"
    frame = gpd.read_file(gpkg)
    frame.geometry = frame.geometry.buffer(10)
    frame.to_file(polys, layer="rapporter", driver="GPKG")
    out.append(("hostile gpkg", polys, "auto"))

    add("hostile polisen", "deep.json", "[" * 100_000 + "]" * 100_000, "polisen")
    add("hostile polisen", "huge-int.json", "[{\"id\": " + "9" * 5000 + "}]", "polisen")
    add("hostile polisen", "not-list.json", '{"events": {"a": 1}}', "polisen")
    add("hostile polisen", "scalars.json", json.dumps(["x", None, 1, [], {}]), "polisen")
    for name, change in {
        "id-float": {"id": 1.5}, "id-negative": {"id": -5}, "id-list": {"id": [1]},
        "datetime-int": {"datetime": 20260301}, "datetime-list": {"datetime": ["2026-03-01"]},
        "datetime-null": {"datetime": None}, "year-3000": {"datetime": "3000-01-01 12:00:00 +01:00"},
        "year-0001": {"datetime": "0001-01-01 12:00:00 +01:00"}, "offset-9999": {"datetime": "2026-03-01 12:00:00 +99:99"},
        "offset-1400": {"datetime": "2026-03-01 12:00:00 +14:00"}, "hour-24": {"datetime": "2026-03-01 24:00:00 +01:00"},
        "feb-30": {"datetime": "2026-02-30 12:00:00 +01:00"}, "future": {"datetime": "2099-03-01 12:00:00 +01:00"},
        "name-1m": {"name": "x" * (1 << 20) + ", Vaggeryd"}, "summary-1m": {"summary": "km/h " * 200_000},
        "location-string": {"location": "Vaggeryd"},
    }.items():
        add("hostile polisen", f"{name}.json", json.dumps([{**_event(2), **change}, _event(3)]), "polisen")

    for name, value in {
        "3000-01-01": "3000-01-01", "9999-12-31": "9999-12-31", "0001-01-01": "0001-01-01",
        "1600-01-01": "1600-01-01", "offset-99-99": "2026-03-01T18:30:00+99:99", "2262-04-12": "2262-04-12",
        "1677-09-21": "1677-09-21", "20260-01-01": "20260-01-01", "1989-12-31": "1989-12-31",
        "serial-30000": "30000", "serial-2958465": "2958465", "offset-14": "2026-03-01T18:30:00+14:00",
        "spring-gap": "2026-03-29 02:30", "autumn-repeat": "2026-10-25 02:30", "hour-24": "2026-03-01 24:00",
        "zero-date": "00/00/0000",
    }.items():
        add("out-of-range dates", f"{name}.csv", _csv([_row(date=value, note=name)]))

    for ext, fmt in (("csv", "auto"), ("xlsx", "auto"), ("geojson", "auto"), ("gpkg", "auto"), ("zip", "auto"),
                     ("json", "polisen")):
        add("empty-like", f"empty.{ext}", b"", fmt)
    add("empty-like", "bom-only.csv", b"\xef\xbb\xbf")
    add("empty-like", "newlines.csv", "\n\r\n\r\r")
    add("empty-like", "whitespace.csv", "   \t  \n  ")
    add("empty-like", "empty-list.json", "[]", "polisen")
    return out


def _xlsx_with(rows: list[list]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _geojson(properties: list[dict]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [LON, LAT]}, "properties": p}
        for p in properties]})


def _event(number: int, **change) -> dict:
    event = {"id": 800000 + number, "datetime": "2026-03-01 12:00:00 +01:00", "name": "Narkotikabrott, Vaggeryd",
             "summary": "Beslag i Skillingaryd.", "url": "/a", "type": "Narkotikabrott",
             "location": {"name": "Vaggeryd", "gps": "57.5,14.1"}}
    return event | change


def runs_as_formula(cell: str) -> bool:
    """What a spreadsheet would run: =, @, a leading tab or CR, or + / - before anything but a number."""
    if cell[:1] in ("=", "@", "\t", "\r"):
        return True
    return cell[:1] in ("+", "-") and re.fullmatch(r"[+-]\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?", cell) is None


def outcome_of(result) -> str:
    """What became of a file; rows already in the store (duplicates) count as imported."""
    if isinstance(result, Exception):
        return "file refused"
    result = result[0]
    accepted = result.stored + result.duplicate
    if accepted and result.rejected:
        return "imported + rows rejected"
    if accepted:
        return "imported"
    if result.rejected:
        return "rows rejected"
    return "no rows"


#: Outcomes the corpus must give for some files (whatever else it holds may go either way).
EXPECTED = {
    "3000-01-01.csv": ("rows rejected", "'3000-01-01' is in the future"),
    "9999-12-31.csv": ("rows rejected", "'9999-12-31' is in the future"),
    "0001-01-01.csv": ("rows rejected", "'0001-01-01' is before 1990-01-01"),
    "1600-01-01.csv": ("rows rejected", "'1600-01-01' is before 1990-01-01"),
    "offset-99-99.csv": ("rows rejected", "impossible UTC offset '+99:99'"),
    "2262-04-12.csv": ("rows rejected", "is in the future"),
    "1677-09-21.csv": ("rows rejected", "is before 1990-01-01"),
    "1989-12-31.csv": ("rows rejected", "'1989-12-31' is before 1990-01-01"),
    "serial-30000.csv": ("rows rejected", "'30000' is before 1990-01-01"),
    "offset-14.csv": ("imported", ""),
    "spring-gap.csv": ("rows rejected", "does not exist in Swedish time"),
    "autumn-repeat.csv": ("imported", ""),
    "year-3000.json": ("imported + rows rejected", "datetime '3000-01-01 12:00:00 +01:00' is in the future"),
    "offset-9999.json": ("imported + rows rejected", "impossible UTC offset '+99:99'"),
    "huge-int.json": ("file refused", ""),
    "deep.json": ("file refused", ""),
    "description-1m.csv": ("imported + rows rejected", "is longer than 4000 characters"),
    "date-1m.csv": ("imported + rows rejected", "…"),
    "datetime-junk.gpkg": ("imported + rows rejected", "impossible UTC offset '+99:99'"),
    "truncated zip": ("file refused", ""),
}


def test_hostile_corpus(workdir, seeds, tmp_path, capsys):
    """A few hundred hostile files: each a clean refusal (one line) or an import that accounts for
    every row, never a traceback; on refusal or when nothing is stored the data file is unchanged;
    a formula in a cell never reaches the rejected file unguarded."""
    store = GeoPackageStore.create(tmp_path / "corpus.gpkg", kommun="0665")
    corpus = hostile_corpus(workdir, seeds)
    assert len(corpus) >= 250
    table: Counter = Counter()
    for family, path, fmt in corpus:
        before = digest(store.path)
        result = run(path, store, fmt, dry_run=False)
        outcome = outcome_of(result)
        table[(family, outcome)] += 1
        if isinstance(result, Exception) or result[0].stored == 0:
            assert digest(store.path) == before, path.name
        rejected_file = path.with_name(path.name + ".rejected.csv")
        if not isinstance(result, Exception):
            check_accounting(result[0])
            assert rejected_file.exists() == bool(result[0].rejected), path.name
            if rejected_file.exists():
                with open(rejected_file, encoding="utf-8-sig", newline="") as f:
                    for row in itertools.islice(csv.reader(f, delimiter=";"), 1, None):
                        assert not any(runs_as_formula(cell) for cell in row[2:]), row
        else:
            assert not rejected_file.exists(), path.name
        stem = path.name.split("-", 1)[1]
        want = EXPECTED.get(stem) or EXPECTED.get(family)
        if want:
            reasons = " | ".join(r.reason for r in result[0].rejected) if not isinstance(result, Exception) else ""
            assert outcome == want[0], (path.name, outcome, reasons or str(result))
            assert want[1] in reasons, (path.name, reasons)
    for _, row in store.reports().iterrows():
        stored_instant(row["occurred_at"])
        stored_instant(row["reported_at"])
    # A formula in the comment column is stored as the same text (the export guards it on the way out).
    assert {p.strip() for p in PAYLOADS} <= set(store.reports()["description"])
    families = sorted({f for f, _ in table})
    outcomes = ["imported", "imported + rows rejected", "rows rejected", "no rows", "file refused"]
    lines = [f"{'family':<22}" + "".join(f"{o:>26}" for o in outcomes) + f"{'files':>8}"]
    for family in families:
        counts = [table[(family, o)] for o in outcomes]
        lines.append(f"{family:<22}" + "".join(f"{c:>26}" for c in counts) + f"{sum(counts):>8}")
    lines.append(f"{'all':<22}" + "".join(f"{sum(table[(f, o)] for f in families):>26}" for o in outcomes)
                 + f"{sum(table.values()):>8}")
    with capsys.disabled():
        print("\nhostile corpus: files x outcome\n" + "\n".join(lines))
