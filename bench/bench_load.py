"""Load test: many browsers on one real `trygghetskarta serve`, old and new serving settings.

Starts `trygghetskarta serve` as a subprocess on a demo file (loopback only) and lets 10,
25 and 50 simulated viewers use it the way a Chromium page does:

* page load, cold cache: GET / and the scripts and stylesheets it names, the chunks
  dash-renderer loads later (plotly.js, the async dcc parts), /_dash-layout and
  /_dash-dependencies; then every callback the page fires on load, built from
  /_dash-dependencies the way dash-renderer builds it (outputs, inputs with their current
  values, state, changedPropIds; a callback waits while one of its inputs is an output of
  another pending callback; the responses update the props the next callbacks read); then
  the map's first relayoutData event ({"autosize": true}) and what it triggers;
* then rounds of: think, a focus-area change (a random non-empty choice), think, a box
  selection on the map (a new box each time, so nothing is served from a cache);
* every viewer holds up to 6 keep-alive connections (Chromium's per-host limit) with its
  cookies, sends the CSRF header dash-renderer sends (X-CSRFToken from the `_csrf_token`
  cookie) and Origin, accepts zstd/br/gzip, retries once on a kept connection the server
  had closed (as browsers do), and asks /_tk-session every 15 s like the page's script.

Per viewer count and setting it reports errors (HTTP >= 400, refused, timed out), stalls
(requests over 10 s), p50/p95 per callback request and per whole interaction (filter
change or selection: from the event to the last response), page loads, bytes received,
the server's CPU seconds and memory (summed over its processes: with `--workers N` the first
process and its N workers; peak RSS is the sum of each process's VmHWM from /proc/PID/status,
which counts memory the workers share from the fork once per process, PSS the proportional
share at the end, which counts it once), and how often waitress logged that the connection
limit was reached. "old" is how `serve` ran before
issue 10 (8 threads, waitress's 100 connections and 120 s idle timeout, no compression);
"new" is `serve`'s defaults, "new-plain" the same without compression. Every request has a
client timeout (--timeout), every viewer a deadline: the run is bounded in count and time
and stops by itself.

    python bench/bench_load.py [--viewers 10 25 50] [--settings old new new-plain] [--reports 100000]
                               [--rounds 3] [--think 5 15] [--ramp 10] [--timeout 30]
                               [--serve-args "--threads 4"]

Writes the table to bench/out/bench_load.md (and prints it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import resource
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load_gates():
    """dashboard/gates.py of the tree measured, alone (not the dashboard package: the viewers'
    process stays small); None for a tree without gates."""
    import importlib.util

    tree = Path(sys.argv[sys.argv.index("--tree") + 1]).resolve() if "--tree" in sys.argv[:-1] else ROOT
    path = tree / "dashboard" / "gates.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("tk_gates", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gates = _load_gates()
#: The gated panels a viewer has on screen (--seen).
SEEN: frozenset[str] = frozenset()
OUT = ROOT / "bench" / "out"
END = "2026-11-27"
HOST = "127.0.0.1"
SETTINGS = {
    "old": ["--workers", "1", "--threads", "8", "--connection-limit", "100", "--channel-timeout", "120",
            "--no-compress"],
    "new": [],
    "new-plain": ["--no-compress"],  # the new settings without compression: what compression does
}
#: Chunks dash-renderer and dcc load after the page's own scripts (seen in Chromium).
LAZY = [
    "_dash-component-suites/dash/dcc/async-datepicker.js", "_dash-component-suites/dash/dcc/async-slider.js",
    "_dash-component-suites/dash/dcc/async-dropdown.js", "_dash-component-suites/dash/dcc/async-upload.js",
    "_dash-component-suites/dash/dcc/async-graph.js", "_dash-component-suites/plotly/package_data/plotly.min.js",
    "_favicon.ico",
]
BOX = [[14.06, 57.445], [14.12, 57.41]]  # over Skillingaryd
STALL_S = 10.0
POLL_S = 15.0
CONNECTIONS = 6
ACCEPT_ENCODING = "gzip, deflate, br, zstd"


# -- one simulated browser ------------------------------------------------------------------

@dataclass
class Sample:
    kind: str  # "get", "post", "status"
    path: str
    status: int  # 0: no answer (refused, reset, timed out)
    seconds: float
    nbytes: int
    error: str = ""


@dataclass
class Action:
    kind: str  # "load", "filter", "select"
    seconds: float
    ok: bool


def decode(data: bytes, encoding: str | None) -> bytes:
    if not encoding:
        return data
    if encoding == "zstd":
        try:
            from compression import zstd
        except ImportError:
            from backports import zstd
        return zstd.decompress(data)
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    if encoding == "gzip":
        import gzip

        return gzip.decompress(data)
    raise ValueError(encoding)


class Browser:
    """Cookies, up to 6 keep-alive connections, one thread per connection."""

    def __init__(self, port: int, timeout: float, samples: list, lock: threading.Lock):
        self.port = port
        self.timeout = timeout
        self.samples = samples
        self.samples_lock = lock
        self.cookies: dict[str, str] = {}
        self.cookie_lock = threading.Lock()
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(CONNECTIONS)
        self.connections: list[http.client.HTTPConnection] = []

    def close(self):
        self.pool.shutdown(wait=True, cancel_futures=True)
        for conn in self.connections:
            conn.close()

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            self.local.conn, self.local.used = conn, False
            self.connections.append(conn)
        return conn, self.local.used

    def _headers(self, method: str, body: bytes | None) -> dict:
        with self.cookie_lock:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            token = self.cookies.get("_csrf_token", "")
        headers = {"Host": f"{HOST}:{self.port}", "Accept-Encoding": ACCEPT_ENCODING, "Accept": "*/*"}
        if cookie:
            headers["Cookie"] = cookie
        if method == "POST":
            headers.update({"Content-Type": "application/json", "X-CSRFToken": token,
                            "Origin": f"http://{HOST}:{self.port}"})
        return headers

    def _once(self, method, path, body):
        conn, used = self._connection()
        conn.request(method, "/" + path, body=body, headers=self._headers(method, body))
        response = conn.getresponse()
        data = response.read()
        self.local.used = True
        for value in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = value.partition("=")
            with self.cookie_lock:
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            self.local.conn = None
        return response.status, response.getheader("Content-Encoding"), data, used

    def fetch(self, method: str, path: str, body: bytes | None = None, kind: str = "get") -> tuple[int, bytes]:
        """One request on one of this browser's connections; (status, raw body)."""
        start = time.perf_counter()
        status, encoding, data, error = 0, None, b"", ""
        for attempt in (1, 2):
            try:
                status, encoding, data, used = self._once(method, path, body)
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.BadStatusLine) as exc:
                conn = getattr(self.local, "conn", None)
                reused = getattr(self.local, "used", False)
                if conn is not None:
                    conn.close()
                self.local.conn = None
                if attempt == 1 and reused:  # a kept connection the server had closed: retry once
                    continue
                error = type(exc).__name__
            except TimeoutError:
                error = "timeout"
                if getattr(self.local, "conn", None) is not None:
                    self.local.conn.close()
                self.local.conn = None
                break
            except OSError as exc:
                error = type(exc).__name__
                self.local.conn = None
                break
        seconds = time.perf_counter() - start
        with self.samples_lock:
            self.samples.append(Sample(kind, path.split("?")[0], status, seconds, len(data), error))
        return status, (decode(data, encoding) if status == 200 and data else data), len(data)

    def submit(self, method, path, body=None, kind="get") -> Future:
        return self.pool.submit(self.fetch, method, path, body, kind)


