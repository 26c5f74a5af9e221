"""The promise cards through the callbacks: a click filters map and charts to the commitment, a second
click (or "Rensa urval") shows everything again, and the choice lives in the URL (c=ID)."""

import datetime as dt
import json
from contextvars import copy_context

import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from dash.dash import no_update

from dashboard.app import create_app
from dashboard.data import load
from dashboard.figures.charts import title_lines
from layers.config import loads_config
from tests.dash_fixtures import TODAY, small_store
from tests.test_dashboard_callbacks import call, callback, sync
from tests.test_promise_view import cards, texts

PROMISE = '''
[promise]
kommun = "0665"
police_area = "Värnamo"
start = 2026-01-01
end = 2026-12-31
[[focus_area]]
id = "trygghet"
name_sv = "Ökad trygghet för kommuninvånarna"
color = "#E69F00"
layers = ["otrygg_plats"]
[[focus_area]]
id = "trafik"
name_sv = "Förbättrad trafiksäkerhet"
color = "#0072B2"
layers = ["hastighet"]
[[focus_area]]
id = "narkotika"
name_sv = "Narkotikabrottslighet"
color = "#CC79A7"
layers = ["narkotika"]
promise = false
[[commitment]]
id = "narvaro-sk"
focus_area = "trygghet"
text_sv = "Tio timmars närvaro i Skillingaryd."
actor = "polis"
kind = "närvaro/patrull"
target_hours = 10
place = "Skillingaryd"
[[commitment]]
id = "kontroll-vg"
focus_area = "trafik"
text_sv = "Två hastighetskontroller i Vaggeryd."
actor = "polis"
kind = "hastighetskontroll"
target = 2
place = "Vaggeryd"
'''


def make_app(path, **kwargs):
    store = small_store(path)
    return create_app(store, today=lambda: TODAY, data=load(store, loads_config(PROMISE, today=TODAY)), **kwargs)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("promise") / "s.gpkg")


def click_card(app, commitment_id, current, n_clicks=1):
    """sync_state as Dash calls it when a card is clicked (its n_clicks goes up)."""
    prop = json.dumps({"id": commitment_id, "type": "commitment-card"}, separators=(",", ":")) + ".n_clicks"

    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop, "value": n_clicks}]))
        return callback(app, "sync_state")(None, *[None] * 10, "sv", 0, 0, 0, None, None, None, None, None,
                                           current, None, [n_clicks])

    return copy_context().run(run)


def shown(app, filters):
    acts, _time, heat, *_tables = call(callback(app, "render_charts"), "filters.data", filters)
    _figure, note, info = call(callback(app, "render_map"), "filters.data", filters, None, None)
    # The count line of each chart's title ("Aktiviteter per fokusområde" / "5 genomförda, 1 planerad").
    return title_lines(acts)[1], title_lines(heat)[1], note, info


def test_the_promise_panel_shows_every_commitment_card(app):
    loaded = sync(app, ".")[12]
    children, key = call(callback(app, "render_promise"), "filters.data", loaded, None)
    assert [texts(c)[0] for c in cards(children)] == ["2 av 10 timmar (efter)", "1 av 2 hastighetskontroller (efter)"]
    words = texts(children)
    assert "Rapporter 2026-01-01 – 2026-11-27: 5; samma period i fjol 1 (+4, +400 %); perioden innan 2." in words
    assert "Narkotikabrottslighet" in words and "Följs upp i BRÅ" in words
    # Drawn once for these filters: the next interaction leaves the cards alone.
    assert call(callback(app, "render_promise"), "filters.data", loaded, key) == (no_update, no_update)


def test_card_click_filters_map_and_charts_and_a_second_click_clears(app):
    loaded = sync(app, ".")[12]
    before = shown(app, loaded)
    # The promise period 2026: Hok's two reports of 2025 are not in it.
    assert before[:3] == ("5 genomförda, 1 planerad", "10 rapporter i urvalet", "10 rapporter som punkter")
    out = click_card(app, "narvaro-sk", loaded)
    url, filters = out[11], out[12]
    assert url == "?t=period&from=2026-01-01&to=2026-12-31&c=narvaro-sk" and filters["commitment"] == "narvaro-sk"
    # Its two activities (2 h done, 2 h planned) and the 5 safety reports in Skillingaryd in 2026
    # (not the narcotics tips there, not Hok's reports of 2025).
    assert shown(app, filters) == ("1 genomförd, 1 planerad", "5 rapporter i urvalet",
                                   "5 rapporter som punkter", "Löfte: Tio timmars närvaro i Skillingaryd.")
    # The chosen card is marked.
    children, _ = call(callback(app, "render_promise"), "filters.data", filters, None)
    assert [c.className for c in cards(children)] == ["card status-efter active", "card status-efter"]
    # The other card switches to its commitment: the speed check and the 3 speed reports in Vaggeryd.
    other = click_card(app, "kontroll-vg", filters, n_clicks=1)[12]
    assert other["commitment"] == "kontroll-vg"
    assert shown(app, other)[:3] == ("1 genomförd, 0 planerade", "3 rapporter i urvalet", "3 rapporter som punkter")
    # The same card again shows everything.
    again = click_card(app, "kontroll-vg", other, n_clicks=2)
    assert again[11] == "?t=period&from=2026-01-01&to=2026-12-31" and again[12]["commitment"] is None
    assert shown(app, again[12])[:3] == before[:3]


def test_redrawn_cards_are_not_clicks(app):
    loaded = sync(app, ".")[12]
    out = click_card(app, "narvaro-sk", loaded, n_clicks=0)
    assert out == [no_update] * len(out)


