"""Login, sessions, roles, headers and CSRF on a real minimal Dash app (Flask test client)."""

from __future__ import annotations

import re

import dash
import pytest
from argon2 import PasswordHasher
from dash import Input, Output, html

from dashboard.auth import (
    CSRF_COOKIE,
    AuthError,
    LoginBackoff,
    check_bind,
    content_security_policy,
    current_role,
    current_user,
    install_auth,
    narrower_role,
    render_login_page,
)
from layers import GeoPackageStore
from layers.audit import read_audit
from layers.users import LOGIN_FAILED, UserStore

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PW = "korrekt häst batteri"
CALLBACK = {
    "output": "out.children",
    "outputs": {"id": "out", "property": "children"},
    "inputs": [{"id": "btn", "property": "n_clicks", "value": 1}],
    "changedPropIds": ["btn.n_clicks"],
    "state": [],
}


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def make_app():
    app = dash.Dash(__name__, serve_locally=True)
    app.layout = html.Div([html.Button("go", id="btn"), html.Div(id="out")])

    @app.callback(Output("out", "children"), Input("btn", "n_clicks"))
    def show(n):
        return f"{current_user()}|{current_role()}"

    return app


@pytest.fixture
def store(tmp_path):
    return GeoPackageStore.create(tmp_path / "data.gpkg")


@pytest.fixture
def with_users(store):
    users = UserStore(store, hasher=FAST)
    users.add("anna", "polis", PW)
    users.add("britt", "bra", PW)
    users.add("admin", "admin", PW)
    return users


def build(store, users=None, **kw):
    app = make_app()
    clock = kw.pop("clock", Clock())
    auth = install_auth(app, store, users=users, clock=clock, **kw)
    client = app.server.test_client()
    return app, auth, client, clock


def login(client, name="anna", password=PW, next_url="/"):
    page = client.get(f"/login?next={next_url}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/login", data={
        "csrf_token": token, "username": name, "password": password, "next": next_url})


def form_token(response):
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def logout(client):
    """As a browser does it: the confirmation page's button POSTs the session's token."""
    return client.post("/logout", data={"csrf_token": form_token(client.get("/logout"))})


def call(client, headers=None):
    return client.post("/_dash-update-component", json=CALLBACK, headers=headers or {})


def csrf_headers(client):
    client.get("/")  # the page load sets the CSRF cookie, as in a browser
    cookie = client.get_cookie(CSRF_COOKIE)
    assert cookie is not None and not cookie.http_only
    return {"X-CSRFToken": cookie.value}


def callback_text(response):
    return response.get_json()["response"]["out"]["children"]


# -- without users: local single-user mode ---------------------------------------------------------

def test_no_users_runs_as_polis_without_login(store):
    app, auth, client, _ = build(store)
    assert not auth.login_required
    page = client.get("/")
    assert page.status_code == 200 and "_dash-renderer" in page.get_data(as_text=True)
    response = call(client, csrf_headers(client))
    assert response.status_code == 200
    assert callback_text(response) == "(lokal)|polis"
    assert "polis" in auth.banner("127.0.0.1", 8050)


def test_serve_role_bra_without_users(store):
    _, _, client, _ = build(store, default_role="bra")
    assert callback_text(call(client, csrf_headers(client))) == "(lokal)|bra"


def test_unknown_default_role_refused(store):
    with pytest.raises(AuthError, match="unknown role"):
        build(store, default_role="chef")


def test_csrf_refusal_without_users(store):
    _, _, client, _ = build(store)
    headers = csrf_headers(client)
    assert call(client).status_code == 403
    assert call(client, {"X-CSRFToken": "fel"}).status_code == 403
    assert call(client, {**headers, "Origin": "http://evil.example"}).status_code == 403
    assert call(client, {**headers, "Origin": "http://localhost"}).status_code == 200


def test_security_headers_on_every_response(store):
    app, _, client, _ = build(store)
    for response in (client.get("/"), client.get("/_dash-layout"), client.get("/nope"),
                     call(client)):
        h = response.headers
        csp = h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "'unsafe-eval'" not in csp
        assert re.search(r"script-src 'self' 'sha256-[^']+'", csp)
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        assert h["X-Frame-Options"] == "DENY"
    # The hash allows exactly Dash's inline renderer script.
    for digest in app.csp_hashes():
        assert digest in client.get("/").headers["Content-Security-Policy"]
    assert client.get("/_dash-layout").headers["Cache-Control"] == "no-store"


def test_csp_lists_tile_origins():
    csp = content_security_policy(["sha256-abc"], ["https://tile.openstreetmap.org"])
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org" in csp
    assert "connect-src 'self' https://tile.openstreetmap.org" in csp
    assert "script-src 'self' 'sha256-abc'" in csp
    assert "worker-src 'self' blob:" in csp


# -- with users -----------------------------------------------------------------------------------

