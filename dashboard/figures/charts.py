"""The charts: activities per focus area and reports over time, each titled with what it shows and how many."""

from __future__ import annotations

import math
import textwrap
from collections import Counter

import numpy as np
import pandas as pd

from layers.release import period_start

from ..data import AppData
from ..i18n import ACTORS, MONTHS, number, t
from .base import ACTOR_PATTERN, _font, _title, empty_figure

#: Type sizes of these charts (normal, presentation): the presentation screen gives each chart
#: about a quarter of a 1366×768 screen, where the map's 22 px would crowd its labels.
FONT_SIZE = (13, 16)
TITLE_SIZE = (15, 19)


def chart_font(big: bool) -> dict:
    return {**_font(big), "size": FONT_SIZE[big]}


def chart_title(what: str, counts: str, big: bool, note: str = "") -> dict:
    """'Rapporter över tid' above '12 i urvalet' (and a note): two short lines rather than one
    long one that Plotly would cut off on a narrow chart. The title sits above the plot and
    pushes the top margin as far as it needs (automargin), so the legend and plot never reach it."""
    size = TITLE_SIZE[big]
    text = f"{what}<br><span style='font-size:{round(size * 0.85)}px'>{counts}</span>"
    if note:
        # A long note on lines of its own: Plotly never wraps a title, it cuts it off.
        for line in textwrap.wrap(note, 60, break_long_words=False):
            text += f"<br><span style='font-size:{round(size * 0.7)}px'>{line}</span>"
    title = _title(text, big)
    return {**title, "font": {**title["font"], "size": size}, "automargin": True, "yref": "paper", "y": 1,
            "yanchor": "bottom", "pad": {"b": 10}}


def title_lines(figure: dict) -> list[str]:
    """A chart's title as the lines it shows, without markup (for tests and the report)."""
    import re

    text = figure["layout"].get("title", {}).get("text", "")
    return [re.sub(r"<[^>]+>", "", line) for line in text.split("<br>")]


def count_axis(title: str, top: float, big: bool) -> dict:
    """A count axis with whole-number ticks only (never 0,5) from 0, its title kept clear of
    the tick labels."""
    step = 1
    if top > 5:
        raw = top / 5
        power = 10 ** math.floor(math.log10(raw))
        step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return {"title": {"text": title, "standoff": 10}, "automargin": True, "gridcolor": "#DDDDDD",
            "rangemode": "tozero", "tick0": 0, "dtick": max(1, int(step)), "tickformat": ",d",
            "range": [0, max(1.0, top) * 1.08]}


def legend(big: bool) -> dict:
    """The legend to the right of the plot, top-aligned under the title: it pushes the right
    margin instead of covering the title, the bars or the tick labels."""
    return {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top", "traceorder": "normal",
            "font": chart_font(big), "bgcolor": "rgba(255,255,255,0)"}


def activities_title(done: int, planned: int, lang: str) -> str:
    """'5 genomförda, 1 planerad' (Swedish singular for one; English: '5 done, 1 planned')."""
    def counted(n: int, plural: str, one: str) -> str:
        return f"1 {t(one, lang)}" if n == 1 else t(plural, lang, n=number(n, lang))

    return f"{counted(done, 'n_done', 'status_done')}, {counted(planned, 'n_planned', 'status_planned')}"


