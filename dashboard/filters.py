"""The filter state (one source of truth), its URL form, and the masks it selects rows with."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from urllib.parse import parse_qs, urlencode

import numpy as np
import pandas as pd
import shapely

from geodata import cell_index, parse_cell_id
from layers import ACTORS, REPORT_STATUSES
from layers.release_view import ReleaseSelection
from layers.store import within_area

from .data import PLACE_CELL_M, TZ, AppData
from .i18n import lang_or_default

ACTIVITY_LAYER = "aktivitet"
PRESETS = ("30d", "quarter", "year", "period", "all", "custom")
MODES = ("auto", "points", "density")


@dataclass(frozen=True)
class FilterState:
    """What the user has chosen; serialisable to and from the page URL."""

    focus_areas: tuple[str, ...]
    layers: tuple[str, ...]
    #: The page opens on the promise period (`default_state`); "all" is what a link without a
    #: period meant before that (see `from_query`).
    preset: str = "period"
    start: str | None = None  # YYYY-MM-DD, inclusive; only for preset 'custom'
    end: str | None = None
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    hours: tuple[int, int] = (0, 23)
    actors: tuple[str, ...] = ACTORS
    statuses: tuple[str, ...] = REPORT_STATUSES
    #: None, {"type": "polygon", "coords": [[lon, lat], ...]}, {"type": "locality", "name": ..},
    #: or {"type": "cell", "id": ..}
    selection: dict | None = None
    mode: str = "auto"
    lang: str = "sv"
    present: bool = False
    #: A commitment id (a promise card clicked): its activities, and its focus area's reports
    #: in its period and place (see `commitment_of`).
    commitment: str | None = None
    view: dict | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FilterState:
        """The state a page's filter store holds. The store comes from the browser, so a value
        of the wrong shape (a forged or damaged request) takes the field's default instead of
        failing deep inside a callback; unknown keys (e.g. the data revision an edit adds to
        force a redraw) are not state."""
        data = data if isinstance(data, dict) else {}
        known = {f.name: f for f in fields(cls)}
        out = {}
        for key, value in data.items():
            if key in known:
                checked = _CHECKS[key](value)
                if checked is not _INVALID:
                    out[key] = checked
        out.setdefault("focus_areas", ())
        out.setdefault("layers", ())
        return cls(**out)


_INVALID = object()


def _strings(value):
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return _INVALID


def _weekdays(value):
    if isinstance(value, (list, tuple)) and all(type(v) is int and 0 <= v <= 6 for v in value):
        return tuple(value)
    return _INVALID


def _hours(value):
    if (isinstance(value, (list, tuple)) and len(value) == 2 and all(type(v) is int for v in value)
            and 0 <= value[0] <= value[1] <= 23):
        return tuple(value)
    return _INVALID


def _one_of(options):
    return lambda value: value if value in options else _INVALID


def _date_text(value):
    if value is None:
        return None
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return _INVALID
    return value


def _number(value) -> bool:
    return type(value) in (int, float) and np.isfinite(value)


def _selection(value):
    if value is None:
        return None
    if not isinstance(value, dict):
        return _INVALID
    kind = value.get("type")
    if kind == "polygon":
        coords = value.get("coords")
        ok = isinstance(coords, list) and all(
            isinstance(c, (list, tuple)) and len(c) == 2 and all(_number(v) for v in c) for c in coords)
        return value if ok else _INVALID
    if kind == "locality":
        return value if isinstance(value.get("name"), str) else _INVALID
    if kind == "cell":
        return value if isinstance(value.get("id"), str) else _INVALID
    return _INVALID


def _optional(kind):
    return lambda value: value if value is None or isinstance(value, kind) else _INVALID


#: How each field of a store from the browser is checked (`_INVALID`: use the default).
_CHECKS = {
    "focus_areas": _strings, "layers": _strings, "actors": _strings, "statuses": _strings,
    "preset": _one_of(PRESETS), "start": _date_text, "end": _date_text,
    "weekdays": _weekdays, "hours": _hours, "selection": _selection, "mode": _one_of(MODES),
    "lang": _one_of(("sv", "en")), "present": _one_of((True, False)),
    "commitment": _optional(str), "view": _optional(dict),
}


def default_state(data: AppData) -> FilterState:
    """Everything in the current promise period: `data.config` is the promise the follow-up
    shows (`layers.promises.current_promise`, the one with data), so the page opens on it."""
    return FilterState(
        focus_areas=tuple(data.config.focus_areas),
        layers=(*data.config.layers, ACTIVITY_LAYER),
    )


def commitment_of(state: FilterState, data: AppData):
    """The chosen commitment (`layers.commitment.Commitment`), or None (none chosen, or not in the promise)."""
    return data.config.commitment(state.commitment) if state.commitment else None


def focus_of(state: FilterState, data: AppData) -> tuple[str, ...]:
    """The focus areas shown: the chosen commitment's, else the checked ones."""
    c = commitment_of(state, data)
    return (c.focus_area,) if c is not None else state.focus_areas


