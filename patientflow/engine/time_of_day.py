"""Waiting for a time of day: a patient ready to leave waits for an hour the ward discharges in,
drawn from a 24-hour profile of the hours it does."""

from __future__ import annotations

from bisect import bisect_right

from ..clock import DAY


def time_of_day_wait(cumulative: list[float], clock: float, u: float) -> float:
    """Minutes to wait, at ``clock`` minutes after midnight, for a time of day drawn from a
    24-hour profile (``cumulative`` shares, uniform within each hour): drawn among the times
    still to come today when the profile has any, otherwise from tomorrow's whole profile.
    So a patient ready at 14:00 leaves this afternoon if the ward discharges in the afternoon."""
    hour = min(int(clock // 60), 23)
    before = cumulative[hour - 1] if hour else 0.0
    done = before + (cumulative[hour] - before) * (clock - hour * 60) / 60  # the profile's share gone today
    if 1.0 - done > 1e-12:
        target, base = done + u * (1.0 - done), 0.0
    else:
        target, base = u, DAY
    h = min(bisect_right(cumulative, target), 23)
    low = cumulative[h - 1] if h else 0.0
    width = cumulative[h] - low
    at = h * 60.0 + (60.0 * (target - low) / width if width > 0 else 0.0)
    return max(0.0, base + at - clock)
