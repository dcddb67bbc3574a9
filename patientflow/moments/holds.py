"""Chains of holds: who held which resource when, what each patient waited for, and how a
wait passes along a chain to the resource at its root. The rule is stated in
:mod:`patientflow.moments.bottlenecks`; this module carries it out on one replication's log."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from ..log import Log
from ..model import TIME_OF_DAY, Model
from .measure import groups

MAX_CHAIN = 5  # resources in a chain of holds, the waited-for one included
SERVICE, WAITING_TIME_OF_DAY = "service", "time_of_day"


@dataclass(frozen=True)
class Cause:
    """A column of the split: ``cause`` with the resources it acts ``via`` (in order)."""

    cause: str
    via: tuple[str, ...] = ()

    @property
    def via_text(self) -> str:
        return ">".join(self.via)


@dataclass(frozen=True)
class Wait:
    """How one queue of a step is read from the log: from ``begins`` to ``ends`` (event indices)."""

    resource: int  # TIME_OF_DAY for a wait_until
    begins: int
    ends: int
    step_start: int
    step_end: int


class Structure:
    """What the split needs of a model, built once per model."""

    def __init__(self, model: Model):
        self.rowgroups = [(m, code, group) for m in model.moments if m.kind == "duration"
                          for code, group in groups(model, m)]
        self.moments = [m for m in model.moments if m.kind == "duration" and groups(model, m)]  # the rows' moments
        self.row_moment = [self.moments.index(m) for m, _code, _group in self.rowgroups]  # each row's, in it
        self.row_key = [(m.name, code) for m, code, _group in self.rowgroups]  # each row's in counted_by_group
        self.left = model.event("left")
        self.n_streams = len(model.streams)
        self.waits: list[Wait] = []
        for s in model.steps:
            begins = s.queued
            for i, r in enumerate(s.acquire):
                ends = s.got[i] if s.got else s.start
                self.waits.append(Wait(r, begins, ends, s.start, s.end))
                begins = ends
            if s.reached >= 0:
                self.waits.append(Wait(TIME_OF_DAY, s.start, s.reached, s.start, s.end))
        self.wait_begins = np.array([w.begins for w in self.waits], dtype=np.int64)
        self.wait_ends = np.array([w.ends for w in self.waits], dtype=np.int64)
        self.wait_step_starts = np.array([w.step_start for w in self.waits], dtype=np.int64)
        self.wait_step_ends = np.array([w.step_end for w in self.waits], dtype=np.int64)
        self.wait_resources = np.array([w.resource for w in self.waits], dtype=np.int64)
        self.wait_is_time_of_day = self.wait_resources == TIME_OF_DAY
        # holds of each resource that may pass a wait on: (taken at event, freed at any of events)
        releasers = {r: [s.end for s in model.steps if r in s.release] for r in model.blocking}
        self.holds: dict[int, list[tuple[int, list[int]]]] = {r: [] for r in model.blocking}
        for s in model.steps:
            for i, r in enumerate(s.acquire):
                if r in self.holds:
                    taken = s.got[i] if s.got else s.start
                    self.holds[r].append((taken, [s.end] if r in s.release_after_use else releasers[r]))
        self.initial_releasers = releasers
        self.edges = {r: sorted(x for x in xs if x != r) for r, xs in model.blocking.items()}
        self.names = [res.name for res in model.resources]
        waited = sorted({w.resource for w in self.waits if w.resource != TIME_OF_DAY})
        self.paths: dict[int, list[tuple[int, ...]]] = {r: self._paths((r,)) for r in waited}
        self.columns = [Cause(SERVICE), Cause(WAITING_TIME_OF_DAY)]
        self.column_of: dict[tuple[int, ...], int] = {}
        for r in waited:
            for path in self.paths[r]:
                self.column_of[path] = len(self.columns)
                self.columns.append(self.cause(path))

    def _paths(self, path: tuple[int, ...]) -> list[tuple[int, ...]]:
        """Every chain from ``path`` on (itself first)."""
        found = [path]
        last = path[-1]
        if last == TIME_OF_DAY or len(path) >= MAX_CHAIN:
            return found
        for x in self.extensions(path):
            found += self._paths((*path, x))
        return found

    def extensions(self, path: tuple[int, ...]) -> list[int]:
        """Where a wait at the end of ``path`` may pass on to (nowhere at the chain's length)."""
        if path[-1] == TIME_OF_DAY or len(path) >= MAX_CHAIN:
            return []
        return [x for x in self.edges.get(path[-1], []) if x not in path]

    def cause(self, path: tuple[int, ...]) -> Cause:
        name = WAITING_TIME_OF_DAY if path[-1] == TIME_OF_DAY else self.names[path[-1]]
        return Cause(name, tuple(self.names[r] for r in path[:-1]))

    @classmethod
    def of(cls, model: Model) -> "Structure":
        found = _STRUCTURES.get(id(model))
        if found is None or found[0]() is not model:
            for key in [key for key, (ref, _) in _STRUCTURES.items() if ref() is None]:
                del _STRUCTURES[key]
            found = (weakref.ref(model), cls(model))
            _STRUCTURES[id(model)] = found
        return found[1]


_STRUCTURES: dict[int, tuple] = {}


@dataclass
class Waits:
    """Every wait of a replication's patients (with a positive length)."""

    patient: np.ndarray
    resource: np.ndarray  # TIME_OF_DAY for a wait for a time of day
    begins: np.ndarray
    ends: np.ndarray


def patient_waits(st: Structure, log: Log) -> Waits:
    """The waits of ``log``'s patients. A wait without its end event ended by the step's start
    when the step ended (a recorded log need not have every event; a time of day never comes
    then: no wait), else when its patient left (gave up), else at the end of the run (still
    waiting)."""
    if not st.waits:
        empty = np.zeros(0)
        return Waits(empty.astype(np.int64), empty.astype(np.int64), empty, empty)
    times = log.times
    left = times[:, st.left]
    unfinished = np.where(np.isnan(left), log.length, left)[:, None]
    a, b = times[:, st.wait_begins], times[:, st.wait_ends]  # (patients, waits of the model)
    by_start = np.where(st.wait_is_time_of_day, a, times[:, st.wait_step_starts])
    b = np.where(np.isnan(b), np.where(np.isnan(times[:, st.wait_step_ends]), unfinished, by_start), b)
    patient, k = np.nonzero(b > a)  # NaN compares false: a wait never begun is none
    return Waits(patient, st.wait_resources[k], a[patient, k], b[patient, k])


def holds(st: Structure, log: Log, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who held resource ``r`` when: (patient, from, to), to the end of the run when not freed."""
    times, end = log.times, log.length
    left = times[:, st.left]
    rest = np.where(np.isnan(left), end, left)
    patients, starts, stops = [], [], []

    def freed(taken: np.ndarray, at: list[int]) -> np.ndarray:
        stop = rest.copy()
        for e in at:  # the first release at or after it was taken
            t = times[:, e]
            later = ~np.isnan(t) & (t >= taken) & (t < stop)
            stop[later] = t[later]
        return stop
    for taken_event, at in st.holds[r]:
        taken = times[:, taken_event]
        got = np.flatnonzero(~np.isnan(taken))
        stop = freed(np.where(np.isnan(taken), np.inf, taken), at)
        patients.append(got), starts.append(taken[got]), stops.append(stop[got])
    initial = np.flatnonzero(log.stream == st.n_streams + r)  # initial occupants hold it from 0
    if initial.size:
        stop = freed(np.zeros(len(times)), st.initial_releasers[r])
        patients.append(initial), starts.append(np.zeros(initial.size)), stops.append(stop[initial])
    if not patients:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    return np.concatenate(patients), np.concatenate(starts), np.concatenate(stops)


def _held_during(holder: tuple[np.ndarray, np.ndarray, np.ndarray], waits: Waits, n_patients: int) -> np.ndarray:
    """Which waits were waited while their patient held the resource of ``holder``."""
    patient, start, stop = holder
    inside = np.zeros(waits.patient.size, dtype=bool)
    order = np.argsort(patient, kind="stable")
    patient, start, stop = patient[order], start[order], stop[order]
    first = np.searchsorted(patient, waits.patient, side="left")
    last = np.searchsorted(patient, waits.patient, side="right")
    k = 0
    while True:  # a patient holds a resource once, rarely twice: one pass per hold
        at = first + k
        has = at < last
        if not has.any():
            return inside
        i = at[has]
        inside[has] |= (start[i] <= waits.begins[has]) & (stop[i] >= waits.ends[has])
        k += 1


class Weights:
    """Cumulative minutes of each chain, per minute waited for its first resource: ``W_path(t)``,
    so a wait from ``a`` to ``b`` for ``path[0]`` gives ``W(b) - W(a)`` minutes to ``path``."""

    def __init__(self, st: Structure, log: Log, waits: Waits):
        self.st = st
        self.grid = np.zeros(0)
        self.cumulative: dict[tuple[int, ...], np.ndarray] = {}
        blocked: dict[tuple[int, int], np.ndarray] = {}  # (r, x) -> which waits held r while waiting for x
        for r in st.edges:
            if not st.edges[r] or r not in log.busy_changes:
                continue
            during = _held_during(holds(st, log, r), waits, len(log.times))
            for x in st.edges[r]:
                mask = during & (waits.resource == x)
                if mask.any():
                    blocked[(r, x)] = mask
        if not blocked:
            return
        points = [np.array([0.0, log.length])]
        for mask in blocked.values():
            points += [waits.begins[mask], waits.ends[mask]]
        for r in {r for r, _ in blocked}:
            points.append(log.busy_changes[r][:, 0])
        grid = np.unique(np.concatenate(points))
        self.grid = grid
        busy = {}
        for r in {r for r, _ in blocked}:
            changes = log.busy_changes[r]
            at = np.searchsorted(changes[:, 0], grid, side="right") - 1
            busy[r] = np.where(at >= 0, changes[np.maximum(at, 0), 1], 0.0)
        share: dict[tuple[int, int], np.ndarray] = {}
        for (r, x), mask in blocked.items():
            count = np.zeros(grid.size + 1)
            np.add.at(count, np.searchsorted(grid, waits.begins[mask]), 1.0)
            np.add.at(count, np.searchsorted(grid, waits.ends[mask]), -1.0)
            held = np.cumsum(count)[:-1]
            with np.errstate(invalid="ignore", divide="ignore"):
                share[(r, x)] = np.where(busy[r] > 0, held / np.maximum(busy[r], 1e-12), 0.0)
        for r in {r for r, _ in blocked}:  # units held by waiting patients never exceed the busy units
            total = sum(v for (q, _), v in share.items() if q == r)
            over = total > 1.0
            if over.any():
                for (q, x) in share:
                    if q == r:
                        share[(q, x)] = np.where(over, share[(q, x)] / np.maximum(total, 1e-12), share[(q, x)])
        spans = np.diff(grid)
        for start, paths in st.paths.items():
            if len(paths) == 1:
                continue
            for path in paths:
                weight = np.ones(grid.size)
                for a, b in zip(path, path[1:]):
                    weight = weight * share.get((a, b), 0.0)
                rest = np.ones(grid.size)
                for x in st.extensions(path):
                    rest = rest - share.get((path[-1], x), 0.0)
                weight = weight * np.clip(rest, 0.0, 1.0)
                if np.any(weight[:-1] > 0):
                    self.cumulative[path] = np.concatenate([[0.0], np.cumsum(weight[:-1] * spans)])

    def minutes(self, path: tuple[int, ...], lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Minutes of the waits ``lo``–``hi`` (arrays of any shape) for ``path[0]`` that go to ``path``."""
        if len(self.st.paths.get(path[0], ())) == 1 or not self.grid.size:
            return hi - lo if len(path) == 1 else np.zeros(lo.shape)
        w = self.cumulative.get(path)
        if w is None:
            return np.zeros(lo.shape)
        return np.interp(hi, self.grid, w) - np.interp(lo, self.grid, w)
