"""The "Skriv ut lägesbild" button in a real headless Chromium: the report is made by a worker
process, the page shows its progress, then links whose PDF the browser's session can fetch."""

import time

import pytest

from dashboard.app import create_app
from dashboard.data import load
from tests.browser.test_dashboard_browser import wait_map
from tests.dash_fixtures import TODAY, small_store

pytestmark = pytest.mark.browser

#: Every text the report's message box shows, in order (a MutationObserver misses none).
WATCH = """
window.__reportTexts = [];
const box = document.querySelector('#r-message');
new MutationObserver(() => {
  const text = box.innerText;
  if (window.__reportTexts[window.__reportTexts.length - 1] !== text) window.__reportTexts.push(text);
}).observe(box, {childList: true, subtree: true, characterData: true});
"""
#: The PDF behind the link, fetched with the page's own session: status, type and first bytes.
FETCH = """
const done = arguments[arguments.length - 1];
fetch(document.querySelector('#r-link-pdf').href, {credentials: 'same-origin'})
  .then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'),
                                             String.fromCharCode(...new Uint8Array(b.slice(0, 5)))])))
  .catch(e => done(['error', String(e)]));
"""
#: A report is a minute on an idle machine; the worker runs at niceness +10 beside the suite.
REPORT_S = 420


def test_the_button_makes_the_report_and_the_page_links_its_files(dash_duo, tmp_path):
    store = small_store(tmp_path / "s.gpkg")
    app = create_app(store, today=lambda: TODAY, data=load(store), role="bra")
    dash_duo.start_server(app)
    wait_map(dash_duo)
    dash_duo.select_dcc_dropdown("#r-period", value="kvartal 4 2026")
    dash_duo.driver.execute_script(WATCH)
    dash_duo.find_element("#r-go").click()
    end = time.time() + REPORT_S
    texts = []
    while time.time() < end:
        texts = dash_duo.driver.execute_script("return window.__reportTexts")
        if texts and "är klar" in texts[-1]:
            break
        time.sleep(0.5)
    assert texts and texts[-1].startswith("Lägesbilden för kvartal 4 2026 är klar ("), texts
    assert texts[-1].endswith("sidor): PDF · HTML"), texts
    assert texts[0] == "Lägesbilden för kvartal 4 2026 väntar på att börja …"
    # Every text in between is the job's progress in words.
    assert all(t.startswith("Lägesbilden för kvartal 4 2026") for t in texts), texts
    link = dash_duo.find_element("#r-link-pdf")
    assert link.get_attribute("download") == "lagesbild-2026-Q4-bra.pdf"
    dash_duo.driver.set_script_timeout(60)
    assert dash_duo.driver.execute_async_script(FETCH) == [200, "application/pdf", "%PDF-"]
