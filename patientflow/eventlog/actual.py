"""Actual waits: an event log measured exactly as a simulated run is.

The log's patients become the engine's :class:`~patientflow.log.Log` (numpy arrays of times,
attributes, streams and outcomes), so :func:`~patientflow.moments.measure` applies the same rules
to real patients as to simulated ones, and :class:`ActualResults` — a
:class:`~patientflow.experiment.results.Results` — feeds the same summary, figures and report.

What a replication is to a simulation, a *period* of the log is here: the log is cut into whole
days or weeks (by each patient's first contact), every statistic is computed per period and then
averaged with a 95 % t-interval across periods. A patient without a time of leaving is still
inside when the log ends, and counts as open, as at the end of a run. The scenario's warm-up does
not apply: every patient in the log is real.
"""

from __future__ import annotations

import numpy as np

from ..log import INSIDE, MISSING, Log
from ..experiment.replications import ReplicationResult, hour_of_week_records
from ..moments.bottlenecks import split
from ..moments.measure import leaving_per_day, measure
from ..experiment.results import Results
from ..clock import DAY, WEEK



def choose_period(span: float, period: str | float = "auto") -> float:
    """Minutes in a period: ``day``, ``week``, a duration (``3d``), or ``auto`` — weeks when the
    log covers eight weeks or more, else days."""
    from ..distributions import parse_duration
    if period == "auto":
        return WEEK if span >= 8 * WEEK else DAY
    if period in ("day", "week"):
        return DAY if period == "day" else WEEK
    minutes = parse_duration(period)
    if minutes < 60:
        raise ValueError(f"a period is at least an hour, got {period!r}")
    return minutes


def measured_scenario(scenario, length: float):
    """The scenario as the log's clock sees it: the log's length, no warm-up."""
    return scenario.with_changes({"run.length": max(float(np.ceil(length)), 1.0), "run.warm_up": 0})


def to_log(model, patients, length: float) -> Log:
    """The log's patients as the engine's Log (codes by the model's names)."""
    from .inference import last_steps

    times = patients[model.events].to_numpy(dtype=float)
    n = len(patients)
    attributes = np.full((n, len(model.attributes)), MISSING, dtype=np.int16)
    for a, name in enumerate(model.attributes):
        codes = {label: c for c, label in enumerate(model.values[a])}
        attributes[:, a] = [codes.get(v, MISSING) if v is not None else MISSING for v in patients[name]]
    streams = {s.name: s.index for s in model.streams}
    outcomes = {o: i for i, o in enumerate(model.outcomes)}
    position = last_steps(model, times)
    first = np.array([model.streams[streams[s]].first_step for s in patients["stream"]], dtype=np.int64) if n else np.zeros(0, int)
    from .occupancy import occupancy
    busy, rostered, queue, inside = occupancy(model, times, length)
    return Log(replication=0, times=times, attributes=attributes,
               stream=np.array([streams[s] for s in patients["stream"]], dtype=np.int16),
               outcome=np.array([outcomes.get(o, INSIDE) for o in patients["outcome"]], dtype=np.int16),
               position=np.where(position >= 0, position, first).astype(np.int32),
               busy=busy, rostered=rostered, queue=queue, inside=inside, length=float(length))


def _subset(log: Log, keep: np.ndarray) -> Log:
    from dataclasses import replace
    return replace(log, times=log.times[keep], attributes=log.attributes[keep], stream=log.stream[keep],
                   outcome=log.outcome[keep], position=log.position[keep])


def period_bounds(start: float, end: float, period: float) -> list[tuple[float, float]]:
    """Whole periods from the hour of the first arrival; the last one takes the remainder."""
    start = np.floor(start / 60) * 60
    n = max(1, int((end - start) / period + 0.01))  # a log a few minutes short of whole periods has them all
    bounds = [(start + k * period, start + (k + 1) * period) for k in range(n)]
    bounds[-1] = (bounds[-1][0], max(end + 1e-6, bounds[-1][1]))  # the last period takes the remainder
    return bounds


