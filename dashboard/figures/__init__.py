"""Pure figure builders: filtered frames in, Plotly figure dicts out (no Dash, no I/O).

One module per view: `map` (where), `charts` (what and when over time), `when` (weekday × hour),
`places` (the "where" table); `base` holds what they share."""

from ..i18n import REPORT_STATUS
from .base import ACTOR_PATTERN, FONT, MAX_POINTS, OSM_TILES, _font, _title, empty_figure, figure_bytes, typed
from .charts import activities_figure, block_label, time_figure
from .map import (
    _lines,
    activity_traces,
    base_traces,
    cells_note,
    cells_traces,
    data_view,
    default_view,
    density_cell_m,
    density_trace,
    fit_view,
    hover_text,
    map_figure,
    map_style,
    point_traces,
    scale_bar_traces,
    selection_trace,
)
from .places import OTHER_PLACE, place_counts, places_rows, report_list
from .when import heatmap_figure

__all__ = [
    "ACTOR_PATTERN", "FONT", "MAX_POINTS", "OSM_TILES", "OTHER_PLACE", "REPORT_STATUS", "_font", "_lines", "_title",
    "activities_figure", "activity_traces", "base_traces", "block_label", "cells_note", "cells_traces",
    "default_view", "density_cell_m", "density_trace", "empty_figure", "figure_bytes", "heatmap_figure",
    "hover_text", "map_figure", "place_counts", "places_rows", "point_traces", "report_list", "selection_trace",
    "time_figure", "typed",
    "data_view", "fit_view", "map_style", "scale_bar_traces",
]
