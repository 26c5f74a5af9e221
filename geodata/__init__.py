"""Where: municipality geometry, localities, coordinate systems, grids and spatial operations."""

from .crs import (
    KNOWN_CRS,
    METRIC,
    RT90_25_GON_V,
    SWEREF99_1330,
    SWEREF99_TM,
    WGS84,
    CRSError,
    parse_crs,
    to_metric,
    to_wgs84,
    transform,
)
from .grid import (
    DEFAULT_CELL_M,
    MIN_CELL_M,
    cell_centres_wgs84,
    cell_id,
    cell_index,
    cell_rings_wgs84,
    count_by_cell,
    parse_cell_id,
)
from .localities import localities, nearest_locality, nearest_locality_xy, stations
from .municipality import (
    DEFAULT_KOMMUN,
    DEFAULT_TOLERANCE_M,
    Municipality,
    UnknownMunicipality,
    get_municipality,
    list_municipalities,
    normalise_code,
)
from .places import (
    NEAR_M,
    cell_id_place_names,
    cell_place_names,
    named_places,
    place_name,
    place_names,
    unique_labels,
)

__all__ = [
    "CRSError", "DEFAULT_CELL_M", "DEFAULT_KOMMUN", "DEFAULT_TOLERANCE_M", "KNOWN_CRS",
    "METRIC", "MIN_CELL_M", "Municipality", "NEAR_M", "RT90_25_GON_V", "SWEREF99_1330", "SWEREF99_TM",
    "UnknownMunicipality", "WGS84", "cell_centres_wgs84", "cell_id", "cell_id_place_names", "cell_index",
    "cell_place_names", "cell_rings_wgs84", "count_by_cell", "get_municipality", "list_municipalities",
    "localities", "named_places", "nearest_locality", "nearest_locality_xy", "normalise_code",
    "parse_cell_id", "parse_crs", "place_name", "place_names", "stations", "unique_labels", "to_metric", "to_wgs84", "transform",
]
