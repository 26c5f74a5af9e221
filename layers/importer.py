"""File import: CSV, Excel, GeoJSON, GeoPackage and zipped Shapefile into the store.

Pure functions that the CLI (`trygghetskarta import`) and the app's upload share:

- `read_source` (from `layers.import_readers`) reads a file into a table of text/values with
  1-based row numbers.
- `auto_mapping` finds which column feeds which store field (Swedish and English headers);
  a TOML/JSON mapping file overrides it.
- `choose_crs` tells WGS 84, SWEREF 99 TM, SWEREF 99 13 30 and RT90 apart from the values.
- `parse_times` (from `layers.import_times`) reads ISO, `YYYY-MM-DD HH:MM`, `DD/MM/YYYY`, Excel serial dates and Swedish
  local time (with the DST changes), each checked against the field's plausible range
  (`import_spans`) before anything converts it, and offsets against what clocks use.
- `prepare_import` turns a file into store rows plus one rejection per bad row;
  `run_import` stores the accepted rows in one transaction and writes `FILE.rejected.csv`.

Every input row ends up as exactly one of: stored, duplicate (already in the store or repeated
in the file), rejected (with its row number and reason) or empty (a row with no values).
Row numbers count data rows: row 1 is the first row under the header.
"""

from __future__ import annotations

import json
import os
import re
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
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

from . import aktiviteter
from .import_messages import check_lang, genitive, msg, shorten, store_reason
from .import_readers import (
    ImportFailed,
    RowProgress,
    SourceTable,
    decode_text,
    read_csv_file,
    read_csv_text,
    read_source,
    read_xlsx,
    sniff_delimiter,
)
from .import_times import (
    import_spans,
    local_iso,
    parse_times,
    parse_wall_times,
    span_reason,
    span_words,
)
from .schema import (
    ACTIVITY_COLUMNS,
    ACTIVITY_STATUSES,
    ACTORS,
    ANY_TIME,
    REPORT_COLUMNS,
    REPORT_STATUSES,
    SOURCES,
    TimeSpan,
    stable_id,
)

KINDS = ("reports", "activities")
#: Sweden's extent in WGS 84 (lon/lat), generous: used to tell coordinate systems apart.
SWEDEN_BBOX = (10.0, 55.0, 24.5, 69.2)
#: Coordinate systems tried when neither the file nor --crs says which one.
AUTO_CRS = (WGS84, SWEREF99_TM, SWEREF99_1330, RT90_25_GON_V)
#: A point this far outside the municipality still counts when telling CRSs apart.
DETECT_TOLERANCE_M = 5000.0
#: Show a progress bar from this many rows.
PROGRESS_FROM = 5000
#: Rows turned into store rows at a time (`prepare_import`): the fields, ids, points and the
#: store's own checks of one block are made and dropped before the next, so a huge file holds
#: its source table and the accepted rows, not every temporary of every row at once.
PREPARE_BLOCK = 50_000


# -- column mapping -------------------------------------------------------------------------


def norm_header(name: str) -> str:
    """'Datum och tid' -> 'datumochtid'; 'Källa ' -> 'källa' (letters and digits only)."""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _words(name: str) -> list[str]:
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    return [w for w in re.split(r"[^\w]+|_", text) if w]


#: Header names (normalised) per target field, in order of preference.
REPORT_FIELDS: dict[str, tuple[str, ...]] = {
    "occurred_at": ("occurredat", "datumochtid", "datumtid", "tidpunkt", "händelsetid", "händelsedatum",
                    "datetime", "occurred", "date", "datum", "när", "tid", "time"),
    "time_of_day": ("klockslag", "kl", "tid", "time", "tidpunkt"),
    "reported_at": ("reportedat", "rapporterad", "rapporterat", "inrapporterad", "inkommen", "inkom",
                    "registrerad", "reported", "created", "skapad"),
    "category": ("category", "kategori", "typ", "type", "ärendetyp", "problem"),
    "description": ("description", "beskrivning", "kommentar", "kommentarer", "comment", "fritext",
                    "text", "anteckning", "notes", "meddelande"),
    "source": ("source", "källa", "kanal"),
    "status": ("status",),
    "layer": ("layer", "lager"),
    "focus_area": ("focusarea", "fokusområde", "fokus"),
    "id": ("id", "löpnummer", "lopnummer", "ärendenummer", "svarsid", "responseid"),
}
ACTIVITY_FIELDS: dict[str, tuple[str, ...]] = {
    "planned_at": ("plannedat", "planerad", "planerat", "planned", "datumochtid", "tidpunkt", "start",
                   "datetime", "date", "datum"),
    "time_of_day": ("klockslag", "kl", "tid", "time"),
    "done_at": ("doneat", "genomförd", "genomfört", "utförd", "utfört", "done", "klar"),
    "actor": ("actor", "aktör", "utförare", "ansvarig"),
    "kind": ("kind", "aktivitet", "insats", "typ", "type", "slag"),
    "duration_min": ("durationmin", "varaktighet", "minuter", "duration", "längd", "tidmin"),
    "status": ("status",),
    "description": REPORT_FIELDS["description"],
    "focus_area": REPORT_FIELDS["focus_area"],
    "id": REPORT_FIELDS["id"],
}
#: Coordinate columns: word tokens that name them.
COORD_WORDS = {
    "lat": ("lat", "latitud", "latitude", "breddgrad"),
    "lon": ("lon", "lng", "long", "longitud", "longitude", "längdgrad"),
    "n": ("n", "northing", "nord", "norr", "nordlig"),
    "e": ("e", "easting", "öst", "ost", "öster", "ostlig", "östlig"),
    "x": ("x",),
    "y": ("y",),
    "wkt": ("wkt", "geometry", "geometri", "geom"),
}
COORD_FIELDS = ("lat", "lon", "n", "e", "x", "y", "wkt")


