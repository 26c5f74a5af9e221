import datetime as dt
import json
from dataclasses import replace

import pytest

from dashboard.filters import (
    FilterState,
    activity_mask,
    default_state,
    from_query,
    report_mask,
    time_range,
    to_query,
)
from tests.dash_fixtures import TODAY, small_data


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return small_data(tmp_path_factory.mktemp("f") / "s.gpkg")


def ids(frame, mask):
    return sorted(frame["id"][mask].tolist(), key=lambda s: int(s.split("-")[1]))


def test_default_shows_the_promise_period(data):
    state = default_state(data)
    assert state.preset == "period"
    assert time_range(state, data, TODAY) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    # Hok's two reports of November and December 2025 lie before the 2026 promise.
    assert ids(data.reports, report_mask(data, state, TODAY)) == [f"t-{i}" for i in range(10)]
    assert activity_mask(data, state, TODAY).sum() == 6
    everything = replace(state, preset="all")
    assert report_mask(data, everything, TODAY).sum() == 12


def test_focus_layer_status_and_actor(data):
    state = default_state(data)
    assert ids(data.reports, report_mask(data, replace(state, focus_areas=("trafik",)), TODAY)) == [
        "t-7", "t-8", "t-9"]
    assert report_mask(data, replace(state, layers=("narkotika",)), TODAY).sum() == 2
    assert ids(data.reports, report_mask(data, replace(state, statuses=("åtgärdad",)), TODAY)) == ["t-9"]
    assert ids(data.activities, activity_mask(data, replace(state, actors=("gemensam",)), TODAY)) == [
        "a-2", "a-6"]


def test_time_presets_in_local_time(data):
    state = default_state(data)
    assert time_range(replace(state, preset="30d"), data, TODAY) == (dt.date(2026, 10, 29), TODAY)
    last30 = report_mask(data, replace(state, preset="30d"), TODAY)
    assert ids(data.reports, last30) == ["t-0", "t-1", "t-2", "t-3", "t-4", "t-5", "t-7", "t-8"]
    year = report_mask(data, replace(state, preset="year"), TODAY)
    assert year.sum() == 10
    custom = replace(state, preset="custom", start="2025-11-20", end="2025-11-20")
    assert ids(data.reports, report_mask(data, custom, TODAY)) == ["t-10"]


def test_weekday_and_hour(data):
    state = default_state(data)
    fridays_evening = replace(state, weekdays=(4,), hours=(20, 23))
    assert ids(data.reports, report_mask(data, fridays_evening, TODAY)) == ["t-0", "t-1", "t-2", "t-3", "t-4"]
    mornings = replace(state, hours=(7, 7))
    assert ids(data.reports, report_mask(data, mornings, TODAY)) == ["t-7", "t-8"]


def test_selections(data):
    state = replace(default_state(data), preset="all")
    box = {"type": "polygon", "coords": [[14.07, 57.41], [14.11, 57.41], [14.11, 57.44], [14.07, 57.44]]}
    assert report_mask(data, replace(state, selection=box), TODAY).sum() == 7
    # Activities without a place are never inside a selected area.
    assert ids(data.activities, activity_mask(data, replace(state, selection=box), TODAY)) == [
        "a-1", "a-2", "a-3"]
    hok = {"type": "locality", "name": "Hok"}
    assert ids(data.reports, report_mask(data, replace(state, selection=hok), TODAY)) == ["t-10", "t-11"]
    cell = {"type": "cell", "id": "500mN12746E897"}  # Vaggeryd station's cell
    assert ids(data.reports, report_mask(data, replace(state, selection=cell), TODAY)) == ["t-7", "t-8", "t-9"]


def test_url_round_trip(data):
    default = default_state(data)
    state = replace(
        default, focus_areas=("trygghet", "narkotika"), layers=("otrygg_plats", "aktivitet"),
        preset="custom", start="2026-01-01", end="2026-06-30", weekdays=(4, 5), hours=(18, 23),
        actors=("polis",), selection={"type": "polygon", "coords": [[14.0, 57.4], [14.2, 57.4], [14.1, 57.5]]},
        mode="density", lang="en", present=True, view={"lon": 14.1, "lat": 57.45, "zoom": 10.5},
    )
    query = to_query(state, default, PERIOD)
    assert query.startswith("?fa=trygghet,narkotika&ly=otrygg_plats,aktivitet&t=custom&from=2026-01-01")
    assert from_query(query, default, data) == state
    assert from_query("", default, data) == default


PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_the_default_page_url_carries_the_promise_period(data):
    default = default_state(data)
    assert to_query(default, default, PERIOD) == "?t=period&from=2026-01-01&to=2026-12-31"
    assert from_query("?t=period&from=2026-01-01&to=2026-12-31", default, data) == default
    assert to_query(replace(default, preset="all"), default, PERIOD) == "?t=all"
    assert to_query(replace(default, preset="30d", lang="en"), default, PERIOD) == "?t=30d&lang=en"


