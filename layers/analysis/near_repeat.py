"""Near repeat (police only): the Knox test of pointpats for space–time clustering of reports.

The question: when a report comes in, is another one nearby within a few days more likely than
if place and time had nothing to do with each other? The Knox test counts the pairs of reports
that are close both in space (at most `distance_m` apart, SWEREF 99 TM metres) and in time (at
most `days` calendar days apart, local time) and compares that count with what is expected when
the times are independent of the places (the close-in-space pairs times the close-in-time pairs
over all pairs). pointpats' `Knox` computes the counts, the expected count and a permutation
p-value (the days shuffled among the places).

Choices, and why:

* **Days, not hours.** A report's time is often a guess to the day; calendar days in
  Europe/Stockholm are what the Near Repeat Calculator and patrol planning use ("within 7 days").
* **Bands** (the Near Repeat Calculator's table): the pairs split by distance band (0–200 m,
  201–400 m, …) and day band (0–7, 8–14, …). pointpats tests cumulative thresholds (≤ d, ≤ t);
  a band's observed and expected counts are the four cumulative counts around it combined
  (inclusion–exclusion; the expected count is a product of the two margins, so this is exact).
  Its p-value comes from the library's own permutations: every threshold is run with the same
  seed, so permutation k shuffles the days the same way for all of them and a band's permuted
  count is the same combination of the permuted cumulative counts (tests check that none is
  negative, which misaligned permutations would give).
* **p** is the permutation p-value ((exceedances + 1) / (permutations + 1), one-sided: more close
  pairs than expected). pointpats' Poisson p-value is kept beside (`p_poisson`); it is
  P(X > observed), not ≥, so it reads a little smaller than it should.
* pointpats draws its permutations from NumPy's global random state; the seed is set and the
  previous state restored under a lock, so a result is reproducible and other code's random
  numbers are untouched.

It is not proof of cause: the same incident reported twice, a place busy a few weeks in a row,
or a patrol that finds more where it looks all make close pairs too.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..messages import format_number, template

DEFAULT_DISTANCE_M = 200.0
DEFAULT_DAYS = 7
#: Distance and day bands of the table (the Near Repeat Calculator's default is a few of each).
DEFAULT_BANDS = 3
#: The Near Repeat Calculator's default; the p-value cannot go below 1 / (permutations + 1).
DEFAULT_PERMUTATIONS = 99
DEFAULT_SEED = 12345
#: A pair pattern is called near repeat at this permutation p and a ratio above 1.
LEVEL = 0.05
#: pointpats keeps every pair close in time as Python sets and permutes in a Python loop: at
#: 10 000 reports over a year that is about 4 million pairs and minutes; beyond it, a clear
#: message (a shorter period) rather than gigabytes.
MAX_REPORTS = 10_000
TZ = "Europe/Stockholm"

_RANDOM_LOCK = threading.Lock()


class NearRepeatError(ValueError):
    """Input the test cannot run on: bad thresholds, too few reports."""


@dataclass(frozen=True)
class Band:
    """Pairs in one distance band × day band (bounds inclusive, in metres and days)."""

    distance_from_m: float
    distance_to_m: float
    days_from: int
    days_to: int
    observed: int
    expected: float
    ratio: float | None  # observed / expected; None when nothing is expected
    p: float | None  # permutation p-value; None without permutations

    def as_json(self) -> dict:
        return {"distance_from_m": _num(self.distance_from_m), "distance_to_m": _num(self.distance_to_m),
                "days_from": self.days_from, "days_to": self.days_to, "observed": self.observed,
                "expected": round(self.expected, 4), "ratio": _round(self.ratio), "p": _p(self.p)}


@dataclass(frozen=True)
class NearRepeat:
    """The Knox test at (distance_m, days) and its band table."""

    distance_m: float
    days: int
    reports: int  # reports tested (with a place and a time)
    left_out: int  # reports without a place or a time
    pairs: int  # all pairs of reports
    close_in_space: int  # pairs at most distance_m apart
    close_in_time: int  # pairs at most `days` apart
    close_in_both: int  # the Knox statistic
    expected: float  # close_in_both expected when time and place are independent
    ratio: float | None
    p: float | None  # permutation p-value (one-sided); None without permutations
    p_poisson: float  # pointpats' analytic Poisson p-value
    permutations: int
    bands: tuple[Band, ...]

    @property
    def near_repeat(self) -> bool:
        """More close pairs than expected, significantly (p < LEVEL)."""
        return self.p is not None and self.p < LEVEL and (self.ratio or 0) > 1

    def as_json(self) -> dict:
        """The CLI's JSON contract."""
        return {"distance_m": _num(self.distance_m), "days": self.days,
                "pairs_close_in_space_and_time": self.close_in_both, "expected": round(self.expected, 4),
                "ratio": _round(self.ratio), "p": _p(self.p), "bands": [b.as_json() for b in self.bands]}