@dataclass
class Mapping:
    """Which source column feeds each field, fixed values, value translations."""

    columns: dict[str, str]
    defaults: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    crs: str | None = None
    sheet: str | None = None
    gis_layer: str | None = None
    #: Where each entry came from: "auto" or "mapping file".
    origin: dict[str, str] = field(default_factory=dict)


def load_mapping_file(path: str | os.PathLike, lang: str = "en") -> dict:
    """Read a TOML or JSON mapping file (see docs/importera.md for the keys)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(msg("mapping_unreadable", lang, path=path, error=exc.strerror)) from None
    text = decode_text(raw)[0]
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ImportFailed(msg("mapping_invalid", lang, name=path.name, format=path.suffix[1:].upper() or "TOML",
                               error=exc)) from None
    if not isinstance(data, dict):
        raise ImportFailed(msg("mapping_not_table", lang, name=path.name))
    allowed = {"columns", "defaults", "values", "crs", "file"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ImportFailed(msg("mapping_unknown_key", lang, name=path.name, key=unknown[0],
                               allowed=", ".join(sorted(allowed))))
    for key in ("columns", "defaults", "values", "file"):
        if key in data and not isinstance(data[key], dict):
            raise ImportFailed(msg("mapping_section_not_table", lang, name=path.name, key=key))
    return data


def auto_mapping(columns: Iterable[str], kind: str) -> dict[str, str]:
    """Target field -> source column, from common Swedish and English headers."""
    columns = list(columns)
    fields = REPORT_FIELDS if kind == "reports" else ACTIVITY_FIELDS
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(norm_header(col), col)
    out: dict[str, str] = {}
    used: set[str] = set()
    # A store-schema file (our own export): exact names win.
    schema = REPORT_COLUMNS if kind == "reports" else ACTIVITY_COLUMNS
    for name in schema:
        if name in columns and name != "geometry":
            out[name] = name
            used.add(name)
    for target, names in fields.items():
        if target in out or target == "time_of_day":
            continue
        for name in names:
            col = by_norm.get(name)
            if col is not None and col not in used:
                out[target] = col
                used.add(col)
                break
    # A separate clock-time column next to a date-only column.
    time_field = "occurred_at" if kind == "reports" else "planned_at"
    if time_field in out and norm_header(out[time_field]) in ("datum", "date", "händelsedatum"):
        for name in fields["time_of_day"]:
            col = by_norm.get(name)
            if col is not None and col not in used:
                out["time_of_day"] = col
                used.add(col)
                break
    # Coordinates by word tokens ("Lat (WGS84)", "SWEREF99 N", "X-koordinat").
    for col in columns:
        if col in used:
            continue
        words = _words(col)
        for target in COORD_FIELDS:
            if target in out:
                continue
            if any(w in COORD_WORDS[target] for w in words):
                out[target] = col
                used.add(col)
                break
    return out


def build_mapping(table: SourceTable, kind: str, mapping_file: dict | None = None, lang: str = "en") -> Mapping:
    auto = auto_mapping(table.frame.columns, kind)
    mapping = Mapping(columns=dict(auto), origin={k: "auto" for k in auto})
    if not mapping_file:
        return mapping
    fields = set(REPORT_FIELDS if kind == "reports" else ACTIVITY_FIELDS) | set(COORD_FIELDS)
    cols = mapping_file.get("columns", {})
    for target, source in cols.items():
        if target not in fields:
            raise ImportFailed(msg("mapping_unknown_column_field", lang, target=target, fields=", ".join(sorted(fields))))
        if source in ("", None, False):
            mapping.columns.pop(target, None)
            mapping.origin.pop(target, None)
            continue
        if source not in table.frame.columns:
            raise ImportFailed(msg("mapping_column_absent", lang, source=source, target=target,
                                   columns=", ".join(map(str, table.frame.columns))))
        # A column can feed one field only: an explicit choice releases it elsewhere.
        for other, col in list(mapping.columns.items()):
            if col == source and other != target:
                del mapping.columns[other]
                mapping.origin.pop(other, None)
        mapping.columns[target] = source
        mapping.origin[target] = "mapping file"
    mapping.defaults = {k: str(v) for k, v in mapping_file.get("defaults", {}).items()}
    for target in mapping.defaults:
        if target not in fields:
            raise ImportFailed(msg("mapping_unknown_default_field", lang, target=target))
    for target, table_values in mapping_file.get("values", {}).items():
        if not isinstance(table_values, dict):
            raise ImportFailed(msg("mapping_values_not_table", lang, target=target))
        mapping.values[target] = {str(k).strip().casefold(): str(v) for k, v in table_values.items()}
    if mapping_file.get("crs"):
        mapping.crs = str(mapping_file["crs"])
    file_opts = mapping_file.get("file", {})
    mapping.sheet = file_opts.get("sheet")
    mapping.gis_layer = file_opts.get("layer")
    return mapping


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


# -- vocabularies -------------------------------------------------------------------------

SOURCE_SYNONYMS = {
    "medborgare": "medborgare", "invånare": "medborgare", "allmänheten": "medborgare",
    "polis": "polis", "polisen": "polis", "kommun": "kommun", "kommunen": "kommun",
    "sociala medier": "sociala_medier", "sociala_medier": "sociala_medier", "facebook": "sociala_medier",
    "medborgardialog": "medborgardialog", "trygghetsvandring": "medborgardialog", "dialog": "medborgardialog",
    "import": "import", "citizen": "medborgare", "police": "polis", "municipality": "kommun",
    "social media": "sociala_medier",
}
STATUS_SYNONYMS = {
    "new": "ny", "confirmed": "bekräftad", "resolved": "åtgärdad", "rejected": "avvisad",
    "planned": "planerad", "done": "genomförd", "cancelled": "inställd", "canceled": "inställd",
    "klar": "genomförd", "utförd": "genomförd", "genomfört": "genomförd", "planerat": "planerad",
    "inställt": "inställd",
}
ACTOR_SYNONYMS = {
    "polisen": "polis", "police": "polis", "kommunen": "kommun", "municipality": "kommun",
    "båda": "gemensam", "gemensamt": "gemensam", "joint": "gemensam", "polis och kommun": "gemensam",
}


def _vocabulary_or_default(table, mapping, target: str, allowed, synonyms, default: str, n: int, reasons,
                           implicit: dict, reason) -> np.ndarray:
    """A vocabulary column whose absence or empty cells mean `default`; other unknown values
    are rejected with `reason(value)`."""
    col = _column(table, mapping, target)
    if col is None:
        implicit[target] = f"'{default}'"
        return np.full(n, default, dtype=object)
    values, bad = map_vocabulary(col, allowed, synonyms, mapping.values.get(target))
    text = _text(col, n)
    empty = (text == "").to_numpy()
    reasons.add_many(bad & ~empty, lambda p: reason(text[p]))
    return np.where(empty, default, values)


def map_vocabulary(values: pd.Series, allowed: Iterable[str], synonyms: dict | None = None,
                   user: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Case-insensitive mapping of text to a vocabulary: (mapped values, mask of unknown)."""
    allowed = tuple(allowed)
    table: dict[str, str] = {a.casefold(): a for a in allowed}
    for k, v in (synonyms or {}).items():
        if v in allowed:
            table.setdefault(k.casefold(), v)
    for k, v in (user or {}).items():
        table[k.casefold()] = v
    keys = values.astype("string").fillna("").str.strip().str.casefold()
    mapped = keys.map(table).to_numpy(dtype=object)
    bad = pd.isna(mapped) | ~pd.Series(mapped).isin(allowed).to_numpy()
    return mapped, bad


