"""The page's layout in a real headless Chromium at 1920×1080 and 1366×768, normal and presentation
mode, for the roles polis, bra and allmanhet: no page scroll in presentation, no overlapping or
clipped chart text, no table wider than its column, every chart titled (a screenshot of each)."""

import os

import pytest
from argon2 import PasswordHasher
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from dashboard.data import load
from layers.users import UserStore
from tests.dash_fixtures import HOK, TODAY, small_store
from tests.helpers import report, reports_frame

pytestmark = pytest.mark.browser

PASSWORD = "ett långt lösenord"
USERS = {"polis": "pia", "bra": "bert", "allmanhet": "alma"}
SIZES = ((1920, 1080), (1366, 768))
WAIT = 60  # seconds: generous, the machine is shared
PERIOD = "t=period&from=2026-01-01&to=2026-12-31"

# Per chart on the screen: its title and every text box that must stay apart — title, legend,
# axis titles, tick labels, annotations — and whether any of them reaches outside the chart.
CHART_TEXT = """
const out = {};
const box = (el) => { const r = el.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom}; };
const apart = (a, b) => Math.min(a.r, b.r) - Math.max(a.l, b.l) <= 1 || Math.min(a.b, b.b) - Math.max(a.t, b.t) <= 1;
for (const chart of document.querySelectorAll("#chart-activities, #chart-time, #chart-when")) {
  if (!chart.offsetParent) { continue; }  // on another tab of the presentation screen
  const outer = box(chart);
  const parts = [];
  const add = (kind, selector) => chart.querySelectorAll(selector).forEach((el) => {
    const b = box(el);
    if (b.r - b.l > 0 && b.b - b.t > 0) { parts.push({kind, text: (el.textContent || "").slice(0, 40), ...b}); }
  });
  add("title", ".gtitle");
  add("legend", ".legend .bg");
  add("xtitle", ".xtitle");
  add("ytitle", ".ytitle");
  add("xtick", ".xtick text, .xtick2 text");
  add("ytick", ".ytick text, .ytick2 text");
  add("annotation", ".annotation-text");
  add("colourbar tick", ".cbaxis text");
  add("colourbar title", ".cbtitle text");
  const problems = [];
  parts.forEach((a, i) => {
    if (a.l < outer.l - 1 || a.r > outer.r + 1 || a.t < outer.t - 1 || a.b > outer.b + 1) {
      problems.push(`${a.kind} '${a.text}' reaches outside the chart`);
    }
    parts.slice(i + 1).forEach((b) => {
      if (!apart(a, b)) { problems.push(`${a.kind} '${a.text}' overlaps ${b.kind} '${b.text}'`); }
    });
  });
  const title = chart.querySelector(".gtitle") || chart.querySelector(".annotation-text");
  out[chart.id] = {title: title ? title.textContent : "", problems};
}
return out;
"""
# Tables on the screen that are wider than their column (a horizontal scrollbar, hidden columns).
WIDE_TABLES = """
const wide = [];
document.querySelectorAll("#where-table table, #report-list table").forEach((table) => {
  if (!table.offsetParent) { return; }
  const column = table.closest(".where");
  if (column.scrollWidth > column.clientWidth + 1 || table.getBoundingClientRect().right > innerWidth + 1) {
    wide.push(`${table.id}: ${column.scrollWidth} > ${column.clientWidth}`);
  }
});
return wide;
"""
# Every chart on the screen drawn at its container's size (after a resize Plotly redraws on its own).
CHARTS_SETTLED = """
// The three charts checked below (the hot-spot map is a map with its heading above it, as #map).
const plots = Array.from(document.querySelectorAll(
  "#chart-activities .js-plotly-plot, #chart-time .js-plotly-plot, #chart-when .js-plotly-plot"))
  .filter((p) => p.offsetParent);
return plots.length > 0 && plots.every((p) => {
  const svg = p.querySelector(".main-svg");
  return svg && (p.querySelector(".gtitle") || p.querySelector(".annotation-text"))
    && Math.abs(svg.getBoundingClientRect().width - p.getBoundingClientRect().width) < 2
    && Math.abs(svg.getBoundingClientRect().height - p.getBoundingClientRect().height) < 2;
});
"""
PAGE = "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight, innerWidth, innerHeight];"
# The map legend: its type size and the share of the map it covers.
MAP_LEGEND = """
const map = document.querySelector("#map .js-plotly-plot"), legend = map && map.querySelector(".legend .bg");
if (!legend) { return null; }
const m = map.getBoundingClientRect(), l = legend.getBoundingClientRect();
const sizes = Array.from(map.querySelectorAll(".legend text")).map((t) => parseFloat(getComputedStyle(t).fontSize));
return {share: (l.width * l.height) / (m.width * m.height), height: l.height / m.height, sizes: [...new Set(sizes)]};
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = small_store(tmp_path_factory.mktemp("layout-browser") / "s.gpkg")
    # Five narcotics tips in one Hok cell in September: a cell the BRÅ screen's release shows.
    store.add_reports(reports_frame([
        report(f"n{i}", layer="narkotika", focus="narkotika", at=(HOK[0] + 20 * i, HOK[1] + 10),
               when=f"2026-09-{14 + i:02d}T23:10:00+02:00") for i in range(5)]))
    users = UserStore(store, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    for role, name in USERS.items():
        users.add(name, role, PASSWORD)
    return store


def wait(dash_duo, condition, what, timeout=WAIT):
    try:
        return WebDriverWait(dash_duo.driver, timeout, poll_frequency=0.2).until(lambda d: condition(d))
    except Exception as exc:  # noqa: BLE001 - name what never happened
        raise AssertionError(f"timed out waiting for {what}") from exc


def resize(dash_duo, width, height):
    """The viewport (not the window frame) at width × height."""
    driver = dash_duo.driver
    driver.set_window_size(width, height)
    inner_w, inner_h = driver.execute_script("return [innerWidth, innerHeight]")
    if (inner_w, inner_h) != (width, height):
        driver.set_window_size(2 * width - inner_w, 2 * height - inner_h)
    wait(dash_duo, lambda d: d.execute_script("return [innerWidth, innerHeight]") == [width, height],
         f"a {width}×{height} viewport")


def log_in(dash_duo, role):
    driver = dash_duo.driver
    driver.get(dash_duo.server.url + "/login")
    driver.find_element(By.ID, "username").send_keys(USERS[role])
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(dash_duo, lambda d: "/login" not in d.current_url, f"{role} logged in")


def settled(dash_duo, what):
    wait(dash_duo, lambda d: d.execute_script(CHARTS_SETTLED), f"the charts drawn at their size ({what})")


def check_screen(dash_duo, role, size, mode, artifacts):
    """Titles, text boxes and tables of what the screen shows now; a screenshot of it."""
    where = f"{role} {size[0]}×{size[1]} {mode}"
    settled(dash_duo, where)
    charts = dash_duo.driver.execute_script(CHART_TEXT)
    for chart, found in charts.items():
        assert found["title"], f"{where}: {chart} has no title"
        assert found["problems"] == [], f"{where}: {chart}: {found['problems']}"
    assert dash_duo.driver.execute_script(WIDE_TABLES) == [], where
    page_w, page_h, inner_w, inner_h = dash_duo.driver.execute_script(PAGE)
    assert page_w <= inner_w, f"{where}: the page scrolls sideways ({page_w} > {inner_w})"
    if mode == "presentation":
        assert page_h <= inner_h, f"{where}: the presentation screen scrolls ({page_h} > {inner_h} px)"
        # The legend sits on the map: at 22 px it covered a quarter of a 1366×768 screen's map.
        legend = dash_duo.driver.execute_script(MAP_LEGEND)
        assert legend is not None and legend["sizes"] == [16], f"{where}: map legend {legend}"
        assert legend["share"] < 0.15 and legend["height"] < 0.5, f"{where}: the map legend covers {legend}"
    dash_duo.driver.save_screenshot(os.path.join(artifacts, f"layout-{role}-{size[0]}x{size[1]}-{mode}.png"))
    return charts


def titles(charts):
    return {chart: found["title"] for chart, found in charts.items()}


def show_tab(dash_duo, tab):
    dash_duo.driver.find_element(By.CSS_SELECTOR, f'#charts .tab[id*=\'"tab":"{tab}"\']').click()
    wait(dash_duo, lambda d: f"tab-{tab}" in d.find_element(By.ID, "charts").get_attribute("class"),
         f"the {tab} tab")


def check_presentation_tabs(dash_duo, role, size, artifacts):
    """The rest one click away: each tab's panel fits the screen, its table its column."""
    for tab in ("when", "where", "list"):
        show_tab(dash_duo, tab)
        if tab == "when":
            settled(dash_duo, f"{role} when tab")
            found = dash_duo.driver.execute_script(CHART_TEXT)
            assert list(found) == ["chart-when"] and found["chart-when"]["title"], found
            assert found["chart-when"]["problems"] == [], found
        else:
            panel = "#where-table" if tab == "where" else "#report-list"
            wait(dash_duo, lambda d, p=panel: d.execute_script(
                f"const e = document.querySelector('{p}'); return !!(e && e.offsetParent && e.children.length);"),
                f"the {tab} panel")
        assert dash_duo.driver.execute_script(WIDE_TABLES) == [], f"{role} {size} {tab}"
        page_w, page_h, inner_w, inner_h = dash_duo.driver.execute_script(PAGE)
        assert page_w <= inner_w and page_h <= inner_h, f"{role} {size} {tab}: the page scrolls ({page_w}×{page_h})"
        dash_duo.driver.save_screenshot(os.path.join(artifacts, f"layout-{role}-{size[0]}x{size[1]}-tab-{tab}.png"))
    show_tab(dash_duo, "overview")


