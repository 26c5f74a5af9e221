"""The callbacks called as plain functions, with Dash's callback context set as Dash would."""


import pytest
from dash.dash import no_update

from dashboard.app import create_app
from dashboard.data import load
from dashboard.filters import default_state
from tests.dash_fixtures import TODAY, call, callback, small_store
from tests.helpers import title_lines


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    store = small_store(tmp_path_factory.mktemp("cb") / "s.gpkg")
    return create_app(store, today=lambda: TODAY, data=load(store))






def sync(app, prop_id, current=None, search="", selected=None, click=None, relayout=None,
         bar_click=None, heat_click=None, **controls):
    data = app._trygghetskarta["data"]
    state = default_state(data)
    values = {
        "focus": list(state.focus_areas), "layers": list(state.layers), "preset": state.preset,
        # The date picker shows the default period's dates (the promise period).
        "start": "2026-01-01", "end": "2026-12-31", "weekdays": list(state.weekdays), "hours": list(state.hours),
        "actors": list(state.actors), "statuses": list(state.statuses), "mode": state.mode, "lang": "sv",
    }
    values.update(controls)
    return call(
        callback(app, "sync_state"), prop_id, search, values["focus"], values["layers"], values["preset"],
        values["start"], values["end"], values["weekdays"], values["hours"], values["actors"],
        values["statuses"], values["mode"], values["lang"], 0, 0, 0, selected, click, relayout,
        bar_click, heat_click, current, None,
    )


def test_page_load_restores_filters_from_the_url(app):
    out = sync(app, ".", search="?fa=trafik&ly=hastighet&lang=en&present=1")
    focus, layers, *_rest = out
    assert focus == ["trafik"] and layers == ["hastighet"]
    assert out[10] == "en"  # the language control
    url, filters, _view, root_class = out[11:]
    # A link without a period (made before the period was always written) meant all time.
    assert url == "?fa=trafik&ly=hastighet&t=all&lang=en&present=1"
    assert filters["focus_areas"] == ("trafik",) and filters["present"] is True
    assert root_class == "present"


def test_box_selection_over_skillingaryd_narrows_every_chart(app):
    loaded = sync(app, ".")[12]
    box = {"range": {"map": [[14.07, 57.44], [14.11, 57.41]]}, "points": []}
    out = sync(app, "map.selectedData", current=loaded, selected=box)
    filters = out[12]
    assert filters["selection"]["type"] == "polygon"
    assert out[11].startswith("?t=period&from=2026-01-01&to=2026-12-31"
                              "&sel=poly:14.07000+57.44000;14.11000+57.44000")
    acts, _time, heat, *_tables = call(callback(app, "render_charts"), "filters.data", filters)
    assert title_lines(acts) == ["Aktiviteter per fokusområde", "2 genomförda, 1 planerad"]
    assert heat["layout"]["meta"]["total"] == 7 and title_lines(heat)[1] == "7 rapporter i urvalet"
    figure, note, info = call(callback(app, "render_map"), "filters.data", filters, None, None)
    assert note == "7 rapporter som punkter"
    assert info == "Urval: markerat område"
    assert any(tr.get("meta") == "selection" for tr in figure["data"])
    cleared = sync(app, "clear-selection.n_clicks", current=filters)[12]
    assert cleared["selection"] is None


def test_clicking_a_locality_selects_it(app):
    loaded = sync(app, ".", search="?t=all")[12]  # Hok's reports are of 2025
    click = {"points": [{"curveNumber": 9, "pointNumber": 2, "lon": 14.2744, "lat": 57.5172, "text": "Hok"}]}
    filters = sync(app, "map.clickData", current=loaded, click=click)[12]
    assert filters["selection"] == {"type": "locality", "name": "Hok"}
    table = call(callback(app, "render_where"), "filters.data", filters, "locality")
    assert "Hok" in str(table) and "Skillingaryd" not in str(table)


