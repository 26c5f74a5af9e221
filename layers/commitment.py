"""One promised commitment (`[[commitment]]` in the promise TOML): what counts, where, when, how much.

A commitment is one line of the medborgarlöfte a BRÅ meeting follows up, e.g. "Polisen genomför
minst en större hastighetskontroll per kvartal längs gamla E4". `parse_commitments` turns the
TOML entries into `Commitment` values (validated: a bad entry raises `ConfigError` naming the
file, the entry's number and id, the field and its value); `layers.followup` counts activities
against them.

Fields (TOML → attribute):

- `id` (text, unique), `focus_area` (an id of a `[[focus_area]]`), `text_sv` / `text_en`
  (the promise in plain words; `text_en` defaults to `text_sv`);
- `actor`: polis, kommun or gemensam; `kind`: an activity kind (`layers.aktiviteter.KINDS`);
- `target` (a whole count ≥ 1) or `target_hours` (hours > 0; activities count `duration_min / 60`):
  exactly one; `Commitment.target` holds the number, `Commitment.unit` says "count" or "hours";
- `period`: left out = the promise period; a year (`period = 2026`) or a table
  (`period = {start = 2026-01-01, end = 2026-06-30}`; dates or ISO text; a missing end takes the
  promise's); `per = "quarter" | "month"` (also "kvartal" / "månad") makes the target recur in
  each calendar quarter/month of the period (a partial first or last piece keeps the full target);
- where: `place` (a locality name, or a list of them, from `geodata.localities` of the promise's
  kommun; an activity is in a locality when that locality is its nearest — the same rule as the
  dashboard's locality click) or `area` (a GeoJSON Polygon/MultiPolygon in WGS 84, lon/lat —
  inline as a table or a Feature/FeatureCollection, or the path of a .geojson file relative to the
  TOML file); not both; neither = anywhere (activities without a place count too);
- when in the week: `weekdays` (Swedish or English names, short or long, or ISO numbers 1-7 with
  Monday = 1) and `hours = [start, end]` (whole hours of the activity's local start time,
  start ≤ hour < end; `[22, 2]` runs past midnight).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
import shapely.geometry
from shapely.geometry import shape

from .aktiviteter import KINDS
from .schema import ACTORS

#: Recurrence words accepted in `per` and the canonical token each means.
PER_WORDS = {"quarter": "quarter", "month": "month", "kvartal": "quarter", "månad": "month", "manad": "month"}

_WEEKDAYS = (
    ("måndag", "mån", "monday", "mon"), ("tisdag", "tis", "tuesday", "tue"),
    ("onsdag", "ons", "wednesday", "wed"), ("torsdag", "tor", "thursday", "thu"),
    ("fredag", "fre", "friday", "fri"), ("lördag", "lör", "saturday", "sat"),
    ("söndag", "sön", "sunday", "sun"),
)
#: Weekday word → pandas day_of_week (Monday = 0).
WEEKDAY_NUMBER = {word: day for day, words in enumerate(_WEEKDAYS) for word in words}

FIELDS = (
    "id", "focus_area", "text_sv", "text_en", "actor", "kind", "target", "target_hours",
    "period", "per", "place", "area", "weekdays", "hours",
)


class CommitmentError(ValueError):
    """A bad [[commitment]] field; `layers.config` turns it into a ConfigError with the file."""


@dataclass(frozen=True)
class Commitment:
    """A promised target of one kind of activity by one actor, in a period and maybe a place."""

    id: str
    focus_area: str
    text_sv: str
    text_en: str
    actor: str
    kind: str
    #: The promised amount: a count of activities, or hours when unit == "hours".
    target: float
    unit: str
    period_start: dt.date
    period_end: dt.date
    #: None, "quarter" or "month": the target recurs in each such calendar piece.
    per: str | None = None
    #: Locality names (nearest-locality rule); empty = no locality condition.
    places: tuple[str, ...] = ()
    #: The area in SWEREF 99 TM (metric) and as given (WGS 84); None = no area condition.
    area: shapely.Geometry | None = None
    area_wgs84: shapely.Geometry | None = None
    #: Days of the week (Monday = 0); empty = any day.
    weekdays: tuple[int, ...] = ()
    #: (start, end) whole hours of the local start time; None = any time of day.
    hours: tuple[int, int] | None = None

    def text(self, lang: str = "sv") -> str:
        return self.text_en if lang == "en" else self.text_sv

    def area_geojson(self) -> dict | None:
        """The area as a GeoJSON geometry (WGS 84): to inline a file-path area when storing the promise."""
        return None if self.area_wgs84 is None else shapely.geometry.mapping(self.area_wgs84)

    @property
    def has_place(self) -> bool:
        """Whether the commitment names a locality or an area (then only placed activities count)."""
        return bool(self.places) or self.area is not None


def _number_label(index: int, raw: dict) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"commitment #{index} (id {ident!r})" if isinstance(ident, str) and ident else f"commitment #{index} (no id)"


def parse_commitments(
    raw_list, *, focus_areas, period: tuple[dt.date, dt.date], kommun: str, base_dir: Path | None,
) -> tuple[Commitment, ...]:
    """Validate `[[commitment]]` tables; errors are CommitmentError("commitment #n (id 'x'): ...")."""
    if raw_list is None:
        return ()
    if not isinstance(raw_list, list):
        raise CommitmentError("'commitment' must be a list of [[commitment]] tables")
    out: list[Commitment] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_list, start=1):
        where = _number_label(index, raw)
        try:
            item = _one(raw, focus_areas, period, kommun, base_dir)
        except CommitmentError as exc:
            raise CommitmentError(f"{where}: {exc}") from None
        if item.id in seen:
            raise CommitmentError(f"{where}: id = {item.id!r} is used twice")
        seen.add(item.id)
        out.append(item)
    return tuple(out)


def _bad(field: str, value, reason: str) -> CommitmentError:
    return CommitmentError(f"{field} = {value!r} {reason}")


def _text(raw: dict, field: str, required: bool = True) -> str | None:
    value = raw.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        if value is None:
            raise CommitmentError(f"'{field}' is required")
        raise _bad(field, value, "must be non-empty text")
    return value.strip()


def _one(raw, focus_areas, period, kommun: str, base_dir: Path | None) -> Commitment:
    if not isinstance(raw, dict):
        raise CommitmentError(f"must be a table, got {raw!r}")
    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        raise _bad(unknown[0], raw[unknown[0]], f"is not a commitment field; known: {', '.join(FIELDS)}")
    ident = _text(raw, "id")
    focus = _text(raw, "focus_area")
    if focus not in focus_areas:
        raise _bad("focus_area", focus, f"is not a focus area; known: {', '.join(focus_areas)}")
    text_sv = _text(raw, "text_sv")
    text_en = _text(raw, "text_en", required=False) or text_sv
    actor = _text(raw, "actor")
    if actor not in ACTORS:
        raise _bad("actor", actor, f"must be one of {', '.join(ACTORS)}")
    kind = _text(raw, "kind")
    if kind not in KINDS:
        raise _bad("kind", kind, f"is not an activity kind; known: {', '.join(KINDS)}")
    target, unit = _target(raw)
    start, end = _period(raw.get("period"), period)
    per = raw.get("per")
    if per is not None:
        if not isinstance(per, str) or per.strip().lower() not in PER_WORDS:
            raise _bad("per", per, "must be \"quarter\" or \"month\"")
        per = PER_WORDS[per.strip().lower()]
    if "place" in raw and "area" in raw:
        raise _bad("area", _short(raw["area"]), f"cannot be given together with place = {raw['place']!r}; use one of them")
    places = _places(raw["place"], kommun) if "place" in raw else ()
    area_wgs = _area(raw["area"], base_dir, kommun) if "area" in raw else None
    area = None
    if area_wgs is not None:
        from geodata import to_metric

        area = shapely.transform(area_wgs, lambda c: np.column_stack(to_metric(c[:, 0], c[:, 1])))
    return Commitment(
        id=ident, focus_area=focus, text_sv=text_sv, text_en=text_en, actor=actor, kind=kind,
        target=target, unit=unit, period_start=start, period_end=end, per=per, places=places,
        area=area, area_wgs84=area_wgs, weekdays=_weekdays(raw.get("weekdays")), hours=_hours(raw.get("hours")),
    )


def _target(raw: dict) -> tuple[float, str]:
    has_count, has_hours = "target" in raw, "target_hours" in raw
    if has_count == has_hours:
        if has_count:
            raise _bad("target_hours", raw["target_hours"], "cannot be given together with target; use one of them")
        raise CommitmentError("'target' (a count) or 'target_hours' is required")
    if has_count:
        value = raw["target"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _bad("target", value, "must be a whole number of activities ≥ 1")
        return value, "count"
    value = raw["target_hours"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise _bad("target_hours", value, "must be a number of hours > 0")
    return value, "hours"


def _date(value, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _bad(field, value, "is not a date like 2026-01-31") from None


def _period(value, promise: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    if value is None:
        return promise
    if isinstance(value, bool):
        raise _bad("period", value, "must be a year like 2026 or a table {start = 2026-01-01, end = 2026-06-30}")
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        year = int(value)
        if not 1900 <= year <= 2200:
            raise _bad("period", value, "is not a plausible year")
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if not isinstance(value, dict):
        raise _bad("period", value, "must be a year like 2026 or a table {start = 2026-01-01, end = 2026-06-30}")
    extra = [k for k in value if k not in ("start", "end")]
    if extra:
        raise _bad(f"period.{extra[0]}", value[extra[0]], "is not known; a period has start and end")
    start = _date(value["start"], "period.start") if "start" in value else promise[0]
    end = _date(value["end"], "period.end") if "end" in value else promise[1]
    if end < start:
        raise _bad("period.end", end.isoformat(), f"is before period.start {start.isoformat()}")
    return start, end


def _places(value, kommun: str) -> tuple[str, ...]:
    from geodata import localities

    names = list(localities(kommun)["name"])
    by_key = {n.casefold(): n for n in names}
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise _bad("place", value, "must be a locality name or a list of them")
    out = []
    for item in items:
        if not isinstance(item, str) or item.strip().casefold() not in by_key:
            raise _bad("place", item, f"is not a locality of kommun {kommun}; known: {', '.join(names)}")
        out.append(by_key[item.strip().casefold()])
    return tuple(dict.fromkeys(out))


def _area(value, base_dir: Path | None, kommun: str) -> shapely.Geometry:
    given = value
    if isinstance(value, str):
        path = Path(value)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise _bad("area", given, f"cannot be read ({exc.strerror}; a path is relative to the TOML file)") from None
        except ValueError as exc:
            raise _bad("area", given, f"is not valid GeoJSON: {exc}") from None
    if not isinstance(value, dict):
        raise _bad("area", given, "must be a GeoJSON polygon (table) or the path of a .geojson file")
    try:
        geom = _geometry(value)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise _bad("area", _short(given), f"is not a GeoJSON Polygon or MultiPolygon: {exc}") from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise _bad("area", _short(given), f"must be a Polygon or MultiPolygon, got {geom.geom_type}")
    if not geom.is_valid:
        raise _bad("area", _short(given), f"is not a valid polygon: {shapely.is_valid_reason(geom).replace('[', ' at [', 1)}")
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise _bad("area", _short(given), "has coordinates outside lon/lat degrees; GeoJSON is WGS 84 [lon, lat]")
    from geodata import get_municipality

    muni = get_municipality(kommun)
    if not geom.intersects(muni.geometry.buffer(0.05)):
        raise _bad("area", _short(given), f"lies outside kommun {muni.code} {muni.name}; "
                                          "GeoJSON order is [lon, lat] — are they swapped?")
    return geom


def _geometry(value: dict) -> shapely.Geometry:
    kind = value.get("type")
    if kind == "Feature":
        return shape(value["geometry"])
    if kind == "FeatureCollection":
        parts = [shape(f["geometry"]) for f in value["features"]]
        if not parts:
            raise ValueError("the FeatureCollection is empty")
        return shapely.union_all(parts)
    return shape(value)


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _weekdays(value) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise _bad("weekdays", value, "must be a list of days, e.g. [\"fredag\", \"lördag\"]")
    days = []
    for item in value:
        if isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 7:
            days.append(item - 1)
        elif isinstance(item, str) and item.strip().casefold() in WEEKDAY_NUMBER:
            days.append(WEEKDAY_NUMBER[item.strip().casefold()])
        else:
            raise _bad("weekdays", item, "is not a day; use e.g. \"fredag\", \"lör\", \"sunday\" or 1-7 (Monday = 1)")
    return tuple(sorted(set(days)))


def _hours(value) -> tuple[int, int] | None:
    if value is None:
        return None
    ok = (isinstance(value, list) and len(value) == 2
          and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 24 for v in value)
          and value[0] != value[1] and value[0] != 24)
    if not ok:
        raise _bad("hours", value, "must be [start, end] in whole hours 0-24, e.g. [18, 24] (or [22, 2] past midnight)")
    return value[0], value[1]
