"""The report's map for paper: plain Plotly `scatter` on SWEREF 99 TM metres — the municipality's
boundary, its localities, the role's reports per grid cell and the activities — with no WebGL and
no tiles, so it is drawn as vector SVG in a fraction of a MapLibre map's time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata import parse_cell_id
from geodata.grid import cell_index

from ..data import AppData
from ..figures import cells_note
from ..i18n import number, t
from ..roles import RoleFrames

#: The figure's size in CSS pixels (dashboard.report.svg.SIZES["map"]) and its margins.
WIDTH, HEIGHT = 700, 560
MARGIN = {"l": 8, "r": 8, "t": 8, "b": 40}
ACTIVITY_COLOR = "#111111"
FONT = {"family": "DejaVu Sans, Liberation Sans, Arial, sans-serif", "size": 11, "color": "#111111"}


def _lines(geometry) -> tuple[list, list]:
    """x and y of every ring of a (multi)polygon, rings parted by None (one trace for all)."""
    xs: list = []
    ys: list = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        for ring in (polygon.exterior, *polygon.interiors):
            x, y = ring.xy
            xs += [round(v, 1) for v in x] + [None]
            ys += [round(v, 1) for v in y] + [None]
    return xs, ys


#: Reports per cell, drawn from light to dark (a legend entry each; no colour bar, which
#: needs an SVG gradient some PDF renderers leave out).
CLASSES = ((1, 1), (2, 4), (5, 9), (10, 19), (20, None))


def _shade(color: str, f: float) -> str:
    """`color` mixed with white (f=0: light) up to itself darkened (f=1)."""
    r, g, b = (int(color.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    light, dark = 0.75 * (1 - f) if f < 0.5 else 0.0, max(0.0, (f - 0.5) * 0.9)
    mix = [round((c + (255 - c) * light) * (1 - dark)) for c in (r, g, b)]
    return "#{:02X}{:02X}{:02X}".format(*mix)


def _class_name(low: int, high: int | None, lang: str) -> str:
    if high is None:
        return t("report_map_class_more", lang, low=number(low, lang))
    if low == high:
        return t("report_map_class_one", lang, n=number(low, lang))
    return t("report_map_class", lang, low=number(low, lang), high=number(high, lang))


def cell_counts(frames: RoleFrames, cell_m: int) -> pd.DataFrame:
    """Reports per grid cell (ix, iy, count): the points the role sees, counted on the data
    file's grid, plus the release's published cells (each ≥ k)."""
    parts = []
    points = frames.points
    placed = points[~(np.isnan(points["x"].to_numpy(dtype="float64")) | np.isnan(points["y"].to_numpy(dtype="float64")))]
    if len(placed):
        ix, iy = cell_index(placed["x"].to_numpy(dtype="float64"), placed["y"].to_numpy(dtype="float64"), cell_m)
        parts.append(pd.DataFrame({"ix": ix, "iy": iy, "count": 1}))
    cells = frames.cells
    if len(cells):
        parsed = [parse_cell_id(c) for c in cells["cell_id"]]
        parts.append(pd.DataFrame({"ix": [p[1] for p in parsed], "iy": [p[2] for p in parsed],
                                   "count": cells["count"].to_numpy(dtype="int64")}))
    if not parts:
        return pd.DataFrame({"ix": pd.Series(dtype="int64"), "iy": pd.Series(dtype="int64"),
                             "count": pd.Series(dtype="int64")})
    out = pd.concat(parts, ignore_index=True).groupby(["ix", "iy"], sort=True)["count"].sum().reset_index()
    return out.astype("int64")


def paper_map(data: AppData, frames: RoleFrames, color: str, lang: str) -> dict:
    """The focus area's map for the printed report (a Plotly figure dict)."""
    cell_m = frames.policy.cell_m
    boundary = data.municipality.geometry_metric
    west, south, east, north = boundary.bounds
    pad = 0.03 * max(east - west, north - south)
    west, south, east, north = west - pad, south - pad, east + pad, north + pad
    # Metres per pixel with equal axes: the tighter of the two directions sets the scale.
    plot_w, plot_h = WIDTH - MARGIN["l"] - MARGIN["r"], HEIGHT - MARGIN["t"] - MARGIN["b"]
    px_per_m = min(plot_w / (east - west), plot_h / (north - south))
    bx, by = _lines(boundary)
    traces = [{"type": "scatter", "mode": "lines", "x": bx, "y": by, "line": {"color": "#222222", "width": 1.6},
               "hoverinfo": "skip", "showlegend": False, "name": t("boundary", lang)}]
    counts = cell_counts(frames, cell_m)
    size = max(3.0, cell_m * px_per_m)
    n = counts["count"].to_numpy()
    for i, (low, high) in enumerate(CLASSES):
        inside = (n >= low) & (n <= (high if high is not None else n.max(initial=0)))
        if not inside.any():
            continue
        mine = counts[inside]
        traces.append({
            "type": "scatter", "mode": "markers", "x": ((mine["ix"] + 0.5) * cell_m).tolist(),
            "y": ((mine["iy"] + 0.5) * cell_m).tolist(),
            "marker": {"symbol": "square", "size": size, "color": _shade(color, i / (len(CLASSES) - 1)),
                       "line": {"width": 0.3, "color": "#555555"}},
            "name": _class_name(low, high, lang), "showlegend": True, "hoverinfo": "skip",
        })
    locs = data.localities
    traces.append({"type": "scatter", "mode": "markers+text", "x": locs["x"].round(1).tolist(),
                   "y": locs["y"].round(1).tolist(), "text": locs["name"].tolist(), "textposition": "top right",
                   "marker": {"size": 5, "color": "#444444"}, "textfont": {**FONT, "size": 10},
                   "hoverinfo": "skip", "name": t("localities", lang), "showlegend": False})
    acts = frames.activities
    acts = acts[~(np.isnan(acts["x"].to_numpy(dtype="float64")) | np.isnan(acts["y"].to_numpy(dtype="float64")))]
    if len(acts):
        traces.append({"type": "scatter", "mode": "markers", "x": acts["x"].round(1).tolist(),
                       "y": acts["y"].round(1).tolist(),
                       "marker": {"symbol": "diamond", "size": 8, "color": "#FFFFFF",
                                  "line": {"width": 1.6, "color": ACTIVITY_COLOR}},
                       "hoverinfo": "skip", "name": t("layer_activities", lang), "showlegend": True})
    note = ""
    if frames.release is not None and frames.release.layers:
        note = cells_note(frames.cells, frames.scattered, data, lang, cell_m, other=frames.other)
    shown = int(counts["count"].sum()) if len(counts) else 0
    caption = t("report_map_caption", lang, n=number(shown, lang), total=number(frames.total, lang), size=cell_m)
    axis = {"visible": False, "showgrid": False, "zeroline": False}
    return {"data": traces, "layout": {
        "width": WIDTH, "height": HEIGHT, "margin": MARGIN, "paper_bgcolor": "#FFFFFF", "plot_bgcolor": "#FFFFFF",
        "font": FONT, "showlegend": True,
        "legend": {"title": {"text": t("report_map_cells", lang, size=cell_m)}, "x": 1.0, "y": 1.0,
                   "xanchor": "right", "yanchor": "top", "bgcolor": "rgba(255,255,255,0.85)"},
        "xaxis": {**axis, "range": [west, east], "constrain": "domain"},
        "yaxis": {**axis, "range": [south, north], "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
        "annotations": [{"text": caption + (f"<br>{note}" if note else ""), "xref": "paper", "yref": "paper",
                         "x": 0, "y": 0, "yshift": -6, "xanchor": "left", "yanchor": "top", "showarrow": False,
                         "align": "left", "font": {**FONT, "size": 9.5}}],
    }}


__all__ = ["cell_counts", "paper_map"]
