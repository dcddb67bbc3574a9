"""Rosters: shifts written as ``"mon-fri 07:00-19:00"``, the staff each puts on duty, and the arithmetic
every other room uses — minutes a shift covers (past midnight when it ends at or before it starts),
staff on duty in each minute of the week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..clock import MINUTES_PER_DAY, MINUTES_PER_WEEK


# ---------------------------------------------------------------- rosters
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


_SHIFT = re.compile(r"^\s*(?:(?P<days>[A-Za-z ,\-]+?)\s+)?(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")


@dataclass(frozen=True)
class Shift:
    """Staff on duty from ``start`` to ``end`` (minutes after midnight) on the given weekdays.

    A shift that ends at or before it starts runs past midnight into the next day."""

    days: tuple[int, ...]
    start: int
    end: int
    staff: int
    text: str


def _clock(text: str, whole: str) -> int:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ValueError(f"{whole!r}: {text} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def _days(text: str | None, whole: str) -> tuple[int, ...]:
    if not text:
        return tuple(range(7))
    days: list[int] = []
    for part in text.replace(" ", "").lower().split(","):
        ends = part.split("-")
        try:
            idx = [DAY_NAMES.index(e[:3]) for e in ends if e]
        except ValueError:
            raise ValueError(f"{whole!r}: days are written mon, tue, ... sun, e.g. 'mon-fri 08:00-16:00'") from None
        if len(idx) == 1:
            days.append(idx[0])
        elif len(idx) == 2:
            a, b = idx
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        else:
            raise ValueError(f"{whole!r}: a day range reads like mon-fri")
    return tuple(sorted(set(days)))


def parse_shift(item: tuple[Any, Any]) -> Shift:
    key, staff = item
    text = str(key)
    match = _SHIFT.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a shift; write 'HH:MM-HH:MM', optionally after days: 'mon-fri 07:00-19:00'")
    if isinstance(staff, bool) or not isinstance(staff, int) or staff < 0:
        raise ValueError(f"shift {text!r}: staff must be a whole number >= 0, got {staff!r}")
    start, end = _clock(match["start"], text), _clock(match["end"], text)
    if start == 24 * 60:
        raise ValueError(f"{text!r}: a shift cannot start at 24:00")
    return Shift(_days(match["days"], text), start, end, staff, text)


def shift_minutes(shift: Shift) -> int:
    """Minutes one day of the shift covers: a shift that ends at or before it starts runs past
    midnight (``20:00-08:00`` is 12 hours; ``00:00-24:00`` and ``08:00-08:00`` are 24)."""
    return shift.end - shift.start + (MINUTES_PER_DAY if shift.end <= shift.start else 0)


def staff_by_minute(shifts) -> np.ndarray:
    """Staff on duty in each minute of the week (10,080 values, Monday 00:00 first): shifts that
    overlap add, and a shift past midnight on Sunday wraps into Monday."""
    capacity = np.zeros(MINUTES_PER_WEEK, dtype=np.int64)
    for shift in shifts:
        for day in shift.days:
            start = day * MINUTES_PER_DAY + shift.start
            capacity[np.arange(start, start + shift_minutes(shift)) % MINUTES_PER_WEEK] += shift.staff
    return capacity


def block_hours(text: str) -> float:
    """Hours in a week one roster block covers, e.g. ``"mon-fri 08:00-10:00"`` → 10."""
    shift = parse_shift((text, 1))
    return len(shift.days) * shift_minutes(shift) / 60


@lru_cache(maxsize=1024)
def hours_of_day_covered(text: str) -> np.ndarray:
    """The share of each hour of the day (24 values) that one roster block covers over the
    week: ``"mon-fri 08:00-10:00"`` covers hours 8 and 9 on five days in seven (5/7 each)."""
    on = staff_by_minute([parse_shift((text, 1))]).reshape(7, 24, 60).mean(axis=(0, 2))
    on.flags.writeable = False  # shared by every caller (cached)
    return on