# -- preparing an import ------------------------------------------------------------------


@dataclass
class Rejection:
    row: int
    reason: str


@dataclass
class PreparedImport:
    kind: str
    table: SourceTable
    mapping: Mapping
    #: Accepted rows in the store schema (SWEREF 99 TM), indexed by input row number.
    frame: gpd.GeoDataFrame
    rejected: list[Rejection]
    #: Rows repeated within the file: row number -> the earlier row with the same content.
    repeated: dict[int, int]
    notes: list[str]
    mapping_lines: list[str]
    #: Set once the source table keeps only the rejected rows (`run_import`, before storing).
    source_rows: int | None = None

    @property
    def total(self) -> int:
        if self.source_rows is not None:
            return self.source_rows
        return len(self.table.frame) + len(self.table.empty_rows)

    def keep_rejected_values(self) -> None:
        """From here on only the rejected rows' original values are needed (the rejected-rows
        file): the rest of the source table goes, before the accepted rows are stored."""
        self.source_rows = self.total
        self.table.frame = self.table.frame.loc[[r.row for r in self.rejected]]


class _Reasons:
    """Reasons per row position; the first reason for a field wins, all fields are collected.

    A block's view (`block`) shares the reasons: it takes positions within the block and
    stores them at the block's offset, so a file's rows can be prepared block by block.
    """

    def __init__(self, n: int, by_pos: dict[int, list[str]] | None = None, offset: int = 0):
        self.n = n
        self.by_pos: dict[int, list[str]] = {} if by_pos is None else by_pos
        self.offset = offset

    def block(self, start: int, n: int) -> _Reasons:
        return _Reasons(n, self.by_pos, self.offset + start)

    def add(self, pos: int, reason: str) -> None:
        self.by_pos.setdefault(int(pos) + self.offset, []).append(reason)

    def add_many(self, mask: np.ndarray, reason: Callable[[int], str] | str) -> None:
        for pos in np.flatnonzero(mask):
            self.add(pos, reason(pos) if callable(reason) else reason)

    def add_dict(self, reasons: dict[int, str], prefix: str = "") -> None:
        for pos, reason in reasons.items():
            self.add(pos, prefix + reason)

    def mask(self) -> np.ndarray:
        bad = np.zeros(self.n, dtype=bool)
        if self.by_pos:
            pos = np.fromiter(self.by_pos, dtype=np.int64, count=len(self.by_pos)) - self.offset
            bad[pos[(pos >= 0) & (pos < self.n)]] = True
        return bad


