"""Reports from outside the staff's own entry: one validated insert with the intake columns
(`insert_intake_report`, shared by the residents' form, EST and safety walks), the residents'
form itself (`submit_public_report`), what its status page may show (`status_of`) and the
deletion of a reporter's contact when the case closes (`close_contact`).

The contact email lives in `report_contacts` only: no read of `reports` can carry it. The public
reference is random (not a counter): knowing one's own reference tells nothing about others'.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import METRIC, WGS84, get_municipality, localities, named_places, transform

from ...datafile import writing
from ...gpkg import points_to_blobs
from ...intake_schema import CONTACTS, MODERATION_STATES, REPORT_INTAKE_COLUMNS
from ...messages import label, template
from ...schema import LOCAL_TZ, MAX_DESCRIPTION, REPORT_COLUMNS, RecordError, ValidationError

#: The layers residents may report in (never the narcotics layer: tips on crimes go to the police).
PUBLIC_LAYERS = ("otrygg_plats", "hastighet")
#: Characters of a reference's random part: no 0/O, 1/I/L to misread. 32**8 ≈ 10**12 references.
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REF_LENGTH = 8
REF_PATTERN = re.compile(r"^[A-Z]{2,4}-\d{4}-[" + REF_ALPHABET + r"]{" + str(REF_LENGTH) + r"}$")
MAX_EMAIL = 254
#: How far back a resident may date an observation (older ones belong in a meeting, not the form).
MAX_AGE_DAYS = 366
_EMAIL = re.compile(r"^[^@\s<>\"'(),;:\\\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$")
_SRS_ID = 3006
#: What the status page shows per (moderation, status): the resident's view of the case.
PUBLIC_STATES = ("ny", "bekräftad", "åtgärdad", "avvisad")


def _text(key: str, lang: str, **values) -> str:
    text = template(key, "en" if lang == "en" else "sv")
    return text.format(**values) if values else text


def _clean(value, limit: int) -> str:
    """A form value as text: control characters (but newlines) removed, trimmed; `limit`
    characters kept for the error message only (the length check runs before)."""
    text = "" if value is None else str(value)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return text.strip()[: limit * 2]


def ref_prefix(kommun_name: str) -> str:
    """Three letters for the municipality in references: its first letter and the next
    consonants ('Vaggeryd' -> 'VGR'), ASCII only."""
    plain = unicodedata.normalize("NFKD", kommun_name).encode("ascii", "ignore").decode().upper()
    letters = [c for c in plain if c.isalpha()]
    if not letters:
        return "REF"
    picked = [letters[0]]
    for c in letters[1:]:
        if c not in "AEIOUY" and c != picked[-1]:
            picked.append(c)
        if len(picked) == 3:
            break
    return "".join(picked).ljust(3, "X")


def new_ref(prefix: str, year: int) -> str:
    return f"{prefix}-{year:04d}-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


def normalise_ref(ref: str) -> str | None:
    """The reference as stored (upper case, no spaces), or None when it cannot be one."""
    text = re.sub(r"\s+", "", str(ref or "")).upper()
    return text if REF_PATTERN.match(text) else None


# -- the shared insert ---------------------------------------------------------------------------

def insert_intake_report(store, row: dict) -> str:
    """Validate one report as the store validates its reports (layer, category, times, place
    inside the municipality, source, status, description length) plus the intake columns,
    then insert it with them in one transaction. `row`: the REPORT_COLUMNS (geometry a shapely
    point in SWEREF 99 TM), any of REPORT_INTAKE_COLUMNS, and optionally `email` (stored in
    report_contacts, never on the report). Returns the report id; ValidationError naming the
    field and value otherwise, and nothing is stored."""
    row = dict(row)
    email = row.pop("email", None) or None
    unknown = sorted(set(row) - set(REPORT_COLUMNS) - set(REPORT_INTAKE_COLUMNS))
    if unknown:
        raise ValidationError([RecordError(str(row.get("id", "")), unknown[0], row[unknown[0]],
                                           "is not a column of reports")])
    frame = gpd.GeoDataFrame([{c: row.get(c) for c in REPORT_COLUMNS}], geometry="geometry", crs=METRIC)
    errors = store.validate_reports(frame)
    rid = str(row.get("id", ""))
    moderation = row.get("moderation")
    if moderation is not None and moderation not in MODERATION_STATES:
        errors.append(RecordError(rid, "moderation", moderation, f"must be one of {', '.join(MODERATION_STATES)}"))
    if email is not None and (len(str(email)) > MAX_EMAIL or not _EMAIL.match(str(email))):
        errors.append(RecordError(rid, "email", email, "is not an email address"))
    if errors:
        raise ValidationError(errors, "reports")
    point = row["geometry"]
    blob = points_to_blobs(np.array([shapely.get_x(point)]), np.array([shapely.get_y(point)]), _SRS_ID)[0]
    attrs = [c for c in REPORT_COLUMNS if c != "geometry"] + [c for c in REPORT_INTAKE_COLUMNS if c in row]
    values = [row.get(c) for c in attrs]
    with writing(store.path) as conn:
        clash = conn.execute("SELECT 1 FROM reports WHERE id = ? OR (ref IS NOT NULL AND ref = ?)",
                             (rid, row.get("ref"))).fetchone()
        if clash is not None:
            field = "id" if conn.execute("SELECT 1 FROM reports WHERE id = ?", (rid,)).fetchone() else "ref"
            raise ValidationError([RecordError(rid, field, row.get(field), "is already in the store")], "reports")
        conn.execute(f"INSERT INTO reports (geometry, {', '.join(attrs)}) VALUES ({', '.join('?' * (len(attrs) + 1))})",
                     (blob, *values))
        if email is not None:
            conn.execute(f"INSERT INTO {CONTACTS} (report_id, email, created_at) VALUES (?, ?, ?)",
                         (rid, str(email), _now_iso()))
        # A report awaiting moderation changes no counted read: marking the table changed would
        # tell every open page (the "data changed" revision, dashboard.callbacks_session), a
        # bra screen too, that a report arrived that it may not know of.
        if moderation is None or moderation == "godkänd":
            conn.execute("UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
                         " WHERE table_name = 'reports'")
    return rid


def close_contact(store, report_id: str) -> bool:
    """Delete the reporter's contact of a report (the case closed); True when one was deleted."""
    with writing(store.path) as conn:
        return conn.execute(f"DELETE FROM {CONTACTS} WHERE report_id = ?", (str(report_id),)).rowcount > 0


