"""The demo's promise story (fictional): sustained patrols behind the stations' drop, and activities for the commitments.

- Sustained patrols: from `patrol_start` (the first Friday a year before the demo's end; the
  reports at the intervention spots drop from that day) a two-hour police patrol every Friday
  evening at each intervention spot (Vaggeryds and Skillingaryds station), planned ahead to the
  end of the promise period; about one in 25 is cancelled.
- For the built-in Vaggeryd commitments (by id, in the year of each commitment's period): the
  centres of Vaggeryd and Skillingaryd get a patrol every other Saturday evening (presence
  hours, not "sustained" by the follow-up's rule); speed checks each quarter on the old E4 (all
  done: klart) and riksväg 30 (Q4's still planned: i fas); two safety walks in Skillingaryd
  (klart), one of two in Vaggeryd with the second cancelled and not replaced (efter); and the
  schools' information effort only planned for December (ej påbörjat). An item dated after the
  demo's end is still planned, whatever the story says it becomes.

`keep_story_apart` moves background activities that would also count towards a commitment to the
year before, so the statuses above are what the follow-up shows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geodata import to_metric

#: (commitment id) → items (month, day, hour, outcome, place, duration_min); place is a hotspot or
#: a road name of the Vaggeryd demo.
STORY = {
    "hastighet-gamla-e4": [
        (2, 12, 9, "done", "road:Gamla E4, Klevshult", 150), (5, 20, 13, "done", "road:Gamla E4, Skillingaryd", 120),
        (9, 9, 10, "done", "road:Gamla E4, Skillingaryd", 150), (10, 22, 14, "done", "road:Gamla E4, Klevshult", 120),
    ],
    "hastighet-rv30": [
        (3, 11, 9, "done", "road:Riksväg 30, Hok", 120), (6, 16, 14, "done", "road:Riksväg 30, Hok", 150),
        (8, 27, 10, "done", "road:Riksväg 30, Hok", 120), (12, 8, 9, "planned", "road:Riksväg 30, Hok", 120),
    ],
    "trygghetsvandring-skillingaryd": [
        (4, 21, 18, "done", "Skillingaryd centrum", 120), (9, 29, 18, "done", "Skillingaryd, parken", 120),
    ],
    "trygghetsvandring-vaggeryd": [
        (4, 23, 18, "done", "Vaggeryd centrum", 120), (9, 24, 18, "cancelled", "Vaggeryd, park vid Hjortsjön", 120),
    ],
    "information-skolor": [
        (12, 3, 9, "planned", "Vaggeryd, skolområdet", 90), (12, 10, 9, "planned", "Skillingaryd, skolområdet", 90),
    ],
}
#: Every other Saturday evening in the centres: presence hours for "narvaro-helgkvallar".
CENTRE_PATROLS = ("Vaggeryd centrum", "Skillingaryd centrum")
PATROL_HOUR = 19
PATROL_MIN = 120
CENTRE_HOUR = 20
CENTRE_MIN = 90


def patrol_start(end: dt.date) -> dt.date:
    """The first Friday on or after the day a year before `end`: when the sustained patrols begin."""
    start = (pd.Timestamp(end) - pd.DateOffset(months=12)).date()
    return start + dt.timedelta(days=(4 - start.weekday()) % 7)


def _row(kind, actor, area, when: dt.datetime, minutes, outcome, x, y, sx, sy) -> dict:
    return {"focus_area": area, "actor": actor, "kind": kind, "planned_np": np.datetime64(when, "s"),
            "outcome": outcome, "duration_min": int(minutes), "x": x, "y": y, "spot_x": sx, "spot_y": sy}


def story_rows(rng, spots, roads, config, kommun: str, end: dt.date, until: dt.date) -> list[dict]:
    """The story's activities as rows (outcome "done" | "planned" | "cancelled" still to resolve)."""
    by_name = {s.name: s for s in spots}
    xy = {s.name: tuple(float(v[0]) for v in to_metric([s.lon], [s.lat])) for s in spots}
    rows: list[dict] = []
    first = patrol_start(end)
    fallback = next(iter(config.focus_areas))

    def area(focus):
        return focus if focus in config.focus_areas else fallback

    for spot in (s for s in spots if s.intervention):
        sx, sy = xy[spot.name]
        day = first
        while day <= until:
            outcome = "cancelled" if rng.random() < 0.04 else "done"
            rows.append(_row("närvaro/patrull", "polis", area("trygghet"), dt.datetime.combine(day, dt.time(PATROL_HOUR)),
                             PATROL_MIN, outcome, sx + rng.normal(0, 50), sy + rng.normal(0, 50), sx, sy))
            day += dt.timedelta(days=7)
    ids = {c.id: c for c in config.commitments}
    if kommun != config.kommun:
        return rows
    if "narvaro-helgkvallar" in ids:
        for name in CENTRE_PATROLS:
            if name not in by_name:
                continue
            sx, sy = xy[name]
            day = first + dt.timedelta(days=1)
            while day <= until:
                rows.append(_row("närvaro/patrull", "polis", area("trygghet"),
                                 dt.datetime.combine(day, dt.time(CENTRE_HOUR)), CENTRE_MIN, "done",
                                 sx + rng.normal(0, 60), sy + rng.normal(0, 60), sx, sy))
                day += dt.timedelta(days=14)
    for cid, items in STORY.items():
        c = ids.get(cid)
        if c is None:
            continue
        year = c.period_start.year
        for month, dom, hour, outcome, place, minutes in items:
            when = dt.datetime(year, month, dom, hour)
            if place.startswith("road:"):
                lat, lon = np.array(roads[place[5:]]).T
                rx, ry = to_metric(lon, lat)
                t = rng.uniform(0.25, 0.75)
                seg = np.concatenate([[0], np.cumsum(np.hypot(np.diff(rx), np.diff(ry)))])
                x = float(np.interp(t * seg[-1], seg, rx))
                y = float(np.interp(t * seg[-1], seg, ry))
                sx, sy = x, y
            else:
                sx, sy = xy[place]
                x, y = sx + rng.normal(0, 40), sy + rng.normal(0, 40)
            rows.append(_row(c.kind, c.actor, area(c.focus_area), when, minutes, outcome, x, y, sx, sy))
    return rows


def keep_story_apart(frame: pd.DataFrame, config, kommun: str, end: dt.date, to_iso) -> pd.DataFrame:
    """Move background rows that a commitment would count to 364 days earlier (same weekday).

    `to_iso` turns local datetime64 values into the store's ISO text (`demo._local_iso`).
    """
    from .followup.commitments import matching_mask
    from .followup.frames import activity_frame

    if kommun != config.kommun or not config.commitments or frame.empty:
        return frame
    probe = frame.assign(planned_at=to_iso(frame["planned_np"].to_numpy()), done_at="", status="planerad")
    acts = activity_frame(probe, kommun)
    hit = np.zeros(len(frame), dtype=bool)
    for c in config.commitments:
        hit |= matching_mask(acts, c)
    frame = frame.copy()
    frame.loc[hit, "planned_np"] = frame.loc[hit, "planned_np"] - np.timedelta64(364, "D")
    # Moved out of the future into the past: it has happened by now.
    past = hit & (frame["planned_np"] < np.datetime64(end + dt.timedelta(days=1), "s")).to_numpy()
    frame.loc[past & (frame["outcome"] == "planned").to_numpy(), "outcome"] = "done"
    return frame
