"""Long event logs — one row per event — gathered into one row per patient.

A long log has a patient column, an event column (the log's own labels, which the mapping's
``events`` name) and a time column, and perhaps attribute columns on some or all rows. Rows of
events the mapping does not name are counted and listed, not used, as are exact copies of a row.
A field that cannot be used is left out of its patient only, who is still used: a time that does
not parse (the event happened, but when is not known), an event recorded twice with different
times, or two different values of an attribute (which is right cannot be told).
"""

from __future__ import annotations

import numpy as np


def widen(frame, mapping, parse_times):
    """(wide frame, problems, row of each event cell, kind of times, times per event label,
    times left out per event label, values left out per column).

    The wide frame has ``__row`` (the patient's first row), the patient column and the mapped
    attribute, stream and outcome columns (a value left out is blank); problems are (row, column,
    message, patient or None for a row not used at all, whether the patient is left out)."""
    import pandas as pd

    ev, tc, pc = mapping.event_column, mapping.time_column, mapping.patient
    problems: list[tuple[int, str, str, str | None, bool]] = []
    ids = frame[pc].astype("string").str.strip().fillna("").to_numpy(dtype=object)
    labels = frame[ev].astype("string").str.strip().fillna("").to_numpy(dtype=object)
    rows = frame["__row"].to_numpy()
    wanted = {label for labels_ in mapping.events.values() for label in labels_}
    used = np.array([label in wanted for label in labels], dtype=bool)
    for label in sorted(set(labels[~used])):
        where = rows[~used & (labels == label)]
        listed = ", ".join(map(str, where[:10])) + (", ..." if len(where) > 10 else "")
        problems.append((int(where[0]), ev, f"{len(where)} row(s) of event {label!r}, which the mapping does not name, "
                                            f"are not used (rows {listed})", None, False))
    blank = used & (ids == "")
    problems.extend((int(r), pc, "no patient id", None, False) for r in rows[blank])
    used &= ~blank
    seconds, bad, kind = parse_times(frame[tc], mapping.time_format)
    text = frame[tc].astype("string").fillna("").to_numpy(dtype=object)
    content = frame.drop(columns=["__row"]).astype("string").fillna("")
    first_copy: dict[tuple, int] = {}
    for i in np.flatnonzero(used):
        key = tuple(content.iloc[i])
        if key in first_copy:
            problems.append((int(rows[i]), ev, f"a copy of row {first_copy[key]}, which is used", None, False))
            used[i] = False
        else:
            first_copy[key] = int(rows[i])
    order = list(dict.fromkeys(ids[used]))
    position = {pid: k for k, pid in enumerate(order)}
    n = len(order)
    times = {label: np.full(n, np.nan) for label in wanted}
    unknown = {label: np.zeros(n, dtype=bool) for label in wanted}  # recorded, but the time is left out
    cell_rows = {label: np.zeros(n, dtype=int) for label in wanted}
    first_row = np.zeros(n, dtype=int)
    seen_first = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(used):
        k = position[ids[i]]
        if not seen_first[k]:
            first_row[k], seen_first[k] = rows[i], True
        label = labels[i]
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
    wide = {"__row": first_row, pc: np.asarray(order, dtype=object)}
    given_blank: dict[str, np.ndarray] = {}
    for column in dict.fromkeys([*mapping.attributes.values(), mapping.stream, mapping.outcome]):
        if column is None:
            continue
        values = frame[column].astype("string").str.strip().fillna("").to_numpy(dtype=object)
        found = np.full(n, "", dtype=object)
        clash = np.zeros(n, dtype=bool)
        for i in np.flatnonzero(used & (values != "")):
            k = position[ids[i]]
            if found[k] == "":
                found[k] = values[i]
            elif found[k] != values[i] and not clash[k]:
                clash[k] = True
                problems.append((int(rows[i]), column, f"patient {ids[i]!r} has {column} {found[k]!r} on one row and "
                                                       f"{values[i]!r} on this one: which is right cannot be told; "
                                                       "this value is left out", ids[i], False))
        found[clash] = ""
        wide[column], given_blank[column] = found, clash
    return pd.DataFrame(wide), problems, cell_rows, kind or "minutes", times, unknown, given_blank
