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
    return _thinned(rates, peak, length, rng)


CHUNK = 1 << 22  # candidate times held at once: memory stays bounded however the demand peaks


def candidate_count(stream: Stream, length: float) -> float:
    """The candidate times thinning draws for ``stream`` over ``length`` minutes: its work, which
    grows with the peak rate, not with the arrivals kept."""
    rates = stream.rate_by_hour_of_week
    return float(rates.max()) * length if rates is not None else 0.0


def _thinned(rates: np.ndarray, peak: float, length: float, rng: np.random.Generator) -> np.ndarray:
    """Thinning in batches of at most about :data:`CHUNK` candidates. Candidates are drawn, then
    all of a batch are kept or dropped at once, so a run whose candidates fit one batch draws the
    same numbers in the same order as one pass over the whole run would."""
    kept, pending = [], []
    held = 0
    t = 0.0
    expected = min(CHUNK, max(16, int(peak * length * 1.05) + 64))
    while t < length:
        candidates = t + np.cumsum(rng.exponential(1 / peak, expected))
        t = float(candidates[-1])
        pending.append(candidates)
        held += candidates.size
        expected = min(CHUNK, max(16, int(peak * (length - t) * 1.1) + 64))
        if held >= CHUNK or t >= length:
            batch = np.concatenate(pending)
            batch = batch[batch < length]
            hour = (batch // 60).astype(np.int64) % HOURS_PER_WEEK
            kept.append(batch[rng.random(batch.size) * peak < rates[hour]])
            pending, held = [], 0
    return np.concatenate(kept)


def expected_per_hour_of_week(stream: Stream) -> np.ndarray:
    """The expected arrivals in each of the 168 hours of the week."""
    assert stream.rate_by_hour_of_week is not None
    return stream.rate_by_hour_of_week * 60
