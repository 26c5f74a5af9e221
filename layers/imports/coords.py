"""Import step: the coordinate system of a file's points (told apart from the values) and each row's place."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geodata import (
    KNOWN_CRS,
    METRIC,
    RT90_25_GON_V,
    SWEREF99_1330,
    SWEREF99_TM,
    WGS84,
    CRSError,
    get_municipality,
    parse_crs,
    transform,
)

from ..text import genitive
from .columns import COORD_FIELDS, Mapping
from .messages import msg
from .read import ImportFailed, SourceTable

#: Sweden's extent in WGS 84 (lon/lat), generous: used to tell coordinate systems apart.
SWEDEN_BBOX = (10.0, 55.0, 24.5, 69.2)
#: Coordinate systems tried when neither the file nor --crs says which one.
AUTO_CRS = (WGS84, SWEREF99_TM, SWEREF99_1330, RT90_25_GON_V)
#: A point this far outside the municipality still counts when telling CRSs apart.
DETECT_TOLERANCE_M = 5000.0


# -- numbers and coordinates --------------------------------------------------------------


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers with decimal point or comma (and spaces as thousands separators).

    Returns (floats with NaN for empty or bad, mask of non-empty values that are not numbers).
    """
    objs = values.to_numpy(dtype=object)
    out = np.full(len(objs), np.nan)
    is_num = np.array([isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in objs],
                      dtype=bool)
    if is_num.any():
        out[is_num] = objs[is_num].astype("float64")
    text = pd.Series(np.where(is_num, "", objs), dtype=object).astype("string").fillna("")
    text = text.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    text = text.str.replace("\u2212", "-", regex=False)
    has_comma = text.str.contains(",", regex=False)
    has_dot = text.str.contains(".", regex=False)
    both = (has_comma & has_dot).to_numpy()
    text = text.str.replace(",", ".", regex=False)
    parsed = pd.to_numeric(text.where(text != "", None), errors="coerce").to_numpy(dtype="float64")
    text_rows = ~is_num
    out[text_rows] = parsed[text_rows]
    out[both] = np.nan
    empty = text_rows & (text == "").to_numpy()
    bad = text_rows & ~empty & (np.isnan(out) | ~np.isfinite(out))
    out[~np.isfinite(out)] = np.nan
    return out, bad


def _in_sweden(x: np.ndarray, y: np.ndarray, crs: str) -> np.ndarray:
    ok = np.isfinite(x) & np.isfinite(y)
    inside = np.zeros(len(x), dtype=bool)
    if not ok.any():
        return inside
    with np.errstate(all="ignore"):
        lon, lat = transform(x[ok], y[ok], crs, WGS84)
    lon0, lat0, lon1, lat1 = SWEDEN_BBOX
    inside[ok] = (lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)
    return inside


def _crs_name(crs: str) -> str:
    return f"{KNOWN_CRS[crs]} ({crs})" if crs in KNOWN_CRS else crs


@dataclass(frozen=True)
class CRSChoice:
    crs: str
    #: The two coordinate arrays are (y, x) rather than (x, y).
    swapped: bool
    how: str


