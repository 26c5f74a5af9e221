"""The import as a package, one module per step: read → columns → coords → times → prepare (validate) → run (store).

- `read`: a file (CSV, Excel, GeoJSON, GeoPackage, zipped Shapefile) into a table of text/values
  with 1-based row numbers (`read_source`);
- `columns`: which column feeds which store field (Swedish and English headers; a TOML/JSON
  mapping file overrides it: `auto_mapping`, `build_mapping`);
- `coords`: the coordinate system told apart from the values (WGS 84, SWEREF 99 TM, SWEREF 99
  13 30, RT90: `choose_crs`) and the points located (`locate`);
- `times`: ISO, `YYYY-MM-DD HH:MM`, `DD/MM/YYYY`, Excel serial dates and Swedish local time
  (with the DST changes), each checked against the field's plausible range (`parse_times`);
- `prepare`: the store rows plus one rejection per bad row (`prepare_import`);
- `run`: the accepted rows stored in one transaction, the rejected ones written (`run_import`);
- `sources/`: inputs that are not a file of rows with columns (the police's events feed, the
  residents' form, EST observations, safety walks' files and photos);
- `messages`: the texts of all of these, in English (the CLI) and Swedish (the web app);
- `jobs`: an upload run as a background job (imported on its own: `layers.imports.jobs`).

Imports go one way: a step imports only the steps before it and `messages`; `sources` import
the steps, never `run`; nothing here imports `jobs`, and `jobs` imports `run` only when a job runs.
"""

from .columns import (
    ACTIVITY_FIELDS,
    ACTOR_SYNONYMS,
    COORD_FIELDS,
    COORD_WORDS,
    REPORT_FIELDS,
    SOURCE_SYNONYMS,
    STATUS_SYNONYMS,
    Mapping,
    auto_mapping,
    build_mapping,
    load_mapping_file,
    map_vocabulary,
    norm_header,
)
from .coords import (
    AUTO_CRS,
    DETECT_TOLERANCE_M,
    SWEDEN_BBOX,
    Coordinates,
    CRSChoice,
    choose_crs,
    locate,
    parse_numbers,
)
from .prepare import KINDS, PREPARE_BLOCK, PreparedImport, Rejection, guard_formula, prepare_import, unguard_formula
from .read import (
    ImportFailed,
    RowProgress,
    SourceTable,
    decode_text,
    read_csv_file,
    read_csv_text,
    read_source,
    read_xlsx,
    sniff_delimiter,
)
from .run import ImportResult, existing_ids, rejected_path_for, run_import, write_rejected
from .times import import_spans, local_iso, parse_times, parse_wall_times, span_reason, span_words

__all__ = [
    "ACTIVITY_FIELDS", "ACTOR_SYNONYMS", "AUTO_CRS", "COORD_FIELDS", "COORD_WORDS", "CRSChoice", "Coordinates",
    "DETECT_TOLERANCE_M", "ImportFailed", "ImportResult", "KINDS", "Mapping", "PREPARE_BLOCK", "PreparedImport",
    "REPORT_FIELDS", "Rejection", "RowProgress", "SOURCE_SYNONYMS", "STATUS_SYNONYMS", "SWEDEN_BBOX", "SourceTable",
    "auto_mapping", "build_mapping", "choose_crs", "decode_text", "existing_ids", "guard_formula", "import_spans",
    "load_mapping_file", "local_iso", "locate", "map_vocabulary", "norm_header", "parse_numbers", "parse_times",
    "parse_wall_times", "prepare_import", "read_csv_file", "read_csv_text", "read_source", "read_xlsx",
    "rejected_path_for", "run_import", "sniff_delimiter", "span_reason", "span_words", "unguard_formula",
    "write_rejected",
]
