"""The promise panel: exact card texts, progress numbers and trend words from a small hand-made promise."""

import datetime as dt

import pandas as pd

from dashboard.promise import AreaFollowUp, PromiseFollowUp, ReleaseTrend, release_trend
from dashboard.promise_view import CARD, bar_percent, card, promise_children, trend_text
from layers.config import loads_config
from layers.followup import FocusAreaChange, follow_commitments
from layers.release import Block, Release

VAGGERYD = (448782.0, 6373168.0)
SKILLINGARYD = (445400.0, 6365443.0)
AT = dt.date(2026, 9, 30)  # 273 of 365 days passed

PROMISE = '''
[promise]
kommun = "0665"
start = 2026-01-01
end = 2026-12-31
[[focus_area]]
id = "trygghet"
name_sv = "Ökad trygghet för kommuninvånarna"
name_en = "Increased safety for residents"
color = "#E69F00"
layers = ["otrygg_plats"]
[[focus_area]]
id = "trafik"
name_sv = "Förbättrad trafiksäkerhet"
name_en = "Improved road safety"
color = "#0072B2"
layers = ["hastighet"]
[[focus_area]]
id = "narkotika"
name_sv = "Narkotikabrottslighet"
color = "#CC79A7"
layers = ["narkotika"]
promise = false
[[commitment]]
id = "kontroll-vg"
focus_area = "trafik"
text_sv = "Fyra hastighetskontroller i Vaggeryd."
text_en = "Four speed checks in Vaggeryd."
actor = "polis"
kind = "hastighetskontroll"
target = 4
place = "Vaggeryd"
[[commitment]]
id = "kontroll-sk"
focus_area = "trafik"
text_sv = "En hastighetskontroll per kvartal i Skillingaryd."
actor = "polis"
kind = "hastighetskontroll"
target = 1
per = "quarter"
place = "Skillingaryd"
[[commitment]]
id = "narvaro"
focus_area = "trygghet"
text_sv = "Tio timmars närvaro i Skillingaryd."
actor = "polis"
kind = "närvaro/patrull"
target_hours = 10
place = "Skillingaryd"
'''


def act(ident, planned, kind="hastighetskontroll", where=VAGGERYD, status="genomförd", minutes=60,
        focus="trafik"):
    return {"id": ident, "focus_area": focus, "actor": "polis", "kind": kind, "planned_at": planned,
            "done_at": planned if status == "genomförd" else "", "status": status, "duration_min": minutes,
            "x": where[0], "y": where[1]}


ACTIVITIES = pd.DataFrame([
    # Vaggeryd: three checks done (the fourth is due by the end of the year).
    act("v1", "2026-02-10T08:00:00+01:00"), act("v2", "2026-05-12T08:00:00+02:00"),
    act("v3", "2026-08-20T08:00:00+02:00"), act("v4", "2026-11-20T08:00:00+01:00", status="planerad"),
    # Skillingaryd: Q1 and Q2 kept, Q3 missed.
    act("s1", "2026-03-03T08:00:00+01:00", where=SKILLINGARYD),
    act("s2", "2026-06-03T08:00:00+02:00", where=SKILLINGARYD),
    # Presence: 90 + 60 minutes done, 120 planned.
    act("p1", "2026-04-03T19:00:00+02:00", kind="närvaro/patrull", where=SKILLINGARYD, minutes=90, focus="trygghet"),
    act("p2", "2026-07-03T19:00:00+02:00", kind="närvaro/patrull", where=SKILLINGARYD, minutes=60, focus="trygghet"),
    act("p3", "2026-10-03T19:00:00+02:00", kind="närvaro/patrull", where=SKILLINGARYD, minutes=120,
        status="planerad", focus="trygghet"),
])


def follow_up():
    config = loads_config(PROMISE, today=AT)
    progress = follow_commitments(config, ACTIVITIES, AT)
    trygghet = FocusAreaChange("trygghet", True, config.period_start, AT, reports=12, reports_previous=9,
                               reports_last_year=16)
    trafik = ReleaseTrend("quarter", Block(8104, 8105, "quarter"), 30, Block(8100, 8101, "quarter"), 24)
    areas = (
        AreaFollowUp(config.focus_areas["trygghet"], tuple(p for p in progress if p.commitment.focus_area == "trygghet"),
                     trygghet),
        AreaFollowUp(config.focus_areas["trafik"], tuple(p for p in progress if p.commitment.focus_area == "trafik"),
                     trafik),
    )
    return PromiseFollowUp(AT, config.period_start, config.period_end, areas, ()), progress