def _column(table: SourceTable, mapping: Mapping, target: str) -> pd.Series | None:
    col = mapping.columns.get(target)
    if col is not None:
        return table.frame[col].reset_index(drop=True)
    if target in mapping.defaults:
        return pd.Series([mapping.defaults[target]] * len(table.frame), dtype=object)
    return None


def _text(series: pd.Series | None, n: int) -> pd.Series:
    if series is None:
        return pd.Series([""] * n, dtype=object)
    # Object dtype on purpose: the text keeps the very string objects the reader made (pandas
    # would copy them into a new string array, and back out again for the store).
    values = [("" if v is None or (isinstance(v, float) and np.isnan(v)) else unguard_formula(str(v).strip()))
              for v in series.to_numpy(dtype=object)]
    return pd.Series(np.array(values, dtype=object) if values else np.array([], dtype=object), index=series.index,
                     dtype=object)


def guard_formula(value):
    """Text a spreadsheet would run as a formula gets an apostrophe first: the rejected file is
    opened in Excel, and a hostile cell must not run there (as dashboard.export does)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def unguard_formula(text: str) -> str:
    """Undo the apostrophe an export (or the rejected file) puts before text a spreadsheet would
    run as a formula ('=…, '+…, '-…, '@…, a tab or CR), so it imports back to the same text."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def _mapping_lines(mapping: Mapping, kind: str, implicit: dict[str, str]) -> list[str]:
    lines = []
    fields = [c for c in (REPORT_COLUMNS if kind == "reports" else ACTIVITY_COLUMNS) if c != "geometry"]
    extra = ["time_of_day"]
    for target in fields + extra + list(COORD_FIELDS):
        if target in mapping.columns:
            lines.append(f"{target:<13} <- column {mapping.columns[target]!r} ({mapping.origin.get(target, 'auto')})")
        elif target in mapping.defaults:
            lines.append(f"{target:<13} <- {mapping.defaults[target]!r} (mapping file default)")
        elif target in implicit:
            lines.append(f"{target:<13} <- {implicit[target]}")
    return lines


def prepare_import(path, store, kind: str = "reports", layer: str | None = None,
                   crs: str | None = None, mapping_file: str | os.PathLike | None = None,
                   table: SourceTable | None = None, progress=None, lang: str = "en") -> PreparedImport:
    """Read, map, parse and validate a file: accepted store rows plus a reason per rejected row.

    Reasons, notes and ImportFailed messages are in `lang` ("en" or "sv").
    """
    check_lang(lang)
    if kind not in KINDS:
        raise ImportFailed(msg("unknown_kind", lang, kind=kind))
    config = store.config
    if layer is not None and layer not in config.layers:
        raise ImportFailed(msg("unknown_layer", lang, layer=layer, layers=", ".join(config.layers)))
    if layer is not None and kind == "activities":
        raise ImportFailed(msg("layer_for_reports_only", lang))
    raw_mapping = load_mapping_file(mapping_file, lang) if mapping_file else None
    if table is None:
        file_opts = (raw_mapping or {}).get("file", {})
        table = read_source(path, kind, sheet=file_opts.get("sheet"), gis_layer=file_opts.get("layer"), lang=lang,
                            on_rows=getattr(progress, "rows", None))
    _step(progress, "read")
    mapping = build_mapping(table, kind, raw_mapping, lang)
    n = len(table.frame)
    rows = table.frame.index.to_numpy()
    reasons = _Reasons(n)
    for number, width in table.frame.attrs.get("too_long", {}).items():
        pos = int(np.searchsorted(rows, number))
        reasons.add(pos, msg("too_many_fields", lang, width=width, header=table.frame.attrs.get("width")))
    notes = [msg("note_file", lang, description=table.description, n=n + len(table.empty_rows))]
    if table.empty_rows:
        notes.append(msg("note_empty_rows", lang, n=len(table.empty_rows), rows=_ranges(table.empty_rows, lang)))
    coords = locate(table, mapping, store.meta.kommun, crs, lang) if n else None
    if coords is not None:
        notes.extend(coords.notes)
        # Activities may have no place: only complain about coordinates that are there but bad.
        no_place = (msg("coords_missing", lang), msg("no_geometry", lang))
        for pos, reason in coords.reasons.items():
            if kind == "activities" and reason in no_place:
                continue
            reasons.add(pos, reason)
    _step(progress, "coordinates")
    implicit: dict[str, str] = {}
    spans = import_spans(config)
    x = coords.x if coords is not None else np.full(n, np.nan)
    y = coords.y if coords is not None else np.full(n, np.nan)
    # Stable ids: our own store-schema files keep theirs; others get one from their content.
    keep_ids = _is_store_schema(table, mapping, kind)
    check = store.validate_reports if kind == "reports" else store.validate_activities
    # Block by block: the coordinate system is decided above, once, from every row's coordinates;
    # nothing below depends on other rows (repeats are found over all accepted rows after).
    blocks = []
    for start in range(0, max(n, 1), PREPARE_BLOCK):
        stop = min(n, start + PREPARE_BLOCK)
        part = SourceTable(table.frame.iloc[start:stop], description=table.description)
        blocks.append(_prepare_block(part, mapping, config, kind, layer, reasons.block(start, stop - start),
                                     implicit, lang, spans, x[start:stop], y[start:stop], rows[start:stop],
                                     keep_ids, check))
    if keep_ids:
        implicit["id"] = "kept from the file (a Trygghetskarta export)"
    else:
        implicit["id"] = "derived from the row's content (re-import stores nothing new)"
    _step(progress, "fields")
    accepted = blocks[0] if len(blocks) == 1 else pd.concat(blocks)
    del blocks
    _step(progress, "validate")
    first_of = accepted.reset_index().groupby("id", sort=False)["row"].first()
    repeated_mask = accepted["id"].duplicated(keep="first").to_numpy()
    repeated = {
        int(number): int(first_of[rid])
        for number, rid in zip(accepted.index[repeated_mask], accepted["id"][repeated_mask], strict=True)
    }
    accepted = accepted[~repeated_mask]
    rejected = [Rejection(int(rows[pos]), "; ".join(r)) for pos, r in sorted(reasons.by_pos.items())]
    return PreparedImport(
        kind=kind, table=table, mapping=mapping, frame=accepted, rejected=rejected,
        repeated=repeated, notes=notes, mapping_lines=_mapping_lines(mapping, kind, implicit),
    )


