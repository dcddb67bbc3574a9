"""One store of simulated replications, shared by every command: no replication is computed twice.

A replication is a pure function of what the engine reads of the compiled scenario, the seed and
its number. So its engine output (the :class:`~patientflow.log.Log`) is kept under the SHA-256 of
those three — :func:`engine_identity` leaves out what only measuring reads (moments, targets,
the warm-up, stages, costs, kinds) and the scenario's name and description, which the model does not
hold. ``run``, ``compare``, ``optimise``, ``check-fit`` and ``pf.simulate`` all look here first,
and measure a stored log as they would a new one, so their outputs are byte-identical with the
store on, off, or shared.

* **Where.** ``$PATIENTFLOW_CACHE`` (``off`` turns it off), else ``$XDG_CACHE_HOME/patientflow``,
  else ``~/.cache/patientflow``; ``--fresh`` on the command line (or ``cache=False``) ignores it.
* **How much.** At most ``$PATIENTFLOW_CACHE_MIB`` MiB (default 2,048): beyond it, the files
  used longest ago are removed. Removing never disturbs a reader: a file opened stays readable
  after it is unlinked (POSIX), and a file gone before it is opened is simply computed again.
* **Trust.** Like the folder store, each file carries its identity and a SHA-256 of its contents;
  a file that fails either is removed, with a warning, and the replication is computed again.
  Files are compressed (zlib level 1: about a tenth of the log's size, a few per cent of the
  engine's time) and written under a temporary name, then renamed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from ..log import Log
from ..model import Model
from .output import atomic_path

FORMAT = 3  # the layout of a cached log (3: with the unit log)
DEFAULT_MIB = 2048
_ARRAYS = ("times", "attributes", "stream", "outcome", "position", "busy", "rostered", "queue", "inside",
           "waiting_at_end", "busy_changes", "units")
_SCALARS = ("replication", "length", "overloaded", "events_processed")


def engine_identity(model: Model) -> str:
    """SHA-256 of what the engine reads of ``model``: the same value, the same replications."""
    engine_only = dataclasses.replace(
        model, moments=[], stages=[], warm_up=0.0, journey_stage="", journey_title="", journey_tiers=(),
        resources=[dataclasses.replace(r, cost_per_hour=0.0, kind="") for r in model.resources])
    return hashlib.sha256(pickle.dumps(engine_only, protocol=4)).hexdigest()


def cache_folder() -> Path | None:
    """Where the shared store lives (None: turned off), from the environment."""
    given = os.environ.get("PATIENTFLOW_CACHE")
    if given is not None:
        return None if given.strip().lower() in ("", "off", "0", "false", "no") else Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "patientflow"


def log_bytes(log: Log, identity: dict) -> bytes:
    """A log as the bytes of its cached file (made where it was computed, in a worker or not)."""
    arrays = {name: np.asarray(getattr(log, name) if getattr(log, name) is not None else np.zeros(0, np.int64))
              for name in _ARRAYS if name != "busy_changes"}
    arrays["busy_changes"] = _changes_array(log.busy_changes)
    scalars = {name: getattr(log, name) for name in _SCALARS}
    scalars["overloaded"] = bool(scalars["overloaded"])
    meta = {"identity": identity, "scalars": scalars, "checksum": _checksum(scalars, arrays)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("meta.json", json.dumps(meta))
        for name, value in arrays.items():
            with archive.open(f"{name}.npy", "w") as handle:
                np.lib.format.write_array(handle, value, allow_pickle=False)
    return buffer.getvalue()


def _changes_array(changes: dict[int, np.ndarray]) -> np.ndarray:
    """A log's busy changes as one (changes, 3) array: resource, time, busy after."""
    parts = [np.column_stack([np.full(len(c), r, dtype=float), c]) for r, c in sorted(changes.items())]
    return np.concatenate(parts) if parts else np.zeros((0, 3))


