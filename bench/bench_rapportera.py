"""What the residents' form costs per submission, and what its abuse checks add: a POST to
`/rapportera` through the real app (size bound, honeypot, signed token, the per-address and
global counters in the data file, the fields, the insert, the audit entry) beside a naive
baseline, `submit_public_report` alone (the fields and the insert, no limits, no token, no
audit); also a refused (429) submission and a status page. Each submission comes from its own
address so no limit refuses the timed ones. Medians of several runs.

    .venv/bin/python bench/bench_rapportera.py [--runs 30]
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys
import tempfile

from timing import median_s  # bench/timing.py (scripts run as python bench/NAME.py)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

FIELDS = {"what": "otrygg_plats|belysning", "place": "Vaggeryd|stationen", "description": "Mörkt vid perrongen."}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from dashboard.app import create_app
    from layers import GeoPackageStore
    from layers.imports.sources.resident_form import submit_public_report
    from layers.users import UserStore
    from tests.test_auth import FAST, PW

    folder = pathlib.Path(tempfile.mkdtemp(prefix="bench-rapportera-"))
    store = GeoPackageStore.create(folder / "b.gpkg")
    UserStore(store, hasher=FAST).add("anna", "polis", PW)
    app = create_app(store)
    counter = iter(range(1_000_000))

    def client(address=None):
        c = app.server.test_client()
        n = next(counter)
        c.environ_base["REMOTE_ADDR"] = address or f"10.1.{n // 250}.{n % 250}"
        return c

    def token(c):
        page = c.get("/rapportera").get_data(as_text=True)
        return re.search(r'name="form_token" value="([^"]+)"', page).group(1)

    prepared = []

    def prepare():
        c = client()
        prepared.append((c, token(c)))

    for _ in range(args.runs):
        prepare()

    def full():
        c, tok = prepared.pop()
        r = c.post("/rapportera", data={"form_token": tok, "lang": "sv", **FIELDS})
        assert r.status_code == 200, r.status_code
        return r

    def naive():
        ref, errors = submit_public_report(store, {"layer": "otrygg_plats", "category": "belysning",
                                                   "place": "Vaggeryd|stationen", "description": "x"})
        assert ref and not errors
        return ref

    flood = client("10.9.9.9")
    for _ in range(20):
        assert flood.post("/rapportera", data={"form_token": token(flood), **FIELDS}).status_code == 200
    flood_tokens = [token(flood) for _ in range(args.runs)]

    def refused():
        r = flood.post("/rapportera", data={"form_token": flood_tokens.pop(), **FIELDS})
        assert r.status_code == 429
        return r

    ref = re.search(r'id="rapp-ref-number">([^<]+)<', full().get_data(as_text=True)).group(1)
    prepare()
    status_client = client()

    def status():
        r = status_client.get(f"/rapportera/status/{ref}")
        assert r.status_code == 200
        return r

    form_client = client()
    rows = [
        ("GET /rapportera (the form)", median_s(lambda: form_client.get("/rapportera"), args.runs)[0]),
        ("POST /rapportera (all checks, insert, audit)", median_s(full, args.runs)[0]),
        ("naive: submit_public_report alone", median_s(naive, args.runs)[0]),
        ("POST refused with 429 (limits only)", median_s(refused, args.runs)[0]),
        ("GET /rapportera/status/REF", median_s(status, args.runs)[0]),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"median of {args.runs} runs")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
