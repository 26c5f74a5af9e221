"""The shared data model: report and activity columns, vocabularies and vectorised validation.

Times are checked here with explicit bounds before anything converts them (`TimeSpan`,
`wall_times`, `offset_minutes`, `parse_iso`): pandas keeps nanoseconds from 1677-09-21 to
2262-04-11 and wraps silently outside, so a year typo (3000 for 2000) would otherwise become
another, plausible-looking date. The importer, the police feed, the in-app form and the store's
own validation all use these, so a time is either what the source said or refused.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .text import shorten

#: 2: privacy settings and releases in the data file (layers.release_store), a per-file order secret;
#: 3: every GeoPackage attribute table with an INTEGER PRIMARY KEY;
#: 4: sessions, failed-login counters and the cookie key shared by every server process
#: (layers.server_state); 5: promises in the file; 6: moderation, contacts, photos and walks
#: (layers.intake_schema). layers.migrations upgrades step by step.
SCHEMA_VERSION = 6

REPORT_COLUMNS = (
    "id", "layer", "focus_area", "occurred_at", "reported_at", "category",
    "description", "source", "status", "geometry",
)
ACTIVITY_COLUMNS = (
    "id", "focus_area", "actor", "kind", "planned_at", "done_at", "status",
    "duration_min", "description", "geometry",
)

SOURCES = ("medborgare", "polis", "kommun", "sociala_medier", "medborgardialog", "import", "demo", "est",
           "trygghetsvandring")
REPORT_STATUSES = ("ny", "bekräftad", "åtgärdad", "avvisad")
ACTIVITY_STATUSES = ("planerad", "genomförd", "inställd")
ACTORS = ("polis", "kommun", "gemensam")

# ASCII digits only: what the store holds must read the same everywhere.
_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})T(?P<H>\d{2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?(?P<tz>Z|[+-]\d{2}:\d{2})$",
    re.ASCII,
)
#: Longest free text we accept; longer is almost always a paste accident.
MAX_DESCRIPTION = 4000

#: Times without an offset are Swedish local time; the plausible range's days are Swedish days.
LOCAL_TZ = "Europe/Stockholm"
#: No report or activity is older than this: an earlier date is a typo in the year.
EARLIEST_DAY = dt.date(1990, 1, 1)
#: No plan reaches beyond this, whatever the promise period says.
LATEST_PLAN_DAY = dt.date(2100, 12, 31)
#: Years that may be converted at all: well inside pandas' nanosecond range, so no bound, offset
#: or time zone can push a checked time over its edge.
SAFE_YEARS = (1700, 2200)
#: UTC offsets in use run from -12:00 to +14:00; any offset up to ±14:00 is accepted.
MAX_OFFSET_MIN = 14 * 60
#: The store accepts times up to a day ahead: clocks differ, and the demo ends at the end of its day.
STORE_FUTURE_GRACE = pd.Timedelta(days=1)


@dataclass(frozen=True)
class RecordError:
    """One problem with one field of one record."""

    row: object
    field: str
    value: object
    reason: str

    def __str__(self) -> str:
        # A pasted megabyte or a huge polygon must not become a megabyte message.
        shown = repr(shorten(self.value)) if isinstance(self.value, str) else shorten(repr(self.value))
        return f"row {self.row}: {self.field}={shown}: {self.reason}"


class ValidationError(ValueError):
    """Records failed validation; nothing was stored. `errors` lists every problem."""

    def __init__(self, errors: list[RecordError], what: str = "records"):
        # In input order, so the first message is about the first bad row.
        self.errors = sorted(errors, key=_row_order)
        shown = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"{len(errors)} invalid {what}, nothing stored: {shown}{more}")


def _row_order(error: RecordError):
    row = error.row
    if isinstance(row, (int, np.integer)):
        return (0, int(row), "")
    return (1, 0, str(row))


def stable_id(prefix: str, *parts: object) -> str:
    """A short id derived from content, so the same source row always gets the same id."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}-{digest}"


