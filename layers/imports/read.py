"""Reading import files into a table of values: CSV (encodings and delimiters sniffed), Excel,
GeoJSON, GeoPackage and (zipped) Shapefile.

`read_source` picks the reader by the file's extension and returns a `SourceTable`: the
original headers, 1-based row numbers, values as the file holds them, and the rows with no
values counted apart. CSV and Excel rows are taken as the reader yields them and kept column
by column, so a file of millions of rows costs its values and not a list per row; readers
report how far they got (`on_rows`). Mapping, parsing and checking the values is
the later steps' (`layers.imports`).
"""

from __future__ import annotations

import csv
import io
import os
import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .messages import msg

#: Rows gathered before they are split into the columns.
BLOCK_ROWS = 10_000
#: Progress is told every this many rows.
PROGRESS_ROWS = 10_000
#: `on_rows(done, total)`: rows read so far and the expected total (None when unknown).
RowProgress = Callable[[int, "int | None"], None]


class ImportFailed(ValueError):
    """The file as a whole cannot be imported (unreadable, no coordinates, ambiguous CRS...)."""


@dataclass
class SourceTable:
    """A file read as a table: `frame` has the original headers and row numbers 1..n."""

    frame: pd.DataFrame
    #: Point geometries from a GIS file (shapely objects, None where missing), else None.
    geometry: np.ndarray | None = None
    #: The file's own coordinate system, if it declares one.
    crs: str | None = None
    #: The file's CRS is only implied (GeoJSON without a crs member means WGS 84).
    crs_implied: bool = False
    description: str = ""
    #: Row numbers of rows with no values at all (ignored, but counted).
    empty_rows: list[int] = field(default_factory=list)


def decode_text(data: bytes, lang: str = "en") -> tuple[str, str]:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), msg("utf8_bom", lang)
        except UnicodeDecodeError:
            data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass  # a truncated or fake UTF-16 file: read it as bytes below
    else:
        try:
            return data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        # Bytes that Windows-1252 leaves undefined: Latin-1 maps every byte.
        return data.decode("latin-1"), "Latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header line into the most fields: ; tab or ,."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    best, best_count = ",", 0
    for delim in (";", "\t", ","):
        try:
            count = len(next(csv.reader([header], delimiter=delim))) - 1
        except (csv.Error, StopIteration):
            count = 0
        if count > best_count:
            best, best_count = delim, count
    return best


def _unique_headers(names: Iterable) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        text = "" if name is None else str(name).strip()
        text = text or f"kolumn {i}"
        if text in seen:
            seen[text] += 1
            text = f"{text}.{seen[text]}"
        else:
            seen[text] = 1
        out.append(text)
    return out


def _blank(row) -> bool:
    """A row with no values: every cell empty or only whitespace."""
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _table_from_rows(header: list, rows: Iterable, description: str, on_rows: RowProgress | None = None,
                     total: int | None = None, none_as_empty: bool = False) -> SourceTable:
    """Rows of values to a SourceTable; short rows are padded, long rows flagged.

    `rows` is consumed as it comes (a reader's iterator) and kept column by column, a block
    of rows at a time: a file of millions of rows is never a list of row lists (which cost
    more than the values). `on_rows(done, total)` hears how far it got every PROGRESS_ROWS
    rows. `none_as_empty`: a spreadsheet's empty cell (None) becomes "" as in a CSV.
    """
    columns = _unique_headers(header)
    width = len(columns)
    cols: list[list] = [[] for _ in range(width)]
    numbers: list[int] = []
    empty: list[int] = []
    too_long: dict[int, int] = {}
    block: list = []

    def flush() -> None:
        for j, values in enumerate(zip(*block, strict=True)):
            cols[j].extend(["" if v is None else v for v in values] if none_as_empty else values)
        block.clear()

    number = 0
    for number, row in enumerate(rows, start=1):
        if _blank(row):
            empty.append(number)
            continue
        if len(row) != width:
            if len(row) > width:
                if not _blank(row[width:]):
                    too_long[number] = len(row)
                row = row[:width]
            else:
                row = tuple(row) + ("",) * (width - len(row))
        block.append(row)
        numbers.append(number)
        if len(block) >= BLOCK_ROWS:
            flush()
        if on_rows is not None and number % PROGRESS_ROWS == 0:
            on_rows(number, total)
    flush()
    if on_rows is not None:
        on_rows(number, number)
    data = {}
    for j, name in enumerate(columns):
        data[name] = np.array(cols[j], dtype=object) if width else np.array([], dtype=object)
        cols[j] = []  # the list goes as soon as its array exists
    frame = pd.DataFrame(data, columns=columns, index=pd.Index(numbers, name="row", dtype="int64"), dtype=object)
    table = SourceTable(frame=frame, description=description, empty_rows=empty)
    table.frame.attrs["too_long"] = too_long
    table.frame.attrs["width"] = width
    return table


