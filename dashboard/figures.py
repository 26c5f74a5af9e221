"""Pure figure builders: filtered frames in, Plotly figure dicts out (no Dash, no I/O)."""

from __future__ import annotations

import base64
import html
import json

import numpy as np
import pandas as pd
import shapely

from geodata import cell_id, cell_index, cell_rings_wgs84, parse_cell_id
from layers import aktiviteter
from layers.release import period_start

from .data import AppData
from .i18n import ACTORS, MONTHS, REPORT_STATUS, WEEKDAYS, number, t

#: Above this many report points the map draws counts per cell instead (browser and payload limits).
MAX_POINTS = 15_000
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
ACTOR_PATTERN = {"polis": "", "kommun": "/", "gemensam": "x"}


def typed(values, dtype: str = "f4") -> dict:
    """A numeric array in Plotly's compact base64 form (about half the bytes of JSON numbers)."""
    array = np.ascontiguousarray(np.asarray(values, dtype=np.dtype(dtype).newbyteorder("<")))
    return {"dtype": dtype, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}


def _font(big: bool) -> dict:
    return {"family": FONT, "size": 22 if big else 14, "color": "#111111"}


def empty_figure(message: str, big: bool = False) -> dict:
    """A figure that says in words why there is nothing to show (never a blank axis)."""
    return {
        "data": [],
        "layout": {
            "xaxis": {"visible": False}, "yaxis": {"visible": False},
            "annotations": [{
                "text": message, "showarrow": False, "xref": "paper", "yref": "paper",
                "x": 0.5, "y": 0.5, "font": {**_font(big), "size": 26 if big else 16},
            }],
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "font": _font(big), "paper_bgcolor": "white", "plot_bgcolor": "white",
        },
    }


def _title(text: str, big: bool) -> dict:
    return {"text": text, "x": 0.01, "xanchor": "left", "font": {**_font(big), "size": 24 if big else 15}}


# -- the map ---------------------------------------------------------------------
def _lines(geometry) -> tuple[list, list]:
    """lon/lat lists of all rings of a (multi)polygon, None between rings."""
    lons: list = []
    lats: list = []
    for ring in shapely.get_rings(shapely.get_parts(geometry)):
        coords = shapely.get_coordinates(ring)
        lons += [*np.round(coords[:, 0], 5).tolist(), None]
        lats += [*np.round(coords[:, 1], 5).tolist(), None]
    return lons, lats


