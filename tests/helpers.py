"""Small helpers shared by the tests: write a scenario, run it, read one patient's events."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import patientflow as pf

# a call centre and a clinic: queues, patience, a branch and a roster, small enough for seconds
CALLS = """
name: Call centre and clinic
run: {length: 4d, warm_up: 12h, replications: 4, seed: 11}
demand:
  calls: {per_day: 400, by_hour: [1,1,1,1,1,1,2,3,4,4,4,4,4,4,4,4,4,3,3,2,2,2,1,1], pathway: call,
          mix: {urgency: {1: 0.3, 2: 0.7}}}
resources:
  handler: {roster: {"08:00-20:00": 2, "20:00-08:00": 1}, cost_per_hour: 20}
  clinician: {count: 2, queue: urgency, cost_per_hour: 60}
pathways:
  call:
    - answer: {use: handler, takes: exponential(3min), gives_up_after: exponential(5min)}
    - route:
        branch:
          advice: {p: 0.6, then: exit advised}
          clinic: {p: 0.4}
    - consult: {use: clinician, takes: lognormal(mean 12min, sd 6min)}
moments:
  to_answer: {stage: request, from: arrived, to: answer.start, target: 90% within 2min}
  abandoned: {stage: request, kind: share, from: arrived, outcome: abandoned, target: at most 10%}
  to_clinician: {stage: clinic, from: consult.queued, to: consult.start, by: urgency,
                 target: 90% within 60min, critical: true}
"""


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


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    """The command line, run as a user runs it (arguments as text), in ``cwd``."""
    return subprocess.run([sys.executable, "-m", "patientflow.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def session(leader: int) -> list[int]:
    """The live processes of the session ``leader`` started (zombies are dead: left out)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == leader:
            continue
        try:
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            if os.getsid(int(entry)) == leader and state not in ("Z", "X"):
                found.append(int(entry))
        except (OSError, IndexError):
            pass
    return found