def period_result(model, log: Log, number: int, lo: float, hi: float, series: np.ndarray) -> ReplicationResult:
    """One period measured like one replication (its patients: first contact in ``[lo, hi)``)."""
    arrived = log.times[:, model.event("arrived")]
    keep = (arrived >= lo) & (arrived < hi)
    days = (min(hi, log.length) - lo) / DAY
    period = _subset(log, keep)
    stats = measure(model, period, days=days)
    causes, cause_hours = split(model, period)
    n_hours = log.busy.shape[1]
    hours = np.arange(n_hours)
    minutes = np.clip(np.minimum(hi, log.length) - hours * 60.0, 0, 60) - np.clip(lo - hours * 60.0, 0, 60)
    minutes = np.clip(minutes, 0, 60)
    measured = minutes > 0
    share = minutes[measured] / 60.0  # an hour partly in the period counts in proportion
    return ReplicationResult(
        replication=number, stats=stats, **hour_of_week_records(log, measured, minutes, share),
        inside_series=series, leaving=leaving_per_day(model, period, days), causes=causes,
        cause_hours=cause_hours, patients=int(keep.sum()),
        inside_at_end=int(np.count_nonzero(period.outcome == INSIDE)), overloaded=False, seconds=0.0)


class ActualResults(Results):
    """A log's waits as :class:`Results`: one "replication" per period of the log, every patient
    in the figures."""

    def __init__(self, eventlog, period: str | float = "auto"):
        self.eventlog = eventlog
        span = max(eventlog.end - eventlog.start, 1.0)
        self.period = choose_period(span, period)
        scenario = measured_scenario(eventlog.scenario, eventlog.end)
        model = scenario.model
        self.log = to_log(model, eventlog.patients, eventlog.end)
        minutes = np.clip(self.log.length - np.arange(self.log.inside.size) * 60.0, 0, 60)
        with np.errstate(invalid="ignore", divide="ignore"):
            series = np.where(minutes > 0, self.log.inside / np.maximum(minutes, 1e-12), np.nan)
        self.bounds = period_bounds(eventlog.start, eventlog.end, self.period)
        results = [period_result(model, self.log, k, lo, hi, series) for k, (lo, hi) in enumerate(self.bounds)]
        super().__init__(scenario, 0, results, 0.0)

    @property
    def period_name(self) -> str:
        return {DAY: "day", WEEK: "week"}.get(self.period, f"{self.period / DAY:g}-day period")

    @property
    def patients(self):
        """Every usable patient of the log, as a run's patients (plus the log's ``id`` and ``row``)."""
        if not hasattr(self, "_patients"):
            from ..experiment.patients import patients_frame
            frame = patients_frame(self.scenario.model, self.log)
            frame.insert(2, "id", self.eventlog.patients["patient"].to_numpy())
            frame.insert(3, "row", self.eventlog.patients["row"].to_numpy())
            self._patients = frame
        return self._patients

    def patients_for_figures(self):
        return self.patients

    @property
    def figure_days(self) -> float:
        return (min(self.bounds[-1][1], self.eventlog.end) - self.bounds[0][0]) / DAY

    @property
    def measured_days(self) -> float:
        """Days in a period, on average (statistics are per period)."""
        return self.figure_days / len(self.bounds)

    def inside_at_end(self) -> tuple[float, float, float]:
        """Patients still inside when the log ends (every period's together; no interval)."""
        total = float(self._inside_at_end.sum())
        return total, float("nan"), float("nan")

    def __repr__(self) -> str:
        return f"ActualResults({self.eventlog.source.name!r}, {len(self.bounds)} {self.period_name}s)"


def actual_results(eventlog, period: str | float = "auto") -> ActualResults:
    """The waits an event log records, measured as a simulated run would be."""
    return ActualResults(eventlog, period)
