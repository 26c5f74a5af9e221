"""The data store API and its embedded default, a GeoPackage file (opens in QGIS).

Everything else talks to `Store`; a server store (PostGIS) can implement the same API. The
schema upgrades of older files (`UPGRADES`, `migrate`) are in `layers.migrations`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import METRIC, get_municipality

from . import aktiviteter, datafile
from .config import PromiseConfig, load_config
from .datafile import StoreError, reading, transaction, writing
from .gpkg import (
    blobs_to_xy,
    init_core,
    points_to_blobs,
    register_attributes,
    register_features,
)
from .intake_schema import COUNTED
from .migrations import (  # UPGRADES and has_integer_key: the migrations' names stay importable from here
    COMMITMENT_COLUMN,
    META_SCHEMA,
    META_TABLE,
    META_UPSERT,
    _add_v2,
    _add_v3,
    _add_v4,
    _add_v5,
    _add_v6,
    migrate,
)
from .migrations import UPGRADES as UPGRADES
from .migrations import has_integer_key as has_integer_key
from .schema import (
    ACTIVITY_COLUMNS,
    ACTIVITY_STATUSES,
    REPORT_COLUMNS,
    REPORT_STATUSES,
    SCHEMA_VERSION,
    RecordError,
    ValidationError,
    parse_times,
    validate_activities,
    validate_reports,
)

SRS_ID = 3006
#: Whole-table reads at once per process. Turning 100 000 rows into a frame is Python work under
#: the GIL: 25 at once are no faster than 2, but starve every short request (a save, a status
#: change) of the GIL. The others wait here, before opening the file, holding no lock.
FULL_READS = threading.BoundedSemaphore(2)


@dataclass(frozen=True)
class StoreMeta:
    kommun: str
    schema_version: int
    demo: bool
    crs: str
    created_at: str


@dataclass(frozen=True)
class Query:
    """Filters for reading; None means 'no restriction'. Times: start inclusive, end exclusive."""

    layers: tuple[str, ...] | None = None
    focus_areas: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    actors: tuple[str, ...] | None = None
    start: dt.datetime | dt.date | None = None
    end: dt.datetime | dt.date | None = None
    #: A polygon in WGS 84 (lon/lat), e.g. a lasso on the map.
    polygon: shapely.Geometry | None = None
    #: (min_lon, min_lat, max_lon, max_lat)
    bbox: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class AddResult:
    added: int
    skipped: int  # already in the store (same id): importing twice stores nothing new


class Store(ABC):
    """What the dashboard, importers and exporters need from a data store."""

    config: PromiseConfig

    @property
    @abstractmethod
    def meta(self) -> StoreMeta: ...

    @abstractmethod
    def add_reports(self, frame: gpd.GeoDataFrame, skip_existing: bool = False) -> AddResult: ...

    @abstractmethod
    def add_activities(self, frame: gpd.GeoDataFrame, skip_existing: bool = False) -> AddResult: ...

    @abstractmethod
    def update_report_status(self, report_id: str, status: str) -> None: ...

    @abstractmethod
    def last_change(self) -> str:
        """When reports or activities last changed (text that sorts by time): a cheap check
        for a running dashboard whether to re-read."""

    @abstractmethod
    def update_activity_status(
        self, activity_id: str, status: str, done_at: str | None = None
    ) -> None: ...

    @abstractmethod
    def reports(self, query: Query | None = None) -> gpd.GeoDataFrame: ...

    @abstractmethod
    def activities(self, query: Query | None = None) -> gpd.GeoDataFrame: ...

    def current_config(self, today: dt.date | None = None, role: str | None = None) -> PromiseConfig:
        """The promise a view shows on `today` for `role` (a store without stored promises: its config)."""
        return self.config

    # Shared by every implementation: validation against the promise config and the boundary.
    def _inside(self):
        muni = get_municipality(self.meta.kommun)

        def inside(points: np.ndarray) -> np.ndarray:
            return muni.contains_metric(shapely.get_x(points), shapely.get_y(points))

        return inside

    def validate_reports(self, frame: pd.DataFrame) -> list[RecordError]:
        return validate_reports(frame, self.config.layers, self.config.focus_areas, self._inside())

    def validate_activities(self, frame: pd.DataFrame) -> list[RecordError]:
        return validate_activities(
            frame, self.config.focus_areas, aktiviteter.KINDS, self._inside()
        )


def _to_store_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError("records must be a GeoDataFrame with a point geometry column")
    if frame.crs is None:
        raise ValidationError([RecordError("-", "geometry", None, "has no coordinate system (CRS)")])
    return frame.to_crs(METRIC) if frame.crs != METRIC else frame


def _ensure_columns(frame: gpd.GeoDataFrame, columns) -> gpd.GeoDataFrame:
    """Add optional columns that may be left out (description, empty activity done_at)."""
    frame = frame.copy()
    if "description" not in frame.columns:
        frame["description"] = ""
    if "done_at" in columns and "done_at" not in frame.columns:
        frame["done_at"] = ""
    return frame


class GeoPackageStore(Store):
    """A GeoPackage file with tables `reports`, `activities` and a metadata table."""

    def __init__(self, path: str | os.PathLike, config: PromiseConfig | None = None, today: dt.date | None = None):
        self.path = Path(path)
        #: A config given by the caller (`--config`) overrides the data file's promises for this run.
        self.config_override = config is not None
        self._meta = self._read_meta(config)
        if config is None:
            from .promises import current_promise

            # The promise a view shows today (layers.promises: the current one with data).
            config = current_promise(self, today)
        # The data file's privacy settings rule every command (screen, CLI, exports agree on k).
        self.config = replace(config, privacy=self.privacy_settings())
        if config.privacy_given and config.privacy != self.config.privacy:
            raise StoreError(
                f"{config.source} sets [privacy] {_settings_text(config.privacy)}, but the data file {self.path} "
                f"has {_settings_text(self.config.privacy)}; the data file's settings apply to every command. "
                f"Change them with `trygghetskarta privacy set --data {self.path} k=… cell_m=…`, or remove "
                "[privacy] from the config file.")

    # -- creating and opening -------------------------------------------------
    @classmethod
    def create(
        cls, path, kommun: str = "0665", demo: bool = False, overwrite: bool = False,
        config: PromiseConfig | None = None,
    ) -> GeoPackageStore:
        path = Path(path)
        muni = get_municipality(kommun)
        if path.exists():
            if not overwrite:
                raise StoreError(f"{path} already exists; choose another path or remove it")
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Build in a temporary file and move it into place: a crash leaves no half store.
        tmp = path.with_name(path.name + ".creating")
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        conn = datafile.connect(tmp, create=True)
        try:
            with transaction(conn):
                init_core(conn, SRS_ID)
                bounds = muni.geometry_metric.bounds
                conn.execute(
                    "CREATE TABLE reports (fid INTEGER PRIMARY KEY AUTOINCREMENT, geometry POINT,"
                    " id TEXT NOT NULL UNIQUE, layer TEXT NOT NULL, focus_area TEXT NOT NULL,"
                    " occurred_at TEXT NOT NULL, reported_at TEXT NOT NULL, category TEXT NOT NULL,"
                    " description TEXT, source TEXT NOT NULL, status TEXT NOT NULL)"
                )
                register_features(conn, "reports", "geometry", SRS_ID, bounds)
                conn.execute(
                    "CREATE TABLE activities (fid INTEGER PRIMARY KEY AUTOINCREMENT, geometry POINT,"
                    " id TEXT NOT NULL UNIQUE, focus_area TEXT NOT NULL, actor TEXT NOT NULL,"
                    " kind TEXT NOT NULL, planned_at TEXT NOT NULL, done_at TEXT, status TEXT NOT NULL,"
                    " duration_min INTEGER NOT NULL, description TEXT)"
                )
                register_features(conn, "activities", "geometry", SRS_ID, bounds)
                conn.execute(META_SCHEMA)
                register_attributes(conn, META_TABLE)
                now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
                conn.executemany(
                    META_UPSERT,
                    [
                        ("kommun", muni.code), ("schema_version", str(SCHEMA_VERSION)),
                        ("demo", "true" if demo else "false"), ("crs", METRIC), ("created_at", now),
                    ],
                )
                conn.execute("CREATE INDEX reports_time ON reports (occurred_at)")
                # A new file is the first version with every upgrade applied: one way to each shape.
                _add_v2(conn, (config or load_config()).privacy)
                _add_v3(conn)
                _add_v4(conn)
                _add_v5(conn, config, by="(new file)")
                _add_v6(conn)
        finally:
            conn.close()
        os.replace(tmp, path)
        return cls(path, config=config)

    def _connect(self) -> sqlite3.Connection:
        """A connection for writing (`datafile.connect`); tests replace it to fail a write."""
        return datafile.connect(self.path)

    def _read_meta(self, config: PromiseConfig | None = None) -> StoreMeta:
        try:
            with reading(self.path) as conn:
                rows = dict(conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
        except sqlite3.DatabaseError as exc:
            raise _unreadable(self.path, exc) from None
        version = int(rows.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}; this Trygghetskarta reads up to version "
                f"{SCHEMA_VERSION}. Update Trygghetskarta to open it."
            )
        if version < SCHEMA_VERSION:
            self.backup = migrate(self.path, version, config)
            return self._read_meta(config)
        self._rows = rows
        return StoreMeta(
            kommun=rows["kommun"], schema_version=version, demo=rows.get("demo") == "true",
            crs=rows.get("crs", METRIC), created_at=rows.get("created_at", ""),
        )

    @property
    def meta(self) -> StoreMeta:
        return self._meta

    def privacy_settings(self):
        """The privacy settings stored in the data file (k, cell_m, layer modes, release periods)."""
        from .privacy import PrivacySettings

        return PrivacySettings.from_mapping(json.loads(self._rows.get("privacy", "{}")))

    def set_privacy(self, settings) -> None:
        """Store new privacy settings; releases built with other settings are superseded."""
        self.set_meta("privacy", json.dumps(settings.to_mapping(), sort_keys=True))
        self.config = replace(self.config, privacy=self.privacy_settings())

    @property
    def order_secret(self) -> str:
        """The per-file key of `privacy.order_key` (16 characters)."""
        return self._rows["order_secret"]

    def current_config(self, today: dt.date | None = None, role: str | None = None) -> PromiseConfig:
        """The promise a view shows on `today` for `role`: the `--config` given at open (it
        wins for the run), else the data file's current promise (`layers.promises`)."""
        if self.config_override:
            return self.config
        from .promises import current_promise

        return replace(current_promise(self, today, role), privacy=self.config.privacy)

    def promise_note(self) -> str:
        """Where this store's promise comes from, for `info` and the `serve` banner."""
        from .promises import list_promises, period_label

        period = period_label(self.config.period_start, self.config.period_end)
        if self.config_override:
            return (f"{self.config.source} for this run only ({period}; the data file's promises are not used "
                    "and nothing is imported)")
        stored = [p for p in list_promises(self.path)
                  if (p.start, p.end) == (self.config.period_start, self.config.period_end)]
        if not stored:
            return f"{self.config.source} ({period}; none stored in the data file)"
        return f"{period} from the data file ({stored[0].name}, imported {stored[0].imported_at} by {stored[0].imported_by})"

    def set_meta(self, key: str, value: str) -> None:
        with writing(self.path) as conn:
            conn.execute(META_UPSERT, (key, value))
        self._meta = self._read_meta(self.config)

    # -- writing ----------------------------------------------------------------
    def add_reports(self, frame: gpd.GeoDataFrame, skip_existing: bool = False) -> AddResult:
        frame = _ensure_columns(_to_store_crs(frame), REPORT_COLUMNS)
        errors = self.validate_reports(frame)
        if errors:
            raise ValidationError(errors, "reports")
        return self._insert("reports", frame, REPORT_COLUMNS, skip_existing)

    def add_activities(self, frame: gpd.GeoDataFrame, skip_existing: bool = False) -> AddResult:
        frame = _ensure_columns(_to_store_crs(frame), ACTIVITY_COLUMNS)
        frame["done_at"] = frame["done_at"].fillna("")
        errors = self.validate_activities(frame)
        columns = ACTIVITY_COLUMNS
        if COMMITMENT_COLUMN in frame.columns:
            # Optional: an activity may name the commitment it counts for (NULL: matched by its fields).
            frame[COMMITMENT_COLUMN] = pd.Series(_commitment_ids(frame[COMMITMENT_COLUMN]), index=frame.index,
                                                 dtype=object)
            errors += self._check_commitments(frame)
            columns = (*ACTIVITY_COLUMNS, COMMITMENT_COLUMN)
        if errors:
            raise ValidationError(errors, "activities")
        frame["duration_min"] = pd.to_numeric(frame["duration_min"]).astype("int64")
        return self._insert("activities", frame, columns, skip_existing)

    def _check_commitments(self, frame: pd.DataFrame) -> list[RecordError]:
        from .promises import list_promises

        known = {c.id for c in self.config.commitments}
        for stored in list_promises(self.path):
            known |= {c.id for c in stored.config().commitments}
        return [RecordError(str(rid), COMMITMENT_COLUMN, value,
                            f"is not a commitment of a stored promise; known: {', '.join(sorted(known)) or 'none'}")
                for rid, value in zip(frame["id"], frame[COMMITMENT_COLUMN], strict=True)
                if not pd.isna(value) and value not in known]

    def _insert(self, table: str, frame: gpd.GeoDataFrame, columns, skip_existing: bool) -> AddResult:
        attrs = [c for c in columns if c != "geometry"]
        rows = _store_rows(frame, attrs)
        if len(frame) <= INSERT_BLOCK:
            # A save from the app: built before the write lock, which is then held only for the rows.
            rows = list(rows)
        names = ", ".join(["geometry", *attrs])
        marks = ", ".join("?" * (len(attrs) + 1))
        verb = "INSERT OR IGNORE" if skip_existing else "INSERT"
        # A larger import streams its rows into the transaction, block by block.
        conn = self._connect()
        try:
            with transaction(conn):
                if not skip_existing:
                    clash = _existing_ids(conn, table, frame["id"].tolist())
                    if clash:
                        raise StoreError(
                            f"{len(clash)} {table} already in the store, nothing stored: "
                            f"id {clash[0]!r}" + (" and more" if len(clash) > 1 else "")
                        )
                before = conn.total_changes
                conn.executemany(f"{verb} INTO {table} ({names}) VALUES ({marks})", rows)
                added = conn.total_changes - before
                _touch(conn, table)
        except sqlite3.OperationalError as exc:
            datafile._reraise(exc, self.path)
        finally:
            conn.close()
        return AddResult(added=added, skipped=len(frame) - added)

    def update_report_status(self, report_id: str, status: str) -> None:
        if status not in REPORT_STATUSES:
            raise ValidationError(
                [RecordError(report_id, "status", status, f"must be one of {', '.join(REPORT_STATUSES)}")]
            )
        self._update("reports", report_id, {"status": status})

    def update_activity_status(self, activity_id: str, status: str, done_at: str | None = None) -> None:
        if status not in ACTIVITY_STATUSES:
            raise ValidationError(
                [RecordError(activity_id, "status", status, f"must be one of {', '.join(ACTIVITY_STATUSES)}")]
            )
        if status == "genomförd" and not done_at:
            done_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        if status == "planerad":
            done_at = ""
        changes = {"status": status}
        if done_at is not None:
            changes["done_at"] = done_at
        self._update("activities", activity_id, changes)

    def _update(self, table: str, record_id: str, changes: dict) -> None:
        sets = ", ".join(f"{k} = ?" for k in changes)
        with writing(self.path) as conn:
            cur = conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*changes.values(), record_id))
            if cur.rowcount != 1:
                raise StoreError(f"no {table[:-1]} with id {record_id!r}")
            _touch(conn, table)

    # -- reading ----------------------------------------------------------------
    def read_table(self, table: str, where: str = "", params: tuple = (), *,
                   uncounted: bool = False) -> pd.DataFrame:
        """All attribute columns plus metric x, y (NaN for no place): the dashboard's fast path.

        Reports are the counted ones only (`layers.intake_schema.COUNTED`: staff entries, imports,
        approved reports): a pending or rejected report reaches no view. `uncounted=True` reads
        every row — for the moderation queue, the admin's export of it and id checks only."""
        columns = REPORT_COLUMNS if table == "reports" else (*ACTIVITY_COLUMNS, COMMITMENT_COLUMN)
        attrs = [c for c in columns if c != "geometry"]
        full = not where
        if table == "reports" and not uncounted:
            clause = where.strip()
            clause = clause[len("WHERE"):].strip() if clause[:5].upper() == "WHERE" else clause
            where = f"WHERE ({clause}) AND {COUNTED}" if clause else f"WHERE {COUNTED}"
        with FULL_READS if full else _UNBOUNDED:
            # One statement, fetched whole: the read lock is held only while sqlite hands over
            # the rows, and all per-row Python work below runs after the connection is closed.
            with reading(self.path) as conn:
                rows = conn.execute(f"SELECT geometry, {', '.join(attrs)} FROM {table} {where} ORDER BY fid",
                                    params).fetchall()
            if rows:
                blobs, *cols = zip(*rows, strict=True)
            else:
                blobs, cols = [], [[] for _ in attrs]
            frame = pd.DataFrame({name: list(col) for name, col in zip(attrs, cols, strict=True)})
        frame["x"], frame["y"] = blobs_to_xy(list(blobs))
        for name in ("description", "done_at", COMMITMENT_COLUMN):
            if name in frame:
                frame[name] = frame[name].fillna("")
        if "duration_min" in frame:
            frame["duration_min"] = frame["duration_min"].astype("int64")
        return frame

    def reports(self, query: Query | None = None, *, uncounted: bool = False) -> gpd.GeoDataFrame:
        """The counted reports matching `query` (`uncounted=True`: every row, see `read_table`)."""
        return self._query("reports", query or Query(), "occurred_at", uncounted)

    def activities(self, query: Query | None = None) -> gpd.GeoDataFrame:
        return self._query("activities", query or Query(), "planned_at")

    def _query(self, table: str, query: Query, time_column: str, uncounted: bool = False) -> gpd.GeoDataFrame:
        clauses, params = [], []
        for column, values in (
            ("layer", query.layers if table == "reports" else None),
            ("focus_area", query.focus_areas),
            ("status", query.statuses),
            ("actor", query.actors if table == "activities" else None),
        ):
            if values is not None:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        # Offsets differ by an hour across DST, so text comparison is only a coarse pre-filter.
        if query.start is not None:
            clauses.append(f"substr({time_column}, 1, 10) >= ?")
            params.append((_as_utc(query.start) - pd.Timedelta(days=1)).strftime("%Y-%m-%d"))
        if query.end is not None:
            clauses.append(f"substr({time_column}, 1, 10) <= ?")
            params.append((_as_utc(query.end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d"))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        frame = self.read_table(table, where, tuple(params), uncounted=uncounted)
        keep = np.ones(len(frame), dtype=bool)
        if query.start is not None or query.end is not None:
            times = parse_times(frame[time_column])
            if query.start is not None:
                keep = keep & ((times >= _as_utc(query.start)).to_numpy())
            if query.end is not None:
                keep = keep & ((times < _as_utc(query.end)).to_numpy())
        if query.polygon is not None or query.bbox is not None:
            keep = keep & (within_area(frame["x"].to_numpy(), frame["y"].to_numpy(), query.polygon, query.bbox))
        frame = frame[keep].reset_index(drop=True)
        columns = REPORT_COLUMNS if table == "reports" else ACTIVITY_COLUMNS
        geometry = gpd.points_from_xy(frame["x"], frame["y"], crs=METRIC)
        # No place (an EST meeting) is a missing geometry, as GDAL and QGIS read it too.
        geometry[np.isnan(frame["x"].to_numpy())] = None
        return gpd.GeoDataFrame(
            frame[[c for c in columns if c != "geometry"]], geometry=geometry, crs=METRIC
        )[list(columns)]

    def last_change(self) -> str:
        with reading(self.path) as conn:
            row = conn.execute(
                "SELECT max(last_change) FROM gpkg_contents WHERE table_name IN ('reports', 'activities')"
            ).fetchone()
        return str(row[0] or "")

    def counts(self) -> dict[str, int]:
        with reading(self.path) as conn:
            return {
                t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("reports", "activities")
            }


_UNBOUNDED = contextlib.nullcontext()


#: Rows turned into SQL values per block: a large import streams into its one transaction
#: instead of holding every row as Python tuples at once (2 M rows: ~1.7 GB).
INSERT_BLOCK = 50_000


def _store_rows(frame: gpd.GeoDataFrame, attrs: list[str]):
    """(geometry blob, *attrs) per row, made block by block (NULL geometry for no place)."""
    geoms = frame.geometry.to_numpy()
    for start in range(0, len(frame), INSERT_BLOCK):
        part = geoms[start:start + INSERT_BLOCK]
        present = ~(pd.isna(part) | shapely.is_empty(part))
        x = np.full(len(part), np.nan)
        y = np.full(len(part), np.nan)
        x[present] = shapely.get_x(part[present])
        y[present] = shapely.get_y(part[present])
        values = [frame[c].iloc[start:start + INSERT_BLOCK].tolist() for c in attrs]
        yield from zip(points_to_blobs(x, y, SRS_ID), *values, strict=True)


def within_area(x: np.ndarray, y: np.ndarray, polygon=None, bbox=None) -> np.ndarray:
    """Which metric points fall in a WGS 84 polygon and/or bbox (NaN points never do)."""
    from geodata import to_metric

    keep = ~(np.isnan(x) | np.isnan(y))
    if bbox is not None:
        polygon_bbox = shapely.box(*bbox)
        polygon = polygon_bbox if polygon is None else polygon.intersection(polygon_bbox)
    if polygon is not None:
        metric = shapely.transform(polygon, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1])))
        # The polygon's bounds first (plain comparisons): the exact test only for the few
        # points that can be inside, not for every report in the municipality.
        x0, y0, x1, y1 = metric.bounds
        with np.errstate(invalid="ignore"):
            candidates = np.flatnonzero(keep & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        keep = np.zeros(len(x), dtype=bool)
        if len(candidates):
            shapely.prepare(metric)
            keep[candidates] = shapely.contains_xy(metric, x[candidates], y[candidates])
    return keep


def _as_utc(value) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("Europe/Stockholm")
    return stamp.tz_convert("UTC")


def _touch(conn: sqlite3.Connection, table: str) -> None:
    """Mark a table changed (gpkg_contents.last_change: what `last_change` and QGIS read)."""
    conn.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
                 " WHERE table_name = ?", (table,))


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    """Why the metadata cannot be read. Only a file that is no sqlite database, or one without
    the metadata table, is "not a Trygghetskarta data file"; locks and crashes say so (datafile)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name == "SQLITE_NOTADB" or "no such table" in str(exc):
        return StoreError(f"{path} is not a Trygghetskarta data file (GeoPackage)")
    if name.startswith("SQLITE_CORRUPT"):
        return StoreError(f"{path} is damaged ({exc}); restore it from a backup copy")
    return StoreError(f"{path} cannot be read: {exc}")


def _existing_ids(conn: sqlite3.Connection, table: str, ids: list[str]) -> list[str]:
    found: list[str] = []
    if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None:
        return found
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        marks = ", ".join("?" * len(chunk))
        found += [r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk)]
    return found


def _settings_text(settings) -> str:
    periods = ", ".join(f"{role}={kind}" for role, kind in sorted(settings.periods.items()))
    return f"k={settings.k}, cell_m={settings.cell_m}, period {periods}"


def _commitment_ids(values: pd.Series) -> list[str | None]:
    """Commitment ids as stored: text, with empty and missing values as NULL."""
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) or not str(v).strip() else str(v).strip()
            for v in values]


def open_store(path, config: PromiseConfig | None = None, today: dt.date | None = None) -> GeoPackageStore:
    """Open an existing data file; a clear StoreError if it is missing or of another version.
    Its `config` is the promise a view shows on `today` (layers.promises), unless one is given."""
    return GeoPackageStore(path, config=config, today=today)
