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
          "causes", "cause_hours", "vehicles")
NOT_STORED = ("log", "patients_parquet", "units_parquet", "log_file", "reused")  # kept out of its stored file
PARTS = ("patients", "units")  # a replication's logs kept beside it with --patients (the unit log: with fleets)
FORMAT = 5  # the layout of a stored replication: a store of another layout is started afresh
SET_ASIDE = "set-aside"


class NotTheReplication(ValueError):
    """A stored file that is not the replication it is named for (the reason is the message)."""


def replication_identity(scenario_hash: str, seed: int, replication: int) -> dict:
    """What a stored replication is: replication ``replication`` of the compiled scenario with
    this hash and ``seed``, in this layout. The same identity means the same numbers."""
    return {"of": scenario_hash, "seed": int(seed), "replication": int(replication), "format": FORMAT}


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_stored(path: Path, identity: dict, parts: dict[str, Path] | None = None) -> dict:
    """The fields of the replication stored at ``path`` if it is the one ``identity`` names and
    its checksum holds (and each of ``parts``, a patient or unit log by kind, is the one it
    vouches for; a unit log only where it recorded one); else :class:`NotTheReplication` saying
    what is wrong."""
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
    for kind, part in (parts or {}).items():
        expected = meta.get(f"{kind}_sha256")
        if kind != "patients" and expected is None:
            continue  # no fleet: no unit log
        try:
            ok = bytes_sha256(part.read_bytes()) == expected
        except OSError:
            ok = False
        if not ok:
            raise NotTheReplication(f"{part.name} is not the {kind[:-1]} log it recorded")
    vehicles = arrays.pop("vehicles")
    return {**meta["scalars"], **arrays, "vehicles": vehicles if vehicles.size else None}


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

    def patients_part(self, replication: int, kind: str = "patients") -> Path:
        return self.dir / f"{kind}-{replication:05d}.parquet"

    def patients_parts(self, replications: list[int], kind: str = "patients") -> list[Path]:
        """The patient (or unit) logs of these replications that this run checked or wrote, in
        order of number."""
        return [p for p in (self.patients_part(r, kind) for r in sorted(replications) if r in self.vouched)
                if kind == "patients" or p.exists()]

    def take(self, replication: int, patients: bool):
        """The stored result of ``replication`` (with its patient log when ``patients``), or None
        when it is not there or fails the check (then its files are set aside, with a warning)."""
        path = self.path(replication)
        parts = {kind: self.patients_part(replication, kind) for kind in PARTS} if patients else {}
        if not path.exists() or (patients and not parts["patients"].exists()):
            return None
        try:
            found = read_stored(path, replication_identity(self.scenario_hash, self.seed, replication), parts)
        except NotTheReplication as exc:
            self._set_aside([path, *parts.values()])
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
        if arrays["vehicles"] is None:
            arrays["vehicles"] = np.zeros((0, 0))
        meta = {"identity": replication_identity(self.scenario_hash, self.seed, result.replication),
                "checksum": checksum(scalars, arrays, ARRAYS), "scalars": scalars}
        for kind in PARTS:
            data = getattr(result, f"{kind}_parquet")
            meta[f"{kind}_sha256"] = None if data is None else bytes_sha256(data)
            if data is not None:
                with atomic_path(self.patients_part(result.replication, kind)) as tmp:
                    tmp.write_bytes(data)
                setattr(result, f"{kind}_parquet", None)  # on disk now; not held in memory for the whole run
        if meta["patients_sha256"] is not None:
            self.vouched.add(result.replication)
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
