"""The patient-level log as a table: one row per patient, its stream, attributes, outcome and
the time of every event (minutes since Monday 00:00 of the first week; empty when it did not
happen). Written to Parquet part by part, so memory does not grow with replications.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..log import Log
from ..model import Model

INSIDE_LABEL = "inside"


def patients_frame(model: Model, log: Log):
    """The patients of one replication as a DataFrame."""
    import pandas as pd

    n = log.times.shape[0]
    streams = [s.name for s in model.streams] + [f"initial:{r.name}" for r in model.resources]
    data = {"replication": np.full(n, log.replication, dtype=np.int32),
            "patient": np.arange(n, dtype=np.int64),
            "stream": pd.Categorical.from_codes(log.stream.astype(np.int64), streams)}
    for a, name in enumerate(model.attributes):
        data[name] = pd.Categorical.from_codes(log.attributes[:, a].astype(np.int64), model.values[a])
    outcome = log.outcome.astype(np.int64)
    outcome = np.where(outcome < 0, len(model.outcomes), outcome)
    data["outcome"] = pd.Categorical.from_codes(outcome, [*model.outcomes, INSIDE_LABEL])
    for e, event in enumerate(model.events):
        data[event] = log.times[:, e]
    return pd.DataFrame(data)


def concat_parquet(parts: list[Path], target: Path) -> None:
    """Stream the parts into one Parquet file, one part in memory at a time."""
    import pyarrow.parquet as pq

    writer = None
    try:
        for part in parts:
            table = pq.read_table(part)
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def read_parts(parts: list[Path]):
    import pandas as pd
    frames = [pd.read_parquet(p) for p in parts]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
