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
from layers.messages import format_number
from layers.privacy import ADMIN, POLIS
from layers.schema import EARLIEST_DAY, plan_span
from layers.text import genitive, shorten

from .data import AppData
from .i18n import lang_or_default, t, vocab

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


def local_time(date: str | None, clock: str | None, field: str, errors: dict, lang: str = "sv",
               last: dt.date | None = None) -> str | None:
    """'2026-11-27' + '18:30' → '2026-11-27T18:30:00+01:00' (Swedish local time, DST aware).

    The day must lie from 1990-01-01 (as the importer and the store require) up to `last`
    (for plans: a year after the promise period ends; reports check the future themselves).
    """
    if not date:
        errors[field] = t("entry_give_date", lang)
        return None
    try:
        day = dt.date.fromisoformat(str(date)[:10])
    except ValueError:
        shown = _quote(date)
        errors[field] = t("entry_not_date", lang, shown=shown)
        return None
    if day < EARLIEST_DAY or (last is not None and day > last):
        errors[field] = _day_range_message(day, last, lang)
        return None
    if not (clock or "").strip():
        errors[field + "_time"] = t("entry_give_time", lang)
        return None
    match = _TIME.match(clock.strip())
    if not match:
        shown = _quote(clock)
        errors[field + "_time"] = t("entry_not_time", lang, shown=shown)
        return None
    naive = dt.datetime(day.year, day.month, day.day, int(match[1]), int(match[2]))
    local = naive.replace(tzinfo=TZ)
    # A wall time in the spring-forward gap does not exist: say so instead of shifting it.
    if local.astimezone(dt.UTC).astimezone(TZ).replace(tzinfo=None) != naive:
        errors[field + "_time"] = t("entry_time_skipped", lang, clock=clock)
        return None
    return local.isoformat(timespec="seconds")


def _quote(value) -> str:
    """A form value as a message shows it: repr, cut to a sane length (a forged request may send
    a megabyte)."""
    return repr(shorten(value)) if isinstance(value, str) else shorten(repr(value))


def _day_range_message(day: dt.date, last: dt.date | None, lang: str) -> str:
    if last is None:
        return t("entry_day_before", lang, day=day.isoformat(), first=EARLIEST_DAY.isoformat())
    return t("entry_day_between", lang, day=day.isoformat(), first=EARLIEST_DAY.isoformat(), last=last.isoformat())


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
    return t("entry_repeated_hour", lang, clock=f"{int(match[1]):02d}:{match[2]}")


def place(lon, lat, data: AppData, errors: dict, required: bool = True, lang: str = "sv") -> Place | None:
    """A WGS 84 position checked against the municipality (with its tolerance)."""
    lat_text, lon_text = (str(v).strip().replace(",", ".") if v is not None else "" for v in (lat, lon))
    if not lat_text and not lon_text:
        if required:
            errors["place"] = t("entry_choose_place", lang)
        return None
    if not lat_text or not lon_text:
        errors["place"] = t("entry_both_latlon", lang)
        return None
    try:
        lon_f, lat_f = float(lon_text), float(lat_text)
        if not (np.isfinite(lon_f) and np.isfinite(lat_f)):
            raise ValueError
    except ValueError:
        shown = f"{_quote(lat)}, {_quote(lon)}"
        errors["place"] = t("entry_latlon_not_numbers", lang, shown=shown)
        return None
    if not (-180 <= lon_f <= 180 and -90 <= lat_f <= 90):
        errors["place"] = t("entry_latlon_impossible", lang, lat=lat_f, lon=lon_f)
        return None
    x, y = to_metric(np.array([lon_f]), np.array([lat_f]))
    muni = data.municipality
    if not muni.contains_metric(x, y)[0]:
        sx, sy = to_metric(np.array([lat_f]), np.array([lon_f]))
        if muni.contains_metric(sx, sy)[0]:
            errors["place"] = t("entry_latlon_swapped", lang, lat=lon_f, lon=lat_f)
            return None
        km = float(muni.distance_outside_m(x, y)[0]) / 1000
        # One decimal, with the language's decimal sign (Babel): 2,3 km / 2.3 km.
        distance = format_number(km, lang, 1, grouping=False)
        errors["place"] = t("entry_outside", lang, distance=distance, muni=muni.name, muni_genitive=genitive(muni.name))
        return None
    return Place(float(x[0]), float(y[0]))


def _text(value, field: str, errors: dict, lang: str) -> str:
    text = _CONTROL.sub("", str(value or "")).strip()
    if len(text) > MAX_TEXT:
        errors[field] = t("entry_too_long", lang, limit=MAX_TEXT, n=len(text))
    return text


def _choice(value, allowed, field: str, errors: dict, lang: str, name=None) -> str | None:
    """`value` if it is one of `allowed`; else a message listing the choices as the form names
    them (`name(code)`, the code itself by default)."""
    if value not in allowed:
        shown = t("entry_empty", lang) if value in (None, "") else _quote(value)
        names = ", ".join(name(code) if name else code for code in allowed)
        errors[field] = t("entry_not_one_of", lang, shown=shown, allowed=names)
        return None
    return value


