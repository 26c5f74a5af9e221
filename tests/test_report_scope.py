"""The lägesbild for the page's filters: a focus area, layers and a map selection narrow every count
(exact numbers on hand-made data), the cover says which filters in words, the button passes the
page's filters to the job, and a small selection never gives a reduced role a count below k."""

import datetime as dt
import re

import numpy as np
import pytest

from dashboard.app import create_app
from dashboard.data import load
from dashboard.report import ReportError, make_report
from dashboard.report.content import build_content
from dashboard.report.period import parse_period
from dashboard.report.render import render_html
from dashboard.report.scope import Scope, scope_of
from geodata import cell_index, to_wgs84
from layers import GeoPackageStore
from tests.dash_fixtures import TODAY, call, callback, small_store
from tests.helpers import SKILLINGARYD, VAGGERYD, report, reports_frame


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    store = small_store(tmp_path_factory.mktemp("scope") / "small.gpkg")
    data = load(store)
    app = create_app(store, today=lambda: TODAY, data=data)
    return store, data, app._trygghetskarta["views"]


def content_for(small, role="polis", period="2026-11", lang="sv", **scope):
    _store, data, views = small
    return build_content(data, views.get, views.policy(role), parse_period(period), lang, TODAY,
                         with_figures=False, scope=Scope(**scope))


def test_one_focus_area_counts_only_it(small):
    content = content_for(small, focus_areas=("trafik",))
    # Traffic only: 2 speed complaints in Vaggeryd in November (1–27), none the same days of
    # October or of November 2025; 3 this year (one in May), none in 2025; 1 speed check done.
    assert content.summary == [
        "Alla rapporter: 2 rapporter i november 2026 t.o.m. 27 november, inga i oktober 2026 på samma dagar.",
        "Alla rapporter: 2 rapporter i november 2026 t.o.m. 27 november, inga i november 2025 på samma dagar.",
        "Alla rapporter: 3 rapporter från 1 januari t.o.m. 27 november 2026, inga under samma dagar 2025.",
        "Trafik: 2 rapporter i november 2026 t.o.m. 27 november, inga i oktober 2026 på samma dagar.",
        "Aktiviteter i november 2026: 1 genomförda, 0 planerade.",
    ]
    assert [s.id for s in content.sections] == ["trafik"]
    assert content.sections[0].reports == 2 and content.sections[0].done == [("hastighetskontroll", 1)]
    assert content.scope == ["Fokusområden: Trafik"]


def test_a_layer_and_a_locality_narrow_it_further(small):
    # The unsafe-places layer in Skillingaryd: its 5 November reports (the 2 in Hok are a year ago).
    content = content_for(small, layers=("otrygg_plats",), selection={"type": "locality", "name": "Skillingaryd"})
    assert [s.id for s in content.sections] == ["trygghet"]
    assert content.summary[0] == ("Alla rapporter: 5 rapporter i november 2026 t.o.m. 27 november, inga i oktober"
                                  " 2026 på samma dagar.")
    assert content.scope == ["Lager: Otrygga platser", "Urval: Skillingaryd"]
    # Vaggeryd has no unsafe place: the same layer there says 0 of its own.
    vaggeryd = content_for(small, layers=("otrygg_plats", "hastighet"), selection={"type": "locality", "name": "Vaggeryd"})
    assert [(s.id, s.reports) for s in vaggeryd.sections] == [("trygghet", 0), ("trafik", 2)]


def test_no_scope_is_the_whole_municipality(small):
    whole = content_for(small)
    assert whole.scope == ["Hela kommunen: alla fokusområden och lager rollen ser"]
    assert whole.summary[0].startswith("Alla rapporter: 8 rapporter i november 2026")
    assert content_for(small, lang="en").scope == ["The whole municipality: every focus area and layer the role sees"]


def test_filters_that_leave_nothing_are_one_clear_line(small):
    with pytest.raises(ReportError, match="the filters choose no focus area or layer the role allmanhet may see"):
        content_for(small, role="allmanhet", period="2026-Q4", focus_areas=("narkotika",))
    with pytest.raises(ReportError, match=r"no reports or activities the role polis may see in 2026-11 .* in the "
                                          r"chosen filters; choose another period or wider filters"):
        content_for(small, selection={"type": "locality", "name": "Hok"})


def test_the_page_filters_as_a_scope(small):
    from dashboard.filters import default_state

    _store, data, _views = small
    state = default_state(data)
    assert scope_of(state, data).whole  # the page on its defaults: the whole municipality
    from dataclasses import replace

    narrowed = scope_of(replace(state, focus_areas=("trafik",), selection={"type": "cell", "id": "x"}), data)
    assert narrowed.to_dict() == {"focus_areas": ["trafik"], "layers": None, "selection": {"type": "cell", "id": "x"}}
    # A forged job status: unknown names dropped, a selection of the wrong shape is none.
    forged = Scope.from_dict({"focus_areas": ["trafik", "<script>"], "layers": ["nope"], "selection": {"type": 1}}, data)
    assert forged == Scope(("trafik",), (), None)


def test_the_cover_says_the_filters(small):
    content = content_for(small, focus_areas=("trafik",))
    html = render_html(content, {})
    assert re.search(r"<dt>Urval</dt><dd class=\"scope\">Fokusområden: Trafik</dd>", html)