def read_csv_text(text: str, description: str = "CSV", lang: str = "en",
                  on_rows: RowProgress | None = None) -> SourceTable:
    """Parse CSV text (delimiter sniffed); every record becomes one numbered row."""
    # Old Mac line ends and stray CRs (the csv module refuses a bare CR in an unquoted field).
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    delim = sniff_delimiter(text)
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False)
    header = next((row for row in reader if any(v.strip() for v in row)), None)
    if header is None:
        raise ImportFailed(msg("file_empty", lang))
    sep = msg({";": "sep_semicolon", "\t": "sep_tab", ",": "sep_comma"}[delim], lang)
    # Lines under the header, not records (a quoted field may hold line breaks): for progress only.
    total = max(0, text.count("\n") + (not text.endswith("\n")) - 1) if on_rows is not None else None
    return _table_from_rows(header, reader, msg("desc_csv_sep", lang, description=description, sep=sep),
                            on_rows, total)


def read_csv_file(path: Path, lang: str = "en", on_rows: RowProgress | None = None) -> SourceTable:
    text, encoding = decode_text(path.read_bytes(), lang)
    return read_csv_text(text, msg("desc_csv", lang, encoding=encoding), lang, on_rows)


def read_xlsx(path: Path, sheet: str | None = None, lang: str = "en",
              on_rows: RowProgress | None = None) -> SourceTable:
    """First sheet with data (or `sheet`) of an Excel workbook; values keep their types.

    The workbook is read in openpyxl's read-only mode, row by row, straight into columns:
    memory grows with the values, not with a list per row (python-calamine, several times
    faster, holds the whole sheet in memory first; see bench/bench_import.py).
    """
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFailed(msg("excel_unreadable", lang, name=path.name, error=exc)) from None
    try:
        if sheet is not None:
            if sheet not in book.sheetnames:
                raise ImportFailed(msg("excel_no_sheet", lang, sheet=sheet, name=path.name,
                                       sheets=", ".join(book.sheetnames)))
            ws = book[sheet]
        elif not book.worksheets:
            raise ImportFailed(msg("excel_unreadable", lang, name=path.name, error="no sheets"))
        else:
            ws = book.worksheets[0]
        title = ws.title
        # A read-only workbook parses the sheet's XML only while iterating: broken XML fails here.
        rows = ws.iter_rows(values_only=True)
        header = next((r for r in rows if not _blank(r)), None)
        if header is None:
            raise ImportFailed(msg("excel_sheet_empty", lang, title=title, name=path.name))
        try:
            # The sheet's own dimension (what Excel wrote; absent or wrong in some files).
            total = max(0, int(ws.max_row) - 1) if on_rows is not None and ws.max_row else None
        except (TypeError, ValueError):
            total = None
        header = ["" if v is None else v for v in header]
        return _table_from_rows(header, rows, msg("desc_excel", lang, title=title), on_rows, total,
                                none_as_empty=True)
    except ImportFailed:
        raise
    except Exception as exc:  # XML, zip and value errors from a damaged workbook
        raise ImportFailed(msg("excel_unreadable", lang, name=path.name, error=exc)) from None
    finally:
        book.close()


def _read_gis(path: str, description: str, layer: str | None = None, implied: bool = False,
              lang: str = "en", options: dict | None = None, gpkg: Path | None = None) -> SourceTable:
    """A GIS file through GDAL; `options` are GDAL open options; for a GeoPackage (`gpkg`) the
    date and time columns are read as the file stores them (see `_gpkg_time_text`)."""
    import pyogrio

    try:
        with warnings.catch_warnings():
            # GDAL's notes on odd cells ("Invalid content for record 3"): the rows get reasons instead.
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(path, layer=layer, datetime_as_string=True, fid_as_index=True,
                                           **(options or {}))
    except Exception as exc:  # pyogrio/GDAL errors
        raise ImportFailed(msg("gis_unreadable", lang, description=description, error=exc)) from None
    crs = None
    if frame.crs is not None:
        epsg = frame.crs.to_epsg()
        crs = f"EPSG:{epsg}" if epsg else frame.crs.to_wkt()
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object) if "geometry" in frame else None
    attrs = pd.DataFrame(frame.drop(columns="geometry", errors="ignore")).astype(object)
    attrs = attrs.where(attrs.notna(), "")
    if gpkg is not None:
        _gpkg_time_text(gpkg, layer, attrs, description, lang)
    attrs.columns = _unique_headers(attrs.columns)
    attrs.index = pd.Index(np.arange(1, len(attrs) + 1), name="row")
    attrs.attrs["too_long"] = {}
    return SourceTable(frame=attrs, geometry=geoms, crs=crs, crs_implied=implied, description=description)


