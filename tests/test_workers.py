"""`serve --workers 2` as a real subprocess on loopback: what one worker process does holds in
the other (a login, a logout, the login backoff, the CSRF token without users, users and
data added while it runs), both show open pages the same server id, and a real restart shows
another one while the sessions stay. Requests are sent to a chosen worker over keep-alive
connections: a connection stays with the process that accepted it, and the test-only header
X-Trygghetskarta-Worker (TRYGGHETSKARTA_WORKER_HEADER=1) says which one that is."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from dashboard.callbacks_session import BOOT_HEADER, REVISION_HEADER, WORKER_ENV, WORKER_HEADER
from layers.users import UserStore
from tests.dash_fixtures import small_store

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="several worker processes (gunicorn) and /proc: Linux")

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PW = "korrekt häst batteri"
WRONG = "fel lösenord!"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class Served:
    """`trygghetskarta serve --workers 2` on a free loopback port; restartable."""

    def __init__(self, data: Path, log_dir: Path, *args: str):
        self.data, self.log_dir, self.args = data, log_dir, args
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 90) -> None:
        self.starts += 1
        self.log = self.log_dir / f"serve-{self.port}-{self.starts}.log"
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "dashboard", "serve", "--data", str(self.data), "--port", str(self.port),
                 "--workers", "2", *self.args],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, WORKER_ENV: "1"})
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.proc.poll() is None, f"serve exited: {self.log.read_text()}"
            if len(set(re.findall(r"Booting worker with pid: (\d+)", self.log.read_text()))) == 2:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    conn.request("GET", "/_tk-session")
                    if conn.getresponse().status == 200:
                        conn.close()
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        raise AssertionError(f"serve did not answer in time: {self.log.read_text()}")

    def worker_pids(self) -> set[int]:
        """The worker processes of the running server (children of its first process)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return {int(pid) for pid in children}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            workers = self.worker_pids()
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            # A restart binds the same port: every process that held its socket must be gone
            # (a worker outliving its master made the next start fail 'Address already in use').
            end = time.monotonic() + 30
            while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < end:
                time.sleep(0.05)
            for pid in workers:
                if Path(f"/proc/{pid}").exists():  # still there after 30 s: it never exited
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            while not _port_free(self.port) and time.monotonic() < end:
                time.sleep(0.05)

    def browser(self) -> Browser:
        return Browser(self.port)

    def boot(self) -> str | None:
        """The server id the running `serve` recorded in the data file."""
        from layers.server_state import ServerState

        return ServerState(self.data).instance()


class Response:
    def __init__(self, raw: http.client.HTTPResponse):
        self.status = raw.status
        self.headers = raw.headers
        self.body = raw.read()
        self.worker = int(raw.headers[WORKER_HEADER])

    def json(self):
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8")


class Browser:
    """One browser's cookies, and one kept connection to each worker process."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conns: dict[int, http.client.HTTPConnection] = {}

    def connect_to_both(self, tries: int = 60) -> list[int]:
        """Open connections until each of the two workers holds one; their pids, in order."""
        for _ in range(tries):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request("GET", "/_tk-session")
            answer = Response(conn.getresponse())
            if answer.worker in self.conns:
                conn.close()
            else:
                self.conns[answer.worker] = conn
            if len(self.conns) == 2:
                return sorted(self.conns)
        raise AssertionError(f"{tries} connections, all to {sorted(self.conns)}")

    def request(self, worker: int, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> Response:
        conn = self.conns[worker]
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers={"Cookie": cookie, **(headers or {})})
        answer = Response(conn.getresponse())
        assert answer.worker == worker  # a kept connection stays with its process
        for value in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            content = rest.split(";", 1)[0]
            if content == "" or "Max-Age=0" in value or "expires=Thu, 01 Jan 1970" in value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = content
        return answer

    def csrf(self) -> dict:
        return {"X-CSRFToken": self.cookies["_csrf_token"], "Content-Type": "application/json"}

    def login(self, worker: int, name: str = "anna", password: str = PW) -> Response:
        page = self.request(worker, "GET", "/login").text()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.post_login(worker, token, name, password)

    def post_login(self, worker: int, token: str, name: str, password: str) -> Response:
        from urllib.parse import urlencode

        form = urlencode({"csrf_token": token, "username": name, "password": password, "next": "/"})
        return self.request(worker, "POST", "/login", form.encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def close(self) -> None:
        for conn in self.conns.values():
            conn.close()


def first_callback(browser: Browser, worker: int) -> bytes:
    """The page's first callback as dash-renderer sends it (the state callback on load)."""
    deps = browser.request(worker, "GET", "/_dash-dependencies").json()
    spec = next(d for d in deps if d["output"].startswith("..f-focus.value"))
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in spec["output"][2:-2].split("...")]
    return json.dumps({"output": spec["output"], "outputs": outputs,
                       "inputs": [{"id": d["id"], "property": d["property"]} for d in spec["inputs"]],
                       "changedPropIds": ["url.search"],
                       "state": [{"id": d["id"], "property": d["property"]} for d in spec["state"]]}).encode()


