"""The map in headless Chromium with no network: locality names and the scale bar drawn, a local
MBTiles base map served by the app, a box selection zooms to itself, the activities' legend swatch."""

import math
import os
import re

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import figures
from tests.browser.test_dashboard_browser import MAP, box_select, make_app, severe, wait_js, wait_map
from tests.dash_fixtures import small_store
from tests.test_basemap import make_mbtiles, png

pytestmark = pytest.mark.browser

#: What MapLibre itself placed on the map: the text of every symbol it drew (labels it left
#: out for lack of room or glyphs are not among them).
PLACED_TEXTS = """
const m = document.querySelector(arguments[0])._fullLayout.map._subplot.map;
return m.queryRenderedFeatures().filter(f => f.layer.type === 'symbol' && f.properties.text)
    .map(f => f.properties.text).sort();
"""
#: Every URL the page loaded, with its HTTP status.
LOADED = """
return performance.getEntriesByType('resource').map(e => [e.name, e.responseStatus]);
"""
ZOOM = "return document.querySelector(arguments[0])._fullLayout.map._subplot.map.getZoom();"
CENTER = """
const c = document.querySelector(arguments[0])._fullLayout.map._subplot.map.getCenter();
return [c.lng, c.lat];
"""
#: The legend's entries of the map: [text, fill colour of its swatch].
LEGEND = """
return [...document.querySelectorAll(arguments[0] + ' .legend .traces')].map(t => {
  const pt = t.querySelector('.legendpoints path');
  return [t.querySelector('.legendtext').textContent, pt ? getComputedStyle(pt).fill : null];
});
"""
STILL = "const m = document.querySelector(arguments[0])._fullLayout.map._subplot.map; return !m.isMoving();"
VIEW = """
const m = document.querySelector(arguments[0])._fullLayout.map._subplot.map;
const c = m.getCenter(), b = m.getBounds();
return [{lon: c.lng, lat: c.lat, zoom: m.getZoom()}, [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]];
"""
SCALE = """
const gd = document.querySelector(arguments[0]);
const bar = gd.data.find(t => t.meta === 'scalebar-label');
return bar ? bar.text[0] : null;
"""


def tile_range(z, west, south, east, north):
    def x(lon):
        return int((lon + 180) / 360 * 2**z)

    def y(lat):
        r = math.radians(lat)
        return int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * 2**z)

    return [(z, i, j) for i in range(x(west), x(east) + 1) for j in range(y(north), y(south) + 1)]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("mapbrowser") / "s.gpkg")


@pytest.fixture(scope="module")
def mbtiles(tmp_path_factory):
    """Light grey tiles over Vaggeryd's municipality from zoom 7 to 13 (a few hundred tiny PNGs)."""
    tile = png((225, 225, 225))
    tiles = {key: tile for z in range(7, 14) for key in tile_range(z, 13.85, 57.3, 14.45, 57.62)}
    return make_mbtiles(tmp_path_factory.mktemp("tiles") / "vaggeryd.mbtiles", tiles,
                        meta={"bounds": "13.85,57.3,14.45,57.62", "minzoom": "7", "maxzoom": "13"})


def until(dash_duo, condition, timeout=30):
    """Wait for `condition()` to be true (a busy machine gets a generous timeout)."""
    WebDriverWait(dash_duo.driver, timeout, poll_frequency=0.2).until(lambda _: condition())


def wait_placed(dash_duo, wanted, timeout=60):
    """Wait until MapLibre has placed every text in `wanted`; the texts it placed."""
    found = []

    def placed():
        nonlocal found
        found = dash_duo.driver.execute_script(PLACED_TEXTS, MAP)
        return set(wanted) <= set(found)

    try:
        until(dash_duo, placed, timeout)
    except Exception:  # noqa: BLE001 - say what was there instead
        raise AssertionError(f"labels {sorted(wanted)} never all placed; placed: {found}") from None
    return found


def test_locality_names_and_the_scale_bar_show_offline_on_a_local_basemap(dash_duo, store, mbtiles, artifacts):
    dash_duo.start_server(make_app(store, basemap=str(mbtiles)))
    wait_map(dash_duo, timeout=60)
    placed = wait_placed(dash_duo, {"Vaggeryd", "Skillingaryd"})
    assert any(re.fullmatch(r"\d+ (m|km)", text) for text in placed), placed  # the scale bar's label
    # The tiles came from the app itself, and nothing was fetched from anywhere else (no glyphs).
    wait_js(dash_duo, "return document.querySelector(arguments[0])._fullLayout.map._subplot.map"
                      ".isSourceLoaded('basemap');", True, MAP, timeout=60)
    loaded = dash_duo.driver.execute_script(LOADED)
    tiles = [(url, status) for url, status in loaded if "/basemap/" in url]
    assert tiles and all(status == 200 for _, status in tiles), tiles
    assert [url for url, _ in loaded if not url.startswith(dash_duo.server_url)] == []
    dash_duo.driver.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", MAP)
    dash_duo.find_element("#map").screenshot(os.path.join(artifacts, "map-offline-basemap.png"))
    assert severe(dash_duo) == []


