"""EST (Effektiv samordning för trygghet) observations: the categories (`est_categories.toml`),
reading the reporter's form, saving an observation and the reporter's own list.

An observation is a report with `source = 'est'`, `moderation = 'väntar'` and `reporter` = the
EST reporter's user name, on the layer and layer category its EST category maps to (the focus
area is the layer's own in the promise configuration). The EST category itself is the second
part of the report id (`est-klotter-…`): two EST categories may share one layer category
(klotter and skadegörelse are both `skadegörelse` on the map), and schema 6 has no column for it.
The week view is `layers.est_week`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import shapely

from geodata import get_municipality, to_metric

from ...config import REPORT_LAYERS, PromiseConfig
from ...datafile import reading
from ...gpkg import blobs_to_xy
from ...schema import parse_times
from ...spec import LayerSpec
from .resident_form import insert_intake_report, places

SOURCE = "est"
PENDING = "väntar"
TZ = ZoneInfo("Europe/Stockholm")
#: A short description: an observation, not a case file (the store allows 4000).
MAX_TEXT = 500
#: A typed or picked time may be a few minutes ahead of the server's clock (a phone's clock).
FUTURE_GRACE = dt.timedelta(minutes=10)
#: EST reports on last week and this one; an observation older than this is a typo.
MAX_AGE = dt.timedelta(days=60)
_ID = re.compile(r"^[a-z0-9_]{1,40}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_TIME = re.compile(r"^\d{1,2}[:.]\d{2}$", re.ASCII)


class EstError(ValueError):
    """A bad category file, week or role: one clear line naming what is wrong."""


class EstInputError(ValueError):
    """One bad field of the form: `field` and `code` name it (the page words it per language)."""

    def __init__(self, field: str, code: str, value: str = ""):
        super().__init__(f"{field}: {code} ({value!r})")
        self.field, self.code, self.value = field, code, value


@dataclass(frozen=True)
class EstCategory:
    id: str
    name_sv: str
    name_en: str
    layer: str
    category: str

    def name(self, lang: str = "sv") -> str:
        return self.name_en if lang == "en" else self.name_sv

    @property
    def sensitive(self) -> bool:
        return REPORT_LAYERS[self.layer].sensitive


def load_categories(path: str | Path | None = None) -> tuple[EstCategory, ...]:
    """The EST categories in file order (default: the packaged `layers/est_categories.toml`)."""
    if path is None:
        text = resources.files("layers").joinpath("est_categories.toml").read_text(encoding="utf-8")
        source = "est_categories.toml (built-in)"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise EstError(f"cannot read EST categories file {path}: {exc.strerror}") from None
        source = str(path)
    return parse_categories(text, source)


def parse_categories(text: str, source: str = "EST categories",
                     layers: Mapping[str, LayerSpec] = REPORT_LAYERS) -> tuple[EstCategory, ...]:
    """Categories from TOML text: each [[category]] has id, name_sv, name_en, layer, category."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EstError(f"{source}: not valid TOML: {exc}") from None
    raw = data.get("category")
    if not isinstance(raw, list) or not raw:
        raise EstError(f"{source}: needs at least one [[category]] table")
    out: list[EstCategory] = []
    for n, item in enumerate(raw, start=1):
        where = f"{source}: category #{n}"
        for key in ("id", "name_sv", "layer", "category"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise EstError(f"{where}: '{key}' is required text")
        if not _ID.match(item["id"]):
            raise EstError(f"{where}: id {item['id']!r} must be lower-case letters, digits or _ (at most 40)")
        if any(c.id == item["id"] for c in out):
            raise EstError(f"{where}: id {item['id']!r} is used twice")
        spec = layers.get(item["layer"])
        if spec is None:
            raise EstError(f"{where}: unknown layer {item['layer']!r}; known: {', '.join(layers)}")
        if item["category"] not in spec.categories:
            raise EstError(f"{where}: category {item['category']!r} is not one of the layer {spec.id}'s: "
                           f"{', '.join(spec.categories)}")
        out.append(EstCategory(item["id"], item["name_sv"], item.get("name_en") or item["name_sv"],
                               item["layer"], item["category"]))
    return tuple(out)


def category_of(report_id: str) -> str:
    """The EST category id in an observation's report id ('' for any other id)."""
    parts = str(report_id).split("-")
    return parts[1] if len(parts) >= 3 and parts[0] == SOURCE else ""


# -- the form -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Observation:
    category: EstCategory
    x: float  # SWEREF 99 TM
    y: float
    occurred_at: dt.datetime  # aware, Swedish time
    description: str


def parse_observation(values: Mapping[str, str], categories: tuple[EstCategory, ...], kommun: str,
                      now: dt.datetime | None = None) -> Observation:
    """The form's fields, checked in the order the form shows them; the first bad one raises
    EstInputError. Fields: category; place (a key of `layers.imports.sources.resident_form.places`, the
    residents' form's packaged places) or lat and lon (a map pick or
    the phone's position, WGS 84), which win when both are given; date (YYYY-MM-DD) and time
    (HH:MM), default now; description (optional, at most MAX_TEXT characters)."""
    now = (now or dt.datetime.now(TZ)).astimezone(TZ)
    get = {k: str(values.get(k) or "").strip() for k in ("category", "place", "lat", "lon", "date", "time",
                                                         "description")}
    by_id = {c.id: c for c in categories}
    if not get["category"]:
        raise EstInputError("category", "missing")
    if get["category"] not in by_id:
        raise EstInputError("category", "unknown", get["category"])
    x, y = _place(get, kommun)
    occurred = _when(get["date"], get["time"], now)
    text = str(values.get("description") or "").strip()
    if len(text) > MAX_TEXT:
        raise EstInputError("description", "too_long", str(len(text)))
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
        raise EstInputError("description", "control", "")
    return Observation(by_id[get["category"]], x, y, occurred, text)


def _place(get: dict, kommun: str) -> tuple[float, float]:
    if get["lat"] or get["lon"]:
        try:
            lat, lon = float(get["lat"].replace(",", ".")), float(get["lon"].replace(",", "."))
        except ValueError:
            raise EstInputError("lat" if not _number(get["lat"]) else "lon", "not_number",
                                get["lat"] if not _number(get["lat"]) else get["lon"]) from None
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise EstInputError("lat", "not_number", f"{get['lat']}, {get['lon']}")
        x, y = to_metric([lon], [lat])
        x, y = float(x[0]), float(y[0])
        if not bool(get_municipality(kommun).contains_metric(np.array([x]), np.array([y]))[0]):
            raise EstInputError("lat", "outside", f"{lat:.5f}, {lon:.5f}")
        return x, y
    if not get["place"]:
        raise EstInputError("place", "missing")
    for key, _label, x, y in places(kommun):
        if key == get["place"]:
            return x, y
    raise EstInputError("place", "unknown", get["place"])


def _number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _when(date_text: str, time_text: str, now: dt.datetime) -> dt.datetime:
    day = now.date()
    if date_text:
        if not _DATE.match(date_text):
            raise EstInputError("date", "bad_date", date_text)
        try:
            day = dt.date.fromisoformat(date_text)
        except ValueError:
            raise EstInputError("date", "bad_date", date_text) from None
    clock = now.time().replace(second=0, microsecond=0)
    if time_text:
        if not _TIME.match(time_text):
            raise EstInputError("time", "bad_time", time_text)
        hour, minute = (int(p) for p in re.split(r"[:.]", time_text))
        if hour > 23 or minute > 59:
            raise EstInputError("time", "bad_time", time_text)
        clock = dt.time(hour, minute)
    # fold=0: the first of a repeated autumn hour, as people read a clock.
    when = dt.datetime.combine(day, clock, tzinfo=TZ)
    if when > now + FUTURE_GRACE:
        raise EstInputError("date" if day > now.date() else "time", "future", f"{day} {clock:%H:%M}")
    if when < now - MAX_AGE:
        raise EstInputError("date", "too_old", day.isoformat())
    return when


# -- saving and the reporter's own list -------------------------------------------------------

def observation_row(obs: Observation, reporter: str, config: PromiseConfig, now: dt.datetime | None = None,
                    report_id: str | None = None) -> dict:
    """The report row of an observation: store columns plus moderation and reporter."""
    now = (now or dt.datetime.now(TZ)).astimezone(TZ)
    spec = config.layers[obs.category.layer]
    reported = max(now, obs.occurred_at)
    return {
        "id": report_id or f"{SOURCE}-{obs.category.id}-{secrets.token_hex(6)}",
        "layer": spec.id, "focus_area": spec.focus_area, "category": obs.category.category,
        "occurred_at": obs.occurred_at.isoformat(timespec="seconds"),
        "reported_at": reported.isoformat(timespec="seconds"),
        "description": obs.description, "source": SOURCE, "status": "ny",
        "x": obs.x, "y": obs.y, "moderation": PENDING, "reporter": reporter,
    }


def save_observation(store, obs: Observation, reporter: str, now: dt.datetime | None = None) -> str:
    """Store one observation (waiting for moderation); returns its report id."""
    if not reporter:
        raise EstError("an EST observation needs the reporter's user name")
    row = observation_row(obs, reporter, store.config, now)
    x, y = row.pop("x"), row.pop("y")
    # One insert with the intake columns: never counted (moderation NULL) for a moment.
    return insert_intake_report(store, {**row, "geometry": shapely.Point(x, y)})


#: The columns the EST reads take (the week view and the reporter's own list).
_READ = ("id", "layer", "category", "occurred_at", "status", "moderation", "reporter", "description",
         "public_reply")


def read_observations(store_or_path, reporter: str | None = None) -> pd.DataFrame:
    """Every EST observation (or one reporter's: `reporter`), all moderation states: the _READ
    columns, x, y (SWEREF 99 TM, NaN for no place) and est_category (from the id)."""
    path = getattr(store_or_path, "path", store_or_path)
    where, params = f"WHERE source = '{SOURCE}'", ()
    if reporter is not None:
        where, params = where + " AND reporter = ?", (reporter,)
    with reading(path) as conn:
        rows = conn.execute(f"SELECT geometry, {', '.join(_READ)} FROM reports {where} ORDER BY fid", params).fetchall()
    blobs = [r[0] for r in rows]
    frame = pd.DataFrame([r[1:] for r in rows], columns=list(_READ))
    frame["x"], frame["y"] = blobs_to_xy(blobs)
    frame["est_category"] = [category_of(i) for i in frame["id"]]
    return frame


def own_observations(store_or_path, reporter: str) -> pd.DataFrame:
    """The reporter's own observations, newest first: never anyone else's (the SQL asks for
    `reporter = ?`, an empty name gets nothing)."""
    if not reporter:
        return read_observations(store_or_path, reporter="\x00").iloc[0:0]
    frame = read_observations(store_or_path, reporter=reporter)
    order = np.argsort(-parse_times(frame["occurred_at"]).astype("int64").to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


__all__ = [
    "EstCategory", "EstError", "EstInputError", "MAX_TEXT", "Observation", "category_of",
    "load_categories", "observation_row", "own_observations", "parse_categories", "parse_observation",
    "read_observations", "save_observation",
]
