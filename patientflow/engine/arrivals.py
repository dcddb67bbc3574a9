"""Arrival times of each demand stream, drawn for the whole run before it starts.

Volumes vary by hour of the week: a non-homogeneous Poisson process, sampled by thinning —
candidate times from a Poisson process at the peak rate, each kept with probability
rate(candidate) / peak. Fixed times (``at:``) and fixed intervals (``every:``) serve tests and
scheduled admissions. Arrivals do not depend on the state of the system, so drawing them up front
is exact, fast, and gives every scenario of a comparison the same patients.
"""

from __future__ import annotations

import numpy as np

from ..clock import HOURS_PER_WEEK
from ..model import Stream


def arrival_times(stream: Stream, length: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival times in ``[0, length)`` minutes; time 0 is Monday 00:00."""
    if stream.at is not None:
        return stream.at[(stream.at >= 0) & (stream.at < length)]
    if stream.every is not None:
        return np.arange(stream.start, length, stream.every, dtype=float)
    rates = stream.rate_by_hour_of_week
    assert rates is not None
    peak = float(rates.max())
    if peak <= 0:
        return np.empty(0)
    chunks = []
    t = 0.0
    expected = max(16, int(peak * length * 1.05) + 64)
    while t < length:
        gaps = rng.exponential(1 / peak, expected)
        candidates = t + np.cumsum(gaps)
        t = float(candidates[-1])
        chunks.append(candidates)
        expected = max(16, int(peak * (length - t) * 1.1) + 64)
    candidates = np.concatenate(chunks)
    candidates = candidates[candidates < length]
    hour = (candidates // 60).astype(np.int64) % HOURS_PER_WEEK
    keep = rng.random(candidates.size) * peak < rates[hour]
    return candidates[keep]


def expected_per_hour_of_week(stream: Stream) -> np.ndarray:
    """The expected arrivals in each of the 168 hours of the week."""
    assert stream.rate_by_hour_of_week is not None
    return stream.rate_by_hour_of_week * 60
