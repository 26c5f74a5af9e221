"""The dashboard in a real headless Chromium: load, layers, map selection, URL state, presentation."""

import os
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from dashboard import gates
from dashboard.app import create_app
from dashboard.data import load
from tests.dash_fixtures import TODAY, small_store

pytestmark = pytest.mark.browser

MAP = "#map .js-plotly-plot"
MAP_READY = """
const gd = document.querySelector(arguments[0]);
const sp = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
return !!(sp && sp.map && sp.map.loaded() && sp.map.isStyleLoaded() && gd.querySelector('.maplibregl-canvas'));
"""
PROJECT = """
const gd = document.querySelector(arguments[0]);
const m = gd._fullLayout.map._subplot.map;
const r = m.getContainer().getBoundingClientRect();
return arguments[1].map(([lon, lat]) => { const p = m.project([lon, lat]); return [r.left + p.x, r.top + p.y]; });
"""
TRACE_METAS = "return document.querySelector(arguments[0]).data.map(t => t.meta || null);"
TITLE = "const gd = document.querySelector(arguments[0]); return gd.layout.title ? gd.layout.title.text : null;"
# The count line of a two-line chart title ("När – veckodag och timme" / "12 rapporter i urvalet").
COUNT_LINE = ("const gd = document.querySelector(arguments[0]); "
              "const lines = gd.layout.title ? gd.layout.title.text.split('<br>') : []; "
              "return lines.length > 1 ? lines[1].replace(/<[^>]+>/g, '') : null;")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("browser") / "s.gpkg")


def make_app(store, **kwargs):
    return create_app(store, today=lambda: TODAY, data=load(store), **kwargs)


def wait_map(dash_duo, timeout=60):
    dash_duo.wait_for_element(MAP)
    end = time.time() + timeout
    while time.time() < end:
        if dash_duo.driver.execute_script(MAP_READY, MAP):
            return
        time.sleep(0.1)
    raise AssertionError("the map never finished loading")


def wait_js(dash_duo, script, expected, *args, timeout=60):
    end = time.time() + timeout
    value = None
    while time.time() < end:
        value = dash_duo.driver.execute_script(script, *args)
        if value == expected:
            return value
        time.sleep(0.1)
    raise AssertionError(f"expected {expected!r}, last saw {value!r}")


REVEAL = "const e = document.querySelector(arguments[0]); if (e) { e.scrollIntoView({block: 'center'}); } return !!e;"
FILLED = "const e = document.querySelector(arguments[0]); return !!(e && e.children.length);"


def reveal(dash_duo, selector, timeout=60):
    """Scroll a panel into view, as a reader does, and wait until it is drawn: a gated panel
    (dashboard.gates) is asked for only while it can be seen."""
    wait_js(dash_duo, REVEAL, True, selector, timeout=timeout)
    wait_js(dash_duo, FILLED, True, selector, timeout=timeout)


DISPLAYED = "const e = document.querySelector(arguments[0]); return !!(e && e.offsetParent !== null);"


def reveal_panels(dash_duo):
    """Every gated panel the page displays drawn (scrolled to in turn), then back to the top of
    the page; a panel on a closed presentation tab stays undrawn until its tab is opened."""
    for panel in gates.VISIBLE:
        if dash_duo.driver.execute_script(DISPLAYED, f"#{panel}"):
            reveal(dash_duo, f"#{panel}")
    dash_duo.driver.execute_script("window.scrollTo(0, 0);")


def chart_title(dash_duo, graph_id):
    return dash_duo.driver.execute_script(TITLE, f"#{graph_id} .js-plotly-plot")


def box_select(dash_duo, lon0, lat0, lon1, lat1):
    # The promise panel sits above the map: bring the map into the window before dragging on it.
    dash_duo.driver.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", MAP)
    (x0, y0), (x1, y1) = dash_duo.driver.execute_script(PROJECT, MAP, [[lon0, lat0], [lon1, lat1]])
    chain = ActionChains(dash_duo.driver).move_to_location(int(x0), int(y0)).click_and_hold()
    for i in range(1, 11):
        chain.move_to_location(int(x0 + (x1 - x0) * i / 10), int(y0 + (y1 - y0) * i / 10))
    chain.release().perform()


def severe(dash_duo):
    return [e for e in dash_duo.get_logs() if e["level"] == "SEVERE"]


def test_page_loads_without_console_errors(dash_duo, store, artifacts):
    dash_duo.start_server(make_app(store))
    wait_map(dash_duo)
    # The default view is the 2026 promise period: Hok's two reports of 2025 are not in it.
    dash_duo.wait_for_text_to_equal("#map-note", "10 rapporter som punkter")
    assert dash_duo.find_element("#title").text == "Trygghetskarta – Vaggeryds kommun"
    assert not dash_duo.find_elements("#demo-banner")  # real data: no demo banner
    assert wait_js(dash_duo, COUNT_LINE, "10 rapporter i urvalet", "#chart-when .js-plotly-plot")
    assert severe(dash_duo) == []
    dash_duo.driver.save_screenshot(os.path.join(artifacts, "dashboard-normal.png"))


def test_turning_a_layer_off_removes_its_trace(dash_duo, store):
    dash_duo.start_server(make_app(store))
    wait_map(dash_duo)
    metas = dash_duo.driver.execute_script(TRACE_METAS, MAP)
    assert "hastighet" in metas
    box = dash_duo.find_element("#f-layers input[value='hastighet']")
    box.click()
    wait_js(dash_duo, "return document.querySelector(arguments[0]).data.some(t => t.meta === 'hastighet');",
            False, MAP)
    dash_duo.wait_for_text_to_equal("#map-note", "7 rapporter som punkter")
    assert "ly=otrygg_plats,narkotika,aktivitet" in dash_duo.driver.current_url
    assert severe(dash_duo) == []


