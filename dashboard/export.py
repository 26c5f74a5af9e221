"""Exports of the filtered data: a standalone HTML map (folium), CSV, GeoJSON, GeoPackage.

`export(store, out, fmt, query, role)` writes what `role` may see, built only from the
privacy module's views (`layers.privacy.role_view`, `activities_view`), as the dashboard is:

- polis, admin: every point with its description;
- bra: exact points except for sensitive layers (narcotics), which become counts per grid
  cell; no free text; times to the hour;
- allmanhet: counts per grid cell for the report layers, never narcotics, never text; times
  to the month; no narcotics-area activities.

Counts are per 500 m SWEREF 99 TM cell; cells with fewer than k=5 reports are left out
(the privacy module folds them into per-locality "spridda rapporter" counts, also >= k).

All user text in the HTML map is inert: data is embedded as JSON with <, >, &, quotes,
backticks and $ escaped, and popups are built with textContent (never innerHTML); names in
the layer control, legend and title are HTML-escaped. Leaflet, its marker-cluster plugin and
the heat-map plugin are inlined from installed packages when present (xstatic-leaflet,
xstatic-leaflet-markercluster, folium's own heat plugin), so the file opens without network
apart from the background map tiles.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import METRIC, WGS84, cell_rings_wgs84, get_municipality, parse_cell_id
from geodata.places import cell_place_names
from layers import aktiviteter, privacy
from layers.polisen import is_approximate
from layers.schema import ACTIVITY_COLUMNS, REPORT_COLUMNS
from layers.store import Query

ROLES = privacy.ROLES
FORMATS = ("html", "csv", "geojson", "gpkg")
CELL_M = privacy.DEFAULT_CELL_M
#: Layers with more points than this are clustered on the HTML map.
CLUSTER_FROM = 300
ROLE_SV = {role: names[0] for role, names in privacy.ROLE_NAMES.items()}


class ExportError(ValueError):
    """The export cannot be made as asked (unknown role or format, bad output path)."""


# -- roles: the rules live in layers.privacy ------------------------------------------------


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ExportError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return role


@dataclass
class RoleView:
    """What one role sees: the privacy module's views plus what the export left out."""

    view: privacy.ReportView  # points (lon/lat, truncated times, text only if allowed), cells
    activities: pd.DataFrame  # privacy.activities_view: lon/lat, truncated times
    approximate: int  # police-feed reports (approximate position) not drawn or counted
    hidden_layers: list[str] = field(default_factory=list)
    release: object = None  # layers.release_view.ReleaseSelection of the cells-mode layers

    @property
    def points(self) -> pd.DataFrame:
        return self.view.points

    @property
    def cells(self) -> pd.DataFrame:
        return self.view.cells


def role_view(reports: gpd.GeoDataFrame, activities: gpd.GeoDataFrame, store, role: str,
              keep_approximate: bool = False, release=None) -> RoleView:
    """The role's view (layers.privacy) of filtered store rows.

    Points-mode layers come from the rows; cells-mode layers only from the role's release
    (`release`, a layers.release_view.ReleaseSelection; the rows of those layers are not
    read), so an export holds exactly the published units the screen shows. Police-feed
    reports have only a municipality/locality position: they are never drawn as points on a
    map; in file exports for roles that see exact points (`keep_approximate`) they stay,
    marked by their `polisen-` id.
    """
    check_role(role)
    pol = privacy.policy(role, store.config.privacy, layers=store.config.layers)
    approx = is_approximate(reports["id"])
    modes = np.array([pol.mode(lid) for lid in reports["layer"]], dtype=object)
    points_mode = modes == privacy.POINTS
    keep = points_mode & (~approx | keep_approximate)
    dropped = int((approx & points_mode & ~keep).sum())
    view = privacy.role_view(reports[keep], pol, kommun=store.meta.kommun, secret=store.order_secret)
    if release is not None:
        view = replace(view, cells=release.cells, scattered=release.scattered)
    # The public still sees the promise's narcotics follow-up, but not where it happened
    # (privacy.activity_place_modes: an activity is placed as exactly as its focus area's tips).
    acts_view = privacy.activities_view(activities, pol, layers=store.config.layers, cells=view.cells,
                                        kommun=store.meta.kommun, secret=store.order_secret)
    hidden = [lid for lid, m in pol.layers.items() if m == privacy.HIDDEN]
    return RoleView(view, acts_view, dropped, hidden, release)


