"""Analysis of the reports for the lägesbild: Gi* hot spots and period comparisons (pure functions)."""

from .compare import COMPARISONS, compare_counts, compare_release, comparison_windows
from .hotspots import CLASSES, DEFAULT_PERMUTATIONS, HotspotResult, classify, gi_star, grid_weights, hotspot_cells

__all__ = [
    "CLASSES", "COMPARISONS", "DEFAULT_PERMUTATIONS", "HotspotResult", "classify", "compare_counts",
    "compare_release", "comparison_windows", "gi_star", "grid_weights", "hotspot_cells",
]
