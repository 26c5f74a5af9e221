"""In English, no Swedish on the page: the layout, the main callbacks' answers, the entry panel and
the login and residents' pages, for each role, on the small test store with an English promise."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest

from dashboard import entry
from dashboard.app import create_app
from dashboard.data import load
from dashboard.filters import default_state
from dashboard.layout import build_layout
from dashboard.login_page import render_login_page, render_logout_page
from layers import privacy
from layers.config import loads_config
from layers.messages import CATALOGUES
from tests.dash_fixtures import TODAY, call, callback, small_store
from tests.test_promise_callbacks import PROMISE

#: The promise of tests.test_promise_callbacks with the English a municipality would give.
PROMISE_EN = (PROMISE
              .replace('name_sv = "Ökad trygghet för kommuninvånarna"',
                       'name_sv = "Ökad trygghet för kommuninvånarna"\nname_en = "Increased safety for residents"')
              .replace('name_sv = "Förbättrad trafiksäkerhet"',
                       'name_sv = "Förbättrad trafiksäkerhet"\nname_en = "Improved road safety"')
              .replace('name_sv = "Narkotikabrottslighet"', 'name_sv = "Narkotikabrottslighet"\nname_en = "Narcotics crime"')
              .replace('text_sv = "Tio timmars närvaro i Skillingaryd."',
                       'text_sv = "Tio timmars närvaro i Skillingaryd."\ntext_en = "Ten hours of presence in Skillingaryd."')
              .replace('text_sv = "Två hastighetskontroller i Vaggeryd."',
                       'text_sv = "Två hastighetskontroller i Vaggeryd."\ntext_en = "Two speed checks in Vaggeryd."'))
WORD = re.compile(r"[^\W\d_]+")
PLACEHOLDER = re.compile(r"\{[^}]*\}")
#: Words that are the same in both languages, names, or the language switch's own word.
ALLOWED = {"svenska", "språk", "brå", "trygghetskarta", "est", "epa", "värnamo", "id", "demo", "import", "status",
           "period", "moped", "lat", "lon", "km", "max"}
#: Keys of component props that hold no text a reader sees.
SKIP_PROPS = {"id", "className", "style", "value", "href", "src", "type", "rel", "name", "method", "action",
              "role", "storage_type", "display_format", "date", "min_date_allowed", "max_date_allowed",
              "start_date", "end_date", "initial_visible_month", "inputMode", "data"}
SKIP_FIGURE = {"value", "customdata", "x", "y", "z", "lat", "lon", "ids", "meta", "uid", "legendgroup", "uirevision",
               "geojson", "locations", "featureidkey", "colorscale", "color", "font", "style", "marker", "line",
               "fillcolor", "bgcolor", "hoverlabel", "template", "selected", "unselected", "mode", "name_"}


def _swedish_words() -> set[str]:
    """Words of the Swedish catalogue that no English text uses: Swedish on an English page."""
    def words(lang):
        # Placeholders ({kommun}) are names in code, not words of either language.
        return {w.lower() for text in CATALOGUES[lang].values() for w in WORD.findall(PLACEHOLDER.sub(" ", text))}

    english, swedish = words("en"), words("sv")
    return swedish - english - ALLOWED


SWEDISH = _swedish_words()


def texts(node, where="", out=None) -> list[tuple[str, str]]:
    """Every (where, text) a reader may see in a layout tree, callback answer or figure."""
    out = [] if out is None else out
    if isinstance(node, str):
        out.append((where, node))
    elif isinstance(node, list | tuple):
        for item in node:
            texts(item, where, out)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in SKIP_FIGURE:
                texts(value, f"{where}.{key}", out)
    elif hasattr(node, "to_plotly_json"):
        props = node.to_plotly_json().get("props", {})
        name = f"{where}/{type(node).__name__}#{props.get('id')}"
        for key, value in props.items():
            if key not in SKIP_PROPS:
                texts(value, f"{name}.{key}", out)
    return out


def swedish_in(found: list[tuple[str, str]], data_words: set[str]) -> list[tuple[str, str]]:
    bad = []
    for where, text in found:
        words = {w.lower() for w in WORD.findall(text)} - data_words - ALLOWED
        if any(w in SWEDISH or re.search("[åäö]", w) for w in words):
            bad.append((where[-60:], text[:100]))
    return bad


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    store = small_store(tmp_path_factory.mktemp("english") / "s.gpkg")
    data = load(store, loads_config(PROMISE_EN, today=TODAY))
    return {role: create_app(store, today=lambda: TODAY, data=data, role=role) for role in ("polis", "bra", "allmanhet")}


@pytest.fixture(scope="module")
def app(apps):
    return apps["polis"]


@pytest.fixture(scope="module")
def data_words(app):
    """Names from the data (localities, municipality, free text of the reports): not UI text."""
    data = app._trygghetskarta["data"]
    names = [*data.localities["name"], data.municipality.name, *data.reports.get("description", [])]
    return {w.lower() for name in names for w in WORD.findall(str(name))}


def english_filters(app) -> dict:
    state = dataclasses.replace(default_state(app._trygghetskarta["data"]), lang="en")
    return json.loads(json.dumps(dataclasses.asdict(state), default=list))


def test_the_swedish_word_list_finds_swedish(data_words):
    # The check itself: it flags what the page showed in English before (codes in the entry panel).
    assert swedish_in([("", "närvaro/patrull"), ("", "Rapporter i urvalet"), ("", "kommun")], data_words) == [
        ("", "närvaro/patrull"), ("", "Rapporter i urvalet"), ("", "kommun")]
    assert swedish_in([("", "Reports over time – 10 in the selection"), ("", "Skillingaryd – the station")],
                      data_words) == []


@pytest.mark.parametrize("role", ["polis", "bra", "allmanhet"])
def test_english_page_and_callbacks_have_no_swedish(apps, data_words, role):
    app = apps[role]
    data = app._trygghetskarta["data"]
    filters = english_filters(app)
    page = build_layout(data, default_state(data).__class__.from_dict(filters), policy=privacy.policy(role),
                        today=TODAY)
    # The entry panel's option lists are relabelled by callbacks_edit.form_labels on load.
    found = [(w, x) for w, x in texts(page, "layout") if not any(f"#{name}.options" in w
                                                                  for name in (*entry.FORM_OPTIONS, "e-category"))]
    found += texts(call(callback(app, "render_charts"), "filters.data", filters), "charts")
    found += texts(call(callback(app, "render_map"), "filters.data", filters, None, None), "map")
    found += texts(call(callback(app, "render_where"), "filters.data", filters, "locality"), "where")
    found += texts(call(callback(app, "render_report_list"), "filters.data", filters), "list")
    found += texts(call(callback(app, "render_gaps"), "filters.data", filters), "gaps")
    # The panels' second answer is the key they were drawn for (a store, never shown).
    found += texts(call(callback(app, "render_promise"), "filters.data", filters, None)[0], "promise")
    found += texts(call(callback(app, "render_effects"), "filters.data", filters, None)[0], "effects")
    found += texts(call(callback(app, "form_labels"), "lang.value", "en"), "form")
    for layer in data.config.layers:
        found += texts(call(callback(app, "categories"), "e-layer.value", layer, "en", None)[0], "categories")
    assert len(found) > 200
    shown = " ".join(text for _, text in found)
    assert "The citizen promise" in shown and "Ten hours of presence in Skillingaryd." in shown
    bad = swedish_in(found, data_words)
    assert bad == [], "\n".join(map(str, bad))


def test_english_entry_messages(app, data_words):
    data = app._trygghetskarta["data"]
    now = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
    with pytest.raises(entry.EntryError) as report:
        entry.new_report({"layer": "otrygg_plats", "category": "x", "source": "y", "date": "2026-13-01",
                          "lat": "57.0", "lon": "12.0"}, data, "anna", now, "en")
    with pytest.raises(entry.EntryError) as activity:
        entry.new_activity({"focus_area": "trygghet", "actor": "polis", "kind": "z", "status": "genomförd",
                            "date": "2026-12-20", "time": "10:00", "duration": "0"}, data, "anna", now, "en")
    with pytest.raises(entry.EntryError) as flow:
        entry.check_status_change("report", "åtgärdad", "avvisad", "en")
    messages = [*report.value.fields.values(), *activity.value.fields.values(), *flow.value.fields.values()]
    assert report.value.fields["category"] == ("'x' is not one of: poor lighting, obstructed view, gathering, "
                                               "vandalism, littering, threats/harassment, other")
    assert activity.value.fields["kind"].endswith("presence/patrol, speed check, safety walk, information effort, "
                                                  "narcotics operation, EST meeting, other")
    assert flow.value.fields["status"] == "from resolved only to: none"
    assert swedish_in([("entry", m) for m in messages], data_words) == []


def test_the_language_switch_relabels_the_entry_panel(app):
    swedish = call(callback(app, "form_labels"), "lang.value", "sv")
    english = call(callback(app, "form_labels"), "lang.value", "en")
    kinds_sv, kinds_en = (dict(zip(entry.FORM_OPTIONS, out, strict=True))["e-akind"] for out in (swedish, english))
    assert [o["label"] for o in kinds_sv][:2] == ["närvaro/patrull", "hastighetskontroll"]
    assert [o["label"] for o in kinds_en][:2] == ["presence/patrol", "speed check"]
    assert [o["value"] for o in kinds_en] == [o["value"] for o in kinds_sv]
    sources = dict(zip(entry.FORM_OPTIONS, english, strict=True))["e-source"]
    assert [o["label"] for o in sources] == ["citizen", "police", "municipality", "social media", "citizen dialogue"]
    # Switching the language keeps the chosen category, now labelled in English.
    options, value = call(callback(app, "categories"), "lang.value", "otrygg_plats", "en", "skadegörelse")
    assert value == "skadegörelse" and {"label": "vandalism", "value": "skadegörelse"} in options


def test_login_and_logout_pages_in_english(data_words):
    pages = [render_login_page("en", "/login", "tok", "/"), render_logout_page("en", "/logout", "tok", "/")]
    visible = [re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", page, flags=re.S)) for page in pages]
    assert "Log in to see the map." in visible[0] and "Do you want to log out?" in visible[1]
    assert swedish_in([("login", v) for v in visible], data_words) == []
    assert '<html lang="en">' in pages[0]
