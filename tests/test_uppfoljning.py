"""The residents' page /uppfoljning through the Flask test client: open without login on a server with
users, only the public promise areas, the allmanhet role's numbers, plain Swedish and English."""

import re
import shutil

import pytest

from dashboard.app import create_app
from dashboard.data import load
from dashboard.filters import FilterState
from layers import open_store
from layers.config import load_config
from layers.followup import follow_up
from layers.users import UserStore
from tests.conftest import END
from tests.test_auth import FAST, PW


@pytest.fixture(scope="module")
def app(demo_path, tmp_path_factory):
    path = tmp_path_factory.mktemp("upp") / "demo.gpkg"
    shutil.copy(demo_path, path)
    store = open_store(path)
    UserStore(store, hasher=FAST).add("anna", "polis", PW)
    return create_app(store, today=lambda: END, data=load(store, load_config(today=END)))


@pytest.fixture(scope="module")
def page(app):
    return app.server.test_client().get("/uppfoljning")


def body(response) -> str:
    return response.get_data(as_text=True)


def words(response) -> str:
    """The page's visible text, tags removed, whitespace collapsed."""
    main = body(response).split("<main>", 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def test_open_without_login_on_a_server_with_users(app, page):
    client = app.server.test_client()
    assert client.get("/").status_code == 302  # the map itself needs a login
    assert page.status_code == 200 and page.mimetype == "text/html"
    # No session is made or read for it, and the app's security headers apply.
    assert "Set-Cookie" not in page.headers
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "<script" not in body(page).lower()
    assert client.post("/uppfoljning").status_code in (302, 405)


def test_only_the_promise_areas_and_never_narcotics(page):
    text = words(page)
    assert text.startswith("English Vad vi lovade – vad vi har gjort Demodata: alla siffror på sidan är påhittade.")
    assert "Ökad trygghet för kommuninvånarna" in text and "Förbättrad trafiksäkerhet (höga hastigheter)" in text
    assert re.findall(r"<h2>([^<]+)</h2>", body(page)) == [
        "Ökad trygghet för kommuninvånarna", "Förbättrad trafiksäkerhet (höga hastigheter)", "Om siffrorna"]
    assert "narkotika" not in body(page).lower()
    # Nothing of a single report: no ids, no descriptions.
    assert "demo-" not in body(page)


def test_commitments_are_the_follow_up_numbers(app, page):
    config = load_config(today=END)
    store = app._trygghetskarta["views"].store
    rows = follow_up(config, store.reports(), store.activities(), END)["commitments"]
    text = words(page)
    plural = {"hastighetskontroll": "hastighetskontroller", "närvaro/patrull": None,
              "trygghetsvandring": "trygghetsvandringar", "informationsinsats": "informationsinsatser"}
    labels = {"klart": "klart", "i_fas": "i fas", "efter": "efter", "ej_paborjat": "ej påbörjat"}
    for row in rows:
        unit = plural[row["kind"]] or "timmar"
        done = str(row["done"]).replace(".", ",").removesuffix(",0")
        target = str(row["target"]).replace(".", ",").removesuffix(",0")
        assert f"{done} av {target} {unit} ({labels[row['status']]})" in text, row["id"]
    # Every commitment of the built-in promise is a public one.
    assert len(re.findall(r'<li class="commitment', body(page))) == len(rows) == 6


def test_reports_trend_equals_the_allmanhet_view(app, page):
    views = app._trygghetskarta["views"]
    config = views.data.config
    found = re.findall(r"Rapporter kv\. 1 2026–kv\. 3 2026: (\d+) \(publicerade kvartal\); samma kvartal året "
                       r"innan \(kv\. 1 2025–kv\. 3 2025\): (\d+) \(([−+±]\d+), ([−+±][\d,]+) %\)", words(page))
    assert len(found) == 2
    for area, (now, before, change, _pct) in zip(("trygghet", "trafik"), found, strict=True):
        layers = tuple(lid for lid, spec in config.layers.items() if spec.focus_area == area)

        def shown(start, end, area=area, layers=layers):
            state = FilterState(focus_areas=(area,), layers=layers, preset="custom", start=start, end=end)
            return views.get(state, role="allmanhet").total

        assert int(now) == shown("2026-01-01", "2026-09-30") > 0
        assert int(before) == shown("2025-01-01", "2025-09-30") > 0
        assert int(change.replace("−", "-").replace("±", "")) == int(now) - int(before)
    # And what the release publishes is whole units of at least k reports.
    release = views.role_data("allmanhet").release
    assert release.kind == "quarter" and (release.counts["count"] >= release.k).all()


def test_english_switch(app):
    response = app.server.test_client().get("/uppfoljning?lang=en")
    text = words(response)
    assert '<html lang="en">' in body(response)
    assert text.startswith("Svenska What we promised – what we have done Demo data: every number on this page is "
                           "made up.")
    assert "Increased safety for residents" in text and "Improved road safety (high speeds)" in text
    assert re.search(r"\d+ of 4 speed checks \((done|on track|behind|not started)\)", text)
    assert "Reports Q1 2026–Q3 2026: " in text and "narcotics" not in text.lower()
    assert 'href="/uppfoljning?lang=sv"' in body(response)
