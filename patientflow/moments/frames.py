"""The moments' rules applied to a patients table (one row per patient, as ``res.patients``).

Figures draw distributions and hourly pictures from the kept patients; they take the moment's
patients from here, so a picture counts exactly the patients its moment counts.
"""

from __future__ import annotations

import numpy as np

from ..model import Model, Moment
from .measure import members


def codes(patients, column: str, labels: list[str]) -> np.ndarray:
    """A label column as the model's codes (-1 where missing or unknown)."""
    import pandas as pd
    index = {label: code for code, label in enumerate(labels)}
    values = patients[column]
    if isinstance(values.dtype, pd.CategoricalDtype):  # the patients table's own columns: map the categories only
        lookup = np.array([index.get(c, -1) for c in values.cat.categories] + [-1], dtype=np.int64)
        return lookup[values.cat.codes.to_numpy()]  # code -1 (missing) takes the last entry
    return values.astype("object").map(index).fillna(-1).to_numpy(dtype=np.int64)


def moment_patients(model: Model, m: Moment, patients, done: bool = True) -> np.ndarray:
    """A boolean mask of the patients who count for ``m`` (and, with ``done``, reached its
    to-event)."""
    if patients.empty:
        return np.zeros(0, dtype=bool)
    streams = codes(patients, "stream", [s.name for s in model.streams])
    attributes = (np.column_stack([codes(patients, a, model.values[i]) for i, a in enumerate(model.attributes)])
                  if model.attributes else np.zeros((len(patients), 0), dtype=np.int64))
    start = patients[model.events[m.start_event]].to_numpy(dtype=float)
    keep = members(model, m, start, streams, attributes)
    if done and m.kind == "duration":
        keep &= ~np.isnan(patients[model.events[m.end_event]].to_numpy(dtype=float))
    return keep


def moment_waits(model: Model, m: Moment, patients):
    """The finished waits of duration moment ``m``: (patients counted and done, their waits in
    minutes, the time each wait began)."""
    keep = moment_patients(model, m, patients)
    start = patients[model.events[m.start_event]].to_numpy(dtype=float)[keep]
    stop = patients[model.events[m.end_event]].to_numpy(dtype=float)[keep]
    return keep, stop - start, start
