"""Privacy sweep, attack 3: forged filter stores, through the callbacks and over HTTP after a login.

Forged requests: filter stores the UI never offers (weekday/hour and status for allmanhet,
reversed hours, a hidden layer, periods of a day) through the callbacks and through HTTP
(`/_dash-update-component` after a real login, also under the presentation ceiling
`/view-as`): the gap table never has rows for bra or allmanhet, and allmanhet never gets a
weekday × hour number or the narcotics layer's name.

Part of the adversarial privacy sweep of the newer views (heatmap with presence, gap table, chart
tables, the "where" table with place names, report list, promise and effects) for the reduced roles,
through the real Dash callbacks found by their OUTPUT ids (tests/sweep_harness.py). The three attacks:
test_privacy_sweep_worlds.py, test_privacy_sweep_counts.py, test_privacy_sweep_forged.py.
"""

from __future__ import annotations

import json
import re

import pytest

import tests.privacy_harness as D
from dashboard import gates
from dashboard.app import create_app
from layers.store import open_store
from layers.users import UserStore
from tests import sweep_harness
from tests.sweep_harness import (
    TODAY,
    _outputs,
    dumps,
    filters,
    page,
)
from tests.test_auth import FAST, PW

# The harness's module fixture, bound here so that this module has its own instance.
diff_apps = sweep_harness.diff_apps


# -- 3. forged requests ------------------------------------------------------------------------------

FORGED = [
    {"weekdays": [2], "hours": [22, 22]},
    {"weekdays": [], "hours": [0, 23]},
    {"hours": [23, 0]},
    {"statuses": ["åtgärdad"]},
    {"statuses": []},
    {"layers": ["narkotika", "otrygg_plats", "hastighet", "okänt", "aktivitet"]},
    {"focus_areas": ["narkotika"], "layers": ["narkotika"]},
    {"preset": "custom", "start": "2026-07-14", "end": "2026-07-14"},
    {"preset": "custom", "start": "2026-07-15", "end": "2026-07-14"},
    {"preset": "custom", "start": "2026-07-14T22:00", "end": "2026-07-14T23:00", "weekdays": [1], "hours": [22, 22]},
    {"commitment": "narvaro-helgkvallar", "weekdays": [4], "hours": [20, 22]},
]


#: The forged stores sent over HTTP: weekday/hour, status, a hidden layer, one day, a reversed range, a commitment.
HTTP_FORGED = [FORGED[i] for i in (0, 3, 5, 7, 8, 10)]


def _forged_states(app):
    base = filters(app, "?t=all")
    return [{**base, **f} for f in FORGED]


