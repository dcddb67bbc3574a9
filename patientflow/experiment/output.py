"""Writing results to a folder: atomically, all of a run's files together, never mixed with another run.

Every file is written to a temporary name in the same folder (``.NAME.XXXXXXXX.tmp``) and renamed
into place, so a run killed part way leaves either the old file or the new one, never half of
one; a temporary is removed on every way out of the block that writes it, and one left by a kill
is removed by the next run (:func:`remove_stale_temporaries`). The outputs of one run are staged
(:func:`staged`): written in full first, then renamed into place together, so a full disk leaves
the previous run's files as they were. A folder that holds the results of another scenario or
seed has those results removed before the new ones are written. A place that cannot be written
(a file where a folder should be, a read-only or full disk) raises :class:`OutputError`, naming it.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import re
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_UMASK = os.umask(0)
os.umask(_UMASK)
OUTPUT_FILES = ("summary.csv", "report.html", "run.json", "patients.parquet", "utilisation.csv", "bottlenecks.csv",
                "summary.xlsx", "vehicles.csv", "units.parquet")
READY_EXPERIMENTS = "try-*.yaml"  # a run's ready experiments (see experiment.ready)
STORE_FOLDERS = (".replications", ".candidates")  # the hidden folders a run keeps its replications in
TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # what atomic_path names its temporaries

# what an operating system error at an output means to the person who chose the output
_MEANING = {
    errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
    errno.EPERM: "permission denied", errno.EEXIST: "a file is in the way of a folder",
    errno.ENOTDIR: "a file is in the way of a folder", errno.EISDIR: "is a folder, not a file",
}


class OutputError(Exception):
    """An output that cannot be written, as ``PATH: what is wrong``; the command exits 2."""

    def __init__(self, path: Path | str, message: str):
        self.path = str(path)
        self.message = message
        super().__init__(f"{path}: {message}")

    def __reduce__(self):
        return (type(self), (self.path, self.message))


def output_error(exc: OSError, target: Path | str) -> OutputError | None:
    """``exc``, raised while writing ``target``, as an OutputError; None when it is not about the
    place written (then it is an internal error)."""
    meaning = _MEANING.get(exc.errno)
    if meaning is None:
        return None
    named = exc.filename if exc.errno in (errno.EEXIST, errno.ENOTDIR, errno.EISDIR) and exc.filename else target
    return OutputError(named, meaning)


@contextmanager
def output_errors(target: Path | str) -> Iterator[None]:
    """Operating system errors in the block, at ``target``, raised as :class:`OutputError`."""
    try:
        yield
    except OSError as exc:
        mapped = output_error(exc, target)
        if mapped is None:
            raise
        raise mapped from None


def _in_the_way(folder: Path) -> Path | None:
    """The file standing where ``folder`` or one of its parents should be, if there is one."""
    for place in (folder, *folder.parents):
        if place.exists():
            return None if place.is_dir() else place
    return None


def make_folder(folder: Path) -> None:
    """``folder`` and its parents, or an OutputError naming the file in the way or the reason."""
    folder = Path(folder)
    blocker = _in_the_way(folder)
    if blocker is not None:
        raise OutputError(blocker, "is a file, not a folder" + ("" if blocker == folder else f" (in the way of {folder})"))
    with output_errors(folder):
        folder.mkdir(parents=True, exist_ok=True)


def check_file_target(target: Path) -> None:
    """An OutputError now, before any work, when ``target`` cannot become a file: a folder is
    there, or a file is in the way of its folder."""
    target = Path(target)
    if target.is_dir():
        raise OutputError(target, "is a folder, not a file")
    blocker = _in_the_way(target.parent)
    if blocker is not None:
        raise OutputError(blocker, f"is a file, not a folder (in the way of {target})")


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``; renamed onto it if the block succeeds, removed on
    every other way out of it (an error, Ctrl-C)."""
    target = Path(target)
    check_file_target(target)
    make_folder(target.parent)
    with output_errors(target):
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        try:
            yield Path(tmp)
            os.chmod(tmp, 0o666 & ~_UMASK)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


