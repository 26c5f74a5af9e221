"""The lägesbild's period list follows the language switch (issue 13): after a switch to English
it offers 'Q4 2026' and 'November 2026', not the Swedish labels the page was first drawn with,
and the same periods as before (the session's role's, from the server)."""

import pytest

from dashboard.app import create_app
from dashboard.data import load
from dashboard.report_controls import period_options
from layers import privacy
from tests.dash_fixtures import TODAY, call, callback, small_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("period-language") / "small.gpkg")


def _switch(app, lang):
    return call(callback(app, "report_period_language"), "lang.value", lang)


def test_the_period_list_is_relabelled_in_english_after_the_switch_and_back(store):
    app = create_app(store, today=lambda: TODAY, role="allmanhet")
    data = load(store)
    first = period_options(data, "sv", privacy.policy("allmanhet", data.config.privacy, data.config.layers), TODAY)
    # What the Swedish page draws first: the promise year, then its quarters newest first.
    assert [o["label"] for o in first] == ["2026", "kvartal 4 2026", "kvartal 3 2026", "kvartal 2 2026",
                                           "kvartal 1 2026"]
    english = _switch(app, "en")
    assert english == [{"label": "2026", "value": "2026"}, {"label": "Q4 2026", "value": "2026-Q4"},
                       {"label": "Q3 2026", "value": "2026-Q3"}, {"label": "Q2 2026", "value": "2026-Q2"},
                       {"label": "Q1 2026", "value": "2026-Q1"}]
    assert _switch(app, "sv") == first


def test_months_are_named_in_the_language_and_the_roles_periods_are_kept(store):
    # bra gets months too (its narcotics cells are published per month); on 27 November 2026
    # December has not begun.
    app = create_app(store, today=lambda: TODAY, role="bra")
    english = _switch(app, "en")
    months = [o for o in english if "-Q" not in o["value"] and "-" in o["value"]]
    assert [o["label"] for o in months[:3]] == ["November 2026", "October 2026", "September 2026"]
    assert months[-1] == {"label": "January 2026", "value": "2026-01"}
    assert len(english) == 1 + 4 + 11
    swedish = _switch(app, "sv")
    assert [o["value"] for o in swedish] == [o["value"] for o in english]
    assert [o["label"] for o in swedish[5:7]] == ["november 2026", "oktober 2026"]
    # An unknown language is the default one, as everywhere in the page.
    assert _switch(app, "xx") == swedish
