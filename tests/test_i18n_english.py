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
ALLOWED = {"svenska", "english", "språk", "brå", "trygghetskarta", "est", "epa", "värnamo", "id", "demo", "import", "status",
           "period", "moped", "lat", "lon", "km", "max", "min"}
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


# -- exports and console texts in English ------------------------------------------------------------

EXPORT_DAY = dt.date(2026, 7, 1)  # the releases of the export tests' data (March 2026) have closed


def _code_words(config) -> set[str]:
    """Ids and codes a file or command shows as they are stored (focus areas, layers, commitments,
    kinds, actors, the TOML file's own names): data, the same in both languages."""
    from layers import aktiviteter

    codes = [*config.focus_areas, *config.layers, *(c.id for c in config.commitments), *aktiviteter.KINDS,
             *aktiviteter.ACTORS]
    return {w.lower() for code in codes for w in WORD.findall(code)}


def html_texts(page: str) -> list[tuple[str, str]]:
    """What a reader of an exported map sees: the page title, the title box and legend, the layer
    control's names and every popup line (the popups' JSON payload)."""
    found = [("title", m) for m in re.findall(r"<title>(.*?)</title>", page, flags=re.S)]
    overlay = page[page.index('<div style="position:fixed'):page.index("</body>")]
    found += [("overlay", t.strip()) for t in re.sub(r"<[^>]+>", "\n", overlay).splitlines() if t.strip()]
    found += [("control", m) for m in re.findall(r'^\s*"([^"\n]+)" : (?:tile_layer|feature_group|heat_map)_', page,
                                                  flags=re.M)]
    for payload in re.findall(r"var items = (\[.*?\]);\n", page):
        found += [("popup", line) for item in json.loads(payload) for line in item["t"]]
    return found


@pytest.fixture(scope="module")
def export_store(tmp_path_factory):
    from tests.test_export import make_store

    return make_store(tmp_path_factory.mktemp("export-en") / "t.gpkg")


@pytest.fixture(scope="module")
def export_words(export_store):
    """The export data's own words: descriptions, place names, the municipality."""
    reports, acts = export_store.read_table("reports"), export_store.read_table("activities")
    names = [*reports["description"], *acts["description"], "Vaggeryd", "Skillingaryd", "Hok", "Klevshult",
             "Trygghetskarta"]
    return {w.lower() for name in names for w in WORD.findall(str(name))} | _code_words(export_store.config)


def _html(store, tmp_path, role, lang, **kw) -> str:
    from dashboard.export import export

    out = tmp_path / f"{role}-{lang}.html"
    export(store, out, "html", role=role, lang=lang, today=EXPORT_DAY, **kw)
    # The time the file was made and its release was built: the only parts a clock decides.
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d</div>|\(published \d{4}-\d\d-\d\d\)|\(publicerat \d{4}-\d\d-\d\d\)",
                  "", out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("role", ["admin", "bra", "allmanhet"])
def test_english_html_export_has_no_swedish(export_store, export_words, tmp_path, role):
    page = _html(export_store, tmp_path, role, "en")
    found = html_texts(page)
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert len([f for f in found if f[0] == "popup"]) >= 4
    bad = swedish_in(found, export_words)
    assert bad == [], "\n".join(map(str, bad))
    # The Swedish map of the same data does show Swedish (the check above can fail).
    assert swedish_in(html_texts(_html(export_store, tmp_path, role, "sv")), export_words) != []


