"""Minimal GeoPackage plumbing on sqlite3: core tables and fast point geometry blobs."""

from __future__ import annotations

import sqlite3

import numpy as np
import shapely
from pyproj import CRS

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10400  # GeoPackage 1.4

_CORE = """
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"""

_POINT = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs", "<i4"),
     ("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")]
)
#: Envelope sizes in bytes by the 3-bit envelope code in the flags byte.
_ENVELOPE = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def init_core(conn: sqlite3.Connection, srs_id: int) -> None:
    """Create the GeoPackage core tables and register the undefined systems plus srs_id."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {USER_VERSION}")
    # Statement by statement: executescript would commit the caller's transaction.
    for statement in filter(str.strip, _CORE.split(";")):
        conn.execute(statement)
    rows = [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
    ]
    for code in {4326, srs_id}:
        crs = CRS.from_epsg(code)
        rows.append((crs.name, code, "EPSG", code, crs.to_wkt(), crs.name))
    conn.executemany("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", rows)


def register_features(conn: sqlite3.Connection, table: str, column: str, srs_id: int, bounds,
                      geometry_type: str = "POINT") -> None:
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, min_x, min_y, max_x, max_y, srs_id)"
        " VALUES (?, 'features', ?, ?, ?, ?, ?, ?)",
        (table, table, *bounds, srs_id),
    )
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)", (table, column, geometry_type, srs_id)
    )


def register_attributes(conn: sqlite3.Connection, table: str) -> None:
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES (?, 'attributes', ?)",
        (table, table),
    )


def points_to_blobs(x: np.ndarray, y: np.ndarray, srs_id: int) -> list[bytes | None]:
    """GeoPackage point blobs (no envelope, little endian); NaN coordinates give NULL (no place)."""
    n = len(x)
    packed = np.zeros(n, dtype=_POINT)
    packed["magic"] = b"GP"
    empty = np.isnan(x) | np.isnan(y)
    packed["flags"] = np.where(empty, 0x11, 0x01)  # bit 4: empty geometry; bit 0: little endian
    packed["srs"] = srs_id
    packed["order"] = 1
    packed["type"] = 1
    packed["x"] = x
    packed["y"] = y
    raw = packed.tobytes()
    size = _POINT.itemsize
    return [None if e else raw[i * size : (i + 1) * size] for i, e in enumerate(empty.tolist())]


def blobs_to_xy(blobs: list) -> tuple[np.ndarray, np.ndarray]:
    """Point coordinates from GeoPackage blobs; empty or missing geometry gives NaN."""
    n = len(blobs)
    size = _POINT.itemsize
    present = [b is not None for b in blobs]
    if n and all(len(b) == size and b[3] in (0x01, 0x11) for b in blobs if b is not None):
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        if any(present):
            packed = np.frombuffer(b"".join(b for b in blobs if b is not None), dtype=_POINT)
            mask = np.array(present)
            x[mask] = packed["x"]
            y[mask] = packed["y"]
        return x, y
    # Written by other software (QGIS adds envelopes): take the general route.
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    for i, blob in enumerate(blobs):
        if blob is None:
            continue
        flags = blob[3]
        header = 8 + _ENVELOPE.get((flags >> 1) & 0x07, 0)
        geom = shapely.from_wkb(bytes(blob[header:]))
        if not geom.is_empty:
            x[i], y[i] = geom.x, geom.y
    return x, y
