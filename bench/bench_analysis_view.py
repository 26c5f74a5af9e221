"""The dashboard's analysis parts at demo size and 100 000 reports: the indicator cards (eight
windows, each a role view) and the hot-spot map of one layer, computed fresh (what each
interaction would pay without the memo) beside a naive baseline and the memo's answer.

* cards: ``indicator_cards`` with the role's view cache emptied before each run (every window
  computed from the role's data, release already loaded) beside a naive count of the same
  windows straight from the exact reports (numpy on the day keys: what a role-blind version
  would do, and what reduced roles may not do) and the render memo's answer;
* hot spots: ``hotspot_view`` on the role's frames (Gi* with exact p, no sampled permutations),
  and the render callback on a memo hit (the figure rebuilt from the memo's Gi* result).

Medians of several runs.

    .venv/bin/python bench/bench_analysis_view.py [--reports 3000 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import sys
import tempfile

from timing import median_s  # bench/timing.py (scripts run as python bench/NAME.py)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

END = dt.date(2026, 11, 27)
EPOCH = dt.date(1970, 1, 1)


def naive_counts(data, windows, layers):
    day = data.reports["day_key"].to_numpy()
    kind = data.reports["layer"].astype(str).to_numpy()
    out = {}
    for pair in windows:
        for a, b in pair:
            keep = (day >= (a - EPOCH).days) & (day <= (b - EPOCH).days)
            out[a, b] = {lid: int((keep & (kind == lid)).sum()) for lid in layers}
    return out


def bench_cards(app, data, state, role, runs):
    from dashboard.analysis_view import comparisons, indicator_cards
    from tests.dash_fixtures import call, callback

    views = app._trygghetskarta["views"]
    views.role_data(role)  # the role's data and release loaded once, as a running server has them

    def fresh():
        views._views.clear()  # every window's role view computed again
        return indicator_cards(lambda s: views.get(s, role), state, data, END)

    cards_s, _ = median_s(fresh, runs)
    layers = tuple(data.config.layers)
    windows = [(c.current, c.base) for c in comparisons(lambda s: views.get(s, role), state, data, END, layers)]
    naive_s, _ = median_s(lambda: naive_counts(data, windows, layers), runs)
    render = callback(app, "render_indicators")
    call(render, "filters.data", state.to_dict())
    memo_s, _ = median_s(lambda: call(render, "filters.data", state.to_dict()), runs)
    print(f"  cards {role:5s}: fresh {cards_s * 1000:7.1f} ms · naive exact count {naive_s * 1000:6.2f} ms"
          f" · memo {memo_s * 1000:6.2f} ms")


def bench_hotspots(app, data, state, role, layer, runs):
    from dashboard.hotspot_view import hotspot_state, hotspot_view

    views = app._trygghetskarta["views"]
    frames = views.get(hotspot_state(state, layer, data), role)
    hot_s, view = median_s(lambda: hotspot_view(frames, layer, data), runs)
    print(f"  hot spots {role:5s} {layer:12s}: Gi* {hot_s * 1000:7.1f} ms ({view.source}, "
          f"{int((view.cells['class'] != 'ns').sum())} significant of {len(view.cells)} cells)")


def bench_size(n, runs):
    from dashboard.app import create_app
    from dashboard.data import load
    from dashboard.filters import default_state
    from layers import open_store
    from layers.config import load_config
    from layers.demo import write_demo
    from tests.dash_fixtures import call, callback

    path = pathlib.Path(tempfile.mkdtemp()) / "demo.gpkg"
    write_demo(path, seed=7, reports=n, activities=400, end=END)
    store = open_store(path)
    data = load(store, load_config(today=END))
    state = default_state(data)
    print(f"{len(data.reports)} reports")
    for role in ("polis", "bra"):
        app = create_app(store, today=lambda: END, data=data, role=role)
        bench_cards(app, data, state, role, runs)
        for layer in ("narkotika", "otrygg_plats"):
            bench_hotspots(app, data, state, role, layer, runs)
        render = callback(app, "render_hotspots")
        call(render, "filters.data", state.to_dict(), "narkotika", True)
        memo_s, _ = median_s(lambda render=render: call(render, "filters.data", state.to_dict(), "narkotika", True), runs)
        print(f"  hot-spot callback {role}, memo hit: {memo_s * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[3000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for n in args.reports:
        bench_size(n, args.runs)


if __name__ == "__main__":
    main()