# -- dash-renderer, as far as the load needs it ---------------------------------------------

def id_key(value) -> str:
    """Dash's string form of a component id (dict ids: JSON with sorted keys)."""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def split_output(spec: str) -> list[tuple[str, str]]:
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    found = []
    for part in parts:
        dot = part.rfind(".")
        found.append((part[:dot], part[dot + 1:]))
    return found


def is_pattern(ident: str) -> bool:
    return ident.startswith("{")


@dataclass
class Callback:
    index: int
    spec: dict
    outputs: list  # [(id string, prop)]
    inputs: list
    state: list

    @property
    def out_props(self) -> set[str]:
        return {f"{i}.{p.split('@')[0]}" for i, p in self.outputs if not is_pattern(i)}

    @property
    def in_props(self) -> set[str]:
        return {f"{d['id']}.{d['property']}" for d in self.inputs if not is_pattern(d["id"])}


def walk_layout(node, props: dict) -> None:
    if isinstance(node, list):
        for child in node:
            walk_layout(child, props)
        return
    if not isinstance(node, dict) or "props" not in node:
        return
    p = node["props"]
    if "id" in p:
        props[id_key(p["id"])] = {"__id": p["id"], **p}
    for value in p.values():
        if isinstance(value, (dict, list)):
            walk_layout(value, props)