def test_clear_selection_and_reset_clear_the_commitment(app):
    chosen = click_card(app, "narvaro-sk", sync(app, ".")[12])[12]
    for button in ("clear-selection.n_clicks", "reset-btn.n_clicks"):
        out = sync(app, button, current=chosen)
        assert out[12]["commitment"] is None and out[11] == "?t=period&from=2026-01-01&to=2026-12-31"


def test_commitment_round_trips_through_the_url(app):
    out = sync(app, ".", search="?c=kontroll-vg&lang=en", start=None, end=None)  # an empty date picker
    # A link without a period (made before the period was always written) meant all time.
    assert out[12]["commitment"] == "kontroll-vg" and out[11] == "?t=all&lang=en&c=kontroll-vg"
    assert shown(app, out[12])[1] == "3 reports in the selection"
    # The picker shows the commitment's period.
    assert out[3:5] == ["2026-01-01", "2026-12-31"]
    # An id not in the promise is not a state.
    assert sync(app, ".", search="?c=finns-inte")[12]["commitment"] is None


def test_bra_role_sees_the_same_commitment_through_its_own_frames(tmp_path):
    app = make_app(tmp_path / "s.gpkg", role="bra")
    chosen = click_card(app, "narvaro-sk", sync(app, ".")[12])[12]
    acts, _time, heat, *_tables = call(callback(app, "render_charts"), "filters.data", chosen)
    assert title_lines(acts)[1] == "1 genomförd, 1 planerad"
    assert title_lines(heat)[1] == "5 rapporter i urvalet"
    children, _ = call(callback(app, "render_promise"), "filters.data", chosen, None)
    assert [texts(c)[0] for c in cards(children)] == ["2 av 10 timmar (efter)", "1 av 2 hastighetskontroller (efter)"]
    # Narcotics are cells for bra: their trend is the release's, and the small store has fewer than k.
    assert "Inga publicerade månader i löftesperioden ännu (bara avslutade månader publiceras)." in texts(children)


def test_at_is_the_apps_today(tmp_path):
    store = small_store(tmp_path / "s.gpkg")
    app = create_app(store, today=lambda: dt.date(2026, 12, 31), data=load(store, loads_config(PROMISE, today=TODAY)))
    loaded = sync(app, ".")[12]
    children, _ = call(callback(app, "render_promise"), "filters.data", loaded, None)
    assert "Löftesperiod 2026-01-01 – 2026-12-31, läget 2026-12-31." in texts(children)
    # By the year's end the planned patrol of 5 December counts as still planned, not done.
    assert texts(cards(children)[0])[0] == "2 av 10 timmar (efter)"


def test_new_data_redraws_the_cards(tmp_path):
    import geopandas as gpd

    from tests.helpers import SKILLINGARYD, activity

    app = make_app(tmp_path / "s.gpkg")
    views = app._trygghetskarta["views"]
    loaded = sync(app, ".")[12]
    children, key = call(callback(app, "render_promise"), "filters.data", loaded, None)
    assert texts(cards(children)[0])[0] == "2 av 10 timmar (efter)"
    views.store.add_activities(gpd.GeoDataFrame(
        [activity(7, at=SKILLINGARYD, planned="2026-11-20T19:00:00+01:00", done="2026-11-20T22:00:00+01:00")],
        geometry="geometry", crs="EPSG:3006"))
    views.reload(views.store)
    children, new_key = call(callback(app, "render_promise"), "filters.data", loaded, key)
    assert new_key != key and texts(cards(children)[0])[0] == "4 av 10 timmar (efter)"


def test_release_units_in_a_commitments_place():
    import pandas as pd

    from dashboard.filters import release_in_commitment
    from layers.release_view import ReleaseSelection

    area = '''
[[commitment]]
id = "omrade"
focus_area = "trafik"
text_sv = "En kontroll i området."
actor = "polis"
kind = "hastighetskontroll"
target = 1
[commitment.area]
type = "Polygon"
coordinates = [[[14.05, 57.40], [14.15, 57.40], [14.15, 57.45], [14.05, 57.45], [14.05, 57.40]]]
'''
    config = loads_config(PROMISE + area, today=TODAY)
    units = pd.DataFrame([
        (0, "hastighet", "cell", "a", 6, 14.10, 57.42, "Skillingaryd"),
        (0, "hastighet", "cell", "b", 7, 14.20, 57.42, "Skillingaryd"),  # east of the area
        (0, "hastighet", "cell", "c", 8, 14.08, 57.48, "Vaggeryd"),
        (0, "hastighet", "locality", "Skillingaryd", 5, 14.09, 57.43, "Skillingaryd"),
        (0, "hastighet", "kommun", "0665", 9, float("nan"), float("nan"), ""),
    ], columns=["block", "layer", "kind", "unit", "count", "lon", "lat", "locality"])
    selection = ReleaseSelection(release=None, blocks=(0,), units=units, layers=("hastighet",))
    # Localities: their cells (by the centre's locality) and scattered reports, never the remainder.
    in_places = release_in_commitment(selection, config.commitment("narvaro-sk"))
    assert in_places.units["unit"].tolist() == ["a", "b", "Skillingaryd"] and in_places.total == 18
    # An area: whole cells whose centre lies in it.
    in_area = release_in_commitment(selection, config.commitment("omrade"))
    assert in_area.units["unit"].tolist() == ["a"] and in_area.total == 6
    assert release_in_commitment(selection, None) is selection
