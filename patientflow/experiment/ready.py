"""Ready experiments: for each resource at the root of a top miss's main cause, a variant file
that ``extends:`` the scenario and adds to that resource, with the commands that test it.

The change made (:func:`experiment_for`):

* a resource with a fixed count (beds, cubicles, a fleet): :data:`MORE_PLACES` more of it, at
  least one (406 ward beds: 21 more);
* a rostered resource: one more on duty in the hours its wait concentrates (a shift of one
  over ``bottlenecks.csv``'s ``hours``; over the whole day when the wait is spread through it).

A cause that is a time of day (``wait_until``), or a resource without a finite count or roster,
gets no file: no amount of a resource changes it.
"""

from __future__ import annotations

import math
import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..scenario.variants import variant_header
from .cause_text import hours_text, named
from .costs import costed, weekly_cost

MORE_PLACES = 0.05  # the share of a fixed count a ready experiment adds (at least one)
ALL_DAY = "00:00-24:00"


@dataclass(frozen=True)
class Experiment:
    """One ready experiment: ``file`` (try-<resource>.yaml) changes ``resource`` as ``change`` says."""

    resource: str
    file: str
    change: str  # e.g. "406 → 427 ward beds", "one more doctor 18:00 to 01:00"
    changes: dict  # the scenario's changes (``Scenario.with_changes``)
    extra_cost_per_week: float

    def text(self, scenario, folder: Path, why: str) -> str:
        """The variant file, written to be read from ``folder``."""
        note = [f"Ready experiment: {self.change}.", why,
                f"Test it: {compare_command(scenario, folder, [self])}"]
        lines = variant_header(scenario.path, folder / self.file, f"{scenario.name} — try {self.change}", note)
        lines.append("resources:")
        lines.append(f"  {self.resource}:")
        for key, value in self.changes.items():
            field = key.rsplit(".", 1)[-1]
            if isinstance(value, dict):
                lines.append(f"    {field}:")
                lines += [f'      "{block}": {staff}' for block, staff in value.items()]
            else:
                lines.append(f"    {field}: {value}")
        return "\n".join(lines) + "\n"


def experiment_for(scenario, resource: str, hours: str) -> Experiment | None:
    """The ready experiment adding to ``resource`` (its wait concentrated in ``hours``), or None."""
    spec = scenario.spec.resources.get(resource)
    if spec is None:
        return None
    raw = scenario.to_dict().get("resources", {}).get(resource, {})
    if spec.roster is not None:
        block = ALL_DAY if hours in ("", "all day") else hours
        roster = {str(k): int(v) for k, v in raw.get("roster", {}).items()}
        now = roster.get(block, 0)
        changes = {f"resources.{resource}.roster": {block: now + 1}}
        change = f"one more {named(resource)} " + (f"{hours_text(block)}" if block != ALL_DAY else "all day")
    elif spec.count is not None and math.isfinite(spec.count):
        count = int(spec.count)
        more = max(1, math.ceil(MORE_PLACES * count))
        changes = {f"resources.{resource}.count": count + more}
        change = f"{count} → {count + more} {named(resource, plural=True)}"
    else:
        return None
    extra = weekly_cost(scenario.with_changes(changes).model) - weekly_cost(scenario.model)
    return Experiment(resource, f"try-{resource}.yaml", change, changes, extra)


def _shown(path) -> str:
    return shlex.quote(str(path))


def _root_option(paths: list[Path]) -> str:
    """``--root DIR`` when the files do not all lie in the current folder (a variant may name
    only files inside its root: see :mod:`patientflow.files`)."""
    here = Path.cwd().resolve()
    resolved = [Path(p).resolve() for p in paths]
    if all(p.is_relative_to(here) for p in resolved):
        return ""
    return f" --root {_shown(os.path.commonpath([str(p.parent) for p in resolved]))}"


def compare_command(scenario, folder: Path, experiments: list[Experiment]) -> str:
    """The command comparing the scenario with the experiments' files in ``folder``."""
    files = [folder / e.file for e in experiments]
    shown = " ".join(_shown(f) for f in files)
    return f"patientflow compare {_shown(scenario.path)} {shown}{_root_option([Path(scenario.path), *files])}"


def optimise_command(scenario, resources: list[str]) -> str:
    """The command searching the rosters and counts of the binding ``resources`` that have a cost
    per hour ("" when none has: the search cannot weigh a resource that costs nothing, and would
    take as many as it could)."""
    weighed = [r for r in resources if r in costed(scenario.model)]
    if not weighed:
        return ""
    return f"patientflow optimise {_shown(scenario.path)} " + " ".join(f"--vary {_shown(r)}" for r in weighed)