def test_english_html_export_says_exactly_this(export_store, tmp_path):
    bra = html_texts(_html(export_store, tmp_path, "bra", "en"))
    shown = [text for _, text in bra]
    assert shown[0] == "Trygghetskarta – Vaggeryd Municipality: The whole period; Role: Crime prevention meeting (shared screen)"
    assert [text for where, text in bra if where == "control"] == [
        "Background map (OpenStreetMap, needs a network)", "Unsafe places (5)", "Speed complaints (5)",
        "Narcotics tips: count per 500 m cell (6)", "Activities (2)", "Heat map (the reports as points)"]
    assert [text for where, text in bra if where == "overlay"] == [
        "Trygghetskarta – Vaggeryd Municipality", "The whole period; Role: Crime prevention meeting (shared screen)",
        "Legend", "Unsafe places (5)", "Speed complaints (5)", "Narcotics tips: count per 500 m cell (6)",
        "Activities (2), black outline",
        "Counts per cell of 500 m; cells with fewer than 5 reports are not shown.",
        "Narcotics tips: 5 elsewhere in the municipality or without a place.",
        "The cell layers show whole published months: from 2026-01-01 through 2026-03-31; months with fewer than 5 "
        "reports are merged .",
        "Created"]
    # Popups name stored codes by their English labels; the cell by its centre's English place name.
    assert {"poor lighting – Unsafe places", "Status: new", "Source: citizen", "6 reports",
            "Place: Hok – southeast of the station", "Cell 500 m: 500mN12749E913", "speed check (police)",
            "done: 2026-03-05 09:00", "60 min"} <= set(shown)
    public = [text for _, text in html_texts(_html(export_store, tmp_path, "allmanhet", "en"))]
    assert "Not shown to the role: Narcotics tips." in public
    assert "Place: Vaggeryd – the station" in public


def test_the_swedish_html_export_is_unchanged(export_store, tmp_path):
    bra = [text for where, text in html_texts(_html(export_store, tmp_path, "bra", "sv")) if where == "overlay"]
    assert bra == [
        "Trygghetskarta – Vaggeryds kommun", "Hela perioden; Roll: BRÅ-möte (delad skärm)", "Teckenförklaring",
        "Otrygga platser (5)", "Hastighetsklagomål (5)", "Narkotikatips: antal per 500 m-ruta (6)",
        "Aktiviteter (2), svart kant",
        "Antal per ruta om 500 m; rutor med färre än 5 rapporter visas inte.",
        "Narkotikatips: 5 på övriga platser i kommunen eller utan plats.",
        "Rutlagren visar publicerade hela månader: 2026-01-01 t.o.m. 2026-03-31; månader med färre än 5 rapporter "
        "är sammanslagna .",
        "Skapad"]


def test_data_files_are_the_same_in_both_languages(export_store, tmp_path):
    """Column names and codes are a contract: an English CSV or GeoJSON is byte for byte the Swedish one."""
    from dashboard.export import export

    for fmt in ("csv", "geojson"):
        files = {}
        for lang in ("sv", "en"):
            result = export(export_store, tmp_path / lang / f"x.{fmt}", fmt, role="bra", lang=lang, today=EXPORT_DAY)
            files[lang] = [re.sub(rb'"name": "[^"]*"', b"", p.read_bytes()) for p in result.files]
        assert files["sv"] == files["en"] and len(files["en"]) == 2
    cells = (tmp_path / "en" / "x-rutor.csv").read_text(encoding="utf-8-sig").splitlines()
    assert cells[0] == "enhet;layer;cell_id;count;locality;cell_m;period_from;period_to;lat;lon"
    assert [line.split(";")[:4] for line in cells[1:]] == [["ruta", "narkotika", "500mN12749E913", "6"],
                                                          ["övriga", "narkotika", "", "5"]]


def test_the_filter_in_words_in_both_languages():
    from dashboard.export import describe_filter, describe_selection
    from layers.config import load_config
    from layers.store import Query

    config = load_config(today=dt.date(2026, 3, 1))
    query = Query(layers=("hastighet",), focus_areas=("trafik",), start=dt.date(2026, 1, 1), end=dt.date(2026, 7, 1))
    assert describe_filter(query, config, "allmanhet", "en") == (
        "Layers: Speed complaints; Focus areas: Traffic; Period: 2026-01-01 – 2026-06-30; Role: Public")
    assert describe_filter(query, config, "allmanhet") == (
        "Lager: Hastighetsklagomål; Fokusområden: Trafik; Period: 2026-01-01 – 2026-06-30; Roll: Allmänhet")
    cell = {"type": "cell", "id": "500mN1E2"}
    assert describe_selection(["Traffic"], "2026-01-01", None, cell, "polis", "en") == (
        "Focus areas: Traffic; Period: 2026-01-01 – …; Selection: cell 500mN1E2; Role: Police")
    assert describe_selection(["Trafik"], None, None, {"type": "polygon"}, "bra") == (
        "Fokusområden: Trafik; Hela perioden; Urval: markerat område; Roll: BRÅ-möte (delad skärm)")


