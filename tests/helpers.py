"""Small helpers shared by the tests: write a scenario, run it, read one patient's events."""

from __future__ import annotations

import textwrap
from pathlib import Path

import patientflow as pf


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def scenario(tmp_path: Path, text: str, name: str = "scenario.yaml"):
    return pf.load_scenario(write(tmp_path, text, name))


def one_run(sc, seed: int = 1):
    """The patients of a single replication, in arrival order."""
    res = pf.simulate(sc, replications=1, seed=seed, keep_patients=1)
    return res, res.patients.sort_values(["arrived", "patient"]).reset_index(drop=True)
