"""Experiments: many replications of a scenario, on one process, local processes or Dask.

A replication is ``(model, seed, replication number)`` and returns a small
:class:`ReplicationResult` (its statistics and hourly records; its patient log only when asked,
as the bytes of a Parquet part). Workers receive the compiled scenario, never a SimPy object, and
write nothing: the main process saves what they return, so nothing is written once it is gone.
Local workers ignore Ctrl-C (the main process stops them) and end themselves within a second of
their parent's death, a kill -9 included. Results are gathered by replication number, never by
completion order, so the outputs are the same for any executor and number of workers; with a
:class:`~patientflow.experiment.store.ReplicationStore`, each finished replication is saved at once and a
rerun runs only the missing ones.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from ..moments.vehicles import vehicle_minutes
from ..log import INSIDE, Log
from ..engine.replication import simulate_replication
from ..model import Model
from ..moments.bottlenecks import split
from ..moments.measure import counted_by_group, leaving_per_day, measure
from ..clock import HOURS_PER_WEEK, MINUTES_PER_DAY, measured_start

PATIENT_LOG_REPLICATIONS = 5  # patient-level rows are kept in memory for this many replications


@dataclass(frozen=True)
class Sparse:
    """An array kept as its non-zero values: the split of the wait by hour of day is 157 KB a
    replication of the baseline, 4 % of it not zero, and a run holds its results in hundreds."""

    shape: tuple[int, ...]
    index: np.ndarray  # flat positions of the values not zero
    values: np.ndarray

    @classmethod
    def of(cls, a: np.ndarray) -> "Sparse":
        flat = a.reshape(-1)
        index = np.flatnonzero(flat)
        return cls(a.shape, index, flat[index])

    def dense(self) -> np.ndarray:
        out = np.zeros(self.shape, dtype=self.values.dtype)
        out.reshape(-1)[self.index] = self.values
        return out

    def add_to(self, total: np.ndarray) -> None:
        """``total += self.dense()``, value for value (adding a zero changes nothing)."""
        total.reshape(-1)[self.index] += self.values


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
    inside_series: np.ndarray  # (hours,) mean patients inside in each hour of the whole run
    leaving: np.ndarray  # (outcomes,) patients a day leaving with each outcome, measured period
    causes: np.ndarray  # (duration moment groups, causes) mean minutes per done patient (moments.bottlenecks)
    # (duration moment groups, causes, 24) those minutes in all, by hour of day; Sparse once a
    # run's results are gathered (run_replications), where only their sum is read
    cause_hours: np.ndarray | Sparse
    patients: int
    inside_at_end: int  # patients still inside when the replication ended
    overloaded: bool
    seconds: float
    overwhelmed: str = ""  # when overloaded: the resource with the longest queue at the stop
    log: Log | None = None
    patients_parquet: bytes | None = None  # when asked: the patient log as a Parquet file's bytes
    # a network's fleets: per unit, minutes by state over the measured period (moments.vehicles)
    vehicles: np.ndarray | None = None
    units_parquet: bytes | None = None  # when asked, with fleets: the unit log as a Parquet file's bytes
    log_file: bytes | None = None  # when asked: the log as its file in the shared store (see .cache)
    reused: bool = False  # measured from a replication an earlier command computed


def run_replication(model: Model, seed: int, replication: int, keep_log: bool = False,
                    patients_parquet: bool = False, cache_identity: dict | None = None) -> ReplicationResult:
    """One replication, measured; safe to run in a worker process (it writes nothing). With a
    ``cache_identity``, the log comes back as the bytes of its file in the shared store."""
    started = time.perf_counter()
    log = simulate_replication(model, seed, replication, max_inside=inside_bound(model))
    result = result_of(model, log, keep_log, patients_parquet, started)
    if cache_identity is not None:
        from .cache import log_bytes
        result.log_file = log_bytes(log, cache_identity)
    return result


def result_of(model: Model, log: Log, keep_log: bool, patients_parquet: bool, started: float,
             reused: bool = False) -> ReplicationResult:
    """A replication's result from its log: the one way a log is measured, new or stored."""
    replication = log.replication
    counts = counted_by_group(model, log)
    stats = measure(model, log, counts_by_group=counts)
    causes, cause_hours = split(model, log, counts)
    n_hours = log.busy.shape[1]
    hours = np.arange(n_hours)
    measured = hours * 60.0 >= measured_start(model.warm_up)
    minutes = np.clip(log.length - hours * 60.0, 0, 60)
    parquet = units = None
    if patients_parquet:
        from .patients import patients_frame
        parquet = _parquet(patients_frame(model, log))
        if log.units is not None:
            from .vehicles import units_frame
            units = _parquet(units_frame(model, log))
    with np.errstate(invalid="ignore", divide="ignore"):
        series = np.where(minutes > 0, log.inside / np.maximum(minutes, 1e-12), np.nan)
    return ReplicationResult(
        replication=replication, stats=stats, **hour_of_week_records(log, measured, minutes),
        inside_series=series, leaving=leaving_per_day(model, log), causes=causes, cause_hours=cause_hours,
        patients=int(log.times.shape[0]),
        inside_at_end=int(np.count_nonzero(log.outcome == INSIDE)), overloaded=log.overloaded,
        overwhelmed=_longest_queue(model, log) if log.overloaded else "",
        seconds=time.perf_counter() - started, log=log if keep_log else None, patients_parquet=parquet, reused=reused,
        vehicles=vehicle_minutes(model, log), units_parquet=units)


