"""The residents' form in a real headless Chromium on a server with users: a phone-sized window
with JavaScript switched off submits and gets a reference; axe-core's WCAG 2.1 A/AA rules find no
serious or critical violation on the form (also with its errors) and the status page; the form
works by keyboard alone (Tab through every control, Enter sends); the map pick and "use my
position" fill the position, which only this page may ask for."""

from __future__ import annotations

import re

import pytest
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from dashboard.app import create_app
from layers import GeoPackageStore
from layers.users import UserStore
from tests.browser.conftest import WAIT_S, chrome_options
from tests.browser.test_accessibility_browser import axe_source, report, serious  # noqa: F401  (fixture)
from tests.test_auth import FAST, PW

pytestmark = pytest.mark.browser

PHONE = (390, 844)
REF = re.compile(r"^VGR-\d{4}-[2-9A-Z]{8}$")


@pytest.fixture
def store(tmp_path):
    store = GeoPackageStore.create(tmp_path / "rapportera.gpkg")
    UserStore(store, hasher=FAST).add("anna", "polis", PW)
    return store


def start(dash_duo, store) -> str:
    dash_duo.start_server(create_app(store), navigate=False)
    return dash_duo.server.url


def no_js_phone():
    """A separate Chromium with JavaScript off for every site, phone-sized."""
    options = chrome_options()
    options.arguments[:] = [a for a in options.arguments if not a.startswith("--window-size")]
    options.add_argument(f"--window-size={PHONE[0]},{PHONE[1]}")
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(options=options)


def wait_for(driver, by, what, timeout=WAIT_S):
    return WebDriverWait(driver, timeout).until(lambda d: d.find_element(by, what))


def pending(store, ref) -> list:
    import sqlite3

    with sqlite3.connect(store.path) as conn:
        return conn.execute("SELECT source, moderation, status, layer, category FROM reports WHERE ref = ?",
                            (ref,)).fetchall()


def test_phone_without_javascript_submits_and_gets_a_reference(dash_duo, store, artifacts):
    url = start(dash_duo, store)
    driver = no_js_phone()
    try:
        driver.get(url + "/rapportera")
        wait_for(driver, By.ID, "rapp-form")
        # No script ran: the enhancements (map pick, own position) stay hidden; the plain form works.
        assert not driver.find_element(By.ID, "rapp-map").is_displayed()
        assert not driver.find_element(By.ID, "rapp-locate").is_displayed()
        assert driver.find_element(By.ID, "rapp-submit").is_displayed()
        # Nothing is wider than the phone (no sideways scrolling): the submit button fits.
        button = driver.find_element(By.ID, "rapp-submit")
        assert button.rect["x"] + button.rect["width"] <= PHONE[0]
        Select(driver.find_element(By.ID, "rapp-what")).select_by_value("hastighet|fortkörning")
        Select(driver.find_element(By.ID, "rapp-place")).select_by_value("Skillingaryd|centrum")
        driver.find_element(By.ID, "rapp-description").send_keys("Bilar kör fort förbi skolan.")
        driver.save_screenshot(f"{artifacts}/rapportera-phone-nojs-form.png")
        button.click()
        ref = wait_for(driver, By.ID, "rapp-ref-number").text.strip()
        driver.save_screenshot(f"{artifacts}/rapportera-phone-nojs-done.png")
        assert REF.match(ref), ref
        assert pending(store, ref) == [("medborgare", "väntar", "ny", "hastighet", "fortkörning")]
        driver.find_element(By.ID, "rapp-status-link").click()
        assert wait_for(driver, By.ID, "rapp-state").text == "Ny"
    finally:
        driver.quit()


def test_axe_on_form_errors_and_status_page(dash_duo, store, axe_source, artifacts):  # noqa: F811
    url = start(dash_duo, store)
    driver = dash_duo.driver
    driver.set_window_size(*PHONE)
    for lang in ("sv", "en"):
        driver.get(f"{url}/rapportera?lang={lang}")
        # The script ran: the map is shown (the page is drawn with its enhancements).
        WebDriverWait(driver, WAIT_S).until(lambda d: d.find_element(By.ID, "rapp-map").is_displayed())
        found = serious(dash_duo, axe_source)
        driver.save_screenshot(f"{artifacts}/rapportera-form-{lang}.png")
        assert found == [], f"axe on /rapportera?lang={lang}:\n{report(found)}"
    # The form after an error (nothing chosen): the error summary and kept values.
    driver.find_element(By.ID, "rapp-submit").click()
    wait_for(driver, By.ID, "rapp-errors")
    found = serious(dash_duo, axe_source)
    assert found == [], f"axe on the form with errors:\n{report(found)}"
    # A map pick fills the coordinates, then the report is sent.
    Select(driver.find_element(By.ID, "rapp-what")).select_by_value("otrygg_plats|belysning")
    Select(driver.find_element(By.ID, "rapp-place")).select_by_value("Hok")
    driver.find_element(By.ID, "rapp-submit").click()
    ref = wait_for(driver, By.ID, "rapp-ref-number").text.strip()
    driver.get(f"{url}/rapportera/status/{ref}")
    assert wait_for(driver, By.ID, "rapp-state").text == "Ny"
    found = serious(dash_duo, axe_source)
    driver.save_screenshot(f"{artifacts}/rapportera-status.png")
    assert found == [], f"axe on the status page:\n{report(found)}"