#: The narcotics layer's names: the public's answers never name it (its activities are counted
#: under their focus area 'Narkotika' for every role, by design: docs/roller.md).
NARCOTICS_LAYER = re.compile(r"Narkotikatips|Narcotics tips|narkotikatips|narcotics tips")


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_forged_filter_stores_never_give_the_gap_table_or_public_weekday_hours(diff_apps, role):
    """Filter stores the UI never sends, straight into every render callback: the gap table is
    exactly the role's note (as for the default view) for bra and allmanhet; allmanhet's heatmap
    has no trace and no digit, its table none either, and no answer names the narcotics layer."""
    app = diff_apps[role]
    n = 0
    for lang in ("sv", "en"):
        note_only = dumps(page(app, {**filters(app, "?t=all"), "lang": lang})["planning-gaps.children"])
        assert "gaps-rows" not in note_only and "gaps-note" in note_only, note_only
        # bra: the gap table alone, in Swedish (its English note is checked for allmanhet's states).
        for state in _forged_states(app)[:: 1 if lang == "sv" else 4 if role == "allmanhet" else 99]:
            out = page(app, {**state, "lang": lang}, groups=("locality", "cell"))
            assert dumps(out["planning-gaps.children"]) == note_only, (state, lang)
            if role == "allmanhet":
                heat = out["chart-when.figure"]
                assert not any(tr.get("type") == "heatmap" for tr in heat.get("data") or []), state
                assert not re.search(r"\d", dumps(heat.get("data") or [])), state
                table = dumps(out["chart-when-table.children"])
                assert "chart-data" not in table and not re.search(r"\d", table), (state, table)
                text = " ".join(dumps(v) for v in out.values())
                assert not NARCOTICS_LAYER.search(text), (state, re.findall(r".{80}arkotikatips.{80}", text)[:2])
            n += 1
    assert n == len(FORGED) + len(FORGED[::4] if role == "allmanhet" else FORGED[::99])


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A copy of the hand-made file with a bra, an allmanhet and a polis user, served with login."""
    path = tmp_path_factory.mktemp("sweep-http") / "users.gpkg"
    D.make_store(path)
    store = open_store(path)
    users = UserStore(store, hasher=FAST)
    users.add("skarm", "bra", PW)
    users.add("publik", "allmanhet", PW)
    users.add("anna", "polis", PW)
    return create_app(store, today=lambda: TODAY)


def _login(app, name):
    from dashboard.auth import CSRF_COOKIE

    client = app.server.test_client()
    page_ = client.get("/login?next=/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page_.get_data(as_text=True)).group(1)
    r = client.post("/login", data={"csrf_token": token, "username": name, "password": PW, "next": "/"})
    assert r.status_code in (302, 303), r.status_code
    client.get("/")
    return client, {"X-CSRFToken": client.get_cookie(CSRF_COOKIE).value}


def _post(client, headers, app, output_id: str, state: dict, extra_inputs=()):
    key, entry = next((k, e) for k, e in app.callback_map.items() if "callback" in e and output_id in _outputs(k))
    # A gated panel's input is its copy of the filter store (dashboard.gates): forged the same.
    filter_ids = {"filters", *(gates.filters_for(p) for p in gates.GATED)}
    inputs = [{"id": i["id"], "property": i["property"], "value": state if i["id"] in filter_ids else None}
              for i in entry["inputs"]]
    for i, value in extra_inputs:
        inputs[i]["value"] = value
    outputs = [{"id": o.split(".")[0], "property": o.split(".", 1)[1]} for o in _outputs(key)]
    body = {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": inputs,
            "changedPropIds": ["filters.data"],
            "state": [{"id": s["id"], "property": s["property"], "value": None} for s in entry.get("state", [])]}
    r = client.post("/_dash-update-component", json=body, headers=headers)
    assert r.status_code in (200, 204), (output_id, r.status_code, r.get_data(as_text=True)[:300])
    return r.get_data(as_text=True)


def test_forged_http_callbacks_after_login_get_no_gap_rows_and_no_public_weekday_hours(served):
    """A real login as the meeting screen (bra) and as the public (allmanhet), then forged
    `/_dash-update-component` bodies: the gap table with a weekday, hour, status and one-day
    store; the charts with weekday/hour and a hidden layer. The session's role decides, not the
    request: bra and allmanhet get the note alone, allmanhet no heatmap number, and no
    narcotics tip's count or word for allmanhet."""
    seen = 0
    for user in ("skarm", "publik"):
        client, headers = _login(served, user)
        for forged in HTTP_FORGED:
            state = {"focus_areas": ["trygghet", "trafik", "narkotika"],
                     "layers": ["otrygg_plats", "hastighet", "narkotika", "aktivitet"], "preset": "all",
                     "start": None, "end": None, "weekdays": list(range(7)), "hours": [0, 23],
                     "actors": ["polis", "kommun", "gemensam"], "statuses": ["ny", "pågående", "åtgärdad"],
                     "selection": None, "mode": "auto", "lang": "sv", "present": False, "commitment": None,
                     "view": None, **forged}
            gaps = _post(client, headers, served, "planning-gaps.children", state)
            assert "gaps-rows" not in gaps and "gaps-note" in gaps, (user, forged, gaps[:300])
            charts = _post(client, headers, served, "chart-when.figure", state)
            if user == "publik":
                body = json.loads(charts)["response"]
                heat = body["chart-when"]["figure"]
                assert not any(tr.get("type") == "heatmap" for tr in heat.get("data") or []), forged
                assert not re.search(r"\d", json.dumps(heat.get("data") or [])), forged
                assert not NARCOTICS_LAYER.search(charts), forged
            else:
                body = json.loads(charts)["response"]
                heat = body["chart-when"]["figure"]
                # bra's grid counts only the points layers it sees exactly (never a narcotics tip).
                assert "Narkotikatips" not in json.dumps(heat.get("data") or []), forged
            seen += 1
    assert seen == 2 * len(HTTP_FORGED)


def test_presentation_ceiling_over_http_hides_the_gap_table_and_never_widens(served):
    """A police user sees the gap table's rows (the control: the HTTP harness sees them at all);
    after `/view-as` bra (the presentation switch on a shared screen) the same session gets the
    note alone, and after allmanhet no weekday × hour number; a bra user asking `/view-as` polis
    still gets the note (a ceiling never raises a role)."""
    state = {"focus_areas": ["trygghet", "trafik", "narkotika"],
             "layers": ["otrygg_plats", "hastighet", "narkotika", "aktivitet"], "preset": "all", "start": None,
             "end": None, "weekdays": list(range(7)), "hours": [0, 23], "actors": ["polis", "kommun", "gemensam"],
             "statuses": ["ny", "pågående", "åtgärdad"], "selection": None, "mode": "auto", "lang": "sv",
             "present": False, "commitment": None, "view": None}
    client, headers = _login(served, "anna")
    assert "gaps-rows" in _post(client, headers, served, "planning-gaps.children", state)
    for ceiling in ("bra", "allmanhet"):
        r = client.post("/view-as", data={"role": ceiling, "next": "/"}, headers=headers)
        assert r.status_code == 303, r.status_code
        gaps = _post(client, headers, served, "planning-gaps.children", state)
        assert "gaps-rows" not in gaps and "gaps-note" in gaps, (ceiling, gaps[:300])
        heat = json.loads(_post(client, headers, served, "chart-when.figure", {**state, "weekdays": [2],
                                                                                "hours": [22, 22]}))
        data = heat["response"]["chart-when"]["figure"].get("data") or []
        assert "Narkotikatips" not in json.dumps(data), ceiling
        if ceiling == "allmanhet":
            assert not re.search(r"\d", json.dumps(data)), data
    client, headers = _login(served, "skarm")
    r = client.post("/view-as", data={"role": "polis", "next": "/"}, headers=headers)
    assert r.status_code == 303, r.status_code
    gaps = _post(client, headers, served, "planning-gaps.children", state)
    assert "gaps-rows" not in gaps and "gaps-note" in gaps, gaps[:300]
