"""The shared data model: report and activity columns, vocabularies and vectorised validation."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

#: 2: privacy settings and releases in the data file (layers.release_store), a per-file order secret.
SCHEMA_VERSION = 2

REPORT_COLUMNS = (
    "id", "layer", "focus_area", "occurred_at", "reported_at", "category",
    "description", "source", "status", "geometry",
)
ACTIVITY_COLUMNS = (
    "id", "focus_area", "actor", "kind", "planned_at", "done_at", "status",
    "duration_min", "description", "geometry",
)

SOURCES = ("medborgare", "polis", "kommun", "sociala_medier", "medborgardialog", "import", "demo")
REPORT_STATUSES = ("ny", "bekräftad", "åtgärdad", "avvisad")
ACTIVITY_STATUSES = ("planerad", "genomförd", "inställd")
ACTORS = ("polis", "kommun", "gemensam")

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"
)
#: Longest free text we accept; longer is almost always a paste accident.
MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class RecordError:
    """One problem with one field of one record."""

    row: object
    field: str
    value: object
    reason: str

    def __str__(self) -> str:
        value = self.value
        if isinstance(value, str) and len(value) > 60:
            value = value[:57] + "..."
        return f"row {self.row}: {self.field}={value!r}: {self.reason}"


class ValidationError(ValueError):
    """Records failed validation; nothing was stored. `errors` lists every problem."""

    def __init__(self, errors: list[RecordError], what: str = "records"):
        # In input order, so the first message is about the first bad row.
        self.errors = sorted(errors, key=_row_order)
        shown = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"{len(errors)} invalid {what}, nothing stored: {shown}{more}")


def _row_order(error: RecordError):
    row = error.row
    if isinstance(row, (int, np.integer)):
        return (0, int(row), "")
    return (1, 0, str(row))


def stable_id(prefix: str, *parts: object) -> str:
    """A short id derived from content, so the same source row always gets the same id."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}-{digest}"


def is_iso_with_offset(values: pd.Series) -> np.ndarray:
    """Vectorised: text in ISO 8601 with a time zone offset (2026-03-01T18:30:00+01:00)."""
    text = values.astype("string")
    return text.str.match(_ISO).fillna(False).to_numpy(dtype=bool)


def parse_times(values: pd.Series) -> pd.Series:
    """ISO 8601 text with offsets to UTC timestamps (NaT where empty)."""
    text = values.astype("string").replace("", pd.NA)
    return pd.to_datetime(text, format="ISO8601", utc=True)


class _Collector:
    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.errors: list[RecordError] = []

    def flag(self, bad: np.ndarray, field: str, reason: str, values=None) -> None:
        bad = np.asarray(bad, dtype=bool)
        if not bad.any():
            return
        source = self.frame[field] if values is None else values
        for label, value in zip(self.frame.index[bad], np.asarray(source, dtype=object)[bad],
                                strict=True):
            self.errors.append(RecordError(label, field, value, reason))

    def require_columns(self, columns) -> bool:
        missing = [c for c in columns if c not in self.frame.columns]
        for col in missing:
            self.errors.append(RecordError("-", col, None, "column is missing"))
        return not missing

    def text(self, field: str, allow_empty: bool = False) -> pd.Series:
        col = self.frame[field]
        is_text = col.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        self.flag(~is_text, field, "must be text")
        if not allow_empty:
            empty = is_text & (col.astype("string").str.strip().fillna("") == "").to_numpy()
            self.flag(empty, field, "must not be empty")
        return col

    def one_of(self, field: str, allowed, reason: str | None = None) -> None:
        allowed = tuple(allowed)
        bad = ~self.frame[field].isin(allowed).to_numpy()
        self.flag(bad, field, reason or f"must be one of {', '.join(allowed)}")

    def timestamp(self, field: str, allow_empty: bool = False) -> None:
        col = self.frame[field]
        empty = col.isna().to_numpy() | (col.astype("string").fillna("") == "").to_numpy()
        ok = is_iso_with_offset(col)
        bad = ~ok & ~(empty & allow_empty)
        self.flag(bad, field, "must be an ISO 8601 time with offset, e.g. 2026-03-01T18:30:00+01:00")
        # Well-formed but impossible dates (2026-02-30) get their own message.
        candidates = ok & ~bad
        if candidates.any():
            parsed = pd.to_datetime(col[candidates], format="ISO8601", utc=True, errors="coerce")
            impossible = np.zeros(len(col), dtype=bool)
            impossible[np.flatnonzero(candidates)] = parsed.isna().to_numpy()
            self.flag(impossible, field, "is not a real date and time")

    def point(self, geometry, inside=None, allow_empty: bool = False) -> None:
        geoms = np.asarray(geometry, dtype=object)
        is_geom = np.array([isinstance(g, shapely.Geometry) for g in geoms], dtype=bool)
        missing = ~is_geom | np.array([g is None for g in geoms], dtype=bool)
        if allow_empty:
            empty = np.zeros(len(geoms), dtype=bool)
            empty[is_geom] = shapely.is_empty(geoms[is_geom].astype(object))
            missing_ok = missing | empty
        else:
            missing_ok = np.zeros(len(geoms), dtype=bool)
        self.flag(missing & ~missing_ok, "geometry", "a point is required", geoms)
        present = is_geom & ~missing_ok
        types = np.full(len(geoms), "", dtype=object)
        types[present] = shapely.get_type_id(geoms[present].astype(object))
        not_point = present & (types != 0)
        self.flag(not_point, "geometry", "must be a point", geoms)
        good = present & ~not_point
        if good.any():
            empty = np.zeros(len(geoms), dtype=bool)
            empty[good] = shapely.is_empty(geoms[good].astype(object))
            self.flag(empty, "geometry", "a point is required (got an empty point)", geoms)
            good &= ~empty
        if inside is not None and good.any():
            outside = np.zeros(len(geoms), dtype=bool)
            outside[good] = ~inside(geoms[good])
            self.flag(outside, "geometry", "lies outside the municipality", geoms)


