"""Import step: which source column feeds which store field, and which words mean which value."""

from __future__ import annotations

import json
import os
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import ACTIVITY_COLUMNS, REPORT_COLUMNS
from .messages import msg
from .read import ImportFailed, SourceTable, decode_text

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
