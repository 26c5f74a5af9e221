"""Adversarial privacy and abuse review of issue 14 over HTTP (real logins, the Flask test client
through the real app): many requests by bra, allmanhet, moderator, rapportör, a logged-out
visitor and a police session under `/view-as`, trying to learn a pending report (differencing
the dashboard's answers around submissions, forged moderation callbacks), a narcotics EST
observation, another rapportör's reports, a resident's email or address, and to get past the
form's limits (spoofed X-Forwarded-For, a foreign token, a cross-site post). Each test names
the attack; a passing test is an attack that failed, kept as a regression test."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3

import pytest

from dashboard.app import create_app
from dashboard.auth import CSRF_COOKIE
from layers import GeoPackageStore
from layers.imports.sources.est import TZ
from layers.users import UserStore
from tests.helpers import report, reports_frame
from tests.test_auth import FAST, PW
from tests.test_privacy_issue13_http import post as forged

USERS = {"skarm": "bra", "publik": "allmanhet", "anna": "polis", "mona": "moderator", "erik": "rapportor",
         "eva": "rapportor", "root": "admin"}
SECRET_TEXT = "HEMLIG-TEXT Storgatan 3"
EMAIL = "boende@example.se"
#: Filter stores a forger sends: everything, the last 30 days, the narcotics layer.
FILTERS = [{}, {"preset": "30d"}, {"layers": ["narkotika"], "focus_areas": ["narkotika"]}]
STATE = {"focus_areas": ["trygghet", "trafik", "narkotika"],
         "layers": ["otrygg_plats", "hastighet", "narkotika", "aktivitet"], "preset": "all", "start": None,
         "end": None, "weekdays": list(range(7)), "hours": [0, 23], "actors": ["polis", "kommun", "gemensam"],
         "statuses": ["ny", "pågående", "åtgärdad"], "selection": None, "mode": "auto", "lang": "sv",
         "present": False, "commitment": None, "view": None}
#: The dashboard's data callbacks a reduced role answers (their first output).
DATA_OUTPUTS = ("map.figure", "chart-activities.figure", "where-table.children", "report-list.children",
                "indicator-cards.children", "promise.children", "effects.children")


def today() -> dt.date:
    return dt.datetime.now(TZ).date()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    store = GeoPackageStore.create(tmp_path_factory.mktemp("issue14") / "data.gpkg", kommun="0665")
    # Staff entries of the last weeks: 6 unsafe places, 6 narcotics tips (k = 5 is met for both).
    days = [(today() - dt.timedelta(days=d)) for d in range(2, 8)]
    store.add_reports(reports_frame(
        [report(f"o{i}", when=f"{d.isoformat()}T18:30:00+01:00") for i, d in enumerate(days)]
        + [report(f"n{i}", layer="narkotika", focus="narkotika", when=f"{d.isoformat()}T21:00:00+01:00")
           for i, d in enumerate(days)]))
    users = UserStore(store, hasher=FAST)
    for name, role in USERS.items():
        users.add(name, role, PW)
    app = create_app(store)
    return app, store


def login(app, name, address="198.51.100.1"):
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    page = client.get("/login?next=/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = client.post("/login", data={"csrf_token": token, "username": name, "password": PW, "next": "/"})
    assert r.status_code in (302, 303), (name, r.status_code)
    client.get("/")
    return client, {"X-CSRFToken": client.get_cookie(CSRF_COOKIE).value}


def view_as(client, headers, role) -> int:
    return client.post("/view-as", data={"role": role, "next": "/"}, headers=headers).status_code


def visitor(app, address):
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def form_token(client, lang="sv") -> str:
    page = client.get(f"/rapportera?lang={lang}")
    return re.search(r'name="form_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def submit(client, headers=None, **fields):
    data = {"form_token": form_token(client), "lang": "sv", "what": "otrygg_plats|belysning",
            "place": "Vaggeryd|stationen", "date": "", "hour": "", "description": SECRET_TEXT, "email": EMAIL}
    data.update(fields)
    return client.post("/rapportera", data=data, headers=headers or {})


def ref_of(response) -> str:
    return re.search(r'id="rapp-ref-number">([^<]+)<', response.get_data(as_text=True)).group(1)


def est_post(client, **fields):
    page = client.get("/est").get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1), "lang": "sv",
            "category": "droghantering", "place": "Vaggeryd|stationen", "lat": "", "lon": "",
            "date": today().isoformat(), "time": "00:05", "description": SECRET_TEXT}
    data.update(fields)
    return client.post("/est", data=data)


def rows(store, sql, params=()):
    with sqlite3.connect(store.path) as conn:
        return conn.execute(sql, params).fetchall()


def pending(store) -> list[tuple]:
    return rows(store, "SELECT id, moderation, status, coalesce(public_reply, '') FROM reports"
                       " WHERE moderation IS NOT NULL ORDER BY id")


def answers(client, headers, app) -> dict:
    """Every data callback's answer for every forged filter store, and the layout."""
    out = {"layout": client.get("/_dash-layout").get_data(as_text=True)}
    for output in DATA_OUTPUTS:
        for i, extra in enumerate(FILTERS):
            values = {"filters.data": {**STATE, **extra}, "where-group.value": "locality", "view.data": None,
                      "lang.value": "sv", "hs-layer.value": None, "hotspot-panel.open": True}
            out[f"{output}/{i}"] = forged(client, headers, app, output, values)
    return out


