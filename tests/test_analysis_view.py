"""Indicator cards: the period comparison in words, counted from each role's own frames (exact
numbers on small hand-made data; a window the role's release cannot answer says so)."""

import datetime as dt

import pytest

from dashboard.analysis_layout import cards_children
from dashboard.analysis_view import in_span, indicator_cards, pct_words, span_words
from dashboard.data import load
from dashboard.filters import FilterState, default_state
from dashboard.views import Views
from layers import GeoPackageStore
from tests.dash_fixtures import small_data
from tests.helpers import report, reports_frame

NOV = {"preset": "custom", "start": "2026-11-01", "end": "2026-11-30"}


def cards_for(data, role, today, lang="sv", **state):
    views = Views(data, lambda: today, lambda: role)
    chosen = FilterState(**{**default_state(data).to_dict(), **state, "lang": lang})
    return indicator_cards(lambda s: views.get(s, role), chosen, data, today)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return small_data(tmp_path_factory.mktemp("ind") / "s.gpkg")


@pytest.fixture(scope="module")
def monthly(tmp_path_factory):
    """Narcotics tips at one place: 5 in August, 5 in September, 6 in October 2026."""
    rows, i = [], 0
    for month, n in ((8, 5), (9, 5), (10, 6)):
        for day in range(n):
            rows.append(report(i, layer="narkotika", focus="narkotika",
                               when=f"2026-{month:02d}-{day + 2:02d}T22:00:00+02:00"))
            i += 1
    store = GeoPackageStore.create(tmp_path_factory.mktemp("ind") / "m.gpkg")
    store.add_reports(reports_frame(rows))
    return load(store)


def test_period_words_and_percentages():
    assert span_words(dt.date(2026, 10, 1), dt.date(2026, 10, 31), "sv") == "oktober 2026"
    assert span_words(dt.date(2026, 10, 1), dt.date(2026, 10, 31), "en") == "October 2026"
    assert span_words(dt.date(2026, 7, 1), dt.date(2026, 9, 30), "sv") == "kvartal 3 2026"
    assert span_words(dt.date(2025, 1, 1), dt.date(2025, 12, 31), "sv") == "2025"
    assert span_words(dt.date(2026, 1, 1), dt.date(2026, 11, 30), "sv") == "1 januari – 30 november 2026"
    assert in_span(dt.date(2026, 10, 1), dt.date(2026, 10, 31), "sv") == "i oktober 2026"
    assert in_span(dt.date(2026, 1, 1), dt.date(2026, 11, 30), "en") == "during 1 January – 30 November 2026"
    assert (pct_words(84, 95, "sv"), pct_words(84, 95, "en"), pct_words(13, 10, "sv"), pct_words(7, 7, "sv")) == \
        ("−12 %", "-12 %", "+30 %", "±0 %")


def test_police_cards_count_every_window_exactly(small):
    cards = cards_for(small, "polis", dt.date(2026, 12, 5), **NOV)
    assert [c.focus_area for c in cards] == ["trygghet", "trafik", "narkotika"]
    unsafe, speed, drugs = (c.total for c in cards)
    # 5 unsafe-place reports in November 2026, none in October, 1 in November 2025 (Hok).
    assert unsafe.main == ("Otrygga platser: 5 i november 2026, ingen procent mot oktober 2026 (0 då), "
                           "+400 % mot november 2025 (1)")
    # The 28 days up to 5 December hold the reports of 13 (two) and 20 November; the 28 before, 6 November (two).
    assert unsafe.more == ("Hittills i år: 5, +400 % mot 1 januari – 5 december 2025 (1); "
                           "Senaste 28 dagarna: 3, +50 % mot 11 oktober – 7 november 2026 (2)")
    assert speed.main.startswith("Hastighetsklagomål: 2 i november 2026, ")
    assert speed.more.endswith("Senaste 28 dagarna: 1, ±0 % mot 11 oktober – 7 november 2026 (1)")
    assert drugs.main == ("Narkotikatips: 1 i november 2026, ±0 % mot oktober 2026 (1), "
                          "ingen procent mot november 2025 (0 då)")


def test_english_cards(small):
    unsafe = cards_for(small, "polis", dt.date(2026, 12, 5), lang="en", **NOV)[0].total
    assert unsafe.main == ("Unsafe places: 5 in November 2026, no percentage vs October 2026 (0 then), "
                           "+400 % vs November 2025 (1)")


