"""The standalone HTML map of an export (folium): inert user text, inlined Leaflet, the
role's points, cells and activities."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from geodata import cell_rings_wgs84, get_municipality, parse_cell_id
from geodata.places import cell_place_names
from layers import privacy
from layers.messages import label as vocab
from layers.store import Query
from layers.text import genitive

from .export_view import CELL_M, CLUSTER_FROM, RoleView, describe_filter, release_text
from .i18n import t

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


def _report_items(points: pd.DataFrame, config, spec, text: bool, lang: str = "sv") -> list[dict]:
    color = config.color(spec.focus_area)
    has_text = text and "description" in points.columns
    # Stored codes are shown by their labels in the export's language (the catalogue's vocab),
    # each line made once per code rather than once per point.
    head = {c: f"{vocab('category', c, lang)} – {spec.name(lang)}" for c in set(points["category"])}
    status = {c: t("exportmap_popup_status", lang, status=vocab("report_status", c, lang)) for c in set(points["status"])}
    source = {c: t("exportmap_popup_source", lang, source=vocab("source", c, lang)) for c in set(points["source"])}
    items = []
    for row in points.to_dict("records"):
        lines = [head[row["category"]], _local_label(row.get("occurred_at")), status[row["status"]],
                 source[row["source"]]]
        if has_text and row.get("description"):
            lines.append(str(row["description"]))
        items.append({"lat": round(float(row["lat"]), 6), "lon": round(float(row["lon"]), 6), "r": 6,
                      "c": color, "t": lines})
    return items


def _activity_items(acts: pd.DataFrame, config, text: bool, lang: str = "sv") -> list[dict]:
    if not len(acts):
        return []
    acts = acts[~(acts["lon"].isna() | acts["lat"].isna())]
    has_text = text and "description" in acts.columns
    items = []
    for row in acts.to_dict("records"):
        when = _local_label(row.get("done_at") or row.get("planned_at"))
        lines = [f"{vocab('kind', row['kind'], lang)} ({vocab('actor', row['actor'], lang)})",
                 f"{vocab('activity_status', row['status'], lang)}: {when}", f"{row['duration_min']} min"]
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


def _cell_items(cells: pd.DataFrame, spec, color: str, kommun: str, lang: str = "sv") -> list[dict]:
    if not len(cells):
        return []
    ix, iy, size = cell_indices(cells)
    rings = cell_rings_wgs84(ix, iy, size)
    # Named by the cell's centre, as the dashboard names it: nothing finer than the cell.
    names = cell_place_names(ix, iy, size, kommun, lang)
    top = max(int(cells["count"].max()), 1)
    items = []
    for ring, row, name in zip(rings, cells.to_dict("records"), names, strict=True):
        count = int(row["count"])
        items.append({
            "ring": [[round(float(lat), 6), round(float(lon), 6)] for lon, lat in ring],
            "c": color, "o": round(0.25 + 0.5 * count / top, 3),
            "t": [t("exportmap_popup_count", lang, n=count), spec.name(lang), t("exportmap_popup_place", lang, place=name),
                  t("exportmap_popup_cell", lang, cell_m=size, cell_id=row["cell_id"])],
        })
    return items


def render_html(store, view: RoleView, query: Query | None, role: str, heatmap: bool = True,
                filter_text: str | None = None, lang: str = "sv") -> str:
    """The standalone folium map as HTML text in `lang` (`filter_text` replaces the query's description)."""
    folium, SafeItems = _folium_classes()
    from folium.plugins import HeatMap

    config = store.config
    pol = view.view.policy
    muni = get_municipality(store.meta.kommun)
    lon0, lat0, lon1, lat1 = muni.bounds_wgs84
    # The dashboard's own title: 'Vaggeryds kommun' (Swedish genitive), 'Vaggeryd Municipality'.
    title = t("exportmap_title", lang, muni=muni.name, muni_genitive=genitive(muni.name))
    filter_text = filter_text or describe_filter(query, config, role, lang)
    fmap = folium.Map(location=[(lat0 + lat1) / 2, (lon0 + lon1) / 2], zoom_start=10, tiles=None,
                      control_scale=True)
    fmap.default_js = []
    fmap.default_css = []
    folium.TileLayer("OpenStreetMap", name=esc(t("exportmap_basemap", lang))).add_to(fmap)
    fmap.fit_bounds([[lat0, lon0], [lat1, lon1]])
    fmap.get_root().title = esc(f"{title}: {filter_text}")
    folium.GeoJson(
        muni.geometry.__geo_interface__, name=esc(t("exportmap_boundary", lang, muni=muni.name)),
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
            name = f"{spec.name(lang)} ({len(pts)})"
            group = folium.FeatureGroup(name=esc(name)).add_to(fmap)
            cluster = len(pts) > CLUSTER_FROM
            clustered |= cluster
            group.add_child(SafeItems(_report_items(pts, config, spec, pol.free_text, lang), cluster=cluster,
                                      colour=color))
            legend_rows.append((color, name))
        if len(lcells):
            total = int(lcells["count"].sum())
            name = t("exportmap_cells_layer", lang, layer=spec.name(lang), cell_m=pol.cell_m, total=total)
            group = folium.FeatureGroup(name=esc(name)).add_to(fmap)
            group.add_child(SafeItems(_cell_items(lcells, spec, color, store.meta.kommun, lang)))
            legend_rows.append((color, name))
    acts = _activity_items(view.activities, config, pol.free_text, lang)
    if acts:
        name = f"{t('layer_activities', lang)} ({len(acts)})"
        group = folium.FeatureGroup(name=esc(name)).add_to(fmap)
        group.add_child(SafeItems(acts, cluster=len(acts) > CLUSTER_FROM))
        clustered |= len(acts) > CLUSTER_FROM
        legend_rows.append(("#FFFFFF", t("exportmap_activities_edge", lang, name=name)))
    heat_added = False
    if heatmap and len(points):
        data = np.column_stack([points["lat"].to_numpy(), points["lon"].to_numpy()]).round(6).tolist()
        heat = HeatMap(data, name=esc(t("exportmap_heatmap", lang)), show=False, radius=18, blur=15)
        heat.default_js = []
        heat.add_to(fmap)
        heat_added = True
    folium.LayerControl(collapsed=False).add_to(fmap)
    notes = []
    if len(cells) or any(m == privacy.CELLS for m in pol.layers.values()):
        notes.append(t("exportmap_note_cells", lang, cell_m=pol.cell_m, k=pol.k))
    scattered = view.view.scattered
    for row in scattered.to_dict("records"):
        spec = config.layers.get(row["layer"])
        label = spec.name(lang) if spec else row["layer"]
        notes.append(t("exportmap_note_scattered", lang, layer=label, n=int(row["count"]), locality=row["locality"]))
    if view.release is not None:
        for row in view.release.other.to_dict("records"):
            spec = config.layers.get(row["layer"])
            label = spec.name(lang) if spec else row["layer"]
            notes.append(t("exportmap_note_other", lang, layer=label, n=int(row["count"])))
        notes.append(release_text(view.release, lang))
    if view.hidden_layers:
        names = ", ".join(config.layers[lid].name(lang) for lid in view.hidden_layers if lid in config.layers)
        notes.append(t("exportmap_note_hidden", lang, names=names))
    if view.approximate:
        notes.append(t("exportmap_note_approximate", lang, n=view.approximate))
    if store.meta.demo:
        notes.append(t("exportmap_note_demo", lang))
    legend = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;background:{esc(c)};'
        f'border:1px solid #333;margin-right:6px"></span>{esc(label)}</div>'
        for c, label in legend_rows
    ) or f"<div>{esc(t('exportmap_no_reports', lang))}</div>"
    legend += "".join(f'<div style="margin-top:4px;font-size:11px">{esc(n)}</div>' for n in notes)
    generated = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    overlay = (
        '<div style="position:fixed;top:10px;left:60px;z-index:1000;background:rgba(255,255,255,.92);'
        'padding:6px 10px;border-radius:4px;font:14px sans-serif;max-width:60%">'
        f"<strong>{esc(title)}</strong><br><span style=\"font-size:12px\">{esc(filter_text)}</span></div>"
        '<div style="position:fixed;bottom:70px;left:10px;z-index:1000;background:rgba(255,255,255,.92);'
        'padding:6px 10px;border-radius:4px;font:12px sans-serif;max-width:320px">'
        f"<strong>{esc(t('exportmap_legend', lang))}</strong>{legend}"
        f'<div style="margin-top:4px;font-size:10px;color:#555">{esc(t("exportmap_created", lang, when=generated))}'
        "</div></div>"
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
    page = root.render()
    # branca's page template has a bare <html>: name the language for screen readers (WCAG 3.1.1).
    head = "<!DOCTYPE html>\n<html>"
    lang_code = "en" if lang == "en" else "sv"
    return f'<!DOCTYPE html>\n<html lang="{lang_code}">' + page[len(head):] if page.startswith(head) else page