def _sessions(app):
    """The reduced sessions: bra, allmanhet, a moderator, and the police under view-as bra and allmanhet."""
    out = {name: login(app, name) for name in ("skarm", "publik", "mona")}
    for ceiling in ("bra", "allmanhet"):
        client, headers = login(app, "anna")
        assert view_as(client, headers, ceiling) == 303
        out[f"anna-as-{ceiling}"] = (client, headers)
    return out


# -- 1. differencing: a pending report changes nothing a reduced role is answered ---------------------

def test_pending_submissions_change_no_answer_of_a_reduced_session(served):
    """5 sessions × (layout + 7 callbacks × 3 filter stores) before and after 2 residents' reports
    and 2 EST narcotics observations, all pending (≈ 230 requests): every answer is the same."""
    app, store = served
    sessions = _sessions(app)
    before = {name: answers(c, h, app) for name, (c, h) in sessions.items()}
    for i in range(2):
        assert submit(visitor(app, f"203.0.113.{10 + i}")).status_code == 200
    erik, _ = login(app, "erik")
    for _ in range(2):
        assert est_post(erik).status_code == 303
    after = {name: answers(c, h, app) for name, (c, h) in sessions.items()}
    for name in sessions:
        changed = sorted(k for k in before[name] if before[name][k] != after[name][k])
        assert changed == [], (name, changed)
        assert all(status == 200 for status, _ in (v for k, v in after[name].items() if k != "layout")), name
        assert SECRET_TEXT not in json.dumps(after[name], ensure_ascii=False)