# -- bounded times ------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeSpan:
    """The plausible instants of one time field: start <= t < end (timezone-aware)."""

    start: pd.Timestamp
    end: pd.Timestamp
    #: The end is "now": a later time is in the future (its own message), not a year typo.
    until_now: bool = False

    def __post_init__(self):
        lo, hi = self.years
        if self.start.tzinfo is None or self.end.tzinfo is None or lo < SAFE_YEARS[0] or hi > SAFE_YEARS[1]:
            raise ValueError(f"time span {self.start}..{self.end} must be aware and within {SAFE_YEARS}")

    @property
    def years(self) -> tuple[int, int]:
        """The years worth converting: one more either side, as an offset can cross New Year."""
        return self.start.year - 1, self.end.year + 1

    @property
    def first_day(self) -> dt.date:
        return self.start.tz_convert(LOCAL_TZ).date()

    @property
    def last_day(self) -> dt.date:
        return (self.end - pd.Timedelta(microseconds=1)).tz_convert(LOCAL_TZ).date()

    def problems(self, utc: pd.Series) -> np.ndarray:
        """Per instant: "" inside (or NaT), "early", "late" or, for a span up to now, "future"."""
        stamps = pd.DatetimeIndex(utc)
        out = np.full(len(stamps), "", dtype=object)
        known = ~stamps.isna()
        out[known & (stamps < self.start)] = "early"
        out[known & (stamps >= self.end)] = "future" if self.until_now else "late"
        return out

    def year_problems(self, years) -> np.ndarray:
        """The same codes from the year alone, for values never converted (outside `years`)."""
        y = np.asarray(years, dtype="float64")
        lo, hi = self.years
        out = np.full(len(y), "", dtype=object)
        out[y < lo] = "early"
        out[y > hi] = "future" if self.until_now else "late"
        return out


def day_start(day: dt.date) -> pd.Timestamp:
    """Midnight Swedish time at the start of `day`, in UTC."""
    return pd.Timestamp(day).tz_localize(LOCAL_TZ).tz_convert("UTC")


def _utc_now(now=None) -> pd.Timestamp:
    stamp = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    return stamp.tz_localize(LOCAL_TZ).tz_convert("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def past_span(now=None, grace: pd.Timedelta | None = None) -> TimeSpan:
    """Things that have happened (reports, done activities): from 1990 up to now (+ grace)."""
    return TimeSpan(day_start(EARLIEST_DAY), _utc_now(now) + (grace or pd.Timedelta(0)), until_now=True)


def one_year_after(day: dt.date) -> dt.date:
    """The same date a year later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def plan_span(period_end: dt.date | None = None) -> TimeSpan:
    """Planned activities: from 1990 to a year after the promise period ends (at most 2100)."""
    last = LATEST_PLAN_DAY
    if period_end is not None and period_end < LATEST_PLAN_DAY:
        last = max(min(one_year_after(period_end), LATEST_PLAN_DAY), EARLIEST_DAY)
    return TimeSpan(day_start(EARLIEST_DAY), day_start(last + dt.timedelta(days=1)))


#: Only what can be converted safely: for parsing outside any plausibility rule.
ANY_TIME = TimeSpan(pd.Timestamp(f"{SAFE_YEARS[0] + 1}-01-01", tz="UTC"),
                    pd.Timestamp(f"{SAFE_YEARS[1] - 1}-01-01", tz="UTC"))


def store_spans(now=None) -> dict[str, TimeSpan]:
    """The store's own bounds per time field (the importer and the form are stricter)."""
    past = past_span(now, STORE_FUTURE_GRACE)
    return {"occurred_at": past, "reported_at": past, "done_at": past, "planned_at": plan_span()}


_OFFSET = re.compile(r"^(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2})$")


def extract(pattern: re.Pattern, values) -> pd.DataFrame:
    """The named groups of `pattern` where it matches a whole value (text only; None elsewhere).

    A plain loop: pandas' str.extract is many times slower on object and Arrow strings, and
    the store validates every time of every import with this.
    """
    names = list(pattern.groupindex)
    if pattern.groups != len(names):
        raise ValueError("extract() needs a pattern whose groups are all named")
    empty = (None,) * len(names)
    rows = []
    for value in values:
        found = pattern.fullmatch(value) if isinstance(value, str) else None
        rows.append(found.groups() if found else empty)
    return pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names, dtype=object)


