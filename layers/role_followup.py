"""The follow-up as one role may see it: `layers.followup` fed only what the role reads.

What each part is computed from, for a role's policy (`layers.privacy.policy`):

* **commitments**: every activity, the same for every role. Activities are the police's and
  the municipality's own work, not tips; the privacy rules reduce how an activity's *pin and
  time* are shown (`privacy.activities_view`), which the follow-up never shows. A count per
  commitment is what the promise itself publishes, and counting from pins moved to cell centres
  would drop activities from the road corridor they were done in.
* **focus areas**: a focus area whose report layers are all points-mode for the role is counted
  from those reports, as `layers.followup.compare` does (day windows cut at `at`). A focus area
  with a cells-mode layer (narcotics for bra) is counted from the role's published release only,
  whole blocks (`release_windows`): the period from its first day through the last published block
  that has ended by `at`, against the same number of months just before and the same months a
  year earlier. When a window is not a union of whole published blocks (a merged block crosses its
  edge, it lies before the release's origin, or nothing is published yet) the count is None and
  `notes` says why. A focus area whose layers are all hidden for the role is left out.
* **effects**: only for focus areas whose layers are all points-mode for the role. An effect
  compares counts inside a 150 m circle and a 300 m ring with a control; a release's 500 m cells
  and whole months cannot draw that ring, and counts at one place near k could reveal reports
  below k, so reduced roles see no effect on a cells-mode layer (narcotics for bra; none for
  allmanhet, who sees every layer as cells or not at all).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .config import PromiseConfig
from .followup import commitment_rows, effect_rows, evaluate_places, focus_area_changes, follow_commitments
from .followup.commitments import CommitmentProgress
from .followup.compare import ROW_KEYS as AREA_KEYS
from .followup.evaluate import PlaceEffect
from .messages import template
from .privacy import CELLS, HIDDEN, POINTS, Policy, policy
from .release import Release


@dataclass(frozen=True)
class RoleFollowUp:
    """One role's follow-up at `at`: the JSON contract (`result`) and what screens need beside it."""

    role: str
    config: PromiseConfig
    at: dt.date
    result: dict
    progress: list[CommitmentProgress]
    effects: list[PlaceEffect]
    #: Focus area id -> (first day, last day) its reports were counted over.
    windows: dict = field(default_factory=dict)
    #: Focus area id -> "points" or "release" (how it was counted).
    sources: dict = field(default_factory=dict)
    #: Notes in the language asked for: what the role does not see, and why a number is missing.
    notes: tuple[str, ...] = ()


def area_layers(config: PromiseConfig, area: str) -> list[str]:
    """The report layers that feed a focus area."""
    return [lid for lid, spec in config.layers.items() if spec.focus_area == area]


def _months_between(start: dt.date, end: dt.date) -> int | None:
    """Whole months from `start` (a first of month) to `end` (a first of month), else None."""
    if start.day != 1 or end.day != 1:
        return None
    return (end.year - start.year) * 12 + end.month - start.month


def _shift_months(value: dt.date, months: int) -> dt.date:
    index = value.year * 12 + value.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _text(message_id: str, lang: str, **values) -> str:
    return template(message_id, "en" if lang == "en" else "sv").format(**values)


def release_windows(release: Release, start: dt.date, end: dt.date, at: dt.date, lang: str = "sv"
                    ) -> tuple[dict[str, tuple[dt.date, dt.date] | None], str | None]:
    """The three compared windows as [first, day after last) of whole published blocks, and why
    not (in `lang`) when the current one cannot be formed (then every window is None)."""
    none = {"current": None, "previous": None, "last_year": None}
    last = min(end, at) + dt.timedelta(days=1)
    blocks = [b for b in release.blocks if b.start >= start and b.end <= last]
    starts = {b.start for b in release.blocks if not release.open_start(b)}
    if not blocks or blocks[0].start != start or start not in starts:
        if not any(b.end <= last and b.end > start for b in release.blocks):
            return none, _text("fu_why_nothing_published", lang)
        return none, _text("fu_why_not_block_start", lang)
    stop = blocks[-1].end
    months = _months_between(start, stop)
    if months is None:
        return none, _text("fu_why_not_months", lang)
    ends = {b.end for b in release.blocks}

    def whole(first: dt.date, after: dt.date):
        return (first, after) if first in starts and after in ends else None

    return {
        "current": (start, stop),
        "previous": whole(_shift_months(start, -months), start),
        "last_year": whole(_shift_months(start, -12), _shift_months(stop, -12)),
    }, None


def _release_count(release: Release, layers: list[str], window) -> int | None:
    if window is None:
        return None
    first, after = window
    inside = [i for i, b in enumerate(release.blocks) if b.start >= first and b.end <= after]
    counts = release.counts
    mask = counts["block"].isin(inside).to_numpy() & counts["layer"].isin(layers).to_numpy()
    return int(counts.loc[mask, "count"].sum())


