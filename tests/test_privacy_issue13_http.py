"""Adversarial privacy review of the issue-13 views over HTTP (real logins, the Flask test client):
the near-repeat view is absent for bra and allmanhet (layout and forged callbacks, also under the
`/view-as` ceiling), the meeting report's files are served to their own session and role only, and
the caches added for speed (answers per role, filters, day and revision) never hand one role's
answer to another, nor an answer from before an import.

The hand-made data is tests/privacy_harness.py's; the two-world attacks are in tests/test_privacy_issue13.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time

import pytest

import tests.privacy_harness as D
from dashboard import gates
from dashboard.app import create_app
from dashboard.jobs import request_owner
from dashboard.report import jobs
from layers.store import open_store
from layers.users import UserStore
from tests.helpers import report, reports_frame
from tests.test_auth import FAST, PW

USERS = {"skarm": "bra", "publik": "allmanhet", "anna": "polis"}
STATE = {"focus_areas": ["trygghet", "trafik", "narkotika"],
         "layers": ["otrygg_plats", "hastighet", "narkotika", "aktivitet"], "preset": "all", "start": None,
         "end": None, "weekdays": list(range(7)), "hours": [0, 23], "actors": ["polis", "kommun", "gemensam"],
         "statuses": ["ny", "pågående", "åtgärdad"], "selection": None, "mode": "auto", "lang": "sv",
         "present": False, "commitment": None, "view": None}
#: Filter stores a page (or a forger) sends: presets, one day, a month, weekday/hour, status, English.
FORGED = [{}, {"preset": "custom", "start": "2026-07-15", "end": "2026-07-15"},
          {"preset": "custom", "start": "2026-07-01", "end": "2026-07-31"}, {"weekdays": [2], "hours": [22, 22]},
          {"statuses": ["åtgärdad"]}, {"layers": ["narkotika"], "focus_areas": ["narkotika"]}, {"lang": "en"},
          {"preset": "30d"}]
#: The cache attacks ask a few of them (SWEEP_FULL=1: all).
CACHE_FORGED = FORGED if os.environ.get("SWEEP_FULL") == "1" else [FORGED[0], FORGED[1], FORGED[3], FORGED[6]]


def _app(path):
    store = open_store(path)
    users = UserStore(store, hasher=FAST)
    for name, role in USERS.items():
        if users.get(name) is None:
            users.add(name, role, PW)
    app = create_app(store, today=lambda: D.TODAY)
    # The session's job owner as the report callbacks compute it (to start a job for a session).
    app.server.add_url_rule("/_test_owner", "test_owner", lambda: request_owner() or "")
    return app


@pytest.fixture(scope="module")
def data_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("issue13-http") / "users.gpkg"
    D.make_store(path)
    return path


@pytest.fixture(scope="module")
def served(data_path):
    return _app(data_path)


def login(app, name):
    from dashboard.auth import CSRF_COOKIE

    client = app.server.test_client()
    page = client.get("/login?next=/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = client.post("/login", data={"csrf_token": token, "username": name, "password": PW, "next": "/"})
    assert r.status_code in (302, 303), r.status_code
    client.get("/")
    return client, {"X-CSRFToken": client.get_cookie(CSRF_COOKIE).value}


def view_as(client, headers, role):
    r = client.post("/view-as", data={"role": role, "next": "/"}, headers=headers)
    assert r.status_code == 303, r.status_code


def _outputs(key: str) -> list[str]:
    return [p.split("@")[0] for p in (key[2:-2].split("...") if key.startswith("..") else [key])]


#: The gated panels' copies of the filter store: each gets the forged "filters.data".
_GATED = {f"{gates.filters_for(panel)}.data" for panel in gates.GATED}


def post(client, headers, app, output_id: str, values: dict) -> tuple[int, str]:
    """A `/_dash-update-component` request for the callback with `output_id`, its inputs and
    states from `values` (by 'id.property'; None where not given); (status, body)."""
    key, entry = next((k, e) for k, e in app.callback_map.items() if "callback" in e and output_id in _outputs(k))

    def items(specs):
        # A gated panel reads its copy of the filter store (dashboard.gates): forged the same.
        return [{"id": i["id"], "property": i["property"],
                 "value": values.get("filters.data" if f"{i['id']}.{i['property']}" in _GATED
                                     else f"{i['id']}.{i['property']}")}
                for i in specs]

    outputs = [{"id": o.split(".")[0], "property": o.split(".", 1)[1]} for o in _outputs(key)]
    inputs = items(entry["inputs"])
    body = {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"], "state": items(entry.get("state", []))}
    r = client.post("/_dash-update-component", json=body, headers=headers)
    return r.status_code, r.get_data(as_text=True)


# -- 1. near repeat: police only -----------------------------------------------------------------------

def test_near_repeat_absent_for_reduced_roles_in_layout_and_forged_callbacks(served):
    """bra and allmanhet, and a police session under `/view-as` bra or allmanhet: no near-repeat
    section in the layout, and every forged request for its output (each filter store) answers an
    empty section (no number, no table). The police get the table (the control)."""
    sessions = []
    for user in ("skarm", "publik"):
        sessions.append((user, *login(served, user)))
    for ceiling in ("bra", "allmanhet"):
        client, headers = login(served, "anna")
        view_as(client, headers, ceiling)
        sessions.append((f"anna as {ceiling}", client, headers))
    asked = 0
    for who, client, headers in sessions:
        layout = client.get("/_dash-layout").get_data(as_text=True)
        assert "near-repeat" not in layout and "Knox" not in layout, who
        for forged in FORGED:
            status, body = post(client, headers, served, "near-repeat-body.children",
                                {"filters.data": {**STATE, **forged}, "near-repeat.open": True})
            asked += 1
            assert status == 200, (who, forged, status)
            answer = json.loads(body)["response"]["near-repeat-body"]["children"]
            assert answer == [], (who, forged, body[:300])
    client, headers = login(served, "anna")
    assert "near-repeat" in client.get("/_dash-layout").get_data(as_text=True)
    status, body = post(client, headers, served, "near-repeat-body.children", {"filters.data": STATE, "near-repeat.open": True})
    assert status == 200 and "near-repeat-rows" in body, body[:300]
    assert asked == 4 * len(FORGED)


# -- 2. the meeting report's files ----------------------------------------------------------------------

def _fake_done(folder, fd):
    """A launcher that 'makes' the report at once (its role in the file, to see whose it is)."""
    status = jobs.read_status(folder)
    for fmt in jobs.FORMATS:
        (folder / jobs.file_name(status, fmt)).write_text(f"report of {status['role']}", encoding="utf-8")
    jobs.update(folder, state=jobs.DONE, stage="done", pages=1, finished=time.time())


def not_served(response) -> bool:
    """A 404, or the app's page (Dash answers any other path with it): never a job's file or status."""
    data = response.get_data()
    return response.status_code == 404 or (b"report of" not in data and b'"owner"' not in data
                                           and b"_dash-config" in data)


def test_report_files_only_for_their_session_and_never_under_a_narrower_ceiling(served, data_path, monkeypatch):
    """A police user's report: another user's session (bra, allmanhet) gets a 404 for it, its
    poll answers 'gone', forged paths (traversal, other formats, the status file) are 404 and a
    request without login goes to the login page. A report started after `/view-as bra` is bra's,
    and the police report started before the switch is not served while the ceiling is on."""
    monkeypatch.setattr(jobs, "spawn_worker", _fake_done)
    anna, anna_h = login(served, "anna")
    owner = anna.get("/_test_owner").get_data(as_text=True)
    job = jobs.start_report(data_path, "2026-10", "polis", "sv", D.TODAY.isoformat(), owner, launch=_fake_done)
    got = anna.get(f"/lagesbild/{job}/pdf")
    assert got.status_code == 200 and got.data == b"report of polis"
    forged_paths = [f"/lagesbild/{job}/status.json", f"/lagesbild/{job}/..%2fstatus.json", f"/lagesbild/{job}/PDF",
                    f"/lagesbild/{job}%2f..%2f{job}/pdf", f"/lagesbild/..%2f{job}/pdf", "/lagesbild/../pdf",
                    f"/lagesbild/{job.lower()}/pdf", f"/lagesbild/{job}x/pdf", f"/lagesbild/{job[:-1]}/pdf",
                    "/lagesbild/" + "A" * 24 + "/pdf", f"/lagesbild/{job}/worker.log"]
    for path in forged_paths:
        assert not_served(anna.get(path)), path
    asked = len(forged_paths)
    for user in ("skarm", "publik"):
        client, headers = login(served, user)
        for path in (f"/lagesbild/{job}/pdf", f"/lagesbild/{job}/html", *forged_paths):
            assert not_served(client.get(path)), (user, path)
            asked += 1
        status, body = post(client, headers, served, "r-message.children", {"r-poll.n_intervals": 1, "r-job.data": job,
                                                                             "lang.value": "sv"})
        assert status == 200 and "lagesbild/" not in body and "report of" not in body, (user, body[:300])
    stranger = served.server.test_client()
    r = stranger.get(f"/lagesbild/{job}/pdf")
    assert r.status_code in (302, 303) and "/login" in r.headers["Location"], r.status_code
    # The presentation ceiling: the job started now is bra's, and the police one is not served.
    view_as(anna, anna_h, "bra")
    status, body = post(anna, anna_h, served, "r-job.data", {"r-go.n_clicks": 1, "r-period.value": "2026-10",
                                                              "lang.value": "sv"})
    assert status == 200, body[:300]
    ceiling_job = json.loads(body)["response"]["r-job"]["data"]
    assert jobs.report_status(data_path, ceiling_job, owner)["role"] == "bra"
    assert anna.get(f"/lagesbild/{ceiling_job}/pdf").data == b"report of bra"
    assert anna.get(f"/lagesbild/{job}/pdf").status_code == 404
    status, body = post(anna, anna_h, served, "r-message.children", {"r-poll.n_intervals": 1, "r-job.data": job,
                                                                      "lang.value": "sv"})
    assert f"lagesbild/{job}" not in body, body[:300]
    view_as(anna, anna_h, "")
    assert anna.get(f"/lagesbild/{job}/pdf").data == b"report of polis"
    print(f"\n[issue13] report files: {asked} forged or foreign downloads")


# -- 3. caches: roles interleaved, and an import ----------------------------------------------------------

#: (output id, extra inputs) of the views with caches added today, and the older ones they feed.
CACHED = [("map.figure", {}), ("chart-when.figure", {}), ("planning-gaps.children", {}),
          ("where-table.children", {"where-group.value": "locality"}), ("indicator-cards.children", {}),
          ("hotspot-map.figure", {"hs-layer.value": "narkotika", "hotspot-panel.open": True}),
          ("hotspot-map.figure", {"hs-layer.value": None, "hotspot-panel.open": True}),
          ("hotspot-map.figure", {"hs-layer.value": "otrygg_plats", "hotspot-panel.open": True}), ("near-repeat-body.children", {"near-repeat.open": True})]


def _answers(client, headers, app, forged_list) -> dict:
    out = {}
    for n, forged in enumerate(forged_list):
        for output, extra in CACHED:
            status, body = post(client, headers, app, output, {"filters.data": {**STATE, **forged}, "lang.value":
                                                               forged.get("lang", "sv"), **extra})
            assert status == 200, (output, forged, status, body[:200])
            out[(n, output, json.dumps(extra))] = body
    return out


def test_caches_never_serve_one_roles_answer_to_another(served, data_path, tmp_path):
    """On one server, a police session asks first, then bra and allmanhet (and the police session
    under `/view-as`) ask the same: each gets exactly what a fresh server that never saw the police
    answers it (every cached view: map, charts, gap table, where table, cards, hot spots per layer,
    near repeat); the police answers differ from bra's (so a shared cache entry would show)."""
    copy = tmp_path / "fresh.gpkg"
    shutil.copy(data_path, copy)
    fresh = _app(copy)
    anna, anna_h = login(served, "anna")
    police = _answers(anna, anna_h, served, CACHE_FORGED)
    for user, role in (("skarm", "bra"), ("publik", "allmanhet")):
        client, headers = login(served, user)
        mine = _answers(client, headers, served, CACHE_FORGED)
        view_as(anna, anna_h, role)
        ceiling = _answers(anna, anna_h, served, CACHE_FORGED)
        view_as(anna, anna_h, "")
        other, other_h = login(fresh, user)
        expected = _answers(other, other_h, fresh, CACHE_FORGED)
        for key, body in expected.items():
            assert mine[key] == body, (user, key, body[:200], mine[key][:200])
            assert ceiling[key] == body, ("anna as", role, key)
        assert sum(police[k] != mine[k] for k in mine) >= len(CACHE_FORGED), user


def test_caches_after_an_import_answer_from_the_new_data(data_path, tmp_path):
    """bra's answers before an import are cached; after the import (new data revision) every view
    answers as a server started on the new file does, and differs from before (the import is seen)."""
    path = tmp_path / "import.gpkg"
    shutil.copy(data_path, path)
    app = _app(path)
    bra, bra_h = login(app, "skarm")
    anna, anna_h = login(app, "anna")
    forged = CACHE_FORGED[:3]
    _answers(anna, anna_h, app, forged)
    before = _answers(bra, bra_h, app, forged)
    store = open_store(path)
    store.add_reports(reports_frame([
        report(f"new{i}", at=(D.HOK[0] + 5 * i, D.HOK[1]), when=D.when(7, 15 + i, 21)) for i in range(6)]))
    app._trygghetskarta["views"].reload(store)  # what an import or an edit does (a new revision)
    _answers(anna, anna_h, app, forged)
    after = _answers(bra, bra_h, app, forged)
    fresh = _app(path)
    other, other_h = login(fresh, "skarm")
    expected = _answers(other, other_h, fresh, forged)
    assert after == expected
    assert sum(before[k] != after[k] for k in after) >= len(forged)