def release_for(store, role: str, query: Query, today: dt.date | None = None):
    """The role's release units for an export's query: whole layers (by --layer/--focus),
    whole published blocks meeting --from/--to; None for a role without cells-mode layers."""
    from layers.release_store import current_release
    from layers.release_view import select

    pol = privacy.policy(role, store.config.privacy, layers=store.config.layers)
    if not any(m == privacy.CELLS for m in pol.layers.values()):
        return None
    release = current_release(store, role, today or dt.date.today())
    layers = [lid for lid in release.layers
              if (query.layers is None or lid in query.layers)
              and (query.focus_areas is None or store.config.layers[lid].focus_area in query.focus_areas)]
    start = pd.Timestamp(query.start).date() if query.start is not None else None
    end = (pd.Timestamp(query.end) - pd.Timedelta(days=1)).date() if query.end is not None else None
    chosen = select(release, layers, start, end, store.meta.kommun)
    area = query.polygon
    if query.bbox is not None:
        box = shapely.box(*query.bbox)
        area = box if area is None else area.intersection(box)
    if area is not None and not area.is_empty:
        # Whole published cells whose centre lies in the area, as a lasso on the map takes them.
        coords = [list(c) for c in shapely.get_coordinates(shapely.get_exterior_ring(area.convex_hull
                                                                                     if area.geom_type != "Polygon"
                                                                                     else area))]
        chosen = chosen.within({"type": "polygon", "coords": coords}, store.meta.kommun)
    return chosen


# -- filter text ------------------------------------------------------------------------------


def describe_filter(query: Query | None, config, role: str) -> str:
    """'Lager: …; Fokusområden: …; 2026-01-01 – 2026-06-30; Roll: …' for titles."""
    query = query or Query()
    parts = []
    if query.layers:
        parts.append("Lager: " + ", ".join(config.layers[lid].name_sv if lid in config.layers else lid
                                           for lid in query.layers))
    if query.focus_areas:
        parts.append("Fokusområden: " + ", ".join(
            config.focus_areas[a].short_sv if a in config.focus_areas else a for a in query.focus_areas))
    if query.start is not None or query.end is not None:
        start = _day(query.start) if query.start is not None else "…"
        end = "…"
        if query.end is not None:
            end_day = pd.Timestamp(query.end)
            # Query ends are exclusive: a whole day 'to' is shown as that day.
            if end_day == end_day.normalize():
                end_day -= pd.Timedelta(days=1)
            end = end_day.strftime("%Y-%m-%d")
        parts.append(f"Period: {start} – {end}")
    else:
        parts.append("Hela perioden")
    parts.append(f"Roll: {ROLE_SV.get(role, role)}")
    return "; ".join(parts)


