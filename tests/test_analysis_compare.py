"""Period comparison (layers.analysis.compare): the four windows, exact counts and changes per
focus area, layer and locality on hand-made rows, a release counted only in whole blocks."""

import datetime as dt

import pandas as pd
import pytest

from layers.analysis.compare import compare_counts, compare_release, comparison_windows, whole_blocks
from layers.analysis.labels import pct_text
from layers.analysis.roles import combine
from layers.release import Block, period_of
from tests.test_cli_hotspots import build

D = dt.date


def test_the_four_windows():
    w = comparison_windows(D(2026, 1, 1), D(2026, 12, 31), at=D(2026, 10, 31))
    # Ten whole months against the ten before; the same days last year; YTD; 28 days.
    assert w["previous"] == ((D(2026, 1, 1), D(2026, 10, 31)), (D(2025, 3, 1), D(2025, 12, 31)))
    assert w["last_year"] == ((D(2026, 1, 1), D(2026, 10, 31)), (D(2025, 1, 1), D(2025, 10, 31)))
    assert w["ytd"] == ((D(2026, 1, 1), D(2026, 10, 31)), (D(2025, 1, 1), D(2025, 10, 31)))
    assert w["28d"] == ((D(2026, 10, 4), D(2026, 10, 31)), (D(2026, 9, 6), D(2026, 10, 3)))


def test_a_period_cut_mid_month_compares_the_same_number_of_days():
    w = comparison_windows(D(2026, 10, 1), D(2026, 10, 31), at=D(2026, 10, 10))
    assert w["previous"] == ((D(2026, 10, 1), D(2026, 10, 10)), (D(2026, 9, 21), D(2026, 9, 30)))
    one_month = comparison_windows(D(2026, 10, 1), D(2026, 10, 31), at=D(2026, 11, 5))
    assert one_month["previous"][1] == (D(2026, 9, 1), D(2026, 9, 30))  # October against September
    leap = comparison_windows(D(2028, 2, 1), D(2028, 2, 29), at=D(2028, 2, 29))
    assert leap["last_year"][1] == (D(2027, 2, 1), D(2027, 2, 28))
    before = comparison_windows(D(2027, 1, 1), D(2027, 12, 31), at=D(2026, 12, 1))
    assert before["previous"] is None and before["last_year"] is None


def rows(spec):
    """(day, focus_area, layer, locality, n) → n rows."""
    out = []
    for day, area, layer, locality, n in spec:
        out += [{"day": day, "focus_area": area, "layer": layer, "locality": locality}] * n
    return pd.DataFrame(out)


def test_counts_and_changes_per_focus_area_layer_and_locality():
    frame = rows([
        (D(2026, 10, 5), "trafik", "hastighet", "Vaggeryd", 50),
        (D(2026, 10, 20), "trafik", "hastighet", "Skillingaryd", 34),   # October: 84
        (D(2026, 9, 15), "trafik", "hastighet", "Vaggeryd", 95),        # September: 95
        (D(2025, 10, 15), "trafik", "hastighet", "Vaggeryd", 120),      # October last year: 120
        (D(2026, 10, 12), "trygghet", "otrygg_plats", "Skillingaryd", 3),  # new: nothing before
    ])
    windows = comparison_windows(D(2026, 10, 1), D(2026, 10, 31), at=D(2026, 10, 31))
    out = compare_counts(frame, windows).set_index(["group", "key", "comparison"])
    area = out.loc[("focus_area", "trafik", "previous")]
    assert (area["current"], area["base"], area["change"], area["change_pct"]) == (84, 95, -11, -11.6)
    year = out.loc[("focus_area", "trafik", "last_year")]
    assert (year["current"], year["base"], year["change"], year["change_pct"]) == (84, 120, -36, -30.0)
    assert out.loc[("layer", "hastighet", "previous"), "current"] == 84
    skill = out.loc[("locality", "Skillingaryd", "previous")]
    assert (skill["current"], skill["base"], skill["change"]) == (37, 0, 37)
    assert skill["change_pct"] is None
    assert pct_text(None, "sv") == "ej definierad (basen är 0)" and pct_text(None, "en") == "undefined (base is 0)"
    assert pct_text(-11.6, "sv") == "−11,6 %" and pct_text(-11.6, "en") == "-11.6 %"
    total = out.loc[("all", "", "28d")]
    assert (total["current"], total["base"]) == (87, 95)  # 4–31 Oct; 6 Sep – 3 Oct
    ytd = out.loc[("all", "", "ytd")]
    assert (ytd["current"], ytd["base"]) == (182, 120)
    assert set(out.index.get_level_values("group")) == {"all", "focus_area", "layer", "locality"}


