"""The meeting report's content: a pure data structure built from the role's frames (the same
`Views.get` the dashboard reads), so every number in the report is one the screen shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from layers import privacy

from .. import figures
from ..data import AppData
from ..filters import ACTIVITY_LAYER, FilterState
from ..i18n import number, t, vocab
from ..layout import kommun_title
from ..roles import RoleFrames
from .comparisons import base_window, compared, in_period, report_windows
from .paper_map import paper_map
from .period import Period, ReportError
from .scope import Scope, scope_words

#: Places listed per focus area (the "where" table shows ten on screen).
TOP_PLACES = 8
#: Months of the trend chart before and including the period's last month (a year report: its year).
TREND_MONTHS = 12


@dataclass(frozen=True)
class Place:
    name: str
    reports: int
    activities_done: int


@dataclass(frozen=True)
class FocusSection:
    """One focus area as the role sees it in the period."""

    id: str
    name: str
    color: str
    cells: bool  # some layer of it is shown to the role only as published cells
    reports: int
    previous: int
    sentence: str  # the summary's sentence for this focus area (against the period before)
    places: list[Place]
    places_note: str
    done: list[tuple[str, int]]  # (kind label, count) of activities done in the period
    planned: list[tuple[str, int]]
    #: (commitment text, progress line "3 av 4 hastighetskontroller (i fas)") as the promise cards show them.
    commitments: list[tuple[str, str]] = field(default_factory=list)
    figures: dict[str, dict] = field(default_factory=dict)  # "map", "trend", "when" -> Plotly figure
    #: The sentences against the same period last year and year to date against last year's.
    comparisons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    lang: str
    role: str
    role_name: str
    role_note: str
    title: str
    kommun: str
    police_area: str
    promise_start: dt.date
    promise_end: dt.date
    period: Period
    period_label: str
    made_on: dt.date
    demo: bool
    summary: list[str]
    sections: list[FocusSection]
    #: What the report counts, in words for the cover (the page's filters; the whole municipality).
    scope: list[str] = field(default_factory=list)


def _state(focus: tuple[str, ...], layers: tuple[str, ...], start: dt.date, end: dt.date, lang: str,
           selection: dict | None = None) -> FilterState:
    # The map selection goes through `Views.get` as the dashboard's: whole published cells for a
    # cells layer, so a small selection never counts below k for a reduced role.
    return FilterState(focus_areas=focus, layers=(*layers, ACTIVITY_LAYER), preset="custom",
                       start=start.isoformat(), end=end.isoformat(), lang=lang, selection=selection)


def _kind_counts(activities, status: str, lang: str) -> list[tuple[str, int]]:
    rows = activities[(activities["status"] == status).to_numpy()]
    if rows.empty:
        return []
    counts = rows["kind"].astype(str).value_counts()
    pairs = [(vocab("kind", str(kind), lang), int(n)) for kind, n in counts.items() if n]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def _commitments(follow_up, fid: str, lang: str) -> list[tuple[str, str]]:
    if follow_up is None:
        return []
    return [(p.commitment.text(lang), p.summary(lang)) for area in follow_up.areas if area.area.id == fid
            for p in area.commitments]


def _months_before(end: dt.date, months: int) -> dt.date:
    index = end.year * 12 + end.month - months
    return dt.date(index // 12, index % 12 + 1, 1)


def focus_sections(data: AppData, policy: privacy.Policy, scope: Scope | None = None) -> list[tuple[str, tuple[str, ...]]]:
    """(focus area, its layers the role may see) for every focus area the role sees at all,
    within the scope's focus areas and layers when it names them."""
    scope = scope or Scope()
    out = []
    for fid in data.config.focus_areas:
        if scope.focus_areas is not None and fid not in scope.focus_areas:
            continue
        layers = tuple(lid for lid, spec in data.config.layers.items()
                       if spec.focus_area == fid and policy.mode(lid) != privacy.HIDDEN
                       and (scope.layers is None or lid in scope.layers))
        if layers:
            out.append((fid, layers))
    return out