def _day(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


# -- safe embedding -------------------------------------------------------------------------

_JS_ESCAPES = {
    "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027", "`": "\\u0060", "$": "\\u0024",
    "\u2028": "\\u2028", "\u2029": "\\u2029",
}


def safe_json(obj) -> str:
    """JSON that is safe inside <script> and inert in any JS context (no raw < > & ' ` $)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return "".join(_JS_ESCAPES.get(ch, ch) for ch in text)


def esc(text) -> str:
    """HTML-escape text for markup (also backticks and $, which matter in JS templates)."""
    return html.escape(str(text), quote=True).replace("`", "&#96;").replace("$", "&#36;")


def _folium_classes():
    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    class SafeItems(MacroElement):
        """Points or cells added to the parent group from inert JSON; popups via textContent."""

        _template = Template(
            """
{% macro script(this, kwargs) %}
(function () {
  var group = {{ this._parent.get_name() }};
  var items = {{ this.payload }};
  var target = group;
  if ({{ 'true' if this.cluster else 'false' }} && typeof L.markerClusterGroup === 'function') {
    var colour = {{ this.colour }};
    target = L.markerClusterGroup({maxClusterRadius: 40, chunkedLoading: true,
      iconCreateFunction: function (c) {
        var n = c.getChildCount();
        var size = n < 10 ? 28 : (n < 100 ? 34 : 40);
        var div = document.createElement('div');
        div.style.cssText = 'width:' + size + 'px;height:' + size + 'px;line-height:' + size +
          'px;border-radius:50%;text-align:center;font:bold 12px sans-serif;color:#fff;' +
          'border:2px solid #fff;box-shadow:0 0 3px #333;opacity:.9';
        div.style.background = colour;
        div.textContent = String(n);
        return L.divIcon({html: div, className: '', iconSize: L.point(size, size)});
      }});
    group.addLayer(target);
  }
  items.forEach(function (it) {
    var layer;
    if (it.ring) {
      layer = L.polygon(it.ring, {color: it.c, weight: 1, fillColor: it.c, fillOpacity: it.o});
    } else {
      layer = L.circleMarker([it.lat, it.lon], {radius: it.r, color: it.k || it.c, weight: it.k ? 2 : 1,
                                                fillColor: it.c, fillOpacity: 0.75});
    }
    layer.bindPopup(function () {
      var box = document.createElement('div');
      it.t.forEach(function (line, i) {
        var el = document.createElement(i === 0 ? 'strong' : 'div');
        el.textContent = line;
        box.appendChild(el);
      });
      return box;
    }, {maxWidth: 320});
    target.addLayer(layer);
  });
})();
{% endmacro %}
"""
        )

        def __init__(self, items: list[dict], cluster: bool = False, colour: str = "#555555"):
            super().__init__()
            self._name = "SafeItems"
            self.payload = safe_json(items)
            self.colour = safe_json(colour)
            self.cluster = cluster

    return folium, SafeItems


def _asset_paths() -> dict[str, Path | None]:
    found: dict[str, Path | None] = {"leaflet_js": None, "leaflet_css": None, "cluster_js": None,
                                     "cluster_css": None, "cluster_default_css": None, "heat_js": None}
    try:
        import xstatic.pkg.leaflet as xl

        base = Path(xl.BASE_DIR)
        found["leaflet_js"] = base / "leaflet.js"
        found["leaflet_css"] = base / "leaflet.css"
    except ImportError:
        pass
    try:
        import xstatic.pkg.leaflet_markercluster as xm

        base = Path(xm.BASE_DIR)
        found["cluster_js"] = base / "leaflet.markercluster.js"
        found["cluster_css"] = base / "MarkerCluster.css"
        found["cluster_default_css"] = base / "MarkerCluster.Default.css"
    except ImportError:
        pass
    import folium

    heat = Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js"
    found["heat_js"] = heat if heat.exists() else None
    return {k: (v if v is not None and v.exists() else None) for k, v in found.items()}


CDN = {
    "leaflet_js": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
    "leaflet_css": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
    "cluster_js": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js",
    "cluster_css": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css",
    "cluster_default_css":
        "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css",
    "heat_js": "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js",
}


def _inline_css(path: Path) -> str:
    css = path.read_text(encoding="utf-8")

    def data_uri(name: str) -> str:
        img = path.parent / name
        if not img.exists():
            return name
        return "data:image/png;base64," + base64.b64encode(img.read_bytes()).decode("ascii")

    for name in ("images/layers-2x.png", "images/layers.png", "images/marker-icon.png"):
        css = css.replace(f"url({name})", f"url({data_uri(name)})")
    return css.replace("</", "<\\/")


def asset_elements(names: list[str]) -> tuple[list[str], list[str]]:
    """HTML for the JS/CSS assets: inline when a package ships them, else CDN links.

    Returns (header HTML snippets, names that had to come from a CDN).
    """
    paths = _asset_paths()
    out, remote = [], []
    for name in names:
        path = paths.get(name)
        is_css = name.endswith("css")
        if path is not None:
            text = _inline_css(path) if is_css else path.read_text(encoding="utf-8")
            if not is_css and "</script" in text.lower():
                path = None
            else:
                out.append(f"<style>{text}</style>" if is_css else f"<script>{text}</script>")
                continue
        remote.append(name)
        url = esc(CDN[name])
        out.append(f'<link rel="stylesheet" href="{url}"/>' if is_css else f'<script src="{url}"></script>')
    return out, remote


# -- the HTML map -----------------------------------------------------------------------------


def _local_label(iso) -> str:
    return str(iso)[:16].replace("T", " ") if isinstance(iso, str) and iso else ""


def _report_items(points: pd.DataFrame, config, spec, text: bool) -> list[dict]:
    color = config.color(spec.focus_area)
    has_text = text and "description" in points.columns
    items = []
    for row in points.to_dict("records"):
        lines = [f"{row['category']} – {spec.name_sv}", _local_label(row.get("occurred_at")),
                 f"Status: {row['status']}", f"Källa: {row['source']}"]
        if has_text and row.get("description"):
            lines.append(str(row["description"]))
        items.append({"lat": round(float(row["lat"]), 6), "lon": round(float(row["lon"]), 6), "r": 6,
                      "c": color, "t": lines})
    return items


def _activity_items(acts: pd.DataFrame, config, text: bool) -> list[dict]:
    if not len(acts):
        return []
    acts = acts[~(acts["lon"].isna() | acts["lat"].isna())]
    has_text = text and "description" in acts.columns
    items = []
    for row in acts.to_dict("records"):
        when = _local_label(row.get("done_at") or row.get("planned_at"))
        lines = [f"{row['kind']} ({row['actor']})", f"{row['status']}: {when}", f"{row['duration_min']} min"]
        if has_text and row.get("description"):
            lines.append(str(row["description"]))
        items.append({"lat": round(float(row["lat"]), 6), "lon": round(float(row["lon"]), 6), "r": 8,
                      "c": config.color(row["focus_area"]), "k": "#222222", "t": lines})
    return items


def cell_indices(cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    parsed = [parse_cell_id(c) for c in cells["cell_id"]]
    size = parsed[0][0] if parsed else CELL_M
    ix = np.array([p[1] for p in parsed], dtype="int64")
    iy = np.array([p[2] for p in parsed], dtype="int64")
    return ix, iy, size


def _cell_items(cells: pd.DataFrame, spec, color: str, kommun: str) -> list[dict]:
    if not len(cells):
        return []
    ix, iy, size = cell_indices(cells)
    rings = cell_rings_wgs84(ix, iy, size)
    # Named by the cell's centre, as the dashboard names it: nothing finer than the cell.
    names = cell_place_names(ix, iy, size, kommun)
    top = max(int(cells["count"].max()), 1)
    items = []
    for ring, row, name in zip(rings, cells.to_dict("records"), names, strict=True):
        count = int(row["count"])
        items.append({
            "ring": [[round(float(lat), 6), round(float(lon), 6)] for lon, lat in ring],
            "c": color, "o": round(0.25 + 0.5 * count / top, 3),
            "t": [f"{count} rapporter", spec.name_sv, f"Plats: {name}", f"Ruta {size} m: {row['cell_id']}"],
        })
    return items


def render_html(store, view: RoleView, query: Query | None, role: str, heatmap: bool = True,
                filter_text: str | None = None) -> str:
    """The standalone folium map as HTML text (`filter_text` replaces the query's description)."""
    folium, SafeItems = _folium_classes()
    from folium.plugins import HeatMap

    config = store.config
    pol = view.view.policy
    muni = get_municipality(store.meta.kommun)
    lon0, lat0, lon1, lat1 = muni.bounds_wgs84
    title = f"Trygghetskarta – {muni.name} kommun"
    filter_text = filter_text or describe_filter(query, config, role)
    fmap = folium.Map(location=[(lat0 + lat1) / 2, (lon0 + lon1) / 2], zoom_start=10, tiles=None,
                      control_scale=True)
    fmap.default_js = []
    fmap.default_css = []
    folium.TileLayer("OpenStreetMap", name=esc("Bakgrundskarta (OpenStreetMap, kräver nät)")).add_to(fmap)
    fmap.fit_bounds([[lat0, lon0], [lat1, lon1]])
    fmap.get_root().title = esc(f"{title}: {filter_text}")
    folium.GeoJson(
        muni.geometry.__geo_interface__, name=esc(f"Kommungräns {muni.name}"),
        style_function=lambda _f: {"color": "#333333", "weight": 2, "fill": False},
        control=False,
    ).add_to(fmap)
    legend_rows: list[tuple[str, str]] = []
    clustered = False
    points = view.points
    cells = view.cells
    for lid, spec in config.layers.items():
        color = config.color(spec.focus_area)
        pts = points[points["layer"] == lid]
        lcells = cells[cells["layer"] == lid]
        if len(pts):
            name = f"{spec.name_sv} ({len(pts)})"
            group = folium.FeatureGroup(name=esc(name)).add_to(fmap)
            cluster = len(pts) > CLUSTER_FROM
            clustered |= cluster
            group.add_child(SafeItems(_report_items(pts, config, spec, pol.free_text), cluster=cluster,
                                      colour=color))
            legend_rows.append((color, name))
        if len(lcells):
            total = int(lcells["count"].sum())
            name = f"{spec.name_sv}: antal per {pol.cell_m} m-ruta ({total})"
            group = folium.FeatureGroup(name=esc(name)).add_to(fmap)
            group.add_child(SafeItems(_cell_items(lcells, spec, color, store.meta.kommun)))
            legend_rows.append((color, name))
    acts = _activity_items(view.activities, config, pol.free_text)
    if acts:
        name = f"{aktiviteter.NAME_SV} ({len(acts)})"
        group = folium.FeatureGroup(name=esc(name)).add_to(fmap)
        group.add_child(SafeItems(acts, cluster=len(acts) > CLUSTER_FROM))
        clustered |= len(acts) > CLUSTER_FROM
        legend_rows.append(("#FFFFFF", name + ", svart kant"))
    heat_added = False
    if heatmap and len(points):
        data = np.column_stack([points["lat"].to_numpy(), points["lon"].to_numpy()]).round(6).tolist()
        heat = HeatMap(data, name=esc("Värmekarta (rapporterna som punkter)"), show=False, radius=18, blur=15)
        heat.default_js = []
        heat.add_to(fmap)
        heat_added = True
    folium.LayerControl(collapsed=False).add_to(fmap)
    notes = []
    if len(cells) or any(m == privacy.CELLS for m in pol.layers.values()):
        notes.append(f"Antal per ruta om {pol.cell_m} m; rutor med färre än {pol.k} rapporter visas inte.")
    scattered = view.view.scattered
    for row in scattered.to_dict("records"):
        spec = config.layers.get(row["layer"])
        label = spec.name_sv if spec else row["layer"]
        notes.append(f"{label}: {int(row['count'])} spridda rapporter kring {row['locality']}.")
    if view.release is not None:
        for row in view.release.other.to_dict("records"):
            spec = config.layers.get(row["layer"])
            label = spec.name_sv if spec else row["layer"]
            notes.append(f"{label}: {int(row['count'])} på övriga platser i kommunen eller utan plats.")
        notes.append(release_text(view.release))
    if view.hidden_layers:
        names = ", ".join(config.layers[lid].name_sv for lid in view.hidden_layers if lid in config.layers)
        notes.append(f"Visas inte för rollen: {names}.")
    if view.approximate:
        notes.append(f"{view.approximate} händelser från polisens öppna data har bara ungefärlig plats "
                     "och visas inte på kartan.")
    if store.meta.demo:
        notes.append("DEMODATA – påhittade händelser.")
    legend = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;background:{esc(c)};'
        f'border:1px solid #333;margin-right:6px"></span>{esc(label)}</div>'
        for c, label in legend_rows
    ) or "<div>Inga rapporter i urvalet.</div>"
    legend += "".join(f'<div style="margin-top:4px;font-size:11px">{esc(n)}</div>' for n in notes)
    generated = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    overlay = (
        '<div style="position:fixed;top:10px;left:60px;z-index:1000;background:rgba(255,255,255,.92);'
        'padding:6px 10px;border-radius:4px;font:14px sans-serif;max-width:60%">'
        f"<strong>{esc(title)}</strong><br><span style=\"font-size:12px\">{esc(filter_text)}</span></div>"
        '<div style="position:fixed;bottom:70px;left:10px;z-index:1000;background:rgba(255,255,255,.92);'
        'padding:6px 10px;border-radius:4px;font:12px sans-serif;max-width:320px">'
        f"<strong>Teckenförklaring</strong>{legend}"
        f'<div style="margin-top:4px;font-size:10px;color:#555">Skapad {esc(generated)}</div></div>'
    )
    root = fmap.get_root()
    root.html.add_child(folium.Element(overlay))
    names = ["leaflet_css", "leaflet_js"]
    if clustered:
        names += ["cluster_css", "cluster_default_css", "cluster_js"]
    if heat_added:
        names.append("heat_js")
    snippets, _remote = asset_elements(names)
    for i, snippet in enumerate(snippets):
        root.header.add_child(folium.Element(snippet), name=f"trygghetskarta_asset_{i}")
    return root.render()


def release_text(release) -> str:
    """'Rutlagren visar publicerade hela månader: 2025-01-01 – 2026-11-30 (publicerat 2026-12-01).'"""
    unit = {"month": "månader", "quarter": "kvartal", "year": "år"}[release.release.kind]
    built = str(release.release.built_at)[:10] or "–"
    if release.span is None or release.units.empty:
        return f"Rutlagren: inga publicerade {unit} i perioden (bara avslutade {unit} publiceras)."
    first, after = release.span
    merged = f"; {unit} med färre än {release.release.k} rapporter är sammanslagna" if release.merged else ""
    since = "" if release.release.open_start(release.chosen_blocks[0]) else first.isoformat() + " "
    return (f"Rutlagren visar publicerade hela {unit}: {since}t.o.m. "
            f"{(after - dt.timedelta(days=1)).isoformat()}{merged} (publicerat {built}).")


# -- files ------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    files: list[Path]
    points: int
    cells: int
    activities: int
    approximate: int
    remote_assets: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.points} reports as points", f"{self.cells} grid cells", f"{self.activities} activities"]
        if self.approximate:
            parts.append(f"{self.approximate} police-feed reports with approximate positions left out")
        text = "Wrote " + ", ".join(str(f) for f in self.files) + ": " + ", ".join(parts)
        if self.remote_assets:
            text += f" (not inlined, loaded from the web: {', '.join(self.remote_assets)})"
        return text


