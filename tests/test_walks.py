"""Trygghetsvandringar (layers.walks, layers.imports.sources.walk_files and walk_photos) on hand-made walks in Skillingaryd: a
walk round-trips through GPX and GeoJSON to the metre, its points are reports awaiting moderation,
a repeat walk shows what became of the earlier points, photos are stored without EXIF, and bad
input is one message naming the field and value with nothing stored."""

import datetime as dt
import io
import json
import re
import sqlite3
from contextlib import closing

import numpy as np
import pyogrio
import pytest
import shapely
from PIL import Image

from layers import GeoPackageStore, ValidationError
from layers.datafile import StoreError
from layers.imports.sources.walk_files import read_walk_file, walk_gpx, write_walk_file
from layers.imports.sources.walk_photos import MAX_SIDE_PX, prepare_photo
from layers.intake_schema import COUNTED
from layers.moderation import Moderator, approve, queue, reject, reply
from layers.walks import Walk, WalkPoint, add_points, earlier_walks, get_walk, list_walks, photo_of, save_walk
from tests.helpers import SKILLINGARYD, VARNAMO
from tests.test_gpkg_conformance import validate

X0, Y0 = SKILLINGARYD
ROUTE = shapely.LineString([(X0, Y0), (X0 + 200, Y0 + 60), (X0 + 400, Y0 + 260)])
TODAY = dt.date(2026, 11, 1)


def first_walk(**changes) -> Walk:
    fields = {
        "held_on": dt.date(2026, 3, 1), "title": "Skillingaryd centrum", "route": ROUTE,
        "participants": {"boende": 8, "polis": 2, "kommun": 3},
        "points": (
            WalkPoint(X0 + 100, Y0 + 20, "belysning", description="Mörk gångtunnel under järnvägen"),
            WalkPoint(X0 + 300, Y0 + 150, "fortkörning", layer="hastighet", occurred_at="2026-03-01T19:10:00+01:00"),
            WalkPoint(X0 + 390, Y0 + 250, "skymd sikt", description="Buskar vid busshållplatsen"),
        ),
    }
    fields.update(changes)
    return Walk(**fields)


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "walks.gpkg", kommun="0665")


def rows(store, sql):
    with closing(sqlite3.connect(store.path)) as conn:
        return conn.execute(sql).fetchall()


def test_a_stored_walk_has_its_fields_and_points_as_reports_awaiting_moderation(store):
    saved = save_walk(store, first_walk(), by="(cli) anna", today=TODAY)
    assert saved.walk_id.startswith("w-20260301-") and len(saved.walk_id) == 17
    assert (saved.held_on, saved.title, saved.participants, saved.repeats, saved.created_by) == (
        dt.date(2026, 3, 1), "Skillingaryd centrum", {"boende": 8, "polis": 2, "kommun": 3}, None, "(cli) anna")
    assert shapely.equals_exact(saved.route, ROUTE, tolerance=1e-6)
    assert [(p.id, p.layer, p.category, p.occurred_at, p.status, p.moderation) for p in saved.points] == [
        (f"{saved.walk_id}-p1", "otrygg_plats", "belysning", "2026-03-01T18:00:00+01:00", "ny", "väntar"),
        (f"{saved.walk_id}-p2", "hastighet", "fortkörning", "2026-03-01T19:10:00+01:00", "ny", "väntar"),
        (f"{saved.walk_id}-p3", "otrygg_plats", "skymd sikt", "2026-03-01T18:00:00+01:00", "ny", "väntar"),
    ]
    reports = rows(store, "SELECT source, walk_id, moderation, focus_area FROM reports ORDER BY fid")
    assert reports == [("trygghetsvandring", saved.walk_id, "väntar", "trygghet"),
                       ("trygghetsvandring", saved.walk_id, "väntar", "trafik"),
                       ("trygghetsvandring", saved.walk_id, "väntar", "trygghet")]
    # Not counted anywhere (no view reads them) until a moderator approves them; the queue has them.
    assert rows(store, f"SELECT count(*) FROM reports WHERE {COUNTED}") == [(0,)] and store.read_table("reports").empty
    mia = Moderator.of("mia", "moderator")
    assert queue(store, mia)["id"].tolist() == [p.id for p in saved.points]
    approve(store, mia, saved.points[1].id)
    assert store.read_table("reports")["id"].tolist() == [saved.points[1].id]
    (summary,) = list_walks(store)
    assert (summary.points, round(summary.length_m, 1)) == (3, round(ROUTE.length, 1))
    assert summary.length_m == pytest.approx(208.806 + 282.843, abs=0.01)


