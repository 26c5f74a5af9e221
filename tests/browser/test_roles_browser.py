"""Logged in as each role, in a real headless Chromium: what the page draws and what it runs."""

import time

import pytest
from argon2 import PasswordHasher
from selenium.webdriver.common.by import By

from dashboard.app import create_app
from dashboard.data import load
from layers.users import UserStore
from tests.browser.test_dashboard_browser import MAP, TRACE_METAS, reveal_panels, wait_js, wait_map
from tests.dash_fixtures import HOK, TODAY, small_store
from tests.helpers import report, reports_frame

pytestmark = pytest.mark.browser

PASSWORD = "ett långt lösenord"
XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> mörkt'
ROLE_USERS = {"polis": "pia", "bra": "bert", "allmanhet": "alma", "admin": "ada"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = small_store(tmp_path_factory.mktemp("roles-browser") / "s.gpkg")
    # Five narcotics tips in one 500 m cell at Hok in September (a closed month): a cell the BRÅ
    # screen's release shows.
    store.add_reports(reports_frame([
        *[report(f"n{i}", layer="narkotika", focus="narkotika", at=(HOK[0] + 20 * i, HOK[1] + 10),
                 when=f"2026-09-{14 + i:02d}T23:10:00+02:00") for i in range(5)],
        report("xss", at=(HOK[0] - 40, HOK[1] - 30), when="2026-11-25T18:05:00+01:00", description=XSS),
    ]))
    users = UserStore(store, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    for role, name in ROLE_USERS.items():
        users.add(name, role, PASSWORD)
    return store


def log_in(dash_duo, name):
    driver = dash_duo.driver
    driver.get(dash_duo.server.url + "/login")
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_map(dash_duo)
    reveal_panels(dash_duo)
    wait_js(dash_duo, "return !!document.querySelector('#report-list p, #report-list table')", True)


def trace_metas(dash_duo):
    end = time.time() + 15
    metas = []
    while time.time() < end:
        metas = dash_duo.driver.execute_script(TRACE_METAS, MAP) or []
        if "localities" in metas:
            return metas
        time.sleep(0.1)
    return metas


@pytest.mark.parametrize("role", ["polis", "bra", "allmanhet", "admin"])
def test_each_role_sees_its_own_map(dash_duo, store, role, artifacts):
    dash_duo.start_server(create_app(store, today=lambda: TODAY, data=load(store)), navigate=False)
    log_in(dash_duo, ROLE_USERS[role])
    metas = trace_metas(dash_duo)
    banner = dash_duo.find_element("#role-banner").text
    if role in ("polis", "admin"):
        assert "narkotika" in metas and "cells:narkotika" not in metas
        assert banner == ""
    elif role == "bra":
        # Narcotics only as cells (the Hok cell with 5 tips), the other layers as points.
        assert "cells:narkotika" in metas and "narkotika" not in metas
        assert {"otrygg_plats", "hastighet"} <= set(metas)
        assert banner.startswith("Roll: BRÅ-möte (delad skärm).")
        cells = dash_duo.driver.execute_script(
            "return document.querySelector(arguments[0]).data.filter(t => t.meta === 'cells:narkotika')[0].z;", MAP)
        assert list(cells) == [5]
    else:
        assert not {"narkotika", "cells:narkotika", "otrygg_plat", "hastighet"} & set(metas)
        assert banner.startswith("Roll: Allmänhet.")
    assert dash_duo.find_element("#logout").text == "Logga ut"
    assert dash_duo.driver.execute_script("return window.__xss === undefined")
    dash_duo.driver.save_screenshot(f"{artifacts}/dashboard-role-{role}.png")
    assert not [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"]


def test_free_text_with_markup_is_shown_as_text_for_polis(dash_duo, store):
    dash_duo.start_server(create_app(store, today=lambda: TODAY, data=load(store)), navigate=False)
    log_in(dash_duo, "pia")
    wait_js(dash_duo, "return !!document.querySelector('#report-rows')", True)
    cells = [td.text for td in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#report-rows td")]
    assert XSS in cells
    # Nothing ran and no element was made from the text.
    assert dash_duo.driver.execute_script("return window.__xss === undefined")
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#report-rows img, #report-rows script")
