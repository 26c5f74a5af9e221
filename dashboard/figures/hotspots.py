"""The hot-spot map: grid cells coloured by their Gi* class (layers.analysis.hotspots), with the
municipality's boundary and localities; a pure builder (a HotspotResult in, a figure dict out)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata import cell_place_names, cell_rings_wgs84

from ..data import AppData
from ..i18n import number, t
from .base import _font
from .map import base_traces, default_view, map_style

#: Drawn classes, strongest first, in colours that stay apart for colour-blind readers (ColorBrewer RdBu).
CLASS_COLORS = {"hot99": "#B2182B", "hot95": "#EF8A62", "hot90": "#FDDBC7", "cold": "#67A9CF"}
#: Every class in the legend's order ("ns" is not coloured: the map shows it as no square).
LEGEND_ORDER = ("hot99", "hot95", "hot90", "ns", "cold")


def class_label(name: str, lang: str) -> str:
    """'Hotspot, 99 % säkerhet' … in words (the catalogue's class names with what they mean)."""
    return t(f"hsmap_class_{name}", lang)


def _trace(rows: pd.DataFrame, name: str, cell_m: int, kommun: str, lang: str, k: int | None) -> dict:
    ix, iy = rows["ix"].to_numpy(), rows["iy"].to_numpy()
    rings = cell_rings_wgs84(ix, iy, cell_m)
    ids = rows["cell_id"].astype(str).tolist()
    features = [{"type": "Feature", "id": cid, "geometry": {"type": "Polygon", "coordinates": [np.round(r, 5).tolist()]}}
                for cid, r in zip(ids, rings, strict=True)]
    places = cell_place_names(ix, iy, cell_m, kommun, lang)
    # A count the role may not know (an unpublished cell of a release) is said in words, never 0.
    counts = [number(int(c), lang) if c is not None and not pd.isna(c) else t("hsmap_count_hidden", lang, k=k or 0)
              for c in rows["count"]]
    custom = [[str(p), c, f"{z:.2f}".replace(".", "," if lang != "en" else "."), f"{q:.3f}".replace(
        ".", "," if lang != "en" else ".")] for p, c, z, q in zip(places, counts, rows["gi_z"], rows["q"], strict=True)]
    color = CLASS_COLORS[name]
    return {
        "type": "choroplethmap", "geojson": {"type": "FeatureCollection", "features": features},
        "locations": ids, "z": [1] * len(ids), "featureidkey": "id", "customdata": custom,
        "colorscale": [[0, color], [1, color]], "showscale": False,
        "marker": {"opacity": 0.7, "line": {"width": 1, "color": "#333333"}},
        "hovertemplate": (f"<b>{class_label(name, lang)}</b><br>{t('place', lang)}: %{{customdata[0]}}"
                          f"<br>{t('hsmap_hover_count', lang)}: %{{customdata[1]}}"
                          f"<br>Gi* z: %{{customdata[2]}} · q: %{{customdata[3]}}<extra></extra>"),
        "name": class_label(name, lang), "meta": f"hotspot:{name}", "showlegend": True,
    }


def hotspot_figure(cells: pd.DataFrame, cell_m: int, data: AppData, lang: str = "sv", *, big: bool = False,
                   basemap: dict | None = None, k: int | None = None, view: dict | None = None) -> dict:
    """The map of `cells` (layers.analysis.hotspots.CELL_COLUMNS) by class: a trace per drawn class
    (hot 99/95/90 %, cold), not-significant cells left uncoloured."""
    view = view or default_view(data)
    base = base_traces(data, lang, big)
    traces = base[:2]
    kommun = data.municipality.code
    for name in ("hot99", "hot95", "hot90", "cold"):
        rows = cells[(cells["class"] == name).to_numpy()]
        if len(rows):
            traces.append(_trace(rows, name, cell_m, kommun, lang, k))
    traces += base[2:]
    layout = {
        "map": {"style": map_style(basemap), "center": {"lon": view["lon"], "lat": view["lat"]}, "zoom": view["zoom"]},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "uirevision": "hotspots", "font": _font(big),
        "legend": {"x": 0.01, "y": 0.99, "bgcolor": "rgba(255,255,255,0.85)", "tracegroupgap": 2},
        "meta": {"classes": {name: int((cells["class"] == name).sum()) for name in LEGEND_ORDER}},
    }
    return {"data": traces, "layout": layout}


__all__ = ["CLASS_COLORS", "LEGEND_ORDER", "class_label", "hotspot_figure"]
