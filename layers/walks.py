"""Trygghetsvandringar (safety walks): a walk with its route, participant counts and the points
marked on it, stored in the data file's `walks` table with each point a report (source
`trygghetsvandring`, moderation `väntar`) and an optional photo; a repeat walk shows what became
of the earlier walk's points. Files in and out (GPX, GeoJSON) are in `layers.imports.sources.walk_files`."""

from __future__ import annotations

import datetime as dt
import json
import re
import struct
import unicodedata
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import METRIC, get_municipality, to_wgs84

from .audit import AuditLog
from .datafile import StoreError, reading, transaction
from .gpkg import blobs_to_xy, points_to_blobs
from .imports.sources.walk_photos import prepare_photo
from .intake_schema import PHOTOS, WALKS
from .schema import LOCAL_TZ, RecordError, ValidationError, stable_id

SOURCE = "trygghetsvandring"
PENDING = "väntar"
DEFAULT_LAYER = "otrygg_plats"
DEFAULT_CATEGORY = "övrigt"
#: A point without a time of its own was marked during the walk; walks are mostly held in the evening.
DEFAULT_HOUR = 18
#: Who walks: counts by group, never names. A closed list, so a name cannot pass as a group.
PARTICIPANT_GROUPS = ("boende", "polis", "kommun", "fastighetsägare", "näringsidkare", "förening", "skola",
                      "ungdomar", "räddningstjänst", "politiker", "övriga")
MAX_PARTICIPANTS = 10_000
MAX_TITLE = 200
EARLIEST_WALK = dt.date(1990, 1, 1)
_WALK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SRS_ID = 3006
#: GeoPackage geometry header: "GP", version 0, flags (little endian, xy envelope), srs id.
_HEADER = struct.Struct("<2sBBi")
_ENVELOPE_XY = struct.Struct("<4d")
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


@dataclass(frozen=True)
class WalkPoint:
    """A place marked on the walk (SWEREF 99 TM metres) and, once stored, what became of it."""

    x: float
    y: float
    category: str = DEFAULT_CATEGORY
    layer: str = DEFAULT_LAYER
    description: str = ""
    #: ISO time with offset; None: the walk's day at DEFAULT_HOUR.
    occurred_at: str | None = None
    #: The photo as sent (any size up to walk_photos.MAX_PHOTO_BYTES); stored re-encoded.
    photo: bytes | None = field(default=None, repr=False)
    # Set by the store:
    id: str = ""
    status: str = ""
    moderation: str = ""
    public_reply: str = ""
    duplicate_of: str = ""
    has_photo: bool = False


@dataclass(frozen=True)
class Walk:
    held_on: dt.date
    title: str
    #: The route walked, a LINESTRING in SWEREF 99 TM.
    route: shapely.LineString
    #: Participants by group (PARTICIPANT_GROUPS): counts only.
    participants: dict[str, int] = field(default_factory=dict)
    #: The walk_id of the earlier walk this one repeats.
    repeats: str | None = None
    points: tuple[WalkPoint, ...] = ()
    walk_id: str = ""
    created_at: str = ""
    created_by: str = ""


@dataclass(frozen=True)
class WalkSummary:
    walk_id: str
    held_on: dt.date
    title: str
    participants: dict[str, int]
    repeats: str | None
    points: int
    length_m: float


def _invalid(row, name: str, value, reason: str) -> ValidationError:
    return ValidationError([RecordError(row, name, value, reason)], "walk")


# -- checks of what a user gives ---------------------------------------------------------


def parse_date(text: str, today: dt.date | None = None) -> dt.date:
    """The walk's date from YYYY-MM-DD: not in the future, not before 1990."""
    try:
        day = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise _invalid("walk", "date", text, "is not a date like 2026-11-27") from None
    return check_date(day, today)