def texts(node) -> list[str]:
    """Every text in a component tree, in order."""
    if node is None:
        return []
    if isinstance(node, str):
        return [node]
    if isinstance(node, list | tuple):
        return [s for child in node for s in texts(child)]
    return texts(getattr(node, "children", None))


def find(node, predicate):
    if isinstance(node, list | tuple):
        return [m for child in node for m in find(child, predicate)]
    if node is None or isinstance(node, str):
        return []
    own = [node] if predicate(node) else []
    return own + find(getattr(node, "children", None), predicate)


def cards(tree):
    return find(tree, lambda n: isinstance(getattr(n, "id", None), dict) and n.id.get("type") == CARD)


def test_cards_say_done_of_target_with_status_in_both_languages():
    fu, _ = follow_up()
    tree = promise_children(fu, "sv")
    shown = cards(tree)
    assert [c.id["id"] for c in shown] == ["narvaro", "kontroll-vg", "kontroll-sk"]
    assert [texts(c)[0] for c in shown] == [
        "2,5 av 10 timmar (efter)", "3 av 4 hastighetskontroller (i fas)", "2 av 4 hastighetskontroller (efter)"]
    assert texts(shown[1])[1:] == ["Fyra hastighetskontroller i Vaggeryd.", "Väntat hittills i jämn takt: 3"]
    assert texts(shown[2])[-1] == ("kvartal 1 2026: klart · kvartal 2 2026: klart · kvartal 3 2026: efter · "
                                   "kvartal 4 2026: ej påbörjat")
    english = [texts(c)[0] for c in cards(promise_children(fu, "en"))]
    assert english == ["2.5 of 10 hours (behind)", "3 of 4 speed checks (on track)", "2 of 4 speed checks (behind)"]
    # Without text_en the Swedish wording is shown.
    assert texts(cards(promise_children(fu, "en"))[2])[1] == "En hastighetskontroll per kvartal i Skillingaryd."


def test_progress_bar_done_and_expected_by_now():
    _, progress = follow_up()
    by_id = {p.commitment.id: p for p in progress}
    # 3 of 4 done = 75 %; an even pace has 4 × 273/365 = 2.99 by now = 74.8 %.
    assert bar_percent(by_id["kontroll-vg"]) == (75.0, 74.8)
    # 2.5 of 10 hours; 7.48 expected.
    assert bar_percent(by_id["narvaro"]) == (25.0, 74.8)
    # Per quarter: Q1-Q3 each fully expected by 30 September, Q4 not begun: 3 of 4.
    assert bar_percent(by_id["kontroll-sk"]) == (50.0, 75.0)
    bar = find(card(by_id["kontroll-vg"], "sv"), lambda n: getattr(n, "className", "") == "bar")[0]
    done, marker = bar.children
    assert done.style == {"width": "75.0%"} and marker.style == {"left": "74.8%"}
    assert marker.title == "Väntat hittills i jämn takt: 3"
    assert getattr(bar, "aria-valuenow") == "3" and getattr(bar, "aria-valuemax") == "4"


def test_the_chosen_card_is_marked_and_pressed():
    fu, _ = follow_up()
    shown = {c.id["id"]: c for c in cards(promise_children(fu, "sv", active="kontroll-vg"))}
    assert shown["kontroll-vg"].className == "card status-i_fas active"
    assert getattr(shown["kontroll-vg"], "aria-pressed") == "true"
    assert shown["narvaro"].className == "card status-efter"
    assert getattr(shown["narvaro"], "aria-pressed") == "false"


