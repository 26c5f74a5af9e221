"""Base maps: MBTiles and PMTiles files served by the app (TMS rows, caching, 404), the
Lantmäteriet proxy (credentials stay on the server, offline answers fast), `serve --basemap`."""

import re
import sqlite3
import struct
import urllib.error
import zlib

import flask
import pytest
from click.testing import CliRunner

from dashboard import basemap as bm
from dashboard.app import create_app
from dashboard.cli import main
from dashboard.data import load
from tests.dash_fixtures import TODAY, small_store


def png(rgb: tuple[int, int, int], size: int = 4) -> bytes:
    """A tiny solid-colour PNG (no imaging library needed)."""
    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


RED, BLUE = png((255, 0, 0)), png((0, 0, 255))


def make_mbtiles(path, tiles: dict, fmt: str = "png", meta: dict | None = None):
    """An MBTiles file with `tiles` {(z, x, y): bytes} in XYZ numbering, stored as TMS rows."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
    info = {"name": "test", "format": fmt, "bounds": "13.9,57.3,14.4,57.6", "attribution": "© Testkommunen",
            **(meta or {})}
    db.executemany("INSERT INTO metadata VALUES (?, ?)", list(info.items()))
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                   [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()])
    db.commit()
    db.close()
    return path


def served(basemap, prefix="/"):
    app = flask.Flask("t")
    bm.install_routes(app, basemap, prefix)
    return app.test_client()


@pytest.fixture
def mbtiles(tmp_path):
    # Zoom 10 around Skillingaryd: x 552, y 310 (XYZ); TMS row 1023 - 310 = 713.
    return make_mbtiles(tmp_path / "karta.mbtiles", {(10, 552, 310): RED, (10, 553, 310): BLUE, (9, 276, 155): RED})


def test_mbtiles_tiles_are_served_with_xyz_numbers_and_cached(mbtiles):
    basemap = bm.parse_basemap(str(mbtiles))
    assert (basemap.kind, basemap.min_zoom, basemap.max_zoom) == ("mbtiles", 9, 10)
    assert basemap.bounds == (13.9, 57.3, 14.4, 57.6) and basemap.attribution == "© Testkommunen"
    client = served(basemap)
    red = client.get("/basemap/10/552/310")
    assert red.status_code == 200 and red.data == RED and red.mimetype == "image/png"
    assert red.headers["Cache-Control"] == "private, max-age=86400"
    assert client.get("/basemap/10/553/310").data == BLUE
    again = client.get("/basemap/10/552/310", headers={"If-None-Match": red.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_the_tms_row_is_flipped(tmp_path):
    path = make_mbtiles(tmp_path / "flip.mbtiles", {})
    db = sqlite3.connect(path)
    db.execute("INSERT INTO tiles VALUES (2, 1, 0, ?)", (RED,))  # TMS row 0 = the southernmost row
    db.commit()
    db.close()
    client = served(bm.parse_basemap(str(path)))
    assert client.get("/basemap/2/1/3").data == RED  # XYZ y 3 = the southernmost row
    assert client.get("/basemap/2/1/0").status_code == 404


def test_missing_and_impossible_tiles_are_404(mbtiles):
    client = served(bm.parse_basemap(str(mbtiles)))
    assert client.get("/basemap/10/1/1").status_code == 404  # not in the file
    assert client.get("/basemap/3/8/0").status_code == 404  # x beyond 2^3
    assert client.get("/basemap/30/0/0").status_code == 404
    assert client.get("/basemap/a/b/c").status_code == 404


def test_the_route_sits_under_the_app_prefix(mbtiles):
    basemap = bm.parse_basemap(str(mbtiles))
    client = served(basemap, "/karta/")
    assert client.get("/karta/basemap/10/552/310").data == RED
    assert basemap.tile_url("/karta/") == "/karta/basemap/{z}/{x}/{y}"
    assert basemap.source("/karta/") == {"url": "/karta/basemap/{z}/{x}/{y}", "attribution": "© Testkommunen",
                                         "minzoom": 9, "maxzoom": 10, "bounds": [13.9, 57.3, 14.4, 57.6]}


def test_jpeg_tiles_keep_their_type(tmp_path):
    path = make_mbtiles(tmp_path / "foto.mbtiles", {(1, 0, 0): b"\xff\xd8\xff\xe0jpeg"}, fmt="jpg")
    response = served(bm.parse_basemap(str(path))).get("/basemap/1/0/0")
    assert response.mimetype == "image/jpeg"


@pytest.mark.parametrize(("name", "make", "message"), [
    ("karta.txt", lambda p: p.write_text("x"), "give osm, lantmateriet, or a .mbtiles or .pmtiles file"),
    ("saknas.mbtiles", lambda p: None, "no such file"),
    ("trasig.mbtiles", lambda p: p.write_bytes(b"not sqlite at all" * 100), "not an MBTiles file"),
    ("vektor.mbtiles", lambda p: make_mbtiles(p, {(0, 0, 0): b"\x1f\x8b"}, fmt="pbf"),
     "tiles of format 'pbf'; a raster MBTiles (png, jpg or webp) is needed"),
    ("tom.mbtiles", lambda p: make_mbtiles(p, {}), "the tiles table is empty"),
])
def test_bad_files_get_one_clear_message(tmp_path, name, make, message):
    path = tmp_path / name
    make(path)
    with pytest.raises(bm.BasemapError, match=re.escape(message)) as err:
        bm.parse_basemap(str(path))
    assert name in str(err.value)


def test_pmtiles_archives_are_served_too(tmp_path):
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import write

    path = tmp_path / "karta.pmtiles"
    with write(path) as writer:
        writer.write_tile(zxy_to_tileid(9, 276, 155), BLUE)
        writer.write_tile(zxy_to_tileid(10, 552, 310), RED)
        writer.finalize({
            "tile_type": TileType.PNG, "tile_compression": Compression.NONE,
            "min_lon_e7": 139_000_000, "min_lat_e7": 573_000_000, "max_lon_e7": 144_000_000,
            "max_lat_e7": 576_000_000, "center_zoom": 10, "center_lon_e7": 141_000_000, "center_lat_e7": 574_000_000,
        }, {"attribution": "© PMTiles-kommunen"})
    basemap = bm.parse_basemap(str(path))
    assert (basemap.kind, basemap.min_zoom, basemap.max_zoom) == ("pmtiles", 9, 10)
    assert basemap.bounds == pytest.approx((13.9, 57.3, 14.4, 57.6))
    assert basemap.attribution == "© PMTiles-kommunen"
    client = served(basemap)
    assert client.get("/basemap/10/552/310").data == RED
    assert client.get("/basemap/9/276/155").data == BLUE
    assert client.get("/basemap/10/0/0").status_code == 404


class FakeUpstream:
    """Stands in for urllib's urlopen: records requests, answers with a tile or fails."""

    def __init__(self, fail=None):
        self.requests = []
        self.fail = fail

    def __call__(self, request, timeout):
        self.requests.append((request.full_url, dict(request.header_items()), timeout))
        if self.fail is not None:
            raise self.fail
        return FakeResponse()