def test_an_old_link_without_a_period_keeps_showing_everything(data):
    # Before the period was always written, the default was "all" and a link left it out.
    default = default_state(data)
    old = from_query("?fa=trygghet&present=1", default, data)
    assert old == replace(default, focus_areas=("trygghet",), preset="all", present=True)
    assert report_mask(data, old, TODAY).sum() == 7  # Skillingaryd's 5 and Hok's 2 of 2025
    assert from_query("?lang=en", default, data).preset == "all"
    # A bare address is the page itself: its default, the promise period.
    assert from_query("", default, data).preset == "period"
    assert from_query("?", default, data).preset == "period"


def test_a_link_to_an_earlier_promise_period_keeps_its_dates(data):
    default = default_state(data)
    state = from_query("?t=period&from=2025-01-01&to=2025-12-31", default, data)
    assert (state.preset, state.start, state.end) == ("custom", "2025-01-01", "2025-12-31")
    assert ids(data.reports, report_mask(data, state, TODAY)) == ["t-10", "t-11"]
    # A period link from before the dates were written: the current promise period.
    assert from_query("?t=period", default, data) == default


def test_malformed_url_values_fall_back_to_defaults(data):
    default = default_state(data)
    state = from_query("?fa=nope&t=forever&h=25-3&wd=x&sel=poly:1 2;bad&lang=fi&view=a,b,c", default, data)
    assert state == default


def test_a_long_lasso_is_simplified_so_its_url_fits_a_request_line(data):
    import math

    import shapely

    from dashboard.filters import default_state, from_query, to_query
    from dashboard.interaction import MAX_LASSO_POINTS, selection_from_selected

    # 2 000 mouse positions on a ring of about 1 km around Skillingaryd.
    lasso = [[14.09 + 0.015 * math.cos(2 * math.pi * i / 2000), 57.43 + 0.009 * math.sin(2 * math.pi * i / 2000)]
             for i in range(2000)]
    selection = selection_from_selected({"lassoPoints": {"map": lasso}})
    assert 3 <= len(selection["coords"]) <= MAX_LASSO_POINTS
    drawn, kept = shapely.Polygon(lasso), shapely.Polygon(selection["coords"])
    assert drawn.symmetric_difference(kept).area / drawn.area < 0.01  # the same place, within 1 %
    default = default_state(data)
    query = to_query(replace(default, selection=selection), default, PERIOD)
    assert len(query) < 8000
    assert from_query(query, default, data).selection == selection
    short = [[14.0, 57.4], [14.1, 57.4], [14.1, 57.5]]
    assert selection_from_selected({"lassoPoints": {"map": short}})["coords"] == short


FORGED = [
    ("lang", "xx"), ("hours", [5]), ("hours", [20, 3]), ("hours", ["0", "23"]), ("weekdays", ["a"]),
    ("weekdays", [7]), ("layers", None), ("focus_areas", "trygghet"), ("selection", "x"),
    ("selection", {"type": "polygon", "coords": [[14.1, "57"], [1, 2], [3, 4]]}),
    ("selection", {"type": "cell", "id": 5}), ("preset", "forever"), ("start", "2026-13-01"),
    ("mode", ["auto"]), ("present", "yes"), ("commitment", 3), ("view", [1]),
]


@pytest.mark.parametrize(("key", "value"), FORGED)
def test_a_forged_store_value_takes_the_fields_default(data, key, value):
    """The filter store comes from the browser: a value of the wrong shape gives the field's
    default (for the focus areas and layers: none), never a 500 deep in a callback."""
    good = default_state(data)
    state = FilterState.from_dict({**good.to_dict(), key: value})
    expected = {"layers": (), "focus_areas": ()}.get(key, getattr(FilterState((), ()), key))
    assert getattr(state, key) == expected
    # Every other field is kept as it was.
    assert {k: v for k, v in state.to_dict().items() if k != key} == {
        k: v for k, v in good.to_dict().items() if k != key}
    report_mask(data, state, TODAY)  # selects without raising


def test_a_store_from_the_page_reads_back_as_it_was(data):
    state = replace(default_state(data), preset="custom", start="2026-03-01", end="2026-03-31",
                    weekdays=(4, 5), hours=(20, 23), lang="en", present=True, mode="points",
                    selection={"type": "polygon", "coords": [[14.1, 57.4], [14.2, 57.4], [14.2, 57.5]]})
    assert FilterState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    assert FilterState.from_dict("not a store") == FilterState((), ())


def test_a_categorical_column_is_matched_as_pandas_isin_matches_it():
    """The masks read categorical columns by their codes: the same rows as Series.isin, a missing
    value never chosen, an unused category or an unknown value choosing nothing."""
    import pandas as pd

    from dashboard.filters import _isin

    for categories in (["a", "b", "c", "d"], pd.array(["a", "b", "c", "d"], dtype="string")):
        column = pd.Series(pd.Categorical(["a", "b", None, "c", "a"], categories=categories))
        assert _isin(column, ("a", "c")).tolist() == [True, False, False, True, True]
        assert _isin(column, ["d", "x"]).tolist() == [False] * 5
        assert _isin(column, []).tolist() == [False] * 5
    assert _isin(pd.Series(["a", None, "b"], dtype=object), ["a"]).tolist() == [True, False, False]