def check_date(day: dt.date, today: dt.date | None = None) -> dt.date:
    today = today or dt.date.today()
    if day > today:
        raise _invalid("walk", "date", day.isoformat(), f"is after today ({today.isoformat()}): record a walk once held")
    if day < EARLIEST_WALK:
        raise _invalid("walk", "date", day.isoformat(), f"is before {EARLIEST_WALK.isoformat()}: a typo in the year?")
    return day


def parse_participants(text: str | None) -> dict[str, int]:
    """'boende=8,polis=2' → {'boende': 8, 'polis': 2}; anything else (a list of names) is refused."""
    if text is None or not str(text).strip():
        return {}
    counts: dict[str, int] = {}
    for part in str(text).split(","):
        group, sep, count = part.partition("=")
        if not sep:
            raise _invalid("walk", "participants", part.strip(),
                           f"is not GROUP=COUNT: give counts by group ({_groups_hint()}), never names")
        counts[group.strip()] = count.strip()  # checked below, with the counts from files
    return check_participants(counts)


def check_participants(counts) -> dict[str, int]:
    """Counts by known group (PARTICIPANT_GROUPS), whole numbers 0..MAX_PARTICIPANTS."""
    if not isinstance(counts, dict):
        raise _invalid("walk", "participants", counts, f"must be counts by group ({_groups_hint()}), never names")
    checked: dict[str, int] = {}
    for group, count in counts.items():
        name = str(group).strip().lower()
        if name not in PARTICIPANT_GROUPS:
            raise _invalid("walk", "participants", str(group),
                           f"is not a group: give counts by group ({_groups_hint()}), never names")
        if name in checked:
            raise _invalid("walk", "participants", str(group), "is given twice")
        try:
            number = int(str(count).strip())
        except ValueError:
            raise _invalid("walk", f"participants.{name}", count, "must be a whole number") from None
        if not 0 <= number <= MAX_PARTICIPANTS or str(count).strip() not in (str(number), f"+{number}"):
            raise _invalid("walk", f"participants.{name}", count, f"must be a whole number 0–{MAX_PARTICIPANTS}")
        checked[name] = number
    return {g: checked[g] for g in PARTICIPANT_GROUPS if g in checked}


def _groups_hint() -> str:
    return "e.g. boende=8,polis=2; groups: " + ", ".join(PARTICIPANT_GROUPS)


def plain_text(value) -> str:
    """One line of text: control characters (a terminal's escape codes, NUL, which XML cannot
    hold) and runs of whitespace become single spaces."""
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in str(value or "")).split())


def check_title(title) -> str:
    text = plain_text(title)
    if not text:
        raise _invalid("walk", "title", title, "is required (e.g. 'Trygghetsvandring Skillingaryd centrum')")
    if len(text) > MAX_TITLE:
        raise _invalid("walk", "title", text, f"is longer than {MAX_TITLE} characters")
    return text


def check_route(route, kommun: str) -> shapely.LineString:
    """A line of at least two distinct places, every vertex inside the municipality."""
    if not isinstance(route, shapely.LineString) or route.is_empty or len(route.coords) < 2:
        raise _invalid("route", "geometry", getattr(route, "geom_type", route), "must be a line of at least two points")
    if route.has_z:
        route = shapely.force_2d(route)
    xy = shapely.get_coordinates(route)
    if not np.isfinite(xy).all():
        raise _invalid("route", "geometry", "NaN", "has a coordinate that is not a number")
    if route.length == 0:
        raise _invalid("route", "geometry", "length 0", "has all its points at one place")
    _check_inside(xy, kommun, "route", "vertex")
    return route


def _check_inside(xy: np.ndarray, kommun: str, row: str, what: str) -> None:
    muni = get_municipality(kommun)
    inside = muni.contains_metric(xy[:, 0], xy[:, 1])
    if not inside.all():
        i = int(np.flatnonzero(~inside)[0])
        lon, lat = to_wgs84(xy[i:i + 1, 0], xy[i:i + 1, 1])
        raise _invalid(row, "coordinates", f"{lon[0]:.5f}, {lat[0]:.5f}",
                       f"({what} {i + 1}, lon, lat) is outside {muni.name} kommun")