def as_numbers(values) -> np.ndarray:
    """Digit strings (or numbers) to floats, NaN where missing or not a number."""
    items = np.asarray(values, dtype=object).reshape(-1)
    if not len(items):
        return np.full(0, np.nan)
    try:
        # The quick way (C loops) for what regex groups hold: digits or None.
        return np.where(pd.isna(items), "nan", items).astype(str).astype("float64")
    except (ValueError, TypeError):
        pass
    out = np.full(len(items), np.nan)
    for i, value in enumerate(items):
        if isinstance(value, str | int | float | np.number) and not isinstance(value, bool):
            with contextlib.suppress(ValueError):
                out[i] = float(value)
    return out


def offset_minutes(zones) -> tuple[np.ndarray, np.ndarray]:
    """UTC offsets ("Z", "+01:00", "-0530") in minutes east of UTC, NaN where none is given,
    and a mask of offsets no clock uses (beyond ±14:00, or minutes of 60 or more)."""
    zones = list(zones)
    given = np.array([isinstance(z, str) and z != "" for z in zones], dtype=bool)
    utc = np.array([z == "Z" for z in zones], dtype=bool)
    parts = extract(_OFFSET, zones)
    hours = as_numbers(parts["hh"].to_numpy(dtype=object))
    mins = as_numbers(parts["mm"].to_numpy(dtype=object))
    sign = np.where(parts["sign"].to_numpy(dtype=object) == "-", -1.0, 1.0)
    total = sign * (hours * 60 + mins)
    with np.errstate(invalid="ignore"):
        bad = given & ~utc & (np.isnan(total) | (mins >= 60) | (np.abs(total) > MAX_OFFSET_MIN))
    out = np.where(utc, 0.0, total)
    out[bad | ~given] = np.nan
    return out, bad


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 1, 12).astype(int) - 1]
    return days + ((month == 2) & leap)


