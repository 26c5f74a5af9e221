"""Reports per focus area in the period so far, against the previous equal period and the same period last year.

The period is the promise period cut at `at` (a follow-up in November compares 1 January to
`at`): `reports` counts local occurred days in [start, min(end, at)]; `reports_previous` the same
number of days just before start; `reports_last_year` the same calendar days a year earlier
(29 February → 28 February). `change` and `change_pct` are against last year — the same
season, so dark-month and summer patterns do not pass for change; `change_pct` is None when
last year had no reports. Rows are counted as given: filter statuses or roles before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import PromiseConfig
from .frames import day, report_frame

#: The keys of one focus area in the follow-up JSON (`FocusAreaChange.row`), in order.
ROW_KEYS = ("id", "promise", "reports", "reports_previous", "reports_last_year", "change", "change_pct")


@dataclass(frozen=True)
class FocusAreaChange:
    id: str
    promise: bool
    start: dt.date
    end: dt.date
    reports: int
    reports_previous: int
    reports_last_year: int

    @property
    def change(self) -> int:
        return self.reports - self.reports_last_year

    @property
    def change_pct(self) -> float | None:
        if self.reports_last_year == 0:
            return None
        return round(100.0 * self.change / self.reports_last_year, 1)

    def row(self) -> dict:
        return {"id": self.id, "promise": self.promise, "reports": self.reports,
                "reports_previous": self.reports_previous, "reports_last_year": self.reports_last_year,
                "change": self.change, "change_pct": self.change_pct}


def a_year_earlier(value: dt.date) -> dt.date:
    try:
        return value.replace(year=value.year - 1)
    except ValueError:  # 29 February
        return value.replace(year=value.year - 1, day=28)


def windows(start: dt.date, end: dt.date, at: dt.date) -> dict[str, tuple[dt.date, dt.date] | None]:
    """The three windows compared (inclusive dates); None when the period has not begun by `at`."""
    last = min(end, at)
    if last < start:
        return {"current": None, "previous": None, "last_year": None}
    days = (last - start).days + 1
    return {
        "current": (start, last),
        "previous": (start - dt.timedelta(days=days), start - dt.timedelta(days=1)),
        "last_year": (a_year_earlier(start), a_year_earlier(last)),
    }


def _count(days: np.ndarray, window) -> int:
    if window is None:
        return 0
    return int(((days >= day(window[0])) & (days <= day(window[1]))).sum())


def focus_area_changes(config: PromiseConfig, reports: pd.DataFrame, at: dt.date,
                       start: dt.date | None = None, end: dt.date | None = None) -> list[FocusAreaChange]:
    """One entry per focus area of `config`, in order (period: the promise period unless given)."""
    start = start or config.period_start
    end = end or config.period_end
    frame = report_frame(reports, config.kommun, localities=False) if len(reports) else None
    spans = windows(start, end, at)
    out = []
    for area in config.focus_areas.values():
        if frame is None:
            days = np.array([], dtype="datetime64[D]")
        else:
            days = frame["day"].to_numpy()[frame["focus_area"].to_numpy() == area.id]
        out.append(FocusAreaChange(
            id=area.id, promise=area.promise, start=start, end=min(end, at),
            reports=_count(days, spans["current"]), reports_previous=_count(days, spans["previous"]),
            reports_last_year=_count(days, spans["last_year"])))
    return out


def focus_area_rows(changes: list[FocusAreaChange]) -> list[dict]:
    """The `focus_areas` list of the follow-up JSON."""
    return [c.row() for c in changes]
