"""Adversarial privacy review of the indicator cards and the meeting report for the reduced roles:
tests/test_privacy_issue13.py's two worlds (files that differ only in facts finer than the release)
answer alike in every card and in the report's content, every window a card counts a cells-mode
layer over is 0, 'fewer than k' or ≥ k and differs from a window around it by 0 or ≥ k, and the
report button refuses a period finer than the role's published ones.
"""

from __future__ import annotations

import datetime as dt

import pytest

import tests.privacy_harness as D
import tests.test_privacy_issue13 as T13
from dashboard.app import create_app
from layers.store import open_store
from tests.dash_fixtures import call
from tests.test_privacy_issue13 import (
    FULL,
    FULL_DAYS,
    TODAY,
    K,
    _d,
    _first_difference,
    _span,
    by_output,
    dumps,
    requests,
)

# tests/test_privacy_issue13.py's module fixtures, bound by name (one instance in this module too).
world_paths = T13.world_paths
worlds = T13.worlds


def cards(app, state: dict):
    return call(by_output(app, "indicator-cards.children"), "filters.data", state)


# -- 1. indicator cards ----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_indicator_cards_two_worlds_alike(worlds, role):
    """The indicator cards (period before, last year, year to date, 28 days: each window counted
    from the role's frames) for the same requests: byte-identical in both worlds."""
    apps, diffs = worlds[role], []
    reqs = requests(role)
    for search in reqs:
        a, b = (dumps(cards(apps[w], D.filters(apps[w], search))) for w in "AB")
        if a != b:
            diffs.append((search, _first_difference(a, b)))
    print(f"\n[issue13] cards {role}: {len(reqs)} requests per world")
    assert not diffs, f"{role}: {len(diffs)} card answers tell world A from world B; first: {diffs[0]}"


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_card_window_counts_are_consistent_and_nested_differences_not_below_k(worlds, role):
    """Each window a card counts a cells-mode layer over (from `analysis_view.comparisons`, what
    the sentences say) has one count whatever the request, that count is 0, 'fewer than k' or ≥ k,
    and a window inside another differs from it by 0 or ≥ k (what an attacker subtracts)."""
    from dashboard.analysis_view import Below, card_layers, comparisons
    from dashboard.filters import FilterState

    app = worlds["hs-" + role]["A"]
    views = app._trygghetskarta["views"]
    days = FULL_DAYS[role] if FULL else _span(_d(3, 1), _d(11, 26))[::9]
    # Whole months and quarters (their windows are whole blocks), and runs of days.
    searches = (requests(role) + [D.custom(_d(m, 1), _d(m + n, 1) - dt.timedelta(days=1)) for m in range(1, 11)
                                  for n in (1, 2, 3) if m + n <= 12]
                + [D.custom(d, d + dt.timedelta(days=n)) for d in days for n in (0, 27)])
    counts: dict[tuple, int] = {}
    for search in searches:
        state = FilterState.from_dict(D.filters(app, search))
        layers = tuple(lid for lids in card_layers(state, views.data, views.policy(role)).values() for lid in lids
                       if lid in D.CELLS_LAYERS[role])
        for c in comparisons(lambda s: views.get(s, role), state, views.data, TODAY, layers):
            for span, found in ((c.current, c.counts), (c.base, c.base_counts)):
                for lid, n in found.items():
                    if n is None:
                        continue
                    value = 0 if isinstance(n, Below) else n
                    assert value == 0 or value >= K, (search, c.name, span, lid, n)
                    key = (lid, span)
                    assert counts.setdefault(key, value) == value, (search, key, counts[key], value)
    # bra's months give many whole-block windows; the public's quarters few (Q1 and Q2 merge).
    assert len(counts) >= (6 if role == "bra" else 2), counts
    assert any(v >= K for v in counts.values())
    nested = 0
    for (la, sa), a in counts.items():
        for (lb, sb), b in counts.items():
            if la == lb and (sa != sb) and sb[0] <= sa[0] and sa[1] <= sb[1]:
                nested += 1
                assert not 0 < b - a < K, (la, sa, a, sb, b)
    print(f"\n[issue13] card windows {role}: {len(searches)} requests, {len(counts)} (layer, window) counts, "
          f"{nested} nested pairs")
    assert nested >= (2 if role == "bra" else 0)


# -- 2. the meeting report's content -----------------------------------------------------------------

def report_content(path, period: str, role: str, lang: str = "sv") -> str:
    """The report's content as `dashboard.report.build_html` makes it before drawing (every text,
    number and figure it renders), as JSON."""
    from dashboard.data import load
    from dashboard.report import _follow_up
    from dashboard.report.content import build_content
    from dashboard.report.period import ReportError, check_period, parse_period

    store = open_store(path)
    data = load(store)
    app = create_app(store, today=lambda: TODAY, data=data, role=role)
    views = app._trygghetskarta["views"]
    chosen = parse_period(period)
    try:
        check_period(chosen, views.policy(role), views.settings, None)
        report = build_content(data, views.get, views.policy(role), chosen, lang, TODAY,
                               follow_up=_follow_up(data, views, role, chosen, TODAY))
    except ReportError as exc:  # refused or nothing to say: the same words in both worlds
        return f"ReportError: {exc}"
    return dumps(report)


REPORT_PERIODS = {"bra": ("2026-07", "2026-08", "2026-10", "2026-11", "2026-Q3", "2026"),
                  "allmanhet": ("2026-Q2", "2026-Q3", "2026-Q4", "2026")}


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_report_content_two_worlds_alike(world_paths, role):
    """The meeting report (summary sentences per window: the period before on the same days, last
    year, year to date; places, activities, maps, trend and weekday charts) of the moved reports'
    months, quarters and year, also the held-back and open ones, and in English: the same in both worlds."""
    diffs, made = [], 0
    periods = REPORT_PERIODS[role]
    for period in periods:
        for lang in ("sv", "en") if period == periods[-1] else ("sv",):
            a, b = (report_content(world_paths[(role, w)], period, role, lang) for w in "AB")
            made += not a.startswith("ReportError")
            if a != b:
                diffs.append((period, lang, _first_difference(a, b)))
    assert not diffs, f"{role}: {len(diffs)} reports tell world A from world B; first: {diffs[0]}"
    assert made >= 3


def test_report_periods_finer_than_the_release_are_refused_by_the_button(worlds, monkeypatch):
    """The button's callback with forged periods: allmanhet (quarters) gets no month's report,
    garbage is one clear message, and no job is started for any of them."""
    from dashboard.report import jobs

    started = []
    monkeypatch.setattr(jobs, "start_report", lambda *a, **k: started.append(a) or "x" * 24)
    if True:
        start = by_output(worlds["allmanhet"]["A"], "r-job.data")
        for code in ("2026-10", "2026-11", "2026-13", "2026-W40", "2026-10-01", "../2026", None, 2026,
                     {"period": "2026"}, ["2026-Q3"]):
            job, poll_off, message = call(start, "r-go.n_clicks", 1, code, "sv")
            assert (job, poll_off) == (None, True), code
            assert "Traceback" not in str(message) and str(message), code
            if code in ("2026-10", "2026-11"):
                assert "finer than the role allmanhet" in str(message), message
        assert not started
        job, _poll, _msg = call(start, "r-go.n_clicks", 1, "2026-Q3", "sv")
        assert job == "x" * 24 and started[0][1:3] == ("2026-Q3", "allmanhet")