def activities_figure(activities: pd.DataFrame, data: AppData, lang: str = "sv", big: bool = False) -> dict:
    """A bar per focus area: the activities done, stacked by actor, then the planned ones (a
    lighter, hatched part). Horizontal, so long names read across; in presentation mode
    (`big`) the focus areas carry their full wording from the promise."""
    # Counted in Python from the three columns: a few hundred rows, where selecting the frame's
    # rows and a pandas groupby of three categoricals cost ~10x more on every filter change.
    status = activities["status"].to_numpy(dtype=object)
    chosen = (status == "genomförd") | (status == "planerad")
    done = int((status == "genomförd").sum())
    planned = int((status == "planerad").sum())
    if not chosen.any():
        return empty_figure(t("empty_activities", lang), big)
    areas = list(data.config.focus_areas.values())
    focus = activities["focus_area"].to_numpy(dtype=object)[chosen]
    counts = Counter(zip(focus, status[chosen], activities["actor"].to_numpy(dtype=object)[chosen], strict=True))
    # One line each: a wrapped name needs more height than a low screen's chart has.
    names = [a.name(lang) if big else a.short(lang) for a in areas]
    colors = [a.color for a in areas]
    traces = []
    for actor in ACTORS[lang]:
        x = [int(counts.get((a.id, "genomförd", actor), 0)) for a in areas]
        traces.append({
            "type": "bar", "orientation": "h", "name": ACTORS[lang][actor], "y": names, "x": x,
            "customdata": [[a.id, "genomförd"] for a in areas], "meta": actor,
            "marker": {"color": colors, "line": {"color": "#111111", "width": 1},
                       "pattern": {"shape": ACTOR_PATTERN[actor], "fgcolor": "#111111", "solidity": 0.3}},
            "hovertemplate": f"%{{y}}<br>{ACTORS[lang][actor]} ({t('status_done', lang)}): %{{x}}<extra></extra>",
        })
    by_actor = [", ".join(f"{ACTORS[lang][actor]} {int(counts.get((a.id, 'planerad', actor), 0))}"
                          for actor in ACTORS[lang]) for a in areas]
    traces.append({
        "type": "bar", "orientation": "h", "name": t("planned_bar", lang), "y": names,
        "x": [int(sum(counts.get((a.id, "planerad", actor), 0) for actor in ACTORS[lang])) for a in areas],
        "customdata": [[a.id, "planerad", text] for a, text in zip(areas, by_actor, strict=True)], "meta": "planerad",
        "marker": {"color": colors, "opacity": 0.45, "line": {"color": "#111111", "width": 1},
                   "pattern": {"shape": ".", "fgcolor": "#111111", "solidity": 0.2}},
        "hovertemplate": f"%{{y}}<br>{t('status_planned', lang)}: %{{x}} (%{{customdata[2]}})<extra></extra>",
    })
    top = max(Counter(focus).values())
    return {
        "data": traces,
        "layout": {
            "title": chart_title(t("chart_activities", lang), activities_title(done, planned, lang), big),
            "barmode": "stack", "font": chart_font(big), "legend": legend(big),
            "xaxis": count_axis(t("count", lang), top, big),
            "yaxis": {"automargin": True, "autorange": "reversed"},
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10, "autoexpand": True}, "plot_bgcolor": "white",
            "bargap": 0.25,
            "meta": {"total": len(activities), "done": done, "planned": planned},
        },
    }


