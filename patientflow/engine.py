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
from dataclasses import dataclass

import numpy as np
import simpy

from .arrivals import arrival_times
from .model import Model, Step, Varying
from .randomness import Draws, Streams
from .resources import Pool, roster_changes, run_roster

MISSING = -1  # an attribute a patient does not have
INSIDE = -1  # the outcome of a patient still inside at the end


@dataclass
class Log:
    """What one replication recorded, as numpy arrays (one row per patient)."""

    replication: int
    times: np.ndarray  # (patients, events) minutes since Monday 00:00; NaN: did not happen
    attributes: np.ndarray  # (patients, attributes) value codes; -1: not given
    stream: np.ndarray  # arrival stream (the initial occupants of resource r: len(streams) + r)
    outcome: np.ndarray  # outcome code; -1: still inside at the end
    position: np.ndarray  # the last step reached
    busy: np.ndarray  # (resources, hours) busy unit-minutes in each hour of the run
    rostered: np.ndarray  # (resources, hours) rostered unit-minutes (0 for unlimited resources)
    queue: np.ndarray  # (resources, hours) waiting patient-minutes
    inside: np.ndarray  # (hours,) patient-minutes inside the system
    length: float
    overloaded: bool = False  # stopped early: more patients inside than the bound
    waiting_at_end: np.ndarray | None = None  # (resources,) patients queueing for each resource at the end
    events_processed: int = 0


class SimulationError(RuntimeError):
    """A scenario that validated but cannot go on (e.g. a patient without an attribute a step needs)."""

    def __init__(self, step: Step, message: str):
        self.step = step
        self.message = message
        super().__init__(step, message)  # rebuildable from its args (SimPy re-raises that way)

    def __str__(self) -> str:
        return f"step {self.step.name!r}: {self.message}"


class _Chooser:
    """Resolves a :class:`Varying` for a patient: the value and the purpose its draws come from."""

    __slots__ = ("attribute", "default", "cases")

    def __init__(self, varying: Varying, purpose: str):
        self.attribute = varying.attribute
        self.default = (varying.other, f"{purpose}:other" if varying.attribute >= 0 else purpose)
        self.cases = {code: (value, f"{purpose}:{code}") for code, value in varying.cases.items()}

    def pick(self, attrs: list[int]):
        if self.attribute < 0:
            return self.default
        return self.cases.get(attrs[self.attribute], self.default)


