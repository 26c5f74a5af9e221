"""Base maps under the map: which one `serve --basemap` names, and the app's own tile routes
(a local MBTiles or PMTiles file, or Lantmäteriet's topographic web map through a proxy that
keeps the credentials on the server)."""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import flask

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
#: Lantmäteriet's Topografisk webbkarta Visning, cached WMTS in Web Mercator (CC0). The
#: template can be replaced by TRYGGHETSKARTA_LM_URL should Lantmäteriet move it.
LM_TILES = ("https://maps.lantmateriet.se/open/topowebb-ccby/v1/wmts/1.0.0/topowebb/default/3857/"
            "{z}/{y}/{x}.png")
LM_ATTRIBUTION = "© Lantmäteriet"
LM_MAX_ZOOM = 15
#: Where the app serves base-map tiles, below its path prefix. No leading underscore: those
#: are Dash's own endpoints, answered with no-store (dashboard.auth).
ROUTE = "basemap"
#: A tile file does not change while the server runs; a day in the browser's cache.
CACHE_SECONDS = 86_400
RASTER_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
#: Seconds the proxy waits for Lantmäteriet; past it the tile is missing, the map still works.
PROXY_TIMEOUT_S = 4.0
#: After a failed upstream request the proxy answers 504 at once for this long (no pile-up
#: of waiting threads while the network is down).
PROXY_BACKOFF_S = 30.0


class BasemapError(ValueError):
    """A base map that cannot be used; the message names the file or setting and why."""


@dataclass(frozen=True)
class Basemap:
    """`kind`: osm, mbtiles, pmtiles or lantmateriet. `tiles`: the file behind a local kind."""

    kind: str
    tiles: object | None = field(default=None, compare=False)
    attribution: str = ""
    min_zoom: int = 0
    max_zoom: int = 19
    bounds: tuple[float, float, float, float] | None = None

    @property
    def served(self) -> bool:
        """Whether the app itself serves the tiles (local file or proxy)."""
        return self.kind != "osm"

    def tile_url(self, prefix: str = "/") -> str:
        """The URL template the browser's map asks for tiles."""
        if self.kind == "osm":
            return OSM_TILES
        return f"{prefix.rstrip('/')}/{ROUTE}/{{z}}/{{x}}/{{y}}"

    def source(self, prefix: str = "/") -> dict:
        """What dashboard.figures.map needs to draw this base map under the traces."""
        return {"url": self.tile_url(prefix), "attribution": self.attribution, "minzoom": self.min_zoom,
                "maxzoom": self.max_zoom, "bounds": list(self.bounds) if self.bounds else None}


def osm() -> Basemap:
    return Basemap("osm", attribution=OSM_ATTRIBUTION)


def parse_basemap(value: str | bool | None, env: dict | None = None) -> Basemap | None:
    """The base map `--basemap VALUE` names: nothing (off), `osm` (bare --basemap),
    `lantmateriet`, or a path to an .mbtiles / .pmtiles file."""
    if value in (None, False, "", "off", "none"):
        return None
    if value is True or str(value).lower() == "osm":
        return osm()
    text = str(value)
    if text.lower() in ("lantmateriet", "lantmäteriet", "lm"):
        return lantmateriet(env if env is not None else os.environ)
    path = Path(text).expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".mbtiles", ".pmtiles"):
        raise BasemapError(f"--basemap {text!r}: give osm, lantmateriet, or a .mbtiles or .pmtiles file")
    if not path.is_file():
        raise BasemapError(f"--basemap {text!r}: no such file")
    tiles = MBTiles(path) if suffix == ".mbtiles" else PMTiles(path)
    return Basemap(suffix[1:], tiles=tiles, attribution=tiles.attribution, min_zoom=tiles.min_zoom,
                   max_zoom=tiles.max_zoom, bounds=tiles.bounds)


def lantmateriet(env) -> Basemap:
    user = env.get("TRYGGHETSKARTA_LM_USER", "")
    password = env.get("TRYGGHETSKARTA_LM_PASSWORD", "")
    if not user or not password:
        raise BasemapError(
            "--basemap lantmateriet needs the municipality's own API credentials from Lantmäteriet's "
            "API portal in TRYGGHETSKARTA_LM_USER and TRYGGHETSKARTA_LM_PASSWORD (kept on the server)")
    proxy = TileProxy(env.get("TRYGGHETSKARTA_LM_URL") or LM_TILES, user, password)
    return Basemap("lantmateriet", tiles=proxy, attribution=LM_ATTRIBUTION, max_zoom=LM_MAX_ZOOM)


def _bounds(text) -> tuple[float, float, float, float] | None:
    try:
        west, south, east, north = (float(v) for v in str(text).split(","))
    except (TypeError, ValueError):
        return None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        return None
    return west, south, east, north


