"""Fleets: a resource whose units have a station, and the trip a unit makes to a patient.

::

    resources:
      ambulance:
        fleet: {north: {count: 3}, docks: {roster: {"07:00-19:00": 2, "19:00-07:00": 1}}}
        queue: category
        dispatch: nearest        # the free unit that reaches the patient first; or first_free (free longest)
    pathways:
      emergency_call:
        - dispatch: {hold: ambulance}                        # a unit is taken...
        - mobilise: {takes: {by: category, 1: 1min, other: 3min}}
        - drive:    {travel: to_patient}                     # ...and drives from where it is to the patient
        - on_scene: {takes: lognormal(mean 45min, sd 15min)}
        - to_hospital: {travel: to_site}                     # with the patient, to its hospital
        - handover: {hold: cubicle, release: ambulance, after: 5min}

A fleet maps stations (``places.stations``) to a ``count`` (``inf``: as many as are needed) or
a ``roster``; it has no count or roster of its own. Its resource counts the sum of its stations
(units on duty per minute), so costs and utilisation read as a pool's do. ``dispatch`` (only
with a fleet) chooses among the free units.

A fleet is taken with ``hold`` (never ``use``: a unit is held until a step releases it), alone in
its step, and never given up on (``gives_up_after`` is not supported on such a step yet). The
step that takes it is followed by its unit's *trip*: zero or more steps with only ``takes`` (and
``description``), then the step ``travel: to_patient``, which is the unit's drive from where it
is to the patient's zone. A ``travel: to_site`` step is the drive from the patient's zone to its
hospital. A travel step has no ``takes``, ``use`` or ``hold``: its time is the matrix's.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, model_validator

from ..errors import hint
from ..model import DISPATCH_RULES, STATION, TO_PATIENT, TO_SITE, Fleet, FleetStation
from .roster import staff_by_minute
from .values import STRICT, Count, Roster

Dispatch = Literal[DISPATCH_RULES]  # type: ignore[valid-type]
TravelTo = Literal["to_patient", "to_site"]
TRAVEL_CODES = {"to_patient": TO_PATIENT, "to_site": TO_SITE}
HOLDING_KEYS = {"hold", "priority", "mark", "description"}  # what the step taking a unit may have
PLAIN_KEYS = {"takes", "description"}  # a step of a unit's trip before its drive
DRIVE_KEYS = {"travel", "mark", "then", "description"}  # the drive to the patient


class FleetStationSpec(BaseModel):
    """One station of a fleet: its units, a fixed ``count`` or a ``roster``."""

    model_config = STRICT
    count: Count | None = None
    roster: Roster | None = None
    description: str = ""

    @model_validator(mode="after")
    def _count_or_roster(self) -> "FleetStationSpec":
        if (self.count is None) == (self.roster is None):
            raise ValueError("give the station's units: either count or roster")
        return self


def fleet_problem(resource) -> str | None:
    """Why a resource's ``fleet`` and ``dispatch`` do not go together with the rest of it, or None."""
    if resource.fleet is None:
        return "dispatch chooses among a fleet's units: give fleet too" if resource.dispatch is not None else None
    if resource.count is not None or resource.roster is not None:
        return "a fleet has no count or roster of its own: give each station's (count or roster)"
    if not resource.fleet:
        return "a fleet needs at least one station"
    if resource.initial is not None:
        return "a fleet starts with every unit free at its station: initial is for pools"
    if resource.kind == "place":
        return "a fleet's units are crews on duty, not places"
    stations = resource.fleet.values()
    if any(s.roster is not None for s in stations) and any(s.count == math.inf for s in stations):
        return "an unlimited station (count: inf) cannot share a fleet with rostered ones"
    return None


def fleet_capacity(resource) -> tuple[float | None, np.ndarray | None]:
    """The (count, units on duty per minute of the week) of a fleet resource: its stations summed."""
    stations = list(resource.fleet.values())
    rostered = [staff_by_minute(s.roster) for s in stations if s.roster is not None]
    counts = [s.count for s in stations if s.count is not None]
    if not rostered:
        return float(sum(counts)), None
    return None, sum(rostered) + int(sum(counts))