def test_login_required(store, with_users):
    _, auth, client, _ = build(store, with_users)
    assert auth.login_required
    page = client.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=%2F")
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-dependencies").status_code == 401
    response = call(client)
    assert response.status_code == 401 and response.get_json()["error"] == "login required"
    # Library code and our own CSS/JS hold no data: served without a login, without cookies and
    # without Vary: Cookie, so the browser's cache keeps them across page loads and logins.
    package = client.get("/_dash-component-suites/dash/deps/react@18.v4_4_1m1.3.1.min.js")
    assert package.status_code == 200 and "Set-Cookie" not in package.headers
    assert "cookie" not in package.headers.get("Vary", "").lower()
    assert package.headers["Cache-Control"] == "max-age=31536000"
    style = client.get("/assets/style.css")  # this test app has no assets folder: not found, not a login
    assert style.status_code == 404 and "Set-Cookie" not in style.headers
    assert client.get("/_dash-component-suites/dash/deps/react.min.js").status_code == 404
    assert client.get("/assets/../dashboard/auth.py").status_code in (302, 404)


def test_login_page_is_bilingual_and_escaped(store, with_users):
    _, _, client, _ = build(store, with_users)
    sv = client.get("/login").get_data(as_text=True)
    assert 'lang="sv"' in sv and "Lösenord" in sv and "<script" not in sv
    en = client.get("/login?lang=en").get_data(as_text=True)
    assert 'lang="en"' in en and "Password" in en
    page = render_login_page("sv", "/login", 'x"><script>', "/", "<img src=x onerror=alert(1)>",
                             username="<b>")
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_login_wrong_password_is_generic_and_audited(store, with_users):
    _, _, client, _ = build(store, with_users)
    wrong = login(client, "anna", "fel lösenord!")
    unknown = login(client, "nobody", "fel lösenord!")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert LOGIN_FAILED["sv"] in response.get_data(as_text=True)
    assert wrong.get_data(as_text=True).replace("anna", "X") == \
        unknown.get_data(as_text=True).replace("nobody", "X")
    log = read_audit(store)
    assert log["event"].tolist() == ["login_failed", "login_failed"]
    assert log["user"].tolist() == ["anna", "nobody"]
    assert call(client).status_code == 401


def test_login_form_needs_its_csrf_token(store, with_users):
    _, _, client, _ = build(store, with_users)
    client.get("/login")
    response = client.post("/login", data={"csrf_token": "guess", "username": "anna",
                                           "password": PW})
    assert response.status_code == 400
    assert call(client).status_code == 401


