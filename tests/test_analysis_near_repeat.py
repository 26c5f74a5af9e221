"""Near repeat (layers/analysis/near_repeat.py): the Knox counts of a 5-report example worked out by
hand, a planted repeat pattern found, a random pattern with a fixed seed not, the band table's
counts against pointpats' own cumulative counts, and one clear message for bad input."""

import numpy as np
import pandas as pd
import pytest
from pointpats.spacetime import Knox

from layers.analysis.near_repeat import DEFAULT_SEED, NearRepeatError, knox_test, local_days, meaning

DAY0 = pd.Timestamp("2026-01-01T23:30:00+01:00")  # late evening: the local day, not the UTC one

#: (x, y, day): A, B, C within 200 m of each other, D and E 100 m apart 1 km east.
#: Close in space (≤ 200 m): A–B 100, A–C 150, B–C 180.3, D–E 100 → 4 pairs.
#: Close in time (≤ 7 days): A–B 3, A–D 1, B–D 2 → 3 pairs; both: A–B → 1 of 10 pairs.
#: Expected 4 × 3 / 10 = 1.2. 15–21 days: A–C 20, B–C 17, C–D 19; 8–14 days: C–E 10.
FIVE = [(0, 0, 0), (100, 0, 3), (0, 150, 20), (1000, 0, 1), (1100, 0, 30)]


def frame(points, day0=DAY0):
    return pd.DataFrame({"x": [p[0] for p in points], "y": [p[1] for p in points],
                         "occurred_at": [(day0 + pd.Timedelta(days=p[2])).isoformat() for p in points]})


def test_five_reports_counted_by_hand():
    result = knox_test(frame(FIVE))
    assert (result.reports, result.pairs, result.close_in_space, result.close_in_time, result.close_in_both) == (
        5, 10, 4, 3, 1)
    assert result.expected == pytest.approx(1.2) and result.ratio == pytest.approx(1 / 1.2)
    # Every shuffle of the days keeps at least one close pair: the three labels on the space
    # triangle A–B–C share one or more with the time triangle A–B–D; sharing two is a close pair,
    # sharing one leaves two of A, B, D on the space pair D–E. So p = 100/100.
    assert result.p == 1.0
    assert not result.near_repeat
    bands = {(b.distance_from_m, b.days_from): (b.observed, round(b.expected, 9), b.ratio) for b in result.bands}
    assert bands[0.0, 0] == (1, 1.2, pytest.approx(1 / 1.2))
    assert bands[0.0, 8] == (0, 0.4, 0.0)  # 4 close in space × 1 pair 8–14 days apart / 10
    assert bands[0.0, 15] == (2, 1.2, pytest.approx(2 / 1.2))  # A–C and B–C; 4 × 3 / 10 expected
    # No pair is 200–600 m apart: nothing observed, nothing expected, no ratio.
    assert all(bands[d, day] == (0, 0.0, None) for d in (200.0, 400.0) for day in (0, 8, 15))
    assert [(b.days_from, b.days_to) for b in result.bands[:3]] == [(0, 7), (8, 14), (15, 21)]
    assert [(b.distance_from_m, b.distance_to_m) for b in result.bands[::3]] == [(0, 200), (200, 400), (400, 600)]


def test_days_are_local_calendar_days():
    # 00:30 on 9 January in Sweden is 23:30 on 8 January in UTC: 8 local days after 1 January.
    assert list(local_days(["2026-01-01T12:00:00+01:00", "2026-01-09T00:30:00+01:00", "2026-01-08T23:30:00Z"])
                - local_days(["2026-01-01T00:00:00+01:00"])[0]) == [0, 8, 8]
    two = frame([(0, 0, 0), (50, 0, 0), (0, 50, 0)])
    two.loc[1, "occurred_at"] = "2026-01-09T00:30:00+01:00"  # 8 days after the others in Sweden
    two.loc[0, "occurred_at"] = two.loc[2, "occurred_at"] = "2026-01-01T12:00:00+01:00"
    result = knox_test(two, permutations=0)
    assert (result.close_in_time, result.close_in_both) == (1, 1)  # only the two on 1 January


def planted(seed=1):
    """80 reports spread over 6 × 6 km and a year, and 8 bursts of 4 reports within 30 m and 3 days."""
    rng = np.random.default_rng(seed)
    points = [(x, y, int(d)) for x, y, d in zip(rng.uniform(0, 6000, 80), rng.uniform(0, 6000, 80),
                                                rng.integers(0, 365, 80), strict=True)]
    for x, y, d in zip(rng.uniform(0, 6000, 8), rng.uniform(0, 6000, 8), rng.integers(0, 360, 8), strict=True):
        points += [(x + rng.uniform(0, 30), y + rng.uniform(0, 30), int(d + rng.integers(0, 4))) for _ in range(4)]
    return points