def _prepare_block(table: SourceTable, mapping: Mapping, config, kind: str, layer: str | None,
                   reasons: _Reasons, implicit: dict, lang: str, spans: dict[str, TimeSpan], x: np.ndarray,
                   y: np.ndarray, rows: np.ndarray, keep_ids: bool, check) -> gpd.GeoDataFrame:
    """One block of rows (positions and `reasons` within the block) to the accepted store rows,
    indexed by input row number; every problem goes to `reasons`."""
    n = len(table.frame)
    if kind == "reports":
        frame = _report_fields(table, mapping, config, layer, reasons, implicit, lang, spans)
    else:
        frame = _activity_fields(table, mapping, config, reasons, implicit, lang, spans)
    if keep_ids:
        ids = _text(_column(table, mapping, "id"), n).to_numpy(dtype=object)
    else:
        ids = _content_ids(frame, x, y, _text(_column(table, mapping, "id"), n), kind)
    frame["id"] = ids
    points = shapely.points(np.where(np.isnan(x), 0, x), np.where(np.isnan(y), 0, y))
    points = np.where(np.isnan(x), shapely.from_wkt("POINT EMPTY"), points)
    if kind == "reports":
        reasons.add_many(np.isnan(x) & ~reasons.mask(), msg("coords_missing", lang))
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(points, crs=METRIC), crs=METRIC)
    columns = REPORT_COLUMNS if kind == "reports" else ACTIVITY_COLUMNS
    gdf = gdf[list(columns)]
    gdf.index = pd.Index(rows, name="row")
    # Safety net: the store's own validation, on rows that passed ours.
    ok = ~reasons.mask()
    if ok.any():
        positions = {number: pos for pos, number in enumerate(rows)}
        for error in check(gdf[ok]):
            if error.row in positions:
                if error.field == "id" and error.reason == "appears more than once":
                    continue  # repeated rows: counted as duplicates after all blocks
                reasons.add(positions[error.row], msg("store_check", lang, field=error.field, value=_short(error.value),
                                                      reason=store_reason(error.reason, lang)))
        ok = ~reasons.mask()
    return gdf[ok]


def _short(value) -> str:
    """A value as the store's checks quote it: repr, cut to a sane length."""
    return repr(shorten(value)) if isinstance(value, str) else shorten(repr(value))


def _ranges(numbers: list[int], lang: str = "en") -> str:
    shown = ", ".join(map(str, numbers[:10]))
    return shown + (msg("more", lang, n=len(numbers) - 10) if len(numbers) > 10 else "")


def _step(progress, name: str) -> None:
    if progress is not None:
        progress(name)


def _is_store_schema(table: SourceTable, mapping: Mapping, kind: str) -> bool:
    columns = REPORT_COLUMNS if kind == "reports" else ACTIVITY_COLUMNS
    needed = [c for c in columns if c not in ("geometry", "description", "done_at")]
    return all(mapping.columns.get(c) == c for c in needed)


def _content_ids(frame: pd.DataFrame, x: np.ndarray, y: np.ndarray, source_id: pd.Series, kind: str) -> np.ndarray:
    if kind == "reports":
        parts = [frame["layer"], frame["occurred_at"], frame["category"], frame["description"]]
    else:
        parts = [frame["focus_area"], frame["actor"], frame["kind"], frame["planned_at"], frame["description"]]
    xs = np.where(np.isnan(x), "", np.round(np.nan_to_num(x), 1).astype(str))
    ys = np.where(np.isnan(y), "", np.round(np.nan_to_num(y), 1).astype(str))
    cols = [source_id.to_numpy(dtype=object)] + [p.astype(str).to_numpy(dtype=object) for p in parts] + [xs, ys]
    prefix = "imp" if kind == "reports" else "impa"
    return np.array([stable_id(prefix, kind, *vals) for vals in zip(*cols, strict=True)], dtype=object)


