"""Safety walks as files: GPX (the route as a track, points as waypoints with name, desc, type
and time, the walk's own fields in a metadata extension) and GeoJSON (a FeatureCollection in
WGS 84: the route LineString with the walk's fields, then the points), read and written so an
exported walk imports as the same walk. Photos stay in the data file (neither format has room)."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import gpxpy
import gpxpy.gpx
import numpy as np
import pandas as pd
import shapely

from geodata import to_metric, to_wgs84

from ...config import REPORT_LAYERS
from ...schema import LOCAL_TZ, RecordError, ValidationError
from ...walks import DEFAULT_CATEGORY, DEFAULT_LAYER, Walk, WalkPoint, check_participants, parse_date

#: The namespace of the walk's own fields in a GPX file's metadata extensions.
GPX_NS = "urn:x-trygghetskarta:walk:1"
#: A walk file is a route and a few points: a larger file is a mistake (or an attack on the parser).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Decimals of a WGS 84 degree written out: 7 is about a centimetre.
DECIMALS = 7
SUFFIXES = (".gpx", ".geojson", ".json")
_LABEL = re.compile(r"^p\d+$")


@dataclass
class WalkDraft:
    """What a file says about a walk; the command line fills in (or overrides) the rest."""

    held_on: dt.date | None = None
    title: str | None = None
    route: shapely.LineString | None = None
    participants: dict | None = None
    repeats: str | None = None
    walk_id: str | None = None
    points: list[WalkPoint] = field(default_factory=list)

    def walk(self, held_on=None, title=None, participants=None, repeats=None, today=None) -> Walk:
        """The walk with the given values in place of the file's (None: the file's)."""
        day = held_on if held_on is not None else self.held_on
        if day is None:
            raise _invalid("walk", "date", None, "is missing: the file has no date, give --date YYYY-MM-DD")
        if isinstance(day, str):
            day = parse_date(day, today)
        return Walk(held_on=day, title=title if title is not None else (self.title or ""),
                    route=self.route, participants=check_participants(
                        participants if participants is not None else (self.participants or {})),
                    repeats=(repeats if repeats is not None else self.repeats) or None,
                    points=tuple(self.points), walk_id=self.walk_id or "")


def _invalid(row, name, value, reason) -> ValidationError:
    return ValidationError([RecordError(row, name, value, reason)], "walk")


def read_walk_file(path: str | Path) -> WalkDraft:
    """A walk from FILE.gpx or FILE.geojson (.json), checked for shape; the store checks places."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _invalid("file", "name", path.name, "must end in .gpx or .geojson")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _invalid("file", "size", f"{size} bytes", f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    data = path.read_bytes()
    return read_gpx(data) if suffix == ".gpx" else read_geojson(data)


def write_walk_file(walk: Walk, path: str | Path) -> Path:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _invalid("file", "name", path.name, "must end in .gpx or .geojson")
    text = walk_gpx(walk) if suffix == ".gpx" else json.dumps(walk_geojson(walk), ensure_ascii=False, indent=1)
    path.write_text(text, encoding="utf-8")
    return path


# -- shared pieces -------------------------------------------------------------------------


def _kind(text: str | None, row: str) -> tuple[str, str]:
    """(layer, category) from 'layer/category' or a category alone (its first layer; default övrigt)."""
    text = (text or "").strip()
    if not text:
        return DEFAULT_LAYER, DEFAULT_CATEGORY
    layer, sep, category = text.partition("/")
    if sep:
        return layer.strip(), category.strip()
    for spec in REPORT_LAYERS.values():
        for known in spec.categories:
            if text.casefold() == known.casefold():  # "Belysning" from another app
                return spec.id, known
    known = ", ".join(c for spec in REPORT_LAYERS.values() if not spec.sensitive for c in spec.categories)
    raise _invalid(row, "type", text, f"is not a category; known: {known} (or layer/category)")


def _description(name: str | None, desc: str | None) -> str:
    """The point's description; a name other than our own p-labels (another app's) is kept in front."""
    name = " ".join((name or "").split())
    desc = " ".join((desc or "").split())
    if name and not _LABEL.match(name):
        return f"{name}: {desc}" if desc else name
    return desc


def _local_time(value) -> str | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")  # GPX times are UTC
    return stamp.tz_convert(LOCAL_TZ).isoformat()


def _metric_line(lon: np.ndarray, lat: np.ndarray, row: str) -> shapely.LineString:
    _check_degrees(lon, lat, row)
    x, y = to_metric(lon, lat)
    return shapely.LineString(np.column_stack([x, y]))


def _check_degrees(lon, lat, row: str) -> None:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _invalid(row, "coordinates", f"{lon[i]}, {lat[i]}", f"(point {i + 1}) are not WGS 84 lon, lat degrees")


