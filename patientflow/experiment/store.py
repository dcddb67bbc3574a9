"""Finished replications kept on disk, so an interrupted run resumes where it stopped.

Each replication's small results are saved in ``<out>/.replications/`` as soon as it finishes,
under the scenario's hash and the seed; a later run with the same scenario and seed loads them
and runs only the missing replications. Results of another scenario or seed are removed, never
mixed in. Every file is written under a temporary name and renamed, so a killed run leaves no
half-written file.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import fields
from pathlib import Path

import numpy as np

from .output import atomic_path

ARRAYS = ("stats", "busy", "rostered", "queue", "inside", "measured_minutes", "inside_series", "leaving")
FORMAT = 2  # the layout of a stored replication: a store of another layout is started afresh


class ReplicationStore:
    """The replications of one (scenario, seed) in a folder."""

    def __init__(self, folder: Path, scenario_hash: str, seed: int):
        self.dir = Path(folder) / ".replications"
        self.identity = {"scenario_hash": scenario_hash, "seed": seed, "format": FORMAT}
        self.dir.mkdir(parents=True, exist_ok=True)
        marker = self.dir / "identity.json"
        try:
            old = json.loads(marker.read_text()) if marker.exists() else None
        except (OSError, ValueError):
            old = None
        if old != self.identity:
            shutil.rmtree(self.dir)
            self.dir.mkdir(parents=True)
            with atomic_path(marker) as tmp:
                tmp.write_text(json.dumps(self.identity))

    def _path(self, replication: int) -> Path:
        return self.dir / f"replication-{replication:05d}.npz"

    def patients_part(self, replication: int) -> Path:
        return self.dir / f"patients-{replication:05d}.parquet"

    def patients_parts(self, replications: list[int]) -> list[Path]:
        """The patient logs saved for these replications, in order of number."""
        return [p for p in (self.patients_part(r) for r in sorted(replications)) if p.exists()]

    def has(self, replication: int, patients: bool) -> bool:
        return self._path(replication).exists() and (not patients or self.patients_part(replication).exists())

    def save(self, result) -> None:
        scalars = {f.name: getattr(result, f.name) for f in fields(result)
                   if f.name not in ARRAYS and f.name != "log"}
        with atomic_path(self._path(result.replication)) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, meta=np.array(json.dumps(scalars)),
                         **{name: getattr(result, name) for name in ARRAYS})

    def load(self, replication: int):
        from .replications import ReplicationResult
        with np.load(self._path(replication)) as data:
            scalars = json.loads(str(data["meta"]))
            arrays = {name: data[name] for name in ARRAYS}
        return ReplicationResult(**scalars, **arrays)

    def done(self) -> list[int]:
        return sorted(int(p.stem.split("-")[1]) for p in self.dir.glob("replication-*.npz"))
