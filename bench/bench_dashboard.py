"""Benchmark: server time and response size of the dashboard's filter and selection interactions.

For demo stores of 10 000, 100 000 and 1 000 000 reports it measures (median of N runs):
- the filter interaction (a focus-area change: state callback + map + charts + where table),
- the selection interaction (a box over Skillingaryd: the same chain),
- the bytes of the JSON responses Dash would send,
and, side by side, a naive version that rebuilds `px.scatter_map` of all filtered points.

    python bench/bench_dashboard.py [--sizes 10000 100000 1000000] [--runs 5] [--role polis|bra|allmanhet]

The role decides what the callbacks build (exact points, or cells and suppressed counts).
"""

from __future__ import annotations

import argparse
import datetime as dt
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--role", default="polis", choices=["polis", "bra", "allmanhet", "admin"])
    args = parser.parse_args()
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