def _wgs84(x, y) -> tuple[list[float], list[float]]:
    lon, lat = to_wgs84(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.round(lon, DECIMALS).tolist(), np.round(lat, DECIMALS).tolist()


def _point(lon: float, lat: float, row: str, kind: str | None, name, desc, time) -> WalkPoint:
    _check_degrees([lon], [lat], row)
    layer, category = _kind(kind, row)
    x, y = to_metric(np.array([lon]), np.array([lat]))
    return WalkPoint(x=float(x[0]), y=float(y[0]), layer=layer, category=category,
                     description=_description(name, desc), occurred_at=_local_time(time))


# -- GPX ---------------------------------------------------------------------------------


def read_gpx(data: bytes) -> WalkDraft:
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        # GPX has no DTD; a DOCTYPE here can only be entity tricks for the XML parser.
        raise _invalid("file", "gpx", "<!DOCTYPE", "GPX files have no DOCTYPE or entities; not read")
    try:
        gpx = gpxpy.parse(data.decode("utf-8-sig"))
    except (gpxpy.gpx.GPXException, UnicodeDecodeError, ValueError) as exc:
        raise _invalid("file", "gpx", str(exc)[:120], "is not a readable GPX file") from None
    coords = [(p.longitude, p.latitude) for track in gpx.tracks for seg in track.segments for p in seg.points]
    if len(coords) < 2:
        # A planned route (rte) drawn in another app is a route too.
        coords = [(p.longitude, p.latitude) for route in gpx.routes for p in route.points]
    if len(coords) < 2:
        raise _invalid("route", "trk", f"{len(coords)} points",
                       "the GPX file has no track (trk) or route (rte) with at least two points")
    xy = np.array(coords, dtype=float)
    draft = WalkDraft(route=_metric_line(xy[:, 0], xy[:, 1], "route"),
                      title=gpx.name or next((t.name for t in gpx.tracks if t.name), None))
    fields = _gpx_fields(gpx)
    if "held_on" in fields:
        draft.held_on = fields["held_on"]
    else:
        # The track's own clock first: the metadata time is often when the file was saved.
        first = next((p.time for t in gpx.tracks for s in t.segments for p in s.points if p.time), None) or gpx.time
        if first is not None:
            draft.held_on = pd.Timestamp(_local_time(first)).date()
    if "participants" in fields:
        draft.participants = _participant_text(fields["participants"])
    draft.repeats = fields.get("repeats") or None
    draft.walk_id = fields.get("walk_id") or None
    for n, wpt in enumerate(gpx.waypoints, start=1):
        draft.points.append(_point(wpt.longitude, wpt.latitude, f"waypoint {n}", wpt.type, wpt.name,
                                   wpt.description or wpt.comment, wpt.time or _passed_at(gpx, wpt)))
    return draft


def _passed_at(gpx, wpt):
    """When the track passed nearest a waypoint without a time of its own (None: the track has no times)."""
    timed = [(p.longitude, p.latitude, p.time) for t in gpx.tracks for s in t.segments for p in s.points if p.time]
    if not timed or wpt.longitude is None or wpt.latitude is None:
        return None
    lon, lat, _ = zip(*timed, strict=True)
    x, y = to_metric(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    wx, wy = to_metric(np.array([wpt.longitude], dtype=float), np.array([wpt.latitude], dtype=float))
    return timed[int(np.argmin(np.hypot(x - wx[0], y - wy[0])))][2]


def _gpx_fields(gpx) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in gpx.metadata_extensions:
        if element.tag == f"{{{GPX_NS}}}walk":
            for child in element:
                found[child.tag.split("}", 1)[-1]] = (child.text or "").strip()
    return found


def _participant_text(text: str) -> dict:
    counts = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        group, sep, count = part.partition("=")
        if not sep:
            raise _invalid("walk", "participants", part, "is not GROUP=COUNT; counts by group, never names")
        counts[group.strip()] = count.strip()
    return counts


def walk_gpx(walk: Walk) -> str:
    """GPX 1.1: metadata (title, date, the walk's fields), the points as waypoints, the route as a track."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "Trygghetskarta"
    gpx.name = walk.title
    gpx.time = dt.datetime.combine(walk.held_on, dt.time(12), tzinfo=dt.UTC)
    gpx.nsmap["tk"] = GPX_NS
    fields = ET.Element(f"{{{GPX_NS}}}walk")
    for name, value in (("walk_id", walk.walk_id), ("held_on", walk.held_on.isoformat()),
                        ("participants", ",".join(f"{g}={n}" for g, n in walk.participants.items())),
                        ("repeats", walk.repeats or "")):
        ET.SubElement(fields, f"{{{GPX_NS}}}{name}").text = value
    gpx.metadata_extensions.append(fields)
    for n, point in enumerate(walk.points, start=1):
        (lon,), (lat,) = _wgs84([point.x], [point.y])
        gpx.waypoints.append(gpxpy.gpx.GPXWaypoint(
            latitude=lat, longitude=lon, name=_label(point, n), description=point.description or None,
            type=f"{point.layer}/{point.category}",
            time=pd.Timestamp(point.occurred_at).tz_convert("UTC").to_pydatetime() if point.occurred_at else None))
    track = gpxpy.gpx.GPXTrack(name=walk.title)
    segment = gpxpy.gpx.GPXTrackSegment()
    lons, lats = _wgs84(*shapely.get_coordinates(walk.route).T)
    segment.points.extend(gpxpy.gpx.GPXTrackPoint(lat, lon) for lon, lat in zip(lons, lats, strict=True))
    track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def _label(point: WalkPoint, n: int) -> str:
    """The point's short name: p1, p2, ... (the end of its report id)."""
    tail = point.id.rsplit("-", 1)[-1] if point.id else ""
    return tail if _LABEL.match(tail) else f"p{n}"


# -- GeoJSON -----------------------------------------------------------------------------


def walk_geojson(walk: Walk) -> dict:
    """RFC 7946 FeatureCollection in WGS 84: the route first (with the walk's fields), then the points
    (with their current status and moderation, for reading; an import starts them afresh)."""
    lons, lats = _wgs84(*shapely.get_coordinates(walk.route).T)
    features = [{
        "type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(c) for c in zip(lons, lats, strict=True)]},
        "properties": {"kind": "route", "walk_id": walk.walk_id, "held_on": walk.held_on.isoformat(),
                       "title": walk.title, "participants": dict(walk.participants), "repeats": walk.repeats},
    }]
    for n, point in enumerate(walk.points, start=1):
        (lon,), (lat,) = _wgs84([point.x], [point.y])
        features.append({
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"kind": "point", "name": _label(point, n), "id": point.id or None, "layer": point.layer,
                           "category": point.category, "description": point.description,
                           "occurred_at": point.occurred_at, "status": point.status or None,
                           "moderation": point.moderation or None, "public_reply": point.public_reply or None},
        })
    return {"type": "FeatureCollection", "features": features}


def read_geojson(data: bytes) -> WalkDraft:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid("file", "geojson", str(exc)[:120], "is not readable JSON") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise _invalid("file", "type", doc.get("type") if isinstance(doc, dict) else type(doc).__name__,
                       "must be a GeoJSON FeatureCollection")
    crs = (((doc.get("crs") or {}).get("properties") or {}).get("name") or "") if isinstance(doc.get("crs"), dict) else ""
    if crs and not re.search(r"CRS84|EPSG:+4326$", crs):
        raise _invalid("file", "crs", crs, "must be WGS 84 (lon, lat), as RFC 7946 GeoJSON is")
    draft = WalkDraft()
    for n, feature in enumerate(doc["features"], start=1):
        row = f"feature {n}"
        geometry = (feature or {}).get("geometry") if isinstance(feature, dict) else None
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        kind = (geometry or {}).get("type")
        coords = (geometry or {}).get("coordinates")
        try:
            if kind == "LineString" and draft.route is None:
                xy = np.array(coords, dtype=float).reshape(-1, len(coords[0]))[:, :2]
                if len(xy) < 2:
                    raise ValueError("fewer than two points")
                draft.route = _metric_line(xy[:, 0], xy[:, 1], row)
                _route_fields(draft, props)
            elif kind == "Point":
                lon, lat = float(coords[0]), float(coords[1])
                draft.points.append(_point(
                    lon, lat, row, _props_kind(props), props.get("name"), props.get("description"),
                    props.get("occurred_at")))
            elif kind == "LineString":
                raise _invalid(row, "geometry", kind, "is a second route; a walk has one LineString")
            else:
                raise _invalid(row, "geometry", kind, "must be the route (LineString) or a point (Point)")
        except (TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, ValidationError):
                raise
            raise _invalid(row, "coordinates", str(coords)[:80], f"are not lon, lat numbers ({exc})") from None
    if draft.route is None:
        raise _invalid("route", "geometry", None, "the GeoJSON has no LineString feature (the route walked)")
    return draft


def _props_kind(props: dict) -> str | None:
    layer, category = props.get("layer"), props.get("category")
    if layer and category:
        return f"{layer}/{category}"
    return category or props.get("type")


def _route_fields(draft: WalkDraft, props: dict) -> None:
    if props.get("held_on"):
        draft.held_on = str(props["held_on"])
    draft.title = props.get("title") or props.get("name")
    participants = props.get("participants")
    if isinstance(participants, str):
        participants = _participant_text(participants)
    draft.participants = participants
    draft.repeats = props.get("repeats") or None
    draft.walk_id = props.get("walk_id") or None