def _num(value: float):
    return int(value) if float(value).is_integer() else float(value)


def _round(value: float | None):
    return None if value is None else round(value, 4)


def _p(value: float | None):
    return None if value is None else float(f"{value:.4g}")


def local_days(times) -> np.ndarray:
    """Calendar day numbers (days since 1970-01-01, local time) of timestamps; NaN where unknown."""
    parsed = pd.to_datetime(pd.Series(times).reset_index(drop=True), utc=True, errors="coerce", format="ISO8601")
    days = parsed.dt.tz_convert(TZ).dt.tz_localize(None).dt.floor("D")
    out = np.full(len(days), np.nan)
    known = days.notna().to_numpy()
    out[known] = (days[known].to_numpy().astype("datetime64[D]").astype("int64")).astype("float64")
    return out


def _knox(xy: np.ndarray, t: np.ndarray, delta: float, tau: float, permutations: int, seed: int):
    """pointpats' Knox with its permutations drawn from `seed` (global state restored afterwards)."""
    from pointpats.spacetime import Knox

    with _RANDOM_LOCK:
        state = np.random.get_state()
        try:
            np.random.seed(seed)
            return Knox(xy, t, delta=delta, tau=tau, permutations=permutations, keep=permutations > 0)
        finally:
            np.random.set_state(state)


def knox_test(points: pd.DataFrame, distance_m: float = DEFAULT_DISTANCE_M, days: int = DEFAULT_DAYS,
              bands: int = DEFAULT_BANDS, permutations: int = DEFAULT_PERMUTATIONS,
              seed: int = DEFAULT_SEED, max_reports: int = MAX_REPORTS) -> NearRepeat:
    """The Knox test of `points` (columns x, y in SWEREF 99 TM metres, and occurred_at or `day`:
    the local calendar day as a number, e.g. the dashboard's day_key) at `distance_m` and `days`,
    with a `bands` × `bands` table of distance and day bands."""
    if not distance_m > 0:
        raise NearRepeatError(f"the distance must be more than 0 m, not {distance_m}")
    if int(days) != days or days < 0:
        raise NearRepeatError(f"the days must be a whole number 0 or more, not {days}")
    if int(bands) != bands or not 1 <= bands <= 10:
        raise NearRepeatError(f"the bands must be a whole number 1–10, not {bands}")
    if int(permutations) != permutations or not 0 <= permutations <= 9999:
        raise NearRepeatError(f"the permutations must be a whole number 0–9999, not {permutations}")
    days, bands, permutations = int(days), int(bands), int(permutations)
    x = pd.to_numeric(points["x"], errors="coerce").to_numpy(dtype="float64")
    y = pd.to_numeric(points["y"], errors="coerce").to_numpy(dtype="float64")
    t = pd.to_numeric(points["day"], errors="coerce").to_numpy(dtype="float64") if "day" in points.columns \
        else local_days(points["occurred_at"])
    keep = ~(np.isnan(x) | np.isnan(y) | np.isnan(t))
    n = int(keep.sum())
    if n < 3:
        raise NearRepeatError(f"the Knox test needs at least 3 reports with a place and a time, not {n}")
    if n > max_reports:
        raise NearRepeatError(f"{n} reports are more than the Knox test here handles ({max_reports}); "
                              f"choose a shorter period (--from, --to)")
    xy = np.column_stack([x[keep], y[keep]])
    tt = t[keep].reshape(-1, 1)
    pairs = n * (n - 1) // 2
    # Cumulative counts at every (distance edge, day edge); index 0 is "nothing" (a band's lower edge).
    # Distances are continuous: the band (200, 400] m; days are whole: the band 8–14 is (7, 14].
    obs = np.zeros((bands + 1, bands + 1))
    exp = np.zeros((bands + 1, bands + 1))
    sims = np.zeros((bands + 1, bands + 1, permutations))
    ns_edge, nt_edge = np.zeros(bands + 1), np.zeros(bands + 1)
    first = None
    for i in range(1, bands + 1):
        for j in range(1, bands + 1):
            result = _knox(xy, tt, distance_m * i, days * j if days else j - 1, permutations, seed)
            obs[i, j] = result.observed[0, 0]
            exp[i, j] = result.expected[0, 0]
            ns_edge[i] = result.observed[0].sum()
            nt_edge[j] = result.observed[:, 0].sum()
            if permutations:
                sims[i, j] = result.sim
            if i == j == 1:
                first = result
    table = []
    for i in range(1, bands + 1):
        for j in range(1, bands + 1):
            o = obs[i, j] - obs[i - 1, j] - obs[i, j - 1] + obs[i - 1, j - 1]
            # Rounded: the combination of four products leaves float dust (0.40000000000000013, -1e-17).
            e = max(round(exp[i, j] - exp[i - 1, j] - exp[i, j - 1] + exp[i - 1, j - 1], 9), 0.0)
            if permutations:
                sim = sims[i, j] - sims[i - 1, j] - sims[i, j - 1] + sims[i - 1, j - 1]
                if (sim < 0).any():  # the permutations were not the same for every threshold
                    raise RuntimeError("pointpats' permutations differ between thresholds; the band p-values "
                                       "cannot be combined")
                p = (int((sim >= o).sum()) + 1) / (permutations + 1)
            else:
                p = None
            d_low = 0.0 if i == 1 else distance_m * (i - 1)
            day_low, day_high = _day_band(days, j)
            table.append(Band(distance_from_m=d_low, distance_to_m=distance_m * i, days_from=day_low,
                              days_to=day_high, observed=int(round(o)), expected=float(e),
                              ratio=float(o / e) if e > 0 else None, p=p))
    expected = float(first.expected[0, 0])
    close = int(first.nst)
    return NearRepeat(
        distance_m=float(distance_m), days=days, reports=n, left_out=int(len(keep) - n), pairs=pairs,
        close_in_space=int(ns_edge[1]), close_in_time=int(nt_edge[1]), close_in_both=close, expected=expected,
        ratio=close / expected if expected > 0 else None,
        p=float(first.p_sim) if permutations else None, p_poisson=float(first.p_poisson),
        permutations=permutations, bands=tuple(table))


