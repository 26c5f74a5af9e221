"""dash_duo on Debian's Chromium, headless, offline. If the browser cannot start, tests fail (never skip)."""

import os
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options

CHROME = os.environ.setdefault("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")
CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--window-size=1400,1100",
    # MapLibre needs WebGL; without a GPU that is SwiftShader, which must be allowed explicitly.
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
]


def chrome_options() -> Options:
    options = Options()
    options.binary_location = CHROME
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    return options


def pytest_setup_options():
    return chrome_options()


@pytest.fixture(scope="session", autouse=True)
def browser_can_start():
    """Fail loudly, with the real reason, when Chromium or chromedriver is missing or broken."""
    if not os.path.exists(CHROME):
        pytest.fail(f"Chromium not found at {CHROME}: apt-get install chromium chromium-driver", pytrace=False)
    if not shutil.which("chromedriver"):
        pytest.fail("chromedriver not on PATH: apt-get install chromium-driver", pytrace=False)
    options = chrome_options()
    options.add_argument("--remote-debugging-port=0")
    try:
        driver = webdriver.Chrome(options=options)
    except Exception as exc:  # noqa: BLE001 - any start failure must fail the run
        pytest.fail(f"headless Chromium failed to start: {exc}", pytrace=False)
    try:
        webgl = driver.execute_script(
            "const c = document.createElement('canvas'); return !!(c.getContext('webgl2') || c.getContext('webgl'));"
        )
    finally:
        driver.quit()
    if not webgl:
        pytest.fail("Chromium started but has no WebGL (the map needs it)", pytrace=False)


@pytest.fixture(scope="session")
def artifacts():
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test-artifacts")
    os.makedirs(path, exist_ok=True)
    return os.path.abspath(path)
