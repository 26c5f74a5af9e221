"""Analysis of the reports for the lägesbild: Gi* hot spots and period comparisons (pure functions)."""

from .hotspots import CLASSES, DEFAULT_PERMUTATIONS, HotspotResult, classify, gi_star, grid_weights, hotspot_cells

__all__ = [
    "CLASSES", "DEFAULT_PERMUTATIONS", "HotspotResult", "classify", "gi_star", "grid_weights", "hotspot_cells",
]
