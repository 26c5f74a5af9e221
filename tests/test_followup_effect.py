"""The WDD and WDQ statistics against the published test vectors (R package ptools; Bowers & Johnson 2003)."""

import math

import pytest

from layers.followup import wdd, wdq


def test_wdd_published_vector_with_displacement():
    r = wdd(control=(308, 318), treated=(207, 110), disp_control=(150, 140), disp_treated=(178, 157), alpha=0.05)
    assert (r.local_estimate, r.displacement_estimate, r.estimate) == (-107, -11, -118)
    assert r.se == math.sqrt(1568)
    assert round(r.z, 2) == -2.98
    assert (round(r.ci_low), round(r.ci_high)) == (-196, -40)
    assert r.local_se == math.sqrt(943) and r.displacement_se == 25.0
    assert r.significant_reduction and not r.significant_increase


def test_wdd_local_only():
    r = wdd((20, 20), (20, 10))
    assert (r.estimate, r.se) == (-10, math.sqrt(70))
    assert r.ci_low < 0 < r.ci_high and not r.significant_reduction


def test_wdd_alpha_sets_the_interval():
    r = wdd((20, 20), (20, 10), alpha=0.1)
    assert round(r.ci_high - r.estimate, 2) == round(1.6449 * math.sqrt(70), 2)


def test_buffer_against_the_same_control_counts_its_variance_four_times():
    r = wdd(control=(308, 318), treated=(207, 110), disp_treated=(178, 157))
    # (110 - 207) + (157 - 178) - 2 × (318 - 308)
    assert r.estimate == -138
    assert r.se == math.sqrt(207 + 110 + 178 + 157 + 4 * (308 + 318))


def test_wdq_vector_and_when_it_is_null():
    assert round(wdq(treated=(207, 110), control=(308, 318), buffer=(178, 157)), 3) == 0.258
    # Buffer rising relative to the control: displacement, a negative quotient.
    assert wdq(treated=(100, 50), control=(100, 100), buffer=(50, 75)) == pytest.approx(-0.5)
    assert wdq(treated=(100, 100), control=(100, 100), buffer=(50, 10)) is None  # no reduction
    assert wdq(treated=(100, 120), control=(100, 100), buffer=(50, 10)) is None  # an increase
    assert wdq(treated=(100, 50), control=(0, 10), buffer=(50, 10)) is None


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="control counts must be ≥ 0"):
        wdd((-1, 2), (3, 4))
    with pytest.raises(ValueError, match=r"treated must be a \(before, after\) pair"):
        wdd((1, 2), 3)
