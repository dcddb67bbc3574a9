"""One run at a time in an output folder.

A run holds the lock ``<out>/.lock`` while it writes the folder (its replications and its
outputs), and says in ``<out>/.lock.json`` who it is: the process id, the command and when it
started. The lock is the operating system's, so it goes with the process however that ends, a
kill -9 included: a lock is never left behind. A second run into a held folder does not wait (a
run can last hours, and two runs aimed at one folder are a mistake to see at once): it stops
with :class:`FolderInUse`, naming the run that holds it, and the command exits 2. It never mixes
its results with the other run's.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from .output import OutputError, make_folder, output_errors, remove_stale_temporaries, write_json

LOCK = ".lock"
HOLDER = ".lock.json"


class FolderInUse(OutputError):
    """The folder is being written by another run."""


def holder(folder: Path) -> dict:
    """Who holds ``folder``'s lock, as that run wrote it ({} when it cannot be read)."""
    try:
        found = json.loads((Path(folder) / HOLDER).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def describe(found: dict) -> str:
    if not found:
        return "in use by another run; wait for it to end, or write to another folder"
    return (f"in use by another run (process {found.get('pid')}, started {found.get('started')}: "
            f"{found.get('command')}); wait for it to end, or write to another folder")


@contextmanager
def locked(folder: Path, command: str | None = None) -> Iterator[None]:
    """Hold ``folder`` for this run (creating it), removing what killed runs left half-written;
    raises :class:`FolderInUse` at once when another run holds it."""
    folder = Path(folder)
    make_folder(folder)
    lock = FileLock(str(folder / LOCK), timeout=0)
    try:
        with output_errors(folder):
            lock.acquire()
    except Timeout:
        raise FolderInUse(folder, describe(holder(folder))) from None
    try:
        write_json(folder / HOLDER, {"pid": os.getpid(), "command": command or _command(),
                                     "started": time.strftime("%Y-%m-%d %H:%M:%S")})
        remove_stale_temporaries(folder)
        yield
    finally:
        (folder / HOLDER).unlink(missing_ok=True)
        lock.release()


def _command() -> str:
    name = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    return " ".join(["patientflow" if name in ("__main__.py", "patientflow") else name, *sys.argv[1:]])
