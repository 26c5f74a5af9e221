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

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import METRIC, WGS84, cell_rings_wgs84
from layers import privacy
from layers.schema import ACTIVITY_COLUMNS, REPORT_COLUMNS
from layers.store import Query

# The public names of the export, from the modules of its steps.
from .export_html import _asset_paths, asset_elements, cell_indices, esc, render_html, safe_json
from .export_view import (
    CELL_M,
    CLUSTER_FROM,
    FORMATS,
    ROLE_SV,
    ROLES,
    ExportError,
    RoleView,
    check_role,
    describe_filter,
    describe_selection,
    release_for,
    release_text,
    role_name,
    role_view,
)
from .i18n import t

# -- files ------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    files: list[Path]
    points: int
    cells: int
    activities: int
    approximate: int
    remote_assets: list[str] = field(default_factory=list)

    def summary(self, lang: str = "en") -> str:
        """What was written, for the console (English unless the export's language is asked for)."""
        parts = [t("exportsum_points", lang, n=self.points), t("exportsum_cells", lang, n=self.cells),
                 t("exportsum_activities", lang, n=self.activities)]
        if self.approximate:
            parts.append(t("exportsum_approximate", lang, n=self.approximate))
        text = t("exportsum_wrote", lang, files=", ".join(str(f) for f in self.files), parts=", ".join(parts))
        if self.remote_assets:
            text += t("exportsum_remote", lang, names=", ".join(self.remote_assets))
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


#: Codes for a release unit in export files' `enhet` column: a cell, a locality's 'spridda
#: rapporter', the rest. Codes of a data column, read back by tools: the same in every language.
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
           filter_text: str | None = None, release=None, today: dt.date | None = None,
           lang: str = "sv") -> ExportResult:
    """Write the filtered data that `role` may see to `out` in `fmt` (see the module docstring).

    csv/geojson: the reports the role sees as points, in the store's columns (CSV with lat/lon
    in WGS 84); grid-cell counts go to OUT-rutor.csv/.geojson beside it, or to OUT itself for a
    role that sees no points (allmanhet). gpkg: layers `reports`, `activities` and
    `report_cells` in SWEREF 99 TM. For a reduced role the cells come from its release
    (`release`: the dashboard's; else the role's current release for `query`), with the
    published 'spridda rapporter' and remainders as rows without a cell, so the file's total
    is the screen's. `lang` is the language of the HTML map's texts (title, legend, notes,
    popups); column names and codes of the data files are the same in every language.
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
        text = render_html(store, view, query, role, heatmap=heatmap, filter_text=filter_text, lang=lang)
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


__all__ = [
    "CELL_M", "CLUSTER_FROM", "FORMATS", "ROLES", "ROLE_SV", "ExportError", "ExportResult", "RoleView",
    "_asset_paths", "activities_gdf", "asset_elements", "cell_indices", "cells_frame", "check_role",
    "describe_filter", "describe_selection", "esc", "export", "guard_formula", "point_geometry", "points_frame", "points_gdf",
    "release_for", "release_text", "render_html", "role_name", "role_view", "safe_json", "sibling", "units_frame",
    "units_lonlat",
]