def test_a_pending_submission_does_not_change_the_revision_a_reduced_session_is_shown(served):
    """The page's "data changed" signal (`/_tk-session` and the revision header of every Dash
    answer, dashboard.callbacks_session) would tell a bra screen that a report arrived or was
    rejected, though it counts nothing new: 4 sessions polled around 2 submissions, an EST
    observation and a rejection (≈ 40 requests). An approval is new data: it changes it."""
    from layers.moderation import Moderator, approve, reject

    app, store = served
    sessions = {name: login(app, name) for name in ("skarm", "publik", "mona")}
    anna, anna_h = login(app, "anna")
    assert view_as(anna, anna_h, "bra") == 303
    sessions["anna-as-bra"] = (anna, anna_h)

    def seen():
        out = {}
        for name, (client, _headers) in sessions.items():
            status = client.get("/_tk-session").get_json()
            header = client.get("/_dash-layout").headers["X-Trygghetskarta-Revision"]
            out[name] = (status["revision"], header)
        return out

    before = seen()
    refs = [ref_of(submit(visitor(app, f"203.0.113.{30 + i}"))) for i in range(2)]
    erik, _ = login(app, "erik")
    assert est_post(erik, category="klotter").status_code == 303
    rid = rows(store, "SELECT id FROM reports WHERE ref = ?", (refs[0],))[0][0]
    reject(store, Moderator.of("per", "polis"), rid, "Dubblett")
    assert seen() == before
    approve(store, Moderator.of("per", "polis"), rows(store, "SELECT id FROM reports WHERE ref = ?", (refs[1],))[0][0])
    after = seen()
    assert all(after[name] != before[name] for name in sessions)


# -- 2. the moderation queue's callbacks, forged ---------------------------------------------------

def _decide_body(app, action: str, rid: str, text: str = "") -> dict:
    key = next(k for k, e in app.callback_map.items() if "callback" in e and e["callback"].__name__ == "decide")
    outputs = [{"id": o.split(".")[0], "property": o.split(".", 1)[1].split("@")[0]} for o in key[2:-2].split("...")]
    button = {"type": "mod-act", "action": action, "id": rid}
    return {"output": key, "outputs": outputs,
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"],
            "state": [[{"id": {"type": "mod-reason", "id": rid}, "property": "value", "value": text or "Spam"}],
                      [{"id": {"type": "mod-into", "id": rid}, "property": "value", "value": text}],
                      [{"id": {"type": "mod-text", "id": rid}, "property": "value", "value": text or "x"}],
                      {"id": "lang", "property": "value", "value": "sv"},
                      {"id": "filters", "property": "data", "value": STATE}]}


def _reply_body(app, rid: str) -> dict:
    key = next(k for k, e in app.callback_map.items() if "callback" in e and e["callback"].__name__ == "save_reply")
    outputs = [{"id": o.split(".")[0], "property": o.split(".", 1)[1].split("@")[0]} for o in key[2:-2].split("...")]
    return {"output": key, "outputs": outputs,
            "inputs": [{"id": "mod-reply-save", "property": "n_clicks", "value": 1}],
            "changedPropIds": ["mod-reply-save.n_clicks"],
            "state": [{"id": "mod-reply-id", "property": "value", "value": rid},
                      {"id": "mod-reply-text", "property": "value", "value": "<b>svar</b>"},
                      {"id": "mod-reply-status", "property": "value", "value": "åtgärdad"},
                      {"id": "lang", "property": "value", "value": "sv"},
                      {"id": "filters", "property": "data", "value": STATE}]}


def test_reduced_sessions_forging_the_queue_and_its_decisions_get_nothing_and_change_nothing(served):
    """bra, allmanhet and the police under view-as bra/allmanhet open the queue and click
    approve/reject/merge/edit and the reply on three moderated reports, one an EST narcotics
    observation (5 × (1 + 3 × 5) requests): no answer carries a report, nothing in the file changes. A rapportör is refused."""
    app, store = served
    for i in range(2):
        assert submit(visitor(app, f"203.0.113.{50 + i}")).status_code == 200
    erik, _ = login(app, "erik")
    assert est_post(erik).status_code == 303
    state = pending(store)
    ids = [r[0] for r in state if r[0].startswith("medborgare-")][:2] + [
        r[0] for r in state if r[0].startswith("est-")][:1]
    assert len(ids) == 3
    sessions = _sessions(app)
    sessions.pop("mona")
    sessions["rapportor"] = login(app, "erik")
    for name, (client, headers) in sessions.items():
        answers_text = [forged(client, headers, app, "mod-body.children",
                               {"mod-summary.n_clicks": 1, "mod-body.className": "", "lang.value": "sv"})]
        for rid in ids:
            for action in ("approve", "reject", "merge", "edit_text"):
                r = client.post("/_dash-update-component", json=_decide_body(app, action, rid, ids[0]),
                                headers=headers)
                answers_text.append((r.status_code, r.get_data(as_text=True)))
            r = client.post("/_dash-update-component", json=_reply_body(app, rid), headers=headers)
            answers_text.append((r.status_code, r.get_data(as_text=True)))
        text = json.dumps(answers_text, ensure_ascii=False)
        for rid in ids:
            assert rid not in text, (name, rid)
        assert SECRET_TEXT not in text and "mod-card" not in text and EMAIL not in text, name
        statuses = {s for s, _ in answers_text}
        assert statuses <= ({403} if name == "rapportor" else {200, 204}), (name, statuses)
    assert pending(store) == state


