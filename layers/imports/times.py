"""Reading the times of import files: ISO text, `YYYY-MM-DD HH:MM`, `DD/MM/YYYY`, clock times,
Excel serial dates and spreadsheet date cells, in Swedish local time (the DST changes) or with
an offset.

Every value is checked against its field's plausible range (`import_spans`) before anything
converts it (a year typo is a rejected row with the value quoted, never another date), and
offsets against what clocks use. `parse_times` returns UTC instants and a reason per position
for the rest; `local_iso` writes instants as the store keeps them. Used by `layers.imports.prepare`
and `layers.imports.sources.polisen`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..schema import (
    ANY_TIME,
    SAFE_YEARS,
    TimeSpan,
    as_numbers,
    extract,
    offset_minutes,
    past_span,
    plan_span,
    wall_times,
)
from .messages import msg

TZ = "Europe/Stockholm"
EXCEL_EPOCH = pd.Timestamp("1899-12-30")

#: A time up to an hour ahead still counts as now (clocks differ).
FUTURE_GRACE = pd.Timedelta(hours=1)


def import_spans(config, now=None) -> dict[str, TimeSpan]:
    """The plausible range of each time field: from 1990; what has happened (reports, done
    activities) up to now; plans up to a year after the promise period ends."""
    past = past_span(now, FUTURE_GRACE)
    return {"occurred_at": past, "reported_at": past, "done_at": past,
            "planned_at": plan_span(config.period_end)}


_ISO_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:(?:T|\s+)(?:kl\.?\s*)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
_DMY_RE = re.compile(
    r"^(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})"
    r"(?:\s+(?:kl\.?\s*)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?)?$"
)
_CLOCK_RE = re.compile(r"^(?:kl\.?\s*)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?$")


@dataclass
class WallTimes:
    """Parsed times before localisation: naive wall clock, UTC where an offset was given."""

    wall: pd.Series  # datetime64 naive, NaT where unknown
    utc: pd.Series  # datetime64[UTC], set only where the text carried an offset
    has_offset: np.ndarray
    has_time: np.ndarray  # a clock time was given (not just a date)
    reasons: dict[int, str]


def _shown(value):
    """A source value as a message quotes it: a datetime cell as its text, not its repr."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return str(value)
    return value


def span_words(code: str, span: TimeSpan, lang: str = "en") -> str:
    """'is after 2027-12-31 (check the year)' for a problem code of TimeSpan."""
    if code == "early":
        return msg("time_before", lang, day=span.first_day)
    if code == "late":
        return msg("time_after", lang, day=span.last_day)
    return msg("time_future", lang)


def span_reason(code: str, value, span: TimeSpan, lang: str = "en") -> str:
    """"'3000-01-01' is in the future": the value quoted, then what is wrong with it."""
    return msg("time_value", lang, value=_shown(value), reason=span_words(code, span, lang))


def _text_to_wall(parts: pd.DataFrame, rows: np.ndarray, wall: np.ndarray, reasons: dict,
                  values: np.ndarray, span: TimeSpan, clock_only: bool = False, lang: str = "en") -> None:
    """Matched date/time parts into `wall` at `rows`: years outside the span are refused before
    any conversion (a year typo must never become another date)."""
    years = SAFE_YEARS if clock_only else span.years
    walls, outside, unreal = wall_times(parts, years)
    good = ~outside & ~unreal & ~np.isnat(walls)
    wall[rows[good]] = walls[good]
    if outside.any():
        codes = span.year_problems(as_numbers(parts["y"].to_numpy(dtype=object)))
        for pos, code in zip(rows[outside], codes[outside], strict=True):
            reasons[int(pos)] = span_reason(code, values[pos], span, lang)
    with_clock = parts["H"].notna().to_numpy() if "H" in parts else np.zeros(len(parts), dtype=bool)
    for pos, clock in zip(rows[unreal], with_clock[unreal], strict=True):
        what = "not_real_clock" if clock_only else "not_real_datetime" if clock else "not_real_date"
        reasons[int(pos)] = msg(what, lang, value=values[pos])


def _naive_cells(objs: np.ndarray, kinds: np.ndarray, wall: np.ndarray, has_time: np.ndarray, reasons: dict,
                 span: TimeSpan, lang: str) -> np.ndarray:
    """Spreadsheet date and datetime cells without a time zone (nearly all of them), at once:
    years outside the span get a reason, the others go into `wall`. Returns the mask of the
    cells done here; the one-by-one path takes the rest (time-zone-aware values, Timestamps)."""
    handled = np.zeros(len(objs), dtype=bool)
    rows = np.flatnonzero(np.isin(kinds, ["datetime", "date"]))
    if not len(rows):
        return handled
    values = objs[rows]
    naive = np.fromiter((getattr(v, "tzinfo", None) is None for v in values), dtype=bool, count=len(values))
    rows, values = rows[naive], values[naive]
    years = np.fromiter((v.year for v in values), dtype=np.int64, count=len(values))
    codes = span.year_problems(years)
    bad = codes != ""
    for pos, code in zip(rows[bad], codes[bad], strict=True):
        reasons[int(pos)] = span_reason(code, objs[pos], span, lang)
    good = rows[~bad]
    # Years inside the span convert safely; numpy reads datetime and date objects itself.
    stamps = np.array(list(values[~bad]), dtype="datetime64[us]")
    wall[good] = stamps.astype("datetime64[ns]")
    has_time[good] = (kinds[good] != "date") & (stamps.astype("datetime64[s]") != stamps.astype("datetime64[D]"))
    handled[rows] = True
    return handled