def time_range(state: FilterState, data: AppData, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The inclusive date range a preset or custom choice means (None: unbounded); a chosen
    commitment's period wins over both."""
    c = commitment_of(state, data)
    if c is not None:
        return c.period_start, c.period_end
    if state.preset == "30d":
        return today - dt.timedelta(days=29), today
    if state.preset == "quarter":
        return (pd.Timestamp(today) - pd.DateOffset(months=3)).date() + dt.timedelta(days=1), today
    if state.preset == "year":
        return dt.date(today.year, 1, 1), today
    if state.preset == "period":
        return data.config.period_start, data.config.period_end
    if state.preset == "custom":
        return _parse_date(state.start), _parse_date(state.end)
    return None, None


def _parse_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _time_mask(t: np.ndarray, start: dt.date | None, end: dt.date | None) -> np.ndarray:
    keep = np.ones(len(t), dtype=bool)
    if start is not None:
        keep = keep & (t >= pd.Timestamp(start).tz_localize(TZ).value)
    if end is not None:
        keep = keep & (t < (pd.Timestamp(end) + pd.Timedelta(days=1)).tz_localize(TZ).value)
    return keep


def _isin(column: pd.Series, values) -> np.ndarray:
    """`column.isin(values)` as an array; a categorical column by a lookup per category on its
    codes (no hashing of every row: the masks run several times per interaction)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        wanted = set(values)
        # Code -1 (a missing value) takes the last entry: never chosen.
        chosen = np.array([c in wanted for c in column.cat.categories.tolist()] + [False], dtype=bool)
        return chosen[column.cat.codes.to_numpy()]
    return column.isin(list(values)).to_numpy()


def _common_mask(frame: pd.DataFrame, state: FilterState, data: AppData, today: dt.date) -> np.ndarray:
    keep = _isin(frame["focus_area"], focus_of(state, data))
    keep = keep & (_time_mask(frame["t"].to_numpy(), *time_range(state, data, today)))
    if len(state.weekdays) < 7:
        keep = keep & (np.isin(frame["weekday"].to_numpy(), state.weekdays))
    h0, h1 = state.hours
    if (h0, h1) != (0, 23):
        hour = frame["hour"].to_numpy()
        keep = keep & ((hour >= h0) & (hour <= h1))
    return keep


def selection_mask(frame: pd.DataFrame, selection: dict | None, data: AppData) -> np.ndarray:
    """Which rows lie in the map selection (all rows when nothing is selected)."""
    if not selection:
        return np.ones(len(frame), dtype=bool)
    kind = selection.get("type")
    if kind == "polygon":
        coords = selection.get("coords") or []
        if len(coords) < 3:
            return np.ones(len(frame), dtype=bool)
        polygon = shapely.Polygon(coords).buffer(0)
        return within_area(frame["x"].to_numpy(), frame["y"].to_numpy(), polygon=polygon)
    if kind == "locality":
        names = data.localities["name"].tolist()
        if selection.get("name") not in names:
            return np.ones(len(frame), dtype=bool)
        return frame["locality"].to_numpy() == names.index(selection["name"])
    if kind == "cell":
        try:
            size, ix, iy = parse_cell_id(str(selection.get("id")))
        except ValueError:
            return np.ones(len(frame), dtype=bool)
        x = frame["x"].to_numpy()
        if size == PLACE_CELL_M:
            cx, cy = frame["cell_ix"].to_numpy(), frame["cell_iy"].to_numpy()
        else:
            cx, cy = cell_index(np.nan_to_num(x), np.nan_to_num(frame["y"].to_numpy()), size)
        return (cx == ix) & (cy == iy) & ~np.isnan(x)
    return np.ones(len(frame), dtype=bool)


def report_mask(data: AppData, state: FilterState, today: dt.date, with_selection=True,
                frame: pd.DataFrame | None = None) -> np.ndarray:
    """Rows of `frame` (default: all reports) that pass the filters (and the selection)."""
    frame = data.reports if frame is None else frame
    keep = _common_mask(frame, state, data, today)
    keep = keep & _isin(frame["layer"], state.layers)
    keep = keep & _isin(frame["status"], state.statuses)
    c = commitment_of(state, data)
    if c is not None:
        keep = keep & commitment_place_mask(frame, c, data)
    if with_selection:
        keep = keep & (selection_mask(frame, state.selection, data))
    return keep


def activity_mask(data: AppData, state: FilterState, today: dt.date, with_selection=True,
                  frame: pd.DataFrame | None = None, any_time_of_day: bool = False) -> np.ndarray:
    """Rows of `frame` (default: all activities) that pass the filters (and the selection).
    `any_time_of_day`: a chosen commitment's weekdays and hours are not matched (a role that
    sees activity times only to the month must not learn them from which ones are picked)."""
    frame = data.activities if frame is None else frame
    c = commitment_of(state, data)
    if c is not None:
        # Exactly the activities that count towards it (any status), as the card counts them.
        keep = frame["id"].isin(list(commitment_activity_ids(data, c.id, any_time_of_day))).to_numpy()
    else:
        keep = _common_mask(frame, state, data, today)
        keep = keep & _isin(frame["actor"], state.actors)
    if with_selection:
        keep = keep & (selection_mask(frame, state.selection, data))
    return keep


# -- a chosen commitment ---------------------------------------------------------
_IDS: dict[tuple[int, str], tuple[AppData, frozenset[str]]] = {}
_IDS_LOCK = threading.Lock()


def commitment_activity_ids(data: AppData, commitment_id: str, any_time_of_day: bool = False) -> frozenset[str]:
    """Ids of the activities that count towards a commitment (`layers.followup` matching on
    the activity records as loaded), kept per data load: views of every role filter by them.
    `any_time_of_day`: matched without the commitment's weekdays and hours."""
    key = (id(data), commitment_id, any_time_of_day)
    with _IDS_LOCK:
        found = _IDS.get(key)
        if found is not None and found[0] is data:
            return found[1]
        # Only the data loaded now: an earlier load (before an edit) is let go.
        for old in [k for k, (d, _) in _IDS.items() if d is not data]:
            del _IDS[old]
    from layers.followup.commitments import follow_commitment
    from layers.followup.frames import activity_frame

    c = data.config.commitment(commitment_id)
    if c is not None and any_time_of_day:
        c = replace(c, weekdays=(), hours=None)
    ids = frozenset() if c is None else frozenset(
        follow_commitment(activity_frame(data.activities, data.config.kommun), c, c.period_end).activity_ids)
    with _IDS_LOCK:
        _IDS[key] = (data, ids)
    return ids


