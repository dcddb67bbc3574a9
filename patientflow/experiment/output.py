"""Writing results to a folder: atomically, with the run's metadata, never mixed with another run.

Every file is written to a temporary name in the same folder and renamed into place, so a run
killed part way leaves either the old file or the new one, never half of one. A folder that
holds the results of another scenario, seed or number of replications has those results removed
before the new ones are written.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_UMASK = os.umask(0)
os.umask(_UMASK)
OUTPUT_FILES = ("summary.csv", "report.html", "run.json", "patients.parquet", "utilisation.csv", "summary.xlsx")


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``; renamed onto it if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def identity(scenario, seed: int) -> dict:
    """What makes two runs' replications interchangeable: the same scenario and seed."""
    return {"scenario_hash": scenario.hash, "seed": seed}


def prepare_folder(out: Path, ident: dict) -> bool:
    """Make ``out`` ready for a run; returns True when results of a different run were removed."""
    out.mkdir(parents=True, exist_ok=True)
    meta = out / "run.json"
    if not meta.exists():
        return False
    try:
        old = json.loads(meta.read_text())
    except (OSError, ValueError):
        old = {}
    if all(old.get(k) == v for k, v in ident.items()):
        return False
    for name in OUTPUT_FILES:
        (out / name).unlink(missing_ok=True)
    import shutil
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


def write_json(target: Path, data: dict) -> None:
    write_text(target, json.dumps(data, indent=2, default=str) + "\n")


def write_csv(target: Path, frame) -> None:
    with atomic_path(target) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g", lineterminator="\n")


def write_excel(target: Path, sheets: dict) -> None:
    """A workbook with one sheet per table, for planners who live in Excel."""
    import pandas as pd
    with atomic_path(target) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name[:31], index=False)


def write_parquet(target: Path, frame) -> None:
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, index=False)
