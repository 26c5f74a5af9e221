"""Time playback: its steps over the promise period (weeks, months, the role's published periods,
cumulative) and how play, ticks and pause step the dashboard's one time filter (the date picker →
sync_state → the filters store that every view reads)."""

import datetime as dt

import pytest
from dash import no_update

from dashboard.playback import MAX_WAIT_TICKS, Play, calendar_steps, playback_steps, press, release_steps, tick
from layers.release import Block
from tests.dash_fixtures import TODAY, call, callback, small_store
from tests.test_dashboard_callbacks import sync

D = dt.date
PERIOD = (D(2026, 1, 1), D(2026, 12, 31))


def test_month_steps_run_to_today_and_are_cut_to_the_period():
    steps = playback_steps((D(2026, 1, 15), D(2026, 12, 31)), D(2026, 4, 2), "month")
    assert steps == [("2026-01-15", "2026-01-31"), ("2026-02-01", "2026-02-28"), ("2026-03-01", "2026-03-31"),
                     ("2026-04-01", "2026-04-30")]


def test_week_steps_are_monday_to_sunday():
    # 1 January 2026 is a Thursday: the first step is its week's rest.
    assert calendar_steps(D(2026, 1, 1), D(2026, 1, 20), "week") == [
        (D(2026, 1, 1), D(2026, 1, 4)), (D(2026, 1, 5), D(2026, 1, 11)), (D(2026, 1, 12), D(2026, 1, 18)),
        (D(2026, 1, 19), D(2026, 1, 20))]
    with pytest.raises(ValueError, match="unknown playback step 'day'"):
        calendar_steps(D(2026, 1, 1), D(2026, 1, 2), "day")


def test_cumulative_steps_all_start_at_the_first():
    assert playback_steps(PERIOD, D(2026, 3, 10), "month", cumulative=True) == [
        ("2026-01-01", "2026-01-31"), ("2026-01-01", "2026-02-28"), ("2026-01-01", "2026-03-31")]


def test_a_reduced_role_steps_by_its_whole_published_blocks():
    m = 2026 * 12  # month indices (layers.release.period_start): January 2026
    blocks = [Block(m - 12, m - 1, "month"), Block(m, m + 2, "month"), Block(m + 3, m + 3, "month"),
              Block(m + 4, m + 4, "month")]
    # The merged block Jan–Mar stays whole; the block of 2025 is outside the promise period.
    assert playback_steps(PERIOD, D(2026, 11, 27), "week", blocks) == [
        ("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-04-30"), ("2026-05-01", "2026-05-31")]
    assert release_steps(blocks, D(2026, 4, 15), D(2026, 4, 20)) == [(D(2026, 4, 1), D(2026, 4, 30))]


def test_before_the_period_there_is_nothing_to_play():
    assert playback_steps(PERIOD, D(2025, 12, 31), "month") == []


def custom(start, end):
    return {"preset": "custom", "start": start, "end": end}


def test_press_tick_and_pause():
    steps = playback_steps(PERIOD, D(2026, 3, 10), "month")
    play, send = press(Play(), steps, {"preset": "period"})
    assert (play.playing, play.index, send) == (True, 0, ("2026-01-01", "2026-01-31"))
    # The filters have not arrived yet: wait, send nothing.
    play, send = tick(play, {"preset": "period"})
    assert (play.playing, play.index, play.waited, send) == (True, 0, 1, None)
    play, send = tick(play, custom("2026-01-01", "2026-01-31"))
    assert (play.index, send) == (1, ("2026-02-01", "2026-02-28"))
    play, send = press(play, steps, custom("2026-02-01", "2026-02-28"))  # pause
    assert (play.playing, play.index, send) == (False, 1, None)
    assert tick(play, custom("2026-02-01", "2026-02-28")) == (play, None)
    play, send = press(play, steps, custom("2026-02-01", "2026-02-28"))  # resume at the next step
    assert (play.playing, play.index, send) == (True, 2, ("2026-03-01", "2026-03-31"))
    play, send = tick(play, custom("2026-03-01", "2026-03-31"))  # the last step shown: stop
    assert (play.playing, play.index, send) == (False, 2, None)
    play, send = press(play, steps, custom("2026-03-01", "2026-03-31"))  # after the end: from the start
    assert (play.index, send) == (0, ("2026-01-01", "2026-01-31"))


def test_a_filter_changed_by_hand_or_a_step_that_never_arrives_stops_it():
    steps = playback_steps(PERIOD, D(2026, 3, 10), "month")
    play, _ = press(Play(), steps, custom("2025-05-01", "2025-05-31"))
    stopped, send = tick(play, custom("2024-01-01", "2024-12-31"))
    assert (stopped.playing, send) == (False, None)
    for _ in range(MAX_WAIT_TICKS - 1):
        play, _ = tick(play, custom("2025-05-01", "2025-05-31"))
        assert play.playing
    assert tick(play, custom("2025-05-01", "2025-05-31"))[0].playing is False


