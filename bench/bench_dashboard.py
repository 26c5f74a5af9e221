"""Benchmark: server time and response size of the dashboard's filter and selection interactions.

For demo stores of 10 000, 100 000 and 1 000 000 reports it measures (median of N runs):
- the filter interaction (a focus-area change: state callback + map + charts + where table),
- the selection interaction (a box over Skillingaryd: the same chain),
- the bytes of the JSON responses Dash would send,
and, side by side, a naive version that rebuilds `px.scatter_map` of all filtered points.

    python bench/bench_dashboard.py [--sizes 10000 100000 1000000] [--runs 5] [--role polis|bra|allmanhet]

The role decides what the callbacks build (exact points, or cells and suppressed counts).

`--replay` instead replays over HTTP, in this process (Flask's test client, no sockets), the
exact callback sequence a Chromium page sends (bench/bench_load.py's dash-renderer model: the
page load with its first relayout, a focus-area change, a box selection), for each `--roles`
at `--sizes`, several page runs (each a new browser, so the default view is served from the
render cache after the first, as for real viewers), and prints per callback the requests and
CPU seconds per page run and the cProfile top functions by cumulative time; the profiles go
to bench/out/replay-ROLE-N.prof and the summary to bench/out/bench_dashboard-replay.md:

    python bench/bench_dashboard.py --replay [--sizes 100000] [--roles polis bra] [--pages 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import statistics
import sys
import time
from contextvars import copy_context
from pathlib import Path

import plotly.express as px
from dash._callback_context import context_value
from dash._utils import AttributeDict
from plotly.utils import PlotlyJSONEncoder

# `--tree DIR` replays another checkout's app (e.g. `git archive fae3a1b | tar -x -C DIR`) with
# this file's replay: the same page model measures both.
_TREE = sys.argv[sys.argv.index("--tree") + 1] if "--tree" in sys.argv[:-1] else None
sys.path.insert(0, str(Path(_TREE).resolve() if _TREE else Path(__file__).resolve().parents[1]))

from bench_load import ACCEPT_ENCODING, Page, decode, id_key  # noqa: E402

from dashboard.app import create_app  # noqa: E402
from dashboard.filters import FilterState, default_state, report_mask  # noqa: E402
from layers import open_store  # noqa: E402
from layers.demo import write_demo  # noqa: E402

END = dt.date(2026, 11, 27)
OUT = Path(__file__).parent / "out"
SKILLINGARYD_BOX = {"range": {"map": [[14.06, 57.445], [14.12, 57.41]]}, "points": []}


def callbacks(app):
    return {entry["callback"].__name__: entry["callback"].__wrapped__ for entry in app.callback_map.values()}


def call(fn, prop_id, *args):
    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": None}]))
        return fn(*args)

    return copy_context().run(run)


def size(value) -> int:
    return len(json.dumps(value, cls=PlotlyJSONEncoder).encode("utf-8"))


def interaction(cbs, app, prop_id, current, **change):
    """One user action: the state callback, then every callback its new filters trigger."""
    data = app._trygghetskarta["data"]
    default = default_state(data)
    state = FilterState.from_dict(current) if current else default
    focus = change.get("focus", list(state.focus_areas))
    out = call(cbs["sync_state"], prop_id, "", focus, list(state.layers), state.preset, None, None,
               list(state.weekdays), list(state.hours), list(state.actors), list(state.statuses), state.mode,
               state.lang, 0, 0, 0, change.get("selected"), None, None, None, None, current, None)
    filters = out[12] if isinstance(out[12], dict) else current
    responses = [out]
    responses.append(call(cbs["render_map"], "filters.data", filters, None, None))
    responses.append(call(cbs["render_charts"], "filters.data", filters))
    responses.append(call(cbs["render_where"], "filters.data", filters, "locality"))
    responses.append(call(cbs["render_report_list"], "filters.data", filters))
    return filters, sum(size(r) for r in responses)


def naive(data, filters_dict):
    """What a first version would do: a fresh px.scatter_map of every filtered point."""
    state = FilterState.from_dict(filters_dict)
    rows = data.reports[report_mask(data, state, END)]
    fig = px.scatter_map(rows, lat="lat", lon="lon", color="layer",
                         hover_data=["category", "local_time"], map_style="white-bg")
    return size(fig.to_plotly_json())


def timed(fn, runs):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def bench(n: int, runs: int, role: str = "polis") -> dict:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"demo-{n}.gpkg"
    if not path.exists():
        start = time.perf_counter()
        write_demo(path, seed=1, reports=n, activities=400, end=END)
        print(f"  generated {n} reports in {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    store = open_store(path)
    app = create_app(store, today=lambda: END, role=role)
    load_s = time.perf_counter() - start
    cbs = callbacks(app)
    data = app._trygghetskarta["data"]
    base, _ = interaction(cbs, app, ".", None)
    # Alternate between two focus-area choices so no cached result is reused.
    choices = [["trygghet", "trafik"], ["trafik", "narkotika"]]
    counter = {"i": 0}

    def filter_action():
        counter["i"] += 1
        return interaction(cbs, app, "f-focus.value", base, focus=choices[counter["i"] % 2])

    filter_ms, (_, filter_bytes) = timed(filter_action, runs)

    def selection_action():
        counter["i"] += 1
        box = json.loads(json.dumps(SKILLINGARYD_BOX))
        box["range"]["map"][0][0] -= counter["i"] * 1e-5  # a new box each time: no cache hits
        return interaction(cbs, app, "map.selectedData", base, selected=box)

    select_ms, (_, select_bytes) = timed(selection_action, runs)
    naive_ms, naive_bytes = timed(lambda: naive(data, base), runs)
    return {
        "reports": n, "load_s": load_s, "file_bytes": path.stat().st_size,
        "filter_ms": filter_ms, "filter_bytes": filter_bytes,
        "select_ms": select_ms, "select_bytes": select_bytes,
        "naive_ms": naive_ms, "naive_bytes": naive_bytes,
    }


# -- replay of a page's callbacks over HTTP, in process -------------------------------------

class TestBrowser:
    """bench_load.Browser's interface on Flask's test client: requests run at once, in this
    thread, and each callback POST's CPU time is booked under its output."""

    def __init__(self, app, book: dict):
        self.client = app.server.test_client()
        self.book = book
        self.requests = 0
        self.phase = ""  # what the booked requests count for ("" books nothing)

    def fetch(self, method, path, body=None, kind="get"):
        headers = {"Accept": "*/*", "Accept-Encoding": ACCEPT_ENCODING}
        if method == "POST":
            cookie = self.client.get_cookie("_csrf_token")
            headers.update({"Content-Type": "application/json", "X-CSRFToken": cookie.value if cookie else "",
                            "Origin": "http://localhost"})
        start = time.process_time()
        response = self.client.open("/" + path, method=method, data=body, headers=headers)
        cpu = time.process_time() - start
        self.requests += 1
        data = response.get_data()
        sent = len(data)
        if response.status_code == 200 and data:
            data = decode(data, response.headers.get("Content-Encoding"))
        if method == "POST" and self.phase:
            name = json.loads(body)["output"]
            entry = self.book.setdefault(name, {}).setdefault(
                self.phase, {"requests": 0, "cpu_s": 0.0, "bytes": 0, "json": 0, "empty": 0})
            entry["requests"] += 1
            entry["cpu_s"] += cpu
            entry["bytes"] += sent
            entry["json"] += len(data)
            # 204: every output no_update (Dash answers a callback that updates nothing so)
            entry["empty"] += response.status_code == 204
        return response.status_code, data, sent

    def submit(self, method, path, body=None, kind="get"):
        from concurrent.futures import Future

        fut = Future()
        fut.set_result(self.fetch(method, path, body, kind))
        return fut


