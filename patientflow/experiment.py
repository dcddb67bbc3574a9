"""Experiments: many replications of a scenario, run serially or on local processes.

A replication is ``(model, seed, replication number)`` and returns a small
:class:`ReplicationResult` (its statistics, hourly records and, for the first few replications,
its patient log). Results are gathered by replication number, never by completion order, so
the outputs are the same for any number of workers.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .engine import Log, simulate_replication
from .model import Model
from .moments import measure

PATIENT_LOG_REPLICATIONS = 5  # patient-level rows are kept for this many replications


@dataclass
class ReplicationResult:
    """What a replication hands back: small arrays only (the log when asked)."""

    replication: int
    stats: np.ndarray  # (rows, STATS)
    busy: np.ndarray  # (resources, 168) busy unit-minutes by hour of week, measured period
    rostered: np.ndarray  # (resources, 168)
    queue: np.ndarray  # (resources, 168)
    inside: np.ndarray  # (168,)
    measured_minutes: np.ndarray  # (168,) minutes of each hour of the week measured
    patients: int
    overloaded: bool
    seconds: float
    log: Log | None = None


def run_replication(model: Model, seed: int, replication: int, keep_log: bool) -> ReplicationResult:
    """One replication, measured; safe to run in a worker process."""
    started = time.perf_counter()
    log = simulate_replication(model, seed, replication, max_inside=model.spec.run.max_inside)
    stats = measure(model, log)
    n_hours = log.busy.shape[1]
    first = int(np.ceil(model.warm_up / 60))
    hours = np.arange(n_hours)
    measured = hours >= first
    how = hours[measured] % 168
    minutes = np.clip(log.length - hours * 60.0, 0, 60)[measured]

    def by_week(values: np.ndarray) -> np.ndarray:
        if values.ndim == 1:
            return np.bincount(how, weights=values[measured], minlength=168)
        return np.array([np.bincount(how, weights=v[measured], minlength=168) for v in values]).reshape(-1, 168)

    return ReplicationResult(
        replication=replication, stats=stats, busy=by_week(log.busy), rostered=by_week(log.rostered),
        queue=by_week(log.queue), inside=by_week(log.inside),
        measured_minutes=np.bincount(how, weights=minutes, minlength=168),
        patients=int(log.times.shape[0]), overloaded=log.overloaded,
        seconds=time.perf_counter() - started, log=log if keep_log else None)


def run_replications(model: Model, seed: int, replications: list[int], jobs: int = 1,
                     keep_logs: int = PATIENT_LOG_REPLICATIONS,
                     on_done: Callable[[ReplicationResult], None] | None = None) -> list[ReplicationResult]:
    """Run the given replication numbers, in order of number, on ``jobs`` local processes."""
    jobs = _jobs(jobs, len(replications))
    args = [(model, seed, r, r < keep_logs) for r in replications]
    results: list[ReplicationResult] = []
    if jobs == 1:
        for a in args:
            result = run_replication(*a)
            results.append(result)
            if on_done:
                on_done(result)
    else:
        from joblib import Parallel, delayed
        parallel = Parallel(n_jobs=jobs, return_as="generator", backend="loky")
        for result in parallel(delayed(run_replication)(*a) for a in args):
            results.append(result)
            if on_done:
                on_done(result)
    results.sort(key=lambda r: r.replication)
    return results


def _jobs(jobs: int | None, n: int) -> int:
    cores = os.cpu_count() or 1
    if jobs is None or jobs <= 0:
        jobs = cores
    return max(1, min(jobs, n))
