"""A real `trygghetskarta serve` restarted under an open page in headless Chromium: the page
says so in words (Swedish by default, English with the page language) with a reload button,
instead of showing the old numbers as if they were current."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.test_dashboard_browser import store, wait_map  # noqa: F401

pytestmark = pytest.mark.browser

RESTARTED_SV = "Servern har startats om. Siffrorna på sidan kan vara inaktuella – ladda om sidan."
RESTARTED_EN = "The server was restarted. The numbers on this page may be out of date – reload the page."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """`trygghetskarta serve` as a subprocess on one port, restartable."""

    def __init__(self, data, port: int, log_dir, poll_s: float):
        self.data, self.port, self.log_dir, self.poll_s = data, port, log_dir, poll_s
        self.proc = None
        self.starts = 0

    def start(self, timeout: float = 60) -> None:
        self.starts += 1
        log = open(os.path.join(self.log_dir, f"serve-{self.port}-{self.starts}.log"), "w")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "dashboard", "serve", "--data", str(self.data),
                                      "--port", str(self.port), "--session-poll", str(self.poll_s)],
                                     stdout=log, stderr=subprocess.STDOUT)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.proc.poll() is None, f"serve exited: see {log.name}"
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/_tk-session")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("serve did not answer in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def served(store, tmp_path, request):  # noqa: F811
    server = Serve(store.path, free_port(), str(tmp_path), poll_s=getattr(request, "param", 15))
    server.start()
    yield server
    server.stop()


def banner_text(dash_duo) -> str:
    found = dash_duo.driver.find_elements(By.ID, "session-banner")
    return found[0].text if found and found[0].is_displayed() else ""


def wait_banner(dash_duo, expected: str, timeout: float = 40) -> None:
    WebDriverWait(dash_duo.driver, timeout, ignored_exceptions=(Exception,)).until(
        lambda _driver: expected in banner_text(dash_duo))


@pytest.mark.parametrize("served", [2], indirect=True)  # the page asks every 2 s
def test_an_idle_page_notices_a_restart_and_reloads_to_fresh_numbers(dash_duo, served, artifacts):
    dash_duo.driver.get(f"http://127.0.0.1:{served.port}/?t=year")
    wait_map(dash_duo)
    dash_duo.wait_for_contains_text("#map-note", "rapporter som punkter", timeout=60)
    url = dash_duo.driver.current_url
    assert "t=year" in url
    assert banner_text(dash_duo) == ""  # nothing to say on a fresh page

    served.restart()
    # Nobody touches the page: its status poll finds the new server.
    wait_banner(dash_duo, RESTARTED_SV, timeout=60)
    assert "Ladda om sidan" in banner_text(dash_duo)
    dash_duo.driver.save_screenshot(os.path.join(artifacts, "restart-banner-sv.png"))

    dash_duo.find_element("#session-reload").click()
    WebDriverWait(dash_duo.driver, 20, ignored_exceptions=(Exception,)).until(
        lambda driver: driver.execute_script("return !document.documentElement.hasAttribute('data-tk-session')")
        and "rapporter som punkter" in driver.find_element(By.ID, "map-note").text)
    assert dash_duo.driver.current_url == url  # the same view: the address holds the state
    assert banner_text(dash_duo) == ""


@pytest.mark.parametrize("served", [3600], indirect=True)  # no poll in this test: the click must tell
def test_an_english_page_says_it_in_english_at_its_next_click(dash_duo, served, artifacts):
    dash_duo.driver.get(f"http://127.0.0.1:{served.port}/?lang=en&t=all")
    wait_map(dash_duo)
    dash_duo.wait_for_contains_text("#map-note", "reports as points", timeout=60)

    served.restart()
    # The next interaction's callback answer carries the new server's id (the page's CSRF
    # token is still good: the cookie key is the data file's): the page says so at once.
    started = time.monotonic()
    dash_duo.driver.find_elements(By.CSS_SELECTOR, "#f-focus input")[0].click()
    wait_banner(dash_duo, RESTARTED_EN, timeout=60)
    assert time.monotonic() - started < 10
    assert "Reload the page" in banner_text(dash_duo)
    dash_duo.driver.save_screenshot(os.path.join(artifacts, "restart-banner-en.png"))
