"""Time-weighted counts by hour: how many intervals are open, integrated over each hour.

Used for the patients inside a simulated run (from each patient's arrival to leaving) and for
the busy staff, queues and patients inside read off an event log.
"""

from __future__ import annotations

import numpy as np


def hourly_area(starts: np.ndarray, ends: np.ndarray, n_hours: int) -> np.ndarray:
    """Minutes × open intervals ``[start, end)`` in each of ``n_hours`` hours from time 0.

    Intervals with a missing end, or ending before they start, count for nothing; times are
    clipped to the hours covered."""
    starts = np.asarray(starts, dtype=float)
    ends = np.asarray(ends, dtype=float)
    ok = ~np.isnan(starts) & ~np.isnan(ends) & (ends > starts)
    top = n_hours * 60.0
    a = np.sort(np.clip(starts[ok], 0, top))
    b = np.sort(np.clip(ends[ok], 0, top))
    edges = np.arange(n_hours + 1) * 60.0

    def opened_minutes(points: np.ndarray) -> np.ndarray:  # sum over points p below t of (t - p)
        count = np.searchsorted(points, edges, side="right")
        prefix = np.concatenate([[0.0], np.cumsum(points)])
        return count * edges - prefix[count]

    return np.diff(opened_minutes(a) - opened_minutes(b))

