"""The police's open events feed (polisen.se events API): a saved response into reports.

The feed gives, per event: id, datetime (publication, "2026-08-18 19:45:41 +02:00", hour
not always zero-padded), name ("18 augusti 19.16, Misshandel, Vaggeryd"), summary, url,
type and location {name, gps}. The gps is only a municipality or (since 2026) county
centre, so a position from the feed is never a place.

Mapping (only events in the store's municipality):
- Narkotikabrott -> layer narkotika (category from the summary: försäljning, användning,
  else övrigt);
- Trafikkontroll, Trafikbrott, Rattfylleri whose summary names speed (km/h, hastighet,
  fortkörning) -> layer hastighet, category fortkörning;
- every other event fits no layer and is rejected with that reason (it is listed in the
  rejected file, never silently dropped).

Approximate positions: the store schema has no column for that, so an imported event is
marked three ways, all within the schema: its id starts with `polisen-` (machine-readable:
`is_approximate`), its description starts with `[Ungefärlig plats: ...]`, and its point is
the centre of the locality named in the summary (else a point inside the municipality),
never the feed's gps. Maps must not draw such reports as exact points (the HTML export
leaves them out of the point layers and the grid and says how many there were).

Fetching is not done here: save a response yourself (with a User-Agent header, at most one
call per 10 s and 60 per hour, as the police ask) and import the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import METRIC, get_municipality, localities, to_metric

from ...schema import REPORT_COLUMNS, TimeSpan, as_numbers, extract, offset_minutes, wall_times
from ...text import genitive
from ..columns import Mapping
from ..messages import msg, row_numbers, store_reason
from ..prepare import PreparedImport, Rejection
from ..read import ImportFailed, SourceTable
from ..times import import_spans, local_iso, span_words

#: Ids of reports from the feed start with this: their positions are approximate.
ID_PREFIX = "polisen-"
DESCRIPTION_PREFIX = "[Ungefärlig plats"
SPEED = re.compile(r"km/h|hastighet|fortkör|\bkm i timmen", re.IGNORECASE)
TRAFFIC_TYPES = ("Trafikkontroll", "Trafikbrott", "Rattfylleri")
SALE = re.compile(r"försälj|säljer|sålt|sålde|langning|överlåtelse", re.IGNORECASE)
USE = re.compile(r"eget bruk|påverkad|användning|ringa narkotikabrott", re.IGNORECASE)
MONTHS = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7,
    "augusti": 8, "september": 9, "oktober": 10, "november": 11, "december": 12,
}
_NAME_TIME = re.compile(r"^\s*(\d{1,2})\s+([a-zåäö]+)\s+(\d{1,2})[.:](\d{2})", re.IGNORECASE)
_DATETIME = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\s+(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})"
                       r"\s*(?P<oh>[+-]\d{2}):?(?P<om>\d{2})$")
COLUMNS = ("id", "datetime", "name", "summary", "url", "type", "location.name", "location.gps")


def is_approximate(ids) -> np.ndarray:
    """Which reports came from the police feed (position only a municipality/locality centre)."""
    return pd.Series(ids, dtype=object).astype("string").str.startswith(ID_PREFIX).fillna(False).to_numpy(bool)


def read_events(path, lang: str = "en") -> list:
    path = Path(path)
    if not path.exists():
        raise ImportFailed(msg("no_such_file", lang, path=path))
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, RecursionError) as exc:
        # ValueError: bad UTF-8 or JSON, or an integer of more than 4300 digits;
        # RecursionError: nesting deeper than Python's stack.
        raise ImportFailed(msg("polisen_not_json", lang, name=path.name, error=exc)) from None
    if isinstance(data, dict):
        data = data.get("events", data.get("data"))
    if not isinstance(data, list):
        raise ImportFailed(msg("polisen_not_list", lang, name=path.name))
    return data


def read_events_table(path, store=None, lang: str = "en") -> SourceTable:
    """The events as a table (one row per event, row 1 = the first event)."""
    events = read_events(path, lang)
    rows = []
    for event in events:
        if not isinstance(event, dict):
            rows.append({c: "" for c in COLUMNS} | {"name": repr(event)[:200]})
            continue
        location = event.get("location") if isinstance(event.get("location"), dict) else {}
        rows.append({
            "id": event.get("id", ""), "datetime": event.get("datetime", ""), "name": event.get("name", ""),
            "summary": event.get("summary", ""), "url": event.get("url", ""), "type": event.get("type", ""),
            "location.name": location.get("name", ""), "location.gps": location.get("gps", ""),
        })
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object).fillna("")
    frame.index = pd.Index(np.arange(1, len(frame) + 1), name="row")
    frame.attrs["too_long"] = {}
    return SourceTable(frame=frame, description=msg("desc_polisen", lang, n=len(frame)))


def published_times(texts, span: TimeSpan, lang: str = "en") -> tuple[pd.Series, dict[int, str]]:
    """The feed's publication times ("2026-08-18 19:45:41 +02:00") to UTC, bounded by `span`:
    years outside it are refused before any conversion, and so are offsets no clock uses.
    Returns UTC (NaT where refused) and a reason per refused position."""
    values = pd.Series(list(texts), dtype=object)
    text = values.map(lambda v: str(v).strip() if isinstance(v, str | int | float) else "")
    parts = extract(_DATETIME, text.to_numpy(dtype=object))
    n = len(values)
    reasons: dict[int, str] = {}
    matched = parts["y"].notna().to_numpy()
    for pos in np.flatnonzero(~matched):
        reasons[int(pos)] = msg("polisen_bad_datetime", lang, value=values[pos])
    utc = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
    if not matched.any():
        return utc, reasons
    rows = np.flatnonzero(matched)
    sub = parts[matched]
    wall, outside, unreal = wall_times(sub, span.years)
    zones = (sub["oh"] + ":" + sub["om"]).to_numpy(dtype=object)
    minutes, bad_offset = offset_minutes(zones)
    codes = span.year_problems(as_numbers(sub["y"].to_numpy(dtype=object)))
    fine = ~outside & ~unreal & ~bad_offset
    if fine.any():
        shifted = pd.DatetimeIndex(wall[fine]) - pd.to_timedelta(minutes[fine], unit="m")
        stamps = pd.Series(shifted.tz_localize("UTC"), dtype="datetime64[ns, UTC]")
        late = span.problems(stamps)
        codes[fine] = late
        stamps[late != ""] = pd.NaT
        utc.iloc[rows[fine]] = stamps.to_numpy()
    for local, pos in enumerate(rows):
        value = values[pos]
        if unreal[local]:
            reasons[int(pos)] = msg("polisen_time", lang, field="datetime", value=value,
                                    reason=msg("time_not_real", lang))
        elif bad_offset[local] and not outside[local]:
            reasons[int(pos)] = msg("polisen_time", lang, field="datetime", value=value,
                                    reason=msg("time_bad_offset", lang, offset=zones[local]))
        elif codes[local]:
            reasons[int(pos)] = msg("polisen_time", lang, field="datetime", value=value,
                                    reason=span_words(codes[local], span, lang))
    return utc, reasons


def _occurred(name: str, published: pd.Timestamp) -> pd.Timestamp:
    """The event time from the name ("18 augusti 19.16, ..."), in the publication's year."""
    m = _NAME_TIME.match(str(name))
    if not m or m.group(2).lower() not in MONTHS:
        return published
    day, month, hour, minute = int(m.group(1)), MONTHS[m.group(2).lower()], int(m.group(3)), int(m.group(4))
    local_pub = published.tz_convert("Europe/Stockholm")
    for year in (local_pub.year, local_pub.year - 1):
        try:
            wall = pd.Timestamp(year, month, day, hour, minute)
            stamp = wall.tz_localize("Europe/Stockholm", ambiguous=True, nonexistent="shift_forward")
        except ValueError:
            return published
        if stamp <= published + pd.Timedelta(minutes=1):
            return stamp.tz_convert("UTC")
    return published


