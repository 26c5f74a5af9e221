"""The residents' form under `serve --workers 2` (a real subprocess, tests.test_workers' harness):
submissions from one address spread over both worker processes are counted together — the 21st
within the hour gets 429 whichever process answers — and a form token from one process is
accepted by the other and used up in both."""

from __future__ import annotations

import re
import sqlite3
import sys
from urllib.parse import urlencode

import pytest

from layers.users import UserStore
from tests.dash_fixtures import small_store
from tests.test_workers import FAST, PW, Served

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="several worker processes (gunicorn) and /proc: Linux")

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = tmp_path_factory.mktemp("rapportera-workers") / "u.gpkg"
    store = small_store(path)
    UserStore(store, hasher=FAST).add("anna", "polis", PW)
    server = Served(path, path.parent)
    server.start()
    yield server
    server.stop()


def token(browser, worker) -> str:
    page = browser.request(worker, "GET", "/rapportera").text()
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def post(browser, worker, tok):
    body = urlencode({"form_token": tok, "lang": "sv", "what": "otrygg_plats|belysning", "place": "Hok"})
    return browser.request(worker, "POST", "/rapportera", body.encode(), FORM)


def test_the_21st_submission_is_refused_whichever_worker_answers(served):
    browser = served.browser()
    try:
        first, second = browser.connect_to_both()
        statuses = []
        for i in range(21):
            # The token from one process, the submission to the other: both know the app's key.
            mine, other = (first, second) if i % 2 else (second, first)
            tok = token(browser, mine)
            statuses.append(post(browser, other, tok).status)
            if i == 0:  # the same token again, to the process that made it: used up there too
                again = post(browser, mine, tok)
                assert again.status == 400 and "redan skickad" in again.text()
        assert statuses == [200] * 20 + [429]
        refused = post(browser, first, token(browser, first))
        assert refused.status == 429 and "Retry-After" in refused.headers
        assert "För många rapporter just nu" in refused.text()
        with sqlite3.connect(served.data) as conn:
            assert conn.execute("SELECT count(*) FROM reports WHERE source = 'medborgare' AND moderation = 'väntar'"
                                ).fetchone()[0] == 20
    finally:
        browser.close()
