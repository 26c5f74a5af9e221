"""Serving many browsers: waitress settings, response compression, browser caching of Dash's
package files, and the status an open page asks for (server restarted, session ended, data
changed; dashboard.callbacks_session)."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from click.testing import CliRunner

from dashboard import app as app_module
from dashboard.app import OLD_SERVING, SERVING, create_app, waitress_options
from dashboard.callbacks_session import BOOT_HEADER, REVISION_HEADER
from dashboard.cli import main
from dashboard.data import load
from layers.users import UserStore
from tests.dash_fixtures import TODAY, small_store
from tests.test_auth import FAST, PW, Clock

BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}
PLOTLY = "/_dash-component-suites/plotly/package_data/plotly.min.js"


def zstd_decompress(data: bytes) -> bytes:
    try:
        from compression import zstd
    except ImportError:
        from backports import zstd
    return zstd.decompress(data)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return small_store(tmp_path_factory.mktemp("serving") / "s.gpkg")


def make(store, **kw):
    return create_app(store, today=lambda: TODAY, data=load(store), **kw)


@pytest.fixture(scope="module")
def compressed(store):
    return make(store, compress=True)


def csrf(client) -> dict:
    client.get("/")
    return {"X-CSRFToken": client.get_cookie("_csrf_token").value}


def first_callback(client, headers) -> dict:
    """The page's first callback as dash-renderer sends it (the state callback on load)."""
    deps = client.get("/_dash-dependencies").get_json()
    spec = next(d for d in deps if d["output"].startswith("..f-focus.value"))
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in spec["output"][2:-2].split("...")]
    return {"output": spec["output"], "outputs": outputs,
            "inputs": [{"id": d["id"], "property": d["property"]} for d in spec["inputs"]],
            "changedPropIds": ["url.search"], "state": [{"id": d["id"], "property": d["property"]}
                                                       for d in spec["state"]]}


# -- waitress settings -------------------------------------------------------------------------

def test_the_new_defaults_fit_browsers_keep_alive_connections(monkeypatch):
    # A Chromium page keeps 6 connections open: 100 filled at ~16 pages, 1000 hold ~160.
    assert OLD_SERVING == {"threads": 8, "connection_limit": 100, "channel_timeout": 120, "backlog": 1024}
    monkeypatch.setattr(app_module, "open_files_limit", lambda wanted: wanted)  # whatever this machine allows
    options = waitress_options(**SERVING)
    assert options == {"threads": 8, "connection_limit": 1000, "channel_timeout": 60, "cleanup_interval": 15,
                       "backlog": 1024, "asyncore_use_poll": True, "clamped": False}


def test_the_connection_limit_is_lowered_to_what_the_open_files_limit_allows(monkeypatch):
    monkeypatch.setattr(app_module, "open_files_limit", lambda wanted: 400)
    options = waitress_options(threads=4, connection_limit=1000, channel_timeout=8, backlog=64)
    assert options["connection_limit"] == 400 - app_module.SPARE_FDS and options["clamped"]
    assert options["cleanup_interval"] == 2 and options["threads"] == 4 and options["backlog"] == 64


def test_open_files_limit_never_lowers_and_reports_the_limit():
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert app_module.open_files_limit(16) >= min(16, soft)
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == soft


def test_open_files_limit_is_raised_to_fit_the_connections():
    import subprocess
    import sys

    script = (
        "import resource; from dashboard.app import open_files_limit\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))\n"
        "print(open_files_limit(512), resource.getrlimit(resource.RLIMIT_NOFILE)[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["512", "512"]


@pytest.fixture
def served(monkeypatch):
    """Run `serve` without starting a server: the WSGI app and the options waitress (one
    process) or gunicorn (several) would get."""
    import waitress

    from dashboard import serving

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append((app, {"server": "waitress", **kw})))
    monkeypatch.setattr(serving, "run_gunicorn", lambda app, **kw: calls.append((app, {"server": "gunicorn", **kw})))
    return calls


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "v.gpkg"
    assert CliRunner().invoke(main, ["demo", "--data", str(path), "--reports", "60", "--activities", "6"]).exit_code == 0
    return path


