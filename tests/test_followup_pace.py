"""Even pace and status tokens over a period, and the calendar pieces of a recurring target."""

import datetime as dt

import pytest

from layers.followup.pace import (
    elapsed_fraction,
    expected_by_now,
    overall_status,
    piece_label,
    pieces,
    status,
    status_label,
)

D = dt.date
YEAR = (D(2026, 1, 1), D(2026, 12, 31))


def test_expected_by_now_counts_days_passed_including_at():
    assert elapsed_fraction(*YEAR, D(2025, 12, 31)) == 0
    assert elapsed_fraction(*YEAR, D(2026, 1, 1)) == 1 / 365
    assert elapsed_fraction(*YEAR, D(2026, 7, 2)) == 183 / 365
    assert elapsed_fraction(*YEAR, D(2027, 3, 1)) == 1
    assert expected_by_now(4, *YEAR, D(2026, 11, 27)) == pytest.approx(4 * 331 / 365)  # 3.627


@pytest.mark.parametrize(("done", "at", "token"), [
    (4, D(2026, 6, 1), "klart"),          # target reached early
    (0, D(2026, 6, 1), "ej_paborjat"),    # nothing yet, period running
    (0, D(2025, 12, 1), "ej_paborjat"),   # period not begun
    (2, D(2026, 7, 2), "i_fas"),          # 4 × 183/365 = 2.005 → 2 due
    (1, D(2026, 7, 2), "efter"),
    (3, D(2026, 11, 14), "i_fas"),        # 4 × 318/365 = 3.48 → 3 due: "3 av 4 (i fas)"
    (3, D(2026, 11, 27), "efter"),        # 4 × 331/365 = 3.63 → 4 due
    (3, D(2026, 12, 31), "efter"),        # the period is over short of the target
    (0, D(2026, 12, 31), "efter"),        # over with nothing done: behind, not "not started"
])
def test_status_at_chosen_dates(done, at, token):
    assert status(done, 4, expected_by_now(4, *YEAR, at), YEAR[1], at) == token


def test_hours_target_rounds_to_whole_hours():
    at = D(2026, 11, 27)
    expected = expected_by_now(260, *YEAR, at)  # 235.78 → 236 h due
    assert status(236, 260, expected, YEAR[1], at) == "i_fas"
    assert status(235.9, 260, expected, YEAR[1], at) == "efter"


def test_overall_status_of_recurring_pieces():
    assert overall_status(["klart"] * 4, 4) == "klart"
    assert overall_status(["klart", "klart", "klart", "ej_paborjat"], 3) == "i_fas"
    assert overall_status(["klart", "efter", "klart", "i_fas"], 5) == "efter"
    assert overall_status(["ej_paborjat"] * 4, 0) == "ej_paborjat"


def test_quarters_and_months_clipped_to_the_period():
    assert pieces(*YEAR, "quarter") == [
        ("2026-Q1", D(2026, 1, 1), D(2026, 3, 31)), ("2026-Q2", D(2026, 4, 1), D(2026, 6, 30)),
        ("2026-Q3", D(2026, 7, 1), D(2026, 9, 30)), ("2026-Q4", D(2026, 10, 1), D(2026, 12, 31))]
    assert pieces(D(2026, 2, 15), D(2026, 4, 10), "month") == [
        ("2026-02", D(2026, 2, 15), D(2026, 2, 28)), ("2026-03", D(2026, 3, 1), D(2026, 3, 31)),
        ("2026-04", D(2026, 4, 1), D(2026, 4, 10))]
    assert pieces(D(2025, 11, 1), D(2026, 2, 1), "quarter") == [
        ("2025-Q4", D(2025, 11, 1), D(2025, 12, 31)), ("2026-Q1", D(2026, 1, 1), D(2026, 2, 1))]


def test_labels():
    assert [status_label(t) for t in ("klart", "i_fas", "efter", "ej_paborjat")] == [
        "klart", "i fas", "efter", "ej påbörjat"]
    assert status_label("ej_paborjat", "en") == "not started"
    assert (piece_label("2026-Q3"), piece_label("2026-Q3", "en")) == ("kvartal 3 2026", "Q3 2026")
    assert (piece_label("2026-03"), piece_label("2026-03", "en")) == ("mars 2026", "March 2026")
