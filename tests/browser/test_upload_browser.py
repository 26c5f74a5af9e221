"""An upload in a real headless Chromium: the import runs as a job in a worker process, the page
shows its progress and then the outcome."""

import time

import pytest

from dashboard.app import create_app
from dashboard.data import load
from tests.browser.test_dashboard_browser import wait_js, wait_map
from tests.dash_fixtures import TODAY, small_store

pytestmark = pytest.mark.browser

CSV = ("Datum;Tid;Kategori;Beskrivning;N;E\r\n"
       "2026-03-01;18:30;Belysning;Mörkt;6365443;445400\r\n"
       "2026-03-02;19:30;Belysning;Mörkt igen;6365443,5;445400,5\r\n"
       "2026-02-30;19:30;Belysning;Omöjligt datum;6365443;445400\r\n").encode("cp1252")
#: Every text the upload's message box shows, in order (a MutationObserver: no text is missed
#: however fast the job is).
WATCH = """
window.__uploadTexts = [];
const box = document.querySelector('#u-message');
new MutationObserver(() => {
  const text = box.innerText;
  if (window.__uploadTexts[window.__uploadTexts.length - 1] !== text) window.__uploadTexts.push(text);
}).observe(box, {childList: true, subtree: true, characterData: true});
"""
DONE = "ot.csv: 2 sparade, 0 fanns redan, 1 avvisade."


def test_an_upload_shows_its_progress_then_the_outcome(dash_duo, tmp_path):
    store = small_store(tmp_path / "s.gpkg")
    app = create_app(store, today=lambda: TODAY, data=load(store))
    dash_duo.start_server(app)
    wait_map(dash_duo)
    dash_duo.find_element("#edit-panel summary").click()
    dash_duo.driver.execute_script(WATCH)
    source = tmp_path / "ot.csv"
    source.write_bytes(CSV)
    dash_duo.wait_for_element("#u-file input[type=file]", timeout=60).send_keys(str(source))
    # The worker process starts, reads and stores (seconds on a busy machine): wait for the outcome.
    end = time.time() + 120
    texts = []
    while time.time() < end:
        texts = dash_duo.driver.execute_script("return window.__uploadTexts")
        if texts and texts[-1].startswith(DONE):
            break
        time.sleep(0.2)
    assert texts and texts[-1].startswith(DONE), texts
    assert texts[0] == "Importen av ot.csv startar…"
    assert texts[-1].split("\n")[1] == "rad 3: datum 'Datum': '2026-02-30' är inget riktigt datum"
    # Every text in between is the job's progress in words.
    assert all(t.startswith(("Importen av ot.csv startar", "Läser filen…", "Kontrollerar", "Sparar"))
               for t in texts[:-1]), texts
    wait_js(dash_duo, "return document.querySelector('#u-message').className", "edit-message error")
    assert len(store.read_table("reports")) == 14


MESSAGE = "return document.querySelector('#u-message') && document.querySelector('#u-message').textContent"


def test_a_page_reloaded_during_an_upload_shows_its_progress_again_then_the_outcome(dash_duo, tmp_path,
                                                                                   monkeypatch):
    import subprocess
    import sys

    from dashboard import callbacks_edit
    from layers import jobs as runner
    from layers.imports import jobs as import_jobs

    # The job's worker holds the job (its lock) without importing, until the test runs the job.
    workers = []

    def held(folder, lock_fd):
        workers.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], pass_fds=(lock_fd,)))

    monkeypatch.setattr(callbacks_edit, "job_launcher", held)
    store = small_store(tmp_path / "s.gpkg")
    app = create_app(store, today=lambda: TODAY, data=load(store))
    dash_duo.start_server(app)
    try:
        wait_map(dash_duo)
        dash_duo.find_element("#edit-panel summary").click()
        source = tmp_path / "ot.csv"
        source.write_bytes(CSV)
        dash_duo.wait_for_element("#u-file input[type=file]", timeout=60).send_keys(str(source))
        wait_js(dash_duo, MESSAGE, "Importen av ot.csv startar…")
        (folder,) = [f for f in import_jobs.jobs_folder(store.path).iterdir() if f.is_dir()]
        runner.update(folder, state="running", stage="read", done=40_000, total=120_000)
        dash_duo.driver.refresh()
        wait_map(dash_duo)
        # The new page knows nothing of the upload; the server finds the session's job for it.
        wait_js(dash_duo, MESSAGE, "Läser filen… 40\u00a0000 av 120\u00a0000 rader")
        import_jobs.run_job(folder)
        end = time.time() + 60
        text = ""
        while time.time() < end and not text.startswith(DONE):
            text = dash_duo.driver.execute_script(MESSAGE) or ""
            time.sleep(0.2)
        assert text.startswith(DONE), text
        assert len(store.read_table("reports")) == 14
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
