"""The engine: one replication of a scenario, ``simulate_replication(model, seed, replication)``.

A pure function of its inputs — no I/O, no pandas, no printing. It knows SimPy and numpy and the
compiled :class:`~patientflow.model.Model`; every stage, step and resource comes from the scenario.

One generic patient process walks the pathway steps. Each step, in order: take the resources of
``hold`` and ``use`` one after another (queueing by the pool's discipline, perhaps giving up), wait
for a time of day, spend ``takes``, free the ``use`` resources, free the ``release`` resources
(``after`` a delay, during which they stay busy), assign attributes, then branch or go on. The
patient's timestamps are written into a preallocated array as they happen (the :class:`Log`).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right

import numpy as np
import simpy
from simpy.events import Process, Timeout

from ..log import MISSING, UNIT_COLUMNS, Log, derived_times
from ..model import AT_HOSPITAL, TO_HOSPITAL, TO_SITE, Model, Step
from ..timeline import hourly_area
from .arrivals import arrival_times
from .draws import Chooser, PerStream
from .fleet import FleetRun, Trip, run_station_roster
from .patient import Patient, SimulationError
from .randomness import Streams
from .resources import Pool, roster_changes, run_roster
from .time_of_day import time_of_day_wait
from .travel import Roads
from ..clock import DAY

class _Replication:
    def __init__(self, model: Model, seed: int, replication: int, max_inside: int | None):
        self.model = model
        self.env = env = simpy.Environment()
        n_streams = len(model.streams)
        names = [s.name for s in model.streams] + [f"initial:{r.name}" for r in model.resources]
        self.streams = Streams(seed, replication, names)
        self.length = length = model.length
        self.n_hours = n_hours = int(math.ceil(length / 60))
        # a pool that a patient may hold while queueing for something else keeps its busy count's
        # changes: what its units were doing while others waited for it (moments.bottlenecks)
        self.pools = [Pool(env, r.count if r.count is not None else r.capacity_at(0), n_hours,
                           track=r.index in model.blocking) for r in model.resources]
        self.queue_attribute = [r.queue_attribute for r in model.resources]
        self.arrivals = [arrival_times(s, length, self.streams.generator(s.index, "arrivals"))
                         for s in model.streams]
        n_initial = [int(r.initial_occupied) for r in model.resources]
        self.patients: list[Patient] = []  # in the order they appear: the log's rows
        self.inside = 0
        self.max_inside = max_inside
        self.overloaded = False
        self.arrived, self.left = model.event("arrived"), model.event("left")
        self.blank_attrs = array("h", [MISSING] * len(model.attributes))
        self.blank_times = array("d", [math.nan] * len(model.events))
        self.uniforms: dict[str, PerStream] = {}
        self.fleets: list[FleetRun | None] = [None] * len(model.resources)
        self.roads: Roads | None = None
        if model.network is not None:
            self.roads = Roads(model.network.travel, self.streams)
            for r, fleet in model.network.fleets.items():
                self.fleets[r] = FleetRun(env, fleet, model.network, self.roads, self.pools[r], model.resources[r].name)
        self.plans = [self._plan(s) for s in model.steps]
        self.n_initial = n_initial
        self.n_streams = n_streams
        self.stop = env.event()
        self.processes: list[simpy.Process] = []  # every process started: undone at the end (see _teardown)

    # the steps, as the patient process reads them -------------------------------------
    def _plan(self, s: Step) -> tuple:
        """A step as one tuple of what the patient process needs, its draws by arrival stream:
        unpacked once per step, where the step's fields would be looked up one by one."""
        takes = self._takes(s)
        patience = self._chooser(s, s.patience, "patience") if s.patience else None
        # per resource taken: (pool, attribute ordering its queue or -1, resource, the event
        # recording when it is taken or -1: the step's start records it)
        acquire = [(self.pools[r], s.priority if s.priority >= 0 else self.queue_attribute[r], r,
                    s.got[i] if s.got else -1) for i, r in enumerate(s.acquire)]
        wait_until = (s.wait_until, self._uniforms(f"wait_until:{s.name}")) if s.wait_until is not None else None
        assign = [(a, self._uniforms(a.purpose)) for a in s.assign]
        branch = None
        if s.branch is not None:
            b = s.branch
            branch = (b.table.other if b.table.attribute < 0 else None, b.table, self._uniforms(b.purpose),
                      b.attribute, b.codes, b.targets)
        fleet_trip = None
        if s.trip:  # the fleet runs this step and the next ones until its unit is at scene
            r = s.acquire[0]
            fleet_trip = (self.fleets[r], self._trip(s), acquire[0][1])
            acquire = []
        travel = (s.name,) if s.travel == TO_SITE else None
        return (s, s.queued, s.marks, acquire, patience, s.start, wait_until, s.reached, takes,
                s.release_after_use, bool(s.release), assign, s.end, branch, s.then, fleet_trip, travel)

    def _chooser(self, s: Step, varying, kind: str) -> Chooser:
        def no_value() -> SimulationError:
            return SimulationError(s, "a patient has no value of the attribute this step's time depends on")
        return Chooser(varying, f"{kind}:{s.name}", self.streams, no_value)

    def _takes(self, s: Step) -> Chooser | None:
        return self._chooser(s, s.takes, "takes") if s.takes else None

    def _trip(self, s: Step) -> Trip:
        steps = self.model.steps
        plain = [(steps[i].queued, steps[i].start, steps[i].end, self._takes(steps[i])) for i in s.trip[:-1]]
        drive = steps[s.trip[-1]]
        return Trip((s.start, s.end, self._takes(s)), plain, (drive.queued, drive.start, drive.end), drive.name,
                    drive.then, lambda: SimulationError(drive, "a patient has no zone to travel to: give its stream a zone mix"))

    def _to_site(self, step: Step, patient: Patient) -> tuple[int, float]:
        """A drive from the patient's zone to its hospital: (the hospital's place, minutes); the
        unit it holds, if any, goes with it."""
        try:
            origin, destination, minutes = self.roads.to_site(self.model.network, patient.attrs, step.name,
                                                              patient.stream, patient.k, self.env._now)
        except LookupError as exc:
            raise SimulationError(step, str(exc)) from None
        if patient.unit is not None:
            patient.fleet.move(patient.unit, TO_HOSPITAL, origin, destination)
        return destination, minutes

    def _uniforms(self, purpose: str) -> PerStream:
        found = self.uniforms.get(purpose)
        if found is None:
            found = self.uniforms[purpose] = PerStream(self.streams, purpose)
        return found

    def _assign(self, assignment, uniforms: PerStream, patient: Patient, step: Step | None) -> None:
        attrs = patient.attrs
        found = assignment.mix.get(attrs)
        if found is None:
            if step is None:
                raise RuntimeError("an arrival mix depends on an attribute")  # prevented by the schema
            raise SimulationError(step, f"a patient has no value of the attribute its {self.model.attributes[assignment.attribute]} mix depends on")
        codes, cumulative = found
        if len(codes) > 1:
            attrs[assignment.attribute] = codes[bisect_right(cumulative, uniforms.get(patient.stream, patient.k))]
        else:
            attrs[assignment.attribute] = codes[0]

    # the inside count ------------------------------------------------------------------
    def _count_inside(self, change: int) -> None:
        """Keep the count of patients inside, and stop the run when it passes the bound."""
        self.inside += change
        if self.max_inside is not None and self.inside > self.max_inside and not self.overloaded:
            self.overloaded = True
            self.stop.succeed()

    # processes -------------------------------------------------------------------------
    def _start(self, generator) -> None:
        self.processes.append(Process(self.env, generator))

    def _teardown(self) -> None:
        """Break the reference cycles a finished run leaves behind, so that reference counting
        frees it at once, without a full garbage collection: each process still suspended (a
        patient still inside, an arrival stream, a roster) holds the environment in its frame,
        and it and the event it waits for point at each other; the environment's schedule holds
        the events. SimPy has no public way to undo these, so its attributes are used here."""
        for process in self.processes:
            process._generator.close()  # type: ignore[attr-defined]
            process._target = None  # type: ignore[attr-defined]
        self.processes.clear()
        self.env._queue.clear()  # type: ignore[attr-defined]
        self.pools = []
        self.fleets = []

    def _new_patient(self, stream: int, k: int) -> Patient:
        patient = Patient(stream, k, len(self.patients), self.blank_attrs, self.blank_times)
        self.patients.append(patient)
        return patient

    def _arrivals(self, stream_index: int):
        env = self.env
        stream = self.model.streams[stream_index]
        arrived, first, fixed = self.arrived, stream.first_step, stream.fixed_attributes
        mixes = [(mix, self._uniforms(mix.purpose)) for mix in stream.mixes]
        for k, t in enumerate(self.arrivals[stream_index].tolist()):
            if t > env._now:
                yield Timeout(env, t - env._now)
            patient = self._new_patient(stream_index, k)
            for attr, code in fixed:
                patient.attrs[attr] = code
            for mix, uniforms in mixes:
                self._assign(mix, uniforms, patient, None)
            patient.times[arrived] = env._now
            self._count_inside(+1)
            self._start(self._patient(patient, first, None))

    def _initial_state(self) -> None:
        """Resources that start partly occupied: occupants hold a unit from time 0."""
        for r, resource in enumerate(self.model.resources):
            n = self.n_initial[r]
            if n <= 0:
                continue
            stream = self.n_streams + r
            self.pools[r].occupy(n)
            if resource.initial_enter < 0:
                rng = self.streams.generator(stream, "remaining")
                for stay in resource.initial_remaining.sample(rng, n).tolist():  # type: ignore[union-attr]
                    self.env.timeout(stay).callbacks.append(lambda _e, p=self.pools[r]: p.release())
                continue
            step = self.model.steps[resource.initial_enter]
            remaining = self._residual_times(step, stream, n)
            for k in range(n):
                patient = self._new_patient(stream, k)
                patient.held.append(r)
                self._count_inside(+1)
                self._start(self._patient(patient, step.index, remaining[k]))

    def _residual_times(self, step: Step, stream: int, n: int) -> list[float]:
        """Remaining times of occupants found mid-stay: length-biased stays times a uniform share."""
        assert step.takes is not None
        dist = step.takes.other if step.takes.attribute < 0 or step.takes.other is not None else next(iter(step.takes.cases.values()))
        rng = self.streams.generator(stream, "residual")
        pool = dist.sample(rng, max(20000, 20 * n))
        if pool.sum() <= 0:
            return [0.0] * n
        chosen = rng.choice(pool, size=n, p=pool / pool.sum())
        return (chosen * rng.random(n)).tolist()

    def _patient(self, patient: Patient, step_index: int, first_takes: float | None):
        env = self.env
        plans = self.plans
        pools = self.pools
        times, attrs, held = patient.times, patient.attrs, patient.held
        stream, k = patient.stream, patient.k
        while step_index >= 0:
            (step, queued, marks, acquire, patience, start, wait_until, reached, takes,
             release_after_use, release, assign, end, branch, then, fleet_trip, travel) = plans[step_index]
            now = env._now
            times[queued] = now
            patient.position = step_index
            for mark in marks:  # a mark records the first time only
                if times[mark] != times[mark]:
                    times[mark] = now
            if fleet_trip is not None:
                fleet, trip, attr = fleet_trip
                yield fleet.request(patient, (attrs[attr] if attrs[attr] >= 0 else 1 << 20) if attr >= 0 else 0, trip)
                step_index = trip.next
                continue
            if acquire:
                deadline = None if patience is None else now + patience.draw(stream, k, attrs)
                for pool, attr, r, got in acquire:
                    priority = (attrs[attr] if attrs[attr] >= 0 else 1 << 20) if attr >= 0 else 0
                    request = pool.request(priority)
                    if request is not None:
                        if deadline is None:
                            yield request
                        else:
                            yield request | Timeout(env, max(0.0, deadline - env._now))
                            if not request.triggered:
                                pool.cancel(request)
                                self._leave(patient, step.gives_up_as)
                                return
                    held.append(r)
                    if got >= 0:
                        times[got] = env._now
                times[start] = env._now
            else:
                times[start] = now
            if wait_until is not None:
                profile, uniforms = wait_until
                wait = time_of_day_wait(profile, env._now % DAY, uniforms.get(stream, k))
                if wait > 0:
                    yield Timeout(env, wait)
                times[reached] = env._now
            if first_takes is not None:
                duration, first_takes = first_takes, None
            elif travel is not None:
                site, duration = self._to_site(step, patient)
            else:
                duration = 0.0 if takes is None else takes.draw(stream, k, attrs)
            if duration > 0:
                yield Timeout(env, duration)
            if travel is not None and patient.unit is not None:
                patient.fleet.move(patient.unit, AT_HOSPITAL, site, site)
            for r in release_after_use:
                held.remove(r)
                pools[r].release()
            if release:
                self._release(step, patient)
            for assignment, uniforms in assign:
                self._assign(assignment, uniforms, patient, step)
            times[end] = env._now
            if branch is None:
                step_index = then
                continue
            cumulative, table, uniforms, attribute, codes, targets = branch
            if cumulative is None:
                cumulative = table.get(attrs)
                if cumulative is None:
                    raise SimulationError(step, "a patient has no value of the attribute this branch depends on")
            option = bisect_right(cumulative, uniforms.get(stream, k))
            attrs[attribute] = codes[option]
            step_index = targets[option]
        self._leave(patient, -2 - step_index)

    def _release(self, step: Step, patient: Patient) -> None:
        """Free the resources a step releases, at once or ``after`` a delay (they stay busy)."""
        delay = 0.0
        if step.after is not None:
            delay = step.after.params[0] if step.after.is_fixed else self.streams.draws(
                patient.stream, f"after:{step.name}", step.after.sample).get(patient.k)
            patient.times[step.cleared] = self.env.now + delay
        for r in step.release:
            if r not in patient.held:
                raise SimulationError(step, f"releases {self.model.resources[r].name!r}, which the patient does not hold here")
            if self.fleets[r] is not None:
                patient.fleet.release(patient, delay)
                continue
            patient.held.remove(r)
            if delay > 0:
                self.env.timeout(delay).callbacks.append(lambda _e, p=self.pools[r]: p.release())
            else:
                self.pools[r].release()

    def _leave(self, patient: Patient, outcome: int) -> None:
        if patient.unit is not None:
            patient.fleet.release(patient, 0.0)
        for r in patient.held:
            self.pools[r].release()
        patient.held.clear()
        patient.times[self.left] = self.env.now
        patient.outcome = outcome
        self._count_inside(-1)

    def run(self) -> Log:
        env = self.env
        for r, resource in enumerate(self.model.resources):
            fleet = self.fleets[r]
            if fleet is not None:
                for station_index, station in enumerate(fleet.fleet.stations):
                    if station.capacity_by_minute is not None:
                        changes = roster_changes(station.capacity_by_minute, self.length)
                        if changes:
                            self._start(run_station_roster(env, fleet, station_index, changes))
                continue
            if resource.capacity_by_minute is not None:
                changes = roster_changes(resource.capacity_by_minute, self.length)
                if changes:  # the pool starts at the roster's level at time 0 (capacity_at(0))
                    self._start(run_roster(env, self.pools[r], changes))
        self._initial_state()
        for s in range(len(self.model.streams)):
            self._start(self._arrivals(s))
        env.run(until=simpy.AnyOf(env, [self.stop, env.timeout(self.length)]))
        for pool in self.pools:
            pool.finish()
        unit_rows = [row for fleet in self.fleets if fleet is not None for row in fleet.finish(self.patients)]
        records = [p.records() for p in self.pools]
        n_res, n_hours = len(self.pools), self.n_hours
        shape = (n_res, n_hours)
        patients = self.patients
        n = len(patients)
        times = np.frombuffer(bytearray().join(p.times for p in patients), dtype=float).reshape(n, len(self.blank_times))
        derived_times(times, self.model.derived)
        log = Log(
            replication=self.streams.replication,
            times=times,
            attributes=np.frombuffer(bytearray().join(p.attrs for p in patients), dtype=np.int16).reshape(n, len(self.blank_attrs)),
            stream=np.array([p.stream for p in patients], dtype=np.int16),
            outcome=np.array([p.outcome for p in patients], dtype=np.int16),
            position=np.array([p.position for p in patients], dtype=np.int32),
            busy=np.array([r[0] for r in records]).reshape(shape),
            rostered=np.array([r[1] for r in records]).reshape(shape),
            queue=np.array([r[2] for r in records]).reshape(shape),
            inside=hourly_area(np.nan_to_num(times[:, self.arrived], nan=0.0),  # initial occupants: from 0
                               np.where(np.isnan(times[:, self.left]), float(env.now), times[:, self.left]), n_hours),
            length=float(env.now), overloaded=self.overloaded,
            waiting_at_end=np.array([p.waiting for p in self.pools], dtype=np.int64),
            busy_changes={r: p.changes() for r, p in enumerate(self.pools) if p.track is not None},
            events_processed=next(env._eid),  # type: ignore[attr-defined]
            units=np.array(unit_rows, dtype=float).reshape(-1, len(UNIT_COLUMNS)) if self.roads is not None else None)
        self._teardown()
        return log


def simulate_replication(model: Model, seed: int, replication: int, max_inside: int | None = None) -> Log:
    """Run one replication; a pure function of the model, the seed and the replication number."""
    return _Replication(model, seed, replication, max_inside).run()