def wait_until(check, timeout: float = 20.0, what: str = "condition"):
    end = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


# -- with users -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def users_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("workers") / "u.gpkg"
    store = small_store(path)
    users = UserStore(store, hasher=FAST)
    users.add("anna", "polis", PW)
    users.add("britt", "bra", PW)
    users.add("cilla", "polis", PW)
    return path


@pytest.fixture(scope="module")
def served(users_file):
    server = Served(users_file, users_file.parent, "--trusted-proxy", "1")
    server.start()
    yield server
    server.stop()


def test_a_login_on_one_worker_holds_on_the_other_and_a_logout_ends_it_on_both(served):
    browser = served.browser()
    a, b = browser.connect_to_both()
    assert {a, b} == served.worker_pids()
    assert browser.request(b, "GET", "/_dash-layout").status == 401
    assert browser.login(a).status == 303
    for worker in (b, a, b):
        assert browser.request(worker, "GET", "/_dash-layout").status == 200
    browser.request(a, "GET", "/")  # the page sets the CSRF cookie
    body = first_callback(browser, b)
    for worker in (b, a):  # the CSRF token is the session's, wherever it is checked
        answer = browser.request(worker, "POST", "/_dash-update-component", body, browser.csrf())
        assert answer.status == 200, answer.text()
    assert browser.request(b, "GET", "/_tk-session").json()["session"] == "ok"

    logout_page = browser.request(b, "GET", "/logout").text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', logout_page).group(1)
    stolen = dict(browser.cookies)
    from urllib.parse import urlencode

    done = browser.request(b, "POST", "/logout", urlencode({"csrf_token": token}).encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status == 303 and "m=out" in done.headers["Location"]
    browser.cookies = stolen  # even the old cookie is worthless now, on either worker
    for worker in (a, b):
        assert browser.request(worker, "GET", "/_dash-layout").status == 401
        assert browser.request(worker, "GET", "/_tk-session").json()["session"] == "expired"
    browser.close()


def test_failed_logins_count_across_workers(served):
    """Six wrong passwords spread over both workers: the next attempt waits as after six
    (8 s), on either worker; counted per process it would be three each (1 s)."""
    browser = served.browser()
    workers = browser.connect_to_both()
    page = browser.request(workers[0], "GET", "/login").text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    counted: list[int] = []
    attempts = 0
    while len(counted) < 6:
        attempts += 1
        assert attempts < 40
        worker = workers[len(counted) % 2]
        answer = browser.post_login(worker, token, "britt", WRONG)
        if answer.status == 429:  # too early: wait as told (not counted), then try again
            time.sleep(int(answer.headers["Retry-After"]))
            continue
        assert answer.status == 401
        counted.append(worker)
    assert sorted(set(counted)) == workers
    waits = {}
    for worker in workers:
        refused = browser.post_login(worker, token, "britt", PW)  # even the right password waits
        assert refused.status == 429
        assert "För många misslyckade inloggningar. Försök igen om" in refused.text()
        waits[worker] = int(refused.headers["Retry-After"])
    assert all(4 < wait <= 8 for wait in waits.values()), waits
    browser.close()


def test_both_workers_show_the_same_server_id_and_the_same_data_revision(served, users_file):
    browser = served.browser()
    a, b = browser.connect_to_both()
    assert browser.login(a, "cilla").status == 303
    boots = {w: browser.request(w, "GET", "/_dash-layout").headers[BOOT_HEADER] for w in (a, b)}
    assert boots[a] == boots[b] == served.boot()
    before = {w: browser.request(w, "GET", "/_dash-layout").headers[REVISION_HEADER] for w in (a, b)}
    assert before[a] == before[b]
    # Another program changes the data: each worker re-reads it within seconds.
    from layers import open_store

    open_store(users_file).update_report_status("t-1", "bekräftad")

    def revisions():
        for worker in (a, b):  # an open page's status poll: the worker re-reads a changed file
            browser.request(worker, "GET", "/_tk-session")
        found = {w: browser.request(w, "GET", "/_dash-layout").headers[REVISION_HEADER] for w in (a, b)}
        return found if len(set(found.values())) == 1 and found[a] != before[a] else None

    after = wait_until(revisions, what="both workers re-reading the data")
    status = {w: browser.request(w, "GET", "/_tk-session").json() for w in (a, b)}
    assert status[a] == status[b] == {"boot": boots[a], "session": "ok", "revision": after[a]}
    browser.close()


def test_the_host_check_and_the_trusted_proxy_work_the_same_under_gunicorn(served):
    browser = served.browser()
    a, b = browser.connect_to_both()
    # With users and --trusted-proxy 1: HTTPS as the proxy says, the client address from it.
    https = browser.request(a, "GET", "/login", headers={"X-Forwarded-Proto": "https"})
    assert https.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in browser.request(b, "GET", "/login").headers
    browser.close()


def test_the_first_process_holds_no_connection_to_the_data_file(served, users_file):
    """The app is built (and the data loaded) before the workers are forked: no sqlite
    connection may be open then, or two processes would share it."""
    master = served.proc.pid
    open_files = {os.path.realpath(f"/proc/{master}/fd/{fd}") for fd in os.listdir(f"/proc/{master}/fd")}
    assert not {p for p in open_files if p.startswith(str(users_file))}, open_files


def test_a_restart_shows_another_server_id_and_keeps_the_sessions(served):
    browser = served.browser()
    a, _ = browser.connect_to_both()
    assert browser.login(a, "cilla").status == 303
    first = browser.request(a, "GET", "/_tk-session").json()
    assert first["session"] == "ok"
    browser.close()
    served.stop()
    served.start()
    browser.conns = {}
    a, b = browser.connect_to_both()
    for worker in (a, b):
        status = browser.request(worker, "GET", "/_tk-session").json()
        assert status["session"] == "ok" and status["boot"] != first["boot"]
        assert browser.request(worker, "GET", "/_dash-layout").status == 200
    browser.close()


# -- without users -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def open_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("workers-open") / "o.gpkg"
    small_store(path)
    return path


@pytest.fixture(scope="module")
def served_open(open_file):
    server = Served(open_file, open_file.parent)
    server.start()
    yield server
    server.stop()


def test_a_pages_scripts_at_once_on_a_fresh_worker_are_all_served(served_open):
    """A page's first requests arrive together; a worker that had not been set up before the
    fork answered some of them 500 (Dash sets a process up at its first request)."""
    from concurrent.futures import ThreadPoolExecutor

    page = Browser(served_open.port)
    page.conns[0] = http.client.HTTPConnection("127.0.0.1", served_open.port, timeout=30)
    page.conns[0].request("GET", "/")
    html = page.conns[0].getresponse().read().decode()
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', html)
    assert len(scripts) >= 5

    def fetch(path):
        conn = http.client.HTTPConnection("127.0.0.1", served_open.port, timeout=30)
        conn.request("GET", path)
        answer = conn.getresponse()
        answer.read()
        conn.close()
        return answer.status, int(answer.headers[WORKER_HEADER])

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(fetch, scripts * 4))
    assert {status for status, _ in answers} == {200}
    assert {worker for _, worker in answers} == served_open.worker_pids()


