"""Long event logs — one row per event — gathered into one row per patient.

A long log has a patient column, an event column (the log's own labels, which the mapping's
``events`` name) and a time column, and perhaps attribute columns on some or all rows. Rows of
events the mapping does not name are counted and listed, not used, as are exact copies of a row.
A field that cannot be used is left out of its patient only, who is still used: a time that does
not parse (the event happened, but when is not known), an event recorded twice with different
times, or two different values of an attribute (which is right cannot be told).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .times import parse_times


@dataclass(frozen=True)
class Widened:
    """A long log gathered into one row per patient."""

    frame: object  # DataFrame: __row (the patient's first row), the patient column, the mapped
    #                attribute, stream and outcome columns (a value left out is blank)
    problems: list  # (row, column, message, patient or None for a row not used at all, whether the patient is left out)
    cell_rows: dict  # per event label: the row each patient's time of it is on
    kind: str  # the kind of times: "datetime" or "minutes"
    times: dict  # per event label: each patient's time (seconds since 1970, or minutes)
    unreadable: dict  # per event label: a time was recorded but is left out
    given_blank: dict  # per mapped column: the patients whose value is left out


@dataclass
class _Rows:
    """The long log's rows: patient id and event label of each, and whether it is used."""

    ids: np.ndarray
    labels: np.ndarray
    rows: np.ndarray  # row numbers in the file
    used: np.ndarray


def widen(frame, mapping) -> Widened:
    """Gather a long log (with its ``__row`` numbers) into one row per patient, listing every
    row and field that cannot be used."""
    import pandas as pd

    problems: list[tuple[int, str, str, str | None, bool]] = []
    wanted = {label for labels_ in mapping.events.values() for label in labels_}
    r = _named_rows(frame, mapping, wanted, problems)
    seconds, bad, kind = parse_times(frame[mapping.time_column], mapping.time_format)
    _drop_copies(frame, r, mapping.event_column, problems)
    order = list(dict.fromkeys(r.ids[r.used]))
    position = {pid: k for k, pid in enumerate(order)}
    text = frame[mapping.time_column].astype("string").fillna("").to_numpy(dtype=object)
    times, unknown, cell_rows, first_row = _gather_times(r, position, wanted, seconds, bad, text, mapping, problems)
    wide = {"__row": first_row, mapping.patient: np.asarray(order, dtype=object)}
    given_blank = _gather_values(frame, r, position, mapping, wide, problems)
    return Widened(pd.DataFrame(wide), problems, cell_rows, kind or "minutes", times, unknown, given_blank)


def _stripped(column) -> np.ndarray:
    return column.astype("string").str.strip().fillna("").to_numpy(dtype=object)


def _named_rows(frame, mapping, wanted: set, problems: list) -> _Rows:
    """The rows used: those of an event the mapping names, with a patient id."""
    ev, pc = mapping.event_column, mapping.patient
    ids, labels = _stripped(frame[pc]), _stripped(frame[ev])
    rows = frame["__row"].to_numpy()
    used = np.array([label in wanted for label in labels], dtype=bool)
    for label in sorted(set(labels[~used])):
        where = rows[~used & (labels == label)]
        listed = ", ".join(map(str, where[:10])) + (", ..." if len(where) > 10 else "")
        problems.append((int(where[0]), ev, f"{len(where)} row(s) of event {label!r}, which the mapping does not name, "
                                            f"are not used (rows {listed})", None, False))
    blank = used & (ids == "")
    problems.extend((int(r), pc, "no patient id", None, False) for r in rows[blank])
    used &= ~blank
    return _Rows(ids, labels, rows, used)


def _drop_copies(frame, r: _Rows, ev: str, problems: list) -> None:
    """An exact copy of a row used is not used again."""
    content = frame.drop(columns=["__row"]).astype("string").fillna("")
    first_copy: dict[tuple, int] = {}
    for i in np.flatnonzero(r.used):
        key = tuple(content.iloc[i])
        if key in first_copy:
            problems.append((int(r.rows[i]), ev, f"a copy of row {first_copy[key]}, which is used", None, False))
            r.used[i] = False
        else:
            first_copy[key] = int(r.rows[i])


def _gather_times(r: _Rows, position: dict, wanted: set, seconds, bad, text, mapping, problems: list):
    """(times, unknown, cell_rows, first_row): each patient's time of each event label, where it
    was recorded but is left out (unreadable, or recorded again with another time), the row of
    each cell, and each patient's first row."""
    ev, tc = mapping.event_column, mapping.time_column
    n = len(position)
    times = {label: np.full(n, np.nan) for label in wanted}
    unknown = {label: np.zeros(n, dtype=bool) for label in wanted}  # recorded, but the time is left out
    cell_rows = {label: np.zeros(n, dtype=int) for label in wanted}
    first_row = np.zeros(n, dtype=int)
    seen_first = np.zeros(n, dtype=bool)
    ids, rows = r.ids, r.rows
    for i in np.flatnonzero(r.used):
        k = position[ids[i]]
        if not seen_first[k]:
            first_row[k], seen_first[k] = rows[i], True
        label = r.labels[i]
        if bad[i]:
            problems.append((int(rows[i]), tc, f"{text[i]!r} is not a time (expected a time such as 2025-01-06 08:14:00, "
                                               "or set time_format: in the mapping); this time is left out", ids[i], False))
            unknown[label][k] = True
            cell_rows[label][k] = cell_rows[label][k] or rows[i]
            continue
        if cell_rows[label][k] and not unknown[label][k] and times[label][k] == seconds[i]:
            continue  # the same time again
        if cell_rows[label][k]:
            if not unknown[label][k]:
                problems.append((int(rows[i]), ev, f"event {label!r} of patient {ids[i]!r} is recorded again (first on row "
                                                   f"{cell_rows[label][k]}) with another time: which is right cannot be told; "
                                                   "this time is left out", ids[i], False))
            times[label][k], unknown[label][k] = np.nan, True
            continue
        times[label][k], cell_rows[label][k] = seconds[i], rows[i]
    return times, unknown, cell_rows, first_row


def _gather_values(frame, r: _Rows, position: dict, mapping, wide: dict, problems: list) -> dict[str, np.ndarray]:
    """Each patient's value of every mapped attribute, stream and outcome column, into ``wide``;
    returns, per column, the patients with two different values (left out, blank)."""
    n = len(position)
    given_blank: dict[str, np.ndarray] = {}
    for column in dict.fromkeys([*mapping.attributes.values(), mapping.stream, mapping.outcome]):
        if column is None:
            continue
        values = _stripped(frame[column])
        found = np.full(n, "", dtype=object)
        clash = np.zeros(n, dtype=bool)
        for i in np.flatnonzero(r.used & (values != "")):
            k = position[r.ids[i]]
            if found[k] == "":
                found[k] = values[i]
            elif found[k] != values[i] and not clash[k]:
                clash[k] = True
                problems.append((int(r.rows[i]), column, f"patient {r.ids[i]!r} has {column} {found[k]!r} on one row and "
                                                         f"{values[i]!r} on this one: which is right cannot be told; "
                                                         "this value is left out", r.ids[i], False))
        found[clash] = ""
        wide[column], given_blank[column] = found, clash
    return given_blank
