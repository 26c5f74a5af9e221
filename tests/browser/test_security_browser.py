"""Presentation mode as a role with exact data, in a real headless Chromium: the warning is on
the shared screen, one click gives the BRÅ view on the same page, and the way back is not."""

import os

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_dashboard_browser import make_app, severe, store, wait_map  # noqa: F401

pytestmark = pytest.mark.browser


def shown(dash_duo, element_id):
    found = dash_duo.driver.find_elements(By.ID, element_id)
    return bool(found) and found[0].is_displayed()


def wait_until(dash_duo, condition, timeout=60):
    WebDriverWait(dash_duo.driver, timeout, ignored_exceptions=(Exception,)).until(
        lambda _driver: condition())


def test_presentation_warning_and_switch_to_bra(dash_duo, store, artifacts):  # noqa: F811
    dash_duo.start_server(make_app(store))  # no users: everyone is polis on this machine
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?present=1&t=year")
    wait_map(dash_duo)
    dash_duo.wait_for_element("#root.present")
    wait_until(dash_duo, lambda: shown(dash_duo, "present-warning"))
    warning = dash_duo.find_element("#present-warning").text
    assert warning.startswith("Varning: exakta uppgifter på delad skärm.")
    assert "Byt till BRÅ-vyn" in warning
    dash_duo.driver.save_screenshot(os.path.join(artifacts, "presentation-warning.png"))

    dash_duo.find_element("#view-as-bra").click()
    dash_duo.wait_for_contains_text("#role-banner", "Roll: BRÅ-möte (delad skärm).", timeout=60)
    dash_duo.wait_for_element("#root.present")
    url = dash_duo.driver.current_url
    assert "present=1" in url and "t=year" in url  # the same page, still presenting
    assert not shown(dash_duo, "present-warning")
    assert not shown(dash_duo, "view-as-back")  # no button back to exact data on the shared screen

    dash_duo.find_element("#present-btn").click()
    wait_until(dash_duo, lambda: shown(dash_duo, "view-as-back"))
    dash_duo.find_element("#view-as-back").click()
    wait_until(dash_duo, lambda: dash_duo.find_element("#role-banner").text == ""
               and shown(dash_duo, "logout") is False and "present" not in
               dash_duo.find_element("#root").get_attribute("class"))
    assert not shown(dash_duo, "view-as-back") and not shown(dash_duo, "present-warning")
    assert severe(dash_duo) == []
