"""The EST pages through the real app with users (Flask test client): a rapportör logs in,
submits an observation and sees it in their own list; another rapportör never sees it; bad
input gets one message naming the field; the week view with exact numbers for the police,
without the narcotics category for a moderator, refused for other roles."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3

import pytest

from dashboard.app import create_app
from layers import GeoPackageStore
from layers.datafile import writing
from layers.imports.sources.est import TZ, load_categories, parse_observation, save_observation
from layers.users import UserStore
from tests.test_auth import FAST, PW, login
from tests.test_est import NOW, OBSERVATIONS, form

CATS = load_categories()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    store = GeoPackageStore.create(tmp_path_factory.mktemp("est_page") / "data.gpkg")
    users = UserStore(store, hasher=FAST)
    for name, role in (("rut", "rapportor"), ("sven", "rapportor"), ("anna", "polis"), ("mona", "moderator"),
                       ("britt", "bra")):
        users.add(name, role, PW)
    for reporter, category, place, when, moderation in OBSERVATIONS:
        obs = parse_observation(form(category, place, when), CATS, "0665", now=NOW)
        rid = save_observation(store, obs, reporter, now=NOW)
        with writing(store.path) as conn:
            conn.execute("UPDATE reports SET moderation = ? WHERE id = ?", (moderation, rid))
    return create_app(store), store


def session(app, name):
    client = app.server.test_client()
    assert login(client, name, next_url="/est").status_code in (302, 303)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def words(response) -> str:
    main = text(response).split("<main>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text(response)).group(1)


def count(store, sql="SELECT count(*) FROM reports", params=()):
    with sqlite3.connect(store.path) as conn:
        return conn.execute(sql, params).fetchone()[0]


def post(client, **fields):
    page = client.get("/est")
    today = dt.datetime.now(TZ).date().isoformat()
    data = {"csrf_token": csrf(page), "lang": "sv", "category": "klotter", "place": "Vaggeryd|stationen",
            "lat": "", "lon": "", "date": today, "time": "00:05", "description": "Nytt klotter på tunneln."}
    data.update(fields)
    return client.post("/est", data=data)


def test_a_rapportor_submits_and_sees_it(served):
    app, store = served
    rut = session(app, "rut")
    page = rut.get("/est")
    assert page.status_code == 200 and page.headers["Permissions-Policy"].startswith("geolocation=(self)")
    assert "<script" not in text(page).split('<script src="/est/est.js" defer></script>')[0]
    # The map pick and "use my position" are hidden until the residents' form's script runs.
    assert '<div id="rapp-map-box" hidden><svg id="rapp-map"' in text(page)
    assert '<button type="button" id="rapp-locate" hidden' in text(page)
    script = rut.get("/est/est.js")
    assert script.mimetype == "text/javascript" and "getElementById('rapp-map')" in text(script)
    # The reporter may observe drug handling (a radio button), and sees their own such observation.
    assert words(page).split("Mina observationer")[0].count("Droghantering observerad") == 1
    before = count(store)
    sent = post(rut, description='<script>alert(1)</script> vid tunneln')
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/est?saved=est-klotter-")
    assert count(store) == before + 1
    rid = sent.headers["Location"].split("saved=")[1].split("&")[0]
    assert count(store, "SELECT count(*) FROM reports WHERE id = ? AND reporter = 'rut' AND source = 'est'"
                 " AND moderation = 'väntar' AND layer = 'otrygg_plats' AND category = 'skadegörelse'", (rid,)) == 1
    shown = rut.get(sent.headers["Location"])
    today = dt.datetime.now(TZ).date().isoformat()
    assert f"Sparad: Klotter, Vaggeryd – stationen, {today} 00:05. Den väntar på granskning." in words(shown)
    # The payload is text, never markup.
    assert "<script>alert(1)</script>" not in text(shown)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; vid tunneln" in text(shown)
    assert "väntar" in words(shown).split("Mina observationer", 1)[1]


def test_another_rapportor_never_sees_it(served):
    app, _store = served
    rut, sven = session(app, "rut"), session(app, "sven")
    rid = post(rut, description="Bara Ruts egen rad").headers["Location"].split("saved=")[1].split("&")[0]
    page = sven.get(f"/est?saved={rid}")
    assert page.status_code == 200
    assert "Bara Ruts egen rad" not in text(page) and "Sparad:" not in words(page)
    mine = words(page).split("Mina observationer", 1)[1]
    # Sven's five hand-made observations, none of Rut's.
    assert mine.count("Vaggeryd – stationen") + mine.count("Hok") + mine.count("Skillingaryd") + \
        mine.count("Klevshult") == 5
    assert "Bara Ruts egen rad" in text(rut.get("/est"))
    # Nor any way round it: the dashboard's data answers a rapportör nothing.
    assert sven.post("/_dash-update-component", json={}).status_code in (403, 400)


@pytest.mark.parametrize(("fields", "message"), [
    ({"category": ""}, "Vad: fyll i"),
    ({"place": "Jönköping"}, "Plats ”Jönköping”: finns inte bland valen"),
    ({"place": "", "lat": "59.33", "lon": "18.06"}, "Latitud ”59.33000, 18.06000”: ligger utanför Vaggeryd"),
    ({"time": "25:61"}, "Klockslag ”25:61”: är inte ett klockslag som 14:30"),
    ({"description": "x" * 501}, "Beskrivning: är längre än 500 tecken"),
])
def test_bad_input_one_message_naming_the_field(served, fields, message):
    app, store = served
    rut = session(app, "rut")
    before = count(store)
    answer = post(rut, **fields)
    assert answer.status_code == 400 and count(store) == before
    alerts = re.findall(r'<p class="msg" id="est-error" role="alert">([^<]*)</p>', text(answer))
    assert [re.sub("&#x27;|&quot;", "'", a) for a in alerts] == [message]


def test_posting_needs_the_form_token(served):
    app, store = served
    rut = session(app, "rut")
    before = count(store)
    answer = rut.post("/est", data={"category": "brand", "place": "Hok"})
    assert answer.status_code == 403 and count(store) == before


def test_english(served):
    app, _store = served
    page = session(app, "rut").get("/est?lang=en")
    assert "<h1>EST observation</h1>" in text(page) and "Graffiti" in words(page)
    assert '<html lang="en">' in text(page)


def test_week_view_for_the_police(served):
    app, _store = served
    page = session(app, "anna").get("/est/vecka/2026-W48")
    assert page.status_code == 200
    w = words(page)
    assert "EST vecka 48 2026" in w and "23 november – 29 november 2026" in w
    assert "7 observationer räknas denna vecka (veckan före: 3). 1 väntar på granskning och räknas inte än." in w
    assert "Platser som ökade Vaggeryd – stationen: 3 (veckan före 1, +2) Hok – centrum: 1 (veckan före 0, +1)" in w
    assert "Klotter 3 1 +2" in w and "Skadegörelse 0 2 −2" in w and "Droghantering observerad 1 0 +1" in w
    assert "Skillingaryd – stationen 1 2 −1" in w
    assert "trygghetskarta report --data data.gpkg --period 2026-W48 --role polis" in w
    # The police get the form's page as a pointer to the week view, not a form.
    other = session(app, "anna").get("/est")
    assert other.status_code == 403 and 'href="/est/vecka/' in text(other)


def test_the_police_view_of_narcotics_counts_is_audited_once(served):
    from layers.audit import read_audit

    app, store = served

    def entries():
        log = read_audit(store, event="view_sensitive")
        return log[log["detail"].astype(str).str.contains("est_week")].to_dict("records")

    before = len(entries())
    anna = session(app, "anna")
    anna.get("/est/vecka/2026-W48")
    anna.get("/est/vecka/2026-W48?lang=en")
    assert len(entries()) == before + 1 and entries()[-1]["user"] == "anna"
    session(app, "mona").get("/est/vecka/2026-W48")
    assert len(entries()) == before + 1


def test_moderator_week_view_without_narcotics(served):
    app, _store = served
    page = session(app, "mona").get("/est/vecka/2026-W48?lang=en")
    w = words(page)
    assert page.status_code == 200 and "6 observations counted this week (the week before: 3)." in w
    assert "Drug" not in w and "droghantering" not in text(page)
    assert "Skillingaryd – the station 0 2 −2" in w
    assert "trygghetskarta report" not in w


@pytest.mark.parametrize("name", ["britt", "rut"])
def test_week_view_refused_for_other_roles(served, name):
    app, _store = served
    page = session(app, name).get("/est/vecka/2026-W48")
    assert page.status_code == 403 and "Klotter" not in text(page)


def test_a_bad_week(served):
    app, _store = served
    page = session(app, "anna").get("/est/vecka/2026-48")
    assert page.status_code == 404 and "Ingen vecka ”2026-48”: skriv veckan som 2026-W48." in words(page)


def _fake_done(folder, fd):
    """A worker that 'makes' the report at once (tests/test_report_button.py's)."""
    import time

    from dashboard.report import jobs

    status = jobs.read_status(folder)
    for fmt in jobs.FORMATS:
        (folder / jobs.file_name(status, fmt)).write_bytes(b"%PDF-1.7 fake" if fmt == "pdf" else b"<html></html>")
    jobs.update(folder, state=jobs.DONE, stage="done", pages=1, finished=time.time())


def test_one_click_weekly_lagesbild(served, monkeypatch):
    from dashboard.report import jobs

    app, _store = served
    anna = session(app, "anna")
    week = anna.get("/est/vecka/2026-W48")
    assert "Gör veckans lägesbild (PDF och HTML)" in words(week)
    started, held = [], []

    def keep_lock(folder, fd):  # a worker that lives: it holds the job's lock
        started.append(folder)
        held.append(os.dup(fd))

    monkeypatch.setattr(jobs, "spawn_worker", keep_lock)
    sent = anna.post("/est/lagesbild", data={"csrf_token": csrf(week), "week": "2026-W48", "lang": "sv"})
    assert sent.status_code == 303 and len(started) == 1
    job = sent.headers["Location"].split("/est/lagesbild/")[1].split("?")[0]
    status = jobs.read_status(started[0])
    assert status["id"] == job
    assert (status["period"], status["role"]) == ("2026-W48", "polis")
    waiting = anna.get(sent.headers["Location"])
    assert waiting.status_code == 200 and '<meta http-equiv="refresh" content="3">' in text(waiting)
    _fake_done(started[0], None)
    os.close(held.pop())
    done = anna.get(sent.headers["Location"])
    assert "Lägesbilden för vecka 48 2026 är klar:" in words(done) and "refresh" not in text(done)
    link = re.search(r'href="(/lagesbild/[^"]+/pdf)"', text(done)).group(1)
    assert anna.get(link).data == b"%PDF-1.7 fake"
    # Another session of another role gets nothing of it.
    assert session(app, "mona").get(sent.headers["Location"]).status_code == 404
    # Without the form token, or as a moderator: nothing starts.
    assert anna.post("/est/lagesbild", data={"week": "2026-W47"}).status_code == 403
    mona = session(app, "mona")
    mona_week = mona.get("/est/vecka/2026-W48")
    assert "Gör veckans lägesbild" not in words(mona_week)
    assert mona.post("/est/lagesbild", data={"csrf_token": csrf(mona_week), "week": "2026-W47"}).status_code == 403
    assert len(started) == 1
