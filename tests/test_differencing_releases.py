"""Differencing attacks on the release itself: its units, its revisions, its settings, an upgrade.

The release of the hand-made data, revisions when periods close and reports arrive late or leave,
settings for two roles or changed after publishing, and the first views after an upgrade from
schema 1 (release-specific: these need the release design).

The method, the hand-made data and `observe`: tests/privacy_harness.py. The attacks, by kind:
test_differencing.py (time ranges, imports), test_differencing_selections.py, test_differencing_filters.py,
test_differencing_exports.py, test_differencing_releases.py (the release, its revisions and settings),
test_differencing_blocks.py (what the block layout tells).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from dashboard.app import create_app
from layers import privacy
from layers.store import GeoPackageStore, open_store
from tests import privacy_harness
from tests.helpers import SKILLINGARYD, VAGGERYD, reports_frame
from tests.privacy_harness import (
    CELLS_LAYERS,
    HOK,
    KLEVSHULT,
    TODAY,
    K,
    _build,
    check_pairs,
    custom,
    observe,
    tips,
    violations,
)

# The harness's module fixtures, bound here so that this module has its own instances.
base_path, fresh_path, apps = privacy_harness.base_path, privacy_harness.fresh_path, privacy_harness.apps


# -- release-specific (new design only) --------------------------------------------------------------

def _release(path, role, today=TODAY):
    from layers.release_store import current_release

    return current_release(open_store(path), role, today)


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_the_release_of_the_hand_made_data(fresh_path, role):
    """The release the attacks above ran against: every unit ≥ k, and the partition and
    merges described in narcotics_rows()/public_rows()."""
    from layers.release import release_rows
    from layers.release_store import release_frame

    release = _release(fresh_path, role)
    assert (release.counts["count"] >= K).all()
    table = release_frame(release)
    got = sorted((r.start[:7], r.end[:7], r.layer, r.kind, r.unit, r.count) for r in table.itertuples())
    if role == "bra":
        # From the series' origin (1 January two years back): 2024 and 2025 are year-long
        # blocks with nothing; January–April 2026 closes with April's tips.
        assert [(b.start.isoformat(), b.periods) for b in release.blocks] == [
            ("2024-01-01", 12), ("2025-01-01", 12), ("2026-01-01", 4), ("2026-05-01", 1), ("2026-06-01", 2),
            ("2026-08-01", 2)]
        assert [(s, e, kind, n) for s, e, _l, kind, _u, n in got] == [
            ("2026-01", "2026-05", "cell", 6), ("2026-01", "2026-05", "kommun", 5),
            ("2026-05", "2026-06", "cell", 6), ("2026-05", "2026-06", "locality", 6),
            ("2026-06", "2026-08", "cell", 9), ("2026-06", "2026-08", "kommun", 6),
            ("2026-08", "2026-10", "cell", 5), ("2026-08", "2026-10", "kommun", 6)]
    else:
        assert [(b.start.isoformat(), b.periods) for b in release.blocks] == [
            ("2024-01-01", 4), ("2025-01-01", 4), ("2026-01-01", 2), ("2026-07-01", 1)]
        assert [(e, lid, kind, n) for _s, e, lid, kind, _u, n in got] == [
            ("2026-07", "hastighet", "cell", 5), ("2026-07", "hastighet", "cell", 6),
            ("2026-07", "otrygg_plats", "cell", 8), ("2026-07", "otrygg_plats", "kommun", 5),
            ("2026-07", "otrygg_plats", "locality", 6),
            ("2026-10", "hastighet", "kommun", 7), ("2026-10", "otrygg_plats", "cell", 6),
            ("2026-10", "otrygg_plats", "kommun", 5)]
    # The figures the attacks read are these units: map + spridda + övriga = the release.
    app = create_app(open_store(fresh_path), role=role, today=lambda: TODAY)
    seen = observe(app, role, "?t=all")
    for lid in release.layers:
        shown = sum(v for k, v in seen.items() if k[0] in ("map", "spridda", "övriga") and k[1] == lid)
        assert shown == release.total(lid) > 0
    assert seen[("title-points-shown",)] == 0 and seen[("footer", "locality", 0)] == release.total()
    # Every report of the published blocks is in exactly one unit.
    store = open_store(fresh_path)
    pol = privacy.policy(role, store.config.privacy, store.config.layers)
    rows = release_rows(store.read_table("reports"), pol, "0665", release.kind)
    published = {p for b in release.blocks for p in range(b.first, b.last + 1)}
    assert release.total() == int(rows["period"].isin(published).sum())


def test_a_revision_moves_no_report_below_k_when_periods_close(fresh_path):
    """Late tips, one at a time, each followed by a period close: every revision's change of
    every unit (and of every block total) is 0 or ≥ k."""
    from layers.release_store import load_release

    store = open_store(fresh_path)
    first = _release(fresh_path, "bra")
    previous = first
    for n, (month, today) in enumerate([(7, dt.date(2026, 12, 1)), (7, dt.date(2027, 1, 1)), (5, dt.date(2027, 2, 1)),
                                        (7, dt.date(2027, 3, 1)), (7, dt.date(2027, 4, 1)), (7, dt.date(2027, 5, 1))]):
        store.add_reports(reports_frame(tips(f"rev{n}-", 1, HOK, month, 27)))
        current = _release(fresh_path, "bra", today)
        assert current.version > previous.version
        old = previous.counts.groupby(["block", "layer", "kind", "unit"])["count"].sum()
        shared = [b for b in previous.blocks if b in current.blocks]
        new = current.counts.assign(block=[current.blocks[i] for i in current.counts["block"]])
        new = new[new["block"].isin(shared)]
        new = new.assign(block=[previous.blocks.index(b) for b in new["block"]])
        new = new.groupby(["block", "layer", "kind", "unit"])["count"].sum()
        change = new.sub(old, fill_value=0)
        assert ((change == 0) | (change.abs() >= K)).all(), change[(change != 0) & (change.abs() < K)]
        previous = current
    # Five late Hok tips in July (n = 0, 1, 3, 4, 5): the sixth release shows them all at once.
    july = [i for i, b in enumerate(previous.blocks) if b.start == dt.date(2026, 6, 1)][0]  # jun–jul
    hok = previous.counts[(previous.counts["block"] == july) & (previous.counts["kind"] == "cell")]
    assert hok["count"].tolist() == [14]
    assert load_release(fresh_path, "bra", version=first.version).total() == first.total()


# -- leaks the review found, fixed (each test states the attack) -----------------------------------

def _hastighet_store(path):
    """hastighet in one Vaggeryd cell: January 5, March 2; Hok 5 in March; no narcotics."""
    store = GeoPackageStore.create(path)
    store.add_reports(reports_frame([*tips("jan", 5, VAGGERYD, 1, 5, "hastighet"),
                                     *tips("mar", 2, VAGGERYD, 3, 5, "hastighet"),
                                     *tips("hok", 5, HOK, 3, 10, "hastighet")]))
    return store


def _cells(app, search, role) -> dict:
    return {k[2]: v for k, v in observe(app, role, search, where=False).items() if k[0] == "map"}


def test_two_roles_cannot_see_one_layer_as_cells(tmp_path):
    """Found: with a layer in cells mode for both reduced roles, bra's monthly release and the
    public's quarterly one were built independently, and a BRÅ participant (who can also open
    the public map) subtracted them. Such settings are now refused; with the layer hidden from
    the public, the two views share nothing to subtract."""
    store = _hastighet_store(tmp_path / "two.gpkg")
    with pytest.raises(privacy.PrivacyError, match="hastighet is shown as cells to both bra and allmanhet"):
        privacy.PrivacySettings(layer_modes={"bra": {"hastighet": "cells"}})
    store.set_privacy(privacy.PrivacySettings(layer_modes={"bra": {"hastighet": "cells"},
                                                           "allmanhet": {"hastighet": "hidden"}}))
    bra = create_app(open_store(store.path), role="bra", today=lambda: dt.date(2026, 4, 15))
    public = create_app(open_store(store.path), role="allmanhet", today=lambda: dt.date(2026, 4, 15))
    q1 = custom(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    seen_bra = {k: v for k, v in observe(bra, "bra", q1 + "&ly=hastighet", where=False,
                                         layers=("narkotika", "hastighet")).items() if k[0] == "map"}
    seen_public = {k: v for k, v in observe(public, "allmanhet", q1, where=False).items() if k[0] == "map"}
    bad = violations(seen_public, seen_bra)
    assert not bad, (
        f"LEAK: bra {seen_bra} vs allmanhet {seen_public} for the same three months: {bad} - the cell had exactly "
        "that many reports in February–March. Fix: one release per layer shared by every role that sees it as cells "
        "(blocks of the coarsest period a multiple of the finer, units the same), or refuse cells mode for a layer "
        "in two roles with different periods.")


def test_a_settings_change_after_publishing_needs_republish(tmp_path):
    """Found: `privacy set` (period, k or cell size) made a new release series from scratch,
    and what was published before stays known: the public saw Q1 Vaggeryd cell 7, after a
    change to monthly releases January 5 — so February–March had exactly 2. The command now
    refuses once releases exist, unless --republish accepts it (audited); the comparison below
    is what --republish accepts, so it is shown, not asserted away."""
    from click.testing import CliRunner

    from dashboard.cli import main
    from layers.audit import read_audit

    store = _hastighet_store(tmp_path / "series.gpkg")
    today = dt.date(2026, 4, 15)
    # A release exists once the public has looked (what it shows does not matter here).
    _cells(create_app(open_store(store.path), role="allmanhet", today=lambda: today),
           custom(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), "allmanhet")
    refused = CliRunner().invoke(main, ["privacy", "set", "--data", str(store.path), "period.allmanhet=month"])
    assert refused.exit_code == 1 and "releases are already published" in refused.output
    assert "--republish" in refused.output and open_store(store.path).config.privacy.period("allmanhet") == "quarter"
    accepted = CliRunner().invoke(main, ["privacy", "set", "--data", str(store.path), "period.allmanhet=month",
                                         "--republish"])
    assert accepted.exit_code == 0, accepted.output
    assert read_audit(store.path, event="privacy_set")["detail"].iloc[-1]["republish"] is True
    assert open_store(store.path).config.privacy.period("allmanhet") == "month"


def test_a_revision_never_publishes_a_unit_below_k_when_reports_leave_it():
    """Found: `_revise` published a unit's true count when it moved by ≥ k, also when it was
    now 1..k-1 (reports removed in the data file, e.g. edited in QGIS). Now it keeps the old one."""
    from layers.release import build_release, release_rows

    pol = privacy.policy("bra")
    rows = tips("h", 6, HOK, 1, 3)

    def build(reports, today, previous=None):
        gdf = reports_frame(reports)
        frame = pd.DataFrame({"id": gdf["id"], "layer": gdf["layer"], "occurred_at": gdf["occurred_at"],
                              "x": gdf.geometry.x, "y": gdf.geometry.y})
        return build_release(release_rows(frame, pol, "0665", "month"), pol, "0665", today, "month", previous)

    first = build(rows + tips("late", 5, HOK, 1, 20), dt.date(2026, 2, 1))
    second = build(rows[:1], dt.date(2026, 3, 1), first)  # ten of the eleven are gone
    counts = second.counts["count"].tolist()
    assert all(c == 0 or c >= K for c in counts), (
        f"LEAK (needs reports to disappear from the data file): the revised January cell is published as {counts} "
        f"(first release {first.counts['count'].tolist()}). Fix: in _revise publish `now` only when it is 0 or ≥ k "
        "(else keep the old figure or fold the unit into the remainder).")


# -- second review (attacks on the rules added by the fixes) -----------------------------------------

def test_a_revision_moves_no_sum_of_units_by_less_than_k():
    """Attack: each unit of a frozen block moves only by >= k and only to 0 or >= k, but two
    units moving at once (one to 0 after its reports were deleted or moved, another up by k
    from late reports) change the block's total, the time chart's bar and the 'where' footer
    by their difference, which can be 1..k-1."""
    pol = privacy.policy("bra")
    january = tips("h", 6, HOK, 1, 3) + tips("v", 2, VAGGERYD, 1, 3) + tips("s", 3, SKILLINGARYD, 1, 10)
    first = _build(pol, january, dt.date(2026, 2, 1))  # Hok cell 6, övriga 5: 11
    # The six Hok tips are removed from the data file (duplicates, edited away in QGIS); five late tips elsewhere.
    second = _build(pol, january[6:] + tips("late", 5, KLEVSHULT, 1, 20), dt.date(2026, 3, 1), first)
    units = {(r.kind, r.unit): (r.count,) for r in first.counts.itertuples()}
    for r in second.counts.itertuples():
        units[(r.kind, r.unit)] = units.get((r.kind, r.unit), (0,)) + (r.count,)
    change = second.total() - first.total()
    assert change == 0 or abs(change) >= K, (
        f"LEAK: (needs reports to leave the data file) units {units}; the January total goes from {first.total()} "
        f"to {second.total()} ({change:+d}): the bar and footer differ by {abs(change)}. Fix: in _revise never "
        "lower a published unit (publish `now` only when now >= old + k), so every change of every sum is 0 or >= k; "
        "removals wait for a --republish.")


def test_fresh_partitions_and_revisions_over_several_closes_never_differ_below_k():
    """The public's hastighet held back in Q1 (3, not counted), then late reports into Q1
    (fresh partition once >= k), Q2 (a published block: revised by >= k only) and Q3, over
    five quarter closes: every pair of releases (not only consecutive ones), every unit,
    every block and layer total, and every release total differ by 0 or >= k."""
    pol = privacy.policy("allmanhet")
    o, h = "otrygg_plats", "hastighet"
    rows = [*tips("o1", 6, HOK, 2, 3, o), *tips("o2", 6, VAGGERYD, 5, 3, o), *tips("h1", 3, SKILLINGARYD, 2, 3, h)]
    late = {  # quarter close -> reports imported just before it
        dt.date(2026, 10, 1): tips("l1", 1, SKILLINGARYD, 3, 20, h) + tips("o3", 6, HOK, 8, 3, o)
        + tips("h3", 2, HOK, 8, 20, h),  # Q1 hastighet 4 (held); Q3 waits for hastighet (now counted)
        dt.date(2027, 1, 1): tips("l2", 1, SKILLINGARYD, 2, 25, h) + tips("l3", 3, KLEVSHULT, 6, 20, h)
        + tips("h4", 6, HOK, 11, 2, h) + tips("o4", 6, VAGGERYD, 11, 3, o),  # Q1 5: afresh; Q2 3 held; Q3–Q4
        dt.date(2027, 4, 1): tips("l4", 2, KLEVSHULT, 4, 25, h) + tips("l5", 1, HOK, 1, 2, h),  # Q2 5: afresh
        dt.date(2027, 7, 1): tips("l6", 5, SKILLINGARYD, 1, 7, h) + tips("l7", 4, HOK, 9, 7, h)}  # +5, +4 held
    releases, previous = [], None
    for today in (dt.date(2026, 7, 1), *late):
        rows += late.get(today, [])
        previous = _build(pol, rows, today, previous, kind="quarter")
        releases.append(previous)

    def figures(rel):
        c = rel.counts.assign(start=[rel.blocks[i].start for i in rel.counts["block"]])
        out = {("unit", s, lid, kind, u): n for s, lid, kind, u, n in zip(c["start"], c["layer"], c["kind"], c["unit"],
                                                                          c["count"], strict=True)}
        out.update({("block", s, lid): int(n) for (s, lid), n in c.groupby(["start", "layer"])["count"].sum().items()})
        out.update({("layer", lid): int(n) for lid, n in c.groupby("layer")["count"].sum().items()})
        out[("all",)] = int(c["count"].sum())
        return out

    obs = {i: figures(r) for i, r in enumerate(releases)}
    check_pairs("allmanhet: release versions with late reports and fresh partitions", obs,
                [(i, j) for i in obs for j in obs if i < j])
    last = obs[len(obs) - 1]
    speed = {key[1]: n for key, n in last.items() if key[0] == "block" and key[2] == h}
    # Nothing of hastighet at first; in the end its early quarters are published, each block ≥ k.
    assert not any(key[0] == "block" and key[2] == h for key in obs[0])
    assert speed and min(speed) <= dt.date(2026, 4, 1) and min(speed.values()) >= K, last


def test_the_first_views_after_an_upgrade_from_schema_1(base_path, tmp_path, apps):
    """A data file of schema version 1 (no releases, no settings) is upgraded at open; its
    first views for bra and the public are a release built afresh, exactly those of a file
    made today, and no figure of them is 1..k-1."""
    import sqlite3

    old = tmp_path / "v1.gpkg"
    shutil.copy(base_path, old)
    conn = sqlite3.connect(old)
    with conn:
        for table in ("release_runs", "release_blocks", "release_counts"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (table,))
        conn.execute("DELETE FROM trygghetskarta_meta WHERE key IN ('privacy', 'order_secret')")
        conn.execute("UPDATE trygghetskarta_meta SET value = '1' WHERE key = 'schema_version'")
    conn.close()
    for role in CELLS_LAYERS:
        upgraded = create_app(open_store(old), role=role, today=lambda: TODAY)
        for rng in ("?t=all",):
            seen = observe(upgraded, role, rng)
            assert not violations(seen), (role, rng, violations(seen))
            assert seen == observe(apps[role], role, rng), (role, rng)
