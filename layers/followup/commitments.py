"""Done versus promised: which activities count towards a commitment, and its progress at a date.

Counting rules (`matching_mask`, `follow_commitment`):

- period: the activity's local planned day lies in the commitment's period (and, with `per`, in
  the quarter/month it is counted for); `planned_at` also decides weekday and hour;
- explicit: an activity whose `commitment` column names a commitment id counts for that
  commitment only (if its planned day is in the period), whatever its kind, actor or place; rows
  with the column empty — or frames without it — are matched on the dimensions below;
- focus area and kind: equal;
- actor: a polis (kommun) commitment counts polis (kommun) activities and joint ("gemensam")
  ones — the police took part in a joint patrol; a gemensam commitment counts only joint
  activities, since a joint promise is kept only by doing it together;
- place: `place` = the activity's nearest locality is one of the named ones; `area` = its point
  lies inside the polygon; a commitment with a place never counts activities without one;
- weekdays / hours: the local planned weekday and start hour (see `layers.commitment`).

What is counted, by the end of local day `at`: `done` = status genomförd with done_at (or
planned_at when empty) by then; `planned` = status planerad, plus genomförd ones done after `at`
(they were still ahead on that day); `cancelled` = status inställd. A count commitment counts
activities, an hours commitment (`target_hours`) sums `duration_min / 60` of the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from ..commitment import Commitment
from ..config import PromiseConfig
from ..messages import format_number, template
from . import pace
from .frames import activity_frame, day, end_of_day_utc

#: The keys of one commitment in the follow-up JSON (`CommitmentProgress.row`), in order.
ROW_KEYS = ("id", "focus_area", "actor", "kind", "target", "done", "planned", "cancelled",
            "expected_by_now", "status", "periods")
#: The keys of one entry of `periods` (a quarter or a month of a recurring commitment).
PERIOD_KEYS = ("period", "start", "end", "target", "done", "planned", "cancelled", "expected_by_now", "status")


@dataclass(frozen=True)
class Tally:
    """Done, planned and cancelled amounts (activities or hours) and the pace for one period."""

    key: str
    start: dt.date
    end: dt.date
    target: float
    done: float
    planned: float
    cancelled: float
    expected_by_now: float
    status: str

    def row(self, hours: bool) -> dict:
        return {"period": self.key, "start": self.start.isoformat(), "end": self.end.isoformat(),
                **_amounts(self, hours)}


@dataclass(frozen=True)
class CommitmentProgress:
    """One commitment followed up at a date; `periods` holds each quarter/month when it recurs."""

    commitment: Commitment
    at: dt.date
    total: Tally
    periods: tuple[Tally, ...]
    #: Ids of the activities that count (any status): what a card click filters the map to.
    activity_ids: tuple[str, ...]

    @property
    def status(self) -> str:
        return self.total.status

    def status_label(self, lang: str = "sv") -> str:
        return pace.status_label(self.status, lang)

    def summary(self, lang: str = "sv") -> str:
        """The card line: "3 av 4 hastighetskontroller (i fas)", "249 av 260 timmar (i fas)"."""
        from ..aktiviteter import KIND_PLURAL

        lang = "en" if lang == "en" else "sv"
        hours = self.commitment.unit == "hours"
        done, target = (_hours_text(v, lang) if hours else str(int(round(v))) for v in (self.total.done, self.total.target))
        noun = template("commitment_hours", lang) if hours else KIND_PLURAL[lang][self.commitment.kind]
        return template("commitment_progress", lang).format(done=done, target=target, noun=noun,
                                                            status=self.status_label(lang))

    def row(self) -> dict:
        """The follow-up JSON entry (keys `ROW_KEYS`, in order)."""
        c = self.commitment
        hours = c.unit == "hours"
        amounts = _amounts(self.total, hours)
        return {"id": c.id, "focus_area": c.focus_area, "actor": c.actor, "kind": c.kind, **amounts,
                "periods": [p.row(hours) for p in self.periods]}


def _hours_text(value: float, lang: str) -> str:
    # One decimal, dropped when whole ("249", "12,5"); no digit grouping on the cards.
    text = format_number(value, lang, 1, grouping=False)
    return text.removesuffix(",0" if lang != "en" else ".0")


def _amount(value: float, hours: bool):
    return round(float(value), 1) if hours else int(round(value))


def _amounts(t: Tally, hours: bool) -> dict:
    return {"target": _amount(t.target, hours), "done": _amount(t.done, hours),
            "planned": _amount(t.planned, hours), "cancelled": _amount(t.cancelled, hours),
            "expected_by_now": round(float(t.expected_by_now), 2), "status": t.status}


def _dimension_mask(acts: pd.DataFrame, c: Commitment) -> np.ndarray:
    mask = (acts["focus_area"].to_numpy() == c.focus_area) & (acts["kind"].to_numpy() == c.kind)
    actor = acts["actor"].to_numpy()
    mask &= (actor == "gemensam") if c.actor == "gemensam" else np.isin(actor, [c.actor, "gemensam"])
    if c.places:
        mask &= np.isin(acts["locality_name"].to_numpy(), list(c.places))
    if c.area is not None:
        x, y = acts["x"].to_numpy(), acts["y"].to_numpy()
        placed = ~(np.isnan(x) | np.isnan(y))
        inside = np.zeros(len(acts), dtype=bool)
        if placed.any():
            inside[placed] = shapely.contains_xy(c.area, x[placed], y[placed])
        mask &= inside
    if c.weekdays:
        mask &= np.isin(acts["weekday"].to_numpy(), list(c.weekdays))
    if c.hours is not None:
        h = acts["hour"].to_numpy()
        lo, hi = c.hours
        mask &= ((h >= lo) & (h < hi)) if lo < hi else ((h >= lo) | (h < hi))
    return mask


def _in_days(acts: pd.DataFrame, start: dt.date, end: dt.date) -> np.ndarray:
    d = acts["day"].to_numpy()
    return (d >= day(start)) & (d <= day(end))


def matching_mask(acts: pd.DataFrame, c: Commitment) -> np.ndarray:
    """Which rows of `activity_frame(...)` count towards `c` (any status), by the module's rules."""
    explicit = acts["commitment"].to_numpy()
    named = explicit != ""
    mask = np.where(named, explicit == c.id, _dimension_mask(acts, c))
    return mask & _in_days(acts, c.period_start, c.period_end)


