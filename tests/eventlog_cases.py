"""A small emergency department and a hand-made event log of it, shared by the event-log tests.

Five walk-ins on Monday 6 January 2025, each time chosen so that every wait is easy to work out
by hand (see test_report_actual.py for the sums).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

SCENARIO = """
name: Hand-made ED
run: {length: 2d, warm_up: 0, replications: 2, seed: 3}
stages: {reception: Emergency reception, treatment: Treatment, outcome: Outcome}
demand:
  walk_ins: {per_day: 60, pathway: ed, set: {mode: walk_in}}
resources:
  nurse: {count: 1}
  doctor: {roster: {"08:00-20:00": 2, "20:00-08:00": 1}}
pathways:
  ed:
    - triage: {mark: ed_arrival, use: nurse, takes: exponential(5min),
               assign: {acuity: {2: 0.3, 3: 0.7}}}
    - assessment: {use: doctor, priority: acuity, takes: lognormal(mean 20min, sd 8min),
                   gives_up_after: exponential(3h), gives_up_as: left_without_being_seen,
                   then: exit discharged}
moments:
  to_triage: {stage: reception, from: ed_arrival, to: triage.start, target: 80% within 15min}
  to_doctor: {stage: treatment, from: triage.end, to: assessment.start, by: acuity, critical: true,
              target: {2: 90% within 15min, 3: 90% within 30min}}
  unseen: {stage: treatment, kind: share, from: ed_arrival, outcome: left_without_being_seen,
           target: at most 5%}
  door_to_door: {stage: outcome, from: arrived, to: left, critical: true, target: 95% within 2h}
journey: {stage: outcome, target: at least 80%}
"""

MAPPING = """
scenario: scenario.yaml
patient: Attendance
outcome: Outcome
events:
  arrived: Arrived
  triage.start: Triage start
  triage.end: Triage end
  assessment.start: Seen by doctor
  assessment.end: Doctor done
  left: Left
attributes:
  acuity: Acuity
values:
  outcome: {Discharged: discharged, Did not wait: left_without_being_seen}
"""

HEADER = "Attendance,Arrived,Triage start,Triage end,Acuity,Seen by doctor,Doctor done,Left,Outcome"
ROWS = [
    "A,2025-01-06 08:00,2025-01-06 08:05,2025-01-06 08:10,2,2025-01-06 08:30,2025-01-06 08:50,2025-01-06 08:50,Discharged",
    "B,2025-01-06 08:20,2025-01-06 08:40,2025-01-06 08:45,3,2025-01-06 09:45,2025-01-06 10:00,2025-01-06 10:00,Discharged",
    "C,2025-01-06 09:00,2025-01-06 09:00,2025-01-06 09:06,3,,,2025-01-06 11:06,Did not wait",
    "D,2025-01-06 09:30,2025-01-06 09:32,2025-01-06 09:40,2,2025-01-06 09:50,2025-01-06 10:10,2025-01-06 10:10,Discharged",
    "E,2025-01-06 10:30,2025-01-06 10:31,2025-01-06 10:35,3,,,,",
]


def write_case(folder: Path, rows: list[str] | None = None, mapping: str = MAPPING, name: str = "log.csv") -> Path:
    """The scenario, the mapping (beside the log) and the log; returns the log's path."""
    (folder / "scenario.yaml").write_text(textwrap.dedent(SCENARIO).lstrip())
    log = folder / name
    log.with_suffix(".yaml").write_text(textwrap.dedent(mapping).lstrip())
    log.write_text("\n".join([HEADER, *(ROWS if rows is None else rows)]) + "\n")
    return log