def check_walk_id(walk_id: str) -> str:
    if not _WALK_ID.match(str(walk_id)):
        raise _invalid("walk", "walk_id", walk_id, "must be 1–64 letters, digits, '.', '_' or '-'")
    return str(walk_id)


def new_walk_id(held_on: dt.date, title: str, route: shapely.LineString) -> str:
    """Derived from the walk itself (the route to the metre): the same file imported twice is the same walk."""
    rounded = np.round(shapely.get_coordinates(route)).astype(int).tolist()
    return f"w-{held_on:%Y%m%d}-" + stable_id("w", held_on.isoformat(), title, rounded)[2:8]


# -- the route as a GeoPackage geometry ---------------------------------------------------


def line_to_blob(line: shapely.LineString, srs_id: int = _SRS_ID) -> bytes:
    """A GeoPackage geometry blob: standard header with the xy envelope, then little-endian WKB."""
    min_x, min_y, max_x, max_y = line.bounds
    flags = 0x01 | (1 << 1)  # little endian, envelope [minx, maxx, miny, maxy]
    return (_HEADER.pack(b"GP", 0, flags, srs_id) + _ENVELOPE_XY.pack(min_x, max_x, min_y, max_y)
            + shapely.to_wkb(line, byte_order=1, output_dimension=2))


def blob_to_line(blob: bytes) -> shapely.LineString:
    magic, _version, flags, _srs = _HEADER.unpack_from(blob)
    if magic != b"GP":
        raise StoreError("a walk's route is not a GeoPackage geometry")
    start = _HEADER.size + _ENVELOPE_BYTES.get((flags >> 1) & 0x07, 0)
    return shapely.from_wkb(bytes(blob[start:]))


# -- storing ------------------------------------------------------------------------------


def _point_time(point: WalkPoint, held_on: dt.date, row: str) -> str:
    if point.occurred_at is None or not str(point.occurred_at).strip():
        stamp = pd.Timestamp(dt.datetime.combine(held_on, dt.time(DEFAULT_HOUR))).tz_localize(LOCAL_TZ)
    else:
        try:
            stamp = pd.Timestamp(str(point.occurred_at))
        except ValueError:
            raise _invalid(row, "occurred_at", point.occurred_at, "is not a time like 2026-03-01T18:30:00+01:00") from None
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(LOCAL_TZ)
    return stamp.tz_convert(LOCAL_TZ).isoformat()


def _points_frame(store, walk: Walk, walk_id: str, first: int, now: str) -> gpd.GeoDataFrame:
    """The points as report rows, checked by the store's own report validation."""
    rows = []
    for n, point in enumerate(walk.points, start=first):
        label = f"p{n}"
        occurred = _point_time(point, walk.held_on, label)
        rows.append({
            "id": f"{walk_id}-{label}", "layer": point.layer,
            "focus_area": _focus_area(store, point.layer), "occurred_at": occurred,
            "reported_at": max(now, occurred, key=pd.Timestamp), "category": point.category,
            "description": plain_text(point.description), "source": SOURCE, "status": "ny",
            "geometry": shapely.Point(point.x, point.y),
        })
    if not rows:
        return gpd.GeoDataFrame({"id": []}, geometry=gpd.GeoSeries([], crs=METRIC))
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC,
                             index=[f"p{n}" for n in range(first, first + len(rows))])
    errors = store.validate_reports(frame)
    if errors:
        raise ValidationError(errors, "walk points")
    return frame


def _focus_area(store, layer: str) -> str:
    spec = store.config.layers.get(layer)
    return spec.focus_area if spec is not None else ""


def _photos(points, first: int) -> list[tuple[int, object]]:
    return [(i, prepare_photo(p.photo, row=f"p{first + i}")) for i, p in enumerate(points) if p.photo is not None]


