"""The promise panel at 100 000 reports: the follow-up per role computed (what every interaction would
pay without the memo: the naive baseline) beside the Views memo, a card click's view beside the
default view, and /uppfoljning. Medians of several runs.

    .venv/bin/python bench/bench_promise.py [--reports 100000] [--activities 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import statistics
import sys
import tempfile
import time
from dataclasses import replace

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from dashboard.app import create_app  # noqa: E402
from dashboard.data import load  # noqa: E402
from dashboard.filters import default_state  # noqa: E402
from dashboard.promise import follow_up_for_role  # noqa: E402
from layers import open_store  # noqa: E402
from layers.config import load_config  # noqa: E402
from layers.demo import write_demo  # noqa: E402

END = dt.date(2026, 11, 27)


def median_ms(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=2_000)
    args = parser.parse_args()
    path = pathlib.Path(tempfile.mkdtemp()) / "demo.gpkg"
    write_demo(path, seed=7, reports=args.reports, activities=args.activities, end=END)
    store = open_store(path)
    data = load(store, load_config(today=END))
    app = create_app(store, today=lambda: END, data=data)
    views = app._trygghetskarta["views"]
    print(f"{len(data.reports)} reports, {len(data.activities)} activities")
    for role in ("polis", "bra", "allmanhet"):
        share = views.role_data(role)
        public = role == "allmanhet"

        def compute(share=share, public=public):
            return follow_up_for_role(data.config, share, data.activities, END, public_only=public)

        computed = median_ms(compute)
        views.follow_up(role=role)
        memo = median_ms(lambda role=role: views.follow_up(role=role), 20)
        print(f"follow-up {role:9s}: computed {computed:7.1f} ms, from the Views memo {memo:6.3f} ms")
    default = default_state(data)
    chosen = replace(default, commitment="hastighet-gamla-e4")
    for role in ("polis", "bra"):
        plain = median_ms(lambda role=role: views._compute(views._key(default), END, role))
        card = median_ms(lambda role=role: views._compute(views._key(chosen), END, role))
        print(f"view computed, {role:5s}: default {plain:6.1f} ms, a card chosen {card:6.1f} ms")
    client = app.server.test_client()
    client.get("/uppfoljning")
    print(f"/uppfoljning (follow-up in the memo): {median_ms(lambda: client.get('/uppfoljning'), 20):.1f} ms")


if __name__ == "__main__":
    main()
