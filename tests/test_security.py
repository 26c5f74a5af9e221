"""Security regressions, as an attacker or a user sees them over HTTP: host names (DNS
rebinding), login backoff and its race, logout by POST, users added while running, the page
config, presentation mode's view switch and the CLI export's default role."""

from __future__ import annotations

import json
import re
import sys
import threading

import pytest
from click.testing import CliRunner

from dashboard.auth import CSRF_COOKIE, install_auth
from layers import GeoPackageStore
from layers.audit import read_audit
from layers.users import UserStore
from tests.test_auth import FAST, PW, Clock, make_app

WRONG = "fel lösenord!"
CALLBACK = {
    "output": "out.children",
    "outputs": {"id": "out", "property": "children"},
    "inputs": [{"id": "btn", "property": "n_clicks", "value": 1}],
    "changedPropIds": ["btn.n_clicks"],
    "state": [],
}
REFUSED = (
    "421 Misdirected Request: den här servern svarar bara på localhost och på namn som getts "
    "med --allowed-host.\n"
    "421 Misdirected Request: this server answers only to localhost and to names given with "
    "--allowed-host.\n"
)


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "data.gpkg")


@pytest.fixture
def users(store):
    users = UserStore(store, hasher=FAST)
    users.add("anna", "polis", PW)
    users.add("skarm", "bra", PW)
    return users


def build(store, users=None, **kw):
    app = make_app()
    clock = kw.pop("clock", None) or Clock()
    auth = install_auth(app, store, users=users, clock=clock, **kw)
    return app, auth, app.server.test_client(), clock


def client_at(app, address):
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def form_token(response):
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def login(client, name="anna", password=PW, headers=None):
    token = form_token(client.get("/login", headers=headers))
    return client.post("/login", headers=headers, data={
        "csrf_token": token, "username": name, "password": password, "next": "/"})


def csrf_headers(client, base_url="http://localhost", domain="localhost"):
    client.get("/", base_url=base_url)
    return {"X-CSRFToken": client.get_cookie(CSRF_COOKIE, domain=domain).value}


def call(client, headers=None, **kw):
    return client.post("/_dash-update-component", json=CALLBACK, headers=headers or {}, **kw)


def seen(response):
    return response.get_json()["response"]["out"]["children"]


def count_verify(users):
    """Wrap UserStore.verify to count the real (argon2) password checks."""
    calls = []
    lock = threading.Lock()
    real = users.verify

    def verify(name, password):
        with lock:
            calls.append(name)
        return real(name, password)

    users.verify = verify
    return calls


# -- 1. DNS rebinding: a no-users server answers only to its own names -------------------------------

@pytest.mark.parametrize("base", ["http://rebind.attacker.example", "http://rebind.attacker.example:8050",
                                  "http://localhost.attacker.example:8050", "http://127.0.0.1.nip.io:8050",
                                  "http://192.168.1.10:8050"])
def test_no_users_server_refuses_a_foreign_host_name(store, base):
    app, _, client, _ = build(store)
    page = client.get("/", base_url=base)
    assert page.status_code == 421
    assert page.get_data(as_text=True) == REFUSED and page.mimetype == "text/plain"
    # The rebinding page's own script: it can read the CSRF cookie of its origin, but never
    # gets one, and the data callback is refused before it runs.
    assert client.get_cookie(CSRF_COOKIE, domain=base.split("//")[1].split(":")[0]) is None
    response = call(client, {"X-CSRFToken": "x"}, base_url=base)
    assert response.status_code == 421 and "polis" not in response.get_data(as_text=True)
    assert client.get("/_dash-layout", base_url=base).status_code == 421
    assert client.get("/_dash-dependencies", base_url=base).status_code == 421


@pytest.mark.parametrize("base", ["http://localhost", "http://localhost:8050", "http://127.0.0.1:8050",
                                  "http://[::1]:8050", "http://[::1]", "http://LOCALHOST:9999"])
def test_no_users_server_answers_loopback_names_on_any_port(store, base):
    _, _, client, _ = build(store)
    assert client.get("/", base_url=base).status_code == 200
    domain = re.sub(r"^http://|:\d+$", "", base).lower().strip("[]")
    token = client.get_cookie(CSRF_COOKIE, domain=domain).value
    assert seen(call(client, {"X-CSRFToken": token}, base_url=base)) == "(lokal)|polis"


