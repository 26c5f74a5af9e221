"""Differencing attacks by filter: focus area, status, weekday, hour and layer filters.

Each against the unfiltered view and the filter it narrows, at all time and at month ranges a day apart.

The method, the hand-made data and `observe`: tests/privacy_harness.py. The attacks, by kind:
test_differencing.py (time ranges, imports), test_differencing_selections.py, test_differencing_filters.py,
test_differencing_exports.py, test_differencing_releases.py (the release, its revisions and settings),
test_differencing_blocks.py (what the block layout tells).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests import privacy_harness
from tests.privacy_harness import (
    check_pairs,
    custom,
    observe,
)

# The harness's module fixtures, bound here so that this module has its own instances.
base_path, apps = privacy_harness.base_path, privacy_harness.apps


# -- filters ---------------------------------------------------------------------------------------

VARIANTS = ["st=ny", "wd=5,6", "h=20-23", "fa=narkotika", "fa=trygghet",
            "fa=trygghet,trafik", "ly=narkotika", "ly=otrygg_plats", "ly=otrygg_plats,hastighet", "ly=aktivitet",
            "act=polis", "wd=5,6&h=20-23&st=ny", "fa=trygghet&ly=otrygg_plats"]


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_focus_status_weekday_hour_and_layer_filters(apps, role):
    """Each filter against the unfiltered view and against the filter it narrows, at all
    time and at month ranges (also one day apart)."""
    app = apps[role]
    ranges = ["?t=all", custom(dt.date(2026, 7, 1), dt.date(2026, 7, 31)), custom(dt.date(2026, 7, 1), dt.date(2026, 8, 1))]
    obs, pairs = {}, []
    for rng in ranges:
        obs[(rng, "")] = observe(app, role, rng, where=rng == "?t=all")
        for v in VARIANTS:
            obs[(rng, v)] = observe(app, role, rng + "&" + v, where=rng == "?t=all")
            pairs.append(((rng, ""), (rng, v)))
        narrower = {"ly=otrygg_plats,hastighet": ["ly=otrygg_plats"], "fa=trygghet,trafik": ["fa=trygghet"],
                    "st=ny": ["wd=5,6&h=20-23&st=ny"], "wd=5,6": ["wd=5,6&h=20-23&st=ny"],
                    "fa=trygghet": ["fa=trygghet&ly=otrygg_plats"], "ly=aktivitet": ["act=polis"]}
        pairs += [((rng, a), (rng, b)) for a, bs in narrower.items() for b in bs]
    pairs += [((a, v), (b, v)) for v in ["", *VARIANTS] for a, b in zip(ranges[1:], ranges[2:], strict=False)]
    check_pairs(f"{role}: focus/status/weekday/hour/layer filters", obs, pairs)
