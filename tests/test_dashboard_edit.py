"""Entry, status change, upload and export through the Dash callbacks, per role."""

import base64
import datetime as dt
import json
import shutil

import pytest
from dash import no_update

from dashboard.app import create_app
from layers.store import open_store
from tests.dash_fixtures import TODAY, small_store
from tests.helpers import title_lines
from tests.test_dashboard_roles import _call, _callbacks

NOW = lambda: dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)  # noqa: E731
SKILLINGARYD_LONLAT = ("57.431000", "14.093000")
VARNAMO_LONLAT = ("57.183000", "14.047000")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("edit") / "s.gpkg").path


@pytest.fixture
def path(template, tmp_path):
    target = tmp_path / "s.gpkg"
    shutil.copy(template, target)
    return target


def app_for(path, role):
    return create_app(open_store(path), role=role, today=lambda: TODAY, now=NOW)


def loaded_filters(app):
    cbs = _callbacks(app)
    return _call(cbs["sync_state"], "url.search", "?t=all", *[None] * 10, "sv", 0, 0, 0,
                 None, None, None, None, None, None, None)[12]


def save(app, filters, kind="report", lat=SKILLINGARYD_LONLAT[0], lon=SKILLINGARYD_LONLAT[1], **values):
    form = {"layer": "otrygg_plats", "category": "belysning", "source": "medborgare", "focus": "trygghet",
            "actor": "polis", "akind": "närvaro/patrull", "astatus": "planerad", "duration": "60",
            "date": "2026-11-26", "time": "18:30", "description": "Mörk gångtunnel"}
    form.update(values)
    return _call(_callbacks(app)["save"], "e-save.n_clicks", 1, kind, form["layer"], form["category"],
                 form["source"], form["focus"], form["actor"], form["akind"], form["astatus"], form["duration"],
                 lat, lon, form["date"], form["time"], form["description"], "sv", filters)


def test_a_new_report_is_stored_and_drawn_at_once(path):
    app = app_for(path, "polis")
    filters = loaded_filters(app)
    out = save(app, filters)
    message, css, *errors, new_filters = out
    assert message.startswith("Sparad: rapport app-") and message.endswith("(Otrygga platser, Skillingaryd).")
    assert css == "edit-message" and errors == [""] * 12
    assert new_filters["rev"] == 1
    assert len(open_store(path).read_table("reports")) == 13
    charts = _call(_callbacks(app)["render_charts"], "filters.data", new_filters)
    assert title_lines(charts[2])[1] == "13 rapporter i urvalet"
    # The same form again: nothing new.
    assert save(app, new_filters)[0] == "Finns redan: samma post är redan sparad."


def test_a_place_outside_is_refused_with_its_distance(path):
    app = app_for(path, "polis")
    message, css, place, *rest = save(app, loaded_filters(app), lat=VARNAMO_LONLAT[0], lon=VARNAMO_LONLAT[1],
                                      time="25:00")
    assert message == "Rätta: Klockslag, Plats" and css == "edit-message error"
    assert place.startswith("platsen ligger ") and place.endswith("km utanför Vaggeryds kommun")
    assert rest[-3] == "'25:00' är ingen tid (TT:MM)"
    assert len(open_store(path).read_table("reports")) == 12


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_read_only_roles_cannot_write_even_by_a_forged_request(path, role):
    app = app_for(path, role)
    filters = loaded_filters(app)
    assert save(app, filters)[0].startswith(f"Din roll ({'BRÅ-möte (delad skärm)' if role == 'bra' else 'Allmänhet'})")
    status = _call(_callbacks(app)["change_status"], "s-save.n_clicks", 1, "t-0", "bekräftad", "sv", filters)
    assert status[0].startswith("Din roll")
    assert open_store(path).read_table("reports")["status"].tolist().count("ny") == 11
    contents = "data:text/csv;base64," + base64.b64encode(b"Datum;Kategori;N;E\r\n").decode()
    started = _call(_callbacks(app)["upload"], "u-file.contents", contents, "x.csv", "reports", None, "sv")
    assert started[0].startswith("Din roll") and started[2:] == (no_update, no_update)
    assert not path.with_name(path.name + ".jobs").exists()  # no job was started


def test_status_changes_follow_the_flow(path):
    app = app_for(path, "admin")
    filters = loaded_filters(app)
    fn = _callbacks(app)["change_status"]
    ok = _call(fn, "s-save.n_clicks", 1, "t-0", "bekräftad", "sv", filters)
    assert ok[0] == "t-0: ny → bekräftad." and ok[4]["rev"] == 1
    refused = _call(fn, "s-save.n_clicks", 2, "t-9", "ny", "sv", filters)
    assert refused[3] == "från åtgärdad går det bara till: inga"
    missing = _call(fn, "s-save.n_clicks", 3, "nope", "bekräftad", "sv", filters)
    assert missing[2] == "hittades inte"
    done = _call(fn, "s-save.n_clicks", 4, "a-3", "genomförd", "sv", filters)
    assert done[0] == "a-3: planerad → genomförd."
    activity = open_store(path).read_table("activities").set_index("id").loc["a-3"]
    assert activity["done_at"] == "2026-11-27T16:00:00+01:00"