def test_a_moderator_cannot_tell_a_narcotics_observation_from_no_report(served):
    """A moderator forges approve/reject/edit/reply on the pending EST narcotics observation and
    on an id that does not exist, and merges a report into each: the same message either way,
    and the narcotics observation is untouched (≈ 12 requests)."""
    app, store = served
    eva, _ = login(app, "eva")
    assert est_post(eva).status_code == 303
    tip = rows(store, "SELECT id FROM reports WHERE layer = 'narkotika' AND moderation = 'väntar'")[0][0]
    assert submit(visitor(app, "203.0.113.60")).status_code == 200
    own = rows(store, "SELECT id FROM reports WHERE layer = 'otrygg_plats' AND moderation = 'väntar'")[0][0]
    before = pending(store)
    mona, headers = login(app, "mona")

    def message(body):
        r = mona.post("/_dash-update-component", json=body, headers=headers)
        assert r.status_code == 200
        return r.get_json()["response"]["mod-message"]["children"]

    for action in ("approve", "reject", "edit_text"):
        assert message(_decide_body(app, action, tip)) == message(_decide_body(app, action, "ingen-sadan")).replace(
            "ingen-sadan", tip)
    assert message(_reply_body(app, tip)) == message(_reply_body(app, "ingen-sadan")).replace("ingen-sadan", tip)
    assert message(_decide_body(app, "merge", own, tip)) == message(
        _decide_body(app, "merge", own, "ingen-sadan")).replace("ingen-sadan", tip)
    assert pending(store) == before
    queue_text = forged(mona, headers, app, "mod-body.children",
                        {"mod-summary.n_clicks": 1, "mod-body.className": "", "lang.value": "sv"})[1]
    assert own in queue_text and tip not in queue_text and "narkotika" not in queue_text.lower()


# -- 3. EST: another rapportör's reports, the week view and its lägesbild per role ---------------------

def test_a_rapportor_never_sees_another_rapportors_observation(served):
    """erik asks /est with eva's id as `saved`, another `reporter`, both languages (≈ 8 requests)."""
    app, store = served
    eva, _ = login(app, "eva")
    assert est_post(eva, category="klotter", description="EVAS-EGEN <script>alert(1)</script>").status_code == 303
    eva_id = rows(store, "SELECT id FROM reports WHERE description LIKE 'EVAS-EGEN%'")[0][0]
    erik, _ = login(app, "erik")
    for query in (f"?saved={eva_id}", f"?saved={eva_id}&lang=en", "?reporter=eva", "?user=eva", ""):
        page = erik.get(f"/est{query}").get_data(as_text=True)
        assert "EVAS-EGEN" not in page and eva_id not in page, query
    own = eva.get(f"/est?saved={eva_id}").get_data(as_text=True)
    # Her own list shows her text, as text.
    assert "EVAS-EGEN &lt;script&gt;alert(1)&lt;/script&gt;" in own and "<script>alert" not in own


