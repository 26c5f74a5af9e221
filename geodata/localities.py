"""Named localities (tätorter, villages) per municipality and the nearest-locality lookup."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import shapely

from .crs import to_metric
from .municipality import get_municipality


@lru_cache(maxsize=1)
def _all_localities() -> pd.DataFrame:
    with resources.files("geodata").joinpath("data/localities.csv").open(encoding="utf-8") as f:
        frame = pd.read_csv(f, dtype={"kommun_kod": str})
    frame["x"], frame["y"] = to_metric(frame["lon"], frame["lat"])
    return frame


@lru_cache(maxsize=1)
def stations() -> pd.DataFrame:
    """Railway stations with WGS 84 and SWEREF 99 TM coordinates (Trafikverket)."""
    with resources.files("geodata").joinpath("data/stations.csv").open(encoding="utf-8") as f:
        return pd.read_csv(f, dtype={"kommun_kod": str})


@lru_cache(maxsize=16)
def localities(kommun: str = "0665") -> pd.DataFrame:
    """Localities of a municipality: name, lat, lon, x, y (SWEREF 99 TM), population.

    A municipality we hold no locality list for gets one entry: its own name at a
    point inside it, so that "nearest locality" always has an answer.
    """
    muni = get_municipality(kommun)
    frame = _all_localities()
    own = frame[frame["kommun_kod"] == muni.code].reset_index(drop=True)
    if len(own):
        return own
    lon, lat = muni.center_wgs84
    x, y = to_metric([lon], [lat])
    return pd.DataFrame(
        {
            "kommun_kod": [muni.code], "name": [muni.name], "lat": [lat], "lon": [lon],
            "population": [np.nan], "kind": ["kommun"], "verified": ["no"],
            "x": x, "y": y,
        }
    )


def nearest_locality_xy(x, y, kommun: str = "0665") -> tuple[np.ndarray, np.ndarray]:
    """For metric points: (index into localities(kommun), distance in metres) of the nearest."""
    locs = localities(kommun)
    lx = locs["x"].to_numpy()
    ly = locs["y"].to_numpy()
    x = np.asarray(x, dtype="float64")[:, None]
    y = np.asarray(y, dtype="float64")[:, None]
    # Few localities per municipality: a dense (n, k) distance matrix is the fastest route.
    dist = np.hypot(x - lx[None, :], y - ly[None, :])
    index = dist.argmin(axis=1)
    return index, dist[np.arange(len(index)), index]


def nearest_locality(points, kommun: str = "0665") -> pd.DataFrame:
    """Name and distance (m) of the nearest locality for each point of a GeoSeries/GeoDataFrame."""
    geoms = points.geometry if hasattr(points, "geometry") else points
    metric = geoms.to_crs("EPSG:3006")
    x = shapely.get_x(metric.to_numpy())
    y = shapely.get_y(metric.to_numpy())
    index, dist = nearest_locality_xy(x, y, kommun)
    names = localities(kommun)["name"].to_numpy()[index]
    return pd.DataFrame({"locality": names, "distance_m": dist}, index=geoms.index)