def test_cross_filter_from_bar_and_heatmap(app):
    loaded = sync(app, ".")[12]
    bar = {"points": [{"x": ["Trafik", "genomförd"], "customdata": ["trafik", "genomförd"]}]}
    filtered = sync(app, "chart-activities.clickData", current=loaded, bar_click=bar)
    assert filtered[0] == ["trafik"] and filtered[12]["focus_areas"] == ("trafik",)
    # The page now shows only Trafik ticked; a second click on the same bar brings all back.
    again = sync(app, "chart-activities.clickData", current=filtered[12], bar_click=bar, focus=["trafik"])
    assert again[0] == ["trygghet", "trafik", "narkotika"]
    heat = {"points": [{"x": 7, "y": "Mån", "z": 2}]}
    when = sync(app, "chart-when.clickData", current=loaded, heat_click=heat)
    assert when[5] == [0] and when[6] == [7, 7]
    _acts, _time, heatmap, *_tables = call(callback(app, "render_charts"), "filters.data", when[12])
    # The grid is not narrowed by its own click (all 10 reports of the period), it outlines Monday 07.
    assert heatmap["layout"]["meta"]["total"] == 10
    assert [(s["x0"], s["y0"]) for s in heatmap["layout"]["shapes"]] == [(6.5, -0.5)]


def test_a_pan_updates_the_url_but_not_the_charts(app):
    loaded = sync(app, ".")[12]
    relayout = {"map.center": {"lon": 14.1, "lat": 57.43}, "map.zoom": 12.0}
    out = sync(app, "map.relayoutData", current=loaded, relayout=relayout)
    assert out[11] == "?t=period&from=2026-01-01&to=2026-12-31&view=14.10000,57.43000,12.00"
    assert out[12] is no_update  # filters unchanged: charts do not re-render
    assert out[13] == {"lon": 14.1, "lat": 57.43, "zoom": 12.0}
    # In points mode the map is not rebuilt for a pan: a patch moves the scale bar (traces 0, 1) only.
    figure, note, info = call(callback(app, "render_map"), "view.data", loaded, out[13], relayout)
    ops = figure.to_plotly_json()["operations"]
    assert [(op["operation"], op["location"]) for op in ops] == [("Assign", ["data", 0]), ("Assign", ["data", 1])]
    assert [op["params"]["value"]["meta"] for op in ops] == ["scalebar", "scalebar-label"]
    assert note is no_update and info is no_update


def test_preset_sets_the_date_range_shown(app):
    loaded = sync(app, ".")[12]
    out = sync(app, "f-preset.value", current=loaded, preset="30d")
    assert (out[3], out[4]) == ("2026-10-29", "2026-11-27")
    assert out[11] == "?t=30d"
    custom = sync(app, "f-dates.start_date", current=out[12], preset="30d", start="2026-11-01",
                  end="2026-11-27")
    assert custom[2] == "custom" and custom[11] == "?t=custom&from=2026-11-01&to=2026-11-27"


def test_language_switch_translates_texts(app):
    fn = callback(app, "translate")
    out = call(fn, "lang.value", "en", [{"type": "txt", "key": "clear_selection"}, {"type": "txt", "key": "filters"}])
    assert out[0] == ["Clear selection", "Filters"]
    assert out[-3] == "Vaggeryd Municipality"
    assert out[-1] == ""  # the police role sees everything: no role banner
    assert call(fn, "lang.value", "sv", [{"type": "txt", "key": "clear_selection"}])[0] == ["Rensa urval"]


def test_time_bins_follow_the_period_asked_for(app):
    charts = callback(app, "render_charts")
    month = sync(app, ".", search="?t=all")[12]
    weeks = sync(app, ".", search="?t=30d")[12]
    assert call(charts, "filters.data", month)[1]["layout"]["meta"]["bins"] == "month"
    assert call(charts, "filters.data", weeks)[1]["layout"]["meta"]["bins"] == "week"
    # A long custom range with data in a single month still shows months.
    custom = sync(app, ".", search="?t=custom&from=2026-01-01&to=2026-11-27&fa=trafik&ly=hastighet")[12]
    assert call(charts, "filters.data", custom)[1]["layout"]["meta"]["bins"] == "month"


def test_a_filter_change_leaves_controls_that_already_show_their_value(app):
    loaded = sync(app, ".")[12]
    out = sync(app, "f-focus.value", current=loaded, focus=["trafik"])
    assert out[12]["focus_areas"] == ("trafik",)
    # Nothing the page shows needs setting again: in particular not the language, which would
    # make the page translate itself on every click.
    assert all(value is no_update for value in out[:11])
    switched = sync(app, "lang.value", current=out[12], focus=["trafik"], lang="en")
    assert switched[10] is no_update and switched[12]["lang"] == "en"
    preset = sync(app, "f-preset.value", current=loaded, preset="30d")
    assert preset[2] is no_update and (preset[3], preset[4]) == ("2026-10-29", "2026-11-27")


def test_the_maps_autosize_event_on_load_redraws_nothing(app):
    loaded = sync(app, ".")[12]
    out = sync(app, "map.relayoutData", current=loaded, relayout={"autosize": True})
    assert out[12] is no_update and out[13] is no_update