def _row(area, reports: int | None, previous: int | None, last_year: int | None) -> dict:
    change = None if reports is None or last_year is None else reports - last_year
    pct = None if change is None or not last_year else round(100.0 * change / last_year, 1)
    row = {"id": area.id, "promise": area.promise, "reports": reports, "reports_previous": previous,
           "reports_last_year": last_year, "change": change, "change_pct": pct}
    return {key: row[key] for key in AREA_KEYS}


def role_follow_up(config: PromiseConfig, reports: pd.DataFrame, activities: pd.DataFrame, at: dt.date,
                   pol: Policy, release: Release | None = None, kommun: str | None = None,
                   lang: str = "sv") -> RoleFollowUp:
    """The follow-up for `pol` (module docstring); `release` is the role's current release
    (needed when it has a cells-mode layer), `reports`/`activities` the store's whole tables;
    the notes in `lang`."""
    kommun = kommun or config.kommun
    notes: list[str] = []
    progress = follow_commitments(config, activities, at, kommun=kommun)
    layers = np.asarray(reports["layer"], dtype=object) if len(reports) else np.array([], dtype=object)
    point_layers = [lid for lid in config.layers if pol.mode(lid) == POINTS]
    points = reports[np.isin(layers, point_layers)] if len(reports) else reports
    exact = focus_area_changes(config, points, at)
    areas, windows, sources, open_areas, hidden = [], {}, {}, [], []
    for change, area in zip(exact, config.focus_areas.values(), strict=True):
        mine = area_layers(config, area.id)
        modes = {pol.mode(lid) for lid in mine}
        if mine and modes == {HIDDEN}:
            notes.append(_text("fu_note_hidden", lang, area=area.id, role=pol.role))
            hidden.append(area.id)
            continue
        if CELLS not in modes:
            areas.append(change.row())
            windows[area.id] = (change.start, change.end)
            sources[area.id] = "points"
            open_areas.append(area.id)
            continue
        sources[area.id] = "release"
        if release is None:
            notes.append(_text("fu_note_no_release", lang, area=area.id, role=pol.role))
            areas.append(_row(area, None, None, None))
            continue
        spans, why = release_windows(release, config.period_start, config.period_end, at, lang)
        if why:
            notes.append(_text("fu_note_release_only", lang, area=area.id, role=pol.role, why=why, k=pol.k))
        else:
            first, after = spans["current"]
            windows[area.id] = (first, after - dt.timedelta(days=1))
            missing = [name for name in ("previous", "last_year") if spans[name] is None]
            if missing:
                windows_text = _text("fu_window_and", lang).join(_text(f"fu_window_{m}", lang) for m in missing)
                notes.append(_text("fu_note_window_left_out", lang, area=area.id, windows=windows_text,
                                   role=pol.role))
        cells = [lid for lid in mine if pol.mode(lid) == CELLS]
        counted = [_release_count(release, cells, spans[name]) for name in ("current", "previous", "last_year")]
        if any(pol.mode(lid) == POINTS for lid in mine) and spans["current"] is not None:
            # Points layers of the same area counted over the same whole-block windows.
            extra = points[np.isin(np.asarray(points["layer"], dtype=object), mine)]
            first, after = spans["current"]
            same = focus_area_changes(config, extra, after - dt.timedelta(days=1), start=first,
                                      end=after - dt.timedelta(days=1))
            add = next(c for c in same if c.id == area.id)
            counted = [None if n is None else n + a for n, a in
                       zip(counted, (add.reports, add.reports_previous, add.reports_last_year), strict=True)]
        areas.append(_row(area, *counted))
    effects = []
    if open_areas:
        effects = [e for e in evaluate_places(config, points, activities, at, kommun=kommun)
                   if e.place.focus_area in open_areas]
    withheld = [a for a in config.focus_areas if a not in open_areas and a not in hidden]
    if withheld and not pol.exact:
        notes.append(_text("fu_note_effects_withheld", lang, areas=", ".join(withheld), role=pol.role))
    # A focus area hidden for the role is hidden with its commitments (their done counts per
    # place would tell where its activities were).
    progress = [p for p in progress if p.commitment.focus_area not in hidden]
    result = {"commitments": commitment_rows(progress), "focus_areas": areas, "effects": effect_rows(effects)}
    return RoleFollowUp(pol.role, config, at, result, progress, effects, windows, sources, tuple(notes))


def store_follow_up(store, role: str, at: dt.date, config: PromiseConfig | None = None,
                    today: dt.date | None = None, lang: str = "sv") -> RoleFollowUp:
    """`role_follow_up` on a store's tables, with the role's current release (built first when
    the schedule says one is due, as the dashboard and `export` do); the notes in `lang`."""
    from .release_store import current_release

    config = config or store.config
    pol = policy(role, store.config.privacy, config.layers)
    reports = store.read_table("reports")
    activities = store.read_table("activities")
    release = None
    if any(pol.mode(lid) == CELLS for lid in config.layers):
        release = current_release(store, role, today or dt.date.today(), reports=reports)
    return role_follow_up(config, reports, activities, at, pol, release, kommun=store.meta.kommun, lang=lang)


__all__ = ["RoleFollowUp", "area_layers", "release_windows", "role_follow_up", "store_follow_up"]