def test_login_session_cookie_and_callback_role(store, with_users):
    _, _, client, _ = build(store, with_users)
    response = login(client, next_url="/?lang=en")
    assert response.status_code == 303 and response.headers["Location"] == "/?lang=en"
    cookie = client.get_cookie("trygghetskarta_session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure
    headers = csrf_headers(client)
    assert client.get("/").status_code == 200
    assert callback_text(call(client, headers)) == "anna|polis"
    assert call(client).status_code == 403  # no CSRF header
    assert call(client, {"X-CSRFToken": headers["X-CSRFToken"] + "x"}).status_code == 403
    assert read_audit(store)["event"].tolist() == ["login"]


def test_secure_cookies_over_https(store, with_users):
    app, _, _, _ = build(store, with_users)
    client = app.server.test_client()
    page = client.get("/login", base_url="https://localhost")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    client.post("/login", base_url="https://localhost",
                data={"csrf_token": token, "username": "anna", "password": PW, "next": "/"})
    assert client.get_cookie("trygghetskarta_session", domain="localhost").secure
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert client.get_cookie(CSRF_COOKIE, domain="localhost").secure


def test_open_redirect_refused(store, with_users):
    _, _, client, _ = build(store, with_users)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/login"):
        response = login(client, next_url=target)
        assert response.headers["Location"] == "/", target
        logout(client)


def test_session_expiry(store, with_users):
    _, _, client, clock = build(store, with_users, session_timeout_min=60)
    login(client)
    headers = csrf_headers(client)
    clock.now += 59 * 60
    assert call(client, headers).status_code == 200  # activity keeps the session alive
    clock.now += 61 * 60
    assert call(client, headers).status_code == 401
    page = client.get("/")
    assert page.status_code == 302 and "m=expired" in page.headers["Location"]
    assert "gått ut" in client.get(page.headers["Location"]).get_data(as_text=True)
    log = read_audit(store)
    assert log["event"].tolist() == ["login", "logout"]
    assert log["detail"].iloc[-1] == {"reason": "expired"}


def test_maximum_session_age(store, with_users):
    _, _, client, clock = build(store, with_users, session_timeout_min=60, max_session_hours=2)
    login(client)
    headers = csrf_headers(client)
    for _ in range(5):
        clock.now += 30 * 60
        call(client, headers)
    assert call(client, headers).status_code == 401


def test_logout(store, with_users):
    _, _, client, _ = build(store, with_users)
    login(client)
    headers = csrf_headers(client)
    response = logout(client)
    assert response.status_code == 303 and "m=out" in response.headers["Location"]
    assert call(client, headers).status_code == 401
    assert read_audit(store)["event"].tolist() == ["login", "logout"]


def test_stolen_cookie_is_useless_after_logout(store, with_users):
    app, _, client, _ = build(store, with_users)
    login(client)
    headers = csrf_headers(client)
    stolen = client.get_cookie("trygghetskarta_session").value
    logout(client)
    thief = app.server.test_client()
    thief.set_cookie("trygghetskarta_session", stolen)
    thief.set_cookie(CSRF_COOKIE, headers["X-CSRFToken"])
    assert call(thief, headers).status_code == 401


def test_role_cap_for_meeting_screen(store, with_users):
    _, _, client, _ = build(store, with_users, default_role="bra")
    login(client, "admin")
    assert callback_text(call(client, csrf_headers(client))) == "admin|bra"
    assert narrower_role("allmanhet", "bra") == "allmanhet"
    assert narrower_role("polis", "bra") == "bra"


def test_bra_user(store, with_users):
    _, _, client, _ = build(store, with_users)
    login(client, "britt")
    assert callback_text(call(client, csrf_headers(client))) == "britt|bra"


def test_backoff_through_the_login_form(store, with_users):
    clock = Clock()
    limiter = LoginBackoff(free=3, base_s=1, cap_s=60, clock=clock)
    _, _, client, _ = build(store, with_users, limiter=limiter, clock=clock)
    for _ in range(3):
        assert login(client, "anna", "fel lösenord!").status_code == 401
    response = login(client, "anna", PW)
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert "För många misslyckade inloggningar. Försök igen om 1 s." in response.get_data(as_text=True)
    assert call(client).status_code == 401
    # Another user from the same address still gets in; after the wait, so does anna.
    assert login(client, "britt", PW).status_code == 303
    clock.now += 1
    assert login(client, "anna", PW).status_code == 303
    assert read_audit(store, event="login_failed")["detail"].iloc[-1] == {"reason": "throttled"}


def test_removed_user_or_new_password_ends_sessions(store, with_users):
    _, auth, client, _ = build(store, with_users)
    auth.recheck_s = 0
    login(client)
    headers = csrf_headers(client)
    assert call(client, headers).status_code == 200
    with_users.passwd("anna", "ett nytt långt lösenord")
    assert call(client, headers).status_code == 401
    login(client, "britt")
    headers = csrf_headers(client)
    with_users.remove("britt")
    assert call(client, headers).status_code == 401


# -- binding ---------------------------------------------------------------------------------------

def test_public_bind_refused_without_users(store):
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, store)
    for host in ("0.0.0.0", "192.168.1.10", "::"):
        with pytest.raises(AuthError, match="without users"):
            check_bind(host, store)


def test_public_bind_allowed_with_users(store, with_users):
    check_bind("0.0.0.0", store)


# -- a real browser: the CSP fits Dash 4 + Plotly maps, and dash-renderer sends the token -----------

@pytest.mark.browser
def test_browser_login_csp_and_csrf(store, with_users):
    import threading

    import plotly.graph_objects as go
    from dash import dcc
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from waitress import create_server

    app = make_app()
    figure = go.Figure(go.Scattermap(lon=[14.09], lat=[57.43], mode="markers"))
    figure.update_layout(map={"style": "white-bg", "center": {"lon": 14.09, "lat": 57.43},
                              "zoom": 10})
    app.layout.children.append(dcc.Graph(id="map", figure=figure))
    install_auth(app, store, users=with_users)
    server = create_server(app.server, host="127.0.0.1", port=0, threads=4)
    port = server.effective_port
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options)
    try:
        base = f"http://127.0.0.1:{port}"
        driver.get(base + "/")
        assert "/login" in driver.current_url
        driver.find_element(By.ID, "username").send_keys("britt")
        driver.find_element(By.ID, "password").send_keys(PW)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait = WebDriverWait(driver, 20)
        wait.until(lambda d: d.find_elements(By.ID, "btn"))
        # The initial callback and a click both pass the CSRF check (renderer sends the header).
        wait.until(lambda d: d.find_element(By.ID, "out").text == "britt|bra")
        driver.find_element(By.ID, "btn").click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#map .maplibregl-canvas"))
        logs = driver.get_log("browser")
        blocked = [e["message"] for e in logs if "Content Security Policy" in e["message"]
                   or "Refused to" in e["message"]]
        assert blocked == []
        errors = [e["message"] for e in logs if e["level"] == "SEVERE"]
        assert errors == []
    finally:
        driver.quit()
        server.close()