class Page:
    """One page's component props and callbacks, firing them like dash-renderer.

    The page's clientside gates (dashboard/gates.py) are modelled too, as the browser runs
    them: a panel's copy of the filters follows the filter store when its gate is open —
    `seen` names the on-screen panels (bench default: the comparison cards above the charts,
    what a viewer at the top of the page sees besides the map and the charts), keyed panels
    follow when their fields change, closed sections never."""

    def __init__(self, browser: Browser, layout: dict, dependencies: list, seen: frozenset[str] = frozenset()):
        self.browser = browser
        self.seen = seen
        self.props: dict[str, dict] = {}
        walk_layout(layout, self.props)
        self.callbacks = [Callback(i, d, split_output(d["output"]), d["inputs"], d.get("state", []))
                          for i, d in enumerate(dependencies) if not d.get("clientside_function")]
        # By their index in /_dash-dependencies (the list above skips the clientside ones).
        self.by_index = {cb.index: cb for cb in self.callbacks}
        self.watched = set()
        for cb in self.callbacks:
            self.watched |= cb.in_props | {f"{d['id']}.{d['property']}" for d in cb.state}

    def matches(self, pattern: str) -> list[dict]:
        wanted = json.loads(pattern)
        found = []
        for props in self.props.values():
            ident = props["__id"]
            if isinstance(ident, dict) and set(ident) == set(wanted) and all(
                    v == ["ALL"] or ident[k] == v for k, v in wanted.items()):
                found.append(ident)
        return found

    def _value_of(self, ident, prop) -> dict:
        entry = {"id": ident, "property": prop}
        props = self.props.get(id_key(ident), {})
        if prop in props:
            entry["value"] = props[prop]
        return entry

    def _deps(self, items) -> list:
        out = []
        for d in items:
            if is_pattern(d["id"]):
                out.append([self._value_of(i, d["property"]) for i in self.matches(d["id"])])
            else:
                out.append(self._value_of(d["id"], d["property"]))
        return out

    def body(self, cb: Callback, changed: set[str]) -> bytes:
        outputs = []
        for ident, prop in cb.outputs:
            if is_pattern(ident):
                outputs.append([{"id": i, "property": prop} for i in self.matches(ident)])
            else:
                outputs.append({"id": ident, "property": prop})
        return json.dumps({
            "output": cb.spec["output"],
            "outputs": outputs if cb.spec["output"].startswith("..") else outputs[0],
            "inputs": self._deps(cb.inputs),
            "changedPropIds": sorted(changed),
            "parsedChangedPropsIds": sorted(changed),
            "state": self._deps(cb.state),
        }).encode()

    def present(self, cb: Callback) -> bool:
        return all(is_pattern(d["id"]) or d["id"] in self.props for d in cb.inputs)

    def apply(self, cb: Callback, data: bytes) -> set[str]:
        """The props a response updated (only parsed when another callback reads them)."""
        if not data or not (cb.out_props & self.watched or any(is_pattern(i) for i, _ in cb.outputs)):
            return cb.out_props  # every output counts as changed (dash-renderer does not compare)
        changed = set()
        for ident, values in json.loads(data).get("response", {}).items():
            key = id_key(json.loads(ident)) if ident.startswith("{") else ident
            self.props.setdefault(key, {"__id": ident}).update(values)
            changed |= {f"{key}.{prop}" for prop in values}
        return changed

    def run(self, changed: set[str] | None = None, initial: bool = False) -> bool:
        """Fire what `changed` (or the page load) triggers, then what their answers trigger,
        until nothing is left. False when a request failed."""
        pending: dict[int, set[str]] = {}
        if initial:
            for cb in self.callbacks:
                if not cb.spec.get("prevent_initial_call") and self.present(cb):
                    pending[cb.index] = set()
        else:
            self._trigger(pending, changed or set(), None)
        inflight: dict[Future, Callback] = {}
        ok = True
        while pending or inflight:
            busy = [self.by_index[i] for i in pending] + list(inflight.values())
            ready = [i for i in pending if not any(
                self.by_index[i].in_props & other.out_props for other in busy if other.index != i)]
            if not ready and not inflight:
                ready = list(pending)  # a cycle: dash-renderer fires them too
            for i in ready:
                cb = self.by_index[i]
                fut = self.browser.submit("POST", "_dash-update-component", self.body(cb, pending.pop(i)), "post")
                inflight[fut] = cb
            if not inflight:
                continue
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for fut in done:
                cb = inflight.pop(fut)
                status, data, _ = fut.result()
                if status == 204:
                    continue
                if status != 200:
                    ok = False
                    continue
                changed = self.apply(cb, data)
                self._trigger(pending, changed | self.gate(changed), cb.index)
        return ok

    def gate(self, changed: set[str]) -> set[str]:
        """The gated copies of the filter store a change of it updates (the clientside gates)."""
        if "filters.data" not in changed or gates is None:
            return set()
        filters = self.props.get("filters", {}).get("data")
        if not filters:
            return set()
        updated = set()
        for panel in gates.GATED:
            copy = self.props.get(gates.filters_for(panel))
            if copy is None:
                continue  # a tree without this gate
            shown = copy.get("data")
            if panel in gates.KEYED:
                fields = gates.KEYED[panel]
                opened = shown is None or any(shown.get(f) != filters.get(f) for f in fields)
            else:
                opened = panel in self.seen and shown != filters
            if opened:
                copy["data"] = filters
                updated.add(f"{gates.filters_for(panel)}.data")
        return updated

    def _trigger(self, pending, changed: set[str], source: int | None) -> None:
        for cb in self.callbacks:
            if cb.index == source:
                continue
            hit = cb.in_props & changed
            if hit:
                pending.setdefault(cb.index, set()).update(hit)

    def set(self, ident: str, prop: str, value) -> str:
        self.props.setdefault(ident, {"__id": ident})[prop] = value
        return f"{ident}.{prop}"