class _Replication:
    def __init__(self, model: Model, seed: int, replication: int, max_inside: int | None):
        self.model = model
        self.env = env = simpy.Environment()
        n_streams = len(model.streams)
        names = [s.name for s in model.streams] + [f"initial:{r.name}" for r in model.resources]
        self.streams = Streams(seed, replication, names)
        self.length = length = model.length
        self.n_hours = n_hours = int(math.ceil(length / 60))
        self.pools = [Pool(env, r.count if r.count is not None else r.capacity_at(0), n_hours)
                      for r in model.resources]
        self.queue_attribute = [r.queue_attribute for r in model.resources]
        self.arrivals = [arrival_times(s, length, self.streams.generator(s.index, "arrivals"))
                         for s in model.streams]
        n_initial = [int(r.initial_occupied) for r in model.resources]
        n = sum(len(a) for a in self.arrivals) + sum(n_initial)
        self.times = np.full((n, len(model.events)), np.nan)
        self.attrs = np.full((n, len(model.attributes)), MISSING, dtype=np.int16)
        self.stream_of = np.zeros(n, dtype=np.int16)
        self.outcome = np.full(n, INSIDE, dtype=np.int16)
        self.position = np.zeros(n, dtype=np.int32)
        self.next_row = 0
        self.inside = 0
        self.inside_area = [0.0] * n_hours
        self.inside_last = 0.0
        self.max_inside = max_inside
        self.overloaded = False
        self.arrived, self.left = model.event("arrived"), model.event("left")
        self.takes = [_Chooser(s.takes, f"takes:{s.name}") if s.takes else None for s in model.steps]
        self.patience = [_Chooser(s.patience, f"patience:{s.name}") if s.patience else None for s in model.steps]
        self.n_initial = n_initial
        self.n_streams = n_streams
        self.stop = env.event()

    # random draws --------------------------------------------------------------------
    def _duration(self, chooser: _Chooser, stream: int, k: int, attrs: list[int], step: Step) -> float:
        dist, purpose = chooser.pick(attrs)
        if dist is None:
            raise SimulationError(step, f"a patient has no value of the attribute this step's time depends on")
        if dist.is_fixed:
            return dist.params[0]
        return self.streams.draws(stream, purpose, dist.sample).get(k)

    def _uniform(self, stream: int, purpose: str, k: int) -> float:
        return self.streams.draws(stream, purpose).get(k)

    def _assign(self, assignment, stream: int, k: int, attrs: list[int], row: int, step: Step | None) -> None:
        found = assignment.mix.get(attrs)
        if found is None:
            if step is None:
                raise RuntimeError("an arrival mix depends on an attribute")  # prevented by the schema
            raise SimulationError(step, f"a patient has no value of the attribute its {self.model.attributes[assignment.attribute]} mix depends on")
        codes, cumulative = found
        u = self._uniform(stream, assignment.purpose, k)
        code = int(codes[int(np.searchsorted(cumulative, u, side="right"))]) if len(codes) > 1 else int(codes[0])
        attrs[assignment.attribute] = code
        self.attrs[row, assignment.attribute] = code

    # the inside count ------------------------------------------------------------------
    def _count_inside(self, change: int) -> None:
        now = self.env.now
        last = self.inside_last
        if now > last:
            b = int(last // 60)
            while last < now:
                end = min(now, (b + 1) * 60.0)
                if b < self.n_hours:
                    self.inside_area[b] += self.inside * (end - last)
                last, b = end, b + 1
            self.inside_last = now
        self.inside += change
        if self.max_inside is not None and self.inside > self.max_inside and not self.overloaded:
            self.overloaded = True
            self.stop.succeed()

    # processes -------------------------------------------------------------------------
    def _new_patient(self, stream: int) -> int:
        row = self.next_row
        self.next_row += 1
        self.stream_of[row] = stream
        return row

    def _arrivals(self, stream_index: int):
        env = self.env
        stream = self.model.streams[stream_index]
        for k, t in enumerate(self.arrivals[stream_index].tolist()):
            if t > env.now:
                yield env.timeout(t - env.now)
            row = self._new_patient(stream_index)
            attrs = [MISSING] * len(self.model.attributes)
            for attr, code in stream.fixed_attributes:
                attrs[attr] = code
                self.attrs[row, attr] = code
            for mix in stream.mixes:
                self._assign(mix, stream_index, k, attrs, row, None)
            self.times[row, self.arrived] = env.now
            self._count_inside(+1)
            env.process(self._patient(row, stream_index, k, stream.first_step, attrs, [], None))

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
                row = self._new_patient(stream)
                self._count_inside(+1)
                attrs = [MISSING] * len(self.model.attributes)
                self.env.process(self._patient(row, stream, k, step.index, attrs, [r], remaining[k]))

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

    def _patient(self, row: int, stream: int, k: int, step_index: int, attrs: list[int], held: list[int],
                 first_takes: float | None):
        env = self.env
        steps = self.model.steps
        pools = self.pools
        times = self.times
        position = self.position
        while step_index >= 0:
            step = steps[step_index]
            now = env.now
            times[row, step.queued] = now
            position[row] = step_index
            for mark in step.marks:  # a mark records the first time only
                if times[row, mark] != times[row, mark]:
                    times[row, mark] = now
            if step.acquire:
                deadline = None
                chooser = self.patience[step_index]
                if chooser is not None:
                    deadline = now + self._duration(chooser, stream, k, attrs, step)
                for r in step.acquire:
                    attr = step.priority if step.priority >= 0 else self.queue_attribute[r]
                    priority = (attrs[attr] if attrs[attr] >= 0 else 1 << 20) if attr >= 0 else 0
                    pool = pools[r]
                    request = pool.request(priority)
                    if request is not None:
                        if deadline is None:
                            yield request
                        else:
                            yield request | env.timeout(max(0.0, deadline - env.now))
                            if not request.triggered:
                                pool.cancel(request)
                                self._leave(row, held, step.gives_up_as)
                                return
                    held.append(r)
            times[row, step.start] = env.now
            if step.wait_until is not None:
                u = self._uniform(stream, f"wait_until:{step.name}", k)
                hour = int(np.searchsorted(step.wait_until, u, side="right"))
                frac = self._uniform(stream, f"wait_until_minute:{step.name}", k)
                clock = hour * 60.0 + frac * 60.0
                wait = (clock - env.now % 1440.0) % 1440.0
                if wait > 0:
                    yield env.timeout(wait)
            if first_takes is not None:
                duration, first_takes = first_takes, None
            elif step.takes is not None:
                duration = self._duration(self.takes[step_index], stream, k, attrs, step)
            else:
                duration = 0.0
            if duration > 0:
                yield env.timeout(duration)
            for r in step.release_after_use:
                held.remove(r)
                pools[r].release()
            if step.release:
                delay = 0.0
                if step.after is not None:
                    delay = step.after.params[0] if step.after.is_fixed else self.streams.draws(
                        stream, f"after:{step.name}", step.after.sample).get(k)
                for r in step.release:
                    if r not in held:
                        raise SimulationError(step, f"releases {self.model.resources[r].name!r}, which the patient does not hold here")
                    held.remove(r)
                    if delay > 0:
                        env.timeout(delay).callbacks.append(lambda _e, p=pools[r]: p.release())
                    else:
                        pools[r].release()
            for assignment in step.assign:
                self._assign(assignment, stream, k, attrs, row, step)
            times[row, step.end] = env.now
            if step.branch is not None:
                branch = step.branch
                cumulative = branch.table.get(attrs)
                if cumulative is None:
                    raise SimulationError(step, "a patient has no value of the attribute this branch depends on")
                u = self._uniform(stream, branch.purpose, k)
                option = int(np.searchsorted(cumulative, u, side="right"))
                attrs[branch.attribute] = branch.codes[option]
                self.attrs[row, branch.attribute] = branch.codes[option]
                step_index = branch.targets[option]
            else:
                step_index = step.then
        self._leave(row, held, -2 - step_index)

    def _leave(self, row: int, held: list[int], outcome: int) -> None:
        for r in held:
            self.pools[r].release()
        held.clear()
        self.times[row, self.left] = self.env.now
        self.outcome[row] = outcome
        self._count_inside(-1)

    def run(self) -> Log:
        env = self.env
        for r, resource in enumerate(self.model.resources):
            if resource.capacity_by_minute is not None:
                first, changes = roster_changes(resource.capacity_by_minute, self.length)
                self.pools[r].capacity = first
                if changes:
                    env.process(run_roster(env, self.pools[r], changes))
        self._initial_state()
        for s in range(len(self.model.streams)):
            env.process(self._arrivals(s))
        env.run(until=simpy.AnyOf(env, [self.stop, env.timeout(self.length)]))
        for pool in self.pools:
            pool.finish(self.length)
        self._count_inside(0)
        records = [p.records() for p in self.pools]
        n_res, n_hours = len(self.pools), self.n_hours
        shape = (n_res, n_hours)
        n = self.next_row
        return Log(
            replication=self.streams.replication,
            times=self.times[:n], attributes=self.attrs[:n], stream=self.stream_of[:n],
            outcome=self.outcome[:n], position=self.position[:n],
            busy=np.array([r[0] for r in records]).reshape(shape),
            rostered=np.array([r[1] for r in records]).reshape(shape),
            queue=np.array([r[2] for r in records]).reshape(shape),
            inside=np.asarray(self.inside_area), length=float(env.now), overloaded=self.overloaded,
            waiting_at_end=np.array([p.waiting for p in self.pools], dtype=np.int64),
            events_processed=next(env._eid))  # type: ignore[attr-defined]


def simulate_replication(model: Model, seed: int, replication: int, max_inside: int | None = None) -> Log:
    """Run one replication; a pure function of the model, the seed and the replication number."""
    return _Replication(model, seed, replication, max_inside).run()