def replay_page(app, book: dict, step: int) -> tuple[int, dict]:
    """One viewer's page: load (+ the map's first relayout), a focus change, a box selection.
    Returns the requests sent and the page's CPU seconds per phase; `book` (when not None)
    gets each callback's requests, CPU and bytes per phase."""
    browser = TestBrowser(app, book if book is not None else {})
    phases = {}
    booked = book is not None
    browser.phase = "load" if booked else ""
    start = time.process_time()
    status, _, _ = browser.fetch("GET", "")
    assert status == 200, status
    layout = json.loads(browser.fetch("GET", "_dash-layout")[1])
    deps = json.loads(browser.fetch("GET", "_dash-dependencies")[1])
    page = Page(browser, layout, deps, frozenset({"indicator-cards"}))  # the top of the page (bench_load)
    assert page.run(initial=True)
    assert page.run({page.set("map", "relayoutData", {"autosize": True})})
    phases["load"] = time.process_time() - start
    browser.phase = "filter" if booked else ""
    focus = list(page.props[id_key("f-focus")]["value"])
    # Each page run another focus-area choice (none the default): no cached answer is reused.
    choices = [list(c) for r in range(len(focus) - 1, 0, -1) for c in itertools.combinations(focus, r)]
    start = time.process_time()
    assert page.run({page.set("f-focus", "value", choices[step % len(choices)])})
    phases["filter"] = time.process_time() - start
    browser.phase = "select" if booked else ""
    shift = step * 1e-4
    box = [[SKILLINGARYD_BOX["range"]["map"][0][0] - shift, 57.445], [14.12 + shift, 57.41 - shift / 2]]
    start = time.process_time()
    assert page.run({page.set("map", "selectedData", {"points": [], "range": {"map": box}})})
    phases["select"] = time.process_time() - start
    return browser.requests, phases


