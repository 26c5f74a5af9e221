"""In-app editing, as pure functions: form values in, a validated record or field messages out.

The Dash callbacks (dashboard.callbacks_edit) only read the form, call these, write to the
store and report back. Who may edit is decided here too (`can_edit`), so a forged request
from a read-only role is refused on the server, whatever the page showed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
from shapely import Point

from geodata import METRIC, to_metric
from layers import ACTIVITY_STATUSES, ACTORS, REPORT_STATUSES, SOURCES, stable_id
from layers.aktiviteter import KINDS
from layers.import_messages import shorten
from layers.privacy import ADMIN, POLIS
from layers.schema import EARLIEST_DAY, plan_span

from .data import AppData

TZ = ZoneInfo("Europe/Stockholm")
EDIT_ROLES = frozenset({POLIS, ADMIN})
#: Allowed status changes (the issue's flow); the same status again is no change.
REPORT_FLOW = {"ny": ("bekräftad", "avvisad"), "bekräftad": ("åtgärdad", "avvisad"), "åtgärdad": (), "avvisad": ()}
ACTIVITY_FLOW = {"planerad": ("genomförd", "inställd"), "genomförd": (), "inställd": ()}
MAX_TEXT = 2000
#: Control characters (all but tab and newline) never belong in a description.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


class EntryError(ValueError):
    """One or more fields are wrong: `fields` maps field → message (shown beside the field)."""

    def __init__(self, fields: dict[str, str]):
        self.fields = dict(fields)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.fields.items()))


@dataclass(frozen=True)
class Place:
    x: float
    y: float


def can_edit(role: str) -> bool:
    return role in EDIT_ROLES


def local_time(date: str | None, clock: str | None, field: str, errors: dict, sv: bool = True,
               last: dt.date | None = None) -> str | None:
    """'2026-11-27' + '18:30' → '2026-11-27T18:30:00+01:00' (Swedish local time, DST aware).

    The day must lie from 1990-01-01 (as the importer and the store require) up to `last`
    (for plans: a year after the promise period ends; reports check the future themselves).
    """
    if not date:
        errors[field] = "ange ett datum" if sv else "give a date"
        return None
    try:
        day = dt.date.fromisoformat(str(date)[:10])
    except ValueError:
        shown = _quote(date)
        errors[field] = f"{shown} är inget datum (ÅÅÅÅ-MM-DD)" if sv else f"{shown} is not a date (YYYY-MM-DD)"
        return None
    if day < EARLIEST_DAY or (last is not None and day > last):
        errors[field] = _day_range_message(day, last, sv)
        return None
    if not (clock or "").strip():
        errors[field + "_time"] = "ange klockslag (TT:MM)" if sv else "give the time (HH:MM)"
        return None
    match = _TIME.match(clock.strip())
    if not match:
        shown = _quote(clock)
        errors[field + "_time"] = (f"{shown} är ingen tid (TT:MM)" if sv else f"{shown} is not a time (HH:MM)")
        return None
    naive = dt.datetime(day.year, day.month, day.day, int(match[1]), int(match[2]))
    local = naive.replace(tzinfo=TZ)
    # A wall time in the spring-forward gap does not exist: say so instead of shifting it.
    if local.astimezone(dt.UTC).astimezone(TZ).replace(tzinfo=None) != naive:
        errors[field + "_time"] = (f"{clock} finns inte det datumet (sommartid börjar)" if sv
                                   else f"{clock} does not exist on that date (summer time starts)")
        return None
    return local.isoformat(timespec="seconds")


def _quote(value) -> str:
    """A form value as a message shows it: repr, cut to a sane length (a forged request may send
    a megabyte)."""
    return repr(shorten(value)) if isinstance(value, str) else shorten(repr(value))


def _day_range_message(day: dt.date, last: dt.date | None, sv: bool) -> str:
    if last is None:
        return (f"{day.isoformat()}: datumet kan inte vara före {EARLIEST_DAY.isoformat()}" if sv
                else f"{day.isoformat()}: the date cannot be before {EARLIEST_DAY.isoformat()}")
    return (f"{day.isoformat()}: datumet ska ligga mellan {EARLIEST_DAY.isoformat()} och {last.isoformat()}" if sv
            else f"{day.isoformat()}: the date must be between {EARLIEST_DAY.isoformat()} and {last.isoformat()}")


def repeated_hour_note(date, clock, lang: str = "sv") -> str:
    """When the wall time occurs twice (the autumn DST change), say which one was stored:
    the first (summer time), as the importer reads such times too."""
    try:
        day = dt.date.fromisoformat(str(date)[:10])
        match = _TIME.match(str(clock or "").strip())
        if not match:
            return ""
        naive = dt.datetime(day.year, day.month, day.day, int(match[1]), int(match[2]))
    except ValueError:
        return ""
    first, second = naive.replace(tzinfo=TZ, fold=0), naive.replace(tzinfo=TZ, fold=1)
    if first.utcoffset() == second.utcoffset():
        return ""
    clock_text = f"{int(match[1]):02d}:{match[2]}"
    if lang == "en":
        return f"{clock_text} occurs twice that day (summer time ends): stored as the first, summer time (+02:00)."
    return f"{clock_text} finns två gånger den dagen (sommartiden slutar): sparad som den första, sommartid (+02:00)."


def place(lon, lat, data: AppData, errors: dict, required: bool = True, sv: bool = True) -> Place | None:
    """A WGS 84 position checked against the municipality (with its tolerance)."""
    lat_text, lon_text = (str(v).strip().replace(",", ".") if v is not None else "" for v in (lat, lon))
    if not lat_text and not lon_text:
        if required:
            errors["place"] = ("välj en plats: klicka på kartan eller ange lat/lon" if sv
                               else "choose a place: click the map or give lat/lon")
        return None
    if not lat_text or not lon_text:
        errors["place"] = "ange både lat och lon" if sv else "give both lat and lon"
        return None
    try:
        lon_f, lat_f = float(lon_text), float(lat_text)
        if not (np.isfinite(lon_f) and np.isfinite(lat_f)):
            raise ValueError
    except ValueError:
        shown = f"{_quote(lat)}, {_quote(lon)}"
        errors["place"] = f"lat/lon {shown} är inga tal" if sv else f"lat/lon {shown} are not numbers"
        return None
    if not (-180 <= lon_f <= 180 and -90 <= lat_f <= 90):
        errors["place"] = f"lat/lon {lat_f}, {lon_f} finns inte" if sv else f"lat/lon {lat_f}, {lon_f} do not exist"
        return None
    x, y = to_metric(np.array([lon_f]), np.array([lat_f]))
    muni = data.municipality
    if not muni.contains_metric(x, y)[0]:
        sx, sy = to_metric(np.array([lat_f]), np.array([lon_f]))
        if muni.contains_metric(sx, sy)[0]:
            errors["place"] = (f"lat och lon verkar omkastade: lat {lon_f}, lon {lat_f} ligger i kommunen" if sv
                               else f"lat and lon look swapped: lat {lon_f}, lon {lat_f} is in the municipality")
            return None
        km = float(muni.distance_outside_m(x, y)[0]) / 1000
        where = muni.name
        distance = f"{km:.1f}".replace(".", ",") if sv else f"{km:.1f}"
        errors["place"] = (f"platsen ligger {distance} km utanför {where}s kommun" if sv
                           else f"the place is {distance} km outside {where} municipality")
        return None
    return Place(float(x[0]), float(y[0]))


def _text(value, field: str, errors: dict, sv: bool) -> str:
    text = _CONTROL.sub("", str(value or "")).strip()
    if len(text) > MAX_TEXT:
        errors[field] = (f"högst {MAX_TEXT} tecken (nu {len(text)})" if sv
                         else f"at most {MAX_TEXT} characters (now {len(text)})")
    return text


def _choice(value, allowed, field: str, errors: dict, sv: bool) -> str | None:
    if value not in allowed:
        shown = "(tomt)" if value in (None, "") else _quote(value)
        errors[field] = (f"{shown} är inte ett av: {', '.join(allowed)}" if sv
                         else f"{shown} is not one of: {', '.join(allowed)}")
        return None
    return value


def new_report(values: dict, data: AppData, user: str, now: dt.datetime, lang: str = "sv") -> gpd.GeoDataFrame:
    """A one-row report frame in the store's schema, or EntryError naming each bad field."""
    sv = lang != "en"
    errors: dict[str, str] = {}
    layer = _choice(values.get("layer"), tuple(data.config.layers), "layer", errors, sv)
    category = None
    if layer:
        category = _choice(values.get("category"), data.config.layers[layer].categories, "category", errors, sv)
    occurred = local_time(values.get("date"), values.get("time"), "date", errors, sv)
    if occurred and dt.datetime.fromisoformat(occurred) > now.astimezone(TZ) + dt.timedelta(minutes=5):
        errors["date"] = "tiden ligger i framtiden" if sv else "the time is in the future"
    source = _choice(values.get("source") or "medborgare", SOURCES, "source", errors, sv)
    text = _text(values.get("description"), "description", errors, sv)
    where = place(values.get("lon"), values.get("lat"), data, errors, True, sv)
    if errors:
        raise EntryError(errors)
    reported = now.astimezone(TZ).isoformat(timespec="seconds")
    row = {
        # The same user sending the same report again (a double click) gets the same id.
        "id": stable_id("app", layer, occurred, category, round(where.x), round(where.y), text, user),
        "layer": layer, "focus_area": data.config.layers[layer].focus_area, "occurred_at": occurred,
        "reported_at": reported, "category": category, "description": text, "source": source,
        "status": "ny", "geometry": Point(where.x, where.y),
    }
    return gpd.GeoDataFrame([row], geometry="geometry", crs=METRIC)


