"""Places named as people name them: locality plus the nearest named place for points and cells."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from .crs import to_metric
from .grid import DEFAULT_CELL_M, parse_cell_id
from .localities import localities
from .municipality import normalise_code

#: A named place names the points within this distance ("Skillingaryd – stationen")...
NEAR_M = 400.0
#: ...and, beyond this, with a direction ("Vaggeryd – norr om stationen").
AT_M = 150.0
#: Smallest radius a locality covers; larger ones grow with the population (`locality_radius_m`).
MIN_LOCALITY_M = 500.0

_DIRECTIONS = {
    "sv": ("norr", "nordost", "öster", "sydost", "söder", "sydväst", "väster", "nordväst"),
    "en": ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest"),
}
_WORDS = {
    "sv": {"of": "{dir} om {name}", "rural": "Landsbygd {km} km {dir} om {name}", "near": "Landsbygd nära {name}"},
    "en": {"of": "{dir} of {name}", "rural": "Countryside {km} km {dir} of {name}",
           "near": "Countryside near {name}"},
}


@lru_cache(maxsize=1)
def _all_places() -> pd.DataFrame:
    with resources.files("geodata").joinpath("data/places.csv").open(encoding="utf-8") as f:
        frame = pd.read_csv(f, dtype={"kommun_kod": str})
    frame["x"], frame["y"] = to_metric(frame["lon"], frame["lat"])
    return frame


@lru_cache(maxsize=16)
def named_places(kommun: str = "0665") -> pd.DataFrame:
    """Named places (station, centre, school, square, park, road) of one municipality: locality,
    name, name_en, kind, lat, lon, x, y (SWEREF 99 TM), verified, source. Empty when none are packaged."""
    frame = _all_places()
    return frame[frame["kommun_kod"] == normalise_code(kommun)].reset_index(drop=True)


def locality_radius_m(population) -> np.ndarray:
    """How far a locality reaches from its point: a circle at about 800 inhabitants per km²
    (20 m × √population; Swedish tätorter are mostly denser, so this errs towards 'in the
    locality'), at least MIN_LOCALITY_M; an unknown population gets the minimum."""
    pop = np.nan_to_num(np.asarray(population, dtype="float64"), nan=0.0)
    return np.maximum(20.0 * np.sqrt(pop), MIN_LOCALITY_M)


def _sector(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Compass sector 0..7 (north, north-east, ...) of the vector (dx east, dy north)."""
    bearing = np.degrees(np.arctan2(dx, dy)) % 360.0
    return np.round(bearing / 45.0).astype("int64") % 8


_AT, _NEAR, _INSIDE, _RURAL = 0, 1, 2, 3


def _text(tier: int, index: int, sector: int, km: int, places: dict, loc_names, lang: str, detail: bool) -> str:
    words = _WORDS[lang]
    direction = _DIRECTIONS[lang][sector]
    if tier in (_AT, _NEAR):
        locality, label = places["locality"][index], places["label"][index]
        if tier == _AT:
            return f"{locality} – {label}"
        return f"{locality} – " + words["of"].format(dir=direction, name=label)
    name = loc_names[index]
    if tier == _INSIDE:
        return f"{name} – {direction}"
    return words["rural"].format(km=km, dir=direction, name=name) if detail else words["near"].format(name=name)


def place_names(x, y, kommun: str = "0665", lang: str = "sv", detail: bool = True) -> np.ndarray:
    """Names for metric (SWEREF 99 TM) points, as people say where something is:

    * within AT_M of a named place: "Skillingaryd – stationen";
    * within NEAR_M of one: "Vaggeryd – norr om stationen";
    * else inside a locality (`locality_radius_m`): "Skillingaryd – nordost" (from its point);
    * else: "Landsbygd 3 km nordost om Vaggeryd" (the nearest locality, whole km, at least 1).

    With `detail=False` (areas to group by) the direction from a place is dropped and the
    countryside is "Landsbygd nära Vaggeryd". A point without a place (NaN) gets "". Name only
    coordinates the viewer may see: the name is as precise as the point.
    """
    lang = "en" if lang == "en" else "sv"
    x = np.atleast_1d(np.asarray(x, dtype="float64"))
    y = np.atleast_1d(np.asarray(y, dtype="float64"))
    out = np.full(len(x), "", dtype=object)
    placed = ~(np.isnan(x) | np.isnan(y))
    if not placed.any():
        return out
    px, py = x[placed], y[placed]
    n = len(px)
    tier = np.full(n, _INSIDE, dtype="int64")
    index = np.zeros(n, dtype="int64")
    sector = np.zeros(n, dtype="int64")
    km = np.zeros(n, dtype="int64")
    todo = np.ones(n, dtype=bool)
    places = named_places(kommun)
    if len(places):
        dx = px[:, None] - places["x"].to_numpy()[None, :]
        dy = py[:, None] - places["y"].to_numpy()[None, :]
        dist = np.hypot(dx, dy)
        nearest = dist.argmin(axis=1)
        rows = np.arange(n)
        d = dist[rows, nearest]
        at = d <= (AT_M if detail else NEAR_M)
        near = (d <= NEAR_M) & ~at
        tier[at], tier[near] = _AT, _NEAR
        index[at | near] = nearest[at | near]
        sector[near] = _sector(dx[rows, nearest][near], dy[rows, nearest][near])
        todo = ~(at | near)
    locs = localities(kommun)
    if todo.any():
        tx, ty = px[todo], py[todo]
        dx = tx[:, None] - locs["x"].to_numpy()[None, :]
        dy = ty[:, None] - locs["y"].to_numpy()[None, :]
        # The locality whose reach the point is deepest inside (else simply the nearest):
        # a point between a big and a small locality belongs to the one it lies in.
        reach = locality_radius_m(locs["population"].to_numpy())
        dist = np.hypot(dx, dy)
        relative = dist / reach[None, :]
        inside = relative.min(axis=1) <= 1.0
        # Outside every locality: the nearest one, as people give directions.
        which = np.where(inside, relative.argmin(axis=1), dist.argmin(axis=1))
        rows = np.arange(len(tx))
        tier[todo] = np.where(inside, _INSIDE, _RURAL)
        index[todo] = which
        sector[todo] = _sector(dx[rows, which], dy[rows, which])
        km[todo] = np.where(inside, 0, np.maximum(np.round(dist[rows, which] / 1000.0), 1)).astype("int64")
    if not detail:
        sector[(tier == _RURAL)] = 0
        km[(tier == _RURAL)] = 0
    # Few distinct names among many points: each is written once.
    # Few distinct names among many points: each is written once (one integer key per name;
    # km is at most a municipality's width, far below 10⁶).
    keys = ((tier * 10_000 + index) * 8 + sector) * 1_000_000 + km
    unique, inverse = np.unique(keys, return_inverse=True)
    lookup = {"locality": places["locality"].to_numpy(dtype=object),
              "label": places["name_en" if lang == "en" else "name"].to_numpy(dtype=object)}
    loc_names = locs["name"].to_numpy(dtype=object)
    texts = np.array([_text(int(k // 1_000_000 // 8 // 10_000), int(k // 1_000_000 // 8 % 10_000),
                            int(k // 1_000_000 % 8), int(k % 1_000_000), lookup, loc_names, lang, detail)
                      for k in unique], dtype=object)
    out[placed] = texts[inverse]
    return out


def place_name(x: float, y: float, kommun: str = "0665", lang: str = "sv") -> str:
    """The name of one metric point (see `place_names`)."""
    return str(place_names([x], [y], kommun, lang)[0])


def cell_place_names(ix, iy, size_m: int = DEFAULT_CELL_M, kommun: str = "0665", lang: str = "sv") -> np.ndarray:
    """Names of grid cells by their centres: a published cell's name says nothing finer than the cell."""
    ix = np.asarray(ix, dtype="float64")
    iy = np.asarray(iy, dtype="float64")
    return place_names((ix + 0.5) * size_m, (iy + 0.5) * size_m, kommun, lang)


def cell_id_place_names(ids, kommun: str = "0665", lang: str = "sv") -> np.ndarray:
    """Names for cell ids like '500mN12730E890' (ValueError naming the id for anything else)."""
    parsed = [parse_cell_id(str(i)) for i in ids]
    if not parsed:
        return np.array([], dtype=object)
    size, ix, iy = (np.array(v, dtype="float64") for v in zip(*parsed, strict=True))
    return place_names((ix + 0.5) * size, (iy + 0.5) * size, kommun, lang)


def unique_labels(names, keys) -> list[str]:
    """`names` made unique for one list: a name shared by several rows gets its key appended
    ("Vaggeryd – nordost · 500mN12746E897"), so two rows never read the same."""
    names = [str(n) for n in names]
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return [f"{n} · {k}" if seen[n] > 1 else n for n, k in zip(names, keys, strict=True)]