@pytest.mark.parametrize("who, ceiling, status", [
    ("skarm", None, 403), ("publik", None, 403), ("erik", None, 403), ("anna", "bra", 403),
    ("anna", "moderator", 200), ("mona", None, 200), ("anna", None, 200)])
def test_the_est_week_view_per_role_and_ceiling(served, who, ceiling, status):
    """The week view of this week and the last three, and the one-click lägesbild (≈ 6 requests
    each): refused below the week roles (also under view-as), no narcotics for a moderator or
    the police under view-as moderator, the lägesbild for polis/admin only."""
    app, store = served
    client, headers = login(app, who)
    if ceiling:
        assert view_as(client, headers, ceiling) == 303
    code = f"{today().isocalendar()[0]}-W{today().isocalendar()[1]:02d}"
    pages = [client.get(f"/est/vecka/{code}")] + [client.get(f"/est/vecka/{today().year}-W{w:02d}") for w in (46, 47)]
    assert {p.status_code for p in pages} == {status}
    text = " ".join(p.get_data(as_text=True) for p in pages)
    assert SECRET_TEXT not in text
    narcotics_shown = "Droghantering" in text or "droghantering" in text
    assert narcotics_shown == (status == 200 and who == "anna" and ceiling is None)
    made = client.post("/est/lagesbild", data={"csrf_token": headers["X-CSRFToken"], "week": code, "lang": "sv"},
                       headers=headers)
    assert (made.status_code == 303) == (who == "anna" and ceiling is None), made.status_code


# -- 4. the residents' form: limits, tokens, origins, the status page, the audit log ----------------

def test_a_spoofed_forwarded_for_does_not_escape_the_per_address_limit(served):
    """Submissions from one address, each claiming another X-Forwarded-For (the app is not told
    to trust a proxy): the one past the limit gets 429 (the limit set to 4 here for speed; the
    default 20 is tests/test_rapportera.py's)."""
    app, _store = served
    limits = app.server.extensions["trygghetskarta_rapportera"]
    saved, limits.per_address = limits.per_address, 4
    try:
        c = visitor(app, "203.0.113.200")
        codes = [submit(c, headers={"X-Forwarded-For": f"10.0.{i}.1"}, email="").status_code for i in range(5)]
    finally:
        limits.per_address = saved
    assert codes == [200] * 4 + [429]


def test_a_token_signed_elsewhere_or_replayed_is_refused(served, tmp_path):
    """A token from another app (another key), a tampered one and a replayed one: 400, nothing stored."""
    app, store = served
    other = create_app(GeoPackageStore.create(tmp_path / "other.gpkg", kommun="0665"))
    foreign = form_token(other.server.test_client())
    c = visitor(app, "203.0.113.201")
    count = rows(store, "SELECT count(*) FROM reports")[0][0]
    assert submit(c, form_token=foreign).status_code == 400
    assert submit(c, form_token=form_token(c)[:-2] + "xx").status_code == 400
    token = form_token(c)
    assert submit(c, form_token=token, email="").status_code == 200
    assert submit(c, form_token=token, email="").status_code == 400
    assert rows(store, "SELECT count(*) FROM reports")[0][0] == count + 1


def test_a_cross_site_post_is_refused_and_one_without_origin_accepted(served):
    """Another site's page posting the form (with a token its server fetched) spends the
    visitors' own addresses' limits: a foreign Origin is refused; a form without Origin (old
    browsers, no script) and one from our own origin are accepted."""
    app, store = served
    c = visitor(app, "203.0.113.202")
    count = rows(store, "SELECT count(*) FROM reports")[0][0]
    refused = submit(c, headers={"Origin": "https://evil.example"}, email="")
    assert refused.status_code == 403
    assert rows(store, "SELECT count(*) FROM reports")[0][0] == count
    assert submit(c, headers={"Origin": "http://localhost"}, email="").status_code == 200
    assert submit(c, email="").status_code == 200


