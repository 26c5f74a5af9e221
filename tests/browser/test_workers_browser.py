"""A real `serve --workers 2` under an open page in headless Chromium: answers from both
worker processes never make the page say the server was restarted; a real restart does."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_dashboard_browser import store, wait_map  # noqa: F401
from tests.browser.test_restart_browser import RESTARTED_SV, banner_text, wait_banner
from tests.test_workers import Served

pytestmark = pytest.mark.browser

#: Counts, per worker process, the answers the page got (the test-only worker header), before
#: the page's own scripts wrap fetch: every callback answer and status poll passes through it.
COUNT_WORKERS = """
window.__tkWorkers = {};
const pageFetch = window.fetch.bind(window);
window.fetch = function (input, init) {
    return pageFetch(input, init).then(function (response) {
        const worker = response.headers.get("X-Trygghetskarta-Worker");
        if (worker) { window.__tkWorkers[worker] = (window.__tkWorkers[worker] || 0) + 1; }
        return response;
    });
};
"""


@pytest.fixture
def served(store, tmp_path):  # noqa: F811
    # Idle connections closed after 5 s and a poll every 6 s: the polls open new connections,
    # which land on either worker.
    server = Served(store.path, tmp_path, "--session-poll", "6", "--channel-timeout", "5")
    server.start()
    yield server
    server.stop()


def answers(dash_duo) -> dict:
    return dash_duo.driver.execute_script("return window.__tkWorkers || {}")


def test_answers_from_both_workers_are_no_restart_but_a_real_restart_is(dash_duo, served):
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COUNT_WORKERS})
    driver.get(f"http://127.0.0.1:{served.port}/?t=year")
    wait_map(dash_duo)
    dash_duo.wait_for_contains_text("#map-note", "rapporter som punkter", timeout=60)
    wait = WebDriverWait(driver, 120, ignored_exceptions=(Exception,))
    both = wait.until(lambda _d: (found := answers(dash_duo)) and len(found) == 2 and found)
    assert {int(pid) for pid in both} == served.worker_pids()
    # Two more answers after that: the page has handled every answer counted above.
    seen = sum(both.values())
    wait.until(lambda _d: sum(answers(dash_duo).values()) >= seen + 2)
    assert banner_text(dash_duo) == ""
    assert driver.execute_script("return document.documentElement.getAttribute('data-tk-session')") is None

    served.stop()
    served.start()
    wait_banner(dash_duo, RESTARTED_SV, timeout=40)
