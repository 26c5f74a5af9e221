"""What: the report and activity layers — schema, validation, store and demo data."""

from .config import REPORT_LAYERS, ConfigError, FocusArea, PromiseConfig, load_config
from .schema import (
    ACTIVITY_COLUMNS,
    ACTIVITY_STATUSES,
    ACTORS,
    REPORT_COLUMNS,
    REPORT_STATUSES,
    SCHEMA_VERSION,
    SOURCES,
    RecordError,
    ValidationError,
    stable_id,
)
from .spec import LayerSpec, Style
from .store import AddResult, GeoPackageStore, Query, Store, StoreError, StoreMeta, open_store

__all__ = [
    "ACTIVITY_COLUMNS", "ACTIVITY_STATUSES", "ACTORS", "AddResult", "ConfigError", "FocusArea",
    "GeoPackageStore", "LayerSpec", "PromiseConfig", "Query", "REPORT_COLUMNS", "REPORT_LAYERS",
    "REPORT_STATUSES", "RecordError", "SCHEMA_VERSION", "SOURCES", "Store", "StoreError",
    "StoreMeta", "Style", "ValidationError", "load_config", "open_store", "stable_id",
]
