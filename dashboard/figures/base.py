"""Shared pieces of the figure builders: fonts, titles, the empty figure, compact arrays."""

from __future__ import annotations

import base64
import json

import numpy as np

#: Above this many report points the map draws counts per cell instead (browser and payload limits).
MAX_POINTS = 15_000
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
ACTOR_PATTERN = {"polis": "", "kommun": "/", "gemensam": "x"}


def typed(values, dtype: str = "f4") -> dict:
    """A numeric array in Plotly's compact base64 form (about half the bytes of JSON numbers)."""
    array = np.ascontiguousarray(np.asarray(values, dtype=np.dtype(dtype).newbyteorder("<")))
    return {"dtype": dtype, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}


def _font(big: bool) -> dict:
    return {"family": FONT, "size": 22 if big else 14, "color": "#111111"}


def empty_figure(message: str, big: bool = False) -> dict:
    """A figure that says in words why there is nothing to show (never a blank axis)."""
    return {
        "data": [],
        "layout": {
            "xaxis": {"visible": False}, "yaxis": {"visible": False},
            "annotations": [{
                "text": message, "showarrow": False, "xref": "paper", "yref": "paper",
                # 20 px on the presentation screen: the message fits a half-screen chart at 1366 px.
                "x": 0.5, "y": 0.5, "font": {**_font(big), "size": 20 if big else 16},
            }],
            "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
            "font": _font(big), "paper_bgcolor": "white", "plot_bgcolor": "white",
        },
    }


def _title(text: str, big: bool) -> dict:
    return {"text": text, "x": 0.01, "xanchor": "left", "font": {**_font(big), "size": 24 if big else 15}}


def figure_bytes(figure: dict) -> int:
    """Size of a figure as Dash sends it (for benchmarks)."""
    from plotly.utils import PlotlyJSONEncoder

    return len(json.dumps(figure, cls=PlotlyJSONEncoder).encode("utf-8"))
