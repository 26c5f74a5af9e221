"""Adversarial review of the promise follow-up (issue 11) for the reduced roles bra and allmanhet.

Leaks found (these tests fail on the code they were written against):

* which promise every view shows is chosen with `has_data(..., role=None)` (`dashboard.data.load`
  -> `store.current_config()`, `follow-up` without --period): one narcotics tip (or one report of
  a cells-mode layer) dated in the new promise's open period switches /uppfoljning — a page
  without login — to the new promise, so the page tells 0 from 1..k-1 for the open period;
* a URL `c=ID` naming a commitment of a focus area the role does not see (narcotics for
  allmanhet) is accepted: the activities it selects are matched on their exact place, which
  allmanhet never gets for narcotics activities;
* `follow-up --role allmanhet` lists the commitments of a hidden focus area (done per place);
* a commitment with weekdays/hours selects activities by their exact weekday and hour for
  allmanhet, whose activity times are cut to the month.

Properties that held (these pass): /uppfoljning reads nothing but `lang` (no role, period, date,
commitment or session changes it); commitment filters combined with selections, layer sets and
periods only ever show whole published units (nested views never differ by 1..k-1); the follow-up's
release numbers for any --at and promise start are exact whole-block counts whose nested
differences are 0 or >= k; no effect is computed on a cells-mode layer for bra.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import geopandas as gpd
import pandas as pd
import pytest

import tests.test_differencing as D
from dashboard.app import create_app
from dashboard.data import load
from dashboard.filters import default_state, from_query
from layers import GeoPackageStore, open_store
from layers.config import loads_config
from layers.privacy import policy
from layers.promises import import_promise, read_promise_file
from layers.release_store import current_release
from layers.role_followup import role_follow_up, store_follow_up
from tests.helpers import SKILLINGARYD, VAGGERYD, activity, report, reports_frame

K = 5
HEAD = '''[promise]
kommun = "0665"
start = {start}
end = {end}
[[focus_area]]
id = "trygghet"
name_sv = "Trygghet"
color = "#E69F00"
layers = ["otrygg_plats"]
[[focus_area]]
id = "trafik"
name_sv = "Trafik"
color = "#0072B2"
layers = ["hastighet"]
[[focus_area]]
id = "narkotika"
name_sv = "Narkotika"
color = "#CC79A7"
layers = ["narkotika"]
promise = false
'''


def _commitment(cid, focus, kind, actor, extra=""):
    return (f'[[commitment]]\nid = "{cid}"\nfocus_area = "{focus}"\ntext_sv = "{cid}"\nactor = "{actor}"\n'
            f'kind = "{kind}"\ntarget = 2\n{extra}')


def _square(point, half):
    from geodata import to_wgs84

    xs = [point[0] - half, point[0] + half, point[0] + half, point[0] - half, point[0] - half]
    ys = [point[1] - half, point[1] - half, point[1] + half, point[1] + half, point[1] - half]
    lon, lat = to_wgs84(xs, ys)
    return "[[" + ", ".join(f"[{a:.6f}, {b:.6f}]" for a, b in zip(lon, lat, strict=True)) + "]]"


PROMISE = HEAD.format(start="2026-01-01", end="2026-12-31") + "\n".join([
    _commitment("narinf-all", "narkotika", "informationsinsats", "kommun"),
    _commitment("narinf-vag", "narkotika", "informationsinsats", "kommun", 'place = "Vaggeryd"\n'),
    _commitment("narinf-hok", "narkotika", "informationsinsats", "kommun", 'place = "Hok"\n'),
    _commitment("narinf-odd", "narkotika", "informationsinsats", "kommun",
                'place = ["Skillingaryd", "Klevshult"]\nperiod = {start = 2026-04-15, end = 2026-07-10}\n'),
    _commitment("narinf-sq", "narkotika", "informationsinsats", "kommun",
                f'[commitment.area]\ntype = "Polygon"\ncoordinates = {_square(D.HOK, 300)}\n'),
    _commitment("try-ski", "trygghet", "närvaro/patrull", "polis", 'place = "Skillingaryd"\n'),
    _commitment("try-we", "trygghet", "närvaro/patrull", "polis",
                'place = "Skillingaryd"\nweekdays = ["fredag", "lördag"]\nhours = [18, 24]\n'),
    _commitment("try-sqv", "trygghet", "närvaro/patrull", "polis",
                f'period = {{start = 2026-05-02, end = 2026-09-03}}\n[commitment.area]\ntype = "Polygon"\n'
                f'coordinates = {_square(D.VAGGERYD, 900)}\n'),
])

#: A Friday evening and a Tuesday morning patrol in Skillingaryd in April (besides the Sunday one).
EXTRA_ACTIVITIES = [
    activity(40, at=SKILLINGARYD, planned="2026-04-10T20:00:00+02:00", done="2026-04-10T22:00:00+02:00"),
    activity(41, at=SKILLINGARYD, planned="2026-04-14T10:00:00+02:00", done="2026-04-14T12:00:00+02:00"),
]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """tests/test_differencing.py's hand-made store (exact counts known) and two more patrols."""
    store = D.make_store(tmp_path_factory.mktemp("followup-privacy") / "s.gpkg")
    store.add_activities(gpd.GeoDataFrame(EXTRA_ACTIVITIES, geometry="geometry", crs="EPSG:3006"))
    return store.path


