"""Import step: a read file to accepted store rows and one rejection per bad row, block by block."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata import METRIC

from .. import aktiviteter
from ..schema import (
    ACTIVITY_COLUMNS,
    ACTIVITY_STATUSES,
    ACTORS,
    ANY_TIME,
    REPORT_COLUMNS,
    REPORT_STATUSES,
    SOURCES,
    TimeSpan,
    stable_id,
)
from ..text import shorten
from .columns import (
    ACTOR_SYNONYMS,
    COORD_FIELDS,
    SOURCE_SYNONYMS,
    STATUS_SYNONYMS,
    Mapping,
    build_mapping,
    load_mapping_file,
    map_vocabulary,
)
from .coords import locate, parse_numbers
from .messages import check_lang, msg, row_numbers, store_reason
from .read import ImportFailed, SourceTable, read_source
from .times import import_spans, local_iso, parse_times

KINDS = ("reports", "activities")
#: Rows turned into store rows at a time (`prepare_import`): the fields, ids, points and the
#: store's own checks of one block are made and dropped before the next, so a huge file holds
#: its source table and the accepted rows, not every temporary of every row at once.
PREPARE_BLOCK = 50_000


def _vocabulary_or_default(table, mapping, target: str, allowed, synonyms, default: str, n: int, reasons,
                           implicit: dict, reason) -> np.ndarray:
    """A vocabulary column whose absence or empty cells mean `default`; other unknown values
    are rejected with `reason(value)`."""
    col = _column(table, mapping, target)
    if col is None:
        implicit[target] = f"'{default}'"
        return np.full(n, default, dtype=object)
    values, bad = map_vocabulary(col, allowed, synonyms, mapping.values.get(target))
    text = _text(col, n)
    empty = (text == "").to_numpy()
    reasons.add_many(bad & ~empty, lambda p: reason(text[p]))
    return np.where(empty, default, values)



# -- preparing an import ------------------------------------------------------------------


@dataclass
class Rejection:
    row: int
    reason: str


@dataclass
class PreparedImport:
    kind: str
    table: SourceTable
    mapping: Mapping
    #: Accepted rows in the store schema (SWEREF 99 TM), indexed by input row number.
    frame: gpd.GeoDataFrame
    rejected: list[Rejection]
    #: Rows repeated within the file: row number -> the earlier row with the same content.
    repeated: dict[int, int]
    notes: list[str]
    mapping_lines: list[str]
    #: Set once the source table keeps only the rejected rows (`run_import`, before storing).
    source_rows: int | None = None

    @property
    def total(self) -> int:
        if self.source_rows is not None:
            return self.source_rows
        return len(self.table.frame) + len(self.table.empty_rows)

    def keep_rejected_values(self) -> None:
        """From here on only the rejected rows' original values are needed (the rejected-rows
        file): the rest of the source table goes, before the accepted rows are stored."""
        self.source_rows = self.total
        self.table.frame = self.table.frame.loc[[r.row for r in self.rejected]]


class _Reasons:
    """Reasons per row position; the first reason for a field wins, all fields are collected.

    A block's view (`block`) shares the reasons: it takes positions within the block and
    stores them at the block's offset, so a file's rows can be prepared block by block.
    """

    def __init__(self, n: int, by_pos: dict[int, list[str]] | None = None, offset: int = 0):
        self.n = n
        self.by_pos: dict[int, list[str]] = {} if by_pos is None else by_pos
        self.offset = offset

    def block(self, start: int, n: int) -> _Reasons:
        return _Reasons(n, self.by_pos, self.offset + start)

    def add(self, pos: int, reason: str) -> None:
        self.by_pos.setdefault(int(pos) + self.offset, []).append(reason)

    def add_many(self, mask: np.ndarray, reason: Callable[[int], str] | str) -> None:
        for pos in np.flatnonzero(mask):
            self.add(pos, reason(pos) if callable(reason) else reason)

    def add_dict(self, reasons: dict[int, str], prefix: str = "") -> None:
        for pos, reason in reasons.items():
            self.add(pos, prefix + reason)

    def mask(self) -> np.ndarray:
        bad = np.zeros(self.n, dtype=bool)
        if self.by_pos:
            pos = np.fromiter(self.by_pos, dtype=np.int64, count=len(self.by_pos)) - self.offset
            bad[pos[(pos >= 0) & (pos < self.n)]] = True
        return bad


def _column(table: SourceTable, mapping: Mapping, target: str) -> pd.Series | None:
    col = mapping.columns.get(target)
    if col is not None:
        return table.frame[col].reset_index(drop=True)
    if target in mapping.defaults:
        return pd.Series([mapping.defaults[target]] * len(table.frame), dtype=object)
    return None


def _text(series: pd.Series | None, n: int) -> pd.Series:
    if series is None:
        return pd.Series([""] * n, dtype=object)
    # Object dtype on purpose: the text keeps the very string objects the reader made (pandas
    # would copy them into a new string array, and back out again for the store).
    values = [("" if v is None or (isinstance(v, float) and np.isnan(v)) else unguard_formula(str(v).strip()))
              for v in series.to_numpy(dtype=object)]
    return pd.Series(np.array(values, dtype=object) if values else np.array([], dtype=object), index=series.index,
                     dtype=object)


def guard_formula(value):
    """Text a spreadsheet would run as a formula gets an apostrophe first: the rejected file is
    opened in Excel, and a hostile cell must not run there (as dashboard.export does)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def unguard_formula(text: str) -> str:
    """Undo the apostrophe an export (or the rejected file) puts before text a spreadsheet would
    run as a formula ('=…, '+…, '-…, '@…, a tab or CR), so it imports back to the same text."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def _mapping_lines(mapping: Mapping, kind: str, implicit: dict[str, str]) -> list[str]:
    lines = []
    fields = [c for c in (REPORT_COLUMNS if kind == "reports" else ACTIVITY_COLUMNS) if c != "geometry"]
    extra = ["time_of_day"]
    for target in fields + extra + list(COORD_FIELDS):
        if target in mapping.columns:
            lines.append(f"{target:<13} <- column {mapping.columns[target]!r} ({mapping.origin.get(target, 'auto')})")
        elif target in mapping.defaults:
            lines.append(f"{target:<13} <- {mapping.defaults[target]!r} (mapping file default)")
        elif target in implicit:
            lines.append(f"{target:<13} <- {implicit[target]}")
    return lines


def prepare_import(path, store, kind: str = "reports", layer: str | None = None,
                   crs: str | None = None, mapping_file: str | os.PathLike | None = None,
                   table: SourceTable | None = None, progress=None, lang: str = "en") -> PreparedImport:
    """Read, map, parse and validate a file: accepted store rows plus a reason per rejected row.

    Reasons, notes and ImportFailed messages are in `lang` ("en" or "sv").
    """
    check_lang(lang)
    if kind not in KINDS:
        raise ImportFailed(msg("unknown_kind", lang, kind=kind))
    config = store.config
    if layer is not None and layer not in config.layers:
        raise ImportFailed(msg("unknown_layer", lang, layer=layer, layers=", ".join(config.layers)))
    if layer is not None and kind == "activities":
        raise ImportFailed(msg("layer_for_reports_only", lang))
    raw_mapping = load_mapping_file(mapping_file, lang) if mapping_file else None
    if table is None:
        file_opts = (raw_mapping or {}).get("file", {})
        table = read_source(path, kind, sheet=file_opts.get("sheet"), gis_layer=file_opts.get("layer"), lang=lang,
                            on_rows=getattr(progress, "rows", None))
    _step(progress, "read")
    mapping = build_mapping(table, kind, raw_mapping, lang)
    n = len(table.frame)
    rows = table.frame.index.to_numpy()
    reasons = _Reasons(n)
    for number, width in table.frame.attrs.get("too_long", {}).items():
        pos = int(np.searchsorted(rows, number))
        reasons.add(pos, msg("too_many_fields", lang, width=width, header=table.frame.attrs.get("width")))
    notes = [msg("note_file", lang, description=table.description, n=n + len(table.empty_rows))]
    if table.empty_rows:
        notes.append(msg("note_empty_rows", lang, n=len(table.empty_rows), rows=row_numbers(table.empty_rows, lang)))
    coords = locate(table, mapping, store.meta.kommun, crs, lang) if n else None
    if coords is not None:
        notes.extend(coords.notes)
        # Activities may have no place: only complain about coordinates that are there but bad.
        no_place = (msg("coords_missing", lang), msg("no_geometry", lang))
        for pos, reason in coords.reasons.items():
            if kind == "activities" and reason in no_place:
                continue
            reasons.add(pos, reason)
    _step(progress, "coordinates")
    implicit: dict[str, str] = {}
    spans = import_spans(config)
    x = coords.x if coords is not None else np.full(n, np.nan)
    y = coords.y if coords is not None else np.full(n, np.nan)
    # Stable ids: our own store-schema files keep theirs; others get one from their content.
    keep_ids = _is_store_schema(table, mapping, kind)
    check = store.validate_reports if kind == "reports" else store.validate_activities
    # Block by block: the coordinate system is decided above, once, from every row's coordinates;
    # nothing below depends on other rows (repeats are found over all accepted rows after).
    blocks = []
    for start in range(0, max(n, 1), PREPARE_BLOCK):
        stop = min(n, start + PREPARE_BLOCK)
        part = SourceTable(table.frame.iloc[start:stop], description=table.description)
        blocks.append(_prepare_block(part, mapping, config, kind, layer, reasons.block(start, stop - start),
                                     implicit, lang, spans, x[start:stop], y[start:stop], rows[start:stop],
                                     keep_ids, check))
    if keep_ids:
        implicit["id"] = "kept from the file (a Trygghetskarta export)"
    else:
        implicit["id"] = "derived from the row's content (re-import stores nothing new)"
    _step(progress, "fields")
    accepted = blocks[0] if len(blocks) == 1 else pd.concat(blocks)
    del blocks
    _step(progress, "validate")
    first_of = accepted.reset_index().groupby("id", sort=False)["row"].first()
    repeated_mask = accepted["id"].duplicated(keep="first").to_numpy()
    repeated = {
        int(number): int(first_of[rid])
        for number, rid in zip(accepted.index[repeated_mask], accepted["id"][repeated_mask], strict=True)
    }
    accepted = accepted[~repeated_mask]
    rejected = [Rejection(int(rows[pos]), "; ".join(r)) for pos, r in sorted(reasons.by_pos.items())]
    return PreparedImport(
        kind=kind, table=table, mapping=mapping, frame=accepted, rejected=rejected,
        repeated=repeated, notes=notes, mapping_lines=_mapping_lines(mapping, kind, implicit),
    )


def _prepare_block(table: SourceTable, mapping: Mapping, config, kind: str, layer: str | None,
                   reasons: _Reasons, implicit: dict, lang: str, spans: dict[str, TimeSpan], x: np.ndarray,
                   y: np.ndarray, rows: np.ndarray, keep_ids: bool, check) -> gpd.GeoDataFrame:
    """One block of rows (positions and `reasons` within the block) to the accepted store rows,
    indexed by input row number; every problem goes to `reasons`."""
    n = len(table.frame)
    if kind == "reports":
        frame = _report_fields(table, mapping, config, layer, reasons, implicit, lang, spans)
    else:
        frame = _activity_fields(table, mapping, config, reasons, implicit, lang, spans)
    if keep_ids:
        ids = _text(_column(table, mapping, "id"), n).to_numpy(dtype=object)
    else:
        ids = _content_ids(frame, x, y, _text(_column(table, mapping, "id"), n), kind)
    frame["id"] = ids
    points = shapely.points(np.where(np.isnan(x), 0, x), np.where(np.isnan(y), 0, y))
    points = np.where(np.isnan(x), shapely.from_wkt("POINT EMPTY"), points)
    if kind == "reports":
        reasons.add_many(np.isnan(x) & ~reasons.mask(), msg("coords_missing", lang))
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(points, crs=METRIC), crs=METRIC)
    columns = REPORT_COLUMNS if kind == "reports" else ACTIVITY_COLUMNS
    gdf = gdf[list(columns)]
    gdf.index = pd.Index(rows, name="row")
    # Safety net: the store's own validation, on rows that passed ours.
    ok = ~reasons.mask()
    if ok.any():
        positions = {number: pos for pos, number in enumerate(rows)}
        for error in check(gdf[ok]):
            if error.row in positions:
                if error.field == "id" and error.reason == "appears more than once":
                    continue  # repeated rows: counted as duplicates after all blocks
                reasons.add(positions[error.row], msg("store_check", lang, field=error.field, value=_short(error.value),
                                                      reason=store_reason(error.reason, lang)))
        ok = ~reasons.mask()
    return gdf[ok]


def _short(value) -> str:
    """A value as the store's checks quote it: repr, cut to a sane length."""
    return repr(shorten(value)) if isinstance(value, str) else shorten(repr(value))