def save_walk(store, walk: Walk, by: str = "", today: dt.date | None = None, file: str = "") -> Walk:
    """Check and store a walk with its points (and photos) in one transaction; nothing is stored
    when anything is wrong (a ValidationError or StoreError naming the field and value). The
    import is in the audit log (event `import`, with the walk id, file name and counts)."""
    kommun = store.meta.kommun
    held_on = check_date(walk.held_on, today)
    title = check_title(walk.title)
    route = check_route(walk.route, kommun)
    participants = check_participants(walk.participants)
    walk_id = check_walk_id(walk.walk_id) if walk.walk_id else new_walk_id(held_on, title, route)
    walk = replace(walk, held_on=held_on, title=title, route=route, participants=participants, walk_id=walk_id)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    frame = _points_frame(store, walk, walk_id, 1, now)
    photos = _photos(walk.points, 1)
    conn = store._connect()
    try:
        with transaction(conn):
            if conn.execute(f"SELECT 1 FROM {WALKS} WHERE walk_id = ?", (walk_id,)).fetchone():
                raise StoreError(f"walk {walk_id} is already in the data file; nothing stored")
            if walk.repeats:
                _check_repeats(conn, walk.repeats, held_on, walk_id)
            conn.execute(
                f"INSERT INTO {WALKS} (geometry, walk_id, held_on, title, participants, repeats, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (line_to_blob(route), walk_id, held_on.isoformat(), title,
                 json.dumps(participants, ensure_ascii=False), walk.repeats or None, now, by))
            _insert_points(conn, frame, walk_id, photos, now)
            _touch(conn, WALKS)
    finally:
        conn.close()
    AuditLog(store).append("import", user=by, detail={
        "walk": walk_id, "file": file, "points": len(frame), "photos": len(photos), "repeats": walk.repeats})
    return get_walk(store, walk_id)


def add_points(store, walk_id: str, points: list[WalkPoint], by: str = "") -> list[str]:
    """Mark further points on a stored walk (e.g. from photos afterwards); their report ids."""
    walk = get_walk(store, walk_id)
    first = len(walk.points) + 1
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    frame = _points_frame(store, replace(walk, points=tuple(points)), walk_id, first, now)
    photos = _photos(points, first)
    conn = store._connect()
    try:
        with transaction(conn):
            _insert_points(conn, frame, walk_id, photos, now)
    finally:
        conn.close()
    log = AuditLog(store)
    for rid in frame["id"]:
        log.append("add_report", user=by, detail={"id": rid, "walk": walk_id, "source": SOURCE})
    return frame["id"].tolist()


def _check_repeats(conn, repeats: str, held_on: dt.date, walk_id: str) -> None:
    found = conn.execute(f"SELECT held_on FROM {WALKS} WHERE walk_id = ?", (repeats,)).fetchone()
    if repeats == walk_id:
        raise _invalid("walk", "repeats", repeats, "is this walk itself")
    if found is None:
        raise _invalid("walk", "repeats", repeats, "is no walk in the data file (see `walk list`; import it first)")
    if dt.date.fromisoformat(found[0]) > held_on:
        raise _invalid("walk", "repeats", repeats, f"was held on {found[0]}, after this walk ({held_on.isoformat()})")


def _insert_points(conn, frame: gpd.GeoDataFrame, walk_id: str, photos, now: str) -> None:
    if frame.empty:
        return
    ids = frame["id"].tolist()
    marks = ", ".join("?" * len(ids))
    clash = conn.execute(f"SELECT id FROM reports WHERE id IN ({marks})", ids).fetchall()
    if clash:
        raise StoreError(f"report {clash[0][0]!r} is already in the data file; nothing stored")
    blobs = points_to_blobs(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy(), _SRS_ID)
    columns = ("id", "layer", "focus_area", "occurred_at", "reported_at", "category", "description", "source",
               "status")
    conn.executemany(
        f"INSERT INTO reports (geometry, {', '.join(columns)}, moderation, walk_id)"
        f" VALUES (?, {', '.join('?' * len(columns))}, ?, ?)",
        [(blob, *values, PENDING, walk_id)
         for blob, values in zip(blobs, frame[list(columns)].itertuples(index=False), strict=True)])
    conn.executemany(
        f"INSERT INTO {PHOTOS} (report_id, mime, bytes, data, created_at) VALUES (?, ?, ?, ?, ?)",
        [(ids[i], photo.mime, len(photo.data), photo.data, now) for i, photo in photos])
    # The points await moderation: no counted read of reports changes, so the table is not
    # marked changed (that would tell every open page, a bra screen too, that reports arrived).