def choose_crs(a: np.ndarray, b: np.ndarray, kommun: str, given: str | None = None,
               candidates: Iterable[str] = AUTO_CRS, lang: str = "en") -> CRSChoice:
    """Which CRS and axis order the coordinate pair (a, b) is in; a is expected to be x/lon.

    With `given`, only the axis order is decided. Without, each candidate CRS is tried in
    both axis orders; those that put most points in Sweden remain. When more than one
    remains (SWEREF 99 TM and 13 30 overlap in the west), the one that puts most points in
    the municipality wins; if that does not settle it either, ImportFailed asks for --crs.
    """
    ok = np.isfinite(a) & np.isfinite(b)
    n = int(ok.sum())
    if n == 0:
        raise ImportFailed(msg("no_usable_coords", lang))
    a, b = a[ok], b[ok]
    tried = [given] if given else list(candidates)
    fits: list[tuple[str, bool, float]] = []
    for crs in tried:
        for swapped in (False, True):
            x, y = (b, a) if swapped else (a, b)
            share = float(_in_sweden(x, y, crs).mean())
            if share >= 0.5:
                fits.append((crs, swapped, share))
    example = msg("coords_example", lang, a=a[0], b=b[0])
    if given:
        if not fits:
            raise ImportFailed(msg("crs_given_not_in_sweden", lang, example=example, crs=_crs_name(given)))
        crs, swapped, _ = max(fits, key=lambda f: f[2])
        return CRSChoice(crs, swapped, msg("crs_how_given", lang))
    if not fits:
        names = ", ".join(KNOWN_CRS[c] for c in tried if c in KNOWN_CRS)
        raise ImportFailed(msg("crs_none_fits", lang, example=example, names=names))
    by_crs: dict[str, tuple[bool, float]] = {}
    for crs, swapped, share in fits:
        if crs not in by_crs or share > by_crs[crs][1]:
            by_crs[crs] = (swapped, share)
    if len(by_crs) == 1:
        crs, (swapped, _) = next(iter(by_crs.items()))
        return CRSChoice(crs, swapped, msg("crs_how_ranges", lang))
    muni = get_municipality(kommun)
    local: list[tuple[str, bool, float]] = []
    for crs, (swapped, _) in by_crs.items():
        x, y = (b, a) if swapped else (a, b)
        with np.errstate(all="ignore"):
            mx, my = transform(x, y, crs, METRIC)
        share = float(muni.contains_metric(mx, my, DETECT_TOLERANCE_M).mean())
        if share >= 0.5:
            local.append((crs, swapped, share))
    names = msg("and", lang).join(KNOWN_CRS.get(c, c) for c in by_crs)
    if len(local) == 1:
        crs, swapped, _ = local[0]
        return CRSChoice(crs, swapped, msg("crs_how_municipality", lang, names=names, crs=KNOWN_CRS.get(crs, crs),
                                           muni=muni.name, muni_genitive=genitive(muni.name)))
    options = msg("or", lang).join(f"--crs {c}" for c in by_crs)
    raise ImportFailed(msg("crs_ambiguous", lang, example=example, names=names, options=options))


@dataclass
class Coordinates:
    x: np.ndarray  # store CRS (SWEREF 99 TM), NaN where unusable
    y: np.ndarray
    reasons: dict[int, str]  # position -> reason
    notes: list[str]
    crs: str
    source: str  # which columns or "geometry"


def _pair_from_table(table: SourceTable, mapping: Mapping,
                     lang: str = "en") -> tuple[np.ndarray, np.ndarray, dict, str, str]:
    """(a, b, reasons, source description, naming) where a should be x/lon and b y/lat.

    naming: "latlon", "ne" or "xy" for coordinate columns, "geom" for a geometry or WKT.
    """
    n = len(table.frame)
    reasons: dict[int, str] = {}
    cols = mapping.columns
    if table.geometry is not None and not any(k in cols for k in COORD_FIELDS):
        geoms = table.geometry
        a = np.full(n, np.nan)
        b = np.full(n, np.nan)
        for i, g in enumerate(geoms):
            if g is None or not isinstance(g, shapely.Geometry) or g.is_empty:
                reasons[i] = msg("no_geometry", lang)
            elif shapely.get_type_id(g) == 4 and len(g.geoms) == 1:  # MultiPoint of one
                a[i], b[i] = g.geoms[0].x, g.geoms[0].y
            elif shapely.get_type_id(g) != 0:
                reasons[i] = msg("not_a_point", lang, geom_type=g.geom_type)
            else:
                a[i], b[i] = g.x, g.y
        return a, b, reasons, msg("coords_from_geometry", lang), "geom"
    if "wkt" in cols and not any(k in cols for k in ("lat", "lon", "n", "e", "x", "y")):
        text = table.frame[cols["wkt"]].astype(str).to_numpy(dtype=object)
        geoms = shapely.from_wkt(text, on_invalid="ignore")
        a = np.full(n, np.nan)
        b = np.full(n, np.nan)
        for i, g in enumerate(geoms):
            if g is None or g.is_empty:
                reasons[i] = msg("no_wkt_point", lang, column=cols["wkt"])
            elif shapely.get_type_id(g) != 0:
                reasons[i] = msg("not_a_point", lang, geom_type=g.geom_type)
            else:
                a[i], b[i] = g.x, g.y
        return a, b, reasons, msg("coords_from_wkt", lang, column=cols["wkt"]), "geom"
    for first, second, naming in (("lon", "lat", "latlon"), ("e", "n", "ne"), ("x", "y", "xy")):
        if first in cols and second in cols:
            a, bad_a = parse_numbers(table.frame[cols[first]])
            b, bad_b = parse_numbers(table.frame[cols[second]])
            for i in np.flatnonzero(bad_a | bad_b):
                col = cols[first] if bad_a[i] else cols[second]
                value = table.frame[col].iloc[i]
                reasons[int(i)] = msg("coord_not_number", lang, column=col, value=value)
            for i in np.flatnonzero(~(bad_a | bad_b) & (np.isnan(a) | np.isnan(b))):
                reasons[int(i)] = msg("coords_missing", lang)
            source = msg("coords_from_columns", lang, first=cols[first], second=cols[second])
            return a, b, reasons, source, naming
    present = [cols[k] for k in ("lat", "lon", "n", "e", "x", "y") if k in cols]
    if present:
        raise ImportFailed(msg("one_coord_column", lang, columns=", ".join(map(repr, present))))
    raise ImportFailed(msg("no_coords", lang, columns=", ".join(map(str, table.frame.columns))))