def _atomic_write(out: Path, write) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + out.name, suffix=".tmp" + out.suffix, dir=out.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        tmp_path.unlink()
        write(tmp_path)
        os.replace(tmp_path, out)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def cells_frame(cells: pd.DataFrame, crs: str = WGS84) -> gpd.GeoDataFrame:
    """Grid cells as polygons (WGS 84 or SWEREF 99 TM) with layer, cell_id, count, locality."""
    if len(cells):
        ix, iy, size = cell_indices(cells)
        if crs == METRIC:
            geoms = shapely.box(ix * size, iy * size, (ix + 1) * size, (iy + 1) * size)
        else:
            geoms = shapely.polygons(cell_rings_wgs84(ix, iy, size))
    else:
        geoms, size = [], CELL_M
    frame = pd.DataFrame({
        "layer": cells["layer"].astype(object).to_numpy(),
        "cell_id": cells["cell_id"].astype(object).to_numpy(),
        "count": cells["count"].astype("int64").to_numpy(),
        "locality": cells["locality"].astype(object).to_numpy() if "locality" in cells else "",
        "cell_m": np.full(len(cells), size, dtype="int64"),
    })
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)


#: Words for a release unit in export files: a cell, a locality's 'spridda rapporter', the rest.
UNIT_WORDS = {"cell": "ruta", "locality": "spridda", "kommun": "övriga"}


