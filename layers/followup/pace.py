"""Pace and status of a target over a period: what is expected by a date at an even pace, and the token.

Status tokens (fixed; `STATUS_LABELS` has the words shown):

- `klart`: the target is reached;
- `efter`: the period is over and the target was not reached, or done is below what an even
  pace asks for by now;
- `ej_paborjat`: nothing done yet and the period is still running (or has not begun);
- `i_fas`: done reaches the even-pace expectation rounded to the nearest whole unit
  (activity or hour): "3 av 4" is on track until 7/8 of the period has passed.

`at` always means "by the end of that local day": on the period's last day the period is over.
"""

from __future__ import annotations

import datetime as dt
import math

from babel.dates import format_date

from ..messages import label, template

STATUSES = ("klart", "i_fas", "efter", "ej_paborjat")
#: The labels live in the message catalogue (layers/messages, context "vocab").
STATUS_LABELS = {lang: {status: label("pace_status", status, lang) for status in STATUSES} for lang in ("sv", "en")}
_EPS = 1e-9


def status_label(token: str, lang: str = "sv") -> str:
    return STATUS_LABELS["en" if lang == "en" else "sv"][token]


def elapsed_fraction(start: dt.date, end: dt.date, at: dt.date) -> float:
    """Share of the period's days passed by the end of `at` (0 before it starts, 1 after it ends)."""
    total = (end - start).days + 1
    passed = min(max((at - start).days + 1, 0), total)
    return passed / total


def expected_by_now(target: float, start: dt.date, end: dt.date, at: dt.date) -> float:
    """The target times the share of the period passed: what an even pace has done by `at`."""
    return target * elapsed_fraction(start, end, at)


def status(done: float, target: float, expected: float, end: dt.date, at: dt.date) -> str:
    """The status token of one period (see the module docstring for the rules and their order)."""
    if done + _EPS >= target:
        return "klart"
    if at >= end:
        return "efter"
    if done <= _EPS:
        return "ej_paborjat"
    if done + _EPS >= math.floor(expected + 0.5):
        return "i_fas"
    return "efter"


def overall_status(piece_statuses: list[str], done_total: float) -> str:
    """A recurring target's status: each piece (quarter/month) is a promise of its own.

    klart when every piece is; efter when any piece is behind (a missed quarter is not made good
    by two checks in the next); ej_paborjat when nothing is done at all; otherwise i_fas.
    """
    if piece_statuses and all(s == "klart" for s in piece_statuses):
        return "klart"
    if "efter" in piece_statuses:
        return "efter"
    if done_total <= _EPS:
        return "ej_paborjat"
    return "i_fas"


def pieces(start: dt.date, end: dt.date, per: str) -> list[tuple[str, dt.date, dt.date]]:
    """Calendar quarters or months overlapping [start, end], clipped to it: (key, start, end).

    Keys are "2026-Q1" for quarters and "2026-03" for months.
    """
    if per not in ("quarter", "month"):
        raise ValueError(f"per must be 'quarter' or 'month', got {per!r}")
    step = 3 if per == "quarter" else 1
    out = []
    year, month = start.year, ((start.month - 1) // step) * step + 1
    while dt.date(year, month, 1) <= end:
        nxt_year, nxt_month = (year + 1, 1) if month + step > 12 else (year, month + step)
        piece_end = dt.date(nxt_year, nxt_month, 1) - dt.timedelta(days=1)
        key = f"{year}-Q{(month - 1) // 3 + 1}" if per == "quarter" else f"{year}-{month:02d}"
        out.append((key, max(start, dt.date(year, month, 1)), min(end, piece_end)))
        year, month = nxt_year, nxt_month
    return out


def piece_label(key: str, lang: str = "sv") -> str:
    """'2026-Q1' → 'kvartal 1 2026' / 'Q1 2026'; '2026-03' → 'mars 2026' / 'March 2026' (Babel's
    stand-alone month name)."""
    lang = "en" if lang == "en" else "sv"
    year, rest = key.split("-", 1)
    if rest.startswith("Q"):
        return template("quarter_long", lang).format(q=rest[1:], y=year)
    return format_date(dt.date(int(year), int(rest), 1), "LLLL y", locale=lang)