def test_the_data_file_with_a_walk_is_a_valid_geopackage_whose_route_gdal_reads(store):
    saved = save_walk(store, first_walk(), today=TODAY)
    assert validate(store.path) == []
    frame = pyogrio.read_dataframe(store.path, layer="walks")
    assert frame.crs.to_epsg() == 3006 and frame["walk_id"].tolist() == [saved.walk_id]
    assert shapely.equals_exact(frame.geometry.iloc[0], ROUTE, tolerance=1e-6)


@pytest.mark.parametrize("suffix", [".gpx", ".geojson"])
def test_export_then_import_gives_the_same_walk_and_points_to_the_metre(store, tmp_path, suffix):
    earlier = save_walk(store, first_walk(), today=TODAY)
    repeat = save_walk(store, first_walk(held_on=dt.date(2026, 9, 1), title="Skillingaryd centrum igen",
                                         participants={"boende": 5}, repeats=earlier.walk_id,
                                         points=(WalkPoint(X0 + 50, Y0 + 10, "nedskräpning"),)), today=TODAY)
    fresh = GeoPackageStore.create(tmp_path / "fresh.gpkg", kommun="0665")
    for walk in (earlier, repeat):
        path = write_walk_file(walk, tmp_path / f"{walk.walk_id}{suffix}")
        back = save_walk(fresh, read_walk_file(path).walk(), today=TODAY)
        assert (back.walk_id, back.held_on, back.title, back.participants, back.repeats) == (
            walk.walk_id, walk.held_on, walk.title, walk.participants, walk.repeats)
        gap = np.hypot(*(shapely.get_coordinates(back.route) - shapely.get_coordinates(walk.route)).T)
        assert len(gap) == len(walk.route.coords) and gap.max() < 0.05  # 7 decimals of a degree: ~1 cm
        assert [(p.id, p.layer, p.category, p.description, p.occurred_at) for p in back.points] == [
            (p.id, p.layer, p.category, p.description, p.occurred_at) for p in walk.points]
        assert max(np.hypot(b.x - p.x, b.y - p.y) for b, p in zip(back.points, walk.points, strict=True)) < 1.0
        # A walk imported elsewhere starts its points afresh: moderated there, not here.
        assert {(p.status, p.moderation) for p in back.points} == {("ny", "väntar")}


def test_the_gpx_has_a_track_and_named_waypoints_with_desc_and_type(store):
    saved = save_walk(store, first_walk(), today=TODAY)
    import gpxpy

    gpx = gpxpy.parse(walk_gpx(saved))
    assert len(gpx.tracks) == 1 and len(gpx.tracks[0].segments[0].points) == 3
    assert [(w.name, w.description, w.type) for w in gpx.waypoints] == [
        ("p1", "Mörk gångtunnel under järnvägen", "otrygg_plats/belysning"),
        ("p2", None, "hastighet/fortkörning"),
        ("p3", "Buskar vid busshållplatsen", "otrygg_plats/skymd sikt")]
    assert gpx.waypoints[1].time == dt.datetime(2026, 3, 1, 18, 10, tzinfo=dt.UTC)


def test_a_gpx_from_another_app_keeps_waypoint_names_and_takes_the_date_from_the_track(tmp_path):
    (tmp_path / "garmin.gpx").write_text("""<?xml version="1.0"?>
<gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">
 <wpt lat="57.4289" lon="14.0938"><name>Trasig lampa</name><type>Belysning</type></wpt>
 <trk><name>Kvällsvandring</name><trkseg>
  <trkpt lat="57.4284" lon="14.0907"><time>2026-04-02T17:05:00Z</time></trkpt>
  <trkpt lat="57.4290" lon="14.0940"><time>2026-04-02T17:20:00Z</time></trkpt>
 </trkseg><trkseg><trkpt lat="57.4308" lon="14.0973"/></trkseg></trk>
</gpx>""", encoding="utf-8")
    draft = read_walk_file(tmp_path / "garmin.gpx")
    assert (draft.held_on, draft.title, len(draft.route.coords)) == (dt.date(2026, 4, 2), "Kvällsvandring", 3)
    (point,) = draft.points
    # No time of its own: when the track passed nearest (its second point 16 m away; the first is 194 m).
    assert (point.layer, point.category, point.description, point.occurred_at) == (
        "otrygg_plats", "belysning", "Trasig lampa", "2026-04-02T19:20:00+02:00")