def _step(progress, name: str) -> None:
    if progress is not None:
        progress(name)


def _is_store_schema(table: SourceTable, mapping: Mapping, kind: str) -> bool:
    columns = REPORT_COLUMNS if kind == "reports" else ACTIVITY_COLUMNS
    needed = [c for c in columns if c not in ("geometry", "description", "done_at")]
    return all(mapping.columns.get(c) == c for c in needed)


def _content_ids(frame: pd.DataFrame, x: np.ndarray, y: np.ndarray, source_id: pd.Series, kind: str) -> np.ndarray:
    if kind == "reports":
        parts = [frame["layer"], frame["occurred_at"], frame["category"], frame["description"]]
    else:
        parts = [frame["focus_area"], frame["actor"], frame["kind"], frame["planned_at"], frame["description"]]
    xs = np.where(np.isnan(x), "", np.round(np.nan_to_num(x), 1).astype(str))
    ys = np.where(np.isnan(y), "", np.round(np.nan_to_num(y), 1).astype(str))
    cols = [source_id.to_numpy(dtype=object)] + [p.astype(str).to_numpy(dtype=object) for p in parts] + [xs, ys]
    prefix = "imp" if kind == "reports" else "impa"
    return np.array([stable_id(prefix, kind, *vals) for vals in zip(*cols, strict=True)], dtype=object)


