"""Finished replications kept on disk, so an interrupted run resumes where it stopped.

Each replication's small results are saved in ``<out>/.replications/`` as soon as it finishes
(by the main process: workers hand their results back and never write), a later run with the
same scenario and seed loads them and runs only the missing replications. A stored file is not
trusted by its name: it carries its identity (the hash of the scenario it is a replication of,
the seed, its number and the layout) and a checksum of its contents, and :func:`read_stored`
is the one judge of whether it is the replication it claims to be. A file that fails (another
replication's, cut short, garbage) is set aside in ``set-aside/`` with a warning and the
replication runs again. A replication's patient log (``patients-NNNNN.parquet``) is vouched for
by the SHA-256 of its bytes, kept in the replication's own file. Results of another scenario or
seed are removed, never mixed in. Every file is written under a temporary name and renamed, so a
killed run leaves no half-written file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import fields
from pathlib import Path
from typing import Callable

import numpy as np

from .cache import checksum
from .output import atomic_path, output_errors
from .replications import ReplicationResult

ARRAYS = ("stats", "busy", "rostered", "queue", "inside", "measured_minutes", "inside_series", "leaving",
          "causes", "cause_hours")
NOT_STORED = ("log", "patients_parquet", "log_file", "reused")  # a result's fields kept out of its stored file
FORMAT = 4  # the layout of a stored replication: a store of another layout is started afresh
SET_ASIDE = "set-aside"


class NotTheReplication(ValueError):
    """A stored file that is not the replication it is named for (the reason is the message)."""


def replication_identity(scenario_hash: str, seed: int, replication: int) -> dict:
    """What a stored replication is: replication ``replication`` of the compiled scenario with
    this hash and ``seed``, in this layout. The same identity means the same numbers."""
    return {"of": scenario_hash, "seed": int(seed), "replication": int(replication), "format": FORMAT}


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_stored(path: Path, identity: dict, patients: Path | None = None) -> dict:
    """The fields of the replication stored at ``path`` if it is the one ``identity`` names and
    its checksum holds (and, with ``patients``, that patient log is the one it vouches for);
    else :class:`NotTheReplication` saying what is wrong."""
    try:
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {name: data[name] for name in ARRAYS}
    except Exception as exc:  # noqa: BLE001  (cut short or garbage: numpy and zipfile raise many kinds)
        raise NotTheReplication(f"cannot be read ({type(exc).__name__})") from None
    if not isinstance(meta, dict) or meta.get("identity") != identity:
        found = meta.get("identity") if isinstance(meta, dict) else None
        raise NotTheReplication(f"holds {_described(found)}, not {_described(identity)}")
    if checksum(meta.get("scalars", {}), arrays, ARRAYS) != meta.get("checksum"):
        raise NotTheReplication("its contents do not match its checksum")
    if patients is not None:
        try:
            ok = bytes_sha256(patients.read_bytes()) == meta.get("patients_sha256")
        except OSError:
            ok = False
        if not ok:
            raise NotTheReplication(f"{patients.name} is not the patient log it recorded")
    return {**meta["scalars"], **arrays}


def _described(identity) -> str:
    if not isinstance(identity, dict):
        return "no identity"
    return (f"replication {identity.get('replication')} of scenario {identity.get('of')} with seed "
            f"{identity.get('seed')} (layout {identity.get('format')})")


class ReplicationStore:
    """The replications of one (scenario, seed) in a folder; ``on_warning`` hears of every file
    set aside."""

    def __init__(self, folder: Path, scenario_hash: str, seed: int,
                 on_warning: Callable[[str], None] | None = None):
        self.dir = Path(folder) / ".replications"
        self.scenario_hash = scenario_hash
        self.seed = seed
        self.on_warning = on_warning or (lambda message: None)
        self.identity = {"scenario_hash": scenario_hash, "seed": seed, "format": FORMAT}
        self.vouched: set[int] = set()  # replications whose patient log was checked or written by this run
        with output_errors(self.dir):
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

    def path(self, replication: int) -> Path:
        return self.dir / f"replication-{replication:05d}.npz"

    def patients_part(self, replication: int) -> Path:
        return self.dir / f"patients-{replication:05d}.parquet"

    def patients_parts(self, replications: list[int]) -> list[Path]:
        """The patient logs of these replications that this run checked or wrote, in order of number."""
        return [self.patients_part(r) for r in sorted(replications) if r in self.vouched]

    def take(self, replication: int, patients: bool):
        """The stored result of ``replication`` (with its patient log when ``patients``), or None
        when it is not there or fails the check (then its files are set aside, with a warning)."""
        path, part = self.path(replication), self.patients_part(replication)
        if not path.exists() or (patients and not part.exists()):
            return None
        try:
            found = read_stored(path, replication_identity(self.scenario_hash, self.seed, replication),
                                part if patients else None)
        except NotTheReplication as exc:
            self._set_aside([path, part] if patients else [path])
            self.on_warning(f"{path}: {exc}; set aside in {self.dir / SET_ASIDE}, replication {replication} "
                            f"runs again")
            return None
        if patients:
            self.vouched.add(replication)
        return ReplicationResult(**found)

    def _set_aside(self, paths: list[Path]) -> None:
        aside = self.dir / SET_ASIDE
        with output_errors(aside):
            aside.mkdir(exist_ok=True)
            for path in paths:
                if path.exists():
                    path.replace(aside / path.name)

    def save(self, result) -> None:
        """Keep ``result`` (and its patient log, when it carries one), the log first: the
        replication's file, written last, vouches for it."""
        scalars = {f.name: getattr(result, f.name) for f in fields(result)
                   if f.name not in ARRAYS and f.name not in NOT_STORED}
        arrays = {name: getattr(result, name) for name in ARRAYS}
        meta = {"identity": replication_identity(self.scenario_hash, self.seed, result.replication),
                "checksum": checksum(scalars, arrays, ARRAYS), "scalars": scalars, "patients_sha256": None}
        if result.patients_parquet is not None:
            with atomic_path(self.patients_part(result.replication)) as tmp:
                tmp.write_bytes(result.patients_parquet)
            meta["patients_sha256"] = bytes_sha256(result.patients_parquet)
            self.vouched.add(result.replication)
            result.patients_parquet = None  # on disk now; not held in memory for the whole run
        with atomic_path(self.path(result.replication)) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)

    def done(self) -> list[int]:
        return sorted(int(p.stem.split("-")[1]) for p in self.dir.glob("replication-*.npz"))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run: what is kept, and how to go on."""

    def __init__(self, kept: int, folder: Path | str, total: int | None = None):
        self.kept, self.folder, self.total = kept, str(folder), total
        of = f" of {total}" if total is not None else ""
        super().__init__(f"interrupted: {kept}{of} replications are kept in {folder}; "
                         f"run the same command to resume")

    def __reduce__(self):
        return (type(self), (self.kept, self.folder, self.total))
