"""The scenario as the engine reads it: every name resolved to an index.

Built by :mod:`patientflow.scenario.compiling`. The engine reads only this model; it never sees a stage,
step or resource by its name, so everything domain-specific stays in the scenario file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .distributions import Distribution
from .targets import Tier
from .clock import MINUTES_PER_WEEK

DEFAULT_OUTCOME = "completed"
EXIT = -1  # ``then`` targets below 0 are exits: outcome code = -2 - target
TIME_OF_DAY = -1  # in :attr:`Model.blocking`: a wait for a time of day (``wait_until``)


@dataclass
class Varying:
    """A value that may depend on one attribute: ``cases[code]``, ``other`` for the rest."""

    attribute: int  # -1: the same for everyone
    cases: dict[int, Any]
    other: Any

    def get(self, attrs: list[int]) -> Any:
        if self.attribute < 0:
            return self.other
        return self.cases.get(attrs[self.attribute], self.other)


@dataclass
class Assignment:
    attribute: int
    mix: Varying  # of (codes, cumulative shares)
    purpose: str


@dataclass
class BranchModel:
    attribute: int  # the attribute recording the option taken (named after the step)
    table: Varying  # of cumulative shares over options
    targets: list[int]  # per option: the next step, or an exit
    codes: list[int]  # per option: its value of ``attribute``
    purpose: str


@dataclass(slots=True)
class Step:
    index: int
    name: str
    pathway: str
    queued: int
    start: int
    end: int
    marks: list[int]
    acquire: list[int]
    release_after_use: list[int]
    release: list[int]
    after: Distribution | None
    takes: Varying | None
    priority: int  # attribute ordering the queues of this step, -1: the resources' own order
    patience: Varying | None
    gives_up_as: int
    wait_until: list[float] | None  # cumulative shares over 24 hours
    assign: list[Assignment]
    branch: BranchModel | None
    then: int
    travel: int = -1  # NO_TRAVEL, or TO_PATIENT / TO_SITE: the step's time is a trip on the travel matrix
    trip: list[int] = field(default_factory=list)  # a step holding a fleet: the steps its unit runs until at scene (the last travels to the patient)
    got: list[int] = field(default_factory=list)  # per resource of ``acquire``: the event of taking it (steps taking 2 or more)
    reached: int = -1  # the event of the time of day waited for (``wait_until`` steps), -1: none
    cleared: int = -1  # the event of its released resources being free again (``after`` steps), -1: none


@dataclass
class Resource:
    index: int
    name: str
    count: float | None
    capacity_by_minute: np.ndarray | None  # rostered staff per minute of the week (10080 values)
    cost_per_hour: float
    queue_attribute: int  # -1: first come, first served
    initial_occupied: float
    initial_enter: int  # step index, -1: none
    initial_remaining: Distribution | None
    kind: str = ""  # "staff", "place", or "": inferred (experiment.costs.is_place)

    def capacity_at(self, minute_of_week: int) -> float:
        if self.capacity_by_minute is None:
            return float(self.count)  # type: ignore[arg-type]
        return float(self.capacity_by_minute[minute_of_week % MINUTES_PER_WEEK])


@dataclass
class Stream:
    index: int
    name: str
    first_step: int
    rate_by_hour_of_week: np.ndarray | None  # arrivals per minute, 168 values
    at: np.ndarray | None
    every: float | None
    start: float
    fixed_attributes: list[tuple[int, int]]
    mixes: list[Assignment]


@dataclass
class Moment:
    name: str
    stage: str
    kind: str
    start_event: int
    end_event: int  # -1 for share moments
    outcomes: list[int]
    tiers: dict[int | None, tuple[Tier, ...]]  # by group code (None: every group)
    critical: bool
    streams: list[int] | None
    filters: list[tuple[int, list[int]]]
    by: int  # attribute index, -1: one group
    title: str


@dataclass
class Model:
    """Everything the engine needs, by index."""

    attributes: list[str]
    values: list[list[str]]  # labels per attribute, in queue/priority order
    events: list[str]
    outcomes: list[str]
    resources: list[Resource]
    steps: list[Step]
    streams: list[Stream]
    moments: list[Moment]
    stages: list[tuple[str, str]]
    length: float  # minutes a replication runs
    warm_up: float  # minutes before patients count
    max_inside: int | None = None  # patients inside at which a replication stops as overloaded (None: a default)
    journey_stage: str = "outcome"
    journey_title: str = "Every critical moment met"
    reachable_steps: list[set[int]] = field(default_factory=list)
    reachable_outcomes: list[set[int]] = field(default_factory=list)
    journey_tiers: tuple[Tier, ...] = ()  # the journey outcome's target (share tiers)
    # resource -> what a patient holding it may queue for meanwhile (resources, or TIME_OF_DAY):
    # the waits it can pass on (see :mod:`patientflow.moments.bottlenecks`)
    blocking: dict[int, set[int]] = field(default_factory=dict)
    network: "Network | None" = None  # places, travel and fleets (None: a single site without geography)
    # events computed from others once a replication ends: (event, [(source event, minutes added)]),
    # each the earliest of its sources that happened (e.g. the ARP response clock's start)
    derived: list[tuple[int, list[tuple[int, float]]]] = field(default_factory=list)

    def event(self, name: str) -> int:
        return self.events.index(name)


# --------------------------------------------------------------------------- the network
NO_TRAVEL, TO_PATIENT, TO_SITE = -1, 0, 1  # Step.travel
ZONE, STATION, HOSPITAL = "zone", "station", "hospital"  # Place.kind
# what a unit of a fleet is doing, in the unit log's ``state`` column (its code is the index);
# the first eight cover every minute a unit is on duty; RUN_OVER rows overlap them: the time a
# unit worked past the end of the roster that had it on duty
VEHICLE_STATES = ("at_station", "mobilising", "to_patient", "on_scene", "to_hospital", "at_hospital",
                  "clearing", "returning", "run_over")
AT_STATION, MOBILISING, TO_PATIENT_STATE, ON_SCENE, TO_HOSPITAL, AT_HOSPITAL, CLEARING, RETURNING, RUN_OVER = range(9)
BUSY_STATES = (1, 2, 3, 4, 5, 6)  # mobilising to clearing: a unit serving a patient (utilisation's busy)
DISPATCH_RULES = ("nearest", "first_free")  # nearest: the free unit that reaches the patient first


@dataclass
class Place:
    name: str
    kind: str  # ZONE, STATION or HOSPITAL
    x: float  # km
    y: float


@dataclass
class Travel:
    """Minutes between places: one matrix per time band, the band chosen at departure."""

    minutes: np.ndarray  # (bands, places, places); inf: no road
    bands: list[str]  # band labels as written ("07:00-10:00", "other")
    band_by_minute: np.ndarray  # (1440,) the band of each minute of the day
    variability: Distribution | None = None  # a multiplier drawn per trip (its own stream)

    def at(self, origin: int, destination: int, time: float) -> float:
        return float(self.minutes[self.band_by_minute[int(time % 1440)], origin, destination])


@dataclass
class FleetStation:
    place: int  # index into Network.places (a STATION)
    count: float | None  # a fixed number of units (inf: as many as are needed)
    capacity_by_minute: np.ndarray | None  # or a roster: units on duty per minute of the week


@dataclass
class Fleet:
    """A resource whose units have a station, a place and a state (a ``fleet:`` resource)."""

    resource: int  # index into Model.resources
    stations: list[FleetStation]
    station_names: list[str]
    dispatch: str = "nearest"  # DISPATCH_RULES


@dataclass
class Network:
    places: list[Place]
    travel: Travel
    fleets: dict[int, Fleet]  # by resource index
    zone_attribute: int  # the attribute ``zone`` (-1: none)
    zone_place: list[int]  # per zone code: its place
    site_attribute: int  # the attribute ``site`` (-1: none: every patient goes to default_site)
    site_place: list[int]  # per site code: its place
    default_site: int  # the only hospital's place (-1: several; then every patient needs a site)

    def units(self, resource: int) -> list[tuple[int, int]]:
        """A fleet's units as (station, number within it), in the order of their codes: each
        station's most units on duty at once (rostered), numbered from 1. An unlimited station
        has none here: its units are made as needed, numbered on from the last."""
        fleet = self.fleets[resource]
        out = []
        for s, station in enumerate(fleet.stations):
            most = station.count if station.capacity_by_minute is None else float(station.capacity_by_minute.max())
            if most != float("inf"):
                out += [(s, k + 1) for k in range(int(most))]
        return out


EVENTS_HELP = ("events: arrived, left, marks, and STEP.queued / STEP.start / STEP.end; STEP.got_RESOURCE "
               "for a step taking two or more, STEP.time_reached with wait_until, STEP.cleared with after")


def step_event_names(step: str, hold: list[str], use: list[str], wait_until: bool, after: bool = False) -> list[str]:
    """The events a step records: queued, start and end; with two resources or more, when each
    is taken (``got_<resource>``); with ``wait_until``, when the time of day came (``time_reached``);
    with ``after``, when the resources it releases are free again (``cleared``)."""
    taken = [*hold, *use]
    return [f"{step}.{e}" for e in ("queued", "start", "end", *(f"got_{r}" for r in taken if len(taken) > 1),
                                    *(("time_reached",) if wait_until else ()), *(("cleared",) if after else ()))]