@pytest.fixture(scope="module")
def config():
    return loads_config(PROMISE, today=D.TODAY)


@pytest.fixture(scope="module")
def apps(small, config):
    return {role: create_app(open_store(small), role=role, today=lambda: D.TODAY,
                             data=load(open_store(small), config)) for role in ("bra", "allmanhet")}


def _views(app):
    return app._trygghetskarta["views"]


def _activities(app, role, search):
    views = _views(app)
    state = from_query(search, default_state(views.data), views.data)
    return views.get(state, role).activities


# -- leaks ------------------------------------------------------------------------------------------

def _promise_file(folder, name, start, end):
    path = folder / name
    path.write_text(HEAD.format(start=start, end=end), encoding="utf-8")
    return read_promise_file(path)


@pytest.mark.parametrize("layer", ["narkotika", "otrygg_plats"])
def test_uppfoljning_does_not_tell_whether_the_open_period_has_a_report(tmp_path, layer):
    """Two stored promises, the new one begun three days ago, no activity in it yet: one report
    (a narcotics tip; or an unsafe place, a cells layer for allmanhet) dated in the new period must
    not change what the public page shows. The real clock is used: `dashboard.data.load` picks
    the promise with `dt.date.today()`."""
    today = dt.date.today()
    new_start = today - dt.timedelta(days=3)
    old_end = new_start - dt.timedelta(days=1)
    leads = []
    for n in (0, 1):
        folder = tmp_path / f"n{n}"
        folder.mkdir()
        old = _promise_file(folder, "old.toml", old_end - dt.timedelta(days=364), old_end)
        store = GeoPackageStore.create(folder / "f.gpkg", config=old.config)
        import_promise(store, _promise_file(folder, "new.toml", new_start, new_start + dt.timedelta(days=364)))
        rows = [report(f"o{i}", at=VAGGERYD, when=f"{old_end - dt.timedelta(days=30 + i)}T18:00:00+01:00")
                for i in range(20)]
        focus = {"narkotika": "narkotika", "otrygg_plats": "trygghet"}[layer]
        rows += [report(f"n{i}", layer=layer, focus=focus, when=f"{new_start + dt.timedelta(days=1)}T22:00:00+01:00")
                 for i in range(n)]
        store.add_reports(reports_frame(rows))
        app = create_app(open_store(store.path), today=lambda: today)
        page = app.server.test_client().get("/uppfoljning").get_data(as_text=True)
        leads.append(re.search(r"vad vi lovade för (\S+ – \S+)", page).group(1))
    assert leads[0] == leads[1], (f"/uppfoljning shows the promise {leads[0]} with no {layer} report in the open "
                                  f"period and {leads[1]} with one: it tells 0 from 1..{K - 1}")


