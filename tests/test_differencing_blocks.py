"""Differencing attacks on the block layout: what blocks, their starts and merging tell below k.

Which layers take part in merging, a layer below k in total, and the time chart's bins against
the published blocks.

The method, the hand-made data and `observe`: tests/privacy_harness.py. The attacks, by kind:
test_differencing.py (time ranges, imports), test_differencing_selections.py, test_differencing_filters.py,
test_differencing_exports.py, test_differencing_releases.py (the release, its revisions and settings),
test_differencing_blocks.py (what the block layout tells).
"""

from __future__ import annotations

import datetime as dt

from dashboard.app import create_app
from layers import privacy
from layers.store import GeoPackageStore, open_store
from tests import privacy_harness
from tests.helpers import SKILLINGARYD, VAGGERYD, reports_frame
from tests.privacy_harness import (
    HOK,
    K,
    _build,
    _export_counts,
    custom,
    filters,
    observe,
    tips,
    violations,
)
from tests.test_dashboard_roles import _call, _callbacks

# The harness's module fixtures, bound here so that this module has its own instances.
base_path, apps = privacy_harness.base_path, privacy_harness.apps


# -- leaks the review found, fixed (each test states the attack) -----------------------------------

def test_the_block_structure_does_not_tell_0_from_1_to_k_minus_1(apps):
    """Found: a month with 0 tips was published as 0 while a month with 1..k-1 was merged with
    the next (or waited), so the block structure said which closed months had 1..k-1 tips.
    Now 0 counts as fewer than k: June (0) is merged like August (1) and waits like October (2)."""
    app = apps["bra"]
    cbs = _callbacks(app)

    def chart(a, b):
        return _call(cbs["render_charts"], "filters.data", filters(app, custom(a, b, "&ly=narkotika")))[1]

    def note(a, b):
        return _call(cbs["render_map"], "filters.data", filters(app, custom(a, b, "&ly=narkotika")), None, None)[1]

    june, august = chart(dt.date(2026, 6, 1), dt.date(2026, 6, 30)), chart(dt.date(2026, 8, 1), dt.date(2026, 8, 31))
    facts = {
        "june (0 tips)": (note(dt.date(2026, 6, 1), dt.date(2026, 6, 30)), [tr["x"] for tr in june.get("data", [])]),
        "august (1 tip)": (note(dt.date(2026, 8, 1), dt.date(2026, 8, 31)), [tr["x"] for tr in august["data"]]),
        "october (2 tips)": (note(dt.date(2026, 10, 1), dt.date(2026, 10, 31)), None),
    }
    distinguishable = ("visar jun 2026" in facts["june (0 tips)"][0]
                       and ("aug–sep" in facts["august (1 tip)"][0] or "inga publicerade" in facts["october (2 tips)"][0]))
    assert not distinguishable, (
        "LEAK: a closed period's block structure tells 0 from 1..k-1. A month with 0 tips is its own block, a month "
        "with 1..k-1 is merged into the next or waits, so asking for one month shows whether it had 1..4 tips: "
        + "; ".join(f"{k}: {v[0].split(' · ')[-2]}" for k, v in facts.items())
        + ". Fix: treat 0 like 1..k-1 when merging (a block closes only when each layer has ≥ k, or after a maximum "
          "length, publishing small layers as 'färre än k'), so that an unmerged period always has ≥ k.")


# -- second review (attacks on the rules added by the fixes) -----------------------------------------

def _layout(release) -> list:
    """What a reduced role sees of a release's layout: block labels and per block the layers published."""
    from dashboard.figures import block_label

    published = release.counts.groupby("block")["layer"].unique()
    return [(block_label(b, "sv"), sorted(published.get(i, []))) for i, b in enumerate(release.blocks)]