def _times_field(table, mapping, target: str, reasons: _Reasons, required: bool, label: str,
                 with_clock: bool = False, lang: str = "en", span: TimeSpan = ANY_TIME) -> np.ndarray:
    """`label` is the message id of the field's name ("label_date"); `span` bounds the times."""
    n = len(table.frame)
    values = _column(table, mapping, target)
    if values is None:
        if required:
            raise ImportFailed(msg("no_date_column", lang, target=target))
        return np.full(n, None, dtype=object)
    clock = _column(table, mapping, "time_of_day") if with_clock else None
    utc, bad = parse_times(values, clock, lang, span)
    empty = _text(values, n).to_numpy(dtype=object) == ""
    col = mapping.columns.get(target, target)
    name = msg(label, lang)
    for pos, reason in bad.items():
        if not empty[pos]:
            reasons.add(pos, msg("time_problem", lang, label=name, column=col, reason=reason))
    if required:
        reasons.add_many(empty, msg("time_missing", lang, label=name, column=col))
    return local_iso(utc)


def _report_fields(table, mapping, config, layer, reasons: _Reasons, implicit: dict,
                   lang: str = "en", spans: dict[str, TimeSpan] | None = None) -> pd.DataFrame:
    n = len(table.frame)
    spans = spans or import_spans(config)
    occurred = _times_field(table, mapping, "occurred_at", reasons, True, "label_date", with_clock=True, lang=lang,
                            span=spans["occurred_at"])
    reported = _times_field(table, mapping, "reported_at", reasons, False, "label_reported", lang=lang,
                            span=spans["reported_at"])
    if _column(table, mapping, "reported_at") is None:
        implicit["reported_at"] = "= occurred_at (no reporting date in the file)"
    reported = np.where(pd.isna(reported), occurred, reported)
    # Category (and from it, the layer where the file does not say).
    categories = _text(_column(table, mapping, "category"), n)
    user_cat = mapping.values.get("category", {})
    categories = categories.map(lambda v: user_cat.get(v.casefold(), v))
    if _column(table, mapping, "category") is None:
        categories = pd.Series(["övrigt"] * n, dtype=object)
        implicit["category"] = "'övrigt' (no category column)"
    layer_col = _column(table, mapping, "layer")
    layers = np.full(n, None, dtype=object)
    if layer is not None:
        layers[:] = layer
        implicit["layer"] = f"{layer!r} (--layer)"
        if layer_col is not None:
            implicit["layer"] += f"; column {mapping.columns.get('layer')!r} ignored"
    elif layer_col is not None:
        synonyms = {}
        for lid, spec in config.layers.items():
            synonyms[spec.name_sv] = lid
            synonyms[spec.name_en] = lid
        mapped, bad = map_vocabulary(layer_col, config.layers, synonyms, mapping.values.get("layer"))
        layers = mapped
        text = _text(layer_col, n)
        reasons.add_many(bad & (text != "").to_numpy(),
                         lambda p: msg("layer_unknown", lang, value=text[p], layers=", ".join(config.layers)))
        layers = np.where(bad, None, layers)
    # Layer from the category where only one layer knows it.
    owners: dict[str, list[str]] = {}
    for lid, spec in config.layers.items():
        for cat in spec.categories:
            owners.setdefault(cat.casefold(), []).append(lid)
        for _cat_sv, cat_en in spec.category_en.items():
            owners.setdefault(cat_en.casefold(), []).append(lid)
    need = pd.isna(layers)
    if need.any():
        keys = categories.str.casefold()
        guess = keys.map(lambda k: owners.get(k, [None])[0] if len(owners.get(k, [])) == 1 else None)
        layers = np.where(need, guess.to_numpy(dtype=object), layers)
        if "layer" not in implicit:
            implicit["layer"] = "from the category where only one layer has it"
        still = pd.isna(layers) & need
        reasons.add_many(still, msg("layer_unclear", lang))
    cat_out = np.full(n, None, dtype=object)
    for lid, spec in config.layers.items():
        mine = layers == lid
        if not mine.any():
            continue
        en = {v: k for k, v in spec.category_en.items()}
        mapped, bad = map_vocabulary(categories[mine], spec.categories, en)
        cat_out[mine] = mapped
        positions = np.flatnonzero(mine)
        for local, pos in enumerate(positions):
            if bad[local]:
                value = categories[pos]
                reasons.add(pos, msg("category_unknown", lang, value=value, allowed=", ".join(spec.categories),
                                     layer=lid)
                            if value else msg("missing", lang, what=msg("label_category", lang)))
    focus = np.array([config.layers[lid].focus_area if lid in config.layers else None for lid in layers],
                     dtype=object)
    focus_col = _column(table, mapping, "focus_area")
    if focus_col is not None:
        mapped, bad = map_vocabulary(focus_col, config.focus_areas, None, mapping.values.get("focus_area"))
        text = _text(focus_col, n)
        given = (text != "").to_numpy()
        reasons.add_many(given & bad, lambda p: msg("focus_area_unknown", lang, value=text[p],
                                                    allowed=", ".join(config.focus_areas)))
        focus = np.where(given & ~bad, mapped, focus)
    else:
        implicit["focus_area"] = "the layer's focus area"
    sources = _vocabulary_or_default(
        table, mapping, "source", SOURCES, SOURCE_SYNONYMS, "import", n, reasons, implicit,
        lambda value: msg("source_unknown", lang, value=value, allowed=", ".join(SOURCES)))
    statuses = _vocabulary_or_default(
        table, mapping, "status", REPORT_STATUSES, STATUS_SYNONYMS, "ny", n, reasons, implicit,
        lambda value: msg("not_one_of", lang, what=msg("label_status", lang), value=value,
                          allowed=", ".join(REPORT_STATUSES)))
    description = _text(_column(table, mapping, "description"), n)
    return pd.DataFrame({
        "id": None, "layer": layers, "focus_area": focus, "occurred_at": occurred, "reported_at": reported,
        "category": cat_out, "description": description.to_numpy(dtype=object), "source": sources,
        "status": statuses,
    })