def test_allowed_host_names_are_served_and_others_refused(store):
    _, _, client, _ = build(store, allowed_hosts=["karta.kommun.se"])
    assert client.get("/", base_url="http://karta.kommun.se").status_code == 200
    assert client.get("/", base_url="http://Karta.Kommun.SE:8443").status_code == 200
    assert client.get("/", base_url="http://localhost:8050").status_code == 200
    assert client.get("/", base_url="http://kommun.se").status_code == 421


def test_with_users_any_host_unless_names_are_given(store, users):
    # Login protects the data: without --allowed-host a public server answers any name ...
    _, _, client, _ = build(store, users)
    assert client.get("/", base_url="http://203.0.113.5:8050").status_code == 302
    # ... and with names given, only those (a reverse proxy that keeps the Host header).
    _, _, client, _ = build(store, users, allowed_hosts=["karta.kommun.se"])
    assert client.get("/login", base_url="http://karta.kommun.se").status_code == 200
    refused = client.get("/login", base_url="http://203.0.113.5:8050")
    assert refused.status_code == 421 and refused.get_data(as_text=True) == REFUSED


@pytest.fixture
def served(monkeypatch):
    """Run `serve` without starting a server: the WSGI app and options waitress (one process)
    or gunicorn (several) would get."""
    import waitress

    from dashboard import serving

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setattr(serving, "run_gunicorn", lambda app, **kw: calls.append((app, kw)))
    return calls


def run(*args):
    from dashboard.cli import main

    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "v.gpkg"
    assert run("demo", "--data", str(path), "--reports", "20", "--activities", "2").exit_code == 0
    return path


def test_serve_allowed_host_option(demo_file, served):
    result = run("serve", "--data", str(demo_file), "--allowed-host", "karta.kommun.se",
                 "--allowed-host", "karta")
    assert result.exit_code == 0, result.output
    client = served[0][0].test_client()
    assert client.get("/", base_url="http://karta.kommun.se").status_code == 200
    assert client.get("/", base_url="http://karta:8050").status_code == 200
    assert client.get("/", base_url="http://evil.example").status_code == 421
    assert "Obs: utan användare finns ingen inloggning." in result.output
    bad = run("serve", "--data", str(demo_file), "--allowed-host", "http://x/")
    assert bad.exit_code == 1
    assert bad.output == "Error: --allowed-host 'http://x/' is not a host name (e.g. karta.kommun.se)\n"


def test_serve_with_users_publicly_hints_at_allowed_host(users_file, served):
    result = run("serve", "--data", str(users_file), "--host", "0.0.0.0")
    hint = "Tips: servern svarar på alla värdnamn (inloggningen skyddar data). Ange --allowed-host NAMN"
    assert result.exit_code == 0 and hint in result.output
    named = run("serve", "--data", str(users_file), "--host", "0.0.0.0", "--allowed-host", "karta")
    assert named.exit_code == 0 and "Tips:" not in named.output
    local = run("serve", "--data", str(users_file))
    assert local.exit_code == 0 and "Tips:" not in local.output


# -- 2. the login limiter's race: an attempt is reserved before the password check ------------------

def test_parallel_wrong_passwords_get_only_the_free_checks(store, users):
    calls = count_verify(users)
    app, _, _, _ = build(store, users)
    n = 40
    clients = [app.server.test_client() for _ in range(n)]
    tokens = [form_token(c.get("/login")) for c in clients]
    barrier = threading.Barrier(n)
    statuses = [0] * n

    def attempt(i):
        barrier.wait()
        statuses[i] = clients[i].post("/login", data={
            "csrf_token": tokens[i], "username": "anna", "password": WRONG, "next": "/"}).status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 3
    assert sorted(statuses) == [401] * 3 + [429] * 37


# -- 3. backoff instead of lockout ------------------------------------------------------------------

def test_an_attacker_cannot_lock_the_meeting_screen_account_out(store, users):
    app, _, _, _ = build(store, users)
    attacker = client_at(app, "203.0.113.66")
    statuses = {login(attacker, "skarm", WRONG).status_code for _ in range(50)}
    assert statuses == {401, 429}
    owner = client_at(app, "10.1.2.3")
    assert login(owner, "skarm", PW).status_code == 303
    assert seen(call(owner, csrf_headers(owner))) == "skarm|bra"


