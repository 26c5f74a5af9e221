"""Gi* hot spots of one layer as the role sees it: from the role's frames only (`Views.get` →
RoleFrames): a points layer from its points on the data file's grid, a cells layer from its
release's published cells (each ≥ k) at the release's cell size."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import pandas as pd

from layers import privacy
from layers.analysis.roles import hotspots_from_cells, hotspots_from_points

from .data import AppData
from .filters import FilterState
from .roles import RoleFrames

_IMPORTING = threading.Lock()


def _libraries() -> None:
    """Import esda and libpysal once, one thread at a time: two server threads importing them
    at once fail inside libpysal ("partially initialized module", its circular imports)."""
    with _IMPORTING:
        import esda.getisord  # noqa: F401
        import libpysal.graph  # noqa: F401


@dataclass(frozen=True)
class HotspotView:
    """What the hot-spot map shows: every analysed cell and how it was made."""

    layer: str
    cells: pd.DataFrame  # layers.analysis.hotspots.CELL_COLUMNS; count None: fewer than k or none
    cell_m: int
    source: str  # "points" or "release"
    k: int | None  # the release's k (None for points)
    reports: int  # reports counted in cells


def hotspot_state(state: FilterState, layer: str, data: AppData) -> FilterState:
    """The filters for one layer's hot spots: its own layer and focus area, the whole municipality
    (a map selection or a commitment's place would make every cell outside it look empty)."""
    return replace(state, layers=(layer,), focus_areas=(data.config.layers[layer].focus_area,), selection=None,
                   commitment=None, view=None)


def hotspot_layers(data: AppData, pol: privacy.Policy) -> list[str]:
    """The report layers the role sees (hidden ones have no hot spots for it)."""
    return [lid for lid in data.config.layers if pol.mode(lid) != privacy.HIDDEN]


def hotspot_view(frames: RoleFrames, layer: str, data: AppData) -> HotspotView | None:
    """Gi* classes of `layer` from `frames` (made for `hotspot_state`); None when the layer is hidden."""
    pol = frames.policy
    kommun = data.municipality.code
    _libraries()
    # The exact p-value needs no sampled permutations (layers.analysis.hotspots): 0 skips esda's cross-check.
    if pol.mode(layer) == privacy.HIDDEN:
        return None
    if pol.mode(layer) == privacy.CELLS:
        if frames.release is None:
            return None
        release = frames.release.release
        cells = frames.cells[(frames.cells["layer"] == layer).to_numpy()][["cell_id", "count"]]
        result = hotspots_from_cells(cells, int(release.cell_m), kommun, int(release.k), permutations=0)
        return HotspotView(layer, result.cells, result.cell_m, "release", int(release.k), int(cells["count"].sum()))
    points = frames.points[(frames.points["layer"] == layer).to_numpy()]
    cell_m = int(pol.cell_m)  # the data file's grid (privacy settings' cell_m)
    result = hotspots_from_points(points["x"].to_numpy(), points["y"].to_numpy(), cell_m, kommun, permutations=0)
    return HotspotView(layer, result.cells, cell_m, "points", None, int(result.cells["count"].sum()))


__all__ = ["HotspotView", "hotspot_layers", "hotspot_state", "hotspot_view"]