@pytest.fixture
def inline_jobs(monkeypatch):
    """Upload jobs run in the test's process, before `upload` returns (tests/test_import_jobs.py
    runs them in real worker processes)."""
    from dashboard import callbacks_edit
    from layers.imports import jobs as import_jobs

    monkeypatch.setattr(callbacks_edit, "job_launcher", import_jobs.inline_launcher)


def upload(app, content: bytes, name: str, kind="reports", layer="otrygg_plats", mime="text/csv"):
    """Drop a file on the upload field: (the upload's own answer, the poll's answer after the job)."""
    contents = f"data:{mime};base64," + base64.b64encode(content).decode()
    started = _call(_callbacks(app)["upload"], "u-file.contents", contents, name, kind, layer, "sv")
    polled = _call(_callbacks(app)["upload_poll"], "u-poll.n_intervals", 1, started[2], "sv", loaded_filters(app))
    return started, polled


def test_upload_runs_the_importer(path, inline_jobs):
    app = app_for(path, "polis")
    text = ("Datum;Tid;Kategori;Beskrivning;N;E\r\n"
            "2026-03-01;18:30;Belysning;Mörkt;6365443;445400\r\n"
            "2026-03-02;19:30;Belysning;Mörkt igen;6365443,5;445400,5\r\n"
            "2026-02-30;19:30;Belysning;Omöjligt datum;6365443;445400\r\n").encode("cp1252")
    (started, polled) = upload(app, text, "../../ot.csv")
    assert started[0] == "Importen av ot.csv startar…" and started[1] == "edit-message"
    assert started[3] is False  # the page starts polling
    message, css, rejected, filters, job, poll_off = polled
    lines = message.split("\n")
    assert lines[:2] == ["ot.csv: 2 sparade, 0 fanns redan, 1 avvisade.",
                         "rad 3: datum 'Datum': '2026-02-30' är inget riktigt datum"]
    assert "SWEREF 99 TM (EPSG:3006)" in message
    assert css == "edit-message error" and filters["rev"] == 1
    assert (job, poll_off) == (None, True)  # done: the page stops polling
    assert len(open_store(path).read_table("reports")) == 14
    # The rejected rows come back as a file, as the CLI writes FILE.rejected.csv.
    assert rejected["filename"] == "ot.rejected.csv"
    assert "Omöjligt datum" in base64.b64decode(rejected["content"]).decode("utf-8-sig")
    # A poll that comes late (two crossed) delivers nothing a second time.
    again = _call(_callbacks(app)["upload_poll"], "u-poll.n_intervals", 2, started[2], "sv", loaded_filters(app))
    assert again[:4] == (no_update,) * 4 and again[4:] == (None, True)


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("trasig.zip", b"hello", "trasig.zip: trasig.zip är ingen läsbar zip-fil"),
    ("trasig.gpkg", b"SQLite format 3\x00" + b"\x00" * 200, "trasig.gpkg: kan inte läsa GeoPackage-filen trasig.gpkg"),
    ("tom.csv", b"", "tom.csv: "),
    ("å" * 200 + ".csv", b"Datum;Kategori;N;E\r\n", "å" * 80 + ".csv: 0 sparade"),
])
def test_a_bad_upload_is_one_message_not_a_crash(path, inline_jobs, name, content, expected):
    app = app_for(path, "polis")
    _started, (message, css, _rejected, filters, job, poll_off) = upload(
        app, content, name, layer=None, mime="application/octet-stream")
    assert message.startswith(expected) and css == "edit-message error"
    assert "/tmp" not in message and "trygghetskarta-upload" not in message and ".jobs" not in message
    assert (job, poll_off) == (None, True)
    assert len(open_store(path).read_table("reports")) == 12


def test_export_of_an_empty_selection_says_so(path):
    app = app_for(path, "polis")
    filters = {**loaded_filters(app), "focus_areas": []}
    out, message = _call(_callbacks(app)["export_selection"], "x-go.n_clicks", 1, "csv", filters)
    assert message == "Inget att exportera: urvalet är tomt."


def test_export_button_gives_the_role_its_view_of_the_selection(path):
    for role in ("polis", "bra"):
        app = app_for(path, role)
        filters = loaded_filters(app)
        out, message = _call(_callbacks(app)["export_selection"], "x-go.n_clicks", 1, "geojson", filters)
        assert message.startswith("Exporterat: ")
        payload = base64.b64decode(out["content"]) if out.get("base64") else out["content"].encode()
        if role == "polis":
            assert out["filename"] == "trygghetskarta.geojson"
            layers = [f["properties"]["layer"] for f in json.loads(payload)["features"]]
            assert layers.count("narkotika") == 2 and len(layers) == 12
        else:
            # The two narcotics tips are fewer than k: no cells file, no narcotics point, no free text.
            assert out["filename"] == "trygghetskarta.geojson"
            points = json.loads(payload)
            assert {f["properties"]["layer"] for f in points["features"]} == {"otrygg_plats", "hastighet"}
            assert "Mörkt vid stationen" not in payload.decode("utf-8")


