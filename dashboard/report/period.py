"""The report's period (`--period 2026 | 2026-Q3 | 2026-10 | 2026-W48`): parsing, the previous
equal period, its words, and the refusal of a period finer than the role's published periods
(an ISO week, the EST weekly lägesbild, is finer than any release period: polis/admin only)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from babel.dates import format_date

from layers import privacy
from layers.release import PERIOD_MONTHS

from ..i18n import t

_PATTERNS = (
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})-[Qq]([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})-?[Ww](\d{1,2})$"), "week"),
)


class ReportError(Exception):
    """A user mistake or a report that cannot be made: one clear line, never a traceback."""


@dataclass(frozen=True)
class Period:
    """A whole calendar month, quarter or year (inclusive dates, local time)."""

    kind: str  # "month", "quarter" or "year" (layers.release.PERIOD_MONTHS), or "week"
    year: int  # an ISO year for a week
    first_month: int  # 1..12 (a week: its Monday's month)
    week: int = 0  # the ISO week number of a "week"

    @classmethod
    def of_week(cls, year: int, week: int) -> Period:
        """ISO week `week` of `year` (Monday to Sunday); ValueError when the year has no such week."""
        return cls("week", year, dt.date.fromisocalendar(year, week, 1).month, week)

    @property
    def months(self) -> int:
        """Whole months in the period (0 for a week: finer than any release period)."""
        return 0 if self.kind == "week" else PERIOD_MONTHS[self.kind]

    @property
    def start(self) -> dt.date:
        if self.kind == "week":
            return dt.date.fromisocalendar(self.year, self.week, 1)
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        if self.kind == "week":
            return self.start + dt.timedelta(days=6)
        index = self.year * 12 + self.first_month - 1 + self.months
        return dt.date(index // 12, index % 12 + 1, 1) - dt.timedelta(days=1)

    def previous(self) -> Period:
        """The equal period just before (September before October, Q2 before Q3, 2025 before 2026,
        week 47 before week 48)."""
        if self.kind == "week":
            year, week, _ = (self.start - dt.timedelta(days=7)).isocalendar()
            return Period.of_week(year, week)
        index = self.year * 12 + self.first_month - 1 - self.months
        return Period(self.kind, index // 12, index % 12 + 1)

    def year_before(self) -> Period:
        """The same period a year earlier (a week 53 without one then: that year's last week)."""
        if self.kind == "week":
            last = dt.date(self.year - 1, 12, 28).isocalendar()[1]
            return Period.of_week(self.year - 1, min(self.week, last))
        return Period(self.kind, self.year - 1, self.first_month)

    @property
    def code(self) -> str:
        if self.kind == "week":
            return f"{self.year}-W{self.week:02d}"
        if self.kind == "year":
            return str(self.year)
        if self.kind == "quarter":
            return f"{self.year}-Q{(self.first_month - 1) // 3 + 1}"
        return f"{self.year}-{self.first_month:02d}"

    def label(self, lang: str) -> str:
        """'oktober 2026', 'kvartal 3 2026', '2026' (en: 'October 2026', 'Q3 2026')."""
        if self.kind == "month":
            return format_date(self.start, "LLLL y", locale=lang)
        if self.kind == "week":
            return t("report_week", lang, week=self.week, year=self.year)
        if self.kind == "quarter":
            return t("report_quarter", lang, q=(self.first_month - 1) // 3 + 1, year=self.year)
        return str(self.year)


def parse_period(text: str) -> Period:
    value = (text or "").strip()
    for pattern, kind in _PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        year = int(match.group(1))
        if kind == "year":
            return Period("year", year, 1)
        if kind == "quarter":
            return Period("quarter", year, 3 * (int(match.group(2)) - 1) + 1)
        if kind == "week":
            try:
                return Period.of_week(year, int(match.group(2)))
            except ValueError:
                raise ReportError(f"--period {text!r}: {year} has no week {int(match.group(2))}") from None
        month = int(match.group(2))
        if 1 <= month <= 12:
            return Period("month", year, month)
    raise ReportError(f"--period {text!r} is not a period like 2026, 2026-Q3, 2026-10 or 2026-W48")


def role_period_kind(policy: privacy.Policy, settings: privacy.PrivacySettings) -> str | None:
    """The finest period the role's report may have: its release period when it sees any layer
    as cells (those counts exist only per published period), else None (any whole month)."""
    if any(mode == privacy.CELLS for mode in policy.layers.values()):
        return settings.period(policy.role)
    return None


def periods_between(first: dt.date, last: dt.date, kind: str) -> list[Period]:
    """Every period of `kind` from the one holding `first` to the one holding `last`."""
    months = PERIOD_MONTHS[kind]
    index = first.year * 12 + (first.month - 1) // months * months
    out = []
    while index <= last.year * 12 + last.month - 1:
        out.append(Period(kind, index // 12, index % 12 + 1))
        index += months
    return out


def check_period(period: Period, policy: privacy.Policy, settings: privacy.PrivacySettings,
                 span: tuple[dt.date, dt.date] | None) -> None:
    """Refuse a period finer than the role's published periods, naming the ones it can have."""
    kind = role_period_kind(policy, settings)
    if kind is None or period.months >= PERIOD_MONTHS[kind]:
        return
    first, last = span or (period.start, period.start)
    allowed = [p.code for p in periods_between(first, last, kind)]
    if kind != "year":
        allowed += [p.code for p in periods_between(first, last, "year")]
    raise ReportError(f"--period {period.code} is finer than the role {policy.role} may see: it sees "
                      f"its cells layers per {kind}; periods it can have: {', '.join(allowed)}")


__all__ = ["Period", "ReportError", "check_period", "parse_period", "periods_between", "role_period_kind"]