def test_the_first_block_does_not_start_at_the_first_report(tmp_path):
    """Attack: the first block begins at the first period that has a report (`_new_blocks`
    takes its origin from the data), and a block of several periods closes only when the
    layer reaches k. So a first block 'mar–apr 2026' says March had 1..k-1 tips: with 0 in
    March it would be 'apr 2026', with >= k two blocks. The same for history imported later
    before the first block: its run starts at the first imported month."""
    notes = {}
    for march in (0, 2):
        store = GeoPackageStore.create(tmp_path / f"march{march}.gpkg")
        store.add_reports(reports_frame(tips("m", march, HOK, 3, 3) + tips("a", 6, VAGGERYD, 4, 3)))
        app = create_app(open_store(store.path), role="bra", today=lambda: dt.date(2026, 5, 10))
        note = _call(_callbacks(app)["render_map"], "filters.data", filters(app, "?t=all&ly=narkotika"), None, None)[1]
        notes[march] = next(s for s in str(note).split(" · ") if s.startswith("Narkotikatips: visar"))
    # History imported after the first release: Feb 2 + Mar 4 against Mar 6 (the first block is April).
    pol = privacy.policy("bra")
    april = tips("a", 6, VAGGERYD, 4, 3)
    history = {}
    for name, rows in (("feb 2 + mar 4", tips("hf", 2, HOK, 2, 3) + tips("hm", 4, HOK, 3, 3)),
                       ("feb 0 + mar 6", tips("hm", 6, HOK, 3, 3))):
        first = _build(pol, april, dt.date(2026, 5, 1))
        history[name] = _layout(_build(pol, april + rows, dt.date(2026, 6, 1), first))
    same = notes[0] == notes[2] and history["feb 2 + mar 4"][0][0] == history["feb 0 + mar 6"][0][0]
    assert same, (
        f"LEAK: the first block starts at the first month with a tip, so a merged first block says that month had "
        f"1..{K - 1}: March 0 tips -> '{notes[0]}', March 2 tips -> '{notes[2]}'; history imported before the first "
        f"block: {history}. Fix: start the block layout at a data-independent origin (e.g. the promise period's "
        "start, config.period_start, or a fixed release_start setting) with every earlier report in the first block, "
        "never at min(period of the rows).")


def test_a_layer_crossing_k_changes_the_layout_only_as_far_as_k():
    """Attack (second review) on how layers take part in merging. Two worlds that differ only
    by 4 hastighet reports in Q1 (never published alone). Whoever knows that otrygga platser
    had ≥ k each quarter (a BRÅ member sees them as points to the hour) reads hastighet from
    the layout. Since every layer takes part whatever its data (the rule that found this,
    'a layer below k in total takes no part', is gone), what the layout says is only: a
    block closed when hastighet reached k (its figure, ≥ k, is published), or it waits
    (below k, 0 included). In the first world Q1–Q3 closes with hastighet 5: Q1–Q2 was
    0..4 and Q3 1..5 — an interval that reaches k, never a count pinned to 1..k−1; the
    other world waits for the year-long block. Residual, documented in docs/roller.md: the
    period in which a merged block closes held at least one report of the layer that held
    it back."""
    settings = privacy.PrivacySettings(layer_modes={"bra": {"hastighet": "hidden"}})
    pol = privacy.policy("allmanhet", settings)
    assert privacy.policy("bra", settings).mode("otrygg_plats") == privacy.POINTS  # bra knows it per hour
    o, h = "otrygg_plats", "hastighet"
    otrygg = [r for q in range(4) for r in tips(f"o{q}", 6, HOK, 1 + 3 * q, 3, o)]
    worlds = {"hastighet Q1 4, Q3 1": tips("b1", 4, VAGGERYD, 2, 3, h) + tips("b3", 1, VAGGERYD, 8, 3, h),
              "hastighet Q1 0, Q3 1": tips("b3", 1, VAGGERYD, 8, 3, h)}
    seen, releases = {}, {}
    for name, rows in worlds.items():
        previous, seen[name], releases[name] = None, [], []
        for today in (dt.date(2026, 4, 1), dt.date(2026, 7, 1), dt.date(2026, 10, 1), dt.date(2027, 1, 1)):
            previous = _build(pol, otrygg + rows, today, previous, kind="quarter")
            seen[name].append(_layout(previous))
            releases[name].append(previous)
    a, b = seen.values()
    assert a[:2] == b[:2]  # through Q2 the two worlds look the same (the held-back 4 is not visible)
    for name, series in releases.items():
        for release in series:
            assert (release.counts["count"] >= K).all(), (name, release.counts)
    # The first world publishes hastighet as 5 for Q1–Q3; the second waits and then closes the
    # year with hastighet 1 unpublished: the only difference is 'reached k' against 'did not'.
    first = releases["hastighet Q1 4, Q3 1"][2]
    speed = first.counts[first.counts["layer"] == h]
    assert speed["count"].sum() == 5 and first.blocks[speed["block"].iloc[0]].periods == 3
    last = releases["hastighet Q1 0, Q3 1"][3]
    assert h not in set(last.counts["layer"]) and last.blocks[-1].periods == 4


