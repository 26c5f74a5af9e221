"""Period comparison: counts per focus area, layer and locality in a window against its base window.

Four comparisons (`comparison_windows`), all as inclusive local dates:

* ``previous``: the period so far, [start, min(end, at)], against the same number of days just
  before it (of whole months when the window is whole months: October against September).
  With ``same_days=True`` and a period [start, end] of whole months (a month, quarter or year,
  as the meeting report has), a period under way is compared with the same days of the equal
  period before instead: 1–27 November against 1–27 October, 1 January – 30 November 2026
  against 1 January – 30 November 2025 — never a part with a whole;
* ``last_year``: the same window against the same calendar days a year earlier (29 February →
  28 February);
* ``ytd``: 1 January to `at` against 1 January to the same day last year;
* ``28d``: the last 28 days up to `at` against the 28 days before them.

`change` is current − base; `change_pct` is None when the base is 0 (a change from nothing has no
percentage: the caller says "ej definierad" / "undefined", never "inf"). Exact rows are counted
by `compare_counts`; a reduced role's cells-mode layers by `compare_release`, from whole published
blocks only: a window that is not a union of whole blocks (28 days never is) gets no numbers and
a `note` saying why.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

COMPARISONS = ("previous", "last_year", "ytd", "28d")
GROUPS = ("all", "focus_area", "layer", "locality")
COLUMNS = ("group", "key", "comparison", "current_from", "current_to", "base_from", "base_to",
           "current", "base", "change", "change_pct", "note")
NOT_WHOLE_BLOCKS = "not whole published periods"
NOT_STARTED = "the period has not begun"

Span = tuple[dt.date, dt.date]


def a_year_earlier(value: dt.date) -> dt.date:
    try:
        return value.replace(year=value.year - 1)
    except ValueError:  # 29 February
        return value.replace(year=value.year - 1, day=28)


def _shift_months(value: dt.date, months: int) -> dt.date:
    index = value.year * 12 + value.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _whole_months(first: dt.date, last: dt.date) -> int | None:
    """How many whole calendar months [first, last] is, or None when it is not whole months."""
    after = last + dt.timedelta(days=1)
    if first.day != 1 or after.day != 1:
        return None
    return (after.year - first.year) * 12 + after.month - first.month


def comparison_windows(start: dt.date, end: dt.date, at: dt.date,
                       same_days: bool = False) -> dict[str, tuple[Span, Span] | None]:
    """(current, base) inclusive date windows per comparison; the period ones are None before
    `start`. `same_days`: a period under way against the same days of the equal period before
    (module docstring)."""
    last = min(end, at)
    out: dict[str, tuple[Span, Span] | None] = {"previous": None, "last_year": None}
    period_months = _whole_months(start, end) if same_days else None
    if last >= start and period_months:
        before = _shift_months(start, -period_months)
        # The days counted so far, from the same day of the period before; at most all of it.
        base_last = min(before + (last - start), start - dt.timedelta(days=1))
        out["previous"] = ((start, last), (before, base_last))
        out["last_year"] = ((start, last), (a_year_earlier(start), a_year_earlier(last)))
    elif last >= start:
        months = _whole_months(start, last)
        # October against September, a quarter against the quarter before: whole months.
        before = _shift_months(start, -months) if months else start - dt.timedelta(days=(last - start).days + 1)
        out["previous"] = ((start, last), (before, start - dt.timedelta(days=1)))
        out["last_year"] = ((start, last), (a_year_earlier(start), a_year_earlier(last)))
    out["ytd"] = ((dt.date(at.year, 1, 1), at), (dt.date(at.year - 1, 1, 1), a_year_earlier(at)))
    out["28d"] = ((at - dt.timedelta(days=27), at), (at - dt.timedelta(days=55), at - dt.timedelta(days=28)))
    return out


def change_of(current: int | None, base: int | None) -> tuple[int | None, float | None]:
    """(absolute change, % change rounded to 0.1); the % is None when the base is 0 or unknown."""
    if current is None or base is None or pd.isna(current) or pd.isna(base):
        return None, None
    change = int(current) - int(base)
    return change, (round(100.0 * change / base, 1) if base else None)


def _row(group, key, name, spans, current, base, note=None) -> dict:
    (cf, ct), (bf, bt) = spans if spans is not None else ((None, None), (None, None))
    change, pct = change_of(current, base)
    return {"group": group, "key": key, "comparison": name, "current_from": cf, "current_to": ct,
            "base_from": bf, "base_to": bt, "current": current, "base": base, "change": change,
            "change_pct": pct, "note": note}


def _keys(frame: pd.DataFrame, group: str) -> list[str]:
    if group == "all":
        return [""]
    return sorted(str(v) for v in pd.unique(frame[group].astype(str)))


def compare_counts(rows: pd.DataFrame, windows: dict[str, tuple[Span, Span] | None],
                   groups=GROUPS) -> pd.DataFrame:
    """Counts of `rows` (columns day — a local date or datetime64 — focus_area, layer, locality)
    per group key and comparison: COLUMNS. Keys are every value the rows hold, in any window."""
    days = pd.to_datetime(pd.Series(rows["day"]).reset_index(drop=True)).to_numpy().astype("datetime64[D]")
    out = []
    for group in groups:
        values = None if group == "all" else rows[group].astype(str).to_numpy()
        for key in _keys(rows, group):
            mine = days if values is None else days[values == key]
            for name in COMPARISONS:
                spans = windows.get(name)
                if spans is None:
                    out.append(_row(group, key, name, None, None, None, NOT_STARTED))
                    continue
                counts = [int(((mine >= np.datetime64(a, "D")) & (mine <= np.datetime64(b, "D"))).sum())
                          for a, b in spans]
                out.append(_row(group, key, name, spans, *counts))
    return as_frame(out)


def as_frame(rows: list[dict]) -> pd.DataFrame:
    """COLUMNS with whole-number counts (None stays missing: pandas' nullable Int64)."""
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for name in ("current", "base", "change"):
        frame[name] = frame[name].astype("Int64")
    # None, not NaN: a missing percentage is a statement ("undefined"), not a number.
    frame["change_pct"] = pd.Series([None if pd.isna(v) else float(v) for v in frame["change_pct"]], dtype=object)
    return frame


def whole_blocks(blocks, span: Span) -> list[int] | None:
    """Indices of the blocks that exactly tile the inclusive `span`, or None when they do not."""
    first, after = span[0], span[1] + dt.timedelta(days=1)
    inside = [i for i, b in enumerate(blocks) if b.start >= first and b.end <= after]
    if not inside:
        return None
    ordered = sorted(inside, key=lambda i: blocks[i].start)
    if blocks[ordered[0]].start != first or blocks[ordered[-1]].end != after:
        return None
    if any(blocks[a].end != blocks[b].start for a, b in zip(ordered, ordered[1:], strict=False)):
        return None
    return ordered


def compare_release(units: pd.DataFrame, blocks, windows: dict[str, tuple[Span, Span] | None],
                    focus_area_of: dict[str, str], groups=GROUPS, open_start: set[int] | None = None) -> pd.DataFrame:
    """`compare_counts` for a release: `units` (block, layer, count, locality — "" for the
    municipality's remainder) of published `blocks` (layers.release.Block). A window counts only
    when whole published blocks tile it; the first block of a series (`open_start`, it also holds
    everything before) never does."""
    open_start = open_start or set()
    frame = units.assign(focus_area=units["layer"].map(focus_area_of).fillna("").astype(str),
                         layer=units["layer"].astype(str), locality=units["locality"].fillna("").astype(str))
    block = frame["block"].to_numpy(dtype="int64")
    count = frame["count"].to_numpy(dtype="int64")
    tiles = {}
    for name, spans in windows.items():
        if spans is None:
            continue
        found = [whole_blocks(blocks, s) for s in spans]
        ok = all(f is not None and not (set(f) & open_start) for f in found)
        tiles[name] = found if ok else None
    out = []
    for group in groups:
        values = None if group == "all" else frame[group].to_numpy(dtype=object)
        for key in _keys(frame, group):
            sel = np.ones(len(frame), dtype=bool) if values is None else values == key
            for name in COMPARISONS:
                spans = windows.get(name)
                if spans is None:
                    out.append(_row(group, key, name, None, None, None, NOT_STARTED))
                elif tiles.get(name) is None:
                    out.append(_row(group, key, name, spans, None, None, NOT_WHOLE_BLOCKS))
                else:
                    counts = [int(count[sel & np.isin(block, t)].sum()) for t in tiles[name]]
                    out.append(_row(group, key, name, spans, *counts))
    return as_frame(out)


__all__ = ["COLUMNS", "COMPARISONS", "GROUPS", "a_year_earlier", "as_frame", "change_of", "compare_counts", "compare_release",
           "comparison_windows", "whole_blocks"]