def _parse_crs(value: str, lang: str) -> str:
    try:
        return parse_crs(value)
    except CRSError:
        if lang == "en":
            raise
        known = ", ".join(f"{k} ({v})" for k, v in KNOWN_CRS.items())
        raise CRSError(msg("crs_unknown", lang, value=value, known=known)) from None


def locate(table: SourceTable, mapping: Mapping, kommun: str, crs: str | None = None,
           lang: str = "en") -> Coordinates:
    """Coordinates of every row in SWEREF 99 TM plus a reason for each unusable row."""
    a, b, reasons, source, naming = _pair_from_table(table, mapping, lang)
    given = crs or mapping.crs
    given = _parse_crs(given, lang) if given else None
    notes: list[str] = []
    usable = np.isfinite(a) & np.isfinite(b)
    if given is None and table.crs is not None and usable.any():
        try:
            choice = choose_crs(a, b, kommun, given=table.crs, lang=lang)
            how = msg("crs_how_file", lang)
        except ImportFailed:
            if not table.crs_implied:
                raise
            choice = choose_crs(a, b, kommun, lang=lang)
            how = msg("crs_how_implied", lang, how=choice.how)
    elif usable.any():
        choice = choose_crs(a, b, kommun, given=given, lang=lang)
        how = msg("crs_how_option", lang) if given else choice.how
    elif reasons:
        raise ImportFailed(msg("no_usable_coords_because", lang, reason=next(iter(reasons.values()))))
    else:
        raise ImportFailed(msg("no_usable_coords", lang))
    notes.append(msg("note_coordinates", lang, source=source, crs=_crs_name(choice.crs), how=how))
    if choice.swapped:
        if naming == "latlon":
            notes.append(msg("note_swapped_latlon", lang))
        elif naming == "ne":
            notes.append(msg("note_swapped_ne", lang))
        elif naming == "xy" and choice.crs != WGS84:
            notes.append(msg("note_x_northing", lang))
        else:
            notes.append(msg("note_swapped_order", lang))
    x, y = (b, a) if choice.swapped else (a, b)
    fits = _in_sweden(x, y, choice.crs)
    other = _in_sweden(y, x, choice.crs)
    for i in np.flatnonzero(usable & ~fits):
        if other[i]:
            first, second = ("latitude", "longitude") if naming == "latlon" else ("northing", "easting")
            reasons[int(i)] = msg("coords_swapped", lang, a=a[i], b=b[i], first=msg(first, lang),
                                  second=msg(second, lang))
        else:
            reasons[int(i)] = msg("coords_not_in_sweden", lang, a=a[i], b=b[i],
                                  crs=KNOWN_CRS.get(choice.crs, choice.crs))
    good = usable & fits
    mx = np.full(len(a), np.nan)
    my = np.full(len(a), np.nan)
    if good.any():
        mx[good], my[good] = transform(x[good], y[good], choice.crs, METRIC)
    muni = get_municipality(kommun)
    inside = np.zeros(len(a), dtype=bool)
    inside[good] = muni.contains_metric(mx[good], my[good])
    outside = good & ~inside
    if outside.any():
        dist = muni.distance_outside_m(mx[outside], my[outside])
        for i, d in zip(np.flatnonzero(outside), dist, strict=True):
            reasons[int(i)] = msg("outside_municipality", lang, distance=_distance(d, lang), muni=muni.name,
                                  muni_genitive=genitive(muni.name))
    mx[~(good & inside)] = np.nan
    my[~(good & inside)] = np.nan
    return Coordinates(mx, my, reasons, notes, choice.crs, source)


def _distance(metres: float, lang: str = "en") -> str:
    return msg("distance_km", lang, km=metres / 1000) if metres >= 1000 else msg("distance_m", lang, m=metres)
