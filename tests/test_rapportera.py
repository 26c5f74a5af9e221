"""The residents' report form `/rapportera` and its status page through the real app with users
in the data file (Flask test client): a submission gets a reference, bad fields one message
naming the field and value and nothing stored, the limits (429 at the 21st from one address,
global, one submission per token, across server processes), the honeypot, the body bound,
script payloads inert in the form, the status page and the exports, and the contact kept apart."""

from __future__ import annotations

import re
import sqlite3

import pytest

from dashboard.app import create_app
from dashboard.rapportera_limits import SubmitLimits
from layers import GeoPackageStore
from layers.audit import read_audit
from layers.imports.sources.resident_form import REF_PATTERN, close_contact, insert_intake_report, status_of
from layers.server_state import ServerState
from layers.users import UserStore
from tests.test_auth import FAST, PW

#: Vaggeryd's station in the packaged places (SWEREF 99 TM).
STATION = (448781.978810, 6373168.0)
#: Värnamo (WGS 84), outside Vaggeryds kommun.
VARNAMO = ("57.18330", "14.05000")
PAYLOADS = ("<script>alert(1)</script>", '" onmouseover="alert(1)', "javascript:alert(1)")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = tmp_path_factory.mktemp("rapportera") / "data.gpkg"
    store = GeoPackageStore.create(path)
    users = UserStore(store, hasher=FAST)
    users.add("anna", "polis", PW)
    users.add("admin", "admin", PW)
    app = create_app(store)
    return app, store