def commitment_place_mask(frame: pd.DataFrame, c, data: AppData) -> np.ndarray:
    """Rows in a commitment's place: its localities (nearest-locality rule) or inside its
    area; every row when it names no place."""
    if c.places:
        names = data.localities["name"].tolist()
        wanted = [names.index(n) for n in c.places if n in names]
        return np.isin(frame["locality"].to_numpy(), wanted)
    if c.area is not None:
        x, y = frame["x"].to_numpy(dtype="float64"), frame["y"].to_numpy(dtype="float64")
        keep = np.zeros(len(frame), dtype=bool)
        x0, y0, x1, y1 = c.area.bounds
        with np.errstate(invalid="ignore"):
            candidates = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        if len(candidates):
            keep[candidates] = shapely.contains_xy(c.area, x[candidates], y[candidates])
        return keep
    return np.ones(len(frame), dtype=bool)


def release_in_commitment(selection: ReleaseSelection, c) -> ReleaseSelection:
    """A release selection cut to a commitment's place: whole shown cells whose centre lies in
    it (in its localities: by the centre's nearest locality), and its localities' scattered reports."""
    if c is None or not c.has_place:
        return selection
    units = selection.units
    if c.places:
        keep = units["locality"].isin(c.places).to_numpy() & (units["kind"] != "kommun").to_numpy()
    else:
        lon, lat = units["lon"].to_numpy(dtype="float64"), units["lat"].to_numpy(dtype="float64")
        keep = (units["kind"] == "cell").to_numpy() & ~np.isnan(lon)
        if keep.any():
            keep[keep] = shapely.contains_xy(c.area_wgs84, lon[keep], lat[keep])
    return ReleaseSelection(selection.release, selection.blocks, units[keep].reset_index(drop=True),
                            selection.layers)