def test_box_selection_over_skillingaryd_changes_the_activity_totals(dash_duo, store):
    dash_duo.start_server(make_app(store))
    wait_map(dash_duo)
    assert wait_js(dash_duo, COUNT_LINE, "5 genomförda, 1 planerad",
                   "#chart-activities .js-plotly-plot")
    box_select(dash_duo, 14.07, 57.44, 14.11, 57.415)
    wait_js(dash_duo, COUNT_LINE, "2 genomförda, 1 planerad",
            "#chart-activities .js-plotly-plot")
    assert chart_title(dash_duo, "chart-time").split("<br>")[1].endswith(">7 i urvalet</span>")
    dash_duo.wait_for_text_to_equal("#selection-info", "Urval: markerat område")
    assert "sel=poly" in dash_duo.driver.current_url
    dash_duo.find_element("#clear-selection").click()
    wait_js(dash_duo, COUNT_LINE, "5 genomförda, 1 planerad",
            "#chart-activities .js-plotly-plot")
    assert severe(dash_duo) == []


def test_selection_works_with_unreachable_tiles(dash_duo, store):
    # --basemap with no network: the app falls back to the offline map and selection keeps working.
    app = make_app(store, basemap=True)
    dash_duo.start_server(app)
    wait_map(dash_duo)
    # The first render must have landed, or it could arrive after the selection's.
    wait_js(dash_duo, COUNT_LINE, "10 rapporter i urvalet", "#chart-when .js-plotly-plot")
    box_select(dash_duo, 14.07, 57.44, 14.11, 57.415)
    wait_js(dash_duo, COUNT_LINE, "7 rapporter i urvalet", "#chart-when .js-plotly-plot")


def test_url_with_filters_restores_them(dash_duo, store):
    dash_duo.start_server(make_app(store))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?fa=trafik&ly=hastighet,aktivitet&lang=en")
    wait_map(dash_duo)
    wait_js(dash_duo, COUNT_LINE, "3 reports in the selection", "#chart-when .js-plotly-plot")
    checked = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('#f-focus input')].filter(i => i.checked).map(i => i.value);")
    assert checked == ["trafik"]
    dash_duo.wait_for_text_to_equal("#map-note", "3 reports as points")
    assert dash_duo.find_element("#clear-selection").text == "Clear selection"


def test_presentation_mode(dash_duo, store, artifacts):
    dash_duo.start_server(make_app(store))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?present=1")
    wait_map(dash_duo)
    dash_duo.wait_for_element("#root.present")
    assert not dash_duo.find_element("#controls").is_displayed()
    # Type follows the screen (15 px at this 1400 px window, 22 px at 1920) and the charts' is larger
    # than in normal mode (13 px); tests/browser/test_layout_browser.py checks that it all fits.
    size = dash_duo.driver.execute_script("return parseFloat(getComputedStyle(document.getElementById('root')).fontSize);")
    assert size >= 15
    wait_js(dash_duo, "const g = document.querySelector(arguments[0]); return g.layout.font.size >= 16;",
            True, "#chart-when .js-plotly-plot")
    dash_duo.driver.save_screenshot(os.path.join(artifacts, "dashboard-presentation.png"))
    dash_duo.find_element("#present-btn").click()
    wait_js(dash_duo, "return document.getElementById('root').className;", "")
    assert severe(dash_duo) == []


def test_demo_banner(dash_duo, demo_path, tmp_path):
    import shutil

    from layers import open_store

    # A copy: viewing writes to the file's audit log, and the demo file is shared by other tests.
    shutil.copy(demo_path, tmp_path / "demo.gpkg")
    dash_duo.start_server(make_app(open_store(tmp_path / "demo.gpkg")))
    dash_duo.wait_for_text_to_equal("#demo-banner", "Demodata – fiktiva händelser")


def test_a_report_entered_on_the_map_is_drawn_at_once(dash_duo, tmp_path, artifacts):
    import shutil

    from layers.store import open_store

    path = tmp_path / "edit.gpkg"
    shutil.copy(small_store(tmp_path / "t.gpkg").path, path)
    store = open_store(path)
    dash_duo.start_server(make_app(store))
    wait_map(dash_duo)
    wait_js(dash_duo, COUNT_LINE, "10 rapporter i urvalet", "#chart-when .js-plotly-plot")
    dash_duo.find_element("#edit-panel summary").click()
    # The form arrives when the panel is first opened (layout.edit_form).
    dash_duo.wait_for_element("#e-centre", timeout=60).click()
    wait_js(dash_duo, "return document.querySelector('#e-lat').value !== ''", True)
    dash_duo.find_element("#e-time").send_keys("00:30")
    dash_duo.find_element("#e-description").send_keys("<b>Mörk</b> gångtunnel")
    dash_duo.find_element("#e-save").click()
    dash_duo.wait_for_contains_text("#e-message", "Sparad: rapport app-", timeout=60)
    wait_js(dash_duo, COUNT_LINE, "11 rapporter i urvalet", "#chart-when .js-plotly-plot")
    assert len(store.read_table("reports")) == 13
    dash_duo.driver.save_screenshot(f"{artifacts}/dashboard-entry.png")
