"""Follow-up of the medborgarlöfte: done versus promised, reports per focus area, and the effect where we acted.

Pure functions of DataFrames as the store gives them (`Store.reports()`, `Store.activities()`,
`Store.read_table(...)` or the dashboard's enriched frames; see `frames`) and a `PromiseConfig`
with its commitments (`layers.commitment`). Nothing here reads files, roles or the clock: the
caller passes the frames the role may see and the date `at` (by the end of that local day).

    from layers.followup import follow_up
    result = follow_up(config, reports, activities, at=dt.date(2026, 11, 27))
    result["commitments"], result["focus_areas"], result["effects"]   # the JSON contract

The three lists, each entry with exactly these keys:

- `commitments` (`commitments.ROW_KEYS`): id, focus_area, actor, kind, target, done, planned,
  cancelled (counts, or hours rounded to 0.1 for `target_hours`), expected_by_now (even pace,
  0.01), status (`klart|i_fas|efter|ej_paborjat`, labels in `STATUS_LABELS` / `status_label`),
  periods (for `per`: one entry per quarter/month with `commitments.PERIOD_KEYS`; else []);
- `focus_areas` (`compare.ROW_KEYS`): id, promise, reports, reports_previous,
  reports_last_year, change, change_pct (against last year; None when it had 0);
- `effects` (`evaluate.ROW_KEYS`): place, start, before, after, control_before, control_after,
  buffer_before, buffer_after, estimate, se, ci_low, ci_high, wdq (None when not computable).

For screens, the objects behind the rows carry more: `follow_commitments` → `CommitmentProgress`
(the Commitment with its texts, `activity_ids` to filter the map by a card, `status_label`);
`focus_area_changes` → `FocusAreaChange`; `evaluate_places` → `PlaceEffect` (the
`TreatedPlace` with its metric geometry, the `WDDResult` with z, and `words(lang)`: what the
numbers mean and cannot prove). The statistics alone are `wdd` and `wdq`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..config import PromiseConfig
from .commitments import CommitmentProgress, Tally, commitment_rows, follow_commitments, matching_mask
from .compare import FocusAreaChange, focus_area_changes, focus_area_rows
from .effect import WDDResult, wdd, wdq
from .evaluate import PlaceEffect, effect_rows, evaluate_place, evaluate_places
from .frames import activity_frame, report_frame
from .pace import STATUS_LABELS, STATUSES, status_label
from .places import TreatedPlace, find_treated_places


def follow_up(config: PromiseConfig, reports: pd.DataFrame, activities: pd.DataFrame, at: dt.date,
              kommun: str | None = None) -> dict[str, list[dict]]:
    """The whole follow-up as the JSON contract: {"commitments": [...], "focus_areas": [...], "effects": [...]}."""
    return {
        "commitments": commitment_rows(follow_commitments(config, activities, at, kommun=kommun)),
        "focus_areas": focus_area_rows(focus_area_changes(config, reports, at)),
        "effects": effect_rows(evaluate_places(config, reports, activities, at, kommun=kommun)),
    }


__all__ = [
    "STATUSES", "STATUS_LABELS", "CommitmentProgress", "FocusAreaChange", "PlaceEffect", "Tally", "TreatedPlace",
    "WDDResult", "activity_frame", "commitment_rows", "effect_rows", "evaluate_place", "evaluate_places",
    "find_treated_places", "focus_area_changes", "focus_area_rows", "follow_commitments", "follow_up",
    "matching_mask", "report_frame", "status_label", "wdd", "wdq",
]