def _times_field(table, mapping, target: str, reasons: _Reasons, required: bool, label: str,
                 with_clock: bool = False, lang: str = "en", span: TimeSpan = ANY_TIME) -> np.ndarray:
    """`label` is the message id of the field's name ("label_date"); `span` bounds the times."""
    n = len(table.frame)
    values = _column(table, mapping, target)
    if values is None:
        if required:
            raise ImportFailed(msg("no_date_column", lang, target=target))
        return np.full(n, None, dtype=object)
    clock = _column(table, mapping, "time_of_day") if with_clock else None
    utc, bad = parse_times(values, clock, lang, span)
    empty = _text(values, n).to_numpy(dtype=object) == ""
    col = mapping.columns.get(target, target)
    name = msg(label, lang)
    for pos, reason in bad.items():
        if not empty[pos]:
            reasons.add(pos, msg("time_problem", lang, label=name, column=col, reason=reason))
    if required:
        reasons.add_many(empty, msg("time_missing", lang, label=name, column=col))
    return local_iso(utc)


def _report_fields(table, mapping, config, layer, reasons: _Reasons, implicit: dict,
                   lang: str = "en", spans: dict[str, TimeSpan] | None = None) -> pd.DataFrame:
    n = len(table.frame)
    spans = spans or import_spans(config)
    occurred = _times_field(table, mapping, "occurred_at", reasons, True, "label_date", with_clock=True, lang=lang,
                            span=spans["occurred_at"])
    reported = _times_field(table, mapping, "reported_at", reasons, False, "label_reported", lang=lang,
                            span=spans["reported_at"])
    if _column(table, mapping, "reported_at") is None:
        implicit["reported_at"] = "= occurred_at (no reporting date in the file)"
    reported = np.where(pd.isna(reported), occurred, reported)
    # Category (and from it, the layer where the file does not say).
    categories = _text(_column(table, mapping, "category"), n)
    user_cat = mapping.values.get("category", {})
    categories = categories.map(lambda v: user_cat.get(v.casefold(), v))
    if _column(table, mapping, "category") is None:
        categories = pd.Series(["övrigt"] * n, dtype=object)
        implicit["category"] = "'övrigt' (no category column)"
    layer_col = _column(table, mapping, "layer")
    layers = np.full(n, None, dtype=object)
    if layer is not None:
        layers[:] = layer
        implicit["layer"] = f"{layer!r} (--layer)"
        if layer_col is not None:
            implicit["layer"] += f"; column {mapping.columns.get('layer')!r} ignored"
    elif layer_col is not None:
        synonyms = {}
        for lid, spec in config.layers.items():
            synonyms[spec.name_sv] = lid
            synonyms[spec.name_en] = lid
        mapped, bad = map_vocabulary(layer_col, config.layers, synonyms, mapping.values.get("layer"))
        layers = mapped
        text = _text(layer_col, n)
        reasons.add_many(bad & (text != "").to_numpy(),
                         lambda p: msg("layer_unknown", lang, value=text[p], layers=", ".join(config.layers)))
        layers = np.where(bad, None, layers)
    # Layer from the category where only one layer knows it.
    owners: dict[str, list[str]] = {}
    for lid, spec in config.layers.items():
        for cat in spec.categories:
            owners.setdefault(cat.casefold(), []).append(lid)
        for _cat_sv, cat_en in spec.category_en.items():
            owners.setdefault(cat_en.casefold(), []).append(lid)
    need = pd.isna(layers)
    if need.any():
        keys = categories.str.casefold()
        guess = keys.map(lambda k: owners.get(k, [None])[0] if len(owners.get(k, [])) == 1 else None)
        layers = np.where(need, guess.to_numpy(dtype=object), layers)
        if "layer" not in implicit:
            implicit["layer"] = "from the category where only one layer has it"
        still = pd.isna(layers) & need
        reasons.add_many(still, msg("layer_unclear", lang))
    cat_out = np.full(n, None, dtype=object)
    for lid, spec in config.layers.items():
        mine = layers == lid
        if not mine.any():
            continue
        en = {v: k for k, v in spec.category_en.items()}
        mapped, bad = map_vocabulary(categories[mine], spec.categories, en)
        cat_out[mine] = mapped
        positions = np.flatnonzero(mine)
        for local, pos in enumerate(positions):
            if bad[local]:
                value = categories[pos]
                reasons.add(pos, msg("category_unknown", lang, value=value, allowed=", ".join(spec.categories),
                                     layer=lid)
                            if value else msg("missing", lang, what=msg("label_category", lang)))
    focus = np.array([config.layers[lid].focus_area if lid in config.layers else None for lid in layers],
                     dtype=object)
    focus_col = _column(table, mapping, "focus_area")
    if focus_col is not None:
        mapped, bad = map_vocabulary(focus_col, config.focus_areas, None, mapping.values.get("focus_area"))
        text = _text(focus_col, n)
        given = (text != "").to_numpy()
        reasons.add_many(given & bad, lambda p: msg("focus_area_unknown", lang, value=text[p],
                                                    allowed=", ".join(config.focus_areas)))
        focus = np.where(given & ~bad, mapped, focus)
    else:
        implicit["focus_area"] = "the layer's focus area"
    sources = _vocabulary_or_default(
        table, mapping, "source", SOURCES, SOURCE_SYNONYMS, "import", n, reasons, implicit,
        lambda value: msg("source_unknown", lang, value=value, allowed=", ".join(SOURCES)))
    statuses = _vocabulary_or_default(
        table, mapping, "status", REPORT_STATUSES, STATUS_SYNONYMS, "ny", n, reasons, implicit,
        lambda value: msg("not_one_of", lang, what=msg("label_status", lang), value=value,
                          allowed=", ".join(REPORT_STATUSES)))
    description = _text(_column(table, mapping, "description"), n)
    return pd.DataFrame({
        "id": None, "layer": layers, "focus_area": focus, "occurred_at": occurred, "reported_at": reported,
        "category": cat_out, "description": description.to_numpy(dtype=object), "source": sources,
        "status": statuses,
    })