def classify(event_type: str, summary: str, lang: str = "en") -> tuple[str | None, str | None, str]:
    """(layer, category, reason if no layer) for one event."""
    if event_type == "Narkotikabrott":
        if SALE.search(summary):
            return "narkotika", "försäljning", ""
        if USE.search(summary):
            return "narkotika", "användning", ""
        return "narkotika", "övrigt", ""
    if event_type in TRAFFIC_TYPES:
        if SPEED.search(summary):
            return "hastighet", "fortkörning", ""
        return None, None, msg("polisen_traffic_no_speed", lang, event_type=event_type)
    return None, None, msg("polisen_type_no_layer", lang, event_type=event_type)


def _place(summary: str, kommun: str) -> tuple[float, float, str]:
    """(x, y) in SWEREF 99 TM and a label: a locality named in the text, else the municipality."""
    locs = localities(kommun)
    for name, x, y in zip(locs["name"], locs["x"], locs["y"], strict=True):
        if re.search(rf"\b{re.escape(str(name))}\b", summary, re.IGNORECASE):
            return float(x), float(y), f"{name} (ort)"
    muni = get_municipality(kommun)
    lon, lat = muni.center_wgs84
    x, y = to_metric([lon], [lat])
    return float(x[0]), float(y[0]), f"{muni.name} kommun"