# -- one viewer -----------------------------------------------------------------------------

def page_load(browser: Browser) -> Page | None:
    status, html, _ = browser.fetch("GET", "")
    if status != 200:
        return None
    text = html.decode("utf-8", "replace")
    urls = re.findall(r'<script[^>]+src="/([^"]+)"', text) + re.findall(r'<link[^>]+href="/([^"]+)"', text)
    futures = [browser.submit("GET", u) for u in urls]
    layout_f = browser.submit("GET", "_dash-layout")
    deps_f = browser.submit("GET", "_dash-dependencies")
    futures += [browser.submit("GET", u) for u in LAZY]
    layout_status, layout, _ = layout_f.result()
    deps_status, deps, _ = deps_f.result()
    if layout_status != 200 or deps_status != 200:
        return None
    page = Page(browser, json.loads(layout), json.loads(deps), SEEN)
    ok = page.run(initial=True)
    ok = page.run({page.set("map", "relayoutData", {"autosize": True})}) and ok
    ok = all(f.result()[0] in (200, 304) for f in futures) and ok
    return page if ok else None


@dataclass
class Viewer:
    index: int
    port: int
    start_at: float
    deadline: float
    rounds: int
    think: tuple[float, float]
    timeout: float
    samples: list
    actions: list
    lock: threading.Lock
    rng: random.Random = field(default_factory=random.Random)

    def run(self) -> None:
        browser = Browser(self.port, self.timeout, self.samples, self.lock)
        stop = threading.Event()
        try:
            time.sleep(max(0.0, self.start_at - time.monotonic()))
            t0 = time.perf_counter()
            page = page_load(browser)
            self.record("load", time.perf_counter() - t0, page is not None)
            if page is None:
                return
            poller = threading.Thread(target=self.poll, args=(browser, stop), daemon=True)
            poller.start()
            focus_all = list(page.props["f-focus"]["value"])
            for r in range(self.rounds):
                for kind in ("filter", "select"):
                    time.sleep(self.rng.uniform(*self.think))
                    if time.monotonic() > self.deadline:
                        return
                    if kind == "filter":
                        chosen = [f for f in focus_all if self.rng.random() < 0.6] or [self.rng.choice(focus_all)]
                        changed = page.set("f-focus", "value", chosen)
                    else:
                        shift = (self.index * 7 + r) * 1e-4 + self.rng.random() * 1e-4
                        box = [[BOX[0][0] - shift, BOX[0][1]], [BOX[1][0] + shift, BOX[1][1] - shift / 2]]
                        changed = page.set("map", "selectedData", {"points": [], "range": {"map": box}})
                    t0 = time.perf_counter()
                    ok = page.run({changed})
                    self.record(kind, time.perf_counter() - t0, ok)
        finally:
            stop.set()
            browser.close()

    def poll(self, browser: Browser, stop: threading.Event) -> None:
        while not stop.wait(POLL_S):
            browser.fetch("GET", "_tk-session", kind="status")

    def record(self, kind, seconds, ok):
        with self.lock:
            self.actions.append(Action(kind, seconds, ok))


