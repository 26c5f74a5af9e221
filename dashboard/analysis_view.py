"""The analysis views of the dashboard: indicator cards (period comparison in words) and Gi* hot
spots, each computed only from the role's frames (`Views.get` → RoleFrames)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from babel.dates import format_date

from layers import privacy
from layers.analysis.compare import comparison_windows, whole_blocks
from layers.messages import format_number

from .data import AppData
from .filters import FilterState, focus_of, time_range
from .i18n import number, t
from .roles import RoleFrames

Span = tuple[dt.date, dt.date]
Get = Callable[[FilterState], RoleFrames]


# -- words for periods and changes -----------------------------------------------------------
def span_words(first: dt.date, last: dt.date, lang: str) -> str:
    """'oktober 2026', 'kvartal 3 2026', '2026', else '1 januari – 30 november 2026'."""
    after = last + dt.timedelta(days=1)
    if first.day == 1 and after.day == 1:
        months = (after.year - first.year) * 12 + after.month - first.month
        if months == 1:
            return format_date(first, "LLLL y", locale=lang)
        if months == 3 and first.month % 3 == 1:
            return t("report_quarter", lang, q=(first.month - 1) // 3 + 1, year=first.year)
        if months == 12 and first.month == 1:
            return str(first.year)
    if first == last:
        return format_date(first, "d MMMM y", locale=lang)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{format_date(last, 'd MMMM y', locale=lang)}"
    left = format_date(first, "d MMMM" if first.year == last.year else "d MMMM y", locale=lang)
    return f"{left} – {format_date(last, 'd MMMM y', locale=lang)}"


def in_span(first: dt.date, last: dt.date, lang: str) -> str:
    """'i oktober 2026', 'under 2026', 'under 1 januari – 30 november 2026'."""
    words = span_words(first, last, lang)
    # A month or quarter is 'i' ('i oktober 2026'); a year or a run of days 'under' ('under 2025').
    named = not words[0].isdigit()
    return t("ind_in" if named else "ind_during", lang, when=words)


def pct_words(current: int, base: int, lang: str) -> str:
    """'−12 %', '+30 %', '±0 %' (whole percent; Swedish with a real minus sign)."""
    pct = 100.0 * (current - base) / base
    text = format_number(abs(pct), lang, decimals=0)
    if text in ("0", "-0"):
        return "±0 %"
    return ("+" if pct > 0 else "−" if lang != "en" else "-") + text + " %"


# -- counting a window from the role's frames ------------------------------------------------
def window_state(state: FilterState, span: Span) -> FilterState:
    """The filters with their time range set to `span` (a commitment's period would win over it:
    the cards compare the filters without one)."""
    return replace(state, preset="custom", start=span[0].isoformat(), end=span[1].isoformat(), commitment=None)


def _answerable(frames: RoleFrames, layer: str, span: Span) -> bool:
    """Whether the role's frames hold an exact count of `layer` over `span`: points layers at day
    or hour precision always; month precision and release layers only over whole periods (a
    release only over whole published blocks that do not also hold everything before)."""
    pol = frames.policy
    if pol.mode(layer) == privacy.CELLS:
        release = frames.release.release if frames.release is not None else None
        if release is None:
            return False
        found = whole_blocks(release.blocks, span)
        return found is not None and not any(release.open_start(release.blocks[i]) for i in found)
    if pol.time_precision == privacy.MONTH:
        after = span[1] + dt.timedelta(days=1)
        return span[0].day == 1 and after.day == 1
    return True


@dataclass(frozen=True)
class Below:
    """A release layer with nothing published in the window: fewer than k reports (or none)."""

    k: int


Count = int | Below | None


_EPOCH = dt.date(1970, 1, 1)


def _day_and_layer(frames: RoleFrames) -> tuple[np.ndarray, np.ndarray]:
    """The points' day numbers and layer ids as arrays, made once per frames: the eight windows
    of one set of cards count on the same frames (a text copy of the layer column per window
    was most of the cards' time)."""
    found = _ARRAYS.get(id(frames))
    if found is None or found[0] is not frames:
        points = frames.points
        found = (frames, points["day_key"].to_numpy(), points["layer"].astype(str).to_numpy())
        _ARRAYS.clear()  # one entry: the frames of the cards being built now
        _ARRAYS[id(frames)] = found
    return found[1], found[2]


_ARRAYS: dict[int, tuple] = {}


def layer_counts(frames: RoleFrames, layers: tuple[str, ...], span: Span) -> dict[str, Count]:
    """Reports per layer over `span` from frames fetched for a range holding it (points by their
    local day as the role sees it; release layers as the sum of the whole published blocks that
    tile `span`); None where the frames cannot say exactly, `Below(k)` where the release
    publishes nothing (a release never says 0: fewer than k or none)."""
    day, kind = _day_and_layer(frames)
    in_span = (day >= (span[0] - _EPOCH).days) & (day <= (span[1] - _EPOCH).days)
    out: dict[str, Count] = {}
    for lid in layers:
        if not _answerable(frames, lid, span):
            out[lid] = None
        elif frames.policy.mode(lid) == privacy.CELLS:
            release = frames.release
            tiles = whole_blocks(release.release.blocks, span)
            units = release.units
            n = int(units.loc[(units["layer"] == lid).to_numpy() & units["block"].isin(tiles).to_numpy(),
                              "count"].sum()) if lid in release.layers else 0
            out[lid] = n if n else Below(int(release.release.k))
        else:
            out[lid] = int((in_span & (kind == lid)).sum())
    return out


@dataclass(frozen=True)
class Comparison:
    name: str  # layers.analysis.compare.COMPARISONS
    current: Span
    base: Span
    counts: dict[str, Count]  # layer -> count in the current window
    base_counts: dict[str, Count]


@dataclass(frozen=True)
class CardLine:
    subject: str
    main: str  # 'Hastighetsklagomål: 84 i oktober 2026, −12 % mot september 2026, …'
    more: str  # 'Hittills i år: …; senaste 28 dagarna: …'


@dataclass(frozen=True)
class Card:
    focus_area: str
    title: str
    color: str
    total: CardLine
    layers: tuple[CardLine, ...]


def card_layers(state: FilterState, data: AppData, pol: privacy.Policy) -> dict[str, tuple[str, ...]]:
    """focus area -> the chosen report layers the role sees, for the focus areas shown."""
    out = {}
    for fid in focus_of(replace(state, commitment=None), data):
        lids = tuple(lid for lid, spec in data.config.layers.items()
                     if spec.focus_area == fid and lid in state.layers and pol.mode(lid) != privacy.HIDDEN)
        if lids:
            out[fid] = lids
    return out


def comparisons(get: Get, state: FilterState, data: AppData, today: dt.date, layers: tuple[str, ...]
                ) -> list[Comparison]:
    """The four comparisons (layers.analysis.compare) of the filters' period, each window
    counted from the role's own frames (one view over all of them)."""
    start, end = time_range(replace(state, commitment=None), data, today)
    if start is None or end is None:
        # No period chosen ("all"): only year to date and the last 28 days have a meaning.
        windows = comparison_windows(today, today, today)
        windows = {k: v for k, v in windows.items() if k in ("ytd", "28d")}
    else:
        windows = comparison_windows(start, end, today)
    known = {name: spans for name, spans in windows.items() if spans is not None}
    if not known:
        return []
    # One role view over every window together, counted per window: the same frames the
    # dashboard draws, computed once instead of eight times.
    every = [day for spans in known.values() for span in spans for day in span]
    frames = get(window_state(state, (min(every), max(every))))
    return [Comparison(name, current, base, layer_counts(frames, layers, current), layer_counts(frames, layers, base))
            for name, (current, base) in known.items()]


def _total(counts: dict[str, Count], layers) -> Count:
    """The layers together: unknown if one is; fewer than k only when each is 0 or fewer than k
    (a sum with one such part would read as exact: unknown)."""
    values = [counts[lid] for lid in layers]
    if any(v is None for v in values):
        return None
    below = [v for v in values if isinstance(v, Below)]
    if below:
        return below[0] if all(isinstance(v, Below) or v == 0 for v in values) and len(below) == 1 else None
    return int(sum(values))


def _n(value: Count, lang: str) -> str:
    return t("ind_below_k", lang, k=value.k) if isinstance(value, Below) else number(value, lang)


def _versus(current: Count, base: Count, span: Span, lang: str) -> str:
    words = span_words(*span, lang)
    if current is None or base is None:
        return t("ind_vs_unknown", lang, base=words)
    if isinstance(current, Below) or isinstance(base, Below):
        return t("ind_vs_below", lang, base=words, m=_n(base, lang))
    if base == 0:
        return t("ind_vs_zero", lang, base=words)
    return t("ind_vs", lang, pct=pct_words(current, base, lang), base=words, m=number(base, lang))


def card_line(subject: str, found: list[Comparison], layers, lang: str) -> CardLine:
    """The sentences of one layer (or a focus area's layers together)."""
    by = {c.name: c for c in found}
    main = ""
    head = by.get("previous") or by.get("last_year")
    if head is not None:
        n = _total(head.counts, layers)
        if n is None:
            main = t("ind_now_unknown", lang, subject=subject, when=span_words(*head.current, lang))
        else:
            when = in_span(*head.current, lang)
            # A whole year's previous period is last year: said once.
            names = [k for k in ("previous", "last_year") if k in by]
            if len(names) == 2 and by["previous"].base == by["last_year"].base:
                names = ["previous"]
            parts = [_versus(n, _total(by[k].base_counts, layers), by[k].base, lang) for k in names]
            main = t("ind_now", lang, subject=subject, n=_n(n, lang), when=when) + ", " + ", ".join(parts)
    more = []
    for name in ("ytd", "28d"):
        c = by.get(name)
        if c is None:
            continue
        n = _total(c.counts, layers)
        label = t(f"ind_{name}", lang)
        if n is None:
            more.append(t("ind_more_unknown", lang, label=label))
        else:
            more.append(t("ind_more", lang, label=label, n=_n(n, lang),
                          vs=_versus(n, _total(c.base_counts, layers), c.base, lang)))
    if not main:
        main = subject + ": " + "; ".join(more)
        more = []
    return CardLine(subject=subject, main=main, more="; ".join(more))


def indicator_cards(get: Get, state: FilterState, data: AppData, today: dt.date) -> list[Card]:
    """One card per focus area shown: its chosen layers together, then each layer."""
    frames = get(replace(state, commitment=None))
    chosen = card_layers(state, data, frames.policy)
    every = tuple(lid for lids in chosen.values() for lid in lids)
    if not every:
        return []
    found = comparisons(get, state, data, today, every)
    cards = []
    for fid, lids in chosen.items():
        area = data.config.focus_areas[fid]
        lines = tuple(card_line(data.config.layers[lid].name(state.lang), found, (lid,), state.lang)
                      for lid in lids) if len(lids) > 1 else ()
        subject = area.name(state.lang) if len(lids) > 1 else data.config.layers[lids[0]].name(state.lang)
        cards.append(Card(focus_area=fid, title=area.name(state.lang), color=area.color,
                          total=card_line(subject, found, lids, state.lang), layers=lines))
    return cards


__all__ = ["Below", "Card", "CardLine", "Comparison", "card_line", "comparisons", "indicator_cards",
           "in_span", "layer_counts", "pct_words", "span_words", "window_state"]
