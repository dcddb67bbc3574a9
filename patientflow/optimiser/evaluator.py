"""Running candidates' replications with common random numbers.

Replication *r* of every candidate uses the same random streams (the seed and the replication
number), so candidates are compared on the same simulated days. The :class:`Evaluator` runs the
replications a candidate lacks, in parallel, keeps them on disk when given a folder (a rerun
resumes; each stored replication is checked to be what it claims, see
:mod:`patientflow.experiment.store`), and records which replication numbers the search and the
confirmation used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..experiment.cache import chosen_cache
from ..experiment.overload import overload_text
from ..experiment.replications import run_tagged
from ..experiment.results import Results
from ..experiment.store import Interrupted, ReplicationStore
from .space import SearchSpace

Point = tuple[int, ...]


@dataclass
class Evaluation:
    """A candidate and the replications run of it so far (by replication number)."""

    point: Point
    cost: float
    index: int  # order of first evaluation
    phase: str
    stats: dict[int, np.ndarray] = field(default_factory=dict)
    causes: dict[int, np.ndarray] = field(default_factory=dict)  # each replication's split of the wait
    cause_hours: dict[int, np.ndarray] = field(default_factory=dict)  # … by hour of day (minutes in all)
    overloaded: dict[int, str] = field(default_factory=dict)  # replications stopped early: the longest queue
    verdict: str = ""  # "meets", "misses", "not shown", or for budget runs "better", "not better"
    note: str = ""

    def array(self, replications: Iterable[int] | None = None) -> np.ndarray:
        keys = sorted(self.stats) if replications is None else list(replications)
        return np.stack([self.stats[r] for r in keys])


class Evaluator:
    """Runs candidates' replications (in parallel, kept on disk when a folder is given).

    Every replication number asked for is recorded under the current ``purpose`` ("search" or
    "confirm"), so the two sets can be shown to be disjoint. Full results (hourly records as
    well as statistics) are kept only for replication numbers from ``keep_full_from`` up, and
    the split of the wait by hour only below ``keep_hours_below``."""

    def __init__(self, space: SearchSpace, seed: int, *, jobs: int = 1, dask: str | None = None, folder=None,
                 keep_full_from: int = 0, keep_hours_below: int = 0, on_progress: Callable[[str], None] | None = None):
        self.space = space
        self.seed = seed
        self.jobs = jobs
        self.dask = dask
        self.folder = folder
        self.keep_full_from = keep_full_from
        self.keep_hours_below = keep_hours_below  # the split by hour is kept for these first replications only
        self.on_progress = on_progress or (lambda message: None)
        self.evaluations: dict[Point, Evaluation] = {}
        self.full: dict[tuple[Point, int], object] = {}
        self.purpose = "search"
        self.used: dict[str, set[int]] = {"search": set(), "confirm": set()}
        self.replications_run = 0
        self._scenarios: dict[Point, object] = {}

    def scenario(self, x: Point):
        if x not in self._scenarios:
            self._scenarios[x] = self.space.candidate(x)
        return self._scenarios[x]

    def record(self, x: Point, phase: str) -> Evaluation:
        if x not in self.evaluations:
            self.evaluations[x] = Evaluation(x, self.space.cost(x), len(self.evaluations), phase)
        return self.evaluations[x]

    def ensure(self, wanted: dict[Point, list[int]]) -> None:
        """Run, for each candidate, the listed replication numbers it does not have yet."""
        calls = []
        for x, numbers in wanted.items():
            self.used[self.purpose].update(numbers)
            ev = self.evaluations[x]
            missing = [r for r in numbers if r not in ev.stats]
            if not missing:
                continue
            sc = self.scenario(x)
            store = ReplicationStore(self.folder / sc.hash, sc.hash, self.seed, on_warning=self.on_progress) \
                if self.folder is not None else None
            for r in missing:
                stored = store.take(r, False) if store is not None else None
                if stored is not None:
                    self._keep(x, stored)
                else:
                    calls.append(((x, store), sc.model, self.seed, r))
        overloaded: dict[Point, list[int]] = {}
        try:
            for (x, store), result in run_tagged(calls, self.jobs, self.dask, chosen_cache(True)):
                if store is not None:
                    store.save(result)
                self._keep(x, result)
                self.replications_run += not result.reused  # another command computed the others
                if result.overloaded:
                    overloaded.setdefault(x, []).append(result.replication)
        except KeyboardInterrupt:
            if self.folder is None:
                raise
            kept = len(list(Path(self.folder).glob("*/.replications/replication-*.npz")))
            raise Interrupted(kept, self.folder) from None
        for x, numbers in overloaded.items():
            ev = self.evaluations[x]
            self.on_progress(f"warning: {self.space.describe(x)}: "
                             f"{overload_text(sorted(numbers), sorted({ev.overloaded[r] for r in numbers} - {''}))}")

    def _keep(self, x: Point, result) -> None:
        self.evaluations[x].stats[result.replication] = result.stats
        self.evaluations[x].causes[result.replication] = result.causes
        if result.replication < self.keep_hours_below:  # what the guided moves read (150 KB a replication)
            self.evaluations[x].cause_hours[result.replication] = result.cause_hours
        if result.overloaded:
            self.evaluations[x].overloaded[result.replication] = result.overwhelmed
        if result.replication >= self.keep_full_from:
            self.full[(x, result.replication)] = result

    def results(self, x: Point, numbers: list[int]):
        """The :class:`~patientflow.experiment.results.Results` of candidate ``x`` on kept replications."""
        return Results(self.scenario(x), self.seed, [self.full[(x, r)] for r in numbers], 0.0)