def parse_wall_times(values: pd.Series, clock_only: bool = False, lang: str = "en",
                     span: TimeSpan = ANY_TIME) -> WallTimes:
    """Read dates and times of any supported form (see the module docstring).

    Nothing outside `span`'s years is converted: such values get a reason instead.
    """
    n = len(values)
    objs = values.to_numpy(dtype=object)
    wall = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    utc = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    has_offset = np.zeros(n, dtype=bool)
    has_time = np.zeros(n, dtype=bool)
    reasons: dict[int, str] = {}
    kinds = np.array([type(v).__name__ for v in objs], dtype=object)
    is_time = kinds == "time"
    is_dt = np.isin(kinds, ["datetime", "Timestamp", "date"])
    is_num = np.isin(kinds, ["int", "float", "int64", "float64"])
    for pos in np.flatnonzero(is_time):
        t = objs[pos]
        wall[pos] = np.datetime64(dt.datetime(1899, 12, 30, t.hour, t.minute, t.second))
        has_time[pos] = True
    handled = np.zeros(n, dtype=bool) if clock_only else _naive_cells(objs, kinds, wall, has_time, reasons, span,
                                                                      lang)
    for pos in np.flatnonzero(is_dt & ~handled):
        # Excel cells hold years 1..9999: check the year before pandas sees it.
        code = "" if clock_only else span.year_problems([objs[pos].year])[0]
        if code:
            reasons[int(pos)] = span_reason(code, objs[pos], span, lang)
            continue
        stamp = pd.Timestamp(objs[pos])
        has_time[pos] = kinds[pos] != "date" and not (stamp.hour == 0 and stamp.minute == 0 and stamp.second == 0)
        if stamp.tzinfo is not None:
            utc.iloc[pos] = stamp.tz_convert("UTC")
            has_offset[pos] = True
        else:
            wall[pos] = stamp.to_datetime64().astype("datetime64[ns]")
    text = pd.Series(np.where(is_time | is_dt | is_num, "", objs), dtype=object).astype("string").fillna("")
    text = text.str.strip()
    numeric_text = text.str.fullmatch(r"\d+(?:[.,]\d+)?").fillna(False).to_numpy(dtype=bool)
    if clock_only:
        # "18.30" is a clock time; only Excel fractions (0.77) are numbers here.
        numeric_text &= text.str.fullmatch(r"0?[.,]\d+").fillna(False).to_numpy(dtype=bool)
    nums = np.full(n, np.nan)
    if is_num.any():
        nums[is_num] = objs[is_num].astype("float64")
    if numeric_text.any():
        nums[numeric_text] = pd.to_numeric(text[numeric_text].str.replace(",", "."), errors="coerce").to_numpy()
    serial = is_num | numeric_text
    if serial.any():
        rows = np.flatnonzero(serial)
        v = nums[rows]
        # Excel serials 20000..80000 are 1954..2119: inside what converts safely.
        lo, hi = (0.0, 1.0) if clock_only else (20000.0, 80000.0)
        ok = np.isfinite(v) & (v >= lo) & (v < hi)
        secs = np.round(v[ok] * 86400).astype("int64")
        wall[rows[ok]] = (EXCEL_EPOCH.to_datetime64() + secs.astype("timedelta64[s]")).astype("datetime64[ns]")
        has_time[rows[ok]] = (secs % 86400) != 0
        for pos in rows[~ok]:
            reasons[int(pos)] = msg("number_not_clock" if clock_only else "number_not_excel_date", lang,
                                    value=objs[pos])
    rest = ~(is_time | is_dt | serial)
    empty = rest & (text == "").to_numpy()
    rest &= ~empty
    if rest.any():
        sub = text[rest]
        rows = np.flatnonzero(rest)
        patterns = [_CLOCK_RE] if clock_only else [_ISO_RE, _DMY_RE]
        matched = np.zeros(len(rows), dtype=bool)
        items = sub.to_numpy(dtype=object)
        for pattern in patterns:
            parts = extract(pattern, items)
            hit = parts["H"].notna().to_numpy() | (parts["y"].notna().to_numpy() if "y" in parts else False)
            hit &= ~matched
            if not hit.any():
                continue
            matched |= hit
            p = parts[hit]
            if clock_only:
                p = p.assign(y="1899", m="12", d="30")
            _text_to_wall(p, rows[hit], wall, reasons, objs, span, clock_only, lang)
            has_time[rows[hit]] = p["H"].notna().to_numpy()
            if "tz" in p:
                _apply_offsets(p["tz"], rows[hit], wall, utc, has_offset, reasons, objs, lang)
        for pos in rows[~matched]:
            reasons[int(pos)] = msg("not_clock" if clock_only else "not_date", lang, value=objs[pos])
    return WallTimes(pd.Series(wall), utc, has_offset, has_time, reasons)