class MBTiles:
    """Read-only tiles of an MBTiles file (SQLite; rows in TMS order, y counted from the south).
    One connection per server thread: sqlite3 connections are not shared across threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        try:
            db = self._db()
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles LIMIT 1").fetchall()
            zooms = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BasemapError(f"{self.path}: not an MBTiles file ({exc})") from None
        fmt = str(meta.get("format", "png")).lower()
        if fmt not in RASTER_TYPES:
            raise BasemapError(f"{self.path}: tiles of format {fmt!r}; a raster MBTiles (png, jpg or webp) is needed")
        if zooms[0] is None:
            raise BasemapError(f"{self.path}: the tiles table is empty")
        self.mimetype = RASTER_TYPES[fmt]
        self.attribution = str(meta.get("attribution", ""))
        self.min_zoom = int(meta.get("minzoom", zooms[0]))
        self.max_zoom = int(meta.get("maxzoom", zooms[1]))
        self.bounds = _bounds(meta.get("bounds"))
        self.version = f"{self.path.stat().st_mtime_ns:x}"

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = db
        return db

    def tile(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        row = (1 << z) - 1 - y  # XYZ (y from the north) to TMS
        found = self._db().execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", (z, x, row)
        ).fetchone()
        return (bytes(found[0]), self.mimetype) if found else None


class PMTiles:
    """Read-only tiles of a PMTiles archive (the `pmtiles` package's reader on a memory map)."""

    def __init__(self, path: Path):
        from pmtiles.reader import MmapSource, Reader
        from pmtiles.tile import Compression, TileType

        self.path = Path(path)
        self._file = open(self.path, "rb")  # noqa: SIM115 - kept open for the memory map
        try:
            self.reader = Reader(MmapSource(self._file))
            header = self.reader.header()
            meta = self.reader.metadata()
        except Exception as exc:  # noqa: BLE001 - any parse failure is one message
            self._file.close()
            raise BasemapError(f"{self.path}: not a PMTiles archive ({exc})") from None
        types = {TileType.PNG: "image/png", TileType.JPEG: "image/jpeg", TileType.WEBP: "image/webp"}
        if header["tile_type"] not in types:
            raise BasemapError(f"{self.path}: tiles of type {header['tile_type'].name}; "
                               "a raster PMTiles (png, jpg or webp) is needed")
        self.gzipped = header["tile_compression"] == Compression.GZIP
        self.mimetype = types[header["tile_type"]]
        self.attribution = str(meta.get("attribution", "")) if isinstance(meta, dict) else ""
        self.min_zoom, self.max_zoom = int(header["min_zoom"]), int(header["max_zoom"])
        self.bounds = _bounds(",".join(str(header[k] / 1e7) for k in
                                       ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7")))
        self.version = f"{self.path.stat().st_mtime_ns:x}"

    def tile(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        data = self.reader.get(z, x, y)
        if not data:
            return None
        if self.gzipped:
            import gzip

            data = gzip.decompress(data)
        return bytes(data), self.mimetype


class TileProxy:
    """Tiles fetched from an upstream server with HTTP basic credentials that never leave this
    process. Offline: a short timeout, then a pause before the next try."""

    def __init__(self, template: str, user: str, password: str, timeout_s: float = PROXY_TIMEOUT_S,
                 backoff_s: float = PROXY_BACKOFF_S, opener=None):
        self.template = template
        self._auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self._open = opener or urllib.request.urlopen
        self._down_until = 0.0
        self.attribution = LM_ATTRIBUTION
        self.min_zoom, self.max_zoom, self.bounds = 0, LM_MAX_ZOOM, None
        self.version = "lm"

    def tile(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        if time.monotonic() < self._down_until:
            raise UpstreamDown("upstream unreachable")
        request = urllib.request.Request(self.template.format(z=z, x=x, y=y), headers={
            "Authorization": self._auth, "User-Agent": "trygghetskarta (tile proxy)"})
        try:
            with self._open(request, timeout=self.timeout_s) as response:
                data = response.read()
                mimetype = response.headers.get("Content-Type", "image/png").split(";")[0]
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise UpstreamDown(f"upstream answered {exc.code}") from None
        except (OSError, ValueError):
            self._down_until = time.monotonic() + self.backoff_s
            raise UpstreamDown("upstream unreachable") from None
        if not mimetype.startswith("image/"):
            raise UpstreamDown(f"upstream sent {mimetype}")
        return data, mimetype


class UpstreamDown(Exception):
    """The proxied tile server did not give a tile (offline, refused, timed out)."""


def install_routes(server: flask.Flask, basemap: Basemap, prefix: str = "/") -> None:
    """`{prefix}basemap/<z>/<x>/<y>`: a tile of the local file or the proxy; 404 for a tile the
    file does not have, 504 when the upstream is unreachable. Behind the login like the page."""
    tiles = basemap.tiles

    def tile(z: int, x: int, y: int):
        if not (0 <= z <= 24 and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
            return flask.Response("no such tile", status=404, mimetype="text/plain")
        try:
            found = tiles.tile(z, x, y)
        except UpstreamDown as exc:
            return flask.Response(str(exc), status=504, mimetype="text/plain",
                                  headers={"Cache-Control": "no-store"})
        if found is None:
            # Short cache: a missing tile of a proxy may appear; of a file it will not.
            return flask.Response("no such tile", status=404, mimetype="text/plain",
                                  headers={"Cache-Control": "max-age=300"})
        data, mimetype = found
        etag = hashlib.blake2b(data, digest_size=12).hexdigest()
        response = flask.Response(data, mimetype=mimetype)
        response.set_etag(etag)
        # private: the route sits behind the login, so no shared cache should keep it.
        response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
        return response.make_conditional(flask.request)

    rule = f"{prefix.rstrip('/')}/{ROUTE}/<int:z>/<int:x>/<int:y>"
    server.add_url_rule(rule, endpoint="trygghetskarta_basemap", view_func=tile, methods=["GET"])


def describe(basemap: Basemap | None) -> str:
    """One line for the server's start-up output."""
    if basemap is None:
        return "Base map: none (offline map)"
    if basemap.kind in ("mbtiles", "pmtiles"):
        return (f"Base map: {basemap.tiles.path} ({basemap.kind}, zoom {basemap.min_zoom}-{basemap.max_zoom}), "
                f"served by this server")
    if basemap.kind == "lantmateriet":
        return "Base map: Lantmäteriet Topografisk webbkarta, through this server (credentials stay here)"
    return "Base map: OpenStreetMap (when the network allows)"


__all__ = ["OSM_TILES", "Basemap", "BasemapError", "MBTiles", "PMTiles", "TileProxy", "UpstreamDown",
           "describe", "install_routes", "osm", "parse_basemap"]