class Staging:
    """The files of one run, written under temporary names until they are all written."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pending: dict[str, Path] = {}
        self.removed: list[str] = []
        self.writing: Path = folder  # the output being written (named when the writing fails)

    def path(self, name: str) -> Path:
        """Where to write the output ``name`` (a temporary until the staging is published)."""
        target = self.writing = self.folder / name
        check_file_target(target)
        with output_errors(target):
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.folder)
        os.close(fd)
        self.pending[name] = Path(tmp)
        return Path(tmp)

    def remove(self, name: str) -> None:
        """Remove the output ``name`` when the staging is published (an output not asked for)."""
        self.removed.append(name)

    def publish(self) -> None:
        for name, tmp in self.pending.items():  # in the order written: run.json, written last, last
            with output_errors(self.folder / name):
                os.chmod(tmp, 0o666 & ~_UMASK)
                os.replace(tmp, self.folder / name)
        for name in self.removed:
            (self.folder / name).unlink(missing_ok=True)
        self.pending = {}

    def discard(self) -> None:
        for tmp in self.pending.values():
            tmp.unlink(missing_ok=True)


@contextmanager
def staged(folder: Path) -> Iterator[Staging]:
    """Write a run's outputs with ``staging.path(name)``: all are renamed into ``folder`` when the
    block ends, or none (and no temporary is left) when it fails."""
    make_folder(folder)
    staging = Staging(folder)
    try:
        yield staging
        staging.publish()
    except OSError as exc:
        mapped = output_error(exc, staging.writing)
        if mapped is None:
            raise
        raise mapped from None
    finally:
        staging.discard()


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporaries a killed run left in ``folder`` and its store folders (call it while
    holding the folder's lock, so no live run's temporary goes); returns those removed."""
    places = [folder]
    for name in STORE_FOLDERS:
        if (folder / name).is_dir():
            places += [folder / name, *(p for p in (folder / name).rglob("*") if p.is_dir())]
    removed = []
    for place in places:
        if not place.is_dir():
            continue
        for path in place.iterdir():
            if TEMPORARY.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def identity(scenario, seed: int) -> dict:
    """What makes two runs' replications interchangeable: the same scenario and seed."""
    return {"scenario_hash": scenario.hash, "seed": seed}


def prepare_folder(out: Path, ident: dict) -> bool:
    """Make ``out`` ready for a run; returns True when results of a different run were removed."""
    make_folder(out)
    meta = out / "run.json"
    if not meta.exists():
        return False
    try:
        old = json.loads(meta.read_text())
    except (OSError, ValueError):
        old = {}
    if all(old.get(k) == v for k, v in ident.items()):
        return False
    with output_errors(out):
        for name in [*OUTPUT_FILES, *(p.name for p in out.glob(READY_EXPERIMENTS))]:
            (out / name).unlink(missing_ok=True)
        shutil.rmtree(out / ".replications", ignore_errors=True)
    return True


def versions() -> dict:
    from importlib import metadata

    from ..version import __version__
    found = {"patientflow": __version__, "python": platform.python_version()}
    for package in ("simpy", "numpy", "pandas", "scipy", "plotly", "pyarrow"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return found


def run_metadata(scenario, results, ident: dict) -> dict:
    return {
        **ident,
        "scenario": scenario.name,
        "scenario_file": str(scenario.path),
        "files": [str(p) for p in scenario.files],
        "length_minutes": scenario.spec.run.length,
        "warm_up_minutes": scenario.spec.run.warm_up,
        "random_streams": "one numpy SeedSequence per experiment; a PCG64 generator per "
                          "replication, arrival stream and purpose, keyed by their names",
        "overloaded_replications": results.overloaded,
        "overwhelmed_resources": results.overwhelmed,
        "patients_per_replication": results.patient_counts,
        "run_seconds": round(results.seconds, 3),
        "versions": versions(),
        "machine": {"system": platform.system(), "machine": platform.machine(),
                    "cpus": os.cpu_count(), "argv": sys.argv[1:]},
    }


def json_text(data: dict) -> str:
    return json.dumps(data, indent=2, default=str) + "\n"


def write_json(target: Path, data: dict) -> None:
    write_text(target, json_text(data))


def csv_to(path: Path, frame) -> None:
    """``frame`` as CSV at ``path`` (the one format of every CSV output)."""
    frame.to_csv(path, index=False, float_format="%.6g", lineterminator="\n")


def write_csv(target: Path, frame) -> None:
    with atomic_path(target) as tmp:
        csv_to(tmp, frame)


def excel_to(path: Path, sheets: dict) -> None:
    """A workbook with one sheet per table, for planners who live in Excel."""
    import pandas as pd
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)


def write_excel(target: Path, sheets: dict) -> None:
    with atomic_path(target) as tmp:
        excel_to(tmp, sheets)


def write_parquet(target: Path, frame) -> None:
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False)
