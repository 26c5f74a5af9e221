"""The visibility gates (dashboard.gates) in a real Chromium: a panel below the fold is not asked
for while nobody can see it, also not when the filters change; scrolled to, it is drawn once, for
the filters of that moment."""

import json

import flask
import pytest

from tests.browser.test_dashboard_browser import COUNT_LINE, box_select, make_app, reveal, wait_js, wait_map
from tests.dash_fixtures import small_store

pytestmark = pytest.mark.browser

WHEN = "#chart-when .js-plotly-plot"
ROWS = "return document.querySelectorAll('#report-rows tbody tr').length;"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("gates") / "s.gpkg")


def test_a_panel_below_the_fold_is_asked_for_only_once_scrolled_to(dash_duo, store):
    app = make_app(store)
    asked: list[str] = []

    @app.server.before_request
    def record():
        if flask.request.path.endswith("_dash-update-component"):
            asked.append(json.loads(flask.request.get_data())["output"])

    dash_duo.start_server(app)
    wait_map(dash_duo)
    wait_js(dash_duo, COUNT_LINE, "10 rapporter i urvalet", WHEN)
    top = dash_duo.driver.execute_script("return document.getElementById('report-list').getBoundingClientRect().top;")
    assert top > dash_duo.driver.execute_script("return window.innerHeight;") + 400  # below the fold and margin
    # (While the page is still being laid out it may be asked once: everything is near the top then.)
    before = {name: asked.count(name) for name in ("report-list.children", "where-table.children")}
    charts = sum(o.startswith("..chart-activities.figure") for o in asked)
    # A selection redraws the charts; the report list and the where table, out of sight, are not asked for.
    box_select(dash_duo, 14.07, 57.44, 14.11, 57.415)
    wait_js(dash_duo, COUNT_LINE, "7 rapporter i urvalet", WHEN)
    assert sum(o.startswith("..chart-activities.figure") for o in asked) == charts + 1
    assert {name: asked.count(name) for name in before} == before
    # Scrolled to: drawn once more, with the selection's seven reports.
    dash_duo.driver.execute_script("window.scrollTo(0, 0);")
    reveal(dash_duo, "#report-list")
    assert wait_js(dash_duo, ROWS, 7) == 7
    assert asked.count("report-list.children") == before["report-list.children"] + 1


def test_the_near_repeat_section_is_computed_when_a_reader_opens_it(dash_duo, store):
    app = make_app(store)
    asked: list[str] = []

    @app.server.before_request
    def record():
        if flask.request.path.endswith("_dash-update-component"):
            asked.append(json.loads(flask.request.get_data())["output"])

    dash_duo.start_server(app)
    wait_map(dash_duo)
    wait_js(dash_duo, COUNT_LINE, "10 rapporter i urvalet", WHEN)
    assert "near-repeat-body.children" not in asked
    dash_duo.driver.execute_script("document.getElementById('near-repeat').scrollIntoView({block: 'center'});")
    dash_duo.find_element("#near-repeat summary").click()
    # The police's Knox table for the ten reports (too few for a test: said in words).
    wait_js(dash_duo, "return document.getElementById('near-repeat-body').innerText.length > 0;", True)
    assert asked.count("near-repeat-body.children") == 1
