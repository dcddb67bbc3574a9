"""The scenario clock: minutes since a Monday 00:00, in days and weeks of fixed length.

Every module that turns minutes into hours of the day or of the week takes its numbers from
here.
"""

import math

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 10080
HOURS_PER_WEEK = 168
DAY = 1440.0  # minutes in a day, for the clock's float arithmetic
WEEK = 10080.0  # minutes in a week


def measured_start(warm_up: float) -> float:
    """When the measured period of a run starts: the first whole hour after the warm-up (the
    hourly records count from there)."""
    return math.ceil(warm_up / 60) * 60.0
