"""The planning panel's near-repeat summary (dashboard/near_repeat_view.py): the police see the Knox
counts of five reports worked out by hand; bra and allmanhet get neither the section in their page
nor anything from its callback, also when they ask for it."""

import json
from dataclasses import replace

import pandas as pd
import pytest

from dashboard.app import create_app
from dashboard.filters import default_state
from layers import GeoPackageStore, open_store
from tests.dash_fixtures import TODAY, callback
from tests.helpers import VAGGERYD, report, reports_frame

DAY0 = pd.Timestamp("2026-10-05T20:00:00+02:00")
#: As tests/test_analysis_near_repeat.py: 4 pairs close in space (≤ 200 m), 3 close in time
#: (≤ 7 days), 1 close in both of 10 pairs, 1.2 expected; every shuffle keeps one (p = 1).
FIVE = [(0, 0, 0), (100, 0, 3), (0, 150, 20), (1000, 0, 1), (1100, 0, 30)]


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    path = tmp_path_factory.mktemp("near_repeat_view") / "n.gpkg"
    store = GeoPackageStore.create(path)
    rows = [report(i, at=(VAGGERYD[0] + dx, VAGGERYD[1] + dy), when=(DAY0 + pd.Timedelta(days=d)).isoformat())
            for i, (dx, dy, d) in enumerate(FIVE)]
    rows += [report(9, layer="hastighet", focus="trafik", at=VAGGERYD, when=DAY0.isoformat())]
    store.add_reports(reports_frame(rows))
    return path


def answer(app, lang="sv"):
    data = app._trygghetskarta["data"]
    state = replace(default_state(data), preset="all", lang=lang)
    return json.dumps(callback(app, "render_near_repeat")(state.to_dict(), True),
                      default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o),
                      ensure_ascii=False)


def page_layout(app) -> str:
    return app.server.test_client().get("/_dash-layout").get_data(as_text=True)


def test_the_police_see_the_knox_counts_per_layer(path):
    app = create_app(open_store(path), role="polis", today=lambda: TODAY)
    assert '"near-repeat"' in page_layout(app)
    text = answer(app)
    # layer, reports, close pairs, expected, ratio, p, verdict
    assert "| Otrygga platser | 5 | 1 | 1,2 | 0,83 | 1,00 | inget tydligt |" in text, text
    # One speed complaint: too few for the test, said so.
    assert "| Hastighetsklagomål | 1 |  |  |  |  | för få rapporter för testet (minst 3) |" in text, text
    assert "Det är inte ett bevis för orsak" in text
    english = answer(app, "en")
    assert "| Unsafe places | 5 | 1 | 1.2 | 0.83 | 1.00 | not clear |" in english, english


@pytest.mark.parametrize("role", ["bra", "allmanhet"])
def test_reduced_roles_get_no_section_and_no_answer(path, role):
    app = create_app(open_store(path), role=role, today=lambda: TODAY)
    layout = page_layout(app)
    assert "planning-gaps" in layout  # the control: the page is there
    assert "near-repeat" not in layout and "Near repeat" not in layout
    assert answer(app) == "[]"  # a forged request: nothing, not even the lead


def test_the_closed_section_computes_nothing(path):
    """The section is closed on load; its callback answers only once it is opened."""
    from dash import no_update

    app = create_app(open_store(path), role="polis", today=lambda: TODAY)
    assert '"open": false' in page_layout(app).replace('"open":false', '"open": false')
    state = replace(default_state(app._trygghetskarta["data"]), preset="all")
    assert callback(app, "render_near_repeat")(state.to_dict(), False) is no_update