def test_the_dashboard_exports_in_its_language(app, data_words):
    """The export button in English: the HTML map's title is the dashboard's filter in English."""
    import base64

    filters = english_filters(app)
    data, message = call(callback(app, "export_selection"), "x-go.n_clicks", 1, "html", filters)
    assert message.startswith("Exported: ")
    page = base64.b64decode(data["content"]).decode("utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    title = re.search(r"<title>(.*?)</title>", page)[1]
    assert title.startswith("Trygghetskarta – Vaggeryd Municipality: Focus areas: ") and "Role: Police" in title
    assert swedish_in(html_texts(page), data_words | {"trygghetskarta"}) == []


def _run(*args):
    from click.testing import CliRunner

    from dashboard.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def test_english_cli_export_and_promise_show(export_store, export_words, tmp_path):
    out = tmp_path / "karta.html"
    done = _run("export", "--data", export_store.path, "--out", out, "--format", "html", "--focus", "trafik",
                "--from", "2026-03-01", "--to", "2026-03-31", "--role", "bra", "--lang", "en")
    assert done.exit_code == 0, done.output
    assert done.output == f"Wrote {out}: 5 reports as points, 0 grid cells, 1 activities\n"
    page = out.read_text(encoding="utf-8")
    assert "<title>Trygghetskarta – Vaggeryd Municipality: Focus areas: Traffic; Period: 2026-03-01 – 2026-03-31; " \
           "Role: Crime prevention meeting (shared screen)</title>" in page
    assert swedish_in(html_texts(page), export_words) == []

    from layers import GeoPackageStore
    from layers.config import load_config

    store = GeoPackageStore.create(tmp_path / "p.gpkg", config=load_config(today=dt.date(2026, 3, 1)))
    shown = _run("promise", "show", "--data", store.path, "--lang", "en")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "Promise 2026 (2026-01-01 – 2026-12-31), municipality 0665 Vaggeryd, police area Värnamo"
    assert "  narkotika: Narcotics crime (followed up in BRÅ only; layers narkotika)" in lines
    assert ("  hastighet-gamla-e4 [trafik, polis, hastighetskontroll]: 1 speed check per quarter, in its area "
            "(GeoJSON polygon)") in lines
    assert "  narvaro-helgkvallar [trygghet, polis, närvaro/patrull]: 260 hours, in Vaggeryd / Skillingaryd, Fri Sat, " \
           "18-24" in lines
    # Codes in brackets are the promise file's own; the rest is English.
    words = _code_words(store.config) | {"vaggeryd", "skillingaryd", "klevshult", "hok", "riksväg", "focus_areas",
                                         "toml", "built"}
    visible = [("promise", re.sub(r"\[[^\]]*\]", "", line)) for line in lines[2:]]
    assert swedish_in(visible, words) == []
    swedish = _run("promise", "show", "--data", store.path).output.splitlines()
    assert swedish[0] == "Löfte 2026 (2026-01-01 – 2026-12-31), kommun 0665 Vaggeryd, polisområde Värnamo"
    assert "  narkotika: Narkotikabrottslighet (följs upp bara i BRÅ; lager narkotika)" in swedish


def test_english_follow_up_text(tmp_path, monkeypatch):
    """follow-up --lang en with a promise that has its English texts: English throughout."""
    from tests import test_cli_followup

    english = (test_cli_followup.PROMISE
               .replace('name_sv = "Ökad trygghet"', 'name_sv = "Ökad trygghet"\nname_en = "Increased safety"')
               .replace('name_sv = "Trafiksäkerhet"', 'name_sv = "Trafiksäkerhet"\nname_en = "Road safety"')
               .replace('name_sv = "Narkotika"', 'name_sv = "Narkotika"\nname_en = "Narcotics"')
               .replace('text_sv = "Fyra trygghetsvandringar i Skillingaryd under året."',
                        'text_sv = "Fyra trygghetsvandringar i Skillingaryd under året."\n'
                        'text_en = "Four safety walks in Skillingaryd in the year."')
               .replace('text_sv = "En hastighetskontroll per kvartal."',
                        'text_sv = "En hastighetskontroll per kvartal."\ntext_en = "One speed check a quarter."'))
    monkeypatch.setattr(test_cli_followup, "PROMISE", english)
    store = test_cli_followup.build(tmp_path)
    done = _run("follow-up", "--data", store.path, "--at", test_cli_followup.AT, "--lang", "en")
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert "    Four safety walks in Skillingaryd in the year." in lines
    assert "    Q1 2025: 1 of 1 (done); Q2 2025: 0 of 1 (not started); Q3 2025: 0 of 1 (not started); " \
           "Q4 2025: 0 of 1 (not started)" in lines
    words = _code_words(store.config) | {"skillingaryd", "vaggeryd", "lofte", "toml", "wdd", "wdq"}
    # Codes in brackets and the import's timestamp (2026-12-01T22:01:45+00:00) are data.
    visible = [("follow-up", re.sub(r"\[[^\]]*\]|\d{4}-\d\d-\d\dT[\d:+]+", "", line)) for line in lines]
    assert swedish_in(visible, words) == []


def test_console_banner_and_hints_in_both_languages(tmp_path):
    import dash
    from dash import html

    from dashboard.auth import install_auth
    from layers import GeoPackageStore
    from layers.users import UserStore
    from tests.test_auth import FAST

    store = GeoPackageStore.create(tmp_path / "a.gpkg")
    app = dash.Dash(__name__)
    app.layout = html.Div()
    single = install_auth(app, store, default_role="bra", allowed_hosts=("karta.kommun.se",))
    assert single.banner("127.0.0.1", 8050, "en") == (
        "No users configured: no login, everyone on http://127.0.0.1:8050/ is role 'bra' (single-user mode, local "
        "address only).")
    assert single.banner("127.0.0.1", 8050) == (
        "Inga användare: ingen inloggning, alla på http://127.0.0.1:8050/ har rollen 'bra' (enanvändarläge, endast "
        "lokal adress).")
    assert single.host_hint("127.0.0.1", lang="en").startswith("Note: without users there is no login.")
    UserStore(store, hasher=FAST).add("anna", "polis", "a-long-password-1")
    app = dash.Dash(__name__)
    app.layout = html.Div()
    login = install_auth(app, store, default_role="bra", users=UserStore(store, hasher=FAST))
    assert login.banner("0.0.0.0", 8050, "en") == "Login required (1 users, at most role bra)."
    assert login.banner("0.0.0.0", 8050) == "Inloggning krävs (1 användare, högst rollen bra)."
    hint = login.host_hint("0.0.0.0", lang="en")
    assert hint.startswith("Tip: the server answers to every host name (the login protects the data).")
    texts_en = [("banner", single.banner("127.0.0.1", 8050, "en")), ("hint", single.host_hint("127.0.0.1", lang="en")),
                ("banner", login.banner("0.0.0.0", 8050, "en")), ("hint", hint)]
    assert swedish_in(texts_en, {"karta", "kommun", "se", "docs", "sakerhet", "md", "allowed", "bra"}) == []


def test_analysis_labels_in_both_languages():
    from layers.analysis.labels import CLASS_LABELS, COMPARISON_LABELS, label, pct_text

    assert [label(CLASS_LABELS, c, "en") for c in CLASS_LABELS] == [
        "Hot spot 99 %", "Hot spot 95 %", "Hot spot 90 %", "Not significant", "Cold spot"]
    assert label(CLASS_LABELS, "ns") == "Inte signifikant"
    assert label(COMPARISON_LABELS, "ytd", "en") == "year to date vs last year to date"
    assert label(COMPARISON_LABELS, "ytd") == "hittills i år mot samma tid i fjol"
    assert (pct_text(-12.5, "sv"), pct_text(-12.5, "en"), pct_text(3.0, "sv"), pct_text(None, "en")) == (
        "−12,5 %", "-12.5 %", "+3,0 %", "undefined (base is 0)")
    english = [("label", label(table, key, "en")) for table in (CLASS_LABELS, COMPARISON_LABELS) for key in table]
    assert swedish_in(english, set()) == []