def block_label(block, lang: str = "sv", open_start: bool = False) -> str:
    """'okt 2026', 'okt–nov 2026', 'dec 2025–jan 2026', 'kv. 3 2026', '2026'; a series' first
    block (`open_start`, it also holds everything before) 't.o.m. dec 2024'."""
    def one(index: int) -> str:
        start = period_start(index, block.kind)
        if block.kind == "year":
            return str(start.year)
        if block.kind == "quarter":
            return t("quarter_label", lang, q=(start.month - 1) // 3 + 1, y=start.year)
        return f"{MONTHS[lang][start.month - 1]} {start.year}"

    if open_start:
        return t("up_to", lang, last=one(block.last))
    if block.first == block.last:
        return one(block.first)
    first, last = one(block.first), one(block.last)
    if block.kind == "month" and period_start(block.first, "month").year == period_start(block.last, "month").year:
        first = first.rsplit(" ", 1)[0]
    return f"{first}–{last}"


def compact_ticks(labels: list[str], bins: str, axis: str) -> dict:
    """Month bars labelled 'jan', 'feb' … with the year in the axis title ('Månad (2026)'); over
    several years each January by its year ('nov', 'dec', '2026', 'feb' …, 'Månad (2025–2026)'),
    so a year of months fits a narrow chart on one straight line of labels."""
    months = set(MONTHS["sv"]) | set(MONTHS["en"])
    single = all(len(label.split(" ")) == 2 and label.split(" ")[0] in months for label in labels)
    if bins == "week" or not labels or not single:
        # Weeks, and published blocks of several months ('okt–nov 2026'): labels as they are.
        return {"title": {"text": axis, "standoff": 8}, "tickangle": "auto"}
    parts = [label.rpartition(" ") for label in labels]
    one_year = parts[0][2] == parts[-1][2]
    januaries = {label for label in labels if label.split(" ")[0] in (MONTHS["sv"][0], MONTHS["en"][0])}
    text = [year if label in januaries and not one_year else month
            for label, (month, _, year) in zip(labels, parts, strict=True)]
    years = parts[0][2] if one_year else f"{parts[0][2]}–{parts[-1][2]}"
    return {"title": {"text": f"{axis} ({years})", "standoff": 8}, "tickmode": "array", "tickvals": labels,
            "ticktext": text, "tickangle": 0 if len(labels) <= 13 else "auto"}


def _month_label(key: int, lang: str) -> str:
    return f"{MONTHS[lang][key % 12]} {key // 12}"


def time_figure(reports: pd.DataFrame, data: AppData, lang: str = "sv", big: bool = False,
                policy=None, weekly: bool | None = None, release=None) -> dict:
    """Reports per month (per week when the range is short), stacked by layer.

    `reports` are rows of points-mode layers; `release` (a ReleaseSelection) holds a reduced
    role's cells-mode layers. With release layers in the chart the bins are the release's
    published blocks (whole months or quarters, merged where the release merged them), and
    the points layers are counted in the same bins (months after the last block get their own
    bar): a bar is always a whole published block, never a bin that silently lost data.
    `weekly`: weeks or months as chosen from the filter's period (None: weeks when the data
    span ≤ 120 days).
    """
    blocks_mode = release is not None and bool(release.layers)
    total = len(reports) + (release.total if release is not None else 0)
    if total == 0:
        figure = empty_figure(t("empty_reports", lang), big)
        figure["layout"]["meta"] = {"total": 0, "bins": "block" if blocks_mode else "month"}
        return figure
    monthly_only = policy is not None and policy.time_precision == "month"
    subtitle = ""
    if blocks_mode:
        labels, counts = _block_bins(reports, release, lang)
        kind = release.release.kind
        axis = t("month", lang) if kind == "month" else t("unit_" + kind, lang).capitalize()
        subtitle = t("time_release", lang, unit=t("unit_" + release.release.kind, lang))
        if release.merged:
            subtitle += "; " + t("release_merged", lang, unit=t("unit_" + release.release.kind, lang),
                                 k=release.release.k)
        bins = "block"
    else:
        days = reports["day_key"].to_numpy()
        if weekly is None:
            weekly = bool(days.max() - days.min() <= 120)
        weekly = weekly and not monthly_only
        keys = days - reports["weekday"].to_numpy() if weekly else reports["month_key"].to_numpy()
        step = 7 if weekly else 1
        # One bincount over (layer, bin) instead of a count per layer on the full frame.
        codes, layer_ids = pd.factorize(reports["layer"], sort=False)
        first = int(keys.min())
        all_keys = np.arange(first, int(keys.max()) + 1, step)
        bins_of = (keys - first) // step
        grid = np.bincount(codes * len(all_keys) + bins_of,
                           minlength=len(layer_ids) * len(all_keys)).reshape(len(layer_ids), len(all_keys))
        if weekly:
            labels = pd.to_datetime(all_keys, unit="D").strftime("%Y-%m-%d").tolist()
        else:
            labels = [_month_label(int(k), lang) for k in all_keys]
        counts = {str(lid): grid[i].tolist() for i, lid in enumerate(np.asarray(layer_ids, dtype=object))}
        axis = t("week", lang) if weekly else t("month", lang)
        bins = "week" if weekly else "month"
    traces = []
    for layer_id, spec in data.config.layers.items():
        if layer_id not in counts:
            continue
        traces.append({
            "type": "bar", "name": spec.name(lang), "x": labels, "y": counts[layer_id], "meta": layer_id,
            "marker": {"color": data.config.color(spec.focus_area)},
        })
    stacked = np.zeros(len(labels))
    for values in counts.values():
        stacked += np.array([v or 0 for v in values], dtype=float)
    return {
        "data": traces,
        "layout": {
            # The release's note is on the map too: the presentation screen leaves it off the chart.
            "title": chart_title(t("chart_time", lang), t("n_in_selection", lang, n=number(total, lang)), big,
                                 "" if big else subtitle),
            "barmode": "stack", "font": chart_font(big), "legend": legend(big),
            "xaxis": {"type": "category", "automargin": True, **compact_ticks(labels, bins, axis)},
            "yaxis": count_axis(t("count", lang), float(stacked.max()) if len(stacked) else 0.0, big),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10, "autoexpand": True}, "plot_bgcolor": "white",
            "meta": {"total": total, "bins": bins},
        },
    }