def _activity_fields(table, mapping, config, reasons: _Reasons, implicit: dict, lang: str = "en",
                     spans: dict[str, TimeSpan] | None = None) -> pd.DataFrame:
    n = len(table.frame)
    spans = spans or import_spans(config)
    planned = _times_field(table, mapping, "planned_at", reasons, True, "label_planned", with_clock=True, lang=lang,
                           span=spans["planned_at"])
    done = _times_field(table, mapping, "done_at", reasons, False, "label_done", lang=lang, span=spans["done_at"])
    done = np.where(pd.isna(done), "", done)
    focus_col = _column(table, mapping, "focus_area")
    if focus_col is None:
        raise ImportFailed(msg("no_focus_area_column", lang))
    synonyms = {}
    for aid, area in config.focus_areas.items():
        for name in (area.name_sv, area.name_en, area.short_sv, area.short_en):
            synonyms[name] = aid
    focus, bad = map_vocabulary(focus_col, config.focus_areas, synonyms, mapping.values.get("focus_area"))
    text = _text(focus_col, n)
    reasons.add_many(bad, lambda p: _not_one_of("label_focus_area", text[p], config.focus_areas, lang))
    out: dict[str, np.ndarray] = {}
    for target, vocab, syn in (
        ("actor", ACTORS, ACTOR_SYNONYMS),
        ("kind", aktiviteter.KINDS, {v: k for k, v in aktiviteter.KIND_EN.items()}),
    ):
        col = _column(table, mapping, target)
        if col is None:
            raise ImportFailed(msg("no_field_column", lang, what=msg(f"label_{target}", lang), target=target))
        mapped, bad = map_vocabulary(col, vocab, syn, mapping.values.get(target))
        t = _text(col, n)
        reasons.add_many(bad, lambda p, t=t, vocab=vocab, target=target:
                         _not_one_of(f"label_{target}", t[p], vocab, lang))
        out[target] = mapped
    status_col = _column(table, mapping, "status")
    has_done = done != ""
    if status_col is None:
        statuses = np.where(has_done, "genomförd", "planerad").astype(object)
        implicit["status"] = "'genomförd' where a done date is given, else 'planerad'"
    else:
        statuses, bad = map_vocabulary(status_col, ACTIVITY_STATUSES, STATUS_SYNONYMS, mapping.values.get("status"))
        t = _text(status_col, n)
        reasons.add_many(bad, lambda p: _not_one_of("label_status", t[p], ACTIVITY_STATUSES, lang))
    dur_col = _column(table, mapping, "duration_min")
    if dur_col is None:
        duration = np.zeros(n)
        implicit["duration_min"] = "0 (no duration column)"
    else:
        t = _text(dur_col, n)
        hm = t.str.extract(r"^(\d{1,3}):(\d{2})$")
        duration, bad = parse_numbers(dur_col)
        is_hm = hm[0].notna().to_numpy()
        duration[is_hm] = hm[0][is_hm].astype(int).to_numpy() * 60 + hm[1][is_hm].astype(int).to_numpy()
        bad &= ~is_hm
        duration = np.where(np.isnan(duration) & (t == "").to_numpy(), 0, duration)
        whole = ~np.isnan(duration) & (duration == np.round(duration)) & (duration >= 0) & (duration <= 10080)
        reasons.add_many(bad | ~whole, lambda p: msg("duration_bad", lang, value=t[p]))
    description = _text(_column(table, mapping, "description"), n)
    return pd.DataFrame({
        "id": None, "focus_area": focus, "actor": out["actor"], "kind": out["kind"], "planned_at": planned,
        "done_at": done, "status": statuses,
        "duration_min": np.nan_to_num(duration).astype("int64"),
        "description": description.to_numpy(dtype=object),
    })


def _not_one_of(label: str, value: str, allowed: Iterable[str], lang: str) -> str:
    """'status 'x' is not one of a, b' or, for an empty value, 'status is missing'."""
    what = msg(label, lang)
    if not value:
        return msg("missing", lang, what=what)
    return msg("not_one_of", lang, what=what, value=value, allowed=", ".join(allowed))


# -- running an import --------------------------------------------------------------------


@dataclass
class ImportResult:
    path: Path
    kind: str
    total: int
    stored: int
    in_store: int  # already in the store
    repeated: int  # repeated within the file
    rejected: list[Rejection]
    empty: int
    notes: list[str]
    mapping_lines: list[str]
    rejected_path: Path | None
    dry_run: bool
    seconds: float

    @property
    def duplicate(self) -> int:
        return self.in_store + self.repeated

    def accounted(self) -> int:
        return self.stored + self.duplicate + len(self.rejected) + self.empty

    def summary(self) -> str:
        verb = "would store" if self.dry_run else "stored"
        what = "reports" if self.kind == "reports" else "activities"
        text = (
            f"{self.path.name}: {self.total} rows: {verb} {self.stored} {what}, "
            f"duplicate {self.duplicate} (already in the store {self.in_store}, repeated in the file "
            f"{self.repeated}), rejected {len(self.rejected)}"
        )
        if self.empty:
            text += f", empty {self.empty}"
        return text + f" ({self.seconds:.1f} s)"