def month_blocks(first: D, months: int, kind="month"):
    start = int(period_of(first.year, first.month, kind))
    return tuple(Block(start + i, start + i, kind) for i in range(months))


def test_a_release_counts_whole_blocks_and_nothing_else():
    blocks = month_blocks(D(2025, 9, 1), 14)  # Sep 2025 .. Oct 2026
    index = {b.start: i for i, b in enumerate(blocks)}
    units = pd.DataFrame([
        {"block": index[D(2026, 10, 1)], "layer": "narkotika", "count": 12, "locality": "Vaggeryd"},
        {"block": index[D(2026, 10, 1)], "layer": "narkotika", "count": 5, "locality": ""},
        {"block": index[D(2026, 9, 1)], "layer": "narkotika", "count": 20, "locality": "Vaggeryd"},
        {"block": index[D(2025, 10, 1)], "layer": "narkotika", "count": 8, "locality": "Vaggeryd"},
    ])
    windows = comparison_windows(D(2026, 10, 1), D(2026, 10, 31), at=D(2026, 10, 31))
    out = compare_release(units, blocks, windows, {"narkotika": "narkotika"}).set_index(["group", "key", "comparison"])
    prev = out.loc[("focus_area", "narkotika", "previous")]
    assert (prev["current"], prev["base"], prev["change"], prev["change_pct"]) == (17, 20, -3, -15.0)
    year = out.loc[("locality", "Vaggeryd", "last_year")]
    assert (year["current"], year["base"], year["change"], year["change_pct"]) == (12, 8, 4, 50.0)
    days = out.loc[("all", "", "28d")]
    assert pd.isna(days["current"]) and days["note"] == "not whole published periods"
    # A merged block (Sep–Oct 2026) cannot be split into September and October.
    merged = blocks[:-2] + (Block(blocks[-2].first, blocks[-1].last, "month"),)
    assert whole_blocks(merged, (D(2026, 10, 1), D(2026, 10, 31))) is None
    assert whole_blocks(merged, (D(2026, 9, 1), D(2026, 10, 31))) == [len(merged) - 1]
    # The first block of a series also holds all before it: never a base.
    opening = compare_release(units, blocks, windows, {"narkotika": "narkotika"}, open_start={index[D(2025, 10, 1)]})
    assert opening.set_index(["group", "key", "comparison"]).loc[("all", "", "last_year"), "current"] is pd.NA


def test_points_and_release_parts_add_up_and_an_unknown_part_stays_unknown():
    windows = comparison_windows(D(2026, 10, 1), D(2026, 10, 31), at=D(2026, 10, 31))
    points = compare_counts(rows([(D(2026, 10, 5), "trygghet", "otrygg_plats", "Vaggeryd", 4),
                                  (D(2026, 9, 5), "trygghet", "otrygg_plats", "Vaggeryd", 2)]), windows)
    blocks = month_blocks(D(2026, 9, 1), 2)
    release = compare_release(pd.DataFrame([{"block": 1, "layer": "narkotika", "count": 6, "locality": "Vaggeryd"}]),
                              blocks, windows, {"narkotika": "narkotika"})
    out = combine([points, release]).set_index(["group", "key", "comparison"])
    both = out.loc[("all", "", "previous")]
    assert (both["current"], both["base"], both["change"], both["change_pct"]) == (10, 2, 8, 400.0)
    assert pd.isna(out.loc[("all", "", "28d"), "current"])  # the release has no 28-day window
    assert out.loc[("locality", "Vaggeryd", "previous"), "current"] == 10


def test_no_percentage_from_a_base_of_zero():
    windows = comparison_windows(D(2026, 10, 1), D(2026, 10, 31), at=D(2026, 10, 31))
    out = compare_counts(rows([(D(2026, 10, 2), "trafik", "hastighet", "Hok", 3)]), windows)
    row = out[(out["group"] == "all") & (out["comparison"] == "last_year")].iloc[0]
    assert row["base"] == 0 and row["change"] == 3 and row["change_pct"] is None