def new_report(values: dict, data: AppData, user: str, now: dt.datetime, lang: str = "sv") -> gpd.GeoDataFrame:
    """A one-row report frame in the store's schema, or EntryError naming each bad field."""
    lang = lang_or_default(lang)
    errors: dict[str, str] = {}
    layers = data.config.layers
    layer = _choice(values.get("layer"), tuple(layers), "layer", errors, lang, lambda c: layers[c].name(lang))
    category = None
    if layer:
        spec = layers[layer]
        category = _choice(values.get("category"), spec.categories, "category", errors, lang,
                           lambda c: spec.category_label(c, lang))
    occurred = local_time(values.get("date"), values.get("time"), "date", errors, lang)
    if occurred and dt.datetime.fromisoformat(occurred) > now.astimezone(TZ) + dt.timedelta(minutes=5):
        errors["date"] = t("entry_future", lang)
    source = _choice(values.get("source") or "medborgare", SOURCES, "source", errors, lang,
                     lambda c: vocab("source", c, lang))
    text = _text(values.get("description"), "description", errors, lang)
    where = place(values.get("lon"), values.get("lat"), data, errors, True, lang)
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
    lang = lang_or_default(lang)
    errors: dict[str, str] = {}
    areas = data.config.focus_areas
    focus = _choice(values.get("focus_area"), tuple(areas), "focus_area", errors, lang,
                    lambda c: areas[c].name(lang))
    actor = _choice(values.get("actor"), ACTORS, "actor", errors, lang, lambda c: vocab("actor", c, lang))
    kind = _choice(values.get("kind"), KINDS, "kind", errors, lang, lambda c: vocab("kind", c, lang))
    status = _choice(values.get("status") or "planerad", ("planerad", "genomförd"), "status", errors, lang,
                     lambda c: vocab("activity_status", c, lang))
    # Plans as the importer bounds them: up to a year after the promise period ends.
    when = local_time(values.get("date"), values.get("time"), "date", errors, lang,
                      last=plan_span(data.config.period_end).last_day)
    try:
        duration = int(str(values.get("duration") or "60").strip())
        if not 1 <= duration <= 24 * 60:
            raise ValueError
    except ValueError:
        shown = _quote(values.get("duration"))
        errors["duration"] = t("entry_minutes", lang, shown=shown)
    text = _text(values.get("description"), "description", errors, lang)
    where = place(values.get("lon"), values.get("lat"), data, errors, False, lang)
    if when and status == "genomförd" and dt.datetime.fromisoformat(when) > now.astimezone(TZ):
        errors["status"] = t("entry_done_future", lang)
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
    lang = lang_or_default(lang)
    flow = REPORT_FLOW if kind == "report" else ACTIVITY_FLOW
    statuses = REPORT_STATUSES if kind == "report" else ACTIVITY_STATUSES
    field = "report_status" if kind == "report" else "activity_status"
    if new in (None, ""):
        raise EntryError({"status": t("entry_choose_status", lang)})
    if current is None:
        raise EntryError({"id": t("entry_not_found", lang)})
    if new not in statuses:
        names = ", ".join(vocab(field, s, lang) for s in statuses)
        raise EntryError({"status": t("entry_not_one_of", lang, shown=_quote(new), allowed=names)})
    if new not in flow[current]:
        allowed = ", ".join(vocab(field, s, lang) for s in flow[current]) or t("entry_none", lang)
        raise EntryError({"status": t("entry_flow", lang, current=vocab(field, current, lang), allowed=allowed)})


#: The form's dropdowns and option lists, by component id (dashboard.layout.edit_panel).
FORM_OPTIONS = ("e-kind", "e-layer", "e-source", "e-focus", "e-actor", "e-akind", "e-astatus", "s-new", "u-kind",
                "u-layer")
#: Sources a user may pick in the form (import and demo are the importer's own; EST observations
#: and safety-walk points come through their own forms, waiting for moderation).
FORM_SOURCES = tuple(s for s in SOURCES if s not in ("demo", "import", "est", "trygghetsvandring"))
#: Statuses the status change offers: the targets of both flows.
NEW_STATUSES = (("report_status", "bekräftad"), ("report_status", "åtgärdad"), ("report_status", "avvisad"),
                ("activity_status", "genomförd"), ("activity_status", "inställd"))


def form_options(data: AppData, lang: str) -> dict[str, list[dict]]:
    """The option lists of the entry panel in `lang` (labels translated, values the stored codes)."""
    from .i18n import ACTORS as ACTOR_NAMES

    layers = [{"label": spec.name(lang), "value": lid} for lid, spec in data.config.layers.items()]
    return {
        "e-kind": [{"label": t("edit_report", lang), "value": "report"},
                   {"label": t("edit_activity", lang), "value": "activity"}],
        "e-layer": layers,
        "e-source": [{"label": vocab("source", s, lang), "value": s} for s in FORM_SOURCES],
        "e-focus": [{"label": area.name(lang), "value": area.id} for area in data.config.focus_areas.values()],
        "e-actor": [{"label": ACTOR_NAMES[lang_or_default(lang)][a], "value": a} for a in ACTORS],
        "e-akind": [{"label": vocab("kind", k, lang), "value": k} for k in KINDS],
        "e-astatus": [{"label": t("status_planned", lang), "value": "planerad"},
                      {"label": t("status_done", lang), "value": "genomförd"}],
        "s-new": [{"label": vocab(field, s, lang), "value": s} for field, s in NEW_STATUSES],
        "u-kind": [{"label": t("reports", lang), "value": "reports"},
                   {"label": t("layer_activities", lang), "value": "activities"}],
        "u-layer": layers,
    }


def category_options(spec, lang: str) -> list[dict]:
    return [{"label": spec.category_label(c, lang), "value": c} for c in spec.categories]


__all__ = [
    "ACTIVITY_FLOW", "EDIT_ROLES", "FORM_OPTIONS", "EntryError", "REPORT_FLOW", "can_edit", "category_options",
    "check_status_change", "form_options", "local_time", "new_activity", "new_report", "place",
    "repeated_hour_note",
]
