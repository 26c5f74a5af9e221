"""The EST pages in a real headless Chromium on a server with users: a rapportör on a
phone-sized window with JavaScript switched off logs in, submits an observation and sees it in
their own list, another rapportör does not; axe-core's WCAG 2.1 A/AA rules find no serious or
critical violation on the form (also with an error) and on the week view."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from dashboard.app import create_app
from layers import GeoPackageStore
from layers.users import UserStore
from tests.browser.conftest import WAIT_S
from tests.browser.test_accessibility_browser import axe_source, report, serious  # noqa: F401  (fixture)
from tests.browser.test_rapportera_browser import PHONE, no_js_phone, wait_for
from tests.test_auth import FAST, PW

pytestmark = pytest.mark.browser


@pytest.fixture
def store(tmp_path):
    store = GeoPackageStore.create(tmp_path / "est.gpkg")
    users = UserStore(store, hasher=FAST)
    for name, role in (("rut", "rapportor"), ("sven", "rapportor"), ("anna", "polis")):
        users.add(name, role, PW)
    return store


def log_in(driver, url, name, next_url="/est"):
    driver.get(f"{url}/login?next={next_url}")
    wait_for(driver, By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PW)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def test_phone_without_javascript_submits_and_only_the_reporter_sees_it(dash_duo, store, artifacts):
    dash_duo.start_server(create_app(store), navigate=False)
    url = dash_duo.server.url
    driver = no_js_phone()
    try:
        log_in(driver, url, "rut")
        wait_for(driver, By.ID, "rapp-form")
        # No script ran: the map pick and the position button stay hidden; the plain form works.
        assert not driver.find_element(By.ID, "rapp-map").is_displayed()
        assert not driver.find_element(By.ID, "rapp-locate").is_displayed()
        button = driver.find_element(By.ID, "est-submit")
        assert button.rect["x"] + button.rect["width"] <= PHONE[0]
        driver.find_element(By.CSS_SELECTOR, "input[name=category][value=klotter]").click()
        Select(driver.find_element(By.ID, "rapp-place")).select_by_value("Vaggeryd|stationen")
        driver.find_element(By.ID, "est-text").send_keys("Klotter på gångtunneln vid stationen.")
        driver.save_screenshot(f"{artifacts}/est-phone-nojs-form.png")
        button.click()
        saved = wait_for(driver, By.ID, "est-saved").text
        driver.save_screenshot(f"{artifacts}/est-phone-nojs-saved.png")
        assert saved.startswith("Sparad: Klotter, Vaggeryd – stationen, ") and saved.endswith(
            "Den väntar på granskning.")
        assert "Klotter på gångtunneln vid stationen." in driver.find_element(By.ID, "est-mine").text
        driver.delete_all_cookies()
        log_in(driver, url, "sven")
        wait_for(driver, By.ID, "rapp-form")
        assert "gångtunneln" not in driver.page_source
        assert driver.find_elements(By.ID, "est-mine") == []
    finally:
        driver.quit()


def test_axe_on_the_form_its_error_and_the_week_view(dash_duo, store, axe_source, artifacts):  # noqa: F811
    dash_duo.start_server(create_app(store), navigate=False)
    url = dash_duo.server.url
    driver = dash_duo.driver
    driver.set_window_size(*PHONE)
    log_in(driver, url, "rut")
    # The script ran: the map is shown (the page as drawn with its enhancements).
    WebDriverWait(driver, WAIT_S).until(lambda d: d.find_element(By.ID, "rapp-map").is_displayed())
    found = serious(dash_duo, axe_source)
    driver.save_screenshot(f"{artifacts}/est-form.png")
    assert found == [], f"axe on /est:\n{report(found)}"
    driver.find_element(By.ID, "est-submit").click()  # nothing chosen
    assert wait_for(driver, By.ID, "est-error").text == "Vad: fyll i"
    found = serious(dash_duo, axe_source)
    assert found == [], f"axe on /est with an error:\n{report(found)}"
    driver.delete_all_cookies()
    log_in(driver, url, "anna", "/est/vecka/2026-W48")
    WebDriverWait(driver, WAIT_S).until(lambda d: "EST vecka 48 2026" in d.find_element(By.TAG_NAME, "h1").text)
    found = serious(dash_duo, axe_source)
    driver.save_screenshot(f"{artifacts}/est-week.png")
    assert found == [], f"axe on the week view:\n{report(found)}"