def _day_band(days: int, j: int) -> tuple[int, int]:
    """The inclusive day bounds of day band j (1-based): 0–7, 8–14, 15–21 at 7 days."""
    if days == 0:  # bands of single days: the same day, one day apart, two days apart
        return j - 1, j - 1
    return (0 if j == 1 else days * (j - 1) + 1), days * j


def t(key: str, lang: str = "sv", **values) -> str:
    """The catalogue's text for `key` (web app context), filled in."""
    return template(key, "en" if lang == "en" else "sv").format(**values)


def _p_text(p: float, lang: str) -> str:
    return format_number(p, lang, decimals=3 if p >= 0.001 else 4)


def meaning(result: NearRepeat, lang: str = "sv") -> list[str]:
    """What the result means in words, one sentence a line, every number from `result`."""
    num = lambda v, d=0: format_number(v, lang, decimals=d)  # noqa: E731
    dist, days = num(result.distance_m), result.days
    lines = [t("nr_pairs", lang, close=num(result.close_in_both), pairs=num(result.pairs), distance=dist,
               days=days, expected=num(result.expected, 1))]
    if result.ratio is not None and result.p is not None:
        lines.append(t("nr_ratio", lang, ratio=num(result.ratio, 2), p=_p_text(result.p, lang),
                       permutations=result.permutations))
    if result.near_repeat:
        lines.append(t("nr_yes", lang, distance=dist, days=days))
    elif result.p is not None:  # without permutations there is nothing to judge by
        lines.append(t("nr_no", lang, distance=dist, days=days))
    lines.append(t("nr_not_cause", lang))
    return lines


def layer_points(store, role: str, layer: str, start=None, end=None) -> tuple[pd.DataFrame, int]:
    """The exact points (x, y, occurred_at) of `layer` over [start, end] for a police role, and how
    many reports of the layer in that range are left out (the police feed, placed only at a
    locality's centre, and reports without an exact place). A reduced role is refused: the test
    works on exact places and times, which it may not see."""
    from geodata import to_metric

    from ..privacy import EXACT_ROLES
    from .roles import AnalysisError, _in_range, _local_days, _point_view, check_layer

    if role not in EXACT_ROLES:
        raise AnalysisError(t("nr_police_only", "en", role=role))
    if start is not None and end is not None and end < start:
        raise AnalysisError(f"--to {end} is before --from {start}")
    pol = check_layer(store, role, layer)
    reports = store.read_table("reports")
    points = _point_view(store, pol, reports, [layer]).reset_index(drop=True)
    points = points[_in_range(_local_days(points["occurred_at"]), start, end)]
    lon, lat = points["lon"].to_numpy(dtype="float64"), points["lat"].to_numpy(dtype="float64")
    placed = ~(np.isnan(lon) | np.isnan(lat))
    x, y = to_metric(lon[placed], lat[placed])
    frame = pd.DataFrame({"x": x, "y": y, "occurred_at": points["occurred_at"].to_numpy()[placed]})
    in_layer = reports["layer"].astype(str).to_numpy() == layer
    total = int(_in_range(_local_days(reports.loc[in_layer, "occurred_at"]), start, end).sum())
    return frame, total - len(frame)


__all__ = ["DEFAULT_BANDS", "DEFAULT_DAYS", "DEFAULT_DISTANCE_M", "DEFAULT_PERMUTATIONS", "DEFAULT_SEED", "LEVEL",
           "MAX_REPORTS", "Band", "NearRepeat", "NearRepeatError", "knox_test", "layer_points", "local_days", "meaning"]
