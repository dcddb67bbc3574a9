"""Labels: a log's attribute, outcome and stream cells in the scenario's words.

A cell is translated by the mapping's ``values`` (``Walk-in: walk_in``); ``1.0`` and ``1`` are
the same label. A value the scenario does not know is left out of its patient (an outcome left
out says the patient has left, and is told from the times like a blank one), except a stream,
which decides the pathway: an unknown stream leaves the patient out. A patient with no stream
column gets the one stream whose ``set:`` attributes it has; attributes a stream sets are
filled where the log leaves them out.
"""

from __future__ import annotations

import numpy as np

INSIDE = "inside"


def attribute_values(frame, model, mapping, given_blank: dict, exclusions):
    """(labels, ended): the attribute labels per row (None when not given, or not known), with
    the outcome (``__outcome``) and stream (``__stream``) when mapped; and, when the outcome is
    mapped, the patients whose outcome was given but left out (they have left), else None."""
    out = {}
    ended = None
    known = {a: v for a, v in zip(model.attributes, model.values)}
    for attr in model.attributes:
        column = mapping.attributes.get(attr)
        out[attr] = (read_labels(frame, column, attr, known[attr], mapping, exclusions, ended) if column
                     else np.full(len(frame), None, dtype=object))
    if mapping.outcome:
        ended = np.asarray(given_blank.get(mapping.outcome, np.zeros(len(frame), dtype=bool))).copy()
        out["__outcome"] = read_labels(frame, mapping.outcome, "outcome", [*model.outcomes, INSIDE], mapping, exclusions, ended)
    if mapping.stream:
        out["__stream"] = read_labels(frame, mapping.stream, "stream", [s.name for s in model.streams], mapping, exclusions, ended)
    return out, ended


def read_labels(frame, column: str, name: str, known: list[str], mapping, exclusions, ended) -> np.ndarray:
    """The labels of ``column`` in the scenario's words. An unknown stream leaves the patient
    out (it decides the pathway); an unknown attribute or outcome is left out (None), an
    outcome marked in ``ended``."""
    table = mapping.values.get(name, {})
    raw = frame[column].astype("string").str.strip().fillna("").tolist()
    labels = np.full(len(frame), None, dtype=object)
    for i, text in enumerate(raw):
        if text in ("", "nan", "<NA>"):
            continue
        text = number_text(text)
        labels[i] = table.get(text, text)
    unknown = np.flatnonzero([v is not None and v not in known for v in labels])
    shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    messages = [f"{name} {raw[i]!r} is not one the scenario knows ({shown}); translate it under values: {name}: in the mapping"
                for i in unknown]
    if name == "stream":
        exclusions.bad(unknown, column, messages)
    else:
        exclusions.blank(unknown, column, [m + "; this value is left out" for m in messages])
        labels[unknown] = None
        if name == "outcome":
            ended[unknown] = True
    return labels


def number_text(text: str) -> str:
    """``1.0`` and ``1`` are the same label (Parquet keeps numbers as floats)."""
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() and "." in text else text


def tell_streams(model, mapping, values, exclusions) -> list:
    """Each usable patient's arrival stream: the stream column, or the one stream whose ``set:``
    attributes the patient has; a patient whose stream cannot be told is left out."""
    names = [s.name for s in model.streams]
    given = values.get("__stream")
    out: list = [None] * len(exclusions.rows)
    for i in np.flatnonzero(exclusions.usable()):
        if given is not None and given[i] is not None:
            out[i] = given[i]
            continue
        fits = names if len(names) == 1 else [s.name for s in model.streams if s.fixed_attributes and all(
            values[model.attributes[a]][i] == model.values[a][code] for a, code in s.fixed_attributes)]
        if len(fits) == 1:
            out[i] = fits[0]
            continue
        setting = [model.attributes[a] for s in model.streams for a, _ in s.fixed_attributes]
        column = mapping.stream or next((mapping.attributes[a] for a in setting if a in mapping.attributes), mapping.patient)
        exclusions.bad([i], column, [f"cannot tell the arrival stream ({', '.join(names)}): map a stream column"
                                     + (f", or {' / '.join(dict.fromkeys(setting))}, which the streams set" if setting else "")])
    return out


def fill_fixed_attributes(model, patients) -> None:
    """Attributes a stream sets (``set: {mode: walk_in}``) that the log leaves out."""
    from .inference import labels_column
    for s in model.streams:
        mine = (patients["stream"] == s.name).to_numpy()
        for a, code in s.fixed_attributes:
            name = model.attributes[a]
            column = patients[name].to_numpy(dtype=object).copy()
            column[mine & np.array([v is None for v in column], dtype=bool)] = model.values[a][code]
            patients[name] = labels_column(column, patients.index)