def _observe_public(path, today):
    app = create_app(open_store(path), role="allmanhet", today=lambda: today)
    return {rng: observe(app, "allmanhet", rng, where=rng == "?t=all")
            for rng in ("?t=all", custom(dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
                        custom(dt.date(2026, 4, 1), dt.date(2026, 6, 30)))}


def test_a_layer_below_k_in_total_looks_exactly_like_an_empty_one(tmp_path):
    """The moment before a layer reaches k in total: hastighet 4 (held back) or 0 must give
    the public the same map, notes, time chart (a trace of None bars either way), where
    tables and export; and once it has k, its first block says no more than 'k or more'."""
    o, h = "otrygg_plats", "hastighet"
    otrygg = [*tips("o1", 6, HOK, 2, 3, o), *tips("o2", 7, VAGGERYD, 5, 3, o)]
    seen, exported = {}, {}
    for held in (0, 4):
        store = GeoPackageStore.create(tmp_path / f"h{held}.gpkg")
        store.add_reports(reports_frame(otrygg + tips("h", held, SKILLINGARYD, 2, 3, h)))
        seen[held] = _observe_public(store.path, dt.date(2026, 7, 1))
        from dashboard.export import export

        out = tmp_path / f"h{held}.csv"
        export(open_store(store.path), out, "csv", role="allmanhet", today=dt.date(2026, 7, 1))
        exported[held] = _export_counts({"trygghetskarta.csv": out.read_bytes()}, "allmanhet")
        app = create_app(open_store(store.path), role="allmanhet", today=lambda: dt.date(2026, 7, 1))
        chart = _call(_callbacks(app)["render_charts"], "filters.data", filters(app, "?t=all"))[1]
        seen[held]["traces"] = {tr["meta"]: tuple(tr["y"]) for tr in chart["data"]}
    assert seen[0] == seen[4] and exported[0] == exported[4], (seen, exported)
    # Every layer takes part: Q1–Q2 wait for hastighet in both worlds, so nothing differs.
    assert not any(k[0] == "map" for k in seen[4]["?t=all"]), seen[4]["?t=all"]
    # Five more in Q3: the first published hastighet figure is a whole block of >= k (no earlier block changes).
    store = open_store(tmp_path / "h4.gpkg")
    store.add_reports(reports_frame(tips("h3", 5, HOK, 8, 3, h) + tips("o3", 5, HOK, 8, 3, o)))
    later = _observe_public(store.path, dt.date(2026, 10, 1))
    assert not violations(later["?t=all"], seen[4]["?t=all"])
    assert any(k[1] == h for k in later["?t=all"] if k[0] in ("map", "spridda", "övriga")), later["?t=all"]
    for rng in list(seen[4])[1:3]:
        assert not violations(later[rng], seen[4][rng]), rng


def test_time_chart_bins_are_published_blocks_or_months_outside_them(apps):
    """bra: points layers' months are binned into the chosen release blocks; every bin is a
    published block or a month no block covers (the open and the waiting month), the
    narcotics trace is None exactly where nothing is published, and a block boundary a bar
    shows is one the release publishes anyway (so the points bars add no boundary)."""
    from dashboard.figures import block_label

    app = apps["bra"]
    release = app._trygghetskarta["views"].role_data("bra").release
    published = {block_label(b, "sv"): b for b in release.blocks}
    months = {dt.date(2026, m, 1) for m in range(1, 13)}
    covered = {m for m in months if any(b.start <= m < b.end for b in release.blocks)}
    checked, branches = 0, {True: 0, False: 0}
    for a, b in [(dt.date(2026, 7, 1), dt.date(2026, 7, 31)), (dt.date(2026, 6, 15), dt.date(2026, 8, 15)),
                 (dt.date(2026, 9, 1), dt.date(2026, 11, 26)), (None, None), (dt.date(2026, 10, 1), None)]:
        chart = _call(_callbacks(app)["render_charts"], "filters.data", filters(app, custom(a, b)))[1]
        for trace in chart.get("data", []):
            for x, y in zip(trace["x"], trace["y"], strict=True):
                checked += 1
                branches[x in published] += 1
                if x in published:
                    assert trace["meta"] != "narkotika" or y is not None, (a, b, x)
                else:
                    month = next(m for m in months if block_label(_month_block(m), "sv") == x)
                    assert month not in covered, (a, b, x)
                    assert trace["meta"] != "narkotika" or y is None, (a, b, x, y)
    assert checked > 20 and branches[True] and branches[False], branches


def _month_block(month: dt.date):
    from layers.release import Block, period_of

    p = int(period_of(month.year, month.month, "month"))
    return Block(p, p, "month")