def test_allmanhet_url_commitment_of_a_hidden_focus_area_selects_nothing_by_place(apps):
    """Narcotics are hidden for allmanhet and their activities have no place for it; `c=` naming a
    narcotics commitment with a place must not select those activities by their exact place
    (today: 2 in all, 1 'in Vaggeryd', 1 'in Hok', 1 in a 600 m square at Hok)."""
    app = apps["allmanhet"]
    counts = {c: len(_activities(app, "allmanhet", f"?c={c}")) for c in ("narinf-all", "narinf-vag", "narinf-hok",
                                                                          "narinf-sq")}
    assert len(set(counts.values())) == 1, counts


def test_follow_up_for_allmanhet_leaves_out_commitments_of_hidden_focus_areas(small, config):
    view = store_follow_up(open_store(small), "allmanhet", D.TODAY, config=config, today=D.TODAY)
    assert [a["id"] for a in view.result["focus_areas"]] == ["trygghet", "trafik"]
    hidden = [(r["id"], r["done"]) for r in view.result["commitments"] if r["focus_area"] == "narkotika"]
    assert hidden == [], f"allmanhet's follow-up lists narcotics commitments done per place: {hidden}"


def test_allmanhet_commitment_filter_does_not_pick_activities_by_weekday_and_hour(apps):
    """allmanhet sees activity times to the month (weekday and hour -1). The Skillingaryd patrols of
    April (Sunday evening, Friday evening, Tuesday morning) all read '2026-04'; the weekend-evening
    commitment must not tell which one was the Friday evening."""
    app = apps["allmanhet"]
    share = _views(app).role_data("allmanhet")
    assert set(share.activities["weekday"]) == {-1}
    every = _activities(app, "allmanhet", "?c=try-ski")
    weekend = _activities(app, "allmanhet", "?c=try-we")
    assert len(every) == 3
    assert len(weekend) in (0, len(every)), (
        f"c=try-we shows {len(weekend)} of the {len(every)} month-precision patrols: the Friday-evening one")


# -- properties that hold ------------------------------------------------------------------------------

