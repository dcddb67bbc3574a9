"""A fleet at run time: units with a station, a place and a state, sent to patients by the
fleet's dispatch rule, moved by the fleet's own timers, and back to their station when free.

A patient's step that ``hold``s a fleet asks it for a unit and waits for one *at scene*: the
fleet chooses the unit (``nearest``: the free unit whose arrival at the patient is earliest on
the travel matrix; ``first_free``: the unit free longest), then lays out the trip — the holding
step's own time and the plain steps after it (mobilising), then the drive to the patient's zone
— writing the patient's events of those steps, and wakes the patient when the unit arrives. The
patient's process is never interrupted, so a later re-tasking moves only an assignment.

Shifts end as in pools (:mod:`.resources`): when a station's roster drops, a free unit goes off
(one at its station first, else one on its way back, which goes off on arrival); when none is
free, the next of the station's units to become free goes off instead of taking a call. The time
a unit works past the roster that had it on duty is recorded as ``run_over`` rows, overlapping
its activity rows, so that per unit the activity adds up to rostered time plus run-over.

Every span of every unit is a row of the unit log (:data:`patientflow.log.UNIT_COLUMNS`).
"""

from __future__ import annotations

import math
from heapq import heappop, heappush

import simpy
from simpy.events import NORMAL, Timeout

from ..model import (AT_STATION, CLEARING, MOBILISING, ON_SCENE, RETURNING, RUN_OVER, TO_PATIENT_STATE,
                     Fleet, Network)
from .resources import Pool
from .travel import Roads, from_the_road


class Trip:
    """What a fleet needs of a patient's trip to scene, from the step holding the fleet: that
    step's (start, end, takes), per plain step after it (queued, start, end, takes), the drive's
    (queued, start, end), the drive's name (its draws), the step after it, and the error of a
    patient without a zone."""

    __slots__ = ("hold", "steps", "travel", "name", "next", "no_zone")

    def __init__(self, hold, steps, travel, name: str, next_step: int, no_zone):
        self.hold, self.steps, self.travel, self.name, self.next, self.no_zone = hold, steps, travel, name, next_step, no_zone


class Unit:
    __slots__ = ("code", "station", "number", "home", "place", "state", "since", "origin", "destination", "patient",
                 "available", "free_since", "road", "going_off", "over_since", "token", "trip_events")

    def __init__(self, code: int, station: int, number: int, home: int):
        self.code, self.station, self.number, self.home = code, station, number, home
        self.place = home
        self.state = -1  # the open row's state (-1: off duty)
        self.since = 0.0
        self.origin = self.destination = home
        self.patient = -1
        self.available = False  # on duty, free and not going off
        self.free_since = 0.0
        self.road: tuple[int, int, float, float] | None = None  # returning: (from, to, departed, minutes)
        self.going_off = False
        self.over_since: float | None = None
        self.token = 0  # counts assignments: a return trip's arrival is stale once it changed
        self.trip_events: list[int] = []  # the patient's events written ahead for the trip under way


class _Station:
    __slots__ = ("index", "home", "capacity", "unlimited", "units", "owed", "over")

    def __init__(self, index: int, home: int, capacity: float):
        self.index, self.home, self.capacity = index, home, capacity
        self.unlimited = math.isinf(capacity)
        self.units: list[Unit] = []
        self.owed = 0  # shift ends not yet met: the next units to become free go off
        self.over: list[Unit] = []  # busy units marked as working past their roster (most recent last)