def _sql_name(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _gpkg_time_text(path: Path, layer: str, attrs: pd.DataFrame, description: str, lang: str) -> None:
    """Replace GDAL's reading of a GeoPackage's DATE/DATETIME columns by the stored text.

    GDAL silently drops what it cannot read: an offset of +99:99 vanishes (the time then reads
    as local time, another instant) and junk becomes empty. The stored text goes through the
    importer's own bounded parsing instead, which refuses such values with the value quoted.
    """
    import sqlite3

    import pyogrio

    try:
        info = pyogrio.read_info(path, layer=layer)
        fields = [str(f) for f, t in zip(info["fields"], info["ogr_types"], strict=True)
                  if t in ("OFTDate", "OFTDateTime") and f in attrs.columns]
        if not fields:
            return
        fid = info.get("fid_column") or "fid"
        # Read-only, and as a URI that survives '?' or '#' in a file name.
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            columns = ", ".join(_sql_name(f) for f in fields)
            stored = conn.execute(f"SELECT {_sql_name(fid)}, {columns} FROM {_sql_name(layer)}").fetchall()
        finally:
            conn.close()
    except Exception as exc:  # sqlite3/GDAL: a damaged or odd file
        raise ImportFailed(msg("gis_unreadable", lang, description=description, error=exc)) from None
    by_fid = {row[0]: row[1:] for row in stored}
    for i, name in enumerate(fields):
        attrs[name] = [_stored_text(by_fid.get(fid_value, ("",) * len(fields))[i]) for fid_value in attrs.index]


def _stored_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return repr(value)
    return str(value)


def _gpkg_layer(path: Path, wanted: str | None, kind: str, lang: str = "en") -> str:
    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's own notes on a damaged file
            layers = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio/GDAL: not a GeoPackage, damaged file
        raise ImportFailed(msg("gpkg_unreadable", lang, name=path.name, error=exc)) from None
    features = [str(name) for name, geom in layers if geom not in (None, "Unknown", "")] or [
        str(name) for name, _ in layers
    ]
    names = [str(name) for name, _ in layers]
    if wanted:
        if wanted not in names:
            raise ImportFailed(msg("gpkg_no_layer", lang, name=path.name, layer=wanted, layers=", ".join(names)))
        return wanted
    if len(features) == 1:
        return features[0]
    if kind in features:
        return kind
    raise ImportFailed(msg("gpkg_many_layers", lang, name=path.name, n=len(features), layers=", ".join(features)))


def read_source(path: str | os.PathLike, kind: str = "reports", sheet: str | None = None,
                gis_layer: str | None = None, lang: str = "en", on_rows: RowProgress | None = None) -> SourceTable:
    """Read any supported file by its extension (content sniffed for CSV encodings).

    `on_rows(done, total)` hears the progress of reading a CSV or Excel file (total: an
    estimate from the file, or None); GIS files are read by GDAL in one step."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(msg("no_such_file", lang, path=path))
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return read_csv_file(path, lang, on_rows)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet, lang, on_rows)
    if suffix == ".xls":
        raise ImportFailed(msg("xls_unsupported", lang))
    if suffix in (".geojson", ".json"):
        head = path.read_bytes()[:4096].decode("utf-8", "ignore")
        if head.lstrip("\ufeff \r\n\t").startswith("[") and '"datetime"' in head:
            raise ImportFailed(msg("looks_like_polisen", lang, name=path.name))
        implied = '"crs"' not in head
        # GDAL would parse date-like strings itself and drop offsets it cannot read: keep the text.
        return _read_gis(str(path), msg("desc_geojson", lang, name=path.name), implied=implied, lang=lang,
                         options={"DATE_AS_STRING": "YES"})
    if suffix == ".gpkg":
        layer = _gpkg_layer(path, gis_layer, kind, lang)
        return _read_gis(str(path), msg("desc_gpkg", lang, name=path.name, layer=layer), layer=layer, lang=lang,
                         gpkg=path)
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                shps = [n for n in zf.namelist() if n.lower().endswith(".shp")]
        except zipfile.BadZipFile:
            raise ImportFailed(msg("zip_unreadable", lang, name=path.name)) from None
        if not shps:
            raise ImportFailed(msg("zip_no_shp", lang, name=path.name))
        if len(shps) > 1 and not gis_layer:
            raise ImportFailed(msg("zip_many_shp", lang, name=path.name, n=len(shps), files=", ".join(shps)))
        inner = gis_layer if gis_layer and gis_layer.lower().endswith(".shp") else shps[0]
        if gis_layer and not gis_layer.lower().endswith(".shp"):
            inner = next((s for s in shps if Path(s).stem == gis_layer), None)
            if inner is None:
                raise ImportFailed(msg("zip_no_such_shp", lang, name=path.name, layer=gis_layer))
        return _read_gis(f"/vsizip/{path}/{inner}", msg("desc_zip_shp", lang, inner=inner), lang=lang)
    if suffix == ".shp":
        return _read_gis(str(path), msg("desc_shp", lang, name=path.name), lang=lang)
    raise ImportFailed(msg("unknown_file_type", lang, suffix=suffix or msg("none", lang)))


__all__ = ["BLOCK_ROWS", "PROGRESS_ROWS", "ImportFailed", "RowProgress", "SourceTable", "decode_text",
           "read_csv_file", "read_csv_text", "read_source", "read_xlsx", "sniff_delimiter"]