def _block_bins(reports: pd.DataFrame, release, lang: str) -> tuple[list[str], dict[str, list[int]]]:
    """Bars of the release's chosen blocks, with points-layer months placed in the block that
    holds them (a month outside every chosen block is a bar of its own)."""
    rel = release.release
    months = np.unique(reports["month_key"].to_numpy()) if len(reports) else np.array([], dtype="int64")
    published = set(rel.counts.loc[rel.counts["layer"].isin(release.layers), "block"])

    def span(b):
        return b.start.year * 12 + b.start.month - 1, b.end.year * 12 + b.end.month - 2

    # A block where nothing is published and no points fall has no bar to show (it says only
    # what the missing bars say): it is left off the axis.
    chosen = [i for i in release.blocks
              if i in published or ((months >= span(rel.blocks[i])[0]) & (months <= span(rel.blocks[i])[1])).any()]
    # Bins: (first month key, last month key, label), in time order; the first block of the
    # series starts at the first month key of any report (it holds everything before).
    bins = [(span(rel.blocks[i])[0] if not rel.open_start(rel.blocks[i]) else -1, span(rel.blocks[i])[1],
             block_label(rel.blocks[i], lang, rel.open_start(rel.blocks[i]))) for i in chosen]
    covered = {m for lo, hi, _ in bins for m in range(lo, hi + 1)}
    bins += [(int(m), int(m), _month_label(int(m), lang)) for m in months if int(m) not in covered]
    bins.sort()
    labels = [label for _, _, label in bins]
    lows = np.array([lo for lo, _, _ in bins])
    counts: dict[str, list[int]] = {}
    if len(reports):
        index = np.searchsorted(lows, reports["month_key"].to_numpy(), side="right") - 1
        layers = reports["layer"].to_numpy()
        for lid in pd.unique(layers):
            counts[str(lid)] = np.bincount(index[layers == lid], minlength=len(bins)).astype(int).tolist()
    by_block = release.by_block
    position = {i: labels.index(block_label(rel.blocks[i], lang, rel.open_start(rel.blocks[i]))) for i in chosen}
    for lid in release.layers:
        # No bar where nothing is published (a month not yet released, or a layer held back
        # below k): a 0 there would say something that is not known.
        values: list[int | None] = [None] * len(bins)
        mine = by_block[by_block["layer"] == lid]
        for block, count in zip(mine["block"], mine["count"], strict=True):
            if int(block) in position:
                values[position[int(block)]] = (values[position[int(block)]] or 0) + int(count)
        counts[lid] = values
    return labels, counts
