"""The import's last step and its orchestration: prepare a source (file or police feed), store it, write rejections.

`run_import` is what the CLI (`trygghetskarta import`) and the app's upload jobs call: the
steps (`layers.imports`: read → columns → coords → times → prepare) turn the source into store
rows plus one rejection per bad row; here the accepted rows are stored in one transaction and
the rejected ones written to `FILE.rejected.csv`.

Every input row ends up as exactly one of: stored, duplicate (already in the store or repeated
in the file), rejected (with its row number and reason) or empty (a row with no values).
Row numbers count data rows: row 1 is the first row under the header.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .messages import check_lang, msg
from .prepare import PreparedImport, Rejection, guard_formula, prepare_import
from .read import ImportFailed
from .sources.polisen import prepare_events, read_events_table

#: Show a progress bar from this many rows.
PROGRESS_FROM = 5000


# -- running an import --------------------------------------------------------------------


@dataclass
class ImportResult:
    path: Path
    kind: str
    total: int
    stored: int
    in_store: int  # already in the store
    repeated: int  # repeated within the file
    rejected: list[Rejection]
    empty: int
    notes: list[str]
    mapping_lines: list[str]
    rejected_path: Path | None
    dry_run: bool
    seconds: float

    @property
    def duplicate(self) -> int:
        return self.in_store + self.repeated

    def accounted(self) -> int:
        return self.stored + self.duplicate + len(self.rejected) + self.empty

    def summary(self) -> str:
        verb = "would store" if self.dry_run else "stored"
        what = "reports" if self.kind == "reports" else "activities"
        text = (
            f"{self.path.name}: {self.total} rows: {verb} {self.stored} {what}, "
            f"duplicate {self.duplicate} (already in the store {self.in_store}, repeated in the file "
            f"{self.repeated}), rejected {len(self.rejected)}"
        )
        if self.empty:
            text += f", empty {self.empty}"
        return text + f" ({self.seconds:.1f} s)"


def rejected_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.csv")


def write_rejected(prepared: PreparedImport, out: Path) -> None:
    """The rejected rows with their original values, row number and reason (UTF-8 with BOM, ;)."""
    frame = prepared.table.frame
    numbers = [r.row for r in prepared.rejected]
    body = frame.loc[numbers].astype(object)
    body = body.map(lambda v: "" if v is None else guard_formula(v)) if len(body) else body
    body.columns = [guard_formula(c) for c in body.columns]
    result = pd.DataFrame({"row": numbers, "reason": [r.reason for r in prepared.rejected]})
    result = pd.concat([result, body.reset_index(drop=True)], axis=1)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
            result.to_csv(f, sep=";", index=False)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def existing_ids(store, kind: str, ids: Iterable[str] | None = None) -> set[str]:
    """Ids already in the store (of `ids` only, when given: a big store is not read whole)."""
    table = "reports" if kind == "reports" else "activities"
    if ids is None:
        # Every row, pending ones too: an id is taken whether or not the report counts yet.
        return set(store.read_table(table, uncounted=True)["id"])
    wanted = list(dict.fromkeys(map(str, ids)))
    found: set[str] = set()
    for start in range(0, len(wanted), 900):  # SQLite's limit on parameters
        chunk = wanted[start:start + 900]
        found |= set(store.read_table(table, f"WHERE id IN ({', '.join('?' * len(chunk))})", tuple(chunk),
                                      uncounted=True)["id"])
    return found


class _Progress:
    """A tqdm bar over the import's stages, shown for large files on a terminal."""

    STAGES = ("read", "coordinates", "fields", "validate", "store")

    def __init__(self, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=len(self.STAGES), desc="import", unit="step", disable=None, leave=False)

    def __call__(self, name: str) -> None:
        if self.bar is not None:
            self.bar.set_description(f"import: {name}")
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_import(path, store, kind: str = "reports", layer: str | None = None, crs: str | None = None,
               mapping_file=None, dry_run: bool = False, fmt: str = "auto",
               progress=None, lang: str = "en") -> tuple[ImportResult, PreparedImport]:
    """Import a file into the store: all accepted rows in one transaction, or none.

    `progress`: True/False/None (a bar on the terminal for large files) or an object called
    with each finished stage's name, with `rows(done, total)` while reading and `close()`.

    Rejected rows are written to FILE.rejected.csv (not on a dry run); an old rejected file
    is removed when nothing is rejected. ImportFailed messages, rejection reasons (also in
    the rejected file) and notes are in `lang`: "en" (the CLI) or "sv" (the web app).
    """
    started = time.perf_counter()
    check_lang(lang)
    path = Path(path)
    table = None
    if fmt == "polisen":
        if kind != "reports":
            raise ImportFailed(msg("polisen_reports_only", lang))
        table = read_events_table(path, store, lang=lang)
    elif fmt != "auto":
        raise ImportFailed(msg("unknown_format", lang, fmt=fmt))
    if progress is None:
        progress = path.exists() and path.stat().st_size > PROGRESS_FROM * 60
    # An object of its own (an import job's status writer) hears the stages and the rows read.
    bar = progress if callable(progress) else _Progress(bool(progress))
    try:
        if fmt == "polisen":
            prepared = prepare_events(table, store, progress=bar, lang=lang)
        else:
            prepared = prepare_import(path, store, kind, layer, crs, mapping_file, progress=bar, lang=lang)
        prepared.keep_rejected_values()
        known = existing_ids(store, kind, prepared.frame["id"]) if len(prepared.frame) else set()
        if dry_run:
            in_store = int(prepared.frame["id"].isin(known).sum())
            stored = len(prepared.frame) - in_store
        else:
            frame = prepared.frame.reset_index(drop=True)
            if len(frame) and not frame["id"].isin(known).all():
                add = store.add_reports if kind == "reports" else store.add_activities
                added = add(frame, skip_existing=True)
                stored, in_store = added.added, added.skipped
            else:
                # Nothing new (the same file again): the data file is not written at all.
                stored, in_store = 0, len(frame)
        bar("store")
    finally:
        bar.close()
    out = rejected_path_for(path)
    written = None
    if not dry_run:
        if prepared.rejected:
            write_rejected(prepared, out)
            written = out
        else:
            out.unlink(missing_ok=True)
    result = ImportResult(
        path=path, kind=kind, total=prepared.total, stored=stored, in_store=in_store,
        repeated=len(prepared.repeated), rejected=prepared.rejected, empty=len(prepared.table.empty_rows),
        notes=prepared.notes, mapping_lines=prepared.mapping_lines, rejected_path=written,
        dry_run=dry_run, seconds=time.perf_counter() - started,
    )
    return result, prepared


__all__ = ["ImportResult", "existing_ids", "rejected_path_for", "run_import", "write_rejected"]
