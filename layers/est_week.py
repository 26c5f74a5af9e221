"""The EST week view as pure functions: one ISO week's (Monday–Sunday, Swedish time) counted
observations by category, by day and by place, beside the week before, and the places that rose.

Counted are observations with `moderation` NULL or `godkänd` (`layers.intake_schema.COUNTED`);
the ones still waiting are a separate number. Who may see it: polis, admin and moderator
(WEEK_ROLES), each only the layers its role policy shows as exact points — a moderator never
sees the narcotics layer, so never the category "droghantering observerad" nor its counts.
Places are named as the dashboard names points (`geodata.place_names`, detail=False:
"Skillingaryd – stationen", "Vaggeryd – nordost", "Landsbygd nära Vaggeryd").
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from babel.dates import format_date

from geodata import place_names

from .imports.sources.est import TZ, EstCategory, EstError
from .messages import template
from .privacy import ADMIN, POINTS, POLIS, PrivacyError, PrivacySettings, policy
from .schema import parse_times

#: Roles that may see the week view (exact counts per place and week).
MODERATOR = "moderator"
WEEK_ROLES = (POLIS, ADMIN, MODERATOR)
#: The place key of observations without a place.
NO_PLACE = ""
_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")


@dataclass(frozen=True)
class Week:
    """An ISO week: Monday to Sunday, Swedish days."""

    year: int
    week: int

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def code(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    def previous(self) -> Week:
        return week_of(self.monday - dt.timedelta(days=7))

    def days(self) -> list[dt.date]:
        return [self.monday + dt.timedelta(days=i) for i in range(7)]


def week_of(day: dt.date) -> Week:
    year, week, _ = day.isocalendar()
    return Week(year, week)


def parse_week(text: str) -> Week:
    """'2026-W48' (also '2026W48', '2026-w48'); EstError naming the value otherwise."""
    match = _WEEK.match(str(text or "").strip())
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            raise EstError(f"week {text!r}: {year} has no week {week}") from None
        return Week(year, week)
    raise EstError(f"week {text!r} is not an ISO week like 2026-W48")


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous


@dataclass(frozen=True)
class WeekView:
    week: Week
    role: str
    total: int
    previous_total: int
    #: (day, weekday name, count) Monday to Sunday.
    days: tuple[tuple[dt.date, str, int], ...]
    #: Every category the role sees, in the file's order (zeros too).
    categories: tuple[Row, ...]
    #: Places with an observation in either week: most this week first, then by name.
    places: tuple[Row, ...]
    #: Places with more this week than the week before: largest rise first, then by name.
    rose: tuple[Row, ...]
    #: This week's observations still waiting for moderation (not in any count above).
    pending: int

    def to_dict(self) -> dict:
        def rows(items):
            return [{"key": r.key, "label": r.label, "count": r.count, "previous": r.previous, "change": r.change}
                    for r in items]

        return {
            "week": self.week.code, "previous_week": self.week.previous().code, "role": self.role,
            "from": self.week.monday.isoformat(), "to": self.week.sunday.isoformat(),
            "total": self.total, "previous_total": self.previous_total, "pending": self.pending,
            "days": [{"date": d.isoformat(), "weekday": name, "count": n} for d, name, n in self.days],
            "categories": rows(self.categories), "places": rows(self.places), "rose": rows(self.rose),
        }


def week_layers(role: str, layer_ids, settings: PrivacySettings | None = None) -> tuple[str, ...]:
    """The layers whose observations `role` sees in the week view: those its policy shows as
    exact points. EstError for a role that may not see the week view."""
    if role not in WEEK_ROLES:
        raise EstError(f"the EST week view is for the roles {', '.join(WEEK_ROLES)}, not {role!r}")
    try:
        pol = policy(role, settings)
    except PrivacyError as exc:
        raise EstError(str(exc)) from None
    return tuple(lid for lid in layer_ids if pol.mode(lid) == POINTS)


def week_view(observations: pd.DataFrame, week: Week, categories: tuple[EstCategory, ...], role: str,
              kommun: str, lang: str = "sv", settings: PrivacySettings | None = None) -> WeekView:
    """The week view of `observations` for `role`, this week and the one before: a frame with
    id, layer, category, x, y, moderation, est_category and the time as occurred_at (ISO text,
    `layers.imports.sources.est.read_observations`) or t (UTC nanoseconds, a role's points frame)."""
    seen_layers = set(week_layers(role, sorted({c.layer for c in categories} | set(observations["layer"])),
                                  settings))
    shown = tuple(c for c in categories if c.layer in seen_layers)
    frame = observations[observations["layer"].isin(seen_layers).to_numpy()]
    previous = week.previous()
    utc = pd.to_datetime(frame["t"], unit="ns", utc=True) if "t" in frame.columns else parse_times(
        frame["occurred_at"])
    local = utc.dt.tz_convert(TZ)
    days = local.dt.date.to_numpy()
    this_week = (days >= week.monday) & (days <= week.sunday)
    last_week = (days >= previous.monday) & (days <= previous.sunday)
    moderation = frame["moderation"]
    counted = (moderation.isna() | (moderation == "godkänd")).to_numpy()
    pending = int((this_week & (moderation == "väntar").to_numpy()).sum())
    now_rows, before_rows = frame[this_week & counted], frame[last_week & counted]

    day_counts = Counter(days[this_week & counted].tolist())
    day_rows = tuple((d, format_date(d, "EEEE", locale=lang), int(day_counts.get(d, 0))) for d in week.days())

    # An observation whose EST category the file no longer has counts under its layer category.
    known = {c.id for c in shown}

    def cat_keys(part: pd.DataFrame) -> Counter:
        keys = [c if c in known else f"{layer}:{cat}" for c, layer, cat in
                zip(part["est_category"], part["layer"], part["category"], strict=True)]
        return Counter(keys)

    now_c, before_c = cat_keys(now_rows), cat_keys(before_rows)
    cat_rows = [Row(c.id, c.name(lang), now_c.get(c.id, 0), before_c.get(c.id, 0)) for c in shown]
    for key in sorted((set(now_c) | set(before_c)) - known):
        cat_rows.append(Row(key, key.split(":", 1)[1], now_c.get(key, 0), before_c.get(key, 0)))

    def place_keys(part: pd.DataFrame) -> Counter:
        names = place_names(part["x"].to_numpy(dtype=float), part["y"].to_numpy(dtype=float), kommun, lang,
                            detail=False) if len(part) else np.array([], dtype=object)
        return Counter(str(n) for n in names)

    now_p, before_p = place_keys(now_rows), place_keys(before_rows)
    no_place = template("est_no_place", "en" if lang == "en" else "sv")
    place_rows = [Row(p, p or no_place, now_p.get(p, 0), before_p.get(p, 0)) for p in set(now_p) | set(before_p)]
    place_rows.sort(key=lambda r: (-r.count, r.label))
    rose = sorted((r for r in place_rows if r.change > 0 and r.key != NO_PLACE), key=lambda r: (-r.change, r.label))
    return WeekView(week=week, role=role, total=len(now_rows), previous_total=len(before_rows), days=day_rows,
                    categories=tuple(cat_rows), places=tuple(place_rows), rose=tuple(rose), pending=pending)


__all__ = ["NO_PLACE", "WEEK_ROLES", "Row", "Week", "WeekView", "parse_week", "week_layers", "week_of",
           "week_view"]
