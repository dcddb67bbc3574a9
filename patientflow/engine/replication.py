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
from bisect import bisect_right

import numpy as np
import simpy

from ..log import INSIDE, MISSING, Log
from ..model import Model, Step, Varying
from ..timeline import hourly_area
from .arrivals import arrival_times
from .randomness import Draws, Streams
from .resources import Pool, roster_changes, run_roster
from ..clock import DAY

class SimulationError(RuntimeError):
    """A scenario that validated but cannot go on (e.g. a patient without an attribute a step needs)."""

    def __init__(self, step: Step, message: str):
        self.step = step
        self.message = message
        super().__init__(step, message)  # rebuildable from its args (SimPy re-raises that way)

    def __str__(self) -> str:
        return f"step {self.step.name!r}: {self.message}"


class _Patient:
    """One patient's record while the replication runs: plain Python lists, cheap to write; the
    log's arrays are built from all records once, at the end."""

    __slots__ = ("stream", "k", "attrs", "times", "held", "position", "outcome")

    def __init__(self, stream: int, k: int, n_attributes: int, n_events: int):
        self.stream = stream
        self.k = k  # its index within its arrival stream: the draws it gets
        self.attrs = [MISSING] * n_attributes
        self.times = [math.nan] * n_events
        self.held: list[int] = []
        self.position = 0
        self.outcome = INSIDE


