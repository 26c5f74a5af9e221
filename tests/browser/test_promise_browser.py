"""The promise cards in a real headless Chromium: they show first, a click filters the map and charts,
a second click shows everything again; presentation mode keeps them."""

import pytest

from dashboard.app import create_app
from dashboard.data import load
from layers.config import loads_config
from tests.browser.test_dashboard_browser import COUNT_LINE, MAP, severe, wait_js, wait_map
from tests.dash_fixtures import TODAY, small_store
from tests.test_promise_callbacks import PROMISE

pytestmark = pytest.mark.browser

CARD_TEXTS = "return Array.from(document.querySelectorAll('#promise .card .card-count')).map(e => e.textContent);"
ACTIVE = "return Array.from(document.querySelectorAll('#promise .card.active .card-count')).map(e => e.textContent);"
SEARCH = "return window.location.search;"
WAIT = 40


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("promise-browser") / "s.gpkg")


def test_cards_show_and_a_click_filters_map_and_charts(dash_duo, store):
    app = create_app(store, today=lambda: TODAY, data=load(store, loads_config(PROMISE, today=TODAY)))
    dash_duo.start_server(app)
    # Generous waits: the first page of a module may take long on a busy machine.
    dash_duo.wait_for_element(MAP, timeout=60)
    wait_map(dash_duo, timeout=60)
    dash_duo.wait_for_text_to_equal("#map-note", "10 rapporter som punkter", timeout=WAIT)
    wait_js(dash_duo, CARD_TEXTS, ["2 av 10 timmar (efter)", "1 av 2 hastighetskontroller (efter)"], timeout=WAIT)
    # The promise comes before the map on the page.
    assert dash_duo.driver.execute_script(
        "return document.querySelector('#promise').compareDocumentPosition(document.querySelector('#map'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING") != 0
    assert dash_duo.find_element("#promise h3").text == "Ökad trygghet för kommuninvånarna"

    dash_duo.find_element("#promise .card").click()
    dash_duo.wait_for_text_to_equal("#map-note", "5 rapporter som punkter", timeout=WAIT)
    wait_js(dash_duo, COUNT_LINE, "1 genomförd, 1 planerad", "#chart-activities .js-plotly-plot", timeout=WAIT)
    dash_duo.wait_for_text_to_equal("#selection-info", "Löfte: Tio timmars närvaro i Skillingaryd.", timeout=WAIT)
    wait_js(dash_duo, SEARCH, "?t=period&from=2026-01-01&to=2026-12-31&c=narvaro-sk", timeout=WAIT)
    wait_js(dash_duo, ACTIVE, ["2 av 10 timmar (efter)"], timeout=WAIT)

    # The same card again: everything is back.
    dash_duo.find_element("#promise .card.active").click()
    dash_duo.wait_for_text_to_equal("#map-note", "10 rapporter som punkter", timeout=WAIT)
    wait_js(dash_duo, ACTIVE, [], timeout=WAIT)
    wait_js(dash_duo, SEARCH, "?t=period&from=2026-01-01&to=2026-12-31", timeout=WAIT)
    wait_js(dash_duo, COUNT_LINE, "5 genomförda, 1 planerad", "#chart-activities .js-plotly-plot", timeout=WAIT)

    # Presentation mode: the promise stays on the shared screen; its cards still filter.
    dash_duo.find_element("#present-btn").click()
    wait_js(dash_duo, "return document.querySelector('#root').className;", "present", timeout=WAIT)
    assert dash_duo.find_element("#promise .card").is_displayed()
    dash_duo.find_elements("#promise .card")[1].click()
    dash_duo.wait_for_text_to_equal("#map-note", "3 rapporter som punkter", timeout=WAIT)
    wait_js(dash_duo, SEARCH, "?t=period&from=2026-01-01&to=2026-12-31&present=1&c=kontroll-vg", timeout=WAIT)
    assert severe(dash_duo) == []