def rejected_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.csv")


def write_rejected(prepared: PreparedImport, out: Path) -> None:
    """The rejected rows with their original values, row number and reason (UTF-8 with BOM, ;)."""
    frame = prepared.table.frame
    numbers = [r.row for r in prepared.rejected]
    body = frame.loc[numbers].astype(object)
    body = body.map(lambda v: "" if v is None else guard_formula(v)) if len(body) else body
    body.columns = [guard_formula(c) for c in body.columns]
    result = pd.DataFrame({"row": numbers, "reason": [r.reason for r in prepared.rejected]})
    result = pd.concat([result, body.reset_index(drop=True)], axis=1)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
            result.to_csv(f, sep=";", index=False)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def existing_ids(store, kind: str, ids: Iterable[str] | None = None) -> set[str]:
    """Ids already in the store (of `ids` only, when given: a big store is not read whole)."""
    table = "reports" if kind == "reports" else "activities"
    if ids is None:
        return set(store.read_table(table)["id"])
    wanted = list(dict.fromkeys(map(str, ids)))
    found: set[str] = set()
    for start in range(0, len(wanted), 900):  # SQLite's limit on parameters
        chunk = wanted[start:start + 900]
        found |= set(store.read_table(table, f"WHERE id IN ({', '.join('?' * len(chunk))})", tuple(chunk))["id"])
    return found


class _Progress:
    """A tqdm bar over the import's stages, shown for large files on a terminal."""

    STAGES = ("read", "coordinates", "fields", "validate", "store")

    def __init__(self, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=len(self.STAGES), desc="import", unit="step", disable=None, leave=False)

    def __call__(self, name: str) -> None:
        if self.bar is not None:
            self.bar.set_description(f"import: {name}")
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_import(path, store, kind: str = "reports", layer: str | None = None, crs: str | None = None,
               mapping_file=None, dry_run: bool = False, fmt: str = "auto",
               progress=None, lang: str = "en") -> tuple[ImportResult, PreparedImport]:
    """Import a file into the store: all accepted rows in one transaction, or none.

    `progress`: True/False/None (a bar on the terminal for large files) or an object called
    with each finished stage's name, with `rows(done, total)` while reading and `close()`.

    Rejected rows are written to FILE.rejected.csv (not on a dry run); an old rejected file
    is removed when nothing is rejected. ImportFailed messages, rejection reasons (also in
    the rejected file) and notes are in `lang`: "en" (the CLI) or "sv" (the web app).
    """
    started = time.perf_counter()
    check_lang(lang)
    path = Path(path)
    table = None
    if fmt == "polisen":
        from .polisen import read_events_table

        if kind != "reports":
            raise ImportFailed(msg("polisen_reports_only", lang))
        table = read_events_table(path, store, lang=lang)
    elif fmt != "auto":
        raise ImportFailed(msg("unknown_format", lang, fmt=fmt))
    if progress is None:
        progress = path.exists() and path.stat().st_size > PROGRESS_FROM * 60
    # An object of its own (an import job's status writer) hears the stages and the rows read.
    bar = progress if callable(progress) else _Progress(bool(progress))
    try:
        if fmt == "polisen":
            from .polisen import prepare_events

            prepared = prepare_events(table, store, progress=bar, lang=lang)
        else:
            prepared = prepare_import(path, store, kind, layer, crs, mapping_file, progress=bar, lang=lang)
        prepared.keep_rejected_values()
        known = existing_ids(store, kind, prepared.frame["id"]) if len(prepared.frame) else set()
        if dry_run:
            in_store = int(prepared.frame["id"].isin(known).sum())
            stored = len(prepared.frame) - in_store
        else:
            frame = prepared.frame.reset_index(drop=True)
            if len(frame) and not frame["id"].isin(known).all():
                add = store.add_reports if kind == "reports" else store.add_activities
                added = add(frame, skip_existing=True)
                stored, in_store = added.added, added.skipped
            else:
                # Nothing new (the same file again): the data file is not written at all.
                stored, in_store = 0, len(frame)
        bar("store")
    finally:
        bar.close()
    out = rejected_path_for(path)
    written = None
    if not dry_run:
        if prepared.rejected:
            write_rejected(prepared, out)
            written = out
        else:
            out.unlink(missing_ok=True)
    result = ImportResult(
        path=path, kind=kind, total=prepared.total, stored=stored, in_store=in_store,
        repeated=len(prepared.repeated), rejected=prepared.rejected, empty=len(prepared.table.empty_rows),
        notes=prepared.notes, mapping_lines=prepared.mapping_lines, rejected_path=written,
        dry_run=dry_run, seconds=time.perf_counter() - started,
    )
    return result, prepared


#: The readers' names stay importable from here (`layers.import_readers` has them).
__all__ = [
    "ImportFailed", "ImportResult", "Mapping", "PreparedImport", "Rejection", "RowProgress", "SourceTable",
    "auto_mapping", "build_mapping", "choose_crs", "decode_text", "existing_ids", "import_spans", "local_iso",
    "locate", "map_vocabulary", "parse_numbers", "parse_times", "parse_wall_times", "prepare_import",
    "read_csv_file", "read_csv_text", "read_source", "read_xlsx", "rejected_path_for", "run_import",
    "sniff_delimiter", "span_reason", "span_words", "write_rejected",
]