def test_backoff_doubles_from_one_second_and_is_capped(store, users):
    app, _, client, clock = build(store, users)
    calls = count_verify(users)
    for _ in range(3):
        assert login(client, "anna", WRONG).status_code == 401
    waits = []
    for _ in range(9):
        refused = login(client, "anna", PW)
        assert refused.status_code == 429
        text = refused.get_data(as_text=True)
        wait = int(refused.headers["Retry-After"])
        assert f"För många misslyckade inloggningar. Försök igen om {wait} s." in text
        waits.append(wait)
        # Trying again too early is refused with the same wait, unchecked and uncounted.
        clock.now += wait - 0.5
        again = login(client, "anna", PW)
        assert again.status_code == 429 and again.headers["Retry-After"] == "1"
        clock.now += 0.5
        assert login(client, "anna", WRONG).status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 64, 120, 120]
    assert len(calls) == 3 + 9
    en = login(client, "anna", PW, headers=None)
    assert en.status_code == 429
    page = client.get("/login?lang=en")
    token = form_token(page)
    en = client.post("/login", data={"csrf_token": token, "username": "anna", "password": PW,
                                     "lang": "en"})
    assert "Too many failed logins. Try again in 120 s." in en.get_data(as_text=True)
    clock.now += 120
    assert login(client, "anna", PW).status_code == 303


def test_unknown_names_are_slowed_alike(store, users):
    app, _, _, _ = build(store, users)
    known, unknown = client_at(app, "192.0.2.1"), client_at(app, "192.0.2.2")
    a = [login(known, "anna", WRONG) for _ in range(5)]
    b = [login(unknown, "okand", WRONG) for _ in range(5)]
    assert [r.status_code for r in a] == [r.status_code for r in b] == [401, 401, 401, 429, 429]
    def shown(response, name):
        return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True).replace(name, "X"))

    assert shown(a[-1], "anna") == shown(b[-1], "okand")
    assert shown(a[0], "anna") == shown(b[0], "okand")


def test_many_names_from_one_address_slow_it_but_never_lock_it(store, users):
    app, _, _, clock = build(store, users)
    shared = client_at(app, "198.51.100.20")
    for i in range(30):
        assert login(shared, f"gissning{i}", WRONG).status_code == 401
    refused = login(shared, "anna", PW)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    # Someone logging in correctly from anywhere else is not slowed at all.
    assert login(client_at(app, "198.51.100.21"), "anna", PW).status_code == 303
    # However long the attack goes on, the shared address waits at most 30 s.
    for i in range(30, 60):
        clock.now += 30
        assert login(shared, f"gissning{i}", WRONG).status_code == 401
    refused = login(shared, "anna", PW)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "30"
    clock.now += 30
    assert login(shared, "anna", PW).status_code == 303


def test_trusted_proxy_gives_each_client_its_own_backoff(store, users):
    app, _, _, _ = build(store, users, trusted_proxies=1)
    proxy = "10.0.0.1"
    attacker, owner = client_at(app, proxy), client_at(app, proxy)
    spoofed = {"X-Forwarded-For": "10.1.2.3, 203.0.113.66"}  # the client's own entry comes first
    for _ in range(10):
        login(attacker, "anna", WRONG, headers=spoofed)
    assert login(owner, "anna", PW, headers={"X-Forwarded-For": "10.1.2.3"}).status_code == 303
    log = read_audit(store)
    assert set(log[log["event"] == "login_failed"]["address"]) == {"203.0.113.66"}
    assert log[log["event"] == "login"]["address"].tolist() == ["10.1.2.3"]