def wall_times(parts: pd.DataFrame, years: tuple[int, int] = SAFE_YEARS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Naive datetime64[ns] from columns y, m, d and optional H, M, S, f (fraction digits).

    Only rows whose year lies in `years` are converted (so nothing can overflow). Returns
    (wall times, NaT elsewhere; mask of years outside `years`; mask of dates or clock times
    that do not exist, such as 2026-02-30 or 24:00).
    """
    n = len(parts)

    def number(name: str, default: float) -> np.ndarray:
        if name not in parts:
            return np.full(n, default)
        return as_numbers(parts[name].to_numpy(dtype=object))

    y, m, d = number("y", np.nan), number("m", np.nan), number("d", np.nan)
    hh, mi, ss = (np.nan_to_num(number(k, 0.0)) for k in ("H", "M", "S"))
    frac = parts["f"].to_numpy(dtype=object) if "f" in parts else np.full(n, None, dtype=object)
    micro = np.nan_to_num(as_numbers([(f[:6].ljust(6, "0") if isinstance(f, str) else None) for f in frac]))
    known = ~np.isnan(y)
    outside = known & ((y < years[0]) | (y > years[1]))
    with np.errstate(invalid="ignore"):
        real = known & ~outside & (m >= 1) & (m <= 12) & (d >= 1) & (hh <= 23) & (mi <= 59) & (ss <= 59)
    real &= d <= np.where(real, _days_in_month(np.nan_to_num(y).astype(int), np.nan_to_num(m).astype(int)), 0)
    wall = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if real.any():
        # Calendar arithmetic in numpy (exact, and quick for the one-row calls of the app).
        months = ((y[real] - 1970) * 12 + (m[real] - 1)).astype("int64").astype("timedelta64[M]")
        days = (np.datetime64("1970-01", "M") + months).astype("datetime64[D]")
        days = days + (d[real] - 1).astype("int64").astype("timedelta64[D]")
        seconds = (hh[real] * 3600 + mi[real] * 60 + ss[real]).astype("int64").astype("timedelta64[s]")
        wall[real] = days.astype("datetime64[ns]") + seconds + micro[real].astype("int64").astype("timedelta64[us]")
    unreal = known & ~outside & ~real
    return wall, outside, unreal


def parse_iso(values: pd.Series, span: TimeSpan = ANY_TIME) -> tuple[pd.Series, np.ndarray]:
    """Strict ISO 8601 text with an offset (the store's form) to UTC, bounded by `span`.

    Returns UTC timestamps (NaT where not fine) and a code per value: "" fine, "empty",
    "format", "unreal" (2026-02-30), "offset" (+99:99), "early", "late" or "future".
    """
    items = list(values)
    n = len(items)
    codes = np.full(n, "", dtype=object)
    empty = np.array([v is None or v is pd.NA or v is pd.NaT or (isinstance(v, str) and v == "")
                      or (isinstance(v, float) and np.isnan(v)) for v in items], dtype=bool)
    codes[empty] = "empty"
    parts = extract(_ISO, items)
    matched = parts["y"].notna().to_numpy() & ~empty
    codes[~matched & ~empty] = "format"
    utc = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    if not matched.any():
        return utc, codes
    sub = parts[matched]
    rows = np.flatnonzero(matched)
    wall, outside, unreal = wall_times(sub, span.years)
    offsets, bad_offset = offset_minutes(sub["tz"])
    local = codes[rows]
    local[outside] = span.year_problems(as_numbers(sub["y"].to_numpy(dtype=object)))[outside]
    local[unreal] = "unreal"
    local[bad_offset & (local == "")] = "offset"
    fine = local == ""
    stamps = pd.Series(pd.NaT, index=range(len(rows)), dtype="datetime64[ns, UTC]")
    if fine.any():
        shift = pd.to_timedelta(offsets[fine], unit="m")
        stamps[fine] = (pd.DatetimeIndex(wall[fine]) - shift).tz_localize("UTC")
    range_codes = span.problems(stamps)
    local = np.where(fine, range_codes, local)
    stamps[local != ""] = pd.NaT
    codes[rows] = local
    utc.iloc[rows] = stamps.to_numpy()
    return utc, codes


def is_iso_with_offset(values: pd.Series) -> np.ndarray:
    """Vectorised: text in ISO 8601 with a time zone offset (2026-03-01T18:30:00+01:00)."""
    return extract(_ISO, list(values))["y"].notna().to_numpy(dtype=bool)


def parse_times(values: pd.Series) -> pd.Series:
    """ISO 8601 text with offsets to UTC timestamps (NaT where empty)."""
    text = values.astype("string").replace("", pd.NA)
    return pd.to_datetime(text, format="ISO8601", utc=True)


class _Collector:
    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.errors: list[RecordError] = []

    def flag(self, bad: np.ndarray, field: str, reason: str, values=None) -> None:
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            return
        source = self.frame[field] if values is None else values
        for label, value in zip(self.frame.index[bad], np.asarray(source, dtype=object)[bad],
                                strict=True):
            self.errors.append(RecordError(label, field, value, reason))

    def require_columns(self, columns) -> bool:
        missing = [c for c in columns if c not in self.frame.columns]
        for col in missing:
            self.errors.append(RecordError("-", col, None, "column is missing"))
        return not missing

    def text(self, field: str, allow_empty: bool = False) -> pd.Series:
        col = self.frame[field]
        is_text = col.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        self.flag(~is_text, field, "must be text")
        if not allow_empty:
            empty = is_text & (col.astype("string").str.strip().fillna("") == "").to_numpy()
            self.flag(empty, field, "must not be empty")
        return col

    def one_of(self, field: str, allowed, reason: str | None = None) -> None:
        allowed = tuple(allowed)
        bad = ~self.frame[field].isin(allowed).to_numpy()
        self.flag(bad, field, reason or f"must be one of {', '.join(allowed)}")

    def timestamp(self, field: str, span: TimeSpan, allow_empty: bool = False) -> pd.Series:
        """Check one time column against `span`; the UTC instants (NaT where bad or empty)."""
        col = self.frame[field]
        utc, codes = parse_iso(col, span)
        bad_empty = (codes == "empty") & (not allow_empty)
        self.flag((codes == "format") | bad_empty, field,
                  "must be an ISO 8601 time with offset, e.g. 2026-03-01T18:30:00+01:00")
        self.flag(codes == "unreal", field, "is not a real date and time")
        self.flag(codes == "offset", field, "has an impossible UTC offset (at most ±14:00, minutes below 60)")
        self.flag(codes == "early", field, f"is before {span.first_day}")
        self.flag(codes == "late", field, f"is after {span.last_day}")
        self.flag(codes == "future", field, "is in the future")
        return utc

    def point(self, geometry, inside=None, allow_empty: bool = False) -> None:
        geoms = np.asarray(geometry, dtype=object)
        is_geom = np.array([isinstance(g, shapely.Geometry) for g in geoms], dtype=bool)
        missing = ~is_geom | np.array([g is None for g in geoms], dtype=bool)
        if allow_empty:
            empty = np.zeros(len(geoms), dtype=bool)
            empty[is_geom] = shapely.is_empty(geoms[is_geom].astype(object))
            missing_ok = missing | empty
        else:
            missing_ok = np.zeros(len(geoms), dtype=bool)
        self.flag(missing & ~missing_ok, "geometry", "a point is required", geoms)
        present = is_geom & ~missing_ok
        types = np.full(len(geoms), "", dtype=object)
        types[present] = shapely.get_type_id(geoms[present].astype(object))
        not_point = present & (types != 0)
        self.flag(not_point, "geometry", "must be a point", geoms)
        good = present & ~not_point
        if good.any():
            empty = np.zeros(len(geoms), dtype=bool)
            empty[good] = shapely.is_empty(geoms[good].astype(object))
            self.flag(empty, "geometry", "a point is required (got an empty point)", geoms)
            good &= ~empty
        if inside is not None and good.any():
            outside = np.zeros(len(geoms), dtype=bool)
            outside[good] = ~inside(geoms[good])
            self.flag(outside, "geometry", "lies outside the municipality", geoms)


#: Rows checked at a time: the checks' temporaries (the regex groups of every time, the masks,
#: the text copies) stay those of one block, however many rows a file has (2 M rows whole:
#: about 1 GB of temporaries). Only the repeated-id check needs every row, and it is one hash.
VALIDATE_BLOCK = 50_000


def _blocks(frame: pd.DataFrame, rows: int | None = None):
    """(start, the rows from start) in blocks of `rows` (VALIDATE_BLOCK); one block for a small frame."""
    rows = rows or VALIDATE_BLOCK
    if len(frame) <= rows:
        yield 0, frame
        return
    for start in range(0, len(frame), rows):
        yield start, frame.iloc[start:start + rows]


def validate_reports(frame: pd.DataFrame, layers: dict, focus_areas, inside=None,
                     spans: dict[str, TimeSpan] | None = None) -> list[RecordError]:
    """All problems in a frame of reports (geometry must already be in the store CRS).

    `layers` maps layer id to its LayerSpec; `inside` is an optional predicate on an
    array of shapely points that says which lie in the municipality; `spans` bounds the time
    fields (default `store_spans()`: from 1990 to a day from now). Checked block by block
    (VALIDATE_BLOCK rows); the errors name the frame's own row labels.
    """
    spans = spans or store_spans()
    check = _Collector(frame)
    if not check.require_columns(REPORT_COLUMNS):
        return check.errors
    repeated = _repeated_ids(frame)
    for start, block in _blocks(frame):
        part = _Collector(block)
        _check_ids(part, repeated[start:start + len(block)])
        part.one_of("layer", layers)
        part.one_of("focus_area", focus_areas)
        for layer_id, spec in layers.items():
            mine = (block["layer"] == layer_id).to_numpy()
            if mine.any():
                bad = mine & ~block["category"].isin(spec.categories).to_numpy()
                part.flag(bad, "category", f"must be one of {', '.join(spec.categories)} for {layer_id}")
        occurred = part.timestamp("occurred_at", spans["occurred_at"])
        reported = part.timestamp("reported_at", spans["reported_at"])
        _check_order(part, occurred, reported, "reported_at", "is before occurred_at")
        _check_description(part)
        part.one_of("source", SOURCES)
        part.one_of("status", REPORT_STATUSES)
        part.point(block["geometry"], inside)
        check.errors += part.errors
    return check.errors


def validate_activities(frame: pd.DataFrame, focus_areas, kinds, inside=None,
                        spans: dict[str, TimeSpan] | None = None) -> list[RecordError]:
    """All problems in a frame of activities (geometry may be empty: no place); `spans` as
    for validate_reports (planned_at: 1990 to 2100 unless given); checked block by block."""
    spans = spans or store_spans()
    check = _Collector(frame)
    if not check.require_columns(ACTIVITY_COLUMNS):
        return check.errors
    repeated = _repeated_ids(frame)
    for start, block in _blocks(frame):
        part = _Collector(block)
        _check_ids(part, repeated[start:start + len(block)])
        part.one_of("focus_area", focus_areas)
        part.one_of("actor", ACTORS)
        part.one_of("kind", kinds)
        part.timestamp("planned_at", spans["planned_at"])
        part.timestamp("done_at", spans["done_at"], allow_empty=True)
        part.one_of("status", ACTIVITY_STATUSES)
        done = block["done_at"].astype("string").fillna("") != ""
        part.flag(
            ((block["status"] == "genomförd") & ~done).to_numpy(), "done_at",
            "is required when status is genomförd",
        )
        part.flag(
            ((block["status"] == "planerad") & done).to_numpy(), "done_at",
            "must be empty while status is planerad",
        )
        duration = pd.to_numeric(block["duration_min"], errors="coerce")
        whole = duration.notna() & (duration == duration.round()) & (duration >= 0) & (duration <= 24 * 60 * 7)
        part.flag(~whole.to_numpy(), "duration_min", "must be whole minutes between 0 and 10080")
        _check_description(part)
        part.point(block["geometry"], inside, allow_empty=True)
        check.errors += part.errors
    return check.errors


def _repeated_ids(frame: pd.DataFrame) -> np.ndarray:
    """Per row: its id appeared in an earlier row (over the whole frame: a repeat may be blocks apart)."""
    ids = frame["id"]
    return ids.duplicated(keep="first").to_numpy() & ids.notna().to_numpy()


def _check_ids(check: _Collector, repeated: np.ndarray) -> None:
    check.text("id")
    check.flag(repeated, "id", "appears more than once")


def _check_description(check: _Collector) -> None:
    col = check.text("description", allow_empty=True)
    too_long = col.astype("string").str.len().fillna(0).to_numpy() > MAX_DESCRIPTION
    check.flag(too_long, "description", f"is longer than {MAX_DESCRIPTION} characters")


def _check_order(check: _Collector, first: pd.Series, second: pd.Series, field: str, reason: str) -> None:
    """Flag `field` where the instant `second` is before `first` (both parsed, NaT never flags)."""
    bad = (pd.DatetimeIndex(second) < pd.DatetimeIndex(first))
    check.flag(np.asarray(bad, dtype=bool), field, reason)