class FleetRun:
    """One fleet's units during one replication."""

    def __init__(self, env: simpy.Environment, fleet: Fleet, network: Network, roads: Roads, account: Pool,
                 name: str):
        self.env, self.fleet, self.roads, self.account = env, fleet, roads, account
        self.resource = fleet.resource
        self.nearest = fleet.dispatch == "nearest"
        self.return_purpose = f"return:{name}"
        self.zone_attribute, self.zone_place = network.zone_attribute, network.zone_place
        self.stations = [_Station(s, st.place, st.count if st.capacity_by_minute is None else float(st.capacity_by_minute[0]))
                         for s, st in enumerate(fleet.stations)]
        self.units: list[Unit] = []
        for s, number in network.units(fleet.resource):
            self._new_unit(self.stations[s], number)
        self.queue: list[list] = []
        self._seq = 0
        self.rows: list[float] = []
        for station in self.stations:
            if not station.unlimited:
                for unit in station.units[:int(station.capacity)]:
                    self._on_duty(unit)

    def _new_unit(self, station: _Station, number: int) -> Unit:
        unit = Unit(len(self.units), station.index, number, station.home)
        self.units.append(unit)
        station.units.append(unit)
        return unit

    # the unit log ------------------------------------------------------------------------
    def _close(self, unit: Unit, at: float) -> None:
        """End the unit's open row at ``at`` (a row of no length is not kept)."""
        if unit.state >= 0 and at > unit.since:
            self.rows += (self.resource, unit.station, unit.number, unit.state, unit.since, at, unit.patient,
                          unit.origin, unit.destination)
        unit.state = -1

    def _open(self, unit: Unit, state: int, since: float, origin: int, destination: int) -> None:
        unit.state, unit.since, unit.origin, unit.destination = state, since, origin, destination

    def _row(self, unit: Unit, state: int, start: float, end: float, origin: int, destination: int) -> None:
        if end > start:
            self.rows += (self.resource, unit.station, unit.number, state, start, end, unit.patient, origin, destination)

    def _end_run_over(self, unit: Unit, at: float) -> None:
        if unit.over_since is not None:
            self._row(unit, RUN_OVER, unit.over_since, at, -1, -1)
            unit.over_since = None

    def move(self, unit: Unit, state: int, origin: int, destination: int) -> None:
        """The patient the unit serves moves it on (to the hospital, at the hospital)."""
        self._close(unit, self.env._now)
        self._open(unit, state, self.env._now, origin, destination)
        unit.place = destination

    # duty -----------------------------------------------------------------------------------
    def _on_duty(self, unit: Unit) -> None:
        unit.place, unit.road, unit.going_off, unit.patient = unit.home, None, False, -1
        unit.available, unit.free_since = True, self.env._now
        self._open(unit, AT_STATION, self.env._now, unit.home, unit.home)

    def _off_duty(self, unit: Unit) -> None:
        now = self.env._now
        self._close(unit, now)
        self._end_run_over(unit, now)
        unit.available = unit.going_off = False
        unit.road = None
        unit.place = unit.home

    def set_capacity(self, s: int, capacity: float) -> None:
        """A roster change at station ``s``: units come on duty or go off (as pools do)."""
        station = self.stations[s]
        change = int(capacity - station.capacity)
        self.account.adjust(capacity=self.account.capacity + change)
        station.capacity = capacity
        for _ in range(-change):
            self._drop(station)
        for _ in range(change):
            self._raise(station)

    def _drop(self, station: _Station) -> None:
        now = self.env._now
        free = [u for u in station.units if u.available]
        at_home = [u for u in free if u.road is None]
        if at_home:
            self._off_duty(max(at_home, key=lambda u: u.number))
        elif free:
            unit = max(free, key=lambda u: u.number)  # on its way back: goes off when there
            unit.available, unit.going_off, unit.over_since = False, True, now
        else:
            station.owed += 1
            busy = [u for u in station.units if u.state >= 0 and not u.going_off and u.over_since is None]
            unit = min(busy, key=lambda u: u.number)
            unit.over_since = now
            station.over.append(unit)

    def _raise(self, station: _Station) -> None:
        if station.owed:
            station.owed -= 1
            self._end_run_over(station.over.pop(), self.env._now)
            return
        unit = next(u for u in sorted(station.units, key=lambda u: u.number) if u.state < 0 and not u.going_off)
        self._on_duty(unit)
        self._serve(unit)

    # dispatch -------------------------------------------------------------------------------
    def request(self, patient, priority: float, trip) -> simpy.Event:
        """A unit for ``patient``: an event that fires when one is at scene."""
        zone = self._zone(patient, trip)
        unit = self._choose(zone)
        if unit is not None:
            return self._assign(unit, patient, trip, zone, None)
        self.account.adjust(waiting=+1)
        event = simpy.Event(self.env)
        self._seq += 1
        heappush(self.queue, [priority, self._seq, patient, trip, zone, event])
        return event

    def _zone(self, patient, trip) -> int:
        code = patient.attrs[self.zone_attribute] if self.zone_attribute >= 0 else -1
        if code < 0:
            raise trip.no_zone()
        return self.zone_place[code]

    def _choose(self, zone: int) -> Unit | None:
        best, best_key = None, math.inf
        if self.nearest:
            matrix = self.roads.matrix(self.env._now)
            now = self.env._now
            for unit in self.units:
                if unit.available:
                    eta = self._eta(unit, zone, matrix, now)
                    if eta < best_key:
                        best, best_key = unit, eta
            for station in self.stations:
                if station.unlimited and matrix[station.home][zone] < best_key:
                    best, best_key = station, matrix[station.home][zone]
        else:  # the unit free longest, of those with a road to the patient
            matrix = self.roads.matrix(self.env._now)
            now = self.env._now
            for unit in self.units:
                if unit.available and unit.free_since < best_key and self._eta(unit, zone, matrix, now) < math.inf:
                    best, best_key = unit, unit.free_since
            if best is None:
                best = next((s for s in self.stations if s.unlimited and matrix[s.home][zone] < math.inf), None)
        if isinstance(best, _Station):
            unit = self._new_unit(best, len(best.units) + 1)
            self._on_duty(unit)
            return unit
        return best

    @staticmethod
    def _eta(unit: Unit, zone: int, matrix: list[list[float]], now: float) -> float:
        if unit.road is None:
            return matrix[unit.place][zone]
        origin, destination, departed, minutes = unit.road
        done = min(1.0, (now - departed) / minutes) if minutes > 0 else 1.0
        return from_the_road(matrix, origin, destination, done, zone)

    def _assign(self, unit: Unit, patient, trip, zone: int, event: simpy.Event | None) -> simpy.Event:
        """Send ``unit`` to ``patient``: lay the trip out and wake the patient when it is there."""
        env = self.env
        now = env._now
        eta = self._eta(unit, zone, self.roads.matrix(now), now)
        origin = unit.place if unit.road is None else unit.road[0]
        self._close(unit, now)
        unit.token += 1
        unit.road, unit.available = None, False
        unit.patient = patient.row
        self.account.adjust(busy=+1)
        times, attrs, stream, k = patient.times, patient.attrs, patient.stream, patient.k
        hold_start, hold_end, takes = trip.hold
        times[hold_start] = now
        t = now + (takes.draw(stream, k, attrs) if takes is not None else 0.0)
        times[hold_end] = t
        written = [hold_end]
        for queued, start, end, takes in trip.steps:
            times[queued] = times[start] = t
            t += takes.draw(stream, k, attrs) if takes is not None else 0.0
            times[end] = t
            written += (queued, start, end)
        queued, start, end = trip.travel
        times[queued] = times[start] = t
        minutes = eta * self.roads.multiplier(trip.name, stream, k)
        self._row(unit, MOBILISING, now, t, origin, zone)
        self._row(unit, TO_PATIENT_STATE, t, t + minutes, origin, zone)
        t += minutes
        times[end] = t
        unit.trip_events = written + [queued, start, end]
        self._open(unit, ON_SCENE, t, zone, zone)
        unit.place = zone
        patient.unit, patient.fleet = unit, self
        patient.held.append(self.resource)
        if event is None:
            return Timeout(env, t - now)
        event._ok, event._value = True, None  # type: ignore[attr-defined]  # SimPy's succeed, later
        env.schedule(event, NORMAL, t - now)
        return event

    def _serve(self, unit: Unit) -> bool:
        """Give a unit just free the first call waiting that it can reach (in queue order); False
        when none waits, or none is on a road from where it is."""
        queue = self.queue
        while queue and queue[0][2] is None:
            heappop(queue)  # taken out of turn below
        if not queue:
            return False
        matrix = self.roads.matrix(self.env._now)
        entry = queue[0]
        if matrix[unit.place][entry[4]] == math.inf:
            entry = next((e for e in sorted(queue) if e[2] is not None and matrix[unit.place][e[4]] < math.inf), None)
            if entry is None:
                return False
        else:
            heappop(queue)
        _, _, patient, trip, zone, event = entry
        entry[2] = None
        self.account.adjust(waiting=-1)
        self._assign(unit, patient, trip, zone, event)
        return True

    # release and the way back ----------------------------------------------------------------
    def release(self, patient, delay: float) -> None:
        """The patient lets its unit go; it is free after ``delay`` (clearing up)."""
        unit = patient.unit
        patient.unit = patient.fleet = None
        patient.held.remove(self.resource)
        now = self.env._now
        unit.trip_events = []
        self._close(unit, now)
        if delay > 0:
            self._open(unit, CLEARING, now, unit.place, unit.place)
            self.env.timeout(delay).callbacks.append(lambda _e: self._free(unit, patient))
        else:
            self._free(unit, patient)

    def _free(self, unit: Unit, patient) -> None:
        now = self.env._now
        self._close(unit, now)
        self.account.adjust(busy=-1)
        station = self.stations[unit.station]
        if station.owed:
            station.owed -= 1
            if unit in station.over:
                station.over.remove(unit)
            else:
                stand_in = station.over.pop()  # worked past the roster until this unit took its place
                self._end_run_over(stand_in, now)
                unit.over_since = now
            self._go_home(unit, patient, going_off=True)
            return
        unit.patient = -1
        unit.available, unit.free_since = True, now
        if not self._serve(unit):
            self._go_home(unit, patient, going_off=False)

    def _go_home(self, unit: Unit, patient, going_off: bool) -> None:
        now = self.env._now
        unit.patient = -1
        if unit.place == unit.home:
            if going_off:
                self._off_duty(unit)
            else:
                self._open(unit, AT_STATION, now, unit.home, unit.home)
            return
        minutes = self.roads.time(unit.place, unit.home, now) * self.roads.multiplier(
            self.return_purpose, patient.stream, patient.k)
        unit.road = (unit.place, unit.home, now, minutes)
        unit.available, unit.going_off, unit.free_since = not going_off, going_off, now
        self._open(unit, RETURNING, now, unit.place, unit.home)
        token = unit.token
        self.env.timeout(minutes).callbacks.append(lambda _e: self._arrive(unit, token))

    def _arrive(self, unit: Unit, token: int) -> None:
        if token != unit.token:
            return  # sent to another patient on the way
        unit.road, unit.place = None, unit.home
        if unit.going_off:
            self._off_duty(unit)
        else:
            self._close(unit, self.env._now)
            self._open(unit, AT_STATION, self.env._now, unit.home, unit.home)
            self._serve(unit)  # a call no free unit could reach from where it was

    # the end -------------------------------------------------------------------------------
    def finish(self, patients) -> list[float]:
        """Close every row at the end of the run; a trip still under way loses the events it
        had written ahead. The unit log's rows, flat."""
        now = self.env._now
        rows = self.rows
        for unit in self.units:
            if unit.state >= 0 and unit.since > now:  # still on the way to a patient
                times = patients[unit.patient].times
                for e in unit.trip_events:
                    if times[e] > now:
                        times[e] = math.nan
            self._close(unit, now)
            self._end_run_over(unit, now)
        kept: list[float] = []
        for i in range(0, len(rows), 9):
            row = rows[i:i + 9]
            if row[4] < now:
                row[5] = min(row[5], now)
                kept += row
        return kept


def run_station_roster(env: simpy.Environment, fleet: FleetRun, station: int, changes: list[tuple[float, float]]):
    """A SimPy process setting a station's units on duty at each roster change."""
    for t, capacity in changes:
        yield env.timeout(t - env._now)
        fleet.set_capacity(station, capacity)