EXPECTED_TITLES = {
    # The 2026 promise period: Hok's two reports of 2025 are not in it.
    "polis": {"chart-activities": "Aktiviteter per fokusområde5 genomförda, 1 planerad",
              "chart-time": "Rapporter över tid15 i urvalet"},
    "bra": {"chart-activities": "Aktiviteter per fokusområde5 genomförda, 1 planerad"},
    "allmanhet": {"chart-activities": "Aktiviteter per fokusområde5 genomförda, 1 planerad"},
}


@pytest.mark.parametrize("role", ["polis", "bra", "allmanhet"])
def test_the_page_fits_both_screens_in_both_modes(dash_duo, store, role, artifacts):
    dash_duo.start_server(create_app(store, today=lambda: TODAY, data=load(store)), navigate=False)
    driver = dash_duo.driver
    resize(dash_duo, *SIZES[0])
    log_in(dash_duo, role)
    # The default page opens on the promise period and says so in its address.
    wait(dash_duo, lambda d: d.execute_script("return location.search") == "?" + PERIOD, "the period in the URL")
    button = "#present-btn"
    wait(dash_duo, lambda d: d.find_element(By.CSS_SELECTOR, button).text == "Presentationsläge", "the button")

    normal = check_screen(dash_duo, role, SIZES[0], "normal", artifacts)
    for chart, title in EXPECTED_TITLES[role].items():
        assert normal[chart]["title"] == title
    assert len(set(titles(normal).values())) == len(normal), "two charts with the same heading"

    driver.find_element(By.CSS_SELECTOR, button).click()
    wait(dash_duo, lambda d: "present" in d.find_element(By.ID, "root").get_attribute("class"), "presentation mode")
    wait(dash_duo, lambda d: d.find_element(By.CSS_SELECTOR, button).text == "Avsluta presentation",
         "the button to leave presentation")
    wait(dash_duo, lambda d: "present=1" in d.execute_script("return location.search"), "present=1 in the URL")
    for size in SIZES:
        resize(dash_duo, *size)
        shown = check_screen(dash_duo, role, size, "presentation", artifacts)
        # The overview tab: the promise's activities and the reports over time beside the map.
        assert set(shown) == {"chart-activities", "chart-time"}
        assert dash_duo.find_element("#promise").is_displayed() and dash_duo.find_element("#map").is_displayed()
        check_presentation_tabs(dash_duo, role, size, artifacts)

    driver.find_element(By.CSS_SELECTOR, button).click()
    wait(dash_duo, lambda d: "present" not in d.find_element(By.ID, "root").get_attribute("class"), "normal mode")
    wait(dash_duo, lambda d: d.find_element(By.CSS_SELECTOR, button).text == "Presentationsläge", "the button")
    check_screen(dash_duo, role, SIZES[1], "normal", artifacts)


def test_the_page_speaks_the_language_of_its_address(dash_duo, store):
    """`?lang=en` gives `<html lang="en">` in the served page, before any callback; the tab
    group's name (for screen readers) follows the language switch."""
    dash_duo.start_server(create_app(store, today=lambda: TODAY, data=load(store)), navigate=False)
    driver = dash_duo.driver
    log_in(dash_duo, "bra")
    driver.get(dash_duo.server.url + "/?lang=en&present=1")
    assert driver.execute_script("return document.documentElement.lang") == "en"
    assert driver.title == "Trygghetskarta – Vaggeryd Municipality"
    group = "#charts .tabs[role=group]"
    name = (f"const g = document.querySelector('{group}'); const l = g && "
            "document.getElementById(g.getAttribute('aria-labelledby')); return l ? l.textContent : null;")
    wait(dash_duo, lambda d: d.execute_script(name) == "Show on the screen", "the English tab group name")
    driver.find_element(By.CSS_SELECTOR, "#lang input[value=sv]").click()
    wait(dash_duo, lambda d: d.execute_script("return document.documentElement.lang") == "sv", "<html lang=sv>")
    wait(dash_duo, lambda d: d.execute_script(name) == "Visa på skärmen", "the Swedish tab group name")
