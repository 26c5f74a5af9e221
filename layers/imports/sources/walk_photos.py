"""Photos of safety-walk points: size-checked, re-encoded as a JPEG of at most 1600 px with
every metadata block (EXIF, XMP, comments) dropped; the GPS position is read first, to place
the point, and then forgotten with the rest."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ...schema import RecordError, ValidationError

#: Largest photo accepted as sent (a phone's full-size JPEG is 2–5 MB).
MAX_PHOTO_BYTES = 5 * 1024 * 1024
#: Longest side of the stored photo: enough to see a broken lamp, small in the data file.
MAX_SIDE_PX = 1600
#: Refused before decoding: a small file can claim a huge canvas (a decompression bomb).
MAX_PIXELS = 60_000_000
JPEG_QUALITY = 85
FORMATS = ("JPEG", "PNG", "WEBP")
MIME = "image/jpeg"

#: What to do instead: phones save HEIC by default, which needs converting first.
_KINDS = "send a JPEG, PNG or WebP photo (an iPhone's HEIC: share it as JPEG)"
_GPS_IFD = 0x8825
_LAT_REF, _LAT, _LON_REF, _LON = 1, 2, 3, 4


@dataclass(frozen=True)
class Photo:
    """A photo as stored: JPEG bytes without metadata, and where the camera said it was taken."""

    data: bytes
    mime: str
    #: (lon, lat) in WGS 84 from the original's EXIF GPS block, None without one. Not stored.
    position: tuple[float, float] | None


def _refuse(row: str, value, reason: str) -> ValidationError:
    return ValidationError([RecordError(row, "photo", value, reason)], "photo")


def prepare_photo(data: bytes, row: str = "photo") -> Photo:
    """The photo to store from the bytes a user sent; a ValidationError naming `row` when the
    bytes are too large, not an image, or an image of another kind than JPEG, PNG or WebP."""
    if len(data) > MAX_PHOTO_BYTES:
        raise _refuse(row, f"{len(data)} bytes", f"is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise _refuse(row, image.format, _KINDS)
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(row, f"{image.width}×{image.height}", f"has more than {MAX_PIXELS:,} pixels")
            position = _gps_position(image)
            # Turned the way the camera held it before EXIF (and its orientation tag) goes.
            image = ImageOps.exif_transpose(image)
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise _refuse(row, f"{len(data)} bytes", f"is not a readable image: {_KINDS} ({exc})") from None
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX), Image.Resampling.LANCZOS)
    # A fresh image: no info dict, so no EXIF, XMP, ICC or comment can ride along into the save.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, exif=b"")
    return Photo(out.getvalue(), MIME, position)


def _gps_position(image: Image.Image) -> tuple[float, float] | None:
    """(lon, lat) from EXIF GPS (degrees, minutes, seconds and N/S, E/W), None if absent or odd."""
    try:
        gps = image.getexif().get_ifd(_GPS_IFD)
        lat = _degrees(gps[_LAT], gps.get(_LAT_REF, "N"), "S")
        lon = _degrees(gps[_LON], gps.get(_LON_REF, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lon, lat


def _degrees(dms, ref, negative: str) -> float:
    d, m, s = (float(v) for v in dms)
    value = d + m / 60 + s / 3600
    ref = ref.decode() if isinstance(ref, bytes) else str(ref)
    return -value if ref.strip().upper() == negative else value