def test_a_repeat_walk_shows_the_status_of_the_earlier_points(store):
    earlier = save_walk(store, first_walk(), today=TODAY)
    p1, p2, p3 = (p.id for p in earlier.points)
    # The moderation flow's decisions between the walks: approved and fixed with a reply, approved
    # and confirmed, rejected.
    mia = Moderator.of("mia", "moderator")
    approve(store, mia, p1)
    reply(store, mia, p1, "Ny belysning i tunneln", status="åtgärdad")
    approve(store, mia, p2)
    reply(store, mia, p2, status="bekräftad")
    reject(store, mia, p3, "Privat mark")
    repeat = save_walk(store, first_walk(held_on=dt.date(2026, 10, 1), repeats=earlier.walk_id, title="Uppföljning",
                                         points=(WalkPoint(X0 + 100, Y0 + 20, "belysning"),)), today=TODAY)
    assert repeat.repeats == earlier.walk_id
    (shown,) = earlier_walks(store, repeat)
    assert shown.walk_id == earlier.walk_id
    assert [(p.id, p.status, p.moderation, p.public_reply) for p in shown.points] == [
        (p1, "åtgärdad", "godkänd", "Ny belysning i tunneln"),
        (p2, "bekräftad", "godkänd", ""),
        (p3, "ny", "avvisad", "")]
    # A third walk repeating the second shows both earlier walks, nearest first.
    third = save_walk(store, first_walk(held_on=dt.date(2026, 10, 20), repeats=repeat.walk_id, title="Tredje",
                                        points=()), today=TODAY)
    assert [w.walk_id for w in earlier_walks(store, third)] == [repeat.walk_id, earlier.walk_id]


@pytest.mark.parametrize(("repeats", "held_on", "message"), [
    ("w-19990101-000000", dt.date(2026, 9, 1), "repeats='w-19990101-000000': is no walk in the data file"),
    (None, dt.date(2026, 2, 1), "was held on 2026-03-01, after this walk (2026-02-01)"),
])
def test_a_repeat_of_an_unknown_or_later_walk_is_refused(store, repeats, held_on, message):
    earlier = save_walk(store, first_walk(), today=TODAY)
    with pytest.raises(ValidationError, match=re.escape(message)):
        save_walk(store, first_walk(held_on=held_on, repeats=repeats or earlier.walk_id, title="Igen"), today=TODAY)
    assert len(list_walks(store)) == 1 and rows(store, "SELECT count(*) FROM reports") == [(3,)]


