"""Writing simulated patients as an event log, in the column layout a service's own data has.

The reverse of :mod:`patientflow.eventlog.reader`: from the patients of a run (``res.patients``, one row
per patient, times in minutes) to a CSV or Parquet file whose columns are named as operations
data names them and whose times are date-times. It makes the synthetic logs the tests and the
examples calibrate from; no real data is needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

EPOCH = "2025-01-06"  # a Monday: minute 0 of a written log


def event_log_frame(patients, layout: dict[str, str], values: dict[str, dict[str, str]] | None = None,
                    origin: str = EPOCH, time_format: str = "%Y-%m-%d %H:%M:%S", id_prefix: str = "P"):
    """A DataFrame with one column per ``layout`` item (log column: scenario name — an event, an
    attribute, ``patient``, ``stream`` or ``outcome``). Times are written as date-times from
    ``origin`` (a Monday 00:00), to the second; ``values`` translates labels into the log's words
    (``{mode: {walk_in: Walk-in}}``); an event that did not happen is left blank."""
    import pandas as pd

    values = values or {}
    start = pd.Timestamp(origin)
    if start.weekday() != 0 or start != start.normalize():
        raise ValueError(f"origin must be a Monday 00:00, got {origin}")
    out = {}
    for column, name in layout.items():
        if name == "patient":
            out[column] = [f"{id_prefix}{int(p):06d}" for p in patients["patient"]]
            continue
        series = patients[name]
        if pd.api.types.is_numeric_dtype(series) and not isinstance(series.dtype, pd.CategoricalDtype):
            minutes = series.to_numpy(dtype=float)
            stamps = start + pd.to_timedelta(np.round(minutes * 60), unit="s")
            out[column] = pd.Series(stamps).dt.strftime(time_format).where(~np.isnan(minutes), "")
            continue
        table = values.get(name, {})
        labels = series.astype("string").fillna("")
        out[column] = [table.get(v, v) if v not in ("", "nan") else "" for v in labels]
    return pd.DataFrame(out)


def write_event_log(frame, path: str | Path) -> None:
    """Write a log frame as CSV or Parquet (by the file's suffix), atomically."""
    from ..experiment.output import atomic_path, write_parquet
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        write_parquet(path, frame)
        return
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