def test_without_users_callbacks_pass_the_csrf_check_on_both_workers(served_open):
    browser = served_open.browser()
    a, b = browser.connect_to_both()
    assert browser.request(a, "GET", "/").status == 200  # the page sets the CSRF cookie
    body = first_callback(browser, b)
    for worker in (b, a, b):
        answer = browser.request(worker, "POST", "/_dash-update-component", body,
                                 {**browser.csrf(), "Accept-Encoding": "zstd"})
        assert answer.status == 200, answer.text()
        assert answer.headers["Content-Encoding"] == "zstd"  # compression as under waitress
    refused = browser.request(a, "POST", "/_dash-update-component", body,
                              {"X-CSRFToken": "gissat", "Content-Type": "application/json"})
    assert refused.status == 403
    # DNS rebinding: a foreign Host name gets 421 from every worker.
    for worker in (a, b):
        assert browser.request(worker, "GET", "/", headers={"Host": "rebind.attacker.example"}).status == 421
    browser.close()


def test_users_added_while_running_turn_login_on_in_every_worker(served_open, open_file):
    browser = served_open.browser()
    a, b = browser.connect_to_both()
    assert {browser.request(w, "GET", "/_dash-layout").status for w in (a, b)} == {200}
    UserStore(open_file, hasher=FAST).add("dora", "polis", PW)  # `trygghetskarta user add` meanwhile
    wait_until(lambda: {browser.request(w, "GET", "/_dash-layout").status for w in (a, b)} == {401},
               what="login in both workers")
    assert browser.login(b, "dora").status == 303
    assert browser.request(a, "GET", "/_dash-layout").status == 200
    browser.close()