class FakeResponse:
    headers = {"Content-Type": "image/png"}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self):
        return RED


def test_the_proxy_sends_the_credentials_upstream_and_never_to_the_browser():
    upstream = FakeUpstream()
    proxy = bm.TileProxy("https://lm.example/topowebb/{z}/{y}/{x}.png", "kommunen", "hemligt", opener=upstream)
    basemap = bm.Basemap("lantmateriet", tiles=proxy, attribution=bm.LM_ATTRIBUTION, max_zoom=15)
    response = served(basemap).get("/basemap/10/552/310")
    assert response.status_code == 200 and response.data == RED
    url, headers, timeout = upstream.requests[0]
    assert url == "https://lm.example/topowebb/10/310/552.png"
    assert headers["Authorization"] == "Basic a29tbXVuZW46aGVtbGlndA=="  # kommunen:hemligt
    assert timeout == bm.PROXY_TIMEOUT_S
    shown = str(basemap.source("/")) + str(dict(response.headers))
    assert "hemligt" not in shown and "a29tbXVuZW46aGVtbGlndA" not in shown and "lm.example" not in shown


def test_an_unreachable_upstream_answers_504_at_once_for_a_while():
    upstream = FakeUpstream(fail=urllib.error.URLError("no network"))
    proxy = bm.TileProxy("https://lm.example/{z}/{y}/{x}.png", "u", "p", opener=upstream, backoff_s=60)
    client = served(bm.Basemap("lantmateriet", tiles=proxy))
    assert client.get("/basemap/10/552/310").status_code == 504
    assert client.get("/basemap/10/553/310").status_code == 504
    assert len(upstream.requests) == 1  # the second waited on no network