def _apply_offsets(zones: pd.Series, rows: np.ndarray, wall: np.ndarray, utc: pd.Series, has_offset: np.ndarray,
                   reasons: dict, values: np.ndarray, lang: str) -> None:
    """Times that carry an offset: UTC from the wall time, or a reason for an offset no clock uses."""
    minutes, bad = offset_minutes(zones.to_numpy(dtype=object))
    for pos, zone in zip(rows[bad], zones.to_numpy(dtype=object)[bad], strict=True):
        reasons.setdefault(int(pos), msg("time_value", lang, value=values[pos],
                                         reason=msg("time_bad_offset", lang, offset=zone)))
        wall[pos] = np.datetime64("NaT")
    use = ~np.isnan(minutes) & ~np.isnat(wall[rows])
    if use.any():
        shifted = pd.DatetimeIndex(wall[rows[use]]) - pd.to_timedelta(minutes[use], unit="m")
        utc.iloc[rows[use]] = shifted.tz_localize("UTC").to_numpy()
        has_offset[rows[use]] = True


def localise(times: WallTimes, lang: str = "en") -> tuple[pd.Series, dict[int, str]]:
    """UTC timestamps: wall times read as Swedish local time (summer time on the repeated hour)."""
    reasons = dict(times.reasons)
    wall = pd.DatetimeIndex(times.wall)
    n = len(wall)
    local = wall.tz_localize(TZ, ambiguous=np.ones(n, dtype=bool), nonexistent="NaT")
    gone = ~wall.isna() & local.isna() & ~times.has_offset
    for pos in np.flatnonzero(gone):
        reasons[int(pos)] = msg("time_skipped", lang, wall=wall[pos])
    out = pd.Series(local.tz_convert("UTC"), dtype="datetime64[ns, UTC]")
    out[times.has_offset] = times.utc[times.has_offset].to_numpy()
    return out, reasons


def parse_times(values: pd.Series, clock: pd.Series | None = None, lang: str = "en",
                span: TimeSpan = ANY_TIME) -> tuple[pd.Series, dict[int, str]]:
    """Values (and an optional separate clock-time column) to UTC; reasons by position.

    Every time is checked against `span` (default: only what converts safely); outside it
    the result is NaT with a reason that quotes the value.
    """
    values = values.reset_index(drop=True)
    times = parse_wall_times(values, lang=lang, span=span)
    if clock is not None:
        clocks = parse_wall_times(clock.reset_index(drop=True), clock_only=True, lang=lang)
        add = ~clocks.wall.isna().to_numpy() & ~times.has_time & ~times.has_offset
        tod = (clocks.wall - EXCEL_EPOCH).to_numpy()
        wall = times.wall.to_numpy().copy()
        wall[add] = wall[add] + tod[add]
        times.wall = pd.Series(wall)
        times.has_time = times.has_time | add
        for pos, reason in clocks.reasons.items():
            times.reasons.setdefault(pos, reason)
    utc, reasons = localise(times, lang)
    codes = span.problems(utc)
    objs = values.to_numpy(dtype=object)
    for pos in np.flatnonzero(codes != ""):
        reasons.setdefault(int(pos), span_reason(codes[pos], objs[pos], span, lang))
    utc[codes != ""] = pd.NaT
    return utc, reasons


def local_iso(utc: pd.Series) -> np.ndarray:
    """UTC timestamps to Swedish local ISO text with offset (None where NaT)."""
    stamps = pd.DatetimeIndex(utc)
    out = np.full(len(stamps), None, dtype=object)
    ok = ~stamps.isna()
    if not ok.any():
        return out
    local = stamps[ok].tz_convert(TZ)
    wall = local.tz_localize(None)
    offset_min = ((wall - stamps[ok].tz_localize(None)) / pd.Timedelta(minutes=1)).to_numpy().astype(int)
    text = np.datetime_as_string(wall.to_numpy().astype("datetime64[s]"), unit="s").astype(object)
    sign = np.where(offset_min >= 0, "+", "-")
    hours = np.char.zfill((np.abs(offset_min) // 60).astype(str), 2)
    mins = np.char.zfill((np.abs(offset_min) % 60).astype(str), 2)
    out[ok] = text + (sign.astype(object) + hours.astype(object) + ":" + mins.astype(object))
    return out


__all__ = ["EXCEL_EPOCH", "FUTURE_GRACE", "TZ", "WallTimes", "import_spans", "local_iso", "localise", "parse_times",
           "parse_wall_times", "span_reason", "span_words"]
