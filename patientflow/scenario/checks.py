"""Warnings for scenarios that run but are probably not what the planner meant.

Overload: the offered load of each resource — its busy time when nobody ever waits, measured by
a short run with every resource unlimited — set against its rostered capacity over the day.
A resource offered more work than it is rostered for can only build a queue that grows for ever.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from ..engine.arrivals import candidate_count
from ..errors import Problem
from ..clock import DAY, MINUTES_PER_DAY, MINUTES_PER_WEEK

CHECK_DAYS = 14
PROBE_PATIENTS = 10_000  # patients the overload check simulates at most (about a second)


def offered_load(scenario, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Per resource: (offered busy hours a day, rostered staff-hours a day).

    The probe run is bounded: at most :data:`CHECK_DAYS` days and about :data:`PROBE_PATIENTS`
    patients. Where the demand would bring more, every stream's rate is divided by the same
    factor (and the initial occupants with it) and the busy hours multiplied back (with no queue,
    busy time grows in proportion to the patients), so the check costs the same for a county and for a packed stress test."""
    from ..engine.replication import simulate_replication

    model = scenario.model
    length = min(model.length, CHECK_DAYS * DAY)
    short = dataclasses.replace(model, length=length, warm_up=min(model.warm_up, length / 2))
    scale = max(1.0, expected_patients(short) / PROBE_PATIENTS)
    unlimited = [dataclasses.replace(r, count=math.inf, capacity_by_minute=None,
                                     initial_occupied=round(r.initial_occupied / scale)) for r in model.resources]
    probe = dataclasses.replace(short, resources=unlimited, streams=[_thinner(st, scale) for st in model.streams],
                                network=_unlimited_fleets(model.network))
    log = simulate_replication(probe, seed, 0)
    first = int(math.ceil(probe.warm_up / 60))
    days = (log.length - first * 60) / MINUTES_PER_DAY
    out = {}
    for r, resource in enumerate(model.resources):
        offered = float(log.busy[r, first:].sum()) * scale / 60 / days
        if resource.capacity_by_minute is not None:
            rostered = float(resource.capacity_by_minute.sum()) / 60 / 7
        else:
            rostered = float(resource.count) * 24  # type: ignore[arg-type]
        out[resource.name] = (offered, rostered)
    return out


def _unlimited_fleets(network):
    """A network whose every fleet station has as many units as are needed (the probe's)."""
    if network is None or not network.fleets:
        return network
    fleets = {r: dataclasses.replace(f, stations=[dataclasses.replace(s, count=math.inf, capacity_by_minute=None)
                                                  for s in f.stations]) for r, f in network.fleets.items()}
    return dataclasses.replace(network, fleets=fleets)


def _thinner(stream, scale: float):
    """``stream`` with ``scale`` times fewer arrivals (fixed times ``at:`` are few, and kept)."""
    if scale == 1 or stream.at is not None:
        return stream
    if stream.every is not None:
        return dataclasses.replace(stream, every=stream.every * scale)
    return dataclasses.replace(stream, rate_by_hour_of_week=stream.rate_by_hour_of_week / scale)


def scenario_warnings(scenario) -> list[Problem]:
    """Every warning about a scenario: resources no step uses, then overloaded resources."""
    return unused_warnings(scenario) + overload_warnings(scenario)


def unused_warnings(scenario) -> list[Problem]:
    """A located warning per resource no step uses (one named like a used one is an error)."""
    from .pathway_checks import used_resources
    model = scenario.model
    used = {r.index for r in used_resources(model.resources, model.steps)}
    return [scenario.problem(("resources", r.name), f"no step uses {r.name!r}: it is never busy, "
                                      "and its cost per hour still counts", severity="warning")
            for r in model.resources if r.index not in used]


def overload_warnings(scenario) -> list[Problem]:
    """A located warning per resource offered more work than its rostered capacity, saying which
    line of a variant (or which change given in code) made it so."""
    warnings = []
    for name, (offered, rostered) in offered_load(scenario).items():
        if np.isfinite(rostered) and offered > rostered:
            made = variant_lines(scenario, name)
            warnings.append(scenario.problem(
                ("resources", name),
                f"{name} overloaded: about {offered:,.0f} busy hours a day are offered but only {rostered:,.0f} "
                f"staff-hours are rostered (load {offered / rostered:.0%}); queues will grow without end"
                + (f"; made by {', '.join(made)}" if made else ""),
                severity="warning"))
    return warnings