def validate_reports(frame: pd.DataFrame, layers: dict, focus_areas, inside=None) -> list[RecordError]:
    """All problems in a frame of reports (geometry must already be in the store CRS).

    `layers` maps layer id to its LayerSpec; `inside` is an optional predicate on an
    array of shapely points that says which lie in the municipality.
    """
    check = _Collector(frame)
    if not check.require_columns(REPORT_COLUMNS):
        return check.errors
    _check_ids(check)
    check.one_of("layer", layers)
    check.one_of("focus_area", focus_areas)
    for layer_id, spec in layers.items():
        mine = (frame["layer"] == layer_id).to_numpy()
        if mine.any():
            bad = mine & ~frame["category"].isin(spec.categories).to_numpy()
            check.flag(bad, "category", f"must be one of {', '.join(spec.categories)} for {layer_id}")
    check.timestamp("occurred_at")
    check.timestamp("reported_at")
    _check_order(check, "occurred_at", "reported_at", "is before occurred_at")
    _check_description(check)
    check.one_of("source", SOURCES)
    check.one_of("status", REPORT_STATUSES)
    check.point(frame["geometry"], inside)
    return check.errors


def validate_activities(frame: pd.DataFrame, focus_areas, kinds, inside=None) -> list[RecordError]:
    """All problems in a frame of activities (geometry may be empty: no place)."""
    check = _Collector(frame)
    if not check.require_columns(ACTIVITY_COLUMNS):
        return check.errors
    _check_ids(check)
    check.one_of("focus_area", focus_areas)
    check.one_of("actor", ACTORS)
    check.one_of("kind", kinds)
    check.timestamp("planned_at")
    check.timestamp("done_at", allow_empty=True)
    check.one_of("status", ACTIVITY_STATUSES)
    done = frame["done_at"].astype("string").fillna("") != ""
    check.flag(
        ((frame["status"] == "genomförd") & ~done).to_numpy(), "done_at",
        "is required when status is genomförd",
    )
    check.flag(
        ((frame["status"] == "planerad") & done).to_numpy(), "done_at",
        "must be empty while status is planerad",
    )
    duration = pd.to_numeric(frame["duration_min"], errors="coerce")
    whole = duration.notna() & (duration == duration.round()) & (duration >= 0) & (duration <= 24 * 60 * 7)
    check.flag(~whole.to_numpy(), "duration_min", "must be whole minutes between 0 and 10080")
    _check_description(check)
    check.point(frame["geometry"], inside, allow_empty=True)
    return check.errors


def _check_ids(check: _Collector) -> None:
    ids = check.text("id")
    dup = ids.duplicated(keep="first").to_numpy() & ids.notna().to_numpy()
    check.flag(dup, "id", "appears more than once")


def _check_description(check: _Collector) -> None:
    col = check.text("description", allow_empty=True)
    too_long = col.astype("string").str.len().fillna(0).to_numpy() > MAX_DESCRIPTION
    check.flag(too_long, "description", f"is longer than {MAX_DESCRIPTION} characters")


def _check_order(check: _Collector, first: str, second: str, reason: str) -> None:
    frame = check.frame
    ok = is_iso_with_offset(frame[first]) & is_iso_with_offset(frame[second])
    if not ok.any():
        return
    a = pd.to_datetime(frame[first][ok], format="ISO8601", utc=True, errors="coerce")
    b = pd.to_datetime(frame[second][ok], format="ISO8601", utc=True, errors="coerce")
    bad = np.zeros(len(frame), dtype=bool)
    bad[np.flatnonzero(ok)] = (b < a).to_numpy()
    check.flag(bad, second, reason)
