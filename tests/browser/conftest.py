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


#: How long a browser test waits for a condition. dash_duo's own default is 10 s, which a busy
#: 2-core machine (the full suite beside other work) overran: every wait is for a condition, so a
#: long limit costs nothing when things are fast.
WAIT_S = 60


@pytest.fixture
def dash_duo(request, dash_thread_server, tmpdir):
    """dash[testing]'s dash_duo, with every implicit wait at WAIT_S instead of 10 s."""
    from dash.testing.composite import DashComposite

    with DashComposite(
        server=dash_thread_server,
        browser=request.config.getoption("webdriver"),
        remote=request.config.getoption("remote"),
        remote_url=request.config.getoption("remote_url"),
        headless=request.config.getoption("headless"),
        options=request.config.hook.pytest_setup_options(),
        download_path=tmpdir.mkdir("download").strpath,
        percy_assets_root=request.config.getoption("percy_assets"),
        percy_finalize=request.config.getoption("nopercyfinalize"),
        pause=request.config.getoption("pause"),
        wait_timeout=WAIT_S,
    ) as dc:
        yield dc


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