def replay(n: int, role: str, pages: int, top: int = 25) -> str:
    import cProfile
    import io
    import pstats
    import shutil

    OUT.mkdir(exist_ok=True)
    source = OUT / f"demo-{n}.gpkg"
    if not source.exists():
        write_demo(source, seed=1, reports=n, activities=400, end=END)
    # A copy (other bench runs may migrate or write theirs); another tree writes its own demo.
    path = OUT / (f"replay-{n}.gpkg" if _TREE is None else f"replay-{Path(_TREE).name}-{n}.gpkg")
    if _TREE is not None and not path.exists():
        write_demo(path, seed=1, reports=n, activities=400, end=END)
    if not path.exists():
        shutil.copy(source, path)
    try:  # as `serve` runs it: callback answers compressed for browsers that accept it
        app = create_app(open_store(path), today=lambda: END, role=role, compress=True)
    except TypeError:  # a tree from before compression
        app = create_app(open_store(path), today=lambda: END, role=role)
    book: dict = {}
    profile = cProfile.Profile(time.process_time)  # CPU time: a busy machine does not inflate it
    totals = {"load": [], "filter": [], "select": []}
    requests = []
    for step in range(pages + 1):
        # The first page builds the role's frames and the default view's answers (cached for
        # every later viewer): timed apart, neither profiled nor booked per callback.
        if step:
            profile.enable()
        sent, phases = replay_page(app, book if step else None, step)
        if step:
            profile.disable()
        requests.append(sent)
        for k, v in phases.items():
            totals[k].append(v)
    prof_path = OUT / f"replay-{role}-{n}{'-' + Path(_TREE).name if _TREE else ''}.prof"
    profile.dump_stats(prof_path)
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(top)
    lines = [f"## role {role}, {n} reports: a first page, then {pages} page runs (load + filter change + "
             "box selection)", "",
             f"requests per page run: {statistics.median(requests):.0f} (GET /, layout, dependencies and "
             "callback POSTs; no static files)", "",
             "| phase | CPU s, first page | CPU s, median of the others |", "|---|---|---|"]
    for k, v in totals.items():
        lines.append(f"| {k} | {v[0]:.3f} | {statistics.median(v[1:]):.3f} |")
    lines.append(f"| whole page | {sum(v[0] for v in totals.values()):.3f} "
                 f"| {sum(statistics.median(v[1:]) for v in totals.values()):.3f} |")
    lines += ["", "Per callback, per page run after the first: requests per phase (in brackets those answered "
              "204, nothing to update), CPU s per phase, KB sent (compressed) and as JSON:", "",
              "| callback output | load | filter | select | CPU s load | CPU s filter | CPU s select "
              "| KB sent / page | KB JSON / page |",
              "|---|---|---|---|---|---|---|---|---|"]
    phases = ("load", "filter", "select")

    def cell(e, k, key):
        return e.get(k, {}).get(key, 0)

    for name, e in sorted(book.items(), key=lambda kv: -sum(v["cpu_s"] for v in kv[1].values())):
        short = name if len(name) < 90 else name[:87] + "..."
        counts = " | ".join(f"{cell(e, k, 'requests') / pages:.0f}" +
                            (f" ({cell(e, k, 'empty') / pages:.0f})" if cell(e, k, "empty") else "") for k in phases)
        cpu = " | ".join(f"{cell(e, k, 'cpu_s') / pages:.3f}" for k in phases)
        kb = sum(cell(e, k, "bytes") for k in phases) / pages / 1e3
        kb_json = sum(cell(e, k, "json") for k in phases) / pages / 1e3
        lines.append(f"| `{short}` | {counts} | {cpu} | {kb:.1f} | {kb_json:.1f} |")
    per_phase = {k: sum(cell(e, k, "requests") for e in book.values()) / pages for k in phases}
    lines.append("| **callback POSTs** | " + " | ".join(f"{per_phase[k]:.0f}" for k in phases) + " | | | | | |")
    lines += ["", f"cProfile, top {top} by cumulative time (all page runs; {prof_path.name}):", "", "```",
              stream.getvalue().strip(), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--role", default="polis", choices=["polis", "bra", "allmanhet", "admin"])
    parser.add_argument("--replay", action="store_true", help="replay a page's callbacks over HTTP, profiled")
    parser.add_argument("--roles", nargs="+", default=["polis", "bra"])
    parser.add_argument("--pages", type=int, default=3, help="page runs per role in --replay")
    parser.add_argument("--top", type=int, default=25, help="cProfile lines in --replay")
    parser.add_argument("--tree", help="replay the app of another checkout (its dashboard and layers)")
    args = parser.parse_args()
    if args.replay:
        parts = [replay(n, role, args.pages, args.top) for n in (args.sizes or [100_000]) for role in args.roles]
        text = "# Callback replay (bench/bench_dashboard.py --replay)\n\n" + "\n".join(parts)
        name = "bench_dashboard-replay" + (f"-{Path(args.tree).name}" if args.tree else "") + ".md"
        (OUT / name).write_text(text)
        print(text)
        return
    args.sizes = args.sizes or [10_000, 100_000, 1_000_000]
    header = (f"{'reports':>9} {'load s':>7} {'file MB':>8} {'filter ms':>10} {'filter B':>10} "
              f"{'select ms':>10} {'select B':>10} {'naive ms':>9} {'naive B':>11} {'bytes ratio':>11}")
    rows = []
    for n in args.sizes:
        print(f"size {n} ...", flush=True)
        rows.append(bench(n, args.runs, args.role))
    print(f"\nrole {args.role}, median of {args.runs} runs per cell\n" + header)
    for r in rows:
        print(f"{r['reports']:>9} {r['load_s']:>7.1f} {r['file_bytes'] / 1e6:>8.1f} {r['filter_ms']:>10.0f} "
              f"{r['filter_bytes']:>10} {r['select_ms']:>10.0f} {r['select_bytes']:>10} {r['naive_ms']:>9.0f} "
              f"{r['naive_bytes']:>11} {r['naive_bytes'] / r['filter_bytes']:>11.1f}")


if __name__ == "__main__":
    main()