# -- as a role sees it (the hand-made store of tests/test_cli_hotspots.py) ------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build(tmp_path_factory.mktemp("compare"))


def role_rows(store, role):
    from layers.analysis.roles import role_comparison

    out = role_comparison(store, role, D(2026, 6, 1), D(2026, 6, 30), at=D(2026, 6, 30), today=D(2026, 7, 15))
    return out.set_index(["group", "key", "comparison"])


def test_bra_compares_narcotics_in_whole_published_months_and_never_below_k(store):
    out = role_rows(store, "bra")
    # June against May: the station's cell (7) and Skillingaryd's 'spridda rapporter' (6) each month.
    june = out.loc[("focus_area", "narkotika", "previous")]
    assert (june["current"], june["base"], june["change"], june["change_pct"]) == (13, 13, 0, 0.0)
    assert out.loc[("layer", "narkotika", "last_year"), "base"] == 13
    days = out.loc[("layer", "narkotika", "28d")]
    assert pd.isna(days["current"]) and days["note"] == "not whole published periods"
    # Unsafe places (points for bra): all in March, so June against May is 0 against 0, no percentage.
    quiet = out.loc[("layer", "otrygg_plats", "previous")]
    assert (quiet["current"], quiet["base"], quiet["change_pct"]) == (0, 0, None)
    narcotics = out.xs("narkotika", level="key")
    for value in [*narcotics["current"].dropna(), *narcotics["base"].dropna()]:
        assert value == 0 or value >= 5
    assert out.loc[("locality", "Skillingaryd", "previous"), "current"] == 13


def test_polis_counts_narcotics_exactly_also_over_28_days(store):
    out = role_rows(store, "polis")
    days = out.loc[("layer", "narkotika", "28d")]
    assert (days["current_from"], days["current"], days["base"]) == (D(2026, 6, 3), 13, 13)


def test_allmanhet_gets_no_narcotics_row_and_no_month_of_a_quarterly_release(store):
    out = role_rows(store, "allmanhet")
    assert "narkotika" not in set(out.index.get_level_values("key"))
    # Its release is per quarter: June alone is no whole published period, so no number at all.
    assert out["current"].isna().all() and set(out["note"]) == {"not whole published periods"}


def test_same_days_compares_a_period_under_way_with_the_same_days_of_the_period_before():
    november = comparison_windows(D(2026, 11, 1), D(2026, 11, 30), at=D(2026, 11, 27), same_days=True)
    assert november["previous"] == ((D(2026, 11, 1), D(2026, 11, 27)), (D(2026, 10, 1), D(2026, 10, 27)))
    assert november["last_year"] == ((D(2026, 11, 1), D(2026, 11, 27)), (D(2025, 11, 1), D(2025, 11, 27)))
    year = comparison_windows(D(2026, 1, 1), D(2026, 12, 31), at=D(2026, 11, 30), same_days=True)
    assert year["previous"] == ((D(2026, 1, 1), D(2026, 11, 30)), (D(2025, 1, 1), D(2025, 11, 30)))
    # 31 March against February: the base stops at the end of the period before (28 February).
    march = comparison_windows(D(2026, 3, 1), D(2026, 3, 31), at=D(2026, 3, 30), same_days=True)
    assert march["previous"] == ((D(2026, 3, 1), D(2026, 3, 30)), (D(2026, 2, 1), D(2026, 2, 28)))
    q3 = comparison_windows(D(2026, 7, 1), D(2026, 9, 30), at=D(2026, 12, 1), same_days=True)
    assert q3["previous"] == ((D(2026, 7, 1), D(2026, 9, 30)), (D(2026, 4, 1), D(2026, 6, 30)))
    assert q3["ytd"] == ((D(2026, 1, 1), D(2026, 12, 1)), (D(2025, 1, 1), D(2025, 12, 1)))
    # Without it (the dashboard's comparison) the days just before, as before.
    plain = comparison_windows(D(2026, 11, 1), D(2026, 11, 30), at=D(2026, 11, 27))
    assert plain["previous"][1] == (D(2026, 10, 5), D(2026, 10, 31))
