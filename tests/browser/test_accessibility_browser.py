"""WCAG 2.1 A/AA in a real headless Chromium: axe-core on every page and role (0 serious or
critical violations, contrast included), `<html lang>` and the date texts following the
language switch, the charts' tables, and the public view without controls that do nothing."""

import json
import os

import pytest
from argon2 import PasswordHasher
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from dashboard.data import load
from layers.users import UserStore
from tests.browser.test_dashboard_browser import MAP, MAP_READY, reveal_panels, wait_js
from tests.dash_fixtures import TODAY, small_store

pytestmark = pytest.mark.browser

VENDOR = os.path.join(os.path.dirname(__file__), "vendor", "axe-core")
AXE_VERSION = "4.14.1"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.map(n => n.target.join(' '))}))))
  .catch(e => done({error: String(e)}));
"""
#: Everything a page draws after load: the map, the three charts' tables and the report list
#: (on the shared screen a closed tab's list is drawn when the tab is opened).
PAGE_DRAWN = """
const list = document.getElementById('report-list');
return (list.offsetParent === null || !!document.querySelector('#report-list p, #report-list table'))
  && ['chart-activities', 'chart-time', 'chart-when'].every(
       id => document.querySelector('#' + id + '-table table, #' + id + '-table p'));
"""


@pytest.fixture(scope="module")
def axe_source():
    path = os.path.join(VENDOR, "axe.min.js")
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    assert source.startswith(f"/*! axe v{AXE_VERSION}"), "tests/browser/vendor/axe-core is not the pinned axe-core"
    return source


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("a11y") / "s.gpkg")


def start(dash_duo, store, role):
    dash_duo.start_server(create_app(store, today=lambda: TODAY, data=load(store), role=role), navigate=False)


def open_page(dash_duo, path):
    dash_duo.driver.get(dash_duo.server.url + path)
    if path.startswith("/uppfoljning"):  # a plain page (no Dash): drawn when loaded
        wait_truthy(dash_duo, "return document.readyState === 'complete' && !!document.querySelector('h1');",
                    timeout=60)
    else:
        wait_drawn(dash_duo)


def wait_drawn(dash_duo):
    WebDriverWait(dash_duo.driver, 90).until(lambda driver: driver.execute_script(MAP_READY, MAP))
    reveal_panels(dash_duo)  # what a reader scrolls to: axe checks every panel drawn
    wait_js(dash_duo, PAGE_DRAWN, True, timeout=60)


def wait_truthy(dash_duo, script, timeout=30):
    return WebDriverWait(dash_duo.driver, timeout).until(lambda driver: driver.execute_script(script))


def serious(dash_duo, axe_source):
    """axe's serious and critical WCAG 2.1 A/AA violations on the page as it is now."""
    driver = dash_duo.driver
    driver.set_script_timeout(120)
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(axe_source)
    found = driver.execute_async_script(RUN_AXE, TAGS)
    assert not isinstance(found, dict), found
    return [v for v in found if v["impact"] in ("serious", "critical")]


def report(violations) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}: {v['help']}): {json.dumps(v['nodes'])}" for v in violations)


def check(dash_duo, axe_source, page, artifacts):
    violations = serious(dash_duo, axe_source)
    name = "-".join(part for part in page.replace("?", "/").replace("&", "/").replace("=", "").split("/") if part)
    dash_duo.driver.save_screenshot(os.path.join(artifacts, f"a11y-{name}.png"))
    assert violations == [], f"axe on {page}:\n{report(violations)}"


@pytest.mark.parametrize(("role", "pages"), [
    ("polis", ["/", "/?lang=en", "/?present=1"]),
    ("bra", ["/", "/?present=1"]),
    ("allmanhet", ["/", "/?present=1&lang=en", "/uppfoljning", "/uppfoljning?lang=en"]),
])
def test_axe_finds_no_serious_violation_on_the_dashboard(dash_duo, store, axe_source, role, pages, artifacts):
    start(dash_duo, store, role)
    for page in pages:
        open_page(dash_duo, page)
        check(dash_duo, axe_source, f"{role}{page}", artifacts)


