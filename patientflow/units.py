"""Units and how numbers are written for people: minutes, shares, patients a day.

Every page, table and command writes a number through these functions, so a share is always a
percentage of 0–100 with a "%" and a wait is always in minutes (or hours and seconds where that
reads better), never one shown as the other.
"""

from __future__ import annotations

import math

MINUTE = "min"
SHARE = "share"


def missing(value) -> bool:
    """No number to show (None or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or value != value


def duration_text(minutes: float) -> str:
    """A target's time as a planner writes it: ``15 s``, ``30 min``, ``4 h``."""
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes / 60:g} h"
    if minutes < 1:
        return f"{minutes * 60:g} s"
    return f"{minutes:g} min"


def share_text(value: float, digits: int = 1) -> str:
    """A fraction (0–1) as a percentage: ``0.953`` → ``95.3 %``."""
    return "–" if missing(value) else f"{100 * value:.{digits}f} %"


def minutes_text(value: float, digits: int = 1) -> str:
    """Minutes with their unit: ``12.3 min``."""
    return "–" if missing(value) else f"{value:,.{digits}f} min"


def value_text(value: float, unit: str, digits: int = 1) -> str:
    """A statistic in the unit of its summary row (``min`` or ``share``)."""
    return share_text(value, digits) if unit == SHARE else minutes_text(value, digits)


def number_text(value: float, digits: int = 1) -> str:
    """A plain number: ``1,234.5``."""
    return "–" if missing(value) else f"{value:,.{digits}f}"


def interval_text(value: float, low: float, high: float, unit: str = "", digits: int = 1) -> str:
    """An estimate with its 95 % interval: ``12.3 min (11.0 – 13.6)`` (the unit once)."""
    def plain(x: float) -> str:
        if missing(x):
            return "–"
        return f"{100 * x:.{digits}f}" if unit == SHARE else f"{x:,.{digits}f}"
    suffix = {SHARE: " %", MINUTE: " min"}.get(unit, f" {unit}" if unit else "")
    if missing(value):
        return "–"
    if missing(low) or missing(high):
        return f"{plain(value)}{suffix}"
    return f"{plain(value)}{suffix} ({plain(low)} – {plain(high)})"


def group_label(group: str) -> str:
    """``acuity=1`` as a planner reads it: ``acuity 1`` (``all``: nothing)."""
    return "" if group == "all" else group.replace("=", " ").replace("_", " ")


def row_label(title: str, group: str, tier: str = "") -> str:
    """A summary row as a label: ``Response (category 1) · 90% within 15min``."""
    label = title + (f" ({group_label(group)})" if group != "all" else "")
    return label + (f" · {tier}" if tier else "")


def change_text(value: float, low: float, high: float, unit: str) -> str:
    """A difference with its 95 % interval, signed: ``-285 min (-370 to -200)``, ``+4.1 points
    (+1.5 to +6.7)`` (a share's in percentage points); a wait under 10 minutes with a decimal."""
    if missing(value):
        return "–"
    if unit == SHARE:
        scale, suffix, digits = 100.0, " points", 1
    else:
        scale, suffix, digits = 1.0, " min", 0 if abs(value) >= 10 else 1
    def signed(x: float) -> str:
        return "–" if missing(x) else f"{scale * x:+,.{digits}f}"
    interval = "" if missing(low) or missing(high) else f" ({signed(low)} to {signed(high)})"
    return f"{signed(value)}{suffix}{interval}"
