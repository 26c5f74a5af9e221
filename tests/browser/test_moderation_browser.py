"""The moderation queue in a real headless Chromium: a moderator opens it, approves one report
and sees the map count it; a rejection needs a reason; other roles have no panel."""

import os

import pytest

from dashboard.app import create_app
from dashboard.data import load
from layers.imports.sources.resident_form import insert_intake_report
from tests.browser.test_accessibility_browser import axe_source, serious  # noqa: F401  (axe_source: a fixture)
from tests.browser.test_accessibility_browser import report as axe_report
from tests.browser.test_dashboard_browser import wait_js, wait_map
from tests.dash_fixtures import TODAY, small_store
from tests.helpers import SKILLINGARYD, report

pytestmark = pytest.mark.browser

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> mörkt i tunneln'


@pytest.fixture
def store(tmp_path):
    store = small_store(tmp_path / "s.gpkg")
    for i, when in ((1, "2026-11-20T18:00:00+01:00"), (2, "2026-11-21T18:00:00+01:00")):
        row = report(i, at=(SKILLINGARYD[0] + 30 * i, SKILLINGARYD[1]), when=when, description=XSS)
        insert_intake_report(store, {**row, "id": f"m-{i}", "moderation": "väntar", "ref": f"VGR-2026-AAAAAAA{i + 2}"})
    return store


def make_app(store, role):
    return create_app(store, role=role, today=lambda: TODAY, data=load(store))


def scroll_click(dash_duo, selector):
    element = dash_duo.wait_for_element(selector)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def test_a_moderator_approves_one_and_the_map_counts_it(dash_duo, store, artifacts):
    dash_duo.start_server(make_app(store, "moderator"))
    wait_map(dash_duo)
    # The period's 10 staff reports less the 2 narcotics tips a moderator never sees; not the pending two.
    dash_duo.wait_for_text_to_equal("#map-note", "8 rapporter som punkter")
    assert dash_duo.find_elements(".mod-card") == []  # nothing built before the panel opens
    scroll_click(dash_duo, "#mod-summary")
    dash_duo.wait_for_text_to_equal("#mod-count", "Moderering (2 väntar)")
    cards = dash_duo.find_elements(".mod-card")
    assert [c.get_attribute("data-id") for c in cards] == ["m-1", "m-2"]
    # The resident's text is shown as text: the script is there to read and never ran.
    assert XSS in cards[0].find_element("css selector", ".mod-description").text
    assert dash_duo.driver.execute_script("return window.__xss === undefined") is True

    scroll_click(dash_duo, ".mod-card[data-id='m-1'] .mod-approve")
    dash_duo.wait_for_text_to_equal("#mod-message", "Rapporten m-1 är godkänd och räknas nu.")
    dash_duo.wait_for_text_to_equal("#mod-count", "Moderering (1 väntar)")
    dash_duo.wait_for_text_to_equal("#map-note", "9 rapporter som punkter")
    dash_duo.driver.save_screenshot(os.path.join(artifacts, "moderation-approved.png"))

    # A rejection without a reason is refused with one message; with one it leaves the queue.
    scroll_click(dash_duo, ".mod-card[data-id='m-2'] .mod-reject")
    dash_duo.wait_for_text_to_equal("#mod-message", "Skriv ett skäl för att avvisa rapporten m-2.")
    reason = dash_duo.find_element(".mod-card[data-id='m-2'] input")
    reason.send_keys("Samma plats som m-1")
    wait_js(dash_duo, "return document.querySelector(arguments[0]).value", "Samma plats som m-1",
            ".mod-card[data-id='m-2'] input")
    scroll_click(dash_duo, ".mod-card[data-id='m-2'] .mod-reject")
    dash_duo.wait_for_text_to_equal("#mod-message", "Rapporten m-2 är avvisad.")
    dash_duo.wait_for_text_to_equal("#mod-count", "Moderering (0 väntar)")
    dash_duo.wait_for_text_to_equal(".mod-empty", "Inga rapporter väntar på moderering.")
    dash_duo.wait_for_text_to_equal("#map-note", "9 rapporter som punkter")
    assert dash_duo.driver.execute_script("return window.__xss === undefined") is True


def test_the_bra_screen_has_no_panel_and_counts_no_pending_report(dash_duo, store):
    dash_duo.start_server(make_app(store, "bra"))
    wait_map(dash_duo)
    # The 8 points (narcotics are bra's monthly cells, none published in the period yet).
    dash_duo.wait_for_contains_text("#map-note", "8 rapporter som punkter · Narkotikatips: inga publicerade")
    assert dash_duo.find_elements("#mod-panel") == [] and dash_duo.find_elements("#mod-summary") == []
    assert "tunneln" not in dash_duo.driver.page_source


def test_axe_finds_no_serious_violation_in_the_open_queue(dash_duo, store, axe_source, artifacts):  # noqa: F811
    dash_duo.start_server(make_app(store, "moderator"))
    wait_map(dash_duo)
    scroll_click(dash_duo, "#mod-summary")
    dash_duo.wait_for_text_to_equal("#mod-count", "Moderering (2 väntar)")
    violations = serious(dash_duo, axe_source)
    dash_duo.driver.save_screenshot(os.path.join(artifacts, "moderation-queue.png"))
    assert violations == [], axe_report(violations)