def prepare_events(table: SourceTable, store, progress=None, lang: str = "en") -> PreparedImport:
    """Map feed events to reports (approximate positions) or reject them with a reason."""
    muni = get_municipality(store.meta.kommun)
    config = store.config
    frame = table.frame
    rows = frame.index.to_numpy()
    records, keep_rows, rejected = [], [], []
    seen: dict[str, int] = {}
    repeated: dict[int, int] = {}
    span = import_spans(config)["reported_at"]
    published_all, time_reasons = published_times(frame["datetime"], span, lang)
    for position, (number, event) in enumerate(zip(rows, frame.to_dict("records"), strict=True)):
        def reject(reason: str, number=number) -> None:
            rejected.append(Rejection(int(number), reason))

        event_id = str(event["id"]).strip()
        if not re.fullmatch(r"\d+", event_id):
            reject(msg("polisen_bad_id", lang, value=event["id"]))
            continue
        name = str(event["name"])
        place_in_name = name.rsplit(",", 1)[-1].strip() if "," in name else ""
        where = str(event["location.name"]).strip()
        if muni.name not in (place_in_name, where):
            place = place_in_name or where or msg("polisen_unknown_place", lang)
            reject(msg("polisen_elsewhere", lang, place=place, muni=muni.name))
            continue
        if position in time_reasons:
            reject(time_reasons[position])
            continue
        published = published_all[position]
        summary = str(event["summary"]).strip()
        layer, category, why = classify(str(event["type"]).strip(), summary, lang)
        if layer is None:
            reject(why)
            continue
        occurred = _occurred(name, published)
        if occurred < span.start:
            # "31 december" in a feed published on New Year's Day 1990: before the range.
            reject(msg("polisen_time", lang, field="name", value=name, reason=span_words("early", span, lang)))
            continue
        rid = ID_PREFIX + event_id
        if rid in seen:
            repeated[int(number)] = seen[rid]
            continue
        seen[rid] = int(number)
        x, y, label = _place(summary, muni.code)
        url = str(event["url"]).strip()
        link = f" https://polisen.se{url}" if url.startswith("/") else ""
        description = f"{DESCRIPTION_PREFIX}: {label}] Polisen, {event['type']}: {summary}{link}"
        records.append({
            "id": rid, "layer": layer, "focus_area": config.layers[layer].focus_area,
            "occurred_at": occurred, "reported_at": max(published, occurred), "category": category,
            "description": description[:4000], "source": "polis", "status": "bekräftad", "x": x, "y": y,
        })
        keep_rows.append(int(number))
    if progress is not None:
        progress("fields")
    out = pd.DataFrame(records, columns=[c for c in REPORT_COLUMNS if c != "geometry"] + ["x", "y"])
    if len(out):
        out["occurred_at"] = local_iso(pd.Series(pd.DatetimeIndex(out["occurred_at"])))
        out["reported_at"] = local_iso(pd.Series(pd.DatetimeIndex(out["reported_at"])))
    gdf = gpd.GeoDataFrame(
        out.drop(columns=["x", "y"]), geometry=gpd.GeoSeries(
            # As floats: with no event kept the columns are empty objects, which shapely refuses.
            shapely.points(out["x"].to_numpy(dtype="float64"), out["y"].to_numpy(dtype="float64")), crs=METRIC),
        crs=METRIC,
    )[list(REPORT_COLUMNS)]
    gdf.index = pd.Index(keep_rows, name="row")
    if len(gdf):
        bad = {}
        for error in store.validate_reports(gdf):
            bad.setdefault(error.row, []).append(
                msg("polisen_store_check", lang, field=error.field, reason=store_reason(error.reason, lang)))
        for number, reasons in bad.items():
            rejected.append(Rejection(int(number), "; ".join(reasons)))
        gdf = gdf[~gdf.index.isin(list(bad))]
    if progress is not None:
        progress("validate")
    rejected.sort(key=lambda r: r.row)
    notes = [msg("note_polisen_file", lang, description=table.description),
             msg("note_polisen_mapped", lang, muni=muni.name, muni_genitive=genitive(muni.name), n=len(gdf))]
    if table.empty_rows:
        notes.append(msg("note_polisen_empty", lang, rows=row_numbers(table.empty_rows, lang)))
    notes.append(msg("note_polisen_approximate", lang, prefix=ID_PREFIX, description=DESCRIPTION_PREFIX))
    lines = [
        "layer         <- type: Narkotikabrott -> narkotika; Trafikkontroll/Trafikbrott/Rattfylleri "
        "with speed in the summary -> hastighet",
        "occurred_at   <- the time in 'name' (else 'datetime')",
        "reported_at   <- 'datetime' (publication)",
        "geometry      <- locality named in 'summary', else a point inside the municipality (never 'gps')",
        "source        <- 'polis'; status <- 'bekräftad'",
    ]
    return PreparedImport(
        kind="reports", table=table, mapping=Mapping(columns={}), frame=gdf, rejected=rejected,
        repeated=repeated, notes=notes, mapping_lines=lines,
    )