def test_focus_areas_in_full_wording_with_promise_kind_and_trend():
    fu, _ = follow_up()
    all_texts = texts(promise_children(fu, "sv"))
    assert all_texts[:3] == ["Medborgarlöftet – vad vi lovade och vad vi har gjort",
                             "Löftesperiod 2026-01-01 – 2026-12-31, läget 2026-09-30.",
                             "Klicka på ett löfte för att visa dess aktiviteter och plats på kartan; klicka igen "
                             "för att visa allt."]
    assert "Ökad trygghet för kommuninvånarna" in all_texts and "Förbättrad trafiksäkerhet" in all_texts
    assert all_texts.count("Löfte till invånarna") == 2
    assert ("Rapporter 2026-01-01 – 2026-09-30: 12; samma period i fjol 16 (−4, −25 %); perioden innan 9."
            in all_texts)
    assert ("Rapporter kv. 1 2026–kv. 2 2026: 30 (publicerade kvartal); samma kvartal året innan "
            "(kv. 1 2025–kv. 2 2025): 24 (+6, +25 %)." in all_texts)
    english = texts(promise_children(fu, "en"))
    assert "Increased safety for residents" in english
    assert ("Reports 2026-01-01 – 2026-09-30: 12; same period last year 16 (−4, −25 %); the period before 9."
            in english)


def test_trend_words_for_missing_numbers():
    assert trend_text(None, "sv") == "Inga rapportlager hör till fokusområdet."
    assert trend_text(ReleaseTrend("quarter", None, None, None, None), "sv") == (
        "Inga publicerade kvartal i löftesperioden ännu (bara avslutade kvartal publiceras).")
    assert trend_text(ReleaseTrend("month", Block(24313, 24314, "month"), 7, None, None), "en") == (
        "Reports Feb–Mar 2026: 7 (published months).")
    no_last_year = FocusAreaChange("trygghet", True, dt.date(2026, 1, 1), AT, 3, 0, 0)
    assert trend_text(no_last_year, "sv") == (
        "Rapporter 2026-01-01 – 2026-09-30: 3; samma period i fjol 0 (+3); perioden innan 0.")


def _release(skip=()):
    q = [Block(i, i, "quarter") for i in range(8099, 8107)]  # Q4 2024 (the series' first) .. Q3 2026
    rows = []
    for index in range(len(q)):
        if index not in skip:
            rows.append((index, "otrygg_plats", "cell", "500:1:1", 10 + index))
            rows.append((index, "otrygg_plats", "kommun", "0665", 5))
    counts = pd.DataFrame(rows, columns=["block", "layer", "kind", "unit", "count"])
    return Release(role="allmanhet", kind="quarter", through=8106, k=5, cell_m=500, layers=("otrygg_plats",),
                   blocks=tuple(q), counts=counts, settings={"origin": 8099})


def test_release_trend_takes_whole_published_blocks_inside_the_period():
    config = loads_config(PROMISE, today=AT)
    trend = release_trend(_release(), config, "trygghet")
    # 2026: Q1-Q3 are blocks 5, 6, 7: (15 + 5) + (16 + 5) + (17 + 5) = 63.
    assert (trend.current, trend.reports) == (Block(8104, 8106, "quarter"), 63)
    # A year earlier: Q1-Q3 2025, blocks 1, 2, 3: (11 + 5) + (12 + 5) + (13 + 5) = 51.
    assert (trend.last_year, trend.reports_last_year) == (Block(8100, 8102, "quarter"), 51)
    assert (trend.change, trend.change_pct) == (12, 23.5)
    # A focus area without cells-mode layers in the release has nothing published.
    assert release_trend(_release(), config, "trafik").current is None


def test_release_trend_never_compares_unequal_spans():
    config = loads_config(PROMISE, today=AT)
    # Q3 2025 not published (the layer stayed below k): Q1-Q2 2025 would not be the same quarters.
    trend = release_trend(_release(skip={3}), config, "trygghet")
    assert (trend.reports, trend.last_year, trend.reports_last_year, trend.change) == (63, None, None, None)
    assert trend_text(trend, "sv") == "Rapporter kv. 1 2026–kv. 3 2026: 63 (publicerade kvartal)."
    # Q2 2026 not published: the run ends with Q1 2026, compared with Q1 2025.
    trend = release_trend(_release(skip={6}), config, "trygghet")
    assert (trend.current, trend.reports, trend.reports_last_year) == (Block(8104, 8104, "quarter"), 20, 16)