class _Chooser:
    """Draws a :class:`Varying` duration for a patient: the distribution for its attribute value,
    from that value's own stream of draws (kept per arrival stream)."""

    __slots__ = ("attribute", "default", "cases", "streams", "draws", "step")

    def __init__(self, varying: Varying, purpose: str, streams: Streams, step: Step):
        self.attribute = varying.attribute
        self.default = (varying.other, f"{purpose}:other" if varying.attribute >= 0 else purpose)
        self.cases = {code: (value, f"{purpose}:{code}") for code, value in varying.cases.items()}
        self.streams = streams
        self.draws: dict[tuple[int, int], Draws | float] = {}
        self.step = step

    def draw(self, patient: _Patient) -> float:
        code = patient.attrs[self.attribute] if self.attribute >= 0 else -1
        key = (patient.stream, code)
        source = self.draws.get(key)
        if source is None:
            dist, purpose = self.default if self.attribute < 0 else self.cases.get(code, self.default)
            if dist is None:
                raise SimulationError(self.step, "a patient has no value of the attribute this step's time depends on")
            source = dist.params[0] if dist.is_fixed else self.streams.draws(patient.stream, purpose, dist.sample)
            self.draws[key] = source
        return source if source.__class__ is float else source.get(patient.k)


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
        self.patients: list[_Patient] = []  # in the order they appear: the log's rows
        self.n_attributes, self.n_events = len(model.attributes), len(model.events)
        self.inside = 0
        self.max_inside = max_inside
        self.overloaded = False
        self.arrived, self.left = model.event("arrived"), model.event("left")
        self.takes = [_Chooser(s.takes, f"takes:{s.name}", self.streams, s) if s.takes else None for s in model.steps]
        self.patience = [_Chooser(s.patience, f"patience:{s.name}", self.streams, s) if s.patience else None
                         for s in model.steps]
        # per step: (pool, attribute ordering its queue or -1) for each resource it takes
        # and the event recording when it is taken (-1: the step's start records it)
        self.acquire = [[(self.pools[r], s.priority if s.priority >= 0 else self.queue_attribute[r], r,
                          s.got[i] if s.got else -1) for i, r in enumerate(s.acquire)] for s in model.steps]
        self.n_initial = n_initial
        self.n_streams = n_streams
        self.stop = env.event()
        self.processes: list[simpy.Process] = []  # every process started: undone at the end (see _teardown)

    # random draws --------------------------------------------------------------------
    def _uniform(self, stream: int, purpose: str, k: int) -> float:
        return self.streams.draws(stream, purpose).get(k)

    def _assign(self, assignment, patient: _Patient, step: Step | None) -> None:
        attrs = patient.attrs
        found = assignment.mix.get(attrs)
        if found is None:
            if step is None:
                raise RuntimeError("an arrival mix depends on an attribute")  # prevented by the schema
            raise SimulationError(step, f"a patient has no value of the attribute its {self.model.attributes[assignment.attribute]} mix depends on")
        codes, cumulative = found
        if len(codes) > 1:
            u = self._uniform(patient.stream, assignment.purpose, patient.k)
            attrs[assignment.attribute] = codes[bisect_right(cumulative, u)]
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
        self.processes.append(self.env.process(generator))

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

    def _new_patient(self, stream: int, k: int) -> _Patient:
        patient = _Patient(stream, k, self.n_attributes, self.n_events)
        self.patients.append(patient)
        return patient

    def _arrivals(self, stream_index: int):
        env = self.env
        stream = self.model.streams[stream_index]
        arrived = self.arrived
        for k, t in enumerate(self.arrivals[stream_index].tolist()):
            if t > env.now:
                yield env.timeout(t - env.now)
            patient = self._new_patient(stream_index, k)
            for attr, code in stream.fixed_attributes:
                patient.attrs[attr] = code
            for mix in stream.mixes:
                self._assign(mix, patient, None)
            patient.times[arrived] = env.now
            self._count_inside(+1)
            self._start(self._patient(patient, stream.first_step, None))

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

    def _patient(self, patient: _Patient, step_index: int, first_takes: float | None):
        env = self.env
        steps = self.model.steps
        pools = self.pools
        times = patient.times
        attrs = patient.attrs
        held = patient.held
        while step_index >= 0:
            step = steps[step_index]
            now = env.now
            times[step.queued] = now
            patient.position = step_index
            for mark in step.marks:  # a mark records the first time only
                if times[mark] != times[mark]:
                    times[mark] = now
            if step.acquire:
                deadline = None
                chooser = self.patience[step_index]
                if chooser is not None:
                    deadline = now + chooser.draw(patient)
                for pool, attr, r, got in self.acquire[step_index]:
                    priority = (attrs[attr] if attrs[attr] >= 0 else 1 << 20) if attr >= 0 else 0
                    request = pool.request(priority)
                    if request is not None:
                        if deadline is None:
                            yield request
                        else:
                            yield request | env.timeout(max(0.0, deadline - env.now))
                            if not request.triggered:
                                pool.cancel(request)
                                self._leave(patient, step.gives_up_as)
                                return
                    held.append(r)
                    if got >= 0:
                        times[got] = env.now
                times[step.start] = env.now
            else:
                times[step.start] = now
            if step.wait_until is not None:
                u = self._uniform(patient.stream, f"wait_until:{step.name}", patient.k)
                wait = time_of_day_wait(step.wait_until, env.now % DAY, u)
                if wait > 0:
                    yield env.timeout(wait)
                times[step.reached] = env.now
            if first_takes is not None:
                duration, first_takes = first_takes, None
            elif step.takes is not None:
                duration = self.takes[step_index].draw(patient)
            else:
                duration = 0.0
            if duration > 0:
                yield env.timeout(duration)
            for r in step.release_after_use:
                held.remove(r)
                pools[r].release()
            if step.release:
                self._release(step, patient)
            for assignment in step.assign:
                self._assign(assignment, patient, step)
            times[step.end] = env.now
            if step.branch is not None:
                branch = step.branch
                cumulative = branch.table.get(attrs)
                if cumulative is None:
                    raise SimulationError(step, "a patient has no value of the attribute this branch depends on")
                u = self._uniform(patient.stream, branch.purpose, patient.k)
                option = bisect_right(cumulative, u)
                attrs[branch.attribute] = branch.codes[option]
                step_index = branch.targets[option]
            else:
                step_index = step.then
        self._leave(patient, -2 - step_index)

    def _release(self, step: Step, patient: _Patient) -> None:
        """Free the resources a step releases, at once or ``after`` a delay (they stay busy)."""
        delay = 0.0
        if step.after is not None:
            delay = step.after.params[0] if step.after.is_fixed else self.streams.draws(
                patient.stream, f"after:{step.name}", step.after.sample).get(patient.k)
            patient.times[step.cleared] = self.env.now + delay
        for r in step.release:
            if r not in patient.held:
                raise SimulationError(step, f"releases {self.model.resources[r].name!r}, which the patient does not hold here")
            patient.held.remove(r)
            if delay > 0:
                self.env.timeout(delay).callbacks.append(lambda _e, p=self.pools[r]: p.release())
            else:
                self.pools[r].release()

    def _leave(self, patient: _Patient, outcome: int) -> None:
        for r in patient.held:
            self.pools[r].release()
        patient.held.clear()
        patient.times[self.left] = self.env.now
        patient.outcome = outcome
        self._count_inside(-1)

    def run(self) -> Log:
        env = self.env
        for r, resource in enumerate(self.model.resources):
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
        records = [p.records() for p in self.pools]
        n_res, n_hours = len(self.pools), self.n_hours
        shape = (n_res, n_hours)
        patients = self.patients
        n = len(patients)
        times = np.array([p.times for p in patients], dtype=float).reshape(n, self.n_events)
        log = Log(
            replication=self.streams.replication,
            times=times,
            attributes=np.array([p.attrs for p in patients], dtype=np.int16).reshape(n, self.n_attributes),
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
            events_processed=next(env._eid))  # type: ignore[attr-defined]
        self._teardown()
        return log


def time_of_day_wait(cumulative: list[float], clock: float, u: float) -> float:
    """Minutes to wait, at ``clock`` minutes after midnight, for a time of day drawn from a
    24-hour profile (``cumulative`` shares, uniform within each hour): drawn among the times
    still to come today when the profile has any, otherwise from tomorrow's whole profile.
    So a patient ready at 14:00 leaves this afternoon if the ward discharges in the afternoon."""
    hour = min(int(clock // 60), 23)
    before = cumulative[hour - 1] if hour else 0.0
    done = before + (cumulative[hour] - before) * (clock - hour * 60) / 60  # the profile's share gone today
    if 1.0 - done > 1e-12:
        target, base = done + u * (1.0 - done), 0.0
    else:
        target, base = u, DAY
    h = min(bisect_right(cumulative, target), 23)
    low = cumulative[h - 1] if h else 0.0
    width = cumulative[h] - low
    at = h * 60.0 + (60.0 * (target - low) / width if width > 0 else 0.0)
    return max(0.0, base + at - clock)


def simulate_replication(model: Model, seed: int, replication: int, max_inside: int | None = None) -> Log:
    """Run one replication; a pure function of the model, the seed and the replication number."""
    return _Replication(model, seed, replication, max_inside).run()