def test_serve_passes_the_settings_to_waitress(demo_file, served, monkeypatch):
    monkeypatch.setattr(app_module, "open_files_limit", lambda wanted: wanted)
    result = CliRunner().invoke(main, ["serve", "--data", str(demo_file), "--workers", "1"])
    assert result.exit_code == 0, result.output
    server, options = served[0]
    assert options["server"] == "waitress"
    assert {k: options[k] for k in ("threads", "connection_limit", "channel_timeout", "backlog",
                                    "asyncore_use_poll")} == {**SERVING, "asyncore_use_poll": True}
    assert "Serving with 8 threads, up to 1000 connections, idle ones closed after 60 s, compression on." \
        in result.output
    assert "trygghetskarta_compression" in server.extensions

    layout = json.dumps(server.test_client().get("/_dash-layout").get_json())
    assert '"data-poll-ms": "15000"' in layout

    result = CliRunner().invoke(main, ["serve", "--data", str(demo_file), "--workers", "1", "--threads", "4",
                                       "--connection-limit", "300", "--channel-timeout", "30", "--backlog", "256",
                                       "--no-compress", "--session-poll", "2.5"])
    assert result.exit_code == 0, result.output
    server, options = served[1]
    assert (options["threads"], options["connection_limit"], options["channel_timeout"], options["backlog"]) == \
        (4, 300, 30, 256)
    assert "trygghetskarta_compression" not in server.extensions
    assert "compression off" in result.output
    assert '"data-poll-ms": "2500"' in json.dumps(server.test_client().get("/_dash-layout").get_json())


def test_serve_maps_the_settings_to_gunicorn_for_several_processes(demo_file, served, monkeypatch):
    from dashboard import serving

    monkeypatch.setattr(app_module, "open_files_limit", lambda wanted: wanted)
    monkeypatch.setattr(serving, "can_fork", lambda: True)
    result = CliRunner().invoke(main, ["serve", "--data", str(demo_file), "--workers", "3", "--threads", "4",
                                       "--connection-limit", "300", "--channel-timeout", "30", "--backlog", "256",
                                       "--port", "8123"])
    assert result.exit_code == 0, result.output
    server, options = served[0]
    assert {k: options[k] for k in ("server", "host", "port", "workers", "worker_class", "threads",
                                    "worker_connections", "keepalive", "backlog", "preload_app")} == {
        "server": "gunicorn", "host": "127.0.0.1", "port": 8123, "workers": 3, "worker_class": "gthread",
        "threads": 4, "worker_connections": 100, "keepalive": 30, "backlog": 256, "preload_app": True}
    # X-Forwarded-* is --trusted-proxy's business alone (the app's ProxyFix), never gunicorn's.
    assert (options["forwarded_allow_ips"], options["secure_scheme_headers"], options["forwarder_headers"]) == \
        ("", {}, "")
    assert options["control_socket_disable"] is True
    assert "clamped" not in options and "connection_limit" not in options
    assert ("Serving with 3 processes of 4 threads, up to 300 connections (100 per process), idle ones closed "
            "after 30 s, compression on.") in result.output
    assert "trygghetskarta_compression" in server.extensions
    # The id open pages see is the one recorded in the data file, made before any worker exists.
    from layers.server_state import ServerState

    assert server.extensions["trygghetskarta_auth"].instance_id == ServerState(demo_file).instance()


def test_gunicorn_gets_every_setting_it_knows(monkeypatch):
    """Each setting is one gunicorn has (an unknown name would fail at start), and the
    connection limit is shared by the processes and lowered to the open-files limit."""
    from gunicorn.config import Config

    from dashboard import serving

    monkeypatch.setattr(app_module, "open_files_limit", lambda wanted: 300)
    options = serving.gunicorn_options(workers=2, threads=8, connection_limit=1000, channel_timeout=60, backlog=1024)
    assert options.pop("clamped") is True and options.pop("connection_limit") == 2 * (300 - app_module.SPARE_FDS)
    assert options["worker_connections"] == 300 - app_module.SPARE_FDS
    config = Config()
    for name, value in options.items():
        config.set(name, value)
    assert config.forwarded_allow_ips == [] and config.worker_class_str == "gthread"


