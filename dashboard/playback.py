"""Time playback over the promise period: its steps (weeks, months, or the role's published
periods) and how one press of play or one tick moves the dashboard's time filter (pure functions;
the filter itself is changed through the date picker, the path a user's own choice takes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

UNITS = ("week", "month")
#: How many ticks a step may wait for the filters to arrive before the playback counts the
#: filters as changed by hand and stops (a busy server draws slower than the tick).
MAX_WAIT_TICKS = 8

Step = tuple[str, str]  # inclusive ISO dates


def _month_after(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def calendar_steps(first: dt.date, last: dt.date, unit: str) -> list[tuple[dt.date, dt.date]]:
    """Weeks (Monday–Sunday) or calendar months from the one holding `first` to the one holding
    `last`, each cut to [first, last]."""
    if unit not in UNITS:
        raise ValueError(f"unknown playback step {unit!r}; one of {', '.join(UNITS)}")
    out = []
    start = first - dt.timedelta(days=first.weekday()) if unit == "week" else first.replace(day=1)
    while start <= last:
        after = start + dt.timedelta(days=7) if unit == "week" else _month_after(start)
        out.append((max(start, first), min(after - dt.timedelta(days=1), last)))
        start = after
    return out


def release_steps(blocks, first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The published blocks (layers.release.Block: start, end exclusive) that meet [first, last],
    whole: a role's cells layers are counted per whole published period only."""
    return [(b.start, b.end - dt.timedelta(days=1)) for b in sorted(blocks, key=lambda b: b.start)
            if b.start <= last and b.end > first]


def playback_steps(period: tuple[dt.date, dt.date], today: dt.date, unit: str, blocks=None,
                   cumulative: bool = False) -> list[Step]:
    """The time ranges the playback shows, in order: the promise period up to today by `unit`,
    or by the role's published `blocks` when it sees a chosen layer as cells (by `unit` while
    none is published in the period: its cells layers then show nothing in any step);
    `cumulative`: each from the first step's start."""
    first, last = period[0], min(period[1], today)
    if last < first:
        return []
    spans = release_steps(blocks, first, last) if blocks is not None else []
    if not spans:
        # Whole weeks or months up to the one holding today (the month under way is 'november'),
        # cut to the promise period only.
        spans = calendar_steps(first, period[1], unit)
        spans = [s for s in spans if s[0] <= last]
    if cumulative and spans:
        spans = [(spans[0][0], end) for _, end in spans]
    return [(a.isoformat(), b.isoformat()) for a, b in spans]


@dataclass(frozen=True)
class Play:
    """The playback's state (kept in the page's `play-state` store as a dict)."""

    playing: bool = False
    steps: tuple[Step, ...] = ()
    index: int = -1  # the step last sent to the filters
    before: Step | None = None  # the filters' range before that step was sent
    waited: int = 0  # ticks the current step has waited for the filters

    def to_dict(self) -> dict:
        return {"playing": self.playing, "steps": [list(s) for s in self.steps], "index": self.index,
                "before": list(self.before) if self.before else None, "waited": self.waited}

    @classmethod
    def from_dict(cls, data) -> Play:
        """From the browser's store: anything of the wrong shape is a stopped playback."""
        try:
            steps = tuple((str(a), str(b)) for a, b in data.get("steps") or ())
            before = data.get("before")
            index = int(data.get("index", -1))
            if not -1 <= index < max(len(steps), 1):
                return cls()
            return cls(playing=bool(data.get("playing")), steps=steps, index=index,
                       before=(str(before[0]), str(before[1])) if before else None, waited=int(data.get("waited", 0)))
        except (AttributeError, TypeError, ValueError, IndexError):
            return cls()


def shown_range(filters: dict | None) -> Step | None:
    """The custom range the filters hold (None: a preset, or nothing yet)."""
    if not filters or filters.get("preset") != "custom":
        return None
    return (filters.get("start"), filters.get("end"))


def press(play: Play, steps: list[Step], filters: dict | None) -> tuple[Play, Step | None]:
    """Play or pause pressed: (new state, the range to send to the filters or None)."""
    if play.playing:
        return Play(playing=False, steps=play.steps, index=play.index), None
    if not steps:
        return Play(), None
    # Resumed where it paused (the same steps), else from the start.
    resume = tuple(steps) == play.steps and 0 <= play.index < len(steps) - 1
    index = play.index + 1 if resume else 0
    return (Play(playing=True, steps=tuple(steps), index=index, before=shown_range(filters) or ("", "")),
            steps[index])


def tick(play: Play, filters: dict | None) -> tuple[Play, Step | None]:
    """One tick of the interval: the next step once the filters show the current one; a stop at
    the end, or when the filters show neither the step sent nor the range before it (changed by hand)."""
    if not play.playing or not play.steps:
        return Play(playing=False, steps=play.steps, index=play.index), None
    shown = shown_range(filters)
    expected = play.steps[play.index]
    if shown != expected:
        if play.waited + 1 >= MAX_WAIT_TICKS or (shown is not None and shown != play.before):
            return Play(playing=False, steps=play.steps, index=play.index), None
        return Play(True, play.steps, play.index, play.before, play.waited + 1), None
    if play.index + 1 >= len(play.steps):
        return Play(playing=False, steps=play.steps, index=play.index), None
    index = play.index + 1
    return Play(True, play.steps, index, expected), play.steps[index]


__all__ = ["MAX_WAIT_TICKS", "UNITS", "Play", "calendar_steps", "playback_steps", "press", "release_steps",
           "shown_range", "tick"]