def test_without_trusted_proxy_forwarded_for_is_ignored(store, users):
    app, _, _, _ = build(store, users)
    client = client_at(app, "203.0.113.66")
    statuses = [login(client, "anna", WRONG, headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                for i in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert set(read_audit(store)["address"]) == {"203.0.113.66"}


@pytest.fixture(scope="module")
def users_file(demo_file, tmp_path_factory):
    import shutil

    path = tmp_path_factory.mktemp("serve-users") / "u.gpkg"
    shutil.copy(demo_file, path)
    UserStore(path, hasher=FAST).add("anna", "polis", PW)
    return path


def test_serve_trusted_proxy_option(users_file, served):
    assert run("serve", "--data", str(users_file), "--workers", "1").exit_code == 0
    assert run("serve", "--data", str(users_file), "--workers", "1", "--trusted-proxy", "1").exit_code == 0
    assert run("serve", "--data", str(users_file), "--workers", "2", "--trusted-proxy", "1").exit_code == 0
    (plain, plain_kw), (proxied, proxied_kw), (forked, forked_kw) = served
    assert plain_kw["clear_untrusted_proxy_headers"] is True
    assert proxied_kw["clear_untrusted_proxy_headers"] is False
    # gunicorn trusts no forwarded headers itself, with or without --trusted-proxy: the app's
    # ProxyFix is the one place (a real 2-process server: tests/test_workers.py).
    assert forked_kw["forwarded_allow_ips"] == "" and forked_kw["secure_scheme_headers"] == {}
    from werkzeug.middleware.proxy_fix import ProxyFix

    assert isinstance(forked.wsgi_app, ProxyFix) and forked.wsgi_app.x_for == 1
    assert isinstance(proxied.wsgi_app, ProxyFix) and not isinstance(plain.wsgi_app, ProxyFix)
    assert proxied.wsgi_app.x_for == 1 and proxied.wsgi_app.x_proto == 1 and proxied.wsgi_app.x_host == 0
    https = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert https.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in plain.test_client().get(
        "/login", headers={"X-Forwarded-Proto": "https"}).headers


def test_serve_refuses_a_trusted_proxy_without_users(demo_file, served):
    result = run("serve", "--data", str(demo_file), "--trusted-proxy", "1")
    assert result.exit_code == 1 and served == []
    assert result.output.startswith("Error: refusing --trusted-proxy without users: everyone reaching "
                                    "the proxy would see exact data.")


# -- 4. logout is a POST with the CSRF token --------------------------------------------------------

def test_get_logout_only_asks(store, users):
    _, _, client, _ = build(store, users)
    login(client)
    headers = csrf_headers(client)
    page = client.get("/logout")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Vill du logga ut?" in text
    assert '<form method="post" action="/logout">' in text
    assert form_token(page) == headers["X-CSRFToken"]
    assert seen(call(client, headers)) == "anna|polis"  # still logged in
    assert read_audit(store)["event"].tolist() == ["login"]


def test_logout_post_needs_the_token(store, users):
    _, _, client, _ = build(store, users)
    login(client)
    headers = csrf_headers(client)
    for data, extra in (({}, {}), ({"csrf_token": "gissat"}, {}),
                        ({"csrf_token": headers["X-CSRFToken"]}, {"Origin": "http://evil.example"})):
        refused = client.post("/logout", data=data, headers=extra)
        assert refused.status_code == 403 and refused.get_json() == {"error": "CSRF check failed"}
        assert seen(call(client, headers)) == "anna|polis"
    done = client.post("/logout", data={"csrf_token": headers["X-CSRFToken"]})
    assert done.status_code == 303 and done.headers["Location"] == "/login?m=out&lang=sv"
    assert call(client, headers).status_code == 401


# -- 5. users added while the server runs turn login on ----------------------------------------------

def test_users_added_while_running_turn_login_on(store):
    users = UserStore(store, hasher=FAST)  # an empty users table: no login
    _, auth, client, clock = build(store, users)
    headers = csrf_headers(client)
    assert seen(call(client, headers)) == "(lokal)|polis"
    users.add("anna", "polis", PW)  # `trygghetskarta user add` in another terminal
    clock.now += 2
    assert call(client, headers).status_code == 401
    page = client.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")
    assert login(client).status_code == 303
    assert seen(call(client, csrf_headers(client))) == "anna|polis"
    # Removing the last user does not open the server again.
    users.remove("anna")
    clock.now += 60
    assert client.get("/").status_code == 302 and auth.login_required


def test_without_users_there_is_still_no_login(store):
    _, auth, client, clock = build(store)
    for _ in range(3):
        clock.now += 10
        headers = csrf_headers(client)
        assert seen(call(client, headers)) == "(lokal)|polis"
    assert not auth.login_required


# -- the real app: page config, logout form, presentation mode ---------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from tests.dash_fixtures import small_store

    return small_store(tmp_path_factory.mktemp("security") / "s.gpkg")


def real_app(store, **kw):
    from dashboard.app import create_app
    from tests.dash_fixtures import TODAY

    return create_app(store, today=lambda: TODAY, **kw)


def config_of(page: str) -> dict:
    found = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_page_config_has_no_python_version(small):
    page = real_app(small).server.test_client().get("/").get_data(as_text=True)
    config = config_of(page)
    assert "python_version" not in config and config["serve_locally"] is True
    assert sys.version not in page and sys.version.split()[0] not in json.dumps(config)


def components(node):
    """Every component dict in a layout (the JSON of /_dash-layout)."""
    if isinstance(node, dict):
        if "type" in node and "props" in node:
            yield node
            yield from components(node["props"].get("children"))
        else:
            for value in node.values():
                yield from components(value)
    elif isinstance(node, list):
        for item in node:
            yield from components(item)


def find(layout, id_):
    return next(c for c in components(layout) if c["props"].get("id") == id_)


def texts(node) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        return texts(node.get("props", {}).get("children"))
    if isinstance(node, list):
        return " ".join(texts(n) for n in node)
    return ""


def form_fields(form) -> dict:
    return {c["props"]["name"]: c["props"].get("value") for c in components(form["props"]["children"])
            if c["type"] == "Input" and c["props"].get("type") == "hidden"}


def forms(layout):
    return [c for c in components(layout) if c["type"] == "Form"]


def test_logout_in_the_banner_is_a_post_form_with_the_token(small, tmp_path):
    import shutil

    path = tmp_path / "u.gpkg"
    shutil.copy(small.path, path)
    from layers import open_store

    store = open_store(path)
    UserStore(store, hasher=FAST).add("anna", "polis", PW)
    client = real_app(store).server.test_client()
    login(client)
    client.get("/")
    token = client.get_cookie(CSRF_COOKIE).value
    layout = client.get("/_dash-layout").get_json()
    form = find(layout, "logout-form")
    assert (form["props"]["method"], form["props"]["action"]) == ("post", "/logout")
    assert form_fields(form) == {"csrf_token": token}
    button = find(layout, "logout")
    assert button["type"] == "Button" and button["props"]["type"] == "submit"
    assert texts(button) == "Logga ut"
    assert not [c for c in components(layout) if c["type"] == "A" and "logout" in str(c["props"].get("href"))]


CSS = None


def css() -> str:
    from importlib import resources

    return resources.files("dashboard").joinpath("assets", "style.css").read_text(encoding="utf-8")


def test_presentation_warning_for_a_role_with_exact_data(small):
    client = real_app(small).server.test_client()  # no users: role polis, local
    client.get("/?present=1")
    token = client.get_cookie(CSRF_COOKIE).value
    layout = client.get("/_dash-layout").get_json()
    warning = find(layout, "present-warning")
    # Shown by the stylesheet whenever the page is in presentation mode (?present=1 or the button).
    assert warning["props"].get("style") is None and "present-warning" in warning["props"]["className"]
    assert ".present .present-warning { display: flex;" in css() and ".present-warning { display: none; }" in css()
    assert texts(warning).startswith("Varning: exakta uppgifter på delad skärm. Din roll visar exakta "
                                     "narkotikatips och fritext för alla som ser skärmen.")
    switch = next(f for f in forms(warning) if form_fields(f).get("role") == "bra")
    assert (switch["props"]["method"], switch["props"]["action"]) == ("post", "/view-as")
    assert form_fields(switch) == {"csrf_token": token, "role": "bra", "next": ""}
    assert texts(find(layout, "view-as-bra")) == "Byt till BRÅ-vyn"


def test_no_warning_for_the_bra_screen(small):
    client = real_app(small, role="bra").server.test_client()
    layout = client.get("/_dash-layout").get_json()
    assert find(layout, "present-warning")["props"]["style"] == {"display": "none"}
    assert find(layout, "view-as-back-form")["props"]["style"] == {"display": "none"}


def report_list(client, filters):
    body = {
        "output": "report-list.children",
        "outputs": {"id": "report-list", "property": "children"},
        "inputs": [{"id": "filters", "property": "data", "value": filters}],
        "changedPropIds": ["filters.data"], "state": [],
    }
    return client.post("/_dash-update-component", json=body,
                       headers={"X-CSRFToken": client.get_cookie(CSRF_COOKIE).value})


def view_as(client, role, next_url="/?present=1", token=None, headers=None):
    token = token if token is not None else client.get_cookie(CSRF_COOKIE).value
    return client.post("/view-as", data={"csrf_token": token, "role": role, "next": next_url},
                       headers=headers or {})


def test_switch_to_bra_applies_to_every_callback_and_back(small):
    from dashboard.data import load
    from dashboard.filters import default_state

    app = real_app(small)
    client = app.server.test_client()
    filters = default_state(load(small)).to_dict()
    client.get("/?present=1")
    exact = texts(report_list(client, filters).get_json()["response"]["report-list"]["children"])
    assert "Beskrivning" in exact and "Mörkt vid stationen." in exact and "Narkotika" in exact
    switched = view_as(client, "bra")
    assert switched.status_code == 303 and switched.headers["Location"] == "/?present=1"
    reduced = texts(report_list(client, filters).get_json()["response"]["report-list"]["children"])
    assert "Otrygga platser" in reduced  # still a report list, without the sensitive parts
    assert "Beskrivning" not in reduced and "Mörkt vid stationen." not in reduced
    assert "Narkotika" not in reduced
    layout = client.get("/_dash-layout").get_json()
    assert texts(find(layout, "role-banner")).startswith("Roll: BRÅ-möte (delad skärm).")
    assert find(layout, "present-warning")["props"]["style"] == {"display": "none"}
    # The way back: in the header, hidden by the stylesheet while presenting.
    back = find(layout, "view-as-back-form")
    assert back["props"].get("style") is None and "view-as-back" in back["props"]["className"]
    assert ".present .view-as-back { display: none; }" in css()
    assert texts(find(layout, "view-as-back")) == "Tillbaka till min fulla vy"
    assert view_as(client, "", next_url="/").headers["Location"] == "/"
    back = texts(report_list(client, filters).get_json()["response"]["report-list"]["children"])
    assert "Mörkt vid stationen." in back
    from layers.audit import read_audit

    log = read_audit(small.path, event="view_as")
    assert [d["view_as"] for d in log["detail"]] == ["bra", "(own role)"]


def test_view_as_needs_the_token_and_never_widens(store):
    app, _, client, _ = build(store)
    headers = csrf_headers(client)
    for response in (view_as(client, "bra", token=""), view_as(client, "bra", token="gissat"),
                     view_as(client, "bra", headers={"Origin": "http://evil.example"})):
        assert response.status_code == 403 and response.get_json() == {"error": "CSRF check failed"}
    wrong_method = client.get("/view-as")
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "POST"
    assert seen(call(client, headers)) == "(lokal)|polis"
    assert view_as(client, "bra", next_url="//evil.example/").headers["Location"] == "/"
    assert seen(call(client, headers)) == "(lokal)|bra"
    assert view_as(client, "admin").status_code == 303  # a ceiling can only narrow
    assert seen(call(client, headers)) == "(lokal)|polis"
    assert view_as(client, "chef").status_code == 400


def test_view_as_with_login_lasts_for_the_session(store, users):
    _, _, client, _ = build(store, users)
    login(client)
    headers = csrf_headers(client)
    view_as(client, "bra")
    assert seen(call(client, headers)) == "anna|bra"
    login(client, "skarm")  # a new login starts without a ceiling
    headers = csrf_headers(client)
    view_as(client, "polis")
    assert seen(call(client, headers)) == "skarm|bra"
    login(client, "anna")
    assert seen(call(client, csrf_headers(client))) == "anna|polis"


def test_switch_returns_to_the_same_page():
    from dashboard.callbacks_present import return_target

    assert return_target("/", "?present=1&fa=trafik") == "/?present=1&fa=trafik"
    assert return_target("/", "present=1") == "/?present=1"
    assert return_target("/", None) == "/"


# -- 8. the CLI export shows the bra view unless asked -----------------------------------------------

def test_export_without_role_is_the_bra_view(small, tmp_path):
    out = tmp_path / "ut.csv"
    result = run("export", "--data", str(small.path), "--out", str(out), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "10 reports as points" in result.output
    text = out.read_text(encoding="utf-8-sig")
    assert "narkotika;" not in text and "Mörkt vid stationen." not in text
    exact = run("export", "--data", str(small.path), "--out", str(out), "--format", "csv", "--role", "polis")
    assert exact.exit_code == 0 and "12 reports as points" in exact.output
    assert "narkotika;" in out.read_text(encoding="utf-8-sig")
    helptext = " ".join(run("export", "--help").output.split())
    assert "[default: bra]" in helptext
    assert "Exact points and free text only with an explicit --role polis (or admin)." in helptext
