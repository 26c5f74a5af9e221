"""The report's comparisons: its windows (from `layers.analysis.compare.comparison_windows`), the
role's count in each (its `Views.get`, so the screen's numbers) and the sentence that says them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from babel.dates import format_date

from layers.analysis.compare import comparison_windows, whole_blocks

from ..i18n import number, t
from ..roles import RoleFrames
from .period import Period

Span = tuple[dt.date, dt.date]
#: The report's comparisons, in the order its sentences come (28 days is the dashboard's).
COMPARED = ("previous", "last_year", "ytd")


@dataclass(frozen=True)
class Window:
    name: str  # one of COMPARED
    current: Span
    base: Span
    now: str  # the current window in words: 'i november 2026 t.o.m. 27 november'
    prev: str  # the base window in words: 'i oktober 2026 på samma dagar'


def in_period(period: Period, lang: str) -> str:
    """'i oktober 2026', 'under kvartal 3 2026', 'under 2026' (en: 'in October 2026', …)."""
    return t(f"report_in_{period.kind}", lang, period=period.label(lang))


def last_counted(period: Period, made_on: dt.date) -> dt.date:
    """The period's last day counted: its end, or the day the report is made while under way."""
    return min(max(made_on, period.start), period.end)


def report_windows(period: Period, made_on: dt.date, lang: str) -> list[Window]:
    """The period against the one before, the same period last year and the year to date
    against last year to date; a window equal to an earlier one (a year's previous period is
    last year) is said once."""
    at = last_counted(period, made_on)
    spans = comparison_windows(period.start, period.end, at, same_days=True)
    under_way = made_on < period.end
    now = in_period(period, lang)
    if under_way:
        now += " " + t("report_through", lang, date=format_date(at, "d MMMM", locale=lang))

    def before(other: Period) -> str:
        words = in_period(other, lang)
        return t("report_same_days", lang, prev=words) if under_way else words

    words = {
        "previous": (now, before(period.previous())),
        "last_year": (now, before(period.year_before())),
        "ytd": (t("report_ytd_now", lang, date=format_date(at, "d MMMM y", locale=lang)),
                t("report_ytd_prev", lang, year=at.year - 1)),
    }
    out: list[Window] = []
    for name in COMPARED:
        current, base = spans[name]
        if any((w.current, w.base) == (current, base) for w in out):
            continue
        out.append(Window(name, current, base, *words[name]))
    return out


def base_window(period: Period, made_on: dt.date) -> tuple[dt.date, dt.date, dt.date | None]:
    """The previous period's days compared with, and the last day counted when `period` is not
    over yet (else None)."""
    window = report_windows(period, made_on, "sv")[0]
    return window.base[0], window.base[1], (None if made_on >= period.end else window.current[1])


def answers(frames: RoleFrames, span: Span) -> bool:
    """Whether the role's view counts exactly the days of `span`: points always; published cells
    only when whole published periods tile it (the first of a series also holds all before it)."""
    chosen = frames.release
    if chosen is None or not chosen.layers:
        return True
    release = chosen.release
    tiles = whole_blocks(release.blocks, span)
    return tiles is not None and not any(release.open_start(release.blocks[i]) for i in tiles)


def change_sentence(subject: str, n: int, before: int, now: str, prev: str, lang: str) -> str:
    """'Trygghet: 84 rapporter i oktober 2026, 12 % färre än i september 2026 (95).'"""
    values = {"subject": subject, "n": number(n, lang), "m": number(before, lang), "now": now, "prev": prev,
              "reports": t("report_word_one" if n == 1 else "report_word_many", lang)}
    if before == 0:
        key = "report_change_none_before" if n else "report_change_none"
    elif n == before:
        key = "report_change_same"
    else:
        key = "report_change_fewer" if n < before else "report_change_more"
        values["pct"] = number(round(abs(n - before) * 100 / before), lang)
    return t(key, lang, **values)


def compared(subject: str, window: Window, count: Callable[[Span], RoleFrames], lang: str) -> str:
    """The window's sentence from the role's counts, or that the role's release cannot answer it."""
    now, base = count(window.current), count(window.base)
    if not (answers(now, window.current) and answers(base, window.base)):
        return t("report_change_unknown", lang, subject=subject, now=window.now, prev=window.prev)
    return change_sentence(subject, now.total, base.total, window.now, window.prev, lang)


__all__ = ["COMPARED", "Window", "answers", "base_window", "change_sentence", "compared", "in_period",
           "last_counted", "report_windows"]
