"""The map figure: base map, report points, density and cells, activities, the selection."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import shapely

from geodata import cell_id, cell_index, cell_place_names, cell_rings_wgs84, parse_cell_id, place_names
from layers import aktiviteter

from ..data import AppData
from ..i18n import ACTORS, number, t
from .base import MAX_POINTS, OSM_TILES, _font, typed

#: The map legend's type size in presentation mode (the charts' type stays larger).
MAP_LEGEND_BIG_PX = 16


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


#: Web Mercator as MapLibre draws it: 512 px tiles, so a zoom-z world is 512·2^z px wide.
TILE_PX = 512
#: The map's size in px when the browser has not told it yet: about the smallest map box of
#: dashboard.layout, so that a fitted selection is not cut off on a small screen.
MAP_PX = (560, 400)
#: The scale bar's first place, before the browser sent the map's corners, is in the lower
#: left of a box this big around the centre: inside the map whatever its size.
SAFE_PX = (400, 300)
METRES_PER_DEGREE = 111_320.0


def fit_view(west: float, south: float, east: float, north: float, size_px=MAP_PX) -> dict:
    """The centre and zoom that show this box whole on a map of `size_px` (a margin around)."""
    lat = (south + north) / 2
    span_lon = max(east - west, 1e-4)
    span_lat = max(north - south, 1e-4) / max(np.cos(np.radians(lat)), 0.1)
    zoom = min(np.log2(360 * size_px[0] / (TILE_PX * span_lon)), np.log2(360 * size_px[1] / (TILE_PX * span_lat)))
    return {"lon": round((west + east) / 2, 5), "lat": round(lat, 5), "zoom": round(float(np.clip(zoom - 0.3, 3, 16)), 2)}


def data_view(points: pd.DataFrame, activities: pd.DataFrame | None = None, cells: pd.DataFrame | None = None,
              cell_m: int = 500) -> dict | None:
    """The view that fits everything the map draws for these frames (points, activities with a
    place, the role's cells), or None when there is nothing with a place."""
    lons: list = []
    lats: list = []
    for frame in (points, activities):
        if frame is not None and len(frame):
            ok = ~np.isnan(frame["lon"].to_numpy(dtype=float))
            lons += frame["lon"].to_numpy(dtype=float)[ok].tolist()
            lats += frame["lat"].to_numpy(dtype=float)[ok].tolist()
    if cells is not None and len(cells):
        parsed = [parse_cell_id(str(c)) for c in cells["cell_id"]]
        rings = cell_rings_wgs84(np.array([p[1] for p in parsed]), np.array([p[2] for p in parsed]), cell_m)
        lons += rings[:, :, 0].ravel().tolist()
        lats += rings[:, :, 1].ravel().tolist()
    if not lons:
        return None
    return fit_view(min(lons), min(lats), max(lons), max(lats))


def view_extent(view: dict, bounds=None, size_px=MAP_PX) -> tuple[float, float, float, float]:
    """(west, south, east, north) on screen: the browser's own corners when it sent them,
    else what a map of `size_px` shows at this centre and zoom."""
    if bounds:
        return tuple(bounds)
    degrees_per_px = 360 / (TILE_PX * 2 ** view["zoom"])
    half_w = degrees_per_px * size_px[0] / 2
    half_h = degrees_per_px * size_px[1] / 2 * np.cos(np.radians(view["lat"]))
    return view["lon"] - half_w, view["lat"] - half_h, view["lon"] + half_w, view["lat"] + half_h


def nice_length(limit_m: float) -> int:
    """The longest of 1, 2, 5 × 10^n metres that is at most `limit_m`."""
    step = 10 ** int(np.floor(np.log10(max(limit_m, 1))))
    return int(next(f * step for f in (5, 2, 1) if f * step <= max(limit_m, 1)))


def scale_label(metres: int, lang: str) -> str:
    return f"{number(metres // 1000, lang)} km" if metres >= 1000 else f"{number(metres, lang)} m"


def scale_bar_traces(view: dict, bounds=None, lang: str = "sv", big: bool = False) -> list[dict]:
    """A scale bar in the lower left corner, drawn on the map itself: a line of a round
    length in metres at that latitude, so its label stays true while the map is zoomed (the
    bar grows with it) until the next view moves it and picks a new length. Two traces, the
    line and its label (Plotly draws no text on a line trace)."""
    west, south, east, north = view_extent(view, bounds, SAFE_PX)
    lat = south + 0.07 * (north - south)
    lon = west + 0.04 * (east - west)
    metres_per_lon = METRES_PER_DEGREE * np.cos(np.radians(lat))
    length = nice_length((east - west) * metres_per_lon * 0.22)
    dlon = length / metres_per_lon
    tick = 0.015 * (north - south)
    r = lambda v: round(float(v), 6)  # noqa: E731
    label = scale_label(length, lang)
    name = f"{t('scale_bar', lang)} {label}"
    return [
        {"type": "scattermap", "mode": "lines", "lon": [r(lon), r(lon), r(lon + dlon), r(lon + dlon)],
         "lat": [r(lat + tick), r(lat), r(lat), r(lat + tick)], "line": {"color": "#111111", "width": 3},
         "hoverinfo": "skip", "showlegend": False, "name": name, "meta": "scalebar"},
        # markers+text with an invisible marker: Plotly gives a text-only trace no text layer.
        {"type": "scattermap", "mode": "markers+text", "marker": {"size": 1, "opacity": 0},
         "lon": [r(lon + dlon / 2)], "lat": [r(lat)], "text": [label],
         "textposition": "top center", "textfont": {"size": 15 if big else 12, "color": "#111111"},
         "hoverinfo": "skip", "showlegend": False, "name": name, "meta": "scalebar-label"},
    ]


def map_style(basemap: dict | None) -> dict:
    """A MapLibre style of our own: white, with the base map's raster tiles when there is one.
    No `glyphs` URL on purpose: MapLibre then draws the text (locality names, the scale bar's
    label) with the browser's own fonts, which needs no glyph server and works offline."""
    # Never an empty `sources` object: Plotly drops empty objects from a figure it updates, and
    # a style without `sources` is invalid (MapLibre's error then stops the map's events).
    style = {"version": 8, "id": "trygghetskarta",
             "sources": {"none": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
             "layers": [{"id": "background", "type": "background", "paint": {"background-color": "#FFFFFF"}}]}
    if basemap:
        source = {"type": "raster", "tiles": [basemap["url"]], "tileSize": 256,
                  "minzoom": basemap.get("minzoom", 0), "maxzoom": basemap.get("maxzoom", 19)}
        if basemap.get("bounds"):
            source["bounds"] = basemap["bounds"]  # no requests for tiles the file does not cover
        if basemap.get("attribution"):
            source["attribution"] = basemap["attribution"]
        style["id"] = "trygghetskarta-" + basemap["url"]  # Plotly sets a style anew when its id changes
        style["sources"]["basemap"] = source
        style["layers"].append({"id": "basemap", "type": "raster", "source": "basemap"})
    return style


def density_cell_m(zoom: float) -> int:
    """Cell size for the density view: finer when zoomed in."""
    if zoom >= 13:
        return 250
    if zoom >= 11:
        return 500
    if zoom >= 9.5:
        return 1000
    return 2000


def base_traces(data: AppData, lang: str, big: bool = False) -> list[dict]:
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
        "type": "scattermap", "mode": "markers+text", "lon": locs["lon"].round(5).tolist(),
        "lat": locs["lat"].round(5).tolist(), "text": locs["name"].tolist(),
        "marker": {"size": 9, "color": "#444444", "opacity": 0.9},
        # Drawn by MapLibre with the browser's own fonts (the style has no glyph server),
        # so the names show offline too; overlapping names are left out by MapLibre.
        "textposition": "top right", "textfont": {"size": 15 if big else 12, "color": "#111111"},
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


def _mapped(values: pd.Series, mapper) -> np.ndarray:
    """`values.map(mapper).to_numpy()`; a categorical column without missing values by mapping
    its categories once (pandas' map of a categorical cost ~7 ms a column on every redraw)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        if not (codes < 0).any():
            labels = np.array([mapper.get(c, np.nan) if isinstance(mapper, dict) else mapper(c)
                               for c in values.cat.categories.tolist()], dtype=object)
            return labels[codes]
    return values.map(mapper).to_numpy()


def point_traces(reports: pd.DataFrame, data: AppData, lang: str, names=None) -> list[dict]:
    """One trace per report layer, coloured by its focus area. `names(rows)`: the place names
    of those rows when known already (`dashboard.views.Views.point_names`)."""
    traces = []
    for layer_id, spec in data.config.layers.items():
        rows = reports[(reports["layer"].to_numpy() == layer_id) & ~np.isnan(reports["lon"].to_numpy())]
        if rows.empty:
            continue
        category = _labelled(rows["category"], lambda c, s=spec: s.category_label(c, lang))
        # Named from the point as the role's frame holds it: no finer than the map shows.
        near = names(rows) if names is not None else \
            place_names(rows["x"].to_numpy(), rows["y"].to_numpy(), data.municipality.code, lang)
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
                f"<br>{t('place', lang)}: %{{customdata[2]}}"
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
    # A cell several layers have is split into side-by-side strips, one per layer: see-through
    # squares on top of each other would mix into colours that are in no legend.
    order = list(pd.unique(cells["layer"]))
    sharing = cells.groupby("cell_id", sort=False)["layer"].agg(list).to_dict()
    for layer_id in order:
        rows = cells[cells["layer"].to_numpy() == layer_id]
        spec = names.get(layer_id)
        label = spec.name(lang) if spec else str(layer_id)
        color = data.config.color(spec.focus_area) if spec else "#333333"
        ids = rows["cell_id"].astype(str).tolist()
        ix = np.array([parse_cell_id(c)[1] for c in ids])
        iy = np.array([parse_cell_id(c)[2] for c in ids])
        rings = cell_rings_wgs84(ix, iy, cell_m)
        features = []
        for cid, ring in zip(ids, rings, strict=True):
            layers = sorted(set(sharing[cid]), key=order.index)
            if len(layers) > 1:
                ring = _strip(ring, layers.index(layer_id), len(layers))
            features.append({"type": "Feature", "id": cid,
                             "geometry": {"type": "Polygon", "coordinates": [np.round(ring, 5).tolist()]}})
        # A published cell is named by its centre (locality and nearest named place).
        custom = np.column_stack([cell_place_names(ix, iy, cell_m, data.municipality.code, lang)]).tolist()
        traces.append({
            "type": "choroplethmap", "geojson": {"type": "FeatureCollection", "features": features},
            "locations": ids, "z": rows["count"].astype(int).tolist(), "featureidkey": "id",
            "customdata": custom, "colorscale": [[0, color], [1, color]], "showscale": False,
            "marker": {"opacity": 0.55, "line": {"width": 1.5, "color": "#111111"}},
            "hovertemplate": (
                f"<b>{label}</b><br>{t('cell_count', lang, size=cell_m)}: %{{z}}"
                f"<br>{t('place', lang)}: %{{customdata[0]}}<extra></extra>"
            ),
            "name": t("cells_layer", lang, name=label), "meta": f"cells:{layer_id}", "showlegend": True,
        })
    return traces


def _strip(ring: np.ndarray, i: int, n: int) -> np.ndarray:
    """The i-th of n west-to-east strips of a cell ring (SW, SE, NE, NW, SW), as a ring."""
    sw, se, ne, nw = ring[0], ring[1], ring[2], ring[3]
    a, b = i / n, (i + 1) / n
    south = [sw + (se - sw) * a, sw + (se - sw) * b]
    north = [nw + (ne - nw) * b, nw + (ne - nw) * a]
    return np.array([south[0], south[1], north[0], north[1], south[0]])


def _cells_layers(policy, data: AppData) -> set[str]:
    if policy is None:
        return set()
    return {lid for lid in data.config.layers if policy.mode(lid) == "cells"}


#: Activities are not reports: one colour of their own (none of the focus areas' colours) and
#: a ring around the dot, so the legend swatch is the same whatever the selection holds.
ACTIVITY_COLOR = "#000000"


def activity_traces(activities: pd.DataFrame, data: AppData, lang: str) -> list[dict]:
    """Activities with a place as rings: a black dot in a white ring in a black ring."""
    rows = activities[~np.isnan(activities["x"].to_numpy())]
    if rows.empty:
        return []
    kind = _mapped(rows["kind"], lambda k: aktiviteter.KIND_EN.get(k, k) if lang == "en" else k)
    actor = _mapped(rows["actor"], ACTORS[lang])
    status = _mapped(rows["status"], lambda s: aktiviteter.STATUS_EN.get(s, s) if lang == "en" else s)
    areas = data.config.focus_areas
    area = _labelled(rows["focus_area"], lambda a: areas[a].short(lang) if a in areas else str(a))
    custom = np.column_stack([kind, actor, status, rows["local_time"].to_numpy(), area]).tolist()
    lon, lat = typed(rows["lon"]), typed(rows["lat"])
    size = aktiviteter.STYLE.size
    name = t("layer_activities", lang)
    ring = {"type": "scattermap", "mode": "markers", "lon": lon, "lat": lat, "hoverinfo": "skip",
            "showlegend": False, "legendgroup": "aktivitet", "name": name}
    return [
        {**ring, "marker": {"size": size + 6, "color": ACTIVITY_COLOR}, "meta": "aktivitet-ring"},
        {**ring, "marker": {"size": size + 2, "color": "#FFFFFF"}, "meta": "aktivitet-halo"},
        {"type": "scattermap", "mode": "markers", "lon": lon, "lat": lat, "customdata": custom,
         "marker": {"size": size - 4, "color": ACTIVITY_COLOR, "opacity": 1},
         "hovertemplate": (
             f"<b>%{{customdata[0]}}</b> (%{{customdata[4]}})<br>{t('hover_actor', lang)}: %{{customdata[1]}}"
             f"<br>{t('hover_status', lang)}: %{{customdata[2]}}"
             f"<br>{t('hover_time', lang)}: %{{customdata[3]}}<extra></extra>"
         ),
         "name": name, "legendgroup": "aktivitet", "meta": "aktivitet", "showlegend": True},
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
    show_activities: bool = True, basemap: bool | dict | None = False, big: bool = False,
    density_color: str = "#333333", max_points: int = MAX_POINTS, bounds=None,
    cells: pd.DataFrame | None = None, scattered: pd.DataFrame | None = None, cell_m: int = 500,
    other: pd.DataFrame | None = None, names=None,
) -> dict:
    """The municipality map: base, then reports as points or cells, activities, selection.

    `reports` are points the role may see exactly; `cells` are the role's aggregated cells
    (layers.privacy) of the cells-mode layers, drawn as squares; `scattered` is named in the note.
    `basemap`: True for OpenStreetMap, or dashboard.basemap.Basemap.source() of the one in use.
    `names(rows)`: place names of report rows known already (see `point_traces`).
    """
    view = view or default_view(data)
    shown = view
    if selection and selection.get("type") == "polygon":
        # A box or lasso selection zooms to itself. Plotly keeps the user's own zoom while this
        # stays the same from one figure to the next (uirevision), so panning away stays put.
        lons = [c[0] for c in selection["coords"]]
        lats = [c[1] for c in selection["coords"]]
        shown = fit_view(min(lons), min(lats), max(lons), max(lats))
        view = {**view, "zoom": max(view["zoom"], shown["zoom"])}
        bounds = None  # the reports are the selection's already
    use_density = mode == "density" or (mode == "auto" and len(reports) > max_points)
    base = base_traces(data, lang, big)
    # The scale bar first (dashboard.callbacks moves it with a patch of traces 0 and 1); activities
    # under the reports, localities on top: hotspots stay visible.
    traces = scale_bar_traces(shown, bounds, lang, big)
    traces += base[:2] + (activity_traces(activities, data, lang) if show_activities else [])
    if use_density:
        size = density_cell_m(view["zoom"])
        trace = density_trace(reports, data, lang, size, bounds, density_color)
        if trace:
            traces.append(trace)
        note = t("density_note", lang, n=number(len(reports), lang), size=size)
    else:
        traces += point_traces(reports, data, lang, names)
        note = t("points_note", lang, n=number(len(reports), lang))
    traces += cells_traces(cells, data, lang, cell_m)
    if cells is not None and (len(cells) or (scattered is not None and len(scattered))
                              or (other is not None and len(other))):
        note += " · " + cells_note(cells, scattered, data, lang, cell_m, other)
    traces += base[2:] + selection_trace(selection, lang)
    if basemap is True:
        basemap = {"url": OSM_TILES, "attribution": "© OpenStreetMap contributors"}
    layout = {
        "map": {"style": map_style(basemap or None), "center": {"lon": shown["lon"], "lat": shown["lat"]},
                "zoom": shown["zoom"]},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "uirevision": "map",
        "dragmode": "select",
        "clickmode": "event",
        "font": _font(big),
        # The legend sits on the map: in presentation mode at 16 px (a 1366×768 screen's map is
        # ~670×300 px, and 22 px covered a quarter of it), its entries close together.
        "legend": {"x": 0.01, "y": 0.99, "bgcolor": "rgba(255,255,255,0.85)", "tracegroupgap": 2,
                   "font": {**_font(big), "size": MAP_LEGEND_BIG_PX} if big else _font(big)},
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