def test_axe_on_the_open_edit_panel_and_date_picker(dash_duo, store, axe_source, artifacts):
    start(dash_duo, store, "polis")
    open_page(dash_duo, "/")
    driver = dash_duo.driver
    driver.find_element(By.CSS_SELECTOR, "#edit-panel summary").click()  # the form comes on first opening
    dash_duo.wait_for_element("#e-kind input[value=activity]", timeout=60).click()
    wait_truthy(dash_duo, "return document.getElementById('e-akind').offsetParent !== null;", timeout=60)
    check(dash_duo, axe_source, "polis-edit", artifacts)
    # A dropdown is one tab stop, its button, and opens from the keyboard.
    stops = driver.execute_script("""
        const w = document.getElementById('e-akind').closest('.dash-dropdown-wrapper');
        return [w.querySelector('.dash-dropdown-focus-target').tabIndex, w.querySelector('button').tabIndex];""")
    assert stops == [-1, 0]
    driver.find_element(By.ID, "e-akind").send_keys(Keys.ENTER)
    expanded = "return document.getElementById('e-akind').getAttribute('aria-expanded');"
    wait_js(dash_duo, expanded, "true", timeout=30)
    # Focus moves into the list: the kinds as native radios, the chosen one checked.
    wait_js(dash_duo, "return document.activeElement.type + ':' + document.activeElement.checked;", "radio:true",
            timeout=30)
    check(dash_duo, axe_source, "polis-dropdown-open", artifacts)
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_js(dash_duo, expanded, "false", timeout=30)
    # The filter's calendar, opened as a keyboard user would.
    driver.find_element(By.CSS_SELECTOR, "#f-dates-wrapper input").click()
    wait_truthy(dash_duo, "return !!document.querySelector('.dash-datepicker-calendar');", timeout=60)
    check(dash_duo, axe_source, "polis-calendar", artifacts)


def test_axe_on_the_follow_up_and_login_pages(dash_duo, tmp_path, axe_source, artifacts):
    store = small_store(tmp_path / "users.gpkg")
    UserStore(store, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)).add(
        "pia", "polis", "ett långt lösenord")
    dash_duo.start_server(create_app(store, today=lambda: TODAY, data=load(store)), navigate=False)
    driver = dash_duo.driver
    driver.get(dash_duo.server.url + "/login")
    wait_truthy(dash_duo, "return !!document.getElementById('username');", timeout=60)
    check(dash_duo, axe_source, "login", artifacts)
    driver.find_element(By.ID, "username").send_keys("pia")
    driver.find_element(By.ID, "password").send_keys("ett långt lösenord")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_drawn(dash_duo)
    driver.get(dash_duo.server.url + "/uppfoljning")
    wait_js(dash_duo, "return document.readyState === 'complete' && !!document.querySelector('h1');", True,
            timeout=30)
    check(dash_duo, axe_source, "uppfoljning", artifacts)


LANG_STATE = """
const inputs = document.querySelectorAll('#f-dates-wrapper input');
return [document.documentElement.lang, inputs[0].placeholder, inputs[1].placeholder,
        (document.querySelector('a.dash-datepicker-clear') || {}).ariaLabel || null];
"""


def test_html_lang_and_date_texts_follow_the_language_switch(dash_duo, store):
    start(dash_duo, store, "polis")
    open_page(dash_duo, "/")
    wait_js(dash_duo, LANG_STATE, ["sv", "Startdatum", "Slutdatum", "Rensa datum"], timeout=30)
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#lang input[value=en]").click()
    wait_js(dash_duo, LANG_STATE, ["en", "Start date", "End date", "Clear dates"], timeout=30)
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#lang input[value=sv]").click()
    wait_js(dash_duo, LANG_STATE, ["sv", "Startdatum", "Slutdatum", "Rensa datum"], timeout=30)
    # The page address in English starts in English.
    open_page(dash_duo, "/?lang=en")
    wait_js(dash_duo, LANG_STATE, ["en", "Start date", "End date", "Clear dates"], timeout=30)