# -- the server -----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def serve_command() -> list[str]:
    """The `trygghetskarta` command of this tree (`python -m dashboard` from its root, so the
    code measured is the code beside this file even where another copy is installed)."""
    return [sys.executable, "-m", "dashboard"]


class Server:
    def __init__(self, data: Path, args: list[str], log: Path):
        self.port = free_port()
        self.log_path = log
        self.log = open(log, "w")  # noqa: SIM115 - open while the server runs
        cmd = serve_command() + ["serve", "--data", str(data), "--host", HOST, "--port", str(self.port), *args]
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)

    def wait_ready(self, timeout: float = 180) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: see {self.log_path}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/_tk-session")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise SystemExit("server did not start in time")

    def pids(self) -> list[int]:
        """The server's processes: the one started and its descendants (gunicorn's workers)."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass  # ended meanwhile
        return found

    def cpu_s(self) -> float:
        """CPU seconds of every server process, including workers that ended (the first
        process's cutime/cstime holds what its reaped children used)."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
            if pid == self.proc.pid:
                total += int(fields[13]) + int(fields[14])
        return total / os.sysconf("SC_CLK_TCK")

    def memory(self) -> dict:
        found = {"VmRSS": 0.0, "VmHWM": 0.0, "Pss": 0.0, "processes": 0}
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text().splitlines()
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            except OSError:
                continue
            found["processes"] += 1
            for line in status + rollup:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Pss"):
                    found[key] += int(value.split()[0]) / 1024
        return found

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        return self.log_path.read_text()


# -- a scenario -----------------------------------------------------------------------------

def busy_cpu_s() -> float:
    """CPU seconds the whole machine has been busy (all processes), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def scenario(data: Path, setting: str, viewers: int, args) -> dict:
    extra = SETTINGS[setting] + (shlex.split(args.serve_args) if setting.startswith("new") else [])
    server = Server(data, extra, OUT / f"bench_load-{setting}-{viewers}.log")
    try:
        server.wait_ready()
        cpu0, busy0 = server.cpu_s(), busy_cpu_s()
        client0 = resource.getrusage(resource.RUSAGE_SELF)
        samples, actions, lock = [], [], threading.Lock()
        now = time.monotonic()
        deadline = now + args.ramp + args.max_s
        people = [Viewer(i, server.port, now + args.ramp * i / viewers, deadline, args.rounds, tuple(args.think),
                         args.timeout, samples, actions, lock, random.Random(args.seed * 1000 + i))
                  for i in range(viewers)]
        threads = [threading.Thread(target=v.run, daemon=True) for v in people]
        wall = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=max(1.0, deadline + args.timeout * 4 - time.monotonic()))
        wall = time.perf_counter() - wall
        cpu, busy = server.cpu_s() - cpu0, busy_cpu_s() - busy0
        client1 = resource.getrusage(resource.RUSAGE_SELF)
        mem = server.memory()
    finally:
        log = server.stop()
    posts = [s.seconds for s in samples if s.kind == "post" and s.status in (200, 204)]
    inter = [a.seconds for a in actions if a.kind in ("filter", "select")]
    loads = [a.seconds for a in actions if a.kind == "load"]
    errors = [s for s in samples if s.status == 0 or s.status >= 400]
    return {
        "setting": setting, "viewers": viewers, "requests": len(samples), "errors": len(errors),
        "error_kinds": sorted({s.error or str(s.status) for s in errors}),
        "stalls": sum(s.seconds > STALL_S for s in samples),
        "post_p50": pct(posts, 50), "post_p95": pct(posts, 95),
        "action_p50": pct(inter, 50), "action_p95": pct(inter, 95), "actions": len(inter),
        "failed_actions": sum(not a.ok for a in actions),
        "load_p50": pct(loads, 50), "load_p95": pct(loads, 95), "loads": len(loads),
        "served": sum(a.ok for a in actions if a.kind == "load"),
        "callback_mb": sum(s.nbytes for s in samples if s.kind == "post") / 1e6,
        "max_s": max((s.seconds for s in samples), default=0.0),
        "mb": sum(s.nbytes for s in samples) / 1e6, "cpu_s": cpu,
        "cpu_per_action": cpu / max(1, len(inter) + len(loads)),
        "client_cpu_s": (client_cpu := (client1.ru_utime + client1.ru_stime) - (client0.ru_utime + client0.ru_stime)),
        # Whatever else ran on the machine meanwhile (it shares the CPUs: the numbers are only
        # comparable between rows where this is small).
        "other_cpu_s": max(0.0, busy - cpu - client_cpu),
        "rss_mb": mem.get("VmRSS", 0), "hwm_mb": mem.get("VmHWM", 0), "pss_mb": mem.get("Pss", 0),
        "processes": mem.get("processes", 1), "wall_s": wall,
        "limit_warnings": log.count("connection limit"),
    }


def table(rows: list[dict], args) -> str:
    head = ("| setting | viewers | pages loaded | requests | errors | stalls >10 s | POST p50 s | POST p95 s "
            "| interaction p50 s | interaction p95 s | page load p50 s | page load p95 s | max request s "
            "| MB received (callbacks) | server CPU s | CPU s / action | processes | RSS peak MB (sum) "
            "| PSS MB at end | limit warnings | other CPU s |")
    lines = [head, "|" + "|".join("---" for _ in range(head.count("|") - 1)) + "|"]
    for r in rows:
        lines.append(
            f"| {r['setting']} | {r['viewers']} | {r['served']}/{r['viewers']} | {r['requests']} | {r['errors']} "
            f"| {r['stalls']} | {r['post_p50']:.2f} | {r['post_p95']:.2f} | {r['action_p50']:.2f} "
            f"| {r['action_p95']:.2f} | {r['load_p50']:.2f} | {r['load_p95']:.2f} | {r['max_s']:.1f} "
            f"| {r['mb']:.0f} ({r['callback_mb']:.1f}) | {r['cpu_s']:.0f} "
            f"| {r['cpu_per_action']:.2f} | {r['processes']} | {r['hwm_mb']:.0f} | {r['pss_mb']:.0f} "
            f"| {r['limit_warnings']} | {r['other_cpu_s']:.0f} |")
    notes = [
        "",
        f"{args.reports} demo reports, role polis (no users), gated panels on screen: "
        f"{', '.join(sorted(SEEN)) or 'none'} (besides the map and the charts); {args.rounds} rounds of filter change + box "
        f"selection per viewer, think time {args.think[0]:g}–{args.think[1]:g} s, viewers starting over "
        f"{args.ramp:g} s, client timeout {args.timeout:g} s; {os.cpu_count()} CPUs shared by server and clients.",
        "old: " + (" ".join(SETTINGS["old"])) + "; new: serve's defaults" +
        (f" {args.serve_args}" if args.serve_args else "") + "; new-plain: the same with --no-compress. "
        "Pages loaded: viewers whose page load got every answer (the others gave up after an error).",
        "Errors: " + "; ".join(f"{r['setting']}/{r['viewers']}: {', '.join(r['error_kinds'])}"
                               for r in rows if r["errors"]) if any(r["errors"] for r in rows) else "Errors: none.",
        "Interaction: a filter change or a selection, from the event to the last callback answer. Page load: "
        "GET / to the last answer of the load and first-relayout callbacks, cold cache. Other CPU s: what "
        "other processes used meanwhile (the server and the viewers share the machine with them).",
    ]
    return "\n".join(lines + notes) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--settings", nargs="+", default=["old", "new", "new-plain"], choices=list(SETTINGS))
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--think", type=float, nargs=2, default=[5.0, 15.0], metavar=("MIN", "MAX"))
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the viewers arrive")
    parser.add_argument("--timeout", type=float, default=30.0, help="client timeout per request, s")
    parser.add_argument("--max-s", type=float, default=150.0, help="no new interaction after ramp + this, s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seen", nargs="*", default=["indicator-cards"], metavar="PANEL",
                        help="gated panels on the viewers' screens (dashboard/gates.py VISIBLE; 'all' for every "
                             "one); default: the comparison cards, at the top of the page")
    parser.add_argument("--serve-args", default="", help="extra serve options for the new setting")
    parser.add_argument("--out", type=Path, default=OUT / "bench_load.md")
    parser.add_argument("--data", type=Path, help="demo file (default bench/out/load-REPORTS.gpkg, made if missing)")
    args = parser.parse_args()
    global SEEN
    SEEN = frozenset(gates.VISIBLE if gates is not None and "all" in args.seen else args.seen)
    OUT.mkdir(parents=True, exist_ok=True)
    data = args.data or OUT / f"load-{args.reports}.gpkg"
    if not data.exists():
        print(f"writing {data} ...", flush=True)
        subprocess.run(serve_command() + ["demo", "--data", str(data), "--reports", str(args.reports),
                                          "--end", END], check=True, cwd=ROOT)
    rows = []
    for viewers in args.viewers:
        for setting in args.settings:
            print(f"{setting} settings, {viewers} viewers ...", flush=True)
            row = scenario(data, setting, viewers, args)
            print(f"  errors {row['errors']}, stalls {row['stalls']}, POST p95 {row['post_p95']:.2f} s, "
                  f"interaction p95 {row['action_p95']:.2f} s, page load p95 {row['load_p95']:.2f} s, "
                  f"server CPU {row['cpu_s']:.0f} s, client CPU {row['client_cpu_s']:.0f} s, "
                  f"other CPU {row['other_cpu_s']:.0f} s, "
                  f"wall {row['wall_s']:.0f} s", flush=True)
            rows.append(row)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                           cwd=ROOT).stdout.strip()
    text = (f"# Load test ({dt.date.today().isoformat()}, commit {commit or '?'}"
            f"{' with uncommitted changes' if dirty else ''})\n\n"
            f"`python bench/bench_load.py {' '.join(shlex.quote(a) for a in sys.argv[1:])}`\n\n" + table(rows, args))
    args.out.write_text(text)
    (args.out.with_suffix(".json")).write_text(json.dumps(rows, indent=1))
    print("\n" + text)


if __name__ == "__main__":
    main()