def test_the_file_for_one_focus_area_names_only_it(small, tmp_path):
    """The HTML file (figures drawn by Chromium) for the traffic filter: its cover, contents and
    sections name traffic only, with its numbers."""
    store, _data, _views = small
    made = make_report(store.path, "2026-11", "polis", "sv", tmp_path / "r.html", today=TODAY,
                       scope=Scope(focus_areas=("trafik",)).to_dict())
    text = re.sub(r"<svg.*?</svg>", "", made.path.read_text(encoding="utf-8"), flags=re.S)
    assert "Fokusområden: Trafik" in text and "Trafik: 2 rapporter i november 2026" in text
    assert "Trygghet" not in text and "Narkotika" not in text
    assert text.count('<section class="area"') == 1


def test_the_button_sends_the_pages_filters(small, monkeypatch):
    from dashboard.report import jobs

    store, data, _views = small
    app = create_app(store, today=lambda: TODAY, data=data, role="polis")
    started = []
    monkeypatch.setattr(jobs, "start_report", lambda *a, **kw: started.append(kw["scope"]) or "j" * 24)
    monkeypatch.setattr("dashboard.callbacks_report.request_owner", lambda: "owner")
    from dashboard.filters import default_state

    state = {**default_state(data).to_dict(), "focus_areas": ["trafik"], "layers": ["hastighet", "aktivitet"]}
    job, poll_off, _message = call(callback(app, "report_start"), "r-go.n_clicks", 1, "2026-11", "sv", state)
    assert (job, poll_off) == ("j" * 24, False)
    assert started == [{"focus_areas": ["trafik"], "layers": ["hastighet"], "selection": None}]


# -- a small selection for bra: never a count below k -----------------------------------------------

CELL = 500
OCT = "2026-10-{:02d}T21:00:00+02:00"


def _centre(ix, iy):
    return ((ix + 0.5) * CELL, (iy + 0.5) * CELL)


def _square(x, y, half):
    lon, lat = to_wgs84(np.array([x - half, x + half, x + half, x - half]),
                        np.array([y - half, y - half, y + half, y + half]))
    return {"type": "polygon", "coords": [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """October 2026 near Skillingaryd: 6 narcotics tips in cell A (published to bra, k = 5), 2 in
    cell B three cells east (below k: never published as a cell), 3 at Vaggeryd, and 1 unsafe
    place beside B."""
    ix, iy = (int(v[0]) for v in cell_index(np.array([SKILLINGARYD[0]]), np.array([SKILLINGARYD[1]]), CELL))
    a, b = _centre(ix, iy), _centre(ix + 3, iy)
    rows = [report(f"a{n}", layer="narkotika", focus="narkotika", at=a, when=OCT.format(n + 2)) for n in range(6)]
    rows += [report(f"b{n}", layer="narkotika", focus="narkotika", at=(b[0] + 20 * n, b[1]), when=OCT.format(n + 10))
             for n in range(2)]
    # 3 more at Vaggeryd: with B's 2 the remainder holds 5 (≥ k), so A is published as its own cell.
    rows += [report(f"v{n}", layer="narkotika", focus="narkotika", at=VAGGERYD, when=OCT.format(n + 20))
             for n in range(3)]
    rows.append(report("u", at=(b[0] + 60, b[1] + 60), when=OCT.format(20)))
    store = GeoPackageStore.create(tmp_path_factory.mktemp("tiny") / "t.gpkg")
    store.add_reports(reports_frame(rows))
    today = dt.date(2026, 11, 10)  # October is published
    app = create_app(store, today=lambda: today, data=load(store))
    return app._trygghetskarta["views"], a, b, today


def _narcotics(tiny, role, selection):
    views, _a, _b, today = tiny
    content = build_content(views.data, views.get, views.policy(role), parse_period("2026-10"), "sv", today,
                            with_figures=False, scope=Scope(selection=selection))
    return content, next(s for s in content.sections if s.id == "narkotika")


def test_a_tiny_selection_gives_bra_no_count_below_k(tiny):
    _views, a, b, _today = tiny
    around_b = _square(b[0] + 30, b[1], 120)  # B's 2 tips and the unsafe place, not B's centre… nor any cell's
    police, narc = _narcotics(tiny, "polis", around_b)
    assert narc.reports == 2  # the police see the 2 tips
    bra, narc = _narcotics(tiny, "bra", around_b)
    # bra: B is no published cell, so the selection holds no narcotics count at all (not 1, not 2).
    assert narc.reports == 0 and narc.places == []
    numbers = {int(n) for line in bra.summary + narc.comparisons
               for n in re.findall(r"(\d+) rapport", line)}
    assert numbers <= {0, 1}, bra.summary  # 1: the unsafe place, a points layer bra sees as a point
    narcotic_lines = [line for line in bra.summary + narc.comparisons if line.startswith("Narkotika")]
    assert narcotic_lines and all(not re.search(r"\b[1-4] rapport", line) for line in narcotic_lines)
    # A selection around A's centre gets A whole: its 6 (≥ k).
    _content, narc = _narcotics(tiny, "bra", _square(*a, 200))
    assert narc.reports == 6
