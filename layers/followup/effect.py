"""Place-based effect tests on before/after counts: the WDD (Wheeler & Ratcliffe 2018) and the WDQ (Bowers & Johnson 2003).

Counts are pairs (before, after) over windows of equal length.

`wdd(control, treated, disp_control, disp_treated, alpha)` is the weighted displacement
difference: local = (T1 - T0) - (C1 - C0), displacement = (D1 - D0) - (DC1 - DC0), estimate =
local + displacement, with the Poisson variance (each count its own variance) and a normal
confidence interval; negative = fewer reports than the control's trend predicts. With
`disp_treated` given and `disp_control=None` the buffer is compared with the *same* control as
the treated area (the follow-up's case: one comparison area); the control then enters twice and
its variance four times (Var = T0 + T1 + D0 + D1 + 4(C0 + C1)), which the published formula for
two separate controls would understate.

`wdq(treated, control, buffer)` is the weighted displacement quotient
[D1/C1 - D0/C0] / [T1/C1 - T0/C0]: > 0 the buffer improved too (diffusion of benefits), < 0
reports moved to the buffer (displacement), about 0 neither; None when the treated area shows no
reduction relative to the control (the quotient then means nothing) or a control count is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

Pair = tuple[float, float]
#: Windows shorter than this many days are too short to test (the evaluation and its words both use it).
MIN_WINDOW_DAYS = 56


@dataclass(frozen=True)
class WDDResult:
    local_estimate: float
    local_se: float
    displacement_estimate: float
    displacement_se: float
    estimate: float
    se: float
    z: float | None
    ci_low: float
    ci_high: float
    alpha: float

    @property
    def significant_reduction(self) -> bool:
        """The whole confidence interval is below zero."""
        return self.ci_high < 0

    @property
    def significant_increase(self) -> bool:
        return self.ci_low > 0


def _pair(value, name: str) -> Pair:
    try:
        before, after = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (before, after) pair of counts, got {value!r}") from None
    if before < 0 or after < 0:
        raise ValueError(f"{name} counts must be ≥ 0, got {value!r}")
    return float(before), float(after)


def wdd(control, treated, disp_control=None, disp_treated=None, alpha: float = 0.05) -> WDDResult:
    """The WDD test; pairs are (before, after). See the module docstring for the shared-control case."""
    c0, c1 = _pair(control, "control")
    t0, t1 = _pair(treated, "treated")
    local = (t1 - t0) - (c1 - c0)
    local_var = t0 + t1 + c0 + c1
    if disp_treated is None:
        disp, disp_var, cov = 0.0, 0.0, 0.0
    else:
        d0, d1 = _pair(disp_treated, "disp_treated")
        if disp_control is None:
            # Same control for the buffer: its change is subtracted twice.
            disp = (d1 - d0) - (c1 - c0)
            disp_var = d0 + d1 + c0 + c1
            cov = 2.0 * (c0 + c1)
        else:
            dc0, dc1 = _pair(disp_control, "disp_control")
            disp = (d1 - d0) - (dc1 - dc0)
            disp_var = d0 + d1 + dc0 + dc1
            cov = 0.0
    estimate = local + disp
    var = local_var + disp_var + cov
    se = math.sqrt(var)
    z_crit = NormalDist().inv_cdf(1 - alpha / 2)
    return WDDResult(
        local_estimate=local, local_se=math.sqrt(local_var), displacement_estimate=disp,
        displacement_se=math.sqrt(disp_var), estimate=estimate, se=se,
        z=estimate / se if se > 0 else None, ci_low=estimate - z_crit * se, ci_high=estimate + z_crit * se,
        alpha=alpha,
    )


def wdq(treated, control, buffer) -> float | None:
    """The weighted displacement quotient; None without a reduction in the treated area."""
    t0, t1 = _pair(treated, "treated")
    c0, c1 = _pair(control, "control")
    d0, d1 = _pair(buffer, "buffer")
    if c0 == 0 or c1 == 0:
        return None
    success = t1 / c1 - t0 / c0
    if success >= 0:
        return None
    return (d1 / c1 - d0 / c0) / success