def test_a_forged_store_is_a_stopped_playback():
    assert Play.from_dict({"steps": [["a", "b"]], "index": 7, "playing": True}) == Play()
    assert Play.from_dict({"steps": 3}) == Play()
    state = Play(True, (("2026-01-01", "2026-01-31"),), 0, ("", ""))
    assert Play.from_dict(state.to_dict()) == state


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from dashboard.app import create_app

    return create_app(small_store(tmp_path_factory.mktemp("play") / "s.gpkg"), today=lambda: TODAY)


def _playback(app, prop, play_state, filters, unit="month", cumulative=()):
    return call(callback(app, "playback"), prop, 1, 1, play_state, unit, list(cumulative), filters)


def test_playback_steps_the_filters_through_the_date_picker(app):
    loaded = sync(app, ".")[12]  # the filters store of a fresh page (the promise period)
    play, disabled, css, status, start, end = _playback(app, "play-btn.n_clicks", None, loaded)
    assert (disabled, css, start, end) == (False, "btn play-btn playing", "2026-01-01", "2026-01-31")
    assert status == "Visar januari 2026 (1 av 11)"  # January to November (today is 27 November)
    # The date picker's new range goes the user's way: sync_state makes it the filters' range.
    out = sync(app, "f-dates.start_date", current=loaded, start=start, end=end)
    filters = out[12]
    assert (filters["preset"], filters["start"], filters["end"]) == ("custom", "2026-01-01", "2026-01-31")
    # Every view redraws from that store: the cards now count January.
    cards = call(callback(app, "render_indicators"), "filters.data", filters)
    assert cards[-1].children[0].children[1].children.startswith("Otrygga platser: 0 i januari 2026")
    play, disabled, css, status, start, end = _playback(app, "play-tick.n_intervals", play, filters)
    assert (start, end, status) == ("2026-02-01", "2026-02-28", "Visar februari 2026 (2 av 11)")
    # Playing on: the interval's props are left alone (given again, an Interval restarts its clock).
    assert disabled is no_update and css is no_update
    play, disabled, css, status, start, end = _playback(app, "play-btn.n_clicks", play, filters)
    # Pause: the interval off, no new range sent (the filters stay on February).
    assert (play["playing"], disabled, css) == (False, True, "btn play-btn")
    assert start is no_update and end is no_update


def test_playback_with_a_commitment_chosen_says_why_it_does_not_start(app):
    loaded = {**sync(app, ".")[12], "commitment": "x"}
    _play, disabled, _css, status, start, _end = _playback(app, "play-btn.n_clicks", None, loaded)
    assert disabled is True and status.startswith("Ett valt löfte har sin egen period")


def test_a_release_without_blocks_in_the_period_steps_by_the_calendar():
    m = 2025 * 12
    assert playback_steps(PERIOD, D(2026, 2, 3), "month", [Block(m, m + 11, "month")]) == [
        ("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28")]


def test_bra_with_its_cells_layer_plays_its_published_months(tmp_path):
    """Narcotics tips (cells for bra): the release has January–August 2026 as one block, then
    September and October; the playback shows exactly those."""
    from dashboard.app import create_app
    from dashboard.filters import default_state
    from layers import GeoPackageStore
    from tests.helpers import report, reports_frame

    rows, i = [], 0
    for month, n in ((8, 5), (9, 5), (10, 6)):
        for day in range(n):
            rows.append(report(i, layer="narkotika", focus="narkotika",
                               when=f"2026-{month:02d}-{day + 2:02d}T22:00:00+02:00"))
            i += 1
    store = GeoPackageStore.create(tmp_path / "m.gpkg")
    store.add_reports(reports_frame(rows))
    app = create_app(store, today=lambda: D(2026, 11, 10), role="bra")
    filters = default_state(app._trygghetskarta["data"]).to_dict()
    play, _disabled, _css, status, start, end = _playback(app, "play-btn.n_clicks", None, filters)
    assert [tuple(s) for s in play["steps"]] == [("2026-01-01", "2026-08-31"), ("2026-09-01", "2026-09-30"),
                                                 ("2026-10-01", "2026-10-31")]
    assert (start, end) == ("2026-01-01", "2026-08-31")
    assert status == ("Visar 1 januari – 31 augusti 2026 (1 av 3) · per publicerad period "
                      "(rollens rutor finns bara för hela perioder)")
    # Without the cells layer chosen the same role plays by month.
    play, *_ = _playback(app, "play-btn.n_clicks", None, {**filters, "layers": ["otrygg_plats", "hastighet"]})
    assert len(play["steps"]) == 11 and play["published"] is False