def checksum(scalars: dict, arrays: dict[str, np.ndarray], names: tuple[str, ...]) -> str:
    """SHA-256 of a stored file's contents: its scalars and each named array's type, shape and
    bytes (a cached log here, a run folder's replication in :mod:`.store`)."""
    digest = hashlib.sha256(json.dumps(scalars, sort_keys=True).encode())
    for name in names:
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{value.dtype.str}:{value.shape}".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def _checksum(scalars: dict, arrays: dict[str, np.ndarray]) -> str:
    return checksum(scalars, arrays, _ARRAYS)


class ReplicationCache:
    """The shared store in ``folder``; ``on_warning`` hears of every file removed as untrustworthy."""

    def __init__(self, folder: Path, max_bytes: int | None = None,
                 on_warning: Callable[[str], None] | None = None):
        self.dir = Path(folder) / "replications"
        mib = os.environ.get("PATIENTFLOW_CACHE_MIB")
        self.max_bytes = max_bytes if max_bytes is not None else int(float(mib) * 2**20) if mib else DEFAULT_MIB * 2**20
        self.on_warning = on_warning or (lambda message: None)

    @staticmethod
    def identity(engine: str, seed: int, replication: int) -> dict:
        from ..engine import REVISION
        return {"engine": engine, "revision": REVISION, "seed": int(seed), "replication": int(replication),
                "format": FORMAT}

    def _path(self, identity: dict) -> Path:
        key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        return self.dir / key[:2] / f"{key}.npz"

    def get(self, identity: dict) -> Log | None:
        """The cached log of this replication, or None (not there, or not what it claims: removed)."""
        path = self._path(identity)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        try:
            log = self._read(data, identity)
        except (ValueError, KeyError, OSError, zipfile.BadZipFile, EOFError) as exc:
            path.unlink(missing_ok=True)
            self.on_warning(f"{path}: {exc}; removed from the replication store, computed again")
            return None
        try:
            os.utime(path)  # used now: the last to go
        except OSError:
            pass
        return log

    @staticmethod
    def _read(data: bytes, identity: dict) -> Log:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            meta = json.loads(archive.read("meta.json"))
            arrays = {name: np.lib.format.read_array(io.BytesIO(archive.read(f"{name}.npy")), allow_pickle=False)
                      for name in _ARRAYS}
        if meta.get("identity") != identity:
            raise ValueError("it holds another replication")
        if _checksum(meta["scalars"], arrays) != meta.get("checksum"):
            raise ValueError("its contents do not match its checksum")
        waiting = arrays.pop("waiting_at_end")
        changes = arrays.pop("busy_changes")
        units = arrays.pop("units")
        return Log(**arrays, **meta["scalars"], waiting_at_end=waiting if waiting.size else None,
                   units=units if units.ndim == 2 else None,
                   busy_changes={int(r): changes[changes[:, 0] == r, 1:] for r in np.unique(changes[:, 0])})

    def put(self, identity: dict, data: bytes) -> None:
        path = self._path(identity)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                tmp.write_bytes(data)
        except OSError as exc:  # a store that cannot be written costs speed, never a run
            self.on_warning(f"{path.parent}: cannot keep the replication ({exc.strerror}); going on without")
            return
        self._evict()

    def _evict(self) -> None:
        """Remove the files used longest ago until the store is within its bound."""
        files = []
        for path in self.dir.glob("*/*.npz"):
            try:
                info = path.stat()
            except OSError:
                continue
            files.append((info.st_mtime, info.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size


def chosen_cache(cache) -> ReplicationCache | None:
    """The store a call asked for: True, where the environment says (:func:`cache_folder`);
    False or None, none; or a :class:`ReplicationCache` itself."""
    if isinstance(cache, ReplicationCache):
        return cache
    folder = cache_folder() if cache else None
    return ReplicationCache(folder, on_warning=_warn) if folder is not None else None


def _warn(message: str) -> None:
    import warnings
    warnings.warn(message, RuntimeWarning, stacklevel=3)