def client(app, address="192.0.2.10"):
    c = app.server.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def token(c, lang="sv") -> str:
    page = c.get(f"/rapportera?lang={lang}")
    assert page.status_code == 200
    return re.search(r'name="form_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def send(c, lang="sv", **fields):
    data = {"form_token": token(c, lang), "lang": lang, "what": "otrygg_plats|belysning",
            "place": "Vaggeryd|stationen", "date": "", "hour": "", "description": "Mörkt vid perrongen.",
            "email": ""}
    data.update(fields)
    return c.post("/rapportera", data=data)


def ref_of(response) -> str:
    found = re.findall(r'id="rapp-ref-number">([^<]+)<', response.get_data(as_text=True))
    assert len(found) == 1, response.get_data(as_text=True)[:2000]
    return found[0]


def rows(store, sql, params=()):
    with sqlite3.connect(store.path) as conn:
        return conn.execute(sql, params).fetchall()


def count_reports(store) -> int:
    return rows(store, "SELECT count(*) FROM reports")[0][0]


def errors_of(response) -> list[str]:
    import html

    block = re.search(r'<div class="errors" role="alert" id="rapp-errors">(.*?)</div>', response.get_data(as_text=True),
                      re.S)
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", block.group(1))] if block else []


def markup(text: str) -> dict:
    """What the browser would treat as markup: attribute names, script sources, link targets."""
    from html.parser import HTMLParser

    found = {"attrs": [], "scripts": [], "urls": []}

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found["attrs"] += [name for name, _ in attrs]
            values = dict(attrs)
            if tag == "script":
                found["scripts"].append(values.get("src"))
            found["urls"] += [v or "" for k, v in attrs if k in ("href", "src", "action", "formaction")]

    Parser().feed(text)
    return found


# -- a submission ---------------------------------------------------------------------------------

def test_form_is_open_without_a_session_and_allows_geolocation_here_only(served):
    app, _store = served
    c = client(app)
    page = c.get("/rapportera")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers  # no session made for a visitor
    assert page.headers["Permissions-Policy"] == "geolocation=(self), camera=(), microphone=()"
    assert "polisen.se" in text and "114 14" in text and "112" in text
    assert '<html lang="sv">' in text and 'href="/rapportera?lang=en"' in text
    # The narcotics layer is not offered: only the two public vocabularies.
    assert 'value="otrygg_plats|belysning"' in text and 'value="hastighet|fortkörning"' in text
    assert "narkotika|" not in text
    assert c.get("/login").headers["Permissions-Policy"] == "geolocation=(), camera=(), microphone=()"
    # The dashboard itself still wants a login, also on a path under /rapportera that only Dash's
    # catch-all page route answers.
    assert c.get("/").status_code == 302
    assert c.get("/rapportera/_dash-layout").status_code == 302
    assert c.get("/rapportera/annat").headers["Location"].startswith("/login")
    english = c.get("/rapportera?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Report an unsafe place or traffic" in english


def test_submission_gets_a_reference_stored_pending_with_contact_apart(served):
    app, store = served
    c = client(app, "192.0.2.11")
    before = count_reports(store)
    r = send(c, email="anna@example.se", hour="7", date="2026-01-15")
    assert r.status_code == 200
    ref = ref_of(r)
    assert REF_PATTERN.match(ref) and ref.startswith("VGR-2026-")
    assert count_reports(store) == before + 1
    (rid, layer, category, source, status, moderation, occurred, description, x_ok), = rows(
        store, "SELECT id, layer, category, source, status, moderation, occurred_at, description, 1 FROM reports"
               " WHERE ref = ?", (ref,))
    assert (layer, category, source, status, moderation) == ("otrygg_plats", "belysning", "medborgare", "ny", "väntar")
    assert occurred == "2026-01-15T07:00:00+01:00" and description == "Mörkt vid perrongen."
    x, y = store.read_table("reports", "WHERE ref = ?", (ref,), uncounted=True)[["x", "y"]].iloc[0]
    assert (round(x, 3), round(y)) == (round(STATION[0], 3), round(STATION[1]))
    assert rows(store, "SELECT email FROM report_contacts WHERE report_id = ?", (rid,)) == [("anna@example.se",)]
    # No read of reports carries the contact, pending or approved.
    assert "anna@example.se" not in store.read_table("reports", uncounted=True).to_csv()
    rows_sql = rows(store, "SELECT * FROM reports WHERE ref = ?", (ref,))
    assert "anna@example.se" not in repr(rows_sql)
    # Audited without the visitor's address.
    entry = read_audit(store, event="add_report").iloc[-1]
    assert entry["address"] == "" and entry["user"] == "(medborgare)"
    assert entry["detail"] == {"source": "medborgare", "ref": ref, "layer": "otrygg_plats", "form": "rapportera"}
    assert "192.0.2.11" not in read_audit(store).to_csv()
    # The contact is deleted when the case closes (the moderation calls this).
    assert close_contact(store, rid) is True
    assert rows(store, "SELECT count(*) FROM report_contacts WHERE report_id = ?", (rid,)) == [(0,)]
    assert close_contact(store, rid) is False


def test_position_from_the_map_or_device_is_converted_to_sweref(served):
    app, store = served
    r = send(client(app, "192.0.2.12"), place="", lat="57.4981", lon="14,1485")  # a decimal comma as a Swedish phone types it
    ref = ref_of(r)
    x, y = store.read_table("reports", "WHERE ref = ?", (ref,), uncounted=True)[["x", "y"]].iloc[0]
    assert (round(x), round(y)) == (448967, 6373154)  # Vaggeryd's locality point, geodata's own numbers


@pytest.mark.parametrize(("fields", "lang", "message"), [
    ({"what": "otrygg_plats|knark"}, "sv",
     "Vad: ”knark” – välj en av: belysning, skymd sikt, folksamling, skadegörelse, nedskräpning, "
     "hot/trakasserier, övrigt"),
    ({"what": "narkotika|försäljning"}, "sv",
     "Vad gäller det?: ”narkotika” – välj en av: Otrygga platser, Hastighetsklagomål"),
    ({"place": "", "lat": VARNAMO[0], "lon": VARNAMO[1]}, "sv",
     "Position: ”57.18330, 14.05000” – ligger utanför Vaggeryd kommun"),
    ({"place": "", "lat": VARNAMO[0], "lon": VARNAMO[1]}, "en",
     "Position: “57.18330, 14.05000” – is outside Vaggeryd municipality"),
    ({"place": "Jönköping"}, "sv", "Plats i listan: ”Jönköping” – finns inte i listan över platser"),
    ({"place": ""}, "sv", "Var?: välj en plats i listan, på kartan eller ange koordinater."),
    ({"date": "2026-13-01"}, "sv", "Datum: ”2026-13-01” – är inte ett datum (ÅÅÅÅ-MM-DD)"),
    ({"date": "2999-01-01"}, "sv", "Datum: ”2999-01-01 12” – ligger i framtiden"),
    ({"hour": "24"}, "sv", "Klockslag: ”24” – är inte en timme 0–23"),
    ({"email": "anna@"}, "en", "Your email (optional): “anna@” – is not an email address"),
    ({"description": "x" * 4001}, "sv",
     "Beskriv (frivilligt): ”" + "x" * 40 + "” – är 4001 tecken, högst 4000 går"),
])
def test_bad_field_one_message_naming_field_and_value_nothing_stored(served, fields, lang, message):
    app, store = served
    before = count_reports(store)
    if fields.get("date") == "2999-01-01":
        fields = {**fields, "hour": "12"}
    r = send(client(app, "192.0.2.13"), lang=lang, **fields)
    assert r.status_code == 400
    assert errors_of(r) == [message]
    assert count_reports(store) == before
    # The visitor's values are kept in the form for a correction.
    if fields.get("place") == "Jönköping":
        assert 'name="place"' in r.get_data(as_text=True)


# -- abuse ---------------------------------------------------------------------------------------

def test_the_21st_submission_from_one_address_within_an_hour_gets_429(served):
    app, store = served
    c = client(app, "198.51.100.7")
    before = count_reports(store)
    for i in range(20):
        assert send(c).status_code == 200, i
    r = send(c)
    assert r.status_code == 429
    text = r.get_data(as_text=True)
    assert "För många rapporter just nu" in text
    assert "Många rapporter har skickats härifrån den senaste timmen. Försök igen om 60 minuter." in text
    assert int(r.headers["Retry-After"]) in range(3500, 3601)
    assert count_reports(store) == before + 20
    english = send(c, lang="en")
    assert english.status_code == 429 and "Too many reports right now" in english.get_data(as_text=True)
    # Another address is not held up.
    assert send(client(app, "198.51.100.8")).status_code == 200


def test_global_limit_refuses_everyone_with_its_own_page(served):
    app, _store = served
    limits: SubmitLimits = app.server.extensions["trygghetskarta_rapportera"]
    everyone = limits.counters.read_failures(["rapportera\x00all"]).get("rapportera\x00all", (0, 0))[0]
    old = limits.total
    limits.total = everyone + 2
    try:
        assert send(client(app, "203.0.113.1")).status_code == 200
        assert send(client(app, "203.0.113.2")).status_code == 200
        r = send(client(app, "203.0.113.3"))
        assert r.status_code == 429
        assert "Formuläret tar emot väldigt många rapporter just nu." in r.get_data(as_text=True)
    finally:
        limits.total = old


def test_limits_hold_across_server_processes_and_end_after_the_window(tmp_path):
    path = tmp_path / "w.gpkg"
    GeoPackageStore.create(path)
    now = [1_000_000.0]
    # Two workers of one `serve`: each its own ServerState on the same data file.
    a = SubmitLimits(ServerState(path), clock=lambda: now[0])
    b = SubmitLimits(ServerState(path), clock=lambda: now[0])
    for i in range(20):
        assert (a if i % 2 else b).submit("10.0.0.1", f"t{i}").ok
    refused = b.submit("10.0.0.1", "t20")
    assert (refused.ok, refused.reason, refused.retry_after_s) == (False, "address", 3600.0)
    assert a.submit("10.0.0.1", "t21").reason == "address"
    assert a.submit("10.0.0.2", "t22").ok
    assert b.submit("10.0.0.2", "t22").reason == "token"  # a token counts once, in any process
    now[0] += 3600
    assert a.submit("10.0.0.1", "t23").ok  # the window from the first submission has passed


def test_an_ipv6_sender_is_counted_by_its_64_network(tmp_path):
    from dashboard.rapportera_limits import address_group

    assert address_group("2001:db8:1:2:aaaa::1") == address_group("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert address_group("::ffff:192.0.2.1") == "192.0.2.1" and address_group("192.0.2.1") == "192.0.2.1"
    GeoPackageStore.create(tmp_path / "v6.gpkg")
    limits = SubmitLimits(ServerState(tmp_path / "v6.gpkg"), clock=lambda: 5_000_000.0)
    for i in range(20):
        assert limits.submit(f"2001:db8:1:2::{i + 1:x}", f"t{i}").ok
    assert limits.submit("2001:db8:1:2::ff", "t20").reason == "address"
    assert limits.submit("2001:db8:1:3::1", "t21").ok


def test_a_form_token_sends_once_and_a_forged_one_never(served):
    app, store = served
    c = client(app, "192.0.2.20")
    tok = token(c)
    data = {"form_token": tok, "lang": "sv", "what": "hastighet|fortkörning", "place": "Hok"}
    assert c.post("/rapportera", data=data).status_code == 200
    before = count_reports(store)
    again = c.post("/rapportera", data=data)
    assert again.status_code == 400
    assert errors_of(again) == ["Den här rapporten är redan skickad. Vill du skicka en till så fyller du i "
                                "formuläret igen."]
    forged = c.post("/rapportera", data={**data, "form_token": tok[:-2] + "xx"})
    assert forged.status_code == 400
    assert errors_of(forged) == ["Formuläret har gått ut eller är inte det här formuläret. Kontrollera uppgifterna "
                                 "och skicka igen."]
    assert count_reports(store) == before


def test_honeypot_and_body_bound(served):
    app, store = served
    before = count_reports(store)
    r = send(client(app, "192.0.2.21"), website="http://spam.example")
    assert r.status_code == 400
    assert "Formuläret innehöll ett fält som ska vara tomt." in r.get_data(as_text=True)
    assert "spam.example" not in r.get_data(as_text=True)
    big = client(app, "192.0.2.21").post("/rapportera", data={"description": "x" * 70_000})
    assert big.status_code == 413
    assert count_reports(store) == before


# -- nothing a visitor sends runs ---------------------------------------------------------------

@pytest.mark.parametrize("payload", PAYLOADS)
def test_script_payloads_in_every_field_are_inert_in_the_form(served, payload):
    app, store = served
    before = count_reports(store)
    fields = {name: payload for name in ("what", "place", "lat", "lon", "date", "hour", "description", "email")}
    r = send(client(app, "192.0.2.30"), **fields)
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and count_reports(store) == before
    assert "<script>alert" not in text
    tags = markup(text)
    assert [a for a in tags["attrs"] if a.startswith("on")] == []
    assert tags["scripts"] == ["/rapportera/rapportera.js"]
    assert [u for u in tags["urls"] if u.strip().lower().startswith("javascript:")] == []
    # lang is not echoed as given.
    assert f'<html lang="{payload}"' not in send(client(app, "192.0.2.31"), lang=payload).get_data(as_text=True)


def test_script_payload_inert_on_status_page_and_in_exports(served, tmp_path):
    from dashboard.export import export

    app, store = served
    evil = '=HYPERLINK("http://x")<script>alert(1)</script>" onmouseover="alert(1) javascript:alert(1)'
    ref = ref_of(send(client(app, "192.0.2.32"), description=evil))
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE reports SET moderation = 'godkänd', public_reply = ? WHERE ref = ?",
                     ('<img src=x onerror="alert(1)"> Tack!', ref))
    page = client(app, "192.0.2.32").get(f"/rapportera/status/{ref}").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; Tack!" in page
    assert "HYPERLINK" not in page  # the description is never on the status page
    # The dashboard's report list (a Markdown table) shows it as text: no tag of its own survives.
    from dashboard.callbacks import report_table

    table = report_table([{"time": "2026-03-01 18:00", "layer": "Otrygga platser", "category": "belysning",
                           "place": "Vaggeryd", "status": "ny", "description": evil}], "sv")
    source = table.children if isinstance(table.children, str) else str(table.children)
    assert "<script" not in source and "<img" not in source
    assert "&lt;script>alert(1)&lt;/script>" in source
    export(store, tmp_path / "ut.csv", "csv", role="admin")
    csv_text = (tmp_path / "ut.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in csv_text  # a spreadsheet reads it as text, not a formula
    export(store, tmp_path / "ut.html", "html", role="admin")
    html_text = (tmp_path / "ut.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html_text
    assert [a for a in markup(html_text)["attrs"] if a.startswith("on")] == []


# -- the status page ------------------------------------------------------------------------------

def _state(app, ref, lang="sv"):
    r = client(app, "192.0.2.40").get(f"/rapportera/status/{ref}?lang={lang}")
    found = re.findall(r'id="rapp-state">([^<]+)<', r.get_data(as_text=True))
    return r.status_code, found[0] if found else None, r.get_data(as_text=True)


def test_status_page_follows_moderation(served):
    app, store = served
    ref = ref_of(send(client(app, "192.0.2.41"), description="Hemlig beskrivning", email="hemlig@example.se"))
    code, state, text = _state(app, ref)
    assert (code, state) == (200, "Ny")
    assert "Hemlig beskrivning" not in text and "hemlig@example.se" not in text
    assert "Otrygga platser: belysning" in text and "Inget svar än." in text
    assert _state(app, ref.lower())[1] == "Ny"  # typed in lower case
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE reports SET moderation = 'godkänd', status = 'bekräftad', public_reply = ?"
                     " WHERE ref = ?", ("Vi byter lampan i mars.", ref))
    code, state, text = _state(app, ref)
    assert state == "Bekräftad" and "Vi byter lampan i mars." in text
    assert _state(app, ref, "en")[1] == "Confirmed"
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE reports SET status = 'åtgärdad' WHERE ref = ?", (ref,))
    assert _state(app, ref)[1] == "Åtgärdad"
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE reports SET moderation = 'avvisad', status = 'ny' WHERE ref = ?", (ref,))
    assert _state(app, ref)[1] == "Avvisad"
    assert status_of(store, ref)["state"] == "avvisad"


def test_status_page_of_a_duplicate_follows_the_kept_report(served):
    app, store = served
    kept, dup = (ref_of(send(client(app, "192.0.2.44"))) for _ in range(2))
    kept_id = rows(store, "SELECT id FROM reports WHERE ref = ?", (kept,))[0][0]
    with sqlite3.connect(store.path) as conn:
        # As layers.moderation.merge leaves them: the duplicate avvisad, pointing at the kept one.
        conn.execute("UPDATE reports SET moderation = 'avvisad', duplicate_of = ? WHERE ref = ?", (kept_id, dup))
        conn.execute("UPDATE reports SET moderation = 'godkänd', status = 'åtgärdad', public_reply = 'Lampan är bytt.'"
                     " WHERE ref = ?", (kept,))
    code, state, text = _state(app, dup)
    assert (code, state) == (200, "Åtgärdad")
    assert "Lampan är bytt." in text
    assert "Någon annan har rapporterat samma sak; rapporterna följs upp tillsammans." in text
    assert "samma sak" not in _state(app, kept)[2]


def test_status_page_unknown_reference_and_lookup_form(served):
    app, _store = served
    c = client(app, "192.0.2.42")
    r = c.get("/rapportera/status/VGR-2026-AAAAAAAA")
    assert r.status_code == 404
    assert "Det finns ingen rapport med referensen ”VGR-2026-AAAAAAAA”." in r.get_data(as_text=True)
    r = c.get("/rapportera/status?ref=%3Cscript%3Ealert(1)%3C/script%3E")
    assert r.status_code == 404 and "<script>alert" not in r.get_data(as_text=True)


def test_status_misses_are_limited_per_address(served):
    app, _store = served
    limits: SubmitLimits = app.server.extensions["trygghetskarta_rapportera"]
    c = client(app, "192.0.2.43")
    for _ in range(limits.status_misses):
        assert c.get("/rapportera/status/VGR-2026-BBBBBBBB").status_code == 404
    r = c.get("/rapportera/status/VGR-2026-BBBBBBBB")
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_insert_intake_report_validates_like_the_store(served):
    from shapely import Point

    from layers.schema import ValidationError

    _app, store = served
    row = {"id": "est-1", "layer": "otrygg_plats", "focus_area": "trygghet", "occurred_at": "2026-03-01T18:00:00+01:00",
           "reported_at": "2026-03-01T18:05:00+01:00", "category": "klotter", "description": "", "source": "est",
           "status": "ny", "geometry": Point(*STATION), "moderation": "väntar", "reporter": "eva"}
    with pytest.raises(ValidationError) as err:
        insert_intake_report(store, row)
    assert [(e.field, e.value) for e in err.value.errors] == [("category", "klotter")]
    with pytest.raises(ValidationError) as err:
        insert_intake_report(store, {**row, "category": "skadegörelse", "moderation": "kanske"})
    assert [(e.field, e.value) for e in err.value.errors] == [("moderation", "kanske")]
    assert insert_intake_report(store, {**row, "category": "skadegörelse"}) == "est-1"
    assert rows(store, "SELECT source, moderation, reporter FROM reports WHERE id = 'est-1'") == [
        ("est", "väntar", "eva")]
    with pytest.raises(ValidationError) as err:
        insert_intake_report(store, {**row, "category": "skadegörelse"})
    assert [(e.field, e.value, e.reason) for e in err.value.errors] == [("id", "est-1", "is already in the store")]
    assert rows(store, "SELECT count(*) FROM reports WHERE id = 'est-1'") == [(1,)]
