"""A small ambulance network shared by the network tests: three zones, two stations, one
hospital, a fleet of both stations, and a travel matrix of every pair (1 km a minute).

    north (0, 10)   a (1, 9)
                                c (6, 5)   county (5, 5)
    south (0, 0)    b (1, 1)
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

SCENARIO = """
name: Small network
run: {length: 2d, warm_up: 0, replications: 1, seed: 1}
demand:
  calls: {per_day: 48, pathway: call, mix: {category: {1: 0.2, 2: 0.8}}}
places:
  zones: zones.csv
  stations: {north: [0.0, 10.0], south: [0.0, 0.0]}
  hospitals: {county: [5.0, 5.0]}
travel:
  matrix: travel.csv
resources:
  ambulance:
    fleet:
      north: {count: 2}
      south: {roster: {"07:00-19:00": 2, "19:00-07:00": 1}}
    queue: category
  cubicle: {count: 5}
pathways:
  call:
    - dispatch: {hold: ambulance}
    - mobilise: {takes: 2min}
    - drive: {travel: to_patient}
    - on_scene: {takes: 20min}
    - to_hospital: {travel: to_site}
    - handover: {use: cubicle, takes: 15min, release: ambulance}
events:
  clock: {earliest: [arrived + 1min, dispatch.start]}
moments:
  response: {stage: transfer, from: clock, to: drive.end, by: zone, target: 90% within 15min}
"""

ZONES = """\
name,x_km,y_km,share
a,1.0,9.0,0.5
b,1.0,1.0,0.3
c,6.0,5.0,0.2
"""

PLACES = {"a": (1.0, 9.0), "b": (1.0, 1.0), "c": (6.0, 5.0), "north": (0.0, 10.0), "south": (0.0, 0.0),
          "county": (5.0, 5.0)}


def matrix_rows() -> list[str]:
    """Every ordered pair of distinct places, 1 km a minute (one decimal)."""
    return [f"{a},{b},{math.hypot(xa - xb, ya - yb):.1f}" for a, (xa, ya) in PLACES.items()
            for b, (xb, yb) in PLACES.items() if a != b]


def write_network(folder: Path, scenario: str = SCENARIO, zones: str = ZONES, rows: list[str] | None = None,
                  name: str = "scenario.yaml") -> Path:
    """The scenario, its zones and its travel matrix in ``folder``; returns the scenario's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zones.csv").write_text(zones)
    (folder / "travel.csv").write_text("\n".join(["from,to,minutes", *(matrix_rows() if rows is None else rows)]) + "\n")
    path = folder / name
    path.write_text(textwrap.dedent(scenario).lstrip())
    return path


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the only occurrence of ``fragment``."""
    assert text.count(fragment) == 1, fragment
    return text[: text.index(fragment)].count("\n") + 1


def replace_row(pair: str, new: str | None) -> tuple[list[str], int]:
    """The matrix rows with the row of ``pair`` ("north,a") replaced by ``new`` (None: removed),
    and that row's line in travel.csv (the header is line 1)."""
    rows = matrix_rows()
    index = next(i for i, r in enumerate(rows) if r.startswith(pair + ","))
    changed = rows[:index] + ([new] if new is not None else []) + rows[index + 1:]
    return changed, index + 2