def test_the_filters_apply_to_every_window(small):
    """Only Vaggeryd's speed layer chosen: one card, the other layers' reports are not counted."""
    cards = cards_for(small, "polis", dt.date(2026, 12, 5), focus_areas=("trafik",), layers=("hastighet",), **NOV)
    assert [c.focus_area for c in cards] == ["trafik"]
    assert cards[0].total.more.startswith("Hittills i år: 3, ingen procent mot 1 januari – 5 december 2025 (0 då)")


def test_a_focus_area_with_two_layers_sums_them_and_lists_each(small):
    from dataclasses import replace

    from dashboard.analysis_view import card_layers

    config = replace(small.config, layers={**small.config.layers,
                                           "hastighet": replace(small.config.layers["hastighet"],
                                                                focus_area="trygghet")})
    data = replace(small, config=config)
    pol = Views(data, lambda: dt.date(2026, 12, 5), lambda: "polis").policy("polis")
    assert card_layers(default_state(data), data, pol)["trygghet"] == ("otrygg_plats", "hastighet")
    card = cards_for(data, "polis", dt.date(2026, 12, 5), **NOV)[0]
    assert card.total.main == ("Ökad trygghet för kommuninvånarna: 7 i november 2026, ingen procent mot "
                               "oktober 2026 (0 då), +600 % mot november 2025 (1)")
    assert [line.main.split(",")[0] for line in card.layers] == ["Otrygga platser: 5 i november 2026",
                                                                 "Hastighetsklagomål: 2 i november 2026"]


def test_bra_release_layer_answers_whole_published_months_only(monthly):
    today = dt.date(2026, 11, 10)
    oct_ = {"preset": "custom", "start": "2026-10-01", "end": "2026-10-31"}
    drugs = [c for c in cards_for(monthly, "bra", today, **oct_) if c.focus_area == "narkotika"][0].total
    # October against September: whole published months (6 and 5 in the release's one cell).
    # October 2025 lies in a block of the whole year 2025: no month of it is published alone.
    assert drugs.main == ("Narkotikatips: 6 i oktober 2026, +20 % mot september 2026 (5), "
                          "oktober 2025 kan inte jämföras (inte hela publicerade perioder)")
    # Year to date and 28 days are never whole published months here.
    assert drugs.more == ("Hittills i år: kan inte visas för rollen (inte hela publicerade perioder); "
                          "Senaste 28 dagarna: kan inte visas för rollen (inte hela publicerade perioder)")
    police = [c for c in cards_for(monthly, "polis", today, **oct_) if c.focus_area == "narkotika"][0].total
    assert police.more.startswith("Hittills i år: 16, ")


def test_a_release_with_nothing_published_says_fewer_than_k(small):
    """allmanhet sees every layer from its release; 2025's two unsafe-place reports are below k."""
    year = {"preset": "custom", "start": "2025-01-01", "end": "2025-12-31"}
    unsafe = cards_for(small, "allmanhet", dt.date(2026, 12, 5), **year)[0].total
    assert unsafe.main == ("Otrygga platser: färre än 5 under 2025, "
                           "2024 kan inte jämföras (inte hela publicerade perioder)")
    assert "2" not in unsafe.main.replace("2025", "").replace("2024", "")


def test_cards_html_has_a_card_per_focus_area(small):
    cards = cards_for(small, "polis", dt.date(2026, 12, 5), **NOV)
    children = cards_children(cards, "sv")
    assert children[0].children == "Jämfört med tidigare"
    shown = children[-1].children
    assert [c.id["id"] for c in shown] == ["trygghet", "trafik", "narkotika"]
    assert cards_children([], "sv")[-1].children == "Välj minst ett rapportlager för att jämföra perioder."


def test_the_cards_callback_draws_the_role_view(tmp_path):
    """Through the app: the overview holds the cards' slot and its callback fills it."""
    from dashboard.app import create_app
    from tests.dash_fixtures import TODAY, call, callback, small_store

    app = create_app(small_store(tmp_path / "s.gpkg"), today=lambda: TODAY)
    state = {**default_state(app._trygghetskarta["data"]).to_dict(), **NOV}
    children = call(callback(app, "render_indicators"), "filters.data", state)
    texts = [c.children[1].children for c in children[-1].children]
    # 27 November: November so far (1–27) against the 27 days before it.
    assert texts[0] == ("Otrygga platser: 5 under 1–27 november 2026, ingen procent mot 5–31 oktober 2026 (0 då), "
                        "+400 % mot 1–27 november 2025 (1)")