def test_a_planted_repeat_pattern_is_found():
    result = knox_test(frame(planted()))
    assert result.reports == 112
    assert result.close_in_both >= 48  # each burst alone makes 6 close pairs
    assert result.ratio > 3
    assert result.p == pytest.approx(1 / 100)  # no shuffle of the days comes near: the smallest p 99 permutations give
    assert result.near_repeat
    first = result.bands[0]
    assert (first.observed, first.p) == (result.close_in_both, result.p)
    text = meaning(result)
    assert text[-2].startswith("Det tyder på near repeat: efter en rapport kommer en till inom 200 m de närmaste 7 dagarna")
    assert text[-1].startswith("Det är inte ett bevis för orsak")
    english = meaning(result, "en")
    assert english[-2].startswith("This points to near repeat") and english[-1].startswith("It is not proof of cause")


def test_a_random_pattern_with_a_fixed_seed_is_not_near_repeat():
    rng = np.random.default_rng(2026)
    points = list(zip(rng.uniform(0, 6000, 150), rng.uniform(0, 6000, 150), rng.integers(0, 365, 150), strict=True))
    result = knox_test(frame(points))
    assert result.p > 0.05 and not result.near_repeat
    assert meaning(result)[2].startswith("Inget tydligt near repeat")


def test_bands_add_up_to_pointpats_own_cumulative_counts_and_p():
    points = frame(planted())
    result = knox_test(points)
    days = local_days(points["occurred_at"]).reshape(-1, 1)
    xy = points[["x", "y"]].to_numpy()
    whole = Knox(xy, days, delta=600, tau=21, permutations=0)
    assert sum(b.observed for b in result.bands) == whole.nst
    assert sum(b.expected for b in result.bands) == pytest.approx(whole.expected[0, 0])
    # The headline p is pointpats' own permutation p for the same seed.
    state = np.random.get_state()
    np.random.seed(DEFAULT_SEED)
    direct = Knox(xy, days, delta=200, tau=7, permutations=99)
    np.random.set_state(state)
    assert (result.close_in_both, result.p, result.p_poisson) == (direct.nst, direct.p_sim, direct.p_poisson)


def test_the_result_is_reproducible_and_leaves_numpys_random_state_alone():
    np.random.seed(7)
    expected_next = np.random.random_sample()
    np.random.seed(7)
    a = knox_test(frame(planted(3)))
    assert np.random.random_sample() == expected_next
    assert knox_test(frame(planted(3))) == a


def test_reports_without_a_place_or_a_time_are_left_out():
    points = frame(FIVE)
    points.loc[5] = [np.nan, 0.0, DAY0.isoformat()]
    points.loc[6] = [10.0, 10.0, None]
    result = knox_test(points, permutations=0)
    assert (result.reports, result.left_out, result.close_in_both) == (5, 2, 1)
    # Without permutations there is no p, and no claim either way.
    assert result.p is None and result.as_json()["p"] is None and not result.near_repeat


def test_the_json_contract():
    data = knox_test(frame(FIVE)).as_json()
    assert list(data) == ["distance_m", "days", "pairs_close_in_space_and_time", "expected", "ratio", "p", "bands"]
    assert (data["distance_m"], data["days"], data["pairs_close_in_space_and_time"], data["expected"],
            data["ratio"], data["p"]) == (200, 7, 1, 1.2, 0.8333, 1.0)
    assert data["bands"][2] == {"distance_from_m": 0, "distance_to_m": 200, "days_from": 15, "days_to": 21,
                                "observed": 2, "expected": 1.2, "ratio": 1.6667, "p": data["bands"][2]["p"]}
    assert len(data["bands"]) == 9


@pytest.mark.parametrize(("options", "message"), [
    ({"distance_m": 0}, "the distance must be more than 0 m, not 0"),
    ({"days": 2.5}, "the days must be a whole number 0 or more, not 2.5"),
    ({"bands": 0}, "the bands must be a whole number 1–10, not 0"),
])
def test_bad_thresholds_get_one_clear_message(options, message):
    with pytest.raises(NearRepeatError, match=message):
        knox_test(frame(FIVE), **options)


def test_too_few_reports():
    with pytest.raises(NearRepeatError, match="needs at least 3 reports with a place and a time, not 2"):
        knox_test(frame(FIVE[:2]))


def test_more_reports_than_it_handles_is_one_clear_message():
    with pytest.raises(NearRepeatError, match=r"5 reports are more than the Knox test here handles \(4\); choose a "
                                              r"shorter period \(--from, --to\)"):
        knox_test(frame(FIVE), max_reports=4)
