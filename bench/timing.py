"""What every bench script times with: the median of several runs of one call."""

from __future__ import annotations

import statistics
import time


def median_s(fn, runs: int) -> tuple[float, object]:
    """The median wall time of `runs` calls of `fn` in seconds, and the last call's result."""
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out