def default_view(data: AppData) -> dict:
    minx, miny, maxx, maxy = data.municipality.bounds_wgs84
    # Zoom so the municipality fills a ~700 px map: 360° / 2^zoom per 512 px tile.
    span = max(maxx - minx, (maxy - miny) * 1.8)
    zoom = float(np.clip(np.log2(360 * 1.4 / span) - 0.3, 3, 15))
    return {"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2, "zoom": round(zoom, 2)}


def density_cell_m(zoom: float) -> int:
    """Cell size for the density view: finer when zoomed in."""
    if zoom >= 13:
        return 250
    if zoom >= 11:
        return 500
    if zoom >= 9.5:
        return 1000
    return 2000


def base_traces(data: AppData, lang: str) -> list[dict]:
    """Neighbours (faint), the boundary, and the localities (hover shows the name)."""
    traces = []
    nb_lon: list = []
    nb_lat: list = []
    for geom in data.neighbours.geometry:
        lo, la = _lines(geom)
        nb_lon += lo
        nb_lat += la
    traces.append({
        "type": "scattermap", "mode": "lines", "lon": nb_lon, "lat": nb_lat,
        "line": {"color": "#B0B0B0", "width": 1}, "hoverinfo": "skip",
        "name": t("neighbours", lang), "showlegend": False,
    })
    lo, la = _lines(data.municipality.geometry)
    traces.append({
        "type": "scattermap", "mode": "lines", "lon": lo, "lat": la,
        "line": {"color": "#222222", "width": 2.5}, "hoverinfo": "skip",
        "name": t("boundary", lang), "showlegend": False,
    })
    locs = data.localities
    traces.append({
        "type": "scattermap", "mode": "markers", "lon": locs["lon"].round(5).tolist(),
        "lat": locs["lat"].round(5).tolist(), "text": locs["name"].tolist(),
        "marker": {"size": 13, "color": "#444444", "opacity": 0.9},
        "hovertemplate": "<b>%{text}</b><extra></extra>", "name": t("localities", lang),
        "meta": "localities", "showlegend": True,
    })
    return traces


def hover_text(text: str, limit: int = 120) -> str:
    """Free text fit for a Plotly hover label: shortened, and escaped because Plotly reads a
    subset of HTML (<a href>, <b>, <br>) in labels; entities are shown as the characters."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True)


def _labelled(values: pd.Series, label) -> np.ndarray:
    """`label` of every value, called once per distinct value (categories, repeated texts)."""
    codes, uniques = pd.factorize(values, sort=False)
    labels = np.array([label(u) for u in uniques] + [""], dtype=object)
    return labels[codes]  # code -1 (a missing value) takes the last entry, ""


def point_traces(reports: pd.DataFrame, data: AppData, lang: str) -> list[dict]:
    """One trace per report layer, coloured by its focus area."""
    traces = []
    names = data.localities["name"].to_numpy()
    for layer_id, spec in data.config.layers.items():
        rows = reports[(reports["layer"].to_numpy() == layer_id) & ~np.isnan(reports["lon"].to_numpy())]
        if rows.empty:
            continue
        category = _labelled(rows["category"], lambda c, s=spec: s.category_label(c, lang))
        near = names[np.clip(rows["locality"].to_numpy(), 0, len(names) - 1)]
        columns = [category, rows["local_time"].to_numpy(), near]
        text = "description" in rows.columns
        if text:
            # Roles with free text may edit: the id lets a click fill the status form.
            columns.append(_labelled(rows["description"].fillna(""), hover_text))
            columns.append(rows["id"].astype(str).to_numpy())
        custom = np.column_stack(columns).tolist()
        traces.append({
            "type": "scattermap", "mode": "markers", "name": spec.name(lang),
            "lon": typed(rows["lon"]), "lat": typed(rows["lat"]), "customdata": custom,
            "marker": {"size": spec.style.size, "color": data.config.color(spec.focus_area),
                       "opacity": spec.style.opacity},
            "hovertemplate": (
                f"<b>{spec.name(lang)}</b><br>{t('hover_category', lang)}: %{{customdata[0]}}"
                f"<br>{t('hover_time', lang)}: %{{customdata[1]}}"
                f"<br>{t('hover_near', lang)}: %{{customdata[2]}}"
                + ("<br>%{customdata[3]}" if text else "") + "<extra></extra>"
            ),
            "meta": layer_id, "legendgroup": layer_id,
        })
    return traces


def density_trace(reports: pd.DataFrame, data: AppData, lang: str, size_m: int, bounds=None,
                  color: str = "#333333") -> dict | None:
    """Counts per square cell as a choropleth (sent instead of points when there are many)."""
    x = reports["x"].to_numpy()
    y = reports["y"].to_numpy()
    ok = ~np.isnan(x)
    if bounds is not None:
        lon = reports["lon"].to_numpy()
        lat = reports["lat"].to_numpy()
        ok = ok & ((lon >= bounds[0]) & (lon <= bounds[2]) & (lat >= bounds[1]) & (lat <= bounds[3]))
    if not ok.any():
        return None
    ix, iy = cell_index(x[ok], y[ok], size_m)
    cells = pd.DataFrame({"ix": ix, "iy": iy}).value_counts().reset_index(name="n")
    ids = cell_id(cells["ix"], cells["iy"], size_m).tolist()
    rings = np.round(cell_rings_wgs84(cells["ix"], cells["iy"], size_m), 5)
    features = [
        {"type": "Feature", "id": cid, "geometry": {"type": "Polygon", "coordinates": [ring.tolist()]}}
        for cid, ring in zip(ids, rings, strict=True)
    ]
    return {
        "type": "choroplethmap", "geojson": {"type": "FeatureCollection", "features": features},
        "locations": ids, "z": typed(cells["n"], "i4"), "featureidkey": "id",
        "colorscale": [[0, "#FFFFFF"], [1, color]], "zmin": 0,
        "marker": {"opacity": 0.75, "line": {"width": 0.5, "color": "#666666"}},
        "colorbar": {"title": {"text": t("count", lang)}, "thickness": 12, "len": 0.5},
        "hovertemplate": f"{t('count', lang)}: %{{z}}<extra>{t('density', lang)}</extra>",
        "name": t("density", lang), "meta": "density", "showlegend": False,
    }


def cells_traces(cells: pd.DataFrame, data: AppData, lang: str, cell_m: int) -> list[dict]:
    """Cells-mode layers as squares of the role's grid: only cells with at least k reports
    (privacy.aggregate_cells), one trace per layer in its focus-area colour."""
    traces = []
    if cells is None or cells.empty:
        return traces
    names = {lid: spec for lid, spec in data.config.layers.items()}
    for layer_id in pd.unique(cells["layer"]):
        rows = cells[cells["layer"].to_numpy() == layer_id]
        spec = names.get(layer_id)
        label = spec.name(lang) if spec else str(layer_id)
        color = data.config.color(spec.focus_area) if spec else "#333333"
        ids = rows["cell_id"].astype(str).tolist()
        ix = np.array([parse_cell_id(c)[1] for c in ids])
        iy = np.array([parse_cell_id(c)[2] for c in ids])
        rings = np.round(cell_rings_wgs84(ix, iy, cell_m), 5)
        features = [
            {"type": "Feature", "id": cid, "geometry": {"type": "Polygon", "coordinates": [ring.tolist()]}}
            for cid, ring in zip(ids, rings, strict=True)
        ]
        custom = np.column_stack([rows["locality"].astype(str).to_numpy()]).tolist()
        traces.append({
            "type": "choroplethmap", "geojson": {"type": "FeatureCollection", "features": features},
            "locations": ids, "z": rows["count"].astype(int).tolist(), "featureidkey": "id",
            "customdata": custom, "colorscale": [[0, color], [1, color]], "showscale": False,
            "marker": {"opacity": 0.55, "line": {"width": 1.5, "color": "#111111"}},
            "hovertemplate": (
                f"<b>{label}</b><br>{t('cell_count', lang, size=cell_m)}: %{{z}}"
                f"<br>{t('hover_near', lang)}: %{{customdata[0]}}<extra></extra>"
            ),
            "name": t("cells_layer", lang, name=label), "meta": f"cells:{layer_id}", "showlegend": True,
        })
    return traces


def _cells_layers(policy, data: AppData) -> set[str]:
    if policy is None:
        return set()
    return {lid for lid in data.config.layers if policy.mode(lid) == "cells"}


def activity_traces(activities: pd.DataFrame, data: AppData, lang: str) -> list[dict]:
    """Activities with a place: a dark halo under a focus-coloured dot."""
    rows = activities[~np.isnan(activities["x"].to_numpy())]
    if rows.empty:
        return []
    colors = [data.config.color(a) for a in rows["focus_area"]]
    kind = rows["kind"].map(lambda k: aktiviteter.KIND_EN.get(k, k) if lang == "en" else k).to_numpy()
    actor = rows["actor"].map(ACTORS[lang]).to_numpy()
    status = rows["status"].map(
        lambda s: aktiviteter.STATUS_EN.get(s, s) if lang == "en" else s
    ).to_numpy()
    custom = np.column_stack([kind, actor, status, rows["local_time"].to_numpy()]).tolist()
    lon, lat = typed(rows["lon"]), typed(rows["lat"])
    size = aktiviteter.STYLE.size
    name = t("layer_activities", lang)
    return [
        {"type": "scattermap", "mode": "markers", "lon": lon, "lat": lat, "hoverinfo": "skip",
         "marker": {"size": size + 5, "color": "#111111"}, "showlegend": False,
         "legendgroup": "aktivitet", "meta": "aktivitet-halo", "name": name},
        {"type": "scattermap", "mode": "markers", "lon": lon, "lat": lat, "customdata": custom,
         "marker": {"size": size, "color": colors, "opacity": aktiviteter.STYLE.opacity},
         "hovertemplate": (
             f"<b>%{{customdata[0]}}</b><br>{t('hover_actor', lang)}: %{{customdata[1]}}"
             f"<br>{t('hover_status', lang)}: %{{customdata[2]}}"
             f"<br>{t('hover_time', lang)}: %{{customdata[3]}}<extra></extra>"
         ),
         "name": name, "legendgroup": "aktivitet", "meta": "aktivitet"},
    ]


def selection_trace(selection: dict | None, lang: str) -> list[dict]:
    if not selection or selection.get("type") != "polygon":
        return []
    coords = selection["coords"]
    ring = [*coords, coords[0]]
    return [{
        "type": "scattermap", "mode": "lines", "lon": [c[0] for c in ring], "lat": [c[1] for c in ring],
        "line": {"color": "#000000", "width": 3}, "hoverinfo": "skip", "name": t("selection", lang),
        "meta": "selection", "showlegend": False,
    }]


def map_figure(
    data: AppData, reports: pd.DataFrame, activities: pd.DataFrame, *, lang: str = "sv",
    mode: str = "auto", view: dict | None = None, selection: dict | None = None,
    show_activities: bool = True, basemap: bool = False, big: bool = False,
    density_color: str = "#333333", max_points: int = MAX_POINTS, bounds=None,
    cells: pd.DataFrame | None = None, scattered: pd.DataFrame | None = None, cell_m: int = 500,
    other: pd.DataFrame | None = None,
) -> dict:
    """The municipality map: base, then reports as points or cells, activities, selection.

    `reports` are points the role may see exactly; `cells` are the role's aggregated cells
    (layers.privacy) of the cells-mode layers, drawn as squares; `scattered` is named in the note.
    """
    view = view or default_view(data)
    use_density = mode == "density" or (mode == "auto" and len(reports) > max_points)
    base = base_traces(data, lang)
    # Activities under the reports, localities on top: hotspots stay visible.
    traces = base[:2] + (activity_traces(activities, data, lang) if show_activities else [])
    if use_density:
        size = density_cell_m(view["zoom"])
        trace = density_trace(reports, data, lang, size, bounds, density_color)
        if trace:
            traces.append(trace)
        note = t("density_note", lang, n=number(len(reports), lang), size=size)
    else:
        traces += point_traces(reports, data, lang)
        note = t("points_note", lang, n=number(len(reports), lang))
    traces += cells_traces(cells, data, lang, cell_m)
    if cells is not None and (len(cells) or (scattered is not None and len(scattered))
                              or (other is not None and len(other))):
        note += " · " + cells_note(cells, scattered, data, lang, cell_m, other)
    traces += base[2:] + selection_trace(selection, lang)
    layers = []
    if basemap:
        layers.append({
            "sourcetype": "raster", "source": [OSM_TILES], "below": "traces",
            "sourceattribution": "© OpenStreetMap contributors",
        })
    layout = {
        "map": {"style": "white-bg", "center": {"lon": view["lon"], "lat": view["lat"]},
                "zoom": view["zoom"], "layers": layers},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "uirevision": "map",
        "dragmode": "select",
        "clickmode": "event",
        "font": _font(big),
        "legend": {"x": 0.01, "y": 0.99, "bgcolor": "rgba(255,255,255,0.85)", "font": _font(big)},
        "meta": {"mode": "density" if use_density else "points", "note": note},
    }
    return {"data": traces, "layout": layout}


def cells_note(cells: pd.DataFrame, scattered: pd.DataFrame | None, data: AppData, lang: str,
               cell_m: int, other: pd.DataFrame | None = None) -> str:
    """'Narkotika: 3 rutor om 500 m; spridda rapporter: Vaggeryd 6; övriga platser 7'."""
    parts = []
    layers = sorted(set(cells["layer"]) | (set(scattered["layer"]) if scattered is not None else set())
                    | (set(other["layer"]) if other is not None else set()),
                    key=list(data.config.layers).index)
    for layer_id in layers:
        spec = data.config.layers[layer_id]
        n = int((cells["layer"] == layer_id).sum())
        text = t("cells_note", lang, name=spec.name(lang), n=number(n, lang), size=cell_m)
        if scattered is not None:
            mine = scattered[scattered["layer"] == layer_id]
            if len(mine):
                text += "; " + t("scattered", lang) + ": " + ", ".join(
                    f"{row.locality} {number(row.count, lang)}" for row in mine.itertuples())
        if other is not None:
            rest = int(other.loc[other["layer"] == layer_id, "count"].sum())
            if rest:
                text += f"; {t('other_places', lang)} {number(rest, lang)}"
        parts.append(text)
    return " · ".join(parts)


# -- the charts ------------------------------------------------------------------
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


def heatmap_figure(reports: pd.DataFrame, lang: str = "sv", big: bool = False,
                   color: str = "#333333", policy=None, data: AppData | None = None, left_out=()) -> dict:
    """Weekday × hour counts of reports, for planning when to be present.

    `reports` are points-mode rows; `left_out` names the cells-mode layers in the view, which
    have no weekday or hour (said in the title). A role with month precision gets no
    weekday/hour chart at all.
    """
    if policy is not None and policy.time_precision == "month":
        return empty_figure(t("when_not_for_role", lang), big)
    suppress = _cells_layers(policy, data) if data is not None else set()
    present = set(pd.unique(reports["layer"])) if suppress else set()
    left_out = [lid for lid in (data.config.layers if data is not None else ())
                if lid in set(left_out) | (suppress & present)]
    if left_out:
        # Weekday × hour per cell would be counts far below k: cells-mode layers are not in it.
        reports = reports[~reports["layer"].isin(left_out).to_numpy()]
        if reports.empty:
            return empty_figure(t("when_cells_only", lang), big)
    if reports.empty:
        return empty_figure(t("empty_reports", lang), big)
    title = t("n_reports", lang, n=number(len(reports), lang))
    if left_out:
        title += " " + t("without_layers", lang, names=", ".join(data.config.layers[lid].name(lang)
                                                                  for lid in left_out))
    flat = reports["weekday"].to_numpy().astype(int) * 24 + reports["hour"].to_numpy().astype(int)
    z = np.bincount(flat, minlength=7 * 24).reshape(7, 24)
    return {
        "data": [{
            "type": "heatmap", "z": z.tolist(), "x": list(range(24)), "y": list(WEEKDAYS[lang]),
            "colorscale": [[0, "#FFFFFF"], [1, color]], "zmin": 0, "xgap": 1, "ygap": 1,
            "hovertemplate": f"%{{y}} kl. %{{x}}:00<br>{t('count', lang)}: %{{z}}<extra></extra>",
            "colorbar": {"thickness": 12},
        }],
        "layout": {
            "title": _title(title, big), "font": _font(big),
            "xaxis": {"title": {"text": t("hour", lang)}, "dtick": 2 if not big else 3},
            "yaxis": {"autorange": "reversed"},
            "margin": {"l": 60, "r": 10, "t": 50, "b": 50}, "plot_bgcolor": "white",
            "meta": {"total": len(reports)},
        },
    }


OTHER_PLACE = "__other__"


def _point_place_counts(reports: pd.DataFrame, names: np.ndarray, group_by: str, size: int) -> pd.DataFrame:
    """Points per (place, layer) with the nearest locality of each group's first point:
    counted on integer keys, so the frame of strings is as small as the number of places."""
    loc = reports["locality"].to_numpy()
    placed = loc >= 0
    layer_codes, layer_names = pd.factorize(reports["layer"], sort=False)
    if group_by == "cell":
        rows = np.flatnonzero(placed)
        if size == 500:
            ix, iy = reports["cell_ix"].to_numpy()[rows], reports["cell_iy"].to_numpy()[rows]
        else:
            ix, iy = cell_index(reports["x"].to_numpy()[rows], reports["y"].to_numpy()[rows], size)
        keys = np.column_stack([np.asarray(ix, dtype="int64"), np.asarray(iy, dtype="int64"), layer_codes[rows]])
        unique, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
        place = cell_id(unique[:, 0], unique[:, 1], size) if len(unique) else np.array([], dtype=object)
        layer = unique[:, 2]
        first = rows[first]
    else:
        n_layers = max(len(layer_names), 1)
        keys = (loc.astype("int64") + 1) * n_layers + layer_codes
        unique, first, counts = np.unique(keys, return_index=True, return_counts=True)
        place_index, layer = np.divmod(unique, n_layers)
        place_index -= 1
        place = np.where(place_index >= 0, names[np.clip(place_index, 0, len(names) - 1)], OTHER_PLACE)
    near_index = loc[first]
    near = np.where(near_index >= 0, names[np.clip(near_index, 0, len(names) - 1)], "")
    return pd.DataFrame({"place": np.asarray(place, dtype=object), "near": near.astype(object),
                         "layer": np.asarray(layer_names, dtype=object)[layer], "count": counts.astype("int64")})


def _place_layer_counts(reports: pd.DataFrame, data: AppData, group_by: str, policy, release
                        ) -> dict[tuple[str, str], list]:
    """{(place, layer): [count, near]}: points counted on integer keys, then the release's
    units; `near` is the first group's nearest locality (points before units)."""
    names = data.localities["name"].to_numpy()
    cells_mode = release is not None and bool(release.layers)
    size = policy.cell_m if (cells_mode and policy is not None) else 500
    totals: dict[tuple[str, str], list] = {}

    def add(places, nears, layers, counts) -> None:
        for place, near, layer, count in zip(places, nears, layers, counts, strict=True):
            entry = totals.get((place, layer))
            if entry is None:
                totals[(place, layer)] = [int(count), near]
            else:
                entry[0] += int(count)

    if len(reports):
        points = _point_place_counts(reports, names, group_by, size)
        add(points["place"], points["near"], points["layer"], points["count"])
    if cells_mode:
        units = release.per_unit
        if group_by == "cell":
            units = units[units["kind"] == "cell"]
            place = units["key"].to_numpy(dtype=object)
        else:
            place = np.where(units["kind"] == "kommun", OTHER_PLACE, units["locality"]).astype(object)
        add(place, units["locality"].to_numpy(dtype=object), units["layer"].to_numpy(dtype=object),
            units["count"].to_numpy(dtype="int64"))
    return totals


def place_counts(reports: pd.DataFrame, data: AppData, group_by: str = "locality", policy=None,
                 release=None) -> pd.DataFrame:
    """Reports per place and layer: columns place (locality name, cell id or OTHER_PLACE),
    layer, count, near (nearest locality), sorted by place and layer. Points-mode rows count
    one each; a release counts its units (a cell under its centre's locality, 'spridda' under
    their locality, the municipality's remainder as OTHER_PLACE). Per cell only cells count
    (a report without a cell has no row there)."""
    totals = _place_layer_counts(reports, data, group_by, policy, release)
    keys = sorted(totals)
    return pd.DataFrame({"place": [k[0] for k in keys], "layer": [k[1] for k in keys],
                         "count": [totals[k][0] for k in keys], "near": [totals[k][1] for k in keys]})


def places_rows(reports: pd.DataFrame, activities: pd.DataFrame, data: AppData,
                group_by: str = "locality", lang: str = "sv", limit: int | None = 10, policy=None,
                release=None) -> list[dict]:
    """Ranked places (locality or cell) by reports, with activities done there.

    Every count is a point the role sees or a whole published unit of its release
    (`place_counts`); per locality the places add up to the view's total (the remainder and
    reports without a place are the row 'Övriga platser i kommunen'). Ties keep the places'
    alphabetical order.
    """
    totals = _place_layer_counts(reports, data, group_by, policy, release)
    if not totals:
        return []
    names = data.localities["name"].to_numpy()
    cells_mode = release is not None and bool(release.layers)
    size = policy.cell_m if (cells_mode and policy is not None) else 500
    done = (activities["status"] == "genomförd").to_numpy() & ~np.isnan(activities["x"].to_numpy())
    acts: dict = {}
    if done.any():
        if group_by == "cell":
            ix, iy = cell_index(activities["x"].to_numpy()[done], activities["y"].to_numpy()[done], size)
            places = cell_id(ix, iy, size)
        else:
            places = names[activities["locality"].to_numpy()[done]]
        found, counts = np.unique(np.asarray(places, dtype=str), return_counts=True)
        acts = dict(zip(found.tolist(), counts.tolist(), strict=True))
    per_place: dict[str, dict[str, int]] = {}
    near: dict[str, str] = {}
    for place, layer in sorted(totals):
        count, first_near = totals[(place, layer)]
        per_place.setdefault(place, {})[layer] = count
        near.setdefault(place, first_near)
    ranked = sorted(((sum(layers.values()), place) for place, layers in per_place.items()),
                    key=lambda item: -item[0])
    ranked = [(total, place) for total, place in ranked if total > 0]
    if limit is not None:
        ranked = ranked[:limit]
    rows = []
    for total, place in ranked:
        if place == OTHER_PLACE:
            label = t("other_row", lang)
        elif group_by == "cell":
            # Name a cell by its nearest locality so people know where it is.
            label = f"{place} ({t('near', lang, name=near[place])})"
        else:
            label = place
        entry = {"place": label, "key": place, "total": int(total),
                 "activities_done": int(acts.get(place, 0)) if place != OTHER_PLACE else 0}
        layers = per_place[place]
        for layer_id in data.config.layers:
            entry[layer_id] = int(layers.get(layer_id, 0))
        rows.append(entry)
    return rows


def report_list(reports: pd.DataFrame, data: AppData, lang: str = "sv", limit: int = 15) -> list[dict]:
    """The latest reports the role may see one by one (points-mode rows only), newest first:
    time (at the role's precision), layer, category, nearest locality, status, and the
    description only when the frame holds it (roles with free text)."""
    if reports.empty:
        return []
    # The newest `limit` without sorting every row: all rows at or after the limit-th newest
    # time, then ties (same hour for a role with hour precision) by id, which says nothing
    # about order.
    t_ns = reports["t"].to_numpy()
    if len(t_ns) > limit:
        cutoff = np.partition(t_ns, len(t_ns) - limit)[len(t_ns) - limit]
        reports = reports[t_ns >= cutoff]
    # Within one cut time: the keyed hash order of a reduced role (ids may follow time), else id.
    tie = "order" if "order" in reports.columns else "id"
    rows = reports.sort_values(["t", tie], ascending=[False, True], kind="stable").head(limit)
    names = data.localities["name"].to_numpy()
    out = []
    for row in rows.itertuples(index=False):
        spec = data.config.layers.get(row.layer)
        entry = {
            "time": row.local_time,
            "layer": spec.name(lang) if spec else row.layer,
            "category": spec.category_label(row.category, lang) if spec else row.category,
            "place": names[row.locality] if row.locality >= 0 else "–",
            "status": REPORT_STATUS[lang].get(row.status, row.status),
        }
        if "description" in reports.columns:
            entry["description"] = "" if pd.isna(row.description) else str(row.description)
        out.append(entry)
    return out


def figure_bytes(figure: dict) -> int:
    """Size of a figure as Dash sends it (for benchmarks)."""
    from plotly.utils import PlotlyJSONEncoder

    return len(json.dumps(figure, cls=PlotlyJSONEncoder).encode("utf-8"))


__all__ = [
    "MAX_POINTS", "REPORT_STATUS", "activities_figure", "cells_traces", "default_view", "density_cell_m",
    "empty_figure", "figure_bytes", "heatmap_figure", "map_figure", "places_rows", "time_figure",
]