def _camera_jpeg(size=(3000, 2000)) -> bytes:
    """A phone photo: EXIF with the camera, an orientation (rotated 90°) and a GPS position."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x0110] = "Telefon X"
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (57.0, 25.0, 43.0), 3: "E", 4: (14.0, 5.0, 33.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def _assert_no_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and dict(image.getexif()) == {}
    assert "exif" not in image.info and "xmp" not in image.info
    assert b"Exif" not in data and b"GPS" not in data and b"Telefon" not in data


def test_a_photo_is_shrunk_turned_and_stored_without_exif_its_gps_read_first(store):
    original = _camera_jpeg()
    assert b"Exif" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    photo = prepare_photo(original)
    assert photo.position == pytest.approx((14 + 5 / 60 + 33 / 3600, 57 + 25 / 60 + 43 / 3600), abs=1e-12)
    # Orientation 6 turned the 3000×2000 picture upright (2000×3000), then the long side to 1600 px.
    assert Image.open(io.BytesIO(photo.data)).size == (1067, MAX_SIDE_PX)
    _assert_no_metadata(photo.data)
    saved = save_walk(store, first_walk(points=(WalkPoint(X0 + 100, Y0 + 20, "belysning", photo=original),)),
                      today=TODAY)
    stored = photo_of(store, saved.points[0].id)
    _assert_no_metadata(stored)
    assert saved.points[0].has_photo and rows(store, "SELECT mime, bytes FROM report_photos") == [
        ("image/jpeg", len(stored))]
    # A point added to the stored walk later: a small photo keeps its size, turned upright.
    (rid,) = add_points(store, saved.walk_id, [WalkPoint(X0, Y0, "övrigt", photo=_camera_jpeg((800, 600)))])
    _assert_no_metadata(photo_of(store, rid))
    assert Image.open(io.BytesIO(photo_of(store, rid))).size == (600, 800)


def _image_bytes(image, kind: str) -> bytes:
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (b"x" * (5 * 1024 * 1024 + 1), "photo='5242881 bytes': is larger than 5 MB"),
    (b"GIF89a not really", "photo='17 bytes': is not a readable image: send a JPEG, PNG or WebP photo"),
    (_image_bytes(Image.new("P", (4, 4)), "GIF"), "photo='GIF': send a JPEG, PNG or WebP photo (an iPhone's HEIC"),
    # 8000×8000 in an 8 kB file: refused before it is decoded.
    (_image_bytes(Image.new("1", (8000, 8000)), "PNG"), "photo='8000×8000': has more than 60,000,000 pixels"),
])
def test_a_photo_too_large_or_not_an_image_is_refused_and_nothing_stored(store, data, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        save_walk(store, first_walk(points=(WalkPoint(X0 + 100, Y0 + 20, "belysning", photo=data),)), today=TODAY)
    assert list_walks(store) == [] and rows(store, "SELECT count(*) FROM report_photos") == [(0,)]


def _gpx(tmp_path, body: str):
    path = tmp_path / "in.gpx"
    path.write_text(f'<?xml version="1.0"?><gpx version="1.1" creator="x" '
                    f'xmlns="http://www.topografix.com/GPX/1/1">{body}</gpx>', encoding="utf-8")
    return path


def test_a_gpx_without_a_track_is_refused(tmp_path):
    path = _gpx(tmp_path, '<wpt lat="57.4286" lon="14.0924"><name>Lampa</name></wpt>')
    with pytest.raises(ValidationError) as info:
        read_walk_file(path)
    assert str(info.value) == ("1 invalid walk, nothing stored: row route: trk='0 points': the GPX file has no "
                               "track (trk) or route (rte) with at least two points")


def test_a_gpx_with_a_doctype_is_not_parsed(tmp_path):
    path = tmp_path / "in.gpx"
    path.write_text('<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaa">]><gpx version="1.1">&a;</gpx>')
    with pytest.raises(ValidationError, match="GPX files have no DOCTYPE or entities"):
        read_walk_file(path)


def test_a_route_leaving_the_kommun_is_refused_with_the_place_and_nothing_stored(store):
    route = shapely.LineString([(X0, Y0), VARNAMO])
    with pytest.raises(ValidationError) as info:
        save_walk(store, first_walk(route=route), today=TODAY)
    assert str(info.value) == ("1 invalid walk, nothing stored: row route: coordinates='14.03600, 57.18638': "
                               "(vertex 2, lon, lat) is outside Vaggeryd kommun")
    assert list_walks(store) == [] and rows(store, "SELECT count(*) FROM reports") == [(0,)]


def test_a_point_outside_the_kommun_stores_neither_the_walk_nor_any_point(store):
    points = (WalkPoint(X0 + 100, Y0 + 20, "belysning"), WalkPoint(*VARNAMO, "belysning"))
    with pytest.raises(ValidationError, match=r"row p2: geometry=.*outside"):
        save_walk(store, first_walk(points=points), today=TODAY)
    assert list_walks(store) == [] and rows(store, "SELECT count(*) FROM reports") == [(0,)]


@pytest.mark.parametrize(("changes", "message"), [
    ({"participants": {"Anna Svensson": 1}}, "participants='Anna Svensson': is not a group"),
    ({"participants": {"boende": "åtta"}}, "participants.boende='åtta': must be a whole number"),
    ({"participants": {"boende": -1}}, "participants.boende=-1: must be a whole number 0–10000"),
    ({"held_on": dt.date(2026, 11, 2)}, "date='2026-11-02': is after today (2026-11-01)"),
    ({"title": "  "}, "title='  ': is required"),
    ({"points": (WalkPoint(X0, Y0, "lampa"),)}, "category='lampa': must be one of belysning"),
])
def test_bad_fields_are_refused_naming_the_field_and_value(store, changes, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        save_walk(store, first_walk(**changes), today=TODAY)
    assert list_walks(store) == []


def test_control_characters_in_texts_become_spaces_so_no_terminal_or_xml_sees_them(store):
    saved = save_walk(store, first_walk(title="Centrum\x1b[2J\x00 kväll", points=(
        WalkPoint(X0 + 100, Y0 + 20, "belysning", description="Mörkt\x1b]0;x\x07\n\tvid\x85tunneln"),)), today=TODAY)
    assert (saved.title, saved.points[0].description) == ("Centrum [2J kväll", "Mörkt ]0;x vid tunneln")
    assert "\x1b" not in walk_gpx(saved)


def test_participants_as_a_list_of_names_are_refused():
    from layers.walks import parse_participants

    assert parse_participants("boende=8, polis=2") == {"boende": 8, "polis": 2}
    with pytest.raises(ValidationError, match="participants='Anna Svensson': is not GROUP=COUNT"):
        parse_participants("Anna Svensson, Per Olsson")


def test_a_walk_imported_twice_is_stored_once(store, tmp_path):
    saved = save_walk(store, first_walk(), today=TODAY)
    path = write_walk_file(saved, tmp_path / "w.geojson")
    with pytest.raises(StoreError, match=f"walk {saved.walk_id} is already in the data file"):
        save_walk(store, read_walk_file(path).walk(), today=TODAY)
    assert rows(store, "SELECT count(*) FROM reports") == [(3,)]


def test_the_geojson_is_wgs84_with_the_route_first_and_points_with_their_state(store, tmp_path):
    saved = save_walk(store, first_walk(), today=TODAY)
    doc = json.loads(write_walk_file(get_walk(store, saved.walk_id), tmp_path / "w.geojson").read_text())
    route, *points = doc["features"]
    assert route["geometry"]["type"] == "LineString" and route["properties"]["participants"] == {
        "boende": 8, "polis": 2, "kommun": 3}
    assert route["geometry"]["coordinates"][0] == [14.0907128, 57.4284254]
    assert [(f["properties"]["name"], f["properties"]["status"], f["properties"]["moderation"]) for f in points] == [
        ("p1", "ny", "väntar"), ("p2", "ny", "väntar"), ("p3", "ny", "väntar")]


def test_done_since_lists_the_activities_done_near_each_earlier_point_between_the_walks(store):
    import geopandas as gpd

    from layers.walk_followup import done_since
    from tests.helpers import VAGGERYD, activity

    walk = save_walk(store, first_walk(), today=TODAY)
    p1 = (X0 + 100, Y0 + 20)
    p3 = (X0 + 390, Y0 + 250)
    store.add_activities(gpd.GeoDataFrame([
        activity(1, at=(p1[0] + 50, p1[1]), planned="2026-04-02T19:00:00+02:00", done="2026-04-02T21:00:00+02:00"),
        activity(2, at=(p1[0], p1[1] - 150), kind="informationsinsats", actor="kommun",
                 planned="2026-05-10T10:00:00+02:00", done="2026-05-10T12:00:00+02:00"),
        activity(3, at=(p1[0] + 10, p1[1]), planned="2026-02-20T19:00:00+01:00", done="2026-02-20T21:00:00+01:00"),
        activity(4, at=VAGGERYD, planned="2026-04-02T19:00:00+02:00", done="2026-04-02T21:00:00+02:00"),
        activity(5, at=p1, status="planerad", planned="2026-06-01T19:00:00+02:00"),
        activity(6, at=(p1[0] + 201, p1[1]), planned="2026-04-02T19:00:00+02:00", done="2026-04-02T21:00:00+02:00"),
        activity(7, at=p3, planned="2026-10-02T19:00:00+02:00", done="2026-10-02T21:00:00+02:00"),
        activity(8, at=(p3[0], p3[1] + 30), planned="2026-10-01T19:00:00+02:00", done="2026-10-01T21:00:00+02:00"),
        activity(9, at=None, planned="2026-04-02T19:00:00+02:00", done="2026-04-02T21:00:00+02:00"),
    ], geometry="geometry", crs="EPSG:3006"))
    since = done_since(store, get_walk(store, walk.walk_id), dt.date(2026, 10, 1))
    assert [[(a.kind, a.actor, a.done_on.isoformat(), round(a.distance_m)) for a in s.activities] for s in since] == [
        [("närvaro/patrull", "polis", "2026-04-02", 50), ("informationsinsats", "kommun", "2026-05-10", 150)],
        # p2 (X0+300, Y0+150) lies between: a-6 at 130 m (1, 130), a-8 at 158 m (90, 130), a-1 at 198 m (150, 130).
        [("närvaro/patrull", "polis", "2026-04-02", 130), ("närvaro/patrull", "polis", "2026-10-01", 158),
         ("närvaro/patrull", "polis", "2026-04-02", 198)],
        [("närvaro/patrull", "polis", "2026-10-01", 30)],
    ]
