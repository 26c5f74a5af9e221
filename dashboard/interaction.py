"""Pure state transitions: how a control change, a map selection or a chart click changes the filter state."""

from __future__ import annotations

from dataclasses import replace

from geodata import cell_id, cell_index, parse_cell_id, to_metric

from .data import PLACE_CELL_M, AppData
from .filters import FilterState
from .i18n import WEEKDAYS, lang_or_default


def selection_from_selected(selected: dict | None) -> dict | None:
    """A map box or lasso selection as a lon/lat polygon (None if the event has no geometry)."""
    if not selected:
        return None
    box = (selected.get("range") or {}).get("map")
    if box and len(box) == 2:
        (lon0, lat0), (lon1, lat1) = box
        coords = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1]]
    else:
        coords = (selected.get("lassoPoints") or {}).get("map")
    if not coords or len(coords) < 3:
        return None
    coords = [[round(float(a), 5), round(float(b), 5)] for a, b in coords]
    return {"type": "polygon", "coords": simplified_ring(coords)}


#: At most this many corners of a lasso: its URL form (~24 characters a corner) stays far
#: below the 8 KB request line servers accept (gunicorn's hard limit), so a reload or a shared
#: link of the view works.
MAX_LASSO_POINTS = 150


def simplified_ring(coords: list[list[float]], limit: int = MAX_LASSO_POINTS) -> list[list[float]]:
    """A hand-drawn lasso with at most `limit` corners (Douglas–Peucker, tolerance doubled from
    about 1 m until it fits). The map, charts, tables and URL all use this one polygon."""
    if len(coords) <= limit:
        return coords
    import shapely

    ring = shapely.Polygon(coords)
    tolerance = 1e-5
    simple = ring
    while len(simple.exterior.coords) - 1 > limit and tolerance < 1:
        simple = ring.simplify(tolerance, preserve_topology=True)
        tolerance *= 2
    return [[round(x, 5), round(y, 5)] for x, y in list(simple.exterior.coords)[:-1]]


def selection_from_click(click: dict | None, data: AppData) -> dict | None:
    """A click selects a density cell, a locality, or the 500 m cell around a clicked point."""
    if not click or not click.get("points"):
        return None
    point = click["points"][0]
    location = point.get("location")
    if location:
        try:
            parse_cell_id(str(location))
            return {"type": "cell", "id": str(location)}
        except ValueError:
            return None
    text = point.get("text")
    if text in set(data.localities["name"]) and "customdata" not in point:
        return {"type": "locality", "name": text}
    if "lon" in point and "lat" in point:
        x, y = to_metric([point["lon"]], [point["lat"]])
        ix, iy = cell_index(x, y, PLACE_CELL_M)
        return {"type": "cell", "id": str(cell_id(ix, iy, PLACE_CELL_M)[0])}
    return None


def focus_from_bar_click(state: FilterState, click: dict | None, data: AppData) -> FilterState:
    """Clicking a focus area's bar shows only that area; clicking it again shows all."""
    if not click or not click.get("points"):
        return state
    custom = click["points"][0].get("customdata")
    area = custom[0] if isinstance(custom, list) and custom else None
    if area not in data.config.focus_areas:
        return state
    if state.focus_areas == (area,):
        return replace(state, focus_areas=tuple(data.config.focus_areas))
    return replace(state, focus_areas=(area,))


def when_from_heatmap_click(state: FilterState, click: dict | None) -> FilterState:
    """Clicking a weekday × hour cell narrows to that weekday and hour; again to undo."""
    if not click or not click.get("points"):
        return state
    point = click["points"][0]
    hour = point.get("x")
    label = point.get("y")
    day = None
    for names in WEEKDAYS.values():
        if label in names:
            day = names.index(label)
    if day is None or not isinstance(hour, int) or not 0 <= hour <= 23:
        return state
    if state.weekdays == (day,) and state.hours == (hour, hour):
        return replace(state, weekdays=tuple(range(7)), hours=(0, 23))
    return replace(state, weekdays=(day,), hours=(hour, hour))


def view_from_relayout(relayout: dict | None, current: dict | None) -> tuple[dict | None, tuple | None]:
    """(view, bounds) after a pan or zoom; bounds are (min_lon, min_lat, max_lon, max_lat)."""
    if not relayout:
        return current, None
    center = relayout.get("map.center")
    zoom = relayout.get("map.zoom")
    if center is None or zoom is None:
        return current, None
    view = {"lon": round(center["lon"], 5), "lat": round(center["lat"], 5), "zoom": round(zoom, 2)}
    corners = (relayout.get("map._derived") or {}).get("coordinates")
    bounds = None
    if corners:
        lons = [c[0] for c in corners]
        lats = [c[1] for c in corners]
        bounds = (min(lons), min(lats), max(lons), max(lats))
    return view, bounds


def controls_state(state: FilterState, values: dict) -> FilterState:
    """The state after the filter controls were changed by hand."""
    preset = values.get("preset") or state.preset
    start, end = values.get("start"), values.get("end")
    if values.get("dates_changed"):
        preset = "custom"
    hours = values.get("hours") or [0, 23]
    return replace(
        state,
        focus_areas=tuple(values.get("focus_areas") or ()),
        layers=tuple(values.get("layers") or ()),
        preset=preset,
        start=(start or None)[:10] if start and preset == "custom" else None,
        end=(end or None)[:10] if end and preset == "custom" else None,
        weekdays=tuple(sorted(int(d) for d in values.get("weekdays") or ())),
        hours=(int(hours[0]), int(hours[1])),
        actors=tuple(values.get("actors") or ()),
        statuses=tuple(values.get("statuses") or ()),
        mode=values.get("mode") or state.mode,
        lang=lang_or_default(values.get("lang")),
    )
