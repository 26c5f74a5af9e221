"""The planning view in headless Chromium: a click on the weekday × hour grid filters the other
charts and the map but not the grid, which outlines the clicked cell; presence rings and gaps."""

import os

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from tests.browser.test_dashboard_browser import make_app, reveal, wait_js, wait_map
from tests.dash_fixtures import small_store

pytestmark = pytest.mark.browser

WHEN = "#chart-when .js-plotly-plot"
TIME = "#chart-time .js-plotly-plot"
META = "const gd = document.querySelector(arguments[0]); return gd && gd.layout && gd.layout.meta ? gd.layout.meta : null;"
SHAPES = ("const gd = document.querySelector(arguments[0]); "
          "return (gd.layout.shapes || []).map(s => [s.x0, s.y0]);")
# The page position of a heatmap cell's centre (hour, weekday index) from Plotly's own axes.
CELL = """
const gd = document.querySelector(arguments[0]);
const fl = gd._fullLayout, r = gd.getBoundingClientRect();
return [r.left + fl.xaxis._offset + fl.xaxis.l2p(arguments[1]), r.top + fl.yaxis._offset + fl.yaxis.l2p(arguments[2])];
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("planning") / "s.gpkg")


def test_a_heatmap_click_filters_the_other_views_and_outlines_the_cell(dash_duo, store, artifacts):
    dash_duo.start_server(make_app(store))
    wait_map(dash_duo)
    # The promise period 2026: 10 reports and 10 h of presence, nothing outlined.
    wait_js(dash_duo, META, {"total": 10, "presence_h": 10.0}, WHEN)
    assert wait_js(dash_duo, SHAPES, [], WHEN) == []
    reveal(dash_duo, "#planning-gaps")
    dash_duo.wait_for_text_to_equal("#gaps-rows tbody tr:first-child td:nth-child(2)", "Skillingaryd – stationen",
                                    timeout=60)
    dash_duo.driver.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", WHEN)
    # Monday 07: the two speed complaints in Vaggeryd.
    x, y = dash_duo.driver.execute_script(CELL, WHEN, 7, 0)
    ActionChains(dash_duo.driver).move_to_location(int(x), int(y)).click().perform()
    wait_js(dash_duo, "const m = document.querySelector(arguments[0]).layout.meta; return m && m.total;", 2, TIME)
    dash_duo.wait_for_text_to_equal("#map-note", "2 rapporter som punkter", timeout=60)
    # The grid keeps every slot and outlines the clicked one.
    assert wait_js(dash_duo, SHAPES, [[6.5, -0.5]], WHEN) == [[6.5, -0.5]]
    assert dash_duo.driver.execute_script(META, WHEN) == {"total": 10, "presence_h": 10.0}
    assert "wd=0&h=7-7" in dash_duo.driver.current_url
    dash_duo.driver.save_screenshot(os.path.join(artifacts, "planning-heatmap-click.png"))
    # The same cell again brings every weekday and hour back.
    ActionChains(dash_duo.driver).move_to_location(int(x), int(y)).click().perform()
    wait_js(dash_duo, SHAPES, [], WHEN)
    dash_duo.wait_for_text_to_equal("#map-note", "10 rapporter som punkter", timeout=60)
