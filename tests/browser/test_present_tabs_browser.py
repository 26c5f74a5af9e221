"""Presentation mode draws a tab's panel when the tab is opened, not at load: on /?present=1 the
comparison cards (their own tab) stay empty while the overview is shown and every callback of
the load has answered; opening the tab draws them. The normal page draws them at load."""

import pytest
from selenium.webdriver.common.by import By

from dashboard.app import create_app
from dashboard.data import load
from tests.browser.test_analysis_browser import text_of, until
from tests.dash_fixtures import TODAY, small_store

pytestmark = pytest.mark.browser

CARD = "Otrygga platser: 5 under 1 januari – 27 november 2026"
#: The same card on the presentation screen (its default period is the year so far).
PRESENT_CARD = "Otrygga platser: Hittills i år: 5, +400 % mot"
#: Callbacks the renderer has asked for and not yet applied (dash-renderer's redux store, as
#: dash.testing's redux_state_rqs reads it).
PENDING = """var s = window.store && Object.assign({}, window.store.getState().callbacks);
if (!s) { return -1; }
delete s.stored; delete s.completed;
return [].concat.apply([], Object.values(s)).length;"""
#: Traces drawn in a graph (Plotly's own data on its div).
TRACES = "var g = document.querySelector(arguments[0] + ' .js-plotly-plot'); return g && g.data ? g.data.length : 0;"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("present-tabs") / "s.gpkg")


def test_the_comparison_tab_is_drawn_when_opened_not_at_load(dash_duo, store):
    app = create_app(store, today=lambda: TODAY, data=load(store))
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?present=1")
    until(dash_duo, lambda d: "present" in d.find_element(By.ID, "root").get_attribute("class"), "presentation")
    until(dash_duo, lambda d: d.execute_script(TRACES, "#chart-time") > 0, "the overview's time chart drawn")
    until(dash_duo, lambda d: d.execute_script(TRACES, "#map") > 0, "the map drawn")
    until(dash_duo, lambda d: d.execute_script(PENDING) == 0, "every callback of the load answered")
    # The cards' tab is closed: nothing asked for, nothing drawn.
    assert text_of(dash_duo.driver, "#indicator-cards") == ""
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#indicator-cards .ind-card") == []

    dash_duo.driver.find_element(By.CSS_SELECTOR, '#charts .tab[id*=\'"tab":"compare"\']').click()
    until(dash_duo, lambda d: PRESENT_CARD in text_of(d, "#indicator-cards"), "the unsafe-places card once the tab is open")
    assert dash_duo.driver.find_element(By.ID, "indicator-cards").is_displayed()


def test_the_normal_page_draws_the_cards_at_load(dash_duo, store):
    app = create_app(store, today=lambda: TODAY, data=load(store))
    dash_duo.start_server(app)
    until(dash_duo, lambda d: CARD in text_of(d, "#indicator-cards"), "the unsafe-places card on the normal page")