def test_the_callbacks_of_one_interaction_compute_its_view_once(app):
    import threading

    from dashboard.filters import FilterState

    views = app._trygghetskarta["views"]
    state = FilterState.from_dict({**sync(app, ".")[12], "focus_areas": ("trygghet",), "hours": (1, 22)})
    computed = []
    release = threading.Event()
    original = views._compute

    def compute(*args):
        computed.append(args)
        release.wait(timeout=30)
        return original(*args)

    views._compute = compute
    try:
        results = []
        threads = [threading.Thread(target=lambda: results.append(views.get(state))) for _ in range(4)]
        for thread in threads:
            thread.start()
        # The first computation goes on only when all four callbacks are asking for the view.
        waiting = threading.Event()
        for _ in range(3000):
            if views._views.asking() == 4:
                break
            waiting.wait(0.01)
        release.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        del views._compute
    assert len(computed) == 1 and len(results) == 4
    assert all(result is results[0] for result in results)
    assert views._views.asking() == 0


def test_viewers_with_the_same_filters_get_the_answer_built_once(app):
    views = app._trygghetskarta["views"]
    filters = {**sync(app, ".")[12], "focus_areas": ("trafik",), "hours": (2, 21)}
    built = []
    original = views.render

    def counting(name, state, extra, build, role=None):
        return original(name, state, extra, lambda frames: built.append(name) or build(frames), role)

    views.render = counting
    try:
        first = call(callback(app, "render_charts"), "filters.data", filters)
        second = call(callback(app, "render_charts"), "filters.data", filters)
        assert built == ["charts"] and first == second
        call(callback(app, "render_charts"), "filters.data", {**filters, "lang": "en"})
        assert built == ["charts", "charts"]  # another language is another answer
        views.reload(views.store)
        call(callback(app, "render_charts"), "filters.data", filters)
        assert built == ["charts", "charts", "charts"]  # a new data revision: built again
    finally:
        del views.render


def test_a_forged_filter_store_gets_charts_not_a_500(app):
    """A store of the wrong shape (lang 'xx', one hour, a selection that is a string) is read as
    the defaults of those fields: the page gets its charts, in Swedish, of all hours."""
    good = sync(app, ".", search="?t=all")[12]
    forged = {**good, "lang": "xx", "hours": [5], "selection": "x"}
    acts, time_chart, heat, *_tables = call(callback(app, "render_charts"), "filters.data", forged)
    assert title_lines(time_chart) == ["Rapporter över tid", "12 i urvalet"]
    assert title_lines(heat)[1] == "12 rapporter i urvalet"
    # Without layers (None is no list of layers): no reports, said in words.
    no_layers = call(callback(app, "render_charts"), "filters.data", {**forged, "layers": None})[1]
    assert no_layers["layout"]["annotations"][0]["text"] == "Inga rapporter för valda filter och urval"


def test_place_names_of_a_views_rows_are_those_of_their_points_made_once(app):
    """The map's hover names and the gap table's areas come from one naming of all the role's
    points per language and revision, taken by row: the same names as naming the rows anew."""
    from dashboard.filters import FilterState
    from geodata import place_names

    views = app._trygghetskarta["views"]
    state = FilterState.from_dict({**sync(app, ".", search="?t=all")[12], "focus_areas": ("trygghet",)})
    points = views.get(state).points
    assert len(points) == 7  # Skillingaryd's 5 and Hok's 2 unsafe places
    for lang in ("sv", "en"):
        for detail in (True, False):
            expected = place_names(points["x"].to_numpy(), points["y"].to_numpy(), "0665", lang, detail=detail)
            assert views.point_names(points, lang, detail).tolist() == expected.tolist()
    assert points.index.tolist() == [0, 1, 2, 3, 4, 10, 11]  # positions in the role's points
    assert views.point_names(points, "en").tolist() == ["Skillingaryd – the station"] * 5 + ["Hok – the station"] * 2
    made = len(views._names)
    views.point_names(points.iloc[:3], "sv", True)
    assert len(views._names) == made  # a smaller view of the same points: no new naming
    # A frame that is not the role's (other coordinates at those positions) is named anew.
    moved = points.assign(x=points["x"] + 20_000)
    assert views.point_names(moved, "sv").tolist() == place_names(
        moved["x"].to_numpy(), moved["y"].to_numpy(), "0665", "sv").tolist()
    assert views.point_names(points.iloc[:0], "sv").tolist() == []