def test_an_upstream_404_is_a_missing_tile():
    upstream = FakeUpstream(fail=urllib.error.HTTPError("u", 404, "Not Found", {}, None))
    client = served(bm.Basemap("lantmateriet", tiles=bm.TileProxy("https://lm.example/{z}/{y}/{x}", "u", "p",
                                                                   opener=upstream)))
    assert client.get("/basemap/3/1/1").status_code == 404


def test_lantmateriet_needs_credentials_from_the_environment():
    with pytest.raises(bm.BasemapError, match="TRYGGHETSKARTA_LM_USER and TRYGGHETSKARTA_LM_PASSWORD"):
        bm.parse_basemap("lantmateriet", env={})
    basemap = bm.parse_basemap("lantmateriet", env={"TRYGGHETSKARTA_LM_USER": "u", "TRYGGHETSKARTA_LM_PASSWORD": "p"})
    assert basemap.kind == "lantmateriet" and basemap.tiles.template == bm.LM_TILES
    assert basemap.tile_url("/") == "/basemap/{z}/{x}/{y}"


def test_bare_and_off():
    assert bm.parse_basemap(None) is None
    assert bm.parse_basemap(True).kind == "osm"
    assert bm.parse_basemap("osm").tile_url() == bm.OSM_TILES


def serve_params(*args):
    command = main.commands["serve"]
    return command.make_context("serve", list(args)).params


def test_serve_basemap_option_bare_file_and_off(mbtiles):
    assert serve_params()["basemap"] is None
    assert serve_params("--basemap")["basemap"].kind == "osm"
    assert serve_params("--basemap", "--port", "9000")["basemap"].kind == "osm"  # bare before another option
    chosen = serve_params("--basemap", str(mbtiles))["basemap"]
    assert chosen.kind == "mbtiles" and chosen.tiles.path == mbtiles


def test_serve_with_a_bad_basemap_says_why(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--basemap", str(tmp_path / "saknas.mbtiles")])
    assert result.exit_code == 2
    assert "no such file" in result.output and "Traceback" not in result.output


def test_the_app_serves_its_mbtiles_and_the_map_asks_it(tmp_path, mbtiles):
    store = small_store(tmp_path / "s.gpkg")
    app = create_app(store, today=lambda: TODAY, data=load(store), basemap=str(mbtiles))
    client = app.server.test_client()
    response = client.get("/basemap/10/552/310")
    assert response.status_code == 200 and response.data == RED
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    assert app._trygghetskarta["basemap"].kind == "mbtiles"
    from tests.test_dashboard_callbacks import call, callback, sync

    loaded = sync(app, ".")[12]
    figure, _, _ = call(callback(app, "render_map"), "filters.data", loaded, None, None)
    source = figure["layout"]["map"]["style"]["sources"]["basemap"]
    assert source["tiles"] == ["/basemap/{z}/{x}/{y}"] and source["bounds"] == [13.9, 57.3, 14.4, 57.6]