def _activity_fields(table, mapping, config, reasons: _Reasons, implicit: dict, lang: str = "en",
                     spans: dict[str, TimeSpan] | None = None) -> pd.DataFrame:
    n = len(table.frame)
    spans = spans or import_spans(config)
    planned = _times_field(table, mapping, "planned_at", reasons, True, "label_planned", with_clock=True, lang=lang,
                           span=spans["planned_at"])
    done = _times_field(table, mapping, "done_at", reasons, False, "label_done", lang=lang, span=spans["done_at"])
    done = np.where(pd.isna(done), "", done)
    focus_col = _column(table, mapping, "focus_area")
    if focus_col is None:
        raise ImportFailed(msg("no_focus_area_column", lang))
    synonyms = {}
    for aid, area in config.focus_areas.items():
        for name in (area.name_sv, area.name_en, area.short_sv, area.short_en):
            synonyms[name] = aid
    focus, bad = map_vocabulary(focus_col, config.focus_areas, synonyms, mapping.values.get("focus_area"))
    text = _text(focus_col, n)
    reasons.add_many(bad, lambda p: _not_one_of("label_focus_area", text[p], config.focus_areas, lang))
    out: dict[str, np.ndarray] = {}
    for target, vocab, syn in (
        ("actor", ACTORS, ACTOR_SYNONYMS),
        ("kind", aktiviteter.KINDS, {v: k for k, v in aktiviteter.KIND_EN.items()}),
    ):
        col = _column(table, mapping, target)
        if col is None:
            raise ImportFailed(msg("no_field_column", lang, what=msg(f"label_{target}", lang), target=target))
        mapped, bad = map_vocabulary(col, vocab, syn, mapping.values.get(target))
        t = _text(col, n)
        reasons.add_many(bad, lambda p, t=t, vocab=vocab, target=target:
                         _not_one_of(f"label_{target}", t[p], vocab, lang))
        out[target] = mapped
    status_col = _column(table, mapping, "status")
    has_done = done != ""
    if status_col is None:
        statuses = np.where(has_done, "genomförd", "planerad").astype(object)
        implicit["status"] = "'genomförd' where a done date is given, else 'planerad'"
    else:
        statuses, bad = map_vocabulary(status_col, ACTIVITY_STATUSES, STATUS_SYNONYMS, mapping.values.get("status"))
        t = _text(status_col, n)
        reasons.add_many(bad, lambda p: _not_one_of("label_status", t[p], ACTIVITY_STATUSES, lang))
    dur_col = _column(table, mapping, "duration_min")
    if dur_col is None:
        duration = np.zeros(n)
        implicit["duration_min"] = "0 (no duration column)"
    else:
        t = _text(dur_col, n)
        hm = t.str.extract(r"^(\d{1,3}):(\d{2})$")
        duration, bad = parse_numbers(dur_col)
        is_hm = hm[0].notna().to_numpy()
        duration[is_hm] = hm[0][is_hm].astype(int).to_numpy() * 60 + hm[1][is_hm].astype(int).to_numpy()
        bad &= ~is_hm
        duration = np.where(np.isnan(duration) & (t == "").to_numpy(), 0, duration)
        whole = ~np.isnan(duration) & (duration == np.round(duration)) & (duration >= 0) & (duration <= 10080)
        reasons.add_many(bad | ~whole, lambda p: msg("duration_bad", lang, value=t[p]))
    description = _text(_column(table, mapping, "description"), n)
    return pd.DataFrame({
        "id": None, "focus_area": focus, "actor": out["actor"], "kind": out["kind"], "planned_at": planned,
        "done_at": done, "status": statuses,
        "duration_min": np.nan_to_num(duration).astype("int64"),
        "description": description.to_numpy(dtype=object),
    })


def _not_one_of(label: str, value: str, allowed: Iterable[str], lang: str) -> str:
    """'status 'x' is not one of a, b' or, for an empty value, 'status is missing'."""
    what = msg(label, lang)
    if not value:
        return msg("missing", lang, what=what)
    return msg("not_one_of", lang, what=what, value=value, allowed=", ".join(allowed))