def new_activity(values: dict, data: AppData, user: str, now: dt.datetime, lang: str = "sv") -> gpd.GeoDataFrame:
    """A one-row activity frame in the store's schema, or EntryError naming each bad field."""
    sv = lang != "en"
    errors: dict[str, str] = {}
    focus = _choice(values.get("focus_area"), tuple(data.config.focus_areas), "focus_area", errors, sv)
    actor = _choice(values.get("actor"), ACTORS, "actor", errors, sv)
    kind = _choice(values.get("kind"), KINDS, "kind", errors, sv)
    status = _choice(values.get("status") or "planerad", ("planerad", "genomförd"), "status", errors, sv)
    # Plans as the importer bounds them: up to a year after the promise period ends.
    when = local_time(values.get("date"), values.get("time"), "date", errors, sv,
                      last=plan_span(data.config.period_end).last_day)
    try:
        duration = int(str(values.get("duration") or "60").strip())
        if not 1 <= duration <= 24 * 60:
            raise ValueError
    except ValueError:
        shown = _quote(values.get("duration"))
        errors["duration"] = (f"{shown}: ange minuter, 1–1440" if sv else f"{shown}: give minutes, 1–1440")
    text = _text(values.get("description"), "description", errors, sv)
    where = place(values.get("lon"), values.get("lat"), data, errors, False, sv)
    if when and status == "genomförd" and dt.datetime.fromisoformat(when) > now.astimezone(TZ):
        errors["status"] = ("en genomförd aktivitet kan inte ligga i framtiden" if sv
                            else "a done activity cannot be in the future")
    if errors:
        raise EntryError(errors)
    row = {
        "id": stable_id("app", focus, actor, kind, when, status, duration, text, user,
                        round(where.x) if where else "", round(where.y) if where else ""),
        "focus_area": focus, "actor": actor, "kind": kind, "planned_at": when,
        "done_at": when if status == "genomförd" else "", "status": status, "duration_min": duration,
        "description": text, "geometry": Point(where.x, where.y) if where else Point(),
    }
    return gpd.GeoDataFrame([row], geometry="geometry", crs=METRIC)


