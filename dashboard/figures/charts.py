"""The charts: activities per focus area and reports over time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from layers.release import period_start

from ..data import AppData
from ..i18n import ACTORS, MONTHS, number, t
from .base import ACTOR_PATTERN, _font, _title, empty_figure


def activities_figure(activities: pd.DataFrame, data: AppData, lang: str = "sv", big: bool = False) -> dict:
    """Bars per focus area: done and planned side by side, each stacked by actor."""
    rows = activities[activities["status"].isin(["genomförd", "planerad"]).to_numpy()]
    done = int((rows["status"] == "genomförd").sum())
    planned = int((rows["status"] == "planerad").sum())
    title = t("n_activities", lang, n=number(len(activities), lang), done=number(done, lang),
              planned=number(planned, lang))
    if rows.empty:
        return empty_figure(t("empty_activities", lang), big)
    areas = list(data.config.focus_areas.values())
    statuses = (("genomförd", t("status_done", lang)), ("planerad", t("status_planned", lang)))
    counts = rows.groupby(["focus_area", "status", "actor"]).size()
    x_area = [a.short(lang) for a in areas for _ in statuses]
    x_status = [label for _ in areas for _, label in statuses]
    custom = [[a.id, s] for a in areas for s, _ in statuses]
    traces = []
    for actor in ACTORS[lang]:
        y = [int(counts.get((a.id, s, actor), 0)) for a in areas for s, _ in statuses]
        traces.append({
            "type": "bar", "name": ACTORS[lang][actor], "x": [x_area, x_status], "y": y,
            "customdata": custom, "meta": actor,
            "marker": {
                "color": [a.color for a in areas for _ in statuses],
                "opacity": [1.0 if s == "genomförd" else 0.5 for _ in areas for s, _ in statuses],
                "line": {"color": "#111111", "width": 1},
                "pattern": {"shape": ACTOR_PATTERN[actor], "fgcolor": "#111111", "solidity": 0.3},
            },
            "hovertemplate": f"%{{x}}<br>{ACTORS[lang][actor]}: %{{y}}<extra></extra>",
        })
    return {
        "data": traces,
        "layout": {
            "title": _title(title, big), "barmode": "stack", "font": _font(big),
            # Legend above the plot and an axis that makes room for its labels: nothing is
            # cut off on a narrow chart or in presentation mode.
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": _font(big)},
            "xaxis": {"automargin": True},
            "yaxis": {"title": {"text": t("count", lang)}, "gridcolor": "#DDDDDD"},
            "margin": {"l": 60, "r": 10, "t": 90 if big else 75, "b": 10}, "plot_bgcolor": "white",
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
    title = t("n_reports", lang, n=number(total, lang))
    if total == 0:
        figure = empty_figure(t("empty_reports", lang), big)
        figure["layout"]["meta"] = {"total": 0, "bins": "block" if blocks_mode else "month"}
        return figure
    monthly_only = policy is not None and policy.time_precision == "month"
    subtitle = ""
    if blocks_mode:
        labels, counts = _block_bins(reports, release, lang)
        axis = t("unit_" + release.release.kind, lang)
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
    if subtitle:
        title += f"<br><sup>{subtitle}</sup>"
    return {
        "data": traces,
        "layout": {
            "title": _title(title, big), "barmode": "stack", "font": _font(big),
            "xaxis": {"title": {"text": axis}, "type": "category", "tickangle": -45, "automargin": True},
            "yaxis": {"title": {"text": t("count", lang)}, "gridcolor": "#DDDDDD", "rangemode": "tozero"},
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": _font(big)},
            "margin": {"l": 60, "r": 10, "t": 100 if big else 85, "b": 10}, "plot_bgcolor": "white",
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
