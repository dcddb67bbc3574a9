"""Warnings for scenarios that run but are probably not what the planner meant.

Overload: the offered load of each resource — its busy time when nobody ever waits, measured by
a short run with every resource unlimited — set against its rostered capacity over the day.
A resource offered more work than it is rostered for can only build a queue that grows for ever.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .errors import Problem

CHECK_DAYS = 14


def offered_load(scenario, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Per resource: (offered busy hours a day, rostered staff-hours a day)."""
    from .engine import simulate_replication

    model = scenario.model
    length = min(model.length, CHECK_DAYS * 1440.0)
    unlimited = [dataclasses.replace(r, count=math.inf, capacity_by_minute=None) for r in model.resources]
    run = model.spec.run.model_copy(update={"length": length, "warm_up": min(model.warm_up, length / 2)})
    spec = model.spec.model_copy(update={"run": run})
    probe = dataclasses.replace(model, resources=unlimited, spec=spec)
    log = simulate_replication(probe, seed, 0)
    first = int(math.ceil(probe.warm_up / 60))
    days = (log.length - first * 60) / 1440
    out = {}
    for r, resource in enumerate(model.resources):
        offered = float(log.busy[r, first:].sum()) / 60 / days
        if resource.capacity_by_minute is not None:
            rostered = float(resource.capacity_by_minute.sum()) / 60 / 7
        else:
            rostered = float(resource.count) * 24  # type: ignore[arg-type]
        out[resource.name] = (offered, rostered)
    return out


def overload_warnings(scenario) -> list[Problem]:
    """A located warning per resource offered more work than its rostered capacity."""
    warnings = []
    for name, (offered, rostered) in offered_load(scenario).items():
        if np.isfinite(rostered) and offered > rostered:
            warnings.append(scenario._located.problem(
                ("resources", name),
                f"overloaded: about {offered:,.0f} busy hours a day are offered but only {rostered:,.0f} "
                f"staff-hours are rostered (load {offered / rostered:.0%}); queues will grow without end",
                severity="warning"))
    return warnings