def _parquet(frame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def hour_of_week_records(log: Log, measured: np.ndarray, minutes: np.ndarray,
                         weight: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """A log's hourly records over the ``measured`` hours of the run, folded onto the 168 hours
    of the week (each hour's values times ``weight``, 1 by default), and the minutes measured."""
    how = np.flatnonzero(measured) % HOURS_PER_WEEK
    w = np.ones(len(how)) if weight is None else weight

    def fold(values: np.ndarray) -> np.ndarray:
        if values.ndim == 1:
            return np.bincount(how, weights=values[measured] * w, minlength=HOURS_PER_WEEK)
        return np.array([np.bincount(how, weights=v[measured] * w, minlength=HOURS_PER_WEEK) for v in values]).reshape(-1, HOURS_PER_WEEK)

    return {"busy": fold(log.busy), "rostered": fold(log.rostered), "queue": fold(log.queue),
            "inside": fold(log.inside), "measured_minutes": np.bincount(how, weights=minutes[measured], minlength=HOURS_PER_WEEK)}


def inside_bound(model: Model) -> int:
    """How many patients may be inside before a replication counts as overloaded and stops:
    ``run.max_inside``, or else ten times a day's expected arrivals plus the initial occupants
    (a stable service holds far fewer; a runaway queue reaches it in days, not months)."""
    if model.max_inside is not None:
        return model.max_inside
    per_day = 0.0
    for stream in model.streams:
        if stream.rate_by_hour_of_week is not None:
            per_day += float(stream.rate_by_hour_of_week.sum()) * 60 / 7
        elif stream.at is not None:
            per_day += len(stream.at) / max(model.length / MINUTES_PER_DAY, 1)
        elif stream.every is not None:
            per_day += MINUTES_PER_DAY / stream.every
    initial = sum(r.initial_occupied for r in model.resources)
    return int(max(1000, 10 * per_day + initial))


def _longest_queue(model: Model, log: Log) -> str:
    if log.waiting_at_end is None or not len(log.waiting_at_end):
        return ""
    r = int(np.argmax(log.waiting_at_end))
    return f"{model.resources[r].name} ({int(log.waiting_at_end[r])} waiting)"


def _engine_identity(model: Model) -> str:
    from .cache import engine_identity
    return engine_identity(model)


def cores() -> int:
    return os.cpu_count() or 1


def _execute(calls: list[tuple], jobs: int, dask: str | None, task: Callable = run_replication) -> Iterator:
    """Run ``task(*call)`` for each call, yielding results as they complete: here if one process
    is enough, else on Dask, or here and on ``jobs - 1`` local workers (see :mod:`.workers`)."""
    if dask:
        yield from _execute_dask(calls, jobs, dask, task)
        return
    wanted = jobs if jobs > 0 else cores()
    with long_lived_set_aside():
        if min(wanted, len(calls)) <= 1:
            for call in calls:
                yield task(*call)
            return
        from .workers import run
        yield from run(calls, wanted, task, here=True)  # this process is one of the jobs


@contextlib.contextmanager
def long_lived_set_aside() -> Iterator[None]:
    """The objects alive before a batch of replications (pandas', SciPy's, a notebook's: 100,000
    and more) left out of the cyclic collector's passes while it runs (``gc.freeze``), then handed
    back to it. A replication makes and drops objects by the hundred thousand, so the collector
    passes over the oldest generation every few replications: over every object of the process,
    60 ms with pandas and SciPy loaded, against 7 ms for a one-day replication. Nothing is lost:
    what becomes garbage meanwhile among the objects set aside is collected once they are back.
    Where something else has frozen objects already, they are left as they are."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _execute_dask(calls: list[tuple], jobs: int, address: str, task: Callable) -> Iterator:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RuntimeError('Dask is not installed: pip install "patientflow[dask]"') from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=jobs if jobs > 0 else cores(), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        scattered: dict[int, object] = {}  # each model is sent to the workers once

        def sent(value):
            if isinstance(value, Model):
                if id(value) not in scattered:
                    scattered[id(value)] = client.scatter(value, broadcast=True)
                return scattered[id(value)]
            return value
        futures = [client.submit(task, *(sent(v) for v in call), pure=False) for call in calls]
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _tagged_replication(number: int, model: Model, seed: int, replication: int, cache_identity: dict | None = None) -> tuple:
    return number, run_replication(model, seed, replication, cache_identity=cache_identity)


def run_tagged(calls: list[tuple], jobs: int = 1, dask: str | None = None, cache=None) -> Iterator[tuple]:
    """Replications of several scenarios in one batch: ``(tag, model, seed, replication)`` in,
    ``(tag, result)`` out as each completes (the optimiser runs many candidates at once). With a
    ``cache`` (the shared store), those computed before are measured from it first."""
    engines: dict[int, str] = {}
    todo = []
    for tag, model, seed, r in calls:
        identity = None
        if cache is not None:
            if id(model) not in engines:
                engines[id(model)] = _engine_identity(model)
            identity = cache.identity(engines[id(model)], seed, r)
            log = cache.get(identity)
            if log is not None:
                yield tag, result_of(model, log, False, False, time.perf_counter(), reused=True)
                continue
        todo.append((tag, model, seed, r, identity))
    # a worker gets the call's number, never its tag: a tag (the optimiser's store, with its
    # callbacks) is the main process's own and need not be picklable
    for i, result in _execute([(i, *call[1:]) for i, call in enumerate(todo)], jobs, dask, _tagged_replication):
        if cache is not None and result.log_file is not None:
            cache.put(todo[i][4], result.log_file)
        result.log_file = None
        yield todo[i][0], result


def run_replications(model: Model, seed: int, replications: list[int], *, jobs: int = 1,
                     dask: str | None = None, keep_logs: int = PATIENT_LOG_REPLICATIONS,
                     store=None, patients: bool = False, cache=None,
                     on_done: Callable[[ReplicationResult, bool], None] | None = None) -> list[ReplicationResult]:
    """Run the given replication numbers and return their results in order of number.

    With a ``store`` (the run folder's), replications already saved there (and found to be what
    they claim) are loaded instead of run, and each new one is saved as soon as it finishes; with
    ``patients``, its patient log too. With a ``cache`` (the shared
    :class:`~patientflow.experiment.cache.ReplicationCache`), a replication another command
    computed is measured from its stored log instead of simulated, and each new log is kept.
    ``on_done(result, resumed)`` is called as each arrives (for progress bars)."""
    results: dict[int, ReplicationResult] = {}
    calls = []
    engine = _engine_identity(model) if cache is not None else None
    for r in replications:
        wants_part = patients or r < keep_logs  # the first few always keep their patients (figures)
        keep_log, part = r < keep_logs and store is None, store is not None and wants_part
        result = store.take(r, wants_part) if store is not None else None
        if result is not None:
            result.reused = True
        if result is None and cache is not None:
            log = cache.get(cache.identity(engine, seed, r))
            result = result_of(model, log, keep_log, part, time.perf_counter(), reused=True) if log else None
            if result is not None and store is not None:
                store.save(result)
        if result is not None:
            results[r] = _gathered(result)
            if on_done:
                on_done(result, True)
            continue
        calls.append((model, seed, r, keep_log, part, cache.identity(engine, seed, r) if cache is not None else None))
    for result in _execute(calls, jobs, dask):
        if cache is not None and result.log_file is not None:
            cache.put(cache.identity(engine, seed, result.replication), result.log_file)
        result.log_file = None
        if store is not None:
            store.save(result)
        results[result.replication] = _gathered(result)
        if on_done:
            on_done(result, False)
    return [results[r] for r in sorted(results)]


def _gathered(result: ReplicationResult) -> ReplicationResult:
    """A result as a run holds it among the others: its split of the wait by hour compact."""
    if isinstance(result.cause_hours, np.ndarray):
        result.cause_hours = Sparse.of(result.cause_hours)
    return result