def variant_lines(scenario, resource: str) -> list[str]:
    """Where the scenario's own file (when it extends another), or changes given in code, set
    what loads ``resource``: its count or roster, a step that takes it, or the demand
    (``variant.yaml:12 (pathways.ed.triage.takes)``)."""
    from .merging import CHANGES
    located = scenario.located
    own = str(located.main)
    if all(file == own for file, _ in located.locations.values()):
        return []  # a file that extends nothing is not a variant
    model = scenario.model
    index = next(r.index for r in model.resources if r.name == resource)
    steps = {s.name for s in model.steps if index in s.acquire}
    out: dict[str, str] = {}  # one entry a line: its first (outermost) key
    for path, (file, line) in sorted(located.locations.items(), key=lambda item: (item[1][1], len(item[0]))):
        if file not in (own, CHANGES) or len(path) < 2:
            continue
        loads = (path[:2] == ("resources", resource) and len(path) >= 3 and path[2] in ("count", "roster", "fleet")) \
            or (path[0] == "pathways" and len(path) >= 5 and path[3] in steps and path[4] in ("takes", "use", "hold")) \
            or (path[0] == "demand" and len(path) >= 3 and path[2] in ("per_day", "per_hour", "by_hour", "by_week"))
        if loads:
            where = f"{Path(file).name}:{line}" if line else file
            key = ".".join(str(p) for p in path if not isinstance(p, int))  # a step by its name
            out.setdefault(where, f"{where} ({key})")
    return list(out.values())


MAX_RUN_LENGTH = 10 * 365 * DAY  # ten years, in minutes
MAX_LOG_CELLS = 200_000_000  # patients × events in one replication's log (1.6 GB)
MAX_PATIENTS = 5_000_000  # patients one replication may bring (a large region's year of calls is about 2 million)
MAX_CANDIDATES = 250_000_000  # candidate times the arrival sampler may draw in one replication (~20 s)


def expected_by_stream(model) -> dict[str, float]:
    """Patients each arrival stream is expected to bring in one replication."""
    out = {}
    for stream in model.streams:
        if stream.rate_by_hour_of_week is not None:
            out[stream.name] = float(stream.rate_by_hour_of_week.sum()) * 60 / MINUTES_PER_WEEK * model.length
        elif stream.at is not None:
            out[stream.name] = float(len(stream.at))
        else:
            out[stream.name] = max(0.0, (model.length - stream.start) / stream.every)
    return out


def expected_patients(model) -> float:
    """Patients a replication is expected to create: arrivals over the run plus initial occupants."""
    return sum(r.initial_occupied for r in model.resources) + sum(expected_by_stream(model).values())


def size_problems(scenario) -> list[Problem]:
    """Runs too big for this machine, found before they start (not after memory runs out)."""
    model = scenario.model
    located = scenario.located
    problems = []
    if model.length > MAX_RUN_LENGTH:
        problems.append(located.problem(("run", "length"), f"a run of {model.length / DAY:,.0f} days is longer than "
                                        f"the {MAX_RUN_LENGTH / DAY:,.0f} days one replication may last; "
                                        "use more replications instead"))
        return problems
    patients = expected_patients(model)
    busiest = max(model.streams, key=lambda st: candidate_count(st, model.length), default=None)
    if busiest is not None and candidate_count(busiest, model.length) > MAX_CANDIDATES:
        problems.append(located.problem(("demand", busiest.name), f"its busiest hour brings about "
                                        f"{float(busiest.rate_by_hour_of_week.max()) * 60:,.0f} patients, and drawing "
                                        f"arrivals at that rate for {model.length / DAY:,.0f} days is more work than one "
                                        "replication may take; check the profile, or shorten run.length"))
    cells = patients * len(model.events)
    if patients > MAX_PATIENTS or cells > MAX_LOG_CELLS:
        by_stream = expected_by_stream(model)
        biggest = max(by_stream, key=by_stream.get) if by_stream else None
        path = ("demand", biggest) if biggest and by_stream[biggest] * 2 > patients else ("run", "length")
        if any(r.initial_occupied * 2 > patients for r in model.resources):
            path = ("resources", max(model.resources, key=lambda r: r.initial_occupied).name, "initial")
        problems.append(located.problem(path, f"about {patients:,.0f} patients a replication "
                                        f"({len(model.events)} events each) is more than one replication can record "
                                        f"(at most {min(MAX_PATIENTS, MAX_LOG_CELLS // max(1, len(model.events))):,}); "
                                        "shorten run.length or check the volumes (per_day is patients a day)"))
    return problems