def _now_iso(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# -- the residents' form ------------------------------------------------------------------------

def public_layers(store) -> list:
    """The LayerSpecs a resident may choose, in PUBLIC_LAYERS order (those the kommun uses)."""
    layers = store.config.layers
    return [layers[i] for i in PUBLIC_LAYERS if i in layers]


def places(kommun: str, lang: str = "sv") -> list[tuple[str, str, float, float]]:
    """(key, label, x, y) of the packaged places a resident may pick: each locality, then its
    named places ('Vaggeryd, stationen'), SWEREF 99 TM."""
    out = []
    for loc in localities(kommun).itertuples():
        out.append((loc.name, loc.name, float(loc.x), float(loc.y)))
    for place in named_places(kommun).itertuples():
        name = place.name_en if lang == "en" and isinstance(place.name_en, str) and place.name_en else place.name
        out.append((f"{place.locality}|{place.name}", f"{place.locality}, {name}", float(place.x), float(place.y)))
    return out


def _field_error(field: str, value, reason: str, lang: str) -> str:
    """'Kategori: ”xyz” – finns inte …': one message naming the field (its label on the form) and value."""
    shown = str(value)
    if len(shown) > 60:
        shown = shown[:57] + "…"
    return _text("rapp_error", lang, field=_text(f"rapp_field_{field}", lang), value=shown, reason=reason)


def _locate(store, fields: dict, lang: str) -> tuple[shapely.Point | None, str | None]:
    """The report's point from the map pick / own position (lat, lon in WGS 84) or a packaged
    place; an error message when none is given, it cannot be read or lies outside the kommun."""
    kommun = store.meta.kommun
    muni = get_municipality(kommun)
    lat, lon = _clean(fields.get("lat"), 40), _clean(fields.get("lon"), 40)
    place = _clean(fields.get("place"), 200)
    if lat or lon:
        try:
            la, lo = float(lat.replace(",", ".")), float(lon.replace(",", "."))
            if not (np.isfinite(la) and np.isfinite(lo) and -90 <= la <= 90 and -180 <= lo <= 180):
                raise ValueError
        except ValueError:
            return None, _field_error("position", f"{lat}, {lon}", _text("rapp_bad_position", lang), lang)
        x, y = transform(np.array([lo]), np.array([la]), WGS84, METRIC)
        if not muni.contains_metric(x, y)[0]:
            return None, _field_error("position", f"{la:.5f}, {lo:.5f}",
                                      _text("rapp_outside", lang, kommun=muni.name), lang)
        return shapely.Point(float(x[0]), float(y[0])), None
    if place:
        for key, _label, x, y in places(kommun, lang):
            if key == place:
                return shapely.Point(x, y), None
        return None, _field_error("place", place, _text("rapp_unknown_place", lang), lang)
    return None, _text("rapp_no_place", lang)


def _when(fields: dict, lang: str, now: dt.datetime) -> tuple[str | None, str | None]:
    """occurred_at (ISO with the Swedish offset) from the date and hour fields (default: now)."""
    local_now = pd.Timestamp(now).tz_convert(LOCAL_TZ)
    day_text, hour_text = _clean(fields.get("date"), 20), _clean(fields.get("hour"), 10)
    try:
        day = dt.date.fromisoformat(day_text) if day_text else local_now.date()
    except ValueError:
        return None, _field_error("date", day_text, _text("rapp_bad_date", lang), lang)
    try:
        hour = int(hour_text) if hour_text else local_now.hour
        if not 0 <= hour <= 23:
            raise ValueError
    except ValueError:
        return None, _field_error("hour", hour_text, _text("rapp_bad_hour", lang), lang)
    stamp = pd.Timestamp(dt.datetime(day.year, day.month, day.day, hour)).tz_localize(
        LOCAL_TZ, nonexistent="shift_forward", ambiguous=True)
    if stamp > local_now:
        return None, _field_error("date", f"{day.isoformat()} {hour:02d}", _text("rapp_future", lang), lang)
    if stamp < local_now - pd.Timedelta(days=MAX_AGE_DAYS):
        return None, _field_error("date", day.isoformat(), _text("rapp_too_old", lang), lang)
    return stamp.isoformat(), None


def submit_public_report(store, fields: dict, lang: str = "sv", now: dt.datetime | None = None
                         ) -> tuple[str | None, list[str]]:
    """A resident's report from the form's fields (layer, category, lat/lon or place, date,
    hour, description, email): stored with source 'medborgare', status 'ny', moderation
    'väntar' and a new random reference. Returns (reference, []) or (None, messages), each
    message naming the form's field and the value; nothing is stored then."""
    now = now or dt.datetime.now(dt.UTC)
    errors: list[str] = []
    layers = {spec.id: spec for spec in public_layers(store)}
    layer_id = _clean(fields.get("layer"), 60)
    spec = layers.get(layer_id)
    if spec is None:
        choices = ", ".join(s.name(lang) for s in layers.values())
        errors.append(_field_error("layer", layer_id, _text("rapp_choose_one", lang, choices=choices), lang))
    category = _clean(fields.get("category"), 60)
    if spec is not None and category not in spec.categories:
        choices = ", ".join(label("category", c, lang) for c in spec.categories)
        errors.append(_field_error("category", category, _text("rapp_choose_one", lang, choices=choices), lang))
    point, problem = _locate(store, fields, lang)
    if problem:
        errors.append(problem)
    occurred, problem = _when(fields, lang, now)
    if problem:
        errors.append(problem)
    raw_description = "" if fields.get("description") is None else str(fields.get("description"))
    if len(raw_description) > MAX_DESCRIPTION:
        errors.append(_field_error("description", raw_description[:40],
                                   _text("rapp_too_long", lang, n=MAX_DESCRIPTION, got=len(raw_description)), lang))
    description = _clean(raw_description, MAX_DESCRIPTION)[:MAX_DESCRIPTION]
    email = _clean(fields.get("email"), MAX_EMAIL)
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        errors.append(_field_error("email", email, _text("rapp_bad_email", lang), lang))
    if errors:
        return None, errors
    prefix = ref_prefix(get_municipality(store.meta.kommun).name)
    year = pd.Timestamp(now).tz_convert(LOCAL_TZ).year
    reported = pd.Timestamp(now).tz_convert(LOCAL_TZ).isoformat(timespec="seconds")
    for _attempt in range(5):  # a clash of 8 random characters is all but impossible; still checked
        ref = new_ref(prefix, year)
        if not _ref_taken(store, ref):
            break
    row = {
        # Its own random id: the reference (the resident's key to the status page) is not derived from it.
        "id": f"medborgare-{secrets.token_hex(8)}", "layer": spec.id, "focus_area": spec.focus_area,
        "occurred_at": occurred, "reported_at": reported,
        "category": category, "description": description, "source": "medborgare", "status": "ny",
        "geometry": point, "moderation": "väntar", "ref": ref, "email": email or None,
    }
    try:
        insert_intake_report(store, row)
    except ValidationError as exc:  # e.g. the kommun's own config refuses the layer's focus area
        return None, [_field_error(e.field if e.field in _FORM_FIELDS else "layer", e.value, e.reason, lang)
                      for e in exc.errors]
    return ref, []


_FORM_FIELDS = ("layer", "category", "position", "place", "date", "hour", "description", "email")


def _ref_taken(store, ref: str) -> bool:
    from ...datafile import reading

    with reading(store.path) as conn:
        return conn.execute("SELECT 1 FROM reports WHERE ref = ?", (ref,)).fetchone() is not None


# -- the status page --------------------------------------------------------------------------

def status_of(store, ref: str, lang: str = "sv") -> dict | None:
    """What `/rapportera/status/REF` shows, or None for no such reference: the state in the
    resident's words (ny while waiting for moderation, avvisad when moderation rejected it,
    else the report's own status; a duplicate follows the report it was merged into), the
    layer and category, the day it was sent and the municipality's public reply. Never the
    description, the contact, the place or anything of another report."""
    from ...datafile import reading

    ref = normalise_ref(ref)
    if ref is None:
        return None
    with reading(store.path) as conn:
        row = conn.execute("SELECT id, layer, category, reported_at, status, moderation, public_reply, duplicate_of"
                           " FROM reports WHERE ref = ?", (ref,)).fetchone()
        if row is None:
            return None
        rid, layer, category, reported_at, status, moderation, reply, duplicate_of = row
        # A duplicate (merged by a moderator: itself avvisad) follows the report it was merged
        # into, to the end of the chain: the resident sees what became of the matter.
        seen, kept = {rid}, None
        while duplicate_of and duplicate_of not in seen:
            seen.add(duplicate_of)
            found = conn.execute("SELECT status, moderation, public_reply, duplicate_of FROM reports WHERE id = ?",
                                 (duplicate_of,)).fetchone()
            if found is None:
                break
            kept, duplicate_of = found, found[3]
    if kept is not None:
        status, moderation = kept[0], kept[1]
        reply = reply or kept[2]
    if moderation == "avvisad":
        state = "avvisad"
    elif moderation == "väntar":
        state = "ny"
    else:
        state = status if status in PUBLIC_STATES else "ny"
    spec = store.config.layers.get(layer)
    return {
        "ref": ref, "state": state, "layer": spec.name(lang) if spec else layer,
        "category": label("category", category, lang), "sent_on": str(reported_at or "")[:10],
        "public_reply": reply or "", "merged": bool(row[7]),
    }


__all__ = ["MAX_AGE_DAYS", "MAX_EMAIL", "PUBLIC_LAYERS", "PUBLIC_STATES", "REF_ALPHABET", "REF_LENGTH",
           "close_contact", "insert_intake_report", "new_ref", "normalise_ref", "places", "public_layers",
           "ref_prefix", "status_of", "submit_public_report"]