def test_the_date_pickers_clear_control_works_from_the_keyboard(dash_duo, store):
    start(dash_duo, store, "polis")
    open_page(dash_duo, "/?t=custom&from=2026-11-01&to=2026-11-30")
    values = "return [...document.querySelectorAll('#f-dates-wrapper input')].map(i => i.value);"
    wait_js(dash_duo, values, ["2026-11-01", "2026-11-30"], timeout=30)
    clear = dash_duo.driver.find_element(By.CSS_SELECTOR, "a.dash-datepicker-clear")
    assert clear.get_attribute("role") == "button" and clear.get_attribute("tabindex") == "0"
    clear.send_keys(Keys.ENTER)
    wait_js(dash_duo, values, ["", ""], timeout=30)


TIME_TABLE = """
const table = document.querySelector('#chart-time-table table');
return table && [...table.querySelectorAll('tr')].map(tr => [...tr.children].map(c => c.textContent));
"""


def test_each_chart_reads_as_a_table(dash_duo, store):
    start(dash_duo, store, "polis")
    open_page(dash_duo, "/?t=all")
    summary = dash_duo.driver.find_element(By.CSS_SELECTOR, "#chart-time-details summary")
    assert summary.text == "Visa rapporterna över tid som tabell"
    summary.click()
    rows = wait_truthy(dash_duo, TIME_TABLE)
    assert rows[0][0].startswith("Månad")  # the chart's x-axis title
    assert rows[0][1:] == ["Otrygga platser", "Hastighetsklagomål", "Narkotikatips"]
    by_month = {row[0]: row[1:] for row in rows[1:]}
    assert by_month["nov 2025"] == ["1", "0", "0"]
    assert by_month["maj 2026"] == ["0", "1", "0"]
    assert by_month["okt 2026"] == ["0", "0", "1"]
    assert by_month["nov 2026"] == ["5", "2", "1"]
    assert sum(int(v) for row in rows[1:] for v in row[1:]) == 12
    # Keyboard users reach every table's disclosure.
    focusable = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('.chart-tables summary')].map(s => s.tabIndex);")
    assert focusable == [0, 0, 0]


PUBLIC_CONTROLS = """
const shown = id => { const el = document.getElementById(id); return !!el && el.offsetParent !== null; };
const box = v => document.querySelector('#f-focus input[value=' + v + ']');
return [shown('status-filter'), shown('mode-filter'), box('narkotika').disabled, box('trygghet').disabled];
"""


@pytest.mark.parametrize(("role", "expected"), [
    ("allmanhet", [False, False, True, False]),
    ("bra", [True, True, False, False]),
])
def test_the_public_view_offers_no_control_that_does_nothing(dash_duo, store, role, expected):
    start(dash_duo, store, role)
    open_page(dash_duo, "/")
    wait_js(dash_duo, PUBLIC_CONTROLS, expected, timeout=30)
    # Still so after the language switch redraws the options.
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#lang input[value=en]").click()
    wait_js(dash_duo, "return document.documentElement.lang;", "en", timeout=30)
    wait_js(dash_duo, PUBLIC_CONTROLS, expected, timeout=30)


MONTH_HEADERS = """
return [...document.querySelectorAll('.dash-datepicker-calendar-month-header')].map(e => e.textContent.trim());
"""


def test_the_calendar_names_months_in_the_page_language(dash_duo, store):
    """Dash's picker takes month names from the browser's language; the page's switch decides."""
    start(dash_duo, store, "polis")
    open_page(dash_duo, "/?t=custom&from=2026-11-01&to=2026-11-30")
    driver = dash_duo.driver
    driver.find_element(By.CSS_SELECTOR, "#f-dates-wrapper input").click()
    wait_js(dash_duo, MONTH_HEADERS, ["november 2026", "december 2026"], timeout=30)
    driver.find_element(By.CSS_SELECTOR, "#f-dates-wrapper input").send_keys(Keys.ESCAPE)
    wait_js(dash_duo, MONTH_HEADERS, [], timeout=30)
    driver.find_element(By.CSS_SELECTOR, "#lang input[value=en]").click()
    wait_js(dash_duo, "return document.documentElement.lang;", "en", timeout=30)
    driver.find_element(By.CSS_SELECTOR, "#f-dates-wrapper input").click()
    wait_js(dash_duo, MONTH_HEADERS, ["November 2026", "December 2026"], timeout=30)
