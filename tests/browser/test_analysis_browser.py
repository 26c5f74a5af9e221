"""The analysis parts in a real browser: the indicator cards and the hot-spot legend appear (the
hot-spot panel once opened, in presentation by its tab), and playback steps the time filter (URL,
date picker, cards) month by month until paused."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from dashboard.data import load
from tests.dash_fixtures import TODAY, small_store

pytestmark = pytest.mark.browser

WAIT = 90  # seconds: generous, the machine is shared; every wait is for a condition


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("analysis") / "s.gpkg")


def text_of(driver, selector):
    found = driver.find_elements(By.CSS_SELECTOR, selector)
    return found[0].text if found else ""


def until(dash_duo, condition, what):
    try:
        return WebDriverWait(dash_duo.driver, WAIT, poll_frequency=0.2).until(lambda d: condition(d))
    except Exception as exc:  # a timeout names what was awaited
        raise AssertionError(f"waited {WAIT} s for {what}") from exc


def test_cards_hot_spots_and_playback(dash_duo, store):
    app = create_app(store, today=lambda: TODAY, data=load(store))
    dash_duo.start_server(app)
    until(dash_duo, lambda d: "Otrygga platser: 5 under 1 januari – 27 november 2026" in text_of(d, "#indicator-cards"),
          "the unsafe-places card for the promise period so far")
    # The hot-spot panel starts closed and is not computed: no legend until it is opened.
    assert dash_duo.driver.find_element(By.ID, "hotspot-panel").get_attribute("open") is None
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#hotspot-legend li") == []
    dash_duo.driver.find_element(By.ID, "hotspot-summary").click()
    until(dash_duo, lambda d: d.find_element(By.ID, "hotspot-panel").get_attribute("open") is not None, "the panel open")
    until(dash_duo, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#hotspot-legend li")) == 5, "the legend's 5 classes")
    assert text_of(dash_duo.driver, "#hotspot-legend li[data-class='hot99']").startswith("Hotspot, 99 % säkerhet: ")
    until(dash_duo, lambda d: text_of(d, "#hotspot-note").startswith("Testat: Getis–Ord Gi*"), "the hot-spot note")

    dash_duo.driver.find_element(By.ID, "play-btn").click()
    until(dash_duo, lambda d: "from=2026-01-01&to=2026-01-31" in d.current_url, "January in the address")
    # The next step comes only after the filters showed the one before: playback goes on by itself.
    until(dash_duo, lambda d: step(d) >= 2, "a second step")
    dash_duo.driver.find_element(By.ID, "play-btn").click()
    until(dash_duo, lambda d: "playing" not in d.find_element(By.ID, "play-btn").get_attribute("class"), "the pause")
    # Paused on month i: the address, the date picker and the cards all show it (one filter store).
    month = step(dash_duo.driver)
    assert 2 <= month <= 11
    first = f"2026-{month:02d}-01"
    until(dash_duo, lambda d: f"from={first}" in d.current_url, f"the address on {first}")
    until(dash_duo, lambda d: d.execute_script(DATES) == [first, last_day(month)],
          "the date picker on the step")
    until(dash_duo, lambda d: MONTHS[month - 1] + " 2026" in text_of(d, "#indicator-cards"), "the cards on the step")
    assert step(dash_duo.driver) == month


DATES = "return [...document.querySelectorAll('#f-dates-wrapper input')].map(i => i.value);"


def last_day(month: int) -> str:
    import calendar

    return f"2026-{month:02d}-{calendar.monthrange(2026, month)[1]:02d}"


MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")


def step(driver) -> int:
    """The step the status names: 'Visar mars 2026 (3 av 11)' -> 3 (0 before the first)."""
    import re

    found = re.search(r"\((\d+) av 11\)", text_of(driver, "#play-status"))
    return int(found.group(1)) if found else 0


def test_the_presentation_tab_opens_the_hot_spot_panel_and_another_closes_it(dash_duo, store):
    app = create_app(store, today=lambda: TODAY, data=load(store))
    dash_duo.start_server(app)
    until(dash_duo, lambda d: "Otrygga platser" in text_of(d, "#indicator-cards"), "the cards")
    dash_duo.driver.find_element(By.ID, "present-btn").click()
    until(dash_duo, lambda d: "present" in d.find_element(By.ID, "root").get_attribute("class"), "presentation")
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#hotspot-legend li") == []

    def tab(name):
        dash_duo.driver.find_element(By.CSS_SELECTOR, f'#charts .tab[id*=\'"tab":"{name}"\']').click()

    tab("hotspots")
    until(dash_duo, lambda d: d.find_element(By.ID, "hotspot-panel").get_attribute("open") is not None, "the panel open")
    until(dash_duo, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#hotspot-legend li")) == 5, "the legend's 5 classes")
    until(dash_duo, lambda d: d.find_element(By.ID, "hotspot-map").is_displayed(), "the hot-spot map on screen")
    tab("overview")
    until(dash_duo, lambda d: d.find_element(By.ID, "hotspot-panel").get_attribute("open") is None,
          "the panel closed on another tab")