def build_content(data: AppData, get: Callable[[FilterState, str], RoleFrames], policy: privacy.Policy,
                  period: Period, lang: str, made_on: dt.date, with_figures: bool = True,
                  progress: Callable[[str], None] = lambda _: None, follow_up=None,
                  scope: Scope | None = None) -> Report:
    """The report for `policy.role` over `period`; `get` is the dashboard's `Views.get`;
    `follow_up`: the promise followed up for the role (`dashboard.promise.PromiseFollowUp`,
    as its cards show it), or None when the period is not in the promise's; `scope`: the
    page's filters (focus areas, layers, map selection), None for the whole municipality."""
    role = policy.role
    cfg = data.config
    scope = scope or Scope()
    areas = focus_sections(data, policy, scope)
    if not areas:
        raise ReportError(f"the filters choose no focus area or layer the role {role} may see; "
                          "choose at least one")
    all_focus = tuple(fid for fid, _ in areas)
    all_layers = tuple(lid for _, layers in areas for lid in layers)
    windows = report_windows(period, made_on, lang)
    selection = scope.selection

    def state(focus: tuple[str, ...], layers: tuple[str, ...], start: dt.date, end: dt.date) -> FilterState:
        return _state(focus, layers, start, end, lang, selection)

    def counter(focus: tuple[str, ...], layers: tuple[str, ...]):
        return lambda span: get(state(focus, layers, span[0], span[1]), role)

    whole = get(state(all_focus, all_layers, period.start, period.end), role)
    if whole.total == 0 and whole.activities.empty:
        where = "" if scope.whole else " in the chosen filters"
        choose = "another --period" if scope.whole else "another period or wider filters"
        raise ReportError(f"no reports or activities the role {role} may see in {period.code} "
                          f"({period.start} – {period.end}){where}; choose {choose}")
    everything = counter(all_focus, all_layers)
    summary = [compared(t("report_all_reports", lang), w, everything, lang) for w in windows]
    sections = []
    for fid, layers in areas:
        area = cfg.focus_areas[fid]
        progress(area.short(lang))
        frames = get(state((fid,), layers, period.start, period.end), role)
        count = counter((fid,), layers)
        before = count(windows[0].base)
        sentence, *others = [compared(area.short(lang), w, count, lang) for w in windows]
        summary.append(sentence)
        rows = figures.places_rows(frames.points, frames.activities, data, "cell", lang, limit=None,
                                   policy=frames.policy, release=frames.release)
        counted = sum(row["total"] for row in rows)
        places = [Place(row["place"], row["total"], row["activities_done"]) for row in rows[:TOP_PLACES]]
        note = t("places_total_cells", lang, n=number(counted, lang), total=number(frames.total, lang))
        cells = any(frames.policy.mode(lid) == privacy.CELLS for lid in layers)
        section = FocusSection(
            id=fid, name=area.name(lang), color=area.color, cells=cells, reports=frames.total,
            previous=before.total, sentence=sentence, places=places, places_note=note,
            done=_kind_counts(frames.activities, "genomförd", lang),
            planned=_kind_counts(frames.activities, "planerad", lang),
            commitments=_commitments(follow_up, fid, lang), comparisons=others,
        )
        if with_figures:
            section.figures.update(_figures(data, get, role, frames, fid, layers, period, lang, selection))
        sections.append(section)
    done = int((whole.activities["status"] == "genomförd").sum())
    planned = int((whole.activities["status"] == "planerad").sum())
    summary.append(t("report_activities_sentence", lang, done=number(done, lang), planned=number(planned, lang),
                     now=in_period(period, lang)))
    return Report(
        lang=lang, role=role, role_name=policy.name(lang),
        role_note="" if policy.exact else t("role_reduced", lang, k=policy.k),
        title=t("report_title", lang), kommun=kommun_title(data.municipality.name, lang),
        police_area=cfg.police_area or "–", promise_start=cfg.period_start, promise_end=cfg.period_end,
        period=period, period_label=period.label(lang), made_on=made_on, demo=data.demo,
        summary=summary, sections=sections, scope=scope_words(scope, data, lang, all_focus, all_layers),
    )


def _figures(data: AppData, get, role: str, frames: RoleFrames, fid: str, layers: tuple[str, ...],
             period: Period, lang: str, selection: dict | None = None) -> dict[str, dict]:
    """The dashboard's own chart builders on the section's frames; the map is drawn for paper
    (`paper_map`: plain SVG on SWEREF 99 TM, the whole municipality — the page is read without
    zooming, and a fitted view of few reports hides where they are)."""
    color = data.config.focus_areas[fid].color
    out = {"map": paper_map(data, frames, color, lang)}
    first = period.start if period.kind == "year" else _months_before(period.end, TREND_MONTHS)
    trend = get(_state((fid,), layers, first, period.end, lang, selection), role)
    out["trend"] = figures.time_figure(trend.points, data, lang, False, policy=trend.policy, weekly=False,
                                       release=trend.release)
    points_layers = [lid for lid in layers if frames.policy.mode(lid) == privacy.POINTS]
    if frames.policy.time_precision != privacy.MONTH and points_layers:
        # Weekday and hour exist only for points at hour precision or finer (allmanhet: month).
        out["when"] = figures.heatmap_figure(frames.points, lang, False, color, policy=frames.policy, data=data,
                                             left_out=frames.release.layers if frames.release is not None
                                             and frames.release.total else (),
                                             activities=frames.activities)
    return out


__all__ = ["FocusSection", "Place", "Report", "base_window", "build_content", "focus_sections", "in_period"]