def test_uppfoljning_reads_nothing_but_lang(apps):
    client = apps["bra"].server.test_client()
    ref = client.get("/uppfoljning").get_data(as_text=True)
    for query in ("?role=polis", "?role=admin", "?at=2026-03-01", "?period=2025", "?c=narinf-vag", "?k=1",
                  "?fa=narkotika", "?ly=narkotika", "?t=custom&from=2026-11-01&to=2026-11-26", "?lang=xx",
                  "?public_only=0"):
        response = client.get("/uppfoljning" + query)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        assert response.get_data(as_text=True) == ref, query
    assert "narkotika" not in ref.lower()
    assert client.get("/uppfoljning?lang=en").get_data(as_text=True) != ref


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_commitment_filters_never_difference_a_cells_layer_below_k(apps, config, role):
    """Every commitment (places, a polygon, an odd period) with and without a map selection and
    the role's cells layers only, against the same view without the commitment over its period:
    every figure and every per-key difference of nested views is 0 or >= k."""
    app = apps[role]
    periods = {c.id: (c.period_start, c.period_end) for c in config.commitments}
    ids = [c.id for c in config.commitments if role == "bra" or c.focus_area != "narkotika"]
    sels = [None, {"type": "locality", "name": "Vaggeryd"}, {"type": "locality", "name": "Hok"},
            {"type": "locality", "name": "Skillingaryd"}]
    obs = {}
    for c, ly, sel in itertools.product(ids, ("", D.LY[role]), sels):
        obs[(c, ly, json.dumps(sel))] = D.observe(app, role, f"?c={c}{ly}", sel)
    for p, ly, sel in itertools.product(set(periods.values()), ("", D.LY[role]), sels):
        obs[(p, ly, json.dumps(sel))] = D.observe(app, role, D.custom(p[0], p[1], ly), sel)
    pairs = []
    for c, ly, sel in itertools.product(ids, ("", D.LY[role]), sels):
        s = json.dumps(sel)
        pairs += [((c, ly, s), (periods[c], ly, s)), ((c, ly, s), (c, ly, "null")),
                  ((c, ly, s), (periods[c], ly, "null"))]
        if c.startswith("narinf-") and c != "narinf-all" and periods[c] == periods["narinf-all"]:
            pairs.append(((c, ly, s), ("narinf-all", ly, s)))
    found = [(a, b, D.violations(obs[a], obs[b])[:3]) for a, b in pairs if D.violations(obs[a], obs[b])]
    assert not found, found[:3]
    # The sweep saw the cells layers (else it would prove nothing).
    assert any(v for o in obs.values() for k, v in o.items() if k[0] in ("map", "spridda", "bar"))


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_follow_up_release_numbers_are_whole_blocks_for_every_at_and_start(small, role):
    """`follow-up --at D` for every day of a promise starting on several month firsts and an odd
    day: each release number is the exact count of whole published blocks, never 1..k-1, and any
    two for nested windows differ by 0 or >= k."""
    store = open_store(small)
    reports = store.read_table("reports")
    activities = store.read_table("activities")
    release = current_release(store, role, D.TODAY, reports=reports)
    pol = policy(role, store.config.privacy, store.config.layers)
    local = pd.to_datetime(reports["occurred_at"], utc=True, format="ISO8601").dt.tz_convert(D.TZ).dt.date
    layers = {"trygghet": ["otrygg_plats"], "trafik": ["hastighet"], "narkotika": ["narkotika"]}

    def shift(day, months):
        i = day.year * 12 + day.month - 1 + months
        return dt.date(i // 12, i % 12 + 1, 1)

    seen: dict[tuple, int] = {}
    for start in (dt.date(2025, 7, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 4, 1),
                  dt.date(2026, 4, 15)):
        end = shift(start, 12) - dt.timedelta(days=1)
        cfg = loads_config(HEAD.format(start=start, end=end), today=D.TODAY)
        at = start
        while at <= min(end, D.TODAY):
            view = role_follow_up(cfg, reports, activities, at, pol, release, kommun="0665")
            for row in view.result["focus_areas"]:
                if view.sources.get(row["id"]) != "release" or row["reports"] is None:
                    continue
                first, last = view.windows[row["id"]]
                months = (last.year - first.year) * 12 + last.month - first.month + 1
                spans = {"reports": (first, last + dt.timedelta(days=1)),
                         "reports_previous": (shift(first, -months), first),
                         "reports_last_year": (shift(first, -12), shift(last + dt.timedelta(days=1), -12))}
                for key, (a, b) in spans.items():
                    if row[key] is None:
                        continue
                    exact = int((reports["layer"].isin(layers[row["id"]]) & (local >= a) & (local < b)).sum())
                    assert row[key] == exact, (start, at, row["id"], key)
                    assert row[key] == 0 or row[key] >= K
                    seen[(row["id"], a, b)] = row[key]
            at += dt.timedelta(days=1)
    assert len(seen) >= 4
    for (x, nx), (y, ny) in itertools.combinations(seen.items(), 2):
        if x[0] == y[0] and ((x[1] <= y[1] and y[2] <= x[2]) or (y[1] <= x[1] and x[2] <= y[2])):
            assert nx == ny or abs(nx - ny) >= K, (x, nx, y, ny)


def test_no_effect_on_narcotics_for_bra_and_none_for_allmanhet(small, config):
    store = open_store(small)
    bra = store_follow_up(store, "bra", D.TODAY, config=config, today=D.TODAY)
    public = store_follow_up(store, "allmanhet", D.TODAY, config=config, today=D.TODAY)
    assert all(e.place.focus_area != "narkotika" for e in bra.effects)
    assert public.result["effects"] == [] and public.effects == []
    assert bra.sources["narkotika"] == "release"