def test_the_default_number_of_processes(monkeypatch):
    from dashboard import serving

    monkeypatch.setattr(serving, "can_fork", lambda: True)
    for cpus, expected in ((1, 1), (2, 2), (4, 4), (16, 4)):
        monkeypatch.setattr(serving, "cpu_count", lambda cpus=cpus: cpus)
        assert serving.default_workers() == expected
    monkeypatch.setattr(serving, "can_fork", lambda: False)  # Windows: waitress, one process
    assert serving.default_workers() == 1


def test_serve_on_windows_runs_one_waitress_process(demo_file, served, monkeypatch):
    from dashboard import serving

    monkeypatch.setattr(serving, "can_fork", lambda: False)
    result = CliRunner().invoke(main, ["serve", "--data", str(demo_file), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert served[0][1]["server"] == "waitress"
    assert "One server process on Windows (waitress): --workers needs Linux or macOS." in result.output


def test_serve_help_explains_the_settings():
    text = CliRunner().invoke(main, ["serve", "--help"], terminal_width=200).output
    for option in ("--workers", "--connection-limit", "--channel-timeout", "--backlog", "--compress / --no-compress",
                   "--session-poll"):
        assert option in text
    assert "keeps about 6 open" in text and "--connection-limit 100 --channel-timeout 120" in text
    assert "[default: the number of CPUs, at most 4, on Linux/macOS; 1 on Windows]" in " ".join(text.split())


# -- compression -------------------------------------------------------------------------------

def test_callback_responses_are_compressed_as_the_browser_accepts(compressed, store):
    plain_app = make(store)
    results = {}
    for name, app, accept in (("plain", plain_app, BROWSER), ("zstd", compressed, BROWSER),
                              ("br", compressed, {"Accept-Encoding": "gzip, br"}),
                              ("gzip", compressed, {"Accept-Encoding": "gzip"}),
                              ("none", compressed, {})):
        client = app.server.test_client()
        headers = csrf(client)
        response = client.post("/_dash-update-component", json=first_callback(client, headers),
                               headers={**headers, **accept})
        assert response.status_code == 200
        encoding = response.headers.get("Content-Encoding")
        raw = response.get_data()
        body = {"zstd": zstd_decompress, "br": brotli.decompress, "gzip": gzip.decompress}.get(
            encoding, lambda b: b)(raw)
        results[name] = (encoding, len(raw), json.loads(body))
        if app is compressed:
            assert "Accept-Encoding" in response.headers["Vary"]
    assert results["plain"][0] is None and results["none"][0] is None
    assert [results[k][0] for k in ("zstd", "br", "gzip")] == ["zstd", "br", "gzip"]
    assert all(results[k][2] == results["plain"][2] for k in results)
    assert results["zstd"][1] < results["plain"][1] / 2


def test_pages_and_the_layout_are_never_compressed(compressed):
    """They carry the CSRF token; a page that reflects input would leak it by size (BREACH)."""
    client = compressed.server.test_client()
    for path in ("/", "/_dash-layout", "/?lang=en"):
        response = client.get(path, headers=BROWSER)
        assert response.status_code == 200 and "Content-Encoding" not in response.headers, path


def test_package_files_are_compressed_once_kept_and_revalidated(compressed):
    client = compressed.server.test_client()
    original = client.get(PLOTLY).get_data()  # no Accept-Encoding: as it is
    first = client.get(PLOTLY, headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br"
    assert brotli.decompress(first.get_data()) == original
    assert len(first.get_data()) < len(original) / 3
    again = client.get(PLOTLY, headers={"Accept-Encoding": "br"})
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert first.headers["ETag"].endswith(':br"')
    cached = compressed.server.extensions["trygghetskarta_compression"]._static
    assert sum(key[0] == PLOTLY for key in cached) == 1
    unchanged = client.get(PLOTLY, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""


def test_dash_package_files_may_be_kept_by_the_browser(compressed, store):
    """Not no-store: Dash's fingerprinted files get a year, the others an ETag (a page load
    fetched 6.5 MB again each time before)."""
    for app in (make(store), compressed):
        client = app.server.test_client()
        page = client.get("/").get_data(as_text=True)
        script = next(s for s in page.split('src="')[1:] if s.startswith("/_dash-component-suites/"))
        response = client.get(script.split('"')[0], headers=BROWSER)
        assert response.headers["Cache-Control"] == "max-age=31536000"
        assert client.get(PLOTLY).headers.get("Cache-Control") is None
        assert client.get(PLOTLY).headers.get("ETag")
        assert client.get("/_dash-layout").headers["Cache-Control"] == "no-store"
        assert client.get("/_dash-dependencies").headers["Cache-Control"] == "no-store"


# -- the status an open page asks for ------------------------------------------------------------

def test_dash_responses_carry_the_boot_id_and_the_data_revision(tmp_path):
    import hashlib

    store = small_store(tmp_path / "r.gpkg")
    app = make(store)
    app._trygghetskarta["views"].recheck_s = 3600  # this test says when the process re-reads
    client = app.server.test_client()
    headers = csrf(client)
    boot = app._trygghetskarta["session"].boot
    first = hashlib.sha256(store.last_change().encode()).hexdigest()[:12]  # the data file's last change
    layout = client.get("/_dash-layout")
    assert layout.headers[BOOT_HEADER] == boot and layout.headers[REVISION_HEADER] == first
    status = client.get("/_tk-session")
    assert status.get_json() == {"boot": boot, "session": "open", "revision": first}
    assert status.headers["Cache-Control"] == "no-store"
    app._trygghetskarta["views"].reload(store)  # re-read, nothing changed: the same revision
    assert client.get("/_dash-layout").headers[REVISION_HEADER] == first

    store.update_report_status("t-1", "bekräftad")  # another program changes the data
    second = hashlib.sha256(store.last_change().encode()).hexdigest()[:12]
    assert second != first
    # The status says the file's revision at once; this process's answers keep the one their
    # numbers come from until it has re-read the file.
    assert client.get("/_tk-session").get_json()["revision"] == second
    assert client.get("/_dash-layout").headers[REVISION_HEADER] == first
    app._trygghetskarta["views"].reload(store)  # an edit or an import re-read the data
    response = client.post("/_dash-update-component", json=first_callback(client, headers), headers=headers)
    assert response.headers[REVISION_HEADER] == second
    assert PLOTLY and BOOT_HEADER not in client.get(PLOTLY).headers
    # Another server is another boot id: that is how an open page sees a restart (the worker
    # processes of one `serve` share theirs: tests/test_workers.py).
    assert make(store)._trygghetskarta["session"].boot != boot


def test_the_page_holds_the_stale_page_banner_in_its_language(store):
    app = make(store, session_poll_s=2)
    client = app.server.test_client()
    layout = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert '"id": "session-banner"' in layout
    assert '"data-status-url": "/_tk-session"' in layout and '"data-poll-ms": "2000"' in layout
    assert "Servern har startats om. Siffrorna på sidan kan vara inaktuella – ladda om sidan." in layout
    assert "Ladda om sidan" in layout
    page = client.get("/").get_data(as_text=True)
    assert "/assets/session.js" in page
    from dashboard.i18n import t

    assert t("session_restarted", "en") == ("The server was restarted. The numbers on this page may be out of "
                                            "date – reload the page.")
    assert t("session_expired", "en") == "Your session has expired. Reload the page and log in again."


def test_asking_for_the_status_never_keeps_a_session_alive(tmp_path):
    store = small_store(tmp_path / "u.gpkg")
    UserStore(store, hasher=FAST).add("anna", "polis", PW)
    clock = Clock()
    app = make(store, clock=clock, users=UserStore(store, hasher=FAST), session_timeout_min=60)
    client = app.server.test_client()
    boot = app._trygghetskarta["session"].boot
    assert client.get("/_tk-session").get_json() == {"boot": boot, "session": "none"}
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/login", data={"csrf_token": token, "username": "anna", "password": PW,
                                       "next": "/"}).status_code == 303
    assert client.get("/_tk-session").get_json() == {"boot": boot, "session": "ok",
                                                     "revision": app._trygghetskarta["session"].revision()}
    for _ in range(6):  # a page polling for 70 minutes without anyone touching it
        clock.now += 700
        client.get("/_tk-session")
    status = client.get("/_tk-session").get_json()
    assert status == {"boot": boot, "session": "expired"}  # no revision for an ended session
    assert client.get("/_dash-layout").status_code == 401


def test_the_status_answers_only_to_this_servers_names(store):
    client = make(store).server.test_client()
    assert client.get("/_tk-session", base_url="http://rebind.attacker.example").status_code == 421


def test_an_unchanged_session_cookie_is_resent_every_few_minutes_not_on_every_answer(store, monkeypatch):
    import time

    from dashboard import auth as auth_module

    now = [time.time()]  # a real date: the test client drops cookies that expired
    monkeypatch.setattr(auth_module.time, "time", lambda: now[0])
    client = make(store).server.test_client()
    headers = csrf(client)  # the page: the session (with its CSRF token) is new, so its cookie is sent
    body = first_callback(client, headers)  # GET /_dash-dependencies: the first refresh mark

    def session_cookie_sent() -> bool:
        response = client.post("/_dash-update-component", json=body, headers=headers)
        assert response.status_code == 200
        return any(v.startswith("trygghetskarta_session=") for v in response.headers.getlist("Set-Cookie"))

    assert not session_cookie_sent()  # the answers after it: no re-signed cookie
    assert not session_cookie_sent()
    now[0] += 299
    assert not session_cookie_sent()
    now[0] += 2
    assert session_cookie_sent()  # five minutes on: the expiry is pushed on again
    assert not session_cookie_sent()
    assert client.post("/_dash-update-component", json=body, headers=headers).status_code == 200


def test_the_page_is_in_the_language_its_address_asks_for(store):
    """`<html lang>` and the title follow `?lang=` from the first byte (a screen reader picks
    its voice before any script runs); anything else is Swedish."""
    client = make(store).server.test_client()
    pages = {q: client.get("/" + q).get_data(as_text=True) for q in ("", "?lang=en", "?lang=sv", "?lang=xx")}
    assert pages["?lang=en"].count('<html lang="en">') == 1
    assert "<title>Trygghetskarta – Vaggeryd Municipality</title>" in pages["?lang=en"]
    for query in ("", "?lang=sv", "?lang=xx"):
        assert pages[query].count('<html lang="sv">') == 1, query
        assert "<title>Trygghetskarta – Vaggeryds kommun</title>" in pages[query], query
    assert all("<html>" not in page for page in pages.values())


def _component(node, wanted_id):
    """The first component with this id in a `_dash-layout` answer."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == wanted_id:
            return node
        children = list(node.get("props", {}).values()) if "props" in node else list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _component(child, wanted_id)
        if found is not None:
            return found
    return None


def test_the_layout_is_built_for_the_pages_address(store):
    """assets/layout-query.js sends the page's query along with `_dash-layout`: the layout comes
    in the address's language and mode, with its filters in the controls, so the first
    callback has nothing to rewrite; without a query the default page."""
    client = make(store).server.test_client()
    english = client.get("/_dash-layout?lang=en&present=1&t=30d&wd=0,1").get_json()
    assert _component(english, "lang")["props"]["value"] == "en"
    assert _component(english, "root")["props"]["className"] == "present"
    assert _component(english, "f-preset")["props"]["value"] == "30d"
    assert _component(english, "f-weekdays")["props"]["value"] == [0, 1]
    assert _component(english, {"type": "txt", "key": "filters"})["props"]["children"] == "Filters"
    default = client.get("/_dash-layout").get_json()
    assert _component(default, "lang")["props"]["value"] == "sv"
    assert _component(default, "root")["props"]["className"] == ""
    assert _component(default, "f-preset")["props"]["value"] == "period"
    assert _component(default, {"type": "txt", "key": "filters"})["props"]["children"] == "Filter"
    # A malformed address is the default for what it gets wrong, never an error.
    odd = client.get("/_dash-layout?lang=xx&t=nonsense&wd=9,x").get_json()
    assert _component(odd, "lang")["props"]["value"] == "sv"
    page = client.get("/").get_data(as_text=True)
    assert "/assets/layout-query.js" in page
