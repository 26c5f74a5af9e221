"""Coordinate systems used by Swedish municipalities and fast point transforms between them."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import CRS, Transformer

WGS84 = "EPSG:4326"
SWEREF99_TM = "EPSG:3006"
SWEREF99_1330 = "EPSG:3008"
RT90_25_GON_V = "EPSG:3021"

#: The metric CRS all spatial arithmetic (buffers, grids, distances) is done in.
METRIC = SWEREF99_TM

KNOWN_CRS = {
    WGS84: "WGS 84 (lat/lon)",
    SWEREF99_TM: "SWEREF 99 TM",
    SWEREF99_1330: "SWEREF 99 13 30",
    RT90_25_GON_V: "RT90 2.5 gon V",
}


class CRSError(ValueError):
    """An unknown or unusable coordinate reference system was given."""


def parse_crs(value: str | int) -> str:
    """Normalise 'EPSG:3006', '3006' or 3006 to 'EPSG:3006', with a clear error otherwise."""
    text = str(value).strip().upper()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        CRS.from_user_input(text)
    except Exception as exc:  # pyproj raises its own CRSError subclasses
        known = ", ".join(f"{k} ({v})" for k, v in KNOWN_CRS.items())
        raise CRSError(f"unknown coordinate system {value!r}; use e.g. {known}") from exc
    return text


@lru_cache(maxsize=32)
def _transformer(src: str, dst: str) -> Transformer:
    # always_xy: x = easting/longitude, y = northing/latitude, whatever the CRS axis order says.
    return Transformer.from_crs(src, dst, always_xy=True)


def transform(x, y, src: str, dst: str) -> tuple[np.ndarray, np.ndarray]:
    """Transform coordinate arrays (x = easting/lon, y = northing/lat) from src to dst."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if src == dst:
        return x.copy(), y.copy()
    return _transformer(parse_crs(src), parse_crs(dst)).transform(x, y)


def to_wgs84(x, y, src: str = METRIC) -> tuple[np.ndarray, np.ndarray]:
    """Return (lon, lat) arrays for metric coordinates."""
    return transform(x, y, src, WGS84)


def to_metric(lon, lat, src: str = WGS84) -> tuple[np.ndarray, np.ndarray]:
    """Return (easting, northing) arrays in SWEREF 99 TM."""
    return transform(lon, lat, src, METRIC)