def test_edits_are_in_the_audit_log(path):
    from layers.audit import read_audit

    app = app_for(path, "polis")
    filters = loaded_filters(app)
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        app._trygghetskarta["auth"].before_request()
        assert save(app, filters)[0].startswith("Sparad")
        _call(_callbacks(app)["change_status"], "s-save.n_clicks", 1, "t-0", "avvisad", "sv", filters)
    log = read_audit(path)
    assert log["event"].tolist()[-2:] == ["add_report", "status"]
    assert log["detail"].iloc[-1] == {"id": "t-0", "from": "ny", "to": "avvisad"}


def test_a_cli_import_while_the_dashboard_runs_shows_on_the_next_interaction(path):
    from tests.helpers import report, reports_frame

    app = app_for(path, "polis")
    views = app._trygghetskarta["views"]
    filters = loaded_filters(app)
    charts = _callbacks(app)["render_charts"]
    assert title_lines(_call(charts, "filters.data", filters)[2])[1] == "12 rapporter i urvalet"
    # Another process (the CLI) adds a report to the same file.
    open_store(path).add_reports(reports_frame([report("cli", when="2026-11-26T20:00:00+01:00")]))
    views.recheck_s = 0
    fresh = {**filters, "lang": "sv"}
    assert title_lines(_call(charts, "filters.data", fresh)[2])[1] == "13 rapporter i urvalet"
    assert views.refresh_if_changed() is False  # nothing new since


# -- the edit panel: only for editors, its form built when first opened, in the page's language --

def _ids(component) -> set:
    found = set()

    def walk(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
        elif node is not None and not isinstance(node, (str, int, float)):
            if isinstance(getattr(node, "id", None), str):
                found.add(node.id)
            walk(getattr(node, "children", None))

    walk(component)
    return found


def _page(app, role, lang="sv"):
    from dashboard.filters import default_state
    from dashboard.layout import build_layout
    from layers import privacy

    data = app._trygghetskarta["data"]
    state = default_state(data)
    state = type(state).from_dict({**state.to_dict(), "lang": lang})
    return build_layout(data, state, policy=privacy.policy(role), today=TODAY)


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_roles_that_cannot_edit_get_no_edit_panel_at_all(path, role):
    ids = _ids(_page(app_for(path, role), role))
    assert not {i for i in ids if i.startswith(("e-", "s-", "u-", "edit-"))}
    assert "map" in ids and "x-go" in ids  # the rest of the page is there


def test_the_edit_form_comes_when_the_panel_is_first_opened(path):
    app = app_for(path, "polis")
    ids = _ids(_page(app, "polis"))
    # Closed: the summary and the upload's status (a reload during an upload follows it), no form.
    assert {"edit-panel", "edit-summary", "edit-body", "u-message", "u-job", "u-poll"} <= ids
    assert not {"e-kind", "e-layer", "e-save", "s-new", "u-file"} & ids
    form, css = _call(_callbacks(app)["open_form"], "edit-summary.n_clicks", 1, "edit-body", "sv")
    assert css == "edit-body built"
    assert {"e-kind", "e-layer", "e-category", "e-date", "e-save", "s-id", "s-new", "u-kind", "u-file"} <= _ids(form)
    # Opened again (closing and opening is a click each): the form the user filled in stays.
    assert _call(_callbacks(app)["open_form"], "edit-summary.n_clicks", 2, "edit-body built", "sv") == (
        no_update, no_update)


def test_the_edit_form_is_not_sent_to_a_role_that_cannot_edit(path):
    app = app_for(path, "bra")
    assert _call(_callbacks(app)["open_form"], "edit-summary.n_clicks", 1, "edit-body", "sv") == (no_update, no_update)


def _component(tree, component_id):
    if getattr(tree, "id", None) == component_id:
        return tree
    children = getattr(tree, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = _component(child, component_id)
            if found is not None:
                return found
    return None


@pytest.mark.parametrize(("lang", "kind", "source", "category", "status", "date"), [
    ("sv", "närvaro/patrull", "medborgare", "belysning", "bekräftad", "Välj datum"),
    ("en", "presence/patrol", "citizen", "poor lighting", "confirmed", "Select date"),
])
def test_the_edit_forms_lists_show_labels_in_the_page_language_from_the_first_draw(path, lang, kind, source,
                                                                                   category, status, date):
    from dashboard.layout import edit_form

    app = app_for(path, "polis")
    form = html_div(edit_form(app._trygghetskarta["data"], lang, TODAY))
    labels = {name: [o["label"] for o in _component(form, name).options] for name in ("e-akind", "e-source",
                                                                                       "e-category", "s-new")}
    assert labels["e-akind"][0] == kind
    assert source in labels["e-source"]
    assert labels["e-category"][0] == category
    assert labels["s-new"][0] == status
    assert _component(form, "e-date").placeholder == date
    # The values stay the stored codes.
    assert [o["value"] for o in _component(form, "e-akind").options][0] == "närvaro/patrull"


def html_div(children):
    from dash import html

    return html.Div(children)