# -- the URL form ---------------------------------------------------------------
def to_query(state: FilterState, default: FilterState, period: tuple[dt.date, dt.date] | None = None) -> str:
    """A short query string: the period always, then only what differs from the default.

    The period is always written (`t=`, and for the promise period its dates, `period`: the
    promise's first and last day), so a shared link keeps showing what it showed when the
    default period or the promise changes later."""
    params: dict[str, str] = {}
    if state.focus_areas != default.focus_areas:
        params["fa"] = ",".join(state.focus_areas) or "-"
    if state.layers != default.layers:
        params["ly"] = ",".join(state.layers) or "-"
    params["t"] = state.preset
    if state.preset == "period" and period is not None:
        params["from"], params["to"] = period[0].isoformat(), period[1].isoformat()
    if state.preset == "custom":
        if state.start:
            params["from"] = state.start
        if state.end:
            params["to"] = state.end
    if state.weekdays != default.weekdays:
        params["wd"] = ",".join(map(str, state.weekdays)) or "-"
    if state.hours != default.hours:
        params["h"] = f"{state.hours[0]}-{state.hours[1]}"
    if state.actors != default.actors:
        params["act"] = ",".join(state.actors) or "-"
    if state.statuses != default.statuses:
        params["st"] = ",".join(state.statuses) or "-"
    if state.selection:
        params["sel"] = _selection_text(state.selection)
    if state.mode != default.mode:
        params["mode"] = state.mode
    if state.lang != "sv":
        params["lang"] = state.lang
    if state.present:
        params["present"] = "1"
    if state.commitment:
        params["c"] = state.commitment
    if state.view:
        params["view"] = "{:.5f},{:.5f},{:.2f}".format(
            state.view["lon"], state.view["lat"], state.view["zoom"]
        )
    return "?" + urlencode(params, safe=",-:;. ") if params else ""


def _selection_text(selection: dict) -> str:
    if selection["type"] == "polygon":
        return "poly:" + ";".join(f"{lon:.5f} {lat:.5f}" for lon, lat in selection["coords"])
    if selection["type"] == "locality":
        return "loc:" + selection["name"]
    return "cell:" + selection["id"]


def from_query(search: str | None, default: FilterState, data: AppData) -> FilterState:
    """Parse a URL query; unknown or malformed values fall back to the default for that field.

    Links made before the period was always written carry no `t`: a query without it meant
    the whole time ("all", the default then) and keeps meaning that; an empty query is the
    page's default (the promise period). `t=period` with dates of another promise period
    (a link from an earlier promise) shows those dates as a custom range."""
    params = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    if params and "t" not in params:
        params["t"] = "all"

    def choice_list(key, allowed, current):
        if key not in params:
            return current
        if params[key] == "-":
            return ()
        picked = tuple(v for v in params[key].split(",") if v in allowed)
        return picked if picked else current

    state = default
    state = replace(
        state,
        focus_areas=choice_list("fa", tuple(data.config.focus_areas), state.focus_areas),
        layers=choice_list("ly", default.layers, state.layers),
        actors=choice_list("act", ACTORS, state.actors),
        statuses=choice_list("st", REPORT_STATUSES, state.statuses),
    )
    if params.get("t") in PRESETS:
        state = replace(state, preset=params["t"])
    if state.preset == "period":
        shown = (_iso_or_none(params.get("from")), _iso_or_none(params.get("to")))
        now = (data.config.period_start.isoformat(), data.config.period_end.isoformat())
        if all(shown) and shown != now:
            state = replace(state, preset="custom", start=shown[0], end=shown[1])
    elif state.preset == "custom":
        state = replace(
            state,
            start=_iso_or_none(params.get("from")),
            end=_iso_or_none(params.get("to")),
        )
    if "wd" in params:
        days = tuple(sorted({int(d) for d in params["wd"].split(",") if d.isdigit() and int(d) < 7}))
        if params["wd"] == "-":
            state = replace(state, weekdays=())
        elif days:
            state = replace(state, weekdays=days)
    if "h" in params:
        try:
            h0, h1 = (int(v) for v in params["h"].split("-", 1))
            if 0 <= h0 <= h1 <= 23:
                state = replace(state, hours=(h0, h1))
        except ValueError:
            pass
    if "sel" in params:
        state = replace(state, selection=_parse_selection(params["sel"]))
    if params.get("mode") in MODES:
        state = replace(state, mode=params["mode"])
    state = replace(state, lang=lang_or_default(params.get("lang")), present=params.get("present") == "1")
    if data.config.commitment(params.get("c", "")) is not None:
        state = replace(state, commitment=params["c"])
    if "view" in params:
        try:
            lon, lat, zoom = (float(v) for v in params["view"].split(","))
            state = replace(state, view={"lon": lon, "lat": lat, "zoom": zoom})
        except ValueError:
            pass
    return state


def _iso_or_none(text):
    return _parse_date(text).isoformat() if _parse_date(text) else None


def _parse_selection(text: str) -> dict | None:
    kind, _, rest = text.partition(":")
    if kind == "poly":
        try:
            coords = [[float(a) for a in pair.split()] for pair in rest.split(";")]
        except ValueError:
            return None
        if len(coords) >= 3 and all(len(c) == 2 for c in coords):
            return {"type": "polygon", "coords": coords}
        return None
    if kind == "loc" and rest:
        return {"type": "locality", "name": rest}
    if kind == "cell" and rest:
        try:
            parse_cell_id(rest)
        except ValueError:
            return None
        return {"type": "cell", "id": rest}
    return None