def test_the_status_page_shows_a_pending_report_to_its_reference_only(served):
    """A pending report's status page: ny, no text, place or email; guessed references from one
    /64 up to the misses allowed (set to 10 here), then 429 even for a real one, while another
    /64 still reads it (≈ 14 requests)."""
    app, _store = served
    limits = app.server.extensions["trygghetskarta_rapportera"]
    saved, limits.status_misses = limits.status_misses, 10
    try:
        _status_attack(app)
    finally:
        limits.status_misses = saved


def _status_attack(app):
    ref = ref_of(submit(visitor(app, "203.0.113.203")))
    page = visitor(app, "203.0.113.204").get(f"/rapportera/status/{ref}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and re.findall(r'id="rapp-state">([^<]+)<', text) == ["Ny"]
    assert SECRET_TEXT not in text and EMAIL not in text and "stationen" not in text
    guesser = visitor(app, "2001:db8:1:2::1")
    codes = [guesser.get(f"/rapportera/status/VGR-2026-{i:08d}".replace("0", "2").replace("1", "3")).status_code
             for i in range(10)]
    assert set(codes) == {404}
    other_host = visitor(app, "2001:db8:1:2::ffff")  # same /64
    assert other_host.get(f"/rapportera/status/{ref}").status_code == 429
    assert visitor(app, "2001:db8:1:3::1").get(f"/rapportera/status/{ref}").status_code == 200


def test_the_audit_log_never_names_a_resident(served):
    """After every attack above: no entry carries the resident's email, text or address."""
    from layers.audit import read_audit

    app, store = served
    assert submit(visitor(app, "203.0.113.205")).status_code == 200
    text = json.dumps(read_audit(store), default=str, ensure_ascii=False)
    assert EMAIL not in text and SECRET_TEXT not in text
    assert "203.0.113." not in text


# -- 5. the ceiling for every pair of a reduced user and a view-as -------------------------------------

@pytest.mark.parametrize("who, ceiling, panel, narcotics", [
    ("skarm", "moderator", False, False), ("skarm", "polis", False, True), ("mona", "bra", False, False),
    ("mona", "polis", True, False), ("anna", "moderator", True, False)])
def test_view_as_is_the_meet_of_the_user_and_the_ceiling(served, who, ceiling, panel, narcotics):
    """A ceiling wider than the user's role widens nothing (bra under view-as polis stays bra);
    bra under view-as moderator and a moderator under view-as bra are allmanhet (no queue, no
    narcotics layer); the police under view-as moderator lose the narcotics layer."""
    from tests.test_dashboard_roles import component

    app, _store = served
    client, headers = login(app, who)
    assert view_as(client, headers, ceiling) == 303
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert ('"mod-panel"' in layout) == panel
    assert ("narkotika" in [o["value"] for o in component(layout, "f-layers")["options"]]) == narcotics


# -- 6. script and terminal escapes through a moderation edit ------------------------------------------

ESCAPES = "\x1b]8;;https://evil.example\x07klick\x1b]8;;\x07\x1b[2J <script>alert(1)</script> \u202egnp.exe"


def test_a_moderation_edit_with_escapes_and_script_is_stored_plain_and_printed_inert(served):
    """A moderator edits a resident's text and replies through the panel (forged, 2 requests)
    with terminal escape sequences, a bidi override and a script tag: stored without the control
    characters (newlines kept), `moderate list` prints no escape, the status page shows the
    reply as text."""
    from click.testing import CliRunner

    from dashboard.cli import main
    from layers.moderation import Moderator, approve

    app, store = served
    ref = ref_of(submit(visitor(app, "203.0.113.206")))
    rid = rows(store, "SELECT id FROM reports WHERE ref = ?", (ref,))[0][0]
    mona, headers = login(app, "mona")
    body = _decide_body(app, "edit_text", rid, "rad ett\n" + ESCAPES)
    assert mona.post("/_dash-update-component", json=body, headers=headers).status_code == 200
    plain = "rad ett\n]8;;https://evil.example" "klick]8;;[2J <script>alert(1)</script> gnp.exe"
    assert rows(store, "SELECT description FROM reports WHERE id = ?", (rid,)) == [(plain,)]
    listed = CliRunner().invoke(main, ["moderate", "--data", str(store.path), "--role", "moderator", "list"])
    assert listed.exit_code == 0 and rid in listed.output
    assert not any(ch in listed.output for ch in "\x1b\x07\u202e")
    approve(store, Moderator.of("per", "polis"), rid)
    reply = _reply_body(app, rid)
    reply["state"][1]["value"] = ESCAPES
    assert mona.post("/_dash-update-component", json=reply, headers=headers).status_code == 200
    assert rows(store, "SELECT public_reply, status FROM reports WHERE id = ?", (rid,)) == [
        ("]8;;https://evil.example" "klick]8;;[2J <script>alert(1)</script> gnp.exe", "åtgärdad")]
    page = visitor(app, "203.0.113.207").get(f"/rapportera/status/{ref}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def test_an_approved_narcotics_observation_changes_no_figure_of_a_moderator(served):
    """The police approve an EST 'droghantering observerad': the moderator's map, charts,
    table and list (3 filter stores, 24 requests) stay the same; the police's map gains it."""
    from layers.moderation import Moderator, approve

    app, store = served
    eva, _ = login(app, "eva")
    assert est_post(eva).status_code == 303
    tip = rows(store, "SELECT id FROM reports WHERE layer = 'narkotika' AND moderation = 'väntar'")[-1][0]
    mona, headers = login(app, "mona")
    anna, anna_h = login(app, "anna")
    outputs = ("map.figure", "chart-activities.figure", "where-table.children", "report-list.children")

    def ask(client, hdrs):
        return {(o, i): forged(client, hdrs, app, o, {"filters.data": {**STATE, **f}, "where-group.value": "locality",
                                                       "view.data": None})
                for o in outputs for i, f in enumerate(FILTERS)}

    before, police_before = ask(mona, headers), forged(anna, anna_h, app, "map.figure", {"filters.data": STATE})
    approve(store, Moderator.of("per", "polis"), tip)
    app._trygghetskarta["views"].reload(store)  # as the next poll of a page makes the process do
    assert ask(mona, headers) == before
    assert tip not in json.dumps(list(before.values()))
    police_after = forged(anna, anna_h, app, "map.figure", {"filters.data": STATE})
    assert tip not in police_before[1] and tip in police_after[1]


def test_a_logged_out_visitor_reaches_only_the_residents_pages(served):
    """Without a session (8 requests): the EST pages, the week view, its lägesbild and the
    session status give nothing; the form and its status page answer."""
    app, _store = served
    c = visitor(app, "203.0.113.208")
    for path in ("/est", "/est/vecka", "/est/vecka/2026-W48", "/_dash-layout"):
        answer = c.get(path)
        assert answer.status_code in (302, 401), path
        assert "Droghantering" not in answer.get_data(as_text=True)
    assert c.post("/est/lagesbild", data={"week": "2026-W48"}).status_code in (302, 400, 401, 403)
    assert "revision" not in (c.get("/_tk-session").get_json() or {})
    assert c.get("/rapportera").status_code == 200
    assert c.get("/rapportera/status/VGR-2026-22222222").status_code == 404


def test_a_walk_with_points_awaiting_moderation_does_not_mark_the_reports_changed(tmp_path):
    """A safety walk's points (and one added later) wait for moderation: the data file's
    reports revision, which every open page is shown, stays; an approval moves it."""
    from layers.moderation import Moderator, approve
    from layers.walks import WalkPoint, add_points, save_walk
    from tests.test_walks import TODAY, X0, Y0, first_walk

    store = GeoPackageStore.create(tmp_path / "walk.gpkg", kommun="0665")
    store.add_reports(reports_frame([report("staff")]))
    before = store.last_change()
    saved = save_walk(store, first_walk(), today=TODAY)
    add_points(store, saved.walk_id, [WalkPoint(X0 + 50, Y0 + 10, "belysning", description="Trasig lampa")])
    assert store.last_change() == before
    point = rows(store, "SELECT id FROM reports WHERE walk_id IS NOT NULL ORDER BY id")[0][0]
    approve(store, Moderator.of("per", "polis"), point)
    assert store.last_change() > before


@pytest.mark.parametrize("payload", ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
                                     "javascript:alert(1)"])
def test_reflected_values_are_inert(served, payload):
    """A reference, a language and a week code sent back in the page (status page by path and
    by query, the form's lang, the week view's bad code; 5 requests each): never markup."""
    from urllib.parse import quote

    from tests.test_rapportera import markup

    app, _store = served
    c = visitor(app, "203.0.113.209")
    pages = [c.get(f"/rapportera/status/{quote(payload, safe='')}"), c.get("/rapportera/status", query_string={"ref": payload}),
             c.get("/rapportera", query_string={"lang": payload})]
    anna, _ = login(app, "anna")
    pages.append(anna.get(f"/est/vecka/{quote(payload, safe='')}"))
    pages.append(anna.get("/est", query_string={"saved": payload, "lang": payload}))
    for page in pages:
        text = page.get_data(as_text=True)
        found = markup(text)
        assert "onerror" not in found["attrs"] and "alert(1)" not in " ".join(found["urls"])
        assert payload not in text or payload == "javascript:alert(1)" and 'href="javascript' not in text
        assert "<script>alert" not in text


def test_the_gated_gaps_panel_forged_gives_the_new_roles_no_table(served):
    """The planning gaps (a gated panel: its callback asked only while shown) forged by a
    moderator, bra, allmanhet and the police under view-as moderator (3 filter stores each):
    the note, never the table of places and hours that the police get."""
    app, _store = served
    sessions = {name: login(app, name) for name in ("mona", "skarm", "publik", "anna")}
    client, headers = login(app, "anna")
    assert view_as(client, headers, "moderator") == 303
    sessions["anna-as-moderator"] = (client, headers)
    for name, (client, headers) in sessions.items():
        for extra in FILTERS[:2]:
            status, body = forged(client, headers, app, "planning-gaps.children",
                                  {"filters.data": {**STATE, **extra}, "lang.value": "sv"})
            assert status == 200
            assert ("| # | Plats |" in body) == (name == "anna"), name
            assert ("exakta uppgifter" in body) == (name != "anna"), name


def test_the_panel_redraws_after_an_approval_and_bumps_nothing_after_a_rejection(served):
    """Through the panel (forged as the moderator, 2 requests): an approval answers the filters
    store with a new revision (the map counts it at once); a rejection answers no filters
    store and leaves the revision every page is shown as it was."""
    app, store = served
    ids = [ref_of(submit(visitor(app, f"203.0.113.{220 + i}"))) for i in range(2)]
    first, second = (rows(store, "SELECT id FROM reports WHERE ref = ?", (ref,))[0][0] for ref in ids)
    mona, headers = login(app, "mona")
    views = app._trygghetskarta["views"]
    views.reload(store)
    revision = mona.get("/_tk-session").get_json()["revision"]
    answer = mona.post("/_dash-update-component", json=_decide_body(app, "reject", first, "Spam"),
                       headers=headers).get_json()["response"]
    assert "filters" not in answer and mona.get("/_tk-session").get_json()["revision"] == revision
    answer = mona.post("/_dash-update-component", json=_decide_body(app, "approve", second),
                       headers=headers).get_json()["response"]
    assert answer["filters"]["data"]["rev"] == views.version
    assert mona.get("/_tk-session").get_json()["revision"] != revision