def _units(view: RoleView) -> pd.DataFrame:
    """Cells, then 'spridda rapporter' per locality, then the municipality's remainder."""
    if view.release is None:
        return view.cells.assign(unit="cell")
    units = view.release.per_unit.rename(columns={"kind": "unit"})
    units["cell_id"] = np.where(units["unit"] == "cell", units["key"], "")
    order = units["unit"].map({"cell": 0, "locality": 1, "kommun": 2})
    return units.assign(_o=order).sort_values(["_o", "layer"], kind="stable").drop(columns="_o").reset_index(drop=True)


def units_lonlat(view: RoleView) -> tuple[np.ndarray, np.ndarray]:
    units = _units(view)
    return units["lon"].to_numpy(dtype="float64"), units["lat"].to_numpy(dtype="float64")


def units_frame(view: RoleView, crs: str = WGS84) -> gpd.GeoDataFrame:
    """What a role sees of its cells-mode layers: grid cells as polygons, and for a release the
    'spridda rapporter' per locality and the remainder as rows without geometry (`enhet`
    names which), with the published period the counts cover."""
    units = _units(view)
    cells = units[units["unit"] == "cell"]
    frame = cells_frame(cells.reset_index(drop=True), crs)
    rest = units[units["unit"] != "cell"]
    if len(rest):
        size = view.view.policy.cell_m
        extra = gpd.GeoDataFrame({
            "layer": rest["layer"].astype(object).to_numpy(), "cell_id": rest["cell_id"].astype(object).to_numpy(),
            "count": rest["count"].astype("int64").to_numpy(), "locality": rest["locality"].astype(object).to_numpy(),
            "cell_m": np.full(len(rest), size, dtype="int64"),
        }, geometry=[None] * len(rest), crs=crs)
        frame = pd.concat([frame, extra], ignore_index=True)
    frame.insert(0, "enhet", [UNIT_WORDS[u] for u in units["unit"]])
    span = view.release.span if view.release is not None else None
    # The series' first block holds everything before it: no start date to give.
    open_start = span is not None and view.release.release.open_start(view.release.chosen_blocks[0])
    frame["period_from"] = span[0].isoformat() if span and not open_start else ""
    frame["period_to"] = (span[1] - dt.timedelta(days=1)).isoformat() if span else ""
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)


