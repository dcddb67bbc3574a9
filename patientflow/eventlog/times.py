"""Recorded times: the cells of a log read as times and put on the scenario's clock.

A column of times is ISO 8601 date-times (or ``time_format``), or numbers of minutes; a cell
that is neither is unreadable (the event happened, but when is not known). An event whose
columns are a list takes its time from the first of them holding anything. Date-times become
minutes since minute 0, the Monday 00:00 of the first arrival's week, so hours of the week line
up with the scenario's profiles.
"""

from __future__ import annotations

import numpy as np

from ..errors import Problem
from .mapping import EventLogError
from ..clock import MINUTES_PER_WEEK


def parse_times(series, time_format: str | None = None):
    """A column of times as floats — seconds since 1970 for date-times, or minutes for numbers —
    with the mask of cells that do not parse and the kind found ("datetime", "minutes" or None)."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = series.dt.tz_convert(None) if getattr(series.dt, "tz", None) is not None else series
        seconds = ((stamps - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
        return seconds, np.zeros(len(series), dtype=bool), "datetime"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return values, np.zeros(len(series), dtype=bool), "minutes" if np.isfinite(values).any() else None
    text = series.astype("string").str.strip()
    blank = (text.isna() | (text == "") | (text == "nan") | (text == "NaT")).to_numpy()
    if blank.all():
        return np.full(len(series), np.nan), np.zeros(len(series), dtype=bool), None
    numbers = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if np.all(np.isfinite(numbers) | blank):
        return numbers, np.zeros(len(series), dtype=bool), "minutes"
    try:
        stamps = pd.to_datetime(text.where(~blank), format=time_format or "ISO8601", errors="coerce")
    except ValueError:  # offsets that differ (a clock change): all to UTC
        stamps = pd.to_datetime(text.where(~blank), format=time_format or "ISO8601", errors="coerce", utc=True)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert(None)
    seconds = ((stamps - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
    bad = ~blank & np.isnan(seconds)
    return seconds, bad, "datetime"


def coalesce(parsed: dict[str, np.ndarray], events: dict[str, list[str]], n: int, unreadable: dict[str, np.ndarray] | None = None):
    """Each event's times from the first of its columns holding one, which column that was, and
    where the event's time is unknown: the first column holding anything held what is not a time
    (the next column is not used instead: it would give the event another event's time)."""
    unreadable = unreadable or {}
    times, source, unknown = {}, {}, {}
    for event, columns in events.items():
        value = np.full(n, np.nan)
        which = np.zeros(n, dtype=int)
        lost = np.zeros(n, dtype=bool)
        for k, column in enumerate(columns):
            if column not in parsed:
                continue
            open_ = np.isnan(value) & ~lost
            fill = open_ & ~np.isnan(parsed[column])
            value[fill] = parsed[column][fill]
            which[fill] = k
            bad = open_ & unreadable.get(column, np.zeros(n, dtype=bool))
            lost |= bad
            which[bad] = k
        times[event], source[event], unknown[event] = value, which, lost
    return times, source, unknown


def wide_times(path, frame, mapping, exclusions):
    """The times of a log with one row per patient: (times per event, which of its columns each
    came from, where it is unknown, the kind of times). A cell that is not a time is left out of
    its patient (listed in ``exclusions``); date-times and numbers mixed stop the reading."""
    parsed: dict[str, np.ndarray] = {}
    unreadable: dict[str, np.ndarray] = {}
    kinds = {}
    hint = ("expected a time such as 2025-01-06 08:14:00; set time_format: in the mapping for another format"
            if not mapping.time_format else f"expected a time in the format {mapping.time_format!r}")
    for column in dict.fromkeys(c for columns in mapping.events.values() for c in columns):
        values, bad, kind = parse_times(frame[column], mapping.time_format)
        parsed[column], unreadable[column] = values, bad
        if kind:
            kinds[column] = kind
        where = np.flatnonzero(bad)
        exclusions.blank(where, column, [f"{text!r} is not a time ({hint}); this time is left out" for text in frame[column].iloc[where]])
    if len(set(kinds.values())) > 1:
        dates = [c for c, k in kinds.items() if k == "datetime"]
        numbers = [c for c, k in kinds.items() if k == "minutes"]
        raise EventLogError([Problem(str(path), 1, numbers[0], f"holds numbers while {dates[0]} holds date-times: "
                                     "give every time the same way")])
    kind = next(iter(kinds.values()), "minutes")
    times, source, unknown = coalesce(parsed, mapping.events, len(frame), unreadable)
    return times, source, unknown, kind


def to_minutes(times: dict[str, np.ndarray], usable: np.ndarray, kind: str):
    """Minutes since minute 0, the Monday 00:00 of the first usable arrival's week (in place);
    the Timestamp of minute 0 for date-times. Date-times are shifted in whole seconds before they
    become minutes, so a time to the second stays exact to ~1e-11 minutes."""
    import pandas as pd
    arrived = times["arrived"][usable]
    if not arrived.size or np.all(np.isnan(arrived)):
        if kind == "datetime":
            for e in times:
                times[e] = times[e] / 60.0
        return None
    first = float(np.nanmin(arrived))
    if kind == "datetime":
        stamp = pd.Timestamp(first, unit="s")
        origin = stamp.normalize() - pd.Timedelta(days=stamp.weekday())
        shift = (origin - pd.Timestamp(0)) / pd.Timedelta(seconds=1)
        for e in times:
            times[e] = (times[e] - shift) / 60.0
        return origin
    shift = float(np.floor(first / MINUTES_PER_WEEK) * MINUTES_PER_WEEK)
    for e in times:
        times[e] = times[e] - shift
    return None