def compile_fleets(c, places) -> dict[int, Fleet]:
    """Every fleet resource by its index, its stations resolved to places."""
    out = {}
    stations = places.names(STATION) if places is not None else []
    for r, (name, spec) in enumerate(c.spec.resources.items()):
        if spec.fleet is None:
            continue
        path = ("resources", name, "fleet")
        if places is None:
            c.error(path, "a fleet's stations are places: give places (zones, stations, hospitals) and travel")
            continue
        found = []
        for station, given in spec.fleet.items():
            if station not in stations:
                kind = next((p.kind for p in places.places if p.name == station), None)
                c.error((*path, station), f"a fleet station that is not a place: {station!r} is "
                        + (f"a {kind}, not a station" if kind else "not in places.stations")
                        + hint(station, stations, "stations"))
                continue
            cap = staff_by_minute(given.roster) if given.roster is not None else None
            found.append((station, FleetStation(places.index(station), given.count, cap)))
        out[r] = Fleet(r, [s for _, s in found], [n for n, _ in found], spec.dispatch or DISPATCH_RULES[0])
    return out


def _written(spec) -> set[str]:
    """The keys a step gives a value other than its default."""
    return {k for k, f in type(spec).model_fields.items() if getattr(spec, k) != f.default}


def compile_trips(c, steps_by_name, steps, resources) -> None:
    """``Step.travel`` and ``Step.trip`` set, and every misuse of a fleet or a travel step reported."""
    fleet_names = {name for name, spec in c.spec.resources.items() if spec.fleet is not None}
    in_trip: set[int] = set()
    for index, (name, (pathway, position, spec)) in enumerate(steps_by_name.items()):
        path = ("pathways", pathway, position, name)
        if spec.travel is not None:
            steps[index].travel = TRAVEL_CODES[spec.travel]
        for r in spec.use:
            if r in fleet_names:
                c.error((*path, "use"), f"{r} is a fleet: a unit is held until a step releases it; take it with hold")
        held = [r for r in spec.hold if r in fleet_names]
        if not held:
            continue
        others = [r for r in (*spec.hold, *spec.use) if r != held[0]]
        if others:
            c.error((*path, "hold"), f"a fleet is taken alone: take {', '.join(others)} in a step of its own")
        if spec.gives_up_after is not None:
            c.error((*path, "gives_up_after"), "giving up while waiting for a fleet's unit is not supported yet: "
                                               "remove gives_up_after from this step")
        extra = sorted(_written(spec) - HOLDING_KEYS - {"use", "gives_up_after"})
        if extra:
            c.error((*path, extra[0]), f"the step taking a unit of {held[0]} is followed by its trip: it has only "
                                       f"hold, priority, mark and description, not {extra[0]}")
        trip = trip_after(c, steps_by_name, pathway, position)
        if trip is None:
            c.error((*path, "hold"), f"a unit of {held[0]} drives to the patient next: follow this step with zero or "
                                     "more steps with only takes (such as mobilise), then a step with travel: to_patient")
            continue
        steps[index].trip = trip
        in_trip.update(trip)
    for index, (name, (pathway, position, spec)) in enumerate(steps_by_name.items()):
        if spec.travel == "to_patient" and index not in in_trip:
            c.error(("pathways", pathway, position, name, "travel"),
                    "travel: to_patient is a unit's drive to the patient: it ends a fleet's trip (a step with "
                    "hold: FLEET, then steps with only takes, then this step)")
    for resource in resources:
        if resource.initial_enter in in_trip:
            c.error(("resources", resource.name, "initial", "enter"), "a step of a unit's trip is entered only from the step before it")


def trip_after(c, steps_by_name, pathway: str, position: int) -> list[int] | None:
    """The steps after ``position`` up to the drive to the patient, or None if they are not a trip."""
    trip = []
    for j in range(position + 1, len(c.spec.pathways[pathway])):
        index = c.step_at(steps_by_name, pathway, j)
        if index is None:
            return None
        spec = list(steps_by_name.values())[index][2]
        written = _written(spec)
        trip.append(index)
        if spec.travel == "to_patient":
            return trip if written <= DRIVE_KEYS else None
        if not written <= PLAIN_KEYS:
            return None
    return None
