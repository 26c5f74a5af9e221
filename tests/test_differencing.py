"""Differencing attacks over time: ranges a day or a month apart, presets, and before and after an import.

What a reduced role can learn by combining requests.

The promise: bra and allmanhet never learn a count 1..k-1 (k = 5) for any cell or
locality and period of a cells-mode layer (bra: narcotics tips; allmanhet: otrygga
platser and hastighet), from ANY combination of requests. A single figure below k is
the obvious leak; the subtle one is the difference of two figures an attacker can ask
for one after the other: a time range one day longer, a selection one cell larger, a
filter toggled, the same view before and after an import.

Method. A small hand-made data file (exact counts known, in tests/privacy_harness.py), the
real Dash callbacks called in-process and the real export paths. From every response every number about a
cells-mode layer is taken: map cell counts, the map note's 'spridda rapporter' and
'övriga platser', the time chart's bars and title total, the 'where' tables per
locality and per cell and their footers, export cell files. Totals minus what is shown
(points, cells, 'spridda', 'övriga') are added as derived numbers, since an attacker
subtracts them too. For each pair of requests that differ by one step, per key:
every figure and every difference must be 0 or ≥ k (a key on one side only must be
≥ k there: the other side's 0).

The attacks over time, by selection, by filter and through exports use only the public
interface (callbacks, `export`, `export_files`, the CLI), so they run unchanged against the
code before releases (commit 63cc7af), where they fail. The release and block tests are
release-specific.

The method, the hand-made data and `observe`: tests/privacy_harness.py. The attacks, by kind:
test_differencing.py (time ranges, imports), test_differencing_selections.py, test_differencing_filters.py,
test_differencing_exports.py, test_differencing_releases.py (the release, its revisions and settings),
test_differencing_blocks.py (what the block layout tells).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

from dashboard.app import create_app
from layers.store import open_store
from tests import privacy_harness
from tests.helpers import reports_frame

# TZ, VAGGERYD, K, filters, make_store and violations are for tests/test_privacy_issue12.py and
# tests/test_followup_privacy.py, which take the harness from this module.
from tests.privacy_harness import (
    CELLS_LAYERS,
    HOK,
    HOK_CELL,
    LY,
    SPAN,
    TODAY,
    TZ,  # noqa: F401
    VAGGERYD,  # noqa: F401
    K,  # noqa: F401
    check_pairs,
    custom,
    days,
    filters,  # noqa: F401
    make_store,  # noqa: F401
    narcotics_rows,
    observe,
    public_rows,
    tips,
    violations,  # noqa: F401
)

# The harness's module fixtures, bound here so that this module has its own instances.
base_path, fresh_path, apps = privacy_harness.base_path, privacy_harness.fresh_path, privacy_harness.apps


FULL = os.environ.get("DIFFERENCING_FULL") == "1"


# -- time ranges ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_ranges_one_day_apart(apps, role):
    """[start, d-1] against [start, d]: the attacker slides the end of a custom range a day at
    a time. Every day on which anything could change (a report of the role's cells layers
    that day, a month's first day) and the day before each, over the whole data span;
    DIFFERENCING_FULL=1 takes every single day. And [d, end] against [d+1, end] around
    every month's start (where a calendar block could begin)."""
    app = apps[role]
    first, last = SPAN[role]
    obs, pairs = {}, []
    grow = days(first, last)
    if not FULL:
        changes = {dt.date.fromisoformat(r["occurred_at"][:10]) for r in narcotics_rows() + public_rows()
                   if r["layer"] in CELLS_LAYERS[role]}
        edges = {d for d in grow if d.day == 1}
        wanted = changes | edges
        grow = [d for d in grow if d in wanted or d + dt.timedelta(days=1) in wanted]
    for d in grow:
        edge = d.day == 1 or (d + dt.timedelta(days=1)).day == 1
        obs[("to", d)] = observe(app, role, custom(first, d, LY[role]), where=edge)
    pairs += [(("to", a), ("to", b)) for a, b in zip(grow, grow[1:], strict=False) if (b - a).days == 1]
    shrink = [d for d in grow if d.day <= 2 or (d + dt.timedelta(days=1)).day == 1]
    for d in shrink:
        obs[("from", d)] = observe(app, role, custom(d, last, LY[role]), where=False)
    pairs += [(("from", a), ("from", b)) for a, b in zip(shrink, shrink[1:], strict=False)
              if (b - a).days == 1]
    check_pairs(f"{role}: ranges one day apart", obs, pairs)
    # The sweep saw every kind of figure (else it would prove nothing).
    kinds = {key[0] for o in obs.values() for key, v in o.items() if v}
    assert {"map", "spridda", "bar", "where", "title-points"} <= kinds, kinds


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_ranges_one_month_apart_and_presets(apps, role):
    app = apps[role]
    months = [dt.date(2026, m, 1) for m in range(3, 13)]
    ends = [m - dt.timedelta(days=1) for m in months[1:]]
    obs = {}
    for i, a in enumerate(months[:-1]):
        for j in [*range(i, min(i + 3, len(ends))), len(ends) - 1]:
            obs[(a, ends[j])] = observe(app, role, custom(a, ends[j]), where=j == i)
    for preset in ("30d", "quarter", "year", "all", "period"):
        obs[preset] = observe(app, role, f"?t={preset}")
    obs["open-from"] = observe(app, role, custom(dt.date(2026, 7, 1), None))
    obs["open-to"] = observe(app, role, custom(None, dt.date(2026, 7, 31)))
    pairs = []
    for (a, b) in [k for k in obs if isinstance(k, tuple)]:
        for other in [(a, e) for e in ends if e > b][:1] + [(m, b) for m in months if a < m <= b][:1]:
            if other in obs:
                pairs.append(((a, b), other))
    pairs += [("all", p) for p in ("30d", "quarter", "year", "period", "open-from", "open-to")]
    pairs += [("year", "quarter"), ("quarter", "30d"), ("open-from", (dt.date(2026, 7, 1), ends[-1])),
              ("open-to", (dt.date(2026, 5, 1), dt.date(2026, 7, 31)))]
    check_pairs(f"{role}: ranges one month apart, presets", obs, pairs)


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_demo_data_month_ends_and_shown_cells(demo_path, role):
    """The demo's 24 months (600 reports, many cells, 'spridda', folded remainders): ranges
    growing month by month and by one day over a month's end, and each shown cell against
    the whole view."""
    app = create_app(open_store(demo_path), role=role, today=lambda: TODAY)
    first = dt.date(2024, 11, 1)
    ends = [dt.date(2024 + (11 + i) // 12, (11 + i) % 12 + 1, 1) - dt.timedelta(days=1) for i in range(1, 26)]
    obs, pairs = {}, []
    for i, end in enumerate(ends):
        obs[end] = observe(app, role, custom(first, end), where=i == 0)
        if i % 3 == 0:
            obs[("+1", end)] = observe(app, role, custom(first, end + dt.timedelta(days=1)), where=False)
            pairs.append((end, ("+1", end)))
    pairs += list(zip(ends, ends[1:], strict=False))
    whole = obs[ends[-1]]
    shown = [key[2] for key in whole if key[0] == "map"]
    assert shown
    for c in shown:
        obs[("cell", c)] = observe(app, role, custom(first, ends[-1]), {"type": "cell", "id": c}, where=False)
        pairs.append((ends[-1], ("cell", c)))
    check_pairs(f"{role}: demo data", obs, pairs)


# -- before and after an import --------------------------------------------------------------------

REQUESTS = ["?t=all", custom(dt.date(2026, 7, 1), dt.date(2026, 7, 31)), custom(dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
            custom(dt.date(2026, 10, 1), dt.date(2026, 12, 31)), "?t=30d"]
SELECTIONS = [None, {"type": "cell", "id": HOK_CELL}]
LATE = {  # one late report in a closed period and one in the open one
    "bra": [*tips("late-jul", 1, HOK, 7, 28), *tips("late-nov", 1, HOK, 11, 20)],
    "allmanhet": [*tips("late-aug", 1, HOK, 8, 28, "otrygg_plats"), *tips("late-nov", 1, HOK, 11, 20, "otrygg_plats")],
}
NEXT_CLOSE = {"bra": dt.date(2026, 12, 1), "allmanhet": dt.date(2027, 1, 1)}


def _observe_all(app, role):
    return {(r, str(s)): observe(app, role, r, s, where=r == "?t=all") for r in REQUESTS for s in SELECTIONS}


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_before_and_after_an_import(fresh_path, role):
    """A late tip imported while the server runs: within the same period nothing may change
    (not the running app after its re-read, not a new app on the next day); once `today`
    has passed the next period close, a figure may change only by at least k."""
    app = create_app(open_store(fresh_path), role=role, today=lambda: TODAY)
    before = _observe_all(app, role)
    open_store(fresh_path).add_reports(reports_frame(LATE[role]))
    views = app._trygghetskarta["views"]
    views.reload(open_store(fresh_path))  # what refresh_if_changed does a few seconds later
    running = _observe_all(app, role)
    tomorrow = _observe_all(create_app(open_store(fresh_path), role=role, today=lambda: TODAY + dt.timedelta(days=1)),
                            role)
    later = _observe_all(create_app(open_store(fresh_path), role=role, today=lambda: NEXT_CLOSE[role]), role)
    obs = {**{("before", k): v for k, v in before.items()}, **{("running", k): v for k, v in running.items()},
           **{("tomorrow", k): v for k, v in tomorrow.items()}, **{("later", k): v for k, v in later.items()}}
    pairs = [(("before", k), (when_, k)) for k in before for when_ in ("running", "tomorrow", "later")]
    pairs += [(("running", k), ("later", k)) for k in before]
    check_pairs(f"{role}: before/after an import", obs, pairs)
    changed = [k for k in before if before[k] != running[k] or before[k] != tomorrow[k]]
    assert not changed, f"{role}: a late import changed {len(changed)} views within the same period: {changed[:3]}"