def test_map_pick_fills_the_position(dash_duo, store):
    url = start(dash_duo, store)
    driver = dash_duo.driver
    driver.set_window_size(*PHONE)
    driver.get(f"{url}/rapportera")
    svg = WebDriverWait(driver, WAIT_S).until(lambda d: d.find_element(By.ID, "rapp-map"))
    WebDriverWait(driver, WAIT_S).until(lambda d: svg.is_displayed())
    # Click Vaggeryd's town dot on the map: the coordinates are Vaggeryd's (to the map's precision).
    dot = driver.find_elements(By.CSS_SELECTOR, "#rapp-map circle.town")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", dot)
    dot.click()
    lat = float(driver.find_element(By.ID, "rapp-lat").get_attribute("value"))
    lon = float(driver.find_element(By.ID, "rapp-lon").get_attribute("value"))
    assert abs(lat - 57.4981) < 0.01 and abs(lon - 14.1485) < 0.01, (lat, lon)
    Select(driver.find_element(By.ID, "rapp-what")).select_by_value("otrygg_plats|belysning")
    driver.find_element(By.ID, "rapp-submit").click()
    assert REF.match(wait_for(driver, By.ID, "rapp-ref-number").text.strip())


def test_keyboard_only_tab_through_and_enter_sends(dash_duo, store):
    url = start(dash_duo, store)
    driver = dash_duo.driver
    driver.set_window_size(*PHONE)
    driver.get(f"{url}/rapportera")
    WebDriverWait(driver, WAIT_S).until(lambda d: d.find_element(By.ID, "rapp-locate").is_displayed())
    order = []
    for _ in range(30):
        # Keys to whatever has the focus, from the top of the freshly loaded page.
        ActionChains(driver).send_keys(Keys.TAB).perform()
        el = driver.switch_to.active_element
        name = el.get_attribute("id") or el.tag_name
        if not order or order[-1] != name or name == "a":  # a date field is one stop per part (day, month, year)
            order.append(name)
        if name == "rapp-submit":
            break
    # Every control in reading order; the honeypot is never reached.
    assert order[:order.index("rapp-submit") + 1] == [
        "a", "a", "rapp-what", "rapp-locate", "rapp-place", "summary", "rapp-date", "rapp-hour",
        "rapp-description", "rapp-email", "rapp-submit"], order
    assert "rapp-website" not in order
    # Choose by typing on the focused lists (no mouse), then Enter in a text field sends.
    what = driver.find_element(By.ID, "rapp-what")
    what.send_keys("belysning")
    assert Select(what).first_selected_option.get_attribute("value") == "otrygg_plats|belysning"
    place = driver.find_element(By.ID, "rapp-place")
    place.send_keys("Vaggeryd")
    assert Select(place).first_selected_option.get_attribute("value") == "Vaggeryd"
    email = driver.find_element(By.ID, "rapp-email")
    email.send_keys("boende@example.se")
    email.send_keys(Keys.ENTER)
    ref = wait_for(driver, By.ID, "rapp-ref-number").text.strip()
    assert REF.match(ref)
    assert pending(store, ref) == [("medborgare", "väntar", "ny", "otrygg_plats", "belysning")]


def test_use_my_position_fills_the_position_under_this_pages_permissions_policy(dash_duo, store):
    url = start(dash_duo, store)
    driver = dash_duo.driver
    driver.set_window_size(*PHONE)
    # The device's position (Skillingaryd's station), and the permission a user would give.
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": url, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride",
                           {"latitude": 57.42893, "longitude": 14.09254, "accuracy": 10})
    driver.get(f"{url}/rapportera")
    locate = WebDriverWait(driver, WAIT_S).until(lambda d: d.find_element(By.ID, "rapp-locate"))
    WebDriverWait(driver, WAIT_S).until(lambda d: locate.is_displayed())
    locate.click()
    WebDriverWait(driver, WAIT_S).until(lambda d: d.find_element(By.ID, "rapp-lat").get_attribute("value"))
    assert driver.find_element(By.ID, "rapp-lat").get_attribute("value") == "57.428930"
    assert driver.find_element(By.ID, "rapp-lon").get_attribute("value") == "14.092540"
    assert driver.find_element(By.ID, "rapp-locate-status").text == "Din position är vald."
    Select(driver.find_element(By.ID, "rapp-what")).select_by_value("hastighet|buskörning")
    driver.find_element(By.ID, "rapp-submit").click()
    ref = wait_for(driver, By.ID, "rapp-ref-number").text.strip()
    assert pending(store, ref) == [("medborgare", "väntar", "ny", "hastighet", "buskörning")]
    # Elsewhere the app forbids it: the dashboard's login page cannot ask for the position.
    driver.get(f"{url}/login")
    denied = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        navigator.geolocation.getCurrentPosition(() => done('allowed'), e => done('denied:' + e.code));""")
    assert denied == "denied:1"