def test_labels_show_on_the_plain_offline_map(dash_duo, store):
    dash_duo.start_server(make_app(store))
    wait_map(dash_duo, timeout=60)
    wait_placed(dash_duo, {"Vaggeryd", "Skillingaryd"})
    loaded = dash_duo.driver.execute_script(LOADED)
    assert [url for url, _ in loaded if not url.startswith(dash_duo.server_url)] == []


def test_a_box_selection_zooms_to_it_and_the_activity_swatch_stays(dash_duo, store, mbtiles):
    dash_duo.start_server(make_app(store, basemap=str(mbtiles)))
    wait_map(dash_duo, timeout=60)
    until(dash_duo, lambda: dash_duo.driver.execute_script(SCALE, MAP) is not None, 30)
    legend = dict(dash_duo.driver.execute_script(LEGEND, MAP))
    assert legend["Aktiviteter"] == "rgb(0, 0, 0)"
    before = dash_duo.driver.execute_script(ZOOM, MAP)
    box_select(dash_duo, 14.07, 57.44, 14.11, 57.415)
    dash_duo.wait_for_text_to_equal("#selection-info", "Urval: markerat område", timeout=30)
    until(dash_duo, lambda: dash_duo.driver.execute_script(ZOOM, MAP) > before + 2, 30)
    lon, lat = dash_duo.driver.execute_script(CENTER, MAP)
    assert 14.07 < lon < 14.11 and 57.415 < lat < 57.44
    # The legend swatch of the activities is the same after the selection.
    until(dash_duo, lambda: dict(dash_duo.driver.execute_script(LEGEND, MAP)).get("Aktiviteter")
                      == "rgb(0, 0, 0)", 30)
    assert severe(dash_duo) == []


def test_zooming_in_shortens_the_scale_bar(dash_duo, store):
    dash_duo.start_server(make_app(store))
    wait_map(dash_duo, timeout=60)
    until(dash_duo, lambda: dash_duo.driver.execute_script(SCALE, MAP) is not None, 30)
    first = dash_duo.driver.execute_script(SCALE, MAP)
    before = dash_duo.driver.execute_script(ZOOM, MAP)
    # The mouse wheel over the map, as a user zooms: Plotly reports the new centre, zoom and corners.
    dash_duo.driver.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'center'});", MAP)
    canvas = dash_duo.find_element("#map .maplibregl-canvas")
    for step in (1, 2, 3, 4):  # MapLibre zooms at most one level per wheel event
        ActionChains(dash_duo.driver).scroll_from_origin(ScrollOrigin.from_element(canvas), 0, -900).perform()
        until(dash_duo, lambda step=step: dash_duo.driver.execute_script(STILL, MAP) and
              dash_duo.driver.execute_script(ZOOM, MAP) > before + 0.6 * step, 30)
    # The bar the server drew for the view the map now shows (its corners as MapLibre has
    # them), drawn by MapLibre: checked together, as a late wheel step may move the map again.
    seen = {}

    def bar_fits_the_view():
        view, bounds = dash_duo.driver.execute_script(VIEW, MAP)
        _, label = figures.scale_bar_traces(view, tuple(bounds))
        seen.update(expected=label["text"][0], bounds=bounds, shown=dash_duo.driver.execute_script(SCALE, MAP),
                    placed=dash_duo.driver.execute_script(PLACED_TEXTS, MAP))
        return seen["shown"] == seen["expected"] and seen["expected"] in seen["placed"]

    try:
        until(dash_duo, bar_fits_the_view, 60)
    except Exception:  # noqa: BLE001 - say what was there instead
        raise AssertionError(f"the scale bar does not fit the view: {seen}") from None

    def metres(text):
        value, unit = text.split()
        return int(value) * (1000 if unit == "km" else 1)

    # Four levels in, the view is 16 times narrower: the bar is shorter, and in the lower left.
    assert metres(seen["expected"]) < metres(first)
    lon = dash_duo.driver.execute_script(
        "return document.querySelector(arguments[0]).data.find(t => t.meta === 'scalebar').lon[1];", MAP)
    west, _, east, _ = seen["bounds"]
    assert lon == pytest.approx(west + 0.04 * (east - west), abs=1e-4)


def test_the_zoom_button_fits_the_map_to_the_filtered_data(dash_duo, store):
    from dashboard.data import load

    vaggeryd = load(store).localities.set_index("name").loc["Vaggeryd"]
    dash_duo.start_server(make_app(store))
    # Traffic only: the speed complaints and the speed check, all in Vaggeryd.
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?fa=trafik&ly=hastighet,aktivitet&t=all")
    wait_map(dash_duo, timeout=60)
    until(dash_duo, lambda: dash_duo.driver.execute_script(SCALE, MAP) is not None, 30)
    before = dash_duo.driver.execute_script(ZOOM, MAP)
    dash_duo.driver.execute_script("document.getElementById('fit-map').scrollIntoView({block: 'center'});")
    dash_duo.find_element("#fit-map").click()
    until(dash_duo, lambda: dash_duo.driver.execute_script(ZOOM, MAP) > before + 2, 30)
    lon, lat = dash_duo.driver.execute_script(CENTER, MAP)
    assert abs(lon - vaggeryd["lon"]) < 0.02 and abs(lat - vaggeryd["lat"]) < 0.02
    assert dash_duo.find_element("#fit-map").text == "Zooma till urvalet"
    assert severe(dash_duo) == []