def check_status_change(kind: str, current: str | None, new: str | None, lang: str = "sv") -> None:
    """Refuse a status change the flow does not allow (ny → bekräftad → åtgärdad / avvisad;
    planerad → genomförd / inställd)."""
    sv = lang != "en"
    flow = REPORT_FLOW if kind == "report" else ACTIVITY_FLOW
    statuses = REPORT_STATUSES if kind == "report" else ACTIVITY_STATUSES
    if new in (None, ""):
        raise EntryError({"status": "välj en ny status" if sv else "choose a new status"})
    if current is None:
        raise EntryError({"id": "hittades inte" if sv else "not found"})
    if new not in statuses:
        raise EntryError({"status": f"{_quote(new)} är inte ett av: {', '.join(statuses)}" if sv
                          else f"{_quote(new)} is not one of: {', '.join(statuses)}"})
    if new not in flow[current]:
        allowed = ", ".join(flow[current]) or ("inga" if sv else "none")
        raise EntryError({"status": f"från {current} går det bara till: {allowed}" if sv
                          else f"from {current} only to: {allowed}"})


__all__ = [
    "ACTIVITY_FLOW", "EDIT_ROLES", "EntryError", "REPORT_FLOW", "can_edit", "check_status_change",
    "local_time", "new_activity", "new_report", "place", "repeated_hour_note",
]