def _touch(conn, table: str) -> None:
    """Mark a table changed (what a running dashboard and QGIS read), as the store does."""
    conn.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
                 " WHERE table_name = ?", (table,))


# -- reading ------------------------------------------------------------------------------


def list_walks(store) -> list[WalkSummary]:
    """Every walk, oldest first, with its number of points and route length."""
    with reading(store.path) as conn:
        rows = conn.execute(
            f"SELECT w.walk_id, w.held_on, w.title, w.participants, w.repeats, w.geometry,"
            f" (SELECT count(*) FROM reports r WHERE r.walk_id = w.walk_id) FROM {WALKS} w"
            " ORDER BY w.held_on, w.fid").fetchall()
    return [WalkSummary(walk_id, dt.date.fromisoformat(held_on), title, json.loads(participants), repeats, n,
                        blob_to_line(blob).length)
            for walk_id, held_on, title, participants, repeats, blob, n in rows]


def get_walk(store, walk_id: str) -> Walk:
    """The stored walk with its points and their current status and moderation."""
    with reading(store.path) as conn:
        row = conn.execute(
            f"SELECT geometry, held_on, title, participants, repeats, created_at, created_by FROM {WALKS}"
            " WHERE walk_id = ?", (walk_id,)).fetchone()
        if row is None:
            raise StoreError(f"no walk with id {walk_id!r} (see `trygghetskarta walk list`)")
        points = conn.execute(
            "SELECT r.geometry, r.id, r.layer, r.category, r.description, r.occurred_at, r.status, r.moderation,"
            f" r.public_reply, r.duplicate_of, EXISTS (SELECT 1 FROM {PHOTOS} p WHERE p.report_id = r.id)"
            " FROM reports r WHERE r.walk_id = ? ORDER BY r.fid", (walk_id,)).fetchall()
    blob, held_on, title, participants, repeats, created_at, created_by = row
    return Walk(
        held_on=dt.date.fromisoformat(held_on), title=title, route=blob_to_line(blob),
        participants=json.loads(participants), repeats=repeats, walk_id=walk_id, created_at=created_at,
        created_by=created_by, points=tuple(_stored_point(*p) for p in points))


def _stored_point(blob, rid, layer, category, description, occurred_at, status, moderation, reply, duplicate,
                  photo) -> WalkPoint:
    x, y = blobs_to_xy([blob])
    return WalkPoint(x=float(x[0]), y=float(y[0]), category=category, layer=layer, description=description or "",
                     occurred_at=occurred_at, id=rid, status=status, moderation=moderation or "",
                     public_reply=reply or "", duplicate_of=duplicate or "", has_photo=bool(photo))


def earlier_walks(store, walk: Walk) -> list[Walk]:
    """The walks this one repeats, nearest first (each with its points as they stand today)."""
    chain: list[Walk] = []
    seen = {walk.walk_id}
    earlier = walk.repeats
    while earlier and earlier not in seen:
        seen.add(earlier)
        chain.append(get_walk(store, earlier))
        earlier = chain[-1].repeats
    return chain


def photo_of(store, report_id: str) -> bytes | None:
    """The stored JPEG of a point, None without one."""
    with reading(store.path) as conn:
        row = conn.execute(f"SELECT data FROM {PHOTOS} WHERE report_id = ? ORDER BY id LIMIT 1",
                           (report_id,)).fetchone()
    return bytes(row[0]) if row else None
