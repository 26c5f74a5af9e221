"""The Effekt view: before/after charts per evaluated place agree with the follow-up's counts, and roles
see effects only on layers they see as points."""

import datetime as dt

import numpy as np
import pytest

from dashboard.app import create_app
from dashboard.callbacks_promise import effect_panels
from dashboard.data import load
from dashboard.figures_followup import effect_figure, monthly, zone_masks
from layers import open_store
from layers.config import load_config
from tests.conftest import END
from tests.test_promise_view import texts


@pytest.fixture(scope="module")
def views(demo_path):
    store = open_store(demo_path)
    app = create_app(store, today=lambda: END, data=load(store, load_config(today=END)))
    return app._trygghetskarta["views"]


def window_count(frame, mask, first: dt.date, days: int) -> int:
    day = frame["day_key"].to_numpy()
    start = (first - dt.date(1970, 1, 1)).days
    return int((mask & (day >= start) & (day < start + days)).sum())


def test_zones_reproduce_every_evaluated_count(views):
    follow_up = views.follow_up(role="polis")
    evaluated = [e for e in follow_up.effects if e.before_start is not None]
    assert evaluated, "the demo has places to evaluate"
    points = views.role_data("polis").points
    names = views.data.localities["name"].tolist()
    places = [e.place for e in follow_up.effects]
    for e in evaluated:
        masks = zone_masks(points, e, places, names)
        got = [window_count(points, masks[z], first, e.window_days)
               for z in ("treated", "control", "buffer") for first in (e.before_start, e.place.start)]
        assert got == [e.before, e.after, e.control_before, e.control_after, e.buffer_before, e.buffer_after], \
            e.place.name


def test_effect_figure_months_start_and_estimate(views):
    follow_up = views.follow_up(role="polis")
    e = next(x for x in follow_up.effects if x.result is not None)
    points = views.role_data("polis").points
    names = views.data.localities["name"].tolist()
    places = [x.place for x in follow_up.effects]
    figure = effect_figure(e, points, places, names, END, "sv")
    assert [t["name"] for t in figure["data"]] == ["Platsen", "Jämförelseområdet", "Ringen runt platsen"]
    months = figure["data"][0]["x"]
    assert months[0] == e.before_start.replace(day=1).isoformat() and months[-1] == "2026-11-01"
    line = figure["layout"]["shapes"][0]
    assert line["x0"] == line["x1"] == e.place.start.isoformat() and line["line"]["dash"] == "dash"
    r = e.result
    def sv(value):
        return f"{round(value):d}".replace("-", "−")

    assert figure["layout"]["title"]["text"] == (
        f"{e.place.name}: Skattning {sv(r.estimate)} rapporter (95 % konfidensintervall {sv(r.ci_low)} till "
        f"{sv(r.ci_high)})")
    # Per month: the series sum to the reports of each zone over the months shown.
    masks = zone_masks(points, e, places, names)
    keys, counts = monthly(points, masks, e.before_start, END)
    month = points["month_key"].to_numpy()
    for zone, trace in zip(("treated", "control", "buffer"), figure["data"], strict=True):
        assert trace["y"] == counts[zone]
        assert sum(trace["y"]) == int((masks[zone] & (month >= keys[0]) & (month <= keys[-1])).sum())
    english = effect_figure(e, points, places, names, END, "en")
    assert english["layout"]["title"]["text"].startswith(f"{e.place.name_en}: Estimate ")


def test_effect_panels_chart_and_words_per_place(views):
    follow_up = views.follow_up(role="polis")
    panels = effect_panels(follow_up, views.role_data("polis").points, views.data, "sv")
    assert len(panels) == len(follow_up.effects)
    for panel, e in zip(panels, follow_up.effects, strict=True):
        title, graph, words = panel.children
        assert graph.figure["layout"]["title"]["text"].startswith(e.place.name)
        assert texts(words) == [e.words("sv")]
        # A commitment's area is named by the promise's words, a sustained place by its landmark.
        commitment = views.data.config.commitment(e.place.name)
        assert texts(title) == [commitment.text("sv") if commitment else e.place.name]


def test_effects_only_on_layers_the_role_sees_as_points(views):
    polis = views.follow_up(role="polis").effects
    bra = views.follow_up(role="bra").effects
    # bra sees safety and traffic reports as points (hour precision: the same days): the same effects.
    assert [e.row() for e in bra] == [e.row() for e in polis if e.place.focus_area != "narkotika"]
    assert all(e.place.focus_area != "narkotika" for e in bra)
    # The public sees every layer as cells or not at all: no effects.
    assert views.follow_up(role="allmanhet").effects == ()
    panels = effect_panels(views.follow_up(role="allmanhet"), views.role_data("allmanhet").points, views.data, "en")
    assert texts(panels) == ["No places to evaluate for this role."]


def test_a_chosen_commitments_area_is_outlined_on_the_map(views):
    from dashboard.figures_followup import commitment_area_trace

    config = views.data.config
    (trace,) = commitment_area_trace(config.commitment("hastighet-gamla-e4"), "sv")
    assert trace["meta"] == "commitment" and trace["name"] == "Löftets område"
    assert (trace["lon"][0], trace["lat"][0]) == (14.0989, 57.3448) and trace["lon"][-1] is None
    assert len(trace["lon"]) == 12  # the 11 corners of the TOML ring, then the ring's end
    # Commitments naming localities have no outline of their own.
    assert commitment_area_trace(config.commitment("trygghetsvandring-vaggeryd"), "sv") == []
    assert commitment_area_trace(None, "sv") == []


def test_month_counts_handle_an_empty_zone():
    import pandas as pd

    frame = pd.DataFrame({"month_key": np.array([2026 * 12 + 4, 2026 * 12 + 6], dtype="int32")})
    masks = {"treated": np.array([True, True]), "control": np.array([False, False]), "buffer": np.array([False, True])}
    keys, counts = monthly(frame, masks, dt.date(2026, 4, 15), dt.date(2026, 7, 2))
    assert keys == [2026 * 12 + 3, 2026 * 12 + 4, 2026 * 12 + 5, 2026 * 12 + 6]
    assert counts == {"treated": [0, 1, 0, 1], "control": [0, 0, 0, 0], "buffer": [0, 0, 0, 1]}