def _tally(acts: pd.DataFrame, rows: np.ndarray, c: Commitment, key: str, start: dt.date, end: dt.date,
           at: dt.date, done_by_at: np.ndarray) -> Tally:
    rows = rows & _in_days(acts, start, end)
    value = acts["hours"].to_numpy() if c.unit == "hours" else np.ones(len(acts))
    status = acts["status"].to_numpy()
    done_rows = rows & (status == "genomförd") & done_by_at
    planned_rows = rows & ((status == "planerad") | ((status == "genomförd") & ~done_by_at))
    cancelled_rows = rows & (status == "inställd")
    done = float(value[done_rows].sum())
    expected = pace.expected_by_now(c.target, start, end, at)
    return Tally(key=key, start=start, end=end, target=c.target, done=done,
                 planned=float(value[planned_rows].sum()), cancelled=float(value[cancelled_rows].sum()),
                 expected_by_now=expected, status=pace.status(done, c.target, expected, end, at))


def follow_commitment(acts: pd.DataFrame, c: Commitment, at: dt.date) -> CommitmentProgress:
    """Progress of one commitment at `at` from an `activity_frame(...)`."""
    rows = matching_mask(acts, c)
    done_by_at = (acts["done_t"] < end_of_day_utc(at)).to_numpy(dtype=bool)
    if c.per is None:
        total = _tally(acts, rows, c, f"{c.period_start}/{c.period_end}", c.period_start, c.period_end, at,
                       done_by_at)
        periods: tuple[Tally, ...] = ()
    else:
        periods = tuple(_tally(acts, rows, c, key, start, end, at, done_by_at)
                        for key, start, end in pace.pieces(c.period_start, c.period_end, c.per))
        done = sum(p.done for p in periods)
        total = Tally(
            key=f"{c.period_start}/{c.period_end}", start=c.period_start, end=c.period_end,
            target=sum(p.target for p in periods), done=done, planned=sum(p.planned for p in periods),
            cancelled=sum(p.cancelled for p in periods), expected_by_now=sum(p.expected_by_now for p in periods),
            status=pace.overall_status([p.status for p in periods], done))
    return CommitmentProgress(commitment=c, at=at, total=total, periods=periods,
                              activity_ids=tuple(acts["id"].to_numpy()[rows]))


def follow_commitments(config: PromiseConfig, activities: pd.DataFrame, at: dt.date,
                       kommun: str | None = None) -> list[CommitmentProgress]:
    """Every commitment of `config` followed up at `at`, in file order (activities as the store gives them)."""
    acts = activity_frame(activities, kommun or config.kommun)
    return [follow_commitment(acts, c, at) for c in config.commitments]


def commitment_rows(progress: list[CommitmentProgress]) -> list[dict]:
    """The `commitments` list of the follow-up JSON."""
    return [p.row() for p in progress]