def points_frame(points: pd.DataFrame) -> pd.DataFrame:
    """The view's points in the store's column order (description '' where not allowed; no
    id column for reduced roles, whose view has none: an import gives them new ids)."""
    frame = pd.DataFrame({c: points[c].to_numpy() if c in points else "" for c in REPORT_COLUMNS
                          if c != "geometry" and (c != "id" or c in points)})
    frame["lat"] = np.round(points["lat"].to_numpy(dtype="float64"), 7)
    frame["lon"] = np.round(points["lon"].to_numpy(dtype="float64"), 7)
    return frame


def point_geometry(lon, lat, crs: str = WGS84) -> gpd.GeoSeries:
    """Points from WGS 84 lon/lat in `crs`; no place (NaN) is a missing geometry (NULL in a
    GeoPackage, null in GeoJSON) as the data file stores it, never POINT EMPTY, which GeoPackage
    readers and validators take for a point."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    points = np.array(gpd.points_from_xy(lon, lat), dtype=object)
    points[np.isnan(lon) | np.isnan(lat)] = None
    series = gpd.GeoSeries(points, crs=WGS84)
    return series.to_crs(crs) if crs != WGS84 else series


def points_gdf(points: pd.DataFrame, crs: str = WGS84) -> gpd.GeoDataFrame:
    frame = points_frame(points)
    geometry = point_geometry(frame.pop("lon").to_numpy(), frame.pop("lat").to_numpy(), crs)
    return gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs=crs)


def activities_gdf(acts: pd.DataFrame, crs: str = METRIC) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: acts[c].to_numpy() if c in acts else "" for c in ACTIVITY_COLUMNS
                          if c != "geometry"})
    lon = acts["lon"].to_numpy(dtype="float64") if len(acts) else np.array([])
    lat = acts["lat"].to_numpy(dtype="float64") if len(acts) else np.array([])
    return gpd.GeoDataFrame(frame, geometry=point_geometry(lon, lat, crs).to_numpy(), crs=crs)


def guard_formula(value):
    """Text a spreadsheet would run as a formula (=, +, -, @, or a leading tab/CR) gets an
    apostrophe first (OWASP CSV injection); the importer takes it off again."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _write_csv(frame: pd.DataFrame, out: Path) -> None:
    """Swedish Excel: UTF-8 with BOM, semicolons, decimal comma; no cell runs as a formula."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(guard_formula)
    _atomic_write(out, lambda p: frame.to_csv(p, sep=";", decimal=",", index=False, encoding="utf-8-sig"))


def _write_vector(frame: gpd.GeoDataFrame, out: Path, driver: str, layer: str | None = None,
                  append: bool = False) -> None:
    import pyogrio

    pyogrio.write_dataframe(frame, out, layer=layer, driver=driver, append=append)


def sibling(out: Path, tag: str) -> Path:
    return out.with_name(f"{out.stem}-{tag}{out.suffix}")


def export(store, out, fmt: str, query: Query | None = None, role: str = "admin",
           heatmap: bool = True, rows: tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None = None,
           filter_text: str | None = None, release=None, today: dt.date | None = None) -> ExportResult:
    """Write the filtered data that `role` may see to `out` in `fmt` (see the module docstring).

    csv/geojson: the reports the role sees as points, in the store's columns (CSV with lat/lon
    in WGS 84); grid-cell counts go to OUT-rutor.csv/.geojson beside it, or to OUT itself for a
    role that sees no points (allmanhet). gpkg: layers `reports`, `activities` and
    `report_cells` in SWEREF 99 TM. For a reduced role the cells come from its release
    (`release`: the dashboard's; else the role's current release for `query`), with the
    published 'spridda rapporter' and remainders as rows without a cell, so the file's total
    is the screen's.
    """
    check_role(role)
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    out = Path(out)
    if out.is_dir():
        raise ExportError(f"{out} is a folder; give a file name")
    query = query or Query()
    if rows is not None:
        # Rows already chosen by the caller (the dashboard's filter and selection).
        reports, activities = rows
    else:
        reports = store.reports(query)
        focus = query.focus_areas
        if focus is None and query.layers is not None:
            focus = tuple(sorted({store.config.layers[lid].focus_area for lid in query.layers
                                  if lid in store.config.layers}))
        activities = store.activities(Query(focus_areas=focus, start=query.start, end=query.end,
                                            polygon=query.polygon, bbox=query.bbox))
    if release is None and rows is None:
        release = release_for(store, role, query, today)
    view = role_view(reports, activities, store, role, keep_approximate=(fmt != "html"), release=release)
    pol = view.view.policy
    files: list[Path] = []
    remote: list[str] = []
    if fmt == "html":
        text = render_html(store, view, query, role, heatmap=heatmap, filter_text=filter_text)
        _atomic_write(out, lambda p: p.write_text(text, encoding="utf-8"))
        files.append(out)
        remote = [n for n, p in _asset_paths().items() if p is None]
    elif fmt in ("csv", "geojson"):
        has_points = any(m == privacy.POINTS for m in pol.layers.values())
        cells_out = sibling(out, "rutor") if has_points else out
        if has_points:
            if fmt == "csv":
                _write_csv(points_frame(view.points), out)
            else:
                frame = points_gdf(view.points)
                _atomic_write(out, lambda p: _write_vector(frame, p, "GeoJSON"))
            files.append(out)
        if len(view.cells) or (view.release is not None and len(view.release.units)) or not has_points:
            cells = units_frame(view)
            if fmt == "csv":
                plain = pd.DataFrame(cells.drop(columns="geometry"))
                plain["lat"] = np.round(units_lonlat(view)[1], 6)
                plain["lon"] = np.round(units_lonlat(view)[0], 6)
                _write_csv(plain, cells_out)
            else:
                _atomic_write(cells_out, lambda p: _write_vector(cells, p, "GeoJSON"))
            files.append(cells_out)
        elif cells_out.exists() and cells_out != out:
            cells_out.unlink()  # an older export's cells must not pass for this one's
    else:  # gpkg

        def write_gpkg(p: Path) -> None:
            _write_vector(points_gdf(view.points, METRIC), p, "GPKG", layer="reports")
            _write_vector(activities_gdf(view.activities), p, "GPKG", layer="activities", append=True)
            _write_vector(units_frame(view, METRIC), p, "GPKG", layer="report_cells", append=True)

        _atomic_write(out, write_gpkg)
        files.append(out)
    return ExportResult(files, len(view.points), len(view.cells), len(view.activities), view.approximate,
                        remote)
