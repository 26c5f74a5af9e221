"""The roles of issue 14 and the rule that only counted reports reach any view, on hand-made data.

The role order: moderator and bra are not in a line, so a ceiling is the per-field meet (every
pair checked). A pending report is absent from every role's counts, map, charts, tables,
exports and releases, and present in the moderation queue of moderator/polis/admin; an approval
for a closed period enters at the release's next revision."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from itertools import product

import pandas as pd
import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard.app import create_app
from dashboard.auth import narrower_role
from dashboard.export import export
from dashboard.filters import default_state
from layers import GeoPackageStore
from layers.imports.sources.resident_form import insert_intake_report
from layers.moderation import Moderator, approve, queue
from layers.privacy import (
    ALLMANHET,
    BRA,
    CELLS,
    EXACT,
    HIDDEN,
    HOUR,
    MODERATOR,
    POINTS,
    RAPPORTOR,
    ROLES,
    covers,
    policy,
    policy_meet,
    role_meet,
)
from layers.release_store import current_release
from tests.dash_fixtures import call, callback
from tests.helpers import SKILLINGARYD, VAGGERYD, report, reports_frame

PENDING_TEXT = "VÄNTANDE rapport om Storgatan 3"
TODAY = dt.date(2026, 11, 27)

#: role_meet(row, column) for every pair, in ROLES order (polis, bra, allmanhet, admin, moderator, rapportor).
MEET = {
    "polis": ["polis", "bra", "allmanhet", "polis", "moderator", "rapportor"],
    "bra": ["bra", "bra", "allmanhet", "bra", "allmanhet", "rapportor"],
    "allmanhet": ["allmanhet"] * 5 + ["rapportor"],
    "admin": ["polis", "bra", "allmanhet", "admin", "moderator", "rapportor"],
    "moderator": ["moderator", "allmanhet", "allmanhet", "moderator", "moderator", "rapportor"],
    "rapportor": ["rapportor"] * 6,
}


def test_the_new_roles_policies():
    mod = policy(MODERATOR)
    assert dict(mod.layers) == {"otrygg_plats": POINTS, "hastighet": POINTS, "narkotika": HIDDEN}
    assert (mod.free_text, mod.time_precision, mod.manage_users, mod.manage_data) == (True, EXACT, False, False)
    assert not mod.exact  # narcotics hidden: no id, no near repeat, no gaps table
    rap = policy(RAPPORTOR)
    assert set(rap.layers.values()) == {HIDDEN} and not rap.free_text
    assert rap.visible_layers() == ()


@pytest.mark.parametrize("a, b", list(product(ROLES, ROLES)))
def test_the_ceiling_of_every_pair_is_the_widest_role_below_both(a, b):
    got = role_meet(a, b)
    assert got == MEET[a][ROLES.index(b)] == role_meet(b, a) == narrower_role(a, b)
    # Never more than either: the meet shows nothing a or b does not.
    assert covers(policy(a), policy(got)) and covers(policy(b), policy(got))
    # And it is the widest such role: every role below both is below it.
    for other in ROLES:
        if covers(policy(a), policy(other)) and covers(policy(b), policy(other)):
            assert covers(policy(got), policy(other)), (a, b, other)


def test_the_field_meet_of_moderator_and_bra_and_the_role_it_gives():
    meet = policy_meet(policy(MODERATOR), policy(BRA))
    # Strictest per field: narcotics hidden (moderator), no free text and hours (bra).
    assert dict(meet.layers) == {"hastighet": POINTS, "narkotika": HIDDEN, "otrygg_plats": POINTS}
    assert (meet.free_text, meet.time_precision) == (False, HOUR)
    # No named role is that meet; the session gets the widest one below it: allmanhet.
    assert meet.role == ALLMANHET
    assert covers(meet, policy(ALLMANHET)) and not covers(meet, policy(BRA)) and not covers(meet, policy(MODERATOR))
    assert policy(ALLMANHET).mode("otrygg_plats") == CELLS


# -- only counted reports reach a view ---------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = GeoPackageStore.create(tmp_path_factory.mktemp("intake") / "i.gpkg", kommun="0665")
    # Six staff entries in August (a closed quarter for allmanhet, a closed month for bra), and
    # five on speeding: a quarter with fewer than k in a layer of the role's would not be published.
    store.add_reports(reports_frame([report(i, when=f"2026-08-{10 + i:02d}T18:30:00+02:00") for i in range(6)]
                                    + [report(f"h{i}", layer="hastighet", focus="trafik", at=VAGGERYD,
                                              when=f"2026-08-{10 + i:02d}T07:30:00+02:00") for i in range(5)]))
    base = report(0, when="2026-08-20T18:30:00+02:00", description=PENDING_TEXT)
    for i, state in enumerate(("väntar", "väntar", "avvisad", "godkänd")):
        insert_intake_report(store, {**base, "id": f"r-{i}", "moderation": state, "ref": f"VGR-2026-AAAAAAA{i + 2}"})
    return store


def frames_of(store, role):
    app = create_app(store, role=role, today=lambda: TODAY)
    views = app._trygghetskarta["views"]
    state = dataclasses.replace(default_state(views.data), preset="all")
    return app, views, views.get(state, role), state.to_dict()


@pytest.mark.parametrize("role", ["polis", "admin", "moderator", "bra", "allmanhet"])
def test_every_role_counts_the_staff_entries_and_the_approved_report_only(store, role):
    app, views, frames, filters = frames_of(store, role)
    assert frames.total == 12
    assert len(frames.points) == (0 if role == "allmanhet" else 12)
    text = json.dumps([call(callback(app, "render_map"), "filters.data", filters, None, None),
                       call(callback(app, "render_charts"), "filters.data", filters),
                       call(callback(app, "render_where"), "filters.data", filters, "locality"),
                       call(callback(app, "render_report_list"), "filters.data", filters)],
                      cls=PlotlyJSONEncoder, ensure_ascii=False)
    # The pending ones' text is nowhere; the approved one shares it, and the dashboard's report
    # list shows text to polis and admin only (a moderator reads it in the queue).
    assert ("VÄNTANDE" in text) == (role in ("polis", "admin"))
    for pending in ("r-0", "r-1", "r-2"):
        assert f'"{pending}"' not in text


def test_the_release_of_allmanhet_counts_seven_unsafe_places_for_the_quarter(store):
    release = current_release(store, ALLMANHET, TODAY, audit=False)
    counts = release.counts[release.counts["layer"] == "otrygg_plats"]
    assert int(counts["count"].sum()) == 7


@pytest.mark.parametrize("role", ["polis", "bra"])
def test_exports_carry_the_counted_reports_only(store, tmp_path, role):
    out = export(store, tmp_path / f"{role}.csv", "csv", role=role, today=TODAY)
    rows = pd.read_csv(out.files[0], sep=";", encoding="utf-8-sig")
    assert len(rows) == 12
    assert (rows["layer"] == "otrygg_plats").sum() == 7
    if "id" in rows.columns:
        assert sorted(rows.loc[rows["layer"] == "otrygg_plats", "id"]) == \
            ["r-3", "t-0", "t-1", "t-2", "t-3", "t-4", "t-5"]


def test_the_queue_holds_the_two_pending_for_moderator_polis_admin(store):
    for role in ("moderator", "polis", "admin"):
        assert queue(store, Moderator.of("x", role))["id"].tolist() == ["r-0", "r-1"]


def test_an_approval_for_a_closed_month_enters_at_the_next_revision_and_only_as_k_or_more(tmp_path):
    """bra sees the narcotics layer as monthly cells from its release: EST reporters'
    'droghantering observerad' reports wait; once approved they are late reports."""
    store = GeoPackageStore.create(tmp_path / "r.gpkg", kommun="0665")
    tip = dict(layer="narkotika", focus="narkotika", at=SKILLINGARYD)
    store.add_reports(reports_frame([report(i, when=f"2026-10-{10 + i:02d}T21:00:00+02:00", **tip)
                                     for i in range(5)]))
    for i in range(6):
        insert_intake_report(store, {**report(0, when=f"2026-10-{10 + i:02d}T22:00:00+02:00", **tip),
                                     "id": f"est-{i}", "source": "est", "reporter": "erik", "moderation": "väntar"})

    def october(today):
        release = current_release(store, BRA, today, audit=False)
        counts = release.counts[release.counts["layer"] == "narkotika"]
        blocks = [i for i, b in enumerate(release.blocks) if b.start <= dt.date(2026, 10, 1) < b.end]
        return int(counts.loc[counts["block"].isin(blocks), "count"].sum()), release.version

    first, version = october(dt.date(2026, 11, 15))
    assert first == 5  # the staff tips only
    polis = Moderator.of("per", "polis")
    approve(store, polis, "est-0")
    # Not due yet: the published figure stays; then the next revision: 1 more is below k, held back.
    assert october(dt.date(2026, 11, 16)) == (5, version)
    assert october(dt.date(2026, 12, 2))[0] == 5
    for i in range(1, 6):
        approve(store, polis, f"est-{i}")
    # The revision after that: +6 ≥ k, so October's cell shows 11.
    assert october(dt.date(2027, 1, 2))[0] == 11


# -- the panel and the rapportör's dashboard, per role ------------------------------------------

@pytest.mark.parametrize("role, shown", [("polis", True), ("admin", True), ("moderator", True), ("bra", False),
                                         ("allmanhet", False)])
def test_only_moderating_roles_get_the_panel_and_an_answer(store, role, shown):
    app = create_app(store, role=role, today=lambda: TODAY)
    layout = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    assert ('"mod-panel"' in layout) == shown
    out = call(callback(app, "open_queue"), "mod-summary.n_clicks", 1, "mod-body", "sv")
    if shown:
        text = json.dumps(out, default=str, ensure_ascii=False)
        assert "Moderering (2 väntar)" in text and text.count("className='mod-card'") == 2
    else:
        from dash import no_update

        assert out == (no_update, no_update)


def test_a_rapportor_is_sent_to_est_and_gets_no_dashboard_answer(store):
    app = create_app(store, role=RAPPORTOR, today=lambda: TODAY)
    client = app.server.test_client()
    page = client.get("/")
    assert page.status_code == 302 and page.headers["Location"].endswith("/est")
    for path in ("/_dash-layout", "/_dash-dependencies"):
        answer = client.get(path)
        assert answer.status_code == 403 and answer.get_json()["error"] == "the role rapportor has no dashboard"
    assert client.post("/_dash-update-component", json={}).status_code in (400, 403)


def test_a_moderator_never_gets_a_narcotics_tip_its_text_or_its_place(tmp_path):
    import geopandas as gpd

    from tests.helpers import activity

    store = GeoPackageStore.create(tmp_path / "n.gpkg", kommun="0665")
    store.add_reports(reports_frame([
        report("n", layer="narkotika", focus="narkotika", when="2026-11-20T21:37:00+01:00",
               description="NARKOTIKA-HEMLIS Storgatan 7"),
        report("o", when="2026-11-21T18:00:00+01:00", description="Mörkt vid busshållplatsen"),
    ]))
    store.add_activities(gpd.GeoDataFrame([activity("h", focus="narkotika", kind="narkotikainsats",
                                                    planned="2026-11-22T06:00:00+01:00",
                                                    done="2026-11-22T07:00:00+01:00")],
                                          geometry="geometry", crs="EPSG:3006"))
    app, views, frames, filters = frames_of(store, MODERATOR)
    assert frames.points["layer"].tolist() == ["otrygg_plats"] and frames.total == 1
    assert frames.activities["lon"].isna().all()  # a raid's pin would point at the tip behind it
    text = json.dumps([call(callback(app, "render_map"), "filters.data", filters, None, None),
                       call(callback(app, "render_charts"), "filters.data", filters),
                       call(callback(app, "render_where"), "filters.data", filters, "locality"),
                       call(callback(app, "render_report_list"), "filters.data", filters)],
                      cls=PlotlyJSONEncoder, ensure_ascii=False)
    layout = app.server.test_client().get("/_dash-layout").get_data(as_text=True)
    assert "HEMLIS" not in text
    assert "HEMLIS" not in layout
    # The layer is not offered (the focus area stays in the promise's list, disabled, as for allmanhet).
    from tests.test_dashboard_roles import component

    assert [o["value"] for o in component(layout, "f-layers")["options"]] == ["otrygg_plats", "hastighet", "aktivitet"]
    out = tmp_path / "mod.csv"
    export(store, out, "csv", role=MODERATOR, today=TODAY)
    rows = pd.read_csv(out, sep=";", encoding="utf-8-sig")
    assert rows["layer"].tolist() == ["otrygg_plats"] and rows["description"].tolist() == ["Mörkt vid busshållplatsen"]


def test_logged_in_a_rapportor_lands_on_est_and_a_moderator_under_a_bra_server_is_allmanhet(store, tmp_path):
    import re
    import shutil

    from dashboard.auth import CSRF_COOKIE
    from layers.users import UserStore
    from tests.test_auth import FAST, PW

    # A copy: users turn the login on for every app made from the file afterwards.
    shutil.copy(store.path, tmp_path / "users.gpkg")
    store = GeoPackageStore(tmp_path / "users.gpkg")
    users = UserStore(store, hasher=FAST)
    users.add("erik", RAPPORTOR, PW)
    users.add("mona", MODERATOR, PW)

    def login(app, name):
        client = app.server.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/login?next=/").get_data(as_text=True)).group(1)
        answer = client.post("/login", data={"csrf_token": token, "username": name, "password": PW, "next": "/"})
        assert answer.status_code == 303
        return client

    app = create_app(store, today=lambda: TODAY)
    client = login(app, "erik")
    landed = client.get("/", follow_redirects=True)
    assert landed.request.path == "/est" and landed.status_code == 200
    assert client.get("/_dash-layout").status_code == 403

    client = login(app, "mona")
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert '"mod-panel"' in layout
    headers = {"X-CSRFToken": client.get_cookie(CSRF_COOKIE).value}
    # Presentation mode cannot narrow to the rapportör's no-dashboard.
    assert client.post("/view-as", data={"role": RAPPORTOR, "next": "/"}, headers=headers).status_code == 400

    capped = create_app(store, role=BRA, today=lambda: TODAY)
    client = login(capped, "mona")
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert '"mod-panel"' not in layout  # allmanhet: no free text, so no queue
    assert capped._trygghetskarta["auth"].effective_role(MODERATOR) == ALLMANHET
